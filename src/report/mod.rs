//! The dead-link report: a summary of the archive and the references that are not alive (or all
//! of them), grouped by article, as a table, JSON, CSV or Markdown. Read-only, and streamed:
//! rows go from SQLite to the output one at a time, so a million references fit in little memory.

pub mod chart;
pub mod html;

use std::io::Write;

use serde_json::{json, Value};

use crate::clock::{self, Rfc3339};
use crate::db::{Db, DbError, LinkFilter, LinkRow, Provenance, Summary};
use crate::model::State;

/// How the report is written (`report --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Plain text for a terminal, fitted to its width.
    Table,
    /// One JSON document: `summary`, one object per reference in `links`, and `articles_not_read`.
    Json,
    /// CSV, one row per reference, with a header row.
    Csv,
    /// Markdown: the summary and a table per article.
    Markdown,
    /// One self-contained HTML page with charts (see `html`).
    Html,
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The record could not be read.
    #[error(transparent)]
    Db(#[from] DbError),
    /// No registered article is known by what the user typed.
    #[error("no article `{0}` in the archive; `linkvault report --all` lists what is known")]
    UnknownArticle(String),
    /// Writing the report failed.
    #[error("cannot write the report: {0}")]
    Output(#[from] std::io::Error),
}

/// Which references `--fail-on` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Not alive, and failing only since a given time (this run, or the last one).
    New,
    /// Dead, confirmed or not.
    Dead,
    /// Dead and confirmed.
    Confirmed,
    /// Not alive and no copy held.
    Lost,
}

impl FailOn {
    /// The `--fail-on` value that names it.
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::New => "new",
            FailOn::Dead => "dead",
            FailOn::Confirmed => "confirmed",
            FailOn::Lost => "lost",
        }
    }
}

/// How many covered references are in `state`; `new_since` is when "new" begins.
pub fn count_in_state(
    db: &Db,
    state: FailOn,
    new_since: Option<clock::Timestamp>,
    article: Option<i64>,
) -> Result<u64, ReportError> {
    let condition = match state {
        FailOn::New => "r.state IN ('dead', 'blocked', 'transient') AND r.dead_since >= ?2",
        FailOn::Dead => "r.state = 'dead'",
        FailOn::Confirmed => "r.state = 'dead' AND r.confirmed = 1",
        FailOn::Lost => "r.state IN ('dead', 'blocked', 'transient') AND r.good_snapshot IS NULL",
    };
    Ok(db.count_refs_where(condition, article, new_since.unwrap_or(i64::MAX))?)
}

/// One line per reference that is not alive, those failing since `new_since` marked NEW, for
/// the end of a quiet run: `NEW  dead http_404 (unconfirmed)  URL  — no copy held`. Each line
/// is handed to `say` as it is read: a million of them never sit in memory together.
pub fn each_not_alive_line(
    db: &Db,
    new_since: clock::Timestamp,
    say: &mut dyn FnMut(&str),
) -> Result<(), ReportError> {
    let filter = LinkFilter {
        article: None,
        include_alive: false,
    };
    db.for_each_link_uncited(filter, |l| -> Result<(), ReportError> {
        if l.state == State::Unchecked {
            return Ok(());
        }
        let new = l.dead_since.is_some_and(|t| t >= new_since);
        let held = match &l.snapshot {
            Some(s) => match s.provenance.rescued_phrase() {
                Some(r) => format!("{r}, copy held"),
                None => "copy held".to_string(),
            },
            None => "no copy held".to_string(),
        };
        say(&format!(
            "{} {:<36} {}  — {held}",
            if new { "NEW" } else { "   " },
            verdict_words(&l),
            safe(&l.url)
        ));
        Ok(())
    })
}

/// The width to fit tables to: the terminal's, else `COLUMNS`, else 100 (never under 80).
pub fn terminal_width() -> usize {
    use std::io::IsTerminal;
    let from_env = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok());
    let from_tty = std::io::stdout()
        .is_terminal()
        .then(terminal_columns)
        .flatten();
    from_tty.or(from_env).unwrap_or(100).max(80)
}

