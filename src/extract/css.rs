//! Finds the pictures a page's CSS shows as content: `url(…)` in the image properties
//! (`background`, `background-image`, `list-style(-image)`, `border-image(-source)`, `content`)
//! of an inline `style` attribute or of the rules of a `<style>` block. It is a small
//! scanner (comments, strings, escapes, quoted and unquoted `url()`), not a CSS parser: it
//! keeps no tree, and its time is linear in the input, whatever the input.
//!
//! Which `<style>` rules are the article's own is decided from their selectors alone, because
//! a stylesheet cannot see the document. The painted element is the selector's subject (its
//! last compound, `.hero` in `article .hero`); ancestors only scope it.
//! - A rule is theme, never reported, when its selector names page furniture anywhere: the
//!   elements `header`, `footer`, `nav`, `aside`, form controls, `html`/`body` as the subject,
//!   or a class/id with a word of site chrome (`logo`, `nav`, `menu`, `header`, `sidebar`,
//!   `ad`, `banner`, `share`, `facebook`, `button`, …) or of the decoration of text (`label`,
//!   `title`, `byline`, `quote`, `divider`, `arrow`, …). Words are the parts of a name split at
//!   `-`, `_` and camelCase humps: `.site-logo` and `#mainNav` count, `.adventure` does not.
//! - It is decoration, never reported, when its subject is a pseudo-element or an interaction
//!   state (`::before`, `::after`, `:hover`, …), or has no class or id at all: `article`,
//!   `figure` or `.content blockquote` paint every such element (a texture, a quote mark),
//!   never one picture.
//! - Otherwise it is the article's when a class or id of its subject has a picture word
//!   (`hero`, `cover`, `gallery`, `featured`, `thumbnail`, `photo`, …), or when all of its
//!   subject's classes and ids are set on elements inside the marked main content
//!   ([`Scope::Names`]; the caller knows the page, this module does not): page builders style
//!   a post's hero as `.elementor-element-3f2a { … }`. A page without main-content markers
//!   has no such names, so only the words count.
//!
//! Why not every rule that mentions `article`, `.post`, `.entry` or `.content`: on the 181
//! real pages of the test corpus such rules painted almost only decoration (pull-quote
//! dividers, byline icons, star ratings, gallery arrows, share buttons): those words name
//! text containers, which CSS decorates, while a picture shown through CSS is set on one
//! specific element.
//!
//! A sheet is read from each `url(` backwards ([`read_backwards`]): inlined sheets are mostly
//! theme bundles of hundreds of KiB whose every `url(` is a font, an icon or a theme rule,
//! and scanning all of them forwards would cost more than tokenizing the page. Where reading
//! backwards cannot be sure, the forward scan ([`Scanner`]) reads the sheet; a test checks
//! that both read sheets alike.
//!
//! At-rules with declarations (`@font-face`, `@page`) are theme; `@import` is a statement; the
//! rules inside any other at-rule block (`@media`, `@supports`, `@layer`, …) are read like
//! top-level ones (a `@keyframes` step such as `50%` names no class or id), and so are rules
//! nested in a rule (CSS nesting), each judged by its own selector.
//! Only URLs that can be pictures are returned: no `data:`, no in-document `#fragment`, no
//! query-only `?w=900` (the page itself), no `undefined` left by a template, no fonts or
//! stylesheets (`.woff`, `.woff2`, `.ttf`, `.otf`, `.eot`, `.css`, `.htc`), and no file
//! whose path names furniture (`logo`, `icon`, `sprite`, `arrow`, `spacer`, `loader`,
//! `banner`, … as a word of its path: `site-logo@2x.png`, `/images/icons/virgo.svg`,
//! `GetSprite.ashx`).

use std::sync::OnceLock;

use regex::bytes::Regex;

/// Blocks (at-rules, nested rules) nest this deep at most; deeper ones are skipped (linearly).
const MAX_NESTING: usize = 16;

/// The CSS properties whose `url()` paints a picture a reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ImageProperty {
    Background,
    BackgroundImage,
    ListStyle,
    ListStyleImage,
    BorderImage,
    BorderImageSource,
    Content,
}

impl ImageProperty {
    fn of(name: &[u8]) -> Option<ImageProperty> {
        // Property names are ASCII case-insensitive; the longest is 19 bytes. Lowercased on
        // the stack: every declaration of a sheet comes through here.
        let mut lower = [0u8; 19];
        let lower = lower.get_mut(..name.len())?;
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        Some(match &*lower {
            b"background" => ImageProperty::Background,
            b"background-image" => ImageProperty::BackgroundImage,
            b"list-style" => ImageProperty::ListStyle,
            b"list-style-image" => ImageProperty::ListStyleImage,
            b"border-image" => ImageProperty::BorderImage,
            b"border-image-source" => ImageProperty::BorderImageSource,
            b"content" => ImageProperty::Content,
            _ => return None,
        })
    }

    /// `found_in` for a `style` attribute.
    pub(super) fn inline_label(self) -> &'static str {
        match self {
            ImageProperty::Background => "style[background]",
            ImageProperty::BackgroundImage => "style[background-image]",
            ImageProperty::ListStyle => "style[list-style]",
            ImageProperty::ListStyleImage => "style[list-style-image]",
            ImageProperty::BorderImage => "style[border-image]",
            ImageProperty::BorderImageSource => "style[border-image-source]",
            ImageProperty::Content => "style[content]",
        }
    }

    /// `found_in` for a rule of a `<style>` block.
    pub(super) fn block_label(self) -> &'static str {
        match self {
            ImageProperty::Background => "style-block[background]",
            ImageProperty::BackgroundImage => "style-block[background-image]",
            ImageProperty::ListStyle => "style-block[list-style]",
            ImageProperty::ListStyleImage => "style-block[list-style-image]",
            ImageProperty::BorderImage => "style-block[border-image]",
            ImageProperty::BorderImageSource => "style-block[border-image-source]",
            ImageProperty::Content => "style-block[content]",
        }
    }
}

/// One picture URL and the property it was given to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CssUrl {
    pub(super) property: ImageProperty,
    pub(super) url: String,
}

/// Whose rule a `<style>` rule is, judged from its selector (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Scope {
    /// The selector names a picture of the content (`.post-hero`, `#gallery-2`).
    Content,
    /// Neither content nor furniture: for each selector of the list, the hashed classes and
    /// ids of its subject ([`name_hash`]); the rule is the article's if, for one selector,
    /// all of them are set on elements inside the main content, which only the caller knows.
    Names(Vec<Vec<u64>>),
}

/// The scope of a rule with this prelude: `None` for theme rules and at-rules.
fn rule_scope(prelude: &[u8]) -> Option<Scope> {
    if prelude.starts_with(b"@") {
        None
    } else {
        scope_of(prelude)
    }
}

/// Picture URLs of a declaration list (the value of a `style` attribute), in order.
pub(super) fn declaration_urls(text: &[u8]) -> Vec<CssUrl> {
    let mut out = Vec::new();
    Scanner::new(text).declarations(Block::Inline(&mut out));
    out
}

/// Picture URLs of the rules of a style sheet (a `<style>` block) that may be the article's,
/// in order, each with the scope that decides it. Read backwards from each `url(` when that
/// is certain ([`read_backwards`]), else by a full scan.
pub(super) fn style_sheet_urls(text: &[u8]) -> Vec<(Scope, CssUrl)> {
    read_backwards(text).unwrap_or_else(|| {
        let mut out = Vec::new();
        Scanner::new(text).rules(0, &mut out);
        out
    })
}

