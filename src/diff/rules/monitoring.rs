//! Monitoring rules over the PrometheusRules and PodMonitors of `monitoring`. An alert that disappears, or
//! whose threshold or `for:` grows, fires later or never: the PR comment says so, as a warning (it may be
//! meant). A PodMonitor that selects no pod strata emits in the head revision, or names a port none of them
//! has, scrapes nothing and reports nothing (the Prometheus Operator accepts it and Prometheus shows no
//! target): every alert on its metrics goes silent, which is an error.
//!
//! Alerts are told apart by their name and `subject` label (`emit::alerts`), thresholds read from the end of
//! the expression strata writes (`... > 1000`, `... < 2`). The pods are read from the workloads' JSON (pod
//! templates, the FlinkDeployment's and SparkApplication's pod fields), labels and container port names
//! only, with the labels the operators add to the pods they create.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::crd::CustomResource;
use crate::crd::prometheus::{PodMonitor, PrometheusRule, Rule};
use crate::diff::rules::{Context, read, read_both, unreadable};
use crate::diff::{ChangeKind, Finding, ObjectChange};
use crate::emit::alerts::SUBJECT_LABEL;
use crate::manifest::Manifest;
use crate::units::Duration;

pub const ALERT_REMOVED: &str = "strata::diff::alert-removed";
pub const ALERT_LOOSENED: &str = "strata::diff::alert-loosened";
pub const MONITOR_UNMATCHED: &str = "strata::diff::monitor-unmatched";

pub fn check(changes: &[ObjectChange], cx: &Context, out: &mut Vec<Finding>) {
    let mut monitors_checked = BTreeSet::new();
    for c in changes {
        if c.is(PrometheusRule::GROUP, PrometheusRule::KIND) {
            match c.kind {
                ChangeKind::Changed => {
                    let Some((o, n)) = read_both::<PrometheusRule>(c, cx, out) else { continue };
                    alerts(c, &o, &n, out);
                }
                ChangeKind::Removed => {
                    let Some(b) = c.base else { continue };
                    match read::<PrometheusRule>(b) {
                        Ok(o) => rule_removed(c, &o, out),
                        Err(e) => out.push(unreadable(c, format!("in {}: {e}", cx.base.label))),
                    }
                }
                ChangeKind::Added => {}
            }
        } else if c.is(PodMonitor::GROUP, PodMonitor::KIND) && c.kind == ChangeKind::Changed {
            let (Some(b), Some(h)) = (c.base, c.head) else { continue };
            monitors_checked.insert(h.key());
            monitor(c, b, h, cx, out);
        }
    }
    // A workload whose pods changed under an unchanged monitor: its labels or ports may have moved away.
    for c in changes.iter().filter(|c| c.kind == ChangeKind::Changed && !pods(c.manifest()).is_empty()) {
        let ns = c.manifest().namespace.as_deref();
        for h in cx.head.manifests.items.iter().filter(|m| m.kind == PodMonitor::KIND && m.group() == PodMonitor::GROUP)
        {
            if !monitors_checked.contains(&h.key()) && monitor_namespaces(h).iter().any(|n| Some(n.as_str()) == ns) {
                let Some(b) = cx.base.manifests.items.iter().find(|m| m.key() == h.key()) else { continue };
                if monitor(c, b, h, cx, out) {
                    monitors_checked.insert(h.key());
                }
            }
        }
    }
}

// ---- Alerts --------------------------------------------------------------------------------------------

/// `(alert, subject)` → the rule, for every rule of every group.
fn index(r: &PrometheusRule) -> BTreeMap<(String, String), &Rule> {
    let mut m = BTreeMap::new();
    for g in &r.spec.groups {
        for rule in &g.rules {
            let subject = rule.labels.get(SUBJECT_LABEL).cloned().unwrap_or_default();
            m.entry((rule.alert.clone(), subject)).or_insert(rule);
        }
    }
    m
}

fn describe(alert: &str, subject: &str) -> String {
    if subject.is_empty() { format!("`{alert}`") } else { format!("`{alert}` for {subject}") }
}

