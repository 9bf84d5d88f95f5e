//! Pruning: deleting members of the platform's ApplySet that the spec no longer produces, behind guards
//! that make data loss a deliberate act. A candidate is only ever an object that carries this platform's
//! ApplySet label (found by [`inventory::list_members`](super::inventory::list_members)); from those,
//! [`guard`] keeps data-bearing kinds without `--allow-data-loss` and anything annotated
//! `strata.dev/prune: disabled`. Deletes run stage by stage in reverse apply order (workloads first,
//! namespaces last), each guarded by the uid strata listed.

use std::collections::BTreeMap;

use futures::StreamExt;
use serde_json::Value;

use crate::manifest::{LABEL_APPLYSET_PART_OF, Stage};
use crate::reconcile::ANNOTATION_PRUNE;
use crate::reconcile::Kube;
use crate::reconcile::discovery::Resource;
use crate::reconcile::error::ApiFailure;
use crate::reconcile::inventory::ObjectKey;

/// Why a candidate is kept, or `None` when it may be deleted.
pub fn guard(group: &str, kind: &str, live: &Value, applyset_id: &str, allow_data_loss: bool) -> Option<String> {
    let label = live
        .pointer(&format!("/metadata/labels/{}", LABEL_APPLYSET_PART_OF.replace('/', "~1")))
        .and_then(Value::as_str);
    if label != Some(applyset_id) {
        return Some("it does not carry this platform's ApplySet label; strata deletes only its own objects".into());
    }
    let annotation =
        live.pointer(&format!("/metadata/annotations/{}", ANNOTATION_PRUNE.replace('/', "~1"))).and_then(Value::as_str);
    if annotation == Some("disabled") {
        return Some(format!("annotated `{ANNOTATION_PRUNE}: disabled`"));
    }
    if !allow_data_loss && let Some(why) = data_loss(group, kind) {
        return Some(format!("{why}; rerun with --allow-data-loss to delete it"));
    }
    None
}

/// What deleting an object of a data-bearing kind destroys (`None` for kinds that hold no data).
pub fn data_loss(group: &str, kind: &str) -> Option<&'static str> {
    match (group, kind) {
        ("kafka.strimzi.io", "KafkaTopic") => Some("deleting a KafkaTopic deletes the topic and its data in Kafka"),
        ("", "PersistentVolumeClaim") => Some("deleting a PersistentVolumeClaim can delete its volume and data"),
        ("", "Namespace") => Some("deleting a Namespace deletes everything in it"),
        _ => None,
    }
}

/// The apply stage a live object belongs to (for delete ordering): namespaces and cluster-scoped kinds
/// first, built-in namespaced kinds next, custom resources last — the order the emitters use.
pub fn stage_of(group: &str, namespaced: bool) -> Stage {
    if !namespaced {
        return Stage::Cluster;
    }
    let builtin =
        group.is_empty() || !group.contains('.') || group.ends_with(".k8s.io") && !group.starts_with("sparkoperator.");
    if builtin { Stage::Tenancy } else { Stage::Workloads }
}

/// A prune candidate after the guard.
pub struct Candidate {
    pub key: ObjectKey,
    pub resource: Resource,
    pub live: Value,
    pub stage: Stage,
    /// `Some(reason)` when kept.
    pub kept: Option<String>,
}

impl Candidate {
    pub fn uid(&self) -> Option<&str> {
        self.live.pointer("/metadata/uid").and_then(Value::as_str)
    }

    pub fn terminating(&self) -> bool {
        self.live.pointer("/metadata/deletionTimestamp").is_some()
    }
}

/// Deletes the candidates that passed the guard, in reverse stage order, `concurrency` at a time within a
/// stage. Returns per candidate (by index) the failure, if any. Stops before the next stage when one
/// failed: a namespace is not deleted while the deletion of its contents failed.
pub async fn delete_all(
    kube: &Kube,
    candidates: &[Candidate],
    dry_run: bool,
    concurrency: usize,
) -> BTreeMap<usize, Result<(), ApiFailure>> {
    let mut results = BTreeMap::new();
    for stage in [Stage::Workloads, Stage::Tenancy, Stage::Cluster] {
        let batch: Vec<usize> = candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| c.stage == stage && c.kept.is_none() && !c.terminating())
            .map(|(i, _)| i)
            .collect();
        let done: Vec<(usize, Result<(), ApiFailure>)> = futures::stream::iter(batch)
            .map(|i| async move {
                let c = &candidates[i];
                (i, kube.delete(&c.resource.ar, c.key.namespace.as_deref(), &c.key.name, c.uid(), dry_run).await)
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
        let failed = done.iter().any(|(_, r)| r.is_err());
        results.extend(done);
        if failed {
            break;
        }
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(id: &str, annotations: Value) -> Value {
        json!({"metadata": {"name": "x", "labels": {LABEL_APPLYSET_PART_OF: id}, "annotations": annotations}})
    }

    #[test]
    fn only_our_label_is_ever_deleted() {
        let reason =
            guard("", "ConfigMap", &obj("applyset-other-v1", json!({})), "applyset-ours-v1", true).expect("kept");
        assert!(reason.contains("does not carry this platform's ApplySet label"));
        assert!(guard("", "ConfigMap", &json!({"metadata": {"name": "x"}}), "applyset-ours-v1", true).is_some());
        assert!(guard("", "ResourceQuota", &obj("applyset-ours-v1", json!({})), "applyset-ours-v1", false).is_none());
    }

    #[test]
    fn data_bearing_kinds_need_allow_data_loss() {
        let o = obj("id", json!({}));
        for (g, k) in [("kafka.strimzi.io", "KafkaTopic"), ("", "PersistentVolumeClaim"), ("", "Namespace")] {
            let why = guard(g, k, &o, "id", false).expect("kept");
            assert!(why.contains("--allow-data-loss"), "{why}");
            assert!(guard(g, k, &o, "id", true).is_none());
        }
    }

    #[test]
    fn prune_disabled_annotation_keeps_even_with_allow_data_loss() {
        let o = obj("id", json!({ANNOTATION_PRUNE: "disabled"}));
        assert_eq!(
            guard("", "ResourceQuota", &o, "id", true).as_deref(),
            Some("annotated `strata.dev/prune: disabled`")
        );
    }

    #[test]
    fn stages_order_deletes() {
        assert_eq!(stage_of("", false), Stage::Cluster);
        assert_eq!(stage_of("scheduling.k8s.io", false), Stage::Cluster);
        assert_eq!(stage_of("", true), Stage::Tenancy);
        assert_eq!(stage_of("networking.k8s.io", true), Stage::Tenancy);
        assert_eq!(stage_of("rbac.authorization.k8s.io", true), Stage::Tenancy);
        assert_eq!(stage_of("kafka.strimzi.io", true), Stage::Workloads);
        assert_eq!(stage_of("sparkoperator.k8s.io", true), Stage::Workloads);
        assert_eq!(stage_of("flink.apache.org", true), Stage::Workloads);
    }
}
