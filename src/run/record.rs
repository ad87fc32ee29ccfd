//! The single writer: results arrive over a channel and are committed in batched
//! transactions — check rows, objects, snapshots, the reference's new status — holding back
//! network-level failures until some server has answered (if none does, `network` decides).
//! Three threads share the work: a flusher makes each batch's new objects durable (one group
//! commit), the writer records the batch before it in one transaction meanwhile, and SQLite's
//! checkpoints run beside both ([`crate::db::BackgroundCheckpoints`]).

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::mpsc;

use super::context::RunContext;
use super::outcome::CheckOutcome;
use super::RunError;
use crate::db::{Db, GoodCapture, NewCheck, NewSnapshot, Tx};
use crate::fetch::CheckResult;
use crate::model::State;
use crate::schedule::{apply_check, Observed};
use crate::store::WriteError;
use crate::video_outcome::{CapturedFile, VideoOutcome};

/// Results at most in one group commit of their objects. Bigger batches cost fewer writes per
/// object (each touched fan-out folder's block is written once per batch, not once per object:
/// 100,000 small objects, 256 per batch → 423,000 disk writes, 512 → 328,000), and hold more
/// results in memory (≈ 3 KB each).
pub(super) const MAX_FLUSHED: usize = 512;

/// Results at most in one transaction (several flushed batches waiting are recorded at once).
const MAX_RECORDED: usize = 1024;

/// A batch of results whose objects a flusher made durable (or failed to).
struct Flushed {
    items: Vec<Result<CheckResult, WriteError>>,
    durable: Result<(), WriteError>,
}

pub(super) fn write_results(
    ctx: &RunContext,
    mut db: Db,
    rx: mpsc::Receiver<Result<CheckResult, WriteError>>,
    mut seen_response: bool,
    stop: &AtomicBool,
) -> (Db, CheckOutcome) {
    let progress = &ctx.progress;
    let mut out = CheckOutcome::default();
    // Failures without any HTTP answer wait here until some server answers: if none ever does,
    // the network is down and they must not count against the references.
    let mut held: Vec<CheckResult> = Vec::new();
    // Two stages: the flusher makes batch N+1's objects durable while this thread records
    // batch N; at most two flushed batches wait, so memory stays bounded.
    let (flushed_tx, flushed_rx) = std::sync::mpsc::sync_channel::<Flushed>(2);
    // And the log is copied into the database on a third thread, not between two batches.
    let mut checkpoints = db.checkpoint_in_background();
    std::thread::scope(|scope| {
        scope.spawn(move || flush_batches(ctx, rx, flushed_tx));
        while let Ok(first) = flushed_rx.recv() {
            let mut items = first.items;
            let mut durable = first.durable;
            while durable.is_ok() && items.len() < MAX_RECORDED {
                match flushed_rx.try_recv() {
                    Ok(more) => {
                        items.extend(more.items);
                        durable = more.durable;
                    }
                    Err(_) => break,
                }
            }
            let mut ready = Vec::new();
            for item in items {
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
                            for h in &held {
                                progress.failure(h);
                            }
                            ready.append(&mut held);
                            ready.push(r);
                        } else if seen_response || !r.is_network_failure() {
                            if r.is_network_failure() {
                                progress.failure(&r);
                            }
                            ready.push(r);
                        } else {
                            held.push(r);
                        }
                    }
                }
            }
            // A batch whose objects could not be made durable records nothing.
            let recorded = durable
                .map_err(RunError::Write)
                .and_then(|()| record_batch(ctx, &mut db, &ready, false, &mut out));
            if let Err(e) = recorded {
                stop.store(true, Ordering::Relaxed);
                out.fatal.get_or_insert(e);
                break;
            }
            checkpoints.committed();
        }
        // Dropping the receiver stops the flusher at its next batch.
        drop(flushed_rx);
    });
    checkpoints.finish(&db);
    // Only when no server answered at all: whether they count is `network::settle`'s call.
    out.held = held;
    out.any_response = seen_response;
    (db, out)
}

