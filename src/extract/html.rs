//! Walks an HTML document's token stream (html5gum's callback emitter, no DOM) and reports the
//! media and pages it cites. Raw attribute values are collected in one pass and resolved at the
//! end, because the `<link rel=canonical>` that may be the only base often comes after them.
//!
//! It tracks just enough structure to know whether a reference sits inside the marked main
//! content, inside which `<picture>`/`<video>`/`<audio>` (or `<amp-video>`/`<amp-audio>`), and
//! inside which microdata item: a capped stack of open elements.
//! Page furniture (stylesheets, icons, scripts, preloads) is deliberately not reported.
//!
//! Besides the attributes of HTML's media elements it reads: AMP's components (`amp-img`,
//! `amp-anim`, `amp-video`, `amp-audio`, `amp-iframe`); players that carry only a video id
//! (`components.rs`); schema.org microdata (`itemprop=contentUrl|embedUrl|thumbnailUrl` on
//! `<meta content>`/`<link href>`, kind from the enclosing `itemtype`); the pictures of inline
//! `style` attributes and of the article's `<style>` rules (`css.rs`); and the media of JSON-LD
//! blocks (`jsonld.rs`). Strings inside ordinary scripts are never read.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::convert::Infallible;

use html5gum::emitters::callback::{Callback, CallbackEmitter, CallbackEvent};
use html5gum::{Emitter, ForwardingEmitter, Span, Tokenizer};
use url::{ParseError, Url};

use super::components::Platform;
use super::css::{self, Scope};
use super::jsonld::{self, MediaBudget, MediaType};
use super::raw::{KindRule, RawRef};
use super::srcset::parse_srcset;
use super::{
    kind_from_content_type, kind_from_url, ExtractOptions, Extraction, FoundRef, MAX_BASE_LEN,
};
use crate::model::Kind;

/// Deeper nesting than this is not tracked (only counted), so closing a tag costs at most this
/// many comparisons even on pathological input.
const MAX_DEPTH: usize = 512;
const TITLE_MAX_CHARS: usize = 300;
/// Raw title bytes kept before whitespace collapsing; generous so collapsing still yields 300.
const TITLE_MAX_BYTES: usize = 16 * 1024;

/// References cited by an HTML page, resolved against its `<base>`, `doc_url` or canonical URL.
///
/// Never panics; invalid UTF-8 is read lossily; time is linear in the input.
pub fn extract_html(html: &[u8], doc_url: Option<&Url>, opts: &ExtractOptions) -> Extraction {
    let mut walker = Walker::new(*opts);
    walker.run(html);
    walker.finish(doc_url)
}

/// Whether the first KiB looks like HTML: a WHATWG sniffing signature (`<!DOCTYPE html`,
/// `<html`, `<head`, `<body`, `<div`, `<p`, `<!--`, …) after a BOM and whitespace, or an
/// `<html`/`<!doctype html` anywhere in that KiB (XHTML behind an XML declaration, comments).
pub fn looks_like_html(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let start = head
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(head)
        .trim_ascii_start();
    const SIGNATURES: [&[u8]; 26] = [
        b"<!doctype html",
        b"<html",
        b"<head",
        b"<script",
        b"<iframe",
        b"<h1",
        b"<div",
        b"<font",
        b"<table",
        b"<a",
        b"<style",
        b"<title",
        b"<b",
        b"<body",
        b"<br",
        b"<p",
        b"<!--",
        // Fragments people paste or pipe in (`extract -`): they start with content elements.
        b"<img",
        b"<picture",
        b"<video",
        b"<audio",
        b"<figure",
        b"<article",
        b"<section",
        b"<main",
        b"<span",
    ];
    let signed = SIGNATURES.iter().any(|sig| {
        start.len() > sig.len()
            && start[..sig.len()].eq_ignore_ascii_case(sig)
            // The signature must end the tag name: `<a ` or `<a>`, not `<abbr` or `<rss`.
            && (sig == b"<!--" || matches!(start[sig.len()], b' ' | b'>' | b'\t' | b'\n' | b'\r' | b'\x0C'))
    });
    signed || contains_ignore_case(head, b"<html") || contains_ignore_case(head, b"<!doctype html")
}

fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// The callback emitter with parse-error reporting off. Errors are dropped anyway, and asking
/// for them makes the tokenizer validate every byte of input (a quarter of `extract`'s time).
struct Quiet<F: Callback<Infallible, ()>>(CallbackEmitter<F, Infallible, ()>);

impl<F: Callback<Infallible, ()>> ForwardingEmitter for Quiet<F> {
    type Token = Infallible;

    fn inner(&mut self) -> &mut impl Emitter<Token = Self::Token> {
        &mut self.0
    }

    fn should_emit_errors(&mut self) -> bool {
        false
    }
}

/// Elements the walker treats specially; everything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    A,
    Area,
    Article,
    Audio,
    Base,
    Embed,
    Iframe,
    Img,
    Link,
    Main,
    Meta,
    Noscript,
    Object,
    Picture,
    /// `<script>`: only `type="application/ld+json"` bodies are read (structured data).
    Script,
    Source,
    /// `<svg>` or `<math>`: foreign content, where `/>` really closes an element.
    Foreign,
    /// `<time datetime>`: read when it marks the publication date.
    Time,
    Title,
    Track,
    Video,
    /// `<style>`: its rules are read for the article's own pictures.
    Style,
    AmpImg,
    AmpAnim,
    AmpVideo,
    AmpAudio,
    AmpIframe,
    AmpYoutube,
    AmpVimeo,
    AmpDailymotion,
    LiteYoutube,
    LiteVimeo,
    Other,
}

impl Tag {
    fn of(name: &[u8]) -> Tag {
        match name {
            b"a" => Tag::A,
            b"area" => Tag::Area,
            b"article" => Tag::Article,
            b"audio" => Tag::Audio,
            b"base" => Tag::Base,
            b"embed" => Tag::Embed,
            b"iframe" => Tag::Iframe,
            b"img" => Tag::Img,
            b"link" => Tag::Link,
            b"main" => Tag::Main,
            b"meta" => Tag::Meta,
            b"noscript" => Tag::Noscript,
            b"object" => Tag::Object,
            b"picture" => Tag::Picture,
            b"script" => Tag::Script,
            b"source" => Tag::Source,
            b"svg" | b"math" => Tag::Foreign,
            b"time" => Tag::Time,
            b"title" => Tag::Title,
            b"track" => Tag::Track,
            b"video" => Tag::Video,
            b"style" => Tag::Style,
            b"amp-img" => Tag::AmpImg,
            b"amp-anim" => Tag::AmpAnim,
            b"amp-video" => Tag::AmpVideo,
            b"amp-audio" => Tag::AmpAudio,
            b"amp-iframe" => Tag::AmpIframe,
            b"amp-youtube" => Tag::AmpYoutube,
            b"amp-vimeo" => Tag::AmpVimeo,
            b"amp-dailymotion" => Tag::AmpDailymotion,
            b"lite-youtube" => Tag::LiteYoutube,
            b"lite-vimeo" => Tag::LiteVimeo,
            _ => Tag::Other,
        }
    }
}

