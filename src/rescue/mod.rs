//! Nothing lost that any archive kept: references that died before linkvault held a copy are
//! looked up in the web's public archives (Memento TimeGates), and the memento closest to the
//! citing article's publication date is fetched, original bytes, into the store — recorded as a
//! snapshot of origin `memento` with its provenance, never as a capture of our own, and never
//! making a reference count as alive. The other way round, live references are submitted to
//! save endpoints so a second, independent copy exists ([`submit`]).
//!
//! Runs at the end of a pass, after the checks, and only when the network was up.

mod lookup;
pub(crate) mod memento;
mod submit;

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::stream::{self, StreamExt};

use crate::clock::{self, Timestamp};
use crate::config::Config;
use crate::db::{archive_name, Db, DbError, NewLookup, NewMemento, Tx};
use crate::fetch::Fetcher;
use crate::progress::Progress;
use crate::store::WriteError;

pub use lookup::Outcome;
use lookup::{Fetched, Lookup, LookupResult};
pub use submit::{submit_live, SubmitSummary};

/// Why rescue or submission stopped: the archive's own failures (an archive that cannot be
/// reached is recorded, never an error).
#[derive(Debug, thiserror::Error)]
pub enum RescueError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A rescued copy could not be stored.
    #[error("the run stopped while keeping a rescued copy: {0}")]
    Store(#[from] WriteError),
}

/// What the lookups of one run did.
#[derive(Debug, Clone, Default)]
pub struct RescueSummary {
    /// References looked up.
    pub looked_up: u64,
    /// Rescued, per archive name.
    pub rescued: BTreeMap<String, u64>,
    /// References no archive held a usable copy of.
    pub not_found: u64,
    /// Archives that could not be asked: how many lookups failed, and the last reason.
    pub unreachable: BTreeMap<String, (u64, String)>,
    /// When the references not rescued are looked up again.
    pub next_lookup: Option<Timestamp>,
}

impl RescueSummary {
    /// References rescued, over all archives.
    pub fn rescued_total(&self) -> u64 {
        self.rescued.values().sum()
    }
}

/// Looks up every reference due (dead or blocked without a copy of its own, or failing at its
/// first check), at most `rescue.per_run` of them, and records what the archives answered.
pub async fn rescue_dead(
    db: &mut Db,
    cfg: &Config,
    fetcher: &Arc<Fetcher>,
    run_id: i64,
    progress: &Progress,
) -> Result<RescueSummary, RescueError> {
    let mut summary = RescueSummary::default();
    if !cfg.rescue.enabled || cfg.rescue.timegates.is_empty() {
        return Ok(summary);
    }
    let due = db.rescue_due(clock::now(), cfg.rescue.per_run)?;
    if due.is_empty() {
        return Ok(summary);
    }
    progress.info(&format!(
        "looking up {} reference(s) without a copy of their own in {} web archive(s)",
        due.len(),
        cfg.rescue.timegates.len()
    ));
    let next = clock::now().saturating_add(cfg.confirm.interval.as_secs() as i64);
    summary.next_lookup = Some(next);
    let lookup = Lookup::new(fetcher, &cfg.rescue.timegates);
    let mut results = stream::iter(&due)
        .map(|d| lookup.run(d))
        .buffer_unordered(cfg.fetch.concurrency)
        .ready_chunks(64);
    while let Some(batch) = results.next().await {
        // A failing store stops the lookups, but what finished is recorded first: its copies
        // are already on disk.
        let (done, failed): (Vec<_>, Vec<_>) = batch.into_iter().partition(Result::is_ok);
        let done: Vec<LookupResult> = done.into_iter().filter_map(Result::ok).collect();
        db.transaction(|tx| {
            for r in &done {
                record(tx, r, run_id, next)?;
            }
            Ok(())
        })?;
        for r in &done {
            tally(&mut summary, r);
        }
        if let Some(Err(e)) = failed.into_iter().next() {
            return Err(e.into());
        }
    }
    Ok(summary)
}

/// One more failure of `host`, keeping its latest reason.
fn count_failure(by_host: &mut BTreeMap<String, (u64, String)>, host: String, why: Option<&str>) {
    let entry = by_host.entry(host).or_insert((0, String::new()));
    entry.0 += 1;
    entry.1 = why.unwrap_or_default().to_string();
}

fn tally(summary: &mut RescueSummary, r: &LookupResult) {
    summary.looked_up += 1;
    match &r.rescued {
        Some(f) => *summary.rescued.entry(archive_name(&f.archive)).or_default() += 1,
        None => summary.not_found += 1,
    }
    for a in r.answers.iter().filter(|a| a.outcome == Outcome::Error) {
        count_failure(
            &mut summary.unreachable,
            archive_name(&a.archive),
            a.detail.as_deref(),
        );
    }
}

/// One lookup: the rescued copy (and refused ones, as evidence), each archive's answer, and when
/// to look again.
fn record(tx: &Tx<'_>, r: &LookupResult, run_id: i64, next: Timestamp) -> rusqlite::Result<()> {
    let mut snapshot_id = None;
    if let Some(f) = &r.rescued {
        let headers = serde_json::to_string(&f.headers).ok();
        snapshot_id = Some(tx.insert_memento(&memento_row(r, f, true, headers.as_deref()))?);
    }
    for f in &r.refused {
        let headers = serde_json::to_string(&f.headers).ok();
        tx.insert_memento(&memento_row(r, f, false, headers.as_deref()))?;
    }
    for a in &r.answers {
        tx.record_lookup(
            &NewLookup {
                ref_id: r.ref_id,
                run_id,
                looked_at: r.looked_at,
                archive: &a.archive,
                target_at: r.target_at,
                outcome: a.outcome.as_str(),
                memento_url: a.memento_url.as_deref(),
                memento_datetime: a.memento_datetime,
                detail: a.detail.as_deref(),
            },
            snapshot_id.filter(|_| a.outcome == Outcome::Rescued),
        )?;
    }
    tx.set_rescue_next(r.ref_id, next)
}

fn memento_row<'a>(
    r: &LookupResult,
    f: &'a Fetched,
    good: bool,
    headers_json: Option<&'a str>,
) -> NewMemento<'a> {
    NewMemento {
        ref_id: r.ref_id,
        sha256: &f.object.sha256,
        bytes: f.object.bytes,
        content_type: f.content_type.as_deref(),
        http_status: f.status,
        headers_json,
        http_version: Some(f.http_version),
        reason_phrase: f.reason_phrase.as_deref(),
        archive: &f.archive,
        memento_url: &f.memento_url,
        memento_datetime: f.datetime,
        rewritten: f.rewritten,
        rescued_at: r.looked_at,
        good,
        decoded_from: f.decoded_from.as_deref(),
    }
}
