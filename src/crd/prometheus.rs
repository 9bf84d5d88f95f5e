//! The Prometheus Operator's `PodMonitor` (`monitoring.coreos.com/v1`), the fields strata sets to have
//! Prometheus scrape the pods of a job. It mirrors Prometheus Operator **0.93.0**'s CRD
//! (`prometheus-operator-0.93.0-podmonitors.monitoring.coreos.com.yaml`, from prometheus-operator/
//! prometheus-operator `example/prometheus-operator-crd/` at tag v0.93.0).
//!
//! A PodMonitor only reaches Prometheus when its own labels match the `Prometheus` object's
//! `podMonitorSelector` (prometheus-operator/prometheus-operator#3636): strata puts the platform's
//! `monitoring` selector labels in its metadata.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

use super::CustomResource;

pub const GROUP: &str = "monitoring.coreos.com";
pub const API_VERSION: &str = "monitoring.coreos.com/v1";

/// Has Prometheus scrape the endpoints of the pods its selector matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodMonitor {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: PodMonitorSpec,
}

impl CustomResource for PodMonitor {
    const GROUP: &'static str = GROUP;
    const KIND: &'static str = "PodMonitor";
}

impl PodMonitor {
    pub fn new(metadata: ObjectMeta, spec: PodMonitorSpec) -> Self {
        PodMonitor { api_version: API_VERSION.to_string(), kind: Self::KIND.to_string(), metadata, spec }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodMonitorSpec {
    /// The CRD requires it.
    pub selector: PodSelector,
    /// Unset, the pods are looked for in the PodMonitor's own namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<NamespaceSelector>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_metrics_endpoints: Option<Vec<PodMetricsEndpoint>>,
}

/// `selector`: a label selector; strata only writes `matchLabels`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSelector {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_labels: Option<BTreeMap<String, String>>,
}

/// `namespaceSelector`: the namespaces the pods are discovered in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NamespaceSelector {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_names: Option<Vec<String>>,
}

/// One scraped endpoint of the selected pods. `interval` and `scrapeTimeout` are Prometheus durations
/// (`30s`); unset, the Prometheus object's global values apply.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodMetricsEndpoint {
    /// The name of a container port of the selected pods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scrape_timeout: Option<String>,
}
