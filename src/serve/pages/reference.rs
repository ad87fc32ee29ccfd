//! `/ref?url=`: one reference — its state and why, a preview of what is kept (the image itself,
//! a player for video and audio, a sandboxed link for pages), the articles that cite it, every
//! check (redirect chains readable), every snapshot, lookup and submission, and its TimeMap.

use std::fmt::Write as _;

use std::collections::HashMap;

use super::{badge, date, datetime, esc, layout, object_link, size, titled_article_link, why};
use crate::db::{archive_name, HistoryRow, Provenance};
use crate::model::{Kind, State};

/// `titles`: the articles' titles by address, to name the citing articles.
pub(crate) fn reference_page(h: &HistoryRow, titles: &HashMap<String, String>) -> String {
    let l = &h.link;
    let mut b = String::new();
    let since = match l.dead_since {
        Some(t) if l.state != State::Alive => format!(" since {}", date(t)),
        _ => String::new(),
    };
    let _ = write!(
        b,
        "<h1>{}</h1><p class=\"meta\">{} {}{since} · {} · first seen {} · {} check(s) · <a href=\"{}\" rel=\"noreferrer nofollow\">open the live address</a> · <a href=\"/timemap/link/{}\">TimeMap</a></p>",
        esc(&l.url),
        badge(l.state),
        esc(&why(l.reason.as_deref(), l.state, l.confirmed)),
        l.kind.as_str(),
        date(l.first_seen),
        l.checks,
        esc(&l.url),
        esc(&l.url)
    );
    if !l.articles.is_empty() {
        b.push_str("<p class=\"meta cited\">cited by ");
        let links: Vec<String> = l
            .articles
            .iter()
            .map(|a| titled_article_link(a, titles.get(a).map(String::as_str), 80))
            .collect();
        b.push_str(&links.join(" · "));
        b.push_str("</p>");
    }

    b.push_str("<h2>What is kept</h2>");
    match &l.snapshot {
        None => b.push_str("<p class=\"lost\">No copy is held.</p>"),
        Some(s) => {
            let src = format!("/objects/{}", s.sha256);
            let ct = s.content_type.as_deref().unwrap_or("").to_ascii_lowercase();
            let kind = crate::extract::kind_from_content_type(&ct).unwrap_or(l.kind);
            let preview = match kind {
                Kind::Image => format!("<img src=\"{src}\" alt=\"the kept image\">"),
                Kind::Video => format!(
                    "<video controls preload=\"metadata\"><source src=\"{src}\" type=\"{}\">Your browser cannot play this video; <a href=\"{src}\">download it</a>.</video>",
                    esc(&crate::extract::mime_essence(&ct))
                ),
                Kind::Audio => format!(
                    "<audio controls preload=\"metadata\"><source src=\"{src}\" type=\"{}\"></audio>",
                    esc(&crate::extract::mime_essence(&ct))
                ),
                _ => format!(
                    "<a href=\"{src}\" rel=\"noreferrer\">open the kept copy</a> <span class=\"muted\">(served sandboxed: its scripts do not run)</span>"
                ),
            };
            let origin = match s.provenance.rescued_phrase() {
                Some(r) => format!("<span class=\"rescued\">{}</span>", esc(&r)),
                None => format!("captured {}", date(s.captured_at)),
            };
            // The kept copy's trusted timestamp, from its row in the snapshot history.
            let origin = match h
                .snapshots
                .iter()
                .rev()
                .find(|x| x.sha256 == s.sha256)
                .and_then(|x| crate::history::stamp_phrase(&x.stamp))
            {
                Some(p) => format!("{origin} · <span class=\"stamp\">{}</span>", esc(&p)),
                None => origin,
            };
            let _ = write!(
                b,
                "<div class=\"preview\">{preview}<p class=\"meta\">{origin} · {} · {} · {}</p></div>",
                esc(s.content_type.as_deref().unwrap_or("unknown type")),
                size(s.bytes),
                object_link(&s.sha256)
            );
        }
    }

    let _ = write!(
        b,
        "<h2>Checks <span class=\"muted\">({})</span></h2>",
        h.checks.len()
    );
    b.push_str(
        "<table><colgroup><col class=\"w14\"><col class=\"w8\"><col class=\"w17\"><col class=\"w31\"><col class=\"w30\"></colgroup>\
         <tr><th>when</th><th>state</th><th>why</th><th>redirects</th><th>note</th></tr>",
    );
    for c in h.checks.iter().rev() {
        let state = State::parse(&c.state).unwrap_or(State::Unchecked);
        let chain = crate::history::redirect_chain(c).unwrap_or_default();
        let reason = why(Some(&c.reason), state, false);
        let note = [c.error.as_deref(), c.video.as_deref()]
            .into_iter()
            .flatten()
            .filter(|n| *n != reason)
            .collect::<Vec<_>>()
            .join("; ");
        let note = if c.network_down {
            format!("network was down: not counted. {note}")
        } else {
            note
        };
        let (chain, note) = (esc(&chain), esc(&note));
        let _ = write!(
            b,
            "<tr><td class=\"date\">{}</td><td>{}</td><td>{}</td><td title=\"{chain}\">{chain}</td><td title=\"{note}\">{note}</td></tr>",
            datetime(c.checked_at),
            badge(state),
            esc(&reason)
        );
    }
    b.push_str("</table>");

    let _ = write!(
        b,
        "<h2>Snapshots <span class=\"muted\">({})</span></h2>",
        h.snapshots.len()
    );
    if !h.snapshots.is_empty() {
        b.push_str(
            "<table><colgroup><col class=\"w14\"><col class=\"w30\"><col class=\"w20\"><col class=\"w10\"><col class=\"w12\"></colgroup>\
             <tr><th>captured</th><th>what</th><th>type</th><th>size</th><th>object</th></tr>",
        );
        for s in h.snapshots.iter().rev() {
            let mut what = match (s.role.as_str(), s.good) {
                ("video", _) => "video media (yt-dlp)".to_string(),
                ("video_info", _) => "video info JSON".to_string(),
                (_, true) => format!("HTTP {}", s.http_status),
                (_, false) => format!("HTTP {} — an error page, not the content", s.http_status),
            };
            if let Provenance::Memento { .. } = &s.provenance {
                what.push_str(" · ");
                what.push_str(&s.provenance.rescued_phrase().unwrap_or_default());
            }
            if s.lost_at.is_some() {
                what.push_str(" · LOST (found damaged by verify)");
            }
            let what = esc(&what);
            let stamp = crate::history::stamp_phrase(&s.stamp)
                .map(|p| format!("<br><span class=\"stamp\">{}</span>", esc(&p)))
                .unwrap_or_default();
            let _ = write!(
                b,
                "<tr><td class=\"date\">{}</td><td class=\"wrap\" title=\"{what}\">{what}{stamp}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                datetime(s.captured_at),
                esc(s.content_type.as_deref().unwrap_or("")),
                size(s.bytes),
                object_link(&s.sha256)
            );
        }
        b.push_str("</table>");
    }

    if !h.lookups.is_empty() {
        b.push_str(
            "<h2>Lookups in web archives</h2><table><colgroup><col class=\"w14\"><col class=\"w17\"><col class=\"w10\"><col class=\"w30\"><col class=\"w30\"></colgroup>\
             <tr><th>when</th><th>archive</th><th>outcome</th><th>memento</th><th>note</th></tr>",
        );
        for lk in h.lookups.iter().rev() {
            let memento = lk
                .memento_url
                .as_deref()
                .map(|m| {
                    format!(
                        "<a href=\"{0}\" rel=\"noreferrer nofollow\" title=\"{0}\">{0}</a>",
                        esc(m)
                    )
                })
                .unwrap_or_default();
            let detail = esc(lk.detail.as_deref().unwrap_or(""));
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{memento}</td><td title=\"{detail}\">{detail}</td></tr>",
                datetime(lk.looked_at),
                esc(&archive_name(&lk.archive)),
                esc(&lk.outcome.replace('_', " "))
            );
        }
        b.push_str("</table>");
    }
    if !h.submissions.is_empty() {
        b.push_str(
            "<h2>Submissions for a second copy</h2><table><colgroup><col class=\"w14\"><col class=\"w17\"><col class=\"w12\"><col class=\"w31\"><col class=\"w25\"></colgroup>\
             <tr><th>when</th><th>endpoint</th><th>outcome</th><th>new memento</th><th>note</th></tr>",
        );
        for s in h.submissions.iter().rev() {
            let memento = esc(s.memento_url.as_deref().unwrap_or(""));
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td title=\"{memento}\">{memento}</td><td>{}</td></tr>",
                datetime(s.submitted_at),
                esc(&archive_name(&s.endpoint)),
                esc(&s.outcome.replace('_', " ")),
                esc(s.detail.as_deref().unwrap_or(""))
            );
        }
        b.push_str("</table>");
    }
    layout(&l.url, "", &b)
}