/// The first stage: gathers the results as they arrive (up to [`MAX_FLUSHED`]) and makes their
/// new objects durable in one group commit, then hands the batch to the recording stage.
fn flush_batches(
    ctx: &RunContext,
    mut rx: mpsc::Receiver<Result<CheckResult, WriteError>>,
    flushed: std::sync::mpsc::SyncSender<Flushed>,
) {
    while let Some(first) = rx.blocking_recv() {
        let mut items = vec![first];
        while items.len() < MAX_FLUSHED {
            match rx.try_recv() {
                Ok(item) => items.push(item),
                Err(_) => break,
            }
        }
        let pending: Vec<_> = items
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .filter_map(|r| r.body.as_ref().and_then(|b| b.pending.clone()))
            .collect();
        let durable = ctx.store.make_durable(&pending);
        if flushed.send(Flushed { items, durable }).is_err() {
            return;
        }
    }
}

pub(super) fn record_batch(
    ctx: &RunContext,
    db: &mut Db,
    results: &[CheckResult],
    network_down: bool,
    out: &mut CheckOutcome,
) -> Result<(), RunError> {
    if results.is_empty() {
        return Ok(());
    }
    // Group commit: the batch's new objects are made durable together, before any row refers
    // to them; if that fails, nothing of this batch is recorded.
    let pending: Vec<_> = results
        .iter()
        .filter_map(|r| r.body.as_ref().and_then(|b| b.pending.clone()))
        .collect();
    ctx.store.make_durable(&pending)?;
    let (states, snapshots) = db.transaction(|tx| {
        let mut states = Vec::with_capacity(results.len());
        let mut snapshots = 0;
        for r in results {
            let (state, new_snapshot) = record_check(tx, r, ctx, network_down)?;
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
    ctx: &RunContext,
    network_down: bool,
) -> rusqlite::Result<(Option<State>, bool)> {
    let (cfg, run_id) = (&ctx.cfg, ctx.run_id);
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
        let mut new_snapshot = false;
        let mut good = None;
        if let Some(b) = &r.body {
            let is_good = r.is_good_capture();
            let latest = tx.latest_snapshot_sha(r.ref_id, is_good)?;
            let snapshot_id = if latest.as_deref() != Some(b.sha256.as_str()) {
                new_snapshot = true;
                let headers = serde_json::to_string(&r.headers).ok();
                Some(tx.insert_snapshot(&NewSnapshot {
                    ref_id: r.ref_id,
                    check_id,
                    sha256: &b.sha256,
                    bytes: b.bytes,
                    content_type: r.content_type.as_deref(),
                    http_status: r.http_status.unwrap_or(0),
                    captured_at: r.checked_at,
                    good: is_good,
                    headers_json: headers.as_deref(),
                    http_version: r.http_version,
                    reason_phrase: r.reason_phrase.as_deref(),
                    role: "body",
                    parent_id: None,
                    tool: None,
                    decoded_from: r.decoded_from.as_deref(),
                })?)
            } else {
                None
            };
            good = is_good.then_some(GoodCapture {
                snapshot_id,
                etag: r.etag.as_deref(),
                last_modified: r.last_modified.as_deref(),
            });
        }
        let kind = r.kind_hint.filter(|k| k.is_media());
        tx.update_ref_after_check(r.ref_id, &new, kind, good.as_ref())?;
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
        let id = tx.insert_snapshot(&tool_snapshot(r, check_id, m, "video", None, tool))?;
        first.get_or_insert(id);
    }
    if let Some(i) = info {
        tx.insert_object(&i.object.sha256, i.object.bytes, r.checked_at)?;
        tx.insert_snapshot(&tool_snapshot(r, check_id, i, "video_info", first, tool))?;
    }
    if let Some(id) = first {
        tx.set_video_snapshot(r.ref_id, id)?;
    }
    Ok(first.is_some())
}

fn tool_snapshot<'a>(
    r: &CheckResult,
    check_id: i64,
    file: &'a CapturedFile,
    role: &'a str,
    parent_id: Option<i64>,
    tool: &'a str,
) -> NewSnapshot<'a> {
    NewSnapshot {
        ref_id: r.ref_id,
        check_id,
        sha256: &file.object.sha256,
        bytes: file.object.bytes,
        content_type: Some(&file.content_type),
        http_status: 200,
        captured_at: r.checked_at,
        good: true,
        headers_json: None,
        http_version: None,
        reason_phrase: None,
        role,
        parent_id,
        tool: Some(tool),
        decoded_from: None,
    }
}
