//! Trusted timestamps against real RFC 3161 authorities: OpenSSL's `ts -reply` behind an HTTP
//! server on 127.0.0.1, with a CA and a TSA certificate made for each test. Every proof is
//! checked twice: by `linkvault prove --check`, and by `openssl ts -verify` without linkvault.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::tsa::{Mode, Tsa};
use common::{sha256_hex, stderr, Reply, Server, Workspace, TEST_CONFIG};

const PHOTO: &[u8] = b"\xff\xd8 the photo as published \xff\xd9";
const CLIP: &[u8] = b"\x00\x00\x00\x18ftypmp42 the clip as published";
const SOURCE: &[u8] = b"%PDF-1.4 the cited report";

/// An article citing a photo, a clip and a document.
fn origin() -> Server {
    let o = Server::start();
    o.route("/article", |_| {
        Reply::html(
            r#"<html><body><article><p>What happened.</p>
            <img src="/img/photo.jpg"><video src="/media/clip.mp4"></video>
            <a href="/docs/report.pdf">the report</a></article></body></html>"#,
        )
    });
    o.resource("/img/photo.jpg", "image/jpeg", PHOTO);
    o.resource("/media/clip.mp4", "video/mp4", CLIP);
    o.resource("/docs/report.pdf", "application/pdf", SOURCE);
    o
}

fn workspace(tsas: &[&Tsa], extra: &str) -> Workspace {
    let list: Vec<String> = tsas.iter().map(|t| format!("\"{}\"", t.url())).collect();
    Workspace::with_config(&format!(
        "{TEST_CONFIG}\n[video]\nenabled = false\n[timestamp]\ntsa = [{}]\ntimeout = \"10s\"\n{extra}\n",
        list.join(", ")
    ))
}

fn run(ws: &Workspace, args: &[&str]) -> std::process::Output {
    ws.run(args)
}

