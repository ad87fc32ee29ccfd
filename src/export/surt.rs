//! SURT keys (Sort-friendly URI Reordering Transform) as the Python `surt` library computes
//! them with its defaults — the keys pywb looks captures up by in a CDXJ index.

use url::Url;

/// `http://www.Example.com/A/b?z=1&a=2#f` → `com,example)/a/b?a=2&z=1`.
pub fn surt(raw: &str) -> String {
    let Ok(url) = Url::parse(raw) else {
        return raw.to_ascii_lowercase();
    };
    // `urn:screenshot:https://…` and other URNs are their own key, lowercased (as `surt` has it).
    if url.scheme() == "urn" {
        return raw.to_ascii_lowercase();
    }
    let host = url
        .host_str()
        .unwrap_or("")
        .trim_matches('.')
        .to_ascii_lowercase();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = strip_www(host);
    let mut key: String = host.split('.').rev().collect::<Vec<_>>().join(",");
    if let Some(port) = url.port() {
        key.push_str(&format!(":{port}"));
    }
    key.push(')');
    let mut path = url.path().to_ascii_lowercase();
    if path.len() > 1 && path.ends_with('/') {
        path.pop();
    }
    if path.is_empty() {
        path.push('/');
    }
    key.push_str(&path);
    if let Some(q) = url.query().filter(|q| !q.is_empty()) {
        let mut args: Vec<&str> = q.split('&').collect();
        args.sort_unstable();
        key.push('?');
        key.push_str(&args.join("&").to_ascii_lowercase());
    }
    key
}

/// `www.`, `www2.`… are not part of the site's identity.
fn strip_www(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix("www") {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if let Some(after) = rest[digits..].strip_prefix('.') {
            if !after.is_empty() {
                return after;
            }
        }
    }
    host
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values computed with Python `surt` 0.3.1 (`surt.surt(url)`).
    #[test]
    fn matches_the_python_surt_library() {
        for (url, key) in [
            (
                "http://www.Example.com/A/b?z=1&a=2#frag",
                "com,example)/a/b?a=2&z=1",
            ),
            ("https://example.com:443/", "com,example)/"),
            (
                "http://127.0.0.1:8080/img/x.PNG",
                "1,0,0,127:8080)/img/x.png",
            ),
            (
                "https://news.example.co.uk/path/",
                "uk,co,example,news)/path",
            ),
            ("http://example.com", "com,example)/"),
            ("https://www2.example.com/a;b?c", "com,example)/a;b?c"),
            ("http://example.com/a%20b?q=A+B", "com,example)/a%20b?q=a+b"),
            (
                "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10",
                "com,youtube)/watch?t=10&v=dqw4w9wgxcq",
            ),
            ("http://example.com/?", "com,example)/"),
            ("http://user:pw@example.com:81/x", "com,example:81)/x"),
            (
                "http://www.example.com:80/index.html?b&a",
                "com,example)/index.html?a&b",
            ),
            (
                "urn:view:https://www.Example.com/a?b=1",
                "urn:view:https://www.example.com/a?b=1",
            ),
        ] {
            assert_eq!(surt(url), key, "{url}");
        }
    }
}
