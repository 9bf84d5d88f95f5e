//! Rules for `platform { monitoring }`. The failures they prevent are silent ones: a monitor or rule the
//! Prometheus Operator's selectors do not match is accepted by the API server and then never scraped or
//! evaluated (prometheus-operator/prometheus-operator#3636), and a scrape timeout above the interval makes
//! the operator reject the monitor (`pkg/apis/monitoring/v1/podmonitor_types.go`, read at commit 6adcebc).

use std::collections::BTreeMap;

use crate::check::names::{label_value, qualified_name, require_label};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::Platform;
use crate::model::monitoring::Label;

pub fn check(p: &Platform, d: &mut Diagnostics) {
    let Some(m) = &p.monitoring else { return };
    require_label(&m.namespace, "monitoring namespace", "strata::monitoring::namespace", d);
    if m.selector.is_empty() {
        d.push(
            Diagnostic::warning(
                "strata::monitoring::no-selector",
                "`monitoring` declares no selector labels: a default Prometheus Operator install ignores every monitor and rule",
            )
            .at(m.span, "no `selector` here")
            .help("add the labels your Prometheus selects on, e.g. `selector \"release\" \"kube-prometheus-stack\"` (kube-prometheus-stack's release name)")
            .note_line(
                "kube-prometheus-stack selects only monitors and rules labelled `release: <helm release>` \
                 (prometheus-operator/prometheus-operator#3636)",
            ),
        );
    }
    labels(&m.selector, "selector label", d);
    labels(&m.alert_labels, "alert label", d);
    if let (Some(interval), Some(timeout)) = (&m.interval, &m.scrape_timeout)
        && timeout.value > interval.value
    {
        d.push(
            Diagnostic::error(
                "strata::monitoring::scrape-timeout",
                format!("the scrape timeout {} is longer than the scrape interval {}", timeout.value, interval.value),
            )
            .at(timeout.span, "scrape timeout")
            .also(interval.span, "scrape interval")
            .help(format!("make `scrape-timeout` at most `{}`, or scrape less often", interval.value))
            .note_line("the Prometheus Operator rejects a monitor whose scrapeTimeout exceeds its interval"),
        );
    }
}

/// Each key a label key, each value a label value, no key twice.
fn labels(list: &[Label], what: &str, d: &mut Diagnostics) {
    let mut seen: BTreeMap<&str, &Label> = BTreeMap::new();
    for l @ (k, v) in list {
        if let Some(why) = qualified_name(&k.value) {
            d.push(
                Diagnostic::error("strata::monitoring::label", format!("{what} key `{}` is not a label key", k.value))
                    .at(k.span, format!("the key {why}"))
                    .help("use a Kubernetes label key such as `release` or `example.com/team`"),
            );
        }
        if let Some(why) = label_value(&v.value) {
            d.push(
                Diagnostic::error(
                    "strata::monitoring::label",
                    format!("{what} value `{}` is not a label value", v.value),
                )
                .at(v.span, format!("the value {why}"))
                .help("use at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit"),
            );
        }
        if let Some((first, _)) = seen.insert(&k.value, l) {
            d.push(
                Diagnostic::error("strata::monitoring::label", format!("{what} `{}` is given twice", k.value))
                    .at(k.span, "given again here")
                    .also(first.span, "first given here")
                    .help("keep one value per key"),
            );
        }
    }
}
