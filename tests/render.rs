//! Pages rendered by Debian's headless Chromium (installed by `.ci/run`) against pages served
//! on 127.0.0.1: references put there by scripts, lazy loaders and players, the screenshot kept
//! as a snapshot of the article version (restorable, exported, served), and the bounds: a page
//! that never stops loading, a page that tries to make the browser reach a private address, no
//! browser at all.

mod common;

use std::process::Command;

use common::{assert_says, sha256_hex, stderr, PublicAddress, Reply, Server, Workspace};

/// A tiny valid PNG of one colour (so the browser really decodes and shows it).
fn png(rgb: [u8; 3]) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        out.extend_from_slice(&crc_input);
        let mut h = flate2::Crc::new();
        h.update(&crc_input);
        out.extend_from_slice(&h.sum().to_be_bytes());
    }
    let (w, h) = (16u32, 16u32);
    // Each row: filter byte 0, then the pixels.
    let row: Vec<u8> = std::iter::once(0)
        .chain(rgb.iter().copied().cycle().take(3 * w as usize))
        .collect();
    let raw = row.repeat(h as usize);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut z, &raw).unwrap();
    let idat = z.finish().unwrap();
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", b"");
    out
}

/// Width and height from a PNG's IHDR.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let n = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    (n(16), n(20))
}

fn render_config(extra: &str) -> String {
    format!(
        "archive = \"archive\"\n[fetch]\nallow_private = true\nper_host_interval = \"0s\"\nretries = 0\n\
         [render]\nenabled = true\ntimeout = \"20s\"\n{extra}"
    )
}

/// `found_in` of every citation, as `url found_in` lines.
fn citations(ws: &Workspace) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(ws.archive().join("linkvault.db")).unwrap();
    let mut stmt = conn
        .prepare("SELECT r.url, c.found_in FROM citations c JOIN refs r ON r.id = c.ref_id ORDER BY r.url")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn found_in<'a>(cites: &'a [(String, String)], url: &str) -> Option<&'a str> {
    cites
        .iter()
        .find(|(u, _)| u == url)
        .map(|(_, f)| f.as_str())
}

/// The story a newsroom CMS would serve: one picture in the HTML, one put there by a script
/// after a `fetch()` of JSON, one that loads only when scrolled into view, a player that
/// fetches an HLS manifest by XHR, a tracking pixel, a web font.
fn story_site() -> Server {
    let s = Server::start();
    s.resource("/a.png", "image/png", png([200, 0, 0]));
    s.resource("/b.png", "image/png", png([0, 160, 0]));
    s.resource("/lazy.png", "image/png", png([0, 0, 200]));
    s.resource(
        "/pixel.gif",
        "image/gif",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(),
    );
    s.resource("/font.woff2", "font/woff2", b"wOF2-not-really".to_vec());
    s.resource(
        "/data.json",
        "application/json",
        br#"{"images": ["/b.png"]}"#.to_vec(),
    );
    s.resource(
        "/live/master.m3u8",
        "application/vnd.apple.mpegurl",
        b"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nseg0.ts\n#EXT-X-ENDLIST\n".to_vec(),
    );
    s.route("/story.html", |_| {
        Reply::html(
            r#"<!doctype html><html><head><title>Rendered story</title>
<style>@font-face { font-family: F; src: url(/font.woff2); } body { font-family: F, serif; }</style></head>
<body><nav><a href="/">Home</a></nav>
<article><h1>Story</h1><p>What happened.</p><img src="/a.png" alt="a"><div id="gallery"></div>
<div style="height:2600px"></div>
<img id="lazy" data-late="/lazy.png" alt="lazy">
<div id="player"></div>
</article>
<script>
fetch('/data.json').then(r => r.json()).then(d => {
  for (const u of d.images) {
    const i = document.createElement('img');
    i.src = u;
    document.getElementById('gallery').appendChild(i);
  }
});
const io = new IntersectionObserver(es => es.forEach(e => {
  if (e.isIntersecting) { e.target.src = e.target.dataset.late; io.unobserve(e.target); }
}));
io.observe(document.getElementById('lazy'));
const x = new XMLHttpRequest();
x.open('GET', '/live/master.m3u8');
x.onload = () => { document.getElementById('player').textContent = 'playing'; };
x.send();
new Image().src = '/pixel.gif?u=' + Math.random();
</script></body></html>"#,
        )
    });
    s
}

