//! Per-host politeness: at most N requests in flight to one host, at least an interval between
//! request starts, and a host-wide pause when a server sends `Retry-After`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

pub(crate) struct Politeness {
    per_host: usize,
    interval: Duration,
    hosts: Mutex<HashMap<String, Arc<HostGate>>>,
}

struct HostGate {
    slots: Arc<Semaphore>,
    next_start: tokio::sync::Mutex<Instant>,
}

/// Held while talking to a host; dropping it frees the slot.
pub(crate) struct HostPermit {
    _slot: Option<OwnedSemaphorePermit>,
}

impl Politeness {
    pub(crate) fn new(per_host: usize, interval: Duration) -> Politeness {
        Politeness {
            per_host: per_host.max(1),
            interval,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    fn gate(&self, host: &str) -> Arc<HostGate> {
        let mut hosts = match self.hosts.lock() {
            Ok(h) => h,
            Err(poisoned) => poisoned.into_inner(),
        };
        hosts
            .entry(host.to_ascii_lowercase())
            .or_insert_with(|| {
                Arc::new(HostGate {
                    slots: Arc::new(Semaphore::new(self.per_host)),
                    next_start: tokio::sync::Mutex::new(Instant::now()),
                })
            })
            .clone()
    }

    /// Waits for a slot on `host` and for its interval to pass.
    pub(crate) async fn acquire(&self, host: &str) -> HostPermit {
        let gate = self.gate(host);
        // The semaphore is never closed, so this only fails if that invariant breaks.
        let slot = gate.slots.clone().acquire_owned().await.ok();
        let mut next = gate.next_start.lock().await;
        let now = Instant::now();
        if *next > now {
            tokio::time::sleep_until(*next).await;
        }
        *next = Instant::now().max(*next) + self.interval;
        HostPermit { _slot: slot }
    }

    /// The host asked us to wait (`Retry-After`): no request to it starts before then.
    pub(crate) async fn pause(&self, host: &str, wait: Duration) {
        let gate = self.gate(host);
        let mut next = gate.next_start.lock().await;
        let until = Instant::now() + wait;
        if until > *next {
            *next = until;
        }
    }
}
