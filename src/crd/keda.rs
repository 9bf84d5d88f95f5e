//! KEDA's `ScaledObject` and `TriggerAuthentication` (`keda.sh/v1alpha1`), the fields strata sets for a
//! `stream-app`'s `autoscale { kafka ... }`. They mirror KEDA **2.20.2**'s CRDs
//! (`keda-2.20.2-scaledobjects.keda.sh.yaml`, `keda-2.20.2-triggerauthentications.keda.sh.yaml`, from
//! kedacore/keda `config/crd/bases/` at tag v2.20.2, commit 68a5b502).
//!
//! Trigger metadata is a map of strings in the CRD (`additionalProperties: string`): every scaler reads its
//! own keys from it (the Kafka scaler's are in kedacore/keda `pkg/scalers/kafka_scaler.go`).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

use super::CustomResource;

pub const GROUP: &str = "keda.sh";
pub const API_VERSION: &str = "keda.sh/v1alpha1";

/// Scales one workload of its own namespace from its triggers (KEDA creates and owns the HPA).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScaledObject {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: ScaledObjectSpec,
}

impl CustomResource for ScaledObject {
    const GROUP: &'static str = GROUP;
    const KIND: &'static str = "ScaledObject";
}

impl ScaledObject {
    pub fn new(metadata: ObjectMeta, spec: ScaledObjectSpec) -> Self {
        ScaledObject { api_version: API_VERSION.to_string(), kind: Self::KIND.to_string(), metadata, spec }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScaledObjectSpec {
    pub scale_target_ref: ScaleTarget,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_replica_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_replica_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_replica_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub polling_interval: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooldown_period: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<Fallback>,
    pub triggers: Vec<ScaleTrigger>,
}

/// `scaleTargetRef`: a workload in the ScaledObject's own namespace (the type has no namespace field).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScaleTarget {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env_source_container_name: Option<String>,
}

/// Replicas to hold after `failureThreshold` failed metric reads; the CRD requires both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fallback {
    pub failure_threshold: i32,
    pub replicas: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScaleTrigger {
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub metadata: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_ref: Option<AuthenticationRef>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthenticationRef {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// Where a scaler's credentials come from: keys of Secrets and environment variables of the scale target,
/// both in the ScaledObject's namespace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TriggerAuthentication {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: TriggerAuthenticationSpec,
}

impl CustomResource for TriggerAuthentication {
    const GROUP: &'static str = GROUP;
    const KIND: &'static str = "TriggerAuthentication";
}

impl TriggerAuthentication {
    pub fn new(metadata: ObjectMeta, spec: TriggerAuthenticationSpec) -> Self {
        TriggerAuthentication { api_version: API_VERSION.to_string(), kind: Self::KIND.to_string(), metadata, spec }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TriggerAuthenticationSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_target_ref: Option<Vec<SecretTargetRef>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<AuthEnvironment>>,
}

/// One scaler parameter read from a key of a Secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretTargetRef {
    pub parameter: String,
    pub name: String,
    pub key: String,
}

/// One scaler parameter read from an environment variable of the scale target's container.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthEnvironment {
    pub parameter: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
}
