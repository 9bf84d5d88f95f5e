//! Lowers `tenant` nodes and their `quota`, `limits`, `network`, `label`, `cost-center` and `budget` children.

use kdl::KdlNode;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::lang::reader::{NodeReader, Scalar, one_of, unknown_node};
use crate::model::cost::{BUDGET, Price};
use crate::model::{Budget, Direction, LimitsSpec, NetworkMode, NetworkRule, Platform, PodSecurity, QuotaSpec, Tenant};
use crate::source::{FileId, Spanned};

const TENANT_CHILDREN: &[&str] = &["quota", "limits", "network", "label", "cost-center", "budget"];

pub fn lower_tenant(node: &KdlNode, file: FileId, p: &mut Platform, d: &mut Diagnostics) {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let name = r.arg::<String>("the tenant's name", d);
    let namespace = r.prop::<String>("namespace", d);
    let tier = r.prop::<String>("tier", d);
    let pod_security = r.prop::<String>("pod-security", d).and_then(|v| {
        let s = one_of(&v, &["restricted", "baseline", "privileged"], "Pod Security level", d)?;
        let level = match s {
            "baseline" => PodSecurity::Baseline,
            "privileged" => PodSecurity::Privileged,
            _ => PodSecurity::Restricted,
        };
        Some(Spanned::new(level, v.span))
    });
    let priority_class = r.prop::<String>("priority-class", d);
    let topic_prefix = r.prop::<String>("topic-prefix", d);

    let mut quota = None;
    let mut limits = None;
    let mut network = None;
    let mut network_rules = Vec::new();
    let mut labels = Vec::new();
    let mut cost_center: Option<Spanned<String>> = None;
    let mut budget: Option<Budget> = None;
    for child in r.children() {
        match child.name().value() {
            "quota" => quota = lower_quota(child, file, d),
            "limits" => limits = Some(lower_limits(child, file, d)),
            "network" => {
                let (mode, rules) = lower_network(child, file, d);
                network = mode;
                network_rules = rules;
            }
            "label" => {
                let mut c = NodeReader::new(child, file);
                let k = c.arg::<String>("the label's key", d);
                let v = c.arg::<String>("the label's value", d);
                c.finish(false, d);
                if let (Some(k), Some(v)) = (k, v) {
                    labels.push((k, v));
                }
            }
            "cost-center" => {
                let mut c = NodeReader::new(child, file);
                let v = c.arg::<String>("the cost centre, e.g. \"cc-4120\"", d);
                c.finish(false, d);
                if let (Some(v), Some(first)) = (&v, &cost_center) {
                    d.push(
                        Diagnostic::error("strata::tenant::cost-center", "the tenant has two `cost-center` nodes")
                            .at(v.span, "second here")
                            .also(first.span, "first here")
                            .help("keep one: a tenant has one cost centre"),
                    );
                } else if v.is_some() {
                    cost_center = v;
                }
            }
            "budget" => {
                let b = lower_budget(child, file, d);
                if let Some(first) = &budget {
                    d.push(
                        Diagnostic::error(BUDGET, "a tenant has one `budget`")
                            .at(b.span, "given again here")
                            .also(first.span, "first given here")
                            .help("keep one `budget` node"),
                    );
                } else {
                    budget = Some(b);
                }
            }
            _ => unknown_node(child, file, "`tenant`", TENANT_CHILDREN, d),
        }
    }
    r.finish(true, d);
    let Some(name) = name else { return };
    let namespace = namespace.unwrap_or_else(|| name.clone());
    p.add_tenant(Tenant {
        network: network.unwrap_or(Spanned::new(NetworkMode::Isolated, span)),
        pod_security: pod_security.unwrap_or(Spanned::new(PodSecurity::Restricted, span)),
        name,
        namespace,
        tier,
        quota,
        limits,
        network_rules,
        priority_class,
        labels,
        topic_prefix,
        cost_center,
        budget,
        span,
    });
}

