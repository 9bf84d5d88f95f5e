//! Kafka's own code as the judge of strata's Kafka output: a real Apache Kafka cluster (KRaft brokers in
//! one JVM on loopback, `oracles/kafka`, run by `scripts/tools/kafka-oracle`) receives
//!
//! - every KafkaTopic of the bundled platform and of the valid golden cases as
//!   `createTopics(validateOnly=true)` with the partitions, replicas and configs the Topic Operator sends;
//! - every KafkaUser's ACL rules, created for real with Strimzi's principal naming and read back with
//!   `describeAcls`;
//! - for every topic-config key strata knows, values on both sides of each bound: strata's verdict (does
//!   `strata check` accept the config?) must equal Kafka's (does `LogConfig` validation accept it?).
//!
//! Strimzi's Topic and User Operators are published only as container images, so they cannot run here
//! (see docs/operators): this checks the Kafka half of the contract, not Strimzi's translation.
//!
//! The oracle needs java and mvn. Under `CI=true` their absence, or any failure of the oracle, fails the
//! tests; elsewhere a missing java/mvn prints `SKIPPED` and the tests return.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{Value, json};
use strata::lang::MemFs;
use strata::model::kafka::config::{KEYS, Kind};
use support::{repo, valid_cases};

/// The Kafka version of the oracle's brokers (oracles/kafka/pom.xml `kafka.version`), as strata spells it.
const BROKER_VERSION: &str = "4.1";

/// The oracle's broker count when no emitted topic needs more: enough for the deliberately broken
/// `replicas` object below to be one more than the cluster has.
const MIN_BROKERS: usize = 3;

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("-version").output().is_ok()
}

fn emitted(spec: &Path) -> Vec<Value> {
    // A case with environments is judged as its last one (production in the goldens): the objects of one case
    // share a namespace here, where two environments' copies of an object would collide. Every environment is
    // judged by the tests that compile each (`strata::compile_path_envs`).
    let c = strata::compile_path_envs(spec).pop().expect("a spec compiles to at least one platform");
    let set = c.manifests.unwrap_or_else(|| panic!("{} does not compile", spec.display()));
    set.items.into_iter().map(|m| m.object).collect()
}

/// One probe of the topic-config differential: config entries, each a key, its value as KDL writes it,
/// and the same value as the Topic Operator passes it to Kafka.
#[derive(Clone, Debug)]
struct Probe {
    entries: Vec<(&'static str, String, Value)>,
}

impl Probe {
    fn one(key: &'static str, kdl: impl Into<String>, kafka: Value) -> Probe {
        Probe { entries: vec![(key, kdl.into(), kafka)] }
    }

