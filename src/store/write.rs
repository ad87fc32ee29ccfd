//! Writing an object: bytes stream through SHA-256 into a spool file `tmp/*.part`; `finish`
//! hands the finished file to the backend, which publishes it under its content address
//! unless that object already exists (on disk: fsync, rename, directory fsync; on S3: an
//! upload — see [`super::s3`]), so a crash never leaves a partial object under a hash.
//! Dropping an unfinished writer deletes its spool file.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use super::{hex, Store};

/// Why an object could not be written; nothing partial is ever left under a hash.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The file system is full or over quota (ENOSPC, EDQUOT).
    #[error("the disk holding the archive is full ({path}): free space, then run again; nothing partial was kept")]
    DiskFull {
        /// The file being written.
        path: PathBuf,
    },
    /// Any other local write failure.
    #[error("cannot write to the archive ({path}): {source}")]
    Io {
        /// The file being written (empty when no file was involved, e.g. a failed task).
        path: PathBuf,
        /// What the file system said.
        source: io::Error,
    },
    /// The bucket did not take the upload.
    #[error("cannot upload to {store}: {message}. Check that the service is reachable and the AWS_* credentials allow writing, then run again; nothing partial was kept")]
    Remote {
        /// The store, as `s3://BUCKET/PREFIX`.
        store: String,
        /// The client's or the service's error.
        message: String,
    },
}

impl WriteError {
    pub(super) fn from_io(path: PathBuf, source: io::Error) -> WriteError {
        // ENOSPC (28) and EDQUOT (122) on Linux: say "disk full", the one thing the user can act on.
        if matches!(source.raw_os_error(), Some(28 | 122))
            || source.kind() == io::ErrorKind::StorageFull
        {
            WriteError::DiskFull { path }
        } else {
            WriteError::Io { path, source }
        }
    }
}

/// A finished, durable object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// The SHA-256 of the bytes, 64 lowercase hex digits: the object's name in the store.
    pub sha256: String,
    /// The object's size in bytes.
    pub bytes: u64,
    /// False when identical bytes were already stored (nothing was written).
    pub newly_written: bool,
}

/// An object being written: bytes are hashed as they are spooled to a local temp file, and
/// [`finish`](ObjectWriter::finish) publishes them under their hash. Dropped unfinished, the
/// temp file is removed.
pub struct ObjectWriter {
    store: Store,
    temp_path: PathBuf,
    file: Option<BufWriter<File>>,
    hasher: Sha256,
    bytes: u64,
}

impl ObjectWriter {
    pub(super) fn create(store: &Store) -> Result<ObjectWriter, WriteError> {
        let name = format!("{}-{:016x}.part", std::process::id(), fastrand::u64(..));
        let temp_path = store.spool_dir().join(name);
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&temp_path)
            .map_err(|e| WriteError::from_io(temp_path.clone(), e))?;
        Ok(ObjectWriter {
            store: store.clone(),
            temp_path,
            file: Some(BufWriter::with_capacity(256 * 1024, file)),
            hasher: Sha256::new(),
            bytes: 0,
        })
    }

    /// Appends `chunk` to the object.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), WriteError> {
        self.hasher.update(chunk);
        self.bytes += chunk.len() as u64;
        if let Some(f) = self.file.as_mut() {
            f.write_all(chunk)
                .map_err(|e| WriteError::from_io(self.temp_path.clone(), e))?;
        }
        Ok(())
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.bytes
    }

    /// The temp file, readable before `finish` (for looking at a page's text).
    pub fn temp_path(&self) -> &std::path::Path {
        &self.temp_path
    }

    /// Flushes what is buffered so `temp_path` can be read; the writer stays usable.
    pub fn flush(&mut self) -> Result<(), WriteError> {
        if let Some(f) = self.file.as_mut() {
            f.flush()
                .map_err(|e| WriteError::from_io(self.temp_path.clone(), e))?;
        }
        Ok(())
    }

    /// Makes the object durable under its hash. Blocking (fsync): call from a blocking context.
    /// On any error (a full disk often shows up only here, at flush or fsync), the temp file
    /// is removed: nothing partial outlives a failed write.
    pub fn finish(mut self) -> Result<StoredObject, WriteError> {
        let temp = self.temp_path.clone();
        let result = self.persist();
        if result.is_err() {
            let _ = fs::remove_file(&temp);
        }
        result
    }

    fn persist(&mut self) -> Result<StoredObject, WriteError> {
        let sha256 = hex(&std::mem::take(&mut self.hasher).finalize());
        let tmp = self.temp_path.clone();
        let io_err = |e| WriteError::from_io(tmp.clone(), e);
        let file = match self.file.take() {
            Some(f) => f.into_inner().map_err(|e| io_err(e.into_error()))?,
            None => return Err(io_err(io::Error::other("writer already finished"))),
        };
        let newly_written = self
            .store
            .publish(&self.temp_path, file, &sha256, self.bytes)?;
        Ok(StoredObject {
            sha256,
            bytes: self.bytes,
            newly_written,
        })
    }
}

impl Drop for ObjectWriter {
    fn drop(&mut self) {
        // Unfinished (error, size cap, cancelled task): leave nothing behind.
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.temp_path);
        }
    }
}
