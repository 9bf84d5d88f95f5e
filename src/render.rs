//! Deterministic text output for manifests: multi-document YAML (a small emitter written here so quoting is
//! predictable and safe for every YAML 1.1/1.2 reader) and JSON. Object keys are sorted (serde_json's
//! default map), so the same set renders to the same bytes on every machine.

use std::fmt::Write;

use serde_json::Value;

use crate::tree::Node;

use crate::manifest::{Manifest, ManifestSet, ObjectHeader, RenderedSet};

/// Output formats of `strata compile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Yaml,
    Json,
}

impl OutputFormat {
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Yaml => "yaml",
            OutputFormat::Json => "json",
        }
    }
}

/// Where `strata compile` writes: one stream on stdout, or one file per object (`--out-dir`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Stream,
    Files,
}

/// How a compile's objects are rendered: the format, and whether they go to one stream or to files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rendering {
    pub format: OutputFormat,
    pub layout: Layout,
}

impl Rendering {
    /// One object's text, as [`Rendering::stream_parts`] or a file takes it: a file holds [`render_one`]; a
    /// YAML stream's piece starts its document with `---`; a JSON stream's piece is the object as
    /// `serde_json`'s pretty printer writes it two levels deep (inside the list's `items`), without its
    /// line end, so the pieces joined by `,` make the same text as [`render_set`].
    pub fn object_renderer(self) -> fn(&Node) -> String {
        match (self.layout, self.format) {
            (Layout::Files, OutputFormat::Yaml) => to_yaml,
            (Layout::Files, OutputFormat::Json) => to_json_file,
            (Layout::Stream, OutputFormat::Yaml) => to_yaml_document,
            (Layout::Stream, OutputFormat::Json) => to_json_list_item,
        }
    }

    /// The stream of a set rendered with [`Rendering::object_renderer`], in pieces to write in order; joined,
    /// they are [`render_set`] of the same objects.
    pub fn stream_parts(self, set: &RenderedSet) -> Vec<&str> {
        let texts = set.items.iter().map(|o| o.text.as_str());
        match self.format {
            OutputFormat::Yaml => texts.collect(),
            OutputFormat::Json if set.is_empty() => vec![JSON_LIST_EMPTY],
            OutputFormat::Json => {
                let mut parts = Vec::with_capacity(set.len() * 2 + 1);
                parts.push(JSON_LIST_HEAD);
                for (i, text) in texts.enumerate() {
                    if i > 0 {
                        parts.push(",\n");
                    }
                    parts.push(text);
                }
                parts.push(JSON_LIST_TAIL);
                parts
            }
        }
    }
}

/// The `v1/List` around a JSON stream's items, as `serde_json`'s pretty printer writes it (keys sorted).
const JSON_LIST_HEAD: &str = "{\n  \"apiVersion\": \"v1\",\n  \"items\": [\n";
const JSON_LIST_TAIL: &str = "\n  ],\n  \"kind\": \"List\"\n}\n";
const JSON_LIST_EMPTY: &str = "{\n  \"apiVersion\": \"v1\",\n  \"items\": [],\n  \"kind\": \"List\"\n}\n";

fn to_yaml_document<T: Tree>(v: &T) -> String {
    in_scratch(|out| {
        out.push_str("---\n");
        write_yaml(out, v);
    })
}

fn to_json_file<T: Tree>(v: &T) -> String {
    in_scratch(|out| {
        write_json_pretty(out, v);
        out.push('\n');
    })
}

/// A JSON string never holds a raw line end (the printer escapes them), so indenting every line is what
/// printing the object nested in the list does.
fn to_json_list_item<T: Tree>(v: &T) -> String {
    in_scratch(|out| {
        let start = out.len();
        write_json_pretty(out, v);
        let flat = out.split_off(start);
        for (i, line) in flat.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str("    ");
            out.push_str(line);
        }
    })
}

/// `serde_json`'s pretty printing of `v` appended to `out` (a tree always serialises: its keys are strings).
fn write_json_pretty<T: Tree>(out: &mut String, v: &T) {
    out.push_str(&serde_json::to_string_pretty(v).unwrap_or_default());
}

