//! Rescue from real web archives: pywb (200-style TimeGate, framed replay), a second linkvault
//! `serve` (302-style), and a small archive on a test server that names its mementos without
//! Wayback-style URLs. Dead references come back with the exact archived bytes, the closest
//! memento to the article's publication date, honest provenance in every output — and alive
//! references are never looked up. Second copies are pushed to pywb in recording mode.

mod common;

use common::http::{get, request};
use common::pywb::{write_warc, Capture, Pywb};
use common::{link, sha256_hex, stderr, Reply, Server, Workspace, TEST_CONFIG};

const PUBLISHED: &str = "2018-09-15T12:00:00Z";
const CLOSEST_EARLY: &[u8] = b"\xff\xd8 rally photo, an early crop \xff\xd9";
const CLOSEST_BEST: &[u8] = b"\xff\xd8 rally photo, as published \xff\xd9";
const CLOSEST_LATE: &[u8] = b"\xff\xd8 rally photo, recropped weeks later \xff\xd9";
const TIE_BEFORE: &[u8] = b"\x89PNG map as readers saw it";
const TIE_AFTER: &[u8] = b"\x89PNG map as corrected later";
const SECOND_ONLY: &[u8] = b"\xff\xd8 held by the second archive only \xff\xd9";
const REWRITTEN: &[u8] = b"\x89PNG served by an archive without raw mementos";
const FALLBACK: &[u8] = b"\xff\xd8 an older capture, the only good one \xff\xd9";
const PAGE: &[u8] = b"<!doctype html><html><head><title>Source</title></head><body><p>The cited statement, in full.</p><a href=\"/more\">more</a></body></html>";

