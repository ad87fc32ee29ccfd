//! Trusted timestamps in the record: the captures not yet under any tree, each run's Merkle
//! tree with its leaves exactly as hashed, and every time-stamp token an authority returned
//! (the response as received), so a proof can be rebuilt at any time.

use rusqlite::{params, OptionalExtension};

use super::{Db, Result, Tx};
use crate::clock::Timestamp;

/// One capture as a leaf: what it is, the row it stands for, and the data hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafRow {
    /// 1 snapshot, 2 article version, 3 screenshot, 4 rescued memento (`merkle::LeafKind`).
    pub kind: u8,
    /// The snapshot it stands for (kinds 1 and 4).
    pub snapshot_id: Option<i64>,
    /// The article capture it stands for (kinds 2 and 3).
    pub capture_id: Option<i64>,
    /// SHA-256 of the captured bytes, hex.
    pub sha256: String,
    /// When it was captured (Unix seconds).
    pub captured_at: Timestamp,
    /// The URL it was captured from.
    pub url: String,
}

/// A tree as recorded.
#[derive(Debug, Clone)]
pub struct TreeRow {
    /// Its row id.
    pub id: i64,
    /// The run that built it.
    pub run_id: Option<i64>,
    /// When it was built (Unix seconds).
    pub created_at: Timestamp,
    /// Its number of leaves.
    pub size: u64,
    /// Its root (32 bytes).
    pub root: Vec<u8>,
    /// The hash of the imprint sent to authorities: `sha256` or `sha512`.
    pub alg: String,
    /// Why the last request for a token failed, if one did.
    pub last_error: Option<String>,
}

/// A token as recorded.
#[derive(Debug, Clone)]
pub struct TokenRow {
    /// The authority's URL, as configured when it answered.
    pub tsa: String,
    /// The signing certificate's name.
    pub signer: String,
    /// The token's time (Unix seconds).
    pub gen_time: Timestamp,
    /// The token's time as written in it (RFC 3339, fractions kept).
    pub gen_time_text: String,
    /// The token's serial number, hex.
    pub serial: String,
    /// The `TimeStampResp` exactly as received (a `.tsr` file).
    pub response: Vec<u8>,
}

/// Where a capture stands: not in any tree, in one waiting for a token, or timestamped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Stamp {
    /// Captured before timestamps were turned on, or since the last run.
    #[default]
    None,
    /// In tree `tree_id`, which no authority has timestamped yet.
    Pending {
        /// The tree.
        tree_id: i64,
    },
    /// Timestamped: each authority's name, URL and time, earliest first.
    Stamped {
        /// The tree.
        tree_id: i64,
        /// (signer, authority URL, genTime), earliest first.
        by: Vec<(String, String, Timestamp)>,
    },
}

impl Db {
    /// Trees no authority has timestamped yet, oldest first.
    pub fn pending_trees(&self) -> Result<Vec<TreeRow>> {
        let mut stmt = self.wrap(self.conn.prepare(&format!(
            "SELECT {TREE_COLUMNS} FROM timestamp_trees t
             WHERE NOT EXISTS (SELECT 1 FROM timestamp_tokens k WHERE k.tree_id = t.id)
             ORDER BY t.id"
        )))?;
        let rows = stmt
            .query_map([], tree_row)
            .and_then(|m| m.collect::<rusqlite::Result<Vec<_>>>());
        self.wrap(rows)
    }

    /// Every tree, oldest first.
    pub fn all_trees(&self) -> Result<Vec<TreeRow>> {
        let mut stmt = self.wrap(self.conn.prepare(&format!(
            "SELECT {TREE_COLUMNS} FROM timestamp_trees t ORDER BY t.id"
        )))?;
        let rows = stmt
            .query_map([], tree_row)
            .and_then(|m| m.collect::<rusqlite::Result<Vec<_>>>());
        self.wrap(rows)
    }

    /// Tree `id`.
    pub fn tree(&self, id: i64) -> Result<Option<TreeRow>> {
        let r = self
            .conn
            .query_row(
                &format!("SELECT {TREE_COLUMNS} FROM timestamp_trees t WHERE t.id = ?1"),
                [id],
                tree_row,
            )
            .optional();
        self.wrap(r)
    }

    /// Calls `f` with every leaf of tree `id`, in order (streamed: a tree may hold millions).
    pub fn for_each_tree_leaf<E: From<super::DbError>>(
        &self,
        id: i64,
        f: impl FnMut(LeafRow) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        match each_leaf(&self.conn, id, f) {
            Ok(()) => Ok(()),
            Err(Stop::Caller(e)) => Err(e),
            Err(Stop::Sql(source)) => Err(E::from(super::DbError::Sqlite {
                path: self.path.clone(),
                source,
            })),
        }
    }

