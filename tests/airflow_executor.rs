//! Airflow's own code as the judge of strata's KubernetesExecutor output. For every Airflow deployment
//! of the bundled platform and of the valid golden cases, `scripts/tools/airflow-oracle` (the pinned
//! apache-airflow and cncf-kubernetes provider of `oracles/airflow`) reads strata's executor-env
//! ConfigMap with the provider's `KubeConfig`, loads each emitted worker template with
//! `PodGenerator.deserialize_model_file` and builds a sample task's pod with `PodGenerator.construct_pod`,
//! the executor's own path. Then:
//!
//! - Airflow's parser is lenient (unknown fields dropped, values coerced), so "it parsed" proves little:
//!   every field of the template must come back unchanged in the constructed pod, the pod lands in the
//!   namespace strata configured, and the template's image wins (strata writes the repository/tag
//!   settings empty).
//! - With a test cluster, each constructed pod is created with `dryRun=All`, as the scheduler's
//!   ServiceAccount (impersonated), in a namespace carrying the tenant's emitted Pod Security labels,
//!   LimitRange, ResourceQuota, PriorityClasses, ServiceAccounts and pod-launcher RBAC; and that
//!   ServiceAccount may do exactly what the executor's code calls (`kubectl auth can-i --list`), plus
//!   KubernetesPodOperator's needs where `pod-operator` is set.
//!
//! Deliberately broken inputs prove each judge judges: a template with a misspelt field (the comparison
//! must catch what Airflow silently drops), a container without a name (Airflow refuses), executor
//! settings with the chart's image (the template's image is replaced), and a template running as root (the
//! apiserver refuses it under `restricted`).
//!
//! The oracle needs python3 with venv; the cluster half needs `STRATA_TEST_KUBECONFIG` and kubectl. Under
//! `CI=true` a missing piece fails the tests; elsewhere it prints `SKIPPED` and the test returns.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::{Value, json};
use support::*;

