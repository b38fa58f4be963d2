//! Tables of the PostgreSQL event store and secret store.
//!
//! The two stores keep separate migration tracks, because with EventStoreDB the secrets
//! live in a PostgreSQL read-store database that has no event tables.

use crate::store::pg::Migration;

/// Migration track of the event store.
pub(super) const EVENTS_TRACK: &str = "event_store_migrations";

/// Event store migrations; add, never edit one that shipped.
///
/// - `streams` holds each stream's version: optimistic concurrency is a conditional
///   `UPDATE`/`INSERT … ON CONFLICT DO NOTHING` on it, which under READ COMMITTED waits for
///   a concurrent writer of the same stream and then affects no row — a conflict detected
///   without an error, so many appends can share one transaction (group commit).
/// - `events.global_position` orders events of one transaction; `tx_id` (the writing
///   transaction's id) orders transactions. Readers page by `(tx_id, global_position)`
///   below the oldest running transaction: see `read.rs` for why no event is skipped.
/// - `UNIQUE (stream_id, sequence)` is a second line of defence behind `streams`.
pub(super) const EVENTS: &[Migration] = &[(
    1,
    "CREATE TABLE streams (
        stream_id text   PRIMARY KEY,
        version   bigint NOT NULL CHECK (version > 0)
    );
    CREATE TABLE events (
        global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tx_id           xid8   NOT NULL DEFAULT pg_current_xact_id(),
        stream_id       text   NOT NULL,
        sequence        bigint NOT NULL CHECK (sequence > 0),
        event_id        uuid   NOT NULL UNIQUE,
        event_type      text   NOT NULL,
        event_version   integer NOT NULL,
        payload         jsonb  NOT NULL,
        metadata        jsonb  NOT NULL,
        UNIQUE (stream_id, sequence)
    );
    CREATE INDEX events_log_order ON events (tx_id, global_position);",
)];

/// Migration track of the secret store.
pub(super) const SECRETS_TRACK: &str = "secret_store_migrations";

/// Secret store migrations; add, never edit one that shipped.
///
/// `data_keys` uses `fillfactor = 50` so that the zero-overwrite before a delete stays on
/// the same page (a HOT update) and page pruning reclaims the original row version quickly.
pub(super) const SECRETS: &[Migration] = &[
    (
        1,
        "CREATE TABLE data_keys (
        offer_id   uuid        PRIMARY KEY,
        key        bytea       NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
    ) WITH (fillfactor = 50);
    CREATE TABLE used_nonces (
        nonce_hash bytea       PRIMARY KEY,
        expires_at timestamptz NOT NULL
    );
    CREATE INDEX used_nonces_expiry ON used_nonces (expires_at);",
    ),
    // The nonce ledger keyed by expiry first, as on SQLite (see there): a use lands at
    // the end of the index instead of on a random page, and needs no second index.
    (
        2,
        "CREATE TABLE used_nonces_by_expiry (
        expires_at timestamptz NOT NULL,
        nonce_hash bytea       NOT NULL,
        PRIMARY KEY (expires_at, nonce_hash)
    );
    INSERT INTO used_nonces_by_expiry (expires_at, nonce_hash)
        SELECT expires_at, nonce_hash FROM used_nonces;
    DROP TABLE used_nonces;
    ALTER TABLE used_nonces_by_expiry RENAME TO used_nonces;",
    ),
    // Fingerprints of the secrets every node must share (never the secrets themselves).
    (
        3,
        "CREATE TABLE deployment_records (
        name       text        PRIMARY KEY,
        value      text        NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
    );",
    ),
    // The issuer key vault (see the SQLite schema): encrypted private keys by `key_ref`.
    (
        4,
        "CREATE TABLE IF NOT EXISTS issuer_keys (
        key_ref    text        PRIMARY KEY,
        issuer_id  text        NOT NULL,
        kid        text        NOT NULL,
        enc_alg    text        NOT NULL,
        nonce      text        NOT NULL,
        ciphertext text        NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
    );",
    ),
];
