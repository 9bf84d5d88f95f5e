//! The platform as emit consumes it: every reference looked up, presets applied, sizes turned into pods,
//! Kafka configs parsed for their cluster's version, each once. The lowered [`Platform`] keeps what was
//! written (optional fields, names of other objects) because the checks must report what is missing or
//! unknown; a [`ResolvedPlatform`] has none of that left, so an emitter has nothing to fall back on and no
//! way to skip an object.
//!
//! Only [`resolve`] builds one, and only when every object resolves: a platform with one job missing would
//! compile to manifests without it, and `apply --prune` would delete that job from the cluster. Whatever
//! does not resolve comes back as [`Unresolved`], which the checks turn into an error (they report the
//! cause first; an [`Unresolved`] on a spec the checks passed is a missing check).
//!
//! Each resolved object keeps the model object it came from as `spec`, for the fields that are optional
//! in the output too (a pull policy, a main class), next to the resolved fields emit needs.

pub mod airflow;
pub mod app;
pub mod external_secret;
pub mod flink;
pub mod job;
pub mod kafka;
pub mod spark;

use std::collections::{BTreeMap, BTreeSet};

use crate::model::demand::Demand;
use crate::model::network::{self, Allowed, Flow};
use crate::model::{self as m, EffectiveLimits, Platform, PriorityClassPreset, QuotaSpec};
use crate::source::{Span, Spanned};

/// A platform every emitter can turn into objects without a fallible step.
#[derive(Debug)]
pub struct ResolvedPlatform {
    /// The platform's name (`app.kubernetes.io/part-of` uses it).
    pub name: String,
    /// The ApplySet's name: the platform's, plus the environment's when the spec declares environments.
    pub inventory_name: String,
    /// Where the ApplySet parent lives.
    pub inventory_namespace: String,
    /// Every PriorityClass strata emits: the platform's own, and each stdlib class something uses.
    pub priority_classes: Vec<PriorityClass>,
    pub tenants: Vec<Tenant>,
    pub kafka: kafka::Kafka,
    pub spark: Vec<spark::SparkJob>,
    pub airflow: Vec<airflow::Airflow>,
    pub flink: Vec<flink::FlinkJob>,
    pub jobs: Vec<job::BatchJob>,
    pub apps: Vec<app::StreamApp>,
    pub external_secrets: Vec<external_secret::ExternalSecret>,
    /// `platform { monitoring }`: the Prometheus that scrapes the platform's jobs.
    pub monitoring: Option<m::monitoring::Monitoring>,
    /// Private to this module: nothing but [`resolve`] can make a platform that left failures out.
    _sealed: Sealed,
}

/// See `ResolvedPlatform::_sealed`.
#[derive(Debug)]
struct Sealed;

impl ResolvedPlatform {
    /// Every workload's peak demand, in [`Platform::demands`] order; no workload is left out.
    pub fn demands(&self) -> Vec<Demand> {
        let mut out: Vec<Demand> = self.spark.iter().map(|j| j.demand.clone()).collect();
        out.extend(self.airflow.iter().filter_map(|a| a.demand.clone()));
        out.extend(self.flink.iter().map(|j| j.demand.clone()));
        out.extend(self.jobs.iter().map(|j| j.demand.clone()));
        out.extend(self.apps.iter().map(|a| a.demand.clone()));
        out
    }
}

/// An object that cannot be emitted, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// The object as messages name it: "spark-job `nightly`".
    pub object: String,
    /// What did not resolve: "tenant `x` does not exist".
    pub reason: String,
    /// Where the unresolved part is written.
    pub span: Span,
}

/// A tenant as the objects of another domain refer to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRef {
    pub name: String,
    pub namespace: String,
    /// `cost-center`, for the labels of pods no registry path reaches (Airflow's pod template file).
    pub cost_center: Option<String>,
}

impl TenantRef {
    pub fn of(t: &m::Tenant) -> TenantRef {
        TenantRef {
            name: t.name.value.clone(),
            namespace: t.namespace.value.clone(),
            cost_center: t.cost_center.as_ref().map(|c| c.value.clone()),
        }
    }
}

/// A tenant with its tier applied.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub spec: m::Tenant,
    /// The tenant's own quota over its tier's ([`Platform::effective_quota`]).
    pub quota: Option<QuotaSpec>,
    /// The Container LimitRange, completed where a quota needs defaults ([`Platform::effective_limits`]).
    pub limits: Option<EffectiveLimits>,
    /// The flows strata opens with NetworkPolicies of its own ([`Allowed::ByStrata`]), in
    /// [`network::flows`] order; empty unless the tenant is isolated.
    pub flows: Vec<Flow>,
}

impl Tenant {
    pub fn name(&self) -> &str {
        &self.spec.name.value
    }

    pub fn namespace(&self) -> &str {
        &self.spec.namespace.value
    }
}

/// A cluster-scoped PriorityClass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorityClass {
    pub name: String,
    pub value: i32,
    pub preemption: Option<String>,
    pub description: Option<String>,
    pub span: Span,
}

