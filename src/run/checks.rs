//! Checking the due references: ordered across hosts, run as concurrent tasks (page check,
//! then the video step where it applies), their results handed to the single writer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures_util::stream::{self, StreamExt};
use tokio::sync::mpsc;

use super::context::RunContext;
use super::outcome::CheckOutcome;
use super::record::write_results;
use super::RunError;
use crate::db::{Db, DueRef};
use crate::fetch::{CheckResult, Fetcher};
use crate::model::State;
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
struct Checks {
    fetcher: Arc<Fetcher>,
    video: Option<Arc<VideoCapturer>>,
    recapture: bool,
    interrupt: super::Interrupt,
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

/// Checks `due` (the video step through `video`, when enabled) while the writer thread records
/// the results; `seen_response` says whether some server already answered in this run.
pub(super) async fn check_refs(
    ctx: &Arc<RunContext>,
    db: Db,
    due: Vec<DueRef>,
    video: Option<Arc<VideoCapturer>>,
    seen_response: bool,
) -> Result<(Db, CheckOutcome), RunError> {
    let checks = Checks {
        fetcher: ctx.fetcher.clone(),
        video,
        recapture: ctx.cfg.video.recapture,
        interrupt: ctx.interrupt.clone(),
    };
    // Room for two batches of results: one gathering while the other is being flushed.
    let (tx, rx) = mpsc::channel::<Result<CheckResult, WriteError>>(2 * super::record::MAX_FLUSHED);
    let stop = Arc::new(AtomicBool::new(false));
    let concurrency = ctx.cfg.fetch.concurrency;
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
                        path: std::path::PathBuf::new(),
                        source: std::io::Error::other(format!("a check task failed: {e}")),
                    }),
                };
                // If the writer has stopped, keep draining: every check already started must
                // finish here (and clean up its temp file), not be left running detached.
                let _ = tx.send(item).await;
            }
        })
    };
    let writer_ctx = Arc::clone(ctx);
    let writer = tokio::task::spawn_blocking(move || {
        write_results(&writer_ctx, db, rx, seen_response, &stop)
    });
    producer.await.map_err(|e| RunError::Task(e.to_string()))?;
    let (db, outcome) = writer.await.map_err(|e| RunError::Task(e.to_string()))?;
    Ok((db, outcome))
}
