//! A tenant becomes its Namespace (with Pod Security labels), ResourceQuota, LimitRange (so pods without
//! requests are admitted under a cpu/memory quota) and, when isolated, a default-deny NetworkPolicy plus one
//! NetworkPolicy per kind of flow the platform needs (`model::network`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    LimitRange, LimitRangeItem, LimitRangeSpec, Namespace, ResourceQuota, ResourceQuotaSpec, ScopeSelector,
    ScopedResourceSelectorRequirement,
};
use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::emit::meta;
use crate::manifest::{Census, ManifestSet, Placement, Stage};
use crate::model::network::{End, Flow};
use crate::model::resolved::{self, ResolvedPlatform};
use crate::model::{Direction, EffectiveLimits, LimitValue, NetworkMode, NetworkRule, QuotaSpec, Tenant};
use crate::units::{Bytes, Cpu};

pub const QUOTA_NAME: &str = "tenant-quota";
/// With `priority-classes`: the unscoped part of the tenant's quota, which a PriorityClass scope cannot hold.
pub const OBJECTS_QUOTA_NAME: &str = "tenant-quota-objects";
pub const LIMITS_NAME: &str = "tenant-defaults";
pub const NETWORK_POLICY_NAME: &str = "tenant-isolation";
/// On each `strata-flow-<id>` NetworkPolicy: one line per flow it allows, with what needs it.
pub const FLOW_ANNOTATION: &str = "strata.dev/flow";
/// The label Kubernetes (1.21+) puts on every namespace with its own name: selects peer namespaces.
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The objects of `tenants`, which depend on no other tenant: a run of tenants can be emitted on another
/// core.
pub fn emit_tenants(tenants: &[crate::model::resolved::Tenant], set: &mut ManifestSet) {
    for t in tenants {
        let at = |stage| Placement { stage, tenant: Some(t.name().to_string()), span: t.spec.name.span };
        set.add_typed(&namespace(&t.spec), at(Stage::Cluster));
        if let Some(q) = &t.quota {
            for rq in resource_quotas(&t.spec, q) {
                set.add_typed(&rq, at(Stage::Tenancy));
            }
        }
        if let Some(l) = &t.limits {
            set.add_typed(&limit_range(&t.spec, l), at(Stage::Tenancy));
        }
        if t.spec.network.value == NetworkMode::Isolated {
            set.add_typed(&network_policy(&t.spec), at(Stage::Tenancy));
            for (policy, span) in flow_policies(t) {
                set.add_typed(&policy, Placement { stage: Stage::Tenancy, tenant: Some(t.name().to_string()), span });
            }
        }
    }
}

fn namespace(t: &Tenant) -> Namespace {
    let mut m = meta(&t.namespace.value, None);
    let level = t.pod_security.value.as_str().to_string();
    let mut labels: BTreeMap<String, String> =
        t.labels.iter().map(|(k, v)| (k.value.clone(), v.value.clone())).collect();
    for mode in ["enforce", "audit", "warn"] {
        labels.insert(format!("pod-security.kubernetes.io/{mode}"), level.clone());
        labels.insert(format!("pod-security.kubernetes.io/{mode}-version"), "latest".to_string());
    }
    m.labels = Some(labels);
    Namespace { metadata: m, ..Default::default() }
}

fn q(s: impl ToString) -> Quantity {
    Quantity(s.to_string())
}

/// The quota keys a PriorityClass scope may constrain: the API server refuses any other standard resource
/// under that scope ("unsupported scope applied to resource"; kubernetes pkg/apis/core/helper/helpers.go
/// `IsResourceQuotaScopeValidForResource`, called from pkg/apis/core/validation/validation.go
/// `validateScopeSelector`, v1.36). `count/<resource>` keys pass validation but count nothing under a scope
/// (the object-count evaluator matches no scope: pkg/quota/v1/generic/evaluator.go `MatchesNoScopeFunc`), so
/// they also go to the unscoped object; except `count/pods`, which the pod evaluator counts, scopes
/// included (pkg/quota/v1/evaluator/core/pods.go `podResources`).
pub const SCOPABLE_QUOTA_KEYS: [&str; 8] =
    ["pods", "count/pods", "cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"];

