//! `/issuers/{id}/keys` and `/issuers/{id}/jwks`: signing keys generated and imported (JWK,
//! PEM with an `x5c` chain), activated, retired, published; every refusal and the scopes;
//! and no private key material in any answer, in the event log or in the database in
//! plaintext.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use issuance::app::issuers::KeyVault;
use issuance_domain::issuer::{Issuer, IssuerEvent};
use issuance_domain::StoredEvent;
use openssl::asn1::Asn1Time;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::{X509NameBuilder, X509};
use reqwest::Method;
use serde_json::{json, Value};

use crate::management_issuers::{call, call_with, create_issuer};
use crate::support::*;

const KEYS: &str = "/issuers/acme/keys";

fn p256() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

fn pem(key: &PKey<Private>) -> String {
    String::from_utf8(key.private_key_to_pem_pkcs8().unwrap()).unwrap()
}

/// The key as a private JWK (what an institution would import).
fn private_jwk(key: &PKey<Private>) -> Value {
    let private = issuance_credential::PrivateKey::from_pem(&pem(key), None).unwrap();
    serde_json::from_slice(&private.to_private_bytes()).unwrap()
}

/// The base64 of a self-signed certificate for `key`.
fn certificate(key: &PKey<Private>) -> String {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "acme.example").unwrap();
    let name = name.build();
    let mut builder = X509::builder().unwrap();
    builder.set_version(2).unwrap();
    builder.set_subject_name(&name).unwrap();
    builder.set_issuer_name(&name).unwrap();
    builder.set_pubkey(key).unwrap();
    builder
        .set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    builder
        .set_not_after(&Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    builder.sign(key, MessageDigest::sha256()).unwrap();
    STANDARD.encode(builder.build().to_der().unwrap())
}

/// Whether `value` has a member named `d` (a private key's) anywhere.
fn has_private_member(value: &Value) -> bool {
    match value {
        Value::Object(members) => {
            members.contains_key("d") || members.values().any(has_private_member)
        }
        Value::Array(items) => items.iter().any(has_private_member),
        _ => false,
    }
}

fn kids(jwks: &Value) -> Vec<&str> {
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect()
}

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

/// The store's files (SQLite: the whole data directory) or rows (PostgreSQL: the vault
/// table and the events) do not contain `secret` (nor its bytes `raw`), and do contain
/// `stored` (a vault entry's ciphertext: proof that the vault was among what was read).
async fn assert_not_stored(
    app: &TestApp,
    backend: Backend,
    secret: &str,
    raw: &[u8],
    stored: &str,
) {
    match backend {
        Backend::Sqlite => {
            let mut seen = false;
            let mut pending = vec![app.data_dir.path().to_path_buf()];
            while let Some(dir) = pending.pop() {
                for entry in std::fs::read_dir(dir).unwrap() {
                    let path = entry.unwrap().path();
                    if path.is_dir() {
                        pending.push(path);
                        continue;
                    }
                    let bytes = std::fs::read(&path).unwrap();
                    let found = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
                    assert!(
                        !found(secret.as_bytes()),
                        "{} holds a private key",
                        path.display()
                    );
                    assert!(!found(raw), "{} holds a raw private key", path.display());
                    seen |= found(stored.as_bytes());
                }
            }
            assert!(seen, "no file holds the vault entry");
        }
        Backend::Postgres => {
            let client = app.database.as_ref().unwrap().client().await;
            for table in ["issuer_keys", "events"] {
                let row = client
                    .query_one(
                        &format!("SELECT coalesce(string_agg(t::text, ''), '') FROM {table} t"),
                        &[],
                    )
                    .await
                    .unwrap();
                let text: String = row.get(0);
                assert!(!text.contains(secret), "{table} holds a private key");
                if table == "issuer_keys" {
                    assert!(text.contains(stored), "the vault entry was not read");
                }
            }
        }
    }
}

