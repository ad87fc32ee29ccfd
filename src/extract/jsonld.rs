//! Structured data in `<script type="application/ld+json">` (schema.org as JSON-LD): what a
//! page says about itself. Blocks come parsed by the HTML walker; this module only reads them.
//!
//! A block is an object, an array of objects, or an object whose `@graph` lists them. The
//! article's own node is the one typed as a kind of `Article` (or a `WebPage`/`Posting`), so a
//! date of the publisher, of a comment or of a breadcrumb is not taken for the article's.
//!
//! Media ([`media_refs`]) come from two places: nodes typed `ImageObject`, `VideoObject`,
//! `AudioObject` or `MediaObject` (their `url`, `contentUrl`, `embedUrl`, `thumbnailUrl`,
//! `thumbnail`), and the `image`, `primaryImageOfPage`, `thumbnailUrl`, `video`, `audio` and
//! `associatedMedia` of every other node (the article, its web page, a recipe), whose values
//! may be URLs, lists or nested media objects. Publishers, authors, organizations, web sites
//! and breadcrumbs are page furniture: never read, and a media node they point at by `@id`
//! (the publisher's logo listed on its own in `@graph`) is not reported either. Each reference
//! is named by the type of the node that holds the key and the key:
//! `json-ld[VideoObject.contentUrl]`, `json-ld[NewsArticle.image]`; an untyped object is named
//! by the type its property implies (`image` holds an `ImageObject`).

use std::borrow::Cow;
use std::collections::HashSet;

use serde_json::Value;

use super::raw::{KindRule, RawRef};
use crate::model::Kind;

/// Nodes are looked at this deep at most (real pages nest two or three levels).
const MAX_DEPTH: usize = 8;

/// JSON values the media walk visits per page at most: with the walker's 1 MiB cap on
/// JSON-LD text this only bounds pathological blocks (a list of 100,000 image URLs).
const MAX_MEDIA_VISITS: usize = 50_000;

/// The article's `key` (e.g. `datePublished`) as written, from the first node typed as an
/// article, else a web page, else any top-level node that has it.
pub(super) fn article_date(blocks: &[Value], key: &str) -> Option<String> {
    let mut nodes = Vec::new();
    for b in blocks {
        top_nodes(b, 0, &mut nodes);
    }
    let date = |n: &&Value| n.get(key).and_then(as_text);
    nodes
        .iter()
        .filter(|n| is_type(n, is_article_type))
        .find_map(date)
        .or_else(|| {
            nodes
                .iter()
                .filter(|n| is_type(n, |t| t.ends_with("WebPage")))
                .find_map(date)
        })
        .or_else(|| nodes.iter().find_map(date))
}

/// The nodes a block describes at its top: itself, the members of an array, or of `@graph`.
fn top_nodes<'a>(v: &'a Value, depth: usize, out: &mut Vec<&'a Value>) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Array(items) => items.iter().for_each(|i| top_nodes(i, depth + 1, out)),
        Value::Object(map) => {
            if let Some(graph) = map.get("@graph") {
                top_nodes(graph, depth + 1, out);
            }
            out.push(v);
        }
        _ => {}
    }
}

/// Whether the node's `@type` (a string or a list) satisfies `pred`.
fn is_type(node: &Value, pred: impl Fn(&str) -> bool) -> bool {
    match node.get("@type") {
        Some(Value::String(t)) => pred(short_type(t)),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .any(|t| pred(short_type(t))),
        _ => false,
    }
}

/// `http://schema.org/NewsArticle` and `schema:NewsArticle` are `NewsArticle`.
pub(super) fn short_type(t: &str) -> &str {
    t.rsplit(['/', ':', '#']).next().unwrap_or(t)
}

fn is_article_type(t: &str) -> bool {
    t.ends_with("Article") || t.ends_with("Posting") || t == "Report" || t == "Review"
}

/// A date is a string, or (rarely) an object with `@value`.
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(m) => m.get("@value").and_then(Value::as_str).map(str::to_owned),
        Value::Array(items) => items.iter().find_map(as_text),
        _ => None,
    }
}

