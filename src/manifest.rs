//! The compiler's output: an ordered, labelled set of Kubernetes objects. Every emitter adds objects here;
//! [`ManifestSet::finish`] stamps the ownership labels and origin annotation on all of them at once, and
//! sorts them so two compiles of the same spec are byte-identical.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::{SourceMap, Span};
use crate::tree::Node;

/// Apply order. Later stages depend on earlier ones (a quota needs its namespace; a KafkaTopic's operator
/// may need the tenant's RBAC), and deletes run in reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Namespaces and cluster-scoped classes.
    Cluster,
    /// Quotas, limits, RBAC, network policies, config.
    Tenancy,
    /// Custom resources handled by operators.
    Workloads,
}

pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const LABEL_PART_OF: &str = "app.kubernetes.io/part-of";
pub const LABEL_TENANT: &str = "strata.dev/tenant";
pub const LABEL_APPLYSET_PART_OF: &str = "applyset.kubernetes.io/part-of";
pub const ANNOTATION_SOURCE: &str = "strata.dev/source";
pub const MANAGER: &str = "strata";
/// The field manager that holds a workload's replica count from the apply where the spec stops setting it
/// (an autoscaler takes over) until the autoscaler's first scale takes the field (see
/// `reconcile::apply::replicas_handover`).
pub const REPLICAS_HANDOVER_MANAGER: &str = "strata-replicas-handover";

/// One object with what strata knows about it beyond its JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub stage: Stage,
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub tenant: Option<String>,
    /// The spec node that produced the object.
    pub span: Span,
    /// `file:line` of `span`, as written into the `strata.dev/source` annotation.
    pub origin: String,
    pub object: Value,
}

impl Manifest {
    /// `group` of the object's apiVersion (`""` for the core group).
    pub fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }

    /// The object's API group and kind (`Namespace`, `KafkaTopic.kafka.strimzi.io` as a string).
    pub fn group_kind(&self) -> GroupKind<'_> {
        GroupKind::new(self.group(), &self.kind)
    }

    /// `namespace/Kind/name` (or `Kind/name`), stable and unique within a set.
    pub fn key(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}/{}", self.kind, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }

    fn sort_key(&self) -> (Stage, &str, &str, &str, &str) {
        (self.stage, &self.kind, self.namespace.as_deref().unwrap_or(""), &self.name, &self.api_version)
    }
}

/// An API group and kind, whatever the version. Its string form is `Kind.group`, or `Kind` for the core
/// group: the format of ApplySet's `contains-group-kinds` annotation, which strata reads back from
/// parents that older releases wrote, so it must not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupKind<'a> {
    pub group: &'a str,
    pub kind: &'a str,
}

impl<'a> GroupKind<'a> {
    pub fn new(group: &'a str, kind: &'a str) -> Self {
        GroupKind { group, kind }
    }

    /// `Kind.group` (or `Kind`) back into its parts: the kind ends at the first dot, since kinds have
    /// none and groups do.
    pub fn parse(gk: &'a str) -> Self {
        match gk.split_once('.') {
            Some((kind, group)) => GroupKind { group, kind },
            None => GroupKind { group: "", kind: gk },
        }
    }

    /// The bytes of the string form, without building it.
    fn bytes(self) -> impl Iterator<Item = u8> + 'a {
        let dot = (!self.group.is_empty()).then_some(b'.');
        self.kind.bytes().chain(dot).chain(self.group.bytes())
    }
}

impl std::fmt::Display for GroupKind<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.group.is_empty() { f.write_str(self.kind) } else { write!(f, "{}.{}", self.kind, self.group) }
    }
}

/// Ordered as the string forms are, so sets of group-kinds sort as the inventory annotation does.
impl Ord for GroupKind<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.bytes().cmp(other.bytes()).then_with(|| (self.kind, self.group).cmp(&(other.kind, other.group)))
    }
}

impl PartialOrd for GroupKind<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// What identifies one object whatever API version it is read or written through: group, kind,
/// namespace (`None` for cluster-scoped objects) and name. `diff` matches two revisions' objects by it,
/// `reconcile` matches the spec's objects with the cluster's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectRef {
    pub group: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    pub fn new(group_kind: GroupKind<'_>, namespace: Option<String>, name: impl Into<String>) -> Self {
        ObjectRef {
            group: group_kind.group.to_string(),
            kind: group_kind.kind.to_string(),
            namespace,
            name: name.into(),
        }
    }

    /// The object a manifest describes, in the namespace it names.
    pub fn of(m: &Manifest) -> Self {
        ObjectRef::new(m.group_kind(), m.namespace.clone(), m.name.clone())
    }

    pub fn group_kind(&self) -> GroupKind<'_> {
        GroupKind::new(&self.group, &self.kind)
    }

    /// `namespace/name` or `name`.
    pub fn path(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// `Kind namespace/name`, as diff findings name objects.
impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind, self.path())
    }
}