/// The text `write` makes, built in a buffer kept by the thread and copied out at its exact length: one
/// object's text is written without growing a string from empty (a dozen reallocations and copies), and the
/// set keeps no spare capacity (half again the output's size in fresh memory, which the kernel must zero).
fn in_scratch(write: impl FnOnce(&mut String)) -> String {
    thread_local! {
        static SCRATCH: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    SCRATCH.with(|scratch| {
        let mut out = scratch.take();
        out.clear();
        write(&mut out);
        let text = out.as_str().to_owned();
        scratch.replace(out);
        text
    })
}

/// The whole set as one stream: `---`-separated YAML documents, or a JSON `v1/List`.
pub fn render_set(set: &ManifestSet, format: OutputFormat) -> String {
    match format {
        OutputFormat::Yaml => {
            // Objects render independently: on all cores, in chunks, kept in order.
            let chunks: Vec<&[Manifest]> = set.items.chunks(256).collect();
            crate::parallel::map(&chunks, |chunk| {
                let mut out = String::with_capacity(chunk.len() * 1024);
                for m in *chunk {
                    out.push_str("---\n");
                    write_yaml(&mut out, &m.object);
                }
                out
            })
            .concat()
        }
        OutputFormat::Json => {
            let list = serde_json::json!({
                "apiVersion": "v1",
                "kind": "List",
                "items": set.items.iter().map(|m| &m.object).collect::<Vec<_>>(),
            });
            let mut s = serde_json::to_string_pretty(&list).unwrap_or_default();
            s.push('\n');
            s
        }
    }
}

/// One object as a standalone file.
pub fn render_one(m: &Manifest, format: OutputFormat) -> String {
    match format {
        OutputFormat::Yaml => to_yaml(&m.object),
        OutputFormat::Json => to_json_file(&m.object),
    }
}

/// The longest file name (in bytes) Linux, macOS and Windows file systems accept (`NAME_MAX`).
pub const MAX_FILE_NAME: usize = 255;

/// `<namespace or _cluster>/<kind>-<name>.<ext>`: where `compile --out` writes an object. A name too long
/// for one file name (a Kafka topic may have 249 characters, a kind prefix and extension make more than
/// 255 bytes) is cut and ends in a hash of the whole name: stable across compiles, distinct for names that
/// share the cut prefix. The object inside the file keeps its full name.
pub fn file_path(m: &ObjectHeader, format: OutputFormat) -> String {
    let kind = m.kind.to_ascii_lowercase();
    let ext = format.extension();
    let dir = m.namespace.as_deref().unwrap_or("_cluster");
    let full = format!("{kind}-{}.{ext}", m.name);
    if full.len() <= MAX_FILE_NAME {
        return format!("{dir}/{full}");
    }
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{kind}/{}", m.name).as_bytes());
    let hash: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    // `<kind>-<prefix>-<hash>.<ext>`: the prefix takes what is left, cut at a character boundary.
    let room = MAX_FILE_NAME - (kind.len() + 1 + 1 + hash.len() + 1 + ext.len());
    let mut cut = room.min(m.name.len());
    while !m.name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{dir}/{kind}-{}-{hash}.{ext}", &m.name[..cut])
}

/// Block-style YAML for one value (a document body, no `---`).
pub fn to_yaml<T: Tree>(v: &T) -> String {
    in_scratch(|out| write_yaml(out, v))
}

/// What the YAML writer reads of a JSON tree: serde_json's [`Value`] (sets kept whole) and the compact
/// [`Node`] (objects streamed by `strata compile`) print through the same code, so the two paths cannot
/// render one object differently.
pub trait Tree: serde::Serialize + Sized {
    type Entries<'a>: ExactSizeIterator<Item = (KeyText<'a>, &'a Self)>
    where
        Self: 'a;
    fn shape(&self) -> Shape<'_, Self>;
}

/// A map key as the writer gets it. A typed object's field name, or a label strata stamps, is a `&'static str`
/// that recurs in every object of its kind (300,000 of the 490,000 keys of a 15k-object compile, from a few
/// hundred names), so whether it needs quotes is worked out once per name ([`write_key`]).
#[derive(Debug, Clone, Copy)]
pub enum KeyText<'a> {
    Static(&'static str),
    Other(&'a str),
}

/// One node of a [`Tree`] as the writer needs it.
pub enum Shape<'a, T: Tree> {
    Null,
    Bool(bool),
    Number(&'a serde_json::Number),
    Str(&'a str),
    Seq(&'a [T]),
    Map(T::Entries<'a>),
}

impl Tree for Value {
    type Entries<'a> =
        std::iter::Map<serde_json::map::Iter<'a>, fn((&'a String, &'a Value)) -> (KeyText<'a>, &'a Value)>;
    fn shape(&self) -> Shape<'_, Value> {
        match self {
            Value::Null => Shape::Null,
            Value::Bool(b) => Shape::Bool(*b),
            Value::Number(n) => Shape::Number(n),
            Value::String(s) => Shape::Str(s),
            Value::Array(a) => Shape::Seq(a),
            Value::Object(m) => Shape::Map(m.iter().map(value_entry as _)),
        }
    }
}

fn value_entry<'a>((k, v): (&'a String, &'a Value)) -> (KeyText<'a>, &'a Value) {
    (KeyText::Other(k), v)
}

fn node_entry((k, v): &(crate::tree::Key, Node)) -> (KeyText<'_>, &Node) {
    let key = match k {
        std::borrow::Cow::Borrowed(name) => KeyText::Static(name),
        std::borrow::Cow::Owned(key) => KeyText::Other(key),
    };
    (key, v)
}

impl Tree for Node {
    type Entries<'a> = std::iter::Map<
        std::slice::Iter<'a, (crate::tree::Key, Node)>,
        fn(&'a (crate::tree::Key, Node)) -> (KeyText<'a>, &'a Node),
    >;
    fn shape(&self) -> Shape<'_, Node> {
        match self {
            Node::Null => Shape::Null,
            Node::Bool(b) => Shape::Bool(*b),
            Node::Number(n) => Shape::Number(n),
            Node::String(s) => Shape::Str(s),
            Node::Seq(a) => Shape::Seq(a),
            Node::Map(m) => Shape::Map(m.entries().iter().map(node_entry as _)),
        }
    }
}

/// [`to_yaml`] appended to `out`, so a stream of objects is written into one buffer without a string per
/// object to grow and copy.
fn write_yaml<T: Tree>(out: &mut String, v: &T) {
    match v.shape() {
        Shape::Map(m) if m.len() > 0 => write_map::<T>(out, m, 0),
        Shape::Seq(a) if !a.is_empty() => write_seq(out, a, 0),
        _ => {
            write_scalar(out, v, 0);
            out.push('\n');
        }
    }
}

fn pad(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = n;
    while left > 0 {
        let step = left.min(SPACES.len());
        out.push_str(&SPACES[..step]);
        left -= step;
    }
}

fn write_map<'a, T: Tree + 'a>(out: &mut String, m: T::Entries<'a>, indent: usize) {
    for (i, (k, v)) in m.enumerate() {
        if i > 0 {
            pad(out, indent);
        }
        write_key(out, k);
        out.push(':');
        write_child(out, v, indent);
    }
}

/// Writes what follows `key:` or `- `: a scalar on the same line, or a nested block on the next lines.
fn write_child<T: Tree>(out: &mut String, v: &T, indent: usize) {
    match v.shape() {
        Shape::Map(m) if m.len() > 0 => {
            out.push('\n');
            pad(out, indent + 2);
            write_map::<T>(out, m, indent + 2);
        }
        Shape::Seq(a) if !a.is_empty() => {
            out.push('\n');
            pad(out, indent);
            write_seq(out, a, indent);
        }
        Shape::Map(_) => out.push_str(" {}\n"),
        Shape::Seq(_) => out.push_str(" []\n"),
        _ => {
            out.push(' ');
            write_scalar(out, v, indent + 2);
            out.push('\n');
        }
    }
}

fn write_seq<T: Tree>(out: &mut String, a: &[T], indent: usize) {
    for (i, item) in a.iter().enumerate() {
        if i > 0 {
            pad(out, indent);
        }
        out.push('-');
        match item.shape() {
            Shape::Map(m) if m.len() > 0 => {
                out.push(' ');
                write_map::<T>(out, m, indent + 2);
            }
            Shape::Seq(inner) if !inner.is_empty() => {
                out.push('\n');
                pad(out, indent + 2);
                write_seq(out, inner, indent + 2);
            }
            Shape::Map(_) => out.push_str(" {}\n"),
            Shape::Seq(_) => out.push_str(" []\n"),
            _ => {
                out.push(' ');
                write_scalar(out, item, indent + 2);
                out.push('\n');
            }
        }
    }
}

fn write_key(out: &mut String, k: KeyText) {
    let (k, plain) = match k {
        KeyText::Static(name) => (name, static_plain_safe(name)),
        KeyText::Other(k) => (k, is_plain_safe(k)),
    };
    if plain {
        out.push_str(k);
    } else {
        out.push_str(&quoted(k));
    }
}

/// [`is_plain_safe`] of a `'static` name, remembered per thread in a small table indexed by the name's
/// address: a name's address and length stand for its text for the life of the program (and no name's
/// address is 0, the empty slots').
fn static_plain_safe(name: &'static str) -> bool {
    const SLOTS: usize = 512;
    thread_local! {
        static SEEN: std::cell::RefCell<[(usize, usize, bool); SLOTS]> =
            const { std::cell::RefCell::new([(0, 0, false); SLOTS]) };
    }
    let address = name.as_ptr() as usize;
    let slot = (address ^ (address >> 9) ^ name.len()) % SLOTS;
    SEEN.with(|seen| {
        let mut seen = seen.borrow_mut();
        let (at, len, plain) = seen[slot];
        if at == address && len == name.len() {
            return plain;
        }
        let plain = is_plain_safe(name);
        seen[slot] = (address, name.len(), plain);
        plain
    })
}

fn write_scalar<T: Tree>(out: &mut String, v: &T, indent: usize) {
    match v.shape() {
        Shape::Null => out.push_str("null"),
        Shape::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Shape::Number(n) => write_number(out, n),
        Shape::Str(s) => write_string(out, s, indent),
        // Callers pass only scalars; containers are written by write_map/write_seq.
        Shape::Seq(_) | Shape::Map(_) => out.push_str(&quoted(&serde_json::to_string(v).unwrap_or_default())),
    }
}

/// A number as serde_json prints it (`Display`): integers, most numbers of an object, without the
/// formatting machinery.
fn write_number(out: &mut String, n: &serde_json::Number) {
    let (negative, magnitude) = match (n.as_u64(), n.as_i64()) {
        (Some(u), _) => (false, u),
        (None, Some(i)) => (true, i.unsigned_abs()),
        (None, None) => {
            let _ = write!(out, "{n}");
            return;
        }
    };
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut left = magnitude;
    loop {
        at -= 1;
        digits[at] = b'0' + (left % 10) as u8;
        left /= 10;
        if left == 0 {
            break;
        }
    }
    if negative {
        out.push('-');
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&digits[at..]).unwrap_or_default());
}

fn write_string(out: &mut String, s: &str, indent: usize) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else if literal_block_ok(s) {
        let body = s.trim_end_matches('\n');
        let trailing = s.len() - body.len();
        out.push_str(match trailing {
            0 => "|-",
            1 => "|",
            _ => "|+",
        });
        for line in s.split_inclusive('\n') {
            out.push('\n');
            let content = line.strip_suffix('\n').unwrap_or(line);
            if !content.is_empty() {
                pad(out, indent);
                out.push_str(content);
            }
        }
    } else {
        out.push_str(&quoted(s));
    }
}

/// JSON string syntax is valid YAML double-quoted syntax, with the same escapes.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// Multi-line text (pod templates, config files) reads best as a literal block; fall back to quotes for
/// anything a block cannot hold exactly.
fn literal_block_ok(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\t', '\n'])
        && s.chars().all(|c| c == '\n' || (!c.is_control() && c != '\u{feff}'))
        && !s.trim_end_matches('\n').is_empty()
}

/// [`BYTE_CLASS`] bits. Non-ASCII (which includes the Unicode controls and blanks) and the ASCII controls
/// need quotes, as do flow indicators, quotes and backslashes anywhere.
const QUOTE: u8 = 1;
/// `:` and ` ` start the pairs `: ` (a mapping) and ` #` (a comment), which need quotes.
const PAIR: u8 = 2;
/// Bytes of anything number-like, date-like or sexagesimal (YAML 1.1 `1:20`), which stays a string only in
/// quotes.
const NUMERIC: u8 = 4;
/// Bytes that may not start a plain scalar: YAML's indicators, and a blank a reader would trim.
const LEADING: u8 = 8;

const BYTE_CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let byte = c as u8;
        if byte < 0x20 || byte >= 0x7f {
            class[c] |= QUOTE;
        }
        if byte.is_ascii_hexdigit() {
            class[c] |= NUMERIC;
        }
        c += 1;
    }
    let mut i = 0;
    while i < b"{}[],\"'\\".len() {
        class[b"{}[],\"'\\"[i] as usize] |= QUOTE;
        i += 1;
    }
    let mut i = 0;
    while i < b"xXoO._:+-".len() {
        class[b"xXoO._:+-"[i] as usize] |= NUMERIC;
        i += 1;
    }
    class[b':' as usize] |= PAIR;
    class[b' ' as usize] |= PAIR;
    let mut i = 0;
    while i < b"-?:,[]{}#&*!|>'\"%@`~ ".len() {
        class[b"-?:,[]{}#&*!|>'\"%@`~ "[i] as usize] |= LEADING;
        i += 1;
    }
    class
};

