//! Compiler diagnostics: one typed error value for every problem strata finds in a spec, collected (never
//! thrown one at a time) so a single run reports everything, and rendered only at the edge as rustc-style
//! text, JSON, or GitHub Actions annotations.

use std::fmt;
use std::path::Path;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceSpan};
use serde::Serialize;

use crate::source::{SourceFile, SourceMap, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    /// Explains a decision strata took on the user's behalf; shown with `--explain`.
    Note,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One finding. `code` is stable (`strata::<domain>::<rule>`) so users can search for it and tools can
/// match on it; the message and help may be reworded between releases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    /// Where the problem is. `None` only for problems with no place in a file (a missing root spec).
    pub primary: Option<Label>,
    /// The other side of a conflict (the first definition of a duplicate, the included file, ...).
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    pub fn note(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Note, code, message)
    }

    #[must_use]
    pub fn at(mut self, span: Span, label: impl Into<String>) -> Self {
        self.primary = Some(Label { span, message: label.into() });
        self
    }

    #[must_use]
    pub fn also(mut self, span: Span, label: impl Into<String>) -> Self {
        self.secondary.push(Label { span, message: label.into() });
        self
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn note_line(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Everything one run found, in the order it was found; [`Diagnostics::sorted`] orders them by place.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("{} error(s) in the spec", self.error_count())]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.iter().filter(|d| d.severity == Severity::Warning).count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Diagnostic> {
        self.items.iter_mut()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// The diagnostics not in `seen`, which gains them: one report over several environments shows a
    /// problem they share (a syntax error, a bad environment declaration) once.
    pub fn unseen(&self, seen: &mut Vec<Diagnostic>) -> Diagnostics {
        let mut out = Diagnostics::new();
        for d in &self.items {
            if !seen.contains(d) {
                seen.push(d.clone());
                out.push(d.clone());
            }
        }
        out
    }

    /// Ordered by file, then position, then code: stable output for goldens and CI logs.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut v: Vec<&Diagnostic> = self.items.iter().collect();
        v.sort_by(|a, b| {
            let ka = a.primary.as_ref().map(|l| l.span);
            let kb = b.primary.as_ref().map(|l| l.span);
            ka.cmp(&kb).then(a.severity.cmp(&b.severity)).then(a.code.cmp(b.code))
        });
        v
    }

    /// Drops notes unless asked for, so ordinary output only shows what needs attention.
    pub fn retain_notes(&mut self, keep: bool) {
        if !keep {
            self.items.retain(|d| d.severity != Severity::Note);
        }
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Self {
        Diagnostics { items: iter.into_iter().collect() }
    }
}

/// Output formats for `strata check` (and the diagnostics part of every other command).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiagnosticFormat {
    /// rustc-style text with the source underlined.
    Human,
    /// One JSON document with every finding, for other tools.
    Json,
    /// GitHub Actions workflow commands (`::error file=...`), shown inline on the pull request.
    Github,
}

/// Renders diagnostics at the edge of the program (CLI, tests); the library never prints.
pub struct Renderer<'a> {
    pub sources: &'a SourceMap,
    pub color: bool,
    pub width: usize,
}

impl<'a> Renderer<'a> {
    pub fn plain(sources: &'a SourceMap) -> Self {
        Renderer { sources, color: false, width: 110 }
    }

    pub fn render(&self, diags: &Diagnostics, format: DiagnosticFormat) -> String {
        match format {
            DiagnosticFormat::Human => self.human(diags),
            DiagnosticFormat::Json => self.json(diags),
            DiagnosticFormat::Github => self.github(diags),
        }
    }

    pub fn human(&self, diags: &Diagnostics) -> String {
        let theme = if self.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
        let handler =
            GraphicalReportHandler::new_themed(theme).with_width(self.width).with_links(false).with_urls(false);
        let mut out = String::new();
        for d in diags.sorted() {
            let report = MietteView::new(d, self.sources);
            // Rendering into a String cannot fail except on a formatter bug; keep the plain line then.
            if handler.render_report(&mut out, &report).is_err() {
                out.push_str(&format!("{}: {}\n", d.code, d.message));
            }
            out.push('\n');
        }
        let (e, w) = (diags.error_count(), diags.warning_count());
        if e + w > 0 {
            out.push_str(&format!("{}\n", summary_line(e, w)));
        }
        out
    }

