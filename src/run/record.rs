//! The single writer: results arrive over a channel and are committed in batched
//! transactions — check rows, objects, snapshots, the reference's new status — holding back
//! network-level failures until some server has answered (if none does, `network` decides).

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::mpsc;

use super::context::RunContext;
use super::outcome::CheckOutcome;
use super::RunError;
use crate::db::{Db, NewCheck, NewSnapshot, Tx};
use crate::fetch::CheckResult;
use crate::model::State;
use crate::schedule::{apply_check, Observed};
use crate::store::WriteError;
use crate::video_outcome::{CapturedFile, VideoOutcome};

pub(super) fn write_results(
    ctx: &RunContext,
    mut db: Db,
    mut rx: mpsc::Receiver<Result<CheckResult, WriteError>>,
    mut seen_response: bool,
    stop: &AtomicBool,
) -> (Db, CheckOutcome) {
    let progress = &ctx.progress;
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
        if let Err(e) = record_batch(ctx, &mut db, &ready, false, &mut out) {
            stop.store(true, Ordering::Relaxed);
            out.fatal.get_or_insert(e);
            break;
        }
    }
    // Only when no server answered at all: whether they count is `network::settle`'s call.
    out.held = held;
    out.any_response = seen_response;
    (db, out)
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
                Some(tx.insert_snapshot(&NewSnapshot {
                    ref_id: r.ref_id,
                    check_id,
                    sha256: &b.sha256,
                    bytes: b.bytes,
                    content_type: r.content_type.as_deref(),
                    http_status: r.http_status.unwrap_or(0),
                    captured_at: r.checked_at,
                    good,
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
