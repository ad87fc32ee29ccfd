//! The vocabulary every stage shares: what a reference is (`Kind`), how alive it is (`State`)
//! and why (`Reason`). Each enum has one `as_str` used by the database and the JSON contract,
//! and one `parse` that reads it back; nothing else spells these strings.

use std::fmt;

/// What a reference points at, as far as we can tell from where it was cited and what it served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// An image: `<img>`, `srcset`, a poster, an `image/*` answer.
    Image,
    /// A video file, an HLS/DASH playlist, or a video platform's page for one video.
    Video,
    /// An audio file.
    Audio,
    /// An embedded player or document: `<iframe>`, `<embed>`, `<object>`, `embedUrl`.
    Embed,
    /// A web page: a cited link, or a URL that says nothing more.
    Page,
    /// Anything else: a PDF, a subtitle track, media of no telling type.
    Other,
}

impl Kind {
    /// Every kind, in the order reports list them.
    pub const ALL: [Kind; 6] = [
        Kind::Image,
        Kind::Video,
        Kind::Audio,
        Kind::Embed,
        Kind::Page,
        Kind::Other,
    ];

    /// The kind's name in the database and the JSON: `image`, `video`, `audio`, `embed`,
    /// `page`, `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Video => "video",
            Kind::Audio => "audio",
            Kind::Embed => "embed",
            Kind::Page => "page",
            Kind::Other => "other",
        }
    }

    /// Reads back an [`as_str`](Kind::as_str) name; `None` for any other text.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Media kinds are the ones whose bytes *are* the evidence (as opposed to a page around it).
    pub fn is_media(self) -> bool {
        matches!(self, Kind::Image | Kind::Video | Kind::Audio)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a reference answered, summarised for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// It answered with the content (2xx, or 304 to a conditional request).
    Alive,
    /// It is gone: a 4xx that is not a refusal, a name that does not exist, a soft 404, a
    /// redirect to the front page; also a transient failure that lasted until confirmed.
    /// Counts as confirmed only after `confirm.checks` failed checks.
    Dead,
    /// It is there but closed to us: 401, 403, 451, a private or geo-blocked video, or our
    /// own address policy.
    Blocked,
    /// A failure that may pass: 408, 429, 5xx, a timeout, a reset, a failing resolver.
    Transient,
    /// Not checked yet.
    Unchecked,
}

impl State {
    /// Every state, in the order reports list them.
    pub const ALL: [State; 5] = [
        State::Alive,
        State::Dead,
        State::Blocked,
        State::Transient,
        State::Unchecked,
    ];

