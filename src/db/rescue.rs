//! Rescue and second copies in the record: which references are due for a lookup in the web
//! archives or a submission to a save endpoint, every lookup and submission as it went, and
//! rescued copies as snapshots with their provenance (`origin = 'memento'`).

use rusqlite::params;
use serde::Serialize;

use super::{Db, Result, Tx};
use crate::clock::Timestamp;

/// A reference to look up in the web archives.
#[derive(Debug, Clone)]
pub struct RescueDue {
    /// The reference's row id.
    pub ref_id: i64,
    /// The reference's URL.
    pub url: String,
    /// The earliest publication date of the articles citing it, else when it was first seen
    /// (Unix seconds).
    pub target_at: Timestamp,
    /// The SHA-256 of the error page the site itself served last (a soft 404's body, as stored),
    /// to tell an archived copy of that page from the real thing.
    pub error_page: Option<String>,
}

/// One archive's answer to one lookup.
#[derive(Debug, Clone)]
pub struct NewLookup<'a> {
    /// The reference's row id.
    pub ref_id: i64,
    /// The run it was part of.
    pub run_id: i64,
    /// When the archive was asked (Unix seconds).
    pub looked_at: Timestamp,
    /// The TimeGate prefix asked (a `rescue.timegates` entry).
    pub archive: &'a str,
    /// The date asked for (`Accept-Datetime`, Unix seconds).
    pub target_at: Timestamp,
    /// rescued | found | not_found | rejected | error
    pub outcome: &'a str,
    /// The memento the archive pointed to, if any.
    pub memento_url: Option<&'a str>,
    /// When the archive captured that memento (Unix seconds).
    pub memento_datetime: Option<Timestamp>,
    /// Why it went the way it did, in words, when that is worth saying.
    pub detail: Option<&'a str>,
}

/// A copy fetched from a web archive, with where it came from.
#[derive(Debug, Clone)]
pub struct NewMemento<'a> {
    /// The reference's row id.
    pub ref_id: i64,
    /// The stored copy: SHA-256 as 64 lowercase hex digits.
    pub sha256: &'a str,
    /// Its size in bytes, as stored.
    pub bytes: u64,
    /// The `Content-Type` the archive served, if any.
    pub content_type: Option<&'a str>,
    /// The status the archive recorded (2xx: anything else is never kept as a rescue).
    pub http_status: u16,
    /// The response headers as received, JSON `[[name, value], ...]`.
    pub headers_json: Option<&'a str>,
    /// The protocol of the archive's response (`HTTP/1.1`, `HTTP/2`, ...).
    pub http_version: Option<&'a str>,
    /// The reason phrase as received (HTTP/1 only).
    pub reason_phrase: Option<&'a str>,
    /// The TimeGate prefix that led to it.
    pub archive: &'a str,
    /// The memento as the archive names it.
    pub memento_url: &'a str,
    /// When the archive captured it (`Memento-Datetime`): the snapshot's capture time.
    pub memento_datetime: Timestamp,
    /// Taken as served, not in the raw (`id_`) form: the archive may have rewritten it.
    pub rewritten: bool,
    /// When linkvault fetched it (Unix seconds).
    pub rescued_at: Timestamp,
    /// False for a copy refused as an error page (kept as evidence, never as the rescue).
    pub good: bool,
    /// The Content-Encoding the stored (decoded) body arrived in.
    pub decoded_from: Option<&'a str>,
}

/// One lookup as `history` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct LookupRow {
    /// When the archive was asked (Unix seconds).
    pub looked_at: Timestamp,
    /// The TimeGate prefix asked.
    pub archive: String,
    /// The date asked for (`Accept-Datetime`, Unix seconds).
    pub target_at: Timestamp,
    /// `rescued`, `found`, `not_found`, `rejected` or `error`.
    pub outcome: String,
    /// The memento the archive pointed to, if any.
    pub memento_url: Option<String>,
    /// When the archive captured that memento (Unix seconds).
    pub memento_datetime: Option<Timestamp>,
    /// Why it went the way it did, in words, when that is worth saying.
    pub detail: Option<String>,
}

/// A live reference to submit to the save endpoints.
#[derive(Debug, Clone)]
pub struct SubmitDue {
    /// The reference's row id.
    pub ref_id: i64,
    /// The reference's URL.
    pub url: String,
}