#[test]
fn a_rendered_page_adds_what_scripts_lazy_loaders_and_players_loaded() {
    let s = story_site();
    let ws = Workspace::with_config(&render_config(""));
    let out = ws.run(&["run", &s.url("/story.html")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let cites = citations(&ws);
    assert_eq!(
        found_in(&cites, &s.url("/a.png")),
        Some("img@src"),
        "{cites:?}"
    );
    assert_eq!(
        found_in(&cites, &s.url("/b.png")),
        Some("rendered:img@src"),
        "inserted after a fetch() of JSON: {cites:?}"
    );
    assert_eq!(
        found_in(&cites, &s.url("/lazy.png")),
        Some("rendered:img@src"),
        "loaded only when scrolled into view: {cites:?}"
    );
    assert_eq!(
        found_in(&cites, &s.url("/live/master.m3u8")),
        Some("network:manifest"),
        "the player's HLS manifest: {cites:?}"
    );
    assert!(
        !cites.iter().any(|(u, _)| u.contains("pixel.gif")
            || u.contains("font.woff2")
            || u.contains("data.json")),
        "trackers, fonts and data stay out: {cites:?}"
    );
    // The references the browser added are checked and kept like any other.
    let r = ws.report_json();
    let lazy = common::link(&r, &s.url("/lazy.png"));
    assert_eq!(lazy["state"], "alive", "{lazy:#}");
    assert_eq!(
        s.hits("/lazy.png"),
        2,
        "once by the browser, once by the check"
    );
}

#[test]
fn the_screenshot_is_a_restorable_snapshot_exported_and_served() {
    let s = story_site();
    let ws = Workspace::with_config(&render_config("viewport = \"1000x700\"\n"));
    ws.ok(&["run", &s.url("/story.html")]);
    let h = ws.history_json(&s.url("/story.html"));
    let versions = h["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 1, "{h:#}");
    let shot = &versions[0]["screenshot"];
    let sha = shot["sha256"]
        .as_str()
        .expect("a screenshot of the version");
    assert!(
        shot["tool"].as_str().unwrap_or("").contains("Chrom"),
        "{shot:#}"
    );
    assert_eq!(shot["content_type"], "image/png");

    // Restorable by its hash, bit for bit, a PNG of the whole page at the viewport's width.
    let file = ws.path().join("shot.png");
    ws.ok(&["restore", sha, "-o", file.to_str().unwrap()]);
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(sha256_hex(&bytes), sha);
    let (w, hgt) = png_size(&bytes);
    assert_eq!(w, 1000);
    assert!(hgt > 2600, "the full page, not the viewport: {hgt}px");
    assert_eq!(shot["width"], 1000);
    assert_eq!(shot["height"], hgt);

    // In the WARC, as a `resource` record named `urn:screenshot:` + the page's URL.
    let warc = ws.path().join("out.warc.gz");
    ws.ok(&["export", "warc", "-o", warc.to_str().unwrap()]);
    let script = "import sys\nfrom warcio.archiveiterator import ArchiveIterator\n\
        for r in ArchiveIterator(open(sys.argv[1], 'rb')):\n\
        \x20   h = r.rec_headers\n\
        \x20   print(r.rec_type, h.get_header('WARC-Target-URI'), h.get_header('Content-Type'), h.get_header('WARC-Payload-Digest'), bool(h.get_header('WARC-Date')), sep='|')";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&warc)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing = String::from_utf8_lossy(&out.stdout);
    let want = format!(
        "resource|urn:screenshot:{}|image/png|sha256:{sha}|True",
        s.url("/story.html")
    );
    assert!(
        listing.lines().any(|l| l == want),
        "no `{want}` in:\n{listing}"
    );
    let check = Command::new("warcio")
        .args(["check", "-v"])
        .arg(&warc)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "warcio check: {}",
        String::from_utf8_lossy(&check.stdout)
    );

    // In a WACZ too, valid, and indexed by its URN so replay tools can show it.
    let wacz = ws.path().join("out.wacz");
    ws.ok(&["export", "wacz", "-o", wacz.to_str().unwrap()]);
    let validate = Command::new("wacz")
        .args(["validate", "-f"])
        .arg(&wacz)
        .output()
        .unwrap();
    assert!(
        validate.status.success(),
        "wacz validate: {}{}",
        String::from_utf8_lossy(&validate.stdout),
        String::from_utf8_lossy(&validate.stderr)
    );
    let index = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile
print(zipfile.ZipFile(sys.argv[1]).read('indexes/index.cdxj').decode())",
        ])
        .arg(&wacz)
        .output()
        .unwrap();
    let index = String::from_utf8_lossy(&index.stdout);
    let key = format!("urn:screenshot:{} ", s.url("/story.html"));
    assert!(
        index
            .lines()
            .any(|l| l.starts_with(&key) && l.contains(sha)),
        "no screenshot line in the index:\n{index}"
    );

    // On the article's page of the web view, and served from the store as it was kept.
    let served = ws.serve();
    let q = s.url("/story.html").replace(':', "%3A").replace('/', "%2F");
    let page = common::http::request(served.port, "GET", &format!("/article?url={q}"), &[]);
    assert_eq!(page.status, 200);
    let body = String::from_utf8_lossy(&page.body);
    assert!(
        body.contains(&format!("<img src=\"/objects/{sha}\"")),
        "the screenshot shown on the article page:\n{body}"
    );
    assert!(body.contains("As rendered"), "{body}");
    let img = common::http::request(served.port, "GET", &format!("/objects/{sha}"), &[]);
    assert_eq!(img.status, 200);
    assert_eq!(img.header("content-type"), Some("image/png"));
    assert_eq!(sha256_hex(&img.body), sha);
}

