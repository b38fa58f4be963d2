//! `issuance audit verify [--signed-head JWS] [--against-log]`: the same verification as
//! `GET /audit/verify`, run against the configured stores (the service may keep running).

use anyhow::Context;

use crate::audit::head::verify_head;
use crate::audit::verify::verify_chain;
use crate::config::LoadedConfig;
use crate::node::stores;

/// Verifies the stored chain and prints the outcome; a broken chain is an error, so the
/// process exits with a non-zero status.
pub async fn verify(
    config: &LoadedConfig,
    signed_head: Option<&str>,
    against_log: bool,
) -> anyhow::Result<()> {
    let opened = stores::open(&config.settings).await?;
    let signed = match signed_head {
        Some(jws) => {
            let keys = crate::node::bootstrap_keys::load_issuer_keys(&config.settings)?;
            Some(verify_head(&keys, jws).context("the signed head does not verify")?)
        }
        None => None,
    };
    let log = against_log.then_some(opened.events.as_ref());
    let report = verify_chain(opened.audit.as_ref(), signed.as_ref(), log).await?;
    println!("{}", report.to_json());
    match &report.broken {
        None => {
            eprintln!(
                "The audit chain is intact: {} entries, head {}.",
                report.entries, report.tip.hash
            );
            Ok(())
        }
        Some(broken) => anyhow::bail!(
            "the audit chain is broken at position {}: {}",
            broken.position,
            broken.problem.describe()
        ),
    }
}
