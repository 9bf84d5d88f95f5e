//! Canonical layout for spec files (`strata fmt`): four-space indentation by nesting, single spaces between
//! entries, no trailing whitespace, at most one blank line in a row. It works on tokens, not on the parsed
//! document, so every comment, quote style and number format survives exactly as written; the result is
//! then re-parsed and compared with the original to prove the meaning did not change.

use kdl::KdlDocument;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok<'a> {
    /// A string, comment or other run that is copied verbatim (may span lines).
    Verbatim(&'a str),
    Space,
    Newline,
    Open,
    Close,
}

fn tokenize<'a>(text: &'a str) -> Vec<Tok<'a>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut word_start: Option<usize> = None;
    let flush = |out: &mut Vec<Tok<'a>>, ws: &mut Option<usize>, end: usize| {
        if let Some(s) = ws.take() {
            out.push(Tok::Verbatim(&text[s..end]));
        }
    };
    while i < b.len() {
        let c = b[i];
        let start = i;
        match c {
            b'\n' => {
                flush(&mut out, &mut word_start, i);
                out.push(Tok::Newline);
                i += 1;
            }
            b'\r' if b.get(i + 1) == Some(&b'\n') => {
                flush(&mut out, &mut word_start, i);
                out.push(Tok::Newline);
                i += 2;
            }
            b' ' | b'\t' => {
                flush(&mut out, &mut word_start, i);
                while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                    i += 1;
                }
                out.push(Tok::Space);
            }
            b'{' => {
                flush(&mut out, &mut word_start, i);
                out.push(Tok::Open);
                i += 1;
            }
            b'}' => {
                flush(&mut out, &mut word_start, i);
                out.push(Tok::Close);
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                flush(&mut out, &mut word_start, i);
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                let end = if i > start && b[i - 1] == b'\r' { i - 1 } else { i };
                out.push(Tok::Verbatim(text[start..end].trim_end()));
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                flush(&mut out, &mut word_start, i);
                let mut nest = 1;
                i += 2;
                while i < b.len() && nest > 0 {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        nest += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        nest -= 1;
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
                out.push(Tok::Verbatim(&text[start..i]));
            }
            b'"' | b'#' if is_string_start(b, i) => {
                // A string continues the current word (e.g. `key="v"`), so keep word_start.
                let end = string_end(b, i);
                if word_start.is_none() {
                    word_start = Some(start);
                }
                i = end;
            }
            _ => {
                if word_start.is_none() {
                    word_start = Some(i);
                }
                i += 1;
            }
        }
    }
    flush(&mut out, &mut word_start, b.len());
    out
}

fn is_string_start(b: &[u8], i: usize) -> bool {
    if b[i] == b'"' {
        return true;
    }
    let hashes = b[i..].iter().take_while(|c| **c == b'#').count();
    b.get(i + hashes) == Some(&b'"')
}

/// The byte after the string starting at `i` (plain, multi-line `"""`, or raw `#"..."#`).
fn string_end(b: &[u8], i: usize) -> usize {
    let hashes = b[i..].iter().take_while(|c| **c == b'#').count();
    let mut j = i + hashes;
    let triple = b[j..].starts_with(b"\"\"\"");
    j += if triple { 3 } else { 1 };
    let closing_quotes = if triple { 3 } else { 1 };
    while j < b.len() {
        if hashes == 0 && b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j..].starts_with(&b"\"\"\""[..closing_quotes])
            && b[j + closing_quotes..].iter().take(hashes).filter(|c| **c == b'#').count() == hashes
        {
            return (j + closing_quotes + hashes).min(b.len());
        }
        j += 1;
    }
    b.len()
}

