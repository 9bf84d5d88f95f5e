//! Tenant rules: valid and unique names and namespaces, known tiers and priority classes, quotas and
//! LimitRange defaults that can actually admit a pod, and network rules that say what they allow.

use crate::check::names::{dns1123_label, duplicates, require_label, reserved_prefix, suggest_label};
use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use crate::model::tenant::{DERIVED_DEFAULT_SIZE, LABEL_COST_CENTER};
use crate::model::{NetworkMode, Platform, QuotaSpec, Tenant};
use crate::source::Spanned;

pub fn check(p: &Platform, d: &mut Diagnostics) {
    duplicates(
        p.tenants.iter().map(|t| (t.name.value.as_str(), t.name.span)),
        "strata::tenant::duplicate",
        "tenant",
        "tenant names are unique across every file of the platform: rename or merge one",
        d,
    );
    duplicates(
        p.tenants
            .iter()
            .filter(|t| t.namespace.span != t.name.span)
            .map(|t| (t.namespace.value.as_str(), t.namespace.span)),
        "strata::tenant::duplicate-namespace",
        "namespace",
        "each tenant needs its own namespace",
        d,
    );
    // A namespace given explicitly may collide with another tenant's default (its name). Indexed once (the
    // first such tenant per name, as a scan would find it): a scan per tenant is quadratic in tenants.
    let mut by_default: std::collections::HashMap<&str, &Tenant> = std::collections::HashMap::new();
    for o in p.tenants.iter().filter(|o| o.namespace.span == o.name.span) {
        by_default.entry(o.name.value.as_str()).or_insert(o);
    }
    for t in &p.tenants {
        if t.namespace.span == t.name.span {
            continue;
        }
        if let Some(&other) = by_default.get(t.namespace.value.as_str()) {
            d.push(
                Diagnostic::error(
                    "strata::tenant::duplicate-namespace",
                    format!("namespace `{}` is used by two tenants", t.namespace.value),
                )
                .at(t.namespace.span, format!("tenant `{}` uses it", t.name.value))
                .also(other.name.span, format!("tenant `{}` uses it by default", other.name.value))
                .help("each tenant needs its own namespace"),
            );
        }
    }

    for t in &p.tenants {
        check_tenant(p, t, d);
    }
    check_priority_class_refs(p, d);
}

