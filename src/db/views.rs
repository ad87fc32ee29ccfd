//! Read-only views for `report`, `history`, `restore` and `verify`.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::{Db, DbError, Result};
use crate::clock::Timestamp;
use crate::model::{Kind, State};

/// A reference's good snapshot, as a report row shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotInfo {
    /// The stored object: SHA-256 as 64 lowercase hex digits.
    pub sha256: String,
    /// Its size in bytes, as stored.
    pub bytes: u64,
    /// The `Content-Type` it was captured with, if any.
    pub content_type: Option<String>,
    /// When it was captured (Unix seconds; for a rescued copy, when the archive captured it).
    pub captured_at: Timestamp,
    /// Where the copy comes from: our own capture, or a web archive.
    pub provenance: Provenance,
}

/// Where a snapshot's bytes come from. A rescued copy is never presented as our own capture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Provenance {
    /// linkvault fetched it from the reference's own server.
    Own,
    /// linkvault fetched it from a web archive.
    Memento {
        /// The TimeGate prefix that led to it.
        archive: String,
        /// The memento as the archive names it.
        memento_url: String,
        /// When the archive captured it.
        memento_datetime: Timestamp,
        /// Taken as served (not the raw `id_` form): the archive may have rewritten it.
        rewritten: bool,
    },
}

impl Provenance {
    /// `self` or `memento`, as the database and the JSON report spell it.
    pub fn origin(&self) -> &'static str {
        match self {
            Provenance::Own => "self",
            Provenance::Memento { .. } => "memento",
        }
    }

    /// "‹archive› (‹date›)" for a memento: where and when the copy was made.
    pub fn archive_and_date(&self) -> Option<String> {
        match self {
            Provenance::Own => None,
            Provenance::Memento {
                archive,
                memento_datetime,
                ..
            } => Some(format!(
                "{} ({})",
                archive_name(archive),
                crate::clock::format_date(*memento_datetime)
            )),
        }
    }

    /// "rescued from ‹archive› (‹date›)" for a memento.
    pub fn rescued_phrase(&self) -> Option<String> {
        self.archive_and_date().map(|a| format!("rescued from {a}"))
    }

    /// Reads `origin, archive, memento_url, memento_datetime, rewritten` starting at column `i`.
    fn read(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Provenance> {
        let origin: Option<String> = r.get(i)?;
        if origin.as_deref() != Some("memento") {
            return Ok(Provenance::Own);
        }
        Ok(Provenance::Memento {
            archive: r.get::<_, Option<String>>(i + 1)?.unwrap_or_default(),
            memento_url: r.get::<_, Option<String>>(i + 2)?.unwrap_or_default(),
            memento_datetime: r.get::<_, Option<Timestamp>>(i + 3)?.unwrap_or(0),
            rewritten: r.get::<_, Option<bool>>(i + 4)?.unwrap_or(false),
        })
    }
}

/// A TimeGate prefix's host and port: `https://web.archive.org/web/` → `web.archive.org`.
pub fn archive_name(prefix: &str) -> String {
    match url::Url::parse(prefix) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => prefix.to_string(),
        },
        Err(_) => prefix.to_string(),
    }
}

/// One reference as the report shows it.
#[derive(Debug, Clone)]
pub struct LinkRow {
    /// The reference's row id.
    pub id: i64,
    /// The URL as recorded.
    pub url: String,
    /// The URL's host name, without port.
    pub host: String,
    /// What the citations say it is.
    pub kind: Kind,
    /// Its state after the last check.
    pub state: State,
    /// Why it is in that state, as stored (`ok`, `dns`, `http_404`, ...); None before the first
    /// check.
    pub reason: Option<String>,
    /// The HTTP status the last check got; None when no server answered.
    pub http_status: Option<u16>,
    /// The URL that answered the last check (after redirects).
    pub final_url: Option<String>,
    /// When an article first cited it (Unix seconds).
    pub first_seen: Timestamp,
    /// When it was last checked (Unix seconds); None if never.
    pub last_checked: Option<Timestamp>,
    /// When a check last found it alive (Unix seconds); None if never.
    pub last_alive: Option<Timestamp>,
    /// When the current failing streak began (Unix seconds); None while alive.
    pub dead_since: Option<Timestamp>,
    /// How many checks it has had.
    pub checks: i64,
    /// Its failure is confirmed by enough spaced checks, not a blip.
    pub confirmed: bool,
    /// The articles citing it, each by its public URL if known, else as registered.
    pub articles: Vec<String>,
    /// The copy held of it (the good snapshot); None when there is none.
    pub snapshot: Option<SnapshotInfo>,
    /// For video pages: captured | page_only | not_video (None: not a video page).
    pub video_status: Option<String>,
}

/// The report's counts: articles, and current references by state.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Articles covered (not feeds, not removed).
    pub articles: u64,
    /// Current references covered (retired ones left out).
    pub links: u64,
    /// References found alive.
    pub alive: u64,
    /// References found dead.
    pub dead: u64,
    /// References blocked (401, 403, 451, or refused by our address policy): there, but not to us.
    pub blocked: u64,
    /// References failing for now (not yet confirmed).
    pub transient: u64,
    /// References not checked yet.
    pub unchecked: u64,
    /// Not alive, but a copy is held: our own capture or one rescued from a web archive.
    pub rescued: u64,
    /// Of those, the ones whose copy was rescued from a web archive.
    pub rescued_from_archives: u64,
    /// Failing (dead, blocked or transient) with no copy held: lost.
    pub lost: u64,
    /// Video pages held as pages only because yt-dlp was not installed.
    pub video_page_only: u64,
    /// Articles whose text has changed at least once since first read.
    pub articles_edited: u64,
    /// Articles whose last read failed (`articles_not_read` in the report lists them).
    pub articles_not_read: u64,
}

