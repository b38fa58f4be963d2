//! Tamper evidence: edits to stored entries are found by verification at their position,
//! and a signed head — verifiable with nothing but the issuer's JWKS — exposes even a
//! rewrite that re-hashed the whole chain. Each test edits the rows of its backend's
//! tables directly (SQLite files or the PostgreSQL schema), as an intruder would.

use issuance::readstore::AuditQuery;
use josekit::jwk::Jwk;
use josekit::jws::ES256;
use reqwest::Method;
use serde_json::Value;

use crate::audit_support::*;
use crate::support::*;

/// A few offers and a revocation: a short chain.
async fn some_history(app: &TestApp) {
    for n in 0..3 {
        let created = create_offer_as(app, &identity_offer(), &format!("req-{n}")).await;
        if n == 1 {
            let response = app
                .admin(Method::DELETE, &format!("/offers/{}", offer_id(&created)))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 204);
        }
    }
    // The revoked offer's erasure by the retention policy.
    for _ in 0..200 {
        wait_for_projections(app).await;
        if !audit_entries(app, "type=ClaimsErased", 10).await.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    wait_for_projections(app).await;
}

backend_test! {
    async fn tampering_with_one_stored_entry_is_detected_at_its_position(backend) {
        // Arrange
        let app = spawn_app_on(backend).await;
        some_history(&app).await;
        let entries = audit_entries(&app, "", 500).await;
        let report = verify(&app, "").await;
        assert_eq!(report["valid"], true, "{report}");
        assert_eq!(report["entries"], entries.len());
        assert_eq!(report["head"]["hash"], entries.last().unwrap()["hash"]);
        let cli = |args: &[&str]| run_cli(app.data_dir.path(), app.database.as_deref(), args);
        let (ok, stdout, stderr) = cli(&["audit", "verify"]);
        assert!(ok, "{stdout}\n{stderr}");

        // Act: someone with write access to the read store edits entry 3's actor.
        let edit = "UPDATE audit_entries SET actor = 'mallory' WHERE position = 3";
        assert_eq!(tamper_read_store(&app, edit).await, 1);

        // Assert: the API and the CLI both name position 3.
        let report = verify(&app, "").await;
        assert_eq!(report["valid"], false, "{report}");
        assert_eq!(report["first_broken_position"], 3);
        assert_eq!(report["problem"], "hash_mismatch");
        assert_eq!(report["entries"], 2);
        let (ok, stdout, stderr) = cli(&["audit", "verify"]);
        assert!(!ok, "a broken chain must fail the command");
        assert!(stdout.contains("\"first_broken_position\":3"), "{stdout}");
        assert!(stderr.contains("broken at position 3"), "{stderr}");

        // Undoing the edit restores the chain; deleting an entry is found where it was.
        let actor = entries[2]["actor"].as_str().unwrap();
        let undo = format!("UPDATE audit_entries SET actor = '{actor}' WHERE position = 3");
        assert_eq!(tamper_read_store(&app, &undo).await, 1);
        assert_eq!(verify(&app, "").await["valid"], true);
        let delete = "DELETE FROM audit_entries WHERE position = 4";
        assert_eq!(tamper_read_store(&app, delete).await, 1);
        let report = verify(&app, "").await;
        assert_eq!(report["first_broken_position"], 4, "{report}");
        assert_eq!(report["problem"], "missing_entry");
    }
}

