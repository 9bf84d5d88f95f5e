//! A [`SpecFs`] over one git revision, for `strata diff --base REV`: the spec and every file it includes are
//! read from the revision's tree with the git CLI (`git ls-tree`, `git cat-file`), never from the working
//! tree, so a pull request is compared with exactly what is committed on its base branch.
//!
//! Paths come in as the loader builds them (relative to the current directory, or absolute) and are mapped
//! to paths inside the repository; the git CLI rather than a library keeps every repository layout git
//! itself understands (worktrees, `GIT_DIR`, alternates, partial clones) working.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};

use crate::diagnostic::Diagnostic;
use crate::lang::fs::{ReadError, SpecFs, normalize};

/// Symbolic links are followed at most this deep (a committed link cycle must not hang a CI job).
const MAX_SYMLINK_HOPS: usize = 8;

/// One revision of the repository that contains the current directory.
#[derive(Debug)]
pub struct GitFs {
    /// The working tree's top level; absolute spec paths are taken relative to it.
    toplevel: PathBuf,
    /// The current directory relative to `toplevel` (where relative spec paths start).
    prefix: PathBuf,
    /// The revision as the user wrote it, for messages.
    rev: String,
    /// The commit `rev` resolved to when it was opened, so every file comes from the same commit.
    commit: String,
    /// Folder listings already read: the files of one folder (a glob's matches) cost one `git ls-tree`.
    listings: Mutex<HashMap<String, Arc<Vec<TreeEntry>>>>,
    /// One `git cat-file --batch` for every file, started on first use: a platform split over hundreds
    /// of files must not cost hundreds of processes.
    blobs: Mutex<Option<Batch>>,
}

impl GitFs {
    /// Opens revision `rev` of the repository that contains `cwd`. Errors are ready-to-print diagnostics
    /// (not a repository, unknown revision, git missing).
    pub fn open(cwd: &Path, rev: &str) -> Result<GitFs, Box<Diagnostic>> {
        let out = git(cwd, &["rev-parse", "--show-toplevel", "--show-prefix"]).map_err(git_missing)?;
        if !out.status.success() {
            return Err(Box::new(Diagnostic::error(
                "strata::git::not-a-repository",
                format!("`{}` is not inside a git repository", cwd.display()),
            )
            .help("run `strata diff` from inside the repository, or compare two files on disk with `--base-spec PATH`")
            .note_line(format!("git: {}", first_line(&out.stderr)))));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut lines = stdout.lines();
        let toplevel = PathBuf::from(lines.next().unwrap_or_default());
        let prefix = PathBuf::from(lines.next().unwrap_or_default());

        if rev.is_empty() || rev.starts_with('-') {
            return Err(unknown_revision(rev, "a revision cannot be empty or start with `-`"));
        }
        let spec = format!("{rev}^{{commit}}");
        let out = git(cwd, &["rev-parse", "--verify", "--quiet", "--end-of-options", &spec]).map_err(git_missing)?;
        let commit = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !out.status.success() || commit.is_empty() {
            let detail = first_line(&out.stderr);
            return Err(unknown_revision(rev, if detail.is_empty() { "git does not know it" } else { &detail }));
        }
        Ok(GitFs {
            toplevel,
            prefix,
            rev: rev.to_string(),
            commit,
            listings: Mutex::default(),
            blobs: Mutex::default(),
        })
    }

    /// The revision as given (`origin/main`).
    pub fn rev(&self) -> &str {
        &self.rev
    }

    /// The full commit id the revision resolved to.
    pub fn commit(&self) -> &str {
        &self.commit
    }

    /// The path inside the repository (`/`-separated) of a loader path, or why there is none.
    fn repo_path(&self, path: &Path) -> Result<String, io::Error> {
        let rel = if path.is_absolute() {
            let p = normalize(path);
            match p.strip_prefix(&self.toplevel) {
                Ok(r) => r.to_path_buf(),
                Err(_) => return Err(outside(path)),
            }
        } else {
            normalize(&self.prefix.join(path))
        };
        if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(outside(path));
        }
        Ok(to_slash(&rel))
    }

