//! KDL 2.0 parsing. Parsing dominated every compile (about 4,000 instructions per input byte in the kdl
//! crate's combinator parser, over 70% of `strata check` on a large platform), so specs go through a
//! hand-written parser first. It builds the very same `kdl::KdlDocument` (values and spans; not the
//! formatting, which strata never reads) for the subset of KDL that specs are written in, and gives up —
//! returning `None`, never a wrong document — on anything outside that subset or on any error. The kdl
//! crate then parses the file itself, so unusual syntax still works and every syntax error is reported by
//! the crate's own diagnostics.
//!
//! The subset: bare identifiers (ASCII), quoted single-line strings with the common escapes, decimal
//! integers and floats without exponents, `#true`/`#false`/`#null`, properties (also with spaces around
//! `=`), children blocks, `//` and nested `/* */` comments, `/-` on nodes, entries and children blocks,
//! `;` and LF/CRLF line ends. Outside it (handled by the fallback): type annotations, raw and multi-line
//! strings, line continuations, whitespace escapes, hex/octal/binary and exponent numbers, `#inf`/`#nan`,
//! non-ASCII outside strings and comments, a byte-order mark, and other line-end characters.
//!
//! The two parsers are held equal by differential tests (every `.kdl` file in the repository, generated
//! platforms, and property tests over random and mutated documents); [`same_document`] compares values and
//! every span strata reads.

use kdl::{KdlDocument, KdlEntry, KdlError, KdlIdentifier, KdlNode, KdlValue};
use miette::SourceSpan;

/// Parses `text` as a KDL 2.0 document: the fast path when it applies, the kdl crate otherwise.
pub fn parse(text: &str) -> Result<KdlDocument, KdlError> {
    match parse_fast(text) {
        Some(doc) => Ok(doc),
        None => KdlDocument::parse_v2(text),
    }
}

/// The fast path alone: `Some` only when `text` is valid KDL 2.0 inside the supported subset, and then
/// equal to what `KdlDocument::parse_v2` returns (values, names, nesting and spans).
pub fn parse_fast(text: &str) -> Option<KdlDocument> {
    let mut p = Parser { text, b: text.as_bytes(), pos: 0, depth: 0, nodes: Vec::new(), entries: Vec::new() };
    let doc = p.nodes()?;
    (p.pos == p.b.len()).then_some(doc)
}

/// Children blocks nest at most this deep on the fast path (the loader rejects deeper specs anyway); the
/// bound keeps the recursion's stack use small for any caller.
const MAX_NESTING: usize = 64;

struct Parser<'t> {
    text: &'t str,
    b: &'t [u8],
    pos: usize,
    depth: usize,
    /// The nodes of every open children block, innermost last; a block takes its own off the top when it
    /// ends. A node and an entry are hundreds of bytes each (the kdl crate's formatting fields): lists
    /// grown by doubling and shrunk to fit copied them twice more and allocated three times per list.
    nodes: Vec<KdlNode>,
    /// The entries of every open node, the same way.
    entries: Vec<KdlEntry>,
}

fn span(start: usize, end: usize) -> SourceSpan {
    SourceSpan::new(start.into(), end - start)
}

/// Bytes that may appear in an ASCII bare identifier: printable ASCII except `\/(){}[];"#=`.
fn is_ident_byte(c: u8) -> bool {
    matches!(c, 0x21..=0x7e)
        && !matches!(c, b'\\' | b'/' | b'(' | b')' | b'{' | b'}' | b'[' | b']' | b';' | b'"' | b'#' | b'=')
}

