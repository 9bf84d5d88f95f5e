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
  strata diff --base origin/main --all-envs -o markdown   # every environment, one section each
  strata diff --env production --from-env staging  # what promoting staging to production changes

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
#[command(group(ArgGroup::new("base_side").required(true).args(["base", "base_spec", "from_env"])))]
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
    /// Promotion: compare `--env`'s platform with this environment's configuration applied in its place
    /// (what promoting it to `--env` would change), both from the head revision.
    #[arg(long, value_name = "ENV", requires = "env")]
    pub from_env: Option<String>,
    /// Compare every environment of either revision, one section each; the worst result is the exit code.
    #[arg(long, conflicts_with_all = ["env", "from_env"])]
    pub all_envs: bool,
    /// What to print on stdout: a unified diff, a pull-request comment, JSON, or one line per object.
    #[arg(short, long, value_name = "FORMAT", value_enum, alias = "format", default_value_t = Format::Unified)]
    pub output: Format,
}

pub fn run(a: Args) -> Result<Code, CliError> {
    let cwd = std::env::current_dir().map_err(CliError::CurrentDir)?;
    if let (Some(from), Some(to)) = (&a.from_env, &a.spec.env) {
        let head = open_side(&cwd, &a, Role::Head);
        let compile = |env: &str, identity: &str| match &head {
            Ok(side) => {
                Ok((side.label_for(env, identity), a.spec.compile_promoted(side.fs(), &side.root, env, identity)))
            }
            Err(e) => Err(e.clone()),
        };
        let base = compile(to, to);
        let promoted = compile(from, to);
        return match diff_sides(&a, base, promoted, None)? {
            Some((code, text)) => {
                out::stdout(&text)?;
                Ok(code)
            }
            None => Ok(Code::Invalid),
        };
    }
    let base = open_side(&cwd, &a, Role::Base);
    let head = open_side(&cwd, &a, Role::Head);
    if !a.all_envs {
        let env = a.spec.env.as_deref();
        // The two revisions are independent: compile them side by side.
        let (b, h) = std::thread::scope(|scope| {
            let b = scope.spawn(|| compile_side(&base, env, &a.spec));
            let h = compile_side(&head, env, &a.spec);
            (b.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), h)
        });
        return match diff_sides(&a, b, h, None)? {
            Some((code, text)) => {
                out::stdout(&text)?;
                Ok(code)
            }
            None => Ok(Code::Invalid),
        };
    }
    let mut envs: Vec<String> = Vec::new();
    for side in [&head, &base].into_iter().flatten() {
        for e in crate::lang::environments(side.fs(), &side.root) {
            if !envs.contains(&e) {
                envs.push(e);
            }
        }
    }
    if envs.is_empty() {
        // A spec without environments: `--all-envs` is the one platform.
        envs.push(String::new());
    }
    let mut worst = Code::Ok;
    let mut sections = Vec::new();
    // Each environment's section gets an equal share of the comment (less its heading).
    let budget = (crate::diff::render::MARKDOWN_LIMIT / envs.len()).saturating_sub(100).max(1_000);
    for env in &envs {
        let env = (!env.is_empty()).then_some(env.as_str());
        let (b, h) = std::thread::scope(|scope| {
            let b = scope.spawn(|| compile_side(&base, env, &a.spec));
            let h = compile_side(&head, env, &a.spec);
            (b.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), h)
        });
        match diff_sides(&a, b, h, Some(budget))? {
            Some((code, text)) => {
                worst = worst.max(code);
                sections.push((env.unwrap_or("default").to_string(), text));
            }
            None => worst = worst.max(Code::Invalid),
        }
    }
    out::stdout(&crate::diff::render::sections(&sections, a.output))?;
    Ok(worst)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Base,
    Head,
}

/// Where one side of the diff reads its files: a git revision or the working tree (or a spec on disk).
enum SideSource {
    Git { fs: Box<GitFs>, rev: String, role: Role },
    Disk { label: String },
}

/// A side that can be read, with the spec path in it.
struct OpenSide {
    source: SideSource,
    root: PathBuf,
}

