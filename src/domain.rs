//! The domain registry: the one list of strata's domains, and of every kind they emit with what the rest
//! of strata must know about it — its group, versions and plural, the stage it is applied in, how
//! `--wait` reads its readiness, whether deleting it loses data, and which operator serves it. The
//! cluster half (`reconcile`) and the offline diff read these tables instead of keeping their own, so a
//! new kind is described once.
//!
//! Pure data and lookups: nothing here talks to a cluster. The tests below and `tests/domain_registry.rs`
//! make a forgotten part fail: a kind an emitter produces without a descriptor, a descriptor whose group,
//! version, plural or scope differs from the operator's CRD or from Kubernetes' own type, a stage the
//! emitter does not use, an operator without an install hint, a domain file that does not exist.
//!
//! # Adding a domain
//!
//! One file per pipeline stage (`lang/`, `model/`, `check/`, `emit/`, `diff/rules/`), registered where
//! each stage lists its domains; then here: a [`Domain`] variant in [`Domain::ALL`] with its
//! [`Domain::entry`] (naming those files), an [`Operator`] in [`OPERATORS`] when its kinds are custom
//! resources, and one [`KindDescriptor`] in [`KINDS`] per kind its emitter produces; and a golden case
//! that emits them.

use crate::manifest::Stage;

/// A part of the platform strata compiles, with one source file per pipeline stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Domain {
    /// Tenants: namespaces, quotas, limits and network isolation.
    Tenants,
    /// Sizes, tiers and the PriorityClasses workloads refer to.
    Presets,
    Kafka,
    Spark,
    Flink,
    Airflow,
    /// Plain container tasks: `batch/v1` Jobs and CronJobs.
    Jobs,
    /// Stream apps: Kafka consumers/producers as Deployments, with KEDA or HPA autoscaling.
    Apps,
    /// Monitoring through the Prometheus Operator: the platform's settings and the monitors of its jobs.
    Monitoring,
    /// Secrets from external stores through the External Secrets Operator: ExternalSecrets naming the
    /// stores the platform team runs.
    ExternalSecrets,
}

impl Domain {
    pub const ALL: [Domain; 10] = [
        Domain::Tenants,
        Domain::Presets,
        Domain::Kafka,
        Domain::Spark,
        Domain::Flink,
        Domain::Airflow,
        Domain::Jobs,
        Domain::Apps,
        Domain::Monitoring,
        Domain::ExternalSecrets,
    ];

    /// The domain's files (a new variant without one does not compile).
    pub fn entry(self) -> &'static DomainEntry {
        match self {
            Domain::Tenants => &DomainEntry {
                name: "tenants",
                lang: "lang/tenant.rs",
                model: "model/tenant.rs",
                check: &["check/tenants.rs", "check/network.rs", "check/quota_fit.rs", "check/cost.rs"],
                emit: &["emit/tenants.rs"],
                diff_rules: Some("diff/rules/tenants.rs"),
            },
            Domain::Presets => &DomainEntry {
                name: "presets",
                lang: "lang/presets.rs",
                model: "model/presets.rs",
                check: &["check/presets.rs"],
                emit: &["emit/priority_classes.rs"],
                diff_rules: None,
            },
            Domain::Kafka => &DomainEntry {
                name: "kafka",
                lang: "lang/kafka.rs",
                model: "model/kafka.rs",
                check: &["check/kafka.rs"],
                emit: &["emit/kafka.rs"],
                diff_rules: Some("diff/rules/kafka.rs"),
            },
            Domain::Spark => &DomainEntry {
                name: "spark",
                lang: "lang/spark.rs",
                model: "model/spark.rs",
                check: &["check/spark.rs"],
                emit: &["emit/spark.rs"],
                diff_rules: Some("diff/rules/spark.rs"),
            },
            Domain::Flink => &DomainEntry {
                name: "flink",
                lang: "lang/flink.rs",
                model: "model/flink.rs",
                check: &["check/flink.rs", "check/flink_operator.rs"],
                emit: &["emit/flink.rs"],
                diff_rules: Some("diff/rules/flink.rs"),
            },
            Domain::Airflow => &DomainEntry {
                name: "airflow",
                lang: "lang/airflow.rs",
                model: "model/airflow.rs",
                check: &["check/airflow.rs"],
                emit: &["emit/airflow.rs"],
                diff_rules: Some("diff/rules/airflow.rs"),
            },
            Domain::Jobs => &DomainEntry {
                name: "jobs",
                lang: "lang/job.rs",
                model: "model/job.rs",
                check: &["check/job.rs"],
                emit: &["emit/job.rs"],
                diff_rules: Some("diff/rules/job.rs"),
            },
            Domain::Apps => &DomainEntry {
                name: "stream-apps",
                lang: "lang/app.rs",
                model: "model/app.rs",
                check: &["check/app.rs"],
                emit: &["emit/app.rs"],
                diff_rules: Some("diff/rules/app.rs"),
            },
            Domain::Monitoring => &DomainEntry {
                name: "monitoring",
                lang: "lang/monitoring.rs",
                model: "model/monitoring.rs",
                check: &["check/monitoring.rs"],
                emit: &["emit/monitoring.rs", "emit/alerts.rs"],
                diff_rules: Some("diff/rules/monitoring.rs"),
            },
            Domain::ExternalSecrets => &DomainEntry {
                name: "external-secrets",
                lang: "lang/external_secret.rs",
                model: "model/external_secret.rs",
                check: &["check/external_secret.rs"],
                emit: &["emit/external_secret.rs"],
                diff_rules: Some("diff/rules/external_secret.rs"),
            },
        }
    }
}

