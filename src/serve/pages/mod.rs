//! The pages of the web view, as an editor opens them every morning: the report (`/`), the
//! articles (`/articles`), one article (`/article?url=`), one reference (`/ref?url=`). Plain
//! HTML and one stylesheet (`/static/style.css`): no scripts, so the strict Content-Security-
//! Policy every page carries costs nothing, and every page works as is. All text is escaped.

mod article;
mod articles;
mod reference;
pub(super) mod report;

pub(super) use article::article_page;
pub(super) use articles::articles_page;
pub(super) use reference::reference_page;
pub(super) use report::report_page;

use crate::clock::{self, Timestamp};
use crate::db::SnapshotInfo;
use crate::model::State;
use crate::report::shorten_middle;
use crate::text::html_escape as esc;

/// The one stylesheet, served at `/static/style.css`.
pub(super) const STYLE: &str = r#":root{--fg:#1d1d1f;--muted:#5f6368;--line:#e2e4e8;--card:#fff;--bg:#f6f7f9;--link:#1a56b0}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
header{background:#1f2937;color:#fff;padding:.55rem 1.5rem;display:flex;gap:2rem;align-items:baseline}
header .brand{color:#fff;font-weight:700;font-size:1.05rem;letter-spacing:.02em}
header nav a{color:#d7dbe2;margin-right:1.2rem}header nav a.here{color:#fff;font-weight:600}
main{max-width:1240px;margin:1.1rem auto 3rem;padding:0 1.5rem}
h1{font-size:1.45rem;margin:.3rem 0 .2rem;overflow-wrap:anywhere}h2{font-size:1.1rem;margin:1.7rem 0 .5rem}
.meta{color:var(--muted);font-size:.9rem;margin:.2rem 0}
.cards{display:flex;flex-wrap:wrap;gap:.55rem;margin:1rem 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.45rem .85rem;min-width:7rem}
.card b{display:block;font-size:1.3rem;line-height:1.2}.card span{color:var(--muted);font-size:.82rem}
.card.c-dead b{color:#c62828}.card.c-lost b{color:#8e0000}.card.c-held b{color:#2e7d32}
table{border-collapse:separate;border-spacing:0;width:100%;background:var(--card);border:1px solid var(--line);border-radius:8px;table-layout:fixed;margin:.4rem 0 1rem}
th,td{padding:.38rem .6rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle;font-size:.87rem;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
tr:last-child td{border-bottom:0}th{background:#f1f3f5;font-weight:600;font-size:.8rem;color:#3c4043}
td.wrap{white-space:normal;overflow-wrap:anywhere}
.badge{display:inline-block;padding:.08rem .5rem;border-radius:999px;color:#fff;font-size:.76rem;font-weight:600;white-space:nowrap}
.alive{background:#2e7d32}.dead{background:#c62828}.blocked{background:#6a1b9a}.transient{background:#f9a825;color:#222}.unchecked{background:#777}
.new{display:inline-block;margin-left:.3rem;padding:0 .35rem;border-radius:4px;background:#fde2e1;color:#a50e0e;font-size:.7rem;font-weight:700}
.rescued{color:#2e7d32}.stamp{color:#1a5fb4;font-size:.8rem}.lost{color:#a50e0e;font-weight:600}.muted{color:var(--muted)}
td.sub{font-size:.8rem;color:var(--muted)}
code{font:12px/1.3 ui-monospace,SFMono-Regular,Menlo,monospace}
form.filters{display:flex;flex-wrap:wrap;gap:.7rem;align-items:flex-end;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.7rem .9rem;margin:.8rem 0}
form.filters label{display:flex;flex-direction:column;font-size:.78rem;color:var(--muted);gap:.15rem}
form.filters label.check{flex-direction:row;align-items:center;gap:.35rem;font-size:.85rem;color:var(--fg)}
form.filters input,form.filters select{font:inherit;padding:.25rem .4rem;border:1px solid #c8ccd2;border-radius:5px;background:#fff}
form.filters button{font:inherit;padding:.3rem .9rem;border:0;border-radius:5px;background:#1f2937;color:#fff;cursor:pointer}
.preview{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.8rem;margin:.6rem 0}
.preview img{display:block;max-width:100%;max-height:520px}.preview video{display:block;width:640px;max-width:100%;max-height:520px;background:#000}
.preview audio{width:100%}.chart{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.5rem;display:inline-block}
.shot{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.6rem;margin:.6rem 0}
.shot .frame{max-height:640px;overflow:auto;border:1px solid var(--line)}.shot img{display:block;width:100%;height:auto}
.shot figcaption{color:var(--muted);font-size:.85rem;margin-top:.4rem}
.note{background:#fff8e1;border:1px solid #f3d98b;border-radius:8px;padding:.55rem .8rem}
.pager{display:flex;gap:1rem;align-items:center;margin:.3rem 0}
.w5{width:5%}.w6{width:6%}.w8{width:8%}.w9{width:9%}.w10{width:10%}.w12{width:12%}.w14{width:14%}.w16{width:16%}.w17{width:17%}.w20{width:20%}.w22{width:22%}.w25{width:25%}.w30{width:30%}.w31{width:31%}.w40{width:40%}.w46{width:46%}
"#;

/// A whole page: header with navigation, `body`, escaped `title`.
pub(super) fn layout(title: &str, here: &str, body: &str) -> String {
    let nav = [("/", "Report"), ("/articles", "Articles")]
        .iter()
        .map(|(href, name)| {
            format!(
                "<a href=\"{href}\"{}>{name}</a>",
                if *href == here { " class=\"here\"" } else { "" }
            )
        })
        .collect::<String>();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} — linkvault</title><link rel=\"stylesheet\" href=\"/static/style.css\"></head>\
         <body><header><a class=\"brand\" href=\"/\">linkvault</a><nav>{nav}</nav></header>\
         <main>{body}</main></body></html>",
        esc(title)
    )
}

/// `?url=…` for a link to a page about `url`.
pub(super) fn q(url: &str) -> String {
    url::form_urlencoded::byte_serialize(url.as_bytes()).collect()
}

pub(super) fn badge(state: State) -> String {
    format!("<span class=\"badge {0}\">{0}</span>", state.as_str())
}

/// The reason in plain words, with "(confirmed)" when it is.
pub(super) fn why(reason: Option<&str>, state: State, confirmed: bool) -> String {
    let words = reason
        .map(crate::model::Reason::words_of)
        .unwrap_or_default();
    if confirmed && state != State::Alive {
        format!("{words} (confirmed)")
    } else {
        words
    }
}

/// A URL shortened in the middle to `max` characters, the whole one on hover, linked.
pub(super) fn url_link(href: &str, url: &str, max: usize) -> String {
    format!(
        "<a href=\"{}\" title=\"{}\">{}</a>",
        esc(href),
        esc(url),
        esc(&shorten_middle(url, max))
    )
}

/// A link to a reference's page.
pub(super) fn ref_link(url: &str, max: usize) -> String {
    url_link(&format!("/ref?url={}", q(url)), url, max)
}

/// A link to an article's page.
pub(super) fn article_link(url: &str, max: usize) -> String {
    url_link(&format!("/article?url={}", q(url)), url, max)
}

/// A link to an article's page named by its title when it has one (the address on hover).
pub(super) fn titled_article_link(url: &str, title: Option<&str>, max: usize) -> String {
    match title.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => format!(
            "<a href=\"/article?url={}\" title=\"{}\">{}</a>",
            q(url),
            esc(url),
            esc(&shorten_end(t, max))
        ),
        None => article_link(url, max),
    }
}

/// The titles of the registered articles by address, for naming them in tables.
pub(super) fn article_titles(
    db: &crate::db::Db,
) -> Result<std::collections::HashMap<String, String>, crate::db::DbError> {
    Ok(db.article_titles()?.into_iter().collect())
}

/// `text` cut to `max` characters with an ellipsis.
fn shorten_end(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// A kept object as a short hash prefix linking to its bytes.
pub(super) fn object_link(sha: &str) -> String {
    format!(
        "<a href=\"/objects/{0}\" title=\"{0}\"><code>{1}</code></a>",
        esc(sha),
        esc(&sha[..sha.len().min(10)])
    )
}

/// What copy is held, in a table cell: the hash prefix, or where it was rescued from.
pub(super) fn copy_cell(s: Option<&SnapshotInfo>, state: State) -> String {
    match s {
        Some(s) => match s.provenance.archive_and_date() {
            Some(from) => format!(
                "{} <span class=\"rescued\" title=\"rescued from {1}\">{1}</span>",
                object_link(&s.sha256),
                esc(&from)
            ),
            None => object_link(&s.sha256),
        },
        None if state == State::Alive || state == State::Unchecked => {
            "<span class=\"muted\">—</span>".into()
        }
        None => "<span class=\"lost\">none</span>".into(),
    }
}

/// `2026-11-26`, the full time on hover.
pub(super) fn date(t: Timestamp) -> String {
    let full = clock::format(t);
    format!("<span title=\"{full}\">{}</span>", &full[..10])
}

/// `2026-11-26 09:00`, the full time on hover.
pub(super) fn datetime(t: Timestamp) -> String {
    let full = clock::format(t);
    format!(
        "<span title=\"{full}\">{} {}</span>",
        &full[..10],
        &full[11..16]
    )
}

pub(super) fn size(bytes: u64) -> String {
    crate::units::format_size(bytes)
}