/// A whole PrometheusRule gone (its tenant has nothing left to alert on, or is removed): one warning that
/// lists its alerts.
fn rule_removed(c: &ObjectChange, old: &PrometheusRule, out: &mut Vec<Finding>) {
    let all: Vec<String> = index(old).keys().map(|(a, s)| describe(a, s)).collect();
    if all.is_empty() {
        return;
    }
    out.push(
        Finding::warning(
            ALERT_REMOVED,
            c,
            format!("PrometheusRule `{}` is removed with its {} alerts", c.key.name, all.len()),
            format!("nothing alerts on these any more: {}", all.join(", ")),
        )
        .help("if what they watched is gone too, this is expected; otherwise keep the alerts"),
    );
}

fn alerts(c: &ObjectChange, old: &PrometheusRule, new: &PrometheusRule, out: &mut Vec<Finding>) {
    let (o, n) = (index(old), index(new));
    for ((alert, subject), rule) in &o {
        let what = describe(alert, subject);
        let Some(now) = n.get(&(alert.clone(), subject.clone())) else {
            out.push(
                Finding::warning(
                    ALERT_REMOVED,
                    c,
                    format!("alert {what} is removed from PrometheusRule `{}`", c.key.name),
                    format!(
                        "nothing alerts on `{}` any more: when it happens after this change, no one is told",
                        rule.expr
                    ),
                )
                .help("if the object it watched is gone too, this is expected; otherwise keep the alert"),
            );
            continue;
        };
        if let (Some((op, a)), Some((op2, b))) = (threshold(&rule.expr), threshold(&now.expr))
            && op == op2
            && ((op == '>' && b > a) || (op == '<' && b < a))
        {
            out.push(
                Finding::warning(
                    ALERT_LOOSENED,
                    c,
                    format!("alert {what} loosens its threshold from {op} {a} to {op} {b}"),
                    {
                        let side = if op == '>' { "above" } else { "below" };
                        format!("a value {side} {a} but not {side} {b} no longer fires the alert: it is reported later or never")
                    },
                )
                .help("check that the new threshold is the one meant (strata derives it from the spec: a lag target, a max, an interval)"),
            );
        }
        let hold = |r: &Rule| r.for_.as_deref().map_or(Some(Duration(0)), parse_duration);
        if let (Some(a), Some(b)) = (hold(rule), hold(now))
            && b > a
        {
            out.push(
                Finding::warning(
                    ALERT_LOOSENED,
                    c,
                    format!("alert {what} waits longer before firing: `for` {a} to {b}", a = show(a), b = show(b)),
                    format!("the condition must now hold for {} before anyone is told", show(b)),
                )
                .help("check that the longer wait is meant"),
            );
        }
    }
}

fn show(d: Duration) -> String {
    if d.0 == 0 { "none".to_string() } else { d.to_string() }
}

/// The comparison an expression ends with: `... > 1000` → `('>', 1000.0)`.
fn threshold(expr: &str) -> Option<(char, f64)> {
    let mut tokens = expr.split_whitespace().rev();
    let value: f64 = tokens.next()?.parse().ok()?;
    match tokens.next()? {
        ">" | ">=" => Some(('>', value)),
        "<" | "<=" => Some(('<', value)),
        _ => None,
    }
}

/// A Prometheus duration (`90s`, `1h30m`, `5m`).
fn parse_duration(s: &str) -> Option<Duration> {
    let units = [
        ("ms", 1u64),
        ("y", 31_536_000_000),
        ("w", 604_800_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
    ];
    let mut rest = s;
    let mut total = 0u64;
    if rest == "0" {
        return Some(Duration(0));
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit, ms) = units.iter().find(|(u, _)| rest.starts_with(u))?;
        total = total.checked_add(n.checked_mul(*ms)?)?;
        rest = &rest[unit.len()..];
    }
    Some(Duration(total))
}

// ---- Monitors and their pods -----------------------------------------------------------------------------

/// One kind of pod a workload runs: its labels and the names of its container ports.
#[derive(Debug, Clone, Default, PartialEq)]
struct Pod {
    namespace: String,
    labels: BTreeMap<String, String>,
    ports: BTreeSet<String>,
}

