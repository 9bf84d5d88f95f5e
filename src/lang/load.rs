//! Reads the root spec and everything it includes, parses each file as KDL 2.0, and keeps every file's text
//! for diagnostics. Guards the parser against hostile input (huge files, deep nesting) before it runs.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kdl::{KdlDocument, KdlError, KdlNode};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::lang::fs::{ReadError, SpecFs, display_name, is_glob, normalize, within};
use crate::lang::memo::{Memo, Parsed};
use crate::model::Platform;
use crate::source::{FileId, SourceFile, SourceMap, Span};

/// A single spec file may not exceed this: a platform that large should be split with `include`, and the
/// bound keeps parse time and memory predictable on hostile input.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// Nesting deeper than this is never a real platform, and the KDL parser recurses per level.
pub const MAX_DEPTH: usize = 32;
/// Bounds the work an include graph can cause (globs can fan out): a guard against a runaway glob, not a
/// ceiling for real specs. A 5,000-tenant platform split a file per tenant and domain (the benchmark
/// generator's layout, 7 files per tenant) is 35,001 files; this leaves room for 20 per tenant.
pub const MAX_FILES: usize = 100_000;
/// Includes nest (a file including a file including a file ...) at most this deep. Loading recurses per
/// level; no platform is layered more than a handful of files deep.
pub const MAX_INCLUDE_DEPTH: usize = 64;

/// The parsed files of one spec, root first, then includes depth-first in the order written.
#[derive(Debug, Default)]
pub struct LoadedSpec {
    pub sources: SourceMap,
    /// Shared with a [`Memo`] that keeps them for the next reading (held once otherwise).
    pub documents: Vec<(FileId, Arc<KdlDocument>)>,
    /// The files [`load_lowering`] lowered as soon as they parsed, in file order (none for [`load`]).
    /// Between them, `documents` and `lowered` hold every file that parsed, each once.
    pub lowered: Vec<(FileId, Box<LoweredFile>)>,
}

impl LoadedSpec {
    /// How many files parsed, as trees or lowered.
    pub fn parsed_files(&self) -> usize {
        self.documents.len() + self.lowered.len()
    }
}

/// One file's part of the model and the diagnostics lowering it gave: what
/// [`crate::lang::lower::lower_document`] adds for that file, to be appended in file order
/// ([`Platform::append`]).
#[derive(Debug, Default, Clone)]
pub struct LoweredFile {
    pub part: Platform,
    pub diagnostics: Diagnostics,
}

impl LoweredFile {
    fn of(doc: &KdlDocument, file: FileId) -> LoweredFile {
        let mut lowered = LoweredFile::default();
        crate::lang::lower::lower_document(doc, file, file.0 == 0, &mut lowered.part, &mut lowered.diagnostics);
        lowered
    }
}

/// Loads `root` and its includes. Problems are collected in `diags`; a file that fails to read or parse is
/// skipped while the rest still load, so one run reports every broken file.
pub fn load(fs: &dyn SpecFs, root: &Path, diags: &mut Diagnostics) -> LoadedSpec {
    load_with(fs, root, None, false, diags)
}

/// [`load`], lowering each file as soon as it parses and dropping its syntax tree, so the trees of a
/// spec never all exist at once (they are most of a reading's memory, and on a large spec touching that
/// much fresh memory cost more than lowering). Lowering a file reads nothing but that file, so the parts
/// appended in file order are the platform lowering the trees gives. Environments edit the trees before
/// lowering: from the first file that declares one on, every file keeps its tree, and the reader parses
/// the files lowered before it again from their text (`lang::Spec::read`; a spec declares its
/// environments in its root file as a rule, so nothing is parsed twice then).
pub fn load_lowering(fs: &dyn SpecFs, root: &Path, diags: &mut Diagnostics) -> LoadedSpec {
    load_with(fs, root, None, true, diags)
}

/// [`load`], taking each file that reads exactly as it did before from `memo` instead of parsing it again,
/// and keeping each file it parses there.
pub fn load_reusing(fs: &dyn SpecFs, root: &Path, memo: Option<&Memo>, diags: &mut Diagnostics) -> LoadedSpec {
    load_with(fs, root, memo, false, diags)
}

