//! How a group commit's files and folders reach the disk. Two ways, each durable:
//!
//! - **the file system at once** — one `syncfs(2)` writes every dirty page and inode of the
//!   archive's file system and flushes the disk's cache once: cheapest on a quiet disk (a batch
//!   of 256 small objects in one flush), but it also waits for whatever other programs have
//!   written to that file system;
//! - **each file** — one `fsync` per file or folder, up to [`FLUSHERS`] at once, which the
//!   disk serves with shared cache flushes: steadier beside a heavy writer, more work per
//!   object.
//!
//! [`FlushChoice`] measures what each costs per object on this disk, now, and uses the cheaper
//! one, trying the other again every [`PROBE_EVERY`] batches. `syncfs` reports a write-back
//! error of the whole file system without saying whose, so after its first error (or where it
//! cannot report errors at all: not Linux, or Linux before 5.8) every batch flushes file by
//! file, and each file's own fsync says whether *its* bytes were lost.

use std::fs::File;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// Flushes in parallel, at most this many at once.
const FLUSHERS: usize = 64;

/// Below this many objects a batch flushes file by file: `syncfs` would wait for the whole
/// file system's dirty data to save a handful of fsyncs.
const MIN_FILE_SYSTEM_BATCH: usize = 8;

/// Every this many batches big enough to choose, the way not in favour is measured again.
const PROBE_EVERY: u64 = 16;

/// How much dearer per object the file system way may measure and still be used.
const FILE_SYSTEM_LEAD: f64 = 1.25;

/// How one batch is flushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flush {
    /// `syncfs` of the archive's file system.
    FileSystem,
    /// One `fsync` per file and per folder, in parallel.
    EachFile,
}

/// The running choice between the two ways, for one store.
#[derive(Debug)]
pub(super) struct FlushChoice {
    state: Mutex<Costs>,
    /// A handle on the store's folder, opened before any object of this store is written:
    /// `syncfs` through it reports every write-back error on the file system since then.
    /// Unset: this store flushes file by file.
    watch: OnceLock<File>,
}

#[derive(Debug, Default)]
struct Costs {
    /// Seconds per object, per way.
    file_system: Recent,
    each_file: Recent,
    batches: u64,
    /// `syncfs` reported an error once: never again for this store.
    file_system_failed: bool,
}

/// The last two costs measured for one way. Its estimate is the lower of them: one slow batch
/// (the first `syncfs` of a run also writes what other programs left dirty before it) does not
/// condemn a way, two in a row do.
#[derive(Debug, Default)]
struct Recent([Option<f64>; 2]);

impl Recent {
    fn add(&mut self, cost: f64) {
        self.0 = [Some(cost), self.0[0]];
    }

    fn estimate(&self) -> Option<f64> {
        match self.0 {
            [Some(a), Some(b)] => Some(a.min(b)),
            [a, _] => a,
        }
    }
}

impl Default for FlushChoice {
    /// File by file until [`FlushChoice::watch`] is called.
    fn default() -> Self {
        FlushChoice {
            state: Mutex::default(),
            watch: OnceLock::new(),
        }
    }
}

impl FlushChoice {
    /// Lets batches flush the whole file system at once, through `dir` (the store's folder,
    /// opened before any of its objects is written: `syncfs` through it reports the write-back
    /// errors that happen from its opening on). Ignored where `syncfs` reports no errors.
    pub(super) fn watch(&self, dir: File) {
        if syncfs_reports_errors() {
            let _ = self.watch.set(dir);
        }
    }

    /// The way to flush a batch of `objects` objects.
    pub(super) fn pick(&self, objects: usize) -> Flush {
        let mut c = self.lock();
        if self.watch.get().is_none() || c.file_system_failed || objects < MIN_FILE_SYSTEM_BATCH {
            return Flush::EachFile;
        }
        c.batches += 1;
        let (fs, each) = match (c.file_system.estimate(), c.each_file.estimate()) {
            (None, _) => return Flush::FileSystem,
            (_, None) => return Flush::EachFile,
            (Some(fs), Some(each)) => (fs, each),
        };
        // The file system way is also the lighter one on the processor: it keeps the lead
        // until each file is clearly cheaper.
        let (best, other) = if fs <= each * FILE_SYSTEM_LEAD {
            (Flush::FileSystem, Flush::EachFile)
        } else {
            (Flush::EachFile, Flush::FileSystem)
        };
        if c.batches.is_multiple_of(PROBE_EVERY) {
            other
        } else {
            best
        }
    }

