//! A corpus of malformed requests, generated here, against both listeners: bad JSON, wrong
//! types, huge numbers, deep nesting, invalid UTF-8, oversized heads and bodies, wrong
//! methods and content types, bad query strings and paths. Every answer is a 4xx with the
//! listener's JSON error envelope, nothing reaches the event log, and the service issues
//! normally afterwards.

use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};

use crate::support::authcode::with_authcode;
use crate::support::raw_http::{send, RawRequest, RawResponse};
use crate::support::wallet::*;
use crate::support::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listener {
    Wallet,
    Management,
}

/// What the answer must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A 4xx with the listener's JSON error envelope.
    Envelope,
    /// A request head HTTP/1.1 cannot parse (a non-ASCII request target, a head beyond the
    /// HTTP layer's 128 KiB buffer or 96 headers): actix-http answers a bare 4xx before any
    /// application code runs, and closes the connection.
    Protocol,
}

struct Case {
    listener: Listener,
    label: String,
    request: RawRequest,
    expect: Expect,
}

/// The corpus under construction, with the credentials its requests carry.
struct Corpus {
    cases: Vec<Case>,
    access_token: String,
}

impl Corpus {
    fn add(&mut self, listener: Listener, label: impl Into<String>, request: RawRequest) {
        self.cases.push(Case {
            listener,
            label: label.into(),
            request,
            expect: Expect::Envelope,
        });
    }

    fn add_protocol(&mut self, listener: Listener, label: &str, request: RawRequest) {
        self.cases.push(Case {
            listener,
            label: label.into(),
            request,
            expect: Expect::Protocol,
        });
    }

    /// A request authenticated as the listener expects (admin key, or a live access token).
    fn authed(&self, listener: Listener, method: &str, target: &str) -> RawRequest {
        let token = match listener {
            Listener::Wallet => &self.access_token,
            Listener::Management => ADMIN_KEY,
        };
        RawRequest::new(method, target).header("Authorization", format!("Bearer {token}"))
    }
}

/// Bodies that are not JSON, or not the JSON any endpoint takes.
fn bad_json_bodies() -> Vec<(String, Vec<u8>)> {
    let deep_array = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(3000), "}".repeat(3000));
    let mut bodies: Vec<(String, Vec<u8>)> = [
        ("empty", ""),
        ("whitespace", "  \n\t "),
        ("open brace", "{"),
        ("close brace", "}"),
        ("missing value", "{\"a\":}"),
        ("unterminated array", "[1,2"),
        ("bare word", "nul"),
        ("unterminated string", "\"abc"),
        ("trailing comma", "{\"a\":1,}"),
        ("single quotes", "{'a':1}"),
        ("NaN", "NaN"),
        ("Infinity", "{\"a\":Infinity}"),
        ("two documents", "{\"a\":1}{\"b\":2}"),
        ("trailing garbage", "{} x"),
        ("null", "null"),
        ("true", "true"),
        ("number", "42"),
        ("string", "\"text\""),
        ("array", "[]"),
        ("array of objects", "[{}]"),
        ("empty object", "{}"),
        ("huge exponent", "{\"a\":1e999999}"),
        (
            "huge integer",
            "{\"a\":123456789012345678901234567890123456789}",
        ),
        ("lone surrogate", "{\"a\":\"\\ud800\"}"),
        ("bad escape", "{\"a\":\"\\x41\"}"),
        ("control character", "{\"a\":\"\u{1}\"}"),
        ("duplicate keys", "{\"a\":1,\"a\":2}"),
        ("key not a string", "{1:2}"),
        ("comment", "{/* c */}"),
    ]
    .into_iter()
    .map(|(label, body)| (label.to_string(), body.as_bytes().to_vec()))
    .collect();
    bodies.push(("deep array".into(), deep_array.into_bytes()));
    bodies.push(("deep object".into(), deep_object.into_bytes()));
    bodies.push((
        "invalid UTF-8 in a string".into(),
        b"{\"a\":\"\xff\xfe\"}".to_vec(),
    ));
    bodies.push(("overlong UTF-8".into(), b"{\"a\":\"\xc0\xaf\"}".to_vec()));
    bodies.push(("UTF-8 BOM".into(), b"\xef\xbb\xbf{}".to_vec()));
    bodies.push(("NUL bytes".into(), b"{\"a\":\"\x00\"}\x00".to_vec()));
    bodies.push(("UTF-16".into(), b"\xff\xfe{\x00}\x00".to_vec()));
    bodies
}