    pub fn json(&self, diags: &'a Diagnostics) -> String {
        #[derive(Serialize)]
        struct JLabel {
            file: String,
            line: usize,
            column: usize,
            end_line: usize,
            end_column: usize,
            message: String,
        }
        #[derive(Serialize)]
        struct JDiag<'x> {
            severity: Severity,
            code: &'x str,
            message: String,
            primary: Option<JLabel>,
            secondary: Vec<JLabel>,
            help: Option<String>,
            notes: Vec<String>,
        }
        #[derive(Serialize)]
        struct JOut<'x> {
            errors: usize,
            warnings: usize,
            diagnostics: Vec<JDiag<'x>>,
        }
        // Escaped like the human form: a tool may show these strings on a terminal.
        let label = |l: &'a Label| -> JLabel {
            let f = self.sources.get(l.span.file);
            let (line, column) = f.line_col(l.span.start);
            let (end_line, end_column) = f.line_col(l.span.end);
            JLabel {
                file: escape_controls(&f.name),
                line,
                column,
                end_line,
                end_column,
                message: escape_controls(&l.message),
            }
        };
        let out = JOut {
            errors: diags.error_count(),
            warnings: diags.warning_count(),
            diagnostics: diags
                .sorted()
                .into_iter()
                .map(|d| JDiag {
                    severity: d.severity,
                    code: d.code,
                    message: escape_controls(&d.message),
                    primary: d.primary.as_ref().map(label),
                    secondary: d.secondary.iter().map(label).collect(),
                    help: d.help.as_deref().map(escape_controls),
                    notes: d.notes.iter().map(|n| escape_controls(n)).collect(),
                })
                .collect(),
        };
        let mut s = serde_json::to_string_pretty(&out).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn github(&self, diags: &Diagnostics) -> String {
        let mut out = String::new();
        for d in diags.sorted() {
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "notice",
            };
            let mut msg = format!("{} [{}]", escape_controls(&d.message), d.code);
            if let Some(h) = &d.help {
                msg.push_str(&format!("\nhelp: {}", escape_controls(h)));
            }
            match &d.primary {
                Some(l) => {
                    let f = self.sources.get(l.span.file);
                    let (line, col) = f.line_col(l.span.start);
                    let (end_line, end_col) = f.line_col(l.span.end);
                    out.push_str(&format!(
                        "::{level} file={},line={line},col={col},endLine={end_line},endColumn={end_col},title={}::{}\n",
                        gh_escape_prop(&escape_controls(&annotation_path(f))),
                        gh_escape_prop(d.code),
                        gh_escape_data(&msg)
                    ));
                }
                None => {
                    out.push_str(&format!("::{level} title={}::{}\n", gh_escape_prop(d.code), gh_escape_data(&msg)))
                }
            }
        }
        out
    }
}

/// The path GitHub attaches an annotation to: relative to the repository root (the nearest folder above
/// the file with a `.git` entry, as git discovers it), else to the working directory, else the display name.
/// Display names are relative to the spec's folder, which is not the repository root when the spec lives
/// in a subfolder, and GitHub then attaches the annotation to no file.
pub fn annotation_path(f: &crate::source::SourceFile) -> String {
    let Ok(abs) = std::fs::canonicalize(&f.path) else { return f.name.clone() };
    let root = abs.ancestors().skip(1).find(|d| d.join(".git").exists()).map(Path::to_path_buf);
    let base = root.or_else(|| std::env::current_dir().ok().and_then(|d| std::fs::canonicalize(d).ok()));
    match base.as_deref().and_then(|b| abs.strip_prefix(b).ok()) {
        Some(rel) => rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"),
        None => f.name.clone(),
    }
}

pub fn summary_line(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, w: &str| if n == 1 { format!("{n} {w}") } else { format!("{n} {w}s") };
    match (errors, warnings) {
        (0, w) => format!("strata: {}", plural(w, "warning")),
        (e, 0) => format!("strata: {}", plural(e, "error")),
        (e, w) => format!("strata: {}, {}", plural(e, "error"), plural(w, "warning")),
    }
}

// GitHub's workflow-command escaping (actions/toolkit `command.ts`).
fn gh_escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn gh_escape_prop(s: &str) -> String {
    gh_escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Adapts a [`Diagnostic`] to miette for rendering: miette shows one source file per report, so labels in
/// other files (the first definition of a tenant duplicated across files) become related reports.
struct MietteView<'a> {
    diag: &'a Diagnostic,
    code: String,
    source: Option<Snippet>,
    labels: Vec<LabeledSpan>,
    related: Vec<MietteView<'a>>,
    severity: miette::Severity,
    message: String,
    help: Option<String>,
}

