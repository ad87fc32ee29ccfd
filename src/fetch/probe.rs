//! Soft-404 probes: the made-up sibling of a URL. For `/videos/abc123` it is `/videos/<random>`;
//! for a query-addressed resource (`watch?v=…`) it is a random value of the identifying
//! parameter. If the made-up address serves the same page as the real one, the real one is dead.

use url::Url;

/// Query parameters that identify the resource (a video id, an article id).
const ID_PARAMS: &[&str] = &[
    "v",
    "id",
    "video_id",
    "vid",
    "videoid",
    "p",
    "story_fbid",
    "article",
    "articleid",
    "item",
    "itemid",
    "fbid",
];

/// The probe URL and the key under which its answer is shared (one probe per site section).
pub(super) fn sibling(url: &Url) -> Option<(String, Url)> {
    let origin = url.origin().ascii_serialization();
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    if let Some(pos) = pairs
        .iter()
        .position(|(k, v)| ID_PARAMS.contains(&k.to_ascii_lowercase().as_str()) && !v.is_empty())
    {
        let mut probe = url.clone();
        let len = pairs[pos].1.chars().count().clamp(8, 32);
        let fake = random_token(len);
        {
            let mut q = probe.query_pairs_mut();
            q.clear();
            for (i, (k, v)) in pairs.iter().enumerate() {
                q.append_pair(k, if i == pos { &fake } else { v });
            }
        }
        crate::urlkey::normalize(&mut probe);
        let key = format!("{origin}{}?{}", url.path(), pairs[pos].0);
        return Some((key, probe));
    }
    let path = url.path();
    let trailing_slash = path.ends_with('/') && path.len() > 1;
    let trimmed = path.trim_end_matches('/');
    let cut = trimmed.rfind('/')?;
    let (parent, last) = (&trimmed[..cut], &trimmed[cut + 1..]);
    if last.is_empty() {
        return None;
    }
    let ext = match last.rfind('.') {
        Some(i)
            if last.len() - i <= 6 && last[i + 1..].chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            &last[i..]
        }
        _ => "",
    };
    let fake = random_token(16);
    let mut probe = url.clone();
    probe.set_path(&format!(
        "{parent}/{fake}{ext}{}",
        if trailing_slash { "/" } else { "" }
    ));
    probe.set_query(None);
    crate::urlkey::normalize(&mut probe);
    let key = format!("{origin}{parent}/*{ext}");
    Some((key, probe))
}

fn random_token(len: usize) -> String {
    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut s = String::from("lvq");
    while s.len() < len.max(8) {
        s.push(ALNUM[fastrand::usize(..ALNUM.len())] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_last_segment_keeping_extension_and_slash() {
        let (key, p) =
            sibling(&Url::parse("https://s.example/news/2018/idlib.html?utm=x").unwrap()).unwrap();
        assert!(
            p.path().starts_with("/news/2018/lvq") && p.path().ends_with(".html"),
            "{p}"
        );
        assert_eq!(p.query(), None);
        assert_eq!(key, "https://s.example/news/2018/*.html");
        let (_, p) = sibling(&Url::parse("https://s.example/a/b/").unwrap()).unwrap();
        assert!(
            p.path().starts_with("/a/lvq") && p.path().ends_with('/'),
            "{p}"
        );
    }

    #[test]
    fn randomises_the_identifying_query_parameter() {
        let (key, p) =
            sibling(&Url::parse("https://video.example/watch?v=dQw4w9WgXcQ&t=10").unwrap())
                .unwrap();
        let v: Vec<_> = p.query_pairs().collect();
        assert_eq!(v[0].0, "v");
        assert_ne!(v[0].1, "dQw4w9WgXcQ");
        assert_eq!(v[1], ("t".into(), "10".into()));
        assert_eq!(key, "https://video.example/watch?v");
    }

    #[test]
    fn root_has_no_sibling() {
        assert!(sibling(&Url::parse("https://s.example/").unwrap()).is_none());
    }
}