backend_test! {
    async fn keys_are_generated_imported_activated_retired_and_published(backend) {
        let app = spawn_app_on(backend).await;
        create_issuer(&app, "acme").await;
        let config = json!({"vct": "https://acme.example/id", "validity_days": 30,
                            "claims": [{"path": "given_name"}]});
        let (status, _) = call(&app, Method::PUT, "/issuers/acme/credential-configurations/Id",
            Some(config)).await;
        assert_eq!(status, 201);
        let mut answers = Vec::new();

        // Generated: the first key is activated at once.
        let (status, first) = call(&app, Method::POST, KEYS, Some(json!({}))).await;
        assert_eq!(status, 201, "{first}");
        assert_eq!((&first["alg"], &first["status"], &first["origin"]),
            (&json!("ES256"), &json!("active"), &json!("generated")));
        let first_kid = first["kid"].as_str().unwrap().to_string();
        assert_eq!(first["public_jwk"]["kid"], first_kid);
        assert_eq!((&first["public_jwk"]["kty"], &first["public_jwk"]["crv"]),
            (&json!("EC"), &json!("P-256")));
        let (status, second) = call(&app, Method::POST, KEYS, Some(json!({"alg": "ES256"}))).await;
        assert_eq!((status, &second["status"]), (201, &json!("pending")));
        let second_kid = second["kid"].as_str().unwrap().to_string();
        answers.extend([first, second]);

        // Imported from a private JWK and from a PEM with its certificate.
        let jwk_key = p256();
        let jwk = private_jwk(&jwk_key);
        let (status, imported) = call(&app, Method::POST, KEYS, Some(json!({"jwk": jwk}))).await;
        assert_eq!(status, 201, "{imported}");
        assert_eq!((&imported["status"], &imported["origin"]), (&json!("pending"), &json!("imported")));
        let jwk_kid = imported["kid"].as_str().unwrap().to_string();
        assert_eq!(imported["public_jwk"]["x"], jwk["x"]);
        let pem_key = p256();
        let x5c = vec![certificate(&pem_key)];
        let (status, with_chain) = call(&app, Method::POST, KEYS,
            Some(json!({"pem": pem(&pem_key), "x5c": x5c}))).await;
        assert_eq!(status, 201, "{with_chain}");
        assert_eq!(with_chain["certificate_chain"], json!(x5c));
        let pem_kid = with_chain["kid"].as_str().unwrap().to_string();
        // The same key again: 409.
        let (status, error) = call(&app, Method::POST, KEYS, Some(json!({"jwk": jwk}))).await;
        assert_eq!((status, &error["error"]), (409, &json!("key_exists")));
        answers.extend([imported, with_chain]);

        // The JWKS publishes every key, the active one first, the chain as `x5c`.
        let (status, jwks) = call(&app, Method::GET, "/issuers/acme/jwks", None).await;
        assert_eq!(status, 200);
        assert_eq!(kids(&jwks)[0], first_kid);
        assert_eq!(kids(&jwks).len(), 4);
        let published = jwks["keys"].as_array().unwrap();
        let chained = published.iter().find(|k| k["kid"] == pem_kid.as_str()).unwrap();
        assert_eq!(chained["x5c"], json!(x5c));
        answers.push(jwks);

        // Activate another key: the first becomes inactive; the active one cannot retire.
        let (status, active) = call(&app, Method::POST,
            &format!("{KEYS}/{jwk_kid}/activate"), None).await;
        assert_eq!((status, &active["status"]), (200, &json!("active")), "{active}");
        let (status, again) = call(&app, Method::POST,
            &format!("{KEYS}/{jwk_kid}/activate"), None).await;
        assert_eq!((status, &again["status"]), (200, &json!("active")));
        let (status, error) = call(&app, Method::DELETE, &format!("{KEYS}/{jwk_kid}"), None).await;
        assert_eq!((status, &error["error"]), (409, &json!("key_active")));

        // Retire: published for the longest credential validity (30 days), then gone.
        let before = issuance::clock::Clock::now(app.clock.as_ref());
        let (status, retired) = call(&app, Method::DELETE, &format!("{KEYS}/{first_kid}"), None).await;
        assert_eq!((status, &retired["status"]), (200, &json!("retired")), "{retired}");
        let until = time(&retired["published_until"]);
        assert!(until >= before + Duration::days(30) && until <= before + Duration::days(30) + Duration::minutes(1),
            "{retired}");
        let (status, error) = call(&app, Method::DELETE, &format!("{KEYS}/{first_kid}"), None).await;
        assert_eq!((status, &error["error"]), (409, &json!("key_retired")));
        let (status, error) = call(&app, Method::POST, &format!("{KEYS}/{first_kid}/activate"), None).await;
        assert_eq!((status, &error["error"]), (409, &json!("key_retired")));
        let (_, jwks) = call(&app, Method::GET, "/issuers/acme/jwks", None).await;
        assert_eq!(kids(&jwks)[0], jwk_kid);
        assert!(kids(&jwks).contains(&first_kid.as_str()), "still published");
        answers.push(jwks);
        app.clock.advance(Duration::days(31));
        let (_, jwks) = call(&app, Method::GET, "/issuers/acme/jwks", None).await;
        let mut now_published = kids(&jwks);
        now_published.sort();
        let mut expected = vec![second_kid.as_str(), jwk_kid.as_str(), pem_kid.as_str()];
        expected.sort();
        assert_eq!(now_published, expected);

        // The list: every key with its status.
        let (status, list) = call(&app, Method::GET, KEYS, None).await;
        assert_eq!((status, &list["active_kid"]), (200, &json!(jwk_kid)));
        let statuses: std::collections::BTreeMap<&str, &str> = list["items"].as_array().unwrap()
            .iter().map(|k| (k["kid"].as_str().unwrap(), k["status"].as_str().unwrap())).collect();
        assert_eq!(statuses[first_kid.as_str()], "retired");
        assert_eq!(statuses[second_kid.as_str()], "pending");
        assert_eq!(statuses[jwk_kid.as_str()], "active");
        assert_eq!(statuses[pem_kid.as_str()], "pending");
        answers.push(list);
        let (_, issuer) = call(&app, Method::GET, "/issuers/acme", None).await;
        assert_eq!(issuer["active_kid"], json!(jwk_kid));

        // No private key material in any answer, in the log or in the stores.
        let d = jwk["d"].as_str().unwrap();
        for answer in &answers {
            assert!(!has_private_member(answer), "{answer}");
            assert!(!answer.to_string().contains(d));
        }
        let events = app.state.events.read_stream("issuer-acme").await.unwrap();
        let types: Vec<_> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(types, ["IssuerCreated", "ConfigurationPublished", "SigningKeyGenerated",
            "SigningKeyActivated", "SigningKeyGenerated", "SigningKeyImported",
            "SigningKeyImported", "SigningKeyActivated", "SigningKeyRetired"]);
        for event in &events {
            assert!(!has_private_member(&event.payload), "{}", event.payload);
            assert!(!event.payload.to_string().contains(d));
        }

        // The vault opens each key for its issuer: the same key as published.
        let decoded: Vec<_> = events.iter().map(|e| {
            IssuerEvent::decode(&e.event_type, e.event_version, &e.payload).unwrap()
        }).collect();
        let state = Issuer::from_events(&decoded);
        let imported = state.key(&jwk_kid).unwrap();
        let entry = app.state.secrets.vault_entry(&imported.key_ref).await.unwrap().unwrap();
        let raw_d = URL_SAFE_NO_PAD.decode(d).unwrap();
        assert_not_stored(&app, backend, d, &raw_d, &entry.sealed.ciphertext).await;
        let vault = KeyVault::new(app.state.secrets.clone(), &app.state.server_secret);
        let issuer_id = state.issuer_id.clone().unwrap();
        for key in state.keys.values() {
            let entry = app.state.secrets.vault_entry(&key.key_ref).await.unwrap().unwrap();
            assert!(!entry.sealed.ciphertext.contains(d));
            let private = vault.private_key(&issuer_id, key).await.unwrap();
            assert_eq!(private.signing_key().kid(), key.kid);
        }
    }
}

