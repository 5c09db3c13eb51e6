//! A classic libpcap file from a connection's chunk log, so Wireshark and
//! tshark can dissect (and, with the key log, decrypt) a reproducer.
//!
//! The capture is synthesized: LINKTYPE_RAW (IPv4 packets, no link header),
//! 127.0.0.1 both ends, the TLS server on port 443 (so dissectors pick TLS
//! without a "decode as"), a SYN / SYN-ACK / ACK handshake, one data segment
//! per chunk (split at 16 KiB), sequence and acknowledgement numbers that
//! advance with the bytes, and a FIN exchange at the end. IPv4 and TCP
//! checksums are computed; timestamps advance 1 ms per packet from `start`.
//! The file format is `pcap-file`'s, the IPv4/TCP headers `etherparse`'s.

use etherparse::{
    IpHeaders, IpNumber, Ipv4Extensions, Ipv4Header, PacketBuilder, PacketBuilderStep, TcpHeader,
};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, Endianness, TsResolution};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const LOOPBACK: [u8; 4] = [127, 0, 0, 1];
const SERVER_PORT: u16 = 443;
const CLIENT_PORT: u16 = 49152;
/// Payload bytes per segment: 40 bytes of headers keep a packet far below
/// the snap length, so no packet is ever truncated.
const MAX_SEGMENT: usize = 16 * 1024;
const SNAPLEN: u32 = 65_535;
const WINDOW: u16 = 0xffff;

/// Sets a segment's TCP flags; gets the peer's next sequence number, which
/// every segment but the first SYN acknowledges.
type Flags = fn(PacketBuilderStep<TcpHeader>, u32) -> PacketBuilderStep<TcpHeader>;

/// One TCP endpoint's next sequence number.
struct End {
    port: u16,
    seq: u32,
}

struct Writer {
    pcap: PcapWriter<Vec<u8>>,
    time: Duration,
    ip_id: u16,
    packet: Vec<u8>,
}

impl Writer {
    fn packet(&mut self, from: &End, to: &End, flags: Flags, payload: &[u8]) -> Result<(), String> {
        // DF set, TTL 64; etherparse fills in lengths and both checksums.
        let mut ip =
            Ipv4Header::new(0, 64, IpNumber::TCP, LOOPBACK, LOOPBACK).map_err(|e| e.to_string())?;
        ip.identification = self.ip_id;
        self.ip_id = self.ip_id.wrapping_add(1);
        let tcp = PacketBuilder::ip(IpHeaders::Ipv4(ip, Ipv4Extensions::default()))
            .tcp(from.port, to.port, from.seq, WINDOW);
        let tcp = flags(tcp, to.seq);
        self.packet.clear();
        tcp.write(&mut self.packet, payload)
            .map_err(|e| e.to_string())?;
        let len = u32::try_from(self.packet.len()).map_err(|e| e.to_string())?;
        self.pcap
            .write_packet(&PcapPacket::new(self.time, len, &self.packet))
            .map_err(|e| e.to_string())?;
        self.time += Duration::from_millis(1);
        Ok(())
    }
}

