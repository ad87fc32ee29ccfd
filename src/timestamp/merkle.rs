//! The Merkle tree over a run's captures, as RFC 6962 (Certificate Transparency) defines it, so
//! one timestamp over its root covers every capture, and a short path proves any one of them.
//!
//! - A leaf's hash is `SHA-256(0x00 ‖ data)`, an inner node's `SHA-256(0x01 ‖ left ‖ right)`:
//!   the prefixes keep a leaf from ever passing for a node (second-preimage safety).
//! - The tree over `n` leaves splits at the largest power of two below `n` (RFC 6962 §2.1): no
//!   leaf is duplicated, so the same captures always give the same root.
//! - A leaf's data ([`Leaf::encode`]) is unambiguous: a version tag, what was captured (a
//!   reference's snapshot, an article version, a screenshot, a rescued memento), the SHA-256 of
//!   its bytes, when it was captured, and its URL, each length-delimited.

use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// What a leaf stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafKind {
    /// A reference's body, fetched by linkvault.
    Snapshot = 1,
    /// A version of an article page (or saved file) as read.
    ArticleVersion = 2,
    /// A browser's screenshot of an article version.
    Screenshot = 3,
    /// A memento fetched from a web archive: captured by that archive, kept by linkvault.
    RescuedMemento = 4,
}

/// One capture, as a leaf of a run's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    /// What the capture is.
    pub kind: LeafKind,
    /// SHA-256 of the captured bytes.
    pub sha256: Hash,
    /// When it was captured, in Unix seconds.
    pub captured_at: i64,
    /// The URL it was captured from (for a memento, the original URL).
    pub url: String,
}

/// The tag every leaf's data starts with; a new encoding gets a new tag.
const LEAF_TAG: &[u8] = b"linkvault-capture-v1";

impl Leaf {
    /// The leaf's data: tag, kind (one byte), SHA-256 (32 bytes), capture time (8 bytes,
    /// big-endian, signed), URL length (4 bytes, big-endian) and the URL's UTF-8 bytes.
    pub fn encode(&self) -> Vec<u8> {
        let url = self.url.as_bytes();
        let mut out = Vec::with_capacity(LEAF_TAG.len() + 1 + 32 + 8 + 4 + url.len());
        out.extend_from_slice(LEAF_TAG);
        out.push(self.kind as u8);
        out.extend_from_slice(&self.sha256);
        out.extend_from_slice(&self.captured_at.to_be_bytes());
        let len = u32::try_from(url.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&url[..len as usize]);
        out
    }

    /// `SHA-256(0x00 ‖ data)`.
    pub fn hash(&self) -> Hash {
        leaf_hash(&self.encode())
    }
}

/// `SHA-256(0x00 ‖ data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly below `n` (`n` ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// The root over leaf hashes (RFC 6962 MTH); `None` for no leaves.
pub fn root(leaves: &[Hash]) -> Option<Hash> {
    match leaves.len() {
        0 => None,
        1 => Some(leaves[0]),
        n => {
            let k = split(n);
            Some(node_hash(&root(&leaves[..k])?, &root(&leaves[k..])?))
        }
    }
}

/// The audit path of leaf `index` (RFC 6962 PATH), bottom-up; `None` when out of range.
pub fn path(leaves: &[Hash], index: usize) -> Option<Vec<Hash>> {
    if index >= leaves.len() {
        return None;
    }
    let mut out = Vec::new();
    collect_path(leaves, index, &mut out)?;
    Some(out)
}

fn collect_path(leaves: &[Hash], index: usize, out: &mut Vec<Hash>) -> Option<()> {
    let n = leaves.len();
    if n <= 1 {
        return Some(());
    }
    let k = split(n);
    if index < k {
        collect_path(&leaves[..k], index, out)?;
        out.push(root(&leaves[k..])?);
    } else {
        collect_path(&leaves[k..], index - k, out)?;
        out.push(root(&leaves[..k])?);
    }
    Some(())
}

/// Every level of a tree, built once, for many paths: the RFC 6962 tree is the one built
/// bottom-up pairing nodes left to right, an unpaired last node carried up unchanged. `path` is
/// then O(log n), where [`path`] is O(n) per call.
#[derive(Debug, Clone)]
pub struct Levels {
    levels: Vec<Vec<Hash>>,
}

impl Levels {
    /// Builds the levels over leaf hashes; `None` for no leaves.
    pub fn new(leaves: Vec<Hash>) -> Option<Levels> {
        if leaves.is_empty() {
            return None;
        }
        let mut levels = vec![leaves];
        while let Some(below) = levels.last().filter(|l| l.len() > 1) {
            let up: Vec<Hash> = below
                .chunks(2)
                .map(|pair| match pair {
                    [l, r] => node_hash(l, r),
                    [single] => *single,
                    _ => unreachable!("chunks(2) yields one or two"),
                })
                .collect();
            levels.push(up);
        }
        Some(Levels { levels })
    }

    /// The number of leaves.
    pub fn size(&self) -> usize {
        self.levels[0].len()
    }

    /// The root.
    pub fn root(&self) -> Hash {
        self.levels[self.levels.len() - 1][0]
    }

