//! Responses through the browser: to the wallet's redirect URI (RFC 6749 §4.1.2, §4.1.2.1,
//! with the RFC 9207 `iss` parameter) and to the institution's login page.

use actix_web::http::header;
use actix_web::HttpResponse;

use crate::http::wallet::errors::ErrorCode;

/// What the wallet learns at its redirect URI.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// An authorization code.
    Code(&'a str),
    /// An error and its description.
    Error(ErrorCode, &'a str),
}

/// `redirect_uri` with the response parameters added to its query (its own query is kept,
/// RFC 6749 §3.1.2): `code` or `error` + `error_description`, the wallet's `state`, and
/// `iss` (RFC 9207 §2, sent with every response since the metadata says so).
pub fn to_wallet(
    redirect_uri: &str,
    issuer: &str,
    state: Option<&str>,
    outcome: Outcome,
) -> Result<String, url::ParseError> {
    let mut url = url::Url::parse(redirect_uri)?;
    {
        let mut query = url.query_pairs_mut();
        match outcome {
            Outcome::Code(code) => {
                query.append_pair("code", code);
            }
            Outcome::Error(error, description) => {
                query.append_pair("error", error.as_str());
                query.append_pair("error_description", description);
            }
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
        query.append_pair("iss", issuer);
    }
    Ok(url.into())
}

/// The institution's login page with the one-time `login_challenge`.
pub fn to_login(login_url: &str, challenge: &str) -> Result<String, url::ParseError> {
    let mut url = url::Url::parse(login_url)?;
    url.query_pairs_mut()
        .append_pair("login_challenge", challenge);
    Ok(url.into())
}

/// `302 Found` to `location`, never cached (the URL carries one-time secrets).
pub fn found(location: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wallet_responses_keep_the_redirect_query_and_add_iss() {
        let url = to_wallet(
            "https://wallet.example/cb?tab=1",
            "https://issuer.example",
            Some("s&1"),
            Outcome::Code("abc"),
        )
        .unwrap();
        assert_eq!(
            url,
            "https://wallet.example/cb?tab=1&code=abc&state=s%261&iss=https%3A%2F%2Fissuer.example"
        );
        let error = to_wallet(
            "eu.wallet://cb",
            "https://issuer.example",
            None,
            Outcome::Error(ErrorCode::AccessDenied, "denied"),
        )
        .unwrap();
        assert_eq!(
            error,
            "eu.wallet://cb?error=access_denied&error_description=denied&iss=https%3A%2F%2Fissuer.example"
        );
    }

    #[test]
    fn the_login_url_gets_the_challenge() {
        assert_eq!(
            to_login("https://bank.example/login?lang=de", "c-1").unwrap(),
            "https://bank.example/login?lang=de&login_challenge=c-1"
        );
    }
}
