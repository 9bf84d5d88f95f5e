//! strata: a compiler and GitOps CLI for data platforms on Kubernetes.
//!
//! The pipeline: [`lang`] reads `platform.kdl` and its includes into a typed [`model::Platform`];
//! [`check`] applies the semantic rules and, when they pass, resolves it into a
//! [`model::resolved::ResolvedPlatform`]; [`emit`] turns that into a [`manifest::ManifestSet`];
//! [`render`] prints it. Everything up to there is pure (no cluster, no output); [`reconcile`] is the one
//! part that talks to Kubernetes (`apply`, `plan`). The binary renders results.

pub mod check;
pub mod cli;
pub mod codes;
pub mod crd;
pub mod diagnostic;
pub mod diff;
pub mod domain;
pub mod emit;
pub mod lang;
pub mod lsp;
pub mod manifest;
pub mod model;
pub mod output;
pub mod parallel;
pub mod reconcile;
pub mod render;
pub mod secrets;
pub mod session;
pub mod source;
pub mod tree;
pub mod units;

use std::path::Path;

use diagnostic::Diagnostics;
use lang::SpecFs;
use manifest::ManifestSet;
use model::Platform;
use model::resolved::ResolvedPlatform;
use source::SourceMap;

/// Everything one compile produced. `resolved` and `manifests` are `None` when the spec has errors: strata
/// never emits objects from a spec it could not fully check and resolve.
#[derive(Debug)]
pub struct Compilation {
    /// The model as lowered, complete or not: what the checks and `diff` read.
    pub platform: Platform,
    pub sources: SourceMap,
    pub diagnostics: Diagnostics,
    /// The platform emit consumes, built once the checks pass (see [`model::resolved`]).
    pub resolved: Option<ResolvedPlatform>,
    pub manifests: Option<ManifestSet>,
    /// The manifests as text, for [`Stage::Render`] (which builds no [`ManifestSet`]).
    pub rendered: Option<manifest::RenderedSet>,
    /// Every environment the spec declares (empty for a single-cluster spec); the platform is one of them.
    pub environments: Vec<String>,
    /// How many objects the platform compiles to: counted by [`Stage::Count`], or the number of manifests
    /// (or rendered objects) emitted.
    pub objects: Option<usize>,
}

impl Compilation {
    pub fn ok(&self) -> bool {
        !self.diagnostics.has_errors()
    }

    /// No errors but [`POLICY_ERRORS`]: the platform is well-formed, it only costs more than it may.
    pub fn valid(&self) -> bool {
        !self.diagnostics.iter().any(|d| d.is_error() && !POLICY_ERRORS.contains(&d.code))
    }

    /// A compilation of an environment a revision does not declare: no objects, nothing wrong (a diff then
    /// shows the environment wholly added or wholly removed).
    pub fn without_objects(c: Compilation) -> Compilation {
        Compilation {
            platform: Platform::default(),
            sources: c.sources,
            diagnostics: Diagnostics::new(),
            resolved: None,
            manifests: Some(ManifestSet::default()),
            rendered: Some(manifest::RenderedSet::default()),
            environments: c.environments,
            objects: Some(0),
        }
    }

    /// The environment this compilation is, `None` for a spec without environments.
    pub fn environment(&self) -> Option<&str> {
        self.platform.environment()
    }
}

/// Errors about what a valid platform costs, not about whether it is valid (a tenant over its budget).
/// `strata check`, `compile` and `apply` stop on them like on any error; `strata cost` still prints the
/// figures, and `strata diff` still compares the revisions ([`compile_for_diff`]) to report an overrun the
/// change causes as a change-safety finding of its own.
pub const POLICY_ERRORS: &[&str] = &[check::cost::EXCEEDED];

/// How far one compile goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Read, check and resolve; emit nothing ([`check`]).
    Check,
    /// [`Stage::Check`], and count the objects emit would build, without building them ([`check_counted`]).
    Count,
    /// Also emit the manifests ([`compile`]).
    Compile,
    /// Emit even when the only errors are [`POLICY_ERRORS`] ([`compile_for_diff`]).
    CompileForDiff,
    /// Emit the manifests straight to text ([`Compilation::rendered`]): what `strata compile` writes, the
    /// same bytes as rendering [`Stage::Compile`]'s set, without holding every object's JSON tree.
    Render(render::Rendering),
}

/// Reads and checks the spec, and resolves it when nothing is wrong, without emitting.
pub fn check(fs: &dyn SpecFs, root: &Path) -> Compilation {
    compile_env(fs, root, None, Stage::Check)
}

/// [`check`] and the number of objects [`compile`] would emit, counted from the resolved model
/// ([`emit::census`]) without building them. The census adds the same duplicate-object errors emit would;
/// the count is `None` when the spec does not resolve.
pub fn check_counted(fs: &dyn SpecFs, root: &Path) -> (Compilation, Option<usize>) {
    let c = compile_env(fs, root, None, Stage::Count);
    let objects = c.objects;
    (c, objects)
}

