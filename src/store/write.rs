//! Writing an object: bytes stream through SHA-256 into memory and, past [`IN_MEMORY`], into a
//! spool file `tmp/*.part`; `finish` hands the finished file to the backend, which publishes it under its content address
//! unless that object already exists (on disk: in a group commit with the objects finishing
//! at the same time, see [`super::durable`]; on S3: an upload, see [`super::s3`]), so a crash never leaves a partial object under a hash.
//! A small body that turns out to be held already (a site's one 404 page, an image cited
//! under two URLs) never touches the disk. Dropping an unfinished writer deletes its spool
//! file.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use std::sync::Arc;

use super::durable::PendingObject;
use super::write_error::WriteError;
use super::{hex, Store};

/// Bodies up to this size are held in memory until `finish` (at most this much per download in
/// flight); bigger ones go to a spool file as they arrive.
pub const IN_MEMORY: usize = 256 * 1024;

/// A spooled body's bytes are handed to the disk every this many bytes as they arrive.
const WRITE_BACK_EVERY: u64 = 8 * 1024 * 1024;

/// A finished object: durable, unless `pending` says it still waits for its group commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// The SHA-256 of the bytes, 64 lowercase hex digits: the object's name in the store.
    pub sha256: String,
    /// The object's size in bytes.
    pub bytes: u64,
    /// False when identical bytes were already stored (nothing was written).
    pub newly_written: bool,
    /// Set by [`ObjectWriter::finish_later`] when the bytes are written but not durable yet:
    /// pass it to [`Store::make_durable`] before anything that refers to the object is
    /// recorded. `None`: durable already.
    pub pending: Option<Arc<PendingObject>>,
}

/// The spool taken out of a finished writer.
enum Taken {
    Memory(Vec<u8>),
    File(PathBuf, File),
}

/// Where the bytes are until `finish`.
enum Spool {
    Memory(Vec<u8>),
    File {
        path: PathBuf,
        file: BufWriter<File>,
    },
    Finished,
}

/// An object being written: bytes are hashed as they arrive and kept in memory, then in a
/// local temp file once they outgrow [`IN_MEMORY`]; [`finish`](ObjectWriter::finish) publishes
/// them under their hash. Dropped unfinished, the temp file is removed.
pub struct ObjectWriter {
    store: Store,
    spool: Spool,
    hasher: Sha256,
    bytes: u64,
}

impl ObjectWriter {
    pub(super) fn create(store: &Store) -> ObjectWriter {
        ObjectWriter {
            store: store.clone(),
            spool: Spool::Memory(Vec::new()),
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// Appends `chunk` to the object.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), WriteError> {
        self.hasher.update(chunk);
        self.bytes += chunk.len() as u64;
        match &mut self.spool {
            Spool::Memory(buf) if buf.len() + chunk.len() <= IN_MEMORY => {
                buf.extend_from_slice(chunk);
                Ok(())
            }
            Spool::Memory(buf) => {
                let held = std::mem::take(buf);
                let (path, file) = self.spool_file()?;
                let mut file = BufWriter::with_capacity(IN_MEMORY, file);
                // The spool is the file from here on, so a failed write below still removes it.
                let result = file.write_all(&held).and_then(|()| file.write_all(chunk));
                let err_path = path.clone();
                self.spool = Spool::File { path, file };
                result.map_err(|e| WriteError::from_io(err_path, e))
            }
            Spool::File { path, file } => {
                file.write_all(chunk)
                    .map_err(|e| WriteError::from_io(path.clone(), e))?;
                // A big body goes to the disk while it is still arriving, so the flush at its
                // group commit has little left to write (what `dd conv=fsync` pays at the end).
                let before = self.bytes - chunk.len() as u64;
                if before / WRITE_BACK_EVERY != self.bytes / WRITE_BACK_EVERY {
                    super::flush::start_writeback(file.get_ref());
                }
                Ok(())
            }
            Spool::Finished => Err(WriteError::from_io(
                PathBuf::new(),
                io::Error::other("writer already finished"),
            )),
        }
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.bytes
    }

    /// A new, empty spool file in the store's `tmp/`.
    fn spool_file(&self) -> Result<(PathBuf, File), WriteError> {
        let name = format!("{}-{:016x}.part", std::process::id(), fastrand::u64(..));
        let path = self.store.spool_dir().join(name);
        // Readable too: a pending object's bytes are read back from it (`read_pending_prefix`).
        let file = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| WriteError::from_io(path.clone(), e))?;
        Ok((path, file))
    }

