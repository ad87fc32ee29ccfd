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
            if e.chain().any(|c| matches!(c.downcast_ref::<linkvault::lock::LockError>(), Some(linkvault::lock::LockError::Busy { .. }))) {
                ExitCode::from(75)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
