//! The S3-compatible backend: objects under `PREFIX/objects/ab/cdef…` in a bucket (AWS S3,
//! Garage, MinIO, Ceph RGW, B2, Wasabi…), spoken by Apache Arrow's `object_store` (SigV4,
//! multipart uploads, conditional puts, ranged reads).
//!
//! Writes are **compute-then-put**: a body is spooled to the archive folder's `tmp/` while it
//! is hashed (as on disk), so its key is known before anything reaches the bucket. Then a HEAD
//! skips bodies the bucket already holds (a second machine sharing the bucket never uploads
//! them again); small bodies go up in one `PUT` with `If-None-Match: *`, large ones as a
//! multipart upload of 8 MiB parts (three in flight, so a 1 GiB video needs ~32 MiB of memory),
//! re-hashed while uploading and abandoned if the bytes changed on the way. No staging key is
//! ever written: a crash leaves nothing in the bucket (at worst an unfinished multipart upload,
//! which S3 lifecycle rules expire), and nothing is copied twice server-side.
//!
//! Every call runs on one small runtime of its own, so the store can be used from blocking
//! threads, plain threads and other runtimes alike.

use std::future::Future;
use std::io;
use std::ops::Range;
use std::path::Path;
use std::sync::{mpsc, Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder, S3ConditionalPut};
use object_store::path::Path as Key;
use object_store::{
    BackoffConfig, ClientOptions, ObjectStore, PutMode, PutOptions, PutPayload, RetryConfig,
    WriteMultipart,
};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use super::S3Config;
use super::{hex, Listed};

/// Multipart part size; bodies up to this go up in one `PUT`.
const PART: usize = 8 << 20;
/// Parts uploading at once.
const PARTS_IN_FLIGHT: usize = 3;
/// Bytes fetched per ranged `GET` when reading.
pub(super) const WINDOW: u64 = 4 << 20;

/// An S3 call that failed, said in a line (never with credentials: `object_store` does not
/// print them).
#[derive(Debug, Clone)]
pub(super) struct S3Failure(pub(super) String);

impl std::fmt::Display for S3Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<object_store::Error> for S3Failure {
    fn from(e: object_store::Error) -> Self {
        // The error chain reads "Generic S3 error: …: error sending request…"; keep it all, in
        // one line.
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            let more = s.to_string();
            if !text.contains(&more) {
                text.push_str(": ");
                text.push_str(&more);
            }
            source = s.source();
        }
        S3Failure(tidy(&text))
    }
}

/// One line, with a server's XML error body reduced to its code and message.
fn tidy(text: &str) -> String {
    let field = |name: &str| {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let len = text[start..].find(&format!("</{name}>"))?;
        Some(text[start..start + len].to_string())
    };
    let text = match (text.find("<?xml"), field("Code"), field("Message")) {
        (Some(at), Some(code), Some(message)) => {
            format!("{}{code}: {message}", &text[..at])
        }
        _ => text.to_string(),
    };
    text.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_servers_xml_error_is_said_in_a_line() {
        let raw = "Error performing PUT http://h/b/k - 403 Forbidden: <?xml version=\"1.0\"?>\n<Error><Code>AccessDenied</Code><Message>Forbidden: Invalid signature</Message></Error>";
        assert_eq!(
            super::tidy(raw),
            "Error performing PUT http://h/b/k - 403 Forbidden: AccessDenied: Forbidden: Invalid signature"
        );
        assert_eq!(super::tidy("plain\ntext"), "plain text");
    }
}

impl From<io::Error> for S3Failure {
    fn from(e: io::Error) -> Self {
        S3Failure(e.to_string())
    }
}

#[derive(Debug)]
pub(super) struct S3Objects {
    client: Arc<AmazonS3>,
    bucket: String,
    /// `""` or `a/b` (no slashes at either end).
    prefix: String,
    conditional: bool,
}

/// The runtime every S3 call runs on; started at first use, never dropped.
fn runtime() -> Result<&'static tokio::runtime::Runtime, S3Failure> {
    static RT: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("linkvault-s3")
            .enable_all()
            .build()
            .ok()
    })
    .as_ref()
    .ok_or_else(|| S3Failure("cannot start the threads that talk to S3".into()))
}

/// Runs `fut` on the S3 runtime and waits for it, from any thread. Called from a task of
/// another multi-threaded runtime (a check deciding whether it holds a copy), the wait tells
/// that runtime to move its other tasks off this thread meanwhile, so they keep running.
fn block_on<F>(fut: F) -> Result<F::Output, S3Failure>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel(1);
    runtime()?.spawn(async move {
        let _ = tx.send(fut.await);
    });
    let wait = move || {
        rx.recv()
            .map_err(|_| S3Failure("the S3 call was cancelled".into()))
    };
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(wait),
        _ => wait(),
    }
}