/// By group-kind (in its string order), namespace, name: the order prune candidates are reported in.
impl Ord for ObjectRef {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.group_kind()
            .cmp(&other.group_kind())
            .then_with(|| self.namespace.cmp(&other.namespace))
            .then_with(|| self.name.cmp(&other.name))
    }
}

impl PartialOrd for ObjectRef {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Identity of the platform's ApplySet: the parent object and the ID its members are labelled with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplySetRef {
    pub parent_name: String,
    pub parent_namespace: String,
    /// `applyset-<base64url(sha256(name.namespace.ConfigMap.))>-v1`, as kubectl computes it.
    pub id: String,
}

impl ApplySetRef {
    /// The parent is a ConfigMap, one of kubectl's default parent kinds, so `kubectl apply --applyset`
    /// and strata recognise the same set.
    pub fn for_platform(platform: &str, namespace: &str) -> Self {
        let parent_name = format!("strata-{platform}");
        let digest = Sha256::digest(format!("{parent_name}.{namespace}.ConfigMap.").as_bytes());
        let id = format!("applyset-{}-v1", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest));
        ApplySetRef { parent_name, parent_namespace: namespace.to_string(), id }
    }

    /// The ApplySet of a compiled platform: named after it, in its inventory namespace.
    pub fn of(p: &crate::model::Platform) -> Self {
        let ns = p
            .header
            .as_ref()
            .map_or(crate::model::DEFAULT_INVENTORY_NAMESPACE, |h| h.inventory_namespace.value.as_str());
        Self::for_platform(&p.inventory_name(), ns)
    }
}

/// Every object of one compile.
#[derive(Debug, Clone, Default)]
pub struct ManifestSet {
    pub items: Vec<Manifest>,
    /// Set by [`ManifestSet::streaming`]: each object is stamped and rendered as it is added and only its
    /// text is kept, so `strata compile` never holds every object's JSON tree at once (on 15,000 objects
    /// the trees are about 110 MB, and fresh memory is much of what a compile costs).
    streaming: Option<Arc<Streaming>>,
    rendered: Vec<RenderedObject>,
}

impl PartialEq for ManifestSet {
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items && self.rendered == other.rendered
    }
}

/// What every object of a platform carries beyond what its emitter builds: its tenant's own labels
/// ([`ManifestSet::stamp_tenant_labels`]), then the ownership labels and origin annotation
/// ([`ManifestSet::finish`]). Held whole so a [`ManifestSet::streaming`] set can stamp each object as it
/// comes.
#[derive(Debug, Clone)]
pub struct Stamp {
    pub platform: String,
    pub applyset: ApplySetRef,
    pub sources: SourceMap,
    /// Each tenant's own labels, by tenant name (`cost-center`).
    pub tenant_labels: BTreeMap<String, Vec<(&'static str, String)>>,
}

impl Stamp {
    /// Stamps `object` (described by `header`) exactly as `stamp_tenant_labels` followed by `finish` stamp
    /// an object of a whole set.
    fn apply(&self, header: &ObjectHeader, object: &mut Node) {
        let root = object.ensure_map();
        stamp_tenant_labels_on(root, header, &self.tenant_labels);
        stamp_ownership(root, header, &self.sources.origin(header.span), &self.platform, &self.applyset);
    }
}

/// A streaming set's stamp and its renderer (YAML or JSON text of one object, as the output needs it).
#[derive(Debug)]
struct Streaming {
    stamp: Stamp,
    render: fn(&Node) -> String,
}

impl Streaming {
    /// A streaming set's object: stamped and rendered; only its text is kept.
    fn render(&self, mut object: Node, at: Placement) -> RenderedObject {
        let header = header_of(&object, at);
        self.stamp.apply(&header, &mut object);
        let text = (self.render)(&object);
        RenderedObject { header, text }
    }
}

/// One finished object as text, with what orders it and names its file.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedObject {
    pub header: ObjectHeader,
    pub text: String,
}

