//! Placeholder until the extractor lands.
use crate::model::Kind;
pub fn kind_from_content_type(ct: &str) -> Option<Kind> {
    let ct = ct.to_ascii_lowercase();
    if ct.starts_with("image/") { Some(Kind::Image) } else { None }
}
#[derive(Debug, Clone, Default)]
pub struct ExtractOptions { pub whole_page: bool, pub include_links: bool }
#[derive(Debug, Clone)]
pub struct FoundRef { pub url: url::Url, pub kind: Kind, pub found_in: String }
#[derive(Debug, Clone, Default)]
pub struct Extraction { pub refs: Vec<FoundRef>, pub unresolved: usize, pub outside_main: usize, pub base: Option<url::Url>, pub canonical: Option<url::Url>, pub title: Option<String> }
pub fn extract_html(_html: &[u8], _doc_url: Option<&url::Url>, _opts: &ExtractOptions) -> Extraction { Extraction::default() }
pub fn extract_text(_text: &[u8]) -> Extraction { Extraction::default() }
pub fn looks_like_html(_b: &[u8]) -> bool { true }
pub fn looks_like_feed(_b: &[u8]) -> bool { false }
#[derive(Debug)]
pub struct FeedError;
impl std::fmt::Display for FeedError { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("feed") } }
impl std::error::Error for FeedError {}
pub fn parse_feed(_xml: &[u8], _u: Option<&url::Url>) -> Result<Vec<url::Url>, FeedError> { Ok(vec![]) }
