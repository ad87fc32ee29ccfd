//! The SQLite record: one connection type, opened in WAL mode, migrated on open. Every SQL
//! statement lives in this module's files as a named, parameterised function; the rest of the
//! crate never writes SQL.

mod articles;
mod checkpoint;
mod checks;
mod refs;
mod rescue;
pub mod schema;
mod timestamps;
mod views;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use articles::{
    ArticleListing, ArticleRead, ArticleRow, NewArticleCapture, NewScreenshot, RemovedRows,
};
pub use checkpoint::BackgroundCheckpoints;
pub use checks::{GoodCapture, NewCheck, NewSnapshot, RefStatus};
pub use refs::DueRef;
pub use rescue::{
    LookupRow, NewLookup, NewMemento, NewSubmission, RescueDue, SubmissionRow, SubmitDue,
};
pub use timestamps::{LeafRow, Stamp, TokenRow, TreeRow};
pub use views::{
    archive_name, ArticleCaptureRow, ArticleHistory, CheckRow, ExportPage, ExportSnapshot,
    HistoryRow, LinkFilter, LinkRow, ObjectRow, Provenance, ReportQuery, ScreenshotRow,
    SnapshotInfo, SnapshotRow, Summary,
};

/// The database's file name inside the archive folder.
pub const DB_FILE: &str = "linkvault.db";

/// Why the record could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite failed on the database file.
    #[error("database error in {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// There is no database file at this path (an archive never run, or a wrong `--archive`).
    #[error("no archive database at {0}: run `linkvault run` first, or pass --archive DIR")]
    Missing(PathBuf),
    /// The database is missing or empty while the archive still holds stored objects.
    #[error("the archive's database {path} is {how}, but the archive holds {objects} stored object(s): its record is lost, and starting a new one would silently forget every check. Restore {path} from a backup; or, to start over, move the archive folder aside (its objects stay restorable with `sha256sum`)")]
    RecordLost {
        /// The database file.
        path: PathBuf,
        /// What is wrong with it: `missing` or `empty`.
        how: &'static str,
        /// How many stored objects were found (counting stops at 1000).
        objects: u64,
    },
    /// The database has an older schema and this user may not write it to upgrade it.
    #[error("the database at {path} was written by an older linkvault (schema {found}, this build uses {known}) and cannot be upgraded read-only: run `linkvault verify --repair` (or any run) once with write access")]
    NeedsUpgrade {
        /// The database file.
        path: PathBuf,
        /// The schema version the file has (`PRAGMA user_version`).
        found: i64,
        /// The schema version this build uses.
        known: i64,
    },
    /// The database was written by a newer linkvault, whose schema this build does not know.
    #[error("the database at {path} was written by a newer linkvault (schema {found}, this build knows {known}); upgrade linkvault")]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// The schema version the file has (`PRAGMA user_version`).
        found: i64,
        /// The newest schema version this build knows.
        known: i64,
    },
}

/// An open connection to an archive's database (`linkvault.db`), at the schema this build knows.
pub struct Db {
    conn: Connection,
    path: PathBuf,
}

/// A result whose error is a `DbError`.
pub type Result<T> = std::result::Result<T, DbError>;

impl Db {
    /// Opens (creating and migrating) the database inside the archive directory. A missing or
    /// empty database beside stored objects is an error, never a silent fresh start.
    pub fn open(archive: &Path) -> Result<Db> {
        let path = archive.join(DB_FILE);
        guard_record(archive, &path)?;
        let conn = Connection::open(&path).map_err(|source| DbError::Sqlite {
            path: path.clone(),
            source,
        })?;
        Db { conn, path }.migrated()
    }

    /// Configured and brought up to the schema this version knows; a database written by a
    /// newer linkvault is refused, never touched.
    fn migrated(mut self) -> Result<Db> {
        self.configure()?;
        self.schema_version()?;
        let path = self.path.clone();
        schema::migrate(&mut self.conn).map_err(|source| DbError::Sqlite { path, source })?;
        Ok(self)
    }

    /// The schema version found, if this linkvault knows it.
    fn schema_version(&self) -> Result<i64> {
        let found: i64 = self.wrap(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0)))?;
        let known = schema::latest_version();
        if found > known {
            return Err(DbError::TooNew {
                path: self.path.clone(),
                found,
                known,
            });
        }
        Ok(found)
    }

    /// Opens an existing database for commands that change the record (`remove`, `verify
    /// --repair`): never creates one; brings its schema up to date.
    pub fn open_existing(archive: &Path) -> Result<Db> {
        let path = archive.join(DB_FILE);
        guard_record(archive, &path)?;
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
        Db { conn, path }.migrated()
    }

    /// Opens an existing database for reading only (report, history, restore, verify, serve,
    /// export): works on an archive this user cannot write (a read-only mount, another user's
    /// folder), and never changes it.
    pub fn open_read_only(archive: &Path) -> Result<Db> {
        let path = archive.join(DB_FILE);
        guard_record(archive, &path)?;
        if !path.is_file() {
            return Err(DbError::Missing(path));
        }
        let wrap = |source| DbError::Sqlite {
            path: path.clone(),
            source,
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&path, flags).map_err(wrap)?;
        // WAL readers need the -shm file; where it cannot be made, the file is read as
        // immutable (nothing can be writing it: nobody here may).
        let probe = conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0));
        let conn = match probe {
            Ok(_) => conn,
            Err(_) => {
                let uri = format!(
                    "file:{}?immutable=1",
                    url::form_urlencoded::byte_serialize(path.to_string_lossy().as_bytes())
                        .collect::<String>()
                        .replace("%2F", "/")
                );
                Connection::open_with_flags(&uri, flags | OpenFlags::SQLITE_OPEN_URI)
                    .map_err(wrap)?
            }
        };
        let db = Db { conn, path };
        db.wrap(db.conn.busy_timeout(Duration::from_secs(30)))?;
        let found = db.schema_version()?;
        let known = schema::latest_version();
        if found < known {
            // An older schema: upgrade it if this user may write, else say so.
            drop(db);
            return Db::open_existing(archive).map_err(|e| match e {
                DbError::Sqlite { path, .. } => DbError::NeedsUpgrade { path, found, known },
                other => other,
            });
        }
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

    /// The database file this connection has open.
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

/// Refuses to treat an archive whose record is gone (no database, or an empty file) as new
/// while it still holds objects.
fn guard_record(archive: &Path, path: &Path) -> Result<()> {
    let how = match std::fs::metadata(path) {
        Ok(m) if m.len() == 0 => "empty",
        Ok(_) => return Ok(()),
        Err(_) => "missing",
    };
    let objects = crate::store::Store::local(archive).count_local_objects(1000);
    // No objects either: a new archive in all but name.
    if objects == 0 {
        return Ok(());
    }
    Err(DbError::RecordLost {
        path: path.to_path_buf(),
        how,
        objects,
    })
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

/// SQLite's plan for `sql`, one step a line (`EXPLAIN QUERY PLAN`): for tests that a query
/// uses its index.
#[cfg(test)]
fn query_plan(db: &Db, sql: &str) -> String {
    let mut stmt = db
        .conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap();
    // Every parameter NULL: the plan is made before any value is known.
    let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
    let steps: Vec<String> = stmt
        .query_map(rusqlite::params_from_iter(nulls), |r| r.get(3))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    steps.join("\n")
}
