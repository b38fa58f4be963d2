//! The Issuer aggregate: one credential issuer an institution runs (a brand, a legal
//! entity, a test or production issuer) — its display, its signing keys and the versions
//! of its credential configurations — managed at runtime. Stream `issuer-<issuer id>`.
//!
//! ```text
//! (none) ──create──▶ live ──retire──▶ retired (terminal: every change is refused)
//!
//! signing key:   generate / import ──▶ pending ──activate──▶ active ──another activated──▶ inactive
//!                      pending / inactive ──retire──▶ retired (published until `published_until`)
//! configuration: publish (version 1, 2, …) ──retire──▶ retired (its versions stay readable)
//! profile:       standard ──set haip──▶ haip ──set standard──▶ standard
//! ```
//!
//! A `haip` issuer's active key has a certificate chain: `haip` is refused while the
//! active key has none, and a key without one is not activated on a `haip` issuer.
//!
//! Every key that is not retired is published (in the JWKS), a retired one until the last
//! credential it signed has expired; only the active key signs. Private keys never appear
//! here: an event holds the public JWK and an opaque reference to where the service keeps
//! the encrypted private key. A configuration is stored as the JSON of one
//! `[[credential_configurations]]` table (see [`crate::configuration_table`]), checked by
//! the same rules as the TOML file; offers name the version they were made from.
//!
//! - [`command`], [`event`], [`error`]: what is asked, what happened, what was refused;
//!   [`codec`]: the events' stored form.
//! - [`decide`](crate::issuer::decide): every rule; [`state`]: the fold and the queries
//!   the service needs (active key, published keys, configuration versions).
//! - [`key`]: signing algorithms and the checks of public keys and certificate chains.

mod aggregate;
pub mod codec;
pub mod command;
pub mod decide;
pub mod error;
pub mod event;
pub mod key;
pub mod state;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_configurations;
#[cfg(test)]
mod tests_keys;
#[cfg(test)]
mod tests_profile;

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use codec::{current_version, EVENT_TYPES};
pub use command::*;
pub use decide::decide;
pub use error::IssuerError;
pub use event::*;
pub use key::{SigningAlg, PRIVATE_JWK_MEMBERS};
pub use state::{
    ConfigurationHistory, Issuer, KeyOrigin, KeyStatus, PublishedConfiguration, SigningKeyState,
};

/// Prefix of every issuer stream.
pub const STREAM_PREFIX: &str = "issuer-";

/// The id of the issuer the configuration file describes, served at the root identifier.
/// Its offers record no issuer id (`None` means this issuer wherever an id is optional).
pub const DEFAULT_ISSUER_ID: &str = "default";

/// An issuer's id: a slug of 1 to 64 lowercase letters, digits and `-`. It names the
/// issuer's stream and its Credential Issuer Identifier (`{public_url}/{issuer id}`).
///
/// Deserialising does not check the syntax (stored events were checked when decided);
/// [`IssuerId::parse`] does.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct IssuerId(String);

impl IssuerId {
    /// The longest id.
    pub const MAX_LEN: usize = 64;

    /// Checks the syntax.
    pub fn parse(id: &str) -> Result<IssuerId, IssuerError> {
        let valid = (1..=Self::MAX_LEN).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(IssuerId(id.to_string()))
        } else {
            Err(IssuerError::InvalidId(format!(
                "`{id}` must be 1-{} characters of a-z 0-9 -",
                Self::MAX_LEN
            )))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IssuerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The stream id of an issuer: `issuer-<issuer id>`.
pub fn stream_id(issuer_id: IssuerId) -> String {
    format!("{STREAM_PREFIX}{issuer_id}")
}

/// The issuer id of an issuer stream id.
pub fn issuer_id_of_stream(stream_id: &str) -> Option<IssuerId> {
    stream_id
        .strip_prefix(STREAM_PREFIX)
        .and_then(|id| IssuerId::parse(id).ok())
}
