//! WAL checkpoints on a thread of their own while a run records its checks. By default SQLite
//! checkpoints on the committing connection: every thousand pages, a commit copies the log
//! into the database and waits for two fsyncs — time the run's single writer would spend not
//! recording. Here the writer's own checkpoints are off, and after each commit it nudges a
//! checkpointer (its own connection, `PASSIVE`: it never blocks the writer or readers) that
//! runs while the writer goes on. When the guard is dropped the checkpointer finishes its
//! pass and the writer checkpoints as usual again.

use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::Db;

/// SQLite's own threshold (pages in the log) for the writer's checkpoints, restored afterwards.
const AUTOCHECKPOINT_PAGES: u32 = 1000;

/// Commits between two background checkpoints. A checkpoint writes each page changed since
/// the last one once, wherever it lies in the file (random writes); spacing them lets a page
/// changed by many commits be written once: 100,000 new references, every 4 commits → 328,000
/// disk writes in all, every 32 → about 300,000. The log grows to some tens of MB meanwhile
/// (appended, and reused after each checkpoint).
const COMMITS_PER_CHECKPOINT: u32 = 32;

/// The running checkpointer; [`BackgroundCheckpoints::finish`] stops it and gives the writer
/// its checkpoints back.
pub struct BackgroundCheckpoints {
    nudge: Option<SyncSender<()>>,
    worker: Option<JoinHandle<()>>,
    commits: u32,
}

impl Db {
    /// Moves this connection's checkpoints to a background thread until
    /// [`BackgroundCheckpoints::finish`]. If the checkpointer cannot open its connection, the
    /// writer keeps checkpointing itself (slower, never wrong).
    pub fn checkpoint_in_background(&self) -> BackgroundCheckpoints {
        let idle = BackgroundCheckpoints {
            nudge: None,
            worker: None,
            commits: 0,
        };
        let Ok(conn) = checkpointer_connection(self.path.clone()) else {
            return idle;
        };
        if self
            .conn
            .pragma_update(None, "wal_autocheckpoint", 0)
            .is_err()
        {
            return idle;
        }
        let (nudge, nudged) = sync_channel(1);
        let worker = std::thread::Builder::new()
            .name("checkpoint".into())
            .spawn(move || checkpoint_when_nudged(&conn, &nudged));
        match worker {
            Ok(worker) => BackgroundCheckpoints {
                nudge: Some(nudge),
                worker: Some(worker),
                commits: 0,
            },
            Err(_) => {
                let _ = self
                    .conn
                    .pragma_update(None, "wal_autocheckpoint", AUTOCHECKPOINT_PAGES);
                idle
            }
        }
    }
}

impl BackgroundCheckpoints {
    /// The writer committed a transaction: every few commits the checkpointer copies the log
    /// into the database (at once if it is idle, else after its current pass).
    pub fn committed(&mut self) {
        self.commits += 1;
        if self.commits < COMMITS_PER_CHECKPOINT {
            return;
        }
        self.commits = 0;
        if let Some(nudge) = &self.nudge {
            match nudge.try_send(()) {
                Ok(()) | Err(TrySendError::Full(())) => {}
                Err(TrySendError::Disconnected(())) => self.nudge = None,
            }
        }
    }

    /// Stops the checkpointer (after its current pass) and lets `db` checkpoint itself again.
    pub fn finish(mut self, db: &Db) {
        self.stop();
        let _ = db
            .conn
            .pragma_update(None, "wal_autocheckpoint", AUTOCHECKPOINT_PAGES);
    }

    fn stop(&mut self) {
        self.nudge = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

impl Drop for BackgroundCheckpoints {
    fn drop(&mut self) {
        self.stop();
    }
}

fn checkpointer_connection(path: PathBuf) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(30))?;
    // Its own checkpoints: closing this connection must not checkpoint either (the writer's
    // connection is still open, so SQLite would not; said here for the reader).
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    Ok(conn)
}

fn checkpoint_when_nudged(conn: &Connection, nudged: &Receiver<()>) {
    while nudged.recv().is_ok() {
        // PASSIVE copies what it can without waiting for anyone; a busy or failed pass is
        // simply tried again at the next nudge, and the writer's log only grows meanwhile.
        let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn autocheckpoint(db: &Db) -> i64 {
        db.conn
            .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
            .unwrap()
    }

    /// Rows of `t` in the database file itself, the log left out (`immutable` reads ignore it).
    fn rows_in_main_file(path: &std::path::Path) -> i64 {
        let uri = format!("file:{}?immutable=1", path.display());
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(uri, flags).unwrap();
        conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap_or(0)
    }

    #[test]
    fn the_log_reaches_the_database_file_from_the_background_and_the_writer_resumes_after() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = Db::open(dir.path()).unwrap();
        db.conn.execute_batch("CREATE TABLE t (x TEXT)").unwrap();
        db.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        assert_eq!(rows_in_main_file(db.path()), 0);

        let mut background = db.checkpoint_in_background();
        assert_eq!(autocheckpoint(&db), 0, "the writer no longer checkpoints");
        for i in 0..(2 * COMMITS_PER_CHECKPOINT) {
            db.transaction(|tx| {
                tx.conn()
                    .execute("INSERT INTO t VALUES (?1)", [format!("row {i}")])
                    .map(|_| ())
            })
            .unwrap();
            background.committed();
        }
        background.finish(&db);
        assert_eq!(
            rows_in_main_file(db.path()),
            i64::from(2 * COMMITS_PER_CHECKPOINT),
            "every commit nudged before finishing is in the database file"
        );
        assert_eq!(autocheckpoint(&db), i64::from(AUTOCHECKPOINT_PAGES));
    }
}
