//! The command line: one file per subcommand, each with its own clap arguments and `run`. This layer
//! parses flags, calls the library, renders results and picks the exit code; it holds no compiler logic.

mod apply;
mod check;
mod cluster;
mod compile;
mod completions;
mod diff;
mod drift;
mod fmt;
mod plan;
mod stdlib;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::diagnostic::{DiagnosticFormat, Diagnostics, Renderer};
use crate::source::SourceMap;

const ABOUT: &str = "Compile a data platform (tenants, Kafka, Spark, Airflow, Flink) from platform.kdl into checked Kubernetes manifests";

const EXIT_CODES: &str = "\
Exit codes (the same for every command):
  0  success, no changes
  1  changes found (diff, plan, fmt --check)
  2  invalid input: spec errors, bad flags, unreadable files
  3  cluster or apply failure
  4  diff: a change-safety error (data loss, a change an operator refuses, a quota below demand)";

#[derive(Debug, Parser)]
#[command(name = "strata", version, about = ABOUT, after_help = EXIT_CODES, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Check(check::Args),
    Compile(compile::Args),
    Diff(diff::Args),
    Fmt(fmt::Args),
    Plan(plan::Args),
    Apply(apply::Args),
    Drift(drift::Args),
    Stdlib(stdlib::Args),
    Completions(completions::Args),
}

/// Ends a command without freeing what it built. A large platform's compilation is hundreds of thousands
/// of small allocations; freeing them one by one took a tenth of `strata check`, while the process exit
/// that follows returns the memory at once (compilers have long done the same).
pub(crate) fn leak<T>(value: T) {
    std::mem::forget(value);
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Check(a) => check::run(a),
        Command::Compile(a) => compile::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Fmt(a) => fmt::run(a),
        Command::Plan(a) => plan::run(a),
        Command::Apply(a) => apply::run(a),
        Command::Drift(a) => drift::run(a),
        Command::Stdlib(a) => stdlib::run(a),
        Command::Completions(a) => completions::run(a),
    }
}

/// The spec argument every compiling command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct SpecArg {
    /// The platform spec to read; included files are found relative to it.
    #[arg(value_name = "SPEC", default_value = "platform.kdl")]
    pub spec: PathBuf,
    /// Let includes read files outside the spec's folder and its git repository (absolute paths, `..`
    /// past the repository's top level). Off by default, so a spec cannot read arbitrary files.
    #[arg(long)]
    pub allow_include_outside: bool,
}

impl SpecArg {
    /// Compiles the spec from the working tree under the chosen include policy.
    pub fn compile(&self) -> crate::Compilation {
        self.compile_with(&crate::lang::DiskFs, &self.spec)
    }

    /// Compiles `root` from `fs` under the chosen include policy.
    pub fn compile_with(&self, fs: &dyn crate::lang::SpecFs, root: &std::path::Path) -> crate::Compilation {
        if self.allow_include_outside {
            crate::compile(&crate::lang::fs::AllowOutside(fs), root)
        } else {
            crate::compile(fs, root)
        }
    }
}

/// Writes diagnostics to stderr in the chosen format. Colour only on a terminal and without NO_COLOR.
pub(crate) fn report(sources: &SourceMap, diags: &Diagnostics, format: DiagnosticFormat) {
    if diags.is_empty() {
        return;
    }
    let stderr = std::io::stderr();
    let color = stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let width = if stderr.is_terminal() { terminal_width() } else { 110 };
    let r = Renderer { sources, color, width };
    let text = r.render(diags, format);
    match format {
        // Machine formats go to stdout so they can be piped or captured on their own.
        DiagnosticFormat::Json | DiagnosticFormat::Github => print!("{text}"),
        DiagnosticFormat::Human => eprint!("{text}"),
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(110).clamp(60, 200)
}
