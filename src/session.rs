//! A long-lived check of one spec, for `strata lsp` and `strata check --watch`: the files an editor has
//! open (unsaved text included) over the files on disk, and every environment's diagnostics after each
//! edit. Both front ends ask this one type, so an editor and the terminal never disagree with `strata
//! check` about a spec.
//!
//! An edit changes one file, so the session keeps each file's bytes (while its size and modification
//! time stay the same) and hands them to the ordinary loader through [`SpecFs`]: a check reads only the
//! files that changed. A [`Memo`] keeps each file's syntax tree (shared, not copied) and its lowered
//! part of the model (cloned into each result), so only a changed file is parsed and lowered again (in a
//! spec with environments, only parsed: see [`crate::lang::memo`]). The stages that read across
//! files (the checks: names, references, quotas, network flows; resolving; the census) run as `strata
//! check` runs them, on the whole platform, which is what makes the result exactly a full check's after
//! every edit.
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::lang::Memo;
use crate::lang::fs::{DiskFs, ReadError, SpecFs, normalize, path_order_key};
use crate::{Compilation, Stage};

/// One spec under edit: its root file and the editor buffers that shadow files on disk.
pub struct Session {
    root: PathBuf,
    overlay: Overlay,
    memo: Memo,
    checked: Vec<Compilation>,
    /// The result before the last, being freed on a thread of its own.
    freeing: Option<std::thread::JoinHandle<()>>,
}

impl Session {
    /// A session on the spec whose root file is `root` (a `platform.kdl`). Nothing is read until
    /// [`Session::check`].
    pub fn new(root: impl Into<PathBuf>) -> Session {
        let root = DiskFs.resolve(&root.into());
        Session { root, overlay: Overlay::default(), memo: Memo::new(), checked: Vec::new(), freeing: None }
    }

    /// The spec's root file, resolved as the loader resolves it.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// What an editor holds for `path`: `Some(text)` shadows the file on disk (an unsaved buffer, or a file
    /// not yet written); `None` drops the buffer, so the file on disk counts again.
    pub fn set_text(&mut self, path: &Path, text: Option<String>) {
        let path = DiskFs.resolve(path);
        match text {
            Some(text) => self.overlay.buffers.insert(path, text.into_bytes()),
            None => self.overlay.buffers.remove(&path),
        };
    }

    /// A file changed on disk (a save, a checkout, a generator): the next check reads it again. A file
    /// created or deleted needs no call (globs are listed afresh on every check), but one does no harm.
    /// A change is also seen without this call whenever it alters the file's size or modification time;
    /// the call covers a rewrite that keeps both.
    pub fn changed_on_disk(&mut self, path: &Path) {
        let path = DiskFs.resolve(path);
        lock(&self.overlay.disk).remove(&path);
    }

    /// Any file may have changed on disk (a watcher lost events): the next check reads every file again.
    pub fn forget_disk(&mut self) {
        lock(&self.overlay.disk).clear();
    }

    /// Checks the spec as it stands, every environment it declares (as `strata check` does), and returns
    /// one compilation per environment (one for a spec without environments), in declaration order.
    pub fn check(&mut self) -> &[Compilation] {
        // The last result is freed after the new one is handed out, on a thread of its own: freeing a large
        // platform's model takes milliseconds the editor need not wait for, and beside the check it would
        // take a core the check uses. Two results are held meanwhile; the next check waits for the freeing.
        if let Some(freeing) = self.freeing.take() {
            let _ = freeing.join();
        }
        let last = std::mem::replace(
            &mut self.checked,
            crate::compile_all_reusing(&self.overlay, &self.root, Stage::Count, &self.memo),
        );
        // Without a thread to spare, the old result is freed here.
        self.freeing = std::thread::Builder::new().spawn(move || drop(last)).ok();
        self.overlay.forget_unused();
        self.memo.sweep();
        &self.checked
    }

