//! Airflow KubernetesExecutor rules: the pod template rules the executor relies on (a `base` container with
//! an image, a name), a namespace the executor actually uses, resolvable worker templates and sizes, limits
//! Airflow treats as "unlimited" or "never", quota-aware publish retries, and no secrets in the spec.

use crate::check::names::{duplicates, require_label};
use crate::check::presets::unknown_size;
use crate::check::workload::{check_env, check_image};
use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use crate::model::airflow::{Airflow, Executor, QUOTA_PUBLISH_RETRIES};
use crate::model::pod::EnvVar;
use crate::model::{Direction, NetworkMode, Platform, Tenant};
use crate::source::Spanned;

/// Worker env variables strata sets itself, and from what.
const OWNED_ENV: &[(&str, &str)] = &[
    ("AIRFLOW__CORE__EXECUTOR", "strata sets it to `LocalExecutor` in worker pods, as the Airflow chart does"),
    ("AIRFLOW_IS_K8S_EXECUTOR_POD", "the executor sets it on every task pod"),
];

pub fn check(p: &Platform, d: &mut Diagnostics) {
    let by_tenant = crate::check::names::by_tenant(&p.airflow.deployments, |a| a.tenant.value.as_str());
    for t in &p.tenants {
        duplicates(
            by_tenant.get(t.name.value.as_str()).into_iter().flatten().map(|a| (a.name.value.as_str(), a.name.span)),
            "strata::airflow::duplicate",
            "airflow",
            "airflow deployments of one tenant share its namespace: give each its own name",
            d,
        );
    }
    for a in &p.airflow.deployments {
        check_airflow(p, a, d);
    }
}

/// Reports a reference to a tenant that does not exist; returns the tenant when it does.
pub(crate) fn tenant_ref<'p>(
    p: &'p Platform,
    name: &Spanned<String>,
    code: &'static str,
    d: &mut Diagnostics,
) -> Option<&'p Tenant> {
    if let Some(t) = p.tenant(&name.value) {
        return Some(t);
    }
    let help = match did_you_mean(&name.value, p.tenants.iter().map(|t| t.name.value.as_str())) {
        Some(s) => format!("did you mean `{s}`?"),
        None => match p.tenants.iter().find(|t| t.namespace.value == name.value) {
            Some(t) => {
                format!("`{}` is the namespace of tenant `{}`: write the tenant's name", name.value, t.name.value)
            }
            None => format!(
                "define it with `tenant \"{}\"`, or use one of: {}",
                name.value,
                p.tenants.iter().map(|t| t.name.value.as_str()).collect::<Vec<_>>().join(", ")
            ),
        },
    };
    d.push(
        Diagnostic::error(code, format!("unknown tenant `{}`", name.value))
            .at(name.span, "no tenant with this name")
            .help(help),
    );
    None
}

fn check_airflow(p: &Platform, a: &Airflow, d: &mut Diagnostics) {
    require_label(&a.name, "airflow name", "strata::airflow::name", d);
    let tenant = tenant_ref(p, &a.tenant, "strata::airflow::unknown-tenant", d);
    if let Some(u) = &a.run_as_user
        && u.value == 0
    {
        d.push(
            Diagnostic::error("strata::airflow::run-as-user", "worker pods cannot run as root")
                .at(u.span, "uid 0 is root")
                .help("the official image runs as 50000: remove `run-as-user` or give a non-zero uid")
                .note_line("worker pods get a restricted security context (runAsNonRoot)"),
        );
    }
    check_worker_env(a, &a.env, d);
    let Some(ex) = &a.executor else { return };
    check_executor(p, a, ex, tenant, d);
}

fn check_worker_env(a: &Airflow, env: &[EnvVar], d: &mut Diagnostics) {
    for e in env {
        check_env(e, "strata::airflow::env-name", "strata::airflow::literal-secret", d);
        let owned = OWNED_ENV.iter().find(|(n, _)| *n == e.name.value).map(|(_, why)| why.to_string()).or_else(|| {
            match e.name.value.as_str() {
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" if a.metadata_db.is_some() => {
                    Some("`metadata-db` already sets it".to_string())
                }
                "AIRFLOW__CORE__FERNET_KEY" if a.fernet_key.is_some() => {
                    Some("`fernet-key` already sets it".to_string())
                }
                _ => None,
            }
        });
        if let Some(why) = owned {
            d.push(
                Diagnostic::error("strata::airflow::env-owned", format!("`{}` is set by strata", e.name.value))
                    .at(e.name.span, "set again here")
                    .help(format!("remove this `env`: {why}")),
            );
        }
    }
}

