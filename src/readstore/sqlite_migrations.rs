//! The embedded read store's schema: versioned migrations of `views.db`.

/// Versioned migrations; add, never edit.
pub(super) const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE checkpoints (
        projection       TEXT PRIMARY KEY,
        commit_position  INTEGER NOT NULL,
        prepare_position INTEGER NOT NULL
    );
    CREATE TABLE offer_views (
        offer_id          TEXT PRIMARY KEY,
        status            TEXT NOT NULL,
        subject           TEXT,
        configuration_ids TEXT NOT NULL,
        created_at        INTEGER NOT NULL,
        deadline          INTEGER NOT NULL,
        terminal_at       INTEGER,
        claims_erased     INTEGER NOT NULL,
        view              TEXT NOT NULL
    );
    CREATE INDEX offer_views_created ON offer_views (created_at DESC, offer_id DESC);
    CREATE INDEX offer_views_status ON offer_views (status, created_at DESC, offer_id DESC);
    CREATE INDEX offer_views_subject ON offer_views (subject, created_at DESC, offer_id DESC);
    CREATE INDEX offer_views_live ON offer_views (deadline) WHERE status IN ('CREATED', 'REDEEMED', 'ISSUING');
    CREATE INDEX offer_views_erasable ON offer_views (terminal_at) WHERE claims_erased = 0 AND terminal_at IS NOT NULL;",
    ),
    // Personal data sealed (issue 16): the view is rebuilt from the log with sealed values
    // and the subject's keyed pseudonym; the old rows' plaintext is overwritten.
    (
        2,
        "PRAGMA secure_delete = ON;
    DELETE FROM offer_views;
    DELETE FROM checkpoints WHERE projection = 'offer_view';
    DROP INDEX offer_views_subject;
    ALTER TABLE offer_views RENAME COLUMN subject TO subject_pseudonym;
    CREATE INDEX offer_views_subject_pseudonym ON offer_views (subject_pseudonym, created_at DESC, offer_id DESC);",
    ),
    // Issuers at runtime (issue 19): each offer's issuer, for keys restricted to issuers
    // and `GET /offers?issuer_id=`. Rows from before read `default`: every offer made
    // before issuers existed is the default issuer's. Adding a column with a constant
    // default rewrites no row.
    (
        3,
        "ALTER TABLE offer_views ADD COLUMN issuer_id TEXT NOT NULL DEFAULT 'default';
    CREATE INDEX offer_views_issuer ON offer_views (issuer_id, created_at DESC, offer_id DESC);",
    ),
    // The view's version as a column (issue 25): an update compares it instead of parsing
    // both views' JSON. Rows from before keep NULL, and the upsert reads their JSON.
    (4, "ALTER TABLE offer_views ADD COLUMN version INTEGER;"),
];

/// Stores one offer view unless the stored one is as new or newer (events may be applied
/// again after a crash between a batch and its checkpoint, never out of order otherwise).
/// Parameters: offer id, status, subject pseudonym, configuration ids, created at,
/// deadline, terminal at, claims erased, view JSON, issuer id, version.
pub(super) const UPSERT_OFFER_VIEW: &str = "INSERT INTO offer_views (offer_id, status, \
     subject_pseudonym, configuration_ids, created_at, deadline, terminal_at, claims_erased, \
     view, issuer_id, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
     ON CONFLICT (offer_id) DO UPDATE SET status = excluded.status, \
     subject_pseudonym = excluded.subject_pseudonym, deadline = excluded.deadline, \
     terminal_at = excluded.terminal_at, claims_erased = excluded.claims_erased, \
     view = excluded.view, version = excluded.version \
     WHERE coalesce(offer_views.version, json_extract(offer_views.view, '$.version')) \
     < excluded.version";