impl<'a> MietteView<'a> {
    fn new(diag: &'a Diagnostic, sources: &'a SourceMap) -> Self {
        let severity = match diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        };
        let mut help = diag.help.as_deref().map(escape_controls);
        for n in &diag.notes {
            let h = help.get_or_insert_with(String::new);
            if !h.is_empty() {
                h.push('\n');
            }
            h.push_str("note: ");
            h.push_str(&escape_controls(n));
        }
        let label_text = |l: &Label| Some(escape_controls(&l.message)).filter(|m| !m.is_empty());
        let Some(primary) = &diag.primary else {
            return MietteView {
                diag,
                code: diag.code.to_string(),
                source: None,
                labels: Vec::new(),
                related: Vec::new(),
                severity,
                message: escape_controls(&diag.message),
                help,
            };
        };
        let file = sources.get(primary.span.file);
        let mut same_file = vec![primary];
        let mut related = Vec::new();
        for l in &diag.secondary {
            if l.span.file == primary.span.file {
                same_file.push(l);
            } else {
                let other = sources.get(l.span.file);
                let (snippet, spans) = Snippet::new(other, &[l.span]);
                related.push(MietteView {
                    diag,
                    code: String::new(),
                    source: Some(snippet),
                    labels: vec![LabeledSpan::new_primary_with_span(label_text(l), spans[0])],
                    related: Vec::new(),
                    severity: miette::Severity::Advice,
                    message: format!("{} (in {})", escape_controls(&l.message), escape_controls(&other.name)),
                    help: None,
                });
            }
        }
        // An opaque file (not KDL) shows the primary label's line only: never more of what it holds.
        if file.opaque {
            same_file.truncate(1);
        }
        let spans: Vec<Span> = same_file.iter().map(|l| l.span).collect();
        let (snippet, mapped) = Snippet::new(file, &spans);
        let labels = same_file
            .iter()
            .zip(mapped)
            .enumerate()
            .map(|(i, (l, span))| {
                if i == 0 {
                    LabeledSpan::new_primary_with_span(label_text(l), span)
                } else {
                    LabeledSpan::new_with_span(label_text(l), span)
                }
            })
            .collect();
        MietteView {
            diag,
            code: diag.code.to_string(),
            source: Some(snippet),
            labels,
            related,
            severity,
            message: escape_controls(&diag.message),
            help,
        }
    }
}

