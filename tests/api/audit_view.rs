//! The audit view: every event with its actor and request id, exact filters and pages,
//! a replay that reproduces the chain hash for hash.

use issuance_domain::offer::EVENT_TYPES;
use reqwest::Method;
use serde_json::Value;

use crate::audit_support::*;
use crate::support::*;

/// Values of `identity_offer()` and the revocation reason: personal data that must not
/// appear anywhere in the audit view.
const PERSONAL: [&str; 6] = [
    "Erika",
    "Mustermann",
    "1964-08-12",
    "Code sent by SMS",
    "called",
    HOLDER,
];

backend_test! {
    async fn every_event_type_appears_in_the_audit_view_with_actor_and_request_id(backend) {
        // Arrange
        let app = spawn_app_on(backend).await;

        // Act
        let offers = drive_every_event_type(&app).await;
        let entries = audit_entries(&app, "", 500).await;

        // Assert: every type, each entry with an actor and a request id.
        for event_type in EVENT_TYPES {
            assert!(
                entries.iter().any(|e| e["type"] == event_type),
                "{event_type} is missing"
            );
        }
        for entry in &entries {
            assert!(!entry["actor"].as_str().unwrap().is_empty(), "{entry}");
            assert!(!entry["request_id"].as_str().unwrap().is_empty(), "{entry}");
            assert!(!entry["summary"].as_str().unwrap().is_empty(), "{entry}");
            let text = entry.to_string();
            for private in PERSONAL {
                assert!(!text.contains(private), "{private} in {text}");
            }
        }
        let find = |offer: uuid::Uuid, event_type: &str| -> Value {
            entries
                .iter()
                .find(|e| e["offer_id"] == offer.to_string() && e["type"] == event_type)
                .unwrap_or_else(|| panic!("no {event_type} of {offer}"))
                .clone()
        };
        let created = find(offers.completed, "OfferCreated");
        assert_eq!(created["actor"], "admin");
        assert_eq!(created["request_id"], "req-a-create");
        assert!(created["summary"].as_str().unwrap().starts_with(
            "Offer created for IdentityCredential; pre-authorized_code grant with a 6-character \
         numeric transaction code; single use; expires "
        ));
        for (event_type, request_id) in [
            ("TxCodeRejected", "req-a-wrong-tx"),
            ("OfferRedeemed", "req-a-redeem"),
            ("CredentialIssued", "req-a-issue"),
            ("OfferCompleted", "req-a-issue"),
            ("NotificationReceived", "req-a-notify"),
        ] {
            let entry = find(offers.completed, event_type);
            assert_eq!(entry["actor"], "wallet", "{entry}");
            assert_eq!(entry["request_id"], request_id, "{entry}");
            // Personal data that erasure must reach stays out of the chain.
            assert!(entry["holder_key_thumbprint"].is_null(), "{entry}");
        }
        let admin_erasure = find(offers.erased, "ClaimsErased");
        assert_eq!(admin_erasure["actor"], "admin");
        assert_eq!(admin_erasure["request_id"], "req-b-erase");
        assert_eq!(
            admin_erasure["summary"],
            "Claims erased (admin_request): the offer's data key was destroyed"
        );
        let revocation = find(offers.revoked, "OfferRevoked");
        assert_eq!(revocation["actor"], "admin");
        assert_eq!(revocation["request_id"], "req-c-revoke");
        let failure = find(offers.failed, "OfferFailed");
        assert_eq!(failure["actor"], "wallet");
        assert_eq!(failure["request_id"], "req-d-wrong-tx");
        let expiry = find(offers.expired, "OfferExpired");
        assert_eq!(expiry["actor"], "system");
        assert_eq!(expiry["request_id"], "expiry-run-1");
        for offer in [
            offers.completed,
            offers.revoked,
            offers.failed,
            offers.expired,
        ] {
            let erasure = find(offer, "ClaimsErased");
            assert_eq!(erasure["actor"], "system");
            assert!(erasure["request_id"]
                .as_str()
                .unwrap()
                .starts_with("retention-"));
        }
        // One entry per event (the start's record of the configuration file included), in
        // log order, gap-free, chained.
        assert_eq!(
            entries.len() as u64,
            app.event_count().await + app.startup_events().await
        );
        for (index, entry) in entries.iter().enumerate() {
            assert_eq!(entry["position"], index as u64 + 1);
            if index > 0 {
                assert_eq!(entry["prev_hash"], entries[index - 1]["hash"]);
                // (commit, prepare): on PostgreSQL one transaction commits several events.
                let position = |e: &Value| {
                    let p = &e["log_position"];
                    (p["commit"].as_u64().unwrap(), p["prepare"].as_u64().unwrap())
                };
                assert!(position(entry) > position(&entries[index - 1]), "{entry}");
            }
        }
        let report = verify(&app, "?against_log=true").await;
        assert_eq!(report["valid"], true, "{report}");
        assert_eq!(report["entries"], entries.len());
    }
}

