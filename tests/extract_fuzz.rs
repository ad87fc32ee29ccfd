//! Property tests for the extractor against hostile input: documents generated from a small
//! grammar of real tag names, lazy-loading attributes and pathological URLs (IDN hosts, broken
//! percent-encoding, `//host`, backslashes, control characters, commas inside `srcset` URLs),
//! plus the 181 real pages mutated with a fixed seed. They check that nothing panics and that
//! what comes out keeps the `Extraction` contract; exact reference sets are `extract_rules`'s job.
//!
//! Deeper, open-ended runs live in `fuzz/` (cargo-fuzz), outside CI.

mod common;

use std::collections::HashSet;

use std::path::PathBuf;

use common::corpus::{corpus_dir, gunzip};
use std::sync::OnceLock;

use linkvault::extract::{
    extract_html, extract_text, parse_feed, parse_srcset, ExtractOptions, Extraction,
};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::FileFailurePersistence;
use url::Url;

// ---------------------------------------------------------------------------------------------
// The grammar.

/// A generated piece of document. Text and attribute values are escaped when rendered, so the
/// generator knows every attribute the tokenizer can see; hostility comes from `Hostile`
/// fragments, unclosed and stray tags, odd quoting and the values themselves.
#[derive(Debug, Clone)]
enum Node {
    Element {
        name: &'static str,
        attrs: Vec<Attribute>,
        children: Vec<Node>,
        end: End,
    },
    Text(String),
    /// Raw bytes that cannot open a tag with attributes: lone `<`, `</`, unclosed comments,
    /// invalid UTF-8, NULs, broken character references, `<plaintext>`.
    Hostile(&'static [u8]),
    StrayEnd(&'static str),
    Comment(String),
    Cdata(String),
}

#[derive(Debug, Clone, Copy)]
enum End {
    Normal,
    /// No end tag at all.
    Missing,
    /// `<name …/>`, children dropped: HTML ignores the slash outside SVG and MathML.
    SelfClosing,
    Uppercase,
}

#[derive(Debug, Clone)]
struct Attribute {
    name: &'static str,
    value: Vec<u8>,
    quote: Quote,
}

#[derive(Debug, Clone, Copy)]
enum Quote {
    Double,
    Single,
    /// Unquoted when the value allows it, else double-quoted.
    Bare,
}

/// Elements the extractor reads, drawn more often than the rest.
const CITING_TAGS: &[&str] = &[
    "article", "main", "picture", "video", "audio", "source", "img", "a", "iframe", "base", "link",
    "meta", "IMG", "Article",
];

/// Elements that change how what follows is tokenized or tracked, and ordinary ones.
const OTHER_TAGS: &[&str] = &[
    "area", "embed", "object", "track", "script", "style", "noscript", "svg", "math", "template",
    "title", "textarea", "div", "p", "span", "section", "figure", "x-custom",
];

/// Attributes the extractor reads, drawn more often than the rest.
const CITING_ATTRS: &[&str] = &[
    "src", "srcset", "data-src", "href", "content", "property", "rel", "SRC", "HrEf",
];

const OTHER_ATTRS: &[&str] = &[
    "data-srcset",
    "data-original",
    "data-lazy-src",
    "data-lazy-srcset",
    "data-hi-res-src",
    "poster",
    "name",
    "type",
    "data",
    "itemprop",
    "class",
    "x",
];

/// Values that make an element mean something to the extractor (`<meta property=og:image>`,
/// `<link rel=canonical>`, `<source type=video/mp4>`, `itemprop=articleBody`).
const KEYWORDS: &[&str] = &[
    "og:image",
    "OG:IMAGE ",
    "og:image:secure_url",
    "og:video",
    "og:url",
    "twitter:image",
    "twitter:player",
    "twitter:player:stream",
    "canonical",
    "image_src",
    "canonical image_src",
    " CANONICAL\t",
    "stylesheet",
    "image/png",
    "video/mp4",
    "audio/ogg; codecs=opus",
    "application/x-shockwave-flash",
    "articleBody",
    "headline articleBody",
];

const HOSTILE: &[&[u8]] = &[
    b"<",
    b"</",
    b"<!",
    b"<?",
    b"<?xml version=\"1.0\"?>",
    b"<!--",
    b"-->",
    b"--!>",
    b"<![CDATA[",
    b"]]>",
    b">",
    b"<>",
    b"</>",
    b"<!DOCTYPE html>",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xef\xbb\xbf",
    b"\0",
    b"&",
    b"&#0;",
    b"&#x110000;",
    b"&#xD800;",
    b"&#99999999999999999999;",
    b"&amp",
    b"&notin",
    b"\r\n",
    b"\r",
    b"\"'=`",
    b"<plaintext>",
];

/// URLs that have broken parsers: IDN and invalid punycode hosts, percent-encoding edge
/// cases, scheme-relative and backslashed forms, whitespace and controls, odd ports, IP
/// literals, non-http schemes and commas where `srcset` splits.
fn url_pool() -> &'static [String] {
    static POOL: OnceLock<Vec<String>> = OnceLock::new();
    POOL.get_or_init(|| {
        [
            "https://a.example/a.png",
            "https://bücher.example/bild.jpg",
            "http://xn--bcher-kva.example/b.jpg",
            "https://ÉXAMPLE.com/Ä.png",
            "http://例え.テスト/画像.png",
            "https://😀.example/",
            "https://xn--ls8h.example/x.gif",
            "https://faß.example/",
            "https://ＥＸＡＭＰＬＥ.com/fullwidth.png",
            "https://a.example\u{3002}com/ideographic-dot.png",
            "http://xn--/x.png",
            "http://xn--a.example/",
            "https://xn--zz--.example/",
            "https://a..example/",
            "https://.example/",
            "https://a.example./x.png",
            "https://-a-.example/",
            "https://a_b.example/",
            "https://a%2eexample/",
            "https://a%00.example/",
            "https://%61.example/",
            "https://a.example/%",
            "https://a.example/%zz%",
            "https://a.example/%E2%82",
            "https://a.example/a%2Fb%00c",
            "http://a.example/%FF%FE.png",
            "https://a.example/%25%32%35",
            "//cdn.example/x.png",
            "//cdn.example:8080/x.png",
            "///triple/slash.png",
            "////x",
            "//",
            "/\\evil.example/x.png",
            "\\\\evil.example\\x.png",
            "https:\\\\a.example\\b\\c.png",
            "http:/one-slash.example/x",
            "http:no-slash.example",
            "https://a.example/ spaced path .png",
            " \t\n https://a.example/padded.png \r\n",
            "https://a.example/\u{0}nul",
            "https://a.example/\u{7f}del\u{1}",
            "https://a.exa\tmple/tab",
            "https://a.example/new\nline",
            "https://a.example/\u{200b}zero-width",
            "https://a.example/\u{202e}gnp.exe",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:image/png;base64,AAAA",
            "mailto:a@b.example",
            "file:///etc/passwd",
            "ftp://a.example/x",
            "blob:https://a.example/uuid",
            "about:blank",
            "HTTPS://A.EXAMPLE/UPPER.PNG",
            "hTtP://MiXeD.example",
            "https://user:pass@a.example/x.png",
            "https://@a.example/",
            "https://a.example:65535/x",
            "https://a.example:65536/x",
            "https://a.example:0/x",
            "https://a.example:/x",
            "https://a.example:08080/x",
            "https://a.example:-1/x",
            "http://[::1]/x.png",
            "http://[::1/x",
            "http://[fe80::1%25eth0]/x",
            "http://[::ffff:127.0.0.1]:80/",
            "http://256.256.256.256/",
            "http://0x7f.1/",
            "http://1.2.3/x",
            "http://4294967296/",
            "https://a.example/#frag",
            "https://a.example/p?q=1#",
            "#only-fragment",
            "?only=query",
            "",
            " ",
            "relative/path.png",
            "../../../../up.png",
            "./a/./b/../c.png",
            "https://a.example/a.jpg,b.jpg 2x",
            "https://res.cloudinary.com/x/w_300,h_200,c_fill/a.jpg",
            "https://a.example/x.jpg,",
            ",,,",
            "a.jpg 1x (foo, bar) , b.jpg 2x",
            "a.jpg (x, b.jpg 2x",
            "https://youtu.be/abc",
            "https://www.youtube.com/watch?v=abc&t=1",
            "https://a.example/video.MP4?x=1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    })
}

/// Very long URLs, drawn rarely: each costs a debug build real time.
fn long_url_pool() -> &'static [String] {
    static POOL: OnceLock<Vec<String>> = OnceLock::new();
    POOL.get_or_init(|| {
        vec![
            format!("https://a.example/{}.png", "a".repeat(70_000)),
            format!("https://a.example/?{}", "&a=%".repeat(5_000)),
            format!("https://{}.example/", "a".repeat(300)),
            format!("https://{}example/", "a.".repeat(200)),
            format!("https://a.example/{}", "%F0%9F%98%80".repeat(2_000)),
            format!("{}x.png", "../".repeat(3_000)),
            format!("//{}", "%".repeat(10_000)),
        ]
    })
}

fn doc_urls() -> Vec<Option<Url>> {
    let mut urls = vec![None];
    for u in [
        "http://a.example/",
        "https://bücher.example:8443/dir/page.html?q=1#frag",
        "https://xn--ls8h.example/😀/",
        "http://127.0.0.1:1/",
        "http://[::1]:65535/x/y/",
        "https://a.example:443/deep/er/",
        "file:///tmp/article.html",
        "data:text/html,hi",
        "ftp://a.example/",
    ] {
        urls.push(Some(Url::parse(u).expect("pool doc URL parses")));
    }
    urls
}

fn pathological_url() -> impl Strategy<Value = String> {
    select(url_pool())
}

/// One to four candidates glued by the separators real and broken `srcset`s use.
fn srcset_value() -> impl Strategy<Value = String> {
    let sep = select(
        &[
            ", ",
            ",",
            " 2x, ",
            " 300w,",
            " 1.5x 100w,, ",
            " (a, b) ,",
            "\t,\n",
            " ",
            ",,",
        ][..],
    );
    prop::collection::vec((pathological_url(), sep), 1..5).prop_map(|parts| {
        parts
            .into_iter()
            .map(|(url, sep)| url + sep)
            .collect::<String>()
    })
}

fn attr_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        40 => pathological_url().prop_map(String::into_bytes),
        20 => srcset_value().prop_map(String::into_bytes),
        20 => select(KEYWORDS).prop_map(|k| k.as_bytes().to_vec()),
        10 => any::<String>().prop_map(String::into_bytes),
        10 => prop::collection::vec(any::<u8>(), 0..40),
        1 => select(long_url_pool()).prop_map(String::into_bytes),
    ]
}

fn attribute() -> impl Strategy<Value = Attribute> {
    let quote = prop_oneof![Just(Quote::Double), Just(Quote::Single), Just(Quote::Bare)];
    let name = prop_oneof![3 => select(CITING_ATTRS), 1 => select(OTHER_ATTRS)];
    (name, attr_value(), quote).prop_map(|(name, value, quote)| Attribute { name, value, quote })
}

fn tag() -> impl Strategy<Value = &'static str> {
    prop_oneof![2 => select(CITING_TAGS), 1 => select(OTHER_TAGS)]
}

