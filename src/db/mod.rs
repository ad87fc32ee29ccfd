//! The SQLite record: one connection type, opened in WAL mode, migrated on open. Every SQL
//! statement lives in this module's files as a named, parameterised function; the rest of the
//! crate never writes SQL.

mod articles;
mod checks;
mod refs;
mod rescue;
pub mod schema;
mod views;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use articles::{ArticleRead, ArticleRow, NewArticleCapture};
pub use checks::{NewCheck, NewSnapshot, RefStatus};
pub use refs::DueRef;
pub use rescue::{
    LookupRow, NewLookup, NewMemento, NewSubmission, RescueDue, SubmissionRow, SubmitDue,
};
pub use views::{
    archive_name, ArticleCaptureRow, ArticleHistory, CheckRow, ExportPage, ExportSnapshot,
    HistoryRow, LinkFilter, LinkRow, ObjectRow, Provenance, SnapshotInfo, SnapshotRow, Summary,
};

pub const DB_FILE: &str = "linkvault.db";

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error in {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("no archive database at {0}: run `linkvault run` first, or pass --archive DIR")]
    Missing(PathBuf),
    #[error("the database at {path} was written by a newer linkvault (schema {found}, this build knows {known}); upgrade linkvault")]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
}

pub struct Db {
    conn: Connection,
    path: PathBuf,
}

pub type Result<T> = std::result::Result<T, DbError>;

impl Db {
    /// Opens (creating and migrating) the database inside the archive directory.
    pub fn open(archive: &Path) -> Result<Db> {
        let path = archive.join(DB_FILE);
        let conn = Connection::open(&path).map_err(|source| DbError::Sqlite {
            path: path.clone(),
            source,
        })?;
        let mut db = Db { conn, path };
        db.configure()?;
        let found: i64 = db.wrap(db.conn.query_row("PRAGMA user_version", [], |r| r.get(0)))?;
        if found > schema::latest_version() {
            return Err(DbError::TooNew {
                path: db.path.clone(),
                found,
                known: schema::latest_version(),
            });
        }
        let path = db.path.clone();
        schema::migrate(&mut db.conn).map_err(|source| DbError::Sqlite { path, source })?;
        Ok(db)
    }

    /// Opens an existing database without creating anything (report, history, restore, verify).
    pub fn open_existing(archive: &Path) -> Result<Db> {
        let path = archive.join(DB_FILE);
        if !path.is_file() {
            return Err(DbError::Missing(path));
        }
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| DbError::Sqlite {
            path: path.clone(),
            source,
        })?;
        let mut db = Db { conn, path };
        db.configure()?;
        let path = db.path.clone();
        schema::migrate(&mut db.conn).map_err(|source| DbError::Sqlite { path, source })?;
        Ok(db)
    }

    fn configure(&mut self) -> Result<()> {
        self.wrap(self.conn.busy_timeout(Duration::from_secs(30)))?;
        let r = self.conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY;",
        );
        self.wrap(r)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn wrap<T>(&self, r: rusqlite::Result<T>) -> Result<T> {
        r.map_err(|source| DbError::Sqlite {
            path: self.path.clone(),
            source,
        })
    }

    /// Runs `f` in one transaction: all of it is recorded, or none.
    pub fn transaction<T>(&mut self, f: impl FnOnce(&Tx<'_>) -> rusqlite::Result<T>) -> Result<T> {
        let path = self.path.clone();
        let wrap = |source| DbError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(wrap)?;
        let out = f(&Tx { tx: &tx }).map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        Ok(out)
    }
}

/// A write transaction; the query functions in this module take it.
pub struct Tx<'a> {
    tx: &'a rusqlite::Transaction<'a>,
}

impl Tx<'_> {
    fn conn(&self) -> &Connection {
        self.tx
    }
}