/// The picture URLs of a style sheet's rules read from each `url(` backwards: sheets are
/// mostly theme bundles of hundreds of KiB whose every `url(` is a font, an icon or a theme
/// rule, and scanning all of them would cost more than tokenizing the page. Each `url(` (and
/// comment mark) is found by a fast literal search; its declaration, and for a picture of an
/// image property its rule's selector, are read backwards, never past the previous `url(`,
/// so the whole reading is linear; what lies between two `url(` is only counted (quotes,
/// backslashes) unless strings, comments or escapes there need reading one by one. `None`
/// when something on the way can only be read forwards (an escape or a comment inside a
/// rule, a string left open or broken by a newline, unbalanced parentheses, a bad URL, a
/// `url(` inside a comment): the full scan then reads the sheet. Both read a sheet alike; a
/// test checks it on hand-picked traps and on random sheets full of noise.
fn read_backwards(text: &[u8]) -> Option<Vec<(Scope, CssUrl)>> {
    static MARKS: OnceLock<Option<Regex>> = OnceLock::new();
    let marks = MARKS
        .get_or_init(|| Regex::new(r"(?i-u)url\(|/\*|\*/").ok())
        .as_ref()?;
    let mut out = Vec::new();
    // Comments are followed forwards (strings aside): a `url(` inside one is no URL, and
    // where one starts (`/* a /* b */`) cannot be told reading backwards. `comments` holds
    // the closed ones, as `open..end`.
    let mut in_comment = false;
    let mut comments: Vec<(usize, usize)> = Vec::new();
    let mut previous = Surroundings {
        property: None,
        rule: Rule::Theme,
        decl: 0,
        floor: 0,
    };
    // Reading backwards stops at `floor`, the end of the previous `url(`'s value.
    let (mut floor, mut from) = (0, 0);
    while let Some(m) = marks.find_at(text, from) {
        let at = m.start();
        match m.as_bytes() {
            b"/*" | b"*/" => {
                let opens = m.as_bytes() == b"/*";
                // `\/*` is an escaped `/` outside comments (an odd run of backslashes).
                let backslashes = text[..at].iter().rev().take_while(|&&c| c == b'\\').count();
                from = if in_comment != opens && (in_comment || backslashes % 2 == 0) {
                    in_comment = opens;
                    if opens {
                        comments.push((at, at));
                    } else if let Some(last) = comments.last_mut() {
                        last.1 = m.end();
                    }
                    m.end()
                } else {
                    // A mark that changes nothing may share its `*` with the next: `*/*`.
                    at + 1
                };
                continue;
            }
            _ => from = m.end(),
        }
        if in_comment {
            return None;
        }
        // `myurl(` is another function: its text is read with the next `url(`'s.
        if at > 0 && is_name_byte(text[at - 1]) {
            continue;
        }
        // Since the previous `url(`: a string left open or broken by a newline changes what
        // everything after it means.
        let commented = comments.last().is_some_and(|&(_, end)| end > floor);
        if !strings_closed(&text[floor..at], commented) {
            return None;
        }
        let mut found = surroundings(text, floor, at, &previous)?;
        let end = match found.property {
            Some(property) if !is_data_url(&text[m.end()..]) => {
                let mut value = Scanner {
                    b: text,
                    i: m.end(),
                };
                // A bad URL (`url(a b)`) ends where only the full scan can tell.
                let url = value.url_body()?;
                if is_picture_candidate(&url) {
                    if let Rule::Article(scope) = rule_of(text, &mut found, &previous, &comments)? {
                        out.push((scope, CssUrl { property, url }));
                    }
                }
                value.i
            }
            _ => skip_url_value(text, m.end())?,
        };
        // A value that runs over braces or comment marks was probably not a URL at all (a
        // `url(` inside a string): the full scan tells.
        let span = &text[m.end()..end];
        if !span.ends_with(b")")
            || span.contains(&b'{')
            || span.contains(&b'}')
            || span.windows(2).any(|w| w == b"/*" || w == b"*/")
        {
            return None;
        }
        previous = found;
        (floor, from) = (end, end);
    }
    Some(out)
}

/// Whether `text`, read from outside strings and comments, ends outside them too, every
/// string closed on its line. Counting quotes (escaped ones aside) is enough without comments
/// (which hide quotes), newlines (which break strings) or escaped backslashes; otherwise the
/// strings, comments and escapes are read one by one.
fn strings_closed(text: &[u8], commented: bool) -> bool {
    let count = |c: u8| count_pairs(text, None, c);
    let (double, single, backslashes) = (count(b'"'), count(b'\''), count(b'\\'));
    if double == 0 && single == 0 {
        return true;
    }
    // Most text has no backslash at all.
    let escaped = |c: u8| {
        if backslashes == 0 {
            0
        } else {
            count_pairs(text, Some(b'\\'), c)
        }
    };
    let one_kind = double == 0 || single == 0;
    if one_kind && !commented && !text.contains(&b'\n') && escaped(b'\\') == 0 {
        return (double - escaped(b'"')) % 2 == 0 && (single - escaped(b'\'')) % 2 == 0;
    }
    let mut i = 0;
    while let Some(p) = text.get(i..).and_then(|rest| {
        rest.iter()
            .position(|&c| matches!(c, b'"' | b'\'' | b'/' | b'\\'))
    }) {
        let at = i + p;
        i = match text[at] {
            b'\\' => at + 2,
            b'/' if text.get(at + 1) == Some(&b'*') => {
                match text[at + 2..].windows(2).position(|w| w == b"*/") {
                    Some(e) => at + 2 + e + 2,
                    None => return false,
                }
            }
            b'/' => at + 1,
            quote => {
                // To the closing quote, escapes skipped; a newline breaks the string.
                let mut j = at + 1;
                loop {
                    match text.get(j) {
                        None | Some(b'\n') => return false,
                        Some(b'\\') => j += 2,
                        Some(&c) if c == quote => break,
                        Some(_) => j += 1,
                    }
                }
                // A comment mark inside a string misleads the forward reading of comments.
                if text[at + 1..j].windows(2).any(|w| w == b"/*" || w == b"*/") {
                    return false;
                }
                j + 1
            }
        };
    }
    true
}

/// How many bytes of `text` are `c` (preceded by `before`, if given). Counted in byte-wide
/// lanes, chunk by chunk, so the loop vectorizes: every byte of a sheet is counted this way.
fn count_pairs(text: &[u8], before: Option<u8>, c: u8) -> usize {
    let count = |firsts: &[u8], seconds: &[u8]| -> usize {
        let chunks = firsts.chunks(255).zip(seconds.chunks(255));
        chunks
            .map(|(a, b)| {
                let pairs = a.iter().zip(b);
                usize::from(pairs.fold(0u8, |n, (&a, &b)| {
                    n + u8::from(b == c && before.is_none_or(|p| a == p))
                }))
            })
            .sum()
    };
    match before {
        None => count(text, text),
        Some(_) if text.len() < 2 => 0,
        Some(_) => count(&text[..text.len() - 1], &text[1..]),
    }
}

/// Whether a `url(` value (the text after `url(`) is a `data:` URL: an inlined font or
/// picture, never fetched.
fn is_data_url(value: &[u8]) -> bool {
    let value = value.trim_ascii_start();
    let value = value
        .strip_prefix(b"\"")
        .or_else(|| value.strip_prefix(b"'"))
        .unwrap_or(value);
    value.len() >= 5 && value[..5].eq_ignore_ascii_case(b"data:")
}