backend_test! {
    async fn unusable_keys_unknown_kids_and_retired_issuers_are_refused(backend) {
        let app = spawn_app_on(backend).await;
        create_issuer(&app, "acme").await;
        let mut public = private_jwk(&p256());
        public.as_object_mut().unwrap().remove("d");
        let key = p256();
        let public_pem = String::from_utf8(key.public_key_to_pem().unwrap()).unwrap();
        let mut es384 = private_jwk(&key);
        es384["alg"] = json!("ES384");
        for body in [
            json!({"jwk": public}),
            json!({"pem": public_pem}),
            json!({"pem": "not a key"}),
            json!({"jwk": es384}),
            json!({"jwk": "not a jwk"}),
            json!({"alg": "EdDSA"}),
            json!({"pem": pem(&key), "x5c": [certificate(&p256())]}),
            json!({"pem": pem(&key), "x5c": ["bm90IGEgY2VydGlmaWNhdGU="]}),
            json!({"pem": pem(&key), "x5c": []}),
            json!({"x5c": [certificate(&key)]}),
        ] {
            let (status, error) = call(&app, Method::POST, KEYS, Some(body.clone())).await;
            assert_eq!((status, &error["error"]), (400, &json!("invalid_key")), "{body} {error}");
            assert!(!error.to_string().contains(&pem(&key)));
        }
        for body in [json!({"jwk": private_jwk(&key), "pem": pem(&key)}), json!({"kid": "x"})] {
            let (status, error) = call(&app, Method::POST, KEYS, Some(body.clone())).await;
            assert_eq!((status, &error["error"]), (400, &json!("invalid_request")), "{body}");
        }
        // Nothing refused was written.
        assert_eq!(app.state.events.read_stream("issuer-acme").await.unwrap().len(), 1);

        // Unknown issuers and kids: 404.
        let (status, _) = call(&app, Method::POST, KEYS, Some(json!({}))).await;
        assert_eq!(status, 201);
        for (method, path) in [
            (Method::POST, "/issuers/nobody/keys"),
            (Method::GET, "/issuers/nobody/keys"),
            (Method::GET, "/issuers/nobody/jwks"),
            (Method::POST, "/issuers/nobody/keys/k/activate"),
            (Method::DELETE, "/issuers/nobody/keys/k"),
            (Method::POST, "/issuers/acme/keys/unknown/activate"),
            (Method::DELETE, "/issuers/acme/keys/unknown"),
        ] {
            let body = (method == Method::POST).then(|| json!({}));
            let (status, error) = call(&app, method.clone(), path, body).await;
            assert_eq!((status, &error["error"]), (404, &json!("not_found")), "{method} {path}");
        }

        // A retired issuer takes no key changes; its keys stay readable and published.
        let (_, list) = call(&app, Method::GET, KEYS, None).await;
        let kid = list["active_kid"].as_str().unwrap().to_string();
        let (status, _) = call(&app, Method::DELETE, "/issuers/acme", None).await;
        assert_eq!(status, 204);
        for (method, path) in [
            (Method::POST, KEYS.to_string()),
            (Method::POST, format!("{KEYS}/{kid}/activate")),
            (Method::DELETE, format!("{KEYS}/{kid}")),
        ] {
            let body = (method == Method::POST).then(|| json!({}));
            let (status, error) = call(&app, method.clone(), &path, body).await;
            assert_eq!((status, &error["error"]), (409, &json!("issuer_retired")), "{method} {path}");
        }
        let (status, jwks) = call(&app, Method::GET, "/issuers/acme/jwks", None).await;
        assert_eq!((status, kids(&jwks)), (200, vec![kid.as_str()]));
    }
}

