//! `gauntlet check-capture` on captures of the recorded third-party
//! sessions (vectors/handshakes.json: OpenSSL and GnuTLS clients against
//! `openssl s_server`, recorded by vectors/gen/record_handshake.py), put
//! into pcap files by the harness's capture writer, and on copies broken
//! one way each: a reused GCM nonce, a wrong Finished, a wrong master
//! secret in the key log, a truncated record, data after close_notify.
//! The ECDHE recordings (vectors/handshakes_ecdhe.json: OpenSSL and GnuTLS
//! in both roles, vectors/gen/record_ecdhe.py) are checked from their key
//! logs, and broken in their ServerKeyExchange (forged signature, missing).
//! The broken records are re-sealed with the session's real keys, so each
//! fault is the only one and must be reported at its own record.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gauntlet_engine::crypto::{key_block, MasterSecret, PrfHash};
use gauntlet_engine::enums::{ContentType, ProtocolVersion};
use gauntlet_engine::record::protection::{open_with_seq, seal_with_nonce};
use gauntlet_harness::capture::keylog::KeyLog;
use gauntlet_harness::capture::session::{Outcome, Sender};
use gauntlet_harness::capture::{check_capture, CaptureReport};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors")
}

struct Recording {
    id: String,
    suite: u16,
    c2s: Vec<u8>,
    s2c: Vec<u8>,
    client_random: [u8; 32],
    master_secret: [u8; 48],
}

fn recordings() -> Vec<Recording> {
    recordings_in("handshakes.json")
}

fn recordings_in(file: &str) -> Vec<Recording> {
    let text = std::fs::read_to_string(vectors_dir().join(file)).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let hex = |v: &Value| hex::decode(v.as_str().unwrap()).unwrap();
    doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Recording {
            id: c["id"].as_str().unwrap().into(),
            suite: u16::try_from(c["suite"].as_u64().unwrap()).unwrap(),
            c2s: hex(&c["client_to_server"]),
            s2c: hex(&c["server_to_client"]),
            client_random: hex(&c["keylog"]["client_random"]).try_into().unwrap(),
            master_secret: hex(&c["keylog"]["master_secret"]).try_into().unwrap(),
        })
        .collect()
}

fn recording(id: &str) -> Recording {
    recordings().into_iter().find(|r| r.id == id).unwrap()
}

