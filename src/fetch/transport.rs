//! Transport basics every request shares: what a transport error means (`classify`, with the
//! whole cause chain on one line from `describe`), the politeness key of a URL, and its IP
//! literal (for the address guard).

use url::Url;

use super::verdict;
use crate::model::{Reason, State};

pub(super) fn ip_literal(url: &Url) -> Option<std::net::IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(ip.into()),
        url::Host::Ipv6(ip) => Some(ip.into()),
        url::Host::Domain(_) => None,
    }
}

/// The politeness key: host and port (two servers on one machine are two hosts).
pub(super) fn host_of(url: &Url) -> String {
    match url.port_or_known_default() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or("")),
        None => url.host_str().unwrap_or("").to_string(),
    }
}

/// The error and its causes on one line.
pub(super) fn describe(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = s.source();
    }
    msg
}

pub(super) fn classify(e: &reqwest::Error) -> (State, Reason) {
    use super::resolve::{DnsFailure, DnsFailureKind};
    let mut io_kind = None;
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        // Our resolver says exactly what a name failure means.
        if let Some(dns) = s.downcast_ref::<DnsFailure>() {
            return match dns.kind {
                DnsFailureKind::Gone => (State::Dead, Reason::Dns),
                DnsFailureKind::Unknown => (State::Transient, Reason::DnsTemporary),
                DnsFailureKind::Refused => (State::Blocked, Reason::PrivateAddress),
            };
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            io_kind = Some(io.kind());
        }
        source = s.source();
    }
    verdict::from_transport_error(&describe(e), io_kind, e.is_timeout())
}