/// The arguments the oracle gives the sample task (oracles/airflow/oracle.py).
const SAMPLE_ARGS: &[&str] = &["airflow", "tasks", "run", "strata_oracle", "sample_task", "manual__2025-11-14"];

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn say(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// One Airflow deployment as strata emits it.
#[derive(Clone, Debug)]
struct Deployment {
    key: String,
    namespace: String,
    scheduler_sa: String,
    env: serde_json::Map<String, Value>,
    templates: serde_json::Map<String, Value>,
    /// `pod-operator=#true`: tasks may run KubernetesPodOperator.
    pod_operator: bool,
    /// Each template file's Pod as strata builds it, by file name (for the broken variants).
    pods: BTreeMap<String, Value>,
    /// Every object the case emits, for the cluster half.
    objects: Vec<Value>,
}

fn template_dir() -> String {
    let p = strata::model::airflow::template_path("x");
    p.trim_end_matches("/x.yaml").to_string()
}

fn deployments() -> Vec<Deployment> {
    let mut out = Vec::new();
    for (case, spec) in valid_cases() {
        // Each environment's Airflow is its own deployment (the goldens' environment case has none).
        let Some(c) = strata::compile_path_envs(&spec).pop() else { continue };
        let Some(set) = c.manifests else { panic!("{case} does not compile") };
        let objects: Vec<Value> = set.items.iter().map(|m| m.object.clone()).collect();
        for resolved in &c.resolved.as_ref().expect("a compiled spec is resolved").airflow {
            let (a, ex) = (&resolved.spec, &resolved.executor);
            let pods = resolved
                .templates
                .iter()
                .map(|t| {
                    let pod = strata::emit::airflow::pod_template(resolved, t);
                    (format!("{}.yaml", t.spec.name.value), serde_json::to_value(pod).expect("pod JSON"))
                })
                .collect();
            let ns = resolved.home.namespace.clone();
            let data = |name: &str| -> serde_json::Map<String, Value> {
                let m = set
                    .items
                    .iter()
                    .find(|m| m.kind == "ConfigMap" && m.namespace.as_deref() == Some(&ns) && m.name == name)
                    .unwrap_or_else(|| panic!("{case}: no ConfigMap {ns}/{name}"));
                m.object["data"].as_object().cloned().unwrap_or_default()
            };
            out.push(Deployment {
                key: format!("{case}: airflow {}", a.name.value),
                namespace: ns.clone(),
                scheduler_sa: a.scheduler_sa(),
                env: data(&a.env_configmap()),
                templates: data(&a.templates_configmap()),
                pods,
                pod_operator: ex.pod_operator.as_ref().is_some_and(|b| b.value),
                objects: objects.clone(),
            });
        }
    }
    out
}

/// Inputs strata would never emit, each of which a judge must catch, built from a real deployment.
fn broken(real: &Deployment) -> Vec<Deployment> {
    let (name, _) = real.templates.iter().next().expect("a template");
    let pod = real.pods[name].clone();
    let with = |key: &str, f: &dyn Fn(&mut Value)| {
        let mut p = pod.clone();
        f(&mut p);
        let mut d = real.clone();
        d.key = format!("broken: {key}");
        // JSON is YAML: the oracle reads it as a template file.
        d.templates = serde_json::Map::from_iter([(name.clone(), json!(serde_json::to_string_pretty(&p).unwrap()))]);
        d
    };
    let typo = with("misspelt field", &|p| {
        let sc = p["spec"]["securityContext"].as_object_mut().unwrap();
        sc.remove("runAsNonRoot");
        sc.insert("runAsNonRot".into(), json!(true));
    });
    let unnamed = with("unnamed container", &|p| {
        p["spec"]["containers"][0].as_object_mut().unwrap().remove("name");
    });
    // Root, which `restricted` forbids (and schema validation allows, unlike `privileged: true`, which an
    // apiserver without --allow-privileged refuses before Pod Security looks).
    let root = with("root", &|p| {
        p["spec"]["securityContext"]["runAsNonRoot"] = json!(false);
        p["spec"]["securityContext"]["runAsUser"] = json!(0);
    });
    let mut chart_image = with("chart image settings", &|_| {});
    chart_image.env.insert("AIRFLOW__KUBERNETES_EXECUTOR__WORKER_CONTAINER_REPOSITORY".into(), json!("apache/airflow"));
    chart_image.env.insert("AIRFLOW__KUBERNETES_EXECUTOR__WORKER_CONTAINER_TAG".into(), json!("chart-default"));
    vec![typo, unnamed, root, chart_image]
}

struct Run {
    deployments: Vec<Deployment>,
    broken: Vec<Deployment>,
    /// `(deployment key, template file)` -> the oracle's answer.
    answers: BTreeMap<(String, String), Value>,
}

fn run() -> Option<&'static Run> {
    static RUN: OnceLock<Option<Run>> = OnceLock::new();
    RUN.get_or_init(|| {
        if !Command::new("python3").args(["-c", "import venv"]).output().is_ok_and(|o| o.status.success()) {
            assert!(!ci(), "python3 with venv is needed for the Airflow oracle (CI=true: this test must run)");
            say("SKIPPED airflow_executor: python3 with venv not found; the Airflow oracle needs it");
            return None;
        }
        let deployments = deployments();
        assert!(!deployments.is_empty(), "no Airflow deployment to judge");
        let broken = broken(&deployments[0]);
        let input: Vec<Value> = deployments
            .iter()
            .chain(&broken)
            .map(|d| json!({"key": d.key, "env": d.env, "templates": d.templates, "template_dir": template_dir()}))
            .collect();
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("deployments.json");
        std::fs::write(&file, serde_json::to_vec(&input).unwrap()).unwrap();
        let out = Command::new(repo().join("scripts/tools/airflow-oracle"))
            .arg(&file)
            .stderr(Stdio::piped())
            .output()
            .expect("scripts/tools/airflow-oracle runs");
        assert!(
            out.status.success(),
            "the Airflow oracle failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("the oracle's answer is not JSON ({e}):\n{}", String::from_utf8_lossy(&out.stdout))
        });
        let answers = list
            .into_iter()
            .map(|v| ((v["key"].as_str().unwrap().to_string(), v["template"].as_str().unwrap_or("").to_string()), v))
            .collect();
        Some(Run { deployments, broken, answers })
    })
    .as_ref()
}

