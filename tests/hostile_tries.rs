//! What hostile tries against linkvault found, each kept as a regression test: a run stopped by
//! a signal, an archive whose record was emptied, a repaired store that must not overstate what
//! it holds, a read-only archive, encoded bodies nobody asked for, and a URL no server accepts.

mod common;

use std::io::Write as _;
use std::process::Stdio;

use common::{assert_says, link, sha256_hex, stderr, Reply, Server, Workspace};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n hostile tries";

/// An archive that has run once over an article citing one picture.
fn one_picture_archived() -> (Server, Workspace, std::path::PathBuf) {
    let s = Server::start();
    s.resource("/a.png", "image/png", PNG);
    let ws = Workspace::new();
    let page = ws.write("a.html", &format!(r#"<img src="{}">"#, s.url("/a.png")));
    ws.ok(&["run", page.to_str().unwrap()]);
    (s, ws, page)
}

/// One query on the archive's database, straight through SQLite: its rows as text.
fn sql(ws: &Workspace, query: &str) -> String {
    let conn = rusqlite::Connection::open(ws.archive().join("linkvault.db")).unwrap();
    let mut stmt = conn.prepare(query).unwrap();
    let n = stmt.column_count();
    let rows: Vec<String> = stmt
        .query_map([], |r| {
            Ok((0..n)
                .map(|i| match r.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                    v => format!("{v:?}"),
                })
                .collect::<Vec<_>>()
                .join("|"))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.join("\n")
}

#[test]
fn sigterm_and_sigint_stop_a_run_promptly_and_record_it_interrupted() {
    for (signal, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130)] {
        let s = Server::start();
        s.resource("/fast.png", "image/png", PNG);
        // A body that never ends: the check would take until fetch.stall_timeout.
        s.route("/slow.mp4", |_| {
            Reply::new(200, "video/mp4", vec![7u8; 64 << 10]).stall_after(4096)
        });
        let ws = Workspace::new();
        let page = ws.write(
            "a.html",
            &format!(
                r#"<img src="{}"><video src="{}"></video>"#,
                s.url("/fast.png"),
                s.url("/slow.mp4")
            ),
        );
        let child = ws
            .command(&["run", page.to_str().unwrap()])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        s.wait_for_hit("/slow.mp4");
        let started = std::time::Instant::now();
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        let out = child.wait_with_output().unwrap();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "stopped promptly"
        );
        assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
        assert_says(&out, "interrupted by SIG");
        let tmp: Vec<_> = std::fs::read_dir(ws.archive().join("tmp"))
            .unwrap()
            .collect();
        assert!(tmp.is_empty(), "no .part file left: {tmp:?}");
        // The run is recorded as interrupted, not left running.
        assert_eq!(
            sql(&ws, "SELECT status FROM runs ORDER BY id DESC LIMIT 1"),
            "interrupted"
        );
        ws.ok(&["verify"]);
    }
}

#[test]
fn a_signal_during_the_rescue_lookups_stops_the_run_too() {
    let s = Server::start();
    s.route("/gone.png", |_| Reply::status(404));
    // A web archive that takes its time to answer.
    s.route("/web/*", |_| {
        std::thread::sleep(std::time::Duration::from_secs(8));
        Reply::status(404)
    });
    let ws = Workspace::with_config(&format!(
        "{}\n[rescue]\ntimegates = [\"{}\"]\n",
        common::TEST_CONFIG,
        s.url("/web/")
    ));
    let page = ws.write("a.html", &format!(r#"<img src="{}">"#, s.url("/gone.png")));
    let child = ws
        .command(&["run", page.to_str().unwrap()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    s.wait_for_hit(&format!("/web/{}", s.url("/gone.png")));
    let started = std::time::Instant::now();
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "stopped promptly, not after the archive answered"
    );
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert_says(&out, "interrupted by SIGINT");
    ws.ok(&["verify"]);
}

#[test]
fn an_emptied_record_beside_objects_is_an_error_that_says_how_to_recover() {
    let (_s, ws, _page) = one_picture_archived();
    let db = ws.archive().join("linkvault.db");
    std::fs::write(&db, b"").unwrap();
    let _ = std::fs::remove_file(ws.archive().join("linkvault.db-wal"));
    let _ = std::fs::remove_file(ws.archive().join("linkvault.db-shm"));
    for args in [vec!["report"], vec!["run"]] {
        let out = ws.run(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&out).contains("is empty, but the archive holds")
                && stderr(&out).contains("from a backup"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let out = ws.run(&["verify"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("ORPHANED   {}", sha256_hex(PNG))),
        "{text}"
    );
    std::fs::remove_file(&db).unwrap();
    let out = ws.run(&["report"]);
    assert_says(&out, "is missing, but the archive holds");
}

#[test]
fn after_a_repair_the_report_never_counts_a_lost_copy_as_held() {
    let s = Server::start();
    let alive = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let a = alive.clone();
    s.route("/photo.png", move |_| {
        if a.load(std::sync::atomic::Ordering::SeqCst) {
            Reply::new(200, "image/png", PNG)
        } else {
            Reply::status(404)
        }
    });
    let mut ws = Workspace::new();
    let page = ws.write("a.html", &format!(r#"<img src="{}">"#, s.url("/photo.png")));
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2026-05-01T00:00:00Z".into())];
    ws.ok(&["run", page.to_str().unwrap()]);
    alive.store(false, std::sync::atomic::Ordering::SeqCst);
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2026-05-09T00:00:00Z".into())];
    ws.ok(&["run"]);
    let r = ws.report_json();
    assert_eq!(
        r["summary"]["rescued"], 1,
        "dead, but its copy is held: {r:#}"
    );
    // The only copy is damaged; repair quarantines it.
    let sha = sha256_hex(PNG);
    let object = ws.archive().join("objects").join(&sha[..2]).join(&sha[2..]);
    let mut bytes = std::fs::read(&object).unwrap();
    bytes[3] ^= 0xff;
    std::fs::write(&object, bytes).unwrap();
    ws.ok(&["verify", "--repair"]);
    let r = ws.report_json();
    assert_eq!(r["summary"]["rescued"], 0, "{r:#}");
    assert_eq!(r["summary"]["lost"], 1);
    assert!(link(&r, &s.url("/photo.png"))["snapshot"].is_null());
    let out = ws.run(&["restore", "--url", &s.url("/photo.png"), "-o", "x.png"]);
    assert_eq!(out.status.code(), Some(1));
    assert_says(&out, "no good snapshot");
    let h = ws.ok(&["history", &s.url("/photo.png")]);
    assert!(
        h.contains("LOST: its object was found corrupted or missing"),
        "{h}"
    );
    ws.ok(&["verify"]);
}

#[test]
fn a_read_only_archive_is_read_not_refused() {
    let (s, ws, _page) = one_picture_archived();
    // Another user (nobody) reads an archive it cannot write: files 0644, folders 0755.
    let chmod = |mode: &str| {
        assert!(std::process::Command::new("chmod")
            .args(["-R", mode, ws.path().to_str().unwrap()])
            .status()
            .unwrap()
            .success())
    };
    chmod("a+rX,go-w");
    let as_nobody = |args: &[&str]| {
        std::process::Command::new("setpriv")
            .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_linkvault"))
            .args(args)
            .current_dir(ws.path())
            .env("NO_COLOR", "1")
            .output()
            .expect("setpriv (util-linux), as root")
    };
    for args in [
        vec!["report", "--all", "--format", "json"],
        vec!["verify"],
        vec!["history", &s.url("/a.png")],
    ] {
        let out = as_nobody(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    let out = as_nobody(&["report", "--all", "--format", "json"]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(link(&r, &s.url("/a.png"))["state"], "alive");
}

#[test]
fn bodies_encoded_without_asking_are_decoded_recorded_and_exported_faithfully() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(PNG).unwrap();
    let png_gz = gz.finish().unwrap();
    let article = b"<article><p>Story</p><img src=\"/pic.png\"></article>".to_vec();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&article).unwrap();
    let article_gz = gz.finish().unwrap();
    let s = Server::start();
    s.route("/story", move |_| {
        Reply::new(200, "text/html", article_gz.clone()).with_header("Content-Encoding", "gzip")
    });
    s.route("/pic.png", move |_| {
        Reply::new(200, "image/png", png_gz.clone()).with_header("Content-Encoding", "gzip")
    });
    let ws = Workspace::new();
    let out = ws.run(&["run", &s.url("/story")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r = ws.report_json();
    let pic = link(&r, &s.url("/pic.png"));
    assert_eq!(
        pic["snapshot"]["sha256"],
        sha256_hex(PNG),
        "the image, not its gzip"
    );
    let restored = ws.path().join("pic.png");
    ws.ok(&[
        "restore",
        "--url",
        &s.url("/pic.png"),
        "-o",
        restored.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read(&restored).unwrap(), PNG);
    // The WARC record says what was served without claiming the body is still gzip.
    let warc = ws.path().join("x.warc");
    ws.ok(&["export", "warc", "-o", warc.to_str().unwrap()]);
    let check = std::process::Command::new("warcio")
        .args(["check", warc.to_str().unwrap()])
        .output()
        .expect("warcio: run `bash .ci/run`");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let text = String::from_utf8_lossy(&std::fs::read(&warc).unwrap()).into_owned();
    assert!(
        text.contains("X-Archive-Orig-Content-Encoding: gzip"),
        "{text}"
    );
    assert!(!text.contains("\r\nContent-Encoding: gzip"), "{text}");
}

#[test]
fn a_url_no_server_accepts_is_dead_for_good_not_retried_forever() {
    let s = Server::start();
    let long = format!("{}?q={}", s.url("/search"), "x".repeat(100 * 1024));
    let ws = Workspace::new();
    let page = ws.write(
        "a.html",
        &format!(r#"<a href="{long}">a very long link</a>"#),
    );
    ws.ok(&["run", page.to_str().unwrap()]);
    let r = ws.report_json();
    let l = link(&r, &long);
    assert_eq!(
        (l["state"].as_str(), l["reason"].as_str()),
        (Some("dead"), Some("url_too_long"))
    );
    assert_eq!(s.hits("/search"), 0, "never sent");
}

#[test]
fn a_feed_with_an_internal_dtd_is_read_as_a_feed() {
    let s = Server::start();
    let feed = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY sect \"&#167;\">\n]>\n<rss version=\"2.0\"><channel><title>t</title><item><link>{}</link></item></channel></rss>",
        s.url("/item")
    );
    s.route("/feed", move |_| {
        Reply::new(200, "application/rss+xml", feed.clone())
    });
    s.route("/item", |_| Reply::html("<img src=\"/i.png\">"));
    s.resource("/i.png", "image/png", PNG);
    let ws = Workspace::new();
    let out = ws.run(&["run", &s.url("/feed")]);
    assert!(stderr(&out).contains("feed "), "{}", stderr(&out));
    assert_eq!(s.hits("/item"), 1, "its item was read as an article");
    let r = ws.report_json();
    assert_eq!(link(&r, &s.url("/i.png"))["state"], "alive");
}

#[test]
fn an_archive_written_by_a_newer_linkvault_is_refused_by_every_command_untouched() {
    let (_s, ws, page) = one_picture_archived();
    sql(&ws, "PRAGMA user_version = 999");
    for args in [
        vec!["run"],
        vec!["report"],
        vec!["remove", page.to_str().unwrap()],
        vec!["verify", "--repair"],
    ] {
        let out = ws.run(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert_says(&out, "newer");
    }
    assert_eq!(sql(&ws, "PRAGMA user_version"), "999", "left as it was");
    assert_eq!(
        sql(
            &ws,
            "SELECT count(*) FROM articles WHERE removed_at IS NULL"
        ),
        "1"
    );
}