/// Code points KDL forbids in a document, plus the non-ASCII line ends, which end a single-line string.
fn is_forbidden_in_string(c: char) -> bool {
    matches!(c,
        '\u{0085}' | '\u{2028}' | '\u{2029}'
        | '\u{200E}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}'
    )
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.b.get(self.pos + ahead).copied()
    }

    /// `nodes`: the body of a document or of a children block, up to `}` or the end of input.
    fn nodes(&mut self) -> Option<KdlDocument> {
        let first = self.nodes.len();
        self.skip_line_space()?;
        let start = self.pos;
        let mut end = start;
        loop {
            match self.peek() {
                None | Some(b'}') => break,
                _ => {}
            }
            let node = self.node()?;
            self.nodes.push(node);
            end = self.pos;
            match self.peek() {
                None | Some(b'}') => break,
                Some(b';' | b'\n') => self.pos += 1,
                Some(b'\r') if self.peek_at(1) == Some(b'\n') => self.pos += 2,
                Some(b'/') if self.peek_at(1) == Some(b'/') => self.line_comment()?,
                _ => return None,
            }
            self.skip_line_space()?;
        }
        let mut doc = KdlDocument::new();
        // The kdl crate's document span runs from the first node to the end of the last one.
        doc.set_span(span(start, end));
        // Collected at its exact length: spare capacity of these large nodes was most of the syntax trees'
        // memory on a large platform.
        *doc.nodes_mut() = self.nodes.drain(first..).collect();
        Some(doc)
    }

    /// Whitespace, line ends, comments and slashdashed nodes between nodes.
    fn skip_line_space(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n') => self.pos += 1,
                Some(b'\r') if self.peek_at(1) == Some(b'\n') => self.pos += 2,
                Some(b'/') => match self.peek_at(1) {
                    Some(b'/') => self.line_comment()?,
                    Some(b'*') => self.block_comment()?,
                    Some(b'-') => {
                        self.pos += 2;
                        self.skip_blanks();
                        self.node()?;
                    }
                    _ => return None,
                },
                _ => return Some(()),
            }
        }
    }

    fn skip_blanks(&mut self) {
        while let Some(b' ' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    /// Spaces, tabs and `/* */` comments inside a node.
    fn skip_node_space(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t') => self.pos += 1,
                Some(b'/') if self.peek_at(1) == Some(b'*') => self.block_comment()?,
                _ => return Some(()),
            }
        }
    }

    /// `// ...` through its line end (LF or CRLF) or the end of input.
    fn line_comment(&mut self) -> Option<()> {
        self.pos += 2;
        loop {
            match self.peek() {
                None => return Some(()),
                Some(b'\n') => {
                    self.pos += 1;
                    return Some(());
                }
                Some(b'\r') if self.peek_at(1) == Some(b'\n') => {
                    self.pos += 2;
                    return Some(());
                }
                // Other line ends (CR, VT, FF, NEL, LS, PS) end the comment too: left to the kdl crate.
                Some(b'\r' | 0x0b | 0x0c) => return None,
                Some(0xc2) if self.peek_at(1) == Some(0x85) => return None,
                Some(0xe2) if self.peek_at(1) == Some(0x80) && matches!(self.peek_at(2), Some(0xa8 | 0xa9)) => {
                    return None;
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// `/* ... */`, nested.
    fn block_comment(&mut self) -> Option<()> {
        self.pos += 2;
        let mut open = 1usize;
        while open > 0 {
            match (self.peek()?, self.peek_at(1)) {
                (b'/', Some(b'*')) => {
                    open += 1;
                    self.pos += 2;
                }
                (b'*', Some(b'/')) => {
                    open -= 1;
                    self.pos += 2;
                }
                _ => self.pos += 1,
            }
        }
        Some(())
    }

    /// After a value or name: what may follow it directly.
    fn at_value_end(&self, allow_equals: bool) -> bool {
        match self.peek() {
            None | Some(b' ' | b'\t' | b'\n' | b';' | b'{' | b'}') => true,
            Some(b'\r') => self.peek_at(1) == Some(b'\n'),
            Some(b'/') => matches!(self.peek_at(1), Some(b'/' | b'*')),
            Some(b'=') => allow_equals,
            _ => false,
        }
    }

    /// A node, from its name through the blanks before its terminator; the span covers exactly that, as
    /// the kdl crate's does.
    fn node(&mut self) -> Option<KdlNode> {
        let start = self.pos;
        let name = self.identifier()?;
        if !self.at_value_end(false) {
            return None;
        }
        let mut node = KdlNode::new(name);
        let first_entry = self.entries.len();
        let mut children = None;
        let mut seen_block = false;
        loop {
            let before = self.pos;
            self.skip_node_space()?;
            let spaced = self.pos > before;
            match self.peek() {
                None | Some(b'\n' | b';' | b'}') => break,
                Some(b'\r') if self.peek_at(1) == Some(b'\n') => break,
                Some(b'/') if self.peek_at(1) == Some(b'/') => break,
                Some(b'{') => {
                    if children.is_some() {
                        return None;
                    }
                    children = Some(self.children()?);
                    seen_block = true;
                }
                Some(b'/') if self.peek_at(1) == Some(b'-') => {
                    if !spaced {
                        return None;
                    }
                    self.pos += 2;
                    self.skip_blanks();
                    if self.peek() == Some(b'{') {
                        self.children()?;
                        seen_block = true;
                    } else if seen_block {
                        // Also a slashdashed *node* straight after a last node without a terminator, which
                        // the kdl crate accepts; rare enough to leave to it.
                        return None;
                    } else {
                        self.entry()?;
                    }
                }
                Some(_) => {
                    if !spaced || seen_block {
                        return None;
                    }
                    let entry = self.entry()?;
                    self.entries.push(entry);
                }
            }
        }
        *node.entries_mut() = self.entries.drain(first_entry..).collect();
        if let Some(children) = children {
            node.set_children(children);
        }
        node.clear_format();
        node.set_span(span(start, self.pos));
        Some(node)
    }

    fn children(&mut self) -> Option<KdlDocument> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return None;
        }
        self.pos += 1;
        let doc = self.nodes()?;
        if self.peek() != Some(b'}') {
            return None;
        }
        self.pos += 1;
        self.depth -= 1;
        Some(doc)
    }

    /// A node name or property key: a bare identifier or a quoted string, with the span of its text.
    fn identifier(&mut self) -> Option<KdlIdentifier> {
        let start = self.pos;
        let value = match self.peek()? {
            b'"' => self.quoted()?,
            _ => self.bare()?,
        };
        let mut ident = KdlIdentifier::from(value);
        ident.set_span(span(start, self.pos));
        Some(ident)
    }

    /// A bare identifier that is not a number, keyword or dotted form.
    fn bare(&mut self) -> Option<String> {
        let start = self.pos;
        let first = self.peek()?;
        if !is_ident_byte(first) || first.is_ascii_digit() {
            return None;
        }
        while self.peek().is_some_and(is_ident_byte) {
            self.pos += 1;
        }
        if self.peek().is_some_and(|c| c >= 0x80) {
            return None;
        }
        let word = &self.text[start..self.pos];
        let unsigned = word.strip_prefix(['+', '-']).unwrap_or(word);
        if unsigned.starts_with(|c: char| c == '.' || c.is_ascii_digit())
            || matches!(word, "true" | "false" | "null" | "inf" | "-inf" | "+inf" | "nan")
        {
            return None;
        }
        Some(word.to_string())
    }

    /// `"..."` on one line, with the escapes `\" \\ \b \f \n \r \t \s \u{...}`.
    fn quoted(&mut self) -> Option<String> {
        if self.peek_at(1) == Some(b'"') && self.peek_at(2) == Some(b'"') {
            return None;
        }
        self.pos += 1;
        let mut out = String::new();
        let mut run = self.pos;
        loop {
            match self.peek()? {
                b'"' => {
                    out.push_str(&self.text[run..self.pos]);
                    self.pos += 1;
                    return Some(out);
                }
                b'\\' => {
                    out.push_str(&self.text[run..self.pos]);
                    self.pos += 1;
                    let c = match self.peek()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b's' => ' ',
                        b'u' => {
                            if self.peek_at(1) != Some(b'{') {
                                return None;
                            }
                            let digits = self.b[self.pos + 2..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
                            if !(1..=6).contains(&digits) || self.peek_at(2 + digits) != Some(b'}') {
                                return None;
                            }
                            let hex = &self.text[self.pos + 2..self.pos + 2 + digits];
                            self.pos += 2 + digits;
                            char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
                        }
                        _ => return None,
                    };
                    out.push(c);
                    self.pos += 1;
                    run = self.pos;
                }
                b'\t' | 0x20..=0x7e => self.pos += 1,
                0x80.. => {
                    let c = self.text[self.pos..].chars().next()?;
                    if is_forbidden_in_string(c) {
                        return None;
                    }
                    self.pos += c.len_utf8();
                }
                _ => return None,
            }
        }
    }

    /// An argument or a property, spanned from its first byte to the end of its value.
    fn entry(&mut self) -> Option<KdlEntry> {
        let start = self.pos;
        let first = self.peek()?;
        let key_like = first == b'"' || (is_ident_byte(first) && !self.at_number());
        let mut entry = if key_like {
            let key = self.identifier()?;
            if !self.at_value_end(true) {
                return None;
            }
            let after_key = self.pos;
            self.skip_node_space()?;
            if self.peek() == Some(b'=') {
                self.pos += 1;
                self.skip_node_space()?;
                KdlEntry::new_prop(key, self.value()?)
            } else {
                self.pos = after_key;
                KdlEntry::new(KdlValue::String(key.value().to_string()))
            }
        } else {
            KdlEntry::new(self.value()?)
        };
        entry.set_span(span(start, self.pos));
        Some(entry)
    }

    fn at_number(&self) -> bool {
        match self.peek() {
            Some(c) if c.is_ascii_digit() => true,
            Some(b'+' | b'-') => self.peek_at(1).is_some_and(|c| c.is_ascii_digit()),
            _ => false,
        }
    }

    /// A value: string, number or keyword, followed by something that may end a value.
    fn value(&mut self) -> Option<KdlValue> {
        let value = match self.peek()? {
            b'"' => KdlValue::String(self.quoted()?),
            b'#' => {
                let rest = &self.b[self.pos + 1..];
                let (value, len) = if rest.starts_with(b"true") {
                    (KdlValue::Bool(true), 4)
                } else if rest.starts_with(b"false") {
                    (KdlValue::Bool(false), 5)
                } else if rest.starts_with(b"null") {
                    (KdlValue::Null, 4)
                } else {
                    return None;
                };
                self.pos += 1 + len;
                value
            }
            _ if self.at_number() => self.number()?,
            _ => KdlValue::String(self.bare()?),
        };
        self.at_value_end(false).then_some(value)
    }

    /// A decimal integer or a float with a fraction (no exponent); `_` separates digits.
    fn number(&mut self) -> Option<KdlValue> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if matches!(self.peek(), Some(b'+' | b'-')) {
            self.pos += 1;
        }
        let mut whole: i128 = 0;
        while let Some(c) = self.peek() {
            match c {
                b'0'..=b'9' => whole = whole.checked_mul(10)?.checked_add(i128::from(c - b'0'))?,
                b'_' => {}
                _ => break,
            }
            self.pos += 1;
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return None;
            }
            while self.peek().is_some_and(|c| c.is_ascii_digit() || c == b'_') {
                self.pos += 1;
            }
            if matches!(self.peek(), Some(b'e' | b'E')) {
                return None;
            }
            let digits = self.text[start..self.pos].replace('_', "");
            return digits.parse::<f64>().ok().map(KdlValue::Float);
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            return None;
        }
        Some(KdlValue::Integer(if negative { -whole } else { whole }))
    }
}

