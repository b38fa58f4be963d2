//! Splitting our own options off a `postgres://` URL.

use super::PgError;

/// A URL with our options taken out.
#[derive(Debug, PartialEq)]
pub(super) struct SplitUrl {
    /// What `tokio-postgres` parses.
    pub libpq_url: String,
    /// `schema=`.
    pub schema: Option<String>,
    /// `pool_size=`.
    pub pool_size: Option<usize>,
    /// `sslrootcert=`.
    pub sslrootcert: Option<String>,
}

/// Largest accepted pool.
const MAX_POOL_SIZE: usize = 256;

/// Takes `schema`, `pool_size` and `sslrootcert` out of the query string.
pub(super) fn split(url: &str) -> Result<SplitUrl, PgError> {
    let mut parsed = url::Url::parse(url).map_err(|e| PgError::Url(e.to_string()))?;
    if !matches!(parsed.scheme(), "postgres" | "postgresql") {
        return Err(PgError::Url(format!(
            "scheme `{}` is not postgres://",
            parsed.scheme()
        )));
    }
    let mut schema = None;
    let mut pool_size = None;
    let mut sslrootcert = None;
    let mut kept = Vec::new();
    for (key, value) in parsed.query_pairs() {
        match key.as_ref() {
            "schema" => schema = Some(valid_schema(&value)?),
            "pool_size" => {
                pool_size = Some(
                    value
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=MAX_POOL_SIZE).contains(n))
                        .ok_or_else(|| {
                            PgError::Url(format!("pool_size must be within 1..={MAX_POOL_SIZE}"))
                        })?,
                )
            }
            "sslrootcert" => sslrootcert = Some(value.into_owned()),
            _ => kept.push((key.into_owned(), value.into_owned())),
        }
    }
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    Ok(SplitUrl {
        libpq_url: parsed.to_string(),
        schema,
        pool_size,
        sslrootcert,
    })
}

/// A schema name we can put into `search_path` and DDL without quoting: lower-case ASCII
/// letters, digits and `_`, not starting with a digit, at most 63 bytes.
fn valid_schema(name: &str) -> Result<String, PgError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit();
    if ok {
        Ok(name.to_string())
    } else {
        Err(PgError::Url(format!(
            "schema `{name}` must be lower-case letters, digits and _ (at most 63)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_options_are_taken_out_and_the_rest_kept() {
        let split = split(
            "postgres://u:p@db:5432/issuer?schema=node_a&sslmode=require&pool_size=4&sslrootcert=%2Fca.pem",
        )
        .unwrap();
        assert_eq!(
            split,
            SplitUrl {
                libpq_url: "postgres://u:p@db:5432/issuer?sslmode=require".into(),
                schema: Some("node_a".into()),
                pool_size: Some(4),
                sslrootcert: Some("/ca.pem".into()),
            }
        );
    }

    #[test]
    fn a_url_without_options_is_unchanged() {
        let split = split("postgresql://postgres@127.0.0.1/test").unwrap();
        assert_eq!(split.libpq_url, "postgresql://postgres@127.0.0.1/test");
        assert_eq!(split.schema, None);
    }

    #[test]
    fn unsafe_schema_names_and_sizes_are_rejected() {
        for url in [
            "postgres://h/d?schema=Robert%27);DROP",
            "postgres://h/d?schema=1abc",
            "postgres://h/d?schema=",
            "postgres://h/d?pool_size=0",
            "postgres://h/d?pool_size=many",
            "mysql://h/d",
        ] {
            assert!(split(url).is_err(), "{url}");
        }
    }
}
