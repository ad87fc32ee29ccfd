//! Articles: the pages, files and feeds linkvault reads, and what it learned reading them.

use rusqlite::{params, OptionalExtension};

use super::{Db, Result, Tx};
use crate::clock::Timestamp;

/// A registered article as a run reads it.
#[derive(Debug, Clone)]
pub struct ArticleRow {
    /// Its row id in the database.
    pub id: i64,
    /// What it was registered as: a URL as given, or an absolute file path.
    pub source: String,
    /// Its public URL when known: where a web page ended up after redirects, or the canonical URL a
    /// saved file names.
    pub url: Option<String>,
    /// How it was registered: `config`, `cli` or `feed`.
    pub origin: String,
    /// The last read found a feed (its items are registered as articles).
    pub is_feed: bool,
    /// The `ETag` of the last read, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// The `Last-Modified` of the last read as received, sent back as `If-Modified-Since`.
    pub last_modified: Option<String>,
    /// The SHA-256 (64 lowercase hex digits) of the version last read; None until one is stored.
    pub last_sha256: Option<String>,
    /// When it is next due to be read (Unix seconds).
    pub next_read_at: Timestamp,
    /// `linkvault remove` took it off the list.
    pub removed: bool,
    /// The version last rendered in a browser.
    pub rendered_sha256: Option<String>,
}

/// A registered article as `linkvault articles` lists it.
#[derive(Debug, Clone)]
pub struct ArticleListing {
    /// What it was registered as: a URL as given, or an absolute file path.
    pub source: String,
    /// Its public URL when known (after redirects, or the canonical URL a saved file names).
    pub url: Option<String>,
    /// The page's title, once read.
    pub title: Option<String>,
    /// config | cli | feed
    pub origin: String,
    /// The last read found a feed.
    pub is_feed: bool,
    /// The feed it came from.
    pub feed: Option<String>,
    /// When it was registered (Unix seconds).
    pub added_at: Timestamp,
    /// When it was last read (Unix seconds); None if never.
    pub last_read_at: Option<Timestamp>,
    /// The HTTP status of the last read; None for a file, a failure before any answer, or never
    /// read.
    pub last_status: Option<u16>,
    /// Why the last read failed; None if it did not.
    pub last_error: Option<String>,
    /// When it is next due to be read (Unix seconds).
    pub next_read_at: Timestamp,
    /// When the page says it was published (Unix seconds); None if it does not say.
    pub published_at: Option<Timestamp>,
    /// How many references it cites.
    pub references: u64,
    /// How many of those references are not alive (anything but `alive` and `unchecked`).
    pub not_alive: u64,
}

/// One version of an article as read: a page from the web, or a copy of a saved file.
#[derive(Debug, Clone)]
pub struct NewArticleCapture<'a> {
    /// The article's row id.
    pub article_id: i64,
    /// The URL that answered (after redirects), or the `file:` URL of a saved file.
    pub url: &'a str,
    /// The stored object: SHA-256 as 64 lowercase hex digits.
    pub sha256: &'a str,
    /// Its size in bytes, as stored.
    pub bytes: u64,
    /// The `Content-Type` as received, if any.
    pub content_type: Option<&'a str>,
    /// None for a saved file.
    pub http_status: Option<u16>,
    /// When it was read (Unix seconds).
    pub captured_at: Timestamp,
    /// The response headers as received, JSON `[[name, value], ...]`; None for a saved file.
    pub headers_json: Option<&'a str>,
    /// The protocol of the response (`HTTP/1.1`, `HTTP/2`, ...); None for a saved file.
    pub http_version: Option<&'a str>,
    /// The reason phrase as received (HTTP/1 only).
    pub reason_phrase: Option<&'a str>,
    /// Its visible text differs from the version before (not just ads and timestamps).
    pub edited: bool,
    /// The Content-Encoding the stored (decoded) body arrived in.
    pub decoded_from: Option<&'a str>,
}

