//! Property tests at the HTTP edge: generated token and PAR form bodies, DPoP headers,
//! credential requests, offer creation bodies, query strings and cursors go to the running
//! service. None may crash a worker or answer 5xx; every refusal is a 4xx with the
//! listener's JSON envelope, i.e. a typed error mapped once at the edge. Case counts are
//! bounded so the suite stays fast.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::support::authcode::{with_authcode, CLIENT_ID, REDIRECT_URI};
use crate::support::wallet::*;
use crate::support::*;

/// Generated requests per property.
const CASES: u32 = 64;

/// Runs `check` on `CASES` values of `strategy`; panics with the smallest failing input.
fn check_all<S: Strategy>(
    name: &str,
    strategy: S,
    check: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    if let Err(failure) = runner.run(&strategy, check) {
        panic!("{name}: {failure}");
    }
}

/// Sends a request from inside a (synchronous) property.
fn call(request: reqwest::RequestBuilder) -> Result<(u16, Option<String>, Vec<u8>), TestCaseError> {
    tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(async {
            let response = request
                .send()
                .await
                .map_err(|e| TestCaseError::fail(format!("no answer (worker crashed?): {e}")))?;
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = response
                .bytes()
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default();
            Ok((status, content_type, body))
        })
    })
}

/// Never 5xx; a 4xx carries the envelope (a bare 401 challenge aside, RFC 6750 §3.1).
fn judge(
    answer: (u16, Option<String>, Vec<u8>),
    allowed_success: &[u16],
) -> Result<(), TestCaseError> {
    let (status, content_type, body) = answer;
    if allowed_success.contains(&status) {
        return Ok(());
    }
    prop_assert!(
        (400..500).contains(&status),
        "status {status}: {}",
        String::from_utf8_lossy(&body)
    );
    if status == 401 && body.is_empty() {
        return Ok(());
    }
    prop_assert!(
        content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("application/json")),
        "status {status} without JSON"
    );
    let body: Value =
        serde_json::from_slice(&body).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(
        body["error"].is_string() && body["error_description"].is_string(),
        "{body}"
    );
    Ok(())
}

/// Text that parsers choke on: empty, long, control and non-ASCII characters, escapes.
fn nasty_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[A-Za-z0-9_~.-]{0,60}",
        Just(String::new()),
        Just("%".into()),
        Just("%ff%fe".into()),
        Just("\u{0}".into()),
        Just("a".repeat(5000)),
        Just("[[[[[[[[[[".into()),
        Just("{\"type\":\"openid_credential\"}".into()),
        Just("[{\"type\":\"openid_credential\",\"credential_configuration_id\":5}]".into()),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("99999999999999999999999999999".into()),
    ]
}

/// `name=value&...` with names from `names` (and some others), in any order, repeated.
fn form_body(
    names: &'static [&'static str],
    values: BoxedStrategy<String>,
) -> BoxedStrategy<String> {
    let name = prop_oneof![
        4 => prop::sample::select(names).prop_map(str::to_string),
        1 => ".{0,10}",
    ];
    prop::collection::vec((name, values), 0..8)
        .prop_map(|pairs| {
            pairs
                .iter()
                .map(|(k, v)| format!("{}={}", urlencoding::encode(k), urlencoding::encode(v)))
                .collect::<Vec<_>>()
                .join("&")
        })
        .boxed()
}

const TOKEN_PARAMETERS: &[&str] = &[
    "grant_type",
    "pre-authorized_code",
    "tx_code",
    "code",
    "code_verifier",
    "redirect_uri",
    "client_id",
    "authorization_details",
    "scope",
];

const PAR_PARAMETERS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "code_challenge",
    "code_challenge_method",
    "scope",
    "authorization_details",
    "state",
    "issuer_state",
    "request",
    "request_uri",
    "dpop_jkt",
];

fn token_values() -> BoxedStrategy<String> {
    prop_oneof![
        Just(PRE_AUTHORIZED.to_string()),
        Just("authorization_code".to_string()),
        Just(CLIENT_ID.to_string()),
        nasty_text(),
    ]
    .boxed()
}

fn par_values() -> BoxedStrategy<String> {
    prop_oneof![
        Just("code".to_string()),
        Just(CLIENT_ID.to_string()),
        Just(REDIRECT_URI.to_string()),
        Just("S256".to_string()),
        Just("plain".to_string()),
        Just("identity_credential".to_string()),
        Just(URL_SAFE_NO_PAD.encode([7u8; 32])),
        nasty_text(),
    ]
    .boxed()
}

/// Any JSON value, a few levels deep, with awkward numbers and strings.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        Just(json!(u64::MAX)),
        nasty_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(".{0,6}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object whose members come from `names`, each with a plausible or any value.
fn object_of(
    names: &'static [&'static str],
    plausible: BoxedStrategy<Value>,
) -> impl Strategy<Value = Value> {
    let value = prop_oneof![2 => plausible, 1 => any_json()];
    prop::collection::vec((prop::sample::select(names), value), 0..7).prop_map(|members| {
        Value::Object(
            members
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect::<Map<String, Value>>(),
        )
    })
}

fn credential_request() -> impl Strategy<Value = Value> {
    let plausible = prop_oneof![
        Just(json!("IdentityCredential")),
        Just(json!("dc+sd-jwt")),
        Just(json!({"jwt": ["e30.e30.e30"]})),
        Just(json!({"proof_type": "jwt", "jwt": "e30.e30.e30"})),
        Just(json!({"jwt": []})),
        prop::collection::vec(".{0,30}".prop_map(Value::String), 0..12)
            .prop_map(|jwts| json!({ "jwt": jwts })),
    ];
    object_of(
        &[
            "credential_identifier",
            "credential_configuration_id",
            "proofs",
            "proof",
            "format",
            "vct",
            "credential_response_encryption",
        ],
        plausible.boxed(),
    )
}

