//! The platform's monitoring settings: which Prometheus (through the Prometheus Operator) is meant to pick
//! up what strata declares, and the labels every alert carries. A monitor or rule without the labels the
//! `Prometheus` object selects on is accepted by the API server and then silently ignored
//! (prometheus-operator/prometheus-operator#3636), so the selector labels are declared once, here, and the
//! checks warn when they are missing.

use crate::source::{Span, Spanned};
use crate::units::Duration;

/// The namespace the monitoring stack runs in when `monitoring` does not name one (kube-prometheus-stack's
/// usual install namespace).
pub const DEFAULT_NAMESPACE: &str = "monitoring";

/// The name of the container port every scraped pod exposes its metrics on, and which its PodMonitor
/// scrapes: strata writes both sides, so they cannot drift apart.
pub const METRICS_PORT_NAME: &str = "metrics";

/// A `key value` pair of a label node (`selector "release" "kube-prometheus-stack"`).
pub type Label = (Spanned<String>, Spanned<String>);

/// `platform { monitoring ... { ... } }`.
#[derive(Debug, Clone)]
pub struct Monitoring {
    /// The `monitoring` node's name.
    pub span: Span,
    /// Where Prometheus runs: the source of every scrape (`namespace=`, else [`DEFAULT_NAMESPACE`]).
    pub namespace: Spanned<String>,
    /// How often Prometheus scrapes (`interval=`); unset, Prometheus' global scrape interval applies.
    pub interval: Option<Spanned<Duration>>,
    /// `scrape-timeout=`: must not exceed the interval.
    pub scrape_timeout: Option<Spanned<Duration>>,
    /// `selector "key" "value"`: the labels the Prometheus object's monitor and rule selectors match.
    pub selector: Vec<Label>,
    /// `alert-label "key" "value"`: labels every alert carries, for Alertmanager's routing.
    pub alert_labels: Vec<Label>,
}

impl Monitoring {
    /// The selector labels, as the metadata labels of a monitor or rule (`strata::monitoring::label`
    /// refuses a key given twice).
    pub fn selector_labels(&self) -> std::collections::BTreeMap<String, String> {
        self.selector.iter().map(|(k, v)| (k.value.clone(), v.value.clone())).collect()
    }
}
