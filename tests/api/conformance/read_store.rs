//! The read store contract: offer views with their checkpoint, the list's filters and
//! keyset cursor, and the scheduler's queries.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use issuance::readstore::{OfferQuery, OFFER_VIEW};
use issuance_domain::offer::OfferStatus;
use issuance_domain::Digest;
use issuance_eventlog::LogPosition;
use issuance_projections::OfferView;
use uuid::Uuid;

use super::subjects::Subject;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_750_000_000 + seconds, 0).unwrap()
}

fn view(
    created: i64,
    status: OfferStatus,
    configurations: &[&str],
    subject: Option<&Digest>,
) -> OfferView {
    let terminal = status.is_terminal();
    OfferView {
        offer_id: Uuid::new_v4(),
        issuer_id: "default".into(),
        status,
        credential_configuration_ids: configurations.iter().map(|c| c.to_string()).collect(),
        grant: "pre-authorized_code".into(),
        tx_code_required: true,
        single_use: true,
        subject: None,
        correlation: None,
        subject_pseudonym: subject.copied(),
        callback_url: None,
        created_by: "admin".into(),
        created_at: at(created),
        expires_at: at(created + 300),
        deadline: at(created + 300),
        updated_at: at(created),
        terminal_at: terminal.then(|| at(created + 10)),
        issued: Vec::new(),
        tx_code_attempts_remaining: 3,
        failure: None,
        claims_erased: false,
        version: 1,
    }
}

fn ids(views: &[OfferView]) -> Vec<Uuid> {
    views.iter().map(|v| v.offer_id).collect()
}

/// Rows and checkpoint are saved together; a checkpoint never moves backwards.
pub async fn views_and_checkpoint_are_saved_together(subject: &Subject) {
    let store = subject.views.as_ref();
    assert_eq!(
        store.checkpoint(OFFER_VIEW).await.unwrap(),
        LogPosition::START
    );
    store.ping().await.unwrap();

    let (a, b) = (
        view(0, OfferStatus::Created, &["Id"], Some(&Digest([1; 32]))),
        view(1, OfferStatus::Created, &["Id"], None),
    );
    let first = LogPosition {
        commit: 7,
        prepare: 3,
    };
    store
        .save_offer_views(vec![a.clone(), b.clone()], first)
        .await
        .unwrap();
    assert_eq!(store.checkpoint(OFFER_VIEW).await.unwrap(), first);
    assert_eq!(store.offer_view(a.offer_id).await.unwrap(), Some(a.clone()));
    assert_eq!(store.offer_view(Uuid::new_v4()).await.unwrap(), None);
    let mut both = store
        .offer_views(&[a.offer_id, b.offer_id, Uuid::new_v4()])
        .await
        .unwrap();
    both.sort_by_key(|v| v.created_at);
    assert_eq!(both, vec![a.clone(), b.clone()]);
    assert!(store.offer_views(&[]).await.unwrap().is_empty());

    let mut revoked = a.clone();
    revoked.status = OfferStatus::Revoked;
    revoked.terminal_at = Some(at(50));
    revoked.version = 2;
    let second = LogPosition {
        commit: 9,
        prepare: 1,
    };
    store
        .save_offer_views(vec![revoked.clone()], second)
        .await
        .unwrap();
    assert_eq!(store.offer_view(a.offer_id).await.unwrap(), Some(revoked));
    assert_eq!(store.checkpoint(OFFER_VIEW).await.unwrap(), second);

    // A late writer with older rows and an older checkpoint cannot rewind either.
    store
        .save_offer_views(vec![a.clone()], first)
        .await
        .unwrap();
    assert_eq!(store.checkpoint(OFFER_VIEW).await.unwrap(), second);
    assert_eq!(
        store.offer_view(a.offer_id).await.unwrap().unwrap().version,
        2,
        "a view is only replaced by a newer version"
    );
}