    /// The audit path of leaf `index`, bottom-up (the same as [`path`]); `None` out of range.
    pub fn path(&self, index: usize) -> Option<Vec<Hash>> {
        if index >= self.size() {
            return None;
        }
        let mut out = Vec::new();
        let mut i = index;
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = i ^ 1;
            if let Some(h) = level.get(sibling) {
                out.push(*h);
            }
            i >>= 1;
        }
        Some(out)
    }
}

/// Whether `path` proves `leaf` at `index` in a tree of `size` leaves whose root is `root`
/// (the verification of RFC 9162 §2.1.3.2).
pub fn verify(leaf: &Hash, index: u64, size: u64, path: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && r == *root
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| {
                Leaf {
                    kind: LeafKind::Snapshot,
                    sha256: [i as u8; 32],
                    captured_at: 1_700_000_000 + i as i64,
                    url: format!("https://example.org/{i}"),
                }
                .hash()
            })
            .collect()
    }

    #[test]
    fn levels_give_the_same_root_and_paths_as_the_definition() {
        assert!(Levels::new(Vec::new()).is_none());
        for n in 1..=70 {
            let l = leaves(n);
            let levels = Levels::new(l.clone()).unwrap();
            assert_eq!(levels.root(), root(&l).unwrap(), "n={n}");
            for i in 0..n {
                assert_eq!(levels.path(i), path(&l, i), "n={n} i={i}");
            }
            assert_eq!(levels.path(n), None);
        }
    }

    #[test]
    fn every_leaf_of_every_size_proves_and_nothing_else_does() {
        for n in 1..=33 {
            let l = leaves(n);
            let top = root(&l).unwrap();
            for i in 0..n {
                let p = path(&l, i).unwrap();
                assert!(verify(&l[i], i as u64, n as u64, &p, &top), "n={n} i={i}");
                // Another leaf, index, size or root fails.
                let other = l[(i + 1) % n];
                if n > 1 {
                    assert!(!verify(&other, i as u64, n as u64, &p, &top));
                    assert!(!verify(&l[i], ((i + 1) % n) as u64, n as u64, &p, &top));
                }
                // (A path does not by itself fix the tree's size: the timestamped statement
                // carries the size with the root.)
                let mut bad = top;
                bad[0] ^= 1;
                assert!(!verify(&l[i], i as u64, n as u64, &p, &bad));
                if let Some(first) = p.first() {
                    let mut tampered = p.clone();
                    tampered[0] = node_hash(first, first);
                    assert!(!verify(&l[i], i as u64, n as u64, &tampered, &top));
                }
            }
            assert!(path(&l, n).is_none());
        }
        assert!(root(&[]).is_none());
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn hash_of(s: &str) -> Hash {
        unhex(s).try_into().unwrap()
    }

    /// Certificate Transparency's own test vectors (its merkle_tree tests): the roots of the
    /// trees over the first 1–8 of these leaves, and two audit paths in the tree of 8.
    #[test]
    fn the_tree_gives_certificate_transparency_s_test_vectors() {
        let data = [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ];
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let l: Vec<Hash> = data.iter().map(|x| leaf_hash(&unhex(x))).collect();
        for n in 1..=8 {
            assert_eq!(root(&l[..n]), Some(hash_of(roots[n - 1])), "n={n}");
        }
        let top = hash_of(roots[7]);
        let p0 = path(&l, 0).unwrap();
        assert_eq!(
            p0,
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
            .map(hash_of)
        );
        assert!(verify(&l[0], 0, 8, &p0, &top));
        let p5 = path(&l, 5).unwrap();
        assert_eq!(p5[2], hash_of(roots[3]));
        assert!(verify(&l[5], 5, 8, &p5, &top));
    }

    #[test]
    fn the_tree_matches_rfc_6962_for_three_leaves() {
        let l = leaves(3);
        let expected = node_hash(&node_hash(&l[0], &l[1]), &l[2]);
        assert_eq!(root(&l), Some(expected));
        assert_eq!(path(&l, 2).unwrap(), vec![node_hash(&l[0], &l[1])]);
        assert_eq!(path(&l, 0).unwrap(), vec![l[1], l[2]]);
    }

    #[test]
    fn leaves_are_domain_separated_and_unambiguous() {
        let a = Leaf {
            kind: LeafKind::Snapshot,
            sha256: [7; 32],
            captured_at: 1,
            url: "https://e.org/a".into(),
        };
        // 64 bytes of leaf data never hash like the node of their two halves.
        let sixty_four = [9u8; 64];
        let (l, r) = sixty_four.split_at(32);
        assert_ne!(
            leaf_hash(&sixty_four),
            node_hash(l.try_into().unwrap(), r.try_into().unwrap())
        );
        let data = a.encode();
        // Each field changes the leaf.
        for b in [
            Leaf {
                kind: LeafKind::RescuedMemento,
                ..a.clone()
            },
            Leaf {
                sha256: [8; 32],
                ..a.clone()
            },
            Leaf {
                captured_at: 2,
                ..a.clone()
            },
            Leaf {
                url: "https://e.org/b".into(),
                ..a.clone()
            },
        ] {
            assert_ne!(a.hash(), b.hash());
        }
        assert!(data.starts_with(LEAF_TAG));
        assert_eq!(data.len(), LEAF_TAG.len() + 1 + 32 + 8 + 4 + a.url.len());
    }
}