/// True when `s` can be written without quotes and reads back as the same string in YAML 1.1 and 1.2.
///
/// One pass over the bytes, sixteen at a time, that stops in the first chunk holding a byte that needs
/// quotes: rendering calls this on every key and string of every object, and long multi-line values
/// (scripts, config files) were scanned several times over before they reached the literal-block path
/// (40% of `compile` on a large platform). The per-byte work is two table-driven bit operations; the
/// pairs `: ` and ` #` are looked for only in strings that hold a `:` or a blank.
fn is_plain_safe(s: &str) -> bool {
    let b = s.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else { return false };
    // Leading or trailing blanks would be trimmed by a reader; other whitespace is a control character.
    if BYTE_CLASS[first as usize] & LEADING != 0 || last == b' ' || last == b':' {
        return false;
    }
    // The classes of every byte, OR-ed (does any need quotes or start a pair?) and AND-ed (are all of them
    // number-like?), sixteen bytes at a time so a long multi-line value stops at its first line end.
    let (mut any, mut all) = (0u8, u8::MAX);
    for chunk in b.chunks(16) {
        for &c in chunk {
            let class = BYTE_CLASS[c as usize];
            any |= class;
            all &= class;
        }
        if any & QUOTE != 0 {
            return false;
        }
    }
    if any & PAIR != 0
        && b.iter().zip(&b[1..]).any(|(&c, &next)| (c == b':' && next == b' ') || (c == b' ' && next == b'#'))
    {
        return false;
    }
    if (first.is_ascii_digit() || first == b'.' || first == b'+') && all & NUMERIC != 0 {
        return false;
    }
    b.len() > 5 || !is_retyped_word(b)
}