    /// Maps a path inside the repository back to the form the loader uses (relative to the current
    /// directory, or absolute when the loader used absolute paths).
    fn caller_path(&self, repo_path: &str, absolute: bool) -> PathBuf {
        if absolute {
            return self.toplevel.join(repo_path);
        }
        let target = Path::new(repo_path);
        if let Ok(rel) = target.strip_prefix(&self.prefix) {
            return rel.to_path_buf();
        }
        // Outside the current directory: climb out of the prefix, then descend.
        let prefix: Vec<_> = self.prefix.components().collect();
        let target_parts: Vec<_> = target.components().collect();
        let common = prefix.iter().zip(&target_parts).take_while(|(a, b)| a == b).count();
        let mut out = PathBuf::new();
        for _ in common..prefix.len() {
            out.push("..");
        }
        for c in &target_parts[common..] {
            out.push(c.as_os_str());
        }
        out
    }

    /// `git ls-tree` entries under `path` (`recursive` lists every blob below a directory).
    fn ls_tree(&self, path: &str, recursive: bool) -> io::Result<Vec<TreeEntry>> {
        let mut args = vec!["--literal-pathspecs", "ls-tree", "-z", "-l", "--full-tree"];
        if recursive {
            args.push("-r");
        }
        args.push(&self.commit);
        if !path.is_empty() {
            args.push("--");
            args.push(path);
        }
        let out = git(&self.toplevel, &args)?;
        if !out.status.success() {
            return Err(io::Error::other(format!("git ls-tree failed: {}", first_line(&out.stderr))));
        }
        Ok(out.stdout.split(|b| *b == 0).filter(|r| !r.is_empty()).filter_map(TreeEntry::parse).collect())
    }

    fn read_repo_path(&self, repo_path: &str, limit: u64, hops: usize) -> Result<Vec<u8>, ReadError> {
        if repo_path.is_empty() {
            return Err(ReadError::IsDirectory);
        }
        let dir = repo_path.rsplit_once('/').map_or("", |(d, _)| d);
        let listing = self.listing(dir).map_err(ReadError::Io)?;
        let Some(entry) = listing.iter().find(|e| e.path == repo_path) else { return Err(ReadError::NotFound) };
        match entry.kind.as_str() {
            "tree" => return Err(ReadError::IsDirectory),
            "blob" => {}
            other => {
                return Err(ReadError::Io(io::Error::other(format!(
                    "`{repo_path}` is a {other} (a submodule?) at {}, not a file",
                    self.rev
                ))));
            }
        }
        if entry.mode == "120000" {
            // A symbolic link: its blob is the target path, relative to the link's folder.
            if hops >= MAX_SYMLINK_HOPS {
                return Err(ReadError::Io(io::Error::other(format!("too many symbolic links at `{repo_path}`"))));
            }
            let target = self.cat_file(&entry.object, 4096).map_err(ReadError::Io)?;
            let target = String::from_utf8_lossy(&target).into_owned();
            let dir = Path::new(repo_path).parent().unwrap_or(Path::new(""));
            let resolved = normalize(&dir.join(target.trim_end_matches('\n')));
            if resolved.is_absolute() || resolved.components().any(|c| !matches!(c, Component::Normal(_))) {
                return Err(ReadError::Io(io::Error::other(format!(
                    "`{repo_path}` is a symbolic link that leaves the repository"
                ))));
            }
            return self.read_repo_path(&to_slash(&resolved), limit, hops + 1);
        }
        if let Some(size) = entry.size
            && size > limit
        {
            return Err(ReadError::TooLarge(size));
        }
        let bytes = self.cat_file(&entry.object, limit).map_err(ReadError::Io)?;
        if bytes.len() as u64 > limit {
            return Err(ReadError::TooLarge(bytes.len() as u64));
        }
        Ok(bytes)
    }

