//! Abuse limits: per-client rate limits on the token and credential endpoints, body sizes.

use serde_json::json;

use crate::support::wallet::*;
use crate::support::*;

backend_test! {
    async fn token_and_credential_requests_beyond_the_rate_get_429(backend) {
        let app = spawn_app_with(
            TestOptions::on(backend)
                .set("limits.wallet_requests_per_second", json!(1))
                .set("limits.wallet_burst", json!(2)),
        )
        .await;
        // Capacity 3 (rate + burst): three requests pass, the fourth is refused.
        for _ in 0..3 {
            let reply = app.token_request(&[("grant_type", "password")]).await;
            reply.assert_error(400, "unsupported_grant_type");
        }
        let limited = app.token_request(&[("grant_type", "password")]).await;
        limited.assert_error(429, "temporarily_unavailable");
        let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=2).contains(&retry_after), "{retry_after}");

        // The credential endpoint shares the client's bucket; the nonce endpoint is not limited.
        let limited = app.credential_request("any-token", &json!({})).await;
        limited.assert_error(429, "temporarily_unavailable");
        for _ in 0..5 {
            app.c_nonce().await;
        }

        // The bucket refills at the configured rate.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let reply = app.token_request(&[("grant_type", "password")]).await;
        reply.assert_error(400, "unsupported_grant_type");
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
