//! The command line: one file per subcommand, each with its own clap arguments and `run`. This layer
//! parses flags, calls the library, renders results and picks the exit code; it holds no compiler logic.
//!
//! Every subcommand spells its flags the same way: `-o/--output FORMAT` picks what goes to stdout, and
//! `--diagnostics FORMAT` how diagnostics are printed. Earlier spellings stay as hidden aliases.

mod apply;
mod check;
mod cluster;
mod compile;
mod completions;
mod cost;
mod diff;
mod drift;
pub mod error;
mod explain;
mod fmt;
mod lsp;
pub mod out;
mod plan;
mod stdlib;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use crate::cli::error::CliError;
use crate::diagnostic::{DiagnosticFormat, Diagnostics, Renderer};
use crate::exit::Code;
use crate::source::SourceMap;

const ABOUT: &str = "Compile a data platform (tenants, Kafka, Spark, Airflow, Flink) from platform.kdl into checked Kubernetes manifests";

#[derive(Debug, Parser)]
#[command(name = "strata", version, about = ABOUT, after_help = exit_table(), propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Check(check::Args),
    Compile(compile::Args),
    Cost(cost::Args),
    Diff(diff::Args),
    Fmt(fmt::Args),
    Plan(plan::Args),
    Apply(apply::Args),
    Drift(drift::Args),
    Explain(explain::Args),
    Stdlib(stdlib::Args),
    Completions(completions::Args),
    Lsp(lsp::Args),
}

/// The exit codes `strata <command>` can return, each with this command's cases: what its `--help` lists,
/// and what docs/ show (tests/docs.rs keeps the two equal). `None` for an unknown command.
pub fn exit_codes(command: &str) -> Option<&'static [(Code, &'static str)]> {
    Some(match command {
        "check" => check::EXITS,
        "compile" => compile::EXITS,
        "cost" => cost::EXITS,
        "diff" => diff::EXITS,
        "fmt" => fmt::EXITS,
        "plan" => plan::EXITS,
        "apply" => apply::EXITS,
        "drift" => drift::EXITS,
        "explain" => explain::EXITS,
        "stdlib" => stdlib::EXITS,
        "completions" => completions::EXITS,
        "lsp" => lsp::EXITS,
        _ => return None,
    })
}

/// `strata --help`'s table: every exit code with its cases over all commands.
fn exit_table() -> String {
    let mut s = String::from("Exit codes (the same for every command):");
    for c in Code::ALL {
        s.push_str(&exit_line(c, c.cases()));
    }
    s
}

/// A subcommand's `after_help`: its examples, then each exit code it can return, with the shared meaning
/// and this command's cases. Every command can exit 2 on bad flags (clap's usage errors), so each lists 2.
pub(crate) fn after_help(examples: &str, codes: &[(Code, &str)]) -> String {
    let mut s = format!("{examples}\n\nExit codes:");
    for (c, cases) in codes {
        s.push_str(&exit_line(*c, cases));
    }
    s
}

/// `\n  2  invalid input: ...`, wrapped under its text (clap would wrap it under the code).
fn exit_line(c: Code, cases: &str) -> String {
    const WIDTH: usize = 98;
    const INDENT: &str = "     ";
    let mut out = String::new();
    let mut line = format!("  {}  {}:", c.value(), c.meaning());
    for word in cases.split_whitespace() {
        if line.len() + 1 + word.len() > WIDTH {
            out.push('\n');
            out.push_str(&line);
            line = INDENT.to_string();
        } else {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push('\n');
    out.push_str(&line);
    out
}

/// Ends a command without freeing what it built. A large platform's compilation is hundreds of thousands
/// of small allocations; freeing them one by one took a tenth of `strata check`, while the process exit
/// that follows returns the memory at once (compilers have long done the same).
pub(crate) fn leak<T>(value: T) {
    std::mem::forget(value);
}

/// Runs a parsed command line: the command's own exit code, or its error reported and mapped to one.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Check(a) => check::run(a),
        Command::Compile(a) => compile::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Cost(a) => cost::run(a),
        Command::Fmt(a) => fmt::run(a),
        Command::Plan(a) => plan::run(a),
        Command::Apply(a) => apply::run(a),
        Command::Drift(a) => drift::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Stdlib(a) => stdlib::run(a),
        Command::Completions(a) => completions::run(a),
        Command::Lsp(a) => lsp::run(a),
    };
    let code = result.unwrap_or_else(|e| {
        error::report(&e);
        e.exit_code()
    });
    // The codes are 0 to 4.
    ExitCode::from(u8::try_from(code.value()).unwrap_or(u8::MAX))
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
    /// Read the spec as this environment (an `environment "NAME"` block of the spec). Required by a spec
    /// that declares environments, except where `--all-envs` is offered.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
}

