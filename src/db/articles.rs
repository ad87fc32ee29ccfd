//! Articles: the pages, files and feeds linkvault reads, and what it learned reading them.

use rusqlite::{params, OptionalExtension};

use super::{Db, Result, Tx};
use crate::clock::Timestamp;

#[derive(Debug, Clone)]
pub struct ArticleRow {
    pub id: i64,
    pub source: String,
    pub url: Option<String>,
    pub origin: String,
    pub is_feed: bool,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_sha256: Option<String>,
    pub next_read_at: Timestamp,
}

/// One version of an article as read: a page from the web, or a copy of a saved file.
#[derive(Debug, Clone)]
pub struct NewArticleCapture<'a> {
    pub article_id: i64,
    pub url: &'a str,
    pub sha256: &'a str,
    pub bytes: u64,
    pub content_type: Option<&'a str>,
    /// None for a saved file.
    pub http_status: Option<u16>,
    pub captured_at: Timestamp,
    pub headers_json: Option<&'a str>,
    pub http_version: Option<&'a str>,
    pub reason_phrase: Option<&'a str>,
    /// Its visible text differs from the version before (not just ads and timestamps).
    pub edited: bool,
}

/// What one read of an article found.
#[derive(Debug, Clone, Default)]
pub struct ArticleRead {
    pub url: Option<String>,
    pub title: Option<String>,
    pub is_feed: bool,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub sha256: Option<String>,
    pub bytes: u64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub next_read_at: Timestamp,
    /// When the page says it was published (kept from the last read that said so).
    pub published_at: Option<Timestamp>,
}

const COLS: &str =
    "id, source, url, origin, is_feed, etag, last_modified, last_sha256, next_read_at";

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
    })
}

impl Tx<'_> {
    /// Registers an article (or returns the existing one). An article once given on the
    /// command line stays registered as `cli` even if the config names it too.
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
                   feed_id = COALESCE(articles.feed_id, excluded.feed_id)",
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
                "SELECT sha256 FROM article_captures WHERE article_id = ?1
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
                   http_status, captured_at, headers, http_version, reason_phrase, edited)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
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
                c.edited
            ])?;
        Ok(true)
    }

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
    /// Articles registered by earlier `run ARTICLE…` calls and feed items: read again each run.
    pub fn registered_articles(&self) -> Result<Vec<ArticleRow>> {
        let mut stmt = self.wrap(self.conn.prepare(&format!(
            "SELECT {COLS} FROM articles WHERE origin IN ('cli', 'feed') ORDER BY id"
        )))?;
        let rows = self.wrap(stmt.query_map([], row).and_then(|m| m.collect()))?;
        Ok(rows)
    }

    /// The article ids matching a URL or source as the user typed it.
    pub fn find_article(&self, url_or_source: &str) -> Result<Option<i64>> {
        self.wrap(
            self.conn
                .query_row(
                    "SELECT id FROM articles WHERE source = ?1 OR url = ?1 ORDER BY id LIMIT 1",
                    [url_or_source],
                    |r| r.get(0),
                )
                .optional(),
        )
    }
}
