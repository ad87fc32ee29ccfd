//! What a site needs to let us in: per-host request headers (`[[fetch.headers]]`) and a cookies
//! file in the Netscape `cookies.txt` format that curl, wget and yt-dlp read. Both are matched
//! per request hop, so a redirect to another host never carries them along; neither is ever
//! written to a log or an export.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use reqwest::header::{HeaderName, HeaderValue, COOKIE};
use url::Url;

/// What is wrong with `fetch.cookies` or `[[fetch.headers]]`.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The cookies file cannot be read.
    #[error("fetch.cookies: cannot read {path}: {source}")]
    Read {
        /// The cookies file.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// A configured header's name or value is not valid in HTTP (the value is never shown).
    #[error("fetch.headers: `{name}: …` for {host} is not a valid HTTP header")]
    BadHeader {
        /// The `host` of the `[[fetch.headers]]` entry.
        host: String,
        /// The header's name.
        name: String,
    },
}

/// Headers for one host and its subdomains.
#[derive(Debug, Clone)]
struct HostHeaders {
    host: String,
    headers: Vec<(HeaderName, HeaderValue)>,
}

/// One cookie from a cookies.txt line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cookie {
    /// Lowercase, without a leading dot.
    domain: String,
    include_subdomains: bool,
    path: String,
    secure: bool,
    /// Unix seconds; 0 = a session cookie (kept for the run).
    expires: i64,
    name: String,
    value: String,
}

/// A cookie as a browser's cookie store takes it: a leading dot on the domain when it also
/// applies to subdomains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BrowserCookie {
    pub domain: String,
    pub path: String,
    pub secure: bool,
    /// Unix seconds; `None` for a session cookie.
    pub expires: Option<i64>,
    pub name: String,
    pub value: String,
}

/// The headers and cookies of a run, matched to each request. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Session {
    hosts: Arc<Vec<HostHeaders>>,
    cookies: Arc<Vec<Cookie>>,
    cookies_file: Option<PathBuf>,
    /// Why the cookies file could not be read: said when something is to be fetched (a
    /// report or a restore needs no cookies, and must not fail for want of them).
    unreadable: Option<String>,
}

impl Session {
    /// From the configuration: `(host, [(name, value)])` pairs and an optional cookies file.
    pub fn new(
        headers: &[(String, Vec<(String, String)>)],
        cookies_file: Option<&Path>,
    ) -> Result<Session, SessionError> {
        let mut hosts = Vec::new();
        for (host, list) in headers {
            let mut parsed = Vec::new();
            for (name, value) in list {
                let bad = || SessionError::BadHeader {
                    host: host.clone(),
                    name: name.clone(),
                };
                let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad())?;
                let mut v = HeaderValue::from_str(value).map_err(|_| bad())?;
                v.set_sensitive(true);
                parsed.push((n, v));
            }
            hosts.push(HostHeaders {
                host: normalize_host(host),
                headers: parsed,
            });
        }
        let (cookies, unreadable) = match cookies_file.map(|p| (p, std::fs::read_to_string(p))) {
            Some((_, Ok(text))) => (parse_cookies_txt(&text), None),
            Some((p, Err(source))) => (
                Vec::new(),
                Some(
                    SessionError::Read {
                        path: p.to_path_buf(),
                        source,
                    }
                    .to_string(),
                ),
            ),
            None => (Vec::new(), None),
        };
        Ok(Session {
            hosts: Arc::new(hosts),
            cookies: Arc::new(cookies),
            cookies_file: cookies_file.map(Path::to_path_buf),
            unreadable,
        })
    }

    /// Why the configured cookies file cannot be used, if it cannot.
    pub fn unreadable(&self) -> Option<&str> {
        self.unreadable.as_deref()
    }

    /// The cookies of the file, for a browser's cookie store (expired ones left out).
    pub(crate) fn browser_cookies(&self, now: i64) -> Vec<BrowserCookie> {
        self.cookies
            .iter()
            .filter(|c| c.expires == 0 || c.expires > now)
            .map(|c| BrowserCookie {
                domain: if c.include_subdomains {
                    format!(".{}", c.domain)
                } else {
                    c.domain.clone()
                },
                path: c.path.clone(),
                secure: c.secure,
                expires: (c.expires > 0).then_some(c.expires),
                name: c.name.clone(),
                value: c.value.clone(),
            })
            .collect()
    }

    /// The cookies file, for tools that read it themselves (yt-dlp's `--cookies`).
    pub fn cookies_file(&self) -> Option<&Path> {
        self.cookies_file.as_deref()
    }

    /// The configured headers for `url`'s host (and its parent domains).
    pub fn host_headers(&self, url: &Url) -> Vec<(HeaderName, HeaderValue)> {
        let Some(host) = url.host_str().map(normalize_host) else {
            return Vec::new();
        };
        self.hosts
            .iter()
            .filter(|h| host == h.host || host.ends_with(&format!(".{}", h.host)))
            .flat_map(|h| h.headers.iter().cloned())
            .collect()
    }

    /// Everything to add to a request for `url` at `now`: its host's headers, and a `Cookie`
    /// header with the cookies that match (domain, path, secure, not expired).
    pub fn headers_for(&self, url: &Url, now: i64) -> Vec<(HeaderName, HeaderValue)> {
        let mut out = self.host_headers(url);
        let Some(host) = url.host_str().map(normalize_host) else {
            return out;
        };
        let secure = url.scheme() == "https";
        let path = url.path();
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|c| {
                let domain_ok = host == c.domain
                    || (c.include_subdomains && host.ends_with(&format!(".{}", c.domain)));
                let path_ok = path.starts_with(&c.path)
                    && (c.path.ends_with('/')
                        || path.len() == c.path.len()
                        || path[c.path.len()..].starts_with('/'));
                domain_ok && path_ok && (!c.secure || secure) && (c.expires == 0 || c.expires > now)
            })
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        if !pairs.is_empty() {
            if let Ok(mut v) = HeaderValue::from_str(&pairs.join("; ")) {
                v.set_sensitive(true);
                out.push((COOKIE, v));
            }
        }
        out
    }
}