/// Reads, checks and, if there are no errors, emits the platform's manifests.
pub fn compile(fs: &dyn SpecFs, root: &Path) -> Compilation {
    compile_env(fs, root, None, Stage::Compile)
}

/// [`compile`] for `strata diff`: a spec whose only errors are [`POLICY_ERRORS`] is emitted too, so a
/// revision over a budget can still be compared (`diff` reports the overrun itself). Check
/// [`Compilation::valid`], not [`Compilation::ok`], on the result; never apply what it emits.
pub fn compile_for_diff(fs: &dyn SpecFs, root: &Path) -> Compilation {
    compile_env(fs, root, None, Stage::CompileForDiff)
}

/// Compiles the spec as environment `env` (`None` for a spec without environments; a spec with
/// environments then reports `strata::env::required`).
pub fn compile_env(fs: &dyn SpecFs, root: &Path, env: Option<&str>, stage: Stage) -> Compilation {
    build(lang::read_env(fs, root, env), stage)
}

/// Environment `from`'s configuration compiled as environment `to` (with `to`'s context, inventory and lock):
/// what promoting `from` to `to` would deploy. Emits like [`compile_for_diff`].
pub fn compile_promoted(fs: &dyn SpecFs, root: &Path, from: &str, to: &str) -> Compilation {
    build(lang::read_promoted(fs, root, from, to), Stage::CompileForDiff)
}

/// Compiles the spec as each of its environments, in declaration order, reading the files once (a spec
/// without environments gives its one compilation).
pub fn compile_all(fs: &dyn SpecFs, root: &Path, stage: Stage) -> Vec<Compilation> {
    lang::read_each(fs, root, |front| build(front, stage))
}

/// [`compile_all`] for a caller that compiles one spec again and again (an editor's session): what `memo`
/// kept from earlier compiles of files that did not change is reused, and the result is the same.
pub fn compile_all_reusing(fs: &dyn SpecFs, root: &Path, stage: Stage, memo: &lang::Memo) -> Vec<Compilation> {
    lang::read_each_reusing(fs, root, Some(memo), |front| build(front, stage))
}

fn build(front: lang::Frontend, stage: Stage) -> Compilation {
    let mut diagnostics = front.diagnostics;
    let mut c = Compilation {
        platform: front.platform,
        sources: front.sources,
        diagnostics: Diagnostics::new(),
        resolved: None,
        manifests: None,
        rendered: None,
        environments: front.environments,
        objects: None,
    };
    if front.unselected {
        c.diagnostics = diagnostics;
        return c;
    }
    // Checks run on whatever lowered cleanly, so one run reports syntax errors in one file and rule
    // violations in another. Resolving (and the census, or emitting) runs beside them, on a model nothing
    // wrong was found in yet, and is kept only if the checks pass: what the checks cost is then most of a
    // check's time instead of half of it, and a compile's emitting overlaps the checks.
    let platform = &c.platform;
    let sources = &c.sources;
    let lowered_cleanly = !diagnostics.has_errors();
    let resolve = || {
        let mut d = Diagnostics::new();
        let resolved = check::resolve(platform, &mut d);
        let emitted = match (&resolved, stage) {
            (Some(resolved), Stage::Count) => Emitted::Counted(emit::census(resolved, &mut d)),
            (Some(resolved), Stage::Compile | Stage::CompileForDiff) => {
                Emitted::Set(emit::emit(resolved, sources, &mut d))
            }
            (Some(resolved), Stage::Render(rendering)) => {
                Emitted::Rendered(emit::emit_rendered(resolved, sources, rendering.object_renderer(), &mut d))
            }
            (None, _) | (_, Stage::Check) => Emitted::Nothing,
        };
        (resolved, emitted, d)
    };
    let beside: Option<&(dyn Fn() -> _ + Sync)> = if lowered_cleanly { Some(&resolve) } else { None };
    let (found, speculated) = check::run_beside(platform, beside);
    diagnostics.extend(found);
    let blocked = if stage == Stage::CompileForDiff {
        diagnostics.iter().any(|d| d.is_error() && !POLICY_ERRORS.contains(&d.code))
    } else {
        diagnostics.has_errors()
    };
    if !blocked {
        let (resolved, emitted, found) = match speculated {
            Some(Ok(done)) => done,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => resolve(),
        };
        // Emitting's own errors (two objects with one name) keep its output back.
        let emitted_cleanly = !found.has_errors();
        diagnostics.extend(found);
        c.resolved = resolved;
        match emitted {
            Emitted::Counted(n) => c.objects = Some(n),
            Emitted::Set(set) if emitted_cleanly => {
                c.objects = Some(set.len());
                c.manifests = Some(set);
            }
            Emitted::Rendered(set) if emitted_cleanly => {
                c.objects = Some(set.len());
                c.rendered = Some(set);
            }
            Emitted::Set(_) | Emitted::Rendered(_) | Emitted::Nothing => {}
        }
    }
    if let Some(applied) = &front.applied {
        applied.annotate(&mut diagnostics, front.shared_diagnostics);
    }
    c.diagnostics = diagnostics;
    c
}

