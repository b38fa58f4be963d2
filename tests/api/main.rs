//! Integration tests: the real service on random loopback ports, talked to over HTTP.
//! One test binary (each extra binary costs a link step). Tests and their helpers may
//! unwrap: a failing test should panic where it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod concurrency;
mod conformance;
mod deployment;
mod leases;
mod management_auth;
mod management_offers;
mod management_validation;
mod multi_node;
mod projections;
mod throughput;
