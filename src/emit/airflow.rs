//! An `airflow` deployment becomes what the KubernetesExecutor needs from the platform, the way the official
//! chart does it but per tenant: scheduler and worker ServiceAccounts, the pod-launcher Role (a Role in each
//! listed namespace in multi-namespace mode; a ClusterRole only when asked for), one pod template per worker
//! template in a ConfigMap, and the `[core]`/`[kubernetes_executor]` settings as environment variables and as
//! an `airflow.cfg` fragment. The scheduler itself is deployed by the Airflow chart, pointed at these.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMap, Container, EmptyDirVolumeSource, EnvVar as K8sEnvVar, EnvVarSource, Pod,
    PodSecurityContext, PodSpec, ResourceRequirements, SeccompProfile, SecretKeySelector, SecurityContext,
    ServiceAccount, Volume, VolumeMount,
};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::emit::meta;
use crate::manifest::{ManifestSet, Placement, Stage};
use crate::model::airflow::{Airflow, Executor, WorkerTemplate, template_path};
use crate::model::pod::{EnvValue, EnvVar, SecretKeyRef};
use crate::model::{Platform, Tenant};
use crate::render::to_yaml;
use crate::source::Span;

/// The chart's pod-launcher rules, verb for verb (`chart/templates/rbac/pod-launcher-role.yaml`):
/// create/list/get/patch/watch/delete pods (launch, watch, adopt, label, clean up), read logs, and the
/// exec and events access KubernetesPodOperator uses.
fn pod_launcher_rules() -> Vec<PolicyRule> {
    let rule = |resources: &[&str], verbs: &[&str]| PolicyRule {
        api_groups: Some(vec![String::new()]),
        resources: Some(resources.iter().map(|s| s.to_string()).collect()),
        verbs: verbs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    vec![
        rule(&["pods"], &["create", "list", "get", "patch", "watch", "delete"]),
        rule(&["pods/log"], &["get"]),
        rule(&["pods/exec"], &["create", "get"]),
        rule(&["events"], &["list"]),
    ]
}

pub fn emit(p: &Platform, set: &mut ManifestSet) {
    for a in &p.airflow.deployments {
        let (Some(ex), Some(tenant)) = (&a.executor, p.tenant(&a.tenant.value)) else { continue };
        emit_deployment(p, a, ex, tenant, set);
    }
}

fn at(tenant: &Tenant, stage: Stage, span: Span) -> Placement {
    Placement { stage, tenant: Some(tenant.name.value.clone()), span }
}

fn service_account(name: &str, ns: &str) -> ServiceAccount {
    ServiceAccount { metadata: meta(name, Some(ns)), ..Default::default() }
}

fn sa_subject(name: &str, ns: &str) -> Subject {
    Subject {
        kind: "ServiceAccount".to_string(),
        name: name.to_string(),
        namespace: Some(ns.to_string()),
        api_group: None,
    }
}

/// The namespaces the executor launches and watches pods in, own namespace first; `None` in the other modes.
fn namespace_list<'p>(p: &'p Platform, ex: &Executor, home: &'p Tenant) -> Option<Vec<&'p Tenant>> {
    let mn = ex.multi_namespace.as_ref().filter(|m| !m.is_cluster_wide())?;
    let mut list = vec![home];
    for t in &mn.tenants {
        if let Some(t) = p.tenant(&t.value)
            && !list.iter().any(|l| l.name.value == t.name.value)
        {
            list.push(t);
        }
    }
    Some(list)
}

fn emit_deployment(p: &Platform, a: &Airflow, ex: &Executor, home: &Tenant, set: &mut ManifestSet) {
    let ns = home.namespace.value.as_str();
    let span = a.name.span;
    let scheduler = a.scheduler_sa();
    let worker = a.worker_sa();
    let launcher = a.pod_launcher();
    let pod_operator = ex.pod_operator.as_ref().is_some_and(|b| b.value);
    set.add_typed(&service_account(&scheduler, ns), at(home, Stage::Tenancy, span));
    set.add_typed(&service_account(&worker, ns), at(home, Stage::Tenancy, span));

    let cluster_wide = ex.multi_namespace.as_ref().is_some_and(|m| m.is_cluster_wide());
    if cluster_wide {
        // Cluster-scoped names are shared by every tenant: the namespace keeps them apart.
        let name = format!("{ns}-{launcher}");
        let mn_span = ex.multi_namespace.as_ref().map_or(span, |m| m.span);
        let role = ClusterRole { metadata: meta(&name, None), rules: Some(pod_launcher_rules()), ..Default::default() };
        set.add_typed(&role, at(home, Stage::Cluster, mn_span));
        let mut subjects = vec![sa_subject(&scheduler, ns)];
        if pod_operator {
            subjects.push(sa_subject(&worker, ns));
        }
        let binding = ClusterRoleBinding {
            metadata: meta(&name, None),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".to_string(),
                kind: "ClusterRole".to_string(),
                name: name.clone(),
            },
            subjects: Some(subjects),
        };
        set.add_typed(&binding, at(home, Stage::Cluster, mn_span));
    } else {
        let namespaces = namespace_list(p, ex, home).unwrap_or_else(|| vec![home]);
        for t in namespaces {
            let target = t.namespace.value.as_str();
            // A pod's ServiceAccount must live in the pod's namespace.
            if target != ns {
                let mn_span = ex.multi_namespace.as_ref().map_or(span, |m| m.span);
                set.add_typed(&service_account(&worker, target), at(t, Stage::Tenancy, mn_span));
            }
            let role = Role {
                metadata: meta(&launcher, Some(target)),
                rules: Some(pod_launcher_rules()),
                ..Default::default()
            };
            set.add_typed(&role, at(t, Stage::Tenancy, span));
            let mut subjects = vec![sa_subject(&scheduler, ns)];
            if pod_operator {
                subjects.push(sa_subject(&worker, target));
            }
            let binding = RoleBinding {
                metadata: meta(&launcher, Some(target)),
                role_ref: RoleRef {
                    api_group: "rbac.authorization.k8s.io".to_string(),
                    kind: "Role".to_string(),
                    name: launcher.clone(),
                },
                subjects: Some(subjects),
            };
            set.add_typed(&binding, at(t, Stage::Tenancy, span));
        }
    }

    let mut templates = BTreeMap::new();
    for t in &ex.templates {
        templates.insert(format!("{}.yaml", t.name.value), to_yaml(&pod_template_json(p, a, ex, t, home)));
    }
    let cm =
        ConfigMap { metadata: meta(&a.templates_configmap(), Some(ns)), data: Some(templates), ..Default::default() };
    set.add_typed(&cm, at(home, Stage::Tenancy, ex.span));

    let settings = executor_settings(p, ex, home);
    let env: BTreeMap<String, String> = settings
        .iter()
        .map(|(section, key, value)| {
            (format!("AIRFLOW__{}__{}", section.to_ascii_uppercase(), key.to_ascii_uppercase()), value.clone())
        })
        .collect();
    let cm = ConfigMap { metadata: meta(&a.env_configmap(), Some(ns)), data: Some(env), ..Default::default() };
    set.add_typed(&cm, at(home, Stage::Tenancy, ex.span));
    let cfg = BTreeMap::from([("airflow.cfg".to_string(), airflow_cfg(a, &settings))]);
    let cm = ConfigMap { metadata: meta(&a.config_configmap(), Some(ns)), data: Some(cfg), ..Default::default() };
    set.add_typed(&cm, at(home, Stage::Tenancy, ex.span));
}

