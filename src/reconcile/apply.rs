//! Staged server-side apply. The run, in order:
//!
//! 1. read the ApplySet parent and discover the kinds the spec and the record need; a missing CRD stops
//!    the run here, before any write;
//! 2. LIST the set's members once per kind (per kind and namespace when the identity may not list across
//!    namespaces) and decide per object whether it needs an apply
//!    ([`decide`]); when nothing does (and nothing needs pruning or recording), the run ends with zero
//!    writes — no lock, no parent update;
//! 3. otherwise take the platform's Lease, list again (the first read was unlocked), widen the parent's
//!    record, and apply stage by stage (namespaces and cluster classes, then tenancy, then custom
//!    resources), `concurrency` objects at a time; a failed object does not stop its stage;
//! 4. prune (only when every apply succeeded), narrow the record, release the lock, then `--wait`.
//!
//! The lease is re-read before every stage and before the prune ([`lock::LockGuard::ensure_held`]): a
//! run that lost it stops before writing again. It is released on every error after it was taken.
//!
//! A conflict with another field manager is drift: the platform's `drift` policy decides whether it
//! fails the object (the default), is taken back (`correct`: a forced apply of the spec's own fields)
//! or only reported (`report`). A change the server refuses because a field is immutable is recreated
//! (delete, then apply) only with `--recreate`, and for data-bearing kinds only with
//! `--allow-data-loss` too.
//!
//! # Why a skipped apply is safe ([`decide`])
//!
//! An object is skipped only when all three hold: the live object carries `strata.dev/applied-hash`
//! equal to the sha256 of what strata would send now (so the spec did not change since the last apply,
//! which is what releases fields that were removed from the spec); every field strata sends is present
//! in the live object with the same value (so nobody edited a field strata owns since); and field
//! manager `strata` holds an Apply entry in managedFields (so the object was applied by strata, not
//! created by someone else with our labels). An edit by another manager to a field strata sets fails the
//! second test and the object is applied again (a conflict then, reported as such). A server-side
//! normalisation strata does not predict (e.g. a quantity written `1024Mi` stored as `1Gi`) fails the
//! second test too: the apply is then sent, the server finds nothing to change and the resourceVersion
//! stays, so the object is still reported `unchanged` — correct, at the price of one request.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::Value;

use crate::domain;
use crate::manifest::{ApplySetRef, Manifest, ManifestSet, ObjectRef, Stage};
use crate::model::{DriftPolicy, Platform};
use crate::reconcile::discovery::{self, Catalog, Resource};
use crate::reconcile::error::{ApiFailure, ReconcileError};
use crate::reconcile::inventory::{self, LiveSet, Record};
use crate::reconcile::normalize::{applied_by, object_contains, with_hash};
use crate::reconcile::prune::{self, Candidate};
use crate::reconcile::report::{Action, ObjectReport, Report, WaitOutcome};
use crate::reconcile::shared::{self, Shared};
use crate::reconcile::{ANNOTATION_APPLIED_HASH, FIELD_MANAGER, Kube, lock, wait};

/// Flags of `strata apply`.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub prune: bool,
    pub dry_run: bool,
    pub force_conflicts: bool,
    pub allow_data_loss: bool,
    /// `--wait` with its timeout.
    pub wait: Option<Duration>,
    pub concurrency: usize,
    /// How long to wait for another apply's lock (zero: fail fast).
    pub lock_timeout: Duration,
    pub lease_duration: Duration,
    /// `--allow-mass-prune`: lift the empty-set guard ([`prune::mass_prune`]).
    pub allow_mass_prune: bool,
    /// `--recreate`: delete and re-apply an object whose change the server refuses as immutable.
    pub recreate: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            prune: false,
            dry_run: false,
            force_conflicts: false,
            allow_data_loss: false,
            wait: None,
            concurrency: 8,
            lock_timeout: Duration::ZERO,
            lease_duration: lock::DEFAULT_LEASE_DURATION,
            allow_mass_prune: false,
            recreate: false,
        }
    }
}

/// Where progress goes: the CLI prints lines or a bar; tests collect nothing.
pub trait Progress: Send + Sync {
    fn phase(&self, message: &str);
    fn object(&self, report: &ObjectReport, done: usize, total: usize);
}

/// Progress that goes nowhere.
pub struct Silent;
impl Progress for Silent {
    fn phase(&self, _: &str) {}
    fn object(&self, _: &ObjectReport, _: usize, _: usize) {}
}

/// Whether an object needs an apply (see the module docs for why `Skip` is safe).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Create,
    Apply,
    Skip,
}

/// `body` is the object as strata sends it (with its applied-hash annotation).
pub fn decide(body: &Value, live: Option<&Value>) -> Decision {
    let Some(live) = live else { return Decision::Create };
    let want = body.pointer(&format!("/metadata/annotations/{}", ANNOTATION_APPLIED_HASH.replace('/', "~1")));
    let have = live.pointer(&format!("/metadata/annotations/{}", ANNOTATION_APPLIED_HASH.replace('/', "~1")));
    if want.is_some() && want == have && object_contains(live, body) && applied_by(live, FIELD_MANAGER) {
        Decision::Skip
    } else {
        Decision::Apply
    }
}

/// Everything read before deciding: shared by `apply` and `plan`.
pub struct Prepared {
    pub aset: ApplySetRef,
    pub platform: String,
    pub catalog: Catalog,
    /// What the parent records now (`None`: no parent yet).
    pub recorded: Option<Record>,
    pub desired_record: Record,
    pub desired: Vec<Desired>,
    pub live: LiveSet,
    /// Desired cluster-scoped objects another platform's set holds (by index into `desired`).
    pub shared: BTreeMap<usize, Shared>,
    pub drift: DriftPolicy,
}

/// One object of the spec, ready to send.
pub struct Desired {
    pub manifest: Manifest,
    pub resource: Resource,
    pub key: ObjectRef,
    pub body: Value,
}

