//! Docs that cannot rot. Every sample of command output in README.md and docs/ is what strata prints when
//! the command above it runs on a golden case; the exit-code tables are the CLI's own (the ones `--help`
//! prints); docs/diagnostics.md is generated from the code registry; and a code the docs name must exist.
//! `STRATA_BLESS=1 cargo test --test docs` rewrites what differs; review the result as a diff.
//!
//! A sample is a fenced block under a marker naming the folder (from the repository root) and the command:
//!
//! ```text
//! <!-- sample: golden/readme $ strata check -->
//! ```
//!
//! The block holds `$ <command>` and then stdout and stderr as a terminal without colour shows them.
//! `NAME=value` words before `strata` set the environment and are not shown; `| head -N` keeps the first N
//! lines and marks the cut with `...`. An exit-code table follows `<!-- exit-codes -->` (every code) or
//! `<!-- exit-codes: plan -->` (one command's) and ends at the first blank line.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bless() -> bool {
    std::env::var_os("STRATA_BLESS").is_some()
}

/// README.md and every page under docs/.
fn pages() -> Vec<PathBuf> {
    let mut v = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    v.extend(docs);
    v
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

fn unified(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual).unified_diff().header("in the docs", "generated").to_string()
}

#[test]
fn diagnostics_page_is_generated_from_the_registry() {
    let path = root().join("docs/diagnostics.md");
    let want = strata::codes::markdown();
    if bless() {
        std::fs::write(&path, &want).expect("write docs/diagnostics.md");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/diagnostics.md is not what src/codes/table.rs generates; run `STRATA_BLESS=1 cargo test --test docs`:\n{}",
        unified(&have, &want)
    );
}

/// Every `strata::a::b` written in `text`.
fn code_mentions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("strata::") {
        let rest = &text[at..];
        let end =
            rest.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_'))).unwrap_or(rest.len());
        let code = rest[..end].trim_end_matches([':', '-', '_']);
        if code.split("::").count() == 3 && code.split("::").all(|p| !p.is_empty()) {
            out.push(code.to_string());
        }
    }
    out
}

#[test]
fn docs_name_only_registered_codes() {
    let mut unknown = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("read a page");
        for code in code_mentions(&text) {
            if strata::codes::lookup(&code).is_none() {
                unknown.push(format!("{}: {code}", rel(&page)));
            }
        }
    }
    assert!(unknown.is_empty(), "the docs name codes strata does not have:\n  {}", unknown.join("\n  "));
}

/// The words of a command line: spaces separate, double quotes group.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            _ => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

/// The block a sample marker stands for: `$ <command>`, then what the command prints.
fn run_sample(spec: &str) -> Result<String, String> {
    let (dir, line) = spec.split_once(" $ ").ok_or_else(|| format!("`{spec}`: expected `<folder> $ <command>`"))?;
    let (command, head) = match line.split_once(" | head -") {
        Some((c, n)) => (c, Some(n.trim().parse::<usize>().map_err(|e| format!("`{line}`: {e}"))?)),
        None => (line, None),
    };
    let mut args = words(command);
    let split = args.iter().position(|w| !w.contains('=')).unwrap_or(args.len());
    let env: Vec<String> = args.drain(..split).collect();
    if args.first().map(String::as_str) != Some("strata") {
        return Err(format!("`{line}`: a sample runs `strata`"));
    }
    let cwd = root().join(dir.trim());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strata"));
    cmd.args(&args[1..])
        .current_dir(&cwd)
        .env("NO_COLOR", "1")
        .env("HOME", &cwd)
        .env_remove("COLUMNS")
        .env_remove("KUBECONFIG");
    for e in &env {
        let (k, v) = e.split_once('=').unwrap_or((e, ""));
        cmd.env(k, v);
    }
    let out = cmd.output().map_err(|e| format!("`{line}` in {dir}: {e}"))?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let mut lines: Vec<&str> = text.lines().collect();
    let cut = head.is_some_and(|n| lines.len() > n);
    if let Some(n) = head {
        lines.truncate(n);
    }
    let shown = line.split_whitespace().skip_while(|w| w.contains('=')).collect::<Vec<_>>().join(" ");
    let mut block = format!("$ {shown}\n");
    for l in lines {
        block.push_str(l.trim_end());
        block.push('\n');
    }
    if cut {
        block.push_str("...\n");
    }
    Ok(block)
}