    /// Makes the object durable under its hash. Blocking (waits for its group commit, or
    /// the upload): call from a blocking context. On any error (a full disk often shows up
    /// only here, at flush or fsync), the temp file is removed: nothing partial outlives a
    /// failed write.
    pub fn finish(mut self) -> Result<StoredObject, WriteError> {
        let (sha256, bytes) = self.digest();
        let done = |newly_written| StoredObject {
            sha256: sha256.clone(),
            bytes,
            newly_written,
            pending: None,
        };
        let (path, file) = match self.take_spool()? {
            Taken::Memory(buf) => {
                // Held already: nothing to write (a bucket is asked by the upload itself).
                if !self.store.is_remote() && self.store.contains(&sha256) {
                    return Ok(done(false));
                }
                if let Some(published) = self.store.publish_bytes(&buf, &sha256) {
                    return published.map(done);
                }
                self.spool_bytes(&buf)?
            }
            Taken::File(path, file) => (path, file),
        };
        let published = self.store.publish(&path, file, &sha256, bytes);
        if published.is_err() {
            let _ = fs::remove_file(&path);
        }
        published.map(done)
    }

    /// Like [`finish`](Self::finish), but on a folder store returns once the bytes are
    /// written, with the object `pending`: [`Store::make_durable`] then makes many such
    /// objects durable in one group commit. Identical bytes already held or pending are not
    /// written again. On a bucket this is `finish`.
    pub fn finish_later(mut self) -> Result<StoredObject, WriteError> {
        if self.store.is_remote() {
            return self.finish();
        }
        let (sha256, bytes) = self.digest();
        let done = |newly_written, pending| StoredObject {
            sha256: sha256.clone(),
            bytes,
            newly_written,
            pending,
        };
        let taken = self.take_spool()?;
        if self.store.contains(&sha256) {
            drop_spool(taken);
            return Ok(done(false, None));
        }
        if let Some(waiting) = self.store.pending_object(&sha256) {
            drop_spool(taken);
            return Ok(done(false, Some(waiting)));
        }
        let (temp, file) = match taken {
            Taken::Memory(buf) => match self.store.defer_bytes(&buf, &sha256) {
                Some(deferred) => return deferred.map(|p| done(true, Some(p))),
                None => self.spool_bytes(&buf)?,
            },
            Taken::File(path, file) => (path, file),
        };
        match self.store.defer_file(&sha256, temp, file) {
            Ok(pending) => Ok(done(true, Some(pending))),
            Err((path, file)) => {
                let published = self.store.publish(&path, file, &sha256, bytes);
                if published.is_err() {
                    let _ = fs::remove_file(&path);
                }
                published.map(|newly| done(newly, None))
            }
        }
    }

    fn digest(&mut self) -> (String, u64) {
        (
            hex(&std::mem::take(&mut self.hasher).finalize()),
            self.bytes,
        )
    }

    /// The finished spool (flushed, for a file); the writer is spent. On error the spool file
    /// is removed.
    fn take_spool(&mut self) -> Result<Taken, WriteError> {
        match std::mem::replace(&mut self.spool, Spool::Finished) {
            Spool::Memory(buf) => Ok(Taken::Memory(buf)),
            Spool::File { path, file } => match file.into_inner() {
                Ok(file) => Ok(Taken::File(path, file)),
                Err(e) => {
                    let _ = fs::remove_file(&path);
                    Err(WriteError::from_io(path, e.into_error()))
                }
            },
            Spool::Finished => Err(WriteError::from_io(
                PathBuf::new(),
                io::Error::other("writer already finished"),
            )),
        }
    }

    /// A spool file holding `buf` (removed again if writing it fails).
    fn spool_bytes(&self, buf: &[u8]) -> Result<(PathBuf, File), WriteError> {
        let (path, mut file) = self.spool_file()?;
        if let Err(e) = file.write_all(buf) {
            drop(file);
            let _ = fs::remove_file(&path);
            return Err(WriteError::from_io(path, e));
        }
        Ok((path, file))
    }
}

/// A spool not needed after all (the bytes are held already).
fn drop_spool(taken: Taken) {
    if let Taken::File(path, file) = taken {
        drop(file);
        let _ = fs::remove_file(path);
    }
}

impl Drop for ObjectWriter {
    fn drop(&mut self) {
        // Unfinished (error, size cap, cancelled task): leave nothing behind.
        if let Spool::File { path, .. } = &self.spool {
            let _ = fs::remove_file(path);
        }
    }
}