impl Prepared {
    pub fn live_of(&self, d: &Desired) -> Option<&Value> {
        self.live.objects.get(&d.key).map(|(_, v)| v)
    }

    /// Members on the cluster the spec no longer produces, with the guards' verdicts that need no
    /// request (see [`Prepared::prune_candidates`] for all of them).
    pub fn candidates(&self, allow_data_loss: bool) -> Vec<Candidate> {
        let wanted: BTreeSet<&ObjectRef> = self.desired.iter().map(|d| &d.key).collect();
        let mut out: Vec<Candidate> = self
            .live
            .objects
            .iter()
            .filter(|(k, _)| !wanted.contains(k))
            .map(|(k, (res, live))| Candidate {
                key: k.clone(),
                resource: res.clone(),
                live: live.clone(),
                stage: domain::stage_of(&res.ar.group, &res.ar.kind, res.namespaced),
                kept: prune::guard(&res.ar.group, &res.ar.kind, live, &self.aset.id, allow_data_loss)
                    .or_else(|| self.unrecorded(k)),
            })
            .collect();
        prune::keep_guards_of_kept_namespaces(&mut out);
        out
    }

    /// Prune deletes only what the inventory recorded: an object whose kind or namespace the parent
    /// never named was not put there by an apply of this platform (the record is widened before every
    /// apply), whatever its label says.
    fn unrecorded(&self, k: &ObjectRef) -> Option<String> {
        let record = self.recorded.as_ref();
        let parent = format!("{}/{}", self.aset.parent_namespace, self.aset.parent_name);
        if !record.is_some_and(|r| r.group_kinds.contains(&k.group_kind().to_string())) {
            return Some(format!(
                "the inventory ({parent}) never recorded its kind; strata deletes only what it recorded"
            ));
        }
        match &k.namespace {
            Some(ns) if *ns != self.aset.parent_namespace && !record.is_some_and(|r| r.namespaces.contains(ns)) => {
                Some(format!(
                    "the inventory ({parent}) never recorded its namespace; strata deletes only what it recorded"
                ))
            }
            _ => None,
        }
    }

    /// Every guard's verdict: [`candidates`](Self::candidates), then cluster-scoped objects another
    /// platform still uses, then the empty-set guard. Returns the candidates and, when the empty-set
    /// guard refused the prune, why.
    pub async fn prune_candidates(
        &self,
        kube: &Kube,
        opts: &ApplyOptions,
    ) -> Result<(Vec<Candidate>, Option<String>), ReconcileError> {
        let mut candidates = self.candidates(opts.allow_data_loss);
        shared::keep_used_elsewhere(kube, &self.aset, &mut candidates).await?;
        let deletions = candidates.iter().filter(|c| c.kept.is_none() && !c.terminating()).count();
        let refused = if opts.allow_mass_prune {
            None
        } else {
            prune::mass_prune(deletions, self.live.objects.len(), self.desired.len())
        };
        if let Some(why) = &refused {
            for c in candidates.iter_mut().filter(|c| c.kept.is_none() && !c.terminating()) {
                c.kept = Some(format!("not pruned: {why}; rerun with --allow-mass-prune if that is intended"));
            }
        }
        Ok((candidates, refused))
    }

    /// The record after a successful prune: the spec's kinds and namespaces plus those of every object a
    /// guard kept, so kept objects stay findable by later runs.
    pub fn narrowed(&self, candidates: &[Candidate]) -> Record {
        let mut keep = self.desired_record.clone();
        // Kinds the cluster stopped serving (an operator uninstalled) could not be listed: keep them and
        // their possible namespaces recorded, so their objects are found once the CRDs are back.
        if !self.live.unserved.is_empty() {
            keep.group_kinds.extend(self.live.unserved.iter().cloned());
            if let Some(r) = &self.recorded {
                keep.namespaces.extend(r.namespaces.iter().cloned());
            }
        }
        // A kept shared object stays findable (its kind stays recorded) but is no longer claimed in
        // `cluster_objects`: the platform that still uses it adopts it at its next apply.
        // Objects kept because strata never applied or never recorded them stay out of the record:
        // recording them would make them look like members to a later run.
        for c in candidates
            .iter()
            .filter(|c| c.kept.is_some() && self.unrecorded(&c.key).is_none() && applied_by(&c.live, FIELD_MANAGER))
        {
            keep.group_kinds.insert(c.key.group_kind().to_string());
            if let Some(ns) = &c.key.namespace
                && *ns != self.aset.parent_namespace
            {
                keep.namespaces.insert(ns.clone());
            }
        }
        keep
    }

    /// Re-reads the members (after taking the lock: the first read was not protected by it).
    pub async fn relist(&mut self, kube: &Kube, concurrency: usize) -> Result<(), ReconcileError> {
        let union = self.recorded.clone().unwrap_or_default().union(&self.desired_record);
        self.live = inventory::list_members(kube, &self.catalog, &self.aset, &union, concurrency).await?;
        self.shared = shared::classify(kube, &self.aset, &self.desired, &self.live).await?;
        Ok(())
    }

    /// The decision per desired object: a shared object another platform owns is never sent.
    pub fn decisions(&self) -> Vec<Decision> {
        self.desired
            .iter()
            .enumerate()
            .map(|(i, d)| {
                if self.shared.get(&i).is_some_and(Shared::leaves_alone) {
                    Decision::Skip
                } else {
                    decide(&d.body, self.live_of(d))
                }
            })
            .collect()
    }
}

