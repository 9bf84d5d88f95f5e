//! Resolved model to manifests: one file per domain, each adding its objects to the shared [`ManifestSet`].
//! Emitters take only a [`ResolvedPlatform`], whose references, sizes and configs are already decided, so
//! no emitter has a step that can fail and nothing it could skip: every object of the resolved platform
//! becomes its manifests.

pub mod airflow;
pub mod alerts;
pub mod app;
mod external_secret;
pub mod flink;
mod job;
mod kafka;
pub(crate) mod monitoring;
mod priority_classes;
pub(crate) mod spark;
mod tenants;

use crate::diagnostic::Diagnostics;
use crate::manifest::{ApplySetRef, Census, ManifestSet, RenderedSet, Stamp};
use crate::model::resolved::ResolvedPlatform;
use crate::model::tenant::LABEL_COST_CENTER;
use crate::source::SourceMap;

/// Emits every object of the platform, stamped and sorted. `d` gets what only the whole set shows (two
/// objects with one name).
pub fn emit(p: &ResolvedPlatform, sources: &SourceMap, d: &mut Diagnostics) -> ManifestSet {
    let mut set = emit_into(p, sources, ManifestSet::default());
    let labels = tenant_labels(p);
    if !labels.is_empty() {
        set.stamp_tenant_labels(&labels);
    }
    set.finish(&p.name, &ApplySetRef::for_platform(&p.inventory_name, &p.inventory_namespace), sources, d);
    set
}

/// [`emit`]'s objects as text (`render`'s, one object at a time), in the same order and with the same
/// diagnostics: each object is stamped and rendered as soon as it is built and its JSON tree dropped, so
/// `strata compile` holds the text of every object but the tree of only the few it is building.
pub fn emit_rendered(
    p: &ResolvedPlatform,
    sources: &SourceMap,
    render: fn(&crate::tree::Node) -> String,
    d: &mut Diagnostics,
) -> RenderedSet {
    emit_into(p, sources, ManifestSet::streaming(stamp(p, sources), render)).into_rendered(d)
}

/// What every object of `p` is stamped with.
fn stamp(p: &ResolvedPlatform, sources: &SourceMap) -> Stamp {
    Stamp {
        platform: p.name.clone(),
        applyset: ApplySetRef::for_platform(&p.inventory_name, &p.inventory_namespace),
        sources: sources.clone(),
        tenant_labels: tenant_labels(p),
    }
}

/// Each tenant's own labels (its `cost-center`), by tenant name.
fn tenant_labels(p: &ResolvedPlatform) -> std::collections::BTreeMap<String, Vec<(&'static str, String)>> {
    p.tenants
        .iter()
        .filter_map(|t| {
            let cc = t.spec.cost_center.as_ref()?;
            Some((t.spec.name.value.clone(), vec![(LABEL_COST_CENTER, cc.value.clone())]))
        })
        .collect()
}

/// Every emitter's objects added to `set` (a plain or a streaming set), in emit's order.
fn emit_into(p: &ResolvedPlatform, sources: &SourceMap, mut set: ManifestSet) -> ManifestSet {
    let shares = shares(p);
    // The whole emitters first, the runs after them: the runs are small and alike, so the cores run out of
    // work together instead of one waiting for the last large emitter (up to 13 ms of a 15k-object compile on two cores).
    let mut schedule: Vec<usize> = (0..shares.len()).collect();
    schedule.sort_by_key(|&i| !matches!(shares[i], Share::Whole(_)));
    let mut parts = crate::parallel::map(&schedule, |&i| {
        let mut part = set.sibling();
        shares[i].emit(p, sources, &mut part);
        part.sort();
        (i, part)
    });
    // Back in emit's order, so the set (and any duplicate-object error) is the same on any number of cores.
    parts.sort_by_key(|(i, _)| *i);
    set.reserve(parts.iter().map(|(_, part)| part.len()).sum());
    for (_, part) in parts {
        set.append(part);
    }
    set
}

