//! The admin console (`/console`) as a browser without JavaScript uses it: sign-in with an
//! API key, the offers list and an offer's page, revocation with a confirmation step, the
//! audit trail and its verification, sign-out; and its security: redirects without a
//! session, scopes as in the API, CSRF tokens on every form, strict headers, no inline
//! script or style.

use std::collections::HashMap;

use reqwest::header::{HeaderMap, CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use serde_json::json;

use crate::support::{identity_offer, spawn_app, TestApp, ADMIN_KEY, READER_KEY};

/// A browser: no redirects followed, cookies kept by name.
pub struct Browser {
    base: String,
    client: reqwest::Client,
    /// Its cookies by name.
    pub cookies: HashMap<String, String>,
}

/// What a response brought.
pub struct Page {
    /// The status.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value of the first hidden `csrf` field.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.body.find(marker).expect("a csrf field") + marker.len();
        let end = self.body[start..].find('"').unwrap() + start;
        self.body[start..end].to_string()
    }
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            base: app.management.clone(),
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    pub async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let cookies = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = match cookies.is_empty() {
            true => request,
            false => request.header(COOKIE, cookies),
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for set in headers.get_all(SET_COOKIE) {
            let text = set.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        let body = response.text().await.unwrap();
        let page = Page {
            status,
            headers,
            body,
        };
        assert_strict(&page);
        page
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let request = self.client.post(format!("{}{path}", self.base)).form(form);
        self.send(request).await
    }

    pub async fn sign_in(&mut self, key: &str) {
        let form = self.get("/console/login").await;
        assert_eq!(form.status, 200);
        let signed = self
            .post("/console/login", &[("key", key), ("csrf", &form.csrf())])
            .await;
        assert_eq!(signed.status, 303, "{}", signed.body);
        assert_eq!(signed.location(), "/console/offers");
        assert!(self.cookies.contains_key("console_session"));
    }
}

/// Every console response: the strict policy and framing, caching and referrer headers;
/// HTML without inline script or style.
fn assert_strict(page: &Page) {
    let header = |name: &str| {
        page.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let policy = header(CONTENT_SECURITY_POLICY.as_str());
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(policy.contains(directive), "{policy}");
    }
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(header("cache-control"), "no-store");
    assert_eq!(header("referrer-policy"), "no-referrer");
    let body = page.body.to_ascii_lowercase();
    assert!(!body.contains("<script"), "no script at all: {}", page.body);
    assert!(
        !body.contains("style="),
        "no style attribute: {}",
        page.body
    );
    assert!(!body.contains("<style"), "no style element: {}", page.body);
}

#[tokio::test]
async fn without_a_session_every_page_redirects_to_the_sign_in_page() {
    let app = spawn_app().await;
    let mut browser = Browser::new(&app);
    for path in ["/console/offers", "/console/audit", "/console"] {
        let page = browser.get(path).await;
        assert_eq!(page.status, 303, "{path}");
        assert!(page.location().starts_with("/console/"), "{path}");
    }
    let page = browser.get("/console/offers").await;
    assert_eq!(page.location(), "/console/login");
    let page = browser
        .post("/console/logout", &[("csrf", "whatever")])
        .await;
    assert_eq!((page.status, page.location()), (303, "/console/login"));
    // A made-up session cookie is no session.
    browser
        .cookies
        .insert("console_session".into(), "made-up".into());
    let page = browser.get("/console/offers").await;
    assert_eq!((page.status, page.location()), (303, "/console/login"));
    let stylesheet = browser.get("/console/assets/console.css").await;
    assert_eq!(stylesheet.status, 200);
    let missing = browser.get("/console/nothing-here").await;
    assert_eq!(missing.status, 404);
    assert!(missing.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}

#[tokio::test]
async fn the_sign_in_form_refuses_wrong_keys_and_forms_without_its_token() {
    let app = spawn_app().await;
    let mut browser = Browser::new(&app);
    let form = browser.get("/console/login").await;
    let page = browser
        .post(
            "/console/login",
            &[("key", "wrong"), ("csrf", &form.csrf())],
        )
        .await;
    assert_eq!(page.status, 401);
    assert!(page.body.contains("not valid"));
    assert!(!browser.cookies.contains_key("console_session"));
    // A form posted from elsewhere has no (or another) token.
    let mut elsewhere = Browser::new(&app);
    let page = elsewhere
        .post("/console/login", &[("key", ADMIN_KEY)])
        .await;
    assert_eq!(page.status, 403);
    let page = elsewhere
        .post("/console/login", &[("key", ADMIN_KEY), ("csrf", "guess")])
        .await;
    assert_eq!(page.status, 403);
    assert!(!elsewhere.cookies.contains_key("console_session"));
    // The session cookie is HttpOnly, SameSite=Strict, under /console; no key in it.
    let form = browser.get("/console/login").await;
    let page = browser
        .post(
            "/console/login",
            &[("key", ADMIN_KEY), ("csrf", &form.csrf())],
        )
        .await;
    let cookie = page
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("console_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    assert!(cookie.contains("Path=/console"));
    assert!(
        !cookie.contains("Secure"),
        "the test app's public URL is http"
    );
    assert!(!cookie.contains(ADMIN_KEY));
}

#[tokio::test]
async fn an_admin_finds_an_offer_sees_its_timeline_and_revokes_it_after_confirming() {
    let app = spawn_app().await;
    let mut body = identity_offer();
    body["subject"] = json!("customer-console-1");
    let created = app.create_offer(&body).await;
    let offer_id = created["offer_id"].as_str().unwrap().to_string();
    let mut other = identity_offer();
    other["subject"] = json!("someone-else");
    app.create_offer(&other).await;

    let mut browser = Browser::new(&app);
    browser.sign_in(ADMIN_KEY).await;
    let list = browser
        .get("/console/offers?subject=customer-console-1&status=CREATED")
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains(&offer_id));
    assert!(list.body.contains("customer-console-1"));
    assert!(!list.body.contains("someone-else"));
    let everything = browser.get("/console/offers").await;
    assert!(everything.body.contains("someone-else"));
    let bad = browser.get("/console/offers?status=NOPE").await;
    assert_eq!(bad.status, 400);

    let page = browser.get(&format!("/console/offers/{offer_id}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("OfferCreated"),
        "timeline: {}",
        page.body
    );
    assert!(page.body.contains(">admin<"), "the actor");
    assert!(page.body.contains("CREATED"));
    assert!(page
        .body
        .contains(&format!("/console/offers/{offer_id}/qr.png")));
    assert!(page
        .body
        .contains(&format!("/console/offers/{offer_id}/revoke")));
    let qr = browser
        .get(&format!("/console/offers/{offer_id}/qr.png"))
        .await;
    assert_eq!(qr.status, 200);
    assert_eq!(qr.headers["content-type"], "image/png");

    let confirm = browser
        .get(&format!("/console/offers/{offer_id}/revoke"))
        .await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("Revoke the offer"));
    // Without the token, or with another one: refused, nothing revoked.
    let path = format!("/console/offers/{offer_id}/revoke");
    let refused = browser.post(&path, &[("reason", "x")]).await;
    assert_eq!(refused.status, 403);
    let refused = browser.post(&path, &[("csrf", "forged")]).await;
    assert_eq!(refused.status, 403);
    let (_, view) = app.get_json(&format!("/offers/{offer_id}")).await;
    assert_eq!(view["status"], "CREATED");

    let revoked = browser
        .post(
            &path,
            &[("csrf", &confirm.csrf()), ("reason", "customer asked")],
        )
        .await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    assert_eq!(revoked.location(), format!("/console/offers/{offer_id}"));
    let page = browser.get(&format!("/console/offers/{offer_id}")).await;
    assert!(page.body.contains(">REVOKED<"), "{}", page.body);
    assert!(page.body.contains("OfferRevoked"));
    assert!(!page.body.contains("qr.png"), "no QR code once revoked");
    assert!(
        !page.body.contains("/revoke\""),
        "no revoke button once revoked"
    );
    let (_, view) = app.get_json(&format!("/offers/{offer_id}")).await;
    assert_eq!(view["status"], "REVOKED");
    let again = browser.post(&path, &[("csrf", &confirm.csrf())]).await;
    assert_eq!(again.status, 409);
}

#[tokio::test]
async fn a_reader_sees_no_revoke_button_and_may_not_revoke() {
    let app = spawn_app().await;
    let created = app.create_offer(&identity_offer()).await;
    let offer_id = created["offer_id"].as_str().unwrap().to_string();
    let mut browser = Browser::new(&app);
    browser.sign_in(READER_KEY).await;
    let page = browser.get(&format!("/console/offers/{offer_id}")).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("/revoke"), "{}", page.body);
    let csrf = page.csrf();
    let path = format!("/console/offers/{offer_id}/revoke");
    assert_eq!(browser.get(&path).await.status, 403);
    let refused = browser.post(&path, &[("csrf", &csrf)]).await;
    assert_eq!(refused.status, 403);
    let (_, view) = app.get_json(&format!("/offers/{offer_id}")).await;
    assert_eq!(view["status"], "CREATED");
    // The reader has no audit:read either.
    assert_eq!(browser.get("/console/audit").await.status, 403);
}

#[tokio::test]
async fn the_audit_trail_is_listed_filtered_and_verified() {
    let app = spawn_app().await;
    let created = app.create_offer(&identity_offer()).await;
    let offer_id = created["offer_id"].as_str().unwrap().to_string();
    let mut browser = Browser::new(&app);
    browser.sign_in(ADMIN_KEY).await;
    let page = browser
        .get(&format!(
            "/console/audit?offer_id={offer_id}&type=OfferCreated"
        ))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("OfferCreated") && page.body.contains(&offer_id));
    let csrf = page.csrf();
    let refused = browser.post("/console/audit/verify", &[]).await;
    assert_eq!(refused.status, 403);
    let verified = browser
        .post("/console/audit/verify", &[("csrf", &csrf)])
        .await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert!(
        verified.body.contains("The chain is intact"),
        "{}",
        verified.body
    );
}

