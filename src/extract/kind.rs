//! Guesses what a reference is (`Kind`) from evidence other than the element that cited it: the
//! URL's extension or video platform, or a served `Content-Type`. The HTML walker prefers the
//! element (an `<img>` is an image whatever its URL says); these guesses are for links and text,
//! and for the fetcher once it has a response. Nothing here touches the network.

use crate::model::Kind;
use url::Url;

/// What a URL points at, judged from its path extension or its video-platform shape.
/// `None` means "no idea": the caller decides the fallback (usually `Page`).
pub fn kind_from_url(url: &Url) -> Option<Kind> {
    if let Some(kind) = url.host_str().and_then(|host| platform_kind(host, url)) {
        return Some(kind);
    }
    let last = url.path_segments()?.next_back()?;
    let (_, ext) = last.rsplit_once('.')?;
    kind_from_extension(ext)
}

fn kind_from_extension(ext: &str) -> Option<Kind> {
    // Longest known extension is 4 bytes; anything longer cannot match and is not lowercased.
    if ext.len() > 4 {
        return None;
    }
    let lower = ext.to_ascii_lowercase();
    Some(match lower.as_str() {
        "jpg" | "jpeg" | "png" | "gif" | "webp" | "avif" | "svg" | "bmp" | "tif" | "tiff"
        | "heic" => Kind::Image,
        "mp4" | "webm" | "mov" | "m4v" | "mkv" | "avi" | "ogv" | "m3u8" | "mpd" => Kind::Video,
        "mp3" | "m4a" | "ogg" | "oga" | "opus" | "wav" | "flac" | "aac" => Kind::Audio,
        "pdf" => Kind::Other,
        _ => return None,
    })
}

/// Video pages on the platforms people cite most: the page *is* the video for an archive.
fn platform_kind(host: &str, url: &Url) -> Option<Kind> {
    let host = host.trim_end_matches('.');
    let mut segs = url.path_segments()?.filter(|s| !s.is_empty());
    let first = segs.next().unwrap_or("");
    let second = segs.next().unwrap_or("");
    let is_video = if on_domain(host, "youtube.com") || on_domain(host, "youtube-nocookie.com") {
        match first {
            "watch" => url.query_pairs().any(|(k, v)| k == "v" && !v.is_empty()),
            "shorts" | "embed" | "live" => !second.is_empty(),
            _ => false,
        }
    } else if on_domain(host, "youtu.be") || on_domain(host, "dai.ly") {
        !first.is_empty()
    } else if on_domain(host, "player.vimeo.com") {
        first == "video" && !second.is_empty()
    } else if on_domain(host, "vimeo.com") {
        is_digits(first)
    } else if on_domain(host, "dailymotion.com") {
        first == "video" && !second.is_empty()
    } else if on_domain(host, "tiktok.com") {
        first.starts_with('@') && second == "video"
    } else if on_domain(host, "rumble.com") {
        // Rumble video slugs look like `v4abcde-some-title.html`; `videos`, `vod` are listings.
        let b = first.as_bytes();
        (b.len() > 1 && b[0] == b'v' && b[1].is_ascii_digit())
            || (first == "embed" && second.starts_with('v'))
    } else if on_domain(host, "twitch.tv") {
        first == "videos" && !second.is_empty()
    } else if on_domain(host, "facebook.com") {
        // `/<page>/videos/<id>` (a bare `/videos` is the page's listing) or `/watch?v=<id>`.
        let mut all = url.path_segments()?.filter(|s| !s.is_empty());
        (all.any(|s| s == "videos") && all.next().is_some())
            || (first == "watch" && url.query_pairs().any(|(k, v)| k == "v" && !v.is_empty()))
    } else if on_domain(host, "fb.watch") {
        !first.is_empty()
    } else if on_domain(host, "x.com") || on_domain(host, "twitter.com") {
        let third = segs.next().unwrap_or("");
        let fourth = segs.next().unwrap_or("");
        second == "status" && is_digits(third) && fourth == "video"
    } else {
        false
    };
    is_video.then_some(Kind::Video)
}

