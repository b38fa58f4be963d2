//! Helpers of the audit and erasure tests: wallet-side commands through the repository
//! (the wallet API is built elsewhere), waiting for the audit projection, reading the
//! audit view over HTTP, and the raw contents of the stores (SQLite files, PostgreSQL
//! tables).

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use issuance::app::offers::{CommandError, CommandMeta, Executed};
use issuance::crypto::codes;
use issuance_domain::offer::{
    ChangeCredentialStatus, IssueCredentials, NewCredential, NewRedemption, NotificationEvent,
    OfferCommand, OfferEvent, PresentedGrant, RecordNotification, RedeemOffer, RevokeRedemption,
    StatusEntry, REVOCATION_AUTHORIZATION_CODE_REPLAYED,
};
use issuance_domain::status_list::{StatusAction, StatusBits};
use issuance_domain::Digest;
use reqwest::Method;
use serde_json::Value;
use uuid::Uuid;

use crate::support::openapi::checked;
use crate::support::*;
use issuance::contracts::openapi::Api;

/// The holder key thumbprint the simulated wallet presents.
pub const HOLDER: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

/// Metadata of a wallet request.
pub fn wallet_meta(request_id: &str) -> CommandMeta {
    CommandMeta {
        actor: "wallet".into(),
        request_id: Some(request_id.into()),
        client_ip: None,
    }
}

/// Metadata of a management request by the admin key.
pub fn admin_meta(request_id: &str) -> CommandMeta {
    CommandMeta {
        actor: "admin".into(),
        ..wallet_meta(request_id)
    }
}

/// The offer id of a creation response.
pub fn offer_id(created: &Value) -> Uuid {
    Uuid::parse_str(created["offer_id"].as_str().unwrap()).unwrap()
}

/// Creates an offer with the admin key under `request_id`.
pub async fn create_offer_as(app: &TestApp, body: &Value, request_id: &str) -> Value {
    let response = app
        .admin(Method::POST, "/offers")
        .header("X-Request-Id", request_id)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["x-request-id"], request_id);
    checked(Api::Management, "POST", "/offers", response)
        .await
        .1
}

/// A wallet's access token for an offer, once redeemed.
#[derive(Debug, Clone, Copy)]
pub struct Token {
    /// The redemption.
    pub redemption_id: Uuid,
    /// Hash of the token.
    pub token_hash: Digest,
}