/// `POST /offers` bodies of the right shape with wrong types and values.
fn bad_offer_bodies() -> Vec<Value> {
    let claims = json!({"given_name": "Erika", "family_name": "Mustermann"});
    let mut deep = json!("x");
    for _ in 0..120 {
        deep = json!({ "n": deep });
    }
    let mut bodies = vec![
        json!({"credential_configuration_id": 5, "claims": claims}),
        json!({"credential_configuration_id": null, "claims": claims}),
        json!({"credential_configuration_id": ["IdentityCredential"], "claims": claims}),
        json!({"credential_configuration_id": "IdentityCredential", "claims": []}),
        json!({"credential_configuration_id": "IdentityCredential", "claims": "x"}),
        json!({"credential_configuration_id": "IdentityCredential", "claims": 1}),
        json!({"credential_configuration_id": "IdentityCredential"}),
        json!({"claims": claims}),
        json!({"credential_configuration_id": "Nope", "claims": claims}),
        json!({"credential_configuration_id": "", "claims": claims}),
        json!({"credential_configuration_id": "x".repeat(10_000), "claims": claims}),
        json!({"credential_configuration_id": "IdentityCredential", "claims": {"given_name": 5, "family_name": "M"}}),
        json!({"credential_configuration_id": "IdentityCredential", "claims": {"given_name": "E"}}),
        json!({"credential_configuration_id": "IdentityCredential", "claims": {"given_name": "E", "family_name": "M", "birthdate": "not a date"}}),
        json!({"credential_configuration_id": "IdentityCredential", "claims": {"given_name": "E", "family_name": "M", "unknown": deep}}),
        json!({"credential_configuration_id": "IdentityCredential", "claims": {"given_name": deep, "family_name": "M"}}),
        json!({"credential_configuration_id": "IdentityCredential", "claims": claims, "unknown_member": 1}),
        json!({"credential_configuration_id": "IdentityCredential", "claims": claims, "grant": "implicit"}),
        json!({"credential_configuration_id": "IdentityCredential", "claims": claims, "grant": 1}),
        json!({"credential_configuration_id": "IdentityCredential", "claims": claims, "subject": 5}),
        json!({"credential_configuration_id": "IdentityCredential", "claims": claims, "subject": ""}),
        json!({"credential_configuration_id": "IdentityCredential", "claims": claims, "correlation": "x"}),
        json!({"credential_configuration_id": "IdentityCredential", "claims": claims, "callback_url": "not a url"}),
        json!({"credential_configuration_id": "IdentityCredential", "claims": claims, "callback_url": 7}),
        json!({"credential_configuration_id": "IdentityCredential", "claims": claims, "callback_url": "ftp://x.example/"}),
    ];
    for expires_in in [
        json!(-1),
        json!(0),
        json!(1.5),
        json!("300"),
        json!(1e300),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(999_999_999_999u64),
        json!([300]),
    ] {
        bodies.push(json!({"credential_configuration_id": "IdentityCredential", "claims": claims, "expires_in": expires_in}));
    }
    for tx_code in [
        json!(true),
        json!("123456"),
        json!({"length": 0}),
        json!({"length": -3}),
        json!({"length": 1_000_000}),
        json!({"length": u64::MAX}),
        json!({"length": 6, "input_mode": "emoji"}),
        json!({"length": 6, "input_mode": 1}),
        json!({"length": "6"}),
        json!({"length": 6, "description": "x".repeat(5000)}),
        json!({"length": 6, "description": 5}),
        json!([6]),
    ] {
        bodies.push(json!({"credential_configuration_id": "IdentityCredential", "claims": claims, "tx_code": tx_code}));
    }
    bodies
}

