//! Quota object counts name a resource as the API server's quota evaluator does: `count/<resource>` for
//! the core group, `count/<resource>.<group>` for every other group (Kubernetes docs, "Resource Quotas",
//! object count quota). `count "sparkapplications" 10` is accepted by the API server and counts nothing,
//! since no core resource has that name; this check catches it with the group to add.

use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use crate::model::{Platform, QuotaSpec};

/// Namespaced resources of the core (`""`) API group, which a quota counts without a group.
pub const CORE_RESOURCES: &[&str] = &[
    "configmaps",
    "endpoints",
    "events",
    "limitranges",
    "persistentvolumeclaims",
    "pods",
    "podtemplates",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "serviceaccounts",
    "services",
];

/// `<plural>.<group>` of the kinds strata emits or tenants commonly count: the candidates for a
/// did-you-mean when a group is missing.
pub const KNOWN_GROUP_RESOURCES: &[&str] = &[
    crate::model::spark::APPLICATION_RESOURCE,
    crate::model::spark::SCHEDULED_RESOURCE,
    "flinkdeployments.flink.apache.org",
    "flinksessionjobs.flink.apache.org",
    "kafkatopics.kafka.strimzi.io",
    "kafkausers.kafka.strimzi.io",
    "deployments.apps",
    "statefulsets.apps",
    "replicasets.apps",
    "daemonsets.apps",
    "jobs.batch",
    "cronjobs.batch",
    "ingresses.networking.k8s.io",
    "networkpolicies.networking.k8s.io",
    "roles.rbac.authorization.k8s.io",
    "rolebindings.rbac.authorization.k8s.io",
    "horizontalpodautoscalers.autoscaling",
    "poddisruptionbudgets.policy",
];

pub fn check(p: &Platform, d: &mut Diagnostics) {
    for t in &p.tenants {
        if let Some(q) = &t.quota {
            check_counts(q, d);
        }
    }
    for tier in &p.presets.tiers {
        if let Some(q) = &tier.quota {
            check_counts(q, d);
        }
    }
}

fn check_counts(q: &QuotaSpec, d: &mut Diagnostics) {
    for (res, _) in &q.counts {
        let name = res.value.as_str();
        // Malformed names and a `count/` prefix are `strata::tenant::quota-count`, reported elsewhere.
        if name.is_empty() || name.contains('.') || name.contains('/') || CORE_RESOURCES.contains(&name) {
            continue;
        }
        if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            continue;
        }
        let exact = KNOWN_GROUP_RESOURCES.iter().copied().find(|k| k.split('.').next() == Some(name));
        let plurals = KNOWN_GROUP_RESOURCES.iter().filter_map(|k| k.split('.').next());
        let guess = exact.or_else(|| {
            did_you_mean(name, plurals)
                .and_then(|pl| KNOWN_GROUP_RESOURCES.iter().copied().find(|k| k.split('.').next() == Some(pl)))
        });
        let core = did_you_mean(name, CORE_RESOURCES.iter().copied());
        let help = match (guess, core) {
            (Some(g), _) => format!("add its API group: `count \"{g}\" N`"),
            (None, Some(c)) => format!("did you mean the core resource `{c}`?"),
            (None, None) => "name the resource as `<plural>.<group>`, e.g. \"jobs.batch\"; only core resources (pods, services, configmaps, ...) go without a group".to_string(),
        };
        d.push(
            Diagnostic::error(
                "strata::tenant::quota-count-group",
                format!("`count \"{name}\"` counts nothing: `{name}` is not a core resource and has no API group"),
            )
            .at(res.span, "a quota counts `count/<resource>.<group>` for resources outside the core group")
            .help(help),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::compile;

    fn codes(src: &str) -> Vec<(String, String)> {
        let c = compile(src);
        c.diagnostics
            .sorted()
            .into_iter()
            .filter(|d| d.code.starts_with("strata::tenant::quota-count"))
            .map(|d| (d.code.to_string(), d.help.clone().unwrap_or_default()))
            .collect()
    }

    #[test]
    fn counts_outside_the_core_group_need_their_group() {
        let found = codes(
            r#"
tenant "t" {
    quota {
        count "sparkapplications" 10
        count "pods" 10
        count "configmaps" 5
        count "jobs.batch" 3
        count "flinkdeployment" 2
        count "widgets" 1
    }
}
"#,
        );
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].1.contains("sparkapplications.sparkoperator.k8s.io"), "{found:?}");
        assert!(found[1].1.contains("flinkdeployments.flink.apache.org"), "{found:?}");
        assert!(found[2].1.contains("<plural>.<group>"), "{found:?}");
    }
}