/// The objects [`emit_tenants`] adds for every tenant, as headers ([`Census`]), in the same order.
pub fn census(p: &ResolvedPlatform, c: &mut Census) {
    for t in &p.tenants {
        let at = |stage| Placement { stage, tenant: Some(t.name().to_string()), span: t.spec.name.span };
        let ns = Some(t.namespace());
        c.typed::<Namespace>(t.namespace(), None, at(Stage::Cluster));
        if let Some(q) = &t.quota {
            // A handful of small objects per tenant: built for their names rather than re-deriving the split.
            for rq in resource_quotas(&t.spec, q) {
                c.typed::<ResourceQuota>(rq.metadata.name.as_deref().unwrap_or_default(), ns, at(Stage::Tenancy));
            }
        }
        if t.limits.is_some() {
            c.typed::<LimitRange>(LIMITS_NAME, ns, at(Stage::Tenancy));
        }
        if t.spec.network.value == NetworkMode::Isolated {
            c.typed::<NetworkPolicy>(NETWORK_POLICY_NAME, ns, at(Stage::Tenancy));
            // One policy per flow id, named and placed after its first flow, as in `flow_policies`.
            let mut ids: Vec<&str> = t.flows.iter().map(|f| f.id).collect();
            ids.dedup();
            for id in ids {
                let Some(first) = t.flows.iter().find(|f| f.id == id) else { continue };
                let at = Placement { stage: Stage::Tenancy, tenant: Some(t.name().to_string()), span: first.span };
                c.typed::<NetworkPolicy>(&first.policy_name(), ns, at);
            }
        }
    }
}

/// The tenant's ResourceQuota: one object, or with `priority-classes` the compute part scoped to those
/// classes ([`QUOTA_NAME`]) and the rest (storage, claims, object counts) unscoped ([`OBJECTS_QUOTA_NAME`]).
fn resource_quotas(t: &Tenant, quota: &QuotaSpec) -> Vec<ResourceQuota> {
    let mut hard = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            hard.insert(k.to_string(), q(v));
        }
    };
    put("requests.cpu", quota.cpu.as_ref().map(|v| v.value.to_string()));
    put("requests.memory", quota.memory.as_ref().map(|v| v.value.to_string()));
    put("limits.cpu", quota.cpu_limit.as_ref().map(|v| v.value.to_string()));
    put("limits.memory", quota.memory_limit.as_ref().map(|v| v.value.to_string()));
    put("pods", quota.pods.as_ref().map(|v| v.value.to_string()));
    put("requests.storage", quota.storage.as_ref().map(|v| v.value.to_string()));
    put("persistentvolumeclaims", quota.pvcs.as_ref().map(|v| v.value.to_string()));
    put("services", quota.services.as_ref().map(|v| v.value.to_string()));
    put("configmaps", quota.configmaps.as_ref().map(|v| v.value.to_string()));
    put("secrets", quota.secrets.as_ref().map(|v| v.value.to_string()));
    for (res, n) in &quota.counts {
        hard.insert(format!("count/{}", res.value), q(n.value));
    }
    let object = |name: &str, hard: BTreeMap<String, Quantity>, scope_selector: Option<ScopeSelector>| ResourceQuota {
        metadata: meta(name, Some(&t.namespace.value)),
        spec: Some(ResourceQuotaSpec { hard: Some(hard), scope_selector, scopes: None }),
        ..Default::default()
    };
    if quota.priority_classes.is_empty() {
        return vec![object(QUOTA_NAME, hard, None)];
    }
    let scope_selector = ScopeSelector {
        match_expressions: Some(vec![ScopedResourceSelectorRequirement {
            scope_name: "PriorityClass".to_string(),
            operator: "In".to_string(),
            values: Some(quota.priority_classes.iter().map(|p| p.value.clone()).collect()),
        }]),
    };
    let (scoped, unscoped): (BTreeMap<_, _>, BTreeMap<_, _>) =
        hard.into_iter().partition(|(k, _)| SCOPABLE_QUOTA_KEYS.contains(&k.as_str()));
    let mut out = Vec::new();
    if !scoped.is_empty() {
        out.push(object(QUOTA_NAME, scoped, Some(scope_selector)));
    }
    if !unscoped.is_empty() {
        out.push(object(OBJECTS_QUOTA_NAME, unscoped, None));
    }
    out
}

