//! The host side of a confined server's bridge: a TCP listener on loopback
//! whose connections are joined, byte for byte, to the bridge's UNIX socket.

use super::BRIDGE_CONNECT_TIMEOUT;
use super::POLL;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The host side of a confined server's relay: accepts on the loopback
/// address and joins each connection to a fresh connection on the bridge's
/// UNIX socket. Dropping it shuts every relayed connection down and joins its
/// threads.
#[derive(Debug)]
pub(super) struct Relay {
    stop: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<(u64, OpenPair)>>>,
    accept: Option<JoinHandle<()>>,
}

/// Clones of a relayed connection's two sockets, to shut them down on stop.
#[derive(Debug)]
struct OpenPair {
    tcp: TcpStream,
    unix: UnixStream,
}

type OpenPairs = Mutex<Vec<(u64, OpenPair)>>;

fn lock_pairs(open: &OpenPairs) -> MutexGuard<'_, Vec<(u64, OpenPair)>> {
    open.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Relay {
    pub(super) fn start(listener: TcpListener, socket: PathBuf) -> io::Result<Relay> {
        // Non-blocking accept polled every few ms, so stop is prompt.
        listener.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (thread_stop, thread_open) = (Arc::clone(&stop), Arc::clone(&open));
        let accept = thread::Builder::new()
            .name("peer-relay".to_owned())
            .spawn(move || accept_loop(&listener, &socket, &thread_stop, &thread_open))?;
        Ok(Relay {
            stop,
            open,
            accept: Some(accept),
        })
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        // Under the lock, so no connection registers after this sweep.
        {
            let mut open = lock_pairs(&self.open);
            self.stop.store(true, Ordering::SeqCst);
            for (_, pair) in open.drain(..) {
                let _ = pair.tcp.shutdown(Shutdown::Both);
                let _ = pair.unix.shutdown(Shutdown::Both);
            }
        }
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn accept_loop(
    listener: &TcpListener,
    socket: &Path,
    stop: &Arc<AtomicBool>,
    open: &Arc<OpenPairs>,
) {
    let mut next_id = 0u64;
    let mut connections: Vec<JoinHandle<()>> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((tcp, _)) => {
                next_id += 1;
                let (id, socket) = (next_id, socket.to_owned());
                let (stop, open) = (Arc::clone(stop), Arc::clone(open));
                let spawned = thread::Builder::new()
                    .name("peer-relay-conn".to_owned())
                    .spawn(move || relay_connection(id, tcp, &socket, &stop, &open));
                // Without a thread the client just sees the connection close.
                if let Ok(handle) = spawned {
                    connections.push(handle);
                }
            }
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
        connections.retain(|c| !c.is_finished());
    }
    for connection in connections {
        let _ = connection.join();
    }
}

fn relay_connection(id: u64, tcp: TcpStream, socket: &Path, stop: &AtomicBool, open: &OpenPairs) {
    if tcp.set_nonblocking(false).is_err() {
        return;
    }
    // socat creates the socket file just before it listens: retry briefly.
    let deadline = Instant::now() + BRIDGE_CONNECT_TIMEOUT;
    let unix = loop {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        match UnixStream::connect(socket) {
            Ok(unix) => break unix,
            Err(_) if Instant::now() < deadline => thread::sleep(POLL),
            Err(_) => return,
        }
    };
    let (Ok(tcp_back), Ok(unix_back), Ok(tcp_reg), Ok(unix_reg)) = (
        tcp.try_clone(),
        unix.try_clone(),
        tcp.try_clone(),
        unix.try_clone(),
    ) else {
        return;
    };
    {
        let mut pairs = lock_pairs(open);
        if stop.load(Ordering::SeqCst) {
            return;
        }
        pairs.push((
            id,
            OpenPair {
                tcp: tcp_reg,
                unix: unix_reg,
            },
        ));
    }
    let back = thread::Builder::new()
        .name("peer-relay-back".to_owned())
        .spawn(move || {
            pump(&unix_back, &tcp_back);
            let _ = tcp_back.shutdown(Shutdown::Write);
        });
    if back.is_ok() {
        pump(&tcp, &unix);
        let _ = unix.shutdown(Shutdown::Write);
    }
    if let Ok(back) = back {
        let _ = back.join();
    }
    lock_pairs(open).retain(|(pair_id, _)| *pair_id != id);
}

/// Copies until end of stream or an error on either side.
fn pump(mut from: impl Read, mut to: impl Write) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                if to.write_all(buf.get(..n).unwrap_or_default()).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}