/// Characters that act on a terminal instead of showing: C0 and C1 controls (ESC starts colour, cursor and
/// title sequences; U+009B is a one-byte CSI), DEL, the Unicode bidi overrides and isolates (which reorder
/// what is shown, CVE-2021-42574), and the line and paragraph separators. Newlines and tabs are layout.
fn is_terminal_control(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `s` with every terminal control character written as a visible escape (`\u{1b}`): spec strings reach
/// messages, labels, help and snippets, and a spec must not be able to drive the reader's terminal.
pub fn escape_controls(s: &str) -> String {
    if !s.chars().any(is_terminal_control) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_terminal_control(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Lines longer than this (in characters) are shown as a window around their labels.
const MAX_SHOWN_LINE: usize = 400;
/// Characters kept on each side of the labels in a windowed line.
const WINDOW_MARGIN: usize = 60;

/// What miette is given to render: only the lines a diagnostic shows (its labels' lines and one line of
/// context each side), with terminal controls escaped, every KDL line end as `\n`, and very long lines cut
/// to a window around the labels (miette's renderer panics past column 65,535 and would print the whole
/// line). Line numbers and the header's column are those of the original file.
#[derive(Debug)]
struct Snippet {
    name: String,
    text: String,
    /// 0-based line of the original file where `text` starts.
    first_line: usize,
    /// The primary label's offset in `text`, and its 0-based column (in characters) in the original file.
    primary: (usize, usize),
}

impl Snippet {
    /// The snippet for labels `spans` (all in `file`; the first is the primary) and the spans mapped into it.
    fn new(file: &SourceFile, spans: &[Span]) -> (Snippet, Vec<SourceSpan>) {
        let text: &str = &file.text;
        let context = if file.opaque { 0 } else { 1 };
        // Labels clipped to the file and to character boundaries (a span from a byte-level rule may end
        // inside a multi-byte character), and in an opaque file to their first line.
        let clipped: Vec<(usize, usize)> = spans
            .iter()
            .map(|s| {
                let start = text.floor_char_boundary((s.start as usize).min(text.len()));
                let mut end = text.ceil_char_boundary((s.end as usize).clamp(start, text.len()));
                if file.opaque {
                    end = end.min(file.line_range(file.line_of(start as u32)).1.max(start));
                }
                (start, end)
            })
            .collect();
        let line_of = |o: usize| file.line_of(o as u32);
        let first = clipped.iter().map(|(s, _)| line_of(*s)).min().unwrap_or(0).saturating_sub(context);
        let last = clipped
            .iter()
            .map(|(s, e)| line_of(e.saturating_sub(1).max(*s)))
            .max()
            .unwrap_or(0)
            .saturating_add(context)
            .min(file.line_count().saturating_sub(1));

        // (original offset, snippet offset) of every character kept, in order.
        let mut map: Vec<(usize, usize)> = Vec::new();
        let mut out = String::new();
        for line in first..=last {
            let (ls, le) = file.line_range(line);
            let (ws, we) = window(text, ls, le, &clipped);
            if ws > ls {
                out.push('…');
            }
            for (i, c) in text[ws..we].char_indices() {
                map.push((ws + i, out.len()));
                if is_terminal_control(c) || c == '\u{85}' || c == '\u{c}' {
                    out.push_str(&format!("\\u{{{:x}}}", c as u32));
                } else {
                    out.push(c);
                }
            }
            if we < le {
                out.push('…');
            }
            // Every line end the file has, including the last shown line's: miette shows an empty context
            // line only when a line end follows it.
            if line + 1 < file.line_count() {
                map.push((le, out.len()));
                out.push('\n');
            }
        }
        let end_offset = out.len();
        let to_snippet = |o: usize| {
            let i = map.partition_point(|(orig, _)| *orig < o);
            map.get(i).map_or(end_offset, |(_, s)| *s)
        };
        let mapped: Vec<SourceSpan> = clipped
            .iter()
            .map(|(s, e)| {
                let (a, b) = (to_snippet(*s), to_snippet(*e));
                SourceSpan::new(a.into(), b.saturating_sub(a))
            })
            .collect();
        let primary_col = clipped.first().map_or(0, |(s, _)| file.line_col(*s as u32).1 - 1);
        let primary_at = mapped.first().map_or(0, |s| s.offset());
        let snippet = Snippet {
            name: escape_controls(&file.name),
            text: out,
            first_line: first,
            primary: (primary_at, primary_col),
        };
        (snippet, mapped)
    }
}

/// The part of line `ls..le` to show: the whole line when it is short, else the labels on it with a margin
/// (or its start, for a context line). Returned offsets lie on character boundaries.
fn window(text: &str, ls: usize, le: usize, labels: &[(usize, usize)]) -> (usize, usize) {
    let line = &text[ls..le];
    if line.len() <= MAX_SHOWN_LINE || line.chars().count() <= MAX_SHOWN_LINE {
        return (ls, le);
    }
    let on_line: Vec<(usize, usize)> =
        labels.iter().filter(|(s, e)| *s <= le && *e >= ls).map(|(s, e)| ((*s).max(ls), (*e).min(le))).collect();
    let (from, to) = match (on_line.iter().map(|l| l.0).min(), on_line.iter().map(|l| l.1).max()) {
        (Some(a), Some(b)) => (a, b),
        _ => (ls, ls),
    };
    // Characters, not bytes: step back and forth over whole characters.
    let back = |mut o: usize, n: usize| {
        for _ in 0..n {
            match text[ls..o].chars().next_back() {
                Some(c) => o -= c.len_utf8(),
                None => break,
            }
        }
        o
    };
    let fwd = |mut o: usize, n: usize| {
        for _ in 0..n {
            match text[o..le].chars().next() {
                Some(c) => o += c.len_utf8(),
                None => break,
            }
        }
        o
    };
    let start = back(from, WINDOW_MARGIN);
    // A label longer than the window shows its start.
    let to = to.min(fwd(from, MAX_SHOWN_LINE - 2 * WINDOW_MARGIN));
    (start, fwd(to, WINDOW_MARGIN))
}

impl miette::SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self.text.as_str().read_span(span, context_lines_before, context_lines_after)?;
        // The header's `line:col` comes from the primary label read without context: report the original
        // file's column (in characters, like every other location strata prints).
        let column =
            if context_lines_before == 0 && span.offset() == self.primary.0 { self.primary.1 } else { inner.column() };
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            column,
            // miette counts lines from the start of the source; it merges nearby labels into one excerpt by
            // comparing these counts, so they stay in the original file's terms.
            inner.line_count() + self.first_line,
        )))
    }
}

impl fmt::Debug for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diag, f)
    }
}

impl fmt::Display for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MietteView<'_> {}

impl miette::Diagnostic for MietteView<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty()).then(|| Box::new(self.labels.iter().cloned()) as Box<dyn Iterator<Item = _>>)
    }
    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        (!self.related.is_empty()).then(|| {
            Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic))
                as Box<dyn Iterator<Item = &dyn miette::Diagnostic>>
        })
    }
}

/// "did you mean": the closest known word, if it is close enough to be a plausible typo.
pub fn did_you_mean<'k>(word: &str, known: impl IntoIterator<Item = &'k str>) -> Option<&'k str> {
    known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(word, k), k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("tennant", ["tenant", "topic"]), Some("tenant"));
        assert_eq!(did_you_mean("zzz", ["tenant", "topic"]), None);
    }

    #[test]
    fn github_escapes_newlines_and_commas() {
        assert_eq!(gh_escape_data("a\nb%"), "a%0Ab%25");
        assert_eq!(gh_escape_prop("a,b:c"), "a%2Cb%3Ac");
    }
}
