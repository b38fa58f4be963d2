//! Pure domain model of the OpenID4VCI issuance engine.
//!
//! Nothing in this crate performs IO, reads a clock or draws randomness: the current time,
//! generated identifiers and code hashes come in as command fields, so every rule is a pure
//! function that the unit tests exercise directly.
//!
//! - [`offer`]: the Offer aggregate — commands, events, state, `decide` and `apply`.
//! - [`authorization`]: the AuthorizationSession aggregate of the authorization-code flow
//!   (PAR, PKCE, login hand-off, code exchange).
//! - [`issuer`]: the Issuer aggregate — an issuer managed at runtime: display, signing
//!   keys, versions of its credential configurations.
//! - [`aggregate`]: what every aggregate shares (the `EventSourced` and `StoredEvent` traits).
//! - [`credential_config`]: the credential configurations an issuer offers and the validation
//!   of an offer's claims against them; [`configuration_table`]: the configurations as
//!   written (TOML table or JSON) and their field-precise validation.
//! - [`mdoc_config`]: ISO mdoc (`mso_mdoc`) configurations: data elements by namespace,
//!   their CBOR value types, claim validation and metadata.
//! - [`digest`]: 32-byte digests used for every stored code hash, compared in constant time.
//! - [`canonical`]: canonical JSON bytes for hashing and fingerprints.
//! - [`status_list`]: credential status (revoke, suspend, reinstate) on Token Status Lists.
//! - [`sealed`]: personal data in events, encrypted with the offer's data key.
//! - [`event_schema`]: the JSON Schema of every stored event type and version ([`schema`]:
//!   how they are built).

pub mod aggregate;
pub mod authorization;
pub mod canonical;
pub mod catalog;
pub mod configuration_table;
pub mod credential_config;
pub mod digest;
pub mod event_schema;
pub mod issuer;
pub mod mdoc_config;
pub mod offer;
pub mod schema;
pub mod sealed;
pub mod status_list;

pub use aggregate::{DecodeError, EventSourced, StoredEvent};
pub use digest::Digest;
pub use sealed::Sealed;