/// The terminal's columns, asked of the terminal itself.
fn terminal_columns() -> Option<usize> {
    let out = std::process::Command::new("stty")
        .arg("size")
        .stdin(std::process::Stdio::inherit())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace().nth(1)?.parse().ok()
}

/// `s` in at most `max` characters, shortened in the middle (`https://news.exa…/photo.jpg`):
/// both the host and the file name stay readable.
pub fn shorten_middle(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max || max < 5 {
        return s.to_string();
    }
    let keep = max - 1;
    let head = keep / 2;
    let tail = keep - head;
    let start: String = s.chars().take(head).collect();
    let end: String = s.chars().skip(n - tail).collect();
    format!("{start}…{end}")
}

/// The article id for a URL or source as the user typed it.
pub fn find_article(db: &Db, article: &str) -> Result<i64, ReportError> {
    db.find_article(article)?
        .ok_or_else(|| ReportError::UnknownArticle(article.to_string()))
}

/// Writes the report: `all` includes alive references; `article` limits it to one article.
pub fn write(
    db: &Db,
    all: bool,
    article: Option<&str>,
    format: Format,
    out: &mut dyn Write,
) -> Result<Summary, ReportError> {
    let article = article.map(|a| find_article(db, a)).transpose()?;
    let summary = db.summary(article)?;
    let filter = LinkFilter {
        article,
        include_alive: all,
    };
    match format {
        Format::Json => write_json(db, filter, &summary, out)?,
        Format::Csv => write_csv(db, filter, out)?,
        Format::Table => write_table(db, filter, &summary, out)?,
        Format::Markdown => write_markdown(db, filter, &summary, out)?,
        Format::Html => html::write_html(db, filter, &summary, out)?,
    }
    out.flush()?;
    Ok(summary)
}

/// One reference as the JSON report shows it (times in RFC 3339).
pub fn link_json(l: &LinkRow) -> Value {
    serde_json::to_value(LinkJson::of(l)).unwrap_or_default()
}

/// One reference as the JSON report writes it, borrowed from its row: serialised straight to
/// the output, no `Value` built per reference. The fields are in the order `serde_json` sorts
/// an object's keys in, so this writes what `link_json` gives, byte for byte.
#[derive(serde::Serialize)]
struct LinkJson<'a> {
    articles: &'a [String],
    checks: i64,
    confirmed: bool,
    dead_since: Option<Rfc3339>,
    final_url: Option<&'a str>,
    first_seen: Rfc3339,
    http_status: Option<u16>,
    kind: &'static str,
    last_alive: Option<Rfc3339>,
    last_checked: Option<Rfc3339>,
    reason: Option<&'a str>,
    snapshot: Option<SnapshotJson<'a>>,
    state: &'static str,
    url: &'a str,
    video: Option<&'a str>,
}

impl<'a> LinkJson<'a> {
    fn of(l: &'a LinkRow) -> LinkJson<'a> {
        LinkJson {
            articles: &l.articles,
            checks: l.checks,
            confirmed: l.confirmed,
            dead_since: l.dead_since.map(Rfc3339),
            final_url: l.final_url.as_deref(),
            first_seen: Rfc3339(l.first_seen),
            http_status: l.http_status,
            kind: l.kind.as_str(),
            last_alive: l.last_alive.map(Rfc3339),
            last_checked: l.last_checked.map(Rfc3339),
            reason: l.reason.as_deref(),
            snapshot: l.snapshot.as_ref().map(SnapshotJson::of),
            state: l.state.as_str(),
            url: &l.url,
            video: l.video_status.as_deref(),
        }
    }
}

/// A held snapshot: its hash and, for a copy rescued from a web archive, where it came from
/// (the keys `provenance_json` adds); fields in sorted key order, as in [`LinkJson`].
#[derive(serde::Serialize)]
struct SnapshotJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    archive: Option<&'a str>,
    bytes: u64,
    captured_at: Rfc3339,
    content_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    memento_datetime: Option<Rfc3339>,
    #[serde(skip_serializing_if = "Option::is_none")]
    memento_url: Option<&'a str>,
    origin: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rewritten: Option<bool>,
    sha256: &'a str,
}

