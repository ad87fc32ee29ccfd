//! Writing a result to a path the user named, the way they meant it: a regular file (new or
//! existing) is replaced whole or not at all — written beside it, synced, renamed over it, with
//! the old file's permissions kept; a symlink is followed to the file it names, which is replaced
//! and the link kept; a device, FIFO or socket (`/dev/null`, `/dev/full`, a pipe behind
//! `/proc/self/fd/1`) is written through, never replaced by a regular file. Every write and the
//! final flush are checked, so bytes that did not reach their destination are never reported
//! as written.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Where the bytes go until `commit`.
enum Dest {
    /// A temporary file beside `target`, renamed over it on commit.
    Replace { tmp: PathBuf, target: PathBuf },
    /// The special file itself.
    Through,
}

/// An output being written. Dropped without `commit`, it leaves the destination as it was
/// (a temporary file is removed).
pub struct Output {
    file: Option<File>,
    dest: Dest,
}

impl Output {
    /// Opens `path` for writing as described in the module documentation.
    pub fn create(path: &Path) -> io::Result<Output> {
        let meta = fs::metadata(path).ok();
        if let Some(m) = &meta {
            if m.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "it is a directory",
                ));
            }
            if !m.is_file() {
                let file = OpenOptions::new().write(true).open(path)?;
                return Ok(Output {
                    file: Some(file),
                    dest: Dest::Through,
                });
            }
        }
        let target = resolve_links(path)?;
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".into());
        let tmp = dir.join(format!(".{name}.linkvault-{}.part", std::process::id()));
        let file = File::create(&tmp)?;
        if let Some(m) = meta {
            // The replaced file keeps its permissions (a private key stays private).
            let _ = fs::set_permissions(&tmp, m.permissions());
        }
        Ok(Output {
            file: Some(file),
            dest: Dest::Replace { tmp, target },
        })
    }

    /// Whether bytes go straight to their destination (a device or pipe): what is written
    /// cannot be taken back, so it should be proven good first.
    pub fn writes_through(&self) -> bool {
        matches!(self.dest, Dest::Through)
    }

    /// Makes what was written the destination's content: synced and renamed into place for a
    /// regular file, flushed for a special file.
    pub fn commit(mut self) -> io::Result<()> {
        let Some(mut file) = self.file.take() else {
            return Ok(());
        };
        file.flush()?;
        match &self.dest {
            Dest::Replace { tmp, target } => {
                file.sync_all()?;
                drop(file);
                fs::rename(tmp, target)?;
                if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
                    if let Ok(d) = File::open(dir) {
                        let _ = d.sync_all();
                    }
                }
                self.dest = Dest::Through;
                Ok(())
            }
            Dest::Through => Ok(()),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(io::Error::other("output already committed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Dest::Replace { tmp, .. } = &self.dest {
            self.file = None;
            let _ = fs::remove_file(tmp);
        }
    }
}

/// Follows `path` through symlinks (even dangling ones) to the path a write should replace.
fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// Writes `bytes` to `path` as described above.
pub fn write_all(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut out = Output::create(path)?;
    out.write_all(bytes)?;
    out.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_keeps_its_mode_and_a_symlink_is_followed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.txt");
        fs::write(&real, b"old").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink("real.txt", &link).unwrap();
        write_all(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&real).unwrap(), b"new");
        let mode = fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn an_abandoned_output_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.bin");
        fs::write(&target, b"keep me").unwrap();
        {
            let mut out = Output::create(&target).unwrap();
            out.write_all(b"half").unwrap();
        }
        assert_eq!(fs::read(&target).unwrap(), b"keep me");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_full_device_is_an_error_not_a_success() {
        let before = fs::metadata("/dev/full").unwrap();
        let err = write_all(Path::new("/dev/full"), &[0u8; 65536]).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(28), "{err}");
        let after = fs::metadata("/dev/full").unwrap();
        assert!(!after.is_file() && !before.is_file(), "still a device");
    }
}
