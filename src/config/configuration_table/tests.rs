//! TOML tables are read by their format.

use super::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    credential_configurations: Vec<ConfigurationTable>,
}

#[test]
fn tables_are_read_by_their_format() {
    let file: File = toml::from_str(
        r#"
        [[credential_configurations]]
        id = "Identity"
        vct = "https://example.com/identity"

        [[credential_configurations]]
        id = "mDL"
        format = "mso_mdoc"
        doctype = "org.iso.18013.5.1.mDL"
        scope = "mdl"
        credential_signing_alg_values_supported = [-7]
        "#,
    )
    .unwrap();
    let [sd_jwt, mdoc] = file.credential_configurations.as_slice() else {
        panic!("two tables expected");
    };
    assert!(matches!(sd_jwt, ConfigurationTable::SdJwt(_)));
    assert_eq!((sd_jwt.id(), sd_jwt.scope()), ("Identity", "Identity"));
    assert!(matches!(mdoc, ConfigurationTable::Mdoc(_)));
    assert_eq!((mdoc.id(), mdoc.scope()), ("mDL", "mdl"));
}

#[test]
fn fields_of_the_other_format_are_refused() {
    for text in [
        "[[credential_configurations]]\nid = \"a\"\nvct = \"v\"\ndoctype = \"d\"\n",
        "[[credential_configurations]]\nid = \"a\"\nformat = \"mso_mdoc\"\ndoctype = \"d\"\nvct = \"v\"\n",
    ] {
        let error = toml::from_str::<File>(text).err().unwrap().to_string();
        assert!(error.contains("unknown field"), "{error}");
    }
}
