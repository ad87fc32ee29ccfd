//! One archive pass: read the articles, record what they cite, check every reference that is
//! due, and record the results. Articles are read concurrently ([`articles`]); checks run as
//! concurrent tasks feeding a bounded channel ([`checks`]); one writer thread owns the database
//! and commits results in batched transactions ([`record`]), always after the objects they
//! point at are durable. A run in which no server answered at all asks witnesses before its
//! failures count ([`network`]). What the steps share travels in one [`context::RunContext`];
//! what they hand one another is plain data in [`outcome`].

mod articles;
mod checks;
mod context;
mod interrupt;
mod network;
mod outcome;
mod record;
mod rendering;

use std::sync::Arc;

use crate::clock;
use crate::config::Config;
use crate::db::{Db, DbError};
use crate::fetch::{build_client, ClientError, Fetcher};
use crate::input::{self, InputError};
use crate::lock::{ArchiveLock, LockError};
use crate::progress::Progress;
use crate::rescue::{self, RescueError, RescueSummary, SubmitSummary};
use crate::store::{Store, StoreError, WriteError};
use crate::video::VideoCapturer;

use articles::{read_articles, register_articles};
use checks::{check_refs, interleave_hosts};
use context::RunContext;
pub use interrupt::{Interrupt, Stop};
use outcome::{CheckOutcome, NetSeen};

/// What the command line adds to the configuration for one pass.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Articles given on the command line (registered for later runs).
    pub articles: Vec<String>,
    /// Check every known reference now, whatever its schedule.
    pub recheck: bool,
    /// Wait for another run on the same archive instead of exiting.
    pub wait: bool,
    /// Stops the run early (SIGINT, SIGTERM) when set.
    pub interrupt: Option<Interrupt>,
}

/// What one pass did, for the end-of-run message and `--fail-on`.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    /// When the run began: references failing since then are new failures.
    pub started_at: crate::clock::Timestamp,
    /// Articles read (an unchanged one answering 304 included).
    pub articles_read: u64,
    /// Articles that could not be read, and why (each is read again on the next run).
    pub article_errors: Vec<(String, String)>,
    /// Distinct references the articles read cite.
    pub refs_cited: u64,
    /// Relative references left unresolved for want of a base URL, over all articles.
    pub unresolved: u64,
    /// References checked (the four counts below leave out checks not counted because the
    /// network was down).
    pub checked: u64,
    /// Checked references now alive.
    pub alive: u64,
    /// Checked references now dead (a transient failure, once confirmed, included).
    pub dead: u64,
    /// Checked references now blocked.
    pub blocked: u64,
    /// Checked references now failing in a way that may pass.
    pub transient: u64,
    /// Body bytes the checks received over the wire, stored or not.
    pub downloaded: u64,
    /// Checks that kept a body (or a video) differing from the reference's latest snapshot.
    pub new_snapshots: u64,
    /// No server answered in this run, witnesses included: its failures were not counted.
    pub network_down: bool,
    /// Video references captured as pages only because yt-dlp is missing.
    pub video_page_only: u64,
    /// Videos yt-dlp downloaded in this run.
    pub videos_captured: u64,
    /// Articles whose text changed since they were last read.
    pub articles_edited: u64,
    /// Citations left out by `[filter]` in this run.
    pub excluded: u64,
    /// References retired because `[filter]` now excludes them.
    pub retired: u64,
    /// What the lookups in web archives found (nothing when the network was down).
    pub rescue: RescueSummary,
    /// What the submissions to save endpoints did.
    pub submitted: SubmitSummary,
    /// What the timestamp step did (nothing when `[timestamp] tsa` is empty).
    pub timestamps: crate::timestamp::StampSummary,
    /// The signal that stopped the run early, if one did.
    pub interrupted: Option<Stop>,
}