impl S3Objects {
    /// A client for `s3://bucket/prefix`; nothing is sent yet.
    pub(super) fn new(bucket: &str, prefix: &str, cfg: &S3Config) -> Result<S3Objects, S3Failure> {
        // Off AWS there are no instance credentials to fall back on: without keys, say so
        // instead of letting the client ask the EC2 metadata address.
        let off_aws = cfg.endpoint.is_some() || std::env::var_os("AWS_ENDPOINT_URL").is_some();
        let has_keys = std::env::var_os("AWS_ACCESS_KEY_ID").is_some_and(|v| !v.is_empty());
        if off_aws && !has_keys {
            return Err(S3Failure(
                "no credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set".into(),
            ));
        }
        let mut b = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_conditional_put(S3ConditionalPut::ETagMatch)
            .with_retry(RetryConfig {
                backoff: BackoffConfig {
                    init_backoff: Duration::from_millis(100),
                    max_backoff: Duration::from_secs(2),
                    base: 2.0,
                },
                max_retries: 3,
                retry_timeout: Duration::from_secs(20),
            })
            .with_client_options(
                ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(10))
                    .with_timeout(Duration::from_secs(120)),
            );
        if let Some(e) = &cfg.endpoint {
            b = b.with_endpoint(e.trim_end_matches('/'));
        }
        if let Some(r) = &cfg.region {
            b = b.with_region(r);
        }
        if let Some(h) = cfg.allow_http {
            b = b.with_allow_http(h);
        }
        // Path-style requests unless the environment asks otherwise: what every
        // S3-compatible server understands.
        if std::env::var_os("AWS_VIRTUAL_HOSTED_STYLE_REQUEST").is_none() {
            b = b.with_virtual_hosted_style_request(false);
        }
        let client = b.build().map_err(S3Failure::from)?;
        Ok(S3Objects {
            client: Arc::new(client),
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
            conditional: cfg.conditional_put,
        })
    }

    /// `s3://bucket/prefix`, as the user wrote it.
    pub(super) fn describe(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }

    fn under(&self, rest: &str) -> Key {
        if self.prefix.is_empty() {
            Key::from(rest)
        } else {
            Key::from(format!("{}/{rest}", self.prefix))
        }
    }

    fn key(&self, sha256: &str) -> Key {
        let (fan, rest) = sha256.split_at(sha256.len().min(2));
        self.under(&format!("objects/{fan}/{rest}"))
    }

    /// Proves the bucket reachable and writable: a small object put and deleted under `tmp/`.
    pub(super) fn probe_write(&self) -> Result<(), S3Failure> {
        let key = self.under(&format!(
            "tmp/.probe-{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let client = self.client.clone();
        block_on(async move {
            client.put(&key, PutPayload::from_static(b"")).await?;
            client.delete(&key).await
        })??;
        Ok(())
    }

    /// The object's length, `None` when the bucket does not hold it.
    pub(super) fn size(&self, sha256: &str) -> Result<Option<u64>, S3Failure> {
        let (client, key) = (self.client.clone(), self.key(sha256));
        match block_on(async move { client.head(&key).await })? {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Bytes `range` of the object; `Ok(None)` when the bucket does not hold it.
    pub(super) fn get_range(
        &self,
        sha256: &str,
        range: Range<u64>,
    ) -> Result<Option<Bytes>, S3Failure> {
        let (client, key) = (self.client.clone(), self.key(sha256));
        match block_on(async move { client.get_range(&key, range).await })? {
            Ok(b) => Ok(Some(b)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Bytes `start..start+len` as a stream of windows fetched one ahead, for `serve`: nothing
    /// is downloaded that the client does not ask for.
    pub(super) fn stream_range(
        self: &Arc<Self>,
        sha256: &str,
        start: u64,
        len: u64,
    ) -> futures_util::stream::BoxStream<'static, io::Result<Bytes>> {
        let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(1);
        let (client, key) = (self.client.clone(), self.key(sha256));
        match runtime() {
            Ok(rt) => {
                rt.spawn(async move {
                    let end = start + len;
                    let mut at = start;
                    while at < end {
                        let next = (at + WINDOW).min(end);
                        let got = client
                            .get_range(&key, at..next)
                            .await
                            .map_err(|e| io::Error::other(S3Failure::from(e).0));
                        let failed = got.is_err();
                        if tx.send(got).await.is_err() || failed {
                            return;
                        }
                        at = next;
                    }
                });
            }
            Err(e) => {
                let _ = tx.try_send(Err(io::Error::other(e.0)));
            }
        }
        futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        })
        .boxed()
    }

    /// Uploads the spooled body at `spool` as object `sha256` unless the bucket holds it;
    /// true when it was uploaded. The bytes are hashed again on the way up: a spool that no
    /// longer hashes to `sha256` is never published.
    pub(super) fn upload(&self, spool: &Path, sha256: &str, len: u64) -> Result<bool, S3Failure> {
        if self.size(sha256)?.is_some() {
            return Ok(false);
        }
        let (client, key) = (self.client.clone(), self.key(sha256));
        let (spool, expected) = (spool.to_path_buf(), sha256.to_string());
        let conditional = self.conditional;
        block_on(async move {
            if len <= PART as u64 {
                let bytes = tokio::fs::read(&spool).await?;
                if hex(&Sha256::digest(&bytes)) != expected {
                    return Err(changed_on_the_way(&expected));
                }
                let mode = if conditional {
                    PutMode::Create
                } else {
                    PutMode::Overwrite
                };
                let opts = PutOptions {
                    mode,
                    ..PutOptions::default()
                };
                match client.put_opts(&key, PutPayload::from(bytes), opts).await {
                    Ok(_) => Ok(true),
                    // Another machine sharing the bucket stored the same bytes first.
                    Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
                    Err(e) => Err(e.into()),
                }
            } else {
                upload_parts(&client, &key, &spool, &expected).await?;
                Ok(true)
            }
        })?
    }

    /// Every object under `PREFIX/objects/`, by claimed name.
    pub(super) fn list(&self) -> Result<Vec<Listed>, S3Failure> {
        let (client, base) = (self.client.clone(), self.under("objects"));
        let strip = format!("{}/", base.as_ref());
        let mut out = block_on(async move {
            let mut out = Vec::new();
            let mut items = client.list(Some(&base));
            while let Some(item) = items.next().await {
                let meta = item?;
                let rest = meta.location.as_ref().strip_prefix(&strip).unwrap_or("");
                out.push(Listed {
                    name: rest.replace('/', ""),
                    bytes: meta.size,
                });
            }
            Ok::<_, object_store::Error>(out)
        })??;
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Copies the object to `PREFIX/quarantine/NAME.TIME`, then deletes it; returns where it
    /// went.
    pub(super) fn quarantine(&self, name: &str, stamp: &str) -> Result<String, S3Failure> {
        let from = if super::is_sha256(name) {
            self.key(name)
        } else {
            self.under(&format!("objects/{name}"))
        };
        let to = self.under(&format!("quarantine/{name}.{stamp}"));
        let shown = format!("s3://{}/{}", self.bucket, to.as_ref());
        let client = self.client.clone();
        block_on(async move {
            client.copy(&from, &to).await?;
            client.delete(&from).await
        })??;
        Ok(shown)
    }

    /// Deletes an object; one already gone is not an error.
    pub(super) fn remove(&self, sha256: &str) -> Result<(), S3Failure> {
        let (client, key) = (self.client.clone(), self.key(sha256));
        match block_on(async move { client.delete(&key).await })? {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

fn changed_on_the_way(expected: &str) -> S3Failure {
    S3Failure(format!(
        "the spooled body of {expected} changed before it was uploaded (local disk trouble?); nothing was published"
    ))
}

/// A multipart upload from `spool`, re-hashed as it goes; aborted on any failure, so the
/// key is never completed with bytes that are not `expected`.
async fn upload_parts(
    client: &Arc<AmazonS3>,
    key: &Key,
    spool: &Path,
    expected: &str,
) -> Result<(), S3Failure> {
    let mut file = tokio::fs::File::open(spool).await?;
    let upload = client.put_multipart(key).await?;
    let mut w = WriteMultipart::new_with_chunk_size(upload, PART);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let fed: Result<(), S3Failure> = async {
        loop {
            let n = file.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            hasher.update(&buf[..n]);
            w.wait_for_capacity(PARTS_IN_FLIGHT).await?;
            w.write(&buf[..n]);
        }
    }
    .await;
    let fed = fed.and_then(|()| {
        if hex(&hasher.finalize()) == expected {
            Ok(())
        } else {
            Err(changed_on_the_way(expected))
        }
    });
    match fed {
        Ok(()) => {
            w.finish().await?;
            Ok(())
        }
        Err(e) => {
            let _ = w.abort().await;
            Err(e)
        }
    }
}
