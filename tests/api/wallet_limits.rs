//! Abuse limits: per-client rate limits of the wallet endpoints (on by default, per
//! endpoint, by the client a trusted proxy names), body sizes.

use serde_json::json;

use crate::support::authcode::*;
use crate::support::wallet::*;
use crate::support::*;

/// One request to a limited endpoint, as an anonymous client would make it.
async fn hit(app: &TestApp, endpoint: &str, forwarded_for: Option<&str>) -> Reply {
    let url = format!("{}{endpoint}", app.wallet);
    let mut request = match endpoint {
        "/authorize" => app.client.get(&url).query(&[("client_id", CLIENT_ID)]),
        "/credential-offers/x" => app.client.get(&url),
        "/token" | "/par" => app.client.post(&url).form(&[("grant_type", "password")]),
        "/nonce" => app.client.post(&url),
        _ => app
            .client
            .post(&url)
            .bearer_auth("not-a-token")
            .json(&json!({})),
    };
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    Reply::from_response(request.send().await.unwrap()).await
}

const LIMITED: [&str; 7] = [
    "/token",
    "/credential",
    "/nonce",
    "/par",
    "/authorize",
    "/notification",
    "/credential-offers/x",
];

fn assert_limited(reply: &Reply) {
    reply.assert_error(429, "temporarily_unavailable");
    let retry_after: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!(retry_after >= 1, "{retry_after}");
}

#[tokio::test]
async fn every_wallet_endpoint_is_rate_limited_by_default() {
    // The shipped defaults, untouched.
    let app = spawn_app_with(with_authcode(TestOptions::default()).with_rate_limits()).await;
    let defaults = issuance::config::RateLimits::default();
    assert!(app.state.settings.limits.rates.enabled);
    assert_eq!(app.state.settings.limits.rates, defaults);
    for endpoint in LIMITED {
        // A client that keeps asking meets its budget within a burst or so (the budget
        // refills meanwhile by one request per second or less).
        let mut limited = None;
        for _ in 0..200 {
            let reply = hit(&app, endpoint, None).await;
            if reply.status == 429 {
                limited = Some(reply);
                break;
            }
        }
        let reply = limited.unwrap_or_else(|| panic!("{endpoint} was never limited"));
        assert_limited(&reply);
    }
    // Metadata is never limited.
    for _ in 0..50 {
        let reply = app
            .wallet_get("/.well-known/openid-credential-issuer")
            .await;
        assert_eq!(reply.status, 200);
    }
}

#[tokio::test]
async fn each_endpoint_has_its_own_configurable_budget() {
    let budget = json!({"per_minute": 6, "burst": 2});
    let mut options = with_authcode(TestOptions::default()).with_rate_limits();
    for name in [
        "token",
        "credential",
        "nonce",
        "par",
        "authorize",
        "notification",
        "credential_offers",
    ] {
        options = options.set(&format!("limits.rates.{name}"), budget.clone());
    }
    let app = spawn_app_with(options).await;
    for endpoint in LIMITED {
        // Two pass (whatever the endpoint answers them), the third is refused.
        for _ in 0..2 {
            let reply = hit(&app, endpoint, None).await;
            assert_ne!(reply.status, 429, "{endpoint}: {}", reply.body);
        }
        let limited = hit(&app, endpoint, None).await;
        assert_limited(&limited);
        // 6 per minute: the next request is due in 10 s.
        let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
        assert!((9..=10).contains(&retry_after), "{endpoint}: {retry_after}");
    }
}

#[tokio::test]
async fn the_off_switch_turns_every_limit_off() {
    let app = spawn_app_with(
        TestOptions::default()
            .with_rate_limits()
            .set("limits.rates.token", json!({"per_minute": 1, "burst": 1}))
            .set("limits.rates.enabled", json!(false)),
    )
    .await;
    for _ in 0..30 {
        let reply = hit(&app, "/token", None).await;
        reply.assert_error(400, "unsupported_grant_type");
    }
}

