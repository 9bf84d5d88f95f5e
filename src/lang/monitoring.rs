//! Lowers `platform { monitoring ... }`: the Prometheus Operator's selector labels, the monitoring
//! namespace, the scrape interval and timeout, and the labels every alert carries.

use kdl::KdlNode;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::lang::reader::{NodeReader, unknown_node};
use crate::model::monitoring::{DEFAULT_NAMESPACE, Label, Monitoring};
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

/// `selector "key" "value"` and `alert-label "key" "value"`.
fn lower_label(node: &KdlNode, file: FileId, what: &str, d: &mut Diagnostics) -> Option<Label> {
    let mut c = NodeReader::new(node, file);
    let k = c.arg::<String>(&format!("the key of {what}, e.g. \"release\""), d);
    let v = c.arg::<String>("the label's value", d);
    c.finish(false, d);
    Some((k?, v?))
}
