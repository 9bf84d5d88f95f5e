//! Positions between strata and an editor. strata's spans are byte offsets into UTF-8 text; the Language
//! Server Protocol counts lines and, within a line, UTF-16 code units (its default position encoding). A
//! column counted in bytes or in characters would put every diagnostic after an `é` or an emoji in the
//! wrong place, so every conversion goes through [`LineIndex`].

use lsp_types::{Position, Range};

/// The line starts of one text, for converting offsets and positions both ways.
pub struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<u32>,
}

impl<'t> LineIndex<'t> {
    /// Lines break where the protocol breaks them: `\n`, `\r\n` and `\r` only (LSP 3.17, "Text Documents").
    /// KDL also ends a line at a form feed, U+0085, U+2028 and U+2029, but an editor does not, and counting
    /// them would put everything after one a line too low.
    pub fn new(text: &'t str) -> Self {
        let b = text.as_bytes();
        let mut starts = vec![0u32];
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'\n' => starts.push(i as u32 + 1),
                b'\r' if b.get(i + 1) == Some(&b'\n') => {
                    starts.push(i as u32 + 2);
                    i += 1;
                }
                b'\r' => starts.push(i as u32 + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex { text, starts }
    }

    /// The position of byte `offset`; an offset past the end is the end, one inside a character is that
    /// character's start.
    pub fn position(&self, offset: usize) -> Position {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        let line = match self.starts.binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line] as usize;
        let character = self.text[start..offset].encode_utf16().count();
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, start: usize, end: usize) -> Range {
        Range::new(self.position(start), self.position(end.max(start)))
    }

    /// The byte offset of `pos`. A line past the end is the end of the text; a column past the line's end is
    /// the line's end (before its line break); a column inside a surrogate pair is the character's start.
    pub fn offset(&self, pos: Position) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else { return self.text.len() };
        let start = start as usize;
        let end = self.line_end(pos.line as usize);
        let mut units = 0u32;
        for (i, c) in self.text[start..end].char_indices() {
            let next = units + c.len_utf16() as u32;
            if next > pos.character {
                return start + i;
            }
            units = next;
        }
        end
    }

    /// The end of the whole text, as a position (what a whole-document edit replaces up to).
    pub fn end(&self) -> Position {
        self.position(self.text.len())
    }

    fn line_end(&self, line: usize) -> usize {
        let next = self.starts.get(line + 1).map_or(self.text.len(), |s| *s as usize);
        let body = &self.text[self.starts[line] as usize..next];
        let trimmed = body.trim_end_matches(['\r', '\n']);
        self.starts[line] as usize + trimmed.len()
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_code_units_not_bytes_or_characters() {
        // `é` is 2 bytes and 1 unit; `𝄞` is 4 bytes and 2 units (a surrogate pair).
        let text = "a\ntopic \"é𝄞x\" replicas=5\n";
        let ix = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(ix.position(x), Position::new(1, 10));
        assert_eq!(ix.offset(Position::new(1, 10)), x);
        let r = text.find("replicas").unwrap();
        assert_eq!(ix.position(r), Position::new(1, 13));
        assert_eq!(ix.offset(ix.position(r)), r);
    }

    #[test]
    fn out_of_range_positions_clamp_instead_of_panicking() {
        let text = "ab\r\ncd";
        let ix = LineIndex::new(text);
        assert_eq!(ix.offset(Position::new(0, 99)), 2, "a column past the end stops before the line break");
        assert_eq!(ix.offset(Position::new(7, 0)), text.len());
        assert_eq!(ix.position(999), Position::new(1, 2));
        assert_eq!(ix.end(), Position::new(1, 2));
        // Inside the surrogate pair of `𝄞`: the character's start.
        let ix = LineIndex::new("𝄞z");
        assert_eq!(ix.offset(Position::new(0, 1)), 0);
        assert_eq!(ix.position(2), Position::new(0, 0), "an offset inside a character is its start");
    }

    #[test]
    fn only_the_protocols_line_ends_start_a_new_editor_line() {
        for nl in ["\n", "\r\n", "\r"] {
            let text = format!("a{nl}b");
            let ix = LineIndex::new(&text);
            assert_eq!(ix.position(text.len() - 1), Position::new(1, 0), "{nl:?}");
            assert_eq!(ix.offset(Position::new(0, 9)), 1, "{nl:?}: the line ends before its break");
        }
        // KDL's other line ends are characters of the line to an editor: U+2028 is one UTF-16 unit.
        for nl in ["\u{c}", "\u{85}", "\u{2028}", "\u{2029}"] {
            let text = format!("a{nl}b");
            let ix = LineIndex::new(&text);
            assert_eq!(ix.position(text.len() - 1), Position::new(0, 2), "{nl:?}");
        }
    }
}
