//! Only an authoritative "no such name" kills a reference. Against a real DNS server on
//! 127.0.0.1: NXDOMAIN with the zone's SOA is dead (`dns`); SERVFAIL, a bare NXDOMAIN (what an
//! offline stub or a sinkhole answers for every name) and an unreachable resolver are transient
//! (`dns_temporary`), so an offline machine whose only reachable server is local never marks the
//! public web dead.

mod common;

use std::net::Ipv4Addr;

use common::dns::{Answer, DnsServer};
use common::{link, Reply, Server, Workspace, TEST_CONFIG};

#[test]
fn an_authoritative_nxdomain_is_dead_and_a_failing_resolver_is_transient() {
    let site = Server::start();
    site.resource("/a.png", "image/png", b"\x89PNG here".to_vec());
    let dns = DnsServer::start(&[
        ("ok.test", Answer::A(Ipv4Addr::LOCALHOST)),
        ("gone.test", Answer::NxDomain),
        ("flaky.test", Answer::ServFail),
        ("sinkhole.test", Answer::NxDomainWithoutSoa),
    ]);
    let ws = Workspace::with_config(&format!(
        "{TEST_CONFIG}nameservers = [\"{}\"]\n",
        dns.addr()
    ));
    let ok = format!("http://ok.test:{}/a.png", site.port);
    let page = ws.write(
        "p.html",
        &format!(
            r#"<img src="{ok}"><img src="http://gone.test/x.png"><img src="http://flaky.test/y.png"><img src="http://sinkhole.test/z.png">"#
        ),
    );
    ws.ok(&["run", page.to_str().unwrap()]);
    let r = ws.report_json();
    let state = |u: &str| {
        let l = link(&r, u);
        (
            l["state"].as_str().unwrap().to_string(),
            l["reason"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(
        state(&ok),
        ("alive".into(), "ok".into()),
        "resolved by our server"
    );
    assert_eq!(
        state("http://gone.test/x.png"),
        ("dead".into(), "dns".into())
    );
    assert_eq!(
        state("http://flaky.test/y.png"),
        ("transient".into(), "dns_temporary".into())
    );
    assert_eq!(
        state("http://sinkhole.test/z.png"),
        ("transient".into(), "dns_temporary".into()),
        "no SOA, no proof: a resolver that says NXDOMAIN for everything kills nothing"
    );
    let asked = dns.asked.lock().unwrap().clone();
    assert!(asked.iter().any(|n| n == "gone.test"), "{asked:?}");
    let h = ws.ok(&["history", "http://gone.test/x.png"]);
    assert!(h.contains("could not resolve host gone.test"), "{h}");
}

#[test]
fn with_no_resolver_reachable_public_hosts_stay_alive_while_a_local_server_answers() {
    // A machine offline: its resolver does not answer, only a server on loopback does.
    let local = Server::start();
    local.route("/article", |_| Reply::html("<p>local</p>"));
    local.resource("/pic.png", "image/png", b"\x89PNG local".to_vec());
    let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut ws = Workspace::with_config(&format!(
        "archive = \"archive\"\n[fetch]\nallow_private = true\nper_host_interval = \"0s\"\nretries = 0\nconnect_timeout = \"2s\"\nnameservers = [\"127.0.0.1:{port}\"]\n"
    ));
    let page = ws.write(
        "p.html",
        &format!(
            r#"<img src="{}"><img src="https://public.example/photo.jpg">"#,
            local.url("/pic.png")
        ),
    );
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2026-01-01T00:00:00Z".into())];
    ws.ok(&["run", page.to_str().unwrap()]);
    let r = ws.report_json();
    let public = link(&r, "https://public.example/photo.jpg");
    assert_eq!(public["state"], "transient", "{public:#}");
    assert_eq!(public["reason"], "dns_temporary");
    assert_eq!(r["summary"]["dead"], 0);
}
