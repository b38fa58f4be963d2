//! `run_with_lease`: a singleton task runs on exactly one node, and moves when that node
//! stops.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use issuance::store::lease::{run_with_lease, Leases};
use issuance::store::pg::PgTarget;
use tokio::sync::watch;

use crate::support::TestDatabase;

/// Counts how many copies of a task run at once, and the most ever seen.
#[derive(Default)]
struct Running {
    now: AtomicUsize,
    most: AtomicUsize,
    starts: AtomicUsize,
}

/// A task that stays "running" until its shutdown turns true.
async fn task(running: Arc<Running>, mut shutdown: watch::Receiver<bool>) {
    let now = running.now.fetch_add(1, Ordering::SeqCst) + 1;
    running.most.fetch_max(now, Ordering::SeqCst);
    running.starts.fetch_add(1, Ordering::SeqCst);
    let _ = shutdown.wait_for(|stop| *stop).await;
    running.now.fetch_sub(1, Ordering::SeqCst);
}

fn node(
    leases: Leases,
    running: Arc<Running>,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (shutdown, shutdown_rx) = watch::channel(false);
    let handle = tokio::spawn(run_with_lease(
        leases,
        "test_singleton",
        shutdown_rx,
        move |stop| task(running.clone(), stop),
    ));
    (shutdown, handle)
}

async fn until(limit: Duration, check: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check()
}

#[tokio::test(flavor = "multi_thread")]
async fn one_of_two_nodes_runs_the_task_and_the_other_takes_over_when_it_stops() {
    let database = TestDatabase::new();
    let target = PgTarget::parse(&database.url()).unwrap();
    let (a, b) = (Leases::postgres(target.clone()), Leases::postgres(target));
    assert!(a.is_shared());
    let running = Arc::new(Running::default());

    let (stop_a, node_a) = node(a.clone(), running.clone());
    assert!(
        until(Duration::from_secs(5), || running
            .now
            .load(Ordering::SeqCst)
            == 1)
        .await
    );
    let (stop_b, node_b) = node(b.clone(), running.clone());
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        running.now.load(Ordering::SeqCst),
        1,
        "only one node runs it"
    );
    assert_eq!(a.snapshot().get("test_singleton"), Some(&true));
    assert_eq!(b.snapshot().get("test_singleton"), Some(&false));

    // The holder stops (its lease session closes); the standby takes over within seconds.
    stop_a.send(true).unwrap();
    node_a.await.unwrap();
    assert!(
        until(Duration::from_secs(5), || running
            .starts
            .load(Ordering::SeqCst)
            == 2
            && running.now.load(Ordering::SeqCst) == 1)
        .await,
        "the other node took over"
    );
    assert_eq!(b.snapshot().get("test_singleton"), Some(&true));
    assert_eq!(running.most.load(Ordering::SeqCst), 1, "never two at once");

    stop_b.send(true).unwrap();
    node_b.await.unwrap();
    assert_eq!(running.now.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_local_lease_runs_the_task_at_once_until_shutdown() {
    let leases = Leases::local();
    assert!(!leases.is_shared());
    let running = Arc::new(Running::default());
    let (stop, handle) = node(leases.clone(), running.clone());
    assert!(
        until(Duration::from_secs(2), || running
            .now
            .load(Ordering::SeqCst)
            == 1)
        .await
    );
    assert_eq!(leases.snapshot().get("test_singleton"), Some(&true));
    stop.send(true).unwrap();
    handle.await.unwrap();
    assert_eq!(running.now.load(Ordering::SeqCst), 0);
    assert_eq!(leases.snapshot().get("test_singleton"), Some(&false));
}