    fn describe(&self) -> String {
        self.entries.iter().map(|(k, v, _)| format!("{k} = {v}")).collect::<Vec<_>>().join(", ")
    }
}

fn int_probe(key: &'static str, n: i64) -> Probe {
    Probe::one(key, n.to_string(), json!(n))
}

/// Values that only fail together: Kafka's rules between keys (LogConfig.validateValues and the
/// tiered-storage validations of Kafka 4.1), each next to a combination both sides accept.
fn combination_probes() -> Vec<Probe> {
    let ms = |k: &'static str, n: i64| (k, n.to_string(), json!(n));
    let text = |k: &'static str, v: &str| (k, format!("{v:?}"), json!(v));
    let on = ("remote.storage.enable", "#true".to_string(), json!(true));
    vec![
        Probe { entries: vec![ms("min.compaction.lag.ms", 1000), ms("max.compaction.lag.ms", 2000)] },
        Probe { entries: vec![ms("min.compaction.lag.ms", 3000), ms("max.compaction.lag.ms", 2000)] },
        Probe { entries: vec![on.clone(), text("cleanup.policy", "delete")] },
        Probe { entries: vec![on.clone(), text("cleanup.policy", "compact")] },
        Probe { entries: vec![on.clone(), text("cleanup.policy", "compact,delete")] },
        Probe { entries: vec![on.clone(), ms("local.retention.ms", 1000), ms("retention.ms", 5000)] },
        Probe { entries: vec![on.clone(), ms("local.retention.ms", 9000), ms("retention.ms", 5000)] },
        Probe { entries: vec![on.clone(), ms("local.retention.bytes", 1 << 20), ms("retention.bytes", 1 << 30)] },
        Probe { entries: vec![on.clone(), ms("local.retention.bytes", 1 << 30), ms("retention.bytes", 1 << 20)] },
        Probe { entries: vec![on, ms("local.retention.ms", -2), ms("retention.ms", -1)] },
    ]
}

/// Values on both sides of every bound strata's table states for `kind`.
fn probes_for(key: &'static str, kind: Kind) -> Vec<Probe> {
    let ints = |values: &[i64]| values.iter().map(|&n| int_probe(key, n)).collect::<Vec<_>>();
    let strs = |values: &[&str]| values.iter().map(|s| Probe::one(key, format!("{s:?}"), json!(s))).collect::<Vec<_>>();
    match kind {
        Kind::Int { min, max, also } => {
            let mut v = vec![min.saturating_sub(1), min, max];
            if max < i64::MAX {
                v.push(max + 1);
            }
            v.extend(also);
            ints(&v)
        }
        Kind::Millis { min } | Kind::Count { min } => ints(&[min.saturating_sub(1), min, min.saturating_add(1000)]),
        Kind::Bytes { min, max } => {
            let mut v = vec![min.saturating_sub(1), min, max];
            if max < i64::MAX {
                v.push(max + 1);
            }
            ints(&v)
        }
        Kind::Ratio => [("-0.1", -0.1), ("0.0", 0.0), ("0.5", 0.5), ("1.0", 1.0), ("1.5", 1.5)]
            .iter()
            .map(|(k, f)| Probe::one(key, *k, json!(f)))
            .collect(),
        Kind::Bool => {
            let mut v: Vec<Probe> =
                [("#true", true), ("#false", false)].iter().map(|(k, b)| Probe::one(key, *k, json!(b))).collect();
            v.extend(strs(&["maybe"]));
            v
        }
        Kind::Enum(values) => {
            let mut v = strs(values);
            v.extend(strs(&["no-such-value"]));
            v
        }
        Kind::CleanupPolicy => strs(&["delete", "compact", "compact,delete", "archive"]),
        Kind::ThrottledReplicas => strs(&["*", "0:1,1:2", "every"]),
    }
}

/// Every probe: each key of strata's table, a key Kafka does not know, and the combinations.
fn probes() -> Vec<Probe> {
    let mut all: Vec<Probe> = KEYS.iter().flat_map(|k| probes_for(k.name, k.kind)).collect();
    all.push(Probe::one("no.such.config", "1", json!(1)));
    all.extend(combination_probes());
    all
}

/// strata's verdict on a probe: does a minimal spec with its config check without errors? The cluster
/// is declared as the oracle's brokers run: Kafka 4.1 with tiered storage on.
fn strata_accepts(p: &Probe) -> Result<(), String> {
    let config: String = p.entries.iter().map(|(k, v, _)| format!("    config {k:?} {v}\n")).collect();
    let spec = format!(
        "platform \"probe\"\n\
         kafka \"main\" namespace=\"kafka\" brokers={MIN_BROKERS} authorization=\"simple\" version=\"{BROKER_VERSION}\" tiered-storage=#true\n\
         topic \"probe.topic\" kafka=\"main\" partitions=1 replicas=1 {{\n{config}}}\n"
    );
    let fs = MemFs::new().with("/probe/platform.kdl", spec);
    let c = strata::check(&fs, Path::new("/probe/platform.kdl"));
    if c.ok() {
        Ok(())
    } else {
        Err(c.diagnostics.iter().map(|d| format!("{}: {}", d.code, d.message)).collect::<Vec<_>>().join("; "))
    }
}

fn probe_topic(i: usize, p: &Probe) -> Value {
    let config: serde_json::Map<String, Value> =
        p.entries.iter().map(|(k, _, v)| ((*k).to_string(), v.clone())).collect();
    json!({
        "apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
        "metadata": {"name": format!("probe-{i}"), "namespace": "probes"},
        "spec": {"topicName": format!("probe.{i}"), "partitions": 1, "replicas": 1, "config": config},
    })
}

/// Objects strata would never emit, each of which the brokers must refuse: they prove the oracle judges.
fn broken(brokers: usize) -> Vec<Value> {
    vec![
        json!({
            "apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
            "metadata": {"name": "broken-min-isr", "namespace": "broken"},
            "spec": {"partitions": 3, "replicas": 3, "config": {"min.insync.replicas": 0}},
        }),
        json!({
            "apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
            "metadata": {"name": "broken-replicas", "namespace": "broken"},
            "spec": {"partitions": 3, "replicas": brokers + 1},
        }),
        json!({
            "apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaUser",
            "metadata": {"name": "broken-user", "namespace": "broken"},
            "spec": {"authentication": {"type": "tls"}, "authorization": {"type": "simple", "acls": [
                {"resource": {"type": "topic", "name": "x", "patternType": "match"}, "operations": ["Read"]},
            ]}},
        }),
    ]
}

/// What the oracle run is asked, and what it answered, keyed by `namespace/name`.
struct Run {
    emitted: Vec<(String, Value)>,
    probes: Vec<Probe>,
    verdicts: BTreeMap<String, Value>,
}

/// Runs the oracle once for every test in this file (a JVM with a Kafka cluster takes tens of seconds).
fn run() -> Option<&'static Run> {
    static RUN: OnceLock<Option<Run>> = OnceLock::new();
    RUN.get_or_init(|| {
        if !have("java") || !Command::new("mvn").arg("-v").output().is_ok_and(|o| o.status.success()) {
            assert!(!ci(), "java and mvn are needed for the Kafka oracle (CI=true: this test must run)");
            eprintln!("SKIPPED kafka_broker: java or mvn not found; the Kafka oracle needs both");
            return None;
        }
        let mut emitted = Vec::new();
        for (i, (case, spec)) in valid_cases().into_iter().enumerate() {
            for mut o in emitted_kafka(&spec) {
                // One namespace per case: users of different cases share names (and so principals).
                let name = o["metadata"]["name"].as_str().unwrap().to_string();
                o["metadata"]["namespace"] = json!(format!("case-{i}"));
                if o["kind"] == "KafkaUser" {
                    o["metadata"]["name"] = json!(format!("c{i}-{name}"));
                }
                emitted.push((format!("{case}: {}/{name}", o["kind"].as_str().unwrap()), o));
            }
        }
        let brokers = emitted
            .iter()
            .filter_map(|(_, o)| o["spec"]["replicas"].as_u64())
            .map(|r| r as usize)
            .chain([MIN_BROKERS])
            .max()
            .unwrap();
        let probes = probes();
        let mut objects: Vec<Value> = emitted.iter().map(|(_, o)| o.clone()).collect();
        objects.extend(probes.iter().enumerate().map(|(i, p)| probe_topic(i, p)));
        objects.extend(broken(brokers));

        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("objects.json");
        std::fs::write(&input, serde_json::to_vec(&objects).unwrap()).unwrap();
        let out = Command::new(repo().join("scripts/tools/kafka-oracle"))
            .arg(brokers.to_string())
            .arg(&input)
            .output()
            .expect("scripts/tools/kafka-oracle runs");
        assert!(
            out.status.success(),
            "the Kafka oracle failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let answers: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("the oracle's answer is not JSON ({e}):\n{}", String::from_utf8_lossy(&out.stdout))
        });
        let verdicts = answers
            .into_iter()
            .map(|v| (format!("{}/{}", v["namespace"].as_str().unwrap(), v["name"].as_str().unwrap()), v))
            .collect();
        Some(Run { emitted, probes, verdicts })
    })
    .as_ref()
}

