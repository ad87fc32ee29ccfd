//! Hostile servers, each a local test server: the run finishes, the reference gets the right
//! state and reason, nothing partial is stored, and the process's peak memory stays bounded.

mod common;

use std::io::Write;
use std::time::Duration;

use common::{link, Reply, Server, Workspace};

/// Peak RSS of any child this test binary has waited for, in MiB (`getrusage(RUSAGE_CHILDREN)`).
fn peak_child_rss_mib() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage only writes into the struct we own.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(rc, 0);
    usage.ru_maxrss as f64 / 1024.0
}

/// Every linkvault process in this file must stay under this, whatever the server does.
const RSS_CEILING_MIB: f64 = 64.0;

/// Test settings plus `extra` keys for the [fetch] table.
fn config(extra: &str) -> String {
    format!("archive = \"archive\"\n[fetch]\nallow_private = true\nper_host_interval = \"0s\"\nretry_backoff = \"10ms\"\n{extra}")
}

fn assert_memory_bounded() {
    let rss = peak_child_rss_mib();
    let _ = writeln!(
        std::io::stderr(),
        "hostile servers: peak child RSS so far {rss:.1} MiB"
    );
    assert!(
        rss <= RSS_CEILING_MIB,
        "peak RSS {rss:.1} MiB over the {RSS_CEILING_MIB} MiB ceiling"
    );
}

fn run_against(s: &Server, paths: &[&str], extra: &str) -> (Workspace, serde_json::Value) {
    let ws = Workspace::with_config(&config(extra));
    let html: String = paths
        .iter()
        .map(|p| format!("<img src=\"{}\">", s.url(p)))
        .collect();
    let page = ws.write("p.html", &html);
    ws.ok(&["run", page.to_str().unwrap()]);
    let report = ws.report_json();
    assert_memory_bounded();
    (ws, report)
}

fn state_reason(l: &serde_json::Value) -> (&str, &str) {
    (
        l["state"].as_str().unwrap_or(""),
        l["reason"].as_str().unwrap_or(""),
    )
}

fn no_objects_or_temp(ws: &Workspace) {
    assert!(
        std::fs::read_dir(ws.archive().join("tmp"))
            .unwrap()
            .next()
            .is_none(),
        "temp file left"
    );
    let stored = ws.objects_besides(&[&ws.path().join("p.html")]);
    assert!(stored.is_empty(), "partial object stored: {stored:?}");
}

#[test]
fn a_slow_drip_is_abandoned_for_being_too_slow() {
    let s = Server::start();
    s.route("/drip.jpg", |_| {
        Reply::new(200, "image/jpeg", vec![b'x'; 200]).drip(Duration::from_millis(20))
    });
    let (ws, r) = run_against(
        &s,
        &["/drip.jpg"],
        "stall_timeout = \"1s\"\nmin_speed = \"1KiB\"\nretries = 0\n",
    );
    let l = link(&r, &s.url("/drip.jpg"));
    assert_eq!(state_reason(l), ("transient", "timeout"), "{l:#}");
    let h = ws.history_json(&s.url("/drip.jpg"));
    assert!(h["checks"][0]["error"]
        .as_str()
        .unwrap()
        .contains("min_speed"));
    no_objects_or_temp(&ws);
}

#[test]
fn a_body_that_never_ends_is_cut_at_the_size_cap() {
    let s = Server::start();
    s.route("/forever.mp4", |_| {
        Reply::new(200, "video/mp4", vec![7u8; 64 * 1024]).endless()
    });
    let (ws, r) = run_against(&s, &["/forever.mp4"], "max_bytes = \"4MiB\"\n");
    assert_eq!(
        state_reason(link(&r, &s.url("/forever.mp4"))),
        ("alive", "too_large")
    );
    no_objects_or_temp(&ws);
}

#[test]
fn content_length_lies_in_both_directions() {
    let s = Server::start();
    // Promises more than it sends, then hangs up.
    s.route("/short.png", |_| {
        Reply::new(200, "image/png", vec![1u8; 50_000]).truncate_after(500)
    });
    // Promises 10 bytes and sends 1000: the promised 10 are the response, the rest is noise.
    s.route("/long.png", |_| {
        Reply::new(200, "image/png", vec![2u8; 1000]).declare_length(Some(10))
    });
    let (_ws, r) = run_against(&s, &["/short.png", "/long.png"], "retries = 0\n");
    assert_eq!(
        state_reason(link(&r, &s.url("/short.png"))),
        ("transient", "reset")
    );
    assert!(link(&r, &s.url("/short.png"))["snapshot"].is_null());
    let long = link(&r, &s.url("/long.png"));
    assert_eq!(long["state"], "alive");
    assert_eq!(long["snapshot"]["bytes"], 10);
}