/// A domain's source files, one per pipeline stage, relative to `src/` (a test checks that they exist,
/// and that every emitter and diff rule file belongs to a domain).
#[derive(Debug)]
pub struct DomainEntry {
    pub name: &'static str,
    /// Reads the domain's nodes of `platform.kdl` into the model.
    pub lang: &'static str,
    pub model: &'static str,
    /// The domain's semantic rules; more than one file when a rule family grew its own.
    pub check: &'static [&'static str],
    /// The domain's emitters; more than one file when a part of its output grew its own (monitoring's
    /// alerts).
    pub emit: &'static [&'static str],
    /// Change-safety rules of `strata diff` (`None`: the domain has no change that is unsafe to apply).
    pub diff_rules: Option<&'static str>,
}

/// An operator whose CRDs serve an API group strata emits, with the release strata is tested against.
#[derive(Debug)]
pub struct Operator {
    pub domain: Domain,
    pub group: &'static str,
    /// As the install hint names it: `the Strimzi operator`.
    pub name: &'static str,
    /// The oldest release strata supports (and is tested with).
    pub release: &'static str,
    /// The parenthesis of the install hint; `{kind}` is replaced by the missing kind.
    hint_detail: &'static str,
}

impl Operator {
    /// What to do when the cluster does not serve `kind` of this operator's group.
    pub fn install_hint(&self, kind: &str) -> String {
        format!(
            "install {} {} or later ({}), then rerun",
            self.name,
            self.release,
            self.hint_detail.replace("{kind}", kind)
        )
    }
}

pub static STRIMZI: Operator = Operator {
    domain: Domain::Kafka,
    group: "kafka.strimzi.io",
    name: "the Strimzi operator",
    release: "1.2.0",
    hint_detail: "its CRDs serve kafka.strimzi.io/v1, which {kind} needs",
};

pub static KUBEFLOW_SPARK: Operator = Operator {
    domain: Domain::Spark,
    group: "sparkoperator.k8s.io",
    name: "the Kubeflow Spark operator",
    release: "v2.5.2",
    hint_detail: "CRDs sparkapplications/scheduledsparkapplications.sparkoperator.k8s.io, v1beta2, for {kind}",
};

/// The Apache Spark Kubernetes operator: strata emits none of its kinds yet, but a cluster that lacks
/// them gets the same kind of hint.
pub static APACHE_SPARK: Operator = Operator {
    domain: Domain::Spark,
    group: "spark.apache.org",
    name: "the Apache Spark Kubernetes operator",
    release: "1.0.0",
    hint_detail: "for {kind}",
};

pub static FLINK: Operator = Operator {
    domain: Domain::Flink,
    group: "flink.apache.org",
    name: "the Apache Flink Kubernetes operator",
    release: "1.15.0",
    hint_detail: "CRDs flinkdeployments/flinksessionjobs.flink.apache.org, v1beta1, for {kind}",
};

/// KEDA: the ScaledObjects (and their TriggerAuthentications) of autoscaled stream apps.
pub static KEDA: Operator = Operator {
    domain: Domain::Apps,
    group: "keda.sh",
    name: "KEDA",
    release: "2.20.2",
    hint_detail: "CRDs scaledobjects/triggerauthentications.keda.sh, v1alpha1, for {kind}",
};

/// The Prometheus Operator: the PodMonitors of monitored jobs and the PrometheusRules of their tenants.
pub static PROMETHEUS_OPERATOR: Operator = Operator {
    domain: Domain::Monitoring,
    group: "monitoring.coreos.com",
    name: "the Prometheus Operator",
    release: "0.93.0",
    hint_detail: "CRDs podmonitors/prometheusrules.monitoring.coreos.com, v1, for {kind}; kube-prometheus-stack installs them",
};

/// The External Secrets Operator: the ExternalSecrets that fill tenants' Secrets from the platform's
/// secret stores (whose SecretStore/ClusterSecretStore objects strata refers to and never emits).
pub static ESO: Operator = Operator {
    domain: Domain::ExternalSecrets,
    group: "external-secrets.io",
    name: "the External Secrets Operator",
    release: "2.9.0",
    hint_detail: "CRDs externalsecrets/secretstores/clustersecretstores.external-secrets.io, v1, for {kind}",
};