/// Redeems the pre-authorized code of `created`, presenting `tx_code`.
pub async fn redeem(
    app: &TestApp,
    created: &Value,
    tx_code: Option<&str>,
    request_id: &str,
) -> (Result<Executed, CommandError>, Token) {
    let id = offer_id(created);
    let code = created["credential_offer"]["grants"]
        ["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
        .as_str()
        .unwrap()
        .to_string();
    let token = Token {
        redemption_id: Uuid::new_v4(),
        token_hash: codes::code_hash(&Uuid::new_v4().to_string()),
    };
    let tx_code_hash = tx_code.map(|tx| codes::tx_code_hash(&app.state.server_secret, id, tx));
    let result = app
        .state
        .offers
        .execute(id, &wallet_meta(request_id), |_, now| {
            OfferCommand::Redeem(RedeemOffer {
                issuer_id: None,
                now,
                grant: PresentedGrant::PreAuthorizedCode {
                    code_hash: codes::code_hash(&code),
                    tx_code_hash,
                },
                redemption: NewRedemption {
                    redemption_id: token.redemption_id,
                    token_hash: token.token_hash,
                    token_expires_at: now + chrono::Duration::minutes(10),
                    requested_configuration_ids: None,
                    client_id: None,
                    dpop_jkt: None,
                    attested_wallet: None,
                },
                max_redemptions: 10_000,
            })
        })
        .await;
    (result, token)
}

/// A transaction code that is not the offer's.
pub fn wrong_tx_code(created: &Value) -> String {
    let right = created["tx_code_value"].as_str().unwrap();
    if right == "000000" {
        "111111"
    } else {
        "000000"
    }
    .to_string()
}

/// Issues `configuration` under `token` with notification id `n-1`.
pub async fn issue(
    app: &TestApp,
    offer: Uuid,
    token: Token,
    configuration: &str,
    request_id: &str,
) -> Result<Executed, CommandError> {
    let sealed = crate::support::integration::sealed_thumbprint(app, offer, HOLDER).await;
    app.state
        .offers
        .execute(offer, &wallet_meta(request_id), |_, now| {
            OfferCommand::IssueCredentials(IssueCredentials {
                issuer_id: None,
                now,
                redemption_id: token.redemption_id,
                token_hash: token.token_hash,
                dpop_jkt: None,
                credential_configuration_id: configuration.into(),
                notification_id: "n-1".into(),
                credentials: vec![NewCredential {
                    credential_id: Uuid::new_v4(),
                    sealed_holder_key_thumbprint: sealed.clone(),
                    credential_hash: Digest([9; 32]),
                    credential_expires_at: now + chrono::Duration::days(365),
                    status: Some(StatusEntry {
                        list_id: Uuid::from_u128(0x5151),
                        idx: 7,
                    }),
                }],
            })
        })
        .await
}

/// Records the wallet's `credential_accepted` notification.
pub async fn notify(app: &TestApp, offer: Uuid, token: Token, request_id: &str) {
    app.state
        .offers
        .execute(offer, &wallet_meta(request_id), |_, _| {
            OfferCommand::RecordNotification(RecordNotification {
                redemption_id: token.redemption_id,
                token_hash: token.token_hash,
                dpop_jkt: None,
                notification_id: "n-1".into(),
                event: NotificationEvent::CredentialAccepted,
                event_description: None,
            })
        })
        .await
        .unwrap();
}

/// Waits until both projections have applied every event in the log.
pub async fn wait_for_projections(app: &TestApp) {
    let head = app.written_head().await;
    for progress in [&app.state.audit_progress, &app.state.offer_view_progress] {
        assert!(
            progress.wait_for(head, Duration::from_secs(60)).await,
            "projection did not reach {head:?}"
        );
    }
}

/// Every audit entry matching `filters` (a query string without `limit`/`cursor`), read in
/// pages of `page_size`.
pub async fn audit_entries(app: &TestApp, filters: &str, page_size: usize) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/audit?limit={page_size}");
        if !filters.is_empty() {
            path.push('&');
            path.push_str(filters);
        }
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let response = app
            .with_key(Method::GET, &path, AUDITOR_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let (_, page) = checked(Api::Management, "GET", &path, response).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= page_size);
        entries.extend(items.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return entries,
        }
    }
}

