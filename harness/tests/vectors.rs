//! `gauntlet vectors verify` against the committed vectors: every file passes
//! with its expected case counts, every recorded third-party handshake
//! replays, tampering with any expected value makes its check fail, and a
//! malformed file is one error line naming the file and the field.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gauntlet_harness::vectors::{render_table, run_dir, run_document, run_file, FileReport};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors")
}

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(vectors_dir().join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Runs a modified copy of a committed file as if it sat in `vectors/`.
fn run_modified(name: &str, doc: &Value) -> FileReport {
    run_document(&vectors_dir().join(name), doc).unwrap()
}

fn case_mut<'a>(doc: &'a mut Value, id: &str) -> &'a mut Value {
    doc["cases"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no case {id}"))
}

/// Flips the low bit of byte `at` of a hex string field.
fn flip(field: &mut Value, at: usize) {
    let mut bytes = hex::decode(field.as_str().unwrap()).unwrap();
    bytes[at] ^= 0x01;
    *field = Value::String(hex::encode(bytes));
}

/// The single failure of a report, which must be case `id`.
fn only_failure(report: &FileReport, id: &str) -> String {
    assert_eq!(
        report.failures.len(),
        1,
        "want exactly one failure:\n{}",
        render_table(std::slice::from_ref(report))
    );
    assert_eq!(report.failures[0].id, id);
    report.failures[0].detail.clone()
}

/// A fresh directory per test (tests run in parallel).
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gauntlet-vectors-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn every_committed_vector_file_passes_with_its_case_count() {
    // vectors/README.md "Files": the kinds and case counts committed.
    let reports = run_dir(&vectors_dir()).unwrap();
    let table = render_table(&reports);
    assert!(
        reports.iter().all(|r| r.failures.is_empty()),
        "failures:\n{table}"
    );
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &reports {
        *by_kind.entry(r.kind.as_str()).or_default() += r.cases;
    }
    let minimum = [
        ("prf", 30),
        ("master_secret", 16),
        ("extended_master_secret", 16),
        ("key_block", 16),
        ("finished", 16),
        ("gcm_record", 52),
        ("rsa_premaster", 24),
        ("ocsp", 39),
    ];
    for (kind, min) in minimum {
        let n = by_kind.get(kind).copied().unwrap_or(0);
        assert!(n >= min, "{kind}: {n} cases, want at least {min}\n{table}");
    }
    // handshakes.json (RSA) and handshakes_ecdhe.json: 8 each.
    assert_eq!(by_kind.get("handshake"), Some(&16), "{table}");
    assert_eq!(by_kind.len(), 9, "unexpected kinds: {by_kind:?}");
    let total: usize = by_kind.values().sum();
    assert!(table.ends_with(&format!("{total} passed, 0 failed\n")));
}

#[test]
fn replays_every_recorded_third_party_ecdhe_handshake() {
    // RFC 8422 §5.4-5.7: OpenSSL and GnuTLS in both roles, ECDHE_RSA and
    // ECDHE_ECDSA × AES-128/256-GCM, over x25519, secp256r1 and secp384r1.
    let report = run_file(&vectors_dir().join("handshakes_ecdhe.json")).unwrap();
    assert_eq!(report.kind, "handshake");
    assert_eq!(
        (report.cases, report.failures.len()),
        (8, 0),
        "{:?}",
        report.failures
    );
}

#[test]
fn replays_every_recorded_third_party_handshake() {
    // RFC 5246 §7.3-7.4, RFC 7627: the whole matrix of vectors/README.md
    // `handshake`: {s_client, gnutls-cli} × {0x009c, 0x009d} × EMS {on, off}.
    let report = run_file(&vectors_dir().join("handshakes.json")).unwrap();
    assert_eq!(report.kind, "handshake");
    assert!(
        report.failures.is_empty(),
        "{}",
        render_table(std::slice::from_ref(&report))
    );
    let doc = load("handshakes.json");
    let mut ids: Vec<&str> = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let mut want = Vec::new();
    for client in ["gnutls", "openssl"] {
        for suite in ["009c", "009d"] {
            for ems in ["off", "on"] {
                want.push(format!("{client}-{suite}-ems-{ems}"));
            }
        }
    }
    assert_eq!(ids, want);
}

