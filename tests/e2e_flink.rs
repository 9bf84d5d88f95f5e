//! One user's session with Flink, end to end, against the test cluster with the real Flink Kubernetes
//! Operator reconciling (`scripts/tools/flink-oracle serve`: operator 1.7.0 from Maven Central, watching the
//! tenant's namespace). Every step is the `strata` binary as a user runs it:
//!
//! 1. `strata check`, then `strata apply` of a small spec: one tenant (Pod Security `restricted`, a quota)
//!    with one streaming job.
//! 2. The operator acts: it validates the FlinkDeployment, adds its finalizer, and Flink's own client
//!    (inside the operator) creates the JobManager Deployment and its Services; the JobManager pod is
//!    admitted under `restricted`, scheduled onto a kwok node, and runs.
//! 3. `strata apply --wait` reports what is true: kwok runs no JobManager process, so the operator never
//!    reaches the job's REST API, the deployment never becomes ready and no job runs. `--wait` does not
//!    call that ready (the Flink rule wants lifecycle `STABLE` and a running job, `reconcile::wait`): it
//!    times out, naming the state the operator reports (`lifecycle DEPLOYED`, `JobManager
//!    DEPLOYED_NOT_READY`), and exits non-zero.
//! 4. The job leaves the spec. `strata apply --prune` keeps the FlinkDeployment (it holds the job's state:
//!    data-bearing in the domain registry) and says `--allow-data-loss` would delete it; with that flag it
//!    is pruned, the operator's cleanup deletes the JobManager and releases its finalizer, and the
//!    FlinkDeployment, its JobManager Deployment and pods are gone.
//!
//! The job asks for Flink 1.19, the newest operator 1.7.0 knows (`tests/flink_live.rs` says why).
//! Needs the test cluster and java/mvn. Under `CI=true` a missing one fails the test; elsewhere `SKIPPED`.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::flink::Operator;
use support::*;

const FLINK_DEPLOYMENTS: &str = "flinkdeployments.flink.apache.org";

/// Deletes what the session leaves behind should it fail half-way: the tenant's namespace and the
/// platform's inventory. Declared before the operator, so it runs after the operator's teardown has
/// released its finalizers.
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

const JOB: &str = r#"flink-job "clicks" tenant="web" {
    image "flink:1.19.3"
    jar "local:///opt/flink/examples/streaming/TopSpeedWindowing.jar" version="1.19"
    parallelism 1
    jobmanager size="s"
    taskmanager size="s" slots=1
}
"#;

fn spec(platform: &str, namespace: &str, jobs: &[&str]) -> String {
    let mut s = format!(
        r#"platform "{platform}" {{
    cluster context="strata-test"
    inventory namespace="strata-system"
}}
tenant "web" namespace="{namespace}" pod-security="restricted" {{
    quota cpu=8 memory="16Gi" pods=10
}}
"#
    );
    for j in jobs {
        s.push_str(j);
    }
    s
}

fn object<'a>(report: &'a Value, kind: &str, name: &str) -> &'a Value {
    report["objects"]
        .as_array()
        .and_then(|os| os.iter().find(|o| o["kind"] == kind && o["name"] == name))
        .unwrap_or_else(|| panic!("no {kind}/{name} in the report: {report}"))
}

