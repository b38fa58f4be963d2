use super::*;
use crate::config::{unknown_environment, LoadedConfig};

#[test]
fn the_built_in_configuration_loads() {
    let loaded = LoadedConfig::from_toml_with(BUILT_IN_CONFIG, &[]).unwrap();
    assert!(loaded.catalog.iter().count() >= 2);
}

#[test]
fn errors_name_the_field_and_the_problem() {
    let errors = LoadedConfig::from_toml_with(
        BUILT_IN_CONFIG,
        &[("offers.max_expires_in", serde_json::json!("soon"))],
    )
    .unwrap_err();
    let text = errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains("offers.max_expires_in"), "{text}");
}

#[test]
fn mdoc_configurations_need_a_document_signer_in_production() {
    let production = [("issuer.mdoc_development_chain", serde_json::json!(false))];
    let errors = LoadedConfig::from_toml_with(BUILT_IN_CONFIG, &production).unwrap_err();
    assert!(
        errors[0]
            .to_string()
            .contains("issuer.mdoc_certificate_chain_file"),
        "{}",
        errors[0]
    );
    let half = [(
        "issuer.mdoc_signing_key_file",
        serde_json::json!("/keys/ds.pem"),
    )];
    let errors = LoadedConfig::from_toml_with(BUILT_IN_CONFIG, &half).unwrap_err();
    assert!(
        errors[0].to_string().contains("is required with"),
        "{}",
        errors[0]
    );
    let configured = [
        production[0].clone(),
        half[0].clone(),
        (
            "issuer.mdoc_certificate_chain_file",
            serde_json::json!("/keys/ds-chain.pem"),
        ),
    ];
    assert!(LoadedConfig::from_toml_with(BUILT_IN_CONFIG, &configured).is_ok());
}

#[test]
fn unknown_fields_are_rejected() {
    let toml = format!("{BUILT_IN_CONFIG}\n[offerz]\nx = 1\n");
    let errors = LoadedConfig::from_toml_with(&toml, &[]).unwrap_err();
    assert!(errors[0].to_string().contains("offerz"), "{}", errors[0]);
}

