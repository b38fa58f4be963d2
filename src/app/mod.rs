//! The application layer: the command path of every aggregate ([`repository`], with its state
//! cache [`state_cache`]), the offer use cases ([`offers`]) and the retention task
//! minting credentials ([`credentials`]).

pub mod credentials;
pub mod issuers;
pub mod log_head;
pub mod nonce_ledger;
pub mod offers;
pub mod readiness;
pub mod repository;
pub mod state_cache;