    /// What flushing `objects` objects the way `how` took.
    pub(super) fn record(&self, how: Flush, objects: usize, took: Duration) {
        if objects < MIN_FILE_SYSTEM_BATCH {
            return;
        }
        let per_object = took.as_secs_f64() / objects as f64;
        let mut c = self.lock();
        let slot = match how {
            Flush::FileSystem => &mut c.file_system,
            Flush::EachFile => &mut c.each_file,
        };
        slot.add(per_object);
    }

    /// Flushes `items` the way `how` says: one `syncfs` for all of them, or, when `how` is
    /// [`Flush::EachFile`] or the `syncfs` fails, `each` applied to every item in parallel (and
    /// `how` becomes `EachFile`, so the batch's cost is counted where it was spent). One result
    /// per item, in order.
    pub(super) fn flush_each<T: Sync>(
        &self,
        how: &mut Flush,
        items: &[T],
        each: impl Fn(&T) -> std::io::Result<()> + Sync,
    ) -> Vec<std::io::Result<()>> {
        if *how == Flush::FileSystem && self.sync_file_system().is_ok() {
            return items.iter().map(|_| Ok(())).collect();
        }
        *how = Flush::EachFile;
        in_parallel(items, each)
    }

    /// One `syncfs` of the store's file system. An error also turns it off for good: the
    /// caller then flushes the batch file by file, which says whose bytes were lost.
    fn sync_file_system(&self) -> std::io::Result<()> {
        let result = match self.watch.get() {
            Some(watch) => syncfs(watch),
            None => Err(std::io::Error::other("this store flushes file by file")),
        };
        if result.is_err() {
            self.lock().file_system_failed = true;
        }
        result
    }

    /// Whether a batch has been flushed (and timed) the way `how` (tests).
    #[cfg(test)]
    pub(super) fn measured(&self, how: Flush) -> bool {
        let c = self.lock();
        match how {
            Flush::FileSystem => c.file_system.estimate().is_some(),
            Flush::EachFile => c.each_file.estimate().is_some(),
        }
    }

    /// Whether batches may flush the whole file system here (tests).
    #[cfg(test)]
    pub(super) fn can_flush_file_system(&self) -> bool {
        self.watch.get().is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Costs> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `syncfs(2)` of the file system `file` is on.
#[cfg(target_os = "linux")]
fn syncfs(file: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: syncfs only reads the descriptor, which `file` keeps open.
    if unsafe { libc::syncfs(file.as_raw_fd()) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn syncfs(_file: &File) -> std::io::Result<()> {
    Err(std::io::Error::other("no syncfs here: flush each file"))
}

/// Whether `syncfs` reports write-back errors here (Linux 5.8 and later).
#[cfg(target_os = "linux")]
fn syncfs_reports_errors() -> bool {
    // SAFETY: uname fills the struct passed; the release is a NUL-terminated string in it.
    let release = unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return false;
        }
        std::ffi::CStr::from_ptr(u.release.as_ptr())
            .to_string_lossy()
            .into_owned()
    };
    kernel_at_least(&release, 5, 8)
}

#[cfg(not(target_os = "linux"))]
fn syncfs_reports_errors() -> bool {
    false
}

/// Whether a kernel release string such as `6.1.0-18-amd64` is at least `major.minor`.
fn kernel_at_least(release: &str, major: u32, minor: u32) -> bool {
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(a), Some(b)) => (a, b) >= (major, minor),
        _ => false,
    }
}

/// Starts writing what the file holds so far to the disk, without waiting for it
/// (`sync_file_range(SYNC_FILE_RANGE_WRITE)`); pages already on their way are skipped.
#[cfg(target_os = "linux")]
pub(super) fn start_writeback(file: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: sync_file_range only reads the descriptor, which `file` keeps open.
    let _ = unsafe { libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE) };
}