/// Elements that never have content, so they are never pushed on the open-element stack.
fn is_void(name: &[u8]) -> bool {
    matches!(
        name,
        b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"source"
            | b"track"
            | b"wbr"
            | b"param"
            | b"keygen"
            | b"frame"
    )
}

/// The attributes any rule reads. A few are read on every element: `itemprop` (main-content
/// marker, microdata), `itemtype`, `style`, `class` and `id` (names a `<style>` rule may
/// target), `data-youtube-id`, `data-video-id` and the provider attributes that go with it;
/// the rest only on the elements that use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attr {
    Src,
    Srcset,
    DataSrc,
    DataSrcset,
    DataOriginal,
    DataLazySrc,
    DataLazySrcset,
    DataHiResSrc,
    Poster,
    Href,
    Rel,
    Property,
    Name,
    Content,
    Type,
    Data,
    Itemprop,
    Datetime,
    /// Kept only when it may hold a `url(`.
    Style,
    DataVideoid,
    Videoid,
    DataYoutubeId,
    DataVideoId,
    // Not kept as text but read as they come (`StartTag::read`).
    Class,
    Id,
    Itemtype,
    /// `data-provider`, `data-video-provider`, `data-platform`, `data-video-platform`,
    /// `data-type`, `data-video-type`: which platform a `data-video-id` belongs to.
    Provider,
}
const ATTR_COUNT: usize = 27;

impl Attr {
    fn of(tag: Tag, name: &[u8]) -> Option<Attr> {
        // Read on every element: byte comparisons only, most names fail on length.
        let global = match name {
            b"itemprop" => Some(Attr::Itemprop),
            b"class" => Some(Attr::Class),
            b"id" => Some(Attr::Id),
            b"style" => Some(Attr::Style),
            b"itemtype" => Some(Attr::Itemtype),
            [b'd', b'a', b't', b'a', b'-', rest @ ..] => match rest {
                b"youtube-id" => Some(Attr::DataYoutubeId),
                b"video-id" => Some(Attr::DataVideoId),
                b"provider" | b"video-provider" | b"platform" | b"video-platform" | b"type"
                | b"video-type" => Some(Attr::Provider),
                _ => None,
            },
            _ => None,
        };
        if global.is_some() || tag == Tag::Other {
            return global;
        }
        Some(match name {
            b"src" => Attr::Src,
            b"srcset" => Attr::Srcset,
            b"data-src" => Attr::DataSrc,
            b"data-srcset" => Attr::DataSrcset,
            b"data-original" => Attr::DataOriginal,
            b"data-lazy-src" => Attr::DataLazySrc,
            b"data-lazy-srcset" => Attr::DataLazySrcset,
            b"data-hi-res-src" => Attr::DataHiResSrc,
            b"poster" => Attr::Poster,
            b"href" => Attr::Href,
            b"rel" => Attr::Rel,
            b"property" => Attr::Property,
            b"name" => Attr::Name,
            b"content" => Attr::Content,
            b"type" => Attr::Type,
            b"data" => Attr::Data,
            b"datetime" => Attr::Datetime,
            b"data-videoid" => Attr::DataVideoid,
            b"videoid" => Attr::Videoid,
            _ => return None,
        })
    }
}

/// The start tag being read: its name and the first value of each attribute we care about
/// (a repeated attribute is ignored, as browsers do).
#[derive(Default)]
struct StartTag {
    /// False outside a start tag: html5gum may report attributes on end tags, which mean nothing.
    open: bool,
    tag: Option<Tag>,
    name_id: u64,
    void: bool,
    /// The boolean `pubdate` attribute (HTML5 drafts' mark of a publication `<time>`).
    pubdate: bool,
    /// The boolean `itemscope` attribute: the element starts a microdata item.
    itemscope: bool,
    /// What the first `itemtype` names.
    itemtype: Option<Item>,
    /// The platform the first provider attribute that names one names.
    provider: Option<Platform>,
    /// Whether `class` and `id` were read (the first of each counts), and where the walker's
    /// record of main-content names stood before them (they are dropped again outside it).
    has_class: bool,
    has_id: bool,
    names_mark: (usize, usize),
    /// The tag name, for labels such as `div@data-youtube-id`.
    name: Vec<u8>,
    pending: Option<Attr>,
    attrs: [Option<String>; ATTR_COUNT],
    /// Which `attrs` were filled, so starting the next tag clears only those.
    filled: u32,
}

impl StartTag {
    fn get(&self, attr: Attr) -> Option<&str> {
        self.attrs[attr as usize].as_deref()
    }

    /// Records an attribute's value: names, item types and providers as they come, the rest
    /// as text (the first of a repeated attribute wins, as in browsers).
    fn read(&mut self, attr: Attr, value: &[u8]) {
        match attr {
            // Read by the walker, which keeps them (`Walker::main_classes`).
            Attr::Class | Attr::Id => {}
            Attr::Itemtype if self.itemtype.is_none() => self.itemtype = Some(Item::of(value)),
            Attr::Provider if self.provider.is_none() => {
                self.provider = Platform::from_provider(value);
            }
            Attr::Itemtype | Attr::Provider => {}
            // Most `style` attributes only hide or size things: not worth a copy.
            Attr::Style if !css::may_hold_url(value) => {}
            _ => {
                let slot = &mut self.attrs[attr as usize];
                if slot.is_none() {
                    *slot = Some(String::from_utf8_lossy(value).into_owned());
                    self.filled |= 1 << (attr as u32);
                }
            }
        }
    }

    /// The tag name for a label, or `element` when it is too long to be a real one.
    fn label_name(&self) -> Cow<'static, str> {
        if self.name.len() <= 32 {
            Cow::Owned(String::from_utf8_lossy(&self.name).into_owned())
        } else {
            Cow::Borrowed("element")
        }
    }

    fn tag(&self) -> Tag {
        self.tag.unwrap_or(Tag::Other)
    }
}

/// One open element: enough to match its end tag and to know the context of its content.
#[derive(Debug, Clone, Copy)]
struct Frame {
    name_id: u64,
    ctx: Context,
}

/// What an element's content inherits from its ancestors.
#[derive(Debug, Clone, Copy, Default)]
struct Context {
    in_main: bool,
    in_foreign: bool,
    /// Kind of the nearest enclosing `<picture>`/`<video>`/`<audio>`, for its `<source>`s.
    media: Option<Kind>,
    /// The innermost microdata item (`itemscope itemtype=…`).
    item: Item,
}