/// Past the `)` of a `url(` value that need not be read, found by a fast search: inlined
/// fonts and pictures make values of hundreds of KiB. `None` when the value needs the full
/// scan's care (an escape, a string broken by a newline, no `)`).
fn skip_url_value(text: &[u8], start: usize) -> Option<usize> {
    static UNQUOTED_STOP: OnceLock<Option<Regex>> = OnceLock::new();
    static DOUBLE_END: OnceLock<Option<Regex>> = OnceLock::new();
    static SINGLE_END: OnceLock<Option<Regex>> = OnceLock::new();
    let find = |cell: &OnceLock<Option<Regex>>, pattern: &str, from: usize| {
        let re = cell.get_or_init(|| Regex::new(pattern).ok()).as_ref()?;
        re.find_at(text, from).map(|m| m.start())
    };
    let skip_spaces = |mut i: usize| {
        while text.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
            i += 1;
        }
        i
    };
    let i = skip_spaces(start);
    let close = match text.get(i) {
        Some(b'"') => {
            let end = find(&DOUBLE_END, r#"["\\\n]"#, i + 1).filter(|&e| text[e] == b'"')?;
            skip_spaces(end + 1)
        }
        Some(b'\'') => {
            let end = find(&SINGLE_END, r"['\\\n]", i + 1).filter(|&e| text[e] == b'\'')?;
            skip_spaces(end + 1)
        }
        // Unquoted: anything but `)` or trailing spaces makes a bad URL the full scan reads.
        _ => {
            let stop = find(&UNQUOTED_STOP, r#"(?-u)[\s)\\"'(]"#, i)?;
            match text[stop] {
                b')' => stop,
                c if c.is_ascii_whitespace() => skip_spaces(stop),
                _ => return None,
            }
        }
    };
    (text.get(close) == Some(&b')')).then_some(close + 1)
}

/// What a `url(` is found in, as far as [`read_backwards`] needs to know.
#[derive(Debug, Clone)]
struct Surroundings {
    /// The image property the declaration sets, if it sets one.
    property: Option<ImageProperty>,
    rule: Rule,
    /// The `;` or `{` the declaration starts after, and how far back reading may go.
    decl: usize,
    floor: usize,
}

/// Whose rule a `url(` is in.
#[derive(Debug, Clone)]
enum Rule {
    /// Not worked out: only an image property's picture needs it.
    Unknown,
    Theme,
    Article(Scope),
}

/// The declaration the `url(` at `at` is in, read backwards down to `floor` (the end of the
/// previous `url(`, whose surroundings are `previous`); `None` when the text in between holds
/// something only a forward scan can read.
fn surroundings(
    text: &[u8],
    floor: usize,
    at: usize,
    previous: &Surroundings,
) -> Option<Surroundings> {
    let Some(decl) = boundary_before(text, floor, at, b";{}")? else {
        // The same declaration as the previous `url(`.
        return Some(previous.clone());
    };
    if text[decl] == b'}' {
        return None;
    }
    let name_and_colon = &text[decl + 1..at];
    let colon = name_and_colon.iter().position(|&b| b == b':');
    Some(Surroundings {
        property: colon.and_then(|c| ImageProperty::of(name_and_colon[..c].trim_ascii())),
        rule: Rule::Unknown,
        decl,
        floor,
    })
}

/// The rule `found`'s declaration is in, worked out now if it was not: back to the block's
/// `{` (the previous `url(`'s when the block opened before it), then its selector. `None`
/// when that cannot be read backwards.
fn rule_of(
    text: &[u8],
    found: &mut Surroundings,
    previous: &Surroundings,
    comments: &[(usize, usize)],
) -> Option<Rule> {
    if !matches!(found.rule, Rule::Unknown) {
        return Some(found.rule.clone());
    }
    let open_at = |s: &Surroundings| -> Option<Option<usize>> {
        if text[s.decl] == b'{' {
            return Some(Some(s.decl));
        }
        match boundary_before(text, s.floor, s.decl, b"{}")? {
            Some(open) if text[open] == b'{' => Some(Some(open)),
            Some(_) => None,
            None => Some(None),
        }
    };
    let (open, floor) = match open_at(found)? {
        Some(open) => (open, found.floor),
        None if !matches!(previous.rule, Rule::Unknown) => {
            found.rule = previous.rule.clone();
            return Some(found.rule.clone());
        }
        None => (open_at(previous)??, previous.floor),
    };
    let start = selector_start(text, floor, open, comments)?;
    found.rule = match rule_scope(text[start..open].trim_ascii()) {
        Some(scope) => Rule::Article(scope),
        None => Rule::Theme,
    };
    Some(found.rule.clone())
}

/// Where the selector of the rule whose block opens at `open` starts: after the previous
/// `;`, `{` or `}` (or the start of the sheet) and the comments that follow it (`comments`,
/// as read forwards), as the full scan reads it. `None` when that cannot be told reading
/// backwards (a comment inside the selector, the previous `url(` reached).
fn selector_start(
    text: &[u8],
    floor: usize,
    open: usize,
    comments: &[(usize, usize)],
) -> Option<usize> {
    let start = match scan_back(text, floor, open, b";{}", true) {
        Back::Stop(stop) => return Some(stop + 1),
        Back::Floor => return (floor == 0).then_some(0),
        Back::Unclear => return None,
        Back::CommentEnd(slash) => slash + 1,
    };
    // Only comments and whitespace between the stop and the selector; `i` is the end of one.
    let mut i = start;
    loop {
        let k = comments.binary_search_by_key(&i, |&(_, end)| end).ok()?;
        i = comments[k].0;
        if i < floor {
            return None;
        }
        while i > floor && text[i - 1].is_ascii_whitespace() {
            i -= 1;
        }
        if i == floor {
            return (floor == 0).then_some(start);
        }
        if b";{}".contains(&text[i - 1]) {
            return Some(start);
        }
        if !(i >= 2 && text[i - 1] == b'/' && text[i - 2] == b'*') {
            return None;
        }
    }
}

/// What reading backwards found.
enum Back {
    /// One of the stops, at this index.
    Stop(usize),
    /// The `/` of a comment's `*/` (when asked for).
    CommentEnd(usize),
    /// Nothing down to the floor.
    Floor,
    /// Something only a forward scan can read: an escape, a comment mark, a string without
    /// its other quote, a `)` without its `(`.
    Unclear,
}

/// The last of `stops` in `text[floor..before]`, read backwards outside strings: `Some(None)`
/// when there is none, `None` when the span is unclear (see [`Back::Unclear`]).
fn boundary_before(
    text: &[u8],
    floor: usize,
    before: usize,
    stops: &[u8],
) -> Option<Option<usize>> {
    match scan_back(text, floor, before, stops, false) {
        Back::Stop(i) => Some(Some(i)),
        Back::Floor => Some(None),
        Back::CommentEnd(_) | Back::Unclear => None,
    }
}

/// Reads `text[floor..before]` backwards to the last of `stops`, skipping strings.
fn scan_back(text: &[u8], floor: usize, before: usize, stops: &[u8], comment_ends: bool) -> Back {
    let mut open_parens = 0usize;
    let balanced = |found: Back, open_parens: usize| {
        if open_parens == 0 {
            found
        } else {
            Back::Unclear
        }
    };
    let mut i = before;
    while i > floor {
        i -= 1;
        let c = text[i];
        // An escaped character means nothing special, and `\\` itself may be escaped.
        if i > floor && text[i - 1] == b'\\' {
            return Back::Unclear;
        }
        if stops.contains(&c) {
            return balanced(Back::Stop(i), open_parens);
        }
        match c {
            // A string, read from its end back to its start: fine unless it holds an escape.
            b'"' | b'\'' => loop {
                if i == floor {
                    return Back::Unclear;
                }
                i -= 1;
                match text[i] {
                    b'\\' | b'\n' => return Back::Unclear,
                    q if q == c => break,
                    _ => {}
                }
            },
            b'\\' => return Back::Unclear,
            b'/' if comment_ends && i > floor && text[i - 1] == b'*' => {
                return balanced(Back::CommentEnd(i), open_parens);
            }
            b'*' if (i > floor && text[i - 1] == b'/') || text.get(i + 1) == Some(&b'/') => {
                return Back::Unclear
            }
            b')' => open_parens += 1,
            b'(' => open_parens = open_parens.saturating_sub(1),
            _ => {}
        }
    }
    balanced(Back::Floor, open_parens)
}

/// Whether an attribute value may hold a `url(` at all: a cheap test before keeping it.
pub(super) fn may_hold_url(value: &[u8]) -> bool {
    let mut from = 0;
    while let Some(p) = value[from..].iter().position(|&b| b == b'(') {
        let at = from + p;
        if at >= 3 && value[at - 3..at].eq_ignore_ascii_case(b"url") {
            return true;
        }
        from = at + 1;
    }
    false
}

/// The identity of a class (`prefix` `.`) or id (`#`) name shared by selectors and the
/// walker's record of the main content's names (FNV-1a; a collision only keeps a rule).
pub(super) fn name_hash(prefix: u8, name: &[u8]) -> u64 {
    std::iter::once(prefix)
        .chain(name.iter().copied())
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
}

/// Whether a URL found in CSS can be a picture worth keeping.
fn is_picture_candidate(url: &str) -> bool {
    let url = url.trim_matches(|c: char| c.is_ascii_whitespace());
    if url.is_empty() || url.starts_with('#') {
        return false;
    }
    let scheme_end = url.find(':').unwrap_or(0);
    let scheme = &url[..scheme_end];
    if ["data", "javascript", "about", "blob"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(scheme))
    {
        return false;
    }
    if url.starts_with('?') || url.eq_ignore_ascii_case("undefined") || url == "null" {
        return false;
    }
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let last = path.rsplit('/').next().unwrap_or(path);
    let ext = last.rsplit_once('.').map_or("", |(_, e)| e);
    // The whole path without scheme and host: `/images/icons/virgo.svg` is an icon too.
    let path = match path.split_once("//") {
        Some((_, rest)) => rest.find('/').map_or("", |p| &rest[p..]),
        None => path,
    };
    let font_or_sheet = ["woff", "woff2", "ttf", "otf", "eot", "css", "htc"]
        .iter()
        .any(|e| e.eq_ignore_ascii_case(ext));
    let mut furniture = false;
    for_each_word(path.as_bytes(), |w| {
        furniture |= FURNITURE_FILE_WORDS
            .iter()
            .any(|f| f.as_bytes().eq_ignore_ascii_case(w));
    });
    !font_or_sheet && !furniture
}

/// Bytes that may change the scanner's state; every other byte is skipped in a tight loop.
const SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    let specials = b"{};:\"'/\\(@";
    while i < specials.len() {
        t[specials[i] as usize] = true;
        i += 1;
    }
    t
};

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

