//! The rendering step of reading an article: which versions are rendered (a new one, or one
//! not rendered yet), the screenshot made durable in the store before anything records it,
//! and the references the rendered page adds to the static ones.

use std::collections::HashSet;

use url::Url;

use crate::extract::{extract_html, looks_like_html, ExtractOptions, FoundRef};
use crate::render::{RenderError, Rendered, Renderer};
use crate::store::{Store, StoredObject, WriteError};

/// A rendering of one article version, its screenshot already in the store.
pub(super) struct RenderedArticle {
    pub(super) result: Result<Rendered, RenderError>,
    pub(super) screenshot: Option<StoredObject>,
}

/// Whether a version read is rendered: an HTML page (not a feed, not text), not rendered
/// before in this version.
pub(super) fn wants_render(
    content_type: Option<&str>,
    bytes: &[u8],
    sha256: &str,
    rendered: Option<&str>,
) -> bool {
    if rendered == Some(sha256) {
        return false;
    }
    match content_type.map(crate::extract::mime_essence) {
        Some(t) if t == "text/html" || t == "application/xhtml+xml" => true,
        _ => looks_like_html(bytes),
    }
}

/// Renders `url`; the screenshot's bytes go to the store (durably) and are dropped.
pub(super) async fn render_article(
    renderer: &Renderer,
    store: &Store,
    url: &str,
) -> Result<RenderedArticle, WriteError> {
    let mut result = renderer.render(url).await;
    let mut screenshot = None;
    if let Ok(r) = &mut result {
        if let Some(shot) = &mut r.screenshot {
            let png = std::mem::take(&mut shot.png);
            let store = store.clone();
            let stored = tokio::task::spawn_blocking(move || store.put(&png))
                .await
                .map_err(|e| WriteError::Io {
                    path: "screenshot".into(),
                    source: std::io::Error::other(format!("storing the screenshot failed: {e}")),
                })?;
            screenshot = Some(stored?);
        }
    }
    Ok(RenderedArticle { result, screenshot })
}

/// The references the rendered page adds to `static_refs`: those of its DOM (`rendered:…`),
/// then the media it loaded (`network:…`), each URL once.
pub(super) fn added_refs(
    r: &Rendered,
    static_refs: &[FoundRef],
    static_base: Option<&Url>,
    opts: &ExtractOptions,
) -> Vec<FoundRef> {
    let mut seen: HashSet<Url> = static_refs.iter().map(|f| f.url.clone()).collect();
    let mut out: Vec<FoundRef> = Vec::new();
    // A saved file renders at a `file:` URL: its references resolve against the page's
    // own base (canonical URL) as in the static reading.
    let doc = r
        .final_url
        .as_deref()
        .and_then(|u| Url::parse(u).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .or_else(|| static_base.cloned());
    let dom_refs = r
        .dom
        .as_deref()
        .map(|dom| extract_html(dom.as_bytes(), doc.as_ref(), opts).refs)
        .unwrap_or_default();
    let media = r.media.iter().map(|m| FoundRef {
        url: m.url.clone(),
        kind: m.kind,
        found_in: m.found_in.to_string(),
    });
    let candidates: Vec<FoundRef> = dom_refs
        .into_iter()
        .map(|mut f| {
            f.found_in = format!("rendered:{}", f.found_in);
            f
        })
        .chain(media)
        .collect();
    for f in candidates {
        if seen.insert(f.url.clone()) {
            out.push(f);
        }
    }
    out
}

/// What to say about a rendering that did not happen (`None`: nothing worth saying). What
/// concerns the browser itself is said once per run, not once per article.
pub(super) fn failure_message(renderer: &Renderer, name: &str, e: &RenderError) -> Option<String> {
    match e {
        RenderError::Unavailable => None,
        RenderError::Missing(m) => renderer.first_to_say().then(|| format!("warning: {m}")),
        RenderError::Launch(_) => renderer.first_to_say().then(|| {
            format!("warning: pages are not rendered this run: {e}; references from the static HTML are kept")
        }),
        e => Some(format!(
            "{name}: not rendered ({e}); its references from the static HTML are kept, and it is rendered again when next read"
        )),
    }
}
