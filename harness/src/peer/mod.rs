//! The one scripted, misbehaving TLS 1.2 peer. A sans-IO core shared by
//! every use: the permissive record layer with real keys (`record`), the
//! key schedule and Finished (`keys`), the message builders (`build`), the
//! RFC 5746 / RFC 7627 rules (`rules`), the ROBOT premaster encodings
//! (`robot`) and the byte-level mutations below. On it: the client and
//! server flows with their knobs (`client`, `server`), driven over a
//! `transport` by `wire`; and the step-driven `Peer` (`step`), whose
//! `Action`s drive it one message at a time (engine behaviour tests, the
//! fuzz scenario).
//!
//! Caps on what the flows take from a target (each a failure of the
//! target when hit, never growth): a handshake message of at most
//! [`record::MAX_HANDSHAKE_LEN`], at most [`record::MAX_BYTES_IN`] of
//! records a connection, at most [`client::MAX_FLIGHT_MESSAGES`] messages
//! a server flight, and a handshake transcript of at most
//! [`MAX_TRANSCRIPT`] ([`hash_theirs`]).

pub mod build;
pub mod client;
pub mod keys;
pub mod record;
pub mod robot;
pub mod rules;
pub mod server;
pub mod step;
pub mod transport;
pub mod wire;

pub use record::Ending;
pub use step::{Action, Got, Peer, Role};

use gauntlet_engine::enums::AlertDescription;
use std::fmt;

/// A handshake message a scripted peer sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HsMsg {
    ClientHello,
    ClientKeyExchange,
    Finished,
    ServerHello,
    Certificate,
    ServerHelloDone,
}

impl HsMsg {
    pub fn name(self) -> &'static str {
        match self {
            HsMsg::ClientHello => "ClientHello",
            HsMsg::ClientKeyExchange => "ClientKeyExchange",
            HsMsg::Finished => "Finished",
            HsMsg::ServerHello => "ServerHello",
            HsMsg::Certificate => "Certificate",
            HsMsg::ServerHelloDone => "ServerHelloDone",
        }
    }
}

/// A byte-level change to one handshake message (header included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mutation {
    /// Keep only the first N body bytes; the header length says N.
    Truncate(usize),
    /// Append these bytes to the body; the header length includes them.
    TrailingData(Vec<u8>),
    /// Replace the handshake type byte.
    WrongType(u8),
    /// Header length off by this much from the body's real length.
    LengthDelta(i32),
    /// Send the message twice.
    SendTwice,
    /// Do not send it.
    Skip,
    /// Flip one bit of the body at this bit index (modulo its length).
    FlipBit(usize),
}

impl fmt::Display for Mutation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mutation::Truncate(n) => write!(f, "truncated to {n} body bytes"),
            Mutation::TrailingData(d) => write!(f, "{} trailing bytes", d.len()),
            Mutation::WrongType(t) => write!(f, "type byte {t}"),
            Mutation::LengthDelta(d) => write!(f, "length field {d:+}"),
            Mutation::SendTwice => f.write_str("sent twice"),
            Mutation::Skip => f.write_str("skipped"),
            Mutation::FlipBit(b) => write!(f, "bit {b} flipped"),
        }
    }
}

/// The messages actually sent for `msg` (zero, one or two), after every
/// mutation listed for `which`.
pub fn apply_mutation(which: HsMsg, msg: &[u8], mutations: &[(HsMsg, Mutation)]) -> Vec<Vec<u8>> {
    let mut out = vec![msg.to_vec()];
    for (_, m) in mutations.iter().filter(|(w, _)| *w == which) {
        out = out.into_iter().flat_map(|cur| mutate(&cur, m)).collect();
    }
    out
}

/// The messages to send for `msg` after the mutations listed for `which`,
/// each added to `transcript` as sent, a repeat once only: the target
/// rejects the repeat before hashing it, and our Finished must match its
/// hash. Every peer use sends its handshake messages through this.
pub fn mutate_and_hash(
    which: HsMsg,
    msg: &[u8],
    mutations: &[(HsMsg, Mutation)],
    transcript: &mut Vec<u8>,
) -> Vec<Vec<u8>> {
    let out = apply_mutation(which, msg, mutations);
    let mut last: Option<&Vec<u8>> = None;
    for m in &out {
        if last != Some(m) {
            transcript.extend_from_slice(m);
        }
        last = Some(m);
    }
    out
}

/// Largest handshake transcript a flow hashes: a dozen handshakes with
/// certificate chains of tens of KiB each fit many times over.
pub const MAX_TRANSCRIPT: usize = 1 << 20;

/// Adds a message from the target to `transcript`; a transcript that would
/// pass [`MAX_TRANSCRIPT`] ends the conversation (the target sent more
/// handshake than any conforming peer).
pub fn hash_theirs(transcript: &mut Vec<u8>, raw: &[u8]) -> Result<(), Ending> {
    if transcript.len() + raw.len() > MAX_TRANSCRIPT {
        return Err(Ending::Garbled(format!(
            "target's handshake messages pass {MAX_TRANSCRIPT} bytes of transcript (cap MAX_TRANSCRIPT)"
        )));
    }
    transcript.extend_from_slice(raw);
    Ok(())
}

