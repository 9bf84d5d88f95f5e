//! External secret rules over `external-secrets.io/v1` ExternalSecrets (ESO 2.9.0). Removing one whose
//! creation policy is Owner deletes its Secret (the garbage collector follows the ownerReference ESO set),
//! an error while the head revision still reads that Secret; a creation policy moving to or from Owner
//! changes whether the Secret goes with it (ESO's `applyOwnership` sets or removes the controller
//! reference on the next sync); a removed key disappears from the Secret on the next refresh; and a store
//! change reads every key from another backend.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::crd::eso::{CreationPolicy, ExternalSecret};
use crate::diff::rules::{Context, read, read_both};
use crate::diff::{ChangeKind, Finding, ObjectChange};
use crate::manifest::Manifest;

pub const REMOVED: &str = "strata::diff::external-secret-removed";
pub const OWNERSHIP: &str = "strata::diff::external-secret-ownership";
pub const KEY_REMOVED: &str = "strata::diff::external-secret-key-removed";
pub const STORE_CHANGED: &str = "strata::diff::external-secret-store-changed";

const GROUP: &str = "external-secrets.io";
const KIND: &str = "ExternalSecret";

pub fn check(changes: &[ObjectChange], cx: &Context, out: &mut Vec<Finding>) {
    let mut reads: Option<BTreeMap<(String, String), BTreeSet<String>>> = None;
    for c in changes.iter().filter(|c| c.is(GROUP, KIND)) {
        match c.kind {
            ChangeKind::Removed => {
                let Some(base) = c.base else { continue };
                let Ok(old) = read::<ExternalSecret>(base) else {
                    out.push(crate::diff::rules::unreadable(c, format!("in {}", cx.base.label)));
                    continue;
                };
                if creation(&old) != CreationPolicy::Owner {
                    continue;
                }
                let secret = target(&old).to_string();
                let ns = c.key.namespace.clone().unwrap_or_default();
                let reads = reads.get_or_insert_with(|| secret_reads(&cx.head.manifests.items));
                let readers = reads.get(&(ns.clone(), secret.clone()));
                let why = "the Secret carries ESO's ownerReference (creation-policy Owner), so the garbage collector \
                           deletes it with the ExternalSecret; running pods keep their copy, new and restarted pods fail \
                           to start";
                out.push(match readers {
                    Some(by) => Finding::error(
                        REMOVED,
                        c,
                        format!(
                            "ExternalSecret `{}` is removed and deletes Secret `{secret}`, which is still read by {}",
                            c.key.name,
                            by.iter().cloned().collect::<Vec<_>>().join(", ")
                        ),
                        why,
                    )
                    .help("keep the external-secret while anything reads its Secret, or set creation-policy \"Orphan\" in one change and remove it in the next"),
                    None => Finding::warning(
                        REMOVED,
                        c,
                        format!("ExternalSecret `{}` is removed and deletes Secret `{secret}` with it", c.key.name),
                        why,
                    )
                    .help("make sure nothing outside the spec reads this Secret before merging"),
                });
            }
            ChangeKind::Changed => {
                let Some((old, new)) = read_both::<ExternalSecret>(c, cx, out) else { continue };
                ownership(c, &old, &new, out);
                keys_removed(c, &old, &new, out);
                store_changed(c, &old, &new, out);
            }
            _ => {}
        }
    }
}

fn creation(e: &ExternalSecret) -> CreationPolicy {
    e.spec.target.as_ref().and_then(|t| t.creation_policy).unwrap_or(CreationPolicy::Owner)
}

fn target(e: &ExternalSecret) -> &str {
    e.spec.target.as_ref().and_then(|t| t.name.as_deref()).or(e.metadata.name.as_deref()).unwrap_or_default()
}

