//! The integration page's chart: credentials issued per minute over the last hour, counted
//! by the read store from the audit view (`CredentialIssued` entries of the key's issuers)
//! and drawn as server-rendered SVG: no script, colours from the stylesheet, a title per
//! bar and a text summary for screen readers.

use chrono::{DateTime, Timelike, Utc};

use super::ConsoleError;
use crate::http::management::auth::Caller;
use crate::http::management::error::ApiError;
use crate::http::state::ManagementApi;
use crate::readstore::AuditQuery;

/// Minutes on the chart (the current one last).
pub const MINUTES: usize = 60;
/// The drawing's width and height (SVG user units).
const WIDTH: u64 = 600;
const HEIGHT: u64 = 150;
/// Room under the bars for the time axis.
const AXIS: u64 = 20;

/// One minute's bar.
pub struct Bar {
    /// Left edge.
    pub x: u64,
    /// Top edge.
    pub y: u64,
    /// Width.
    pub width: u64,
    /// Height (0 for a minute without issuance).
    pub height: u64,
    /// `HH:MM UTC: n issued`.
    pub title: String,
}

/// A label under the time axis.
pub struct Tick {
    /// Its centre.
    pub x: u64,
    /// `HH:MM`.
    pub text: String,
    /// `start`, `middle` or `end`: the edge labels stay inside the drawing.
    pub anchor: &'static str,
}

/// What the template draws.
pub struct Chart {
    /// Width of the drawing.
    pub width: u64,
    /// Height of the drawing.
    pub height: u64,
    /// Where the bars stand.
    pub baseline: u64,
    /// One per minute, oldest first.
    pub bars: Vec<Bar>,
    /// Time labels.
    pub ticks: Vec<Tick>,
    /// Issued over the hour.
    pub total: u64,
    /// The busiest minute's count (the scale's top).
    pub peak: u64,
}

/// The chart of the last hour at the clock's now, for `caller`'s issuers.
pub async fn issuance(state: &ManagementApi, caller: &Caller) -> Result<Chart, ConsoleError> {
    let now = state.clock.now();
    let first = minute_of(now) - (MINUTES as i64 - 1);
    let query = AuditQuery {
        issuers: caller.issuer_filter(None),
        event_type: Some("CredentialIssued".into()),
        from: DateTime::from_timestamp(first * 60, 0),
        ..AuditQuery::default()
    };
    let counts = state
        .audit
        .counts_per_minute(query)
        .await
        .map_err(ApiError::from)?;
    Ok(draw(first, &per_minute(first, &counts)))
}

/// Minutes since the epoch of `time`.
fn minute_of(time: DateTime<Utc>) -> i64 {
    time.timestamp().div_euclid(60)
}

/// The [`MINUTES`] counts from minute `first` on, zero where `counts` has none.
fn per_minute(first: i64, counts: &[(i64, u64)]) -> Vec<u64> {
    let mut buckets = vec![0; MINUTES];
    for (minute, count) in counts {
        if let Some(slot) = usize::try_from(minute - first)
            .ok()
            .and_then(|i| buckets.get_mut(i))
        {
            *slot += count;
        }
    }
    buckets
}

/// The drawing of `counts`, the first at minute `first`.
fn draw(first: i64, counts: &[u64]) -> Chart {
    let peak = counts.iter().copied().max().unwrap_or(0);
    let baseline = HEIGHT - AXIS;
    let slot = WIDTH / MINUTES as u64;
    let label = |i: usize| {
        DateTime::from_timestamp((first + i as i64) * 60, 0)
            .map(|t| format!("{:02}:{:02}", t.hour(), t.minute()))
            .unwrap_or_default()
    };
    let bars = counts
        .iter()
        .enumerate()
        .map(|(i, &count)| {
            // The busiest minute fills the height; any issuance shows at least 1 unit.
            let height = match (count, peak) {
                (0, _) | (_, 0) => 0,
                _ => (count * (baseline - 4) / peak).max(1),
            };
            Bar {
                x: i as u64 * slot + 1,
                y: baseline - height,
                width: slot - 2,
                height,
                title: format!("{} UTC: {count} issued", label(i)),
            }
        })
        .collect();
    let ticks = (0..MINUTES)
        .step_by(15)
        .chain([MINUTES - 1])
        .map(|i| {
            let (x, anchor) = match i {
                0 => (0, "start"),
                i if i == MINUTES - 1 => (WIDTH, "end"),
                i => (i as u64 * slot + slot / 2, "middle"),
            };
            Tick {
                x,
                text: label(i),
                anchor,
            }
        })
        .collect();
    Chart {
        width: WIDTH,
        height: HEIGHT,
        baseline,
        bars,
        ticks,
        total: counts.iter().sum(),
        peak,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_in_their_minute_and_outside_ones_are_dropped() {
        let counts = per_minute(
            1000,
            &[(999, 7), (1000, 1), (1030, 4), (1059, 2), (1060, 9)],
        );
        assert_eq!(counts.len(), MINUTES);
        assert_eq!((counts[0], counts[30], counts[59]), (1, 4, 2));
        assert_eq!(counts.iter().sum::<u64>(), 7);
    }

    #[test]
    fn the_busiest_minute_fills_the_height_and_quiet_ones_stay_flat() {
        let mut counts = vec![0; MINUTES];
        counts[10] = 500;
        counts[11] = 1;
        let chart = draw(0, &counts);
        let baseline = HEIGHT - AXIS;
        assert_eq!(chart.bars[10].height, baseline - 4);
        assert_eq!(chart.bars[11].height, 1, "any issuance is visible");
        assert_eq!(chart.bars[12].height, 0);
        assert!(chart.bars.iter().all(|b| b.y + b.height == baseline));
        assert!(chart.bars.iter().all(|b| b.x + b.width <= WIDTH));
        assert_eq!((chart.total, chart.peak), (501, 500));
        assert_eq!(chart.bars[10].title, "00:10 UTC: 500 issued");
        assert_eq!(chart.ticks.first().map(|t| t.text.as_str()), Some("00:00"));
        assert_eq!(chart.ticks.last().map(|t| t.text.as_str()), Some("00:59"));
        assert_eq!(
            chart.ticks.first().map(|t| (t.x, t.anchor)),
            Some((0, "start"))
        );
        assert_eq!(
            chart.ticks.last().map(|t| (t.x, t.anchor)),
            Some((WIDTH, "end"))
        );
    }

    #[test]
    fn an_hour_without_issuance_draws_no_bar() {
        let chart = draw(0, &[0; MINUTES]);
        assert!(chart.bars.iter().all(|b| b.height == 0));
        assert_eq!((chart.total, chart.peak), (0, 0));
    }

    #[test]
    fn minutes_count_from_the_epoch() {
        let time = DateTime::from_timestamp(3600 + 59, 0).unwrap();
        assert_eq!(minute_of(time), 60);
    }
}
