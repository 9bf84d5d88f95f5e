//! `strata plan`: what `apply --prune` would do, without doing it. Every object that `apply` would send
//! goes through a server-side dry run (so admission, defaults and CRD schemas are the server's), the
//! result is diffed against the live object with bookkeeping stripped and Secret values masked, and the
//! prune preview lists what would be deleted and what a guard would keep. Nothing is written: no lock,
//! no parent.
//!
//! An object that `apply` would skip ([`decide`](crate::reconcile::apply::decide) says the live object already holds what strata would
//! send, applied by strata) is reported unchanged without a request: `apply` would not send it either,
//! so a dry run could not show anything `apply` would do. This is what makes `plan` on an unchanged
//! platform as cheap as a no-op `apply`, instead of one dry run per object.

use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;

use crate::domain;
use crate::manifest::ManifestSet;
use crate::model::DriftPolicy;
use crate::model::Platform;
use crate::reconcile::apply::{
    ApplyOptions, Decision, Progress, candidate_report, failure_detail, immutable_detail, is_immutable,
    namespaces_to_create, object_report, prepare, send,
};
use crate::reconcile::error::ReconcileError;
use crate::reconcile::normalize::{for_diff, yaml_diff};
use crate::reconcile::report::{Action, Report};
use crate::reconcile::shared::Shared;
use crate::reconcile::{Kube, exit_of};

/// Runs `strata plan`. Uses `force_conflicts`, `allow_data_loss` and `concurrency` of `opts`.
pub async fn plan(
    kube: Arc<Kube>,
    p: &Platform,
    set: &ManifestSet,
    opts: &ApplyOptions,
    progress: &dyn Progress,
) -> Result<Report, ReconcileError> {
    let started = Instant::now();
    progress.phase(&format!("reading the cluster ({} objects in the spec)", set.len()));
    let prepared = prepare(&kube, p, set, opts.concurrency.max(1)).await?;
    let absent = namespaces_to_create(&prepared);
    let total = prepared.desired.len();
    let skip: Vec<bool> = prepared.decisions().into_iter().map(|d| d == Decision::Skip).collect();
    let sent = skip.iter().filter(|s| !**s).count();
    progress.phase(&format!(
        "server-side dry run of {sent} object(s); {} unchanged since strata applied them",
        total - sent
    ));
    let skip = &skip;
    let prepared_ref = &prepared;
    let absent_ref = &absent;
    let kube_ref = &kube;
    let mut results: Vec<(usize, crate::reconcile::ObjectReport)> = futures::stream::iter(0..total)
        .map(|i| async move {
            let d = &prepared_ref.desired[i];
            let live = prepared_ref.live_of(d);
            let mut r = object_report(&d.manifest, Action::Unchanged);
            match prepared_ref.shared.get(&i) {
                Some(Shared::Identical { owner }) => {
                    r.detail = Some(format!("shared with {owner}, which applied it; identical, left as it is"));
                    return (i, r);
                }
                Some(Shared::Differs { owner }) => {
                    r.action = Action::Failed;
                    r.detail = Some(format!(
                        "{owner} applied this cluster-scoped object and still uses it, with other content; apply \
                         would not take it over"
                    ));
                    return (i, r);
                }
                _ => {}
            }
            if skip[i] {
                return (i, r);
            }
            match send(kube_ref, d, opts.force_conflicts, true, absent_ref).await {
                Ok(out) => {
                    let before = live.map(for_diff);
                    let after = for_diff(&out);
                    let title = r.key();
                    r.diff = yaml_diff(&title, before.as_ref(), Some(&after));
                    r.action = match (live, &r.diff) {
                        (None, _) => Action::Created,
                        (Some(_), Some(_)) => Action::Configured,
                        (Some(_), None) => Action::Unchanged,
                    };
                    if live.is_none() && d.key.namespace.as_ref().is_some_and(|n| absent_ref.contains(n)) {
                        r.detail =
                            Some("validated in namespace `default`: its namespace is created by this apply".into());
                    }
                }
                Err(f) if is_immutable(&f) && opts.recreate && live.is_some() => {
                    let (g, k) = (d.resource.ar.group.as_str(), d.resource.ar.kind.as_str());
                    if domain::data_loss(g, k).is_some() && !opts.allow_data_loss {
                        r.action = Action::Failed;
                        r.detail = Some(immutable_detail(&f, g, k, true, false));
                        r.error = Some(f);
                    } else {
                        r.action = Action::Configured;
                        r.detail = Some("would be recreated by apply --recreate (an immutable field changed)".into());
                    }
                }
                Err(f) if f.is_conflict() && !f.conflicts.is_empty() && prepared_ref.drift != DriftPolicy::Fail => {
                    let fields: Vec<String> =
                        f.conflicts.iter().map(|c| format!("{} (changed by `{}`)", c.field, c.manager)).collect();
                    let fields = fields.join(", ");
                    if prepared_ref.drift == DriftPolicy::Correct {
                        r.action = Action::Configured;
                        r.detail = Some(format!("apply would take back {fields} (drift \"correct\")"));
                    } else {
                        r.action = Action::Drifted;
                        r.detail = Some(format!("drift: {fields}; apply leaves it as it is (drift \"report\")"));
                    }
                }
                Err(f) => {
                    r.action = Action::Failed;
                    r.detail = Some(if is_immutable(&f) {
                        immutable_detail(
                            &f,
                            &d.resource.ar.group,
                            &d.resource.ar.kind,
                            opts.recreate,
                            opts.allow_data_loss,
                        )
                    } else {
                        failure_detail(&f, opts.force_conflicts)
                    });
                    r.error = Some(f);
                }
            }
            (i, r)
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;
    results.sort_by_key(|(i, _)| *i);
    let mut objects: Vec<_> = results.into_iter().map(|(_, r)| r).collect();
    for (n, r) in objects.iter().enumerate() {
        progress.object(r, n + 1, total);
    }
    let (candidates, refused) = prepared.prune_candidates(&kube, opts).await?;
    for c in candidates {
        let r = match &c.kept {
            Some(why) => candidate_report(&c, Action::Kept, Some(why.clone())),
            None if c.terminating() => candidate_report(&c, Action::Pruned, Some("already being deleted".into())),
            None => {
                let mut r = candidate_report(&c, Action::Pruned, Some("would be deleted by apply --prune".into()));
                r.diff = yaml_diff(&r.key(), Some(&for_diff(&c.live)), None);
                r
            }
        };
        objects.push(r);
    }
    let failures = objects.iter().filter(|o| o.action == Action::Failed).count();
    Ok(Report {
        platform: prepared.platform.clone(),
        context: kube.context.clone(),
        server: kube.server.clone(),
        dry_run: true,
        summary: Report::summarize(&objects),
        objects,
        prune: if failures > 0 {
            format!("preview only; apply --prune would skip it: {failures} object(s) would fail")
        } else if let Some(why) = &refused {
            format!("preview: apply --prune would refuse it: {why}; rerun with --allow-mass-prune if that is intended")
        } else {
            "preview".to_string()
        },
        prune_refused: refused,
        not_ready: 0,
        requests: kube.counts(),
        elapsed_ms: started.elapsed().as_millis(),
    })
}

/// Exit code of a plan: 3 when any object would fail, 1 when anything would change, else 0.
pub fn exit_code(r: &Report) -> i32 {
    exit_of(r, true)
}
