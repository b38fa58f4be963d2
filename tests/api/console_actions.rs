//! The console's offer counts, erasure and integration page over HTTP: erasing an offer's
//! claims takes a confirmation step and the `admin` scope (no button, 403 otherwise), the
//! offers list counts offers per status, and the integration page shows health, the
//! issuance chart and (to admins) the dead letters with their CSRF-checked re-queue forms.

use std::time::Duration;

use serde_json::json;

use crate::console::Browser;
use crate::support::wallet::HolderKey;
use crate::support::{
    backend_test, identity_offer, spawn_app, spawn_app_on, ADMIN_KEY, AUDITOR_KEY, READER_KEY,
    WRITER_KEY,
};

#[tokio::test]
async fn an_admin_erases_the_claims_after_confirming_and_others_may_not() {
    let app = spawn_app().await;
    let mut body = identity_offer();
    body["subject"] = json!("customer-to-forget");
    let created = app.create_offer(&body).await;
    let offer_id = created["offer_id"].as_str().unwrap().to_string();
    let page_path = format!("/console/offers/{offer_id}");
    let erase_path = format!("/console/offers/{offer_id}/erase");

    let mut reader = Browser::new(&app);
    reader.sign_in(READER_KEY).await;
    let page = reader.get(&page_path).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("/erase"), "{}", page.body);
    // Neither `offers:read` nor `offers:write` is `admin`.
    for key in [READER_KEY, WRITER_KEY] {
        let mut browser = Browser::new(&app);
        browser.sign_in(key).await;
        let csrf = browser.get("/console/integration").await.csrf();
        assert_eq!(browser.get(&erase_path).await.status, 403, "{key}");
        let refused = browser.post(&erase_path, &[("csrf", &csrf)]).await;
        assert_eq!(refused.status, 403, "{key}");
    }

    let mut browser = Browser::new(&app);
    browser.sign_in(ADMIN_KEY).await;
    let page = browser.get(&page_path).await;
    assert!(page.body.contains(&format!("href=\"{erase_path}\"")));
    let confirm = browser.get(&erase_path).await;
    assert_eq!(confirm.status, 200);
    assert!(
        confirm.body.contains("crypto-shredding"),
        "{}",
        confirm.body
    );
    assert!(
        confirm.body.contains("still live"),
        "a live offer is named so"
    );
    assert!(confirm.body.contains("customer-to-forget"));
    assert!(confirm.body.contains("Erase the claims"));
    assert_eq!(browser.post(&erase_path, &[]).await.status, 403);
    assert_eq!(
        browser
            .post(&erase_path, &[("csrf", "forged")])
            .await
            .status,
        403
    );
    let (_, view) = app.get_json(&format!("/offers/{offer_id}")).await;
    assert_eq!(view["claims_erased"], false, "nothing erased yet");

    let erased = browser
        .post(&erase_path, &[("csrf", &confirm.csrf())])
        .await;
    assert_eq!(erased.status, 303, "{}", erased.body);
    assert_eq!(erased.location(), page_path);
    let page = browser.get(&page_path).await;
    assert!(page.body.contains("were erased"), "{}", page.body);
    assert!(page.body.contains("ClaimsErased"), "on the timeline");
    assert!(!page.body.contains("customer-to-forget"));
    assert!(!page.body.contains(&format!("href=\"{erase_path}\"")));
    let (_, view) = app.get_json(&format!("/offers/{offer_id}")).await;
    assert_eq!(view["claims_erased"], true, "{view}");
    let again = browser
        .post(&erase_path, &[("csrf", &confirm.csrf())])
        .await;
    assert_eq!(again.status, 409, "as the API: already erased");
    let (_, audit) = app
        .get_json(&format!("/audit?offer_id={offer_id}&type=ClaimsErased"))
        .await;
    assert_eq!(audit["items"][0]["actor"], "admin", "{audit}");
}