/// Container defaults and bounds: [`crate::model::Platform::effective_limits`], which the admission check
/// enforces too.
fn limit_range(t: &Tenant, l: &EffectiveLimits) -> LimitRange {
    let map = |pairs: [(&str, Option<String>); 2]| {
        let m: BTreeMap<String, Quantity> =
            pairs.into_iter().filter_map(|(k, v)| Some((k.to_string(), q(v?)))).collect();
        (!m.is_empty()).then_some(m)
    };
    let cpu = |v: &Option<LimitValue<Cpu>>| v.map(|v| v.value.to_string());
    let mem = |v: &Option<LimitValue<Bytes>>| v.map(|v| v.value.to_string());
    let item = LimitRangeItem {
        type_: "Container".to_string(),
        default: map([("cpu", cpu(&l.default_cpu)), ("memory", mem(&l.default_memory))]),
        default_request: map([("cpu", cpu(&l.default_cpu_request)), ("memory", mem(&l.default_memory_request))]),
        max: map([("cpu", cpu(&l.max_cpu)), ("memory", mem(&l.max_memory))]),
        min: map([("cpu", cpu(&l.min_cpu)), ("memory", mem(&l.min_memory))]),
        max_limit_request_ratio: map([("cpu", cpu(&l.max_cpu_ratio)), ("memory", cpu(&l.max_memory_ratio))]),
    };
    LimitRange {
        metadata: meta(LIMITS_NAME, Some(&t.namespace.value)),
        spec: Some(LimitRangeSpec { limits: vec![item] }),
    }
}

fn select_all() -> LabelSelector {
    LabelSelector::default()
}

fn namespace_peer(ns: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer { namespace_selector: Some(namespace_selector(ns)), ..Default::default() }
}

fn namespace_selector(ns: &str) -> LabelSelector {
    LabelSelector {
        match_labels: Some(BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), ns.to_string())])),
        ..Default::default()
    }
}

fn ports(rule: &NetworkRule) -> Option<Vec<NetworkPolicyPort>> {
    (!rule.ports.is_empty()).then(|| {
        rule.ports
            .iter()
            .map(|p| NetworkPolicyPort {
                port: Some(IntOrString::Int(i32::from(p.value))),
                protocol: Some("TCP".into()),
                end_port: None,
            })
            .collect()
    })
}

fn peer(rule: &NetworkRule) -> NetworkPolicyPeer {
    match (&rule.namespace, &rule.cidr) {
        (Some(ns), _) => namespace_peer(&ns.value),
        (None, Some(cidr)) => NetworkPolicyPeer {
            ip_block: Some(IPBlock { cidr: cidr.value.clone(), except: None }),
            ..Default::default()
        },
        (None, None) => NetworkPolicyPeer::default(),
    }
}

/// Default deny both ways, plus the rules the tenant wrote, as written. Every flow the platform needs is a
/// NetworkPolicy of its own (see [`flow_policies`]); NetworkPolicies add up, so those open exactly the
/// flows and this one closes the rest.
fn network_policy(t: &Tenant) -> NetworkPolicy {
    let mut ingress = Vec::new();
    let mut egress = Vec::new();
    for rule in &t.network_rules {
        match rule.direction {
            Direction::Ingress => {
                ingress.push(NetworkPolicyIngressRule { from: Some(vec![peer(rule)]), ports: ports(rule) })
            }
            Direction::Egress => {
                egress.push(NetworkPolicyEgressRule { to: Some(vec![peer(rule)]), ports: ports(rule) })
            }
        }
    }
    NetworkPolicy {
        metadata: meta(NETWORK_POLICY_NAME, Some(&t.namespace.value)),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(select_all()),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ingress: (!ingress.is_empty()).then_some(ingress),
            egress: (!egress.is_empty()).then_some(egress),
        }),
    }
}