/// Every object of one compile as text, in output order: what `strata compile` writes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RenderedSet {
    pub items: Vec<RenderedObject>,
}

impl RenderedSet {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Where a new object belongs.
#[derive(Debug, Clone)]
pub struct Placement {
    pub stage: Stage,
    pub tenant: Option<String>,
    pub span: Span,
}

impl ManifestSet {
    /// A set that stamps each object with `stamp` as it is added and keeps only its text (`render`'s);
    /// [`ManifestSet::into_rendered`] then sorts them and reports duplicates as [`ManifestSet::finish`] does.
    pub fn streaming(stamp: Stamp, render: fn(&Node) -> String) -> Self {
        ManifestSet { streaming: Some(Arc::new(Streaming { stamp, render })), ..Default::default() }
    }

    /// Another set like this one (streaming to the same stamp and renderer if this one does), for a part of
    /// the objects built on another core.
    pub fn sibling(&self) -> Self {
        ManifestSet { streaming: self.streaming.clone(), ..Default::default() }
    }

    /// Makes room for `more` objects (of the kind this set keeps: trees, or text when streaming).
    pub fn reserve(&mut self, more: usize) {
        match self.streaming {
            None => self.items.reserve(more),
            Some(_) => self.rendered.reserve(more),
        }
    }

    /// Moves `part`'s objects (built by [`ManifestSet::sibling`]) to the end of this set.
    pub fn append(&mut self, part: ManifestSet) {
        self.items.extend(part.items);
        self.rendered.extend(part.rendered);
    }

    /// Puts this set's objects in output order, as [`ManifestSet::finish`] and [`ManifestSet::into_rendered`]
    /// would: a part built on another core sorts itself there, and the whole set's stable sort then only
    /// merges the parts' sorted runs (the same order, since a stable sort's result depends on the keys and
    /// the order the objects came in alone).
    pub fn sort(&mut self) {
        sort_by_identity(&mut self.items);
        sort_by_identity(&mut self.rendered);
    }

    /// A streaming set's objects as text, sorted; `d` gets an error for each object two parts of the spec
    /// produce.
    pub fn into_rendered(self, d: &mut Diagnostics) -> RenderedSet {
        debug_assert!(self.items.is_empty(), "a streaming set keeps no objects");
        let mut items = self.rendered;
        sort_and_report_duplicates(&mut items, d);
        RenderedSet { items }
    }

    /// Adds a typed built-in object (k8s-openapi), whose apiVersion and kind come from its type.
    pub fn add_typed<K>(&mut self, object: &K, at: Placement)
    where
        K: k8s_openapi::Resource + Serialize,
    {
        self.add_serialized(object, at);
    }

    /// Adds a typed custom resource ([`crate::crd`]), whose apiVersion and kind are its fields.
    pub fn add_custom<T: crate::crd::CustomResource>(&mut self, object: &T, at: Placement) {
        self.add_serialized(object, at);
    }

    /// A typed object as the tree this set keeps: a `Value` for a whole set, a compact [`Node`] for a
    /// streaming one (which never builds the `Value`).
    fn add_serialized<T: Serialize>(&mut self, object: &T, at: Placement) {
        // The emitted types hold only string-keyed maps and finite numbers, which always serialise.
        match &self.streaming {
            None => self.add_value(serde_json::to_value(object).unwrap_or(Value::Null), at),
            Some(streaming) => {
                let rendered = streaming.render(crate::tree::to_node(object).unwrap_or(Node::Null), at);
                self.rendered.push(rendered);
            }
        }
    }

    /// Adds an object given as JSON (custom resources). It must have apiVersion, kind and metadata.name.
    pub fn add_value(&mut self, object: Value, at: Placement) {
        match &self.streaming {
            None => {
                let header = header_of(&object, at);
                self.items.push(Manifest::from_header(header, object));
            }
            Some(streaming) => {
                let rendered = streaming.render(Node::from(object), at);
                self.rendered.push(rendered);
            }
        }
    }

