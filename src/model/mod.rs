//! The typed platform model: [`Platform`] is what lowering produces and the checks read, with every value at
//! the span it was written at, complete or not; [`resolved`] is the same platform once the checks pass, every
//! reference and size decided, which is all emit reads. Nothing here knows about KDL syntax or Kubernetes
//! JSON.

pub mod airflow;
pub mod app;
pub mod cost;
pub mod cron;
pub mod demand;
pub mod external_secret;
pub mod flink;
pub mod job;
pub mod kafka;
pub mod monitoring;
pub mod network;
pub mod pod;
pub mod presets;
pub mod quota;
pub mod resolved;
pub mod spark;
pub mod tenant;

use std::collections::HashMap;

use crate::source::{Span, Spanned};

pub use presets::{Presets, PriorityClassPreset, SizePreset, TierPreset};
pub use tenant::{
    Budget, Direction, EffectiveLimits, LimitValue, LimitsSpec, NetworkMode, NetworkRule, PodSecurity, QuotaSpec,
    Tenant,
};

/// The whole platform: the `platform` node, every preset (stdlib and user), and every domain object.
#[derive(Debug, Clone, Default)]
pub struct Platform {
    pub header: Option<PlatformHeader>,
    pub presets: Presets,
    /// Every `pricing` node, the stdlib's and the platform's (`cost::Pricing::of` merges them).
    pub pricing: Vec<cost::PricingSpec>,
    /// Read freely; add only through [`Platform::add_tenant`], which keeps the name index current.
    pub tenants: Vec<Tenant>,
    /// Tenant name → its first position in `tenants`: [`Platform::tenant`] is called per workload, and a
    /// scan of the list made that quadratic. Only ever looked up, never iterated (output order is `tenants`).
    tenant_index: HashMap<String, usize>,
    pub kafka: kafka::KafkaModel,
    pub spark: spark::SparkModel,
    pub airflow: airflow::AirflowModel,
    pub flink: flink::FlinkModel,
    pub jobs: job::JobModel,
    pub apps: app::StreamAppModel,
    /// `secret-store` and `external-secret`: Secrets the External Secrets Operator fills from a store.
    pub external_secrets: external_secret::ExternalSecretModel,
    /// Where the operators that connect into tenant namespaces run.
    pub operators: network::Operators,
    /// `platform { monitoring }`: the Prometheus that picks up what strata declares.
    pub monitoring: Option<monitoring::Monitoring>,
}

/// The `platform` node: the platform's name and the cluster it belongs to.
#[derive(Debug, Clone)]
pub struct PlatformHeader {
    pub name: Spanned<String>,
    /// The kube context `apply`/`plan` must target (the reconciler refuses any other).
    pub context: Option<Spanned<String>>,
    pub kubernetes_version: Option<Spanned<String>>,
    /// Where the ApplySet parent (the inventory of what strata applied) lives.
    pub inventory_namespace: Spanned<String>,
    /// `drift "correct" | "report"`: what `apply` does about fields another manager changed.
    pub drift: DriftPolicy,
    pub span: Span,
    /// The environment this platform is (`environment "staging" { ... }`), `None` for a spec without any.
    pub environment: Option<Spanned<String>>,
}

/// What `apply` does when another field manager (a `kubectl edit`, a controller) changed a field the
/// spec sets: the server then refuses strata's apply of that object with a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DriftPolicy {
    /// No `drift` node: the conflict fails the object (exit 3) until it is resolved or forced.
    #[default]
    Fail,
    /// Take the fields back (force only the fields the spec sets) and report each one.
    Correct,
    /// Leave the object as it is and report the drift; the rest of the apply goes on.
    Report,
}

/// Where the ApplySet parent lives when the spec does not say: present on every cluster, and only
/// cluster administrators (who run platform applies) can write there.
pub const DEFAULT_INVENTORY_NAMESPACE: &str = "kube-system";

impl Platform {
    pub fn name(&self) -> &str {
        self.header.as_ref().map_or("platform", |h| h.name.value.as_str())
    }

    /// The name of what one apply owns on a cluster (its ApplySet, inventory and lock): the platform's name,
    /// plus the environment's, so applying staging can never prune what production applied.
    pub fn inventory_name(&self) -> String {
        match self.header.as_ref().and_then(|h| h.environment.as_ref()) {
            Some(env) => format!("{}-{}", self.name(), env.value),
            None => self.name().to_string(),
        }
    }

    /// The environment this platform was read as, if the spec declares environments.
    pub fn environment(&self) -> Option<&str> {
        self.header.as_ref().and_then(|h| h.environment.as_ref()).map(|e| e.value.as_str())
    }