/// One submission as it went.
#[derive(Debug, Clone)]
pub struct NewSubmission<'a> {
    /// The reference's row id.
    pub ref_id: i64,
    /// The run it was part of.
    pub run_id: i64,
    /// When it was submitted (Unix seconds).
    pub submitted_at: Timestamp,
    /// The save endpoint (a `rescue.submit` prefix the URL is appended to).
    pub endpoint: &'a str,
    /// submitted | rate_limited | error
    pub outcome: &'a str,
    /// The endpoint's HTTP status; None when it did not answer.
    pub http_status: Option<u16>,
    /// The new memento, where the answer names it.
    pub memento_url: Option<&'a str>,
    /// What went wrong, in words; None when it was accepted.
    pub detail: Option<&'a str>,
}

/// One submission as `history` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SubmissionRow {
    /// When it was submitted (Unix seconds).
    pub submitted_at: Timestamp,
    /// The save endpoint (a `rescue.submit` prefix).
    pub endpoint: String,
    /// `submitted`, `rate_limited` or `error`.
    pub outcome: String,
    /// The endpoint's HTTP status; None when it did not answer.
    pub http_status: Option<u16>,
    /// The new memento, where the answer names it.
    pub memento_url: Option<String>,
    /// What went wrong, in words; None when it was accepted.
    pub detail: Option<String>,
}

impl Tx<'_> {
    /// Records one archive's answer to a lookup, with the snapshot it rescued, if any.
    pub fn record_lookup(
        &self,
        l: &NewLookup<'_>,
        snapshot_id: Option<i64>,
    ) -> rusqlite::Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO lookups (ref_id, run_id, looked_at, archive, target_at, outcome,
                   memento_url, memento_datetime, detail, snapshot_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                l.ref_id,
                l.run_id,
                l.looked_at,
                l.archive,
                l.target_at,
                l.outcome,
                l.memento_url,
                l.memento_datetime,
                l.detail,
                snapshot_id
            ])?;
        Ok(())
    }

    /// Records a copy from a web archive (its object already durable) as a snapshot of origin
    /// `memento`, linked to the reference's latest check. A good one becomes the reference's
    /// good snapshot, but only while the reference holds none of its own. Returns its id.
    pub fn insert_memento(&self, m: &NewMemento<'_>) -> rusqlite::Result<i64> {
        self.insert_object(m.sha256, m.bytes, m.rescued_at)?;
        self.conn()
            .prepare_cached(
                "INSERT INTO snapshots (ref_id, check_id, sha256, bytes, content_type, http_status,
                   captured_at, good, headers, role, http_version, reason_phrase, origin, archive,
                   memento_url, memento_datetime, rewritten, rescued_at, decoded_from)
                 VALUES (?1, (SELECT max(id) FROM checks WHERE ref_id = ?1), ?2, ?3, ?4, ?5, ?6, ?14,
                   ?7, 'body', ?8, ?9, 'memento', ?10, ?11, ?6, ?12, ?13, ?15)",
            )?
            .execute(params![
                m.ref_id,
                m.sha256,
                m.bytes,
                m.content_type,
                m.http_status,
                m.memento_datetime,
                m.headers_json,
                m.http_version,
                m.reason_phrase,
                m.archive,
                m.memento_url,
                m.rewritten,
                m.rescued_at,
                m.good,
                m.decoded_from
            ])?;
        let id = self.conn().last_insert_rowid();
        if !m.good {
            return Ok(id);
        }
        self.conn()
            .prepare_cached(
                "UPDATE refs SET good_snapshot = ?2
                 WHERE id = ?1 AND (good_snapshot IS NULL
                   OR (SELECT origin FROM snapshots WHERE id = refs.good_snapshot) = 'memento')",
            )?
            .execute(params![m.ref_id, id])?;
        Ok(id)
    }

    /// Sets when the reference may next be looked up in the web archives (Unix seconds).
    pub fn set_rescue_next(&self, ref_id: i64, at: Timestamp) -> rusqlite::Result<()> {
        self.conn()
            .prepare_cached("UPDATE refs SET rescue_next_at = ?2 WHERE id = ?1")?
            .execute(params![ref_id, at])?;
        Ok(())
    }

    /// Records one submission to one save endpoint.
    pub fn record_submission(&self, s: &NewSubmission<'_>) -> rusqlite::Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO submissions (ref_id, run_id, submitted_at, endpoint, outcome,
                   http_status, memento_url, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                s.ref_id,
                s.run_id,
                s.submitted_at,
                s.endpoint,
                s.outcome,
                s.http_status,
                s.memento_url,
                s.detail
            ])?;
        Ok(())
    }

    /// After a round of submissions: `accepted_at` when some endpoint took it, and when the
    /// reference may be submitted again at the earliest.
    pub fn set_submitted(
        &self,
        ref_id: i64,
        accepted_at: Option<Timestamp>,
        next_at: Timestamp,
    ) -> rusqlite::Result<()> {
        self.conn()
            .prepare_cached(
                "UPDATE refs SET submitted_at = COALESCE(?2, submitted_at), submit_next_at = ?3
                 WHERE id = ?1",
            )?
            .execute(params![ref_id, accepted_at, next_at])?;
        Ok(())
    }
}

