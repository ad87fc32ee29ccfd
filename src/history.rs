//! `history URL`: every check and every snapshot of one reference, or every version of one
//! article page, oldest first. Read-only.

use std::fmt::Write as _;

use serde_json::json;

use crate::clock;
use crate::db::{archive_name, ArticleHistory, Db, DbError, HistoryRow, Provenance, Stamp};
use crate::report::link_json;

/// Why `history` could not answer.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The record could not be read.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The URL (or path) is neither a reference nor an article in the archive.
    #[error("`{0}` is neither a reference nor an article in this archive; `linkvault report --all` lists them")]
    Unknown(String),
}

/// What a URL is in the archive.
pub enum Found {
    /// A reference: its checks, snapshots, lookups and submissions.
    Reference(Box<HistoryRow>),
    /// An article: every version of it read.
    Article(ArticleHistory),
}

/// Looks the URL up (see `lookup_keys`): as a reference first (an article that other articles
/// cite is both), then as an article, by URL or a saved file's path.
pub fn load(db: &Db, url: &str) -> Result<Found, HistoryError> {
    let candidates = crate::urlkey::lookup_keys(url);
    if let Some(h) = db.history_by_keys(&candidates)? {
        return Ok(Found::Reference(Box::new(h)));
    }
    for c in &candidates {
        if let Some(a) = db.article_history(c)? {
            return Ok(Found::Article(a));
        }
    }
    Err(HistoryError::Unknown(url.to_string()))
}