/// `GET /audit/verify` as the auditor.
pub async fn verify(app: &TestApp, query: &str) -> Value {
    let response = app
        .with_key(Method::GET, &format!("/audit/verify{query}"), AUDITOR_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    checked(Api::Management, "GET", "/audit/verify", response)
        .await
        .1
}

/// An entry's `occurred_at`.
pub fn occurred_at(entry: &Value) -> DateTime<Utc> {
    entry["occurred_at"].as_str().unwrap().parse().unwrap()
}

/// Runs `sql` (no parameters, the same text on both backends) in the read store of `app`,
/// as someone with write access to it would; returns the rows changed.
pub async fn tamper_read_store(app: &TestApp, sql: &str) -> u64 {
    match &app.database {
        Some(database) => database.client().await.execute(sql, &[]).await.unwrap(),
        None => rusqlite::Connection::open(app.data_dir.path().join("views.db"))
            .unwrap()
            .execute(sql, [])
            .unwrap() as u64,
    }
}

/// Runs `sqlite` or `postgres` (no parameters) in the event store of `app`; returns the
/// rows changed.
pub async fn tamper_event_store(app: &TestApp, sqlite: &str, postgres: &str) -> u64 {
    match &app.database {
        Some(database) => database
            .client()
            .await
            .execute(postgres, &[])
            .await
            .unwrap(),
        None => rusqlite::Connection::open(app.data_dir.path().join("events.db"))
            .unwrap()
            .execute(sqlite, [])
            .unwrap() as u64,
    }
}

/// Everything the stores of `app` hold, as (place, bytes): on SQLite every file of the data
/// directory (databases, WAL and shared-memory files included); on PostgreSQL every row of
/// every table in the test's schema, each row as PostgreSQL's text form (all columns:
/// text, `jsonb`, and `bytea` as hex), plus every file of the data directory.
pub async fn stored_data(app: &TestApp) -> Vec<(String, Vec<u8>)> {
    stored_data_of(app.data_dir.path(), app.database.as_deref()).await
}

/// [`stored_data`] of a data directory and PostgreSQL schema (a stopped app's, too).
pub async fn stored_data_of(
    data_dir: &Path,
    database: Option<&TestDatabase>,
) -> Vec<(String, Vec<u8>)> {
    let mut places: Vec<(String, Vec<u8>)> = files_under(data_dir)
        .into_iter()
        // A file may go between listing and reading (SQLite's journal, a key's temporary
        // file renamed into place): what is gone holds nothing.
        .filter_map(|file| match std::fs::read(&file) {
            Ok(bytes) => Some((file.display().to_string(), bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => panic!("cannot read {}: {e}", file.display()),
        })
        .collect();
    if let Some(database) = database {
        let client = database.client().await;
        let tables = client
            .query(
                "SELECT tablename FROM pg_tables WHERE schemaname = $1",
                &[&database.schema()],
            )
            .await
            .unwrap();
        assert!(tables.len() > 5, "the schema's tables: {}", tables.len());
        for table in tables {
            let name: String = table.get(0);
            let rows = client
                .query(&format!("SELECT t::text FROM {name} t"), &[])
                .await
                .unwrap();
            let text: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
            places.push((format!("table {name}"), text.join("\n").into_bytes()));
        }
    }
    places
}

/// Ways a key's bytes can show in stored data: raw, and as lower-case hex (PostgreSQL's
/// text form of `bytea`).
pub fn key_forms(key: &[u8]) -> [Vec<u8>; 2] {
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    [key.to_vec(), hex.into_bytes()]
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Runs the `issuance` binary on the stores of `app` (its data directory, and its
/// PostgreSQL schema if it has one); returns (success, stdout, stderr).
pub fn run_cli(
    data_dir: &Path,
    database: Option<&TestDatabase>,
    args: &[&str],
) -> (bool, String, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_issuance"));
    command
        .args(args)
        .env("ISSUANCE_DATA_DIR", data_dir)
        .env_remove("ISSUANCE_CONFIG")
        .env_remove("ISSUANCE_EVENT_STORE")
        .env_remove("ISSUANCE_READ_STORE");
    if let Some(database) = database {
        command.env("ISSUANCE_EVENT_STORE", database.url());
    }
    let output = command.output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The offers of [`drive_every_event_type`].
pub struct Lifecycle {
    /// Created, wrong transaction code, redeemed, issued, completed, notified; then erased
    /// by the retention policy.
    pub completed: Uuid,
    /// Erased on the admin's request while live.
    pub erased: Uuid,
    /// Revoked by the admin.
    pub revoked: Uuid,
    /// Failed after too many wrong transaction codes.
    pub failed: Uuid,
    /// Expired.
    pub expired: Uuid,
}

/// Produces every event type, each under a known actor and request id, and waits until
/// the retention policy (default: erase at once) has erased every terminal offer and the
/// projections have caught up.
pub async fn drive_every_event_type(app: &TestApp) -> Lifecycle {
    // Completed: every wallet-side event.
    let created = create_offer_as(app, &identity_offer(), "req-a-create").await;
    let completed = offer_id(&created);
    let (result, _) = redeem(
        app,
        &created,
        Some(&wrong_tx_code(&created)),
        "req-a-wrong-tx",
    )
    .await;
    assert_eq!(result.unwrap().events[0].event_type(), "TxCodeRejected");
    let (result, token) = redeem(
        app,
        &created,
        created["tx_code_value"].as_str(),
        "req-a-redeem",
    )
    .await;
    result.unwrap();
    let issued = issue(app, completed, token, "IdentityCredential", "req-a-issue")
        .await
        .unwrap();
    assert_eq!(issued.events.len(), 2, "issued and completed");
    notify(app, completed, token, "req-a-notify").await;
    // A replayed authorization code revokes the token issued from it (in any state).
    app.state
        .offers
        .execute(completed, &wallet_meta("req-a-revoke-token"), |_, _| {
            OfferCommand::RevokeRedemption(RevokeRedemption {
                redemption_id: token.redemption_id,
                reason: REVOCATION_AUTHORIZATION_CODE_REPLAYED.into(),
            })
        })
        .await
        .unwrap();
    // The institution suspends, reinstates and revokes the credential.
    let credential_id = match &issued.events[0] {
        OfferEvent::CredentialIssued(issued) => issued.credential_id,
        other => panic!("not issued: {other:?}"),
    };
    for (action, request_id) in [
        (StatusAction::Suspend, "req-a-suspend"),
        (StatusAction::Reinstate, "req-a-reinstate"),
        (StatusAction::Revoke, "req-a-revoke-credential"),
    ] {
        app.state
            .offers
            .execute(completed, &admin_meta(request_id), |_, _| {
                OfferCommand::ChangeCredentialStatus(ChangeCredentialStatus {
                    credential_id,
                    action,
                    reason: Some("Erika Mustermann called".into()),
                    bits: StatusBits::Two,
                })
            })
            .await
            .unwrap();
    }

    // Erased by the admin while live.
    let erased = offer_id(&create_offer_as(app, &identity_offer(), "req-b-create").await);
    let response = app
        .admin(Method::POST, &format!("/offers/{erased}/erase"))
        .header("X-Request-Id", "req-b-erase")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    // Revoked.
    let revoked = offer_id(&create_offer_as(app, &identity_offer(), "req-c-create").await);
    let response = app
        .admin(
            Method::DELETE,
            &format!("/offers/{revoked}?reason=Erika%20Mustermann%20called"),
        )
        .header("X-Request-Id", "req-c-revoke")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    // Failed: wrong transaction codes until the offer locks.
    let created = create_offer_as(app, &identity_offer(), "req-d-create").await;
    let failed = offer_id(&created);
    for attempt in 0.. {
        assert!(attempt < 20, "the offer never locked");
        let (result, _) = redeem(
            app,
            &created,
            Some(&wrong_tx_code(&created)),
            "req-d-wrong-tx",
        )
        .await;
        if result.unwrap().state.status.is_terminal() {
            break;
        }
    }

    // Expired: the expiry scheduler's command, under a request id of its own.
    let mut body = identity_offer();
    body["expires_in"] = serde_json::json!(60);
    let expired = offer_id(&create_offer_as(app, &body, "req-e-create").await);
    app.clock.advance(chrono::Duration::minutes(2));
    let expiry = CommandMeta {
        request_id: Some("expiry-run-1".into()),
        ..CommandMeta::system()
    };
    app.state
        .offers
        .execute(expired, &expiry, |_, now| {
            OfferCommand::Expire(issuance_domain::offer::ExpireOffer { now })
        })
        .await
        .unwrap();

    // The retention policy erases the four terminal offers.
    for attempt in 0.. {
        assert!(
            attempt < 200,
            "the retention policy did not erase the terminal offers"
        );
        wait_for_projections(app).await;
        let erasures = audit_entries(app, "type=ClaimsErased&actor=system", 100).await;
        if erasures.len() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    wait_for_projections(app).await;
    Lifecycle {
        completed,
        erased,
        revoked,
        failed,
        expired,
    }
}