fn emitted_kafka(spec: &Path) -> Vec<Value> {
    emitted(spec).into_iter().filter(|o| o["kind"] == "KafkaTopic" || o["kind"] == "KafkaUser").collect()
}

fn verdict<'a>(run: &'a Run, object: &Value) -> &'a Value {
    let meta = &object["metadata"];
    let key = format!("{}/{}", meta["namespace"].as_str().unwrap(), meta["name"].as_str().unwrap());
    run.verdicts.get(&key).unwrap_or_else(|| panic!("the oracle gave no verdict for {key}"))
}

#[test]
fn brokers_accept_every_topic_and_user_strata_emits() {
    let Some(run) = run() else { return };
    let topics = run.emitted.iter().filter(|(_, o)| o["kind"] == "KafkaTopic").count();
    let users = run.emitted.iter().filter(|(_, o)| o["kind"] == "KafkaUser").count();
    assert!(topics >= 10 && users >= 5, "too few Kafka objects to judge: {topics} topics, {users} users");
    let refused: Vec<String> = run
        .emitted
        .iter()
        .filter_map(|(what, o)| {
            let v = verdict(run, o);
            (v["ok"] != true).then(|| format!("{what}: {}", v["error"].as_str().unwrap_or("no error text")))
        })
        .collect();
    assert!(refused.is_empty(), "Kafka refused {} of strata's objects:\n{}", refused.len(), refused.join("\n"));
}