fn check_tenant(p: &Platform, t: &Tenant, d: &mut Diagnostics) {
    cost_center(t, d);
    if t.namespace.span == t.name.span {
        require_label(&t.name, "tenant name", "strata::tenant::name", d);
    } else {
        require_label(&t.namespace, "namespace", "strata::tenant::namespace", d);
    }
    if dns1123_label(&t.namespace.value).is_none() {
        if let Some(prefix) = reserved_prefix(&t.namespace.value) {
            d.push(
                Diagnostic::error(
                    "strata::tenant::reserved-namespace",
                    format!("namespace `{}` uses the reserved prefix `{prefix}`", t.namespace.value),
                )
                .at(t.namespace.span, "reserved for Kubernetes' own components")
                .help(format!(
                    "pick another namespace, e.g. `{}`",
                    suggest_label(t.namespace.value.trim_start_matches(prefix))
                )),
            );
        } else if ["default", "kube-system", "kube-public", "kube-node-lease"].contains(&t.namespace.value.as_str()) {
            d.push(
                Diagnostic::error(
                    "strata::tenant::reserved-namespace",
                    format!("namespace `{}` is a built-in namespace", t.namespace.value),
                )
                .at(t.namespace.span, "shared by the whole cluster")
                .help("a tenant needs a namespace of its own, e.g. its name"),
            );
        }
    }

    if let Some(tier) = &t.tier
        && p.presets.tier(&tier.value).is_none()
    {
        let names = p.presets.tier_names();
        d.push(
            Diagnostic::error("strata::tenant::unknown-tier", format!("unknown tier `{}`", tier.value))
                .at(tier.span, "no tier with this name")
                .help(match did_you_mean(&tier.value, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "define it with `tier \"{}\" {{ quota ... }}`, or use one of: {}",
                        tier.value,
                        names.join(", ")
                    ),
                }),
        );
    }

    if let Some(q) = &t.quota {
        check_quota_fields(q, d);
    }
    let quota = p.effective_quota(t);
    if let Some(q) = &quota {
        check_quota_consistency(t, q, d);
    }
    check_limits(p, t, quota.as_ref(), d);

    if t.network.value == NetworkMode::Open && !t.network_rules.is_empty() {
        d.push(
            Diagnostic::warning(
                "strata::tenant::network-rules-ignored",
                "network rules have no effect on an open tenant",
            )
            .at(t.network.span, "`open` emits no NetworkPolicy")
            .help("use `network \"isolated\"` to enforce these rules, or remove them"),
        );
    }
    for rule in &t.network_rules {
        match (&rule.namespace, &rule.cidr) {
            (None, None) | (Some(_), Some(_)) => d.push(
                Diagnostic::error(
                    "strata::tenant::network-peer",
                    "a network rule needs exactly one of `namespace` or `cidr`",
                )
                .at(rule.span, "which peer does this rule allow?")
                .help("write e.g. `egress 9092 namespace=\"kafka\"` or `egress 443 cidr=\"10.0.0.0/8\"`"),
            ),
            (Some(ns), None) => {
                require_label(ns, "namespace", "strata::tenant::network-peer", d);
            }
            (None, Some(cidr)) => {
                if !valid_cidr(&cidr.value) {
                    d.push(
                        Diagnostic::error(
                            "strata::tenant::network-cidr",
                            format!("`{}` is not a CIDR block", cidr.value),
                        )
                        .at(cidr.span, "expected an address and prefix length")
                        .help("write it like `10.0.0.0/8` or `2001:db8::/32`"),
                    );
                }
            }
        }
        for port in &rule.ports {
            if port.value == 0 {
                d.push(
                    Diagnostic::error("strata::tenant::network-port", "port 0 is not a port")
                        .at(port.span, "ports are 1-65535")
                        .help("give the service's port, e.g. 9092"),
                );
            }
        }
    }
    for (k, v) in &t.labels {
        if k.value.starts_with("app.kubernetes.io/")
            || k.value.starts_with("strata.dev/")
            || k.value.starts_with("pod-security.kubernetes.io/")
        {
            d.push(
                Diagnostic::error("strata::tenant::label-reserved", format!("label `{}` is set by strata", k.value))
                    .at(k.span, "reserved key")
                    .help("use another key; strata owns the app.kubernetes.io/, strata.dev/ and pod-security labels"),
            );
        }
        if let Some(why) = crate::check::names::qualified_name(&k.value) {
            d.push(
                Diagnostic::error(
                    "strata::tenant::label-key",
                    format!("`{}` is not a valid label key: {why}", k.value),
                )
                .at(k.span, "the API server refuses this key")
                .help(format!("write `[prefix/]name`, e.g. `acme.io/{}`", suggest_label(&k.value))),
            );
        }
        if crate::check::names::label_value(&v.value).is_some() {
            d.push(
                Diagnostic::error("strata::tenant::label-value", format!("`{}` is not a valid label value", v.value))
                    .at(v.span, "at most 63 letters, digits, `-`, `_` and `.`")
                    .help(format!("e.g. `{}`", suggest_label(&v.value))),
            );
        }
    }
}

/// `cost-center` is a label value, and the tenant's `label "cost-center"` would say the same thing twice.
fn cost_center(t: &Tenant, d: &mut Diagnostics) {
    let Some(cc) = &t.cost_center else { return };
    if crate::check::names::label_value(&cc.value).is_some() {
        d.push(
            Diagnostic::error(
                "strata::tenant::cost-center",
                format!("`{}` is not a valid cost centre: it becomes a label value", cc.value),
            )
            .at(cc.span, "at most 63 letters, digits, `-`, `_` and `.`")
            .help(format!("e.g. `{}`", suggest_label(&cc.value))),
        );
    }
    if let Some((k, _)) = t.labels.iter().find(|(k, _)| k.value == LABEL_COST_CENTER) {
        d.push(
            Diagnostic::error(
                "strata::tenant::cost-center",
                "the tenant sets the `cost-center` label twice: as `cost-center` and as a namespace `label`",
            )
            .at(k.span, "namespace label")
            .also(cc.span, "cost centre")
            .help("drop the `label`: `cost-center` puts the label on the namespace and on every object and pod"),
        );
    }
}