pub static OPERATORS: &[&Operator] =
    &[&STRIMZI, &KUBEFLOW_SPARK, &APACHE_SPARK, &FLINK, &KEDA, &PROMETHEUS_OPERATOR, &ESO];

/// Who serves a kind.
#[derive(Debug, Clone, Copy)]
pub enum ServedBy {
    /// Kubernetes itself (a built-in API group).
    Kubernetes,
    /// An operator's CustomResourceDefinition.
    Operator(&'static Operator),
}

/// How `--wait` reads an object's readiness (the rules themselves are in `reconcile::wait`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadyRule {
    /// Nothing to wait for: ready once applied.
    Applied,
    /// Strimzi: a `Ready` condition, once `observedGeneration` caught up.
    StrimziReady,
    /// Kubeflow Spark operator: `status.applicationState.state`.
    SparkAppState,
    /// Kubeflow Spark operator: `status.scheduleState`.
    SparkScheduleState,
    /// Flink operator: lifecycle STABLE and a running or finished job.
    FlinkLifecycle,
    /// `batch/v1` Job: the `Complete` condition; `Failed` is a failure.
    JobComplete,
    /// Ready once the API server holds it (a CronJob: its runs come later, on schedule).
    Exists,
    /// A Deployment: the controller observed the current generation, every replica is updated, and the
    /// `Available` condition is true.
    DeploymentAvailable,
    /// KEDA: the ScaledObject's `Ready` condition.
    KedaReady,
    /// ESO: the ExternalSecret's `Ready` condition (`SecretSynced`, or `SecretSyncedError` with why).
    EsoReady,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Namespaced,
    Cluster,
}

/// Everything strata knows about one kind besides its objects.
#[derive(Debug)]
pub struct KindDescriptor {
    pub group: &'static str,
    pub kind: &'static str,
    /// The versions strata may emit, the current one first.
    pub versions: &'static [&'static str],
    /// The resource name (`kafkatopics`).
    pub plural: &'static str,
    pub scope: Scope,
    /// The stage the emitters put it in, and so the order deletes run in (reversed).
    pub stage: Stage,
    pub served_by: ServedBy,
    pub readiness: ReadyRule,
    /// What deleting (or recreating) one destroys that a spec cannot bring back: the prune and
    /// `--recreate` guards refuse it without `--allow-data-loss`.
    pub data_loss: Option<&'static str>,
    /// One of the objects that make a namespace safe to run in (quota, limits, isolation): kept while
    /// its namespace is kept.
    pub namespace_guard: bool,
    /// Whether an emitter produces it. Kinds strata does not emit are described because an older spec
    /// or release may have left them in an inventory, and their guards must still hold.
    pub emitted: bool,
    /// Where, in the object, the labels of the pods it makes are written (`spec.template.metadata.labels`):
    /// labels a tenant puts on its pods (`cost-center`) go there, since cost tools group by pod label.
    pub pod_labels: &'static [&'static [&'static str]],
}

const fn builtin(group: &'static str, kind: &'static str, plural: &'static str, scope: Scope) -> KindDescriptor {
    KindDescriptor {
        group,
        kind,
        versions: &["v1"],
        plural,
        scope,
        stage: match scope {
            Scope::Cluster => Stage::Cluster,
            Scope::Namespaced => Stage::Tenancy,
        },
        served_by: ServedBy::Kubernetes,
        readiness: ReadyRule::Applied,
        data_loss: None,
        namespace_guard: false,
        emitted: true,
        pod_labels: &[],
    }
}

const fn custom(
    operator: &'static Operator,
    kind: &'static str,
    versions: &'static [&'static str],
    plural: &'static str,
    readiness: ReadyRule,
) -> KindDescriptor {
    KindDescriptor {
        group: operator.group,
        kind,
        versions,
        plural,
        scope: Scope::Namespaced,
        stage: Stage::Workloads,
        served_by: ServedBy::Operator(operator),
        readiness,
        data_loss: None,
        namespace_guard: false,
        emitted: true,
        pod_labels: &[],
    }
}

const RBAC: &str = "rbac.authorization.k8s.io";

/// The pod template's labels of the built-in workload kinds.
const TEMPLATE_LABELS: &[&str] = &["spec", "template", "metadata", "labels"];

/// Built-in groups whose namespaced kinds run or scale pods: they are applied with the workloads, after the
/// tenant's Namespace, ResourceQuota and LimitRange (a pod admitted before its LimitRange gets no
/// defaults, and one admitted before its quota is not counted against it).
const WORKLOAD_GROUPS: &[&str] = &["apps", "batch", "autoscaling", "policy"];