#[test]
fn an_unchanged_version_is_not_rendered_again_and_an_edited_one_is() {
    let s = Server::start();
    let body = std::sync::Arc::new(std::sync::Mutex::new(String::from(
        "<html><body><article><p>First version of the text.</p></article></body></html>",
    )));
    let b = body.clone();
    s.route("/a.html", move |_| Reply::html(&b.lock().unwrap()));
    let ws = Workspace::with_config(&render_config(""));
    ws.ok(&["run", &s.url("/a.html")]);
    ws.ok(&["run", "--recheck", &s.url("/a.html")]);
    let versions = |ws: &Workspace| ws.history_json(&s.url("/a.html"))["versions"].clone();
    let v = versions(&ws);
    assert_eq!(v.as_array().map(Vec::len), Some(1), "{v:#}");
    assert!(v[0]["screenshot"]["sha256"].is_string());
    *body.lock().unwrap() =
        "<html><body><article><p>Second version, corrected.</p></article></body></html>".into();
    ws.ok(&["run", "--recheck", &s.url("/a.html")]);
    let v = versions(&ws);
    let v = v.as_array().unwrap();
    assert_eq!(v.len(), 2);
    assert!(v[1]["screenshot"]["sha256"].is_string());
    assert_ne!(v[0]["screenshot"]["sha256"], v[1]["screenshot"]["sha256"]);
    // The browser loaded the page once per version, not once per run.
    let browser_loads = s
        .requests()
        .iter()
        .filter(|r| {
            r.path() == "/a.html" && r.header("user-agent").is_some_and(|u| u.contains("Chrome"))
        })
        .count();
    assert_eq!(browser_loads, 2);
}

