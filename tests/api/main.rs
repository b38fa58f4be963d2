//! Integration tests: the real service on random loopback ports, talked to over HTTP.
//! One test binary (each extra binary costs a link step). Tests and their helpers may
//! unwrap: a failing test should panic where it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

/// The interop tests' Python runner, shared with the credential crate.
#[path = "../../credential/tests/credential/interop_python.rs"]
mod interop_python;

mod abuse_writes;
mod attestation_challenges;
mod audit_export;
mod audit_support;
mod audit_tamper;
mod audit_two_nodes;
mod audit_view;
mod authcode_audit;
mod authcode_dpop;
mod authcode_errors;
mod authcode_flow;
mod authcode_scope;
mod callbacks_burst;
mod callbacks_isolation;
mod callbacks_lag;
mod callbacks_lifecycle;
mod callbacks_retries;
mod callbacks_ssrf;
mod cli;
mod concurrency;
mod conformance;
mod console;
mod console_actions;
mod console_browser;
mod console_issuer_forms;
mod console_issuers;
mod contracts;
mod credential_encryption;
mod credential_status;
mod data_dir;
mod deployment;
mod dpop_nonces;
mod erasure;
mod graceful_shutdown;
mod haip_acceptance;
mod haip_metadata;
mod integration_amqp;
mod integration_expiry;
mod integration_issuer_messages;
mod issuer_profiles;
mod issuer_routing;
mod issuer_wallets;
mod leases;
mod malformed_corpus;
mod management_auth;
mod management_issuer_configurations;
mod management_issuer_keys;
mod management_issuer_scoped_keys;
mod management_issuers;
mod management_offers;
mod management_validation;
mod mdoc_issuance;
mod multi_node;
mod multi_node_amqp;
mod offer_reference;
mod openapi;
mod openapi_conformance;
mod parser_fuzz;
mod personal_data;
mod projections;
mod shared_secrets;
mod stale_cache;
mod throughput;
mod type_metadata;
mod wallet_attestation;
mod wallet_credential;
mod wallet_flow;
mod wallet_haip;
mod wallet_key_attestation;
mod wallet_limits;
mod wallet_metadata;
mod wallet_replay;
mod wallet_token;