    /// The first tenant declared with `name` (a second one is a `strata::tenant::duplicate` error).
    pub fn tenant(&self, name: &str) -> Option<&Tenant> {
        let t = self.tenants.get(*self.tenant_index.get(name)?)?;
        (t.name.value == name).then_some(t)
    }

    /// Adds everything `part` declares after what `self` declares, as if the nodes `part` was lowered from
    /// had been lowered into `self`: lowering only ever appends to these lists, and only the root file sets
    /// the header (with the operators and monitoring it holds), so lowering file by file and appending the
    /// parts in file order gives the platform a single pass gives.
    pub fn append(&mut self, part: Platform) {
        let Platform {
            header,
            presets,
            pricing,
            tenants,
            tenant_index: _,
            kafka,
            spark,
            airflow,
            flink,
            jobs,
            apps,
            external_secrets,
            operators,
            monitoring,
        } = part;
        if header.is_some() {
            debug_assert!(self.header.is_none(), "only the root file's part has a header");
            self.header = header;
            self.operators = operators;
            self.monitoring = monitoring;
        }
        let Presets { sizes, tiers, priority_classes } = presets;
        self.presets.sizes.extend(sizes);
        self.presets.tiers.extend(tiers);
        self.presets.priority_classes.extend(priority_classes);
        self.pricing.extend(pricing);
        for tenant in tenants {
            self.add_tenant(tenant);
        }
        let kafka::KafkaModel { clusters, topics, users, presets } = kafka;
        self.kafka.clusters.extend(clusters);
        self.kafka.topics.extend(topics);
        self.kafka.users.extend(users);
        self.kafka.presets.extend(presets);
        let spark::SparkModel { jobs: spark_jobs } = spark;
        self.spark.jobs.extend(spark_jobs);
        let airflow::AirflowModel { deployments } = airflow;
        self.airflow.deployments.extend(deployments);
        let flink::FlinkModel { jobs: flink_jobs } = flink;
        self.flink.jobs.extend(flink_jobs);
        let job::JobModel { jobs: batch_jobs } = jobs;
        self.jobs.jobs.extend(batch_jobs);
        let app::StreamAppModel { apps } = apps;
        self.apps.apps.extend(apps);
        let external_secret::ExternalSecretModel { stores, secrets } = external_secrets;
        self.external_secrets.stores.extend(stores);
        self.external_secrets.secrets.extend(secrets);
    }

    /// Makes room for `parts` before they are [appended](Platform::append), so each list grows once to its
    /// final length instead of doubling its way there (copying the objects, and touching fresh memory,
    /// about twice over).
    pub fn reserve_for(&mut self, parts: &[&Platform]) {
        let more = |len: fn(&Platform) -> usize| parts.iter().map(|p| len(p)).sum::<usize>();
        self.presets.sizes.reserve(more(|p| p.presets.sizes.len()));
        self.presets.tiers.reserve(more(|p| p.presets.tiers.len()));
        self.presets.priority_classes.reserve(more(|p| p.presets.priority_classes.len()));
        self.pricing.reserve(more(|p| p.pricing.len()));
        self.tenants.reserve(more(|p| p.tenants.len()));
        self.tenant_index.reserve(more(|p| p.tenants.len()));
        self.kafka.clusters.reserve(more(|p| p.kafka.clusters.len()));
        self.kafka.topics.reserve(more(|p| p.kafka.topics.len()));
        self.kafka.users.reserve(more(|p| p.kafka.users.len()));
        self.kafka.presets.reserve(more(|p| p.kafka.presets.len()));
        self.spark.jobs.reserve(more(|p| p.spark.jobs.len()));
        self.airflow.deployments.reserve(more(|p| p.airflow.deployments.len()));
        self.flink.jobs.reserve(more(|p| p.flink.jobs.len()));
        self.jobs.jobs.reserve(more(|p| p.jobs.jobs.len()));
        self.apps.apps.reserve(more(|p| p.apps.apps.len()));
        self.external_secrets.stores.reserve(more(|p| p.external_secrets.stores.len()));
        self.external_secrets.secrets.reserve(more(|p| p.external_secrets.secrets.len()));
    }

    /// Adds a tenant in declaration order and indexes its name (the first declaration keeps it).
    pub fn add_tenant(&mut self, tenant: Tenant) {
        self.tenant_index.entry(tenant.name.value.clone()).or_insert(self.tenants.len());
        self.tenants.push(tenant);
    }