#[test]
fn a_decompression_bomb_ends_as_too_large_in_bounded_memory() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![0u8; 64 << 20]).unwrap();
    let bomb = gz.finish().unwrap();
    let s = Server::start();
    s.route("/bomb.png", move |_| {
        Reply::new(200, "image/png", bomb.clone()).with_header("Content-Encoding", "gzip")
    });
    // Brotli packs far more per byte: 861 bytes that decode to 64 MiB.
    let br = include_bytes!("fixtures/bomb-64MiB-zeros.br").to_vec();
    s.route("/bomb-br.png", move |_| {
        Reply::new(200, "image/png", br.clone()).with_header("Content-Encoding", "br")
    });
    let (ws, r) = run_against(
        &s,
        &["/bomb.png", "/bomb-br.png"],
        "max_bytes = \"16MiB\"\n",
    );
    for path in ["/bomb.png", "/bomb-br.png"] {
        let l = link(&r, &s.url(path));
        assert_eq!(state_reason(l), ("alive", "too_large"), "{l:#}");
        assert!(l["snapshot"].is_null(), "nothing kept: {l:#}");
    }
    no_objects_or_temp(&ws);
}

#[test]
fn endless_redirects_and_redirects_to_other_schemes_are_dead() {
    let s = Server::start();
    s.route("/chain/*", |req| {
        let n: u64 = req
            .path()
            .rsplit('/')
            .next()
            .and_then(|x| x.parse().ok())
            .unwrap_or(0);
        Reply::redirect(302, &format!("/chain/{}", n + 1))
    });
    s.route("/to-file.png", |_| {
        Reply::redirect(301, "file:///etc/passwd")
    });
    s.route("/to-ftp.png", |_| {
        Reply::redirect(301, "ftp://files.example/x.png")
    });
    let (_ws, r) = run_against(
        &s,
        &["/chain/0", "/to-file.png", "/to-ftp.png"],
        "max_redirects = 5\n",
    );
    assert_eq!(
        state_reason(link(&r, &s.url("/chain/0"))),
        ("dead", "too_many_redirects")
    );
    assert!(
        s.hits("/chain/6") <= 1 && s.hits("/chain/8") == 0,
        "stopped after max_redirects"
    );
    assert_eq!(
        state_reason(link(&r, &s.url("/to-file.png"))),
        ("dead", "bad_redirect")
    );
    assert_eq!(
        state_reason(link(&r, &s.url("/to-ftp.png"))),
        ("dead", "bad_redirect")
    );
}

#[test]
fn thousands_of_headers_fail_the_check_not_the_run() {
    let s = Server::start();
    s.route("/headers.png", |_| {
        let mut r = Reply::new(200, "image/png", b"png".to_vec());
        for i in 0..5000 {
            r.headers.push((format!("X-Junk-{i}"), "y".repeat(40)));
        }
        r
    });
    s.resource("/fine.png", "image/png", b"fine".to_vec());
    let (_ws, r) = run_against(&s, &["/headers.png", "/fine.png"], "retries = 0\n");
    let l = link(&r, &s.url("/headers.png"));
    assert_eq!(l["state"], "transient", "{l:#}");
    assert!(l["snapshot"].is_null());
    assert_eq!(link(&r, &s.url("/fine.png"))["state"], "alive");
}

#[test]
fn binary_garbage_and_invalid_utf8_served_as_html_are_handled() {
    let mut rng = fastrand::Rng::with_seed(7);
    let garbage: Vec<u8> = (0..300_000).map(|_| rng.u8(..)).collect();
    let s = Server::start();
    let g = garbage.clone();
    s.route("/article", move |_| Reply::new(200, "text/html", g.clone()));
    let g = garbage.clone();
    s.route("/page/garbage", move |_| {
        Reply::new(200, "text/html; charset=utf-8", g.clone())
    });
    let ws = Workspace::with_config(&config(""));
    ws.ok(&["run", &s.url("/article")]);
    assert_memory_bounded();
    let page = ws.write(
        "p.html",
        &format!("<a href=\"{}\">x</a>\u{FFFD}\u{0}", s.url("/page/garbage")),
    );
    ws.ok(&["run", page.to_str().unwrap()]);
    let r = ws.report_json();
    let l = link(&r, &s.url("/page/garbage"));
    assert_eq!(l["state"], "alive");
    assert_eq!(l["snapshot"]["bytes"], garbage.len());
}

#[test]
fn a_server_that_resets_mid_body_is_transient_and_leaves_nothing() {
    let s = Server::start();
    s.route("/reset.mp4", |_| {
        Reply::new(200, "video/mp4", vec![3u8; 200_000]).reset_after(5_000)
    });
    let (ws, r) = run_against(&s, &["/reset.mp4"], "retries = 0\n");
    let l = link(&r, &s.url("/reset.mp4"));
    assert_eq!(state_reason(l), ("transient", "reset"), "{l:#}");
    no_objects_or_temp(&ws);
}