/// Where a declaration block's picture URLs go.
enum Block<'o> {
    /// A `style` attribute's declarations.
    Inline(&'o mut Vec<CssUrl>),
    /// A rule's, with its scope (`None` for theme: its URLs are dropped); nested rules go to
    /// the same list with their own.
    Rule {
        depth: usize,
        scope: Option<Scope>,
        out: &'o mut Vec<(Scope, CssUrl)>,
    },
}

impl Block<'_> {
    fn push(&mut self, url: CssUrl) {
        match self {
            Block::Inline(out) => out.push(url),
            Block::Rule {
                scope: Some(scope),
                out,
                ..
            } => out.push((scope.clone(), url)),
            Block::Rule { scope: None, .. } => {}
        }
    }
}

impl<'a> Scanner<'a> {
    fn new(b: &'a [u8]) -> Scanner<'a> {
        Scanner { b, i: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn starts_with(&self, s: &[u8]) -> bool {
        self.b.get(self.i..).is_some_and(|rest| rest.starts_with(s))
    }

    /// Advances to the next byte that may matter.
    fn skip_plain(&mut self) {
        while self.i < self.b.len() && !SPECIAL[self.b[self.i] as usize] {
            self.i += 1;
        }
    }

    /// Whitespace, comments and the `<!--`/`-->` a `<style>` may be wrapped in.
    fn skip_trivia(&mut self) {
        loop {
            while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                self.i += 1;
            }
            if self.starts_with(b"/*") {
                self.skip_comment();
            } else if self.starts_with(b"<!--") {
                self.i += 4;
            } else if self.starts_with(b"-->") {
                self.i += 3;
            } else {
                return;
            }
        }
    }

    /// At `/*`: past the closing `*/`, or to the end.
    fn skip_comment(&mut self) {
        let from = self.i + 2;
        self.i = match self.b.get(from..).and_then(|r| find(r, b"*/")) {
            Some(p) => from + p + 2,
            None => self.b.len(),
        };
    }

    /// At a quote: past the string. A raw newline ends a (bad) string, as in CSS.
    fn skip_string(&mut self) {
        let quote = self.b[self.i];
        self.i += 1;
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'\\' => self.i += 1,
                b'\n' => return,
                _ if c == quote => return,
                _ => {}
            }
        }
        self.i = self.i.min(self.b.len());
    }

