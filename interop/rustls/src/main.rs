//! A rustls TLS 1.2 peer for Gauntlet's interop runs, with the command line
//! of the Java and mbedTLS peers:
//!
//! ```text
//! rustls-peer server --port N --cert LEAF.pem [--chain INT.pem] --key KEY.pem
//!                    [--suite NAME[,NAME...]] [--mode http|echo] [--timeout SECS]
//! rustls-peer client --port N --ca ROOT.pem [--suite ...] [--servername NAME] [--timeout SECS]
//! ```
//!
//! Server: 127.0.0.1:PORT only (0: a free port, printed), a thread per
//! connection; "http" answers one request and closes with close_notify.
//! Client: verifies the chain against ROOT and the name, sends
//! `GET / HTTP/1.0\r\n\r\n`, prints the answer; exit 0 only if the answer
//! ended with close_notify. TLS 1.2 only; rustls has no RSA key exchange,
//! so Gauntlet runs it in the ECDHE cells. Every read and write is bounded
//! by --timeout.
#![forbid(unsafe_code)]

use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("rustls-peer: {msg}");
    ExitCode::from(2)
}

/// The provider with only the listed suites (IANA names), in that order.
fn provider(suites: Option<&String>) -> Result<Arc<CryptoProvider>, String> {
    let mut p = ring::default_provider();
    if let Some(list) = suites {
        let all = p.cipher_suites.clone();
        p.cipher_suites = list
            .split(',')
            .map(|name| {
                all.iter()
                    .find(|s| format!("{:?}", s.suite()) == name)
                    .copied()
                    .ok_or_else(|| format!("unknown suite {name}"))
            })
            .collect::<Result<_, _>>()?;
    }
    Ok(Arc::new(p))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let Some(role) = args.get(1) else {
        return fail("usage: rustls-peer server|client --port N ...");
    };
    let mut opt = HashMap::new();
    let mut it = args[2..].iter();
    while let Some(k) = it.next() {
        let (Some(k), Some(v)) = (k.strip_prefix("--"), it.next()) else {
            return fail(format!("bad argument {k}"));
        };
        opt.insert(k.to_string(), v.clone());
    }
    let timeout = opt
        .get("timeout")
        .and_then(|t| t.parse::<f64>().ok())
        .unwrap_or(10.0);
    if !(timeout > 0.0 && timeout < 3600.0) {
        return fail("--timeout must be positive");
    }
    let timeout = Duration::from_secs_f64(timeout);
    let Some(port) = opt.get("port").and_then(|p| p.parse::<u16>().ok()) else {
        return fail("--port N is required");
    };
    let provider = match provider(opt.get("suite")) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let result = match role.as_str() {
        "server" => server(&opt, provider, port, timeout),
        "client" => client(&opt, provider, port, timeout),
        other => Err(format!("unknown role {other}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rustls-peer: {e}");
            ExitCode::from(1)
        }
    }
}

fn certs(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{path}: {e}"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{path}: {e}"))
}

fn server(
    opt: &HashMap<String, String>,
    provider: Arc<CryptoProvider>,
    port: u16,
    timeout: Duration,
) -> Result<(), String> {
    let need = |k: &str| opt.get(k).ok_or(format!("--{k} is required"));
    let mut chain = certs(need("cert")?)?;
    if let Some(int) = opt.get("chain") {
        chain.extend(certs(int)?);
    }
    let key = PrivateKeyDer::from_pem_file(need("key")?).map_err(|e| format!("key: {e}"))?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| e.to_string())?;
    let config = Arc::new(config);
    let echo = opt.get("mode").is_some_and(|m| m == "echo");
    let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!(
        "rustls-peer: listening on {addr} mode={}",
        if echo { "echo" } else { "http" }
    );
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let config = config.clone();
        std::thread::spawn(move || {
            if let Err(e) = serve_one(stream, config, echo, timeout) {
                eprintln!("rustls-peer: {e}");
            }
        });
    }
    Ok(())
}

fn serve_one(
    stream: TcpStream,
    config: Arc<rustls::ServerConfig>,
    echo: bool,
    timeout: Duration,
) -> Result<(), String> {
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let conn = rustls::ServerConnection::new(config).map_err(|e| e.to_string())?;
    let mut tls = rustls::StreamOwned::new(conn, stream);
    let mut request = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        let n = match tls.read(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                // rustls queues its fatal alert; send it before closing.
                let _ = tls.conn.write_tls(&mut tls.sock);
                return Err(e.to_string());
            }
        };
        if n == 0 {
            return Ok(());
        }
        if echo {
            tls.write_all(&buf[..n]).map_err(|e| e.to_string())?;
            continue;
        }
        request.extend_from_slice(&buf[..n]);
        let done = request.windows(4).any(|w| w == b"\r\n\r\n")
            || request.windows(2).any(|w| w == b"\n\n")
            || request.len() > 65536;
        if done {
            let suite = tls
                .conn
                .negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite()));
            let body = format!(
                "<html><body><pre>Gauntlet rustls peer\nTLSv1.2 {}\n</pre></body></html>\r\n",
                suite.unwrap_or_default()
            );
            let answer = format!("HTTP/1.0 200 ok\r\nContent-type: text/html\r\n\r\n{body}");
            tls.write_all(answer.as_bytes())
                .map_err(|e| e.to_string())?;
            tls.conn.send_close_notify();
            tls.flush().map_err(|e| e.to_string())?;
            return Ok(());
        }
    }
}

fn client(
    opt: &HashMap<String, String>,
    provider: Arc<CryptoProvider>,
    port: u16,
    timeout: Duration,
) -> Result<(), String> {
    let ca = opt.get("ca").ok_or("--ca is required")?;
    let mut roots = rustls::RootCertStore::empty();
    for c in certs(ca)? {
        roots.add(c).map_err(|e| e.to_string())?;
    }
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = opt
        .get("servername")
        .cloned()
        .unwrap_or_else(|| "localhost".into());
    let name = ServerName::try_from(name).map_err(|e| e.to_string())?;
    let conn = rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
    let stream = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), timeout)
        .map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let mut tls = rustls::StreamOwned::new(conn, stream);
    let sent = tls.write_all(b"GET / HTTP/1.0\r\n\r\n");
    if sent.is_err() {
        // rustls queues its fatal alert; send it before closing.
        let _ = tls.conn.write_tls(&mut tls.sock);
    }
    sent.map_err(|e| e.to_string())?;
    if let Some(s) = tls.conn.negotiated_cipher_suite() {
        eprintln!("rustls-peer: negotiated TLSv1.2 {:?}", s.suite());
    }
    // read_to_end fails with UnexpectedEof unless the answer ends with
    // close_notify; at most 1 MiB is kept.
    let mut answer = Vec::new();
    let read = Read::by_ref(&mut tls)
        .take(1 << 20)
        .read_to_end(&mut answer);
    if read.is_err() {
        let _ = tls.conn.write_tls(&mut tls.sock);
    }
    read.map_err(|e| e.to_string())?;
    if answer.is_empty() {
        return Err("no answer from the server".into());
    }
    std::io::stdout()
        .write_all(&answer)
        .map_err(|e| e.to_string())?;
    Ok(())
}
