//! The report as one self-contained HTML page (`report --format html`): summary, the link-rot
//! chart for the archive and for the most affected articles, a per-host survival table, and
//! the references grouped by article. Inline CSS, no scripts, everything escaped.

use std::io::Write;

use super::chart::{rot_series, svg};
use super::{verdict_text, video_gap_note, ReportError};
use crate::clock;
use crate::db::{Db, HistoryRow, LinkFilter, LinkRow, Summary};
use crate::model::{Kind, State};

/// HTML-escapes text for element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem}.meta{color:#666}table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
td.url{word-break:break-all}.badge{padding:.1rem .4rem;border-radius:.3rem;color:#fff;font-size:.8rem}
.alive{background:#2e7d32}.dead{background:#c62828}.blocked{background:#6a1b9a}.transient{background:#f9a825;color:#222}
.unchecked{background:#777}.charts{display:flex;flex-wrap:wrap;gap:1rem}code{font-size:.8rem}";

/// How the page is shown: a standalone file, or served by `linkvault serve` with links to
/// each reference's history and snapshot, and filters.
#[derive(Debug, Clone, Default)]
pub struct View {
    pub served: bool,
    pub state: Option<State>,
    pub kind: Option<Kind>,
    pub host: Option<String>,
    /// The article filter as the user gave it (echoed in the form).
    pub article: Option<String>,
}

impl View {
    fn shows(&self, l: &LinkRow) -> bool {
        self.state.is_none_or(|s| s == l.state)
            && self.kind.is_none_or(|k| k == l.kind)
            && self
                .host
                .as_deref()
                .is_none_or(|h| h.eq_ignore_ascii_case(&l.host))
    }
}

/// The history page of one reference (served).
pub fn write_history(h: &HistoryRow, out: &mut dyn Write) -> std::io::Result<()> {
    let l = &h.link;
    writeln!(out, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>", escape(&l.url))?;
    writeln!(
        out,
        "<p><a href=\"/\">report</a></p><h1 class=\"url\">{}</h1><p><span class=\"badge {}\">{}</span> {} · first seen {} · {} check(s) · <a href=\"/timemap/link/{}\">TimeMap</a></p>",
        escape(&l.url),
        l.state.as_str(),
        escape(&verdict_text(l)),
        l.kind.as_str(),
        clock::format(l.first_seen),
        l.checks,
        escape(&l.url)
    )?;
    for a in &l.articles {
        writeln!(out, "<p>cited by {}</p>", escape(a))?;
    }
    writeln!(out, "<h2>Checks</h2><table><tr><th>when</th><th>state</th><th>HTTP</th><th>final URL</th><th>note</th></tr>")?;
    for c in &h.checks {
        writeln!(
            out,
            "<tr><td>{}</td><td>{} {}</td><td>{}</td><td class=\"url\">{}</td><td>{}</td></tr>",
            clock::format(c.checked_at),
            escape(&c.state),
            escape(&c.reason),
            c.http_status.map(|s| s.to_string()).unwrap_or_default(),
            escape(c.final_url.as_deref().unwrap_or("")),
            escape(
                &[c.error.as_deref(), c.video.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        )?;
    }
    writeln!(out, "</table><h2>Snapshots</h2><table><tr><th>captured</th><th>what</th><th>type</th><th>bytes</th><th>sha256</th></tr>")?;
    for s in &h.snapshots {
        let origin = match &s.provenance {
            crate::db::Provenance::Memento { memento_url, .. } => format!(
                " {} <a href=\"{}\" rel=\"noreferrer nofollow\">memento</a>",
                escape(&s.provenance.rescued_phrase().unwrap_or_default()),
                escape(memento_url)
            ),
            crate::db::Provenance::Own => String::new(),
        };
        writeln!(
            out,
            "<tr><td>{}</td><td>{}{}{origin}</td><td>{}</td><td>{}</td><td><a href=\"/objects/{}\"><code>{}</code></a></td></tr>",
            clock::format(s.captured_at),
            escape(&s.role),
            if s.good { "" } else { " (error page)" },
            escape(s.content_type.as_deref().unwrap_or("")),
            s.bytes,
            escape(&s.sha256),
            escape(&s.sha256)
        )?;
    }
    writeln!(out, "</table>")?;
    if !h.lookups.is_empty() {
        writeln!(out, "<h2>Lookups in web archives</h2><table><tr><th>when</th><th>archive</th><th>outcome</th><th>memento</th><th>note</th></tr>")?;
        for l in &h.lookups {
            writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"url\">{}</td><td>{}</td></tr>",
                clock::format(l.looked_at),
                escape(&crate::db::archive_name(&l.archive)),
                escape(&l.outcome),
                escape(l.memento_url.as_deref().unwrap_or("")),
                escape(l.detail.as_deref().unwrap_or(""))
            )?;
        }
        writeln!(out, "</table>")?;
    }
    if !h.submissions.is_empty() {
        writeln!(out, "<h2>Submissions for a second copy</h2><table><tr><th>when</th><th>endpoint</th><th>outcome</th><th>new memento</th><th>note</th></tr>")?;
        for s in &h.submissions {
            writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"url\">{}</td><td>{}</td></tr>",
                clock::format(s.submitted_at),
                escape(&crate::db::archive_name(&s.endpoint)),
                escape(&s.outcome),
                escape(s.memento_url.as_deref().unwrap_or("")),
                escape(s.detail.as_deref().unwrap_or(""))
            )?;
        }
        writeln!(out, "</table>")?;
    }
    writeln!(out, "</body></html>")
}

/// Percent-encodes a URL for use inside a query string.
fn query_value(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn write_html(
    db: &Db,
    filter: LinkFilter,
    summary: &Summary,
    view: &View,
    out: &mut dyn Write,
) -> Result<(), ReportError> {
    writeln!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>linkvault report</title><style>{STYLE}</style></head><body>"
    )?;
    writeln!(
        out,
        "<h1>linkvault report</h1><p class=\"meta\">generated {}</p>",
        clock::format(clock::now())
    )?;
    if view.served {
        write_filter_form(view, filter.include_alive, out)?;
    }
    writeln!(
        out,
        "<table><tr><th>articles</th><th>links</th><th>alive</th><th>dead</th><th>blocked</th><th>transient</th><th>unchecked</th><th>rescued</th><th>lost</th></tr>\
         <tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>",
        summary.articles, summary.links, summary.alive, summary.dead, summary.blocked, summary.transient, summary.unchecked, summary.rescued, summary.lost
    )?;
    if let Some(note) = video_gap_note(summary) {
        writeln!(out, "<p><strong>{}</strong></p>", escape(&note))?;
    }
    if summary.articles_edited > 0 {
        writeln!(
            out,
            "<p>{} edited since first read: every version is kept (<code>linkvault history ARTICLE</code>).</p>",
            super::count(summary.articles_edited, "article", "articles")
        )?;
    }
    let failing = db.failing_articles()?;
    if !failing.is_empty() {
        writeln!(
            out,
            "<h2>Articles that could not be read</h2><table><tr><th>article</th><th>why</th><th>last tried</th></tr>"
        )?;
        for (article, error, at) in failing {
            writeln!(
                out,
                "<tr><td class=\"url\">{}</td><td>{}</td><td>{}</td></tr>",
                escape(&article),
                escape(&error),
                clock::format(at)
            )?;
        }
        writeln!(out, "</table>")?;
    }
    writeln!(out, "<h2>Link rot over time</h2><div class=\"charts\">")?;
    let series = rot_series(db, filter.article)?;
    writeln!(out, "{}", svg(&series, "all references", 720, 260))?;
    if filter.article.is_none() {
        for (id, name) in db.articles_with_rot(12)? {
            let series = rot_series(db, Some(id))?;
            writeln!(out, "{}", svg(&series, &name, 352, 200))?;
        }
    }
    writeln!(out, "</div>")?;

    writeln!(out, "<h2>Hosts</h2><table><tr><th>host</th><th>links</th><th>alive</th><th>dead</th><th>blocked</th><th>transient</th><th>surviving</th></tr>")?;
    for (host, [n, alive, dead, blocked, transient]) in db.host_counts(filter.article)? {
        let pct = (100 * alive).checked_div(n).unwrap_or(0);
        writeln!(
            out,
            "<tr><td>{}</td><td>{n}</td><td>{alive}</td><td>{dead}</td><td>{blocked}</td><td>{transient}</td><td>{pct}%</td></tr>",
            escape(&host)
        )?;
    }
    writeln!(out, "</table>")?;

    writeln!(
        out,
        "<h2>{}</h2>",
        if filter.include_alive {
            "References"
        } else {
            "References that are not alive"
        }
    )?;
    let mut current: Option<String> = None;
    db.for_each_cited_link(filter, |l, article| -> Result<(), ReportError> {
        if !view.shows(&l) {
            return Ok(());
        }
        if current.as_deref() != Some(article) {
            if current.is_some() {
                writeln!(out, "</table>")?;
            }
            writeln!(
                out,
                "<h3>{}</h3><table><tr><th>state</th><th>kind</th><th>reference</th><th>since</th><th>snapshot</th></tr>",
                escape(article)
            )?;
            current = Some(article.to_string());
        }
        let since = l.dead_since.filter(|_| l.state != State::Alive).map(clock::format).unwrap_or_default();
        let snap = match (&l.snapshot, view.served) {
            (Some(s), true) => format!(
                "<a href=\"/objects/{0}\"><code title=\"{1} bytes\">{0}</code></a>",
                escape(&s.sha256),
                s.bytes
            ),
            (Some(s), false) => format!("<code title=\"{} bytes\">{}</code>", s.bytes, escape(&s.sha256)),
            (None, _) => "none".into(),
        };
        let snap = match l.snapshot.as_ref().and_then(|s| s.provenance.rescued_phrase()) {
            Some(rescued) => format!("{} {snap}", escape(&rescued)),
            None => snap,
        };
        let target = if view.served {
            format!("/ref?url={}", query_value(&l.url))
        } else {
            l.url.clone()
        };
        writeln!(
            out,
            "<tr><td><span class=\"badge {}\">{}</span></td><td>{}</td><td class=\"url\"><a href=\"{}\" rel=\"noreferrer nofollow\">{}</a></td><td>{}</td><td>{}</td></tr>",
            l.state.as_str(),
            escape(&verdict_text(&l)),
            l.kind.as_str(),
            escape(&target),
            escape(&l.url),
            since,
            snap
        )?;
        Ok(())
    })?;
    if current.is_some() {
        writeln!(out, "</table>")?;
    } else {
        writeln!(out, "<p>Nothing to list.</p>")?;
    }
    writeln!(out, "</body></html>")?;
    Ok(())
}

fn write_filter_form(view: &View, include_alive: bool, out: &mut dyn Write) -> std::io::Result<()> {
    let opt = |name: &str, current: Option<&str>| {
        format!(
            "<option{}>{name}</option>",
            if current == Some(name) {
                " selected"
            } else {
                ""
            }
        )
    };
    let states: String = std::iter::once(opt("", None))
        .chain(
            State::ALL
                .iter()
                .map(|s| opt(s.as_str(), view.state.map(State::as_str))),
        )
        .collect();
    let kinds: String = std::iter::once(opt("", None))
        .chain(
            Kind::ALL
                .iter()
                .map(|k| opt(k.as_str(), view.kind.map(Kind::as_str))),
        )
        .collect();
    writeln!(
        out,
        "<form method=\"get\" action=\"/\"><label>state <select name=\"state\">{states}</select></label> \
         <label>kind <select name=\"kind\">{kinds}</select></label> \
         <label>host <input name=\"host\" value=\"{}\"></label> \
         <label>article <input name=\"article\" value=\"{}\" size=\"40\"></label> \
         <label><input type=\"checkbox\" name=\"all\" value=\"1\"{}> include alive</label> <button>filter</button></form>",
        escape(view.host.as_deref().unwrap_or("")),
        escape(view.article.as_deref().unwrap_or("")),
        if include_alive { " checked" } else { "" }
    )
}
