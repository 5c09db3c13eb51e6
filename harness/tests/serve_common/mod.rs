//! Shared by the `serve` tests: our server on a thread (stopped and joined
//! on drop) and a minimal engine client over a blocking socket that keeps
//! nothing it has handled (unlike `TcpSession`, which logs every event).
#![allow(dead_code, clippy::unwrap_used)]

use gauntlet_engine::{Connection, Event};
use gauntlet_harness::builtin;
use gauntlet_harness::serve::{self, ServeOptions};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Server {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    pub fn start(opts: ServeOptions) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let config = Arc::new(builtin::server_config(None, None).unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || serve::serve(listener, config, opts, flag));
        Server {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let res = t.join();
            if !std::thread::panicking() {
                res.unwrap().unwrap();
            }
        }
    }
}

/// An engine client on a blocking socket (every read bounded by `timeout`).
pub struct Client {
    pub conn: Connection,
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    pub fn connect(addr: SocketAddr, timeout: Duration) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(timeout)).unwrap();
        stream.set_write_timeout(Some(timeout)).unwrap();
        let mut config = builtin::client_config(None, None).unwrap();
        config.transcript = false;
        let conn = Connection::client(Arc::new(config), "localhost", builtin::provider(None), None)
            .unwrap();
        Client {
            conn,
            stream,
            buf: vec![0; 32 * 1024],
        }
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        let mut out = Vec::new();
        self.conn.write_tls(&mut out);
        self.stream.write_all(&out)
    }

    /// One read, fed; returns the application data it carried. An error
    /// for EOF, a timeout or a failed connection.
    pub fn pump(&mut self) -> Result<Vec<u8>, String> {
        self.flush().map_err(|e| e.to_string())?;
        let n = self.stream.read(&mut self.buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("eof".into());
        }
        self.conn.feed(&self.buf[..n], gauntlet_harness::tcp::now());
        let mut data = Vec::new();
        while let Some(e) = self.conn.poll_event() {
            match e {
                Event::ApplicationData(d) => data.extend_from_slice(&d),
                Event::Failed(err) => return Err(err.to_string()),
                _ => {}
            }
        }
        self.flush().map_err(|e| e.to_string())?;
        Ok(data)
    }

    /// Runs the handshake (bounded: 1000 reads, each within the timeout).
    pub fn handshake(&mut self) -> Result<(), String> {
        for _ in 0..1000 {
            if self.conn.handshake().is_some() {
                return self.flush().map_err(|e| e.to_string());
            }
            self.pump()?;
        }
        Err("no handshake after 1000 reads".into())
    }

    /// Sends `data` and reads until as many bytes came back.
    pub fn echo(&mut self, data: &[u8]) -> Result<(), String> {
        self.conn.send(data).map_err(|e| e.to_string())?;
        let mut got = 0;
        while got < data.len() {
            got += self.pump()?.len();
        }
        Ok(())
    }
}
