//! The content-addressed object store: every fetched body lives once under its SHA-256,
//! as `objects/ab/cdef…` inside the archive directory.
//!
//! Writing goes temp file → fsync → rename → directory fsync ([`write`]), so an object under
//! its address is always complete; reading re-hashes while it copies ([`read`]). This module
//! knows nothing of URLs or the database.

pub mod read;
pub mod write;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub use read::{copy_verified, hash_file, ReadError};
pub use write::{ObjectWriter, StoredObject, WriteError};

/// A SHA-256 as 64 lowercase hex digits.
pub type Sha256Hex = String;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create or open the archive at {path}: {source}. Check that the folder is writable, or pass --archive DIR")]
    Open { path: PathBuf, source: io::Error },
    #[error("the archive at {path} is not writable ({source}). Fix its permissions or pass --archive DIR")]
    NotWritable { path: PathBuf, source: io::Error },
}

#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the store at `root` and proves it writable.
    pub fn open(root: &Path) -> Result<Store, StoreError> {
        let store = Store {
            root: root.to_path_buf(),
        };
        for dir in [store.objects_dir(), store.tmp_dir()] {
            fs::create_dir_all(&dir).map_err(|source| StoreError::Open {
                path: dir.clone(),
                source,
            })?;
        }
        let probe = store
            .tmp_dir()
            .join(format!(".probe-{}", std::process::id()));
        fs::write(&probe, b"").map_err(|source| StoreError::NotWritable {
            path: root.to_path_buf(),
            source,
        })?;
        let _ = fs::remove_file(probe);
        Ok(store)
    }

    /// Opens an existing store for reading only; nothing is created.
    pub fn open_existing(root: &Path) -> Store {
        Store {
            root: root.to_path_buf(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn objects_dir(&self) -> PathBuf {
        self.root.join("objects")
    }

    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Where the object with this hash lives (it may not exist).
    pub fn object_path(&self, sha256: &str) -> PathBuf {
        let (fan, rest) = sha256.split_at(sha256.len().min(2));
        self.objects_dir().join(fan).join(rest)
    }

    pub fn contains(&self, sha256: &str) -> bool {
        is_sha256(sha256) && self.object_path(sha256).is_file()
    }

    /// Stores bytes already in memory (a small file, such as a saved article); bytes already
    /// held are not written again. Blocking.
    pub fn put(&self, bytes: &[u8]) -> Result<StoredObject, WriteError> {
        use sha2::{Digest, Sha256};
        let sha256 = hex_digest(&Sha256::digest(bytes));
        if self.contains(&sha256) {
            return Ok(StoredObject {
                sha256,
                bytes: bytes.len() as u64,
                newly_written: false,
            });
        }
        let mut w = self.writer()?;
        w.write(bytes)?;
        w.finish()
    }

    /// Starts writing a new object; nothing is visible under any address until `finish`.
    pub fn writer(&self) -> Result<ObjectWriter, WriteError> {
        ObjectWriter::create(self)
    }

    /// Every file under `objects/`, as (claimed hash, path); names that are not hashes come back too.
    pub fn list_objects(&self) -> io::Result<Vec<(String, PathBuf)>> {
        let mut out = Vec::new();
        let dir = match fs::read_dir(self.objects_dir()) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e),
        };
        for fan in dir {
            let fan = fan?;
            if !fan.file_type()?.is_dir() {
                out.push((fan.file_name().to_string_lossy().into_owned(), fan.path()));
                continue;
            }
            let prefix = fan.file_name().to_string_lossy().into_owned();
            for obj in fs::read_dir(fan.path())? {
                let obj = obj?;
                let name = format!("{prefix}{}", obj.file_name().to_string_lossy());
                out.push((name, obj.path()));
            }
        }
        out.sort();
        Ok(out)
    }

    /// Leftover temporary files (from a killed run).
    pub fn list_temp_files(&self) -> io::Result<Vec<PathBuf>> {
        match fs::read_dir(self.tmp_dir()) {
            Ok(d) => d
                .map(|e| e.map(|e| e.path()))
                .filter(|p| {
                    p.as_ref()
                        .map(|p| p.extension().is_some_and(|x| x == "part"))
                        .unwrap_or(true)
                })
                .collect(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Removes temp files (and yt-dlp work folders) left by earlier, interrupted runs.
    /// Only call while holding the run lock.
    pub fn clean_temp_files(&self) -> io::Result<usize> {
        let files = self.list_temp_files()?;
        for f in &files {
            fs::remove_file(f)?;
        }
        let mut dirs = 0;
        if let Ok(entries) = fs::read_dir(self.tmp_dir()) {
            for e in entries.flatten() {
                if e.path().is_dir() && e.file_name().to_string_lossy().starts_with("video-") {
                    fs::remove_dir_all(e.path())?;
                    dirs += 1;
                }
            }
        }
        Ok(files.len() + dirs)
    }
}

pub fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Lowercase hex of a digest.
pub fn hex_digest(bytes: &[u8]) -> String {
    hex(bytes)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}