/// A built-in kind that runs or scales pods (see [`WORKLOAD_GROUPS`]).
const fn workload(
    group: &'static str,
    kind: &'static str,
    plural: &'static str,
    readiness: ReadyRule,
) -> KindDescriptor {
    KindDescriptor { stage: Stage::Workloads, readiness, ..builtin(group, kind, plural, Scope::Namespaced) }
}

/// Every kind strata emits or guards.
pub static KINDS: &[KindDescriptor] = &[
    KindDescriptor {
        data_loss: Some("deleting a Namespace deletes everything in it"),
        ..builtin("", "Namespace", "namespaces", Scope::Cluster)
    },
    KindDescriptor { namespace_guard: true, ..builtin("", "ResourceQuota", "resourcequotas", Scope::Namespaced) },
    KindDescriptor { namespace_guard: true, ..builtin("", "LimitRange", "limitranges", Scope::Namespaced) },
    KindDescriptor {
        namespace_guard: true,
        ..builtin("networking.k8s.io", "NetworkPolicy", "networkpolicies", Scope::Namespaced)
    },
    builtin("", "ServiceAccount", "serviceaccounts", Scope::Namespaced),
    builtin("", "ConfigMap", "configmaps", Scope::Namespaced),
    builtin(RBAC, "Role", "roles", Scope::Namespaced),
    builtin(RBAC, "RoleBinding", "rolebindings", Scope::Namespaced),
    builtin(RBAC, "ClusterRole", "clusterroles", Scope::Cluster),
    builtin(RBAC, "ClusterRoleBinding", "clusterrolebindings", Scope::Cluster),
    builtin("scheduling.k8s.io", "PriorityClass", "priorityclasses", Scope::Cluster),
    KindDescriptor { pod_labels: &[TEMPLATE_LABELS], ..workload("batch", "Job", "jobs", ReadyRule::JobComplete) },
    KindDescriptor {
        pod_labels: &[&["spec", "jobTemplate", "spec", "template", "metadata", "labels"]],
        ..workload("batch", "CronJob", "cronjobs", ReadyRule::Exists)
    },
    KindDescriptor {
        data_loss: Some("deleting a PersistentVolumeClaim can delete its volume and data"),
        emitted: false,
        ..builtin("", "PersistentVolumeClaim", "persistentvolumeclaims", Scope::Namespaced)
    },
    KindDescriptor {
        data_loss: Some("deleting a KafkaTopic deletes the topic and its data in Kafka"),
        ..custom(&STRIMZI, "KafkaTopic", &["v1", "v1beta2"], "kafkatopics", ReadyRule::StrimziReady)
    },
    // The User Operator deletes the user's credentials Secret and ACLs with it: every client using them
    // is locked out, and a re-created user gets new credentials.
    KindDescriptor {
        data_loss: Some("deleting a KafkaUser deletes its credentials and ACLs, which clients use to connect"),
        ..custom(&STRIMZI, "KafkaUser", &["v1", "v1beta2"], "kafkausers", ReadyRule::StrimziReady)
    },
    // The cluster itself belongs to the Strimzi installation the spec refers to; `--wait` still knows it.
    KindDescriptor {
        emitted: false,
        ..custom(&STRIMZI, "Kafka", &["v1", "v1beta2"], "kafkas", ReadyRule::StrimziReady)
    },
    // The Spark operator copies `driver.labels`/`executor.labels` onto the pods it submits.
    KindDescriptor {
        pod_labels: &[&["spec", "driver", "labels"], &["spec", "executor", "labels"]],
        ..custom(&KUBEFLOW_SPARK, "SparkApplication", &["v1beta2"], "sparkapplications", ReadyRule::SparkAppState)
    },
    KindDescriptor {
        pod_labels: &[&["spec", "template", "driver", "labels"], &["spec", "template", "executor", "labels"]],
        ..custom(
            &KUBEFLOW_SPARK,
            "ScheduledSparkApplication",
            &["v1beta2"],
            "scheduledsparkapplications",
            ReadyRule::SparkScheduleState,
        )
    },
    // The Flink operator tears the job down with its cluster; the job's running state lives in the
    // cluster until the next savepoint, and HA metadata pointing at the last checkpoint is removed.
    KindDescriptor {
        data_loss: Some(
            "deleting a FlinkDeployment stops its job and drops its running state since the last savepoint",
        ),
        // The operator merges `podTemplate` into the JobManager and TaskManager pods.
        pod_labels: &[&["spec", "podTemplate", "metadata", "labels"]],
        ..custom(&FLINK, "FlinkDeployment", &["v1beta1"], "flinkdeployments", ReadyRule::FlinkLifecycle)
    },
    KindDescriptor {
        data_loss: Some(
            "deleting a FlinkSessionJob stops its job and drops its running state since the last savepoint",
        ),
        emitted: false,
        ..custom(&FLINK, "FlinkSessionJob", &["v1beta1"], "flinksessionjobs", ReadyRule::FlinkLifecycle)
    },
    KindDescriptor {
        pod_labels: &[TEMPLATE_LABELS],
        ..workload("apps", "Deployment", "deployments", ReadyRule::DeploymentAvailable)
    },
    workload("policy", "PodDisruptionBudget", "poddisruptionbudgets", ReadyRule::Applied),
    KindDescriptor {
        versions: &["v2"],
        ..workload("autoscaling", "HorizontalPodAutoscaler", "horizontalpodautoscalers", ReadyRule::Applied)
    },
    custom(&KEDA, "ScaledObject", &["v1alpha1"], "scaledobjects", ReadyRule::KedaReady),
    // KEDA publishes no progress for a TriggerAuthentication (its status only lists the ScaledObjects that
    // use it): ready once applied.
    custom(&KEDA, "TriggerAuthentication", &["v1alpha1"], "triggerauthentications", ReadyRule::Applied),
    // A PodMonitor's status (which Prometheus objects bind it) is written only behind the operator's
    // `StatusForConfigurationResources` feature gate, off by default in 0.93.0: ready once applied.
    custom(&PROMETHEUS_OPERATOR, "PodMonitor", &["v1"], "podmonitors", ReadyRule::Applied),
    // Likewise for a PrometheusRule: nothing in its status says a Prometheus loaded it.
    custom(&PROMETHEUS_OPERATOR, "PrometheusRule", &["v1"], "prometheusrules", ReadyRule::Applied),
    // With creationPolicy Owner (ESO's default and strata's) the Secret carries an ownerReference to the
    // ExternalSecret, so the garbage collector deletes it with it; Orphan, Merge and None keep it.
    KindDescriptor {
        data_loss: Some(
            "deleting an ExternalSecret with creationPolicy Owner (the default) deletes the Secret it wrote: pods \
             that read it fail to start until it is written again from the store",
        ),
        ..custom(&ESO, "ExternalSecret", &["v1"], "externalsecrets", ReadyRule::EsoReady)
    },
    // The stores belong to the platform team: strata never emits them (see `model::external_secret`).
    KindDescriptor { emitted: false, ..custom(&ESO, "SecretStore", &["v1"], "secretstores", ReadyRule::EsoReady) },
    KindDescriptor {
        emitted: false,
        scope: Scope::Cluster,
        stage: Stage::Cluster,
        ..custom(&ESO, "ClusterSecretStore", &["v1"], "clustersecretstores", ReadyRule::EsoReady)
    },
];

