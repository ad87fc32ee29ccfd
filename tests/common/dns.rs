//! A real DNS server on 127.0.0.1 (UDP), answering each name as the test says: an address, an
//! authoritative "no such name" (NXDOMAIN with the zone's SOA, as real resolvers pass it on),
//! a bare NXDOMAIN (what a sinkhole or an offline stub sends for every name), or SERVFAIL.
//! Point linkvault at it with `fetch.nameservers = ["127.0.0.1:PORT"]`.

use std::collections::HashMap;
use std::net::{Ipv4Addr, UdpSocket};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy)]
pub enum Answer {
    A(Ipv4Addr),
    NxDomain,
    NxDomainWithoutSoa,
    ServFail,
}

pub struct DnsServer {
    pub port: u16,
    /// Every name asked, in order (lowercase, no trailing dot).
    pub asked: Arc<Mutex<Vec<String>>>,
}

impl DnsServer {
    /// Answers `names` as given; any other name gets an authoritative NXDOMAIN.
    pub fn start(names: &[(&str, Answer)]) -> DnsServer {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP port");
        let port = socket.local_addr().unwrap().port();
        let table: HashMap<String, Answer> = names
            .iter()
            .map(|(n, a)| (n.trim_end_matches('.').to_ascii_lowercase(), *a))
            .collect();
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while let Ok((n, peer)) = socket.recv_from(&mut buf) {
                let Some((id, rd, name, qtype, question)) = parse_query(&buf[..n]) else {
                    continue;
                };
                log.lock().unwrap().push(name.clone());
                let answer = table.get(&name).copied().unwrap_or(Answer::NxDomain);
                let reply = build_reply(id, rd, &name, qtype, question, answer);
                let _ = socket.send_to(&reply, peer);
            }
        });
        DnsServer { port, asked }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

/// (id, recursion desired, name, qtype, the question section's bytes)
fn parse_query(b: &[u8]) -> Option<(u16, bool, String, u16, &[u8])> {
    if b.len() < 12 {
        return None;
    }
    let id = u16::from_be_bytes([b[0], b[1]]);
    let rd = b[2] & 1 == 1;
    let mut pos = 12;
    let mut labels = Vec::new();
    loop {
        let len = *b.get(pos)? as usize;
        pos += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(b.get(pos..pos + len)?).to_ascii_lowercase());
        pos += len;
    }
    let qtype = u16::from_be_bytes([*b.get(pos)?, *b.get(pos + 1)?]);
    let question = b.get(12..pos + 4)?;
    Some((id, rd, labels.join("."), qtype, question))
}

fn encode_name(name: &str, out: &mut Vec<u8>) {
    for label in name.split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
}

/// The zone a name belongs to in these tests: its last label (`gone.test` → `test`).
fn zone_of(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

fn soa_record(zone: &str, out: &mut Vec<u8>) {
    encode_name(zone, out);
    out.extend_from_slice(&6u16.to_be_bytes()); // SOA
    out.extend_from_slice(&1u16.to_be_bytes()); // IN
    out.extend_from_slice(&300u32.to_be_bytes());
    let mut rdata = Vec::new();
    encode_name(&format!("ns.{zone}"), &mut rdata);
    encode_name(&format!("hostmaster.{zone}"), &mut rdata);
    for v in [1u32, 3600, 600, 86400, 300] {
        rdata.extend_from_slice(&v.to_be_bytes());
    }
    out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    out.extend_from_slice(&rdata);
}

fn build_reply(
    id: u16,
    rd: bool,
    name: &str,
    qtype: u16,
    question: &[u8],
    answer: Answer,
) -> Vec<u8> {
    let (rcode, answers, with_soa) = match answer {
        Answer::A(ip) if qtype == 1 => (0u8, Some(ip), false),
        // The name exists, but has no address of the asked type (NODATA, with the SOA).
        Answer::A(_) => (0, None, true),
        Answer::NxDomain => (3, None, true),
        Answer::NxDomainWithoutSoa => (3, None, false),
        Answer::ServFail => (2, None, false),
    };
    let mut out = Vec::new();
    out.extend_from_slice(&id.to_be_bytes());
    let flags: u16 = 0x8000 // response
        | if matches!(answer, Answer::ServFail | Answer::NxDomainWithoutSoa) { 0 } else { 0x0400 } // AA
        | if rd { 0x0100 } else { 0 }
        | 0x0080 // RA
        | rcode as u16;
    out.extend_from_slice(&flags.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&(answers.is_some() as u16).to_be_bytes());
    out.extend_from_slice(&(with_soa as u16).to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(question);
    if let Some(ip) = answers {
        out.extend_from_slice(&[0xC0, 0x0C]); // the question's name
        out.extend_from_slice(&1u16.to_be_bytes());
        out.extend_from_slice(&1u16.to_be_bytes());
        out.extend_from_slice(&60u32.to_be_bytes());
        out.extend_from_slice(&4u16.to_be_bytes());
        out.extend_from_slice(&ip.octets());
    }
    if with_soa {
        soa_record(zone_of(name), &mut out);
    }
    out
}
