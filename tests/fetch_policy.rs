//! How linkvault fetches: politeness limits, the User-Agent, proxies (names never resolved
//! locally), the size cap, and the `--every` service loop — against real loopback servers.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use common::socks::Socks5;
use common::{assert_says, link, stderr, PublicAddress, Reply, Server, Workspace, TEST_CONFIG};

#[test]
fn per_host_interval_and_concurrency_and_user_agent_are_respected() {
    let s = Server::start();
    for i in 0..4 {
        s.resource(
            &format!("/p{i}.png"),
            "image/png",
            format!("picture {i}").into_bytes(),
        );
    }
    let ws = Workspace::with_config(
        "[fetch]\nallow_private = true\nper_host_interval = \"200ms\"\nper_host_concurrency = 1\nconcurrency = 8\nuser_agent = \"newsroom-archive/2 (desk@example.org)\"\n",
    );
    let page = ws.write(
        "p.html",
        &(0..4)
            .map(|i| format!("<img src=\"{}\">", s.url(&format!("/p{i}.png"))))
            .collect::<String>(),
    );
    ws.ok(&["run", page.to_str().unwrap()]);
    let reqs = s.requests();
    assert_eq!(reqs.len(), 4);
    // linkvault spaces request *starts* 200 ms apart; arrival times carry some scheduling
    // jitter, so each gap gets slack, and the whole span must still show the spacing.
    for pair in reqs.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(
            gap >= Duration::from_millis(120),
            "requests to one host only {gap:?} apart"
        );
    }
    let span = reqs[3].at.duration_since(reqs[0].at);
    assert!(
        span >= Duration::from_millis(540),
        "4 requests spread over only {span:?}"
    );
    assert!(reqs
        .iter()
        .all(|r| r.header("user-agent") == Some("newsroom-archive/2 (desk@example.org)")));
}

#[test]
fn http_proxy_from_the_environment_resolves_names_for_us() {
    // The proxy is our loopback server: requests arrive in absolute form.
    let proxy = Server::start();
    proxy.route("http://archived.invalid/evidence.png", |_| {
        Reply::new(200, "image/png", b"evidence".to_vec())
    });
    let mut ws = Workspace::new();
    let page = ws.write(
        "p.html",
        r#"<img src="http://archived.invalid/evidence.png">"#,
    );
    ws.extra_env = vec![("HTTP_PROXY".into(), proxy.url(""))];
    ws.ok(&["run", page.to_str().unwrap()]);
    let report = ws.report_json();
    let l = link(&report, "http://archived.invalid/evidence.png");
    assert_eq!(
        l["state"], "alive",
        "the .invalid name was resolved by the proxy, not locally: {l:#}"
    );
    assert_eq!(
        proxy.requests()[0].target,
        "http://archived.invalid/evidence.png"
    );
}

#[test]
fn socks5h_proxy_gets_the_name_not_an_address() {
    let site = Server::start();
    site.resource("/clip.mp4", "video/mp4", b"clip bytes".to_vec());
    let socks = Socks5::start(site.port);
    let mut ws = Workspace::new();
    let page = ws.write(
        "p.html",
        &format!(
            r#"<video src="http://hidden-service.invalid:{}/clip.mp4"></video>"#,
            site.port
        ),
    );
    ws.extra_env = vec![(
        "ALL_PROXY".into(),
        format!("socks5h://127.0.0.1:{}", socks.port),
    )];
    ws.ok(&["run", page.to_str().unwrap()]);
    let asked = socks.asked.lock().unwrap().clone();
    assert_eq!(
        asked,
        [format!("name:hidden-service.invalid:{}", site.port)]
    );
    let report = ws.report_json();
    let l = link(
        &report,
        &format!("http://hidden-service.invalid:{}/clip.mp4", site.port),
    );
    assert_eq!(l["state"], "alive");
    assert_eq!(l["snapshot"]["bytes"], 10);
}

