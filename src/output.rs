//! Writes a compiled platform to a directory, one file per object, atomically: the new tree is built next
//! to the target and swapped in only when complete, so a failed compile leaves the old output untouched,
//! and files of objects that no longer exist disappear with the old tree.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::manifest::RenderedSet;
use crate::render::{OutputFormat, file_path};

/// Marks a directory as strata's output, so strata never replaces a directory it did not write.
pub const MARKER: &str = ".strata-output";
const MARKER_TEXT: &str = "This directory is written by `strata compile --out` and replaced on every compile.\n";

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum OutputError {
    #[error("`{0}` exists and is not a directory")]
    #[diagnostic(code(strata::output::not_a_directory), help("choose another --out path"))]
    NotADirectory(PathBuf),
    #[error("`{0}` is not empty and was not written by strata")]
    #[diagnostic(
        code(strata::output::foreign_directory),
        help(
            "strata replaces its --out directory whole; point it at an empty or new directory, or at one it wrote before (those contain `.strata-output`)"
        )
    )]
    ForeignDirectory(PathBuf),
    #[error("cannot write `{path}`: {source}")]
    #[diagnostic(code(strata::output::io), help("check that the directory is writable and the disk has space"))]
    Io { path: PathBuf, source: io::Error },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io { path: path.to_path_buf(), source }
}

/// Replaces `dir` with the objects of `set`, each rendered as a file
/// ([`crate::render::Layout::Files`]). Returns the number of files written.
pub fn write_dir(set: &RenderedSet, dir: &Path, format: OutputFormat) -> Result<usize, OutputError> {
    replace_dir(dir, |staging| fill(set, staging, format))
}

/// Replaces `dir` with one folder per environment (`dir/<environment>/...`, each laid out as
/// [`write_dir`] lays out one platform), all in one swap: an environment removed from the spec leaves no
/// stale folder behind, and a failed write leaves the previous output whole.
pub fn write_envs(sets: &[(&str, &RenderedSet)], dir: &Path, format: OutputFormat) -> Result<usize, OutputError> {
    replace_dir(dir, |staging| {
        fs::create_dir_all(staging).map_err(io_err(staging))?;
        fs::write(staging.join(MARKER), MARKER_TEXT).map_err(io_err(staging))?;
        let mut written = 0;
        for (env, set) in sets {
            written += fill(set, &staging.join(env), format)?;
        }
        Ok(written)
    })
}

/// Fills a staging folder beside `dir` with `fill`, then swaps it in for `dir`, never leaving the user
/// without an output and never replacing a folder strata did not write.
fn replace_dir(dir: &Path, fill: impl FnOnce(&Path) -> Result<usize, OutputError>) -> Result<usize, OutputError> {
    if dir.exists() {
        if !dir.is_dir() {
            return Err(OutputError::NotADirectory(dir.to_path_buf()));
        }
        let is_ours = dir.join(MARKER).is_file();
        let is_empty = fs::read_dir(dir).map_err(io_err(dir))?.next().is_none();
        if !is_ours && !is_empty {
            return Err(OutputError::ForeignDirectory(dir.to_path_buf()));
        }
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io_err(&parent))?;
    let base = dir.file_name().map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let staging = parent.join(format!(".{base}.strata-new-{}", std::process::id()));
    let retired = parent.join(format!(".{base}.strata-old-{}", std::process::id()));

    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(io_err(&staging))?;
    }
    let written = match fill(&staging) {
        Ok(n) => n,
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    if dir.exists() {
        fs::rename(dir, &retired).map_err(|e| {
            let _ = fs::remove_dir_all(&staging);
            io_err(dir)(e)
        })?;
        if let Err(e) = fs::rename(&staging, dir) {
            // Put the previous output back; the user is never left without one.
            let _ = fs::rename(&retired, dir);
            let _ = fs::remove_dir_all(&staging);
            return Err(io_err(dir)(e));
        }
        remove_tree(&retired);
    } else {
        fs::rename(&staging, dir).map_err(|e| {
            let _ = fs::remove_dir_all(&staging);
            io_err(dir)(e)
        })?;
    }
    Ok(written)
}

/// Removes the previous output, best effort: its subdirectories on all cores (unlinking thousands of files
/// costs about as much as writing them).
fn remove_tree(dir: &Path) {
    let subdirs: Vec<PathBuf> = fs::read_dir(dir)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    crate::parallel::map(&subdirs, |d| fs::remove_dir_all(d));
    let _ = fs::remove_dir_all(dir);
}

fn fill(set: &RenderedSet, staging: &Path, format: OutputFormat) -> Result<usize, OutputError> {
    if staging.exists() {
        fs::remove_dir_all(staging).map_err(io_err(staging))?;
    }
    fs::create_dir_all(staging).map_err(io_err(staging))?;
    fs::write(staging.join(MARKER), MARKER_TEXT).map_err(io_err(staging))?;
    let files: Vec<(PathBuf, &str)> =
        set.items.iter().map(|o| (staging.join(file_path(&o.header, format)), o.text.as_str())).collect();
    let mut dirs_made = std::collections::HashSet::new();
    for (path, _) in &files {
        if let Some(p) = path.parent()
            && dirs_made.insert(p)
        {
            fs::create_dir_all(p).map_err(io_err(p))?;
        }
    }
    // Creating fifteen thousand files is most of a large compile's time: spread it over the cores.
    for written in crate::parallel::map(&files, |(path, text)| fs::write(path, text).map_err(io_err(path))) {
        written?;
    }
    Ok(set.items.len())
}
