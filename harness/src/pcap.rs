//! A classic libpcap file from a connection's chunk log, so Wireshark and
//! tshark can dissect (and, with the key log, decrypt) a reproducer.
//!
//! The capture is synthesized: LINKTYPE_RAW (IPv4 packets, no link header),
//! 127.0.0.1 both ends, the TLS server on port 443 (so dissectors pick TLS
//! without a "decode as"), a SYN / SYN-ACK / ACK handshake, one data segment
//! per chunk (split at 16 KiB), sequence and acknowledgement numbers that
//! advance with the bytes, and a FIN exchange at the end. IPv4 and TCP
//! checksums are computed; timestamps advance 1 ms per packet from `start`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// LINKTYPE_RAW: each packet begins with an IPv4 or IPv6 header.
pub const LINKTYPE_RAW: u32 = 101;
const SERVER_PORT: u16 = 443;
const CLIENT_PORT: u16 = 49152;
const MAX_SEGMENT: usize = 16 * 1024;
const TCP_FIN: u8 = 0x01;
const TCP_SYN: u8 = 0x02;
const TCP_PSH: u8 = 0x08;
const TCP_ACK: u8 = 0x10;

/// One TCP endpoint's next sequence number.
struct End {
    port: u16,
    seq: u32,
}

struct Writer {
    out: Vec<u8>,
    time: Duration,
    ip_id: u16,
}

impl Writer {
    fn packet(&mut self, from: &End, to: &End, flags: u8, payload: &[u8]) {
        let tcp_len = 20 + payload.len();
        let total = 20 + tcp_len;
        let mut ip = Vec::with_capacity(total);
        ip.extend_from_slice(&[0x45, 0]);
        ip.extend_from_slice(&(total as u16).to_be_bytes());
        ip.extend_from_slice(&self.ip_id.to_be_bytes());
        ip.extend_from_slice(&[0x40, 0, 64, 6, 0, 0]); // DF, TTL 64, TCP, checksum
        ip.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1]);
        let sum = checksum(&[&ip]);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        self.ip_id = self.ip_id.wrapping_add(1);

        let mut tcp = Vec::with_capacity(tcp_len);
        tcp.extend_from_slice(&from.port.to_be_bytes());
        tcp.extend_from_slice(&to.port.to_be_bytes());
        tcp.extend_from_slice(&from.seq.to_be_bytes());
        // Everything the other side sent so far is acknowledged (not on the first SYN).
        let ack = if flags & TCP_ACK != 0 { to.seq } else { 0 };
        tcp.extend_from_slice(&ack.to_be_bytes());
        tcp.extend_from_slice(&[5 << 4, flags, 0xff, 0xff, 0, 0, 0, 0]);
        tcp.extend_from_slice(payload);
        let mut pseudo = vec![127, 0, 0, 1, 127, 0, 0, 1, 0, 6];
        pseudo.extend_from_slice(&(tcp_len as u16).to_be_bytes());
        let sum = checksum(&[&pseudo, &tcp]);
        tcp[16..18].copy_from_slice(&sum.to_be_bytes());
        ip.extend_from_slice(&tcp);

        self.out
            .extend_from_slice(&(self.time.as_secs() as u32).to_le_bytes());
        self.out
            .extend_from_slice(&self.time.subsec_micros().to_le_bytes());
        self.out.extend_from_slice(&(ip.len() as u32).to_le_bytes());
        self.out.extend_from_slice(&(ip.len() as u32).to_le_bytes());
        self.out.extend_from_slice(&ip);
        self.time += Duration::from_millis(1);
    }
}