/// A share of emitting for one core: a whole emitter, or a run of the objects of an emitter whose objects
/// depend on no others (tenants, topics, users: two thirds of a platform's objects).
enum Share<'p> {
    Whole(fn(&ResolvedPlatform, &mut ManifestSet)),
    Tenants(&'p [crate::model::resolved::Tenant]),
    Topics(&'p [crate::model::resolved::kafka::Topic]),
    Users(&'p [crate::model::resolved::kafka::User]),
    /// An alert's `source` annotation needs the source map, which no other emitter reads.
    Alerts,
}

impl Share<'_> {
    fn emit(&self, p: &ResolvedPlatform, sources: &SourceMap, set: &mut ManifestSet) {
        match self {
            Share::Whole(emit) => emit(p, set),
            Share::Tenants(tenants) => tenants::emit_tenants(tenants, set),
            Share::Topics(topics) => kafka::emit_topics(topics, set),
            Share::Users(users) => kafka::emit_users(users, set),
            Share::Alerts => alerts::emit(p, sources, set),
        }
    }
}

/// Every share of emitting `p`, in emit's order: the emitters in turn, each run in its emitter's place.
fn shares(p: &ResolvedPlatform) -> Vec<Share<'_>> {
    // A few runs per core: enough to even out the cores' finish, few enough that each is worth a handover.
    let runs = 4 * crate::parallel::cores();
    let run = |n: usize| n.div_ceil(runs).max(1);
    let mut shares = vec![Share::Whole(priority_classes::emit)];
    shares.extend(p.tenants.chunks(run(p.tenants.len())).map(Share::Tenants));
    shares.extend(p.kafka.topics.chunks(run(p.kafka.topics.len())).map(Share::Topics));
    shares.extend(p.kafka.users.chunks(run(p.kafka.users.len())).map(Share::Users));
    let whole: [fn(&ResolvedPlatform, &mut ManifestSet); 7] =
        [spark::emit, airflow::emit, flink::emit, job::emit, app::emit, monitoring::emit, external_secret::emit];
    shares.extend(whole.into_iter().map(Share::Whole));
    shares.push(Share::Alerts);
    shares
}

/// What [`emit`] would produce, as object headers only, sorted and checked for duplicates the same way:
/// `strata check` reports the object count and [`ManifestSet::finish`]'s duplicate errors from this
/// without building a single body. Returns the object count; `tests::census_equals_emitted_headers` holds
/// it equal to what [`emit`] produces.
pub fn census(p: &ResolvedPlatform, d: &mut Diagnostics) -> usize {
    census_of(p).count(d)
}

/// Every emitter's object headers, in emit's order (before sorting).
fn census_of(p: &ResolvedPlatform) -> Census {
    let parts: [fn(&ResolvedPlatform, &mut Census); 11] = [
        priority_classes::census,
        tenants::census,
        kafka::census,
        spark::census,
        airflow::census,
        flink::census,
        job::census,
        app::census,
        monitoring::census,
        external_secret::census,
        alerts::census,
    ];
    let mut c = Census::default();
    for part in parts {
        part(p, &mut c);
    }
    c
}