impl<'a> SnapshotJson<'a> {
    fn of(s: &'a crate::db::SnapshotInfo) -> SnapshotJson<'a> {
        let mut v = SnapshotJson {
            archive: None,
            bytes: s.bytes,
            captured_at: Rfc3339(s.captured_at),
            content_type: s.content_type.as_deref(),
            memento_datetime: None,
            memento_url: None,
            origin: s.provenance.origin(),
            rewritten: None,
            sha256: &s.sha256,
        };
        if let Provenance::Memento {
            archive,
            memento_url,
            memento_datetime,
            rewritten,
        } = &s.provenance
        {
            v.archive = Some(archive);
            v.memento_url = Some(memento_url);
            v.memento_datetime = Some(Rfc3339(*memento_datetime));
            v.rewritten = Some(*rewritten);
        }
        v
    }
}

/// `origin`, and for a rescued copy where it came from (report and history alike).
pub fn provenance_json(v: &mut Value, p: &Provenance) {
    v["origin"] = json!(p.origin());
    if let Provenance::Memento {
        archive,
        memento_url,
        memento_datetime,
        rewritten,
    } = p
    {
        v["archive"] = json!(archive);
        v["memento_url"] = json!(memento_url);
        v["memento_datetime"] = json!(clock::format(*memento_datetime));
        v["rewritten"] = json!(rewritten);
    }
}

/// `{"summary": {...}, "links": [...]}` with one link object per line.
fn write_json(
    db: &Db,
    filter: LinkFilter,
    summary: &Summary,
    out: &mut dyn Write,
) -> Result<(), ReportError> {
    write!(
        out,
        "{{\n\"summary\": {},\n\"links\": [",
        serde_json::to_string(summary).unwrap_or_default()
    )?;
    // Each reference is serialised into one reused buffer, then written at once: the many
    // small writes of a serialiser go to a `Vec`, not through `dyn Write`.
    let (mut line, mut first) = (Vec::with_capacity(1024), true);
    db.for_each_link(filter, |l| -> Result<(), ReportError> {
        line.clear();
        line.extend_from_slice(if first { b"\n" } else { b",\n" });
        first = false;
        serde_json::to_writer(&mut line, &LinkJson::of(&l)).map_err(std::io::Error::from)?;
        out.write_all(&line)?;
        Ok(())
    })?;
    out.write_all(b"\n],\n\"articles_not_read\": ")?;
    let failing: Vec<Value> = db
        .failing_articles()?
        .into_iter()
        .map(|(article, error, at)| {
            json!({ "article": article, "error": error, "last_read_at": clock::format(at) })
        })
        .collect();
    serde_json::to_writer(&mut *out, &failing).map_err(std::io::Error::from)?;
    out.write_all(b"\n}\n")?;
    Ok(())
}

/// Articles whose last read failed, and why: they cite what they cited before, unchecked anew.
fn write_failing_articles(db: &Db, out: &mut dyn Write, width: usize) -> Result<(), ReportError> {
    let failing = db.failing_articles()?;
    if failing.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "articles that could not be read (tried again on every run):"
    )?;
    for (article, error, at) in failing {
        writeln!(
            out,
            "  {}",
            shorten_middle(&safe(&article), width.saturating_sub(2))
        )?;
        writeln!(
            out,
            "    {}",
            shorten_middle(
                &format!("{} (last tried {})", safe(&error), &clock::format(at)[..16]),
                width.saturating_sub(4)
            )
        )?;
    }
    Ok(())
}

/// "1 article", "2 articles".
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The summary in one line (Markdown, HTML).
fn summary_line(s: &Summary) -> String {
    summary_lines(s).join("; ")
}