/// What the walk may still visit on this page; shared by all of a page's blocks.
pub(super) struct MediaBudget(usize);

impl Default for MediaBudget {
    fn default() -> Self {
        MediaBudget(MAX_MEDIA_VISITS)
    }
}

impl MediaBudget {
    fn take(&mut self) -> bool {
        let left = self.0 > 0;
        self.0 = self.0.saturating_sub(1);
        left
    }
}

/// The kinds of schema.org `MediaObject`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MediaType {
    Image,
    Video,
    Audio,
    Media,
}

impl MediaType {
    /// The media type a short schema.org type names (`MusicVideoObject` is a video).
    pub(super) fn of(short: &str) -> Option<MediaType> {
        Some(if short.ends_with("VideoObject") {
            MediaType::Video
        } else if short.ends_with("AudioObject") {
            MediaType::Audio
        } else if short.ends_with("ImageObject") {
            MediaType::Image
        } else if short == "MediaObject" {
            MediaType::Media
        } else {
            return None;
        })
    }

    /// The type an untyped object stands for when it fills a property of this media type.
    fn implied_name(self) -> &'static str {
        match self {
            MediaType::Image => "ImageObject",
            MediaType::Video => "VideoObject",
            MediaType::Audio => "AudioObject",
            MediaType::Media => "MediaObject",
        }
    }

    /// How the kind of each URL property of a node of this type is decided, in the order
    /// they are read (the first sighting of a URL names it).
    fn url_keys(self) -> [(&'static str, KindRule); 4] {
        let (url, content) = match self {
            MediaType::Image => (
                KindRule::Element(Kind::Image),
                KindRule::Element(Kind::Image),
            ),
            MediaType::Video => (KindRule::UrlOnly, KindRule::Element(Kind::Video)),
            MediaType::Audio => (KindRule::UrlOnly, KindRule::Element(Kind::Audio)),
            MediaType::Media => (KindRule::UrlOnly, KindRule::FromUrl(Kind::Other)),
        };
        [
            ("url", url),
            ("contentUrl", content),
            ("embedUrl", KindRule::FromUrl(Kind::Embed)),
            ("thumbnailUrl", KindRule::Element(Kind::Image)),
        ]
    }

    /// The rule for a bare URL given where a node of this type is expected.
    fn value_rule(self) -> KindRule {
        match self {
            MediaType::Image => KindRule::Element(Kind::Image),
            MediaType::Video => KindRule::FromUrl(Kind::Video),
            MediaType::Audio => KindRule::FromUrl(Kind::Audio),
            MediaType::Media => KindRule::FromUrl(Kind::Other),
        }
    }
}

/// Publishers, authors and site-wide nodes: their images are logos and portraits.
pub(super) fn is_furniture_type(short: &str) -> bool {
    short.ends_with("Organization")
        || matches!(
            short,
            "Person"
                | "Brand"
                | "Corporation"
                | "LocalBusiness"
                | "NGO"
                | "WebSite"
                | "BreadcrumbList"
                | "SiteNavigationElement"
                | "WPHeader"
                | "WPFooter"
                | "WPSideBar"
                | "WPAdBlock"
        )
}

/// The article's media in one parsed block, appended to `out` as document-level references.
pub(super) fn media_refs(block: &Value, budget: &mut MediaBudget, out: &mut Vec<RawRef>) {
    let mut tops = Vec::new();
    top_nodes(block, 0, &mut tops);
    let mut walk = MediaWalk {
        out,
        budget,
        node_ids: tops.iter().filter_map(|n| n.get("@id")?.as_str()).collect(),
        furniture_ids: HashSet::new(),
    };
    for node in &tops {
        if is_type(node, is_furniture_type) {
            walk.furniture(node, 0);
        }
    }
    for node in &tops {
        if is_type(node, is_furniture_type) {
            continue;
        }
        match node_media_type(node) {
            Some(media) => walk.media_node(node, media, &type_name(node), 0),
            None => walk.work_node(node, 0),
        }
    }
}

