//! One conformance suite for every storage backend.
//!
//! The cases are generic functions over the store traits ([`event_store`],
//! [`secret_store`], [`read_store`], [`audit_store`], [`integration_store`]); [`conformance!`] instantiates every case once per
//! backend, as `conformance::<backend>::<case>`. SQLite and PostgreSQL always run;
//! EventStoreDB runs when `ISSUANCE_TEST_EVENTSTORE_URL` names a server (e.g.
//! `esdb://127.0.0.1:2113?tls=false`) and is skipped with a printed notice otherwise.
//!
//! Every case must hold on a store that other tests share (an EventStoreDB server): it
//! writes to streams and offers of its own and reads the global log from the head it saw
//! when it started.

mod audit_store;
mod event_store;
mod integration_store;
mod postgres_gaps;
mod read_store;
mod secret_store;
mod subjects;

/// Instantiates every case for one backend (a function in [`subjects`] of the same name).
macro_rules! conformance {
    ($backend:ident) => {
        mod $backend {
            conformance!(@cases $backend:
                event_store::append_then_read_back_round_trips_everything,
                event_store::a_missing_stream_reads_as_empty,
                event_store::conflicting_appends_are_rejected_and_write_nothing,
                event_store::the_global_log_is_read_from_a_position_in_order,
                event_store::a_large_stream_reads_back_completely,
                event_store::concurrent_appends_to_many_streams_all_land,
                event_store::exactly_one_of_racing_appends_wins,
                event_store::a_conflict_does_not_fail_its_neighbours,
                event_store::a_tailing_reader_sees_every_event_exactly_once,
                event_store::appends_wake_the_appended_watch,
                event_store::nonces_consumed_with_an_append_are_all_or_nothing,
                event_store::a_key_changed_with_an_append_goes_with_its_events,
                secret_store::a_data_key_is_created_once_and_destroyed_for_good,
                secret_store::racing_key_creation_agrees_on_one_key,
                secret_store::a_vault_entry_is_stored_once_and_read_back,
                secret_store::a_nonce_is_accepted_once_until_purged,
                secret_store::racing_nonce_consumption_has_one_winner,
                read_store::views_and_checkpoint_are_saved_together,
                read_store::listing_filters_and_pages_newest_first,
                read_store::due_queries_find_live_and_erasable_offers,
                read_store::reset_forgets_views_and_checkpoint,
                audit_store::entries_read_back_exactly_as_written,
                audit_store::entries_that_do_not_continue_the_chain_are_refused_whole,
                audit_store::racing_appends_from_one_tip_have_one_winner,
                audit_store::filters_and_pages_are_exact,
                audit_store::a_replay_reproduces_the_live_chain_hash_for_hash,
                integration_store::one_offers_callbacks_are_due_one_at_a_time_in_order,
                integration_store::re_enqueued_callbacks_are_stored_once_and_checkpoints_never_regress,
                integration_store::many_offers_keep_their_own_order,
                integration_store::dead_letters_page_replace_and_requeue,
                integration_store::due_callbacks_leave_out_rows_in_flight_and_saturated_destinations
            );
        }
    };
    (@cases $backend:ident: $($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread")]
            async fn $case() {
                let Some(subject) = super::subjects::$backend().await else {
                    return;
                };
                super::$module::$case(&subject).await;
            }
        )*
    };
}

conformance!(sqlite);
conformance!(postgres);
conformance!(esdb);
