//! The run's timestamp step: gather the captures no tree covers yet into a new tree, then ask
//! every configured authority for a token over each tree still waiting for one (this run's and
//! any an earlier run left pending), keeping every token that verifies.

use super::client;
use super::{leaf_of, merkle, statement, TimestampConfig};
use crate::clock::{self, Timestamp};
use crate::db::{Db, DbError, TokenRow, TreeRow};

/// What the timestamp step did.
#[derive(Debug, Clone, Default)]
pub struct StampSummary {
    /// The tree built in this run: its id and number of captures.
    pub tree: Option<(i64, u64)>,
    /// Tokens received: (tree id, captures in it, authority's name, its URL, genTime).
    pub stamped: Vec<(i64, u64, String, String, Timestamp)>,
    /// Authorities that failed, with why (once per authority).
    pub failures: Vec<(String, String)>,
    /// Trees still without any token after this step.
    pub pending: u64,
    /// Captures in those trees.
    pub pending_captures: u64,
}

/// Why the timestamp step failed.
#[derive(Debug, thiserror::Error)]
pub enum StampError {
    /// The record could not be read or written.
    #[error(transparent)]
    Db(#[from] DbError),
    /// `[timestamp] required = true` and some tree got no token.
    #[error("no timestamp authority answered ({failures}); {pending} tree(s) of captures ({captures} capture(s)) are recorded but not timestamped: check [timestamp] tsa and this machine's network, then run again (the next run timestamps them)")]
    Required {
        /// Each authority's failure, joined.
        failures: String,
        /// Trees left pending.
        pending: u64,
        /// Captures in them.
        captures: u64,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client for timestamp authorities: {0}")]
    Client(String),
}

/// Builds this run's tree and asks for tokens (nothing when `[timestamp] tsa` is empty).
pub async fn timestamp_run(
    cfg: &TimestampConfig,
    db: &mut Db,
    run_id: i64,
) -> Result<StampSummary, StampError> {
    let mut summary = StampSummary::default();
    if cfg.tsa.is_empty() {
        return Ok(summary);
    }
    // One transaction: the leaves, their hashes (32 bytes each in memory, nothing else) and
    // the root. A crash leaves either no tree or a whole one.
    summary.tree = db.transaction(|tx| {
        let Some((id, size)) =
            tx.insert_tree_of_untimestamped(run_id, clock::now(), cfg.hash.name())?
        else {
            return Ok(None);
        };
        let mut hashes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        tx.for_each_tree_leaf(id, |row| {
            let leaf = leaf_of(&row).ok_or_else(|| unreadable(&row))?;
            hashes.push(leaf.hash());
            Ok(())
        })?;
        let root = merkle::root(&hashes).ok_or_else(|| {
            rusqlite::Error::ToSqlConversionFailure("a tree without leaves".into())
        })?;
        tx.set_tree_root(id, hashes.len() as u64, &root)?;
        Ok(Some((id, hashes.len() as u64)))
    })?;

    let client = client::client(cfg.timeout).map_err(|e| StampError::Client(e.to_string()))?;
    let mut broken: Vec<&str> = Vec::new();
    for tree in db.pending_trees()? {
        let Some(message) = tree_statement(&tree) else {
            continue;
        };
        let alg = super::HashAlg::parse(&tree.alg).unwrap_or(cfg.hash);
        let mut got = false;
        for url in &cfg.tsa {
            if broken.contains(&url.as_str()) {
                continue;
            }
            match client::ask(&client, url, alg, &message).await {
                Ok(answer) => {
                    let v = &answer.verified;
                    let token = TokenRow {
                        tsa: url.clone(),
                        signer: v.signer.clone(),
                        gen_time: v.gen_time,
                        gen_time_text: v.gen_time_text.clone(),
                        serial: v.serial.clone(),
                        response: answer.response.clone(),
                    };
                    db.transaction(|tx| {
                        tx.insert_token(tree.id, url, answer.requested_at, &token)
                    })?;
                    summary.stamped.push((
                        tree.id,
                        tree.size,
                        v.signer.clone(),
                        url.clone(),
                        v.gen_time,
                    ));
                    got = true;
                }
                Err(e) => {
                    let text = e.to_string();
                    let error = format!("{url}: {text}");
                    db.transaction(|tx| tx.tree_failed(tree.id, clock::wall(), &error))?;
                    summary.failures.push((url.clone(), text));
                    broken.push(url);
                }
            }
        }
        if !got {
            summary.pending += 1;
            summary.pending_captures += tree.size;
        }
    }
    if cfg.required && summary.pending > 0 {
        return Err(StampError::Required {
            failures: summary
                .failures
                .iter()
                .map(|(u, e)| format!("{u}: {e}"))
                .collect::<Vec<_>>()
                .join("; "),
            pending: summary.pending,
            captures: summary.pending_captures,
        });
    }
    Ok(summary)
}

/// A recorded leaf that cannot be hashed: the record is damaged (the SQL never gathers one).
fn unreadable(row: &crate::db::LeafRow) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(
        format!(
            "leaf of {} ({}) cannot be read: kind {}, sha256 `{}`",
            row.url, row.captured_at, row.kind, row.sha256
        )
        .into(),
    )
}

/// The statement a recorded tree's tokens cover.
pub(crate) fn tree_statement(tree: &TreeRow) -> Option<Vec<u8>> {
    let root: merkle::Hash = tree.root.as_slice().try_into().ok()?;
    Some(statement(tree.size, &root))
}

/// Asks each configured authority for a token over a probe statement and checks it (for
/// `doctor`): per authority, who signed and how far its chain goes, or why it failed.
pub async fn probe_authorities(cfg: &TimestampConfig) -> Vec<(String, Result<String, String>)> {
    let client = match client::client(cfg.timeout) {
        Ok(c) => c,
        Err(e) => return vec![(String::new(), Err(e.to_string()))],
    };
    let mut out = Vec::new();
    for url in &cfg.tsa {
        let answer = client::ask(&client, url, cfg.hash, b"linkvault doctor: a probe").await;
        out.push((
            url.clone(),
            answer
                .map(|a| {
                    format!(
                        "token signed by {} at {} verified ({})",
                        a.verified.signer, a.verified.gen_time_text, a.verified.anchor
                    )
                })
                .map_err(|e| e.to_string()),
        ));
    }
    out
}