fn load_with(fs: &dyn SpecFs, root: &Path, memo: Option<&Memo>, lower: bool, diags: &mut Diagnostics) -> LoadedSpec {
    let root = fs.resolve(root);
    let base = root.parent().map(Path::to_path_buf).unwrap_or_default();
    // Includes may read the spec's folder and the repository around it; anything else needs the flag.
    let mut roots = vec![base.clone()];
    roots.extend(fs.repository_root(&base));
    let mut loader = Loader {
        fs,
        memo,
        lower: lower && memo.is_none(),
        base,
        roots,
        spec: LoadedSpec::default(),
        seen: HashSet::new(),
        stack: Vec::new(),
        prefetched: HashMap::new(),
        over_limit: false,
    };
    loader.load_file(&root, None, diags);
    loader.spec
}

struct Loader<'a> {
    fs: &'a dyn SpecFs,
    memo: Option<&'a Memo>,
    /// Lower each file as it parses ([`load_lowering`]); never with a memo, which keeps the trees.
    lower: bool,
    base: PathBuf,
    /// The folders includes may read without `--allow-include-outside`.
    roots: Vec<PathBuf>,
    spec: LoadedSpec,
    seen: HashSet<PathBuf>,
    /// Files being loaded, outermost first, for cycle detection and messages.
    stack: Vec<PathBuf>,
    /// Files a glob matched, already read and parsed in parallel, waiting for their turn.
    prefetched: HashMap<PathBuf, Prefetched>,
    /// Set once [`MAX_FILES`] is reached: the limit is reported once and no further include is followed.
    over_limit: bool,
}

/// A file read and parsed ahead of time. Parsing dominates the cost of a compile, so the files of a glob
/// are parsed on all cores; everything that depends on order (ids, diagnostics, includes) stays sequential.
enum Prefetched {
    /// The same text, parsed by an earlier reading.
    Kept(Parsed),
    Read {
        read: Result<Decoded, ReadError>,
        doc: Option<Result<KdlDocument, KdlError>>,
        /// The tree lowered right away (`doc` is then `None`), as the file it will be if every file before
        /// it in its glob loads as one file of its own; `load_file` uses it only if the file gets that id.
        early: Option<Early>,
    },
}

/// A file lowered where it was parsed, under the id it was expected to get.
struct Early {
    file: FileId,
    lowered: Box<LoweredFile>,
    includes: Vec<(String, Span)>,
}

/// A file's bytes, decoded where they were read: everything about the text that does not depend on the
/// order files load in is worked out on the worker, so the loader's one thread only places the file.
enum Decoded {
    Text(Text),
    NotUtf8(std::string::FromUtf8Error),
}

