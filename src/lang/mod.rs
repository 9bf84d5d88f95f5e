//! The front end: spec files in, typed [`Platform`] out. Loading (files, includes, KDL parsing) and
//! lowering (KDL nodes to the model) both collect every problem instead of stopping at the first.

mod airflow;
mod app;
pub mod environment;
mod external_secret;
mod flink;
pub mod format;
pub mod fs;
pub mod git;
mod job;
mod kafka;
pub mod load;
pub(crate) mod lower;
pub mod memo;
mod monitoring;
pub mod parse;
mod pod;
mod presets;
pub mod reader;
mod spark;
pub mod stdlib;
mod tenant;

use std::path::Path;
use std::sync::Arc;

use crate::diagnostic::Diagnostics;
use crate::model::Platform;
use crate::source::SourceMap;

pub use fs::{DiskFs, MemFs, SpecFs};
pub use memo::Memo;

/// The result of reading a spec: the model (as complete as the input allowed), every file read (for
/// rendering diagnostics), and the diagnostics themselves.
#[derive(Debug)]
pub struct Frontend {
    pub platform: Platform,
    pub sources: SourceMap,
    pub diagnostics: Diagnostics,
    /// Every environment the spec declares, in declaration order (empty for a single-cluster spec).
    pub environments: Vec<String>,
    /// The environment this platform is, with what its overrides replaced (see [`environment`]).
    pub applied: Option<environment::Applied>,
    /// How many of the first diagnostics concern the files as a whole (reading them, declaring the
    /// environments), the same for every environment.
    pub shared_diagnostics: usize,
    /// No platform could be read at all: the spec declares environments and none was chosen, or the chosen
    /// one does not exist. Nothing else is reported then.
    pub unselected: bool,
}

/// The files of a spec, read and parsed once, with its environments taken out of the syntax trees.
struct Spec {
    documents: Vec<(crate::source::FileId, Arc<kdl::KdlDocument>)>,
    sources: SourceMap,
    diagnostics: Diagnostics,
    envs: Vec<environment::Environment>,
    names: Vec<String>,
}

impl Spec {
    fn read(fs: &dyn SpecFs, root: &Path, memo: Option<&Memo>) -> Self {
        let mut diagnostics = Diagnostics::new();
        let loaded = load::load_reusing(fs, root, memo, &mut diagnostics);
        let mut documents = loaded.documents;
        let envs = environment::extract(&mut documents, &mut diagnostics);
        let names = envs.iter().map(|e| e.name.value.clone()).collect();
        Spec { documents, sources: loaded.sources, diagnostics, envs, names }
    }
}

impl Frontend {
    /// No platform: the environment asked for cannot be read (`diagnostics` says why).
    fn unselected(sources: SourceMap, diagnostics: Diagnostics, environments: Vec<String>) -> Self {
        Frontend {
            platform: Platform::default(),
            sources,
            diagnostics,
            environments,
            applied: None,
            shared_diagnostics: 0,
            unselected: true,
        }
    }
}

/// Reads and lowers the spec at `root` (plus the embedded stdlib), without choosing an environment.
pub fn read(fs: &dyn SpecFs, root: &Path) -> Frontend {
    read_env(fs, root, None)
}

/// Reads the spec at `root` as environment `env` (`None`: a spec without environments).
pub fn read_env(fs: &dyn SpecFs, root: &Path, env: Option<&str>) -> Frontend {
    let Spec { documents, sources, mut diagnostics, envs, names } = Spec::read(fs, root, None);
    match environment::select(&envs, env) {
        Ok(chosen) => lower_as(documents, sources, diagnostics, chosen, names, None),
        Err(d) => {
            diagnostics.push(*d);
            Frontend::unselected(sources, diagnostics, names)
        }
    }
}

/// Reads the spec as environment `from`, in the place of environment `to`: `from`'s overrides, `to`'s name and
/// kube context (a promotion of `from` to `to`).
pub fn read_promoted(fs: &dyn SpecFs, root: &Path, from: &str, to: &str) -> Frontend {
    let Spec { documents, sources, mut diagnostics, envs, names } = Spec::read(fs, root, None);
    match (environment::select(&envs, Some(from)), environment::select(&envs, Some(to))) {
        (Ok(Some(source)), Ok(Some(target))) => {
            let mut front = lower_as(documents, sources, diagnostics, Some(source), names, None);
            if let Some(header) = front.platform.header.as_mut() {
                header.environment = Some(target.name.clone());
                header.context = target.context.clone().or(header.context.take());
            }
            front
        }
        (a, b) => {
            diagnostics.extend(a.err().into_iter().chain(b.err()).map(|d| *d).collect());
            Frontend::unselected(sources, diagnostics, names)
        }
    }
}

