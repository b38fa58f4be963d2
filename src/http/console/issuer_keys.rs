//! An issuer's signing keys from the console (`issuers:write`), through the API's own code:
//! `POST /console/issuers/{id}/keys` generates one (as `POST /issuers/{id}/keys` with `{}`;
//! the issuer's first key becomes active), `POST …/keys/{kid}/activate` makes a key the one
//! that signs, and `GET …/keys/{kid}/retire` confirms what the `POST` does: the key never
//! signs again and stays in the JWKS until `published_until`.

use actix_web::{web, HttpResponse};
use issuance_domain::issuer::{IssuerError, KeyStatus};

use super::editing::{writable, ConfirmPage};
use super::offers::when;
use super::signin::{Signed, TokenForm};
use super::{render, see_other, ConsoleError};
use crate::app::issuers::keys::published_after_retirement;
use crate::http::management::error::ApiError;
use crate::http::management::issuers::keys::{add_key, change_key, KeyChange, NewKey};
use crate::http::request_context::RequestContext;
use crate::http::state::ManagementApi;

/// Back to the issuer's keys.
fn keys_of(id: &str) -> HttpResponse {
    see_other(&format!("/console/issuers/{id}"))
}

/// `POST /console/issuers/{id}/keys`: generates a key, then `303` to the issuer.
pub async fn generate(
    state: web::Data<ManagementApi>,
    signed: Signed,
    context: RequestContext,
    path: web::Path<String>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, ConsoleError> {
    signed.check_csrf(&form.csrf)?;
    let caller = signed.caller();
    let key = add_key(&state, caller, context, &path, NewKey::default()).await?;
    tracing::info!(key = %caller.name, issuer = %path, kid = %key.kid, "signing key generated from the console");
    Ok(keys_of(&path))
}

/// `POST /console/issuers/{id}/keys/{kid}/activate`: makes the key the one that signs,
/// then `303` to the issuer.
pub async fn activate(
    state: web::Data<ManagementApi>,
    signed: Signed,
    context: RequestContext,
    path: web::Path<(String, String)>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, ConsoleError> {
    change(&state, &signed, context, path, &form, KeyChange::Activate).await
}

/// Activates or retires the key of `path` (CSRF-checked), then `303` to the issuer.
async fn change(
    state: &ManagementApi,
    signed: &Signed,
    context: RequestContext,
    path: web::Path<(String, String)>,
    form: &TokenForm,
    change: KeyChange,
) -> Result<HttpResponse, ConsoleError> {
    signed.check_csrf(&form.csrf)?;
    let caller = signed.caller();
    let (id, kid) = path.into_inner();
    change_key(state, caller, context, &id, &kid, change).await?;
    tracing::info!(key = %caller.name, issuer = %id, %kid, ?change, "signing key changed from the console");
    Ok(keys_of(&id))
}

/// `GET /console/issuers/{id}/keys/{kid}/retire`: what retiring the key does (until when
/// it stays published), and the form.
pub async fn retire_form(
    state: web::Data<ManagementApi>,
    signed: Signed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let (id, kid) = path.into_inner();
    let issuer = writable(&state, signed.caller(), &id).await?;
    let key = issuer
        .keys
        .get(&kid)
        .ok_or_else(|| ApiError::from(IssuerError::UnknownKid(kid.clone())))?;
    let validity = published_after_retirement(&issuer);
    let until = when(state.clock.now() + validity);
    let refusal = match key.status {
        KeyStatus::Active => Some(
            "This is the key that signs: activate another key first, then retire this one."
                .to_string(),
        ),
        KeyStatus::Retired {
            published_until, ..
        } => Some(format!(
            "The key is already retired; it stays published until {}.",
            when(published_until)
        )),
        KeyStatus::Pending | KeyStatus::Inactive => None,
    }
    .or_else(|| {
        issuer
            .is_retired()
            .then(|| "The issuer is retired: its keys change no more.".to_string())
    });
    render(&ConfirmPage {
        nav: signed.nav(),
        csrf: signed.csrf().to_string(),
        title: format!("Retire key {kid} of {id}"),
        facts: vec![
            ("Key id".into(), kid.clone()),
            ("Algorithm".into(), key.alg.to_string()),
            ("Added".into(), when(key.added_at)),
        ],
        refusal,
        consequences: vec![
            "Retiring is for good: the key never signs again and cannot be activated again.".into(),
            format!(
                "It stays in the issuer's published keys (JWKS) until {until}, {} days from \
                 now: the longest credential validity of the issuer's configurations, so \
                 that credentials it signed can be verified until they expire. Then it \
                 leaves the JWKS.",
                validity.num_days()
            ),
        ],
        action: format!("/console/issuers/{id}/keys/{kid}/retire"),
        button: "Retire the key".into(),
        issuer: id,
    })
}

/// `POST /console/issuers/{id}/keys/{kid}/retire`: retires the key, then `303` to the
/// issuer.
pub async fn retire(
    state: web::Data<ManagementApi>,
    signed: Signed,
    context: RequestContext,
    path: web::Path<(String, String)>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, ConsoleError> {
    change(&state, &signed, context, path, &form, KeyChange::Retire).await
}