#[cfg(not(target_os = "linux"))]
pub(super) fn start_writeback(_file: &File) {}

/// `flush` applied to every item, up to [`FLUSHERS`] at once; one result per item, in order.
/// The disk takes concurrent fsyncs together (one cache flush for many), where one after the
/// other each waits for its own: measured here, 0.15–0.2 ms per small object in parallel
/// against 6–7 ms in a row.
fn in_parallel<T: Sync>(
    items: &[T],
    flush: impl Fn(&T) -> std::io::Result<()> + Sync,
) -> Vec<std::io::Result<()>> {
    if items.len() <= 1 {
        return items.iter().map(&flush).collect();
    }
    let lanes = items.len().min(FLUSHERS);
    let mut out: Vec<Option<std::io::Result<()>>> = items.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        let flush = &flush;
        let handles: Vec<_> = (0..lanes)
            .map(|lane| {
                scope.spawn(move || {
                    (lane..items.len())
                        .step_by(lanes)
                        .map(|i| (i, flush(&items[i])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            // A lane that panicked leaves its items at `None`: reported as failures below.
            if let Ok(done) = h.join() {
                for (i, r) in done {
                    out[i] = Some(r);
                }
            }
        }
    });
    out.into_iter()
        .map(|r| r.unwrap_or_else(|| Err(std::io::Error::other("a flushing thread failed"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice() -> FlushChoice {
        let c = FlushChoice::default();
        if let Ok(dir) = File::open(std::env::temp_dir()) {
            c.watch(dir);
        }
        c
    }

    #[test]
    fn small_batches_and_stores_without_a_watch_flush_file_by_file() {
        let c = choice();
        assert_eq!(c.pick(MIN_FILE_SYSTEM_BATCH - 1), Flush::EachFile);
        let unwatched = FlushChoice::default();
        assert_eq!(unwatched.pick(256), Flush::EachFile);
        assert!(unwatched.sync_file_system().is_err());
    }

    #[test]
    fn the_cheaper_way_is_used_and_the_other_is_measured_again_now_and_then() {
        let c = choice();
        if c.watch.get().is_none() {
            // No syncfs that reports errors on this system: nothing to choose between.
            assert_eq!(c.pick(256), Flush::EachFile);
            return;
        }
        // Neither measured: the file system first, then each file.
        assert_eq!(c.pick(256), Flush::FileSystem);
        c.record(Flush::FileSystem, 256, Duration::from_millis(5));
        assert_eq!(c.pick(256), Flush::EachFile);
        c.record(Flush::EachFile, 256, Duration::from_millis(50));
        let picks: Vec<Flush> = (0..2 * PROBE_EVERY).map(|_| c.pick(256)).collect();
        let probes = picks.iter().filter(|p| **p == Flush::EachFile).count();
        assert_eq!(
            probes, 2,
            "the slower way is tried once every {PROBE_EVERY}"
        );
        // One slow flush of the file system (say, another program's backlog) is forgiven…
        c.record(Flush::FileSystem, 256, Duration::from_millis(500));
        assert_eq!(c.pick(256), Flush::FileSystem);
        // …two in a row are not: the disk changed, each file is now cheaper.
        c.record(Flush::FileSystem, 256, Duration::from_millis(500));
        assert_eq!(c.pick(256), Flush::EachFile);
    }

    #[test]
    fn after_a_file_system_error_every_batch_flushes_file_by_file() {
        let c = choice();
        c.lock().file_system_failed = true;
        assert_eq!(c.pick(256), Flush::EachFile);
        let c = FlushChoice::default();
        let _ = c.sync_file_system();
        assert!(c.lock().file_system_failed);
    }

    #[test]
    fn kernel_releases_are_compared_by_major_and_minor() {
        assert!(kernel_at_least("6.1.0-18-amd64", 5, 8));
        assert!(kernel_at_least("5.8.0", 5, 8));
        assert!(!kernel_at_least("5.4.0-150-generic", 5, 8));
        assert!(!kernel_at_least("4.19.0", 5, 8));
        assert!(!kernel_at_least("garbage", 5, 8));
    }
}
