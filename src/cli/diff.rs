//! `strata diff`: compiles the spec at two revisions offline (a git revision, the working tree, or a file on
//! disk) and shows what changes and what is unsafe, with an exit code CI can gate a pull request on.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::ArgGroup;

use crate::Compilation;
use crate::cli::{CliError, SpecArg, after_help, out, report_diagnostics};
use crate::diagnostic::{DiagnosticFormat, Diagnostics, Renderer};
use crate::diff::render::{Format, render};
use crate::diff::{Side, compare};
use crate::exit::Code;
use crate::lang::DiskFs;
use crate::lang::git::GitFs;
use crate::source::SourceMap;

const EXAMPLES: &str = "\
Examples:
  strata diff --base origin/main                   # the working tree against the base branch
  strata diff --base origin/main -o markdown > comment.md
  strata diff --base v1.4.0 --head v1.5.0 -o stat
  strata diff platforms/prod.kdl --base HEAD~1 -o json | jq '.findings[].code'
  strata diff --base-spec ../old/platform.kdl      # two specs on disk, no git needed

With --base, the spec and every file it includes are read from that git revision (paths relative to
the current directory, as for the working tree); uncommitted changes count only on the head side.";

pub(crate) const EXITS: &[(Code, &str)] = &[
    (Code::Ok, "no changes"),
    (Code::Changes, "no change-safety error (warnings allowed)"),
    (
        Code::Invalid,
        "the spec is invalid at either revision (the message says which), an unknown revision, not a git \
         repository, bad flags",
    ),
    (
        Code::Unsafe,
        "data loss, a change an operator refuses, or a tenant pushed over its budget; fail the pull request on it",
    ),
];

/// Compare the compiled platform of two revisions and flag unsafe changes.
#[derive(Debug, clap::Args)]
#[command(after_help = after_help(EXAMPLES, EXITS))]
#[command(group(ArgGroup::new("base_side").required(true).args(["base", "base_spec"])))]
pub struct Args {
    #[command(flatten)]
    pub spec: SpecArg,
    /// The git revision to compare against (branch, tag or commit), e.g. `origin/main`.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// The git revision to compare; without it, the working tree.
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,
    /// Compare against a spec file on disk instead of a git revision.
    #[arg(long, value_name = "PATH")]
    pub base_spec: Option<PathBuf>,
    /// What to print on stdout: a unified diff, a pull-request comment, JSON, or one line per object.
    #[arg(short, long, value_name = "FORMAT", value_enum, alias = "format", default_value_t = Format::Unified)]
    pub output: Format,
}

pub fn run(a: Args) -> Result<Code, CliError> {
    let cwd = std::env::current_dir().map_err(CliError::CurrentDir)?;
    let spec = &a.spec.spec;
    let base_from = match (&a.base, &a.base_spec) {
        (Some(rev), _) => Ok(rev),
        (None, Some(path)) => Err(path),
        (None, None) => return Err(CliError::MissingBase),
    };
    let compile_base = || match base_from {
        Ok(rev) => from_git(&cwd, rev, "base", &a.spec),
        Err(path) => Ok((format!("base ({})", path.display()), a.spec.compile_for_diff(&DiskFs, path))),
    };
    let compile_head = || match &a.head {
        Some(rev) => from_git(&cwd, rev, "head", &a.spec),
        None => Ok(("head (working tree)".to_string(), a.spec.compile_for_diff(&DiskFs, spec))),
    };
    // The two revisions are independent: compile them side by side.
    let (base, head) = std::thread::scope(|scope| {
        let base = scope.spawn(compile_base);
        let head = compile_head();
        (base.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), head)
    });
    // Compile both before reporting, so one run shows the problems of both revisions.
    let base = usable(base)?;
    let head = usable(head)?;
    let (Some((base_label, base)), Some((head_label, head))) = (base, head) else { return Ok(Code::Invalid) };
    let (Some(b), Some(h)) = (Side::of(base_label, &base), Side::of(head_label, &head)) else {
        return Ok(Code::Invalid);
    };
    let d = compare(&b, &h);
    let color =
        a.output == Format::Unified && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    // A closed pipe (`strata diff | head`) still exits with the diff's result.
    out::stdout(&render(&d, a.output, color))?;
    let code = Code::of(d.exit_code());
    crate::cli::leak((d, b, h));
    crate::cli::leak((base, head));
    Ok(code)
}

type Labelled = (String, Compilation);

/// Compiles `spec` as of git revision `rev`; a revision that cannot be opened is reported as a diagnostic.
fn from_git(cwd: &Path, rev: &str, side: &str, spec: &SpecArg) -> Result<Labelled, (String, Diagnostics)> {
    let label = format!("{side} ({rev})");
    match GitFs::open(cwd, rev) {
        Ok(fs) => Ok((label, spec.compile_for_diff(&fs, &spec.spec))),
        Err(d) => Err((label, std::iter::once(*d).collect())),
    }
}

/// The compile if it produced manifests; otherwise its diagnostics are printed under the side's label
/// and `None` is returned. A revision over a budget is usable: the diff reports the overrun it causes as
/// `strata::diff::budget-exceeded`.
fn usable(side: Result<Labelled, (String, Diagnostics)>) -> Result<Option<Labelled>, CliError> {
    match side {
        Ok((label, mut c)) if !c.valid() || c.manifests.is_none() => {
            out::stderr_line(&format!("error: {label}: the spec does not compile"));
            c.diagnostics.retain_notes(false);
            report_diagnostics(&c.sources, &c.diagnostics, DiagnosticFormat::Human)?;
            Ok(None)
        }
        Ok(ok) => Ok(Some(ok)),
        Err((label, diags)) => {
            out::stderr_line(&format!("error: {label}: cannot read the spec"));
            let sources = SourceMap::new();
            out::stderr(&Renderer::plain(&sources).human(&diags));
            Ok(None)
        }
    }
}