/// Reads the parent, discovers kinds (failing on missing CRDs), lists the members.
pub async fn prepare(
    kube: &Kube,
    p: &Platform,
    set: &ManifestSet,
    concurrency: usize,
) -> Result<Prepared, ReconcileError> {
    let aset = crate::manifest::ApplySetRef::of(p);
    let recorded = inventory::read_parent(kube, &aset).await?;
    let desired_record = Record::of(set, &aset.parent_namespace);
    let extra: BTreeSet<String> = recorded.as_ref().map(|r| r.group_kinds.clone()).unwrap_or_default();
    let catalog = discovery::discover(kube, set, &extra).await?;
    let missing = discovery::missing(&catalog, set);
    if !missing.is_empty() {
        return Err(ReconcileError::MissingApis(missing));
    }
    let mut desired = Vec::with_capacity(set.items.len());
    for m in &set.items {
        let Some(resource) = catalog.resolve(&m.api_version, &m.kind).cloned() else { continue };
        let namespace = if resource.namespaced { m.namespace.clone() } else { None };
        let key = ObjectRef::new(m.group_kind(), namespace, m.name.clone());
        desired.push(Desired { body: with_hash(&m.object), manifest: m.clone(), resource, key });
    }
    missing_namespaces(kube, &desired).await?;
    let mut prepared = Prepared {
        platform: p.inventory_name(),
        aset,
        catalog,
        recorded,
        desired_record,
        desired,
        live: LiveSet::default(),
        shared: BTreeMap::new(),
        drift: p.header.as_ref().map(|h| h.drift).unwrap_or_default(),
    };
    prepared.relist(kube, concurrency).await?;
    Ok(prepared)
}

/// Namespaces the spec puts objects in without creating them (e.g. a Kafka cluster's namespace, which
/// belongs to the Strimzi installation the spec refers to) must exist: checked with one GET each, before
/// anything is written, so a run never half-applies and then fails on every object in them.
pub(crate) fn external_namespaces(desired: &[Desired]) -> BTreeMap<String, Vec<String>> {
    let created: BTreeSet<&str> = desired
        .iter()
        .filter(|d| d.manifest.kind == "Namespace" && d.manifest.group().is_empty())
        .map(|d| d.manifest.name.as_str())
        .collect();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in desired {
        if let Some(ns) = d.key.namespace.as_deref().filter(|ns| !created.contains(ns)) {
            out.entry(ns.to_string()).or_default().push(d.manifest.key());
        }
    }
    out
}

