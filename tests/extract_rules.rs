//! Every HTML extraction rule, one small inline fixture each, asserting the exact references
//! (url, kind, found_in) in document order through the public API.

use linkvault::extract::*;
use linkvault::model::Kind;
use url::Url;

const DOC: &str = "https://news.example/2024/story.html";

fn run(html: &str, doc_url: Option<&str>, opts: ExtractOptions) -> Extraction {
    let doc = doc_url.map(|u| Url::parse(u).unwrap_or_else(|e| panic!("test doc URL {u}: {e}")));
    extract_html(html.as_bytes(), doc.as_ref(), &opts)
}

fn at_doc(html: &str) -> Extraction {
    run(html, Some(DOC), ExtractOptions::default())
}

fn triples(ex: &Extraction) -> Vec<(&str, Kind, &str)> {
    ex.refs
        .iter()
        .map(|r| (r.url.as_str(), r.kind, r.found_in.as_str()))
        .collect()
}

#[test]
fn img_sources_including_lazy_loading_attributes_are_images() {
    let ex = at_doc(
        r#"<img src="a.jpg" srcset="a-2x.jpg 2x, https://cdn.example/w_300,h_200/a.jpg 300w"
             data-src="/lazy.jpg" data-srcset="l1.jpg 1x, l2.jpg 2x" data-original="orig.png"
             data-lazy-src="ls.webp" data-lazy-srcset="lss.webp 100w" data-hi-res-src="hi.jpg">
           <img data-src="page-view">"#,
    );
    assert_eq!(
        triples(&ex),
        [
            ("https://news.example/2024/a.jpg", Kind::Image, "img@src"),
            ("https://news.example/lazy.jpg", Kind::Image, "img@data-src"),
            (
                "https://news.example/2024/orig.png",
                Kind::Image,
                "img@data-original"
            ),
            (
                "https://news.example/2024/ls.webp",
                Kind::Image,
                "img@data-lazy-src"
            ),
            (
                "https://news.example/2024/hi.jpg",
                Kind::Image,
                "img@data-hi-res-src"
            ),
            (
                "https://news.example/2024/a-2x.jpg",
                Kind::Image,
                "img@srcset"
            ),
            (
                "https://cdn.example/w_300,h_200/a.jpg",
                Kind::Image,
                "img@srcset"
            ),
            (
                "https://news.example/2024/l1.jpg",
                Kind::Image,
                "img@data-srcset"
            ),
            (
                "https://news.example/2024/l2.jpg",
                Kind::Image,
                "img@data-srcset"
            ),
            (
                "https://news.example/2024/lss.webp",
                Kind::Image,
                "img@data-lazy-srcset"
            ),
            // The element decides, not the extension-less URL.
            (
                "https://news.example/2024/page-view",
                Kind::Image,
                "img@data-src"
            ),
        ]
    );
}

#[test]
fn sources_take_their_kind_from_picture_video_or_audio() {
    let ex = at_doc(
        r#"<picture><source srcset="p.avif 1x, p2.avif 2x" type="image/avif"><source data-srcset="p.webp">
             <img src="p.jpg"></picture>
           <video src="v.mp4" poster="poster.jpg"><source src="v.webm" type="video/webm">
             <track src="subs.vtt" kind="captions"></video>
           <audio src="a.mp3"><source src="a.ogg"></audio>
           <source src="loose-stream" type="video/mp4"><source src="loose.mp3"><source src="loose-thing">"#,
    );
    assert_eq!(
        triples(&ex),
        [
            (
                "https://news.example/2024/p.avif",
                Kind::Image,
                "source@srcset"
            ),
            (
                "https://news.example/2024/p2.avif",
                Kind::Image,
                "source@srcset"
            ),
            (
                "https://news.example/2024/p.webp",
                Kind::Image,
                "source@data-srcset"
            ),
            ("https://news.example/2024/p.jpg", Kind::Image, "img@src"),
            ("https://news.example/2024/v.mp4", Kind::Video, "video@src"),
            (
                "https://news.example/2024/poster.jpg",
                Kind::Image,
                "video@poster"
            ),
            (
                "https://news.example/2024/v.webm",
                Kind::Video,
                "source@src"
            ),
            (
                "https://news.example/2024/subs.vtt",
                Kind::Other,
                "track@src"
            ),
            ("https://news.example/2024/a.mp3", Kind::Audio, "audio@src"),
            ("https://news.example/2024/a.ogg", Kind::Audio, "source@src"),
            // Outside any media element: the `type` attribute, then the URL, then Other.
            (
                "https://news.example/2024/loose-stream",
                Kind::Video,
                "source@src"
            ),
            (
                "https://news.example/2024/loose.mp3",
                Kind::Audio,
                "source@src"
            ),
            (
                "https://news.example/2024/loose-thing",
                Kind::Other,
                "source@src"
            ),
        ]
    );
}

#[test]
fn iframes_embeds_and_objects_are_embeds_even_for_video_platforms() {
    let ex = at_doc(
        r#"<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ">fallback <img src="no.jpg"></iframe>
           <iframe data-src="https://player.vimeo.com/video/123"></iframe>
           <embed src="/flash.swf"><object data="/doc.svg"></object>"#,
    );
    assert_eq!(
        triples(&ex),
        [
            (
                "https://www.youtube.com/embed/dQw4w9WgXcQ",
                Kind::Embed,
                "iframe@src"
            ),
            (
                "https://player.vimeo.com/video/123",
                Kind::Embed,
                "iframe@data-src"
            ),
            ("https://news.example/flash.swf", Kind::Embed, "embed@src"),
            ("https://news.example/doc.svg", Kind::Embed, "object@data"),
        ]
    );
}

