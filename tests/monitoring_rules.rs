//! The generated alerts judged by Prometheus' own tool. A spec with `monitoring` and every kind of alert
//! strata writes is compiled; each PrometheusRule's `spec` (which is exactly the `groups:` of a Prometheus
//! rules file) goes through `promtool check rules` (PromQL, durations, label names, annotation templates),
//! and `promtool test rules` runs a generated unit test per alert: a synthetic failing series the alert
//! must fire on, with exactly the labels and static annotations strata wrote, and a healthy series it must
//! stay silent on. The unit tests run against a copy of the rules without the templated annotations
//! (`summary`), whose expansion with `$value` is Prometheus' business and already checked by `check rules`;
//! what fires, when, and with which labels is the same.
//!
//! promtool comes from Debian's `prometheus` package (`scripts/test` installs it). Without it the tests say
//! SKIPPED; under `CI=true` a missing promtool is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value, json};

/// Every alert strata writes, at least once: checkpointed and autoscaled Flink jobs, a one-off and a
/// scheduled Spark job, a scheduled batch job, literal and prefix consumer groups, a KEDA-scaled consumer, a topic with a
/// `min.insync.replicas`.
const SPEC: &str = r#"
platform "alerts" {
    monitoring namespace="monitoring" {
        selector "release" "kube-prometheus-stack"
        alert-label "routing" "data-platform"
    }
}

kafka "main" namespace="kafka" brokers=3 authorization="simple" kafka-exporter=#true

tenant "streams" {
    label "team" "stream-processing"
    network "open"
}
tenant "batch" { network "open"; }

topic "streams.orders" kafka="main" tenant="streams" partitions=6 replicas=3 {
    config "min.insync.replicas" 2
}
topic "streams.scores" kafka="main" tenant="streams" partitions=6 replicas=3

kafka-user "streams-reporting" kafka="main" tenant="streams" authentication="tls" {
    consumes "streams.orders" group="streams.reporting"
    consumes "streams.scores" group="streams.adhoc-*"
}

stream-app "scorer" tenant="streams" kafka="main" authentication="tls" {
    image "registry.example/scorer:1.0.0"
    size "s"
    consumes "streams.orders" group="streams.scorer"
    produces "streams.scores"
    autoscale min=1 max=6 {
        kafka lag=500 topic="streams.orders"
    }
}

flink-job "clickstream" tenant="streams" {
    image "flink:1.20.1"
    jar "local:///opt/flink/usrlib/clickstream.jar" version="1.20"
    parallelism 2
    jobmanager size="s"
    taskmanager size="m" slots=2
    checkpoints every="2m" dir="s3://streams/checkpoints"
}

flink-job "fraud" tenant="streams" {
    image "flink:1.20.1"
    jar "local:///opt/flink/usrlib/fraud.jar" version="1.20"
    parallelism 2
    jobmanager size="s"
    taskmanager size="m" slots=2
    autoscale max-parallelism=120 min=1 max=8 { stabilization "3m"; }
}

spark-job "nightly" tenant="batch" {
    image "spark:3.5.1" spark-version="3.5.1"
    main "local:///opt/app/nightly.py"
    executors 2 size="s"
    schedule "0 2 * * *"
}

job "compaction" tenant="batch" {
    image "registry.example/compaction:1.0.0"
    resources size="s"
    schedule "0 */6 * * *"
}

spark-job "backfill" tenant="batch" {
    image "spark:3.5.1" spark-version="3.5.1"
    main "local:///opt/app/backfill.py"
    executors 2 size="s"
}
"#;

