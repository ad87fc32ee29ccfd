//! End-to-end behaviour of `linkvault run`, `report`, `history`, `restore` and `verify`
//! against real HTTP servers on 127.0.0.1, a real SQLite file and a real store on disk.

mod common;

use std::fs;
use std::process::Stdio;

use common::dns::DnsServer;
use common::{assert_says, link, sha256_hex, stderr, Reply, Server, Workspace, TEST_CONFIG};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n-this-is-a-picture-of-a-rally-";
const MP4: &[u8] = b"\x00\x00\x00\x18ftypmp42-video-of-the-protest-";

fn article(body: &str) -> String {
    format!("<html><head><title>Rallies</title></head><body><article>{body}</article><footer><a href=\"/about\">about</a></footer></body></html>")
}

/// A small news site: an article citing images, a video, an embed and a source.
fn small_site() -> Server {
    let s = Server::start();
    s.resource("/img/rally.png", "image/png", PNG);
    s.resource("/video/protest.mp4", "video/mp4", MP4);
    s.resource(
        "/embed/player",
        "text/html",
        "<html><body>player</body></html>",
    );
    s.route("/source/report", |_| {
        Reply::html(
            "<html><body><p>The original report about the rallies in many towns.</p></body></html>",
        )
    });
    s.route("/source/lvq-missing", |_| Reply::status(404));
    s.route("/news/article", |_| {
        Reply::html(&article(
            r#"<img src="/img/rally.png" alt="">
               <video src="/video/protest.mp4" poster="/img/rally.png"></video>
               <iframe src="/embed/player"></iframe>
               <a href="/source/report">source</a>"#,
        ))
    });
    s
}