/// Resolves the whole platform, or says what did not resolve (every failure, not just the first).
pub fn resolve(p: &Platform) -> Result<ResolvedPlatform, Vec<Unresolved>> {
    let mut r = Resolver { p, by_tenant: network::ByTenant::new(p), failures: Vec::new() };
    let priority_classes = priority_classes(&mut r);
    let tenants = r.each(&p.tenants, tenant);
    let kafka = kafka::resolve(&mut r);
    let spark = r.each(&p.spark.jobs, spark::resolve);
    let airflow = r.each(&p.airflow.deployments, airflow::resolve);
    let flink = r.each(&p.flink.jobs, flink::resolve);
    let jobs = r.each(&p.jobs.jobs, job::resolve);
    let apps = r.each(&p.apps.apps, app::resolve);
    let external_secrets = r.each(&p.external_secrets.secrets, external_secret::resolve);
    if !r.failures.is_empty() {
        return Err(r.failures);
    }
    let header = p.header.as_ref();
    Ok(ResolvedPlatform {
        name: p.name().to_string(),
        inventory_name: p.inventory_name(),
        inventory_namespace: header
            .map_or(m::DEFAULT_INVENTORY_NAMESPACE, |h| h.inventory_namespace.value.as_str())
            .to_string(),
        priority_classes,
        tenants,
        kafka,
        spark,
        airflow,
        flink,
        jobs,
        apps,
        external_secrets,
        monitoring: p.monitoring.clone(),
        _sealed: Sealed,
    })
}

/// The platform being resolved and what failed so far. Each domain's `resolve` returns `None` only after
/// recording why.
pub(crate) struct Resolver<'p> {
    pub(crate) p: &'p Platform,
    /// Each tenant's workloads, grouped once for [`network::flows`].
    by_tenant: network::ByTenant<'p>,
    failures: Vec<Unresolved>,
}

impl<'p> Resolver<'p> {
    /// Every item of `items` that resolves, in order, in a list sized for all of them: a list grown by
    /// doubling copied each of these multi-kilobyte objects again per doubling and left up to half its
    /// capacity unused.
    pub(crate) fn each<M, T>(
        &mut self,
        items: &'p [M],
        mut resolve: impl FnMut(&mut Self, &'p M) -> Option<T>,
    ) -> Vec<T> {
        let mut out = Vec::with_capacity(items.len());
        out.extend(items.iter().filter_map(|item| resolve(self, item)));
        out
    }

    /// Records that `object` cannot be emitted.
    pub(crate) fn report(&mut self, object: &str, reason: impl Into<String>, span: Span) {
        self.failures.push(Unresolved { object: object.to_string(), reason: reason.into(), span });
    }

    /// [`Self::report`], returning `None` so a resolver can `return r.fail(...)`.
    pub(crate) fn fail<T>(&mut self, object: &str, reason: impl Into<String>, span: Span) -> Option<T> {
        self.report(object, reason, span);
        None
    }

    /// `value`, or a failure saying `object` has no `what`.
    pub(crate) fn required<T: Clone>(
        &mut self,
        value: Option<&Spanned<T>>,
        object: &str,
        what: &str,
        span: Span,
    ) -> Option<T> {
        match value {
            Some(v) => Some(v.value.clone()),
            None => self.fail(object, format!("it has no {what}"), span),
        }
    }

    /// The tenant named `name`, or a failure.
    pub(crate) fn tenant(&mut self, name: &Spanned<String>, object: &str) -> Option<&'p m::Tenant> {
        match self.p.tenant(&name.value) {
            Some(t) => Some(t),
            None => self.fail(object, format!("tenant `{}` does not exist", name.value), name.span),
        }
    }

    pub(crate) fn tenant_ref(&mut self, name: &Spanned<String>, object: &str) -> Option<TenantRef> {
        self.tenant(name, object).map(TenantRef::of)
    }
}

fn tenant(r: &mut Resolver, t: &m::Tenant) -> Option<Tenant> {
    let p = r.p;
    if let Some(tier) = &t.tier
        && p.presets.tier(&tier.value).is_none()
    {
        return r.fail(
            &format!("tenant `{}`", t.name.value),
            format!("tier `{}` does not exist", tier.value),
            tier.span,
        );
    }
    let flows = network::flows(p, &r.by_tenant, t).into_iter().filter(|f| f.allowed == Allowed::ByStrata).collect();
    Some(Tenant { spec: t.clone(), quota: p.effective_quota(t), limits: p.effective_limits(t), flows })
}

