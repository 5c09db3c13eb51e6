//! Known-answer vectors: loads every JSON file of `vectors/` (schema in
//! `vectors/README.md`), runs each case against the engine's primitives and
//! reports per-file counts. A malformed file is one error naming the file,
//! the case and the field; it never panics.

mod kinds;
mod replay;

use serde_json::{Map, Value};
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

/// One case's fields, with accessors whose errors name the field.
#[derive(Debug)]
pub struct Case<'a> {
    pub id: String,
    map: &'a Map<String, Value>,
}

/// What goes wrong reading a field: becomes a `VectorFileError`.
#[derive(Debug)]
pub struct FieldError(pub String);

impl<'a> Case<'a> {
    fn field(&self, name: &str) -> Result<&'a Value, FieldError> {
        self.map
            .get(name)
            .ok_or_else(|| FieldError(format!("case {}: missing field `{name}`", self.id)))
    }

    fn bad(&self, name: &str, want: &str) -> FieldError {
        FieldError(format!("case {}: field `{name}` must be {want}", self.id))
    }

    pub fn str(&self, name: &str) -> Result<&'a str, FieldError> {
        self.field(name)?
            .as_str()
            .ok_or_else(|| self.bad(name, "a string"))
    }

    pub fn hex(&self, name: &str) -> Result<Vec<u8>, FieldError> {
        hex::decode(self.str(name)?).map_err(|_| self.bad(name, "a hex string"))
    }

    /// A hex field of exactly `N` bytes.
    pub fn hex_n<const N: usize>(&self, name: &str) -> Result<[u8; N], FieldError> {
        self.hex(name)?
            .try_into()
            .map_err(|_| self.bad(name, &format!("{N} bytes of hex")))
    }

    pub fn u64(&self, name: &str) -> Result<u64, FieldError> {
        self.field(name)?
            .as_u64()
            .ok_or_else(|| self.bad(name, "a non-negative integer"))
    }

    pub fn bool(&self, name: &str) -> Result<bool, FieldError> {
        self.field(name)?
            .as_bool()
            .ok_or_else(|| self.bad(name, "true or false"))
    }

    pub fn object(&self, name: &str) -> Result<Case<'a>, FieldError> {
        let map = self
            .field(name)?
            .as_object()
            .ok_or_else(|| self.bad(name, "an object"))?;
        Ok(Case {
            id: format!("{}.{name}", self.id),
            map,
        })
    }

    /// A list of hex strings.
    pub fn hex_list(&self, name: &str) -> Result<Vec<Vec<u8>>, FieldError> {
        let arr = self
            .field(name)?
            .as_array()
            .ok_or_else(|| self.bad(name, "a list of hex strings"))?;
        arr.iter()
            .map(|v| {
                v.as_str()
                    .and_then(|s| hex::decode(s).ok())
                    .ok_or_else(|| self.bad(name, "a list of hex strings"))
            })
            .collect()
    }
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
    let top = Case {
        id: "(file)".into(),
        map: doc
            .as_object()
            .ok_or_else(|| err("top level must be an object".into()))?,
    };
    let kind = top.str("kind").map_err(|e| err(e.0))?.to_string();
    let source = top.object("source").map_err(|e| err(e.0))?;
    source.str("tool").map_err(|e| err(e.0))?;
    source.str("script").map_err(|e| err(e.0))?;
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
        let map = value
            .as_object()
            .ok_or_else(|| err(format!("case #{i} must be an object")))?;
        let id = map
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| err(format!("case #{i}: missing field `id`")))?;
        let case = Case { id, map };
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
