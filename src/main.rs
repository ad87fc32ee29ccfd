//! The `linkvault` binary: parse the command line, load the configuration, call the library,
//! and turn the outcome into an exit code (0 done, 1 failed, 2 usage, 75 archive busy).

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match commands::dispatch(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("linkvault: {e:#}");
            let busy = e
                .downcast_ref::<linkvault::run::RunError>()
                .is_some_and(linkvault::run::RunError::is_archive_busy);
            if busy {
                ExitCode::from(75)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
