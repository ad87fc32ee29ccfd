//! `linkvault export warc|wacz`: captures in the web archives' formats. A WARC is gzipped per
//! record when its name ends in `.gz`, plain otherwise; its CDXJ index is written beside it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

use linkvault::config::Config;
use linkvault::db::Db;
use linkvault::export;
use linkvault::text::eprint_line;

use crate::cli::ExportFormat;

pub(crate) fn export(cfg: &Config, format: ExportFormat) -> Result<ExitCode> {
    let db = Db::open_read_only(&cfg.archive)?;
    let store = super::open_store(cfg)?;
    let (summary, what) = match format {
        ExportFormat::Warc { output, scope } => {
            let mut opts: export::ExportOptions = scope.into();
            let name = output
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "export.warc.gz".into());
            opts.gzip = name.ends_with(".gz");
            let summary = export::export_warc(&db, &store, &opts, &output, &name)?;
            let cdxj = cdxj_path(&output);
            // A device or pipe has no "beside": its index would land in /dev or /proc.
            let regular = std::fs::metadata(&output).is_ok_and(|m| m.is_file());
            if regular {
                export::write_cdxj(&summary.cdxj_lines, &cdxj)?;
            } else {
                eprint_line(&format!(
                    "{} is not a regular file: no CDXJ index written beside it",
                    output.display()
                ));
            }
            let kind = if opts.gzip {
                "gzip-compressed WARC (one member per record)"
            } else {
                "uncompressed WARC (name it .warc.gz for gzip)"
            };
            (
                summary,
                format!(
                    "{} ({kind}) and its index {}",
                    output.display(),
                    cdxj.display()
                ),
            )
        }
        ExportFormat::Wacz { output, scope } => {
            let opts = scope.into();
            let summary = export::write_wacz(&db, &store, &opts, &output)
                .with_context(|| format!("while writing {}", output.display()))?;
            (summary, output.display().to_string())
        }
    };
    eprint_line(&format!(
        "exported {} response, {} revisit, {} resource and {} metadata record(s){} to {what}",
        summary.responses,
        summary.revisits,
        summary.resources,
        summary.metadata,
        if summary.proofs > 0 {
            format!(" ({} of them timestamp proofs)", summary.proofs)
        } else {
            String::new()
        }
    ));
    if !summary.missing.is_empty() {
        eprint_line(&format!(
            "left out {} capture(s) whose objects are missing from the store ({}{}); `linkvault verify` says more",
            summary.missing.len(),
            summary.missing[..summary.missing.len().min(5)].join(", "),
            if summary.missing.len() > 5 { ", …" } else { "" }
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// `x.warc.gz` → `x.cdxj`, beside it.
fn cdxj_path(warc: &Path) -> PathBuf {
    let name = warc
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".warc.gz")
        .or_else(|| name.strip_suffix(".warc"))
        .unwrap_or(&name);
    warc.with_file_name(format!("{stem}.cdxj"))
}
