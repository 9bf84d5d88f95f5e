//! Environments: one spec deployed as dev, staging and several production clusters. An `environment` block
//! holds overrides of the base spec's nodes. Applying one is a merge of syntax trees before lowering, so
//! every domain's lowering and every check runs unchanged on each environment's platform, and an
//! overridden value keeps the span of the override while the base value's span is remembered
//! ([`Applied`]) for the diagnostics that blame it.
//!
//! The merge rules, in the order a reader needs them:
//! - a node in an environment names a base node by its name and, when it has one, its first string
//!   argument (`tenant "analytics"`, `config "retention.ms"`); a node without a string argument (`quota`)
//!   names the only sibling of that name;
//! - a plain node merges: its properties replace the base's (`#null` removes one), its arguments replace
//!   the base's after the identifying one, its children merge by the same rules;
//! - `(add)` adds a node the base lacks, `(remove)` drops one, `(replace)` swaps one wholesale (and may
//!   change the identifying argument: `(replace)network "open"`);
//! - a plain node that names nothing in the base is an error, never a silent addition: a typo in a tenant's
//!   name must not deploy a second, empty tenant to production.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use kdl::{KdlDocument, KdlEntry, KdlNode, KdlValue};

use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use crate::lang::reader::NodeReader;
use crate::source::{FileId, Span, Spanned, tag_kdl};

/// The top-level node that declares an environment.
pub const NODE: &str = "environment";

const UNKNOWN: &str = "strata::env::unknown";
const REQUIRED: &str = "strata::env::required";
const NAME: &str = "strata::env::name";
const CONTEXT_TWICE: &str = "strata::env::context-twice";
const OPERATION: &str = "strata::env::operation";
const NO_TARGET: &str = "strata::env::no-target";
const AMBIGUOUS: &str = "strata::env::ambiguous";
const EXISTS: &str = "strata::env::exists";
const NOT_OVERRIDABLE: &str = "strata::env::not-overridable";

/// One declared environment: its overrides, possibly spread over several files (an environment's
/// overrides of a tenant may live next to the tenant).
#[derive(Debug, Clone)]
pub struct Environment {
    pub name: Spanned<String>,
    /// The kube context this environment is applied to (the context guard of `apply` and `plan`).
    pub context: Option<Spanned<String>>,
    blocks: Vec<(FileId, KdlDocument)>,
}

/// What applying an environment changed, for diagnostics: every override that replaced a base value.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    pub environment: String,
    /// (the override's span, the base value's span).
    replaced: Vec<(Span, Span)>,
}

impl Applied {
    /// Names the environment in every diagnostic and, where a diagnostic points at an overridden value,
    /// adds the base value it replaced, so the reader sees both places.
    /// The first `shared` diagnostics (from reading the files and declaring the environments) belong to no
    /// one environment and are left as they are.
    pub fn annotate(&self, diagnostics: &mut Diagnostics, shared: usize) {
        for d in diagnostics.iter_mut().skip(shared) {
            d.message = format!("environment `{}`: {}", self.environment, d.message);
            let mut extra = Vec::new();
            for label in d.primary.iter().chain(&d.secondary) {
                for (over, base) in &self.replaced {
                    if contains(*over, label.span) && !extra.iter().any(|(s, _)| s == base) {
                        extra
                            .push((*base, format!("the base value, overridden in environment `{}`", self.environment)));
                    }
                }
            }
            for (span, message) in extra {
                d.secondary.push(crate::diagnostic::Label { span, message });
            }
        }
    }
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.file == inner.file && outer.start <= inner.start && inner.end <= outer.end
}