/// Where two parses of one text differ, as a path into the document; `Ok` when values, names and every
/// span strata reads (names, entries, children blocks, nodes) are equal. For the differential tests.
#[doc(hidden)]
pub fn same_document(fast: &KdlDocument, slow: &KdlDocument) -> Result<(), String> {
    compare_docs(fast, slow, "document")
}

fn compare_docs(a: &KdlDocument, b: &KdlDocument, at: &str) -> Result<(), String> {
    if a.span() != b.span() {
        return Err(format!("{at}: span {:?} vs {:?}", a.span(), b.span()));
    }
    if a.nodes().len() != b.nodes().len() {
        return Err(format!("{at}: {} nodes vs {}", a.nodes().len(), b.nodes().len()));
    }
    for (i, (x, y)) in a.nodes().iter().zip(b.nodes()).enumerate() {
        let at = format!("{at}/{i}:{}", y.name().value());
        if x.name().value() != y.name().value() || x.name().span() != y.name().span() {
            return Err(format!("{at}: name {:?} vs {:?}", x.name(), y.name()));
        }
        if x.span() != y.span() {
            return Err(format!("{at}: node span {:?} vs {:?}", x.span(), y.span()));
        }
        if x.ty().is_some() || y.ty().is_some() {
            return Err(format!("{at}: type annotation on the fast path"));
        }
        if x.entries().len() != y.entries().len() {
            return Err(format!("{at}: {} entries vs {}", x.entries().len(), y.entries().len()));
        }
        for (j, (e, f)) in x.entries().iter().zip(y.entries()).enumerate() {
            let same_value = match (e.value(), f.value()) {
                (KdlValue::Float(p), KdlValue::Float(q)) => p.to_bits() == q.to_bits(),
                (p, q) => p == q,
            };
            let same_name = match (e.name(), f.name()) {
                (None, None) => true,
                (Some(p), Some(q)) => p.value() == q.value() && p.span() == q.span(),
                _ => false,
            };
            if !same_value || !same_name || e.span() != f.span() || e.ty().is_some() || f.ty().is_some() {
                return Err(format!("{at} entry {j}: {e:?} vs {f:?}"));
            }
        }
        match (x.children(), y.children()) {
            (None, None) => {}
            (Some(c), Some(d)) => compare_docs(c, d, &at)?,
            _ => return Err(format!("{at}: children {:?} vs {:?}", x.children(), y.children())),
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The property every differential test checks: the fast path either declines, or agrees with the
    /// kdl crate, which then must accept the text too.
    pub(crate) fn agrees(text: &str) -> Result<bool, String> {
        let Some(fast) = parse_fast(text) else { return Ok(false) };
        let slow = KdlDocument::parse_v2(text).map_err(|e| format!("fast path accepted invalid KDL: {e:?}"))?;
        same_document(&fast, &slow).map(|()| true)
    }

    fn accepts(text: &str) {
        match agrees(text) {
            Ok(true) => {}
            Ok(false) => panic!("fast path declined {text:?}"),
            Err(e) => panic!("{text:?}: {e}"),
        }
    }

    fn declines(text: &str) {
        assert!(parse_fast(text).is_none(), "fast path accepted {text:?}");
    }

    #[test]
    fn common_syntax_matches_the_kdl_crate() {
        for text in [
            "",
            "a",
            "a\n",
            "a;b;c",
            "a 1 2.5 -3 +4 1_000 \"s\" #true #false #null bare",
            "a key=1 \"quoted key\"=\"v\" k = v k2 =#true",
            "a {\n  b 1\n  c {\n    d\n  }\n}\n",
            "a{b}",
            "a 1{b;}",
            "a { b; }  ",
            "a {}\n",
            "  a  \n\n  b  // trailing\n/* c */ d /* e */ 1 /* f */\n",
            "a /- 1 2 /-k=v k2=3",
            "a /- { b } { c } /- { d }",
            "/- a 1\nb\n/- c { d }",
            "a\r\nb 1\r\n",
            "a \"esc \\\" \\\\ \\n \\t \\r \\b \\f \\s \\u{1F600} \\u{41}\"",
            "a \"日本語 é\" // комментарий\n",
            "a /* nested /* comment */ still */ 1",
            "a -b +c - + a.b x...",
            "a 0 -0 00012 170141183460469231731687303715884105727",
            "a 1.0 0.5 -2.25 1_0.0_1",
            "a \"\"",
            "x { y { z { w 1; }; }; }",
            "a // comment at the end",
            "a\n// only a comment\n",
            "/- a",
            "a; /- b",
            "a\n/- b\n",
            "{ }".trim_start_matches("{ }"),
        ] {
            accepts(text);
        }
    }

    #[test]
    fn uncommon_syntax_is_left_to_the_kdl_crate() {
        for text in [
            "(t)a",
            "a (t)1",
            "a #\"raw\"#",
            "a \"\"\"\nmulti\n\"\"\"",
            "a 1 \\\n 2",
            "a \"ws \\  escape\"",
            "a 0x1F 0o7 0b1",
            "a 1e3 1.5E-2",
            "a #inf #-inf #nan",
            "\u{feff}a",
            "a\rb",
            "a\u{2028}b",
            "\u{e9}t\u{e9}",
            "a\u{a0}1",
            "a \"\u{200e}\"",
            "a \"tab\tok\" \"\u{7f}\"",
            "a ...x .y -.z",
        ] {
            assert!(agrees(text).is_ok(), "{text:?}");
        }
        declines("(t)a");
        declines("a #\"raw\"#");
        declines("a 1e3");
    }

    #[test]
    fn invalid_documents_are_never_accepted() {
        for text in [
            "a {",
            "a }",
            "}",
            "{",
            "a {} {}",
            "a {} 1",
            "a;;b",
            "a\"b\"",
            "a 1a",
            "a true",
            "a null",
            "a .5",
            "a 1.",
            "a \"unterminated",
            "a \"multi\nline\"",
            "a /* open",
            "a=1",
            "a b=",
            "a b==1",
            "a #tru",
            "a 1=2",
            "/- a; b",
            "a/-b",
            "a \\u{}",
            "a \"\\u{110000}\"",
            "a \"\\x\"",
            "a [b]",
            "a 1/-2",
            "a 170141183460469231731687303715884105728",
            "a -inf",
            "a +inf",
            "a nan",
        ] {
            assert!(agrees(text).is_ok(), "{text:?}");
            declines(text);
        }
    }

    /// Tokens that combine into mostly-valid documents, with the separators that matter.
    fn token() -> impl Strategy<Value = &'static str> {
        proptest::sample::select(vec![
            "a",
            "node",
            "k=",
            "k =",
            "= ",
            "\"s\"",
            "\"k\"=",
            "\"e\\n\\u{41}\"",
            "1",
            "-2",
            "+3",
            "4.5",
            "1_0",
            "#true",
            "#null",
            "-",
            "+x",
            "{",
            "}",
            "{ }",
            ";",
            "\n",
            "\r\n",
            " ",
            "  ",
            "\t",
            "/-",
            "/- ",
            "// c\n",
            "/* c */",
            "/* /* n */ */",
            "x.y",
            "\"é\"",
            "(t)",
            "#\"r\"#",
            "0x1",
            "1e2",
            "\\\n",
            "=",
            "\"",
            "/",
            "*",
            "é",
        ])
    }

    /// A tiny deterministic generator (xorshift), so the structured tests below need no shrinking to
    /// print a failing document.
    struct Gen(u64);

    impl Gen {
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            items[(self.0 % items.len() as u64) as usize]
        }

        fn below(&mut self, n: usize) -> usize {
            self.pick(&["0"; 1]);
            (self.0 % n as u64) as usize
        }

        /// A valid document of the fast path's subset, with every kind of spacing, comment and slashdash.
        fn document(&mut self, depth: usize, out: &mut String) {
            let nodes = self.below(4) + usize::from(depth == 0);
            for i in 0..nodes {
                out.push_str(self.pick(&["", "", "  ", "\n", "// c\n", "/* c */ ", "/- skip 1 { x }\n", "\t"]));
                out.push_str(self.pick(&["a", "node", "x-y", "\"quoted name\"", "\"\"", "+x", "-", "a.b", "k8s"]));
                for _ in 0..self.below(5) {
                    out.push_str(self.pick(&[" ", "  ", "\t", " /* c */ ", " /- 9 ", " /-k=1 ", " /- \"s\" "]));
                    if self.below(2) == 0 {
                        out.push_str(self.pick(&["k", "\"q k\"", "key-2", "a.b"]));
                        out.push_str(self.pick(&["=", " = ", "=/* c */", "\t=\t"]));
                    }
                    out.push_str(self.pick(&[
                        "1",
                        "-2",
                        "+3",
                        "4.5",
                        "1_000",
                        "0.25",
                        "\"s\"",
                        "\"e\\n\\t\\u{41}\\\"\"",
                        "#true",
                        "#false",
                        "#null",
                        "bare",
                        "-x",
                        "\"é ü\"",
                        "\"\"",
                        "x...",
                    ]));
                }
                if depth < 3 && self.below(3) == 0 {
                    out.push_str(self.pick(&[" ", "", " /- { z } ", "\t"]));
                    out.push('{');
                    self.document(depth + 1, out);
                    out.push('}');
                    out.push_str(self.pick(&["", " ", " /- { w }", " /* c */"]));
                }
                let last = i + 1 == nodes;
                out.push_str(if last && depth > 0 {
                    self.pick(&["", " ", ";", "\n", " // c\n"])
                } else {
                    self.pick(&["\n", ";", "\r\n", " // c\n", ";\n", "\n\n", " \n"])
                });
            }
            out.push_str(self.pick(&["", "", "\n", "// end\n", "\n/- gone\n", "  "]));
        }
    }

    #[test]
    fn generated_documents_take_the_fast_path_and_agree() {
        let mut g = Gen(0x9e37_79b9_7f4a_7c15);
        for _ in 0..3000 {
            let mut text = String::new();
            g.document(0, &mut text);
            accepts(&text);
        }
    }

    #[test]
    fn mutated_documents_agree() {
        let mut g = Gen(0x2545_f491_4f6c_dd1d);
        let mut declined = 0;
        for _ in 0..3000 {
            let mut text = String::new();
            g.document(0, &mut text);
            for _ in 0..1 + g.below(3) {
                let at = (0..=g.below(text.len() + 1)).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
                match g.below(3) {
                    0 => {
                        let end = (at + 1 + g.below(4)).min(text.len());
                        if let Some(end) = (end..=text.len()).find(|i| text.is_char_boundary(*i)) {
                            text.replace_range(at..end, "");
                        }
                    }
                    1 => text
                        .insert_str(at, g.pick(&["{", "}", "\"", "=", ";", "\n", "/-", "/*", "#", "(t)", "\\", "1"])),
                    _ => text.insert_str(at, g.pick(&[" ", "a", "-", ".", "e", "_", "//", "*/", "\r"])),
                }
            }
            match agrees(&text) {
                Ok(true) => {}
                Ok(false) => declined += 1,
                Err(e) => panic!("{text:?}: {e}"),
            }
        }
        // Most mutations break the document; some must still be accepted, or this test checks nothing.
        assert!(declined < 2900, "only {} of 3000 mutated documents took the fast path", 3000 - declined);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, .. ProptestConfig::default() })]

        #[test]
        fn token_soup_agrees(tokens in proptest::collection::vec(token(), 0..40)) {
            let text: String = tokens.concat();
            if let Err(e) = agrees(&text) {
                prop_assert!(false, "{:?}: {}", text, e);
            }
        }

        #[test]
        fn random_text_agrees(text in "[a-z0-9 \"=#{};/*\\-.\n\t_+é]{0,60}") {
            if let Err(e) = agrees(&text) {
                prop_assert!(false, "{:?}: {}", text, e);
            }
        }
    }
}
