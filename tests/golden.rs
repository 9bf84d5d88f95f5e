//! Golden tests: every folder under `golden/` is a spec (`platform.kdl` plus any files it includes) with
//! its expected output: `expected.yaml` (the compiled manifests) and/or `expected.txt` (the diagnostics,
//! as `strata check --explain` prints them without colour). A valid case with no diagnostics has no
//! `expected.txt`. Run with `STRATA_BLESS=1` to rewrite the expectations, then review them as a diff.

use std::path::{Path, PathBuf};

use strata::diagnostic::Renderer;
use strata::render::{OutputFormat, render_set};

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("golden/ exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("platform.kdl").is_file())
        .collect();
    v.sort();
    v
}

/// Compiles one case and returns (manifests as YAML if it compiled, diagnostics text).
pub fn run_case(dir: &Path) -> (Option<String>, String) {
    let c = strata::compile_path(&dir.join("platform.kdl"));
    let diags =
        if c.diagnostics.is_empty() { String::new() } else { Renderer::plain(&c.sources).human(&c.diagnostics) };
    (c.manifests.map(|m| render_set(&m, OutputFormat::Yaml)), diags)
}

fn compare(path: &Path, actual: Option<&str>, bless: bool, failures: &mut Vec<String>) {
    let expected = std::fs::read_to_string(path).ok();
    if bless {
        match actual {
            Some(a) if !a.is_empty() => std::fs::write(path, a).expect("write golden"),
            _ => {
                let _ = std::fs::remove_file(path);
            }
        }
        return;
    }
    let actual = actual.filter(|a| !a.is_empty());
    if expected.as_deref() == actual {
        return;
    }
    let (e, a) = (expected.as_deref().unwrap_or(""), actual.unwrap_or(""));
    let diff =
        similar::TextDiff::from_lines(e, a).unified_diff().context_radius(3).header("expected", "actual").to_string();
    failures.push(format!(
        "{}: {}\n{}",
        path.display(),
        match (expected.is_some(), actual.is_some()) {
            (true, false) => "expected output, got none",
            (false, true) => "no expectation file, but output was produced",
            _ => "output differs",
        },
        diff
    ));
}

#[test]
fn golden_cases() {
    let bless = std::env::var_os("STRATA_BLESS").is_some();
    let cases = cases();
    assert!(cases.len() >= 8, "expected at least 8 golden cases, found {}", cases.len());
    let mut failures = Vec::new();
    let (mut valid, mut invalid) = (0, 0);
    for dir in &cases {
        let (yaml, diags) = run_case(dir);
        if yaml.is_some() {
            valid += 1
        } else {
            invalid += 1
        }
        compare(&dir.join("expected.yaml"), yaml.as_deref(), bless, &mut failures);
        compare(&dir.join("expected.txt"), Some(&diags), bless, &mut failures);
    }
    assert!(valid > 0 && invalid > 0, "golden/ needs both valid ({valid}) and invalid ({invalid}) cases");
    assert!(
        failures.is_empty(),
        "{} golden mismatch(es) (STRATA_BLESS=1 to accept):\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn compiles_are_byte_identical() {
    for dir in cases() {
        assert_eq!(run_case(&dir), run_case(&dir), "{} is not deterministic", dir.display());
    }
}
