use super::*;

/// The plan SQLite chooses for `query`, one line per step.
fn plan(connection: &Connection, query: &str) -> String {
    let mut statement = connection
        .prepare(&format!("EXPLAIN QUERY PLAN {query}"))
        .unwrap();
    let rows = statement
        .query_map([1_i64, 100], |row| row.get::<_, String>(3))
        .unwrap();
    rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("\n")
}

/// The expiry scheduler and the retention task look for work many times a second;
/// a scan of the whole view there would make every flow's cost grow with history.
#[test]
fn background_scans_use_their_partial_indexes() {
    let mut connection = Connection::open_in_memory().unwrap();
    migrate(&mut connection).unwrap();
    for query in [
        sql::due_for_expiry(&sql::SQLITE),
        sql::due_for_erasure(&sql::SQLITE),
    ] {
        let plan = plan(&connection, &query);
        // Only live, or only not yet erased, offers are visited (by one of the indexes).
        assert!(
            plan.contains("SEARCH offer_views USING INDEX"),
            "{query}:\n{plan}"
        );
        assert!(!plan.contains("SCAN offer_views"), "{query}:\n{plan}");
    }
}

/// A read store with offer `o` (`status`, `view`) stored under the first `migrations`
/// migrations, then migrated to the current schema.
fn migrated_with_a_row_from_before(migrations: usize, status: &str, view: &str) -> Connection {
    let mut connection = Connection::open_in_memory().unwrap();
    migrate_with(
        &mut connection,
        &MIGRATIONS[..migrations],
        "schema_migrations",
    )
    .unwrap();
    connection
        .execute(
            "INSERT INTO offer_views (offer_id, status, configuration_ids, created_at, deadline, \
             claims_erased, view) VALUES ('o', ?1, '|Id|', 1, 2, 0, ?2)",
            [status, view],
        )
        .unwrap();
    migrate(&mut connection).unwrap();
    connection
}

/// Offers stored before issuers existed are the default issuer's, and a restricted key's
/// listing searches the issuer index instead of scanning every offer.
#[test]
fn older_offers_read_as_the_default_issuer_s_and_the_issuer_filter_uses_its_index() {
    let connection = migrated_with_a_row_from_before(2, "CREATED", "{}");
    let issuer: String = connection
        .query_row("SELECT issuer_id FROM offer_views", [], |row| row.get(0))
        .unwrap();
    assert_eq!(issuer, "default");

    let query = OfferQuery {
        issuers: Some(vec!["acme".into()]),
        limit: 10,
        ..Default::default()
    };
    let (text, values) = sql::list_offers(&sql::SQLITE, "view", &query);
    let values: Vec<Value> = values.into_iter().map(sqlite_value).collect();
    let mut statement = connection
        .prepare(&format!("EXPLAIN QUERY PLAN {text}"))
        .unwrap();
    let plan: Vec<String> = statement
        .query_map(params_from_iter(values.iter()), |row| row.get(3))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert!(
        plan.iter().any(|step| step.contains("offer_views_issuer")),
        "{plan:?}"
    );
}

/// An update compares the views' version column; rows stored before it existed compare
/// their JSON's version, so an older view never replaces a newer one either way.
#[test]
fn an_older_view_never_replaces_a_newer_one_before_and_after_the_version_column() {
    let connection = migrated_with_a_row_from_before(3, "REDEEMED", r#"{"version":5}"#);
    let save = |status: &str, version: i64| {
        let view = format!("{{\"version\":{version}}}");
        connection
            .execute(
                UPSERT_OFFER_VIEW,
                params![
                    "o",
                    status,
                    None::<String>,
                    "|Id|",
                    1,
                    2,
                    None::<i64>,
                    0,
                    view,
                    "default",
                    version
                ],
            )
            .unwrap();
        connection
            .query_row(
                "SELECT status, version FROM offer_views WHERE offer_id = 'o'",
                [],
                |row| Ok((row.get::<_, String>(0)?, row.get::<_, Option<i64>>(1)?)),
            )
            .unwrap()
    };
    assert_eq!(
        save("CREATED", 4),
        ("REDEEMED".into(), None),
        "older than the JSON's"
    );
    assert_eq!(
        save("CREATED", 5),
        ("REDEEMED".into(), None),
        "as new as the JSON's"
    );
    assert_eq!(save("ISSUED", 6), ("ISSUED".into(), Some(6)));
    assert_eq!(
        save("REDEEMED", 5),
        ("ISSUED".into(), Some(6)),
        "older than the column"
    );
    assert_eq!(save("EXPIRED", 7), ("EXPIRED".into(), Some(7)));
}
