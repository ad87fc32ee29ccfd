//! The open connections of `serve`: at most a cap of them (below the process's file-descriptor
//! limit), each marked busy while a request is being answered or its body is still being sent.
//! When the cap is reached, the
//! connection that has been idle longest is closed to make room, so a thousand idle or
//! half-sent connections (slowloris) can never keep a real request from being answered.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::task::AbortHandle;

/// How busy one connection is: the connection's task updates it, the registry reads it.
#[derive(Debug)]
pub(super) struct Activity {
    /// Requests being answered, or whose bodies are still being sent.
    in_flight: AtomicUsize,
    /// Milliseconds since the registry's start at the last sign of life.
    last: AtomicU64,
    epoch: Instant,
}

/// Marks a connection busy for as long as it lives: held while a request is routed, then by
/// the body stream until its last byte is sent.
#[derive(Debug)]
pub(super) struct Busy(Arc<Activity>);

impl Busy {
    /// Progress (a chunk sent): not idle.
    pub(super) fn touch(&self) {
        self.0.touch();
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Activity {
    fn touch(&self) {
        self.last
            .store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// The connection is answering until the returned guard is dropped.
    pub(super) fn busy(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.touch();
        Busy(self.clone())
    }

    pub(super) fn is_busy(&self) -> bool {
        self.in_flight.load(Ordering::Relaxed) > 0
    }

    /// Milliseconds since the last request began or ended.
    pub(super) fn idle_ms(&self) -> u64 {
        (self.epoch.elapsed().as_millis() as u64).saturating_sub(self.last.load(Ordering::Relaxed))
    }
}

struct Entry {
    activity: Arc<Activity>,
    abort: Option<AbortHandle>,
}

#[derive(Clone)]
pub(super) struct Registry {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    cap: usize,
    next_id: u64,
    open: BTreeMap<u64, Entry>,
    epoch: Instant,
}

/// A connection's place in the registry; dropping it frees the place.
pub(super) struct Slot {
    id: u64,
    activity: Arc<Activity>,
    registry: Registry,
}

impl Slot {
    pub(super) fn activity(&self) -> Arc<Activity> {
        self.activity.clone()
    }

    pub(super) fn id(&self) -> u64 {
        self.id
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut inner) = self.registry.inner.lock() {
            inner.open.remove(&self.id);
        }
    }
}

impl Registry {
    pub(super) fn new(cap: usize) -> Registry {
        Registry {
            inner: Arc::new(Mutex::new(Inner {
                cap,
                next_id: 0,
                open: BTreeMap::new(),
                epoch: Instant::now(),
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// A place for a new connection, closing the idlest one if the cap is reached; None when
    /// every open connection is busy answering.
    pub(super) fn admit(&self) -> Option<Slot> {
        let full = {
            let inner = self.lock();
            inner.open.len() >= inner.cap
        };
        if full && !self.evict_idlest() {
            return None;
        }
        let mut inner = self.lock();
        let id = inner.next_id;
        inner.next_id += 1;
        let activity = Arc::new(Activity {
            in_flight: AtomicUsize::new(0),
            last: AtomicU64::new(inner.epoch.elapsed().as_millis() as u64),
            epoch: inner.epoch,
        });
        inner.open.insert(
            id,
            Entry {
                activity: activity.clone(),
                abort: None,
            },
        );
        Some(Slot {
            id,
            activity,
            registry: self.clone(),
        })
    }

    /// Remembers how to close the connection in slot `id`.
    pub(super) fn track(&self, id: u64, abort: AbortHandle) {
        if let Some(e) = self.lock().open.get_mut(&id) {
            e.abort = Some(abort);
        }
    }

    /// Closes the connection idle longest (not one answering a request); false if none is.
    pub(super) fn evict_idlest(&self) -> bool {
        let mut inner = self.lock();
        let victim = inner
            .open
            .iter()
            .filter(|(_, e)| !e.activity.is_busy() && e.abort.is_some())
            .max_by_key(|(_, e)| e.activity.idle_ms())
            .map(|(id, _)| *id);
        let Some(id) = victim else {
            return false;
        };
        if let Some(e) = inner.open.remove(&id) {
            if let Some(a) = e.abort {
                a.abort();
            }
        }
        true
    }
}

/// Connections the process may hold: its descriptor limit less a margin for the database,
/// objects being sent and the listener.
pub(super) fn fd_budget() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3))
                .and_then(|soft| soft.parse::<usize>().ok())
        })
        .map(|soft| soft.saturating_sub(64).max(16))
        .unwrap_or(1024)
}
