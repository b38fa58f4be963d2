//! Encodings of exported audit entries: NDJSON (one entry per line, exactly as `GET /audit`
//! shows it, so every line can be re-hashed) and CSV for spreadsheets.

use chrono::SecondsFormat;
use issuance_projections::AuditEntry;

/// An export encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/x-ndjson`.
    Ndjson,
    /// `text/csv` with a header row.
    Csv,
}

/// CSV columns, in order.
const CSV_COLUMNS: [&str; 15] = [
    "position",
    "log_commit_position",
    "log_prepare_position",
    "event_id",
    "offer_id",
    "type",
    "version",
    "occurred_at",
    "actor",
    "holder_key_thumbprint",
    "request_id",
    "summary",
    "event_hash",
    "prev_hash",
    "hash",
];

impl Format {
    /// The negotiated format: CSV when the client accepts `text/csv`, else NDJSON.
    pub fn negotiate(accept: Option<&str>) -> Format {
        let wants_csv = accept.is_some_and(|accept| {
            accept.split(',').any(|range| {
                range
                    .split(';')
                    .next()
                    .is_some_and(|media| media.trim().eq_ignore_ascii_case("text/csv"))
            })
        });
        if wants_csv {
            Format::Csv
        } else {
            Format::Ndjson
        }
    }

    /// The response content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Ndjson => "application/x-ndjson",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }

    /// The suggested file name.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Ndjson => "audit-export.ndjson",
            Format::Csv => "audit-export.csv",
        }
    }

    /// What precedes the first entry.
    pub fn preamble(self) -> Vec<u8> {
        match self {
            Format::Ndjson => Vec::new(),
            Format::Csv => csv_rows(std::iter::once(CSV_COLUMNS.map(str::to_string).to_vec())),
        }
    }

    /// The encoded entries.
    pub fn encode(self, entries: &[AuditEntry]) -> Vec<u8> {
        match self {
            Format::Ndjson => {
                let mut out = Vec::with_capacity(entries.len() * 512);
                for entry in entries {
                    // An entry is plain data with string keys: serialising cannot fail.
                    if serde_json::to_writer(&mut out, entry).is_ok() {
                        out.push(b'\n');
                    }
                }
                out
            }
            Format::Csv => csv_rows(entries.iter().map(csv_record)),
        }
    }
}

fn csv_record(entry: &AuditEntry) -> Vec<String> {
    let optional = |value: &Option<String>| value.clone().unwrap_or_default();
    vec![
        entry.position.to_string(),
        entry.log_position.commit.to_string(),
        entry.log_position.prepare.to_string(),
        entry.event_id.to_string(),
        entry.offer_id.map(|id| id.to_string()).unwrap_or_default(),
        entry.event_type.clone(),
        entry.version.to_string(),
        entry
            .occurred_at
            .to_rfc3339_opts(SecondsFormat::Micros, true),
        entry.actor.clone(),
        optional(&entry.holder_key_thumbprint),
        optional(&entry.request_id),
        entry.summary.clone(),
        entry.event_hash.clone(),
        entry.prev_hash.clone(),
        entry.hash.clone(),
    ]
    .into_iter()
    .map(neutralise_formula)
    .collect()
}

fn csv_rows(records: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for record in records {
        // Writing to memory cannot fail.
        let _ = writer.write_record(&record);
    }
    writer.into_inner().unwrap_or_default()
}

/// Spreadsheets execute cells that start with `=`, `+`, `-`, `@` (or a tab or carriage
/// return before one). A wallet chooses its own `X-Request-Id`, so such a value must not
/// reach an auditor's spreadsheet as a formula: it is prefixed with `'` (OWASP's advice).
/// The NDJSON export, not the CSV, is the form to re-hash.
fn neutralise_formula(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_is_negotiated_only_when_accepted() {
        assert_eq!(Format::negotiate(Some("text/csv")), Format::Csv);
        assert_eq!(
            Format::negotiate(Some("application/json, text/csv;q=0.5")),
            Format::Csv
        );
        assert_eq!(
            Format::negotiate(Some("application/x-ndjson")),
            Format::Ndjson
        );
        assert_eq!(Format::negotiate(Some("*/*")), Format::Ndjson);
        assert_eq!(Format::negotiate(None), Format::Ndjson);
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(
            neutralise_formula("=HYPERLINK(\"x\")".into()),
            "'=HYPERLINK(\"x\")"
        );
        assert_eq!(neutralise_formula("-1+2".into()), "'-1+2");
        assert_eq!(neutralise_formula("admin".into()), "admin");
    }

    #[test]
    fn the_csv_header_names_every_column() {
        let header = String::from_utf8(Format::Csv.preamble()).unwrap();
        assert!(header.starts_with("position,log_commit_position,"));
        assert!(header.trim_end().ends_with(",prev_hash,hash"));
    }
}