/// Why a pass failed, or did not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The archive is locked by another run (see [`RunError::is_archive_busy`]), or the lock
    /// failed.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// An article given on the command line cannot be resolved.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// An object could not be stored (a full disk, an unreachable bucket): the run stopped.
    #[error("the run stopped: {0}")]
    Write(#[from] WriteError),
    /// A task of the run panicked or was cancelled (the join error, in words).
    #[error("the run stopped: an internal task failed: {0}")]
    Task(String),
    /// Rescue or submission failed on the archive's side (database, store).
    #[error(transparent)]
    Rescue(#[from] RescueError),
    /// `[filter]` does not compile.
    #[error(transparent)]
    Filter(#[from] crate::filter::FilterError),
    /// No timestamp authority answered and `[timestamp] required` is set, or the record failed.
    #[error(transparent)]
    Timestamp(#[from] crate::timestamp::StampError),
}

impl RunSummary {
    /// Takes in what the checks did.
    fn absorb(&mut self, o: &CheckOutcome) {
        self.checked = o.checked;
        self.alive = o.alive;
        self.dead = o.dead;
        self.blocked = o.blocked;
        self.transient = o.transient;
        self.downloaded += o.downloaded;
        self.new_snapshots = o.new_snapshots;
        self.video_page_only = o.video_page_only;
        self.videos_captured = o.videos_captured;
    }
}

impl RunError {
    /// Another run holds the archive: nothing went wrong, this run just did not happen.
    pub fn is_archive_busy(&self) -> bool {
        matches!(self, RunError::Lock(LockError::Busy { .. }))
    }
}

/// References `[filter]` excludes now stop being cited (so checked or reported); they are
/// cited again if the filter lets them through later and an article still names them.
fn retire_excluded(ctx: &RunContext, db: &mut Db) -> Result<u64, RunError> {
    let (filter, now) = (&ctx.filter, ctx.started_at);
    if filter.is_empty() {
        return Ok(0);
    }
    let excluded: Vec<i64> = db
        .current_ref_urls()?
        .into_iter()
        .filter(|(_, url)| url::Url::parse(url).is_ok_and(|u| filter.excludes(&u).is_some()))
        .map(|(id, _)| id)
        .collect();
    if excluded.is_empty() {
        return Ok(0);
    }
    Ok(db.transaction(|tx| {
        tx.uncite(&excluded)?;
        tx.retire_uncited(now)
    })?)
}

/// Records how the run ended, with its counts.
fn record_end(
    ctx: &RunContext,
    db: &mut Db,
    summary: &RunSummary,
    status: &str,
    message: Option<&str>,
) -> Result<(), DbError> {
    let run_id = ctx.run_id;
    let failing = summary.dead + summary.blocked + summary.transient;
    db.transaction(|tx| {
        tx.finish_run(
            run_id,
            clock::now(),
            status,
            summary.articles_read,
            summary.checked,
            summary.alive,
            failing,
            summary.downloaded,
            message,
        )
    })
}

/// Records a run stopped by a signal as interrupted and removes what its unfinished checks
/// left in the store's temp folder.
fn stopped(
    ctx: &RunContext,
    db: &mut Db,
    mut summary: RunSummary,
    stop: Stop,
) -> Result<RunSummary, RunError> {
    ctx.progress.finish();
    summary.interrupted = Some(stop);
    let message = format!("interrupted by {}", stop.name());
    record_end(ctx, db, &summary, "interrupted", Some(&message))?;
    let _ = ctx.store.clean_temp_files();
    Ok(summary)
}

/// Runs one pass over the archive described by `cfg`.
pub async fn run_pass(
    cfg: &Config,
    opts: &RunOptions,
    progress: Arc<Progress>,
) -> Result<RunSummary, RunError> {
    // Bad command-line articles are the user's typo: refuse before touching anything.
    let mut cli_sources = Vec::new();
    for spec in &opts.articles {
        cli_sources.extend(input::resolve(spec)?);
    }
    std::fs::create_dir_all(&cfg.archive).map_err(|source| StoreError::Open {
        path: cfg.archive.clone(),
        source,
    })?;
    let _lock = ArchiveLock::acquire(&cfg.archive, opts.wait, |holder| {
        progress.say(&format!(
            "another run holds the archive ({holder}); waiting for it to finish"
        ))
    })?;
    let store = Store::open(&cfg.archive, &cfg.store)?;
    let cleaned = store.clean_temp_files().unwrap_or(0);
    if cleaned > 0 {
        progress.info(&format!(
            "removed {cleaned} unfinished download(s) left by an interrupted run"
        ));
    }
    let mut db = Db::open(&cfg.archive)?;
    let client = build_client(&cfg.fetch)?;
    let fetcher = Arc::new(Fetcher::new(client, store.clone(), cfg.fetch.clone()));
    let now = clock::now();
    let run_id = db.transaction(|tx| tx.start_run(now))?;
    let mut summary = RunSummary {
        started_at: now,
        ..RunSummary::default()
    };
    let interrupt = opts.interrupt.clone().unwrap_or_default();

    let filter = crate::filter::Filter::new(&cfg.filter)?;
    let ctx = Arc::new(RunContext {
        cfg: cfg.clone(),
        recheck: opts.recheck,
        fetcher,
        store,
        filter,
        progress,
        interrupt,
        run_id,
        started_at: now,
    });
    let articles = register_articles(&ctx, &mut db, cli_sources)?;
    summary.retired = retire_excluded(&ctx, &mut db)?;
    let mut net = NetSeen::default();
    // The browser lives while articles are read, and is closed (killed if need be) after.
    let renderer = crate::render::Renderer::new(cfg).map(Arc::new);
    let read = read_articles(
        &ctx,
        &mut db,
        renderer.as_ref(),
        articles,
        &mut summary,
        &mut net,
    );
    let interrupted = tokio::select! {
        r = read => {
            r?;
            None
        }
        stop = ctx.interrupt.wait() => Some(stop),
    };
    if let Some(r) = &renderer {
        r.shut_down().await;
    }
    if let Some(stop) = interrupted {
        return stopped(&ctx, &mut db, summary, stop);
    }

    let due = interleave_hosts(db.due_refs(clock::now(), ctx.recheck)?);
    ctx.progress.refs_total(due.len() as u64);
    let video = cfg.video.enabled.then(|| {
        Arc::new(VideoCapturer::new(
            &cfg.video,
            &cfg.fetch,
            ctx.store.clone(),
        ))
    });
    let (mut db, mut outcome) = check_refs(&ctx, db, due, video, net.any_response).await?;
    if let Some(stop) = ctx.interrupt.stopped() {
        summary.absorb(&outcome);
        if let Some(e) = outcome.fatal {
            return Err(e);
        }
        return stopped(&ctx, &mut db, summary, stop);
    }
    // What follows the checks (witnesses, rescue, second copies) stops on a signal too.
    let after_checks = async {
        summary.network_down = network::settle(&ctx, &mut db, &net, &mut outcome).await;
        summary.absorb(&outcome);
        let (fetcher, run_id, progress) = (&ctx.fetcher, ctx.run_id, &ctx.progress);
        // Rescue and second copies, only when the network was up and the checks went through.
        if outcome.fatal.is_none() && !summary.network_down {
            match rescue::rescue_dead(&mut db, cfg, fetcher, run_id, progress).await {
                Ok(r) => summary.rescue = r,
                Err(e) => outcome.fatal = Some(e.into()),
            }
        }
        if outcome.fatal.is_none() && !summary.network_down {
            match rescue::submit_live(&mut db, cfg, fetcher, run_id, progress).await {
                Ok(s) => summary.submitted = s,
                Err(e) => outcome.fatal = Some(e.into()),
            }
        }
        // Last: every capture of the run (rescued copies included) under one timestamp.
        if outcome.fatal.is_none() && !summary.network_down && !cfg.timestamp.tsa.is_empty() {
            progress.info("timestamping this run's captures");
            match crate::timestamp::timestamp_run(&cfg.timestamp, &mut db, run_id).await {
                Ok(t) => summary.timestamps = t,
                Err(e) => outcome.fatal = Some(e.into()),
            }
        }
    };
    let interrupted = tokio::select! {
        () = after_checks => None,
        stop = ctx.interrupt.wait() => Some(stop),
    };
    if let Some(stop) = interrupted {
        summary.absorb(&outcome);
        return stopped(&ctx, &mut db, summary, stop);
    }
    ctx.progress.finish();

    let status = match (&outcome.fatal, summary.network_down) {
        (Some(_), _) => "failed",
        (None, true) => "network_down",
        (None, false) => "completed",
    };
    let message = outcome.fatal.as_ref().map(|e| e.to_string());
    let recorded = record_end(&ctx, &mut db, &summary, status, message.as_deref());
    // The error that stopped the run says more than a failure to record that it stopped
    // (on a full disk, both happen).
    if let Some(e) = outcome.fatal {
        return Err(e);
    }
    recorded?;
    Ok(summary)
}