    /// At a `{`: past its matching `}` (strings and comments respected), or to the end.
    fn skip_block(&mut self) {
        let mut depth = 0usize;
        while self.i < self.b.len() {
            self.skip_plain();
            let Some(c) = self.peek() else { return };
            match c {
                b'{' => depth += 1,
                b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.i += 1;
                        return;
                    }
                }
                b'"' | b'\'' => {
                    self.skip_string();
                    continue;
                }
                b'/' if self.starts_with(b"/*") => {
                    self.skip_comment();
                    continue;
                }
                b'\\' => self.i += 1,
                _ => {}
            }
            self.i += 1;
        }
    }

    /// A list of rules, up to the `}` that closes the enclosing block (consumed) or the end.
    fn rules(&mut self, depth: usize, out: &mut Vec<(Scope, CssUrl)>) {
        loop {
            self.skip_trivia();
            match self.peek() {
                None => return,
                Some(b'}') => {
                    self.i += 1;
                    if depth > 0 {
                        return;
                    }
                }
                Some(b'@') => self.at_rule(depth, out),
                Some(_) => self.qualified_rule(depth, out),
            }
        }
    }

    /// An at-rule: a statement (`@import …;`), a block of declarations (`@font-face`,
    /// `@page`: theme, as reading backwards finds their selector starts with `@`), or a block
    /// of rules, whatever its name (`@media`, `@supports`, `@layer`; `@keyframes` steps such
    /// as `from` or `50%` are no classes or ids).
    fn at_rule(&mut self, depth: usize, out: &mut Vec<(Scope, CssUrl)>) {
        let start = self.i;
        // The prelude (`media screen and (min-width: 40em)`, `import url(…)`): up to `{`/`;`.
        loop {
            self.skip_plain();
            match self.peek() {
                None => return,
                Some(b';') => {
                    self.i += 1;
                    return;
                }
                // The end of the enclosing block: left for the caller.
                Some(b'}') => return,
                Some(b'{') => break,
                Some(b'"' | b'\'') => self.skip_string(),
                Some(b'/') if self.starts_with(b"/*") => self.skip_comment(),
                Some(b'\\') => self.i += 2,
                Some(_) => self.i += 1,
            }
        }
        let name = self.b[start + 1..]
            .split(|&c| !(c.is_ascii_alphanumeric() || c == b'-' || c == b'_'))
            .next()
            .unwrap_or_default();
        let declarations = [
            &b"font-face"[..],
            b"page",
            b"counter-style",
            b"property",
            b"font-palette-values",
            b"viewport",
            b"-ms-viewport",
            b"color-profile",
        ]
        .iter()
        .any(|d| d.eq_ignore_ascii_case(name));
        if depth >= MAX_NESTING {
            self.skip_block();
        } else if declarations {
            self.rule_block(depth, start, out);
        } else {
            self.i += 1;
            self.rules(depth + 1, out);
        }
    }

    fn qualified_rule(&mut self, depth: usize, out: &mut Vec<(Scope, CssUrl)>) {
        let mut start = self.i;
        loop {
            self.skip_plain();
            match self.peek() {
                None => return,
                Some(b'{') => break,
                // The end of the enclosing block: left for the caller.
                Some(b'}') => return,
                // Junk before the selector (a stray declaration): the selector starts after it.
                Some(b';') => {
                    self.i += 1;
                    self.skip_trivia();
                    start = self.i;
                }
                Some(b'"' | b'\'') => self.skip_string(),
                Some(b'/') if self.starts_with(b"/*") => self.skip_comment(),
                Some(b'\\') => self.i += 2,
                Some(_) => self.i += 1,
            }
        }
        self.rule_block(depth, start, out);
    }

    /// At the `{` of a rule whose prelude starts at `start`: its declarations, and the rules
    /// nested in them (CSS nesting), each judged by its own selector.
    fn rule_block(&mut self, depth: usize, start: usize, out: &mut Vec<(Scope, CssUrl)>) {
        if depth >= MAX_NESTING {
            self.skip_block();
            return;
        }
        let prelude = self.b.get(start..self.i).unwrap_or_default().trim_ascii();
        let scope = rule_scope(prelude);
        self.i += 1;
        self.declarations(Block::Rule { depth, scope, out });
    }

    /// Declarations up to the `}` that closes the block (consumed), or the end of an inline
    /// style. Picture URLs of image properties go to the block's list.
    fn declarations(&mut self, mut block: Block<'_>) {
        loop {
            self.skip_trivia();
            let start = self.i;
            // The property name, up to `:`.
            loop {
                self.skip_plain();
                match self.peek() {
                    None => return,
                    Some(b':' | b';' | b'{' | b'}') => break,
                    Some(b'"' | b'\'') => self.skip_string(),
                    Some(b'/') if self.starts_with(b"/*") => self.skip_comment(),
                    Some(b'\\') => self.i += 2,
                    Some(_) => self.i += 1,
                }
            }
            match self.peek() {
                Some(b':') => {
                    let property = ImageProperty::of(self.b[start..self.i].trim_ascii());
                    self.i += 1;
                    self.value(property, start, &mut block);
                }
                Some(b';') => self.i += 1,
                Some(b'{') => self.nested_rule(start, &mut block),
                Some(b'}') => {
                    self.i += 1;
                    if !matches!(block, Block::Inline(_)) {
                        return;
                    }
                }
                _ => return,
            }
        }
    }

    /// At the `{` of a rule nested among declarations, its selector starting at `start`.
    /// An inline style has none: the block is skipped.
    fn nested_rule(&mut self, start: usize, block: &mut Block<'_>) {
        match block {
            Block::Inline(_) => self.skip_block(),
            Block::Rule { depth, out, .. } => self.rule_block(*depth + 1, start, out),
        }
    }

    /// A declaration's value, up to `;` (consumed) or the block's `}` (left). A `{` makes the
    /// declaration, from `start`, the selector of a nested rule (`a:hover { … }`).
    fn value(&mut self, property: Option<ImageProperty>, start: usize, block: &mut Block<'_>) {
        loop {
            self.skip_plain();
            match self.peek() {
                None | Some(b'}') => return,
                Some(b';') => {
                    self.i += 1;
                    return;
                }
                Some(b'{') => {
                    self.nested_rule(start, block);
                    return;
                }
                Some(b'"' | b'\'') => self.skip_string(),
                Some(b'/') if self.starts_with(b"/*") => self.skip_comment(),
                Some(b'\\') => self.i += 2,
                Some(b'(') => {
                    let is_url = self.i >= 3
                        && self.b[self.i - 3..self.i].eq_ignore_ascii_case(b"url")
                        && (self.i == 3 || !is_name_byte(self.b[self.i - 4]));
                    self.i += 1;
                    if is_url {
                        let url = self.url_body();
                        if let (Some(property), Some(url)) = (property, url) {
                            if is_picture_candidate(&url) {
                                block.push(CssUrl { property, url });
                            }
                        }
                    }
                }
                Some(_) => self.i += 1,
            }
        }
    }

    /// After `url(`: the URL, unescaped, and the scanner past the closing `)`. `None` for a
    /// bad URL (a quote, parenthesis or newline escape where CSS forbids one), as browsers
    /// drop those too.
    fn url_body(&mut self) -> Option<String> {
        let mut out = Vec::new();
        self.url_value(Some(&mut out))
            .then(|| String::from_utf8_lossy(&out).into_owned())
    }

    /// After `url(`: past the value and its closing `)`, the unescaped URL appended to `out`
    /// if asked for; false for a bad URL. Runs of plain bytes are copied (or skipped) whole:
    /// inlined fonts and pictures make values of hundreds of KiB.
    fn url_value(&mut self, mut out: Option<&mut Vec<u8>>) -> bool {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
        let mut bad = false;
        if let Some(quote @ (b'"' | b'\'')) = self.peek() {
            self.i += 1;
            loop {
                self.copy_run(&mut out, |c| c == quote || c == b'\\' || c == b'\n');
                match self.peek() {
                    None => break,
                    Some(b'\n') => {
                        bad = true;
                        break;
                    }
                    Some(b'\\') => self.escape_into(&mut out, true),
                    Some(_) => {
                        self.i += 1;
                        break;
                    }
                }
            }
            while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                self.i += 1;
            }
            bad |= self.peek().is_some_and(|c| c != b')');
        } else {
            loop {
                self.copy_run(&mut out, |c| {
                    matches!(c, b')' | b'\\' | b'"' | b'\'' | b'(') || c.is_ascii_whitespace()
                });
                match self.peek() {
                    None | Some(b')') => break,
                    Some(b'\\') if self.b.get(self.i + 1) == Some(&b'\n') => {
                        bad = true;
                        break;
                    }
                    Some(b'\\') => self.escape_into(&mut out, false),
                    Some(b'"' | b'\'' | b'(') => {
                        bad = true;
                        break;
                    }
                    Some(_) => {
                        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                            self.i += 1;
                        }
                        bad |= self.peek().is_some_and(|c| c != b')');
                        break;
                    }
                }
            }
        }
        // Past the closing parenthesis (a bad URL's remnants included), linear: no rescans.
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b')' => break,
                b'\\' => self.i += 1,
                _ => {}
            }
        }
        self.i = self.i.min(self.b.len());
        !bad
    }

    /// Advances over bytes until one that `stop` picks, copying them to `out` if asked for.
    fn copy_run(&mut self, out: &mut Option<&mut Vec<u8>>, stop: impl Fn(u8) -> bool) {
        let rest = self.b.get(self.i..).unwrap_or_default();
        let run = rest.iter().position(|&c| stop(c)).unwrap_or(rest.len());
        if let Some(out) = out {
            out.extend_from_slice(&rest[..run]);
        }
        self.i += run;
    }

    fn escape_into(&mut self, out: &mut Option<&mut Vec<u8>>, in_string: bool) {
        match out {
            Some(out) => self.escape(out, in_string),
            None => self.escape(&mut Vec::new(), in_string),
        }
    }

    /// At a backslash: appends the escaped character. In a string, an escaped newline is a
    /// line continuation and adds nothing.
    fn escape(&mut self, out: &mut Vec<u8>, in_string: bool) {
        self.i += 1;
        let Some(c) = self.peek() else { return };
        if c == b'\n' && in_string {
            self.i += 1;
            return;
        }
        if !c.is_ascii_hexdigit() {
            // The next byte stands for itself (a multi-byte character's tail follows as-is).
            out.push(c);
            self.i += 1;
            return;
        }
        let start = self.i;
        while self.i < self.b.len() && self.i - start < 6 && self.b[self.i].is_ascii_hexdigit() {
            self.i += 1;
        }
        let hex = std::str::from_utf8(&self.b[start..self.i]).unwrap_or("0");
        let code = u32::from_str_radix(hex, 16).unwrap_or(0);
        let ch = char::from_u32(code)
            .filter(|&c| c != '\0')
            .unwrap_or(char::REPLACEMENT_CHARACTER);
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        // One whitespace after a hex escape belongs to it.
        if self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c >= 0x80
}

