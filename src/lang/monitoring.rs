//! Lowers `platform { monitoring ... }`: the Prometheus Operator's selector labels, the monitoring
//! namespace, the scrape interval and timeout, and the labels every alert carries.

use kdl::KdlNode;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::lang::reader::{FromKdl, ValueError};
use crate::lang::reader::{NodeReader, unknown_node};
use crate::model::monitoring::{AlertOverride, DEFAULT_NAMESPACE, Label, MetricsPort, Monitoring, ThresholdValue};
use crate::source::{FileId, Spanned};
use crate::units::Duration;

/// ```kdl
/// monitoring namespace="monitoring" interval="30s" scrape-timeout="10s" {
///     selector "release" "kube-prometheus-stack"
///     alert-label "routing" "data-platform"
/// }
/// ```
pub fn lower_monitoring(node: &KdlNode, file: FileId, slot: &mut Option<Monitoring>, d: &mut Diagnostics) {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let namespace = r.prop::<String>("namespace", d);
    let interval = r.prop::<Duration>("interval", d);
    let scrape_timeout = r.prop::<Duration>("scrape-timeout", d);
    let mut selector = Vec::new();
    let mut alert_labels = Vec::new();
    for child in r.children() {
        match child.name().value() {
            "selector" => selector.extend(lower_label(child, file, "a label the Prometheus selects on", d)),
            "alert-label" => alert_labels.extend(lower_label(child, file, "a label of every alert", d)),
            _ => unknown_node(child, file, "`monitoring`", &["selector", "alert-label"], d),
        }
    }
    r.finish(true, d);
    if let Some(first) = slot {
        d.push(
            Diagnostic::error("strata::monitoring::duplicate", "`platform` has two `monitoring` nodes")
                .at(span, "second `monitoring` here")
                .also(first.span, "first `monitoring` here")
                .help("keep one `monitoring` node and move its settings together"),
        );
        return;
    }
    let namespace = namespace.unwrap_or_else(|| Spanned::new(DEFAULT_NAMESPACE.to_string(), span));
    *slot = Some(Monitoring { span, namespace, interval, scrape_timeout, selector, alert_labels });
}

/// `metrics port=9090 path="/metrics" port-name="metrics" interval="15s" scrape-timeout="5s"`, a child of
/// `stream-app` and `job` (repeatable: one container port and one scraped endpoint each). `None` when the
/// port is missing (reported).
pub fn lower_metrics(node: &KdlNode, file: FileId, d: &mut Diagnostics) -> Option<MetricsPort> {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let port = r.req_prop::<u32>("port", "9090", d);
    let path = r.prop::<String>("path", d);
    let port_name = r.prop::<String>("port-name", d);
    let interval = r.prop::<Duration>("interval", d);
    let scrape_timeout = r.prop::<Duration>("scrape-timeout", d);
    r.finish(false, d);
    Some(MetricsPort { span, port: port?, path, port_name, interval, scrape_timeout })
}

/// `alert "FlinkJobRestarting" threshold=3 for="10m" severity="critical" enabled=#false`, a child of the
/// nodes strata writes alerts about (the checks decide which names and thresholds each takes).
pub fn lower_alert(node: &KdlNode, file: FileId, d: &mut Diagnostics) -> Option<AlertOverride> {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let name = r.arg::<String>("the alert's name, e.g. \"FlinkJobRestarting\"", d);
    let threshold = r.prop::<ThresholdValue>("threshold", d);
    let hold = r.prop::<Duration>("for", d);
    let severity = r.prop::<String>("severity", d);
    let enabled = r.prop::<bool>("enabled", d);
    r.finish(false, d);
    Some(AlertOverride { span, name: name?, threshold, hold, severity, enabled })
}

impl FromKdl for ThresholdValue {
    const EXPECTED: &'static str = "a number or a duration";
    fn from_kdl(v: &kdl::KdlValue) -> Result<Self, ValueError> {
        match v {
            kdl::KdlValue::Integer(i) if *i >= 0 => Ok(ThresholdValue::Count(u64::try_from(*i).unwrap_or(u64::MAX))),
            kdl::KdlValue::String(s) => Ok(ThresholdValue::Text(s.clone())),
            _ => Err(ValueError {
                message: "expected a whole number (a count) or a duration in quotes".to_string(),
                help: "write e.g. `threshold=5000` for messages or restarts, `threshold=\"2m\"` for a time".to_string(),
            }),
        }
    }
}

/// `selector "key" "value"` and `alert-label "key" "value"`.
fn lower_label(node: &KdlNode, file: FileId, what: &str, d: &mut Diagnostics) -> Option<Label> {
    let mut c = NodeReader::new(node, file);
    let k = c.arg::<String>(&format!("the key of {what}, e.g. \"release\""), d);
    let v = c.arg::<String>("the label's value", d);
    c.finish(false, d);
    Some((k?, v?))
}

#[cfg(test)]
mod tests {
    use crate::test_support::{codes, compile_spec};

    fn spec(monitoring: &str) -> String {
        format!("platform \"p\" {{\n    {monitoring}\n}}\ntenant \"t\"\n")
    }

    #[test]
    fn settings_are_read_with_the_default_namespace() {
        let c = compile_spec(&spec(
            "monitoring interval=\"30s\" {\n selector \"release\" \"kube-prometheus-stack\"\n alert-label \"routing\" \"data\"\n}",
        ));
        assert!(codes(&c).is_empty(), "{:?}", codes(&c));
        let m = c.platform.monitoring.as_ref().expect("lowered");
        assert_eq!(m.namespace.value, "monitoring");
        assert_eq!(m.interval.as_ref().map(|i| i.value.0), Some(30_000));
        assert_eq!(m.scrape_timeout, None);
        let pair = |l: &crate::model::monitoring::Label| (l.0.value.clone(), l.1.value.clone());
        assert_eq!(
            m.selector.iter().map(pair).collect::<Vec<_>>(),
            [("release".into(), "kube-prometheus-stack".into())]
        );
        assert_eq!(m.alert_labels.iter().map(pair).collect::<Vec<_>>(), [("routing".into(), "data".into())]);
    }

    #[test]
    fn no_selector_warns_and_a_second_node_or_unknown_child_is_an_error() {
        let c = compile_spec(&spec("monitoring"));
        assert_eq!(codes(&c), ["strata::monitoring::no-selector"]);
        assert!(c.manifests.is_some(), "a warning only");
        let c = compile_spec(&spec(
            "monitoring { selector \"release\" \"a\"; selectors \"x\" \"y\"; }\n    monitoring { selector \"release\" \"b\"; }",
        ));
        assert_eq!(codes(&c), ["strata::spec::unknown-node", "strata::monitoring::duplicate"]);
        assert_eq!(c.platform.monitoring.as_ref().map(|m| m.selector[0].1.value.as_str()), Some("a"));
    }
}