    /// Leaf `idx` of tree `id`.
    pub fn tree_leaf(&self, id: i64, idx: u64) -> Result<Option<LeafRow>> {
        // Cached: `export warc` asks this for every capture it proves.
        let mut stmt = self.wrap(self.conn.prepare_cached(
            "SELECT kind, snapshot_id, capture_id, sha256, captured_at, url
             FROM timestamp_leaves WHERE tree_id = ?1 AND idx = ?2",
        ))?;
        self.wrap(stmt.query_row(params![id, idx], leaf_row).optional())
    }

    /// Every token of tree `id`, earliest first.
    pub fn tree_tokens(&self, id: i64) -> Result<Vec<TokenRow>> {
        let mut stmt = self.wrap(self.conn.prepare_cached(
            "SELECT tsa, signer, gen_time, gen_time_text, serial, response
             FROM timestamp_tokens WHERE tree_id = ?1 ORDER BY gen_time, id",
        ))?;
        let rows = stmt
            .query_map([id], |r| {
                Ok(TokenRow {
                    tsa: r.get(0)?,
                    signer: r.get(1)?,
                    gen_time: r.get(2)?,
                    gen_time_text: r.get(3)?,
                    serial: r.get(4)?,
                    response: r.get(5)?,
                })
            })
            .and_then(|m| m.collect::<rusqlite::Result<Vec<_>>>());
        self.wrap(rows)
    }

    /// Leaves standing for captures of `sha256` (full hex), with their tree and index, earliest
    /// capture first.
    pub fn leaves_of_hash(&self, sha256: &str) -> Result<Vec<(i64, u64, LeafRow)>> {
        let mut stmt = self.wrap(self.conn.prepare_cached(
            "SELECT kind, snapshot_id, capture_id, sha256, captured_at, url, tree_id, idx
             FROM timestamp_leaves WHERE sha256 = ?1 ORDER BY captured_at, tree_id, idx",
        ))?;
        let rows = stmt
            .query_map([sha256], |r| Ok((r.get(6)?, r.get(7)?, leaf_row(r)?)))
            .and_then(|m| m.collect::<rusqlite::Result<Vec<_>>>());
        self.wrap(rows)
    }

    /// Where snapshot `id` stands (see [`Stamp`]).
    pub fn snapshot_stamp(&self, id: i64) -> Result<Stamp> {
        self.stamp_of_leaf(
            "SELECT tree_id FROM timestamp_leaves WHERE snapshot_id = ?1",
            id,
        )
    }

    /// Where article capture `id` (a version or a screenshot) stands (see [`Stamp`]).
    pub fn capture_stamp(&self, id: i64) -> Result<Stamp> {
        self.stamp_of_leaf(
            "SELECT tree_id FROM timestamp_leaves WHERE capture_id = ?1",
            id,
        )
    }

    /// The stamp of the tree `tree_sql` finds for row `id`.
    fn stamp_of_leaf(&self, tree_sql: &str, id: i64) -> Result<Stamp> {
        let mut stmt = self.wrap(self.conn.prepare_cached(tree_sql))?;
        let tree: Option<i64> = self.wrap(stmt.query_row([id], |r| r.get(0)).optional())?;
        self.stamp_of_tree(tree)
    }

