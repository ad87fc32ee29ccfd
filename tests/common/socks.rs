//! A minimal SOCKS5 proxy on 127.0.0.1 for tests: it records the destination each client asked
//! for (a domain name proves the client did not resolve it) and relays every connection to one
//! loopback port, whatever the name.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

pub struct Socks5 {
    pub port: u16,
    pub asked: Arc<Mutex<Vec<String>>>,
}

impl Socks5 {
    pub fn start(relay_to: u16) -> Socks5 {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || {
                    let _ = handle(conn, relay_to, &log);
                });
            }
        });
        Socks5 { port, asked }
    }
}

fn handle(mut c: TcpStream, relay_to: u16, log: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let mut hdr = [0u8; 2];
    c.read_exact(&mut hdr)?;
    let mut methods = vec![0u8; hdr[1] as usize];
    c.read_exact(&mut methods)?;
    c.write_all(&[5, 0])?;
    let mut req = [0u8; 4];
    c.read_exact(&mut req)?;
    let dest = match req[3] {
        3 => {
            let mut len = [0u8; 1];
            c.read_exact(&mut len)?;
            let mut name = vec![0u8; len[0] as usize];
            c.read_exact(&mut name)?;
            format!("name:{}", String::from_utf8_lossy(&name))
        }
        1 => {
            let mut ip = [0u8; 4];
            c.read_exact(&mut ip)?;
            format!("ip:{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])
        }
        _ => {
            let mut ip = [0u8; 16];
            c.read_exact(&mut ip)?;
            "ip6".to_string()
        }
    };
    let mut port = [0u8; 2];
    c.read_exact(&mut port)?;
    log.lock()
        .unwrap()
        .push(format!("{dest}:{}", u16::from_be_bytes(port)));
    let upstream = TcpStream::connect(("127.0.0.1", relay_to))?;
    c.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0])?;
    let (mut a, mut b) = (c.try_clone()?, upstream.try_clone()?);
    let t = std::thread::spawn(move || {
        let _ = std::io::copy(&mut a, &mut b);
        let _ = b.shutdown(Shutdown::Write);
    });
    let (mut up, mut down) = (upstream, c);
    let _ = std::io::copy(&mut up, &mut down);
    let _ = down.shutdown(Shutdown::Write);
    let _ = t.join();
    Ok(())
}