    /// Puts each tenant's own labels (`cost-center`) on the tenant's objects and, with the tenant label, on
    /// the pods they make, at the places the domain registry names ([`crate::domain::KindDescriptor::pod_labels`]):
    /// OpenCost and Kubecost group allocations by pod label (`aggregate=label:cost-center`), and pods made by
    /// an operator or controller carry only what their template says. Labels the emitter set win.
    pub fn stamp_tenant_labels(&mut self, by_tenant: &BTreeMap<String, Vec<(&'static str, String)>>) {
        for m in &mut self.items {
            let header = m.header();
            stamp_tenant_labels_on(ensure_object_map(&mut m.object), &header, by_tenant);
        }
    }

    /// Stamps ownership labels and origins, sorts, and reports two emitters producing the same object.
    pub fn finish(&mut self, platform: &str, applyset: &ApplySetRef, sources: &SourceMap, d: &mut Diagnostics) {
        for m in &mut self.items {
            m.origin = sources.origin(m.span);
            let header = m.header();
            stamp_ownership(ensure_object_map(&mut m.object), &header, &m.origin, platform, applyset);
        }
        sort_and_report_duplicates(&mut self.items, d);
    }

    pub fn len(&self) -> usize {
        self.items.len() + self.rendered.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.rendered.is_empty()
    }
}

/// The header of an object given as a tree. An object must have apiVersion, kind and metadata.name.
fn header_of<T: JsonObject>(object: &T, at: Placement) -> ObjectHeader {
    let meta = object.field("metadata");
    let m = |k: &str| meta.and_then(|m| m.field(k)).and_then(T::text).map(str::to_string);
    ObjectHeader {
        stage: at.stage,
        api_version: object.field("apiVersion").and_then(T::text).unwrap_or_default().to_string(),
        kind: object.field("kind").and_then(T::text).unwrap_or_default().to_string(),
        namespace: m("namespace"),
        name: m("name").unwrap_or_default(),
        tenant: at.tenant,
        span: at.span,
    }
}

/// What reading an object's header needs of its tree, for serde_json's `Value` (whole sets) and the
/// compact [`Node`] (streamed sets) alike.
trait JsonObject {
    fn field(&self, key: &str) -> Option<&Self>;
    fn text(&self) -> Option<&str>;
}

/// A map stamping writes into, of either tree: one stamping routine serves both, so they cannot drift.
trait LabelMap {
    /// The map under `key`, made (in place of anything else) when there is none.
    fn child(&mut self, key: &'static str) -> &mut Self;
    fn contains(&self, key: &str) -> bool;
    fn set(&mut self, key: &'static str, value: &str);

    /// Sets `key` unless the map has it: labels the emitter set win.
    fn set_absent(&mut self, key: &'static str, value: &str) {
        if !self.contains(key) {
            self.set(key, value);
        }
    }
}

impl JsonObject for Value {
    fn field(&self, key: &str) -> Option<&Value> {
        self.get(key)
    }
    fn text(&self) -> Option<&str> {
        self.as_str()
    }
}

impl LabelMap for Map<String, Value> {
    fn child(&mut self, key: &'static str) -> &mut Self {
        ensure_entry(self, key)
    }
    fn contains(&self, key: &str) -> bool {
        self.contains_key(key)
    }
    fn set(&mut self, key: &'static str, value: &str) {
        self.insert(key.to_string(), Value::String(value.to_string()));
    }
}

impl JsonObject for Node {
    fn field(&self, key: &str) -> Option<&Node> {
        self.get(key)
    }
    fn text(&self) -> Option<&str> {
        self.as_str()
    }
}

impl LabelMap for crate::tree::Map {
    fn child(&mut self, key: &'static str) -> &mut Self {
        self.child_map(key)
    }
    fn contains(&self, key: &str) -> bool {
        self.contains_key(key)
    }
    fn set(&mut self, key: &'static str, value: &str) {
        self.insert(key, Node::String(value.to_string()));
    }
}

/// [`ManifestSet::stamp_tenant_labels`] on one object's root map.
fn stamp_tenant_labels_on<M: LabelMap>(
    root: &mut M,
    header: &ObjectHeader,
    by_tenant: &BTreeMap<String, Vec<(&'static str, String)>>,
) {
    let Some((tenant, labels)) = header.tenant.as_deref().and_then(|t| Some((t, by_tenant.get(t)?))) else {
        return;
    };
    let group = header.api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let paths = crate::domain::lookup(group, &header.kind).map_or(&[][..], |k| k.pod_labels);
    let l = root.child("metadata").child("labels");
    for (k, v) in labels {
        l.set_absent(k, v);
    }
    for path in paths {
        let mut at = &mut *root;
        for key in *path {
            at = at.child(key);
        }
        at.set_absent(LABEL_TENANT, tenant);
        for (k, v) in labels {
            at.set_absent(k, v);
        }
    }
}

/// [`ManifestSet::finish`]'s labels and origin on one object's root map.
fn stamp_ownership<M: LabelMap>(
    root: &mut M,
    header: &ObjectHeader,
    origin: &str,
    platform: &str,
    applyset: &ApplySetRef,
) {
    let meta = root.child("metadata");
    let l = meta.child("labels");
    let owned = [(LABEL_MANAGED_BY, MANAGER), (LABEL_PART_OF, platform), (LABEL_APPLYSET_PART_OF, &applyset.id)];
    let tenant = header.tenant.as_deref().map(|t| (LABEL_TENANT, t));
    for (k, v) in owned.into_iter().chain(tenant) {
        l.set_absent(k, v);
    }
    meta.child("annotations").set(ANNOTATION_SOURCE, origin);
}

/// What identifies an object and where it belongs, without its body: what [`Census`] lists. Equal to the
/// same fields of the [`Manifest`] the emitter builds ([`Manifest::header`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHeader {
    pub stage: Stage,
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub tenant: Option<String>,
    pub span: Span,
}

impl Manifest {
    /// A manifest of `object`, described by `header`, not stamped yet.
    fn from_header(header: ObjectHeader, object: Value) -> Manifest {
        let ObjectHeader { stage, api_version, kind, namespace, name, tenant, span } = header;
        Manifest { stage, api_version, kind, namespace, name, tenant, span, origin: String::new(), object }
    }

    /// The object's [`ObjectHeader`].
    pub fn header(&self) -> ObjectHeader {
        ObjectHeader {
            stage: self.stage,
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            tenant: self.tenant.clone(),
            span: self.span,
        }
    }
}

/// The objects a compile would emit, as headers only: `strata check` counts the objects and reports two
/// parts of the spec producing the same one (as [`ManifestSet::finish`] does) without building, serialising
/// and labelling every body. Each emitter lists its objects next to its `emit`, in the same order;
/// `emit::tests` holds the census equal to the emitted set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Census {
    pub items: Vec<ObjectHeader>,
}

impl Census {
    /// A built-in object (k8s-openapi type `K`) named `name` in `namespace`.
    pub fn typed<K: k8s_openapi::Resource>(&mut self, name: &str, namespace: Option<&str>, at: Placement) {
        self.add(K::API_VERSION, K::KIND, name, namespace, at);
    }