impl SpecArg {
    /// Compiles the spec from the working tree under the chosen include policy.
    pub fn compile(&self) -> crate::Compilation {
        self.compile_with(&crate::lang::DiskFs, &self.spec)
    }

    /// Compiles `root` from `fs` under the chosen include policy.
    pub fn compile_with(&self, fs: &dyn crate::lang::SpecFs, root: &std::path::Path) -> crate::Compilation {
        self.compile_as(fs, root, crate::Stage::Compile)
    }

    /// [`Self::compile_with`] for `strata diff`: a revision over a budget still compiles
    /// ([`crate::compile_for_diff`]).
    pub fn compile_for_diff(&self, fs: &dyn crate::lang::SpecFs, root: &std::path::Path) -> crate::Compilation {
        self.compile_as(fs, root, crate::Stage::CompileForDiff)
    }

    /// Compiles `root` as the chosen `--env` up to `stage`.
    pub fn compile_as(
        &self,
        fs: &dyn crate::lang::SpecFs,
        root: &std::path::Path,
        stage: crate::Stage,
    ) -> crate::Compilation {
        if self.allow_include_outside {
            crate::compile_env(&crate::lang::fs::AllowOutside(fs), root, self.env.as_deref(), stage)
        } else {
            crate::compile_env(fs, root, self.env.as_deref(), stage)
        }
    }

    /// Environment `from`'s configuration compiled in `to`'s place (its context, inventory and lock), for
    /// a promotion diff; emitted like [`Self::compile_for_diff`].
    pub fn compile_promoted(
        &self,
        fs: &dyn crate::lang::SpecFs,
        root: &std::path::Path,
        from: &str,
        to: &str,
    ) -> crate::Compilation {
        if self.allow_include_outside {
            crate::compile_promoted(&crate::lang::fs::AllowOutside(fs), root, from, to)
        } else {
            crate::compile_promoted(fs, root, from, to)
        }
    }

    /// Every environment's compilation (`--all-envs`), or only `--env`'s when one is chosen.
    pub fn compile_each(
        &self,
        fs: &dyn crate::lang::SpecFs,
        root: &std::path::Path,
        stage: crate::Stage,
    ) -> Vec<crate::Compilation> {
        if self.env.is_some() {
            return vec![self.compile_as(fs, root, stage)];
        }
        if self.allow_include_outside {
            crate::compile_all(&crate::lang::fs::AllowOutside(fs), root, stage)
        } else {
            crate::compile_all(fs, root, stage)
        }
    }
}

/// The diagnostics of several environments' compilations as one list (their messages name the
/// environment), for the machine formats, which print one document.
pub(crate) fn merged_diagnostics(cs: &[crate::Compilation]) -> Diagnostics {
    let mut all = Diagnostics::new();
    let mut seen = Vec::new();
    for c in cs {
        all.extend(c.diagnostics.unseen(&mut seen));
    }
    all
}

/// `platform `acme`` or `platform `acme`, environment `staging``: how summaries name what they judged.
pub(crate) fn platform_label(c: &crate::Compilation) -> String {
    match c.environment() {
        Some(env) => format!("`{}` (environment `{env}`)", c.platform.name()),
        None => format!("`{}`", c.platform.name()),
    }
}

/// Prints diagnostics in the chosen format: human text on stderr, machine formats on stdout (so they can be
/// piped or captured on their own). Colour only on a terminal and without NO_COLOR.
pub(crate) fn report_diagnostics(
    sources: &SourceMap,
    diags: &Diagnostics,
    format: DiagnosticFormat,
) -> Result<(), CliError> {
    if diags.is_empty() {
        return Ok(());
    }
    let stderr = std::io::stderr();
    let color = stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let width = if stderr.is_terminal() { terminal_width() } else { 110 };
    let r = Renderer { sources, color, width };
    let text = r.render(diags, format);
    match format {
        DiagnosticFormat::Json | DiagnosticFormat::Github => out::stdout(&text),
        DiagnosticFormat::Human => {
            out::stderr(&text);
            Ok(())
        }
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(110).clamp(60, 200)
}