fn normalize_host(h: &str) -> String {
    h.trim()
        .trim_start_matches('.')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// Parses the Netscape format: tab-separated `domain, include_subdomains, path, secure,
/// expires, name, value`; `#` comments, except the `#HttpOnly_` prefix curl writes.
fn parse_cookies_txt(text: &str) -> Vec<Cookie> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        let line = match line.strip_prefix("#HttpOnly_") {
            Some(rest) => rest,
            None if line.starts_with('#') || line.trim().is_empty() => continue,
            None => line,
        };
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 7 {
            continue;
        }
        let flag = |s: &str| s.eq_ignore_ascii_case("TRUE");
        out.push(Cookie {
            domain: normalize_host(f[0]),
            include_subdomains: flag(f[1]) || f[0].starts_with('.'),
            path: if f[2].is_empty() {
                "/".into()
            } else {
                f[2].into()
            },
            secure: flag(f[3]),
            expires: f[4].trim().parse().unwrap_or(0),
            name: f[5].to_string(),
            value: f[6..].join("\t"),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn cookies_match_domain_path_secure_and_expiry() {
        let text = "# Netscape HTTP Cookie File\n\
            .news.example\tTRUE\t/\tFALSE\t0\tsession\tabc\n\
            #HttpOnly_paper.example\tFALSE\t/members\tTRUE\t4102444800\tauth\tx=y\n\
            old.example\tFALSE\t/\tFALSE\t1000\tstale\t1\n";
        let s = Session {
            cookies: Arc::new(parse_cookies_txt(text)),
            ..Session::default()
        };
        let cookie = |url: &str| {
            s.headers_for(&u(url), 2_000_000_000)
                .into_iter()
                .find(|(n, _)| n == COOKIE)
                .map(|(_, v)| v.to_str().unwrap().to_string())
        };
        assert_eq!(
            cookie("http://www.news.example/a").as_deref(),
            Some("session=abc")
        );
        assert_eq!(
            cookie("https://paper.example/members/p").as_deref(),
            Some("auth=x=y")
        );
        assert_eq!(
            cookie("http://paper.example/members/p"),
            None,
            "secure only"
        );
        assert_eq!(
            cookie("https://paper.example/membership"),
            None,
            "path boundary"
        );
        assert_eq!(
            cookie("https://sub.paper.example/members/"),
            None,
            "no subdomains"
        );
        assert_eq!(cookie("http://old.example/"), None, "expired");
        assert_eq!(cookie("http://other.example/"), None);
    }

    #[test]
    fn host_headers_cover_subdomains_only() {
        let s = Session::new(
            &[(
                "paper.example".into(),
                vec![("X-Api-Key".into(), "k".into())],
            )],
            None,
        )
        .unwrap();
        assert_eq!(s.headers_for(&u("https://cdn.paper.example/x"), 0).len(), 1);
        assert!(s
            .headers_for(&u("https://notpaper.example/x"), 0)
            .is_empty());
        assert!(
            Session::new(&[("h".into(), vec![("Bad Name".into(), "v".into())])], None).is_err()
        );
    }
}
