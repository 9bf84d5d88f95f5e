//! Which kinds the cluster serves, found with the classic `/api` + `/apis` walk (one request each, then
//! one per group-version strata needs), so it works on every release from Kubernetes 1.20 on, without
//! aggregated discovery (1.26+). A kind the spec needs but the cluster lacks is reported with the operator
//! and version to install, before anything is written.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures::StreamExt;
use kube::discovery::ApiResource;

use crate::manifest::ManifestSet;
use crate::reconcile::Kube;
use crate::reconcile::error::{ApiFailure, MissingApi, ReconcileError};

/// A served resource: how to address it and whether it is namespaced.
#[derive(Debug, Clone)]
pub struct Resource {
    pub ar: ApiResource,
    pub namespaced: bool,
    pub verbs: Vec<String>,
}

impl Resource {
    pub fn group_kind(&self) -> String {
        group_kind(&self.ar.group, &self.ar.kind)
    }
}

/// `Kind.group`, or `Kind` for the core group (ApplySet's `contains-group-kinds` format).
pub fn group_kind(group: &str, kind: &str) -> String {
    if group.is_empty() { kind.to_string() } else { format!("{kind}.{group}") }
}

/// `Kind.group` -> (group, Kind).
pub fn split_group_kind(gk: &str) -> (String, String) {
    match gk.split_once('.') {
        Some((kind, group)) => (group.to_string(), kind.to_string()),
        None => (String::new(), gk.to_string()),
    }
}

/// What the cluster serves, as far as strata asked.
#[derive(Debug, Default)]
pub struct Catalog {
    /// group -> served versions, preferred first.
    pub groups: BTreeMap<String, Vec<String>>,
    /// (apiVersion, kind) -> resource.
    resources: HashMap<(String, String), Resource>,
}

impl Catalog {
    pub fn resolve(&self, api_version: &str, kind: &str) -> Option<&Resource> {
        self.resources.get(&(api_version.to_string(), kind.to_string()))
    }

    /// A group-kind at the group's preferred version (used for kinds only the inventory remembers).
    pub fn resolve_group_kind(&self, gk: &str) -> Option<&Resource> {
        let (group, kind) = split_group_kind(gk);
        let versions = self.groups.get(&group)?;
        versions.iter().find_map(|v| self.resolve(&api_version(&group, v), &kind))
    }
}

fn api_version(group: &str, version: &str) -> String {
    if group.is_empty() { version.to_string() } else { format!("{group}/{version}") }
}