#[test]
fn a_page_that_never_stops_loading_is_recorded_with_what_it_had() {
    let s = Server::start();
    s.resource("/a.png", "image/png", png([10, 10, 10]));
    // A picture that never arrives (so the page never fires `load`), a long poll that never
    // answers, and a script that asks for something new forever.
    s.route("/poll", |_| {
        Reply::new(200, "text/plain", "x").stall_after(0)
    });
    s.route("/stuck.png", |_| {
        Reply::new(200, "image/png", "x").stall_after(0)
    });
    s.route("/tick", |_| Reply::new(200, "application/json", "{}"));
    s.route("/busy.html", |_| {
        Reply::html(
            r#"<html><head><title>Live blog</title></head><body><article><img src="/a.png"><p>Updates</p><img src="/stuck.png"></article>
<script>
fetch('/poll');
let n = 0;
setInterval(() => { fetch('/tick?n=' + (n++)); }, 100);
</script></body></html>"#,
        )
    });
    let ws =
        Workspace::with_config(&render_config("").replace("timeout = \"20s\"", "timeout = \"4s\""));
    let out = ws.run(&["run", &s.url("/busy.html")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let h = ws.history_json(&s.url("/busy.html"));
    let shot = &h["versions"][0]["screenshot"];
    assert!(
        shot["sha256"].is_string(),
        "recorded with what it had: {h:#}"
    );
    assert!(
        shot["note"]
            .as_str()
            .unwrap_or("")
            .contains("never went quiet"),
        "{shot:#}"
    );
    assert_eq!(found_in(&citations(&ws), &s.url("/a.png")), Some("img@src"));
}

#[test]
fn the_browser_cannot_be_led_to_private_addresses() {
    let public_ip = PublicAddress::add_ip("11.22.33.47");
    let public = Server::start_on(public_ip.0);
    let inside = Server::start();
    inside.resource("/secret.png", "image/png", png([1, 2, 3]));
    inside.resource("/secret.json", "application/json", b"{}".to_vec());
    public.resource("/ok.png", "image/png", png([0, 0, 0]));
    let secret_png = inside.url("/secret.png");
    let secret_json = inside.url("/secret.json");
    let in_page = secret_png.clone();
    public.route("/story.html", move |_| {
        Reply::html(&format!(
            r#"<html><body><article><img src="/ok.png"><div id="g"></div></article>
<script>
fetch('{secret_json}').catch(() => {{}});
const i = document.createElement('img'); i.src = '{in_page}';
document.getElementById('g').appendChild(i);
const f = document.createElement('iframe'); f.src = 'http://169.254.169.254/latest/meta-data/';
document.body.appendChild(f);
</script></body></html>"#
        ))
    });
    // The built-in address policy (allow_private off), with rendering on.
    let ws = Workspace::with_config(
        "[fetch]\nper_host_interval = \"0s\"\nretries = 0\n[render]\nenabled = true\ntimeout = \"15s\"\n",
    );
    let out = ws.run(&["run", &public.url("/story.html")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        inside.requests().len(),
        0,
        "neither the browser nor linkvault reached the loopback server"
    );
    // The page itself was rendered (through the policy proxy), and the private reference the
    // script added is on record as refused.
    let h = ws.history_json(&public.url("/story.html"));
    assert!(
        h["versions"][0]["screenshot"]["sha256"].is_string(),
        "{h:#}"
    );
    let r = ws.report_json();
    let secret = common::link(&r, &secret_png);
    assert_eq!(secret["reason"], "private_address", "{secret:#}");
}

#[test]
fn cookies_and_storage_do_not_follow_the_browser_from_one_article_to_the_next() {
    let s = Server::start();
    s.resource("/probe.png", "image/png", png([9, 9, 9]));
    // Each page sets a cookie and local storage, then asks for a picture that tells the
    // server what the browser remembered.
    let page = |name: &str| {
        format!(
            r#"<html><body><article><div id="g"></div></article><script>
const had = (document.cookie || 'none') + '|' + (localStorage.getItem('k') || 'none');
document.cookie = 'visited={name}; path=/';
localStorage.setItem('k', '{name}');
const i = document.createElement('img'); i.src = '/probe.png?from={name}&had=' + encodeURIComponent(had);
document.getElementById('g').appendChild(i);
</script></body></html>"#
        )
    };
    let one = page("one");
    let two = page("two");
    s.route("/one.html", move |_| Reply::html(&one));
    s.route("/two.html", move |_| Reply::html(&two));
    let cookies =
        "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tfrom-file\n";
    let ws = Workspace::with_config(&render_config("tabs = 1\n"));
    ws.ok(&["run", &s.url("/one.html"), &s.url("/two.html")]);
    let by_browser = |r: &common::Request| {
        r.path() == "/probe.png" && r.header("user-agent").is_some_and(|u| u.contains("Chrome"))
    };
    let probes: Vec<_> = s.requests().into_iter().filter(by_browser).collect();
    assert_eq!(probes.len(), 2, "{probes:?}");
    for p in &probes {
        assert!(
            p.target.contains("had=none%7Cnone"),
            "nothing remembered: {}",
            p.target
        );
        // Only the cookie the page itself just set.
        let from = if p.target.contains("from=one") {
            "one"
        } else {
            "two"
        };
        assert_eq!(
            p.header("cookie"),
            Some(format!("visited={from}").as_str()),
            "{p:?}"
        );
    }

    // With a cookies file, its cookies are given to the browser (and only those).
    let ws = Workspace::with_config(
        "archive = \"archive\"\n[fetch]\nallow_private = true\nper_host_interval = \"0s\"\nretries = 0\ncookies = \"cookies.txt\"\n\
         [render]\nenabled = true\ntabs = 1\n",
    );
    ws.write("cookies.txt", cookies);
    let before = s.requests().len();
    ws.ok(&["run", &s.url("/one.html"), &s.url("/two.html")]);
    let probes: Vec<_> = s.requests()[before..]
        .iter()
        .filter(|r| by_browser(r))
        .cloned()
        .collect();
    assert_eq!(probes.len(), 2);
    for p in &probes {
        assert!(
            p.target.contains("had=session%3Dfrom-file%7Cnone"),
            "{}",
            p.target
        );
    }
}

#[test]
fn render_on_without_a_browser_says_so_once_and_the_run_completes() {
    let s = story_site();
    let ws = Workspace::with_config(&render_config("chromium = \"/nonexistent/chromium\"\n"));
    let out = ws.run(&["run", &s.url("/story.html"), &s.url("/a.png")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_says(&out, "render.enabled = true but Chromium was not found");
    assert_says(&out, "apt-get install chromium");
    assert_eq!(
        stderr(&out).matches("render.enabled = true").count(),
        1,
        "said once, not per article: {}",
        stderr(&out)
    );
    // The static references are all there.
    assert_eq!(found_in(&citations(&ws), &s.url("/a.png")), Some("img@src"));
    let doctor = ws.run(&["doctor"]);
    let text = String::from_utf8_lossy(&doctor.stdout);
    assert!(text.contains("no Chromium is found"), "{text}");
}

#[test]
fn a_saved_file_is_rendered_from_disk() {
    let s = Server::start();
    s.resource("/late.png", "image/png", png([50, 50, 50]));
    let ws = Workspace::with_config(&render_config(""));
    let file = ws.write(
        "saved.html",
        &format!(
            r#"<html><head><link rel="canonical" href="{}"></head><body><article><p>Saved.</p><div id="g"></div></article>
<script>const i = document.createElement('img'); i.src = '{}'; document.getElementById('g').appendChild(i);</script></body></html>"#,
            s.url("/saved-story"),
            s.url("/late.png")
        ),
    );
    ws.ok(&["run", file.to_str().unwrap()]);
    assert_eq!(
        found_in(&citations(&ws), &s.url("/late.png")),
        Some("rendered:img@src")
    );
    let h = ws.history_json(file.to_str().unwrap());
    assert!(
        h["versions"][0]["screenshot"]["sha256"].is_string(),
        "{h:#}"
    );
}

/// Processes whose environment carries `TMPDIR=dir` (the browser and every process it forked
/// inherit it from the run).
fn processes_with_tmpdir(dir: &std::path::Path) -> Vec<u32> {
    let needle = format!("TMPDIR={}\0", dir.display());
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(env) = std::fs::read(entry.path().join("environ")) {
            // A zombie has an empty environment: it is gone, only not yet reaped.
            if String::from_utf8_lossy(&env).contains(&needle) {
                found.push(pid);
            }
        }
    }
    found
}

#[test]
fn the_browser_dies_with_the_run_even_when_the_run_is_killed() {
    let s = Server::start();
    s.route("/poll", |_| {
        Reply::new(200, "text/plain", "x").stall_after(0)
    });
    s.route("/slow.html", |_| {
        Reply::html("<html><body><article><p>Loading…</p></article><script>fetch('/poll');</script></body></html>")
    });
    let ws = Workspace::with_config(
        &render_config("").replace("timeout = \"20s\"", "timeout = \"120s\""),
    );
    let tmp = ws.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let mut run = ws
        .command(&["run", &s.url("/slow.html")])
        .env("TMPDIR", &tmp)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The browser is rendering the page once it asks for what the page's script fetches.
    s.wait_for_hit("/poll");
    let browser = processes_with_tmpdir(&tmp);
    assert!(
        browser.len() > 1,
        "the run and its browser processes: {browser:?}"
    );
    run.kill().unwrap();
    run.wait().unwrap();
    // The kernel kills the browser when the run dies (PR_SET_PDEATHSIG); its helpers follow.
    // Nothing to await but their disappearance: looked for, with a bound.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut left = processes_with_tmpdir(&tmp);
    while !left.is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
        left = processes_with_tmpdir(&tmp);
    }
    assert!(
        left.is_empty(),
        "browser processes outlived the run: {left:?}"
    );
}

#[test]
fn screenshots_and_the_dom_read_are_capped() {
    let s = Server::start();
    s.resource("/top.png", "image/png", png([1, 1, 1]));
    s.resource("/late.png", "image/png", png([2, 2, 2]));
    // A tall page whose script adds a picture at the very end of a long DOM.
    s.route("/tall.html", |_| {
        Reply::html(&format!(
            r#"<html><body><article><img src="/top.png"><div style="height:5000px">{}</div><div id="end"></div></article>
<script>const i = document.createElement('img'); i.src = '/late.png'; document.getElementById('end').appendChild(i);</script></body></html>"#,
            "<p>filler paragraph</p>".repeat(400)
        ))
    });
    let ws = Workspace::with_config(&render_config(
        "max_screenshot_height = 1200\nmax_dom_bytes = \"4KiB\"\n",
    ));
    ws.ok(&["run", &s.url("/tall.html")]);
    let h = ws.history_json(&s.url("/tall.html"));
    let shot = &h["versions"][0]["screenshot"];
    assert_eq!(shot["height"], 1200, "{shot:#}");
    let note = shot["note"].as_str().unwrap_or("");
    assert!(note.contains("render.max_screenshot_height"), "{note}");
    assert!(note.contains("render.max_dom_bytes"), "{note}");
    let file = ws.path().join("shot.png");
    ws.ok(&[
        "restore",
        shot["sha256"].as_str().unwrap(),
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(png_size(&std::fs::read(&file).unwrap()).1, 1200);
    // The DOM was read up to the cap: the picture the script put past it is not cited from it,
    // the one in the static HTML is.
    let cites = citations(&ws);
    assert_eq!(found_in(&cites, &s.url("/top.png")), Some("img@src"));
    assert!(
        !cites
            .iter()
            .any(|(u, f)| u.ends_with("/late.png") && f.starts_with("rendered:")),
        "{cites:?}"
    );
}
