//! Content drift: whether two stored HTML objects differ in their visible text (an edit), not
//! just in ads and timestamps — for a reference's captures and an article's versions alike.

use super::similarity::{TextSignature, MAX_TEXT_BYTES, UNCHANGED_TEXT_SIMILARITY};
use super::Fetcher;

impl Fetcher {
    /// The visible text of a stored HTML object (its first `MAX_TEXT_BYTES`), to compare pages.
    pub fn text_signature(&self, sha256: &str) -> Option<TextSignature> {
        use std::io::Read;
        let f = std::fs::File::open(self.store.object_path(sha256)).ok()?;
        let mut buf = Vec::new();
        f.take(MAX_TEXT_BYTES as u64).read_to_end(&mut buf).ok()?;
        Some(TextSignature::of_html(&buf))
    }

    /// Whether two stored HTML objects differ in their visible text, not just in ads and
    /// timestamps (true when either cannot be read).
    pub fn text_changed(&self, old: &str, new: &str) -> bool {
        match (self.text_signature(old), self.text_signature(new)) {
            (Some(a), Some(b)) => a.similarity(&b) < UNCHANGED_TEXT_SIMILARITY,
            _ => true,
        }
    }
}