/// Element names that are page furniture wherever they appear in a selector.
const FURNITURE_ELEMENTS: &[&str] = &[
    "header", "footer", "nav", "aside", "button", "input", "select", "textarea", "form",
];
/// Words of class and id names that are page furniture (site chrome, ads, social buttons) or
/// the decoration of text (labels, quotes, dividers, arrows): a rule naming one anywhere in
/// its selector is theme.
const FURNITURE_WORDS: &[&str] = &[
    "logo",
    "logos",
    "nav",
    "navbar",
    "navigation",
    "menu",
    "header",
    "masthead",
    "footer",
    "sidebar",
    "widget",
    "icon",
    "icons",
    "avatar",
    "sprite",
    "ad",
    "ads",
    "advert",
    "advertisement",
    "leaderboard",
    "banner",
    "brand",
    "branding",
    "social",
    "share",
    "sharing",
    "facebook",
    "twitter",
    "linkedin",
    "whatsapp",
    "reddit",
    "pinterest",
    "instagram",
    "email",
    "print",
    "rss",
    "btn",
    "button",
    "search",
    "newsletter",
    "subscribe",
    "promo",
    "sponsor",
    "sponsored",
    "comment",
    "comments",
    "badge",
    "breadcrumb",
    "breadcrumbs",
    "toolbar",
    "topbar",
    "loader",
    "loading",
    "spinner",
    "label",
    "kicker",
    "headline",
    "title",
    "caption",
    "byline",
    "author",
    "quote",
    "pullquote",
    "divider",
    "separator",
    "arrow",
    "control",
    "close",
    "play",
    "star",
    "stars",
    "rating",
    "dialog",
    "modal",
    "popup",
    "tooltip",
    "prev",
    "previous",
    "next",
    "link",
    "links",
    "spacer",
    "subhead",
    "heading",
];
/// Words of a file name that say the picture is furniture.
const FURNITURE_FILE_WORDS: &[&str] = &[
    "logo",
    "logos",
    "icon",
    "icons",
    "favicon",
    "sprite",
    "sprites",
    "spacer",
    "blank",
    "pixel",
    "loader",
    "loading",
    "spinner",
    "arrow",
    "arrows",
    "bullet",
    "badge",
    "leaderboard",
    "banner",
];
/// Words of class and id names that name a picture of the content.
const PICTURE_WORDS: &[&str] = &[
    "hero",
    "cover",
    "gallery",
    "featured",
    "thumbnail",
    "thumb",
    "photo",
    "picture",
    "figure",
];
/// Pseudo-elements and interaction states: what they paint is decoration (an icon before a
/// byline, a quote mark, a hover sprite), never the article's picture.
const DECORATION_PSEUDOS: &[&str] = &[
    "before",
    "after",
    "marker",
    "placeholder",
    "selection",
    "first-letter",
    "first-line",
    "backdrop",
    "hover",
    "focus",
    "focus-within",
    "focus-visible",
    "active",
    "visited",
];

/// Whose rule a selector list is (see the module doc): `None` for theme and decoration.
fn scope_of(selector: &[u8]) -> Option<Scope> {
    let mut content = false;
    let mut names = Vec::new();
    for complex in split_top_level(selector, b',') {
        let mut subject_names = Vec::new();
        let parts = selector_parts(complex);
        let subject = parts.iter().map(|p| p.compound).max().unwrap_or(0);
        let is_in = |list: &[&str], name: &[u8]| {
            list.iter().any(|w| w.as_bytes().eq_ignore_ascii_case(name))
        };
        for part in &parts {
            match part.kind {
                b'.' | b'#' => {
                    let mut furniture = false;
                    let mut picture = false;
                    for_each_word(part.name, |w| {
                        furniture |= is_in(FURNITURE_WORDS, w);
                        picture |= is_in(PICTURE_WORDS, w);
                    });
                    if furniture {
                        return None;
                    }
                    if part.compound == subject {
                        content |= picture;
                        subject_names.push(name_hash(part.kind, part.name));
                    }
                }
                b':' if part.compound == subject && is_in(DECORATION_PSEUDOS, part.name) => {
                    return None;
                }
                b':' => {}
                _ => {
                    // `body.single-post .hero` scopes a content rule; `body { … }` is theme.
                    let root = is_in(&["html", "body"], part.name);
                    if is_in(FURNITURE_ELEMENTS, part.name) || (root && part.compound == subject) {
                        return None;
                    }
                }
            }
        }
        if !subject_names.is_empty() {
            names.push(subject_names);
        }
    }
    if content {
        Some(Scope::Content)
    } else if names.is_empty() {
        None
    } else {
        Some(Scope::Names(names))
    }
}

/// A type (`kind` 0), class (`.`), id (`#`) or pseudo-class/element (`:`) name of a selector,
/// and which compound selector (counted from 0 between combinators) it is in.
struct Part<'a> {
    kind: u8,
    name: &'a [u8],
    compound: usize,
}

