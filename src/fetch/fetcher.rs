//! The `Fetcher`: the state every check of a run shares — one HTTP client (keep-alive), one
//! per-host politeness table, the store bodies go into, the soft-404 probe cache and the
//! address guard — and the one question asked of it outside a check: does a server answer at
//! all. The steps of a fetch are `impl Fetcher` blocks in their own modules (`redirects`,
//! `body`, `retry`, `check`, `soft404`, `drift`, `article`, `exchange`); this module depends on
//! none of them (only on `transport`), so the steps layer on it without cycles.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;
use tokio::time::timeout;
use url::Url;

use super::address;
use super::politeness::Politeness;
use super::similarity::TextSignature;
use super::transport::{host_of, ip_literal};
use super::FetchConfig;
use crate::store::Store;

/// Shared by all checks of a run: one client (keep-alive), one politeness table, one probe cache.
pub struct Fetcher {
    pub(super) client: reqwest::Client,
    pub(super) politeness: Arc<Politeness>,
    pub(super) store: Store,
    pub(super) cfg: FetchConfig,
    pub(super) probes: Mutex<HashMap<String, Arc<OnceCell<Option<Probed>>>>>,
    /// Refuse non-public IP literals (names are filtered by the client's resolver).
    pub(super) guard_addresses: bool,
}

/// What a made-up sibling URL answered with 2xx.
#[derive(Debug, Clone)]
pub(super) struct Probed {
    pub(super) final_url: String,
    pub(super) redirected: bool,
    pub(super) text: TextSignature,
}

impl Fetcher {
    /// The fetcher of a run: `client` (from [`build_client`](super::build_client)), the store
    /// bodies go into, and the `[fetch]` settings.
    pub fn new(client: reqwest::Client, store: Store, cfg: FetchConfig) -> Fetcher {
        let guard_addresses = cfg.guards_addresses();
        Fetcher {
            client,
            politeness: Arc::new(Politeness::new(
                cfg.per_host_concurrency,
                cfg.per_host_interval,
            )),
            store,
            cfg,
            probes: Mutex::new(HashMap::new()),
            guard_addresses,
        }
    }

    /// Whether `url`'s server answers at all (any HTTP status) to a HEAD, under the same
    /// address policy, politeness and timeouts as a check: the test of whether the network is up.
    pub async fn answers(&self, url: &Url) -> bool {
        if self.guard_addresses && ip_literal(url).is_some_and(|ip| !address::is_public(ip)) {
            return false;
        }
        let _permit = self.politeness.acquire(&host_of(url)).await;
        let request = self.client.head(url.clone()).send();
        matches!(timeout(self.cfg.stall_timeout, request).await, Ok(Ok(_)))
    }

    /// The store captures go into (articles read from files are kept there too).
    pub fn store(&self) -> &Store {
        &self.store
    }
}
