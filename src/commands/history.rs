//! `linkvault history`: every check, snapshot, lookup and submission of one reference, or every
//! version of one article, as text or JSON.

use std::process::ExitCode;

use anyhow::Result;

use linkvault::config::Config;
use linkvault::db::Db;
use linkvault::history;

use super::emit;
use crate::cli::{HistoryArgs, TextOrJson};

pub(crate) fn history(cfg: &Config, a: &HistoryArgs) -> Result<ExitCode> {
    let db = Db::open_read_only(&cfg.archive)?;
    let text = match (history::load(&db, &a.url)?, a.format) {
        (history::Found::Reference(h), TextOrJson::Text) => history::render_text(&h),
        (history::Found::Reference(h), TextOrJson::Json) => history::render_json(&h),
        (history::Found::Article(h), TextOrJson::Text) => history::render_article_text(&h),
        (history::Found::Article(h), TextOrJson::Json) => history::render_article_json(&h),
    };
    emit(&text)?;
    Ok(ExitCode::SUCCESS)
}
