//! The folder backend: objects as files `objects/ab/cdef…` under the store's root (the archive
//! folder by default), the layout every archive has had, so existing archives open unchanged.
//! Publishing is a group commit ([`super::durable`]): bytes flushed, then renamed under the
//! hash, then the names flushed; a crash never leaves a partial file under a hash.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::durable::{unnamed_file, GroupCommit, PendingObject};
use super::write_error::WriteError;
use super::Listed;

#[derive(Debug, Clone)]
pub(super) struct LocalObjects {
    root: PathBuf,
    batches: Arc<GroupCommit>,
}

impl LocalObjects {
    pub(super) fn new(root: &Path) -> LocalObjects {
        LocalObjects {
            root: root.to_path_buf(),
            batches: Arc::default(),
        }
    }

    pub(super) fn objects_dir(&self) -> PathBuf {
        self.root.join("objects")
    }

    /// Where the object with this hash lives (it may not exist). Only the store module sees
    /// object paths.
    pub(super) fn path(&self, sha256: &str) -> PathBuf {
        let (fan, rest) = sha256.split_at(sha256.len().min(2));
        self.objects_dir().join(fan).join(rest)
    }

    /// The object's length, `None` when it is not there.
    pub(super) fn size(&self, sha256: &str) -> io::Result<Option<u64>> {
        match fs::metadata(self.path(sha256)) {
            Ok(m) if m.is_file() => Ok(Some(m.len())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Makes the finished temp file `temp` (whose handle is `file`) the object `sha256`,
    /// durably, in the next group commit. False when the object was already there (the temp
    /// file is removed and nothing is written).
    pub(super) fn publish(
        &self,
        temp: &Path,
        file: File,
        sha256: &str,
    ) -> Result<bool, WriteError> {
        let dest = self.path(sha256);
        if dest.is_file() {
            drop(file);
            let _ = fs::remove_file(temp);
            return Ok(false);
        }
        self.batches.publish(Some(temp), file, dest)
    }

    /// Makes `bytes` (whose hash is `sha256`) an object without a spool file: written to an
    /// unnamed file in its fan-out folder, named once durable, in the next group commit.
    /// `None` where unnamed files are not available (the caller spools instead).
    pub(super) fn publish_bytes(
        &self,
        bytes: &[u8],
        sha256: &str,
    ) -> Option<Result<bool, WriteError>> {
        Some(match self.unnamed_with(bytes, sha256)? {
            Ok((file, dest)) => self.batches.publish(None, file, dest),
            Err(e) => Err(e),
        })
    }

    /// Writes `bytes` (hash `sha256`) to an unnamed file in its fan-out folder and registers
    /// it as pending; `None` where unnamed files are not available.
    pub(super) fn defer_bytes(
        &self,
        bytes: &[u8],
        sha256: &str,
    ) -> Option<Result<Arc<PendingObject>, WriteError>> {
        Some(
            self.unnamed_with(bytes, sha256)?
                .map(|(file, dest)| self.batches.defer(sha256, None, file, dest)),
        )
    }

    /// An unnamed file in `sha256`'s fan-out folder holding `bytes`, and the object's path;
    /// `None` where unnamed files are not available.
    fn unnamed_with(
        &self,
        bytes: &[u8],
        sha256: &str,
    ) -> Option<Result<(File, PathBuf), WriteError>> {
        let dest = self.path(sha256);
        let dir = dest.parent().map(Path::to_path_buf).unwrap_or_default();
        if let Err(e) = fs::create_dir_all(&dir) {
            return Some(Err(WriteError::from_io(dir, e)));
        }
        let mut file = unnamed_file(&dir)?;
        if let Err(e) = io::Write::write_all(&mut file, bytes) {
            return Some(Err(WriteError::from_io(dest, e)));
        }
        Some(Ok((file, dest)))
    }

    /// Registers the finished spool file `temp` as the pending object `sha256`.
    pub(super) fn defer_file(&self, sha256: &str, temp: PathBuf, file: File) -> Arc<PendingObject> {
        self.batches
            .defer(sha256, Some(temp), file, self.path(sha256))
    }

    /// The pending object with this hash, if one is waiting.
    pub(super) fn pending(&self, sha256: &str) -> Option<Arc<PendingObject>> {
        self.batches.pending(sha256)
    }

    /// Lets group commits flush the whole file system at once (see [`super::flush`]); called
    /// once the store's folders exist, before any object is written. The handle is on
    /// `objects/` itself, so the file system flushed is the one the objects are on (even if
    /// `objects` is a link to another disk).
    pub(super) fn watch_file_system(&self) {
        if let Ok(dir) = File::open(self.objects_dir()) {
            self.batches.watch(dir);
        }
    }

    /// Makes pending objects durable, in one group commit.
    pub(super) fn make_durable(&self, objects: &[Arc<PendingObject>]) -> Result<(), WriteError> {
        self.batches.make_durable(objects)
    }

    /// The first `max` bytes of a pending object, `None` when none with that hash is waiting.
    pub(super) fn read_pending_prefix(&self, sha256: &str, max: u64) -> Option<Vec<u8>> {
        self.batches.read_pending_prefix(sha256, max)
    }

    /// Files in the fan-out folders, counted up to about `limit`.
    pub(super) fn count(&self, limit: u64) -> u64 {
        let mut n = 0;
        let Ok(shards) = fs::read_dir(self.objects_dir()) else {
            return 0;
        };
        for shard in shards.flatten() {
            if let Ok(files) = fs::read_dir(shard.path()) {
                n += files.count() as u64;
                if n >= limit {
                    break;
                }
            }
        }
        n
    }

    /// Every file under `objects/`, by claimed name (names that are not hashes come back too).
    pub(super) fn list(&self) -> io::Result<Vec<Listed>> {
        let mut out = Vec::new();
        let dir = match fs::read_dir(self.objects_dir()) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e),
        };
        for fan in dir {
            let fan = fan?;
            if !fan.file_type()?.is_dir() {
                out.push(Listed {
                    name: fan.file_name().to_string_lossy().into_owned(),
                    bytes: fan.metadata()?.len(),
                });
                continue;
            }
            let prefix = fan.file_name().to_string_lossy().into_owned();
            for obj in fs::read_dir(fan.path())? {
                let obj = obj?;
                out.push(Listed {
                    name: format!("{prefix}{}", obj.file_name().to_string_lossy()),
                    bytes: obj.metadata()?.len(),
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The file a listed name stands for (a name from [`list`](Self::list), hash or not).
    pub(super) fn listed_path(&self, name: &str) -> PathBuf {
        let fanned = self.path(name);
        if fanned.is_file() {
            fanned
        } else {
            self.objects_dir().join(name)
        }
    }

    /// Moves the object named `name` to `quarantine/NAME.TIME`; returns where it went.
    pub(super) fn quarantine(&self, name: &str, stamp: &str) -> io::Result<String> {
        let dir = self.root.join("quarantine");
        fs::create_dir_all(&dir)?;
        let to = dir.join(format!("{name}.{stamp}"));
        fs::rename(self.listed_path(name), &to)?;
        Ok(to.display().to_string())
    }

    /// Deletes an object; one already gone is not an error.
    pub(super) fn remove(&self, sha256: &str) -> io::Result<()> {
        match fs::remove_file(self.path(sha256)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}
