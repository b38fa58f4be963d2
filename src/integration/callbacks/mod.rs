//! Status callbacks: which events become callbacks ([`payload`]), how they are signed
//! ([`signature`]), sent ([`sender`]) and retried ([`retry`]), each receiver isolated from
//! the others ([`destination`], [`breaker`]), the unfinished ones counted ([`pending`]), offers' own URLs kept to the addresses they
//! may reach ([`address`], [`resolver`]), and the transport-independent processing of
//! one message ([`processor`], over the offer's folded [`history`]). The AMQP and the
//! in-process transports both drive [`processor::CallbackProcessor`].

pub mod address;
pub mod breaker;
pub mod destination;
pub mod disposition;
pub mod history;
pub mod payload;
pub mod pending;
pub mod processor;
pub mod resolver;
pub mod retry;
pub mod sender;
pub mod signature;

pub use destination::{Admission, Destinations};
pub use disposition::Disposition;
pub use payload::{CallbackStatus, StatusCallback};
pub use processor::{CallbackProcessor, Prepared};
pub use retry::RetryPolicy;
pub use signature::CallbackSecret;
