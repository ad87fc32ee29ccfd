//! What the steps of a pass hand one another: what the article reads saw of the network
//! ([`NetSeen`]) and what the checks did ([`CheckOutcome`]). Plain data in a module of its own
//! so the dependencies run one way — `checks` → `record` → `outcome`, `network` → `outcome` —
//! instead of `record` reaching back into `checks` for the type it fills.

use std::collections::HashSet;

use super::RunError;
use crate::fetch::CheckResult;

/// What the article reads saw of the network (whether any server answered, and which failed
/// without an answer), for the checks' writer and `network::settle`.
#[derive(Default)]
pub(super) struct NetSeen {
    pub(super) any_response: bool,
    pub(super) network_failures: u64,
    /// Hosts of the article URLs that failed without an answer (never asked as witnesses).
    pub(super) failing_hosts: HashSet<String>,
}

/// What the checks of a run did: counts, held network failures, and the error that stopped
/// them, if one did.
#[derive(Default)]
pub(super) struct CheckOutcome {
    pub(super) checked: u64,
    pub(super) alive: u64,
    pub(super) dead: u64,
    pub(super) blocked: u64,
    pub(super) transient: u64,
    pub(super) downloaded: u64,
    pub(super) new_snapshots: u64,
    /// Some server answered at the HTTP level in this run (article reads included).
    pub(super) any_response: bool,
    /// Network-level failures not yet recorded because no server answered at all.
    pub(super) held: Vec<CheckResult>,
    pub(super) video_page_only: u64,
    pub(super) videos_captured: u64,
    pub(super) fatal: Option<RunError>,
}