fn answer<'r>(run: &'r Run, d: &Deployment, template: &str) -> &'r Value {
    run.answers
        .get(&(d.key.clone(), template.to_string()))
        .or_else(|| run.answers.get(&(d.key.clone(), String::new())))
        .unwrap_or_else(|| panic!("the oracle gave no answer for {} {template}", d.key))
}

/// Where `template` is not contained in `pod`: every field of the template must be in the pod with the same
/// value; lists keep the template's items in order (the executor may append, e.g. its own env variable).
fn differences(path: &str, template: &Value, pod: &Value, out: &mut Vec<String>) {
    match (template, pod) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in t {
                match p.get(k) {
                    Some(pv) => differences(&format!("{path}.{k}"), v, pv, out),
                    None => out.push(format!("{path}.{k}: dropped (template has {v})")),
                }
            }
        }
        (Value::Array(t), Value::Array(p)) => {
            if p.len() < t.len() {
                out.push(format!("{path}: {} items in the template, {} in the pod", t.len(), p.len()));
            }
            for (i, (tv, pv)) in t.iter().zip(p).enumerate() {
                differences(&format!("{path}[{i}]"), tv, pv, out);
            }
        }
        (t, p) if t == p => {}
        (t, p) => out.push(format!("{path}: template has {t}, the pod {p}")),
    }
}

/// What the constructed pod fails to keep of the template, or of the executor settings strata emitted.
fn judge(d: &Deployment, template: &str, answer: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if answer["ok"] != true {
        return vec![format!("Airflow refused it: {}", answer["error"])];
    }
    // The ConfigMap's YAML, read by a plain YAML loader, must be the Pod strata built (no scalar read
    // back as another type).
    let tpl = &answer["template_json"];
    if d.pods.get(template) != Some(tpl) {
        out.push(format!("the template file reads back as {tpl}, strata built {:?}", d.pods.get(template)));
    }
    let pod = &answer["pod"];
    differences("spec", &tpl["spec"], &pod["spec"], &mut out);
    differences("metadata.labels", &tpl["metadata"]["labels"], &pod["metadata"]["labels"], &mut out);
    let configured = d.env.get("AIRFLOW__KUBERNETES_EXECUTOR__NAMESPACE").and_then(Value::as_str);
    if pod["metadata"]["namespace"].as_str() != configured || configured != Some(d.namespace.as_str()) {
        out.push(format!(
            "namespace: the pod is in {}, strata configured {configured:?} for tenant namespace {}",
            pod["metadata"]["namespace"], d.namespace
        ));
    }
    if !answer["kube_image"].is_null() {
        out.push(format!("the executor has its own worker image {} over the template's", answer["kube_image"]));
    }
    if pod["spec"]["containers"][0]["args"] != json!(SAMPLE_ARGS) {
        out.push(format!("the base container's args are {}", pod["spec"]["containers"][0]["args"]));
    }
    out
}

