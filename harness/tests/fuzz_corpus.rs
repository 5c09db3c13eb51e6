//! Replays every committed fuzz corpus file (`fuzz/corpus/<target>/*`) and
//! every saved crash (`vectors/regressions/<target>/*`) through the target
//! logic in `gauntlet_harness::fuzzing`, on stable: each input must run
//! without violating the target's invariants (a violation panics). `server`
//! and `client` inputs run twice, with the fuzzers' no-security provider and
//! with real crypto.
//!
//! The ignored test `write_seed_corpus` makes the seed corpus (run by
//! `fuzz/make-corpus.sh`): inputs are third-party recordings
//! (`vectors/handshakes.json`: OpenSSL and GnuTLS), the test PKI, hand-built
//! records, and flights of our own engine, never expected values.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gauntlet_harness::fuzzing::{self, FuzzCrypto};
use std::path::{Path, PathBuf};

/// A target's logic, its return value (if any) dropped.
type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 6] = [
    ("deframer", fuzzing::deframer),
    ("message", fuzzing::message),
    ("server", |d| {
        fuzzing::server(d, FuzzCrypto::NoSecurity);
        fuzzing::server(d, FuzzCrypto::Real);
    }),
    ("client", |d| {
        fuzzing::client(d, FuzzCrypto::NoSecurity);
        fuzzing::client(d, FuzzCrypto::Real);
    }),
    ("x509", fuzzing::x509),
    ("scenario", |d| {
        fuzzing::scenario(d);
    }),
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    out.sort();
    out
}

fn replay(dir: &Path, run: fn(&[u8])) -> usize {
    let all = files(dir);
    for path in &all {
        let data = std::fs::read(path).unwrap();
        let result = std::panic::catch_unwind(|| run(&data));
        assert!(
            result.is_ok(),
            "{} violates its target's invariants",
            path.display()
        );
    }
    all.len()
}

#[test]
fn every_corpus_file_replays_without_violating_invariants() {
    for (target, run) in TARGETS {
        let n = replay(&repo().join("fuzz/corpus").join(target), run);
        // The committed seeds must be there: an empty directory would make
        // this test pass without replaying anything.
        assert!(n >= 5, "fuzz/corpus/{target} has only {n} files");
    }
}

#[test]
fn every_saved_crash_replays_without_violating_invariants() {
    for (target, run) in TARGETS {
        replay(&repo().join("vectors/regressions").join(target), run);
    }
}

// ---- seed corpus --------------------------------------------------------------

mod seeds {
    use gauntlet_engine::enums::ContentType;
    use gauntlet_engine::Connection;
    use gauntlet_harness::fuzzing::{self, ClearRsaKey, ConnFlags, FuzzCrypto};
    use std::collections::BTreeMap;

