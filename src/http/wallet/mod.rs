//! The wallet API (OID4VCI 1.0), default `0.0.0.0:8080`, served under the path of the
//! Credential Issuer Identifier (`public_url`).
//!
//! - [`metadata`]: the three well-known documents, rendered once at start-up.
//! - [`type_metadata`]: SD-JWT VC type metadata at the `vct` URLs under the identifier.
//! - [`offer`]: the credential offer by reference.
//! - [`token`]: the token endpoint's grants; [`access_token`]: the tokens it mints.
//! - `/par` and `/authorize` are the authorization-code flow's (`crate::http::authorization`).
//! - [`nonce`]: `c_nonce` values and the nonce endpoint.
//! - [`credential`]: issuance, with [`credential_request`] and [`proofs`].
//! - [`notification`]: wallet notifications.
//! - [`status_list`]: the Status List Tokens relying parties check credentials against.
//! - [`errors`]: the OAuth/OID4VCI error envelope and the mapping of every rejection;
//!   [`rate_limit`]: per-client limits of the wallet endpoints (wrapped around the whole
//!   wallet listener, see `crate::node::startup`).

pub mod access_token;
pub mod authorization_details;
pub mod command_meta;
pub mod credential;
pub mod credential_request;
pub mod documents;
pub mod encryption;
pub mod errors;
pub mod metadata;
pub mod nonce;
pub mod notification;
pub mod offer;
pub mod proofs;
pub mod rate_limit;
pub mod rate_limit_middleware;
pub mod rejections;
pub mod routes;
pub mod served;
pub mod status_list;
pub mod token;
pub mod token_grant;
pub mod type_metadata;
pub mod wallet_state;

pub use command_meta::{wallet_command_meta, WALLET_ACTOR};
pub use routes::configure;
pub use wallet_state::WalletState;
