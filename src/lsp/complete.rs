//! Completion: node names and property names valid at the cursor, and the names a reference may take
//! (`preset="`, `size="`, `tenant="`, `kafka="`, `tier="`).
//!
//! Which nodes and properties exist is not listed here: [`Schema::probe`] lowers small probe specs through
//! the real readers and keeps what each reader accepted ([`crate::lang::reader::record_accepted`]), so a
//! property added to a lowering function is offered without a change here, and a removed one disappears.

use std::collections::BTreeMap;
use std::path::Path;

use crate::lang::reader::{Accepted, record_accepted};
use crate::lsp::navigate::{Index, Kind};

/// A child no reader accepts: each reader answers it with the children it does accept.
const PROBE: &str = "strata-completion-probe";
/// How deep probes follow children (`spark-job { executors { ... } }` is two levels below the top).
const DEPTH: usize = 3;

/// The nodes and properties the readers accept, by node path from the top level (`[]` is the top level;
/// `["spark-job", "driver"]` a child of `spark-job`).
#[derive(Debug, Default, Clone)]
pub struct Schema {
    pub children: BTreeMap<Vec<String>, Vec<String>>,
    pub properties: BTreeMap<Vec<String>, Vec<&'static str>>,
}

impl Schema {
    /// Asks the readers: one probe spec per node path, each ending in a node nobody accepts.
    pub fn probe() -> Schema {
        let mut schema = Schema::default();
        let mut frontier: Vec<Vec<String>> = vec![Vec::new()];
        for _ in 0..=DEPTH {
            let mut next = Vec::new();
            for path in frontier {
                let (children, properties) = ask(&path);
                if let Some(props) = properties {
                    schema.properties.insert(path.clone(), props);
                }
                if let Some(children) = children {
                    for c in &children {
                        let mut p = path.clone();
                        p.push(c.clone());
                        if !schema.children.contains_key(&p) && path.len() < DEPTH {
                            next.push(p);
                        }
                    }
                    schema.children.insert(path, children);
                }
            }
            next.sort();
            next.dedup();
            frontier = next;
        }
        schema
    }
}

/// What the readers accept at `path`: the children (from the probe child they refused) and the properties
/// of the path's last node.
fn ask(path: &[String]) -> (Option<Vec<String>>, Option<Vec<&'static str>>) {
    let mut text = String::new();
    if path.first().map(String::as_str) != Some("platform") {
        text.push_str("platform \"probe\"\n");
    }
    for name in path {
        text.push_str(&format!("{name} \"probe\" {{\n"));
    }
    text.push_str(PROBE);
    text.push('\n');
    for _ in path {
        text.push_str("}\n");
    }
    let fs = crate::lang::MemFs::new().with("platform.kdl", text);
    let (_, recorded) = record_accepted(|| crate::lang::read(&fs, Path::new("platform.kdl")));
    let mut children = None;
    let mut properties = None;
    for r in recorded {
        match r {
            Accepted::Children { unknown, known } if unknown == PROBE => children = Some(known),
            Accepted::Properties { node, properties: p } if path.last() == Some(&node) => properties = Some(p),
            _ => {}
        }
    }
    (children, properties)
}

/// What the cursor is in the middle of.
#[derive(Debug, PartialEq, Eq)]
pub enum Context {
    /// The start of a node: a node name valid under `parents`.
    NodeName { parents: Vec<String> },
    /// After a node's name: one of its properties.
    Property { parents: Vec<String>, node: String },
    /// Inside the quoted value of `key="`.
    Value { key: String },
}

/// Where `offset` of `text` stands, read from the text itself (the buffer under edit rarely parses).
pub fn context(text: &str, offset: usize) -> Option<Context> {
    let before = text.get(..offset)?;
    let mut parents: Vec<String> = Vec::new();
    let mut statement = String::new();
    let mut chars = before.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            statement.push(c);
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        statement.push(n);
                    }
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                statement.push(c);
            }
            '/' if chars.peek() == Some(&'/') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
                statement.clear();
            }
            '{' => {
                parents.push(first_word(&statement).to_string());
                statement.clear();
            }
            '}' => {
                parents.pop();
                statement.clear();
            }
            '\n' | ';' => statement.clear(),
            _ => statement.push(c),
        }
    }
    if in_string {
        let key = statement.rsplit_once('=').map(|(k, _)| k)?;
        let key = key.rsplit(char::is_whitespace).next()?.trim();
        // Only `key="partial` counts, not a string argument.
        return statement
            .ends_with(&format!("{key}=\"{}", statement.rsplit_once("=\"")?.1))
            .then(|| Context::Value { key: key.to_string() });
    }
    let trimmed = statement.trim_start();
    if !trimmed.contains(char::is_whitespace) {
        return Some(Context::NodeName { parents });
    }
    let last = trimmed.rsplit(char::is_whitespace).next().unwrap_or("");
    if last.contains('=') {
        return None;
    }
    Some(Context::Property { parents, node: first_word(trimmed).to_string() })
}

