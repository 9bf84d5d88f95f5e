//! strata's diagnostics as an editor shows them: every environment's findings, grouped by the file their
//! primary label points into, at UTF-16 positions. One finding shared by every environment shows once, as
//! `strata check` prints it once; one that only some environments have names them, because the same line
//! can be right in staging and wrong in production.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Range, Url,
};

use crate::Compilation;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lsp::convert::LineIndex;
use crate::source::{SourceMap, Span};

/// What the editor is sent, per file: its diagnostics in source order.
pub type Published = BTreeMap<PathBuf, Vec<lsp_types::Diagnostic>>;

/// Every finding of `compilations` (one per environment), by file. Notes (what strata decided on the
/// user's behalf, `strata check --explain`) are left to hover, as `check` leaves them out by default.
/// `root` is where a finding without a place (an unreadable root spec) is shown. `docs` is the address of
/// docs/diagnostics.md, when the client was told one: each code then links to its explanation.
///
/// The compiler names the environment in each environment's findings (`environment `prod`: ...`). A finding
/// every environment has is shown once without the name; one that only some have keeps it.
pub fn publish(compilations: &[Compilation], root: &Path, docs: Option<&Url>) -> Published {
    let mut out = Published::new();
    let everywhere = shared_by_all(compilations);
    let mut seen: Vec<Key<'_>> = Vec::new();
    for c in compilations {
        for d in c.diagnostics.sorted() {
            let k = key(c, d);
            if d.severity == Severity::Note || seen.contains(&k) {
                continue;
            }
            let shown = if compilations.len() > 1 && everywhere.contains(&k) {
                Diagnostic { message: k.1.to_string(), ..d.clone() }
            } else {
                d.clone()
            };
            seen.push(k);
            let (path, diagnostic) = convert(&shown, &c.sources, root, docs);
            out.entry(path).or_default().push(diagnostic);
        }
    }
    out
}

/// A finding without its environment: what makes two environments' findings the same one.
type Key<'d> = (&'static str, &'d str, Option<Span>);

fn key<'d>(c: &Compilation, d: &'d Diagnostic) -> Key<'d> {
    let message =
        c.environment().and_then(|env| d.message.strip_prefix(&format!("environment `{env}`: "))).unwrap_or(&d.message);
    (d.code, message, d.primary.as_ref().map(|l| l.span))
}

/// The findings every compilation has.
fn shared_by_all(compilations: &[Compilation]) -> Vec<Key<'_>> {
    let mut counts: HashMap<Key<'_>, usize> = HashMap::new();
    for c in compilations {
        let mut once: Vec<Key<'_>> = c.diagnostics.iter().map(|d| key(c, d)).collect();
        once.sort();
        once.dedup();
        for k in once {
            *counts.entry(k).or_default() += 1;
        }
    }
    counts.into_iter().filter(|(_, n)| *n == compilations.len()).map(|(k, _)| k).collect()
}