fn check_executor(p: &Platform, a: &Airflow, ex: &Executor, tenant: Option<&Tenant>, d: &mut Diagnostics) {
    let owner = format!("airflow `{}`", a.name.value);
    if let Some(image) = &ex.image {
        check_image(image, &owner, "strata::airflow::image", "strata::airflow::image-tag", d);
    }
    if let Some(m) = &ex.max_parallel_tasks
        && m.value == 0
    {
        d.push(
            Diagnostic::error("strata::airflow::max-parallel-tasks", "max-parallel-tasks=0 means no limit in Airflow")
                .at(m.span, "`[core] parallelism = 0` runs any number of task pods")
                .help("give the most task pods that may run at once, e.g. `max-parallel-tasks=16`; the tenant's quota must hold that many"),
        );
    }
    if let Some(b) = &ex.batch_size
        && b.value == 0
    {
        d.push(
            Diagnostic::error("strata::airflow::batch-size", "batch-size=0 never creates a task pod")
                .at(b.span, "the executor creates this many pods per scheduler loop")
                .help("use at least 1 (Airflow's default); larger batches start queued tasks faster"),
        );
    }
    check_publish_retries(p, ex, tenant, d);

    if ex.templates.is_empty() {
        d.push(
            Diagnostic::error("strata::airflow::no-templates", format!("{owner} has no worker template"))
                .at(ex.span, "the executor needs a pod template to start tasks")
                .help("add one inside `executor`: `worker-template \"default\" size=\"m\"`"),
        );
    }
    duplicates(
        ex.templates.iter().map(|t| (t.name.value.as_str(), t.name.span)),
        "strata::airflow::duplicate-template",
        "worker template",
        "each template is a file in the pod-templates ConfigMap: give each its own name",
        d,
    );
    let names: Vec<&str> = ex.templates.iter().map(|t| t.name.value.as_str()).collect();
    match &ex.default_template {
        Some(r) if !names.contains(&r.value.as_str()) => d.push(
            Diagnostic::error("strata::airflow::unknown-template", format!("unknown worker template `{}`", r.value))
                .at(r.span, "no worker template with this name")
                .help(match did_you_mean(&r.value, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "define it with `worker-template \"{}\" size=\"m\"`, or use one of: {}",
                        r.value,
                        names.join(", ")
                    ),
                }),
        ),
        None if names.len() > 1 && !names.contains(&"default") => d.push(
            Diagnostic::error(
                "strata::airflow::default-template",
                format!("{owner}: which worker template is the default?"),
            )
            .at(ex.span, format!("{} templates, none named `default`", names.len()))
            .help(format!("name one `default`, or say which with `default-template=\"{}\"` on `executor`", names[0]))
            .note_line("`pod_template_file` points at the default; tasks choose others with executor_config"),
        ),
        _ => {}
    }

    for t in &ex.templates {
        require_label(&t.name, "worker template name", "strata::airflow::template-name", d);
        if let Some(diag) = t.size.as_ref().and_then(|size| unknown_size(p, size, "strata::airflow::unknown-size")) {
            d.push(diag);
        }
        // Pod template rule: containers[0] is `base` and has an image (kubernetes_executor.rst, "Base image").
        match (&t.image, &ex.image) {
            (Some(image), _) => check_image(
                image,
                &format!("worker template `{}`", t.name.value),
                "strata::airflow::image",
                "strata::airflow::image-tag",
                d,
            ),
            (None, Some(_)) => {}
            (None, None) => d.push(
                Diagnostic::error("strata::airflow::image", format!("worker template `{}` has no image", t.name.value))
                    .at(t.name.span, "its `base` container needs an image")
                    .also(ex.span, "and the executor names none")
                    .help(
                        "set `image=\"apache/airflow:3.1.3\"` on `executor` (for every template) or on this template",
                    ),
            ),
        }
        if let Some(g) = &t.gpu
            && g.value == 0
        {
            d.push(
                Diagnostic::error("strata::airflow::gpu", "gpu=0 requests no GPU")
                    .at(g.span, "zero GPUs")
                    .help("remove `gpu`, or give the number of GPUs each task pod needs"),
            );
        }
        if let (Some(ns), Some(tenant)) = (&t.namespace, tenant)
            && ns.value != tenant.namespace.value
        {
            d.push(
                Diagnostic::error(
                    "strata::airflow::namespace-mismatch",
                    format!(
                        "worker template `{}` names namespace `{}`, but the executor starts pods in `{}`",
                        t.name.value, ns.value, tenant.namespace.value
                    ),
                )
                .at(ns.span, "ignored by the executor")
                .also(tenant.namespace.span, format!("tenant `{}`'s namespace", tenant.name.value))
                .help(format!(
                    "remove `namespace` or set it to `{}`: `[kubernetes_executor] namespace` overrides the template's (apache/airflow#29365); a task reaches another namespace only through `multi-namespace` and a pod_override",
                    tenant.namespace.value
                )),
            );
        }
        check_worker_env(a, &t.env, d);
    }

    // With a tenant list as well, `strata::airflow::multi-namespace` below reports the root cause.
    if let Some(mn) = &ex.multi_namespace
        && let Some(cw) = mn.cluster_wide.as_ref().filter(|c| c.value)
        && mn.tenants.is_empty()
    {
        // A ClusterRole lets the scheduler create and delete pods in every namespace, kube-system included;
        // with pod-operator the task pods' own ServiceAccount may also exec into them (the chart's
        // pod-launcher rules, helm/airflow templates/rbac/pod-launcher-role.yaml, bound cluster-wide).
        let mut w = Diagnostic::warning(
            "strata::airflow::cluster-wide-grant",
            format!("{owner} may create pods in every namespace of the cluster"),
        )
        .at(cw.span, "a ClusterRole and ClusterRoleBinding for the scheduler");
        if let Some(po) = ex.pod_operator.as_ref().filter(|p| p.value) {
            w = w.also(po.span, "and task pods may create pods and exec into them anywhere");
        }
        d.push(w.help(
            "list the tenants whose namespaces the executor uses instead: `multi-namespace \"payments\" \"sandbox\"` grants a Role in each, nothing cluster-wide",
        ));
    }
    if let Some(mn) = &ex.multi_namespace {
        match (mn.is_cluster_wide(), mn.tenants.is_empty()) {
            (true, false) => d.push(
                Diagnostic::error("strata::airflow::multi-namespace", "`multi-namespace` lists tenants and asks for every namespace")
                    .at(mn.span, "cluster-wide=#true and a tenant list")
                    .help("keep the tenant list (a Role in each listed namespace), or keep `cluster-wide=#true` (a ClusterRole over every namespace) and drop the list"),
            ),
            (false, true) => d.push(
                Diagnostic::error("strata::airflow::multi-namespace", "`multi-namespace` names no tenants")
                    .at(mn.span, "which namespaces may the executor use?")
                    .help("list the tenants: `multi-namespace \"payments\" \"sandbox\"` (or `cluster-wide=#true` for every namespace)"),
            ),
            _ => {}
        }
        duplicates(
            mn.tenants.iter().map(|t| (t.value.as_str(), t.span)),
            "strata::airflow::multi-namespace",
            "multi-namespace tenant",
            "list each tenant once",
            d,
        );
        for (i, t) in mn.tenants.iter().enumerate() {
            let Some(listed) = tenant_ref(p, t, "strata::airflow::unknown-tenant", d) else { continue };
            let first = !mn.tenants[..i].iter().any(|o| o.value == t.value);
            if let Some(home) = tenant
                && first
                && listed.name.value != home.name.value
            {
                check_cross_namespace_network(home, listed, t, d);
            }
            if t.value == a.tenant.value {
                d.push(
                    Diagnostic::warning(
                        "strata::airflow::multi-namespace",
                        format!("tenant `{}` is the executor's own", t.value),
                    )
                    .at(t.span, "always included")
                    .also(a.tenant.span, "the airflow's tenant")
                    .help("remove it from the list: the executor's own namespace is always watched"),
                );
            }
        }
    }
}