/// `budget monthly="1200" currency="EUR"`: an amount the cost model can compare exactly, so a decimal
/// string (or a whole number) with at most 9 decimals, more than zero.
fn lower_budget(node: &KdlNode, file: FileId, d: &mut Diagnostics) -> Budget {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let had = node.entries().iter().any(|e| e.name().is_some_and(|n| n.value() == "monthly"));
    let raw = r.prop::<Scalar>("monthly", d);
    let currency = r.prop::<String>("currency", d);
    r.finish(false, d);
    if !had {
        d.push(
            Diagnostic::error(BUDGET, "`budget` needs `monthly`")
                .at(span, "no amount")
                .help("give the most the tenant may spend in an average month, e.g. `budget monthly=\"1200\"`"),
        );
    }
    let monthly = raw.and_then(|v| {
        let amount = |s: &str| {
            Price::parse(s).map_err(|e| {
                // Price's own words are about `pricing`; a budget says what it expects.
                if e.contains("not a price") { format!("`{s}` holds more than digits and one decimal point") } else { e }
            })
        };
        let parsed = match &v.value {
            Scalar::Str(s) => amount(s),
            Scalar::Int(i) if *i >= 0 => amount(&i.to_string()),
            Scalar::Float(f) => Err(format!("{f} is a floating-point number, which cannot be kept exactly")),
            other => Err(format!("`{other}` is not an amount")),
        };
        match parsed {
            Ok(p) if p.0 > 0 => Some(Spanned::new(p, v.span)),
            Ok(_) => {
                d.push(
                    Diagnostic::error(BUDGET, "a budget of 0 is exceeded by any workload")
                        .at(v.span, "zero")
                        .help("give the most the tenant may spend a month, or remove the `budget` node"),
                );
                None
            }
            Err(e) => {
                d.push(
                    Diagnostic::error(BUDGET, format!("the budget is not an amount: {e}"))
                        .at(v.span, "not an amount")
                        .help("write the amount alone as a decimal string, e.g. `monthly=\"1200\"` or `monthly=\"950.50\"`; the currency is the pricing's (`currency=` may repeat it)"),
                );
                None
            }
        }
    });
    Budget { span, monthly, currency }
}

pub fn lower_quota(node: &KdlNode, file: FileId, d: &mut Diagnostics) -> Option<QuotaSpec> {
    let mut r = NodeReader::new(node, file);
    let mut q = QuotaSpec {
        span: Some(r.name_span()),
        cpu: r.prop("cpu", d),
        memory: r.prop("memory", d),
        cpu_limit: r.prop("cpu-limit", d),
        memory_limit: r.prop("memory-limit", d),
        pods: r.prop("pods", d),
        storage: r.prop("storage", d),
        pvcs: r.prop("pvcs", d),
        services: r.prop("services", d),
        configmaps: r.prop("configmaps", d),
        secrets: r.prop("secrets", d),
        ..QuotaSpec::default()
    };
    for child in r.children() {
        let mut c = NodeReader::new(child, file);
        match c.name() {
            "count" => {
                let res = c.arg::<String>("the resource to count, e.g. \"sparkapplications.sparkoperator.k8s.io\"", d);
                let n = c.arg::<u64>("the maximum number of objects", d);
                c.finish(false, d);
                if let (Some(res), Some(n)) = (res, n) {
                    q.counts.push((res, n));
                }
            }
            "priority-classes" => {
                q.priority_classes = c.rest_args::<String>("priority class name", d);
                if q.priority_classes.is_empty() {
                    c.arg::<String>("at least one priority class name", d);
                }
                c.finish(false, d);
            }
            _ => unknown_node(child, file, "`quota`", &["count", "priority-classes"], d),
        }
    }
    r.finish(true, d);
    Some(q)
}

fn lower_limits(node: &KdlNode, file: FileId, d: &mut Diagnostics) -> LimitsSpec {
    let mut r = NodeReader::new(node, file);
    let l = LimitsSpec {
        span: r.name_span(),
        default_cpu: r.prop("default-cpu", d),
        default_memory: r.prop("default-memory", d),
        default_cpu_request: r.prop("default-cpu-request", d),
        default_memory_request: r.prop("default-memory-request", d),
        max_cpu: r.prop("max-cpu", d),
        max_memory: r.prop("max-memory", d),
        min_cpu: r.prop("min-cpu", d),
        min_memory: r.prop("min-memory", d),
        max_cpu_ratio: r.prop("max-cpu-ratio", d),
        max_memory_ratio: r.prop("max-memory-ratio", d),
    };
    r.finish(false, d);
    l
}

fn lower_network(
    node: &KdlNode,
    file: FileId,
    d: &mut Diagnostics,
) -> (Option<Spanned<NetworkMode>>, Vec<NetworkRule>) {
    let mut r = NodeReader::new(node, file);
    let mode = r.arg::<String>("the network mode (\"isolated\" or \"open\")", d).and_then(|m| {
        let s = one_of(&m, &["isolated", "open"], "network mode", d)?;
        Some(Spanned::new(if s == "open" { NetworkMode::Open } else { NetworkMode::Isolated }, m.span))
    });
    let mut rules = Vec::new();
    for child in r.children() {
        let mut c = NodeReader::new(child, file);
        let direction = match c.name() {
            "egress" => Direction::Egress,
            "ingress" => Direction::Ingress,
            _ => {
                unknown_node(child, file, "`network`", &["egress", "ingress"], d);
                continue;
            }
        };
        let span = c.name_span();
        let ports = c.rest_args::<u16>("port", d);
        let namespace = c.prop::<String>("namespace", d);
        let cidr = c.prop::<String>("cidr", d);
        c.finish(false, d);
        rules.push(NetworkRule { direction, namespace, cidr, ports, span });
    }
    r.finish(true, d);
    (mode, rules)
}