#[test]
fn social_meta_tags_name_the_documents_media() {
    let ex = at_doc(
        r#"<head>
        <meta property="og:image" content="/og.jpg">
        <meta property="og:image:url" content="/og-url.jpg">
        <meta property="OG:IMAGE:SECURE_URL" content="https://img.example/og-secure.jpg">
        <meta property="og:video" content="/og.mp4">
        <meta property="og:video:url" content="/og-url.mp4">
        <meta property="og:video:secure_url" content="https://vid.example/og.mp4">
        <meta name="twitter:image" content="/tw.png">
        <meta name="twitter:image:src" content="/tw-src.png">
        <meta name="twitter:player" content="https://player.example/embed/1">
        <meta name="twitter:player:stream" content="https://player.example/1.m3u8">
        <meta content="/content-first.jpg" property="og:image">
        <meta property="og:description" content="/not-a-ref.jpg">
        <meta name="description" content="https://not.example/a-ref">
        <meta property="og:url" content="https://news.example/canonical-from-og">
        </head>"#,
    );
    assert_eq!(
        triples(&ex),
        [
            ("https://news.example/og.jpg", Kind::Image, "meta[og:image]"),
            (
                "https://news.example/og-url.jpg",
                Kind::Image,
                "meta[og:image:url]"
            ),
            (
                "https://img.example/og-secure.jpg",
                Kind::Image,
                "meta[og:image:secure_url]"
            ),
            ("https://news.example/og.mp4", Kind::Video, "meta[og:video]"),
            (
                "https://news.example/og-url.mp4",
                Kind::Video,
                "meta[og:video:url]"
            ),
            (
                "https://vid.example/og.mp4",
                Kind::Video,
                "meta[og:video:secure_url]"
            ),
            (
                "https://news.example/tw.png",
                Kind::Image,
                "meta[twitter:image]"
            ),
            (
                "https://news.example/tw-src.png",
                Kind::Image,
                "meta[twitter:image:src]"
            ),
            (
                "https://player.example/embed/1",
                Kind::Embed,
                "meta[twitter:player]"
            ),
            (
                "https://player.example/1.m3u8",
                Kind::Video,
                "meta[twitter:player:stream]"
            ),
            (
                "https://news.example/content-first.jpg",
                Kind::Image,
                "meta[og:image]"
            ),
        ]
    );
    assert_eq!(
        ex.canonical.as_ref().map(Url::as_str),
        Some("https://news.example/canonical-from-og")
    );
}

#[test]
fn image_src_is_reported_and_page_furniture_is_not() {
    let ex = at_doc(
        r#"<head>
        <link rel="stylesheet" href="/style.css"><link rel="icon" href="/favicon.png">
        <link rel="apple-touch-icon" href="/touch.png"><link rel="preload" href="/hero.jpg" as="image">
        <link rel="alternate" type="application/rss+xml" href="/feed.xml">
        <link rel="manifest" href="/site.webmanifest"><link rel="amphtml" href="/amp/story">
        <link rel="image_src" href="/share.jpg">
        <link rel="canonical" href="/2024/story">
        <script src="/app.js"></script><script type="module" src="https://cdn.example/m.js"></script>
        </head>"#,
    );
    assert_eq!(
        triples(&ex),
        [(
            "https://news.example/share.jpg",
            Kind::Image,
            "link[image_src]"
        )]
    );
    assert_eq!(
        ex.canonical.as_ref().map(Url::as_str),
        Some("https://news.example/2024/story")
    );
}

#[test]
fn links_are_pages_unless_their_url_says_media() {
    let ex = at_doc(
        r#"<a href="/other-story">story</a> <a href="https://img.example/full.PNG">zoom</a>
           <a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ">watch</a>
           <a href="/report.pdf">pdf</a> <a>no href</a> <a href="">empty</a>
           <map><area href="/region" shape="rect"></map>"#,
    );
    assert_eq!(
        triples(&ex),
        [
            ("https://news.example/other-story", Kind::Page, "a@href"),
            ("https://img.example/full.PNG", Kind::Image, "a@href"),
            (
                "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                Kind::Video,
                "a@href"
            ),
            ("https://news.example/report.pdf", Kind::Other, "a@href"),
            ("https://news.example/region", Kind::Page, "area@href"),
        ]
    );
}

#[test]
fn include_links_false_keeps_only_embedded_media() {
    let html = r#"<a href="/other">x</a><img src="/i.jpg"><area href="/r"><a href="/i2.jpg">y</a>"#;
    let opts = ExtractOptions {
        include_links: false,
        ..ExtractOptions::default()
    };
    let ex = run(html, Some(DOC), opts);
    assert_eq!(
        triples(&ex),
        [("https://news.example/i.jpg", Kind::Image, "img@src")]
    );
}

#[test]
fn first_base_href_resolves_refs_and_is_itself_resolved_against_the_doc_url() {
    let ex = at_doc(
        r#"<head><base target="_blank"><base href="/assets/v2/"><base href="https://ignored.example/">
           </head><img src="pic.jpg"><a href="../up">up</a><img src="/rooted.png">"#,
    );
    assert_eq!(
        ex.base.as_ref().map(Url::as_str),
        Some("https://news.example/assets/v2/")
    );
    assert_eq!(
        triples(&ex),
        [
            (
                "https://news.example/assets/v2/pic.jpg",
                Kind::Image,
                "img@src"
            ),
            ("https://news.example/assets/up", Kind::Page, "a@href"),
            ("https://news.example/rooted.png", Kind::Image, "img@src"),
        ]
    );
}

