//! Rules for `platform { monitoring }`. The failures they prevent are silent ones: a monitor or rule the
//! Prometheus Operator's selectors do not match is accepted by the API server and then never scraped or
//! evaluated (prometheus-operator/prometheus-operator#3636), and a scrape timeout above the interval makes
//! the operator reject the monitor (`pkg/apis/monitoring/v1/podmonitor_types.go`, read at commit 6adcebc).

use std::collections::BTreeMap;

use crate::check::names::{label_value, port_name, qualified_name, require_label, suggest_label};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::Platform;
use crate::model::kafka::ResourceType;
use crate::model::monitoring::{
    AlertOverride, AlertSubject, Label, MetricsPort, Monitoring, SEVERITIES, Threshold, ThresholdValue, alerts_of,
};

pub fn check(p: &Platform, d: &mut Diagnostics) {
    alert_overrides(p, d);
    // A declared port is a container port with or without `monitoring`: its rules hold either way.
    for a in &p.apps.apps {
        metrics_ports(&format!("stream-app `{}`", a.name.value), &a.metrics, p.monitoring.as_ref(), d);
    }
    for j in &p.jobs.jobs {
        metrics_ports(&j.describe(), &j.metrics, p.monitoring.as_ref(), d);
    }
    let Some(m) = &p.monitoring else { return };
    for j in &p.spark.jobs {
        spark(j, d);
    }
    for j in &p.flink.jobs {
        let object = format!("flink-job `{}`", j.name.value);
        let conf = j.config.iter().map(|(k, v)| (k, v.value.to_string(), v.span));
        scrape_conf(&object, conf, crate::model::flink::PROMETHEUS_REPORTER, "config", d);
        let rest = crate::model::network::flink_rest_port(&j.config);
        if i32::from(rest) == crate::model::flink::PROMETHEUS_PORT {
            let span = j.config.iter().find(|(k, _)| k.value == "rest.port").map_or(j.name.span, |(_, v)| v.span);
            d.push(
                Diagnostic::error(
                    "strata::monitoring::port-conflict",
                    format!("{object}: the REST port {rest} is the Prometheus reporter's port"),
                )
                .at(span, "the JobManager's REST port")
                .help(format!("move `rest.port` off {rest}: strata opens the reporter on it"))
                .note_line("one port cannot serve both the REST API and the metrics"),
            );
        }
    }
    lag_without_exporter(p, d);
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

/// The `metrics` ports of one workload's pod: each port a port number, each name an IANA service name (the
/// API server refuses the pod otherwise), no name or number twice on the pod, and each scrape's timeout
/// within its interval.
fn metrics_ports(object: &str, ports: &[MetricsPort], m: Option<&Monitoring>, d: &mut Diagnostics) {
    for (i, mp) in ports.iter().enumerate() {
        if !(1..=65535).contains(&mp.port.value) {
            d.push(
                Diagnostic::error(
                    "strata::monitoring::port",
                    format!("{object}: `{}` is not a port number", mp.port.value),
                )
                .at(mp.port.span, "expected 1 to 65535")
                .help("write the port the container serves its metrics on, e.g. `port=9090`"),
            );
        }
        if let Some(why) = port_name(mp.name()) {
            let fix = suggest_label(mp.name());
            // Cut to 15 at a word boundary when there is one.
            let fix = match fix.get(..15) {
                Some(cut) if fix.len() > 15 => cut.rsplit_once('-').map_or(cut, |(head, _)| head).to_string(),
                _ => fix,
            };
            let fix = fix.trim_end_matches('-');
            d.push(
                Diagnostic::error(
                    "strata::monitoring::port-name",
                    format!("{object}: `{}` is not a container port name", mp.name()),
                )
                .at(mp.name_span(), format!("the name {why}"))
                .help(if fix.bytes().any(|b| b.is_ascii_lowercase()) {
                    format!("use at most 15 lower-case letters, digits and single `-`, with a letter, e.g. `port-name=\"{fix}\"`")
                } else {
                    "use at most 15 lower-case letters, digits and single `-`, with a letter, e.g. `port-name=\"metrics\"`".to_string()
                })
                .note_line("Kubernetes refuses a pod whose port name is no IANA service name (apimachinery `IsValidPortName`)"),
            );
        }
        for earlier in &ports[..i] {
            let (same_name, same_number) = (earlier.name() == mp.name(), earlier.port.value == mp.port.value);
            if !(same_name || same_number) {
                continue;
            }
            let (what, here, there) = if same_name {
                (format!("two ports named `{}`", mp.name()), mp.name_span(), earlier.name_span())
            } else {
                (format!("port {} twice", mp.port.value), mp.port.span, earlier.port.span)
            };
            d.push(
                Diagnostic::error("strata::monitoring::port-conflict", format!("{object} declares {what} on its pod"))
                    .at(here, "declared again here")
                    .also(there, "first declared here")
                    .help(if same_name {
                        "give each `metrics` port its own `port-name=`"
                    } else {
                        "scrape each port once: one `metrics` node per port, with one or the other path"
                    })
                    .note_line(if same_name {
                        "a pod's port names must be unique (the API server refuses the pod), and a PodMonitor endpoint names one port"
                    } else {
                        "two endpoints on one port scrape the same listener twice, duplicating every series"
                    }),
            );
            break;
        }
        // Both from the platform: its own check reports them once.
        let Some(m) = m.filter(|_| mp.interval.is_some() || mp.scrape_timeout.is_some()) else { continue };
        if let (Some(interval), Some(timeout)) = (mp.interval(m), mp.scrape_timeout(m))
            && timeout.value > interval.value
        {
            d.push(
                Diagnostic::error(
                    "strata::monitoring::scrape-timeout",
                    format!(
                        "{object}: the scrape timeout {} of port `{}` is longer than its scrape interval {}",
                        timeout.value,
                        mp.name(),
                        interval.value
                    ),
                )
                .at(timeout.span, "scrape timeout")
                .also(interval.span, "scrape interval")
                .help(format!("make `scrape-timeout` at most `{}`, or scrape less often", interval.value))
                .note_line("the Prometheus Operator rejects a monitor whose scrapeTimeout exceeds its interval"),
            );
        }
    }
}

/// A monitored platform's Spark job: scrapeable, and its UI port (which Prometheus scrapes) not one of the
/// driver's other ports.
fn spark(j: &crate::model::spark::SparkJob, d: &mut Diagnostics) {
    let object = format!("spark-job `{}`", j.name.value);
    overdue_blind(j, &object, d);
    if let Some((why, span)) = j.unscrapeable() {
        d.push(
            Diagnostic::warning("strata::monitoring::spark-unscraped", format!("{object} is not scraped: {why}"))
                .at(span, "not scraped because of this")
                .help("run the job on Spark 3.0 or newer with its web UI on, or monitor it some other way")
                .note_line(
                    "strata emits no PodMonitor for it; its failures still show in the SparkApplication's status",
                ),
        );
        return;
    }
    let conf = j.conf.iter().map(|(k, v)| (k, v.value.clone(), v.span));
    scrape_conf(&object, conf, crate::model::spark::PROMETHEUS_CONF, "conf", d);
    let ports = j.driver_ports();
    let (ui_name, ui) = ports[2];
    if let Some((name, _)) = ports[..2].iter().find(|(_, n)| *n == ui) {
        let span = ["spark.ui.port", "spark.driver.port", "spark.driver.blockManager.port", "spark.blockManager.port"]
            .iter()
            .find_map(|k| j.conf(k))
            .map_or(j.name.span, |v| v.span);
        d.push(
            Diagnostic::error(
                "strata::monitoring::port-conflict",
                format!("{object}: the driver's `{ui_name}` port {ui} is also its `{name}` port"),
            )
            .at(span, format!("the `{ui_name}` port, which Prometheus scrapes, and the `{name}` port are both {ui}"))
            .help("give `spark.ui.port`, `spark.driver.port` and `spark.blockManager.port` different values")
            .note_line("Spark names each of the three on the driver's container; one number cannot serve two of them"),
        );
    }
}

/// A monitored job's own configuration may not change what strata configures for its scrape: the
/// PodMonitor scrapes the port and path strata sets, so another value there would leave it scraping
/// nothing (or a page that is not metrics). The same value is only redundant.
fn scrape_conf<'a>(
    object: &str,
    conf: impl Iterator<Item = (&'a crate::source::Spanned<String>, String, crate::source::Span)>,
    owned: &[(&str, &str)],
    node: &str,
    d: &mut Diagnostics,
) {
    for (key, value, span) in conf {
        let Some((_, want)) = owned.iter().find(|(k, _)| *k == key.value) else { continue };
        if value.trim() == *want {
            continue;
        }
        d.push(
            Diagnostic::error(
                "strata::monitoring::scrape-conf",
                format!("{object} sets `{}`, which strata sets for its Prometheus scrape", key.value),
            )
            .at(span, format!("strata sets `{want}`"))
            .also(key.span, "set here")
            .help(format!("remove this `{node}` entry: the PodMonitor scrapes what strata configures"))
            .note_line("with another value the monitor would scrape a port or path that serves no metrics"),
        );
    }
}

/// Consumer lag is measured by Strimzi's Kafka Exporter, which reads the groups' committed offsets; the
/// brokers' own metrics have no per-group lag. A tenant that consumes (a Read ACL on a group) from a
/// cluster without the exporter has lag nobody can alert on: one warning per tenant and cluster.
fn lag_without_exporter(p: &Platform, d: &mut Diagnostics) {
    let mut warned: Vec<(&str, &str)> = Vec::new();
    for u in &p.kafka.users {
        let Some(tenant) = &u.tenant else { continue };
        let Some(cluster) = p.kafka.cluster_for(u.cluster.as_ref()) else { continue };
        if cluster.has_kafka_exporter() {
            continue;
        }
        let Some(read) = u.acls.iter().find(|a| {
            !a.deny
                && a.resource_type == ResourceType::Group
                && a.operations
                    .iter()
                    .any(|o| o.value.eq_ignore_ascii_case("read") || o.value.eq_ignore_ascii_case("all"))
        }) else {
            continue;
        };
        let key = (tenant.value.as_str(), cluster.name.value.as_str());
        if warned.contains(&key) {
            continue;
        }
        warned.push(key);
        let mut diag = Diagnostic::warning(
            "strata::monitoring::no-kafka-exporter",
            format!(
                "tenant `{}` consumes from Kafka cluster `{}`, which has no Kafka Exporter: its consumer lag cannot be alerted on",
                tenant.value, cluster.name.value
            ),
        )
        .at(read.span, format!("`{}` consumes as a group here", u.name.value))
        .also(cluster.name.span, "no `kafka-exporter=#true`");
        if let Some(off) = cluster.kafka_exporter.as_ref().filter(|k| !k.value) {
            diag = diag.also(off.span, "the exporter is off");
        }
        d.push(
            diag.help(format!(
                "deploy the exporter with `kafkaExporter: {{}}` in the `{}` Kafka resource's spec and declare it: `kafka \"{}\" ... kafka-exporter=#true`",
                cluster.name.value, cluster.name.value
            ))
            .note_line("lag metrics (`kafka_consumergroup_lag`) come from Strimzi's Kafka Exporter, not from the brokers"),
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

/// Every `alert` override: a name the node's alerts have, once; a threshold in the alert's unit; a known
/// severity. Without `monitoring` no alert is written, so an override is a warning that it does nothing.
fn alert_overrides(p: &Platform, d: &mut Diagnostics) {
    let nodes = p
        .flink
        .jobs
        .iter()
        .map(|j| (AlertSubject::FlinkJob, format!("flink-job `{}`", j.name.value), &j.alerts))
        .chain(
            p.spark.jobs.iter().map(|j| (AlertSubject::SparkJob, format!("spark-job `{}`", j.name.value), &j.alerts)),
        )
        .chain(p.jobs.jobs.iter().map(|j| (AlertSubject::Job, j.describe(), &j.alerts)))
        .chain(
            p.apps.apps.iter().map(|a| (AlertSubject::StreamApp, format!("stream-app `{}`", a.name.value), &a.alerts)),
        )
        .chain(
            p.kafka
                .users
                .iter()
                .map(|u| (AlertSubject::KafkaUser, format!("kafka-user `{}`", u.name.value), &u.alerts)),
        )
        .chain(p.kafka.topics.iter().map(|t| (AlertSubject::Topic, format!("topic `{}`", t.name.value), &t.alerts)));
    let mut unused = None;
    for (subject, object, overrides) in nodes {
        for (i, o) in overrides.iter().enumerate() {
            if p.monitoring.is_none() && unused.is_none() {
                unused = Some(o.span);
            }
            alert_override(subject, &object, o, &overrides[..i], d);
        }
    }
    if let Some(span) = unused {
        d.push(
            Diagnostic::warning(
                "strata::monitoring::alert-unused",
                "an `alert` override, but the platform declares no `monitoring`: strata writes no alerts",
            )
            .at(span, "has no effect")
            .help("declare `monitoring { selector ... }` in `platform`, or remove the `alert` nodes"),
        );
    }
}

fn alert_override(
    subject: AlertSubject,
    object: &str,
    o: &AlertOverride,
    before: &[AlertOverride],
    d: &mut Diagnostics,
) {
    let known = alerts_of(subject);
    let Some((_, unit)) = known.iter().find(|(n, _)| *n == o.name.value) else {
        let names: Vec<&str> = known.iter().map(|(n, _)| *n).collect();
        let mut diag =
            Diagnostic::error("strata::monitoring::alert-unknown", format!("{object} has no alert `{}`", o.name.value))
                .at(o.name.span, "not an alert strata writes about this node");
        diag = match crate::diagnostic::did_you_mean(&o.name.value, names.iter().copied()) {
            Some(s) => diag.help(format!("did you mean `{s}`?")),
            None => diag.help(format!("the alerts of this node: {}", names.join(", "))),
        };
        d.push(diag);
        return;
    };
    if let Some(first) = before.iter().find(|b| b.name.value == o.name.value) {
        d.push(
            Diagnostic::error(
                "strata::monitoring::alert-duplicate",
                format!("{object} overrides alert `{}` twice", o.name.value),
            )
            .at(o.name.span, "again here")
            .also(first.name.span, "first here")
            .help("put every setting of the alert into one `alert` node"),
        );
    }
    if let Some(t) = &o.threshold {
        let wrong = |expected: &str, example: &str| {
            Diagnostic::error(
                "strata::monitoring::alert-threshold",
                format!("the threshold of alert `{}` on {object} must be {expected}", o.name.value),
            )
            .at(t.span, "this threshold")
            .help(format!("write e.g. `threshold={example}`"))
        };
        match (unit, &t.value) {
            (Threshold::Count, ThresholdValue::Count(_)) => {}
            (Threshold::Count, ThresholdValue::Text(_)) => d.push(wrong("a whole number", "5")),
            (Threshold::Duration, ThresholdValue::Text(s)) => {
                if let Err(e) = crate::units::Duration::parse(s) {
                    d.push(wrong("a duration", "\"2h\"").note_line(e.message));
                }
            }
            (Threshold::Duration, ThresholdValue::Count(_)) => d.push(wrong("a duration in quotes", "\"2h\"")),
            (Threshold::None, _) => d.push(
                Diagnostic::error(
                    "strata::monitoring::alert-threshold",
                    format!("alert `{}` has no threshold to set", o.name.value),
                )
                .at(t.span, "no threshold")
                .help("the alert fires on an event (a failed driver pod); set `for=`, `severity=` or `enabled=#false`"),
            ),
        }
    }
    if let Some(s) = &o.severity
        && !SEVERITIES.contains(&s.value.as_str())
    {
        d.push(
            Diagnostic::error(
                "strata::monitoring::alert-severity",
                format!("alert severity `{}` is not one strata writes", s.value),
            )
            .at(s.span, "this severity")
            .help(format!("use one of {}", SEVERITIES.join(", "))),
        );
    }
}

/// A scheduled Spark job whose overdue alert could never fire: it counts from the newest finished driver
/// pod, and the operator deletes finished runs (with their pods) beyond `successful-history` and after the
/// template's `ttl` (kubeflow/spark-operator `internal/controller/scheduledsparkapplication/controller.go`,
/// history limits; `timeToLiveSeconds` in the SparkApplication controller).
fn overdue_blind(j: &crate::model::spark::SparkJob, object: &str, d: &mut Diagnostics) {
    let (Some(schedule), Some(overdue)) = (&j.schedule, crate::model::monitoring::spark_overdue(j)) else { return };
    let (span, why) = if schedule.successful_history() == 0 {
        let span = schedule.successful_history.as_ref().map_or(schedule.span, |h| h.span);
        (span, "`successful-history=0` deletes every successful run at once".to_string())
    } else if let Some(ttl) = j.ttl.as_ref().filter(|t| t.value < overdue.after) {
        (
            ttl.span,
            format!("`ttl` deletes a finished run after {}, before the alert's {} are up", ttl.value, overdue.after),
        )
    } else {
        return;
    };
    d.push(
        Diagnostic::warning(
            "strata::monitoring::overdue-blind",
            format!("{object}: the alert for a missed scheduled run can never fire"),
        )
        .at(span, why)
        .also(schedule.cron.span, format!("overdue after {} without a success", overdue.after))
        .help(format!(
            "keep the last successful run: `successful-history` of at least 1 and a `ttl` of at least {}, or turn \
             the alert off with `alert \"{}\" enabled=#false`",
            overdue.after,
            crate::model::monitoring::SPARK_OVERDUE
        ))
        .note_line(
            "the alert measures the time since the newest succeeded driver pod; with none kept, it has no series",
        ),
    );
}

#[cfg(test)]
mod tests {
    use crate::check::names::port_name;
    use crate::test_support::{codes, compile_spec};

    #[test]
    fn port_names_follow_apimachinery() {
        for ok in ["metrics", "http-metrics", "a1", "jmx", "x-2-y", "abcdefghijklmno"] {
            assert_eq!(port_name(ok), None, "{ok}");
        }
        for bad in ["", "Metrics", "1234", "-metrics", "metrics-", "a--b", "abcdefghijklmnop", "m_p", "m.p"] {
            assert!(port_name(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn a_port_timeout_is_checked_against_the_interval_in_force() {
        let spec = |platform: &str, metrics: &str| {
            format!(
                "platform \"p\" {{\n{platform}\n}}\ntenant \"t\" {{ network \"open\"; }}\n\
                 job \"j\" tenant=\"t\" {{ image \"r.io/j:1.0.0\"; resources size=\"s\"; {metrics}; }}\n"
            )
        };
        let m = r#"monitoring interval="10s" { selector "release" "p"; }"#;
        // The port's own timeout against the platform's interval.
        let c = compile_spec(&spec(m, r#"metrics port=8000 scrape-timeout="20s""#));
        assert_eq!(codes(&c), ["strata::monitoring::scrape-timeout"]);
        // The port's own interval, longer than its timeout: fine.
        let c = compile_spec(&spec(m, r#"metrics port=8000 interval="30s" scrape-timeout="20s""#));
        assert!(codes(&c).is_empty(), "{:?}", codes(&c));
        // Both from the platform: reported once, by the platform's check.
        let c = compile_spec(&spec(
            r#"monitoring interval="10s" scrape-timeout="20s" { selector "release" "p"; }"#,
            "metrics port=8000",
        ));
        assert_eq!(codes(&c), ["strata::monitoring::scrape-timeout"]);
        // Without `monitoring` the port still is a container port, with its rules.
        let c = compile_spec(&spec("", r#"metrics port=8000 port-name="Bad""#));
        assert_eq!(codes(&c), ["strata::monitoring::port-name"]);
    }

    #[test]
    fn consumers_of_a_cluster_without_the_exporter_warn_once_per_tenant() {
        let spec = |monitoring: &str, exporter: &str| {
            format!(
                "platform \"p\" {{\n{monitoring}\n}}\ntenant \"t\" {{ network \"open\"; }}\n\
                 kafka \"main\" namespace=\"kafka\" brokers=3 authorization=\"simple\" {exporter}\n\
                 topic \"a\" kafka=\"main\" tenant=\"t\" partitions=3\n\
                 kafka-user \"u1\" tenant=\"t\" {{ consumes \"a\" group=\"g1\"; }}\n\
                 kafka-user \"u2\" tenant=\"t\" {{ consumes \"a\" group=\"g2\"; }}\n\
                 kafka-user \"w\" tenant=\"t\" {{ produces \"a\"; }}\n"
            )
        };
        let m = r#"monitoring { selector "release" "p"; }"#;
        let c = compile_spec(&spec(m, ""));
        assert_eq!(codes(&c), ["strata::monitoring::no-kafka-exporter"]);
        assert!(c.manifests.is_some(), "a warning only");
        assert!(codes(&compile_spec(&spec(m, "kafka-exporter=#true"))).is_empty());
        assert_eq!(codes(&compile_spec(&spec(m, "kafka-exporter=#false"))), ["strata::monitoring::no-kafka-exporter"]);
        // Without `monitoring` nobody alerts on anything: no warning.
        assert!(codes(&compile_spec(&spec("", ""))).is_empty());
    }
}
