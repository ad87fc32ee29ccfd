//! `linkvault restore`: a snapshot's exact bytes, by hash or by URL (and time), verified while
//! written; binary bytes go to a terminal only when asked for with `-o -`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;

use linkvault::config::Config;
use linkvault::db::Db;
use linkvault::restore;

use super::UsageError;
use crate::cli::RestoreArgs;

pub(crate) fn restore(cfg: &Config, a: RestoreArgs) -> Result<ExitCode> {
    let db = Db::open_read_only(&cfg.archive)?;
    let sha = match (&a.hash, &a.url) {
        (Some(h), _) => restore::resolve_hash(&db, h)?,
        (None, Some(u)) => restore::resolve_url(&db, u, a.at)?,
        (None, None) => return Err(UsageError("give a HASH or --url URL".into()).into()),
    };
    let out = match a.output {
        Some(p) => p,
        None if std::io::stdout().is_terminal() => {
            return Err(UsageError(
                "refusing to write binary data to the terminal: use -o PATH, or -o - to force standard output".into(),
            )
            .into())
        }
        None => PathBuf::from("-"),
    };
    let store = super::open_store(cfg)?;
    let n = restore::write(&store, &sha, &out)?;
    if out != Path::new("-") {
        linkvault::text::eprint_line(&format!(
            "restored {sha} ({n} bytes, verified) to {}",
            out.display()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
