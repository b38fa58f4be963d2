//! Integration tests of the credential crate, in one binary: SD-JWT VC issuance checked by
//! an independent verifier (`sd-jwt-rs`), mdoc issuance (checked with `pymdoccbor` too),
//! proof verification, issuer key files, and Token Status Lists against the draft's vectors.

// Test code: a panic is a test failure, so unwrap/expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod interop_python;
mod keys;
mod mdoc;
mod mdoc_interop;
mod proof;
mod sd_jwt;
mod sd_jwt_interop;
mod status_list;
mod status_list_interop;
