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
