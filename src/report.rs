//! The dead-link report: a summary of the archive and the references that are not alive (or all
//! of them), grouped by article, as a table, JSON, CSV or Markdown. Read-only.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::clock;
use crate::db::{Db, DbError, LinkRow, Summary};
use crate::model::State;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("no article `{0}` in the archive; `linkvault report --all` lists what is known")]
    UnknownArticle(String),
}

pub struct Report {
    pub summary: Summary,
    pub links: Vec<LinkRow>,
}

/// Builds the report: `all` includes alive references; `article` limits it to one article.
pub fn build(db: &Db, all: bool, article: Option<&str>) -> Result<Report, ReportError> {
    let article_id = match article {
        Some(a) => Some(
            db.find_article(a)?
                .or(normalized(a).and_then(|n| db.find_article(&n).ok().flatten()))
                .ok_or_else(|| ReportError::UnknownArticle(a.to_string()))?,
        ),
        None => None,
    };
    let links = db.links(article_id)?;
    let mut s = Summary {
        articles: db.article_count(article_id)?,
        links: links.len() as u64,
        ..Summary::default()
    };
    for l in &links {
        match l.state {
            State::Alive => s.alive += 1,
            State::Dead => s.dead += 1,
            State::Blocked => s.blocked += 1,
            State::Transient => s.transient += 1,
            State::Unchecked => s.unchecked += 1,
        }
        if l.video_status.as_deref() == Some("page_only") {
            s.video_page_only += 1;
        }
        if matches!(l.state, State::Dead | State::Blocked | State::Transient) {
            if l.snapshot.is_some() {
                s.rescued += 1;
            } else {
                s.lost += 1;
            }
        }
    }
    let links = if all {
        links
    } else {
        links
            .into_iter()
            .filter(|l| l.state != State::Alive)
            .collect()
    };
    Ok(Report { summary: s, links })
}

fn normalized(u: &str) -> Option<String> {
    url::Url::parse(u).ok().map(|mut u| {
        u.set_fragment(None);
        u.to_string()
    })
}

pub fn render(r: &Report, format: Format) -> String {
    match format {
        Format::Json => render_json(r),
        Format::Csv => render_csv(r),
        Format::Markdown => render_markdown(r),
        Format::Table => render_table(r),
    }
}

fn ts(t: Option<i64>) -> Value {
    t.map(|t| Value::String(clock::format(t)))
        .unwrap_or(Value::Null)
}

pub fn link_json(l: &LinkRow) -> Value {
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
        "snapshot": l.snapshot.as_ref().map(|s| json!({
            "sha256": s.sha256,
            "bytes": s.bytes,
            "content_type": s.content_type,
            "captured_at": clock::format(s.captured_at),
        })),
    })
}

fn render_json(r: &Report) -> String {
    let links: Vec<Value> = r.links.iter().map(link_json).collect();
    let v = json!({ "summary": r.summary, "links": links });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

fn summary_line(s: &Summary) -> String {
    format!(
        "{} articles, {} links: {} alive, {} dead, {} blocked, {} transient, {} unchecked; {} not alive but rescued (snapshot held), {} lost",
        s.articles, s.links, s.alive, s.dead, s.blocked, s.transient, s.unchecked, s.rescued, s.lost
    )
}

/// Groups links by the articles citing them (a link cited twice appears under both).
fn by_article(links: &[LinkRow]) -> BTreeMap<String, Vec<&LinkRow>> {
    let mut map: BTreeMap<String, Vec<&LinkRow>> = BTreeMap::new();
    for l in links {
        if l.articles.is_empty() {
            map.entry("(no article)".into()).or_default().push(l);
        }
        for a in &l.articles {
            map.entry(a.clone()).or_default().push(l);
        }
    }
    map
}

fn verdict_text(l: &LinkRow) -> String {
    let mut v = l.state.as_str().to_string();
    if let Some(reason) = &l.reason {
        let _ = write!(v, " {reason}");
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
    s.chars()
        .map(|c| {
            if c.is_control() {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect()
}

fn render_table(r: &Report) -> String {
    let mut out = String::new();
    for (article, links) in by_article(&r.links) {
        let _ = writeln!(out, "{}", safe(&article));
        for l in links {
            let since = l
                .dead_since
                .map(|t| format!(" since {}", clock::format(t)))
                .unwrap_or_default();
            let snap = match &l.snapshot {
                Some(s) => format!("snapshot {}", &s.sha256[..12.min(s.sha256.len())]),
                None => "no snapshot".into(),
            };
            let _ = writeln!(
                out,
                "  {:<34} {:<6} {}  [{}{}]",
                verdict_text(l),
                l.kind.as_str(),
                safe(&l.url),
                snap,
                since
            );
        }
    }
    let _ = writeln!(out, "{}", summary_line(&r.summary));
    if let Some(note) = video_gap_note(&r.summary) {
        let _ = writeln!(out, "{note}");
    }
    out
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

fn render_csv(r: &Report) -> String {
    let mut out = String::from(
        "url,kind,state,reason,confirmed,http_status,final_url,first_seen,last_checked,last_alive,dead_since,checks,snapshot_sha256,snapshot_bytes,articles\n",
    );
    for l in &r.links {
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
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
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

fn render_markdown(r: &Report) -> String {
    let mut out = String::from("# linkvault report\n\n");
    let _ = writeln!(out, "{}\n", md(&summary_line(&r.summary)));
    if let Some(note) = video_gap_note(&r.summary) {
        let _ = writeln!(out, "{}\n", md(&note));
    }
    for (article, links) in by_article(&r.links) {
        let _ = writeln!(out, "## {}\n", md(&article));
        out.push_str("| state | kind | url | snapshot |\n|---|---|---|---|\n");
        for l in links {
            let snap = l
                .snapshot
                .as_ref()
                .map(|s| format!("`{}`", s.sha256))
                .unwrap_or_else(|| "none".into());
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                md(&verdict_text(l)),
                l.kind.as_str(),
                md(&l.url),
                snap
            );
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
