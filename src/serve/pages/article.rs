//! `/article?url=`: one article — its title and address, when it was published and read,
//! whether the last read worked, every version read (edits marked) linked to its kept copy, and
//! every reference it cites with its state, since when, and the copy held.

use std::fmt::Write as _;

use super::{badge, copy_cell, date, datetime, esc, layout, object_link, ref_link, size, why};
use crate::db::{ArticleHistory, Db, DbError, LinkFilter};
use crate::model::State;

/// The page of article `a`.
pub(crate) fn article_page(db: &Db, a: &ArticleHistory) -> Result<String, DbError> {
    let id = a.id;
    let address = a.url.clone().unwrap_or_else(|| a.source.clone());
    let title = a.title.clone().unwrap_or_else(|| address.clone());
    let mut b = String::new();
    let _ = write!(b, "<h1>{}</h1>", esc(&title));
    let external = if address.starts_with("http://") || address.starts_with("https://") {
        format!(
            "<a href=\"{0}\" rel=\"noreferrer nofollow\">{0}</a>",
            esc(&address)
        )
    } else {
        format!("<code>{}</code> (a saved file)", esc(&address))
    };
    let _ = write!(b, "<p class=\"meta\">{external}</p>");
    let read = match (a.last_read_at, &a.last_error) {
        (None, _) => "not read yet".to_string(),
        (Some(t), Some(e)) => format!(
            "<span class=\"lost\">could not be read</span> on {}: {} — it is read again on every run",
            date(t),
            esc(e)
        ),
        (Some(t), None) => format!("last read {}", date(t)),
    };
    let read = match a.published_at {
        Some(p) => format!("published {} · {read}", date(p)),
        None => read,
    };
    let _ = write!(
        b,
        "<p class=\"meta\">{read} · cites {} · {} version(s) kept</p>",
        a.cites,
        a.captures.len()
    );

    // The latest version the browser rendered, as a reader saw it.
    let shown = a.captures.iter().rev().find_map(|c| {
        c.screenshot
            .as_ref()
            .filter(|s| s.lost_at.is_none())
            .map(|s| (c, s))
    });
    if let Some((c, s)) = shown {
        let sha = esc(&s.sha256);
        let dims = match (s.width, s.height) {
            (Some(w), Some(h)) => format!(" width=\"{w}\" height=\"{h}\""),
            _ => String::new(),
        };
        let _ = write!(
            b,
            "<h2>As rendered</h2><figure class=\"shot\"><div class=\"frame\"><a href=\"/objects/{sha}\">\
             <img src=\"/objects/{sha}\"{dims} alt=\"Full-page screenshot of the article as a browser rendered it on {when}\"></a></div>\
             <figcaption>Screenshot of the version read {read}, taken by {tool} on {when}{size}{note} · {link}</figcaption></figure>",
            when = datetime(s.captured_at),
            read = datetime(c.captured_at),
            tool = esc(s.tool.as_deref().unwrap_or("a browser")),
            size = match (s.width, s.height) {
                (Some(w), Some(h)) => format!(" ({w}×{h} px, {})", size(s.bytes)),
                _ => format!(" ({})", size(s.bytes)),
            },
            note = s
                .note
                .as_deref()
                .map(|n| format!(" — {}", esc(n)))
                .unwrap_or_default(),
            link = object_link(&s.sha256),
        );
    }

    b.push_str("<h2>Versions read</h2>");
    if a.captures.is_empty() {
        b.push_str("<p class=\"muted\">No version kept yet.</p>");
    } else {
        b.push_str(
            "<table><colgroup><col class=\"w20\"><col class=\"w14\"><col class=\"w12\"><col class=\"w30\"><col class=\"w16\"></colgroup>\
             <tr><th>read</th><th>answer</th><th>size</th><th>note</th><th>kept copy · screenshot</th></tr>",
        );
        for c in a.captures.iter().rev() {
            let note = match (c.edited, c.lost_at.is_some()) {
                (_, true) => "<span class=\"lost\">copy lost (found damaged by verify)</span>",
                (true, false) => "<b>text edited</b> since the version before",
                (false, false) => "",
            };
            let stamp = crate::history::stamp_phrase(&c.stamp)
                .map(|p| {
                    let br = if note.is_empty() { "" } else { "<br>" };
                    format!("{br}<span class=\"stamp\">{}</span>", esc(&p))
                })
                .unwrap_or_default();
            let _ = write!(
                b,
                "<tr><td class=\"date\">{}</td><td>{}</td><td>{}</td><td class=\"wrap\">{note}{stamp}</td><td>{}</td></tr>",
                datetime(c.captured_at),
                c.http_status
                    .map(|s| format!("HTTP {s}"))
                    .unwrap_or_else(|| "saved file".into()),
                size(c.bytes),
                match &c.screenshot {
                    Some(s) if s.lost_at.is_none() =>
                        format!("{} · {}", object_link(&c.sha256), object_link(&s.sha256)),
                    _ => object_link(&c.sha256),
                }
            );
        }
        b.push_str("</table>");
    }

    let filter = LinkFilter {
        article: Some(id),
        include_alive: true,
    };
    let mut rows = String::new();
    let mut n = 0;
    db.for_each_link(filter, |l| -> Result<(), DbError> {
        n += 1;
        let reason = esc(&why(l.reason.as_deref(), l.state, l.confirmed));
        let _ = write!(
            rows,
            "<tr><td class=\"state\">{}</td><td title=\"{reason}\">{reason}</td><td>{}</td><td>{}</td><td class=\"date\">{}</td><td>{}</td></tr>",
            badge(l.state),
            l.kind.as_str(),
            ref_link(&l.url, 60),
            l.dead_since
                .filter(|_| l.state != State::Alive)
                .map(date)
                .unwrap_or_default(),
            copy_cell(l.snapshot.as_ref(), l.state)
        );
        Ok(())
    })?;
    let _ = write!(
        b,
        "<h2>References it cites <span class=\"muted\">({n})</span></h2>"
    );
    if n == 0 {
        b.push_str("<p class=\"muted\">None recorded.</p>");
    } else {
        b.push_str(
            "<table><colgroup><col class=\"w8\"><col class=\"w17\"><col class=\"w6\"><col class=\"w40\"><col class=\"w12\"><col class=\"w17\"></colgroup>\
             <tr><th>state</th><th>why</th><th>kind</th><th>reference</th><th>since</th><th>copy</th></tr>",
        );
        b.push_str(&rows);
        b.push_str("</table>");
    }
    Ok(layout(&title, "", &b))
}
