//! Compiler diagnostics: one typed error value for every problem strata finds in a spec, collected (never
//! thrown one at a time) so a single run reports everything, and rendered only at the edge as rustc-style
//! text, JSON, or GitHub Actions annotations.

use std::fmt;
use std::path::Path;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;

use crate::source::{SourceMap, Span};

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
        struct JLabel<'x> {
            file: &'x str,
            line: usize,
            column: usize,
            end_line: usize,
            end_column: usize,
            message: &'x str,
        }
        #[derive(Serialize)]
        struct JDiag<'x> {
            severity: Severity,
            code: &'x str,
            message: &'x str,
            primary: Option<JLabel<'x>>,
            secondary: Vec<JLabel<'x>>,
            help: Option<&'x str>,
            notes: &'x [String],
        }
        #[derive(Serialize)]
        struct JOut<'x> {
            errors: usize,
            warnings: usize,
            diagnostics: Vec<JDiag<'x>>,
        }
        let label = |l: &'a Label| -> JLabel<'a> {
            let f = self.sources.get(l.span.file);
            let (line, column) = f.line_col(l.span.start);
            let (end_line, end_column) = f.line_col(l.span.end);
            JLabel { file: &f.name, line, column, end_line, end_column, message: &l.message }
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
                    message: &d.message,
                    primary: d.primary.as_ref().map(label),
                    secondary: d.secondary.iter().map(label).collect(),
                    help: d.help.as_deref(),
                    notes: &d.notes,
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
            let mut msg = format!("{} [{}]", d.message, d.code);
            if let Some(h) = &d.help {
                msg.push_str(&format!("\nhelp: {h}"));
            }
            match &d.primary {
                Some(l) => {
                    let f = self.sources.get(l.span.file);
                    let (line, col) = f.line_col(l.span.start);
                    let (end_line, end_col) = f.line_col(l.span.end);
                    out.push_str(&format!(
                        "::{level} file={},line={line},col={col},endLine={end_line},endColumn={end_col},title={}::{}\n",
                        gh_escape_prop(&annotation_path(f)),
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
    source: Option<NamedSource<std::sync::Arc<str>>>,
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
        let mut help = diag.help.clone();
        for n in &diag.notes {
            let h = help.get_or_insert_with(String::new);
            if !h.is_empty() {
                h.push('\n');
            }
            h.push_str("note: ");
            h.push_str(n);
        }
        let Some(primary) = &diag.primary else {
            return MietteView {
                diag,
                code: diag.code.to_string(),
                source: None,
                labels: Vec::new(),
                related: Vec::new(),
                severity,
                message: diag.message.clone(),
                help,
            };
        };
        let file = sources.get(primary.span.file);
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            Some(primary.message.clone()).filter(|m| !m.is_empty()),
            to_source_span(primary.span),
        )];
        let mut related = Vec::new();
        for l in &diag.secondary {
            if l.span.file == primary.span.file {
                labels.push(LabeledSpan::new_with_span(
                    Some(l.message.clone()).filter(|m| !m.is_empty()),
                    to_source_span(l.span),
                ));
            } else {
                let other = sources.get(l.span.file);
                related.push(MietteView {
                    diag,
                    code: String::new(),
                    source: Some(NamedSource::new(&other.name, other.text.clone())),
                    labels: vec![LabeledSpan::new_primary_with_span(
                        Some(l.message.clone()).filter(|m| !m.is_empty()),
                        to_source_span(l.span),
                    )],
                    related: Vec::new(),
                    severity: miette::Severity::Advice,
                    message: format!("{} (in {})", l.message, other.name),
                    help: None,
                });
            }
        }
        MietteView {
            diag,
            code: diag.code.to_string(),
            source: Some(NamedSource::new(&file.name, file.text.clone())),
            labels,
            related,
            severity,
            message: diag.message.clone(),
            help,
        }
    }
}

fn to_source_span(s: Span) -> SourceSpan {
    SourceSpan::new((s.start as usize).into(), s.len())
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
