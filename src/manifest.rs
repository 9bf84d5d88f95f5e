//! The compiler's output: an ordered, labelled set of Kubernetes objects. Every emitter adds objects here;
//! [`ManifestSet::finish`] stamps the ownership labels and origin annotation on all of them at once, and
//! sorts them so two compiles of the same spec are byte-identical.

use std::collections::BTreeMap;

use base64::Engine;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::{SourceMap, Span};

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

    /// `Kind.group` as used by ApplySet's `contains-group-kinds` (`Namespace`, `KafkaTopic.kafka.strimzi.io`).
    pub fn group_kind(&self) -> String {
        match self.group() {
            "" => self.kind.clone(),
            g => format!("{}.{g}", self.kind),
        }
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
        Self::for_platform(p.name(), ns)
    }
}

/// Every object of one compile.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ManifestSet {
    pub items: Vec<Manifest>,
}

/// Where a new object belongs.
#[derive(Debug, Clone)]
pub struct Placement {
    pub stage: Stage,
    pub tenant: Option<String>,
    pub span: Span,
}

impl ManifestSet {
    /// Adds a typed built-in object (k8s-openapi), whose apiVersion and kind come from its type.
    pub fn add_typed<K>(&mut self, object: &K, at: Placement)
    where
        K: k8s_openapi::Resource + Serialize,
    {
        let value = serde_json::to_value(object).unwrap_or(Value::Null);
        self.add_value(value, at);
    }

    /// Adds an object given as JSON (custom resources). It must have apiVersion, kind and metadata.name.
    pub fn add_value(&mut self, object: Value, at: Placement) {
        let s = |k: &str| object.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        let meta = object.get("metadata");
        let m = |k: &str| meta.and_then(|m| m.get(k)).and_then(Value::as_str).map(str::to_string);
        self.items.push(Manifest {
            stage: at.stage,
            api_version: s("apiVersion"),
            kind: s("kind"),
            namespace: m("namespace"),
            name: m("name").unwrap_or_default(),
            tenant: at.tenant,
            span: at.span,
            origin: String::new(),
            object,
        });
    }

    /// Stamps ownership labels and origins, sorts, and reports two emitters producing the same object.
    pub fn finish(&mut self, platform: &str, applyset: &ApplySetRef, sources: &SourceMap, d: &mut Diagnostics) {
        for m in &mut self.items {
            m.origin = sources.origin(m.span);
            let mut labels = BTreeMap::new();
            labels.insert(LABEL_MANAGED_BY, MANAGER.to_string());
            labels.insert(LABEL_PART_OF, platform.to_string());
            labels.insert(LABEL_APPLYSET_PART_OF, applyset.id.clone());
            if let Some(t) = &m.tenant {
                labels.insert(LABEL_TENANT, t.clone());
            }
            let meta = ensure_object(&mut m.object, "metadata");
            let l = ensure_entry(meta, "labels");
            for (k, v) in labels {
                l.entry(k.to_string()).or_insert(Value::String(v));
            }
            let a = ensure_entry(meta, "annotations");
            a.insert(ANNOTATION_SOURCE.to_string(), Value::String(m.origin.clone()));
        }
        self.items.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        for pair in self.items.windows(2) {
            if pair[0].sort_key() == pair[1].sort_key() {
                d.push(
                    Diagnostic::error(
                        "strata::emit::duplicate-object",
                        format!("two parts of the spec produce {}", pair[1].key()),
                    )
                    .at(pair[1].span, "produces it")
                    .also(pair[0].span, "also produces it")
                    .help("rename one of them; Kubernetes object names are unique per kind and namespace"),
                );
            }
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

fn ensure_object<'v>(v: &'v mut Value, key: &str) -> &'v mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    let map = v.as_object_mut().expect("just made an object");
    ensure_entry(map, key)
}

fn ensure_entry<'v>(map: &'v mut Map<String, Value>, key: &str) -> &'v mut Map<String, Value> {
    let entry = map.entry(key.to_string()).or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    entry.as_object_mut().expect("just made an object")
}

#[cfg(test)]
mod tests {
    use super::*;

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
