//! Everyday use, as a new user and a scheduled job meet it: what `run -q` tells the cron mail,
//! exit codes for scripts, failed articles retried, `Retry-After` that never holds a run,
//! articles added and removed, filters, headers and cookies, the commands that fit habits
//! (`init`, completions, man, a table that fits the terminal), and errors in one line.

mod common;

use std::process::Stdio;

use common::{assert_says, link, sha256_hex, stderr, Reply, Server, Workspace, TEST_CONFIG};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n an everyday picture";

fn at(ws: &mut Workspace, when: &str) {
    ws.extra_env.retain(|(k, _)| k != "LINKVAULT_NOW");
    ws.extra_env.push(("LINKVAULT_NOW".into(), when.into()));
}

/// A server with a live picture and a dead one, and an article citing both.
fn alive_and_gone() -> (Server, Workspace, std::path::PathBuf) {
    let s = Server::start();
    s.resource("/alive.png", "image/png", PNG);
    s.route("/gone.png", |_| Reply::status(404));
    let ws = Workspace::new();
    let page = ws.write(
        "a.html",
        &format!(
            r#"<img src="{}"><img src="{}">"#,
            s.url("/alive.png"),
            s.url("/gone.png")
        ),
    );
    (s, ws, page)
}

#[test]
fn a_quiet_run_names_every_reference_not_alive_and_marks_the_new_failures() {
    let (s, mut ws, page) = alive_and_gone();
    s.route("/later.png", |_| Reply::status(410));
    at(&mut ws, "2026-05-01T00:00:00Z");
    let out = ws.run(&["run", "-q", page.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = stderr(&out);
    let gone = log
        .lines()
        .find(|l| l.contains(&s.url("/gone.png")))
        .unwrap_or_else(|| panic!("the dead reference is named: {log}"));
    assert!(gone.contains("NEW dead: HTTP 404 (unconfirmed)"), "{gone}");
    assert!(gone.contains("no copy held"), "{gone}");
    assert!(
        !log.contains(&s.url("/alive.png")),
        "alive ones are not listed: {log}"
    );
    let summary = log
        .lines()
        .position(|l| l.contains("run complete"))
        .unwrap();
    assert!(
        log.lines()
            .position(|l| l.contains(&s.url("/gone.png")))
            .unwrap()
            < summary,
        "the summary comes last: {log}"
    );

    // A day later another reference of the article dies: only it is new.
    ws.write(
        "a.html",
        &format!(
            r#"<img src="{}"><img src="{}"><img src="{}">"#,
            s.url("/alive.png"),
            s.url("/gone.png"),
            s.url("/later.png")
        ),
    );
    at(&mut ws, "2026-05-04T01:00:00Z");
    let out = ws.run(&["run", "-q"]);
    let log = stderr(&out);
    let line = |path: &str| {
        log.lines()
            .find(|l| l.contains(&s.url(path)))
            .unwrap_or_else(|| panic!("{path} listed: {log}"))
            .to_string()
    };
    assert!(line("/later.png").contains("NEW dead: HTTP 410"), "{log}");
    assert!(
        !line("/gone.png").contains("NEW"),
        "failing since the first run: {log}"
    );

    // -v says what each request did, the alive ones too.
    at(&mut ws, "2026-05-20T00:00:00Z");
    let out = ws.run(&["run", "-v", "--recheck"]);
    let log = stderr(&out);
    assert!(
        log.lines()
            .any(|l| l.contains(&s.url("/alive.png")) && l.contains(" ms (1 attempt(s)")),
        "{log}"
    );
}

#[test]
fn fail_on_gives_scripts_a_distinct_exit_code() {
    let (_s, mut ws, page) = alive_and_gone();
    at(&mut ws, "2026-05-01T00:00:00Z");
    let out = ws.run(&["run", "--fail-on", "dead", page.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("--fail-on dead: 1 reference in that state"));
    // Not confirmed yet: nothing for --fail-on confirmed.
    let out = ws.run(&["report", "--fail-on", "confirmed"]);
    assert_eq!(out.status.code(), Some(0));
    for state in ["lost", "new", "dead"] {
        let out = ws.run(&["report", "--fail-on", state]);
        assert_eq!(out.status.code(), Some(3), "--fail-on {state}");
    }
    // The next run finds no new failure.
    at(&mut ws, "2026-05-01T02:00:00Z");
    let out = ws.run(&["run", "--fail-on", "new"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = ws.run(&["report", "--fail-on", "new"]);
    assert_eq!(out.status.code(), Some(0));
    // A bad state is bad usage.
    let out = ws.run(&["report", "--fail-on", "sad"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_refused_article_is_not_network_down_and_is_read_again_once_allowed() {
    let s = Server::start();
    s.route("/story", |_| Reply::html("<p><img src=\"/a.png\"></p>"));
    s.resource("/a.png", "image/png", PNG);
    // The default policy: loopback is refused.
    let mut ws = Workspace::with_config("[fetch]\nper_host_interval = \"0s\"\nretries = 0\n");
    at(&mut ws, "2026-05-01T00:00:00Z");
    let out = ws.run(&["run", &s.url("/story")]);
    let log = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(
        !log.contains("NETWORK DOWN"),
        "a refusal by policy is no outage: {log}"
    );
    assert!(log.contains("non-public address refused"), "{log}");
    assert!(log.contains("it is read again on the next run"), "{log}");
    assert_eq!(s.hits("/story"), 0);
    // The user follows the advice; a minute later the article is read.
    std::fs::write(
        ws.path().join("config.toml"),
        "[fetch]\nallow_private = true\nper_host_interval = \"0s\"\nretries = 0\n[rescue]\nenabled = false\n[render]\nenabled = false\n",
    )
    .unwrap();
    at(&mut ws, "2026-05-01T00:01:00Z");
    ws.ok(&["run"]);
    assert_eq!(s.hits("/story"), 1, "read on the very next run");
    assert_eq!(link(&ws.report_json(), &s.url("/a.png"))["state"], "alive");
}

#[test]
fn a_long_retry_after_is_scheduled_not_waited_for() {
    let s = Server::start();
    s.route("/busy.png", |_| {
        Reply::status(503).with_header("Retry-After", "120")
    });
    let mut ws = Workspace::with_config(
        "archive = \"archive\"\n[fetch]\nallow_private = true\nper_host_interval = \"0s\"\nretries = 2\nretry_backoff = \"10ms\"\n",
    );
    let page = ws.write("a.html", &format!(r#"<img src="{}">"#, s.url("/busy.png")));
    at(&mut ws, "2026-05-01T00:00:00Z");
    let started = std::time::Instant::now();
    ws.ok(&["run", page.to_str().unwrap()]);
    assert_eq!(
        s.hits("/busy.png"),
        1,
        "no retry within the run for a 2-minute wait"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "the run did not sit out the Retry-After"
    );
    let r = ws.report_json();
    assert_eq!(link(&r, &s.url("/busy.png"))["state"], "transient");
    // A minute later it is not due yet; after the two minutes the server asked for, it is.
    at(&mut ws, "2026-05-01T00:01:00Z");
    ws.ok(&["run"]);
    assert_eq!(s.hits("/busy.png"), 1);
    at(&mut ws, "2026-05-01T01:00:01Z");
    ws.ok(&["run"]);
    assert_eq!(s.hits("/busy.png"), 2);
}

#[test]
fn articles_are_added_listed_and_removed() {
    let s = Server::start();
    s.route("/one", |_| {
        Reply::html("<img src=\"/shared.png\"><img src=\"/only-one.png\">")
    });
    s.route("/two", |_| Reply::html("<img src=\"/shared.png\">"));
    s.route("/three", |_| Reply::html("<img src=\"/shared.png\">"));
    s.route("/four", |_| Reply::html("<p>four</p>"));
    s.route("/gone-article", |_| Reply::status(404));
    s.resource("/shared.png", "image/png", PNG);
    s.resource("/only-one.png", "image/png", b"\x89PNG only one".to_vec());
    let ws = Workspace::new();
    // Standard input, a URL list, a browser bookmark export and an OPML file.
    let out = ws.run_with_input(
        &["add", "-"],
        format!("# mine\n{}\n\n", s.url("/one")).as_bytes(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_says(&out, "registered 1 article;");
    let list = ws.write(
        "list.txt",
        &format!("{}\n{}\n", s.url("/two"), s.url("/gone-article")),
    );
    let bookmarks = ws.write(
        "bookmarks.html",
        &format!(
            "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<TITLE>Bookmarks</TITLE>\n<DL><p>\n<DT><A HREF=\"{}\">three</A>\n</DL>",
            s.url("/three")
        ),
    );
    let opml = ws.write(
        "feeds.opml",
        &format!(
            r#"<?xml version="1.0"?><opml version="2.0"><body><outline text="four" url="{}"/></body></opml>"#,
            s.url("/four")
        ),
    );
    let out = ws.run(&[
        "add",
        list.to_str().unwrap(),
        bookmarks.to_str().unwrap(),
        opml.to_str().unwrap(),
    ]);
    assert_says(&out, "registered 4 articles");
    let listed: serde_json::Value =
        serde_json::from_str(&ws.ok(&["articles", "--format", "json"])).unwrap();
    let names: Vec<&str> = listed["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["article"].as_str().unwrap())
        .collect();
    for p in ["/one", "/two", "/three", "/four", "/gone-article"] {
        assert!(names.contains(&s.url(p).as_str()), "{p} in {names:?}");
    }
    assert!(listed["articles"][0]["status"] == "not read yet");
    ws.ok(&["run"]);
    // The table: the failing article stands out, with why.
    let table = ws.ok(&["articles"]);
    let failing = table
        .lines()
        .position(|l| l.contains(&s.url("/gone-article")))
        .unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[failing].starts_with("FAILING"), "{table}");
    assert!(lines[failing + 1].contains("HTTP 404"), "{table}");
    assert!(
        table.contains("5 articles registered, 1 failing"),
        "{table}"
    );
    // The report says which articles could not be read, and why.
    let report = ws.ok(&["report"]);
    assert!(
        report.contains("articles that could not be read"),
        "{report}"
    );
    let json = ws.report_json();
    assert_eq!(
        json["articles_not_read"][0]["article"],
        s.url("/gone-article")
    );
    assert_eq!(json["summary"]["articles_not_read"], 1);

    // Removing /one retires what only it cites; --purge deletes what nothing else needs.
    let only_one = sha256_hex(b"\x89PNG only one");
    let shared = sha256_hex(PNG);
    let object = |sha: &str| ws.archive().join("objects").join(&sha[..2]).join(&sha[2..]);
    assert!(object(&only_one).exists());
    let out = ws.run(&["remove", &s.url("/one"), "--purge"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_says(&out, "1 reference no longer checked");
    assert!(!object(&only_one).exists(), "nothing else needed it");
    assert!(object(&shared).exists(), "other articles still cite it");
    let json = ws.report_json();
    assert!(
        json["links"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["url"] != s.url("/only-one.png")),
        "a retired reference is not reported"
    );
    ws.ok(&["verify"]);
    let hits = s.hits("/only-one.png");
    ws.ok(&["run", "--recheck"]);
    assert_eq!(s.hits("/only-one.png"), hits, "no longer checked");
    assert_eq!(s.hits("/one"), 1, "no longer read");
    // A mistyped article is named as such.
    let out = ws.run(&["remove", "https://typo.example/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no article `https://typo.example/` is registered"));
}

#[test]
fn filters_keep_references_from_being_fetched_or_reported() {
    let s = Server::start();
    for p in ["/photo.jpg", "/ads/banner.gif", "/ads/keep.gif", "/doc.pdf"] {
        s.resource(p, "image/gif", PNG);
    }
    let ws = Workspace::with_config(&format!(
        "{TEST_CONFIG}\n[filter]\nexclude = [\"/ads/\", \"\\\\.pdf$\"]\ninclude = [\"keep\"]\nexclude_hosts = [\"tracker.example\"]\n"
    ));
    let html: String = ["/photo.jpg", "/ads/banner.gif", "/ads/keep.gif", "/doc.pdf"]
        .iter()
        .map(|p| format!(r#"<img src="{}">"#, s.url(p)))
        .chain(std::iter::once(
            r#"<img src="https://cdn.tracker.example/pixel.gif">"#.to_string(),
        ))
        .collect();
    let page = ws.write("a.html", &html);
    let extracted = ws.ok(&["extract", page.to_str().unwrap()]);
    let line = |needle: &str| {
        extracted
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle}: {extracted}"))
            .to_string()
    };
    assert!(line("/ads/banner.gif").contains("excluded (matches filter.exclude `/ads/`)"));
    assert!(line("/doc.pdf").contains("excluded"));
    assert!(line("pixel.gif").contains("excluded (host tracker.example"));
    assert!(!line("/ads/keep.gif").contains("excluded"), "include wins");
    assert!(!line("/photo.jpg").contains("excluded"));
    ws.ok(&["run", page.to_str().unwrap()]);
    assert_eq!(
        s.hits("/ads/banner.gif") + s.hits("/doc.pdf"),
        0,
        "never fetched"
    );
    assert_eq!(s.hits("/ads/keep.gif"), 1);
    let report = ws.report_json();
    let urls: Vec<&str> = report["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["url"].as_str().unwrap())
        .collect();
    assert_eq!(urls.len(), 2, "only the kept ones are reported: {urls:?}");
}

#[test]
fn headers_and_cookies_go_to_their_host_only_and_never_to_the_log() {
    let site = Server::start();
    let elsewhere = Server::start();
    let other = format!("http://localhost:{}/moved.png", elsewhere.port);
    site.route("/members/photo.png", |req| {
        if req.header("cookie") == Some("session=s3cret") && req.header("x-api-key") == Some("k3y")
        {
            Reply::new(200, "image/png", PNG)
        } else {
            Reply::status(403)
        }
    });
    site.route("/moves.png", move |_| Reply::redirect(302, &other));
    elsewhere.resource("/moved.png", "image/png", PNG);
    let mut ws = Workspace::with_config(&format!(
        "{TEST_CONFIG}cookies = \"cookies.txt\"\n[[fetch.headers]]\nhost = \"127.0.0.1\"\nheaders = {{ X-Api-Key = \"k3y\" }}\n"
    ));
    ws.write(
        "cookies.txt",
        "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/members\tFALSE\t0\tsession\ts3cret\n",
    );
    let page = ws.write(
        "a.html",
        &format!(
            r#"<img src="{}"><img src="{}">"#,
            site.url("/members/photo.png"),
            site.url("/moves.png")
        ),
    );
    at(&mut ws, "2026-05-01T00:00:00Z");
    let out = ws.run(&["run", "-v", page.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("s3cret") && !stderr(&out).contains("k3y"));
    let r = ws.report_json();
    assert_eq!(link(&r, &site.url("/members/photo.png"))["state"], "alive");
    let moved = elsewhere.requests();
    assert_eq!(moved.len(), 1);
    assert_eq!(
        moved[0].header("cookie"),
        None,
        "another host gets no cookie"
    );
    assert_eq!(moved[0].header("x-api-key"), None, "nor the header");
    let moves = site
        .requests()
        .into_iter()
        .find(|r| r.path() == "/moves.png")
        .unwrap();
    assert_eq!(
        moves.header("cookie"),
        None,
        "the cookie's path is /members"
    );
    assert_eq!(moves.header("x-api-key"), Some("k3y"));
    // Nothing of them in an export either.
    let warc = ws.path().join("x.warc");
    ws.ok(&["export", "warc", "-o", warc.to_str().unwrap()]);
    let bytes = std::fs::read(&warc).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("s3cret") && !text.contains("k3y"));
}

#[test]
fn init_completions_and_man_page() {
    let ws = Workspace::new();
    let dir = ws.path().join("newsroom");
    let out = ws.run(&["init", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_says(&out, "then `linkvault run`");
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(config.contains("[rescue]") && config.contains("# Archive cited pages"));
    assert!(dir.join("archive/linkvault.db").is_file());
    // The written config is the one `run` reads, and an empty archive runs.
    let out = ws.run(&["--config", dir.join("config.toml").to_str().unwrap(), "run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_says(&out, "run complete: 0 articles read");
    let again = ws.run(&["init", dir.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("never overwrites"));
    let bash = ws.ok(&["completions", "bash"]);
    assert!(
        bash.contains("_linkvault()") && bash.contains("restore"),
        "{bash}"
    );
    let man = ws.ok(&["man"]);
    assert!(
        man.starts_with(".ie") || man.contains(".TH linkvault"),
        "{man}"
    );
}

#[test]
fn the_report_table_fits_eighty_columns_in_plain_words() {
    let s = Server::start();
    let long = format!(
        "/{}/photo-of-the-rally.jpg",
        "very-long-path-segment".repeat(12)
    );
    s.route(&long, |_| Reply::status(404));
    s.route("/old.png", |_| Reply::redirect(301, "/"));
    s.route("/", |_| Reply::html("<p>front page</p>"));
    let mut ws = Workspace::new();
    ws.extra_env.push(("COLUMNS".into(), "80".into()));
    let page = ws.write(
        "a.html",
        &format!(
            r#"<img src="{}"><a href="{}">x</a>"#,
            s.url(&long),
            s.url("/old.png")
        ),
    );
    ws.ok(&["run", page.to_str().unwrap()]);
    let table = ws.ok(&["report"]);
    for l in table.lines() {
        assert!(
            l.chars().count() <= 80,
            "{} columns: {l}",
            l.chars().count()
        );
    }
    assert!(
        table.contains("…"),
        "the long URL is shortened in the middle: {table}"
    );
    assert!(
        table.contains("photo-of-the-rally.jpg"),
        "its end stays readable: {table}"
    );
    assert!(
        table.contains("dead: redirects to front page (unconfirmed)"),
        "{table}"
    );
    assert!(table.contains("1 article, 2 links"), "{table}");
    // history reads a redirect chain as a chain.
    let h = ws.ok(&["history", &s.url("/old.png")]);
    assert!(
        h.contains(&format!("via 301 → {} → 200", s.url("/"))),
        "{h}"
    );
}

/// An archive holding one picture; its hash.
fn one_picture_kept() -> (Server, Workspace, String) {
    let s = Server::start();
    s.resource("/a.png", "image/png", PNG);
    let ws = Workspace::new();
    let page = ws.write("a.html", &format!(r#"<img src="{}">"#, s.url("/a.png")));
    ws.ok(&["run", page.to_str().unwrap()]);
    (s, ws, sha256_hex(PNG))
}

#[test]
fn restore_will_not_write_binary_to_a_terminal_unless_asked() {
    let (_s, ws, sha) = one_picture_kept();
    let bin = env!("CARGO_BIN_EXE_linkvault");
    // `script` gives the command a real pseudo-terminal as its standard output.
    let in_pty = |args: &str| {
        std::process::Command::new("script")
            .args(["-qec", &format!("{bin} {args}"), "/dev/null"])
            .current_dir(ws.path())
            .env("NO_COLOR", "1")
            .output()
            .expect("script (util-linux)")
    };
    let refused = in_pty(&format!("restore {sha}"));
    let text = String::from_utf8_lossy(&refused.stdout);
    assert!(
        text.contains("refusing to write binary data to the terminal"),
        "{text}"
    );
    assert!(!text.contains("PNG"), "{text}");
    let forced = in_pty(&format!("restore {sha} -o -"));
    assert!(String::from_utf8_lossy(&forced.stdout).contains("an everyday picture"));
}

#[test]
fn outputs_are_written_through_devices_pipes_and_symlinks_never_replaced() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let (_s, ws, sha) = one_picture_kept();
    // A full device: an error, and still a device.
    let out = ws.run(&["restore", &sha, "-o", "/dev/full"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_says(&out, "No space left on device");
    assert!(std::fs::metadata("/dev/full")
        .unwrap()
        .file_type()
        .is_char_device());
    let out = ws.run(&["export", "warc", "-o", "/dev/full"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(std::fs::metadata("/dev/full")
        .unwrap()
        .file_type()
        .is_char_device());
    // A FIFO gets the bytes; it stays a FIFO.
    let fifo = ws.path().join("pipe");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    ws.ok(&["restore", &sha, "-o", fifo.to_str().unwrap()]);
    assert_eq!(reader.join().unwrap(), PNG);
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    // A symlink is followed; the file it names keeps its mode.
    let real = ws.path().join("real.png");
    std::fs::write(&real, b"old").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link_path = ws.path().join("link.png");
    std::os::unix::fs::symlink(&real, &link_path).unwrap();
    ws.ok(&["restore", &sha, "-o", link_path.to_str().unwrap()]);
    assert!(std::fs::symlink_metadata(&link_path)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read(&real).unwrap(), PNG);
    assert_eq!(
        std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o640
    );
    // A WARC is gzipped only when its name says so.
    let plain = ws.path().join("out.warc");
    let out = ws.run(&["export", "warc", "-o", plain.to_str().unwrap()]);
    assert_says(&out, "uncompressed WARC");
    assert!(std::fs::read(&plain).unwrap().starts_with(b"WARC/1.1"));
    let gz = ws.path().join("out.warc.gz");
    ws.ok(&["export", "warc", "-o", gz.to_str().unwrap()]);
    assert!(std::fs::read(&gz).unwrap().starts_with(&[0x1f, 0x8b]));
}

#[test]
fn local_and_fetched_articles_are_bounded() {
    let s = Server::start();
    s.route("/endless", |_| Reply::html("<p>more</p>").endless());
    let ws = Workspace::with_config(&format!("{TEST_CONFIG}max_article_bytes = \"1MiB\"\n"));
    let out = ws.run(&["extract", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(1));
    assert_says(&out, "larger than fetch.max_article_bytes (1.0 MiB)");
    let sparse = ws.path().join("sparse.html");
    let f = std::fs::File::create(&sparse).unwrap();
    f.set_len(3 << 30).unwrap();
    let out = ws.run(&["extract", sparse.to_str().unwrap()]);
    assert_says(&out, "larger than fetch.max_article_bytes");
    let out = ws.run(&["run", sparse.to_str().unwrap()]);
    assert_says(&out, "larger than fetch.max_article_bytes");
    assert!(ws.objects_besides(&[]).is_empty(), "nothing stored");
    let out = ws.run(&["extract", &s.url("/endless")]);
    assert_eq!(out.status.code(), Some(1));
    assert_says(&out, "larger than fetch.max_article_bytes");
}

#[test]
fn bad_values_are_usage_errors_never_panics_or_wraps() {
    let ws = Workspace::new();
    for args in [
        vec!["run", "--every", "6"],
        vec!["run", "--every", "1ms"],
        vec!["run", "--every", "99999999999999w"],
        vec![
            "restore",
            "--url",
            "http://x.example/",
            "--at",
            "2018-02-31",
        ],
        vec!["export", "warc", "-o", "x.warc", "--since", "yesterday"],
    ] {
        let out = ws.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    }
    for config in [
        "[schedule]\nrecheck_alive = \"200000000000000d\"\n",
        "[schedule]\nrecheck_alive = \"99999999999999w\"\n",
        "[fetch]\nmax_bytes = \"1e30GiB\"\n",
        "[fetch]\nstall_timeout = \"30\"\n",
    ] {
        let ws = Workspace::with_config(config);
        let out = ws.run(&["report"]);
        assert_eq!(out.status.code(), Some(2), "{config}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
    // --at takes a plain date.
    let out = ws.run(&[
        "restore",
        "--url",
        "http://x.example/",
        "--at",
        "2018-09-15",
    ]);
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn errors_are_one_line_with_the_cause_once() {
    let ws = Workspace::new();
    let out = ws.run(&["--config", "nope.toml", "report"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).trim(), "linkvault: no such file: nope.toml");
    let out = ws.run(&["extract", "http://www.example.invalid/story"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("could not resolve host www.example.invalid"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // A port in use.
    let s = Server::start();
    s.resource("/a.png", "image/png", PNG);
    let page = ws.write("a.html", &format!(r#"<img src="{}">"#, s.url("/a.png")));
    ws.ok(&["run", page.to_str().unwrap()]);
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let out = ws.run(&["serve", "--listen", &addr]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        format!("linkvault: address {addr} is already in use: stop what is serving there, or pass --listen ADDR:PORT")
    );
}

#[test]
fn a_closed_stderr_does_not_stop_or_corrupt_a_run() {
    let (s, ws, page) = alive_and_gone();
    // `run … 2>&1 | head -1`: the reader goes away after the first line.
    let mut child = ws
        .command(&["run", "-v", page.to_str().unwrap()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let r = ws.report_json();
    assert_eq!(link(&r, &s.url("/alive.png"))["state"], "alive");
    assert_eq!(link(&r, &s.url("/gone.png"))["state"], "dead");
}

#[test]
fn terminal_escapes_from_the_web_never_reach_the_terminal() {
    let s = Server::start();
    s.route("/story", |_| {
        Reply::html(
            "<title>Story \u{1b}]0;pwned\u{7} \u{1b}[2J cleared</title><img src=\"/a.png\">",
        )
    });
    s.resource("/a.png", "image/png", PNG);
    let ws = Workspace::new();
    ws.ok(&["run", &s.url("/story")]);
    for out in [
        ws.ok(&["history", &s.url("/story")]),
        ws.ok(&["articles"]),
        ws.ok(&["report", "--all"]),
    ] {
        assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    }
    assert!(ws
        .ok(&["history", &s.url("/story")])
        .contains("Story \u{FFFD}]0;pwned"));
}

#[test]
fn extract_reads_standard_input_and_resolves_against_base() {
    let ws = Workspace::new();
    let out = ws.run_with_input(
        &[
            "extract",
            "-",
            "--base",
            "https://news.example/2018/story.html",
        ],
        b"<img src=\"pics/a.jpg\"><a href=\"/other\">x</a>",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("https://news.example/2018/pics/a.jpg"),
        "{text}"
    );
    assert!(text.contains("https://news.example/other"), "{text}");
}

#[test]
fn run_reads_articles_from_standard_input_and_doctor_reports_problems() {
    let s = Server::start();
    s.route("/story", |_| Reply::html("<img src=\"/a.png\">"));
    s.resource("/a.png", "image/png", PNG);
    let ws = Workspace::new();
    let out = ws.run_with_input(&["run", "-"], format!("{}\n", s.url("/story")).as_bytes());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(link(&ws.report_json(), &s.url("/a.png"))["state"], "alive");
    // The article read from standard input is registered like any other.
    assert!(ws.ok(&["articles"]).contains(&s.url("/story")));

    let doctor = ws.ok(&["doctor"]);
    assert!(
        doctor.contains("opens and is writable: 1 article, 1 reference"),
        "{doctor}"
    );
    assert!(doctor.ends_with("no problems found\n"), "{doctor}");
    let broken = Workspace::with_config("[fetch]\nmax_bytes = \"lots\"\n");
    let out = broken.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("config    PROBLEM:") && text.contains("fetch.max_bytes"),
        "{text}"
    );
    assert!(text.contains("1 problem found"), "{text}");
}

#[test]
fn robustify_reads_standard_input_with_its_base() {
    let s = Server::start();
    s.resource("/map.png", "image/png", PNG);
    let ws = Workspace::new();
    let page = ws.write("a.html", &format!(r#"<img src="{}">"#, s.url("/map.png")));
    ws.ok(&["run", page.to_str().unwrap()]);
    let out_path = ws.path().join("robust.html");
    let out = ws.run_with_input(
        &[
            "robustify",
            "-",
            "-o",
            out_path.to_str().unwrap(),
            "--base-url",
            "https://archive.example/",
            "--base",
            &s.url("/articles/story.html"),
        ],
        b"<p><a href=\"../map.png\">the map</a></p>",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let html = std::fs::read_to_string(&out_path).unwrap();
    assert!(
        html.contains("data-versionurl=\"https://archive.example/")
            && html.contains(&s.url("/map.png")),
        "{html}"
    );
}

#[test]
fn an_unchanged_article_still_counts_what_it_cites() {
    let s = Server::start();
    s.resource("/a.png", "image/png", PNG);
    s.resource("/b.png", "image/png", PNG);
    let body = format!(
        r#"<html><body><img src="{}"><img src="{}"></body></html>"#,
        s.url("/a.png"),
        s.url("/b.png")
    );
    s.resource("/story.html", "text/html", body.into_bytes());
    let mut ws = Workspace::new();
    at(&mut ws, "2026-05-01T00:00:00Z");
    let first = stderr(&ws.run(&["run", &s.url("/story.html")]));
    assert!(
        first.contains("run complete: 1 article read (0 with errors), 2 references cited"),
        "{first}"
    );
    // Two days later the article is asked for conditionally and answers 304.
    at(&mut ws, "2026-05-03T00:00:00Z");
    let second = stderr(&ws.run(&["run"]));
    let asked = s
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/story.html")
        .collect::<Vec<_>>();
    assert_eq!(asked.len(), 2);
    assert!(
        asked[1].header("if-none-match").is_some(),
        "asked conditionally"
    );
    assert!(
        second.contains("run complete: 1 article read (0 with errors), 2 references cited"),
        "an unchanged article still cites its references: {second}"
    );
}

#[test]
fn a_feed_item_removed_stays_removed_when_its_feed_names_it_again() {
    let s = Server::start();
    let feed = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
        <item><title>1</title><link>{}</link></item><item><title>2</title><link>{}</link></item></channel></rss>"#,
        s.url("/one"),
        s.url("/two")
    );
    s.route("/feed.xml", move |_| {
        Reply::new(200, "application/rss+xml", feed.clone())
    });
    s.route("/one", |_| Reply::html("<p>one</p>"));
    s.route("/two", |_| Reply::html("<p>two</p>"));
    let mut ws = Workspace::new();
    at(&mut ws, "2026-05-01T00:00:00Z");
    ws.ok(&["run", &s.url("/feed.xml")]);
    assert_eq!(s.hits("/two"), 1);
    ws.ok(&["remove", &s.url("/two")]);
    // Days later the feed is read again and still names it.
    at(&mut ws, "2026-05-04T00:00:00Z");
    ws.ok(&["run"]);
    assert_eq!(s.hits("/feed.xml"), 2);
    assert_eq!(s.hits("/one"), 2, "the other item is read again");
    assert_eq!(s.hits("/two"), 1, "the removed item is not");
    assert!(!ws.ok(&["articles"]).contains(&s.url("/two")));
    // Given by hand, it comes back.
    ws.ok(&["run", &s.url("/two")]);
    assert_eq!(s.hits("/two"), 2);
}

#[test]
fn a_missing_cookies_file_stops_fetching_not_reading_the_archive() {
    let (s, ws, page) = alive_and_gone();
    ws.ok(&["run", page.to_str().unwrap()]);
    let cfg = std::fs::read_to_string(ws.path().join("config.toml")).unwrap();
    let cfg = cfg.replacen("[fetch]\n", "[fetch]\ncookies = \"gone-cookies.txt\"\n", 1);
    std::fs::write(ws.path().join("config.toml"), cfg).unwrap();
    // What is held can still be read.
    assert!(ws.ok(&["report"]).contains(&s.url("/gone.png")));
    ws.ok(&["history", &s.url("/alive.png")]);
    // Fetching says why it cannot.
    let out = ws.run(&["run"]);
    assert_ne!(out.status.code(), Some(0));
    assert_says(&out, "fetch.cookies: cannot read");
    assert_says(&out, "gone-cookies.txt");
}

#[test]
fn extract_resolves_a_redirected_articles_links_where_it_landed() {
    let s = Server::start();
    s.route("/short", |_| Reply::redirect(301, "/2018/09/story.html"));
    s.route("/2018/09/story.html", |_| {
        Reply::html(r#"<img src="pics/a.jpg">"#)
    });
    let ws = Workspace::new();
    let out = ws.ok(&["extract", &s.url("/short")]);
    assert!(out.contains(&s.url("/2018/09/pics/a.jpg")), "{out}");
    assert!(!out.contains(&s.url("/pics/a.jpg")), "{out}");
}
