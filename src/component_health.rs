//! Component health reported by background tasks and read by `/health/ready`.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

/// One component's state.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ComponentHealth {
    /// Whether the service is ready as far as this component goes.
    pub ready: bool,
    /// Short explanation.
    pub detail: String,
}

/// Health of named components (broker, relay, ...), and whether shutdown has begun.
#[derive(Debug, Clone, Default)]
pub struct HealthRegistry(
    Arc<Mutex<BTreeMap<&'static str, ComponentHealth>>>,
    Arc<AtomicBool>,
);

impl HealthRegistry {
    /// Marks the service as shutting down: readiness fails from now on (component
    /// `component`), and [`HealthRegistry::shutting_down`] says so.
    pub fn begin_shutdown(&self, component: &'static str) {
        self.1.store(true, Ordering::Relaxed);
        self.set(component, false, "shutting down");
    }

    /// Whether shutdown has begun.
    pub fn shutting_down(&self) -> bool {
        self.1.load(Ordering::Relaxed)
    }

    /// Records a component's state.
    pub fn set(&self, component: &'static str, ready: bool, detail: impl Into<String>) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(
                component,
                ComponentHealth {
                    ready,
                    detail: detail.into(),
                },
            );
        }
    }

    /// Every component's state.
    pub fn snapshot(&self) -> BTreeMap<&'static str, ComponentHealth> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// What a component of lease-held work reports on a node that does not hold the lease:
/// ready, as far as this node goes (another node does the work).
pub const STANDBY: &str = "standby (another node holds the lease)";

/// Runs `task`, the work of a lease this node holds, which reports `component` itself
/// (`connecting` until it does); however the task ends, also when a lost lease drops it,
/// `component` is back on [`STANDBY`].
pub async fn while_held<F: Future<Output = ()>>(
    health: HealthRegistry,
    component: &'static str,
    task: F,
) {
    struct Standby(HealthRegistry, &'static str);
    impl Drop for Standby {
        fn drop(&mut self) {
            self.0.set(self.1, true, STANDBY);
        }
    }
    health.set(component, false, "connecting");
    let _standby = Standby(health, component);
    task.await;
}
