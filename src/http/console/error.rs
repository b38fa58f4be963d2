//! What a console page answers when it cannot show what was asked: a redirect to the
//! sign-in page without a session, else an HTML error page with the API's status (403 for a
//! missing scope or CSRF token, 404 for what the key does not see, …).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::http::management::error::ApiError;

/// Why a console request was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No (live) session: `303 See Other` to the sign-in page.
    #[error("sign in first")]
    SignIn,
    /// A form without this session's CSRF token.
    #[error("the form is outdated or was not sent by this console; reload the page and try again")]
    Csrf,
    /// The request itself is malformed (a filter, a form field).
    #[error("{0}")]
    BadRequest(String),
    /// What the management API would answer, as its status and description.
    #[error("{description}")]
    Api {
        /// The API's status.
        status: StatusCode,
        /// The API's description.
        description: String,
    },
    /// A template failed to render.
    #[error("the page could not be rendered")]
    Render(#[from] askama::Error),
}

impl From<ApiError> for ConsoleError {
    fn from(error: ApiError) -> Self {
        ConsoleError::Api {
            status: error.status,
            description: error.error_description,
        }
    }
}

/// The HTML error page.
#[derive(Template)]
#[template(path = "console/error.html")]
pub struct ErrorPage {
    /// The status line, e.g. `403 Forbidden`.
    pub heading: String,
    /// What went wrong.
    pub description: String,
    /// Never set: error pages show no navigation.
    pub nav: Option<super::Nav>,
}

impl ErrorPage {
    /// The page for `status` with `description`.
    pub fn response(status: StatusCode, description: &str) -> HttpResponse {
        let page = ErrorPage {
            heading: format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("Error")
            ),
            description: description.to_string(),
            nav: None,
        };
        let body = page
            .render()
            .unwrap_or_else(|_| format!("{} {}", page.heading, page.description));
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body)
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            ConsoleError::SignIn => StatusCode::SEE_OTHER,
            ConsoleError::Csrf => StatusCode::FORBIDDEN,
            ConsoleError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ConsoleError::Api { status, .. } => *status,
            ConsoleError::Render(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ConsoleError::SignIn => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/console/login"))
                .finish(),
            ConsoleError::Render(error) => {
                tracing::error!(%error, "console page rendering failed");
                ErrorPage::response(self.status_code(), &self.to_string())
            }
            other => ErrorPage::response(other.status_code(), &other.to_string()),
        }
    }
}
