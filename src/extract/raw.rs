//! A reference as the document writes it, before resolution: what the HTML walker and the
//! readers it hands text to (JSON-LD, CSS) produce, and what the walker resolves at the end.

use std::borrow::Cow;

use crate::model::Kind;

/// How a reference's kind is decided once its URL is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KindRule {
    /// The element says (an `<img>` is an image whatever its URL looks like).
    Element(Kind),
    /// The URL says if it can (`.png`, a YouTube watch page), else this.
    FromUrl(Kind),
    /// Only the URL can say; a URL that says nothing is not reported (the `url` of a
    /// schema.org `VideoObject` is a video file or a platform's video page, or else the page
    /// that shows it, usually the article itself).
    UrlOnly,
}

/// A reference as written in the document, before resolution.
#[derive(Debug)]
pub(super) struct RawRef {
    pub(super) value: String,
    pub(super) rule: KindRule,
    /// `img@src`, `json-ld[VideoObject.contentUrl]`, …: most are fixed, JSON-LD's name types.
    pub(super) found_in: Cow<'static, str>,
    pub(super) in_main: bool,
    /// `<meta>`, `<link rel=image_src>`, JSON-LD and `<style>` rules describe the whole
    /// document: never filtered by main content.
    pub(super) document_level: bool,
    /// For a `<style>` rule known only by the classes and ids of its subject: the index of
    /// those names in the walker's list; the picture is kept only if, for one selector of the
    /// rule, all of them are set on elements inside the marked main content.
    pub(super) needs_main_names: Option<usize>,
}

impl RawRef {
    /// A reference that describes the whole document (`<meta>`, JSON-LD, a `<style>` rule).
    pub(super) fn document(
        value: String,
        rule: KindRule,
        found_in: impl Into<Cow<'static, str>>,
    ) -> RawRef {
        RawRef {
            value,
            rule,
            found_in: found_in.into(),
            in_main: false,
            document_level: true,
            needs_main_names: None,
        }
    }

    /// A reference cited by an element, inside the main content or not.
    pub(super) fn element(
        value: String,
        rule: KindRule,
        found_in: impl Into<Cow<'static, str>>,
        in_main: bool,
    ) -> RawRef {
        RawRef {
            value,
            rule,
            found_in: found_in.into(),
            in_main,
            document_level: false,
            needs_main_names: None,
        }
    }
}
