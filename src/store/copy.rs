//! `store copy`: every object an archive records, copied from one store to another (a folder
//! to a bucket and back). Each object is read through a verified reader and written through
//! an ordinary object writer, which hashes it again: a damaged source object is reported and
//! never lands under its address. Objects the target already holds (at the recorded size) are
//! skipped, so an interrupted copy resumes where it stopped. Nothing is switched: the archive
//! keeps using its store until the user points `store` at the target.

use std::io::Read;

use super::{ReadError, Store, WriteError};

/// What a copy did.
#[derive(Debug, Default)]
pub struct CopyReport {
    /// Objects written to the target.
    pub copied: u64,
    /// Their total size in bytes.
    pub bytes_copied: u64,
    /// Already in the target (an earlier, interrupted copy, or a shared bucket).
    pub already_there: u64,
    /// Objects that could not be copied, with why.
    pub failed: Vec<(String, String)>,
}

/// Why the copy stopped before trying every object.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The target store could not take an object.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The target store could not say whether it already holds an object.
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// Copies `objects` (hash, recorded size) from `from` to `to`; `each` is told after every
/// object (for progress). A failure of the target stops the copy (nothing else could
/// succeed); a bad source object is listed and the copy goes on.
pub fn copy_objects(
    from: &Store,
    to: &Store,
    objects: &[(String, u64)],
    mut each: impl FnMut(&CopyReport),
) -> Result<CopyReport, CopyError> {
    let mut r = CopyReport::default();
    let mut buf = vec![0u8; 1 << 20];
    for (sha256, bytes) in objects {
        if to.size(sha256)? == Some(*bytes) {
            r.already_there += 1;
            each(&r);
            continue;
        }
        let mut reader = match from.reader(sha256) {
            Ok(reader) => reader,
            Err(e) => {
                r.failed.push((sha256.clone(), e.to_string()));
                each(&r);
                continue;
            }
        };
        let mut w = to.writer()?;
        let mut bad = None;
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => w.write(&buf[..n])?,
                Err(e) => {
                    bad = Some(super::read::unwrap_io(e, sha256).to_string());
                    break;
                }
            }
        }
        if let Some(why) = bad {
            // The unfinished writer removes its spool: nothing lands in the target.
            drop(w);
            r.failed.push((sha256.clone(), why));
            each(&r);
            continue;
        }
        let stored = w.finish()?;
        if &stored.sha256 != sha256 {
            r.failed.push((
                sha256.clone(),
                format!("read back as {} (source changed?)", stored.sha256),
            ));
        } else {
            r.copied += 1;
            r.bytes_copied += stored.bytes;
        }
        each(&r);
    }
    Ok(r)
}