/// The names a complex selector is made of. Attribute selectors and strings are skipped;
/// a pseudo-class's arguments (`:is(.hero, .cover)`) count as part of its compound.
fn selector_parts(sel: &[u8]) -> Vec<Part<'_>> {
    let mut parts = Vec::new();
    let mut compound = 0;
    let mut parens = 0usize;
    let mut i = 0;
    // Whether the previous byte separated compounds (start, whitespace, combinator, `(`).
    let mut at_compound_start = true;
    while i < sel.len() {
        let c = sel[i];
        match c {
            b'.' | b'#' => {
                let start = i + 1;
                i = start;
                while i < sel.len() && is_name_byte(sel[i]) {
                    i += 1;
                }
                parts.push(Part {
                    kind: c,
                    name: &sel[start..i],
                    compound,
                });
                at_compound_start = false;
                continue;
            }
            b'[' => {
                while i < sel.len() && sel[i] != b']' {
                    if matches!(sel[i], b'"' | b'\'') {
                        i = skip_quoted(sel, i);
                        continue;
                    }
                    i += 1;
                }
            }
            b'"' | b'\'' => {
                i = skip_quoted(sel, i);
                continue;
            }
            // A comment is nothing at all: `.a/**/.b` is `.a.b`.
            b'/' if sel.get(i + 1) == Some(&b'*') => {
                i = match sel[i + 2..].windows(2).position(|w| w == b"*/") {
                    Some(p) => i + 2 + p + 2,
                    None => sel.len(),
                };
                continue;
            }
            b':' => {
                while i < sel.len() && sel[i] == b':' {
                    i += 1;
                }
                let start = i;
                while i < sel.len() && is_name_byte(sel[i]) {
                    i += 1;
                }
                parts.push(Part {
                    kind: b':',
                    name: &sel[start..i],
                    compound,
                });
                at_compound_start = false;
                continue;
            }
            b'>' | b'+' | b'~' => {
                if !at_compound_start && parens == 0 {
                    compound += 1;
                }
                at_compound_start = true;
            }
            // A pseudo-class's arguments belong to its compound: `body:not(.home)` is `body`.
            b'(' => {
                parens += 1;
                at_compound_start = true;
            }
            b')' => {
                parens = parens.saturating_sub(1);
                at_compound_start = false;
            }
            _ if c.is_ascii_whitespace() => {
                if !at_compound_start && parens == 0 {
                    compound += 1;
                }
                at_compound_start = true;
            }
            _ if is_name_byte(c) && at_compound_start => {
                let start = i;
                while i < sel.len() && is_name_byte(sel[i]) {
                    i += 1;
                }
                parts.push(Part {
                    kind: 0,
                    name: &sel[start..i],
                    compound,
                });
                at_compound_start = false;
                continue;
            }
            _ => at_compound_start = false,
        }
        i += 1;
    }
    parts
}

fn skip_quoted(s: &[u8], at: usize) -> usize {
    let quote = s[at];
    let mut i = at + 1;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 1,
            c if c == quote => return i + 1,
            _ => {}
        }
        i += 1;
    }
    s.len()
}

/// Splits on `sep` outside parentheses and strings.
fn split_top_level(s: &[u8], sep: u8) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b'"' | b'\'' => {
                i = skip_quoted(s, i);
                continue;
            }
            c if c == sep && depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&s[start..]);
    out
}

