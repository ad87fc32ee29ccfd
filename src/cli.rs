//! The command line, defined in one place (clap). Parsing only: `commands` does the work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "linkvault",
    version,
    about = "Archive the media and sources an article references, and keep the record of what rots."
)]
pub struct Cli {
    /// Configuration file (missing default file = built-in defaults).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Store directory (overrides `archive` in the config); the database lives inside it.
    #[arg(long, global = true, value_name = "DIR")]
    pub archive: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// One archive pass over the configured, given and registered articles.
    Run {
        /// Articles: http(s) URLs, HTML or text files, globs, RSS/Atom feeds. Remembered for later runs.
        articles: Vec<String>,
        /// Check every known reference now, whatever its schedule.
        #[arg(long)]
        recheck: bool,
        /// Loop, one pass every DURATION (e.g. 6h), for use as a long-running service.
        #[arg(long, value_name = "DURATION")]
        every: Option<String>,
        /// If another run holds the archive, wait for it instead of exiting.
        #[arg(long)]
        wait: bool,
        /// Only print problems and the final summary.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Print the references articles contain, without fetching them (a dry run).
    Extract {
        #[arg(required = true)]
        articles: Vec<String>,
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
    },
    /// The dead-link report.
    Report {
        /// Include alive references.
        #[arg(long)]
        all: bool,
        /// Only references cited by this article.
        #[arg(long, value_name = "URL")]
        article: Option<String>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
        /// Write to FILE instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Every check and snapshot of one reference, oldest first.
    History {
        url: String,
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
    },
    /// Write a snapshot's exact bytes, verified against its hash.
    Restore {
        /// SHA-256 of the snapshot, or a unique prefix of at least 8 hex digits.
        #[arg(required_unless_present = "url", conflicts_with = "url")]
        hash: Option<String>,
        /// Restore the latest good snapshot of this reference instead.
        #[arg(long)]
        url: Option<String>,
        /// With --url: the snapshot held at this time (2024-05-01 or 2024-05-01T12:00:00Z).
        #[arg(long, requires = "url")]
        at: Option<String>,
        /// Output file, or - for standard output.
        #[arg(short = 'o', long = "output", value_name = "PATH")]
        output: Option<PathBuf>,
    },
    /// Re-hash every stored object and check the database against the store.
    Verify {
        /// Remove temp files, quarantine corrupted objects, queue lost captures for the next run.
        #[arg(long)]
        repair: bool,
    },
    /// List the external tools linkvault uses (yt-dlp, ffmpeg) and their versions.
    Doctor,
    /// Serve the report, histories, snapshots and Memento (read-only; loopback by default).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
        listen: std::net::SocketAddr,
    },
    /// Rewrite an article's links with data-versionurl/data-versiondate (Robust Links)
    /// pointing at the snapshots held.
    Robustify {
        article: PathBuf,
        #[arg(short = 'o', long = "output", value_name = "OUT.html")]
        output: PathBuf,
        /// Where `linkvault serve` is reachable (the mementos' base URL).
        #[arg(long, default_value = "http://127.0.0.1:8080", value_name = "URL")]
        base: String,
    },
    /// Export captures in the web archives' formats (WARC with a CDXJ index, or WACZ).
    Export {
        #[command(subcommand)]
        format: ExportFormat,
    },
}

#[derive(Subcommand, Debug)]
pub enum ExportFormat {
    /// WARC/1.1 (gzip per record), with a CDXJ index written beside it (FILE.cdxj).
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
    /// Only captures made at or after this time.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
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
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextOrJson {
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
    Markdown,
    /// One self-contained page with the link-rot chart, to mail or publish.
    Html,
}
