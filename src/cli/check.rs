//! `strata check`: every diagnostic for the spec, nothing written. The fast inner loop on a laptop and
//! the first step in CI.

use crate::cli::SpecArg;
use crate::cli::{CliError, after_help, out, report_diagnostics};
use crate::diagnostic::{DiagnosticFormat, summary_line};
use crate::exit::Code;

const EXAMPLES: &str = "\
Examples:
  strata check                          # ./platform.kdl and everything it includes
  strata check platforms/prod.kdl
  strata check --diagnostics github     # annotations on the pull request in GitHub Actions
  strata check --diagnostics json | jq '.diagnostics[].code'
  strata check --explain                # also show the decisions strata made for you
  strata explain strata::kafka::replicas   # what a diagnostic's rule is, and how to fix it";

pub(crate) const EXITS: &[(Code, &str)] = &[
    (Code::Ok, "the spec is valid (warnings allowed)"),
    (Code::Invalid, "spec errors (or warnings, with --deny-warnings), an unreadable spec, bad flags"),
];

/// Check a spec and report every problem, without writing anything.
#[derive(Debug, clap::Args)]
#[command(after_help = after_help(EXAMPLES, EXITS))]
pub struct Args {
    #[command(flatten)]
    pub spec: SpecArg,
    /// How to print diagnostics: human text on stderr; json or github (Actions annotations) on stdout.
    #[arg(long, value_name = "FORMAT", value_enum, alias = "format", default_value_t = DiagnosticFormat::Human)]
    pub diagnostics: DiagnosticFormat,
    /// Also print notes: defaults strata derived (e.g. LimitRange defaults) and why.
    #[arg(long)]
    pub explain: bool,
    /// Treat warnings as errors (exit 2 when there are any).
    #[arg(long)]
    pub deny_warnings: bool,
}

pub fn run(a: Args) -> Result<Code, CliError> {
    // Counted from the resolved model: check builds no object bodies.
    let (mut c, objects) = a.spec.check();
    c.diagnostics.retain_notes(a.explain);
    if c.diagnostics.is_empty() && a.diagnostics == DiagnosticFormat::Json {
        // A clean spec still gets a valid, empty result: JSON consumers parse stdout unconditionally. Only
        // `check` does this; `compile --diagnostics json` shares stdout with the manifests.
        out::stdout(&crate::diagnostic::Renderer::plain(&c.sources).json(&c.diagnostics))?;
    } else {
        report_diagnostics(&c.sources, &c.diagnostics, a.diagnostics)?;
    }
    let failed = c.diagnostics.has_errors() || (a.deny_warnings && c.diagnostics.warning_count() > 0);
    if a.diagnostics == DiagnosticFormat::Human && !failed {
        let objects = objects.unwrap_or(0);
        let tenants = c.platform.tenants.len();
        let warnings = c.diagnostics.warning_count();
        let mut line = format!(
            "strata: `{}` is valid ({tenants} tenant{}, {objects} object{})",
            c.platform.name(),
            if tenants == 1 { "" } else { "s" },
            if objects == 1 { "" } else { "s" }
        );
        if warnings > 0 {
            line.push_str(&format!(", {}", summary_line(0, warnings).trim_start_matches("strata: ")));
        }
        out::stderr_line(&line);
    }
    crate::cli::leak(c);
    Ok(if failed { Code::Invalid } else { Code::Ok })
}
