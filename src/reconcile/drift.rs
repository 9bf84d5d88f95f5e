//! `strata drift`: does the cluster still hold what the spec says? Read-only, for a scheduled job that
//! alerts instead of correcting (the detect-without-correct mode of fluxcd/kustomize-controller#1498).
//!
//! It reads like `plan` and sends a server-side dry run (never forced) for every object `apply` would
//! not skip. Each object is then one of:
//! - in sync: `apply` would skip it, or the dry run changes nothing;
//! - `modified`: another field manager changed fields the spec sets (the dry run conflicts), listed
//!   field by field with the manager — a `kubectl edit`, a controller;
//! - `missing`: the spec has it, the cluster does not (deleted by hand, or never applied);
//! - `pending`: the dry run would change it without a conflict: the spec changed since the last apply;
//! - `extra`: a member of the platform's set the spec no longer produces (what `apply --prune` deletes);
//! - `error`: the server refused the dry run (the run exits 3).
//!
//! Values are never printed (only field paths), so a drifted Secret shows nothing of its content.

use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use serde::Serialize;

use crate::exit;
use crate::manifest::ManifestSet;
use crate::model::Platform;
use crate::reconcile::Kube;
use crate::reconcile::apply::{ApplyOptions, Decision, Progress, failure_detail, namespaces_to_create, prepare, send};
use crate::reconcile::client::RequestCounts;
use crate::reconcile::error::{Conflict, ReconcileError};
use crate::reconcile::normalize::for_diff;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DriftState {
    Modified,
    Missing,
    Pending,
    Extra,
    Error,
}

impl DriftState {
    pub fn as_str(self) -> &'static str {
        match self {
            DriftState::Modified => "modified",
            DriftState::Missing => "missing",
            DriftState::Pending => "pending",
            DriftState::Extra => "extra",
            DriftState::Error => "error",
        }
    }
}

