//! The console's issuers pages, as a key without `issuers:write` sees them: the configuration file's credential
//! configurations (`offers:read` or `offers:write`, as `GET /credential-configurations`)
//! and the issuers managed at runtime with their keys and configuration versions
//! (`issuers:read`, as `GET /issuers`), each shown only to the keys the API would answer.

use crate::console::Browser;
use crate::issuer_wallets::ready_issuer;
use crate::support::{spawn_app, ADMIN_KEY, AUDITOR_KEY, ISSUER_READER_KEY, READER_KEY};

#[tokio::test]
async fn issuers_and_their_configurations_are_shown_read_only_by_scope() {
    let app = spawn_app().await;
    ready_issuer(&app, "acme", "https://acme.example/id").await;
    let (_, api) = app.get_json("/issuers/acme").await;
    let kid = api["active_kid"].as_str().unwrap().to_string();

    let mut admin = Browser::new(&app);
    admin.sign_in(ADMIN_KEY).await;
    let list = admin.get("/console/issuers").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        list.body.contains("IdentityCredential"),
        "the file's configurations"
    );
    assert!(list.body.contains("href=\"/console/issuers/acme\""));
    assert!(list.body.contains("Id v1"), "{}", list.body);
    assert!(
        list.body.contains("id=\"new-issuer\""),
        "issuers:write's form"
    );
    let page = admin.get("/console/issuers/acme").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&kid), "the active key");
    assert!(
        page.body.contains("https://acme.example/id"),
        "the configuration's type"
    );
    assert!(
        page.body.contains(" UTC by admin"),
        "when and by whom it was published"
    );
    assert!(
        !page.body.contains("\"d\""),
        "no private key: {}",
        page.body
    );
    let default = admin.get("/console/issuers/default").await;
    assert_eq!(default.status, 200, "{}", default.body);
    assert!(default.body.contains("IdentityCredential"));
    let unknown = admin.get("/console/issuers/nope").await;
    assert_eq!(unknown.status, 404);

    let mut reader = Browser::new(&app);
    reader.sign_in(READER_KEY).await;
    let list = reader.get("/console/issuers").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("IdentityCredential"));
    assert!(list
        .body
        .contains("need a key with <code>issuers:read</code>"));
    assert!(list.body.contains("id=\"default-configurations\""));
    assert!(!list.body.contains("/console/issuers/acme"));
    assert_eq!(reader.get("/console/issuers/acme").await.status, 403);

    let mut issuer_reader = Browser::new(&app);
    issuer_reader.sign_in(ISSUER_READER_KEY).await;
    let list = issuer_reader.get("/console/issuers").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("/console/issuers/acme"));
    assert!(
        !list.body.contains("id=\"default-configurations\""),
        "no offers scope: {}",
        list.body
    );
    assert!(!list
        .body
        .contains("<form method=\"post\" action=\"/console/issuers"));
    let page = issuer_reader.get("/console/issuers/acme").await;
    assert_eq!(page.status, 200);
    assert!(!page
        .body
        .contains("<form method=\"post\" action=\"/console/issuers"));

    let mut auditor = Browser::new(&app);
    auditor.sign_in(AUDITOR_KEY).await;
    assert_eq!(auditor.get("/console/issuers").await.status, 403);
}
