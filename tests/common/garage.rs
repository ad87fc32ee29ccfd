//! Garage (crates.io `garage`, installed by `.ci/run`) as a real S3-compatible object store in
//! the tests: a single-node cluster on 127.0.0.1 — config file, `garage server`, layout
//! assign/apply, an imported key and buckets — started per test and killed when dropped.
//! Tests reach it only through linkvault and through `object_store` (the S3 API), never by
//! its files.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as Key;
use object_store::{ObjectStore, PutPayload};

/// The access key every test Garage imports (Garage's format: `GK` + 24 hex digits).
pub const KEY_ID: &str = "GK0123456789abcdef01234567";
pub const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
pub const REGION: &str = "garage";

pub struct Garage {
    dir: tempfile::TempDir,
    child: Option<Child>,
    pub s3_port: u16,
    rpc_port: u16,
    admin_port: u16,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

fn garage_binary() -> String {
    std::env::var("LINKVAULT_GARAGE").unwrap_or_else(|_| "garage".into())
}

impl Garage {
    /// Starts a one-node cluster with the test key and waits until its S3 API answers.
    pub fn start() -> Garage {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut g = Garage {
            dir,
            child: None,
            s3_port: free_port(),
            rpc_port: free_port(),
            admin_port: free_port(),
        };
        let root = g.dir.path();
        let config = format!(
            r#"metadata_dir = "{meta}"
data_dir = "{data}"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:{rpc}"
rpc_public_addr = "127.0.0.1:{rpc}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "{REGION}"
api_bind_addr = "127.0.0.1:{s3}"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:{admin}"
admin_token = "test-admin-token"
"#,
            meta = root.join("meta").display(),
            data = root.join("data").display(),
            rpc = g.rpc_port,
            s3 = g.s3_port,
            admin = g.admin_port,
            secret = "4f".repeat(32),
        );
        std::fs::write(g.config_path(), config).unwrap();
        g.spawn_server();
        let id = g.cli(&["node", "id", "-q"]);
        let id = id.trim().split('@').next().unwrap_or("").to_string();
        assert!(!id.is_empty(), "garage node id printed nothing");
        g.cli(&["layout", "assign", "-z", "dc1", "-c", "1GB", &id]);
        g.cli(&["layout", "apply", "--version", "1"]);
        g.cli(&[
            "key",
            "import",
            "--yes",
            "-n",
            "linkvault-test",
            KEY_ID,
            SECRET,
        ]);
        g
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("garage.toml")
    }

    fn spawn_server(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("garage.log")).unwrap();
        let child = Command::new(garage_binary())
            .arg("-c")
            .arg(self.config_path())
            .arg("server")
            .env("RUST_LOG", "garage=warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect(
                "garage is needed: run `bash .ci/run`, which installs it (cargo install garage)",
            );
        self.child = Some(child);
        // Ready when its RPC and S3 ports accept connections (it binds them once started).
        let deadline = Instant::now() + Duration::from_secs(60);
        for port in [self.rpc_port, self.s3_port] {
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                if let Some(status) = self
                    .child
                    .as_mut()
                    .and_then(|c| c.try_wait().ok().flatten())
                {
                    panic!("garage server exited ({status}): {}", self.log());
                }
                assert!(
                    Instant::now() < deadline,
                    "garage did not start: {}",
                    self.log()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("garage.log")).unwrap_or_default()
    }

    /// Runs a `garage` admin command against this node; its stdout. Panics on failure.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = self.try_cli(args);
        assert!(
            out.status.success(),
            "garage {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn try_cli(&self, args: &[&str]) -> Output {
        Command::new(garage_binary())
            .arg("-c")
            .arg(self.config_path())
            .args(args)
            .output()
            .expect("run garage")
    }

    /// Creates `name` and lets the test key read and write it.
    pub fn bucket(&self, name: &str) -> String {
        self.cli(&["bucket", "create", name]);
        self.cli(&[
            "bucket",
            "allow",
            "--read",
            "--write",
            "--owner",
            name,
            "--key",
            "linkvault-test",
        ]);
        name.to_string()
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }

    /// The `[s3]` section a workspace config needs to reach this Garage.
    pub fn s3_section(&self) -> String {
        format!(
            "\n[s3]\nendpoint = \"{}\"\nregion = \"{REGION}\"\nallow_http = true\n",
            self.endpoint()
        )
    }

    /// The credentials, as the standard environment variables.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID".into(), KEY_ID.into()),
            ("AWS_SECRET_ACCESS_KEY".into(), SECRET.into()),
        ]
    }

    /// A client of this Garage's S3 API, for tests that look at or damage objects directly.
    pub fn client(&self, bucket: &str) -> Arc<AmazonS3> {
        Arc::new(
            AmazonS3Builder::new()
                .with_bucket_name(bucket)
                .with_endpoint(self.endpoint())
                .with_region(REGION)
                .with_allow_http(true)
                .with_access_key_id(KEY_ID)
                .with_secret_access_key(SECRET)
                .with_virtual_hosted_style_request(false)
                .build()
                .expect("an S3 client for garage"),
        )
    }

    /// Keys under `prefix` in `bucket` with their sizes.
    pub fn list(&self, bucket: &str, prefix: &str) -> Vec<(String, u64)> {
        self.list_detailed(bucket, prefix)
            .into_iter()
            .map(|(key, size, _)| (key, size))
            .collect()
    }

    /// Keys under `prefix` with sizes and last-modified times (a re-upload changes the time).
    pub fn list_detailed(&self, bucket: &str, prefix: &str) -> Vec<(String, u64, String)> {
        let client = self.client(bucket);
        let prefix = Key::from(prefix);
        rt().block_on(async move {
            use futures_util::StreamExt;
            let mut out = Vec::new();
            let mut items = client.list(Some(&prefix));
            while let Some(item) = items.next().await {
                let m = item.expect("list");
                out.push((m.location.to_string(), m.size, m.last_modified.to_rfc3339()));
            }
            out.sort();
            out
        })
    }

    pub fn get(&self, bucket: &str, key: &str) -> Vec<u8> {
        let client = self.client(bucket);
        let key = Key::from(key);
        rt().block_on(async move {
            client
                .get(&key)
                .await
                .expect("get")
                .bytes()
                .await
                .expect("body")
                .to_vec()
        })
    }

    /// Overwrites an object through the S3 API (to damage it).
    pub fn put(&self, bucket: &str, key: &str, bytes: &[u8]) {
        let client = self.client(bucket);
        let key = Key::from(key);
        let payload = PutPayload::from(bytes.to_vec());
        rt().block_on(async move { client.put(&key, payload).await.expect("put") });
    }

    /// Kills the server (as a crash or an outage would).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same ports and data.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn_server();
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Garage {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A runtime for the test's own S3 calls.
fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// The object key of `sha256` under `prefix` (`PREFIX/objects/ab/cdef…`).
pub fn object_key(prefix: &str, sha256: &str) -> String {
    let p = prefix.trim_matches('/');
    if p.is_empty() {
        format!("objects/{}/{}", &sha256[..2], &sha256[2..])
    } else {
        format!("{p}/objects/{}/{}", &sha256[..2], &sha256[2..])
    }
}
