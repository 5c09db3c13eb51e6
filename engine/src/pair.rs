//! `Pair`: a client and a server driven against each other in memory, for
//! tests, benchmarks and the in-memory target.

use crate::conn::{Connection, Event};
use crate::provider::UnixTime;

#[derive(Debug)]
pub struct Pair {
    pub client: Connection,
    pub server: Connection,
    pub now: UnixTime,
    /// Everything each side received, in order, for tests that replay it.
    pub client_events: Vec<Event>,
    pub server_events: Vec<Event>,
}

impl Pair {
    pub fn new(client: Connection, server: Connection, now: UnixTime) -> Self {
        Self {
            client,
            server,
            now,
            client_events: Vec::new(),
            server_events: Vec::new(),
        }
    }

    /// Moves bytes both ways until neither side has anything to send.
    /// Returns the number of flights moved. Bounded: a pair that keeps
    /// talking after 1000 flights is a bug, reported by the return value.
    pub fn run(&mut self) -> usize {
        let mut flights = 0;
        while flights < 1000 {
            let mut buf = Vec::new();
            self.client.write_tls(&mut buf);
            let c2s = !buf.is_empty();
            if c2s {
                self.server.feed(&buf, self.now);
                flights += 1;
            }
            buf.clear();
            self.server.write_tls(&mut buf);
            let s2c = !buf.is_empty();
            if s2c {
                self.client.feed(&buf, self.now);
                flights += 1;
            }
            while let Some(e) = self.client.poll_event() {
                self.client_events.push(e);
            }
            while let Some(e) = self.server.poll_event() {
                self.server_events.push(e);
            }
            if !c2s && !s2c {
                break;
            }
        }
        flights
    }
}
