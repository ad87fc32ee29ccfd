//! The content-addressed object store: every fetched body lives once under its SHA-256, as
//! `objects/ab/cdef…` in a folder (the archive folder by default, [`local`]) or under
//! `PREFIX/objects/ab/cdef…` in an S3-compatible bucket ([`s3`]).
//!
//! [`Store`] is the one seam the rest of the crate sees: put a stream under its hash
//! ([`ObjectWriter`], idempotent, durable before `finish` returns), open a verified reader
//! (whole object, or a byte range), size, list, quarantine, remove, and a local scratch area
//! for tools that need files (yt-dlp). Nothing outside this module builds a path to an object.
//!
//! The backends are an enum, not a trait object: the set is closed (a folder, or anything that
//! speaks S3), every operation must exist on both, and a `match` makes a missing one a compile
//! error. Writing always spools to a local `tmp/` first (hashing as it goes), so the key is
//! known before the object is published — the same on both backends. This module knows
//! nothing of URLs or the database.

mod copy;
mod durable;
mod flush;
mod local;
mod read;
mod s3;
mod write;
mod write_error;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;

use local::LocalObjects;
use s3::{S3Failure, S3Objects};

pub use copy::{copy_objects, CopyError, CopyReport};
pub use durable::PendingObject;
pub(crate) use read::carried;
pub use read::{hash_file, ObjectReader, ReadError};
pub use write::{ObjectWriter, StoredObject, IN_MEMORY};
pub use write_error::WriteError;

/// A SHA-256 as 64 lowercase hex digits.
pub type Sha256Hex = String;

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A folder of the store could not be created or opened.
    #[error("cannot create or open the archive at {path}: {source}. Check that the folder is writable, or pass --archive DIR")]
    Open {
        /// The folder.
        path: PathBuf,
        /// What the file system said.
        source: io::Error,
    },
    /// The archive folder exists but a probe file cannot be written in it.
    #[error("the archive at {path} is not writable ({source}). Fix its permissions or pass --archive DIR")]
    NotWritable {
        /// The archive folder.
        path: PathBuf,
        /// What the file system said.
        source: io::Error,
    },
    /// `store` is neither a folder nor an `s3://BUCKET/PREFIX` address.
    #[error("store `{location}` is not a folder or an s3://BUCKET/PREFIX address")]
    BadLocation {
        /// The `store` value as configured.
        location: String,
    },
    /// The bucket could not be set up or did not accept the probe write.
    #[error("cannot use the object store {location}: {message}. Check that the service is up and reachable at `[s3] endpoint` (with `region` and `allow_http` as it needs), and that AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY allow reading and writing; then try again")]
    Remote {
        /// The store, as `s3://BUCKET/PREFIX`.
        location: String,
        /// The client's or the service's error.
        message: String,
    },
}

/// Where the archive's objects live: the archive folder (default), another folder, or an
/// S3-compatible bucket. The SQLite record always stays in the archive folder.
#[derive(Debug, Clone, Default)]
pub struct StoreConfig {
    /// `store = "s3://BUCKET/PREFIX"` or a folder; `None`: the archive folder itself.
    pub location: Option<String>,
    /// How to reach the bucket when `location` is an `s3://` address (`[s3]`).
    pub s3: S3Config,
}

/// `[s3]`: how to reach an S3-compatible service. Credentials come only from the standard
/// `AWS_*` environment variables (never from this file, never printed); these keys override
/// `AWS_ENDPOINT_URL`, `AWS_REGION` and `AWS_ALLOW_HTTP`.
#[derive(Debug, Clone, Default)]
pub struct S3Config {
    /// The service's URL (`https://s3.example.org`); empty: AWS itself.
    pub endpoint: Option<String>,
    /// The bucket's region (`us-east-1`); `None`: `AWS_REGION`, else the client's default.
    pub region: Option<String>,
    /// Allow plain `http://` endpoints (a server on the local network).
    pub allow_http: Option<bool>,
    /// Send `If-None-Match: *` on uploads so a shared bucket never has an object replaced;
    /// off for the rare server that refuses the header.
    pub conditional_put: bool,
}