/// Where each plaintext handshake message of a direction sits in the raw
/// stream, up to the first ChangeCipherSpec: (type, offset of the body, body length).
/// Assumes (and checks) that no message spans records, true of these recordings.
fn plaintext_handshake_messages(stream: &[u8]) -> Vec<(u8, usize, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 5 <= stream.len() && stream[pos] == 22 {
        let len = usize::from(u16::from_be_bytes([stream[pos + 3], stream[pos + 4]]));
        let (start, end) = (pos + 5, pos + 5 + len);
        let mut m = start;
        while m < end {
            let body_len = usize::from(stream[m + 1]) << 16
                | usize::from(stream[m + 2]) << 8
                | usize::from(stream[m + 3]);
            assert!(m + 4 + body_len <= end, "message spans records");
            out.push((stream[m], m + 4, body_len));
            m += 4 + body_len;
        }
        pos = end;
    }
    out
}

/// Offsets of every record of `typ` in a raw stream: (header offset, length).
fn records_of_type(stream: &[u8], typ: u8) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 5 <= stream.len() {
        let len = usize::from(u16::from_be_bytes([stream[pos + 3], stream[pos + 4]]));
        if stream[pos] == typ {
            out.push((pos, len));
        }
        pos += 5 + len;
    }
    out
}

fn stream(doc: &Value, id: &str, direction: &str) -> Vec<u8> {
    let case = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap();
    hex::decode(case[direction].as_str().unwrap()).unwrap()
}

fn set_stream(doc: &mut Value, id: &str, direction: &str, bytes: &[u8]) {
    case_mut(doc, id)[direction] = Value::String(hex::encode(bytes));
}

#[test]
fn replay_fails_when_a_server_application_record_is_altered() {
    // RFC 5246 §6.2.3.3 / RFC 5288: an altered record fails authentication.
    let id = "openssl-009c-ems-on";
    let mut doc = load("handshakes.json");
    let mut s2c = stream(&doc, id, "server_to_client");
    let app = records_of_type(&s2c, 23);
    assert_eq!(app.len(), 1, "the -www page is one record");
    let (at, len) = app[0];
    s2c[at + 5 + len / 2] ^= 0x80;
    set_stream(&mut doc, id, "server_to_client", &s2c);
    let detail = only_failure(&run_modified("handshakes.json", &doc), id);
    assert!(
        detail.contains("server record #") && detail.contains("does not open"),
        "{detail}"
    );
}

#[test]
fn replay_fails_when_the_key_log_master_secret_differs() {
    // RFC 5246 §8.1: the master secret from the decrypted premaster must be
    // the one the client logged.
    let id = "gnutls-009d-ems-off";
    let mut doc = load("handshakes.json");
    flip(&mut case_mut(&mut doc, id)["keylog"]["master_secret"], 47);
    let detail = only_failure(&run_modified("handshakes.json", &doc), id);
    assert!(
        detail.contains("(RFC 5246 §8.1)") && detail.contains("the key log's master secret"),
        "{detail}"
    );
}

#[test]
fn replay_fails_when_the_key_log_client_random_differs() {
    let id = "openssl-009d-ems-off";
    let mut doc = load("handshakes.json");
    flip(&mut case_mut(&mut doc, id)["keylog"]["client_random"], 0);
    let detail = only_failure(&run_modified("handshakes.json", &doc), id);
    assert!(detail.starts_with("ClientHello: random"), "{detail}");
}

#[test]
fn replay_fails_when_the_client_key_exchange_is_altered() {
    // RFC 5246 §7.4.7.1: a bad ciphertext gives the random premaster, which
    // the replay reports as a fallback rather than as a wrong secret.
    let id = "openssl-009c-ems-off";
    let mut doc = load("handshakes.json");
    let mut c2s = stream(&doc, id, "client_to_server");
    let (_, body, len) = plaintext_handshake_messages(&c2s)
        .into_iter()
        .find(|m| m.0 == 16)
        .unwrap();
    c2s[body + len / 2] ^= 0x01;
    set_stream(&mut doc, id, "client_to_server", &c2s);
    let detail = only_failure(&run_modified("handshakes.json", &doc), id);
    assert!(
        detail.contains("the encrypted premaster is malformed"),
        "{detail}"
    );
}

