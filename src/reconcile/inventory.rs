//! The ApplySet inventory: a ConfigMap parent `strata-<platform>` in the platform's inventory namespace,
//! with kubectl's keys (`applyset.kubernetes.io/id`, `tooling`, `contains-group-kinds`,
//! `additional-namespaces`), so `kubectl apply --prune --applyset` and strata see the same set.
//!
//! The record is widened to cover every kind and namespace of the new spec *before* anything is applied,
//! and narrowed only after a successful prune: a run that dies in between leaves a record that still
//! covers every object it might have created, so the next run can find and prune them (kubectl's
//! `BeforeApply` / `buildParentPatch`).

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;
use kube::discovery::ApiResource;
use serde_json::{Value, json};

use crate::manifest::{
    ApplySetRef, GroupKind, LABEL_APPLYSET_PART_OF, LABEL_MANAGED_BY, LABEL_PART_OF, ManifestSet, ObjectRef,
};
use crate::reconcile::discovery::{Catalog, Resource};
use crate::reconcile::error::ReconcileError;
use crate::reconcile::{Kube, PARENT_FIELD_MANAGER, tooling};

pub const LABEL_APPLYSET_ID: &str = "applyset.kubernetes.io/id";
pub const ANNOTATION_TOOLING: &str = "applyset.kubernetes.io/tooling";
pub const ANNOTATION_GROUP_KINDS: &str = "applyset.kubernetes.io/contains-group-kinds";
pub const ANNOTATION_NAMESPACES: &str = "applyset.kubernetes.io/additional-namespaces";
/// strata's own key on the parent: the cluster-scoped objects (other than namespaces) the platform's
/// spec uses, as `Kind.group/name`. Another platform reads it before pruning or adopting a shared one
/// (see [`shared`](super::shared)).
pub const ANNOTATION_CLUSTER_OBJECTS: &str = "strata.dev/cluster-objects";

/// What the parent records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub group_kinds: BTreeSet<String>,
    /// Namespaces other than the parent's own.
    pub namespaces: BTreeSet<String>,
    /// Shareable cluster-scoped objects the spec uses (`Kind.group/name`).
    pub cluster_objects: BTreeSet<String>,
}

/// `Kind.group/name` of a cluster-scoped object, as [`Record::cluster_objects`] holds it.
pub fn cluster_object_key(group_kind: GroupKind<'_>, name: &str) -> String {
    format!("{group_kind}/{name}")
}

/// Cluster-scoped objects two platforms may share: every cluster-scoped kind but Namespace (a
/// namespace belongs to one tenant of one platform).
pub fn shareable(group: &str, kind: &str, namespaced: bool) -> bool {
    let namespace = group.is_empty() && kind == "Namespace";
    !namespaced && !namespace
}

impl Record {
    /// The record a set needs: its group-kinds and its namespaces (minus the parent's).
    pub fn of(set: &ManifestSet, parent_namespace: &str) -> Self {
        Record {
            group_kinds: set.items.iter().map(|m| m.group_kind().to_string()).collect(),
            namespaces: set
                .items
                .iter()
                .filter_map(|m| m.namespace.clone())
                .filter(|ns| ns != parent_namespace)
                .collect(),
            cluster_objects: set
                .items
                .iter()
                .filter(|m| shareable(m.group(), &m.kind, m.namespace.is_some()))
                .map(|m| cluster_object_key(m.group_kind(), &m.name))
                .collect(),
        }
    }

    pub fn union(&self, other: &Record) -> Record {
        Record {
            group_kinds: self.group_kinds.union(&other.group_kinds).cloned().collect(),
            namespaces: self.namespaces.union(&other.namespaces).cloned().collect(),
            cluster_objects: self.cluster_objects.union(&other.cluster_objects).cloned().collect(),
        }
    }