/// What a microdata item is, as far as its media properties go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Item {
    /// No item, or one that is neither media nor furniture (an `Article`).
    #[default]
    Plain,
    Media(MediaType),
    /// A publisher, author or other furniture item, and everything inside it: its
    /// `contentUrl` is a logo or a portrait.
    Furniture,
}

impl Item {
    /// What an `itemtype` value names (its first type; `https://schema.org/VideoObject`).
    fn of(itemtype: &[u8]) -> Item {
        let first = itemtype
            .split(|b| b.is_ascii_whitespace())
            .find(|t| !t.is_empty())
            .unwrap_or(b"");
        let first = String::from_utf8_lossy(first);
        let short = jsonld::short_type(&first);
        if jsonld::is_furniture_type(short) {
            Item::Furniture
        } else {
            MediaType::of(short).map_or(Item::Plain, Item::Media)
        }
    }
}

/// `itemprop`s by which an item is furniture whatever its type.
const FURNITURE_PROPS: [&str; 9] = [
    "publisher",
    "author",
    "creator",
    "logo",
    "brand",
    "sourceOrganization",
    "copyrightHolder",
    "contributor",
    "editor",
];

/// Where character data is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextSink {
    Ignore,
    Title,
    /// Scripting-enabled parsing (which html5gum's naive state switch follows) reads
    /// `<noscript>` as raw text, but lazy-loading pages put their only plain `<img src>` there:
    /// its content is re-tokenized as markup once it ends.
    Noscript,
    /// The body of a `<script type="application/ld+json">`.
    JsonLd,
    /// The body of a `<style>`.
    Style,
}

/// JSON-LD kept per page at most (a few KiB on real pages; more is not structured data).
const JSON_LD_MAX_BYTES: usize = 1 << 20;
/// `<style>` text read per page at most (real pages inline up to a few hundred KiB); past it
/// the rest of the page's CSS is not read.
const STYLE_MAX_BYTES: usize = 1 << 20;

struct Walker {
    opts: ExtractOptions,
    start: StartTag,
    stack: Vec<Frame>,
    /// How many frames of `stack` carry each name, so an end tag that closes nothing costs one
    /// lookup, not a scan of up to `MAX_DEPTH` frames (a page of stray `</x>` under 512 open
    /// elements would otherwise cost 512 comparisons per tag).
    open_names: HashMap<u64, usize>,
    /// Open elements beyond `MAX_DEPTH`, matched by count only.
    overflow: usize,
    raw: Vec<RawRef>,
    has_marker: bool,
    base_href: Option<String>,
    canonical_href: Option<String>,
    og_url: Option<String>,
    sink: TextSink,
    title: Vec<u8>,
    title_done: bool,
    noscript: Vec<u8>,
    reparsing: bool,
    /// Publication dates as the page states them, by how much each form is trusted.
    published: Published,
    /// The `application/ld+json` blocks, each parsed once it ends.
    json_ld: Vec<u8>,
    json_ld_total: usize,
    json_ld_values: Vec<serde_json::Value>,
    json_ld_budget: MediaBudget,
    /// How much `<style>` text was read.
    style_read: usize,
    /// The names each `<style>` rule known only by its classes and ids needs inside the main
    /// content (`RawRef::needs_main_names`), decided once the whole page is read.
    style_names: Vec<Vec<Vec<u64>>>,
    /// The `class` and `id` values of elements inside the marked main content, each followed
    /// by a space: hashed (`css::name_hash`) only if a `<style>` rule asks about them.
    main_classes: Vec<u8>,
    main_ids: Vec<u8>,
}

/// The main content's classes and ids as the CSS reader asks about them, hashed and sorted
/// the first time it does.
struct MainContentNames<'a> {
    classes: &'a [u8],
    ids: &'a [u8],
    hashed: OnceCell<Vec<u64>>,
}

impl MainContentNames<'_> {
    /// Whether every one of `names` is set on an element inside the main content.
    fn all_in_main(&self, names: &[u64]) -> bool {
        let hashed = self.hashed.get_or_init(|| {
            let mut hashed = Vec::new();
            for (prefix, text) in [(b'.', self.classes), (b'#', self.ids)] {
                let words = text.split(|b| b.is_ascii_whitespace());
                let words = words.filter(|w| !w.is_empty());
                hashed.extend(words.map(|w| css::name_hash(prefix, w)));
            }
            hashed.sort_unstable();
            hashed.dedup();
            hashed
        });
        names.iter().all(|n| hashed.binary_search(n).is_ok())
    }
}

/// Candidate publication dates, in the order they are believed: the OpenGraph article
/// property, then schema.org's `datePublished` (JSON-LD, microdata), then `dateCreated`,
/// then a `<time>` marked as the publication.
#[derive(Default)]
struct Published {
    article_meta: Option<String>,
    date_published: Option<String>,
    date_created: Option<String>,
    time_element: Option<String>,
}

impl Walker {
    fn new(opts: ExtractOptions) -> Walker {
        Walker {
            opts,
            start: StartTag::default(),
            stack: Vec::new(),
            open_names: HashMap::new(),
            overflow: 0,
            raw: Vec::new(),
            has_marker: false,
            base_href: None,
            canonical_href: None,
            og_url: None,
            sink: TextSink::Ignore,
            title: Vec::new(),
            title_done: false,
            noscript: Vec::new(),
            reparsing: false,
            published: Published::default(),
            json_ld: Vec::new(),
            json_ld_total: 0,
            json_ld_values: Vec::new(),
            json_ld_budget: MediaBudget::default(),
            style_read: 0,
            style_names: Vec::new(),
            main_classes: Vec::new(),
            main_ids: Vec::new(),
        }
    }

