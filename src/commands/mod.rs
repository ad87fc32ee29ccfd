//! One module per subcommand, as cargo does: each turns its parsed arguments into library calls
//! and printed output. This module dispatches, and says which exit code an outcome means.

mod articles;
mod doctor;
mod export;
mod extract;
mod history;
mod init;
mod manual;
mod prove;
mod report;
mod restore;
mod robustify;
mod run;
mod serve;
mod store;
mod verify;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

use linkvault::config::Config;

use crate::cli::{Cli, Command};

/// Exit codes beyond 0 (done) and 1 (failed), documented in `--help` and the README.
pub(crate) mod code {
    /// A command-line argument or configuration value is not valid.
    pub(crate) const USAGE: u8 = 2;
    /// Some references are in the state `--fail-on` names.
    pub(crate) const FAIL_ON: u8 = 3;
    /// No server answered at all in the run: nothing could be checked.
    pub(crate) const NETWORK_DOWN: u8 = 4;
    /// Another run holds the archive (sysexits' EX_TEMPFAIL: try again later).
    /// (Stopped by SIGINT or SIGTERM: 130 or 143, see `linkvault::run::Stop`.)
    pub(crate) const BUSY: u8 = 75;
}

/// The exit for `--fail-on`: code 3 (said on stderr) when `n` references are in the state.
pub(crate) fn fail_on_exit(n: u64, state: linkvault::report::FailOn) -> Option<ExitCode> {
    (n > 0).then(|| {
        linkvault::text::eprint_line(&format!(
            "--fail-on {}: {} in that state (exit code {})",
            state.as_str(),
            count(n, "reference", "references"),
            code::FAIL_ON
        ));
        ExitCode::from(code::FAIL_ON)
    })
}

/// Bad usage found after parsing (a value clap could not check): exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub String);