/// One check as `history` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct CheckRow {
    /// When it was checked (Unix seconds).
    pub checked_at: Timestamp,
    /// The verdict, as stored (`alive`, `dead`, `blocked` or `transient`).
    pub state: String,
    /// Why, as stored (`ok`, `dns`, `http_404`, ...).
    pub reason: String,
    /// The HTTP status; None when no server answered.
    pub http_status: Option<u16>,
    /// The URL that answered (after redirects); None when none did.
    pub final_url: Option<String>,
    /// The redirect hops before `final_url`, JSON `[{"url": ..., "status": ...}, ...]`; None
    /// without redirects.
    pub redirects: Option<String>,
    /// What went wrong, in words; None if nothing did.
    pub error: Option<String>,
    /// The size in bytes of the body stored; None when none was.
    pub bytes: Option<u64>,
    /// The stored body: SHA-256 as 64 lowercase hex digits; None when none was stored.
    pub sha256: Option<String>,
    /// The `Content-Type` as received, if any.
    pub content_type: Option<String>,
    /// How long the check took, in milliseconds.
    pub elapsed_ms: u64,
    /// How many requests it took (1 without retries).
    pub attempts: u32,
    /// The run found the network down: the check does not count.
    pub network_down: bool,
    /// A 200 whose content differs from the last good capture (by visible text for HTML).
    pub drift: bool,
    /// What the video step (yt-dlp) did, in words; None when there was none.
    pub video: Option<String>,
}

/// One stored capture as `history` and `serve` show it: a reference's snapshot (or, from
/// `mementos`, a version of an article page).
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotRow {
    /// The stored object: SHA-256 as 64 lowercase hex digits.
    pub sha256: String,
    /// Its size in bytes, as stored.
    pub bytes: u64,
    /// The `Content-Type` it was captured with, if any.
    pub content_type: Option<String>,
    /// The HTTP status of the response; 0 when none was recorded.
    pub http_status: u16,
    /// When it was captured (Unix seconds; for a rescued copy, when the archive captured it).
    pub captured_at: Timestamp,
    /// A faithful copy of the cited content, never an error page.
    pub good: bool,
    /// body (the response itself), video (media yt-dlp downloaded), video_info (its info JSON).
    pub role: String,
    /// The tool and its version that made it, e.g. `yt-dlp 2026.10.26`; None for a response body.
    pub tool: Option<String>,
    /// Where the copy comes from: our own capture, or a web archive.
    pub provenance: Provenance,
    /// When `verify --repair` found its object corrupted or missing (no longer a copy).
    pub lost_at: Option<Timestamp>,
    /// Its trusted timestamp, if any (filled by [`Db::snapshots_of`] only).
    #[serde(skip)]
    pub stamp: super::Stamp,
}

/// Everything known about one reference, oldest first.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    /// The reference as the report shows it.
    pub link: LinkRow,
    /// Every check, oldest first.
    pub checks: Vec<CheckRow>,
    /// Every snapshot, oldest first, lost ones included.
    pub snapshots: Vec<SnapshotRow>,
    /// Every lookup in the web archives, per archive.
    pub lookups: Vec<super::LookupRow>,
    /// Every submission to a save endpoint.
    pub submissions: Vec<super::SubmissionRow>,
}

/// An article and every version of it read (web pages and copies of saved files), oldest first.
#[derive(Debug, Clone)]
pub struct ArticleHistory {
    /// The article's row id.
    pub id: i64,
    /// What it was registered as: a URL as given, or an absolute file path.
    pub source: String,
    /// Its public URL when known (after redirects, or the canonical URL a saved file names).
    pub url: Option<String>,
    /// The page's title, once read.
    pub title: Option<String>,
    /// When it was last read (Unix seconds); None if never.
    pub last_read_at: Option<Timestamp>,
    /// The HTTP status of the last read; None for a file or when no answer came.
    pub last_status: Option<u16>,
    /// Why the last read failed; None if it did not.
    pub last_error: Option<String>,
    /// When the article says it was published (meta tags, JSON-LD, `<time>`).
    pub published_at: Option<Timestamp>,
    /// References it cites.
    pub cites: u64,
    /// Every version read (pages from the web and copies of saved files), oldest first.
    pub captures: Vec<ArticleCaptureRow>,
}

/// One version of an article page or a saved file, as read.
#[derive(Debug, Clone)]
pub struct ArticleCaptureRow {
    /// Its row id.
    pub id: i64,
    /// The URL that answered (after redirects), or the `file:` URL of a saved file.
    pub url: String,
    /// The stored object: SHA-256 as 64 lowercase hex digits.
    pub sha256: String,
    /// Its size in bytes, as stored.
    pub bytes: u64,
    /// The `Content-Type` as received, if any.
    pub content_type: Option<String>,
    /// None for a copy of a saved file.
    pub http_status: Option<u16>,
    /// When it was read (Unix seconds).
    pub captured_at: Timestamp,
    /// Its visible text differs from the version before.
    pub edited: bool,
    /// When `verify --repair` found its object corrupted or missing.
    pub lost_at: Option<Timestamp>,
    /// The browser's full-page screenshot of this version (the latest, if rendered again).
    pub screenshot: Option<ScreenshotRow>,
    /// Its trusted timestamp, if any.
    pub stamp: super::Stamp,
}

/// A full-page screenshot of an article version.
#[derive(Debug, Clone)]
pub struct ScreenshotRow {
    /// The PNG's SHA-256 as 64 lowercase hex digits.
    pub sha256: String,
    /// The PNG's size in bytes.
    pub bytes: u64,
    /// When it was taken (Unix seconds).
    pub captured_at: Timestamp,
    /// The browser, e.g. `Chromium 156.0.8078.108`.
    pub tool: Option<String>,
    /// How the rendering went, if worth saying.
    pub note: Option<String>,
    /// Width in pixels; None if not recorded.
    pub width: Option<u32>,
    /// Height in pixels; None if not recorded.
    pub height: Option<u32>,
    /// When `verify --repair` found its object corrupted or missing.
    pub lost_at: Option<Timestamp>,
    /// Its trusted timestamp, if any.
    pub stamp: super::Stamp,
}