    fn run(&mut self, input: &[u8]) {
        let mut emitter = CallbackEmitter::new(
            |event: CallbackEvent<'_>, _: Span<()>| -> Option<Infallible> {
                self.on_event(event);
                None
            },
        );
        // Without this, `<script>`/`<style>` bodies would be tokenized as markup and a string
        // like "<img src=x>" inside JavaScript would become a reference.
        emitter.naively_switch_states(true);
        // In-memory input cannot fail to read: the error type is `Infallible`.
        let emitter = Quiet(emitter);
        if let Err(never) = Tokenizer::new_with_emitter(input, emitter).finish() {
            match never {}
        }
        // A `<noscript>` left open at end of input still holds markup worth reading.
        self.flush_noscript();
    }

    fn on_event(&mut self, event: CallbackEvent<'_>) {
        match event {
            CallbackEvent::OpenStartTag { name } => {
                self.start.open = true;
                self.start.tag = Some(Tag::of(name));
                self.start.name_id = name_id(name);
                self.start.void = is_void(name);
                self.start.pubdate = false;
                self.start.itemscope = false;
                self.start.itemtype = None;
                self.start.provider = None;
                self.start.has_class = false;
                self.start.has_id = false;
                self.start.names_mark = (self.main_classes.len(), self.main_ids.len());
                self.start.name.clear();
                self.start.name.extend_from_slice(name);
                self.start.pending = None;
                while self.start.filled != 0 {
                    let slot = self.start.filled.trailing_zeros() as usize;
                    self.start.attrs[slot] = None;
                    self.start.filled &= self.start.filled - 1;
                }
            }
            CallbackEvent::AttributeName { name } if self.start.open => {
                self.start.pubdate |= name == b"pubdate";
                self.start.itemscope |= name == b"itemscope";
                self.start.pending = Attr::of(self.start.tag(), name);
            }
            CallbackEvent::AttributeValue { value } if self.start.open => {
                match self.start.pending.take() {
                    // Kept as they come (a copy, no hashing): most elements are not inside
                    // the main content and are dropped again once their tag is read.
                    Some(Attr::Class) if !self.start.has_class => {
                        self.start.has_class = true;
                        self.main_classes.extend_from_slice(value);
                        self.main_classes.push(b' ');
                    }
                    Some(Attr::Id) if !self.start.has_id => {
                        self.start.has_id = true;
                        self.main_ids.extend_from_slice(value);
                        self.main_ids.push(b' ');
                    }
                    Some(attr) => self.start.read(attr, value),
                    None => {}
                }
            }
            CallbackEvent::CloseStartTag { self_closing } if self.start.open => {
                self.start.open = false;
                self.on_start_tag(self_closing);
            }
            CallbackEvent::EndTag { name } => {
                self.start.open = false;
                self.on_end_tag(name);
            }
            CallbackEvent::String { value } => match self.sink {
                TextSink::Title if self.title.len() < TITLE_MAX_BYTES => {
                    let room = TITLE_MAX_BYTES - self.title.len();
                    self.title
                        .extend_from_slice(&value[..value.len().min(room)]);
                }
                TextSink::Noscript => self.noscript.extend_from_slice(value),
                TextSink::JsonLd if self.json_ld_total + value.len() <= JSON_LD_MAX_BYTES => {
                    self.json_ld_total += value.len();
                    self.json_ld.extend_from_slice(value);
                }
                // html5gum hands a `<style>`'s text over whole, at its end tag: it is read
                // in place, no copy kept.
                TextSink::Style => self.read_style(value),
                _ => {}
            },
            _ => {}
        }
    }

    fn context(&self) -> Context {
        self.stack.last().map(|f| f.ctx).unwrap_or_default()
    }

    fn on_start_tag(&mut self, self_closing: bool) {
        let tag = self.start.tag();
        let outer = self.context();
        // `<path/>` in SVG really is empty, but HTML ignores the slash: `<div/>` opens a div.
        let foreign = outer.in_foreign || tag == Tag::Foreign;
        let empty = self.start.void || (self_closing && foreign);
        let pushes = !empty;
        let marker = pushes
            && (matches!(tag, Tag::Article | Tag::Main)
                || self.start.get(Attr::Itemprop).is_some_and(|v| {
                    v.split_ascii_whitespace()
                        .any(|t| t.eq_ignore_ascii_case("articleBody"))
                }));
        self.has_marker |= marker;
        let in_main = outer.in_main || marker;
        if !in_main {
            let (classes, ids) = self.start.names_mark;
            self.main_classes.truncate(classes);
            self.main_ids.truncate(ids);
        }
        let item = self.item(outer.item);
        self.collect(tag, in_main, outer.media, item);
        self.collect_anywhere(in_main);

        self.sink = TextSink::Ignore;
        match tag {
            Tag::Title if !self.title_done && !outer.in_foreign => {
                self.title.clear();
                self.sink = TextSink::Title;
            }
            Tag::Noscript if !self.reparsing => {
                self.noscript.clear();
                self.sink = TextSink::Noscript;
            }
            Tag::Script if self.start.get(Attr::Type).is_some_and(is_json_ld_type) => {
                self.json_ld.clear();
                self.sink = TextSink::JsonLd;
            }
            Tag::Style => self.sink = TextSink::Style,
            _ => {}
        }

        if pushes {
            let ctx = Context {
                in_main,
                in_foreign: foreign,
                media: match tag {
                    Tag::Picture => Some(Kind::Image),
                    Tag::Video | Tag::AmpVideo => Some(Kind::Video),
                    Tag::Audio | Tag::AmpAudio => Some(Kind::Audio),
                    _ => outer.media,
                },
                item,
            };
            if self.stack.len() < MAX_DEPTH {
                self.stack.push(Frame {
                    name_id: self.start.name_id,
                    ctx,
                });
                *self.open_names.entry(self.start.name_id).or_default() += 1;
            } else {
                self.overflow += 1;
            }
        }
    }

    fn on_end_tag(&mut self, name: &[u8]) {
        match self.sink {
            TextSink::Title => {
                self.title_done = !collapse_title(&self.title).is_empty();
            }
            TextSink::Noscript => self.flush_noscript(),
            TextSink::JsonLd => {
                let text = std::mem::take(&mut self.json_ld);
                // Invalid JSON-LD is common enough (trailing commas, HTML comments) and says
                // nothing reliable: it is skipped.
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&text) {
                    jsonld::media_refs(&v, &mut self.json_ld_budget, &mut self.raw);
                    self.json_ld_values.push(v);
                }
            }
            TextSink::Style => {}
            TextSink::Ignore => {}
        }
        self.sink = TextSink::Ignore;

        if self.overflow > 0 {
            self.overflow -= 1;
            return;
        }
        let id = name_id(name);
        // Implied end tags (`<p>`, `<li>` left open) are closed by popping up to the match;
        // a stray end tag with no open match changes nothing.
        if self.open_names.get(&id).is_some_and(|&n| n > 0) {
            if let Some(pos) = self.stack.iter().rposition(|f| f.name_id == id) {
                self.pop_to(pos);
            }
        }
    }

    /// Closes every open element above the first `len`.
    fn pop_to(&mut self, len: usize) {
        for frame in self.stack.drain(len.min(self.stack.len())..) {
            if let Some(n) = self.open_names.get_mut(&frame.name_id) {
                *n -= 1;
            }
        }
    }

    fn flush_noscript(&mut self) {
        if self.sink != TextSink::Noscript && self.noscript.is_empty() {
            return;
        }
        self.sink = TextSink::Ignore;
        let markup = std::mem::take(&mut self.noscript);
        if markup.is_empty() || self.reparsing {
            return;
        }
        // One level only: a `<noscript>` inside this one is not re-read, keeping work linear.
        self.reparsing = true;
        let depth = self.stack.len();
        self.run(&markup);
        // Elements the fragment left open end with the `<noscript>` that held them.
        self.pop_to(depth);
        self.reparsing = false;
    }

    /// The microdata item this element's content belongs to.
    fn item(&self, outer: Item) -> Item {
        if outer == Item::Furniture {
            return Item::Furniture;
        }
        if !self.start.itemscope && self.start.itemtype.is_none() {
            return outer;
        }
        let itemprop = self.start.get(Attr::Itemprop).unwrap_or("");
        if FURNITURE_PROPS.iter().any(|p| has_token(itemprop, p)) {
            return Item::Furniture;
        }
        self.start.itemtype.unwrap_or(Item::Plain)
    }

    fn collect(&mut self, tag: Tag, in_main: bool, media: Option<Kind>, item: Item) {
        use Attr::*;
        match tag {
            Tag::Img => {
                let image = KindRule::Element(Kind::Image);
                for (attr, found_in) in [
                    (Src, "img@src"),
                    (DataSrc, "img@data-src"),
                    (DataOriginal, "img@data-original"),
                    (DataLazySrc, "img@data-lazy-src"),
                    (DataHiResSrc, "img@data-hi-res-src"),
                ] {
                    self.push(attr, image, found_in, in_main);
                }
                for (attr, found_in) in [
                    (Srcset, "img@srcset"),
                    (DataSrcset, "img@data-srcset"),
                    (DataLazySrcset, "img@data-lazy-srcset"),
                ] {
                    self.push_srcset(attr, image, found_in, in_main);
                }
            }
            Tag::Source => {
                // Outside picture/video/audio the `type` attribute, then the URL, decide.
                let declared = self
                    .start
                    .get(Type)
                    .and_then(kind_from_content_type)
                    .filter(|k| k.is_media());
                let rule = match media.or(declared) {
                    Some(kind) => KindRule::Element(kind),
                    None => KindRule::FromUrl(Kind::Other),
                };
                self.push(Src, rule, "source@src", in_main);
                self.push(DataSrc, rule, "source@data-src", in_main);
                self.push_srcset(Srcset, rule, "source@srcset", in_main);
                self.push_srcset(DataSrcset, rule, "source@data-srcset", in_main);
            }
            Tag::Video => {
                self.push(Src, KindRule::Element(Kind::Video), "video@src", in_main);
                let image = KindRule::Element(Kind::Image);
                self.push(Poster, image, "video@poster", in_main);
            }
            Tag::Audio => self.push(Src, KindRule::Element(Kind::Audio), "audio@src", in_main),
            Tag::Track => self.push(Src, KindRule::Element(Kind::Other), "track@src", in_main),
            Tag::Iframe => {
                let embed = KindRule::Element(Kind::Embed);
                self.push(Src, embed, "iframe@src", in_main);
                self.push(DataSrc, embed, "iframe@data-src", in_main);
            }
            Tag::Embed => self.push(Src, KindRule::Element(Kind::Embed), "embed@src", in_main),
            Tag::Object => self.push(Data, KindRule::Element(Kind::Embed), "object@data", in_main),
            Tag::A | Tag::Area if self.opts.include_links => {
                let found_in = if tag == Tag::A { "a@href" } else { "area@href" };
                self.push(Href, KindRule::FromUrl(Kind::Page), found_in, in_main);
            }
            Tag::AmpImg | Tag::AmpAnim => {
                let image = KindRule::Element(Kind::Image);
                let (src, srcset) = if tag == Tag::AmpImg {
                    ("amp-img@src", "amp-img@srcset")
                } else {
                    ("amp-anim@src", "amp-anim@srcset")
                };
                self.push(Src, image, src, in_main);
                self.push_srcset(Srcset, image, srcset, in_main);
            }
            Tag::AmpVideo => {
                self.push(
                    Src,
                    KindRule::Element(Kind::Video),
                    "amp-video@src",
                    in_main,
                );
                let image = KindRule::Element(Kind::Image);
                self.push(Poster, image, "amp-video@poster", in_main);
            }
            Tag::AmpAudio => {
                self.push(
                    Src,
                    KindRule::Element(Kind::Audio),
                    "amp-audio@src",
                    in_main,
                );
            }
            Tag::AmpIframe => {
                self.push(
                    Src,
                    KindRule::Element(Kind::Embed),
                    "amp-iframe@src",
                    in_main,
                );
            }
            Tag::AmpYoutube => {
                let label = "amp-youtube@data-videoid";
                self.push_video_id(DataVideoid, Platform::YouTube, label.into(), in_main);
            }
            Tag::AmpVimeo => {
                let label = "amp-vimeo@data-videoid";
                self.push_video_id(DataVideoid, Platform::Vimeo, label.into(), in_main);
            }
            Tag::AmpDailymotion => {
                let label = "amp-dailymotion@data-videoid";
                self.push_video_id(DataVideoid, Platform::Dailymotion, label.into(), in_main);
            }
            Tag::LiteYoutube => {
                let label = "lite-youtube@videoid";
                self.push_video_id(Videoid, Platform::YouTube, label.into(), in_main);
            }
            Tag::LiteVimeo => {
                let label = "lite-vimeo@videoid";
                self.push_video_id(Videoid, Platform::Vimeo, label.into(), in_main);
            }
            Tag::Meta => {
                self.collect_microdata(tag, in_main, item);
                self.collect_meta();
            }
            Tag::Time => {
                let marked = self.start.pubdate
                    || self
                        .start
                        .get(Itemprop)
                        .is_some_and(|v| has_token(v, "datePublished"));
                if marked && self.published.time_element.is_none() {
                    self.published.time_element = self.start.attrs[Datetime as usize].take();
                }
            }
            Tag::Link => {
                self.collect_microdata(tag, in_main, item);
                self.collect_link();
            }
            Tag::Base if self.base_href.is_none() => {
                self.base_href = self.start.attrs[Href as usize].take();
            }
            _ => {}
        }
    }

    fn collect_meta(&mut self) {
        // OpenGraph uses `property`, Twitter cards `name`; sites mix them up, so try both.
        let keys = [Attr::Property, Attr::Name].map(|a| {
            self.start
                .get(a)
                .map(|k| k.trim().to_ascii_lowercase())
                .unwrap_or_default()
        });
        let Some((kind, found_in)) = keys.iter().find_map(|k| meta_rule(k)) else {
            if keys.iter().any(|k| k == "og:url") && self.og_url.is_none() {
                self.og_url = self.start.attrs[Attr::Content as usize].take();
            }
            self.collect_meta_date(&keys);
            return;
        };
        if let Some(value) = self.start.attrs[Attr::Content as usize].take() {
            self.raw
                .push(RawRef::document(value, KindRule::Element(kind), found_in));
        }
    }

    /// `itemprop=contentUrl|embedUrl|thumbnailUrl` on `<meta content>` or `<link href>`: a
    /// media item's files, in the main content like the elements around them.
    fn collect_microdata(&mut self, tag: Tag, in_main: bool, item: Item) {
        let Some(itemprop) = self.start.get(Attr::Itemprop) else {
            return;
        };
        if item == Item::Furniture {
            return;
        }
        let Some(prop) = ["contentUrl", "embedUrl", "thumbnailUrl"]
            .into_iter()
            .find(|p| has_token(itemprop, p))
        else {
            return;
        };
        let (attr, found_in) = match (tag, prop) {
            (Tag::Meta, "contentUrl") => (Attr::Content, "meta[itemprop=contentUrl]"),
            (Tag::Meta, "embedUrl") => (Attr::Content, "meta[itemprop=embedUrl]"),
            (Tag::Meta, _) => (Attr::Content, "meta[itemprop=thumbnailUrl]"),
            (_, "contentUrl") => (Attr::Href, "link[itemprop=contentUrl]"),
            (_, "embedUrl") => (Attr::Href, "link[itemprop=embedUrl]"),
            (_, _) => (Attr::Href, "link[itemprop=thumbnailUrl]"),
        };
        let rule = match (prop, item) {
            ("embedUrl", _) => KindRule::FromUrl(Kind::Embed),
            ("thumbnailUrl", _) => KindRule::Element(Kind::Image),
            (_, Item::Media(MediaType::Image)) => KindRule::Element(Kind::Image),
            (_, Item::Media(MediaType::Video)) => KindRule::Element(Kind::Video),
            (_, Item::Media(MediaType::Audio)) => KindRule::Element(Kind::Audio),
            _ => KindRule::FromUrl(Kind::Other),
        };
        // Cloned, not taken: the same `<meta>` may also be an OpenGraph tag.
        if let Some(value) = self.start.get(attr).map(str::to_owned) {
            self.raw
                .push(RawRef::element(value, rule, found_in, in_main));
        }
    }

    /// What any element may cite: pictures in its `style`, and a video named by id
    /// (`data-youtube-id`, or `data-video-id` with a provider attribute).
    fn collect_anywhere(&mut self, in_main: bool) {
        if let Some(style) = self.start.attrs[Attr::Style as usize].take() {
            for found in css::declaration_urls(style.as_bytes()) {
                let rule = KindRule::FromUrl(Kind::Image);
                let label = found.property.inline_label();
                self.raw
                    .push(RawRef::element(found.url, rule, label, in_main));
            }
        }
        if self.start.get(Attr::DataYoutubeId).is_some() {
            let label = format!("{}@data-youtube-id", self.start.label_name());
            let attr = Attr::DataYoutubeId;
            self.push_video_id(attr, Platform::YouTube, label.into(), in_main);
        }
        if let Some(platform) = self.start.provider {
            if self.start.get(Attr::DataVideoId).is_some() {
                let label = format!("{}@data-video-id", self.start.label_name());
                self.push_video_id(Attr::DataVideoId, platform, label.into(), in_main);
            }
        }
    }

    /// A video named only by its id on `platform`: its watch URL, if the id is valid.
    fn push_video_id(
        &mut self,
        attr: Attr,
        platform: Platform,
        found_in: Cow<'static, str>,
        in_main: bool,
    ) {
        let Some(url) = self.start.get(attr).and_then(|id| platform.watch_url(id)) else {
            return;
        };
        let rule = KindRule::Element(Kind::Video);
        self.raw.push(RawRef::element(url, rule, found_in, in_main));
    }

    /// The pictures of a `<style>`'s rules that may be the article's; those known only by
    /// their classes and ids wait for the main content's names (`finish`).
    fn read_style(&mut self, text: &[u8]) {
        let room = STYLE_MAX_BYTES - self.style_read;
        let text = &text[..text.len().min(room)];
        self.style_read += text.len();
        for (scope, found) in css::style_sheet_urls(text) {
            let rule = KindRule::FromUrl(Kind::Image);
            let mut raw = RawRef::document(found.url, rule, found.property.block_label());
            if let Scope::Names(names) = scope {
                raw.needs_main_names = Some(self.style_names.len());
                self.style_names.push(names);
            }
            self.raw.push(raw);
        }
    }

    /// `article:published_time` (OpenGraph; some sites write `og:published_time`), and
    /// schema.org's `datePublished`/`dateCreated` as `<meta>` names or microdata.
    fn collect_meta_date(&mut self, keys: &[String; 2]) {
        let itemprop = self.start.get(Attr::Itemprop).unwrap_or("");
        let is = |name: &str| {
            keys.iter().any(|k| k.eq_ignore_ascii_case(name)) || has_token(itemprop, name)
        };
        let slot = if is("article:published_time") || is("og:published_time") {
            &mut self.published.article_meta
        } else if is("datePublished") {
            &mut self.published.date_published
        } else if is("dateCreated") {
            &mut self.published.date_created
        } else {
            return;
        };
        if slot.is_none() {
            *slot = self.start.attrs[Attr::Content as usize].take();
        }
    }

    fn collect_link(&mut self) {
        let Some(rel) = self.start.get(Attr::Rel) else {
            return;
        };
        let mut canonical = false;
        let mut image_src = false;
        for token in rel.split_ascii_whitespace() {
            canonical |= token.eq_ignore_ascii_case("canonical");
            image_src |= token.eq_ignore_ascii_case("image_src");
        }
        if canonical && self.canonical_href.is_none() {
            self.canonical_href = self.start.get(Attr::Href).map(str::to_owned);
        }
        if image_src {
            if let Some(value) = self.start.attrs[Attr::Href as usize].take() {
                let rule = KindRule::Element(Kind::Image);
                self.raw
                    .push(RawRef::document(value, rule, "link[image_src]"));
            }
        }
    }

    fn push(&mut self, attr: Attr, rule: KindRule, found_in: &'static str, in_main: bool) {
        if let Some(value) = self.start.attrs[attr as usize].take() {
            self.raw
                .push(RawRef::element(value, rule, found_in, in_main));
        }
    }

    fn push_srcset(&mut self, attr: Attr, rule: KindRule, found_in: &'static str, in_main: bool) {
        let Some(value) = self.start.get(attr) else {
            return;
        };
        for candidate in parse_srcset(value) {
            self.raw.push(RawRef::element(
                candidate.to_owned(),
                rule,
                found_in,
                in_main,
            ));
        }
    }

    /// The base references resolve against and the canonical URL, both http(s) only: a `file:`
    /// document URL is no base for web references.
    fn document_urls(&self, doc_url: Option<&Url>) -> (Option<Url>, Option<Url>) {
        let doc = doc_url.filter(|u| is_http(u));
        let candidates = [self.canonical_href.as_deref(), self.og_url.as_deref()];
        let canonical_against = |base: Option<&Url>| {
            candidates
                .iter()
                .flatten()
                .find_map(|c| resolve_http(c, base))
        };
        // A relative `<base href>` in a saved file (no document URL) can only lean on an
        // absolute canonical URL.
        let base_href = self.base_href.as_deref().and_then(|b| {
            let fallback = if doc.is_some() {
                None
            } else {
                canonical_against(None)
            };
            resolve_http(b, doc.or(fallback.as_ref()))
        });
        // Like any link, the canonical one resolves against the document's base URL.
        let canonical = canonical_against(base_href.as_ref().or(doc));
        let base = base_href
            .or_else(|| doc.cloned())
            .or_else(|| canonical.clone());
        (base, canonical)
    }

    /// Resolves every raw reference now that the base is known, then filters and deduplicates.
    fn finish(mut self, doc_url: Option<&Url>) -> Extraction {
        let (base, canonical) = self.document_urls(doc_url);
        let raws = std::mem::take(&mut self.raw);
        let main = MainContentNames {
            classes: &self.main_classes,
            ids: &self.main_ids,
            hashed: OnceCell::new(),
        };
        let is_article_rule = |i: usize| {
            let selectors = self.style_names.get(i).map_or(&[][..], Vec::as_slice);
            selectors.iter().any(|names| main.all_in_main(names))
        };
        // A marker that holds no reference (an empty schema.org <article> stub in the head) does
        // not mark the main content: filtering by it would drop every picture of the page.
        let main_cites_something = raws.iter().any(|r| r.in_main && !r.document_level);
        let drop_outside = self.has_marker && main_cites_something && !self.opts.whole_page;
        let mut refs: Vec<FoundRef> = Vec::new();
        let mut index: HashMap<Url, usize> = HashMap::new();
        let mut unresolved: HashSet<&str> = HashSet::new();
        let mut outside: HashSet<Url> = HashSet::new();
        for raw in &raws {
            if raw.needs_main_names.is_some_and(|i| !is_article_rule(i)) {
                continue;
            }
            let value = raw.value.trim_matches(|c: char| c.is_ascii_whitespace());
            if value.is_empty() || value.starts_with('#') {
                continue;
            }
            let parsed = match &base {
                Some(b) => b.join(value),
                None => Url::parse(value),
            };
            let mut url = match parsed {
                Ok(url) => url,
                Err(ParseError::RelativeUrlWithoutBase) => {
                    unresolved.insert(value);
                    continue;
                }
                // Malformed beyond repair (bad host, bad port): nothing a fetcher could use.
                Err(_) => continue,
            };
            if !is_http(&url) {
                continue;
            }
            crate::urlkey::normalize(&mut url);
            if drop_outside && !raw.in_main && !raw.document_level {
                outside.insert(url);
                continue;
            }
            let kind = match raw.rule {
                KindRule::Element(kind) => kind,
                KindRule::FromUrl(fallback) => kind_from_url(&url).unwrap_or(fallback),
                KindRule::UrlOnly => match kind_from_url(&url) {
                    Some(kind) => kind,
                    None => continue,
                },
            };
            if let Some(&i) = index.get(&url) {
                // The first sighting names the place; a more specific kind still wins, so a
                // picture that is both linked and shown is an image.
                let known = &mut refs[i].kind;
                if is_weak(*known) && !is_weak(kind) {
                    *known = kind;
                }
                continue;
            }
            index.insert(url.clone(), refs.len());
            refs.push(FoundRef {
                url,
                kind,
                found_in: raw.found_in.to_string(),
            });
        }
        let outside_main = outside.iter().filter(|u| !index.contains_key(*u)).count();
        let title = Some(collapse_title(&self.title)).filter(|t| !t.is_empty());
        let from_json_ld = |key: &str| super::jsonld::article_date(&self.json_ld_values, key);
        let p = &self.published;
        let published = [
            p.article_meta.clone(),
            from_json_ld("datePublished"),
            p.date_published.clone(),
            from_json_ld("dateCreated"),
            p.date_created.clone(),
            p.time_element.clone(),
        ]
        .into_iter()
        .flatten()
        .find_map(|d| crate::clock::parse(&d));
        Extraction {
            refs,
            unresolved: unresolved.len(),
            outside_main,
            base,
            canonical,
            title,
            published,
        }
    }
}