fn valid_cidr(s: &str) -> bool {
    let Some((addr, len)) = s.split_once('/') else { return false };
    let Ok(len) = len.parse::<u8>() else { return false };
    match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => len <= 32,
        Ok(std::net::IpAddr::V6(_)) => len <= 128,
        Err(_) => false,
    }
}

fn check_quota_fields(q: &QuotaSpec, d: &mut Diagnostics) {
    for (res, _) in &q.counts {
        let ok = !res.value.is_empty()
            && res
                .value
                .split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        if !ok {
            d.push(
                Diagnostic::error("strata::tenant::quota-count", format!("`{}` is not a resource to count", res.value))
                    .at(res.span, "expected `<plural>` or `<plural>.<group>`")
                    .help("write the lower-case plural and API group, e.g. \"sparkapplications.sparkoperator.k8s.io\" or \"jobs.batch\""),
            );
        } else if res.value.starts_with("count/") {
            d.push(
                Diagnostic::error("strata::tenant::quota-count", "strata adds the `count/` prefix itself")
                    .at(res.span, "remove `count/`")
                    .help(format!("write `count \"{}\" N`", res.value.trim_start_matches("count/"))),
            );
        }
    }
    let mut seen: Vec<&Spanned<String>> = Vec::new();
    for (res, _) in &q.counts {
        if let Some(first) = seen.iter().find(|s| s.value == res.value) {
            d.push(
                Diagnostic::error("strata::tenant::quota-count", format!("`{}` is counted twice", res.value))
                    .at(res.span, "again here")
                    .also(first.span, "first here")
                    .help("keep one `count` per resource"),
            );
        }
        seen.push(res);
    }
}

fn check_quota_consistency(t: &Tenant, q: &QuotaSpec, d: &mut Diagnostics) {
    if let (Some(req), Some(lim)) = (&q.cpu, &q.cpu_limit)
        && lim.value < req.value
    {
        d.push(
            Diagnostic::warning(
                "strata::tenant::quota-limit-below-request",
                format!("tenant `{}`: the quota's cpu-limit is below its cpu", t.name.value),
            )
            .at(lim.span, format!("limits.cpu {}", lim.value))
            .also(req.span, format!("requests.cpu {}", req.value))
            .help("every pod's limit is at least its request, so requests can never reach this quota; raise cpu-limit"),
        );
    }
    if let (Some(req), Some(lim)) = (&q.memory, &q.memory_limit)
        && lim.value < req.value
    {
        d.push(
            Diagnostic::warning(
                "strata::tenant::quota-limit-below-request",
                format!("tenant `{}`: the quota's memory-limit is below its memory", t.name.value),
            )
            .at(lim.span, format!("limits.memory {}", lim.value))
            .also(req.span, format!("requests.memory {}", req.value))
            .help(
                "every pod's limit is at least its request, so requests can never reach this quota; raise memory-limit",
            ),
        );
    }
    if let Some(pods) = &q.pods
        && pods.value == 0
    {
        d.push(
            Diagnostic::warning(
                "strata::tenant::quota-zero-pods",
                format!("tenant `{}` may run no pods", t.name.value),
            )
            .at(pods.span, "pods=0")
            .help("raise `pods`, or remove it to leave pods unlimited"),
        );
    }
}