#[test]
fn doc_url_is_the_base_without_base_href() {
    let ex = at_doc(r#"<img src="x.png">"#);
    assert_eq!(ex.base.as_ref().map(Url::as_str), Some(DOC));
    assert_eq!(ex.canonical, None);
}

#[test]
fn canonical_after_the_refs_is_the_base_of_a_local_file() {
    let html = r#"<html><body><img src="img/a.jpg"><a href="/about">about</a>
        <img src="//cdn.example/b.jpg"></body>
        <link rel="canonical" href="http://blog.example/posts/hello#main">"#;
    let ex = run(html, None, ExtractOptions::default());
    assert_eq!(
        ex.canonical.as_ref().map(Url::as_str),
        Some("http://blog.example/posts/hello")
    );
    assert_eq!(ex.base, ex.canonical);
    assert_eq!(
        triples(&ex),
        [
            (
                "http://blog.example/posts/img/a.jpg",
                Kind::Image,
                "img@src"
            ),
            ("http://blog.example/about", Kind::Page, "a@href"),
            // Protocol-relative: the base's scheme.
            ("http://cdn.example/b.jpg", Kind::Image, "img@src"),
        ]
    );
    assert_eq!(ex.unresolved, 0);
}

#[test]
fn og_url_is_the_fallback_canonical_and_base() {
    let html = r#"<meta property="og:url" content="https://site.example/a/post">
        <img src="pic.jpg">"#;
    let ex = run(html, None, ExtractOptions::default());
    assert_eq!(
        ex.canonical.as_ref().map(Url::as_str),
        Some("https://site.example/a/post")
    );
    assert_eq!(
        triples(&ex),
        [("https://site.example/a/pic.jpg", Kind::Image, "img@src")]
    );

    // With both, rel=canonical wins wherever it appears.
    let both = r#"<meta property="og:url" content="https://og.example/x">
        <link rel="canonical" href="https://canon.example/y">"#;
    let ex = run(both, None, ExtractOptions::default());
    assert_eq!(
        ex.canonical.as_ref().map(Url::as_str),
        Some("https://canon.example/y")
    );
    // Even a relative rel=canonical wins, resolved like any link against the document.
    let relative = r#"<meta property="og:url" content="https://og.example/x">
        <link rel="canonical" href="/2024/story-canonical">"#;
    let ex = at_doc(relative);
    assert_eq!(
        ex.canonical.as_ref().map(Url::as_str),
        Some("https://news.example/2024/story-canonical")
    );
    assert_eq!(ex.base.as_ref().map(Url::as_str), Some(DOC));
}

#[test]
fn a_relative_base_href_in_a_local_file_resolves_against_the_canonical() {
    let html = r#"<base href="/static/"><link rel="canonical" href="https://site.example/p/q">
        <img src="i.png">"#;
    let ex = run(html, None, ExtractOptions::default());
    assert_eq!(
        ex.base.as_ref().map(Url::as_str),
        Some("https://site.example/static/")
    );
    assert_eq!(
        triples(&ex),
        [("https://site.example/static/i.png", Kind::Image, "img@src")]
    );
}

#[test]
fn relative_refs_without_any_base_are_counted_not_emitted() {
    let html = r#"<img src="a.jpg"><img src="/b.jpg"><img src="a.jpg"><img src="//cdn.example/c.jpg">
        <a href="page.html">p</a><img src="https://abs.example/d.jpg"><a href="mailto:x@y.example">m</a>"#;
    let ex = run(html, None, ExtractOptions::default());
    assert_eq!(ex.base, None);
    assert_eq!(
        ex.unresolved, 4,
        "distinct relative values: a.jpg /b.jpg //cdn… page.html"
    );
    assert_eq!(
        triples(&ex),
        [("https://abs.example/d.jpg", Kind::Image, "img@src")]
    );

    // A file: document URL is no base for http(s) references either.
    let ex = run(
        r#"<img src="a.jpg">"#,
        Some("file:///home/me/saved.html"),
        ExtractOptions::default(),
    );
    assert_eq!((ex.refs.len(), ex.unresolved, ex.base), (0, 1, None));
}

#[test]
fn non_http_schemes_and_in_page_links_are_dropped() {
    let ex = at_doc(
        r##"<a href="mailto:editor@news.example">m</a><a href="javascript:void(0)">j</a>
           <img src="data:image/png;base64,iVBORw0KGgo="><a href="tel:+15551234">t</a>
           <a href="about:blank">a</a><img src="blob:https://news.example/uuid">
           <a href="ftp://files.example/f.zip">f</a><a href="#comments">c</a><a href="#">top</a>
           <a href=" JavaScript:alert(1)">J</a><iframe src="about:blank"></iframe>
           <a href="https://kept.example/">k</a>"##,
    );
    assert_eq!(
        triples(&ex),
        [("https://kept.example/", Kind::Page, "a@href")]
    );
    assert_eq!(ex.unresolved, 0);
}

#[test]
fn fragments_are_stripped_and_each_url_reported_once() {
    let ex = at_doc(
        r##"<a href="/gallery/1.jpg#zoom">zoom</a>
           <img src="/gallery/1.jpg" srcset="/gallery/1.jpg 1x">
           <a href="/next#a">n</a><a href="/next#b">n</a><a href="https://news.example/next">n</a>
           <iframe src="https://www.youtube.com/embed/x1"></iframe>
           <a href="https://www.youtube.com/embed/x1">same embed linked</a>
           <a href="/video-page">v</a><video src="/video-page"></video>"##,
    );
    assert_eq!(
        triples(&ex),
        [
            // First sighting names the place; the img makes it an Image, not a Page.
            ("https://news.example/gallery/1.jpg", Kind::Image, "a@href"),
            ("https://news.example/next", Kind::Page, "a@href"),
            (
                "https://www.youtube.com/embed/x1",
                Kind::Embed,
                "iframe@src"
            ),
            ("https://news.example/video-page", Kind::Video, "a@href"),
        ]
    );
}

#[test]
fn attribute_whitespace_and_embedded_newlines_are_ignored_like_browsers_do() {
    let ex = at_doc(
        "<img src=\"  \n https://img.example/a\n/b.jpg \t\"><a href='\t/x\ty '>x</a>\
         <img src=\"   \"><img srcset=\" \n c.jpg \n 2x\">",
    );
    assert_eq!(
        triples(&ex),
        [
            ("https://img.example/a/b.jpg", Kind::Image, "img@src"),
            ("https://news.example/xy", Kind::Page, "a@href"),
            ("https://news.example/2024/c.jpg", Kind::Image, "img@srcset"),
        ]
    );
}

#[test]
fn entities_in_attributes_are_decoded() {
    let ex = at_doc(r#"<img src="/i.jpg?w=1&amp;h=2"><a href="/q?a=1&b=2">q</a>"#);
    assert_eq!(
        triples(&ex),
        [
            ("https://news.example/i.jpg?w=1&h=2", Kind::Image, "img@src"),
            ("https://news.example/q?a=1&b=2", Kind::Page, "a@href"),
        ]
    );
}

const MARKED: &str = r#"<html><head>
    <meta property="og:image" content="/og.jpg"><link rel="image_src" href="/share.jpg">
  </head><body>
    <nav><a href="/home">home</a><img src="/logo.png"></nav>
    <main><h1>Story</h1>
      <article><p>Text <a href="/cited">cited</a><p><img src="/figure.jpg">
        <div><img src="/inner.jpg"></div></article>
      <aside><img src="/in-main-aside.jpg"></aside>
    </main>
    <div id="sidebar"><img src="/ad.gif"><a href="/cited">again</a></div>
    <div itemprop="articleBody  other"><img src="/body.jpg"></div>
    <footer><a href="/terms">terms</a></div></footer>
  </body></html>"#;

#[test]
fn only_marked_main_content_is_kept_by_default() {
    let ex = at_doc(MARKED);
    assert_eq!(
        triples(&ex),
        [
            ("https://news.example/og.jpg", Kind::Image, "meta[og:image]"),
            (
                "https://news.example/share.jpg",
                Kind::Image,
                "link[image_src]"
            ),
            ("https://news.example/cited", Kind::Page, "a@href"),
            ("https://news.example/figure.jpg", Kind::Image, "img@src"),
            ("https://news.example/inner.jpg", Kind::Image, "img@src"),
            (
                "https://news.example/in-main-aside.jpg",
                Kind::Image,
                "img@src"
            ),
            ("https://news.example/body.jpg", Kind::Image, "img@src"),
        ]
    );
    // home, logo, ad, terms; `/cited` also appears outside but is kept from inside.
    assert_eq!(ex.outside_main, 4);
}

#[test]
fn whole_page_keeps_references_outside_main_content() {
    let opts = ExtractOptions {
        whole_page: true,
        ..ExtractOptions::default()
    };
    let ex = run(MARKED, Some(DOC), opts);
    assert_eq!(ex.outside_main, 0);
    let urls: Vec<&str> = ex.refs.iter().map(|r| r.url.path()).collect();
    assert_eq!(
        urls,
        [
            "/og.jpg",
            "/share.jpg",
            "/home",
            "/logo.png",
            "/cited",
            "/figure.jpg",
            "/inner.jpg",
            "/in-main-aside.jpg",
            "/ad.gif",
            "/body.jpg",
            "/terms",
        ]
    );
}

#[test]
fn a_page_without_markers_keeps_everything() {
    let ex = at_doc(r#"<div><nav><a href="/home">h</a></nav><img src="/a.png"></div>"#);
    assert_eq!(ex.outside_main, 0);
    assert_eq!(ex.refs.len(), 2);
}

#[test]
fn markers_end_with_their_element_despite_stray_and_implied_end_tags() {
    let ex = at_doc(
        r#"<div><article><ul><li><img src="/in1.jpg"><li><p><img src="/in2.jpg"></span></em>
           </article><img src="/out.jpg"></div>
           <svg><path d="M0"/><title>icon</title></svg><main/><img src="/in3.jpg">"#,
    );
    // `<main/>` is not self-closing in HTML, so what follows it is inside it.
    let paths: Vec<&str> = ex.refs.iter().map(|r| r.url.path()).collect();
    assert_eq!(paths, ["/in1.jpg", "/in2.jpg", "/in3.jpg"]);
    assert_eq!(ex.outside_main, 1);
}

#[test]
fn script_style_textarea_and_comment_content_is_not_markup() {
    let ex = at_doc(
        r#"<script>var s = '<img src="/from-script.jpg">'; document.write("<a href='/js'>");</script>
           <style>.x { background: url(/bg.png) } /* <img src="/from-style.jpg"> */</style>
           <textarea><img src="/from-textarea.jpg"></textarea>
           <!-- <img src="/from-comment.jpg"> -->
           <title><img src="/from-title.jpg"> Real   title</title>
           <img src="/real.jpg">"#,
    );
    assert_eq!(
        triples(&ex),
        [("https://news.example/real.jpg", Kind::Image, "img@src")]
    );
    assert_eq!(
        ex.title.as_deref(),
        Some("<img src=\"/from-title.jpg\"> Real title")
    );
}

#[test]
fn noscript_fallback_markup_is_read() {
    let ex = at_doc(
        r#"<article><img class="lazy" data-src="/big.jpg" src="/placeholder.gif">
           <noscript><img src="/big.jpg"><img src="/only-here.jpg"></noscript></article>
           <noscript><img src="/outside-noscript.jpg"></noscript>"#,
    );
    assert_eq!(
        triples(&ex),
        [
            (
                "https://news.example/placeholder.gif",
                Kind::Image,
                "img@src"
            ),
            ("https://news.example/big.jpg", Kind::Image, "img@data-src"),
            ("https://news.example/only-here.jpg", Kind::Image, "img@src"),
        ]
    );
    assert_eq!(ex.outside_main, 1);
}

#[test]
fn title_is_the_first_head_title_collapsed_and_capped() {
    let ex = at_doc("<title>\n  Big &amp; Small:\n  a   story </title><svg><title>logo</title></svg><title>second</title>");
    assert_eq!(ex.title.as_deref(), Some("Big & Small: a story"));

    let long = format!("<title>{}</title>", "é".repeat(1000));
    let ex = at_doc(&long);
    assert_eq!(ex.title.map(|t| t.chars().count()), Some(300));

    let ex = at_doc("<svg><title>logo</title></svg><p>no title");
    assert_eq!(ex.title, None);
}

#[test]
fn garbage_input_never_panics() {
    let inputs: [&[u8]; 8] = [
        b"",
        b"<",
        b"<img src=",
        b"<img src='unterminated",
        b"\xff\xfe\x00<\x00i\x00m\x00g",
        b"</article></main><article",
        b"<a href=\"http://[::1\">x</a><a href=\"http://exa mple.com/\">y</a><img src=\"https://a.example:99999/\">",
        b"<base href=\"javascript:alert(1)\"><link rel=canonical href=\"mailto:x\"><img src=\"/x.png\">",
    ];
    for input in inputs {
        let ex = extract_html(input, None, &ExtractOptions::default());
        assert!(ex.refs.is_empty(), "{:?}", String::from_utf8_lossy(input));
    }
}

#[test]
fn a_marker_that_cites_nothing_does_not_hide_the_page() {
    // An empty schema.org <article> stub and a text-only body: the pictures are elsewhere.
    let ex = at_doc(
        r#"<html><head><article itemscope></article></head><body>
           <div itemprop="articleBody">Only text here.</div>
           <figure><img src="/photo.jpg"></figure><a href="/source">source</a></body></html>"#,
    );
    assert_eq!(ex.outside_main, 0);
    let urls: Vec<&str> = ex.refs.iter().map(|r| r.url.path()).collect();
    assert_eq!(urls, ["/photo.jpg", "/source"]);
}

/// The date a page says it was published, in the order the forms are trusted.
#[test]
fn publication_date_from_meta_json_ld_microdata_and_time() {
    let ts = |s| linkvault::clock::parse(s);
    let og = at_doc(
        r#"<meta property="article:published_time" content="2018-09-15T10:00:00+02:00">
           <script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2019-01-01"}</script>"#,
    );
    assert_eq!(og.published, ts("2018-09-15T08:00:00Z"), "OpenGraph first");
    let ld = at_doc(
        r#"<script type="application/ld+json">{"@graph":[{"@type":"Organization","datePublished":"2001-01-01"},
             {"@type":"NewsArticle","dateCreated":"2018-09-14","datePublished":"2018-09-15T12:00:00Z"}]}</script>
           <time itemprop="datePublished" datetime="2020-01-01">later</time>"#,
    );
    assert_eq!(
        ld.published,
        ts("2018-09-15T12:00:00Z"),
        "the article node's datePublished, not the publisher's"
    );
    let created = at_doc(r#"<meta itemprop="dateCreated" content="2018-09-14">"#);
    assert_eq!(created.published, ts("2018-09-14"));
    let time = at_doc(
        r#"<time datetime="2017-01-01">an unrelated date</time>
           <article><time pubdate datetime="2018-09-15">15 September</time></article>"#,
    );
    assert_eq!(time.published, ts("2018-09-15"), "only a marked <time>");
    let none = at_doc(
        r#"<script>var x = {"datePublished": "2018-01-01"};</script>
           <script type="application/ld+json">{"datePublished": "not a date"</script>"#,
    );
    assert_eq!(
        none.published, None,
        "ordinary scripts and broken JSON-LD say nothing"
    );
}

// ---------------------------------------------------------------------------------------------
// Structured data, CSS and components (issue #14).

#[test]
fn json_ld_article_object_names_its_media_but_not_its_publisher_or_author() {
    let ex = at_doc(
        r#"<head><script type="application/ld+json">
        {"@context": "https://schema.org", "@type": "NewsArticle",
         "image": ["/a1.jpg", {"@type": "ImageObject", "url": "/a2.jpg", "width": 1200}],
         "thumbnailUrl": "/thumb.jpg",
         "video": {"@type": "VideoObject", "url": "https://news.example/2024/story.html",
                   "contentUrl": "/v.mp4", "embedUrl": "https://player.example/embed/42",
                   "thumbnailUrl": {"@type": "ImageObject", "url": "/vt.jpg"}},
         "audio": {"@type": "AudioObject", "contentUrl": "/pod"},
         "associatedMedia": {"@type": "MediaObject", "contentUrl": "/report.pdf"},
         "publisher": {"@type": "Organization", "logo": {"@type": "ImageObject", "url": "/logo.png"}},
         "author": {"@type": "Person", "image": "/author.jpg"}}
        </script></head><body><article><img src="/body.jpg"></article></body>"#,
    );
    assert_eq!(
        triples(&ex),
        [
            (
                "https://news.example/a1.jpg",
                Kind::Image,
                "json-ld[NewsArticle.image]"
            ),
            (
                "https://news.example/a2.jpg",
                Kind::Image,
                "json-ld[ImageObject.url]"
            ),
            (
                "https://news.example/thumb.jpg",
                Kind::Image,
                "json-ld[NewsArticle.thumbnailUrl]"
            ),
            // The video's `url` is the article itself: only a URL that says video is kept.
            (
                "https://news.example/v.mp4",
                Kind::Video,
                "json-ld[VideoObject.contentUrl]"
            ),
            (
                "https://player.example/embed/42",
                Kind::Embed,
                "json-ld[VideoObject.embedUrl]"
            ),
            (
                "https://news.example/vt.jpg",
                Kind::Image,
                "json-ld[VideoObject.thumbnailUrl]"
            ),
            (
                "https://news.example/pod",
                Kind::Audio,
                "json-ld[AudioObject.contentUrl]"
            ),
            (
                "https://news.example/report.pdf",
                Kind::Other,
                "json-ld[MediaObject.contentUrl]"
            ),
            ("https://news.example/body.jpg", Kind::Image, "img@src"),
        ]
    );
    // JSON-LD is document-level, like og:image: nothing was dropped outside the article.
    assert_eq!(ex.outside_main, 0);
}

#[test]
fn json_ld_array_of_media_nodes_and_platform_urls() {
    let ex = at_doc(
        r#"<script type="application/ld+json">[
          {"@type": "VideoObject", "name": "clip", "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
           "contentUrl": "https://cdn.example/v/master.m3u8", "embedUrl": "https://www.youtube.com/embed/dQw4w9WgXcQ",
           "thumbnailUrl": ["/t1.jpg", "/t2.jpg"]},
          {"@type": "BreadcrumbList", "image": "/crumb.jpg"},
          {"@type": ["AudioObject", "MediaObject"], "contentUrl": "/a.ogg"},
          {"@type": "ImageObject", "@id": "https://cdn.example/by-id.jpg"}
        ]</script>"#,
    );
    assert_eq!(
        triples(&ex),
        [
            (
                "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                Kind::Video,
                "json-ld[VideoObject.url]"
            ),
            (
                "https://cdn.example/v/master.m3u8",
                Kind::Video,
                "json-ld[VideoObject.contentUrl]"
            ),
            // A video platform's embed URL is what `kind_from_url` says: a video.
            (
                "https://www.youtube.com/embed/dQw4w9WgXcQ",
                Kind::Video,
                "json-ld[VideoObject.embedUrl]"
            ),
            (
                "https://news.example/t1.jpg",
                Kind::Image,
                "json-ld[VideoObject.thumbnailUrl]"
            ),
            (
                "https://news.example/t2.jpg",
                Kind::Image,
                "json-ld[VideoObject.thumbnailUrl]"
            ),
            (
                "https://news.example/a.ogg",
                Kind::Audio,
                "json-ld[AudioObject.contentUrl]"
            ),
            (
                "https://cdn.example/by-id.jpg",
                Kind::Image,
                "json-ld[ImageObject.@id]"
            ),
        ]
    );
}

#[test]
fn json_ld_graph_skips_the_publisher_logo_and_node_references() {
    let ex = at_doc(
        r##"<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
          {"@type": "NewsMediaOrganization", "@id": "https://news.example/#org", "name": "News",
           "logo": {"@id": "https://news.example/#logo"}, "image": {"@id": "https://news.example/#logo"}},
          {"@type": "ImageObject", "@id": "https://news.example/#logo",
           "url": "https://news.example/logo.png", "contentUrl": "https://news.example/logo.png"},
          {"@type": "ImageObject", "@id": "https://news.example/2024/story.html#primaryimage",
           "url": "/uploads/hero.jpg", "contentUrl": "/uploads/hero.jpg"},
          {"@type": "WebPage", "@id": "https://news.example/2024/story.html",
           "primaryImageOfPage": {"@id": "https://news.example/2024/story.html#primaryimage"},
           "image": {"@id": "https://news.example/2024/story.html"},
           "thumbnailUrl": "/uploads/hero-150.jpg"},
          {"@type": "NewsArticle", "publisher": {"@id": "https://news.example/#org"},
           "image": {"@id": "https://cdn.example/direct.jpg"},
           "author": {"@type": "Person", "image": {"@type": "ImageObject", "url": "/avatar.jpg"}}},
          {"@type": "Person", "image": {"@type": "ImageObject", "url": "/avatar2.jpg"}}
        ]}</script>"##,
    );
    assert_eq!(
        triples(&ex),
        [
            (
                "https://news.example/uploads/hero.jpg",
                Kind::Image,
                "json-ld[ImageObject.url]"
            ),
            (
                "https://news.example/uploads/hero-150.jpg",
                Kind::Image,
                "json-ld[WebPage.thumbnailUrl]"
            ),
            // An untyped `image` object holds an ImageObject, named by its `@id` alone.
            (
                "https://cdn.example/direct.jpg",
                Kind::Image,
                "json-ld[ImageObject.@id]"
            ),
        ]
    );
}