/// What a compile produced beside resolving, by [`Stage`].
enum Emitted {
    Nothing,
    Counted(usize),
    Set(ManifestSet),
    Rendered(manifest::RenderedSet),
}

/// Convenience for tests and embedders: compile a spec on disk.
pub fn compile_path(root: &Path) -> Compilation {
    compile(&lang::DiskFs, root)
}

/// [`compile_path`] for every environment the spec declares (its one platform when it declares none): what
/// tests that judge every emitted object iterate over.
pub fn compile_path_envs(root: &Path) -> Vec<Compilation> {
    compile_all(&lang::DiskFs, root, Stage::Compile)
}

/// The one way unit tests compile a spec: in memory ([`lang::MemFs`]), through the same [`compile`] as the
/// CLI, so a test sees every diagnostic and every manifest a user would.
#[cfg(test)]
pub(crate) mod test_support {
    use std::path::Path;

    use crate::Compilation;

    /// Compiles `spec`, the whole text of a `platform.kdl` (its `platform` node included).
    pub fn compile_spec(spec: &str) -> Compilation {
        let fs = crate::lang::MemFs::new().with("platform.kdl", spec);
        crate::compile(&fs, Path::new("platform.kdl"))
    }

    /// Compiles `body` after a `platform "test"` header: for tests about the nodes below it.
    pub fn compile(body: &str) -> Compilation {
        compile_spec(&format!("platform \"test\"\n{body}"))
    }

    /// The root file of every golden case, in name order.
    pub fn golden_specs() -> Vec<std::path::PathBuf> {
        let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
        let mut specs: Vec<_> = std::fs::read_dir(golden)
            .expect("golden folder")
            .filter_map(|e| Some(e.ok()?.path().join("platform.kdl")))
            .filter(|p| p.exists())
            .collect();
        specs.sort();
        specs
    }

    /// The codes of every diagnostic, errors and warnings only, in source order.
    pub fn codes(c: &Compilation) -> Vec<&'static str> {
        c.diagnostics
            .sorted()
            .into_iter()
            .filter(|d| d.severity != crate::diagnostic::Severity::Note)
            .map(|d| d.code)
            .collect()
    }
}

/// The exit codes every command shares: one table, which every `--help`, the README and docs/ show.
pub mod exit {
    pub const OK: i32 = 0;
    /// `diff`/`plan`/`drift`/`fmt --check`: there are changes.
    pub const CHANGES: i32 = 1;
    /// Invalid input: spec errors, bad flags, unreadable files.
    pub const INVALID: i32 = 2;
    /// The cluster refused or failed.
    pub const CLUSTER: i32 = 3;
    /// `diff`: a change-safety error (data loss, a change an operator refuses, a quota below demand), so CI
    /// can fail a pull request on the exit code alone.
    pub const UNSAFE: i32 = 4;

    /// A process exit status, as a type the CLI can match on. The numbers are a contract with CI scripts:
    /// they never change meaning.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub enum Code {
        Ok,
        Changes,
        Invalid,
        Cluster,
        Unsafe,
    }

    impl Code {
        pub const ALL: [Code; 5] = [Code::Ok, Code::Changes, Code::Invalid, Code::Cluster, Code::Unsafe];

        pub const fn value(self) -> i32 {
            match self {
                Code::Ok => OK,
                Code::Changes => CHANGES,
                Code::Invalid => INVALID,
                Code::Cluster => CLUSTER,
                Code::Unsafe => UNSAFE,
            }
        }

        /// The code the library's number stands for. The library returns only the constants above; any
        /// other number would be a bug, and is reported as the cluster-side failure it came from.
        pub fn of(value: i32) -> Code {
            Code::ALL.into_iter().find(|c| c.value() == value).unwrap_or(Code::Cluster)
        }

        /// What the code means for every command, in a few words.
        pub const fn meaning(self) -> &'static str {
            match self {
                Code::Ok => "success",
                Code::Changes => "changes found",
                Code::Invalid => "invalid input",
                Code::Cluster => "the cluster failed or refused",
                Code::Unsafe => "a change-safety error",
            }
        }

        /// The cases behind the code, over all commands (the README's table; `strata --help`).
        pub const fn cases(self) -> &'static str {
            match self {
                Code::Ok => "nothing to change, or everything done",
                Code::Changes => {
                    "`diff`, `plan` or `drift` found changes, `fmt --check` a file to format, or `lsp` ended without shutdown"
                }
                Code::Invalid => {
                    "spec errors, bad flags, unreadable files, an unknown revision or code, a missing kubeconfig, \
                     an unknown or wrong kube context"
                }
                Code::Cluster => {
                    "unreachable, forbidden, an object refused or not ready, a missing CRD or namespace, the lock \
                     held or lost, the prune refused, interrupted"
                }
                Code::Unsafe => "`diff`: data loss, a change an operator refuses, a quota below current demand",
            }
        }
    }
}