fn end() -> impl Strategy<Value = End> {
    prop_oneof![
        6 => Just(End::Normal),
        2 => Just(End::Missing),
        1 => Just(End::SelfClosing),
        1 => Just(End::Uppercase),
    ]
}

fn leaf() -> impl Strategy<Value = Node> {
    prop_oneof![
        4 => "[ -~\u{a0}-\u{3ff}]{0,24}".prop_map(Node::Text),
        2 => select(HOSTILE).prop_map(Node::Hostile),
        1 => tag().prop_map(Node::StrayEnd),
        1 => "[ -~]{0,16}".prop_map(Node::Comment),
        1 => "[ -~]{0,16}".prop_map(Node::Cdata),
        3 => (tag(), prop::collection::vec(attribute(), 0..5), end()).prop_map(
            |(name, attrs, end)| Node::Element {
                name,
                attrs,
                children: Vec::new(),
                end,
            }
        ),
    ]
}

fn node() -> impl Strategy<Value = Node> {
    leaf().prop_recursive(8, 96, 6, |inner| {
        (
            tag(),
            prop::collection::vec(attribute(), 0..5),
            prop::collection::vec(inner, 0..6),
            end(),
        )
            .prop_map(|(name, attrs, children, end)| Node::Element {
                name,
                attrs,
                children,
                end,
            })
    })
}