async fn missing_namespaces(kube: &Kube, desired: &[Desired]) -> Result<(), ReconcileError> {
    let external = external_namespaces(desired);
    let ar = inventory::namespace_resource();
    let checks: Vec<_> = futures::stream::iter(external)
        .map(|(ns, objects)| {
            let ar = &ar;
            async move { (kube.get(ar, None, &ns).await, ns, objects) }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut missing = Vec::new();
    for (r, ns, objects) in checks {
        match r {
            Ok(Some(_)) => {}
            Ok(None) => missing.push((ns, objects)),
            Err(f) => return Err(ReconcileError::api(format!("reading namespace {ns}"), "get", "namespaces", None, f)),
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    missing.sort();
    Err(ReconcileError::MissingNamespaces(missing))
}

pub(crate) fn object_report(m: &Manifest, action: Action) -> ObjectReport {
    ObjectReport {
        api_version: m.api_version.clone(),
        kind: m.kind.clone(),
        namespace: m.namespace.clone(),
        name: m.name.clone(),
        stage: m.stage,
        action,
        detail: None,
        error: None,
        source: (!m.origin.is_empty()).then(|| m.origin.clone()),
        wait: None,
        diff: None,
    }
}

pub(crate) fn candidate_report(c: &Candidate, action: Action, detail: Option<String>) -> ObjectReport {
    ObjectReport {
        api_version: c.resource.ar.api_version.clone(),
        kind: c.resource.ar.kind.clone(),
        namespace: c.key.namespace.clone(),
        name: c.key.name.clone(),
        stage: c.stage,
        action,
        detail,
        error: None,
        source: None,
        wait: None,
        diff: None,
    }
}

/// Namespaces a dry run cannot use yet: created by this very run. Objects inside them are validated in
/// `default` instead (kluctl's approach), since a server-side dry run needs an existing namespace.
pub(crate) fn namespaces_to_create(prepared: &Prepared) -> BTreeSet<String> {
    prepared
        .desired
        .iter()
        .filter(|d| d.manifest.kind == "Namespace" && d.manifest.group().is_empty() && prepared.live_of(d).is_none())
        .map(|d| d.manifest.name.clone())
        .collect()
}

/// Sends one object. For a dry run into a namespace that does not exist yet, validates it in `default`
/// and maps the result back.
pub(crate) async fn send(
    kube: &Kube,
    d: &Desired,
    force: bool,
    dry_run: bool,
    absent_namespaces: &BTreeSet<String>,
) -> Result<Value, ApiFailure> {
    let ns = d.key.namespace.as_deref();
    match ns {
        Some(n) if dry_run && absent_namespaces.contains(n) => {
            let mut body = d.body.clone();
            body["metadata"]["namespace"] = Value::String("default".into());
            let mut out =
                kube.apply(&d.resource.ar, Some("default"), &d.key.name, &body, FIELD_MANAGER, force, true).await?;
            if let Some(meta) = out.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.insert("namespace".into(), Value::String(n.to_string()));
            }
            Ok(out)
        }
        _ => kube.apply(&d.resource.ar, ns, &d.key.name, &d.body, FIELD_MANAGER, force, dry_run).await,
    }
}

fn rv(v: &Value) -> Option<&str> {
    v.pointer("/metadata/resourceVersion").and_then(Value::as_str)
}

/// Runs `strata apply`.
pub async fn apply(
    kube: Arc<Kube>,
    p: &Platform,
    set: &ManifestSet,
    opts: &ApplyOptions,
    progress: &dyn Progress,
) -> Result<Report, ReconcileError> {
    let started = Instant::now();
    let concurrency = opts.concurrency.max(1);
    progress.phase(&format!("reading the cluster ({} objects in the spec)", set.len()));
    let mut prepared = prepare(&kube, p, set, concurrency).await?;
    let recorded = prepared.recorded.clone().unwrap_or_default();
    let widened = recorded.union(&prepared.desired_record);

    let mut plan = prepared.decisions();
    let candidates = prepared.candidates(opts.allow_data_loss);
    let deletable = candidates.iter().any(|c| c.kept.is_none() && !c.terminating());
    let needs_write = plan.iter().any(|d| *d != Decision::Skip)
        || prepared.recorded.as_ref() != Some(&widened)
        || (opts.prune && (deletable || recorded != prepared.narrowed(&candidates)));

    let mut guard = None;
    if needs_write && !opts.dry_run {
        inventory::ensure_namespace(&kube, &prepared.aset.parent_namespace, &prepared.platform, false).await?;
        progress.phase("taking the platform lock");
        let g = lock::acquire(
            kube.clone(),
            &prepared.aset.parent_namespace,
            &prepared.platform,
            opts.lease_duration,
            opts.lock_timeout,
        )
        .await?;
        // Everything read before the lock may be stale: read the record and the members again. Any
        // error from here on releases the lock first.
        match reread_and_widen(&kube, &mut prepared, concurrency, &g).await {
            Ok(p) => plan = p,
            Err(e) => {
                let _ = g.release().await;
                return Err(e);
            }
        }
        guard = Some(g);
    }

    let result = run_locked(&kube, &prepared, &plan, opts, progress, guard.as_ref()).await;
    let (mut objects, prune_status, refused) = match result {
        Ok(r) => r,
        Err(e) => {
            if let Some(g) = guard {
                let _ = g.release().await;
            }
            return Err(e);
        }
    };
    if let Some(g) = guard
        && let Err(f) = g.release().await
    {
        progress.phase(&format!("warning: could not release the lock ({f}); it expires on its own"));
    }

    let mut not_ready = 0;
    if let Some(timeout) = opts.wait
        && !opts.dry_run
    {
        let waitees: Vec<wait::Waitee> = prepared
            .desired
            .iter()
            .enumerate()
            .filter(|(i, d)| {
                matches!(objects[*i].action, Action::Created | Action::Configured | Action::Unchanged)
                    && wait::is_waitable(&d.resource.ar.group, &d.resource.ar.kind)
            })
            .map(|(i, d)| wait::Waitee {
                index: i,
                resource: d.resource.clone(),
                namespace: d.key.namespace.clone(),
                name: d.key.name.clone(),
            })
            .collect();
        if !waitees.is_empty() {
            progress.phase(&format!(
                "waiting up to {} s for {} object(s) to become ready",
                timeout.as_secs(),
                waitees.len()
            ));
            for (i, outcome) in wait::wait_all(&kube, waitees, timeout, concurrency).await {
                if !matches!(outcome, WaitOutcome::Ready(_)) {
                    not_ready += 1;
                }
                objects[i].wait = Some(outcome);
            }
        }
    }

    Ok(Report {
        platform: prepared.platform.clone(),
        context: kube.context.clone(),
        server: kube.server.clone(),
        dry_run: opts.dry_run,
        summary: Report::summarize(&objects),
        objects,
        prune: prune_status,
        prune_refused: refused,
        not_ready,
        requests: kube.counts(),
        elapsed_ms: started.elapsed().as_millis(),
    })
}

/// After taking the lock: read the record and the members again, decide again, widen the record.
async fn reread_and_widen(
    kube: &Kube,
    prepared: &mut Prepared,
    concurrency: usize,
    guard: &lock::LockGuard,
) -> Result<Vec<Decision>, ReconcileError> {
    prepared.recorded = inventory::read_parent(kube, &prepared.aset).await?;
    let widened = prepared.recorded.clone().unwrap_or_default().union(&prepared.desired_record);
    prepared.relist(kube, concurrency).await?;
    let plan = prepared.decisions();
    guard.ensure_held("widening the inventory").await?;
    let fresh = prepared.recorded.clone();
    inventory::write_parent(kube, &prepared.aset, &prepared.platform, fresh.as_ref(), &widened).await?;
    Ok(plan)
}

/// What `run_locked` returns: per-object reports, the prune status, and why the empty-set guard refused
/// the prune (if it did).
type Locked = (Vec<ObjectReport>, String, Option<String>);

/// Stages, prune and record narrowing: the part that runs under the lock.
async fn run_locked(
    kube: &Kube,
    prepared: &Prepared,
    plan: &[Decision],
    opts: &ApplyOptions,
    progress: &dyn Progress,
    guard: Option<&lock::LockGuard>,
) -> Result<Locked, ReconcileError> {
    let total = prepared.desired.len();
    let mut objects: Vec<Option<ObjectReport>> = vec![None; total];
    let unreachable = AtomicBool::new(false);
    let absent = if opts.dry_run { namespaces_to_create(prepared) } else { BTreeSet::new() };
    let mut failed_namespaces: BTreeSet<String> = BTreeSet::new();
    let mut done = 0usize;
    for stage in [Stage::Cluster, Stage::Tenancy, Stage::Workloads] {
        let indices: Vec<usize> = (0..total).filter(|i| prepared.desired[*i].manifest.stage == stage).collect();
        if indices.is_empty() {
            continue;
        }
        if let Some(g) = guard
            && indices.iter().any(|i| plan[*i] != Decision::Skip)
        {
            g.ensure_held(&format!("stage {}", stage_name(stage))).await?;
        }
        progress.phase(&format!("stage {}: {} object(s)", stage_name(stage), indices.len()));
        let failed_ns = &failed_namespaces;
        let absent = &absent;
        let unreachable = &unreachable;
        let mut stream = futures::stream::iter(indices)
            .map(|i| async move {
                let d = &prepared.desired[i];
                let mut r = object_report(&d.manifest, Action::Unchanged);
                match prepared.shared.get(&i) {
                    Some(Shared::Identical { owner }) => {
                        r.detail = Some(format!("shared with {owner}, which applied it; identical, left as it is"));
                        return (i, r);
                    }
                    Some(Shared::Differs { owner }) => {
                        r.action = Action::Failed;
                        r.detail = Some(format!(
                            "{owner} applied this cluster-scoped object and still uses it, with other content; strata \
                             does not take it over: make the two specs agree, or give it another name in one of them"
                        ));
                        return (i, r);
                    }
                    Some(Shared::Adopt { .. }) | None => {}
                }
                if plan[i] == Decision::Skip {
                    return (i, r);
                }
                if let Some(ns) = d.key.namespace.as_deref().filter(|ns| failed_ns.contains(*ns)) {
                    r.action = Action::Failed;
                    r.detail = Some(format!("not applied: its namespace `{ns}` failed to apply"));
                    return (i, r);
                }
                if unreachable.load(Ordering::Relaxed) {
                    r.action = Action::Failed;
                    r.detail = Some("not applied: the API server stopped answering".into());
                    return (i, r);
                }
                if guard.is_some_and(lock::LockGuard::lost) {
                    r.action = Action::Failed;
                    r.detail = Some("not applied: this run lost the platform lock".into());
                    return (i, r);
                }
                let sent = send_one(kube, prepared, d, opts, absent).await;
                match sent {
                    Ok((out, note)) => {
                        r.action = match prepared.live_of(d) {
                            // Not listed (no member label yet) but other managers own fields: it existed
                            // and is now adopted into the set.
                            // Another platform's, which no longer lists it (both apply as `strata`).
                            None if let Some(Shared::Adopt { from }) = prepared.shared.get(&i) => {
                                r.detail = Some(format!("adopted from {from}, which no longer uses it"));
                                Action::Configured
                            }
                            None if other_managers(&out) && note.is_none() => {
                                r.detail = Some("existed without this platform's label; adopted".into());
                                Action::Configured
                            }
                            None if note.is_none() => Action::Created,
                            Some(live) if !opts.dry_run && rv(live) == rv(&out) => Action::Unchanged,
                            Some(live) if opts.dry_run && same_content(live, &out) && note.is_none() => {
                                Action::Unchanged
                            }
                            _ => Action::Configured,
                        };
                        if note.is_some() {
                            r.detail = note;
                        }
                    }
                    Err(Outcome::Drifted(detail)) => {
                        r.action = Action::Drifted;
                        r.detail = Some(detail);
                    }
                    Err(Outcome::Failed(f, detail)) => {
                        if f.is_unreachable() {
                            unreachable.store(true, Ordering::Relaxed);
                        }
                        r.action = Action::Failed;
                        r.detail = Some(detail);
                        r.error = Some(f);
                    }
                }
                (i, r)
            })
            .buffer_unordered(opts.concurrency.max(1));
        let mut stage_failed_ns = Vec::new();
        while let Some((i, r)) = stream.next().await {
            done += 1;
            progress.object(&r, done, total);
            if r.action == Action::Failed && r.kind == "Namespace" && r.api_version == "v1" {
                stage_failed_ns.push(r.name.clone());
            }
            objects[i] = Some(r);
        }
        drop(stream);
        failed_namespaces.extend(stage_failed_ns);
    }
    if let Some(g) = guard
        && g.lost()
    {
        g.ensure_held("the next write").await?;
    }
    let mut objects: Vec<ObjectReport> = objects.into_iter().flatten().collect();
    let failures = objects.iter().filter(|o| o.action == Action::Failed).count();

    let (candidates, refused) = if opts.prune && failures == 0 {
        prepared.prune_candidates(kube, opts).await?
    } else {
        (prepared.candidates(opts.allow_data_loss), None)
    };
    let prune_status;
    if !opts.prune {
        prune_status = "not requested (--prune not given)".to_string();
        for c in &candidates {
            objects.push(candidate_report(
                c,
                Action::Kept,
                Some("no longer in the spec; rerun with --prune to delete it".into()),
            ));
        }
    } else if failures > 0 {
        prune_status =
            format!("skipped: {failures} object(s) failed to apply, and strata never prunes after a failed apply");
        for c in &candidates {
            objects.push(candidate_report(c, Action::Kept, Some("not pruned because the apply had failures".into())));
        }
    } else if let Some(why) = &refused {
        prune_status = format!("refused: {why}; rerun with --allow-mass-prune if that is intended");
        for c in &candidates {
            objects.push(candidate_report(c, Action::Kept, c.kept.clone()));
        }
    } else {
        if let Some(g) = guard
            && candidates.iter().any(|c| c.kept.is_none() && !c.terminating())
        {
            g.ensure_held("pruning").await?;
        }
        progress.phase(&format!("pruning: {} candidate(s)", candidates.len()));
        let results = prune::delete_all(kube, &candidates, opts.dry_run, opts.concurrency).await;
        let mut prune_failed = 0;
        for (i, c) in candidates.iter().enumerate() {
            let r = match (&c.kept, results.get(&i)) {
                (Some(why), _) => candidate_report(c, Action::Kept, Some(why.clone())),
                (None, Some(Ok(()))) => candidate_report(c, Action::Pruned, None),
                (None, Some(Err(f))) => {
                    prune_failed += 1;
                    let mut r = candidate_report(c, Action::Failed, Some(format!("delete failed: {f}")));
                    r.error = Some(f.clone());
                    r
                }
                (None, None) if c.terminating() => {
                    candidate_report(c, Action::Pruned, Some("already being deleted".into()))
                }
                (None, None) => {
                    prune_failed += 1;
                    candidate_report(
                        c,
                        Action::Failed,
                        Some("not deleted: a delete in an earlier prune stage failed".into()),
                    )
                }
            };
            progress.object(&r, done, total);
            objects.push(r);
        }
        if prune_failed == 0 {
            prune_status = if prepared.live.unserved.is_empty() {
                "done".to_string()
            } else {
                format!(
                    "done, except for kinds the cluster no longer serves ({}): their objects cannot be listed",
                    prepared.live.unserved.join(", ")
                )
            };
            if !opts.dry_run {
                let keep = prepared.narrowed(&candidates);
                let current = prepared.recorded.clone().unwrap_or_default().union(&prepared.desired_record);
                inventory::write_parent(kube, &prepared.aset, &prepared.platform, Some(&current), &keep).await?;
            }
        } else {
            prune_status = format!("{prune_failed} delete(s) failed; the inventory record was not narrowed");
        }
    }
    Ok((objects, prune_status, refused))
}

/// Why an object was not applied as sent.
enum Outcome {
    /// Drift under `drift "report"`: left as it is.
    Drifted(String),
    Failed(ApiFailure, String),
}

/// Is this a manager of another strata platform? All platforms share the field manager `strata`, so
/// only strata's own helpers could show up here; their fields are never forced away.
fn strata_manager(m: &str) -> bool {
    m == FIELD_MANAGER || m.starts_with("strata-") || m.starts_with("strata/")
}

/// The server refused a change to a field that cannot change after creation (422 Invalid, "field is
/// immutable" or "is immutable after creation"): the classification of Flux `ssa/errors/immutable.go`.
pub fn is_immutable(f: &ApiFailure) -> bool {
    f.code == 422 && f.message.contains("immutable")
}

/// Why an immutable change was not done, and how to do it.
pub fn immutable_detail(f: &ApiFailure, group: &str, kind: &str, recreate: bool, allow_data_loss: bool) -> String {
    let base = format!("{f}; the change needs the object recreated (deleted, then applied)");
    match domain::data_loss(group, kind) {
        Some(why) if !(recreate && allow_data_loss) => {
            format!(
                "{base}, and {}: rerun with --recreate --allow-data-loss to do it",
                why.replacen("deleting", "deleting it", 1)
            )
        }
        _ => format!("{base}: rerun with --recreate to do it"),
    }
}

/// Sends one object under the platform's drift policy and `--recreate`. `Ok` carries a note for the
/// report when the object was sent more than once (drift corrected, recreated).
async fn send_one(
    kube: &Kube,
    prepared: &Prepared,
    d: &Desired,
    opts: &ApplyOptions,
    absent: &BTreeSet<String>,
) -> Result<(Value, Option<String>), Outcome> {
    if let Some(handover) = replicas_handover(&d.body, prepared.live_of(d)) {
        let ns = d.key.namespace.as_deref();
        if let Err(f) =
            kube.apply(&d.resource.ar, ns, &d.key.name, &handover, REPLICAS_HANDOVER_MANAGER, false, opts.dry_run).await
        {
            let detail = format!(
                "could not hand the replica count over before the autoscaler takes it ({}); without the \
                 handover the apply would reset it to 1",
                failure_detail(&f, false)
            );
            return Err(Outcome::Failed(f, detail));
        }
    }
    let mut waited = Duration::ZERO;
    let mut pause = Duration::from_millis(250);
    let f = loop {
        match send(kube, d, opts.force_conflicts, opts.dry_run, absent).await {
            Ok(out) => return Ok((out, None)),
            Err(f) if is_quota_status_unknown(&f) && waited < QUOTA_SYNC_WAIT => {
                tokio::time::sleep(pause).await;
                waited += pause;
                pause = (pause * 2).min(Duration::from_secs(4));
            }
            Err(f) => break f,
        }
    };
    let (group, kind) = (d.resource.ar.group.as_str(), d.resource.ar.kind.as_str());
    if f.is_conflict() && !f.conflicts.is_empty() && !opts.force_conflicts {
        let fields = drift_fields(&f);
        match prepared.drift {
            DriftPolicy::Correct if !f.conflicts.iter().any(|c| strata_manager(&c.manager)) => {
                // A forced apply of this body takes over exactly the fields the spec sets, nothing else.
                return match send(kube, d, true, opts.dry_run, absent).await {
                    Ok(out) => Ok((out, Some(format!("drift corrected (drift \"correct\"): took back {fields}")))),
                    Err(f) => {
                        let detail = failure_detail(&f, true);
                        Err(Outcome::Failed(f, detail))
                    }
                };
            }
            DriftPolicy::Report => {
                return Err(Outcome::Drifted(format!(
                    "drift: {fields}; left as it is (drift \"report\"), so this object's spec changes wait too"
                )));
            }
            _ => {}
        }
    }
    if is_immutable(&f) {
        let data = domain::data_loss(group, kind).is_some();
        if !opts.recreate || (data && !opts.allow_data_loss) {
            let detail = immutable_detail(&f, group, kind, opts.recreate, opts.allow_data_loss);
            return Err(Outcome::Failed(f, detail));
        }
        if opts.dry_run {
            return Ok((d.body.clone(), Some("would be recreated (an immutable field changed)".into())));
        }
        return recreate(kube, prepared, d, opts, absent).await.map_err(|f| {
            let detail = format!("recreate failed: {f}");
            Outcome::Failed(f, detail)
        });
    }
    let detail = failure_detail(&f, opts.force_conflicts);
    Err(Outcome::Failed(f, detail))
}

pub use crate::manifest::REPLICAS_HANDOVER_MANAGER;

/// The body to apply as [`REPLICAS_HANDOVER_MANAGER`] before `body`, when `body` is a Deployment or
/// StatefulSet that no longer sets `spec.replicas` while strata's apply still owns the field on the cluster.
/// Applying without it would release the field, and with no other owner the API server resets it to its
/// default of 1: a consumer running 8 replicas drops to 1 until the autoscaler scales it up again. The fix is
/// Kubernetes' own recipe for moving a field to another manager: a second manager applies the live value
/// first, so releasing strata's claim leaves it owned (kubernetes.io "Server-Side Apply", "Transferring
/// ownership"; "Horizontal Pod Autoscaling", "Migrating Deployments and StatefulSets to horizontal
/// autoscaling"; kubernetes/kubernetes#97969).
pub fn replicas_handover(body: &Value, live: Option<&Value>) -> Option<Value> {
    let live = live?;
    let (api_version, kind) = (body.get("apiVersion")?.as_str()?, body.get("kind")?.as_str()?);
    if api_version != "apps/v1" || !matches!(kind, "Deployment" | "StatefulSet") {
        return None;
    }
    if body.pointer("/spec/replicas").is_some() {
        return None;
    }
    let replicas = live.pointer("/spec/replicas")?.as_i64()?;
    crate::reconcile::normalize::apply_entry(live, FIELD_MANAGER)?.pointer("/fieldsV1/f:spec/f:replicas")?;
    let mut metadata = serde_json::Map::new();
    metadata.insert("name".into(), live.pointer("/metadata/name")?.clone());
    if let Some(ns) = live.pointer("/metadata/namespace") {
        metadata.insert("namespace".into(), ns.clone());
    }
    Some(serde_json::json!({
        "apiVersion": api_version,
        "kind": kind,
        "metadata": metadata,
        "spec": {"replicas": replicas},
    }))
}

/// How long an object the quota admission refuses with "status unknown for quota" is retried.
const QUOTA_SYNC_WAIT: Duration = Duration::from_secs(30);

/// A ResourceQuota the tenancy stage just created or widened has no `status.hard` for a resource until the
/// quota controller syncs it, and until then the API server refuses every object that quota counts
/// ("status unknown for quota: ..., resources: ...", kubernetes
/// `staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go`, `CheckRequest`). The
/// controller syncs a changed quota within seconds, so the refusal is retried rather than reported.
pub fn is_quota_status_unknown(f: &ApiFailure) -> bool {
    f.code == 403 && f.message.contains("status unknown for quota")
}

/// Deletes the live object (guarded by the uid strata listed), waits until it is gone, applies again.
async fn recreate(
    kube: &Kube,
    prepared: &Prepared,
    d: &Desired,
    opts: &ApplyOptions,
    absent: &BTreeSet<String>,
) -> Result<(Value, Option<String>), ApiFailure> {
    let ns = d.key.namespace.as_deref();
    let uid = prepared.live_of(d).and_then(|l| l.pointer("/metadata/uid")).and_then(Value::as_str);
    kube.delete(&d.resource.ar, ns, &d.key.name, uid, false).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        match kube.get(&d.resource.ar, ns, &d.key.name).await? {
            None => break,
            Some(v) if v.pointer("/metadata/uid").and_then(Value::as_str) != uid => break,
            Some(_) if tokio::time::Instant::now() >= deadline => {
                return Err(ApiFailure {
                    code: 504,
                    reason: "Timeout".into(),
                    message: "deleted, but still present after 60 s (a finalizer?); apply again once it is gone".into(),
                    conflicts: vec![],
                });
            }
            Some(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
    let out = send(kube, d, opts.force_conflicts, false, absent).await?;
    Ok((out, Some("recreated: an immutable field changed (deleted, then applied)".into())))
}

/// `.spec.hard.pods (changed by `ops-team`), ...`
fn drift_fields(f: &ApiFailure) -> String {
    f.conflicts.iter().map(|c| format!("{} (changed by `{}`)", c.field, c.manager)).collect::<Vec<_>>().join(", ")
}

fn other_managers(v: &Value) -> bool {
    v.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .is_some_and(|m| m.iter().any(|e| e.get("manager").and_then(Value::as_str) != Some(FIELD_MANAGER)))
}

/// Dry run: compare content, since a dry run never changes the resourceVersion.
fn same_content(live: &Value, out: &Value) -> bool {
    let strip = |v: &Value| crate::reconcile::normalize::for_diff(v);
    strip(live) == strip(out)
}

fn stage_name(s: Stage) -> &'static str {
    match s {
        Stage::Cluster => "cluster (namespaces, cluster-scoped classes)",
        Stage::Tenancy => "tenancy (quotas, limits, RBAC, config)",
        Stage::Workloads => "workloads (custom resources)",
    }
}

/// One line about a failed apply, with the conflicts field by field.
pub fn failure_detail(f: &ApiFailure, forced: bool) -> String {
    if f.is_conflict() && !f.conflicts.is_empty() {
        let fields: Vec<String> =
            f.conflicts.iter().map(|c| format!("{} (owned by `{}`)", c.field, c.manager)).collect();
        let help = if forced { "" } else { "; rerun with --force-conflicts to take these fields over" };
        return format!("conflict with another field manager on {}{help}", fields.join(", "));
    }
    // Name the verb the server checked: an apply that creates an object needs `create`, not `patch`.
    if f.is_forbidden() && f.message.contains("attempting to grant RBAC permissions not currently held") {
        return format!(
            "{f}\n    help: grant `escalate` on roles and `bind` on roles/clusterroles to this identity, or every permission the Role grants (see docs/apply.md, Permissions)"
        );
    }
    if f.is_forbidden() {
        let (verb, resource) = crate::reconcile::error::forbidden_apply_verb(&f.message);
        return format!(
            "{f}\n    help: grant `{verb}` on `{resource}` to this identity (see docs/apply.md, Permissions)"
        );
    }
    f.to_string()
}

/// Group-kind counts of a set, for messages.
pub fn kinds_summary(set: &ManifestSet) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for m in &set.items {
        *counts.entry(m.kind.as_str()).or_default() += 1;
    }
    counts.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(", ")
}

/// Index by key, for tests and plan.
pub fn by_key(objects: &[ObjectReport]) -> HashMap<String, &ObjectReport> {
    objects.iter().map(|o| (o.key(), o)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn desired() -> Value {
        with_hash(&json!({
            "apiVersion": "v1", "kind": "ResourceQuota",
            "metadata": {"name": "q", "namespace": "t", "labels": {"a": "1"}},
            "spec": {"hard": {"pods": "10"}}
        }))
    }

    fn live_from(body: &Value) -> Value {
        let mut live = body.clone();
        live["metadata"]["resourceVersion"] = json!("42");
        live["metadata"]["managedFields"] = json!([{"manager": "strata", "operation": "Apply"}]);
        live["status"] = json!({"hard": {"pods": "10"}});
        live
    }

    #[test]
    fn a_quota_the_controller_has_not_synced_yet_is_retried_other_refusals_are_not() {
        let f = |code: u16, message: &str| ApiFailure {
            code,
            reason: "Forbidden".into(),
            message: message.into(),
            conflicts: Vec::new(),
        };
        assert!(is_quota_status_unknown(&f(
            403,
            "scheduledsparkapplications.sparkoperator.k8s.io \"x\" is forbidden: status unknown for quota: tenant-quota, resources: count/scheduledsparkapplications.sparkoperator.k8s.io"
        )));
        assert!(!is_quota_status_unknown(&f(403, "pods \"x\" is forbidden: exceeded quota: tenant-quota")));
        assert!(!is_quota_status_unknown(&f(403, "User \"limited\" cannot list resource \"pods\"")));
    }

    #[test]
    fn absent_object_is_created() {
        assert_eq!(decide(&desired(), None), Decision::Create);
    }

    #[test]
    fn identical_object_applied_by_strata_is_skipped() {
        let body = desired();
        assert_eq!(decide(&body, Some(&live_from(&body))), Decision::Skip);
    }

    #[test]
    fn an_edit_by_someone_else_to_a_field_we_own_reapplies() {
        let body = desired();
        let mut live = live_from(&body);
        live["spec"]["hard"]["pods"] = json!("99");
        assert_eq!(decide(&body, Some(&live)), Decision::Apply);
    }

    #[test]
    fn a_spec_change_reapplies_even_when_live_is_a_superset() {
        // The spec dropped a label: live still has every field we send, but the hash differs, and only
        // an apply releases the dropped field.
        let old = desired();
        let live = live_from(&old);
        let mut new = json!({
            "apiVersion": "v1", "kind": "ResourceQuota",
            "metadata": {"name": "q", "namespace": "t", "labels": {}},
            "spec": {"hard": {"pods": "10"}}
        });
        new = with_hash(&new);
        assert!(object_contains(&live, &{
            let mut n = new.clone();
            n["metadata"]["annotations"][ANNOTATION_APPLIED_HASH] =
                live["metadata"]["annotations"][ANNOTATION_APPLIED_HASH].clone();
            n
        }));
        assert_eq!(decide(&new, Some(&live)), Decision::Apply);
    }

    #[test]
    fn an_object_not_applied_by_strata_is_applied() {
        let body = desired();
        let mut live = live_from(&body);
        live["metadata"]["managedFields"] = json!([{"manager": "kubectl", "operation": "Apply"}]);
        assert_eq!(decide(&body, Some(&live)), Decision::Apply);
    }

    #[test]
    fn a_deployment_that_stops_setting_replicas_hands_the_live_count_over_first() {
        use super::replicas_handover;
        let body = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w", "namespace": "t"}, "spec": {"template": {}}});
        let mut live = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "w", "namespace": "t", "managedFields": [
                {"manager": "strata", "operation": "Apply", "fieldsV1": {"f:spec": {"f:replicas": {}, "f:template": {}}}}
            ]},
            "spec": {"replicas": 8},
        });
        let h = replicas_handover(&body, Some(&live)).expect("a handover");
        assert_eq!(h["spec"], json!({"replicas": 8}));
        assert_eq!(h["metadata"], json!({"name": "w", "namespace": "t"}));
        // Still setting replicas, not strata's field, another kind, or nothing live: no handover.
        let mut fixed = body.clone();
        fixed["spec"]["replicas"] = json!(3);
        assert!(replicas_handover(&fixed, Some(&live)).is_none());
        assert!(replicas_handover(&body, None).is_none());
        let mut job = body.clone();
        job["kind"] = json!("Job");
        assert!(replicas_handover(&job, Some(&live)).is_none());
        live["metadata"]["managedFields"] = json!([
            {"manager": "strata", "operation": "Apply", "fieldsV1": {"f:spec": {"f:template": {}}}},
            {"manager": "keda-operator", "operation": "Update", "fieldsV1": {"f:spec": {"f:replicas": {}}}}
        ]);
        assert!(replicas_handover(&body, Some(&live)).is_none(), "the autoscaler owns it already");
    }

    #[test]
    fn hash_is_stable_for_the_same_object() {
        use crate::reconcile::normalize::applied_hash;
        assert_eq!(applied_hash(&desired()), applied_hash(&desired()));
    }

    #[test]
    fn conflicts_are_listed_field_by_field_with_the_manager() {
        let f = ApiFailure {
            code: 409,
            reason: "Conflict".into(),
            message: "Apply failed with 2 conflicts".into(),
            conflicts: vec![
                crate::reconcile::error::Conflict { field: ".spec.hard.pods".into(), manager: "kubectl-edit".into() },
                crate::reconcile::error::Conflict { field: ".spec.hard.cpu".into(), manager: "ops".into() },
            ],
        };
        let d = failure_detail(&f, false);
        assert_eq!(
            d,
            "conflict with another field manager on .spec.hard.pods (owned by `kubectl-edit`), .spec.hard.cpu (owned by `ops`); rerun with --force-conflicts to take these fields over"
        );
    }
}
