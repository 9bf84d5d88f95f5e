//! What a long-lived reader of one spec (the session behind `strata lsp` and `check --watch`) keeps
//! between two readings: each file's syntax tree and line table, keyed by its exact text, and each file's
//! part of the lowered model, keyed by the tree it was lowered from. An edit changes one file; with this
//! the next reading parses and lowers that file only, and joins the other files' kept parts in file order.
//!
//! Nothing here can make a reading differ from a fresh one: a tree is reused only for byte-identical
//! text, and a lowered part only for the very same tree at the same [`FileId`] (diagnostics and spans name
//! files by id, which the loader hands out in include order, so a file added or removed early in that
//! order lowers every later file again). Lowering one file reads nothing but that file (it only appends
//! to the model's lists; [`Platform::append`]), so its part does not depend on the others; a kept part is
//! cloned into each new platform. A spec read as an environment lowers the trees its overrides produced,
//! copied for each environment on every reading: only its parsing is reused.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use kdl::KdlDocument;

use crate::diagnostic::Diagnostics;
use crate::model::Platform;
use crate::source::FileId;

/// The reusable results of earlier readings. Create one per spec and pass it to every reading of it
/// ([`crate::compile_all_reusing`]); [`Memo::sweep`] after each reading keeps it the size of the spec.
#[derive(Default)]
pub struct Memo {
    parsed: Mutex<HashMap<PathBuf, Parsed>>,
    lowered: Mutex<HashMap<PathBuf, Lowered>>,
    /// The files the current reading asked about: what [`Memo::sweep`] keeps.
    used: Mutex<HashSet<PathBuf>>,
}

/// A file that parsed: its text, line table and syntax tree.
#[derive(Clone)]
pub(crate) struct Parsed {
    pub text: Arc<str>,
    pub lines: Arc<[u32]>,
    pub doc: Arc<KdlDocument>,
}

/// One file's part of the model and the diagnostics lowering it gave.
struct Lowered {
    file: FileId,
    is_root: bool,
    doc: Arc<KdlDocument>,
    part: Platform,
    diagnostics: Diagnostics,
}

/// The maps only ever hold complete entries, so one a panicking thread left behind is still sound.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Memo {
    pub fn new() -> Memo {
        Memo::default()
    }

    /// The parse of `path` kept from a reading of exactly `bytes`.
    pub(crate) fn parsed(&self, path: &Path, bytes: &[u8]) -> Option<Parsed> {
        lock(&self.used).insert(path.to_path_buf());
        // Compared outside the lock: the loader asks from every core at once.
        let kept = lock(&self.parsed).get(path).cloned()?;
        (kept.text.as_bytes() == bytes).then_some(kept)
    }

    pub(crate) fn keep_parsed(&self, path: &Path, parsed: Parsed) {
        lock(&self.used).insert(path.to_path_buf());
        lock(&self.parsed).insert(path.to_path_buf(), parsed);
    }

    /// Lowers `doc` (file `file` at `path`) into `p` as [`crate::lang::lower::lower_document`] does, from the
    /// part kept for the same tree at the same id if there is one.
    pub(crate) fn lower(
        &self,
        path: &Path,
        file: FileId,
        is_root: bool,
        doc: &Arc<KdlDocument>,
        p: &mut Platform,
        d: &mut Diagnostics,
    ) {
        lock(&self.used).insert(path.to_path_buf());
        let reuse = |l: &Lowered| l.file == file && l.is_root == is_root && Arc::ptr_eq(&l.doc, doc);
        let kept = lock(&self.lowered).get(path).filter(|l| reuse(l)).map(|l| (l.part.clone(), l.diagnostics.clone()));
        let (part, diagnostics) = match kept {
            Some(kept) => kept,
            None => {
                let mut part = Platform::default();
                let mut diagnostics = Diagnostics::new();
                crate::lang::lower::lower_document(doc, file, is_root, &mut part, &mut diagnostics);
                let lowered =
                    Lowered { file, is_root, doc: doc.clone(), part: part.clone(), diagnostics: diagnostics.clone() };
                lock(&self.lowered).insert(path.to_path_buf(), lowered);
                (part, diagnostics)
            }
        };
        p.append(part);
        d.extend(diagnostics);
    }

    /// Forgets every file the readings since the last sweep did not ask about (deleted, no longer
    /// included, or no longer parsing).
    pub fn sweep(&self) {
        let used = std::mem::take(&mut *lock(&self.used));
        lock(&self.parsed).retain(|p, _| used.contains(p));
        lock(&self.lowered).retain(|p, _| used.contains(p));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;

    use super::Memo;
    use crate::lang::MemFs;

    /// The model's debug form without the tenant name index (a hash map, whose order differs between runs).
    pub(crate) fn model(p: &crate::model::Platform) -> String {
        let debug = format!("{p:?}");
        let start = debug.find("tenant_index: {").expect("the index is printed");
        let end = debug[start..].find("}, ").map_or(debug.len(), |e| start + e + 3);
        format!("{}{}", &debug[..start], &debug[end..])
    }

    /// Every golden spec without environments (every domain between them), read once through a memo and
    /// again from what it kept, gives the platform and diagnostics a single pass gives.
    #[test]
    fn every_golden_spec_lowers_the_same_file_by_file() {
        let mut compared = 0;
        for root in crate::test_support::golden_specs() {
            let plain = crate::lang::read_all(&crate::lang::DiskFs, &root);
            if plain.len() != 1 || !plain[0].environments.is_empty() {
                continue;
            }
            let memo = Memo::new();
            for _ in 0..2 {
                let reused = crate::lang::read_each_reusing(&crate::lang::DiskFs, &root, Some(&memo), |f| f).remove(0);
                assert_eq!(format!("{:?}", reused.diagnostics), format!("{:?}", plain[0].diagnostics), "{root:?}");
                assert_eq!(model(&reused.platform), model(&plain[0].platform), "{root:?}");
                memo.sweep();
            }
            compared += 1;
        }
        assert!(compared >= 20, "only {compared} golden specs compared");
    }

    /// The file-by-file lowering a memo does gives the platform a single pass gives, diagnostics
    /// included, for a spec whose files hold a header, errors, and nodes of several domains.
    #[test]
    fn lowering_file_by_file_equals_one_pass() {
        let fs = MemFs::new()
            .with(
                "platform.kdl",
                "platform \"p\" {\n  operators { flink namespace=\"f\" }\n}\ninclude \"t/*.kdl\"\nsize \"s\" cpu=\"1\" memory=\"1Gi\"\n",
            )
            .with("t/a.kdl", "tenant \"a\" { quota cpu=\"4\" memory=\"8Gi\" pods=10 }\nkafka \"k\" namespace=\"kafka\" brokers=3\ntopic \"x\" cluster=\"k\" tenant=\"a\" partitions=3\n")
            .with("t/b.kdl", "tenant \"b\"\nplatform \"again\"\nbogus 1\nkafka-user \"u\" tenant=\"b\" cluster=\"k\"\n");
        let root = Path::new("platform.kdl");
        let plain = crate::lang::read(&fs, root);
        let memo = Memo::new();
        for _ in 0..2 {
            let reused = crate::lang::read_each_reusing(&fs, root, Some(&memo), |f| f).remove(0);
            assert_eq!(format!("{:?}", reused.diagnostics), format!("{:?}", plain.diagnostics));
            assert_eq!(model(&reused.platform), model(&plain.platform));
            assert_eq!(reused.platform.tenant("b").map(|t| t.name.value.as_str()), Some("b"));
            memo.sweep();
        }
    }
}
