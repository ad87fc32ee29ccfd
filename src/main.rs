//! The `linkvault` binary: parse the command line, call the command, and turn the outcome into
//! an exit code (0 done, 1 failed, 2 bad usage, 3 `--fail-on`, 4 network down, 75 archive busy,
//! 130/143 interrupted). An error is one line, each cause said once.

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match commands::dispatch(args) {
        Ok(code) => code,
        Err(e) => {
            linkvault::text::eprint_line(&format!("linkvault: {}", one_line(&e)));
            if e.downcast_ref::<commands::UsageError>().is_some() {
                return ExitCode::from(commands::code::USAGE);
            }
            let busy = e
                .downcast_ref::<linkvault::run::RunError>()
                .is_some_and(linkvault::run::RunError::is_archive_busy)
                || e.downcast_ref::<linkvault::lock::LockError>()
                    .is_some_and(|l| matches!(l, linkvault::lock::LockError::Busy { .. }));
            if busy {
                ExitCode::from(commands::code::BUSY)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// The error and its causes on one line, leaving out a cause the text already says (error
/// types that print their source would otherwise say it twice).
fn one_line(e: &anyhow::Error) -> String {
    let mut line = e.to_string();
    for cause in e.chain().skip(1) {
        let text = cause.to_string();
        if !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    linkvault::text::one_line(&line)
}