    pub type Corpus = BTreeMap<(&'static str, String), Vec<u8>>;

    /// Splits a TLS byte stream into whole records (header included).
    pub fn records(stream: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut rest = stream;
        while rest.len() >= 5 {
            let len = 5 + usize::from(u16::from_be_bytes([rest[3], rest[4]]));
            let (r, tail) = rest.split_at(len.min(rest.len()));
            out.push(r.to_vec());
            rest = tail;
        }
        out
    }

    /// The plaintext handshake messages of a stream (up to its first CCS).
    fn plaintext_messages(stream: &[u8]) -> Vec<Vec<u8>> {
        let mut joined = Vec::new();
        for r in records(stream) {
            match r[0] {
                22 => joined.extend_from_slice(&r[5..]),
                20 => break,
                _ => {}
            }
        }
        let mut out = Vec::new();
        let mut rest = joined.as_slice();
        while rest.len() >= 4 {
            let len =
                4 + (usize::from(rest[1]) << 16 | usize::from(rest[2]) << 8 | usize::from(rest[3]));
            let (m, tail) = rest.split_at(len.min(rest.len()));
            out.push(m.to_vec());
            rest = tail;
        }
        out
    }

    /// A record whose "ciphertext" is `plain` with an all-zero tag: what the
    /// no-security provider's null AEAD opens.
    fn zero_tag(typ: ContentType, plain: &[u8]) -> Vec<u8> {
        let mut body = vec![0u8; 8];
        body.extend_from_slice(plain);
        body.extend_from_slice(&[0; 16]);
        fuzzing::record_bytes(typ, gauntlet_engine::enums::ProtocolVersion::TLSv1_2, &body)
    }

    fn plain(typ: ContentType, body: &[u8]) -> Vec<u8> {
        fuzzing::record_bytes(typ, gauntlet_engine::enums::ProtocolVersion::TLSv1_2, body)
    }

    const ZERO_FINISHED: [u8; 16] = [20, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    /// Our client against the fuzzed server (same flags, same seeds, both
    /// with `crypto`): each side's flights, in order.
    fn engine_flights(flags: u8, crypto: FuzzCrypto) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        let f = ConnFlags(flags);
        let mut client = fuzzing::client_connection(f, crypto);
        let mut server = Connection::server(
            fuzzing::server_config(f, crypto),
            crypto.provider(fuzzing::SERVER_SEED),
        );
        let (mut c_flights, mut s_flights) = (Vec::new(), Vec::new());
        for _ in 0..6 {
            let mut c = Vec::new();
            client.write_tls(&mut c);
            if !c.is_empty() {
                server.feed(&c, fuzzing::NOW);
                c_flights.push(c);
            }
            let mut s = Vec::new();
            server.write_tls(&mut s);
            if !s.is_empty() {
                client.feed(&s, fuzzing::NOW);
                s_flights.push(s);
            }
            if client.handshake().is_some() && server.handshake().is_some() {
                break;
            }
        }
        assert!(client.handshake().is_some() && server.handshake().is_some());
        (c_flights, s_flights)
    }

    pub fn all() -> Corpus {
        let repo = super::repo();
        let mut c = Corpus::new();
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(repo.join("vectors/handshakes.json")).unwrap())
                .unwrap();
        for (i, case) in json["cases"].as_array().unwrap().iter().enumerate() {
            let id = case["id"].as_str().unwrap().to_string();
            let c2s = hex::decode(case["client_to_server"].as_str().unwrap()).unwrap();
            let s2c = hex::decode(case["server_to_client"].as_str().unwrap()).unwrap();
            if i % 2 == 0 {
                // Third-party streams through the record layer: plaintext
                // limit and lenient version, then ciphertext limit, pinned
                // version, small chunks.
                c.insert(
                    ("deframer", format!("{id}-c2s")),
                    [&[0u8][..], &c2s].concat(),
                );
                c.insert(
                    ("deframer", format!("{id}-s2c")),
                    [&[3 | 7 << 2][..], &s2c].concat(),
                );
            }
            for m in plaintext_messages(&c2s)
                .into_iter()
                .chain(plaintext_messages(&s2c))
            {
                c.insert(("message", format!("{id}-type{}-{}", m[0], m.len())), m);
            }
            // A recorded client's flights into our server, a recorded
            // server's flights into our client: first record, then the rest.
            let recs = records(&c2s);
            c.insert(
                ("server", id.clone()),
                [
                    vec![0u8],
                    fuzzing::join_chunks(&[recs[0].clone(), recs[1..].concat()]),
                ]
                .concat(),
            );
            let recs = records(&s2c);
            let ccs = recs.iter().position(|r| r[0] == 20).unwrap_or(recs.len());
            c.insert(
                ("client", id),
                [
                    vec![0u8],
                    fuzzing::join_chunks(&[recs[..ccs].concat(), recs[ccs..].concat()]),
                ]
                .concat(),
            );
        }
        for (name, bytes) in [
            ("alert-close-notify", vec![1, 0]),
            ("alert-fatal-handshake-failure", vec![2, 40]),
            ("ccs", vec![1]),
            ("record-header", vec![22, 3, 1, 0, 5]),
            ("ext-block", vec![0, 8, 0, 23, 0, 0, 0xff, 1, 0, 1, 0]),
            ("sig-algs", vec![0, 4, 4, 1, 5, 1]),
        ] {
            c.insert(("message", name.into()), bytes);
        }

        // Our own engine's flights against the fuzzed peer: `engine-*`
        // complete with real crypto, `no-security-engine-*` (both sides on
        // the no-security provider) with the fuzzers' crypto.
        let cases = [
            ("full", 0),
            ("resumed", ConnFlags::KNOWN_SESSION),
            ("no-ems", ConnFlags::NO_EMS),
            ("aes256", ConnFlags::AES256),
            ("small-records", ConnFlags::SMALL_RECORDS),
            ("no-sni-no-cache", ConnFlags::BIT5),
        ];
        for (name, flags) in cases {
            for (prefix, crypto) in [
                ("no-security-engine", FuzzCrypto::NoSecurity),
                ("engine", FuzzCrypto::Real),
            ] {
                // The client's flights go to the fuzzed server, and back.
                let (cf, sf) = engine_flights(flags, crypto);
                for (target, flights) in [("server", &cf), ("client", &sf)] {
                    c.insert(
                        (target, format!("{prefix}-{name}")),
                        [vec![flags], fuzzing::join_chunks(flights)].concat(),
                    );
                }
                if crypto == FuzzCrypto::Real && (name == "full" || name == "small-records") {
                    c.insert(
                        ("deframer", format!("engine-{name}-c2s")),
                        [vec![1u8], cf.concat()].concat(),
                    );
                }
            }
        }

        // Hand-built flights that get past the record and Finished checks
        // with the no-security provider (all-zero tags and verify_data).
        let (cf, sf) = engine_flights(0, FuzzCrypto::Real);
        let mut premaster = vec![3, 3];
        premaster.extend_from_slice(&[0x77; 46]);
        let cke = {
            let ct = ClearRsaKey::encrypt(&premaster);
            let mut m = vec![16, 0, 1, 2, 1, 0];
            m.extend_from_slice(&ct);
            m
        };
        c.insert(
            ("server", "no-security-full".into()),
            [
                vec![0u8],
                fuzzing::join_chunks(&[
                    cf[0].clone(),
                    [
                        plain(ContentType::Handshake, &cke),
                        plain(ContentType::ChangeCipherSpec, &[1]),
                        zero_tag(ContentType::Handshake, &ZERO_FINISHED),
                    ]
                    .concat(),
                    zero_tag(ContentType::ApplicationData, b"GET / HTTP/1.0\r\n\r\n"),
                    zero_tag(ContentType::Alert, &[1, 0]),
                ]),
            ]
            .concat(),
        );
        let (rcf, rsf) = engine_flights(ConnFlags::KNOWN_SESSION, FuzzCrypto::Real);
        c.insert(
            ("server", "no-security-resumed".into()),
            [
                vec![ConnFlags::KNOWN_SESSION],
                fuzzing::join_chunks(&[
                    rcf[0].clone(),
                    [
                        plain(ContentType::ChangeCipherSpec, &[1]),
                        zero_tag(ContentType::Handshake, &ZERO_FINISHED),
                    ]
                    .concat(),
                    zero_tag(ContentType::ApplicationData, b"ping"),
                ]),
            ]
            .concat(),
        );
        let first_flight: Vec<u8> = records(&sf[0])
            .into_iter()
            .filter(|r| r[0] == 22)
            .flatten()
            .collect();
        c.insert(
            ("client", "no-security-full".into()),
            [
                vec![0u8],
                fuzzing::join_chunks(&[
                    first_flight,
                    [
                        plain(ContentType::ChangeCipherSpec, &[1]),
                        zero_tag(ContentType::Handshake, &ZERO_FINISHED),
                    ]
                    .concat(),
                    zero_tag(ContentType::ApplicationData, b"HTTP/1.0 200 ok\r\n\r\n"),
                    zero_tag(ContentType::Handshake, &[0, 0, 0, 0]),
                    zero_tag(ContentType::Alert, &[1, 0]),
                ]),
            ]
            .concat(),
        );
        let sh = records(&rsf[0])[0].clone();
        c.insert(
            ("client", "no-security-resumed".into()),
            [
                vec![ConnFlags::KNOWN_SESSION],
                fuzzing::join_chunks(&[
                    [
                        sh,
                        plain(ContentType::ChangeCipherSpec, &[1]),
                        zero_tag(ContentType::Handshake, &ZERO_FINISHED),
                    ]
                    .concat(),
                    zero_tag(ContentType::ApplicationData, b"pong"),
                ]),
            ]
            .concat(),
        );

        // The test PKI's chains (vectors/pki/manifest.json).
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(repo.join("vectors/pki/manifest.json")).unwrap())
                .unwrap();
        let pki = |f: &str| std::fs::read(repo.join("vectors/pki").join(f)).unwrap();
        for chain in manifest["chains"].as_array().unwrap() {
            let strs = |k: &str| -> Vec<String> {
                chain[k]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect()
            };
            let mut blobs = vec![pki(chain["leaf"].as_str().unwrap())];
            let ints = strs("intermediates");
            blobs.extend(ints.iter().map(|f| pki(f)));
            blobs.extend(strs("crls").iter().map(|f| pki(f)));
            let name = match chain["host"].as_str() {
                Some("localhost") => 0,
                Some("127.0.0.1") => 1,
                Some("a.example.test") => 2,
                Some(_) => 0,
                None => 3,
            };
            let mut flags = (ints.len().min(7) as u8) | name << 5;
            if chain["purpose"] == "clientAuth" {
                flags |= 8;
            }
            if chain["revocation"] == "requireCrl" {
                flags |= 16;
            }
            let time = if chain["time"].as_u64() == Some(1_798_761_600) {
                0
            } else {
                1
            };
            c.insert(
                ("x509", chain["name"].as_str().unwrap().to_string()),
                [vec![flags, time], fuzzing::join_chunks(&blobs)].concat(),
            );
        }

