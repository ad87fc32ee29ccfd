//! Video capture through yt-dlp (installed by `.ci/run` from PyPI), against real pages served
//! on 127.0.0.1: an HTML5 video page, a direct MP4, an HLS playlist, a removed video, and a
//! machine without yt-dlp.

mod common;

use common::{assert_says, link, sha256_hex, stderr, Reply, Server, Workspace};

fn workspace() -> Workspace {
    Workspace::with_config(&format!(
        "[fetch]\nallow_private = true\nper_host_interval = \"0s\"\nretries = 0\n[video]\nyt_dlp = \"{}\"\nper_host_interval = \"0s\"\n",
        common::yt_dlp()
    ))
}

fn clip(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i * 7 + seed as usize) % 251) as u8)
        .collect()
}

fn video_page(src: &str) -> String {
    format!("<html><head><title>Protest in Idlib</title></head><body><h1>Footage</h1><video controls><source src=\"{src}\" type=\"video/mp4\"></video></body></html>")
}

fn snapshots_with_role<'a>(h: &'a serde_json::Value, role: &str) -> Vec<&'a serde_json::Value> {
    h["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["role"] == role)
        .collect()
}

#[test]
fn a_cited_video_page_is_kept_as_its_media_and_outlives_the_page() {
    let s = Server::start();
    let media = clip(1, 96 * 1024);
    s.resource("/media/clip.mp4", "video/mp4", media.clone());
    let page = std::sync::Arc::new(std::sync::Mutex::new(Some(video_page("/media/clip.mp4"))));
    let p = page.clone();
    s.route("/watch/1", move |_| match p.lock().unwrap().clone() {
        Some(html) => Reply::html(&html),
        None => Reply::status(404),
    });
    let ws = workspace();
    let article = ws.write(
        "a.html",
        &format!(
            r#"<article><iframe src="{}"></iframe></article>"#,
            s.url("/watch/1")
        ),
    );
    let out = ws.run(&["run", article.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));

    let watch = s.url("/watch/1");
    let r = ws.report_json();
    let l = link(&r, &watch);
    assert_eq!(l["kind"], "embed");
    assert_eq!(l["video"], "captured");
    assert_eq!(
        l["snapshot"]["sha256"],
        sha256_hex(&media),
        "the report shows the video, not the page"
    );
    assert_eq!(l["snapshot"]["content_type"], "video/mp4");

    let h = ws.history_json(&watch);
    let videos = snapshots_with_role(&h, "video");
    assert_eq!(videos.len(), 1);
    assert!(
        videos[0]["tool"].as_str().unwrap().starts_with("yt-dlp 20"),
        "{h:#}"
    );
    let info = snapshots_with_role(&h, "video_info");
    assert_eq!(info.len(), 1);
    let info_json = ws.run(&["restore", info[0]["sha256"].as_str().unwrap(), "-o", "-"]);
    let info: serde_json::Value = serde_json::from_slice(&info_json.stdout).unwrap();
    // yt-dlp's own record: which extractor, which page, which format it chose.
    assert!(
        info["extractor"].is_string() && info["format_id"].is_string(),
        "{info:#}"
    );
    assert_eq!(info["webpage_url"], watch);

    // Checked again with the video held: yt-dlp only confirms it is there.
    ws.ok(&["run", "--recheck"]);
    let h = ws.history_json(&watch);
    assert_eq!(
        snapshots_with_role(&h, "video").len(),
        1,
        "not downloaded again"
    );
    assert!(
        h["checks"][1]["video"]
            .as_str()
            .unwrap()
            .contains("still available"),
        "{h:#}"
    );

    // The page is taken down: the reference is dead, the video is still restorable by hash.
    *page.lock().unwrap() = None;
    ws.ok(&["run", "--recheck"]);
    let r = ws.report_json();
    let l = link(&r, &watch);
    assert_eq!(
        (l["state"].as_str(), l["reason"].as_str()),
        (Some("dead"), Some("http_404"))
    );
    assert_eq!(l["snapshot"]["sha256"], sha256_hex(&media));
    assert_eq!(r["summary"]["rescued"], 1);
    let restored = ws.run(&["restore", &sha256_hex(&media)[..12], "-o", "-"]);
    assert_eq!(restored.stdout, media);
    let by_url = ws.run(&["restore", "--url", &watch, "-o", "-"]);
    assert_eq!(by_url.stdout, media);
    let text = ws.ok(&["history", &watch]);
    assert!(
        text.contains("video media (yt-dlp") && text.contains("dead http_404"),
        "{text}"
    );
}