/// A full-page screenshot of an article version, as the browser rendered it.
#[derive(Debug, Clone)]
pub struct NewScreenshot<'a> {
    /// The article's row id.
    pub article_id: i64,
    /// The page's URL (where the browser ended up).
    pub url: &'a str,
    /// The PNG's SHA-256 as 64 lowercase hex digits.
    pub sha256: &'a str,
    /// The PNG's size in bytes.
    pub bytes: u64,
    /// When it was taken (Unix seconds).
    pub captured_at: Timestamp,
    /// The browser, e.g. `Chromium 156.0.8078.108`.
    pub tool: &'a str,
    /// How the rendering went, if worth saying.
    pub note: Option<&'a str>,
    /// Width of the screenshot in pixels.
    pub width: u32,
    /// Height of the screenshot in pixels.
    pub height: u32,
}

/// What one read of an article found.
#[derive(Debug, Clone, Default)]
pub struct ArticleRead {
    /// Where a web page ended up (after redirects), or the canonical URL a file names; None keeps
    /// the one recorded.
    pub url: Option<String>,
    /// The page's title; None keeps the one recorded.
    pub title: Option<String>,
    /// The body was a feed.
    pub is_feed: bool,
    /// The HTTP status; None for a file or when no answer came.
    pub status: Option<u16>,
    /// Why the read failed; None if it did not.
    pub error: Option<String>,
    /// The SHA-256 (64 lowercase hex digits) of the body stored; None when nothing new was stored.
    pub sha256: Option<String>,
    /// The size of the stored body in bytes (0 when none).
    pub bytes: u64,
    /// The `ETag` received, for the next conditional read.
    pub etag: Option<String>,
    /// The `Last-Modified` received as sent, for the next conditional read.
    pub last_modified: Option<String>,
    /// When to read it next (Unix seconds).
    pub next_read_at: Timestamp,
    /// When the page says it was published (kept from the last read that said so).
    pub published_at: Option<Timestamp>,
}

/// Which registered articles a run may read (`?1`: now). A file is registered under its
/// absolute path, which never begins with the `h` every http(s) URL begins with: the two ranges
/// of `source` outside `h` are the files. Three index ranges, united: SQLite would scan the
/// table for the same condition written as an OR.
const REGISTERED_DUE: &str = "id IN (SELECT id FROM articles WHERE next_read_at <= ?1
                    UNION ALL SELECT id FROM articles WHERE source < 'h'
                    UNION ALL SELECT id FROM articles WHERE source >= 'i')
     AND origin IN ('cli', 'feed') AND removed_at IS NULL";

const COLS: &str =
    "id, source, url, origin, is_feed, etag, last_modified, last_sha256, next_read_at,
     removed_at IS NOT NULL, rendered_sha256";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ArticleRow> {
    Ok(ArticleRow {
        id: r.get(0)?,
        source: r.get(1)?,
        url: r.get(2)?,
        origin: r.get(3)?,
        is_feed: r.get(4)?,
        etag: r.get(5)?,
        last_modified: r.get(6)?,
        last_sha256: r.get(7)?,
        next_read_at: r.get(8)?,
        removed: r.get(9)?,
        rendered_sha256: r.get(10)?,
    })
}

