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
use crate::source::{FileId, SourceMap};

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
    documents: Vec<(FileId, Arc<kdl::KdlDocument>)>,
    /// The files lowered while loading ([`load::load_lowering`]): only when the spec has no environments.
    lowered: Vec<(FileId, Box<load::LoweredFile>)>,
    sources: SourceMap,
    diagnostics: Diagnostics,
    envs: Vec<environment::Environment>,
    names: Vec<String>,
}

impl Spec {
    /// Reads the spec; `lower` lowers the files while loading them (see [`load::load_lowering`]), which
    /// only a reading that goes on to lower them wants, and a memo (which keeps the trees) rules out.
    fn read(fs: &dyn SpecFs, root: &Path, memo: Option<&Memo>, lower: bool) -> Self {
        let mut diagnostics = Diagnostics::new();
        let loaded = match memo {
            None if lower => load::load_lowering(fs, root, &mut diagnostics),
            _ => load::load_reusing(fs, root, memo, &mut diagnostics),
        };
        let (mut documents, mut lowered) = (loaded.documents, loaded.lowered);
        let envs = environment::extract(&mut documents, &mut diagnostics);
        if !envs.is_empty() && !lowered.is_empty() {
            // An environment's overrides may edit any file's tree: the files lowered before the loader met
            // the first environment are parsed again from their text (a file that parsed once parses the
            // same again; one that somehow did not keeps its lowered part, without the overrides).
            lowered.retain(|(file, _)| match parse::parse(&loaded.sources.get(*file).text) {
                Ok(doc) => {
                    documents.push((*file, Arc::new(doc)));
                    false
                }
                Err(_) => true,
            });
            documents.sort_by_key(|(file, _)| *file);
        }
        let names = envs.iter().map(|e| e.name.value.clone()).collect();
        Spec { documents, lowered, sources: loaded.sources, diagnostics, envs, names }
    }
}

/// One file's input to lowering: its tree, or its part lowered while loading.
enum Piece<T> {
    Tree(T),
    Lowered(Box<load::LoweredFile>),
}

/// Trees and lowered parts together, in file order (the order lowering must append them in).
fn in_file_order<T>(
    trees: Vec<(FileId, T)>,
    lowered: Vec<(FileId, Box<load::LoweredFile>)>,
) -> Vec<(FileId, Piece<T>)> {
    let mut pieces: Vec<(FileId, Piece<T>)> = trees.into_iter().map(|(f, t)| (f, Piece::Tree(t))).collect();
    if !lowered.is_empty() {
        pieces.extend(lowered.into_iter().map(|(f, l)| (f, Piece::Lowered(l))));
        pieces.sort_by_key(|(file, _)| *file);
    }
    pieces
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
    let Spec { documents, lowered, sources, mut diagnostics, envs, names } = Spec::read(fs, root, None, true);
    match environment::select(&envs, env) {
        Ok(chosen) => lower_as(in_file_order(documents, lowered), sources, diagnostics, chosen, names, None),
        Err(d) => {
            diagnostics.push(*d);
            Frontend::unselected(sources, diagnostics, names)
        }
    }
}