    /// The result of the last [`Session::check`].
    pub fn last(&self) -> &[Compilation] {
        &self.checked
    }

    /// The last result, for a front end that trims it before printing (`check --watch` drops notes
    /// without `--explain`); the next check replaces it whole.
    pub(crate) fn last_mut(&mut self) -> &mut [Compilation] {
        &mut self.checked
    }
}

/// mimalloc's option for how long freed memory stays mapped before it goes back to the system
/// (`mi_option_purge_delay` in `mimalloc.h`, the 16th option; its default is 1,000 ms).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// For a process that checks one spec again and again (`strata lsp`, `check --watch`): memory a check frees
/// is what the next check allocates again, so it stays mapped for 10 s after it is freed instead of 1 s.
/// Otherwise an edit after a pause of a second finds its pages returned and takes a page fault for each
/// one again (BENCHMARKS.md, "Incremental checking"). Only mimalloc's own heaps are affected; with another
/// global allocator the call changes nothing.
pub fn keep_freed_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return; // the user's own setting
    }
    // SAFETY: `mi_option_set` only stores a number mimalloc reads when it considers purging, and any value
    // is valid for this option (milliseconds, -1 for never). The callers set it at their start, before
    // they start threads of their own.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10_000) }
}

/// Editor buffers over the disk: reads and globs see an unsaved file exactly as if it were saved. Also
/// the session's memory of what it read, which only ever answers with what a fresh read would give.
#[derive(Default)]
struct Overlay {
    buffers: BTreeMap<PathBuf, Vec<u8>>,
    /// Bytes read from disk, with the size and modification time they were read at.
    disk: Mutex<HashMap<PathBuf, OnDisk>>,
    /// Files the current check asked for: what the caches keep once it is done.
    used: Mutex<HashSet<PathBuf>>,
}

/// How long after its modification time a file's size and time are trusted to identify its content: the
/// coarsest timestamp granularity of the file systems specs live on (FAT's 2 s; HFS+ and NFS 1 s).
const RACY: std::time::Duration = std::time::Duration::from_secs(2);

struct OnDisk {
    stamp: (u64, Option<SystemTime>),
    /// Shared, so a hit is copied out after the lock is released: the loader reads on all cores at once.
    bytes: Arc<Vec<u8>>,
}

/// The caches only ever hold complete entries, so one a panicking thread left behind is still sound.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Overlay {
    /// Drops what the last check did not read (a deleted file, one no longer included), so a session's
    /// memory stays the size of its spec.
    fn forget_unused(&mut self) {
        let used = std::mem::take(self.used.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner));
        lock(&self.disk).retain(|p, _| used.contains(p));
    }

    /// The files on disk a glob `found` (as walked, and resolved), and the buffers it matches (unsaved files
    /// included; a buffer's path is resolved already), in the order of the walked paths.
    fn glob_with(&self, pattern: &Path, mut found: Vec<(PathBuf, PathBuf)>) -> io::Result<Vec<(PathBuf, PathBuf)>> {
        let pat = glob::Pattern::new(&normalize(pattern).to_string_lossy())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        let opts = glob::MatchOptions { require_literal_separator: true, ..Default::default() };
        found.extend(self.buffers.keys().filter(|p| pat.matches_path_with(p, opts)).map(|p| (p.clone(), p.clone())));
        found.sort_by_cached_key(|(walked, _)| path_order_key(walked));
        found.dedup_by(|a, b| a.0 == b.0);
        Ok(found)
    }

    fn read_disk(&self, path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
        // A stat is a fraction of a read; anything but a regular file goes the whole way, so every refusal
        // (missing, a directory, a FIFO, too large) is DiskFs's own.
        let stamp = std::fs::metadata(path).ok().filter(|m| m.is_file()).map(|m| (m.len(), m.modified().ok()));
        if let Some(stamp) = stamp
            && stamp.0 <= limit
            && let Some(hit) = lock(&self.disk).get(path).filter(|hit| hit.stamp == stamp).map(|hit| hit.bytes.clone())
        {
            return Ok(hit.to_vec());
        }
        let bytes = DiskFs.read(path, limit)?;
        // The stamp comes from before the read: a write racing it changes the stamp the next check sees. A
        // file modified within the file system's timestamp granularity of now could be rewritten at the
        // same length and time, so it is not cached until its time is safely past (git's "racy" rule);
        // nor is one whose time cannot be read.
        let settled = |t: &SystemTime| SystemTime::now().duration_since(*t).is_ok_and(|age| age >= RACY);
        if let Some(stamp) = stamp
            && stamp.1.as_ref().is_some_and(settled)
        {
            lock(&self.disk).insert(path.to_path_buf(), OnDisk { stamp, bytes: Arc::new(bytes.clone()) });
        }
        Ok(bytes)
    }
}

