//! Packets to TCP byte streams: reads pcap and pcapng files (`pcap-file`),
//! takes the IPv4/IPv6 and TCP headers apart (`etherparse`) and reassembles
//! each connection's two directions in sequence-number order.
//!
//! Reassembly is what a receiver does: a retransmitted or overlapping
//! segment contributes only bytes not yet delivered (the first copy wins),
//! and a hole (a segment the capture lost, or a packet cut short by the
//! snap length) ends that direction's stream at the hole, which
//! [`Direction::lost`] records so the session check can say it stopped
//! there rather than report a deviation the target never made.
//!
//! Caps (a capture is user input and may be hostile): [`MAX_CONNECTIONS`]
//! connections, [`MAX_STREAM`] bytes per direction, [`MAX_PENDING`]
//! out-of-order segments per direction. Past a connection cap a new
//! connection is counted and skipped; past a stream cap the direction is
//! cut there, with `truncated` set.

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::DataLink;
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};

/// Connections followed per capture.
pub const MAX_CONNECTIONS: usize = 4096;
/// Bytes kept per direction of a connection (64 MiB).
pub const MAX_STREAM: usize = 64 << 20;
/// Segments held ahead of a hole per direction before the hole is declared lost.
pub const MAX_PENDING: usize = 4096;

/// One direction of a TCP connection, reassembled.
#[derive(Debug, Default)]
pub struct Direction {
    /// The bytes delivered in order.
    pub bytes: Vec<u8>,
    /// The sender's FIN was seen at the end of `bytes`.
    pub fin: bool,
    /// A reset was seen.
    pub rst: bool,
    /// The capture lost bytes here (a hole, or a packet cut by the snap length):
    /// `bytes` stops at the hole.
    pub lost: bool,
    /// `bytes` was cut at [`MAX_STREAM`].
    pub truncated: bool,
    /// Initial sequence number (the SYN's, or the first segment's).
    isn: Option<u32>,
    /// Segments ahead of the next expected byte, by relative offset.
    pending: BTreeMap<u64, Vec<u8>>,
    /// Relative offset of a FIN seen ahead of the data.
    fin_at: Option<u64>,
    /// The last absolute sequence number seen and its 64-bit unwrapped form.
    last: Option<(u32, u64)>,
}

impl Direction {
    /// The segment's offset from the ISN, unwrapped across 2^32 relative to
    /// the last one seen (segments are never 2 GiB apart).
    fn offset(&mut self, seq: u32) -> u64 {
        let isn = *self.isn.get_or_insert(seq);
        let rel = u64::from(seq.wrapping_sub(isn));
        let unwrapped = match self.last {
            None => rel,
            Some((_, prev)) => {
                let base = prev & !0xffff_ffff;
                // Pick the candidate nearest the previous offset.
                [base.wrapping_sub(1 << 32), base, base + (1 << 32)]
                    .into_iter()
                    .map(|b| b.wrapping_add(rel))
                    .filter(|c| *c < (1 << 62))
                    .min_by_key(|c| c.abs_diff(prev))
                    .unwrap_or(rel)
            }
        };
        self.last = Some((seq, unwrapped));
        unwrapped
    }

    fn segment(&mut self, seq: u32, payload: &[u8], fin: bool, cut: bool) {
        if self.lost || self.truncated {
            return;
        }
        let at = self.offset(seq);
        if fin {
            self.fin_at = Some(at + payload.len() as u64);
        }
        if cut {
            // The packet's bytes past the snap length are gone: what it
            // holds may be delivered, then the stream has a hole.
            self.push(at, payload);
            self.drain();
            self.lost = true;
            return;
        }
        if !payload.is_empty() {
            if self.pending.len() >= MAX_PENDING {
                self.lost = true;
                return;
            }
            self.pending.entry(at).or_insert_with(|| payload.to_vec());
        }
        self.drain();
    }

    fn push(&mut self, at: u64, data: &[u8]) {
        let have = self.bytes.len() as u64;
        if at > have {
            return;
        }
        let skip = usize::try_from(have - at).unwrap_or(usize::MAX);
        let Some(new) = data.get(skip..) else { return };
        let room = MAX_STREAM.saturating_sub(self.bytes.len());
        if new.len() > room {
            self.bytes.extend_from_slice(&new[..room]);
            self.truncated = true;
        } else {
            self.bytes.extend_from_slice(new);
        }
    }

