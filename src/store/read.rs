//! Reading objects back: every copy out of the store re-hashes the bytes as they pass and
//! refuses to finish if they are not the bytes the address promises.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::hex;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("object {sha256} is missing from the store ({path})")]
    Missing { sha256: String, path: PathBuf },
    #[error("object {expected} is corrupted: its bytes hash to {actual}. Run `linkvault verify`; restore it from a backup or let the next run fetch it again")]
    Corrupted { expected: String, actual: String },
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("cannot write the restored bytes: {0}")]
    Output(io::Error),
}

/// SHA-256 and length of a file, streamed.
pub fn hash_file(path: &Path) -> io::Result<(String, u64)> {
    let mut f = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut n_total = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        n_total += n as u64;
    }
    Ok((hex(&hasher.finalize()), n_total))
}

/// Copies the object at `path` into `out`, hashing as it goes; returns the byte count, or
/// `Corrupted` if the bytes are not `expected`. The caller must discard `out` on error.
pub fn copy_verified(path: &Path, expected: &str, out: &mut dyn Write) -> Result<u64, ReadError> {
    let mut f = File::open(path).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            ReadError::Missing {
                sha256: expected.to_string(),
                path: path.to_path_buf(),
            }
        } else {
            ReadError::Io {
                path: path.to_path_buf(),
                source: e,
            }
        }
    })?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| ReadError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(ReadError::Output)?;
        total += n as u64;
    }
    out.flush().map_err(ReadError::Output)?;
    let actual = hex(&hasher.finalize());
    if actual != expected {
        return Err(ReadError::Corrupted {
            expected: expected.to_string(),
            actual,
        });
    }
    Ok(total)
}
