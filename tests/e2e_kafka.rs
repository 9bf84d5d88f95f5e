//! One user's session with Kafka, end to end, against the test cluster and a real Apache Kafka cluster
//! (three KRaft brokers on loopback, `scripts/tools/kafka-oracle session`). Every strata step is the
//! `strata` binary as a user runs it:
//!
//! 1. `strata check`, then `strata apply` of a small spec: a tenant, the `kafka` cluster it publishes to,
//!    three topics (one with its own configs, one from the `compacted` preset) and a TLS user with ACLs.
//! 2. `strata apply --wait` before anything acted: KafkaTopic and KafkaUser are ready only when their
//!    operator says so (a `Ready` condition at the current generation, `reconcile::wait`), so it times out
//!    and says no operator has written a status.
//! 3. The operator acts. Strimzi's Topic and User Operators are published only as container images, which
//!    cannot run here, so a **stand-in** (`StandIn` below, clearly not Strimzi's code) does what they do
//!    with the objects *as the apiserver holds them* (read back with kubectl, not strata's local output):
//!    for each KafkaTopic of its cluster (label `strimzi.io/cluster`) it creates the topic on the brokers
//!    with the object's partitions, replicas and configs; for each KafkaUser it creates its ACLs with
//!    Strimzi's principal naming; then it writes the status subresource as Strimzi does (`Ready` condition,
//!    `observedGeneration`), `Ready=False` with Kafka's error when the brokers refuse. The test then asks
//!    the brokers (describeTopics, describeConfigs, describeAcls) whether they hold what the user's spec
//!    says, written out by hand here.
//! 4. A deliberately broken KafkaTopic (a `cleanup.policy` Kafka does not know, which `strata check`
//!    refuses, so it is a hand-made manifest applied with kubectl) is refused by the brokers: the stand-in
//!    reports Kafka's error in its status and no such topic exists. The same refusal of one of strata's
//!    objects fails step 3.
//! 5. `strata apply --wait` now reports every Kafka object ready; `strata plan` shows no changes.
//! 6. A topic leaves the spec. `strata apply --prune` keeps its KafkaTopic (data-bearing in the domain
//!    registry) and says `--allow-data-loss` would delete it; the topic stays on the brokers. With the flag
//!    the KafkaTopic is pruned and the stand-in deletes the topic from the brokers (Strimzi's Topic
//!    Operator does the same, behind a finalizer the stand-in does not add), verified on the brokers.
//!
//! What this does not test: Strimzi's own translation of the objects (its code is not runnable here);
//! `tests/kafka_broker.rs` says which half of the contract the brokers judge.
//!
//! Needs the test cluster (`STRATA_TEST_KUBECONFIG`) and java/mvn for the brokers. Under `CI=true` a missing
//! one fails the test; elsewhere it prints `SKIPPED`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use serde_json::{Value, json};
use support::*;

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The brokers, running for the whole session. Dropping it closes the oracle's stdin, which stops the
/// brokers, so they never outlive the test, pass or fail.
struct Brokers {
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// The oracle's stderr, an unlinked file read back for failure messages.
    log: std::fs::File,
    child: Child,
}