fn ownership(c: &ObjectChange, old: &ExternalSecret, new: &ExternalSecret, out: &mut Vec<Finding>) {
    let (o, n) = (creation(old), creation(new));
    if o == n || (o != CreationPolicy::Owner && n != CreationPolicy::Owner) {
        return;
    }
    let secret = target(new);
    let (message, why) = if n == CreationPolicy::Owner {
        (
            format!(
                "ExternalSecret `{}` takes ownership of Secret `{secret}` (creation-policy {o} → Owner)",
                c.key.name
            ),
            "on its next sync ESO sets itself as the Secret's controller: from then on deleting the ExternalSecret \
             deletes the Secret, and a Secret another controller owns makes the sync fail",
        )
    } else {
        (
            format!("ExternalSecret `{}` gives up Secret `{secret}` (creation-policy Owner → {n})", c.key.name),
            "on its next sync ESO removes its ownerReference: the Secret, with its credentials, stays in the cluster \
             when the ExternalSecret is deleted, and nothing refreshes or removes it",
        )
    };
    out.push(
        Finding::warning(OWNERSHIP, c, message, why).help("check that this is the lifecycle the Secret should have"),
    );
}

fn keys(e: &ExternalSecret) -> BTreeSet<&str> {
    e.spec.data.iter().flatten().map(|d| d.secret_key.as_str()).collect()
}

fn keys_removed(c: &ObjectChange, old: &ExternalSecret, new: &ExternalSecret, out: &mut Vec<Finding>) {
    let kept = keys(new);
    let gone: Vec<String> = keys(old).into_iter().filter(|k| !kept.contains(k)).map(|k| format!("`{k}`")).collect();
    if gone.is_empty() {
        return;
    }
    out.push(
        Finding::warning(
            KEY_REMOVED,
            c,
            format!("ExternalSecret `{}` drops key {} from Secret `{}`", c.key.name, gone.join(", "), target(new)),
            "ESO rewrites the Secret with the declared keys on its next refresh: a pod strata does not know of that \
             reads a dropped key fails to start (the spec's own workloads are checked)",
        )
        .help("make sure nothing outside the spec reads these keys before merging"),
    );
}

fn store_changed(c: &ObjectChange, old: &ExternalSecret, new: &ExternalSecret, out: &mut Vec<Finding>) {
    let store = |e: &ExternalSecret| {
        e.spec.secret_store_ref.as_ref().map_or_else(String::new, |r| {
            format!("{} `{}`", r.kind.map_or("SecretStore", |k| k.as_str()), r.name.as_deref().unwrap_or_default())
        })
    };
    let (o, n) = (store(old), store(new));
    if o == n {
        return;
    }
    out.push(
        Finding::warning(
            STORE_CHANGED,
            c,
            format!("ExternalSecret `{}` reads from {n} instead of {o}", c.key.name),
            "every key is fetched again from the other store: a remote key missing there, or one with another \
             value, changes or stalls the Secret every pod reading it gets",
        )
        .help("check that the new store holds every remote key, with the same values, before merging"),
    );
}

/// Every Secret a head object reads, by (namespace, name), with who reads it (`Deployment payments/api`):
/// `secretKeyRef`s, `imagePullSecrets`, KEDA's `secretTargetRef`s and `secretRef`s.
fn secret_reads(items: &[Manifest]) -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut out: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for m in items {
        let Some(ns) = m.object.pointer("/metadata/namespace").and_then(Value::as_str) else { continue };
        let mut names = BTreeSet::new();
        collect(&m.object, &mut names);
        let who =
            format!("{} {}/{}", m.kind, ns, m.object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or(""));
        for n in names {
            out.entry((ns.to_string(), n)).or_default().insert(who.clone());
        }
    }
    out
}

fn collect(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let name = |x: &Value| x.get("name").and_then(Value::as_str).map(str::to_string);
                match (k.as_str(), child) {
                    ("secretKeyRef" | "secretRef", c) => out.extend(name(c)),
                    ("imagePullSecrets" | "secretTargetRef", Value::Array(items)) => {
                        out.extend(items.iter().filter_map(name));
                    }
                    _ => collect(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
        _ => {}
    }
}
