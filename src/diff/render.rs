//! Renders a [`Diff`] for people and tools: `unified` (terminal and CI logs), `markdown` (a pull-request
//! comment, kept under GitHub's comment size limit), `json` (the same facts for other tools) and `stat`
//! (one line per object). Every format puts the summary and the safety findings before the object diffs,
//! and then, when the change moves a monthly cost, the cost section (tenants, then workloads).
//! Object diffs are line diffs of each object's YAML as `strata compile` prints it (without the
//! `strata.dev/source` annotation, which is shown next to the object instead).

use std::collections::HashMap;
use std::fmt::Write;

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use crate::diagnostic::Severity;
use crate::diff::cost::{CostDiff, Row};
use crate::diff::{ChangeKind, Counts, Diff, Finding, ObjectChange, SpecLine, Summary, without_origin};
use crate::render::to_yaml;

/// Output formats of `strata diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Summary, findings, then a unified diff of each object's YAML.
    Unified,
    /// A pull-request comment: headline, findings, each object's diff in a collapsible block.
    Markdown,
    /// Everything as one JSON document.
    Json,
    /// One line per object.
    Stat,
}

/// GitHub refuses comments over 65,536 characters; stay under it with room for the cut note.
pub const MARKDOWN_LIMIT: usize = 65_000;
/// The hidden first line of the markdown comment, so a workflow can find and update its own comment.
pub const MARKDOWN_MARKER: &str = "<!-- strata-diff -->";
/// Lines of context around each change in object diffs.
const CONTEXT: usize = 3;

pub fn render(d: &Diff, format: Format, color: bool) -> String {
    match format {
        Format::Unified => unified(d, color),
        Format::Markdown => markdown(d),
        Format::Json => json(d),
        Format::Stat => stat(d),
    }
}

/// Several environments' diffs (`strata diff --all-envs`) as one output: a section per environment, in
/// the order given. Markdown keeps one comment marker at the top, so CI updates one pull-request comment;
/// JSON is one object, `{"environments": [{"environment": ..., "diff": ...}]}`.
pub fn sections(sections: &[(String, String)], format: Format) -> String {
    let mut out = String::new();
    match format {
        Format::Json => {
            let items: Vec<serde_json::Value> = sections
                .iter()
                .map(|(env, text)| {
                    let diff = serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.clone()));
                    serde_json::json!({ "environment": env, "diff": diff })
                })
                .collect();
            let doc = serde_json::json!({ "environments": items });
            out = serde_json::to_string_pretty(&doc).unwrap_or_default();
            out.push('\n');
        }
        Format::Markdown => {
            let _ = writeln!(out, "{MARKDOWN_MARKER}");
            for (env, text) in sections {
                let body = text.strip_prefix(MARKDOWN_MARKER).unwrap_or(text).trim_start_matches('\n');
                let _ = writeln!(out, "## Environment {}\n\n{body}", code(env));
            }
        }
        Format::Unified | Format::Stat => {
            for (env, text) in sections {
                let _ = writeln!(out, "# environment {env}");
                out.push_str(text);
            }
        }
    }
    out
}

/// One object's line diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    /// `@@` hunks (no `---`/`+++` header).
    pub hunks: String,
    pub added_lines: usize,
    pub removed_lines: usize,
}

/// The YAML line diff of one changed, added or removed object.
pub fn patch(c: &ObjectChange) -> Patch {
    let yaml = |m: Option<&crate::manifest::Manifest>| {
        m.map(|m| {
            // The same masking rule as `plan`: a secret-like value never reaches a review comment.
            let mut o = without_origin(&m.object);
            crate::secrets::mask_secrets(&mut o);
            to_yaml(&o)
        })
        .unwrap_or_default()
    };
    let (old, new) = (yaml(c.base), yaml(c.head));
    let diff = TextDiff::from_lines(&old, &new);
    let (mut added_lines, mut removed_lines) = (0, 0);
    for op in diff.ops() {
        for change in diff.iter_changes(op) {
            match change.tag() {
                ChangeTag::Insert => added_lines += 1,
                ChangeTag::Delete => removed_lines += 1,
                ChangeTag::Equal => {}
            }
        }
    }
    let hunks = diff.unified_diff().context_radius(CONTEXT).to_string();
    Patch { hunks, added_lines, removed_lines }
}