#[tokio::test]
async fn forwarding_headers_name_the_client_only_behind_a_trusted_proxy() {
    let token = json!({"per_minute": 1, "burst": 1});
    // Not trusted: every claimed address is the same client, the peer.
    let direct = spawn_app_with(
        TestOptions::default()
            .with_rate_limits()
            .set("limits.rates.token", token.clone()),
    )
    .await;
    assert_ne!(
        hit(&direct, "/token", Some("203.0.113.1")).await.status,
        429
    );
    assert_limited(&hit(&direct, "/token", Some("203.0.113.2")).await);

    // Behind a trusted proxy (the test client's loopback address), the forwarded address
    // is the client: each has its own budget, and a forged first hop changes nothing.
    let proxied = spawn_app_with(
        TestOptions::default()
            .with_rate_limits()
            .set("limits.rates.token", token)
            .set("limits.trusted_proxies", json!(["127.0.0.0/8"])),
    )
    .await;
    assert_ne!(
        hit(&proxied, "/token", Some("203.0.113.1")).await.status,
        429
    );
    assert_limited(&hit(&proxied, "/token", Some("198.51.100.9, 203.0.113.1")).await);
    assert_ne!(
        hit(&proxied, "/token", Some("203.0.113.2")).await.status,
        429
    );
    // `Forwarded` (RFC 7239) names the same client as the X-Forwarded-For before.
    let forwarded = proxied
        .client
        .post(format!("{}/token", proxied.wallet))
        .header("forwarded", "for=198.51.100.9, for=\"203.0.113.2:4711\"")
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_limited(&Reply::from_response(forwarded).await);
    // The proxy's own requests are its own client.
    assert_ne!(hit(&proxied, "/token", None).await.status, 429);
}

#[tokio::test]
async fn a_wallet_with_several_credentials_stays_within_the_defaults() {
    // One wallet, three offers in a row (e.g. a family's credentials on one phone): offer,
    // token, nonce, a batch credential request and a notification each.
    let app = spawn_app_with(TestOptions::default().with_rate_limits()).await;
    let keys: Vec<HolderKey> = (0..10).map(|_| HolderKey::es256()).collect();
    let key_refs: Vec<&HolderKey> = keys.iter().collect();
    for _ in 0..3 {
        let created = app.create_offer(&identity_offer()).await;
        let offer = app.wallet_get(&offer_reference_path(&created)).await;
        assert_eq!(offer.status, 200, "{}", offer.body);
        let token = app.access_token(&created).await;
        let issued = app
            .request_credentials(&token, "IdentityCredential", &key_refs)
            .await;
        assert_eq!(issued.status, 200, "{}", issued.body);
        assert_eq!(issued.body["credentials"].as_array().unwrap().len(), 10);
        let notification_id = issued.body["notification_id"].as_str().unwrap();
        let notified = app
            .notification_request(
                &token,
                &json!({"notification_id": notification_id, "event": "credential_accepted"}),
            )
            .await;
        assert_eq!(notified.status, 204, "{}", notified.body);
    }
}

backend_test! {
    async fn oversized_bodies_are_refused_with_400(backend) {
        let app =
            spawn_app_with(TestOptions::on(backend).set("limits.max_body_bytes", json!(2048))).await;
        let big = "x".repeat(4096);
        app.token_request(&[
            ("grant_type", PRE_AUTHORIZED),
            ("pre-authorized_code", &big),
        ])
        .await
        .assert_error(400, "invalid_request");
        app.credential_request("any-token", &json!({"credential_configuration_id": big}))
            .await
            .assert_error(401, "invalid_token");
        let created = app.create_offer(&identity_offer()).await;
        let token = app.access_token(&created).await;
        app.credential_request(&token, &json!({"credential_configuration_id": big}))
            .await
            .assert_error(400, "invalid_credential_request");
    }
}

#[tokio::test]
async fn the_recorded_client_address_is_the_one_the_trusted_proxy_names() {
    let app = spawn_app_with(
        TestOptions::default()
            .set("record_client_ip", json!(true))
            .set("limits.trusted_proxies", json!(["127.0.0.1"])),
    )
    .await;
    let mut body = identity_offer();
    body["single_use"] = json!(false);
    let created = app.create_offer(&body).await;
    let code = pre_authorized_code(&created);
    let tx = tx_code(&created);
    for forwarded in ["203.0.113.5", "198.51.100.1, 203.0.113.6"] {
        let response = app
            .client
            .post(format!("{}/token", app.wallet))
            .header("x-forwarded-for", forwarded)
            .form(&[
                ("grant_type", PRE_AUTHORIZED),
                ("pre-authorized_code", code.as_str()),
                ("tx_code", tx.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let events = app
        .state
        .events
        .read_all(issuance_eventlog::LogPosition::START, 100)
        .await
        .unwrap();
    let addresses: Vec<Option<&str>> = events
        .iter()
        .filter(|e| e.event_type == "OfferRedeemed")
        .map(|e| e.metadata.client_ip.as_deref())
        .collect();
    assert_eq!(addresses, [Some("203.0.113.5"), Some("203.0.113.6")]);
}
