//! Structured data in `<script type="application/ld+json">` (schema.org as JSON-LD): what a
//! page says about itself. Blocks come parsed by the HTML walker; this module only reads them.
//!
//! A block is an object, an array of objects, or an object whose `@graph` lists them. The
//! article's own node is the one typed as a kind of `Article` (or a `WebPage`/`Posting`), so a
//! date of the publisher, of a comment or of a breadcrumb is not taken for the article's.

use serde_json::Value;

/// Nodes are looked at this deep at most (real pages nest two or three levels).
const MAX_DEPTH: usize = 8;

/// The article's `key` (e.g. `datePublished`) as written, from the first node typed as an
/// article, else a web page, else any top-level node that has it.
pub(super) fn article_date(blocks: &[Value], key: &str) -> Option<String> {
    let mut nodes = Vec::new();
    for b in blocks {
        top_nodes(b, 0, &mut nodes);
    }
    let date = |n: &&Value| n.get(key).and_then(as_text);
    nodes
        .iter()
        .filter(|n| is_type(n, is_article_type))
        .find_map(date)
        .or_else(|| {
            nodes
                .iter()
                .filter(|n| is_type(n, |t| t.ends_with("WebPage")))
                .find_map(date)
        })
        .or_else(|| nodes.iter().find_map(date))
}

/// The nodes a block describes at its top: itself, the members of an array, or of `@graph`.
fn top_nodes<'a>(v: &'a Value, depth: usize, out: &mut Vec<&'a Value>) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Array(items) => items.iter().for_each(|i| top_nodes(i, depth + 1, out)),
        Value::Object(map) => {
            if let Some(graph) = map.get("@graph") {
                top_nodes(graph, depth + 1, out);
            }
            out.push(v);
        }
        _ => {}
    }
}

/// Whether the node's `@type` (a string or a list) satisfies `pred`.
fn is_type(node: &Value, pred: impl Fn(&str) -> bool) -> bool {
    match node.get("@type") {
        Some(Value::String(t)) => pred(short_type(t)),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .any(|t| pred(short_type(t))),
        _ => false,
    }
}

/// `http://schema.org/NewsArticle` and `schema:NewsArticle` are `NewsArticle`.
fn short_type(t: &str) -> &str {
    t.rsplit(['/', ':', '#']).next().unwrap_or(t)
}

fn is_article_type(t: &str) -> bool {
    t.ends_with("Article") || t.ends_with("Posting") || t == "Report" || t == "Review"
}

/// A date is a string, or (rarely) an object with `@value`.
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(m) => m.get("@value").and_then(Value::as_str).map(str::to_owned),
        Value::Array(items) => items.iter().find_map(as_text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_article_node_wins_over_other_nodes() {
        let blocks = [json!({"@context": "https://schema.org", "@graph": [
            {"@type": "Organization", "datePublished": "2001-01-01"},
            {"@type": "WebPage", "datePublished": "2018-09-16"},
            {"@type": ["NewsArticle"], "datePublished": "2018-09-15T10:00:00+02:00"}
        ]})];
        assert_eq!(
            article_date(&blocks, "datePublished").as_deref(),
            Some("2018-09-15T10:00:00+02:00")
        );
    }

    #[test]
    fn arrays_untyped_nodes_and_missing_keys() {
        let blocks = [json!([{"name": "x"}, {"datePublished": "2018-01-02"}])];
        assert_eq!(
            article_date(&blocks, "datePublished").as_deref(),
            Some("2018-01-02")
        );
        assert_eq!(article_date(&blocks, "dateCreated"), None);
        assert_eq!(
            article_date(&[json!("just a string")], "datePublished"),
            None
        );
    }
}
