//! Soft 404s: a deep HTML page that answers 200 with the same page a made-up sibling address
//! gets is a "not found" in disguise. One probe per site section per run, its answer kept in
//! the `Fetcher`'s probe cache.

use url::Url;

use super::answer::{Ask, Body, Sink};
use super::fetcher::Probed;
use super::similarity::{TextSignature, MAX_TEXT_BYTES, SOFT_404_SIMILARITY};
use super::{probe, Fetcher};

impl Fetcher {
    /// Does a made-up sibling of `url` serve the same page? One probe per site section per run.
    pub(super) async fn is_soft_404(
        &self,
        url: &Url,
        final_url: &Url,
        redirected: bool,
        sha256: &str,
    ) -> bool {
        let Some((key, probe_url)) = probe::sibling(url) else {
            return false;
        };
        let cell = {
            let mut probes = match self.probes.lock() {
                Ok(p) => p,
                Err(poisoned) => poisoned.into_inner(),
            };
            probes.entry(key).or_default().clone()
        };
        let probed = cell
            .get_or_init(|| async {
                match self
                    .request(&probe_url, &Ask::default(), Sink::Memory(MAX_TEXT_BYTES))
                    .await
                {
                    Ok(a) if (200..300).contains(&a.status) => Some(Probed {
                        final_url: a.final_url.to_string(),
                        redirected: !a.redirects.is_empty(),
                        text: match &a.body {
                            Body::Memory(m) => TextSignature::of_html(m),
                            _ => TextSignature::of_html(b""),
                        },
                    }),
                    _ => None,
                }
            })
            .await;
        let Some(probed) = probed else {
            return false;
        };
        if redirected && probed.redirected && probed.final_url == final_url.as_str() {
            return true;
        }
        match self.text_signature(sha256) {
            // A page with no text of its own (a script-rendered shell) may well be the real
            // thing: without running its scripts nobody can tell, so it is not called dead.
            Some(mine) if !mine.has_text() => false,
            Some(mine) => mine.similarity(&probed.text) >= SOFT_404_SIMILARITY,
            None => false,
        }
    }
}