#[test]
fn airflow_builds_every_worker_pod_as_the_template_says() {
    let Some(run) = run() else { return };
    let mut problems = Vec::new();
    let mut judged = 0;
    for d in &run.deployments {
        for template in d.templates.keys() {
            judged += 1;
            for p in judge(d, template, answer(run, d, template)) {
                problems.push(format!("{} {template}: {p}", d.key));
            }
        }
    }
    assert!(judged >= 3, "too few worker templates to judge: {judged}");
    assert!(
        problems.is_empty(),
        "Airflow's executor does not build what strata's templates say:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_oracle_catches_the_deliberately_broken_inputs() {
    let Some(run) = run() else { return };
    let by = |key: &str| run.broken.iter().find(|d| d.key == format!("broken: {key}")).expect("broken input");
    let only = |d: &Deployment| d.templates.keys().next().unwrap().clone();

    // Airflow accepts the misspelt field and silently drops it: only the comparison catches it.
    let typo = by("misspelt field");
    let a = answer(run, typo, &only(typo));
    assert_eq!(a["ok"], true, "Airflow's parser was expected to be lenient: {a}");
    let found = judge(typo, &only(typo), a);
    assert!(
        found.iter().any(|p| p.contains("runAsNonRot: dropped")),
        "the comparison missed the dropped field: {found:?}"
    );

    let unnamed = by("unnamed container");
    assert_eq!(answer(run, unnamed, &only(unnamed))["ok"], false, "Airflow accepted a container without a name");

    // With the chart's repository/tag the executor replaces the template's image on every task pod: the
    // empty values strata writes are what keep each template's own.
    let chart = by("chart image settings");
    let a = answer(run, chart, &only(chart));
    assert_eq!(a["kube_image"], "apache/airflow:chart-default", "{a}");
    assert_eq!(a["pod"]["spec"]["containers"][0]["image"], "apache/airflow:chart-default");
    assert!(judge(chart, &only(chart), a).iter().any(|p| p.contains("image")));
}

// ---- the cluster half ----

fn kubectl_stdin(kc: &Path, args: &[&str], input: &Value) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".into()))
        .arg("--kubeconfig")
        .arg(kc)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    child.stdin.take().unwrap().write_all(&serde_json::to_vec(input).unwrap()).unwrap();
    child.wait_with_output().expect("kubectl")
}