fn py_bool(b: bool) -> String {
    if b { "True" } else { "False" }.to_string()
}

/// `(section, key, value)` of every setting strata writes, in `airflow.cfg` order.
pub fn executor_settings(p: &Platform, ex: &Executor, home: &Tenant) -> Vec<(&'static str, &'static str, String)> {
    let has_quota = p.effective_quota(home).is_some();
    let default = ex.default_template().map_or_else(String::new, |t| template_path(&t.name.value));
    let mut v = vec![
        ("core", "executor", "KubernetesExecutor".to_string()),
        ("core", "parallelism", ex.parallelism().to_string()),
        ("kubernetes_executor", "namespace", home.namespace.value.clone()),
        ("kubernetes_executor", "pod_template_file", default),
        ("kubernetes_executor", "delete_worker_pods", py_bool(ex.delete_worker_pods.as_ref().is_none_or(|b| b.value))),
        (
            "kubernetes_executor",
            "delete_worker_pods_on_failure",
            py_bool(ex.delete_failed_pods.as_ref().is_some_and(|b| b.value)),
        ),
        (
            "kubernetes_executor",
            "worker_pods_creation_batch_size",
            ex.batch_size.as_ref().map_or(crate::model::airflow::DEFAULT_BATCH_SIZE, |b| b.value).to_string(),
        ),
        ("kubernetes_executor", "task_publish_max_retries", ex.publish_retries(has_quota).to_string()),
        ("kubernetes_executor", "multi_namespace_mode", py_bool(ex.multi_namespace.is_some())),
    ];
    if let Some(list) = namespace_list(p, ex, home) {
        let names: Vec<&str> = list.iter().map(|t| t.namespace.value.as_str()).collect();
        v.push(("kubernetes_executor", "multi_namespace_mode_namespace_list", names.join(",")));
    }
    v
}

fn airflow_cfg(a: &Airflow, settings: &[(&str, &str, String)]) -> String {
    let mut out = format!(
        "# [core] and [kubernetes_executor] for airflow `{}`; the same settings as the AIRFLOW__* variables\n# in ConfigMap {}: use one of the two.\n",
        a.name.value,
        a.env_configmap()
    );
    let mut section = "";
    for (s, k, v) in settings {
        if *s != section {
            out.push_str(&format!("\n[{s}]\n"));
            section = s;
        }
        out.push_str(&format!("{k} = {v}\n"));
    }
    out
}

fn quantities(pairs: &[(&str, String)]) -> BTreeMap<String, Quantity> {
    pairs.iter().map(|(k, v)| (k.to_string(), Quantity(v.clone()))).collect()
}

