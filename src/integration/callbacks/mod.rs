//! Status callbacks: which events become callbacks ([`payload`]), how they are signed
//! ([`signature`]), sent ([`sender`]) and retried ([`retry`]), each receiver isolated from
//! the others ([`destination`], [`breaker`]), and the transport-independent processing of
//! one message ([`processor`], over the offer's folded [`history`]). The AMQP and the
//! in-process transports both drive [`processor::CallbackProcessor`].

pub mod breaker;
pub mod destination;
pub mod history;
pub mod payload;
pub mod processor;
pub mod retry;
pub mod sender;
pub mod signature;

pub use destination::{Admission, Destinations};
pub use payload::{CallbackStatus, StatusCallback};
pub use processor::{CallbackProcessor, Disposition, Prepared};
pub use retry::RetryPolicy;
pub use signature::CallbackSecret;
