//! Content drift: whether two stored HTML objects differ in their visible text (an edit), not
//! just in ads and timestamps — for a reference's captures and an article's versions alike.

use super::similarity::{TextSignature, MAX_TEXT_BYTES, UNCHANGED_TEXT_SIMILARITY};
use super::Fetcher;

impl Fetcher {
    /// The visible text of a stored HTML object (its first `MAX_TEXT_BYTES`), to compare pages.
    pub(crate) fn text_signature(&self, sha256: &str) -> Option<TextSignature> {
        let buf = self.store.read_prefix(sha256, MAX_TEXT_BYTES as u64).ok()?;
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
