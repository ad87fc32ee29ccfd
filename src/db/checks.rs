//! Recording checks: the check row, the object and snapshot it produced, and the reference's
//! new status — written together in the writer's transaction, after the object is durable.

use rusqlite::{params, OptionalExtension};

use super::Tx;
use crate::clock::Timestamp;
use crate::model::{Reason, State};

/// The rolling status of one reference, as the lifecycle rules read and write it.
#[derive(Debug, Clone, PartialEq)]
pub struct RefStatus {
    /// Its state after the last check (`Unchecked` before the first).
    pub state: State,
    /// Why it is in that state; None before the first check.
    pub reason: Option<Reason>,
    /// The HTTP status the last check got; None when no server answered.
    pub http_status: Option<u16>,
    /// The URL that answered the last check (after redirects); None when none did.
    pub final_url: Option<String>,
    /// When it was last checked (Unix seconds); None if never.
    pub last_checked: Option<Timestamp>,
    /// When a check last found it alive (Unix seconds); None if never.
    pub last_alive: Option<Timestamp>,
    /// When the current failing streak began (Unix seconds); None while alive.
    pub dead_since: Option<Timestamp>,
    /// How many checks it has had, ever.
    pub checks: i64,
    /// Failing checks in the current streak.
    pub fail_checks: i64,
    /// Failing checks in the streak that are at least the confirmation interval apart.
    pub spaced_failures: i64,
    /// When the last failure counted in `spaced_failures` was seen (Unix seconds).
    pub last_counted_fail: Option<Timestamp>,
    /// Enough spaced failures (`[confirm] checks`) to call the failure confirmed, not a blip.
    pub confirmed: bool,
    /// When it is next due to be checked (Unix seconds).
    pub next_check_at: Timestamp,
}

impl Default for RefStatus {
    fn default() -> Self {
        RefStatus {
            state: State::Unchecked,
            reason: None,
            http_status: None,
            final_url: None,
            last_checked: None,
            last_alive: None,
            dead_since: None,
            checks: 0,
            fail_checks: 0,
            spaced_failures: 0,
            last_counted_fail: None,
            confirmed: false,
            next_check_at: 0,
        }
    }
}

/// One snapshot as it is recorded: the response body (`role` body), or a capture made by a
/// tool (yt-dlp's `video` media and `video_info` JSON, linked by `parent_id`).
#[derive(Debug, Clone)]
pub struct NewSnapshot<'a> {
    /// The reference's row id.
    pub ref_id: i64,
    /// The check that produced it.
    pub check_id: i64,
    /// The stored object: SHA-256 as 64 lowercase hex digits.
    pub sha256: &'a str,
    /// Its size in bytes, as stored.
    pub bytes: u64,
    /// The `Content-Type` as received (or the tool's file type), if any.
    pub content_type: Option<&'a str>,
    /// The HTTP status of the response; 0 when none was recorded, 200 for a tool's capture.
    pub http_status: u16,
    /// When it was captured (Unix seconds).
    pub captured_at: Timestamp,
    /// A faithful copy of the cited content (a 2xx `ok` answer), never an error page.
    pub good: bool,
    /// The response headers as received, JSON `[[name, value], ...]`; None for a tool's capture.
    pub headers_json: Option<&'a str>,
    /// The protocol of the response (`HTTP/1.1`, `HTTP/2`, ...); None for a tool's capture.
    pub http_version: Option<&'a str>,
    /// The reason phrase as received (HTTP/1 only).
    pub reason_phrase: Option<&'a str>,
    /// What it is: `body`, `video` or `video_info`.
    pub role: &'a str,
    /// The snapshot it belongs to (a `video_info` names its `video`); None otherwise.
    pub parent_id: Option<i64>,
    /// The tool and its version that made it, e.g. `yt-dlp 2026.10.26`; None for a response body.
    pub tool: Option<&'a str>,
    /// The Content-Encoding the stored (decoded) body arrived in.
    pub decoded_from: Option<&'a str>,
}