#[test]
fn microdata_media_properties_take_their_kind_from_the_item() {
    let ex = at_doc(
        r#"<article>
         <div itemprop="video" itemscope itemtype="https://schema.org/VideoObject">
           <meta itemprop="contentUrl" content="/m/v">
           <link itemprop="embedUrl" href="https://player.example/e/9">
           <meta itemprop="thumbnailUrl" content="/m/vt">
         </div>
         <div itemscope itemtype="http://schema.org/ImageObject"><link itemprop="contentUrl url" href="/m/photo"></div>
         <div itemscope itemtype="https://schema.org/AudioObject"><meta itemprop="contentUrl" content="/m/pod"></div>
         <div itemprop="publisher" itemscope itemtype="https://schema.org/Organization">
           <div itemprop="logo" itemscope itemtype="https://schema.org/ImageObject">
             <meta itemprop="contentUrl" content="/m/logo.png"></div></div>
         <div itemprop="author" itemscope><link itemprop="thumbnailUrl" href="/m/author.jpg"></div>
         <span itemscope itemtype="https://schema.org/Thing"><meta itemprop="contentUrl" content="/m/thing.mp3">
           <link itemprop="thumbnailUrl" href="/m/thing-thumb"></span>
       </article>
       <aside><meta itemprop="thumbnailUrl" content="/m/outside.jpg"></aside>"#,
    );
    assert_eq!(
        triples(&ex),
        [
            (
                "https://news.example/m/v",
                Kind::Video,
                "meta[itemprop=contentUrl]"
            ),
            (
                "https://player.example/e/9",
                Kind::Embed,
                "link[itemprop=embedUrl]"
            ),
            (
                "https://news.example/m/vt",
                Kind::Image,
                "meta[itemprop=thumbnailUrl]"
            ),
            (
                "https://news.example/m/photo",
                Kind::Image,
                "link[itemprop=contentUrl]"
            ),
            (
                "https://news.example/m/pod",
                Kind::Audio,
                "meta[itemprop=contentUrl]"
            ),
            (
                "https://news.example/m/thing.mp3",
                Kind::Audio,
                "meta[itemprop=contentUrl]"
            ),
            (
                "https://news.example/m/thing-thumb",
                Kind::Image,
                "link[itemprop=thumbnailUrl]"
            ),
        ]
    );
    // Microdata sits in the content: outside the article it is dropped like an <img>.
    assert_eq!(ex.outside_main, 1);
}

