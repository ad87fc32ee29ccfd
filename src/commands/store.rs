//! `linkvault store copy --to URL`: the archive's objects copied to another store (a folder or
//! an S3 bucket), verified, resumable; the archive is not switched until the user says so.

use std::process::ExitCode;

use anyhow::Result;

use linkvault::config::{Config, StoreConfig};
use linkvault::db::Db;
use linkvault::store::{copy_objects, Store};
use linkvault::text::eprint_line;
use linkvault::units::format_size;

use super::{count, emit};
use crate::cli::StoreAction;

pub(crate) fn store(cfg: &Config, action: StoreAction) -> Result<ExitCode> {
    match action {
        StoreAction::Copy { to } => copy(cfg, &to),
    }
}

fn copy(cfg: &Config, to: &str) -> Result<ExitCode> {
    let db = Db::open_read_only(&cfg.archive)?;
    let from = super::open_store(cfg)?;
    let target_cfg = StoreConfig {
        location: Some(to.to_string()),
        s3: cfg.store.s3.clone(),
    };
    let target = Store::open(&cfg.archive, &target_cfg)?;
    if target.describe() == from.describe() {
        return Err(super::UsageError(format!(
            "{to} is the store this archive already uses: nothing to copy"
        ))
        .into());
    }
    let objects: Vec<(String, u64)> = db
        .all_objects()?
        .into_iter()
        .map(|o| (o.sha256, o.bytes))
        .collect();
    eprint_line(&format!(
        "copying {} from {} to {}",
        count(objects.len() as u64, "object", "objects"),
        from.describe(),
        target.describe()
    ));
    let total = objects.len();
    let mut done = 0usize;
    let r = copy_objects(&from, &target, &objects, |r| {
        done += 1;
        if done.is_multiple_of(500) && done < total {
            eprint_line(&format!(
                "  {done}/{total}: {} copied, {} already there",
                r.copied, r.already_there
            ));
        }
    })?;
    let mut out = String::new();
    for (sha, why) in &r.failed {
        out.push_str(&format!("FAILED     {sha}: {why}\n"));
    }
    out.push_str(&format!(
        "{} copied ({}), {} already there, {} failed\n",
        count(r.copied, "object", "objects"),
        format_size(r.bytes_copied),
        r.already_there,
        r.failed.len()
    ));
    if r.failed.is_empty() {
        out.push_str(&format!(
            "nothing was switched: this archive still uses {}. To use the copy, set store = \"{to}\" in config.toml (or pass --store {to}); `linkvault --store {to} verify` re-hashes every object there\n",
            from.describe()
        ));
    } else {
        out.push_str("run `linkvault verify` on this archive, then copy again: objects already copied are skipped\n");
    }
    emit(&out)?;
    Ok(if r.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