fn first_word(s: &str) -> &str {
    let s = s.trim_start();
    let s = s.strip_prefix(|c| c == '(').map_or(s, |rest| rest.split_once(')').map_or(rest, |(_, r)| r));
    s.split(|c: char| c.is_whitespace() || c == '{').next().unwrap_or("")
}

/// One offer: the text and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub label: String,
    pub detail: &'static str,
    pub kind: lsp_types::CompletionItemKind,
}

/// The offers for `context`.
pub fn offers(schema: &Schema, index: &Index, context: &Context) -> Vec<Offer> {
    use lsp_types::CompletionItemKind as K;
    let offer = |label: &str, detail, kind| Offer { label: label.to_string(), detail, kind };
    match context {
        Context::NodeName { parents } => {
            schema.children.get(parents).into_iter().flatten().map(|n| offer(n, "node", K::KEYWORD)).collect()
        }
        Context::Property { parents, node } => {
            let mut path = parents.clone();
            path.push(node.clone());
            let mut props: Vec<&str> = schema.properties.get(&path).into_iter().flatten().copied().collect();
            props.sort_unstable();
            props.dedup();
            props.into_iter().map(|p| offer(p, "property", K::PROPERTY)).collect()
        }
        Context::Value { key } => {
            let (kind, detail) = match key.as_str() {
                "preset" => (Kind::TopicPreset, "topic-preset"),
                "size" => (Kind::Size, "size"),
                "tenant" => (Kind::Tenant, "tenant"),
                "kafka" => (Kind::KafkaCluster, "kafka cluster"),
                "tier" => (Kind::Tier, "tier"),
                _ => return Vec::new(),
            };
            index.names(kind).into_iter().map(|n| offer(n, detail, K::VALUE)).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_schema_is_what_the_readers_accept() {
        let s = Schema::probe();
        assert_eq!(s.children[&path(&[])], crate::lang::lower::TOP_LEVEL);
        let topic = &s.properties[&path(&["topic"])];
        for p in ["tenant", "kafka", "preset", "partitions", "replicas"] {
            assert!(topic.contains(&p), "topic accepts {p}: {topic:?}");
        }
        assert!(s.children[&path(&["platform"])].iter().any(|c| c == "cluster"));
        assert!(s.properties.contains_key(&path(&["tenant", "quota"])), "{:?}", s.properties.keys());
        // Every property offered anywhere is one its reader takes: a spec that uses it is not told otherwise.
        for (p, props) in &s.properties {
            if p.is_empty() || p[0] == "environment" {
                continue;
            }
            for prop in props {
                let mut text = String::from("platform \"probe\"\n");
                for (i, name) in p.iter().enumerate() {
                    let extra = if i + 1 == p.len() { format!(" {prop}=1") } else { String::new() };
                    text.push_str(&format!("{name} \"probe\"{extra} {{\n"));
                }
                text.push_str(&"}\n".repeat(p.len()));
                let c = crate::test_support::compile_spec(&text);
                let unknown = c.diagnostics.iter().find(|d| d.code == "strata::spec::unknown-property");
                assert!(unknown.is_none(), "{p:?} {prop}: {unknown:?}");
            }
        }
    }

    #[test]
    fn the_cursor_context_comes_from_the_text_before_it() {
        let ctx = |t: &str| context(t, t.len());
        assert_eq!(ctx("platform \"p\"\nto"), Some(Context::NodeName { parents: vec![] }));
        assert_eq!(ctx("tenant \"a\" {\n    qu"), Some(Context::NodeName { parents: path(&["tenant"]) }));
        assert_eq!(
            ctx("tenant \"a\" {\n    quota cpu=1 "),
            Some(Context::Property { parents: path(&["tenant"]), node: "quota".into() })
        );
        assert_eq!(ctx("topic \"t\" preset=\""), Some(Context::Value { key: "preset".into() }));
        assert_eq!(ctx("topic \"t\" tenant=\"sh"), Some(Context::Value { key: "tenant".into() }));
        assert_eq!(ctx("topic \"t"), None, "inside the name argument");
        assert_eq!(ctx("tenant \"a\" { }\n// x {\nto"), Some(Context::NodeName { parents: vec![] }));
        assert_eq!(context("é", 1), None, "an offset inside a character");
    }
}
