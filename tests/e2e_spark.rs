//! One user's session with Spark, end to end, against the test cluster with the real kubeflow Spark
//! operator v2 serving (`scripts/tools/spark-operator serve`: its webhooks and its controller, which runs
//! PyPI pyspark's real `spark-submit`). Every step is the `strata` binary as a user runs it:
//!
//! 1. `strata check`, then `strata apply` of a small spec: one tenant (Pod Security `restricted`, a quota)
//!    with a batch job (a `local://` jar inside the image, so spark-submit needs no network) and a nightly
//!    schedule.
//! 2. `strata apply --wait` at once: it writes nothing and waits while the operator acts (its webhook
//!    mutates the application, its controller runs spark-submit, Spark creates the driver pod and its
//!    Service, the pod webhook gives the pod strata's security context, Pod Security admits it under
//!    `restricted`, the scheduler puts it on a kwok node, where it runs), then reports both objects ready:
//!    the application `RUNNING` (the state the operator sets once the driver pod runs), the schedule
//!    `Scheduled`. The test then checks each of those facts on the driver pod itself.
//! 3. `strata plan` shows no changes.
//! 4. The batch job leaves the spec; `strata apply --prune` deletes its SparkApplication (not data-bearing
//!    in the domain registry, so no `--allow-data-loss`), and the garbage collector removes what Spark
//!    created: the driver pod (owned by the application) and its Service and ConfigMaps (owned by the pod).
//! 5. The schedule leaves the spec too; `apply --prune` deletes it and the Spark RBAC, and what is left of
//!    the platform on the cluster is exactly the tenant.
//!
//! kwok nodes run no containers: the driver "runs" without starting executors, so the application stays
//! `RUNNING` and never reaches `COMPLETED`; `--wait` accepts `RUNNING` (see `reconcile::wait`).
//!
//! Needs the test cluster (`STRATA_TEST_KUBECONFIG`) and what `scripts/tools/spark-operator` needs (Go,
//! java, python3). Under `CI=true` a missing cluster or tool fails the test; elsewhere it prints `SKIPPED`.

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::*;

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The running operator. Dropping it closes the script's stdin and waits for its teardown (webhook
/// configurations deleted, operator processes stopped), so the test never leaves it running, pass or fail.
struct Operator {
    /// `key=value` a namespace needs for the webhooks, and for the controller.
    webhook_label: (String, String),
    controller_label: (String, String),
    /// The script's stderr, an unlinked file read back for failure messages.
    log: std::fs::File,
    /// The script's run folder, with the controller's log (spark-submit's output among it).
    dir: PathBuf,
    child: Child,
}

impl Operator {
    // The script is waited for in `Drop` once it is ready; clippy sees only the paths that return early.
    #[allow(clippy::zombie_processes)]
    fn start(test: &str, kc: &Path) -> Option<Operator> {
        let path = std::env::temp_dir().join(format!("strata-e2e-spark-{}.log", std::process::id()));
        let stderr = std::fs::File::create(&path).expect("operator log");
        let log = std::fs::File::open(&path).expect("operator log");
        let _ = std::fs::remove_file(&path);
        let mut child = Command::new(repo().join("scripts/tools/spark-operator"))
            .arg("serve")
            .arg(kc)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("scripts/tools/spark-operator runs");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        loop {
            line.clear();
            let n = lines.read_line(&mut line).expect("read the operator's stdout");
            if n == 0 {
                let status = child.wait().expect("wait");
                let text = read_all(&log);
                if status.code() == Some(3) && !ci() {
                    eprintln!("SKIPPED {test}: the Spark operator cannot be built here:\n{text}");
                    return None;
                }
                panic!("scripts/tools/spark-operator serve failed ({status}):\n{text}");
            }
            if let Some(rest) = line.trim().strip_prefix("READY ") {
                let field = |name: &str| {
                    let kv = rest
                        .split_whitespace()
                        .find_map(|f| f.strip_prefix(&format!("{name}=")))
                        .unwrap_or_else(|| panic!("no {name} in {rest}"));
                    let (k, v) = kv.split_once('=').unwrap_or_else(|| panic!("not a label: {kv}"));
                    (k.to_string(), v.to_string())
                };
                return Some(Operator {
                    webhook_label: field("webhook-label"),
                    controller_label: field("controller-label"),
                    log,
                    dir: PathBuf::from(rest.split_whitespace().find_map(|f| f.strip_prefix("dir=")).unwrap_or("")),
                    child,
                });
            }
        }
    }

