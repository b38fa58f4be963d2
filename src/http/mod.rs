//! The HTTP edge: the wallet API ([`wallet`]), the authorization-code flow ([`authorization`])
//! the management API ([`management`]) and its admin console ([`console`]), the state their handlers share ([`state`]), and the
//! plumbing both listeners use: request ids, client addresses, metrics, health, QR codes.

pub mod authorization;
pub mod client_addr;
pub mod console;
pub mod contracts;
pub mod docs;
pub mod error_envelope;
pub mod health;
pub mod management;
pub mod metrics;
pub mod qr;
pub mod request_context;
pub mod route_label;
pub mod state;
pub mod wallet;