impl Db {
    /// References to look up now: dead (confirmed or not) or blocked, or failing at their first
    /// check; holding no good capture of their own and no rescued copy yet; not refused by our
    /// own address policy (an internal address is nobody else's business) nor too long for any
    /// server; and not looked up since `rescue_next_at`. At most `limit`.
    pub fn rescue_due(&self, now: Timestamp, limit: usize) -> Result<Vec<RescueDue>> {
        let mut stmt = self.wrap(self.conn.prepare(
            "SELECT r.id, r.url,
                    COALESCE((SELECT min(a.published_at) FROM citations c
                                JOIN articles a ON a.id = c.article_id WHERE c.ref_id = r.id),
                             r.first_seen),
                    (SELECT s.sha256 FROM snapshots s
                      WHERE s.ref_id = r.id AND s.good = 0 AND s.origin = 'self' AND s.role = 'body'
                      ORDER BY s.captured_at DESC, s.id DESC LIMIT 1)
             FROM refs r
             WHERE r.id IN (
               -- The candidates from the partial index `refs_rescue_due` (SQLite may use it:
               -- these conditions repeat its own word for word; INDEXED BY makes sure it does),
               -- so a run with nothing to look up reads none of the other references. A
               -- reference holding a copy has a good_snapshot: the NOT EXISTS only confirms.
               SELECT c.id FROM refs c INDEXED BY refs_rescue_due
               WHERE c.rescue_next_at <= ?1 AND c.retired_at IS NULL AND c.good_snapshot IS NULL
                 AND (c.state IN ('dead', 'blocked') OR (c.state = 'transient' AND c.checks = 1))
                 AND COALESCE(c.reason, '') NOT IN ('private_address', 'url_too_long')
                 AND NOT EXISTS (SELECT 1 FROM snapshots s WHERE s.ref_id = c.id AND s.good = 1
                                   AND s.role != 'video_info' AND s.lost_at IS NULL)
               ORDER BY c.id LIMIT ?2)
             ORDER BY r.id",
        ))?;
        let rows = stmt.query_map(params![now, limit as i64], |r| {
            Ok(RescueDue {
                ref_id: r.get(0)?,
                url: r.get(1)?,
                target_at: r.get(2)?,
                error_page: r.get(3)?,
            })
        });
        self.wrap(rows.and_then(|m| m.collect()))
    }

    /// Live references to submit: alive with a good capture of their own, never accepted by an
    /// endpoint or drifted since, and not waiting out a back-off; at most `limit`.
    pub fn submit_due(&self, now: Timestamp, limit: usize) -> Result<Vec<SubmitDue>> {
        let mut stmt = self.wrap(self.conn.prepare(
            "SELECT r.id, r.url FROM refs r
             WHERE r.state = 'alive' AND r.submit_next_at <= ?1 AND r.retired_at IS NULL
               AND EXISTS (SELECT 1 FROM snapshots s WHERE s.ref_id = r.id AND s.good = 1
                             AND s.origin = 'self' AND s.lost_at IS NULL)
               AND (r.submitted_at IS NULL
                    OR EXISTS (SELECT 1 FROM checks c WHERE c.ref_id = r.id AND c.drift = 1
                                 AND c.checked_at > r.submitted_at))
             ORDER BY r.id LIMIT ?2",
        ))?;
        let rows = stmt.query_map(params![now, limit as i64], |r| {
            Ok(SubmitDue {
                ref_id: r.get(0)?,
                url: r.get(1)?,
            })
        });
        self.wrap(rows.and_then(|m| m.collect()))
    }

