//! The registry of diagnostic codes: every code strata can report, with a one-line summary and a long
//! explanation (the rule, why it exists, where it comes from upstream, how to fix what it reports).
//! `strata explain CODE` prints an entry and docs/diagnostics.md is generated from the table, so the two
//! cannot disagree. Call sites keep writing their code as a literal (`Diagnostic::error("strata::...")`);
//! the tests below scan the sources and fail when a literal is not registered, or an entry is emitted by
//! nothing.

mod table;

pub use table::CODES;

/// One registered code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeInfo {
    /// `strata::<domain>::<rule>`, exactly as diagnostics print it.
    pub code: &'static str,
    /// What the code reports, in one line (no final period).
    pub summary: &'static str,
    /// The rule and why it exists, its upstream source, and how to fix what it reports. Paragraphs are
    /// separated by a blank line; lines are wrapped when printed.
    pub explanation: &'static str,
}

/// The domains codes are grouped by (the middle part of the code), in the order docs/diagnostics.md
/// shows them, each with a title.
pub const DOMAINS: &[(&str, &str)] = &[
    ("io", "Reading files"),
    ("include", "Includes"),
    ("parse", "KDL syntax"),
    ("spec", "The shape of the spec"),
    ("platform", "The platform node"),
    ("env", "Environments"),
    ("stdlib", "The standard library"),
    ("preset", "Sizes and tiers"),
    ("priority-class", "Priority classes"),
    ("tenant", "Tenants"),
    ("quota", "Quota fit"),
    ("admission", "Admission"),
    ("network", "The network model"),
    ("kafka", "Kafka (Strimzi)"),
    ("spark", "Spark (the Spark operator)"),
    ("airflow", "Airflow (KubernetesExecutor)"),
    ("flink", "Flink (the Flink Kubernetes operator)"),
    ("job", "Batch jobs (Job, CronJob)"),
    ("app", "Stream apps (Deployments, KEDA, HPA)"),
    ("monitoring", "Monitoring (the Prometheus Operator)"),
    ("eso", "External secrets (the External Secrets Operator)"),
    ("cost", "Prices and the cost model (`strata cost`)"),
    ("resolve", "Resolving the checked platform"),
    ("emit", "Emitting manifests"),
    ("output", "Writing `compile --out-dir`"),
    ("git", "Reading git revisions (`strata diff`)"),
    ("apply", "Applying to a cluster"),
    ("diff", "Change safety (`strata diff`)"),
];

/// Width explanations are wrapped to, on a terminal and in docs/diagnostics.md.
const WIDTH: usize = 100;

/// The domain of `code` (`kafka` for `strata::kafka::replicas`).
pub fn domain(code: &str) -> &str {
    code.strip_prefix("strata::").and_then(|rest| rest.split("::").next()).unwrap_or("")
}

/// The entry of `code`; the `strata::` prefix may be left out.
pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    let code = code.trim();
    let full = if code.starts_with("strata::") { code.to_string() } else { format!("strata::{code}") };
    CODES.iter().find(|c| c.code == full)
}

/// The registered code closest to `code`, if it is plausibly a typo of it.
pub fn suggest(code: &str) -> Option<&'static str> {
    let short = code.trim().trim_start_matches("strata::");
    let names = CODES.iter().map(|c| c.code.trim_start_matches("strata::"));
    let best = crate::diagnostic::did_you_mean(short, names)?;
    CODES.iter().map(|c| c.code).find(|c| c.trim_start_matches("strata::") == best)
}

/// What `strata explain` prints: the code and summary, then the explanation wrapped for a terminal.
pub fn terminal_text(info: &CodeInfo) -> String {
    format!("{}: {}\n\n{}", info.code, info.summary, wrap(info.explanation))
}

/// docs/diagnostics.md: every code, by domain.
pub fn markdown() -> String {
    let mut s = String::from(
        "# Diagnostic codes\n\n\
         <!-- Generated from src/codes/table.rs: edit the registry, then run \
         `STRATA_BLESS=1 cargo test --test docs` to rewrite this file. -->\n\n",
    );
    s.push_str(&wrap(
        "Every problem strata reports carries a stable code, `strata::<domain>::<rule>`. Messages and help may be \
         reworded between releases; codes are not, so tools can match on them (`strata check --diagnostics json`) \
         and a search for one finds its explanation. `strata explain CODE` prints the same text as this page. \
         Codes of the spec reader keep their `strata::spec::` prefix although its module is now `lang`.",
    ));
    for (domain, title) in DOMAINS {
        let codes: Vec<&CodeInfo> = CODES.iter().filter(|c| self::domain(c.code) == *domain).collect();
        if codes.is_empty() {
            continue;
        }
        s.push_str(&format!("\n## {title} (`strata::{domain}`)\n"));
        for c in codes {
            s.push_str(&format!("\n### `{}`\n\n{}.\n\n{}", c.code, sentence(c.summary), wrap(c.explanation)));
        }
    }
    s
}

/// Whether a line starting with `word` would be read by markdown as a list, quote or heading; such a word
/// stays on the line before.
fn opens_a_block(word: &str) -> bool {
    let numbered =
        word.strip_suffix(['.', ')']).is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    matches!(word, "-" | "+" | "*") || word.starts_with(['>', '#']) || numbered
}

