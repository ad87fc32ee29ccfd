//! Finding a Chromium and starting it: headless, with a fresh profile in a temporary folder,
//! the DevTools protocol on an ephemeral loopback port, and tied to this process so it dies
//! with the run (killed when dropped, and by the kernel if linkvault itself is killed).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::RenderError;

/// Names tried when `render.chromium` is not set.
pub(super) const CANDIDATES: [&str; 5] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
];

/// How long the browser may take to say where its DevTools endpoint is.
const LAUNCH_TIMEOUT: Duration = Duration::from_secs(30);

/// A browser found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chromium {
    /// What was run: the configured command or the candidate name that answered.
    pub command: String,
    /// First line of `--version`, e.g. `Chromium 156.0.8078.108 built on Debian…`.
    pub version: String,
}

impl Chromium {
    /// `Chromium 156.0.8078.108`: the product and version, for records and messages.
    pub fn label(&self) -> String {
        let mut words = self.version.split_whitespace();
        let mut label = Vec::new();
        for w in words.by_ref() {
            label.push(w);
            if w.starts_with(|c: char| c.is_ascii_digit()) {
                break;
            }
        }
        if label.is_empty() {
            "Chromium".into()
        } else {
            label.join(" ")
        }
    }
}

/// The configured command, or the first usual name that answers `--version`.
pub fn find_chromium(configured: &str) -> Option<Chromium> {
    let configured = configured.trim();
    if !configured.is_empty() {
        return probe(configured);
    }
    CANDIDATES.iter().find_map(|c| probe(c))
}

fn probe(command: &str) -> Option<Chromium> {
    let out = std::process::Command::new(command)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.lines().next().unwrap_or("").trim().to_string();
    (out.status.success() && !version.is_empty()).then(|| Chromium {
        command: command.to_string(),
        version,
    })
}

/// A running browser process and where to reach it.
pub(super) struct Launched {
    pub child: Child,
    pub ws_url: String,
    /// The profile folder; removed when dropped.
    pub _profile: tempfile::TempDir,
}

/// Starts `chromium` headless. `proxy` routes every request (loopback included) through the
/// address-policy proxy; `window` is the viewport in CSS pixels.
pub(super) async fn launch(
    chromium: &Chromium,
    proxy: Option<&str>,
    window: (u32, u32),
) -> Result<Launched, RenderError> {
    let profile = tempfile::Builder::new()
        .prefix("linkvault-chromium-")
        .tempdir()
        .map_err(|e| RenderError::Launch(format!("cannot make a profile folder: {e}")))?;
    let mut cmd = Command::new(&chromium.command);
    cmd.args(args(profile.path(), proxy, window))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // SAFETY: `prctl` is async-signal-safe and touches nothing of the parent's memory.
    unsafe {
        cmd.pre_exec(|| {
            // The browser is killed if linkvault dies, even by SIGKILL.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| RenderError::Launch(format!("cannot start `{}`: {e}", chromium.command)))?;
    let Some(stderr) = child.stderr.take() else {
        return Err(RenderError::Launch(
            "no stderr to read the browser from".into(),
        ));
    };
    let mut lines = BufReader::new(stderr).lines();
    let mut said = Vec::new();
    let found = tokio::time::timeout(LAUNCH_TIMEOUT, async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(at) = line.find("ws://") {
                return Some(line[at..].trim().to_string());
            }
            if said.len() < 5 {
                said.push(line);
            }
        }
        None
    })
    .await;
    let ws_url = match found {
        Ok(Some(url)) => url,
        Ok(None) => {
            return Err(RenderError::Launch(format!(
                "`{}` exited before it was ready{}",
                chromium.command,
                if said.is_empty() {
                    String::new()
                } else {
                    format!(": {}", said.join(" / "))
                }
            )))
        }
        Err(_) => {
            return Err(RenderError::Launch(format!(
                "`{}` did not open its DevTools endpoint within {}s",
                chromium.command,
                LAUNCH_TIMEOUT.as_secs()
            )))
        }
    };
    // The rest of its stderr is drained, so the browser never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(Launched {
        child,
        ws_url,
        _profile: profile,
    })
}

fn args(profile: &Path, proxy: Option<&str>, (w, h): (u32, u32)) -> Vec<String> {
    let mut a: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--mute-audio",
        "--no-first-run",
        "--no-default-browser-check",
        // No connections of the browser's own (updates, safe browsing, sync, metrics): only
        // the page's requests leave it.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-breakpad",
        "--metrics-recording-only",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--disable-features=Translate,OptimizationHints,MediaRouter,InterestFeedContentSuggestions,HttpsUpgrades",
        "--disable-quic",
        "--password-store=basic",
        "--use-mock-keychain",
        "--remote-debugging-port=0",
        "--remote-debugging-address=127.0.0.1",
        "about:blank",
    ]
    .map(String::from)
    .to_vec();
    a.push(format!("--user-data-dir={}", profile.display()));
    a.push(format!("--window-size={w},{h}"));
    if let Some(p) = proxy {
        a.push(format!("--proxy-server={p}"));
        // Chromium never proxies loopback unless told: the policy must see those requests too.
        a.push("--proxy-bypass-list=<-loopback>".into());
    }
    a
}