/// A pcap of the two streams (client's bytes, then server's: TCP keeps
/// each direction's order, which is all the checker reads), SYN to FIN.
fn pcap(c2s: &[u8], s2c: &[u8]) -> Vec<u8> {
    let log = vec![(true, c2s.to_vec()), (false, s2c.to_vec())];
    gauntlet_harness::pcap::capture(&log, true, UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        .unwrap()
}

fn server_key() -> gauntlet_engine::config::ServerKey {
    gauntlet_harness::builtin::load_key(&vectors_dir().join("keys/rsa2048.key")).unwrap()
}

fn keylog(r: &Recording) -> KeyLog {
    KeyLog::parse(&format!(
        "CLIENT_RANDOM {} {}\n",
        hex::encode(r.client_random),
        hex::encode(r.master_secret)
    ))
    .unwrap()
}

/// Checks a capture of the two streams; the single session's outcome.
fn check(c2s: &[u8], s2c: &[u8], log: Option<&KeyLog>, with_key: bool) -> (Outcome, CaptureReport) {
    let key = server_key();
    let report = check_capture(
        &pcap(c2s, s2c),
        log,
        with_key.then_some(&*key as &dyn gauntlet_engine::crypto::RsaDecrypt),
    )
    .unwrap();
    assert_eq!(report.sessions.len(), 1, "{}", report.render("test"));
    (report.sessions[0].outcome.clone(), report)
}

/// (content type, start of the record header, end of the record) per record.
fn records(stream: &[u8]) -> Vec<(u8, usize, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 5 <= stream.len() {
        let len = usize::from(u16::from_be_bytes([stream[pos + 3], stream[pos + 4]]));
        out.push((stream[pos], pos, pos + 5 + len));
        pos += 5 + len;
    }
    out
}

/// The session's keys for one direction, from the key log's master secret.
struct DirectionKeys {
    key: Vec<u8>,
    salt: [u8; 4],
}

fn keys(r: &Recording, client: bool) -> DirectionKeys {
    let (hash, key_len) = match r.suite {
        0x009c => (PrfHash::Sha256, 16),
        _ => (PrfHash::Sha384, 32),
    };
    // ServerHello: record header 5, handshake header 4, version 2, then the random.
    let server_random: [u8; 32] = r.s2c[11..43].try_into().unwrap();
    let kb = key_block(
        hash,
        &MasterSecret::from_bytes(r.master_secret),
        &r.client_random,
        &server_random,
        key_len,
    )
    .unwrap();
    if client {
        DirectionKeys {
            key: kb.client_write_key().to_vec(),
            salt: *kb.client_write_iv(),
        }
    } else {
        DirectionKeys {
            key: kb.server_write_key().to_vec(),
            salt: *kb.server_write_iv(),
        }
    }
}

/// The protected records of a stream (those after its CCS): (1-based record
/// number, sequence number, header start, end).
fn protected(stream: &[u8]) -> Vec<(usize, u64, usize, usize)> {
    let all = records(stream);
    let ccs = all.iter().position(|r| r.0 == 20).unwrap();
    all.iter()
        .enumerate()
        .skip(ccs + 1)
        .map(|(i, r)| (i + 1, (i - ccs - 1) as u64, r.1, r.2))
        .collect()
}

fn open(
    k: &DirectionKeys,
    stream: &[u8],
    seq: u64,
    start: usize,
    end: usize,
) -> (ContentType, Vec<u8>) {
    let typ = ContentType(stream[start]);
    let pt = open_with_seq(
        &k.key,
        &k.salt,
        seq,
        typ,
        ProtocolVersion::TLSv1_2,
        &stream[start + 5..end],
    )
    .unwrap();
    (typ, pt)
}

fn sealed_record(
    k: &DirectionKeys,
    explicit: [u8; 8],
    seq: u64,
    typ: ContentType,
    pt: &[u8],
) -> Vec<u8> {
    let frag = seal_with_nonce(
        &k.key,
        &k.salt,
        &explicit,
        seq,
        typ,
        ProtocolVersion::TLSv1_2,
        pt,
    )
    .unwrap();
    let mut out = vec![typ.0, 3, 3];
    out.extend_from_slice(&u16::try_from(frag.len()).unwrap().to_be_bytes());
    out.extend_from_slice(&frag);
    out
}

fn deviation(outcome: &Outcome) -> &gauntlet_harness::capture::session::Deviation {
    match outcome {
        Outcome::Deviation(d) => d,
        Outcome::Conforms(s) => panic!(
            "want a deviation, got conforms: {:?} {:?}",
            s.endings, s.notes
        ),
        other => panic!("want a deviation, got {other:?}"),
    }
}

#[test]
fn every_recorded_third_party_session_conforms() {
    let all = recordings();
    assert_eq!(all.len(), 8);
    for r in &all {
        let (outcome, report) = check(&r.c2s, &r.s2c, Some(&keylog(r)), true);
        let Outcome::Conforms(sum) = &outcome else {
            panic!("{}: {}", r.id, report.render(&r.id));
        };
        assert_eq!(sum.suite, r.suite, "{}", r.id);
        assert_eq!(sum.secret, "server key, and the key log agrees", "{}", r.id);
        assert!(!sum.resumed);
        assert_eq!(report.exit_code(), 0);
    }
}

#[test]
fn the_key_log_alone_or_the_server_key_alone_suffices() {
    let r = recording("gnutls-009d-ems-on");
    let (with_log, _) = check(&r.c2s, &r.s2c, Some(&keylog(&r)), false);
    assert!(
        matches!(&with_log, Outcome::Conforms(s) if s.secret == "key log"),
        "{with_log:?}"
    );
    let (with_key, _) = check(&r.c2s, &r.s2c, None, true);
    assert!(
        matches!(&with_key, Outcome::Conforms(s) if s.secret == "server key"),
        "{with_key:?}"
    );
}

#[test]
fn a_session_without_any_secret_is_unchecked_not_conforming() {
    let r = recording("openssl-009c-ems-on");
    let (outcome, report) = check(&r.c2s, &r.s2c, None, false);
    assert!(
        matches!(&outcome, Outcome::Unchecked(why) if why.contains("no key")),
        "{outcome:?}"
    );
    assert_eq!(report.exit_code(), 3);
}

#[test]
fn flags_a_reused_gcm_explicit_nonce_at_its_record() {
    // RFC 5288 §3: the server's second protected record re-sealed, with its
    // own plaintext and sequence number, under the first one's explicit nonce.
    let r = recording("openssl-009c-ems-on");
    let k = keys(&r, false);
    let prot = protected(&r.s2c);
    let (_, _, first_start, _) = prot[0];
    let (number, seq, start, end) = prot[1];
    let explicit: [u8; 8] = r.s2c[first_start + 5..first_start + 13].try_into().unwrap();
    let (typ, pt) = open(&k, &r.s2c, seq, start, end);
    let mut s2c = r.s2c[..start].to_vec();
    s2c.extend(sealed_record(&k, explicit, seq, typ, &pt));
    s2c.extend_from_slice(&r.s2c[end..]);
    let (outcome, report) = check(&r.c2s, &s2c, Some(&keylog(&r)), true);
    let d = deviation(&outcome);
    assert_eq!(
        (d.from, d.record, d.clause),
        (Sender::Server, number, "RFC 5288 §3"),
        "{d}"
    );
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn flags_a_wrong_finished_at_its_record() {
    // RFC 5246 §7.4.9: the client's Finished with one verify_data bit
    // flipped, re-sealed so that the record itself opens.
    let r = recording("gnutls-009c-ems-off");
    let k = keys(&r, true);
    let (number, seq, start, end) = protected(&r.c2s)[0];
    let explicit: [u8; 8] = r.c2s[start + 5..start + 13].try_into().unwrap();
    let (typ, mut pt) = open(&k, &r.c2s, seq, start, end);
    assert_eq!(pt[0], 20, "the first protected record is Finished");
    pt[6] ^= 0x01;
    let mut c2s = r.c2s[..start].to_vec();
    c2s.extend(sealed_record(&k, explicit, seq, typ, &pt));
    c2s.extend_from_slice(&r.c2s[end..]);
    let (outcome, _) = check(&c2s, &r.s2c, Some(&keylog(&r)), false);
    let d = deviation(&outcome);
    assert_eq!(
        (d.from, d.record, d.clause),
        (Sender::Client, number, "RFC 5246 §7.4.9"),
        "{d}"
    );
}

#[test]
fn flags_a_wrong_master_secret_in_the_key_log_at_the_client_key_exchange() {
    // The key log disagrees with the premaster the server key decrypts.
    let r = recording("openssl-009d-ems-off");
    let mut wrong = Recording {
        ..recording("openssl-009d-ems-off")
    };
    wrong.master_secret[0] ^= 0x80;
    let (outcome, _) = check(&r.c2s, &r.s2c, Some(&keylog(&wrong)), true);
    let d = deviation(&outcome);
    assert_eq!((d.from, d.clause), (Sender::Client, "RFC 5246 §8.1"), "{d}");
    let cke = records(&r.c2s)
        .iter()
        .position(|x| x.0 == 22 && r.c2s[x.1 + 5] == 16)
        .unwrap()
        + 1;
    assert_eq!(d.record, cke, "{d}");
    // Without the server key the wrong secret shows at the client's Finished.
    let (outcome, _) = check(&r.c2s, &r.s2c, Some(&keylog(&wrong)), false);
    let d = deviation(&outcome);
    assert_eq!(d.from, Sender::Client, "{d}");
    assert_eq!(d.record, protected(&r.c2s)[0].0, "{d}");
}

#[test]
fn flags_a_truncated_record_before_the_close() {
    // RFC 5246 §6.2.1: the server's last record cut short, then FIN.
    let r = recording("gnutls-009d-ems-off");
    let all = records(&r.s2c);
    let (_, start, end) = *all.last().unwrap();
    let s2c = &r.s2c[..start + (end - start) / 2];
    let (outcome, _) = check(&r.c2s, s2c, Some(&keylog(&r)), true);
    let d = deviation(&outcome);
    assert_eq!(
        (d.from, d.record, d.clause),
        (Sender::Server, all.len(), "RFC 5246 §6.2.1"),
        "{d}"
    );
    assert!(d.what.contains("inside a record"), "{d}");
}

#[test]
fn flags_data_after_close_notify() {
    // RFC 5246 §7.2.1: an application data record sealed with the next
    // sequence number after the sender's close_notify.
    for r in recordings() {
        for client in [true, false] {
            let stream = if client { &r.c2s } else { &r.s2c };
            let k = keys(&r, client);
            let prot = protected(stream);
            let &(number, seq, start, end) = prot.last().unwrap();
            let (typ, pt) = open(&k, stream, seq, start, end);
            if typ != ContentType::Alert || pt != [1, 0] {
                continue;
            }
            let mut more = stream.clone();
            more.extend(sealed_record(
                &k,
                [0xee; 8],
                seq + 1,
                ContentType::ApplicationData,
                b"late",
            ));
            let (c2s, s2c) = if client {
                (&more, &r.s2c)
            } else {
                (&r.c2s, &more)
            };
            let (outcome, _) = check(c2s, s2c, Some(&keylog(&r)), true);
            let d = deviation(&outcome);
            let from = if client {
                Sender::Client
            } else {
                Sender::Server
            };
            assert_eq!(
                (d.from, d.record, d.clause),
                (from, number + 1, "RFC 5246 §7.2.1"),
                "{}: {d}",
                r.id
            );
            return;
        }
    }
    panic!("no recorded stream ends with close_notify");
}

fn gauntlet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gauntlet"))
}

fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gauntlet-capture-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_cli_reads_pcap_and_pcapng_and_exits_by_verdict() {
    let dir = temp_dir("cli");
    let r = recording("openssl-009c-ems-on");
    let pcap_path = dir.join("s.pcap");
    std::fs::write(&pcap_path, pcap(&r.c2s, &r.s2c)).unwrap();
    let keylog_path = dir.join("keylog.txt");
    std::fs::write(
        &keylog_path,
        format!(
            "CLIENT_RANDOM {} {}\n",
            hex::encode(r.client_random),
            hex::encode(r.master_secret)
        ),
    )
    .unwrap();
    let key = vectors_dir().join("keys/rsa2048.key");
    let out = gauntlet()
        .arg("check-capture")
        .arg(&pcap_path)
        .arg("--keylog")
        .arg(&keylog_path)
        .arg("--key")
        .arg(&key)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("session 1 127.0.0.1:49152 -> 127.0.0.1:443: conforms"),
        "{stdout}"
    );

    // The same capture as pcapng (tshark converts; ci/test.sh installs it).
    let tshark = which::which("tshark").expect("tshark is needed (ci/test.sh installs it)");
    let ng = dir.join("s.pcapng");
    let conv = Command::new(tshark)
        .args(["-r"])
        .arg(&pcap_path)
        .args(["-F", "pcapng", "-w"])
        .arg(&ng)
        .output()
        .unwrap();
    assert!(
        conv.status.success(),
        "{}",
        String::from_utf8_lossy(&conv.stderr)
    );
    let out = gauntlet()
        .arg("check-capture")
        .arg(&ng)
        .arg("--key")
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // No secret: exit 3.
    let out = gauntlet()
        .arg("check-capture")
        .arg(&pcap_path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = temp_dir("bad");
    let garbage = dir.join("garbage.pcap");
    std::fs::write(&garbage, b"this is not a capture").unwrap();
    let bad_log = dir.join("bad.keylog");
    std::fs::write(&bad_log, "CLIENT_RANDOM 00 11\n").unwrap();
    let r = recording("openssl-009c-ems-on");
    let good = dir.join("good.pcap");
    std::fs::write(&good, pcap(&r.c2s, &r.s2c)).unwrap();
    let cases: [(&[&Path], &str); 4] = [
        (&[&garbage], "not a pcap or pcapng file"),
        (&[&dir.join("missing.pcap")], "missing.pcap"),
        (&[&good, Path::new("--keylog"), &bad_log], "line 1:"),
        (&[&good, Path::new("--key"), &garbage], "garbage.pcap"),
    ];
    for (args, want) in cases {
        let out = gauntlet().arg("check-capture").args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn flags_a_close_without_close_notify() {
    // RFC 5246 §7.2.1: the server's closing close_notify removed; the
    // GnuTLS client sends none either, so neither side sent one before its FIN.
    let r = recording("gnutls-009c-ems-off");
    let k = keys(&r, false);
    let &(_, seq, start, end) = protected(&r.s2c).last().unwrap();
    let (typ, pt) = open(&k, &r.s2c, seq, start, end);
    assert_eq!((typ, pt.as_slice()), (ContentType::Alert, &[1u8, 0][..]));
    let (outcome, report) = check(&r.c2s, &r.s2c[..start], Some(&keylog(&r)), true);
    let d = deviation(&outcome);
    assert_eq!(d.clause, "RFC 5246 §7.2.1", "{d}");
    assert!(d.what.contains("without close_notify"), "{d}");
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn every_committed_capture_of_the_five_stacks_conforms() {
    // vectors/captures/README.md: real dumpcap captures made by
    // ci/capture-stacks.sh; both secrets given, so they must agree.
    let dir = vectors_dir().join("captures");
    let key = gauntlet_harness::builtin::load_key(&dir.join("server.key")).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("pcapng") {
            continue;
        }
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let log = KeyLog::parse(&std::fs::read_to_string(path.with_extension("keylog")).unwrap())
            .unwrap();
        let report = check_capture(
            &std::fs::read(&path).unwrap(),
            Some(&log),
            Some(&*key as &dyn gauntlet_engine::crypto::RsaDecrypt),
        )
        .unwrap();
        assert_eq!(report.sessions.len(), 1, "{}", report.render(&name));
        match &report.sessions[0].outcome {
            Outcome::Conforms(s) => {
                assert_eq!(s.secret, "server key, and the key log agrees", "{name}");
                assert!(
                    !s.app_data[0].is_empty() && !s.app_data[1].is_empty(),
                    "{name}"
                );
            }
            _ => panic!("{}", report.render(&name)),
        }
        seen.insert(name.split('-').next().unwrap().to_string());
    }
    let want: std::collections::BTreeSet<String> = ["gnutls", "java", "mbedtls", "nss", "openssl"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(seen, want);
}

/// The server's plaintext handshake messages before its ChangeCipherSpec
/// (whole messages, however they were packed into records), and the rest
/// of its stream from the ChangeCipherSpec on.
fn server_flight(s2c: &[u8]) -> (Vec<Vec<u8>>, Vec<u8>) {
    let all = records(s2c);
    let ccs = all.iter().position(|r| r.0 == 20).unwrap();
    let mut hs = Vec::new();
    for &(_, start, end) in &all[..ccs] {
        hs.extend_from_slice(&s2c[start + 5..end]);
    }
    let mut msgs = Vec::new();
    let mut pos = 0;
    while pos < hs.len() {
        let len = usize::try_from(u32::from_be_bytes([
            0,
            hs[pos + 1],
            hs[pos + 2],
            hs[pos + 3],
        ]))
        .unwrap();
        msgs.push(hs[pos..pos + 4 + len].to_vec());
        pos += 4 + len;
    }
    (msgs, s2c[all[ccs].1..].to_vec())
}

/// The server's stream again, one handshake message per record.
fn reframe(msgs: &[Vec<u8>], rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in msgs {
        out.extend_from_slice(&[22, 3, 3]);
        out.extend_from_slice(&u16::try_from(m.len()).unwrap().to_be_bytes());
        out.extend_from_slice(m);
    }
    out.extend_from_slice(rest);
    out
}

#[test]
fn every_recorded_ecdhe_session_conforms_from_its_key_log() {
    let all = recordings_in("handshakes_ecdhe.json");
    assert_eq!(all.len(), 8);
    let mut suites: Vec<u16> = all.iter().map(|r| r.suite).collect();
    suites.sort_unstable();
    suites.dedup();
    assert_eq!(suites, [0xc02b, 0xc02c, 0xc02f, 0xc030]);
    for r in &all {
        // The RSA key is offered too: an ECDHE session must not use it.
        let (outcome, report) = check(&r.c2s, &r.s2c, Some(&keylog(r)), true);
        let Outcome::Conforms(sum) = &outcome else {
            panic!("{}: {}", r.id, report.render(&r.id));
        };
        assert_eq!(sum.suite, r.suite, "{}", r.id);
        assert_eq!(sum.secret, "key log", "{}", r.id);
    }
}

#[test]
fn an_ecdhe_session_without_a_key_log_is_unchecked() {
    let r = &recordings_in("handshakes_ecdhe.json")[0];
    let (outcome, _) = check(&r.c2s, &r.s2c, None, true);
    assert!(
        matches!(&outcome, Outcome::Unchecked(why) if why.contains("ECDHE")),
        "{outcome:?}"
    );
}

#[test]
fn flags_a_forged_server_key_exchange_signature_at_its_record() {
    // RFC 8422 §5.4: the signature's last byte changed (RSA and ECDSA).
    for r in recordings_in("handshakes_ecdhe.json") {
        let (mut msgs, rest) = server_flight(&r.s2c);
        let ske = msgs.iter().position(|m| m[0] == 12).unwrap();
        *msgs[ske].last_mut().unwrap() ^= 0x01;
        let (outcome, _) = check(&r.c2s, &reframe(&msgs, &rest), Some(&keylog(&r)), false);
        let d = deviation(&outcome);
        assert_eq!(
            (d.from, d.record, d.clause),
            (Sender::Server, ske + 1, "RFC 8422 §5.4"),
            "{}: {d}",
            r.id
        );
    }
}

#[test]
fn flags_a_missing_server_key_exchange_at_server_hello_done() {
    // RFC 8422 §2.1: ECDHE_RSA and ECDHE_ECDSA send ServerKeyExchange.
    let r = &recordings_in("handshakes_ecdhe.json")[1];
    let (mut msgs, rest) = server_flight(&r.s2c);
    let ske = msgs.iter().position(|m| m[0] == 12).unwrap();
    msgs.remove(ske);
    let shd = msgs.iter().position(|m| m[0] == 14).unwrap();
    let (outcome, _) = check(&r.c2s, &reframe(&msgs, &rest), Some(&keylog(r)), false);
    let d = deviation(&outcome);
    assert_eq!(
        (d.from, d.record, d.clause),
        (Sender::Server, shd + 1, "RFC 8422 §2.1"),
        "{d}"
    );
}