    /// An object of any kind (custom resources, whose apiVersion may depend on the cluster's).
    pub fn add(&mut self, api_version: &str, kind: &str, name: &str, namespace: Option<&str>, at: Placement) {
        self.items.push(ObjectHeader {
            stage: at.stage,
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
            tenant: at.tenant,
            span: at.span,
        });
    }

    /// Sorts as [`ManifestSet::finish`] does and reports the same duplicates; returns the object count.
    pub fn finish(&mut self, d: &mut Diagnostics) -> usize {
        sort_and_report_duplicates(&mut self.items, d);
        self.items.len()
    }

    /// [`Census::finish`]'s count and diagnostics, without sorting unless some object is produced twice: a
    /// count needs no order, and a hash set finds a repeat in a fraction of what sorting 15,000 headers
    /// by five strings costs.
    pub fn count(mut self, d: &mut Diagnostics) -> usize {
        let mut seen = std::collections::HashSet::with_capacity(self.items.len());
        if self.items.iter().all(|item| seen.insert(item.identity())) {
            return self.items.len();
        }
        drop(seen);
        self.finish(d)
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// What the object order and the duplicate check read, for manifests and census entries alike.
trait Identity {
    fn identity(&self) -> (Stage, &str, &str, &str, &str);
    fn key(&self) -> String;
    fn span(&self) -> Span;
}

impl Identity for Manifest {
    fn identity(&self) -> (Stage, &str, &str, &str, &str) {
        self.sort_key()
    }
    fn key(&self) -> String {
        Manifest::key(self)
    }
    fn span(&self) -> Span {
        self.span
    }
}

impl Identity for RenderedObject {
    fn identity(&self) -> (Stage, &str, &str, &str, &str) {
        self.header.identity()
    }
    fn key(&self) -> String {
        self.header.key()
    }
    fn span(&self) -> Span {
        self.header.span
    }
}

impl Identity for ObjectHeader {
    fn identity(&self) -> (Stage, &str, &str, &str, &str) {
        (self.stage, &self.kind, self.namespace.as_deref().unwrap_or(""), &self.name, &self.api_version)
    }
    fn key(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}/{}", self.kind, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }
    fn span(&self) -> Span {
        self.span
    }
}

/// The output order, stable: objects with one identity (duplicates) keep the order they came in.
fn sort_by_identity<T: Identity>(items: &mut [T]) {
    items.sort_by(|a, b| a.identity().cmp(&b.identity()));
}

/// The stable output order, and an error for each object that two parts of the spec produce.
fn sort_and_report_duplicates<T: Identity>(items: &mut [T], d: &mut Diagnostics) {
    sort_by_identity(items);
    for pair in items.windows(2) {
        if pair[0].identity() == pair[1].identity() {
            d.push(
                Diagnostic::error(
                    "strata::emit::duplicate-object",
                    format!("two parts of the spec produce {}", pair[1].key()),
                )
                .at(pair[1].span(), "produces it")
                .also(pair[0].span(), "also produces it")
                .help("rename one of them; Kubernetes object names are unique per kind and namespace"),
            );
        }
    }
}

fn ensure_object_map(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    v.as_object_mut().expect("just made an object")
}

fn ensure_entry<'v>(map: &'v mut Map<String, Value>, key: &str) -> &'v mut Map<String, Value> {
    // Looked up before it is inserted, so an existing key (most are: every object has metadata) is not copied.
    if !map.get(key).is_some_and(Value::is_object) {
        map.insert(key.to_string(), Value::Object(Map::new()));
    }
    map.get_mut(key).and_then(Value::as_object_mut).expect("just made an object")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_kind_round_trips_in_the_applyset_format() {
        assert_eq!(GroupKind::new("", "Namespace").to_string(), "Namespace");
        assert_eq!(GroupKind::new("kafka.strimzi.io", "KafkaTopic").to_string(), "KafkaTopic.kafka.strimzi.io");
        assert_eq!(GroupKind::parse("KafkaTopic.kafka.strimzi.io"), GroupKind::new("kafka.strimzi.io", "KafkaTopic"));
        assert_eq!(GroupKind::parse("Namespace"), GroupKind::new("", "Namespace"));
        for gk in ["Namespace", "KafkaTopic.kafka.strimzi.io", "NetworkPolicy.networking.k8s.io", ".x", "a.b.c"] {
            assert_eq!(GroupKind::parse(gk).to_string(), gk);
        }
    }