fn document() -> impl Strategy<Value = Vec<Node>> {
    prop::collection::vec(node(), 0..12)
}

fn options() -> impl Strategy<Value = ExtractOptions> {
    (any::<bool>(), any::<bool>()).prop_map(|(whole_page, include_links)| ExtractOptions {
        whole_page,
        include_links,
    })
}

// ---------------------------------------------------------------------------------------------
// Rendering, and what the generator knows about its output.

fn render(doc: &[Node]) -> Vec<u8> {
    let mut out = Vec::new();
    for node in doc {
        render_node(node, &mut out);
    }
    out
}

fn render_node(node: &Node, out: &mut Vec<u8>) {
    match node {
        Node::Element {
            name,
            attrs,
            children,
            end,
        } => {
            out.push(b'<');
            out.extend_from_slice(name.as_bytes());
            for attr in attrs {
                out.push(b' ');
                render_attribute(attr, out);
            }
            if matches!(end, End::SelfClosing) {
                // A space, so a bare last value does not swallow the slash.
                out.extend_from_slice(b" />");
                return;
            }
            out.push(b'>');
            for child in children {
                render_node(child, out);
            }
            match end {
                End::Normal => out.extend_from_slice(format!("</{name}>").as_bytes()),
                End::Uppercase => {
                    out.extend_from_slice(format!("</{}>", name.to_uppercase()).as_bytes())
                }
                End::Missing | End::SelfClosing => {}
            }
        }
        Node::Text(text) => escape_into(text.as_bytes(), b"<&", out),
        Node::Hostile(bytes) => out.extend_from_slice(bytes),
        Node::StrayEnd(name) => out.extend_from_slice(format!("</{name}>").as_bytes()),
        Node::Comment(text) => {
            out.extend_from_slice(b"<!--");
            out.extend_from_slice(text.replace('>', "").as_bytes());
            out.extend_from_slice(b"-->");
        }
        Node::Cdata(text) => {
            out.extend_from_slice(b"<![CDATA[");
            out.extend_from_slice(text.replace('>', "").as_bytes());
            out.extend_from_slice(b"]]>");
        }
    }
}

