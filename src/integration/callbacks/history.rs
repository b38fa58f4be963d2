//! The offer's state just before a callback's event, folded from the event store and
//! cached: authoritative (the stored events, not a projection), the same on every
//! redelivery, and without re-reading a long stream per callback. A multi-use offer's
//! stream grows with every redemption; one offer's callbacks arrive in sequence order, so
//! the state folded for the previous one is extended by the events in between, read up to
//! the event itself and no further.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use issuance_domain::offer::{stream_id, Offer, OfferEvent};
use uuid::Uuid;

use super::disposition::Disposition;
use crate::integration::envelope::EventEnvelope;
use crate::store::EventStore;

/// Offers whose folded state is kept; the cache starts over when it is full.
const CACHED_OFFERS: usize = 16_384;

/// An offer's state after its event `sequence`.
struct Folded {
    sequence: u64,
    state: Offer,
}

/// Folds offers up to a callback's event, reusing earlier folds.
pub struct OfferHistory {
    events: Arc<dyn EventStore>,
    cache: Mutex<HashMap<Uuid, Folded>>,
}

impl OfferHistory {
    /// An empty cache over `events`.
    pub fn new(events: Arc<dyn EventStore>) -> OfferHistory {
        OfferHistory {
            events,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Calls `f` with the offer's state before the envelope's event, and that event. `Err`
    /// says what the transport should do instead: `Defer` when the store is unavailable or
    /// the event not yet readable, `Dead` when the message does not match the stored event.
    pub async fn with_event<R>(
        &self,
        envelope: &EventEnvelope,
        f: impl FnOnce(&Offer, &OfferEvent) -> R,
    ) -> Result<R, Disposition> {
        // Taken out (not cloned): one offer's callbacks are processed one at a time, and a
        // concurrent redelivery merely folds from the start.
        let start = self
            .take(envelope.offer_id)
            .filter(|folded| folded.sequence < envelope.sequence)
            .unwrap_or(Folded {
                sequence: 0,
                state: Offer::default(),
            });
        let recorded = self
            .events
            .read_stream_range(
                &stream_id(envelope.offer_id),
                start.sequence,
                envelope.sequence,
            )
            .await
            .map_err(|e| Disposition::Defer(e.to_string()))?;
        let mut state = start.state;
        for recorded in recorded {
            let event = OfferEvent::decode(
                &recorded.event_type,
                recorded.event_version,
                &recorded.payload,
            )
            .map_err(|e| Disposition::Dead {
                reason: format!("undecodable event in the offer's stream: {e}"),
                status: None,
            })?;
            if recorded.sequence == envelope.sequence {
                if recorded.event_id != envelope.event_id {
                    return Err(Disposition::Dead {
                        reason: "the message does not match the stored event".into(),
                        status: None,
                    });
                }
                let result = f(&state, &event);
                self.remember(envelope.offer_id, envelope.sequence, state, event);
                return Ok(result);
            }
            state.apply(event);
        }
        // Only a lagging replica can be behind the log the relay read.
        Err(Disposition::Defer("event not yet readable".into()))
    }

    fn take(&self, offer_id: Uuid) -> Option<Folded> {
        self.cache.lock().ok()?.remove(&offer_id)
    }

    /// Keeps the state after `event` (at `sequence`) for the offer's next callback; an
    /// offer that has ended sends no further callback worth a cache entry.
    fn remember(&self, offer_id: Uuid, sequence: u64, mut state: Offer, event: OfferEvent) {
        let ended = matches!(
            event,
            OfferEvent::OfferCompleted(_)
                | OfferEvent::OfferFailed(_)
                | OfferEvent::OfferExpired(_)
                | OfferEvent::OfferRevoked(_)
        );
        if ended {
            return;
        }
        state.apply(event);
        let Ok(mut cache) = self.cache.lock() else {
            return;
        };
        if cache.get(&offer_id).is_some_and(|f| f.sequence >= sequence) {
            return;
        }
        if cache.len() >= CACHED_OFFERS {
            cache.clear();
        }
        cache.insert(offer_id, Folded { sequence, state });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use chrono::{DateTime, Utc};
    use issuance_domain::offer::OfferRedeemed;
    use issuance_domain::Digest;
    use issuance_eventlog::{EventMetadata, LogPosition, NewEvent, RecordedEvent};
    use tokio::sync::watch;

    use super::*;
    use crate::store::{AppendOutcome, ExpectedVersion, SideEffects, StoreError};

    /// One offer's stream in memory, counting the events handed out.
    struct CountingStream {
        events: Vec<RecordedEvent>,
        handed_out: AtomicUsize,
    }

    impl CountingStream {
        fn hand_out(&self, events: Vec<RecordedEvent>) -> Vec<RecordedEvent> {
            self.handed_out.fetch_add(events.len(), Ordering::SeqCst);
            events
        }
    }

    #[async_trait]
    impl EventStore for CountingStream {
        async fn append_with(
            &self,
            _: &str,
            _: ExpectedVersion,
            _: Vec<NewEvent>,
            _: SideEffects,
        ) -> Result<AppendOutcome, StoreError> {
            Err(StoreError::Unavailable("read-only".into()))
        }

        async fn read_stream(&self, _: &str) -> Result<Vec<RecordedEvent>, StoreError> {
            Ok(self.hand_out(self.events.clone()))
        }

        async fn read_stream_range(
            &self,
            _: &str,
            after: u64,
            up_to: u64,
        ) -> Result<Vec<RecordedEvent>, StoreError> {
            let events = self
                .events
                .iter()
                .filter(|e| e.sequence > after && e.sequence <= up_to)
                .cloned()
                .collect();
            Ok(self.hand_out(events))
        }

        async fn read_all(
            &self,
            _: LogPosition,
            _: usize,
        ) -> Result<Vec<RecordedEvent>, StoreError> {
            Ok(Vec::new())
        }

        async fn head(&self) -> Result<LogPosition, StoreError> {
            Ok(LogPosition::START)
        }

        fn appended(&self) -> watch::Receiver<LogPosition> {
            watch::channel(LogPosition::START).1
        }

        fn backend(&self) -> &'static str {
            "memory"
        }
    }

    /// A multi-use offer's stream: `n` redemptions.
    fn long_stream(offer_id: Uuid, n: u64) -> Vec<RecordedEvent> {
        let at = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        (1..=n)
            .map(|sequence| {
                let event = OfferEvent::OfferRedeemed(OfferRedeemed {
                    redemption_id: Uuid::from_u128(u128::from(sequence)),
                    grant: "pre-authorized_code".into(),
                    token_hash: Digest([0; 32]),
                    token_expires_at: at,
                    credential_configuration_ids: vec!["A".into()],
                    client_id: None,
                    dpop_jkt: None,
                    attested_wallet: None,
                });
                RecordedEvent {
                    position: LogPosition::at(sequence),
                    stream_id: stream_id(offer_id),
                    sequence,
                    event_id: Uuid::from_u128(1_000_000 + u128::from(sequence)),
                    event_type: event.event_type().into(),
                    event_version: event.event_version(),
                    payload: Arc::new(event.payload()),
                    metadata: EventMetadata {
                        actor: "wallet".into(),
                        request_id: None,
                        occurred_at: at,
                        client_ip: None,
                        holder_key_thumbprint: None,
                        issuer_id: None,
                    },
                }
            })
            .collect()
    }

    #[tokio::test]
    async fn each_callback_of_a_long_stream_reads_only_the_events_since_the_previous_one() {
        const EVENTS: u64 = 2_000;
        let offer_id = Uuid::from_u128(7);
        let events = long_stream(offer_id, EVENTS);
        let store = Arc::new(CountingStream {
            events: events.clone(),
            handed_out: AtomicUsize::new(0),
        });
        let history = OfferHistory::new(store.clone());
        for recorded in &events {
            let (envelope, _) = EventEnvelope::from_recorded(recorded).unwrap();
            let before = history
                .with_event(&envelope, |before, _| before.redemptions.len())
                .await
                .unwrap();
            assert_eq!(before as u64, recorded.sequence - 1);
        }
        // Every event read once in all (re-reading the stream per callback would be
        // EVENTS * (EVENTS + 1) / 2 = 2,001,000).
        assert_eq!(store.handed_out.load(Ordering::SeqCst), EVENTS as usize);

        // A redelivery of an earlier event folds again from the start, up to that event
        // only, and the state is right.
        let (old, _) = EventEnvelope::from_recorded(&events[9]).unwrap();
        let before = history
            .with_event(&old, |before, _| before.redemptions.len())
            .await
            .unwrap();
        assert_eq!(before, 9);
        assert_eq!(
            store.handed_out.load(Ordering::SeqCst),
            EVENTS as usize + 10
        );
    }
}
