//! Cluster-scoped objects two platforms share (a stdlib PriorityClass `batch` that both specs use).
//! Such an object can carry only one ApplySet label, so without a rule two platforms flip it on every
//! apply, and one platform's prune deletes a class the other still uses.
//!
//! The rule (adopt-if-identical, never prune while another inventory lists it):
//! - the platform that applied it first owns it (its label stays);
//! - another platform whose spec produces the same object leaves it alone when the live copy already
//!   holds everything it would send ([`Shared::Identical`]), and refuses it when it differs
//!   ([`Shared::Differs`]): two specs disagreeing on a cluster-wide object is a conflict to resolve,
//!   not to overwrite;
//! - each platform lists the shareable cluster-scoped objects its spec uses in its ApplySet parent
//!   (`strata.dev/cluster-objects`); the owner's prune keeps an object another parent lists
//!   ([`keep_used_elsewhere`]), and once the owner no longer lists it, the next platform that uses it
//!   adopts it ([`Shared::Adopt`]).
//!
//! Per-platform names were the alternative; they would change the class name every pod refers to, so
//! two platforms could not share the cluster's `batch` class at all.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::manifest::{ANNOTATION_SOURCE, ApplySetRef, LABEL_APPLYSET_PART_OF, LABEL_PART_OF};
use crate::reconcile::apply::Desired;
use crate::reconcile::error::ReconcileError;
use crate::reconcile::inventory::{self, LiveSet, OtherSet, cluster_object_key, shareable};
use crate::reconcile::normalize::object_contains;
use crate::reconcile::prune::Candidate;
use crate::reconcile::{ANNOTATION_APPLIED_HASH, Kube};

/// A desired cluster-scoped object that carries another platform's ApplySet label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shared {
    /// The owner still uses it and the live copy holds what this platform would send: not sent.
    Identical { owner: String },
    /// The owner still uses it, with other content: not sent, reported failed.
    Differs { owner: String },
    /// The owner's inventory no longer lists it (or the owner is gone): applied, so it joins this set.
    Adopt { from: String },
}

impl Shared {
    /// Is the object left to its owner (not sent)?
    pub fn leaves_alone(&self) -> bool {
        !matches!(self, Shared::Adopt { .. })
    }
}

fn label<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.pointer(&format!("/metadata/labels/{}", key.replace('/', "~1"))).and_then(Value::as_str)
}

/// The object as another platform would have sent it: without this platform's set label, platform
/// label, applied hash and source line (each platform's spec has its own).
fn without_identity(body: &Value) -> Value {
    let mut b = body.clone();
    if let Some(l) = b.pointer_mut("/metadata/labels").and_then(Value::as_object_mut) {
        l.remove(LABEL_APPLYSET_PART_OF);
        l.remove(LABEL_PART_OF);
    }
    if let Some(a) = b.pointer_mut("/metadata/annotations").and_then(Value::as_object_mut) {
        a.remove(ANNOTATION_APPLIED_HASH);
        a.remove(ANNOTATION_SOURCE);
    }
    b
}

fn describe(set: &OtherSet) -> String {
    format!("platform `{}` (inventory {})", set.platform, set.parent)
}

/// Classifies the desired shareable objects that are not members of this set: one GET each (only for
/// those not found by the member LIST, so an unchanged platform pays nothing), and one LIST of the
/// other parents when one of them carries another set's label.
pub async fn classify(
    kube: &Kube,
    aset: &ApplySetRef,
    desired: &[Desired],
    live: &LiveSet,
) -> Result<BTreeMap<usize, Shared>, ReconcileError> {
    let mut out = BTreeMap::new();
    let mut others: Option<Vec<OtherSet>> = None;
    for (i, d) in desired.iter().enumerate() {
        if !shareable(&d.resource.ar.group, &d.resource.ar.kind, d.resource.namespaced)
            || live.objects.contains_key(&d.key)
        {
            continue;
        }
        let found = kube.get(&d.resource.ar, None, &d.key.name).await.map_err(|f| {
            ReconcileError::api(format!("reading {}", d.manifest.key()), "get", &d.resource.ar.plural, None, f)
        })?;
        let Some(obj) = found else { continue };
        let Some(id) = label(&obj, LABEL_APPLYSET_PART_OF).filter(|l| !l.is_empty() && *l != aset.id) else {
            continue;
        };
        if others.is_none() {
            others = Some(inventory::other_sets(kube, aset).await?);
        }
        let key = cluster_object_key(d.key.group_kind(), &d.key.name);
        let owner = others.as_ref().and_then(|o| o.iter().find(|s| s.id == id));
        let verdict = match owner {
            Some(set) if set.cluster_objects.contains(&key) => {
                if object_contains(&obj, &without_identity(&d.body)) {
                    Shared::Identical { owner: describe(set) }
                } else {
                    Shared::Differs { owner: describe(set) }
                }
            }
            Some(set) => Shared::Adopt { from: describe(set) },
            None => Shared::Adopt { from: format!("ApplySet {id}, whose inventory no longer exists") },
        };
        out.insert(i, verdict);
    }
    Ok(out)
}

/// Keeps every shareable candidate another platform's inventory still lists.
pub async fn keep_used_elsewhere(
    kube: &Kube,
    aset: &ApplySetRef,
    candidates: &mut [Candidate],
) -> Result<(), ReconcileError> {
    let shareable_deletions: Vec<usize> = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.kept.is_none()
                && !c.terminating()
                && shareable(&c.resource.ar.group, &c.resource.ar.kind, c.resource.namespaced)
        })
        .map(|(i, _)| i)
        .collect();
    if shareable_deletions.is_empty() {
        return Ok(());
    }
    let others = inventory::other_sets(kube, aset).await?;
    for i in shareable_deletions {
        let c = &mut candidates[i];
        let key = cluster_object_key(c.key.group_kind(), &c.key.name);
        let users: Vec<String> = others.iter().filter(|s| s.cluster_objects.contains(&key)).map(describe).collect();
        if !users.is_empty() {
            c.kept =
                Some(format!("{} still uses it; it passes to that platform at its next apply", users.join(" and ")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identity_labels_and_hash_are_ignored_when_comparing_with_the_owners_copy() {
        let ours = json!({"metadata": {"name": "batch",
            "labels": {LABEL_APPLYSET_PART_OF: "applyset-b-v1", LABEL_PART_OF: "b", "x": "1"},
            "annotations": {ANNOTATION_APPLIED_HASH: "h-b"}}, "value": 1000});
        let theirs = json!({"metadata": {"name": "batch",
            "labels": {LABEL_APPLYSET_PART_OF: "applyset-a-v1", LABEL_PART_OF: "a", "x": "1"},
            "annotations": {ANNOTATION_APPLIED_HASH: "h-a"}}, "value": 1000});
        assert!(object_contains(&theirs, &without_identity(&ours)));
        let mut other = theirs.clone();
        other["value"] = json!(10);
        assert!(!object_contains(&other, &without_identity(&ours)));
        assert!(Shared::Identical { owner: "a".into() }.leaves_alone());
        assert!(!Shared::Adopt { from: "a".into() }.leaves_alone());
    }
}
