//! One run at a time per archive: an exclusive lock on `archive/lock`, released when the
//! process ends however it ends (the OS drops the lock of a killed process).

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Why the archive could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the lock (and the caller would not wait).
    #[error("another linkvault run is using the archive at {path} ({holder}). This run did nothing; it will be picked up by the next scheduled run, or pass --wait to queue behind it")]
    Busy {
        /// The lock file, `ARCHIVE/lock`.
        path: PathBuf,
        /// What the holder wrote in it (`pid 1234 since 2025-01-01T00:00:00Z`), or
        /// `holder unknown`.
        holder: String,
    },
    /// The lock file could not be opened, locked or written.
    #[error("cannot lock the archive at {path}: {source}")]
    Io {
        /// The lock file, `ARCHIVE/lock`.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
}

/// Held for the whole run.
pub struct ArchiveLock {
    _file: File,
}

impl ArchiveLock {
    /// Takes the lock; when it is held elsewhere, waits (`wait`) or fails with `Busy`.
    pub fn acquire(
        archive: &Path,
        wait: bool,
        on_wait: impl FnOnce(&str),
    ) -> Result<ArchiveLock, LockError> {
        let path = archive.join("lock");
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = if holder.trim().is_empty() {
                    "holder unknown".to_string()
                } else {
                    holder.trim().to_string()
                };
                if !wait {
                    return Err(LockError::Busy { path, holder });
                }
                on_wait(&holder);
                file.lock().map_err(io)?;
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let stamp = format!(
            "pid {} since {}",
            std::process::id(),
            crate::clock::format(crate::clock::now())
        );
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(stamp.as_bytes()).map_err(io)?;
        Ok(ArchiveLock { _file: file })
    }
}