/// The article's history as pretty-printed JSON (times in RFC 3339), newline-terminated.
pub fn render_article_json(a: &ArticleHistory) -> String {
    let captures: Vec<_> = a
        .captures
        .iter()
        .map(|c| {
            json!({
                "url": c.url,
                "sha256": c.sha256,
                "bytes": c.bytes,
                "content_type": c.content_type,
                "http_status": c.http_status,
                "captured_at": clock::format(c.captured_at),
                "edited": c.edited,
                "timestamp": stamp_json(&c.stamp),
                "screenshot": c.screenshot.as_ref().map(|s| json!({
                    "sha256": s.sha256,
                    "bytes": s.bytes,
                    "content_type": "image/png",
                    "captured_at": clock::format(s.captured_at),
                    "tool": s.tool,
                    "width": s.width,
                    "height": s.height,
                    "note": s.note,
                    "lost": s.lost_at.is_some(),
                    "timestamp": stamp_json(&s.stamp),
                })),
            })
        })
        .collect();
    let v = json!({
        "article": {
            "source": a.source,
            "url": a.url,
            "title": a.title,
            "last_read_at": a.last_read_at.map(clock::format),
            "last_status": a.last_status,
            "last_error": a.last_error,
            "cites": a.cites,
        },
        "versions": captures,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// The article's history as text for a terminal, web-supplied text made printable.
pub fn render_article_text(a: &ArticleHistory) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "article {}", a.source);
    if let Some(t) = &a.title {
        let _ = writeln!(out, "title: {t}");
    }
    if let Some(u) = a.url.as_deref().filter(|u| *u != a.source) {
        let _ = writeln!(out, "url: {u}");
    }
    let last = match (a.last_read_at, a.last_status, &a.last_error) {
        (None, _, _) => "never read".to_string(),
        (Some(t), _, Some(e)) => format!("last read {}: {e}", clock::format(t)),
        (Some(t), Some(s), None) => format!("last read {} (HTTP {s})", clock::format(t)),
        (Some(t), None, None) => format!("last read {}", clock::format(t)),
    };
    let _ = writeln!(
        out,
        "{last}; cites {}",
        crate::report::count(a.cites, "reference", "references")
    );
    let _ = writeln!(
        out,
        "\nversions (restore one with `linkvault restore HASH -o FILE`):"
    );
    if a.captures.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for c in &a.captures {
        let mut what = format!(
            "{}{}{}",
            c.http_status
                .map_or("saved file".to_string(), |s| format!("HTTP {s}")),
            if c.edited { " (text edited)" } else { "" },
            if c.lost_at.is_some() {
                " — LOST: object found corrupted or missing by `verify --repair`"
            } else {
                ""
            }
        );
        if let Some(p) = stamp_phrase(&c.stamp) {
            what.push_str(&format!("; {p}"));
        }
        capture_line(
            &mut out,
            c.captured_at,
            &c.sha256,
            c.bytes,
            c.content_type.as_deref(),
            &what,
        );
        if let Some(shot) = &c.screenshot {
            let mut what = format!(
                "screenshot of this version by {}{}{}",
                shot.tool.as_deref().unwrap_or("a browser"),
                shot.note
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default(),
                if shot.lost_at.is_some() {
                    " — LOST: object found corrupted or missing by `verify --repair`"
                } else {
                    ""
                }
            );
            if let Some(p) = stamp_phrase(&shot.stamp) {
                what.push_str(&format!("; {p}"));
            }
            capture_line(
                &mut out,
                shot.captured_at,
                &shot.sha256,
                shot.bytes,
                Some("image/png"),
                &what,
            );
        }
    }
    // Titles, URLs and server messages come from the web: no escapes reach a terminal.
    crate::text::printable(&out).into_owned()
}

/// The reference's history as pretty-printed JSON (times in RFC 3339), newline-terminated.
pub fn render_json(h: &HistoryRow) -> String {
    let checks: Vec<_> = h
        .checks
        .iter()
        .map(|c| {
            json!({
                "checked_at": clock::format(c.checked_at),
                "state": c.state,
                "reason": c.reason,
                "http_status": c.http_status,
                "final_url": c.final_url,
                "redirects": c.redirects.as_deref().and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok()),
                "error": c.error,
                "bytes": c.bytes,
                "sha256": c.sha256,
                "content_type": c.content_type,
                "elapsed_ms": c.elapsed_ms,
                "attempts": c.attempts,
                "network_down": c.network_down,
                "content_changed": c.drift,
                "video": c.video,
            })
        })
        .collect();
    let snapshots: Vec<_> = h
        .snapshots
        .iter()
        .map(|s| {
            let mut v = json!({
                "sha256": s.sha256,
                "bytes": s.bytes,
                "content_type": s.content_type,
                "http_status": s.http_status,
                "captured_at": clock::format(s.captured_at),
                "good": s.good,
                "role": s.role,
                "tool": s.tool,
                "lost_at": s.lost_at.map(clock::format),
                "timestamp": stamp_json(&s.stamp),
            });
            crate::report::provenance_json(&mut v, &s.provenance);
            v
        })
        .collect();
    let lookups: Vec<_> = h
        .lookups
        .iter()
        .map(|l| {
            json!({
                "looked_at": clock::format(l.looked_at),
                "archive": l.archive,
                "target_datetime": clock::format(l.target_at),
                "outcome": l.outcome,
                "memento_url": l.memento_url,
                "memento_datetime": l.memento_datetime.map(clock::format),
                "detail": l.detail,
            })
        })
        .collect();
    let submissions: Vec<_> = h
        .submissions
        .iter()
        .map(|s| {
            json!({
                "submitted_at": clock::format(s.submitted_at),
                "endpoint": s.endpoint,
                "outcome": s.outcome,
                "http_status": s.http_status,
                "memento_url": s.memento_url,
                "detail": s.detail,
            })
        })
        .collect();
    let v = json!({
        "reference": link_json(&h.link),
        "checks": checks,
        "snapshots": snapshots,
        "lookups": lookups,
        "submissions": submissions,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// The reference's history as text for a terminal, web-supplied text made printable.
pub fn render_text(h: &HistoryRow) -> String {
    let l = &h.link;
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", l.url, l.kind);
    let _ = writeln!(
        out,
        "state: {} {}{}; first seen {}; {}",
        l.state,
        l.reason.as_deref().unwrap_or(""),
        if l.confirmed { " (confirmed)" } else { "" },
        clock::format(l.first_seen),
        crate::report::count(l.checks as u64, "check", "checks")
    );
    for a in &l.articles {
        let _ = writeln!(out, "cited by: {a}");
    }
    let _ = writeln!(out, "\nchecks:");
    for c in &h.checks {
        let status = c
            .http_status
            .map(|s| format!(" HTTP {s}"))
            .unwrap_or_default();
        let _ = write!(
            out,
            "  {} {} {}{status}",
            clock::format(c.checked_at),
            c.state,
            c.reason
        );
        if let Some(sha) = &c.sha256 {
            let _ = write!(out, " sha256 {sha} ({} bytes)", c.bytes.unwrap_or(0));
        }
        if c.drift {
            out.push_str(" content changed");
        }
        if c.network_down {
            out.push_str(" [network was down: not counted]");
        }
        if let Some(chain) = redirect_chain(c) {
            let _ = write!(out, " via {chain}");
        }
        if let Some(e) = &c.error {
            let _ = write!(out, " — {e}");
        }
        if let Some(v) = &c.video {
            let _ = write!(out, "; video: {v}");
        }
        out.push('\n');
    }
    let _ = writeln!(out, "\nsnapshots:");
    if h.snapshots.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for s in &h.snapshots {
        let mut what = match (s.role.as_str(), &s.tool) {
            ("video", Some(t)) => format!("video media ({t})"),
            ("video_info", Some(t)) => format!("video info JSON ({t})"),
            _ if s.good => format!("HTTP {}", s.http_status),
            _ => format!("HTTP {} (error page: not a good capture)", s.http_status),
        };
        if let Provenance::Memento {
            memento_url,
            rewritten,
            ..
        } = &s.provenance
        {
            let phrase = s.provenance.rescued_phrase().unwrap_or_default();
            what.push_str(&format!(" {phrase} via {memento_url}"));
            if *rewritten {
                what.push_str(" (as the archive serves it: may be rewritten)");
            }
        }
        if let Some(t) = s.lost_at {
            what.push_str(&format!(
                " — LOST: its object was found corrupted or missing by `verify --repair` on {}; no longer a copy",
                clock::format(t)
            ));
        }
        if let Some(p) = stamp_phrase(&s.stamp) {
            what.push_str(&format!("; {p}"));
        }
        capture_line(
            &mut out,
            s.captured_at,
            &s.sha256,
            s.bytes,
            s.content_type.as_deref(),
            &what,
        );
    }
    if !h.lookups.is_empty() {
        let _ = writeln!(out, "\nlookups in web archives:");
    }
    for l in &h.lookups {
        let _ = write!(
            out,
            "  {} {} {}",
            clock::format(l.looked_at),
            archive_name(&l.archive),
            match l.outcome.as_str() {
                "not_found" => "not found",
                other => other,
            }
        );
        if let Some(m) = &l.memento_url {
            let _ = write!(out, " {m}");
        }
        if let Some(t) = l.memento_datetime {
            let _ = write!(out, " (captured {})", clock::format(t));
        }
        if let Some(d) = &l.detail {
            let _ = write!(out, " — {d}");
        }
        let _ = writeln!(out, " [asked for {}]", clock::format(l.target_at));
    }
    if !h.submissions.is_empty() {
        let _ = writeln!(out, "\nsubmissions for a second copy:");
    }
    for s in &h.submissions {
        let _ = write!(
            out,
            "  {} {} {}",
            clock::format(s.submitted_at),
            archive_name(&s.endpoint),
            s.outcome.replace('_', " ")
        );
        if let Some(code) = s.http_status {
            let _ = write!(out, " HTTP {code}");
        }
        if let Some(m) = &s.memento_url {
            let _ = write!(out, " → {m}");
        }
        if let Some(d) = &s.detail {
            let _ = write!(out, " — {d}");
        }
        out.push('\n');
    }
    // Titles, URLs and server messages come from the web: no escapes reach a terminal.
    crate::text::printable(&out).into_owned()
}

/// "timestamped by ‹TSA› at ‹time›" (every authority, earliest first), or that the
/// capture's tree waits for one; None for a capture in no tree.
pub fn stamp_phrase(stamp: &Stamp) -> Option<String> {
    match stamp {
        Stamp::None => None,
        Stamp::Pending { tree_id } => Some(format!(
            "timestamp pending (tree {tree_id}: no authority has answered yet; the next run asks again)"
        )),
        Stamp::Stamped { by, .. } => Some(
            by.iter()
                .map(|(signer, _, at)| format!("timestamped by {signer} at {}", clock::format(*at)))
                .collect::<Vec<_>>()
                .join(" and "),
        ),
    }
}

/// The timestamp as JSON: null, `{"tree", "pending": true}`, or `{"tree", "pending": false,
/// "by": [{"signer", "tsa", "at"}]}`.
pub fn stamp_json(stamp: &Stamp) -> serde_json::Value {
    match stamp {
        Stamp::None => serde_json::Value::Null,
        Stamp::Pending { tree_id } => json!({ "tree": tree_id, "pending": true, "by": [] }),
        Stamp::Stamped { tree_id, by } => json!({
            "tree": tree_id,
            "pending": false,
            "by": by.iter().map(|(signer, tsa, at)| json!({
                "signer": signer, "tsa": tsa, "at": clock::format(*at)
            })).collect::<Vec<_>>(),
        }),
    }
}

/// A check's redirects as people read them: `301 → https://b/ → 302 → https://c/ → 200`.
pub fn redirect_chain(c: &crate::db::CheckRow) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Hop {
        url: String,
        status: u16,
    }
    let hops: Vec<Hop> = serde_json::from_str(c.redirects.as_deref()?).ok()?;
    if hops.is_empty() {
        return None;
    }
    let mut chain = String::new();
    for (i, h) in hops.iter().enumerate() {
        let next = hops
            .get(i + 1)
            .map(|n| n.url.as_str())
            .or(c.final_url.as_deref())
            .unwrap_or("?");
        let _ = write!(chain, "{} → {next} → ", h.status);
    }
    match c.http_status {
        Some(s) => {
            let _ = write!(chain, "{s}");
        }
        None => chain.push_str(&c.reason),
    }
    Some(chain)
}

/// One capture in a history listing: when, hash, size, type, and what it is.
fn capture_line(
    out: &mut String,
    at: crate::clock::Timestamp,
    sha256: &str,
    bytes: u64,
    content_type: Option<&str>,
    what: &str,
) {
    let _ = writeln!(
        out,
        "  {} {sha256} {bytes} bytes {} {what}",
        clock::format(at),
        content_type.unwrap_or("?"),
    );
}