impl Brokers {
    // The oracle is waited for in `Drop` once it is ready; clippy sees only the paths that return early.
    #[allow(clippy::zombie_processes)]
    fn start(test: &str, count: usize) -> Option<Brokers> {
        let java = Command::new("java").arg("-version").output().is_ok();
        let mvn = Command::new("mvn").arg("-v").output().is_ok_and(|o| o.status.success());
        if !java || !mvn {
            assert!(!ci(), "java and mvn are needed for the Kafka brokers (CI=true: this test must run)");
            eprintln!("SKIPPED {test}: java or mvn not found; the Kafka brokers need both");
            return None;
        }
        let path = std::env::temp_dir().join(format!("strata-e2e-kafka-{}.log", std::process::id()));
        let stderr = std::fs::File::create(&path).expect("oracle log");
        let log = std::fs::File::open(&path).expect("oracle log");
        let _ = std::fs::remove_file(&path);
        let mut child = Command::new(repo().join("scripts/tools/kafka-oracle"))
            .args(["session", &count.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("scripts/tools/kafka-oracle runs");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        let n = stdout.read_line(&mut line).expect("read the oracle's stdout");
        if n == 0 || line.trim() != "READY" {
            let status = child.wait().expect("wait");
            panic!("scripts/tools/kafka-oracle session failed ({status}): {line}\n{}", read_all(&log));
        }
        Some(Brokers { stdin: child.stdin.take(), stdout, log, child })
    }

    /// One request to the brokers (see `KafkaOracle.java`), its answer.
    fn ask(&mut self, request: Value) -> Value {
        let stdin = self.stdin.as_mut().expect("the oracle's stdin");
        writeln!(stdin, "{request}").and_then(|()| stdin.flush()).expect("write to the oracle");
        let mut line = String::new();
        let n = self.stdout.read_line(&mut line).expect("read the oracle's answer");
        assert!(n > 0, "the Kafka oracle stopped answering ({request}):\n{}", self.log_tail());
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("the oracle's answer is not JSON ({e}): {line}"))
    }

    /// The brokers' topics, without Kafka's own (`__remote_log_metadata`, which tiered storage creates
    /// when it first starts, is not flagged internal by listTopics).
    fn topics(&mut self) -> BTreeSet<String> {
        let a = self.ask(json!({"op": "list-topics"}));
        let names = a["topics"].as_array().expect("topics").iter().filter_map(Value::as_str);
        names.filter(|t| !t.starts_with("__")).map(str::to_string).collect()
    }

    fn log_tail(&self) -> String {
        let text = read_all(&self.log);
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Brokers {
    fn drop(&mut self) {
        drop(self.stdin.take());
        stop_after_stdin_closed(&mut self.child, "the Kafka oracle");
    }
}

/// A STAND-IN for Strimzi's Topic and User Operators, which are published only as container images. It
/// reads the KafkaTopics and KafkaUsers of one Kafka cluster from the apiserver and does to the real
/// brokers what those operators would: create each topic as its object says, create each user's ACLs,
/// delete the topic of a KafkaTopic that is gone, and write each object's status (`Ready`, with
/// `observedGeneration`) the way Strimzi does. It is not Strimzi's code and is not evidence of how
/// Strimzi translates an object; it is how this test runs strata's real objects against real Kafka.
struct StandIn<'a> {
    kc: &'a Path,
    namespace: String,
    cluster: &'static str,
    brokers: Brokers,
    /// Topics this stand-in created, by KafkaTopic name.
    created: BTreeMap<String, String>,
}

/// The topic a KafkaTopic stands for: `spec.topicName`, else its name.
fn topic_name(o: &Value) -> String {
    o["spec"]["topicName"].as_str().or(o["metadata"]["name"].as_str()).expect("a name").to_string()
}

impl StandIn<'_> {
    /// The cluster's KafkaTopics and KafkaUsers as the apiserver holds them.
    fn watched(&self, kind: &str) -> Vec<Value> {
        let selector = format!("strimzi.io/cluster={}", self.cluster);
        let list = kubectl_json(self.kc, &["get", kind, "-n", &self.namespace, "-l", &selector]);
        list["items"].as_array().cloned().unwrap_or_default()
    }

    /// One pass over the cluster's objects: each one not yet reconciled at its generation is sent to the
    /// brokers and gets a status; each topic whose KafkaTopic is gone is deleted. Returns the verdict on
    /// each object reconciled in this pass, by `Kind/name`.
    fn sync(&mut self) -> BTreeMap<String, Result<(), String>> {
        let mut verdicts = BTreeMap::new();
        let topics = self.watched("kafkatopics");
        let users = self.watched("kafkausers");
        for o in topics.iter().chain(&users) {
            let generation = o["metadata"]["generation"].as_i64();
            if o["status"]["observedGeneration"].as_i64() == generation {
                continue;
            }
            let kind = o["kind"].as_str().expect("kind").to_string();
            let name = o["metadata"]["name"].as_str().expect("name").to_string();
            let answer = self.brokers.ask(json!({"op": "reconcile", "object": o}));
            let verdict = if answer["ok"] == true {
                Ok(())
            } else {
                Err(answer["error"].as_str().unwrap_or("no error text").to_string())
            };
            let condition = match &verdict {
                Ok(()) => json!({"type": "Ready", "status": "True"}),
                Err(e) => json!({"type": "Ready", "status": "False", "reason": "KafkaError", "message": e}),
            };
            let mut status = json!({"observedGeneration": generation, "conditions": [condition]});
            if kind == "KafkaTopic" {
                status["topicName"] = json!(topic_name(o));
                if verdict.is_ok() {
                    self.created.insert(name.clone(), topic_name(o));
                }
            } else if let Some(principal) = answer["principal"].as_str() {
                status["username"] = json!(principal.trim_start_matches("User:"));
            }
            let patch = json!({ "status": status }).to_string();
            kubectl(
                self.kc,
                &[
                    "patch",
                    &kind.to_lowercase(),
                    &name,
                    "-n",
                    &self.namespace,
                    "--subresource=status",
                    "--type=merge",
                    "-p",
                    &patch,
                ],
            );
            verdicts.insert(format!("{kind}/{name}"), verdict);
        }
        let present: BTreeSet<String> =
            topics.iter().filter_map(|o| o["metadata"]["name"].as_str().map(str::to_string)).collect();
        let gone: Vec<(String, String)> =
            self.created.iter().filter(|(k, _)| !present.contains(*k)).map(|(k, t)| (k.clone(), t.clone())).collect();
        for (object, topic) in gone {
            let answer = self.brokers.ask(json!({"op": "delete-topic", "topic": topic}));
            assert_eq!(answer["ok"], true, "deleting topic {topic}: {answer}");
            self.created.remove(&object);
            verdicts.insert(format!("deleted/{topic}"), Ok(()));
        }
        verdicts
    }
}

/// Deletes what the session leaves behind should it fail half-way: the tenant's namespace, the Kafka
/// cluster's namespace (with the topics and users in it) and the platform's inventory.
struct Leftovers<'a> {
    kc: &'a Path,
    namespaces: Vec<String>,
    platform: String,
}