/// The markdown table of the exit codes of `command`, or of every code.
fn exit_table(command: Option<&str>) -> Result<String, String> {
    let mut s = String::from("| Code | Meaning |\n|---|---|\n");
    match command {
        None => {
            for c in strata::exit::Code::ALL {
                s.push_str(&format!("| {} | {}: {} |\n", c.value(), c.meaning(), c.cases()));
            }
        }
        Some(name) => {
            let codes = strata::cli::exit_codes(name).ok_or_else(|| format!("no command `{name}`"))?;
            for (c, cases) in codes {
                s.push_str(&format!("| {} | {}: {cases} |\n", c.value(), c.meaning()));
            }
        }
    }
    Ok(s)
}

/// One generated region of a page: where it is (line indices, end exclusive) and what it must hold.
struct Region {
    marker: usize,
    start: usize,
    end: usize,
    want: Result<String, String>,
}

fn regions(lines: &[&str]) -> Vec<Region> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        let Some(inner) = t.strip_prefix("<!--").and_then(|r| r.strip_suffix("-->")).map(str::trim) else {
            continue;
        };
        if let Some(spec) = inner.strip_prefix("sample:") {
            // The fenced block right below the marker; its content is what is generated.
            let open = i + 1;
            let fenced = lines.get(open).is_some_and(|l| l.starts_with("```"));
            let close = (open + 1..lines.len()).find(|j| lines[*j].starts_with("```"));
            let (start, end, want) = match (fenced, close) {
                (true, Some(close)) => (open + 1, close, run_sample(spec.trim())),
                _ => (open, open, Err("a sample marker must be followed by a fenced block".to_string())),
            };
            out.push(Region { marker: i, start, end, want });
        } else if let Some(rest) = inner.strip_prefix("exit-codes") {
            let command = rest.trim_start_matches(':').trim();
            let start = i + 1;
            let end = (start..lines.len()).find(|j| lines[*j].trim().is_empty()).unwrap_or(lines.len());
            out.push(Region { marker: i, start, end, want: exit_table((!command.is_empty()).then_some(command)) });
        }
    }
    out
}

#[test]
fn samples_and_exit_code_tables_match_strata() {
    let mut failures = Vec::new();
    let mut count = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("read a page");
        let lines: Vec<&str> = text.lines().collect();
        let found = regions(&lines);
        count += found.len();
        let mut rewritten: Vec<String> = Vec::new();
        let mut at = 0;
        for r in &found {
            let have: String = lines[r.start..r.end].iter().map(|l| format!("{l}\n")).collect();
            match &r.want {
                Err(e) => failures.push(format!("{}:{}: {e}", rel(&page), r.marker + 1)),
                Ok(want) if *want != have => {
                    failures.push(format!("{}:{}: differs\n{}", rel(&page), r.marker + 1, unified(&have, want)))
                }
                Ok(_) => {}
            }
            rewritten.extend(lines[at..r.start].iter().map(|l| format!("{l}\n")));
            rewritten.push(r.want.clone().unwrap_or(have));
            at = r.end;
        }
        rewritten.extend(lines[at..].iter().map(|l| format!("{l}\n")));
        if bless() && !found.is_empty() {
            std::fs::write(&page, rewritten.concat()).expect("rewrite a page");
        }
    }
    assert!(count >= 8, "expected the README and docs/ to have at least 8 generated regions, found {count}");
    if bless() {
        return;
    }
    assert!(
        failures.is_empty(),
        "samples or tables in the docs differ from what strata prints; run `STRATA_BLESS=1 cargo test --test docs`:\n\n{}",
        failures.join("\n\n")
    );
}