/// Credential request bodies of the right syntax with wrong types and values.
fn bad_credential_bodies() -> Vec<Value> {
    vec![
        json!({}),
        json!({"credential_configuration_id": 1}),
        json!({"credential_configuration_id": "IdentityCredential"}),
        json!({"credential_configuration_id": "IdentityCredential", "proofs": null}),
        json!({"credential_configuration_id": "IdentityCredential", "proofs": []}),
        json!({"credential_configuration_id": "IdentityCredential", "proofs": {"jwt": "x"}}),
        json!({"credential_configuration_id": "IdentityCredential", "proofs": {"jwt": []}}),
        json!({"credential_configuration_id": "IdentityCredential", "proofs": {"jwt": [1, 2]}}),
        json!({"credential_configuration_id": "IdentityCredential", "proofs": {"jwt": ["a.b.c"]}}),
        json!({"credential_configuration_id": "IdentityCredential", "proofs": {"jwt": vec!["x"; 500]}}),
        json!({"credential_configuration_id": "IdentityCredential", "proofs": {"jwt": ["x".repeat(40_000)]}}),
        json!({"credential_configuration_id": "IdentityCredential", "proofs": {"ldp_vp": [{}]}}),
        json!({"credential_configuration_id": "IdentityCredential", "proofs": {"jwt": ["x"], "attestation": ["y"]}}),
        json!({"credential_configuration_id": "IdentityCredential", "proof": {"proof_type": "jwt"}}),
        json!({"credential_configuration_id": "IdentityCredential", "proof": {"proof_type": "jwt", "jwt": 5}}),
        json!({"credential_configuration_id": "IdentityCredential", "proof": "x", "proofs": {"jwt": ["x"]}}),
        json!({"credential_identifier": 5}),
        json!({"credential_identifier": "x", "credential_configuration_id": "IdentityCredential"}),
        json!({"format": "dc+sd-jwt"}),
        json!({"format": 5, "vct": []}),
        json!({"credential_configuration_id": "IdentityCredential", "credential_response_encryption": {"jwk": 1}}),
        json!({"credential_configuration_id": "IdentityCredential", "credential_response_encryption": "x"}),
    ]
}

fn bad_notification_bodies() -> Vec<Value> {
    vec![
        json!({}),
        json!({"notification_id": 5, "event": "credential_accepted"}),
        json!({"notification_id": "x"}),
        json!({"notification_id": "x", "event": "credential_eaten"}),
        json!({"notification_id": "x", "event": 1}),
        json!({"notification_id": "x", "event": "credential_failure", "event_description": "\u{7f}\u{0}"}),
        json!({"notification_id": "x".repeat(5000), "event": "credential_accepted"}),
        json!({"notification_id": ["x"], "event": "credential_accepted"}),
    ]
}

/// Form bodies for `/token` and `/par`.
fn bad_form_bodies() -> Vec<(String, Vec<u8>)> {
    let pre = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code";
    let mut bodies: Vec<(String, Vec<u8>)> = [
        ("empty", String::new()),
        ("no grant type", "pre-authorized_code=x".to_string()),
        ("unknown grant type", "grant_type=password&username=a".to_string()),
        ("bad percent escape", "grant_type=%ZZ".to_string()),
        ("repeated parameter", format!("{pre}&{pre}")),
        ("bare separators", "=&=&&==".to_string()),
        ("array syntax", format!("{pre}&pre-authorized_code[]=x")),
        ("percent-encoded invalid UTF-8", format!("{pre}&pre-authorized_code=%ff%fe")),
        ("huge code", format!("{pre}&pre-authorized_code={}", "A".repeat(60_000))),
        ("code not base64", format!("{pre}&pre-authorized_code=!!!")),
        ("tx code huge number", format!("{pre}&pre-authorized_code=x&tx_code=99999999999999999999999999")),
        ("authorization code without verifier", "grant_type=authorization_code&code=x".to_string()),
        ("authorization details not JSON", format!("{pre}&pre-authorized_code=x&authorization_details=%7B")),
        ("authorization details wrong type", format!("{pre}&pre-authorized_code=x&authorization_details=5")),
        ("deep authorization details", format!("{pre}&pre-authorized_code=x&authorization_details={}", "%5B".repeat(3000))),
        ("response type token", "response_type=token&client_id=wallet-app".to_string()),
        ("PAR without client", "response_type=code&code_challenge=x&code_challenge_method=S256".to_string()),
        ("PAR plain PKCE", "response_type=code&client_id=wallet-app&redirect_uri=https%3A%2F%2Fwallet.example%2Fcallback&code_challenge=x&code_challenge_method=plain".to_string()),
        ("PAR unknown client", "response_type=code&client_id=%00&redirect_uri=x".to_string()),
        ("PAR request object", "response_type=code&client_id=wallet-app&request=eyJ".to_string()),
    ]
    .into_iter()
    .map(|(label, body)| (label.to_string(), body.into_bytes()))
    .collect();
    bodies.push(("raw invalid UTF-8".into(), b"grant_type=\xff\xfe".to_vec()));
    bodies.push(("NUL bytes".into(), b"grant_type=\x00&code=\x00".to_vec()));
    bodies
}