/// Removes every top-level `environment` node from the documents and returns the environments in the order
/// they are first declared (blocks of one name in several files are one environment).
pub fn extract(documents: &mut [(FileId, Arc<KdlDocument>)], d: &mut Diagnostics) -> Vec<Environment> {
    let mut envs: Vec<Environment> = Vec::new();
    for (file, doc) in documents.iter_mut() {
        // A tree may be shared with a session's memo: only one that declares an environment is copied.
        if !doc.nodes().iter().any(|n| n.name().value() == NODE) {
            continue;
        }
        let doc = Arc::make_mut(doc);
        let nodes = std::mem::take(doc.nodes_mut());
        let (found, rest): (Vec<KdlNode>, Vec<KdlNode>) = nodes.into_iter().partition(|n| n.name().value() == NODE);
        *doc.nodes_mut() = rest;
        for node in found {
            let mut r = NodeReader::new(&node, *file);
            let Some(name) = r.arg::<String>("the environment's name, e.g. \"staging\"", d) else { continue };
            let context = r.prop::<String>("context", d);
            r.finish(true, d);
            if !valid_name(&name.value) {
                d.push(
                    Diagnostic::error(NAME, format!("`{}` is not a valid environment name", name.value))
                        .at(name.span, "not a DNS label of at most 40 characters")
                        .help("use lowercase letters, digits and `-` (it names the environment's inventory and lock)"),
                );
                continue;
            }
            let block = node.children().cloned().unwrap_or_default();
            match envs.iter_mut().find(|e| e.name.value == name.value) {
                Some(env) => {
                    if let Some(c) = context {
                        match &env.context {
                            Some(first) => d.push(
                                Diagnostic::error(
                                    CONTEXT_TWICE,
                                    format!("environment `{}` names its context twice", name.value),
                                )
                                .at(c.span, "given again here")
                                .also(first.span, "first given here")
                                .help("name the kube context on one of the environment's blocks only"),
                            ),
                            None => env.context = Some(c),
                        }
                    }
                    env.blocks.push((*file, block));
                }
                None => envs.push(Environment { name, context, blocks: vec![(*file, block)] }),
            }
        }
    }
    envs
}

fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 40
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// The environment named `wanted`, or the diagnostic that explains why there is none to use.
pub fn select<'e>(envs: &'e [Environment], wanted: Option<&str>) -> Result<Option<&'e Environment>, Box<Diagnostic>> {
    let names = || envs.iter().map(|e| format!("`{}`", e.name.value)).collect::<Vec<_>>().join(", ");
    match wanted {
        None if envs.is_empty() => Ok(None),
        None => Err(Box::new(
            Diagnostic::error(REQUIRED, format!("the spec declares environments ({}): pick one", names()))
                .at(envs[0].name.span, "environments are declared here")
                .help("pass `--env NAME` (check, compile and diff also take `--all-envs`)"),
        )),
        Some(w) => match envs.iter().find(|e| e.name.value == w) {
            Some(e) => Ok(Some(e)),
            None if envs.is_empty() => Err(Box::new(
                Diagnostic::error(UNKNOWN, format!("`--env {w}`: the spec declares no environments"))
                    .help("declare one with `environment \"NAME\" context=\"kube-context\" { ... }`, or drop `--env`"),
            )),
            None => {
                let hint = did_you_mean(w, envs.iter().map(|e| e.name.value.as_str()))
                    .map_or(String::new(), |s| format!("; did you mean `{s}`?"));
                Err(Box::new(
                    Diagnostic::error(UNKNOWN, format!("`--env {w}`: no such environment{hint}"))
                        .at(envs[0].name.span, "the spec's environments start here")
                        .help(format!("the spec declares {}", names())),
                ))
            }
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Merge,
    Add,
    Remove,
    Replace,
}

/// Applies `env`'s overrides to the base spec's documents, in the order the blocks were written.
pub fn apply(env: &Environment, documents: &mut [(FileId, KdlDocument)], d: &mut Diagnostics) -> Applied {
    let mut applied = Applied { environment: env.name.value.clone(), replaced: Vec::new() };
    let mut index = TopIndex::new(documents);
    for (file, block) in &env.blocks {
        for over in block.nodes() {
            let name = over.name().value();
            if name == NODE || name == "include" {
                d.push(
                    Diagnostic::error(NOT_OVERRIDABLE, format!("`{name}` cannot appear in an environment"))
                        .at(Span::from_kdl(*file, over.name().span()), "not an override")
                        .help(if name == NODE {
                            "environments do not nest: declare each one at the top level"
                        } else {
                            "put the include at the top level; use `(add)` to add nodes only to this environment"
                        }),
                );
                continue;
            }
            let home = documents.iter().position(|(f, _)| f == file).unwrap_or(0);
            let mut lists: Vec<(FileId, &mut Vec<KdlNode>)> =
                documents.iter_mut().map(|(f, doc)| (*f, doc.nodes_mut())).collect();
            apply_node(*file, over, &mut lists, Level::Top { index: &mut index, home }, &mut applied, d);
        }
    }
    for (l, (_, doc)) in documents.iter_mut().enumerate() {
        let mut i = 0;
        doc.nodes_mut().retain(|_| {
            i += 1;
            !index.removed.contains(&(l, i - 1))
        });
    }
    applied
}

/// The top level's nodes by name and by identity, built once per environment, so an override finds its
/// target without scanning every node of every file (a platform of thousands of tenants, each overridden).
/// Removed nodes stay in place, marked, until every override has been applied: positions never shift.
#[derive(Default)]
struct TopIndex {
    by_name: HashMap<String, Vec<(usize, usize)>>,
    by_key: HashMap<(String, String), Vec<(usize, usize)>>,
    removed: HashSet<(usize, usize)>,
}

impl TopIndex {
    fn new(documents: &[(FileId, KdlDocument)]) -> Self {
        let mut ix = TopIndex::default();
        for (l, (_, doc)) in documents.iter().enumerate() {
            for (i, node) in doc.nodes().iter().enumerate() {
                ix.insert(node, (l, i));
            }
        }
        ix
    }

    fn insert(&mut self, node: &KdlNode, at: (usize, usize)) {
        let (name, arg) = identity(node, true);
        self.by_name.entry(name.to_string()).or_default().push(at);
        if let Some(arg) = arg {
            self.by_key.entry((name.to_string(), arg.to_string())).or_default().push(at);
        }
    }

    fn live<'a>(&'a self, found: Option<&'a Vec<(usize, usize)>>) -> Vec<(usize, usize)> {
        found.into_iter().flatten().copied().filter(|p| !self.removed.contains(p)).collect()
    }
}