pub(crate) fn dispatch(args: Cli) -> Result<ExitCode> {
    match args.command {
        // These need no configuration.
        Command::Completions { shell } => return manual::completions(shell),
        Command::Man => return manual::man(),
        Command::Init(a) => return init::init(&a),
        // Doctor reports a broken configuration instead of failing on it.
        Command::Doctor => return doctor::doctor(args.config.as_deref(), args.archive, args.store),
        // A proof is checked offline, from the file alone.
        Command::Prove(a) if a.check.is_some() => return prove::check(&a),
        _ => {}
    }
    let cfg = load_config(args.config.as_deref(), args.archive, args.store)?;
    match args.command {
        Command::Run(a) => run::run(&cfg, a),
        Command::Add(a) => articles::add(&cfg, &a),
        Command::Remove(a) => articles::remove(&cfg, &a),
        Command::Articles(a) => articles::list(&cfg, &a),
        Command::Extract(a) => extract::extract(&cfg, &a),
        Command::Report(a) => report::report(&cfg, a),
        Command::History(a) => history::history(&cfg, &a),
        Command::Restore(a) => restore::restore(&cfg, a),
        Command::Prove(a) => prove::prove(&cfg, &a),
        Command::Verify(a) => verify::verify(&cfg, &a),
        Command::Serve(a) => serve::serve(&cfg, &a),
        Command::Robustify(a) => robustify::robustify(&cfg, &a),
        Command::Export { format } => export::export(&cfg, format),
        Command::Store { action } => store::store(&cfg, action),
        Command::Completions { .. } | Command::Man | Command::Init(_) | Command::Doctor => {
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The configuration file: `--config FILE`, else `config.toml` in the current folder.
pub(crate) fn config_path(given: Option<&Path>) -> &Path {
    given.unwrap_or(Path::new("config.toml"))
}

/// `--config FILE` (which must exist) or `./config.toml` (defaults when missing); `--archive`
/// overrides the store. A config that does not parse is bad usage.
pub(crate) fn load_config(
    path: Option<&Path>,
    archive: Option<PathBuf>,
    store: Option<String>,
) -> Result<Config> {
    let explicit = path.is_some();
    let path = config_path(path);
    let mut cfg = match Config::load(path, explicit) {
        Ok(c) => c,
        Err(linkvault::config::ConfigError::Read { path, source })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            return Err(UsageError(format!("no such file: {}", path.display())).into())
        }
        Err(e @ linkvault::config::ConfigError::Invalid { .. }) => {
            return Err(UsageError(e.to_string()).into())
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(a) = archive {
        cfg.archive = a;
    }
    if let Some(s) = store.filter(|s| !s.trim().is_empty()) {
        cfg.store.location = Some(s);
    }
    Ok(cfg)
}

/// The archive's object store as configured, for reading (nothing is created or sent).
pub(crate) fn open_store(cfg: &Config) -> Result<linkvault::store::Store> {
    Ok(linkvault::store::Store::open_existing(
        &cfg.archive,
        &cfg.store,
    )?)
}

/// Holds the archive for a command that changes the record (`remove`, `verify --repair`):
/// waits for a run that holds it, saying so. Taken before the database is opened, so nothing
/// is migrated or written under a running pass.
pub(crate) fn lock_archive(cfg: &Config) -> Result<linkvault::lock::ArchiveLock> {
    // No archive at all: say so as opening it would, not as a lock problem.
    if !cfg.archive.is_dir() {
        return Err(
            linkvault::db::DbError::Missing(cfg.archive.join(linkvault::db::DB_FILE)).into(),
        );
    }
    Ok(linkvault::lock::ArchiveLock::acquire(
        &cfg.archive,
        true,
        |holder| {
            linkvault::text::eprint_line(&format!(
                "waiting for the run holding the archive ({holder})"
            ))
        },
    )?)
}

/// A fetcher for commands that read articles from the web (`extract`, `robustify`, `doctor`):
/// the configured client, and the store when the archive has one.
pub(crate) fn fetcher(cfg: &Config) -> Result<linkvault::fetch::Fetcher> {
    Ok(linkvault::fetch::Fetcher::new(
        linkvault::fetch::build_client(&cfg.fetch)?,
        open_store(cfg)?,
        cfg.fetch.clone(),
    ))
}

/// One article from the web, bounded by `fetch.max_article_bytes`: its bytes, content type,
/// and the URL it was found at after redirects (what its relative links resolve against).
pub(crate) fn fetch_article(
    rt: &tokio::runtime::Runtime,
    fetcher: &linkvault::fetch::Fetcher,
    u: &url::Url,
) -> Result<(Vec<u8>, Option<String>, url::Url)> {
    let f = rt.block_on(fetcher.fetch_document(u, None, None, false))?;
    match (f.in_memory, f.error) {
        (Some(b), None) => Ok((b, f.content_type, f.final_url.unwrap_or_else(|| u.clone()))),
        (_, e) => anyhow::bail!(
            "cannot fetch article {u}: {}",
            e.unwrap_or_else(|| "no body".into())
        ),
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("while starting the async runtime")
}

/// Runs `f` with a buffered writer to `output` (see `linkvault::output`: files replaced whole,
/// devices and pipes written through) or to standard output (`None` or `-`).
pub(crate) fn with_output(
    output: Option<&Path>,
    f: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    match output {
        Some(p) if p != Path::new("-") => {
            let mut out = linkvault::output::Output::create(p)
                .with_context(|| format!("cannot write {}", p.display()))?;
            {
                let mut w = std::io::BufWriter::with_capacity(1 << 16, &mut out);
                f(&mut w)?;
                w.flush()
                    .with_context(|| format!("cannot write {}", p.display()))?;
            }
            out.commit()
                .with_context(|| format!("cannot write {}", p.display()))
        }
        _ => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            let result = f(&mut w).and_then(|_| w.flush().map_err(Into::into));
            match result {
                // A closed pipe (`| head`) is not an error worth a message.
                Err(e) if is_broken_pipe(&e) => Ok(()),
                other => other,
            }
        }
    }
}

/// Prints `text` to standard output; a closed pipe is not an error.
pub(crate) fn emit(text: &str) -> Result<()> {
    with_output(None, |w| {
        w.write_all(text.as_bytes())?;
        Ok(())
    })
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

pub(crate) use linkvault::report::count;
