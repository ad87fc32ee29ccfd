//! Checking the due references: ordered across hosts, run as concurrent tasks (page check,
//! then the video step where it applies), their results handed to the single writer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures_util::stream::{self, StreamExt};
use tokio::sync::mpsc;

use super::record::write_results;
use super::RunError;
use crate::config::Config;
use crate::db::{Db, DueRef};
use crate::fetch::{CheckResult, Fetcher};
use crate::model::State;
use crate::progress::Progress;
use crate::store::WriteError;
use crate::video::VideoCapturer;

/// Orders due references so consecutive ones are on different hosts: concurrency is spent
/// across hosts instead of queueing behind one host's politeness limit.
pub(super) fn interleave_hosts(due: Vec<DueRef>) -> Vec<DueRef> {
    let mut rank: HashMap<String, usize> = HashMap::new();
    let mut keyed: Vec<(usize, usize, DueRef)> = due
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let r = rank.entry(d.host.clone()).or_insert(0);
            *r += 1;
            (*r, i, d)
        })
        .collect();
    keyed.sort_by_key(|(r, i, _)| (*r, *i));
    keyed.into_iter().map(|(_, _, d)| d).collect()
}

/// What each check task needs: the page fetcher and, when enabled, the video capturer.
#[derive(Clone)]
pub(super) struct Checks {
    pub(super) fetcher: Arc<Fetcher>,
    pub(super) video: Option<Arc<VideoCapturer>>,
    pub(super) recapture: bool,
    pub(super) interrupt: super::Interrupt,
}

impl Checks {
    /// The page check, then — for a video page that answered — the video step.
    async fn check(&self, due: DueRef) -> Result<CheckResult, WriteError> {
        let mut r = self.fetcher.check(&due).await?;
        if let Some(video) = &self.video {
            if r.state == State::Alive && video.eligible(&due.url, due.kind) {
                let download = self.recapture || !due.has_video;
                let outcome = video.capture(&due.url, download).await?;
                crate::video::merge(&mut r, outcome);
            }
        }
        Ok(r)
    }
}

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

pub(super) async fn check_refs(
    db: Db,
    cfg: &Config,
    due: Vec<DueRef>,
    checks: Checks,
    run_id: i64,
    progress: Arc<Progress>,
    seen_response: bool,
) -> Result<(Db, CheckOutcome), RunError> {
    let (tx, rx) = mpsc::channel::<Result<CheckResult, WriteError>>(512);
    let stop = Arc::new(AtomicBool::new(false));
    let concurrency = cfg.fetch.concurrency;
    let producer = {
        let stop = stop.clone();
        let interrupt = checks.interrupt.clone();
        tokio::spawn(async move {
            let mut results = stream::iter(due)
                .take_while(|_| {
                    std::future::ready(
                        !stop.load(Ordering::Relaxed) && interrupt.stopped().is_none(),
                    )
                })
                .map(|d| {
                    let c = checks.clone();
                    // A signal drops the check where it is: its temp file goes with it.
                    tokio::spawn(async move {
                        tokio::select! {
                            r = c.check(d) => Some(r),
                            _ = c.interrupt.wait() => None,
                        }
                    })
                })
                .buffer_unordered(concurrency);
            while let Some(joined) = results.next().await {
                let item = match joined {
                    Ok(Some(r)) => r,
                    Ok(None) => continue,
                    Err(e) => Err(WriteError::Io {
                        path: Default::default(),
                        source: std::io::Error::other(format!("a check task failed: {e}")),
                    }),
                };
                // If the writer has stopped, keep draining: every check already started must
                // finish here (and clean up its temp file), not be left running detached.
                let _ = tx.send(item).await;
            }
        })
    };
    let writer_cfg = cfg.clone();
    let writer = tokio::task::spawn_blocking(move || {
        write_results(db, rx, &writer_cfg, run_id, &progress, seen_response, &stop)
    });
    producer.await.map_err(|e| RunError::Task(e.to_string()))?;
    let (db, outcome) = writer.await.map_err(|e| RunError::Task(e.to_string()))?;
    Ok((db, outcome))
}