/// Query strings for the listing endpoints and `/authorize`.
fn bad_queries() -> Vec<String> {
    let long = "a".repeat(6000);
    vec![
        "limit=-1".into(),
        "limit=abc".into(),
        "limit=99999999999999999999999999".into(),
        "limit=1.5".into(),
        "limit=1&limit=2".into(),
        "status=%ZZ".into(),
        "status=nonsense".into(),
        "cursor=!!!".into(),
        "cursor=bm90IGEgY3Vyc29y".into(),
        format!("cursor={long}"),
        "created_after=yesterday".into(),
        "created_before=2026-13-45T99:99:99Z".into(),
        "from=not-a-time&to=".into(),
        "offer_id=not-a-uuid".into(),
        "unknown=1".into(),
        "%ff=1".into(),
        "a=%ff%fe".into(),
        "&&&===".into(),
        "limit[]=1".into(),
        "client_id=wallet-app&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Anope".into(),
        "client_id=%00&request_uri=%ff".into(),
        "response_type=code&client_id=nobody&redirect_uri=https%3A%2F%2Fevil.example".into(),
    ]
}

/// Routes of each listener with the methods they take.
const WALLET_ROUTES: &[(&str, &str)] = &[
    ("GET", "/.well-known/openid-credential-issuer"),
    ("GET", "/.well-known/oauth-authorization-server"),
    ("GET", "/.well-known/jwt-vc-issuer"),
    (
        "GET",
        "/credential-offers/00000000-0000-0000-0000-000000000000",
    ),
    ("POST", "/token"),
    ("POST", "/par"),
    ("GET", "/authorize"),
    ("POST", "/nonce"),
    ("POST", "/credential"),
    ("POST", "/notification"),
];

const MANAGEMENT_ROUTES: &[(&str, &str)] = &[
    ("POST", "/offers"),
    ("GET", "/offers"),
    ("GET", "/offers/00000000-0000-0000-0000-000000000000"),
    ("GET", "/offers/00000000-0000-0000-0000-000000000000/events"),
    ("POST", "/offers/00000000-0000-0000-0000-000000000000/erase"),
    ("GET", "/offers/00000000-0000-0000-0000-000000000000/qr.png"),
    ("GET", "/audit"),
    ("GET", "/audit/export"),
    ("GET", "/dead-letters"),
    ("POST", "/dead-letters/requeue"),
    ("GET", "/authorization-sessions/nope"),
    ("PUT", "/authorization-sessions/nope/accept"),
    ("GET", "/credential-configurations"),
    ("GET", "/health/ready"),
    ("GET", "/metrics"),
];

/// Methods `path` does not take (`routes` lists every method of each path).
fn methods_not_taken(routes: &[(&str, &str)], path: &str) -> Vec<&'static str> {
    [
        "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "BREW",
    ]
    .into_iter()
    .filter(|m| !routes.contains(&(*m, path)))
    .collect()
}