    fn stamp_of_tree(&self, tree: Option<i64>) -> Result<Stamp> {
        let Some(tree_id) = tree else {
            return Ok(Stamp::None);
        };
        let mut stmt = self.wrap(self.conn.prepare_cached(
            "SELECT signer, tsa, gen_time FROM timestamp_tokens WHERE tree_id = ?1
             ORDER BY gen_time, id",
        ))?;
        let by = stmt
            .query_map([tree_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(|m| m.collect::<rusqlite::Result<Vec<_>>>());
        let by = self.wrap(by)?;
        Ok(if by.is_empty() {
            Stamp::Pending { tree_id }
        } else {
            Stamp::Stamped { tree_id, by }
        })
    }

    /// How many trees there are, and how many still wait for a token.
    pub fn tree_counts(&self) -> Result<(u64, u64)> {
        self.wrap(self.conn.query_row(
            "SELECT count(*),
                    count(*) FILTER (WHERE NOT EXISTS
                      (SELECT 1 FROM timestamp_tokens k WHERE k.tree_id = t.id))
             FROM timestamp_trees t",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        ))
    }
}

impl Tx<'_> {
    /// Gathers every capture held (not lost) that no tree covers yet as the leaves of a new
    /// tree built by `run_id`: snapshots then article captures, in the order they were
    /// recorded. Captures are only ever added with higher ids (one writer), so only those past
    /// the highest already covered are looked at: a run with nothing new costs two index
    /// lookups, whatever the archive's size. Its root is set by [`Tx::set_tree_root`] in the same transaction. Returns the
    /// tree's id and size; None (and no tree) when there is nothing to cover.
    pub fn insert_tree_of_untimestamped(
        &self,
        run_id: i64,
        created_at: Timestamp,
        alg: &str,
    ) -> rusqlite::Result<Option<(i64, u64)>> {
        self.conn().execute(
            "INSERT INTO timestamp_trees (run_id, created_at, size, root, alg)
             VALUES (?1, ?2, 0, X'', ?3)",
            params![run_id, created_at, alg],
        )?;
        let tree_id = self.conn().last_insert_rowid();
        // Numbering the leaves sorts every capture not yet covered (the first tree of an old
        // archive: millions): let SQLite spill that sort to a file instead of holding it in
        // memory (900,000 captures: 21 MiB instead of 169). A hash that is not 64 lowercase hex
        // digits is no leaf (none is ever recorded so).
        self.conn().execute_batch("PRAGMA temp_store = FILE")?;
        let size = self.conn().execute(
            "INSERT INTO timestamp_leaves (tree_id, idx, kind, snapshot_id, capture_id, sha256,
                                           captured_at, url)
             SELECT ?1, row_number() OVER (ORDER BY source, id) - 1, kind, snapshot_id,
                    capture_id, sha256, captured_at, url
             FROM (
               SELECT 0 AS source, s.id AS id,
                      CASE WHEN s.origin = 'memento' THEN 4 ELSE 1 END AS kind,
                      s.id AS snapshot_id, NULL AS capture_id, s.sha256, s.captured_at, r.url
               FROM snapshots s JOIN refs r ON r.id = s.ref_id
               WHERE s.id > (SELECT coalesce(max(snapshot_id), 0) FROM timestamp_leaves
                             WHERE snapshot_id IS NOT NULL)
                 AND s.lost_at IS NULL
                 AND NOT EXISTS (SELECT 1 FROM timestamp_leaves l WHERE l.snapshot_id = s.id)
               UNION ALL
               SELECT 1, c.id, CASE WHEN c.role = 'screenshot' THEN 3 ELSE 2 END,
                      NULL, c.id, c.sha256, c.captured_at, c.url
               FROM article_captures c
               WHERE c.id > (SELECT coalesce(max(capture_id), 0) FROM timestamp_leaves
                             WHERE capture_id IS NOT NULL)
                 AND c.lost_at IS NULL
                 AND NOT EXISTS (SELECT 1 FROM timestamp_leaves l WHERE l.capture_id = c.id)
             )
             WHERE length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'",
            [tree_id],
        );
        self.conn().execute_batch("PRAGMA temp_store = MEMORY")?;
        let size = size?;
        if size == 0 {
            self.conn()
                .execute("DELETE FROM timestamp_trees WHERE id = ?1", [tree_id])?;
            return Ok(None);
        }
        Ok(Some((tree_id, size as u64)))
    }

    /// Calls `f` with every leaf of tree `id`, in order, inside this transaction.
    pub fn for_each_tree_leaf(
        &self,
        id: i64,
        f: impl FnMut(LeafRow) -> rusqlite::Result<()>,
    ) -> rusqlite::Result<()> {
        each_leaf(self.conn(), id, f).map_err(|stop| match stop {
            Stop::Sql(e) | Stop::Caller(e) => e,
        })
    }

    /// Sets the size and root of tree `id`, built by [`Tx::insert_tree_of_untimestamped`].
    pub fn set_tree_root(&self, id: i64, size: u64, root: &[u8]) -> rusqlite::Result<()> {
        self.conn().execute(
            "UPDATE timestamp_trees SET size = ?2, root = ?3 WHERE id = ?1",
            params![id, size as i64, root],
        )?;
        Ok(())
    }

    /// Records a token an authority returned for tree `tree_id`.
    pub fn insert_token(
        &self,
        tree_id: i64,
        tsa: &str,
        requested_at: Timestamp,
        token: &TokenRow,
    ) -> rusqlite::Result<()> {
        self.conn().execute(
            "INSERT INTO timestamp_tokens (tree_id, tsa, requested_at, gen_time, gen_time_text,
                                           signer, serial, response)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                tree_id,
                tsa,
                requested_at,
                token.gen_time,
                token.gen_time_text,
                token.signer,
                token.serial,
                token.response
            ],
        )?;
        Ok(())
    }

    /// Records why asking for tree `tree_id`'s token failed.
    pub fn tree_failed(&self, tree_id: i64, at: Timestamp, error: &str) -> rusqlite::Result<()> {
        self.conn().execute(
            "UPDATE timestamp_trees SET last_error = ?2, last_attempt_at = ?3,
                    attempts = attempts + 1 WHERE id = ?1",
            params![tree_id, error, at],
        )?;
        Ok(())
    }
}