backend_test! {
    /// On SQLite and PostgreSQL: the counts are one grouped query of the read store.
    async fn the_offers_list_counts_the_offers_per_status(backend) {
        let app = spawn_app_on(backend).await;
        let first = app.create_offer(&identity_offer()).await;
        app.create_offer(&identity_offer()).await;
        app.create_offer(&identity_offer()).await;
        let id = first["offer_id"].as_str().unwrap();
        let response = app
            .admin(reqwest::Method::DELETE, &format!("/offers/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);

        let mut browser = Browser::new(&app);
        browser.sign_in(READER_KEY).await;
        let list = browser.get("/console/offers?status=REVOKED").await;
        assert_eq!(list.status, 200);
        for count in [
            "all <strong>3</strong>",
            "CREATED <strong>2</strong>",
            "REVOKED <strong>1</strong>",
            "COMPLETED <strong>0</strong>",
        ] {
            assert!(list.body.contains(count), "{count}: {}", list.body);
        }
        assert!(list.body.contains(
            "href=\"/console/offers?status=REVOKED\" class=\"status-REVOKED\" aria-current=\"page\""
        ));
    }
}

backend_test! {
    /// On SQLite and PostgreSQL: the chart is one grouped query of the audit view.
    async fn the_integration_page_shows_health_issuance_and_dead_letters_to_admins(backend) {
        let app = spawn_app_on(backend).await;
        let created = app.create_offer(&identity_offer()).await;
        let token = app.access_token(&created).await;
        let key = HolderKey::es256();
        let reply = app
            .request_credentials(&token, "IdentityCredential", &[&key])
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);

        let mut admin = Browser::new(&app);
        admin.sign_in(ADMIN_KEY).await;
        // The chart counts from the audit view, which follows the log.
        let mut page = admin.get("/console/integration").await;
        for _ in 0..100 {
            if page.body.contains("1 credential issued in the last hour") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            page = admin.get("/console/integration").await;
        }
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("1 credential issued in the last hour"),
            "{}",
            page.body
        );
        assert!(page.body.contains("<svg") && page.body.contains(" UTC: 1 issued</title>"));
        for fact in ["Broker", "Relay lag (events)", "Offer view lag (events)"] {
            assert!(page.body.contains(fact), "{fact}: {}", page.body);
        }
        assert!(page.body.contains("in process (no broker)"));
        assert!(page.body.contains("No dead letter."));

        // Re-queueing needs the token and `admin`, as the API.
        let all = "/console/integration/dead-letters/requeue";
        assert_eq!(admin.post(all, &[]).await.status, 403);
        let requeued = admin.post(all, &[("csrf", &page.csrf())]).await;
        assert_eq!(requeued.status, 303);
        assert_eq!(requeued.location(), "/console/integration?requeued=0");
        let one = format!(
            "/console/integration/dead-letters/{}/requeue",
            uuid::Uuid::new_v4()
        );
        let unknown = admin.post(&one, &[("csrf", &page.csrf())]).await;
        assert_eq!(unknown.status, 404, "as the API: no such dead letter");
        let notice = admin.get("/console/integration?requeued=0").await;
        assert!(notice.body.contains("0 dead letters re-queued"));

        let mut reader = Browser::new(&app);
        reader.sign_in(READER_KEY).await;
        let page = reader.get("/console/integration").await;
        assert_eq!(page.status, 200);
        assert!(page
            .body
            .contains("need a key with the <code>admin</code> scope"));
        assert!(!page.body.contains("dead-letters/requeue"));
        assert!(page.body.contains("credential issued in the last hour"));
        let refused = reader.post(all, &[("csrf", &page.csrf())]).await;
        assert_eq!(refused.status, 403);
    }
}

#[tokio::test]
async fn the_audit_page_shows_the_signed_head_and_exports_what_the_api_exports() {
    let app = spawn_app().await;
    let created = app.create_offer(&identity_offer()).await;
    let offer_id = created["offer_id"].as_str().unwrap().to_string();
    let mut browser = Browser::new(&app);
    browser.sign_in(AUDITOR_KEY).await;
    let page = browser
        .get(&format!("/console/audit?offer_id={offer_id}"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Signed head"), "{}", page.body);
    let (_, head) = app.get_json("/audit/head").await;
    let jws = head["jws"].as_str().unwrap();
    let header = jws.split('.').next().unwrap();
    assert!(page.body.contains(header), "the signed head's JWS is shown");
    let csv = format!("/console/audit/export.csv?offer_id={offer_id}\"");
    assert!(page.body.contains(&csv), "{}", page.body);
    assert!(page.body.contains(&format!(
        "/console/audit/export.ndjson?offer_id={offer_id}\""
    )));

    for (format, accept) in [("csv", "text/csv"), ("ndjson", "application/x-ndjson")] {
        let export = browser
            .get(&format!(
                "/console/audit/export.{format}?offer_id={offer_id}"
            ))
            .await;
        assert_eq!(export.status, 200, "{format}: {}", export.body);
        assert!(export.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment"));
        let api = app
            .admin(
                reqwest::Method::GET,
                &format!("/audit/export?offer_id={offer_id}"),
            )
            .header("accept", accept)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(export.body, api, "{format}: the API's export");
        assert!(export.body.contains(&offer_id));
    }
    let bad = browser.get("/console/audit/export.xml").await;
    assert_eq!(bad.status, 400);

    let mut reader = Browser::new(&app);
    reader.sign_in(READER_KEY).await;
    let refused = reader.get("/console/audit/export.csv").await;
    assert_eq!(refused.status, 403, "audit:read, as the API");
}