    /// Every lookup of reference `ref_id` in the web archives, oldest first.
    pub fn lookups_of(&self, ref_id: i64) -> Result<Vec<LookupRow>> {
        let mut stmt = self.wrap(self.conn.prepare_cached(
            "SELECT looked_at, archive, target_at, outcome, memento_url, memento_datetime, detail
             FROM lookups WHERE ref_id = ?1 ORDER BY looked_at, id",
        ))?;
        let rows = stmt.query_map([ref_id], |r| {
            Ok(LookupRow {
                looked_at: r.get(0)?,
                archive: r.get(1)?,
                target_at: r.get(2)?,
                outcome: r.get(3)?,
                memento_url: r.get(4)?,
                memento_datetime: r.get(5)?,
                detail: r.get(6)?,
            })
        });
        self.wrap(rows.and_then(|m| m.collect()))
    }

    /// Every submission of reference `ref_id` to a save endpoint, oldest first.
    pub fn submissions_of(&self, ref_id: i64) -> Result<Vec<SubmissionRow>> {
        let mut stmt = self.wrap(self.conn.prepare_cached(
            "SELECT submitted_at, endpoint, outcome, http_status, memento_url, detail
             FROM submissions WHERE ref_id = ?1 ORDER BY submitted_at, id",
        ))?;
        let rows = stmt.query_map([ref_id], |r| {
            Ok(SubmissionRow {
                submitted_at: r.get(0)?,
                endpoint: r.get(1)?,
                outcome: r.get(2)?,
                http_status: r.get(3)?,
                memento_url: r.get(4)?,
                detail: r.get(5)?,
            })
        });
        self.wrap(rows.and_then(|m| m.collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Due for a lookup: dead or blocked, or transient at its first check; holding no copy;
    /// not refused by our own policy; past its `rescue_next_at`; in id order, at most `limit`.
    #[test]
    fn the_references_due_for_a_lookup_are_exactly_those_without_a_copy() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        db.conn
            .execute_batch(
                "PRAGMA foreign_keys = OFF;
                 INSERT INTO refs (id, url, host, kind, first_seen, state, reason, checks,
                                   rescue_next_at, good_snapshot, retired_at) VALUES
                   (1, 'https://a.example/1', 'a.example', 'image', 1, 'dead', 'http_404', 3, 0, NULL, NULL),
                   (2, 'https://a.example/2', 'a.example', 'image', 1, 'dead', 'http_404', 3, 0, 9, NULL),
                   (3, 'https://a.example/3', 'a.example', 'image', 1, 'transient', 'timeout', 1, 0, NULL, NULL),
                   (4, 'https://a.example/4', 'a.example', 'image', 1, 'transient', 'timeout', 2, 0, NULL, NULL),
                   (5, 'https://a.example/5', 'a.example', 'image', 1, 'blocked', 'http_403', 2, 50, NULL, NULL),
                   (6, 'https://a.example/6', 'a.example', 'image', 1, 'blocked', 'http_403', 2, 500, NULL, NULL),
                   (7, 'https://a.example/7', 'a.example', 'image', 1, 'alive', 'ok', 2, 0, NULL, NULL),
                   (8, 'https://a.example/8', 'a.example', 'image', 1, 'dead', 'private_address', 2, 0, NULL, NULL),
                   (9, 'https://a.example/9', 'a.example', 'image', 1, 'dead', 'dns', 2, 0, NULL, 5),
                   (10, 'https://a.example/10', 'a.example', 'video', 1, 'dead', 'dns', 2, 0, NULL, NULL),
                   (11, 'https://a.example/11', 'a.example', 'image', 1, 'dead', 'dns', 2, 0, NULL, NULL);
                 -- A good video of its own: not lost, though no good_snapshot points at it.
                 INSERT INTO snapshots (id, ref_id, check_id, sha256, bytes, http_status,
                                        captured_at, good, role)
                   VALUES (1, 10, 1, 'v', 1, 200, 1, 1, 'video');",
            )
            .unwrap();
        let due = |limit| -> Vec<i64> {
            let rows = db.rescue_due(100, limit).unwrap();
            rows.into_iter().map(|r| r.ref_id).collect()
        };
        assert_eq!(due(10), [1, 3, 5, 11]);
        assert_eq!(due(2), [1, 3]);
    }
}
