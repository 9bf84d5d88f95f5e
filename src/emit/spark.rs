//! Spark jobs become SparkApplications (or ScheduledSparkApplications) for the kubeflow Spark operator
//! (`sparkoperator.k8s.io/v1beta2`), and every tenant that runs Spark gets, once, the driver's
//! ServiceAccount with a Role holding exactly what a driver does with the API (executor pods, their
//! services, configmaps and volume claims) and the RoleBinding between them.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use serde_json::{Map, Value, json};

use crate::emit::meta;
use crate::manifest::{ManifestSet, Placement, Stage};
use crate::model::resolved::ResolvedPlatform;
use crate::model::resolved::spark::SparkJob;
use crate::model::spark::{self as model, PodSize, RestartType, Security};

pub const API_VERSION: &str = "sparkoperator.k8s.io/v1beta2";
/// The ServiceAccount (and Role, RoleBinding) every driver of a tenant runs as.
pub const DRIVER_SERVICE_ACCOUNT: &str = "spark-driver";

/// What the driver does with the API: creates, watches and deletes its executor pods, the headless service
/// executors reach it through, the configmaps carrying Spark's configuration, and on-demand volume claims
/// (the operator chart's `spark/rbac.yaml` grants `*` on the same resources).
const DRIVER_RESOURCES: &[&str] = &["pods", "services", "configmaps", "persistentvolumeclaims"];
const DRIVER_VERBS: &[&str] = &["create", "get", "list", "watch", "update", "patch", "delete", "deletecollection"];

pub fn emit(p: &ResolvedPlatform, set: &mut ManifestSet) {
    let mut rbac_done: BTreeSet<&str> = BTreeSet::new();
    for job in &p.spark {
        let ns = job.tenant.namespace.as_str();
        let at = |stage| Placement { stage, tenant: Some(job.tenant.name.clone()), span: job.spec.name.span };
        if rbac_done.insert(ns) {
            driver_rbac(ns, set, at(Stage::Tenancy));
        }
        let spec = application_spec(job);
        let name = &job.spec.name.value;
        let object = match &job.spec.schedule {
            None => json!({
                "apiVersion": API_VERSION,
                "kind": "SparkApplication",
                "metadata": {"name": name, "namespace": ns},
                "spec": spec,
            }),
            Some(s) => {
                let mut sched = Map::new();
                sched.insert("schedule".into(), json!(s.cron.value.trim()));
                sched.insert("timeZone".into(), json!(s.time_zone()));
                sched.insert("concurrencyPolicy".into(), json!(s.concurrency().as_str()));
                sched.insert("successfulRunHistoryLimit".into(), json!(s.successful_history()));
                sched.insert("failedRunHistoryLimit".into(), json!(s.failed_history()));
                if let Some(sus) = &s.suspend {
                    sched.insert("suspend".into(), json!(sus.value));
                }
                sched.insert("template".into(), spec);
                json!({
                    "apiVersion": API_VERSION,
                    "kind": "ScheduledSparkApplication",
                    "metadata": {"name": name, "namespace": ns},
                    "spec": Value::Object(sched),
                })
            }
        };
        set.add_value(object, at(Stage::Workloads));
    }
}

fn driver_rbac(ns: &str, set: &mut ManifestSet, at: Placement) {
    let sa = ServiceAccount { metadata: meta(DRIVER_SERVICE_ACCOUNT, Some(ns)), ..Default::default() };
    let role = Role {
        metadata: meta(DRIVER_SERVICE_ACCOUNT, Some(ns)),
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(DRIVER_RESOURCES.iter().map(|s| s.to_string()).collect()),
            verbs: DRIVER_VERBS.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }]),
    };
    let binding = RoleBinding {
        metadata: meta(DRIVER_SERVICE_ACCOUNT, Some(ns)),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "Role".into(),
            name: DRIVER_SERVICE_ACCOUNT.into(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: DRIVER_SERVICE_ACCOUNT.into(),
            namespace: Some(ns.to_string()),
            api_group: None,
        }]),
    };
    set.add_typed(&sa, at.clone());
    set.add_typed(&role, at.clone());
    set.add_typed(&binding, at);
}