    fn drain(&mut self) {
        while let Some((&at, _)) = self.pending.first_key_value() {
            if at > self.bytes.len() as u64 {
                break;
            }
            if let Some(data) = self.pending.remove(&at) {
                self.push(at, &data);
            }
        }
        if self.fin_at == Some(self.bytes.len() as u64) {
            self.fin = true;
        }
    }

    /// At the end of the capture: segments still waiting mean a hole.
    fn finish(&mut self) {
        if !self.pending.is_empty() {
            self.lost = true;
            self.pending.clear();
        }
    }
}

/// One TCP connection: `a` is the end that sent the first packet (the SYN,
/// when the capture has it).
#[derive(Debug)]
pub struct Connection {
    pub a: SocketAddr,
    pub b: SocketAddr,
    /// What `a` sent, and what `b` sent.
    pub a_to_b: Direction,
    pub b_to_a: Direction,
    /// The capture has the opening SYN.
    pub saw_syn: bool,
}

/// Every TCP connection of a capture, in order of first packet.
#[derive(Debug, Default)]
pub struct Capture {
    pub connections: Vec<Connection>,
    /// Packets read, and packets that carried no TCP over IP.
    pub packets: usize,
    pub not_tcp: usize,
    /// Connections past [`MAX_CONNECTIONS`], not followed.
    pub skipped_connections: usize,
}

type Key = (SocketAddr, SocketAddr);

#[derive(Default)]
struct Builder {
    capture: Capture,
    index: HashMap<Key, usize>,
}

impl Builder {
    fn packet(&mut self, link: DataLink, data: &[u8], orig_len: u32) {
        self.capture.packets += 1;
        let cut = (data.len() as u64) < u64::from(orig_len);
        let Some(sliced) = slice(link, data) else {
            self.capture.not_tcp += 1;
            return;
        };
        let (src, dst) = match &sliced.net {
            Some(NetSlice::Ipv4(ip)) if !ip.is_payload_fragmented() => (
                IpAddr::V4(ip.header().source_addr()),
                IpAddr::V4(ip.header().destination_addr()),
            ),
            Some(NetSlice::Ipv6(ip)) if !ip.is_payload_fragmented() => (
                IpAddr::V6(ip.header().source_addr()),
                IpAddr::V6(ip.header().destination_addr()),
            ),
            _ => {
                self.capture.not_tcp += 1;
                return;
            }
        };
        let Some(TransportSlice::Tcp(tcp)) = &sliced.transport else {
            self.capture.not_tcp += 1;
            return;
        };
        let from = SocketAddr::new(src, tcp.source_port());
        let to = SocketAddr::new(dst, tcp.destination_port());
        let i = match self
            .index
            .get(&(from, to))
            .or_else(|| self.index.get(&(to, from)))
        {
            // A new SYN on a finished 4-tuple is a new connection.
            Some(&i) if !(tcp.syn() && !tcp.ack() && self.is_done(i)) => i,
            _ => {
                if self.capture.connections.len() >= MAX_CONNECTIONS {
                    self.capture.skipped_connections += 1;
                    return;
                }
                self.capture.connections.push(Connection {
                    a: from,
                    b: to,
                    a_to_b: Direction::default(),
                    b_to_a: Direction::default(),
                    saw_syn: tcp.syn() && !tcp.ack(),
                });
                let i = self.capture.connections.len() - 1;
                self.index.insert((from, to), i);
                i
            }
        };
        let Some(conn) = self.capture.connections.get_mut(i) else {
            return;
        };
        let dir = if conn.a == from {
            &mut conn.a_to_b
        } else {
            &mut conn.b_to_a
        };
        if tcp.rst() {
            dir.rst = true;
            return;
        }
        // SYN takes one sequence number: data starts after it.
        let seq = if tcp.syn() {
            dir.isn = Some(tcp.sequence_number().wrapping_add(1));
            dir.last = None;
            tcp.sequence_number().wrapping_add(1)
        } else {
            tcp.sequence_number()
        };
        dir.segment(seq, tcp.payload(), tcp.fin(), cut);
    }

    fn is_done(&self, i: usize) -> bool {
        self.capture
            .connections
            .get(i)
            .is_some_and(|c| (c.a_to_b.fin && c.b_to_a.fin) || c.a_to_b.rst || c.b_to_a.rst)
    }