fn set_len(msg: &mut [u8], len: usize) {
    let b = (len as u32).to_be_bytes();
    if msg.len() >= 4 {
        msg[1..4].copy_from_slice(&b[1..]);
    }
}

fn mutate(msg: &[u8], m: &Mutation) -> Vec<Vec<u8>> {
    let body_len = msg.len().saturating_sub(4);
    match m {
        Mutation::Truncate(n) => {
            let n = (*n).min(body_len);
            let mut v = msg[..4 + n].to_vec();
            set_len(&mut v, n);
            vec![v]
        }
        Mutation::TrailingData(d) => {
            let mut v = msg.to_vec();
            v.extend_from_slice(d);
            set_len(&mut v, body_len + d.len());
            vec![v]
        }
        Mutation::WrongType(t) => {
            let mut v = msg.to_vec();
            if let Some(b) = v.first_mut() {
                *b = *t;
            }
            vec![v]
        }
        Mutation::LengthDelta(d) => {
            let mut v = msg.to_vec();
            let len = (body_len as i64 + i64::from(*d)).clamp(0, 0xff_ffff) as usize;
            set_len(&mut v, len);
            vec![v]
        }
        Mutation::SendTwice => vec![msg.to_vec(), msg.to_vec()],
        Mutation::Skip => vec![],
        Mutation::FlipBit(bit) => {
            let mut v = msg.to_vec();
            if body_len > 0 {
                let i = 4 + (bit / 8) % body_len;
                v[i] ^= 1 << (bit % 8);
            }
            vec![v]
        }
    }
}

/// The scripted peer's own milestones in a conversation, in the order it
/// reaches them. The flows read the target's whole flight before they
/// send their next one, so reaching a step means the target sent what a
/// conforming peer sends up to it. A case's misbehaviour is injected at one
/// step (`ClientBugs::injected_at`, `ServerBugs::injected_at`); an ending
/// that came before the peer reached it says nothing about that
/// misbehaviour (`case::judge`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Milestone {
    /// Connected; nothing sent yet (a server flow awaits the ClientHello).
    #[default]
    Start,
    /// Our hello flight: ClientHello, or ServerHello … ServerHelloDone
    /// once the target's ClientHello is read.
    Hello,
    /// The client's second flight, from its first record (early CCS,
    /// alerts, records before ClientKeyExchange) to ClientKeyExchange,
    /// once the server's flight is read.
    KeyExchange,
    /// Our ChangeCipherSpec and what we send before our Finished.
    ChangeCipherSpec,
    /// Our Finished.
    Finished,
    /// After the handshake: application data, renegotiation, close.
    Traffic,
}

/// How a scripted conversation went, from the scripted peer's side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// `None`: the handshake completed, application data went both ways.
    pub ending: Option<Ending>,
    /// Records received from the target before the ending.
    pub records_in: usize,
    /// The furthest step the peer reached before the ending.
    pub reached: Milestone,
    /// The target resumed the offered session (abbreviated handshake).
    pub resumed: bool,
    /// NSS key log line of the last connection, once its master secret is known.
    pub key_log: Option<String>,
}

impl Outcome {
    pub fn completed(records_in: usize, resumed: bool) -> Self {
        Self {
            ending: None,
            records_in,
            reached: Milestone::Traffic,
            resumed,
            key_log: None,
        }
    }

    pub fn ended(e: Ending, records_in: usize) -> Self {
        Self {
            ending: Some(e),
            records_in,
            reached: Milestone::Start,
            resumed: false,
            key_log: None,
        }
    }

    /// The same ending, reached at `step`.
    pub fn at(mut self, step: Milestone) -> Self {
        self.reached = step;
        self
    }

    /// The fatal alert the target sent, if that is how it ended.
    pub fn fatal_alert(&self) -> Option<AlertDescription> {
        match self.ending {
            Some(Ending::Alert {
                level: 2,
                description,
            }) => Some(AlertDescription(description)),
            _ => None,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.ending {
            None if self.resumed => f.write_str("resumed handshake and application data completed"),
            None => f.write_str("handshake and application data completed"),
            Some(e) => write!(f, "{e} (after {} records)", self.records_in),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_rewrite_the_header_length_to_match() {
        let msg = [1, 0, 0, 3, 7, 8, 9];
        let t = |m| apply_mutation(HsMsg::ClientHello, &msg, &[(HsMsg::ClientHello, m)]);
        assert_eq!(t(Mutation::Truncate(1)), vec![vec![1, 0, 0, 1, 7]]);
        assert_eq!(
            t(Mutation::TrailingData(vec![0])),
            vec![vec![1, 0, 0, 4, 7, 8, 9, 0]]
        );
        assert_eq!(
            t(Mutation::LengthDelta(-1)),
            vec![vec![1, 0, 0, 2, 7, 8, 9]]
        );
        assert_eq!(t(Mutation::WrongType(2))[0][0], 2);
        assert_eq!(t(Mutation::SendTwice).len(), 2);
        assert!(t(Mutation::Skip).is_empty());
        assert_eq!(t(Mutation::FlipBit(9)), vec![vec![1, 0, 0, 3, 7, 10, 9]]);
        // Mutations of other messages leave this one alone.
        let other = apply_mutation(
            HsMsg::Finished,
            &msg,
            &[(HsMsg::ClientHello, Mutation::Skip)],
        );
        assert_eq!(other, vec![msg.to_vec()]);
    }
}
