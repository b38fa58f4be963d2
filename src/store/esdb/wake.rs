//! Cross-node wake-ups: a live subscription to `$all`.
//!
//! A projector wakes at once for appends made in its own process; for appends made by
//! another node it would wait for its next poll. This task follows `$all` from its end
//! (system events filtered out by the server) and moves the `appended` watch to every new
//! event's position. It is a hint only: projectors still read `$all` themselves.

use std::time::Duration;

use eventstore::{
    Client, RetryOptions, StreamPosition, SubscribeToAllOptions, SubscriptionEvent,
    SubscriptionFilter,
};
use issuance_eventlog::LogPosition;
use tokio::sync::{oneshot, watch};

use super::convert;
use crate::store::advance;

/// Pause before subscribing again after the subscription failed for good.
const RESUBSCRIBE_DELAY: Duration = Duration::from_secs(1);

/// Follows `$all` until `closed` fires or its sender is dropped (the store is gone).
pub(super) async fn follow(
    client: Client,
    appended: watch::Sender<LogPosition>,
    mut closed: oneshot::Receiver<()>,
) {
    let options = SubscribeToAllOptions::default()
        .position(StreamPosition::End)
        .filter(SubscriptionFilter::on_event_type().exclude_system_events())
        .retry_options(RetryOptions::default().retry_forever());
    loop {
        let mut subscription = client.subscribe_to_all(&options).await;
        loop {
            tokio::select! {
                event = subscription.next_subscription_event() => match event {
                    Ok(SubscriptionEvent::EventAppeared(resolved)) => {
                        if let Some(record) = convert::record(&resolved) {
                            if convert::is_ours(record) {
                                advance(&appended, convert::position(record.position));
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%error, "the $all subscription failed; subscribing again");
                        break;
                    }
                },
                _ = &mut closed => return,
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(RESUBSCRIBE_DELAY) => {}
            _ = &mut closed => return,
        }
    }
}
