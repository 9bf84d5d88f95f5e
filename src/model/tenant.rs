//! Tenants: a team's namespace with its quota, default limits, network isolation and pod security level.

use crate::model::cost::Price;
use crate::source::{Span, Spanned};
use crate::units::{Bytes, Cpu};

/// The size whose requests and limits become a tenant's container defaults when its spec gives none.
pub const DERIVED_DEFAULT_SIZE: &str = "xs";

/// The label `cost-center "..."` sets (the key OpenCost's and Kubecost's docs group by in their examples).
pub const LABEL_COST_CENTER: &str = "cost-center";

#[derive(Debug, Clone)]
pub struct Tenant {
    pub name: Spanned<String>,
    /// Defaults to the tenant's name (then spanned at the name).
    pub namespace: Spanned<String>,
    pub tier: Option<Spanned<String>>,
    pub quota: Option<QuotaSpec>,
    pub limits: Option<LimitsSpec>,
    pub network: Spanned<NetworkMode>,
    pub network_rules: Vec<NetworkRule>,
    pub pod_security: Spanned<PodSecurity>,
    /// The PriorityClass the tenant's workloads use unless they name another.
    pub priority_class: Option<Spanned<String>>,
    /// Extra labels for the namespace (e.g. cost centre).
    pub labels: Vec<(Spanned<String>, Spanned<String>)>,
    /// Every Kafka topic the tenant owns must start with this (e.g. `analytics.`).
    pub topic_prefix: Option<Spanned<String>>,
    /// `cost-center "cc-4120"`: the `cost-center` label on every object and pod of the tenant.
    pub cost_center: Option<Spanned<String>>,
    /// What the tenant may spend a month (`check::cost` compares the cost model's figure with it).
    pub budget: Option<Budget>,
    pub span: Span,
}

/// `budget monthly="1200"`: the most a tenant should spend in an average month, in the currency of the
/// platform's `pricing`.
#[derive(Debug, Clone)]
pub struct Budget {
    /// The `budget` node's name.
    pub span: Span,
    /// `None` when the amount is missing or not an amount (lowering reported it).
    pub monthly: Option<Spanned<Price>>,
    /// The currency the amount is in, when written: it must be the pricing's (`check::cost`).
    pub currency: Option<Spanned<String>>,
}

/// A ResourceQuota as written. All fields optional so a tenant can override single fields of its tier.
#[derive(Debug, Clone, Default)]
pub struct QuotaSpec {
    pub span: Option<Span>,
    pub cpu: Option<Spanned<Cpu>>,
    pub memory: Option<Spanned<Bytes>>,
    pub cpu_limit: Option<Spanned<Cpu>>,
    pub memory_limit: Option<Spanned<Bytes>>,
    pub pods: Option<Spanned<u64>>,
    pub storage: Option<Spanned<Bytes>>,
    pub pvcs: Option<Spanned<u64>>,
    pub services: Option<Spanned<u64>>,
    pub configmaps: Option<Spanned<u64>>,
    pub secrets: Option<Spanned<u64>>,
    /// `count "<plural>.<group>" N` → `count/<plural>.<group>`.
    pub counts: Vec<(Spanned<String>, Spanned<u64>)>,
    /// Limits the quota to pods of these PriorityClasses (`scopeSelector`).
    pub priority_classes: Vec<Spanned<String>>,
}

impl QuotaSpec {
    /// `self` with every unset field taken from `base`.
    pub fn over(self, base: QuotaSpec) -> QuotaSpec {
        let mut counts = self.counts;
        for (k, v) in base.counts {
            if !counts.iter().any(|(k2, _)| k2.value == k.value) {
                counts.push((k, v));
            }
        }
        QuotaSpec {
            span: self.span.or(base.span),
            cpu: self.cpu.or(base.cpu),
            memory: self.memory.or(base.memory),
            cpu_limit: self.cpu_limit.or(base.cpu_limit),
            memory_limit: self.memory_limit.or(base.memory_limit),
            pods: self.pods.or(base.pods),
            storage: self.storage.or(base.storage),
            pvcs: self.pvcs.or(base.pvcs),
            services: self.services.or(base.services),
            configmaps: self.configmaps.or(base.configmaps),
            secrets: self.secrets.or(base.secrets),
            counts,
            priority_classes: if self.priority_classes.is_empty() {
                base.priority_classes
            } else {
                self.priority_classes
            },
        }
    }