#[test]
fn a_direct_mp4_is_an_ordinary_fetch() {
    let s = Server::start();
    let media = clip(2, 40_000);
    s.resource("/media/direct.mp4", "video/mp4", media.clone());
    let ws = workspace();
    let article = ws.write(
        "a.html",
        &format!(r#"<video src="{}"></video>"#, s.url("/media/direct.mp4")),
    );
    ws.ok(&["run", article.to_str().unwrap()]);
    let r = ws.report_json();
    let l = link(&r, &s.url("/media/direct.mp4"));
    assert_eq!(l["snapshot"]["sha256"], sha256_hex(&media));
    assert!(l["video"].is_null(), "{l:#}");
    assert_eq!(
        s.hits("/media/direct.mp4"),
        1,
        "fetched once, by linkvault itself"
    );
}

#[test]
fn an_hls_playlist_is_captured_as_its_media_and_the_playlist_is_recorded() {
    let s = Server::start();
    let (seg0, seg1) = (clip(3, 30_000), clip(4, 30_000));
    s.resource("/hls/seg0.ts", "video/mp2t", seg0.clone());
    s.resource("/hls/seg1.ts", "video/mp2t", seg1.clone());
    let playlist = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:4.0,\nseg0.ts\n#EXTINF:4.0,\nseg1.ts\n#EXT-X-ENDLIST\n";
    s.resource("/hls/index.m3u8", "application/vnd.apple.mpegurl", playlist);
    let ws = workspace();
    let article = ws.write(
        "a.html",
        &format!(r#"<video src="{}"></video>"#, s.url("/hls/index.m3u8")),
    );
    ws.ok(&["run", article.to_str().unwrap()]);
    let url = s.url("/hls/index.m3u8");
    let h = ws.history_json(&url);
    let both: Vec<u8> = [seg0, seg1].concat();
    let videos = snapshots_with_role(&h, "video");
    assert_eq!(videos.len(), 1, "{h:#}");
    assert_eq!(
        videos[0]["sha256"],
        sha256_hex(&both),
        "the media is the segments, in order"
    );
    let bodies = snapshots_with_role(&h, "body");
    assert_eq!(
        bodies[0]["sha256"],
        sha256_hex(playlist.as_bytes()),
        "the playlist is kept too"
    );
    assert_eq!(
        link(&ws.report_json(), &url)["snapshot"]["sha256"],
        sha256_hex(&both)
    );
}

#[test]
fn a_removed_video_is_reported_with_its_reason() {
    let s = Server::start();
    s.route("/watch/gone", |_| {
        Reply::html("<html><head><title>Video unavailable</title></head><body><h1>This video has been removed by the uploader</h1><video><source src=\"/media/gone.mp4\" type=\"video/mp4\"></video></body></html>")
    });
    s.route("/media/gone.mp4", |_| Reply::status(404));
    let ws = workspace();
    let article = ws.write(
        "a.html",
        &format!(r#"<iframe src="{}"></iframe>"#, s.url("/watch/gone")),
    );
    ws.ok(&["run", article.to_str().unwrap()]);
    let r = ws.report_json();
    let l = link(&r, &s.url("/watch/gone"));
    assert_eq!(
        (l["state"].as_str(), l["reason"].as_str()),
        (Some("dead"), Some("video_removed")),
        "{l:#}"
    );
    assert!(l["snapshot"].is_null());
}

#[test]
fn without_yt_dlp_the_run_completes_and_the_report_names_the_gap() {
    let s = Server::start();
    s.resource("/media/clip.mp4", "video/mp4", clip(5, 10_000));
    s.route("/watch/2", |_| Reply::html(&video_page("/media/clip.mp4")));
    let ws = Workspace::with_config(
        "[fetch]\nallow_private = true\nper_host_interval = \"0s\"\n[video]\nyt_dlp = \"/nonexistent/yt-dlp\"\n",
    );
    let article = ws.write(
        "a.html",
        &format!(r#"<iframe src="{}"></iframe>"#, s.url("/watch/2")),
    );
    let out = ws.run(&["run", article.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_says(&out, "captured as pages only");
    let r = ws.report_json();
    let l = link(&r, &s.url("/watch/2"));
    assert_eq!(l["state"], "alive");
    assert_eq!(l["video"], "page_only");
    assert_eq!(
        l["snapshot"]["content_type"], "text/html; charset=utf-8",
        "the page is held"
    );
    assert_eq!(r["summary"]["video_page_only"], 1);
    let table = ws.ok(&["report", "--all"]);
    assert!(table.contains("pip install yt-dlp"), "{table}");
    let doctor = ws.ok(&["doctor"]);
    let line = doctor.lines().find(|l| l.starts_with("yt-dlp")).unwrap();
    assert!(line.contains("not found"), "{doctor}");
    assert!(
        doctor.contains(
            "capture enabled, but yt-dlp is not found: video pages are kept as pages only"
        ),
        "never 'enabled' beside 'not found' without saying what it means: {doctor}"
    );
}

#[test]
fn doctor_lists_yt_dlp_and_its_version() {
    let ws = workspace();
    let doctor = ws.ok(&["doctor"]);
    let line = doctor.lines().find(|l| l.starts_with("yt-dlp")).unwrap();
    assert!(
        line.contains("20") && !line.contains("not found"),
        "{doctor}"
    );
}

#[test]
fn no_more_than_video_processes_yt_dlp_run_at_once() {
    // Three hosts (loopback addresses), two video pages each: with one yt-dlp per host at a
    // time, three could run at once; `video.processes = 2` allows two.
    let servers: Vec<Server> = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
        .into_iter()
        .map(Server::start_on)
        .collect();
    let mut iframes = String::new();
    for (i, s) in servers.iter().enumerate() {
        for j in 0..2u8 {
            let media = format!("/media/{j}.mp4");
            s.resource(&media, "video/mp4", clip(i as u8 * 2 + j, 32 * 1024));
            s.route(&format!("/watch/{j}"), move |_| {
                Reply::html(&video_page(&media))
            });
            iframes.push_str(&format!(
                r#"<iframe src="{}"></iframe>"#,
                s.url(&format!("/watch/{j}"))
            ));
        }
    }
    // yt-dlp behind a wrapper that logs when each run starts and ends (nanoseconds).
    let ws0 = Workspace::new();
    let log = ws0.path().join("runs.log");
    let wrapper = ws0.write(
        "yt-dlp-logged",
        &format!(
            "#!/bin/sh\ncase \"$1\" in --version) exec {tool} --version;; esac\necho \"start $(date +%s%N)\" >> {log}\n{tool} \"$@\"\nrc=$?\necho \"end $(date +%s%N)\" >> {log}\nexit $rc\n",
            tool = common::yt_dlp(),
            log = log.display()
        ),
    );
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let ws = Workspace::with_config(&format!(
        "[fetch]\nallow_private = true\nper_host_interval = \"0s\"\nretries = 0\n[video]\nyt_dlp = \"{}\"\nper_host_interval = \"0s\"\nprocesses = 2\n",
        wrapper.display()
    ));
    let article = ws.write("a.html", &format!("<article>{iframes}</article>"));
    let out = ws.run(&["run", article.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r = ws.report_json();
    for s in &servers {
        for j in 0..2 {
            let l = link(&r, &s.url(&format!("/watch/{j}")));
            assert_eq!(l["video"], "captured", "{l:#}");
        }
    }
    // The most yt-dlp runs alive at one moment: +1 at each start, -1 at each end.
    let text = std::fs::read_to_string(&log).unwrap();
    let mut events: Vec<(u128, i32)> = text
        .lines()
        .map(|l| {
            let (what, at) = l.split_once(' ').unwrap();
            (at.parse().unwrap(), if what == "start" { 1 } else { -1 })
        })
        .collect();
    assert_eq!(
        events.len(),
        12,
        "six runs, each started and ended:\n{text}"
    );
    events.sort_by_key(|&(at, delta)| (at, delta));
    let (mut alive, mut most) = (0, 0);
    for (_, delta) in events {
        alive += delta;
        most = most.max(alive);
    }
    assert_eq!(
        most, 2,
        "video.processes = 2 caps yt-dlp runs at two (and both are used):\n{text}"
    );
}

#[test]
fn yt_dlp_gets_a_copy_of_the_cookies_but_never_the_per_host_headers() {
    let s = Server::start();
    let media = clip(9, 32 * 1024);
    s.resource("/media/c.mp4", "video/mp4", media);
    s.route("/watch/9", |_| Reply::html(&video_page("/media/c.mp4")));
    let tool = common::yt_dlp();
    let ws0 = Workspace::new();
    let args_log = ws0.path().join("args.log");
    let wrapper = ws0.write(
        "yt-dlp-args",
        &format!(
            "#!/bin/sh\ncase \"$1\" in --version) exec {tool} --version;; esac\nfor a in \"$@\"; do echo \"$a\" >> {log}; done\nfor a in \"$@\"; do case \"$prev\" in --cookies) cat \"$a\" >> {log}.cookies;; esac; prev=\"$a\"; done\nexec {tool} \"$@\"\n",
            log = args_log.display()
        ),
    );
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let ws = Workspace::with_config(&format!(
        "[fetch]\nallow_private = true\nper_host_interval = \"0s\"\nretries = 0\ncookies = \"cookies.txt\"\n[[fetch.headers]]\nhost = \"127.0.0.1\"\nheaders = {{ X-Token = \"t0k\" }}\n[video]\nyt_dlp = \"{}\"\nper_host_interval = \"0s\"\n",
        wrapper.display()
    ));
    let cookies = ws.write(
        "cookies.txt",
        "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tabc\n",
    );
    let article = ws.write(
        "a.html",
        &format!(r#"<iframe src="{}"></iframe>"#, s.url("/watch/9")),
    );
    ws.ok(&["run", article.to_str().unwrap()]);
    let args = std::fs::read_to_string(&args_log).unwrap();
    let lines: Vec<&str> = args.lines().collect();
    let after = |flag: &str| {
        lines
            .iter()
            .position(|l| *l == flag)
            .map(|i| lines[i + 1])
            .unwrap_or_else(|| panic!("{flag} not passed: {args}"))
    };
    // Headers are per host; yt-dlp would send them everywhere, and argv is public.
    assert!(
        !args.contains("--add-headers") && !args.contains("t0k"),
        "{args}"
    );
    assert_ne!(
        after("--cookies"),
        cookies.to_str().unwrap(),
        "a copy: yt-dlp writes its jar back into the file it reads"
    );
    let seen = std::fs::read_to_string(format!("{}.cookies", args_log.display())).unwrap();
    assert!(seen.contains("sid\tabc"), "{seen}");
    assert_eq!(
        std::fs::read_to_string(&cookies).unwrap(),
        "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tabc\n",
        "the user's file is untouched"
    );
}
