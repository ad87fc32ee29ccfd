//! Stopping a run on SIGINT or SIGTERM: fetching stops (checks in flight are dropped, their
//! temporary files removed), what was already checked stays recorded, the run is recorded as
//! interrupted, and the process exits promptly with 130 or 143 — never leaving a run that looks
//! alive, or `.part` files, behind.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

/// The signal that stopped the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGINT (Ctrl-C).
    Int,
    /// SIGTERM.
    Term,
}

impl Stop {
    /// 128 + the signal number, as shells report it.
    pub fn exit_code(self) -> u8 {
        match self {
            Stop::Int => 130,
            Stop::Term => 143,
        }
    }

    /// The signal's name: `SIGINT` or `SIGTERM`.
    pub fn name(self) -> &'static str {
        match self {
            Stop::Int => "SIGINT",
            Stop::Term => "SIGTERM",
        }
    }
}

/// Shared by everything a run starts; cheap to clone.
#[derive(Clone, Default)]
pub struct Interrupt {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Interrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Interrupt({:?})", self.stopped())
    }
}

#[derive(Default)]
struct Inner {
    /// 0 running, 1 SIGINT, 2 SIGTERM.
    state: AtomicU8,
    notify: Notify,
}

impl Interrupt {
    /// Not stopped yet.
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Asks everything to stop.
    pub fn stop(&self, why: Stop) {
        let v = match why {
            Stop::Int => 1,
            Stop::Term => 2,
        };
        let _ = self
            .inner
            .state
            .compare_exchange(0, v, Ordering::SeqCst, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    /// The signal the run was asked to stop by, if it was (the first one counts).
    pub fn stopped(&self) -> Option<Stop> {
        match self.inner.state.load(Ordering::SeqCst) {
            1 => Some(Stop::Int),
            2 => Some(Stop::Term),
            _ => None,
        }
    }

    /// Resolves once the run is asked to stop.
    pub async fn wait(&self) -> Stop {
        loop {
            let notified = self.inner.notify.notified();
            if let Some(s) = self.stopped() {
                return s;
            }
            notified.await;
        }
    }

    /// Sleeps for `d`, or less if asked to stop (then says why).
    pub async fn sleep(&self, d: Duration) -> Option<Stop> {
        tokio::select! {
            _ = tokio::time::sleep(d) => self.stopped(),
            s = self.wait() => Some(s),
        }
    }

    /// Turns SIGINT and SIGTERM into `stop` for as long as the process runs. A second signal
    /// while stopping is not waited for: the process exits at once.
    pub async fn watch_signals(self) {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        loop {
            let why = tokio::select! {
                _ = int.recv() => Stop::Int,
                _ = term.recv() => Stop::Term,
            };
            if self.stopped().is_some() {
                std::process::exit(i32::from(why.exit_code()));
            }
            self.stop(why);
        }
    }
}
