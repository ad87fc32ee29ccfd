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
    (out.status.success() && text.contains("Verification: OK"), text)
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
        let (ok, text) = openssl_verify(&["-digest", imprint, "-in", &tsr, "-CAfile", &ca], ws.path());
        assert!(ok, "{text}");
        let statement = format!("p{i}.statement");
        let (ok, text) = openssl_verify(&["-data", &statement, "-in", &tsr, "-CAfile", &ca], ws.path());
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
    indexes.sort_unstable();
    assert_eq!(indexes, [0, 1, 2, 3], "each capture its own leaf");

    // history says who timestamped it, and when.
    let text = ws.ok(&["history", &o.url("/img/photo.jpg")]);
    assert!(text.contains("timestamped by linkvault test TSA at "), "{text}");
    let text = ws.ok(&["history", &article]);
    assert!(text.contains("timestamped by linkvault test TSA at "), "{text}");

    // A second run with nothing new builds no tree and asks for nothing.
    let out = run(&ws, &["run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(tsa.served(), 1);
}
