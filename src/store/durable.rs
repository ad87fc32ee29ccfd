//! Group commit for the folder store: objects finished at about the same time are made durable
//! together. A writer hands over its finished spool file and waits; the first waiter with no
//! batch in progress leads: it takes every file handed over so far, makes their bytes durable
//! at once (their fsyncs in parallel, which the disk serves with shared cache flushes), names
//! each under its hash, then makes the names durable at once (the touched fan-out folders'
//! fsyncs, in parallel). Only then does any of them return, so a snapshot is
//! never recorded for an object that a crash could still lose, and a crash never leaves a
//! partial file under a hash (the bytes are durable before the name exists).
//!
//! A run's checks do not wait at all: their objects are left [`PendingObject`]s, and the run's
//! single writer makes each batch of results' objects durable at once (up to 512) before it
//! records the batch. Other writers (articles, screenshots, rescued mementos) wait for the
//! batch they join. While a batch is being flushed the next one gathers: no timer, no sleep.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};

use super::flush::FlushChoice;
use super::write_error::WriteError;

/// One finished file waiting to become the object `dest`: a spool file named `temp`, or an
/// unnamed one (`O_TMPFILE`) already in `dest`'s folder when `temp` is `None`.
struct Job {
    ticket: u64,
    temp: Option<PathBuf>,
    file: File,
    dest: PathBuf,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Job>,
    leading: bool,
    next_ticket: u64,
    done: HashMap<u64, Result<bool, WriteError>>,
}

/// The batches of one folder store (shared by every clone of the store), and its objects
/// written but not yet durable.
#[derive(Default)]
pub(super) struct GroupCommit {
    queue: Mutex<Queue>,
    turn: Condvar,
    pending: Mutex<HashMap<String, Weak<PendingObject>>>,
    flush: FlushChoice,
}

/// An object whose bytes are written (to an unnamed file in its fan-out folder, or a spool
/// file) but that has no durable name yet: [`Store::make_durable`](super::Store::make_durable)
/// gives it one, in a group commit with the others passed at once. Dropped before that, it
/// leaves nothing behind. Until then, the store's reads of its hash are served from its file.
pub struct PendingObject {
    sha256: String,
    dest: PathBuf,
    temp: Option<PathBuf>,
    file: File,
    durable: std::sync::atomic::AtomicBool,
}

impl PendingObject {
    /// The object's SHA-256 (hex).
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
}

impl std::fmt::Debug for PendingObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PendingObject({})", self.sha256)
    }
}

impl PartialEq for PendingObject {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for PendingObject {}

impl Drop for PendingObject {
    fn drop(&mut self) {
        // Never published: a spool file goes (an unnamed one goes with its last handle).
        if !self.durable.load(Ordering::Acquire) {
            if let Some(temp) = &self.temp {
                let _ = fs::remove_file(temp);
            }
        }
    }
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GroupCommit")
    }
}

impl GroupCommit {
    /// Lets batches flush the whole file system at once through `dir`, the store's folder,
    /// opened before any of its objects is written (see [`super::flush`]).
    pub(super) fn watch(&self, dir: File) {
        self.flush.watch(dir);
    }

    /// Makes the finished file `file` (the spool file `temp`, or an unnamed file in `dest`'s
    /// folder when `temp` is `None`) the object at `dest`, durably, in the next batch.
    /// Blocking. False when `dest` already existed (the spool file is removed, nothing is
    /// written).
    pub(super) fn publish(
        &self,
        temp: Option<&Path>,
        file: File,
        dest: PathBuf,
    ) -> Result<bool, WriteError> {
        let job = |ticket| Job {
            ticket,
            temp: temp.map(Path::to_path_buf),
            file,
            dest,
        };
        let mut results = self.run(vec![job]);
        results.pop().unwrap_or(Ok(false))
    }

    /// Registers a finished file as the pending object `sha256` (see [`PendingObject`]).
    pub(super) fn defer(
        &self,
        sha256: &str,
        temp: Option<PathBuf>,
        file: File,
        dest: PathBuf,
    ) -> Arc<PendingObject> {
        let object = Arc::new(PendingObject {
            sha256: sha256.to_string(),
            dest,
            temp,
            file,
            durable: std::sync::atomic::AtomicBool::new(false),
        });
        let mut pending = self.pending_map();
        if pending.len() >= 1024 {
            pending.retain(|_, w| w.strong_count() > 0);
        }
        pending.insert(sha256.to_string(), Arc::downgrade(&object));
        object
    }