fn labels_at(v: &Value) -> BTreeMap<String, String> {
    v.as_object().into_iter().flatten().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect()
}

/// The names of the container ports of a pod spec.
fn port_names(spec: &Value) -> BTreeSet<String> {
    ["containers", "initContainers"]
        .iter()
        .flat_map(|k| spec[*k].as_array().cloned().unwrap_or_default())
        .flat_map(|c| c["ports"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect()
}

/// A pod from a pod template (`metadata.labels`, `spec.containers[].ports`) over the labels and ports the
/// operator adds.
fn from_template(ns: &str, template: &Value, mut labels: BTreeMap<String, String>, mut ports: BTreeSet<String>) -> Pod {
    labels.extend(labels_at(&template["metadata"]["labels"]));
    ports.extend(port_names(&template["spec"]));
    Pod { namespace: ns.to_string(), labels, ports }
}

/// The pods a workload object runs, as far as a monitor's selector and port can see them.
fn pods(m: &Manifest) -> Vec<Pod> {
    let ns = m.namespace.as_deref().unwrap_or_default();
    let o = &m.object;
    let none = || (BTreeMap::new(), BTreeSet::new());
    match (m.group(), m.kind.as_str()) {
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet") | ("batch", "Job") => {
            let (l, p) = none();
            vec![from_template(ns, &o["spec"]["template"], l, p)]
        }
        ("batch", "CronJob") => {
            let (l, p) = none();
            vec![from_template(ns, &o["spec"]["jobTemplate"]["spec"]["template"], l, p)]
        }
        // Native Kubernetes Flink labels every pod `app: <cluster id>` (the FlinkDeployment's name),
        // `type: flink-native-kubernetes` and `component: jobmanager|taskmanager`, and names its own ports
        // `rest`, `jobmanager-rpc`, `blobserver` (JobManager) and `taskmanager-rpc` (apache/flink
        // `flink-kubernetes/src/main/java/org/apache/flink/kubernetes/utils/Constants.java`). The shared
        // `podTemplate` is merged under each role's own.
        ("flink.apache.org", "FlinkDeployment") => {
            let base = |component: &str| {
                BTreeMap::from([
                    ("app".to_string(), m.name.clone()),
                    ("type".to_string(), "flink-native-kubernetes".to_string()),
                    ("component".to_string(), component.to_string()),
                ])
            };
            let spec = &o["spec"];
            let role = |component: &str, key: &str, own: &[&str]| {
                let shared = from_template(
                    ns,
                    &spec["podTemplate"],
                    base(component),
                    own.iter().map(|s| s.to_string()).collect(),
                );
                from_template(ns, &spec[key]["podTemplate"], shared.labels, shared.ports)
            };
            vec![
                role("jobmanager", "jobManager", &["rest", "jobmanager-rpc", "blobserver"]),
                role("taskmanager", "taskManager", &["taskmanager-rpc"]),
            ]
        }
        // The kubeflow operator labels a driver and its executors `spark-role: driver|executor` and
        // `sparkoperator.k8s.io/app-name: <SparkApplication>` (kubeflow/spark-operator `pkg/common/spark.go`);
        // their own labels and ports are `spec.driver` / `spec.executor` `labels` and `ports`. A scheduled
        // run's application is named `<name>-<timestamp>`, so its app-name label is not known here.
        ("sparkoperator.k8s.io", "SparkApplication" | "ScheduledSparkApplication") => {
            let (spec, app) = if m.kind == "SparkApplication" {
                (&o["spec"], Some(m.name.clone()))
            } else {
                (&o["spec"]["template"], None)
            };
            ["driver", "executor"]
                .iter()
                .map(|role| {
                    let mut labels = labels_at(&spec["labels"]);
                    labels.extend(labels_at(&spec[*role]["labels"]));
                    labels.insert("spark-role".to_string(), (*role).to_string());
                    if let Some(app) = &app {
                        labels.insert("sparkoperator.k8s.io/app-name".to_string(), app.clone());
                    }
                    let mut ports: BTreeSet<String> = spec[*role]["ports"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|p| p["name"].as_str().map(str::to_string))
                        .collect();
                    if let Some(p) = spec["monitoring"]["prometheus"]["portName"].as_str() {
                        ports.insert(p.to_string());
                    }
                    Pod { namespace: ns.to_string(), labels, ports }
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The namespaces a PodMonitor looks for pods in: its `namespaceSelector.matchNames`, else its own.
fn monitor_namespaces(m: &Manifest) -> Vec<String> {
    let names: Vec<String> = m.object["spec"]["namespaceSelector"]["matchNames"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect();
    if names.is_empty() { m.namespace.clone().into_iter().collect() } else { names }
}

/// Why a monitor scrapes nothing in a revision, or `None` when some selected pod has every endpoint's port.
fn unmatched(monitor: &PodMonitor, namespaces: &[String], all: &[Manifest]) -> Option<String> {
    let wanted = monitor.spec.selector.match_labels.clone().unwrap_or_default();
    let selected: Vec<Pod> = all
        .iter()
        .flat_map(pods)
        .filter(|p| namespaces.contains(&p.namespace))
        .filter(|p| wanted.iter().all(|(k, v)| p.labels.get(k) == Some(v)))
        .collect();
    let selector = wanted.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
    if selected.is_empty() {
        return Some(format!("no pod in {} has the labels `{selector}`", namespaces.join(", ")));
    }
    for e in monitor.spec.pod_metrics_endpoints.iter().flatten() {
        if let Some(port) = &e.port
            && !selected.iter().any(|p| p.ports.contains(port))
        {
            let have: BTreeSet<&String> = selected.iter().flat_map(|p| &p.ports).collect();
            let have = have.into_iter().map(String::as_str).collect::<Vec<_>>().join("`, `");
            return Some(format!(
                "the pods with the labels `{selector}` have no container port named `{port}` (they have `{have}`)"
            ));
        }
    }
    None
}

/// Reports a monitor that matched its pods in base and matches none in head; `true` when it did.
fn monitor(c: &ObjectChange, base: &Manifest, head: &Manifest, cx: &Context, out: &mut Vec<Finding>) -> bool {
    let (Ok(b), Ok(h)) = (read::<PodMonitor>(base), read::<PodMonitor>(head)) else {
        if c.is(PodMonitor::GROUP, PodMonitor::KIND) {
            out.push(unreadable(c, "a side does not read as a PodMonitor".to_string()));
        }
        return false;
    };
    if unmatched(&b, &monitor_namespaces(base), &cx.base.manifests.items).is_some() {
        return false;
    }
    let Some(why) = unmatched(&h, &monitor_namespaces(head), &cx.head.manifests.items) else { return false };
    let name = head.name.as_str();
    let ns = head.namespace.as_deref().unwrap_or_default();
    let because = if c.is(PodMonitor::GROUP, PodMonitor::KIND) {
        format!("PodMonitor `{ns}/{name}` no longer matches the pods it scraped")
    } else {
        format!(
            "{} `{}` changes its pods so that PodMonitor `{ns}/{name}` no longer matches them",
            c.key.kind, c.key.name
        )
    };
    out.push(
        Finding::error(
            MONITOR_UNMATCHED,
            c,
            because,
            format!(
                "{why}: the Prometheus Operator accepts the monitor and Prometheus scrapes nothing, with no error, \
                 so the job's metrics stop and every alert on them goes silent"
            ),
        )
        .help("keep the monitor's selector and port name and the pods' labels and port name the same; strata writes both when it emits both"),
    );
    true
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{ALERT_LOOSENED, ALERT_REMOVED, MONITOR_UNMATCHED, parse_duration, threshold};
    use crate::diff::tests::set;
    use crate::diff::{Finding, Side, compare};
    use crate::units::Duration;

    fn monitor(port: &str) -> Value {
        json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor",
            "metadata": {"name": "app", "namespace": "t"},
            "spec": {"selector": {"matchLabels": {"app": "app"}},
                     "podMetricsEndpoints": [{"port": port}]}})
    }

    fn deployment(label: &str, port: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app", "namespace": "t"},
            "spec": {"selector": {"matchLabels": {"app": label}},
                     "template": {"metadata": {"labels": {"app": label}},
                                  "spec": {"containers": [{"name": "app", "image": "i",
                                           "ports": [{"name": port, "containerPort": 9090}]}]}}}})
    }

    fn rule(rules: Value) -> Value {
        json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": "strata-alerts", "namespace": "t"},
            "spec": {"groups": [{"name": "strata.t", "rules": rules}]}})
    }

    fn alert(name: &str, subject: &str, expr: &str, hold: Option<&str>) -> Value {
        let mut r = json!({"alert": name, "expr": expr, "labels": {"subject": subject}, "annotations": {}});
        if let Some(h) = hold {
            r["for"] = json!(h);
        }
        r
    }

    fn findings(old: Vec<Value>, new: Vec<Value>) -> Vec<Finding> {
        let b = set(old.into_iter().map(|o| (o, Some("t"), "f.kdl:1")).collect());
        let h = set(new.into_iter().map(|o| (o, Some("t"), "f.kdl:1")).collect());
        compare(&Side::new("base", &b), &Side::new("head", &h)).findings
    }

    fn codes(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.code).collect()
    }

    #[test]
    fn a_monitor_whose_pods_move_away_from_it_is_an_error() {
        // The workload renames its port under an unchanged monitor.
        let f = findings(
            vec![monitor("metrics"), deployment("app", "metrics")],
            vec![monitor("metrics"), deployment("app", "http")],
        );
        assert_eq!(codes(&f), [MONITOR_UNMATCHED], "{f:?}");
        assert!(f[0].why.contains("no container port named `metrics`"), "{}", f[0].why);
        // The workload's labels change.
        let f = findings(
            vec![monitor("metrics"), deployment("app", "metrics")],
            vec![monitor("metrics"), deployment("web", "metrics")],
        );
        assert_eq!(codes(&f), [MONITOR_UNMATCHED], "{f:?}");
        // The monitor's port changes to one the pods have: still matched.
        let f = findings(
            vec![monitor("metrics"), deployment("app", "metrics")],
            vec![monitor("http"), deployment("app", "http")],
        );
        assert!(f.is_empty(), "{f:?}");
        // A monitor that matched nothing before is not this rule's to report.
        let f = findings(
            vec![monitor("other"), deployment("app", "metrics")],
            vec![monitor("other"), deployment("app", "http")],
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn removed_and_loosened_alerts_are_warnings_and_tightened_ones_are_not() {
        let base = rule(json!([
            alert("Lag", "group a", "sum(x) > 1000", Some("10m")),
            alert("Isr", "topic t", "min(y) < 2", None),
            alert("Gone", "job j", "z > 0", None),
        ]));
        let head = rule(json!([
            alert("Lag", "group a", "sum(x) > 3000", Some("15m")),
            alert("Isr", "topic t", "min(y) < 3", None),
        ]));
        let f = findings(vec![base.clone()], vec![head]);
        // By alert name; `Isr` went from `< 2` to `< 3`: it fires sooner, nothing to say.
        assert_eq!(codes(&f), [ALERT_REMOVED, ALERT_LOOSENED, ALERT_LOOSENED], "{f:?}");
        // The whole rule removed: one warning naming its alerts.
        let f = findings(vec![base], vec![]);
        assert_eq!(codes(&f), [ALERT_REMOVED], "{f:?}");
        assert!(f[0].why.contains("`Gone` for job j"), "{}", f[0].why);
    }

    #[test]
    fn thresholds_and_durations_read_as_strata_writes_them() {
        assert_eq!(threshold("sum by (g) (m{a=\"b\"}) > 3000"), Some(('>', 3000.0)));
        assert_eq!(threshold("min by (t) (m) < 2"), Some(('<', 2.0)));
        assert_eq!(threshold("a == 1 and on (namespace, pod) b{c=\"d\"}"), None);
        assert_eq!(parse_duration("5m"), Some(Duration(300_000)));
        assert_eq!(parse_duration("1h30m"), Some(Duration(5_400_000)));
        assert_eq!(parse_duration("90s"), Some(Duration(90_000)));
        assert_eq!(parse_duration("5x"), None);
    }
}