#[test]
fn proxy_in_the_config_is_used_too() {
    let site = Server::start();
    site.resource("/map.png", "image/png", b"map".to_vec());
    let socks = Socks5::start(site.port);
    let ws = Workspace::with_config(&format!(
        "{TEST_CONFIG}proxy = \"socks5h://127.0.0.1:{}\"\n",
        socks.port
    ));
    let page = ws.write("p.html", r#"<img src="http://maps.invalid/map.png">"#);
    ws.ok(&["run", page.to_str().unwrap()]);
    assert_eq!(socks.asked.lock().unwrap().len(), 1);
    assert_eq!(
        link(&ws.report_json(), "http://maps.invalid/map.png")["state"],
        "alive"
    );
}

#[test]
fn oversize_bodies_are_stopped_and_reported_not_stored() {
    let s = Server::start();
    s.resource("/huge.mp4", "video/mp4", vec![7u8; 200_000]);
    s.resource("/small.png", "image/png", b"small".to_vec());
    let ws = Workspace::with_config(&format!("{TEST_CONFIG}max_bytes = \"100KiB\"\n"));
    let page = ws.write(
        "p.html",
        &format!(
            r#"<video src="{}"></video><img src="{}">"#,
            s.url("/huge.mp4"),
            s.url("/small.png")
        ),
    );
    ws.ok(&["run", page.to_str().unwrap()]);
    let r = ws.report_json();
    let huge = link(&r, &s.url("/huge.mp4"));
    assert_eq!(
        (huge["state"].as_str(), huge["reason"].as_str()),
        (Some("alive"), Some("too_large"))
    );
    assert!(huge["snapshot"].is_null());
    let h = ws.history_json(&s.url("/huge.mp4"));
    assert!(h["checks"][0]["error"]
        .as_str()
        .unwrap()
        .contains("max_bytes"));
    // Nothing partial anywhere in the store.
    assert!(std::fs::read_dir(ws.archive().join("tmp"))
        .unwrap()
        .next()
        .is_none());
    assert_eq!(link(&r, &s.url("/small.png"))["state"], "alive");
}

#[test]
fn every_loops_as_a_service_running_passes() {
    let s = Server::start();
    s.resource("/pulse.png", "image/png", b"pulse".to_vec());
    let ws = Workspace::with_config(&format!(
        "{TEST_CONFIG}[schedule]\nrecheck_alive = \"0s\"\n"
    ));
    let page = ws.write("p.html", &format!(r#"<img src="{}">"#, s.url("/pulse.png")));
    let mut child = ws
        .command(&["run", page.to_str().unwrap(), "--every", "100ms"])
        .env("LINKVAULT_EVERY_FLOOR", "10ms")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read the log until three passes have completed, then stop the service.
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut passes = 0;
    while passes < 3 {
        let line = lines.next().expect("service ended early").unwrap();
        if line.contains("run complete") {
            passes += 1;
        }
    }
    child.kill().unwrap();
    let _ = child.wait();
    assert!(
        s.hits("/pulse.png") >= 3,
        "each pass rechecked the due reference"
    );
}

#[test]
fn an_unwritable_store_is_a_clear_error() {
    let ws = Workspace::new();
    let file = ws.write("not-a-dir", "x");
    let page = ws.write("p.html", "<img src=\"http://127.0.0.1:9/a.png\">");
    let out = ws.run(&[
        "--archive",
        file.join("archive").to_str().unwrap(),
        "run",
        page.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_says(&out, "cannot create or open the archive");
}

#[test]
fn a_stalled_body_and_a_truncated_body_are_transient_and_leave_nothing_partial() {
    let s = Server::start();
    s.route("/stalls.mp4", |_| {
        Reply::new(200, "video/mp4", vec![1u8; 50_000]).stall_after(1000)
    });
    s.route("/cut.mp4", |_| {
        Reply::new(200, "video/mp4", vec![2u8; 50_000]).truncate_after(1000)
    });
    let ws = Workspace::with_config(
        "[fetch]\nallow_private = true\nstall_timeout = \"1s\"\nretries = 0\nper_host_interval = \"0s\"\n",
    );
    let page = ws.write(
        "p.html",
        &format!(
            r#"<video src="{}"></video><video src="{}"></video>"#,
            s.url("/stalls.mp4"),
            s.url("/cut.mp4")
        ),
    );
    ws.ok(&["run", page.to_str().unwrap()]);
    let r = ws.report_json();
    let stalled = link(&r, &s.url("/stalls.mp4"));
    assert_eq!(
        (stalled["state"].as_str(), stalled["reason"].as_str()),
        (Some("transient"), Some("timeout")),
        "{stalled:#}"
    );
    let cut = link(&r, &s.url("/cut.mp4"));
    assert_eq!(
        (cut["state"].as_str(), cut["reason"].as_str()),
        (Some("transient"), Some("reset")),
        "{cut:#}"
    );
    assert!(stalled["snapshot"].is_null() && cut["snapshot"].is_null());
    assert!(
        std::fs::read_dir(ws.archive().join("tmp"))
            .unwrap()
            .next()
            .is_none(),
        "no partial download left"
    );
    let stored = ws.objects_besides(&[&page]);
    assert!(stored.is_empty(), "no partial object stored: {stored:?}");
}

#[test]
fn by_default_loopback_and_private_addresses_are_refused() {
    let s = Server::start();
    s.resource("/secret.png", "image/png", b"internal".to_vec());
    // No allow_private: the built-in default, as a user gets it.
    let ws = Workspace::with_config("[fetch]\nper_host_interval = \"0s\"\n");
    let page = ws.write(
        "p.html",
        &format!(
            r#"<img src="http://127.0.0.1:{p}/secret.png"><img src="http://localhost:{p}/secret.png"><img src="http://169.254.169.254/latest/meta-data/">"#,
            p = s.port
        ),
    );
    let out = ws.run(&["run", page.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("NETWORK DOWN"),
        "a refusal is not a network failure"
    );
    assert_eq!(s.requests().len(), 0, "nothing reached the loopback server");
    let r = ws.report_json();
    for url in [
        format!("http://127.0.0.1:{}/secret.png", s.port),
        format!("http://localhost:{}/secret.png", s.port),
        "http://169.254.169.254/latest/meta-data/".to_string(),
    ] {
        let l = link(&r, &url);
        assert_eq!(
            (l["state"].as_str(), l["reason"].as_str()),
            (Some("blocked"), Some("private_address")),
            "{l:#}"
        );
    }
}

#[test]
fn a_public_host_cannot_redirect_linkvault_into_private_addresses() {
    let public_ip = PublicAddress::add();
    let public = Server::start_on(public_ip.0);
    let inside = Server::start();
    inside.resource("/secret.png", "image/png", b"internal".to_vec());
    let secret = inside.url("/secret.png");
    let by_name = format!("http://localhost:{}/secret.png", inside.port);
    public.resource("/ok.png", "image/png", b"a public picture".to_vec());
    public.route("/to-literal.png", move |_| Reply::redirect(302, &secret));
    public.route("/to-name.png", move |_| Reply::redirect(302, &by_name));
    public.route("/to-metadata.png", |_| {
        Reply::redirect(302, "http://169.254.169.254/latest/meta-data/")
    });
    // The built-in default policy, as a user gets it.
    let ws = Workspace::with_config("[fetch]\nper_host_interval = \"0s\"\nretries = 0\n");
    let paths = [
        "/ok.png",
        "/to-literal.png",
        "/to-name.png",
        "/to-metadata.png",
    ];
    let page = ws.write(
        "p.html",
        &paths
            .map(|p| format!(r#"<img src="{}">"#, public.url(p)))
            .concat(),
    );
    let out = ws.run(&["run", page.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    for p in paths {
        assert_eq!(public.hits(p), 1, "the public host was asked for {p}");
    }
    assert_eq!(
        inside.requests().len(),
        0,
        "no redirect reached the loopback server"
    );
    let r = ws.report_json();
    let ok = link(&r, &public.url("/ok.png"));
    assert_eq!(ok["state"], "alive", "a public address is fetched: {ok:#}");
    for p in &paths[1..] {
        let l = link(&r, &public.url(p));
        assert_eq!(
            (l["state"].as_str(), l["reason"].as_str()),
            (Some("blocked"), Some("private_address")),
            "{p}: {l:#}"
        );
    }
}

#[test]
fn yt_dlp_cannot_be_led_to_private_addresses_by_a_public_page() {
    let public_ip = PublicAddress::add_ip("11.22.33.45");
    let public = Server::start_on(public_ip.0);
    let inside = Server::start();
    let clip: Vec<u8> = (0..64 * 1024u32).map(|i| (i % 251) as u8).collect();
    inside.resource("/clip.mp4", "video/mp4", clip.clone());
    public.resource("/clip.mp4", "video/mp4", clip.clone());
    let page = |src: &str| {
        format!("<html><head><title>Footage</title></head><body><video controls><source src=\"{src}\" type=\"video/mp4\"></video></body></html>")
    };
    let to_inside = page(&inside.url("/clip.mp4"));
    let to_metadata = page("http://169.254.169.254/latest/clip.mp4");
    let to_public = page(&public.url("/clip.mp4"));
    public.route("/watch/inside", move |_| Reply::html(&to_inside));
    public.route("/watch/metadata", move |_| Reply::html(&to_metadata));
    public.route("/watch/public", move |_| Reply::html(&to_public));
    // The built-in address policy, with yt-dlp taking every /watch/ page.
    let ws = Workspace::with_config(&format!(
        "[fetch]\nper_host_interval = \"0s\"\nretries = 0\n[video]\nyt_dlp = \"{}\"\nper_host_interval = \"0s\"\npatterns = [\"/watch/\"]\n",
        common::yt_dlp()
    ));
    let article = ws.write(
        "a.html",
        &["/watch/inside", "/watch/metadata", "/watch/public"]
            .map(|p| format!(r#"<a href="{}">video</a>"#, public.url(p)))
            .concat(),
    );
    let out = ws.run(&["run", article.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        inside.hits("/clip.mp4"),
        0,
        "yt-dlp never reached the loopback server"
    );
    let r = ws.report_json();
    let public_video = link(&r, &public.url("/watch/public"));
    assert_eq!(
        public_video["video"], "captured",
        "public media still goes through: {public_video:#}"
    );
    assert_eq!(
        public_video["snapshot"]["sha256"],
        common::sha256_hex(&clip)
    );
    for p in ["/watch/inside", "/watch/metadata"] {
        let l = link(&r, &public.url(p));
        assert_ne!(l["video"], "captured", "{p}: {l:#}");
        let h = ws.history_json(&public.url(p));
        let note = h["checks"][0]["video"].as_str().unwrap_or("").to_string();
        assert!(
            note.contains("403") || note.contains("non-public"),
            "{p}: yt-dlp was refused by the policy: {note}"
        );
    }
}
