//! `history URL`: every check and every snapshot of one reference, oldest first. Read-only.

use std::fmt::Write as _;

use serde_json::json;

use crate::clock;
use crate::db::{Db, DbError, HistoryRow};
use crate::report::link_json;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("`{0}` is not a reference in this archive; `linkvault report --all` lists them")]
    Unknown(String),
}

/// Looks the URL up as typed, then without its fragment.
pub fn load(db: &Db, url: &str) -> Result<HistoryRow, HistoryError> {
    if let Some(h) = db.history(url)? {
        return Ok(h);
    }
    if let Ok(mut u) = url::Url::parse(url) {
        u.set_fragment(None);
        if let Some(h) = db.history(u.as_str())? {
            return Ok(h);
        }
    }
    Err(HistoryError::Unknown(url.to_string()))
}

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
            json!({
                "sha256": s.sha256,
                "bytes": s.bytes,
                "content_type": s.content_type,
                "http_status": s.http_status,
                "captured_at": clock::format(s.captured_at),
                "good": s.good,
                "role": s.role,
                "tool": s.tool,
            })
        })
        .collect();
    let v = json!({ "reference": link_json(&h.link), "checks": checks, "snapshots": snapshots });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

pub fn render_text(h: &HistoryRow) -> String {
    let l = &h.link;
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", l.url, l.kind);
    let _ = writeln!(
        out,
        "state: {} {}{}; first seen {}; {} check(s)",
        l.state,
        l.reason.as_deref().unwrap_or(""),
        if l.confirmed { " (confirmed)" } else { "" },
        clock::format(l.first_seen),
        l.checks
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
        if let Some(r) = &c.redirects {
            let _ = write!(out, " redirects {r}");
        }
        if let (Some(f), true) = (&c.final_url, c.redirects.is_some()) {
            let _ = write!(out, " -> {f}");
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
        let what = match (s.role.as_str(), &s.tool) {
            ("video", Some(t)) => format!("video media ({t})"),
            ("video_info", Some(t)) => format!("video info JSON ({t})"),
            _ if s.good => format!("HTTP {}", s.http_status),
            _ => format!("HTTP {} (error page: not a good capture)", s.http_status),
        };
        let _ = writeln!(
            out,
            "  {} {} {} bytes {} {what}",
            clock::format(s.captured_at),
            s.sha256,
            s.bytes,
            s.content_type.as_deref().unwrap_or("?"),
        );
    }
    out
}