/// The LimitRange strata emits must admit a default pod within the quota; when the spec gives no defaults
/// but the quota constrains cpu or memory, strata derives them from size `xs` and says so.
fn check_limits(p: &Platform, t: &Tenant, quota: Option<&QuotaSpec>, d: &mut Diagnostics) {
    if let Some(l) = &t.limits {
        let (cpu_quota, memory_quota) =
            (quota.and_then(|q| q.cpu_limit.as_ref()), quota.and_then(|q| q.memory_limit.as_ref()));
        above(l.default_cpu_request.as_ref(), l.default_cpu.as_ref(), d, |r, li| {
            order_error("default-cpu-request", "default-cpu", r, li, "a container's request may not exceed its limit")
        });
        above(l.default_memory_request.as_ref(), l.default_memory.as_ref(), d, |r, li| {
            order_error(
                "default-memory-request",
                "default-memory",
                r,
                li,
                "a container's request may not exceed its limit",
            )
        });
        above(l.default_cpu.as_ref(), l.max_cpu.as_ref(), d, |def, max| {
            Diagnostic::error("strata::tenant::limits-order", "default-cpu is above max-cpu")
                .at(def.span, "default")
                .also(max.span, "max")
                .help("the default limit must be within the maximum")
        });
        above(l.default_memory.as_ref(), l.max_memory.as_ref(), d, |def, max| {
            Diagnostic::error("strata::tenant::limits-order", "default-memory is above max-memory")
                .at(def.span, "default")
                .also(max.span, "max")
                .help("the default limit must be within the maximum")
        });
        above(l.default_cpu.as_ref(), cpu_quota, d, |def, q| over_quota(t, "default-cpu", "limits.cpu", def, q));
        above(l.default_memory.as_ref(), memory_quota, d, |def, q| {
            over_quota(t, "default-memory", "limits.memory", def, q)
        });
    }
    let needs_defaults = quota.is_some_and(QuotaSpec::constrains_compute);
    let has_defaults = t.limits.as_ref().is_some_and(|l| l.default_cpu.is_some() && l.default_memory.is_some());
    if needs_defaults && !has_defaults {
        let xs = p.presets.size(DERIVED_DEFAULT_SIZE);
        let detail = xs.map_or(String::new(), |s| {
            format!(
                " (requests cpu {} memory {}, limits cpu {} memory {})",
                s.cpu.value,
                s.memory.value,
                s.cpu_limit(),
                s.memory_limit()
            )
        });
        d.push(
            Diagnostic::note("strata::tenant::derived-limits", format!("tenant `{}`: container defaults derived from size `{DERIVED_DEFAULT_SIZE}`{detail}", t.name.value))
                .at(t.name.span, "its quota limits cpu/memory, so pods without requests would be rejected")
                .help(format!(
                    "strata adds a LimitRange with these defaults; set your own with `limits default-cpu=... default-memory=...` inside `tenant \"{}\"`",
                    t.name.value
                )),
        );
    }
}

/// Reports `low` when both are given and it is above `high`.
fn above<T: PartialOrd>(
    low: Option<&Spanned<T>>,
    high: Option<&Spanned<T>>,
    d: &mut Diagnostics,
    report: impl FnOnce(&Spanned<T>, &Spanned<T>) -> Diagnostic,
) {
    if let (Some(low), Some(high)) = (low, high)
        && low.value > high.value
    {
        d.push(report(low, high));
    }
}

fn order_error<T: std::fmt::Display>(
    low_name: &str,
    high_name: &str,
    low: &Spanned<T>,
    high: &Spanned<T>,
    help: &str,
) -> Diagnostic {
    Diagnostic::error("strata::tenant::limits-order", format!("{low_name} is above {high_name}"))
        .at(low.span, format!("{low_name} {}", low.value))
        .also(high.span, format!("{high_name} {}", high.value))
        .help(help)
}

fn over_quota<T: std::fmt::Display>(t: &Tenant, name: &str, key: &str, def: &Spanned<T>, q: &Spanned<T>) -> Diagnostic {
    Diagnostic::error(
        "strata::tenant::limits-over-quota",
        format!("tenant `{}`: {name} is above the whole quota", t.name.value),
    )
    .at(def.span, format!("default limit {}", def.value))
    .also(q.span, format!("quota {key} {}", q.value))
    .help(format!("no pod using the default could ever be admitted: lower {name} or raise the quota"))
}

fn check_priority_class_refs(p: &Platform, d: &mut Diagnostics) {
    let names = p.presets.priority_class_names();
    for r in p.priority_class_refs() {
        if p.presets.priority_class(&r.value).is_none() {
            d.push(
                Diagnostic::error("strata::priority-class::unknown", format!("unknown priority class `{}`", r.value))
                    .at(r.span, "no priority class with this name")
                    .help(match did_you_mean(&r.value, names.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!(
                            "define it with `priority-class \"{}\" value=...`, or use one of: {}",
                            r.value,
                            names.join(", ")
                        ),
                    }),
            );
        }
    }
}