/// Reads the spec as environment `from`, in the place of environment `to`: `from`'s overrides, `to`'s name and
/// kube context (a promotion of `from` to `to`).
pub fn read_promoted(fs: &dyn SpecFs, root: &Path, from: &str, to: &str) -> Frontend {
    let Spec { documents, lowered, sources, mut diagnostics, envs, names } = Spec::read(fs, root, None, true);
    match (environment::select(&envs, Some(from)), environment::select(&envs, Some(to))) {
        (Ok(Some(source)), Ok(Some(target))) => {
            let pieces = in_file_order(documents, lowered);
            let mut front = lower_as(pieces, sources, diagnostics, Some(source), names, None);
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
    read_each_lowering(fs, root, memo, true, then)
}

/// [`read_each_reusing`]; `lower` lowers the files while loading them ([`load::load_lowering`]), which
/// must not change the result (`tests::lowering_while_loading_is_lowering_the_trees`).
fn read_each_lowering<R: Send>(
    fs: &dyn SpecFs,
    root: &Path,
    memo: Option<&Memo>,
    lower: bool,
    then: impl Fn(Frontend) -> R + Sync,
) -> Vec<R> {
    let Spec { documents, lowered, sources, diagnostics, envs, names } = Spec::read(fs, root, memo, lower);
    if envs.is_empty() {
        return vec![then(lower_as(in_file_order(documents, lowered), sources, diagnostics, None, names, memo))];
    }
    // With environments every file is a tree (see `Spec::read`), which each environment lowers on its own.
    crate::parallel::map(&envs, |env| {
        let pieces = in_file_order(documents.clone(), lowered.clone());
        then(lower_as(pieces, sources.clone(), diagnostics.clone(), Some(env), names.clone(), memo))
    })
}

/// The environments `root` declares, without lowering anything (for the CLI to list them).
pub fn environments(fs: &dyn SpecFs, root: &Path) -> Vec<String> {
    Spec::read(fs, root, None, false).names
}

fn lower_as(
    documents: Vec<(FileId, Piece<Arc<kdl::KdlDocument>>)>,
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
            let mut owned = Vec::new();
            let mut parts = Vec::new();
            for (f, piece) in documents {
                match piece {
                    Piece::Tree(d) => owned.push((f, Arc::try_unwrap(d).unwrap_or_else(|d| (*d).clone()))),
                    Piece::Lowered(l) => parts.push((f, l)),
                }
            }
            let applied = environment::apply(env, &mut owned, &mut diagnostics);
            stdlib::lower_into(&mut platform, &mut sources, &mut diagnostics);
            // Each syntax tree is dropped as soon as it is lowered, so the trees and the model never all coexist.
            for (file, piece) in in_file_order(owned, parts) {
                match piece {
                    Piece::Tree(doc) => lower::lower_document(&doc, file, file.0 == 0, &mut platform, &mut diagnostics),
                    Piece::Lowered(l) => append_lowered(l, &mut platform, &mut diagnostics),
                }
            }
            Some(applied)
        }
        None => {
            stdlib::lower_into(&mut platform, &mut sources, &mut diagnostics);
            let parts: Vec<&Platform> = documents
                .iter()
                .filter_map(|(_, piece)| match piece {
                    Piece::Lowered(l) => Some(&l.part),
                    Piece::Tree(_) => None,
                })
                .collect();
            platform.reserve_for(&parts);
            for (file, piece) in documents {
                match (piece, memo) {
                    (Piece::Tree(doc), Some(memo)) => {
                        let path = &sources.get(file).path;
                        memo.lower(path, file, file.0 == 0, &doc, &mut platform, &mut diagnostics);
                    }
                    (Piece::Tree(doc), None) => {
                        lower::lower_document(&doc, file, file.0 == 0, &mut platform, &mut diagnostics)
                    }
                    (Piece::Lowered(l), _) => append_lowered(l, &mut platform, &mut diagnostics),
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

/// Adds a file lowered while loading, as lowering its tree at this point would have.
fn append_lowered(lowered: Box<load::LoweredFile>, platform: &mut Platform, diagnostics: &mut Diagnostics) {
    let load::LoweredFile { part, diagnostics: found } = *lowered;
    platform.append(part);
    diagnostics.extend(found);
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{Frontend, MemFs, SpecFs, read_each_lowering};

    /// A reading's platform (without the tenant index, a hash map) and diagnostics, as text to compare.
    fn outcome(f: &Frontend) -> (String, String, Vec<String>) {
        (super::memo::tests::model(&f.platform), format!("{:?}", f.diagnostics), f.environments.clone())
    }

    fn same_both_ways(fs: &dyn SpecFs, root: &Path) -> usize {
        let early: Vec<_> = read_each_lowering(fs, root, None, true, |f| outcome(&f));
        let trees: Vec<_> = read_each_lowering(fs, root, None, false, |f| outcome(&f));
        assert_eq!(early.len(), trees.len(), "{root:?}");
        for (e, t) in early.iter().zip(&trees) {
            assert_eq!(e.1, t.1, "{root:?}: diagnostics");
            assert_eq!(e.0, t.0, "{root:?}: platform");
            assert_eq!(e.2, t.2, "{root:?}: environments");
        }
        early.len()
    }

    /// Lowering each file as it is loaded (on the core that parsed it) gives the platform and diagnostics
    /// lowering the trees afterwards gives: every golden spec, each of its environments.
    #[test]
    fn lowering_while_loading_is_lowering_the_trees() {
        let readings: usize =
            crate::test_support::golden_specs().iter().map(|root| same_both_ways(&super::DiskFs, root)).sum();
        assert!(readings >= 30, "only {readings} readings compared");
    }

    /// The cases where a part lowered ahead of time cannot be used: a globbed file that includes more
    /// files, or fails to read or parse, moves the ids of the files after it (they are lowered again under
    /// the ids they got), and an environment declared in a file loaded after others were lowered has every
    /// file parsed again, so its overrides can edit them.
    #[test]
    fn files_whose_ids_move_and_late_environments_lower_as_the_trees_do() {
        let tenant = |n: &str| format!("tenant \"{n}\" {{ quota cpu=\"4\" memory=\"8Gi\" pods=10 }}\n");
        let fs = MemFs::new()
            .with("platform.kdl", "platform \"p\"\ninclude \"t/*.kdl\"\n")
            .with("t/a.kdl", format!("{}include \"../more/*.kdl\"\n", tenant("a")))
            .with("more/x.kdl", tenant("x"))
            .with("more/y.kdl", format!("{}bogus 1\n", tenant("y")))
            .with("t/b.kdl", "tenant \"b\" {\n")
            .with("t/c.kdl", tenant("c"))
            .with("t/d.kdl", format!("{}kafka \"k\" namespace=\"kafka\" brokers=3\n", tenant("d")));
        assert_eq!(same_both_ways(&fs, Path::new("platform.kdl")), 1);
        let with_env = fs
            .clone()
            .with("t/e.kdl", "environment \"prod\" {\n  (remove)tenant \"c\"\n}\nenvironment \"dev\"\n")
            .with("t/f.kdl", tenant("f"));
        assert_eq!(same_both_ways(&with_env, Path::new("platform.kdl")), 2);
    }
}