/// A capture (a reference's snapshot or a version of an article page) with what an export
/// needs to write it as a WARC record.
#[derive(Debug, Clone)]
pub struct ExportSnapshot {
    /// The URL captured: a reference's, or an article page's.
    pub url: String,
    /// The stored object: SHA-256 as 64 lowercase hex digits.
    pub sha256: String,
    /// Its size in bytes, as stored.
    pub bytes: u64,
    /// The `Content-Type` it was captured with, if any.
    pub content_type: Option<String>,
    /// The HTTP status of the response; 0 for a screenshot or when none was recorded.
    pub http_status: u16,
    /// When it was captured (Unix seconds; for a rescued copy, when the archive captured it).
    pub captured_at: Timestamp,
    /// What it is: `body`, `video`, `video_info` or `screenshot`.
    pub role: String,
    /// JSON `[[name, value], …]` as received.
    pub headers: Option<String>,
    /// `HTTP/1.1`, `HTTP/2`…; None for captures recorded before these were kept.
    pub http_version: Option<String>,
    /// The reason phrase as received (HTTP/1 only).
    pub reason_phrase: Option<String>,
    /// Where the copy comes from: our own capture, or a web archive.
    pub provenance: Provenance,
    /// When linkvault fetched a rescued copy from its archive.
    pub rescued_at: Option<Timestamp>,
    /// The Content-Encoding the body arrived in; the object holds it decoded.
    pub decoded_from: Option<String>,
    /// Its leaf in a timestamp tree, if any: (tree id, leaf index).
    pub leaf: Option<(i64, u64)>,
}

/// An article as `pages.jsonl` lists it.
#[derive(Debug, Clone)]
pub struct ExportPage {
    /// The article's public URL if known, else as registered.
    pub url: String,
    /// The page's title, once read.
    pub title: Option<String>,
    /// When it was last read (Unix seconds); None if never.
    pub read_at: Option<Timestamp>,
}

/// An object the record holds (not lost).
#[derive(Debug, Clone)]
pub struct ObjectRow {
    /// SHA-256 as 64 lowercase hex digits.
    pub sha256: String,
    /// Its size in bytes.
    pub bytes: u64,
}

/// The columns of a report row, with `$articles` as the citing articles' column.
macro_rules! link_columns {
    ($articles:literal) => {
        concat!(
            "r.id, r.url, r.host, r.kind, r.state, r.reason, r.http_status, r.final_url,
             r.first_seen, r.last_checked, r.last_alive, r.dead_since, r.checks, r.confirmed,
             s.sha256, s.bytes, s.content_type, s.captured_at, r.video_status, ",
            $articles,
            ", s.origin, s.archive, s.memento_url, s.memento_datetime, s.rewritten"
        )
    };
}
/// Columns of a report row; the citing articles come as one newline-separated column.
const LINK_COLUMNS: &str = link_columns!(
    "(SELECT group_concat(COALESCE(a.url, a.source), char(10)) FROM citations c
       JOIN articles a ON a.id = c.article_id WHERE c.ref_id = r.id)"
);
/// `LINK_COLUMNS` without the citing articles: two lookups less per reference.
const LINK_COLUMNS_UNCITED: &str = link_columns!("NULL");
/// How many columns `LINK_COLUMNS` has (a query may add more after them).
const LINK_COLUMN_COUNT: usize = 25;

/// The snapshot columns `snapshot_row` reads, from a table aliased `s`.
const SNAPSHOT_COLUMNS: &str = "s.sha256, s.bytes, s.content_type, s.http_status, s.captured_at,
    s.good, s.role, s.tool, s.origin, s.archive, s.memento_url, s.memento_datetime, s.rewritten,
    s.lost_at";

/// The report's counts by state, from the covering index `refs_state` alone: no reference
/// row is read. `?1`: an article, or NULL for all.
const SUMMARY_COUNTS: &str =
    "SELECT r.state, count(*), count(r.good_snapshot), sum(r.video_status = 'page_only')
     FROM refs r
     WHERE (?1 IS NULL OR r.id IN (SELECT ref_id FROM citations WHERE article_id = ?1))
       AND r.retired_at IS NULL
     GROUP BY r.state";

/// Failing references whose copy held was rescued from a web archive, counted from the rescued
/// copies (`snapshots_memento`) to their references, never the other way (CROSS JOIN keeps
/// that order). `?1`: an article, or NULL for all.
const RESCUED_FROM_ARCHIVES: &str =
    "SELECT count(*) FROM snapshots s CROSS JOIN refs r ON r.id = s.ref_id
     WHERE s.origin = 'memento' AND r.good_snapshot = s.id
       AND r.state IN ('dead', 'blocked', 'transient') AND r.retired_at IS NULL
       AND (?1 IS NULL OR r.id IN (SELECT ref_id FROM citations WHERE article_id = ?1))";

/// Which references a report covers.
#[derive(Debug, Clone, Copy)]
pub struct LinkFilter {
    /// Only references cited by this article.
    pub article: Option<i64>,
    /// Include alive references (the default report shows only the others).
    pub include_alive: bool,
}

/// What the web view's report lists: filters as the form gives them, and one page of rows.
#[derive(Debug, Clone, Default)]
pub struct ReportQuery {
    /// Include alive references (a `state` of `alive` includes them too).
    pub include_alive: bool,
    /// Only references in this state.
    pub state: Option<State>,
    /// Only references of this kind.
    pub kind: Option<Kind>,
    /// A host, matching its subdomains too.
    pub host: Option<String>,
    /// A substring of a citing article's URL, path or title (case-insensitive).
    pub article: Option<String>,
    /// At most this many rows.
    pub limit: usize,
    /// Rows to skip before the first (for paging).
    pub offset: usize,
}

