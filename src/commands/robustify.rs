//! `linkvault robustify`: an article with Robust Links pointing at the mementos `serve` gives,
//! for publishing. Reads a saved file, a URL or standard input; says why a link got no version
//! URL; refuses to write a loopback address readers could never reach.

use std::process::ExitCode;

use anyhow::{Context, Result};

use linkvault::config::Config;
use linkvault::db::Db;
use linkvault::input::{self, Source};
use linkvault::text::printable;

use super::{count, runtime, UsageError};
use crate::cli::RobustifyArgs;

pub(crate) fn robustify(cfg: &Config, a: &RobustifyArgs) -> Result<ExitCode> {
    let Some(base_url) = &a.base_url else {
        return Err(UsageError(
            "give --base-url URL: the public address readers reach your `linkvault serve` at (e.g. https://archive.example.org); robustified links point there".into(),
        )
        .into());
    };
    if is_loopback(base_url) && !a.allow_loopback {
        return Err(UsageError(format!(
            "--base-url {base_url} is a loopback address: readers of the published article could never reach it. Give the public address of your `linkvault serve`, or --allow-loopback for a preview on this machine"
        ))
        .into());
    }
    let db = Db::open_read_only(&cfg.archive)?;
    let (html, doc_url) = read_article(cfg, &a.article)?;
    let base = a.base.clone().or(doc_url);
    let done = linkvault::robust::robustify(&db, &html, base.as_ref(), base_url.as_str())?;
    linkvault::output::write_all(&a.output, &done.html)
        .with_context(|| format!("cannot write {}", a.output.display()))?;
    linkvault::text::eprint_line(&format!(
        "{} given a version URL in {}",
        count(done.annotated, "link", "links"),
        a.output.display()
    ));
    for (url, why) in &done.skipped {
        linkvault::text::eprint_line(&format!("  not annotated: {}: {why}", printable(url)));
    }
    Ok(ExitCode::SUCCESS)
}

fn is_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    }
}

/// The article's bytes and, when it was fetched, its URL.
fn read_article(cfg: &Config, spec: &str) -> Result<(Vec<u8>, Option<url::Url>)> {
    if spec == "-" {
        let bytes = input::read_stdin_bounded(cfg.fetch.max_article_bytes)?;
        return Ok((bytes, None));
    }
    let sources = input::resolve(spec).map_err(|e| UsageError(e.to_string()))?;
    match sources.as_slice() {
        [Source::File(p)] => Ok((
            input::read_bounded(p, cfg.fetch.max_article_bytes)
                .with_context(|| format!("while reading {}", p.display()))?,
            None,
        )),
        [Source::Url(u)] => {
            let (b, _, found_at) = super::fetch_article(&runtime()?, &super::fetcher(cfg)?, u)?;
            Ok((b, Some(found_at)))
        }
        _ => Err(UsageError(format!(
            "`{spec}` names more than one article: robustify one at a time"
        ))
        .into()),
    }
}
