//! The contract documents as files: what `issuance schemas --out DIR` writes and
//! docs/contracts/ holds (a test keeps that copy equal to the generated one).

use std::path::Path;

use serde_json::{Map, Value};

use super::{asyncapi, index, schema_path, schemas};

/// Every document with its path relative to the output directory: `asyncapi.json`,
/// `schemas.json` (the index) and `schemas/<name>.json`.
pub fn files() -> Vec<(String, Value)> {
    let mut files = vec![
        ("asyncapi.json".to_string(), asyncapi::document()),
        ("schemas.json".to_string(), index()),
    ];
    files.extend(
        schemas()
            .iter()
            .map(|s| (schema_path(&s.name), s.schema.clone())),
    );
    files
}

/// A document as written: pretty JSON with a final newline.
pub fn render(document: &Value) -> String {
    let mut text = serde_json::to_string_pretty(document).unwrap_or_default();
    text.push('\n');
    text
}

/// Every document in one object (`{"asyncapi": …, "schemas": {name: schema}}`), for
/// printing.
pub fn bundle() -> Value {
    let schemas: Map<String, Value> = schemas()
        .iter()
        .map(|s| (s.name.clone(), s.schema.clone()))
        .collect();
    let mut bundle = Map::new();
    bundle.insert("asyncapi".into(), asyncapi::document());
    bundle.insert("schemas".into(), Value::Object(schemas));
    Value::Object(bundle)
}

/// Writes every document under `dir` (creating `dir/schemas`); returns how many.
pub fn write_all(dir: &Path) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir.join("schemas"))?;
    let files = files();
    for (path, document) in &files {
        std::fs::write(dir.join(path), render(document))?;
    }
    Ok(files.len())
}