/// One diagnostic, with the file it belongs to.
pub fn convert(
    d: &Diagnostic,
    sources: &SourceMap,
    root: &Path,
    docs: Option<&Url>,
) -> (PathBuf, lsp_types::Diagnostic) {
    let (path, range) = match &d.primary {
        Some(l) => place(sources, l.span),
        None => (root.to_path_buf(), Range::default()),
    };
    let mut message = d.message.clone();
    if let Some(label) = d.primary.as_ref().filter(|l| !l.message.is_empty()) {
        message.push_str(&format!(": {}", label.message));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    for note in &d.notes {
        message.push_str(&format!("\nnote: {note}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .filter_map(|l| {
            let (p, range) = place(sources, l.span);
            let uri = Url::from_file_path(&p).ok()?;
            Some(DiagnosticRelatedInformation { location: Location { uri, range }, message: l.message.clone() })
        })
        .collect();
    let diagnostic = lsp_types::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Note => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        code_description: docs
            .filter(|_| crate::codes::lookup(d.code).is_some())
            .and_then(|base| base.join(&format!("#{}", anchor(d.code))).ok())
            .map(|href| CodeDescription { href }),
        source: Some("strata".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    };
    (path, diagnostic)
}

/// The file and editor range of a span.
pub fn place(sources: &SourceMap, span: Span) -> (PathBuf, Range) {
    let file = sources.get(span.file);
    let ix = LineIndex::new(&file.text);
    (file.path.clone(), ix.range(span.start as usize, span.end as usize))
}

/// The heading anchor docs/diagnostics.md gets for a code (`### \`strata::kafka::replicas\``), as GitHub and
/// most Markdown renderers make it: lower case, punctuation but `-` and `_` dropped.
fn anchor(code: &str) -> String {
    code.chars().filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_').collect::<String>().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::MemFs;

    fn compile(files: &[(&str, &str)]) -> Vec<Compilation> {
        let mut fs = MemFs::new();
        for (p, t) in files {
            fs = fs.with(format!("/spec/{p}"), *t);
        }
        crate::compile_all(&fs, Path::new("/spec/platform.kdl"), crate::Stage::Check)
    }

    const KAFKA: &str = "platform \"p\"\ntenant \"a\"\nkafka \"main\" namespace=\"kafka\" brokers=3\n";

    #[test]
    fn a_finding_lands_in_its_file_with_code_related_information_and_help() {
        let spec = format!("{KAFKA}// é𝄞\ntopic \"é.t\" tenant=\"a\" replicas=5\n");
        let cs = compile(&[("platform.kdl", &spec)]);
        let docs = Url::parse("https://example.invalid/docs/diagnostics.md").unwrap();
        let out = publish(&cs, Path::new("/spec/platform.kdl"), Some(&docs));
        let ds = &out[Path::new("/spec/platform.kdl")];
        let d = ds.iter().find(|d| d.code == Some(NumberOrString::String("strata::kafka::replicas".into())));
        let d = d.unwrap_or_else(|| panic!("no replicas finding in {ds:#?}"));
        let line = spec.lines().position(|l| l.starts_with("topic")).unwrap() as u32;
        let col = spec.lines().nth(line as usize).unwrap().find("replicas").unwrap() as u32;
        // `é` before the property is two bytes but one UTF-16 unit.
        assert_eq!(d.range.start, lsp_types::Position::new(line, col - 1), "{d:#?}");
        assert_eq!(d.severity, Some(DiagnosticSeverity::ERROR));
        assert!(d.related_information.as_ref().is_some_and(|r| !r.is_empty()), "{d:#?}");
        assert!(d.message.contains("\nhelp: "), "{}", d.message);
        let href = d.code_description.as_ref().map(|c| c.href.as_str());
        assert_eq!(href, Some("https://example.invalid/docs/diagnostics.md#stratakafkareplicas"));
    }

    #[test]
    fn a_finding_of_some_environments_only_names_them_and_a_shared_one_shows_once() {
        let spec = format!(
            "{KAFKA}topic \"t\" tenant=\"a\" replicas=3\ntenant \"a\"\n\
             environment \"dev\"\nenvironment \"prod\" {{\n    kafka \"main\" brokers=1\n}}\n"
        );
        let cs = compile(&[("platform.kdl", &spec)]);
        assert_eq!(cs.len(), 2);
        let out = publish(&cs, Path::new("/spec/platform.kdl"), None);
        let all: Vec<&lsp_types::Diagnostic> = out.values().flatten().collect();
        let code = |d: &&&lsp_types::Diagnostic, c: &str| d.code == Some(NumberOrString::String(c.into()));
        let duplicate: Vec<_> = all.iter().filter(|d| code(d, "strata::tenant::duplicate")).collect();
        assert_eq!(duplicate.len(), 1, "{all:#?}");
        assert!(!duplicate[0].message.starts_with("environment"), "{all:#?}");
        let replicas: Vec<_> = all.iter().filter(|d| code(d, "strata::kafka::replicas")).collect();
        assert_eq!(replicas.len(), 1, "{all:#?}");
        assert!(replicas[0].message.starts_with("environment `prod`: "), "{all:#?}");
    }
}
