//! Spark jobs become SparkApplications (or ScheduledSparkApplications) for the kubeflow Spark operator
//! (`sparkoperator.k8s.io/v1beta2`), and every tenant that runs Spark gets, once, the driver's
//! ServiceAccount with a Role holding exactly what a driver does with the API (executor pods, their
//! services, configmaps and volume claims) and the RoleBinding between them.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{
    Capabilities, PodSecurityContext, SeccompProfile, SecurityContext, ServiceAccount, Toleration,
};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};

use crate::crd::CustomResource as _;
use crate::crd::spark::{
    Dependencies, DeployMode, DriverSpec, DynamicAllocation, ExecutorSpec, RestartPolicy, RestartPolicyType,
    ScheduledSparkApplication, ScheduledSparkApplicationSpec, SparkApplication, SparkApplicationSpec,
    SparkApplicationType,
};
use crate::crd::{int32, int64};
use crate::emit::meta;
use crate::manifest::{Census, ManifestSet, Placement, Stage};
use crate::model::resolved::ResolvedPlatform;
use crate::model::resolved::spark::SparkJob;
use crate::model::spark::{self as model, AppType, PodSize, RestartType, Security};
use crate::source::Spanned;

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
        let metadata = meta(&job.spec.name.value, Some(ns));
        match &job.spec.schedule {
            None => set.add_custom(&SparkApplication::new(metadata, spec), at(Stage::Workloads)),
            Some(s) => {
                let scheduled = ScheduledSparkApplicationSpec {
                    schedule: s.cron.value.trim().to_string(),
                    time_zone: Some(s.time_zone().to_string()),
                    concurrency_policy: Some(s.concurrency().as_str().to_string()),
                    successful_run_history_limit: Some(int32(s.successful_history())),
                    failed_run_history_limit: Some(int32(s.failed_history())),
                    suspend: s.suspend.as_ref().map(|sus| sus.value),
                    template: spec,
                };
                set.add_custom(&ScheduledSparkApplication::new(metadata, scheduled), at(Stage::Workloads));
            }
        }
    }
}

