//! The data directory: files private to the service user ([`private_files`]) and the
//! exclusive lock that allows one process per directory ([`lock`]).

pub mod lock;
pub mod private_files;