    /// The entries of one folder of the revision (`""` is the top level), read once.
    fn listing(&self, dir: &str) -> io::Result<Arc<Vec<TreeEntry>>> {
        if let Some(l) = self.listings.lock().unwrap_or_else(PoisonError::into_inner).get(dir) {
            return Ok(l.clone());
        }
        // `dir/` lists the folder's contents; without a pathspec, the top level.
        let entries =
            Arc::new(if dir.is_empty() { self.ls_tree("", false)? } else { self.ls_tree(&format!("{dir}/"), false)? });
        self.listings.lock().unwrap_or_else(PoisonError::into_inner).insert(dir.to_string(), entries.clone());
        Ok(entries)
    }

    fn cat_file(&self, object: &str, limit: u64) -> io::Result<Vec<u8>> {
        let mut slot = self.blobs.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(Batch::start(&self.toplevel)?);
        }
        let batch = slot.as_mut().expect("just started");
        let result = batch.read(object, limit);
        if result.is_err() {
            // A broken batch process is not reused; the next read starts a fresh one.
            *slot = None;
        }
        result
    }
}

/// A running `git cat-file --batch`: object ids in, `<oid> <type> <size>` + contents out.
#[derive(Debug)]
struct Batch {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Batch {
    fn start(dir: &Path) -> io::Result<Batch> {
        let mut child = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["cat-file", "--batch"])
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or_else(|| io::Error::other("git cat-file has no stdout"))?;
        Ok(Batch { child, stdin, stdout: BufReader::new(stdout) })
    }

    fn read(&mut self, object: &str, limit: u64) -> io::Result<Vec<u8>> {
        let stdin = self.stdin.as_mut().ok_or_else(|| io::Error::other("git cat-file is closed"))?;
        writeln!(stdin, "{object}")?;
        stdin.flush()?;
        let mut header = String::new();
        self.stdout.read_line(&mut header)?;
        let mut f = header.split_whitespace();
        let (_, kind, size) = (f.next(), f.next(), f.next().and_then(|s| s.parse::<u64>().ok()));
        let (Some("blob"), Some(size)) = (kind, size) else {
            return Err(io::Error::other(format!("git cat-file: unexpected answer `{}`", header.trim())));
        };
        if size > limit {
            // Callers check the size with ls-tree first; this only guards the stream's memory. The batch
            // is dropped after an error, so the unread answer does not matter.
            return Err(io::Error::other(format!("`{object}` is {size} bytes, over the {limit}-byte limit")));
        }
        let mut bytes = vec![0; size as usize];
        self.stdout.read_exact(&mut bytes)?;
        let mut newline = [0u8; 1];
        self.stdout.read_exact(&mut newline)?;
        Ok(bytes)
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        // Closing stdin ends git's batch loop; wait so no zombie is left behind.
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

impl SpecFs for GitFs {
    fn repository_root(&self, dir: &Path) -> Option<PathBuf> {
        Some(self.caller_path("", dir.is_absolute()))
    }

    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
        let repo_path = self.repo_path(path).map_err(ReadError::Io)?;
        self.read_repo_path(&repo_path, limit, 0)
    }

    fn glob(&self, pattern: &Path) -> io::Result<Vec<PathBuf>> {
        let repo_pattern = self.repo_path(pattern)?;
        let matcher = glob::Pattern::new(&repo_pattern)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        // List only below the pattern's literal leading folders, not the whole repository.
        let literal: Vec<&str> =
            repo_pattern.split('/').take_while(|c| !crate::lang::fs::is_glob(c)).collect::<Vec<_>>();
        let base = if literal.len() == repo_pattern.split('/').count() {
            literal[..literal.len().saturating_sub(1)].join("/")
        } else {
            literal.join("/")
        };
        let options = glob::MatchOptions {
            case_sensitive: true,
            // `*` stays inside one folder, as it does when globbing the working tree.
            require_literal_separator: true,
            require_literal_leading_dot: false,
        };
        let mut out: Vec<PathBuf> = self
            .ls_tree(&base, true)?
            .into_iter()
            .filter(|e| e.kind == "blob" && matcher.matches_with(&e.path, options))
            .map(|e| self.caller_path(&e.path, pattern.is_absolute()))
            .collect();
        out.sort();
        Ok(out)
    }
}

/// One line of `git ls-tree -l -z`: `<mode> <type> <object> <size>\t<path>`.
#[derive(Debug)]
struct TreeEntry {
    mode: String,
    kind: String,
    object: String,
    size: Option<u64>,
    path: String,
}

impl TreeEntry {
    fn parse(record: &[u8]) -> Option<TreeEntry> {
        let text = String::from_utf8_lossy(record);
        let (meta, path) = text.split_once('\t')?;
        let mut f = meta.split_whitespace();
        Some(TreeEntry {
            mode: f.next()?.to_string(),
            kind: f.next()?.to_string(),
            object: f.next()?.to_string(),
            size: f.next().and_then(|s| s.parse().ok()),
            path: path.to_string(),
        })
    }
}

fn git(dir: &Path, args: &[&str]) -> io::Result<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        // Reads must never block on a pager, a credential prompt or a lazy fetch in a partial clone.
        .env("GIT_PAGER", "cat")
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .output()
}

