//! Component health reported by background tasks and read by `/health/ready`.

use std::collections::BTreeMap;
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