    /// A cpu or memory quota makes the apiserver reject pods that do not state requests/limits.
    pub fn constrains_compute(&self) -> bool {
        self.cpu.is_some() || self.memory.is_some() || self.cpu_limit.is_some() || self.memory_limit.is_some()
    }
}

/// `limits`: per-container defaults (LimitRange) for pods that state no resources.
#[derive(Debug, Clone)]
pub struct LimitsSpec {
    pub span: Span,
    pub default_cpu: Option<Spanned<Cpu>>,
    pub default_memory: Option<Spanned<Bytes>>,
    pub default_cpu_request: Option<Spanned<Cpu>>,
    pub default_memory_request: Option<Spanned<Bytes>>,
    pub max_cpu: Option<Spanned<Cpu>>,
    pub max_memory: Option<Spanned<Bytes>>,
    pub min_cpu: Option<Spanned<Cpu>>,
    pub min_memory: Option<Spanned<Bytes>>,
    /// `maxLimitRequestRatio`: a ratio (`2`, `1.5`), held like a CPU quantity (in thousandths) because
    /// Kubernetes writes and compares it as a Quantity.
    pub max_cpu_ratio: Option<Spanned<Cpu>>,
    pub max_memory_ratio: Option<Spanned<Cpu>>,
}

/// One LimitRange value as emitted, with where it comes from: the spec, or (`derived`) size `xs` when a
/// cpu/memory quota needs container defaults and the spec gives none; then `span` is the tenant's name.
#[derive(Debug, Clone, Copy)]
pub struct LimitValue<T> {
    pub value: T,
    pub span: Span,
    pub derived: bool,
}

/// The Container LimitRange a tenant gets: what the emitter writes and the admission check enforces.
#[derive(Debug, Clone, Default)]
pub struct EffectiveLimits {
    pub default_cpu: Option<LimitValue<Cpu>>,
    pub default_memory: Option<LimitValue<Bytes>>,
    pub default_cpu_request: Option<LimitValue<Cpu>>,
    pub default_memory_request: Option<LimitValue<Bytes>>,
    pub max_cpu: Option<LimitValue<Cpu>>,
    pub max_memory: Option<LimitValue<Bytes>>,
    pub min_cpu: Option<LimitValue<Cpu>>,
    pub min_memory: Option<LimitValue<Bytes>>,
    pub max_cpu_ratio: Option<LimitValue<Cpu>>,
    pub max_memory_ratio: Option<LimitValue<Cpu>>,
}

impl EffectiveLimits {
    pub fn is_empty(&self) -> bool {
        self.default_cpu.is_none()
            && self.default_memory.is_none()
            && self.default_cpu_request.is_none()
            && self.default_memory_request.is_none()
            && self.max_cpu.is_none()
            && self.max_memory.is_none()
            && self.min_cpu.is_none()
            && self.min_memory.is_none()
            && self.max_cpu_ratio.is_none()
            && self.max_memory_ratio.is_none()
    }
}

/// The spec's value, else the derived one.
pub fn limit_value<T: Copy>(own: Option<&Spanned<T>>, derived: Option<T>, at: Span) -> Option<LimitValue<T>> {
    match own {
        Some(v) => Some(LimitValue { value: v.value, span: v.span, derived: false }),
        None => derived.map(|value| LimitValue { value, span: at, derived: true }),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkMode {
    /// Default-deny in and out; DNS, the tenant's own namespace and declared peers allowed.
    Isolated,
    /// No NetworkPolicy at all.
    Open,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

/// An extra allowed peer of an isolated tenant: `egress namespace="kafka" port=9092`.
#[derive(Debug, Clone)]
pub struct NetworkRule {
    pub direction: Direction,
    pub namespace: Option<Spanned<String>>,
    pub cidr: Option<Spanned<String>>,
    pub ports: Vec<Spanned<u16>>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodSecurity {
    Restricted,
    Baseline,
    Privileged,
}

impl PodSecurity {
    pub fn as_str(self) -> &'static str {
        match self {
            PodSecurity::Restricted => "restricted",
            PodSecurity::Baseline => "baseline",
            PodSecurity::Privileged => "privileged",
        }
    }
}
