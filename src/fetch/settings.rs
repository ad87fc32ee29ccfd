//! `[fetch]` settings as the rest of the crate sees them: parsed and checked by `config`,
//! owned here so that fetching depends on nothing but its own settings.

use std::time::Duration;

/// How references are fetched: politeness, limits, retries, the address policy, and the
/// per-host session (headers, cookies).
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// The `User-Agent` of every request.
    pub user_agent: String,
    /// Requests in flight at once, over all hosts.
    pub concurrency: usize,
    /// Requests in flight at once to one host.
    pub per_host_concurrency: usize,
    /// Minimum time between two request starts on one host.
    pub per_host_interval: Duration,
    /// Give up connecting after this long.
    pub connect_timeout: Duration,
    /// Give up when no headers or body bytes arrive for this long.
    pub stall_timeout: Duration,
    /// Slowest acceptable body speed (bytes/s), averaged over each stall_timeout window.
    pub min_speed: u64,
    /// Largest body stored, in bytes (decoded size); a bigger one is stopped as `too_large`.
    pub max_bytes: u64,
    /// Largest article (page, saved file, feed) read, fetched or local.
    pub max_article_bytes: u64,
    /// Largest error page (a 404's body…) kept as evidence, in bytes; larger ones are not read.
    pub max_error_body: u64,
    /// Redirects followed before the reference counts as dead (`too_many_redirects`).
    pub max_redirects: usize,
    /// Extra attempts for transient failures within one run.
    pub retries: u32,
    /// Wait before the first retry; doubles each time (a `Retry-After` takes precedence).
    pub retry_backoff: Duration,
    /// A `Retry-After` longer than this is not waited for in this run.
    pub max_retry_after: Duration,
    /// Probe a made-up sibling URL to detect soft 404s.
    pub soft404_probe: bool,
    /// Proxy for every request (`http://`, `https://`, `socks5://`, `socks5h://`); `None`: the
    /// `*_PROXY` environment variables, if any.
    pub proxy: Option<String>,
    /// Allow loopback, private and link-local addresses (off: linkvault is not an open door).
    pub allow_private: bool,
    /// URLs asked (HEAD) when no cited server answered in a run, before the run is called
    /// network-down; hosts that answered in earlier runs are asked as well.
    pub witnesses: Vec<String>,
    /// Per-host request headers and the cookies file, ready to match requests.
    pub session: super::Session,
    /// DNS servers (`IP:port`) to ask instead of the system's.
    pub nameservers: Vec<String>,
}

impl FetchConfig {
    /// Whether linkvault itself refuses non-public addresses: `allow_private` is off and no
    /// proxy is in use (with one, the proxy resolves and decides).
    pub fn guards_addresses(&self) -> bool {
        !self.allow_private && !crate::fetch::address::proxy_in_use(self.proxy.as_deref())
    }
}