/// Calls `f` with each word of a class or id name: split at `-`, `_` and lower-to-upper
/// case changes (`mainNav` is `main`, `Nav`).
fn for_each_word(name: &[u8], mut f: impl FnMut(&[u8])) {
    let mut start = 0;
    for i in 0..=name.len() {
        let boundary = i == name.len()
            || !name[i].is_ascii_alphanumeric()
            || (i > start && name[i].is_ascii_uppercase() && name[i - 1].is_ascii_lowercase());
        if boundary {
            if i > start {
                f(&name[start..i]);
            }
            start = if i < name.len() && name[i].is_ascii_alphanumeric() {
                i
            } else {
                i + 1
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(style: &str) -> Vec<(ImageProperty, String)> {
        declaration_urls(style.as_bytes())
            .into_iter()
            .map(|u| (u.property, u.url))
            .collect()
    }

    /// The main content's names, for tests: these classes (`.x`) and ids (`#x`).
    struct Main(Vec<u64>);

    impl Main {
        fn of(names: &[&str]) -> Main {
            Main(
                names
                    .iter()
                    .map(|n| name_hash(n.as_bytes()[0], &n.as_bytes()[1..]))
                    .collect(),
            )
        }
    }

    impl Main {
        /// The URLs of `found` whose rule is the article's on a page with these names.
        fn keep(&self, found: Vec<(Scope, CssUrl)>) -> Vec<String> {
            let all_in = |names: &Vec<u64>| names.iter().all(|n| self.0.contains(n));
            found
                .into_iter()
                .filter(|(scope, _)| match scope {
                    Scope::Content => true,
                    Scope::Names(selectors) => selectors.iter().any(all_in),
                })
                .map(|(_, u)| u.url)
                .collect()
        }
    }

    fn sheet_in(css: &str, main: &Main) -> Vec<String> {
        main.keep(style_sheet_urls(css.as_bytes()))
    }

    fn sheet(css: &str) -> Vec<String> {
        sheet_in(css, &Main::of(&[".el-1", "#p2"]))
    }

    #[test]
    fn inline_urls_quoted_unquoted_and_escaped() {
        use ImageProperty::*;
        assert_eq!(
            urls(
                r#"color: red; BACKGROUND-IMAGE: url( "a b.jpg" ), url('c.png');
                   background: #fff url(d\).jpg) no-repeat; list-style-image:url(e\2c f.gif);
                   mask-image: url(no.svg); cursor: url(no.cur), auto; content: url(g.png)"#
            ),
            [
                (BackgroundImage, "a b.jpg".to_owned()),
                (BackgroundImage, "c.png".to_owned()),
                (Background, "d).jpg".to_owned()),
                (ListStyleImage, "e,f.gif".to_owned()),
                (Content, "g.png".to_owned()),
            ]
        );
    }

    #[test]
    fn bad_urls_data_fonts_and_fragments_are_dropped() {
        assert!(urls(r#"background: url(a"b.jpg) url(c d.jpg)"#).is_empty());
        assert!(urls("background: url(data:image/png;base64,AAAA)").is_empty());
        assert!(urls("background: url(#grad) url(x.woff2?v=1) url(s.css)").is_empty());
        assert!(
            urls("background: url(?w=900) url(undefined) url(/img/site-logo@2x.png)").is_empty()
        );
        assert!(urls("background: url(GetSprite.ashx?p=1) url(/a/arrow_left.svg)").is_empty());
        assert!(urls("background: url(https://logo.example/images/icons/virgo.svg)").is_empty());
        assert_eq!(urls("background: url(/uploads/iconic-photo.jpg)").len(), 1);
        assert_eq!(urls("background: url(//icon.example/photo.jpg)").len(), 1);
        assert!(urls("background: myurl(x.jpg) url(").is_empty());
        // A comment or string holding `url(` is not a declaration value's URL.
        assert!(urls(r#"/* background: url(a.jpg) */ content: "url(b.jpg)""#).is_empty());
    }

    #[test]
    fn rules_are_kept_by_selector() {
        let main = Main::of(&[".el-3f2a", ".y", ".z", ".wrap"]);
        let got = sheet_in(
            r#"<!-- @import url(theme-import.jpg); @charset "utf-8";
            @font-face { font-family: X; src: url(font.woff2) format("woff2"), url(font.png) }
            body { background: url(body.jpg) }
            header .logo, .x { background-image: url(logo.png) }
            .site-header { background: url(header.jpg) }
            #mainNav li { list-style-image: url(bullet.png) }
            .content blockquote, article, figure { background: url(quote.png) }
            .story-byline:before, .hero:hover { background: url(icon.png) }
            @keyframes k { from { background: url(frame.jpg) } }
            article .hero { background-image: url("hero.jpg") }
            @media (min-width: 40em) { .post-cover { background: url(cover.jpg) } }
            body.single-post .gallery-item:nth-child(2) { background: url(g2.jpg) }
            .wrap .el-3f2a, #x42 > span, .y:is(.z) { background: url(builder.jpg); color: red }
            .plain { color: red }
            .el-3f2a.other { background: url(not-all-names-in-main.jpg) }
            p::before { content: url(no-names.png) } -->"#,
            &main,
        );
        assert_eq!(got, ["hero.jpg", "cover.jpg", "g2.jpg", "builder.jpg"]);
        assert_eq!(
            scope_of(b".wrap .el-3f2a, #x42 > span, .y:is(.z)"),
            Some(Scope::Names(vec![
                vec![name_hash(b'.', b"el-3f2a")],
                vec![name_hash(b'.', b"y"), name_hash(b'.', b"z")]
            ]))
        );
    }

    #[test]
    fn words_split_at_dashes_underscores_and_humps() {
        let mut words = Vec::new();
        for_each_word(b"mainNav__item-X", |w| {
            words.push(String::from_utf8_lossy(w).into_owned())
        });
        assert_eq!(words, ["main", "Nav", "item", "X"]);
        assert_eq!(
            scope_of(b".adventure"),
            Some(Scope::Names(vec![vec![name_hash(b'.', b"adventure")]]))
        );
        assert_eq!(scope_of(b".ad-slot"), None);
        assert_eq!(scope_of(b".PhotoGrid"), Some(Scope::Content));
    }

    #[test]
    fn unterminated_input_ends_cleanly() {
        for css in [
            ".hero{background:url(",
            ".hero{background:url('a.jpg",
            ".hero{background:url(a.jpg",
            "@media{",
            "/*",
            "\"",
            ".hero{background:url(a.jpg)\\",
            "}}}}{{{{",
        ] {
            let _ = sheet(css);
            let _ = urls(css);
        }
        assert_eq!(sheet(".hero{background:url(a.jpg"), ["a.jpg"]);
    }

    /// The full scan of a sheet, without reading backwards first.
    fn full_scan(css: &str) -> Vec<(Scope, CssUrl)> {
        let mut out = Vec::new();
        Scanner::new(css.as_bytes()).rules(0, &mut out);
        out
    }

    /// Reading backwards, or the full scan when it cannot.
    fn either(css: &str) -> Vec<(Scope, CssUrl)> {
        style_sheet_urls(css.as_bytes())
    }

    #[test]
    fn reading_backwards_finds_what_the_full_scan_finds() {
        // Hand-picked traps: comments and strings holding `;`, braces or `url(`, a `;` inside
        // a data URL before the real one, escapes, nesting, at-rules.
        let traps = [
            ".hero { /* ; } */ background: url(a.jpg) }",
            ".hero { content: \"}\"; background: url(a.jpg) }",
            ".x { font-family: \"A;B\" } .hero { background: url(a.jpg) }",
            ".hero { background: url(data:image/png;base64,AA), url(b.jpg) }",
            ".hero { background: url(\"a\\).jpg\") }",
            "/* x; .logo { */ .hero { background: url(a.jpg) }",
            "@import url(theme.css); .hero { background: url(a.jpg) }",
            "@media (x) { .logo { background: url(l.jpg) } .hero { background: url(a.jpg) } }",
            ".hero[data-x=\"{\"] { background: url(a.jpg) }",
            "a::before { content: \"url(x.jpg)\" } .hero { list-style: url(a.jpg) }",
            ".hero { background: URL(a.jpg) }",
            ".hero\\:x { background: url(a.jpg) }",
            "/* the builder's */ .el-1 { background: url(a.jpg) }",
            "/* x */ #p2, .other { background: url(a.jpg) }",
            ".el-1 { color: red; /* } */ background: url(a.jpg) }",
            ".hero { url(src: red;; content: url('b.png'); }",
            ".hero { src: url(data:font/woff2;base64,AAAA) format(\"woff2\"); background: url(a.jpg) }",
            "/* a /* b */ .hero { background: url(a.jpg) }",
        ];
        let main = Main::of(&[".el-1", "#p2"]);
        for css in traps {
            assert!(!main.keep(full_scan(css)).is_empty(), "{css}");
            assert_eq!(either(css), full_scan(css), "{css}");
        }
        // Sheets where a short cut would go wrong, found by the random sheets below: an
        // escaped `/*`, a string of one kind of quote holding the other, a broken string.
        for css in [
            "/* c */ .el-1 { \\/*/background: red/*/; } .hero { background: url(a.jpg) }",
            "[x='\"b { c: '1\"; } #p2 { background: url('b.png')[x='; } ",
            "#p2 { content': red\n; content: \"s;}\"[x='; } .el-1 { background: url(a.jpg) }",
        ] {
            assert_eq!(either(css), full_scan(css), "{css}");
        }
        // A nested rule is read by its own selector, in both.
        let nested = ".a { color: red; .hero { background: url(a.jpg) } a:hover { x: y } }";
        assert_eq!(either(nested), full_scan(nested));
        assert!(read_backwards(nested.as_bytes()).is_some());
        assert_eq!(main.keep(either(nested)), ["a.jpg"]);
        // Random sheets of rules with random noise (quotes, strings, comment marks, escapes,
        // newlines, stray braces and parentheses) dropped in: both readings agree.
        let selectors = [
            ".hero",
            ".logo",
            "body",
            "article .x",
            ".el-1",
            "#p2",
            "/* c */ .el-1",
            "@font-face",
        ];
        let properties = ["background", "content", "color", "src", "list-style-image"];
        let values = [
            "url(a.jpg)",
            "url(data:x;y)",
            "url('b.png')",
            "red",
            "\"s;}\"",
            "1px/2",
        ];
        let noise = [
            "\"",
            "'",
            "\"q;}\"",
            "'q{'",
            "/*",
            "*/",
            "\\",
            "(",
            ")",
            "{",
            "}",
            ";",
            "@media (a) {",
            "*",
            "/",
            "/*/",
            "url(",
            " ",
            ",",
            ":not(",
            "[x='",
            "]",
            "\n",
        ];
        let mut rng = fastrand::Rng::with_seed(14);
        let mut found = 0;
        for _ in 0..20_000 {
            let mut css = String::new();
            for _ in 0..rng.usize(1..4) {
                let mut parts = vec![selectors[rng.usize(..selectors.len())], " { "];
                for _ in 0..rng.usize(1..4) {
                    parts.extend([
                        properties[rng.usize(..properties.len())],
                        ": ",
                        values[rng.usize(..values.len())],
                        "; ",
                    ]);
                }
                parts.push("} ");
                for _ in 0..rng.usize(0..4) {
                    let at = rng.usize(..=parts.len());
                    parts.insert(at, noise[rng.usize(..noise.len())]);
                }
                css.extend(parts);
            }
            let full = full_scan(&css);
            found += usize::from(!main.keep(full.clone()).is_empty());
            assert_eq!(either(&css), full, "{css:?}");
        }
        assert!(
            found > 2_000,
            "only {found} sheets with pictures: the test tests nothing"
        );
        // A theme sheet is read backwards, comments between rules included.
        let theme = b"@font-face{src:url(f.woff2)} body{background:url(b.jpg)} /* c */ \
            .logo{background:url(l.png)} .x{background:url(data:a;b)} .hero{background:url(c.jpg)}";
        let got = read_backwards(theme).map(|found| main.keep(found));
        assert_eq!(got, Some(vec!["c.jpg".to_owned()]));
    }

    #[test]
    fn hostile_sheets_stay_linear() {
        // Deeply nested at-rules, unbalanced braces, and a million `url(` in one rule.
        let nested = "@media x{".repeat(100_000);
        assert!(sheet(&nested).is_empty());
        let braces = "{".repeat(1_000_000);
        assert!(sheet(&braces).is_empty());
        let many = format!(".hero{{background:{}}}", "url(a.jpg),".repeat(100_000));
        assert_eq!(sheet(&many).len(), 100_000);
        // 100,000 theme rules with a `url(` each: read backwards, each once.
        let theme = ".logo{background:url(l.png)}".repeat(100_000);
        assert_eq!(read_backwards(theme.as_bytes()), Some(Vec::new()));
        let comments = "/*".repeat(500_000);
        assert!(sheet(&comments).is_empty());
    }
}