        // Scripts: hello choices (5 bytes), then actions (see
        // fuzzing::ScenarioAction).
        let scripts: [(&str, &[u8]); 16] = [
            ("clean-full", &[]),
            ("clean-resumed", &[0, 0, 0, 0, 1]),
            ("no-ems", &[0, 0, 0, 1, 0]),
            ("tls13-version", &[1, 0, 0, 0, 0]),
            ("tls11-version", &[2, 0, 0, 0, 0]),
            ("no-common-suite", &[0, 3, 0, 0, 0]),
            ("scsv-and-fallback", &[0, 12, 0, 2, 0]),
            (
                "every-extension",
                &[0, 0, 0, 0x7a, 0, 3, 1, 2, 3, 9, 2, 0xaa, 0xbb],
            ),
            ("skip-cke", &[0, 0, 0, 0, 0, 0, 1]),
            ("repeat-hello", &[0, 0, 0, 0, 0, 0, 2]),
            ("reorder-ccs-finished", &[0, 0, 0, 0, 0, 0, 0, 3]),
            (
                "early-ccs-and-alerts",
                &[0, 0, 0, 0, 0, 0, 4, 5, 1, 90, 5, 2, 40],
            ),
            (
                "fragment-every-byte",
                &[0, 0, 0, 0, 0, 9, 1, 0, 0, 0, 0, 7, 4, 1, 2, 3, 4],
            ),
            (
                "flip-and-bad-finished",
                &[0, 0, 0, 0, 0, 0, 0, 0, 10, 3, 0x80, 8, 1, 2],
            ),
            ("bad-premaster-version", &[0, 0, 0, 0, 0, 0, 11, 1]),
            (
                "inject-handshake",
                &[0, 0, 0, 0, 0, 0, 6, 1, 3, 0, 0, 0, 6, 20, 0],
            ),
        ];
        for (name, s) in scripts {
            c.insert(("scenario", name.into()), s.to_vec());
        }
        c
    }
}