    #[test]
    fn group_kinds_sort_as_their_strings() {
        let forms = [
            "Kafka.kafka.strimzi.io",
            "KafkaTopic",
            "KafkaTopic.kafka.strimzi.io",
            "KafkaTopic.a",
            "Namespace",
            "ResourceQuota",
            "Role.rbac.authorization.k8s.io",
            "RoleBinding.rbac.authorization.k8s.io",
            "a.b.c",
            "a.b",
        ];
        for x in forms {
            for y in forms {
                assert_eq!(GroupKind::parse(x).cmp(&GroupKind::parse(y)), x.cmp(y), "{x} vs {y}");
            }
        }
        let a = ObjectRef::new(GroupKind::new("", "Namespace"), None, "b");
        let b = ObjectRef::new(GroupKind::new("", "Namespace"), None, "a");
        let c = ObjectRef::new(GroupKind::new("", "ConfigMap"), Some("z".into()), "z");
        let mut v = vec![a.clone(), b.clone(), c.clone()];
        v.sort();
        assert_eq!(v, vec![c, b, a]);
    }

    #[test]
    fn object_refs_name_objects_as_diff_prints_them() {
        let r = ObjectRef::new(GroupKind::new("kafka.strimzi.io", "KafkaTopic"), Some("kafka".into()), "orders");
        assert_eq!(r.to_string(), "KafkaTopic kafka/orders");
        assert_eq!(ObjectRef::new(GroupKind::new("", "Namespace"), None, "team").to_string(), "Namespace team");
    }

    #[test]
    fn applyset_id_matches_kubectl_scheme() {
        let a = ApplySetRef::for_platform("acme", "kube-system");
        assert!(a.id.starts_with("applyset-") && a.id.ends_with("-v1"));
        // base64url of a sha256 is 43 characters without padding.
        assert_eq!(a.id.len(), "applyset-".len() + 43 + "-v1".len());
        assert!(!a.id.contains('=') && !a.id.contains('+') && !a.id.contains('/'));
        assert_eq!(a, ApplySetRef::for_platform("acme", "kube-system"));
    }
}
