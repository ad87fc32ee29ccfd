//! Read-only connections to the record, kept open between requests: opening one (file,
//! schema, `PRAGMA`s) cost more than answering most requests. Each request borrows one and
//! gives it back; a connection sees every commit made since its last read (WAL).

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::db::{Db, DbError};

/// Idle connections kept at most (beyond them, a returned connection is closed).
const KEPT: usize = 16;

/// The archive's record, opened read-only, shared by the requests.
pub(super) struct DbPool {
    archive: PathBuf,
    idle: Mutex<Vec<Db>>,
}

/// A connection borrowed from the pool; back to it when dropped.
pub(super) struct Pooled<'a> {
    pool: &'a DbPool,
    db: Option<Db>,
}

impl DbPool {
    pub(super) fn new(archive: PathBuf) -> DbPool {
        DbPool {
            archive,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// An idle connection, or a new one.
    pub(super) fn get(&self) -> Result<Pooled<'_>, DbError> {
        let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
        let db = match idle {
            Some(db) => db,
            None => Db::open_read_only(&self.archive)?,
        };
        Ok(Pooled {
            pool: self,
            db: Some(db),
        })
    }
}

impl Deref for Pooled<'_> {
    type Target = Db;
    fn deref(&self) -> &Db {
        // Set in `get`, taken only in `drop`.
        self.db
            .as_ref()
            .unwrap_or_else(|| unreachable!("a pooled connection is present until dropped"))
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let (Some(db), Ok(mut idle)) = (self.db.take(), self.pool.idle.lock()) {
            if idle.len() < KEPT {
                idle.push(db);
            }
        }
    }
}
