//! One archive pass: read the articles, record what they cite, check every reference that is
//! due, and record the results. Articles are read concurrently; checks run as concurrent tasks
//! feeding a bounded channel; one writer thread owns the database and commits results in
//! batched transactions, always after the objects they point at are durable.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures_util::stream::{self, StreamExt};
use tokio::sync::mpsc;
use url::Url;

use crate::clock::{self, Timestamp};
use crate::config::Config;
use crate::db::{ArticleRead, ArticleRow, Db, DbError, DueRef, NewCheck, Tx};
use crate::extract::ExtractOptions;
use crate::fetch::{build_client, CheckResult, ClientError, Fetcher};
use crate::input::{self, Document, InputError, Source};
use crate::lock::{ArchiveLock, LockError};
use crate::model::State;
use crate::progress::Progress;
use crate::schedule::{apply_check, Observed};
use crate::store::{Store, StoreError, WriteError};
use crate::video::{VideoCapturer, VideoOutcome};

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Articles given on the command line (registered for later runs).
    pub articles: Vec<String>,
    /// Check every known reference now, whatever its schedule.
    pub recheck: bool,
    /// Wait for another run on the same archive instead of exiting.
    pub wait: bool,
}

#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    pub articles_read: u64,
    pub article_errors: Vec<(String, String)>,
    pub refs_cited: u64,
    pub unresolved: u64,
    pub checked: u64,
    pub alive: u64,
    pub dead: u64,
    pub blocked: u64,
    pub transient: u64,
    pub downloaded: u64,
    pub new_snapshots: u64,
    pub network_down: bool,
    /// Video references captured as pages only because yt-dlp is missing.
    pub video_page_only: u64,
    pub videos_captured: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("the run stopped: {0}")]
    Write(#[from] WriteError),
    #[error("the run stopped: an internal task failed: {0}")]
    Task(String),
}

impl RunError {
    /// Another run holds the archive: nothing went wrong, this run just did not happen.
    pub fn is_archive_busy(&self) -> bool {
        matches!(self, RunError::Lock(LockError::Busy { .. }))
    }
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
    let store = Store::open(&cfg.archive)?;
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
    let mut summary = RunSummary::default();

    let articles = register_articles(&mut db, cfg, cli_sources, &progress, now)?;
    let mut net = NetSeen::default();
    read_articles(
        &mut db,
        cfg,
        opts,
        &fetcher,
        articles,
        &progress,
        &mut summary,
        &mut net,
    )
    .await?;

    let due = interleave_hosts(db.due_refs(clock::now(), opts.recheck)?);
    progress.refs_total(due.len() as u64);
    let video = cfg
        .video
        .enabled
        .then(|| Arc::new(VideoCapturer::new(&cfg.video, &cfg.fetch, store.clone())));
    let checks = Checks {
        fetcher,
        video,
        recapture: cfg.video.recapture,
    };
    let (db, outcome) = check_refs(
        db,
        cfg,
        due,
        checks,
        run_id,
        progress.clone(),
        net.any_response,
    )
    .await?;
    let mut db = db;
    summary.checked = outcome.checked;
    summary.alive = outcome.alive;
    summary.dead = outcome.dead;
    summary.blocked = outcome.blocked;
    summary.transient = outcome.transient;
    summary.downloaded += outcome.downloaded;
    summary.new_snapshots = outcome.new_snapshots;
    summary.video_page_only = outcome.video_page_only;
    summary.videos_captured = outcome.videos_captured;
    summary.network_down = outcome.network_down
        || (outcome.checked == 0 && net.network_failures > 0 && !net.any_response);
    progress.finish();

    let status = match (&outcome.fatal, summary.network_down) {
        (Some(_), _) => "failed",
        (None, true) => "network_down",
        (None, false) => "completed",
    };
    let message = outcome.fatal.as_ref().map(|e| e.to_string());
    let failing = summary.dead + summary.blocked + summary.transient;
    let recorded = db.transaction(|tx| {
        tx.finish_run(
            run_id,
            clock::now(),
            status,
            summary.articles_read,
            summary.checked,
            summary.alive,
            failing,
            summary.downloaded,
            message.as_deref(),
        )
    });
    // The error that stopped the run says more than a failure to record that it stopped
    // (on a full disk, both happen).
    if let Some(e) = outcome.fatal {
        return Err(e);
    }
    recorded?;
    Ok(summary)
}