/// `ObjectMeta` with a name and optional namespace; labels and annotations are added by the set.
pub(crate) fn meta(name: &str, namespace: Option<&str>) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
    k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespace.map(str::to_string),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::Value;

    use crate::diagnostic::Diagnostics;
    use crate::manifest::ObjectHeader;

    use crate::test_support::compile_spec;

    /// Paths (as key lists) to every object in `v` that holds `containers`: the pod specs it carries.
    fn pod_specs(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        if let Value::Object(m) = v {
            if m.contains_key("containers") {
                out.push(at.clone());
            }
            for (k, child) in m {
                at.push(k.clone());
                pod_specs(child, at, out);
                at.pop();
            }
        }
    }

    /// Every kind strata emits that makes pods names in the registry where its pods' labels go, and every
    /// one of a cost-centred tenant's pods gets the cost centre and the tenant: a new emitter of a pod-making
    /// kind fails here until its pods are labelled.
    #[test]
    fn every_pod_of_a_cost_centred_tenant_carries_the_cost_centre() {
        let c = compile_spec(include_str!("../../golden/cost-center/platform.kdl"));
        assert!(!c.diagnostics.has_errors(), "{:?}", c.diagnostics);
        let set = c.manifests.expect("compiled");
        let mut kinds = std::collections::BTreeSet::new();
        for m in &set.items {
            let group = m.api_version.rsplit_once('/').map_or("", |(g, _)| g);
            let k = crate::domain::lookup(group, &m.kind).expect("a registered kind");
            let mut found = Vec::new();
            pod_specs(&m.object, &mut Vec::new(), &mut found);
            assert!(
                found.is_empty() || !k.pod_labels.is_empty(),
                "{} carries pod specs at {found:?} but the registry names no pod labels for it",
                m.kind
            );
            for path in k.pod_labels {
                kinds.insert(m.kind.clone());
                let labels = path.iter().fold(&m.object, |v, key| &v[*key]);
                let (cc, tenant) = (&labels["cost-center"], &labels["strata.dev/tenant"]);
                match m.tenant.as_deref() {
                    Some("payments") => {
                        assert_eq!((cc.as_str(), tenant.as_str()), (Some("cc-4120"), Some("payments")), "{}", m.kind)
                    }
                    _ => assert!(
                        cc.is_null() && tenant.is_null(),
                        "{}: a tenant without a cost centre keeps its pods",
                        m.kind
                    ),
                }
            }
        }
        assert_eq!(
            kinds.into_iter().collect::<Vec<_>>(),
            ["CronJob", "Deployment", "FlinkDeployment", "Job", "ScheduledSparkApplication", "SparkApplication"]
        );
        // Airflow's task pods come from a template file inside a ConfigMap.
        let template = set.items.iter().find(|m| m.kind == "ConfigMap" && m.object["data"]["default.yaml"].is_string());
        let text = template.expect("the worker pod template").object["data"]["default.yaml"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(text.contains("cost-center: cc-4120") && text.contains("strata.dev/tenant: payments"), "{text}");
    }

    /// Whether `c` resolved, and then that its census equals its emitted headers in output order.
    fn census_matches(c: &crate::Compilation, what: &str) -> bool {
        let (Some(resolved), Some(set)) = (&c.resolved, &c.manifests) else { return false };
        let mut census = super::census_of(resolved);
        let mut d = Diagnostics::new();
        let count = census.clone().finish(&mut d);
        assert!(d.is_empty(), "{what}: {d:?}");
        census.finish(&mut Diagnostics::new());
        let emitted: Vec<ObjectHeader> = set.items.iter().map(|m| m.header()).collect();
        assert_eq!(census.items, emitted, "{what}");
        assert_eq!(count, set.len(), "{what}");
        assert_eq!(super::census(resolved, &mut Diagnostics::new()), set.len(), "{what}");
        true
    }

    /// The census `strata check` counts from lists exactly the objects emit builds (kind, apiVersion, name,
    /// namespace, stage, tenant and span, in output order) for the bundled platform and every golden case
    /// that resolves: an emitter that gains or loses an object without its census fails here.
    #[test]
    fn census_equals_emitted_headers() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut specs = vec![root.join("platform.kdl")];
        specs.extend(crate::test_support::golden_specs());
        let compared = specs
            .iter()
            .flat_map(|spec| crate::compile_path_envs(spec).into_iter().map(move |c| (spec, c)))
            .filter(|(spec, c)| census_matches(c, &spec.display().to_string()))
            .count();
        assert!(compared >= 20, "only {compared} specs compiled");
    }

    /// The branches no golden case takes: a KEDA-scaled app on an unauthenticated connection has a
    /// ScaledObject and no TriggerAuthentication.
    #[test]
    fn census_equals_emitted_headers_for_an_unauthenticated_keda_app() {
        let spec = include_str!("../../golden/app-basic/platform.kdl")
            .replace(r#"kafka="main" authentication="scram-sha-512""#, r#"kafka="main""#);
        let c = compile_spec(&spec);
        assert!(census_matches(&c, "unauthenticated app"), "{:?}", c.diagnostics);
        let set = c.manifests.as_ref().expect("compiled");
        let kinds = |kind: &str| set.items.iter().filter(|m| m.kind == kind).count();
        assert_eq!((kinds("ScaledObject"), kinds("TriggerAuthentication")), (1, 0));
    }

    /// Two parts of the spec producing one object: the census reports the error emit's `finish` reports,
    /// with the same labels, so `strata check` and `strata compile` agree on it.
    #[test]
    fn census_reports_duplicates_like_finish() {
        let c = compile_spec(include_str!("../../golden/tenants-basic/platform.kdl"));
        let resolved = c.resolved.as_ref().expect("resolves");
        let mut census = super::census_of(resolved);
        let mut set = c.manifests.clone().expect("compiled");
        let first = census.items[0].clone();
        census.items.push(first);
        let again = set.items[set.items.iter().position(|m| m.header() == census.items[0]).expect("emitted")].clone();
        set.items.push(again);
        let (mut from_census, mut from_finish) = (Diagnostics::new(), Diagnostics::new());
        census.finish(&mut from_census);
        let applyset = crate::manifest::ApplySetRef::for_platform(&resolved.name, &resolved.inventory_namespace);
        set.finish(&resolved.name, &applyset, &c.sources, &mut from_finish);
        assert_eq!(from_census.iter().count(), 1);
        assert_eq!(format!("{from_census:?}"), format!("{from_finish:?}"));
        let mut from_count = Diagnostics::new();
        assert_eq!(census.clone().count(&mut from_count), census.items.len());
        assert_eq!(format!("{from_count:?}"), format!("{from_finish:?}"));
        // A set that renders each object as it comes (`strata compile`) reports the same error.
        let rendering = crate::render::Rendering {
            format: crate::render::OutputFormat::Yaml,
            layout: crate::render::Layout::Stream,
        };
        let mut streaming =
            crate::manifest::ManifestSet::streaming(super::stamp(resolved, &c.sources), rendering.object_renderer());
        for m in [&set.items[0], &set.items[0]] {
            let at = crate::manifest::Placement { stage: m.stage, tenant: m.tenant.clone(), span: m.span };
            streaming.add_value(m.object.clone(), at);
        }
        let mut from_streaming = Diagnostics::new();
        assert_eq!(streaming.into_rendered(&mut from_streaming).len(), 2);
        assert_eq!(format!("{from_streaming:?}"), format!("{from_finish:?}"));
    }
}