/// A file's text with what the loader needs of it.
struct Text {
    text: Arc<str>,
    /// [`crate::source::line_starts`] of `text`.
    lines: Arc<[u32]>,
    /// [`too_deep`] of `text`.
    deep: Option<(usize, usize, &'static str)>,
}

impl Decoded {
    fn of(bytes: Vec<u8>) -> Decoded {
        match String::from_utf8(bytes) {
            Ok(text) => {
                let deep = too_deep(&text);
                let lines = crate::source::line_starts(&text).into();
                Decoded::Text(Text { text: Arc::from(text), lines, deep })
            }
            Err(e) => Decoded::NotUtf8(e),
        }
    }
}

/// Reads, decodes and parses `path`; with `lower_as`, also lowers it as that file and drops the tree
/// (unless it declares an environment), on the worker that parsed it, whose memory the next file's tree
/// then reuses.
fn prefetch(fs: &dyn SpecFs, memo: Option<&Memo>, path: &Path, lower_as: Option<FileId>) -> Prefetched {
    let bytes = fs.read(path, MAX_FILE_BYTES);
    if let (Ok(b), Some(memo)) = (&bytes, memo)
        && let Some(kept) = memo.parsed(path, b)
    {
        return Prefetched::Kept(kept);
    }
    let read = bytes.map(Decoded::of);
    let doc = match &read {
        Ok(Decoded::Text(Text { text, deep: None, .. })) => Some(crate::lang::parse::parse(text)),
        _ => None,
    };
    if let (Some(file), Some(Ok(tree))) = (lower_as, &doc)
        && !declares_environment(tree)
    {
        let early = Early { file, lowered: Box::new(LoweredFile::of(tree, file)), includes: includes_of(tree, file) };
        return Prefetched::Read { read, doc: None, early: Some(early) };
    }
    Prefetched::Read { read, doc, early: None }
}

/// Whether `doc` declares an environment at its top level (see [`crate::lang::environment::extract`]).
fn declares_environment(doc: &KdlDocument) -> bool {
    doc.nodes().iter().any(|n| n.name().value() == crate::lang::environment::NODE)
}

/// The includes of `doc` (file `file`), in the order written.
fn includes_of(doc: &KdlDocument, file: FileId) -> Vec<(String, Span)> {
    doc.nodes().iter().filter_map(|n| include_target(n, file)).collect()
}

impl Loader<'_> {
    fn load_file(&mut self, path: &Path, included_at: Option<Span>, diags: &mut Diagnostics) {
        if self.over_limit {
            return;
        }
        let path = normalize(path);
        if self.stack.contains(&path) {
            let chain: Vec<String> = self
                .stack
                .iter()
                .skip_while(|p| **p != path)
                .chain(std::iter::once(&path))
                .map(|p| display_name(&self.base, p))
                .collect();
            let mut d = Diagnostic::error("strata::include::cycle", "include cycle")
                .help("remove one of the includes; each file may be included once")
                .note_line(format!("cycle: {}", chain.join(" -> ")));
            if let Some(at) = included_at {
                d = d.at(at, "this include leads back to a file that is still being read");
            }
            diags.push(d);
            return;
        }
        if !self.seen.insert(path.clone()) {
            // Included twice through different routes (a diamond): load it once, like `#pragma once`.
            return;
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            let mut d = Diagnostic::error(
                "strata::include::too-deep",
                format!("includes nest more than {MAX_INCLUDE_DEPTH} files deep"),
            )
            .help("include the files from one index file instead of chaining each file to the next");
            if let Some(at) = included_at {
                d = d.at(at, "this include goes one level too deep");
            }
            diags.push(d);
            return;
        }
        if self.spec.parsed_files() >= MAX_FILES {
            self.over_limit = true;
            let mut d = Diagnostic::error("strata::include::too-many", format!("more than {MAX_FILES} spec files"))
                .help("check the include globs: they match more files than any platform needs");
            if let Some(at) = included_at {
                d = d.at(at, "this include went over the limit");
            }
            diags.push(d);
            return;
        }
        let name = display_name(&self.base, &path);
        let pre = self.prefetched.remove(&path).unwrap_or_else(|| prefetch(self.fs, self.memo, &path, None));
        let (read, doc, early) = match pre {
            Prefetched::Kept(kept) => {
                // Only a file that read, decoded and parsed cleanly is ever kept.
                let file =
                    self.spec.sources.add(SourceFile::with_line_starts(name, path.clone(), kept.text, kept.lines));
                self.add_tree(&path, file, kept.doc, diags);
                return;
            }
            Prefetched::Read { read, doc, early } => (read, doc, early),
        };
        let Some(Text { text, lines, deep }) = self.read_text(read, &path, &name, included_at, diags) else { return };
        let file = self.spec.sources.add(SourceFile::with_line_starts(name.clone(), path.clone(), text.clone(), lines));

        if let Some((offset, depth, what)) = deep {
            diags.push(
                Diagnostic::error("strata::parse::too-deep", format!("{what} deeper than {MAX_DEPTH} levels"))
                    .at(Span::new(file, offset, 1), format!("level {depth} starts here"))
                    .help("flatten the spec: no strata node needs more than a few levels of children"),
            );
            return;
        }

        // A part lowered ahead under another id (an earlier file of the glob took more ids or none), or
        // after an environment turned up, is dropped: the text is parsed again below.
        if let Some(early) = early
            && early.file == file
            && self.lower
        {
            self.spec.lowered.push((file, early.lowered));
            self.follow_includes(&path, early.includes, diags);
            return;
        }

        let doc = match doc.unwrap_or_else(|| crate::lang::parse::parse(&text)) {
            Ok(doc) => doc,
            Err(err) => {
                // A file that is not KDL and not named `.kdl` is not a spec at all (a hostile or mistaken
                // include of `/proc/self/environ`, a README): show its first error on its one line, and
                // never more of what it holds.
                let opaque = path.extension().is_none_or(|e| e != "kdl");
                if opaque {
                    self.spec.sources.set_opaque(file);
                }
                let total = err.diagnostics.len();
                let mut last_start: Option<usize> = None;
                for d in err.diagnostics {
                    // The KDL parser often reports one mistake twice, at adjacent offsets (an unclosed
                    // block as both "no closing '}'" and "closing '}' not found"): keep the first.
                    let start = d.span.offset();
                    if last_start.is_some_and(|l| start.abs_diff(l) <= 1) {
                        continue;
                    }
                    last_start = Some(start);
                    let message = d.message.unwrap_or_else(|| "invalid KDL".to_string());
                    let mut diag = Diagnostic::error("strata::parse::syntax", format!("KDL syntax error: {message}"))
                        .at(Span::from_kdl(file, d.span), d.label.unwrap_or_default());
                    diag = diag.help(d.help.unwrap_or_else(|| {
                        "strata reads KDL 2.0: strings in quotes, `#true`/`#false`, properties as key=value".into()
                    }));
                    if opaque {
                        diags.push(diag.note_line(format!(
                            "`{name}` is not a spec file (not KDL, not named .kdl): only its first error of {total} is shown"
                        )));
                        break;
                    }
                    diags.push(diag);
                }
                return;
            }
        };

        if declares_environment(&doc) {
            // Environments edit the trees: from here on every file keeps its tree (the ones lowered
            // already are parsed again by the reader).
            self.lower = false;
        }
        if self.lower {
            let includes = includes_of(&doc, file);
            self.spec.lowered.push((file, Box::new(LoweredFile::of(&doc, file))));
            drop(doc);
            self.follow_includes(&path, includes, diags);
            return;
        }
        let doc = Arc::new(doc);
        if let Some(memo) = self.memo {
            let lines = self.spec.sources.get(file).line_table();
            memo.keep_parsed(&path, Parsed { text, lines, doc: doc.clone() });
        }
        self.add_tree(&path, file, doc, diags);
    }

