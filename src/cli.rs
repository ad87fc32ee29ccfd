//! The command line, defined in one place (clap). Parsing only, including the checking of
//! durations, dates and choices (a bad value is a usage error, exit code 2); `commands` does the
//! work.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "linkvault",
    version,
    about = "Archive the media and sources an article references, and keep the record of what rots.",
    after_help = "Exit codes: 0 done; 1 failed; 2 bad usage; 3 references in the --fail-on state; \
                  4 the network was down (nothing could be checked); 75 another run holds the \
                  archive; 130/143 interrupted (SIGINT/SIGTERM)."
)]
pub(crate) struct Cli {
    /// Configuration file (missing default file = built-in defaults).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Store directory (overrides `archive` in the config); the database lives inside it.
    #[arg(long, global = true, value_name = "DIR")]
    pub archive: Option<PathBuf>,
    /// Where the objects live (overrides `store` in the config): a folder, or
    /// s3://BUCKET/PREFIX on an S3-compatible service (see `[s3]`); the record stays in the
    /// archive folder.
    #[arg(long, global = true, value_name = "URL")]
    pub store: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// One archive pass over the configured, given and registered articles.
    Run(RunArgs),
    /// Register articles for later runs without running (URLs, files, `-` for standard input,
    /// URL lists, browser bookmark exports, OPML feed lists).
    Add(AddArgs),
    /// Stop reading articles; references only they cite stop being checked.
    Remove(RemoveArgs),
    /// Every registered article: when it was last read, whether that worked, what it cites.
    Articles(ArticlesArgs),
    /// Print the references articles contain, without fetching them (a dry run).
    Extract(ExtractArgs),
    /// The dead-link report.
    Report(ReportArgs),
    /// Every check and snapshot of one reference, oldest first.
    History(HistoryArgs),
    /// Write a snapshot's exact bytes, verified against its hash.
    Restore(RestoreArgs),
    /// Write a self-contained proof of when a capture existed (RFC 3161 timestamps over its
    /// run's Merkle tree), or check one offline with --check.
    Prove(ProveArgs),
    /// Re-hash every stored object and check the database against the store.
    Verify(VerifyArgs),
    /// Check what can go wrong: the configuration, the archive, the network, the tools.
    Doctor,
    /// Serve the report, histories, snapshots and Memento (read-only; loopback by default).
    Serve(ServeArgs),
    /// Rewrite an article's links with data-versionurl/data-versiondate (Robust Links)
    /// pointing at the snapshots held.
    Robustify(RobustifyArgs),
    /// Export captures in the web archives' formats (WARC with a CDXJ index, or WACZ).
    Export {
        #[command(subcommand)]
        format: ExportFormat,
    },
    /// Write a commented config.toml and an empty archive (in DIR, default the current folder).
    Init(InitArgs),
    /// Work on the object store itself (copy an archive's objects to another store).
    Store {
        #[command(subcommand)]
        action: StoreAction,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `linkvault man > linkvault.1`.
    Man,
}

#[derive(Subcommand, Debug)]
pub(crate) enum StoreAction {
    /// Copy every object the record holds to another store (a folder or s3://BUCKET/PREFIX),
    /// verifying each; resumable, and nothing is switched until you set `store` to it.
    Copy {
        /// The target: a folder, or s3://BUCKET/PREFIX (reached with the same `[s3]` settings).
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

#[derive(Args, Debug, Clone)]
pub(crate) struct RunArgs {
    /// Articles: http(s) URLs, HTML or text files, globs, RSS/Atom feeds, `-` (one per line on
    /// standard input). Remembered for later runs.
    pub articles: Vec<String>,
    /// Check every known reference now, whatever its schedule (failed articles too).
    #[arg(long)]
    pub recheck: bool,
    /// Loop, one pass every DURATION (e.g. 6h; at least 1m), as a long-running service.
    #[arg(long, value_name = "DURATION", value_parser = parse_every)]
    pub every: Option<Duration>,
    /// If another run holds the archive, wait for it instead of exiting.
    #[arg(long)]
    pub wait: bool,
    /// Print only what is not alive after the run (new failures marked) and the summary.
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print every request and its outcome.
    #[arg(long, short)]
    pub verbose: bool,
    /// Exit with code 3 when any reference is in this state after the run.
    #[arg(long, value_enum, value_name = "STATE")]
    pub fail_on: Option<FailOn>,
}

#[derive(Args, Debug)]
pub(crate) struct AddArgs {
    /// URLs, files, globs, `-` (standard input), URL lists, bookmark exports, OPML files.
    #[arg(required = true)]
    pub articles: Vec<String>,
}

#[derive(Args, Debug)]
pub(crate) struct RemoveArgs {
    /// Articles as registered (URL or path), as `linkvault articles` lists them.
    #[arg(required = true)]
    pub articles: Vec<String>,
    /// Also delete the snapshots of references no other article cites (objects another
    /// article's reference still needs are kept).
    #[arg(long)]
    pub purge: bool,
}

#[derive(Args, Debug)]
pub(crate) struct ArticlesArgs {
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

#[derive(Args, Debug)]
pub(crate) struct ExtractArgs {
    /// Files, URLs, globs, or `-` for an article on standard input.
    #[arg(required = true)]
    pub articles: Vec<String>,
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    /// The address a saved file was published at, to resolve its relative links.
    #[arg(long, value_name = "URL", value_parser = parse_http_url)]
    pub base: Option<url::Url>,
}

#[derive(Args, Debug)]
pub(crate) struct ReportArgs {
    /// Include alive references.
    #[arg(long)]
    pub all: bool,
    /// Only references cited by this article.
    #[arg(long, value_name = "URL")]
    pub article: Option<String>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit with code 3 when any covered reference is in this state.
    #[arg(long, value_enum, value_name = "STATE")]
    pub fail_on: Option<FailOn>,
}

#[derive(Args, Debug)]
pub(crate) struct HistoryArgs {
    pub url: String,
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

#[derive(Args, Debug)]
pub(crate) struct RestoreArgs {
    /// SHA-256 of the snapshot, or a unique prefix of at least 8 hex digits.
    #[arg(required_unless_present = "url", conflicts_with = "url")]
    pub hash: Option<String>,
    /// Restore the latest good snapshot of this reference (or article) instead.
    #[arg(long)]
    pub url: Option<String>,
    /// With --url: the snapshot held at this time (2024-05-01 or 2024-05-01T12:00:00Z).
    #[arg(long, requires = "url", value_parser = parse_time)]
    pub at: Option<i64>,
    /// Output file, or - for standard output.
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(crate) struct ProveArgs {
    /// SHA-256 of the capture, or a unique prefix of at least 8 hex digits.
    #[arg(conflicts_with_all = ["url", "check"])]
    pub hash: Option<String>,
    /// Prove the copy of this reference (or article) held at --at (the latest without).
    #[arg(long, conflicts_with = "check")]
    pub url: Option<String>,
    /// With --url: the copy held at this time (2024-05-01 or 2024-05-01T12:00:00Z).
    #[arg(long, requires = "url", value_parser = parse_time)]
    pub at: Option<i64>,
    /// Where to write the proof (JSON; the .tsr files and the statement are written beside
    /// it). Default: proof-HASH12.json in the current folder.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "PROOF",
        conflicts_with = "check"
    )]
    pub output: Option<PathBuf>,
    /// Check this proof offline instead of writing one.
    #[arg(long, value_name = "PROOF")]
    pub check: Option<PathBuf>,
    /// With --check: also check that these bytes are the capture's.
    #[arg(long, requires = "check", value_name = "BYTES")]
    pub file: Option<PathBuf>,
    /// With --check: the timestamp authority's CA certificate (PEM) the tokens' chains must
    /// lead to; without it the chain is checked as far as the tokens carry it.
    #[arg(long, requires = "check", value_name = "PEM")]
    pub ca: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// Remove temp files, quarantine corrupted objects, queue lost captures for the next run.
    #[arg(long)]
    pub repair: bool,
}

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Address and port to listen on; anything but loopback opens the archive to the network.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub listen: std::net::SocketAddr,
    /// No access log (one line per request on standard error).
    #[arg(long, short)]
    pub quiet: bool,
    /// Open connections at most; at the cap the idlest is closed to make room.
    #[arg(long, default_value_t = 512, value_name = "N")]
    pub max_connections: usize,
    /// A connection with no request for this long is closed.
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = parse_positive_duration)]
    pub idle_timeout: Duration,
    /// The address readers reach this server at (behind a reverse proxy): absolute Memento
    /// URIs are built on it instead of the request's Host.
    #[arg(long, value_name = "URL", value_parser = parse_http_url)]
    pub public_url: Option<url::Url>,
}

#[derive(Args, Debug)]
pub(crate) struct RobustifyArgs {
    /// A saved file, a URL, or `-` for standard input.
    pub article: String,
    #[arg(short = 'o', long = "output", value_name = "OUT.html")]
    pub output: PathBuf,
    /// Where readers reach `linkvault serve` (the mementos' public base URL).
    #[arg(long, value_name = "URL", value_parser = parse_http_url)]
    pub base_url: Option<url::Url>,
    /// Allow a loopback --base-url (a preview on this machine; never for publishing).
    #[arg(long)]
    pub allow_loopback: bool,
    /// The address a saved file was published at, to resolve its relative links.
    #[arg(long, value_name = "URL", value_parser = parse_http_url)]
    pub base: Option<url::Url>,
}

#[derive(Args, Debug)]
pub(crate) struct InitArgs {
    /// Folder for config.toml and the archive (created if missing).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Subcommand, Debug)]
pub(crate) enum ExportFormat {
    /// WARC/1.1 (gzip per record when FILE ends in .gz), with a CDXJ index beside it (FILE.cdxj).
    Warc {
        #[arg(short = 'o', long = "output", value_name = "FILE.warc.gz")]
        output: PathBuf,
        #[command(flatten)]
        scope: ExportScope,
    },
    /// WACZ 1.1.1 (WARC, CDXJ index, pages list, datapackage.json) for ReplayWeb.page.
    Wacz {
        #[arg(short = 'o', long = "output", value_name = "FILE.wacz")]
        output: PathBuf,
        #[command(flatten)]
        scope: ExportScope,
    },
}

/// What either export format includes.
#[derive(Args, Debug)]
pub struct ExportScope {
    /// Only the article itself and the captures of references it cites.
    #[arg(long, value_name = "URL")]
    pub article: Option<String>,
    /// Only captures made at or after this time (2024-05-01 or 2024-05-01T12:00:00Z).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub since: Option<i64>,
    /// Leave out (and list) captures whose objects are missing from the store, instead of
    /// failing.
    #[arg(long)]
    pub skip_missing: bool,
}

impl From<ExportScope> for linkvault::export::ExportOptions {
    fn from(s: ExportScope) -> Self {
        linkvault::export::ExportOptions {
            article: s.article,
            since: s.since,
            skip_missing: s.skip_missing,
            gzip: true,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TextOrJson {
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ListFormat {
    Table,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReportFormat {
    Table,
    Json,
    Csv,
    Markdown,
    /// One self-contained page with the link-rot chart, to mail or publish.
    Html,
}

/// Which references make `--fail-on` exit with code 3.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    /// Failing since the last run (a run: since this run began).
    New,
    /// Dead, confirmed or not.
    Dead,
    /// Dead and confirmed (failures on `confirm.checks` checks `confirm.interval` apart).
    Confirmed,
    /// Not alive, and no copy held.
    Lost,
}

impl From<FailOn> for linkvault::report::FailOn {
    fn from(f: FailOn) -> Self {
        match f {
            FailOn::New => linkvault::report::FailOn::New,
            FailOn::Dead => linkvault::report::FailOn::Dead,
            FailOn::Confirmed => linkvault::report::FailOn::Confirmed,
            FailOn::Lost => linkvault::report::FailOn::Lost,
        }
    }
}

/// The shortest `--every`: a loop faster than this would only hammer the same hosts.
const EVERY_FLOOR: Duration = Duration::from_secs(60);

fn parse_every(s: &str) -> Result<Duration, String> {
    let d = linkvault::units::parse_duration(s).map_err(|e| e.to_string())?;
    // Tests loop fast; nobody else should (like LINKVAULT_NOW, an environment-only hook).
    let floor = std::env::var("LINKVAULT_EVERY_FLOOR")
        .ok()
        .and_then(|f| linkvault::units::parse_duration(&f).ok())
        .unwrap_or(EVERY_FLOOR);
    if d < floor {
        return Err(format!(
            "`{s}` is shorter than the floor of 1m between passes (e.g. 15m, 6h, 1d)"
        ));
    }
    Ok(d)
}

fn parse_positive_duration(s: &str) -> Result<Duration, String> {
    let d = linkvault::units::parse_duration(s).map_err(|e| e.to_string())?;
    if d.is_zero() {
        return Err(format!("`{s}` must be longer than 0s"));
    }
    Ok(d)
}

fn parse_time(s: &str) -> Result<i64, String> {
    linkvault::clock::parse(s).ok_or_else(|| {
        format!("`{s}` is not a valid date or time; use 2024-05-01 or 2024-05-01T12:00:00Z")
    })
}

fn parse_http_url(s: &str) -> Result<url::Url, String> {
    linkvault::input::http_url(s).ok_or_else(|| format!("`{s}` is not an http(s) URL"))
}
