//! Two service instances on one PostgreSQL database, each with its own cache of offer
//! states: a node whose cached state is behind must decide as if it had read the store —
//! neither refusing what the stored state allows nor allowing what it refuses.

use serde_json::json;

use crate::support::wallet::*;
use crate::support::*;

/// Shared by both nodes, as by the nodes of one cluster: tokens of one verify on the other
/// (and so are the signing keys).
const SERVER_SECRET: &str = "c3RhbGUtY2FjaGUtdGVzdC1zZWNyZXQtMzItYnl0ZXM";

/// Two nodes of one cluster on a fresh PostgreSQL database; the first holds the leases.
pub async fn two_nodes() -> (TestApp, TestApp) {
    let first = spawn_app_with(
        TestOptions::on(Backend::Postgres).set("server_secret", json!(SERVER_SECRET)),
    )
    .await;
    // A data directory of its own, with the cluster's signing keys.
    let second_dir = tempfile::tempdir().unwrap();
    crate::support::process::copy_keys(first.data_dir.path(), second_dir.path());
    let second = spawn_app_with(TestOptions {
        database: first.database.clone(),
        data_dir: Some(std::sync::Arc::new(second_dir)),
        ..TestOptions::on(Backend::Postgres).set("server_secret", json!(SERVER_SECRET))
    })
    .await;
    (first, second)
}

/// An offer created on `a` and resolved (so cached) on `b`: its creation response and id.
async fn created_on_and_cached_by(a: &TestApp, b: &TestApp) -> (serde_json::Value, String) {
    let created = a.create_offer(&identity_offer()).await;
    let id = offer_id(&created);
    let resolved = b.wallet_get(&offer_reference_path(&created)).await;
    assert_eq!(resolved.status, 200);
    (created, id)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_with_an_outdated_cached_offer_decides_on_the_stored_one() {
    let (a, b) = two_nodes().await;

    // B caches the offer before redemption; A redeems it; B still issues for A's token.
    let (created, _) = created_on_and_cached_by(&a, &b).await;
    let token = a.access_token(&created).await;
    let reply = b
        .request_credentials(&token, "IdentityCredential", &[&HolderKey::es256()])
        .await;
    assert_eq!(
        reply.status, 200,
        "credential on the other node: {}",
        reply.body
    );

    // B caches another offer; A revokes it; B refuses to redeem it.
    let (created, id) = created_on_and_cached_by(&a, &b).await;
    let revoked = a
        .admin(reqwest::Method::DELETE, &format!("/offers/{id}"))
        .send()
        .await
        .unwrap();
    assert!(
        revoked.status().is_success(),
        "revoke: {}",
        revoked.status()
    );
    b.redeem(&created).await.assert_error(400, "invalid_grant");
    assert!(!b
        .event_types(&id)
        .await
        .contains(&"OfferRedeemed".to_string()));
}
