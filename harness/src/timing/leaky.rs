//! A deliberately leaky reference server, to validate the timing test:
//! its RSA key (an ordinary [`RsaDecrypt`] plug-in wrapping the real one;
//! the engine is unchanged) busy-waits `delay` whenever the decrypted
//! PKCS#1 message is not 48 bytes long, i.e. on bad padding (implicit
//! rejection then yields a message of another length) and on wrong-length
//! plaintexts. A timing test that does not call this server an oracle is
//! broken. Test and self-check use only: never a default anywhere.

use gauntlet_engine::crypto::rsa_kx::Pkcs1Plaintext;
use gauntlet_engine::crypto::RsaDecrypt;
use gauntlet_engine::{Connection, Provider, ServerConfig};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An RSA key that answers late on a malformed premaster.
pub struct LeakyKey {
    pub inner: gauntlet_engine::config::ServerKey,
    pub delay: Duration,
}

impl std::fmt::Debug for LeakyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LeakyKey({:?})", self.delay)
    }
}

impl RsaDecrypt for LeakyKey {
    fn modulus_len(&self) -> usize {
        self.inner.modulus_len()
    }

    fn decrypt_pkcs1v15(&self, rng: &mut Provider, ciphertext: &[u8]) -> Pkcs1Plaintext {
        let out = self.inner.decrypt_pkcs1v15(rng, ciphertext);
        if out.message.len() != 48 {
            let until = Instant::now() + self.delay;
            while Instant::now() < until {
                std::hint::spin_loop();
            }
        }
        out
    }
}

/// The built-in reference server with a [`LeakyKey`], on 127.0.0.1 (port
/// 0), one connection at a time, until dropped.
#[derive(Debug)]
pub struct LeakyServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LeakyServer {
    pub fn start(delay: Duration) -> Result<Self, String> {
        let mut config: ServerConfig = crate::builtin::server_config(None, None)?;
        config.key = Arc::new(LeakyKey {
            inner: config.key.clone(),
            delay,
        });
        config.transcript = false;
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let counter = AtomicU64::new(0);
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(1));
                    continue;
                };
                let _ = stream.set_nonblocking(false);
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let mut seed = [0x4cu8; 32];
                seed[..8].copy_from_slice(&n.to_be_bytes());
                let conn = Connection::server(config.clone(), Provider::from_seed(seed));
                if let Ok(mut s) = crate::tcp::TcpSession::new(conn, stream, Duration::from_secs(5))
                {
                    let _ = s.handshake();
                }
            }
        });
        Ok(Self {
            addr,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for LeakyServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