impl Drop for Leftovers<'_> {
    fn drop(&mut self) {
        for ns in &self.namespaces {
            let _ = kubectl_raw(self.kc, &["delete", "namespace", ns, "--ignore-not-found", "--wait=false"]);
        }
        let parent = format!("strata-{}", self.platform);
        let _ =
            kubectl_raw(self.kc, &["delete", "configmap,lease", &parent, "-n", "strata-system", "--ignore-not-found"]);
    }
}

// Last in the spec, so removing it moves no other object's `strata.dev/source` line.
const SCRATCH: &str = r#"topic "analytics.scratch" kafka="main" tenant="analytics" partitions=2 replicas=2
"#;

fn spec(platform: &str, tenant_ns: &str, kafka_ns: &str, extra: &[&str]) -> String {
    let mut s = format!(
        r#"platform "{platform}" {{
    cluster context="strata-test"
    inventory namespace="strata-system"
}}
tenant "analytics" namespace="{tenant_ns}" topic-prefix="analytics." {{
    quota cpu=4 memory="8Gi"
}}
kafka "main" namespace="{kafka_ns}" brokers=3 authorization="simple" version="4.1"
topic "analytics.clicks" kafka="main" tenant="analytics" partitions=6 replicas=3 {{
    config "cleanup.policy" "delete"
    config "min.insync.replicas" 2
    config "retention.ms" "7d"
}}
topic "analytics.sessions" kafka="main" tenant="analytics" preset="compacted" partitions=3
kafka-user "analytics-sessionizer" kafka="main" tenant="analytics" authentication="tls" {{
    consumes "analytics.clicks" group="analytics.sessionizer"
    produces "analytics.sessions"
}}
"#
    );
    for e in extra {
        s.push_str(e);
    }
    s
}