/// The descriptor of a group-kind, if strata knows it.
pub fn lookup(group: &str, kind: &str) -> Option<&'static KindDescriptor> {
    KINDS.iter().find(|d| d.group == group && d.kind == kind)
}

/// The descriptor of an apiVersion (`kafka.strimzi.io/v1`, `v1`) and kind.
pub fn lookup_api_version(api_version: &str, kind: &str) -> Option<&'static KindDescriptor> {
    lookup(api_version.rsplit_once('/').map_or("", |(g, _)| g), kind)
}

/// The operator that serves an API group.
pub fn operator_of(group: &str) -> Option<&'static Operator> {
    OPERATORS.iter().copied().find(|o| o.group == group)
}

/// What to do when the cluster does not serve `kind` of `group`: the operator (and the release strata is
/// tested with) to install, or for a built-in group, what to check about the cluster's release.
pub fn install_hint(group: &str, kind: &str) -> String {
    match (group, operator_of(group)) {
        (_, Some(operator)) => operator.install_hint(kind),
        ("", None) => format!("the core API has no {kind} on this cluster; check `kubernetes version` in the spec"),
        (g, None) => format!(
            "this Kubernetes release does not serve {g}; upgrade the cluster or lower `kubernetes version` in the spec"
        ),
    }
}

/// What deleting an object of a data-bearing kind destroys (`None` for kinds that hold no data). The one
/// answer behind the prune guard and the `--recreate` guard.
pub fn data_loss(group: &str, kind: &str) -> Option<&'static str> {
    lookup(group, kind).and_then(|d| d.data_loss)
}

/// [`data_loss`] for one object, where its spec decides: an ExternalSecret whose `creationPolicy` is not
/// `Owner` leaves its Secret behind when deleted (ESO sets the ownerReference only under Owner).
pub fn data_loss_of(group: &str, kind: &str, object: &serde_json::Value) -> Option<&'static str> {
    let why = data_loss(group, kind)?;
    if group == ESO.group && kind == "ExternalSecret" {
        let policy = object.pointer("/spec/target/creationPolicy").and_then(serde_json::Value::as_str);
        if policy.is_some_and(|p| p != "Owner") {
            return None;
        }
    }
    Some(why)
}

