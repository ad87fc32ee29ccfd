//! Which of the responses a rendered page received are references: images shown inside the
//! article's content, media loaded by its `<video>`/`<audio>` elements, and HLS/DASH manifests
//! its players fetched. Trackers (images never shown in the content), fonts, scripts, styles,
//! beacons and media segments stay out.

use std::collections::HashSet;

use url::Url;

use super::page::{Resource, Response};
use crate::extract::kind_from_content_type;
use crate::model::Kind;

/// A reference found in the page's network traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedMedia {
    /// The URL the page requested, normalized as references are.
    pub url: Url,
    /// `Image` for an image shown in the content, `Video` for a manifest; for what a media
    /// element loaded, the served type's kind (`Video` when the type says nothing).
    pub kind: Kind,
    /// `network:image`, `network:media` or `network:manifest`.
    pub found_in: &'static str,
}

/// Media the page loaded, once per URL, in the order first received.
pub(super) fn loaded_media(responses: &[Response], shown: &HashSet<String>) -> Vec<LoadedMedia> {
    let mut seen: HashSet<Url> = HashSet::new();
    let mut out = Vec::new();
    for r in responses {
        if !(200..300).contains(&r.status) {
            continue;
        }
        let Ok(mut url) = Url::parse(&r.url) else {
            continue;
        };
        if !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        let mime = crate::extract::mime_essence(&r.mime);
        let (kind, found_in) = match r.resource {
            Resource::Image if shown.contains(&r.url) => (Kind::Image, "network:image"),
            Resource::Media => (
                kind_from_content_type(&mime)
                    .filter(|k| k.is_media())
                    .unwrap_or(Kind::Video),
                "network:media",
            ),
            Resource::Fetch if is_manifest(&mime, &url) => (Kind::Video, "network:manifest"),
            _ => continue,
        };
        crate::urlkey::normalize(&mut url);
        if seen.insert(url.clone()) {
            out.push(LoadedMedia {
                url,
                kind,
                found_in,
            });
        }
    }
    out
}

/// An HLS playlist or a DASH manifest, by its type or (served as text) by its extension.
fn is_manifest(mime: &str, url: &Url) -> bool {
    const TYPES: [&str; 5] = [
        "application/vnd.apple.mpegurl",
        "application/x-mpegurl",
        "audio/mpegurl",
        "audio/x-mpegurl",
        "application/dash+xml",
    ];
    let path = url.path().to_ascii_lowercase();
    TYPES.contains(&mime) || path.ends_with(".m3u8") || path.ends_with(".mpd")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(url: &str, resource: Resource, mime: &str, status: i64) -> Response {
        Response {
            url: url.into(),
            resource,
            mime: mime.into(),
            status,
        }
    }

    #[test]
    fn shown_images_media_and_manifests_are_kept_the_rest_left_out() {
        let shown: HashSet<String> = ["https://cdn.example/hero.jpg".to_string()].into();
        let got = loaded_media(
            &[
                resp(
                    "https://cdn.example/hero.jpg",
                    Resource::Image,
                    "image/jpeg",
                    200,
                ),
                resp(
                    "https://t.example/pixel.gif",
                    Resource::Image,
                    "image/gif",
                    200,
                ),
                resp(
                    "https://cdn.example/clip.mp4",
                    Resource::Media,
                    "video/mp4",
                    206,
                ),
                resp(
                    "https://cdn.example/talk.mp3#t=3",
                    Resource::Media,
                    "audio/mpeg",
                    200,
                ),
                resp(
                    "https://cdn.example/live/master.m3u8",
                    Resource::Fetch,
                    "application/vnd.apple.mpegurl",
                    200,
                ),
                resp(
                    "https://cdn.example/a.mpd",
                    Resource::Fetch,
                    "text/plain",
                    200,
                ),
                resp(
                    "https://cdn.example/seg1.ts",
                    Resource::Fetch,
                    "video/mp2t",
                    200,
                ),
                resp(
                    "https://cdn.example/data.json",
                    Resource::Fetch,
                    "application/json",
                    200,
                ),
                resp(
                    "https://cdn.example/font.woff2",
                    Resource::Furniture,
                    "font/woff2",
                    200,
                ),
                resp(
                    "https://cdn.example/gone.mp4",
                    Resource::Media,
                    "video/mp4",
                    404,
                ),
                resp(
                    "https://cdn.example/clip.mp4",
                    Resource::Media,
                    "video/mp4",
                    206,
                ),
            ],
            &shown,
        );
        let got: Vec<(&str, Kind, &str)> = got
            .iter()
            .map(|m| (m.url.as_str(), m.kind, m.found_in))
            .collect();
        assert_eq!(
            got,
            [
                ("https://cdn.example/hero.jpg", Kind::Image, "network:image"),
                ("https://cdn.example/clip.mp4", Kind::Video, "network:media"),
                ("https://cdn.example/talk.mp3", Kind::Audio, "network:media"),
                (
                    "https://cdn.example/live/master.m3u8",
                    Kind::Video,
                    "network:manifest"
                ),
                ("https://cdn.example/a.mpd", Kind::Video, "network:manifest"),
            ]
        );
    }
}
