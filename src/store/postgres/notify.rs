//! Cross-node wake-ups with `LISTEN`/`NOTIFY`.
//!
//! A projector wakes at once for appends made in its own process (the `appended` watch);
//! appends made on another node would otherwise wait for its next poll. So each node
//! announces its commits on a channel of the database, and listens on it: a notification
//! moves the local `appended` watch to the announced position.
//!
//! The announcement is a hint, never the source of truth (projectors still read the log
//! and still poll): it is sent after the append has committed, coalesced (at most one in
//! flight, then a short pause), in its own transaction with `synchronous_commit = off`, so
//! it never slows the appends' commits.

use std::time::Duration;

use deadpool_postgres::Pool;
use issuance_eventlog::LogPosition;
use tokio::sync::{oneshot, watch};

use crate::store::advance;
use crate::store::pg::{lock_key, PgTarget};

/// Least time between two announcements of one node.
const ANNOUNCE_PAUSE: Duration = Duration::from_millis(10);

/// Pause before the listener reconnects after losing its connection.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// The channel of one database schema (a short identifier, so it is never truncated).
pub(super) fn channel(target: &PgTarget) -> String {
    format!(
        "issuance_{:016x}",
        lock_key(&format!("{}:appended", target.scope()))
    )
}

/// Announces this node's commits (published on `committed`) until that channel closes.
pub(super) async fn announce(
    pool: Pool,
    channel: String,
    mut committed: watch::Receiver<LogPosition>,
) {
    while committed.changed().await.is_ok() {
        let position = *committed.borrow_and_update();
        // Digits, a colon and our hex channel name: nothing to escape.
        let sql = format!(
            "BEGIN; SET LOCAL synchronous_commit = off; \
             SELECT pg_notify('{channel}', '{}:{}'); COMMIT;",
            position.commit, position.prepare
        );
        match pool.get().await {
            Ok(client) => {
                if let Err(error) = client.batch_execute(&sql).await {
                    tracing::debug!(%error, "cannot announce an append");
                }
            }
            Err(error) => tracing::debug!(%error, "cannot announce an append"),
        }
        tokio::time::sleep(ANNOUNCE_PAUSE).await;
    }
}

/// Listens for every node's announcements and moves `appended`, until `closed` fires or
/// its sender is dropped (the store is gone).
pub(super) async fn listen(
    target: PgTarget,
    channel: String,
    appended: watch::Sender<LogPosition>,
    mut closed: oneshot::Receiver<()>,
) {
    loop {
        match target.connect_listening().await {
            Ok((client, mut notifications, mut ended)) => {
                if let Err(error) = client.batch_execute(&format!("LISTEN {channel}")).await {
                    tracing::warn!(%error, "cannot listen for appends of other nodes");
                } else {
                    loop {
                        tokio::select! {
                            notification = notifications.recv() => match notification {
                                Some(n) => {
                                    if let Some(position) = parse(n.payload()) {
                                        advance(&appended, position);
                                    }
                                }
                                None => break,
                            },
                            _ = &mut ended => break,
                            _ = &mut closed => return,
                        }
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "cannot listen for appends of other nodes"),
        }
        tokio::select! {
            _ = tokio::time::sleep(RECONNECT_DELAY) => {}
            _ = &mut closed => return,
        }
    }
}

fn parse(payload: &str) -> Option<LogPosition> {
    let (commit, prepare) = payload.split_once(':')?;
    Some(LogPosition {
        commit: commit.parse().ok()?,
        prepare: prepare.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_garbage_is_ignored() {
        assert_eq!(
            parse("912:17"),
            Some(LogPosition {
                commit: 912,
                prepare: 17
            })
        );
        for garbage in ["", "1", "a:b", "1:2:3"] {
            assert_eq!(parse(garbage), None, "{garbage}");
        }
    }
}
