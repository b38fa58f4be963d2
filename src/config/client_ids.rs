//! The syntax of wallet client ids and redirect URIs, checked in the configuration and at
//! the authorization endpoints alike.

/// Schemes a redirect URI may never use: they run code, read local data or are not
/// redirect targets at all.
const FORBIDDEN_SCHEMES: &[&str] = &[
    "javascript",
    "data",
    "file",
    "vbscript",
    "about",
    "blob",
    "ftp",
    "ws",
    "wss",
    "mailto",
    "tel",
];

/// A `client_id`: 1–255 printable ASCII characters without spaces.
pub fn is_client_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= 255 && text.bytes().all(|b| b.is_ascii_graphic())
}

/// An absolute URI without fragment (RFC 6749 §3.1.2), of a scheme that can be a redirect
/// target.
pub fn check_redirect_uri_syntax(uri: &str) -> Result<(), &'static str> {
    if uri.len() > 2048 {
        return Err("longer than 2048 characters");
    }
    let parsed = url::Url::parse(uri).map_err(|_| "not an absolute URI")?;
    if parsed.fragment().is_some() || uri.contains('#') {
        return Err("a redirect URI must not have a fragment");
    }
    if FORBIDDEN_SCHEMES.contains(&parsed.scheme()) {
        return Err("this scheme cannot be a redirect target");
    }
    Ok(())
}
