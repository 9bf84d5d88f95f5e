//! The Flink Kubernetes Operator itself, running against the test cluster (`scripts/tools/flink-oracle
//! serve`: `org.apache.flink.kubernetes.operator.FlinkOperator` 1.7.0 from Maven Central, watching this
//! test's namespaces), as the judge of strata's FlinkDeployments, where `tests/flink_operator.rs` runs only
//! its validators offline:
//!
//! - every FlinkDeployment of the bundled platform and of the valid golden cases is applied, in a
//!   namespace of its own carrying its tenant's labels and Pod Security `enforce: restricted`, with its
//!   ServiceAccount: the operator reconciles it without `.status.error`, Flink's own client (inside the
//!   operator) creates the JobManager Deployment and its Services, and the JobManager pods are admitted
//!   under `restricted`, scheduled onto kwok nodes and run;
//! - a FlinkDeployment strata would never emit (a log configuration the operator forbids) gets
//!   `.status.error` from the operator and no JobManager: the test fails when the operator rejects;
//! - differential: for every Flink rule strata checks (`support::flink::rules`), the emitted object with
//!   the rule's violation written in is refused by the live operator (`.status.error`, no JobManager),
//!   unless the rule is one of `KNOWN_DIFFERENCES`, which the operator must then accept (so the list
//!   cannot go stale).
//!
//! Operator 1.7.0 knows Flink up to 1.19 (its `FlinkVersion`; an object with `v1_20` cannot even be read
//! by its informer), so newer jobs are applied as the same job on Flink 1.19 (`as_operator_1_7_reads_it`).
//! No JobManager process runs on a kwok node, so the operator never reaches the job's REST API: the
//! deployment stays `DEPLOYED_NOT_READY`/`DEPLOYING` and no job runs. What this test asserts is what the
//! operator does before that: admission, validation, the JobManager's Kubernetes objects and pods.
//!
//! Needs the test cluster and what the operator needs (java, mvn). Under `CI=true` a missing one fails.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use support::flink::*;
use support::*;

const FLINK_DEPLOYMENTS: &str = "flinkdeployments.flink.apache.org";

/// Cleans up the test's namespaces should it fail half-way (the operator's teardown has released its
/// finalizers by then, as the operator is dropped first).
struct Namespaces<'a> {
    kc: &'a Path,
    names: Vec<String>,
}

impl Drop for Namespaces<'_> {
    fn drop(&mut self) {
        for ns in &self.names {
            let _ = kubectl_raw(self.kc, &["delete", "namespace", ns, "--ignore-not-found", "--wait=false"]);
            let classes = kubectl(self.kc, &["get", "priorityclasses", "-o", "name"]);
            for pc in classes.lines().filter(|l| l.starts_with(&format!("priorityclass.scheduling.k8s.io/{ns}-"))) {
                let _ = kubectl_raw(self.kc, &["delete", pc, "--ignore-not-found"]);
            }
        }
    }
}

fn apply(kc: &Path, objects: &[Value]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("objects.json");
    let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
    std::fs::write(&file, serde_json::to_vec(&list).unwrap()).unwrap();
    let out = kubectl_raw(kc, &["apply", "--server-side", "--force-conflicts", "-f", file.to_str().unwrap()]);
    assert!(out.status.success(), "kubectl apply failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// The namespace an emitted object is tried in: unique to this run, with the labels strata gives the
/// tenant's namespace, and Pod Security `restricted` enforced whatever the tenant asks for.
fn namespace_for(name: &str, tenant_labels: Option<&Value>) -> Value {
    let mut labels = tenant_labels.cloned().unwrap_or_else(|| json!({}));
    labels["pod-security.kubernetes.io/enforce"] = json!("restricted");
    labels["kubernetes.io/metadata.name"] = json!(name);
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}})
}

fn service_account(ns: &str, name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns}})
}

/// One FlinkDeployment strata emits, with where it comes from, the namespace it is tried in, and the
/// PriorityClasses its case emits (renamed for this run: they are cluster-wide, and other tests apply
/// the same names).
struct Emitted {
    what: String,
    object: Value,
    namespace: Value,
    priority_classes: Vec<Value>,
}

/// Renames every `priorityClassName` in `v` that `rename` knows.
fn rename_priority_classes(v: &mut Value, rename: &BTreeMap<String, String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                match (k.as_str(), x.as_str().and_then(|n| rename.get(n))) {
                    ("priorityClassName", Some(new)) => *x = json!(new),
                    _ => rename_priority_classes(x, rename),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|x| rename_priority_classes(x, rename)),
        _ => {}
    }
}

