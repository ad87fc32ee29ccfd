//! A full disk during a run: a small tmpfs made by the test holds the archive. The run stops
//! with a clear "disk full" error, leaves no partial object under a content address and a
//! consistent database, and a later run with space resumes and archives everything.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{link, sha256_hex, stderr, Server, Workspace};

/// A tmpfs mounted for one test, unmounted when dropped.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn mount(path: &Path, size: &str) -> SmallDisk {
        std::fs::create_dir_all(path).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "this test mounts a small tmpfs and needs root (as CI has)"
        );
        SmallDisk {
            path: path.to_path_buf(),
        }
    }

    fn grow(&self, size: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.path)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remount failed");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

#[test]
fn a_full_disk_stops_the_run_cleanly_and_a_later_run_resumes() {
    let s = Server::start();
    let mut refs = Vec::new();
    for i in 0..12u8 {
        let bytes: Vec<u8> = (0..400_000u32)
            .map(|j| (j as u8).wrapping_mul(i + 3))
            .collect();
        let path = format!("/big/{i}.bin");
        s.resource(&path, "application/octet-stream", bytes.clone());
        refs.push((s.url(&path), bytes));
    }
    let ws = Workspace::new();
    let disk = SmallDisk::mount(&ws.path().join("disk"), "2m");
    let archive = disk.path.join("archive");
    let html: String = refs
        .iter()
        .map(|(u, _)| format!("<img src=\"{u}\">"))
        .collect();
    let page = ws.write("p.html", &html);
    let args = |cmd: &[&str]| -> Vec<String> {
        let mut v = vec![
            "--archive".to_string(),
            archive.to_string_lossy().into_owned(),
        ];
        v.extend(cmd.iter().map(|c| c.to_string()));
        v
    };
    let run = |cmd: &[&str]| {
        ws.command(&args(cmd).iter().map(String::as_str).collect::<Vec<_>>())
            .output()
            .unwrap()
    };

    let out = run(&["run", page.to_str().unwrap()]);
    assert!(
        !out.status.success(),
        "a run that filled the disk must fail"
    );
    let err = stderr(&out);
    assert!(
        err.contains("full"),
        "the message says the disk is full: {err}"
    );

    // Consistent: every object is whole under its address, no row points at a missing one.
    let v = run(&["verify"]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    assert!(
        std::fs::read_dir(archive.join("tmp")).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".part")),
        "no partial download kept"
    );

    disk.grow("20m");
    let out = run(&["run", page.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value =
        serde_json::from_slice(&run(&["report", "--all", "--format", "json"]).stdout).unwrap();
    for (url, bytes) in &refs {
        assert_eq!(link(&report, url)["snapshot"]["sha256"], sha256_hex(bytes));
    }
    assert!(run(&["verify"]).status.success());
}