struct MediaWalk<'a, 'v> {
    out: &'a mut Vec<RawRef>,
    budget: &'a mut MediaBudget,
    /// `@id`s of the block's top-level nodes: a reference to one is not a URL to fetch.
    node_ids: HashSet<&'v str>,
    /// `@id`s furniture nodes hold or point at (`"logo": {"@id": "…#logo"}`).
    furniture_ids: HashSet<&'v str>,
}

impl<'v> MediaWalk<'_, 'v> {
    fn push(&mut self, url: &str, rule: KindRule, holder: &str, key: &str) {
        self.out.push(RawRef::document(
            url.to_owned(),
            rule,
            Cow::Owned(format!("json-ld[{holder}.{key}]")),
        ));
    }

    fn furniture(&mut self, v: &'v Value, depth: usize) {
        if depth > MAX_DEPTH || !self.budget.take() {
            return;
        }
        match v {
            Value::Array(items) => items.iter().for_each(|i| self.furniture(i, depth + 1)),
            Value::Object(map) => {
                if let Some(id) = map.get("@id").and_then(Value::as_str) {
                    self.furniture_ids.insert(id);
                }
                map.values().for_each(|i| self.furniture(i, depth + 1));
            }
            _ => {}
        }
    }

    /// The media an article, a web page or any other non-furniture node names.
    fn work_node(&mut self, node: &'v Value, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let holder = type_name(node);
        for (key, media) in [
            ("image", MediaType::Image),
            ("primaryImageOfPage", MediaType::Image),
            ("thumbnailUrl", MediaType::Image),
            ("video", MediaType::Video),
            ("audio", MediaType::Audio),
            ("associatedMedia", MediaType::Media),
        ] {
            if let Some(v) = node.get(key) {
                self.value(v, media, &holder, key, depth + 1);
            }
        }
        // A web page's main entity is the article itself.
        let entities = match node.get("mainEntity") {
            Some(Value::Array(items)) => items.as_slice(),
            Some(v @ Value::Object(_)) => std::slice::from_ref(v),
            _ => &[],
        };
        for entity in entities {
            if !self.budget.take() || is_type(entity, is_furniture_type) {
                continue;
            }
            match node_media_type(entity) {
                Some(media) => self.media_node(entity, media, &type_name(entity), depth + 1),
                None => self.work_node(entity, depth + 1),
            }
        }
    }

    /// A property value where a media object of type `media` is expected: a URL, a list, or
    /// a (nested) media object.
    fn value(&mut self, v: &'v Value, media: MediaType, holder: &str, key: &str, depth: usize) {
        if depth > MAX_DEPTH || !self.budget.take() {
            return;
        }
        match v {
            Value::String(url) => self.push(url, media.value_rule(), holder, key),
            Value::Array(items) => {
                for item in items {
                    self.value(item, media, holder, key, depth + 1);
                }
            }
            Value::Object(_) if is_type(v, is_furniture_type) => {}
            Value::Object(_) => match node_media_type(v) {
                Some(own) => self.media_node(v, own, &type_name(v), depth + 1),
                None => self.media_node(v, media, media.implied_name(), depth + 1),
            },
            _ => {}
        }
    }

    /// A media object's own URLs; one with neither `url` nor `contentUrl` may be named by its
    /// `@id` alone (`"image": {"@id": "https://cdn.example/a.jpg"}`).
    fn media_node(&mut self, node: &'v Value, media: MediaType, holder: &str, depth: usize) {
        if depth > MAX_DEPTH || !self.budget.take() {
            return;
        }
        let id = node.get("@id").and_then(Value::as_str);
        if id.is_some_and(|id| self.furniture_ids.contains(id)) {
            return;
        }
        for (key, rule) in media.url_keys() {
            if let Some(v) = node.get(key) {
                self.urls(v, rule, holder, key, depth + 1);
            }
        }
        if let Some(thumbnail) = node.get("thumbnail") {
            self.value(thumbnail, MediaType::Image, holder, "thumbnail", depth + 1);
        }
        let named = node.get("url").is_some() || node.get("contentUrl").is_some();
        // A top-level node's `@id` is its own; a nested one's may point at another node.
        let points_elsewhere = |id: &str| depth > 0 && self.node_ids.contains(id);
        if let Some(id) = id.filter(|id| !named && self.is_url_id(id) && !points_elsewhere(id)) {
            let rule = match media {
                MediaType::Image => KindRule::Element(Kind::Image),
                _ => KindRule::UrlOnly,
            };
            self.push(id, rule, holder, "@id");
        }
    }

    /// A URL property's value: a string, a list of them, or an object with `url` or `@id`.
    fn urls(&mut self, v: &'v Value, rule: KindRule, holder: &str, key: &str, depth: usize) {
        if depth > MAX_DEPTH || !self.budget.take() {
            return;
        }
        match v {
            Value::String(url) => self.push(url, rule, holder, key),
            Value::Array(items) => {
                for item in items {
                    self.urls(item, rule, holder, key, depth + 1);
                }
            }
            Value::Object(map) => {
                let url = map.get("url").and_then(Value::as_str).or_else(|| {
                    map.get("@id")
                        .and_then(Value::as_str)
                        .filter(|id| self.is_url_id(id) && !self.node_ids.contains(id))
                });
                if let Some(url) = url {
                    self.push(url, rule, holder, key);
                }
            }
            _ => {}
        }
    }

    /// Whether an `@id` may name a resource to fetch rather than a node: an http(s) or
    /// root-relative URL without fragment that furniture does not use.
    fn is_url_id(&self, id: &str) -> bool {
        let lower_starts = |p: &str| id.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
        (lower_starts("http://") || lower_starts("https://") || id.starts_with('/'))
            && !id.contains('#')
            && !self.furniture_ids.contains(id)
    }
}

