//! Offline diff of two compiles (`strata diff`): which objects a change adds, changes and removes, and which
//! of those changes are unsafe (data loss, refused by an operator, a quota that no longer fits). Pure: the
//! two [`ManifestSet`]s come from the caller (a git revision, a file, the working tree), nothing here reads
//! files or talks to a cluster.
//!
//! Objects are matched by API group, kind, namespace and name (not version, so `v1beta2` → `v1` is a change
//! of one object, not a removal and an addition). Matching is a hash lookup and only changed objects are
//! rendered, so two 15,000-object platforms diff in milliseconds.

pub mod cost;
pub mod render;
pub mod rules;

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::Compilation;
use crate::diagnostic::Severity;
use crate::exit;
use crate::manifest::{ANNOTATION_SOURCE, Manifest, ManifestSet, ObjectRef, Stage};
use crate::model::cost::{CostReport, Period, report_of};
use crate::model::demand::Demand;
use crate::source::{SourceMap, Span};

/// One side of a diff: the objects of one compile and what the rules need to know about it.
#[derive(Debug)]
pub struct Side<'a> {
    /// How the side is named in output: `base (origin/main)`, `head (working tree)`.
    pub label: String,
    pub manifests: &'a ManifestSet,
    /// The spec files of this side, to quote the spec line of a finding. Optional: without them findings
    /// still name `file:line`.
    pub sources: Option<&'a SourceMap>,
    /// Every workload's peak demand on its tenant's quota (`Platform::demands()`), the same numbers the
    /// compile's quota-fit check uses.
    pub demands: Vec<Demand>,
    /// What each tenant and workload costs in an average month (`strata cost`'s figures), with each
    /// tenant's budget; `None` for a side without a model (manifests read from a file).
    pub cost: Option<CostReport>,
}

impl<'a> Side<'a> {
    pub fn new(label: impl Into<String>, manifests: &'a ManifestSet) -> Self {
        Side { label: label.into(), manifests, sources: None, demands: Vec::new(), cost: None }
    }

    /// The side of a successful compile; `None` when the spec had errors (there are no manifests).
    pub fn of(label: impl Into<String>, c: &'a Compilation) -> Option<Self> {
        let manifests = c.manifests.as_ref()?;
        let demands = c.platform.demands();
        let cost = report_of(&c.platform, &demands, Period::AverageMonth);
        Some(Side { label: label.into(), manifests, sources: Some(&c.sources), demands, cost })
    }

    #[must_use]
    pub fn with_sources(mut self, sources: &'a SourceMap) -> Self {
        self.sources = Some(sources);
        self
    }

    #[must_use]
    pub fn with_demands(mut self, demands: Vec<Demand>) -> Self {
        self.demands = demands;
        self
    }

    /// `file:line` of a span of this side, when its files are known.
    pub fn origin(&self, span: Span) -> Option<String> {
        self.sources.filter(|s| (span.file.0 as usize) < s.files().count()).map(|s| s.origin(span))
    }

    /// The text of the spec line a span starts on, trimmed.
    fn line_text(&self, span: Span) -> Option<String> {
        let sources = self.sources?;
        let file = sources.files().nth(span.file.0 as usize).map(|(_, f)| f)?;
        let text: &str = &file.text;
        let at = (span.start as usize).min(text.len());
        let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        let line = text.get(start..end)?.trim();
        const MAX: usize = 120;
        Some(if line.chars().count() > MAX {
            format!("{}…", line.chars().take(MAX).collect::<String>())
        } else {
            line.to_string()
        })
    }
}

/// Borrowed form of [`ObjectRef`] for the index, so matching allocates nothing per object.
type KeyRef<'a> = (&'a str, &'a str, Option<&'a str>, &'a str);

fn key_ref(m: &Manifest) -> KeyRef<'_> {
    (m.group(), &m.kind, m.namespace.as_deref(), &m.name)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Changed,
    Removed,
}

impl ChangeKind {
    /// The one-character marker of stat and unified output.
    pub fn sign(self) -> char {
        match self {
            ChangeKind::Added => '+',
            ChangeKind::Changed => '~',
            ChangeKind::Removed => '-',
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Changed => "changed",
            ChangeKind::Removed => "removed",
        }
    }
}

/// One object that differs between the revisions. `base` is set unless added, `head` unless removed.
#[derive(Debug, Clone)]
pub struct ObjectChange<'a> {
    pub kind: ChangeKind,
    pub key: ObjectRef,
    pub base: Option<&'a Manifest>,
    pub head: Option<&'a Manifest>,
}