backend_test! {
    async fn audit_filters_and_pagination_are_exact(backend) {
        // Arrange: the whole lifecycle plus offers by a second API key.
        let app = spawn_app_on(backend).await;
        let offers = drive_every_event_type(&app).await;
        for _ in 0..3 {
            let response = app
                .with_key(Method::POST, "/offers", WRITER_KEY)
                .json(&identity_offer())
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
        }
        wait_for_projections(&app).await;
        let all = audit_entries(&app, "", 500).await;
        assert!(all.len() > 20, "{}", all.len());

        // Pages of any size concatenate to the whole view.
        for page_size in [1, 4, 7] {
            assert_eq!(audit_entries(&app, "", page_size).await, all);
        }

        // Each filter, alone and combined, returns exactly the matching entries.
        let from = occurred_at(&all[5]);
        let to = occurred_at(&all[all.len() - 5]);
        let time = |at: chrono::DateTime<chrono::Utc>| {
            urlencoding::encode(&at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)).into_owned()
        };
        type Predicate = Box<dyn Fn(&Value) -> bool>;
        let failed = offers.failed.to_string();
        let cases: Vec<(String, Predicate)> = vec![
            (
                format!("offer_id={}", offers.completed),
                Box::new(move |e: &Value| e["offer_id"] == offers.completed.to_string()),
            ),
            (
                "type=TxCodeRejected".into(),
                Box::new(|e: &Value| e["type"] == "TxCodeRejected"),
            ),
            (
                "actor=writer".into(),
                Box::new(|e: &Value| e["actor"] == "writer"),
            ),
            (
                "actor=system".into(),
                Box::new(|e: &Value| e["actor"] == "system"),
            ),
            (
                format!("from={}&to={}", time(from), time(to)),
                Box::new(move |e: &Value| occurred_at(e) >= from && occurred_at(e) < to),
            ),
            (
                format!("from={}", time(to)),
                Box::new(move |e: &Value| occurred_at(e) >= to),
            ),
            (
                format!("actor=wallet&type=TxCodeRejected&offer_id={failed}"),
                Box::new(move |e: &Value| {
                    e["actor"] == "wallet" && e["type"] == "TxCodeRejected" && e["offer_id"] == failed
                }),
            ),
            (
                "type=OfferExpired&actor=admin".into(),
                Box::new(|e: &Value| e["type"] == "OfferExpired" && e["actor"] == "admin"),
            ),
        ];
        for (filters, matches) in cases {
            let expected: Vec<Value> = all.iter().filter(|e| matches(e)).cloned().collect();
            for page_size in [2, 500] {
                assert_eq!(
                    audit_entries(&app, &filters, page_size).await,
                    expected,
                    "{filters} in pages of {page_size}"
                );
            }
        }
        assert_eq!(
            audit_entries(&app, "actor=wallet&type=TxCodeRejected", 500)
                .await
                .len(),
            all.iter().filter(|e| e["type"] == "TxCodeRejected").count()
        );

        // Invalid queries are rejected with 400; scopes are enforced.
        for bad in [
            "limit=0",
            "limit=501",
            "type=NoSuchEvent",
            "cursor=bm90LWEtY3Vyc29y",
            "offer_id=not-a-uuid",
            "from=yesterday",
            "unknown=1",
            &format!("from={}&to={}", time(to), time(from)),
        ] {
            let response = app
                .with_key(Method::GET, &format!("/audit?{bad}"), AUDITOR_KEY)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 400, "{bad}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"], "invalid_request", "{bad}");
        }
        for path in ["/audit", "/audit/export", "/audit/verify", "/audit/head"] {
            let response = app
                .with_key(Method::GET, path, READER_KEY)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 403, "{path}");
            let response = app
                .client
                .get(format!("{}{path}", app.management))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 401, "{path}");
        }
    }
}

backend_test! {
    async fn replay_rebuilds_an_identical_audit_chain(backend) {
        // Arrange: the live projection's chain.
        let app = spawn_app_on(backend).await;
        drive_every_event_type(&app).await;
        let live = audit_entries(&app, "", 500).await;
        let stopped = app.shutdown().await;

        // Act: the real CLI replays the audit view from position 0.
        let (ok, stdout, stderr) = run_cli(
            stopped.data_dir.path(),
            stopped.database.as_deref(),
            &["replay", "--projection", "audit_view"],
        );
        assert!(ok, "{stdout}\n{stderr}");
        assert!(
            stdout.contains(&format!("audit_view: replayed {} events", live.len())),
            "{stdout}"
        );

        // Assert: the same entries, hash for hash, and the chain verifies.
        let app = spawn_app_with(stopped.restart_options()).await;
        wait_for_projections(&app).await;
        let replayed = audit_entries(&app, "", 500).await;
        assert_eq!(replayed, live);
        let (ok, stdout, stderr) = run_cli(
            app.data_dir.path(),
            app.database.as_deref(),
            &["audit", "verify", "--against-log"],
        );
        assert!(ok, "{stdout}\n{stderr}");
        assert!(stdout.contains("\"valid\":true"), "{stdout}");
    }
}