/// The media type of a node, by its `@type`s (a video before an image, a generic
/// `MediaObject` last).
fn node_media_type(node: &Value) -> Option<MediaType> {
    let mut best: Option<MediaType> = None;
    let mut consider = |t: &str| {
        if let Some(m) = MediaType::of(short_type(t)) {
            if best.is_none_or(|b| b == MediaType::Media) {
                best = Some(m);
            }
        }
    };
    match node.get("@type") {
        Some(Value::String(t)) => consider(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).for_each(consider),
        _ => {}
    }
    best
}

/// The node's first `@type`, short, for labels: `NewsArticle`, or `Thing` when it has none
/// (or one that is not a plain name, so a label never carries arbitrary text).
fn type_name(node: &Value) -> Cow<'static, str> {
    let first = match node.get("@type") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Array(ts)) => ts.iter().find_map(Value::as_str),
        _ => None,
    };
    match first.map(short_type) {
        Some(t)
            if (1..=64).contains(&t.len())
                && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            Cow::Owned(t.to_owned())
        }
        _ => Cow::Borrowed("Thing"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_article_node_wins_over_other_nodes() {
        let blocks = [json!({"@context": "https://schema.org", "@graph": [
            {"@type": "Organization", "datePublished": "2001-01-01"},
            {"@type": "WebPage", "datePublished": "2018-09-16"},
            {"@type": ["NewsArticle"], "datePublished": "2018-09-15T10:00:00+02:00"}
        ]})];
        assert_eq!(
            article_date(&blocks, "datePublished").as_deref(),
            Some("2018-09-15T10:00:00+02:00")
        );
    }

    #[test]
    fn arrays_untyped_nodes_and_missing_keys() {
        let blocks = [json!([{"name": "x"}, {"datePublished": "2018-01-02"}])];
        assert_eq!(
            article_date(&blocks, "datePublished").as_deref(),
            Some("2018-01-02")
        );
        assert_eq!(article_date(&blocks, "dateCreated"), None);
        assert_eq!(
            article_date(&[json!("just a string")], "datePublished"),
            None
        );
    }
}
