//! The Flink Kubernetes operator's `FlinkDeployment` and `FlinkSessionJob` (`flink.apache.org/v1beta1`),
//! the fields strata sets. They mirror apache/flink-kubernetes-operator **1.15.0**'s CRDs
//! (`flink-kubernetes-operator-1.15.0-flinkdeployments.flink.apache.org.yaml`,
//! `flink-kubernetes-operator-1.15.0-flinksessionjobs.flink.apache.org.yaml`). strata emits only
//! `FlinkDeployment`s (application mode); `FlinkSessionJob` is here because the diff's upgrade rules apply
//! to session jobs in manifests it is given.
//!
//! Sizes keep Flink's notation: `resource.cpu` is a number of cores (`1`, `0.5`), `resource.memory` a Flink
//! size (`2048m`, `4g`: binary units).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

use super::{CustomResource, crd_enum};

pub const GROUP: &str = "flink.apache.org";
pub const API_VERSION: &str = "flink.apache.org/v1beta1";

/// A Flink cluster; with `job`, an application cluster running that job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlinkDeployment {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    /// Optional in the CRD; strata always sets it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec: Option<FlinkDeploymentSpec>,
}

impl CustomResource for FlinkDeployment {
    const GROUP: &'static str = GROUP;
    const KIND: &'static str = "FlinkDeployment";
}

impl FlinkDeployment {
    pub fn new(metadata: ObjectMeta, spec: FlinkDeploymentSpec) -> Self {
        FlinkDeployment {
            api_version: API_VERSION.to_string(),
            kind: Self::KIND.to_string(),
            metadata,
            spec: Some(spec),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlinkDeploymentSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flink_version: Option<FlinkVersion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<KubernetesDeploymentMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// Flink configuration keys; strata writes string values, the CRD also takes nested YAML.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flink_configuration: Option<BTreeMap<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_manager: Option<JobManagerSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_manager: Option<TaskManagerSpec>,
    /// The base of every JobManager and TaskManager pod.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_template: Option<PodTemplate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<JobSpec>,
}

crd_enum! {
    /// The operator's `FlinkVersion` values of release 1.15.0.
    pub enum FlinkVersion {
        V1_13 = "v1_13",
        V1_14 = "v1_14",
        V1_15 = "v1_15",
        V1_16 = "v1_16",
        V1_17 = "v1_17",
        V1_18 = "v1_18",
        V1_19 = "v1_19",
        V1_20 = "v1_20",
        V2_0 = "v2_0",
        V2_1 = "v2_1",
        V2_2 = "v2_2",
    }
}

impl FlinkVersion {
    /// The release a value names, `(1, 20)` for `v1_20`.
    pub fn major_minor(self) -> (u32, u32) {
        let digits = self.as_str().trim_start_matches('v');
        let mut parts = digits.split('_').map(|p| p.parse().unwrap_or_default());
        (parts.next().unwrap_or_default(), parts.next().unwrap_or_default())
    }

    /// The value naming release `major.minor`, if the CRD has one.
    pub fn of(major: u32, minor: u32) -> Option<FlinkVersion> {
        Self::ALL.iter().copied().find(|v| v.major_minor() == (major, minor))
    }
}

crd_enum! {
    pub enum KubernetesDeploymentMode {
        Native = "native",
        Standalone = "standalone",
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobManagerSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskManagerSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    /// Unset: the operator derives it from the job's parallelism and the slots per TaskManager.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
}

/// A JobManager's or TaskManager's size.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resource {
    /// Cores as a JSON number, kept as written: whole cores as integers (`2`), else decimals (`0.5`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Number>,
    /// A Flink size (`2048m`, `4g`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
}

/// `podTemplate`: a `v1/Pod` without metadata, which the operator merges into the pods it creates.
/// k8s-openapi's `Pod` always writes `metadata`, so the envelope is strata's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodTemplate {
    /// `v1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// `Pod`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Only labels: the operator merges them into the JobManager and TaskManager pods (a tenant's
    /// `cost-center`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<PodTemplateMetadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec: Option<PodSpec>,
}

/// `podTemplate.metadata`: the labels of the pods the operator creates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodTemplateMetadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
}

/// The job of an application deployment or a session job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobSpec {
    #[serde(rename = "jarURI", skip_serializing_if = "Option::is_none")]
    pub jar_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<i64>,
    /// Unset: [`UpgradeMode::DEFAULT`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade_mode: Option<UpgradeMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<JobState>,
}

impl JobSpec {
    /// The upgrade mode in effect, the operator's default when unset.
    pub fn upgrade_mode(&self) -> UpgradeMode {
        self.upgrade_mode.unwrap_or(UpgradeMode::DEFAULT)
    }
}

crd_enum! {
    /// How the operator carries state across an upgrade.
    pub enum UpgradeMode {
        LastState = "last-state",
        Savepoint = "savepoint",
        /// Cancel and start again from empty state.
        Stateless = "stateless",
    }
}

impl UpgradeMode {
    /// The operator's `JobSpec.upgradeMode` default.
    pub const DEFAULT: UpgradeMode = UpgradeMode::Stateless;
}

crd_enum! {
    pub enum JobState {
        Running = "running",
        Suspended = "suspended",
    }
}

/// A job submitted to a session cluster (a `FlinkDeployment` without `job`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlinkSessionJob {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec: Option<FlinkSessionJobSpec>,
}

impl CustomResource for FlinkSessionJob {
    const GROUP: &'static str = GROUP;
    const KIND: &'static str = "FlinkSessionJob";
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlinkSessionJobSpec {
    /// The session cluster's `FlinkDeployment`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flink_configuration: Option<BTreeMap<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<JobSpec>,
}

#[cfg(test)]
mod tests {
    use super::FlinkVersion;

    #[test]
    fn versions_name_their_releases_in_order() {
        assert_eq!(FlinkVersion::V1_20.major_minor(), (1, 20));
        assert_eq!(FlinkVersion::of(2, 0), Some(FlinkVersion::V2_0));
        assert_eq!(FlinkVersion::of(1, 12), None);
        for v in FlinkVersion::ALL {
            assert_eq!(FlinkVersion::of(v.major_minor().0, v.major_minor().1), Some(*v), "{v}");
        }
        // The enum's order is the releases' order, which `model::flink` compares versions by.
        assert!(FlinkVersion::ALL.windows(2).all(|w| w[0].major_minor() < w[1].major_minor()));
    }
}
