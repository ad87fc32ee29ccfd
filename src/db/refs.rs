//! References and citations: which URLs exist, which articles cite them, and which are due.

use std::collections::HashSet;

use rusqlite::params;

use super::{Db, Result, Tx};
use crate::clock::Timestamp;
use crate::model::Kind;

/// A reference the scheduler says should be checked now, with what a conditional request needs.
#[derive(Debug, Clone)]
pub struct DueRef {
    /// The reference's row id.
    pub id: i64,
    /// The URL as recorded (without its fragment).
    pub url: String,
    /// The URL's host name, without port.
    pub host: String,
    /// What the citations say it is (image, video, audio, embed, page or other).
    pub kind: Kind,
    /// Validators of the last good capture (sent as If-None-Match / If-Modified-Since).
    pub etag: Option<String>,
    /// The `Last-Modified` of the last good capture as received.
    pub last_modified: Option<String>,
    /// The last good capture of the response body itself (not a video made from it).
    pub good_sha256: Option<String>,
    /// A video capture (yt-dlp) is already held.
    pub has_video: bool,
}

impl Tx<'_> {
    /// Records that `article_id` cites `url`; returns the reference id. A reference first seen
    /// as a generic page keeps the more specific kind when another citation tells us one.
    pub fn cite(
        &self,
        article_id: i64,
        url: &str,
        host: &str,
        kind: Kind,
        found_in: &str,
        now: Timestamp,
    ) -> rusqlite::Result<i64> {
        let id: i64 = self
            .conn()
            .prepare_cached(
                "INSERT INTO refs (url, host, kind, first_seen) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(url) DO UPDATE SET
                   kind = CASE WHEN refs.kind IN ('page', 'other') AND excluded.kind NOT IN ('page', 'other')
                               THEN excluded.kind ELSE refs.kind END,
                   retired_at = NULL
                 RETURNING id",
            )?
            .query_row(params![url, host, kind.as_str(), now], |r| r.get(0))?;
        self.conn()
            .prepare_cached(
                "INSERT INTO citations (article_id, ref_id, found_in, first_seen, last_seen)
                 VALUES (?1, ?2, ?3, ?4, ?4)
                 ON CONFLICT(article_id, ref_id) DO UPDATE SET last_seen = excluded.last_seen",
            )?
            .execute(params![article_id, id, found_in, now])?;
        Ok(id)
    }
}

impl Tx<'_> {
    /// The references `article_id` cites now (an unchanged article still cites them).
    pub fn cited_by(&self, article_id: i64) -> rusqlite::Result<Vec<i64>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT c.ref_id FROM citations c JOIN refs r ON r.id = c.ref_id
             WHERE c.article_id = ?1 AND r.retired_at IS NULL",
        )?;
        let ids = stmt.query_map([article_id], |r| r.get(0))?;
        ids.collect()
    }
}

impl Tx<'_> {
    /// Marks every reference no article cites any more as retired (not checked, not reported);
    /// returns how many were retired now.
    pub fn retire_uncited(&self, now: Timestamp) -> rusqlite::Result<u64> {
        let n = self.conn().execute(
            "UPDATE refs SET retired_at = ?1 WHERE retired_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM citations c WHERE c.ref_id = refs.id)",
            [now],
        )?;
        Ok(n as u64)
    }

    /// Drops every citation of these references (see `retire_uncited`).
    pub fn uncite(&self, ref_ids: &[i64]) -> rusqlite::Result<()> {
        let mut stmt = self
            .conn()
            .prepare_cached("DELETE FROM citations WHERE ref_id = ?1")?;
        for id in ref_ids {
            stmt.execute([id])?;
        }
        Ok(())
    }
}

impl Db {
    /// Every reference not retired, as (id, URL).
    pub fn current_ref_urls(&self) -> Result<Vec<(i64, String)>> {
        let mut stmt = self.wrap(
            self.conn
                .prepare("SELECT id, url FROM refs WHERE retired_at IS NULL ORDER BY id"),
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)));
        self.wrap(rows.and_then(|m| m.collect()))
    }

    /// References due at `now` (or all of them with `everything`), without the reference rows
    /// themselves changing: the writer updates `next_check_at` as results arrive.
    pub fn due_refs(&self, now: Timestamp, everything: bool) -> Result<Vec<DueRef>> {
        let mut stmt = self.wrap(self.conn.prepare(
            "SELECT r.id, r.url, r.host, r.kind, r.etag, r.last_modified,
                    (SELECT b.sha256 FROM snapshots b WHERE b.ref_id = r.id AND b.role = 'body' AND b.good = 1
                       AND b.origin = 'self' AND b.lost_at IS NULL
                     ORDER BY b.captured_at DESC, b.id DESC LIMIT 1),
                    EXISTS (SELECT 1 FROM snapshots v WHERE v.ref_id = r.id AND v.role = 'video')
             FROM refs r
             WHERE r.next_check_at <= ?1 AND r.retired_at IS NULL
             ORDER BY r.next_check_at, r.id",
        ))?;
        // With `everything`, every reference is due: a bound in the future no row exceeds
        // keeps the query one indexed range scan either way.
        let bound = if everything { i64::MAX } else { now };
        let rows = stmt.query_map(params![bound], |r| {
            Ok(DueRef {
                id: r.get(0)?,
                url: r.get(1)?,
                host: r.get(2)?,
                kind: Kind::parse(&r.get::<_, String>(3)?).unwrap_or(Kind::Other),
                etag: r.get(4)?,
                last_modified: r.get(5)?,
                good_sha256: r.get(6)?,
                has_video: r.get(7)?,
            })
        });
        let rows = self.wrap(rows.and_then(|m| m.collect()))?;
        Ok(rows)
    }

    /// One reference per host that was alive when last checked, most recently alive host first,
    /// skipping `exclude`, at most `n`: whom to ask whether the network is up. Runs only when no
    /// server answered in a run, so a scan of the alive references is affordable.
    pub fn witness_urls(&self, exclude: &HashSet<String>, n: usize) -> Result<Vec<String>> {
        let mut stmt = self.wrap(self.conn.prepare(
            // SQLite takes `url` from the row holding the MAX (a bare column in an aggregate).
            "SELECT host, url, MAX(last_alive) AS seen FROM refs
             WHERE state = 'alive' AND last_alive IS NOT NULL
             GROUP BY host ORDER BY seen DESC LIMIT ?1",
        ))?;
        let limit = (n + exclude.len()) as i64;
        let rows = stmt.query_map(params![limit], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        });
        let rows: Vec<(String, String)> = self.wrap(rows.and_then(|m| m.collect()))?;
        Ok(rows
            .into_iter()
            .filter(|(host, _)| !exclude.contains(host))
            .map(|(_, url)| url)
            .take(n)
            .collect())
    }

    /// How many references the record holds, retired ones included.
    pub fn ref_count(&self) -> Result<i64> {
        self.wrap(
            self.conn
                .query_row("SELECT count(*) FROM refs", [], |r| r.get(0)),
        )
    }
}