/// Discovers the groups, then the resources of every group-version that `set` uses plus the preferred
/// version of every extra group-kind (from the inventory). Group-versions are fetched in parallel.
pub async fn discover(
    kube: &Kube,
    set: &ManifestSet,
    extra_group_kinds: &BTreeSet<String>,
) -> Result<Catalog, ReconcileError> {
    let (core, groups) = tokio::join!(
        async {
            kube.count_read();
            kube.client.list_core_api_versions().await
        },
        async {
            kube.count_read();
            kube.client.list_api_groups().await
        }
    );
    let fail = |what: &str, e: kube::Error| ReconcileError::api(what, "get", what, None, ApiFailure::from_kube(&e));
    let core = core.map_err(|e| fail("/api", e))?;
    let groups = groups.map_err(|e| fail("/apis", e))?;
    let mut catalog = Catalog::default();
    catalog.groups.insert(String::new(), core.versions.clone());
    for g in groups.groups {
        let mut versions: Vec<String> = Vec::new();
        if let Some(p) = &g.preferred_version {
            versions.push(p.version.clone());
        }
        for v in g.versions {
            if !versions.contains(&v.version) {
                versions.push(v.version);
            }
        }
        catalog.groups.insert(g.name, versions);
    }

    let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
    for m in &set.items {
        let group = m.group().to_string();
        let version = m.api_version.rsplit('/').next().unwrap_or_default().to_string();
        if catalog.groups.get(&group).is_some_and(|vs| vs.contains(&version)) {
            wanted.insert((group, version));
        }
    }
    for gk in extra_group_kinds {
        let (group, _) = split_group_kind(gk);
        if let Some(v) = catalog.groups.get(&group).and_then(|vs| vs.first()) {
            wanted.insert((group.clone(), v.clone()));
        }
    }
    let fetched: Vec<_> = futures::stream::iter(wanted)
        .map(|(group, version)| async move {
            kube.count_read();
            let av = api_version(&group, &version);
            let r = if group.is_empty() {
                kube.client.list_core_api_resources(&version).await
            } else {
                kube.client.list_api_group_resources(&av).await
            };
            (group, version, av, r)
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for (group, version, av, r) in fetched {
        let list = r.map_err(|e| fail(&format!("/apis/{av}"), e))?;
        for res in list.resources {
            // Subresources (`pods/log`) are not objects strata applies.
            if res.name.contains('/') {
                continue;
            }
            let ar = ApiResource {
                group: group.clone(),
                version: version.clone(),
                api_version: av.clone(),
                kind: res.kind.clone(),
                plural: res.name.clone(),
            };
            catalog
                .resources
                .insert((av.clone(), res.kind.clone()), Resource { ar, namespaced: res.namespaced, verbs: res.verbs });
        }
    }
    Ok(catalog)
}

/// Every apiVersion/kind of `set` the cluster does not serve, grouped, with examples.
pub fn missing(catalog: &Catalog, set: &ManifestSet) -> Vec<MissingApi> {
    let mut by_kind: BTreeMap<(String, String), MissingApi> = BTreeMap::new();
    for m in &set.items {
        if catalog.resolve(&m.api_version, &m.kind).is_some() {
            continue;
        }
        let e = by_kind.entry((m.api_version.clone(), m.kind.clone())).or_insert_with(|| MissingApi {
            api_version: m.api_version.clone(),
            kind: m.kind.clone(),
            served_versions: catalog.groups.get(m.group()).cloned().unwrap_or_default(),
            examples: Vec::new(),
            count: 0,
        });
        e.count += 1;
        if e.examples.len() < 3 {
            e.examples.push(m.key());
        }
    }
    by_kind.into_values().collect()
}

/// The operator (and the release strata is tested with) that serves a group, as an install hint.
pub fn install_hint(group: &str, kind: &str) -> String {
    match group {
        "kafka.strimzi.io" => format!(
            "install the Strimzi operator 1.2.0 or later (its CRDs serve kafka.strimzi.io/v1, which {kind} needs), then rerun"
        ),
        "sparkoperator.k8s.io" => format!(
            "install the Kubeflow Spark operator v2.5.2 or later (CRDs sparkapplications/scheduledsparkapplications.sparkoperator.k8s.io, v1beta2, for {kind}), then rerun"
        ),
        "spark.apache.org" => {
            format!("install the Apache Spark Kubernetes operator 1.0.0 or later (for {kind}), then rerun")
        }
        "flink.apache.org" => format!(
            "install the Apache Flink Kubernetes operator 1.15.0 or later (CRDs flinkdeployments/flinksessionjobs.flink.apache.org, v1beta1, for {kind}), then rerun"
        ),
        "" => format!("the core API has no {kind} on this cluster; check `kubernetes version` in the spec"),
        g => format!(
            "this Kubernetes release does not serve {g}; upgrade the cluster or lower `kubernetes version` in the spec"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_kind_round_trips() {
        assert_eq!(group_kind("", "Namespace"), "Namespace");
        assert_eq!(group_kind("kafka.strimzi.io", "KafkaTopic"), "KafkaTopic.kafka.strimzi.io");
        assert_eq!(split_group_kind("KafkaTopic.kafka.strimzi.io"), ("kafka.strimzi.io".into(), "KafkaTopic".into()));
        assert_eq!(split_group_kind("Namespace"), (String::new(), "Namespace".into()));
    }

    #[test]
    fn hints_name_operator_and_version() {
        assert!(install_hint("kafka.strimzi.io", "KafkaTopic").contains("Strimzi operator 1.2.0"));
        assert!(install_hint("flink.apache.org", "FlinkDeployment").contains("Flink Kubernetes operator 1.15.0"));
        assert!(install_hint("sparkoperator.k8s.io", "SparkApplication").contains("Spark operator v2.5.2"));
    }
}