/// Verifies a compact JWS with the JWKS alone, as an auditor outside the service would.
fn verify_with_jwks(jws: &str, jwks: &Value) -> (Value, Value) {
    use base64::Engine;
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(jws.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the head's kid is in the JWKS");
    let jwk = Jwk::from_map(key.as_object().unwrap().clone()).unwrap();
    let verifier = ES256.verifier_from_jwk(&jwk).unwrap();
    let (payload, _) = josekit::jws::deserialize_compact(jws, &verifier).unwrap();
    (header, serde_json::from_slice(&payload).unwrap())
}

backend_test! {
    async fn a_signed_head_verifies_with_the_jwks_and_exposes_a_rewritten_chain(backend) {
        // Arrange
        let app = spawn_app_on(backend).await;
        some_history(&app).await;
        let entries = audit_entries(&app, "", 500).await;
        let last = entries.last().unwrap();

        // Act
        let response = app
            .with_key(Method::GET, "/audit/head", AUDITOR_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let head: Value = response.json().await.unwrap();
        let jws = head["jws"].as_str().unwrap();

        // Assert: the JWKS alone verifies it, and it names the chain's last entry.
        let (header, claims) = verify_with_jwks(jws, app.state.issuer_keys.jwks());
        assert_eq!(header["typ"], "audit-head+jwt");
        assert_eq!(header["alg"], "ES256");
        assert_eq!(claims["position"], last["position"]);
        assert_eq!(claims["hash"], last["hash"]);
        assert_eq!(claims["iss"], app.wallet);
        assert_eq!(claims["chain"], "issuance-audit-v1");
        assert_eq!(head["position"], last["position"]);
        let signed = format!("?signed_head={jws}");
        assert_eq!(verify(&app, &signed).await["valid"], true);

        // A consistent rewrite — entry 2 changed, every later hash recomputed — passes the
        // plain verification but not the check against the signed head.
        let mut chain = app
            .state
            .audit
            .audit_entries(AuditQuery {
                limit: 500,
                ..Default::default()
            })
            .await
            .unwrap()
            .entries;
        chain[1].summary = "Nothing happened".into();
        for index in 1..chain.len() {
            chain[index].prev_hash = chain[index - 1].hash.clone();
            chain[index].hash = chain[index].expected_hash().unwrap();
        }
        for entry in &chain[1..] {
            // A literal in standard SQL (both backends): quotes doubled; hashes are hex.
            let rewrite = format!(
                "UPDATE audit_entries SET summary = '{}', prev_hash = '{}', hash = '{}' WHERE position = {}",
                entry.summary.replace('\'', "''"),
                entry.prev_hash,
                entry.hash,
                entry.position
            );
            assert_eq!(tamper_read_store(&app, &rewrite).await, 1);
        }
        assert_eq!(
            verify(&app, "").await["valid"],
            true,
            "the rewrite is consistent"
        );
        let report = verify(&app, &signed).await;
        assert_eq!(report["valid"], false, "{report}");
        assert_eq!(report["problem"], "signed_head_mismatch");
        assert_eq!(report["first_broken_position"], last["position"]);

        // A chain cut short is named too: against the signed head, and against the
        // projector's checkpoint even without one.
        let cut = last["position"].as_u64().unwrap() - 1;
        let cut_off = format!("DELETE FROM audit_entries WHERE position >= {cut}");
        assert!(tamper_read_store(&app, &cut_off).await >= 1);
        for query in [signed.as_str(), ""] {
            let report = verify(&app, query).await;
            assert_eq!(report["problem"], "truncated", "{report}");
            assert_eq!(report["first_broken_position"], cut, "{report}");
        }

        // A head that is not the issuer's is refused.
        let foreign = issuance_credential::IssuerKeys::ephemeral()
            .unwrap()
            .sign_compact_jws("audit-head+jwt", &claims)
            .unwrap();
        let response = app
            .with_key(
                Method::GET,
                &format!("/audit/verify?signed_head={foreign}"),
                AUDITOR_KEY,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "invalid_signed_head"
        );
    }
}

backend_test! {
    async fn a_rewritten_event_log_no_longer_matches_the_audit_view(backend) {
        // Arrange
        let app = spawn_app_on(backend).await;
        let startup = app.startup_events().await;
        some_history(&app).await;
        assert_eq!(verify(&app, "?against_log=true").await["valid"], true);

        // Act: someone with write access to the event store changes who created the first offer.
        let changed = tamper_event_store(
            &app,
            "UPDATE events SET metadata = replace(metadata, '\"actor\":\"admin\"', '\"actor\":\"writer\"') \
         WHERE position = (SELECT min(position) FROM events WHERE stream_id LIKE 'offer-%')",
            "UPDATE events SET metadata = jsonb_set(metadata, '{actor}', '\"writer\"') \
         WHERE global_position = (SELECT min(global_position) FROM events WHERE stream_id LIKE 'offer-%')",
        )
        .await;
        assert_eq!(changed, 1);

        // Assert: the audit view still verifies on its own, but not against the log.
        assert_eq!(verify(&app, "").await["valid"], true);
        let report = verify(&app, "?against_log=true").await;
        assert_eq!(report["valid"], false, "{report}");
        assert_eq!(report["problem"], "differs_from_log");
        assert_eq!(report["first_broken_position"], startup + 1);
        let (ok, stdout, _) = run_cli(
            app.data_dir.path(),
            app.database.as_deref(),
            &["audit", "verify", "--against-log"],
        );
        assert!(!ok);
        assert!(stdout.contains("differs_from_log"), "{stdout}");
    }
}
