//! `verify`: re-hash every stored object and check the database against the store, like
//! `git fsck` / `restic check --read-data`. Reports every problem; changes nothing. `repair`
//! then makes the record honest about what was lost. Works the same on a folder and a bucket.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::db::{Db, DbError};
use crate::store::{is_sha256, ReadError, Store};

/// Objects named one by one among those the record does not know; the rest are counted.
const NOTES_SHOWN: usize = 20;

/// What `verify` found: every object in the store re-hashed, and the record checked against the
/// store.
#[derive(Debug, Default)]
pub struct VerifyReport {
    /// Objects in the store re-hashed.
    pub objects_checked: u64,
    /// Bytes re-hashed.
    pub bytes_checked: u64,
    /// Objects whose bytes do not hash to their name.
    pub corrupted: Vec<String>,
    /// Objects the database records that are not in the store.
    pub missing: Vec<String>,
    /// Hashes snapshots or articles point at with no object row.
    pub dangling: Vec<String>,
    /// Files in the store the database does not know (harmless: a run killed after the write).
    pub unreferenced: Vec<String>,
    /// The same, with their sizes (what `repair` records).
    pub unreferenced_sizes: Vec<(String, u64)>,
    /// Leftover temporary files (removed by the next run).
    pub temp_files: u64,
    /// The timestamp trees and tokens in the record, re-checked.
    pub timestamps: crate::timestamp::audit::Audit,
}

impl VerifyReport {
    /// Nothing corrupted, missing or dangling (unreferenced objects and temp files are harmless).
    pub fn is_consistent(&self) -> bool {
        self.corrupted.is_empty()
            && self.missing.is_empty()
            && self.dangling.is_empty()
            && self.timestamps.problems.is_empty()
    }

    /// The findings as text, one line per finding and a summary line last.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for h in &self.corrupted {
            let _ = writeln!(out, "CORRUPTED  {h}: its bytes no longer hash to its name");
        }
        for h in &self.missing {
            let _ = writeln!(
                out,
                "MISSING    {h}: recorded in the database, absent from the store"
            );
        }
        for h in &self.dangling {
            let _ = writeln!(
                out,
                "DANGLING   {h}: a snapshot points at an object never recorded"
            );
        }
        // A bucket shared by several archives holds the others' objects too: name a few.
        for h in self.unreferenced.iter().take(NOTES_SHOWN) {
            let _ = writeln!(
                out,
                "note       {h}: in the store but not in the database (kept)"
            );
        }
        if self.unreferenced.len() > NOTES_SHOWN {
            let _ = writeln!(
                out,
                "note       … and {} more object(s) in the store but not in the database (kept; a bucket shared with other archives holds theirs too)",
                self.unreferenced.len() - NOTES_SHOWN
            );
        }
        for p in &self.timestamps.problems {
            let _ = writeln!(out, "TIMESTAMP  {p}");
        }
        let t = &self.timestamps;
        if t.trees > 0 {
            let pending: u64 = t.pending.iter().map(|(_, n)| n).sum();
            let _ = writeln!(
                out,
                "timestamps {} tree(s) of {} capture(s) re-hashed to their roots, {} token(s) verified{}",
                t.trees,
                t.leaves,
                t.tokens,
                if t.pending.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; {} tree(s) ({pending} capture(s)) wait for an authority (the next run with [timestamp] tsa asks)",
                        t.pending.len()
                    )
                }
            );
        }
        if self.temp_files > 0 {
            let _ = writeln!(
                out,
                "note       {} unfinished download(s) in tmp/ (the next run removes them)",
                self.temp_files
            );
        }
        let _ = writeln!(
            out,
            "{} objects ({}) re-hashed: {} corrupted, {} missing, {} dangling{}{}",
            self.objects_checked,
            crate::units::format_size(self.bytes_checked),
            self.corrupted.len(),
            self.missing.len(),
            self.dangling.len(),
            if self.timestamps.problems.is_empty() {
                String::new()
            } else {
                format!(", {} timestamp problem(s)", self.timestamps.problems.len())
            },
            if self.is_consistent() {
                " — archive is consistent"
            } else {
                " — archive is NOT consistent"
            }
        );
        out
    }
}

/// What `verify --repair` did.
#[derive(Debug, Default)]
pub struct RepairReport {
    /// Temporary files (interrupted downloads, yt-dlp scratch folders) removed from the store.
    pub temp_files_removed: usize,
    /// Corrupted objects moved to `quarantine/` (never deleted), with where each went.
    pub quarantined: Vec<(String, String)>,
    /// References and articles queued for a full download in the next run.
    pub requeued: usize,
    /// Objects found in the store, verified, and recorded in the database.
    pub adopted: usize,
    /// Unrecorded objects in a bucket, left alone: it may be shared with other archives.
    pub left_unrecorded: usize,
    /// Captures whose object is gone, now marked lost (references fall back to an older copy).
    pub captures_lost: usize,
}