#[test]
fn brokers_refuse_the_deliberately_broken_objects() {
    let Some(run) = run() else { return };
    for o in broken(0) {
        let v = verdict(run, &o);
        assert_eq!(v["ok"], false, "Kafka accepted {}, which it must refuse: {v}", o["metadata"]["name"]);
    }
}

/// Where strata's table and Kafka's validation may differ on purpose, and why. Anything else that
/// differs fails the test.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    // Kafka treats any negative retention.bytes as "no limit"; strata asks for the documented -1, so a typo
    // such as -100 is not read as "unlimited".
    ("retention.bytes = -2", "strata asks for the documented -1"),
    // The probe topic has one replica. Kafka accepts any min.insync.replicas at creation, then fails every
    // acks=all write with NotEnoughReplicas; strata refuses a value above the topic's replicas.
    ("min.insync.replicas = 2147483647", "strata refuses more in-sync replicas than the topic has"),
];

#[test]
fn topic_config_rules_agree_with_kafka() {
    let Some(run) = run() else { return };
    let mut disagreements = Vec::new();
    for (i, p) in run.probes.iter().enumerate() {
        let strata = strata_accepts(p);
        let key = format!("probes/probe-{i}");
        let kafka = run.verdicts.get(&key).unwrap_or_else(|| panic!("no verdict for {key}"));
        let kafka_ok = kafka["ok"] == true;
        if strata.is_ok() == kafka_ok {
            continue;
        }
        if KNOWN_DIFFERENCES.iter().any(|(probe, _)| *probe == p.describe()) {
            continue;
        }
        disagreements.push(format!(
            "{}: strata {}, Kafka {}",
            p.describe(),
            strata.err().map_or("accepts".to_string(), |e| format!("refuses ({e})")),
            if kafka_ok { "accepts".to_string() } else { format!("refuses ({})", kafka["error"]) }
        ));
    }
    assert!(
        disagreements.is_empty(),
        "strata's topic-config rules and Kafka {BROKER_VERSION} disagree on {} of {} values:\n{}",
        disagreements.len(),
        run.probes.len(),
        disagreements.join("\n")
    );
}
