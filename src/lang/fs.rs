//! Where spec files come from. The working tree for `check`/`compile`, a git revision for `diff --base`:
//! the loader only sees this trait, so both paths share every rule (includes, limits, diagnostics).

use std::io;
use std::path::{Component, Path, PathBuf};

/// `Sync` because the files of a glob are read and parsed in parallel.
pub trait SpecFs: Sync {
    /// The file's bytes, or an error; must refuse files over `limit` bytes without reading them whole.
    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, ReadError>;
    /// Files matching a glob pattern (`*`, `?`, `[...]`, `**`), sorted so includes are deterministic.
    fn glob(&self, pattern: &Path) -> io::Result<Vec<PathBuf>>;
    /// [`SpecFs::glob`]'s matches, in its order, each as [`SpecFs::resolve`] gives it: what the loader
    /// includes. A store that can resolve its matches more cheaply than one by one overrides it.
    fn glob_resolved(&self, pattern: &Path) -> io::Result<Vec<PathBuf>> {
        Ok(self.glob(pattern)?.iter().map(|m| self.resolve(m)).collect())
    }
    /// The path as the file system resolves it: `..` is the parent of the real directory (after symbolic
    /// links), not of the text before it. Only stores that know real directories override the textual form.
    fn resolve(&self, path: &Path) -> PathBuf {
        normalize(path)
    }
    /// The top level of the repository that contains `dir`, in the same form as the loader's paths: the
    /// second folder includes may read from without `--allow-include-outside`.
    fn repository_root(&self, _dir: &Path) -> Option<PathBuf> {
        None
    }
    /// True when includes may leave the spec's folder and repository (`--allow-include-outside`).
    fn include_outside_allowed(&self) -> bool {
        false
    }
}

/// Any store with the include policy lifted: what `--allow-include-outside` wraps the file system in.
pub struct AllowOutside<'a>(pub &'a dyn SpecFs);

impl SpecFs for AllowOutside<'_> {
    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
        self.0.read(path, limit)
    }
    fn glob(&self, pattern: &Path) -> io::Result<Vec<PathBuf>> {
        self.0.glob(pattern)
    }
    fn glob_resolved(&self, pattern: &Path) -> io::Result<Vec<PathBuf>> {
        self.0.glob_resolved(pattern)
    }
    fn resolve(&self, path: &Path) -> PathBuf {
        self.0.resolve(path)
    }
    fn repository_root(&self, dir: &Path) -> Option<PathBuf> {
        self.0.repository_root(dir)
    }
    fn include_outside_allowed(&self) -> bool {
        true
    }
}

/// A glob walks at most this many directory entries: a pattern such as `**/*.kdl` over a huge tree (or the
/// whole file system, with `--allow-include-outside`) ends in an error instead of an endless walk. Ten
/// entries per file of [`crate::lang::load::MAX_FILES`], so one `**` glob can still reach a platform at
/// that limit through its folders (and a repository's other files).
pub const MAX_WALK_ENTRIES: usize = 1_000_000;
/// `**` descends at most this deep.
pub const MAX_WALK_DEPTH: usize = 32;

#[derive(Debug)]
pub enum ReadError {
    NotFound,
    TooLarge(u64),
    IsDirectory,
    /// A FIFO, socket or device: reading one can block forever or never end.
    NotAFile,
    Io(io::Error),
}

/// The local file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct DiskFs;