/// The words YAML 1.1 reads as booleans, null or special floats, in any case.
fn is_retyped_word(b: &[u8]) -> bool {
    let mut lower = [0u8; 5];
    let Some(buf) = lower.get_mut(..b.len()) else { return false };
    for (l, c) in buf.iter_mut().zip(b) {
        *l = c.to_ascii_lowercase();
    }
    matches!(
        &*buf,
        b"true"
            | b"false"
            | b"yes"
            | b"no"
            | b"on"
            | b"off"
            | b"y"
            | b"n"
            | b"null"
            | b".inf"
            | b".nan"
            | b"-.inf"
            | b"+.inf"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The JSON stream's list around no objects, and around several, is what `serde_json` prints for the list.
    #[test]
    fn a_json_stream_of_rendered_objects_is_the_printed_list() {
        let rendering = Rendering { format: OutputFormat::Json, layout: Layout::Stream };
        let empty = RenderedSet::default();
        assert_eq!(rendering.stream_parts(&empty).concat(), render_set(&ManifestSet::default(), OutputFormat::Json));
        let objects = [json!({"a": {"b": [1, {}, []], "c": "x\ny"}, "d": {}}), json!({"e": null})];
        let items = objects
            .iter()
            .map(|v| crate::manifest::RenderedObject {
                header: ObjectHeader {
                    stage: crate::manifest::Stage::Cluster,
                    api_version: "v1".into(),
                    kind: "K".into(),
                    namespace: None,
                    name: "n".into(),
                    tenant: None,
                    span: crate::source::Span::new(crate::source::FileId(0), 0, 0),
                },
                text: rendering.object_renderer()(&Node::from(v.clone())),
            })
            .collect();
        let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
        let expected = format!("{}\n", serde_json::to_string_pretty(&list).unwrap());
        assert_eq!(rendering.stream_parts(&RenderedSet { items }).concat(), expected);
    }

    /// Every renderer writes a compact tree as it writes the `Value` it stands for: block maps and sequences,
    /// empty ones, sequences of sequences, quoted keys and strings, literal blocks, numbers of each kind.
    #[test]
    fn a_tree_renders_as_the_value_it_stands_for() {
        let value = json!({
            "metadata": {"name": "n", "labels": {"on": "yes", "a/b": "", "z": "1.5"}, "annotations": {}},
            "spec": {"list": [[1, -2], [], {}, [{"k": 0.25}], "x\ny\n", "- item"], "empty": [], "nothing": null,
                     "flag": false, "big": 18446744073709551615u64, "script": "line one\n  indented\n\n"},
            "weird key: value": "#comment", "": "empty key"
        });
        let node = Node::from(value.clone());
        for layout in [Layout::Stream, Layout::Files] {
            for format in [OutputFormat::Yaml, OutputFormat::Json] {
                let rendering = Rendering { format, layout };
                let of_value = match (layout, format) {
                    (Layout::Files, OutputFormat::Yaml) => to_yaml(&value),
                    (Layout::Files, OutputFormat::Json) => to_json_file(&value),
                    (Layout::Stream, OutputFormat::Yaml) => to_yaml_document(&value),
                    (Layout::Stream, OutputFormat::Json) => to_json_list_item(&value),
                };
                assert_eq!(rendering.object_renderer()(&node), of_value, "{rendering:?}");
            }
        }
        assert_eq!(to_yaml(&json!("top")), to_yaml(&Node::from(json!("top"))));
        assert_eq!(to_yaml(&json!([])), to_yaml(&Node::from(json!([]))));
    }

    #[test]
    fn quotes_what_yaml_would_retype() {
        for s in
            ["true", "No", "on", "1", "0.5", "1e3", "0x1F", "2024-01-01", "1:20", "", " a", "a: b", "-x", "*x", "null"]
        {
            assert!(!is_plain_safe(s), "{s:?} must be quoted");
        }
        for s in ["500m", "4Gi", "orders", "strimzi.io/cluster", "local:///opt/app.jar", "v1", "apps/v1"] {
            assert!(is_plain_safe(s), "{s:?} can be plain");
        }
    }

    /// The rule as first written, several scans over the string: the one-pass version must agree.
    fn is_plain_safe_by_scans(s: &str) -> bool {
        let Some(first) = s.chars().next() else { return false };
        if s != s.trim() || s.contains(": ") || s.contains(" #") || s.ends_with(':') {
            return false;
        }
        if "-?:,[]{}#&*!|>'\"%@`~ ".contains(first) {
            return false;
        }
        if s.chars().any(|c| c.is_control() || "{}[],\"'\\".contains(c) || !c.is_ascii()) {
            return false;
        }
        let lower = s.to_ascii_lowercase();
        if ["true", "false", "yes", "no", "on", "off", "y", "n", "null", ".inf", ".nan", "-.inf", "+.inf"]
            .contains(&lower.as_str())
        {
            return false;
        }
        let numeric_chars = |c: char| c.is_ascii_hexdigit() || "xXoO._:+-".contains(c);
        !((first.is_ascii_digit() || first == '.' || first == '+') && s.chars().all(numeric_chars))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 4096, ..Default::default() })]
        #[test]
        fn one_pass_quoting_agrees_with_the_scans(s in "[a-fA-FxXoOnNyYtTrRuUlLsS0-9 .:#+\\-_'\"{}\\[\\],|>*&!%@`~?/\t\n\r\u{7f}\u{85}\u{a0}\u{feff}é]{0,40}") {
            proptest::prop_assert_eq!(is_plain_safe(&s), is_plain_safe_by_scans(&s), "{:?}", s);
        }
    }

    #[test]
    fn one_pass_quoting_agrees_on_the_words_yaml_retypes() {
        for s in [
            "TRUE", "Off", "y", "N", "NULL", ".Inf", "-.INF", "+.inf", ".NaN", "falsey", "nope", "1:20", "0o17", "+1",
            ".5", "12:", "a :b", "a# b", "a #b",
        ] {
            assert_eq!(is_plain_safe(s), is_plain_safe_by_scans(s), "{s:?}");
        }
    }

    #[test]
    fn a_remembered_static_key_gets_the_verdict_of_its_text() {
        // More names than the table has slots, so some share a slot and are worked out again.
        let mut names: Vec<&'static str> = vec!["y", "on", "a: b", "-x", "apiVersion", "0x1F", "metadata", "", " x"];
        names.extend(
            (0..1500).map(|i| &*Box::leak(if i % 3 == 0 { format!("k{i}") } else { format!("{i}") }.into_boxed_str())),
        );
        for _ in 0..2 {
            for name in &names {
                assert_eq!(static_plain_safe(name), is_plain_safe(name), "{name:?}");
            }
        }
    }

    #[test]
    fn numbers_print_as_serde_json_prints_them() {
        let numbers = [
            json!(0),
            json!(7),
            json!(-1),
            json!(10),
            json!(-4096),
            json!(i64::MIN),
            json!(i64::MAX),
            json!(u64::MAX),
            json!(0.5),
            json!(-2.0),
            json!(1e21),
        ];
        for n in numbers {
            let Value::Number(number) = &n else { unreachable!() };
            let mut out = String::new();
            write_number(&mut out, number);
            assert_eq!(out, number.to_string());
        }
    }

    #[test]
    fn renders_nested_structures_in_block_style() {
        let v = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "x", "labels": {"a": "1"}},
            "data": {"t": "line1\nline2\n", "empty": {}},
            "list": [{"name": "a", "v": [1, 2]}, "s"]
        });
        let y = to_yaml(&v);
        assert_eq!(
            y,
            "apiVersion: v1\ndata:\n  empty: {}\n  t: |\n    line1\n    line2\nkind: ConfigMap\nlist:\n- name: a\n  v:\n  - 1\n  - 2\n- s\nmetadata:\n  labels:\n    a: \"1\"\n  name: x\n"
        );
    }

    #[test]
    fn literal_blocks_keep_trailing_newlines_exact() {
        let y = to_yaml(&json!({"a": "x\ny"}));
        assert_eq!(y, "a: |-\n  x\n  y\n");
        let y = to_yaml(&json!({"a": "x\n\n"}));
        assert_eq!(y, "a: |+\n  x\n\n");
    }
}