#[tokio::test]
async fn after_signing_out_the_old_cookie_is_refused() {
    let app = spawn_app().await;
    let mut browser = Browser::new(&app);
    browser.sign_in(ADMIN_KEY).await;
    let page = browser.get("/console/offers").await;
    assert_eq!(page.status, 200);
    let old = browser.cookies["console_session"].clone();
    // Signing out needs the token too.
    let refused = browser.post("/console/logout", &[]).await;
    assert_eq!(refused.status, 403);
    let out = browser
        .post("/console/logout", &[("csrf", &page.csrf())])
        .await;
    assert_eq!((out.status, out.location()), (303, "/console/login"));
    assert!(!browser.cookies.contains_key("console_session"));
    browser.cookies.insert("console_session".into(), old);
    let page = browser.get("/console/offers").await;
    assert_eq!((page.status, page.location()), (303, "/console/login"));
}

/// A key restricted to issuers sees their offers only, as in the API: another issuer's
/// (and the default issuer's) offers are neither listed nor opened (404).
#[tokio::test]
async fn a_key_restricted_to_an_issuer_sees_only_its_offers() {
    use crate::issuer_wallets::{offer_of, ready_issuer};
    use crate::support::{spawn_app_with, TestOptions};
    const ACME_KEY: &str = "console-acme-key-0123456789abcdef";
    let digest: String = {
        use sha2::Digest;
        sha2::Sha256::digest(ACME_KEY.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let keys = json!([{"name": "acme-backend", "sha256": digest,
                       "scopes": ["offers:read", "offers:write"], "issuers": ["acme"]}]);
    let app = spawn_app_with(TestOptions::default().set("api_keys", keys)).await;
    ready_issuer(&app, "acme", "https://acme.example/id").await;
    ready_issuer(&app, "globex", "https://globex.example/id").await;
    let id = |created: &serde_json::Value| created["offer_id"].as_str().unwrap().to_string();
    let acme = id(&offer_of(&app, "acme").await.1);
    let globex = id(&offer_of(&app, "globex").await.1);
    let default = id(&app.create_offer(&identity_offer()).await);

    let mut browser = Browser::new(&app);
    browser.sign_in(ACME_KEY).await;
    let list = browser.get("/console/offers").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains(&acme));
    assert!(!list.body.contains(&globex) && !list.body.contains(&default));
    assert!(
        list.body.contains("all <strong>1</strong>"),
        "the counts are of the key's issuers only: {}",
        list.body
    );
    assert_eq!(
        browser.get(&format!("/console/offers/{acme}")).await.status,
        200
    );
    for other in [&globex, &default] {
        let page = browser.get(&format!("/console/offers/{other}")).await;
        assert_eq!(page.status, 404, "{other}");
    }
}
