//! `verify`'s look at the timestamps in the record: every tree's leaves still give its
//! recorded root, and every token still verifies over that tree's statement. The record is
//! what later proofs are built from, so an altered leaf or token is found here, not in court.

use super::merkle::{self, Hash};
use super::token::{self, Expect, HashAlg};
use super::{leaf_of, statement};
use crate::db::{Db, DbError};

/// What the audit found.
#[derive(Debug, Default)]
pub struct Audit {
    /// Trees checked.
    pub trees: u64,
    /// Leaves (captures) in them.
    pub leaves: u64,
    /// Tokens checked.
    pub tokens: u64,
    /// Trees no authority has timestamped yet: (tree id, captures).
    pub pending: Vec<(i64, u64)>,
    /// What does not hold, one line each.
    pub problems: Vec<String>,
}

/// Checks every tree and token in the record.
pub fn audit(db: &Db) -> Result<Audit, DbError> {
    let mut a = Audit::default();
    for tree in db.all_trees()? {
        a.trees += 1;
        let mut hashes: Vec<Hash> = Vec::with_capacity(usize::try_from(tree.size).unwrap_or(0));
        let mut unreadable = 0u64;
        db.for_each_tree_leaf(tree.id, |row| {
            match leaf_of(&row) {
                Some(l) => hashes.push(l.hash()),
                None => unreadable += 1,
            }
            Ok::<(), DbError>(())
        })?;
        a.leaves += hashes.len() as u64 + unreadable;
        let root = merkle::root(&hashes);
        if unreadable > 0
            || hashes.len() as u64 != tree.size
            || root.map(|r| r.to_vec()) != Some(tree.root.clone())
        {
            a.problems.push(format!(
                "tree {}: its leaves no longer give its recorded root (the record was altered): proofs already written stay valid; restore linkvault.db from a backup",
                tree.id
            ));
            continue;
        }
        let tokens = db.tree_tokens(tree.id)?;
        if tokens.is_empty() {
            a.pending.push((tree.id, tree.size));
            continue;
        }
        let (Some(root), Some(alg)) = (root, HashAlg::parse(&tree.alg)) else {
            continue;
        };
        let imprint = alg.digest(&statement(tree.size, &root));
        for t in tokens {
            a.tokens += 1;
            let checked = token::verify_response(
                &t.response,
                &Expect {
                    imprint: Some((alg, &imprint)),
                    ..Expect::default()
                },
            );
            if let Err(e) = checked {
                a.problems.push(format!(
                    "tree {}: the token of {} (serial {}) no longer verifies: {e}",
                    tree.id, t.tsa, t.serial
                ));
            }
        }
    }
    Ok(a)
}