fn problems(overrides: &[(&str, serde_json::Value)]) -> String {
    match LoadedConfig::from_toml_with(BUILT_IN_CONFIG, overrides) {
        Ok(_) => String::new(),
        Err(errors) => errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

#[test]
fn environment_variables_that_name_no_setting_are_refused_with_the_valid_names() {
    let vars = [
        ("ISSUANCE_DATA_DIRR", "/tmp"),
        ("ISSUANCE_OFFERS__MAX_EXPIRES_IN", "60"),
        ("ISSUANCE_DATA_DIR", "/tmp"),
        ("ISSUANCE_CONFIG", "issuer.toml"),
        ("ISSUANCE_TEST_POSTGRES_URL", "postgres://x"),
        ("ISSUANCE_RETENTIONS__ERASE_CLAIMS_AFTER_HOURS", "1"),
        ("PATH", "/bin"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()));
    let errors = unknown_environment(vars);
    let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(text.len(), 2, "{text:?}");
    assert!(text[0].contains("ISSUANCE_DATA_DIRR"), "{}", text[0]);
    assert!(text[1].contains("ISSUANCE_RETENTIONS__"), "{}", text[1]);
    for name in [
        "ISSUANCE_DATA_DIR",
        "ISSUANCE_RETENTION",
        "ISSUANCE_SERVER_SECRET",
    ] {
        assert!(text[0].contains(name), "{name} listed: {}", text[0]);
    }
}

#[test]
fn short_admin_keys_are_refused() {
    let text = problems(&[("admin_key", serde_json::json!("only-twenty-chars-ok"))]);
    assert!(text.contains("admin_key") && text.contains("32"), "{text}");
    let long = "a".repeat(MIN_ADMIN_KEY_CHARS);
    assert_eq!(problems(&[("admin_key", serde_json::json!(long))]), "");
}

#[test]
fn reserved_and_duplicate_key_names_are_refused() {
    let key = |name: &str| serde_json::json!({"name": name, "sha256": "ab".repeat(32), "scopes": ["offers:read"]});
    for reserved in ["system", "wallet", "scheduler"] {
        let text = problems(&[("api_keys", serde_json::json!([key(reserved)]))]);
        assert!(
            text.contains("api_keys[0].name") && text.contains("reserved"),
            "{text}"
        );
    }
    let text = problems(&[(
        "api_keys",
        serde_json::json!([key("backend"), key("backend")]),
    )]);
    assert!(text.contains("api_keys[1].name"), "{text}");
    let text = problems(&[
        ("admin_key", serde_json::json!("k".repeat(40))),
        ("api_keys", serde_json::json!([key("admin")])),
    ]);
    assert!(
        text.contains("api_keys[0].name"),
        "the bootstrap key is `admin`: {text}"
    );
}

#[test]
fn keys_restricted_to_invalid_issuers_are_refused_naming_the_key() {
    let key = |issuers: serde_json::Value, scope: &str| {
        serde_json::json!([{"name": "acme-backend", "sha256": "ab".repeat(32),
                            "scopes": [scope], "issuers": issuers}])
    };
    let restricted = key(serde_json::json!(["acme", "default"]), "offers:write");
    assert_eq!(problems(&[("api_keys", restricted)]), "");
    for (issuers, scope, problem) in [
        (
            serde_json::json!(["Acme Corp"]),
            "offers:read",
            "invalid issuer id",
        ),
        (serde_json::json!([]), "offers:read", "at least one"),
        (serde_json::json!(["acme"]), "admin", "cannot be restricted"),
    ] {
        let text = problems(&[("api_keys", key(issuers, scope))]);
        assert!(
            text.contains("api_keys[0].issuers")
                && text.contains("`acme-backend`")
                && text.contains(problem),
            "{text}"
        );
    }
}

#[test]
fn bearer_tokens_longer_than_300_seconds_need_dpop_required() {
    for dpop in ["disabled", "allowed"] {
        let text = problems(&[
            ("tokens.access_token_ttl", serde_json::json!(600)),
            ("authorization.dpop", serde_json::json!(dpop)),
        ]);
        assert!(text.contains("tokens.access_token_ttl"), "{dpop}: {text}");
    }
    assert_eq!(
        problems(&[
            ("tokens.access_token_ttl", serde_json::json!(600)),
            ("authorization.dpop", serde_json::json!("required")),
        ]),
        ""
    );
    assert_eq!(
        problems(&[("tokens.access_token_ttl", serde_json::json!(300))]),
        ""
    );
}

#[test]
fn semantic_errors_are_all_reported() {
    let toml = BUILT_IN_CONFIG.replace("format = \"dc+sd-jwt\"", "format = \"jwt_vc_json\"");
    let errors =
        LoadedConfig::from_toml_with(&toml, &[("public_url", serde_json::json!("ftp://x"))])
            .unwrap_err();
    let text = errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains("public_url"), "{text}");
    assert!(
        text.contains("credential_configurations[0].format"),
        "{text}"
    );
}

#[test]
fn a_haip_issuer_is_served_with_the_haip_rules_and_never_weaker_than_the_deployment() {
    use issuance_domain::issuer::IssuerProfile;

    use crate::config::{DpopMode, EncryptionMode, Profile};
    let loaded = LoadedConfig::from_toml_with(BUILT_IN_CONFIG, &[]).unwrap();
    let mut standard = loaded.settings.clone();
    standard.issuer.credential_encryption = Some(EncryptionMode::Optional);
    let standard = std::sync::Arc::new(standard);
    let haip = standard.for_issuer(IssuerProfile::Haip);
    assert_eq!(haip.profile, Profile::Haip);
    assert_eq!(haip.authorization.dpop, DpopMode::Required);
    assert!(haip.authorization.dpop_nonces && haip.attestation.required);
    assert_eq!(
        haip.issuer.credential_encryption,
        Some(EncryptionMode::Required)
    );
    let same = standard.for_issuer(IssuerProfile::Standard);
    assert!(
        std::sync::Arc::ptr_eq(&same, &standard),
        "nothing to change: shared"
    );
    assert_eq!(same.profile, Profile::Default);
    assert_eq!(
        same.issuer.credential_encryption,
        Some(EncryptionMode::Optional)
    );
    assert_eq!(Profile::Haip.issuer_profile(), IssuerProfile::Haip);
    assert_eq!(Profile::Default.issuer_profile(), IssuerProfile::Standard);
}
