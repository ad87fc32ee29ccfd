//! `restore`: write a snapshot's exact bytes, by hash (or unique prefix) or by URL and time.
//! The bytes are re-hashed while written; on any mismatch the output is removed, so a restored
//! file is either bit-for-bit what was fetched or not there at all.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::clock;
use crate::db::{Db, DbError};
use crate::output::Output;
use crate::store::{ReadError, Store};

/// Why `restore` could not write the snapshot.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The record could not be read.
    #[error(transparent)]
    Db(#[from] DbError),
    /// What was given is not 8 to 64 hex digits.
    #[error("`{0}` is not a hash: give at least 8 hex digits of a SHA-256")]
    BadHash(String),
    /// No stored object's hash starts with these digits (lowercased).
    #[error("no snapshot has a hash starting with {0}")]
    UnknownHash(String),
    /// More than one stored object's hash starts with the digits given.
    #[error("{prefix} is ambiguous: it starts {candidates}; give more digits")]
    Ambiguous {
        /// The digits given, lowercased.
        prefix: String,
        /// Some of the hashes that match (up to three), comma-separated.
        candidates: String,
    },
    /// The URL (or path) is neither a reference nor an article in the archive.
    #[error("`{0}` is neither a reference nor an article in this archive")]
    UnknownUrl(String),
    /// The URL is known, but no good copy of it is held (at or before the time asked).
    #[error("no good snapshot of {url}{at}")]
    NoSnapshot {
        /// The URL as given.
        url: String,
        /// ` at or before TIME` (RFC 3339) when a time was given, else empty.
        at: String,
    },
    /// Reading the object failed (missing, corrupted or unreachable).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Writing the output failed.
    #[error("cannot write {path}: {source}")]
    Output {
        /// The file being written (`-` for standard output).
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
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
pub fn resolve_url(
    db: &Db,
    url: &str,
    at: Option<crate::clock::Timestamp>,
) -> Result<String, RestoreError> {
    let candidates = crate::urlkey::lookup_keys(url);
    let mut known = false;
    for c in &candidates {
        if db.link_by_url(c)?.is_some() {
            known = true;
            if let Some(s) = db.good_snapshot_at(c, at)? {
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
                .find(|v| v.lost_at.is_none() && at.is_none_or(|t| v.captured_at <= t));
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
        at: at
            .map(|t| format!(" at or before {}", clock::format(t)))
            .unwrap_or_default(),
    })
}

/// Writes object `sha256` to `out` (`-` = stdout; an existing directory gets a file named by
/// the hash). Returns the byte count. The bytes are re-hashed as they are written; a regular
/// file is replaced only when all of them were written and matched.
pub fn write(store: &Store, sha256: &str, out: &Path) -> Result<u64, RestoreError> {
    if out == Path::new("-") {
        // Standard output cannot be taken back: prove the object good before writing a byte.
        store.copy_verified(sha256, &mut io::sink())?;
        let stdout = io::stdout();
        let mut lock = stdout.lock();
        let n = store.copy_verified(sha256, &mut lock)?;
        lock.flush().map_err(|source| RestoreError::Output {
            path: out.to_path_buf(),
            source,
        })?;
        return Ok(n);
    }
    let named;
    let out = if out.is_dir() {
        named = out.join(sha256);
        named.as_path()
    } else {
        out
    };
    let output_err = |source| RestoreError::Output {
        path: out.to_path_buf(),
        source,
    };
    let mut dest = Output::create(out).map_err(output_err)?;
    if dest.writes_through() {
        store.copy_verified(sha256, &mut io::sink())?;
    }
    let n = {
        let mut w = BufWriter::with_capacity(1 << 20, &mut dest);
        let n = store.copy_verified(sha256, &mut w)?;
        w.flush().map_err(output_err)?;
        n
    };
    dest.commit().map_err(output_err)?;
    Ok(n)
}
