//! The ISO mdoc document signer: the key and certificate that sign every `issuerAuth`.
//!
//! Configured with `issuer.mdoc_signing_key_file` and `issuer.mdoc_certificate_chain_file`
//! (leaf first, without the IACA root). Without them, and unless
//! `issuer.mdoc_development_chain = false`, a development IACA root and document signer,
//! labelled `DEVELOPMENT - NOT FOR PRODUCTION`, are generated once into `<data dir>/mdoc/`
//! and reused, so an mdoc can be issued with no set-up; the log says so and where the root
//! a test wallet must trust is.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use issuance_credential::mdoc::dev_certificates::{
    generate_development_chain, DevelopmentChainRequest,
};
use issuance_credential::{IssuerKeys, SigningKey};

use crate::config::Settings;

/// The development chain's directory under the data directory.
pub const DEVELOPMENT_DIR: &str = "mdoc";
/// The development IACA root certificate (what a test wallet or verifier trusts).
pub const DEVELOPMENT_IACA_FILE: &str = "iaca.pem";
const DEVELOPMENT_DS_CERTIFICATE_FILE: &str = "document-signer.pem";
const DEVELOPMENT_DS_KEY_FILE: &str = "document-signer-key.pem";

/// Loads the document signer; `None` when no mdoc configuration is offered.
pub fn load(
    settings: &Settings,
    offers_mdoc: bool,
    issuer_url: &str,
    now: i64,
) -> anyhow::Result<Option<SigningKey>> {
    if !offers_mdoc {
        return Ok(None);
    }
    let issuer = &settings.issuer;
    let keys = match (
        &issuer.mdoc_signing_key_file,
        &issuer.mdoc_certificate_chain_file,
    ) {
        (Some(key), Some(chain)) => {
            IssuerKeys::from_files(key, Some(chain)).with_context(|| {
                format!(
                    "cannot load the mdoc document signer {} with its chain {}",
                    key.display(),
                    chain.display()
                )
            })?
        }
        // Refused when the configuration is loaded; kept total here.
        (Some(_), None) | (None, Some(_)) => anyhow::bail!(
            "issuer.mdoc_signing_key_file and issuer.mdoc_certificate_chain_file go together"
        ),
        (None, None) => {
            let dir = settings.data_dir.join(DEVELOPMENT_DIR);
            let keys = development_signer(&dir, settings, issuer_url, now)?;
            tracing::warn!(
                iaca = %dir.join(DEVELOPMENT_IACA_FILE).display(),
                "mdocs are signed by a DEVELOPMENT document signer (not for production): \
                 wallets must trust its IACA root; configure issuer.mdoc_signing_key_file and \
                 issuer.mdoc_certificate_chain_file for production"
            );
            keys
        }
    };
    Ok(Some(keys.active().clone()))
}

/// The development document signer in `dir`, generated on first use.
fn development_signer(
    dir: &Path,
    settings: &Settings,
    issuer_url: &str,
    now: i64,
) -> anyhow::Result<IssuerKeys> {
    let key = dir.join(DEVELOPMENT_DS_KEY_FILE);
    let certificate = dir.join(DEVELOPMENT_DS_CERTIFICATE_FILE);
    if !key.exists() {
        // Common names hold 64 characters: "<org> Document Signer DEVELOPMENT - NOT FOR
        // PRODUCTION" leaves 15 for the organisation.
        let organization: String = settings
            .issuer
            .display
            .first()
            .map_or("Dev issuer", |d| d.name.as_str())
            .chars()
            .take(15)
            .collect();
        let chain = generate_development_chain(&DevelopmentChainRequest {
            country: "UT",
            organization: organization.trim(),
            issuer_url,
            crl_url: None,
            not_before: now,
        })
        .context("cannot generate the development mdoc certificates")?;
        create_private_dir(dir)?;
        write_private(
            &dir.join(DEVELOPMENT_IACA_FILE),
            &chain.iaca_certificate_pem,
        )?;
        write_private(&certificate, &chain.document_signer_certificate_pem)?;
        // The key last: its presence means the chain is complete.
        write_private(&key, &chain.document_signer_private_key_pem)?;
    }
    IssuerKeys::from_files(&key, Some(&certificate)).with_context(|| {
        format!(
            "cannot load the development mdoc document signer in {}",
            dir.display()
        )
    })
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    crate::data_dir::private_files::create_dir(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}

/// Writes `path` readable by its owner only (`0600` whatever the umask), through a
/// temporary file and a rename.
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    let temporary = PathBuf::from(format!("{}.tmp", path.display()));
    let _ = fs::remove_file(&temporary);
    let mut file = crate::data_dir::private_files::create_new(&temporary)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| fs::rename(&temporary, path))
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(data_dir: &Path) -> Settings {
        Settings {
            data_dir: data_dir.to_path_buf(),
            ..Settings::default()
        }
    }

    #[test]
    fn no_mdoc_configuration_needs_no_signer() {
        let dir = tempfile::tempdir().unwrap();
        let loaded = load(&settings(dir.path()), false, "https://issuer.example", 0).unwrap();
        assert!(loaded.is_none());
        assert!(!dir.path().join(DEVELOPMENT_DIR).exists());
    }

    #[test]
    fn the_development_chain_is_generated_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let settings = settings(dir.path());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let first = load(&settings, true, "https://issuer.example", now)
            .unwrap()
            .unwrap();
        let second = load(&settings, true, "https://issuer.example", now)
            .unwrap()
            .unwrap();
        assert_eq!(first.kid(), second.kid());
        assert_eq!(first.x5c().map(<[_]>::len), Some(1), "the leaf only");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mdoc = dir.path().join(DEVELOPMENT_DIR);
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&mdoc), 0o700);
            for file in [
                DEVELOPMENT_IACA_FILE,
                DEVELOPMENT_DS_CERTIFICATE_FILE,
                DEVELOPMENT_DS_KEY_FILE,
            ] {
                assert_eq!(mode(&mdoc.join(file)), 0o600, "{file}");
            }
        }
        let iaca = fs::read_to_string(dir.path().join(DEVELOPMENT_DIR).join(DEVELOPMENT_IACA_FILE))
            .unwrap();
        assert!(iaca.starts_with("-----BEGIN CERTIFICATE-----"));
    }
}
