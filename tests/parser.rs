//! The fast KDL parser against the kdl crate on real inputs: every `.kdl` file in the repository and a
//! generated platform. Each file must either be declined by the fast path (then the kdl crate parses it)
//! or give the same document, spans included; and the specs strata ships and benchmarks must take the
//! fast path, or compiles would silently fall back to the slow parser.

use std::path::{Path, PathBuf};

use kdl::KdlDocument;
use strata::lang::parse::{parse_fast, same_document};

#[allow(dead_code)]
#[path = "../examples/generate.rs"]
mod generate;

fn kdl_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("dir entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                kdl_files(&path, out);
            }
        } else if name.ends_with(".kdl") {
            out.push(path);
        }
    }
}

/// `Ok(true)` when the fast path took the text (and agreed), `Ok(false)` when it declined.
fn agrees(text: &str) -> Result<bool, String> {
    let Some(fast) = parse_fast(text) else { return Ok(false) };
    let slow = KdlDocument::parse_v2(text).map_err(|e| format!("the fast path accepted invalid KDL: {e:?}"))?;
    same_document(&fast, &slow).map(|()| true)
}

#[test]
fn every_kdl_file_in_the_repository_parses_the_same() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    kdl_files(root, &mut files);
    assert!(files.len() > 100, "found only {} .kdl files under {}", files.len(), root.display());
    let mut declined = Vec::new();
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        // Type annotations are outside the fast path's subset; specs use them only for an environment's
        // `(add)`, `(remove)` and `(replace)` overrides.
        let annotated = text.lines().any(|l| l.trim_start().starts_with('('));
        match agrees(&text) {
            Ok(true) => {}
            Ok(false) if annotated => {}
            Ok(false) => declined.push(path.strip_prefix(root).unwrap_or(path).display().to_string()),
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
    // Only files that are invalid on purpose (syntax-error golden cases) may need the kdl crate.
    for name in &declined {
        assert!(name.starts_with("golden/invalid-"), "the fast path declined {name}");
    }
}

#[test]
fn generated_platforms_take_the_fast_path() {
    for t in [0, 7, 123] {
        let name = format!("team-{t:04}");
        for text in [
            generate::tenant(&name),
            generate::kafka(&name, t, 0),
            generate::kafka(&name, t, 50),
            generate::spark(&name, t, 10),
            generate::airflow(&name, t, 10),
            generate::flink(&name, t, 10),
        ] {
            assert_eq!(agrees(&text), Ok(true), "{text}");
        }
    }
}