    fn from_annotations(a: &serde_json::Map<String, Value>) -> Self {
        let split = |k: &str| -> BTreeSet<String> {
            a.get(k)
                .and_then(Value::as_str)
                .map(|s| s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
                .unwrap_or_default()
        };
        Record {
            group_kinds: split(ANNOTATION_GROUP_KINDS),
            namespaces: split(ANNOTATION_NAMESPACES),
            cluster_objects: split(ANNOTATION_CLUSTER_OBJECTS),
        }
    }
}

pub fn configmap_resource() -> ApiResource {
    ApiResource::erase::<k8s_openapi::api::core::v1::ConfigMap>(&())
}

pub fn namespace_resource() -> ApiResource {
    ApiResource::erase::<k8s_openapi::api::core::v1::Namespace>(&())
}

/// The parent object as strata applies it.
pub fn parent_object(aset: &ApplySetRef, platform: &str, record: &Record) -> Value {
    let join = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(",");
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": aset.parent_name,
            "namespace": aset.parent_namespace,
            "labels": {
                LABEL_APPLYSET_ID: aset.id,
                LABEL_MANAGED_BY: crate::manifest::MANAGER,
                LABEL_PART_OF: platform,
            },
            "annotations": {
                ANNOTATION_TOOLING: tooling(),
                ANNOTATION_GROUP_KINDS: join(&record.group_kinds),
                ANNOTATION_NAMESPACES: join(&record.namespaces),
                ANNOTATION_CLUSTER_OBJECTS: join(&record.cluster_objects),
            }
        }
    })
}

/// Reads the parent. `Ok(None)` when there is none yet; an error when it belongs to another tool or set.
pub async fn read_parent(kube: &Kube, aset: &ApplySetRef) -> Result<Option<Record>, ReconcileError> {
    let ar = configmap_resource();
    let ns = aset.parent_namespace.as_str();
    let live = kube.get(&ar, Some(ns), &aset.parent_name).await.map_err(|f| {
        ReconcileError::api(
            format!("reading the ApplySet parent {ns}/{}", aset.parent_name),
            "get",
            "configmaps",
            Some(ns),
            f,
        )
    })?;
    let Some(live) = live else { return Ok(None) };
    check_parent(&live, aset)?;
    let empty = serde_json::Map::new();
    let a = live.pointer("/metadata/annotations").and_then(Value::as_object).unwrap_or(&empty);
    Ok(Some(Record::from_annotations(a)))
}

/// Another platform's ApplySet parent, as far as sharing cluster-scoped objects needs it.
#[derive(Debug, Clone)]
pub struct OtherSet {
    pub id: String,
    pub platform: String,
    pub parent: String,
    pub cluster_objects: BTreeSet<String>,
}

/// Every other strata ApplySet parent on the cluster: one LIST of ConfigMaps carrying the ApplySet id
/// label across namespaces, or, when the identity may not list ConfigMaps cluster-wide, in this
/// platform's inventory namespace only (where platforms sharing a cluster usually keep theirs).
pub async fn other_sets(kube: &Kube, aset: &ApplySetRef) -> Result<Vec<OtherSet>, ReconcileError> {
    let ar = configmap_resource();
    let items = match kube.list(&ar, None, LABEL_APPLYSET_ID).await {
        Ok(items) => items,
        Err(f) if f.is_forbidden() => {
            kube.list(&ar, Some(&aset.parent_namespace), LABEL_APPLYSET_ID).await.map_err(|f| {
                ReconcileError::api(
                    "listing the other platforms' ApplySet parents",
                    "list",
                    "configmaps",
                    Some(&aset.parent_namespace),
                    f,
                )
            })?
        }
        Err(f) => {
            return Err(ReconcileError::api(
                "listing the other platforms' ApplySet parents",
                "list",
                "configmaps",
                None,
                f,
            ));
        }
    };
    let mut out = Vec::new();
    for live in items {
        let get = |p: &str| live.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
        let id = get(&format!("/metadata/labels/{}", LABEL_APPLYSET_ID.replace('/', "~1")));
        let tool = get(&format!("/metadata/annotations/{}", ANNOTATION_TOOLING.replace('/', "~1")));
        if id == aset.id || !tool.starts_with("strata/") {
            continue;
        }
        let empty = serde_json::Map::new();
        let a = live.pointer("/metadata/annotations").and_then(Value::as_object).unwrap_or(&empty);
        out.push(OtherSet {
            platform: get(&format!("/metadata/labels/{}", LABEL_PART_OF.replace('/', "~1"))),
            parent: format!("{}/{}", get("/metadata/namespace"), get("/metadata/name")),
            cluster_objects: Record::from_annotations(a).cluster_objects,
            id,
        });
    }
    Ok(out)
}