/// Where an override applies: the top level of every file (indexed; `home` is the file an `(add)` goes to)
/// or one base node's children (`parent` describes it).
enum Level<'a> {
    Top { index: &'a mut TopIndex, home: usize },
    Child { parent: &'a str },
}

/// Children named by their first argument, like every top-level node (`config "retention.ms" "7d"`,
/// `label "team" "x"`). Every other child's first argument is its value (`image "app:2.1"`,
/// `network "open"`, `schedule "0 2 * * *"`): an override replaces it.
const KEYED_CHILDREN: &[&str] =
    &["alert", "alert-label", "config", "count", "env", "label", "selector", "node-selector", "toleration", "key"];

/// The name and identifying argument of a node: its first argument when that is a string and the node is
/// named by it (every top-level node; the children in [`KEYED_CHILDREN`]).
fn identity(node: &KdlNode, top: bool) -> (&str, Option<&str>) {
    let name = node.name().value();
    if !top && !KEYED_CHILDREN.contains(&name) {
        return (name, None);
    }
    let first = node.entries().iter().find(|e| e.name().is_none()).and_then(|e| e.value().as_string());
    (name, first)
}

fn describe(node: &KdlNode, top: bool) -> String {
    match identity(node, top) {
        (name, Some(arg)) => format!("`{name} \"{arg}\"`"),
        (name, None) => format!("`{name}`"),
    }
}

/// Applies one override node to a list of siblings (the top level of every file, or one node's children),
/// `home` being the list an `(add)` appends to.
fn apply_node(
    file: FileId,
    over: &KdlNode,
    lists: &mut [(FileId, &mut Vec<KdlNode>)],
    level: Level<'_>,
    applied: &mut Applied,
    d: &mut Diagnostics,
) {
    let (top, parent, home, mut index) = match level {
        Level::Top { index, home } => (true, "the base spec", home, Some(index)),
        Level::Child { parent } => (false, parent, 0, None),
    };
    let at = Span::from_kdl(file, over.name().span());
    let op = match over.ty().map(|t| t.value()) {
        None => Operation::Merge,
        Some("add") => Operation::Add,
        Some("remove") => Operation::Remove,
        Some("replace") => Operation::Replace,
        Some(other) => {
            d.push(
                Diagnostic::error(OPERATION, format!("unknown override `({other})`"))
                    .at(Span::from_kdl(file, over.ty().map_or(over.name().span(), |t| t.span())), "not an override")
                    .help("write the node plainly to merge it, or use `(add)`, `(remove)` or `(replace)`"),
            );
            return;
        }
    };
    let (name, arg) = identity(over, top);
    let scan = |lists: &[(FileId, &mut Vec<KdlNode>)]| -> Vec<(usize, usize)> {
        lists
            .iter()
            .enumerate()
            .flat_map(|(l, (_, nodes))| {
                nodes.iter().enumerate().filter(|(_, n)| n.name().value() == name).map(move |(i, _)| (l, i))
            })
            .collect()
    };
    let exact: Vec<(usize, usize)> = match (index.as_deref(), arg) {
        (Some(ix), Some(a)) => ix.live(ix.by_key.get(&(name.to_string(), a.to_string()))),
        (Some(ix), None) => ix.live(ix.by_name.get(name)),
        (None, None) => scan(lists),
        (None, Some(a)) => {
            scan(lists).into_iter().filter(|&(l, i)| identity(&lists[l].1[i], top).1 == Some(a)).collect()
        }
    };
    // Every node of the name, needed only to explain a miss (or when the name alone identifies).
    let same_name: Vec<(usize, usize)> = match (exact.is_empty(), index.as_deref()) {
        (false, _) => exact.clone(),
        (true, Some(ix)) => ix.live(ix.by_name.get(name)),
        (true, None) => scan(lists),
    };
    if op == Operation::Add {
        if let Some(&(l, i)) = exact.first() {
            let base = Span::from_kdl(lists[l].0, lists[l].1[i].name().span());
            d.push(
                Diagnostic::error(EXISTS, format!("{} is already in {parent}", describe(over, top)))
                    .at(at, "added again here")
                    .also(base, "declared here")
                    .help("drop `(add)` to override the base node, or `(replace)` to swap it"),
            );
            return;
        }
        let node = graft(over, file);
        if let Some(ix) = index.as_deref_mut() {
            ix.insert(&node, (home, lists[home].1.len()));
        }
        lists[home].1.push(node);
        return;
    }
    let target = match (exact.as_slice(), op) {
        ([one], _) => *one,
        // A value child may change its argument wholesale (`(replace)network "open"`); a top-level node never
        // changes its name this way.
        ([], Operation::Replace) if !top && same_name.len() == 1 => same_name[0],
        ([], _) => {
            let known: Vec<&str> = same_name.iter().filter_map(|&(l, i)| identity(&lists[l].1[i], top).1).collect();
            let hint = match arg.and_then(|a| did_you_mean(a, known.iter().copied())) {
                Some(s) => format!("did you mean `{name} \"{s}\"`? "),
                None => String::new(),
            };
            let swap = if !top && same_name.len() == 1 && arg.is_some() {
                format!(
                    "to change the base {} wholesale, write `(replace)`; ",
                    describe(&lists[same_name[0].0].1[same_name[0].1], top)
                )
            } else {
                String::new()
            };
            d.push(
                Diagnostic::error(NO_TARGET, format!("{} overrides nothing in {parent}", describe(over, top)))
                    .at(at, "no base node of this name")
                    .help(format!("{hint}{swap}to add it only in this environment, write `(add){name} ...`")),
            );
            return;
        }
        (many, _) => {
            let mut diag =
                Diagnostic::error(AMBIGUOUS, format!("{} matches several nodes in {parent}", describe(over, top)))
                    .at(at, "which one?");
            for &(l, i) in many.iter().take(3) {
                diag = diag.also(Span::from_kdl(lists[l].0, lists[l].1[i].name().span()), "a candidate");
            }
            d.push(diag.help("override the parent node with `(replace)` and spell out all of its children"));
            return;
        }
    };
    let (l, i) = target;
    let base_file = lists[l].0;
    match op {
        Operation::Remove => {
            if over.entries().iter().any(|e| e.name().is_some()) || over.children().is_some() {
                d.push(
                    Diagnostic::error(
                        OPERATION,
                        format!("`(remove)` takes only the node's name: {}", describe(over, top)),
                    )
                    .at(at, "properties or children given here")
                    .help("write `(remove)tenant \"name\"` alone"),
                );
                return;
            }
            match index {
                Some(ix) => {
                    ix.removed.insert((l, i));
                }
                None => {
                    lists[l].1.remove(i);
                }
            }
        }
        Operation::Replace => {
            let old = Span::from_kdl(base_file, lists[l].1[i].name().span());
            applied.replaced.push((Span::from_kdl(file, over.span()), old));
            lists[l].1[i] = graft(over, file);
        }
        Operation::Merge => merge(&mut lists[l].1[i], base_file, over, file, top, applied, d),
        Operation::Add => unreachable!("handled above"),
    }
}

/// Merges `over` (from `file`) into `base` (from `base_file`).
fn merge(
    base: &mut KdlNode,
    base_file: FileId,
    over: &KdlNode,
    file: FileId,
    top: bool,
    applied: &mut Applied,
    d: &mut Diagnostics,
) {
    let keeps_identity = identity(over, top).1.is_some();
    let over_args: Vec<&KdlEntry> =
        over.entries().iter().filter(|e| e.name().is_none()).skip(usize::from(keeps_identity)).collect();
    let entries = std::mem::take(base.entries_mut());
    let (base_args, mut props): (Vec<KdlEntry>, Vec<KdlEntry>) = entries.into_iter().partition(|e| e.name().is_none());
    let mut args: Vec<KdlEntry> = base_args.iter().take(usize::from(keeps_identity)).cloned().collect();
    if over_args.is_empty() {
        args.extend(base_args.iter().skip(usize::from(keeps_identity)).cloned());
    } else {
        let old: Vec<&KdlEntry> = base_args.iter().skip(usize::from(keeps_identity)).collect();
        for (k, new) in over_args.iter().enumerate() {
            let new = tag_entry(new, file);
            let base_span = old.get(k).or(old.last()).map(|e| Span::from_kdl(base_file, e.span()));
            if let Some(b) = base_span {
                applied.replaced.push((Span::from_kdl(file, new.span()), b));
            }
            args.push(new);
        }
    }
    for prop in over.entries().iter().filter(|e| e.name().is_some()) {
        let key = prop.name().map(|n| n.value()).unwrap_or_default();
        let previous = props.iter().rev().find(|e| e.name().map(|n| n.value()) == Some(key));
        let base_span = previous.map(|e| Span::from_kdl(base_file, e.span()));
        props.retain(|e| e.name().map(|n| n.value()) != Some(key));
        if matches!(prop.value(), KdlValue::Null) {
            continue;
        }
        let new = tag_entry(prop, file);
        if let Some(b) = base_span {
            applied.replaced.push((Span::from_kdl(file, new.span()), b));
        }
        props.push(new);
    }
    args.extend(props);
    *base.entries_mut() = args;
    if let Some(children) = over.children() {
        let parent = format!("{} of the base spec", describe(base, top));
        let existing = base.children().is_some();
        let block = base.ensure_children();
        if !existing {
            block.set_span(tag_kdl(file, children.span()));
        }
        let mut lists = [(base_file, block.nodes_mut())];
        for child in children.nodes() {
            apply_node(file, child, &mut lists, Level::Child { parent: &parent }, applied, d);
        }
    }
}

/// A copy of an override node for the base spec: no override annotation, every span marked with `file`.
fn graft(node: &KdlNode, file: FileId) -> KdlNode {
    let mut n = node.clone();
    *n.ty_mut() = None;
    tag_node(&mut n, file);
    n
}

fn tag_entry(e: &KdlEntry, file: FileId) -> KdlEntry {
    let mut e = e.clone();
    tag_entry_mut(&mut e, file);
    e
}

fn tag_entry_mut(e: &mut KdlEntry, file: FileId) {
    e.set_span(tag_kdl(file, e.span()));
    if let Some(n) = e.name_mut() {
        n.set_span(tag_kdl(file, n.span()));
    }
    if let Some(t) = e.ty_mut() {
        t.set_span(tag_kdl(file, t.span()));
    }
}

fn tag_node(n: &mut KdlNode, file: FileId) {
    n.set_span(tag_kdl(file, n.span()));
    let name_span = tag_kdl(file, n.name().span());
    n.name_mut().set_span(name_span);
    if let Some(t) = n.ty_mut() {
        t.set_span(tag_kdl(file, t.span()));
    }
    for e in n.entries_mut() {
        tag_entry_mut(e, file);
    }
    if let Some(children) = n.children_mut() {
        children.set_span(tag_kdl(file, children.span()));
        for c in children.nodes_mut() {
            tag_node(c, file);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::lang::MemFs;
    use crate::{Compilation, Stage};

    const BASE: &str = r#"
platform "p" {
    cluster context="dev"
}
tenant "a" tier="small" priority-class="batch" {
    quota cpu=8 memory="32Gi"
    label "team" "a"
    network "isolated" {
        egress 9092 namespace="kafka"
    }
}
tenant "b" tier="small"
"#;

    fn compile(env_blocks: &str, env: &str) -> Compilation {
        let fs = MemFs::new().with("platform.kdl", format!("{BASE}{env_blocks}"));
        crate::compile_env(&fs, Path::new("platform.kdl"), Some(env), Stage::Check)
    }

    fn codes(c: &Compilation) -> Vec<&'static str> {
        c.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.code).collect()
    }

    #[test]
    fn a_spec_without_environments_reads_as_before() {
        let fs = MemFs::new().with("platform.kdl", BASE);
        let c = crate::compile(&fs, Path::new("platform.kdl"));
        assert!(c.ok(), "{:?}", c.diagnostics);
        assert!(c.environments.is_empty());
        assert_eq!(c.platform.inventory_name(), "p");
        assert_eq!(c.environment(), None);
    }

    #[test]
    fn properties_merge_null_removes_and_value_children_take_the_new_argument() {
        let c = compile(
            r#"environment "prod" context="prod-eks" {
    tenant "a" tier="large" priority-class=#null {
        quota cpu=16
        label "team" "a-prod"
        (replace)network "open"
    }
}"#,
            "prod",
        );
        assert!(c.ok(), "{:?}", c.diagnostics);
        let t = c.platform.tenant("a").expect("tenant a");
        let h = c.platform.header.as_ref().expect("header");
        assert_eq!(h.context.as_ref().map(|c| c.value.as_str()), Some("prod-eks"));
        assert_eq!(c.platform.inventory_name(), "p-prod");
        assert_eq!(c.environment(), Some("prod"));
        let debug = format!("{t:?}");
        assert!(debug.contains("\"large\""), "tier not overridden: {debug}");
        assert!(debug.contains("a-prod"), "label not overridden: {debug}");
        assert!(!debug.contains("\"batch\""), "priority-class not removed: {debug}");
    }

    #[test]
    fn add_remove_and_errors() {
        let c = compile(
            r#"environment "prod" {
    (remove)tenant "b"
    (add)tenant "c" tier="small"
}"#,
            "prod",
        );
        assert!(c.ok(), "{:?}", c.diagnostics);
        let names: Vec<&str> = c.platform.tenants.iter().map(|t| t.name.value.as_str()).collect();
        assert_eq!(names, ["a", "c"]);

        let c = compile(
            r#"environment "prod" {
    tenant "x" tier="large"
    (add)tenant "a"
    (move)tenant "b"
    tenant "a" {
        network "open"
    }
}"#,
            "prod",
        );
        assert_eq!(codes(&c), ["strata::env::no-target", "strata::env::exists", "strata::env::operation"]);
        // `network` is a value child: `network "open"` merges into the base's `network "isolated"`.
    }

    #[test]
    fn a_removed_node_is_gone_for_later_overrides_and_a_top_level_replace_never_renames() {
        let c = compile(
            r#"environment "prod" {
    (remove)tenant "b"
    tenant "b" tier="large"
    (replace)tenant "zz" tier="small"
    (add)tenant "b" tier="medium"
    tenant "b" priority-class="batch"
}"#,
            "prod",
        );
        assert_eq!(codes(&c), ["strata::env::no-target", "strata::env::no-target"]);
        let names: Vec<&str> = c.platform.tenants.iter().map(|t| t.name.value.as_str()).collect();
        assert_eq!(names, ["a", "b"], "b re-added once, a untouched");
        let b = format!("{:?}", c.platform.tenant("b").expect("b"));
        assert!(b.contains("\"medium\"") && b.contains("\"batch\""), "the added b took the later override: {b}");
    }

    #[test]
    fn an_overridden_value_is_blamed_with_its_base_value() {
        let c = compile(
            r#"environment "prod" {
    tenant "a" {
        quota cpu="lots"
    }
}"#,
            "prod",
        );
        let d = c.diagnostics.iter().find(|d| d.is_error()).expect("an error");
        assert!(d.message.starts_with("environment `prod`: "), "{}", d.message);
        let primary = d.primary.as_ref().expect("primary");
        let text = BASE;
        let env_offset = text.len();
        assert!(primary.span.start as usize >= env_offset, "points at the override: {primary:?}");
        let base = d.secondary.iter().find(|l| l.message.contains("base value")).expect("base label");
        assert_eq!(&BASE[base.span.start as usize..base.span.end as usize], "cpu=8");
    }

    #[test]
    fn an_override_in_another_file_points_into_that_file() {
        let fs = MemFs::new()
            .with("platform.kdl", format!("{BASE}include \"envs/*.kdl\"\n"))
            .with("envs/prod.kdl", "environment \"prod\" {\n    tenant \"a\" tier=\"huge\"\n}\n");
        let c = crate::compile_env(&fs, Path::new("platform.kdl"), Some("prod"), Stage::Check);
        let d = c.diagnostics.iter().find(|d| d.is_error()).expect("unknown tier");
        let span = d.primary.as_ref().expect("primary").span;
        assert_eq!(c.sources.get(span.file).name, "envs/prod.kdl", "{d:?}");
    }

    #[test]
    fn choosing_an_environment() {
        let fs = MemFs::new().with("platform.kdl", format!("{BASE}environment \"staging\"\nenvironment \"prod\"\n"));
        let root = Path::new("platform.kdl");
        let none = crate::compile_env(&fs, root, None, Stage::Check);
        assert_eq!(codes(&none), ["strata::env::required"]);
        let typo = crate::compile_env(&fs, root, Some("prd"), Stage::Check);
        assert_eq!(codes(&typo), ["strata::env::unknown"]);
        assert!(typo.diagnostics.iter().any(|d| d.message.contains("did you mean `prod`")));
        let all = crate::compile_all(&fs, root, Stage::Check);
        let envs: Vec<Option<&str>> = all.iter().map(Compilation::environment).collect();
        assert_eq!(envs, [Some("staging"), Some("prod")]);
        let plain = MemFs::new().with("platform.kdl", BASE);
        assert_eq!(codes(&crate::compile_env(&plain, root, Some("prod"), Stage::Check)), ["strata::env::unknown"]);
    }

    #[test]
    fn two_environments_never_share_an_applyset() {
        let fs = MemFs::new().with("platform.kdl", format!("{BASE}environment \"staging\"\nenvironment \"prod\"\n"));
        let all = crate::compile_all(&fs, Path::new("platform.kdl"), Stage::Compile);
        let ids: Vec<String> = all.iter().map(|c| crate::manifest::ApplySetRef::of(&c.platform).id).collect();
        assert_eq!(ids.len(), 2);
        assert_ne!(ids[0], ids[1]);
        for (c, id) in all.iter().zip(&ids) {
            let set = c.manifests.as_ref().expect("compiles");
            assert!(
                set.items
                    .iter()
                    .all(|m| m.object["metadata"]["labels"]["applyset.kubernetes.io/part-of"] == id.as_str())
            );
        }
    }
}
