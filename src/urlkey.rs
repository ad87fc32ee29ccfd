//! URL keys: the one form under which linkvault records a URL, and the one way a URL (or a
//! saved file's path) typed by a user is looked up.
//!
//! A fragment (`#section`) is never sent to a server, so two URLs that differ only in it are
//! one resource: every URL is recorded without it ([`normalize`]). Everything else stays as
//! the `url` crate parses it (scheme and host lowercased, default port dropped, path
//! percent-encoded), so what is stored is what is fetched.

use url::Url;

/// Makes `url` the form it is recorded under: its fragment removed.
pub fn normalize(url: &mut Url) {
    url.set_fragment(None);
}

/// `url` in the form it is recorded under.
pub fn keyed(mut url: Url) -> Url {
    normalize(&mut url);
    url
}

/// The keys a URL may be stored under: as given, and as recorded (parsed, without its
/// fragment).
pub fn url_keys(given: &str) -> Vec<String> {
    let mut keys = vec![given.to_string()];
    if let Ok(u) = Url::parse(given) {
        let recorded = keyed(u).to_string();
        if recorded != given {
            keys.push(recorded);
        }
    }
    keys
}

/// The keys a URL or path typed by a user may be stored under: [`url_keys`], and for a path
/// its absolute form, as saved-file articles are registered. Every command that finds a
/// reference or an article from user input (`history`, `report --article`, `export
/// --article`, `restore --url`, `remove`, `serve`) goes through this.
pub fn lookup_keys(typed: &str) -> Vec<String> {
    let mut keys = url_keys(typed);
    if Url::parse(typed).is_err() {
        // Registered files are canonical paths; a deleted one can only be made absolute.
        let path = std::fs::canonicalize(typed).or_else(|_| std::path::absolute(typed));
        if let Ok(p) = path {
            keys.push(p.to_string_lossy().into_owned());
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fragment_is_never_part_of_the_key() {
        let u = keyed(Url::parse("HTTPS://Example.org:443/a%20b?q=1#part").unwrap());
        assert_eq!(u.as_str(), "https://example.org/a%20b?q=1");
    }

    #[test]
    fn typed_urls_are_looked_up_as_given_and_as_recorded() {
        assert_eq!(
            url_keys("https://example.org/story#comments"),
            vec![
                "https://example.org/story#comments".to_string(),
                "https://example.org/story".to_string()
            ]
        );
        assert_eq!(
            url_keys("https://example.org/story"),
            vec!["https://example.org/story".to_string()]
        );
        assert_eq!(
            url_keys("HTTP://EXAMPLE.org"),
            vec![
                "HTTP://EXAMPLE.org".to_string(),
                "http://example.org/".to_string()
            ]
        );
    }

    #[test]
    fn a_typed_path_is_also_looked_up_absolute() {
        let keys = lookup_keys("saved/story.html");
        assert_eq!(keys[0], "saved/story.html");
        assert!(keys
            .last()
            .is_some_and(|k| k.ends_with("saved/story.html") && k.starts_with('/')));
    }
}