fn git_missing(e: io::Error) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error("strata::git::unavailable", format!("cannot run `git`: {e}"))
            .help("install git and make sure it is on PATH, or compare two files on disk with `--base-spec PATH`"),
    )
}

fn unknown_revision(rev: &str, detail: &str) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error("strata::git::unknown-revision", format!("unknown revision `{rev}`"))
            .help(
                "name a branch, tag or commit that exists locally; in CI fetch the base first \
             (`git fetch origin main`, or `fetch-depth: 0` with actions/checkout)",
            )
            .note_line(format!("git: {detail}")),
    )
}

fn outside(path: &Path) -> io::Error {
    io::Error::other(format!("`{}` is outside the git repository", path.display()))
}

fn first_line(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let line = s.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    line.strip_prefix("fatal: ").unwrap_or(line).to_string()
}

fn to_slash(p: &Path) -> String {
    p.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ls_tree_records() {
        let e = TreeEntry::parse(b"100644 blob 0123abcd     42\ttenants/a b.kdl").expect("parses");
        assert_eq!((e.mode.as_str(), e.kind.as_str(), e.object.as_str()), ("100644", "blob", "0123abcd"));
        assert_eq!((e.size, e.path.as_str()), (Some(42), "tenants/a b.kdl"));
        let t = TreeEntry::parse(b"040000 tree 0123abcd       -\ttenants").expect("parses");
        assert_eq!((t.kind.as_str(), t.size), ("tree", None));
        assert!(TreeEntry::parse(b"garbage").is_none());
    }

    fn fs(prefix: &str) -> GitFs {
        GitFs {
            toplevel: PathBuf::from("/repo"),
            prefix: PathBuf::from(prefix),
            rev: "main".into(),
            commit: "0".repeat(40),
            listings: Mutex::default(),
            blobs: Mutex::default(),
        }
    }

    #[test]
    fn maps_loader_paths_into_the_repository_and_back() {
        let g = fs("infra/");
        assert_eq!(g.repo_path(Path::new("platform.kdl")).expect("inside"), "infra/platform.kdl");
        assert_eq!(g.repo_path(Path::new("tenants/../x.kdl")).expect("inside"), "infra/x.kdl");
        assert_eq!(g.repo_path(Path::new("../shared/a.kdl")).expect("inside"), "shared/a.kdl");
        assert_eq!(g.repo_path(Path::new("/repo/infra/p.kdl")).expect("inside"), "infra/p.kdl");
        assert!(g.repo_path(Path::new("../../etc/passwd")).is_err());
        assert!(g.repo_path(Path::new("/etc/passwd")).is_err());
        assert_eq!(g.caller_path("infra/tenants/a.kdl", false), PathBuf::from("tenants/a.kdl"));
        assert_eq!(g.caller_path("shared/a.kdl", false), PathBuf::from("../shared/a.kdl"));
        assert_eq!(g.caller_path("shared/a.kdl", true), PathBuf::from("/repo/shared/a.kdl"));
        assert_eq!(fs("").caller_path("tenants/a.kdl", false), PathBuf::from("tenants/a.kdl"));
    }
}
