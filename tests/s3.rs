//! The object store on a real S3-compatible service: Garage (installed by `.ci/run`), a
//! single-node cluster started per test on 127.0.0.1. Every command works on the bucket as on
//! disk; objects are checked and damaged through the S3 API itself.

mod common;

use std::process::Output;

use common::garage::{object_key, Garage};
use common::http::request;
use common::{link, sha256_hex, stderr, Reply, Server, Workspace};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n-a-picture-kept-in-a-bucket-";
const WEBM: &[u8] = b"\x1aE\xdf\xa3-a-video-kept-in-a-bucket-";
const OGG: &[u8] = b"OggS-a-sound-kept-in-a-bucket-";
const PDF: &[u8] = b"%PDF-1.4 a cited source kept in a bucket";
const EMBED: &str = "<html><body><p>An embedded player page with enough words to be a page of its own.</p></body></html>";

/// A site whose article cites every kind of reference: picture, video, audio, embed, a cited
/// document, and a source page; and a brief that cites only the picture.
fn site() -> Server {
    let s = Server::start();
    s.resource("/pic.png", "image/png", PNG);
    s.resource("/clip.webm", "video/webm", WEBM);
    s.resource("/sound.ogg", "audio/ogg", OGG);
    s.resource("/report.pdf", "application/pdf", PDF);
    s.route("/embed", |_| Reply::html(EMBED));
    s.route("/source", |_| {
        Reply::html("<html><body><p>The source of the story, with its own facts and figures.</p></body></html>")
    });
    s.route("/brief", |_| {
        Reply::html(
            "<html><body><article><p>Brief.</p><img src=\"/pic.png\"></article></body></html>",
        )
    });
    s.route("/article", |_| {
        Reply::html(
            "<html><head><title>Floods</title></head><body><article>\
             <p>Water rose through the night.</p>\
             <img src=\"/pic.png\"><video src=\"/clip.webm\"></video><audio src=\"/sound.ogg\"></audio>\
             <iframe src=\"/embed\"></iframe><a href=\"/report.pdf\">report</a><a href=\"/source\">source</a>\
             </article></body></html>",
        )
    });
    s
}