/// Whether a whitespace-separated attribute value holds `token` (ASCII case-insensitively).
fn has_token(value: &str, token: &str) -> bool {
    value
        .split_ascii_whitespace()
        .any(|t| t.eq_ignore_ascii_case(token))
}

fn is_json_ld_type(t: &str) -> bool {
    t.trim().eq_ignore_ascii_case("application/ld+json")
}

/// The meta tags that name the page's own media, with their `found_in` labels.
fn meta_rule(key: &str) -> Option<(Kind, &'static str)> {
    Some(match key {
        "og:image" => (Kind::Image, "meta[og:image]"),
        "og:image:url" => (Kind::Image, "meta[og:image:url]"),
        "og:image:secure_url" => (Kind::Image, "meta[og:image:secure_url]"),
        "og:video" => (Kind::Video, "meta[og:video]"),
        "og:video:url" => (Kind::Video, "meta[og:video:url]"),
        "og:video:secure_url" => (Kind::Video, "meta[og:video:secure_url]"),
        "twitter:image" => (Kind::Image, "meta[twitter:image]"),
        "twitter:image:src" => (Kind::Image, "meta[twitter:image:src]"),
        "twitter:player" => (Kind::Embed, "meta[twitter:player]"),
        "twitter:player:stream" => (Kind::Video, "meta[twitter:player:stream]"),
        _ => return None,
    })
}

