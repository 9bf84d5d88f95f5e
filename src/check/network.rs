//! Network flows: a connection the platform needs but the tenant's NetworkPolicies do not allow fails only
//! at run time (a Flink job its operator cannot manage, a client that cannot reach Kafka). These checks
//! report each such flow with both ends and the rule that would allow it, and `--explain` lists every
//! flow of every isolated tenant and what allows it.

use crate::check::names::require_label;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::network::{Allowed, ByTenant, Flow, flows};
use crate::model::{NetworkMode, Platform, Tenant};

pub fn check(p: &Platform, d: &mut Diagnostics) {
    if let Some(ns) = &p.operators.flink {
        require_label(ns, "Flink operator namespace", "strata::network::operator-namespace", d);
    }
    let by = ByTenant::new(p);
    for t in &p.tenants {
        if t.network.value != NetworkMode::Isolated {
            continue;
        }
        let fs = flows(p, &by, t);
        for f in fs.iter().filter(|f| f.allowed == Allowed::Blocked) {
            blocked(t, f, d);
        }
        explain(p, t, &fs, d);
    }
}

fn isolation_label(t: &Tenant) -> &'static str {
    if t.network.span == t.span || t.network.span == t.name.span {
        "isolated by default (no `network` node)"
    } else {
        "isolated"
    }
}

fn blocked(t: &Tenant, f: &Flow, d: &mut Diagnostics) {
    let tenant = &t.name.value;
    match f.id {
        // The Spark check reports its own flow (`strata::spark::apiserver-egress`).
        "spark-apiserver" => {}
        "flink-apiserver" => d.push(
            Diagnostic::warning(
                "strata::flink::apiserver-egress",
                format!("tenant `{tenant}` runs Flink but its network policy blocks the Kubernetes API"),
            )
            .at(t.network.span, format!("{}: egress only to DNS, the namespace and declared peers", isolation_label(t)))
            .also(f.span, "this JobManager must reach the API server to start its TaskManagers (native mode)")
            .help(format!(
                "allow the API server's addresses in tenant `{tenant}`'s `network` block, e.g. `egress 443 cidr=\"10.0.0.0/16\"`"
            ))
            .note_line(format!("flow `{}`: {}", f.id, f.summary())),
        ),
        _ => {
            let to_ns = match &f.to {
                crate::model::network::End::Pods { namespace, .. } => namespace.clone(),
                crate::model::network::End::ApiServer => String::new(),
            };
            let ports = f.ports.iter().map(|(_, p)| p.to_string()).collect::<Vec<_>>().join(" ");
            let mut diag = Diagnostic::warning(
                "strata::network::flow-blocked",
                format!("tenant `{tenant}`'s network rules block flow `{}`: {}", f.id, f.summary()),
            )
            .at(f.span, format!("needs {}", f.to.describe()))
            .help(format!("add `egress {ports} namespace=\"{to_ns}\"` to tenant `{tenant}`'s `network` block"))
            .note_line(format!("for {}", f.serves.join(", ")));
            if let Some(r) = t.network_rules.iter().find(|r| r.namespace.as_ref().is_some_and(|n| n.value == to_ns)) {
                diag = diag.also(r.span, "this rule replaces the one strata would add, and opens none of its ports");
            }
            d.push(diag);
        }
    }
}

fn explain(p: &Platform, t: &Tenant, fs: &[Flow], d: &mut Diagnostics) {
    let mut diag = Diagnostic::note(
        "strata::network::flows",
        format!("tenant `{}` needs {} network flow{}", t.name.value, fs.len(), if fs.len() == 1 { "" } else { "s" }),
    )
    .at(t.name.span, format!("{}: each flow below is allowed by the named NetworkPolicy or rule", isolation_label(t)));
    for f in fs {
        let how = match &f.allowed {
            Allowed::ByStrata => format!("NetworkPolicy `{}`", f.policy_name()),
            Allowed::ByTenantRule(_) => "the tenant's own rule".to_string(),
            Allowed::Blocked => "BLOCKED".to_string(),
            Allowed::Open => "open".to_string(),
        };
        diag = diag.note_line(format!("{}: {} [{how}] — for {}", f.id, f.summary(), f.serves.join("; ")));
    }
    if fs.iter().any(|f| f.id == "flink-operator") && p.operators.flink.is_none() {
        diag = diag.help(format!(
            "the Flink operator is assumed in namespace `{}`; if it runs elsewhere, say so: `operators {{ flink namespace=\"...\" }}` in `platform`",
            p.operators.flink_namespace()
        ));
    }
    d.push(diag);
}