/// The pods a flow's end selects: `matchLabels` for single values, `In` expressions for several.
fn pod_selector(selectors: &[(String, Vec<String>)]) -> LabelSelector {
    let mut labels = BTreeMap::new();
    let mut exprs = Vec::new();
    for (key, values) in selectors {
        match values.as_slice() {
            [one] => {
                labels.insert(key.clone(), one.clone());
            }
            _ => exprs.push(LabelSelectorRequirement {
                key: key.clone(),
                operator: "In".to_string(),
                values: Some(values.clone()),
            }),
        }
    }
    LabelSelector {
        match_labels: (!labels.is_empty()).then_some(labels),
        match_expressions: (!exprs.is_empty()).then_some(exprs),
    }
}

/// The other end of a flow as a peer, seen from the tenant's namespace `ns`.
fn flow_peer(end: &End, ns: &str) -> NetworkPolicyPeer {
    match end {
        End::Pods { namespace, selectors, .. } => NetworkPolicyPeer {
            namespace_selector: (namespace != ns).then(|| namespace_selector(namespace)),
            pod_selector: (!selectors.is_empty() || namespace == ns).then(|| pod_selector(selectors)),
            ip_block: None,
        },
        // Never emitted: strata does not know the API server's addresses (see `model::network`).
        End::ApiServer => NetworkPolicyPeer::default(),
    }
}

fn flow_ports(flow: &Flow) -> Option<Vec<NetworkPolicyPort>> {
    (!flow.ports.is_empty()).then(|| {
        flow.ports
            .iter()
            .map(|(proto, port)| NetworkPolicyPort {
                port: Some(IntOrString::Int(i32::from(*port))),
                protocol: Some(proto.as_str().into()),
                end_port: None,
            })
            .collect()
    })
}

fn in_namespace<'a>(end: &'a End, ns: &str) -> Option<&'a [(String, Vec<String>)]> {
    match end {
        End::Pods { namespace, selectors, .. } if namespace == ns => Some(selectors),
        _ => None,
    }
}

/// One NetworkPolicy `strata-flow-<id>` per kind of flow strata allows, each rule for one flow, with the
/// annotation `strata.dev/flow` saying which flows it serves and why. A flow out of the namespace selects
/// its source pods and allows egress; a flow into it selects its target pods and allows ingress; a flow
/// inside it does both.
fn flow_policies(t: &resolved::Tenant) -> Vec<(NetworkPolicy, crate::source::Span)> {
    let ns = t.namespace();
    let flows = &t.flows;
    let mut ids: Vec<&str> = flows.iter().map(|f| f.id).collect();
    ids.dedup();
    let mut out = Vec::new();
    for id in ids {
        let group: Vec<&Flow> = flows.iter().filter(|f| f.id == id).collect();
        let mut ingress = Vec::new();
        let mut egress = Vec::new();
        let mut selected = None;
        for f in &group {
            if let Some(sel) = in_namespace(&f.from, ns) {
                selected.get_or_insert(sel);
                egress.push(NetworkPolicyEgressRule { to: Some(vec![flow_peer(&f.to, ns)]), ports: flow_ports(f) });
            }
            if let Some(sel) = in_namespace(&f.to, ns) {
                selected.get_or_insert(sel);
                ingress
                    .push(NetworkPolicyIngressRule { from: Some(vec![flow_peer(&f.from, ns)]), ports: flow_ports(f) });
            }
        }
        let mut types = Vec::new();
        if !ingress.is_empty() {
            types.push("Ingress".to_string());
        }
        if !egress.is_empty() {
            types.push("Egress".to_string());
        }
        let mut m = meta(&group[0].policy_name(), Some(ns));
        let about: Vec<String> =
            group.iter().map(|f| format!("{} — for {}", f.summary(), f.serves.join("; "))).collect();
        m.annotations = Some(BTreeMap::from([(FLOW_ANNOTATION.to_string(), about.join("\n"))]));
        let policy = NetworkPolicy {
            metadata: m,
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(pod_selector(selected.unwrap_or_default())),
                policy_types: Some(types),
                ingress: (!ingress.is_empty()).then_some(ingress),
                egress: (!egress.is_empty()).then_some(egress),
            }),
        };
        out.push((policy, group[0].span));
    }
    out
}