/// The summary as short lines that fit a terminal.
fn summary_lines(s: &Summary) -> Vec<String> {
    let mut lines = vec![format!(
        "{}, {}: {} alive, {} dead, {} blocked, {} transient, {} unchecked",
        count(s.articles, "article", "articles"),
        count(s.links, "link", "links"),
        s.alive,
        s.dead,
        s.blocked,
        s.transient,
        s.unchecked
    )];
    let mut held = format!("{} not alive but rescued (snapshot held", s.rescued);
    if s.rescued_from_archives > 0 {
        held.push_str(&format!(
            "; {} of them from web archives",
            s.rescued_from_archives
        ));
    }
    held.push_str(&format!("), {} lost", s.lost));
    lines.push(held);
    if s.articles_edited > 0 {
        lines.push(format!(
            "{} edited since first read",
            count(s.articles_edited, "article", "articles")
        ));
    }
    lines
}

/// State, reason in plain words, and confirmation: `dead: HTTP 404 (unconfirmed)`.
fn verdict_words(l: &LinkRow) -> String {
    let mut v = l.state.as_str().to_string();
    if let Some(reason) = l.reason.as_deref() {
        v.push_str(": ");
        v.push_str(&crate::model::Reason::words_of(reason));
    }
    if l.state != State::Alive && l.state != State::Unchecked && l.confirmed {
        v.push_str(" (confirmed)");
    } else if l.state != State::Alive && l.state != State::Unchecked {
        v.push_str(" (unconfirmed)");
    }
    v
}

fn verdict_text(l: &LinkRow) -> String {
    let mut v = l.state.as_str().to_string();
    if let Some(reason) = &l.reason {
        v.push(' ');
        v.push_str(reason);
    }
    if l.state != State::Alive && l.state != State::Unchecked {
        v.push_str(if l.confirmed {
            " (confirmed)"
        } else {
            " (unconfirmed)"
        });
    }
    v
}

/// Terminal output: control characters (escape sequences from hostile URLs) are made visible.
fn safe(s: &str) -> String {
    crate::text::one_line(s)
}

/// Grouped by article (a link cited twice appears under both), the summary last. Each line fits
/// the terminal (80 columns at least): the URL is shortened in the middle, never wrapped.
fn write_table(
    db: &Db,
    filter: LinkFilter,
    summary: &Summary,
    out: &mut dyn Write,
) -> Result<(), ReportError> {
    let width = terminal_width();
    let mut current = String::new();
    db.for_each_cited_link(filter, |l, article| -> Result<(), ReportError> {
        if article != current {
            writeln!(out, "{}", shorten_middle(&safe(article), width))?;
            current = article.to_string();
        }
        // Three short lines rather than one long one: the verdict, the URL (shortened in the
        // middle), and the copy held, each within the terminal's width.
        // The verdict, then what matters most: whether a copy is held, what it is, since when;
        // a part that would not fit is left out rather than cut.
        let mut first = format!("  {}", verdict_words(&l));
        let mut parts = Vec::new();
        if l.snapshot.is_none() && l.state != State::Alive {
            parts.push("no copy".to_string());
        }
        parts.push(l.kind.as_str().to_string());
        if let Some(t) = l.dead_since.filter(|_| l.state != State::Alive) {
            parts.push(format!("since {}", clock::format_date(t)));
        }
        for p in parts {
            if first.chars().count() + 3 + p.chars().count() <= width {
                first.push_str(" · ");
                first.push_str(&p);
            }
        }
        writeln!(out, "{}", shorten_middle(&first, width))?;
        writeln!(out, "    {}", shorten_middle(&safe(&l.url), width - 4))?;
        if let Some(s) = &l.snapshot {
            let short = &s.sha256[..12.min(s.sha256.len())];
            let copy = match s.provenance.rescued_phrase() {
                Some(r) => format!("    copy: {r}, snapshot {short}"),
                None => format!("    copy held: snapshot {short}"),
            };
            writeln!(out, "{}", shorten_middle(&copy, width))?;
        }
        Ok(())
    })?;
    write_failing_articles(db, out, width)?;
    for line in summary_lines(summary) {
        writeln!(out, "{line}")?;
    }
    if let Some(note) = video_gap_note(summary) {
        writeln!(out, "{note}")?;
    }
    Ok(())
}

