//! `linkvault prove`: write the proof that a capture existed by a timestamp authority's time,
//! or check one offline (`--check PROOF [--file BYTES] [--ca PEM]`).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

use linkvault::clock;
use linkvault::config::Config;
use linkvault::db::Db;
use linkvault::timestamp::proof::{self, Target};
use linkvault::timestamp::{kind_name, token};

use super::{emit, UsageError};
use crate::cli::ProveArgs;

pub(crate) fn prove(cfg: &Config, a: &ProveArgs) -> Result<ExitCode> {
    let db = Db::open_read_only(&cfg.archive)?;
    let target = match (&a.hash, &a.url) {
        (Some(h), _) => Target::Hash(h),
        (None, Some(u)) => Target::Url { url: u, at: a.at },
        (None, None) => {
            return Err(UsageError("give a HASH or --url URL (or --check PROOF)".into()).into())
        }
    };
    let mut p = proof::build(&db, &target)?;
    let out = a.output.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "proof-{}.json",
            p.capture.sha256.get(..12).unwrap_or("capture")
        ))
    });
    let written = proof::write(&mut p, &out)?;
    let mut text = String::new();
    let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    let by: Vec<String> = p
        .timestamps
        .iter()
        .map(|t| format!("{} at {}", t.signer, t.gen_time))
        .collect();
    let _ = writeln!(
        text,
        "proof of the {} of {} (sha256 {}, captured {}) written: {}",
        p.capture.kind.replace('-', " "),
        p.capture.url,
        p.capture.sha256,
        p.capture.captured_at,
        names.join(", ")
    );
    let _ = writeln!(
        text,
        "leaf {} of {} under root {}, timestamped by {}",
        p.tree.index,
        p.tree.size,
        p.tree.root,
        by.join(" and ")
    );
    let _ = writeln!(
        text,
        "check it offline: linkvault prove --check {} --file THE-BYTES [--ca TSA-CA.pem]; or with OpenSSL alone: {}",
        out.display(),
        p.openssl.get(1).map_or("", String::as_str)
    );
    emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn check(a: &ProveArgs) -> Result<ExitCode> {
    let Some(path) = &a.check else {
        return Err(UsageError("--check PROOF is required".into()).into());
    };
    let anchors = match &a.ca {
        Some(ca) => {
            let text = std::fs::read_to_string(ca)
                .with_context(|| format!("cannot read {}", ca.display()))?;
            token::read_pem_certificates(&text).with_context(|| ca.display().to_string())?
        }
        None => Vec::new(),
    };
    let c = proof::check(path, a.file.as_deref(), &anchors)?;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "capture: {} of {} captured {} (sha256 {})",
        kind_name(c.leaf.kind).replace('-', " "),
        c.leaf.url,
        clock::format(c.leaf.captured_at),
        c.sha256
    );
    match &a.file {
        Some(f) => {
            let _ = writeln!(text, "file: {} matches the capture's SHA-256", f.display());
        }
        None => text.push_str("file: not checked (add --file BYTES to check a copy)\n"),
    }
    let _ = writeln!(
        text,
        "tree: leaf {} of {} leads to root {}",
        c.index, c.size, c.root
    );
    for (i, (tsa, v)) in c.tokens.iter().enumerate() {
        let _ = writeln!(
            text,
            "timestamp {}: valid, signed by {} ({tsa}) at {}, serial {}, policy {}; {}",
            i + 1,
            v.signer,
            v.gen_time_text,
            v.serial,
            v.policy,
            v.anchor
        );
    }
    let earliest = c.tokens.iter().map(|(_, v)| v.gen_time).min().unwrap_or(0);
    if c.leaf.captured_at > earliest + linkvault::timestamp::token::CLOCK_SKEW {
        let _ = writeln!(
            text,
            "warning: the recorded capture time is after the timestamp: the capturing machine's clock was wrong, so the capture time is not to be relied on (the timestamp still bounds when the bytes existed)"
        );
    }
    let _ = writeln!(
        text,
        "PROOF HOLDS: these bytes, with this URL and capture time, existed no later than {}",
        clock::format(earliest)
    );
    emit(&text)?;
    Ok(ExitCode::SUCCESS)
}
