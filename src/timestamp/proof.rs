//! Self-contained proofs: for one capture, its leaf data, the Merkle path from the leaf to the
//! root of its run's tree, the statement over that root and every authority's token, in one
//! JSON file (tokens embedded as base64) with the raw `.tsr` files and the statement beside it
//! for OpenSSL. Checking a proof needs nothing but the file: no record, no network.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::merkle::{self, Hash, Leaf};
use super::token::{self, Expect, HashAlg, TokenError, Verified};
use super::{from_hex, hash_from_hex, kind_from_name, kind_name, leaf_of, statement};
use crate::clock::{self, Timestamp};
use crate::db::{Db, DbError};
use crate::restore::{self, RestoreError};
use crate::store::hex_digest as to_hex;

/// The `format` a proof file declares.
pub const FORMAT: &str = "linkvault-proof-v1";

/// A proof as written to disk.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Proof {
    /// Always [`FORMAT`].
    pub format: String,
    /// What the proof shows, in one sentence (informative; not checked).
    pub claim: String,
    /// The capture proved.
    pub capture: Capture,
    /// Its place in the run's tree.
    pub tree: TreeProof,
    /// Every authority's token over the tree's statement, earliest first.
    pub timestamps: Vec<TokenProof>,
    /// How to check the tokens with OpenSSL alone (informative).
    #[serde(default)]
    pub openssl: Vec<String>,
}

/// The capture a proof is about: exactly the data its leaf hashes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Capture {
    /// snapshot | article-version | screenshot | rescued-memento
    pub kind: String,
    /// SHA-256 of the captured bytes.
    pub sha256: String,
    /// When linkvault captured it (RFC 3339; must agree with `captured_at_unix`).
    pub captured_at: String,
    /// The same time in Unix seconds, as hashed.
    pub captured_at_unix: Timestamp,
    /// The URL it was captured from.
    pub url: String,
    /// `SHA-256(0x00 ‖ leaf data)`, hex.
    pub leaf_hash: String,
}

/// The path from the capture's leaf to the root, and what was timestamped.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TreeProof {
    /// Leaves in the tree.
    pub size: u64,
    /// The capture's leaf index (0-based).
    pub index: u64,
    /// The audit path, bottom up (RFC 6962 §2.1.1), hex.
    pub path: Vec<String>,
    /// The tree's root, hex.
    pub root: String,
    /// The timestamped statement (`linkvault-tree-v1` ‖ size ‖ root), hex.
    pub statement: String,
    /// The hash of the imprint: sha256 | sha512.
    pub hash: String,
    /// hash(statement), hex: what each token carries.
    pub imprint: String,
    /// The run that built the tree (informative).
    #[serde(default)]
    pub run: Option<i64>,
}

/// One authority's token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenProof {
    /// The authority's URL.
    pub tsa: String,
    /// The signing certificate's name (informative; checked against the token).
    pub signer: String,
    /// The token's time, RFC 3339 (informative; checked against the token).
    pub gen_time: String,
    /// The `TimeStampResp` as received, base64.
    pub tsr: String,
    /// The same bytes' file beside the proof, if written.
    #[serde(default)]
    pub file: Option<String>,
}

/// Which capture to prove.
#[derive(Debug, Clone)]
pub enum Target<'a> {
    /// A snapshot's hash, or a unique prefix of it.
    Hash(&'a str),
    /// The copy of a URL held at a time (the latest when none).
    Url {
        /// The reference's or article's URL.
        url: &'a str,
        /// At or before this time.
        at: Option<Timestamp>,
    },
}