    /// The state's name in the database and the JSON: `alive`, `dead`, `blocked`,
    /// `transient`, `unchecked`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Alive => "alive",
            State::Dead => "dead",
            State::Blocked => "blocked",
            State::Transient => "transient",
            State::Unchecked => "unchecked",
        }
    }

    /// Reads back an [`as_str`](State::as_str) name; `None` for any other text.
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a reference is in its state. HTTP statuses without a named reason are `Http(code)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// A 2xx answer.
    Ok,
    /// A 304 to a conditional request: unchanged since the capture held.
    NotModified,
    /// Any other HTTP status, by its code.
    Http(u16),
    /// The host name does not resolve (NXDOMAIN): the host is gone.
    Dns,
    /// The resolver itself failed (SERVFAIL, no resolver reachable): says nothing about the host.
    DnsTemporary,
    /// Nothing listens on the port (the host answered with a refusal).
    ConnectionRefused,
    /// No connection, no headers, or a body too slow, within the configured limits.
    Timeout,
    /// The connection was reset or closed mid-answer.
    Reset,
    /// The TLS handshake failed (bad certificate, no common protocol).
    Tls,
    /// A 200 that serves the same page as a made-up sibling URL: the site's "not found" page.
    SoftNotFound,
    /// A deep URL that now redirects to the site's front page.
    RedirectToRoot,
    /// A deep URL that now redirects to a sign-in page.
    RedirectToLogin,
    /// The redirects come back to a URL already visited.
    RedirectLoop,
    /// More redirects than `fetch.max_redirects`.
    TooManyRedirects,
    /// A redirect to something that is not http(s) (`file:`, `ftp:`, …).
    BadRedirect,
    /// The body is larger than `fetch.max_bytes` (or `video.max_bytes`): not kept.
    TooLarge,
    /// Every host failed at the network level in this run: our fault, not the web's.
    NetworkDown,
    /// Anything else the transport reported (malformed response, protocol error).
    Protocol,
    /// yt-dlp: the platform says the video was removed, or its media no longer downloads.
    VideoRemoved,
    /// yt-dlp: private, members-only or sign-in required.
    VideoPrivate,
    /// yt-dlp: not available from where we are.
    GeoBlocked,
    /// yt-dlp: age-gated.
    AgeRestricted,
    /// Our own policy: the address is loopback, private or link-local (fetch.allow_private).
    PrivateAddress,
    /// Longer than any server accepts (`fetch::MAX_URL_BYTES`): it can never be fetched.
    UrlTooLong,
}

impl Reason {
    /// The reason's code in the database and the JSON: `ok`, `soft_404`, `http_404`…
    pub fn as_string(self) -> String {
        match self {
            Reason::Http(code) => format!("http_{code}"),
            other => other.fixed_str().unwrap_or("unknown").to_string(),
        }
    }

    fn fixed_str(self) -> Option<&'static str> {
        Some(match self {
            Reason::Ok => "ok",
            Reason::NotModified => "not_modified",
            Reason::Http(_) => return None,
            Reason::Dns => "dns",
            Reason::DnsTemporary => "dns_temporary",
            Reason::ConnectionRefused => "connection_refused",
            Reason::Timeout => "timeout",
            Reason::Reset => "reset",
            Reason::Tls => "tls",
            Reason::SoftNotFound => "soft_404",
            Reason::RedirectToRoot => "redirect_to_root",
            Reason::RedirectToLogin => "redirect_to_login",
            Reason::RedirectLoop => "redirect_loop",
            Reason::TooManyRedirects => "too_many_redirects",
            Reason::BadRedirect => "bad_redirect",
            Reason::TooLarge => "too_large",
            Reason::NetworkDown => "network_down",
            Reason::Protocol => "protocol",
            Reason::VideoRemoved => "video_removed",
            Reason::VideoPrivate => "video_private",
            Reason::GeoBlocked => "geo_blocked",
            Reason::AgeRestricted => "age_restricted",
            Reason::PrivateAddress => "private_address",
            Reason::UrlTooLong => "url_too_long",
        })
    }

    /// Reads back an [`as_string`](Reason::as_string) code; `None` for any other text.
    pub fn parse(s: &str) -> Option<Reason> {
        if let Some(code) = s.strip_prefix("http_") {
            return code.parse().ok().map(Reason::Http);
        }
        const NAMED: [Reason; 23] = [
            Reason::Ok,
            Reason::NotModified,
            Reason::Dns,
            Reason::DnsTemporary,
            Reason::ConnectionRefused,
            Reason::Timeout,
            Reason::Reset,
            Reason::Tls,
            Reason::SoftNotFound,
            Reason::RedirectToRoot,
            Reason::RedirectToLogin,
            Reason::RedirectLoop,
            Reason::TooManyRedirects,
            Reason::BadRedirect,
            Reason::TooLarge,
            Reason::NetworkDown,
            Reason::Protocol,
            Reason::VideoRemoved,
            Reason::VideoPrivate,
            Reason::GeoBlocked,
            Reason::AgeRestricted,
            Reason::PrivateAddress,
            Reason::UrlTooLong,
        ];
        NAMED.into_iter().find(|r| r.fixed_str() == Some(s))
    }

    /// A stored reason code in plain words (an unknown code as it is).
    pub fn words_of(code: &str) -> String {
        Reason::parse(code).map_or_else(|| code.to_string(), Reason::words)
    }

    /// The reason in plain words, for people (the JSON and CSV keep `as_string`).
    pub fn words(self) -> String {
        match self {
            Reason::Http(code) => format!("HTTP {code}"),
            Reason::Ok => "OK".into(),
            Reason::NotModified => "OK (unchanged)".into(),
            Reason::Dns => "host gone (DNS)".into(),
            Reason::DnsTemporary => "DNS failed".into(),
            Reason::ConnectionRefused => "connection refused".into(),
            Reason::Timeout => "timed out".into(),
            Reason::Reset => "connection reset".into(),
            Reason::Tls => "TLS error".into(),
            Reason::SoftNotFound => "soft 404".into(),
            Reason::RedirectToRoot => "redirects to front page".into(),
            Reason::RedirectToLogin => "redirects to sign-in".into(),
            Reason::RedirectLoop => "redirect loop".into(),
            Reason::TooManyRedirects => "too many redirects".into(),
            Reason::BadRedirect => "bad redirect".into(),
            Reason::TooLarge => "too large".into(),
            Reason::NetworkDown => "network down".into(),
            Reason::Protocol => "protocol error".into(),
            Reason::VideoRemoved => "video removed".into(),
            Reason::VideoPrivate => "video private".into(),
            Reason::GeoBlocked => "geo-blocked".into(),
            Reason::AgeRestricted => "age-restricted".into(),
            Reason::PrivateAddress => "private address".into(),
            Reason::UrlTooLong => "URL too long".into(),
        }
    }

    /// Failures at the network level: they say as much about our own connection as about the host.
    pub fn is_network_level(self) -> bool {
        matches!(
            self,
            Reason::Dns | Reason::DnsTemporary | Reason::ConnectionRefused | Reason::Timeout
        )
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_round_trip_through_their_strings() {
        for r in [
            Reason::Http(404),
            Reason::Http(451),
            Reason::SoftNotFound,
            Reason::NetworkDown,
        ] {
            assert_eq!(Reason::parse(&r.as_string()), Some(r));
        }
        assert_eq!(Reason::parse("soft_404"), Some(Reason::SoftNotFound));
        assert_eq!(Reason::parse("nonsense"), None);
    }

    #[test]
    fn kinds_and_states_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
    }
}