fn object<'a>(report: &'a Value, kind: &str, name: &str) -> &'a Value {
    report["objects"]
        .as_array()
        .and_then(|os| os.iter().find(|o| o["kind"] == kind && o["name"] == name))
        .unwrap_or_else(|| panic!("no {kind}/{name} in the report: {report}"))
}

/// A config value as the Topic Operator passes it to Kafka: lists joined by commas, scalars as text.
fn config_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(config_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// What the brokers hold for `topic`: partitions, each partition's replica count, the configs set on it.
fn on_brokers(brokers: &mut Brokers, topic: &str) -> (u64, Vec<u64>, BTreeMap<String, String>) {
    let a = brokers.ask(json!({"op": "describe-topic", "topic": topic}));
    assert_eq!(a["ok"], true, "describeTopics/describeConfigs {topic}: {a}");
    let replicas = a["replicas"].as_array().expect("replicas").iter().filter_map(Value::as_u64).collect();
    let configs = a["configs"]
        .as_object()
        .expect("configs")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    (a["partitions"].as_u64().expect("partitions"), replicas, configs)
}

fn strs(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

#[test]
fn a_kafka_user_applies_waits_and_prunes_with_real_brokers_behind_a_stand_in_operator() {
    let test = "a_kafka_user_applies_waits_and_prunes_with_real_brokers_behind_a_stand_in_operator";
    let Some(kc) = cluster(test) else { return };
    let t0 = Instant::now();
    let platform = unique("kfe2e");
    let tenant_ns = format!("{platform}-analytics");
    // The Kafka cluster's namespace belongs to the Strimzi installation, not to strata: it must exist.
    let kafka_ns = format!("{platform}-kafka");
    let _leftovers =
        Leftovers { kc: &kc, namespaces: vec![tenant_ns.clone(), kafka_ns.clone()], platform: platform.clone() };
    kubectl(&kc, &["create", "namespace", &kafka_ns]);
    let Some(brokers) = Brokers::start(test, 3) else { return };
    let started = t0.elapsed();
    let mut op = StandIn { kc: &kc, namespace: kafka_ns.clone(), cluster: "main", brokers, created: BTreeMap::new() };
    let k = kc.display().to_string();
    let dir = spec_dir(&spec(&platform, &tenant_ns, &kafka_ns, &[SCRATCH]));
    let d = dir.path();
    let before = op.brokers.topics();

    // 1. check, apply.
    let o = strata(d, &["check"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "strata check: {err}");
    let (code, first, err) = run_json(d, &["apply", "--kubeconfig", &k]);
    assert_eq!(code, 0, "strata apply: {err}\n{first}");
    let total = first["objects"].as_array().map_or(0, Vec::len) as u64;
    assert_eq!(count(&first, "created"), total, "a fresh platform is created: {first}");
    for (kind, name) in [
        ("KafkaTopic", "analytics.clicks"),
        ("KafkaTopic", "analytics.sessions"),
        ("KafkaTopic", "analytics.scratch"),
        ("KafkaUser", "analytics-sessionizer"),
    ] {
        assert_eq!(object(&first, kind, name)["action"], "created", "{kind}/{name}: {first}");
    }

    // 2. --wait before any operator acted: no status, so not ready; it times out and says why.
    let (code, waited, err) = run_json(d, &["apply", "--kubeconfig", &k, "--wait", "--timeout", "5s"]);
    assert_ne!(code, 0, "--wait must not call a topic no operator has reconciled ready: {waited}\n{err}");
    let wait = &object(&waited, "KafkaTopic", "analytics.clicks")["wait"];
    assert_eq!(wait["state"], "timed-out", "{wait}\n{err}");
    assert!(wait["detail"].as_str().unwrap_or_default().contains("no status yet"), "{wait}");

    // 3. The stand-in operator acts on the objects as the apiserver holds them.
    let verdicts = op.sync();
    let expected: BTreeSet<String> = strs(&[
        "KafkaTopic/analytics.clicks",
        "KafkaTopic/analytics.scratch",
        "KafkaTopic/analytics.sessions",
        "KafkaUser/analytics-sessionizer",
    ]);
    assert_eq!(verdicts.keys().cloned().collect::<BTreeSet<_>>(), expected, "{verdicts:?}");
    let refused: Vec<String> =
        verdicts.iter().filter_map(|(what, v)| v.as_ref().err().map(|e| format!("{what}: {e}"))).collect();
    assert!(refused.is_empty(), "Kafka refused strata's objects:\n{}", refused.join("\n"));

    // The brokers hold what each applied object says ...
    for o in op.watched("kafkatopics") {
        let topic = topic_name(&o);
        let (partitions, replicas, configs) = on_brokers(&mut op.brokers, &topic);
        assert_eq!(Some(partitions), o["spec"]["partitions"].as_u64(), "{topic}: partitions");
        let want = o["spec"]["replicas"].as_u64().expect("replicas");
        assert!(replicas.iter().all(|r| *r == want), "{topic}: replicas {replicas:?}, the object says {want}");
        let want: BTreeMap<String, String> = o["spec"]["config"]
            .as_object()
            .map(|c| c.iter().map(|(k, v)| (k.clone(), config_text(v))).collect())
            .unwrap_or_default();
        assert_eq!(configs, want, "{topic}: the configs on the brokers are the object's");
    }
    // ... and what the user's spec asked for, written out by hand.
    let (partitions, replicas, configs) = on_brokers(&mut op.brokers, "analytics.clicks");
    assert_eq!((partitions, replicas), (6, vec![3; 6]));
    assert_eq!(configs["cleanup.policy"], "delete");
    assert_eq!(configs["min.insync.replicas"], "2");
    assert_eq!(configs["retention.ms"], (7 * 24 * 3600 * 1000_u64).to_string(), "7d");
    let (partitions, _, configs) = on_brokers(&mut op.brokers, "analytics.sessions");
    assert_eq!(partitions, 3);
    assert_eq!(configs["cleanup.policy"], "compact", "the compacted preset: {configs:?}");
    let acls = op.brokers.ask(json!({"op": "describe-acls", "principal": "User:CN=analytics-sessionizer"}));
    let acls: BTreeSet<String> =
        acls["acls"].as_array().expect("acls").iter().filter_map(|a| a.as_str().map(str::to_string)).collect();
    assert_eq!(
        acls,
        strs(&[
            "ALLOW DESCRIBE TOPIC LITERAL analytics.clicks host=*",
            "ALLOW DESCRIBE TOPIC LITERAL analytics.sessions host=*",
            "ALLOW READ GROUP LITERAL analytics.sessionizer host=*",
            "ALLOW READ TOPIC LITERAL analytics.clicks host=*",
            "ALLOW WRITE TOPIC LITERAL analytics.sessions host=*",
        ]),
        "describeAcls for the TLS user: consume clicks in its group, produce sessions"
    );
    let new_topics: BTreeSet<String> = op.brokers.topics().difference(&before).cloned().collect();
    assert_eq!(new_topics, strs(&["analytics.clicks", "analytics.scratch", "analytics.sessions"]), "exactly these");

    // 4. A deliberately broken object, bypassing strata's check: the brokers refuse it, the stand-in says
    // so in its status, and no topic is created.
    let broken = json!({
        "apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
        "metadata": {"name": "analytics.broken", "namespace": kafka_ns, "labels": {"strimzi.io/cluster": "main"}},
        "spec": {"partitions": 1, "replicas": 1, "config": {"cleanup.policy": "archive"}},
    });
    let manifest = d.join("broken.json");
    std::fs::write(&manifest, broken.to_string()).expect("write the hand-made manifest");
    kubectl(&kc, &["apply", "-f", &manifest.display().to_string()]);
    let verdicts = op.sync();
    let refusal = verdicts.get("KafkaTopic/analytics.broken").expect("the stand-in saw the broken topic");
    let error = refusal.as_ref().expect_err("Kafka must refuse cleanup.policy=archive");
    assert!(error.contains("cleanup.policy") || error.contains("archive"), "Kafka's reason: {error}");
    let status =
        get(&kc, &["kafkatopic", "analytics.broken", "-n", &kafka_ns]).expect("the broken topic")["status"].clone();
    assert_eq!(status["conditions"][0]["status"], "False", "{status}");
    assert!(!op.brokers.topics().contains("analytics.broken"), "the brokers created no topic for it");
    kubectl(&kc, &["delete", "kafkatopic", "analytics.broken", "-n", &kafka_ns]);

    // 5. --wait: every Kafka object is now Ready at its generation; plan shows no changes.
    let (code, waited, err) = run_json(d, &["apply", "--kubeconfig", &k, "--wait", "--timeout", "30s"]);
    assert_eq!(code, 0, "strata apply --wait: {err}\n{waited}");
    assert_eq!(count(&waited, "unchanged"), total, "{waited}");
    assert_eq!(waited["requests"]["writes"], 0, "a re-apply writes nothing: {}", waited["requests"]);
    let ready: BTreeSet<String> = waited["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| !o["wait"].is_null())
        .map(|o| format!("{}/{} {}", o["kind"].as_str().unwrap(), o["name"].as_str().unwrap(), o["wait"]["state"]))
        .collect();
    assert_eq!(
        ready,
        strs(&[
            "KafkaTopic/analytics.clicks \"ready\"",
            "KafkaTopic/analytics.scratch \"ready\"",
            "KafkaTopic/analytics.sessions \"ready\"",
            "KafkaUser/analytics-sessionizer \"ready\"",
        ]),
        "the operator's objects, and only those, are waited for: {waited}"
    );
    let (code, plan, err) = run_json(d, &["plan", "--kubeconfig", &k]);
    assert_eq!(code, 0, "strata plan shows no changes: {err}\n{plan}");

    // 6. The scratch topic leaves the spec: kept without --allow-data-loss, pruned with it, and the
    // stand-in deletes the topic from the brokers.
    write_spec(d, &spec(&platform, &tenant_ns, &kafka_ns, &[]));
    let (code, kept, err) = run_json(d, &["apply", "--kubeconfig", &k, "--prune"]);
    assert_eq!(code, 0, "strata apply --prune: {err}\n{kept}");
    let report = object(&kept, "KafkaTopic", "analytics.scratch");
    assert_eq!(report["action"], "kept", "{kept}");
    let why = report["detail"].as_str().unwrap_or_default();
    assert!(why.contains("--allow-data-loss") && why.contains("topic"), "{why}");
    assert_eq!(count(&kept, "pruned"), 0, "nothing is deleted: {kept}");
    assert!(exists(&kc, &["kafkatopic", "analytics.scratch", "-n", &kafka_ns]), "kept on the cluster");
    assert!(op.sync().is_empty(), "nothing for the operator to do");
    assert!(op.brokers.topics().contains("analytics.scratch"), "the topic stays on the brokers");

    let (code, pruned, err) = run_json(d, &["apply", "--kubeconfig", &k, "--prune", "--allow-data-loss"]);
    assert_eq!(code, 0, "strata apply --prune --allow-data-loss: {err}\n{pruned}");
    let gone = with_action(&pruned, "pruned");
    assert_eq!(gone, strs(&[&format!("KafkaTopic/{kafka_ns}/analytics.scratch")]), "{pruned}");
    let deleted = op.sync();
    assert_eq!(deleted.keys().cloned().collect::<BTreeSet<_>>(), strs(&["deleted/analytics.scratch"]));
    let new_topics: BTreeSet<String> = op.brokers.topics().difference(&before).cloned().collect();
    assert_eq!(new_topics, strs(&["analytics.clicks", "analytics.sessions"]), "the scratch topic is gone");
    let (code, plan, err) = run_json(d, &["plan", "--kubeconfig", &k]);
    assert_eq!(code, 0, "strata plan after the prune shows no changes: {err}\n{plan}");
    eprintln!(
        "kafka e2e: brokers up in {:.1} s, whole session {:.1} s",
        started.as_secs_f64(),
        t0.elapsed().as_secs_f64()
    );
}
