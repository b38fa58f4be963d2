//! What the issuers' forms share ([`super::issuer_edit`], [`super::issuer_keys`],
//! [`super::issuer_configurations`]): the issuer a form changes (`issuers:write`, an issuer
//! the key sees, else the API's 403 or 404), the API's refusals shown in the form's page
//! (400 and 409, with the per-field `details`) and the confirmation page of an
//! irreversible action.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;
use issuance_domain::issuer::Issuer;

use super::{ConsoleError, Nav};
use crate::http::management::auth::{Caller, Scope};
use crate::http::management::error::ApiError;
use crate::http::state::ManagementApi;

/// One problem of the API's `details`.
pub struct Detail {
    /// The field, e.g. `claims[0].path`.
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}

/// A refusal shown in the form's page.
pub struct Problem {
    /// The API's status (400 or 409).
    pub status: StatusCode,
    /// The API's description.
    pub description: String,
    /// The API's details, one per field.
    pub details: Vec<Detail>,
}

impl Problem {
    /// A 400 of the console's own (the form's text is not what the API takes).
    pub fn bad_request(description: String) -> Problem {
        Problem {
            status: StatusCode::BAD_REQUEST,
            description,
            details: Vec::new(),
        }
    }
}

/// The API's refusal as the form's page shows it: 400 and 409 (the input or the issuer's
/// state) stay in the form; 403, 404 and failures are the error page's.
pub fn problem(error: ApiError) -> Result<Problem, ConsoleError> {
    if error.status != StatusCode::BAD_REQUEST && error.status != StatusCode::CONFLICT {
        return Err(error.into());
    }
    let details = error
        .details
        .iter()
        .map(|d| Detail {
            field: d["field"].as_str().unwrap_or_default().to_string(),
            problem: d["problem"].as_str().unwrap_or_default().to_string(),
        })
        .collect();
    Ok(Problem {
        status: error.status,
        description: error.error_description,
        details,
    })
}

/// Issuer `id` for a form of `caller`: `issuers:write` (403) and an issuer it sees (the
/// unknown issuer's 404), as the API's write routes check.
pub async fn writable(
    state: &ManagementApi,
    caller: &Caller,
    id: &str,
) -> Result<Issuer, ConsoleError> {
    caller.require(Scope::IssuersWrite)?;
    caller.require_issuer(id)?;
    Ok(state.issuers.get(id).await.map_err(ApiError::from)?)
}

/// `page` with `status`, as HTML.
pub fn render_status(
    status: StatusCode,
    page: &impl Template,
) -> Result<HttpResponse, ConsoleError> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(page.render()?))
}

/// The confirmation step of an irreversible change of an issuer.
#[derive(Template)]
#[template(path = "console/confirm_issuer.html")]
pub struct ConfirmPage {
    /// The navigation.
    pub nav: Option<Nav>,
    /// The session's CSRF token.
    pub csrf: String,
    /// The page's heading, e.g. `Retire key k1 of acme`.
    pub title: String,
    /// The issuer's id (the way back).
    pub issuer: String,
    /// What is changed, as it is now.
    pub facts: Vec<(String, String)>,
    /// Why it cannot be done (no form then).
    pub refusal: Option<String>,
    /// What doing it will do.
    pub consequences: Vec<String>,
    /// Where the form posts.
    pub action: String,
    /// The button's label.
    pub button: String,
}