impl Tx<'_> {
    /// Registers an article (or returns the existing one). An article once given on the
    /// command line stays registered as `cli` even if the config names it too. Given again on
    /// the command line or in the config, a removed article comes back; named again by its
    /// feed, it stays removed.
    pub fn upsert_article(
        &self,
        source: &str,
        origin: &str,
        feed_id: Option<i64>,
        now: Timestamp,
    ) -> rusqlite::Result<ArticleRow> {
        self.conn()
            .prepare_cached(
                "INSERT INTO articles (source, origin, feed_id, added_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(source) DO UPDATE SET
                   origin = CASE WHEN articles.origin = 'cli' THEN 'cli' ELSE excluded.origin END,
                   feed_id = COALESCE(articles.feed_id, excluded.feed_id),
                   removed_at = CASE WHEN excluded.origin = 'feed' THEN articles.removed_at END",
            )?
            .execute(params![source, origin, feed_id, now])?;
        self.conn()
            .prepare_cached(&format!("SELECT {COLS} FROM articles WHERE source = ?1"))?
            .query_row([source], row)
    }

    /// Keeps a version of an article page, unless it is the version last kept; true if kept.
    pub fn insert_article_capture(&self, c: &NewArticleCapture<'_>) -> rusqlite::Result<bool> {
        let latest: Option<String> = self
            .conn()
            .prepare_cached(
                "SELECT sha256 FROM article_captures WHERE article_id = ?1 AND role = 'page'
                 ORDER BY captured_at DESC, id DESC LIMIT 1",
            )?
            .query_row([c.article_id], |r| r.get(0))
            .optional()?;
        if latest.as_deref() == Some(c.sha256) {
            return Ok(false);
        }
        self.conn()
            .prepare_cached(
                "INSERT INTO article_captures (article_id, url, sha256, bytes, content_type,
                   http_status, captured_at, headers, http_version, reason_phrase, edited,
                   decoded_from)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                c.article_id,
                c.url,
                c.sha256,
                c.bytes,
                c.content_type,
                c.http_status,
                c.captured_at,
                c.headers_json,
                c.http_version,
                c.reason_phrase,
                c.edited,
                c.decoded_from
            ])?;
        Ok(true)
    }

    /// Keeps a screenshot of the article's latest version (the one `rendered_sha256` names);
    /// the article records that version as rendered.
    pub fn insert_screenshot(&self, s: &NewScreenshot<'_>) -> rusqlite::Result<()> {
        let parent: Option<(i64, String)> = self
            .conn()
            .prepare_cached(
                "SELECT id, sha256 FROM article_captures WHERE article_id = ?1 AND role = 'page'
                 ORDER BY captured_at DESC, id DESC LIMIT 1",
            )?
            .query_row([s.article_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        self.conn()
            .prepare_cached(
                "INSERT INTO article_captures (article_id, url, sha256, bytes, content_type,
                   captured_at, role, parent_id, tool, note, width, height)
                 VALUES (?1, ?2, ?3, ?4, 'image/png', ?5, 'screenshot', ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                s.article_id,
                s.url,
                s.sha256,
                s.bytes,
                s.captured_at,
                parent.as_ref().map(|p| p.0),
                s.tool,
                s.note,
                s.width,
                s.height
            ])?;
        Ok(())
    }

    /// Records that the article's version `sha256` was rendered (screenshot or not).
    pub fn mark_rendered(&self, article_id: i64, sha256: &str) -> rusqlite::Result<()> {
        self.conn()
            .prepare_cached("UPDATE articles SET rendered_sha256 = ?2 WHERE id = ?1")?
            .execute(params![article_id, sha256])?;
        Ok(())
    }

    /// Registers an article given by the user (`add`), to be read from the next run on; a
    /// removed one comes back. True when it was not registered before.
    pub fn register_article(&self, source: &str, now: Timestamp) -> rusqlite::Result<bool> {
        let before: Option<Option<Timestamp>> = self
            .conn()
            .prepare_cached("SELECT removed_at FROM articles WHERE source = ?1")?
            .query_row([source], |r| r.get(0))
            .optional()?;
        self.upsert_article(source, "cli", None, now)?;
        self.conn()
            .prepare_cached(
                "UPDATE articles SET origin = 'cli', next_read_at = 0 WHERE source = ?1",
            )?
            .execute([source])?;
        Ok(!matches!(before, Some(None)))
    }

    /// Records what one read of article `id` found at `now`. A 304 answer keeps the validators
    /// recorded.
    pub fn record_article_read(
        &self,
        id: i64,
        now: Timestamp,
        r: &ArticleRead,
    ) -> rusqlite::Result<()> {
        self.conn()
            .prepare_cached(
                "UPDATE articles SET
                   url = COALESCE(?2, url), title = COALESCE(?3, title), is_feed = ?4,
                   last_read_at = ?5, last_status = ?6, last_error = ?7,
                   last_sha256 = COALESCE(?8, last_sha256),
                   etag = CASE WHEN ?6 = 304 THEN etag ELSE ?9 END,
                   last_modified = CASE WHEN ?6 = 304 THEN last_modified ELSE ?10 END,
                   next_read_at = ?11, published_at = COALESCE(?12, published_at)
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                r.url,
                r.title,
                r.is_feed,
                now,
                r.status,
                r.error,
                r.sha256,
                r.etag,
                r.last_modified,
                r.next_read_at,
                r.published_at
            ])?;
        Ok(())
    }
}