/// One check as it is recorded.
#[derive(Debug, Clone)]
pub struct NewCheck<'a> {
    /// The reference's row id.
    pub ref_id: i64,
    /// The run it was part of.
    pub run_id: i64,
    /// When it was checked (Unix seconds).
    pub checked_at: Timestamp,
    /// The verdict of this check.
    pub state: State,
    /// Why.
    pub reason: Reason,
    /// The HTTP status; None when no server answered.
    pub http_status: Option<u16>,
    /// The URL that answered (after redirects); None when none did.
    pub final_url: Option<&'a str>,
    /// The redirect hops before `final_url`, JSON `[{"url": ..., "status": ...}, ...]`; None
    /// without redirects.
    pub redirects_json: Option<String>,
    /// What went wrong, in words; None if nothing did.
    pub error: Option<&'a str>,
    /// The size in bytes of the body stored; None when none was.
    pub bytes: Option<u64>,
    /// The stored body: SHA-256 as 64 lowercase hex digits; None when none was stored.
    pub sha256: Option<&'a str>,
    /// The `Content-Type` as received, if any.
    pub content_type: Option<&'a str>,
    /// How long the check took, in milliseconds.
    pub elapsed_ms: u64,
    /// How many requests it took (1 without retries).
    pub attempts: u32,
    /// The run found the network down: the check says nothing about the reference and does not
    /// count.
    pub network_down: bool,
    /// A 200 whose content differs from the last good capture (by visible text for HTML).
    pub drift: bool,
    /// What the video step (yt-dlp) did, in words; None when there was none.
    pub video: Option<&'a str>,
}

/// A good capture a check made: the snapshot it recorded (`None` when the bytes were the
/// same as the reference's latest good snapshot) and the response's validators.
#[derive(Debug, Clone, Copy)]
pub struct GoodCapture<'a> {
    /// The snapshot recorded for it, if its bytes were new.
    pub snapshot_id: Option<i64>,
    /// The response's `ETag`.
    pub etag: Option<&'a str>,
    /// The response's `Last-Modified`.
    pub last_modified: Option<&'a str>,
}