impl SpecFs for Overlay {
    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
        // The loader asks with paths it has already resolved (through `resolve` below), the form the
        // buffers and the cache are keyed in, so a lookup needs no second resolve.
        lock(&self.used).insert(path.to_path_buf());
        match self.buffers.get(path) {
            Some(bytes) if bytes.len() as u64 > limit => Err(ReadError::TooLarge(bytes.len() as u64)),
            Some(bytes) => Ok(bytes.clone()),
            None => self.read_disk(path, limit),
        }
    }

    fn glob(&self, pattern: &Path) -> io::Result<Vec<PathBuf>> {
        let on_disk = DiskFs.glob(pattern)?.into_iter().map(|p| (p.clone(), p)).collect();
        Ok(self.glob_with(pattern, on_disk)?.into_iter().map(|(walked, _)| walked).collect())
    }

    fn glob_resolved(&self, pattern: &Path) -> io::Result<Vec<PathBuf>> {
        // In the order of the paths as walked, as a full check includes them: a link sorts by its own name.
        Ok(self.glob_with(pattern, DiskFs.glob_pairs(pattern)?)?.into_iter().map(|(_, resolved)| resolved).collect())
    }

    fn resolve(&self, path: &Path) -> PathBuf {
        DiskFs.resolve(path)
    }

    fn repository_root(&self, dir: &Path) -> Option<PathBuf> {
        DiskFs.repository_root(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::Session;

    /// The option number is mimalloc's purge delay: no other option of the linked library defaults to
    /// 1,000, and setting it reads back.
    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // SAFETY: reading and setting an option are plain stores and loads in mimalloc.
        let default = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        // This test is the test binary's only caller.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(default, 1_000);
        }
        super::keep_freed_memory();
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) }, 10_000);
    }

    #[test]
    fn an_unsaved_buffer_shadows_the_file_on_disk_until_it_is_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("platform.kdl");
        std::fs::write(&root, "platform \"p\"\ninclude \"t/*.kdl\"\n").expect("write");
        std::fs::create_dir(dir.path().join("t")).expect("mkdir");
        std::fs::write(dir.path().join("t/a.kdl"), "tenant \"a\"\n").expect("write");
        let mut s = Session::new(&root);
        let clean = s.check();
        assert!(clean.len() == 1 && clean[0].ok(), "{:?}", clean[0].diagnostics);
        assert_eq!(clean[0].platform.tenants.len(), 1);

        // A new, unsaved file joins the glob; a broken buffer is reported from the buffer's text.
        s.set_text(&dir.path().join("t/b.kdl"), Some("tenant \"b\"\n".into()));
        assert_eq!(s.check()[0].platform.tenants.len(), 2);
        s.set_text(&dir.path().join("t/a.kdl"), Some("tenant \"a\" {\n".into()));
        assert!(!s.check()[0].ok());

        s.set_text(&dir.path().join("t/a.kdl"), None);
        s.set_text(&dir.path().join("t/b.kdl"), None);
        let back = s.check();
        assert!(back[0].ok() && back[0].platform.tenants.len() == 1, "{:?}", back[0].diagnostics);
    }
}