impl SpecFs for DiskFs {
    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
        use std::io::Read;
        let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => ReadError::NotFound,
            _ => ReadError::Io(e),
        })?;
        if meta.is_dir() {
            return Err(ReadError::IsDirectory);
        }
        if !meta.is_file() {
            return Err(ReadError::NotAFile);
        }
        if meta.len() > limit {
            return Err(ReadError::TooLarge(meta.len()));
        }
        // Non-blocking, and checked again on the open file: a FIFO swapped in after the stat must neither
        // block the open nor be read.
        let file = open_nonblocking(path).map_err(ReadError::Io)?;
        let meta = file.metadata().map_err(ReadError::Io)?;
        if !meta.is_file() {
            return Err(ReadError::NotAFile);
        }
        let mut buf = Vec::with_capacity(meta.len() as usize);
        // `take` guards against a file that grows between the stat and the read.
        file.take(limit + 1).read_to_end(&mut buf).map_err(ReadError::Io)?;
        if buf.len() as u64 > limit {
            return Err(ReadError::TooLarge(buf.len() as u64));
        }
        Ok(buf)
    }

    fn glob(&self, pattern: &Path) -> io::Result<Vec<PathBuf>> {
        Ok(walk_glob(pattern)?.paths.into_iter().map(|(path, _)| path).collect())
    }

    /// Resolving a match costs a system call per folder of its path (`canonicalize`), and a platform's
    /// globs match thousands of files. The walk starts at one folder and never follows a link into another,
    /// so a match that is a regular file (not a link) resolves to the walk's folder, resolved once, joined
    /// with the rest of its path; only links are resolved one by one.
    fn glob_resolved(&self, pattern: &Path) -> io::Result<Vec<PathBuf>> {
        Ok(self.glob_pairs(pattern)?.into_iter().map(|(_, resolved)| resolved).collect())
    }

    fn resolve(&self, path: &Path) -> PathBuf {
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        if let Ok(real) = std::fs::canonicalize(&absolute) {
            return real;
        }
        // A file that does not exist (yet): resolve its folder, keep its name for the message.
        match (absolute.parent(), absolute.file_name()) {
            (Some(dir), Some(name)) => match std::fs::canonicalize(dir) {
                Ok(real) => real.join(name),
                Err(_) => normalize(&absolute),
            },
            _ => normalize(&absolute),
        }
    }

    fn repository_root(&self, dir: &Path) -> Option<PathBuf> {
        // A `.git` folder (a clone) or file (a worktree, a submodule) marks the top level, as for git itself.
        dir.ancestors().find(|d| d.join(".git").exists()).map(Path::to_path_buf)
    }
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> io::Result<std::fs::File> {
    std::fs::File::open(path)
}

impl DiskFs {
    /// [`SpecFs::glob`]'s matches in its order, each with its resolved form ([`SpecFs::glob_resolved`]).
    pub(crate) fn glob_pairs(&self, pattern: &Path) -> io::Result<Vec<(PathBuf, PathBuf)>> {
        let walk = walk_glob(pattern)?;
        let real_base = std::fs::canonicalize(&walk.base).ok().filter(|_| !walk.base.as_os_str().is_empty());
        Ok(walk
            .paths
            .into_iter()
            .map(|(path, regular)| {
                let resolved = match (&real_base, path.strip_prefix(&walk.base)) {
                    (Some(real), Ok(rest)) if regular => real.join(rest),
                    _ => self.resolve(&path),
                };
                (path, resolved)
            })
            .collect())
    }
}

/// What a glob matched: each file with whether it is a regular file (not a link to one), sorted by path,
/// and the folder the walk started from (every path begins with it).
struct Walk {
    base: PathBuf,
    paths: Vec<(PathBuf, bool)>,
}

/// Matches a glob by walking from its literal prefix, component by component, with a bound on the entries
/// visited. Symbolic links to folders are not descended (a link cycle cannot loop); links to files match.
fn walk_glob(pattern: &Path) -> io::Result<Walk> {
    let invalid = |e: glob::PatternError| io::Error::new(io::ErrorKind::InvalidInput, e.to_string());
    let comps: Vec<Component> = pattern.components().collect();
    let first = comps.iter().position(|c| is_glob(&c.as_os_str().to_string_lossy())).unwrap_or(comps.len());
    if first == comps.len() {
        // No folder to start from: the one file resolves on its own.
        let paths = if pattern.is_file() { vec![(pattern.to_path_buf(), false)] } else { Vec::new() };
        return Ok(Walk { base: PathBuf::new(), paths });
    }
    let base: PathBuf = comps[..first].iter().collect();
    let rest = &comps[first..];
    let recursive = rest.iter().any(|c| c.as_os_str() == "**");
    let max_depth = if recursive { MAX_WALK_DEPTH } else { rest.len() };
    let pat = glob::Pattern::new(&pattern.to_string_lossy()).map_err(invalid)?;
    let opts = glob::MatchOptions { require_literal_separator: true, ..Default::default() };
    let mut out = Vec::new();
    let mut visited = 0usize;
    let mut todo = vec![(base.clone(), 1usize)];
    while let Some((dir, depth)) = todo.pop() {
        let listing = if dir.as_os_str().is_empty() { Path::new(".") } else { dir.as_path() };
        let Ok(entries) = std::fs::read_dir(listing) else { continue };
        for entry in entries.flatten() {
            visited += 1;
            if visited > MAX_WALK_ENTRIES {
                return Err(io::Error::other(format!(
                    "the pattern reaches more than {MAX_WALK_ENTRIES} files and folders; narrow it"
                )));
            }
            let path = dir.join(entry.file_name());
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                if depth < max_depth {
                    todo.push((path, depth + 1));
                }
            } else if pat.matches_path_with(&path, opts) {
                // The entry's own type answers for a regular file; only a link needs its target looked at.
                let regular = kind.is_file();
                if regular || path.is_file() {
                    out.push((path, regular));
                }
            }
        }
    }
    // In `Path` order (component by component), by a key that compares as bytes: a separator sorts below
    // every byte a name can hold. Comparing paths component-wise is most of what listing a large folder costs.
    out.sort_by_cached_key(|(path, _)| path_order_key(path));
    Ok(Walk { base, paths: out })
}

