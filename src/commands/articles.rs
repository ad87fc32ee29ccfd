//! `linkvault add`, `remove` and `articles`: the registered articles as a list the user
//! manages — added from URLs, files, standard input, URL lists, bookmark exports and OPML;
//! removed (with what only they cite) when mistyped or no longer wanted; listed with their state.

use std::process::ExitCode;

use anyhow::{anyhow, Result};
use serde_json::json;

use linkvault::clock;
use linkvault::config::Config;
use linkvault::db::{ArticleListing, Db};
use linkvault::input::{self, Source};
use linkvault::text::printable;

use super::{count, emit, UsageError};
use crate::cli::{AddArgs, ArticlesArgs, ListFormat, RemoveArgs};

pub(crate) fn add(cfg: &Config, a: &AddArgs) -> Result<ExitCode> {
    let mut sources: Vec<Source> = Vec::new();
    for spec in &a.articles {
        if spec == "-" {
            for line in input::read_stdin_list(cfg.fetch.max_article_bytes)? {
                sources.extend(input::resolve(&line).map_err(|e| UsageError(e.to_string()))?);
            }
            continue;
        }
        sources.extend(input::resolve_listed(spec).map_err(|e| UsageError(e.to_string()))?);
    }
    if sources.is_empty() {
        return Err(UsageError("no articles given".into()).into());
    }
    std::fs::create_dir_all(&cfg.archive).map_err(|e| {
        anyhow!(
            "cannot create the archive at {}: {e}",
            cfg.archive.display()
        )
    })?;
    let mut db = Db::open(&cfg.archive)?;
    let now = clock::now();
    let (new, known) = db.transaction(|tx| {
        let (mut new, mut known) = (0u64, 0u64);
        for s in &sources {
            if tx.register_article(&s.key(), now)? {
                new += 1;
            } else {
                known += 1;
            }
        }
        Ok((new, known))
    })?;
    let mut line = format!("registered {}", count(new, "article", "articles"));
    if known > 0 {
        line.push_str(&format!(
            " ({} already registered)",
            count(known, "was", "were")
        ));
    }
    line.push_str("; the next `linkvault run` reads them");
    linkvault::text::eprint_line(&line);
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn remove(cfg: &Config, a: &RemoveArgs) -> Result<ExitCode> {
    let _lock = super::lock_archive(cfg)?;
    let mut db = Db::open_existing(&cfg.archive)?;
    let store = super::open_store(cfg)?;
    let mut ids = Vec::new();
    for spec in &a.articles {
        match db.find_article(spec)? {
            Some(id) => ids.push((spec, id)),
            None => {
                return Err(UsageError(format!(
                    "no article `{spec}` is registered; `linkvault articles` lists them"
                ))
                .into())
            }
        }
    }
    for (spec, id) in ids {
        let removed = linkvault::articles::remove(&mut db, &store, id, a.purge)?;
        let mut line = format!(
            "removed {}: {} no longer checked",
            printable(spec),
            count(removed.orphaned_refs, "reference", "references")
        );
        if a.purge {
            line.push_str(&format!(
                "; {} and {} deleted",
                count(removed.snapshots_deleted, "snapshot", "snapshots"),
                count(removed.objects_deleted, "object", "objects")
            ));
        } else if removed.orphaned_refs > 0 {
            line.push_str("; their snapshots are kept (`--purge` deletes them)");
        }
        linkvault::text::eprint_line(&line);
        if cfg.articles.iter().any(|c| c.trim() == spec.trim()) {
            linkvault::text::eprint_line(&format!(
                "note: {} is listed in `articles` in the configuration: remove it there too, or the next run registers it again",
                printable(spec)
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn list(cfg: &Config, a: &ArticlesArgs) -> Result<ExitCode> {
    let db = Db::open_read_only(&cfg.archive)?;
    let rows = db.list_articles()?;
    let text = match a.format {
        ListFormat::Json => {
            let v: Vec<_> = rows.iter().map(article_json).collect();
            serde_json::to_string_pretty(&json!({ "articles": v }))? + "\n"
        }
        ListFormat::Table => table(&rows),
    };
    emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn status_word(r: &ArticleListing) -> &'static str {
    match (r.last_read_at, &r.last_error) {
        (None, _) => "not read yet",
        (Some(_), Some(_)) => "FAILING",
        (Some(_), None) if r.is_feed => "feed",
        _ => "ok",
    }
}

fn article_json(r: &ArticleListing) -> serde_json::Value {
    json!({
        "article": r.source,
        "url": r.url,
        "title": r.title,
        "origin": r.origin,
        "feed": r.feed,
        "is_feed": r.is_feed,
        "status": status_word(r),
        "added_at": clock::format(r.added_at),
        "last_read_at": r.last_read_at.map(clock::format),
        "last_status": r.last_status,
        "last_error": r.last_error,
        "next_read_at": clock::format(r.next_read_at),
        "published_at": r.published_at.map(clock::format),
        "references": r.references,
        "not_alive": r.not_alive,
    })
}

fn table(rows: &[ArticleListing]) -> String {
    let width = linkvault::report::terminal_width();
    let mut out = String::new();
    let failing = rows.iter().filter(|r| r.last_error.is_some()).count() as u64;
    for r in rows {
        let when = r
            .last_read_at
            .map(|t| clock::format(t)[..16].replace('T', " "))
            .unwrap_or_else(|| "-".into());
        let cites = if r.is_feed {
            "feed".to_string()
        } else {
            format!("{:>4} refs, {:>3} not alive", r.references, r.not_alive)
        };
        let head = format!("{:<12} {:<16} {:<26} ", status_word(r), when, cites);
        let room = width.saturating_sub(head.chars().count()).max(20);
        out.push_str(&head);
        out.push_str(&linkvault::report::shorten_middle(
            &printable(&r.source),
            room,
        ));
        out.push('\n');
        if let Some(e) = &r.last_error {
            out.push_str(&format!(
                "{:>14}{}\n",
                "",
                printable(&linkvault::report::shorten_middle(
                    e,
                    width.saturating_sub(14)
                ))
            ));
        }
    }
    out.push_str(&format!(
        "{} registered, {} failing\n",
        count(rows.len() as u64, "article", "articles"),
        failing
    ));
    out
}
