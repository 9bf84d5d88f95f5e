//! The kubeflow Spark operator's `SparkApplication` and `ScheduledSparkApplication`
//! (`sparkoperator.k8s.io/v1beta2`), the fields strata sets. They mirror kubeflow/spark-operator **v2.5.2**'s
//! CRDs (`kubeflow-spark-operator-v2.5.2-sparkapplications.sparkoperator.k8s.io.yaml`,
//! `kubeflow-spark-operator-v2.5.2-scheduledsparkapplications.sparkoperator.k8s.io.yaml`).
//!
//! Sizes keep the operator's own notation: `cores` is a whole number of task slots, `coreRequest` and
//! `coreLimit` are Kubernetes CPU quantities, `memory` and `memoryOverhead` are JVM sizes (`4g`, `512m`);
//! `units` reads them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{PodSecurityContext, SecurityContext, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

use super::{CustomResource, crd_enum};

pub const GROUP: &str = "sparkoperator.k8s.io";
pub const API_VERSION: &str = "sparkoperator.k8s.io/v1beta2";

/// One Spark application: a driver and its executors, run once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SparkApplication {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: SparkApplicationSpec,
}

impl CustomResource for SparkApplication {
    const GROUP: &'static str = GROUP;
    const KIND: &'static str = "SparkApplication";
}

impl SparkApplication {
    pub fn new(metadata: ObjectMeta, spec: SparkApplicationSpec) -> Self {
        SparkApplication { api_version: API_VERSION.to_string(), kind: Self::KIND.to_string(), metadata, spec }
    }
}

/// A Spark application run on a cron schedule, each run a `SparkApplication` from `template`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScheduledSparkApplication {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: ScheduledSparkApplicationSpec,
}

impl CustomResource for ScheduledSparkApplication {
    const GROUP: &'static str = GROUP;
    const KIND: &'static str = "ScheduledSparkApplication";
}

impl ScheduledSparkApplication {
    pub fn new(metadata: ObjectMeta, spec: ScheduledSparkApplicationSpec) -> Self {
        ScheduledSparkApplication { api_version: API_VERSION.to_string(), kind: Self::KIND.to_string(), metadata, spec }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScheduledSparkApplicationSpec {
    /// Cron, five fields.
    pub schedule: String,
    /// Unset: the operator's local time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// `Allow`, `Forbid` or `Replace` (a plain string in the CRD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub successful_run_history_limit: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_run_history_limit: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    pub template: SparkApplicationSpec,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SparkApplicationSpec {
    #[serde(rename = "type")]
    pub type_: SparkApplicationType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<DeployMode>,
    pub spark_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    /// Secret names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_secrets: Option<Vec<String>>,
    pub main_application_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main_class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spark_conf: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hadoop_conf: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deps: Option<Dependencies>,
    /// A decimal as a string (`"0.2"`); the per-role `memoryOverhead` wins over it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_overhead_factor: Option<String>,
    /// Passed to spark-submit, so it applies without the operator's pod webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_live_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dynamic_allocation: Option<DynamicAllocation>,
    pub driver: DriverSpec,
    pub executor: ExecutorSpec,
}

crd_enum! {
    pub enum SparkApplicationType {
        Java = "Java",
        Python = "Python",
        Scala = "Scala",
        R = "R",
    }
}

crd_enum! {
    pub enum DeployMode {
        Cluster = "cluster",
        Client = "client",
    }
}

/// `spark-submit`'s dependency options, each a list of URIs (or Maven coordinates for `packages`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dependencies {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jars: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub py_files: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archives: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packages: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude_packages: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repositories: Option<Vec<String>>,
}

/// Retries are counts, intervals whole seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RestartPolicy {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<RestartPolicyType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_failure_retries: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_submission_failure_retries: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_failure_retry_interval: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_submission_failure_retry_interval: Option<i64>,
}

crd_enum! {
    pub enum RestartPolicyType {
        Never = "Never",
        Always = "Always",
        OnFailure = "OnFailure",
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DynamicAllocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_executors: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_executors: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_executors: Option<i32>,
    /// Passed as `spark.dynamicAllocation.shuffleTracking.enabled` after `sparkConf` (so it wins over it);
    /// the operator's default is `true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shuffle_tracking_enabled: Option<bool>,
}

/// The driver pod. Shares its sizing and security fields with [`ExecutorSpec`]; only the driver has a
/// ServiceAccount of its own in strata's output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DriverSpec {
    /// `spark.driver.cores`: task slots, and the CPU request unless `coreRequest` is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cores: Option<i32>,
    /// A CPU quantity (`500m`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_request: Option<String>,
    /// A CPU quantity (`1200m`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_limit: Option<String>,
    /// JVM heap, in Spark's notation (`4g`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// Non-heap memory added to the pod, in Spark's notation (`1024m`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_overhead: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerations: Option<Vec<Toleration>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_security_context: Option<PodSecurityContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_context: Option<SecurityContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// Labels the operator puts on the driver pod (a tenant's `cost-center`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
}

/// The executor pods; fields as in [`DriverSpec`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExecutorSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cores: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_request: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_limit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_overhead: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerations: Option<Vec<Toleration>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_security_context: Option<PodSecurityContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_context: Option<SecurityContext>,
    /// A fixed number of executors; unset with dynamic allocation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instances: Option<i32>,
    /// Labels the operator puts on the executor pods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
}