/// The objects [`emit`] adds, as headers ([`Census`]), in the same order.
pub fn census(p: &ResolvedPlatform, c: &mut Census) {
    let mut rbac_done: BTreeSet<&str> = BTreeSet::new();
    for job in &p.spark {
        let ns = job.tenant.namespace.as_str();
        let at = |stage| Placement { stage, tenant: Some(job.tenant.name.clone()), span: job.spec.name.span };
        if rbac_done.insert(ns) {
            c.typed::<ServiceAccount>(DRIVER_SERVICE_ACCOUNT, Some(ns), at(Stage::Tenancy));
            c.typed::<Role>(DRIVER_SERVICE_ACCOUNT, Some(ns), at(Stage::Tenancy));
            c.typed::<RoleBinding>(DRIVER_SERVICE_ACCOUNT, Some(ns), at(Stage::Tenancy));
        }
        let kind = match &job.spec.schedule {
            None => SparkApplication::KIND,
            Some(_) => ScheduledSparkApplication::KIND,
        };
        c.add(crate::crd::spark::API_VERSION, kind, &job.spec.name.value, Some(ns), at(Stage::Workloads));
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
fn application_spec(r: &SparkJob) -> SparkApplicationSpec {
    let (job, pods, exec) = (&r.spec, &r.pods, &r.executors);
    let priority = r.priority_class.as_deref();
    let driver = role(job, &pods.driver, priority);
    let executor = role(job, &pods.executor, priority);
    SparkApplicationSpec {
        type_: app_type(job.app_type()),
        mode: Some(DeployMode::Cluster),
        spark_version: r.spark_version.clone(),
        image: Some(r.image.clone()),
        image_pull_policy: job.pull_policy.as_ref().map(|pp| pp.value.clone()),
        image_pull_secrets: list(&job.pull_secrets),
        main_application_file: r.main_file.clone(),
        main_class: job.main_class.as_ref().map(|c| c.value.clone()),
        arguments: list(&job.args),
        spark_conf: spark_conf(r),
        hadoop_conf: string_map(&job.hadoop_conf),
        deps: (!job.deps.is_empty()).then(|| Dependencies {
            jars: list(&job.deps.jars),
            files: list(&job.deps.files),
            py_files: list(&job.deps.py_files),
            archives: list(&job.deps.archives),
            packages: list(&job.deps.packages),
            exclude_packages: list(&job.deps.exclude_packages),
            repositories: list(&job.deps.repositories),
        }),
        memory_overhead_factor: job.memory_overhead_factor.as_ref().map(|f| f.value.to_string()),
        // `.spec.nodeSelector` becomes spark-submit configuration, so it applies without the pod webhook.
        node_selector: string_map(&job.node_selector),
        restart_policy: Some(restart_policy(job)),
        time_to_live_seconds: job.ttl.as_ref().map(|ttl| int64(ttl.value.as_secs())),
        dynamic_allocation: exec.dynamic().then(|| DynamicAllocation {
            enabled: Some(true),
            min_executors: exec.min.as_ref().map(|m| int32(m.value)),
            max_executors: exec.max.as_ref().map(|m| int32(m.value)),
            initial_executors: exec.initial.as_ref().map(|m| int32(m.value)),
            // Always written: the operator passes it after sparkConf, so the job's own value must be here
            // or the operator's default (`true`) silently replaces it.
            shuffle_tracking_enabled: Some(job.shuffle_tracking()),
        }),
        driver: DriverSpec {
            cores: driver.cores,
            core_request: driver.core_request,
            core_limit: driver.core_limit,
            memory: driver.memory,
            memory_overhead: driver.memory_overhead,
            priority_class_name: driver.priority_class_name,
            tolerations: driver.tolerations,
            pod_security_context: driver.pod_security_context,
            security_context: driver.security_context,
            service_account: Some(DRIVER_SERVICE_ACCOUNT.to_string()),
            labels: None,
        },
        executor: ExecutorSpec {
            cores: executor.cores,
            core_request: executor.core_request,
            core_limit: executor.core_limit,
            memory: executor.memory,
            memory_overhead: executor.memory_overhead,
            priority_class_name: executor.priority_class_name,
            tolerations: executor.tolerations,
            pod_security_context: executor.pod_security_context,
            security_context: executor.security_context,
            instances: (!exec.dynamic()).then(|| int32(pods.executors)),
            labels: None,
        },
    }
}

/// `sparkConf`: on a monitored job Spark's Prometheus endpoints ([`model::PROMETHEUS_CONF`]), then the job's
/// own `conf` entries (which win, as a Flink job's `config` does).
fn spark_conf(r: &SparkJob) -> Option<BTreeMap<String, String>> {
    let mut c = BTreeMap::new();
    if r.monitored {
        for (k, v) in model::PROMETHEUS_CONF {
            c.insert(k.to_string(), v.to_string());
        }
    }
    c.extend(string_map(&r.spec.conf).unwrap_or_default());
    (!c.is_empty()).then_some(c)
}

/// The values of a list the CRD takes only when non-empty.
pub(crate) fn list(v: &[Spanned<String>]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.iter().map(|x| x.value.clone()).collect())
}

/// As [`list`], for `key value` pairs.
pub(crate) fn string_map(pairs: &[(Spanned<String>, Spanned<String>)]) -> Option<BTreeMap<String, String>> {
    (!pairs.is_empty()).then(|| pairs.iter().map(|(k, v)| (k.value.clone(), v.value.clone())).collect())
}

fn app_type(t: AppType) -> SparkApplicationType {
    match t {
        AppType::Scala => SparkApplicationType::Scala,
        AppType::Java => SparkApplicationType::Java,
        AppType::Python => SparkApplicationType::Python,
        AppType::R => SparkApplicationType::R,
    }
}

fn restart_type(t: RestartType) -> RestartPolicyType {
    match t {
        RestartType::Never => RestartPolicyType::Never,
        RestartType::OnFailure => RestartPolicyType::OnFailure,
        RestartType::Always => RestartPolicyType::Always,
    }
}

/// The job's `restart`, or the operator's `Never` when it has none.
fn restart_policy(job: &model::SparkJob) -> RestartPolicy {
    let Some(r) = &job.restart else {
        return RestartPolicy { type_: Some(RestartPolicyType::Never), ..Default::default() };
    };
    // Retry counts mean something to the operator only for `OnFailure`.
    let on_failure = r.kind.value == RestartType::OnFailure;
    let retries = |v: &Option<Spanned<u64>>| v.as_ref().filter(|_| on_failure).map(|v| int32(v.value));
    RestartPolicy {
        type_: Some(restart_type(r.kind.value)),
        on_failure_retries: retries(&r.retries),
        on_submission_failure_retries: retries(&r.submission_retries),
        on_failure_retry_interval: r.retry_interval.as_ref().map(|v| int64(v.value.as_secs())),
        on_submission_failure_retry_interval: r.submission_retry_interval.as_ref().map(|v| int64(v.value.as_secs())),
    }
}

/// The fields the driver and executors share: sizing, scheduling and security.
struct RoleFields {
    cores: Option<i32>,
    core_request: Option<String>,
    core_limit: Option<String>,
    memory: Option<String>,
    memory_overhead: Option<String>,
    priority_class_name: Option<String>,
    tolerations: Option<Vec<Toleration>>,
    pod_security_context: Option<PodSecurityContext>,
    security_context: Option<SecurityContext>,
}

/// The driver's or executor's sizing, scheduling and security fields.
fn role(job: &model::SparkJob, size: &PodSize, priority: Option<&str>) -> RoleFields {
    // Pod Security `restricted`: non-root with a numeric uid (the Spark images name their user, which the
    // kubelet cannot verify as non-root), RuntimeDefault seccomp, no escalation, no capabilities.
    let restricted = match job.security.value {
        Security::Restricted { run_as_user } => Some(run_as_user),
        Security::None => None,
    };
    RoleFields {
        cores: Some(int32(size.cores)),
        core_request: size.core_request.map(|r| r.to_string()),
        core_limit: Some(size.core_limit.to_string()),
        memory: Some(size.memory.to_string()),
        memory_overhead: Some(size.overhead.to_string()),
        priority_class_name: priority.map(str::to_string),
        tolerations: tolerations(&job.tolerations),
        pod_security_context: restricted.map(restricted_pod_context),
        security_context: restricted.map(|_| restricted_container_context()),
    }
}

/// Tolerations as a pod spec takes them (`None` for none); `Equal` written out, as the API server defaults it.
pub(crate) fn tolerations(ts: &[model::Toleration]) -> Option<Vec<Toleration>> {
    let out: Vec<Toleration> = ts
        .iter()
        .map(|t| Toleration {
            key: t.key.as_ref().map(|k| k.value.clone()),
            operator: Some(t.operator.as_ref().map_or("Equal", |o| o.value.as_str()).to_string()),
            value: t.value.as_ref().map(|v| v.value.clone()),
            effect: t.effect.as_ref().map(|e| e.value.clone()),
            toleration_seconds: t.seconds.as_ref().map(|s| int64(s.value)),
        })
        .collect();
    (!out.is_empty()).then_some(out)
}

/// The pod half of Pod Security `restricted`: non-root as a numeric uid, RuntimeDefault seccomp.
pub(crate) fn restricted_pod_context(uid: u64) -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(int64(uid)),
        seccomp_profile: Some(SeccompProfile { type_: "RuntimeDefault".to_string(), localhost_profile: None }),
        ..Default::default()
    }
}

/// The container half of Pod Security `restricted`: no privilege escalation, every capability dropped.
pub(crate) fn restricted_container_context() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities { drop: Some(vec!["ALL".to_string()]), add: None }),
        run_as_non_root: Some(true),
        ..Default::default()
    }
}