fn render_attribute(attr: &Attribute, out: &mut Vec<u8>) {
    out.extend_from_slice(attr.name.as_bytes());
    let bare_ok = !attr.value.is_empty()
        && !attr
            .value
            .iter()
            .any(|b| b.is_ascii_whitespace() || b"\"'=<>`&".contains(b));
    match attr.quote {
        Quote::Bare if bare_ok => {
            out.push(b'=');
            out.extend_from_slice(&attr.value);
        }
        Quote::Single => {
            out.extend_from_slice(b"='");
            escape_into(&attr.value, b"'&", out);
            out.push(b'\'');
        }
        Quote::Double | Quote::Bare => {
            out.extend_from_slice(b"=\"");
            escape_into(&attr.value, b"\"&", out);
            out.push(b'"');
        }
    }
}

/// Writes `bytes` with each of `special` as a numeric character reference.
fn escape_into(bytes: &[u8], special: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        if special.contains(&b) {
            out.extend_from_slice(format!("&#{b};").as_bytes());
        } else {
            out.push(b);
        }
    }
}

/// The most references the document can yield: one per attribute value, or one per
/// whitespace-separated token for a value read as a `srcset`. Escaping keeps the tokenizer's
/// view of each value's whitespace the same as the generator's.
fn reference_bound(doc: &[Node]) -> usize {
    doc.iter()
        .map(|node| match node {
            Node::Element {
                attrs, children, ..
            } => {
                let own: usize = attrs
                    .iter()
                    .map(|a| {
                        a.value
                            .split(u8::is_ascii_whitespace)
                            .filter(|t| !t.is_empty())
                            .count()
                            .max(1)
                    })
                    .sum();
                own + reference_bound(children)
            }
            _ => 0,
        })
        .sum()
}

// ---------------------------------------------------------------------------------------------
// What every extraction must satisfy.

fn is_http(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
}

fn assert_contract(got: &Extraction) -> Result<(), TestCaseError> {
    let mut seen = HashSet::new();
    for r in &got.refs {
        prop_assert!(is_http(&r.url), "not http(s): {}", r.url);
        prop_assert!(r.url.fragment().is_none(), "fragment kept: {}", r.url);
        prop_assert!(r.url.has_host(), "no host: {}", r.url);
        prop_assert!(seen.insert(r.url.as_str()), "duplicate: {}", r.url);
        prop_assert!(!r.found_in.is_empty());
    }
    if let Some(base) = &got.base {
        prop_assert!(is_http(base), "base not http(s): {base}");
    }
    if let Some(canonical) = &got.canonical {
        prop_assert!(is_http(canonical), "canonical not http(s): {canonical}");
        prop_assert!(
            canonical.fragment().is_none(),
            "canonical fragment: {canonical}"
        );
    }
    if let Some(title) = &got.title {
        prop_assert!(!title.is_empty() && title.chars().count() <= 300);
    }
    Ok(())
}

