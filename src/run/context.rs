//! The per-run context: what every step of a pass shares — the config, the fetcher and its
//! store, the filter, progress, the interrupt, the run's id and its start time — built once
//! after the run is recorded as started and passed by reference, instead of seven to ten loose
//! arguments per function.
//!
//! The database is not part of it: one step at a time borrows it mutably, and while the checks
//! run it is moved into the writer thread (which gets its own `Arc` of this context).

use std::sync::Arc;

use super::Interrupt;
use crate::clock::Timestamp;
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::filter::Filter;
use crate::progress::Progress;
use crate::store::Store;

pub(super) struct RunContext {
    /// The configuration of the pass (owned, so the writer thread can share it).
    pub(super) cfg: Config,
    /// Check every known reference (and read every article) now, whatever its schedule.
    pub(super) recheck: bool,
    /// The one HTTP client, politeness table and probe cache of the run.
    pub(super) fetcher: Arc<Fetcher>,
    /// The store captures go into (the fetcher's, too).
    pub(super) store: Store,
    /// `[filter]`: which citations are left out.
    pub(super) filter: Filter,
    pub(super) progress: Arc<Progress>,
    /// Stops the run early (SIGINT, SIGTERM).
    pub(super) interrupt: Interrupt,
    /// The run's row in the database.
    pub(super) run_id: i64,
    /// When the run began (the time articles are registered and references retired at).
    pub(super) started_at: Timestamp,
}
