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
}

#[derive(Debug)]
pub enum ReadError {
    NotFound,
    TooLarge(u64),
    IsDirectory,
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
        if meta.len() > limit {
            return Err(ReadError::TooLarge(meta.len()));
        }
        let file = std::fs::File::open(path).map_err(ReadError::Io)?;
        let mut buf = Vec::with_capacity(meta.len() as usize);
        // `take` guards against a file that grows between the stat and the read.
        file.take(limit + 1).read_to_end(&mut buf).map_err(ReadError::Io)?;
        if buf.len() as u64 > limit {
            return Err(ReadError::TooLarge(buf.len() as u64));
        }
        Ok(buf)
    }

    fn glob(&self, pattern: &Path) -> io::Result<Vec<PathBuf>> {
        let p = pattern.to_string_lossy();
        let paths = glob::glob(&p).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        let mut out: Vec<PathBuf> = paths.filter_map(Result::ok).filter(|p| p.is_file()).collect();
        out.sort();
        Ok(out)
    }
}

/// Removes `.` and folds `..` without touching the file system, so the same spec names the same files
/// whether it is read from disk or from git.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `path` relative to `base` when it lies inside it; the normalized path otherwise.
pub fn display_name(base: &Path, path: &Path) -> String {
    let p = normalize(path);
    let name = match p.strip_prefix(normalize(base)) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
        _ => p,
    };
    name.to_string_lossy().replace('\\', "/")
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
