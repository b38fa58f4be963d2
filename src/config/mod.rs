//! Configuration: service settings and credential configurations.
//!
//! Layers, later ones win: built-in defaults, the TOML file (`ISSUANCE_CONFIG`, else the
//! built-in example `config/issuer.example.toml`), then `ISSUANCE_*` environment variables
//! (`ISSUANCE_OFFERS__MAX_EXPIRES_IN` sets `offers.max_expires_in`). Every problem is
//! reported with the file, the field and what is wrong.

pub mod api_keys;
mod attestation;
mod authorization;
pub mod client_ids;
mod configuration_table;
mod environment;
mod error;
mod integration;
mod limits;
mod loaded;
mod policies;
mod profile;
mod profile_kind;
pub mod redact;
mod retention_hours;
mod settings;
mod shutdown;
mod status_lists;
mod validate;

pub use attestation::AttestationSettings;
pub use authorization::{AuthorizationSettings, ClientConfig, DpopMode};
pub use configuration_table::{convert, convert_mdoc};
pub use environment::unknown_environment;
pub use error::ConfigError;
pub use integration::{AmqpSettings, CallbackPolicy, SchedulerSettings};
pub use limits::{parse_proxy, Limits, Rate, RateLimits};
pub use loaded::LoadedConfig;
pub use profile_kind::Profile;
pub use settings::*;
pub use shutdown::ShutdownSettings;
pub use status_lists::StatusListSettings;
