//! Issuer events on the events exchange: `issuer.<event>` messages inside their published
//! contract (checked by the tap), without the key vault reference, in stream order; the
//! callback queue and the offers' messages are not affected.

use reqwest::Method;
use serde_json::json;

use crate::management_issuers::call;
use crate::support::integration::*;
use crate::support::*;

backend_test! {
    async fn issuer_changes_are_published_as_issuer_messages(backend) {
        let names = AmqpNames::unique();
        let tap = EventTap::start_bound(&names, "issuer.#").await;
        let receiver = CallbackReceiver::start();
        let app = spawn_app_with(names.options(backend, &receiver)).await;

        let body = json!({"id": "acme", "display": [{"name": "ACME", "locale": "en"}]});
        assert_eq!(call(&app, Method::POST, "/issuers", Some(body)).await.0, 201);
        let configuration = json!({
            "format": "dc+sd-jwt",
            "vct": "https://credentials.example.com/identity",
            "claims": [{"path": "given_name", "mandatory": true, "value_type": "string"}],
        });
        let path = "/issuers/acme/credential-configurations/Identity";
        let (status, published) = call(&app, Method::PUT, path, Some(configuration)).await;
        assert_eq!(status, 201, "{published}");
        assert_eq!(call(&app, Method::DELETE, "/issuers/acme", None).await.0, 204);

        // The default issuer's (the configuration file recorded at start) are there too.
        let acme = |m: &Tapped| m.json()["issuer_id"] == "acme";
        let messages = eventually("three issuer messages", std::time::Duration::from_secs(20), || {
            let messages: Vec<Tapped> = tap.messages().into_iter().filter(acme).collect();
            async move { (messages.len() >= 3).then_some(messages) }
        })
        .await;
        let keys: Vec<&str> = messages.iter().map(|m| m.routing_key.as_str()).collect();
        assert_eq!(
            keys,
            ["issuer.created", "issuer.configuration_published", "issuer.retired"]
        );
        let bodies: Vec<serde_json::Value> = messages.iter().map(Tapped::json).collect();
        for (i, body) in bodies.iter().enumerate() {
            assert_eq!(body["issuer_id"], "acme");
            assert_eq!(body["sequence"], i as u64 + 1);
            assert_eq!(body["actor"], "admin");
        }
        assert_eq!(bodies[1]["data"]["configuration_id"], "Identity");
        assert_eq!(bodies[1]["data"]["version"], 1);
        assert!(messages.iter().all(|m| !String::from_utf8_lossy(&m.body).contains("key_ref")));
    }
}
