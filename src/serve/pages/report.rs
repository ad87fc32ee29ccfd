//! `/`: the dead-link report an editor opens first — the counts, filters (state, kind, host with
//! its subdomains, article by substring), the articles that could not be read, the references,
//! newest failures first, a page at a time, then the rot chart once checks span two days, and
//! the hosts.

use std::fmt::Write as _;

use super::{
    article_link, article_titles, badge, copy_cell, date, esc, layout, q, ref_link,
    titled_article_link, why,
};
use crate::db::{Db, DbError, ReportQuery};
use crate::model::{Kind, State};
use crate::report::chart::{rot_series, svg};

/// References per page.
const PAGE: usize = 200;

/// The filters as the form sent them.
#[derive(Debug, Default)]
pub(crate) struct Filters {
    pub state: Option<State>,
    pub kind: Option<Kind>,
    pub host: Option<String>,
    pub article: Option<String>,
    pub all: bool,
    pub page: usize,
}

pub(crate) fn report_page(db: &Db, f: &Filters) -> Result<String, DbError> {
    let summary = db.summary(None)?;
    let new_since = db.latest_run_start()?;
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>Dead-link report</h1><p class=\"meta\">{} · {} · as of {}</p>",
        crate::report::count(summary.articles, "article", "articles"),
        crate::report::count(summary.links, "reference", "references"),
        crate::clock::format(crate::clock::now())
    );
    let card = |class: &str, n: u64, label: &str| {
        format!("<div class=\"card {class}\"><b>{n}</b><span>{label}</span></div>")
    };
    let _ = write!(
        b,
        "<div class=\"cards\">{}{}{}{}{}{}{}{}</div>",
        card("", summary.alive, "alive"),
        card("c-dead", summary.dead, "dead"),
        card("", summary.blocked, "blocked"),
        card("", summary.transient, "transient"),
        card("", summary.unchecked, "unchecked"),
        card(
            "c-held",
            summary.rescued,
            &match summary.rescued_from_archives {
                0 => "not alive, copy kept".to_string(),
                n => format!("not alive, copy kept ({n} rescued)"),
            }
        ),
        card("c-lost", summary.lost, "not alive, no copy"),
        card("", summary.articles_not_read, "articles not read"),
    );
    b.push_str(&filter_form(f));

    let failing = db.failing_articles()?;
    if !failing.is_empty() {
        b.push_str("<h2>Articles that could not be read</h2><table><colgroup><col class=\"w46\"><col class=\"w40\"><col class=\"w14\"></colgroup><tr><th>article</th><th>why</th><th>last tried</th></tr>");
        for (article, error, at) in failing {
            let error = esc(&error);
            let _ = write!(
                b,
                "<tr><td>{}</td><td title=\"{error}\">{error}</td><td>{}</td></tr>",
                article_link(&article, 70),
                date(at)
            );
        }
        b.push_str("</table>");
    }

    let query = ReportQuery {
        include_alive: f.all,
        state: f.state,
        kind: f.kind,
        host: f.host.clone(),
        article: f.article.clone(),
        limit: PAGE,
        offset: f.page * PAGE,
    };
    let (rows, total) = db.report_rows(&query)?;
    let titles = article_titles(db)?;
    let cite =
        |url: &String, max| titled_article_link(url, titles.get(url).map(String::as_str), max);
    let _ = write!(
        b,
        "<h2>{} <span class=\"muted\">({total})</span></h2>",
        if f.all || f.state == Some(State::Alive) {
            "References"
        } else {
            "References that are not alive"
        }
    );
    if rows.is_empty() {
        b.push_str("<p class=\"muted\">Nothing matches.</p>");
    } else {
        b.push_str(
            "<table class=\"refs\"><colgroup><col class=\"w10\"><col class=\"w16\">\
             <col class=\"w6\"><col class=\"w30\"><col class=\"w17\">\
             <col class=\"w9\"><col class=\"w12\"></colgroup>\
             <tr><th>state</th><th>why</th><th>kind</th><th>reference</th><th>cited by</th>\
             <th>since</th><th>copy</th></tr>",
        );
        for l in &rows {
            let is_new = l.state != State::Alive
                && matches!((l.dead_since, new_since), (Some(d), Some(n)) if d >= n);
            let cited = match l.articles.as_slice() {
                [] => "<span class=\"muted\">—</span>".to_string(),
                [one] => cite(one, 40),
                [first, rest @ ..] => {
                    format!(
                        "{} <span class=\"muted\">+{}</span>",
                        cite(first, 32),
                        rest.len()
                    )
                }
            };
            let reason = esc(&why(l.reason.as_deref(), l.state, l.confirmed));
            let _ = write!(
                b,
                "<tr><td class=\"state\">{}{}</td><td title=\"{reason}\">{reason}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"date\">{}</td><td>{}</td></tr>",
                badge(l.state),
                if is_new { "<span class=\"new\">new</span>" } else { "" },
                l.kind.as_str(),
                ref_link(&l.url, 46),
                cited,
                l.dead_since
                    .filter(|_| l.state != State::Alive)
                    .map(date)
                    .unwrap_or_default(),
                copy_cell(l.snapshot.as_ref(), l.state),
            );
        }
        b.push_str("</table>");
        pager(&mut b, f, total);
    }

    let series = rot_series(db, None)?;
    if series.drawable() {
        let _ = write!(
            b,
            "<h2>Link rot over time</h2><div class=\"chart\">{}</div>",
            svg(
                &series,
                "all references, by state at the end of each day",
                900,
                260
            )
        );
    } else {
        let _ = write!(b, "<p class=\"note\">{}</p>", esc(&series.not_yet()));
    }

    let hosts = db.host_counts(None)?;
    if !hosts.is_empty() {
        b.push_str("<h2>Hosts</h2><table><colgroup><col class=\"w40\"><col><col><col><col><col><col></colgroup><tr><th>host</th><th>links</th><th>alive</th><th>dead</th><th>blocked</th><th>transient</th><th>surviving</th></tr>");
        for (host, [n, alive, dead, blocked, transient]) in hosts.into_iter().take(30) {
            let pct = (100 * alive).checked_div(n).unwrap_or(0);
            let _ = write!(
                b,
                "<tr><td><a href=\"/?host={}&amp;all=1\">{}</a></td><td>{n}</td><td>{alive}</td><td>{dead}</td><td>{blocked}</td><td>{transient}</td><td>{pct}%</td></tr>",
                q(&host),
                esc(&host)
            );
        }
        b.push_str("</table>");
    }
    Ok(layout("Dead-link report", "/", &b))
}

