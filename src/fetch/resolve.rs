//! Name resolution for every request (hickory's resolver, reading the system's configuration or
//! `fetch.nameservers`), so a failure says what it means: only an authoritative "no such name"
//! — NXDOMAIN carrying the zone's SOA, as every real resolver passes it on — means the host is
//! gone. A resolver that fails (SERVFAIL), times out, cannot be reached, or answers NXDOMAIN
//! without proof (what an offline machine's local stub or a sinkhole does for every name) says
//! nothing about the host: transient. The address policy (`address`) is applied to the answer.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, Protocol, ResolverConfig, ResolverOpts};
use hickory_resolver::error::{ResolveError, ResolveErrorKind};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::TokioAsyncResolver;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::address::{is_public, REFUSED};

/// Why a name did not resolve, as the verdict reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DnsFailureKind {
    /// The name's own authority says it does not exist (or has no address).
    Gone,
    /// The resolver could not say: SERVFAIL, a timeout, no resolver reachable, an unproven
    /// NXDOMAIN.
    Unknown,
    /// It resolves only to addresses our policy refuses.
    Refused,
}

/// The error a lookup ends with; found again in reqwest's error chain by `verdict`.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(super) struct DnsFailure {
    pub kind: DnsFailureKind,
    pub message: String,
}

/// Why the resolver could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ResolverError {
    /// The system's resolver configuration could not be read (hickory's reason).
    #[error("cannot read this system's DNS configuration (/etc/resolv.conf): {0}. Set fetch.nameservers, e.g. [\"1.1.1.1:53\"]")]
    System(String),
    /// An entry of `fetch.nameservers` is not an `IP:port` (the entry as written).
    #[error("fetch.nameservers: `{0}` is not an address like 127.0.0.1:53 or [::1]:53")]
    BadServer(String),
}

/// The resolver every request of a run uses.
#[derive(Clone)]
pub(super) struct Resolver {
    inner: Arc<TokioAsyncResolver>,
    /// Refuse non-public addresses (fetch.allow_private off).
    guard: bool,
    /// A lookup gives up before the connection's own timeout would, so a silent resolver is
    /// reported as the resolver's failure, not as a slow host.
    deadline: Duration,
}

impl Resolver {
    /// From `fetch.nameservers` (`IP:port`, UDP then TCP), or the system's configuration.
    pub(super) fn new(
        nameservers: &[String],
        timeout: Duration,
        guard: bool,
    ) -> Result<Resolver, ResolverError> {
        let (config, mut opts) = if nameservers.is_empty() {
            hickory_resolver::system_conf::read_system_conf()
                .map_err(|e| ResolverError::System(e.to_string()))?
        } else {
            let mut config = ResolverConfig::new();
            for s in nameservers {
                let addr: SocketAddr =
                    s.parse().map_err(|_| ResolverError::BadServer(s.clone()))?;
                for protocol in [Protocol::Udp, Protocol::Tcp] {
                    config.add_name_server(NameServerConfig::new(addr, protocol));
                }
            }
            (config, ResolverOpts::default())
        };
        opts.timeout = timeout.clamp(Duration::from_millis(200), Duration::from_secs(5));
        opts.attempts = 2;
        // The system's /etc/hosts (localhost) still applies.
        opts.use_hosts_file = true;
        Ok(Resolver {
            inner: Arc::new(TokioAsyncResolver::tokio(config, opts)),
            guard,
            deadline: timeout * 3 / 4,
        })
    }

    /// The addresses of `host`, or why there are none.
    pub(super) async fn lookup(&self, host: &str) -> Result<Vec<IpAddr>, DnsFailure> {
        // RFC 6761: nothing under .invalid ever resolves (and no resolver is asked about it).
        let bare = host.trim_end_matches('.').to_ascii_lowercase();
        if bare == "invalid" || bare.ends_with(".invalid") {
            return Err(DnsFailure {
                kind: DnsFailureKind::Gone,
                message: format!(
                    "could not resolve host {host}: names under .invalid never exist (RFC 6761)"
                ),
            });
        }
        let found = match tokio::time::timeout(self.deadline, self.inner.lookup_ip(host)).await {
            Ok(r) => r.map_err(|e| judge(host, &e))?,
            Err(_) => {
                return Err(DnsFailure {
                    kind: DnsFailureKind::Unknown,
                    message: format!(
                        "could not resolve host {host}: no resolver answered within {} ms",
                        self.deadline.as_millis()
                    ),
                })
            }
        };
        let all: Vec<IpAddr> = found.iter().collect();
        if !self.guard {
            return Ok(all);
        }
        let public: Vec<IpAddr> = all.iter().copied().filter(|ip| is_public(*ip)).collect();
        if public.is_empty() && !all.is_empty() {
            return Err(DnsFailure {
                kind: DnsFailureKind::Refused,
                message: format!(
                    "{host} resolves to a {REFUSED} (set fetch.allow_private = true to allow it)"
                ),
            });
        }
        Ok(public)
    }
}

/// What a resolver error means for the host.
fn judge(host: &str, e: &ResolveError) -> DnsFailure {
    match e.kind() {
        ResolveErrorKind::NoRecordsFound {
            response_code, soa, ..
        } => {
            let authoritative = soa.is_some();
            match (*response_code, authoritative) {
                (ResponseCode::NXDomain, true) => DnsFailure {
                    kind: DnsFailureKind::Gone,
                    message: format!("could not resolve host {host}: no such name (its domain's name servers say it does not exist)"),
                },
                (ResponseCode::NoError, true) => DnsFailure {
                    kind: DnsFailureKind::Gone,
                    message: format!("could not resolve host {host}: the name exists but has no address"),
                },
                (ResponseCode::NXDomain, false) => DnsFailure {
                    kind: DnsFailureKind::Unknown,
                    message: format!("could not resolve host {host}: the resolver says no such name but gives no proof from the domain (an offline or filtering resolver does this for every name), so it is not counted as gone"),
                },
                (code, _) => DnsFailure {
                    kind: DnsFailureKind::Unknown,
                    message: format!("could not resolve host {host}: the resolver failed ({code})"),
                },
            }
        }
        ResolveErrorKind::Timeout => DnsFailure {
            kind: DnsFailureKind::Unknown,
            message: format!("could not resolve host {host}: the resolver did not answer in time"),
        },
        _ => DnsFailure {
            kind: DnsFailureKind::Unknown,
            message: format!("could not resolve host {host}: {e}"),
        },
    }
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let this = self.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let ips = this
                .lookup(&host)
                .await
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
            let addrs: Addrs = Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}