#[test]
fn replay_checks_client_finished_over_every_earlier_handshake_message() {
    // RFC 5246 §7.4.9: verify_data covers all handshake messages before
    // Finished. Without EMS the master secret ignores the Certificate bytes,
    // so altering them must surface at the client Finished.
    let id = "gnutls-009c-ems-off";
    let mut doc = load("handshakes.json");
    let mut s2c = stream(&doc, id, "server_to_client");
    let (_, body, len) = plaintext_handshake_messages(&s2c)
        .into_iter()
        .find(|m| m.0 == 11)
        .unwrap();
    s2c[body + len / 2] ^= 0x01;
    set_stream(&mut doc, id, "server_to_client", &s2c);
    let detail = only_failure(&run_modified("handshakes.json", &doc), id);
    assert!(
        detail.starts_with("client record #")
            && detail.contains("(RFC 5246 §7.4.9): Finished verify_data"),
        "{detail}"
    );
}

#[test]
fn replay_includes_the_new_session_ticket_in_the_server_finished_only() {
    // RFC 5077 §3.3 with RFC 5246 §7.4.9: NewSessionTicket comes after the
    // client Finished, so only the server Finished covers it.
    let id = "openssl-009c-ems-off";
    let mut doc = load("handshakes.json");
    let mut s2c = stream(&doc, id, "server_to_client");
    let (_, body, len) = plaintext_handshake_messages(&s2c)
        .into_iter()
        .find(|m| m.0 == 4)
        .expect("s_server sends NewSessionTicket");
    // Past lifetime_hint (4) and the ticket length (2): inside the ticket.
    s2c[body + 6 + (len - 6) / 2] ^= 0x01;
    set_stream(&mut doc, id, "server_to_client", &s2c);
    let detail = only_failure(&run_modified("handshakes.json", &doc), id);
    assert!(
        detail.starts_with("server record #")
            && detail.contains("(RFC 5246 §7.4.9): Finished verify_data"),
        "{detail}"
    );
}

#[test]
fn replay_with_ems_covers_the_transcript_in_the_master_secret() {
    // RFC 7627 §4: with EMS the Certificate is in the session hash, so the
    // same alteration already breaks the master secret.
    let id = "gnutls-009c-ems-on";
    let mut doc = load("handshakes.json");
    let mut s2c = stream(&doc, id, "server_to_client");
    let (_, body, len) = plaintext_handshake_messages(&s2c)
        .into_iter()
        .find(|m| m.0 == 11)
        .unwrap();
    s2c[body + len / 2] ^= 0x01;
    set_stream(&mut doc, id, "server_to_client", &s2c);
    let detail = only_failure(&run_modified("handshakes.json", &doc), id);
    assert!(detail.contains("the key log's master secret"), "{detail}");
}

#[test]
fn replay_fails_when_the_case_misstates_suite_or_ems() {
    let mut doc = load("handshakes.json");
    case_mut(&mut doc, "openssl-009c-ems-on")["ems"] = Value::Bool(false);
    case_mut(&mut doc, "gnutls-009d-ems-on")["suite"] = Value::from(156);
    let report = run_modified("handshakes.json", &doc);
    let details: BTreeMap<&str, &str> = report
        .failures
        .iter()
        .map(|f| (f.id.as_str(), f.detail.as_str()))
        .collect();
    assert_eq!(details.len(), 2, "{details:?}");
    assert!(details["openssl-009c-ems-on"].contains("extended_master_secret present"));
    assert!(details["gnutls-009d-ems-on"].contains("cipher suite"));
}

#[test]
fn replay_fails_when_the_expected_application_data_differs() {
    let id = "gnutls-009d-ems-on";
    let mut doc = load("handshakes.json");
    flip(
        &mut case_mut(&mut doc, id)["application_data"]["server_to_client"][0],
        10,
    );
    let detail = only_failure(&run_modified("handshakes.json", &doc), id);
    assert!(
        detail.contains("server_to_client application data record 0")
            && detail.contains("first difference at byte 10"),
        "{detail}"
    );
}

