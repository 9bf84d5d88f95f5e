//! Pruning: deleting members of the platform's ApplySet that the spec no longer produces, behind guards
//! that make data loss a deliberate act. A candidate is only ever an object that carries this platform's
//! ApplySet label (found by [`inventory::list_members`](super::inventory::list_members)) and that
//! strata's field manager applied (a label alone can be copied by anyone); from those, [`guard`] keeps
//! data-bearing kinds (the [domain registry](crate::domain) says which) without `--allow-data-loss` and
//! anything annotated `strata.dev/prune: disabled`,
//! [`keep_guards_of_kept_namespaces`] keeps the quota, limits and network policy of a namespace that is
//! kept, and [`mass_prune`] refuses a prune that would empty most of the set at once. Deletes run stage
//! by stage in reverse apply order (workloads first, namespaces last; [`domain::stage_of`]), each guarded
//! by the uid strata listed.

use std::collections::BTreeMap;

use futures::StreamExt;
use serde_json::Value;

use crate::domain;
use crate::manifest::{LABEL_APPLYSET_PART_OF, ObjectRef, Stage};
use crate::reconcile::discovery::Resource;
use crate::reconcile::error::ApiFailure;
use crate::reconcile::normalize::applied_by;
use crate::reconcile::{ANNOTATION_PRUNE, FIELD_MANAGER, Kube};

/// Why a candidate is kept, or `None` when it may be deleted.
pub fn guard(group: &str, kind: &str, live: &Value, applyset_id: &str, allow_data_loss: bool) -> Option<String> {
    let label = live
        .pointer(&format!("/metadata/labels/{}", LABEL_APPLYSET_PART_OF.replace('/', "~1")))
        .and_then(Value::as_str);
    if label != Some(applyset_id) {
        return Some("it does not carry this platform's ApplySet label; strata deletes only its own objects".into());
    }
    // The label is only a claim: anyone can copy it onto an object (kubectl, a Helm chart, a copied
    // manifest). Only an Apply entry of strata's field manager shows strata created or adopted it
    // (Tanka and kluctl check the manager before deleting for the same reason).
    if !applied_by(live, FIELD_MANAGER) {
        return Some(format!(
            "it carries this platform's ApplySet label, but field manager `{FIELD_MANAGER}` never applied it \
             (someone else created it); strata deletes only objects it applied"
        ));
    }
    let annotation =
        live.pointer(&format!("/metadata/annotations/{}", ANNOTATION_PRUNE.replace('/', "~1"))).and_then(Value::as_str);
    if annotation == Some("disabled") {
        return Some(format!("annotated `{ANNOTATION_PRUNE}: disabled`"));
    }
    if !allow_data_loss && let Some(why) = domain::data_loss_of(group, kind, live) {
        return Some(format!("{why}; rerun with --allow-data-loss to delete it"));
    }
    None
}

/// A kept Namespace keeps its guard objects: pruning a removed tenant's quota, limits and network
/// policy while its namespace (and the workloads in it) stays would leave an unprotected, unlimited
/// namespace behind. They go with the namespace when it is deleted (`--allow-data-loss`).
pub fn keep_guards_of_kept_namespaces(candidates: &mut [Candidate]) {
    let kept: BTreeMap<String, ()> = candidates
        .iter()
        .filter(|c| c.kept.is_some() && c.resource.ar.group.is_empty() && c.resource.ar.kind == "Namespace")
        .map(|c| (c.key.name.clone(), ()))
        .collect();
    for c in candidates.iter_mut().filter(|c| c.kept.is_none()) {
        let guard = domain::guards_namespace(&c.resource.ar.group, &c.resource.ar.kind);
        if let Some(ns) = c.key.namespace.as_deref().filter(|ns| guard && kept.contains_key(*ns)) {
            c.kept = Some(format!(
                "its namespace `{ns}` is kept, and a kept namespace keeps its quota, limits and network policy; \
                 it is deleted with the namespace"
            ));
        }
    }
}

/// Flux's and kapp's empty-set guard: a spec that lost most of its objects at once is far more often a
/// broken checkout, a wrong path or a bad include than a real decommissioning. A prune is refused when
/// it would delete more than [`MASS_PRUNE_SHARE_PERCENT`] of the set's members and more than
/// [`MASS_PRUNE_MIN`] objects, or when the spec produces nothing at all; `--allow-mass-prune` overrides.
pub const MASS_PRUNE_SHARE_PERCENT: usize = 50;
pub const MASS_PRUNE_MIN: usize = 5;

