//! "The list as it was at time T" (the draft's historical resolution, §8.4): the fold of
//! the facts recorded at or before T, and the interval in which that answer holds.

use chrono::{DateTime, Utc};

use super::error::StatusError;
use super::list::{StatusFact, StatusListState};
use super::status::StatusBits;

/// A list as it was at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoricalList {
    /// The entries at the instant.
    pub state: StatusListState,
    /// Since when the list looked like this: the last change at or before the instant (or
    /// the opening). A token for the instant may carry this as `iat`.
    pub valid_from: DateTime<Utc>,
    /// The first change after the instant, if any: until then the list looked like this.
    /// A token for the instant may carry this as `exp`.
    pub valid_until: Option<DateTime<Utc>>,
}

/// The list opened at `opened_at` as it was at `at`: every fact recorded at or before `at`
/// (in the order given, which is the log's), `None` if the list did not exist yet.
///
/// Times are the events' recorded times; across nodes they are as good as the nodes' clocks.
pub fn list_as_of<'a>(
    bits: StatusBits,
    size: u32,
    opened_at: DateTime<Utc>,
    facts: impl IntoIterator<Item = &'a StatusFact>,
    at: DateTime<Utc>,
) -> Result<Option<HistoricalList>, StatusError> {
    let mut state = StatusListState::open(bits, size, opened_at)?;
    if at < opened_at {
        return Ok(None);
    }
    let mut valid_until: Option<DateTime<Utc>> = None;
    for fact in facts {
        if fact.at <= at {
            state.apply(fact);
        } else {
            valid_until = Some(valid_until.map_or(fact.at, |until| until.min(fact.at)));
        }
    }
    Ok(Some(HistoricalList {
        valid_from: state.changed_at(),
        state,
        valid_until,
    }))
}
