//! Human summaries of Issuer events (issuers, their signing keys and credential
//! configurations managed at runtime).
//!
//! As for offers, only what the engine can vouch for goes in: ids, versions, formats, key
//! ids and algorithms, counts and times. Display names and the configuration documents
//! themselves are the institution's text and stay in the event (whose hash the entry
//! carries). A key's public JWK is not summarised; a private key is never in an event.

use issuance_domain::issuer::{IssuerDisplay, IssuerEvent, SigningKeyAdded};
use serde_json::Value;

use super::summary::{code, time};

/// Credential formats named in a summary (others, which validation refuses, are not).
const KNOWN_FORMATS: [&str; 3] = ["dc+sd-jwt", "vc+sd-jwt", "mso_mdoc"];

/// The summary of an Issuer event; `issuer` is the issuer's id (from its stream).
pub fn issuer_summary(issuer: &str, event: &IssuerEvent) -> String {
    let issuer = code(issuer);
    match event {
        IssuerEvent::IssuerCreated(created) => {
            format!("Issuer {issuer} created with {}", display(&created.display))
        }
        IssuerEvent::IssuerDisplayChanged(changed) => format!(
            "Display of issuer {issuer} changed to {}",
            display(&changed.display)
        ),
        IssuerEvent::SigningKeyGenerated(key) => key_added(issuer, "generated", key),
        IssuerEvent::SigningKeyImported(key) => key_added(issuer, "imported", key),
        IssuerEvent::SigningKeyActivated(activated) => format!(
            "Signing key {} of issuer {issuer} activated: new credentials carry it",
            code(&activated.kid)
        ),
        IssuerEvent::SigningKeyRetired(retired) => format!(
            "Signing key {} of issuer {issuer} retired; published until {}",
            code(&retired.kid),
            time(retired.published_until)
        ),
        IssuerEvent::CertificateChainSet(set) => format!(
            "Certificate chain of {} certificate(s) set for signing key {} of issuer {issuer}",
            set.chain.len(),
            code(&set.kid)
        ),
        IssuerEvent::ConfigurationPublished(published) => {
            let mut text = format!(
                "Credential configuration {} of issuer {issuer} published as version {}",
                code(&published.configuration_id),
                published.version
            );
            if published.version > 1 {
                text.push_str(&format!(" (replacing version {})", published.version - 1));
            }
            let format = published.configuration.get("format");
            if let Some(format) = format
                .and_then(Value::as_str)
                .filter(|f| KNOWN_FORMATS.contains(f))
            {
                text.push_str(&format!("; format {format}"));
            }
            text
        }
        IssuerEvent::ConfigurationRetired(retired) => format!(
            "Credential configuration {} of issuer {issuer} retired: no new offers",
            code(&retired.configuration_id)
        ),
        IssuerEvent::ProfileSet(set) => format!(
            "Issuer {issuer} follows profile {} from now on",
            code(set.profile.as_str())
        ),
        IssuerEvent::IssuerRetired(_) => format!(
            "Issuer {issuer} retired: no new offers, live offers still redeem until they end"
        ),
    }
}

fn key_added(issuer: &str, how: &str, key: &SigningKeyAdded) -> String {
    let mut text = format!(
        "Signing key {} ({}) {how} for issuer {issuer}",
        code(&key.kid),
        key.alg.as_str()
    );
    if let Some(chain) = &key.certificate_chain {
        text.push_str(&format!(
            " with a certificate chain of {} certificate(s)",
            chain.len()
        ));
    }
    text
}

/// The display entries by locale, without their (institution-written) names.
fn display(entries: &[IssuerDisplay]) -> String {
    let locales: Vec<&str> = entries
        .iter()
        .map(|entry| entry.locale.as_deref().map_or("(no locale)", code))
        .collect();
    match locales.len() {
        0 => "no display".to_string(),
        1 => format!("1 display entry ({})", locales[0]),
        n => format!("{n} display entries ({})", locales.join(", ")),
    }
}

#[cfg(test)]
mod tests;