impl<'a> ObjectChange<'a> {
    /// The newest version of the object (head, or base when it was removed).
    pub fn manifest(&self) -> &'a Manifest {
        match (self.head, self.base) {
            (Some(m), _) | (None, Some(m)) => m,
            (None, None) => unreachable!("a change has at least one side"),
        }
    }

    pub fn tenant(&self) -> Option<&'a str> {
        self.head.and_then(|m| m.tenant.as_deref()).or_else(|| self.base.and_then(|m| m.tenant.as_deref()))
    }

    fn order(&self) -> (Stage, &str, Option<&str>, &str) {
        let m = self.manifest();
        (m.stage, &m.kind, m.namespace.as_deref(), &m.name)
    }

    /// `true` when this change is of `kind` in API group `group`.
    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.key.group == group && self.key.kind == kind
    }
}

/// The spec line behind one side of a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecLine {
    /// `file:line`.
    pub origin: String,
    /// The line itself, when the spec files are at hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip)]
    span: Option<Span>,
}

impl SpecLine {
    fn of(m: &Manifest) -> Self {
        SpecLine { origin: m.origin.clone(), text: None, span: Some(m.span) }
    }
}

/// A change-safety finding: what is unsafe, where (the spec line on each side), why it matters.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// Stable: `strata::diff::<rule>`.
    pub code: &'static str,
    pub message: String,
    /// The object the finding is about (`KafkaTopic kafka/orders`).
    pub object: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    pub base: Option<SpecLine>,
    pub head: Option<SpecLine>,
    /// Why the change matters: what happens on apply.
    pub why: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Finding {
    fn on(severity: Severity, code: &'static str, c: &ObjectChange, message: String, why: String) -> Self {
        Finding {
            severity,
            code,
            message,
            object: c.key.to_string(),
            tenant: c.tenant().map(str::to_string),
            base: c.base.map(SpecLine::of),
            head: c.head.map(SpecLine::of),
            why,
            help: None,
        }
    }

    /// An error finding on an object change; the spec lines of both sides come from the change.
    pub fn error(code: &'static str, c: &ObjectChange, message: impl Into<String>, why: impl Into<String>) -> Self {
        Self::on(Severity::Error, code, c, message.into(), why.into())
    }

    pub fn warning(code: &'static str, c: &ObjectChange, message: impl Into<String>, why: impl Into<String>) -> Self {
        Self::on(Severity::Warning, code, c, message.into(), why.into())
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Points the head side at another object (a removed topic's replacement).
    #[must_use]
    pub fn head_at(mut self, m: &Manifest) -> Self {
        self.head = Some(SpecLine::of(m));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Added/changed/removed counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
}

impl Counts {
    fn bump(&mut self, k: ChangeKind) {
        match k {
            ChangeKind::Added => self.added += 1,
            ChangeKind::Changed => self.changed += 1,
            ChangeKind::Removed => self.removed += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.added + self.changed + self.removed
    }
}

/// Where tenant-less objects (PriorityClasses, cluster-wide configuration) are counted in summaries.
pub const NO_TENANT: &str = "(platform)";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    #[serde(flatten)]
    pub total: Counts,
    pub unchanged: usize,
    pub by_tenant: BTreeMap<String, Counts>,
    pub by_kind: BTreeMap<String, Counts>,
}

/// The result of comparing two sides.
#[derive(Debug)]
pub struct Diff<'a> {
    pub base_label: String,
    pub head_label: String,
    pub base_objects: usize,
    pub head_objects: usize,
    /// In apply order (stage, kind, namespace, name).
    pub changes: Vec<ObjectChange<'a>>,
    pub unchanged: usize,
    /// Errors first, then warnings, each in the order of the objects.
    pub findings: Vec<Finding>,
    /// What the change does to the monthly cost, when both sides have a cost model.
    pub cost: Option<cost::CostDiff>,
}

impl Diff<'_> {
    pub fn summary(&self) -> Summary {
        let mut s = Summary { unchanged: self.unchanged, ..Summary::default() };
        for c in &self.changes {
            s.total.bump(c.kind);
            s.by_tenant.entry(c.tenant().unwrap_or(NO_TENANT).to_string()).or_default().bump(c.kind);
            s.by_kind.entry(c.key.kind.clone()).or_default().bump(c.kind);
        }
        s
    }

    pub fn errors(&self) -> usize {
        self.findings.iter().filter(|f| f.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.findings.len() - self.errors()
    }

    /// 0 no changes, 1 changes and no safety error, 4 a safety error (see [`crate::exit`]).
    pub fn exit_code(&self) -> i32 {
        if self.errors() > 0 {
            exit::UNSAFE
        } else if self.changes.is_empty() {
            exit::OK
        } else {
            exit::CHANGES
        }
    }
}

/// Compares two sides: matches objects by key, runs the change-safety rules, orders the result.
pub fn compare<'a>(base: &Side<'a>, head: &Side<'a>) -> Diff<'a> {
    let base_items: &'a [Manifest] = &base.manifests.items;
    let head_items: &'a [Manifest] = &head.manifests.items;
    let mut index: HashMap<KeyRef<'a>, &'a Manifest> = HashMap::with_capacity(base_items.len());
    for m in base_items {
        // A set never holds one key twice (`ManifestSet::finish` reports it); keep the first regardless.
        index.entry(key_ref(m)).or_insert(m);
    }
    let mut changes = Vec::new();
    let mut unchanged = 0;
    for h in head_items {
        match index.remove(&key_ref(h)) {
            Some(b) if same_object(&b.object, &h.object) => unchanged += 1,
            Some(b) => changes.push(ObjectChange {
                kind: ChangeKind::Changed,
                key: ObjectRef::of(h),
                base: Some(b),
                head: Some(h),
            }),
            None => {
                changes.push(ObjectChange { kind: ChangeKind::Added, key: ObjectRef::of(h), base: None, head: Some(h) })
            }
        }
    }
    changes.extend(index.into_values().map(|b| ObjectChange {
        kind: ChangeKind::Removed,
        key: ObjectRef::of(b),
        base: Some(b),
        head: None,
    }));
    changes.sort_by(|a, b| a.order().cmp(&b.order()).then(a.kind.cmp(&b.kind)));

    let cx = rules::Context::new(base, head);
    let mut findings = rules::run(&changes, &cx);
    let cost = cost::compare(base.cost.as_ref(), head.cost.as_ref());
    findings.extend(cost::budget_findings(base, head, cost.as_ref()));
    // Stable: within a severity, findings keep the order of the objects they are about.
    findings.sort_by_key(|f| f.severity);
    for f in &mut findings {
        fill_text(&mut f.base, base);
        fill_text(&mut f.head, head);
    }
    Diff {
        base_label: base.label.clone(),
        head_label: head.label.clone(),
        base_objects: base_items.len(),
        head_objects: head_items.len(),
        changes,
        unchanged,
        findings,
        cost,
    }
}

fn fill_text(line: &mut Option<SpecLine>, side: &Side) {
    if let Some(l) = line
        && l.text.is_none()
        && let Some(span) = l.span
    {
        l.text = side.line_text(span);
    }
}

/// Equal apart from the `strata.dev/source` annotation: moving a node within the spec (or editing lines
/// above it) changes its origin line, which is not a change a reviewer needs to see or an apply needs to
/// make before anything else changes.
pub fn same_object(a: &Value, b: &Value) -> bool {
    // An alert's `source` annotation is the same kind of origin, one per rule (`emit::alerts`).
    if is_prometheus_rule(a) || is_prometheus_rule(b) {
        return without_origin(a) == without_origin(b);
    }
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => eq_maps(a, b, |k, x, y| match k {
            "metadata" => match (x, y) {
                (Value::Object(x), Value::Object(y)) => eq_maps(x, y, |k, x, y| match k {
                    "annotations" => match (x, y) {
                        (Value::Object(x), Value::Object(y)) => {
                            eq_maps(x, y, |k, x, y| k == ANNOTATION_SOURCE || x == y)
                        }
                        _ => x == y,
                    },
                    _ => x == y,
                }),
                _ => x == y,
            },
            _ => x == y,
        }),
        _ => a == b,
    }
}

/// Same keys, and `eq(key, a[key], b[key])` for each.
fn eq_maps(a: &Map<String, Value>, b: &Map<String, Value>, eq: impl Fn(&str, &Value, &Value) -> bool) -> bool {
    a.len() == b.len() && a.iter().all(|(k, x)| b.get(k).is_some_and(|y| eq(k, x, y)))
}

/// The object as reviewers should see it in a diff: without the `strata.dev/source` annotation (shown
/// next to the object instead, so a moved line does not show up as a change).
pub fn without_origin(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        let empty = match meta.get_mut("annotations").and_then(Value::as_object_mut) {
            Some(a) => {
                a.remove(ANNOTATION_SOURCE);
                a.is_empty()
            }
            None => false,
        };
        if empty {
            meta.remove("annotations");
        }
    }
    if is_prometheus_rule(&v) {
        for g in v["spec"]["groups"].as_array_mut().into_iter().flatten() {
            for r in g["rules"].as_array_mut().into_iter().flatten() {
                if let Some(a) = r.get_mut("annotations").and_then(Value::as_object_mut) {
                    a.remove(crate::emit::alerts::SOURCE_ANNOTATION);
                }
            }
        }
    }
    v
}