/// Why the prune is refused (`None`: it may run). `deletions` excludes kept candidates; `members` is
/// every member of the set on the cluster; `desired` the number of objects the spec produces.
pub fn mass_prune(deletions: usize, members: usize, desired: usize) -> Option<String> {
    if deletions == 0 {
        return None;
    }
    if desired == 0 {
        return Some(format!(
            "the spec produces no objects, so the prune would delete all {deletions} object(s) of the set"
        ));
    }
    if deletions > MASS_PRUNE_MIN && deletions * 100 > members * MASS_PRUNE_SHARE_PERCENT {
        return Some(format!(
            "the prune would delete {deletions} of the set's {members} objects (more than \
             {MASS_PRUNE_SHARE_PERCENT}% and more than {MASS_PRUNE_MIN})"
        ));
    }
    None
}

/// A prune candidate after the guard.
pub struct Candidate {
    pub key: ObjectRef,
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
        json!({"metadata": {"name": "x", "labels": {LABEL_APPLYSET_PART_OF: id}, "annotations": annotations,
               "managedFields": [{"manager": "strata", "operation": "Apply"}]}})
    }

    #[test]
    fn an_object_strata_never_applied_is_kept_even_with_our_label() {
        let mut o = obj("id", json!({}));
        o["metadata"]["managedFields"] = json!([{"manager": "kubectl-create", "operation": "Update"}]);
        let why = guard("", "ConfigMap", &o, "id", true).expect("kept");
        assert!(why.contains("field manager `strata` never applied it"), "{why}");
        // An Update by strata's name is not an apply either.
        o["metadata"]["managedFields"] = json!([{"manager": "strata", "operation": "Update"}]);
        assert!(guard("", "ConfigMap", &o, "id", true).is_some());
    }

    #[test]
    fn kafka_users_and_flink_jobs_are_data_bearing() {
        let o = obj("id", json!({}));
        let kept = |g, k| guard(g, k, &o, "id", false);
        assert!(kept("kafka.strimzi.io", "KafkaUser").unwrap().contains("credentials"));
        assert!(kept("flink.apache.org", "FlinkDeployment").unwrap().contains("savepoint"));
        assert!(kept("flink.apache.org", "FlinkSessionJob").is_some());
        assert!(kept("", "ResourceQuota").is_none());
    }

    #[test]
    fn mass_prune_needs_a_share_and_a_count_or_an_empty_spec() {
        assert!(mass_prune(0, 10, 0).is_none());
        assert!(mass_prune(1, 10, 0).unwrap().contains("produces no objects"));
        assert!(mass_prune(5, 6, 1).is_none(), "five or fewer deletions never trip the share rule");
        assert!(mass_prune(6, 12, 6).is_none(), "exactly half is allowed");
        assert!(mass_prune(7, 12, 5).unwrap().contains("7 of the set's 12"));
    }

    #[test]
    fn only_our_label_is_ever_deleted() {
        let reason =
            guard("", "ConfigMap", &obj("applyset-other-v1", json!({})), "applyset-ours-v1", true).expect("kept");
        assert!(guard("", "ConfigMap", &obj("applyset-ours-v1", json!({})), "applyset-ours-v1", true).is_none());
        assert!(reason.contains("does not carry this platform's ApplySet label"));
        assert!(guard("", "ConfigMap", &json!({"metadata": {"name": "x"}}), "applyset-ours-v1", true).is_some());
        assert!(guard("", "ResourceQuota", &obj("applyset-ours-v1", json!({})), "applyset-ours-v1", false).is_none());
    }

    #[test]
    fn data_bearing_kinds_need_allow_data_loss() {
        let o = obj("id", json!({}));
        for d in domain::data_bearing() {
            let (g, k) = (d.group, d.kind);
            let why = guard(g, k, &o, "id", false).expect("kept");
            assert!(why.contains("--allow-data-loss"), "{why}");
            assert!(guard(g, k, &o, "id", true).is_none());
        }
    }

    #[test]
    fn an_external_secret_loses_data_only_when_it_owns_its_secret() {
        let es = |policy: Option<&str>| {
            let mut o = obj("id", json!({}));
            if let Some(p) = policy {
                o["spec"] = json!({"target": {"creationPolicy": p}});
            }
            guard("external-secrets.io", "ExternalSecret", &o, "id", false)
        };
        assert!(es(None).is_some_and(|why| why.contains("deletes the Secret")));
        assert!(es(Some("Owner")).is_some());
        assert!(es(Some("Orphan")).is_none());
        assert!(es(Some("Merge")).is_none());
    }

    #[test]
    fn prune_disabled_annotation_keeps_even_with_allow_data_loss() {
        let o = obj("id", json!({ANNOTATION_PRUNE: "disabled"}));
        assert_eq!(
            guard("", "ResourceQuota", &o, "id", true).as_deref(),
            Some("annotated `strata.dev/prune: disabled`")
        );
    }
}
