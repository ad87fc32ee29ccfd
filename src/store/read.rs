//! Reading objects back: a reader over a whole object re-hashes the bytes as they pass and
//! fails its last read if they are not the bytes the address promises; a reader over a byte
//! range (what `serve` answers `Range` requests with) cannot be checked and says so by type.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

use bytes::{Buf, Bytes};
use sha2::{Digest, Sha256};

use super::hex;
use super::s3::{S3Objects, WINDOW};

/// Why an object (or the store's listing) could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// No object is stored under this hash.
    #[error("object {sha256} is missing from the store ({location})")]
    Missing {
        /// The object's SHA-256, 64 lowercase hex digits.
        sha256: String,
        /// Where it was looked for: its file's path, or `s3://BUCKET/PREFIX object HASH`.
        location: String,
    },
    /// The bytes read do not hash to the name they are stored under.
    #[error("object {expected} is corrupted: its bytes hash to {actual}. Run `linkvault verify`; restore it from a backup or let the next run fetch it again")]
    Corrupted {
        /// The SHA-256 the object is stored under.
        expected: String,
        /// The SHA-256 of the bytes actually read.
        actual: String,
    },
    /// A local file or folder of the store could not be read.
    #[error("cannot read {location}: {source}")]
    Io {
        /// The file or folder's path.
        location: String,
        /// What the file system said.
        source: io::Error,
    },
    /// The bucket did not deliver the object (or the listing).
    #[error("cannot read object {sha256} from {store}: {message}. Check that the service is reachable and the AWS_* credentials allow reading, then try again")]
    Remote {
        /// The object's SHA-256, or `(listing)` for a listing.
        sha256: String,
        /// The store, as `s3://BUCKET/PREFIX`.
        store: String,
        /// The client's or the service's error.
        message: String,
    },
    /// Writing the object's bytes to their destination failed (not the store's fault).
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

/// Where a reader's bytes come from.
enum Source {
    File(File),
    S3 {
        objects: Arc<S3Objects>,
        sha256: String,
        window: Bytes,
    },
}

/// An open object (or a byte range of one), read with [`Read`]. For a whole object the bytes
/// are hashed as they pass and the read that reaches the end fails with
/// [`ReadError::Corrupted`] (inside an `io::Error`) if they are not the promised bytes.
pub struct ObjectReader {
    source: Source,
    /// The hash to check at the end (whole-object readers only).
    verify: Option<(String, Sha256)>,
    /// Next offset to read, and the end of what this reader covers.
    at: u64,
    end: u64,
    failed: bool,
}

impl ObjectReader {
    pub(super) fn file(
        mut file: File,
        sha256: &str,
        start: u64,
        end: u64,
        whole: bool,
    ) -> io::Result<Self> {
        if start > 0 {
            file.seek(SeekFrom::Start(start))?;
        }
        Ok(ObjectReader {
            source: Source::File(file),
            verify: whole.then(|| (sha256.to_string(), Sha256::new())),
            at: start,
            end,
            failed: false,
        })
    }

    pub(super) fn s3(
        objects: Arc<S3Objects>,
        sha256: &str,
        start: u64,
        end: u64,
        whole: bool,
    ) -> Self {
        ObjectReader {
            source: Source::S3 {
                objects,
                sha256: sha256.to_string(),
                window: Bytes::new(),
            },
            verify: whole.then(|| (sha256.to_string(), Sha256::new())),
            at: start,
            end,
            failed: false,
        }
    }

    /// Bytes this reader covers (the object's size for a whole-object reader).
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.at)
    }

    /// Whether the reader covers no bytes at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn raw_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.source {
            Source::File(f) => {
                // Read to the end of the file for a whole object (a longer file than recorded
                // is caught by the hash); stop at `end` for a range.
                if self.verify.is_some() {
                    f.read(buf)
                } else {
                    let left = self.end.saturating_sub(self.at);
                    let take = (buf.len() as u64).min(left) as usize;
                    f.read(&mut buf[..take])
                }
            }
            Source::S3 {
                objects,
                sha256,
                window,
            } => {
                if window.is_empty() {
                    if self.at >= self.end {
                        return Ok(0);
                    }
                    let next = (self.at + WINDOW).min(self.end);
                    *window = objects
                        .get_range(sha256, self.at..next)
                        .map_err(|e| io::Error::other(e.0))?
                        .ok_or_else(|| {
                            io::Error::new(io::ErrorKind::NotFound, "the object disappeared")
                        })?;
                    if window.is_empty() {
                        return Ok(0);
                    }
                }
                let n = buf.len().min(window.len());
                window.copy_to_slice(&mut buf[..n]);
                Ok(n)
            }
        }
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failed {
            return Err(io::Error::other("the object could not be read"));
        }
        let n = self.raw_read(buf)?;
        self.at += n as u64;
        match &mut self.verify {
            Some((_, hasher)) if n > 0 => hasher.update(&buf[..n]),
            Some((expected, hasher)) => {
                let actual = hex(&std::mem::take(hasher).finalize());
                if &actual != expected {
                    self.failed = true;
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        ReadError::Corrupted {
                            expected: expected.clone(),
                            actual,
                        },
                    ));
                }
                self.verify = None;
            }
            None => {}
        }
        Ok(n)
    }
}

/// The store's own error an `io::Error` carries (a verified reader's `Corrupted`, say), or the
/// `io::Error` back when it carries none.
pub(crate) fn carried(e: io::Error) -> Result<ReadError, io::Error> {
    if !e.get_ref().is_some_and(|r| r.is::<ReadError>()) {
        return Err(e);
    }
    match e.into_inner().map(|inner| inner.downcast::<ReadError>()) {
        Some(Ok(r)) => Ok(*r),
        _ => Err(io::Error::other("unreadable object")),
    }
}

/// The `ReadError` an object reader's `io::Error` carries, or an `Io` one naming `location`.
pub(super) fn unwrap_io(e: io::Error, location: &str) -> ReadError {
    carried(e).unwrap_or_else(|source| ReadError::Io {
        location: location.to_string(),
        source,
    })
}

/// Copies everything `reader` yields into `out`; the byte count, or why not. The caller must
/// discard `out` on error.
pub(super) fn copy_reader(
    mut reader: ObjectReader,
    location: &str,
    out: &mut dyn Write,
) -> Result<u64, ReadError> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = reader.read(&mut buf).map_err(|e| unwrap_io(e, location))?;
        if n == 0 {
            break;
        }
        out.write_all(&buf[..n]).map_err(ReadError::Output)?;
        total += n as u64;
    }
    out.flush().map_err(ReadError::Output)?;
    Ok(total)
}
