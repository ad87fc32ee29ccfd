//! `verify`: re-hash every stored object and check the database against the store, like
//! `git fsck` / `restic check --read-data`. Reports every problem; changes nothing.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::db::{Db, DbError};
use crate::store::{hash_file, is_sha256, Store};

#[derive(Debug, Default)]
pub struct VerifyReport {
    pub objects_checked: u64,
    pub bytes_checked: u64,
    /// Objects whose bytes do not hash to their name.
    pub corrupted: Vec<String>,
    /// Objects the database records that are not in the store.
    pub missing: Vec<String>,
    /// Hashes snapshots or articles point at with no object row.
    pub dangling: Vec<String>,
    /// Files in the store the database does not know (harmless: a run killed after the write).
    pub unreferenced: Vec<String>,
    /// Leftover temporary files (removed by the next run).
    pub temp_files: u64,
}

impl VerifyReport {
    pub fn is_consistent(&self) -> bool {
        self.corrupted.is_empty() && self.missing.is_empty() && self.dangling.is_empty()
    }

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
        for h in &self.unreferenced {
            let _ = writeln!(
                out,
                "note       {h}: in the store but not in the database (kept)"
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
            "{} objects ({}) re-hashed: {} corrupted, {} missing, {} dangling{}",
            self.objects_checked,
            crate::units::format_size(self.bytes_checked),
            self.corrupted.len(),
            self.missing.len(),
            self.dangling.len(),
            if self.is_consistent() {
                " — archive is consistent"
            } else {
                " — archive is NOT consistent"
            }
        );
        out
    }
}

pub fn verify(db: &Db, store: &Store) -> Result<VerifyReport, DbError> {
    let mut r = VerifyReport::default();
    let recorded = db.all_objects()?;
    let recorded_set: HashSet<&str> = recorded.iter().map(|o| o.sha256.as_str()).collect();
    let on_disk = store.list_objects().unwrap_or_default();
    let mut disk_set = HashSet::new();
    for (name, path) in &on_disk {
        disk_set.insert(name.clone());
        r.objects_checked += 1;
        match hash_file(path) {
            Ok((actual, bytes)) => {
                r.bytes_checked += bytes;
                if !is_sha256(name) || &actual != name {
                    r.corrupted.push(name.clone());
                }
            }
            Err(_) => r.corrupted.push(name.clone()),
        }
        if is_sha256(name) && !recorded_set.contains(name.as_str()) {
            r.unreferenced.push(name.clone());
        }
    }
    for o in &recorded {
        if !disk_set.contains(&o.sha256) {
            r.missing.push(o.sha256.clone());
        }
    }
    r.dangling = db.dangling_hashes()?;
    r.temp_files = store.list_temp_files().map(|v| v.len() as u64).unwrap_or(0);
    Ok(r)
}