fn is_http(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
}

/// Page and Other say little; any element kind (Image, Video, Audio, Embed) says more.
fn is_weak(kind: Kind) -> bool {
    matches!(kind, Kind::Page | Kind::Other)
}

/// A URL the document gives for itself (`<base href>`, canonical, `og:url`) as an absolute
/// http(s) URL without fragment, resolved against `base` when relative; `None` when it is not
/// one or is longer than `MAX_BASE_LEN`.
fn resolve_http(raw: &str, base: Option<&Url>) -> Option<Url> {
    let raw = raw.trim_matches(|c: char| c.is_ascii_whitespace());
    if raw.is_empty() || raw.starts_with('#') {
        return None;
    }
    let mut url = match base {
        Some(b) => b.join(raw).ok()?,
        None => Url::parse(raw).ok()?,
    };
    crate::urlkey::normalize(&mut url);
    (is_http(&url) && url.as_str().len() <= MAX_BASE_LEN).then_some(url)
}

fn collapse_title(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::new();
    let mut chars = 0;
    for word in text.split_whitespace() {
        for c in (!out.is_empty())
            .then_some(' ')
            .into_iter()
            .chain(word.chars())
        {
            if chars == TITLE_MAX_CHARS {
                return out;
            }
            out.push(c);
            chars += 1;
        }
    }
    out
}

