//! Robust Links: rewrite an article so each reference linkvault holds a snapshot of carries
//! `data-versionurl` (its memento on `linkvault serve`) and `data-versiondate`, so a published
//! article carries its own way back. Only start tags of `a`, `img`, `video`, `audio`, `source`
//! and `iframe` are touched, and only by inserting attributes; every other byte is kept.

use url::Url;

use crate::clock;
use crate::db::{Db, DbError};
use crate::extract::{extract_html, ExtractOptions};
use crate::report::html::escape;

/// Returns the rewritten HTML and how many links were annotated.
pub fn robustify(db: &Db, html: &[u8], base: &str) -> Result<(Vec<u8>, usize), DbError> {
    let text = String::from_utf8_lossy(html);
    // The document's own base (base href / canonical), as extraction resolves references.
    let ex = extract_html(
        html,
        None,
        &ExtractOptions {
            whole_page: true,
            include_links: true,
        },
    );
    let doc_base = ex.base.clone();
    let base = base.trim_end_matches('/');
    let mut out = String::with_capacity(text.len() + 1024);
    let mut rest: &str = &text;
    let mut annotated = 0;
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
            &mut annotated,
        )?);
        rest = &tag[end..];
    }
    out.push_str(rest);
    Ok((out.into_bytes(), annotated))
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
    n: &mut usize,
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
    let resolved = match doc_base {
        Some(b) => b.join(value.trim()),
        None => Url::parse(value.trim()),
    };
    let Ok(mut url) = resolved else {
        return Ok(tag.to_string());
    };
    url.set_fragment(None);
    let Some(snap) = db.mementos(url.as_str())?.pop() else {
        return Ok(tag.to_string());
    };
    *n += 1;
    let extra = format!(
        " data-versionurl=\"{}\" data-versiondate=\"{}\"",
        escape(&format!(
            "{base}/{}/{}",
            clock::format_compact(snap.captured_at),
            url
        )),
        &clock::format(snap.captured_at)[..10]
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