const KINDS: &[&str] = &[
    "FlinkCheckpointsFailing",
    "FlinkCheckpointTooSlow",
    "FlinkJobRestarting",
    "SparkApplicationFailed",
    "ScheduledSparkJobNotSucceeded",
    "ScheduledJobNotSucceeded",
    "KafkaConsumerGroupLagging",
    "KafkaTopicUnderMinIsr",
];

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// `promtool`, or `None` after saying SKIPPED (straight to stderr: libtest captures `eprintln!` of passing
/// tests, and a skip must show); under `CI=true` a missing promtool fails the test.
fn promtool(test: &str) -> Option<PathBuf> {
    let p = std::env::var_os("PROMTOOL").map_or_else(|| PathBuf::from("promtool"), PathBuf::from);
    if Command::new(&p).arg("--version").output().is_ok_and(|o| o.status.success()) {
        return Some(p);
    }
    assert!(
        !ci(),
        "CI=true: promtool is not installed ({}); scripts/test installs Debian's prometheus package, which ships it",
        p.display()
    );
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: no promtool on PATH (apt-get install prometheus, or set PROMTOOL)"
    );
    None
}

/// The PrometheusRules and PodMonitors of the spec.
fn compiled() -> (Vec<Value>, Vec<Value>) {
    let fs = strata::lang::MemFs::new().with("platform.kdl", SPEC);
    let c = strata::compile(&fs, Path::new("platform.kdl"));
    assert!(c.ok(), "the spec does not compile: {:?}", c.diagnostics);
    let set = c.manifests.expect("manifests");
    let of = |kind: &str| set.items.iter().filter(|m| m.kind == kind).map(|m| m.object.clone()).collect::<Vec<_>>();
    (of("PrometheusRule"), of("PodMonitor"))
}

