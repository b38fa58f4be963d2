//! Integration tests: the real service on random loopback ports, talked to over HTTP.
//! One test binary (each extra binary costs a link step).

mod support;

mod concurrency;
mod management_auth;
mod management_offers;
mod management_validation;
mod projections;
