//! Placeholder until the extractor lands.
use crate::model::Kind;
pub fn kind_from_content_type(ct: &str) -> Option<Kind> {
    let ct = ct.to_ascii_lowercase();
    if ct.starts_with("image/") { Some(Kind::Image) } else { None }
}
