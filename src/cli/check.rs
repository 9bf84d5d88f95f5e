//! `strata check`: every diagnostic for the spec, nothing written. The fast inner loop on a laptop and
//! the first step in CI.

use crate::cli::SpecArg;
use crate::cli::{CliError, after_help, merged_diagnostics, out, platform_label, report_diagnostics};
use crate::diagnostic::{DiagnosticFormat, summary_line};
use crate::exit::Code;

const EXAMPLES: &str = "\
Examples:
  strata check                          # ./platform.kdl and everything it includes
  strata check platforms/prod.kdl
  strata check --diagnostics github     # annotations on the pull request in GitHub Actions
  strata check --diagnostics json | jq '.diagnostics[].code'
  strata check --explain                # also show the decisions strata made for you
  strata check --env staging            # one environment of a spec that declares several (default: all)
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
    /// Check every environment the spec declares, each on its own (the default without `--env`).
    #[arg(long, conflicts_with = "env")]
    pub all_envs: bool,
}

pub fn run(a: Args) -> Result<Code, CliError> {
    // Counted from the resolved model: check builds no object bodies.
    let mut cs = a.spec.compile_each(&crate::lang::DiskFs, &a.spec.spec, crate::Stage::Count);
    for c in &mut cs {
        c.diagnostics.retain_notes(a.explain);
    }
    let failed_one =
        |c: &crate::Compilation| c.diagnostics.has_errors() || (a.deny_warnings && c.diagnostics.warning_count() > 0);
    let failed = cs.iter().any(failed_one);
    match (a.diagnostics, cs.as_slice()) {
        (DiagnosticFormat::Human, _) => {
            let mut seen = Vec::new();
            for c in &cs {
                report_diagnostics(&c.sources, &c.diagnostics.unseen(&mut seen), a.diagnostics)?;
                if !failed_one(c) {
                    out::stderr_line(&valid_line(c));
                }
            }
        }
        (_, [c]) if c.diagnostics.is_empty() && a.diagnostics == DiagnosticFormat::Json => {
            // A clean spec still gets a valid, empty result: JSON consumers parse stdout unconditionally.
            // Only `check` does this; `compile --diagnostics json` shares stdout with the manifests.
            out::stdout(&crate::diagnostic::Renderer::plain(&c.sources).json(&c.diagnostics))?;
        }
        (_, [c, ..]) => {
            let all = merged_diagnostics(&cs);
            if all.is_empty() && a.diagnostics == DiagnosticFormat::Json {
                out::stdout(&crate::diagnostic::Renderer::plain(&c.sources).json(&all))?;
            } else {
                report_diagnostics(&c.sources, &all, a.diagnostics)?;
            }
        }
        (_, []) => {}
    }
    crate::cli::leak(cs);
    Ok(if failed { Code::Invalid } else { Code::Ok })
}

fn valid_line(c: &crate::Compilation) -> String {
    let objects = c.objects.unwrap_or(0);
    let tenants = c.platform.tenants.len();
    let warnings = c.diagnostics.warning_count();
    let mut line = format!(
        "strata: {} is valid ({tenants} tenant{}, {objects} object{})",
        platform_label(c),
        if tenants == 1 { "" } else { "s" },
        if objects == 1 { "" } else { "s" }
    );
    if warnings > 0 {
        line.push_str(&format!(", {}", summary_line(0, warnings).trim_start_matches("strata: ")));
    }
    line
}
