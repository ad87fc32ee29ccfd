//! Robust Links: rewrite an article so each reference linkvault holds a snapshot of carries
//! `data-versionurl` (its memento on `linkvault serve`) and `data-versiondate`, so a published
//! article carries its own way back. Only start tags of `a`, `img`, `video`, `audio`, `source`
//! and `iframe` are touched, and only by inserting attributes; every other byte is kept.

use url::Url;

use crate::clock;
use crate::db::{Db, DbError};
use crate::extract::{extract_html, ExtractOptions};
use crate::text::html_escape as escape;

/// The rewritten article, and what happened to each link.
#[derive(Debug, Clone, Default)]
pub struct Robustified {
    /// The article's bytes with the attributes inserted.
    pub html: Vec<u8>,
    /// Links given `data-versionurl` and `data-versiondate`.
    pub annotated: u64,
    /// Links left as they were, and why.
    pub skipped: Vec<(String, String)>,
}

/// Rewrites `html`: links resolve against the document's own base (`<base href>`, canonical
/// URL), else `doc_url`; version URLs point at `base_url` (where `linkvault serve` is read).
pub fn robustify(
    db: &Db,
    html: &[u8],
    doc_url: Option<&Url>,
    base_url: &str,
) -> Result<Robustified, DbError> {
    let text = String::from_utf8_lossy(html);
    // The document's own base (base href / canonical), as extraction resolves references.
    let ex = extract_html(
        html,
        doc_url,
        &ExtractOptions {
            whole_page: true,
            include_links: true,
        },
    );
    let doc_base = ex.base.clone();
    let base = base_url.trim_end_matches('/');
    let mut out = String::with_capacity(text.len() + 1024);
    let mut rest: &str = &text;
    let mut done = Robustified::default();
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let tag = &rest[lt..];
        let Some(end) = tag_end(tag) else {
            out.push_str(tag);
            rest = "";
            break;
        };
        let start_tag = &tag[..end];
        out.push_str(&annotate(
            db,
            start_tag,
            doc_base.as_ref(),
            base,
            &mut done,
        )?);
        rest = &tag[end..];
    }
    out.push_str(rest);
    done.html = out.into_bytes();
    Ok(done)
}

/// Index just past the `>` closing a tag starting at `s[0] == '<'`, honouring quotes.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

fn annotate(
    db: &Db,
    tag: &str,
    doc_base: Option<&Url>,
    base: &str,
    done: &mut Robustified,
) -> Result<String, DbError> {
    let name: String = tag[1..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    let attr = match name.as_str() {
        "a" => "href",
        "img" | "video" | "audio" | "source" | "iframe" => "src",
        _ => return Ok(tag.to_string()),
    };
    if tag.to_ascii_lowercase().contains("data-versionurl") {
        return Ok(tag.to_string());
    }
    let Some(value) = attribute(tag, attr) else {
        return Ok(tag.to_string());
    };
    let value = value.trim();
    if value.is_empty() || value.starts_with('#') {
        return Ok(tag.to_string());
    }
    let resolved = match doc_base {
        Some(b) => b.join(value),
        None => Url::parse(value),
    };
    let mut url = match resolved {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            done.skipped.push((
                value.to_string(),
                "a relative link, and the article names no base: give --base URL (where it was published)".into(),
            ));
            return Ok(tag.to_string());
        }
        Err(_) => return Ok(tag.to_string()),
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Ok(tag.to_string());
    }
    crate::urlkey::normalize(&mut url);
    let Some(snap) = db.mementos(url.as_str())?.pop() else {
        let why = match db.link_by_url(url.as_str())? {
            None => "not a reference in this archive (not cited by an archived article, or not yet run)".to_string(),
            Some(l) if l.snapshot.as_ref().is_some_and(|s| s.provenance.origin() == "memento") => "its only copy was rescued from a web archive: link to that archive's memento instead".to_string(),
            Some(l) if l.snapshot.is_some() => "the copy held is not a page body linkvault can serve as a memento (a video's media)".to_string(),
            Some(l) => format!(
                "no good capture held (it is {}{})",
                l.state,
                l.reason.map(|r| format!(" {r}")).unwrap_or_default()
            ),
        };
        done.skipped.push((url.to_string(), why));
        return Ok(tag.to_string());
    };
    done.annotated += 1;
    let extra = format!(
        " data-versionurl=\"{}\" data-versiondate=\"{}\"",
        escape(&format!(
            "{base}/{}/{}",
            clock::format_compact(snap.captured_at),
            url
        )),
        clock::format_date(snap.captured_at)
    );
    let close = if tag.ends_with("/>") {
        tag.len() - 2
    } else {
        tag.len() - 1
    };
    Ok(format!("{}{extra}{}", &tag[..close], &tag[close..]))
}

/// The (entity-decoded) value of attribute `name` in a start tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before = lower[..at].chars().last();
        if !before.is_some_and(|c| c.is_ascii_whitespace()) {
            continue;
        }
        let after = lower[from..].trim_start();
        let Some(after_eq) = after.strip_prefix('=') else {
            continue;
        };
        let offset = tag.len() - after_eq.len();
        let raw = tag[offset..].trim_start();
        let value = match raw.chars().next()? {
            q @ ('"' | '\'') => raw[1..].split(q).next()?,
            _ => raw
                .split(|c: char| c.is_ascii_whitespace() || c == '>')
                .next()?,
        };
        return Some(
            value
                .replace("&amp;", "&")
                .replace("&quot;", "\"")
                .replace("&#39;", "'"),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_attributes() {
        assert_eq!(tag_end("<a href=\"x>y\">t"), Some(14));
        assert_eq!(
            attribute("<a class=x href='/p?a=1&amp;b=2'>", "href").as_deref(),
            Some("/p?a=1&b=2")
        );
        assert_eq!(
            attribute("<img data-src=\"/lazy.png\" src=/real.png>", "src").as_deref(),
            Some("/real.png")
        );
        assert_eq!(attribute("<a name=top>", "href"), None);
    }
}
