//! Expectations files: the committed list, per target, of cases the target
//! is known to fail and why. A listed case that fails is an expected failure;
//! one that passes is an unexpected pass (the list is stale: the run fails).
//!
//! Format: UTF-8 text, one entry per line. Blank lines and lines starting
//! with `#` are ignored. An entry is a case name or a glob (`*` any run of
//! characters, `?` one character), whitespace, then the reason: what the
//! implementation does and why it deviates, e.g.
//!
//! ```text
//! # OpenSSL 3.0 s_server
//! Renegotiate-Server-*   answers with a full handshake: s_server allows secure renegotiation by default
//! ```
//!
//! A reason that starts with `[sometimes]` marks a deviation the target was
//! seen to make on some runs only (its answer depends on timing or TCP
//! segmentation): a failure is expected, and a pass is a pass rather than
//! an unexpected one.
//!
//! Every entry must match at least one case of the suite (a typo must not
//! silently turn into "no expectation"), have a reason, and be listed once.

use std::fmt;
use std::path::{Path, PathBuf};

/// The reason prefix of an entry the target fails on some runs only.
pub const SOMETIMES: &str = "[sometimes]";

/// A case-name glob as documented above: `*` matches any run of characters
/// (also none), `?` exactly one; every other character, `[` and `]`
/// included, matches itself. Built on `glob::Pattern` with everything but
/// `*` and `?` escaped, so its classes and `**` never apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob(glob::Pattern);

impl Glob {
    pub fn new(pattern: &str) -> Result<Self, String> {
        let mut escaped = String::with_capacity(pattern.len());
        let mut after_star = false;
        for c in pattern.chars() {
            match c {
                // A run of `*` means what one does; `glob` would read `**` as a path wildcard.
                '*' if after_star => {}
                '*' | '?' => escaped.push(c),
                c => escaped.push_str(&glob::Pattern::escape(c.encode_utf8(&mut [0; 4]))),
            }
            after_star = c == '*';
        }
        glob::Pattern::new(&escaped)
            .map(Glob)
            .map_err(|e| format!("{pattern}: not a glob: {e}"))
    }

    /// Whole-name match; `*` and `?` also match `/` and a leading `.`.
    pub fn matches(&self, name: &str) -> bool {
        self.0.matches(name)
    }
}

/// Whether `name` matches the glob `pattern` (a pattern that does not
/// compile matches nothing; [`Glob::new`] says why).
pub fn glob_match(pattern: &str, name: &str) -> bool {
    Glob::new(pattern).is_ok_and(|g| g.matches(name))
}

/// One line of an expectations file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// A case name or a glob, as written.
    pub pattern: String,
    /// `pattern`, compiled.
    pub glob: Glob,
    /// What the implementation does and why it deviates.
    pub reason: String,
    /// 1-based line number in the file, for messages.
    pub line: usize,
}

/// A loaded expectations file (empty when none was given).
#[derive(Clone, Debug, Default)]
pub struct Expectations {
    pub source: Option<PathBuf>,
    pub entries: Vec<Entry>,
}

/// Why a file could not be used. `Display` is one line naming the file
/// (and the line, where there is one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError {
                line: Some(l),
                file,
                message,
            } => write!(f, "{file}:{l}: {message}"),
            LoadError { file, message, .. } => write!(f, "{file}: {message}"),
        }
    }
}

impl std::error::Error for LoadError {}

impl Expectations {
    /// Reads and checks a file against the names of every known case.
    pub fn load(path: &Path, known: &[&str]) -> Result<Self, LoadError> {
        let file = path.display().to_string();
        let text = std::fs::read(path).map_err(|e| LoadError {
            file: file.clone(),
            line: None,
            message: e.to_string(),
        })?;
        let text = String::from_utf8(text).map_err(|e| LoadError {
            file: file.clone(),
            line: Some(line_of(e.as_bytes(), e.utf8_error().valid_up_to())),
            message: "not UTF-8".into(),
        })?;
        let mut exp = Self::parse(&text, known).map_err(|(line, message)| LoadError {
            file,
            line: Some(line),
            message,
        })?;
        exp.source = Some(path.to_path_buf());
        Ok(exp)
    }