/// One object that is not in sync.
#[derive(Debug, Clone, Serialize)]
pub struct DriftItem {
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    pub state: DriftState,
    /// `modified`: the fields another manager changed, with that manager.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Conflict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Spec line that produced it (absent for `extra`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl DriftItem {
    pub fn key(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{ns}/{}", self.kind, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DriftReport {
    pub platform: String,
    pub context: String,
    pub server: String,
    /// Objects of the spec (and of the set) that are in sync.
    pub in_sync: usize,
    /// Objects not in sync (errors excluded).
    pub drifted: usize,
    pub errors: usize,
    pub objects: Vec<DriftItem>,
    pub requests: RequestCounts,
    pub elapsed_ms: u128,
}

impl DriftReport {
    /// 0 in sync, 1 drift, 3 an error.
    pub fn exit_code(&self) -> i32 {
        if self.errors > 0 {
            exit::CLUSTER
        } else if self.drifted > 0 {
            exit::CHANGES
        } else {
            exit::OK
        }
    }
}

/// Runs `strata drift`. Uses `concurrency` of `opts`.
pub async fn drift(
    kube: Arc<Kube>,
    p: &Platform,
    set: &ManifestSet,
    opts: &ApplyOptions,
    progress: &dyn Progress,
) -> Result<DriftReport, ReconcileError> {
    let started = Instant::now();
    progress.phase(&format!("reading the cluster ({} objects in the spec)", set.len()));
    let prepared = prepare(&kube, p, set, opts.concurrency.max(1)).await?;
    let absent = namespaces_to_create(&prepared);
    let decisions = prepared.decisions();
    let (prepared_ref, absent_ref, kube_ref, decisions_ref) = (&prepared, &absent, &kube, &decisions);
    let mut items: Vec<(usize, DriftItem)> = futures::stream::iter(0..prepared.desired.len())
        .map(|i| async move {
            let d = &prepared_ref.desired[i];
            let item = |state, fields, detail: Option<String>| DriftItem {
                api_version: d.manifest.api_version.clone(),
                kind: d.manifest.kind.clone(),
                namespace: d.manifest.namespace.clone(),
                name: d.manifest.name.clone(),
                state,
                fields,
                detail,
                source: (!d.manifest.origin.is_empty()).then(|| d.manifest.origin.clone()),
            };
            if decisions_ref[i] == Decision::Skip {
                return None;
            }
            let Some(live) = prepared_ref.live_of(d) else {
                return Some((i, item(DriftState::Missing, vec![], None)));
            };
            match send(kube_ref, d, false, true, absent_ref).await {
                Ok(out) if for_diff(live) == for_diff(&out) => None,
                Ok(_) => {
                    Some((i, item(DriftState::Pending, vec![], Some("the spec changed since the last apply".into()))))
                }
                Err(f) if f.is_conflict() && !f.conflicts.is_empty() => {
                    Some((i, item(DriftState::Modified, f.conflicts.clone(), None)))
                }
                Err(f) => Some((i, item(DriftState::Error, vec![], Some(failure_detail(&f, false))))),
            }
        })
        .buffer_unordered(opts.concurrency.max(1))
        .filter_map(|x| async move { x })
        .collect()
        .await;
    items.sort_by_key(|(i, _)| *i);
    let mut objects: Vec<DriftItem> = items.into_iter().map(|(_, it)| it).collect();
    for c in prepared.candidates(true) {
        objects.push(DriftItem {
            api_version: c.resource.ar.api_version.clone(),
            kind: c.resource.ar.kind.clone(),
            namespace: c.key.namespace.clone(),
            name: c.key.name.clone(),
            state: DriftState::Extra,
            fields: vec![],
            detail: Some(match &c.kept {
                Some(why) => format!("no longer in the spec; apply --prune keeps it: {why}"),
                None => "no longer in the spec; apply --prune deletes it".into(),
            }),
            source: None,
        });
    }
    let errors = objects.iter().filter(|o| o.state == DriftState::Error).count();
    let drifted = objects.len() - errors;
    Ok(DriftReport {
        platform: prepared.platform.clone(),
        context: kube.context.clone(),
        server: kube.server.clone(),
        in_sync: prepared.desired.len().saturating_sub(objects.iter().filter(|o| o.state != DriftState::Extra).count()),
        drifted,
        errors,
        objects,
        requests: kube.counts(),
        elapsed_ms: started.elapsed().as_millis(),
    })
}

/// The human report: one block per object that is not in sync, then the totals.
pub fn human(r: &DriftReport) -> String {
    let mut out = String::new();
    for o in &r.objects {
        out.push_str(&format!(
            "{:<9} {}{}\n",
            o.state.as_str(),
            o.key(),
            o.source.as_ref().map(|s| format!(" ({s})")).unwrap_or_default()
        ));
        for f in &o.fields {
            out.push_str(&format!("    {} changed by `{}`\n", f.field, f.manager));
        }
        if let Some(d) = &o.detail {
            out.push_str(&format!("    {d}\n"));
        }
    }
    out.push_str(&format!(
        "strata: drift `{}` on context `{}`: {} drifted, {} in sync, {} error(s)\n",
        r.platform, r.context, r.drifted, r.in_sync, r.errors
    ));
    out
}

/// A Markdown report for an issue or a job summary.
pub fn markdown(r: &DriftReport) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = format!("### strata drift: `{}` on `{}`\n\n", r.platform, r.context);
    if r.objects.is_empty() {
        out.push_str(&format!("No drift: {} object(s) in sync.\n", r.in_sync));
        return out;
    }
    out.push_str(&format!("{} drifted, {} in sync, {} error(s).\n\n", r.drifted, r.in_sync, r.errors));
    out.push_str("| State | Object | Fields (changed by) | Detail |\n|---|---|---|---|\n");
    for o in &r.objects {
        let fields: Vec<String> = o.fields.iter().map(|f| format!("`{}` (`{}`)", f.field, f.manager)).collect();
        out.push_str(&format!(
            "| {} | `{}` | {} | {} |\n",
            o.state.as_str(),
            cell(&o.key()),
            cell(&fields.join(", ")),
            cell(o.detail.as_deref().unwrap_or(""))
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(objects: Vec<DriftItem>, errors: usize) -> DriftReport {
        DriftReport {
            platform: "p".into(),
            context: "c".into(),
            server: "s".into(),
            in_sync: 3,
            drifted: objects.len() - errors,
            errors,
            objects,
            requests: RequestCounts::default(),
            elapsed_ms: 0,
        }
    }

    fn quota(state: DriftState) -> DriftItem {
        DriftItem {
            api_version: "v1".into(),
            kind: "ResourceQuota".into(),
            namespace: Some("t".into()),
            name: "q".into(),
            state,
            fields: vec![Conflict { field: ".spec.hard.pods".into(), manager: "kubectl-edit".into() }],
            detail: None,
            source: Some("platform.kdl:4".into()),
        }
    }

    #[test]
    fn exit_codes_and_renderings() {
        assert_eq!(report(vec![], 0).exit_code(), 0);
        let r = report(vec![quota(DriftState::Modified)], 0);
        assert_eq!(r.exit_code(), 1);
        let h = human(&r);
        assert!(
            h.contains("modified  ResourceQuota/t/q (platform.kdl:4)\n    .spec.hard.pods changed by `kubectl-edit`"),
            "{h}"
        );
        let m = markdown(&r);
        assert!(m.contains("| modified | `ResourceQuota/t/q` | `.spec.hard.pods` (`kubectl-edit`) |  |"), "{m}");
        assert_eq!(report(vec![quota(DriftState::Modified), quota(DriftState::Error)], 1).exit_code(), 3);
        assert!(markdown(&report(vec![], 0)).contains("No drift: 3 object(s) in sync."));
    }
}