const INLINE_STYLES: &str = r#"<div class="promo" style="background-image: url('/outside.jpg')"></div>
    <article><figure style="background: #000 url(/fig.jpg) no-repeat"></figure>
      <div style="BACKGROUND-IMAGE:url(&quot;/q.webp&quot;), url(/second.png); color: red"></div>
      <span style="display:none"></span>
      <div style="background-image:url(data:image/png;base64,AAAA)"></div>
      <div style="background: url(/img/site-logo.png)"></div>
      <div style="border-image: url(/frame.png) 30; list-style-image: url(/dot.gif)"></div>
      <div style="mask-image: url(/mask.png); background: url(/clip.mp4)"></div>
    </article>"#;

#[test]
fn inline_style_pictures_inside_main_content_are_images() {
    let ex = at_doc(INLINE_STYLES);
    assert_eq!(
        triples(&ex),
        [
            (
                "https://news.example/fig.jpg",
                Kind::Image,
                "style[background]"
            ),
            (
                "https://news.example/q.webp",
                Kind::Image,
                "style[background-image]"
            ),
            (
                "https://news.example/second.png",
                Kind::Image,
                "style[background-image]"
            ),
            (
                "https://news.example/frame.png",
                Kind::Image,
                "style[border-image]"
            ),
            (
                "https://news.example/dot.gif",
                Kind::Image,
                "style[list-style-image]"
            ),
            // Image unless the URL says otherwise.
            (
                "https://news.example/clip.mp4",
                Kind::Video,
                "style[background]"
            ),
        ]
    );
    assert_eq!(ex.outside_main, 1);

    let whole = run(
        INLINE_STYLES,
        Some(DOC),
        ExtractOptions {
            whole_page: true,
            ..ExtractOptions::default()
        },
    );
    assert_eq!(
        triples(&whole)[0],
        (
            "https://news.example/outside.jpg",
            Kind::Image,
            "style[background-image]"
        )
    );
}