fn secret_env(name: &str, r: &SecretKeyRef) -> K8sEnvVar {
    K8sEnvVar {
        name: name.to_string(),
        value: None,
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: r.secret.value.clone(),
                key: r.key.value.clone(),
                optional: None,
            }),
            ..Default::default()
        }),
    }
}

fn k8s_env(e: &EnvVar) -> K8sEnvVar {
    match &e.value {
        EnvValue::Literal(v) => {
            K8sEnvVar { name: e.name.value.clone(), value: Some(v.value.clone()), value_from: None }
        }
        EnvValue::Secret(r) => secret_env(&e.name.value, r),
    }
}

/// One worker template as the executor reads it: `containers[0]` named `base` with the image, a non-empty
/// `metadata.name` (replaced per task), `restartPolicy: Never`, requests and limits from the size preset,
/// the priority class, a restricted security context, and secrets only by reference.
pub fn pod_template(p: &Platform, a: &Airflow, ex: &Executor, t: &WorkerTemplate, home: &Tenant) -> Pod {
    let ns = home.namespace.value.as_str();
    let size = t.size.as_ref().and_then(|s| p.presets.size(&s.value));
    let mut requests = Vec::new();
    let mut limits = Vec::new();
    if let Some(s) = size {
        requests.push(("cpu", s.cpu.value.to_string()));
        requests.push(("memory", s.memory.value.to_string()));
        limits.push(("cpu", s.cpu_limit().to_string()));
        limits.push(("memory", s.memory_limit().to_string()));
    }
    if let Some(g) = &t.gpu {
        // Extended resources cannot be overcommitted: request and limit must be equal.
        requests.push(("nvidia.com/gpu", g.value.to_string()));
        limits.push(("nvidia.com/gpu", g.value.to_string()));
    }
    let mut env = vec![K8sEnvVar {
        name: "AIRFLOW__CORE__EXECUTOR".to_string(),
        value: Some("LocalExecutor".to_string()),
        value_from: None,
    }];
    if let Some(r) = &a.metadata_db {
        env.push(secret_env("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", r));
    }
    if let Some(r) = &a.fernet_key {
        env.push(secret_env("AIRFLOW__CORE__FERNET_KEY", r));
    }
    // The template's own variables win over the deployment's of the same name.
    env.extend(a.env.iter().filter(|e| !t.env.iter().any(|o| o.name.value == e.name.value)).map(k8s_env));
    env.extend(t.env.iter().map(k8s_env));

    let image = t.image.as_ref().or(ex.image.as_ref()).map(|i| i.value.clone());
    let priority = t.priority_class.as_ref().or(a.priority_class.as_ref()).or(home.priority_class.as_ref());
    let labels = BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), "airflow".to_string()),
        ("app.kubernetes.io/component".to_string(), "worker".to_string()),
        ("app.kubernetes.io/instance".to_string(), a.name.value.clone()),
        ("strata.dev/worker-template".to_string(), t.name.value.clone()),
    ]);
    let mut metadata = meta(&format!("{}-{}", a.name.value, t.name.value), Some(ns));
    metadata.labels = Some(labels);
    Pod {
        metadata,
        spec: Some(PodSpec {
            service_account_name: Some(a.worker_sa()),
            restart_policy: Some("Never".to_string()),
            priority_class_name: priority.map(|p| p.value.clone()),
            security_context: Some(PodSecurityContext {
                run_as_non_root: Some(true),
                run_as_user: Some(i64::try_from(a.run_as_user()).unwrap_or(i64::MAX)),
                seccomp_profile: Some(SeccompProfile { type_: "RuntimeDefault".to_string(), localhost_profile: None }),
                ..Default::default()
            }),
            containers: vec![Container {
                name: "base".to_string(),
                image,
                image_pull_policy: Some("IfNotPresent".to_string()),
                env: Some(env),
                resources: Some(ResourceRequirements {
                    requests: (!requests.is_empty()).then(|| quantities(&requests)),
                    limits: (!limits.is_empty()).then(|| quantities(&limits)),
                    ..Default::default()
                }),
                security_context: Some(SecurityContext {
                    allow_privilege_escalation: Some(false),
                    capabilities: Some(Capabilities { drop: Some(vec!["ALL".to_string()]), add: None }),
                    ..Default::default()
                }),
                // Task logs are written here until remote logging ships them; an emptyDir keeps the
                // container's filesystem untouched.
                volume_mounts: Some(vec![VolumeMount {
                    name: "logs".to_string(),
                    mount_path: "/opt/airflow/logs".to_string(),
                    ..Default::default()
                }]),
                ..Default::default()
            }],
            volumes: Some(vec![Volume {
                name: "logs".to_string(),
                empty_dir: Some(EmptyDirVolumeSource::default()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        status: None,
    }
}

fn pod_template_json(p: &Platform, a: &Airflow, ex: &Executor, t: &WorkerTemplate, home: &Tenant) -> serde_json::Value {
    serde_json::to_value(pod_template(p, a, ex, t, home)).unwrap_or(serde_json::Value::Null)
}