    fn log_tail(&self) -> String {
        let tail = |text: &str| {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(30)..].join("\n")
        };
        let controller = std::fs::read_to_string(self.dir.join("controller.log")).unwrap_or_default();
        format!("{}\n\ncontroller.log:\n{}", tail(&read_all(&self.log)), tail(&controller))
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        // The teardown takes a few seconds (it stops each process with SIGTERM, SIGKILL after 15 s).
        stop_after_stdin_closed(&mut self.child, "scripts/tools/spark-operator");
    }
}

/// Deletes what the session leaves behind should it fail half-way (the tenant's namespace, with whatever
/// Spark created in it, and the platform's inventory), and what it keeps when it passes (the tenant).
struct Leftovers<'a> {
    kc: &'a Path,
    namespace: String,
    platform: String,
}

impl Drop for Leftovers<'_> {
    fn drop(&mut self) {
        let _ = kubectl_raw(self.kc, &["delete", "namespace", &self.namespace, "--ignore-not-found", "--wait=false"]);
        let parent = format!("strata-{}", self.platform);
        let _ =
            kubectl_raw(self.kc, &["delete", "configmap,lease", &parent, "-n", "strata-system", "--ignore-not-found"]);
    }
}

const NIGHTLY: &str = r#"spark-job "pi-nightly" tenant="analytics" {
    image "apache/spark:3.5.1" spark-version="3.5.1"
    main "local:///opt/spark/examples/jars/spark-examples_2.12-3.5.1.jar" class="org.apache.spark.examples.SparkPi"
    driver cores=1 memory="1g"
    executors 1 cores=1 memory="1g"
    schedule "0 3 * * *" timezone="UTC"
}
"#;

// Last in the file, so removing it moves no other object's `strata.dev/source` line.
const BATCH: &str = r#"spark-job "pi" tenant="analytics" {
    image "apache/spark:3.5.1" spark-version="3.5.1"
    main "local:///opt/spark/examples/jars/spark-examples_2.12-3.5.1.jar" class="org.apache.spark.examples.SparkPi"
    args "100"
    driver cores=1 memory="1g"
    executors 1 cores=1 memory="1g"
    security "restricted"
}
"#;

/// The user's spec: the tenant, then `jobs`. The tenant's labels are the operator's namespace selectors
/// (a real installation selects its job namespaces the same way, by `spark.jobNamespaces` or a label);
/// the `network` egress rule is what `strata::spark::apiserver-egress` asks a Spark tenant for.
fn spec(platform: &str, namespace: &str, op: &Operator, jobs: &[&str]) -> String {
    let (wk, wv) = &op.webhook_label;
    let (ck, cv) = &op.controller_label;
    let mut s = format!(
        r#"platform "{platform}" {{
    cluster context="strata-test"
    inventory namespace="strata-system"
}}
tenant "analytics" namespace="{namespace}" pod-security="restricted" {{
    quota cpu=8 memory="16Gi" pods=10
    network "isolated" {{
        egress 443 cidr="10.0.0.0/16"
    }}
    label "{wk}" "{wv}"
    label "{ck}" "{cv}"
}}
"#
    );
    for j in jobs {
        s.push_str(j);
    }
    s
}