/// A workspace whose objects live in `s3://BUCKET/PREFIX` on `g`.
fn workspace_on(g: &Garage, store: &str) -> Workspace {
    let mut ws = Workspace::with_config(&format!(
        "store = \"{store}\"\n{}{}",
        common::TEST_CONFIG,
        g.s3_section()
    ));
    ws.extra_env = g.env();
    ws
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed ({:?}):\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        stderr(o)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every object key under `prefix`, with sizes.
fn objects(g: &Garage, bucket: &str, prefix: &str) -> Vec<(String, u64)> {
    g.list(bucket, &format!("{prefix}/objects"))
}

#[test]
fn a_run_keeps_every_reference_kind_in_the_bucket_and_restores_verifies_and_reports_from_it() {
    let g = Garage::start();
    let bucket = g.bucket("archive-one");
    let s = site();
    let ws = workspace_on(&g, &format!("s3://{bucket}/team"));
    ws.ok(&["run", &s.url("/article")]);

    // Every body is in the bucket under its content address, and nothing on local disk.
    let held = objects(&g, &bucket, "team");
    for body in [PNG, WEBM, OGG, PDF, EMBED.as_bytes()] {
        let key = object_key("team", &sha256_hex(body));
        assert!(
            held.iter()
                .any(|(k, n)| *k == key && *n == body.len() as u64),
            "{key} not in {held:?}"
        );
        assert_eq!(g.get(&bucket, &key), body);
    }
    let local_objects = ws.archive().join("objects");
    let local: Vec<_> = std::fs::read_dir(&local_objects)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(local.is_empty(), "objects written locally: {local:?}");
    assert!(ws.archive().join("linkvault.db").is_file());

    let report = ws.report_json();
    for path in [
        "/pic.png",
        "/clip.webm",
        "/sound.ogg",
        "/report.pdf",
        "/embed",
        "/source",
    ] {
        assert_eq!(link(&report, &s.url(path))["state"], "alive", "{path}");
    }
    let history = ws.history_json(&s.url("/clip.webm"));
    assert!(history.to_string().contains(&sha256_hex(WEBM)), "{history}");

    // Restore by full hash and by prefix, to a file and to stdout.
    let sha = sha256_hex(WEBM);
    let out = ws.path().join("clip.webm");
    ws.ok(&["restore", &sha, "-o", out.to_str().unwrap()]);
    assert_eq!(std::fs::read(&out).unwrap(), WEBM);
    let piped = ws.run(&["restore", &sha[..10], "-o", "-"]);
    assert_eq!(ok(&piped).as_bytes(), WEBM);

    let verified = ws.ok(&["verify"]);
    assert!(verified.contains("archive is consistent"), "{verified}");
}

#[test]
fn two_runs_and_two_archives_sharing_a_bucket_store_each_body_once() {
    let g = Garage::start();
    let bucket = g.bucket("shared");
    let s = site();
    let first = workspace_on(&g, &format!("s3://{bucket}/pool"));
    first.ok(&["run", &s.url("/article")]);
    let before = g.list_detailed(&bucket, "pool/objects");
    assert!(before.len() >= 6, "{before:?}");

    // The same archive again, every reference re-fetched: nothing new is uploaded.
    first.ok(&["run", "--recheck"]);
    assert_eq!(g.list_detailed(&bucket, "pool/objects"), before);

    // A second machine: its own record, the same bucket. It uploads nothing either.
    let second = workspace_on(&g, &format!("s3://{bucket}/pool"));
    second.ok(&["run", &s.url("/article")]);
    assert_eq!(g.list_detailed(&bucket, "pool/objects"), before);
    let sha = sha256_hex(PNG);
    let out = second.path().join("pic.png");
    second.ok(&["restore", &sha, "-o", out.to_str().unwrap()]);
    assert_eq!(std::fs::read(&out).unwrap(), PNG);
    assert!(second.ok(&["verify"]).contains("archive is consistent"));
}

#[test]
fn serve_answers_ranges_from_the_bucket() {
    let g = Garage::start();
    let bucket = g.bucket("served");
    let s = site();
    let ws = workspace_on(&g, &format!("s3://{bucket}"));
    ws.ok(&["run", &s.url("/article")]);
    let srv = ws.serve();
    let sha = sha256_hex(WEBM);
    let full = request(srv.port, "GET", &format!("/objects/{sha}"), &[]);
    assert_eq!((full.status, full.body.as_slice()), (200, WEBM));
    assert_eq!(full.header("Content-Type"), Some("video/webm"));
    let part = request(
        srv.port,
        "GET",
        &format!("/objects/{sha}"),
        &[("Range", "bytes=4-12")],
    );
    assert_eq!(part.status, 206);
    assert_eq!(part.body, &WEBM[4..=12]);
    assert_eq!(
        part.header("Content-Range"),
        Some(format!("bytes 4-12/{}", WEBM.len()).as_str())
    );
    let missing = "0".repeat(64);
    assert_eq!(
        request(srv.port, "GET", &format!("/objects/{missing}"), &[]).status,
        404
    );
}

#[test]
fn verify_catches_an_object_damaged_in_the_bucket_and_repair_quarantines_it() {
    let g = Garage::start();
    let bucket = g.bucket("damaged");
    let s = site();
    let ws = workspace_on(&g, &format!("s3://{bucket}/a"));
    ws.ok(&["run", &s.url("/article")]);
    let sha = sha256_hex(PNG);
    let key = object_key("a", &sha);
    g.put(
        &bucket,
        &key,
        b"\x89PNG\r\n\x1a\n-not-the-picture-that-was-fetched",
    );

    let found = ws.run(&["verify"]);
    assert_eq!(found.status.code(), Some(1), "{}", stderr(&found));
    let text = String::from_utf8_lossy(&found.stdout);
    assert!(text.contains(&format!("CORRUPTED  {sha}")), "{text}");
    assert!(text.contains("NOT consistent"), "{text}");

    // Restore refuses the damaged bytes and leaves no file behind.
    let out = ws.path().join("bad.png");
    let refused = ws.run(&["restore", &sha, "-o", out.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("corrupted"),
        "{}",
        stderr(&refused)
    );
    assert!(!out.exists());

    let repaired = ws.ok(&["verify", "--repair"]);
    assert!(
        repaired.contains(&format!("quarantined {sha}")),
        "{repaired}"
    );
    let quarantined = g.list(&bucket, "a/quarantine");
    assert_eq!(quarantined.len(), 1, "{quarantined:?}");
    assert!(quarantined[0]
        .0
        .starts_with(&format!("a/quarantine/{sha}.")));
    assert!(!objects(&g, &bucket, "a").iter().any(|(k, _)| *k == key));

    // The next run fetches the picture again, into the bucket.
    ws.ok(&["run"]);
    assert_eq!(g.get(&bucket, &key), PNG);
    assert!(ws.ok(&["verify"]).contains("archive is consistent"));
}

#[test]
fn export_from_the_bucket_passes_warcio() {
    let g = Garage::start();
    let bucket = g.bucket("exported");
    let s = site();
    let ws = workspace_on(&g, &format!("s3://{bucket}/x"));
    ws.ok(&["run", &s.url("/article")]);
    let warc = ws.path().join("out.warc.gz");
    ws.ok(&["export", "warc", "-o", warc.to_str().unwrap()]);
    let check = std::process::Command::new("warcio")
        .args(["check", "-v"])
        .arg(&warc)
        .output()
        .expect("warcio is needed: run `bash .ci/run`");
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "warcio check failed: {text}{}",
        stderr(&check)
    );
    let script = "import sys\nfrom warcio.archiveiterator import ArchiveIterator\n\
                  for r in ArchiveIterator(open(sys.argv[1],'rb')):\n    \
                  if r.rec_type == 'response':\n        \
                  print(r.rec_headers.get_header('WARC-Target-URI'), r.content_stream().read().hex())\n";
    let listed = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&warc)
        .output()
        .expect("python3");
    let listed = String::from_utf8_lossy(&listed.stdout);
    let hex: String = WEBM.iter().map(|b| format!("{b:02x}")).collect();
    assert!(
        listed.contains(&format!("{} {hex}", s.url("/clip.webm"))),
        "{listed}"
    );

    // WACZ from the bucket too, judged by `wacz validate`.
    let wacz = ws.path().join("out.wacz");
    ws.ok(&["export", "wacz", "-o", wacz.to_str().unwrap()]);
    let v = std::process::Command::new("wacz")
        .args(["validate", "-f"])
        .arg(&wacz)
        .output()
        .expect("wacz is needed: run `bash .ci/run`");
    let said = format!("{}{}", String::from_utf8_lossy(&v.stdout), stderr(&v));
    assert!(v.status.success() && said.contains("valid"), "{said}");

    // A damaged object is never exported with a digest it does not have.
    g.put(
        &bucket,
        &object_key("x", &sha256_hex(WEBM)),
        b"\x1aE\xdf\xa3-swapped",
    );
    let refused = ws.run(&[
        "export",
        "warc",
        "-o",
        ws.path().join("bad.warc.gz").to_str().unwrap(),
    ]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("corrupted"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn store_copy_moves_an_archive_to_the_bucket_and_back_verified_and_resumable() {
    let g = Garage::start();
    let bucket = g.bucket("moved");
    let s = site();
    // Start on disk, with the bucket configured but not used.
    let mut ws = Workspace::with_config(&format!("{}{}", common::TEST_CONFIG, g.s3_section()));
    ws.extra_env = g.env();
    ws.ok(&["run", &s.url("/article")]);
    let target = format!("s3://{bucket}/copied");
    let copied = ws.ok(&["store", "copy", "--to", &target]);
    assert!(copied.contains("7 objects copied"), "{copied}");
    assert!(copied.contains("nothing was switched"), "{copied}");
    assert_eq!(objects(&g, &bucket, "copied").len(), 7);
    // Resumable: a second copy finds everything there.
    let again = ws.ok(&["store", "copy", "--to", &target]);
    assert!(
        again.contains("0 objects copied") && again.contains("7 already there"),
        "{again}"
    );
    // The archive still reads from disk; pointed at the bucket, it verifies and restores.
    assert!(ws
        .ok(&["--store", &target, "verify"])
        .contains("archive is consistent"));
    let out = ws.path().join("from-bucket.ogg");
    ws.ok(&[
        "--store",
        &target,
        "restore",
        &sha256_hex(OGG),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read(&out).unwrap(), OGG);

    // And back, from the bucket to a new folder.
    let back = ws.path().join("back");
    let home = ws.ok(&[
        "--store",
        &target,
        "store",
        "copy",
        "--to",
        back.to_str().unwrap(),
    ]);
    assert!(home.contains("7 objects copied"), "{home}");
    assert!(ws
        .ok(&["--store", back.to_str().unwrap(), "verify"])
        .contains("archive is consistent"));
    assert_eq!(
        std::fs::read(
            back.join("objects")
                .join(&sha256_hex(PDF)[..2])
                .join(&sha256_hex(PDF)[2..])
        )
        .unwrap(),
        PDF
    );
}

/// Runs linkvault with `args` and waits for it with `wait4`: its exit code, standard error,
/// and its own peak RSS in MiB (not Garage's, nor any other child's).
fn run_measured(ws: &Workspace, args: &[&str]) -> (i32, String, f64) {
    let err_path = ws.path().join(format!("stderr-{}.txt", fastrand::u32(..)));
    // Reaped by wait4 below, which `Child::wait` cannot do (it returns no rusage).
    #[allow(clippy::zombie_processes)]
    let child = ws
        .command(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 writes only into the two values we own; the child is ours and not yet reaped.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let err = std::fs::read_to_string(&err_path).unwrap_or_default();
    // `ru_maxrss` is in KiB on Linux.
    (code, err, usage.ru_maxrss as f64 / 1024.0)
}

/// `python3 -m http.server` serving `dir` on 127.0.0.1: a body streamed from a file, so this
/// test process never holds it (a child's peak RSS counts the parent's at `fork`).
struct FileServer {
    child: std::process::Child,
    port: u16,
}

impl FileServer {
    fn start(dir: &std::path::Path) -> FileServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let child = std::process::Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3");
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        FileServer { child, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_256_mib_body_goes_up_in_parts_with_memory_bounded() {
    let g = Garage::start();
    let bucket = g.bucket("big");
    let site = tempfile::tempdir().unwrap();
    {
        // 256 MiB of xorshift bytes, written a MiB at a time.
        use std::io::Write;
        let mut f =
            std::io::BufWriter::new(std::fs::File::create(site.path().join("big.webm")).unwrap());
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut block = vec![0u8; 1 << 20];
        for _ in 0..256 {
            for chunk in block.chunks_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                chunk.copy_from_slice(&x.to_le_bytes());
            }
            f.write_all(&block).unwrap();
        }
        f.flush().unwrap();
    }
    std::fs::write(
        site.path().join("article.html"),
        "<html><body><article><p>Footage.</p><video src=\"big.webm\"></video></article></body></html>",
    )
    .unwrap();
    let sha = common::sha256_file(&site.path().join("big.webm"));
    let s = FileServer::start(site.path());
    let ws = workspace_on(&g, &format!("s3://{bucket}/v"));
    let (code, err, rss) = run_measured(&ws, &["run", &s.url("/article.html")]);
    assert_eq!(code, 0, "{err}");
    eprintln!("256 MiB body to Garage: linkvault peak RSS {rss:.1} MiB");
    assert!(rss <= 96.0, "peak RSS {rss:.1} MiB for a 256 MiB body");
    assert!(err.contains("1 new snapshot"), "{err}");
    let held = objects(&g, &bucket, "v");
    assert!(
        held.iter()
            .any(|(k, n)| *k == object_key("v", &sha) && *n == 256 << 20),
        "{held:?}"
    );
    // Read back through linkvault: restore re-hashes every byte.
    let out = ws.path().join("big.webm");
    let restored = ws.ok(&["restore", &sha, "-o", out.to_str().unwrap()]);
    assert!(restored.contains("verified") || out.exists(), "{restored}");
    assert_eq!(std::fs::metadata(&out).unwrap().len(), 256 << 20);
    assert_eq!(common::sha256_file(&out), sha);
    // No spool file is left behind.
    let spool: Vec<_> = std::fs::read_dir(ws.archive().join("tmp"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(spool.is_empty(), "{spool:?}");
}

#[test]
fn garage_stopped_mid_run_fails_the_run_cleanly_and_the_next_run_carries_on() {
    let mut g = Garage::start();
    let bucket = g.bucket("outage");
    let s = Server::start();
    s.resource("/first.png", "image/png", PNG);
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let go_rx = std::sync::Mutex::new(go_rx);
    s.route("/late.ogg", move |_| {
        // Answers only once the test has stopped Garage.
        let _ = go_rx.lock().unwrap().recv();
        Reply::new(200, "audio/ogg", OGG)
    });
    s.route("/article", |_| {
        Reply::html("<html><body><article><p>Sound.</p><img src=\"/first.png\"><audio src=\"/late.ogg\"></audio></article></body></html>")
    });
    let ws = workspace_on(&g, &format!("s3://{bucket}/o"));
    let child = ws
        .command(&["run", &s.url("/article")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    s.wait_for_hit("/late.ogg");
    g.stop();
    go_tx.send(()).unwrap();
    // Later requests for it are answered at once.
    drop(go_tx);
    let out = child.wait_with_output().unwrap();
    assert!(
        !out.status.success(),
        "the run should fail: {}",
        stderr(&out)
    );
    let err = stderr(&out);
    assert!(err.contains("cannot upload to s3://outage/o"), "{err}");
    assert!(err.contains("run again"), "{err}");
    assert!(!err.contains(common::garage::SECRET), "{err}");

    // Garage back: the record claims nothing the bucket lacks, and the next run completes.
    g.restart();
    let verified = ws.ok(&["verify"]);
    assert!(verified.contains("archive is consistent"), "{verified}");
    ws.ok(&["run"]);
    let report = ws.report_json();
    assert_eq!(link(&report, &s.url("/late.ogg"))["state"], "alive");
    assert_eq!(g.get(&bucket, &object_key("o", &sha256_hex(OGG))), OGG);
    assert!(ws.ok(&["verify"]).contains("archive is consistent"));
}

#[test]
fn a_video_page_is_captured_by_yt_dlp_in_local_scratch_then_kept_in_the_bucket() {
    let g = Garage::start();
    let bucket = g.bucket("footage");
    let s = Server::start();
    let media: Vec<u8> = (0..96 * 1024).map(|i| ((i * 7 + 3) % 251) as u8).collect();
    s.resource("/media/clip.mp4", "video/mp4", media.clone());
    s.route("/watch/1", |_| {
        Reply::html("<html><head><title>Footage</title></head><body><video controls><source src=\"/media/clip.mp4\" type=\"video/mp4\"></video></body></html>")
    });
    let mut ws = Workspace::with_config(&format!(
        "store = \"s3://{bucket}/f\"\n[fetch]\nallow_private = true\nper_host_interval = \"0s\"\nretries = 0\n[video]\nyt_dlp = \"{}\"\nper_host_interval = \"0s\"\n{}",
        common::yt_dlp(),
        g.s3_section()
    ));
    ws.extra_env = g.env();
    let article = ws.write(
        "a.html",
        &format!(
            "<article><iframe src=\"{}\"></iframe></article>",
            s.url("/watch/1")
        ),
    );
    ws.ok(&["run", article.to_str().unwrap()]);
    let report = ws.report_json();
    let l = link(&report, &s.url("/watch/1"));
    assert_eq!(l["video"], "captured", "{l:#}");
    assert_eq!(l["snapshot"]["sha256"], sha256_hex(&media));
    assert_eq!(g.get(&bucket, &object_key("f", &sha256_hex(&media))), media);
    // yt-dlp's scratch folder and the spool are gone; nothing was kept on local disk.
    let tmp: Vec<_> = std::fs::read_dir(ws.archive().join("tmp"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(tmp.is_empty(), "{tmp:?}");
    let local: Vec<_> = std::fs::read_dir(ws.archive().join("objects"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(local.is_empty(), "{local:?}");
    assert!(ws.ok(&["verify"]).contains("archive is consistent"));
}

#[test]
fn repair_on_a_shared_bucket_leaves_the_other_archives_objects_alone() {
    let g = Garage::start();
    let bucket = g.bucket("commons");
    let s = site();
    let big = workspace_on(&g, &format!("s3://{bucket}/all"));
    big.ok(&["run", &s.url("/article")]);
    let small = workspace_on(&g, &format!("s3://{bucket}/all"));
    small.ok(&["run", &s.url("/brief")]);
    let before = g.list_detailed(&bucket, "all/objects");

    let found = small.ok(&["verify"]);
    assert!(found.contains("archive is consistent"), "{found}");
    assert!(
        found.contains(&sha256_hex(WEBM)),
        "the other archive's video is noted: {found}"
    );
    let repaired = small.ok(&["verify", "--repair"]);
    assert!(
        repaired.contains("left as they are")
            && repaired.contains("0 unrecorded object(s) adopted"),
        "{repaired}"
    );
    // Nothing moved, and the small archive's record did not take the others' objects in.
    assert_eq!(g.list_detailed(&bucket, "all/objects"), before);
    let again = small.ok(&["verify"]);
    assert!(again.contains(&sha256_hex(WEBM)), "{again}");
    assert!(big.ok(&["verify"]).contains("archive is consistent"));
}

#[test]
fn remove_purge_deletes_from_the_bucket_only_what_nothing_else_cites() {
    let g = Garage::start();
    let bucket = g.bucket("purged");
    let s = site();
    let ws = workspace_on(&g, &format!("s3://{bucket}/p"));
    ws.ok(&["run", &s.url("/article")]);
    ws.ok(&["run", &s.url("/brief")]);
    let out = ws.run(&["remove", &s.url("/article"), "--purge"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let held = objects(&g, &bucket, "p");
    let has = |body: &[u8]| {
        held.iter()
            .any(|(k, _)| *k == object_key("p", &sha256_hex(body)))
    };
    assert!(has(PNG), "the brief still cites the picture: {held:?}");
    for gone in [WEBM, OGG, PDF] {
        assert!(!has(gone), "{held:?}");
    }
    assert!(ws.ok(&["verify"]).contains("archive is consistent"));
}