/// One object as a listing sees it: its claimed name (a hash, unless something else was put
/// there) and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The claimed name: fan-out folder and file (or key) joined, `abcdef…`, no slash.
    pub name: String,
    /// Its size in bytes as the folder or the bucket reports it.
    pub bytes: u64,
}

/// Where the objects are.
#[derive(Debug, Clone)]
enum Backend {
    Local(LocalObjects),
    S3(Arc<S3Objects>),
}

/// The archive's objects, wherever they live, plus the local folder used for spooling and
/// scratch work.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
    /// Spool and scratch files: the local store's own `tmp/` (same file system, so publishing
    /// is a rename), or the archive folder's `tmp/` for a bucket.
    tmp: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the store `cfg` names for the archive at `archive`, and
    /// proves it writable (on S3: a tiny object put and deleted).
    pub fn open(archive: &Path, cfg: &StoreConfig) -> Result<Store, StoreError> {
        let store = Store::open_existing(archive, cfg)?;
        let mut dirs = vec![store.tmp.clone()];
        if let Backend::Local(l) = &store.backend {
            dirs.push(l.objects_dir());
            durable::raise_open_file_limit();
        }
        for dir in dirs {
            fs::create_dir_all(&dir).map_err(|source| StoreError::Open {
                path: dir.clone(),
                source,
            })?;
        }
        let probe = store.tmp.join(format!(".probe-{}", std::process::id()));
        fs::write(&probe, b"").map_err(|source| StoreError::NotWritable {
            path: archive.to_path_buf(),
            source,
        })?;
        let _ = fs::remove_file(probe);
        if let Backend::Local(l) = &store.backend {
            l.watch_file_system();
        }
        if let Backend::S3(s) = &store.backend {
            s.probe_write().map_err(|e| remote(&store, e))?;
        }
        Ok(store)
    }

    /// Opens the store `cfg` names for reading; nothing is created and nothing is sent.
    pub fn open_existing(archive: &Path, cfg: &StoreConfig) -> Result<Store, StoreError> {
        let Some(location) = cfg.location.as_deref() else {
            return Ok(Store::local(archive));
        };
        if let Some(rest) = location.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(StoreError::BadLocation {
                    location: location.into(),
                });
            }
            let objects =
                S3Objects::new(bucket, prefix, &cfg.s3).map_err(|e| StoreError::Remote {
                    location: location.into(),
                    message: e.0,
                })?;
            return Ok(Store {
                backend: Backend::S3(Arc::new(objects)),
                tmp: archive.join("tmp"),
            });
        }
        let folder = location.strip_prefix("file://").unwrap_or(location);
        if folder.contains("://") {
            return Err(StoreError::BadLocation {
                location: location.into(),
            });
        }
        Ok(Store::local(Path::new(folder)))
    }

    /// The store kept in the folder `root` (`root/objects`, `root/tmp`).
    pub fn local(root: &Path) -> Store {
        Store {
            backend: Backend::Local(LocalObjects::new(root)),
            tmp: root.join("tmp"),
        }
    }

    /// Objects kept in a folder store, counted up to `limit` (enough to say "it holds some");
    /// 0 for a bucket, whose objects may belong to other archives sharing it.
    pub fn count_local_objects(&self, limit: u64) -> u64 {
        match &self.backend {
            Backend::Local(l) => l.count(limit),
            Backend::S3(_) => 0,
        }
    }

    /// Where the objects are, for messages: a folder, or `s3://bucket/prefix`.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Local(l) => l.objects_dir().display().to_string(),
            Backend::S3(s) => s.describe(),
        }
    }

    /// True for a bucket (reads and writes cross the network).
    pub fn is_remote(&self) -> bool {
        matches!(self.backend, Backend::S3(_))
    }

    /// Where bodies are spooled while they are hashed.
    pub(crate) fn spool_dir(&self) -> &Path {
        &self.tmp
    }

    /// A fresh, empty scratch folder `tmp/LABEL-…` for a tool that writes files (yt-dlp); the
    /// caller hashes what it wants into the store and removes the folder. Left-overs from a
    /// killed run are removed by the next one ([`clean_temp_files`](Self::clean_temp_files)).
    pub fn scratch_dir(&self, label: &str) -> io::Result<PathBuf> {
        let dir = self.tmp.join(format!(
            "{label}-{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// The object's size, `None` when the store does not hold it.
    pub fn size(&self, sha256: &str) -> Result<Option<u64>, ReadError> {
        if !is_sha256(sha256) {
            return Ok(None);
        }
        match &self.backend {
            Backend::Local(l) => l.size(sha256).map_err(|source| ReadError::Io {
                location: l.path(sha256).display().to_string(),
                source,
            }),
            Backend::S3(s) => s.size(sha256).map_err(|e| self.remote_read(sha256, e)),
        }
    }

    /// Whether the store holds the object (an unreachable store counts as not holding it).
    pub fn contains(&self, sha256: &str) -> bool {
        matches!(self.size(sha256), Ok(Some(_)))
    }

    /// Stores bytes already in memory (a small file, such as a saved article); bytes already
    /// held are not written again. Blocking.
    pub fn put(&self, bytes: &[u8]) -> Result<StoredObject, WriteError> {
        let mut w = self.writer()?;
        w.write(bytes)?;
        w.finish()
    }

    /// Starts writing a new object; nothing is visible under any address until `finish`.
    pub fn writer(&self) -> Result<ObjectWriter, WriteError> {
        Ok(ObjectWriter::create(self))
    }

    /// Makes objects written with [`ObjectWriter::finish_later`] durable under their names, all
    /// in one group commit (flush the bytes, name them, flush the names). Blocking. Objects
    /// already durable are skipped; the first failure is returned.
    pub fn make_durable(&self, objects: &[Arc<PendingObject>]) -> Result<(), WriteError> {
        match &self.backend {
            Backend::Local(l) => l.make_durable(objects),
            Backend::S3(_) => Ok(()),
        }
    }

    pub(crate) fn pending_object(&self, sha256: &str) -> Option<Arc<PendingObject>> {
        match &self.backend {
            Backend::Local(l) => l.pending(sha256),
            Backend::S3(_) => None,
        }
    }

    pub(crate) fn defer_bytes(
        &self,
        bytes: &[u8],
        sha256: &str,
    ) -> Option<Result<Arc<PendingObject>, WriteError>> {
        match &self.backend {
            Backend::Local(l) => l.defer_bytes(bytes, sha256),
            Backend::S3(_) => None,
        }
    }

    /// `Err` gives the file back on a bucket (whose writers `finish` instead).
    pub(crate) fn defer_file(
        &self,
        sha256: &str,
        temp: PathBuf,
        file: fs::File,
    ) -> Result<Arc<PendingObject>, (PathBuf, fs::File)> {
        match &self.backend {
            Backend::Local(l) => Ok(l.defer_file(sha256, temp, file)),
            Backend::S3(_) => Err((temp, file)),
        }
    }

    /// Publishes bytes held in memory as object `sha256` without a spool file, where the
    /// backend can (a folder store on Linux); `None` when it cannot (spool, then `publish`).
    pub(crate) fn publish_bytes(
        &self,
        bytes: &[u8],
        sha256: &str,
    ) -> Option<Result<bool, WriteError>> {
        match &self.backend {
            Backend::Local(l) => l.publish_bytes(bytes, sha256),
            Backend::S3(_) => None,
        }
    }

    /// Publishes a finished spool file as object `sha256`; false when the store already held
    /// it. The spool file is gone afterwards, whatever happened.
    pub(crate) fn publish(
        &self,
        spool: &Path,
        file: fs::File,
        sha256: &str,
        len: u64,
    ) -> Result<bool, WriteError> {
        match &self.backend {
            Backend::Local(l) => l.publish(spool, file, sha256),
            Backend::S3(s) => {
                drop(file);
                let uploaded = s.upload(spool, sha256, len);
                let _ = fs::remove_file(spool);
                uploaded.map_err(|e| WriteError::Remote {
                    store: s.describe(),
                    message: e.0,
                })
            }
        }
    }

    /// The whole object, re-hashed as it is read: the read that reaches the end fails if the
    /// bytes are not `sha256`'s.
    pub fn reader(&self, sha256: &str) -> Result<ObjectReader, ReadError> {
        let size = self.size(sha256)?.ok_or_else(|| self.missing(sha256))?;
        self.make_reader(sha256, 0, size, true)
    }

    /// `len` bytes of the object from `start` (a `Range` request): not verifiable, so only for
    /// answers that say which bytes they are.
    pub fn range_reader(
        &self,
        sha256: &str,
        start: u64,
        len: u64,
    ) -> Result<ObjectReader, ReadError> {
        self.make_reader(sha256, start, start.saturating_add(len), false)
    }

    fn make_reader(
        &self,
        sha256: &str,
        start: u64,
        end: u64,
        whole: bool,
    ) -> Result<ObjectReader, ReadError> {
        match &self.backend {
            Backend::Local(l) => {
                let path = l.path(sha256);
                let io = |source: io::Error| {
                    if source.kind() == io::ErrorKind::NotFound {
                        self.missing(sha256)
                    } else {
                        ReadError::Io {
                            location: path.display().to_string(),
                            source,
                        }
                    }
                };
                let file = fs::File::open(&path).map_err(io)?;
                ObjectReader::file(file, sha256, start, end, whole).map_err(io)
            }
            Backend::S3(s) => Ok(ObjectReader::s3(s.clone(), sha256, start, end, whole)),
        }
    }

    /// Copies the whole object into `out`, hashing as it goes; the byte count, or `Corrupted`
    /// if the bytes are not `sha256`'s. The caller must discard `out` on error.
    pub fn copy_verified(&self, sha256: &str, out: &mut dyn Write) -> Result<u64, ReadError> {
        let reader = self.reader(sha256)?;
        read::copy_reader(reader, &self.location_of(sha256), out)
    }

    /// The whole object in memory, verified (for small objects: a saved article page).
    pub fn read_verified(&self, sha256: &str) -> Result<Vec<u8>, ReadError> {
        let mut out = Vec::new();
        self.copy_verified(sha256, &mut out)?;
        Ok(out)
    }

    /// The object's first `max` bytes, unverified (to compare the text of two pages).
    pub fn read_prefix(&self, sha256: &str, max: u64) -> Result<Vec<u8>, ReadError> {
        if let Backend::Local(l) = &self.backend {
            if let Some(bytes) = l.read_pending_prefix(sha256, max) {
                return Ok(bytes);
            }
        }
        let reader = self.range_reader(sha256, 0, max)?;
        let mut out = Vec::new();
        read::copy_reader(reader, &self.location_of(sha256), &mut out)?;
        Ok(out)
    }

    /// Re-hashes the object listed as `name` (a hash, or a stray name): its actual SHA-256 and
    /// length, whatever its name claims.
    pub fn rehash(&self, name: &str) -> Result<(String, u64), ReadError> {
        match &self.backend {
            Backend::Local(l) => {
                let path = l.listed_path(name);
                hash_file(&path).map_err(|source| ReadError::Io {
                    location: path.display().to_string(),
                    source,
                })
            }
            Backend::S3(s) => {
                let size = s
                    .size(name)
                    .map_err(|e| self.remote_read(name, e))?
                    .ok_or_else(|| self.missing(name))?;
                let mut reader = ObjectReader::s3(s.clone(), name, 0, size, false);
                let mut hasher = sha2::Sha256::new();
                let n = io::copy(&mut reader, &mut HashSink(&mut hasher)).map_err(|e| {
                    ReadError::Remote {
                        sha256: name.to_string(),
                        store: self.describe(),
                        message: e.to_string(),
                    }
                })?;
                use sha2::Digest;
                Ok((hex(&hasher.finalize()), n))
            }
        }
    }

    /// `len` bytes from `start`, as a stream for an HTTP answer; nothing is read that the
    /// client does not take.
    pub fn stream_range(
        &self,
        sha256: &str,
        start: u64,
        len: u64,
    ) -> BoxStream<'static, io::Result<Bytes>> {
        use futures_util::StreamExt;
        match &self.backend {
            Backend::Local(l) => {
                use tokio::io::{AsyncReadExt, AsyncSeekExt};
                type Open = tokio::io::Take<tokio::fs::File>;
                let init: (Option<Open>, PathBuf) = (None, l.path(sha256));
                futures_util::stream::try_unfold(init, move |(open, path)| async move {
                    let mut reader = match open {
                        Some(r) => r,
                        None => {
                            let mut f = tokio::fs::File::open(&path).await?;
                            f.seek(io::SeekFrom::Start(start)).await?;
                            f.take(len)
                        }
                    };
                    // Sized to what is left (up to 256 KiB) and never zeroed first.
                    let left = usize::try_from(reader.limit()).unwrap_or(usize::MAX);
                    let mut buf = bytes::BytesMut::with_capacity(left.clamp(1, 256 * 1024));
                    let n = reader.read_buf(&mut buf).await?;
                    if n == 0 {
                        return Ok(None);
                    }
                    Ok(Some((buf.freeze(), (Some(reader), path))))
                })
                .boxed()
            }
            Backend::S3(s) => s.stream_range(sha256, start, len),
        }
    }

    /// Bytes `start..start + len` of an object in a folder store, read at once (for small
    /// answers, where the hops of a stream cost more than the bytes); None for a bucket, or
    /// when the file cannot be read whole (the caller streams instead, and reports that).
    pub fn local_range(&self, sha256: &str, start: u64, len: u64) -> Option<Vec<u8>> {
        use std::io::{Read, Seek};
        let Backend::Local(l) = &self.backend else {
            return None;
        };
        let mut f = std::fs::File::open(l.path(sha256)).ok()?;
        if start > 0 {
            f.seek(io::SeekFrom::Start(start)).ok()?;
        }
        // Not zeroed first: read_to_end fills what it reserves.
        let mut buf = Vec::with_capacity(usize::try_from(len).ok()?);
        f.take(len).read_to_end(&mut buf).ok()?;
        (buf.len() as u64 == len).then_some(buf)
    }

    /// Every object in the store, sorted by name; names that are not hashes come back too.
    pub fn list(&self) -> Result<Vec<Listed>, ReadError> {
        match &self.backend {
            Backend::Local(l) => l.list().map_err(|source| ReadError::Io {
                location: l.objects_dir().display().to_string(),
                source,
            }),
            Backend::S3(s) => s.list().map_err(|e| ReadError::Remote {
                sha256: "(listing)".into(),
                store: s.describe(),
                message: e.0,
            }),
        }
    }

    /// Moves a (corrupted) object out of the way, to `quarantine/NAME.TIME` beside `objects/`;
    /// never deletes it. Returns where it went.
    pub fn quarantine(&self, name: &str) -> Result<String, ReadError> {
        let stamp = crate::clock::now().to_string();
        match &self.backend {
            Backend::Local(l) => l.quarantine(name, &stamp).map_err(|source| ReadError::Io {
                location: l.listed_path(name).display().to_string(),
                source,
            }),
            Backend::S3(s) => s
                .quarantine(name, &stamp)
                .map_err(|e| self.remote_read(name, e)),
        }
    }

    /// Deletes an object (`remove --purge`); one already gone is not an error.
    pub fn remove(&self, sha256: &str) -> Result<(), ReadError> {
        if !is_sha256(sha256) {
            return Ok(());
        }
        match &self.backend {
            Backend::Local(l) => l.remove(sha256).map_err(|source| ReadError::Io {
                location: l.path(sha256).display().to_string(),
                source,
            }),
            Backend::S3(s) => s.remove(sha256).map_err(|e| self.remote_read(sha256, e)),
        }
    }

    /// Leftover spool files (from a killed run).
    pub fn list_temp_files(&self) -> io::Result<Vec<PathBuf>> {
        match fs::read_dir(&self.tmp) {
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

    /// Removes spool files (and yt-dlp scratch folders) left by earlier, interrupted runs.
    /// Only call while holding the run lock.
    pub fn clean_temp_files(&self) -> io::Result<usize> {
        let files = self.list_temp_files()?;
        for f in &files {
            fs::remove_file(f)?;
        }
        let mut dirs = 0;
        if let Ok(entries) = fs::read_dir(&self.tmp) {
            for e in entries.flatten() {
                if e.path().is_dir() && e.file_name().to_string_lossy().starts_with("video-") {
                    fs::remove_dir_all(e.path())?;
                    dirs += 1;
                }
            }
        }
        Ok(files.len() + dirs)
    }

    fn location_of(&self, sha256: &str) -> String {
        match &self.backend {
            Backend::Local(l) => l.path(sha256).display().to_string(),
            Backend::S3(s) => format!("{} object {sha256}", s.describe()),
        }
    }

    fn missing(&self, sha256: &str) -> ReadError {
        ReadError::Missing {
            sha256: sha256.to_string(),
            location: self.location_of(sha256),
        }
    }

    fn remote_read(&self, sha256: &str, e: S3Failure) -> ReadError {
        ReadError::Remote {
            sha256: sha256.to_string(),
            store: self.describe(),
            message: e.0,
        }
    }
}

fn remote(store: &Store, e: S3Failure) -> StoreError {
    StoreError::Remote {
        location: store.describe(),
        message: e.0,
    }
}

/// Feeds what is written into a hasher.
struct HashSink<'a>(&'a mut sha2::Sha256);

impl Write for HashSink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        use sha2::Digest;
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Whether `s` is a SHA-256 as the store names objects: 64 lowercase hex digits.
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

#[cfg(test)]
mod tests {
    use std::io::Read;

    use sha2::Digest;

    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreConfig::default()).unwrap();
        (dir, store)
    }

    fn finish_later(store: &Store, bytes: &[u8]) -> StoredObject {
        let mut w = store.writer().unwrap();
        w.write(bytes).unwrap();
        w.finish_later().unwrap()
    }

    #[test]
    fn a_pending_object_is_readable_durable_once_committed_and_gone_if_dropped() {
        let (_dir, s) = store();
        let small = finish_later(&s, b"small body");
        let big_bytes = vec![7u8; IN_MEMORY + 10];
        let big = finish_later(&s, &big_bytes);
        let pending = [small.pending.clone().unwrap(), big.pending.clone().unwrap()];
        assert!(
            !s.contains(&small.sha256) && !s.contains(&big.sha256),
            "not named yet"
        );
        // Read back while pending (a soft-404 or drift comparison does this).
        assert_eq!(s.read_prefix(&small.sha256, 5).unwrap(), b"small");
        assert_eq!(s.read_prefix(&big.sha256, 3).unwrap(), vec![7u8; 3]);
        // The same bytes again while pending: not written twice, same pending object.
        let again = finish_later(&s, b"small body");
        assert!(!again.newly_written);
        assert_eq!(again.pending.as_deref(), small.pending.as_deref());
        s.make_durable(&pending).unwrap();
        assert_eq!(s.read_verified(&small.sha256).unwrap(), b"small body");
        assert_eq!(s.read_verified(&big.sha256).unwrap(), big_bytes);
        s.make_durable(&pending).unwrap();
        // Dropped without a commit: nothing under its name, no spool file left.
        let lost = finish_later(&s, &vec![9u8; IN_MEMORY + 1]);
        drop(lost);
        assert!(!s.contains(&hex_digest(&sha2::Sha256::digest(vec![9u8; IN_MEMORY + 1]))));
        assert!(s.list_temp_files().unwrap().is_empty());
    }

    #[test]
    fn a_put_is_idempotent_and_reads_back_verified() {
        let (_d, s) = store();
        let first = s.put(b"the bytes").unwrap();
        let again = s.put(b"the bytes").unwrap();
        assert!(first.newly_written && !again.newly_written);
        assert_eq!(s.size(&first.sha256).unwrap(), Some(9));
        assert_eq!(s.read_verified(&first.sha256).unwrap(), b"the bytes");
        let mut part = String::new();
        s.range_reader(&first.sha256, 4, 3)
            .unwrap()
            .read_to_string(&mut part)
            .unwrap();
        assert_eq!(part, "byt");
        assert_eq!(s.read_prefix(&first.sha256, 3).unwrap(), b"the");
    }

    #[test]
    fn a_whole_read_of_damaged_bytes_fails_and_a_missing_object_says_so() {
        let (d, s) = store();
        let o = s.put(b"original").unwrap();
        let path = d
            .path()
            .join("objects")
            .join(&o.sha256[..2])
            .join(&o.sha256[2..]);
        std::fs::write(&path, b"damaged!").unwrap();
        match s.read_verified(&o.sha256) {
            Err(ReadError::Corrupted { expected, .. }) => assert_eq!(expected, o.sha256),
            other => panic!("expected Corrupted, got {other:?}"),
        }
        let (actual, n) = s.rehash(&o.sha256).unwrap();
        assert_ne!(actual, o.sha256);
        assert_eq!(n, 8);
        let absent = "ab".repeat(32);
        assert!(matches!(
            s.read_verified(&absent),
            Err(ReadError::Missing { .. })
        ));
        assert_eq!(s.size(&absent).unwrap(), None);
    }

    #[test]
    fn list_quarantine_and_remove() {
        let (d, s) = store();
        let a = s.put(b"a").unwrap();
        let b = s.put(b"b").unwrap();
        let names: Vec<String> = s.list().unwrap().into_iter().map(|l| l.name).collect();
        let mut want = vec![a.sha256.clone(), b.sha256.clone()];
        want.sort();
        assert_eq!(names, want);
        let to = s.quarantine(&a.sha256).unwrap();
        assert!(to.contains("quarantine"), "{to}");
        assert!(!s.contains(&a.sha256));
        assert_eq!(
            std::fs::read_dir(d.path().join("quarantine"))
                .unwrap()
                .count(),
            1
        );
        s.remove(&b.sha256).unwrap();
        s.remove(&b.sha256).unwrap();
        assert!(s.list().unwrap().is_empty());
    }

    #[test]
    fn locations_are_folders_or_buckets() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = |l: &str| StoreConfig {
            location: Some(l.into()),
            ..StoreConfig::default()
        };
        let s = Store::open_existing(dir.path(), &cfg("s3://bucket/some/prefix")).unwrap();
        assert!(s.is_remote());
        assert_eq!(s.describe(), "s3://bucket/some/prefix");
        assert!(matches!(
            Store::open_existing(dir.path(), &cfg("s3:///nobucket")),
            Err(StoreError::BadLocation { .. })
        ));
        assert!(matches!(
            Store::open_existing(dir.path(), &cfg("ftp://host/x")),
            Err(StoreError::BadLocation { .. })
        ));
        let other = dir.path().join("elsewhere");
        let s = Store::open_existing(dir.path(), &cfg(other.to_str().unwrap())).unwrap();
        assert!(!s.is_remote());
        assert!(s.describe().starts_with(other.to_str().unwrap()));
    }
}
