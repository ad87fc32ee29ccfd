//! `linkvault init [DIR]`: a commented `config.toml` (every key at its default) and an empty
//! archive, so a new user starts from a working folder. Never overwrites a config.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use linkvault::config::StoreConfig;
use linkvault::db::Db;
use linkvault::store::Store;

use crate::cli::InitArgs;

/// The shipped configuration, documented key by key.
const SHIPPED: &str = include_str!("../../config.toml");

/// The shipped configuration with no articles: the user names their own.
fn template() -> String {
    let start = SHIPPED.find("articles = [").unwrap_or(0);
    let end = SHIPPED[start..]
        .find("]\n")
        .map(|i| start + i + 2)
        .unwrap_or(start);
    let mut out = String::with_capacity(SHIPPED.len());
    out.push_str(&SHIPPED[..start]);
    out.push_str("articles = [\n  # \"https://news.example/2018/09/15/story.html\",\n  # \"saved/*.html\",\n]\n");
    out.push_str(&SHIPPED[end..]);
    out
}

pub(crate) fn init(a: &InitArgs) -> Result<ExitCode> {
    std::fs::create_dir_all(&a.dir)
        .with_context(|| format!("cannot create {}", a.dir.display()))?;
    let config = a.dir.join("config.toml");
    if config.exists() {
        bail!(
            "{} already exists: init never overwrites a configuration (edit it, or init another folder)",
            config.display()
        );
    }
    let text = template();
    // What is written must be what linkvault reads.
    linkvault::config::Config::parse(&text, &a.dir)
        .map_err(|e| anyhow::anyhow!("the configuration template does not parse: {e}"))?;
    linkvault::output::write_all(&config, text.as_bytes())
        .with_context(|| format!("cannot write {}", config.display()))?;
    let archive = a.dir.join("archive");
    Store::open(&archive, &StoreConfig::default())?;
    Db::open(&archive)?;
    linkvault::text::eprint_line(&format!(
        "wrote {} and an empty archive in {}",
        config.display(),
        archive.display()
    ));
    linkvault::text::eprint_line(
        "next: add articles (`linkvault add URL`, or `articles` in the config), then `linkvault run`",
    );
    Ok(ExitCode::SUCCESS)
}