/// `.spec` of the SparkApplication (the `template` of a scheduled one).
fn application_spec(r: &SparkJob) -> Value {
    let (job, pods, exec) = (&r.spec, &r.pods, &r.executors);
    let mut s = Map::new();
    s.insert("type".into(), json!(job.app_type().as_str()));
    s.insert("mode".into(), json!("cluster"));
    s.insert("sparkVersion".into(), json!(r.spark_version));
    s.insert("image".into(), json!(r.image));
    if let Some(pp) = &job.pull_policy {
        s.insert("imagePullPolicy".into(), json!(pp.value));
    }
    if !job.pull_secrets.is_empty() {
        s.insert("imagePullSecrets".into(), json!(job.pull_secrets.iter().map(|x| &x.value).collect::<Vec<_>>()));
    }
    s.insert("mainApplicationFile".into(), json!(r.main_file));
    if let Some(c) = &job.main_class {
        s.insert("mainClass".into(), json!(c.value));
    }
    if !job.args.is_empty() {
        s.insert("arguments".into(), json!(job.args.iter().map(|a| &a.value).collect::<Vec<_>>()));
    }
    let string_map = |pairs: &[(crate::source::Spanned<String>, crate::source::Spanned<String>)]| {
        Value::Object(pairs.iter().map(|(k, v)| (k.value.clone(), json!(v.value))).collect())
    };
    if !job.conf.is_empty() {
        s.insert("sparkConf".into(), string_map(&job.conf));
    }
    if !job.hadoop_conf.is_empty() {
        s.insert("hadoopConf".into(), string_map(&job.hadoop_conf));
    }
    if !job.deps.is_empty() {
        let mut deps = Map::new();
        let list = |v: &Vec<crate::source::Spanned<String>>| json!(v.iter().map(|x| &x.value).collect::<Vec<_>>());
        for (key, v) in [
            ("jars", &job.deps.jars),
            ("files", &job.deps.files),
            ("pyFiles", &job.deps.py_files),
            ("archives", &job.deps.archives),
            ("packages", &job.deps.packages),
            ("excludePackages", &job.deps.exclude_packages),
            ("repositories", &job.deps.repositories),
        ] {
            if !v.is_empty() {
                deps.insert(key.into(), list(v));
            }
        }
        s.insert("deps".into(), Value::Object(deps));
    }
    if let Some(f) = &job.memory_overhead_factor {
        s.insert("memoryOverheadFactor".into(), json!(f.value.to_string()));
    }
    // `.spec.nodeSelector` becomes spark-submit configuration, so it applies without the pod webhook.
    if !job.node_selector.is_empty() {
        s.insert("nodeSelector".into(), string_map(&job.node_selector));
    }
    s.insert("restartPolicy".into(), restart_policy(job));
    if let Some(ttl) = &job.ttl {
        s.insert("timeToLiveSeconds".into(), json!(ttl.value.as_secs()));
    }
    if exec.dynamic() {
        let mut da = Map::new();
        da.insert("enabled".into(), json!(true));
        if let Some(m) = &exec.min {
            da.insert("minExecutors".into(), json!(m.value));
        }
        if let Some(m) = &exec.max {
            da.insert("maxExecutors".into(), json!(m.value));
        }
        if let Some(m) = &exec.initial {
            da.insert("initialExecutors".into(), json!(m.value));
        }
        s.insert("dynamicAllocation".into(), Value::Object(da));
    }
    let priority = r.priority_class.as_deref();
    let mut driver = role(job, &pods.driver, priority);
    driver.insert("serviceAccount".into(), json!(DRIVER_SERVICE_ACCOUNT));
    let mut executor = role(job, &pods.executor, priority);
    if !exec.dynamic() {
        executor.insert("instances".into(), json!(pods.executors));
    }
    s.insert("driver".into(), Value::Object(driver));
    s.insert("executor".into(), Value::Object(executor));
    Value::Object(s)
}

/// The job's `restart`, or the operator's `Never` when it has none.
fn restart_policy(job: &model::SparkJob) -> Value {
    match &job.restart {
        None => json!({"type": RestartType::Never.as_str()}),
        Some(r) => restart_spec(r),
    }
}

fn restart_spec(r: &model::RestartSpec) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!(r.kind.value.as_str()));
    if r.kind.value == RestartType::OnFailure {
        if let Some(v) = &r.retries {
            m.insert("onFailureRetries".into(), json!(v.value));
        }
        if let Some(v) = &r.submission_retries {
            m.insert("onSubmissionFailureRetries".into(), json!(v.value));
        }
    }
    if let Some(v) = &r.retry_interval {
        m.insert("onFailureRetryInterval".into(), json!(v.value.as_secs()));
    }
    if let Some(v) = &r.submission_retry_interval {
        m.insert("onSubmissionFailureRetryInterval".into(), json!(v.value.as_secs()));
    }
    Value::Object(m)
}

/// The driver's or executor's sizing, scheduling and security fields.
fn role(job: &model::SparkJob, size: &PodSize, priority: Option<&str>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("cores".into(), json!(size.cores));
    if let Some(r) = size.core_request {
        m.insert("coreRequest".into(), json!(r.to_string()));
    }
    m.insert("coreLimit".into(), json!(size.core_limit.to_string()));
    m.insert("memory".into(), json!(size.memory.to_string()));
    m.insert("memoryOverhead".into(), json!(size.overhead.to_string()));
    if let Some(pc) = priority {
        m.insert("priorityClassName".into(), json!(pc));
    }
    if !job.tolerations.is_empty() {
        let tolerations: Vec<Value> = job
            .tolerations
            .iter()
            .map(|t| {
                let mut o = Map::new();
                if let Some(k) = &t.key {
                    o.insert("key".into(), json!(k.value));
                }
                o.insert("operator".into(), json!(t.operator.as_ref().map_or("Equal", |o| o.value.as_str())));
                if let Some(v) = &t.value {
                    o.insert("value".into(), json!(v.value));
                }
                if let Some(e) = &t.effect {
                    o.insert("effect".into(), json!(e.value));
                }
                if let Some(s) = &t.seconds {
                    o.insert("tolerationSeconds".into(), json!(s.value));
                }
                Value::Object(o)
            })
            .collect();
        m.insert("tolerations".into(), json!(tolerations));
    }
    if let Security::Restricted { run_as_user } = job.security.value {
        // Pod Security `restricted`: non-root with a numeric uid (the Spark images name their user, which
        // the kubelet cannot verify as non-root), RuntimeDefault seccomp, no escalation, no capabilities.
        m.insert(
            "podSecurityContext".into(),
            json!({
                "runAsNonRoot": true,
                "runAsUser": run_as_user,
                "seccompProfile": {"type": "RuntimeDefault"},
            }),
        );
        m.insert(
            "securityContext".into(),
            json!({
                "allowPrivilegeEscalation": false,
                "capabilities": {"drop": ["ALL"]},
                "runAsNonRoot": true,
            }),
        );
    }
    m
}