/// A key whose byte order is `Path`'s order for the clean paths a walk builds (no `.`, `..` or doubled
/// separators): each separator becomes the lowest byte, which no file name contains.
pub(crate) fn path_order_key(path: &Path) -> Vec<u8> {
    let bytes = path.as_os_str().as_encoded_bytes();
    bytes.iter().map(|&b| if std::path::is_separator(char::from(b)) { 0 } else { b }).collect()
}

/// Removes `.` and folds `..` without touching the file system, so the same spec names the same files
/// whether it is read from disk or from git.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            // `..` cancels only a folder name: never another `..` (`../../x` stays two levels up) nor the
            // root (`/..` is `/`).
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// True when `path` is `root` or lies below it (both in the loader's form: normalized, and both absolute or
/// both relative to the same folder).
pub fn within(path: &Path, root: &Path) -> bool {
    let (path, root) = (normalize(path), normalize(root));
    path.strip_prefix(&root).is_ok_and(|rest| rest.components().all(|c| matches!(c, Component::Normal(_))))
}

/// `path` relative to `base` (climbing with `..` when it lies beside it), so names read the same on every
/// machine; the normalized path when the two share no folder.
pub fn display_name(base: &Path, path: &Path) -> String {
    let p = normalize(path);
    let b = normalize(base);
    let name = match p.strip_prefix(&b) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
        _ => relative(&b, &p).unwrap_or(p),
    };
    name.to_string_lossy().replace('\\', "/")
}

/// `path` from `base` through their deepest common folder, when they have one below the root.
fn relative(base: &Path, path: &Path) -> Option<PathBuf> {
    let b: Vec<Component> = base.components().collect();
    let p: Vec<Component> = path.components().collect();
    let common = b.iter().zip(&p).take_while(|(x, y)| x == y).count();
    let shared_folders = b[..common].iter().filter(|c| matches!(c, Component::Normal(_))).count();
    if shared_folders == 0 || b[common..].iter().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    out.extend(&p[common..]);
    Some(out)
}

pub fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// An in-memory file system: for tests, fuzzing and embedding strata where specs do not live on disk.
#[derive(Debug, Default, Clone)]
pub struct MemFs {
    files: std::collections::BTreeMap<PathBuf, Vec<u8>>,
}

impl MemFs {
    pub fn new() -> Self {
        Self::default()
    }

    #[must_use]
    pub fn with(mut self, path: impl Into<PathBuf>, contents: impl Into<Vec<u8>>) -> Self {
        self.insert(path, contents);
        self
    }

    pub fn insert(&mut self, path: impl Into<PathBuf>, contents: impl Into<Vec<u8>>) {
        self.files.insert(normalize(&path.into()), contents.into());
    }
}

impl SpecFs for MemFs {
    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
        let bytes = self.files.get(&normalize(path)).ok_or(ReadError::NotFound)?;
        if bytes.len() as u64 > limit {
            return Err(ReadError::TooLarge(bytes.len() as u64));
        }
        Ok(bytes.clone())
    }

    fn glob(&self, pattern: &Path) -> io::Result<Vec<PathBuf>> {
        let pat = glob::Pattern::new(&normalize(pattern).to_string_lossy())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        let opts = glob::MatchOptions { require_literal_separator: true, ..Default::default() };
        Ok(self.files.keys().filter(|p| pat.matches_path_with(p, opts)).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    /// The walk's sort key orders paths as `Path` does, where a separator and the bytes below `/` meet.
    #[test]
    fn the_walk_sorts_as_paths_sort() {
        let names = ["a", "a-b", "a/b", "a/b-c", "a/b/c", "a.b", "a0", "a b", "a!", "ab", "a/-", "a/.x", "b", "A", "é"];
        let mut by_path: Vec<PathBuf> = names.iter().map(|n| PathBuf::from("/spec").join(n)).collect();
        let mut by_key = by_path.clone();
        by_path.sort();
        by_key.sort_by_cached_key(|p| super::path_order_key(p));
        assert_eq!(by_key, by_path);
    }
}
