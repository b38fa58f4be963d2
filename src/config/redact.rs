//! Connection URLs as they may appear in messages and logs.

/// A URL with any password (user info or `password=` query parameter) replaced, for
/// messages and logs.
pub fn redact(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        // Not a URL we can take apart: show only its scheme.
        return match url.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://***"),
            None => "***".into(),
        };
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    let has_secret_param = parsed
        .query_pairs()
        .any(|(key, _)| key.eq_ignore_ascii_case("password"));
    if has_secret_param {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(key, value)| {
                let value = if key.eq_ignore_ascii_case("password") {
                    "***".to_string()
                } else {
                    value.into_owned()
                };
                (key.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_survive_redaction() {
        for (url, expected) in [
            (
                "postgres://app:s3cret@db:5432/issuer?schema=a",
                "postgres://app:***@db:5432/issuer?schema=a",
            ),
            (
                "postgres://app@db/issuer?password=s3cret&sslmode=require",
                "postgres://app@db/issuer?password=***&sslmode=require",
            ),
            (
                "esdb://admin:changeit@kurrentdb:2113?tls=false",
                "esdb://admin:***@kurrentdb:2113?tls=false",
            ),
            (
                "sqlite:///var/lib/issuance/events.db",
                "sqlite:///var/lib/issuance/events.db",
            ),
            ("not a url with s3cret", "***"),
        ] {
            assert_eq!(redact(url), expected);
            if url.contains("s3cret") || url.contains("changeit") {
                assert!(!redact(url).contains("s3cret") && !redact(url).contains("changeit"));
            }
        }
    }
}