/// Reads a row selected as `SNAPSHOT_COLUMNS`.
fn snapshot_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SnapshotRow> {
    Ok(SnapshotRow {
        sha256: r.get(0)?,
        bytes: r.get(1)?,
        content_type: r.get(2)?,
        http_status: r.get(3)?,
        captured_at: r.get(4)?,
        good: r.get(5)?,
        role: r.get(6)?,
        tool: r.get(7)?,
        provenance: Provenance::read(r, 8)?,
        lost_at: r.get(13)?,
        stamp: super::Stamp::None,
    })
}

fn export_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ExportSnapshot> {
    Ok(ExportSnapshot {
        url: r.get(0)?,
        sha256: r.get(1)?,
        bytes: r.get(2)?,
        content_type: r.get(3)?,
        http_status: r.get(4)?,
        captured_at: r.get(5)?,
        role: r.get(6)?,
        headers: r.get(7)?,
        http_version: r.get(8)?,
        reason_phrase: r.get(9)?,
        provenance: Provenance::read(r, 10)?,
        rescued_at: r.get(15)?,
        decoded_from: r.get(16)?,
        leaf: match (r.get::<_, Option<i64>>(17)?, r.get::<_, Option<u64>>(18)?) {
            (Some(tree), Some(idx)) => Some((tree, idx)),
            _ => None,
        },
    })
}

fn link_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LinkRow> {
    let sha: Option<String> = r.get(14)?;
    Ok(LinkRow {
        id: r.get(0)?,
        url: r.get(1)?,
        host: r.get(2)?,
        kind: Kind::parse(&r.get::<_, String>(3)?).unwrap_or(Kind::Other),
        state: State::parse(&r.get::<_, String>(4)?).unwrap_or(State::Unchecked),
        reason: r.get(5)?,
        http_status: r.get(6)?,
        final_url: r.get(7)?,
        first_seen: r.get(8)?,
        last_checked: r.get(9)?,
        last_alive: r.get(10)?,
        dead_since: r.get(11)?,
        checks: r.get(12)?,
        confirmed: r.get(13)?,
        articles: r
            .get::<_, Option<String>>(19)?
            .map(|a| a.split('\n').map(str::to_string).collect())
            .unwrap_or_default(),
        video_status: r.get(18)?,
        snapshot: match sha {
            Some(sha256) => Some(SnapshotInfo {
                sha256,
                bytes: r.get(15)?,
                content_type: r.get(16)?,
                captured_at: r.get(17)?,
                provenance: Provenance::read(r, 20)?,
            }),
            None => None,
        },
    })
}

impl Db {
    /// Visits the references a report covers, in id order, one row at a time (a million rows
    /// never sit in memory together).
    pub fn for_each_link<E: From<DbError>>(
        &self,
        filter: LinkFilter,
        visit: impl FnMut(LinkRow) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.visit_links(LINK_COLUMNS, filter, visit)
    }

    /// As [`Db::for_each_link`], each row's `articles` left empty: for a listing that does not
    /// name the citing articles (the end of a quiet run), which is then quicker.
    pub fn for_each_link_uncited<E: From<DbError>>(
        &self,
        filter: LinkFilter,
        visit: impl FnMut(LinkRow) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.visit_links(LINK_COLUMNS_UNCITED, filter, visit)
    }

    fn visit_links<E: From<DbError>>(
        &self,
        columns: &str,
        filter: LinkFilter,
        mut visit: impl FnMut(LinkRow) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let sql = format!(
            "SELECT {columns} FROM refs r LEFT JOIN snapshots s ON s.id = r.good_snapshot
             WHERE (?1 IS NULL OR r.id IN (SELECT ref_id FROM citations WHERE article_id = ?1))
               AND (?2 OR r.state != 'alive') AND r.retired_at IS NULL
             ORDER BY r.id"
        );
        self.visit_rows(&sql, filter, false, |row, _| visit(row))
    }

