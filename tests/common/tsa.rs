//! A real RFC 3161 Time-Stamp Authority on 127.0.0.1: OpenSSL's `ts -reply` behind a small
//! HTTP server. Each instance makes its own CA and TSA certificate (timeStamping extended key
//! usage, critical) in a temporary folder, so two instances are two authorities.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use der::{Decode, Encode};

/// How the authority answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Timestamps what it is asked.
    Honest,
    /// Answers 503 to every request (an authority that is down behind its proxy).
    Down,
    /// Signs a token over another imprint than the one asked for (correctly signed).
    WrongImprint,
}

pub struct Tsa {
    dir: tempfile::TempDir,
    port: u16,
    mode: Arc<Mutex<Mode>>,
    stop: Arc<AtomicBool>,
    served: Arc<AtomicUsize>,
    pub name: String,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Tsa {
    /// A new authority named `name` (its certificate's CN), answering honestly.
    pub fn start(name: &str) -> Tsa {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "3650",
                "-subj",
                &format!("/CN={name} CA"),
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
        openssl(
            d,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "tsa.key",
                "-out",
                "tsa.csr",
                "-subj",
                &format!("/CN={name}"),
            ],
        );
        std::fs::write(
            d.join("tsa.ext"),
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=critical,timeStamping\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
        )
        .unwrap();
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "tsa.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "3650",
                "-extfile",
                "tsa.ext",
                "-out",
                "tsa.pem",
            ],
        );
        std::fs::write(d.join("tsa.serial"), "00\n").unwrap();
        let abs = |f: &str| d.join(f).display().to_string();
        std::fs::write(
            d.join("tsa.cnf"),
            format!(
                "[ tsa ]\ndefault_tsa = tsa1\n[ tsa1 ]\nserial = {}\ncrypto_device = builtin\nsigner_cert = {}\nsigner_key = {}\ncerts = {}\nsigner_digest = sha256\ndefault_policy = 1.3.6.1.4.1.99999.1\nother_policies = 1.3.6.1.4.1.99999.2\ndigests = sha256, sha384, sha512\naccuracy = secs:1\nclock_precision_digits = 3\nordering = no\ntsa_name = yes\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n",
                abs("tsa.serial"),
                abs("tsa.pem"),
                abs("tsa.key"),
                abs("ca.pem"),
            ),
        )
        .unwrap();

        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mode = Arc::new(Mutex::new(Mode::Honest));
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(AtomicUsize::new(0));
        let cnf = d.join("tsa.cnf");
        let serial_lock = Arc::new(Mutex::new(()));
        {
            let (mode, stop, served) = (mode.clone(), stop.clone(), served.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let (cnf, mode, lock, served) = (
                        cnf.clone(),
                        mode.clone(),
                        serial_lock.clone(),
                        served.clone(),
                    );
                    std::thread::spawn(move || {
                        let _ = answer(conn, &cnf, &mode, &lock, &served);
                    });
                }
            });
        }
        Tsa {
            dir,
            port,
            mode,
            stop,
            served,
            name: name.to_string(),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/tsr", self.port)
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// Tokens issued so far (answers with status 200).
    pub fn served(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }

    /// The CA certificate (PEM) that issued this authority's certificate.
    pub fn ca_pem(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The authority's own certificate (PEM).
    pub fn cert_pem(&self) -> PathBuf {
        self.dir.path().join("tsa.pem")
    }
}

impl Drop for Tsa {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn answer(
    conn: TcpStream,
    cnf: &Path,
    mode: &Mutex<Mode>,
    lock: &Mutex<()>,
    served: &AtomicUsize,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut conn = conn;
    loop {
        let mut len = 0usize;
        let mut line = String::new();
        let mut first = true;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            if line == "\r\n" || line == "\n" {
                break;
            }
            if !first {
                if let Some((k, v)) = line.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
            }
            first = false;
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body)?;
        let mode = *mode.lock().unwrap();
        if mode == Mode::Down {
            conn.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")?;
            continue;
        }
        if mode == Mode::WrongImprint {
            body = flip_imprint(&body);
        }
        let out = {
            let _serial = lock.lock().unwrap();
            let mut child = Command::new("openssl")
                .args(["ts", "-reply", "-queryfile", "/dev/stdin", "-config"])
                .arg(cnf)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()?;
            child.stdin.take().unwrap().write_all(&body)?;
            child.wait_with_output()?
        };
        served.fetch_add(1, Ordering::SeqCst);
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\n\r\n",
            out.stdout.len()
        );
        conn.write_all(head.as_bytes())?;
        conn.write_all(&out.stdout)?;
    }
}

/// The same request with one byte of its imprint changed (and so a token over another hash).
fn flip_imprint(query: &[u8]) -> Vec<u8> {
    let Ok(mut req) = x509_tsp::TimeStampReq::from_der(query) else {
        return query.to_vec();
    };
    let mut h = req.message_imprint.hashed_message.as_bytes().to_vec();
    h[0] ^= 0xff;
    req.message_imprint.hashed_message = der::asn1::OctetString::new(h).unwrap();
    req.to_der().unwrap()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