#[test]
fn replay_fails_when_the_stream_is_truncated() {
    let id = "openssl-009d-ems-on";
    let mut doc = load("handshakes.json");
    let c2s = stream(&doc, id, "client_to_server");
    set_stream(&mut doc, id, "client_to_server", &c2s[..c2s.len() - 3]);
    let detail = only_failure(&run_modified("handshakes.json", &doc), id);
    assert!(
        detail.contains("ends with the client inside a record"),
        "{detail}"
    );
}

#[test]
fn every_check_fails_on_a_wrong_expected_value() {
    // One flipped byte of each kind's expected output fails that case only.
    let table = [
        ("prf.json", "ietf-sha256", "output", 99),
        ("prf.json", "ietf-sha384", "output", 0),
        ("master_secret.json", "sha256-00", "master_secret", 0),
        (
            "extended_master_secret.json",
            "sha256-00",
            "master_secret",
            47,
        ),
        ("key_block.json", "sha256-aes128gcm-00", "key_block", 39),
        ("finished.json", "sha256-client-00", "verify_data", 11),
        ("gcm_record.json", "aes128-len0-nonce-seq", "fragment", 23),
        ("rsa_premaster.json", "valid-0", "premaster", 47),
    ];
    for (file, id, field, at) in table {
        let mut doc = load(file);
        flip(&mut case_mut(&mut doc, id)[field], at);
        let detail = only_failure(&run_modified(file, &doc), id);
        assert!(!detail.is_empty(), "{file} {id}");
    }
}

#[test]
fn gcm_check_fails_when_sealing_with_the_nonce_differs() {
    // RFC 5288 §3: the explicit nonce is carried in the record; sealing with a
    // different one cannot reproduce the fragment even though it opens.
    let id = "aes256-len16-nonce-random";
    let mut doc = load("gcm_record.json");
    flip(&mut case_mut(&mut doc, id)["explicit_nonce"], 7);
    let detail = only_failure(&run_modified("gcm_record.json", &doc), id);
    assert!(detail.starts_with("sealed fragment"), "{detail}");
}

#[test]
fn gcm_check_fails_when_a_defective_record_opens() {
    // The invalid-case check must see bad_record_mac; a record that opens fails it.
    let id = "aes128-len16-nonce-seq";
    let mut doc = load("gcm_record.json");
    case_mut(&mut doc, id)["valid"] = Value::Bool(false);
    let detail = only_failure(&run_modified("gcm_record.json", &doc), id);
    assert!(detail.contains("accepted a defective record"), "{detail}");
}

#[test]
fn rsa_check_fails_when_a_valid_ciphertext_is_said_to_be_malformed() {
    // RFC 5246 §7.4.7.1: the random premaster is used only on failure; a valid
    // ciphertext decrypts to its premaster, which the check must notice.
    let id = "valid-1";
    let mut doc = load("rsa_premaster.json");
    let case = case_mut(&mut doc, id);
    case["class"] = Value::from("wrong_version");
    case["valid"] = Value::Bool(false);
    let detail = only_failure(&run_modified("rsa_premaster.json", &doc), id);
    assert!(detail.contains("want the caller's random one"), "{detail}");
}

#[test]
fn rsa_check_fails_when_a_malformed_ciphertext_is_said_to_be_valid() {
    let mut doc = load("rsa_premaster.json");
    let cases = doc["cases"].as_array_mut().unwrap();
    let case = cases
        .iter_mut()
        .find(|c| c["class"] == "wrong_version")
        .unwrap();
    let id = case["id"].as_str().unwrap().to_string();
    case["class"] = Value::from("valid");
    case["valid"] = Value::Bool(true);
    case["premaster"] = Value::from("03".repeat(48));
    let detail = only_failure(&run_modified("rsa_premaster.json", &doc), &id);
    assert!(
        detail.contains("fell back to the random premaster"),
        "{detail}"
    );
}

