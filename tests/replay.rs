//! pywb as the judge of replay: a collection built from linkvault's WARC export serves a
//! captured image and the article page that cites it byte for byte, and pywb's own index
//! agrees with ours on every key.

mod common;

use common::http::request;
use common::pywb::Pywb;
use common::{Reply, Server, Workspace};

const JPEG: &[u8] = b"\xff\xd8\xff\xe0-a-photo-of-the-rally-in-idlib-\xff\xd9";
const ARTICLE: &[u8] = b"<article><img src=\"/rally.jpg\"></article>";

#[test]
fn pywb_replays_a_captured_image_and_the_article_citing_it_byte_for_byte() {
    let s = Server::start();
    s.resource("/rally.jpg", "image/jpeg", JPEG);
    s.route("/article", |_| {
        Reply::html(std::str::from_utf8(ARTICLE).unwrap())
    });
    let mut ws = Workspace::new();
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2027-02-03T04:05:06Z".into())];
    ws.ok(&["run", &s.url("/article")]);
    let warc = ws.path().join("export.warc.gz");
    ws.ok(&["export", "warc", "-o", warc.to_str().unwrap()]);

    let root = ws.path().join("pywb");
    let pywb = Pywb::with_collection(&root, "coll", &[&warc]);

    // pywb's index keys for our responses are the keys of our own CDXJ.
    let theirs = std::fs::read_to_string(root.join("collections/coll/indexes/index.cdxj")).unwrap();
    let ours = std::fs::read_to_string(ws.path().join("export.cdxj")).unwrap();
    for line in ours.lines() {
        let key: String = line.splitn(3, ' ').take(2).collect::<Vec<_>>().join(" ");
        assert!(
            theirs.lines().any(|l| l.starts_with(&key)),
            "pywb has no {key}:\n{theirs}"
        );
    }

    // The raw capture (`id_`) of a URL, as pywb serves it.
    let replay = |url: &str| -> Vec<u8> {
        let a = request(
            pywb.port,
            "GET",
            &format!("/coll/20270203040506id_/{url}"),
            &[],
        );
        assert_eq!(a.status, 200, "{url}");
        a.body
    };
    let image = replay(&s.url("/rally.jpg"));
    let page = replay(&s.url("/article"));
    assert_eq!(
        image, JPEG,
        "pywb replays exactly the bytes linkvault captured"
    );
    assert_eq!(
        page, ARTICLE,
        "the article page itself is in the archive, so its page entry replays"
    );
}