/// A parent strata may use: tooling `strata/...` (kubectl refuses parents of other tools too) and our id.
pub fn check_parent(live: &Value, aset: &ApplySetRef) -> Result<(), ReconcileError> {
    let where_ = format!("ConfigMap {}/{}", aset.parent_namespace, aset.parent_name);
    let tool = live
        .pointer(&format!("/metadata/annotations/{}", ANNOTATION_TOOLING.replace('/', "~1")))
        .and_then(Value::as_str);
    match tool {
        Some(t) if t.starts_with("strata/") => {}
        Some(t) => {
            return Err(ReconcileError::ForeignParent(format!(
                "{where_} is the ApplySet parent of another tool (`{t}`); strata will not take it over\n  help: give this platform another name or inventory namespace"
            )));
        }
        None => {
            return Err(ReconcileError::ForeignParent(format!(
                "{where_} exists but is not an ApplySet parent (no {ANNOTATION_TOOLING} annotation); strata will not overwrite it\n  help: rename or remove that ConfigMap, or set another `inventory namespace`"
            )));
        }
    }
    let id =
        live.pointer(&format!("/metadata/labels/{}", LABEL_APPLYSET_ID.replace('/', "~1"))).and_then(Value::as_str);
    if id != Some(aset.id.as_str()) {
        return Err(ReconcileError::ForeignParent(format!(
            "{where_} carries ApplySet id {} but this platform's id is {}; strata will not adopt another set",
            id.unwrap_or("(none)"),
            aset.id
        )));
    }
    Ok(())
}

/// Writes the record (one apply, only when it differs from what the parent holds).
pub async fn write_parent(
    kube: &Kube,
    aset: &ApplySetRef,
    platform: &str,
    current: Option<&Record>,
    record: &Record,
) -> Result<bool, ReconcileError> {
    if current == Some(record) {
        return Ok(false);
    }
    let ns = aset.parent_namespace.as_str();
    kube.apply(
        &configmap_resource(),
        Some(ns),
        &aset.parent_name,
        &parent_object(aset, platform, record),
        PARENT_FIELD_MANAGER,
        true,
        false,
    )
    .await
    .map_err(|f| {
        ReconcileError::api(
            format!("writing the ApplySet parent {ns}/{}", aset.parent_name),
            "patch",
            "configmaps",
            Some(ns),
            f,
        )
    })?;
    Ok(true)
}

/// Makes sure the inventory namespace exists (a GET when it does; one apply when it does not).
pub async fn ensure_namespace(kube: &Kube, ns: &str, platform: &str, dry_run: bool) -> Result<bool, ReconcileError> {
    let ar = namespace_resource();
    let exists = kube
        .get(&ar, None, ns)
        .await
        .map_err(|f| ReconcileError::api(format!("reading namespace {ns}"), "get", "namespaces", None, f))?;
    if exists.is_some() || dry_run {
        return Ok(exists.is_none());
    }
    let body = json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": ns, "labels": {LABEL_MANAGED_BY: crate::manifest::MANAGER, LABEL_PART_OF: platform}}
    });
    kube.apply(&ar, None, ns, &body, crate::reconcile::FIELD_MANAGER, false, false).await.map_err(|f| {
        ReconcileError::api(format!("creating the inventory namespace {ns}"), "patch", "namespaces", None, f)
    })?;
    Ok(true)
}

