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

use super::processor::Disposition;
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