impl Db {
    /// The registered article stored as `source` (given on the command line by an earlier run,
    /// or a feed item), unless it was removed.
    pub fn registered_article(&self, source: &str) -> Result<Option<ArticleRow>> {
        let mut stmt = self.wrap(self.conn.prepare_cached(&format!(
            "SELECT {COLS} FROM articles
             WHERE source = ?1 AND origin IN ('cli', 'feed') AND removed_at IS NULL"
        )))?;
        self.wrap(stmt.query_row([source], row).optional())
    }

    /// Registered articles (see [`Db::registered_article`]) a run may have to read, in id
    /// order: those due at `now`, and every saved file (a file is read on each run); all of
    /// them with `everything`. Found through `articles_due` and the source index, so a run with
    /// nothing due reads no other article row.
    pub fn registered_articles_due(
        &self,
        now: Timestamp,
        everything: bool,
    ) -> Result<Vec<ArticleRow>> {
        let mut stmt = self.wrap(self.conn.prepare(&format!(
            "SELECT {COLS} FROM articles WHERE {REGISTERED_DUE} ORDER BY id"
        )))?;
        // With `everything`, a bound no row exceeds: the same query, every row in range.
        let bound = if everything { i64::MAX } else { now };
        let rows = self.wrap(stmt.query_map([bound], row).and_then(|m| m.collect()))?;
        Ok(rows)
    }

    /// The registered (not removed) article a user means by `typed`: a URL as given or without
    /// its fragment, or a path (absolute, as files are registered).
    pub fn find_article(&self, typed: &str) -> Result<Option<i64>> {
        self.find_article_by_keys(&crate::urlkey::lookup_keys(typed))
    }

    /// The registered (not removed) article stored under the first of `keys` that matches.
    pub fn find_article_by_keys(&self, keys: &[String]) -> Result<Option<i64>> {
        for key in keys {
            let found = self.wrap(
                self.conn
                    .query_row(
                        "SELECT id FROM articles WHERE (source = ?1 OR url = ?1) AND removed_at IS NULL
                         ORDER BY id LIMIT 1",
                        [key],
                        |r| r.get(0),
                    )
                    .optional(),
            )?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// (address, title) of every article that has a title: how tables name citing articles
    /// (the address is what `LinkRow::articles` lists).
    pub fn article_titles(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self.wrap(self.conn.prepare(
            "SELECT COALESCE(url, source), title FROM articles WHERE title IS NOT NULL",
        ))?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)));
        self.wrap(rows.and_then(|m| m.collect()))
    }

    /// Every registered article, feeds and their items included, in the order added.
    pub fn list_articles(&self) -> Result<Vec<ArticleListing>> {
        let mut stmt = self.wrap(self.conn.prepare(
            "SELECT a.source, a.url, a.title, a.origin, a.is_feed,
                    (SELECT f.source FROM articles f WHERE f.id = a.feed_id),
                    a.added_at, a.last_read_at, a.last_status, a.last_error, a.next_read_at,
                    a.published_at,
                    (SELECT count(*) FROM citations c WHERE c.article_id = a.id),
                    (SELECT count(*) FROM citations c JOIN refs r ON r.id = c.ref_id
                      WHERE c.article_id = a.id AND r.state NOT IN ('alive', 'unchecked'))
             FROM articles a WHERE a.removed_at IS NULL ORDER BY a.id",
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok(ArticleListing {
                source: r.get(0)?,
                url: r.get(1)?,
                title: r.get(2)?,
                origin: r.get(3)?,
                is_feed: r.get(4)?,
                feed: r.get(5)?,
                added_at: r.get(6)?,
                last_read_at: r.get(7)?,
                last_status: r.get(8)?,
                last_error: r.get(9)?,
                next_read_at: r.get(10)?,
                published_at: r.get(11)?,
                references: r.get(12)?,
                not_alive: r.get(13)?,
            })
        });
        self.wrap(rows.and_then(|m| m.collect()))
    }

    /// Articles whose last read failed, with why: (article, error, when).
    pub fn failing_articles(&self) -> Result<Vec<(String, String, Timestamp)>> {
        let mut stmt = self.wrap(self.conn.prepare(
            "SELECT COALESCE(url, source), last_error, last_read_at FROM articles
             WHERE last_error IS NOT NULL AND removed_at IS NULL AND last_read_at IS NOT NULL
             ORDER BY id",
        ))?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)));
        self.wrap(rows.and_then(|m| m.collect()))
    }
}

