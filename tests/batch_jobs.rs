//! Batch jobs against the current control plane (scripts/test-cluster: kube-apiserver, controller manager,
//! scheduler, kwok's fake nodes): every Job and CronJob strata emits passes the API server's validation
//! (server-side dry run), a Job made from an emitted CronJob's `jobTemplate` — as
//! `kubectl create job --from=cronjob/x` makes it — runs to `Complete` on the fake nodes, and a Job beyond
//! the tenant's `count/jobs.batch` quota is refused, as `strata check`'s quota fit counts it.
//!
//! Without a cluster each test says `SKIPPED` on stderr; under `CI=true` it fails (see tests/support).

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::*;

/// `strata compile -o json` of a spec: the manifests.
fn compile(dir: &Path) -> Vec<Value> {
    let o = strata(dir, &["compile", "platform.kdl", "-o", "json"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "compile failed: {err}");
    let v: Value = serde_json::from_str(&out).expect("compile prints JSON");
    v["items"].as_array().expect("a List").clone()
}

fn kubectl_stdin(kc: &Path, args: &[&str], body: &Value) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".into()))
        .arg("--kubeconfig")
        .arg(kc)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    child.stdin.take().expect("stdin").write_all(body.to_string().as_bytes()).expect("write");
    child.wait_with_output().expect("kubectl finishes")
}

fn apply(kc: &Path, o: &Value, dry_run: bool) -> std::process::Output {
    let mut args = vec!["apply", "--server-side", "--field-manager=strata-batch-test", "-f", "-"];
    if dry_run {
        args.push("--dry-run=server");
    }
    kubectl_stdin(kc, &args, o)
}

fn is(o: &Value, kind: &str) -> bool {
    o["kind"] == kind
}

/// The tenant objects (Namespace, quota, limits, policies) for real, in strata's stage order.
fn apply_tenancy(kc: &Path, objects: &[Value]) {
    for o in objects.iter().filter(|o| !is(o, "Job") && !is(o, "CronJob")) {
        let out = apply(kc, o, false);
        assert!(out.status.success(), "{}: {}", o["metadata"]["name"], String::from_utf8_lossy(&out.stderr));
    }
}

fn wait_for(what: &str, timeout: Duration, mut probe: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !probe() {
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn every_emitted_job_and_cronjob_passes_server_side_validation() {
    let Some(kc) = cluster("every_emitted_job_and_cronjob_passes_server_side_validation") else { return };
    let dir = repo().join("golden/job-basic");
    let ns = unique("jobs-dry");
    let mut objects = compile(&dir);
    for o in &mut objects {
        if o["kind"] == "Namespace" {
            o["metadata"]["name"] = json!(ns);
        } else if o["metadata"]["namespace"].is_string() {
            o["metadata"]["namespace"] = json!(ns);
        }
    }
    let batch: Vec<&Value> = objects.iter().filter(|o| is(o, "Job") || is(o, "CronJob")).collect();
    assert_eq!(batch.len(), 3, "job-basic emits two CronJobs and a Job");
    apply_tenancy(&kc, &objects);
    for o in &batch {
        let out = apply(&kc, o, true);
        assert!(
            out.status.success(),
            "{} {}: {}",
            o["kind"],
            o["metadata"]["name"],
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The oracle refuses what strata refuses: TZ= in the schedule, the zone Local, restartPolicy Always.
    let cron = batch.iter().find(|o| is(o, "CronJob")).expect("a CronJob");
    for (path, bad) in [
        ("/spec/schedule", json!("CRON_TZ=UTC 0 2 * * *")),
        ("/spec/timeZone", json!("Local")),
        ("/spec/jobTemplate/spec/template/spec/restartPolicy", json!("Always")),
    ] {
        let mut o = (*cron).clone();
        *o.pointer_mut(path).expect("field") = bad.clone();
        let out = apply(&kc, &o, true);
        assert!(!out.status.success(), "the API server accepted {path} = {bad}");
    }
    kubectl(&kc, &["delete", "namespace", &ns, "--wait=false"]);
}

const SPEC: &str = r#"
platform "batch-test"

tenant "TENANT" {
    quota cpu=2 memory="4Gi" {
        count "jobs.batch" 2
        count "cronjobs.batch" 1
    }
    limits default-cpu="500m" default-memory="512Mi"
    network "open"
}

job "minutely" tenant="TENANT" {
    image "registry.acme.io/check:1.0.0"
    command "true"
    resources cpu="100m" memory="64Mi"
    schedule "* * * * *" timezone="UTC" successful-history=0 failed-history=0
}
"#;

#[test]
fn a_job_from_the_emitted_cronjob_runs_to_completion_and_one_beyond_the_quota_is_refused() {
    let Some(kc) = cluster("a_job_from_the_emitted_cronjob_runs_to_completion_and_one_beyond_the_quota_is_refused")
    else {
        return;
    };
    let ns = unique("jobs-run");
    let dir = spec_dir(&SPEC.replace("TENANT", &ns));
    let check = strata(dir.path(), &["check", "platform.kdl"]);
    assert!(check.status.success(), "{}", text(&check).1);
    let objects = compile(dir.path());
    apply_tenancy(&kc, &objects);
    let cron = objects.iter().find(|o| is(o, "CronJob")).expect("a CronJob").clone();
    let out = apply(&kc, &cron, false);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    wait_for("the default ServiceAccount", Duration::from_secs(60), || {
        exists(&kc, &["serviceaccount", "default", "-n", &ns])
    });

    // What `kubectl create job --from=cronjob/minutely` creates: the jobTemplate's spec, owned by the CronJob.
    let uid = kubectl_json(&kc, &["get", "cronjob", "minutely", "-n", &ns])["metadata"]["uid"].clone();
    let manual = |name: &str| {
        json!({"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": ns,
                "annotations": {"cronjob.kubernetes.io/instantiate": "manual"},
                "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "minutely", "uid": uid}]},
            "spec": cron["spec"]["jobTemplate"]["spec"]})
    };
    let out = kubectl_stdin(&kc, &["create", "-f", "-"], &manual("minutely-manual"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    wait_for("the manual Job Complete on the kwok nodes", Duration::from_secs(120), || {
        let j = kubectl_json(&kc, &["get", "job", "minutely-manual", "-n", &ns]);
        j["status"]["conditions"]
            .as_array()
            .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Complete" && c["status"] == "True"))
    });
    let pods = kubectl_json(&kc, &["get", "pods", "-n", &ns, "-l", "job-name=minutely-manual"]);
    let node = pods["items"][0]["spec"]["nodeName"].as_str().unwrap_or("").to_string();
    assert!(node.starts_with("strata-node-"), "ran on a kwok node: {node:?}");

    // The quota holds 2 Jobs: of three more created at once, whatever the controller created or cleaned
    // up meanwhile, at least one is beyond it.
    let more: Vec<_> =
        (2..5).map(|i| kubectl_stdin(&kc, &["create", "-f", "-"], &manual(&format!("minutely-manual-{i}")))).collect();
    let refused =
        more.iter().any(|o| !o.status.success() && String::from_utf8_lossy(&o.stderr).contains("exceeded quota"));
    assert!(refused, "no Job beyond count/jobs.batch 2 was refused: {more:?}");
    kubectl(&kc, &["delete", "namespace", &ns, "--wait=false"]);
}