    /// The tenant's quota after applying its tier: each field from the tenant's own `quota` if given,
    /// else from the tier.
    pub fn effective_quota(&self, tenant: &Tenant) -> Option<QuotaSpec> {
        let tier = tenant.tier.as_ref().and_then(|t| self.presets.tier(&t.value)).and_then(|t| t.quota.clone());
        match (tenant.quota.clone(), tier) {
            (Some(own), Some(base)) => Some(own.over(base)),
            (own, base) => own.or(base),
        }
    }

    /// The tenant's Container LimitRange: its `limits`, completed from size `xs` when a cpu/memory quota
    /// would otherwise reject pods that state no resources (`None` when it gets no LimitRange).
    pub fn effective_limits(&self, tenant: &Tenant) -> Option<EffectiveLimits> {
        let needs_defaults = self.effective_quota(tenant).is_some_and(|q| q.constrains_compute());
        if tenant.limits.is_none() && !needs_defaults {
            return None;
        }
        let xs = self.presets.size(tenant::DERIVED_DEFAULT_SIZE).filter(|_| needs_defaults);
        let l = tenant.limits.as_ref();
        let at = tenant.name.span;
        use tenant::limit_value as v;
        Some(EffectiveLimits {
            default_cpu: v(l.and_then(|l| l.default_cpu.as_ref()), xs.map(|s| s.cpu_limit()), at),
            default_memory: v(l.and_then(|l| l.default_memory.as_ref()), xs.map(|s| s.memory_limit()), at),
            // Without an explicit default request Kubernetes uses the default limit as the request; a
            // smaller request packs better, so it is derived from the same size.
            default_cpu_request: v(l.and_then(|l| l.default_cpu_request.as_ref()), xs.map(|s| s.cpu.value), at),
            default_memory_request: v(
                l.and_then(|l| l.default_memory_request.as_ref()),
                xs.map(|s| s.memory.value),
                at,
            ),
            max_cpu: v(l.and_then(|l| l.max_cpu.as_ref()), None, at),
            max_memory: v(l.and_then(|l| l.max_memory.as_ref()), None, at),
            min_cpu: v(l.and_then(|l| l.min_cpu.as_ref()), None, at),
            min_memory: v(l.and_then(|l| l.min_memory.as_ref()), None, at),
            max_cpu_ratio: v(l.and_then(|l| l.max_cpu_ratio.as_ref()), None, at),
            max_memory_ratio: v(l.and_then(|l| l.max_memory_ratio.as_ref()), None, at),
        })
    }

    /// Every reference to a PriorityClass by name, with where it was written. Each domain adds its own.
    pub fn priority_class_refs(&self) -> Vec<&Spanned<String>> {
        let mut refs = Vec::new();
        for t in &self.tenants {
            refs.extend(t.priority_class.iter());
            if let Some(q) = &t.quota {
                refs.extend(q.priority_classes.iter());
            }
            if let Some(tier) = t.tier.as_ref().and_then(|n| self.presets.tier(&n.value))
                && let Some(q) = &tier.quota
            {
                refs.extend(q.priority_classes.iter());
            }
        }
        refs.extend(self.spark.jobs.iter().filter_map(|j| j.priority_class.as_ref()));
        refs.extend(self.airflow.priority_class_refs());
        refs.extend(self.flink.jobs.iter().filter_map(|j| j.priority_class.as_ref()));
        refs.extend(self.jobs.priority_class_refs());
        refs.extend(self.apps.apps.iter().filter_map(|a| a.priority_class.as_ref()));
        refs
    }

    /// Every workload's peak demand on its tenant's quota; each workload domain adds its own.
    pub fn demands(&self) -> Vec<demand::Demand> {
        // Kafka adds none: its objects live in the cluster's namespace (see `model::kafka`).
        let mut demands = Vec::new();
        demands.extend(spark::demands(self));
        demands.extend(self.airflow.demands(self));
        demands.extend(self.flink.demands(self));
        demands.extend(self.jobs.demands(self));
        demands.extend(self.apps.demands(self));
        demands
    }
}

/// A free-form config value as written (Kafka topic config, `sparkConf`, Flink config): a string, number or
/// boolean. The model keeps these maps untyped because they accept keys strata does not know; a domain rule
/// parses the keys it does know. The front end builds it from KDL values; nothing here depends on KDL.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Str(String),
    Int(i128),
    Float(f64),
    Bool(bool),
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::Str(s) => f.write_str(s),
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float(x) => write!(f, "{x}"),
            Scalar::Bool(b) => write!(f, "{b}"),
        }
    }
}
