//! `linkvault completions SHELL` and `linkvault man`: generated from the one clap definition,
//! so they never disagree with `--help`.

use std::process::ExitCode;

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::Cli;

pub(crate) fn completions(shell: clap_complete::Shell) -> Result<ExitCode> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "linkvault", &mut out);
    super::emit(&String::from_utf8_lossy(&out))?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn man() -> Result<ExitCode> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    super::emit(&String::from_utf8_lossy(&out))?;
    Ok(ExitCode::SUCCESS)
}
