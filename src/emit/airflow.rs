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
use crate::manifest::{Census, LABEL_TENANT, ManifestSet, Placement, Stage};
use crate::model::airflow as model;
use crate::model::pod::{EnvValue, EnvVar, SecretKeyRef};
use crate::model::resolved::airflow::{Airflow, Namespaces, WorkerTemplate};
use crate::model::resolved::{ResolvedPlatform, TenantRef};
use crate::model::tenant::LABEL_COST_CENTER;
use crate::render::to_yaml;
use crate::source::Span;

/// What the KubernetesExecutor calls, and no more (cncf-kubernetes provider 10.9.0): create pods
/// (`run_next`), list and watch them (`KubernetesJobWatcher`, `_list_pods`), patch them (adoption), delete
/// them (`delete_pod`) and read their logs (`get_task_log`), in executors/kubernetes_executor{,_utils}.py.
/// With `pod-operator`, also what KubernetesPodOperator needs beyond that: get a pod, exec into it (the XCom
/// sidecar) and list events, as the chart's pod-launcher Role grants (`chart/templates/rbac/pod-launcher-role.yaml`,
/// which grants all of them to every scheduler).
fn pod_launcher_rules(pod_operator: bool) -> Vec<PolicyRule> {
    let rule = |resources: &[&str], verbs: &[&str]| PolicyRule {
        api_groups: Some(vec![String::new()]),
        resources: Some(resources.iter().map(|s| s.to_string()).collect()),
        verbs: verbs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    if !pod_operator {
        return vec![rule(&["pods"], &["create", "list", "patch", "watch", "delete"]), rule(&["pods/log"], &["get"])];
    }
    vec![
        rule(&["pods"], &["create", "list", "get", "patch", "watch", "delete"]),
        rule(&["pods/log"], &["get"]),
        rule(&["pods/exec"], &["create", "get"]),
        rule(&["events"], &["list"]),
    ]
}

pub fn emit(p: &ResolvedPlatform, set: &mut ManifestSet) {
    for a in &p.airflow {
        emit_deployment(a, set);
    }
}

/// The objects [`emit`] adds, as headers ([`Census`]), in the same order as `emit_deployment`.
pub fn census(p: &ResolvedPlatform, c: &mut Census) {
    for a in &p.airflow {
        let (ex, home) = (&a.executor, &a.home);
        let ns = home.namespace.as_str();
        let span = a.spec.name.span;
        let worker = a.spec.worker_sa();
        let launcher = a.spec.pod_launcher();
        let mn_span = ex.multi_namespace.as_ref().map_or(span, |m| m.span);
        c.typed::<ServiceAccount>(&a.spec.scheduler_sa(), Some(ns), at(home, Stage::Tenancy, span));
        c.typed::<ServiceAccount>(&worker, Some(ns), at(home, Stage::Tenancy, span));
        let namespaces = a.launch_namespaces();
        match namespaces {
            None => {
                let name = format!("{ns}-{launcher}");
                c.typed::<ClusterRole>(&name, None, at(home, Stage::Cluster, mn_span));
                c.typed::<ClusterRoleBinding>(&name, None, at(home, Stage::Cluster, mn_span));
            }
            Some(namespaces) => {
                for t in namespaces {
                    let target = t.namespace.as_str();
                    if target != ns {
                        c.typed::<ServiceAccount>(&worker, Some(target), at(t, Stage::Tenancy, mn_span));
                    }
                    c.typed::<Role>(&launcher, Some(target), at(t, Stage::Tenancy, span));
                    c.typed::<RoleBinding>(&launcher, Some(target), at(t, Stage::Tenancy, span));
                }
            }
        }
        c.typed::<ConfigMap>(&a.spec.templates_configmap(), Some(ns), at(home, Stage::Tenancy, ex.span));
        c.typed::<ConfigMap>(&a.spec.env_configmap(), Some(ns), at(home, Stage::Tenancy, ex.span));
        c.typed::<ConfigMap>(&a.spec.config_configmap(), Some(ns), at(home, Stage::Tenancy, ex.span));
    }
}

fn at(tenant: &TenantRef, stage: Stage, span: Span) -> Placement {
    Placement { stage, tenant: Some(tenant.name.clone()), span }
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

fn emit_deployment(a: &Airflow, set: &mut ManifestSet) {
    let (ex, home) = (&a.executor, &a.home);
    let ns = home.namespace.as_str();
    let span = a.spec.name.span;
    let scheduler = a.spec.scheduler_sa();
    let worker = a.spec.worker_sa();
    let launcher = a.spec.pod_launcher();
    let pod_operator = ex.pod_operator.as_ref().is_some_and(|b| b.value);
    let mn_span = ex.multi_namespace.as_ref().map_or(span, |m| m.span);
    set.add_typed(&service_account(&scheduler, ns), at(home, Stage::Tenancy, span));
    set.add_typed(&service_account(&worker, ns), at(home, Stage::Tenancy, span));

    let namespaces = a.launch_namespaces();
    match namespaces {
        None => {
            // Cluster-scoped names are shared by every tenant: the namespace keeps them apart.
            let name = format!("{ns}-{launcher}");
            let role = ClusterRole {
                metadata: meta(&name, None),
                rules: Some(pod_launcher_rules(pod_operator)),
                ..Default::default()
            };
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
        }
        Some(namespaces) => {
            for t in namespaces {
                let target = t.namespace.as_str();
                // A pod's ServiceAccount must live in the pod's namespace.
                if target != ns {
                    set.add_typed(&service_account(&worker, target), at(t, Stage::Tenancy, mn_span));
                }
                let role =
                    Role { metadata: meta(&launcher, Some(target)), rules: Some(pod_launcher_rules(pod_operator)) };
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
    }

    let templates = a
        .templates
        .iter()
        .map(|t| (format!("{}.yaml", t.spec.name.value), to_yaml(&pod_template_json(a, t))))
        .collect();
    let cm = ConfigMap {
        metadata: meta(&a.spec.templates_configmap(), Some(ns)),
        data: Some(templates),
        ..Default::default()
    };
    set.add_typed(&cm, at(home, Stage::Tenancy, ex.span));

    let settings = executor_settings(a);
    let env: BTreeMap<String, String> = settings
        .iter()
        .map(|(section, key, value)| {
            (format!("AIRFLOW__{}__{}", section.to_ascii_uppercase(), key.to_ascii_uppercase()), value.clone())
        })
        .collect();
    let cm = ConfigMap { metadata: meta(&a.spec.env_configmap(), Some(ns)), data: Some(env), ..Default::default() };
    set.add_typed(&cm, at(home, Stage::Tenancy, ex.span));
    let cfg = BTreeMap::from([("airflow.cfg".to_string(), airflow_cfg(&a.spec, &settings))]);
    let cm = ConfigMap { metadata: meta(&a.spec.config_configmap(), Some(ns)), data: Some(cfg), ..Default::default() };
    set.add_typed(&cm, at(home, Stage::Tenancy, ex.span));
}

fn py_bool(b: bool) -> String {
    if b { "True" } else { "False" }.to_string()
}

/// `(section, key, value)` of every setting strata writes, in `airflow.cfg` order.
pub fn executor_settings(a: &Airflow) -> Vec<(&'static str, &'static str, String)> {
    let ex = &a.executor;
    let mut v = vec![
        ("core", "executor", "KubernetesExecutor".to_string()),
        ("core", "parallelism", ex.parallelism().to_string()),
        ("kubernetes_executor", "namespace", a.home.namespace.clone()),
        ("kubernetes_executor", "pod_template_file", a.default_template.clone()),
        // The Helm chart fills both from its own `images.airflow`, and then the executor puts that image on
        // every task pod's `base` container, over the worker template's own (construct_pod in the
        // cncf-kubernetes provider's pod_generator.py; the image only applies when both are non-empty,
        // kube_config.py). Empty values, which win over airflow.cfg as environment variables, keep each
        // template's image.
        ("kubernetes_executor", "worker_container_repository", String::new()),
        ("kubernetes_executor", "worker_container_tag", String::new()),
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
        ("kubernetes_executor", "task_publish_max_retries", a.publish_retries.to_string()),
        ("kubernetes_executor", "multi_namespace_mode", py_bool(a.namespaces != Namespaces::Own)),
    ];
    if let Namespaces::Listed(list) = &a.namespaces {
        let names: Vec<&str> = list.iter().map(|t| t.namespace.as_str()).collect();
        v.push(("kubernetes_executor", "multi_namespace_mode_namespace_list", names.join(",")));
    }
    v
}

fn airflow_cfg(a: &model::Airflow, settings: &[(&str, &str, String)]) -> String {
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

pub(crate) fn k8s_env(e: &EnvVar) -> K8sEnvVar {
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
pub fn pod_template(a: &Airflow, t: &WorkerTemplate) -> Pod {
    let ns = a.home.namespace.as_str();
    let mut requests = Vec::new();
    let mut limits = Vec::new();
    if let Some(s) = &t.size {
        requests.push(("cpu", s.cpu.value.to_string()));
        requests.push(("memory", s.memory.value.to_string()));
        limits.push(("cpu", s.cpu_limit().to_string()));
        limits.push(("memory", s.memory_limit().to_string()));
    }
    if let Some(g) = &t.spec.gpu {
        // Extended resources cannot be overcommitted: request and limit must be equal.
        requests.push(("nvidia.com/gpu", g.value.to_string()));
        limits.push(("nvidia.com/gpu", g.value.to_string()));
    }
    let mut env = vec![K8sEnvVar {
        name: "AIRFLOW__CORE__EXECUTOR".to_string(),
        value: Some("LocalExecutor".to_string()),
        value_from: None,
    }];
    let (spec, template) = (&a.spec, &t.spec);
    if let Some(r) = &spec.metadata_db {
        env.push(secret_env("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", r));
    }
    if let Some(r) = &spec.fernet_key {
        env.push(secret_env("AIRFLOW__CORE__FERNET_KEY", r));
    }
    // The template's own variables win over the deployment's of the same name.
    env.extend(spec.env.iter().filter(|e| !template.env.iter().any(|o| o.name.value == e.name.value)).map(k8s_env));
    env.extend(template.env.iter().map(k8s_env));

    let mut labels = BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), "airflow".to_string()),
        ("app.kubernetes.io/component".to_string(), "worker".to_string()),
        ("app.kubernetes.io/instance".to_string(), spec.name.value.clone()),
        ("strata.dev/worker-template".to_string(), template.name.value.clone()),
    ]);
    // The executor's pods come from this file, not from an object the manifest set can stamp.
    if let Some(cc) = &a.home.cost_center {
        labels.insert(LABEL_TENANT.to_string(), a.home.name.clone());
        labels.insert(LABEL_COST_CENTER.to_string(), cc.clone());
    }
    let mut metadata = meta(&format!("{}-{}", spec.name.value, template.name.value), Some(ns));
    metadata.labels = Some(labels);
    Pod {
        metadata,
        spec: Some(PodSpec {
            service_account_name: Some(spec.worker_sa()),
            restart_policy: Some("Never".to_string()),
            priority_class_name: t.priority_class.clone(),
            security_context: Some(PodSecurityContext {
                run_as_non_root: Some(true),
                run_as_user: Some(i64::try_from(spec.run_as_user()).unwrap_or(i64::MAX)),
                seccomp_profile: Some(SeccompProfile { type_: "RuntimeDefault".to_string(), localhost_profile: None }),
                ..Default::default()
            }),
            containers: vec![Container {
                name: "base".to_string(),
                image: Some(t.image.clone()),
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

fn pod_template_json(a: &Airflow, t: &WorkerTemplate) -> serde_json::Value {
    serde_json::to_value(pod_template(a, t)).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::manifest::ManifestSet;
    use crate::test_support::compile;

    const SPEC: &str = r#"
tenant "t" namespace="team-t" priority-class="batch" { quota cpu=20 memory="80Gi"; }
tenant "u"
tenant "v" namespace="team-v"
airflow "af" tenant="t" {
    executor "kubernetes" image="apache/airflow:3.1.3" max-parallel-tasks=4 pod-operator=#true {
        worker-template "default" size="s" {
            env "LOG_LEVEL" "debug"
        }
        worker-template "gpu" size="l" gpu=2 priority-class="critical" image="registry.acme.io/airflow-gpu:3.1.3"
        multi-namespace "u" "v"
    }
    metadata-db secret="airflow-metadata"
    fernet-key secret="airflow-fernet-key" key="key"
    env "LOG_LEVEL" "info"
}
airflow "wide" tenant="u" {
    executor "kubernetes" image="apache/airflow:3.1.3" {
        worker-template "default" size="s"
        multi-namespace cluster-wide=#true
    }
}
"#;

    fn manifests() -> ManifestSet {
        let c = compile(SPEC);
        assert!(c.ok(), "{:?}", c.diagnostics);
        c.manifests.expect("compiled")
    }

    fn find<'m>(set: &'m ManifestSet, kind: &str, ns: Option<&str>, name: &str) -> &'m Value {
        set.items
            .iter()
            .find(|m| m.kind == kind && m.namespace.as_deref() == ns && m.name == name)
            .map(|m| &m.object)
            .unwrap_or_else(|| panic!("no {kind} {ns:?}/{name}"))
    }

    /// The worker template `name` as built, after checking the ConfigMap holds exactly its rendering.
    fn template(set: &ManifestSet, name: &str) -> Value {
        let c = compile(SPEC);
        let a = &c.resolved.as_ref().expect("resolved").airflow[0];
        let t = a.templates.iter().find(|t| t.spec.name.value == name).expect("template");
        let pod = serde_json::to_value(super::pod_template(a, t)).expect("json");
        let cm = find(set, "ConfigMap", Some("team-t"), "af-pod-templates");
        assert_eq!(cm["data"][format!("{name}.yaml")].as_str(), Some(crate::render::to_yaml(&pod).as_str()));
        pod
    }

    #[test]
    fn pod_templates_follow_the_executor_rules() {
        let set = manifests();
        let pod = template(&set, "default");
        assert_eq!(pod["apiVersion"], "v1");
        assert_eq!(pod["kind"], "Pod");
        assert_eq!(pod["metadata"]["name"], "af-default");
        assert_eq!(pod["metadata"]["namespace"], "team-t");
        let spec = &pod["spec"];
        assert_eq!(spec["restartPolicy"], "Never");
        assert_eq!(spec["serviceAccountName"], "af-worker");
        assert_eq!(spec["priorityClassName"], "batch", "the tenant's class by default");
        assert_eq!(spec["securityContext"]["runAsNonRoot"], true);
        assert_eq!(spec["securityContext"]["runAsUser"], 50000);
        assert_eq!(spec["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
        let base = &spec["containers"][0];
        assert_eq!(base["name"], "base");
        assert_eq!(base["image"], "apache/airflow:3.1.3");
        assert_eq!(base["securityContext"]["allowPrivilegeEscalation"], false);
        assert_eq!(base["securityContext"]["capabilities"]["drop"][0], "ALL");
        assert_eq!(base["resources"]["requests"]["cpu"], "500m");
        assert_eq!(base["resources"]["limits"]["cpu"], "1");
        assert_eq!(base["resources"]["limits"]["memory"], "1Gi");
        let env = base["env"].as_array().expect("env");
        let get = |n: &str| env.iter().find(|e| e["name"] == n).cloned().unwrap_or(Value::Null);
        assert_eq!(get("AIRFLOW__CORE__EXECUTOR")["value"], "LocalExecutor");
        assert_eq!(get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")["valueFrom"]["secretKeyRef"]["name"], "airflow-metadata");
        assert_eq!(get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")["valueFrom"]["secretKeyRef"]["key"], "connection");
        assert_eq!(get("AIRFLOW__CORE__FERNET_KEY")["valueFrom"]["secretKeyRef"]["key"], "key");
        assert_eq!(get("LOG_LEVEL")["value"], "debug", "the template's env wins");
        assert_eq!(env.iter().filter(|e| e["name"] == "LOG_LEVEL").count(), 1);
        assert!(env.iter().all(|e| e.get("value").is_none() || !e["name"].as_str().unwrap_or("").contains("CONN")));

        let gpu = template(&set, "gpu");
        let base = &gpu["spec"]["containers"][0];
        assert_eq!(base["image"], "registry.acme.io/airflow-gpu:3.1.3");
        assert_eq!(base["resources"]["requests"]["nvidia.com/gpu"], "2");
        assert_eq!(base["resources"]["limits"]["nvidia.com/gpu"], "2");
        assert_eq!(gpu["spec"]["priorityClassName"], "critical");
    }

    #[test]
    fn executor_settings_match_the_template_namespace() {
        let set = manifests();
        let env = &find(&set, "ConfigMap", Some("team-t"), "af-executor-env")["data"];
        assert_eq!(env["AIRFLOW__CORE__EXECUTOR"], "KubernetesExecutor");
        assert_eq!(env["AIRFLOW__CORE__PARALLELISM"], "4");
        assert_eq!(env["AIRFLOW__KUBERNETES_EXECUTOR__NAMESPACE"], "team-t");
        assert_eq!(env["AIRFLOW__KUBERNETES_EXECUTOR__POD_TEMPLATE_FILE"], "/opt/airflow/pod_templates/default.yaml");
        assert_eq!(env["AIRFLOW__KUBERNETES_EXECUTOR__TASK_PUBLISH_MAX_RETRIES"], "-1", "the tenant has a quota");
        assert_eq!(env["AIRFLOW__KUBERNETES_EXECUTOR__MULTI_NAMESPACE_MODE"], "True");
        assert_eq!(env["AIRFLOW__KUBERNETES_EXECUTOR__MULTI_NAMESPACE_MODE_NAMESPACE_LIST"], "team-t,u,team-v");
        let cfg = find(&set, "ConfigMap", Some("team-t"), "af-executor-config")["data"]["airflow.cfg"]
            .as_str()
            .expect("cfg")
            .to_string();
        assert!(cfg.contains("[kubernetes_executor]\nnamespace = team-t\n"), "{cfg}");
        assert!(cfg.contains("multi_namespace_mode_namespace_list = team-t,u,team-v\n"), "{cfg}");
        assert!(cfg.contains("[core]\nexecutor = KubernetesExecutor\nparallelism = 4\n"), "{cfg}");
        // Without a quota the executor keeps Airflow's default.
        let wide = &find(&set, "ConfigMap", Some("u"), "wide-executor-env")["data"];
        assert_eq!(wide["AIRFLOW__KUBERNETES_EXECUTOR__TASK_PUBLISH_MAX_RETRIES"], "0");
        assert!(wide.get("AIRFLOW__KUBERNETES_EXECUTOR__MULTI_NAMESPACE_MODE_NAMESPACE_LIST").is_none());
    }

    #[test]
    fn a_namespace_list_gets_a_role_per_namespace_and_no_cluster_role() {
        let set = manifests();
        for ns in ["team-t", "u", "team-v"] {
            let role = find(&set, "Role", Some(ns), "af-pod-launcher");
            assert_eq!(
                role["rules"][0]["verbs"],
                serde_json::json!(["create", "list", "get", "patch", "watch", "delete"])
            );
            // pod-operator=#true: KubernetesPodOperator's exec and events as well.
            assert_eq!(role["rules"].as_array().map(Vec::len), Some(4));
            assert_eq!(role["rules"][2]["resources"][0], "pods/exec");
            let binding = find(&set, "RoleBinding", Some(ns), "af-pod-launcher");
            assert_eq!(binding["subjects"][0]["name"], "af-scheduler");
            assert_eq!(binding["subjects"][0]["namespace"], "team-t");
            // pod-operator=#true: the worker ServiceAccount of that namespace may launch pods too.
            assert_eq!(binding["subjects"][1]["name"], "af-worker");
            assert_eq!(binding["subjects"][1]["namespace"], ns);
            find(&set, "ServiceAccount", Some(ns), "af-worker");
        }
        assert!(!set.items.iter().any(|m| m.kind == "ClusterRole" && m.name.contains("af-")));
        find(&set, "ServiceAccount", Some("team-t"), "af-scheduler");
        assert!(!set.items.iter().any(|m| m.kind == "ServiceAccount"
            && m.name == "af-scheduler"
            && m.namespace.as_deref() != Some("team-t")));
    }

    #[test]
    fn cluster_wide_mode_is_the_only_cluster_role() {
        let set = manifests();
        let role = find(&set, "ClusterRole", None, "u-wide-pod-launcher");
        // Without pod-operator: only what the executor itself calls, no exec, events or get.
        assert_eq!(role["rules"].as_array().map(Vec::len), Some(2));
        assert_eq!(role["rules"][0]["verbs"], serde_json::json!(["create", "list", "patch", "watch", "delete"]));
        assert_eq!(role["rules"][1]["resources"][0], "pods/log");
        let binding = find(&set, "ClusterRoleBinding", None, "u-wide-pod-launcher");
        assert_eq!(binding["roleRef"]["kind"], "ClusterRole");
        assert_eq!(binding["subjects"].as_array().map(Vec::len), Some(1), "workers are not bound without pod-operator");
        assert!(!set.items.iter().any(|m| m.kind == "Role" && m.name == "wide-pod-launcher"));
        let env = &find(&set, "ConfigMap", Some("u"), "wide-executor-env")["data"];
        assert_eq!(env["AIRFLOW__KUBERNETES_EXECUTOR__MULTI_NAMESPACE_MODE"], "True");
    }
}