/// Why a proof could not be made or does not hold.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// The record could not be read.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The hash or URL does not name a capture.
    #[error(transparent)]
    Target(#[from] RestoreError),
    /// The capture is in no tree: it was made while timestamps were off, or since the last run.
    #[error("{0} is not in any timestamped tree yet: set [timestamp] tsa in config.toml and run `linkvault run`; the run covers every capture made so far")]
    NotCovered(String),
    /// The capture's tree has no token yet.
    #[error("{sha256} is in tree {tree} (built {built}), which no timestamp authority has answered for yet: run `linkvault run` again when one is reachable ({why})")]
    Pending {
        /// The capture's hash.
        sha256: String,
        /// Its tree.
        tree: i64,
        /// When the tree was built.
        built: String,
        /// The last failure recorded.
        why: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file is not a proof linkvault can read.
    #[error("not a linkvault proof: {0}")]
    Malformed(String),
    /// The proof does not hold: what fails.
    #[error("the proof does NOT hold: {0}")]
    Fails(String),
    /// One of its tokens does not verify.
    #[error("the proof does NOT hold: timestamp {n} ({tsa}): {source}")]
    Token {
        /// Its position, from 1.
        n: usize,
        /// The authority it names.
        tsa: String,
        /// Why it fails.
        source: TokenError,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ProofError + '_ {
    move |source| ProofError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Builds the proof of the capture `target` names, from the record.
pub fn build(db: &Db, target: &Target<'_>) -> Result<Proof, ProofError> {
    let (sha, url, at) = match target {
        Target::Hash(h) => (restore::resolve_hash(db, h)?, None, None),
        Target::Url { url, at } => (restore::resolve_url(db, url, *at)?, Some(*url), *at),
    };
    let mut leaves = db.leaves_of_hash(&sha)?;
    if let Some(u) = url {
        let keys = crate::urlkey::lookup_keys(u);
        if leaves.iter().any(|(_, _, l)| keys.contains(&l.url)) {
            leaves.retain(|(_, _, l)| keys.contains(&l.url));
        }
    }
    if let Some(t) = at {
        leaves.retain(|(_, _, l)| l.captured_at <= t);
    }
    if leaves.is_empty() {
        return Err(ProofError::NotCovered(sha));
    }
    // The earliest capture in a timestamped tree; else say which tree waits.
    let mut pending = None;
    for (tree_id, index, _) in &leaves {
        match Stamped::load(db, *tree_id)? {
            Some(tree) => return tree.proof(db, *index),
            None => {
                pending.get_or_insert(*tree_id);
            }
        }
    }
    let tree_id = pending.unwrap_or_default();
    let tree = db.tree(tree_id)?;
    Err(ProofError::Pending {
        sha256: sha,
        tree: tree_id,
        built: tree
            .as_ref()
            .map(|t| clock::format(t.created_at))
            .unwrap_or_default(),
        why: tree
            .and_then(|t| t.last_error)
            .unwrap_or_else(|| "not asked yet".into()),
    })
}

/// A timestamped tree loaded once (leaves, levels, tokens), to prove any of its captures
/// (`export warc` writes a proof for each).
#[derive(Debug, Clone)]
pub struct Stamped {
    tree: crate::db::TreeRow,
    levels: merkle::Levels,
    tokens: Vec<crate::db::TokenRow>,
}

impl Stamped {
    /// Tree `tree_id` with its tokens; `None` while no authority has timestamped it. Holds
    /// the leaves' hashes only (32 bytes each); a leaf's data is read when it is proved.
    pub fn load(db: &Db, tree_id: i64) -> Result<Option<Stamped>, ProofError> {
        let tokens = db.tree_tokens(tree_id)?;
        if tokens.is_empty() {
            return Ok(None);
        }
        let tree = db
            .tree(tree_id)?
            .ok_or_else(|| ProofError::Malformed(format!("tree {tree_id} is not recorded")))?;
        let bad = |what: &str| ProofError::Malformed(format!("tree {tree_id}: {what}"));
        let mut hashes: Vec<Hash> = Vec::with_capacity(usize::try_from(tree.size).unwrap_or(0));
        db.for_each_tree_leaf(tree_id, |r| {
            let leaf = leaf_of(&r).ok_or_else(|| bad("a leaf cannot be read"))?;
            hashes.push(leaf.hash());
            Ok::<(), ProofError>(())
        })?;
        let levels = merkle::Levels::new(hashes).ok_or_else(|| bad("no leaves"))?;
        if levels.root().as_slice() != tree.root.as_slice() || levels.size() as u64 != tree.size {
            return Err(bad(
                "its leaves no longer give its root (the record was altered)",
            ));
        }
        Ok(Some(Stamped {
            tree,
            levels,
            tokens,
        }))
    }

    /// The proof of leaf `index`.
    pub fn proof(&self, db: &Db, index: u64) -> Result<Proof, ProofError> {
        let tree = &self.tree;
        let bad = |what: &str| ProofError::Malformed(format!("tree {}: {what}", tree.id));
        let i = usize::try_from(index).map_err(|_| bad("leaf index out of range"))?;
        let leaf_row = &db
            .tree_leaf(tree.id, index)?
            .ok_or_else(|| bad("no such leaf"))?;
        let leaf = leaf_of(leaf_row).ok_or_else(|| bad("the leaf cannot be read"))?;
        let path = self
            .levels
            .path(i)
            .ok_or_else(|| bad("no path for the leaf"))?;
        let root = self.levels.root();
        let alg = HashAlg::parse(&tree.alg).ok_or_else(|| bad("unknown hash"))?;
        let stmt = statement(tree.size, &root);
        let timestamps = self
            .tokens
            .iter()
            .map(|t| TokenProof {
                tsa: t.tsa.clone(),
                signer: t.signer.clone(),
                gen_time: t.gen_time_text.clone(),
                tsr: base64::engine::general_purpose::STANDARD.encode(&t.response),
                file: None,
            })
            .collect();
        let first = self
            .tokens
            .first()
            .map(|t| t.gen_time_text.clone())
            .unwrap_or_default();
        Ok(Proof {
            format: FORMAT.into(),
            claim: format!(
                "The {} of {} with SHA-256 {}, which linkvault records as captured at {}, existed no later than {first}, the earliest time a timestamp authority signed for the tree that holds it.",
                kind_name(leaf.kind).replace('-', " "),
                leaf.url,
                leaf_row.sha256,
                clock::format(leaf.captured_at)
            ),
            capture: Capture {
                kind: kind_name(leaf.kind).into(),
                sha256: leaf_row.sha256.clone(),
                captured_at: clock::format(leaf.captured_at),
                captured_at_unix: leaf.captured_at,
                url: leaf.url.clone(),
                leaf_hash: to_hex(&leaf.hash()),
            },
            tree: TreeProof {
                size: tree.size,
                index,
                path: path.iter().map(|h| to_hex(h)).collect(),
                root: to_hex(&root),
                statement: to_hex(&stmt),
                hash: alg.name().into(),
                imprint: to_hex(&alg.digest(&stmt)),
                run: tree.run_id,
            },
            timestamps,
            openssl: Vec::new(),
        })
    }
}

/// Writes the proof to `path` (JSON) with, beside it, `STEM.statement` (the timestamped bytes)
/// and per token `STEM.N.tsr` (the response as received) and `STEM.N.certs.pem` (the
/// certificates it carries). Returns every file written.
pub fn write(proof: &mut Proof, path: &Path) -> Result<Vec<PathBuf>, ProofError> {
    let dir = path.parent().unwrap_or(Path::new(""));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| ProofError::Malformed(format!("{} is not a file name", path.display())))?;
    let stem = name.strip_suffix(".json").unwrap_or(&name).to_string();
    let mut written = Vec::new();
    let statement_name = format!("{stem}.statement");
    let stmt = from_hex(&proof.tree.statement)
        .ok_or_else(|| ProofError::Malformed("statement is not hex".into()))?;
    std::fs::write(dir.join(&statement_name), &stmt).map_err(io(&dir.join(&statement_name)))?;
    written.push(dir.join(&statement_name));
    let mut commands = Vec::new();
    for (i, t) in proof.timestamps.iter_mut().enumerate() {
        let n = i + 1;
        let tsr = base64::engine::general_purpose::STANDARD
            .decode(t.tsr.as_bytes())
            .map_err(|e| ProofError::Malformed(format!("timestamp {n}: {e}")))?;
        let tsr_name = format!("{stem}.{n}.tsr");
        std::fs::write(dir.join(&tsr_name), &tsr).map_err(io(&dir.join(&tsr_name)))?;
        written.push(dir.join(&tsr_name));
        let certs = token::token_of(&tsr)
            .and_then(|tok| token::verify_token(&tok, &Expect::default()))
            .map(|v| v.certificates)
            .unwrap_or_default();
        if !certs.is_empty() {
            let pem_name = format!("{stem}.{n}.certs.pem");
            std::fs::write(dir.join(&pem_name), token::pem_certificates(&certs))
                .map_err(io(&dir.join(&pem_name)))?;
            written.push(dir.join(&pem_name));
        }
        commands.push(format!(
            "openssl ts -verify -digest {} -{} -in {tsr_name} -CAfile CA-OF-{}.pem",
            proof.tree.imprint,
            proof.tree.hash,
            sanitize(&t.signer)
        ));
        commands.push(format!(
            "openssl ts -verify -data {statement_name} -in {tsr_name} -CAfile CA-OF-{}.pem",
            sanitize(&t.signer)
        ));
        t.file = Some(tsr_name);
    }
    proof.openssl = commands;
    let mut json =
        serde_json::to_string_pretty(proof).map_err(|e| ProofError::Malformed(e.to_string()))?;
    json.push('\n');
    std::fs::write(path, json).map_err(io(path))?;
    written.insert(0, path.to_path_buf());
    Ok(written)
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// What a proof check established.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The capture, as its leaf states it.
    pub leaf: Leaf,
    /// The capture's hash, hex.
    pub sha256: String,
    /// The tree's size.
    pub size: u64,
    /// The leaf's index.
    pub index: u64,
    /// The root, hex.
    pub root: String,
    /// Each token: the authority's URL and what the token says.
    pub tokens: Vec<(String, Verified)>,
}

/// Checks the proof in `path` offline; with `file`, also that its bytes are the capture's (a
/// mismatch is an error); with `anchors` (DER CA certificates), that every token's chain leads
/// to one of them.
pub fn check(path: &Path, file: Option<&Path>, anchors: &[Vec<u8>]) -> Result<Checked, ProofError> {
    let text = std::fs::read(path).map_err(io(path))?;
    let proof: Proof =
        serde_json::from_slice(&text).map_err(|e| ProofError::Malformed(e.to_string()))?;
    if proof.format != FORMAT {
        return Err(ProofError::Malformed(format!(
            "format is `{}`, this linkvault reads `{FORMAT}`",
            proof.format
        )));
    }
    let fails = |s: String| ProofError::Fails(s);
    let c = &proof.capture;
    let kind = kind_from_name(&c.kind)
        .ok_or_else(|| ProofError::Malformed(format!("unknown capture kind `{}`", c.kind)))?;
    let sha = hash_from_hex(&c.sha256)
        .ok_or_else(|| ProofError::Malformed("capture.sha256 is not 64 hex digits".into()))?;
    if clock::parse(&c.captured_at) != Some(c.captured_at_unix) {
        return Err(fails(format!(
            "captured_at `{}` is not the hashed time {}",
            c.captured_at,
            clock::format(c.captured_at_unix)
        )));
    }
    let leaf = Leaf {
        kind,
        sha256: sha,
        captured_at: c.captured_at_unix,
        url: c.url.clone(),
    };
    let leaf_hash = leaf.hash();
    if to_hex(&leaf_hash) != c.leaf_hash.to_ascii_lowercase() {
        return Err(fails(
            "leaf_hash is not the hash of the capture's hash, time and URL".into(),
        ));
    }
    if let Some(f) = file {
        let (got, _) = crate::store::hash_file(f).map_err(io(f))?;
        if got != to_hex(&sha) {
            return Err(fails(format!(
                "{} has SHA-256 {got}, not the captured {}",
                f.display(),
                c.sha256
            )));
        }
    }
    let t = &proof.tree;
    let path_hashes: Vec<Hash> = t
        .path
        .iter()
        .map(|h| hash_from_hex(h))
        .collect::<Option<_>>()
        .ok_or_else(|| {
            ProofError::Malformed("tree.path holds a value that is not a hash".into())
        })?;
    let root = hash_from_hex(&t.root)
        .ok_or_else(|| ProofError::Malformed("tree.root is not a hash".into()))?;
    if !merkle::verify(&leaf_hash, t.index, t.size, &path_hashes, &root) {
        return Err(fails(format!(
            "the Merkle path does not lead from this capture (leaf {} of {}) to the root {}",
            t.index, t.size, t.root
        )));
    }
    let stmt = statement(t.size, &root);
    if from_hex(&t.statement).as_deref() != Some(stmt.as_slice()) {
        return Err(fails(
            "tree.statement is not `linkvault-tree-v1` ‖ size ‖ root".into(),
        ));
    }
    let alg = HashAlg::parse(&t.hash)
        .ok_or_else(|| ProofError::Malformed(format!("unknown hash `{}`", t.hash)))?;
    let imprint = alg.digest(&stmt);
    if from_hex(&t.imprint).as_deref() != Some(imprint.as_slice()) {
        return Err(fails(format!(
            "tree.imprint is not {}(statement)",
            alg.name()
        )));
    }
    if proof.timestamps.is_empty() {
        return Err(fails("it holds no timestamp token".into()));
    }
    let mut tokens = Vec::new();
    for (i, tp) in proof.timestamps.iter().enumerate() {
        let n = i + 1;
        let err = |source| ProofError::Token {
            n,
            tsa: tp.tsa.clone(),
            source,
        };
        let tsr = base64::engine::general_purpose::STANDARD
            .decode(tp.tsr.trim().as_bytes())
            .map_err(|e| err(TokenError::Malformed(format!("tsr is not base64: {e}"))))?;
        let v = token::verify_response(
            &tsr,
            &Expect {
                imprint: Some((alg, &imprint)),
                nonce: None,
                window: None,
                anchors,
            },
        )
        .map_err(err)?;
        if v.gen_time_text != tp.gen_time || v.signer != tp.signer {
            return Err(err(TokenError::Invalid(format!(
                "the proof says {} at {}, the token {} at {}",
                tp.signer, tp.gen_time, v.signer, v.gen_time_text
            ))));
        }
        tokens.push((tp.tsa.clone(), v));
    }
    Ok(Checked {
        leaf,
        sha256: c.sha256.to_ascii_lowercase(),
        size: t.size,
        index: t.index,
        root: t.root.to_ascii_lowercase(),
        tokens,
    })
}