/// The capture of one connection. `log` is (sent_by_us, bytes) per chunk;
/// `we_are_client` says which end Gauntlet was (true when testing a server).
/// Errors (a start time past 2106, which the classic format cannot hold)
/// are one line.
pub fn capture(
    log: &[(bool, Vec<u8>)],
    we_are_client: bool,
    start: SystemTime,
) -> Result<Vec<u8>, String> {
    // Classic libpcap, version 2.4, microseconds, little-endian as most writers.
    let header = PcapHeader {
        version_major: 2,
        version_minor: 4,
        ts_correction: 0,
        ts_accuracy: 0,
        snaplen: SNAPLEN,
        datalink: DataLink::RAW,
        ts_resolution: TsResolution::MicroSecond,
        endianness: Endianness::Little,
    };
    let mut w = Writer {
        pcap: PcapWriter::with_header(Vec::new(), header).map_err(|e| e.to_string())?,
        time: start.duration_since(UNIX_EPOCH).unwrap_or_default(),
        ip_id: 1,
        packet: Vec::with_capacity(40 + MAX_SEGMENT),
    };
    let mut client = End {
        port: CLIENT_PORT,
        seq: 0x1000_0000,
    };
    let mut server = End {
        port: SERVER_PORT,
        seq: 0x2000_0000,
    };
    w.packet(&client, &server, |t, _| t.syn(), &[])?;
    client.seq = client.seq.wrapping_add(1);
    w.packet(&server, &client, |t, ack| t.syn().ack(ack), &[])?;
    server.seq = server.seq.wrapping_add(1);
    w.packet(&client, &server, |t, ack| t.ack(ack), &[])?;

    for (sent_by_us, bytes) in log {
        let from_client = *sent_by_us == we_are_client;
        for seg in bytes.chunks(MAX_SEGMENT) {
            let (from, to) = if from_client {
                (&mut client, &mut server)
            } else {
                (&mut server, &mut client)
            };
            w.packet(from, to, |t, ack| t.psh().ack(ack), seg)?;
            // A segment is at most MAX_SEGMENT bytes, far below u32::MAX.
            from.seq = from.seq.wrapping_add(seg.len() as u32);
        }
    }

    w.packet(&client, &server, |t, ack| t.fin().ack(ack), &[])?;
    client.seq = client.seq.wrapping_add(1);
    w.packet(&server, &client, |t, ack| t.fin().ack(ack), &[])?;
    server.seq = server.seq.wrapping_add(1);
    w.packet(&client, &server, |t, ack| t.ack(ack), &[])?;
    Ok(w.pcap.into_writer())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pcap_file::pcap::PcapReader;

    /// An independent Internet checksum (RFC 1071) to check the written ones
    /// against: over a header that includes its checksum it gives 0.
    fn checksum(parts: &[&[u8]]) -> u16 {
        let bytes: Vec<u8> = parts.concat();
        let mut sum: u32 = bytes
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)])))
            .sum();
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        !(sum as u16)
    }

    /// Reads back (payload, tcp flags, seq, ack, from_port) of each packet,
    /// checking the file header, the timestamps and both checksums.
    fn packets(pcap: &[u8]) -> Vec<(Vec<u8>, u8, u32, u32, u16)> {
        let mut reader = PcapReader::new(pcap).unwrap();
        let h = reader.header();
        assert_eq!((h.version_major, h.version_minor), (2, 4));
        assert_eq!(h.datalink, DataLink::RAW);
        assert_eq!(h.ts_resolution, TsResolution::MicroSecond);
        let mut out = Vec::new();
        let mut last = None;
        while let Some(packet) = reader.next_packet() {
            let packet = packet.unwrap();
            assert_eq!(packet.orig_len as usize, packet.data.len());
            if let Some(t) = last {
                assert_eq!(packet.timestamp, t + Duration::from_millis(1));
            }
            last = Some(packet.timestamp);
            let p = &packet.data[..];
            assert_eq!(p[0], 0x45);
            assert_eq!(usize::from(u16::from_be_bytes([p[2], p[3]])), p.len());
            assert_eq!(p[6] & 0x40, 0x40, "DF");
            assert_eq!((p[8], p[9]), (64, 6), "TTL 64, TCP");
            assert_eq!(checksum(&[&p[..20]]), 0, "IPv4 header checksum");
            let tcp = &p[20..];
            assert_eq!(tcp[12], 5 << 4, "no TCP options");
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
        let pcap = capture(&log, true, UNIX_EPOCH).unwrap();
        // Little-endian microsecond magic, LINKTYPE_RAW (101).
        assert_eq!(&pcap[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(u32::from_le_bytes(pcap[20..24].try_into().unwrap()), 101);
        let p = packets(&pcap);
        let flags: Vec<u8> = p.iter().map(|x| x.1).collect();
        assert_eq!(
            flags,
            [0x02, 0x12, 0x10, 0x18, 0x18, 0x18, 0x18, 0x11, 0x11, 0x10]
        );
        // The first SYN acknowledges nothing.
        assert_eq!(p[0].3, 0);
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
        let pcap = capture(&[(true, b"x".to_vec())], false, UNIX_EPOCH).unwrap();
        let p = packets(&pcap);
        assert_eq!((p[3].0.as_slice(), p[3].4), (&b"x"[..], 443));
    }

    #[test]
    fn ip_ids_advance_per_packet() {
        let pcap = capture(&[], true, UNIX_EPOCH).unwrap();
        let mut reader = PcapReader::new(&pcap[..]).unwrap();
        let mut ids = Vec::new();
        while let Some(packet) = reader.next_packet() {
            let data = packet.unwrap().data;
            ids.push(u16::from_be_bytes([data[4], data[5]]));
        }
        assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn a_start_time_the_format_cannot_hold_is_an_error() {
        let late = UNIX_EPOCH + Duration::from_secs(u64::from(u32::MAX) + 1);
        let err = capture(&[], true, late).unwrap_err();
        assert!(!err.contains('\n') && err.contains("timestamp"), "{err}");
    }

    #[test]
    fn checksum_oracle_matches_rfc1071_example() {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (complement 220d).
        assert_eq!(
            checksum(&[&[0x00, 0x01, 0xf2, 0x03], &[0xf4, 0xf5, 0xf6, 0xf7]]),
            0x220d
        );
        // An odd length pads with a zero byte.
        assert_eq!(checksum(&[&[0x01]]), !0x0100);
    }
}
