//! From what a server did to what it means: HTTP statuses, transport errors and redirect
//! endings mapped to a `State` and `Reason`. Pure functions, so every rule has a unit test.

use url::Url;

use crate::model::{Reason, State};

/// The verdict on a final HTTP status (after redirects were followed).
pub(super) fn from_status(status: u16) -> (State, Reason) {
    match status {
        200..=299 => (State::Alive, Reason::Ok),
        304 => (State::Alive, Reason::NotModified),
        401 | 403 | 451 => (State::Blocked, Reason::Http(status)),
        // 407 is our proxy refusing us, 408/425/429 say "later", 5xx are the server's trouble.
        407 | 408 | 425 | 429 | 500..=599 => (State::Transient, Reason::Http(status)),
        _ => (State::Dead, Reason::Http(status)),
    }
}

/// A deep URL that now lands on the site's root or a sign-in page is a soft 404.
pub(crate) fn from_redirect_ending(original: &Url, final_url: &Url) -> Option<Reason> {
    if !is_deep(original) {
        return None;
    }
    let path = final_url.path();
    if (path.is_empty() || path == "/") && final_url.query().is_none_or(str::is_empty) {
        return Some(Reason::RedirectToRoot);
    }
    if is_login_path(path) && !is_login_path(original.path()) {
        return Some(Reason::RedirectToLogin);
    }
    None
}

/// A URL that names something below the site's root (a path or an identifying query).
pub(super) fn is_deep(url: &Url) -> bool {
    let path = url.path().trim_matches('/');
    !path.is_empty() || url.query().is_some_and(|q| !q.is_empty())
}

fn is_login_path(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    [
        "login",
        "log-in",
        "log_in",
        "signin",
        "sign-in",
        "sign_in",
        "/auth/",
        "/sso/",
        "/accounts/",
        "/session/new",
    ]
    .iter()
    .any(|needle| p.contains(needle))
}

/// What a transport failure (no usable HTTP response) means. `text` is the full error chain.
pub(super) fn from_transport_error(
    text: &str,
    io_kind: Option<std::io::ErrorKind>,
    timed_out: bool,
) -> (State, Reason) {
    use std::io::ErrorKind as K;
    let lower = text.to_ascii_lowercase();
    if lower.contains(super::address::REFUSED) {
        return (State::Blocked, Reason::PrivateAddress);
    }
    if lower.contains("dns error") || lower.contains("failed to lookup address") {
        if lower.contains("temporary failure") || lower.contains("try again") {
            return (State::Transient, Reason::DnsTemporary);
        }
        return (State::Dead, Reason::Dns);
    }
    match io_kind {
        Some(K::ConnectionRefused) => return (State::Dead, Reason::ConnectionRefused),
        Some(K::TimedOut) => return (State::Transient, Reason::Timeout),
        Some(K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof) => {
            return (State::Transient, Reason::Reset)
        }
        _ => {}
    }
    if timed_out || lower.contains("timed out") || lower.contains("timeout") {
        return (State::Transient, Reason::Timeout);
    }
    if lower.contains("connection refused") {
        return (State::Dead, Reason::ConnectionRefused);
    }
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        return (State::Transient, Reason::Tls);
    }
    if lower.contains("reset")
        || lower.contains("closed before")
        || lower.contains("incomplete")
        || lower.contains("end of file")
    {
        return (State::Transient, Reason::Reset);
    }
    (State::Transient, Reason::Protocol)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn statuses() {
        assert_eq!(from_status(200), (State::Alive, Reason::Ok));
        assert_eq!(from_status(404), (State::Dead, Reason::Http(404)));
        assert_eq!(from_status(410), (State::Dead, Reason::Http(410)));
        assert_eq!(from_status(403), (State::Blocked, Reason::Http(403)));
        assert_eq!(from_status(451), (State::Blocked, Reason::Http(451)));
        assert_eq!(from_status(503), (State::Transient, Reason::Http(503)));
        assert_eq!(from_status(429), (State::Transient, Reason::Http(429)));
    }

    #[test]
    fn redirect_endings() {
        let deep = u("https://news.example/2018/09/idlib-rallies.html");
        assert_eq!(
            from_redirect_ending(&deep, &u("https://news.example/")),
            Some(Reason::RedirectToRoot)
        );
        assert_eq!(
            from_redirect_ending(&deep, &u("https://news.example/account/login?next=x")),
            Some(Reason::RedirectToLogin)
        );
        assert_eq!(
            from_redirect_ending(
                &deep,
                &u("https://www.news.example/2018/09/idlib-rallies.html")
            ),
            None
        );
        assert_eq!(
            from_redirect_ending(&u("http://news.example/"), &u("https://news.example/")),
            None
        );
    }

    #[test]
    fn transport_errors() {
        assert_eq!(
            from_transport_error("error sending request: dns error: failed to lookup address information: Name or service not known", None, false),
            (State::Dead, Reason::Dns)
        );
        assert_eq!(
            from_transport_error("dns error: failed to lookup address information: Temporary failure in name resolution", None, false).1,
            Reason::DnsTemporary
        );
        assert_eq!(
            from_transport_error(
                "tcp connect error",
                Some(std::io::ErrorKind::ConnectionRefused),
                false
            ),
            (State::Dead, Reason::ConnectionRefused)
        );
        assert_eq!(
            from_transport_error("operation timed out", None, true).1,
            Reason::Timeout
        );
    }
}