fn build_corpus(access_token: String) -> Corpus {
    let mut corpus = Corpus {
        cases: Vec::new(),
        access_token,
    };
    let (wallet, management) = (Listener::Wallet, Listener::Management);

    // JSON bodies: syntax, encodings, nesting, numbers; then wrong shapes per endpoint.
    let json_endpoints = [
        (wallet, "POST", "/credential"),
        (wallet, "POST", "/notification"),
        (management, "POST", "/offers"),
        (management, "PUT", "/authorization-sessions/nope/accept"),
        (management, "PUT", "/authorization-sessions/nope/reject"),
    ];
    for (listener, method, path) in json_endpoints {
        for (label, body) in bad_json_bodies() {
            let request = corpus
                .authed(listener, method, path)
                .header("Content-Type", "application/json")
                .body(body);
            corpus.add(listener, format!("{method} {path}: {label}"), request);
        }
        for content_type in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/json; charset=latin1"),
            Some("application/xml"),
            Some("application/json;;;=="),
            Some("\u{ff}"),
        ] {
            let mut request = corpus.authed(listener, method, path).body("{}");
            if let Some(content_type) = content_type {
                // Latin-1 bytes: obs-text, which HTTP/1.1 allows in a field value.
                let bytes: Vec<u8> = content_type.chars().map(|c| c as u8).collect();
                request = request.header("Content-Type", bytes);
            }
            corpus.add(
                listener,
                format!("{method} {path}: content type {content_type:?}"),
                request,
            );
        }
        let declared = corpus
            .authed(listener, method, path)
            .header("Content-Type", "application/json")
            .header("Content-Length", "1099511627776")
            .body("{");
        corpus.add(
            listener,
            format!("{method} {path}: declared 1 TiB"),
            declared,
        );
        let oversized = format!("{{\"a\":\"{}\"}}", "x".repeat(70 * 1024));
        let oversized = corpus
            .authed(listener, method, path)
            .header("Content-Type", "application/json")
            .body(oversized);
        corpus.add(listener, format!("{method} {path}: 70 KiB body"), oversized);
        let chunked = corpus
            .authed(listener, method, path)
            .header("Content-Type", "application/json")
            .header("Transfer-Encoding", "chunked")
            .body(format!(
                "{:x}\r\n{}\r\n0\r\n\r\n",
                70 * 1024,
                "[".repeat(70 * 1024)
            ));
        corpus.add(
            listener,
            format!("{method} {path}: 70 KiB chunked"),
            chunked,
        );
    }
    let typed: Vec<(Listener, &str, &str, Vec<Value>)> = vec![
        (management, "POST", "/offers", bad_offer_bodies()),
        (wallet, "POST", "/credential", bad_credential_bodies()),
        (wallet, "POST", "/notification", bad_notification_bodies()),
        (
            management,
            "PUT",
            "/authorization-sessions/nope/accept",
            vec![json!({"subject": 5}), json!({"subject": "s", "claims": []})],
        ),
    ];
    for (listener, method, path, bodies) in typed {
        for (index, body) in bodies.into_iter().enumerate() {
            let request = corpus
                .authed(listener, method, path)
                .header("Content-Type", "application/json")
                .body(body.to_string());
            corpus.add(
                listener,
                format!("{method} {path}: typed body {index}"),
                request,
            );
        }
    }

    // Form bodies.
    for path in ["/token", "/par"] {
        for (label, body) in bad_form_bodies() {
            let request = RawRequest::new("POST", path)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body);
            corpus.add(wallet, format!("POST {path}: {label}"), request);
        }
        for content_type in [None, Some("application/json"), Some("text/plain")] {
            let mut request = RawRequest::new("POST", path).body("grant_type=x");
            if let Some(content_type) = content_type {
                request = request.header("Content-Type", content_type);
            }
            corpus.add(
                wallet,
                format!("POST {path}: content type {content_type:?}"),
                request,
            );
        }
        let declared = RawRequest::new("POST", path)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Content-Length", "1099511627776")
            .body("a");
        corpus.add(wallet, format!("POST {path}: declared 1 TiB"), declared);
    }

    // Query strings.
    let query_endpoints = [
        (management, "/offers"),
        (management, "/audit"),
        (management, "/audit/export"),
        (management, "/audit/verify"),
        (management, "/dead-letters"),
        (management, "/offers/00000000-0000-0000-0000-000000000000"),
        (wallet, "/authorize"),
    ];
    for (listener, path) in query_endpoints {
        for query in bad_queries() {
            let request = corpus.authed(listener, "GET", &format!("{path}?{query}"));
            corpus.add(
                listener,
                format!("GET {path}?{}", &query[..query.len().min(40)]),
                request,
            );
        }
    }
    corpus.add(
        management,
        "DELETE with a bad reason",
        corpus.authed(
            management,
            "DELETE",
            "/offers/00000000-0000-0000-0000-000000000000?reason=%ff",
        ),
    );

    // Paths.
    let long_segment = "a".repeat(5000);
    let bad_paths = [
        "/offers/not-a-uuid".to_string(),
        "/offers/%ff%fe".to_string(),
        "/offers/%00".to_string(),
        "/offers/../../etc/passwd".to_string(),
        "/offers/%2e%2e%2f%2e%2e%2fetc".to_string(),
        format!("/offers/{long_segment}"),
        "/offers/00000000-0000-0000-0000-000000000000/unknown".to_string(),
        "/offers/00000000-0000-0000-0000-000000000000/qr.gif".to_string(),
        "//offers".to_string(),
        "/offers/99999999-9999-9999-9999-99999999999999".to_string(),
        "/dead-letters/not-a-number/requeue".to_string(),
        "/dead-letters/99999999999999999999999/requeue".to_string(),
        "/authorization-sessions/%ff/accept".to_string(),
        "/credential-offers/not-a-uuid".to_string(),
        "/credential-offers/%ff".to_string(),
        format!("/credential-offers/{long_segment}"),
        "/nowhere".to_string(),
        "/.well-known/nothing".to_string(),
        "/token/extra".to_string(),
        "/%".to_string(),
    ];
    for path in &bad_paths {
        for listener in [wallet, management] {
            let method = if path.contains("requeue") || path.ends_with("/accept") {
                "POST"
            } else {
                "GET"
            };
            let request = corpus.authed(listener, method, path);
            corpus.add(
                listener,
                format!("{method} {}", &path[..path.len().min(60)]),
                request,
            );
        }
    }

    // Wrong methods on every route.
    for (listener, routes) in [(wallet, WALLET_ROUTES), (management, MANAGEMENT_ROUTES)] {
        for (method, path) in routes {
            let _ = method;
            for other in methods_not_taken(routes, path) {
                let request = corpus.authed(listener, other, path);
                corpus.add(listener, format!("{other} {path}"), request);
            }
        }
    }

    // Headers: credentials that are not, oversized ones.
    let bad_authorizations: Vec<Vec<u8>> = vec![
        b"Bearer".to_vec(),
        b"Bearer ".to_vec(),
        b"Bearer \xff\xfe".to_vec(),
        b"Bearer a b c".to_vec(),
        format!("Bearer {}", "A".repeat(20_000)).into_bytes(),
        b"Basic dXNlcjpwYXNz".to_vec(),
        b"DPoP x".to_vec(),
        b"bearer isk_nope".to_vec(),
    ];
    for authorization in &bad_authorizations {
        let request =
            RawRequest::new("GET", "/offers").header("Authorization", authorization.clone());
        corpus.add(management, "GET /offers: bad authorization", request);
        let request = RawRequest::new("POST", "/credential")
            .header("Authorization", authorization.clone())
            .header("Content-Type", "application/json")
            .body("{}");
        corpus.add(wallet, "POST /credential: bad authorization", request);
        let request = RawRequest::new("POST", "/token")
            .header("DPoP", authorization.clone())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("grant_type=authorization_code&code=x&code_verifier=y");
        corpus.add(wallet, "POST /token: bad DPoP header", request);
    }
    for (listener, path) in [(wallet, "/nonce"), (management, "/offers")] {
        let method = if listener == wallet { "POST" } else { "GET" };
        let big = corpus
            .authed(listener, method, path)
            .header("X-Padding", "p".repeat(40 * 1024));
        corpus.add(listener, format!("{method} {path}: a 40 KiB header"), big);
        let mut many = corpus.authed(listener, method, path);
        for index in 0..60 {
            many = many.header(format!("X-Header-{index}"), "v".repeat(600));
        }
        corpus.add(
            listener,
            format!("{method} {path}: 60 headers of 600 bytes"),
            many,
        );

        // Heads HTTP/1.1 itself cannot parse.
        let huge = corpus
            .authed(listener, method, path)
            .header("X-Padding", "p".repeat(140 * 1024));
        corpus.add_protocol(listener, "a head beyond 128 KiB", huge);
        let mut too_many = corpus.authed(listener, method, path);
        for index in 0..100 {
            too_many = too_many.header(format!("X-H{index}"), "v");
        }
        corpus.add_protocol(listener, "more than 96 headers", too_many);
        corpus.add_protocol(
            listener,
            "a NUL byte in the target",
            corpus.authed(listener, "GET", "/offers/\u{0}"),
        );
        corpus.add_protocol(
            listener,
            "control characters in a header value",
            corpus
                .authed(listener, method, path)
                .header("X-Request-Id", b"\x00\x7f".to_vec()),
        );
        corpus.add_protocol(
            listener,
            "raw non-ASCII bytes in the target",
            RawRequest::new("GET", b"/offers/\xff\xfe".to_vec()),
        );
    }
    corpus
}

