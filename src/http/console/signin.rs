//! Signing in and out, and the [`Signed`] extractor every other page takes.
//!
//! `POST /console/login` checks the key exactly as the API checks a bearer key
//! ([`ApiKeys::authenticate`](crate::http::management::auth::ApiKeys::authenticate)) and
//! opens a session that keeps the key's identity, never the key. Login CSRF (a foreign page
//! signing the browser in with the attacker's key) is refused twice over: the session
//! cookies are `SameSite=Strict`, and the sign-in form is a double submit: `GET` sets a
//! random token in the `console_login` cookie (`HttpOnly`, only for `/console/login`, 10
//! minutes) and in the form; `POST` needs both, equal.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::session::{cookie, set_cookie, ConsoleSessions, Session, SESSION_COOKIE};
use super::{see_other, ConsoleError, Nav, PREFIX};
use crate::crypto::random_token;
use crate::http::management::auth::Caller;
use crate::http::state::ManagementApi;

/// The pre-session cookie of the sign-in form.
const LOGIN_COOKIE: &str = "console_login";
/// Where it is sent.
const LOGIN_PATH: &str = "/console/login";
/// How long a sign-in form stays usable, seconds.
const LOGIN_FORM_SECONDS: u64 = 600;

/// A request of a signed-in browser: its session, idle time restarted.
pub struct Signed {
    id: String,
    session: Session,
}

impl Signed {
    /// The key the browser signed in with.
    pub fn caller(&self) -> &Caller {
        &self.session.caller
    }

    /// The navigation of this session's pages.
    pub fn nav(&self) -> Option<Nav> {
        Some(Nav {
            name: self.session.caller.name.clone(),
            csrf: self.session.csrf.clone(),
        })
    }

    /// The token this session's forms carry.
    pub fn csrf(&self) -> &str {
        &self.session.csrf
    }

    /// Fails with 403 unless `presented` is this session's CSRF token.
    pub fn check_csrf(&self, presented: &str) -> Result<(), ConsoleError> {
        match self.session.csrf_matches(presented) {
            true => Ok(()),
            false => Err(ConsoleError::Csrf),
        }
    }
}

impl FromRequest for Signed {
    type Error = ConsoleError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let signed = request
            .app_data::<web::Data<ConsoleSessions>>()
            .and_then(|sessions| {
                let id = cookie(request.headers(), SESSION_COOKIE)?;
                let session = sessions.touch(id)?;
                Some(Signed {
                    id: id.to_string(),
                    session,
                })
            });
        ready(signed.ok_or(ConsoleError::SignIn))
    }
}

/// The sign-in page.
#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    csrf: String,
    problem: Option<String>,
    nav: Option<Nav>,
}

/// The sign-in form with a fresh double-submit token (its cookie set alongside).
fn login_page(
    sessions: &ConsoleSessions,
    status: StatusCode,
    problem: Option<String>,
) -> Result<HttpResponse, ConsoleError> {
    let csrf = random_token::<32>();
    let body = LoginPage {
        csrf: csrf.clone(),
        problem,
        nav: None,
    }
    .render()?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::SET_COOKIE,
            set_cookie(
                LOGIN_COOKIE,
                &csrf,
                LOGIN_PATH,
                Some(LOGIN_FORM_SECONDS),
                sessions.secure(),
            ),
        ))
        .body(body))
}

/// `GET /console/login`: the form (a signed-in browser goes on to the offers).
pub async fn form(
    sessions: web::Data<ConsoleSessions>,
    signed: Option<Signed>,
) -> Result<HttpResponse, ConsoleError> {
    if signed.is_some() {
        return Ok(see_other("/console/offers"));
    }
    login_page(&sessions, StatusCode::OK, None)
}

/// The sign-in form's fields.
#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    key: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /console/login`: a valid key opens a session (replacing the browser's previous
/// one) and goes on to the offers; else the form again, with 401.
pub async fn sign_in(
    state: web::Data<ManagementApi>,
    sessions: web::Data<ConsoleSessions>,
    request: HttpRequest,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, ConsoleError> {
    let form = form.into_inner();
    let expected = cookie(request.headers(), LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(form.csrf.as_bytes())) {
        return Err(ConsoleError::Csrf);
    }
    let Some(key) = state.api_keys.authenticate(form.key.trim()) else {
        tracing::info!("console sign-in refused: the API key is not valid");
        return login_page(
            &sessions,
            StatusCode::UNAUTHORIZED,
            Some("The API key is not valid.".into()),
        );
    };
    if let Some(previous) = cookie(request.headers(), SESSION_COOKIE) {
        sessions.close(previous);
    }
    let caller = Caller::from(key);
    tracing::info!(key = %caller.name, "console sign-in");
    let id = sessions.open(caller);
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/offers"))
        .append_header((
            header::SET_COOKIE,
            set_cookie(SESSION_COOKIE, &id, PREFIX, None, sessions.secure()),
        ))
        .append_header((
            header::SET_COOKIE,
            set_cookie(LOGIN_COOKIE, "", LOGIN_PATH, Some(0), sessions.secure()),
        ))
        .finish())
}

/// A form that carries only the CSRF token.
#[derive(Deserialize)]
pub struct TokenForm {
    /// The session's CSRF token.
    #[serde(default)]
    pub csrf: String,
}

/// `POST /console/logout`: ends the session and clears its cookie.
pub async fn sign_out(
    sessions: web::Data<ConsoleSessions>,
    signed: Signed,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, ConsoleError> {
    signed.check_csrf(&form.csrf)?;
    sessions.close(&signed.id);
    tracing::info!(key = %signed.caller().name, "console sign-out");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, LOGIN_PATH))
        .insert_header((
            header::SET_COOKIE,
            set_cookie(SESSION_COOKIE, "", PREFIX, Some(0), sessions.secure()),
        ))
        .finish())
}
