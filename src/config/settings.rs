//! Service settings (`Settings`) and the loader that layers defaults, TOML and environment.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::attestation::AttestationSettings;
use super::authorization::AuthorizationSettings;
use super::integration::{AmqpSettings, CallbackPolicy, SchedulerSettings};
use super::limits::Limits;
pub use super::policies::*;
use super::profile_kind::Profile;
use super::shutdown::ShutdownSettings;
use super::status_lists::StatusListSettings;
use issuance_domain::configuration_table::ConfigurationTable;

/// The example configuration used when `ISSUANCE_CONFIG` is not set.
/// It is `config/issuer.example.toml` followed by the ISO mdoc examples of
/// `config/mdoc.example.toml`.
pub const BUILT_IN_CONFIG: &str = concat!(
    include_str!("../../config/issuer.example.toml"),
    "\n",
    include_str!("../../config/mdoc.example.toml")
);
pub(super) const BUILT_IN_NAME: &str =
    "built-in configuration (config/issuer.example.toml and config/mdoc.example.toml)";

/// All service settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The interoperability profile (`haip` enforces HAIP 1.0).
    pub profile: Profile,
    /// Embedded store, generated keys and secrets.
    pub data_dir: PathBuf,
    /// Wallet (OID4VCI) listener.
    pub wallet_addr: String,
    /// Management listener.
    pub management_addr: String,
    /// Credential Issuer Identifier and base of every wallet URL.
    pub public_url: String,
    /// Bootstrap admin API key.
    pub admin_key: Option<Secret>,
    /// Event store URL (`sqlite://…`, `postgres://…`, `esdb://…`).
    pub event_store: Option<String>,
    /// Read store URL (`sqlite://…`, `postgres://…`).
    pub read_store: Option<String>,
    /// RabbitMQ URL; in-process delivery when unset.
    pub amqp_url: Option<Secret>,
    /// Fail start-up when the broker is unreachable.
    pub require_broker: bool,
    /// Default status-callback URL.
    pub callback_url: Option<String>,
    /// HMAC key for callback signatures; generated into the data dir when unset.
    pub callback_secret: Option<Secret>,
    /// Key for code derivation and token MACs (base64url, 32 bytes); generated into the data
    /// dir when unset. Every node of a cluster needs the same.
    pub server_secret: Option<Secret>,
    /// Log output format.
    pub log_format: LogFormat,
    /// Record client IP addresses in event metadata.
    pub record_client_ip: bool,
    /// HTTP worker threads per listener (defaults to the number of CPUs).
    pub workers: Option<usize>,
    /// Offer policies.
    pub offers: OfferPolicy,
    /// Token, nonce and proof lifetimes.
    pub tokens: TokenPolicy,
    /// Issuer identity and signing keys.
    pub issuer: IssuerSettings,
    /// Personal-data retention.
    pub retention: RetentionPolicy,
    /// Request limits.
    pub limits: Limits,
    /// The authorization-code flow.
    pub authorization: AuthorizationSettings,
    /// Wallet and key attestations (trust anchors, requirement).
    pub attestation: AttestationSettings,
    /// RabbitMQ names and client behaviour (when `amqp_url` is set).
    pub amqp: AmqpSettings,
    /// Status-callback retry policy.
    pub callbacks: CallbackPolicy,
    /// Background schedulers (offer expiry).
    pub scheduler: SchedulerSettings,
    /// Graceful shutdown timings.
    pub shutdown: ShutdownSettings,
    /// Credential status (Token Status Lists).
    pub status_lists: StatusListSettings,
    /// Management API keys.
    pub api_keys: Vec<ApiKeyConfig>,
    /// Credential configurations.
    pub credential_configurations: Vec<ConfigurationTable>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            profile: Profile::default(),
            data_dir: PathBuf::from("./data"),
            wallet_addr: "0.0.0.0:8080".into(),
            management_addr: "127.0.0.1:8081".into(),
            public_url: "http://127.0.0.1:8080".into(),
            admin_key: None,
            event_store: None,
            read_store: None,
            amqp_url: None,
            require_broker: false,
            callback_url: None,
            callback_secret: None,
            server_secret: None,
            log_format: LogFormat::Text,
            record_client_ip: false,
            workers: None,
            offers: OfferPolicy::default(),
            tokens: TokenPolicy::default(),
            issuer: IssuerSettings::default(),
            retention: RetentionPolicy::default(),
            limits: Limits::default(),
            authorization: AuthorizationSettings::default(),
            attestation: AttestationSettings::default(),
            amqp: AmqpSettings::default(),
            callbacks: CallbackPolicy::default(),
            scheduler: SchedulerSettings::default(),
            shutdown: ShutdownSettings::default(),
            status_lists: StatusListSettings::default(),
            api_keys: Vec::new(),
            credential_configurations: Vec::new(),
        }
    }
}

/// The shortest accepted `admin_key`.
pub const MIN_ADMIN_KEY_CHARS: usize = 32;

/// The longest access-token lifetime allowed for bearer tokens, seconds (OID4VCI §13.10:
/// longer ones must be sender-constrained, so DPoP must be required).
pub const MAX_BEARER_TOKEN_TTL: u64 = 300;

#[cfg(test)]
mod tests;