proptest! {
    // Failures are kept beside this file (`extract_fuzz.regressions`) and replayed first.
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_documents_keep_the_extraction_contract(
        doc in document(),
        doc_url in select(doc_urls()),
        opts in options(),
    ) {
        let html = render(&doc);
        let got = extract_html(&html, doc_url.as_ref(), &opts);
        assert_contract(&got)?;
        let bound = reference_bound(&doc);
        prop_assert!(got.refs.len() <= bound, "{} refs from {bound} attribute values", got.refs.len());
        prop_assert!(got.unresolved <= bound && got.outside_main <= bound);
        if !opts.include_links {
            prop_assert!(got.refs.iter().all(|r| !r.found_in.ends_with("@href")));
        }
        if opts.whole_page {
            prop_assert_eq!(got.outside_main, 0);
        } else {
            // Keeping the whole page only ever adds references.
            let whole = ExtractOptions { whole_page: true, ..opts };
            let all = extract_html(&html, doc_url.as_ref(), &whole);
            let all: HashSet<&Url> = all.refs.iter().map(|r| &r.url).collect();
            prop_assert!(got.refs.iter().all(|r| all.contains(&r.url)));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_html_extractor(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        doc_url in select(doc_urls()),
        opts in options(),
    ) {
        assert_contract(&extract_html(&bytes, doc_url.as_ref(), &opts))?;
    }

    #[test]
    fn text_extraction_yields_unique_http_urls_from_any_bytes(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..2048),
            prop::collection::vec(
                (pathological_url(), select(&[" ", "\n", "(", ")", ". ", "\"", "<", "\0", ""][..])),
                0..20,
            )
            .prop_map(|parts| parts.into_iter().flat_map(|(u, s)| (u + s).into_bytes()).collect()),
        ],
    ) {
        let got = extract_text(&bytes);
        assert_contract(&got)?;
        prop_assert!(got.refs.iter().all(|r| r.found_in == "text"));
        prop_assert!(got.refs.iter().all(|r| r.url.host_str().is_some_and(|h| !h.is_empty())));
    }

    #[test]
    fn feed_parsing_never_panics_and_lists_unique_http_pages(
        xml in prop_oneof![prop::collection::vec(any::<u8>(), 0..2048), feed_document()],
        feed_url in select(doc_urls()),
    ) {
        if let Ok(pages) = parse_feed(&xml, feed_url.as_ref()) {
            let mut seen = HashSet::new();
            for page in &pages {
                prop_assert!(is_http(page), "not http(s): {page}");
                prop_assert!(page.fragment().is_none(), "fragment kept: {page}");
                prop_assert!(seen.insert(page.as_str()), "duplicate: {page}");
            }
        }
    }

    #[test]
    fn srcset_candidates_are_non_empty_slices_of_the_value(
        value in prop_oneof![any::<String>(), srcset_value(), "[ ,()a-c\t\n\u{c}\r]{0,40}"],
    ) {
        let tokens = value.split(|c: char| c.is_ascii_whitespace()).filter(|t| !t.is_empty()).count();
        let candidates = parse_srcset(&value);
        prop_assert!(candidates.len() <= tokens);
        for c in candidates {
            let offset = (c.as_ptr() as usize).wrapping_sub(value.as_ptr() as usize);
            prop_assert!(offset <= value.len() && c.len() <= value.len() - offset, "{c:?} is not in {value:?}");
            prop_assert_eq!(&value[offset..offset + c.len()], c);
            prop_assert!(!c.is_empty());
            prop_assert!(!c.starts_with(',') && !c.ends_with(','), "{c:?}");
            prop_assert!(!c.contains(|ch: char| ch.is_ascii_whitespace()), "{c:?}");
        }
    }
}