fn emitted(run: &str) -> Vec<Emitted> {
    let mut out = Vec::new();
    for (case, spec) in valid_cases() {
        for c in strata::compile_path_envs(&spec) {
            let set = c.manifests.unwrap_or_else(|| panic!("{} does not compile", spec.display()));
            let objects: Vec<Value> = set.items.into_iter().map(|m| m.object).collect();
            for o in objects.iter().filter(|o| o["kind"] == "FlinkDeployment") {
                let ns = o["metadata"]["namespace"].as_str().unwrap_or_default();
                let tenant = objects.iter().find(|n| n["kind"] == "Namespace" && n["metadata"]["name"] == ns);
                let name = format!("{run}-{}", out.len());
                let mut object = as_operator_1_7_reads_it(o.clone());
                object["metadata"]["namespace"] = json!(name);
                let mut rename = BTreeMap::new();
                let mut priority_classes = Vec::new();
                for pc in objects.iter().filter(|p| p["kind"] == "PriorityClass") {
                    let old = pc["metadata"]["name"].as_str().unwrap_or_default().to_string();
                    let new = format!("{name}-{old}");
                    let mut pc = pc.clone();
                    pc["metadata"] = json!({"name": new});
                    priority_classes.push(pc);
                    rename.insert(old, new);
                }
                rename_priority_classes(&mut object, &rename);
                out.push(Emitted {
                    what: format!("{case}: FlinkDeployment {ns}/{}", o["metadata"]["name"].as_str().unwrap_or("?")),
                    object,
                    namespace: namespace_for(&name, tenant.map(|t| &t["metadata"]["labels"])),
                    priority_classes,
                });
            }
        }
    }
    out
}

/// The operator's answer on one object: `Err` with `.status.error` when it refused it, `Ok` with the
/// status once the operator reconciled it without an error (a JobManager deployment status is set).
fn answer(kc: &Path, ns: &str, name: &str) -> Option<Result<Value, String>> {
    let o = get(kc, &[FLINK_DEPLOYMENTS, name, "-n", ns])?;
    let status = &o["status"];
    match status["error"].as_str().filter(|e| !e.is_empty()) {
        Some(e) => Some(Err(e.to_string())),
        None if status["jobManagerDeploymentStatus"].is_string()
            && status["jobManagerDeploymentStatus"] != "MISSING" =>
        {
            Some(Ok(status.clone()))
        }
        // Operator 1.7.0 refuses a Flink version it does not support before reconciling anything: only an
        // `UnsupportedFlinkVersion` Warning event says so, no status at all.
        None => {
            let events = kubectl(
                kc,
                &[
                    "get",
                    "events",
                    "-n",
                    ns,
                    "--field-selector",
                    &format!("involvedObject.name={name},reason=UnsupportedFlinkVersion"),
                    "-o",
                    "jsonpath={range .items[*]}{.message}{\"\\n\"}{end}",
                ],
            );
            events.lines().next().map(|m| Err(format!("UnsupportedFlinkVersion event: {m}")))
        }
    }
}

/// Violations the live operator refuses although its validator (and so `tests/flink_operator.rs`) lets
/// them through: Flink's own client fails the deployment, and the operator writes that into
/// `.status.error`. Each is in `KNOWN_DIFFERENCES` for the offline test.
const REFUSED_ONLY_LIVE: &[(&str, &str)] = &[
    // "TaskManager memory configuration failed: ..." (Flink's TaskExecutorProcessUtils, at deployment).
    ("TM:    taskmanager size=\"s\" slots=0", "Flink's client refuses the TaskManager configuration"),
    // "Should only have one jar" (Flink's application-mode deployer, given an empty jarURI).
    ("JAR:", "Flink's client refuses an empty jar list"),
];

fn status_of(kc: &Path, ns: &str, name: &str) -> String {
    get(kc, &[FLINK_DEPLOYMENTS, name, "-n", ns]).map_or_else(|| "no such object".into(), |o| o["status"].to_string())
}