/// `host` is `domain` or one of its subdomains (`www.`, `m.`, `music.` …), case-insensitively.
fn on_domain(host: &str, domain: &str) -> bool {
    if host.len() == domain.len() {
        return host.eq_ignore_ascii_case(domain);
    }
    host.len() > domain.len()
        && host
            .get(host.len() - domain.len()..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(domain))
        && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A Content-Type's media type without parameters, lowercased: `Text/HTML; charset=x` → `text/html`.
pub fn mime_essence(ct: &str) -> String {
    ct.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// What a served `Content-Type` says the bytes are. Parameters (`; charset=…`) and case are
/// ignored; types that say nothing useful (`application/octet-stream`, JSON, …) give `None`.
pub fn kind_from_content_type(ct: &str) -> Option<Kind> {
    let lower = mime_essence(ct);
    let (top, _) = lower.split_once('/')?;
    match (top, lower.as_str()) {
        ("image", _) => Some(Kind::Image),
        ("video", _)
        | (_, "application/vnd.apple.mpegurl" | "application/x-mpegurl" | "application/dash+xml") => {
            Some(Kind::Video)
        }
        ("audio", _) => Some(Kind::Audio),
        (_, "text/html" | "application/xhtml+xml") => Some(Kind::Page),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Option<Kind> {
        let url = Url::parse(s).unwrap_or_else(|e| panic!("test URL {s}: {e}"));
        kind_from_url(&url)
    }

    #[test]
    fn extensions_decide_media_kinds_case_insensitively() {
        assert_eq!(k("https://a.example/x/photo.JPG"), Some(Kind::Image));
        assert_eq!(k("https://a.example/p.webp?w=300#x"), Some(Kind::Image));
        assert_eq!(k("https://a.example/i.heic"), Some(Kind::Image));
        assert_eq!(k("https://a.example/v/master.m3u8"), Some(Kind::Video));
        assert_eq!(k("https://a.example/v/manifest.mpd"), Some(Kind::Video));
        assert_eq!(k("https://a.example/clip.mov"), Some(Kind::Video));
        assert_eq!(k("https://a.example/ep.opus"), Some(Kind::Audio));
        assert_eq!(k("https://a.example/paper.pdf"), Some(Kind::Other));
        assert_eq!(k("https://a.example/page.html"), None);
        assert_eq!(k("https://a.example/dir/"), None);
        assert_eq!(k("https://a.example/jpg"), None);
        assert_eq!(k("https://a.example/a.jpg/view"), None);
    }

    #[test]
    fn video_platform_pages_are_videos() {
        for url in [
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://m.youtube.com/watch?feature=x&v=dQw4w9WgXcQ",
            "https://youtube.com/shorts/abc123",
            "https://www.youtube.com/embed/dQw4w9WgXcQ",
            "https://youtu.be/dQw4w9WgXcQ",
            "https://vimeo.com/123456",
            "https://player.vimeo.com/video/123456",
            "https://www.dailymotion.com/video/x7xyz",
            "https://dai.ly/x7xyz",
            "https://www.tiktok.com/@someone/video/7012345",
            "https://rumble.com/v2abcd-title.html",
            "https://www.twitch.tv/videos/12345",
            "https://www.facebook.com/somepage/videos/12345/",
            "https://x.com/user/status/123/video/1",
            "https://twitter.com/user/status/123/video/1",
        ] {
            assert_eq!(k(url), Some(Kind::Video), "{url}");
        }
    }

    #[test]
    fn platform_non_video_pages_are_not_videos() {
        for url in [
            "https://www.youtube.com/",
            "https://www.youtube.com/watch",
            "https://www.youtube.com/channel/UC123",
            "https://vimeo.com/about",
            "https://rumble.com/videos",
            "https://twitter.com/user/status/123",
            "https://x.com/user",
            "https://www.facebook.com/somepage",
            "https://notyoutube.com/watch?v=abc",
        ] {
            assert_eq!(k(url), None, "{url}");
        }
    }

    #[test]
    fn content_types_ignore_parameters_and_case() {
        assert_eq!(kind_from_content_type("image/png"), Some(Kind::Image));
        assert_eq!(kind_from_content_type("Image/JPEG"), Some(Kind::Image));
        assert_eq!(kind_from_content_type("video/mp4"), Some(Kind::Video));
        assert_eq!(
            kind_from_content_type("application/vnd.apple.mpegURL"),
            Some(Kind::Video)
        );
        assert_eq!(
            kind_from_content_type("application/x-mpegurl"),
            Some(Kind::Video)
        );
        assert_eq!(
            kind_from_content_type("application/dash+xml"),
            Some(Kind::Video)
        );
        assert_eq!(kind_from_content_type("audio/mpeg"), Some(Kind::Audio));
        assert_eq!(
            kind_from_content_type("text/html; charset=UTF-8"),
            Some(Kind::Page)
        );
        assert_eq!(
            kind_from_content_type(" application/xhtml+xml ;q=1"),
            Some(Kind::Page)
        );
        assert_eq!(kind_from_content_type("application/json"), None);
        assert_eq!(kind_from_content_type("text/plain"), None);
        assert_eq!(kind_from_content_type(""), None);
        assert_eq!(kind_from_content_type("garbage"), None);
    }
}
