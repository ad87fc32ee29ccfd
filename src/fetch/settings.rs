//! `[fetch]` settings as the rest of the crate sees them: parsed and checked by `config`,
//! owned here so that fetching depends on nothing but its own settings.

use std::time::Duration;

/// How references are fetched: politeness, limits, retries, the address policy, and the
/// per-host session (headers, cookies).
#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub user_agent: String,
    pub concurrency: usize,
    pub per_host_concurrency: usize,
    pub per_host_interval: Duration,
    pub connect_timeout: Duration,
    pub stall_timeout: Duration,
    /// Slowest acceptable body speed (bytes/s), averaged over each stall_timeout window.
    pub min_speed: u64,
    pub max_bytes: u64,
    /// Largest article (page, saved file, feed) read, fetched or local.
    pub max_article_bytes: u64,
    pub max_error_body: u64,
    pub max_redirects: usize,
    pub retries: u32,
    pub retry_backoff: Duration,
    pub max_retry_after: Duration,
    pub soft404_probe: bool,
    pub proxy: Option<String>,
    /// Allow loopback, private and link-local addresses (off: linkvault is not an open door).
    pub allow_private: bool,
    /// URLs asked (HEAD) when no cited server answered in a run, before the run is called
    /// network-down; hosts that answered in earlier runs are asked as well.
    pub witnesses: Vec<String>,
    /// Per-host request headers and the cookies file, ready to match requests.
    pub session: crate::fetch::session::Session,
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