impl Tx<'_> {
    /// The reference's current status, as the lifecycle rules read it.
    pub fn ref_status(&self, ref_id: i64) -> rusqlite::Result<RefStatus> {
        self.conn()
            .prepare_cached(
                "SELECT state, reason, http_status, final_url, last_checked, last_alive, dead_since,
                        checks, fail_checks, spaced_failures, last_counted_fail, confirmed, next_check_at
                 FROM refs WHERE id = ?1",
            )?
            .query_row([ref_id], |r| {
                Ok(RefStatus {
                    state: State::parse(&r.get::<_, String>(0)?).unwrap_or(State::Unchecked),
                    reason: r.get::<_, Option<String>>(1)?.and_then(|s| Reason::parse(&s)),
                    http_status: r.get(2)?,
                    final_url: r.get(3)?,
                    last_checked: r.get(4)?,
                    last_alive: r.get(5)?,
                    dead_since: r.get(6)?,
                    checks: r.get(7)?,
                    fail_checks: r.get(8)?,
                    spaced_failures: r.get(9)?,
                    last_counted_fail: r.get(10)?,
                    confirmed: r.get(11)?,
                    next_check_at: r.get(12)?,
                })
            })
    }

    /// Writes the reference's new status after a check, in one row update: the status, the
    /// kind a response showed (`kind`, if any), and, when the check made a good capture
    /// (`good`), that capture as the reference's good snapshot with its validators.
    pub fn update_ref_after_check(
        &self,
        ref_id: i64,
        s: &RefStatus,
        kind: Option<crate::model::Kind>,
        good: Option<&GoodCapture<'_>>,
    ) -> rusqlite::Result<()> {
        // A video capture stays the good snapshot: the media, not the page around it.
        self.conn()
            .prepare_cached(
                "UPDATE refs SET state = ?2, reason = ?3, http_status = ?4, final_url = ?5,
                   last_checked = ?6, last_alive = ?7, dead_since = ?8, checks = ?9,
                   fail_checks = ?10, spaced_failures = ?11, last_counted_fail = ?12,
                   confirmed = ?13, next_check_at = ?14,
                   kind = COALESCE(?15, kind),
                   good_snapshot = CASE
                     WHEN NOT ?16 THEN good_snapshot
                     WHEN (SELECT role FROM snapshots WHERE id = refs.good_snapshot) = 'video' THEN good_snapshot
                     ELSE COALESCE(?17, good_snapshot) END,
                   etag = CASE WHEN ?16 THEN ?18 ELSE etag END,
                   last_modified = CASE WHEN ?16 THEN ?19 ELSE last_modified END
                 WHERE id = ?1",
            )?
            .execute(params![
                ref_id,
                s.state.as_str(),
                s.reason.map(|r| r.as_string()),
                s.http_status,
                s.final_url,
                s.last_checked,
                s.last_alive,
                s.dead_since,
                s.checks,
                s.fail_checks,
                s.spaced_failures,
                s.last_counted_fail,
                s.confirmed,
                s.next_check_at,
                kind.map(|k| k.as_str()),
                good.is_some(),
                good.and_then(|g| g.snapshot_id),
                good.and_then(|g| g.etag),
                good.and_then(|g| g.last_modified),
            ])?;
        Ok(())
    }

    /// Only `next_check_at` (a run that could not judge the reference, e.g. network down).
    pub fn defer_ref(&self, ref_id: i64, next_check_at: Timestamp) -> rusqlite::Result<()> {
        self.conn()
            .prepare_cached("UPDATE refs SET next_check_at = ?2 WHERE id = ?1")?
            .execute(params![ref_id, next_check_at])?;
        Ok(())
    }

    /// Records one check; returns its row id.
    pub fn insert_check(&self, c: &NewCheck<'_>) -> rusqlite::Result<i64> {
        self.conn()
            .prepare_cached(
                "INSERT INTO checks (ref_id, run_id, checked_at, state, reason, http_status, final_url,
                   redirects, error, bytes, sha256, content_type, elapsed_ms, attempts, network_down, drift, video)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )?
            .execute(params![
                c.ref_id,
                c.run_id,
                c.checked_at,
                c.state.as_str(),
                c.reason.as_string(),
                c.http_status,
                c.final_url,
                c.redirects_json,
                c.error,
                c.bytes,
                c.sha256,
                c.content_type,
                c.elapsed_ms,
                c.attempts,
                c.network_down,
                c.drift,
                c.video
            ])?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Records that a durable object exists in the store. Call only after `finish` returned.
    pub fn insert_object(&self, sha256: &str, bytes: u64, now: Timestamp) -> rusqlite::Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO objects (sha256, bytes, stored_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(sha256) DO UPDATE SET lost_at = NULL WHERE objects.lost_at IS NOT NULL",
            )?
            .execute(params![sha256, bytes, now])?;
        Ok(())
    }

    /// The hash of the reference's most recent snapshot of the given goodness, if any.
    pub fn latest_snapshot_sha(&self, ref_id: i64, good: bool) -> rusqlite::Result<Option<String>> {
        self.conn()
            .prepare_cached(
                "SELECT sha256 FROM snapshots WHERE ref_id = ?1 AND good = ?2 AND role = 'body'
                   AND origin = 'self' AND lost_at IS NULL
                 ORDER BY captured_at DESC, id DESC LIMIT 1",
            )?
            .query_row(params![ref_id, good], |r| r.get(0))
            .optional()
    }

    /// Records a snapshot; returns its row id.
    pub fn insert_snapshot(&self, n: &NewSnapshot<'_>) -> rusqlite::Result<i64> {
        self.conn()
            .prepare_cached(
                "INSERT INTO snapshots (ref_id, check_id, sha256, bytes, content_type, http_status,
                   captured_at, good, headers, role, parent_id, tool, http_version, reason_phrase,
                   decoded_from)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?
            .execute(params![
                n.ref_id,
                n.check_id,
                n.sha256,
                n.bytes,
                n.content_type,
                n.http_status,
                n.captured_at,
                n.good,
                n.headers_json,
                n.role,
                n.parent_id,
                n.tool,
                n.http_version,
                n.reason_phrase,
                n.decoded_from
            ])?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Makes a video capture the reference's good snapshot (the media, not the page around it).
    pub fn set_video_snapshot(&self, ref_id: i64, snapshot_id: i64) -> rusqlite::Result<()> {
        self.conn()
            .prepare_cached("UPDATE refs SET good_snapshot = ?2 WHERE id = ?1")?
            .execute(params![ref_id, snapshot_id])?;
        Ok(())
    }

    /// Records what the video step made of the reference: `captured`, `page_only` or `not_video`.
    pub fn set_video_status(&self, ref_id: i64, status: &str) -> rusqlite::Result<()> {
        self.conn()
            .prepare_cached("UPDATE refs SET video_status = ?2 WHERE id = ?1")?
            .execute(params![ref_id, status])?;
        Ok(())
    }

    /// Records that object `sha256` is gone (quarantined or missing): its captures are marked
    /// lost, the references that held it are checked again on the next run (validators
    /// dropped, a web-archive lookup allowed) and fall back to their newest other good capture
    /// (or to none), articles whose last version it was are read again, and the object is
    /// marked lost (its row stays: the lost captures point at it; a later capture of the same
    /// bytes makes it held again). Returns (references and articles requeued, captures lost).
    pub fn record_object_lost(
        &self,
        sha256: &str,
        now: Timestamp,
    ) -> rusqlite::Result<(usize, usize)> {
        let run = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> rusqlite::Result<usize> {
            self.conn().prepare_cached(sql)?.execute(p)
        };
        let requeued = run(
            "UPDATE refs SET next_check_at = 0, etag = NULL, last_modified = NULL,
               rescue_next_at = 0
             WHERE id IN (SELECT ref_id FROM snapshots WHERE sha256 = ?1)",
            &[&sha256],
        )? + run(
            "UPDATE articles SET last_sha256 = NULL, next_read_at = 0, etag = NULL,
               last_modified = NULL WHERE last_sha256 = ?1",
            &[&sha256],
        )?;
        let lost = run(
            "UPDATE snapshots SET lost_at = ?2 WHERE sha256 = ?1 AND lost_at IS NULL",
            &[&sha256, &now],
        )? + run(
            "UPDATE article_captures SET lost_at = ?2 WHERE sha256 = ?1 AND lost_at IS NULL",
            &[&sha256, &now],
        )?;
        run(
            "UPDATE refs SET good_snapshot = (
               SELECT s.id FROM snapshots s
               WHERE s.ref_id = refs.id AND s.good = 1 AND s.lost_at IS NULL
                 AND s.role != 'video_info'
               ORDER BY s.origin = 'self' DESC, s.role = 'video' DESC, s.captured_at DESC, s.id DESC
               LIMIT 1)
             WHERE good_snapshot IN (SELECT id FROM snapshots WHERE sha256 = ?1)",
            &[&sha256],
        )?;
        run(
            "UPDATE objects SET lost_at = ?2 WHERE sha256 = ?1",
            &[&sha256, &now],
        )?;
        Ok((requeued, lost))
    }

    /// Records that a run started at `now`; returns its id.
    pub fn start_run(&self, now: Timestamp) -> rusqlite::Result<i64> {
        self.conn()
            .prepare_cached("INSERT INTO runs (started_at, status) VALUES (?1, 'running')")?
            .execute([now])?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Records how run `run_id` ended (`status`: `completed`, `network_down`, `failed` or
    /// `interrupted`) and its counts (`downloaded` in bytes).
    #[allow(clippy::too_many_arguments)]
    pub fn finish_run(
        &self,
        run_id: i64,
        now: Timestamp,
        status: &str,
        articles: u64,
        checked: u64,
        alive: u64,
        failing: u64,
        downloaded: u64,
        message: Option<&str>,
    ) -> rusqlite::Result<()> {
        self.conn()
            .prepare_cached(
                "UPDATE runs SET finished_at = ?2, status = ?3, articles = ?4, checked = ?5,
                   alive = ?6, failing = ?7, downloaded = ?8, message = ?9 WHERE id = ?1",
            )?
            .execute(params![
                run_id, now, status, articles, checked, alive, failing, downloaded, message
            ])?;
        Ok(())
    }
}