/// Writes the seed corpus into `fuzz/corpus/<target>/` (run by
/// `fuzz/make-corpus.sh`; ignored in normal runs).
#[test]
#[ignore = "writes fuzz/corpus: run through fuzz/make-corpus.sh"]
fn write_seed_corpus() {
    let root = repo().join("fuzz/corpus");
    for ((target, name), bytes) in seeds::all() {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
    }
}

#[test]
fn seeds_replay_without_violating_invariants() {
    // The seeds as made now (independent of what is committed): each must
    // pass its target's oracle.
    for ((target, name), bytes) in seeds::all() {
        let run = TARGETS.iter().find(|(t, _)| *t == target).unwrap().1;
        let ok = std::panic::catch_unwind(|| run(&bytes)).is_ok();
        assert!(ok, "seed {target}/{name}");
    }
}

#[test]
fn engine_seeds_reach_the_established_state_with_real_crypto() {
    // The seeds made from our own flights must take each fuzzed side through
    // a whole handshake (so the replay exercises the Finished oracle); the
    // ones made for the no-security provider must fail with real crypto, at
    // the record or Finished check (RFC 5246 §6.2.3.3, §7.4.9).
    use gauntlet_engine::{Error, PeerMisbehaved};
    let all = seeds::all();
    for ((target, name), bytes) in &all {
        let outcome = match *target {
            "server" => fuzzing::server(bytes, FuzzCrypto::Real),
            "client" => fuzzing::client(bytes, FuzzCrypto::Real),
            "scenario" => fuzzing::scenario(bytes),
            _ => continue,
        };
        if name.starts_with("engine-") || name.starts_with("clean-") {
            assert!(outcome.established, "{target}/{name}: {outcome:?}");
            assert_eq!(outcome.error, None, "{target}/{name}");
        }
        if name.starts_with("no-security-") {
            assert!(!outcome.established, "{target}/{name}");
            assert!(
                matches!(
                    outcome.error,
                    Some(Error::PeerMisbehaved(
                        PeerMisbehaved::BadRecordMac | PeerMisbehaved::BadFinished
                    ))
                ),
                "{target}/{name}: {outcome:?}"
            );
        }
    }
    assert!(all.keys().filter(|(_, n)| n.starts_with("engine-")).count() >= 12);
}

#[test]
fn no_security_seeds_reach_the_established_state_with_the_fuzzers_crypto() {
    // What the fuzzers start from: every `no-security-*` seed completes a
    // handshake (full and resumed, each flag combination) with the
    // no-security provider, so mutations reach the states after it.
    let all = seeds::all();
    let mut n = 0;
    for ((target, name), bytes) in &all {
        if !name.starts_with("no-security-") {
            continue;
        }
        let outcome = match *target {
            "server" => fuzzing::server(bytes, FuzzCrypto::NoSecurity),
            "client" => fuzzing::client(bytes, FuzzCrypto::NoSecurity),
            _ => continue,
        };
        assert!(outcome.established, "{target}/{name}: {outcome:?}");
        assert_eq!(outcome.error, None, "{target}/{name}");
        n += 1;
    }
    assert!(n >= 16, "only {n} no-security seeds");
}
