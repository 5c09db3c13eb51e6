//! Known-answer vectors: loads every JSON file of `vectors/` (schema in
//! `vectors/README.md`), runs each case against the engine's primitives and
//! reports per-file counts. A malformed file is one error naming the file,
//! the case and the field; it never panics.

mod kinds;
mod replay;

use serde::Deserialize;
use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};

/// A vector file that cannot be used: names the file and what is wrong.
#[derive(Debug)]
pub struct VectorFileError {
    pub file: PathBuf,
    pub msg: String,
}

impl fmt::Display for VectorFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.msg)
    }
}

impl std::error::Error for VectorFileError {}

/// The outcome of one case that ran.
#[derive(Debug)]
pub struct CaseFailure {
    pub id: String,
    pub detail: String,
}

/// Results for one file.
#[derive(Debug)]
pub struct FileReport {
    pub file: PathBuf,
    pub kind: String,
    pub cases: usize,
    pub failures: Vec<CaseFailure>,
}

impl FileReport {
    pub fn passed(&self) -> usize {
        self.cases - self.failures.len()
    }
}

/// One case (or the file's top level, id `(file)`): its id and its JSON,
/// which each kind reads into its own `serde` struct with [`Case::parse`].
#[derive(Debug)]
pub struct Case<'a> {
    pub id: String,
    value: &'a Value,
}

/// What goes wrong reading a field: becomes a `VectorFileError`.
#[derive(Debug)]
pub struct FieldError(pub String);

impl<'a> Case<'a> {
    /// The case read into `T`. An error names the field (`a.b` when nested)
    /// and what it must be, in one line.
    pub fn parse<T: Deserialize<'a>>(&self) -> Result<T, FieldError> {
        serde_path_to_error::deserialize(self.value).map_err(|e| {
            let msg = e.inner().to_string();
            FieldError(if e.path().iter().next().is_none() {
                // `missing field `x`` of the case itself.
                format!("case {}: {msg}", self.id)
            } else if msg.starts_with("must be ") {
                format!("case {}: field `{}` {msg}", self.id, e.path())
            } else {
                format!("case {}: field `{}`: {msg}", self.id, e.path())
            })
        })
    }

    /// A field that was read but does not fit what the check needs.
    pub fn bad(&self, name: &str, want: &str) -> FieldError {
        FieldError(format!("case {}: field `{name}` must be {want}", self.id))
    }
}

/// `deserialize_with` readers for vector fields: each fails with `must be
/// …`, which [`Case::parse`] puts after the field's name.
pub mod de {
    use serde::de::{Deserialize, Deserializer, Error};

    fn want<E: Error>(what: &str) -> E {
        E::custom(format!("must be {what}"))
    }

    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        String::deserialize(d).map_err(|_| want("a string"))
    }

    /// Lowercase or uppercase hex, possibly empty.
    pub fn hex<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        hex::decode(string(d)?).map_err(|_| want("a hex string"))
    }

    /// Exactly `N` bytes of hex.
    pub fn hex_n<'de, D: Deserializer<'de>, const N: usize>(d: D) -> Result<[u8; N], D::Error> {
        hex(d)?
            .try_into()
            .map_err(|_| want(&format!("{N} bytes of hex")))
    }

    /// `hex_n` for a field that may be absent (with `#[serde(default)]`).
    pub fn some_hex_n<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<Option<[u8; N]>, D::Error> {
        hex_n(d).map(Some)
    }

    pub fn hex_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let words = Vec::<String>::deserialize(d).map_err(|_| want("a list of hex strings"))?;
        words
            .iter()
            .map(|w| hex::decode(w).map_err(|_| want("a list of hex strings")))
            .collect()
    }

    pub fn u64_int<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        u64::deserialize(d).map_err(|_| want("a non-negative integer"))
    }

    pub fn u8_int<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
        u8::try_from(u64_int(d)?).map_err(|_| want("an integer below 256"))
    }

    pub fn u16_int<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
        u16::try_from(u64_int(d)?).map_err(|_| want("an integer below 65536"))
    }

    pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        bool::deserialize(d).map_err(|_| want("true or false"))
    }
}

/// What every file has besides its cases (`vectors/README.md` "Schema").
#[derive(Deserialize)]
struct Head {
    #[serde(deserialize_with = "de::string")]
    kind: String,
    #[allow(dead_code)] // Read only to check it is there and well-formed.
    source: Source,
}

#[derive(Deserialize)]
#[allow(dead_code)] // Read only to check it is there and well-formed.
struct Source {
    #[serde(deserialize_with = "de::string")]
    tool: String,
    #[serde(deserialize_with = "de::string")]
    script: String,
}