#[test]
fn a_flink_user_applies_waits_and_prunes_with_the_operator_in_the_loop() {
    let test = "a_flink_user_applies_waits_and_prunes_with_the_operator_in_the_loop";
    let Some(kc) = cluster(test) else { return };
    let t0 = Instant::now();
    let platform = unique("fle2e");
    let ns = format!("{platform}-web");
    let _leftovers = Leftovers { kc: &kc, namespace: ns.clone(), platform: platform.clone() };
    let Some(op) = Operator::start(test, &kc, &[&ns]) else { return };
    let started = t0.elapsed();
    let k = kc.display().to_string();
    let dir = spec_dir(&spec(&platform, &ns, &[JOB]));
    let d = dir.path();
    let with_log = |e: String| format!("{e}\n\n{}", op.log_tail());

    // 1. check, apply.
    let o = strata(d, &["check"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "strata check: {err}");
    let (code, first, err) = run_json(d, &["apply", "--kubeconfig", &k]);
    assert_eq!(code, 0, "strata apply: {err}\n{first}");
    let total = first["objects"].as_array().map_or(0, Vec::len) as u64;
    assert_eq!(count(&first, "created"), total, "a fresh platform is created: {first}");
    assert_eq!(object(&first, "FlinkDeployment", "clicks")["action"], "created");

    // 2. The operator validates it and Flink's client creates the JobManager, which runs on a kwok node
    // under `restricted`.
    let fd = eventually("the operator to reconcile the FlinkDeployment", Duration::from_secs(120), |last| {
        let o = get(&kc, &[FLINK_DEPLOYMENTS, "clicks", "-n", &ns])?;
        *last = o["status"].to_string();
        o["status"]["jobManagerDeploymentStatus"].as_str().filter(|s| *s != "MISSING").map(|_| o.clone())
    })
    .unwrap_or_else(|e| panic!("{}", with_log(e)));
    assert!(fd["status"]["error"].as_str().is_none_or(str::is_empty), "the operator refused it: {}", fd["status"]);
    let finalizers = fd["metadata"]["finalizers"].to_string();
    assert!(finalizers.contains("flinkdeployments.flink.apache.org/finalizer"), "{finalizers}");
    let uid = fd["metadata"]["uid"].as_str().expect("uid").to_string();
    let pod = eventually("the JobManager pod to run", Duration::from_secs(120), |last| {
        let pods = kubectl_json(&kc, &["get", "pods", "-n", &ns, "-l", "app=clicks,component=jobmanager"]);
        *last = pods["items"].to_string();
        pods["items"].as_array()?.iter().find(|p| p["status"]["phase"] == "Running").cloned()
    })
    .unwrap_or_else(|e| panic!("{}", with_log(e)));
    let deployment = get(&kc, &["deployment", "clicks", "-n", &ns]).expect("the JobManager Deployment");
    let owners = deployment["metadata"]["ownerReferences"].to_string();
    assert!(owners.contains(&uid) && owners.contains("FlinkDeployment"), "owned by the FlinkDeployment: {owners}");
    assert!(get(&kc, &["service", "clicks-rest", "-n", &ns]).is_some(), "Flink's REST Service");
    let namespace = get(&kc, &["namespace", &ns]).expect("the tenant's namespace");
    assert_eq!(namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"], "restricted");
    assert_eq!(pod["spec"]["securityContext"]["runAsNonRoot"], true, "{}", pod["spec"]["securityContext"]);
    let node_name = pod["spec"]["nodeName"].as_str().expect("scheduled");
    let node = get(&kc, &["node", node_name]).expect("its node");
    assert_eq!(node["metadata"]["annotations"]["kwok.x-k8s.io/node"], "fake", "{node_name} is no kwok node");

    // 3. apply --wait: nothing to write; the job never runs on kwok, so it times out naming the state.
    let t_wait = Instant::now();
    let (code, waited, err) = run_json(d, &["apply", "--kubeconfig", &k, "--wait", "--timeout", "20s"]);
    let waited_s = t_wait.elapsed().as_secs_f64();
    assert_ne!(code, 0, "--wait must not pass a Flink job that does not run: {waited}\n{err}");
    assert_eq!(count(&waited, "unchanged"), total, "{waited}");
    assert_eq!(waited["requests"]["writes"], 0, "a re-apply writes nothing: {}", waited["requests"]);
    let wait = &object(&waited, "FlinkDeployment", "clicks")["wait"];
    assert_eq!(wait["state"], "timed-out", "{}", with_log(format!("{wait}\n{err}")));
    let detail = wait["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("lifecycle DEPLOYED") && detail.contains("JobManager DEPLOY"),
        "the timeout names the operator's state: {detail}"
    );
    let waited_for = waited["objects"].as_array().unwrap().iter().filter(|o| !o["wait"].is_null()).count();
    assert_eq!(waited_for, 1, "only the operator's object is waited for: {waited}");
    // And the human output says it too.
    let o = strata(d, &["apply", "--kubeconfig", &k, "--wait", "--timeout", "5s"]);
    let (out, _) = text(&o);
    assert!(out.contains("TIMED OUT") && out.contains("FlinkDeployment"), "{out}");

    // 4. The job leaves the spec: kept without --allow-data-loss, pruned with it, and the operator cleans up.
    write_spec(d, &spec(&platform, &ns, &[]));
    let (code, kept, err) = run_json(d, &["apply", "--kubeconfig", &k, "--prune"]);
    assert_eq!(code, 0, "strata apply --prune: {err}\n{kept}");
    let fd_report = object(&kept, "FlinkDeployment", "clicks");
    assert_eq!(fd_report["action"], "kept", "{kept}");
    let why = fd_report["detail"].as_str().unwrap_or_default();
    assert!(why.contains("--allow-data-loss") && why.contains("state"), "{why}");
    assert!(get(&kc, &[FLINK_DEPLOYMENTS, "clicks", "-n", &ns]).is_some(), "kept on the cluster");
    assert!(get(&kc, &["deployment", "clicks", "-n", &ns]).is_some(), "its JobManager stays");

    let (code, pruned, err) = run_json(d, &["apply", "--kubeconfig", &k, "--prune", "--allow-data-loss"]);
    assert_eq!(code, 0, "strata apply --prune --allow-data-loss: {err}\n{pruned}");
    let gone: BTreeSet<String> = actions(&pruned).into_iter().filter(|(_, a)| a == "pruned").map(|(k, _)| k).collect();
    assert!(gone.contains(&format!("FlinkDeployment/{ns}/clicks")), "{gone:?}");
    eventually("the operator to clean up the JobManager", Duration::from_secs(90), |last| {
        let fd = get(&kc, &[FLINK_DEPLOYMENTS, "clicks", "-n", &ns]).map(|o| o["metadata"].to_string());
        let jm = get(&kc, &["deployment", "clicks", "-n", &ns]).is_some();
        let pods = kubectl_json(&kc, &["get", "pods", "-n", &ns, "-l", "app=clicks"]);
        let pods = pods["items"].as_array().map_or(0, Vec::len);
        *last = format!("FlinkDeployment: {fd:?}; JobManager Deployment: {jm}; pods: {pods}");
        (fd.is_none() && !jm && pods == 0).then_some(())
    })
    .unwrap_or_else(|e| panic!("{}", with_log(e)));
    let (code, plan, err) = run_json(d, &["plan", "--kubeconfig", &k]);
    assert_eq!(code, 0, "strata plan after the prune shows no changes: {err}\n{plan}");
    eprintln!(
        "flink e2e: operator up in {:.1} s, apply --wait timed out after {waited_s:.1} s, whole session {:.1} s",
        started.as_secs_f64(),
        t0.elapsed().as_secs_f64()
    );
}
