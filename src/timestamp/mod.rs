//! Proof of when: at the end of each run, the captures no tree covers yet are gathered under one
//! Merkle root ([`merkle`]), a statement naming that root is sent to each configured RFC 3161
//! Time-Stamp Authority ([`client`], [`token`]), and the tree and the tokens are kept in the
//! record ([`stamp`]). A self-contained proof for any single capture — its leaf, the path to the
//! root and the tokens — is written and checked offline by [`proof`]; `verify` re-checks every
//! tree and token in the record ([`audit`]).

pub mod audit;
mod client;
pub mod merkle;
pub mod proof;
mod stamp;
pub mod token;

use std::time::Duration;

pub use stamp::{probe_authorities, timestamp_run, StampError, StampSummary};
pub use token::HashAlg;

use crate::db::LeafRow;
use merkle::{Hash, Leaf, LeafKind};

/// `[timestamp]`: which authorities to ask, with which hash, and whether a run must get a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampConfig {
    /// RFC 3161 authority URLs; empty: timestamps are off.
    pub tsa: Vec<String>,
    /// The hash of the imprint sent.
    pub hash: HashAlg,
    /// A run fails when no authority answers (else its tree waits for the next run).
    pub required: bool,
    /// How long one request to an authority may take.
    pub timeout: Duration,
}

impl Default for TimestampConfig {
    fn default() -> Self {
        TimestampConfig {
            tsa: Vec::new(),
            hash: HashAlg::Sha256,
            required: false,
            timeout: Duration::from_secs(30),
        }
    }
}

/// The tag the timestamped statement starts with; a new statement format gets a new tag.
pub const STATEMENT_TAG: &[u8] = b"linkvault-tree-v1";

/// What an authority timestamps: `"linkvault-tree-v1"` ‖ tree size (8 bytes, big-endian) ‖
/// root (32 bytes). The size is part of it because an audit path alone does not fix it.
pub fn statement(size: u64, root: &Hash) -> Vec<u8> {
    let mut out = Vec::with_capacity(STATEMENT_TAG.len() + 8 + 32);
    out.extend_from_slice(STATEMENT_TAG);
    out.extend_from_slice(&size.to_be_bytes());
    out.extend_from_slice(root);
    out
}

/// A leaf's kind from its code in the record.
pub fn leaf_kind(code: u8) -> Option<LeafKind> {
    Some(match code {
        1 => LeafKind::Snapshot,
        2 => LeafKind::ArticleVersion,
        3 => LeafKind::Screenshot,
        4 => LeafKind::RescuedMemento,
        _ => return None,
    })
}

/// How a proof names a leaf's kind.
pub fn kind_name(kind: LeafKind) -> &'static str {
    match kind {
        LeafKind::Snapshot => "snapshot",
        LeafKind::ArticleVersion => "article-version",
        LeafKind::Screenshot => "screenshot",
        LeafKind::RescuedMemento => "rescued-memento",
    }
}

/// Reads a kind as [`kind_name`] writes it.
pub fn kind_from_name(name: &str) -> Option<LeafKind> {
    [
        LeafKind::Snapshot,
        LeafKind::ArticleVersion,
        LeafKind::Screenshot,
        LeafKind::RescuedMemento,
    ]
    .into_iter()
    .find(|k| kind_name(*k) == name)
}

/// 32 bytes from 64 hex digits.
pub fn hash_from_hex(hex: &str) -> Option<Hash> {
    let bytes = from_hex(hex)?;
    bytes.try_into().ok()
}

/// Bytes from hex digits (either case).
pub fn from_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The leaf a recorded row stands for; None when the row is not one (an unknown kind, a hash
/// that is not 64 hex digits).
pub fn leaf_of(row: &LeafRow) -> Option<Leaf> {
    Some(Leaf {
        kind: leaf_kind(row.kind)?,
        sha256: hash_from_hex(&row.sha256)?,
        captured_at: row.captured_at,
        url: row.url.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_is_tag_size_root() {
        let s = statement(3, &[7; 32]);
        assert_eq!(&s[..17], b"linkvault-tree-v1");
        assert_eq!(&s[17..25], &3u64.to_be_bytes());
        assert_eq!(&s[25..], &[7; 32]);
    }

    #[test]
    fn hex_is_read_in_either_case_and_checked() {
        assert_eq!(from_hex("00ABff"), Some(vec![0, 0xab, 0xff]));
        assert_eq!(from_hex("0"), None);
        assert_eq!(from_hex("zz"), None);
        assert_eq!(hash_from_hex(&"ab".repeat(32)), Some([0xab; 32]));
        assert_eq!(hash_from_hex("ab"), None);
    }

    #[test]
    fn kinds_have_names() {
        for code in 1..=4 {
            let k = leaf_kind(code).unwrap();
            assert_eq!(kind_from_name(kind_name(k)), Some(k));
            assert_eq!(k as u8, code);
        }
        assert_eq!(leaf_kind(5), None);
    }
}
