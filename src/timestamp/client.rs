//! Asking one Time-Stamp Authority over HTTP (RFC 3161 §3.4): POST the DER request as
//! `application/timestamp-query`, read the `application/timestamp-reply`, and accept it only
//! once [`token::verify_response`](super::token::verify_response) has checked it against what
//! was sent.

use std::time::Duration;

use super::token::{self, Expect, HashAlg, TokenError, Verified};
use crate::clock;

/// The most an authority's answer may weigh (tokens are a few KiB; a chain a few more).
const MAX_RESPONSE: usize = 1 << 20;

/// Why an authority gave no usable token.
#[derive(Debug, thiserror::Error)]
pub(super) enum AskError {
    /// The authority could not be reached, or answered with an HTTP error.
    #[error("{0}")]
    Http(String),
    /// It answered, but the answer was refused (see [`TokenError`]).
    #[error(transparent)]
    Token(#[from] TokenError),
}

/// A checked token and the response it came in, as received.
#[derive(Debug, Clone)]
pub(super) struct Answer {
    /// What the token says.
    pub verified: Verified,
    /// The `TimeStampResp` bytes (a `.tsr` file).
    pub response: Vec<u8>,
    /// When the request was sent (wall clock).
    pub requested_at: clock::Timestamp,
}

/// A client for authorities: plain HTTP(S), no politeness delays (one request per tree).
pub(super) fn client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(concat!(
            "linkvault/",
            env!("CARGO_PKG_VERSION"),
            " (RFC 3161 client)"
        ))
        .connect_timeout(timeout.min(Duration::from_secs(15)))
        .timeout(timeout)
        .build()
}

/// Asks `url` to timestamp `message` and checks the token against the request.
pub(super) async fn ask(
    client: &reqwest::Client,
    url: &str,
    alg: HashAlg,
    message: &[u8],
) -> Result<Answer, AskError> {
    let req = token::request(alg, message, fastrand::u64(1..))?;
    let sent = clock::wall();
    let resp = client
        .post(url)
        .header("Content-Type", "application/timestamp-query")
        .header("Accept", "application/timestamp-reply")
        .body(req.der.clone())
        .send()
        .await
        .map_err(|e| AskError::Http(describe(&e)))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(AskError::Http(format!("answered HTTP {status}")));
    }
    let mut body = Vec::new();
    let mut resp = resp;
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| AskError::Http(describe(&e)))?
    {
        if body.len() + chunk.len() > MAX_RESPONSE {
            return Err(AskError::Http(format!(
                "answered more than {} KiB: not a timestamp reply",
                MAX_RESPONSE >> 10
            )));
        }
        body.extend_from_slice(&chunk);
    }
    let received = clock::wall();
    let verified = token::verify_response(
        &body,
        &Expect {
            imprint: Some((alg, &req.imprint)),
            nonce: Some(req.nonce),
            window: Some((sent, received)),
            anchors: &[],
        },
    )?;
    Ok(Answer {
        verified,
        response: body,
        requested_at: sent,
    })
}

/// reqwest's error with its causes, without the URL repeated.
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