/// What `remove_article` did to the record.
#[derive(Debug, Clone, Default)]
pub struct RemovedRows {
    /// References that no other article cites: retired, or deleted with `purge`.
    pub orphaned_refs: u64,
    /// Snapshots deleted with those references (0 without `purge`).
    pub snapshots_deleted: u64,
}

impl Tx<'_> {
    /// Removes article `id` (a feed with the items it registered): its citations go, references
    /// no other article cites are retired, and with `purge` their checks, snapshots, lookups and
    /// submissions, the article's versions and the article itself are deleted. Returns the
    /// counts and the objects nothing needs any more (already gone from `objects`; their files
    /// are the caller's to delete after commit).
    pub fn remove_article(
        &self,
        id: i64,
        now: Timestamp,
        purge: bool,
    ) -> rusqlite::Result<(RemovedRows, Vec<String>)> {
        let c = self.conn();
        c.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS removing (id INTEGER PRIMARY KEY);
             DELETE FROM removing;
             CREATE TEMP TABLE IF NOT EXISTS orphans (id INTEGER PRIMARY KEY);
             DELETE FROM orphans;
             CREATE TEMP TABLE IF NOT EXISTS candidates (sha256 TEXT PRIMARY KEY);
             DELETE FROM candidates;",
        )?;
        c.execute(
            "INSERT INTO removing (id) SELECT ?1 UNION
             SELECT id FROM articles WHERE feed_id = ?1 AND origin = 'feed'",
            [id],
        )?;
        c.execute_batch(
            "INSERT INTO orphans (id) SELECT DISTINCT ref_id FROM citations
               WHERE article_id IN (SELECT id FROM removing)
                 AND ref_id NOT IN (SELECT ref_id FROM citations
                                    WHERE article_id NOT IN (SELECT id FROM removing));
             DELETE FROM citations WHERE article_id IN (SELECT id FROM removing);",
        )?;
        let orphaned: u64 = c.query_row("SELECT count(*) FROM orphans", [], |r| r.get(0))?;
        c.execute(
            "UPDATE articles SET removed_at = ?1 WHERE id IN (SELECT id FROM removing)",
            [now],
        )?;
        c.execute(
            "UPDATE refs SET retired_at = ?1 WHERE id IN (SELECT id FROM orphans)",
            [now],
        )?;
        let mut removed = RemovedRows {
            orphaned_refs: orphaned,
            snapshots_deleted: 0,
        };
        if !purge {
            return Ok((removed, Vec::new()));
        }
        c.execute_batch(
            "INSERT OR IGNORE INTO candidates SELECT sha256 FROM snapshots
               WHERE ref_id IN (SELECT id FROM orphans);
             INSERT OR IGNORE INTO candidates SELECT sha256 FROM article_captures
               WHERE article_id IN (SELECT id FROM removing);
             INSERT OR IGNORE INTO candidates SELECT last_sha256 FROM articles
               WHERE id IN (SELECT id FROM removing) AND last_sha256 IS NOT NULL;",
        )?;
        removed.snapshots_deleted = c.query_row(
            "SELECT count(*) FROM snapshots WHERE ref_id IN (SELECT id FROM orphans)",
            [],
            |r| r.get(0),
        )?;
        c.execute_batch(
            "UPDATE refs SET good_snapshot = NULL WHERE id IN (SELECT id FROM orphans);
             -- A timestamp tree is never changed: its leaves keep their data (so every other
             -- capture under the same root stays provable) and lose only the link to the row.
             UPDATE timestamp_leaves SET snapshot_id = NULL WHERE snapshot_id IN
               (SELECT id FROM snapshots WHERE ref_id IN (SELECT id FROM orphans));
             UPDATE timestamp_leaves SET capture_id = NULL WHERE capture_id IN
               (SELECT id FROM article_captures WHERE article_id IN (SELECT id FROM removing));
             DELETE FROM lookups WHERE ref_id IN (SELECT id FROM orphans);
             DELETE FROM submissions WHERE ref_id IN (SELECT id FROM orphans);
             DELETE FROM snapshots WHERE ref_id IN (SELECT id FROM orphans);
             DELETE FROM checks WHERE ref_id IN (SELECT id FROM orphans);
             DELETE FROM refs WHERE id IN (SELECT id FROM orphans);
             DELETE FROM article_captures WHERE article_id IN (SELECT id FROM removing);
             UPDATE articles SET feed_id = NULL WHERE feed_id IN (SELECT id FROM removing);
             DELETE FROM articles WHERE id IN (SELECT id FROM removing);",
        )?;
        // An object another reference or article still points at stays.
        let mut stmt = c.prepare(
            "SELECT sha256 FROM candidates
             WHERE sha256 NOT IN (SELECT sha256 FROM snapshots)
               AND sha256 NOT IN (SELECT sha256 FROM article_captures)
               AND sha256 NOT IN (SELECT last_sha256 FROM articles WHERE last_sha256 IS NOT NULL)",
        )?;
        let unneeded: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut del = c.prepare("DELETE FROM objects WHERE sha256 = ?1")?;
        for sha in &unneeded {
            del.execute([sha])?;
        }
        Ok((removed, unneeded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run loads the registered articles it may read (due, or saved files; all of them with
    /// `--recheck`), never those waiting for their date, removed ones or config ones, and finds
    /// them through indexes, not by reading every article.
    #[test]
    fn a_run_loads_only_the_articles_it_may_read() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        db.conn
            .execute_batch(
                r"INSERT INTO articles (id, source, origin, added_at, next_read_at, removed_at)
                  VALUES (1, 'https://a.example/due', 'cli', 0, 50, NULL),
                         (2, 'https://a.example/later', 'cli', 0, 500, NULL),
                         (3, '/home/me/saved.html', 'cli', 0, 500, NULL),
                         (4, 'http://a.example/item', 'feed', 0, 0, NULL),
                         (5, 'https://a.example/removed', 'cli', 0, 0, 7),
                         (6, 'https://a.example/config', 'config', 0, 0, NULL),
                         (7, 'C:\Users\me\saved.html', 'cli', 0, 500, NULL);",
            )
            .unwrap();
        let ids = |now, all| -> Vec<i64> {
            let rows = db.registered_articles_due(now, all).unwrap();
            rows.into_iter().map(|r| r.id).collect()
        };
        assert_eq!(ids(100, false), [1, 3, 4, 7]);
        assert_eq!(ids(100, true), [1, 2, 3, 4, 7]);
        let known = |source| db.registered_article(source).unwrap().map(|r| r.id);
        assert_eq!(known("https://a.example/later"), Some(2));
        assert_eq!(known("https://a.example/config"), None);
        assert_eq!(known("https://a.example/removed"), None);
        let plan = super::super::query_plan(
            &db,
            &format!("SELECT {COLS} FROM articles WHERE {REGISTERED_DUE} ORDER BY id"),
        );
        assert!(!plan.contains("SCAN articles"), "{plan}");
    }
}