/// The data-bearing kinds.
pub fn data_bearing() -> impl Iterator<Item = &'static KindDescriptor> {
    KINDS.iter().filter(|d| d.data_loss.is_some())
}

/// Whether a kept namespace keeps objects of this kind (see [`KindDescriptor::namespace_guard`]).
pub fn guards_namespace(group: &str, kind: &str) -> bool {
    lookup(group, kind).is_some_and(|d| d.namespace_guard)
}

/// How `--wait` reads this kind (ready once applied for kinds strata does not know).
pub fn readiness_rule(group: &str, kind: &str) -> ReadyRule {
    lookup(group, kind).map_or(ReadyRule::Applied, |d| d.readiness)
}

/// Whether a group is Kubernetes' own: the core group, an unqualified one (`apps`, `batch`) or a
/// `*.k8s.io` group that no operator serves (`sparkoperator.k8s.io` is an operator's).
pub fn is_builtin_group(group: &str) -> bool {
    group.is_empty() || !group.contains('.') || group.ends_with(".k8s.io") && operator_of(group).is_none()
}

/// The apply stage of a live object (for delete ordering): its descriptor's, and for a kind strata does
/// not know, the rule the emitters follow — cluster-scoped kinds first, built-in namespaced kinds next,
/// custom resources last.
pub fn stage_of(group: &str, kind: &str, namespaced: bool) -> Stage {
    lookup(group, kind).map_or_else(|| default_stage(group, namespaced), |d| d.stage)
}