/// Lays out `text` canonically. Pure token shuffling: see [`format_checked`] for the safety net.
pub fn format(text: &str) -> String {
    let toks = tokenize(text);
    let mut lines: Vec<Vec<Tok<'_>>> = vec![Vec::new()];
    for t in toks {
        if t == Tok::Newline {
            lines.push(Vec::new());
        } else {
            lines.last_mut().expect("at least one line").push(t);
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut depth: usize = 0;
    let mut blank_pending = false;
    let mut wrote_any = false;
    for line in lines {
        let trimmed: Vec<&Tok<'_>> = {
            let s = line.iter().position(|t| *t != Tok::Space);
            let e = line.iter().rposition(|t| *t != Tok::Space);
            match (s, e) {
                (Some(s), Some(e)) => line[s..=e].iter().collect(),
                _ => Vec::new(),
            }
        };
        if trimmed.is_empty() {
            blank_pending = wrote_any;
            continue;
        }
        let line_depth = if *trimmed[0] == Tok::Close { depth.saturating_sub(1) } else { depth };
        // No blank line right after an opening brace or right before a closing one.
        if blank_pending && !out.ends_with("{\n") && *trimmed[0] != Tok::Close {
            out.push('\n');
        }
        blank_pending = false;
        out.extend(std::iter::repeat_n(' ', line_depth * 4));
        let mut prev: Option<&Tok<'_>> = None;
        for t in &trimmed {
            match t {
                Tok::Space => {
                    if prev != Some(&Tok::Space) {
                        out.push(' ');
                    }
                }
                Tok::Open => {
                    if prev.is_some_and(|p| *p != Tok::Space) {
                        out.push(' ');
                    }
                    out.push('{');
                    depth += 1;
                }
                Tok::Close => {
                    out.push('}');
                    depth = depth.saturating_sub(1);
                }
                Tok::Verbatim(s) => out.push_str(s),
                Tok::Newline => {}
            }
            prev = Some(t);
        }
        out.push('\n');
        wrote_any = true;
    }
    if !wrote_any {
        return String::new();
    }
    out
}

/// Why a file was not formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// The file does not parse; `strata check` shows why.
    Invalid,
    /// The layout pass would change what the file means. A bug in strata; the file is left alone.
    WouldChangeMeaning,
}

/// Formats `text` and proves the result parses to the same document (ignoring layout and comments).
pub fn format_checked(text: &str) -> Result<String, FormatError> {
    let before = KdlDocument::parse_v2(text).map_err(|_| FormatError::Invalid)?;
    let formatted = format(text);
    let after = KdlDocument::parse_v2(&formatted).map_err(|_| FormatError::WouldChangeMeaning)?;
    if canonical(before) != canonical(after) {
        return Err(FormatError::WouldChangeMeaning);
    }
    Ok(formatted)
}

fn canonical(mut doc: KdlDocument) -> String {
    doc.autoformat_no_comments();
    doc.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indents_by_depth_and_keeps_comments_and_quotes() {
        let src = "// header\nplatform   \"x\"   {\n  cluster    context=\"a\"  // trailing\n}\n\n\n/* block\n   kept */\ntenant \"t\"   tier=\"small\"{\n        quota cpu=2   memory=\"4Gi\"\n}\n";
        let out = format_checked(src).unwrap();
        assert_eq!(
            out,
            "// header\nplatform \"x\" {\n    cluster context=\"a\" // trailing\n}\n\n/* block\n   kept */\ntenant \"t\" tier=\"small\" {\n    quota cpu=2 memory=\"4Gi\"\n}\n"
        );
        assert_eq!(format_checked(&out).unwrap(), out, "formatting is idempotent");
    }

    #[test]
    fn strings_with_braces_and_spaces_are_untouched() {
        let src = "a \"x  {  y\" #\"raw  \"}\"# b=\"\"\"\n  multi   line\n  \"\"\"\n";
        let out = format_checked(src).unwrap();
        assert!(out.contains("\"x  {  y\""));
        assert!(out.contains("#\"raw  \"}\"#"));
        assert!(out.contains("  multi   line"));
    }

    #[test]
    fn invalid_input_is_refused() {
        assert_eq!(format_checked("a {"), Err(FormatError::Invalid));
    }
}