/// Renames every string equal to one of `names` (namespaces and PriorityClasses) with `prefix`.
fn rename(v: &mut Value, names: &BTreeMap<String, String>) {
    match v {
        Value::String(s) => {
            if let Some(n) = names.get(s.as_str()) {
                *s = n.clone();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rename(x, names)),
        Value::Object(o) => o.values_mut().for_each(|x| rename(x, names)),
        _ => {}
    }
}

/// Does `o` bind the deployment's scheduler ServiceAccount?
fn binds_scheduler(d: &Deployment, o: &Value) -> bool {
    (o["kind"] == "RoleBinding" || o["kind"] == "ClusterRoleBinding")
        && o["subjects"].as_array().is_some_and(|s| {
            s.iter().any(|s| s["name"] == d.scheduler_sa.as_str() && s["namespace"] == d.namespace.as_str())
        })
}

/// The namespaces the scheduler is granted pods in by a RoleBinding: its own first, then a namespace list's.
fn launch_namespaces(d: &Deployment) -> Vec<String> {
    let mut v = vec![d.namespace.clone()];
    for o in d.objects.iter().filter(|o| o["kind"] == "RoleBinding" && binds_scheduler(d, o)) {
        let ns = o["metadata"]["namespace"].as_str().unwrap().to_string();
        if !v.contains(&ns) {
            v.push(ns);
        }
    }
    v
}

/// The tenants' objects the pod's admission and the scheduler's authorization read, created for real under
/// renamed names: each launch namespace's Namespace (Pod Security labels), LimitRange, ResourceQuota,
/// ServiceAccounts, Roles and RoleBindings; the PriorityClasses; a cluster-wide executor's ClusterRole and
/// binding. Returns the renaming.
fn set_up(kc: &Path, d: &Deployment, prefix: &str) -> BTreeMap<String, String> {
    let re = |n: &str| {
        let mut s = format!("{prefix}-{n}");
        s.truncate(63);
        s.trim_end_matches('-').to_string()
    };
    let namespaces = launch_namespaces(d);
    let cluster_binding: Vec<&Value> =
        d.objects.iter().filter(|o| o["kind"] == "ClusterRoleBinding" && binds_scheduler(d, o)).collect();
    let mut cluster_scoped: Vec<Value> = d.objects.iter().filter(|o| o["kind"] == "PriorityClass").cloned().collect();
    for b in &cluster_binding {
        cluster_scoped.push((*b).clone());
        let role = d
            .objects
            .iter()
            .find(|o| o["kind"] == "ClusterRole" && o["metadata"]["name"] == b["roleRef"]["name"])
            .expect("the bound ClusterRole");
        cluster_scoped.push(role.clone());
    }
    let mut names = BTreeMap::new();
    for n in &namespaces {
        names.insert(n.clone(), re(n));
    }
    for o in &cluster_scoped {
        let n = o["metadata"]["name"].as_str().unwrap();
        names.insert(n.to_string(), re(n));
    }
    let wanted = ["LimitRange", "ResourceQuota", "ServiceAccount", "Role", "RoleBinding"];
    let mut objects: Vec<Value> = Vec::new();
    for n in &namespaces {
        objects.push(
            d.objects
                .iter()
                .find(|o| o["kind"] == "Namespace" && o["metadata"]["name"] == n.as_str())
                .cloned()
                .unwrap_or_else(|| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}})),
        );
    }
    objects.extend(cluster_scoped);
    objects.extend(
        d.objects
            .iter()
            .filter(|o| {
                wanted.contains(&o["kind"].as_str().unwrap_or(""))
                    && o["metadata"]["namespace"].as_str().is_some_and(|ns| namespaces.iter().any(|n| n == ns))
            })
            .cloned(),
    );
    for o in &mut objects {
        rename(o, &names);
        if let Some(labels) = o["metadata"]["labels"].as_object_mut() {
            // Created for real: they must not join an ApplySet a later `apply --prune` would see.
            labels.retain(|k, _| !k.starts_with("applyset.kubernetes.io/"));
        }
        if let Some(a) = o["metadata"]["annotations"].as_object_mut() {
            a.retain(|k, _| !k.starts_with("applyset.kubernetes.io/"));
        }
        o["metadata"]["labels"]["strata.dev/test"] = json!("airflow-executor");
        if o["kind"] == "ServiceAccount" {
            // The ServiceAccount admission of apiservers before bound tokens (1.20) mounts a legacy token
            // Secret and refuses pods whose ServiceAccount has none; no controller creates one here.
            let (ns, name) = (o["metadata"]["namespace"].clone(), o["metadata"]["name"].as_str().unwrap().to_string());
            let secret = json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
                "metadata": {"name": format!("{name}-token"), "namespace": ns,
                    "annotations": {"kubernetes.io/service-account.name": name}}});
            let out = kubectl_stdin(kc, &["create", "-f", "-"], &secret);
            assert!(out.status.success(), "Secret: {}", String::from_utf8_lossy(&out.stderr));
            o["secrets"] = json!([{"name": format!("{name}-token")}]);
        }
        let out = kubectl_stdin(kc, &["create", "-f", "-"], o);
        assert!(
            out.status.success(),
            "{} {}: {}",
            o["kind"],
            o["metadata"]["name"],
            String::from_utf8_lossy(&out.stderr)
        );
    }
    names
}

/// The apiserver's minor version (PodSecurity admission exists from 1.23, enforced by default from 1.25).
fn server_minor(kc: &Path) -> u32 {
    let v: Value = serde_json::from_str(&kubectl(kc, &["version", "-o", "json"])).expect("version JSON");
    v["serverVersion"]["minor"].as_str().unwrap_or("0").trim_end_matches('+').parse().unwrap_or(0)
}

