//! The report as one self-contained HTML page (`report --format html`): summary, the link-rot
//! chart for the archive and for the most affected articles, a per-host survival table, and
//! the references grouped by article. Inline CSS, no scripts, everything escaped.

use std::io::Write;

use super::chart::{rot_series, svg};
use super::{verdict_text, video_gap_note, ReportError};
use crate::clock;
use crate::db::{Db, LinkFilter, Summary};
use crate::model::State;

pub use crate::text::html_escape as escape;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem}.meta{color:#666}table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
td.url{word-break:break-all}.badge{padding:.1rem .4rem;border-radius:.3rem;color:#fff;font-size:.8rem}
.alive{background:#2e7d32}.dead{background:#c62828}.blocked{background:#6a1b9a}.transient{background:#f9a825;color:#222}
.unchecked{background:#777}.charts{display:flex;flex-wrap:wrap;gap:1rem}code{font-size:.8rem}";

/// Writes the HTML report of the references `filter` covers, with `summary` at the top.
pub fn write_html(
    db: &Db,
    filter: LinkFilter,
    summary: &Summary,
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
    writeln!(out, "<h2>Link rot over time</h2>")?;
    let series = rot_series(db, filter.article)?;
    if !series.drawable() {
        writeln!(out, "<p>{}</p>", escape(&series.not_yet()))?;
    } else {
        writeln!(out, "<div class=\"charts\">")?;
        writeln!(out, "{}", svg(&series, "all references", 720, 260))?;
        if filter.article.is_none() {
            for (id, name) in db.articles_with_rot(12)? {
                let series = rot_series(db, Some(id))?;
                if series.drawable() {
                    writeln!(out, "{}", svg(&series, &name, 352, 200))?;
                }
            }
        }
        writeln!(out, "</div>")?;
    }

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
        let snap = match &l.snapshot {
            Some(s) => format!("<code title=\"{} bytes\">{}</code>", s.bytes, escape(&s.sha256)),
            None => "none".into(),
        };
        let snap = match l.snapshot.as_ref().and_then(|s| s.provenance.rescued_phrase()) {
            Some(rescued) => format!("{} {snap}", escape(&rescued)),
            None => snap,
        };
        let target = l.url.clone();
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