/// Why a walk over leaves stopped: SQLite failed, or the caller's function did.
enum Stop<E> {
    Sql(rusqlite::Error),
    Caller(E),
}

fn each_leaf<E>(
    conn: &rusqlite::Connection,
    id: i64,
    mut f: impl FnMut(LeafRow) -> std::result::Result<(), E>,
) -> std::result::Result<(), Stop<E>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT kind, snapshot_id, capture_id, sha256, captured_at, url
             FROM timestamp_leaves WHERE tree_id = ?1 ORDER BY idx",
        )
        .map_err(Stop::Sql)?;
    let mut rows = stmt.query([id]).map_err(Stop::Sql)?;
    while let Some(r) = rows.next().map_err(Stop::Sql)? {
        f(leaf_row(r).map_err(Stop::Sql)?).map_err(Stop::Caller)?;
    }
    Ok(())
}

const TREE_COLUMNS: &str = "t.id, t.run_id, t.created_at, t.size, t.root, t.alg, t.last_error";

fn tree_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TreeRow> {
    Ok(TreeRow {
        id: r.get(0)?,
        run_id: r.get(1)?,
        created_at: r.get(2)?,
        size: r.get(3)?,
        root: r.get(4)?,
        alg: r.get(5)?,
        last_error: r.get(6)?,
    })
}

fn leaf_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LeafRow> {
    Ok(LeafRow {
        kind: r.get(0)?,
        snapshot_id: r.get(1)?,
        capture_id: r.get(2)?,
        sha256: r.get(3)?,
        captured_at: r.get(4)?,
        url: r.get(5)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(db: &Db, id: i64, sha: char, origin: &str, lost: bool) {
        db.conn
            .execute(
                "INSERT INTO snapshots (id, ref_id, check_id, sha256, bytes, http_status,
                   captured_at, good, origin, lost_at)
                 VALUES (?1, 1, 1, ?2, 1, 200, ?1, 1, ?3, ?4)",
                params![id, sha.to_string().repeat(64), origin, lost.then_some(5)],
            )
            .unwrap();
    }

    /// (kind, snapshot, capture) of a leaf.
    type Gathered = (u8, Option<i64>, Option<i64>);

    fn gather(db: &mut Db) -> Option<(i64, Vec<Gathered>)> {
        let (id, size) = db
            .transaction(|tx| tx.insert_tree_of_untimestamped(1, 10, "sha256"))
            .unwrap()?;
        let mut leaves = Vec::new();
        db.for_each_tree_leaf(id, |l| {
            leaves.push((l.kind, l.snapshot_id, l.capture_id));
            Ok::<(), DbError>(())
        })
        .unwrap();
        assert_eq!(leaves.len() as u64, size);
        Some((id, leaves))
    }

    use super::super::DbError;

    #[test]
    fn each_capture_is_gathered_once_in_recorded_order_lost_ones_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = Db::open(dir.path()).unwrap();
        db.conn
            .execute_batch(
                "PRAGMA foreign_keys = OFF;
                 INSERT INTO refs (id, url, host, kind, first_seen)
                   VALUES (1, 'https://a.example/x.jpg', 'a.example', 'image', 1);",
            )
            .unwrap();
        db.conn
            .execute(
                "INSERT INTO article_captures (id, article_id, url, sha256, bytes, captured_at, role)
                 VALUES (1, 1, 'https://a.example/', ?1, 1, 3, 'screenshot')",
                [&"c".repeat(64)],
            )
            .unwrap();
        snapshot(&db, 1, 'a', "self", false);
        snapshot(&db, 2, 'b', "self", true);
        snapshot(&db, 3, 'd', "memento", false);
        // Not a hash: never a leaf.
        db.conn
            .execute(
                "INSERT INTO snapshots (id, ref_id, check_id, sha256, bytes, http_status, captured_at, good)
                 VALUES (4, 1, 1, 'not-a-hash', 1, 200, 4, 1)",
                [],
            )
            .unwrap();
        let (first, leaves) = gather(&mut db).unwrap();
        assert_eq!(
            leaves,
            [(1, Some(1), None), (4, Some(3), None), (3, None, Some(1))],
            "snapshots by id (the lost one left out, the memento marked), then captures"
        );
        assert!(gather(&mut db).is_none(), "nothing new: no tree");
        snapshot(&db, 5, 'e', "self", false);
        let (second, leaves) = gather(&mut db).unwrap();
        assert_ne!(first, second);
        assert_eq!(leaves, [(1, Some(5), None)]);
        let tree = db.tree(first).unwrap().unwrap();
        assert_eq!(
            (tree.run_id, tree.created_at, tree.alg.as_str()),
            (Some(1), 10, "sha256")
        );
    }
}