#[derive(Deserialize)]
struct CaseId {
    #[serde(deserialize_with = "de::string")]
    id: String,
}

/// Runs one vector file. `Err` means the file itself is unusable.
pub fn run_file(path: &Path) -> Result<FileReport, VectorFileError> {
    let err = |msg: String| VectorFileError {
        file: path.to_path_buf(),
        msg,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| err(format!("not JSON: {e}")))?;
    run_document(path, &doc)
}

/// Runs an already-parsed vector file as if it had been read from `path`
/// (whose directory holds `keys/`), so tests can run tampered copies of the
/// committed files.
pub fn run_document(path: &Path, doc: &Value) -> Result<FileReport, VectorFileError> {
    let err = |msg: String| VectorFileError {
        file: path.to_path_buf(),
        msg,
    };
    if !doc.is_object() {
        return Err(err("top level must be an object".into()));
    }
    let top = Case {
        id: "(file)".into(),
        value: doc,
    };
    let Head { kind, .. } = top.parse().map_err(|e| err(e.0))?;
    let prepare =
        kinds::checker(&kind).ok_or_else(|| err(format!("field `kind`: unknown kind {kind:?}")))?;
    let cases = doc
        .get("cases")
        .and_then(Value::as_array)
        .ok_or_else(|| err("field `cases` must be a list".into()))?;
    if cases.is_empty() {
        return Err(err("field `cases` is empty".into()));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut check = prepare(&top, dir).map_err(|e| err(e.0))?;
    let mut failures = Vec::new();
    for (i, value) in cases.iter().enumerate() {
        if !value.is_object() {
            return Err(err(format!("case #{i} must be an object")));
        }
        let numbered = Case {
            id: format!("#{i}"),
            value,
        };
        let CaseId { id } = numbered.parse().map_err(|e| err(e.0))?;
        let case = Case { id, value };
        // A panic inside the engine is a failed case, not a crashed run.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&case)))
            .unwrap_or_else(|panic| Ok(Verdict::Fail(format!("panicked: {}", panic_text(&panic)))));
        match outcome {
            Ok(Verdict::Pass) => {}
            Ok(Verdict::Fail(detail)) => failures.push(CaseFailure {
                id: case.id.clone(),
                detail,
            }),
            Err(FieldError(msg)) => return Err(err(msg)),
        }
    }
    Ok(FileReport {
        file: path.to_path_buf(),
        kind,
        cases: cases.len(),
        failures,
    })
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// What a case's check found.
#[derive(Debug)]
pub enum Verdict {
    Pass,
    Fail(String),
}

impl Verdict {
    /// Pass when `got == want`, else a failure showing both in hex.
    pub fn eq(what: &str, got: &[u8], want: &[u8]) -> Verdict {
        if got == want {
            Verdict::Pass
        } else {
            Verdict::Fail(format!(
                "{what}: got {}, want {}",
                hex::encode(got),
                hex::encode(want)
            ))
        }
    }
}

/// Every `*.json` directly in `dir`, sorted.
pub fn vector_files(dir: &Path) -> Result<Vec<PathBuf>, VectorFileError> {
    let rd = std::fs::read_dir(dir).map_err(|e| VectorFileError {
        file: dir.to_path_buf(),
        msg: format!("cannot read directory: {e}"),
    })?;
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(VectorFileError {
            file: dir.to_path_buf(),
            msg: "no vector files (*.json) here".into(),
        });
    }
    Ok(files)
}

/// Runs every file in `dir`; stops at the first unusable file.
pub fn run_dir(dir: &Path) -> Result<Vec<FileReport>, VectorFileError> {
    vector_files(dir)?.iter().map(|f| run_file(f)).collect()
}

/// The table `gauntlet vectors verify` prints, with its closing line.
pub fn render_table(reports: &[FileReport]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let name = |r: &FileReport| {
        r.file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let w = reports
        .iter()
        .map(|r| name(r).len())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(
        out,
        "{:<w$}  {:<24}  {:>6}  {:>6}  {:>6}",
        "file", "kind", "cases", "passed", "failed"
    );
    let (mut passed, mut failed) = (0, 0);
    for r in reports {
        let _ = writeln!(
            out,
            "{:<w$}  {:<24}  {:>6}  {:>6}  {:>6}",
            name(r),
            r.kind,
            r.cases,
            r.passed(),
            r.failures.len()
        );
        passed += r.passed();
        failed += r.failures.len();
    }
    for r in reports {
        for f in &r.failures {
            let _ = writeln!(out, "FAIL {} case {}: {}", name(r), f.id, f.detail);
        }
    }
    let _ = writeln!(out, "{passed} passed, {failed} failed");
    out
}