/// Says how many video pages were kept as pages only, and how to fix it.
pub fn video_gap_note(s: &Summary) -> Option<String> {
    (s.video_page_only > 0).then(|| {
        format!(
            "{} video reference(s) were captured as pages only: yt-dlp was not found. Install it (pip install yt-dlp) or set video.yt_dlp in config.toml; `linkvault doctor` checks, and the next run captures the videos.",
            s.video_page_only
        )
    })
}

/// CSV cell: quoted, and a leading formula character neutralised (CSV injection).
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn write_csv(db: &Db, filter: LinkFilter, out: &mut dyn Write) -> Result<(), ReportError> {
    out.write_all(b"url,kind,state,reason,confirmed,http_status,final_url,first_seen,last_checked,last_alive,dead_since,checks,snapshot_sha256,snapshot_bytes,articles,snapshot_origin,rescued_from\n")?;
    db.for_each_link(filter, |l| -> Result<(), ReportError> {
        let t = |t: Option<i64>| t.map(clock::format).unwrap_or_default();
        let cells = [
            csv_cell(&l.url),
            l.kind.as_str().into(),
            l.state.as_str().into(),
            csv_cell(l.reason.as_deref().unwrap_or("")),
            l.confirmed.to_string(),
            l.http_status.map(|s| s.to_string()).unwrap_or_default(),
            csv_cell(l.final_url.as_deref().unwrap_or("")),
            clock::format(l.first_seen),
            t(l.last_checked),
            t(l.last_alive),
            t(l.dead_since),
            l.checks.to_string(),
            l.snapshot
                .as_ref()
                .map(|s| s.sha256.clone())
                .unwrap_or_default(),
            l.snapshot
                .as_ref()
                .map(|s| s.bytes.to_string())
                .unwrap_or_default(),
            csv_cell(&l.articles.join(" ")),
            l.snapshot
                .as_ref()
                .map(|s| s.provenance.origin().to_string())
                .unwrap_or_default(),
            csv_cell(
                &l.snapshot
                    .as_ref()
                    .and_then(|s| s.provenance.rescued_phrase())
                    .unwrap_or_default(),
            ),
        ];
        writeln!(out, "{}", cells.join(","))?;
        Ok(())
    })
}