/// `tenants/a.kdl:3`, or `tenants/a.kdl:3 → tenants/a.kdl:5` when the object's node moved.
fn origins(c: &ObjectChange) -> String {
    match (c.base, c.head) {
        (Some(b), Some(h)) if b.origin != h.origin => format!("{} → {}", b.origin, h.origin),
        (_, Some(m)) | (Some(m), None) => m.origin.clone(),
        (None, None) => String::new(),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") }
}

/// `2 changed, 1 added, 1 removed`, or `no changes`.
fn counts_line(c: &Counts) -> String {
    let parts: Vec<String> = [(c.changed, "changed"), (c.added, "added"), (c.removed, "removed")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, w)| format!("{n} {w}"))
        .collect();
    if parts.is_empty() { "no changes".to_string() } else { parts.join(", ") }
}

fn findings_line(d: &Diff) -> String {
    match (d.errors(), d.warnings()) {
        (0, 0) => "no safety findings".to_string(),
        (e, 0) => plural(e, "error"),
        (0, w) => plural(w, "warning"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn severity(&self, s: Severity, text: &str) -> String {
        self.wrap(if s == Severity::Error { "1;31" } else { "1;33" }, text)
    }
    fn diff_line(&self, line: &str) -> String {
        let code = match line.as_bytes().first() {
            Some(b'+') => "32",
            Some(b'-') => "31",
            Some(b'@') => "36",
            _ => return line.to_string(),
        };
        self.wrap(code, line)
    }
}

fn table(out: &mut String, title: &str, rows: &std::collections::BTreeMap<String, Counts>) {
    let width = rows.keys().map(|k| k.chars().count()).chain([title.len()]).max().unwrap_or(0);
    let _ = writeln!(out, "  {title:<width$}  {:>7}  {:>7}  {:>7}", "added", "changed", "removed");
    for (name, c) in rows {
        let _ = writeln!(out, "  {name:<width$}  {:>7}  {:>7}  {:>7}", c.added, c.changed, c.removed);
    }
}

fn side_line(label: &str, line: Option<&SpecLine>) -> String {
    match line {
        Some(SpecLine { origin, text: Some(t), .. }) => format!("{label}: {origin} │ {t}"),
        Some(l) => format!("{label}: {}", l.origin),
        None => format!("{label}: —"),
    }
}

fn unified(d: &Diff, color: bool) -> String {
    let p = Paint { on: color };
    let s = d.summary();
    let mut out = String::new();
    let _ = writeln!(out, "{}", p.bold(&format!("strata diff: {} → {}", d.base_label, d.head_label)));
    if d.changes.is_empty() && d.findings.is_empty() {
        let _ = writeln!(out, "no changes ({} unchanged)", plural(d.unchanged, "object"));
        if let Some(c) = changed_cost(d) {
            out.push('\n');
            cost_text(&mut out, c);
        }
        return out;
    }
    let _ = writeln!(out, "{}; {} unchanged; {}", counts_line(&s.total), d.unchanged, findings_line(d));
    out.push('\n');
    table(&mut out, "tenant", &s.by_tenant);
    out.push('\n');
    table(&mut out, "kind", &s.by_kind);

    for f in &d.findings {
        out.push('\n');
        let head = format!("{}[{}]", severity_word(f.severity), f.code);
        let _ = writeln!(out, "{}: {}", p.severity(f.severity, &head), p.bold(&f.message));
        let _ = writeln!(out, "  object: {}", f.object);
        let _ = writeln!(out, "  {}", side_line("base", f.base.as_ref()));
        let _ = writeln!(out, "  {}", side_line("head", f.head.as_ref()));
        let _ = writeln!(out, "  why: {}", f.why);
        if let Some(h) = &f.help {
            let _ = writeln!(out, "  help: {h}");
        }
    }

    if let Some(c) = changed_cost(d) {
        out.push('\n');
        cost_text(&mut out, c);
    }

    for c in &d.changes {
        out.push('\n');
        let title = format!("{} {}  {}", c.kind.sign(), c.key, origins(c));
        let _ = writeln!(out, "{}", p.bold(&title));
        let _ = writeln!(out, "{}", p.diff_line(if c.base.is_some() { "--- base" } else { "--- /dev/null" }));
        let _ = writeln!(out, "{}", p.diff_line(if c.head.is_some() { "+++ head" } else { "+++ /dev/null" }));
        for line in patch(c).hunks.lines() {
            let _ = writeln!(out, "{}", p.diff_line(line));
        }
    }
    out
}

fn stat(d: &Diff) -> String {
    let mut out = String::new();
    let mut tags: HashMap<&str, Vec<String>> = HashMap::new();
    for f in &d.findings {
        let rule = f.code.rsplit("::").next().unwrap_or(f.code);
        tags.entry(f.object.as_str()).or_default().push(format!("{}: {rule}", severity_word(f.severity)));
    }
    let rows: Vec<(String, String, String, String, String)> = d
        .changes
        .iter()
        .map(|c| {
            let p = patch(c);
            let lines = match c.kind {
                ChangeKind::Added => format!("+{}", p.added_lines),
                ChangeKind::Removed => format!("-{}", p.removed_lines),
                ChangeKind::Changed => format!("+{} -{}", p.added_lines, p.removed_lines),
            };
            let tag = tags.get(c.key.to_string().as_str()).map(|t| t.join(", ")).unwrap_or_default();
            (format!("{} {}", c.kind.sign(), c.key.kind), c.key.path(), origins(c), lines, tag)
        })
        .collect();
    let w = |f: fn(&(String, String, String, String, String)) -> &String| {
        rows.iter().map(|r| f(r).chars().count()).max().unwrap_or(0)
    };
    let (w0, w1, w2, w3) = (w(|r| &r.0), w(|r| &r.1), w(|r| &r.2), w(|r| &r.3));
    for (kind, path, origin, lines, tag) in &rows {
        let line = format!("{kind:<w0$}  {path:<w1$}  {origin:<w2$}  {lines:<w3$}  {tag}");
        let _ = writeln!(out, "{}", line.trim_end());
    }
    if let Some(c) = changed_cost(d) {
        for t in &c.tenants {
            let _ = writeln!(
                out,
                "cost {}: expected {}, peak {} {} a month",
                t.tenant, t.expected.delta, t.peak.delta, c.currency
            );
        }
    }
    let total = d.summary().total;
    let _ = writeln!(
        out,
        "{}{}; {} unchanged; {}",
        if d.changes.is_empty() { String::new() } else { format!("{}: ", plural(d.changes.len(), "object")) },
        counts_line(&total),
        d.unchanged,
        findings_line(d)
    );
    out
}

/// JSON: the same facts as the other formats, for other tools.
fn json(d: &Diff) -> String {
    #[derive(Serialize)]
    struct JSide<'a> {
        label: &'a str,
        objects: usize,
    }
    #[derive(Serialize)]
    struct JChange<'a> {
        change: ChangeKind,
        #[serde(rename = "apiVersion")]
        api_version: &'a str,
        kind: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        namespace: Option<&'a str>,
        name: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        tenant: Option<&'a str>,
        base_origin: Option<&'a str>,
        head_origin: Option<&'a str>,
        added_lines: usize,
        removed_lines: usize,
        diff: String,
    }
    #[derive(Serialize)]
    struct JDiff<'a> {
        base: JSide<'a>,
        head: JSide<'a>,
        exit_code: i32,
        summary: Summary,
        errors: usize,
        warnings: usize,
        findings: &'a [Finding],
        /// `null` when a side has no cost model; otherwise only the rows that change.
        cost: Option<&'a CostDiff>,
        changes: Vec<JChange<'a>>,
    }
    let out = JDiff {
        base: JSide { label: &d.base_label, objects: d.base_objects },
        head: JSide { label: &d.head_label, objects: d.head_objects },
        exit_code: d.exit_code(),
        summary: d.summary(),
        errors: d.errors(),
        warnings: d.warnings(),
        findings: &d.findings,
        cost: d.cost.as_ref(),
        changes: d
            .changes
            .iter()
            .map(|c| {
                let m = c.manifest();
                let p = patch(c);
                JChange {
                    change: c.kind,
                    api_version: &m.api_version,
                    kind: &m.kind,
                    namespace: m.namespace.as_deref(),
                    name: &m.name,
                    tenant: c.tenant(),
                    base_origin: c.base.map(|m| m.origin.as_str()),
                    head_origin: c.head.map(|m| m.origin.as_str()),
                    added_lines: p.added_lines,
                    removed_lines: p.removed_lines,
                    diff: p.hunks,
                }
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&out).unwrap_or_default();
    s.push('\n');
    s
}

/// Escapes text for HTML contexts (`<summary>`).
fn html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// An inline code span that survives backticks in its content.
fn code(s: &str) -> String {
    if s.contains('`') { format!("`` {s} ``") } else { format!("`{s}`") }
}

/// A fence longer than any run of backticks in `body`, so YAML holding markdown cannot close it early.
fn fence(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for ch in body.chars() {
        run = if ch == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

fn md_table(out: &mut String, title: &str, rows: &std::collections::BTreeMap<String, Counts>) {
    let _ = writeln!(out, "| {title} | added | changed | removed |\n|---|--:|--:|--:|");
    for (name, c) in rows {
        let _ = writeln!(out, "| {} | {} | {} | {} |", code(name), c.added, c.changed, c.removed);
    }
}

fn md_side(label: &str, line: Option<&SpecLine>) -> String {
    match line {
        Some(SpecLine { origin, text: Some(t), .. }) => format!("{label} {} {}", code(origin), code(t)),
        Some(l) => format!("{label} {}", code(&l.origin)),
        None => format!("{label} —"),
    }
}

fn md_finding(f: &Finding) -> String {
    let icon = if f.is_error() { ":x:" } else { ":warning:" };
    let mut s = format!(
        "- {icon} **{}** {}: {}<br>\n  {} · {}<br>\n  **Why:** {}",
        severity_word(f.severity),
        code(f.code),
        f.message,
        md_side("base", f.base.as_ref()),
        md_side("head", f.head.as_ref()),
        f.why
    );
    if let Some(h) = &f.help {
        let _ = write!(s, "<br>\n  **Fix:** {h}");
    }
    s.push('\n');
    s
}

fn md_change(c: &ObjectChange) -> String {
    let p = patch(c);
    let body = format!(
        "--- {}\n+++ {}\n{}",
        if c.base.is_some() { "base" } else { "/dev/null" },
        if c.head.is_some() { "head" } else { "/dev/null" },
        p.hunks
    );
    let f = fence(&body);
    format!(
        "<details><summary><code>{} {}</code> · {} (+{} −{})</summary>\n\n{f}diff\n{}{}{f}\n\n</details>\n",
        c.kind.sign(),
        html(&c.key.to_string()),
        html(&origins(c)),
        p.added_lines,
        p.removed_lines,
        body,
        if body.ends_with('\n') { "" } else { "\n" },
    )
}

/// A pull-request comment: never longer than [`MARKDOWN_LIMIT`]; what does not fit is left out whole, with
/// a note saying how much and where to see it.
fn markdown(d: &Diff) -> String {
    markdown_within(d, MARKDOWN_LIMIT)
}

/// [`markdown`] within `limit` bytes: one environment's section of a comment that holds several
/// (`strata diff --all-envs`), so the whole comment stays under GitHub's limit.
pub fn markdown_within(d: &Diff, limit: usize) -> String {
    let s = d.summary();
    let mut out = String::new();
    let _ = writeln!(out, "{MARKDOWN_MARKER}");
    if d.changes.is_empty() && d.findings.is_empty() {
        let _ = writeln!(
            out,
            "### strata diff: no changes\n\n{} → {}: {} unchanged.",
            code(&d.base_label),
            code(&d.head_label),
            plural(d.unchanged, "object")
        );
        if let Some(c) = changed_cost(d) {
            out.push_str(&cost_markdown(c));
        }
        return out;
    }
    let icon = if d.errors() > 0 {
        ":x:"
    } else if d.warnings() > 0 {
        ":warning:"
    } else {
        ":white_check_mark:"
    };
    let _ = writeln!(out, "### {icon} strata diff: {} · {}\n", counts_line(&s.total), findings_line(d));
    let _ = writeln!(out, "{} → {} · {} unchanged\n", code(&d.base_label), code(&d.head_label), d.unchanged);
    md_table(&mut out, "tenant", &s.by_tenant);
    out.push_str("\n<details><summary>By kind</summary>\n\n");
    md_table(&mut out, "kind", &s.by_kind);
    out.push_str("\n</details>\n");

    // What must fit after the findings: the changes heading and a cut note.
    const RESERVE: usize = 600;
    if !d.findings.is_empty() {
        let _ = writeln!(out, "\n#### Safety findings\n");
        for (i, f) in d.findings.iter().enumerate() {
            let item = md_finding(f);
            if out.len() + item.len() + RESERVE > limit {
                let _ = writeln!(
                    out,
                    "\n> [!NOTE]\n> {} more not shown: the comment would exceed GitHub's size limit. \
                     Every finding is in the job log (`strata diff --format unified`).",
                    plural(d.findings.len() - i, "finding")
                );
                return out;
            }
            out.push_str(&item);
        }
    }
    if let Some(c) = changed_cost(d) {
        out.push_str(&cost_markdown(c));
    }
    let _ = writeln!(out, "\n#### Changes\n");
    for (i, c) in d.changes.iter().enumerate() {
        let block = md_change(c);
        if out.len() + block.len() + RESERVE > limit {
            let _ = writeln!(
                out,
                "> [!NOTE]\n> The diffs of {} are not shown: the comment would exceed GitHub's size limit. \
                 The full diff is in the job log (`strata diff --format unified`).",
                plural(d.changes.len() - i, "more object")
            );
            break;
        }
        out.push_str(&block);
        out.push('\n');
    }
    out
}

/// The cost section, when the change moves some figure.
fn changed_cost<'d>(d: &'d Diff<'_>) -> Option<&'d CostDiff> {
    d.cost.as_ref().filter(|c| !c.is_empty())
}

fn cost_cells(r: &Row) -> [String; 7] {
    let arrow = |c: &crate::diff::cost::Change| format!("{} → {}", c.base, c.head);
    [
        r.tenant.clone(),
        r.workload.clone().unwrap_or_default(),
        arrow(&r.expected),
        r.expected.delta.to_string(),
        arrow(&r.peak),
        r.peak.delta.to_string(),
        // What a run-hour costs says how a job whose month is unknown changes.
        r.per_run_hour.as_ref().map(arrow).unwrap_or_default(),
    ]
}

fn cost_heading(c: &CostDiff) -> String {
    format!("cost in {}, {} (requests × prices, as `strata cost` prints them)", c.period, c.currency)
}

fn cost_text(out: &mut String, c: &CostDiff) {
    let _ = writeln!(out, "{}:", cost_heading(c));
    let mut rows: Vec<[String; 7]> = vec![[
        "tenant".into(),
        "workload".into(),
        "expected".into(),
        "Δ".into(),
        "peak".into(),
        "Δ".into(),
        "per run-hour".into(),
    ]];
    rows.extend(c.tenants.iter().chain(&c.workloads).map(cost_cells));
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..7).map(width).collect();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let pad = " ".repeat(widths[i] - cell.chars().count());
                // Names left, figures right.
                if i < 2 { format!("{cell}{pad}") } else { format!("{pad}{cell}") }
            })
            .collect();
        let _ = writeln!(out, "  {}", line.join("  ").trim_end());
    }
}

