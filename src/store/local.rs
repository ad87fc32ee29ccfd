//! The folder backend: objects as files `objects/ab/cdef…` under the store's root (the archive
//! folder by default), the layout every archive has had, so existing archives open unchanged.
//! Publishing is fsync → rename → directory fsync; a crash never leaves a partial file under a
//! hash.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use super::write::WriteError;
use super::Listed;

#[derive(Debug, Clone)]
pub(super) struct LocalObjects {
    root: PathBuf,
}

impl LocalObjects {
    pub(super) fn new(root: &Path) -> LocalObjects {
        LocalObjects {
            root: root.to_path_buf(),
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

    /// Makes the finished temp file `temp` (whose handle is `file`) the object `sha256`:
    /// fsync, rename, directory fsync. False when the object was already there (the temp file
    /// is removed and nothing is written).
    pub(super) fn publish(
        &self,
        temp: &Path,
        file: File,
        sha256: &str,
    ) -> Result<bool, WriteError> {
        let io_err = |e| WriteError::from_io(temp.to_path_buf(), e);
        let dest = self.path(sha256);
        if dest.is_file() {
            drop(file);
            let _ = fs::remove_file(temp);
            return Ok(false);
        }
        file.sync_all().map_err(io_err)?;
        drop(file);
        let dir = dest.parent().map(Path::to_path_buf).unwrap_or_default();
        fs::create_dir_all(&dir).map_err(|e| WriteError::from_io(dir.clone(), e))?;
        fs::rename(temp, &dest).map_err(io_err)?;
        // The rename is only durable once the directory entry is.
        File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| WriteError::from_io(dir.clone(), e))?;
        Ok(true)
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