fn offer_request() -> impl Strategy<Value = Value> {
    let plausible = prop_oneof![
        Just(json!("IdentityCredential")),
        Just(json!(["IdentityCredential"])),
        Just(json!({"given_name": "Erika", "family_name": "Mustermann"})),
        Just(json!({"length": 6})),
        Just(json!("pre-authorized_code")),
        Just(json!("authorization_code")),
        Just(json!("https://bank.example/callback")),
        any::<i64>().prop_map(Value::from),
    ];
    object_of(
        &[
            "credential_configuration_id",
            "credential_configuration_ids",
            "claims",
            "tx_code",
            "expires_in",
            "grant",
            "subject",
            "callback_url",
            "correlation",
            "multi_use",
        ],
        plausible.boxed(),
    )
}

/// A cursor: random text, or base64url of something cursor-like.
fn cursor() -> impl Strategy<Value = String> {
    prop_oneof![
        nasty_text(),
        (any::<i64>(), ".{0,40}").prop_map(|(n, s)| URL_SAFE_NO_PAD.encode(format!("{n}|{s}"))),
        any::<u64>().prop_map(|n| URL_SAFE_NO_PAD.encode(n.to_string())),
    ]
}

fn query(names: &'static [&'static str]) -> impl Strategy<Value = String> {
    let value = prop_oneof![
        nasty_text(),
        cursor(),
        prop::sample::select(vec![
            "2026-01-01T00:00:00Z",
            "+262142-12-31T23:59:59Z",
            "-262143-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999+14:00",
            "1970-01-01T00:00:00-23:59",
        ])
        .prop_map(str::to_string),
        Just("CREATED".to_string()),
        Just("created".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
    ];
    let name =
        prop_oneof![4 => prop::sample::select(names).prop_map(str::to_string), 1 => ".{0,8}"];
    prop::collection::vec((name, value), 0..6).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(k, v)| format!("{}={}", urlencoding::encode(k), urlencoding::encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_wallet_input_gets_a_typed_4xx() {
    let app = spawn_app_with(
        with_authcode(TestOptions::default()).set("authorization.dpop", json!("allowed")),
    )
    .await;
    let created = app.create_offer(&identity_offer()).await;
    let token = app.access_token(&created).await;
    let form = |path: &str, body: String| {
        app.client
            .post(format!("{}{path}", app.wallet))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    };

    check_all(
        "token form",
        form_body(TOKEN_PARAMETERS, token_values()),
        |body| judge(call(form("/token", body))?, &[]),
    );
    check_all(
        "PAR form",
        form_body(PAR_PARAMETERS, par_values()),
        |body| judge(call(form("/par", body))?, &[201]),
    );
    let dpop = prop_oneof![
        nasty_text(),
        (any_json(), any_json(), ".{0,20}").prop_map(|(h, p, s)| {
            format!(
                "{}.{}.{}",
                URL_SAFE_NO_PAD.encode(h.to_string()),
                URL_SAFE_NO_PAD.encode(p.to_string()),
                URL_SAFE_NO_PAD.encode(s)
            )
        }),
    ];
    check_all("DPoP header", dpop, |proof| {
        let request = form(
            "/token",
            format!(
                "grant_type={}&pre-authorized_code=x",
                urlencoding::encode(PRE_AUTHORIZED)
            ),
        );
        let request = match reqwest::header::HeaderValue::from_str(&proof) {
            Ok(value) => request.header("DPoP", value),
            Err(_) => return Ok(()),
        };
        judge(call(request)?, &[])
    });
    check_all("credential request", credential_request(), |body| {
        let request = app
            .client
            .post(format!("{}/credential", app.wallet))
            .bearer_auth(&token)
            .json(&body);
        judge(call(request)?, &[])
    });
    check_all(
        "authorize query",
        query(&[
            "client_id",
            "request_uri",
            "response_type",
            "redirect_uri",
            "code_challenge",
            "scope",
            "state",
        ]),
        |query| {
            judge(
                call(app.client.get(format!("{}/authorize?{query}", app.wallet)))?,
                &[302],
            )
        },
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_management_input_gets_a_typed_4xx() {
    let app = spawn_app().await;
    app.create_offer(&identity_offer()).await;

    check_all("offer creation", offer_request(), |body| {
        judge(
            call(app.admin(Method::POST, "/offers").json(&body))?,
            &[201],
        )
    });
    let offers = query(&[
        "status",
        "credential_configuration_id",
        "subject",
        "created_after",
        "created_before",
        "limit",
        "cursor",
    ]);
    check_all("offer listing query", offers, |query| {
        judge(
            call(app.admin(Method::GET, &format!("/offers?{query}")))?,
            &[200],
        )
    });
    let audit = query(&["offer_id", "type", "actor", "from", "to", "limit", "cursor"]);
    check_all("audit query", audit, |query| {
        judge(
            call(app.admin(Method::GET, &format!("/audit?{query}")))?,
            &[200],
        )
    });
    check_all("offer cursor", cursor(), |cursor| {
        let path = format!("/offers?cursor={}", urlencoding::encode(&cursor));
        judge(call(app.admin(Method::GET, &path))?, &[200])
    });
}