/// Every object of the set that the cluster holds, found with LISTs by the member label (one per kind,
/// see [`list_members`]): the data behind no-op detection and prune.
#[derive(Debug, Default)]
pub struct LiveSet {
    pub objects: BTreeMap<ObjectRef, (Resource, Value)>,
    /// Group-kinds the record names that the cluster no longer serves (their objects cannot be listed).
    pub unserved: Vec<String>,
}

/// Where one LIST looks.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    Cluster,
    AllNamespaces,
    Namespace(String),
}

impl Scope {
    fn namespace(&self) -> Option<&str> {
        match self {
            Scope::Namespace(n) => Some(n),
            Scope::Cluster | Scope::AllNamespaces => None,
        }
    }
}

/// Lists the set's members of every group-kind in `record`, in the parent's namespace and every
/// recorded namespace: one LIST per kind (across namespaces, filtered to the recorded ones), or one per
/// kind and namespace when the identity may not list across namespaces. Lists run `concurrency` at a time.
pub async fn list_members(
    kube: &Kube,
    catalog: &Catalog,
    aset: &ApplySetRef,
    record: &Record,
    concurrency: usize,
) -> Result<LiveSet, ReconcileError> {
    let selector = format!("{LABEL_APPLYSET_PART_OF}={}", aset.id);
    let mut namespaces: BTreeSet<String> = record.namespaces.clone();
    namespaces.insert(aset.parent_namespace.clone());
    let mut live = LiveSet::default();
    // Phase 1: one LIST per kind across all namespaces (namespaced kinds with more than one recorded
    // namespace), else per namespace. Phase 2: kinds whose cluster-wide LIST is forbidden (an identity
    // with rights in the platform's namespaces only) are listed namespace by namespace.
    let mut jobs: Vec<(Resource, Scope)> = Vec::new();
    for gk in &record.group_kinds {
        let Some(res) = catalog.resolve_group_kind(gk) else {
            live.unserved.push(gk.clone());
            continue;
        };
        if !res.verbs.iter().any(|v| v == "list") {
            continue;
        }
        if !res.namespaced {
            jobs.push((res.clone(), Scope::Cluster));
        } else if namespaces.len() > 1 {
            jobs.push((res.clone(), Scope::AllNamespaces));
        } else {
            jobs.extend(namespaces.iter().map(|ns| (res.clone(), Scope::Namespace(ns.clone()))));
        }
    }
    let mut fallback: Vec<(Resource, Scope)> = Vec::new();
    for phase in 0..2 {
        let batch = if phase == 0 { std::mem::take(&mut jobs) } else { std::mem::take(&mut fallback) };
        let results: Vec<_> = futures::stream::iter(batch)
            .map(|(res, scope)| {
                let selector = &selector;
                async move {
                    let r = kube.list(&res.ar, scope.namespace(), selector).await;
                    (res, scope, r)
                }
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
        for (res, scope, r) in results {
            let items = match r {
                Ok(items) => items,
                Err(f) if f.is_forbidden() && scope == Scope::AllNamespaces => {
                    fallback.extend(namespaces.iter().map(|ns| (res.clone(), Scope::Namespace(ns.clone()))));
                    continue;
                }
                Err(f) => {
                    let ns = scope.namespace();
                    let where_ = ns.map(|n| format!(" in {n}")).unwrap_or_default();
                    return Err(ReconcileError::api(
                        format!("listing {}{where_}", res.ar.plural),
                        "list",
                        &res.ar.plural,
                        ns,
                        f,
                    ));
                }
            };
            for item in items {
                // The selector did this already; checking again costs nothing and is the guard that matters.
                let label = item
                    .pointer(&format!("/metadata/labels/{}", LABEL_APPLYSET_PART_OF.replace('/', "~1")))
                    .and_then(Value::as_str);
                if label != Some(aset.id.as_str()) {
                    continue;
                }
                let namespace = item.pointer("/metadata/namespace").and_then(Value::as_str).map(str::to_string);
                // A cluster-wide list may find members outside the recorded namespaces (copied objects):
                // like kubectl, the set is what the record covers.
                if res.namespaced && !namespace.as_ref().is_some_and(|n| namespaces.contains(n)) {
                    continue;
                }
                let name = item.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
                let key = ObjectRef::new(res.group_kind(), namespace, name);
                live.objects.insert(key, (res.clone(), item));
            }
        }
    }
    Ok(live)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Stage;

    #[test]
    fn parent_carries_kubectl_keys_sorted() {
        let aset = ApplySetRef::for_platform("acme", "strata-system");
        let record = Record {
            group_kinds: ["ResourceQuota", "Namespace", "KafkaTopic.kafka.strimzi.io"].map(String::from).into(),
            namespaces: ["payments", "analytics"].map(String::from).into(),
            cluster_objects: ["PriorityClass.scheduling.k8s.io/batch".to_string()].into(),
        };
        let p = parent_object(&aset, "acme", &record);
        let a = &p["metadata"]["annotations"];
        assert_eq!(a[ANNOTATION_GROUP_KINDS], "KafkaTopic.kafka.strimzi.io,Namespace,ResourceQuota");
        assert_eq!(a[ANNOTATION_NAMESPACES], "analytics,payments");
        assert!(a[ANNOTATION_TOOLING].as_str().unwrap().starts_with("strata/v"));
        assert_eq!(p["metadata"]["labels"][LABEL_APPLYSET_ID], aset.id.as_str());
        assert_eq!(Record::from_annotations(a.as_object().unwrap()), record);
    }

    /// The record's strings are read back from parents older releases wrote: their format must not move.
    #[test]
    fn records_name_kinds_and_cluster_objects_as_earlier_releases_did() {
        let span = crate::source::Span { file: crate::source::FileId(0), start: 0, end: 0 };
        let at = |stage| crate::manifest::Placement { stage, tenant: None, span };
        let mut set = ManifestSet::default();
        set.add_value(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "t"}}), at(Stage::Cluster));
        set.add_value(
            json!({"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic", "metadata": {"name": "o", "namespace": "k"}}),
            at(Stage::Workloads),
        );
        set.add_value(
            json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "batch"}}),
            at(Stage::Cluster),
        );
        let r = Record::of(&set, "strata-system");
        let gks: Vec<&str> = r.group_kinds.iter().map(String::as_str).collect();
        assert_eq!(gks, ["KafkaTopic.kafka.strimzi.io", "Namespace", "PriorityClass.scheduling.k8s.io"]);
        let objects: Vec<&str> = r.cluster_objects.iter().map(String::as_str).collect();
        assert_eq!(objects, ["PriorityClass.scheduling.k8s.io/batch"]);
        assert_eq!(r.namespaces, ["k".to_string()].into());
    }

    #[test]
    fn union_widens_and_parent_checks_refuse_foreign_sets() {
        let a = Record {
            group_kinds: ["Namespace".to_string()].into(),
            namespaces: ["x".to_string()].into(),
            ..Record::default()
        };
        let b = Record { group_kinds: ["ResourceQuota".to_string()].into(), ..Record::default() };
        let u = a.union(&b);
        assert_eq!(u.group_kinds.len(), 2);
        assert_eq!(u.namespaces.len(), 1);

        let aset = ApplySetRef::for_platform("acme", "ns");
        let mut live = parent_object(&aset, "acme", &a);
        assert!(check_parent(&live, &aset).is_ok());
        live["metadata"]["annotations"][ANNOTATION_TOOLING] = json!("kubectl/v1.32");
        assert!(check_parent(&live, &aset).unwrap_err().to_string().contains("another tool (`kubectl/v1.32`)"));
        let other = ApplySetRef::for_platform("other", "ns");
        let live = parent_object(&other, "other", &a);
        assert!(check_parent(&live, &aset).unwrap_err().to_string().contains("will not adopt"));
    }
}