    fn finish(mut self) -> Capture {
        for c in &mut self.capture.connections {
            c.a_to_b.finish();
            c.b_to_a.finish();
        }
        self.capture
    }
}

/// The network and transport layers of one link-layer frame, or `None`
/// for a link type or frame this reader does not take apart.
fn slice(link: DataLink, data: &[u8]) -> Option<SlicedPacket<'_>> {
    match link {
        DataLink::ETHERNET => SlicedPacket::from_ethernet(data).ok(),
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => SlicedPacket::from_ip(data).ok(),
        DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(data).ok(),
        // SLL2: a 20-byte header; BSD loopback: a 4-byte address family.
        DataLink::LINUX_SLL2 => SlicedPacket::from_ip(data.get(20..)?).ok(),
        DataLink::NULL | DataLink::LOOP => SlicedPacket::from_ip(data.get(4..)?).ok(),
        _ => None,
    }
}

/// Reads a pcap or pcapng file's bytes. A file that is neither, or that
/// is damaged before its first packet, is an error; damage later ends the
/// reading there (what came before is kept), and is reported in the error
/// only if no packet was read.
pub fn read(file: &[u8]) -> Result<Capture, String> {
    let mut b = Builder::default();
    match file.get(..4) {
        Some([0x0a, 0x0d, 0x0d, 0x0a]) => {
            let mut r = PcapNgReader::new(file).map_err(|e| format!("not a pcapng file: {e}"))?;
            while let Some(block) = r.next_block() {
                let block = match block {
                    Ok(block) => block,
                    Err(e) if b.capture.packets == 0 => return Err(format!("pcapng: {e}")),
                    Err(_) => break,
                };
                // Blocks borrow the reader: take what is needed first.
                let packet = match block {
                    Block::EnhancedPacket(p) => Some((
                        usize::try_from(p.interface_id).ok(),
                        p.original_len,
                        p.data.into_owned(),
                    )),
                    Block::SimplePacket(p) => Some((Some(0), p.original_len, p.data.into_owned())),
                    _ => None,
                };
                if let Some((iface, orig_len, data)) = packet {
                    let link = iface
                        .and_then(|i| r.interfaces().get(i))
                        .map(|i| i.linktype)
                        .unwrap_or(DataLink::ETHERNET);
                    b.packet(link, &data, orig_len);
                }
            }
        }
        Some(
            [0xa1, 0xb2, 0xc3, 0xd4]
            | [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x4d, 0x3c, 0xb2, 0xa1],
        ) => {
            let mut r = PcapReader::new(file).map_err(|e| format!("not a pcap file: {e}"))?;
            let link = r.header().datalink;
            while let Some(p) = r.next_packet() {
                match p {
                    Ok(p) => b.packet(link, &p.data, p.orig_len),
                    Err(e) if b.capture.packets == 0 => return Err(format!("pcap: {e}")),
                    Err(_) => break,
                }
            }
        }
        _ => return Err("not a pcap or pcapng file (unknown magic number)".into()),
    }
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retransmitted_and_reordered_segments_reassemble_once() {
        let mut d = Direction::default();
        d.segment(1000, b"abc", false, false);
        d.segment(1006, b"ghi", true, false);
        d.segment(1003, b"def", false, false);
        d.segment(1003, b"XXX", false, false);
        d.finish();
        assert_eq!(d.bytes, b"abcdefghi");
        assert!(d.fin && !d.lost);
    }

    #[test]
    fn a_hole_ends_the_stream_and_says_so() {
        let mut d = Direction::default();
        d.segment(1, b"abc", false, false);
        d.segment(10, b"xyz", false, false);
        d.finish();
        assert_eq!(d.bytes, b"abc");
        assert!(d.lost);
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut d = Direction::default();
        d.segment(u32::MAX - 1, b"ab", false, false);
        d.segment(0, b"cd", false, false);
        assert_eq!(d.bytes, b"abcd");
    }

    #[test]
    fn a_packet_cut_by_the_snap_length_is_a_hole() {
        let mut d = Direction::default();
        d.segment(5, b"ab", false, true);
        d.segment(7, b"cd", false, false);
        assert_eq!(d.bytes, b"ab");
        assert!(d.lost);
    }

    #[test]
    fn garbage_is_not_a_capture() {
        assert!(read(b"hello world").unwrap_err().contains("magic"));
        assert!(read(&[0xd4, 0xc3, 0xb2, 0xa1, 1]).is_err());
    }
}
