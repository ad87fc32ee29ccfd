//! `/articles`: every registered article, the failing ones first, with what each cites.

use std::fmt::Write as _;

use super::{date, esc, layout, titled_article_link};
use crate::report::shorten_middle;

/// An address as muted text, shortened in the middle, whole on hover.
fn url_text(address: &str) -> String {
    format!(
        "<span class=\"muted\" title=\"{}\">{}</span>",
        esc(address),
        esc(&shorten_middle(address, 44))
    )
}
use crate::db::{Db, DbError};

pub(crate) fn articles_page(db: &Db) -> Result<String, DbError> {
    let mut rows = db.list_articles()?;
    rows.sort_by_key(|r| (r.last_error.is_none(), r.is_feed));
    let mut b = format!(
        "<h1>Articles</h1><p class=\"meta\">{} registered · {} could not be read</p>",
        rows.len(),
        rows.iter().filter(|r| r.last_error.is_some()).count()
    );
    b.push_str(
        "<table><colgroup><col class=\"w40\"><col class=\"w25\"><col class=\"w12\"><col class=\"w9\"><col class=\"w14\"></colgroup>\
         <tr><th>article</th><th>address, or why it failed</th><th>last read</th><th>cites</th><th>not alive</th></tr>",
    );
    for r in &rows {
        let address = r.url.clone().unwrap_or_else(|| r.source.clone());
        let second = match &r.last_error {
            Some(e) => format!("<span class=\"lost\" title=\"{0}\">{0}</span>", esc(e)),
            None if r.is_feed => {
                format!("<span class=\"muted\">a feed</span> {}", url_text(&address))
            }
            None => url_text(&address),
        };
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{second}</td><td class=\"date\">{}</td><td>{}</td><td>{}</td></tr>",
            titled_article_link(&address, r.title.as_deref(), 60),
            r.last_read_at.map(date).unwrap_or_else(|| "not yet".into()),
            r.references,
            r.not_alive
        );
    }
    b.push_str("</table>");
    Ok(layout("Articles", "/articles", &b))
}