/// The platform's own classes and every class something refers to, by name.
fn priority_classes(r: &mut Resolver) -> Vec<PriorityClass> {
    let p = r.p;
    let mut by_name: BTreeMap<&str, &PriorityClassPreset> = BTreeMap::new();
    for c in p.presets.priority_classes.iter().filter(|c| !c.from_stdlib) {
        // The first of the platform's own definitions, as [`crate::model::Presets::priority_class`] picks it.
        by_name.entry(c.name.value.as_str()).or_insert(c);
    }
    let mut unknown = BTreeSet::new();
    for used in p.priority_class_refs() {
        match p.presets.priority_class(&used.value) {
            Some(c) => {
                by_name.entry(c.name.value.as_str()).or_insert(c);
            }
            None if unknown.insert(used.value.as_str()) => r.report(
                &format!("priority class `{}`", used.value),
                "no priority-class of this name is defined",
                used.span,
            ),
            None => {}
        }
    }
    let mut out = Vec::new();
    for (name, c) in by_name {
        match i32::try_from(c.value.value) {
            Ok(value) => out.push(PriorityClass {
                name: name.to_string(),
                value,
                preemption: c.preemption.as_ref().map(|s| s.value.clone()),
                description: c.description.as_ref().map(|s| s.value.clone()),
                span: c.name.span,
            }),
            Err(_) => r.report(
                &format!("priority class `{name}`"),
                format!("its value {} is not a 32-bit number", c.value.value),
                c.value.span,
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::source::Spanned;
    use crate::test_support::compile;

    const SPEC: &str = r#"
tenant "t" priority-class="batch" { quota cpu=40 memory="160Gi"; }
tenant "u"
kafka "main" namespace="kafka" brokers=3
topic "orders" kafka="main" tenant="t" partitions=3 { config "retention.ms" "7d"; }
kafka-user "app" tenant="t"
spark-job "agg" tenant="t" {
    image "apache/spark:3.5.1" spark-version="3.5.1"
    main "local:///opt/app.jar" class="com.acme.Main"
    executors 2 size="m"
}
airflow "af" tenant="t" {
    executor "kubernetes" image="apache/airflow:3.1.3" {
        worker-template "default" size="s"
        multi-namespace "u"
    }
}
flink-job "f" tenant="u" {
    image "flink:1.20.1"
    jar "local:///opt/flink/usrlib/f.jar" version="1.20"
    parallelism 2
    jobmanager size="s"
    taskmanager size="m" slots=2
}
"#;

    #[test]
    fn references_and_sizes_are_decided_once() {
        let c = compile(SPEC);
        let r = c.resolved.as_ref().unwrap_or_else(|| panic!("{:?}", c.diagnostics));
        let topic = &r.kafka.topics[0];
        assert_eq!((topic.cluster.namespace.as_str(), topic.partitions, topic.replicas), ("kafka", 3, 3));
        assert_eq!(topic.config["retention.ms"].as_int(), Some(7 * 24 * 3600 * 1000));
        assert_eq!(r.kafka.users[0].cluster.name, "main", "the only cluster");
        let spark = &r.spark[0];
        assert_eq!((spark.tenant.namespace.as_str(), spark.priority_class.as_deref()), ("t", Some("batch")));
        assert_eq!(spark.pods, c.platform.spark.jobs[0].pods(&c.platform).expect("sizes"));
        let af = &r.airflow[0];
        let listed = match &af.namespaces {
            super::airflow::Namespaces::Listed(l) => l.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(listed, ["t", "u"], "the home tenant first");
        assert_eq!(af.default_template, "/opt/airflow/pod_templates/default.yaml");
        assert_eq!(af.publish_retries, -1, "the home tenant has a quota");
        assert_eq!(r.flink[0].taskmanager_replicas, 1);
        // Exactly the classes in use: the tenant's `batch` (and nothing unused from the stdlib).
        let classes: Vec<&str> = r.priority_classes.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(classes, ["batch"]);
        // The quota-fit check counts, from the lowered model, exactly what the resolved workloads carry.
        assert_eq!(format!("{:?}", r.demands()), format!("{:?}", c.platform.demands()));
    }

    #[test]
    fn every_failure_is_returned_never_an_object_left_out() {
        let mut c = compile(SPEC);
        assert!(c.ok(), "{:?}", c.diagnostics);
        // What a check missing from strata would let through: a job of a tenant that does not exist, and a
        // topic on a cluster that does not.
        c.platform.spark.jobs[0].tenant.value = "gone".into();
        c.platform.kafka.topics[0].cluster.as_mut().expect("named").value = "other".into();
        // Values the output spells as a CRD enum, which only the lowering's spellings map onto.
        let span = c.platform.kafka.users[0].name.span;
        c.platform.kafka.users[0].acls.push(crate::model::kafka::Acl {
            resource_type: crate::model::kafka::ResourceType::Cluster,
            resource: None,
            operations: vec![Spanned::new("Reed".to_string(), span)],
            deny: false,
            host: None,
            origin: crate::model::kafka::AclOrigin::Explicit,
            span,
        });
        c.platform.flink.jobs[0].state = Some(Spanned::new("paused".to_string(), span));
        let failures = super::resolve(&c.platform).expect_err("does not resolve");
        let reasons: Vec<String> = failures.iter().map(|u| format!("{}: {}", u.object, u.reason)).collect();
        assert_eq!(
            reasons,
            [
                "topic `orders`: Kafka cluster `other` does not exist",
                "kafka-user `app`: `Reed` is not an ACL operation",
                "spark-job `agg`: tenant `gone` does not exist",
                "flink-job `f`: `paused` is not a job state",
            ]
        );
    }
}