/// A cheap identity for tag names (FNV-1a), so the open-element stack holds no strings.
/// A collision only makes an end tag close the wrong element, as malformed markup would.
fn name_id(name: &[u8]) -> u64 {
    name.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_html_signatures_and_rejects_feeds_and_text() {
        assert!(looks_like_html(b"<!DOCTYPE html><html>"));
        assert!(looks_like_html(b"\xEF\xBB\xBF  <html lang=en>"));
        assert!(looks_like_html(b"<p>hello"));
        assert!(looks_like_html(b"<!-- c --><div>"));
        assert!(looks_like_html(
            b"<?xml version=\"1.0\"?>\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0\">"
        ));
        assert!(!looks_like_html(
            b"<?xml version=\"1.0\"?><rss version=\"2.0\">"
        ));
        assert!(!looks_like_html(
            b"<feed xmlns=\"http://www.w3.org/2005/Atom\">"
        ));
        assert!(!looks_like_html(b"just some text https://a.example/"));
        assert!(!looks_like_html(b"<abbr>"));
        assert!(!looks_like_html(b""));
    }

    #[test]
    fn title_is_collapsed_and_capped() {
        assert_eq!(collapse_title(b"  a \n\t b  "), "a b");
        let long = "word ".repeat(200);
        let capped = collapse_title(long.as_bytes());
        assert_eq!(capped.chars().count(), TITLE_MAX_CHARS);
    }

    #[test]
    fn deep_nesting_and_stray_end_tags_stay_cheap_and_safe() {
        let mut html = String::from("<article>");
        for _ in 0..100_000 {
            html.push_str("<div>");
        }
        html.push_str("<img src=/a.png></article><img src=/outside.png>");
        for _ in 0..100_000 {
            html.push_str("</span>");
        }
        let base = Url::parse("https://a.example/").ok();
        let got = extract_html(html.as_bytes(), base.as_ref(), &ExtractOptions::default());
        // Past the depth cap the walker cannot see `</article>` close anything it tracked, so
        // it errs on the side of keeping: both images survive, and nothing was quadratic.
        assert_eq!(got.refs.len(), 2);
    }

    #[test]
    fn many_references_and_huge_attributes_do_not_panic() {
        let mut html = String::from("<title>t</title>");
        for i in 0..100_000 {
            html.push_str(&format!("<img src=/i{i}.png>"));
        }
        html.push_str(&format!("<img src=\"{}\">", "x".repeat(5_000_000)));
        html.push_str("<img srcset=\"");
        html.push_str(&",".repeat(1_000_000));
        html.push_str("\">\u{0}<a href=\"http://[::1\">");
        let base = Url::parse("https://a.example/").ok();
        let got = extract_html(html.as_bytes(), base.as_ref(), &ExtractOptions::default());
        assert_eq!(got.refs.len(), 100_001);
        assert_eq!(got.title.as_deref(), Some("t"));
    }

    #[test]
    fn hostile_styles_json_ld_and_components_stay_linear() {
        let base = Url::parse("https://a.example/").ok();
        let opts = ExtractOptions::default();
        // 100,000 inline styles, each with a picture, inside the article.
        let mut html = String::from("<article>");
        for i in 0..100_000 {
            html.push_str(&format!(
                "<div style=\"background-image:url(/s{i}.jpg)\"></div>"
            ));
        }
        // One 5 MB style attribute: a URL that never closes, and a million `url(` openings.
        html.push_str("<div style=\"background:url(/big");
        html.push_str(&"x".repeat(5_000_000));
        html.push_str("\"></div><div style=\"background:");
        html.push_str(&"url(".repeat(1_000_000));
        html.push_str("\"></div></article>");
        let got = extract_html(html.as_bytes(), base.as_ref(), &opts);
        assert_eq!(got.refs.len(), 100_001);

        // JSON-LD nested past serde's recursion limit (not parsed), nested within it but past
        // the walk's depth (not read), and a list longer than the walk's budget.
        let mut html = String::from("<script type=\"application/ld+json\">");
        html.push_str(&"[".repeat(100_000));
        html.push_str("</script><script type=\"application/ld+json\">{\"image\":");
        html.push_str(&"[".repeat(100));
        html.push_str("\"/deep.jpg\"");
        html.push_str(&"]".repeat(100));
        html.push_str("}</script><script type=\"application/ld+json\">{\"image\":[");
        let list: Vec<String> = (0..60_000).map(|i| format!("\"/i{i}.jpg\"")).collect();
        html.push_str(&list.join(","));
        html.push_str("]}</script>");
        let got = extract_html(html.as_bytes(), base.as_ref(), &opts);
        assert!(got.refs.iter().all(|r| r.url.path() != "/deep.jpg"));
        assert!(
            (40_000..50_000).contains(&got.refs.len()),
            "{}",
            got.refs.len()
        );

        // A `<style>` of 100,000 hero rules is read up to its cap, and 100,000 `{` and
        // `@media` openings cost one pass.
        let mut html = String::from("<style>");
        for i in 0..100_000 {
            html.push_str(&format!(".hero-{i}{{background:url(/h{i}.jpg)}}"));
        }
        html.push_str(&"{".repeat(100_000));
        html.push_str("</style><style>");
        html.push_str(&"@media x{".repeat(100_000));
        html.push_str("</style>");
        let got = extract_html(html.as_bytes(), base.as_ref(), &opts);
        let per_rule = ".hero-99999{background:url(/h99999.jpg)}".len();
        assert!(got.refs.len() >= STYLE_MAX_BYTES / per_rule);
        assert!(got.refs.len() < 100_000);
    }

    #[test]
    fn invalid_utf8_is_read_lossily() {
        let html = b"<title>caf\xe9</title><img src=\"/\xff\xfe.png\">";
        let base = Url::parse("https://a.example/").ok();
        let got = extract_html(html, base.as_ref(), &ExtractOptions::default());
        assert_eq!(got.title.as_deref(), Some("caf\u{FFFD}"));
        assert_eq!(got.refs.len(), 1);
    }
}