    /// The pending object with this hash, if one is waiting.
    pub(super) fn pending(&self, sha256: &str) -> Option<Arc<PendingObject>> {
        self.pending_map().get(sha256).and_then(Weak::upgrade)
    }

    /// Makes every object in `objects` durable under its name, in one group commit; the first
    /// failure is the answer (the others that failed are not durable either).
    pub(super) fn make_durable(&self, objects: &[Arc<PendingObject>]) -> Result<(), WriteError> {
        let mut jobs = Vec::new();
        let mut waiting = Vec::new();
        for o in objects {
            if o.durable.load(Ordering::Acquire) || waiting.iter().any(|w| Arc::ptr_eq(w, o)) {
                continue;
            }
            // The pending object keeps its own handle for reads until it is dropped.
            let file = o
                .file
                .try_clone()
                .map_err(|e| WriteError::from_io(o.dest.clone(), e))?;
            let (temp, dest) = (o.temp.clone(), o.dest.clone());
            jobs.push(move |ticket| Job {
                ticket,
                temp,
                file,
                dest,
            });
            waiting.push(Arc::clone(o));
        }
        if jobs.is_empty() {
            return Ok(());
        }
        let results = self.run(jobs);
        let mut first_error = None;
        let mut pending = self.pending_map();
        for (o, result) in waiting.iter().zip(results) {
            match result {
                Ok(_) => {
                    o.durable.store(true, Ordering::Release);
                    pending.remove(&o.sha256);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Up to `max` bytes from the start of the pending object `sha256`, read from its file;
    /// `None` when no such object is pending.
    pub(super) fn read_pending_prefix(&self, sha256: &str, max: u64) -> Option<Vec<u8>> {
        let object = self.pending(sha256)?;
        let len = object.file.metadata().ok()?.len().min(max);
        let mut buf = vec![0; usize::try_from(len).ok()?];
        read_exact_at(&object.file, &mut buf).ok()?;
        Some(buf)
    }

    /// Runs `jobs` (each made with its ticket) through the next group commit; one result per
    /// job, in order. The caller leads a batch when none is in progress.
    fn run<F: FnOnce(u64) -> Job>(&self, jobs: Vec<F>) -> Vec<Result<bool, WriteError>> {
        let mut q = self.lock();
        let mut tickets = Vec::with_capacity(jobs.len());
        for make in jobs {
            let ticket = q.next_ticket;
            q.next_ticket += 1;
            q.waiting.push(make(ticket));
            tickets.push(ticket);
        }
        loop {
            if tickets.iter().all(|t| q.done.contains_key(t)) {
                return tickets.iter().filter_map(|t| q.done.remove(t)).collect();
            }
            if q.leading {
                q = self.turn.wait(q).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            q.leading = true;
            let batch = std::mem::take(&mut q.waiting);
            drop(q);
            let results = commit(batch, &self.flush);
            q = self.lock();
            q.leading = false;
            q.done.extend(results);
            self.turn.notify_all();
        }
    }

    fn pending_map(&self) -> MutexGuard<'_, HashMap<String, Weak<PendingObject>>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Makes a batch durable under its hashes, flushed the way `flush` picks; one result per job.
fn commit(batch: Vec<Job>, flush: &FlushChoice) -> Vec<(u64, Result<bool, WriteError>)> {
    let started = std::time::Instant::now();
    let objects = batch.len();
    let mut how = flush.pick(objects);
    let mut results = Vec::with_capacity(batch.len());
    // 1. Every file's bytes on the disk before any of them gets its name. If the file system
    // flush fails, each file's own fsync says whose bytes were lost.
    let mut synced = Vec::with_capacity(batch.len());
    let flushed = flush.flush_each(&mut how, &batch, |job| job.file.sync_all());
    for (job, flushed) in batch.into_iter().zip(flushed) {
        match flushed {
            Ok(()) => synced.push(job),
            Err(e) => results.push(fail(job, e)),
        }
    }
    // 2. The names. Two writers of the same bytes in one batch: the first one publishes.
    let mut named: Vec<Job> = Vec::with_capacity(synced.len());
    let mut dirs: HashSet<PathBuf> = HashSet::new();
    let mut published: HashSet<PathBuf> = HashSet::new();
    for job in synced {
        // A spool file is renamed (which would replace a file already there: look first); an
        // unnamed file is linked in its folder, which says if the name is taken.
        let spooled = job.temp.is_some();
        if published.contains(&job.dest) || (spooled && job.dest.is_file()) {
            results.push(already_there(job));
            continue;
        }
        let dir = job.dest.parent().map(Path::to_path_buf).unwrap_or_default();
        if spooled {
            if let Err(e) = fs::create_dir_all(&dir) {
                results.push(fail_at(job, dir, e));
                continue;
            }
        }
        let named_now = match &job.temp {
            Some(temp) => fs::rename(temp, &job.dest),
            None => link_unnamed(&job.file, &job.dest),
        };
        match named_now {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                results.push(already_there(job));
                continue;
            }
            Err(e) => {
                results.push(fail(job, e));
                continue;
            }
        }
        published.insert(job.dest.clone());
        dirs.insert(dir);
        named.push(job);
    }
    // 3. The names on the disk, and the fan-out folders' own entries (one may be new).
    if let Some(objects) = dirs.iter().next().and_then(|d| d.parent()) {
        dirs.insert(objects.to_path_buf());
    }
    let dirs: Vec<PathBuf> = dirs.into_iter().collect();
    let flushed = flush.flush_each(&mut how, &dirs, |dir| {
        File::open(dir).and_then(|d| d.sync_all())
    });
    let broken: HashMap<PathBuf, std::io::Error> = dirs
        .into_iter()
        .zip(flushed)
        .filter_map(|(dir, r)| r.err().map(|e| (dir, e)))
        .collect();
    for job in named {
        let dir = job.dest.parent().map(Path::to_path_buf).unwrap_or_default();
        match broken.get(&dir) {
            // The object is there but its name may not survive a crash: the write failed.
            Some(e) => {
                let source = std::io::Error::new(e.kind(), e.to_string());
                results.push((job.ticket, Err(WriteError::from_io(dir, source))));
            }
            None => results.push((job.ticket, Ok(true))),
        }
    }
    flush.record(how, objects, started.elapsed());
    results
}

/// Fills `buf` from the start of `file`, leaving the file's own position alone.
#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8]) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, 0)
}

#[cfg(not(unix))]
fn read_exact_at(_file: &File, _buf: &mut [u8]) -> std::io::Result<()> {
    Err(std::io::Error::other(
        "pending objects are read on Unix only",
    ))
}

/// Identical bytes are already under the name: this copy goes (an unnamed one with its handle).
fn already_there(job: Job) -> (u64, Result<bool, WriteError>) {
    drop(job.file);
    if let Some(temp) = &job.temp {
        let _ = fs::remove_file(temp);
    }
    (job.ticket, Ok(false))
}

fn fail(job: Job, e: std::io::Error) -> (u64, Result<bool, WriteError>) {
    let path = job.temp.clone().unwrap_or_else(|| job.dest.clone());
    fail_at(job, path, e)
}

fn fail_at(job: Job, path: PathBuf, e: std::io::Error) -> (u64, Result<bool, WriteError>) {
    drop(job.file);
    if let Some(temp) = &job.temp {
        let _ = fs::remove_file(temp);
    }
    (job.ticket, Err(WriteError::from_io(path, e)))
}

/// A new unnamed file (`O_TMPFILE`) in `dir`, for bytes whose hash is already known: it gets
/// its name by [`link_unnamed`] once durable, and a crash before that leaves nothing behind
/// (the file system frees it). `None` where that is not available (the caller spools to a
/// named file instead).
#[cfg(target_os = "linux")]
pub(super) fn unnamed_file(dir: &Path) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    if !Path::new("/proc/self/fd").is_dir() {
        return None;
    }
    fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .mode(0o644)
        .open(dir)
        .ok()
}

#[cfg(not(target_os = "linux"))]
pub(super) fn unnamed_file(_dir: &Path) -> Option<File> {
    None
}

/// Gives the unnamed file `file` the name `dest` (`linkat` through `/proc/self/fd`, which
/// needs no privilege); `AlreadyExists` when the name is taken.
#[cfg(target_os = "linux")]
fn link_unnamed(file: &File, dest: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    let from = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))?;
    let to = CString::new(dest.as_os_str().as_bytes())?;
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn link_unnamed(_file: &File, _dest: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other("unnamed files are Linux-only"))
}

/// Raises this process's soft limit on open files toward its hard limit (at most 65,536):
/// pending objects each hold a file handle until their group commit, up to a few hundred at
/// once, and a soft limit of 1,024 is common.
#[cfg(target_os = "linux")]
pub(super) fn raise_open_file_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            let want = limit.rlim_max.min(65_536);
            if limit.rlim_cur < want {
                limit.rlim_cur = want;
                let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub(super) fn raise_open_file_limit() {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::flush::Flush;
    use std::io::Write;
    use std::sync::Arc;

    fn spool(dir: &Path, name: &str, bytes: &[u8]) -> (PathBuf, File) {
        let p = dir.join(name);
        let mut f = File::create(&p).unwrap();
        f.write_all(bytes).unwrap();
        (p, f)
    }

    #[test]
    fn writers_at_once_all_publish_and_duplicates_are_not_new() {
        let root = std::env::temp_dir().join(format!("lv-gc-{}", fastrand::u64(..)));
        fs::create_dir_all(root.join("tmp")).unwrap();
        let gc = Arc::new(GroupCommit::default());
        let handles: Vec<_> = (0..24)
            .map(|i| {
                let (gc, root) = (gc.clone(), root.clone());
                std::thread::spawn(move || {
                    // Pairs of writers finish the same bytes under the same name.
                    let name = format!("{:02x}", i / 2);
                    let (temp, file) =
                        spool(&root.join("tmp"), &format!("{i}.part"), name.as_bytes());
                    let dest = root.join("objects").join(&name[..1]).join(&name);
                    gc.publish(Some(&temp), file, dest).unwrap()
                })
            })
            .collect();
        let new: usize = handles
            .into_iter()
            .map(|h| usize::from(h.join().unwrap()))
            .sum();
        assert_eq!(new, 12, "one of each pair is new, the other finds it there");
        for i in 0..12 {
            let name = format!("{i:02x}");
            let p = root.join("objects").join(&name[..1]).join(&name);
            assert_eq!(fs::read(p).unwrap(), name.as_bytes());
        }
        assert_eq!(
            fs::read_dir(root.join("tmp")).unwrap().count(),
            0,
            "no spool file left"
        );
        let _ = fs::remove_dir_all(root);
    }

    #[test]
    fn a_batch_flushed_through_the_file_system_publishes_every_object() {
        let root = std::env::temp_dir().join(format!("lv-gc-{}", fastrand::u64(..)));
        fs::create_dir_all(root.join("tmp")).unwrap();
        let flush = FlushChoice::default();
        flush.watch(File::open(&root).unwrap());
        let batch: Vec<Job> = (0..16u64)
            .map(|i| {
                let name = format!("{i:02x}");
                let (temp, file) = spool(&root.join("tmp"), &name, name.as_bytes());
                Job {
                    ticket: i,
                    temp: Some(temp),
                    file,
                    dest: root.join("objects").join(&name[..1]).join(&name),
                }
            })
            .collect();
        let results = commit(batch, &flush);
        assert_eq!(results.len(), 16);
        assert!(results.iter().all(|(_, r)| matches!(r, Ok(true))));
        for i in 0..16u64 {
            let name = format!("{i:02x}");
            let p = root.join("objects").join(&name[..1]).join(&name);
            assert_eq!(fs::read(p).unwrap(), name.as_bytes());
        }
        assert!(flush.measured(Flush::FileSystem) || !flush.can_flush_file_system());
        let _ = fs::remove_dir_all(root);
    }

    #[test]
    fn a_failed_rename_fails_only_its_own_writer() {
        let root = std::env::temp_dir().join(format!("lv-gc-{}", fastrand::u64(..)));
        fs::create_dir_all(root.join("tmp")).unwrap();
        // A file where the fan-out folder should be: that job's folder cannot be made.
        fs::create_dir_all(root.join("objects")).unwrap();
        fs::write(root.join("objects").join("b"), b"in the way").unwrap();
        let (t1, f1) = spool(&root.join("tmp"), "1.part", b"a");
        let (t2, f2) = spool(&root.join("tmp"), "2.part", b"b");
        let batch = vec![
            Job {
                ticket: 1,
                temp: Some(t1),
                file: f1,
                dest: root.join("objects/a/a1"),
            },
            Job {
                ticket: 2,
                temp: Some(t2.clone()),
                file: f2,
                dest: root.join("objects/b/b1"),
            },
        ];
        let results: HashMap<u64, Result<bool, WriteError>> =
            commit(batch, &FlushChoice::default()).into_iter().collect();
        assert!(matches!(results[&1], Ok(true)));
        assert!(results[&2].is_err());
        assert!(!t2.exists(), "the failed writer's spool file is removed");
        assert_eq!(fs::read(root.join("objects/a/a1")).unwrap(), b"a");
        let _ = fs::remove_dir_all(root);
    }
}
