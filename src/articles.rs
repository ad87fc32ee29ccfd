//! Removing an article: it stops being read; the references only it cites are retired (no
//! longer checked or reported, their history kept); with `purge`, their snapshots, the
//! article's own versions, and every object nothing else needs are deleted as well. A feed takes
//! the items it brought with it.

use crate::db::{Db, DbError};
use crate::store::Store;

/// Why a removal failed.
#[derive(Debug, thiserror::Error)]
pub enum RemoveError {
    /// The database failed (nothing was removed: the removal is one transaction).
    #[error(transparent)]
    Db(#[from] DbError),
    /// An unneeded object could not be deleted from the store (the record is already updated).
    #[error("cannot delete object {sha256} from the store: {source}")]
    Delete {
        /// The object's SHA-256, 64 lowercase hex digits.
        sha256: String,
        /// Why the store could not delete it.
        source: crate::store::ReadError,
    },
}

/// What a removal did.
#[derive(Debug, Clone, Default)]
pub struct Removed {
    /// References no remaining article cites (retired, or with `purge` deleted).
    pub orphaned_refs: u64,
    /// Snapshots of those references deleted (`purge` only).
    pub snapshots_deleted: u64,
    /// Objects deleted from the store because nothing else needs them (`purge` only).
    pub objects_deleted: u64,
}

/// Removes article `id` (and, for a feed, the items it registered).
pub fn remove(db: &mut Db, store: &Store, id: i64, purge: bool) -> Result<Removed, RemoveError> {
    let now = crate::clock::now();
    let (rows, unneeded) = db.transaction(|tx| tx.remove_article(id, now, purge))?;
    for sha in &unneeded {
        store.remove(sha).map_err(|source| RemoveError::Delete {
            sha256: sha.clone(),
            source,
        })?;
    }
    Ok(Removed {
        orphaned_refs: rows.orphaned_refs,
        snapshots_deleted: rows.snapshots_deleted,
        objects_deleted: unneeded.len() as u64,
    })
}