fn filter_form(f: &Filters) -> String {
    let select = |name: &str, options: &[&str], current: Option<&str>| {
        let mut s = format!("<select name=\"{name}\"><option value=\"\">any</option>");
        for o in options {
            let _ = write!(
                s,
                "<option{}>{o}</option>",
                if current == Some(*o) { " selected" } else { "" }
            );
        }
        s.push_str("</select>");
        s
    };
    let states: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
    let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
    format!(
        "<form class=\"filters\" method=\"get\" action=\"/\">\
         <label>state {}</label><label>kind {}</label>\
         <label>host (and subdomains)<input name=\"host\" value=\"{}\" size=\"22\"></label>\
         <label>article (address or title contains)<input name=\"article\" value=\"{}\" size=\"34\"></label>\
         <label class=\"check\"><input type=\"checkbox\" name=\"all\" value=\"1\"{}> include alive</label>\
         <button>filter</button> <a href=\"/\">clear</a></form>",
        select("state", &states, f.state.map(State::as_str)),
        select("kind", &kinds, f.kind.map(Kind::as_str)),
        esc(f.host.as_deref().unwrap_or("")),
        esc(f.article.as_deref().unwrap_or("")),
        if f.all { " checked" } else { "" }
    )
}

fn pager(b: &mut String, f: &Filters, total: u64) {
    let pages = (total as usize).div_ceil(PAGE);
    if pages <= 1 {
        return;
    }
    let link = |page: usize, label: &str| {
        let mut params = vec![format!("page={page}")];
        if let Some(s) = f.state {
            params.push(format!("state={}", s.as_str()));
        }
        if let Some(k) = f.kind {
            params.push(format!("kind={}", k.as_str()));
        }
        if let Some(h) = &f.host {
            params.push(format!("host={}", q(h)));
        }
        if let Some(a) = &f.article {
            params.push(format!("article={}", q(a)));
        }
        if f.all {
            params.push("all=1".into());
        }
        format!("<a href=\"/?{}\">{label}</a>", esc(&params.join("&")))
    };
    b.push_str("<div class=\"pager\">");
    if f.page > 0 {
        b.push_str(&link(f.page - 1, "← newer"));
    }
    let _ = write!(
        b,
        "<span class=\"muted\">page {} of {pages}</span>",
        f.page + 1
    );
    if f.page + 1 < pages {
        b.push_str(&link(f.page + 1, "older →"));
    }
    b.push_str("</div>");
}
