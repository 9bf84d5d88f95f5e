//! Source files and spans: every value strata reads remembers the file and byte range it came from, so any
//! later stage (checks, emitted objects, diffs) can point back at the exact place in the spec.

use std::path::PathBuf;
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, len: usize) -> Self {
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        let end = start.saturating_add(u32::try_from(len).unwrap_or(u32::MAX));
        Span { file, start, end }
    }

    /// The span of a KDL value read from `file`'s syntax tree. A node an environment grafted in from another
    /// file carries that file in its offsets ([`tag_kdl`]), so its diagnostics point at the override.
    pub fn from_kdl(file: FileId, span: miette::SourceSpan) -> Self {
        let offset = span.offset() as u64;
        match offset >> KDL_FILE_SHIFT {
            0 => Span::new(file, span.offset(), span.len()),
            tag => Span::new(FileId((tag - 1) as u32), (offset & KDL_OFFSET_MASK) as usize, span.len()),
        }
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

// Spans of grafted KDL keep their file in the bits above 2^40 (a terabyte per file, far past the loader's
// size limit); 64-bit offsets are assumed.
const KDL_FILE_SHIFT: u32 = 40;
const KDL_OFFSET_MASK: u64 = (1 << KDL_FILE_SHIFT) - 1;
const _: () = assert!(usize::BITS >= 64, "span tags need 64-bit offsets");

/// `span` of a KDL value in `file`, marked so [`Span::from_kdl`] finds `file` again after the value moved into
/// another file's syntax tree (an environment's override merged into the base spec).
pub fn tag_kdl(file: FileId, span: miette::SourceSpan) -> miette::SourceSpan {
    let offset = span.offset() as u64 & KDL_OFFSET_MASK;
    let tagged = ((u64::from(file.0) + 1) << KDL_FILE_SHIFT) | offset;
    miette::SourceSpan::new((tagged as usize).into(), span.len())
}

/// A value together with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Spanned<U> {
        Spanned { value: f(self.value), span: self.span }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// One loaded file: its display name (relative to the root spec's folder, so output is the same on every
/// machine), its path on disk (or in a git revision), and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub path: PathBuf,
    pub text: Arc<str>,
    /// Not spec text: the file failed to parse as KDL or to decode as UTF-8 (it may be any file a hostile
    /// include named). Diagnostics show at most the offending line of it.
    pub opaque: bool,
    /// Shared, so a file read again unchanged (by a long-lived session, or once per environment) is not
    /// scanned again.
    line_starts: Arc<[u32]>,
}

/// The line ends of KDL 2.0 (spec, "Newline"): CRLF, CR, LF, NEL, FF, LS and PS. Editors break lines at
/// the same characters, so line numbers strata prints match the line an editor shows.
pub fn newline_len(text: &str, at: usize) -> usize {
    let b = text.as_bytes();
    match b.get(at) {
        Some(b'\r') if b.get(at + 1) == Some(&b'\n') => 2,
        Some(b'\r' | b'\n' | 0x0c) => 1,
        Some(0xc2) if b.get(at + 1) == Some(&0x85) => 2,
        Some(0xe2) if b.get(at + 1) == Some(&0x80) && matches!(b.get(at + 2), Some(0xa8 | 0xa9)) => 3,
        _ => 0,
    }
}

/// Byte offsets where each line starts (the first is 0).
pub fn line_starts(text: &str) -> Vec<u32> {
    let mut starts = vec![0u32];
    let mut i = 0;
    let b = text.as_bytes();
    while i < b.len() {
        match newline_len(text, i) {
            0 => i += 1,
            n => {
                i += n;
                starts.push(i as u32);
            }
        }
    }
    starts
}

impl SourceFile {
    pub fn new(name: String, path: PathBuf, text: Arc<str>) -> Self {
        let line_starts = line_starts(&text).into();
        SourceFile { name, path, text, opaque: false, line_starts }
    }

    /// A file whose line table is already known: `lines` must be [`line_starts`] of `text`.
    pub(crate) fn with_line_starts(name: String, path: PathBuf, text: Arc<str>, lines: Arc<[u32]>) -> Self {
        debug_assert_eq!(*lines, *line_starts(&text));
        SourceFile { name, path, text, opaque: false, line_starts: lines }
    }

    /// The line table, to keep beside the text it belongs to.
    pub(crate) fn line_table(&self) -> Arc<[u32]> {
        self.line_starts.clone()
    }

    /// Byte range of 0-based line `line`, without its line end.
    pub fn line_range(&self, line: usize) -> (usize, usize) {
        let start = self.line_starts.get(line).map_or(self.text.len(), |s| *s as usize);
        let mut end = self.line_starts.get(line + 1).map_or(self.text.len(), |s| *s as usize);
        if line + 1 < self.line_starts.len()
            && let Some(n) = (1..=3).rev().find(|&n| end >= start + n && newline_len(&self.text, end - n) == n)
        {
            end -= n;
        }
        (start, end)
    }

    /// Number of lines (a final line end starts no extra line unless text follows it).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 0-based line of a byte offset.
    pub fn line_of(&self, offset: u32) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let line = self.line_of(offset);
        let start = self.line_starts[line] as usize;
        let end = (offset as usize).min(self.text.len());
        let col = self.text.get(start..end).map_or(end - start, |s| s.chars().count());
        (line + 1, col + 1)
    }
}

/// Every file a compile read, addressed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId((self.files.len() - 1) as u32)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The id [`SourceMap::add`] gives the next file.
    pub fn next_id(&self) -> FileId {
        FileId(self.files.len() as u32)
    }

    /// Marks a file as not spec text (see [`SourceFile::opaque`]).
    pub fn set_opaque(&mut self, id: FileId) {
        self.files[id.0 as usize].opaque = true;
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i as u32), f))
    }

    /// `file:line` for an emitted object's `strata.dev/source` annotation.
    pub fn origin(&self, span: Span) -> String {
        let file = self.get(span.file);
        // Built by hand, without the column: every emitted object carries one, and `format!` and counting
        // the column's characters cost more than finding the line.
        let line = (file.line_of(span.start) + 1).to_string();
        let mut origin = String::with_capacity(file.name.len() + 1 + line.len());
        origin.push_str(&file.name);
        origin.push(':');
        origin.push_str(&line);
        origin
    }

    /// `file:line:col` for plain-text diagnostics.
    pub fn location(&self, span: Span) -> String {
        let file = self.get(span.file);
        let (line, col) = file.line_col(span.start);
        format!("{}:{}:{}", file.name, line, col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_and_in_chars() {
        let f = SourceFile::new("a.kdl".into(), "a.kdl".into(), "ab\nçd\n".into());
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        // 'ç' is two bytes but one column.
        assert_eq!(f.line_col(5), (2, 2));
    }

    #[test]
    fn every_kdl_line_end_starts_a_line() {
        for nl in ["\n", "\r\n", "\r", "\u{85}", "\u{c}", "\u{2028}", "\u{2029}"] {
            let text = format!("a{nl}b{nl}c");
            let f = SourceFile::new("a.kdl".into(), "a.kdl".into(), text.clone().into());
            let c = text.find('c').unwrap() as u32;
            assert_eq!(f.line_col(c), (3, 1), "{nl:?}");
            assert_eq!(f.line_range(1), (1 + nl.len(), 2 + nl.len()), "{nl:?}");
        }
    }
}