/// At most 3000 characters of `s` (spark-submit's whole output can be in an application's status).
fn truncated(s: &str) -> String {
    s.char_indices().nth(3000).map_or_else(|| s.to_string(), |(i, _)| format!("{}...", &s[..i]))
}

/// The batch job as the operator and Spark left it, for failure messages.
fn spark_state(kc: &Path, ns: &str) -> String {
    let app = get(kc, &[SPARK_APPS, "pi", "-n", ns]).map_or(Value::Null, |a| a["status"].clone());
    let pod = get(kc, &["pod", "pi-driver", "-n", ns]).map_or(Value::Null, |p| p["status"].clone());
    let status =
        if app.is_null() { "no status: has the operator's controller seen it?".into() } else { app.to_string() };
    format!("the SparkApplication's status: {}\nthe driver pod's status: {pod}", truncated(&status))
}

const SPARK_APPS: &str = "sparkapplications.sparkoperator.k8s.io";
const SPARK_SCHEDULES: &str = "scheduledsparkapplications.sparkoperator.k8s.io";

#[test]
fn a_spark_user_applies_waits_plans_and_prunes_with_the_operator_in_the_loop() {
    let test = "a_spark_user_applies_waits_plans_and_prunes_with_the_operator_in_the_loop";
    let Some(kc) = cluster(test) else { return };
    let t0 = Instant::now();
    let Some(op) = Operator::start(test, &kc) else { return };
    let started = t0.elapsed();
    let platform = unique("spe2e");
    let ns = format!("{platform}-analytics");
    let _leftovers = Leftovers { kc: &kc, namespace: ns.clone(), platform: platform.clone() };
    let k = kc.display().to_string();
    let dir = spec_dir(&spec(&platform, &ns, &op, &[NIGHTLY, BATCH]));
    let d = dir.path();
    let with_log = |e: String| format!("{e}\n\noperator log:\n{}", op.log_tail());

    // 1. check, apply.
    let o = strata(d, &["check"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "strata check: {err}");
    assert!(!err.contains("warning"), "the session's spec is clean: {err}");
    let (code, first, err) = run_json(d, &["apply", "--kubeconfig", &k]);
    assert_eq!(code, 0, "strata apply: {err}\n{first}");
    let total = first["objects"].as_array().map_or(0, Vec::len) as u64;
    assert_eq!(count(&first, "created"), total, "a fresh platform is created: {first}");
    for kind in ["Namespace", "ResourceQuota", "SparkApplication", "ScheduledSparkApplication"] {
        assert!(
            first["objects"].as_array().unwrap().iter().any(|o| o["kind"] == kind),
            "strata applied no {kind}: {first}"
        );
    }

    // 2. apply --wait, right away: nothing to write, and it waits while the operator submits the job
    // and Spark's driver pod starts, until the application is RUNNING and the schedule Scheduled.
    let t_wait = Instant::now();
    let (code, waited, err) = run_json(d, &["apply", "--kubeconfig", &k, "--wait", "--timeout", "90s"]);
    let waited_s = t_wait.elapsed().as_secs_f64();
    let outcomes: Vec<String> = (waited["objects"].as_array().into_iter().flatten())
        .filter(|o| !o["wait"].is_null())
        .map(|o| truncated(&format!("{}/{}: {}", o["kind"], o["name"], o["wait"])))
        .collect();
    let why = || with_log(format!("{err}\nwait outcomes: {outcomes:#?}\n{}", spark_state(&kc, &ns)));
    assert_eq!(code, 0, "strata apply --wait: {}", why());
    assert_eq!(count(&waited, "unchanged"), total, "{waited}");
    assert_eq!(waited["requests"]["writes"], 0, "a re-apply writes nothing: {}", waited["requests"]);
    let wait_of = |kind: &str, name: &str| {
        let o = waited["objects"].as_array().unwrap().iter().find(|o| o["kind"] == kind && o["name"] == name);
        o.map(|o| o["wait"].clone()).unwrap_or(Value::Null)
    };
    let ready = |state: &str| serde_json::json!({"state": "ready", "detail": state});
    assert_eq!(wait_of("SparkApplication", "pi"), ready("RUNNING"), "{}", why());
    assert_eq!(wait_of("ScheduledSparkApplication", "pi-nightly"), ready("Scheduled"), "{}", why());
    let waited_for = waited["objects"].as_array().unwrap().iter().filter(|o| !o["wait"].is_null()).count();
    assert_eq!(waited_for, 2, "only the operator's objects are waited for: {waited}");

    // What RUNNING stands for: the operator sets it when Spark's driver pod runs. The pod was made by Spark
    // (its labels and container) for this application (the operator's owner reference) ...
    let app = get(&kc, &[SPARK_APPS, "pi", "-n", &ns]).expect("the SparkApplication");
    let pod = get(&kc, &["pod", "pi-driver", "-n", &ns]).unwrap_or_else(|| panic!("no driver pod: {}", why()));
    assert_eq!(pod["status"]["phase"], "Running", "{}", pod["status"]);
    let labels = &pod["metadata"]["labels"];
    assert_eq!(labels["spark-role"], "driver", "{labels}");
    assert_eq!(labels["spark-app-selector"], app["status"]["sparkApplicationId"], "{labels}");
    assert_eq!(labels["sparkoperator.k8s.io/launched-by-spark-operator"], "true", "{labels}");
    assert_eq!(pod["spec"]["containers"][0]["name"], "spark-kubernetes-driver");
    let app_uid = app["metadata"]["uid"].as_str().expect("uid");
    assert!(owned_by(&pod, "SparkApplication", app_uid), "{}", pod["metadata"]["ownerReferences"]);
    // ... admitted under `restricted` with strata's security context, which only the operator's pod
    // webhook can have given it (Spark writes none) ...
    let namespace = get(&kc, &["namespace", &ns]).expect("the tenant's namespace");
    assert_eq!(namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"], "restricted");
    assert_eq!(pod["spec"]["securityContext"], app["spec"]["driver"]["podSecurityContext"]);
    assert_eq!(pod["spec"]["containers"][0]["securityContext"], app["spec"]["driver"]["securityContext"]);
    assert_eq!(pod["spec"]["securityContext"]["runAsNonRoot"], true, "{}", pod["spec"]["securityContext"]);
    // ... and scheduled onto a fake node. Spark made its Service too, owned by the pod.
    let node_name = pod["spec"]["nodeName"].as_str().expect("the driver pod is scheduled");
    let node = get(&kc, &["node", node_name]).expect("its node");
    assert_eq!(node["metadata"]["annotations"]["kwok.x-k8s.io/node"], "fake", "{node_name} is no kwok node");
    let services = kubectl_json(&kc, &["get", "services", "-n", &ns]);
    let pod_uid = pod["metadata"]["uid"].as_str().expect("uid");
    let driver_svc = services["items"].as_array().unwrap().iter().filter(|s| owned_by(s, "Pod", pod_uid)).count();
    assert_eq!(driver_svc, 1, "Spark's driver Service, owned by the driver pod: {:?}", names(&services));

    // 3. plan: no changes, nothing written.
    let (code, plan, err) = run_json(d, &["plan", "--kubeconfig", &k]);
    assert_eq!(code, 0, "strata plan right after apply shows no changes: {err}\n{plan}");
    assert_eq!(count(&plan, "unchanged"), total, "{plan}");
    assert_eq!(plan["requests"]["writes"], 0, "{}", plan["requests"]);

    // 4. The batch job leaves the spec: its SparkApplication is pruned, Spark's objects are collected.
    write_spec(d, &spec(&platform, &ns, &op, &[NIGHTLY]));
    let (code, pruned, err) = run_json(d, &["apply", "--kubeconfig", &k, "--prune"]);
    assert_eq!(code, 0, "strata apply --prune: {err}\n{pruned}");
    assert_eq!(with_action(&pruned, "pruned"), BTreeSet::from([format!("SparkApplication/{ns}/pi")]), "{pruned}");
    assert_eq!(count(&pruned, "kept"), 0, "a SparkApplication is not data-bearing: {pruned}");
    assert_eq!(count(&pruned, "failed"), 0, "{pruned}");
    let spark_objects = |last: &mut String| {
        let pods = names(&kubectl_json(&kc, &["get", "pods", "-n", &ns]));
        let services = names(&kubectl_json(&kc, &["get", "services", "-n", &ns]));
        let config: Vec<String> = names(&kubectl_json(&kc, &["get", "configmaps", "-n", &ns]))
            .into_iter()
            .filter(|c| c != "kube-root-ca.crt")
            .collect();
        let app = get(&kc, &[SPARK_APPS, "pi", "-n", &ns]).map(|_| "the SparkApplication".to_string());
        let left: Vec<String> = pods.into_iter().chain(services).chain(config).chain(app).collect();
        *last = format!("{left:?}");
        left.is_empty().then_some(())
    };
    eventually("the driver pod, its Service and ConfigMaps to be collected", Duration::from_secs(60), spark_objects)
        .unwrap_or_else(|e| panic!("{}", with_log(e)));
    assert!(get(&kc, &[SPARK_SCHEDULES, "pi-nightly", "-n", &ns]).is_some(), "the schedule stays");

    // 5. The schedule leaves too: the Spark RBAC goes with it, and the tenant is all that is left.
    write_spec(d, &spec(&platform, &ns, &op, &[]));
    let (code, last, err) = run_json(d, &["apply", "--kubeconfig", &k, "--prune"]);
    assert_eq!(code, 0, "strata apply --prune: {err}\n{last}");
    let gone = with_action(&last, "pruned");
    assert!(gone.contains(&format!("ScheduledSparkApplication/{ns}/pi-nightly")), "{gone:?}");
    assert!(gone.contains(&format!("ServiceAccount/{ns}/spark-driver")), "{gone:?}");
    assert_eq!(count(&last, "kept"), 0, "{last}");
    let tenant: BTreeSet<String> = actions(&last).into_iter().filter(|(_, a)| a != "pruned").map(|(k, _)| k).collect();
    assert!(tenant.contains(&format!("Namespace/{ns}")) && tenant.iter().all(|k| !k.contains("Spark")), "{tenant:?}");
    // On the cluster: every object carrying the platform's ApplySet label, of every kind strata applied
    // and every kind Spark created (the operator copies the application's labels onto the driver pod and
    // its Service), is one of the tenant's.
    let id = strata::manifest::ApplySetRef::for_platform(&platform, "strata-system").id;
    let kinds = format!(
        "namespaces,resourcequotas,limitranges,networkpolicies,serviceaccounts,roles,rolebindings,{SPARK_APPS},\
         {SPARK_SCHEDULES},pods,services,configmaps"
    );
    let live = kubectl(
        &kc,
        &[
            "get",
            &kinds,
            "-A",
            "-l",
            &format!("applyset.kubernetes.io/part-of={id}"),
            "-o",
            "jsonpath={range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name}{\"\\n\"}{end}",
        ],
    );
    let live: BTreeSet<String> = live.lines().map(|l| l.replace("Namespace//", "Namespace/")).collect();
    assert_eq!(live, tenant, "what is left of the platform on the cluster");
    let (code, plan, err) = run_json(d, &["plan", "--kubeconfig", &k]);
    assert_eq!(code, 0, "strata plan after the prunes shows no changes: {err}\n{plan}");
    eprintln!(
        "spark e2e: operator up in {:.1} s, apply --wait waited {waited_s:.1} s for the driver, whole session {:.1} s",
        started.as_secs_f64(),
        t0.elapsed().as_secs_f64()
    );
}
