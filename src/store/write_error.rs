//! Why an object could not be written, for both backends: a full disk (the one thing a user
//! can act on), any other local failure, or a bucket that refused the upload.

use std::io;
use std::path::PathBuf;

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
