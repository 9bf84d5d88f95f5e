//! A tenant becomes its Namespace (with Pod Security labels), ResourceQuota, LimitRange (so pods without
//! requests are admitted under a cpu/memory quota) and, when isolated, a default-deny NetworkPolicy.

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
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::emit::meta;
use crate::manifest::{ManifestSet, Placement, Stage};
use crate::model::{Direction, LimitValue, NetworkMode, NetworkRule, Platform, QuotaSpec, Tenant};
use crate::units::{Bytes, Cpu};

pub const QUOTA_NAME: &str = "tenant-quota";
/// With `priority-classes`: the unscoped part of the tenant's quota, which a PriorityClass scope cannot hold.
pub const OBJECTS_QUOTA_NAME: &str = "tenant-quota-objects";
pub const LIMITS_NAME: &str = "tenant-defaults";
pub const NETWORK_POLICY_NAME: &str = "tenant-isolation";
/// The label Kubernetes (1.21+) puts on every namespace with its own name: selects peer namespaces.
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

pub fn emit(p: &Platform, set: &mut ManifestSet) {
    for t in &p.tenants {
        let at = |stage| Placement { stage, tenant: Some(t.name.value.clone()), span: t.name.span };
        set.add_typed(&namespace(t), at(Stage::Cluster));
        let quota = p.effective_quota(t);
        if let Some(q) = &quota {
            for rq in resource_quotas(t, q) {
                set.add_typed(&rq, at(Stage::Tenancy));
            }
        }
        if let Some(lr) = limit_range(p, t) {
            set.add_typed(&lr, at(Stage::Tenancy));
        }
        if t.network.value == NetworkMode::Isolated {
            set.add_typed(&network_policy(p, t), at(Stage::Tenancy));
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

/// Container defaults and bounds: [`Platform::effective_limits`], which the admission check enforces too.
fn limit_range(p: &Platform, t: &Tenant) -> Option<LimitRange> {
    let l = p.effective_limits(t)?;
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
    Some(LimitRange {
        metadata: meta(LIMITS_NAME, Some(&t.namespace.value)),
        spec: Some(LimitRangeSpec { limits: vec![item] }),
    })
}

fn select_all() -> LabelSelector {
    LabelSelector::default()
}

fn namespace_peer(ns: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(LabelSelector {
            match_labels: Some(BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), ns.to_string())])),
            ..Default::default()
        }),
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

/// Default deny both ways, then allow: the tenant's own namespace, DNS, the declared peers, and the Kafka
/// clusters the tenant has users on.
fn network_policy(p: &Platform, t: &Tenant) -> NetworkPolicy {
    let same_namespace = NetworkPolicyPeer { pod_selector: Some(select_all()), ..Default::default() };
    let mut ingress = vec![NetworkPolicyIngressRule { from: Some(vec![same_namespace.clone()]), ports: None }];
    let dns_peer = NetworkPolicyPeer {
        namespace_selector: Some(LabelSelector {
            match_labels: Some(BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), "kube-system".to_string())])),
            ..Default::default()
        }),
        pod_selector: Some(LabelSelector {
            match_labels: Some(BTreeMap::from([("k8s-app".to_string(), "kube-dns".to_string())])),
            ..Default::default()
        }),
        ..Default::default()
    };
    let dns_ports = ["UDP", "TCP"]
        .into_iter()
        .map(|proto| NetworkPolicyPort {
            port: Some(IntOrString::Int(53)),
            protocol: Some(proto.into()),
            end_port: None,
        })
        .collect();
    let mut egress = vec![
        NetworkPolicyEgressRule { to: Some(vec![same_namespace]), ports: None },
        NetworkPolicyEgressRule { to: Some(vec![dns_peer]), ports: Some(dns_ports) },
    ];
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
    egress.extend(super::kafka::client_egress(p, t));
    NetworkPolicy {
        metadata: meta(NETWORK_POLICY_NAME, Some(&t.namespace.value)),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(select_all()),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ingress: Some(ingress),
            egress: Some(egress),
        }),
    }
}