/// The Internet checksum (RFC 1071) over the concatenation of `parts`.
fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let mut odd: Option<u8> = None;
    for b in parts.iter().flat_map(|p| p.iter().copied()) {
        match odd.take() {
            Some(hi) => sum += u32::from(u16::from_be_bytes([hi, b])),
            None => odd = Some(b),
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(hi) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The capture of one connection. `log` is (sent_by_us, bytes) per chunk;
/// `we_are_client` says which end Gauntlet was (true when testing a server).
pub fn capture(log: &[(bool, Vec<u8>)], we_are_client: bool, start: SystemTime) -> Vec<u8> {
    let mut w = Writer {
        out: Vec::new(),
        time: start.duration_since(UNIX_EPOCH).unwrap_or_default(),
        ip_id: 1,
    };
    // Global header: magic (microseconds), version 2.4, GMT, accuracy, snaplen, linktype.
    w.out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    w.out.extend_from_slice(&2u16.to_le_bytes());
    w.out.extend_from_slice(&4u16.to_le_bytes());
    w.out.extend_from_slice(&0i32.to_le_bytes());
    w.out.extend_from_slice(&0u32.to_le_bytes());
    w.out.extend_from_slice(&65_535u32.to_le_bytes());
    w.out.extend_from_slice(&LINKTYPE_RAW.to_le_bytes());

    let mut client = End {
        port: CLIENT_PORT,
        seq: 0x1000_0000,
    };
    let mut server = End {
        port: SERVER_PORT,
        seq: 0x2000_0000,
    };
    w.packet(&client, &server, TCP_SYN, &[]);
    client.seq = client.seq.wrapping_add(1);
    w.packet(&server, &client, TCP_SYN | TCP_ACK, &[]);
    server.seq = server.seq.wrapping_add(1);
    w.packet(&client, &server, TCP_ACK, &[]);

    for (sent_by_us, bytes) in log {
        let from_client = *sent_by_us == we_are_client;
        for seg in bytes.chunks(MAX_SEGMENT) {
            let (from, to) = if from_client {
                (&mut client, &mut server)
            } else {
                (&mut server, &mut client)
            };
            w.packet(from, to, TCP_PSH | TCP_ACK, seg);
            from.seq = from.seq.wrapping_add(seg.len() as u32);
        }
    }

    w.packet(&client, &server, TCP_FIN | TCP_ACK, &[]);
    client.seq = client.seq.wrapping_add(1);
    w.packet(&server, &client, TCP_FIN | TCP_ACK, &[]);
    server.seq = server.seq.wrapping_add(1);
    w.packet(&client, &server, TCP_ACK, &[]);
    w.out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads back (payload, tcp flags, seq, ack, from_port) of each packet.
    fn packets(pcap: &[u8]) -> Vec<(Vec<u8>, u8, u32, u32, u16)> {
        let mut out = Vec::new();
        let mut rest = &pcap[24..];
        while !rest.is_empty() {
            let incl = u32::from_le_bytes(rest[8..12].try_into().unwrap()) as usize;
            let p = &rest[16..16 + incl];
            assert_eq!(p[0], 0x45);
            assert_eq!(usize::from(u16::from_be_bytes([p[2], p[3]])), p.len());
            assert_eq!(checksum(&[&p[..20]]), 0, "IPv4 header checksum");
            let tcp = &p[20..];
            let mut pseudo = vec![127, 0, 0, 1, 127, 0, 0, 1, 0, 6];
            pseudo.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
            assert_eq!(checksum(&[&pseudo, tcp]), 0, "TCP checksum");
            out.push((
                tcp[20..].to_vec(),
                tcp[13],
                u32::from_be_bytes(tcp[4..8].try_into().unwrap()),
                u32::from_be_bytes(tcp[8..12].try_into().unwrap()),
                u16::from_be_bytes([tcp[0], tcp[1]]),
            ));
            rest = &rest[16 + incl..];
        }
        out
    }

    #[test]
    fn capture_has_handshake_data_with_advancing_numbers_and_fin() {
        let log = vec![
            (true, b"hello".to_vec()),
            (false, b"world!".to_vec()),
            (true, vec![7; MAX_SEGMENT + 3]),
        ];
        let pcap = capture(&log, true, UNIX_EPOCH);
        assert_eq!(&pcap[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(u32::from_le_bytes(pcap[20..24].try_into().unwrap()), 101);
        let p = packets(&pcap);
        let flags: Vec<u8> = p.iter().map(|x| x.1).collect();
        assert_eq!(
            flags,
            [0x02, 0x12, 0x10, 0x18, 0x18, 0x18, 0x18, 0x11, 0x11, 0x10]
        );
        // Client data: seq after SYN; server data acknowledges it.
        assert_eq!(p[3].0, b"hello");
        assert_eq!((p[3].2, p[3].4), (0x1000_0001, CLIENT_PORT));
        assert_eq!((p[4].2, p[4].3, p[4].4), (0x2000_0001, 0x1000_0006, 443));
        assert_eq!(p[5].0.len(), MAX_SEGMENT);
        assert_eq!(p[6].2, 0x1000_0006 + MAX_SEGMENT as u32);
        // The client's FIN follows its last byte and acknowledges the server's.
        assert_eq!(p[7].2, 0x1000_0006 + MAX_SEGMENT as u32 + 3);
        assert_eq!(p[7].3, 0x2000_0007);
    }

    #[test]
    fn scripted_server_bytes_come_from_port_443() {
        let pcap = capture(&[(true, b"x".to_vec())], false, UNIX_EPOCH);
        let p = packets(&pcap);
        assert_eq!((p[3].0.as_slice(), p[3].4), (&b"x"[..], 443));
    }

    #[test]
    fn checksum_matches_rfc1071_example() {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (complement 220d).
        assert_eq!(
            checksum(&[&[0x00, 0x01, 0xf2, 0x03], &[0xf4, 0xf5, 0xf6, 0xf7]]),
            0x220d
        );
    }
}
