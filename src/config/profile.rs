//! `profile`: the interoperability profile the issuer follows. `haip` (OpenID4VC High
//! Assurance Interoperability Profile 1.0) turns on what HAIP makes mandatory and refuses to
//! start without what it cannot invent: sender-constrained tokens (`authorization.dpop =
//! "required"`, HAIP §4.3.2) with server nonces, wallet attestation at PAR and the token
//! endpoint (§4.3.1), encrypted credential requests and responses, key attestations of
//! every SD-JWT VC holder key (§4.5.1), trust anchors for wallet and key attestations,
//! and an issuer key with a certificate chain (`x5c`, §6.1).

use std::sync::Arc;

use issuance_domain::configuration_table::ConfigurationTable;
use issuance_domain::credential_config::KeyAttestationsRequired;
use issuance_domain::issuer::IssuerProfile;

use super::authorization::DpopMode;
use super::policies::EncryptionMode;
use super::profile_kind::Profile;
use super::settings::Settings;

impl Settings {
    /// Applies the profile's requirements to the switches it decides: in `haip`, DPoP is
    /// required with server nonces, every wallet must attest itself, credential requests
    /// and responses are encrypted (unless set otherwise, which [`Self::profile_problems`]
    /// refuses), and every SD-JWT VC configuration without its own
    /// `key_attestations_required` requires a key attestation without constraints (`{}`).
    pub fn apply_profile(&mut self) {
        if self.profile != Profile::Haip {
            return;
        }
        self.authorization.dpop = DpopMode::Required;
        self.authorization.dpop_nonces = true;
        self.attestation.required = true;
        self.issuer
            .credential_encryption
            .get_or_insert(EncryptionMode::Required);
        for table in &mut self.credential_configurations {
            if let ConfigurationTable::SdJwt(table) = table {
                table
                    .key_attestations_required
                    .get_or_insert_with(KeyAttestationsRequired::default);
            }
        }
    }

    /// The settings an issuer following `profile` is served with: these, with `haip`'s
    /// requirements applied when the issuer follows it (an issuer is never weaker than the
    /// deployment: under `profile = "haip"` these already are). Shares `self` when the
    /// profile changes nothing, so every standard issuer reads one settings object (one
    /// set of cache lines on the request path, however many issuers there are).
    pub fn for_issuer(self: &Arc<Settings>, profile: IssuerProfile) -> Arc<Settings> {
        if profile != IssuerProfile::Haip || self.profile == Profile::Haip {
            return Arc::clone(self);
        }
        let mut settings = Settings::clone(self);
        settings.profile = Profile::Haip;
        settings.issuer.credential_encryption = Some(EncryptionMode::Required);
        settings.apply_profile();
        Arc::new(settings)
    }

    /// What the profile needs and the configuration lacks, as (field, problem).
    pub fn profile_problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if self.profile != Profile::Haip {
            return problems;
        }
        if !self.attestation.enabled() {
            problems.push((
                "attestation.trust_anchors",
                "profile \"haip\" needs the wallet providers' trust anchors (PEM files)".into(),
            ));
        }
        if self.issuer.certificate_chain_file.is_none() {
            problems.push((
                "issuer.certificate_chain_file",
                "profile \"haip\" needs the issuer key's certificate chain (x5c): set \
                 issuer.signing_key_file and issuer.certificate_chain_file"
                    .into(),
            ));
        }
        if let Some(mode) = self
            .issuer
            .credential_encryption
            .filter(|mode| *mode != EncryptionMode::Required)
        {
            let set = match mode {
                EncryptionMode::Optional => "optional",
                _ => "disabled",
            };
            problems.push((
                "issuer.credential_encryption",
                format!(
                    "profile \"haip\" requires encrypted credential requests and responses: \
                     set \"required\" or leave it unset (it is \"{set}\")"
                ),
            ));
        }
        if self.issuer.signing_key_file.is_none() {
            problems.push((
                "issuer.signing_key_file",
                "profile \"haip\" needs a configured signing key certified by \
                 issuer.certificate_chain_file"
                    .into(),
            ));
        }
        problems
    }
}