/// `openssl ts -verify` with the authority's CA: its stdout+stderr and whether it said OK.
fn openssl_verify(args: &[&str], dir: &Path) -> (bool, String) {
    let out = Command::new("openssl")
        .args(["ts", "-verify"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.success() && text.contains("Verification: OK"),
        text,
    )
}

/// `openssl ts -verify -data STEM.statement -in STEM.1.tsr -CAfile` the authority's CA.
fn openssl_accepts(ws: &Workspace, stem: &str, tsa: &Tsa) {
    let (statement, tsr) = (format!("{stem}.statement"), format!("{stem}.1.tsr"));
    let ca = tsa.ca_pem().display().to_string();
    let (ok, text) = openssl_verify(
        &["-data", &statement, "-in", &tsr, "-CAfile", &ca],
        ws.path(),
    );
    assert!(ok, "{text}");
}

fn proof_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn write_json(path: &Path, v: &serde_json::Value) {
    std::fs::write(path, serde_json::to_string_pretty(v).unwrap()).unwrap();
}

/// Writes `prove HASH -o NAME.json` in the workspace and returns the proof's path.
fn prove(ws: &Workspace, hash: &str, name: &str) -> PathBuf {
    let out = ws.path().join(format!("{name}.json"));
    ws.ok(&["prove", hash, "-o", out.to_str().unwrap()]);
    out
}

fn check(ws: &Workspace, proof: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["prove", "--check", proof.to_str().unwrap()];
    args.extend_from_slice(extra);
    ws.run(&args)
}

fn restore(ws: &Workspace, hash: &str) -> PathBuf {
    let out = ws.path().join(format!("restored-{hash}"));
    ws.ok(&["restore", hash, "-o", out.to_str().unwrap()]);
    out
}

#[test]
fn a_run_is_timestamped_and_every_capture_proves_with_linkvault_and_openssl() {
    let tsa = Tsa::start("linkvault test TSA");
    let o = origin();
    let ws = workspace(&[&tsa], "");
    let out = run(&ws, &["run", &o.url("/article")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("timestamped 4 captures (tree 1) by linkvault test TSA at "),
        "{err}"
    );
    assert_eq!(tsa.served(), 1, "one token for the whole run");

    // Every capture: the three references and the article version.
    let article = o.url("/article");
    let history = ws.ok(&["history", &article, "--format", "json"]);
    let h: serde_json::Value = serde_json::from_str(&history).unwrap();
    let article_sha = h["versions"][0]["sha256"].as_str().unwrap().to_string();
    let captures = [
        (sha256_hex(PHOTO), "snapshot", o.url("/img/photo.jpg")),
        (sha256_hex(CLIP), "snapshot", o.url("/media/clip.mp4")),
        (sha256_hex(SOURCE), "snapshot", o.url("/docs/report.pdf")),
        (article_sha, "article-version", article.clone()),
    ];
    let mut indexes = Vec::new();
    for (i, (sha, kind, url)) in captures.iter().enumerate() {
        let proof = prove(&ws, sha, &format!("p{i}"));
        let p = proof_json(&proof);
        assert_eq!(p["format"], "linkvault-proof-v1");
        assert_eq!(p["capture"]["sha256"], sha.as_str());
        assert_eq!(p["capture"]["kind"], *kind);
        assert_eq!(p["capture"]["url"], url.as_str());
        assert_eq!(p["tree"]["size"], 4);
        indexes.push(p["tree"]["index"].as_u64().unwrap());
        assert_eq!(p["timestamps"].as_array().unwrap().len(), 1);

        let bytes = restore(&ws, sha);
        let c = check(&ws, &proof, &["--file", bytes.to_str().unwrap()]);
        let said = String::from_utf8_lossy(&c.stdout);
        assert!(c.status.success(), "{said}{}", stderr(&c));
        assert!(said.contains("PROOF HOLDS"), "{said}");
        assert!(said.contains("signed by linkvault test TSA"), "{said}");
        assert!(said.contains("matches the capture's SHA-256"), "{said}");

        // With the authority's CA pinned.
        let ca = tsa.ca_pem();
        let c = check(&ws, &proof, &["--ca", ca.to_str().unwrap()]);
        assert!(c.status.success(), "{}", stderr(&c));
        assert!(String::from_utf8_lossy(&c.stdout).contains("trusted CA"));

        // And without linkvault: OpenSSL checks the token over the imprint and the statement.
        let ca = ca.display().to_string();
        let imprint = p["tree"]["imprint"].as_str().unwrap();
        let tsr = format!("p{i}.1.tsr");
        let (ok, text) = openssl_verify(
            &["-digest", imprint, "-in", &tsr, "-CAfile", &ca],
            ws.path(),
        );
        assert!(ok, "{text}");
        let statement = format!("p{i}.statement");
        let (ok, text) = openssl_verify(
            &["-data", &statement, "-in", &tsr, "-CAfile", &ca],
            ws.path(),
        );
        assert!(ok, "{text}");
        // The statement is what the README defines: tag, size, root.
        let stmt = std::fs::read(ws.path().join(&statement)).unwrap();
        assert_eq!(&stmt[..17], b"linkvault-tree-v1");
        assert_eq!(&stmt[17..25], &4u64.to_be_bytes());
        assert_eq!(
            common::tsa::hex(&stmt[25..]),
            p["tree"]["root"].as_str().unwrap()
        );
    }
    // By URL (and time) as well as by hash.
    let by_url = ws.path().join("by-url.json");
    let photo_url = o.url("/img/photo.jpg");
    ws.ok(&["prove", "--url", &photo_url, "-o", by_url.to_str().unwrap()]);
    assert_eq!(
        proof_json(&by_url)["capture"]["sha256"],
        sha256_hex(PHOTO).as_str()
    );
    let early = ws.run(&[
        "prove",
        "--url",
        &photo_url,
        "--at",
        "2001-01-01",
        "-o",
        "early.json",
    ]);
    assert!(!early.status.success());
    assert!(
        stderr(&early).contains("at or before 2001-01-01"),
        "{}",
        stderr(&early)
    );
    indexes.sort_unstable();
    assert_eq!(indexes, [0, 1, 2, 3], "each capture its own leaf");

    // history says who timestamped it, and when.
    let text = ws.ok(&["history", &o.url("/img/photo.jpg")]);
    assert!(
        text.contains("timestamped by linkvault test TSA at "),
        "{text}"
    );
    let text = ws.ok(&["history", &article]);
    assert!(
        text.contains("timestamped by linkvault test TSA at "),
        "{text}"
    );

    // The web view says it too, on the reference's page and the article's.
    let served = ws.serve();
    let enc = |u: &str| url::form_urlencoded::byte_serialize(u.as_bytes()).collect::<String>();
    for page in [
        format!("/ref?url={}", enc(&o.url("/img/photo.jpg"))),
        format!("/article?url={}", enc(&article)),
    ] {
        let answer = common::http::get(&format!("http://127.0.0.1:{}{page}", served.port));
        let html = String::from_utf8_lossy(&answer.body).into_owned();
        assert_eq!(answer.status, 200, "{page}");
        assert!(
            html.contains("<span class=\"stamp\">timestamped by linkvault test TSA at "),
            "{page}: {html}"
        );
    }
    drop(served);

    // A second run with nothing new builds no tree and asks for nothing.
    let out = run(&ws, &["run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(tsa.served(), 1);
}

/// The leaf hash a proof's capture must have (README "Evidence"), computed independently.
fn leaf_hash(kind: u8, sha256_hex: &str, captured_at: i64, url: &str) -> String {
    use sha2::{Digest, Sha256};
    let sha: Vec<u8> = (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(&sha256_hex[i..i + 2], 16).unwrap())
        .collect();
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(b"linkvault-capture-v1");
    h.update([kind]);
    h.update(&sha);
    h.update(captured_at.to_be_bytes());
    h.update((url.len() as u32).to_be_bytes());
    h.update(url.as_bytes());
    common::tsa::hex(&h.finalize())
}

fn tsr_of(p: &serde_json::Value, n: usize) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(p["timestamps"][n]["tsr"].as_str().unwrap())
        .unwrap()
}

fn set_tsr(p: &mut serde_json::Value, n: usize, bytes: &[u8]) {
    use base64::Engine as _;
    p["timestamps"][n]["tsr"] = base64::engine::general_purpose::STANDARD
        .encode(bytes)
        .into();
}

fn fails_with(ws: &Workspace, proof: &Path, extra: &[&str], needle: &str) {
    let c = check(ws, proof, extra);
    let text = format!("{}{}", String::from_utf8_lossy(&c.stdout), stderr(&c));
    assert!(!c.status.success(), "a tampered proof passed:\n{text}");
    assert!(
        text.contains("does NOT hold") || text.contains("not a linkvault proof"),
        "{text}"
    );
    assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
    assert!(!text.contains("PROOF HOLDS"), "{text}");
}

#[test]
fn tampered_proofs_and_wrong_files_fail() {
    let tsa = Tsa::start("linkvault test TSA");
    let o = origin();
    let ws = workspace(&[&tsa], "");
    ws.ok(&["run", &o.url("/article")]);
    let photo = sha256_hex(PHOTO);
    let proof = prove(&ws, &photo, "photo");
    let good = proof_json(&proof);
    let photo_file = ws.write("photo.jpg", "");
    std::fs::write(&photo_file, PHOTO).unwrap();
    let clip_file = restore(&ws, &sha256_hex(CLIP));
    let c = check(&ws, &proof, &["--file", photo_file.to_str().unwrap()]);
    assert!(c.status.success(), "{}", stderr(&c));

    let bad = ws.path().join("bad.json");
    let tamper = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut p = good.clone();
        f(&mut p);
        write_json(&bad, &p);
    };

    // Another file: refused, whatever the proof says.
    fails_with(
        &ws,
        &proof,
        &["--file", clip_file.to_str().unwrap()],
        "not the captured",
    );

    // Another hash for the capture (leaf hash recomputed to match): the path no longer leads
    // to the timestamped root.
    tamper(&|p| {
        let sha = sha256_hex(CLIP);
        let (t, url) = (
            p["capture"]["captured_at_unix"].as_i64().unwrap(),
            p["capture"]["url"].as_str().unwrap().to_string(),
        );
        p["capture"]["leaf_hash"] = leaf_hash(1, &sha, t, &url).into();
        p["capture"]["sha256"] = sha.into();
    });
    fails_with(&ws, &bad, &[], "Merkle path does not lead");
    // The same, with the leaf hash left as it was.
    tamper(&|p| p["capture"]["sha256"] = sha256_hex(CLIP).into());
    fails_with(&ws, &bad, &[], "leaf_hash is not the hash");
    // An earlier capture time, consistently written.
    tamper(&|p| {
        let t = p["capture"]["captured_at_unix"].as_i64().unwrap() - 86_400 * 365;
        let (sha, url) = (
            p["capture"]["sha256"].as_str().unwrap().to_string(),
            p["capture"]["url"].as_str().unwrap().to_string(),
        );
        p["capture"]["captured_at_unix"] = t.into();
        p["capture"]["captured_at"] = linkvault::clock::format(t).into();
        p["capture"]["leaf_hash"] = leaf_hash(1, &sha, t, &url).into();
    });
    fails_with(&ws, &bad, &[], "Merkle path does not lead");
    // Another URL.
    tamper(&|p| {
        let (sha, t) = (
            p["capture"]["sha256"].as_str().unwrap().to_string(),
            p["capture"]["captured_at_unix"].as_i64().unwrap(),
        );
        let url = "https://elsewhere.example/photo.jpg";
        p["capture"]["url"] = url.into();
        p["capture"]["leaf_hash"] = leaf_hash(1, &sha, t, url).into();
    });
    fails_with(&ws, &bad, &[], "Merkle path does not lead");
    // One hash of the path changed.
    tamper(&|p| {
        let h = p["tree"]["path"][0].as_str().unwrap().to_string();
        let first = if h.starts_with('0') { '1' } else { '0' };
        let flipped = format!("{first}{}", &h[1..]);
        p["tree"]["path"][0] = flipped.into();
    });
    fails_with(&ws, &bad, &[], "Merkle path does not lead");
    // A path for a bigger tree (the size is timestamped with the root).
    tamper(&|p| p["tree"]["size"] = 5.into());
    fails_with(&ws, &bad, &[], "does NOT hold");

    // The token: a changed genTime (the signed digest no longer matches), a changed signature,
    // a token dropped, another token in its place.
    let tsr = tsr_of(&good, 0);
    let year = tsr
        .windows(4)
        .rposition(|w| w == b"2026" || w == b"2027")
        .expect("genTime in the token");
    let mut altered = tsr.clone();
    altered[year + 3] = if altered[year + 3] == b'0' {
        b'1'
    } else {
        b'0'
    };
    tamper(&|p| set_tsr(p, 0, &altered));
    fails_with(&ws, &bad, &[], "TSTInfo does not match the signed digest");
    let mut resigned = tsr.clone();
    let last = resigned.len() - 1;
    resigned[last] ^= 0x01;
    tamper(&|p| set_tsr(p, 0, &resigned));
    fails_with(&ws, &bad, &[], "signature does not match");
    tamper(&|p| p["timestamps"] = serde_json::json!([]));
    fails_with(&ws, &bad, &[], "holds no timestamp token");
    // A genuine token for another tree (a later run's) does not cover this one's root.
    o.resource(
        "/img/later.jpg",
        "image/jpeg",
        b"\xff\xd8 later \xff\xd9".to_vec(),
    );
    o.route("/article2", |_| {
        Reply::html(r#"<img src="/img/later.jpg">"#)
    });
    ws.ok(&["run", &o.url("/article2")]);
    let later = proof_json(&prove(
        &ws,
        &sha256_hex(b"\xff\xd8 later \xff\xd9"),
        "later",
    ));
    assert_ne!(later["tree"]["root"], good["tree"]["root"]);
    tamper(&|p| set_tsr(p, 0, &tsr_of(&later, 0)));
    fails_with(&ws, &bad, &[], "the token covers");

    // OpenSSL agrees about the altered token.
    std::fs::write(ws.path().join("altered.tsr"), &altered).unwrap();
    let ca = tsa.ca_pem().display().to_string();
    let (ok, _) = openssl_verify(
        &[
            "-data",
            "photo.statement",
            "-in",
            "altered.tsr",
            "-CAfile",
            &ca,
        ],
        ws.path(),
    );
    assert!(!ok, "openssl accepted an altered token");

    // The right CA pinned passes; another authority's CA does not.
    let other = Tsa::start("another TSA");
    let c = check(&ws, &proof, &["--ca", other.ca_pem().to_str().unwrap()]);
    assert!(
        !c.status.success(),
        "a token passed with another authority's CA"
    );
    assert!(stderr(&c).contains("chain does not hold"), "{}", stderr(&c));
    // Not a proof at all.
    let junk = ws.write("junk.json", "{\"format\": \"something else\"}");
    let c = check(&ws, &junk, &[]);
    assert!(!c.status.success());
    assert!(
        stderr(&c).contains("not a linkvault proof"),
        "{}",
        stderr(&c)
    );
}

#[test]
fn an_authority_that_is_down_leaves_the_tree_pending_and_the_next_run_completes_it() {
    let tsa = Tsa::start("linkvault test TSA");
    tsa.set_mode(Mode::Down);
    let o = origin();
    let ws = workspace(&[&tsa], "");
    let out = run(&ws, &["run", &o.url("/article")]);
    let err = stderr(&out);
    assert!(
        out.status.success(),
        "not required: the run succeeds\n{err}"
    );
    assert!(
        err.contains(&format!(
            "timestamp authority {} failed: answered HTTP 503",
            tsa.url()
        )),
        "{err}"
    );
    assert!(
        err.contains("1 tree (4 captures) not timestamped yet"),
        "{err}"
    );
    let photo = sha256_hex(PHOTO);
    let p = ws.run(&["prove", &photo, "-o", "p.json"]);
    assert!(!p.status.success());
    assert!(
        stderr(&p).contains("no timestamp authority has answered for yet"),
        "{}",
        stderr(&p)
    );
    let text = ws.ok(&["history", &o.url("/img/photo.jpg")]);
    assert!(text.contains("timestamp pending (tree 1"), "{text}");
    // doctor asks the authority as a run would, and says what it means.
    let text = ws.ok(&["doctor"]);
    assert!(
        text.contains(&format!(
            "{} gives no token (answered HTTP 503 Service Unavailable): trees wait",
            tsa.url()
        )),
        "{text}"
    );

    // Back up: the next run (nothing due, nothing new) timestamps the waiting tree.
    tsa.set_mode(Mode::Honest);
    let text = ws.ok(&["doctor"]);
    assert!(
        text.contains("token signed by linkvault test TSA at "),
        "{text}"
    );
    assert!(
        text.contains("verified (chain ends at the root CN=linkvault test TSA CA"),
        "{text}"
    );
    let out = run(&ws, &["run"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("timestamped 4 captures (tree 1) by linkvault test TSA"),
        "{err}"
    );
    let proof = prove(&ws, &photo, "photo");
    let c = check(&ws, &proof, &[]);
    assert!(c.status.success(), "{}", stderr(&c));
    openssl_accepts(&ws, "photo", &tsa);

    // With `required`, a run that gets no token fails, says why, and keeps its captures.
    let ws = workspace(&[&tsa], "required = true");
    tsa.set_mode(Mode::Down);
    let out = run(&ws, &["run", &o.url("/article")]);
    let err = stderr(&out);
    assert!(!out.status.success(), "required: the run fails\n{err}");
    assert!(err.contains("no timestamp authority answered"), "{err}");
    assert!(err.contains("the next run timestamps them"), "{err}");
    let d = ws.run(&["doctor"]);
    let text = String::from_utf8_lossy(&d.stdout);
    assert!(!d.status.success(), "{text}");
    assert!(
        text.contains("PROBLEM: ") && text.contains("with required = true, runs fail"),
        "{text}"
    );
    restore(&ws, &photo);
    tsa.set_mode(Mode::Honest);
    let out = run(&ws, &["run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    prove(&ws, &photo, "photo");
}

#[test]
fn two_authorities_are_both_recorded_and_each_token_verifies() {
    let a = Tsa::start("first TSA");
    let b = Tsa::start("second TSA");
    let o = origin();
    let ws = workspace(&[&a, &b], "hash = \"sha512\"");
    let out = run(&ws, &["run", &o.url("/article")]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("by first TSA at "), "{err}");
    assert!(err.contains(" and second TSA at "), "{err}");
    let proof = prove(&ws, &sha256_hex(CLIP), "clip");
    let p = proof_json(&proof);
    assert_eq!(p["tree"]["hash"], "sha512");
    assert_eq!(p["tree"]["imprint"].as_str().unwrap().len(), 128);
    let signers: Vec<&str> = p["timestamps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["signer"].as_str().unwrap())
        .collect();
    let mut sorted = signers.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["first TSA", "second TSA"]);
    let c = check(&ws, &proof, &[]);
    let said = String::from_utf8_lossy(&c.stdout).into_owned();
    assert!(c.status.success(), "{}", stderr(&c));
    assert!(
        said.contains("timestamp 1: valid") && said.contains("timestamp 2: valid"),
        "{said}"
    );
    // Each token with its own authority's CA, by OpenSSL, over the sha512 imprint.
    for (n, signer) in signers.iter().enumerate() {
        let tsa = if *signer == "first TSA" { &a } else { &b };
        let ca = tsa.ca_pem().display().to_string();
        let tsr = format!("clip.{}.tsr", n + 1);
        let imprint = p["tree"]["imprint"].as_str().unwrap();
        let (ok, text) = openssl_verify(
            &["-digest", imprint, "-sha512", "-in", &tsr, "-CAfile", &ca],
            ws.path(),
        );
        assert!(ok, "{text}");
        let (ok, text) = openssl_verify(
            &["-data", "clip.statement", "-in", &tsr, "-CAfile", &ca],
            ws.path(),
        );
        assert!(ok, "{text}");
    }
    // Pinning one CA fails the other's token; both CAs pass.
    let c = check(&ws, &proof, &["--ca", a.ca_pem().to_str().unwrap()]);
    assert!(!c.status.success());
    let both = ws.path().join("both.pem");
    let mut pem = std::fs::read(a.ca_pem()).unwrap();
    pem.extend(std::fs::read(b.ca_pem()).unwrap());
    std::fs::write(&both, pem).unwrap();
    let c = check(&ws, &proof, &["--ca", both.to_str().unwrap()]);
    assert!(c.status.success(), "{}", stderr(&c));
    let text = ws.ok(&["history", &o.url("/media/clip.mp4")]);
    assert!(
        text.contains("timestamped by first TSA at ")
            || text.contains("timestamped by second TSA at "),
        "{text}"
    );
    assert!(text.contains(" and timestamped by "), "{text}");
}

#[test]
fn a_token_over_another_imprint_is_rejected() {
    let liar = Tsa::start("lying TSA");
    liar.set_mode(Mode::WrongImprint);
    let o = origin();
    let ws = workspace(&[&liar], "");
    let out = run(&ws, &["run", &o.url("/article")]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(liar.served(), 1, "the authority answered");
    assert!(err.contains("the token covers sha256"), "{err}");
    assert!(err.contains("not the sha256"), "{err}");
    assert!(err.contains("not timestamped yet"), "{err}");
    let p = ws.run(&["prove", &sha256_hex(PHOTO), "-o", "p.json"]);
    assert!(!p.status.success(), "no token was kept");

    // Beside an honest authority, the honest token is kept and the other refused.
    let honest = Tsa::start("honest TSA");
    let ws = workspace(&[&liar, &honest], "");
    let out = run(&ws, &["run", &o.url("/article")]);
    let err = stderr(&out);
    assert!(err.contains("by honest TSA at "), "{err}");
    assert!(!err.contains("by lying TSA"), "{err}");
    let proof = proof_json(&prove(&ws, &sha256_hex(PHOTO), "photo"));
    assert_eq!(proof["timestamps"].as_array().unwrap().len(), 1);
    assert_eq!(proof["timestamps"][0]["signer"], "honest TSA");
}

#[test]
fn an_exported_warc_carries_each_captures_proof_in_a_metadata_record_referring_to_it() {
    let tsa = Tsa::start("linkvault test TSA");
    let o = origin();
    let ws = workspace(&[&tsa], "");
    ws.ok(&["run", &o.url("/article")]);
    let warc = ws.path().join("out.warc.gz");
    let out = ws.run(&["export", "warc", "-o", warc.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("(4 of them timestamp proofs)"),
        "{}",
        stderr(&out)
    );
    let checked = Command::new("warcio")
        .args(["check"])
        .arg(&warc)
        .output()
        .expect("warcio (installed by .ci/run)");
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stdout)
    );

    // Read back with warcio: every record's id, type and digest; each proof written to a file.
    let dir = ws.path().join("proofs");
    std::fs::create_dir_all(&dir).unwrap();
    let script = "import sys, os\nfrom warcio.archiveiterator import ArchiveIterator\n\
        n = 0\n\
        for r in ArchiveIterator(open(sys.argv[1], 'rb')):\n\
        \x20   h = r.rec_headers\n\
        \x20   refers = h.get_header('WARC-Refers-To') or ''\n\
        \x20   body = r.content_stream().read()\n\
        \x20   if r.rec_type == 'metadata' and refers:\n\
        \x20       n += 1\n\
        \x20       open(os.path.join(sys.argv[2], 'proof-%d.json' % n), 'wb').write(body)\n\
        \x20   print(r.rec_type, h.get_header('WARC-Record-ID'), refers, h.get_header('WARC-Payload-Digest') or '', 'proof-%d.json' % n if refers else '', sep='|')";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&warc)
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let records: Vec<Vec<&str>> = text.lines().map(|l| l.split('|').collect()).collect();
    let proofs: Vec<&Vec<&str>> = records
        .iter()
        .filter(|r| r[0] == "metadata" && !r[2].is_empty())
        .collect();
    assert_eq!(proofs.len(), 4, "one proof per capture:\n{text}");
    let mut proved = Vec::new();
    for p in proofs {
        let target = records
            .iter()
            .find(|r| r[1] == p[2])
            .unwrap_or_else(|| panic!("{} refers to no record:\n{text}", p[2]));
        assert!(
            ["response", "revisit", "resource"].contains(&target[0]),
            "{target:?}"
        );
        let file = dir.join(p[4]);
        let json = proof_json(&file);
        let sha = json["capture"]["sha256"].as_str().unwrap().to_string();
        assert_eq!(
            target[3],
            format!("sha256:{sha}"),
            "the proof is about the record it refers to"
        );
        // The record's proof is a whole proof: `prove --check` takes it as it is.
        let bytes = restore(&ws, &sha);
        let c = check(
            &ws,
            &file,
            &[
                "--file",
                bytes.to_str().unwrap(),
                "--ca",
                tsa.ca_pem().to_str().unwrap(),
            ],
        );
        assert!(
            c.status.success(),
            "{}{}",
            String::from_utf8_lossy(&c.stdout),
            stderr(&c)
        );
        proved.push(sha);
    }
    proved.sort();
    proved.dedup();
    assert_eq!(proved.len(), 4);
}

#[test]
fn rescued_mementos_and_screenshots_are_leaves_of_their_own_kind() {
    const RESCUED: &[u8] = b"\xff\xd8 the photo as an archive kept it \xff\xd9";
    let tsa = Tsa::start("linkvault test TSA");
    let o = Server::start();
    o.route("/article", |_| {
        Reply::html(r#"<html><body><h1>A story</h1><img src="/img/gone.jpg"></body></html>"#)
    });
    o.route("/img/gone.jpg", |_| Reply::status(404));
    let archive = Server::start();
    archive.route("/tg/*", |_| Reply::redirect(302, "/mementos/1"));
    archive.route("/mementos/1", |_| {
        Reply::new(200, "image/jpeg", RESCUED)
            .with_header("Memento-Datetime", "Sat, 15 Sep 2018 06:00:00 GMT")
    });
    let ws = workspace(
        &[&tsa],
        &format!(
            "[rescue]\ntimegates = [\"{}\"]\n[render]\nenabled = true\ntimeout = \"20s\"\n",
            archive.url("/tg/")
        ),
    );
    let out = run(&ws, &["run", &o.url("/article")]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    // The article version, its screenshot, the error page and the rescued copy.
    assert!(err.contains("timestamped 4 captures (tree 1)"), "{err}");

    let memento = prove(&ws, &sha256_hex(RESCUED), "memento");
    let p = proof_json(&memento);
    assert_eq!(p["capture"]["kind"], "rescued-memento");
    assert_eq!(
        p["capture"]["url"],
        o.url("/img/gone.jpg"),
        "the original URL"
    );
    let bytes = restore(&ws, &sha256_hex(RESCUED));
    let c = check(&ws, &memento, &["--file", bytes.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&c.stdout);
    assert!(c.status.success(), "{said}{}", stderr(&c));
    assert!(said.contains("capture: rescued memento of "), "{said}");

    let h = ws.history_json(&o.url("/article"));
    let shot = h["versions"][0]["screenshot"]["sha256"]
        .as_str()
        .expect("a screenshot")
        .to_string();
    assert_eq!(
        h["versions"][0]["screenshot"]["timestamp"]["pending"], false,
        "{h:#}"
    );
    let proof = prove(&ws, &shot, "shot");
    let p = proof_json(&proof);
    assert_eq!(p["capture"]["kind"], "screenshot");
    assert_eq!(p["capture"]["url"], o.url("/article"));
    let bytes = restore(&ws, &shot);
    let c = check(&ws, &proof, &["--file", bytes.to_str().unwrap()]);
    assert!(c.status.success(), "{}", stderr(&c));
    openssl_accepts(&ws, "shot", &tsa);
}

#[test]
fn purging_an_article_leaves_its_tree_whole_and_the_other_captures_provable() {
    let tsa = Tsa::start("linkvault test TSA");
    let o = origin();
    const OTHER: &[u8] = b"\xff\xd8 only the second article cites this \xff\xd9";
    o.resource("/img/other.jpg", "image/jpeg", OTHER);
    o.route("/second", |_| Reply::html(r#"<img src="/img/other.jpg">"#));
    let ws = workspace(&[&tsa], "");
    let out = run(&ws, &["run", &o.url("/article"), &o.url("/second")]);
    assert!(
        stderr(&out).contains("timestamped 6 captures (tree 1)"),
        "{}",
        stderr(&out)
    );
    let out = ws.run(&["remove", &o.url("/second"), "--purge"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let c = ws.run(&["restore", &sha256_hex(OTHER), "-o", "x"]);
    assert!(!c.status.success(), "purged");
    // The tree still holds six leaves and its root: the photo's proof is as before.
    let proof = prove(&ws, &sha256_hex(PHOTO), "photo");
    assert_eq!(proof_json(&proof)["tree"]["size"], 6);
    let bytes = ws.path().join("photo.jpg");
    std::fs::write(&bytes, PHOTO).unwrap();
    let c = check(&ws, &proof, &["--file", bytes.to_str().unwrap()]);
    assert!(c.status.success(), "{}", stderr(&c));
    openssl_accepts(&ws, "photo", &tsa);
    // Nothing is left over for the next run to timestamp twice.
    let out = run(&ws, &["run"]);
    assert!(!stderr(&out).contains("timestamped"), "{}", stderr(&out));
}

#[test]
fn verify_rechecks_every_tree_and_token_and_names_an_altered_record() {
    let tsa = Tsa::start("linkvault test TSA");
    let o = origin();
    let ws = workspace(&[&tsa], "");
    ws.ok(&["run", &o.url("/article")]);
    let text = ws.ok(&["verify"]);
    assert!(
        text.contains(
            "timestamps 1 tree(s) of 4 capture(s) re-hashed to their roots, 1 token(s) verified"
        ),
        "{text}"
    );
    let db = rusqlite::Connection::open(ws.archive().join("linkvault.db")).unwrap();
    // A capture back-dated in the record: its tree no longer adds up.
    db.execute(
        "UPDATE timestamp_leaves SET captured_at = captured_at - 86400 WHERE idx = 1",
        [],
    )
    .unwrap();
    let out = ws.run(&["verify"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("TIMESTAMP  tree 1: its leaves no longer give its recorded root"),
        "{text}"
    );
    assert!(text.contains("archive is NOT consistent"), "{text}");
    db.execute(
        "UPDATE timestamp_leaves SET captured_at = captured_at + 86400 WHERE idx = 1",
        [],
    )
    .unwrap();
    ws.ok(&["verify"]);
    // A token altered in the record.
    let tsr: Vec<u8> = db
        .query_row("SELECT response FROM timestamp_tokens", [], |r| r.get(0))
        .unwrap();
    let mut altered = tsr.clone();
    let last = altered.len() - 1;
    altered[last] ^= 1;
    db.execute("UPDATE timestamp_tokens SET response = ?1", [&altered])
        .unwrap();
    let out = ws.run(&["verify"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains(
            "no longer verifies: the timestamp token does not verify: the signature does not match"
        ),
        "{text}"
    );
    // And a tree waiting for an authority is counted, not a problem.
    db.execute("UPDATE timestamp_tokens SET response = ?1", [&tsr])
        .unwrap();
    tsa.set_mode(Mode::Down);
    o.resource(
        "/img/late.jpg",
        "image/jpeg",
        b"\xff\xd8 late \xff\xd9".to_vec(),
    );
    o.route("/late", |_| Reply::html(r#"<img src="/img/late.jpg">"#));
    ws.ok(&["run", &o.url("/late")]);
    let text = ws.ok(&["verify"]);
    assert!(
        text.contains("1 tree(s) (2 capture(s)) wait for an authority"),
        "{text}"
    );
}
