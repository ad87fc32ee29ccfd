//! `restore`: write a snapshot's exact bytes, by hash (or unique prefix) or by URL and time.
//! The bytes are re-hashed while written; on any mismatch the output is removed, so a restored
//! file is either bit-for-bit what was fetched or not there at all.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use crate::clock;
use crate::db::{Db, DbError};
use crate::store::{copy_verified, ReadError, Store};

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("`{0}` is not a hash: give at least 8 hex digits of a SHA-256")]
    BadHash(String),
    #[error("no snapshot has a hash starting with {0}")]
    UnknownHash(String),
    #[error("{prefix} is ambiguous: it starts {candidates}; give more digits")]
    Ambiguous { prefix: String, candidates: String },
    #[error("`{0}` is neither a reference nor an article in this archive")]
    UnknownUrl(String),
    #[error("no good snapshot of {url}{at}")]
    NoSnapshot { url: String, at: String },
    #[error("`{0}` is not a time; use 2024-05-01 or 2024-05-01T12:00:00Z")]
    BadTime(String),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("cannot write {path}: {source}")]
    Output { path: PathBuf, source: io::Error },
}

/// The full hash for a hash or unique prefix (at least 8 hex digits).
pub fn resolve_hash(db: &Db, prefix: &str) -> Result<String, RestoreError> {
    let p = prefix.trim().to_ascii_lowercase();
    if p.len() < 8 || p.len() > 64 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(RestoreError::BadHash(prefix.to_string()));
    }
    let found = db.objects_with_prefix(&p, 3)?;
    match found.len() {
        0 => Err(RestoreError::UnknownHash(p)),
        1 => Ok(found[0].clone()),
        _ => Err(RestoreError::Ambiguous {
            prefix: p,
            candidates: found.join(", "),
        }),
    }
}

/// The hash of the good snapshot of `url` at or before `at` (the latest without `at`); for an
/// article, the version read at or before `at`.
pub fn resolve_url(db: &Db, url: &str, at: Option<&str>) -> Result<String, RestoreError> {
    let at_ts = match at {
        Some(t) => Some(clock::parse(t).ok_or_else(|| RestoreError::BadTime(t.to_string()))?),
        None => None,
    };
    let candidates = crate::history::lookup_keys(url);
    let mut known = false;
    for c in &candidates {
        if db.link_by_url(c)?.is_some() {
            known = true;
            if let Some(s) = db.good_snapshot_at(c, at_ts)? {
                return Ok(s.sha256);
            }
        }
    }
    // Not a reference with a copy: an article page, as read at or before that time.
    for c in &candidates {
        if let Some(article) = db.article_history(c)? {
            known = true;
            let version = article
                .captures
                .iter()
                .rev()
                .find(|v| at_ts.is_none_or(|t| v.captured_at <= t));
            if let Some(v) = version {
                return Ok(v.sha256.clone());
            }
        }
    }
    if !known {
        return Err(RestoreError::UnknownUrl(url.to_string()));
    }
    Err(RestoreError::NoSnapshot {
        url: url.to_string(),
        at: at.map(|t| format!(" at or before {t}")).unwrap_or_default(),
    })
}

/// Writes object `sha256` to `out` (`-` = stdout). Returns the byte count.
pub fn write(store: &Store, sha256: &str, out: &Path) -> Result<u64, RestoreError> {
    let src = store.object_path(sha256);
    if out == Path::new("-") {
        // Standard output cannot be taken back: prove the object good before writing a byte.
        copy_verified(&src, sha256, &mut io::sink())?;
        let stdout = io::stdout();
        let mut lock = stdout.lock();
        return Ok(copy_verified(&src, sha256, &mut lock)?);
    }
    // An existing directory gets the object under its hash, never under a name from a URL.
    let named;
    let out = if out.is_dir() {
        named = out.join(sha256);
        named.as_path()
    } else {
        out
    };
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "restore".into());
    let tmp = dir.join(format!(".{name}.linkvault-{}.part", std::process::id()));
    let output_err = |source| RestoreError::Output {
        path: out.to_path_buf(),
        source,
    };
    let file = File::create(&tmp).map_err(output_err)?;
    let mut w = BufWriter::new(file);
    let copied = copy_verified(&src, sha256, &mut w).and_then(|n| {
        w.into_inner()
            .map_err(|e| ReadError::Output(e.into_error()))?
            .sync_all()
            .map_err(ReadError::Output)?;
        Ok(n)
    });
    match copied {
        Ok(n) => {
            std::fs::rename(&tmp, out).map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                output_err(e)
            })?;
            Ok(n)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e.into())
        }
    }
}