#[test]
fn full_run_archives_every_reference_and_restores_bytes_exactly() {
    let site = small_site();
    let ws = Workspace::new();
    let out = ws.run(&["run", &site.url("/news/article")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = ws.report_json();
    assert_eq!(report["summary"]["articles"], 1);
    assert_eq!(report["summary"]["links"], 4, "{report:#}");
    assert_eq!(report["summary"]["alive"], 4);
    let img = link(&report, &site.url("/img/rally.png"));
    assert_eq!(img["kind"], "image");
    assert_eq!(img["state"], "alive");
    assert_eq!(img["snapshot"]["sha256"], sha256_hex(PNG));
    assert_eq!(img["snapshot"]["bytes"], PNG.len());
    assert_eq!(img["articles"][0], site.url("/news/article"));
    assert_eq!(
        link(&report, &site.url("/video/protest.mp4"))["kind"],
        "video"
    );
    assert_eq!(link(&report, &site.url("/embed/player"))["kind"], "embed");
    assert_eq!(link(&report, &site.url("/source/report"))["kind"], "page");
    // The footer link is outside the article's main content.
    assert!(report["links"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["url"] != site.url("/about")));

    let restored = ws.path().join("restored.mp4");
    ws.ok(&[
        "restore",
        &sha256_hex(MP4),
        "-o",
        restored.to_str().unwrap(),
    ]);
    assert_eq!(fs::read(&restored).unwrap(), MP4);
    // By unique prefix, to standard output.
    let out = ws.run(&["restore", &sha256_hex(PNG)[..10], "-o", "-"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, PNG);
    // By URL.
    let by_url = ws.path().join("by-url.png");
    ws.ok(&[
        "restore",
        "--url",
        &site.url("/img/rally.png"),
        "-o",
        by_url.to_str().unwrap(),
    ]);
    assert_eq!(fs::read(&by_url).unwrap(), PNG);
    // verify is happy with an untouched archive.
    let v = ws.ok(&["verify"]);
    assert!(v.contains("archive is consistent"), "{v}");
}

#[test]
fn identical_content_under_two_urls_is_stored_once() {
    let s = Server::start();
    s.resource("/a/one.png", "image/png", PNG);
    s.resource("/b/two.png", "image/png", PNG);
    let ws = Workspace::new();
    let page = ws.write(
        "page.html",
        &format!(
            r#"<img src="{}"><img src="{}">"#,
            s.url("/a/one.png"),
            s.url("/b/two.png")
        ),
    );
    ws.ok(&["run", page.to_str().unwrap()]);
    let report = ws.report_json();
    let a = &link(&report, &s.url("/a/one.png"))["snapshot"]["sha256"];
    let b = &link(&report, &s.url("/b/two.png"))["snapshot"]["sha256"];
    assert_eq!(a, b);
    let objects: Vec<_> = walk(&ws.archive().join("objects"));
    let pictures: Vec<_> = objects
        .iter()
        .filter(|p| fs::read(p).unwrap() == PNG)
        .collect();
    assert_eq!(pictures.len(), 1, "{objects:?}");
    assert_eq!(
        objects.len(),
        2,
        "the picture once, and a copy of the article: {objects:?}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A site that rots in every way the report distinguishes.
fn rotten_site() -> Server {
    let s = Server::start();
    s.route("/gone404.png", |_| Reply::status(404));
    s.route("/gone410.png", |_| Reply::status(410));
    s.route("/forbidden.png", |_| Reply::status(403));
    s.route("/censored.png", |_| Reply::status(451));
    s.route("/loop/a", |_| Reply::redirect(302, "/loop/b"));
    s.route("/loop/b", |_| Reply::redirect(302, "/loop/a"));
    s.route("/deep/story-2018.html", |_| Reply::redirect(301, "/"));
    s.route("/", |_| {
        Reply::html(
            "<html><body><h1>Front page</h1><p>Latest news from everywhere.</p></body></html>",
        )
    });
    s
}

#[test]
fn each_kind_of_rot_gets_its_state_and_reason() {
    let s = rotten_site();
    // A name server that says, with authority, that gone-host.invalid does not exist.
    let dns = DnsServer::start(&[]);
    let ws = Workspace::with_config(&format!(
        "{TEST_CONFIG}nameservers = [\"{}\"]\n",
        dns.addr()
    ));
    let refs = [
        "/gone404.png",
        "/gone410.png",
        "/forbidden.png",
        "/censored.png",
        "/loop/a",
        "/deep/story-2018.html",
    ];
    let mut html: String = refs
        .iter()
        .map(|r| format!("<a href=\"{}\">x</a>", s.url(r)))
        .collect();
    html.push_str("<img src=\"http://gone-host.invalid/pic.png\">");
    let page = ws.write("page.html", &html);
    ws.ok(&["run", page.to_str().unwrap()]);
    let report = ws.report_json();
    let expect = [
        ("/gone404.png", "dead", "http_404"),
        ("/gone410.png", "dead", "http_410"),
        ("/forbidden.png", "blocked", "http_403"),
        ("/censored.png", "blocked", "http_451"),
        ("/loop/a", "dead", "redirect_loop"),
        ("/deep/story-2018.html", "dead", "redirect_to_root"),
    ];
    for (path, state, reason) in expect {
        let l = link(&report, &s.url(path));
        assert_eq!(
            (l["state"].as_str(), l["reason"].as_str()),
            (Some(state), Some(reason)),
            "{path}: {l:#}"
        );
        assert_eq!(l["confirmed"], false, "one check never confirms a death");
        assert!(
            l["snapshot"].is_null(),
            "an error page is never the good snapshot: {l:#}"
        );
    }
    let gone = link(&report, "http://gone-host.invalid/pic.png");
    assert_eq!(
        (gone["state"].as_str(), gone["reason"].as_str()),
        (Some("dead"), Some("dns"))
    );
    assert_eq!(
        report["summary"]["lost"].as_u64().unwrap()
            + report["summary"]["rescued"].as_u64().unwrap(),
        report["summary"]["dead"].as_u64().unwrap()
            + report["summary"]["blocked"].as_u64().unwrap()
            + report["summary"]["transient"].as_u64().unwrap()
    );
    // The default report lists only what is not alive, with a summary line.
    let table = ws.ok(&["report"]);
    assert!(
        table.contains("dead: redirect loop (unconfirmed)")
            && table.contains("dead: HTTP 404 (unconfirmed)")
            && !table.contains("http_404"),
        "{table}"
    );
}

#[test]
fn soft_404_is_detected_by_probing_a_made_up_sibling() {
    let s = Server::start();
    // A platform that answers every video id with the same "unavailable" page...
    s.route("/videos/*", |_| {
        Reply::html("<html><body><h1>Video unavailable</h1><p>This video is no longer available because the account associated with it has been terminated.</p></body></html>")
    });
    // ...and a site that answers made-up addresses honestly with 404.
    s.route("/stories/real-story", |_| {
        Reply::html("<html><body><h1>Rallies in 83 towns</h1><p>Tens of thousands demonstrated on Friday against the regime.</p></body></html>")
    });
    // A single-page app: every address gets the same shell, which its script fills in.
    s.route("/app/*", |_| {
        Reply::html("<html><head><title>Newsroom</title><script src=\"/app.js\"></script></head><body><div id=\"root\"></div><noscript>You need to enable JavaScript to run this app.</noscript></body></html>")
    });
    // A video platform addressing videos by query parameter.
    s.route("/watch", |r| {
        if r.target.contains("v=realvideo1") {
            Reply::html("<html><body><h1>Protest in Idlib, 14 September</h1><p>Footage of the demonstration in Maarat al-Numan.</p></body></html>")
        } else {
            Reply::html("<html><body><h1>Video unavailable</h1><p>This video is private or has been removed.</p></body></html>")
        }
    });
    let ws = Workspace::new();
    let page = ws.write(
        "page.html",
        &format!(
            r#"<a href="{}">v</a><a href="{}">s</a><a href="{}">w</a><a href="{}">a</a>"#,
            s.url("/videos/abc123"),
            s.url("/stories/real-story"),
            s.url("/watch?v=realvideo1"),
            s.url("/app/articles/42")
        ),
    );
    ws.ok(&["run", page.to_str().unwrap()]);
    let report = ws.report_json();
    let v = link(&report, &s.url("/videos/abc123"));
    assert_eq!(
        (v["state"].as_str(), v["reason"].as_str()),
        (Some("dead"), Some("soft_404")),
        "{v:#}"
    );
    assert!(
        v["snapshot"].is_null(),
        "a soft-404 page is never the good snapshot"
    );
    assert_eq!(
        link(&report, &s.url("/stories/real-story"))["state"],
        "alive"
    );
    let w = link(&report, &s.url("/watch?v=realvideo1"));
    assert_eq!(w["state"], "alive", "{w:#}");
    let app = link(&report, &s.url("/app/articles/42"));
    assert_eq!(
        app["state"], "alive",
        "a script-rendered shell is not called a soft 404: {app:#}"
    );
    assert_eq!(w["kind"], "page");
    // The probes really went to made-up siblings.
    let probes: Vec<_> = s
        .requests()
        .into_iter()
        .filter(|r| r.target.contains("lvq"))
        .collect();
    assert!(
        probes.iter().any(|r| r.path().starts_with("/videos/lvq")),
        "{probes:?}"
    );
    assert!(
        probes
            .iter()
            .any(|r| r.path() == "/watch" && r.target.contains("v=lvq")),
        "{probes:?}"
    );
}

#[test]
fn retry_after_is_honoured_and_a_503_that_recovers_is_alive() {
    let s = Server::start();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = count.clone();
    s.route("/busy.png", move |_| {
        if c.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            Reply::status(503).with_header("Retry-After", "1")
        } else {
            Reply::new(200, "image/png", PNG)
        }
    });
    let other = Server::start();
    other.route("/always-busy.png", |_| {
        Reply::status(503).with_header("Retry-After", "3600")
    });
    let ws = Workspace::new();
    let page = ws.write(
        "p.html",
        &format!(
            r#"<img src="{}"><img src="{}">"#,
            s.url("/busy.png"),
            other.url("/always-busy.png")
        ),
    );
    ws.ok(&["run", page.to_str().unwrap()]);
    let hits: Vec<_> = s
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/busy.png")
        .collect();
    assert_eq!(hits.len(), 2);
    assert!(
        hits[1].at.duration_since(hits[0].at) >= std::time::Duration::from_secs(1),
        "Retry-After: 1 not honoured"
    );
    let report = ws.report_json();
    assert_eq!(link(&report, &s.url("/busy.png"))["state"], "alive");
    let busy = link(&report, &other.url("/always-busy.png"));
    assert_eq!(
        (busy["state"].as_str(), busy["reason"].as_str()),
        (Some("transient"), Some("http_503"))
    );
    // A Retry-After longer than fetch.max_retry_after is not waited for within the run.
    assert_eq!(other.hits("/always-busy.png"), 1);
}

#[test]
fn recheck_with_etag_downloads_nothing_and_drift_keeps_both_versions() {
    let s = Server::start();
    s.resource("/stable.png", "image/png", PNG);
    let version = std::sync::Arc::new(std::sync::Mutex::new(b"first version of the map".to_vec()));
    let v = version.clone();
    s.route("/map.png", move |_| {
        Reply::new(200, "image/png", v.lock().unwrap().clone())
    });
    let mut ws = Workspace::new();
    let page = ws.write(
        "p.html",
        &format!(
            r#"<img src="{}"><img src="{}">"#,
            s.url("/stable.png"),
            s.url("/map.png")
        ),
    );
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2027-01-01T00:00:00Z".into())];
    ws.ok(&["run", page.to_str().unwrap()]);
    let sent_before = s.body_bytes_sent();
    *version.lock().unwrap() = b"second version of the map, redrawn".to_vec();
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2027-01-02T00:00:00Z".into())];
    ws.ok(&["run", "--recheck"]);
    // The stable image was asked conditionally and answered 304: no body travelled.
    let stable: Vec<_> = s
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/stable.png")
        .collect();
    assert_eq!(stable.len(), 2);
    assert!(stable[1].header("if-none-match").is_some());
    assert_eq!(
        s.body_bytes_sent() - sent_before,
        b"second version of the map, redrawn".len() as u64
    );
    let h = ws.history_json(&s.url("/stable.png"));
    assert_eq!(h["checks"][1]["reason"], "not_modified");
    assert_eq!(h["snapshots"].as_array().unwrap().len(), 1);
    // The map drifted: two snapshots, both restorable, the report points at the newest.
    let h = ws.history_json(&s.url("/map.png"));
    let snaps = h["snapshots"].as_array().unwrap();
    assert_eq!(snaps.len(), 2);
    assert_eq!(h["checks"][1]["content_changed"], true);
    for (snap, bytes) in snaps.iter().zip([
        &b"first version of the map"[..],
        b"second version of the map, redrawn",
    ]) {
        let out = ws.run(&["restore", snap["sha256"].as_str().unwrap(), "-o", "-"]);
        assert_eq!(out.stdout, bytes);
    }
    let r = ws.report_json();
    assert_eq!(
        link(&r, &s.url("/map.png"))["snapshot"]["sha256"],
        sha256_hex(b"second version of the map, redrawn")
    );
    // --at picks the older snapshot.
    let first_at = snaps[0]["captured_at"].as_str().unwrap();
    let out = ws.run(&[
        "restore",
        "--url",
        &s.url("/map.png"),
        "--at",
        first_at,
        "-o",
        "-",
    ]);
    assert_eq!(out.stdout, b"first version of the map");
}

#[test]
fn restore_refuses_corrupted_unknown_and_ambiguous_hashes_and_verify_finds_corruption() {
    let s = Server::start();
    s.resource("/a.png", "image/png", PNG);
    s.resource("/b.mp4", "video/mp4", MP4);
    let ws = Workspace::new();
    let page = ws.write(
        "p.html",
        &format!(
            r#"<img src="{}"><video src="{}"></video>"#,
            s.url("/a.png"),
            s.url("/b.mp4")
        ),
    );
    ws.ok(&["run", page.to_str().unwrap()]);
    let sha = sha256_hex(PNG);
    let object = ws.archive().join("objects").join(&sha[..2]).join(&sha[2..]);
    let mut bytes = fs::read(&object).unwrap();
    bytes[3] ^= 0xff;
    fs::write(&object, &bytes).unwrap();

    let target = ws.path().join("out.png");
    let out = ws.run(&["restore", &sha, "-o", target.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("corrupted"), "{}", stderr(&out));
    assert!(!target.exists(), "a failed restore leaves no file");
    assert!(fs::read_dir(ws.path()).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains(".part")));

    let out = ws.run(&["restore", "0000000000", "-o", target.to_str().unwrap()]);
    assert!(
        !out.status.success() && stderr(&out).contains("no snapshot"),
        "{}",
        stderr(&out)
    );
    let out = ws.run(&["restore", "abc", "-o", "-"]);
    assert!(!out.status.success() && stderr(&out).contains("at least 8 hex digits"));

    let out = ws.run(&["verify"]);
    assert!(
        !out.status.success(),
        "verify must fail on a corrupted object"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("CORRUPTED  {sha}")), "{text}");
    assert!(
        !text.contains(&format!("CORRUPTED  {}", sha256_hex(MP4))),
        "only the damaged object is reported: {text}"
    );
}

#[test]
fn a_run_with_the_network_down_marks_nothing_dead() {
    let ws = Workspace::new();
    // Nothing listens on the closed port; the .invalid hosts never resolve.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let page = ws.write(
        "p.html",
        &format!(r#"<img src="http://one.invalid/a.png"><img src="http://two.invalid/b.png"><img src="http://127.0.0.1:{closed}/c.png">"#),
    );
    let out = ws.run(&["run", page.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "network down has its own exit code: {}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("NETWORK DOWN"), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("dead: "),
        "no failure is announced before the outage is known: {}",
        stderr(&out)
    );
    let report = ws.report_json();
    assert_eq!(report["summary"]["dead"], 0, "{report:#}");
    assert_eq!(report["summary"]["unchecked"], 3);
    let h = ws.history_json("http://one.invalid/a.png");
    assert_eq!(h["checks"][0]["network_down"], true);
}

/// An archive citing two hosts, stepped through time so that the third run has one reference
/// due: the one on `gone` (checked first, so due first). `witness` answered in the second run.
/// Returns the workspace set to the third run's time and the due reference's URL.
fn two_hosts_one_due(witness: &Server, gone: &Server) -> (Workspace, String) {
    let mut ws = Workspace::new();
    let gone_url = gone.url("/b.png");
    gone.resource("/b.png", "image/png", PNG);
    witness.resource("/a.png", "image/png", PNG.repeat(2));
    // Another name for loopback, so the two are two hosts in the archive.
    let witness_url = format!("http://localhost:{}/a.png", witness.port);
    let b = ws.write("b.html", &format!(r#"<img src="{gone_url}">"#));
    let a = ws.write("a.html", &format!(r#"<img src="{witness_url}">"#));
    let t0: i64 = 1_800_000_000;
    let day = 86_400;
    for (t, page) in [(t0, &b), (t0 + 2 * day, &a)] {
        ws.extra_env = vec![("LINKVAULT_NOW".into(), t.to_string())];
        ws.ok(&["run", page.to_str().unwrap()]);
    }
    let r = ws.report_json();
    assert_eq!(link(&r, &gone_url)["state"], "alive", "{r:#}");
    assert_eq!(link(&r, &witness_url)["state"], "alive", "{r:#}");
    // Day 7.5: `gone`'s reference is due (alive for 7 days), `witness`'s is not.
    ws.extra_env = vec![("LINKVAULT_NOW".into(), (t0 + 15 * day / 2).to_string())];
    (ws, gone_url)
}

fn last_check(ws: &Workspace, url: &str) -> serde_json::Value {
    let h = ws.history_json(url);
    h["checks"].as_array().unwrap().last().unwrap().clone()
}

#[test]
fn a_vanished_host_counts_as_gone_when_a_host_that_answered_before_still_answers() {
    let (witness, gone) = (Server::start(), Server::start());
    let (ws, gone_url) = two_hosts_one_due(&witness, &gone);
    gone.stop();
    let before = witness.requests().len();
    let out = ws.run(&["run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("NETWORK DOWN"), "{}", stderr(&out));
    assert_says(&out, "the network is up");
    let asked: Vec<_> = witness.requests()[before..].to_vec();
    assert!(
        asked
            .iter()
            .any(|r| r.method == "HEAD" && r.path() == "/a.png"),
        "the witness was asked: {asked:?}"
    );
    let c = last_check(&ws, &gone_url);
    assert_eq!(c["network_down"], false, "{c:#}");
    assert_eq!(c["state"], "dead", "{c:#}");
    assert_eq!(c["reason"], "connection_refused", "{c:#}");
    let r = ws.report_json();
    assert_eq!(link(&r, &gone_url)["state"], "dead", "{r:#}");
}

#[test]
fn with_every_host_silent_including_those_that_answered_before_the_network_is_down() {
    let (witness, gone) = (Server::start(), Server::start());
    let (ws, gone_url) = two_hosts_one_due(&witness, &gone);
    gone.stop();
    witness.stop();
    let out = ws.run(&["run"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("NETWORK DOWN"), "{}", stderr(&out));
    let c = last_check(&ws, &gone_url);
    assert_eq!(c["network_down"], true, "{c:#}");
    let r = ws.report_json();
    assert_eq!(
        link(&r, &gone_url)["state"],
        "alive",
        "a check while the network was down changes nothing: {r:#}"
    );
}

#[test]
fn a_configured_witness_that_answers_shows_the_network_is_up() {
    let witness = Server::start();
    witness.route("/", |_| Reply::status(204));
    let dns = DnsServer::start(&[]);
    let ws = Workspace::with_config(&format!(
        "{}witnesses = [\"{}\"]\nnameservers = [\"{}\"]\n",
        common::TEST_CONFIG,
        witness.url("/"),
        dns.addr()
    ));
    let page = ws.write("p.html", r#"<img src="http://gone.invalid/x.png">"#);
    let out = ws.run(&["run", page.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("NETWORK DOWN"), "{}", stderr(&out));
    assert!(
        witness
            .requests()
            .iter()
            .any(|r| r.method == "HEAD" && r.path() == "/"),
        "the configured witness was asked"
    );
    let c = last_check(&ws, "http://gone.invalid/x.png");
    assert_eq!(c["network_down"], false, "{c:#}");
    assert_eq!(c["reason"], "dns", "{c:#}");
    let r = ws.report_json();
    assert_eq!(r["summary"]["dead"], 1, "{r:#}");
}

#[test]
fn two_runs_on_one_archive_never_overlap() {
    let s = Server::start();
    let gate = std::sync::Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
    let g = gate.clone();
    s.route("/slow.png", move |_| {
        let (open, cv) = &*g;
        let mut o = open.lock().unwrap();
        while !*o {
            o = cv.wait(o).unwrap();
        }
        Reply::new(200, "image/png", PNG)
    });
    let ws = Workspace::new();
    let page = ws.write("p.html", &format!(r#"<img src="{}">"#, s.url("/slow.png")));
    let first = ws
        .command(&["run", page.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    s.wait_for_hit("/slow.png");
    let second = ws.run(&["run"]);
    assert_eq!(second.status.code(), Some(75), "{}", stderr(&second));
    assert_says(&second, "another linkvault run");
    let (open, cv) = &*gate;
    *open.lock().unwrap() = true;
    cv.notify_all();
    let first = first.wait_with_output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(
        link(&ws.report_json(), &s.url("/slow.png"))["state"],
        "alive"
    );
    ws.ok(&["verify"]);
}

#[test]
fn deaths_are_confirmed_over_days_and_runs_only_check_what_is_due() {
    let s = Server::start();
    s.route("/gone.png", |_| Reply::status(404));
    s.resource("/fine.png", "image/png", PNG);
    let mut ws = Workspace::new();
    let page = ws.write(
        "p.html",
        &format!(
            r#"<img src="{}"><img src="{}">"#,
            s.url("/gone.png"),
            s.url("/fine.png")
        ),
    );
    let day = 86_400i64;
    let t0 = 1_800_000_000i64;
    ws.extra_env = vec![("LINKVAULT_NOW".into(), t0.to_string())];
    ws.ok(&["run", page.to_str().unwrap()]);
    // An hour later nothing is due: no request at all.
    let before = s.requests().len();
    ws.extra_env = vec![("LINKVAULT_NOW".into(), (t0 + 3600).to_string())];
    ws.ok(&["run"]);
    assert_eq!(s.requests().len(), before, "nothing was due");
    for d in [3, 6] {
        ws.extra_env = vec![("LINKVAULT_NOW".into(), (t0 + d * day).to_string())];
        ws.ok(&["run"]);
    }
    let r = ws.report_json();
    let gone = link(&r, &s.url("/gone.png"));
    assert_eq!(gone["checks"], 3);
    assert_eq!(gone["confirmed"], true, "{gone:#}");
    assert_eq!(gone["dead_since"], "2027-01-15T08:00:00Z");
    // The alive image was not due again before its 7-day recheck.
    assert_eq!(s.hits("/fine.png"), 1);
}

#[test]
fn feeds_and_text_files_are_articles_and_registered_articles_are_remembered() {
    let s = Server::start();
    s.resource("/one.png", "image/png", PNG);
    s.resource("/two.mp4", "video/mp4", MP4);
    s.route("/posts/1", |_| {
        Reply::html("<html><body><article><img src=\"/one.png\"></article></body></html>")
    });
    s.route("/posts/2", |_| {
        Reply::html("<html><body><article><video src=\"/two.mp4\"></video></article></body></html>")
    });
    let feed = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
        <item><title>1</title><link>{}</link></item><item><title>2</title><link>{}</link></item></channel></rss>"#,
        s.url("/posts/1"),
        s.url("/posts/2")
    );
    s.route("/feed.xml", move |_| {
        Reply::new(200, "application/rss+xml", feed.clone())
    });
    s.resource("/three.png", "image/png", b"third image".to_vec());
    let ws = Workspace::new();
    let notes = ws.write(
        "notes.txt",
        &format!("See {} (the third picture).\n", s.url("/three.png")),
    );
    ws.ok(&["run", &s.url("/feed.xml"), notes.to_str().unwrap()]);
    let r = ws.report_json();
    assert_eq!(
        link(&r, &s.url("/one.png"))["articles"][0],
        s.url("/posts/1")
    );
    assert_eq!(link(&r, &s.url("/two.mp4"))["kind"], "video");
    assert_eq!(link(&r, &s.url("/three.png"))["state"], "alive");
    // A later plain `run` rechecks the registered articles without naming them.
    let feed_hits = s.hits("/feed.xml");
    ws.ok(&["run", "--recheck"]);
    assert!(s.hits("/feed.xml") > feed_hits);
}

#[test]
fn bad_config_and_unreadable_articles_get_clear_errors() {
    let ws = Workspace::with_config("[fetch]\nconcurency = 4\n");
    let out = ws.run(&["run"]);
    assert_eq!(out.status.code(), Some(2), "a bad config is bad usage");
    assert!(stderr(&out).contains("concurency"), "{}", stderr(&out));
    let ws = Workspace::with_config("[schedule]\nrecheck_alive = \"fortnightly\"\n");
    let out = ws.run(&["report"]);
    assert_says(&out, "schedule.recheck_alive");
    let ws = Workspace::new();
    let out = ws.run(&["run", "no-such-file.html"]);
    assert_eq!(out.status.code(), Some(1));
    assert_says(&out, "no-such-file.html");
}

#[test]
fn extract_is_a_dry_run_that_fetches_only_the_article() {
    let site = small_site();
    let ws = Workspace::new();
    let out = ws.ok(&["extract", &site.url("/news/article"), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let refs = v[0]["references"].as_array().unwrap();
    let found: Vec<(&str, &str, &str)> = refs
        .iter()
        .map(|r| {
            (
                r["url"].as_str().unwrap(),
                r["kind"].as_str().unwrap(),
                r["found_in"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        found.contains(&(
            site.url("/video/protest.mp4").as_str(),
            "video",
            "video@src"
        )),
        "{found:?}"
    );
    assert!(
        found.contains(&(site.url("/embed/player").as_str(), "embed", "iframe@src")),
        "{found:?}"
    );
    assert_eq!(v[0]["outside_main"], 1);
    let paths: Vec<String> = site
        .requests()
        .iter()
        .map(|r| r.path().to_string())
        .collect();
    assert_eq!(
        paths,
        ["/news/article"],
        "only the article itself is fetched"
    );
    assert!(!ws.archive().exists(), "a dry run writes no archive");
    let text = ws.ok(&["extract", &site.url("/news/article")]);
    assert!(text.contains("image\timg@src\t"), "{text}");
}

#[test]
fn report_formats_filters_and_output_file() {
    let s = Server::start();
    s.route("/dead.png", |_| Reply::status(404));
    s.resource("/alive.png", "image/png", PNG);
    s.route("/a1", |_| {
        Reply::html("<article><img src=\"/dead.png\"><img src=\"/alive.png\"></article>")
    });
    s.route("/a2", |_| {
        Reply::html("<article><img src=\"/alive.png\"></article>")
    });
    let ws = Workspace::new();
    ws.ok(&["run", &s.url("/a1"), &s.url("/a2")]);
    let only_a2: serde_json::Value = serde_json::from_str(&ws.ok(&[
        "report",
        "--all",
        "--article",
        &s.url("/a2"),
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(only_a2["summary"]["links"], 1);
    assert_eq!(only_a2["summary"]["articles"], 1);
    let default: serde_json::Value =
        serde_json::from_str(&ws.ok(&["report", "--format", "json"])).unwrap();
    assert_eq!(
        default["links"].as_array().unwrap().len(),
        1,
        "default report lists only what is not alive"
    );
    assert_eq!(default["summary"]["links"], 2);
    assert_eq!(default["summary"]["lost"], 1);
    let csv_path = ws.path().join("r.csv");
    ws.ok(&[
        "report",
        "--format",
        "csv",
        "-o",
        csv_path.to_str().unwrap(),
    ]);
    let csv = fs::read_to_string(&csv_path).unwrap();
    assert!(csv.starts_with("url,kind,state,reason"));
    assert!(csv.contains("\"http_404\""), "{csv}");
    let md = ws.ok(&["report", "--format", "markdown"]);
    assert!(
        md.contains("| state | kind | url | snapshot |") && md.contains("dead http\\_404"),
        "{md}"
    );
    let table = ws.ok(&["report"]);
    assert!(
        table
            .lines()
            .any(|l| l.contains("2 links: 1 alive, 1 dead")),
        "{table}"
    );
    let out = ws.run(&["report", "--article", "https://nowhere.example/"]);
    assert!(!out.status.success() && stderr(&out).contains("no article"));
}

#[test]
fn verify_reports_objects_missing_from_the_store() {
    let s = Server::start();
    s.resource("/a.png", "image/png", PNG);
    let ws = Workspace::new();
    let page = ws.write("p.html", &format!(r#"<img src="{}">"#, s.url("/a.png")));
    ws.ok(&["run", page.to_str().unwrap()]);
    let sha = sha256_hex(PNG);
    fs::remove_file(ws.archive().join("objects").join(&sha[..2]).join(&sha[2..])).unwrap();
    let out = ws.run(&["verify"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("MISSING    {sha}")));
    let h = ws.ok(&["history", &s.url("/a.png")]);
    assert!(h.contains(&sha) && h.contains("alive ok HTTP 200"), "{h}");
}

#[test]
fn an_ambiguous_hash_prefix_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = linkvault::db::Db::open(dir.path()).unwrap();
    let a = format!("deadbeef{}", "1".repeat(56));
    let b = format!("deadbeef{}", "2".repeat(56));
    db.transaction(|tx| {
        tx.insert_object(&a, 1, 0)?;
        tx.insert_object(&b, 1, 0)
    })
    .unwrap();
    let err = linkvault::restore::resolve_hash(&db, "deadbeef")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ambiguous") && err.contains(&a) && err.contains(&b),
        "{err}"
    );
    assert_eq!(
        linkvault::restore::resolve_hash(&db, "deadbeef2").unwrap(),
        b
    );
}

#[test]
fn urls_full_of_quotes_and_sql_are_stored_and_reported_verbatim() {
    let s = Server::start();
    let path = "/q'; DROP TABLE refs; --/x.png";
    s.route("/q';%20DROP%20TABLE%20refs;%20--/x.png", |_| {
        Reply::new(200, "image/png", PNG)
    });
    let ws = Workspace::new();
    let hostile = format!(
        "{}?name=Robert'); DELETE FROM snapshots;--&x=\"1\"",
        s.url(path)
    );
    let page = ws.write(
        "p.html",
        &format!("<img src='{}'>", hostile.replace('\'', "&#39;")),
    );
    ws.ok(&["run", page.to_str().unwrap()]);
    let report = ws.report_json();
    let links = report["links"].as_array().unwrap();
    assert_eq!(links.len(), 1, "{report:#}");
    let url = links[0]["url"].as_str().unwrap();
    assert!(
        url.contains("q';%20DROP%20TABLE%20refs;%20--")
            && url.contains("Robert%27);%20DELETE%20FROM%20snapshots;--"),
        "{url}"
    );
    assert_eq!(links[0]["state"], "alive");
    // Both tables are intact and the reference is found by its exact URL.
    let h = ws.history_json(url);
    assert_eq!(h["snapshots"].as_array().unwrap().len(), 1);
    let csv = ws.ok(&["report", "--all", "--format", "csv"]);
    assert!(
        csv.contains(&format!("\"{}\"", url.replace('"', "\"\""))),
        "{csv}"
    );
}

#[test]
fn restore_into_a_directory_names_the_file_by_its_hash_only() {
    let s = Server::start();
    // A hostile name in the URL and in a Content-Disposition header must not become a path.
    s.route("/..%2F..%2Fetc%2Fpasswd.png", |_| {
        Reply::new(200, "image/png", PNG).with_header(
            "Content-Disposition",
            "attachment; filename=\"../../evil.sh\"",
        )
    });
    let ws = Workspace::new();
    let page = ws.write(
        "p.html",
        &format!("<img src=\"{}\">", s.url("/..%2F..%2Fetc%2Fpasswd.png")),
    );
    ws.ok(&["run", page.to_str().unwrap()]);
    let out_dir = ws.path().join("restored");
    fs::create_dir(&out_dir).unwrap();
    ws.ok(&["restore", &sha256_hex(PNG), "-o", out_dir.to_str().unwrap()]);
    let names: Vec<String> = fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, [sha256_hex(PNG)]);
    assert!(!ws.path().join("evil.sh").exists());
}

#[test]
fn an_edited_article_keeps_every_version_in_history_and_restore() {
    let s = Server::start();
    let body = "Tens of thousands demonstrated on Friday in towns across the province, \
        calling for the release of detainees and an end to the shelling of markets. \
        Organisers said the marches were the largest since the spring, and local councils \
        published lists of the towns where people gathered, with photographs of the crowds \
        and the banners they carried through the streets until the evening prayers.";
    let page = |extra: &str| {
        format!("<html><head><title>Rallies</title></head><body><p>{body}</p><p>{extra}</p></body></html>")
    };
    // Day 0; day 1: only the "updated" clock moved; day 2: the text was corrected.
    let versions = [
        page("Updated 10:01. Rallies in 80 towns."),
        page("Updated 10:02. Rallies in 80 towns."),
        page("Updated 11:30. Correction: rallies in 83 towns, not 80 as first reported."),
    ];
    let current = std::sync::Arc::new(std::sync::Mutex::new(versions[0].clone()));
    let c = current.clone();
    s.route("/story", move |_| Reply::html(&c.lock().unwrap()));
    let mut ws = Workspace::new();
    let t0: i64 = 1_800_000_000;
    let mut outputs = Vec::new();
    for (day, v) in versions.iter().enumerate() {
        *current.lock().unwrap() = v.clone();
        ws.extra_env = vec![(
            "LINKVAULT_NOW".into(),
            (t0 + day as i64 * 86_400).to_string(),
        )];
        let out = ws.run(&["run", &s.url("/story")]);
        assert!(out.status.success(), "{}", stderr(&out));
        outputs.push(stderr(&out));
    }
    assert!(
        !outputs[1].contains("edited"),
        "a moved clock is no edit: {}",
        outputs[1]
    );
    assert!(
        outputs[2].contains("1 article edited since last read"),
        "{}",
        outputs[2]
    );

    let text = ws.ok(&["history", &s.url("/story")]);
    assert!(text.contains("title: Rallies"), "{text}");
    let hashes: Vec<String> = versions.iter().map(|v| sha256_hex(v.as_bytes())).collect();
    let at: Vec<Option<usize>> = hashes.iter().map(|h| text.find(h.as_str())).collect();
    assert!(
        at.iter().all(Option::is_some) && at[0] < at[1] && at[1] < at[2],
        "every version, oldest first:\n{text}"
    );
    assert_eq!(text.matches("(text edited)").count(), 1, "{text}");
    let h: serde_json::Value =
        serde_json::from_str(&ws.ok(&["history", &s.url("/story"), "--format", "json"])).unwrap();
    let edited: Vec<bool> = h["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["edited"].as_bool().unwrap())
        .collect();
    assert_eq!(edited, [false, false, true], "{h:#}");
    assert_eq!(ws.report_json()["summary"]["articles_edited"], 1);

    // By time: the version read then; without a time, the latest.
    let then = ws.path().join("then.html");
    let one_hour_later = "2027-01-15T09:00:00Z"; // t0 + 1 h
    ws.ok(&[
        "restore",
        "--url",
        &s.url("/story"),
        "--at",
        one_hour_later,
        "-o",
        then.to_str().unwrap(),
    ]);
    assert_eq!(fs::read_to_string(&then).unwrap(), versions[0]);
    let now = ws.path().join("now.html");
    ws.ok(&[
        "restore",
        "--url",
        &s.url("/story"),
        "-o",
        now.to_str().unwrap(),
    ]);
    assert_eq!(fs::read_to_string(&now).unwrap(), versions[2]);
}

#[test]
fn a_saved_article_file_is_copied_so_it_outlives_the_file() {
    let s = Server::start();
    s.resource("/a.png", "image/png", PNG);
    let ws = Workspace::new();
    let first = format!(
        r#"<p>Rallies were held in eighty towns on Friday, organisers said.</p><img src="{}">"#,
        s.url("/a.png")
    );
    let edited = format!(
        r#"<p>Correction: the rallies were held in eighty-three towns, not eighty.</p><img src="{}">"#,
        s.url("/a.png")
    );
    let file = ws.write("saved.html", &first);
    ws.ok(&["run", file.to_str().unwrap()]);
    ws.write("saved.html", &edited);
    let out = ws.run(&["run"]);
    assert_says(&out, "1 article edited");
    fs::remove_file(&file).unwrap();

    // Asked by the relative path a user would type, from the workspace.
    let mut cmd = ws.command(&["history", "saved.html"]);
    let text = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
    let (a, b) = (sha256_hex(first.as_bytes()), sha256_hex(edited.as_bytes()));
    assert!(text.contains(&a) && text.contains(&b), "{text}");
    assert!(text.contains("saved file (text edited)"), "{text}");
    let back = ws.path().join("back.html");
    ws.ok(&[
        "restore",
        "--url",
        "saved.html",
        "-o",
        back.to_str().unwrap(),
    ]);
    assert_eq!(fs::read_to_string(&back).unwrap(), edited);
    // Copies of saved files are not web captures: the WARC holds only what came over HTTP.
    let warc = ws.path().join("out.warc.gz");
    ws.ok(&["export", "warc", "-o", warc.to_str().unwrap()]);
    let cdxj = fs::read_to_string(ws.path().join("out.cdxj")).unwrap();
    assert_eq!(cdxj.lines().count(), 1, "only the picture: {cdxj}");
}

#[test]
fn html_report_is_one_escaped_page_with_a_rot_chart_over_time() {
    let s = Server::start();
    s.resource("/stays.png", "image/png", PNG);
    let gone = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let g = gone.clone();
    s.route("/goes.png", move |_| {
        if g.load(std::sync::atomic::Ordering::SeqCst) {
            Reply::status(404)
        } else {
            Reply::new(200, "image/png", b"goes".to_vec())
        }
    });
    let mut ws = Workspace::new();
    let page = ws.write(
        "p.html",
        &format!(
            r#"<img src="{}"><img src="{}"><a href="{}?q=<script>alert(1)</script>">x</a>"#,
            s.url("/stays.png"),
            s.url("/goes.png"),
            s.url("/nowhere")
        ),
    );
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2027-03-01T10:00:00Z".into())];
    ws.ok(&["run", page.to_str().unwrap()]);
    gone.store(true, std::sync::atomic::Ordering::SeqCst);
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2027-03-09T10:00:00Z".into())];
    ws.ok(&["run", "--recheck"]);

    // The series behind the chart: day by day, each reference counted by its latest check.
    let db = linkvault::db::Db::open_existing(&ws.archive()).unwrap();
    let series = linkvault::report::chart::rot_series(&db, None).unwrap();
    let day = |s: &str| linkvault::clock::parse(s).unwrap();
    assert_eq!(
        series.days,
        vec![
            (day("2027-03-01"), [2, 0, 0, 1]),
            (day("2027-03-09"), [1, 0, 0, 2])
        ]
    );

    let out = ws.path().join("report.html");
    ws.ok(&["report", "--format", "html", "-o", out.to_str().unwrap()]);
    let html = fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!doctype html>") && html.trim_end().ends_with("</html>"));
    assert!(
        !html.contains("<script"),
        "nothing from a URL is executable"
    );
    assert!(html.contains("&lt;script&gt;") || html.contains("%3Cscript%3E"));
    assert!(html.contains("2027-03-01") && html.contains("2027-03-09"));
    // Every chart is well-formed SVG.
    let mut charts = 0;
    for part in html.split("<svg").skip(1) {
        let svg = format!("<svg{}", &part[..part.find("</svg>").unwrap() + 6]);
        let mut reader = quick_xml::Reader::from_str(&svg);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("chart is not well-formed SVG: {e}\n{svg}"),
            }
        }
        charts += 1;
    }
    assert!(
        charts >= 2,
        "the archive's chart and the affected article's chart"
    );
}