fn is_prometheus_rule(v: &Value) -> bool {
    v["kind"] == "PrometheusRule" && v["apiVersion"].as_str().is_some_and(|a| a.starts_with("monitoring.coreos.com/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{Placement, Stage};
    use crate::source::FileId;
    use serde_json::json;

    pub(crate) fn set(objects: Vec<(Value, Option<&str>, &str)>) -> ManifestSet {
        let mut s = ManifestSet::default();
        for (o, tenant, origin) in objects {
            let (api_version, kind) = (o["apiVersion"].as_str().unwrap_or(""), o["kind"].as_str().unwrap_or(""));
            let stage = crate::domain::lookup_api_version(api_version, kind).map_or(Stage::Workloads, |d| d.stage);
            s.add_value(o, Placement { stage, tenant: tenant.map(str::to_string), span: Span::new(FileId(0), 0, 0) });
            s.items.last_mut().expect("just added").origin = origin.to_string();
        }
        s
    }

    fn ns(name: &str, source: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": name, "annotations": {ANNOTATION_SOURCE: source}}})
    }

    #[test]
    fn a_moved_origin_is_not_a_change() {
        assert!(same_object(&ns("a", "t.kdl:1"), &ns("a", "t.kdl:9")));
        assert!(!same_object(&ns("a", "t.kdl:1"), &ns("b", "t.kdl:1")));
        let mut labelled = ns("a", "t.kdl:1");
        labelled["metadata"]["annotations"]["x"] = json!("y");
        assert!(!same_object(&ns("a", "t.kdl:1"), &labelled));
        let stripped = without_origin(&ns("a", "t.kdl:1"));
        assert_eq!(stripped, json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}));
    }

    #[test]
    fn matches_by_group_kind_namespace_name_not_version() {
        let topic = |v: &str, parts: u64| {
            json!({"apiVersion": format!("kafka.strimzi.io/{v}"), "kind": "KafkaTopic",
                   "metadata": {"name": "orders", "namespace": "kafka"}, "spec": {"partitions": parts}})
        };
        let base = set(vec![(topic("v1beta2", 3), None, "a:1"), (ns("gone", "a:2"), Some("gone"), "a:2")]);
        let head = set(vec![(topic("v1", 3), None, "a:1"), (ns("new", "a:3"), Some("new"), "a:3")]);
        let d = compare(&Side::new("base", &base), &Side::new("head", &head));
        let kinds: Vec<_> = d.changes.iter().map(|c| (c.kind, c.key.to_string())).collect();
        assert_eq!(
            kinds,
            vec![
                (ChangeKind::Removed, "Namespace gone".to_string()),
                (ChangeKind::Added, "Namespace new".to_string()),
                (ChangeKind::Changed, "KafkaTopic kafka/orders".to_string()),
            ]
        );
        let s = d.summary();
        assert_eq!(s.total, Counts { added: 1, changed: 1, removed: 1 });
        assert_eq!(s.by_tenant[NO_TENANT], Counts { added: 0, changed: 1, removed: 0 });
        assert_eq!(s.by_kind["Namespace"], Counts { added: 1, changed: 0, removed: 1 });
        // Removing a namespace is a safety error.
        assert_eq!(d.exit_code(), exit::UNSAFE);
    }

    #[test]
    fn exit_codes_follow_the_contract() {
        let a = set(vec![(ns("a", "x:1"), Some("a"), "x:1")]);
        let d = compare(&Side::new("base", &a), &Side::new("head", &a));
        assert_eq!((d.changes.len(), d.exit_code()), (0, exit::OK));
        let b = set(vec![(ns("a", "x:1"), Some("a"), "x:1"), (ns("b", "x:2"), Some("b"), "x:2")]);
        let d = compare(&Side::new("base", &a), &Side::new("head", &b));
        assert_eq!((d.changes.len(), d.exit_code()), (1, exit::CHANGES));
    }
}
