//! `gauntlet matrix` over three servers: two copies of the reference
//! (`gauntlet serve`) and `openssl s_server`, on cases where OpenSSL is
//! known to deviate (interop/expectations/openssl-server.txt: duplicate
//! extensions accepted) and cases where all conform. OpenSSL must be
//! flagged as the outlier on the first and nothing on the second; the
//! JSON and HTML reports must agree, and the HTML, loaded in headless
//! Chromium (ci/test.sh installs it) and filtered, must show the same counts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_gauntlet");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gauntlet-matrix-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn toml_file(dir: &Path) -> PathBuf {
    let pki = repo().join("vectors/pki");
    let pki = pki.display();
    let text = format!(
        r#"timeout = 5
[[target]]
name = "ref-a"
server = "{BIN} serve --listen 127.0.0.1:{{port}} --timeout 2"
[[target]]
name = "ref-b"
server = "{BIN} serve --listen 127.0.0.1:{{port}} --timeout 2"
[[target]]
name = "openssl"
server = "openssl s_server -accept 127.0.0.1:{{port}} -cert {pki}/leaf.pem -cert_chain {pki}/int.pem -key {pki}/leaf.key -tls1_2 -cipher AES128-GCM-SHA256:AES256-GCM-SHA384 -www"
server_ready = "ACCEPT"
"#
    );
    let path = dir.join("matrix.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn flags_the_stack_that_breaks_with_the_majority_and_the_rfc() {
    let dir = temp_dir("outlier");
    let out = dir.join("out");
    let o = Command::new(BIN)
        .arg("matrix")
        .arg(toml_file(&dir))
        .args([
            "--filter",
            "Basic-Server-*",
            "--filter",
            "ClientHello-Server-Duplicate*",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("matrix.json")).unwrap()).unwrap();
    assert_eq!(
        m["targets"],
        serde_json::json!(["ref-a", "ref-b", "openssl"])
    );
    let rows = m["rows"].as_array().unwrap();
    assert!(rows.len() >= 6, "{text}");
    for row in rows {
        let name = row["name"].as_str().unwrap();
        let cells = row["cells"].as_array().unwrap();
        // The reference conforms on every case.
        assert_eq!(cells[0]["verdict"], "pass", "{name}");
        assert_eq!(cells[1]["verdict"], "pass", "{name}");
        if name == "ClientHello-Server-DuplicateUnknown"
            || name == "ClientHello-Server-DuplicateGrease"
        {
            assert_eq!(cells[2]["verdict"], "fail", "{name}");
            assert_eq!(row["flag"]["kind"], "outlier", "{name}");
            assert_eq!(
                row["flag"]["targets"],
                serde_json::json!(["openssl"]),
                "{name}"
            );
            // Its bundle is written and linked.
            let bundle = cells[2]["bundle"].as_str().unwrap();
            assert!(
                out.join(bundle).join("transcript.txt").is_file(),
                "{bundle}"
            );
        } else {
            assert_eq!(cells[2]["verdict"], "pass", "{name}");
            assert!(row["flag"].is_null(), "{name}");
        }
    }
    assert!(text.contains("outlier: openssl"), "{text}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("ClientHello-Server-DuplicateUnknown"));
    assert!(html.contains("outlier: openssl"));
    chromium_filters_to_the_json_counts(&out.join("report.html"), rows);
}

/// Loads the report in headless Chromium filtered to failures (URL
/// fragment) and reads the counts the page's script computed.
fn chromium_filters_to_the_json_counts(html: &Path, rows: &[Value]) {
    let chromium = which::which("chromium").expect("chromium is needed (ci/test.sh installs it)");
    let want_rows = rows
        .iter()
        .filter(|r| {
            r["cells"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["verdict"] == "fail")
        })
        .count();
    let want_fail: usize = rows
        .iter()
        .map(|r| {
            r["cells"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["verdict"] == "fail")
                .count()
        })
        .sum();
    let url = format!("file://{}#verdict=fail", html.display());
    let profile = html.parent().unwrap().join("chromium-profile");
    let o = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&o.stdout);
    let counts = dom.split("id=\"counts\"").nth(1).unwrap_or_else(|| {
        panic!(
            "no #counts in the DOM: {}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    let attr = |name: &str| -> usize {
        let key = format!("data-{name}=\"");
        let at = counts
            .find(&key)
            .unwrap_or_else(|| panic!("no {key} in {counts:.300}"))
            + key.len();
        counts[at..].split('"').next().unwrap().parse().unwrap()
    };
    assert_eq!(attr("rows"), want_rows, "{counts:.300}");
    assert_eq!(attr("fail"), want_fail, "{counts:.300}");
}

#[test]
fn a_bad_matrix_file_is_one_line_and_exit_2() {
    let dir = temp_dir("bad");
    let path = dir.join("bad.toml");
    std::fs::write(&path, "[[target]]\nname = \"x\"\n").unwrap();
    let o = Command::new(BIN).arg("matrix").arg(&path).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("neither `server` nor `client`"), "{err}");
}
