//! The underlying cause of a failure, kept as the error's [`source`](std::error::Error::source)
//! rather than flattened into its message, so logs and callers can walk the whole chain.

use std::sync::Arc;

/// A shareable underlying error (errors that carry one stay `Clone`).
pub type Cause = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// Wraps `error` as a [`Cause`].
pub fn cause(error: impl std::error::Error + Send + Sync + 'static) -> Cause {
    Arc::new(error)
}