/// The JobManager that Flink's client inside the operator creates for `name`: its Deployment (owned by
/// the FlinkDeployment) with every replica's pod running on a kwok node, and its REST Service.
fn job_manager_runs(kc: &Path, ns: &str, name: &str, uid: &str, last: &mut String) -> Option<()> {
    let Some(deployment) = get(kc, &["deployment", name, "-n", ns]) else {
        *last = "no JobManager Deployment yet".into();
        return None;
    };
    let owned = deployment["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|r| r.iter().any(|r| r["kind"] == "FlinkDeployment" && r["uid"] == uid));
    assert!(owned, "{ns}/{name}: the JobManager Deployment is not owned by the FlinkDeployment: {deployment}");
    let want = deployment["spec"]["replicas"].as_u64().unwrap_or(1);
    let pods = kubectl_json(kc, &["get", "pods", "-n", ns, "-l", &format!("app={name},component=jobmanager")]);
    let pods = pods["items"].as_array().cloned().unwrap_or_default();
    let running: Vec<&Value> = pods
        .iter()
        .filter(|p| p["status"]["phase"] == "Running" && p["spec"]["nodeName"].as_str().is_some_and(|n| !n.is_empty()))
        .collect();
    let events = kubectl(
        kc,
        &["get", "events", "-n", ns, "-o", "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}"],
    );
    *last = format!(
        "{} of {want} JobManager pods running; pods: {:?}; Deployment status: {}; events:\n{events}",
        running.len(),
        pods.iter().map(|p| format!("{} {}", p["metadata"]["name"], p["status"]["phase"])).collect::<Vec<_>>(),
        deployment["status"]
    );
    if (running.len() as u64) < want {
        return None;
    }
    for p in running {
        let node = p["spec"]["nodeName"].as_str().unwrap();
        let node = get(kc, &["node", node]).expect("the pod's node");
        assert_eq!(node["metadata"]["annotations"]["kwok.x-k8s.io/node"], "fake", "{ns}: not a kwok node");
    }
    get(kc, &["service", &format!("{name}-rest"), "-n", ns])?;
    Some(())
}

fn delete_and_wait_gone(kc: &Path, op: &Operator, ns: &str, name: &str) {
    let _ = kubectl_raw(kc, &["delete", FLINK_DEPLOYMENTS, name, "-n", ns, "--wait=false"]);
    eventually(&format!("{ns}/{name} and its JobManager to be deleted"), Duration::from_secs(90), |last| {
        let fd = get(kc, &[FLINK_DEPLOYMENTS, name, "-n", ns]);
        let jm = get(kc, &["deployment", name, "-n", ns]);
        *last = format!("FlinkDeployment present: {}, JobManager Deployment present: {}", fd.is_some(), jm.is_some());
        (fd.is_none() && jm.is_none()).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", op.log_tail()));
}

/// How many emitted objects run at once: the kwok nodes' capacity is shared with the other tests.
const BATCH: usize = 4;

#[test]
fn the_live_flink_operator_runs_what_strata_emits_and_refuses_what_it_must() {
    let test = "the_live_flink_operator_runs_what_strata_emits_and_refuses_what_it_must";
    let Some(kc) = cluster(test) else { return };
    let run = unique("flive");
    let emitted = emitted(&run);
    assert!(emitted.len() >= 8, "too few FlinkDeployments to judge: {}", emitted.len());
    let broken_ns = format!("{run}-broken");
    let rules_ns = format!("{run}-rules");
    let mut all: Vec<String> =
        emitted.iter().map(|e| e.object["metadata"]["namespace"].as_str().unwrap().into()).collect();
    all.extend([broken_ns.clone(), rules_ns.clone()]);
    let _namespaces = Namespaces { kc: &kc, names: all.clone() };
    let watched: Vec<&str> = all.iter().map(String::as_str).collect();
    let Some(op) = Operator::start(test, &kc, &watched) else { return };
    let with_log = |e: String| format!("{e}\n\n{}", op.log_tail());

    // 1. Everything strata emits: reconciled without an error, its JobManager running under `restricted`.
    for batch in emitted.chunks(BATCH) {
        for e in batch {
            let ns = e.object["metadata"]["namespace"].as_str().unwrap();
            let sa = e.object["spec"]["serviceAccount"].as_str().unwrap_or("default");
            let mut objects = e.priority_classes.clone();
            objects.extend([e.namespace.clone(), service_account(ns, sa), e.object.clone()]);
            apply(&kc, &objects);
        }
        for e in batch {
            let ns = e.object["metadata"]["namespace"].as_str().unwrap();
            let name = e.object["metadata"]["name"].as_str().unwrap();
            let answered =
                eventually(&format!("the operator's answer on {}", e.what), Duration::from_secs(120), |last| {
                    *last = status_of(&kc, ns, name);
                    answer(&kc, ns, name)
                })
                .unwrap_or_else(|m| panic!("{}", with_log(m)));
            if let Err(error) = answered {
                panic!("{}", with_log(format!("the operator refused {}: {error}", e.what)));
            }
            let uid = get(&kc, &[FLINK_DEPLOYMENTS, name, "-n", ns]).expect("object")["metadata"]["uid"]
                .as_str()
                .unwrap()
                .to_string();
            eventually(&format!("the JobManager of {} to run", e.what), Duration::from_secs(120), |last| {
                job_manager_runs(&kc, ns, name, &uid, last)
            })
            .unwrap_or_else(|m| panic!("{}", with_log(m)));
            // Still no error once the JobManager runs (the operator's observer has looked at it).
            let status = get(&kc, &[FLINK_DEPLOYMENTS, name, "-n", ns]).expect("object")["status"].clone();
            assert!(status["error"].as_str().is_none_or(str::is_empty), "{}: {status}", e.what);
            eprintln!("{}: accepted, JobManager running ({})", e.what, status["jobManagerDeploymentStatus"]);
        }
        for e in batch {
            let ns = e.object["metadata"]["namespace"].as_str().unwrap();
            delete_and_wait_gone(&kc, &op, ns, e.object["metadata"]["name"].as_str().unwrap());
            for pc in &e.priority_classes {
                let _ = kubectl_raw(
                    &kc,
                    &["delete", "priorityclass", pc["metadata"]["name"].as_str().unwrap(), "--ignore-not-found"],
                );
            }
        }
    }

    // 2. A deliberately broken object: refused with `.status.error`, and no JobManager.
    let mut broken = compiled(&job_spec(""));
    broken["metadata"]["name"] = json!("broken-log-config");
    broken["metadata"]["namespace"] = json!(broken_ns);
    broken["spec"]["logConfiguration"] = json!({"log4j.properties": "rootLogger.level = INFO"});
    let sa = broken["spec"]["serviceAccount"].as_str().unwrap_or("default").to_string();
    apply(&kc, &[namespace_for(&broken_ns, None), service_account(&broken_ns, &sa), broken]);
    let answered = eventually("the operator's answer on the broken object", Duration::from_secs(120), |last| {
        *last = status_of(&kc, &broken_ns, "broken-log-config");
        answer(&kc, &broken_ns, "broken-log-config")
    })
    .unwrap_or_else(|m| panic!("{}", with_log(m)));
    let error = answered.expect_err("the operator accepted a FlinkDeployment with a log4j.properties it must refuse");
    assert!(error.contains("log4j.properties") || error.contains("log"), "{error}");
    assert!(
        get(&kc, &["deployment", "broken-log-config", "-n", &broken_ns]).is_none(),
        "a refused object got a JobManager"
    );

    // 3. Differential: each rule's violation, written into strata's own object.
    let sa = compiled(&job_spec(""))["spec"]["serviceAccount"].as_str().unwrap_or("default").to_string();
    apply(&kc, &[namespace_for(&rules_ns, None), service_account(&rules_ns, &sa)]);
    let mut objects = BTreeMap::new();
    for (i, r) in rules().iter().enumerate() {
        let errors = strata_errors(&job_spec(r.invalid));
        assert!(
            errors.iter().any(|e| e.starts_with(&format!("{}:", r.code))),
            "{} ({:?}): strata does not refuse it: {errors:?}",
            r.code,
            r.invalid
        );
        let mut o = compiled(&job_spec(r.valid));
        o["metadata"]["name"] = json!(format!("rule-{i}"));
        o["metadata"]["namespace"] = json!(rules_ns);
        (r.mutate)(&mut o);
        let name = o["metadata"]["name"].as_str().unwrap().to_string();
        objects.insert(i, (name, o));
    }
    apply(&kc, &objects.values().map(|(_, o)| o.clone()).collect::<Vec<_>>());
    let mut disagreements = Vec::new();
    for (i, r) in rules().iter().enumerate() {
        let name = &objects[&i].0;
        let answered = eventually(
            &format!("the operator's answer on {} ({:?})", r.code, r.invalid),
            Duration::from_secs(120),
            |last| {
                *last = status_of(&kc, &rules_ns, name);
                answer(&kc, &rules_ns, name)
            },
        )
        .unwrap_or_else(|m| panic!("{}", with_log(m)));
        let known = KNOWN_DIFFERENCES.iter().any(|(c, v, _)| *c == r.code && *v == r.invalid)
            && !REFUSED_ONLY_LIVE.iter().any(|(v, _)| *v == r.invalid);
        eprintln!("{} ({:?}): live operator: {}", r.code, r.invalid, answered.as_ref().err().map_or("accepts", |e| e));
        match (answered, known) {
            (Err(_), false) | (Ok(_), true) => {}
            (Ok(_), false) => {
                disagreements.push(format!("{} ({:?}): strata refuses, the live operator accepts", r.code, r.invalid))
            }
            (Err(e), true) => disagreements.push(format!(
                "{} ({:?}): listed as a known difference, but the live operator refuses it too ({e})",
                r.code, r.invalid
            )),
        }
    }
    assert!(
        disagreements.is_empty(),
        "{}",
        with_log(format!("strata and the live operator disagree:\n{}", disagreements.join("\n")))
    );
    for (name, _) in objects.values() {
        let _ = kubectl_raw(&kc, &["delete", FLINK_DEPLOYMENTS, name, "-n", &rules_ns, "--wait=false"]);
    }
    for (name, _) in objects.values() {
        delete_and_wait_gone(&kc, &op, &rules_ns, name);
    }
    delete_and_wait_gone(&kc, &op, &broken_ns, "broken-log-config");
    drop(op);
}