backend_test! {
    async fn key_routes_need_the_issuer_scopes(backend) {
        let app = spawn_app_on(backend).await;
        create_issuer(&app, "acme").await;
        let (_, key) = call(&app, Method::POST, KEYS, Some(json!({}))).await;
        let kid = key["kid"].as_str().unwrap();
        let reads = [KEYS.to_string(), "/issuers/acme/jwks".to_string()];
        let writes = [
            (Method::POST, KEYS.to_string(), json!({})),
            (Method::POST, format!("{KEYS}/{kid}/activate"), Value::Null),
            (Method::DELETE, format!("{KEYS}/{kid}"), Value::Null),
        ];
        for key in [READER_KEY, WRITER_KEY, AUDITOR_KEY] {
            for path in &reads {
                let (status, _) = call_with(&app, key, Method::GET, path, None).await;
                assert_eq!(status, 403, "{path}");
            }
            for (method, path, body) in &writes {
                let (status, _) = call_with(&app, key, method.clone(), path, Some(body.clone())).await;
                assert_eq!(status, 403, "{method} {path}");
            }
        }
        for path in &reads {
            let (status, _) = call_with(&app, ISSUER_READER_KEY, Method::GET, path, None).await;
            assert_eq!(status, 200, "{path}");
        }
        for (method, path, body) in &writes {
            let (status, error) =
                call_with(&app, ISSUER_READER_KEY, method.clone(), path, Some(body.clone())).await;
            assert_eq!((status, &error["error"]), (403, &json!("insufficient_scope")), "{method} {path}");
        }
        // Three events: created, the key generated and activated.
        assert_eq!(app.state.events.read_stream("issuer-acme").await.unwrap().len(), 3);
    }
}
