//! The README's "Test your Rust TLS stack in `cargo test`" snippet is the
//! crate documentation's doctest (which `cargo test --doc` compiles and
//! runs), less the doctest's hidden `# ` lines: so what a user copies
//! compiles against this version of the API.

use std::path::Path;

/// The first ```rust block after `heading` in `text`.
fn rust_block_after<'a>(text: &'a str, heading: &str) -> Option<&'a str> {
    let rest = &text[text.find(heading)?..];
    let start = rest.find("```rust\n")? + "```rust\n".len();
    let len = rest[start..].find("```")?;
    Some(&rest[start..start + len])
}

#[test]
fn readme_snippet_is_the_crate_doctest() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("../README.md"))
        .or_else(|_| std::fs::read_to_string(root.join("README.md")))
        .expect("README.md beside the workspace or the package");
    let snippet = rust_block_after(&readme, "## Test your Rust TLS stack in `cargo test`")
        .expect("the README section and its rust block");

    let lib = std::fs::read_to_string(root.join("src/lib.rs")).expect("src/lib.rs");
    let docs: String = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .map(|l| format!("{l}\n"))
        .collect();
    let blocks: Vec<String> = docs
        .split("```")
        .skip(1)
        .step_by(2)
        .map(|b| {
            b.lines()
                .skip(1) // the fence's info string line (empty here)
                .filter(|l| !(l.trim_start().starts_with("# ") || l.trim() == "#"))
                .map(|l| format!("{l}\n"))
                .collect()
        })
        .collect();
    assert!(
        blocks.iter().any(|b| b == snippet),
        "README snippet:\n{snippet}\nis none of the crate doc's examples:\n{}",
        blocks.join("\n----\n")
    );
}