fn rules_of(rule: &Value) -> Vec<Value> {
    rule["spec"]["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
        .collect()
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().expect("promtool runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// A fresh folder for one rule's files.
fn dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("strata-monitoring-rules").tempdir().expect("a temp dir")
}

#[test]
fn every_kind_of_alert_is_generated_and_its_flink_selectors_name_an_emitted_pod_monitor() {
    let (rules, monitors) = compiled();
    let all: Vec<Value> = rules.iter().flat_map(rules_of).collect();
    for kind in KINDS {
        assert!(all.iter().any(|r| r["alert"] == *kind), "no {kind} in {all:#?}");
    }
    // The tenant routing: two tenants with something to alert on, two rules, each in its namespace.
    let where_: Vec<(String, String)> = rules
        .iter()
        .map(|r| {
            (
                r["metadata"]["namespace"].as_str().unwrap_or("").into(),
                r["metadata"]["name"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(where_, [("batch".into(), "strata-alerts".into()), ("streams".into(), "strata-alerts".into())]);
    // A Flink alert selects `job="<namespace>/<PodMonitor>"`: that PodMonitor must exist, or the alert
    // watches a series nothing scrapes.
    for r in all.iter().filter(|r| r["alert"].as_str().is_some_and(|a| a.starts_with("Flink"))) {
        let expr = r["expr"].as_str().unwrap_or_default();
        let job = matchers(expr).into_iter().find(|(k, op, _)| k == "job" && op == "=").map(|(_, _, v)| v);
        let job = job.unwrap_or_else(|| panic!("a Flink alert without a job matcher: {expr}"));
        let (ns, name) = job.split_once('/').expect("namespace/name");
        assert!(
            monitors.iter().any(|m| m["metadata"]["namespace"] == ns && m["metadata"]["name"] == name),
            "{expr} names PodMonitor {job}, which strata does not emit"
        );
    }
}

#[test]
fn every_generated_rule_group_passes_promtool_check_rules() {
    let Some(promtool) = promtool("every_generated_rule_group_passes_promtool_check_rules") else { return };
    let (mut rules, _) = compiled();
    assert!(!rules.is_empty());
    // And the rules of every spec in the repository that compiles: the bundled platform and the golden cases.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut specs = vec![root.join("platform.kdl")];
    let mut golden: Vec<PathBuf> = std::fs::read_dir(root.join("golden"))
        .expect("golden/")
        .filter_map(Result::ok)
        .map(|e| e.path().join("platform.kdl"))
        .filter(|p| p.is_file())
        .collect();
    golden.sort();
    specs.extend(golden);
    for spec in specs {
        for c in strata::compile_path_envs(&spec) {
            let ok = c.ok();
            let Some(set) = c.manifests.filter(|_| ok) else { continue };
            rules.extend(set.items.into_iter().filter(|m| m.kind == "PrometheusRule").map(|m| m.object));
        }
    }
    for rule in &rules {
        let d = dir();
        let file = d.path().join("rules.json");
        std::fs::write(&file, serde_json::to_string_pretty(&rule["spec"]).expect("json")).expect("write");
        let (ok, out) = run(Command::new(&promtool).arg("check").arg("rules").arg(&file));
        assert!(ok, "promtool check rules refuses {}:\n{out}\n{}", rule["metadata"]["namespace"], rule["spec"]);
        assert!(out.contains("SUCCESS"), "{out}");
    }
}

#[test]
fn promtool_check_rules_catches_a_broken_rule() {
    // The oracle itself: an expression promtool cannot parse fails, so the test above can fail.
    let Some(promtool) = promtool("promtool_check_rules_catches_a_broken_rule") else { return };
    let d = dir();
    let file = d.path().join("rules.json");
    let broken = json!({"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "sum by (x (up)"}]}]});
    std::fs::write(&file, broken.to_string()).expect("write");
    let (ok, out) = run(Command::new(&promtool).arg("check").arg("rules").arg(&file));
    assert!(!ok, "promtool accepted a broken expression: {out}");
}

#[test]
fn each_alert_fires_on_a_failing_series_and_stays_silent_on_a_healthy_one() {
    let Some(promtool) = promtool("each_alert_fires_on_a_failing_series_and_stays_silent_on_a_healthy_one") else {
        return;
    };
    let (rules, _) = compiled();
    let mut fired = std::collections::BTreeSet::new();
    for rule in &rules {
        let d = dir();
        let mut spec = rule["spec"].clone();
        strip_templated_annotations(&mut spec);
        std::fs::write(d.path().join("rules.json"), spec.to_string()).expect("write rules");
        let mut tests = Vec::new();
        for r in rules_of(rule) {
            let case = Case::of(&r);
            fired.insert(r["alert"].as_str().unwrap_or_default().to_string());
            tests.push(case.test(&r, true));
            tests.push(case.test(&r, false));
        }
        let unit = json!({"rule_files": ["rules.json"], "evaluation_interval": "1m", "tests": tests});
        let file = d.path().join("tests.json");
        std::fs::write(&file, serde_json::to_string_pretty(&unit).expect("json")).expect("write tests");
        let (ok, out) = run(Command::new(&promtool).current_dir(d.path()).arg("test").arg("rules").arg(&file));
        assert!(ok, "promtool test rules failed for {}:\n{out}\n{}", rule["metadata"]["namespace"], unit);
    }
    let kinds: std::collections::BTreeSet<String> = KINDS.iter().map(|k| k.to_string()).collect();
    assert_eq!(fired, kinds, "every kind of alert has its unit test");
}

#[test]
fn a_unit_test_that_expects_the_wrong_thing_fails() {
    // The oracle again: swapping the failing and the healthy series must make promtool report failures.
    let Some(promtool) = promtool("a_unit_test_that_expects_the_wrong_thing_fails") else { return };
    let (rules, _) = compiled();
    let rule = &rules[0];
    let d = dir();
    let mut spec = rule["spec"].clone();
    strip_templated_annotations(&mut spec);
    std::fs::write(d.path().join("rules.json"), spec.to_string()).expect("write rules");
    let r = &rules_of(rule)[0];
    let case = Case::of(r);
    let mut wrong = case.test(r, true);
    wrong["input_series"] = case.test(r, false)["input_series"].clone();
    let unit = json!({"rule_files": ["rules.json"], "evaluation_interval": "1m", "tests": [wrong]});
    let file = d.path().join("tests.json");
    std::fs::write(&file, unit.to_string()).expect("write tests");
    let (ok, out) = run(Command::new(&promtool).current_dir(d.path()).arg("test").arg("rules").arg(&file));
    assert!(!ok, "promtool passed a test whose alert cannot fire:\n{out}");
}

// ---- The synthetic series -------------------------------------------------------------------------

/// The annotations of `rule` without Go templates: what a promtool unit test expects (see the module
/// comment).
fn static_annotations(rule: &Value) -> Map<String, Value> {
    rule["annotations"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, v)| !v.as_str().is_some_and(|s| s.contains("{{")))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Drops annotations with Go templates (see the module comment).
fn strip_templated_annotations(spec: &mut Value) {
    for g in spec["groups"].as_array_mut().into_iter().flatten() {
        for r in g["rules"].as_array_mut().into_iter().flatten() {
            if let Some(a) = r.get_mut("annotations").and_then(Value::as_object_mut) {
                a.retain(|_, v| !v.as_str().is_some_and(|s| s.contains("{{")));
            }
        }
    }
}

/// The `name op "value"` matchers of the first selector in `expr`, in order.
fn matchers(expr: &str) -> Vec<(String, String, String)> {
    let Some(open) = expr.find('{') else { return Vec::new() };
    let mut out = Vec::new();
    let mut rest = &expr[open + 1..];
    loop {
        rest = rest.trim_start_matches([' ', ',']);
        if rest.starts_with('}') || rest.is_empty() {
            return out;
        }
        let name_end = rest.find(['=', '!']).expect("a matcher operator");
        let name = rest[..name_end].trim().to_string();
        let op_len = if rest[name_end..].starts_with("=~") || rest[name_end..].starts_with("!=") { 2 } else { 1 };
        let op = rest[name_end..name_end + op_len].to_string();
        rest = &rest[name_end + op_len..];
        assert!(rest.starts_with('"'), "a quoted value in {expr}");
        let mut value = String::new();
        let mut chars = rest[1..].char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => {
                    if let Some((_, c)) = chars.next() {
                        value.push(c);
                    }
                }
                Some((i, '"')) => break i,
                Some((_, c)) => value.push(c),
                None => panic!("an unterminated string in {expr}"),
            }
        };
        rest = &rest[end + 2..];
        out.push((name, op, value));
    }
}

/// A value the (anchored RE2) regex strata writes matches: its escapes taken literally, `.+`/`.*` as `x`,
/// `[0-9]+` as a run's timestamp.
fn example_of(regex: &str) -> String {
    let mut out = String::new();
    let mut rest = regex;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("[0-9]+") {
            out.push_str("1767225600000000000");
            rest = r;
        } else if let Some(r) = rest.strip_prefix(".+").or_else(|| rest.strip_prefix(".*")) {
            out.push_str("x7f9c");
            rest = r;
        } else if let Some(r) = rest.strip_prefix('\\') {
            let c = r.chars().next().expect("an escaped character");
            out.push(c);
            rest = &r[c.len_utf8()..];
        } else {
            let c = rest.chars().next().expect("a character");
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// The labels of a series the first selector of `expr` matches, plus `extra`.
fn series_labels(expr: &str, extra: &[(&str, &str)]) -> Map<String, Value> {
    let mut labels = Map::new();
    for (k, op, v) in matchers(expr) {
        let value = match op.as_str() {
            "=" => v,
            "=~" => example_of(&v),
            other => panic!("strata writes no `{other}` matcher: {expr}"),
        };
        labels.insert(k, Value::String(value));
    }
    for (k, v) in extra {
        labels.insert((*k).to_string(), Value::String((*v).to_string()));
    }
    labels
}

fn series(metric: &str, labels: &Map<String, Value>, values: &str) -> Value {
    let body: Vec<String> =
        labels.iter().map(|(k, v)| format!("{k}={}", Value::String(v.as_str().unwrap_or("").into()))).collect();
    json!({"series": format!("{metric}{{{}}}", body.join(", ")), "values": values})
}

/// The number an alert's expression compares against (its last token).
fn threshold(expr: &str) -> u64 {
    expr.rsplit(' ').next().and_then(|t| t.parse().ok()).unwrap_or_else(|| panic!("no threshold at the end of {expr}"))
}

/// A Prometheus duration strata writes (`5m`, `90s`, `1h`) in minutes, rounded up.
fn minutes(d: &str) -> u64 {
    let (n, unit) = d.split_at(d.find(|c: char| !c.is_ascii_digit()).unwrap_or(d.len()));
    let n: u64 = n.parse().unwrap_or_else(|_| panic!("a duration: {d}"));
    match unit {
        "ms" => 1,
        "s" => n.div_ceil(60),
        "m" => n,
        "h" => n * 60,
        "d" => n * 1440,
        _ => panic!("a duration: {d}"),
    }
}

/// One alert's synthetic series: failing and healthy input, and the labels the alert carries when it fires
/// (the expression's output labels, then the rule's).
struct Case {
    failing: Vec<Value>,
    healthy: Vec<Value>,
    /// The labels of the expression's result.
    out: Map<String, Value>,
    /// When to evaluate, in minutes: past the rule's `for` unless the alert needs more history.
    eval_minutes: Option<u64>,
}

impl Case {
    fn of(rule: &Value) -> Case {
        let expr = rule["expr"].as_str().expect("expr");
        let alert = rule["alert"].as_str().expect("alert");
        let n = || threshold(expr);
        let steps = 120; // two hours of one-minute samples
        match alert {
            "FlinkCheckpointsFailing" | "FlinkJobRestarting" => {
                let metric = if alert == "FlinkCheckpointsFailing" {
                    "flink_jobmanager_job_numberOfFailedCheckpoints"
                } else {
                    "flink_jobmanager_job_numRestarts"
                };
                let l = series_labels(expr, &[("job_id", "5f8c7c4d"), ("job_name", "insert-into"), ("pod", "jm-0")]);
                Case {
                    // One more than the threshold every minute: any window's increase exceeds it.
                    failing: vec![series(metric, &l, &format!("0+{}x{steps}", n() + 1))],
                    healthy: vec![series(metric, &l, &format!("3x{steps}"))],
                    out: l,
                    eval_minutes: None,
                }
            }
            "FlinkCheckpointTooSlow" => {
                let l = series_labels(expr, &[("job_id", "5f8c7c4d"), ("job_name", "insert-into"), ("pod", "jm-0")]);
                let metric = "flink_jobmanager_job_lastCheckpointDuration";
                Case {
                    failing: vec![series(metric, &l, &format!("{}x{steps}", n() + 1))],
                    healthy: vec![series(metric, &l, &format!("{}x{steps}", n()))],
                    out: l,
                    eval_minutes: None,
                }
            }
            "SparkApplicationFailed" => {
                // `A == 1 and on (namespace, pod) B`: the phase series and the driver's labels series.
                let (phase, labels) = expr.split_once(" and on ").expect("and on");
                let pod = [("pod", "run-driver"), ("uid", "9a1e")];
                let p = series_labels(phase, &pod);
                let b = series_labels(labels, &pod);
                let running = {
                    let mut r = p.clone();
                    r.insert("phase".into(), "Running".into());
                    r
                };
                Case {
                    failing: vec![
                        series("kube_pod_status_phase", &p, &format!("1x{steps}")),
                        series("kube_pod_status_phase", &running, &format!("0x{steps}")),
                        series("kube_pod_labels", &b, &format!("1x{steps}")),
                    ],
                    healthy: vec![
                        series("kube_pod_status_phase", &p, &format!("0x{steps}")),
                        series("kube_pod_status_phase", &running, &format!("1x{steps}")),
                        series("kube_pod_labels", &b, &format!("1x{steps}")),
                    ],
                    out: p,
                    eval_minutes: None,
                }
            }
            "KafkaConsumerGroupLagging" => {
                let inner = &expr[expr.find("(kafka").expect("the lag selector") + 1..];
                let mut base = series_labels(inner, &[("partition", "0")]);
                base.entry("topic").or_insert_with(|| "streams.orders".into());
                let mut second = base.clone();
                second.insert("partition".into(), "1".into());
                // Two partitions sharing the lag: the sum is what crosses the threshold.
                let half = n() / 2 + 1;
                let out: Map<String, Value> =
                    base.iter().filter(|(k, _)| *k == "consumergroup").map(|(k, v)| (k.clone(), v.clone())).collect();
                Case {
                    failing: vec![
                        series("kafka_consumergroup_lag", &base, &format!("{half}x{steps}")),
                        series("kafka_consumergroup_lag", &second, &format!("{half}x{steps}")),
                    ],
                    healthy: vec![
                        series("kafka_consumergroup_lag", &base, &format!("{}x{steps}", n() / 2)),
                        series("kafka_consumergroup_lag", &second, &format!("{}x{steps}", n() / 2)),
                    ],
                    out,
                    eval_minutes: None,
                }
            }
            "KafkaTopicUnderMinIsr" => {
                let inner = &expr[expr.find("(kafka").expect("the ISR selector") + 1..];
                let l = series_labels(inner, &[("partition", "3")]);
                let out: Map<String, Value> = l
                    .iter()
                    .filter(|(k, _)| *k == "topic" || *k == "partition")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let metric = "kafka_topic_partition_in_sync_replica";
                Case {
                    failing: vec![series(metric, &l, &format!("{}x{steps}", n() - 1))],
                    healthy: vec![series(metric, &l, &format!("{}x{steps}", n()))],
                    out,
                    eval_minutes: None,
                }
            }
            "ScheduledJobNotSucceeded" => {
                // `time() - ((last success or created) unless suspended == 1) > T`, T in seconds: the last
                // success at time 0 is overdue once the clock passes T; one that keeps up with the clock
                // (a success every minute) is not.
                let l = series_labels(expr, &[]);
                let minutes = n() / 60 + 30;
                let steps = minutes + 5;
                Case {
                    failing: vec![
                        series("kube_cronjob_status_last_successful_time", &l, &format!("0x{steps}")),
                        series("kube_cronjob_created", &l, &format!("0x{steps}")),
                        series("kube_cronjob_spec_suspend", &l, &format!("0x{steps}")),
                    ],
                    healthy: vec![
                        series("kube_cronjob_status_last_successful_time", &l, &format!("0+60x{steps}")),
                        series("kube_cronjob_created", &l, &format!("0x{steps}")),
                        series("kube_cronjob_spec_suspend", &l, &format!("0x{steps}")),
                    ],
                    out: l,
                    eval_minutes: Some(minutes),
                }
            }
            "ScheduledSparkJobNotSucceeded" => {
                // `time() - max(completion and on (namespace, pod) phase == 1 and on (namespace, pod)
                // driver labels) > T`: one finished driver pod of a run.
                let parts: Vec<&str> = expr.split(" and on ").collect();
                let pod = [("pod", "nightly-1767225600000000000-driver"), ("uid", "9a1e")];
                let done = series_labels(parts[0], &pod);
                let phase = series_labels(parts[1], &pod);
                let labels = series_labels(parts[2], &pod);
                let minutes = n() / 60 + 30;
                let steps = minutes + 5;
                let with = |completed: &str| {
                    vec![
                        series("kube_pod_completion_time", &done, completed),
                        series("kube_pod_status_phase", &phase, &format!("1x{steps}")),
                        series("kube_pod_labels", &labels, &format!("1x{steps}")),
                    ]
                };
                Case {
                    failing: with(&format!("0x{steps}")),
                    healthy: with(&format!("0+60x{steps}")),
                    out: Map::new(),
                    eval_minutes: Some(minutes),
                }
            }
            other => panic!("no synthetic series for alert {other}: add a case here"),
        }
    }

    /// The promtool unit test: at an evaluation time past the rule's `for`, the alert is firing with these
    /// labels and static annotations (failing), or nothing fires (healthy).
    fn test(&self, rule: &Value, failing: bool) -> Value {
        let hold = rule["for"].as_str().map_or(0, minutes);
        let eval = format!("{}m", self.eval_minutes.unwrap_or(30 + hold));
        let mut labels = self.out.clone();
        for (k, v) in rule["labels"].as_object().into_iter().flatten() {
            labels.insert(k.clone(), v.clone());
        }
        let annotations = static_annotations(rule);
        let expected =
            if failing { json!([{"exp_labels": labels, "exp_annotations": annotations}]) } else { json!([]) };
        json!({
            "name": format!("{} {} {}", rule["alert"].as_str().unwrap_or(""), rule["labels"]["subject"].as_str().unwrap_or(""), if failing { "fires" } else { "stays silent" }),
            "interval": "1m",
            "input_series": if failing { &self.failing } else { &self.healthy },
            "alert_rule_test": [{"eval_time": eval, "alertname": rule["alert"], "exp_alerts": expected}],
        })
    }
}

#[test]
fn the_matcher_reader_and_regex_examples_agree_with_strata_output() {
    let m =
        matchers(r#"sum by (g) (m{namespace="kafka", pod=~"main-kafka-exporter-.+", consumergroup=~"a\\.b-.*"}) > 5"#);
    assert_eq!(m[1], ("pod".to_string(), "=~".to_string(), "main-kafka-exporter-.+".to_string()));
    assert_eq!(example_of(&m[2].2), "a.b-x7f9c");
    assert_eq!(example_of(r"nightly-[0-9]+"), "nightly-1767225600000000000");
    assert_eq!(minutes("90s"), 2);
}

#[test]
fn a_cronjob_that_never_succeeded_counts_from_its_creation_and_a_suspended_one_stays_quiet() {
    let Some(promtool) =
        promtool("a_cronjob_that_never_succeeded_counts_from_its_creation_and_a_suspended_one_stays_quiet")
    else {
        return;
    };
    let (rules, _) = compiled();
    let rule = rules
        .iter()
        .find(|r| rules_of(r).iter().any(|a| a["alert"] == "ScheduledJobNotSucceeded"))
        .expect("a rule with the CronJob alert");
    let alert = rules_of(rule).into_iter().find(|a| a["alert"] == "ScheduledJobNotSucceeded").expect("the alert");
    let expr = alert["expr"].as_str().expect("expr");
    let l = series_labels(expr, &[]);
    let minutes = threshold(expr) / 60 + 30;
    let steps = minutes + 5;
    // No `kube_cronjob_status_last_successful_time` at all: never succeeded since its creation at time 0.
    let never = |suspend: &str| {
        vec![
            series("kube_cronjob_created", &l, &format!("0x{steps}")),
            series("kube_cronjob_spec_suspend", &l, &format!("{suspend}x{steps}")),
        ]
    };
    let mut labels = l.clone();
    for (k, v) in alert["labels"].as_object().into_iter().flatten() {
        labels.insert(k.clone(), v.clone());
    }
    let annotations = static_annotations(&alert);
    let case = |name: &str, input: Vec<Value>, eval: u64, fires: bool| {
        json!({
            "name": name,
            "interval": "1m",
            "input_series": input,
            "alert_rule_test": [{
                "eval_time": format!("{eval}m"),
                "alertname": "ScheduledJobNotSucceeded",
                "exp_alerts": if fires { json!([{"exp_labels": labels, "exp_annotations": annotations}]) } else { json!([]) },
            }],
        })
    };
    let tests = vec![
        case("never succeeded, past the threshold", never("0"), minutes, true),
        case("never succeeded, created recently", never("0"), threshold(expr) / 60 - 10, false),
        case("never succeeded but suspended", never("1"), minutes, false),
    ];
    let d = dir();
    let mut spec = rule["spec"].clone();
    strip_templated_annotations(&mut spec);
    std::fs::write(d.path().join("rules.json"), spec.to_string()).expect("write rules");
    let unit = json!({"rule_files": ["rules.json"], "evaluation_interval": "1m", "tests": tests});
    let file = d.path().join("tests.json");
    std::fs::write(&file, unit.to_string()).expect("write tests");
    let (ok, out) = run(Command::new(&promtool).current_dir(d.path()).arg("test").arg("rules").arg(&file));
    assert!(ok, "promtool test rules failed:\n{out}\n{unit}");
}