#[test]
fn constructed_worker_pods_are_admitted_as_the_scheduler_in_the_tenant_namespace() {
    let Some(run) = run() else { return };
    let Some(kc) = cluster("constructed_worker_pods_are_admitted_as_the_scheduler_in_the_tenant_namespace") else {
        return;
    };
    let pod_security = server_minor(&kc) >= 25;
    // The test cluster (scripts/test-cluster) runs a current apiserver; a CI run against one without Pod
    // Security admission would judge less than it claims.
    assert!(pod_security || !ci(), "CI=true: the test apiserver predates Pod Security admission (1.25)");
    if !pod_security {
        say("SKIPPED airflow_executor: the test apiserver predates PodSecurity (1.25); Pod Security is not judged");
    }
    let mut refused = Vec::new();
    let mut admitted = 0;
    let mut rbac_checked = 0;
    for d in run.deployments.iter().chain(run.broken.iter().filter(|d| d.key == "broken: root")) {
        let prefix = unique("af");
        let names = set_up(&kc, d, &prefix);
        let ns = names[&d.namespace].clone();
        let as_scheduler = format!("--as=system:serviceaccount:{ns}:{}", d.scheduler_sa);
        for template in d.templates.keys() {
            let a = answer(run, d, template);
            assert_eq!(a["ok"], true, "{} {template}: {a}", d.key);
            let mut pod = a["pod"].clone();
            rename(&mut pod, &names);
            pod["apiVersion"] = json!("v1");
            pod["kind"] = json!("Pod");
            let out = kubectl_stdin(&kc, &["create", "--dry-run=server", &as_scheduler, "-f", "-", "-o", "json"], &pod);
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            if d.key == "broken: root" {
                if pod_security {
                    assert!(!out.status.success(), "the apiserver admitted a root pod under restricted");
                    assert!(err.contains("violates PodSecurity"), "refused for another reason: {err}");
                }
                continue;
            }
            if out.status.success() {
                admitted += 1;
            } else {
                refused.push(format!("{} {template}: {err}", d.key));
            }
        }
        if d.key.starts_with("broken") {
            continue;
        }
        // In every namespace it launches pods in, the scheduler may do what the executor needs and nothing
        // else.
        for n in launch_namespaces(d) {
            let expected = needed(d);
            let listed = can_i_list(&kc, &names[&n], &as_scheduler);
            assert_eq!(listed, expected, "{}: the scheduler's permissions in {n}", d.key);
            rbac_checked += 1;
        }
    }
    assert!(admitted >= 3, "too few pods admitted: {admitted}");
    assert!(rbac_checked >= 3, "too few namespaces' RBAC checked: {rbac_checked}");
    assert!(refused.is_empty(), "the apiserver refused {} worker pods:\n{}", refused.len(), refused.join("\n"));
}

/// `resource -> verbs` the scheduler needs, read from the cncf-kubernetes provider 10.9.0 (not from what
/// strata emits): the KubernetesExecutor creates pods (`run_next`), lists and watches them
/// (`KubernetesJobWatcher`, `_list_pods`), patches them (adoption), deletes them (`delete_pod`) and reads
/// their logs (`get_task_log`). KubernetesPodOperator, when the deployment allows it, also gets pods, execs
/// into them (the XCom sidecar) and lists events.
fn needed(d: &Deployment) -> BTreeMap<String, BTreeSet<String>> {
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<String>>();
    let mut m = BTreeMap::from([
        ("pods".to_string(), set(&["create", "delete", "list", "patch", "watch"])),
        ("pods/log".to_string(), set(&["get"])),
    ]);
    if d.pod_operator {
        m.get_mut("pods").unwrap().insert("get".to_string());
        m.insert("pods/exec".to_string(), set(&["create", "get"]));
        m.insert("events".to_string(), set(&["list"]));
    }
    m
}

/// `kubectl auth can-i --list` as the ServiceAccount: resource rules only, without what every
/// authenticated user may do (system:basic-user's self reviews).
fn can_i_list(kc: &Path, ns: &str, as_sa: &str) -> BTreeMap<String, BTreeSet<String>> {
    let text = kubectl(kc, &["auth", "can-i", "--list", "-n", ns, as_sa]);
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        if line.starts_with(char::is_whitespace) {
            continue; // a non-resource URL
        }
        let resource = line.split_whitespace().next().unwrap_or_default();
        if resource.starts_with("selfsubject") {
            continue;
        }
        let verbs = line.rsplit_once('[').map(|(_, v)| v.trim_end_matches(']').trim()).unwrap_or_default();
        out.entry(resource.to_string()).or_default().extend(verbs.split_whitespace().map(str::to_string));
    }
    out
}
