//! A long-lived check of one spec, for `strata lsp` and `strata check --watch`: the files an editor has
//! open (unsaved text included) over the files on disk, and every environment's diagnostics after each
//! edit. Both front ends ask this one type, so an editor and the terminal never disagree with `strata
//! check` about a spec.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::lang::fs::{DiskFs, ReadError, SpecFs, normalize};
use crate::{Compilation, Stage};

/// One spec under edit: its root file and the editor buffers that shadow files on disk.
pub struct Session {
    root: PathBuf,
    overlay: Overlay,
    checked: Vec<Compilation>,
}

impl Session {
    /// A session on the spec whose root file is `root` (a `platform.kdl`). Nothing is read until
    /// [`Session::check`].
    pub fn new(root: impl Into<PathBuf>) -> Session {
        let root = DiskFs.resolve(&root.into());
        Session { root, overlay: Overlay::default(), checked: Vec::new() }
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

    /// A file changed on disk (a save, a checkout, a generator): the next check reads it again.
    pub fn changed_on_disk(&mut self, _path: &Path) {}

    /// Checks the spec as it stands, every environment it declares (as `strata check` does), and returns
    /// one compilation per environment (one for a spec without environments), in declaration order.
    pub fn check(&mut self) -> &[Compilation] {
        self.checked = crate::compile_all(&self.overlay, &self.root, Stage::Count);
        &self.checked
    }

    /// The result of the last [`Session::check`].
    pub fn last(&self) -> &[Compilation] {
        &self.checked
    }
}

/// Editor buffers over the disk: reads and globs see an unsaved file exactly as if it were saved.
#[derive(Default)]
struct Overlay {
    buffers: BTreeMap<PathBuf, Vec<u8>>,
}

impl SpecFs for Overlay {
    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
        match self.buffers.get(&DiskFs.resolve(path)) {
            Some(bytes) if bytes.len() as u64 > limit => Err(ReadError::TooLarge(bytes.len() as u64)),
            Some(bytes) => Ok(bytes.clone()),
            None => DiskFs.read(path, limit),
        }
    }

    fn glob(&self, pattern: &Path) -> io::Result<Vec<PathBuf>> {
        let mut found = DiskFs.glob(pattern)?;
        let pat = glob::Pattern::new(&normalize(pattern).to_string_lossy())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        let opts = glob::MatchOptions { require_literal_separator: true, ..Default::default() };
        found.extend(self.buffers.keys().filter(|p| pat.matches_path_with(p, opts)).cloned());
        found.sort();
        found.dedup();
        Ok(found)
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