fn video_bytes() -> Vec<u8> {
    // 200 KiB that no two captures share by accident.
    (0..200 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

/// The article, as published on 15 September 2018, and everything it cites.
fn origin() -> Server {
    let o = Server::start();
    o.route("/article", |_| {
        Reply::html(&format!(
            r#"<html><head><meta property="article:published_time" content="{PUBLISHED}"></head><body><article>
            <img src="/img/closest.jpg"> <video src="/video/clip.mp4"></video>
            <img src="/img/second-only.jpg"> <img src="/img/nowhere.jpg"> <img src="/img/alive.jpg">
            <img src="/img/archived-404.jpg"> <img src="/img/tie.png"> <img src="/img/rewritten.png">
            <img src="/img/fallback.jpg"> <a href="/story/old">an old story</a>
            <a href="/cited/page.html">the source</a></article></body></html>"#
        ))
    });
    o.resource(
        "/img/alive.jpg",
        "image/jpeg",
        b"\xff\xd8 still here \xff\xd9".to_vec(),
    );
    // What the second archive will have captured while these were alive.
    o.resource("/img/tie.png", "image/png", TIE_AFTER);
    o.resource("/img/second-only.jpg", "image/jpeg", SECOND_ONLY);
    o.route("/ws2-a", |_| Reply::html(r#"<img src="/img/tie.png">"#));
    o.route("/ws2-b", |_| {
        Reply::html(r#"<img src="/img/second-only.jpg">"#)
    });
    // A site that answers every missing story with the same page (a soft 404).
    o.route("/story/*", |_| Reply::html(NOT_FOUND_PAGE));
    o
}

const NOT_FOUND_PAGE: &str = "<html><head><title>Oops</title></head><body><h1>Sorry, we could not find that story</h1><p>It may have moved. Try our search or the front page.</p></body></html>";

/// Everything that is dead now answers 404.
fn kill_references(o: &Server) {
    for p in [
        "/img/closest.jpg",
        "/video/clip.mp4",
        "/img/second-only.jpg",
        "/img/nowhere.jpg",
        "/img/archived-404.jpg",
        "/img/tie.png",
        "/img/rewritten.png",
        "/img/fallback.jpg",
        "/cited/page.html",
    ] {
        o.route(p, |_| Reply::status(404));
    }
}

/// pywb holding captures of the origin's references made in 2018.
fn pywb_archive(o: &Server, dir: &std::path::Path) -> Pywb {
    let video = video_bytes();
    let u = |p: &str| o.url(p);
    let (closest, clip, page, a404, tie) = (
        u("/img/closest.jpg"),
        u("/video/clip.mp4"),
        u("/cited/page.html"),
        u("/img/archived-404.jpg"),
        u("/img/tie.png"),
    );
    let (fallback, story) = (u("/img/fallback.jpg"), u("/story/old"));
    let cap = |url, date, status, ct, body| Capture {
        url,
        date,
        status,
        content_type: ct,
        body,
    };
    let warc = dir.join("pywb-captures.warc.gz");
    write_warc(
        &warc,
        &[
            cap(
                &closest,
                "2018-09-10T00:00:00Z",
                200,
                "image/jpeg",
                CLOSEST_EARLY,
            ),
            cap(
                &closest,
                "2018-09-16T00:00:00Z",
                200,
                "image/jpeg",
                CLOSEST_BEST,
            ),
            cap(
                &closest,
                "2018-09-30T00:00:00Z",
                200,
                "image/jpeg",
                CLOSEST_LATE,
            ),
            cap(&clip, "2018-09-15T08:00:00Z", 200, "video/mp4", &video),
            cap(&page, "2018-09-15T09:00:00Z", 200, "text/html", PAGE),
            cap(
                &a404,
                "2018-09-15T10:00:00Z",
                404,
                "text/html",
                b"<h1>Not Found</h1>",
            ),
            cap(&tie, "2018-09-13T12:00:00Z", 200, "image/png", TIE_BEFORE),
            // The closest capture is an error page; an older one is the picture.
            cap(
                &fallback,
                "2018-09-01T00:00:00Z",
                200,
                "image/jpeg",
                FALLBACK,
            ),
            cap(
                &fallback,
                "2018-09-15T11:00:00Z",
                404,
                "text/html",
                b"<h1>Not Found</h1>",
            ),
            // Archived after the story was gone: the site's "not found" page, served with 200.
            cap(
                &story,
                "2018-09-15T12:00:00Z",
                200,
                "text/html",
                NOT_FOUND_PAGE.as_bytes(),
            ),
        ],
    );
    Pywb::with_collection(&dir.join("pywb"), "coll", &[&warc])
}

/// A third archive on a test server: its TimeGate redirects to mementos without Wayback-style
/// URLs, so their bytes are taken as served. It logs every request it gets.
fn plain_archive(o: &Server) -> Server {
    let tg = Server::start();
    let wanted = format!("/tg/{}", o.url("/img/rewritten.png"));
    tg.route("/tg/*", move |req| {
        if req.target == wanted {
            Reply::redirect(302, "/mementos/rw1")
        } else {
            Reply::status(404)
        }
    });
    tg.route("/mementos/rw1", |_| {
        Reply::new(200, "image/png", REWRITTEN)
            .with_header("Memento-Datetime", "Sat, 15 Sep 2018 06:00:00 GMT")
    });
    tg
}

fn lookups_at(tg: &Server, url: &str) -> usize {
    tg.requests()
        .iter()
        .filter(|r| r.target == format!("/tg/{url}"))
        .count()
}

#[test]
fn dead_references_are_rescued_from_web_archives_with_their_provenance() {
    let o = origin();
    // The second archive: a linkvault that captured two of the references in 2018.
    let mut ws2 = Workspace::new();
    ws2.extra_env = vec![("LINKVAULT_NOW".into(), "2018-09-17T12:00:00Z".into())];
    ws2.ok(&["run", &o.url("/ws2-a")]);
    ws2.extra_env = vec![("LINKVAULT_NOW".into(), "2018-09-20T00:00:00Z".into())];
    ws2.ok(&["run", &o.url("/ws2-b")]);
    ws2.extra_env.clear();
    let second = ws2.serve();
    kill_references(&o);

    let scratch = tempfile::tempdir().unwrap();
    let pywb = pywb_archive(&o, scratch.path());
    let tg = plain_archive(&o);
    let config = format!(
        "{TEST_CONFIG}\n[rescue]\ntimegates = [\"{}\", \"http://127.0.0.1:{}/timegate/\", \"{}\"]\n",
        pywb.url("/coll/"),
        second.port,
        tg.url("/tg/")
    );
    let mut ws = Workspace::with_config(&config);
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2026-11-20T00:00:00Z".into())];
    let out = ws.run(&["run", &o.url("/article")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = stderr(&out);
    assert!(
        log.contains("rescued 7 of 10 reference(s) without a copy of their own from web archives"),
        "{log}"
    );

    let report = ws.report_json();
    let pywb_name = format!("127.0.0.1:{}", pywb.port);
    let held = |path: &str| link(&report, &o.url(path))["snapshot"].clone();

    // The closest of three captures with different bytes; dead, and still reported dead.
    let closest = link(&report, &o.url("/img/closest.jpg"));
    assert_eq!(
        closest["state"], "dead",
        "a rescue never makes a reference alive"
    );
    let snap = &closest["snapshot"];
    assert_eq!(snap["sha256"], sha256_hex(CLOSEST_BEST));
    assert_eq!(snap["origin"], "memento");
    assert_eq!(snap["memento_datetime"], "2018-09-16T00:00:00Z");
    let memento = snap["memento_url"].as_str().unwrap();
    assert!(
        memento.starts_with(&pywb.url("/coll/20180916000000")),
        "{memento}"
    );
    // The dead video, byte for byte.
    assert_eq!(
        held("/video/clip.mp4")["sha256"],
        sha256_hex(&video_bytes())
    );
    // Held by the second archive only (a linkvault serve: 302-style).
    let s2 = held("/img/second-only.jpg");
    assert_eq!(s2["sha256"], sha256_hex(SECOND_ONLY));
    assert!(
        s2["archive"]
            .as_str()
            .unwrap()
            .contains(&second.port.to_string()),
        "{s2}"
    );
    // Two days either side of the publication: the earlier one (what readers saw).
    assert_eq!(held("/img/tie.png")["sha256"], sha256_hex(TIE_BEFORE));
    // The cited page: pywb's raw `id_` bytes, not its rewritten replay.
    assert_eq!(held("/cited/page.html")["sha256"], sha256_hex(PAGE));
    assert_eq!(held("/cited/page.html")["rewritten"], false);
    let replayed = get(&pywb.url(&format!(
        "/coll/20180915090000mp_/{}",
        o.url("/cited/page.html")
    )));
    assert_eq!(replayed.status, 200);
    assert_ne!(
        replayed.body, PAGE,
        "pywb's replay form is rewritten, so taking it would have been wrong"
    );
    // An archive without raw mementos: taken as served, and marked so.
    let rw = held("/img/rewritten.png");
    assert_eq!(rw["sha256"], sha256_hex(REWRITTEN));
    assert_eq!(rw["rewritten"], true);
    assert_eq!(rw["memento_url"], tg.url("/mementos/rw1"));
    // In no archive; archived only as an error page: lost.
    assert!(held("/img/nowhere.jpg").is_null());
    assert!(held("/img/archived-404.jpg").is_null());
    // The closest memento is an archived 404: the TimeMap leads to an older, good one.
    assert_eq!(held("/img/fallback.jpg")["sha256"], sha256_hex(FALLBACK));
    assert_eq!(
        held("/img/fallback.jpg")["memento_datetime"],
        "2018-09-01T00:00:00Z"
    );
    // Archived only as the page the site serves for missing stories: not a rescue.
    let story = link(&report, &o.url("/story/old"));
    assert_eq!(story["reason"], "soft_404");
    assert!(story["snapshot"].is_null(), "{story}");
    let h = ws.history_json(&o.url("/story/old"));
    let refused = h["lookups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["archive"] == pywb.url("/coll/"))
        .unwrap();
    assert_eq!(refused["outcome"], "rejected");
    assert!(
        refused["detail"].as_str().unwrap().contains("soft 404"),
        "{h:#}"
    );
    assert_eq!(report["summary"]["rescued_from_archives"], 7);
    assert_eq!(report["summary"]["rescued"], 7);
    assert_eq!(report["summary"]["lost"], 3);
    assert_eq!(report["summary"]["dead"], 10);

    // The alive reference was never looked up; the TimeGates were asked for the publication date.
    assert_eq!(lookups_at(&tg, &o.url("/img/alive.jpg")), 0);
    let asked = tg
        .requests()
        .into_iter()
        .find(|r| r.target.starts_with("/tg/"))
        .unwrap();
    assert_eq!(
        asked.header("accept-datetime"),
        Some("Sat, 15 Sep 2018 12:00:00 GMT")
    );

    // history: the lookups per archive and their outcome; the rescued copy's provenance.
    let h = ws.ok(&["history", &o.url("/img/closest.jpg")]);
    assert!(
        h.contains(&format!(
            "rescued from {pywb_name} (2018-09-16) via {memento}"
        )),
        "{h}"
    );
    assert!(h.contains("lookups in web archives:"), "{h}");
    assert!(h.contains(&format!("{pywb_name} rescued")), "{h}");
    let h = ws.history_json(&o.url("/img/archived-404.jpg"));
    let pywb_lookup = h["lookups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["archive"] == pywb.url("/coll/"))
        .unwrap();
    assert_eq!(pywb_lookup["outcome"], "rejected", "{h:#}");
    assert!(pywb_lookup["detail"].as_str().unwrap().contains("HTTP 404"));
    let h = ws.history_json(&o.url("/img/nowhere.jpg"));
    let outcomes: Vec<&str> = h["lookups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["not_found"; 3]);

    // Every report format says where the copy came from.
    for format in ["table", "markdown", "csv", "html"] {
        let text = ws.ok(&["report", "--format", format]);
        // Markdown escapes its parentheses; rendered, it reads the same.
        let phrase = match format {
            "markdown" => format!("rescued from {pywb_name} \\(2018-09-16\\)"),
            _ => format!("rescued from {pywb_name} (2018-09-16)"),
        };
        assert!(text.contains(&phrase), "{format}: {text}");
    }

    // restore --url gives the rescued bytes back.
    let restored = ws.path().join("closest.jpg");
    ws.ok(&[
        "restore",
        "--url",
        &o.url("/img/closest.jpg"),
        "-o",
        restored.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read(&restored).unwrap(), CLOSEST_BEST);

    // The WARC carries the rescued capture at the archive's date, with a linked provenance record.
    let warc = ws.path().join("out.warc.gz");
    ws.ok(&["export", "warc", "-o", warc.to_str().unwrap()]);
    let records = warc_records(&warc);
    let response = records
        .iter()
        .find(|r| r["type"] == "response" && r["uri"] == o.url("/img/closest.jpg"))
        .unwrap();
    assert_eq!(response["date"], "2018-09-16T00:00:00Z");
    let provenance = records
        .iter()
        .find(|r| r["type"] == "metadata" && r["concurrent_to"] == response["id"])
        .unwrap_or_else(|| panic!("no metadata record linked to {response}"));
    let fields = provenance["content"].as_str().unwrap();
    assert!(fields.contains(&format!("via: {memento}")), "{fields}");
    assert!(
        fields.contains("memento-datetime: Sun, 16 Sep 2018 00:00:00 GMT"),
        "{fields}"
    );

    // No lookup again within the confirmation interval; after it, the lost ones are asked again,
    // the rescued ones never.
    let nowhere = o.url("/img/nowhere.jpg");
    assert_eq!(lookups_at(&tg, &nowhere), 1);
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2026-11-21T00:00:00Z".into())];
    ws.ok(&["run"]);
    assert_eq!(
        lookups_at(&tg, &nowhere),
        1,
        "looked up again within the interval"
    );
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2026-11-24T01:00:00Z".into())];
    ws.ok(&["run"]);
    assert_eq!(
        lookups_at(&tg, &nowhere),
        2,
        "not looked up again after the interval"
    );
    assert_eq!(lookups_at(&tg, &o.url("/img/rewritten.png")), 1);
    assert_eq!(lookups_at(&tg, &o.url("/img/alive.jpg")), 0);
}

/// Every record of a WARC as warcio reads it: type, target URI, date, id, concurrent-to, and the
/// content of metadata records.
fn warc_records(path: &std::path::Path) -> Vec<serde_json::Value> {
    let check = std::process::Command::new("warcio")
        .args(["check", path.to_str().unwrap()])
        .output()
        .expect("warcio is needed: run `bash .ci/run`");
    assert!(
        check.status.success(),
        "warcio check: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let script = r#"
import json, sys
from warcio.archiveiterator import ArchiveIterator
for r in ArchiveIterator(open(sys.argv[1], 'rb')):
    h = r.rec_headers
    print(json.dumps({"type": r.rec_type, "uri": h.get_header('WARC-Target-URI'),
        "date": h.get_header('WARC-Date'), "id": h.get_header('WARC-Record-ID'),
        "concurrent_to": h.get_header('WARC-Concurrent-To'),
        "content": r.content_stream().read().decode('utf-8', 'replace') if r.rec_type == 'metadata' else None}))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn an_unreachable_archive_is_reported_and_the_run_still_succeeds() {
    let o = Server::start();
    o.route("/gone.jpg", |_| Reply::status(404));
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let ws = Workspace::with_config(&format!(
        "{TEST_CONFIG}\n[rescue]\ntimegates = [\"http://127.0.0.1:{port}/web/\"]\n"
    ));
    let article = ws.write(
        "article.html",
        &format!(r#"<img src="{}">"#, o.url("/gone.jpg")),
    );
    let out = ws.run(&["run", article.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = stderr(&out);
    assert!(
        log.contains(&format!(
            "web archive 127.0.0.1:{port} could not be asked for 1 lookup(s)"
        )),
        "{log}"
    );
    let h = ws.history_json(&o.url("/gone.jpg"));
    assert_eq!(h["lookups"][0]["outcome"], "error", "{h:#}");
    assert_eq!(h["reference"]["state"], "dead");
}

#[test]
fn an_archive_that_never_answers_is_not_asked_again_for_every_reference() {
    let o = Server::start();
    let mut imgs = String::new();
    for i in 0..12 {
        o.route(&format!("/gone-{i}.jpg"), |_| Reply::status(404));
        imgs.push_str(&format!(
            r#"<img src="{}">"#,
            o.url(&format!("/gone-{i}.jpg"))
        ));
    }
    // An archive host that takes each connection and hangs up without a word.
    let mute = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = mute.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    std::thread::spawn(move || {
        for conn in mute.incoming() {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(conn);
        }
    });
    let ws = Workspace::with_config(&format!(
        "{TEST_CONFIG}concurrency = 1\n[rescue]\ntimegates = [\"http://127.0.0.1:{port}/web/\"]\n"
    ));
    let article = ws.write("article.html", &imgs);
    let out = ws.run(&["run", article.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = stderr(&out);
    assert!(
        log.contains(&format!(
            "web archive 127.0.0.1:{port} could not be asked for 12 lookup(s)"
        )),
        "{log}"
    );
    // Three lookups in a row without an answer (each with its one retry), then no more.
    let asked = accepted.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        (3..=6).contains(&asked),
        "{asked} connections for 12 lookups"
    );
    let skipped = (0..12)
        .map(|i| ws.history_json(&o.url(&format!("/gone-{i}.jpg"))))
        .filter(|h| {
            h["lookups"][0]["detail"].as_str().is_some_and(|d| {
                d.contains("not asked: its last 3 lookups in this run got no answer")
            })
        })
        .count();
    assert_eq!(
        skipped, 9,
        "the first three were asked, the other nine were not"
    );
}

#[test]
fn without_a_publication_date_the_first_sighting_is_the_target() {
    let o = Server::start();
    o.route("/gone.jpg", |_| Reply::status(404));
    let tg = Server::start();
    tg.route("/tg/*", |_| Reply::status(404));
    let mut ws = Workspace::with_config(&format!(
        "{TEST_CONFIG}\n[rescue]\ntimegates = [\"{}\"]\n",
        tg.url("/tg/")
    ));
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2026-03-04T05:06:07Z".into())];
    let article = ws.write(
        "article.html",
        &format!(r#"<p>no date here <img src="{}"></p>"#, o.url("/gone.jpg")),
    );
    ws.ok(&["run", article.to_str().unwrap()]);
    let asked = tg.requests();
    assert_eq!(asked.len(), 1);
    assert_eq!(
        asked[0].header("accept-datetime"),
        Some("Wed, 04 Mar 2026 05:06:07 GMT")
    );
}

#[test]
fn live_references_are_submitted_for_a_second_copy_and_pywb_records_them() {
    let o = Server::start();
    o.resource(
        "/img/live.jpg",
        "image/jpeg",
        b"\xff\xd8 alive and well \xff\xd9".to_vec(),
    );
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path().join("pywb");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("config.yaml"), "enable_memento: true\n").unwrap();
    common::pywb::wb_manager(&root, &["init", "rec"]);
    let pywb = Pywb::start(&root, &["--live", "--record", "-a", "--auto-interval", "1"]);
    let ws = Workspace::with_config(&format!(
        "{TEST_CONFIG}\n[rescue]\ntimegates = []\nsubmit = [\"{}\"]\nsubmit_interval = \"0s\"\n",
        pywb.url("/rec/record/")
    ));
    let live = o.url("/img/live.jpg");
    let article = ws.write("article.html", &format!(r#"<img src="{live}">"#));
    ws.ok(&["run", article.to_str().unwrap()]);

    // pywb's TimeMap lists the memento it recorded (once its index has caught up).
    let timemap = wait_for_memento(&pywb, &format!("/rec/timemap/link/{live}"));
    assert!(timemap.contains("rel=\"memento\""), "{timemap}");
    let recorded = request(pywb.port, "GET", &format!("/rec/2026id_/{live}"), &[]);
    assert_eq!(recorded.body, b"\xff\xd8 alive and well \xff\xd9");

    let h = ws.history_json(&live);
    let subs = h["submissions"].as_array().unwrap();
    assert_eq!(subs.len(), 1, "{h:#}");
    assert_eq!(subs[0]["outcome"], "submitted");
    assert!(
        subs[0]["memento_url"].as_str().unwrap().contains(&live),
        "{h:#}"
    );
    // Unchanged content is not submitted again.
    ws.ok(&["run", "--recheck"]);
    let h = ws.history_json(&live);
    assert_eq!(h["submissions"].as_array().unwrap().len(), 1, "{h:#}");
}

/// The TimeMap at `path`, once it lists a memento (pywb indexes new recordings every second).
fn wait_for_memento(pywb: &Pywb, path: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let a = request(pywb.port, "GET", path, &[]);
        let text = String::from_utf8_lossy(&a.body).into_owned();
        if a.status == 200 && text.contains("rel=\"memento\"") {
            return text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "pywb never listed the recorded memento: {} {text}",
            a.status
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn submissions_carry_credentials_from_the_environment_and_back_off_on_429() {
    let o = Server::start();
    o.resource(
        "/live.jpg",
        "image/jpeg",
        b"\xff\xd8 live \xff\xd9".to_vec(),
    );
    let save = Server::start();
    save.route("/save/*", |_| {
        Reply::new(429, "text/plain", "slow down").with_header("Retry-After", "7200")
    });
    let mut ws = Workspace::with_config(&format!(
        "{TEST_CONFIG}\n[rescue]\ntimegates = []\nsubmit = [\"{}\"]\nsubmit_headers = {{ Authorization = \"LV_TEST_SPN_AUTH\" }}\n",
        save.url("/save/")
    ));
    ws.extra_env = vec![
        ("LV_TEST_SPN_AUTH".into(), "LOW key:s3cret".into()),
        ("LINKVAULT_NOW".into(), "2026-11-20T00:00:00Z".into()),
    ];
    let live = o.url("/live.jpg");
    let article = ws.write("article.html", &format!(r#"<img src="{live}">"#));
    let out = ws.run(&["run", article.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let asked = save.requests();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].target, format!("/save/{live}"));
    assert_eq!(asked[0].header("authorization"), Some("LOW key:s3cret"));
    let log = stderr(&out);
    assert!(
        log.contains("asked linkvault to slow down (HTTP 429)"),
        "{log}"
    );
    assert!(
        !log.contains("s3cret"),
        "credentials never reach the log: {log}"
    );
    let h = ws.history_json(&live);
    assert_eq!(h["submissions"][0]["outcome"], "rate_limited", "{h:#}");
    // Within the two hours the endpoint asked for, nothing is submitted; after them, it is.
    ws.extra_env[1].1 = "2026-11-20T01:00:00Z".into();
    ws.ok(&["run"]);
    assert_eq!(save.requests().len(), 1);
    ws.extra_env[1].1 = "2026-11-20T02:00:01Z".into();
    ws.ok(&["run"]);
    assert_eq!(save.requests().len(), 2);
}
