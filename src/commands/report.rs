//! `linkvault report`: the dead-link report in the chosen format, to standard output or a file,
//! and `--fail-on` as an exit code for CI.

use std::process::ExitCode;

use anyhow::Result;

use linkvault::config::Config;
use linkvault::db::Db;
use linkvault::report::{self, FailOn};

use super::{fail_on_exit, with_output};
use crate::cli::{ReportArgs, ReportFormat};

pub(crate) fn report(cfg: &Config, a: ReportArgs) -> Result<ExitCode> {
    let db = Db::open_read_only(&cfg.archive)?;
    let format = match a.format {
        ReportFormat::Table => report::Format::Table,
        ReportFormat::Json => report::Format::Json,
        ReportFormat::Csv => report::Format::Csv,
        ReportFormat::Markdown => report::Format::Markdown,
        ReportFormat::Html => report::Format::Html,
    };
    with_output(a.output.as_deref(), |out| {
        report::write(&db, a.all, a.article.as_deref(), format, out)?;
        Ok(())
    })?;
    if let Some(f) = a.fail_on.map(FailOn::from) {
        let article = a
            .article
            .as_deref()
            .map(|x| report::find_article(&db, x))
            .transpose()?;
        let since = db.latest_run_start()?;
        let n = report::count_in_state(&db, f, since, article)?;
        if let Some(exit) = fail_on_exit(n, f) {
            return Ok(exit);
        }
    }
    Ok(ExitCode::SUCCESS)
}