/// Config articles, command-line articles (remembered as `cli`) and those registered before.
fn register_articles(
    db: &mut Db,
    cfg: &Config,
    cli: Vec<Source>,
    progress: &Progress,
    now: Timestamp,
) -> Result<Vec<(ArticleRow, Source)>, RunError> {
    let mut wanted: Vec<(Source, String)> = Vec::new();
    for spec in &cfg.articles {
        match input::resolve(spec) {
            Ok(sources) => wanted.extend(sources.into_iter().map(|s| (s, "config".to_string()))),
            Err(e) => progress.say(&format!("warning: config article skipped: {e}")),
        }
    }
    wanted.extend(cli.into_iter().map(|s| (s, "cli".to_string())));
    for row in db.registered_articles()? {
        wanted.push((Source::from_key(&row.source), row.origin));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let rows = db.transaction(|tx| {
        let mut rows = Vec::new();
        for (source, origin) in &wanted {
            if seen.insert(source.key()) || *origin == "cli" {
                rows.push((
                    tx.upsert_article(&source.key(), origin, None, now)?,
                    source.clone(),
                ));
            }
        }
        Ok(rows)
    })?;
    let mut by_key = HashSet::new();
    for (row, source) in rows {
        if by_key.insert(row.id) {
            out.push((row, source));
        }
    }
    Ok(out)
}

#[derive(Default)]
struct NetSeen {
    any_response: bool,
    network_failures: u64,
}

/// What reading one article produced, before it is recorded.
struct ArticleOutcome {
    row: ArticleRow,
    source: Source,
    read: ArticleRead,
    content_type: Option<String>,
    bytes: Option<Vec<u8>>,
    not_modified: bool,
}

#[allow(clippy::too_many_arguments)]
async fn read_articles(
    db: &mut Db,
    cfg: &Config,
    opts: &RunOptions,
    fetcher: &Arc<Fetcher>,
    articles: Vec<(ArticleRow, Source)>,
    progress: &Progress,
    summary: &mut RunSummary,
    net: &mut NetSeen,
) -> Result<(), RunError> {
    let extract_opts = ExtractOptions {
        whole_page: cfg.extract.whole_page,
        include_links: cfg.extract.include_links,
    };
    let mut queue = articles;
    let mut done: HashSet<i64> = HashSet::new();
    let mut cited: HashSet<i64> = HashSet::new();
    // Rounds: feeds found in one round add their items to the next.
    while !queue.is_empty() {
        let now = clock::now();
        let batch: Vec<(ArticleRow, Source)> = std::mem::take(&mut queue)
            .into_iter()
            .filter(|(row, source)| {
                done.insert(row.id)
                    && (opts.recheck
                        || matches!(source, Source::File(_))
                        || row.next_read_at <= now)
            })
            .collect();
        progress.articles_total(batch.len() as u64 + summary.articles_read);
        let results: Vec<Result<ArticleOutcome, WriteError>> = stream::iter(batch)
            .map(|(row, source)| read_one(fetcher.clone(), cfg, row, source))
            .buffer_unordered(cfg.fetch.concurrency)
            .collect()
            .await;
        for r in results {
            let outcome = r?;
            progress.article_done();
            net.any_response |= outcome.read.status.is_some();
            if outcome.read.status.is_none()
                && outcome.read.error.is_some()
                && matches!(outcome.source, Source::Url(_))
            {
                net.network_failures += 1;
            }
            let new_items =
                record_article(db, &outcome, &extract_opts, progress, summary, &mut cited)?;
            queue.extend(new_items);
        }
    }
    summary.refs_cited = cited.len() as u64;
    Ok(())
}

async fn read_one(
    fetcher: Arc<Fetcher>,
    cfg: &Config,
    row: ArticleRow,
    source: Source,
) -> Result<ArticleOutcome, WriteError> {
    let now = clock::now();
    let mut read = ArticleRead {
        next_read_at: now + cfg.schedule.reread_articles.as_secs() as i64,
        ..ArticleRead::default()
    };
    let mut bytes = None;
    let mut content_type = None;
    let mut not_modified = false;
    match &source {
        Source::File(path) => match std::fs::read(path) {
            Ok(b) => bytes = Some(b),
            Err(e) => read.error = Some(format!("cannot read {}: {e}", path.display())),
        },
        Source::Url(url) => {
            let have_copy = row.last_sha256.is_some();
            let (etag, lm) = if have_copy {
                (row.etag.clone(), row.last_modified.clone())
            } else {
                (None, None)
            };
            let f = fetcher.fetch_document(url, etag, lm, true).await?;
            read.status = f.status;
            read.error = f.error;
            read.etag = f.etag;
            read.last_modified = f.last_modified;
            not_modified = f.status == Some(304);
            if let Some(obj) = f.stored {
                if f.status.is_some_and(|s| (200..300).contains(&s)) {
                    match std::fs::read(fetcher.store_path(&obj.sha256)) {
                        Ok(b) => bytes = Some(b),
                        Err(e) => {
                            read.error = Some(format!("cannot read back the stored article: {e}"))
                        }
                    }
                    read.sha256 = Some(obj.sha256);
                    read.bytes = obj.bytes;
                    read.url = f.final_url.map(|u| u.to_string());
                    content_type = f.content_type;
                }
            }
        }
    }
    if read.error.is_some() {
        // A failed read is retried like a failing reference, not a day later.
        read.next_read_at = now + cfg.schedule.retry_failing.as_secs() as i64;
    }
    Ok(ArticleOutcome {
        row,
        source,
        read,
        content_type,
        bytes,
        not_modified,
    })
}

/// Records one article read in one transaction; returns feed items to read next.
fn record_article(
    db: &mut Db,
    o: &ArticleOutcome,
    opts: &ExtractOptions,
    progress: &Progress,
    summary: &mut RunSummary,
    cited: &mut HashSet<i64>,
) -> Result<Vec<(ArticleRow, Source)>, RunError> {
    let now = clock::now();
    let mut read = o.read.clone();
    let content_type = o.content_type.clone();
    let name = o.source.key();
    if let Some(err) = &read.error {
        summary.article_errors.push((name.clone(), err.clone()));
        progress.say(&format!("article not read: {name}: {err}"));
    }
    if o.not_modified {
        summary.articles_read += 1;
        db.transaction(|tx| tx.record_article_read(o.row.id, now, &read))?;
        return Ok(Vec::new());
    }
    if let Some(sha) = &read.sha256 {
        db.transaction(|tx| tx.insert_object(sha, read.bytes, now))?;
    }
    let Some(bytes) = &o.bytes else {
        db.transaction(|tx| tx.record_article_read(o.row.id, now, &read))?;
        return Ok(Vec::new());
    };
    summary.articles_read += 1;
    let doc = match input::analyse(bytes, content_type.as_deref(), &o.source, opts) {
        Ok(d) => d,
        Err(e) => {
            let err = format!("not a readable feed: {e}");
            progress.say(&format!("article not read: {name}: {err}"));
            summary.article_errors.push((name, err.clone()));
            read.error = Some(err);
            db.transaction(|tx| tx.record_article_read(o.row.id, now, &read))?;
            return Ok(Vec::new());
        }
    };
    match doc {
        Document::Feed(items) => {
            read.is_feed = true;
            let rows = db.transaction(|tx| {
                tx.record_article_read(o.row.id, now, &read)?;
                let mut rows = Vec::new();
                for item in &items {
                    rows.push((
                        tx.upsert_article(item.as_str(), "feed", Some(o.row.id), now)?,
                        Source::Url(item.clone()),
                    ));
                }
                Ok(rows)
            })?;
            progress.info(&format!("feed {name}: {} item(s)", items.len()));
            Ok(rows)
        }
        Document::Page(ex) => {
            read.title = ex.title.clone();
            if let Source::File(_) = o.source {
                read.url = ex.canonical.as_ref().map(Url::to_string);
            }
            summary.unresolved += ex.unresolved as u64;
            if ex.unresolved > 0 {
                progress.info(&format!(
                    "{name}: {} relative reference(s) could not be resolved (no <base>, canonical or og:url)",
                    ex.unresolved
                ));
            }
            let ids = db.transaction(|tx| {
                tx.record_article_read(o.row.id, now, &read)?;
                let mut ids = Vec::new();
                for r in &ex.refs {
                    let host = r.url.host_str().unwrap_or("");
                    ids.push(tx.cite(o.row.id, r.url.as_str(), host, r.kind, &r.found_in, now)?);
                }
                Ok(ids)
            })?;
            cited.extend(ids);
            Ok(Vec::new())
        }
    }
}

/// Orders due references so consecutive ones are on different hosts: concurrency is spent
/// across hosts instead of queueing behind one host's politeness limit.
fn interleave_hosts(due: Vec<DueRef>) -> Vec<DueRef> {
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
struct CheckOutcome {
    checked: u64,
    alive: u64,
    dead: u64,
    blocked: u64,
    transient: u64,
    downloaded: u64,
    new_snapshots: u64,
    network_down: bool,
    video_page_only: u64,
    videos_captured: u64,
    fatal: Option<RunError>,
}

async fn check_refs(
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
        tokio::spawn(async move {
            let mut results = stream::iter(due)
                .take_while(|_| std::future::ready(!stop.load(Ordering::Relaxed)))
                .map(|d| {
                    let c = checks.clone();
                    tokio::spawn(async move { c.check(d).await })
                })
                .buffer_unordered(concurrency);
            while let Some(joined) = results.next().await {
                let item = match joined {
                    Ok(r) => r,
                    Err(e) => Err(WriteError::Io {
                        path: Default::default(),
                        source: std::io::Error::other(format!("a check task failed: {e}")),
                    }),
                };
                if tx.send(item).await.is_err() {
                    break;
                }
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

fn write_results(
    mut db: Db,
    mut rx: mpsc::Receiver<Result<CheckResult, WriteError>>,
    cfg: &Config,
    run_id: i64,
    progress: &Progress,
    mut seen_response: bool,
    stop: &AtomicBool,
) -> (Db, CheckOutcome) {
    let mut out = CheckOutcome::default();
    // Failures without any HTTP answer wait here until some server answers: if none ever does,
    // the network is down and they must not count against the references.
    let mut held: Vec<CheckResult> = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < 256 {
            match rx.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        let mut ready = Vec::new();
        for item in batch {
            match item {
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    if out.fatal.is_none() {
                        out.fatal = Some(RunError::Write(e));
                    }
                }
                Ok(r) => {
                    progress.ref_done(&r);
                    if r.got_response {
                        seen_response = true;
                        ready.append(&mut held);
                        ready.push(r);
                    } else if seen_response || !r.is_network_failure() {
                        ready.push(r);
                    } else {
                        held.push(r);
                    }
                }
            }
        }
        if let Err(e) = record_batch(&mut db, &ready, cfg, run_id, false, &mut out) {
            stop.store(true, Ordering::Relaxed);
            out.fatal.get_or_insert(RunError::Db(e));
            break;
        }
    }
    if !held.is_empty() {
        let down = !seen_response;
        out.network_down = down;
        if let Err(e) = record_batch(&mut db, &held, cfg, run_id, down, &mut out) {
            out.fatal.get_or_insert(RunError::Db(e));
        }
    }
    (db, out)
}

fn record_batch(
    db: &mut Db,
    results: &[CheckResult],
    cfg: &Config,
    run_id: i64,
    network_down: bool,
    out: &mut CheckOutcome,
) -> Result<(), DbError> {
    if results.is_empty() {
        return Ok(());
    }
    let (states, snapshots) = db.transaction(|tx| {
        let mut states = Vec::with_capacity(results.len());
        let mut snapshots = 0;
        for r in results {
            let (state, new_snapshot) = record_check(tx, r, cfg, run_id, network_down)?;
            states.push(state);
            snapshots += new_snapshot as u64;
        }
        Ok((states, snapshots))
    })?;
    for (r, state) in results.iter().zip(states) {
        out.checked += 1;
        out.downloaded += r.downloaded;
        match &r.video {
            Some(VideoOutcome::ToolMissing) => out.video_page_only += 1,
            Some(VideoOutcome::Captured { .. }) => out.videos_captured += 1,
            _ => {}
        }
        match state {
            Some(State::Alive) => out.alive += 1,
            Some(State::Dead) => out.dead += 1,
            Some(State::Blocked) => out.blocked += 1,
            Some(State::Transient) => out.transient += 1,
            Some(State::Unchecked) | None => {}
        }
    }
    out.new_snapshots += snapshots;
    Ok(())
}

/// Records one check; returns the reference's new state (None when the network was down)
/// and whether a new snapshot was recorded.
fn record_check(
    tx: &Tx<'_>,
    r: &CheckResult,
    cfg: &Config,
    run_id: i64,
    network_down: bool,
) -> rusqlite::Result<(Option<State>, bool)> {
    if let Some(b) = &r.body {
        tx.insert_object(&b.sha256, b.bytes, r.checked_at)?;
    }
    let video_note = r.video.as_ref().map(VideoOutcome::note);
    let redirects_json = (!r.redirects.is_empty())
        .then(|| serde_json::to_string(&r.redirects).ok())
        .flatten();
    tx.insert_check(&NewCheck {
        ref_id: r.ref_id,
        run_id,
        checked_at: r.checked_at,
        state: r.state,
        reason: r.reason,
        http_status: r.http_status,
        final_url: r.final_url.as_deref(),
        redirects_json,
        error: r.error.as_deref(),
        bytes: r.body.as_ref().map(|b| b.bytes),
        sha256: r.body.as_ref().map(|b| b.sha256.as_str()),
        content_type: r.content_type.as_deref(),
        elapsed_ms: r.elapsed_ms,
        attempts: r.attempts,
        network_down,
        drift: r.drift,
        video: video_note.as_deref(),
    })
    .and_then(|check_id| {
        if network_down {
            let next = r.checked_at + cfg.schedule.retry_failing.as_secs() as i64;
            tx.defer_ref(r.ref_id, next)?;
            return Ok((None, false));
        }
        let prev = tx.ref_status(r.ref_id)?;
        let obs = Observed {
            state: r.state,
            reason: r.reason,
            http_status: r.http_status,
            final_url: r.final_url.as_deref(),
            retry_after: r.retry_after,
        };
        let new = apply_check(&prev, &obs, r.checked_at, &cfg.schedule, &cfg.confirm);
        tx.update_ref_status(r.ref_id, &new)?;
        if let Some(kind) = r.kind_hint.filter(|k| k.is_media()) {
            tx.set_ref_kind(r.ref_id, kind)?;
        }
        let mut new_snapshot = false;
        if let Some(b) = &r.body {
            let good = r.is_good_capture();
            let latest = tx.latest_snapshot_sha(r.ref_id, good)?;
            let snapshot_id = if latest.as_deref() != Some(b.sha256.as_str()) {
                new_snapshot = true;
                let headers = serde_json::to_string(&r.headers).ok();
                Some(tx.insert_snapshot(
                    r.ref_id,
                    check_id,
                    &b.sha256,
                    b.bytes,
                    r.content_type.as_deref(),
                    r.http_status.unwrap_or(0),
                    r.checked_at,
                    good,
                    headers.as_deref(),
                )?)
            } else {
                None
            };
            if good {
                tx.set_good_snapshot(
                    r.ref_id,
                    snapshot_id,
                    r.etag.as_deref(),
                    r.last_modified.as_deref(),
                )?;
            }
        }
        if let Some(v) = &r.video {
            new_snapshot |= record_video(tx, r, v, check_id)?;
        }
        Ok((Some(new.state), new_snapshot))
    })
}

/// Records what the video step produced: media snapshots (the first becomes the reference's
/// good snapshot) and the info JSON, linked to the media it describes.
fn record_video(
    tx: &Tx<'_>,
    r: &CheckResult,
    v: &VideoOutcome,
    check_id: i64,
) -> rusqlite::Result<bool> {
    if let Some(status) = v.status() {
        tx.set_video_status(r.ref_id, status)?;
    }
    let VideoOutcome::Captured { media, info, tool } = v else {
        return Ok(false);
    };
    let mut first = None;
    for m in media {
        tx.insert_object(&m.object.sha256, m.object.bytes, r.checked_at)?;
        let id = tx.insert_tool_snapshot(
            r.ref_id,
            check_id,
            &m.object.sha256,
            m.object.bytes,
            &m.content_type,
            r.checked_at,
            "video",
            None,
            tool,
        )?;
        first.get_or_insert(id);
    }
    if let Some(i) = info {
        tx.insert_object(&i.object.sha256, i.object.bytes, r.checked_at)?;
        tx.insert_tool_snapshot(
            r.ref_id,
            check_id,
            &i.object.sha256,
            i.object.bytes,
            &i.content_type,
            r.checked_at,
            "video_info",
            first,
            tool,
        )?;
    }
    if let Some(id) = first {
        tx.set_video_snapshot(r.ref_id, id)?;
    }
    Ok(first.is_some())
}
