//! A small client for headless Chromium's DevTools protocol over `--remote-debugging-pipe`
//! (commands on fd 3, answers and events on fd 4, each message JSON ended by a NUL byte): one
//! page at a fixed viewport, navigation that waits for the load event, JavaScript evaluated in
//! the page (DevTools is not bound by the page's Content-Security-Policy), the network
//! responses the page received, and screenshots.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

/// How long any one answer or event may take before the test fails with a message.
const WAIT: Duration = Duration::from_secs(30);

pub struct Browser {
    child: Child,
    to: File,
    from: Receiver<Value>,
    next_id: u64,
    session: String,
    /// Events received while waiting for answers, oldest first.
    events: Vec<Value>,
    profile: tempfile::TempDir,
}

fn pipe() -> (RawFd, RawFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2: {}", std::io::Error::last_os_error());
    (fds[0], fds[1])
}

impl Browser {
    /// Starts Chromium (Debian's `chromium`, installed by `.ci/run`) with a fresh profile and
    /// opens one page of `width`×`height` CSS pixels.
    pub fn launch(width: u32, height: u32) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let log = File::create(profile.path().join("chromium.log")).unwrap();
        let (cmd_read, cmd_write) = pipe();
        let (ans_read, ans_write) = pipe();
        let mut command = Command::new("chromium");
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--remote-debugging-pipe",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--hide-scrollbars",
                "--mute-audio",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        // SAFETY: only async-signal-safe calls (fcntl, dup2) between fork and exec. The ends
        // are first copied above 10 so that placing them at 3 and 4 cannot overwrite each other.
        unsafe {
            command.pre_exec(move || {
                let commands = libc::fcntl(cmd_read, libc::F_DUPFD, 10);
                let answers = libc::fcntl(ans_write, libc::F_DUPFD, 10);
                if commands < 0
                    || answers < 0
                    || libc::dup2(commands, 3) < 0
                    || libc::dup2(answers, 4) < 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command
            .spawn()
            .expect("chromium is needed for this test: `bash .ci/run` installs it");
        // SAFETY: the parent's copies of the child's ends, each closed once; the other two ends
        // are owned by the Files made from them.
        let (to, from_file) = unsafe {
            libc::close(cmd_read);
            libc::close(ans_write);
            (File::from_raw_fd(cmd_write), File::from_raw_fd(ans_read))
        };
        let (tx, from) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(from_file);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(0, &mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        if buf.last() == Some(&0) {
                            buf.pop();
                        }
                        let Ok(message) = serde_json::from_slice::<Value>(&buf) else {
                            continue;
                        };
                        if tx.send(message).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        let mut b = Browser {
            child,
            to,
            from,
            next_id: 0,
            session: String::new(),
            events: Vec::new(),
            profile,
        };
        let target = b.browser_call("Target.createTarget", json!({"url": "about:blank"}));
        let target = target["targetId"].as_str().unwrap().to_string();
        let attached = b.browser_call(
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
        );
        b.session = attached["sessionId"].as_str().unwrap().to_string();
        b.call("Page.enable", json!({}));
        b.call("Network.enable", json!({}));
        b.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        );
        b
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.profile.path().join("chromium.log")).unwrap_or_default()
    }

    fn send(&mut self, method: &str, params: Value, session: bool) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if session {
            message["sessionId"] = json!(self.session);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.to
            .write_all(&bytes)
            .unwrap_or_else(|e| panic!("Chromium stopped reading ({e}):\n{}", self.log()));
        let deadline = Instant::now() + WAIT;
        loop {
            let m = self.receive(deadline, method);
            if m["id"] == json!(id) {
                if let Some(e) = m.get("error") {
                    panic!("{method} failed: {e}");
                }
                return m["result"].clone();
            }
            self.events.push(m);
        }
    }

    fn receive(&self, deadline: Instant, waiting_for: &str) -> Value {
        match self
            .from
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => {
                panic!(
                    "Chromium gave no {waiting_for} within {WAIT:?}:\n{}",
                    self.log()
                )
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!(
                    "Chromium exited while we waited for {waiting_for}:\n{}",
                    self.log()
                )
            }
        }
    }

    fn browser_call(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, false)
    }

    /// A command to the page; its result.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, true)
    }

    fn wait_event(&mut self, method: &str) -> Value {
        if let Some(i) = self.events.iter().position(|e| e["method"] == method) {
            return self.events.remove(i);
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let m = self.receive(deadline, method);
            if m["method"] == method {
                return m;
            }
            self.events.push(m);
        }
    }

    /// Loads `url` and returns once its load event has fired.
    pub fn navigate(&mut self, url: &str) {
        self.events.clear();
        let r = self.call("Page.navigate", json!({"url": url}));
        assert!(r.get("errorText").is_none(), "navigating to {url}: {r}");
        self.wait_event("Page.loadEventFired");
    }

    /// Evaluates `expression` in the page (awaiting a promise) and returns its value as JSON.
    pub fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("script failed: {e}\n{expression}");
        }
        r["result"]["value"].clone()
    }

    /// (status, URL) of every response the page received since the last navigation.
    pub fn responses(&self) -> Vec<(u64, String)> {
        self.events
            .iter()
            .filter(|e| e["method"] == "Network.responseReceived")
            .map(|e| {
                let r = &e["params"]["response"];
                (
                    r["status"].as_u64().unwrap_or(0),
                    r["url"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    /// Drains events that arrived without being waited for (e.g. media responses).
    pub fn settle(&mut self) {
        while let Ok(m) = self.from.try_recv() {
            self.events.push(m);
        }
    }

    /// Saves a PNG of the viewport to `path`.
    pub fn screenshot(&mut self, path: &Path) {
        let r = self.call("Page.captureScreenshot", json!({"format": "png"}));
        let png = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap())
            .unwrap();
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