impl OpenSide {
    fn fs(&self) -> &dyn crate::lang::SpecFs {
        match &self.source {
            SideSource::Git { fs, .. } => fs.as_ref(),
            SideSource::Disk { .. } => &DiskFs,
        }
    }

    fn label(&self, env: Option<&str>) -> String {
        let base = match &self.source {
            SideSource::Git { rev, role, .. } => {
                format!("{} ({rev})", if *role == Role::Base { "base" } else { "head" })
            }
            SideSource::Disk { label, .. } => label.clone(),
        };
        match env {
            Some(e) => format!("{base}, environment {e}"),
            None => base,
        }
    }

    /// The label of a promotion side: `env` read in `identity`'s place.
    fn label_for(&self, env: &str, identity: &str) -> String {
        if env == identity {
            self.label(Some(env))
        } else {
            format!("{} promoted to {identity}", self.label(Some(env)))
        }
    }
}

fn open_side(cwd: &Path, a: &Args, role: Role) -> Result<OpenSide, (String, Diagnostics)> {
    let spec = &a.spec.spec;
    let rev = match role {
        Role::Base => match (&a.base, &a.base_spec) {
            (Some(rev), _) => Some(rev),
            (None, Some(path)) => {
                return Ok(OpenSide {
                    source: SideSource::Disk { label: format!("base ({})", path.display()) },
                    root: path.clone(),
                });
            }
            (None, None) => None,
        },
        Role::Head => a.head.as_ref(),
    };
    match rev {
        Some(rev) => match GitFs::open(cwd, rev) {
            Ok(fs) => Ok(OpenSide {
                source: SideSource::Git { fs: Box::new(fs), rev: rev.clone(), role },
                root: spec.clone(),
            }),
            Err(d) => Err((
                format!("{} ({rev})", if role == Role::Base { "base" } else { "head" }),
                std::iter::once(*d).collect(),
            )),
        },
        None => {
            Ok(OpenSide { source: SideSource::Disk { label: "head (working tree)".to_string() }, root: spec.clone() })
        }
    }
}

/// Compiles one side as `env`. A revision that declares no environments is its one platform (a pull request
/// that introduces environments compares each against it); one that lacks `env` has no objects for it (a
/// new environment is all additions, a removed one all deletions, with their change-safety findings).
fn compile_side(
    side: &Result<OpenSide, (String, Diagnostics)>,
    env: Option<&str>,
    spec: &SpecArg,
) -> Result<Labelled, (String, Diagnostics)> {
    let side = side.as_ref().map_err(Clone::clone)?;
    let label = side.label(env);
    let as_env = |env: Option<&str>| {
        let mut s = spec.clone();
        s.env = env.map(str::to_string);
        s.compile_for_diff(side.fs(), &side.root)
    };
    let c = as_env(env);
    Ok(match env {
        Some(_) if c.environments.is_empty() => (label, as_env(None)),
        Some(e) if !c.environments.iter().any(|x| x == e) => (label, Compilation::without_objects(c)),
        _ => (label, c),
    })
}

/// Compares two compiled sides and renders the result; `None` when either does not compile (its
/// diagnostics are printed).
fn diff_sides(
    a: &Args,
    base: Result<Labelled, (String, Diagnostics)>,
    head: Result<Labelled, (String, Diagnostics)>,
    budget: Option<usize>,
) -> Result<Option<(Code, String)>, CliError> {
    // Compile both before reporting, so one run shows the problems of both revisions.
    let base = usable(base)?;
    let head = usable(head)?;
    let (Some((base_label, base)), Some((head_label, head))) = (base, head) else { return Ok(None) };
    let (Some(b), Some(h)) = (Side::of(base_label, &base), Side::of(head_label, &head)) else {
        return Ok(None);
    };
    let d = compare(&b, &h);
    let color =
        a.output == Format::Unified && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let text = match (a.output, budget) {
        (Format::Markdown, Some(limit)) => crate::diff::render::markdown_within(&d, limit),
        _ => render(&d, a.output, color),
    };
    let code = Code::of(d.exit_code());
    crate::cli::leak((d, b, h));
    crate::cli::leak((base, head));
    Ok(Some((code, text)))
}

type Labelled = (String, Compilation);

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