/// Task pods in another tenant's namespace still talk to the Airflow deployment at home (the API server in
/// Airflow 3, the metadata database in Airflow 2); isolated tenants block that unless a rule allows it.
fn check_cross_namespace_network(home: &Tenant, listed: &Tenant, at: &Spanned<String>, d: &mut Diagnostics) {
    let allows = |t: &Tenant, dir: Direction, peer: &str| {
        t.network.value == NetworkMode::Open
            || t.network_rules
                .iter()
                .any(|r| r.direction == dir && r.namespace.as_ref().is_some_and(|n| n.value == peer))
    };
    let (home_ns, listed_ns) = (home.namespace.value.as_str(), listed.namespace.value.as_str());
    let mut missing = Vec::new();
    if !allows(listed, Direction::Egress, home_ns) {
        missing.push(format!("`egress namespace=\"{home_ns}\"` in tenant `{}`'s network", listed.name.value));
    }
    if !allows(home, Direction::Ingress, listed_ns) {
        missing.push(format!("`ingress namespace=\"{listed_ns}\"` in tenant `{}`'s network", home.name.value));
    }
    if missing.is_empty() {
        return;
    }
    d.push(
        Diagnostic::warning(
            "strata::airflow::multi-namespace-network",
            format!("task pods in `{listed_ns}` cannot reach the Airflow deployment in `{home_ns}`"),
        )
        .at(at.span, format!("tenant `{}` is network-isolated from `{}`", listed.name.value, home.name.value))
        .help(format!("add {}", missing.join(" and ")))
        .note_line("task pods report to the API server (Airflow 3) or the metadata database (Airflow 2)"),
    );
}

