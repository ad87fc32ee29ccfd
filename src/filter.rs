//! `[filter]`: which references are never fetched, checked or reported. Regular expressions on
//! the whole URL (`exclude`, `include`) and hosts with all their subdomains (`exclude_hosts`),
//! with lychee's semantics: a URL matching any `include` pattern is kept whatever excludes it.

use regex::RegexSet;
use url::Url;

/// Which references are never fetched (lychee's semantics: an `include` match wins over any
/// exclusion).
#[derive(Debug, Clone, Default)]
pub struct FilterConfig {
    /// Regular expressions on the whole URL.
    pub exclude: Vec<String>,
    /// Regular expressions on the whole URL; a match keeps it whatever excludes it.
    pub include: Vec<String>,
    /// Hosts excluded with all their subdomains.
    pub exclude_hosts: Vec<String>,
}

/// Why `[filter]` cannot be compiled.
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    /// A pattern is not a regular expression the `regex` crate reads.
    #[error("filter.{key}: `{pattern}` is not a valid regular expression: {message}")]
    BadPattern {
        /// The key it is listed under: `exclude` or `include`.
        key: &'static str,
        /// The pattern as written.
        pattern: String,
        /// The regex crate's explanation.
        message: String,
    },
}

/// The compiled filter; cheap to ask per URL.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    exclude: Option<RegexSet>,
    exclude_patterns: Vec<String>,
    include: Option<RegexSet>,
    /// Lowercase, without a trailing dot.
    hosts: Vec<String>,
}

impl Filter {
    /// Compiles `[filter]`; host names are compared lowercased, without a trailing dot.
    pub fn new(cfg: &FilterConfig) -> Result<Filter, FilterError> {
        Ok(Filter {
            exclude: compile("exclude", &cfg.exclude)?,
            exclude_patterns: cfg.exclude.clone(),
            include: compile("include", &cfg.include)?,
            hosts: cfg
                .exclude_hosts
                .iter()
                .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
        })
    }

    /// Whether the filter can exclude anything at all.
    pub fn is_empty(&self) -> bool {
        self.exclude.is_none() && self.hosts.is_empty()
    }

    /// Why `url` is excluded, or None when it is kept.
    pub fn excludes(&self, url: &Url) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let text = url.as_str();
        if self.include.as_ref().is_some_and(|set| set.is_match(text)) {
            return None;
        }
        if let Some(host) = url.host_str() {
            let host = host.trim_end_matches('.').to_ascii_lowercase();
            if let Some(h) = self
                .hosts
                .iter()
                .find(|h| host == **h || host.ends_with(&format!(".{h}")))
            {
                return Some(format!("host {h} is in filter.exclude_hosts"));
            }
        }
        let set = self.exclude.as_ref()?;
        let first = set.matches(text).iter().next()?;
        Some(format!(
            "matches filter.exclude `{}`",
            self.exclude_patterns[first]
        ))
    }
}

fn compile(key: &'static str, patterns: &[String]) -> Result<Option<RegexSet>, FilterError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    for p in patterns {
        if let Err(e) = regex::Regex::new(p) {
            return Err(FilterError::BadPattern {
                key,
                pattern: p.clone(),
                message: e.to_string(),
            });
        }
    }
    RegexSet::new(patterns)
        .map(Some)
        .map_err(|e| FilterError::BadPattern {
            key,
            pattern: patterns.join(" | "),
            message: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(exclude: &[&str], include: &[&str], hosts: &[&str]) -> Filter {
        let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        Filter::new(&FilterConfig {
            exclude: own(exclude),
            include: own(include),
            exclude_hosts: own(hosts),
        })
        .unwrap()
    }

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn include_wins_over_excludes_and_hosts_cover_subdomains() {
        let f = filter(
            &[r"\.pdf$", "^https://ads\\."],
            &["keep\\.pdf$"],
            &["tracker.example"],
        );
        assert!(f.excludes(&u("https://news.example/report.pdf")).is_some());
        assert_eq!(f.excludes(&u("https://news.example/keep.pdf")), None);
        assert!(f
            .excludes(&u("https://cdn.tracker.example/p.gif"))
            .unwrap()
            .contains("exclude_hosts"));
        assert_eq!(f.excludes(&u("https://nottracker.example/p.gif")), None);
        assert!(f
            .excludes(&u("https://ads.example/x"))
            .unwrap()
            .contains("^https://ads"));
        assert_eq!(f.excludes(&u("https://news.example/photo.jpg")), None);
    }

    #[test]
    fn a_bad_pattern_is_named() {
        let err = Filter::new(&FilterConfig {
            exclude: vec!["(unclosed".into()],
            ..FilterConfig::default()
        })
        .unwrap_err();
        assert!(
            err.to_string().contains("filter.exclude: `(unclosed`"),
            "{err}"
        );
    }
}