/// Markdown text: characters that would start markup or break a table cell are escaped.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in safe(s).chars() {
        if "\\`*_{}[]<>()#+!|~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn write_markdown(
    db: &Db,
    filter: LinkFilter,
    summary: &Summary,
    out: &mut dyn Write,
) -> Result<(), ReportError> {
    writeln!(
        out,
        "# linkvault report\n\n{}\n",
        md(&summary_line(summary))
    )?;
    if let Some(note) = video_gap_note(summary) {
        writeln!(out, "{}\n", md(&note))?;
    }
    let failing = db.failing_articles()?;
    if !failing.is_empty() {
        writeln!(out, "## Articles that could not be read\n")?;
        for (article, error, at) in failing {
            writeln!(
                out,
                "- {}: {} (last tried {})",
                md(&article),
                md(&error),
                clock::format(at)
            )?;
        }
        writeln!(out)?;
    }
    let mut current: Option<String> = None;
    db.for_each_cited_link(filter, |l, article| -> Result<(), ReportError> {
        if current.as_deref() != Some(article) {
            writeln!(
                out,
                "\n## {}\n\n| state | kind | url | snapshot |\n|---|---|---|---|",
                md(article)
            )?;
            current = Some(article.to_string());
        }
        let snap = l
            .snapshot
            .as_ref()
            .map(|s| match s.provenance.rescued_phrase() {
                Some(r) => format!("{} `{}`", md(&r), s.sha256),
                None => format!("`{}`", s.sha256),
            })
            .unwrap_or_else(|| "none".into());
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            md(&verdict_text(&l)),
            l.kind.as_str(),
            md(&l.url),
            snap
        )?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::SnapshotInfo;
    use crate::model::Kind;

    /// The JSON report's reference as it was built before `LinkJson` (a `Value` per row).
    fn link_value(l: &LinkRow) -> Value {
        let ts = |t: Option<i64>| t.map(|t| Value::String(clock::format(t)));
        json!({
            "url": l.url,
            "kind": l.kind.as_str(),
            "state": l.state.as_str(),
            "reason": l.reason,
            "http_status": l.http_status,
            "final_url": l.final_url,
            "first_seen": clock::format(l.first_seen),
            "last_checked": ts(l.last_checked),
            "last_alive": ts(l.last_alive),
            "dead_since": ts(l.dead_since),
            "checks": l.checks,
            "confirmed": l.confirmed,
            "articles": l.articles,
            "video": l.video_status,
            "snapshot": l.snapshot.as_ref().map(|s| {
                let mut v = json!({
                    "sha256": s.sha256,
                    "bytes": s.bytes,
                    "content_type": s.content_type,
                    "captured_at": clock::format(s.captured_at),
                });
                provenance_json(&mut v, &s.provenance);
                v
            }),
        })
    }

    /// Written straight from the row, a reference reads byte for byte as its `Value` did.
    #[test]
    fn json_report_rows_are_written_as_before() {
        let snapshot = |provenance| SnapshotInfo {
            sha256: "ab".repeat(32),
            bytes: 1234,
            content_type: Some("image/jpeg".into()),
            captured_at: 1_790_000_000,
            provenance,
        };
        let bare = LinkRow {
            id: 1,
            url: "https://example.org/a \"b\"\u{7}.jpg".into(),
            host: "example.org".into(),
            kind: Kind::Image,
            state: State::Unchecked,
            reason: None,
            http_status: None,
            final_url: None,
            first_seen: 1_780_000_000,
            last_checked: None,
            last_alive: None,
            dead_since: None,
            checks: 0,
            confirmed: false,
            articles: Vec::new(),
            snapshot: None,
            video_status: None,
        };
        let own = LinkRow {
            state: State::Dead,
            reason: Some("http_404".into()),
            http_status: Some(404),
            final_url: Some("https://example.org/b".into()),
            last_checked: Some(1_795_000_000),
            last_alive: Some(1_791_000_000),
            dead_since: Some(1_792_000_000),
            checks: 5,
            confirmed: true,
            articles: vec![
                "https://news.example/1".into(),
                "/home/me/saved.html".into(),
            ],
            snapshot: Some(snapshot(Provenance::Own)),
            video_status: Some("page_only".into()),
            ..bare.clone()
        };
        let rescued = LinkRow {
            snapshot: Some(snapshot(Provenance::Memento {
                archive: "https://web.archive.org/web/".into(),
                memento_url: "https://web.archive.org/web/2020/https://example.org/b".into(),
                memento_datetime: 1_600_000_000,
                rewritten: true,
            })),
            ..own.clone()
        };
        for l in [bare, own, rescued] {
            assert_eq!(
                serde_json::to_string(&LinkJson::of(&l)).unwrap(),
                serde_json::to_string(&link_value(&l)).unwrap()
            );
            assert_eq!(link_json(&l), link_value(&l));
        }
    }

    #[test]
    fn csv_cells_cannot_become_formulas() {
        assert_eq!(
            csv_cell("=HYPERLINK(\"http://evil\")"),
            "\"'=HYPERLINK(\"\"http://evil\"\")\""
        );
        assert_eq!(csv_cell("+1"), "\"'+1\"");
        assert_eq!(csv_cell("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(csv_cell("http://x/a,b"), "\"http://x/a,b\"");
    }

    #[test]
    fn markdown_and_terminal_output_are_escaped() {
        assert_eq!(
            md("[click](javascript:x) | *b*"),
            "\\[click\\]\\(javascript:x\\) \\| \\*b\\*"
        );
        assert_eq!(safe("a\u{1b}[31mred\u{7}"), "a\u{FFFD}[31mred\u{FFFD}");
        assert!(!md("x\u{1b}]0;title\u{7}").contains('\u{1b}'));
    }
}