/// Listing is newest first with a stable keyset cursor (ties on the creation time are
/// broken by the offer id), and every filter is exact.
pub async fn listing_filters_and_pages_newest_first(subject: &Subject) {
    let store = subject.views.as_ref();
    let tag = Digest(issuance::crypto::random_bytes());
    let mut views = vec![
        view(0, OfferStatus::Created, &["IdentityCredential"], Some(&tag)),
        view(10, OfferStatus::Revoked, &["AddressCredential"], Some(&tag)),
        view(
            20,
            OfferStatus::Created,
            &["IdentityCredential", "AddressCredential"],
            Some(&tag),
        ),
        view(20, OfferStatus::Completed, &["Identity"], Some(&tag)),
        view(
            20,
            OfferStatus::Created,
            &["IdentityCredential"],
            Some(&tag),
        ),
        view(30, OfferStatus::Expired, &["IdentityCredential"], None),
        view(
            40,
            OfferStatus::Created,
            &["Identity_Credential"],
            Some(&tag),
        ),
    ];
    views[1].issuer_id = "acme".into();
    views[4].issuer_id = "globex".into();
    store
        .save_offer_views(views.clone(), LogPosition::at(1))
        .await
        .unwrap();
    views.sort_by_key(|v| std::cmp::Reverse((v.created_at, v.offer_id)));

    // Paging through everything (of this subject) in pages of two.
    let mut paged = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_offer_views(OfferQuery {
                subject_pseudonym: Some(tag),
                limit: 2,
                cursor,
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(page.items.len() <= 2);
        paged.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let expected: Vec<Uuid> = views
        .iter()
        .filter(|v| v.subject_pseudonym == Some(tag))
        .map(|v| v.offer_id)
        .collect();
    assert_eq!(ids(&paged), expected);

    let list = |query: OfferQuery| {
        let subject_pseudonym = Some(tag);
        async move {
            store
                .list_offer_views(OfferQuery {
                    subject_pseudonym,
                    limit: 100,
                    ..query
                })
                .await
                .unwrap()
        }
    };
    let created = list(OfferQuery {
        status: Some(OfferStatus::Created),
        ..Default::default()
    })
    .await;
    assert!(created
        .items
        .iter()
        .all(|v| v.status == OfferStatus::Created));
    assert_eq!(created.items.len(), 4);
    assert_eq!(created.next_cursor, None);

    let identity = list(OfferQuery {
        credential_configuration_id: Some("IdentityCredential".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(
        identity.items.len(),
        3,
        "whole ids only, in multi-configuration offers too"
    );
    let short = list(OfferQuery {
        credential_configuration_id: Some("Identity".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(short.items.len(), 1);
    assert_eq!(
        short.items[0].credential_configuration_ids,
        vec!["Identity"]
    );

    let of_issuers = |issuers: &[&str]| OfferQuery {
        issuers: Some(issuers.iter().map(|i| i.to_string()).collect()),
        ..Default::default()
    };
    let tagged = |issuers: &[&str]| -> Vec<Uuid> {
        views
            .iter()
            .filter(|v| v.subject_pseudonym == Some(tag) && issuers.contains(&v.issuer_id.as_str()))
            .map(|v| v.offer_id)
            .collect()
    };
    for issuers in [&["acme"][..], &["acme", "default"], &["globex"], &[]] {
        let listed = list(of_issuers(issuers)).await;
        assert_eq!(ids(&listed.items), tagged(issuers), "{issuers:?}");
        assert!(listed
            .items
            .iter()
            .all(|v| issuers.contains(&v.issuer_id.as_str())));
    }
    assert_eq!(tagged(&["acme"]).len(), 1);

    let window = list(OfferQuery {
        created_after: Some(at(10)),
        created_before: Some(at(40)),
        ..Default::default()
    })
    .await;
    let window_times: BTreeSet<i64> = window
        .items
        .iter()
        .map(|v| v.created_at.timestamp())
        .collect();
    assert_eq!(
        window_times,
        [at(10).timestamp(), at(20).timestamp()].into()
    );
    assert_eq!(window.items.len(), 4);

    let everyone = store
        .list_offer_views(OfferQuery {
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(everyone.items.len() >= 7);

    // A newer version without the pseudonym (the claims were erased) leaves the subject's
    // listing.
    let mut erased = views[0].clone();
    erased.subject_pseudonym = None;
    erased.claims_erased = true;
    erased.version = 2;
    store
        .save_offer_views(vec![erased.clone()], LogPosition::at(2))
        .await
        .unwrap();
    let remaining = list(OfferQuery::default()).await;
    assert!(!ids(&remaining.items).contains(&erased.offer_id));
    assert_eq!(remaining.items.len(), expected.len() - 1);
}

/// The expiry scheduler finds live offers past their deadline (earliest first); the
/// retention job finds terminal offers whose claims are still there.
pub async fn due_queries_find_live_and_erasable_offers(subject: &Subject) {
    let store = subject.views.as_ref();
    let mut live_late = view(-10_000, OfferStatus::Created, &["Id"], None);
    live_late.deadline = at(-9_000);
    let mut live_later = view(-9_000, OfferStatus::Redeemed, &["Id"], None);
    live_later.deadline = at(-8_000);
    let live_future = view(0, OfferStatus::Issuing, &["Id"], None);
    let mut terminal_old = view(-20_000, OfferStatus::Completed, &["Id"], None);
    terminal_old.deadline = at(-19_000);
    let mut terminal_erased = view(-20_000, OfferStatus::Failed, &["Id"], None);
    terminal_erased.claims_erased = true;
    let terminal_recent = view(-5, OfferStatus::Revoked, &["Id"], None);
    store
        .save_offer_views(
            vec![
                live_late.clone(),
                live_later.clone(),
                live_future.clone(),
                terminal_old.clone(),
                terminal_erased.clone(),
                terminal_recent.clone(),
            ],
            LogPosition::at(1),
        )
        .await
        .unwrap();

    let due = store.offers_due_for_expiry(at(-1), 100).await.unwrap();
    assert_eq!(due, vec![live_late.offer_id, live_later.offer_id]);
    assert_eq!(
        store.offers_due_for_expiry(at(-1), 1).await.unwrap(),
        vec![live_late.offer_id]
    );
    let erasable = store.offers_due_for_erasure(at(-100), 100).await.unwrap();
    assert_eq!(erasable, vec![terminal_old.offer_id]);
    let all_erasable: BTreeSet<Uuid> = store
        .offers_due_for_erasure(at(100), 100)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(
        all_erasable,
        [terminal_old.offer_id, terminal_recent.offer_id].into()
    );
}

/// A reset (before a replay) forgets every view and the checkpoint.
pub async fn reset_forgets_views_and_checkpoint(subject: &Subject) {
    let store = subject.views.as_ref();
    let v = view(0, OfferStatus::Created, &["Id"], None);
    store
        .save_offer_views(vec![v.clone()], LogPosition::at(5))
        .await
        .unwrap();
    store.reset_offer_views().await.unwrap();
    assert_eq!(
        store.checkpoint(OFFER_VIEW).await.unwrap(),
        LogPosition::START
    );
    assert_eq!(store.offer_view(v.offer_id).await.unwrap(), None);
    store
        .save_offer_views(vec![v.clone()], LogPosition::at(1))
        .await
        .unwrap();
    assert_eq!(
        store.checkpoint(OFFER_VIEW).await.unwrap(),
        LogPosition::at(1)
    );
}
