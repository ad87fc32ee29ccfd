//! `linkvault serve`: the read-only web view, on loopback unless told otherwise.

use std::process::ExitCode;

use anyhow::Result;

use linkvault::config::Config;
use linkvault::db::Db;

use super::runtime;
use crate::cli::ServeArgs;

pub(crate) fn serve(cfg: &Config, a: &ServeArgs) -> Result<ExitCode> {
    Db::open_read_only(&cfg.archive)?;
    if !a.listen.ip().is_loopback() {
        linkvault::text::eprint_line(&format!(
            "warning: serving on {}, which is not a loopback address: anyone who can reach this machine can read the archive (reports, histories, every snapshot)",
            a.listen
        ));
    }
    let opts = linkvault::serve::ServeOptions {
        access_log: !a.quiet,
        max_connections: a.max_connections,
        idle_timeout: a.idle_timeout,
        header_timeout: a.idle_timeout.min(std::time::Duration::from_secs(10)),
        public_url: a
            .public_url
            .as_ref()
            .map(|u| u.as_str().trim_end_matches('/').to_string()),
        store: Some(super::open_store(cfg)?),
    };
    runtime()?.block_on(linkvault::serve::serve(cfg.archive.clone(), a.listen, opts))?;
    Ok(ExitCode::SUCCESS)
}