/// Checks one answer; returns a problem description.
fn judge(case: &Case, response: &RawResponse) -> Option<String> {
    let status = response.status;
    if !(400..500).contains(&status) {
        return Some(format!("status {status}"));
    }
    if case.expect == Expect::Protocol {
        return None;
    }
    // RFC 6750 §3.1: a request with no bearer token (or another scheme) gets a bare
    // challenge, no error code.
    if case.listener == Listener::Wallet
        && status == 401
        && response.body.is_empty()
        && response.header("www-authenticate").is_some()
    {
        return None;
    }
    let content_type = response.header("content-type").unwrap_or_default();
    if !content_type.starts_with("application/json") {
        return Some(format!("status {status}, content type {content_type:?}"));
    }
    let body: Value = match serde_json::from_slice(&response.body) {
        Ok(body) => body,
        Err(_) => {
            return Some(format!(
                "status {status}, body not JSON: {:?}",
                String::from_utf8_lossy(&response.body)
            ))
        }
    };
    let envelope_ok = body["error"].as_str().is_some_and(|e| !e.is_empty())
        && body["error_description"].is_string()
        && match case.listener {
            Listener::Management => body.as_object().is_some_and(|o| {
                o.keys()
                    .all(|k| ["error", "error_description", "details"].contains(&k.as_str()))
            }),
            Listener::Wallet => body.as_object().is_some_and(|o| {
                o.keys().all(|k| {
                    [
                        "error",
                        "error_description",
                        "c_nonce",
                        "c_nonce_expires_in",
                    ]
                    .contains(&k.as_str())
                })
            }),
        };
    (!envelope_ok).then(|| format!("status {status}, not the error envelope: {body}"))
}