fn default_stage(group: &str, namespaced: bool) -> Stage {
    if !namespaced {
        Stage::Cluster
    } else if is_builtin_group(group) && !WORKLOAD_GROUPS.contains(&group) {
        Stage::Tenancy
    } else {
        Stage::Workloads
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn each_kind_is_described_once() {
        let mut seen = BTreeSet::new();
        for d in KINDS {
            assert!(seen.insert((d.group, d.kind)), "{}.{} is described twice", d.kind, d.group);
            assert!(!d.versions.is_empty() && !d.plural.is_empty(), "{} needs a version and a plural", d.kind);
        }
        let groups: BTreeSet<&str> = OPERATORS.iter().map(|o| o.group).collect();
        assert_eq!(groups.len(), OPERATORS.len(), "two operators serve one group");
    }

    #[test]
    fn every_custom_kind_names_its_operator_and_every_operator_group_is_custom() {
        for d in KINDS {
            match d.served_by {
                ServedBy::Operator(o) => {
                    assert_eq!(o.group, d.group, "{} is served by {}, whose group is {}", d.kind, o.name, o.group);
                    assert!(!is_builtin_group(d.group), "{}: {} looks built in", d.kind, d.group);
                    let hint = install_hint(d.group, d.kind);
                    assert!(hint.contains(o.release) && hint.contains(d.kind), "{}: {hint}", d.kind);
                    // The hint names the version the cluster must serve, which must be the one emitted.
                    assert!(hint.contains(d.versions[0]), "{}: {hint} does not name {}", d.kind, d.versions[0]);
                }
                ServedBy::Kubernetes => {
                    assert!(is_builtin_group(d.group), "{}: {} is not a built-in group", d.kind, d.group);
                    assert!(operator_of(d.group).is_none(), "{}: an operator serves {}", d.kind, d.group);
                }
            }
        }
        for o in OPERATORS {
            assert!(!is_builtin_group(o.group), "{}: {} looks built in", o.name, o.group);
        }
    }

    /// Operator kinds whose status reports no progress to wait for.
    const NO_PROGRESS: &[&str] = &["TriggerAuthentication", "PodMonitor", "PrometheusRule"];

    #[test]
    fn every_operator_kind_has_a_readiness_rule_and_every_data_bearing_kind_says_how_it_is_waited_for() {
        for d in KINDS {
            // An operator publishes progress in status; `--wait` that ignored it would call a failed
            // job ready.
            if matches!(d.served_by, ServedBy::Operator(_)) && !NO_PROGRESS.contains(&d.kind) {
                assert_ne!(d.readiness, ReadyRule::Applied, "{} is an operator's kind: give it a ReadyRule", d.kind);
            }
        }
        for d in data_bearing() {
            let why = d.data_loss.expect("data-bearing");
            // `--recreate`'s message turns "deleting a X ..." into "deleting it ...".
            let (a, an) = (format!("deleting a {} ", d.kind), format!("deleting an {} ", d.kind));
            assert!(why.starts_with(&a) || why.starts_with(&an), "{}: {why}", d.kind);
            match d.served_by {
                ServedBy::Operator(_) => assert_ne!(d.readiness, ReadyRule::Applied, "{}", d.kind),
                // Built-in data-bearing kinds (Namespace, PersistentVolumeClaim) are ready once applied.
                ServedBy::Kubernetes => assert_eq!(d.readiness, ReadyRule::Applied, "{}", d.kind),
            }
        }
    }

    #[test]
    fn the_stage_rule_for_unknown_kinds_agrees_with_every_descriptor() {
        // Prune orders deletes of unknown kinds by this rule: a descriptor that disagrees would order its
        // kind differently from similar kinds strata does not know. Scope decides first.
        for d in KINDS {
            let namespaced = d.scope == Scope::Namespaced;
            assert_eq!(default_stage(d.group, namespaced), d.stage, "{}.{}", d.kind, d.group);
            assert_eq!(stage_of(d.group, d.kind, namespaced), d.stage);
        }
        // Built-in workloads come after the tenancy objects their pods are admitted against.
        assert_eq!(stage_of("apps", "Deployment", true), Stage::Workloads);
        assert_eq!(stage_of("batch", "Job", true), Stage::Workloads);
        assert_eq!(stage_of("", "ConfigMap", true), Stage::Tenancy);
        assert_eq!(stage_of("batch", "CronJob", true), Stage::Workloads);
        assert_eq!(stage_of("", "Service", true), Stage::Tenancy);
        assert_eq!(stage_of("scheduling.k8s.io", "PriorityClass", false), Stage::Cluster);
        assert_eq!(stage_of("sparkoperator.k8s.io", "SparkApplication", true), Stage::Workloads);
        assert_eq!(stage_of("example.com", "Widget", true), Stage::Workloads);
        assert_eq!(stage_of("example.com", "Widget", false), Stage::Cluster);
    }

    #[test]
    fn install_hints_are_the_ones_users_know() {
        assert_eq!(
            install_hint("kafka.strimzi.io", "KafkaTopic"),
            "install the Strimzi operator 1.2.0 or later (its CRDs serve kafka.strimzi.io/v1, which KafkaTopic needs), then rerun"
        );
        assert_eq!(
            install_hint("sparkoperator.k8s.io", "SparkApplication"),
            "install the Kubeflow Spark operator v2.5.2 or later (CRDs sparkapplications/scheduledsparkapplications.sparkoperator.k8s.io, v1beta2, for SparkApplication), then rerun"
        );
        assert_eq!(
            install_hint("spark.apache.org", "SparkApplication"),
            "install the Apache Spark Kubernetes operator 1.0.0 or later (for SparkApplication), then rerun"
        );
        assert_eq!(
            install_hint("flink.apache.org", "FlinkDeployment"),
            "install the Apache Flink Kubernetes operator 1.15.0 or later (CRDs flinkdeployments/flinksessionjobs.flink.apache.org, v1beta1, for FlinkDeployment), then rerun"
        );
        assert_eq!(
            install_hint("", "Pod"),
            "the core API has no Pod on this cluster; check `kubernetes version` in the spec"
        );
        assert_eq!(
            install_hint("batch", "CronJob"),
            "this Kubernetes release does not serve batch; upgrade the cluster or lower `kubernetes version` in the spec"
        );
    }

    #[test]
    fn the_operator_hints_name_every_crd_of_their_kinds() {
        // A hint that lists CRDs must list each of the operator's kinds.
        for o in OPERATORS {
            let listed = o.hint_detail.starts_with("CRDs ");
            for d in KINDS.iter().filter(|d| matches!(d.served_by, ServedBy::Operator(x) if std::ptr::eq(x, *o))) {
                if listed {
                    assert!(o.hint_detail.contains(d.plural), "{}: hint does not name {}", o.name, d.plural);
                }
            }
        }
    }

    #[test]
    fn data_bearing_kinds_are_the_known_ones() {
        let kinds: Vec<(&str, &str)> = data_bearing().map(|d| (d.group, d.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("", "Namespace"),
                ("", "PersistentVolumeClaim"),
                ("kafka.strimzi.io", "KafkaTopic"),
                ("kafka.strimzi.io", "KafkaUser"),
                ("flink.apache.org", "FlinkDeployment"),
                ("flink.apache.org", "FlinkSessionJob"),
                ("external-secrets.io", "ExternalSecret"),
            ]
        );
        assert!(data_loss("", "ResourceQuota").is_none());
        assert!(data_loss("kafka.strimzi.io", "Kafka").is_none());
        let guards: Vec<&str> = KINDS.iter().filter(|d| d.namespace_guard).map(|d| d.kind).collect();
        assert_eq!(guards, ["ResourceQuota", "LimitRange", "NetworkPolicy"]);
    }

    /// The built-in kinds against Kubernetes' own types (k8s-openapi): group, version, plural, scope.
    #[test]
    fn builtin_descriptors_match_the_kubernetes_types() {
        use k8s_openapi::api::{apps, autoscaling, batch, core, networking, policy, rbac, scheduling};
        fn facts<K>() -> (&'static str, &'static str, &'static str, &'static str, Scope)
        where
            K: k8s_openapi::Resource<Scope: 'static>,
        {
            let scope =
                if std::any::TypeId::of::<K::Scope>() == std::any::TypeId::of::<k8s_openapi::ClusterResourceScope>() {
                    Scope::Cluster
                } else {
                    Scope::Namespaced
                };
            (K::GROUP, K::KIND, K::VERSION, K::URL_PATH_SEGMENT, scope)
        }
        let types = [
            facts::<core::v1::Namespace>(),
            facts::<core::v1::ResourceQuota>(),
            facts::<core::v1::LimitRange>(),
            facts::<core::v1::ServiceAccount>(),
            facts::<core::v1::ConfigMap>(),
            facts::<core::v1::PersistentVolumeClaim>(),
            facts::<networking::v1::NetworkPolicy>(),
            facts::<rbac::v1::Role>(),
            facts::<rbac::v1::RoleBinding>(),
            facts::<rbac::v1::ClusterRole>(),
            facts::<rbac::v1::ClusterRoleBinding>(),
            facts::<scheduling::v1::PriorityClass>(),
            facts::<batch::v1::Job>(),
            facts::<batch::v1::CronJob>(),
            facts::<apps::v1::Deployment>(),
            facts::<policy::v1::PodDisruptionBudget>(),
            facts::<autoscaling::v2::HorizontalPodAutoscaler>(),
        ];
        for d in KINDS.iter().filter(|d| matches!(d.served_by, ServedBy::Kubernetes)) {
            let Some((group, kind, version, plural, scope)) = types.iter().find(|t| t.0 == d.group && t.1 == d.kind)
            else {
                panic!("{}: add its k8s-openapi type to this test", d.kind);
            };
            assert_eq!((d.versions, d.plural, d.scope), (&[*version][..], *plural, *scope), "{kind}.{group}");
        }
    }

    #[test]
    fn every_domain_file_exists_and_every_emitter_and_rule_file_belongs_to_a_domain() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut listed = BTreeSet::new();
        for d in Domain::ALL {
            let e = d.entry();
            let files = [e.lang, e.model]
                .into_iter()
                .chain(e.emit.iter().copied())
                .chain(e.check.iter().copied())
                .chain(e.diff_rules);
            for f in files {
                assert!(src.join(f).is_file(), "domain {}: src/{f} does not exist", e.name);
                listed.insert(f.to_string());
            }
        }
        let names: BTreeSet<&str> = Domain::ALL.iter().map(|d| d.entry().name).collect();
        assert_eq!(names.len(), Domain::ALL.len(), "two domains share a name");
        for dir in ["emit", "diff/rules"] {
            for entry in std::fs::read_dir(src.join(dir)).expect("src dir").filter_map(Result::ok) {
                let name = entry.file_name().to_string_lossy().to_string();
                if name.ends_with(".rs") && name != "mod.rs" {
                    let f = format!("{dir}/{name}");
                    assert!(listed.contains(&f), "src/{f} belongs to no domain: add the domain to `Domain::ALL`");
                }
            }
        }
    }
}