/// Writes `text` as `name` into a fresh directory and returns the error of
/// running that directory, checking it is one line naming the file.
fn file_error(test: &str, name: &str, text: &str) -> String {
    let dir = temp_dir(test);
    std::fs::write(dir.join(name), text).unwrap();
    let e = run_dir(&dir).expect_err("a malformed file must be an error");
    let msg = e.to_string();
    assert!(!msg.contains('\n'), "not one line: {msg}");
    assert_eq!(e.file, dir.join(name));
    assert!(
        msg.starts_with(&dir.join(name).display().to_string()),
        "{msg}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    msg
}

fn prf_doc_with(edit: impl FnOnce(&mut Value)) -> String {
    doc_with("prf.json", edit)
}

#[test]
fn names_the_file_and_field_of_a_missing_field() {
    let text = prf_doc_with(|d| {
        case_mut(d, "ietf-sha384")
            .as_object_mut()
            .unwrap()
            .remove("output");
    });
    let msg = file_error("missing", "prf.json", &text);
    assert!(
        msg.ends_with("case ietf-sha384: missing field `output`"),
        "{msg}"
    );
}

#[test]
fn names_the_file_and_field_of_a_non_hex_value() {
    let text = prf_doc_with(|d| case_mut(d, "ietf-sha256")["secret"] = Value::from("9bzz"));
    let msg = file_error("nonhex", "prf.json", &text);
    assert!(
        msg.ends_with("case ietf-sha256: field `secret` must be a hex string"),
        "{msg}"
    );
}

#[test]
fn names_the_field_of_an_unknown_kind() {
    let text = prf_doc_with(|d| d["kind"] = Value::from("prf_sha1"));
    let msg = file_error("kind", "prf.json", &text);
    assert!(
        msg.ends_with("field `kind`: unknown kind \"prf_sha1\""),
        "{msg}"
    );
}

#[test]
fn reports_a_file_that_is_not_json() {
    let msg = file_error(
        "notjson",
        "broken.json",
        "{\"kind\": \"prf\",\n  \"cases\": [",
    );
    assert!(msg.contains(": not JSON: "), "{msg}");
}

#[test]
fn names_the_missing_rsa_key_field() {
    let mut doc = load("rsa_premaster.json");
    doc.as_object_mut().unwrap().remove("private_key_pkcs8");
    let msg = file_error(
        "rsakey",
        "rsa_premaster.json",
        &serde_json::to_string(&doc).unwrap(),
    );
    assert!(msg.ends_with("missing field `private_key_pkcs8`"), "{msg}");
}

#[test]
fn names_the_server_key_a_handshake_file_needs() {
    // The handshake replay reads `<dir>/keys/rsa2048.key`; here there is none.
    let text = std::fs::read_to_string(vectors_dir().join("handshakes.json")).unwrap();
    let msg = file_error("nokey", "handshakes.json", &text);
    assert!(msg.contains("keys/rsa2048.key"), "{msg}");
}

#[test]
fn binary_prints_one_error_line_and_exits_2_for_a_malformed_file() {
    let dir = temp_dir("binary");
    let text = prf_doc_with(|d| case_mut(d, "ietf-sha256")["seed"] = Value::from(7));
    std::fs::write(dir.join("prf.json"), text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gauntlet"))
        .args(["vectors", "verify"])
        .arg(&dir)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "gauntlet: {}: case ietf-sha256: field `seed` must be a string\n",
            dir.join("prf.json").display()
        )
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn binary_exits_1_and_lists_the_failing_case() {
    let dir = temp_dir("binaryfail");
    let cases = load("prf.json")["cases"].as_array().unwrap().len();
    let text = prf_doc_with(|d| flip(&mut case_mut(d, "ietf-sha256")["output"], 0));
    std::fs::write(dir.join("prf.json"), text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gauntlet"))
        .args(["vectors", "verify"])
        .arg(&dir)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL prf.json case ietf-sha256: PRF output: got e3f2"));
    let closing = format!("{} passed, 1 failed\n", cases - 1);
    assert!(stdout.ends_with(&closing), "{stdout}");
}

/// A committed file with `edit` applied, as JSON text.
fn doc_with(name: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut doc = load(name);
    edit(&mut doc);
    serde_json::to_string(&doc).unwrap()
}

#[test]
fn names_nested_list_and_file_level_fields_of_a_malformed_file() {
    // Each malformed field, read through the kind's serde struct, is one
    // line naming the case and the field (dotted when nested). The handshake
    // file sits beside a copy of the server key, so its cases are what fails.
    let handshake_error = |edit: &dyn Fn(&mut Value)| {
        let dir = temp_dir("nested");
        std::fs::create_dir_all(dir.join("keys")).unwrap();
        std::fs::copy(
            vectors_dir().join("keys/rsa2048.key"),
            dir.join("keys/rsa2048.key"),
        )
        .unwrap();
        std::fs::write(
            dir.join("handshakes.json"),
            doc_with("handshakes.json", edit),
        )
        .unwrap();
        let msg = run_dir(&dir).expect_err("malformed").to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(!msg.contains('\n'), "not one line: {msg}");
        msg
    };
    let id = "openssl-009c-ems-on";
    for (pointer, value, want) in [
        (
            "/keylog/client_random",
            Value::from("00ff"),
            "field `keylog.client_random` must be 32 bytes of hex",
        ),
        (
            "/application_data/server_to_client",
            Value::from(vec!["00", "xy"]),
            "field `application_data.server_to_client` must be a list of hex strings",
        ),
        (
            "/suite",
            Value::from(70000),
            "field `suite` must be an integer below 65536",
        ),
    ] {
        let msg = handshake_error(&|d| {
            *case_mut(d, id).pointer_mut(pointer).unwrap() = value.clone();
        });
        assert!(msg.ends_with(&format!("case {id}: {want}")), "{msg}");
    }
    let msg = handshake_error(&|d| {
        case_mut(d, id)["keylog"]
            .as_object_mut()
            .unwrap()
            .remove("master_secret");
    });
    assert!(
        msg.ends_with(&format!(
            "case {id}: field `keylog`: missing field `master_secret`"
        )),
        "{msg}"
    );

    let gcm = "aes128-len16-nonce-seq";
    for (field, value, want) in [
        ("valid", Value::from("yes"), "must be true or false"),
        ("seq", Value::from(-1), "must be a non-negative integer"),
    ] {
        let text = doc_with("gcm_record.json", |d| case_mut(d, gcm)[field] = value);
        let msg = file_error(field, "gcm_record.json", &text);
        assert!(
            msg.ends_with(&format!("case {gcm}: field `{field}` {want}")),
            "{msg}"
        );
    }

    // RFC 5246 §7.4.7.1 vectors: a valid case carries its premaster.
    let text = doc_with("rsa_premaster.json", |d| {
        case_mut(d, "valid-0")
            .as_object_mut()
            .unwrap()
            .remove("premaster");
    });
    let msg = file_error("premaster", "rsa_premaster.json", &text);
    assert!(
        msg.ends_with("case valid-0: missing field `premaster`"),
        "{msg}"
    );

    let msg = file_error(
        "source",
        "prf.json",
        &prf_doc_with(|d| {
            d["source"].as_object_mut().unwrap().remove("script");
        }),
    );
    assert!(
        msg.ends_with("case (file): field `source`: missing field `script`"),
        "{msg}"
    );
    let msg = file_error(
        "id",
        "prf.json",
        &prf_doc_with(|d| d["cases"][3]["id"] = Value::from(3)),
    );
    assert!(
        msg.ends_with("case #3: field `id` must be a string"),
        "{msg}"
    );
}

/// A vector must be able to fail: an OCSP case whose expectation is turned
/// around (good ↔ revoked, an error for a good one) fails, and so does one
/// whose committed request no longer matches the bytes we build.
#[test]
fn ocsp_vectors_fail_when_their_expectation_or_request_is_wrong() {
    let path = vectors_dir().join("ocsp.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    for (id, field, value) in [
        ("openssl-good", "expect", "revoked"),
        ("openssl-revoked", "expect", "good"),
        ("py-expired", "expect", "good"),
        ("py-wrong-key", "expect", "good"),
        ("openssl-good", "nonce", "00"),
    ] {
        let mut tampered = doc.clone();
        let cases = tampered["cases"].as_array_mut().unwrap();
        let case = cases.iter_mut().find(|c| c["id"] == id).unwrap();
        case[field] = Value::String(value.into());
        let report = run_document(&path, &tampered).unwrap();
        assert_eq!(report.failures.len(), 1, "{id}.{field} = {value}");
        assert_eq!(report.failures[0].id, id);
    }
}