/// A namespace with a ResourceQuota refuses pods over it with 403 "exceeded quota"; the executor retries
/// those only `task_publish_max_retries` times, and Airflow's default is 0 (fail the task at once).
fn check_publish_retries(p: &Platform, ex: &Executor, tenant: Option<&Tenant>, d: &mut Diagnostics) {
    let quota = tenant.and_then(|t| p.effective_quota(t));
    let Some(r) = &ex.publish_retries else {
        if let (Some(t), Some(q)) = (tenant, &quota) {
            let mut diag = Diagnostic::note(
                "strata::airflow::publish-retries",
                format!(
                    "task_publish_max_retries set to {QUOTA_PUBLISH_RETRIES} (no limit): tenant `{}` has a quota",
                    t.name.value
                ),
            )
            .at(ex.span, "task pods refused for quota are retried until they fit")
            .help("set `publish-retries=N` on `executor` to fail a task after N refusals instead");
            if let Some(qs) = q.span {
                diag = diag.also(qs, "the quota");
            }
            d.push(diag);
        }
        return;
    };
    if r.value < -1 {
        d.push(
            Diagnostic::error(
                "strata::airflow::publish-retries",
                format!("publish-retries={} is not a retry count", r.value),
            )
            .at(r.span, "only -1 (no limit), 0 or a positive count")
            .help("use -1 to retry until the quota has room, or a positive count"),
        );
    } else if r.value == 0
        && let (Some(t), Some(q)) = (tenant, &quota)
    {
        let mut diag = Diagnostic::error(
            "strata::airflow::publish-retries",
            format!("tenant `{}` has a quota, but tasks refused by it fail at once", t.name.value),
        )
        .at(r.span, "publish-retries=0")
        .help("remove `publish-retries` (strata then retries without limit) or set a positive count")
        .note_line("the executor fails a task whose pod gets 403 \"exceeded quota\" unless task_publish_max_retries allows a retry");
        if let Some(qs) = q.span {
            diag = diag.also(qs, "the tenant's quota");
        }
        d.push(diag);
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{codes, compile};

    /// The Airflow findings only: these specs use small quotas, and quota fit has its own tests.
    fn check(body: &str) -> Vec<&'static str> {
        codes(&compile(body)).into_iter().filter(|c| !c.starts_with("strata::quota::")).collect()
    }

    const TENANTS: &str = r#"
tenant "t" namespace="team-t" {
    quota cpu=10 memory="40Gi"
    network "isolated" { ingress namespace="free"; }
}
tenant "free" {
    network "isolated" { egress 8080 namespace="team-t"; }
}
"#;

    #[test]
    fn a_complete_deployment_is_clean() {
        let body = format!(
            r#"{TENANTS}
airflow "af" tenant="t" {{
    executor "kubernetes" image="apache/airflow:3.1.3" max-parallel-tasks=4 publish-retries=5 {{
        worker-template "default" size="s" namespace="team-t"
        worker-template "gpu" size="l" gpu=1 image="registry.acme.io/airflow-gpu:3.1.3"
        multi-namespace "free"
    }}
    metadata-db secret="airflow-metadata"
    env "AIRFLOW__API_AUTH__JWT_SECRET" secret="jwt" key="secret"
    env "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD" "cat /secrets/conn"
}}
"#
        );
        assert_eq!(check(&body), Vec::<&str>::new());
    }

    #[test]
    fn template_rules() {
        let body = format!(
            r#"{TENANTS}
airflow "af" tenant="t" {{
    executor "kubernetes" default-template="deafult" {{
        worker-template "default" size="s"
        worker-template "Big" size="huge" image="apache/airflow:latest"
        worker-template "default" size="s" image=""
        worker-template "gpu" size="s" gpu=0 image="apache/airflow"
    }}
}}
"#
        );
        assert_eq!(
            check(&body),
            [
                "strata::airflow::unknown-template",
                "strata::airflow::image",
                "strata::airflow::template-name",
                "strata::airflow::unknown-size",
                "strata::airflow::image-tag",
                "strata::airflow::duplicate-template",
                "strata::airflow::image",
                "strata::airflow::gpu",
                "strata::airflow::image-tag",
            ]
        );
    }

    #[test]
    fn ambiguous_default_and_missing_templates() {
        let body = format!(
            r#"{TENANTS}
airflow "a" tenant="t" {{
    executor "kubernetes" image="apache/airflow:3.1.3" {{
        worker-template "small" size="s"
        worker-template "big" size="l"
    }}
}}
airflow "b" tenant="t" {{ executor "kubernetes" image="apache/airflow:3.1.3"; }}
airflow "c" tenant="t"
"#
        );
        assert_eq!(
            check(&body),
            ["strata::airflow::default-template", "strata::airflow::no-templates", "strata::airflow::executor"]
        );
    }

    #[test]
    fn namespaces_tenants_and_limits() {
        let body = format!(
            r#"{TENANTS}
airflow "af" tenant="t" run-as-user=0 {{
    executor "kubernetes" image="apache/airflow:3.1.3" max-parallel-tasks=0 batch-size=0 publish-retries=0 {{
        worker-template "default" size="s" namespace="t"
        multi-namespace "free" "t" "nope" "team-t" "free" cluster-wide=#true
    }}
}}
airflow "af" tenant="free" {{
    executor "kubernetes" image="apache/airflow:3.1.3" publish-retries=-2 {{ worker-template "default" size="s"; }}
}}
airflow "lost" tenant="analytcs" {{
    executor "kubernetes" image="apache/airflow:3.1.3" {{ worker-template "default" size="s"; }}
}}
"#
        );
        assert_eq!(
            check(&body),
            [
                "strata::airflow::run-as-user",
                "strata::airflow::max-parallel-tasks",
                "strata::airflow::batch-size",
                "strata::airflow::publish-retries",
                "strata::airflow::namespace-mismatch",
                "strata::airflow::multi-namespace",
                "strata::airflow::multi-namespace",
                "strata::airflow::unknown-tenant",
                "strata::airflow::unknown-tenant",
                "strata::airflow::multi-namespace",
                "strata::airflow::publish-retries",
                "strata::airflow::unknown-tenant",
            ]
        );
    }

    #[test]
    fn isolated_tenants_in_a_namespace_list_need_a_path_home() {
        let body = r#"
tenant "home"
tenant "open" { network "open"; }
tenant "closed"
tenant "half" { network "isolated" { egress namespace="home"; }; }
airflow "af" tenant="home" {
    executor "kubernetes" image="apache/airflow:3.1.3" {
        worker-template "default" size="s"
        multi-namespace "open" "closed" "half"
    }
}
"#;
        let c = compile(body);
        let warnings: Vec<String> = c
            .diagnostics
            .iter()
            .filter(|d| d.code == "strata::airflow::multi-namespace-network")
            .map(|d| format!("{} | {}", d.message, d.help.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            warnings,
            [
                // `open` sends anywhere, but `home` (isolated) does not admit it.
                "task pods in `open` cannot reach the Airflow deployment in `home` | add `ingress namespace=\"open\"` in tenant `home`'s network",
                "task pods in `closed` cannot reach the Airflow deployment in `home` | add `egress namespace=\"home\"` in tenant `closed`'s network and `ingress namespace=\"closed\"` in tenant `home`'s network",
                "task pods in `half` cannot reach the Airflow deployment in `home` | add `ingress namespace=\"half\"` in tenant `home`'s network",
            ]
        );
    }

    #[test]
    fn cluster_wide_grants_are_called_out() {
        let spec = |mn: &str, po: &str| {
            format!(
                "tenant \"home\"\nairflow \"af\" tenant=\"home\" {{\n    executor \"kubernetes\" image=\"apache/airflow:3.1.3\" {po} {{\n        worker-template \"default\" size=\"s\"\n        {mn}\n    }}\n}}\n"
            )
        };
        let grant = |mn: &str, po: &str| {
            let c = compile(&spec(mn, po));
            c.diagnostics
                .iter()
                .filter(|d| d.code == "strata::airflow::cluster-wide-grant")
                .map(|d| d.secondary.len())
                .collect::<Vec<_>>()
        };
        assert_eq!(grant("multi-namespace cluster-wide=#true", ""), [0]);
        // pod-operator adds the task pods' own cluster-wide rights as a second label.
        assert_eq!(grant("multi-namespace cluster-wide=#true", "pod-operator=#true"), [1]);
        assert!(grant("multi-namespace \"home\"", "pod-operator=#true").is_empty());
        // With a tenant list too, the multi-namespace error is the one finding.
        assert!(grant("multi-namespace \"home\" cluster-wide=#true", "").is_empty());
    }

    #[test]
    fn a_deployment_name_may_repeat_across_tenants_only() {
        let body = format!(
            r#"{TENANTS}
airflow "af" tenant="t" {{ executor "kubernetes" image="apache/airflow:3.1.3" {{ worker-template "default" size="s"; }}; }}
airflow "af" tenant="free" {{ executor "kubernetes" image="apache/airflow:3.1.3" {{ worker-template "default" size="s"; }}; }}
airflow "af" tenant="t" {{ executor "kubernetes" image="apache/airflow:3.1.3" {{ worker-template "default" size="s"; }}; }}
"#
        );
        assert_eq!(check(&body), ["strata::airflow::duplicate"]);
    }

    #[test]
    fn secrets_stay_out_of_the_spec() {
        let body = format!(
            r#"{TENANTS}
airflow "af" tenant="t" {{
    executor "kubernetes" image="apache/airflow:3.1.3" {{
        worker-template "default" size="s" {{
            env "AIRFLOW_CONN_WAREHOUSE" "postgres://etl:hunter2@warehouse:5432/dw"
        }}
    }}
    metadata-db "postgresql://airflow:airflow@db/airflow"
    fernet-key secret="fernet"
    env "AIRFLOW__CORE__FERNET_KEY" "b3VyLWZlcm5ldC1rZXk="
    env "AIRFLOW__API_AUTH__JWT_SECRET" "changeme"
    env "AIRFLOW__CORE__EXECUTOR" "CeleryExecutor"
    env "1BAD" "x"
}}
"#
        );
        assert_eq!(
            check(&body),
            [
                "strata::airflow::literal-secret",
                "strata::airflow::literal-secret",
                "strata::airflow::env-owned",
                "strata::airflow::literal-secret",
                "strata::airflow::literal-secret",
                "strata::airflow::env-owned",
                "strata::airflow::env-name",
            ]
        );
    }
}