    /// One page of the web report: references matching `q`, the ones failing most recently
    /// first, then the alive; and how many match in all.
    pub fn report_rows(&self, q: &ReportQuery) -> Result<(Vec<LinkRow>, u64)> {
        let filter = "FROM refs r LEFT JOIN snapshots s ON s.id = r.good_snapshot
             WHERE r.retired_at IS NULL
               AND (?1 OR r.state != 'alive')
               AND (?2 IS NULL OR r.state = ?2)
               AND (?3 IS NULL OR r.kind = ?3)
               AND (?4 IS NULL OR r.host = ?4 OR r.host LIKE '%.' || ?4)
               AND (?5 IS NULL OR r.id IN (
                     SELECT c.ref_id FROM citations c JOIN articles a ON a.id = c.article_id
                     WHERE instr(lower(COALESCE(a.url, a.source) || char(10) || COALESCE(a.title, '')), lower(?5)) > 0))";
        let include_alive = q.include_alive || q.state == Some(State::Alive);
        let host = q
            .host
            .as_deref()
            .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase());
        let args = params![
            include_alive,
            q.state.map(State::as_str),
            q.kind.map(Kind::as_str),
            host,
            q.article.as_deref(),
            q.limit as i64,
            q.offset as i64
        ];
        let total: u64 = self.wrap(self.conn.query_row(
            &format!("SELECT count(*) {filter}"),
            &args[..5],
            |r| r.get(0),
        ))?;
        let mut stmt = self.wrap(self.conn.prepare(&format!(
            "SELECT {LINK_COLUMNS} {filter}
             ORDER BY r.state = 'alive', r.state = 'unchecked', r.dead_since DESC, r.id
             LIMIT ?6 OFFSET ?7"
        )))?;
        let rows = self.wrap(stmt.query_map(args, link_row).and_then(|m| m.collect()))?;
        Ok((rows, total))
    }

    /// Visits (article, reference) pairs ordered by article, for reports grouped by article.
    pub fn for_each_cited_link<E: From<DbError>>(
        &self,
        filter: LinkFilter,
        mut visit: impl FnMut(LinkRow, &str) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let sql = format!(
            "SELECT {LINK_COLUMNS}, COALESCE(ca.url, ca.source)
             FROM citations cc JOIN articles ca ON ca.id = cc.article_id
             JOIN refs r ON r.id = cc.ref_id LEFT JOIN snapshots s ON s.id = r.good_snapshot
             WHERE (?1 IS NULL OR cc.article_id = ?1) AND (?2 OR r.state != 'alive')
             ORDER BY ca.id, r.id"
        );
        self.visit_rows(&sql, filter, true, |row, article| {
            visit(row, article.unwrap_or(""))
        })
    }

    fn visit_rows<E: From<DbError>>(
        &self,
        sql: &str,
        filter: LinkFilter,
        with_article: bool,
        mut visit: impl FnMut(LinkRow, Option<&str>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut stmt = self.wrap(self.conn.prepare(sql))?;
        let mut rows = self.wrap(stmt.query(params![filter.article, filter.include_alive]))?;
        while let Some(r) = self.wrap(rows.next())? {
            let link = self.wrap(link_row(r))?;
            let article: Option<String> = if with_article {
                self.wrap(r.get(LINK_COLUMN_COUNT))?
            } else {
                None
            };
            visit(link, article.as_deref())?;
        }
        Ok(())
    }

    /// Visits every counted check (network-down runs excluded) in time order as
    /// (reference id, time, state): the raw series behind the link-rot chart.
    pub fn for_each_check_state<E: From<DbError>>(
        &self,
        article: Option<i64>,
        mut visit: impl FnMut(i64, Timestamp, &str) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut stmt = self.wrap(self.conn.prepare(
            "SELECT ref_id, checked_at, state FROM checks
             WHERE network_down = 0
               AND (?1 IS NULL OR ref_id IN (SELECT ref_id FROM citations WHERE article_id = ?1))
             ORDER BY checked_at, id",
        ))?;
        let mut rows = self.wrap(stmt.query([article]))?;
        while let Some(r) = self.wrap(rows.next())? {
            // The state borrowed from the row: no allocation per check (millions of them).
            let (id, at, state): (i64, Timestamp, &str) = self.wrap((|| {
                Ok((r.get(0)?, r.get(1)?, r.get_ref(2)?.as_str().unwrap_or("")))
            })())?;
            visit(id, at, state)?;
        }
        Ok(())
    }

    /// Per host: references, and how many are alive / dead / blocked / transient (survival view).
    pub fn host_counts(&self, article: Option<i64>) -> Result<Vec<(String, [u64; 5])>> {
        let mut stmt = self.wrap(self.conn.prepare(
            "SELECT host, count(*), sum(state = 'alive'), sum(state = 'dead'), sum(state = 'blocked'),
                    sum(state = 'transient')
             FROM refs r
             WHERE (?1 IS NULL OR r.id IN (SELECT ref_id FROM citations WHERE article_id = ?1))
               AND r.retired_at IS NULL
             GROUP BY host ORDER BY sum(state != 'alive') DESC, count(*) DESC, host LIMIT 200",
        ))?;
        let rows = self.wrap(
            stmt.query_map([article], |r| {
                Ok((
                    r.get(0)?,
                    [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?],
                ))
            })
            .and_then(|m| m.collect()),
        )?;
        Ok(rows)
    }

    /// Articles citing something that is not alive, most affected first (for per-article charts).
    pub fn articles_with_rot(&self, limit: usize) -> Result<Vec<(i64, String)>> {
        let mut stmt = self.wrap(self.conn.prepare(
            "SELECT a.id, COALESCE(a.url, a.source) FROM articles a
             JOIN citations c ON c.article_id = a.id JOIN refs r ON r.id = c.ref_id
             WHERE r.state NOT IN ('alive', 'unchecked')
             GROUP BY a.id ORDER BY count(*) DESC, a.id LIMIT ?1",
        ))?;
        let rows = self.wrap(
            stmt.query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))
                .and_then(|m| m.collect()),
        )?;
        Ok(rows)
    }

    /// The report's counts, computed by SQLite over every covered reference.
    pub fn summary(&self, article: Option<i64>) -> Result<Summary> {
        let mut s = Summary {
            articles: self.article_count(article)?,
            articles_edited: self.wrap(self.conn.query_row(
                "SELECT count(DISTINCT article_id) FROM article_captures
                 WHERE edited = 1 AND (?1 IS NULL OR article_id = ?1)",
                [article],
                |r| r.get(0),
            ))?,
            articles_not_read: self.wrap(self.conn.query_row(
                "SELECT count(*) FROM articles WHERE last_error IS NOT NULL
                 AND removed_at IS NULL AND (?1 IS NULL OR id = ?1)",
                [article],
                |r| r.get(0),
            ))?,
            ..Summary::default()
        };
        let mut stmt = self.wrap(self.conn.prepare_cached(SUMMARY_COUNTS))?;
        // state, references, with a snapshot, video pages only
        type Counts = (String, u64, u64, Option<u64>);
        let rows: Vec<Counts> = self.wrap(
            stmt.query_map([article], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .and_then(|m| m.collect()),
        )?;
        for (state, n, with_snapshot, page_only) in rows {
            s.links += n;
            s.video_page_only += page_only.unwrap_or(0);
            match State::parse(&state).unwrap_or(State::Unchecked) {
                State::Alive => s.alive += n,
                State::Dead => s.dead += n,
                State::Blocked => s.blocked += n,
                State::Transient => s.transient += n,
                State::Unchecked => s.unchecked += n,
            }
            if matches!(state.as_str(), "dead" | "blocked" | "transient") {
                s.rescued += with_snapshot;
                s.lost += n - with_snapshot;
            }
        }
        s.rescued_from_archives = self.rescued_from_archives(article)?;
        Ok(s)
    }

    /// Failing references whose copy held was rescued from a web archive (see
    /// `RESCUED_FROM_ARCHIVES`): the count costs what there is to count.
    fn rescued_from_archives(&self, article: Option<i64>) -> Result<u64> {
        let mut stmt = self.wrap(self.conn.prepare_cached(RESCUED_FROM_ARCHIVES))?;
        self.wrap(stmt.query_row([article], |r| r.get(0)))
    }

    /// How many current references (cited by `article`, or all) satisfy `condition`, an SQL
    /// expression over `refs r` that may use `?2` (a time bound). Only `report` calls this,
    /// with fixed conditions.
    pub fn count_refs_where(
        &self,
        condition: &str,
        article: Option<i64>,
        bound: Timestamp,
    ) -> Result<u64> {
        self.wrap(self.conn.query_row(
            &format!(
                "SELECT count(*) FROM refs r WHERE r.retired_at IS NULL
                   AND (?1 IS NULL OR r.id IN (SELECT ref_id FROM citations WHERE article_id = ?1))
                   AND ({condition}) AND ?2 = ?2"
            ),
            params![article, bound],
            |r| r.get(0),
        ))
    }

    /// When the latest run began (None before the first run).
    pub fn latest_run_start(&self) -> Result<Option<Timestamp>> {
        self.wrap(
            self.conn
                .query_row("SELECT max(started_at) FROM runs", [], |r| r.get(0)),
        )
    }

    /// How many articles (not feeds, not removed) there are: all of them, or just `article`.
    pub fn article_count(&self, article: Option<i64>) -> Result<u64> {
        self.wrap(self.conn.query_row(
            "SELECT count(*) FROM articles
             WHERE (?1 IS NULL OR id = ?1) AND is_feed = 0 AND removed_at IS NULL",
            [article],
            |r| r.get(0),
        ))
    }

    /// The reference recorded as `url` (retired or not), as a report row shows it.
    pub fn link_by_url(&self, url: &str) -> Result<Option<LinkRow>> {
        let sql = format!(
            "SELECT {LINK_COLUMNS} FROM refs r LEFT JOIN snapshots s ON s.id = r.good_snapshot WHERE r.url = ?1"
        );
        let mut stmt = self.wrap(self.conn.prepare_cached(&sql))?;
        self.wrap(stmt.query_row([url], link_row).optional())
    }

    /// The history of the reference stored under the first of `keys` that matches.
    pub fn history_by_keys(&self, keys: &[String]) -> Result<Option<HistoryRow>> {
        for key in keys {
            if let Some(h) = self.history(key)? {
                return Ok(Some(h));
            }
        }
        Ok(None)
    }

    /// Everything known about the reference recorded as `url` (retired or not), if there is one.
    pub fn history(&self, url: &str) -> Result<Option<HistoryRow>> {
        let Some(link) = self.link_by_url(url)? else {
            return Ok(None);
        };
        // Cached: `export` asks for every reference's history in turn.
        let mut stmt = self.wrap(self.conn.prepare_cached(
            "SELECT checked_at, state, reason, http_status, final_url, redirects, error, bytes, sha256,
                    content_type, elapsed_ms, attempts, network_down, drift, video
             FROM checks WHERE ref_id = ?1 ORDER BY checked_at, id",
        ))?;
        let checks = self.wrap(
            stmt.query_map([link.id], |r| {
                Ok(CheckRow {
                    checked_at: r.get(0)?,
                    state: r.get(1)?,
                    reason: r.get(2)?,
                    http_status: r.get(3)?,
                    final_url: r.get(4)?,
                    redirects: r.get(5)?,
                    error: r.get(6)?,
                    bytes: r.get(7)?,
                    sha256: r.get(8)?,
                    content_type: r.get(9)?,
                    elapsed_ms: r.get(10)?,
                    attempts: r.get(11)?,
                    network_down: r.get(12)?,
                    drift: r.get(13)?,
                    video: r.get(14)?,
                })
            })
            .and_then(|m| m.collect()),
        )?;
        let snapshots = self.snapshots_of(link.id)?;
        let lookups = self.lookups_of(link.id)?;
        let submissions = self.submissions_of(link.id)?;
        Ok(Some(HistoryRow {
            link,
            checks,
            snapshots,
            lookups,
            submissions,
        }))
    }

    /// The article known by `url` (as registered, or the URL it was last read at).
    pub fn article_history(&self, url: &str) -> Result<Option<ArticleHistory>> {
        let id: Option<i64> = self.wrap(
            self.conn
                .query_row(
                    "SELECT id FROM articles WHERE source = ?1 OR url = ?1 ORDER BY id LIMIT 1",
                    [url],
                    |r| r.get(0),
                )
                .optional(),
        )?;
        id.map(|id| self.article_history_by_id(id)).transpose()
    }

    /// Article `id`: what is known of it and every version read.
    pub fn article_history_by_id(&self, id: i64) -> Result<ArticleHistory> {
        let mut article = self.wrap(self.conn.query_row(
            "SELECT a.id, a.source, a.url, a.title, a.last_read_at, a.last_status, a.last_error,
                    (SELECT count(*) FROM citations c WHERE c.article_id = a.id), a.published_at
             FROM articles a WHERE a.id = ?1",
            [id],
            |r| {
                Ok(ArticleHistory {
                    id: r.get(0)?,
                    source: r.get(1)?,
                    url: r.get(2)?,
                    title: r.get(3)?,
                    last_read_at: r.get(4)?,
                    last_status: r.get(5)?,
                    last_error: r.get(6)?,
                    cites: r.get(7)?,
                    published_at: r.get(8)?,
                    captures: Vec::new(),
                })
            },
        ))?;
        let mut stmt = self.wrap(self.conn.prepare(
            "SELECT url, sha256, bytes, content_type, http_status, captured_at, edited, lost_at, id
             FROM article_captures WHERE article_id = ?1 AND role = 'page'
             ORDER BY captured_at, id",
        ))?;
        article.captures = self.wrap(
            stmt.query_map([id], |r| {
                Ok(ArticleCaptureRow {
                    url: r.get(0)?,
                    sha256: r.get(1)?,
                    bytes: r.get(2)?,
                    content_type: r.get(3)?,
                    http_status: r.get(4)?,
                    captured_at: r.get(5)?,
                    edited: r.get(6)?,
                    lost_at: r.get(7)?,
                    id: r.get(8)?,
                    screenshot: None,
                    stamp: super::Stamp::None,
                })
            })
            .and_then(|m| m.collect()),
        )?;
        let mut stmt = self.wrap(self.conn.prepare(
            "SELECT parent_id, sha256, bytes, captured_at, tool, note, width, height, lost_at, id
             FROM article_captures WHERE article_id = ?1 AND role = 'screenshot'
             ORDER BY captured_at, id",
        ))?;
        let shots: Vec<(Option<i64>, ScreenshotRow, i64)> = self.wrap(
            stmt.query_map([id], |r| {
                Ok((
                    r.get(0)?,
                    ScreenshotRow {
                        sha256: r.get(1)?,
                        bytes: r.get(2)?,
                        captured_at: r.get(3)?,
                        tool: r.get(4)?,
                        note: r.get(5)?,
                        width: r.get(6)?,
                        height: r.get(7)?,
                        lost_at: r.get(8)?,
                        stamp: super::Stamp::None,
                    },
                    r.get(9)?,
                ))
            })
            .and_then(|m| m.collect()),
        )?;
        for c in &mut article.captures {
            c.stamp = self.capture_stamp(c.id)?;
        }
        for (parent, mut shot, shot_id) in shots {
            shot.stamp = self.capture_stamp(shot_id)?;
            if let Some(c) = article.captures.iter_mut().find(|c| Some(c.id) == parent) {
                c.screenshot = Some(shot);
            }
        }
        Ok(article)
    }

    /// Every snapshot of reference `ref_id`, oldest first, lost ones included.
    pub fn snapshots_of(&self, ref_id: i64) -> Result<Vec<SnapshotRow>> {
        let mut stmt = self.wrap(self.conn.prepare_cached(&format!(
            "SELECT {SNAPSHOT_COLUMNS}, s.id FROM snapshots s WHERE s.ref_id = ?1
             ORDER BY s.captured_at, s.id"
        )))?;
        let rows: Vec<(SnapshotRow, i64)> = self.wrap(
            stmt.query_map([ref_id], |r| Ok((snapshot_row(r)?, r.get(14)?)))
                .and_then(|m| m.collect()),
        )?;
        rows.into_iter()
            .map(|(mut row, id)| {
                row.stamp = self.snapshot_stamp(id)?;
                Ok(row)
            })
            .collect()
    }

    /// Captures to export, oldest first (an article before the references it cites): every
    /// reference snapshot and article version, or those of one article and what it cites;
    /// captured at or after `since`.
    pub fn for_each_export_snapshot<E: From<DbError>>(
        &self,
        article: Option<i64>,
        since: Option<Timestamp>,
        mut visit: impl FnMut(ExportSnapshot) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut stmt = self.wrap(self.conn.prepare(
            "SELECT url, sha256, bytes, content_type, http_status, captured_at, role, headers,
                    http_version, reason_phrase, origin, archive, memento_url, memento_datetime,
                    rewritten, rescued_at, decoded_from, tree_id, idx
             FROM (
               SELECT r.url, s.sha256, s.bytes, s.content_type, s.http_status, s.captured_at, s.role,
                      s.headers, s.http_version, s.reason_phrase, s.origin, s.archive,
                      s.memento_url, s.memento_datetime, s.rewritten, s.rescued_at, s.decoded_from,
                      1 AS source, s.id, l.tree_id, l.idx
               FROM snapshots s JOIN refs r ON r.id = s.ref_id
               LEFT JOIN timestamp_leaves l ON l.snapshot_id = s.id
               WHERE (?1 IS NULL OR s.ref_id IN (SELECT ref_id FROM citations WHERE article_id = ?1))
                 AND (?2 IS NULL OR s.captured_at >= ?2) AND s.lost_at IS NULL
               UNION ALL
               SELECT c.url, c.sha256, c.bytes, c.content_type, c.http_status, c.captured_at, 'body',
                      c.headers, c.http_version, c.reason_phrase, 'self', NULL, NULL, NULL, 0, NULL,
                      c.decoded_from, 0 AS source, c.id, l.tree_id, l.idx
               FROM article_captures c
               LEFT JOIN timestamp_leaves l ON l.capture_id = c.id
               WHERE c.http_status IS NOT NULL -- pages from the web; saved files have no response
                 AND c.role = 'page' AND c.lost_at IS NULL
                 AND (?1 IS NULL OR c.article_id = ?1) AND (?2 IS NULL OR c.captured_at >= ?2)
               UNION ALL
               -- The browser's screenshots of article versions (of saved files too).
               SELECT c.url, c.sha256, c.bytes, c.content_type, 0, c.captured_at, 'screenshot',
                      NULL, NULL, NULL, 'self', NULL, NULL, NULL, 0, NULL, NULL, 0 AS source, c.id,
                      l.tree_id, l.idx
               FROM article_captures c
               LEFT JOIN timestamp_leaves l ON l.capture_id = c.id
               WHERE c.role = 'screenshot' AND c.lost_at IS NULL
                 AND (?1 IS NULL OR c.article_id = ?1) AND (?2 IS NULL OR c.captured_at >= ?2)
             )
             ORDER BY captured_at, source, id",
        ))?;
        let mut rows = self.wrap(stmt.query(params![article, since]))?;
        while let Some(r) = self.wrap(rows.next())? {
            let snapshot = self.wrap(export_row(r))?;
            visit(snapshot)?;
        }
        Ok(())
    }

    /// The articles (not feeds) to list as pages.
    pub fn export_pages(&self, article: Option<i64>) -> Result<Vec<ExportPage>> {
        let mut stmt = self.wrap(self.conn.prepare(
            "SELECT COALESCE(url, source), title, last_read_at FROM articles
             WHERE is_feed = 0 AND removed_at IS NULL AND (?1 IS NULL OR id = ?1) ORDER BY id",
        ))?;
        let rows = self.wrap(
            stmt.query_map([article], |r| {
                Ok(ExportPage {
                    url: r.get(0)?,
                    title: r.get(1)?,
                    read_at: r.get(2)?,
                })
            })
            .and_then(|m| m.collect()),
        )?;
        Ok(rows)
    }

    /// The good captures of `url`'s own response (its mementos), oldest first: a reference's
    /// body snapshots, or the versions of an article page read from the web.
    pub fn mementos(&self, url: &str) -> Result<Vec<SnapshotRow>> {
        // Cached: robustify and serve ask for one URL after another.
        let mut stmt = self.wrap(self.conn.prepare_cached(&format!(
            "SELECT * FROM (
               SELECT {SNAPSHOT_COLUMNS}, 1 AS source, s.id
               FROM snapshots s JOIN refs r ON r.id = s.ref_id
               WHERE r.url = ?1 AND s.good = 1 AND s.role = 'body' AND s.origin = 'self'
                 AND s.lost_at IS NULL
               UNION ALL
               SELECT c.sha256, c.bytes, c.content_type, c.http_status, c.captured_at, 1,
                      'body', NULL, 'self', NULL, NULL, NULL, 0, NULL, 0 AS source, c.id
               FROM article_captures c WHERE c.url = ?1 AND c.http_status IS NOT NULL
                 AND c.lost_at IS NULL
             ) ORDER BY captured_at, source, id"
        )))?;
        let rows = self.wrap(
            stmt.query_map([url], snapshot_row)
                .and_then(|m| m.collect()),
        )?;
        Ok(rows)
    }

    /// The content type an object was captured with (for serving it).
    pub fn object_content_type(&self, sha256: &str) -> Result<Option<String>> {
        // Cached: `serve` asks this for every object it sends, on pooled connections.
        let mut stmt = self.wrap(self.conn.prepare_cached(
            "SELECT content_type FROM snapshots WHERE sha256 = ?1 AND content_type IS NOT NULL
             UNION ALL
             SELECT content_type FROM article_captures
             WHERE sha256 = ?1 AND content_type IS NOT NULL LIMIT 1",
        ))?;
        self.wrap(stmt.query_row([sha256], |r| r.get(0)).optional())
    }

    /// Full hashes of known objects starting with `prefix` (at most `limit`).
    pub fn objects_with_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<String>> {
        let mut stmt = self.wrap(self.conn.prepare(
            "SELECT sha256 FROM objects WHERE sha256 >= ?1 AND substr(sha256, 1, length(?1)) = ?1
             ORDER BY sha256 LIMIT ?2",
        ))?;
        let rows = self.wrap(
            stmt.query_map(params![prefix, limit as i64], |r| r.get(0))
                .and_then(|m| m.collect()),
        )?;
        Ok(rows)
    }

    /// Every object the record holds and has not found lost, in hash order.
    pub fn all_objects(&self) -> Result<Vec<ObjectRow>> {
        let mut stmt = self
            .wrap(self.conn.prepare(
                "SELECT sha256, bytes FROM objects WHERE lost_at IS NULL ORDER BY sha256",
            ))?;
        let rows = self.wrap(
            stmt.query_map([], |r| {
                Ok(ObjectRow {
                    sha256: r.get(0)?,
                    bytes: r.get(1)?,
                })
            })
            .and_then(|m| m.collect()),
        )?;
        Ok(rows)
    }

    /// Snapshot or article hashes the database points at that have no `objects` row.
    pub fn dangling_hashes(&self) -> Result<Vec<String>> {
        let mut stmt = self.wrap(self.conn.prepare(
            "SELECT sha256 FROM snapshots
               WHERE lost_at IS NULL AND sha256 NOT IN (SELECT sha256 FROM objects)
             UNION SELECT last_sha256 FROM articles
               WHERE last_sha256 IS NOT NULL AND last_sha256 NOT IN (SELECT sha256 FROM objects)
             UNION SELECT sha256 FROM article_captures
               WHERE lost_at IS NULL AND sha256 NOT IN (SELECT sha256 FROM objects)",
        ))?;
        let rows = self.wrap(stmt.query_map([], |r| r.get(0)).and_then(|m| m.collect()))?;
        Ok(rows)
    }

    /// The good snapshot of `url` captured at or before `at` (latest if `at` is None).
    pub fn good_snapshot_at(
        &self,
        url: &str,
        at: Option<Timestamp>,
    ) -> Result<Option<SnapshotRow>> {
        self.wrap(
            self.conn
                .query_row(
                    &format!(
                        "SELECT {SNAPSHOT_COLUMNS}
                         FROM snapshots s JOIN refs r ON r.id = s.ref_id
                         WHERE r.url = ?1 AND s.good = 1 AND s.role != 'video_info'
                           AND s.lost_at IS NULL AND (?2 IS NULL OR s.captured_at <= ?2)
                         ORDER BY s.role = 'video' DESC, s.captured_at DESC, s.id DESC LIMIT 1"
                    ),
                    params![url, at],
                    snapshot_row,
                )
                .optional(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The counts come from indexes: neither query reads every reference row.
    #[test]
    fn the_report_counts_read_no_reference_row() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let plan = super::super::query_plan(&db, SUMMARY_COUNTS);
        assert!(plan.contains("COVERING INDEX refs_state"), "{plan}");
        let plan = super::super::query_plan(&db, RESCUED_FROM_ARCHIVES);
        assert!(
            plan.starts_with("SCAN s") && plan.contains("INDEX snapshots_memento"),
            "{plan}"
        );
        assert!(!plan.contains("SCAN r"), "{plan}");
    }
}