/// `summary` as the start of a sentence: its first letter in upper case.
fn sentence(summary: &str) -> String {
    let mut chars = summary.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// `text` with each paragraph wrapped at [`WIDTH`] columns, paragraphs separated by a blank line.
fn wrap(text: &str) -> String {
    let mut out = String::new();
    for (i, paragraph) in text.split("\n\n").enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > WIDTH && !opens_a_block(word) {
                out.push_str(&line);
                out.push('\n');
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};

    use super::*;

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("read src").filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                rust_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    /// `strata::a::b` at the start of `s`, if that is all a code literal holds.
    fn code_at(s: &str, end: char) -> Option<&str> {
        let code = &s[..s.find(end)?];
        let parts: Vec<&str> = code.split("::").collect();
        let ok = parts.len() == 3
            && parts[0] == "strata"
            && parts[1..].iter().all(|p| {
                !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
            });
        ok.then_some(code)
    }

    /// Every code literal in src/ outside this registry: `"strata::a::b"` (a `Diagnostic` or a finding) and
    /// `code(strata::a::b)` (a miette error), with the files that use it. The test modules at the end of a
    /// file are left out: a code only a test names is emitted by nothing.
    fn emitted() -> BTreeMap<String, BTreeSet<String>> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        rust_files(&root.join("src"), &mut files);
        let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for f in files {
            let rel = f.strip_prefix(root).unwrap_or(&f).display().to_string();
            if rel == "src/codes.rs" || rel.starts_with("src/codes/") {
                continue;
            }
            let text = std::fs::read_to_string(&f).expect("read a source file");
            let text = text.split("\n#[cfg(test)]").next().unwrap_or_default();
            for (pattern, end) in [("\"strata::", '"'), ("code(strata::", ')')] {
                for (at, _) in text.match_indices(pattern) {
                    let start = at + pattern.len() - "strata::".len();
                    if let Some(code) = code_at(&text[start..], end) {
                        found.entry(code.to_string()).or_default().insert(rel.clone());
                    }
                }
            }
        }
        found
    }

    #[test]
    fn the_scan_finds_codes_of_every_kind() {
        let e = emitted();
        // A Diagnostic, a diff finding (a constant), a miette error.
        for code in ["strata::kafka::replicas", "strata::diff::topic-removed", "strata::output::foreign_directory"] {
            assert!(e.contains_key(code), "the scan misses {code}");
        }
        assert!(e.len() > 150, "the scan found only {} codes", e.len());
    }

    #[test]
    fn every_emitted_code_is_registered() {
        let missing: Vec<String> = emitted()
            .into_iter()
            .filter(|(code, _)| lookup(code).is_none())
            .map(|(code, files)| format!("{code} (in {})", files.into_iter().collect::<Vec<_>>().join(", ")))
            .collect();
        assert!(
            missing.is_empty(),
            "codes emitted but not in the registry (add them to src/codes/table.rs):\n  {}",
            missing.join("\n  ")
        );
    }

    #[test]
    fn every_registered_code_is_emitted() {
        let e = emitted();
        let stale: Vec<&str> = CODES.iter().map(|c| c.code).filter(|c| !e.contains_key(*c)).collect();
        assert!(
            stale.is_empty(),
            "registered codes nothing emits (remove them, or emit them):\n  {}",
            stale.join("\n  ")
        );
    }

    #[test]
    fn codes_are_unique_and_belong_to_a_domain() {
        let mut seen = BTreeSet::new();
        for c in CODES {
            assert!(seen.insert(c.code), "{} is registered twice", c.code);
            assert!(DOMAINS.iter().any(|(d, _)| *d == domain(c.code)), "{} has no domain in DOMAINS", c.code);
        }
        // Grouped by domain in DOMAINS' order, so the table reads like the page generated from it.
        let order: Vec<usize> =
            CODES.iter().map(|c| DOMAINS.iter().position(|(d, _)| *d == domain(c.code)).unwrap_or(0)).collect();
        assert!(order.windows(2).all(|w| w[0] <= w[1]), "CODES is not grouped in DOMAINS' order");
    }

    #[test]
    fn explanations_are_real() {
        for c in CODES {
            assert!(!c.summary.is_empty() && !c.summary.ends_with('.'), "{}: a summary without a final period", c.code);
            assert!(c.explanation.len() >= 120, "{}: the explanation is too short to explain anything", c.code);
            for placeholder in ["TODO", "TBD", "FIXME", "XXX", "lorem ipsum"] {
                assert!(!c.explanation.contains(placeholder), "{}: placeholder text `{placeholder}`", c.code);
            }
            assert!(!c.explanation.contains("\n\n\n"), "{}: paragraphs are separated by one blank line", c.code);
        }
    }

    #[test]
    fn every_code_is_documented() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnostics.md");
        let docs = std::fs::read_to_string(&path).expect("docs/diagnostics.md exists");
        for c in CODES {
            assert!(docs.contains(&format!("### `{}`", c.code)), "{} is not in docs/diagnostics.md", c.code);
        }
    }

    #[test]
    fn lookup_accepts_the_short_form_and_suggests_near_misses() {
        assert_eq!(lookup("strata::kafka::replicas").map(|c| c.code), Some("strata::kafka::replicas"));
        assert_eq!(lookup("kafka::replicas").map(|c| c.code), Some("strata::kafka::replicas"));
        assert_eq!(lookup("strata::kafka::replica"), None);
        assert_eq!(suggest("strata::kafka::replica"), Some("strata::kafka::replicas"));
        assert_eq!(suggest("zzz"), None);
    }

    #[test]
    fn wrapping_keeps_words_and_paragraphs() {
        let long = "word ".repeat(40);
        let w = wrap(&format!("{long}\n\nsecond"));
        assert!(w.lines().all(|l| l.chars().count() <= WIDTH), "{w}");
        assert!(w.ends_with("\n\nsecond\n"), "{w}");
        let risky = format!("{} - 1", "x".repeat(WIDTH - 1));
        assert!(!wrap(&risky).lines().any(|l| l.starts_with("- ")), "{}", wrap(&risky));
        assert_eq!(w.split_whitespace().filter(|x| *x == "word").count(), 40);
    }
}