/// Workload rows a comment shows at most; `strata diff -o json` has them all.
const MARKDOWN_COST_ROWS: usize = 40;

fn cost_markdown(c: &CostDiff) -> String {
    let mut s = format!(
        "\n#### Cost\n\nA month's cost in {} over {}: requests × prices, as `strata cost` prints them (a lower bound \
         of the bill).\n\n",
        c.currency, c.period
    );
    s.push_str("| tenant | workload | expected | Δ | peak | Δ | per run-hour |\n|---|---|--:|--:|--:|--:|--:|\n");
    let cell = |t: &str| if t.is_empty() { String::new() } else { code(t) };
    let rows = c.tenants.iter().chain(c.workloads.iter().take(MARKDOWN_COST_ROWS));
    for r in rows {
        let [t, w, e, ed, p, pd, h] = cost_cells(r);
        let _ = writeln!(s, "| {} | {} | {e} | **{ed}** | {p} | {pd} | {h} |", cell(&t), cell(&w));
    }
    if c.workloads.len() > MARKDOWN_COST_ROWS {
        let _ = writeln!(
            s,
            "\n{} more not shown; `strata diff -o json` lists every one.",
            plural(c.workloads.len() - MARKDOWN_COST_ROWS, "workload")
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::tests::set;
    use crate::diff::{Side, compare};
    use serde_json::json;

    fn cm(name: &str, data: &str) -> serde_json::Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "a"},
               "data": {"x": data}})
    }

    #[test]
    fn patches_count_lines_and_omit_the_origin_annotation() {
        let b = set(vec![(cm("c", "1"), Some("a"), "a.kdl:1")]);
        let h = set(vec![(cm("c", "2"), Some("a"), "a.kdl:4")]);
        let d = compare(&Side::new("base", &b), &Side::new("head", &h));
        let p = patch(&d.changes[0]);
        assert_eq!((p.added_lines, p.removed_lines), (1, 1));
        assert!(p.hunks.contains("-  x: \"1\"\n+  x: \"2\"\n"), "{}", p.hunks);
        assert!(!p.hunks.contains("strata.dev/source"));
        assert_eq!(origins(&d.changes[0]), "a.kdl:1 → a.kdl:4");
    }

    #[test]
    fn markdown_fences_outlast_backticks_in_content() {
        assert_eq!(fence("a ``` b"), "````");
        assert_eq!(fence("plain"), "```");
        assert_eq!(code("a`b"), "`` a`b ``");
    }

    #[test]
    fn markdown_is_cut_cleanly_under_the_limit() {
        let big = "line\n".repeat(400);
        let base = set((0..200).map(|i| (cm(&format!("c{i:03}"), &big), Some("a"), "a.kdl:1")).collect());
        let head = set(vec![]);
        let d = compare(&Side::new("base", &base), &Side::new("head", &head));
        let md = markdown(&d);
        assert!(md.len() <= MARKDOWN_LIMIT, "{}", md.len());
        assert!(md.starts_with(MARKDOWN_MARKER));
        assert!(md.contains("more objects are not shown"), "no cut note");
        // Never cut inside a block: every opened <details> is closed.
        assert_eq!(md.matches("<details>").count(), md.matches("</details>").count());
        let shown = md.matches("<summary><code>- ConfigMap").count();
        assert!(shown > 0 && shown < 200, "{shown}");
        assert!(md.contains(&format!("The diffs of {} more objects", 200 - shown)));
    }

    #[test]
    fn stat_has_one_line_per_object_and_a_total() {
        let b = set(vec![(cm("c", "1"), Some("a"), "a.kdl:1"), (cm("d", "1"), Some("a"), "a.kdl:2")]);
        let h = set(vec![(cm("c", "2"), Some("a"), "a.kdl:1"), (cm("e", "1"), Some("a"), "a.kdl:3")]);
        let d = compare(&Side::new("base", &b), &Side::new("head", &h));
        let s = stat(&d);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 4, "{s}");
        assert!(lines[0].starts_with("~ ConfigMap  a/c  a.kdl:1  +1 -1"), "{s}");
        assert_eq!(lines[3], "3 objects: 1 changed, 1 added, 1 removed; 0 unchanged; no safety findings");
    }
}