    /// Adds the parsed file `file` to the spec as its tree and loads what it includes.
    fn add_tree(&mut self, path: &Path, file: FileId, doc: Arc<KdlDocument>, diags: &mut Diagnostics) {
        let includes = includes_of(&doc, file);
        self.spec.documents.push((file, doc));
        self.follow_includes(path, includes, diags);
    }

    /// Loads what the file at `path` includes, in the order written.
    fn follow_includes(&mut self, path: &Path, includes: Vec<(String, Span)>, diags: &mut Diagnostics) {
        self.stack.push(path.to_path_buf());
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for (target, span) in includes {
            if self.over_limit {
                break;
            }
            let pattern = self.fs.resolve(&dir.join(&target));
            if is_glob(&target) {
                // The literal folder the walk starts from must be allowed before anything is listed.
                let walk_from: PathBuf =
                    pattern.components().take_while(|c| !is_glob(&c.as_os_str().to_string_lossy())).collect();
                if !self.allowed(&target, &walk_from, span, diags) {
                    continue;
                }
                match self.fs.glob_resolved(&pattern) {
                    Ok(matches) if matches.is_empty() => diags.push(
                        Diagnostic::warning("strata::include::no-match", format!("`{target}` matches no files"))
                            .at(span, "nothing to include")
                            .help("check the pattern; it is relative to the file that includes it"),
                    ),
                    Ok(matches) => {
                        // A glob never includes the file that contains it or a file that (transitively)
                        // includes it: `include "*.kdl"` in an index file means "everything else here".
                        let todo: Vec<PathBuf> = matches
                            .into_iter()
                            .filter(|m| !self.stack.contains(m) && !self.seen.contains(m))
                            .collect();
                        // A match may be a link out of the repository.
                        let todo: Vec<PathBuf> =
                            todo.into_iter().filter(|m| self.allowed(&target, m, span, diags)).collect();
                        self.prefetch_all(&todo);
                        for m in todo {
                            self.load_file(&m, Some(span), diags);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => diags.push(
                        Diagnostic::error("strata::include::pattern", format!("invalid include pattern: {e}"))
                            .at(span, "here")
                            .help("use `*`, `?`, `[abc]` or `**` in include patterns"),
                    ),
                    Err(e) => diags.push(
                        Diagnostic::error("strata::include::walk", format!("cannot list the files of `{target}`: {e}"))
                            .at(span, "this pattern")
                            .help("name the folder to include from, e.g. `tenants/*.kdl`, instead of a pattern over a whole tree"),
                    ),
                }
            } else if self.allowed(&target, &pattern, span, diags) {
                self.load_file(&pattern, Some(span), diags);
            }
        }
        self.stack.pop();
    }

    /// Applies the include policy: relative paths into the spec's folder or its repository only, unless
    /// `--allow-include-outside`. Reports the refusal (without reading the file) and returns false.
    fn allowed(&self, target: &str, resolved: &Path, span: Span, diags: &mut Diagnostics) -> bool {
        if self.fs.include_outside_allowed() {
            return true;
        }
        let absolute = Path::new(target).has_root() || target.starts_with(['/', '\\']);
        if !absolute && self.roots.iter().any(|r| within(resolved, r)) {
            return true;
        }
        let (message, label) = if absolute {
            (format!("include `{target}` is an absolute path"), "absolute paths are refused")
        } else {
            (
                format!("include `{target}` leads outside the spec's folder and repository"),
                "this path leaves the repository",
            )
        };
        diags.push(
            Diagnostic::error("strata::include::outside", message)
                .at(span, label)
                .help("include files of the spec's folder or repository by a relative path; to read this file anyway, pass `--allow-include-outside`")
                .note_line("the policy keeps a spec from reading (and echoing) files such as /proc/self/environ or ~/.kube/config"),
        );
        false
    }

    fn prefetch_all(&mut self, paths: &[PathBuf]) {
        let budget = MAX_FILES.saturating_sub(self.spec.parsed_files());
        let paths = &paths[..paths.len().min(budget)];
        if paths.len() < 2 {
            return;
        }
        let (fs, memo) = (self.fs, self.memo);
        // The id each file gets if every file before it in the glob loads as one file (no includes of its
        // own, no read error): the usual case, checked by `load_file` before it uses the lowered part.
        let first = self.spec.sources.next_id().0 as usize;
        let expected: Vec<(usize, &PathBuf)> = paths.iter().enumerate().collect();
        let lower = self.lower;
        let done = crate::parallel::map(&expected, |&(i, path)| {
            let lower_as = u32::try_from(first + i).ok().filter(|_| lower).map(FileId);
            prefetch(fs, memo, path, lower_as)
        });
        self.prefetched.extend(paths.iter().cloned().zip(done));
    }

    /// The text of a file read, or `None` with the error reported.
    fn read_text(
        &mut self,
        read: Result<Decoded, ReadError>,
        path: &Path,
        name: &str,
        at: Option<Span>,
        diags: &mut Diagnostics,
    ) -> Option<Text> {
        let located = |d: Diagnostic, label: &str| match at {
            Some(span) => d.at(span, label.to_string()),
            None => d,
        };
        let decoded = match read {
            Ok(d) => d,
            Err(ReadError::NotFound) => {
                diags.push(located(
                    Diagnostic::error("strata::io::not-found", format!("spec file `{name}` does not exist")).help(
                        if at.is_some() {
                            "include paths are relative to the file that includes them"
                        } else {
                            "pass the spec's path (strata looks for ./platform.kdl by default)"
                        },
                    ),
                    "included here",
                ));
                return None;
            }
            Err(ReadError::NotAFile) => {
                diags.push(located(
                    Diagnostic::error(
                        "strata::io::not-a-file",
                        format!("`{name}` is not a regular file (a FIFO, socket or device)"),
                    )
                    .help("include regular .kdl files only; reading a pipe or device could block forever"),
                    "included here",
                ));
                return None;
            }
            Err(ReadError::IsDirectory) => {
                diags.push(located(
                    Diagnostic::error("strata::io::directory", format!("`{name}` is a directory, not a spec file"))
                        .help("name a .kdl file, or include a glob such as `tenants/*.kdl`"),
                    "included here",
                ));
                return None;
            }
            Err(ReadError::TooLarge(len)) => {
                diags.push(located(
                    Diagnostic::error(
                        "strata::io::too-large",
                        format!(
                            "spec file `{name}` is {:.1} MiB; strata reads at most {} MiB per file",
                            len as f64 / 1048576.0,
                            MAX_FILE_BYTES >> 20
                        ),
                    )
                    .help("split the platform into several files and `include` them"),
                    "included here",
                ));
                return None;
            }
            Err(ReadError::Io(e)) => {
                diags.push(located(
                    Diagnostic::error("strata::io::read", format!("cannot read `{name}`: {e}"))
                        .help("check the file's permissions"),
                    "included here",
                ));
                return None;
            }
        };
        match decoded {
            Decoded::Text(text) => Some(text),
            Decoded::NotUtf8(e) => {
                let valid = e.utf8_error().valid_up_to();
                let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
                // The lossy text is kept only so the diagnostic can point at the bad byte; it is not parsed.
                let id = self.spec.sources.add(SourceFile::new(name.to_string(), path.to_path_buf(), Arc::from(lossy)));
                self.spec.sources.set_opaque(id);
                let mut d = Diagnostic::error("strata::io::not-utf8", format!("`{name}` is not UTF-8 text"))
                    .at(Span::new(id, valid, 1), "this byte is not valid UTF-8")
                    .help("save the file as UTF-8");
                if let Some(span) = at {
                    d = d.also(span, "included here");
                }
                diags.push(d);
                None
            }
        }
    }
}

/// The target of a top-level `include "path"` node. Malformed includes are reported by the lowering pass,
/// which owns node validation.
fn include_target(node: &KdlNode, file: FileId) -> Option<(String, Span)> {
    if node.name().value() != "include" {
        return None;
    }
    let entry = node.entries().iter().find(|e| e.name().is_none())?;
    let s = entry.value().as_string()?;
    Some((s.to_string(), Span::from_kdl(file, entry.span())))
}

/// Finds the first `{` that nests deeper than [`MAX_DEPTH`], skipping strings and comments. It may count a
/// brace the parser would not (inside a broken string), never the reverse: every KDL 2.0 string form is
/// skipped by its real end (`"""` multi-line and `#"…"#` raw strings of any hash count), and comments end at
/// any KDL line end, not only `\n`.
fn too_deep(text: &str) -> Option<(usize, usize, &'static str)> {
    use crate::source::newline_len;
    let b = text.as_bytes();
    let mut i = 0;
    let mut depth = 0usize;
    // Type annotations in a row (`(t)(t)(t)…`, never valid KDL): the kdl crate's error recovery recurses per
    // annotation, so a long run overflows the stack like deep nesting does.
    let mut annotations = 0usize;
    while i < b.len() {
        if b[i] == b'(' {
            annotations += 1;
            if annotations > MAX_DEPTH {
                return Some((i, annotations, "type annotations follow each other"));
            }
            // The run goes on only if the next annotation follows right after this one's `)`.
            // A quoted type name is left to the string rules below (its `)` may be inside the quotes).
            let close = b[i..].iter().position(|c| matches!(c, b')' | b'\n' | b'"')).map_or(b.len(), |p| i + p);
            if b.get(close) == Some(&b')') {
                let next = b[close + 1..].iter().find(|c| !matches!(c, b' ' | b'\t'));
                if next != Some(&b'(') {
                    annotations = 0;
                }
                i = close + 1;
                continue;
            }
            annotations = 0;
            i += 1;
            continue;
        }
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && newline_len(text, i) == 0 {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut nest = 1;
                i += 2;
                while i < b.len() && nest > 0 {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        nest += 1;
                        i += 1;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        nest -= 1;
                        i += 1;
                    }
                    i += 1;
                }
                continue;
            }
            b'#' if b.get(i + 1).is_some_and(|c| *c == b'#' || *c == b'"') => {
                let hashes = b[i..].iter().take_while(|c| **c == b'#').count();
                i += hashes;
                if b.get(i) == Some(&b'"') {
                    let multi = b[i..].starts_with(b"\"\"\"");
                    let quotes = if multi { 3 } else { 1 };
                    i += quotes;
                    while i < b.len() {
                        if b[i..].starts_with(&b"\"\"\""[..quotes])
                            && b[i + quotes..].iter().take(hashes).filter(|c| **c == b'#').count() == hashes
                        {
                            i += quotes + hashes;
                            break;
                        }
                        if !multi && newline_len(text, i) > 0 {
                            break;
                        }
                        i += 1;
                    }
                }
                continue;
            }
            b'"' if b[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < b.len() {
                    if b[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if b[i..].starts_with(b"\"\"\"") {
                        i += 3;
                        break;
                    }
                    i += 1;
                }
                continue;
            }
            b'"' => {
                i += 1;
                // A single-line string ends at its quote, or (broken) at a line end: an escaped line end
                // (`\` then a newline) is a whitespace escape and stays inside.
                while i < b.len() && b[i] != b'"' && newline_len(text, i) == 0 {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some((i, depth, "nodes are nested"));
                }
            }
            b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_guard_ignores_braces_in_strings_and_comments() {
        let nested = "a {".repeat(MAX_DEPTH + 1) + &"}".repeat(MAX_DEPTH + 1);
        assert!(too_deep(&nested).is_some());
        let fine = format!("a \"{}\" // {}\n/* {} */", "{".repeat(100), "{".repeat(100), "{".repeat(100));
        assert!(too_deep(&fine).is_none());
        let raw = format!("a #\"{}\"#", "{\"".repeat(100));
        assert!(too_deep(&raw).is_none());
        let multi = format!("a \"\"\"\n{}\n\"\"\"", "{\"".repeat(100));
        assert!(too_deep(&multi).is_none());
        let raw_multi = format!("a #\"\"\"\n{}\"#\n\"\"\"#", "{".repeat(100));
        assert!(too_deep(&raw_multi).is_none());
    }

    #[test]
    fn depth_guard_sees_nesting_after_every_string_form() {
        let deep = "a {".repeat(MAX_DEPTH + 1);
        for prefix in [
            "x \"\"\"\n\"\n\"\"\"\n",
            "x #\"\"\"\n\"#\n\"\"\"#\n",
            "// c\u{85}",
            "// c\u{2028}",
            "x \"open\n",
            "x #\"a\"# ",
        ] {
            assert!(too_deep(&format!("{prefix}{deep}")).is_some(), "{prefix:?}");
        }
    }

    /// The generator's layout at 5,000 tenants (a root and seven globbed files per tenant, 35,001 files)
    /// loads whole: the limits guard against runaway globs, not against a real estate of that size.
    #[test]
    fn a_5000_tenant_layout_loads_within_the_limits() {
        const DOMAINS: [&str; 7] = ["tenants", "kafka", "spark", "airflow", "flink", "jobs", "apps"];
        let root: String = DOMAINS.iter().map(|d| format!("include \"{d}/*.kdl\"\n")).collect();
        let mut fs = crate::lang::MemFs::new().with("platform.kdl", root);
        for t in 0..5_000 {
            for d in DOMAINS {
                fs = fs.with(format!("{d}/team-{t:04}.kdl"), format!("// {d} of team-{t:04}\n"));
            }
        }
        let mut diags = Diagnostics::new();
        let spec = load(&fs, Path::new("platform.kdl"), &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(spec.documents.len(), 35_001);
        assert!(spec.documents.len() * 2 < MAX_FILES, "the limit leaves room for the estate to double");
    }
}