#[cfg(test)]
mod documented_role {
    /// Every kind strata emits is in the ClusterRole docs/apply.md tells users to bind (and
    /// tests/reconcile_safety.rs applies the bundled platform with): a kind missing there fails the first
    /// apply with `forbidden`.
    #[test]
    fn the_documented_clusterrole_covers_every_emitted_kind() {
        let doc = include_str!("../docs/apply.md");
        let role = doc.split("kind: ClusterRole").nth(1).and_then(|r| r.split("```").next()).expect("the role");
        let mut granted: Vec<(String, String, String)> = Vec::new();
        let mut lines = role.lines().map(str::trim).peekable();
        while let Some(line) = lines.next() {
            let Some(groups) = line.strip_prefix("- apiGroups: [").and_then(|g| g.strip_suffix(']')) else { continue };
            let resources = lines.next().and_then(|l| l.strip_prefix("resources: [")).unwrap_or_default();
            let verbs = lines.next().unwrap_or_default().to_string();
            for g in groups.split(',') {
                for r in resources.trim_end_matches(']').split(',') {
                    granted.push((g.trim().trim_matches('"').to_string(), r.trim().to_string(), verbs.clone()));
                }
            }
        }
        let missing: Vec<String> = super::KINDS
            .iter()
            .filter(|k| k.emitted)
            .filter(|k| {
                !granted.iter().any(|(g, r, v)| {
                    g == k.group
                        && r == k.plural
                        && ["get", "list", "create", "patch", "delete"].iter().all(|verb| v.contains(verb))
                })
            })
            .map(|k| format!("{}/{}", k.group, k.plural))
            .collect();
        assert!(missing.is_empty(), "docs/apply.md's ClusterRole lacks get/list/create/patch/delete on {missing:?}");
    }
}