impl RepairReport {
    /// What was done, as text: one line per quarantined object and a summary line last.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (h, to) in &self.quarantined {
            let _ = writeln!(out, "quarantined {h}: moved to {to} (kept for inspection)");
        }
        let _ = writeln!(
            out,
            "repair: {} temp file(s) removed, {} corrupted object(s) quarantined, {} capture(s) recorded as lost, {} reference(s)/article(s) queued for a full download by the next run, {} unrecorded object(s) adopted",
            self.temp_files_removed,
            self.quarantined.len(),
            self.captures_lost,
            self.requeued,
            self.adopted
        );
        if self.left_unrecorded > 0 {
            let _ = writeln!(
                out,
                "{} unrecorded object(s) in the bucket left as they are: it may be shared with other archives",
                self.left_unrecorded
            );
        }
        out
    }
}

/// Repairs what `verify` found: removes temp files, moves corrupted objects to `quarantine/`,
/// queues what lost its copy for the next run, records good objects the database missed.
/// Never deletes a good object. Call while holding the run lock.
pub fn repair(
    db: &mut Db,
    store: &Store,
    found: &VerifyReport,
) -> Result<RepairReport, RepairError> {
    let mut r = RepairReport {
        temp_files_removed: store.clean_temp_files().map_err(RepairError::Io)?,
        ..RepairReport::default()
    };
    for h in &found.corrupted {
        let to = store.quarantine(h)?;
        r.quarantined.push((h.clone(), to));
    }
    let lost: Vec<&String> = found
        .corrupted
        .iter()
        .chain(&found.missing)
        .chain(&found.dangling)
        .collect();
    let now = crate::clock::now();
    r.requeued = db.transaction(|tx| {
        let mut n = 0;
        for h in &lost {
            // The record stops counting on a copy it no longer holds; the loss stays in history.
            let (requeued, captures) = tx.record_object_lost(h, now)?;
            n += requeued;
            r.captures_lost += captures;
        }
        // In a bucket, an unrecorded object may well be another archive's: leave it be.
        if !store.is_remote() {
            for (h, bytes) in &found.unreferenced_sizes {
                // Only objects that hashed correctly are listed as unreferenced.
                tx.insert_object(h, *bytes, crate::clock::now())?;
            }
        }
        Ok(n)
    })?;
    if store.is_remote() {
        r.left_unrecorded = found.unreferenced.len();
    } else {
        r.adopted = found.unreferenced.len();
    }
    Ok(r)
}

/// Why `verify --repair` could not finish.
#[derive(Debug, thiserror::Error)]
pub enum RepairError {
    /// The record could not be read or written.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Removing temporary files failed.
    #[error("cannot repair the store: {0}")]
    Io(std::io::Error),
    /// Moving a corrupted object to `quarantine/` failed.
    #[error(transparent)]
    Store(#[from] ReadError),
}

/// Why `verify` could not finish.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The record could not be read.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The store could not be listed or reached.
    #[error("cannot list the objects: {0}")]
    Store(#[from] ReadError),
}

/// For an archive whose database is lost: every object re-hashed and listed as an orphan (held,
/// but recorded nowhere), so what can still be saved is known.
pub fn orphans(store: &Store) -> String {
    let mut out = String::new();
    let (mut good, mut bad) = (0u64, 0u64);
    let listed = match store.list() {
        Ok(l) => l,
        Err(e) => return format!("cannot list the objects: {e}\n"),
    };
    for item in listed {
        let name = item.name;
        match store.rehash(&name) {
            Ok((actual, bytes)) if actual == name => {
                good += 1;
                let _ = writeln!(
                    out,
                    "ORPHANED   {name}: {bytes} bytes, intact, but no database records it"
                );
            }
            _ => {
                bad += 1;
                let _ = writeln!(
                    out,
                    "CORRUPTED  {name}: its bytes no longer hash to its name"
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "{good} intact orphaned object(s), {bad} corrupted — the archive's record is lost"
    );
    out
}

/// Re-hashes every object in the store and checks the record against it; changes nothing. An object
/// that cannot be read counts as corrupted; a store that cannot be reached fails the whole check.
pub fn verify(db: &Db, store: &Store) -> Result<VerifyReport, VerifyError> {
    let mut r = VerifyReport::default();
    let recorded = db.all_objects()?;
    let recorded_set: HashSet<&str> = recorded.iter().map(|o| o.sha256.as_str()).collect();
    let held = store.list()?;
    let mut disk_set = HashSet::new();
    for item in &held {
        let name = &item.name;
        disk_set.insert(name.clone());
        r.objects_checked += 1;
        match store.rehash(name) {
            Ok((actual, bytes)) => {
                r.bytes_checked += bytes;
                if !is_sha256(name) || &actual != name {
                    r.corrupted.push(name.clone());
                }
            }
            // A store that cannot be reached is not a corrupted object: say so and stop.
            Err(e @ ReadError::Remote { .. }) => return Err(e.into()),
            Err(_) => r.corrupted.push(name.clone()),
        }
        if is_sha256(name) && !recorded_set.contains(name.as_str()) && !r.corrupted.contains(name) {
            r.unreferenced.push(name.clone());
            r.unreferenced_sizes.push((name.clone(), item.bytes));
        }
    }
    for o in &recorded {
        if !disk_set.contains(&o.sha256) {
            r.missing.push(o.sha256.clone());
        }
    }
    r.dangling = db.dangling_hashes()?;
    r.temp_files = store.list_temp_files().map(|v| v.len() as u64).unwrap_or(0);
    r.timestamps = crate::timestamp::audit::audit(db)?;
    Ok(r)
}
