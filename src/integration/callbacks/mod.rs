//! Status callbacks: which events become callbacks ([`payload`]), how they are signed
//! ([`signature`]), sent ([`sender`]) and retried ([`retry`]), and the transport-independent
//! processing of one message ([`processor`]). The AMQP and the in-process transports both
//! drive [`processor::CallbackProcessor`].

pub mod payload;
pub mod processor;
pub mod retry;
pub mod sender;
pub mod signature;

pub use payload::{CallbackStatus, StatusCallback};
pub use processor::{CallbackProcessor, Disposition};
pub use retry::RetryPolicy;
pub use signature::CallbackSecret;