    /// Parses file contents; errors are (line, message).
    pub fn parse(text: &str, known: &[&str]) -> Result<Self, (usize, String)> {
        let mut entries: Vec<Entry> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let l = raw.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let (pattern, reason) = match l.split_once(char::is_whitespace) {
                Some((p, r)) => (p, r.trim()),
                None => (l, ""),
            };
            if reason.is_empty() {
                return Err((
                    line,
                    format!("{pattern}: no reason given (write what the target does and why)"),
                ));
            }
            if let Some(prev) = entries.iter().find(|e| e.pattern == pattern) {
                return Err((
                    line,
                    format!("{pattern} is already listed on line {}", prev.line),
                ));
            }
            let glob = Glob::new(pattern).map_err(|e| (line, e))?;
            if !known.iter().any(|n| glob.matches(n)) {
                return Err((
                    line,
                    format!("{pattern}: no such case (see `gauntlet list`)"),
                ));
            }
            entries.push(Entry {
                pattern: pattern.to_string(),
                glob,
                reason: reason.to_string(),
                line,
            });
        }
        Ok(Self {
            source: None,
            entries,
        })
    }

    /// The first entry that covers this case.
    pub fn lookup(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.glob.matches(name))
    }
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    1 + bytes
        .get(..offset)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_stars_and_question_marks() {
        assert!(glob_match("Basic-*", "Basic-Server-AES128-EMS"));
        assert!(glob_match("*-EMS", "Basic-Server-AES128-EMS"));
        assert!(glob_match("*Server*AES???-*", "Basic-Server-AES128-EMS"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXbYbZc"));
        assert!(glob_match("exact", "exact"));
        assert!(!glob_match("exact", "exact2"));
        assert!(!glob_match("Basic-?", "Basic-"));
        assert!(!glob_match("*-NoEMS", "Basic-Server-AES128-EMS"));
        assert!(!glob_match("", "x"));
        assert!(glob_match("", ""));
    }

    #[test]
    fn glob_treats_everything_but_star_and_question_mark_literally() {
        // No character classes, no `**` path rule, no escapes.
        assert!(glob_match("A[1]-*", "A[1]-x"));
        assert!(!glob_match("A[12]", "A1"));
        assert!(glob_match("a]b", "a]b"));
        assert!(glob_match("a**b", "aXYb"));
        assert!(glob_match("**", "x/y"));
        assert!(glob_match("a\\b", "a\\b"));
        assert!(glob_match("x{a,b}", "x{a,b}"));
        assert!(!glob_match("x{a,b}", "xa"));
        // `*` and `?` cross `/` and a leading `.`, and case matters.
        assert!(glob_match("?a*z", "/a/.z"));
        assert!(glob_match("*", ".hidden"));
        assert!(!glob_match("basic-*", "Basic-Server"));
        assert!(glob_match("Basic-Ser?er-é*", "Basic-Server-éx"));
    }

    const KNOWN: &[&str] = &["Basic-Server-AES128-EMS", "Resume-Server-AES128-EMS"];

    #[test]
    fn parses_entries_comments_and_globs() {
        let e = Expectations::parse(
            "# comment\n\nBasic-Server-AES128-EMS   sends X: because Y\n  Resume-*\tno cache\n",
            KNOWN,
        )
        .unwrap();
        assert_eq!(e.entries.len(), 2);
        assert_eq!(e.entries[0].reason, "sends X: because Y");
        assert_eq!(e.entries[1].line, 4);
        assert_eq!(
            e.lookup("Resume-Server-AES128-EMS").map(|e| e.line),
            Some(4)
        );
        assert!(e.lookup("Other").is_none());
    }

    #[test]
    fn rejects_unknown_names_missing_reasons_and_duplicates() {
        let err = Expectations::parse("\nNo-Such-Case  reason\n", KNOWN).unwrap_err();
        assert_eq!(err.0, 2);
        assert!(err.1.contains("no such case"), "{}", err.1);
        let err = Expectations::parse("Basic-Server-AES128-EMS\n", KNOWN).unwrap_err();
        assert!(err.1.contains("no reason"), "{}", err.1);
        let err = Expectations::parse("Basic-* a\nBasic-* b\n", KNOWN).unwrap_err();
        assert_eq!(err, (2, "Basic-* is already listed on line 1".into()));
    }

    #[test]
    fn load_errors_name_the_file_and_line() {
        let dir = std::env::temp_dir().join(format!("gauntlet-exp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.txt");
        std::fs::write(&path, "# x\nBogus reason\n").unwrap();
        let err = Expectations::load(&path, KNOWN).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "{}:2: Bogus: no such case (see `gauntlet list`)",
                path.display()
            )
        );
        let missing = Expectations::load(&dir.join("missing"), KNOWN).unwrap_err();
        assert_eq!(missing.line, None);
        assert!(!missing.to_string().contains('\n'));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
