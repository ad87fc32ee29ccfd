//! The one HTTP client of a run: rustls, keep-alive pool, no automatic redirects (the check
//! follows them itself), no automatic decompression (bytes are stored as served), and proxies
//! from the config or the usual environment variables.

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, ACCEPT_ENCODING};

use super::FetchConfig;

/// Why the HTTP client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// `fetch.proxy` is not a proxy URL reqwest accepts.
    #[error("fetch.proxy `{proxy}` is not usable: {source}")]
    Proxy {
        /// The proxy as configured.
        proxy: String,
        /// reqwest's reason.
        source: reqwest::Error,
    },
    /// reqwest could not build the client (TLS set-up, most likely).
    #[error("cannot set up the HTTP client: {0}")]
    Build(reqwest::Error),
    /// The name resolver could not be set up.
    #[error(transparent)]
    Resolver(#[from] super::ResolverError),
    /// The cookies file (`fetch.cookies`) cannot be read; the message names it.
    #[error("{0}")]
    Cookies(String),
}

/// Builds the client. Proxies: `fetch.proxy` if set, else `HTTP_PROXY`, `HTTPS_PROXY`,
/// `ALL_PROXY` and `NO_PROXY` (either case), which reqwest reads itself. With a proxy, target
/// names are resolved by the proxy (`socks5h://` included), never locally.
pub fn build_client(cfg: &FetchConfig) -> Result<reqwest::Client, ClientError> {
    if let Some(why) = cfg.session.unreadable() {
        return Err(ClientError::Cookies(why.to_string()));
    }
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
    headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
    let mut builder = reqwest::Client::builder()
        .user_agent(cfg.user_agent.clone())
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(cfg.connect_timeout)
        .pool_max_idle_per_host(cfg.per_host_concurrency.max(4))
        .tcp_nodelay(true);
    // With a proxy, the proxy resolves and decides; our resolver would only see the proxy's name.
    if !super::address::proxy_in_use(cfg.proxy.as_deref()) {
        let resolver = super::resolve::Resolver::new(
            &cfg.nameservers,
            cfg.connect_timeout,
            !cfg.allow_private,
        )?;
        builder = builder.dns_resolver(std::sync::Arc::new(resolver));
    }
    if let Some(p) = &cfg.proxy {
        let proxy = reqwest::Proxy::all(p).map_err(|source| ClientError::Proxy {
            proxy: p.clone(),
            source,
        })?;
        builder = builder.proxy(proxy);
    }
    builder.build().map_err(ClientError::Build)
}