/// RSS and Atom skeletons with pathological links, unclosed elements and stray bytes.
fn feed_document() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        pathological_url().prop_map(|u| format!("<item><link>{}</link></item>", xml_escape(&u))),
        pathological_url().prop_map(|u| format!(
            "<item><guid isPermaLink=\"true\">{}</guid></item>",
            xml_escape(&u)
        )),
        pathological_url().prop_map(|u| format!(
            "<entry><link rel=\"alternate\" href=\"{}\"/></entry>",
            xml_escape(&u)
        )),
        pathological_url().prop_map(|u| format!("<item rdf:about=\"{}\"/>", xml_escape(&u))),
        pathological_url().prop_map(|u| format!("<channel xml:base=\"{}\">", xml_escape(&u))),
        pathological_url().prop_map(|u| format!("<item><link><![CDATA[{u}]]></link></item>")),
        select(
            &[
                "<item>", "</item>", "<entry>", "<link>", "</link>", "&amp;", "&bogus;", "<!--",
                "\u{0}"
            ][..]
        )
        .prop_map(str::to_string),
    ];
    let root = select(
        &[
            ("<rss version=\"2.0\"><channel>", "</channel></rss>"),
            ("<feed xmlns=\"http://www.w3.org/2005/Atom\">", "</feed>"),
            (
                "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">",
                "</rdf:RDF>",
            ),
            ("<?xml version=\"1.0\"?><rss>", ""),
        ][..],
    );
    (root, prop::collection::vec(piece, 0..10)).prop_map(|((open, close), pieces)| {
        format!("{open}{}{close}", pieces.concat()).into_bytes()
    })
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

// ---------------------------------------------------------------------------------------------
// The real pages, mutated.

/// `html` cut at a random offset (often inside a tag, an attribute or a UTF-8 sequence).
fn truncated(html: &[u8], rng: &mut fastrand::Rng) -> Vec<u8> {
    html[..rng.usize(..=html.len())].to_vec()
}

/// `html` with a few dozen bytes flipped, some into quotes, angle brackets and invalid UTF-8.
fn flipped(html: &[u8], rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut out = html.to_vec();
    if out.is_empty() {
        return out;
    }
    for _ in 0..32 {
        let i = rng.usize(..out.len());
        out[i] = match rng.u8(..4) {
            0 => b'<',
            1 => b'"',
            2 => 0xff,
            _ => out[i] ^ (1 << rng.u8(..8)),
        };
    }
    out
}

/// `html` with one of its tags repeated up to 200 times in place, as broken templates do.
fn duplicated_tag(html: &[u8], rng: &mut fastrand::Rng) -> Vec<u8> {
    let Some(start) = (0..8)
        .map(|_| rng.usize(..html.len().max(1)))
        .find_map(|at| html[at..].iter().position(|&b| b == b'<').map(|p| at + p))
    else {
        return html.to_vec();
    };
    let end = html[start..]
        .iter()
        .position(|&b| b == b'>')
        .map_or(html.len(), |p| start + p + 1);
    let tag = &html[start..end.min(start + 1024)];
    let mut out = html[..end].to_vec();
    for _ in 0..rng.usize(2..200) {
        out.extend_from_slice(tag);
    }
    out.extend_from_slice(&html[end..]);
    out
}

#[test]
fn mutated_real_pages_never_panic_the_extractor() {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(corpus_dir().join("html"))
        .expect("the real-article corpus beside the repo")
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".html.gz"))
        .collect();
    pages.sort();
    assert_eq!(pages.len(), 181, "corpus size");
    let mut rng = fastrand::Rng::with_seed(0x6c69_6e6b_7661_756c);
    let doc_url = Url::parse("https://news.example/2020/01/article.html").unwrap();
    let whole = ExtractOptions {
        whole_page: true,
        include_links: true,
    };
    for page in &pages {
        let html = gunzip(page);
        let broken = duplicated_tag(&flipped(&html, &mut rng), &mut rng);
        let cut = truncated(&html, &mut rng);
        for (i, (mutant, url, opts)) in [
            (broken, Some(&doc_url), ExtractOptions::default()),
            (cut, None, whole),
        ]
        .iter()
        .enumerate()
        {
            let got = extract_html(mutant, *url, opts);
            let mut seen = HashSet::new();
            for r in &got.refs {
                assert!(
                    is_http(&r.url) && r.url.fragment().is_none() && seen.insert(&r.url),
                    "{} (mutant {i}): bad reference {}",
                    page.display(),
                    r.url
                );
            }
        }
    }
}
