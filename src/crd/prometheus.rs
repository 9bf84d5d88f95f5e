//! The Prometheus Operator's `PodMonitor` and `PrometheusRule` (`monitoring.coreos.com/v1`), the fields
//! strata sets to have Prometheus scrape the pods of a job and evaluate the alerts of a tenant. They mirror
//! Prometheus Operator **0.93.0**'s CRDs (`prometheus-operator-0.93.0-podmonitors.monitoring.coreos.com.yaml`
//! and `prometheus-operator-0.93.0-prometheusrules.monitoring.coreos.com.yaml`, from prometheus-operator/
//! prometheus-operator `example/prometheus-operator-crd/` at tag v0.93.0).
//!
//! A PodMonitor or PrometheusRule only reaches Prometheus when its own labels match the `Prometheus`
//! object's `podMonitorSelector` / `ruleSelector` (prometheus-operator/prometheus-operator#3636): strata
//! puts the platform's `monitoring` selector labels in their metadata.

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

/// A set of Prometheus rule groups; the operator writes each group into a rules file of the Prometheus
/// objects whose `ruleSelector` matches it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrometheusRule {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: PrometheusRuleSpec,
}

impl CustomResource for PrometheusRule {
    const GROUP: &'static str = GROUP;
    const KIND: &'static str = "PrometheusRule";
}

impl PrometheusRule {
    pub fn new(metadata: ObjectMeta, spec: PrometheusRuleSpec) -> Self {
        PrometheusRule { api_version: API_VERSION.to_string(), kind: Self::KIND.to_string(), metadata, spec }
    }
}

/// `spec`: exactly the `groups:` of a Prometheus rules file, which is why `promtool check rules` can judge
/// it as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrometheusRuleSpec {
    pub groups: Vec<RuleGroup>,
}

/// One rule group: its rules are evaluated in order, every `interval` (unset: Prometheus'
/// `evaluation_interval`). The CRD lists groups as a map keyed by `name`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleGroup {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    pub rules: Vec<Rule>,
}

/// One alerting rule. The CRD takes recording rules too (`record`), which strata does not write.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    pub alert: String,
    /// A PromQL expression; the CRD also takes an integer (`int-or-string`), strata always writes text.
    pub expr: String,
    /// How long the expression must hold before the alert fires (a Prometheus duration, `10m`); unset, it
    /// fires on the first evaluation that matches.
    #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
    pub for_: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}