/// Reads the spec once and lowers it as each of its environments, in declaration order (a spec without
/// environments gives its one platform).
pub fn read_all(fs: &dyn SpecFs, root: &Path) -> Vec<Frontend> {
    read_each(fs, root, |front| front)
}

/// [`read_all`], handing each environment's platform to `then` as soon as it is lowered. Environments are
/// independent, so they are lowered (and `then` runs) on all cores at once; the results keep the order.
pub fn read_each<R: Send>(fs: &dyn SpecFs, root: &Path, then: impl Fn(Frontend) -> R + Sync) -> Vec<R> {
    read_each_reusing(fs, root, None, then)
}

/// [`read_each`], reusing what `memo` kept from earlier readings of the spec (see [`memo`]) and keeping
/// what this reading parses and lowers.
pub fn read_each_reusing<R: Send>(
    fs: &dyn SpecFs,
    root: &Path,
    memo: Option<&Memo>,
    then: impl Fn(Frontend) -> R + Sync,
) -> Vec<R> {
    let Spec { documents, sources, diagnostics, envs, names } = Spec::read(fs, root, memo);
    if envs.is_empty() {
        return vec![then(lower_as(documents, sources, diagnostics, None, names, memo))];
    }
    crate::parallel::map(&envs, |env| {
        then(lower_as(documents.clone(), sources.clone(), diagnostics.clone(), Some(env), names.clone(), memo))
    })
}

/// The environments `root` declares, without lowering anything (for the CLI to list them).
pub fn environments(fs: &dyn SpecFs, root: &Path) -> Vec<String> {
    Spec::read(fs, root, None).names
}

fn lower_as(
    documents: Vec<(crate::source::FileId, Arc<kdl::KdlDocument>)>,
    mut sources: SourceMap,
    mut diagnostics: Diagnostics,
    env: Option<&environment::Environment>,
    environments: Vec<String>,
    memo: Option<&Memo>,
) -> Frontend {
    let shared_diagnostics = diagnostics.len();
    let first = documents.first().map(|(file, _)| *file);
    let mut platform = Platform::default();
    let applied = match env {
        Some(env) => {
            // The overrides edit the trees: this environment's own copy of any tree another reading shares.
            let mut owned: Vec<_> =
                documents.into_iter().map(|(f, d)| (f, Arc::try_unwrap(d).unwrap_or_else(|d| (*d).clone()))).collect();
            let applied = environment::apply(env, &mut owned, &mut diagnostics);
            stdlib::lower_into(&mut platform, &mut sources, &mut diagnostics);
            // Each syntax tree is dropped as soon as it is lowered, so the trees and the model never all coexist.
            for (file, doc) in owned {
                lower::lower_document(&doc, file, file.0 == 0, &mut platform, &mut diagnostics);
            }
            Some(applied)
        }
        None => {
            stdlib::lower_into(&mut platform, &mut sources, &mut diagnostics);
            for (file, doc) in documents {
                match memo {
                    Some(memo) => {
                        let path = &sources.get(file).path;
                        memo.lower(path, file, file.0 == 0, &doc, &mut platform, &mut diagnostics);
                    }
                    None => lower::lower_document(&doc, file, file.0 == 0, &mut platform, &mut diagnostics),
                }
            }
            None
        }
    };
    if platform.header.is_none()
        && !diagnostics.has_errors()
        && let Some(first) = &first
    {
        diagnostics.push(
            crate::diagnostic::Diagnostic::error("strata::platform::missing", "the spec has no `platform` node")
                .at(crate::source::Span::new(*first, 0, 0), "expected `platform \"<name>\"` in this file")
                .help("start the root spec with `platform \"acme-data\" { cluster context=\"prod\" }`"),
        );
    }
    if let (Some(env), Some(header)) = (env, platform.header.as_mut()) {
        header.environment = Some(env.name.clone());
        if let Some(context) = &env.context {
            header.context = Some(context.clone());
        }
    }
    Frontend { platform, sources, diagnostics, environments, applied, shared_diagnostics, unselected: false }
}