#[tokio::test]
async fn malformed_requests_get_4xx_json_errors_write_nothing_and_leave_issuance_working() {
    // Every request must reach its parser, not a rate limit (off in tests by default).
    let app = spawn_app_with(with_authcode(TestOptions::default())).await;
    let created = app.create_offer(&identity_offer()).await;
    let access_token = app.access_token(&created).await;
    let corpus = build_corpus(access_token);
    assert!(corpus.cases.len() >= 500, "{} cases", corpus.cases.len());
    let head_before = app.written_head().await;
    let events_before = app.event_count().await;

    let app_ref = &app;
    let failures: Vec<String> = stream::iter(corpus.cases.iter())
        .map(|case| async move {
            let base = match case.listener {
                Listener::Wallet => &app_ref.wallet,
                Listener::Management => &app_ref.management,
            };
            let response = send(base, &case.request).await;
            judge(case, &response)
                .map(|problem| format!("{:?} {}: {problem}", case.listener, case.label))
        })
        .buffer_unordered(8)
        .filter_map(|failure| async move { failure })
        .collect()
        .await;
    assert!(
        failures.is_empty(),
        "{} of {} malformed requests were not answered with a 4xx JSON error:\n{}",
        failures.len(),
        corpus.cases.len(),
        failures.join("\n")
    );

    assert_eq!(
        app.written_head().await,
        head_before,
        "a malformed request wrote to the log"
    );
    assert_eq!(app.event_count().await, events_before);

    // Issuance still works end to end.
    let created = app.create_offer(&identity_offer()).await;
    let token = app.access_token(&created).await;
    let key = HolderKey::es256();
    let reply = app
        .request_credentials(&token, "IdentityCredential", &[&key])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["credentials"].as_array().unwrap().len(), 1);
}
