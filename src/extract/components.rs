//! Video players that name their video only by id: `<amp-youtube data-videoid>`,
//! `<lite-youtube videoid>`, `<div data-youtube-id>`, `<div data-video-id data-provider=vimeo>`.
//! Each id becomes the platform's canonical watch URL, which `kind_from_url` already calls a
//! video, so video capture takes it from there.
//!
//! Ids are checked strictly against each platform's alphabet before they are put in a URL, so
//! no attribute value can smuggle a path, query or host into it: an id that fails is skipped.
//! A bare `data-video-id` without a known provider is not reported: it is usually some CMS's
//! own number, not a YouTube or Vimeo id.

/// The platforms whose players are recognised by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Platform {
    YouTube,
    Vimeo,
    Dailymotion,
}

impl Platform {
    /// The platform a provider attribute (`data-provider="YouTube"`) names, if any: the value
    /// must be the platform's name, trimmed and ASCII case-insensitive.
    pub(super) fn from_provider(value: &[u8]) -> Option<Platform> {
        let value = value.trim_ascii();
        [
            (&b"youtube"[..], Platform::YouTube),
            (b"vimeo", Platform::Vimeo),
            (b"dailymotion", Platform::Dailymotion),
        ]
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(value))
        .map(|(_, p)| p)
    }

    /// The canonical watch URL of the video `id`, or `None` when `id` is not one of this
    /// platform's ids (surrounding ASCII whitespace is forgiven, as browsers do for URLs).
    pub(super) fn watch_url(self, id: &str) -> Option<String> {
        let id = id.trim_matches(|c: char| c.is_ascii_whitespace());
        let valid = match self {
            // Always 11 characters of the URL-safe base64 alphabet.
            Platform::YouTube => {
                id.len() == 11
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            }
            Platform::Vimeo => {
                (1..=20).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
            }
            Platform::Dailymotion => {
                (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
            }
        };
        valid.then(|| match self {
            Platform::YouTube => format!("https://www.youtube.com/watch?v={id}"),
            Platform::Vimeo => format!("https://vimeo.com/{id}"),
            Platform::Dailymotion => format!("https://www.dailymotion.com/video/{id}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_ids_become_watch_urls() {
        assert_eq!(
            Platform::YouTube.watch_url(" dQw4w9WgXcQ\n").as_deref(),
            Some("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
        );
        assert_eq!(
            Platform::Vimeo.watch_url("76979871").as_deref(),
            Some("https://vimeo.com/76979871")
        );
        assert_eq!(
            Platform::Dailymotion.watch_url("x7o6g1x").as_deref(),
            Some("https://www.dailymotion.com/video/x7o6g1x")
        );
    }

    #[test]
    fn invalid_ids_are_refused() {
        for id in [
            "dQw4w9WgXc",
            "dQw4w9WgXcQQ",
            "dQw4w9W/XcQ",
            "dQw4w9WgXc%",
            "",
            "ÿQw4w9WgXc",
        ] {
            assert_eq!(Platform::YouTube.watch_url(id), None, "{id:?}");
        }
        for id in ["12a", "", "1/2", &"1".repeat(21)] {
            assert_eq!(Platform::Vimeo.watch_url(id), None, "{id:?}");
        }
        for id in ["x7-o", "x7?a=b", "", "../x"] {
            assert_eq!(Platform::Dailymotion.watch_url(id), None, "{id:?}");
        }
    }

    #[test]
    fn providers_are_named_exactly_and_case_insensitively() {
        assert_eq!(
            Platform::from_provider(b" YouTube "),
            Some(Platform::YouTube)
        );
        assert_eq!(Platform::from_provider(b"VIMEO"), Some(Platform::Vimeo));
        assert_eq!(
            Platform::from_provider(b"dailymotion"),
            Some(Platform::Dailymotion)
        );
        assert_eq!(Platform::from_provider(b"youtube-playlist"), None);
        assert_eq!(Platform::from_provider(b"brightcove"), None);
    }
}