#[test]
fn style_block_rules_of_the_article_are_kept_and_theme_rules_are_not() {
    let ex = at_doc(
        r#"<head><style>
        @import url(/theme.css); @import "/print.jpg";
        @font-face { font-family: F; src: url(/f.woff2) format("woff2"), url(/f.svg#f) }
        body { background: url(/body-texture.jpg) }
        header, .site-header { background-image: url(/masthead.jpg) }
        .nav li { list-style-image: url(/dot.png) }
        footer .about { background: url(/footer.jpg) }
        .story .byline::before { content: url(/pen.png) }
        article blockquote { background: url(/quote-mark.png) }
        .article-hero { background-image: url("/hero.jpg") }
        @media (min-width: 800px) { .post-cover { background: url(/cover-wide.jpg) center/cover } }
        .el-7f3a { background-image: url(/builder-photo.jpg) }
        .el-9c1d { background-image: url(/not-in-article.jpg) }
        .gallery-item:hover { background-image: url(/hover.jpg) }
        </style></head>
        <body><div class="el-9c1d"></div>
        <article><div class="el-7f3a"></div><p>Text</p><img src="/inline.jpg"></article></body>"#,
    );
    assert_eq!(
        triples(&ex),
        [
            (
                "https://news.example/hero.jpg",
                Kind::Image,
                "style-block[background-image]"
            ),
            (
                "https://news.example/cover-wide.jpg",
                Kind::Image,
                "style-block[background]"
            ),
            // Named only by a class that is set inside the article.
            (
                "https://news.example/builder-photo.jpg",
                Kind::Image,
                "style-block[background-image]"
            ),
            ("https://news.example/inline.jpg", Kind::Image, "img@src"),
        ]
    );
    // `<style>` rules are document-level: keeping the whole page adds nothing from them.
    let whole = run(
        r#"<style>.el-9c1d { background: url(/not-in-article.jpg) } .hero { background: url(/h.jpg) }</style>
           <div class="el-9c1d"></div><article><img src="/a.jpg"></article>"#,
        Some(DOC),
        ExtractOptions {
            whole_page: true,
            ..ExtractOptions::default()
        },
    );
    let paths: Vec<&str> = whole.refs.iter().map(|r| r.url.path()).collect();
    assert_eq!(paths, ["/h.jpg", "/a.jpg"]);
}

#[test]
fn amp_components_are_media_elements() {
    let ex = at_doc(
        r#"<article>
        <amp-img src="/amp/a.jpg" srcset="/amp/a-2x.jpg 2x" width="1" height="1" layout="responsive">
          <noscript><img src="/amp/a.jpg"></noscript></amp-img>
        <amp-anim src="/amp/loop.gif" srcset="/amp/loop-2.gif 2x"></amp-anim>
        <amp-video src="/amp/v.mp4" poster="/amp/poster.jpg">
          <source src="/amp/v.webm" type="video/webm"><source src="/amp/v-noext"></amp-video>
        <amp-audio src="/amp/a.mp3"><source src="/amp/a2"></amp-audio>
        <amp-iframe src="https://maps.example/embed?q=1" sandbox="allow-scripts"></amp-iframe>
        </article>"#,
    );
    assert_eq!(
        triples(&ex),
        [
            ("https://news.example/amp/a.jpg", Kind::Image, "amp-img@src"),
            (
                "https://news.example/amp/a-2x.jpg",
                Kind::Image,
                "amp-img@srcset"
            ),
            (
                "https://news.example/amp/loop.gif",
                Kind::Image,
                "amp-anim@src"
            ),
            (
                "https://news.example/amp/loop-2.gif",
                Kind::Image,
                "amp-anim@srcset"
            ),
            (
                "https://news.example/amp/v.mp4",
                Kind::Video,
                "amp-video@src"
            ),
            (
                "https://news.example/amp/poster.jpg",
                Kind::Image,
                "amp-video@poster"
            ),
            ("https://news.example/amp/v.webm", Kind::Video, "source@src"),
            (
                "https://news.example/amp/v-noext",
                Kind::Video,
                "source@src"
            ),
            (
                "https://news.example/amp/a.mp3",
                Kind::Audio,
                "amp-audio@src"
            ),
            ("https://news.example/amp/a2", Kind::Audio, "source@src"),
            (
                "https://maps.example/embed?q=1",
                Kind::Embed,
                "amp-iframe@src"
            ),
        ]
    );
}

#[test]
fn players_named_by_video_id_become_watch_urls() {
    let ex = at_doc(
        r#"<article>
        <amp-youtube data-videoid="dQw4w9WgXcQ" layout="responsive" width="480" height="270"></amp-youtube>
        <amp-vimeo data-videoid="76979871"></amp-vimeo>
        <amp-dailymotion data-videoid="x7o6g1x"></amp-dailymotion>
        <lite-youtube videoid="M7lc1UVf-VE" params="controls=0"></lite-youtube>
        <lite-vimeo videoid=" 364402896 "></lite-vimeo>
        <div class="player" data-youtube-id="9bZkp7q1_c0"></div>
        <figure data-video-id="123456789" data-provider="Vimeo"></figure>
        <div data-video-provider="DAILYMOTION" data-video-id="x8abc12"></div>
        <span data-type="youtube" data-video-id="aqz-KE-bpKQ"></span>
        </article>"#,
    );
    assert_eq!(
        triples(&ex),
        [
            (
                "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                Kind::Video,
                "amp-youtube@data-videoid"
            ),
            (
                "https://vimeo.com/76979871",
                Kind::Video,
                "amp-vimeo@data-videoid"
            ),
            (
                "https://www.dailymotion.com/video/x7o6g1x",
                Kind::Video,
                "amp-dailymotion@data-videoid"
            ),
            (
                "https://www.youtube.com/watch?v=M7lc1UVf-VE",
                Kind::Video,
                "lite-youtube@videoid"
            ),
            (
                "https://vimeo.com/364402896",
                Kind::Video,
                "lite-vimeo@videoid"
            ),
            (
                "https://www.youtube.com/watch?v=9bZkp7q1_c0",
                Kind::Video,
                "div@data-youtube-id"
            ),
            (
                "https://vimeo.com/123456789",
                Kind::Video,
                "figure@data-video-id"
            ),
            (
                "https://www.dailymotion.com/video/x8abc12",
                Kind::Video,
                "div@data-video-id"
            ),
            (
                "https://www.youtube.com/watch?v=aqz-KE-bpKQ",
                Kind::Video,
                "span@data-video-id"
            ),
        ]
    );
}

#[test]
fn invalid_video_ids_and_bare_cms_ids_are_skipped() {
    let ex = at_doc(
        r#"<amp-youtube data-videoid="dQw4w9WgXc"></amp-youtube>
        <amp-youtube data-videoid="../../evil?x="></amp-youtube>
        <amp-youtube videoid="dQw4w9WgXcQ"></amp-youtube>
        <amp-vimeo data-videoid="12ab"></amp-vimeo>
        <amp-dailymotion data-videoid="x7o/../../a"></amp-dailymotion>
        <lite-youtube videoid="dQw4w9WgXcQ&list=1"></lite-youtube>
        <lite-vimeo videoid="https://vimeo.com/1"></lite-vimeo>
        <div data-youtube-id="https://youtu.be/dQw4w9WgXcQ"></div>
        <div data-video-id="123456"></div>
        <div data-video-id="123456" data-provider="brightcove"></div>
        <div data-video-id="dQw4w9WgXcQ" data-provider="youtube-nocookie"></div>
        <div data-video-id="dQw4w9W%20cQ" data-provider="youtube"></div>"#,
    );
    assert_eq!(triples(&ex), []);
}

#[test]
fn strings_inside_ordinary_scripts_and_templates_stay_out() {
    let ex = at_doc(
        r#"<script>var u = "https://x.example/y.jpg"; el.style.backgroundImage = "url(/z.jpg)";
             var ld = {"@type": "ImageObject", "url": "/ld.jpg"};</script>
           <script type="application/json">{"@type": "ImageObject", "url": "/json.jpg"}</script>
           <script type="text/template"><div style="background:url(/tpl.jpg)" data-youtube-id="dQw4w9WgXcQ"></div></script>
           <img src="/real.jpg">"#,
    );
    assert_eq!(
        triples(&ex),
        [("https://news.example/real.jpg", Kind::Image, "img@src")]
    );
}
