//! What only a current control plane can judge (scripts/test-cluster: kube-apiserver, controller manager,
//! scheduler and kwok's fake nodes, see the README): Pod Security admission on every pod strata causes,
//! ResourceQuota admission against `strata check`'s quota fit, namespace deletion and garbage collection to
//! their end, aggregated discovery, and workloads that really get scheduled and run. Each test carries a
//! deliberately bad case that the server must refuse, so a server that accepted everything would fail it.
//!
//! Without a cluster each test says `SKIPPED` on stderr; under `CI=true` it fails (see tests/support).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use kube::discovery::ApiResource;
use serde_json::{Map, Value, json};
use strata::reconcile::Kube;
use strata::reconcile::discovery::{self, Mode};
use support::*;

const MANAGER: &str = "strata-current-cluster-test";

fn ar<K: kube::Resource<DynamicType = ()>>() -> ApiResource {
    ApiResource::erase::<K>(&())
}

fn pod_ar() -> ApiResource {
    ar::<k8s_openapi::api::core::v1::Pod>()
}

/// Polls `$probe` (an expression that awaits and gives an `Option`) every 250 ms until it is `Some`, or
/// panics with `$what` after `$timeout`. A macro, so the probe borrows the caller's locals freely.
macro_rules! eventually {
    ($what:expr, $timeout:expr, $probe:expr) => {{
        let timeout: Duration = $timeout;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = $probe {
                break v;
            }
            assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {}", $what);
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }};
}

/// A namespace with `labels` (created for real), and its `default` ServiceAccount: the ServiceAccount
/// admission plugin refuses pods until the controller manager has made it.
async fn namespace(kube: &Kube, name: &str, labels: Value) {
    let mut labels = labels;
    labels["strata.dev/test"] = json!("current-cluster");
    let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}});
    kube.apply(&ar::<k8s_openapi::api::core::v1::Namespace>(), None, name, &body, MANAGER, true, false)
        .await
        .unwrap_or_else(|f| panic!("namespace {name}: {f}"));
    let sa = ar::<k8s_openapi::api::core::v1::ServiceAccount>();
    eventually!(
        &format!("ServiceAccount {name}/default"),
        Duration::from_secs(60),
        async { kube.get(&sa, Some(name), "default").await.ok().flatten() }.await
    );
}

fn restricted() -> Value {
    json!({"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest"})
}

/// Waits until the quota controller has computed `status.hard` of every ResourceQuota in `ns`: until
/// then quota admission refuses every pod of the namespace.
async fn quotas_computed(kube: &Kube, ns: &str) {
    let rq = ar::<k8s_openapi::api::core::v1::ResourceQuota>();
    eventually!(
        &format!("ResourceQuota status in {ns}"),
        Duration::from_secs(60),
        async {
            let list = kube.list(&rq, Some(ns), "").await.ok()?;
            list.iter().all(|q| q["status"]["hard"].is_object() && q["status"]["used"].is_object()).then_some(())
        }
        .await
    );
}

/// A pod that passes `restricted` (non-root, no privilege escalation, all capabilities dropped, runtime
/// default seccomp) with the given requests = limits.
fn compliant_pod(name: &str, ns: &str, cpu: &str, memory: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "restartPolicy": "Never",
            "securityContext": {"runAsNonRoot": true, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "main", "image": "registry.example/app:1",
                "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}},
                "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu, "memory": memory}},
            }],
        },
    })
}

// ------------------------------------------------------------------------------------------------------
// Aggregated discovery

#[test]
fn the_server_is_current_and_serves_aggregated_discovery() {
    let Some(kc) = cluster("the_server_is_current_and_serves_aggregated_discovery") else { return };
    let version = kubectl_json(&kc, &["version"]);
    let server = version["serverVersion"]["gitVersion"].as_str().unwrap_or_default().to_string();
    let minor: u32 =
        version["serverVersion"]["minor"].as_str().unwrap_or("0").trim_end_matches('+').parse().unwrap_or(0);
    assert!(server.starts_with("v1.") && minor >= 30, "the test cluster runs {server}, not a current release");
    runtime().block_on(async {
        let kube = connect(&kc).await;
        let set = bundled().manifests.expect("the bundled platform compiles");
        let catalog = discovery::discover(&kube, &set, &BTreeSet::new()).await.expect("discovery");
        assert_eq!(catalog.mode, Mode::Aggregated, "a {server} server serves apidiscovery.k8s.io/v2");
        // Two documents answer everything: no per-group-version walk.
        assert_eq!(kube.counts().reads, 2);
        assert!(discovery::missing(&catalog, &set).is_empty(), "{:?}", discovery::missing(&catalog, &set));
        let topic = catalog.resolve("kafka.strimzi.io/v1", "KafkaTopic").expect("a CRD's kind is in the catalog");
        assert!(topic.namespaced);
        assert_eq!(topic.ar.plural, "kafkatopics");
        assert!(!catalog.resolve("v1", "Namespace").expect("Namespace").namespaced);
    });
}

// ------------------------------------------------------------------------------------------------------
// Pod Security admission on every pod strata causes

/// Prefixes namespaces and PriorityClass names (and every pod-level reference to them) so cases and
/// reruns never share objects.
struct Renamer(String);

impl Renamer {
    fn name(&self, n: &str) -> String {
        let mut s = format!("{}-{n}", self.0);
        s.truncate(63);
        s.trim_end_matches('-').to_string()
    }
}

/// YAML (a pod template as Airflow reads it) to JSON, by kubectl: the same parser a user's `kubectl
/// apply` of that file would use.
fn yaml_to_json(kc: &Path, yaml: &str) -> Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("pod.yaml");
    std::fs::write(&f, yaml).expect("write");
    let out =
        kubectl(kc, &["create", "--dry-run=client", "--validate=false", "-o", "json", "-f", &f.display().to_string()]);
    serde_json::from_str(&out).expect("kubectl prints JSON")
}

/// The pod Airflow's KubernetesExecutor sends for one task from a pod template file: the template, with
/// the pod name, namespace, labels, and the `base` container's image and args set, as
/// `PodGenerator.construct_pod` does (apache/airflow providers/cncf/kubernetes
/// `pod_generator.py`, provider 10.x: the dynamic pod is reconciled over the template).
fn airflow_worker_pod(template: &Value, name: &str, ns: &str) -> Value {
    let mut pod = template.clone();
    pod["metadata"]["name"] = json!(name);
    pod["metadata"]["namespace"] = json!(ns);
    pod["metadata"]["labels"]["airflow-worker"] = json!("1");
    pod["metadata"]["labels"]["dag_id"] = json!("strata-test");
    let containers = pod["spec"]["containers"].as_array_mut().expect("a pod template has containers");
    let base = containers.iter_mut().find(|c| c["name"] == "base").expect("Airflow runs the `base` container");
    if base["image"].is_null() {
        base["image"] = json!("apache/airflow:3.1.3");
    }
    base["args"] = json!(["airflow", "tasks", "run", "strata-test", "task", "run-1", "--local"]);
    pod
}

/// Flink's memory notation (`1g`, `1536m`, `1000b`, as strata writes it) in MiB.
fn flink_mebibytes(s: &str) -> u64 {
    let s = s.trim().to_ascii_lowercase();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num.parse().unwrap_or_else(|_| panic!("memory {s}"));
    match unit.trim_end_matches('b') {
        "" => n.div_ceil(1 << 20),
        "k" => n.div_ceil(1 << 10),
        "m" => n,
        "g" => n << 10,
        "t" => n << 20,
        u => panic!("unit {u} of {s}"),
    }
}

fn number(v: &Value) -> f64 {
    v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).unwrap_or_else(|| panic!("not a number: {v}"))
}

/// JobManager and TaskManager pods of a FlinkDeployment, merged the way Flink's native Kubernetes
/// integration merges the operator-provided pod template (apache/flink release-1.20,
/// flink-kubernetes `kubeclient/decorators/InitJobManagerDecorator.java` and
/// `InitTaskManagerDecorator.java`): the template's pod is kept, its `flink-main-container` gets the
/// image, pull policy, ports and resources (requests from `spec.<role>.resource`, limits times the
/// `kubernetes.<role>.{cpu,memory}.limit-factor`, `KubernetesUtils.getResourceRequirements`), the pod
/// gets the service account (`kubernetes.service-account`, which the operator sets from
/// `spec.serviceAccount`) and the flink-config volume.
fn flink_pods(fd: &Value, ns: &str) -> Vec<Value> {
    let spec = &fd["spec"];
    let name = fd["metadata"]["name"].as_str().unwrap();
    let conf = &spec["flinkConfiguration"];
    let factor = |k: &str| conf[k].as_str().and_then(|v| v.parse::<f64>().ok()).unwrap_or(1.0);
    let mut pods = Vec::new();
    for (role, key, ports) in [
        (
            "jobmanager",
            "jobManager",
            json!([{"name": "rest", "containerPort": 8081}, {"name": "jobmanager-rpc", "containerPort": 6123}, {"name": "blobserver", "containerPort": 6124}]),
        ),
        ("taskmanager", "taskManager", json!([{"name": "rpc", "containerPort": 6122}])),
    ] {
        let mut pod = spec["podTemplate"].clone();
        if pod.is_null() {
            pod = json!({"apiVersion": "v1", "kind": "Pod", "spec": {}});
        }
        pod["apiVersion"] = json!("v1");
        pod["kind"] = json!("Pod");
        pod["metadata"] = json!({"name": format!("{name}-{role}"), "namespace": ns,
            "labels": {"app": name, "component": role, "type": "flink-native-kubernetes"}});
        let resource = &spec[key]["resource"];
        let cpu = number(&resource["cpu"]);
        let mem = flink_mebibytes(resource["memory"].as_str().expect("memory"));
        let cpu_limit = cpu * factor(&format!("kubernetes.{role}.cpu.limit-factor"));
        let mem_limit = (mem as f64 * factor(&format!("kubernetes.{role}.memory.limit-factor"))) as u64;
        let p = pod["spec"].as_object_mut().expect("pod spec");
        p.insert("serviceAccountName".into(), spec["serviceAccount"].clone());
        p.insert("restartPolicy".into(), json!(if role == "jobmanager" { "Always" } else { "Never" }));
        let volumes = p.entry("volumes").or_insert_with(|| json!([]));
        volumes
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "flink-config-volume", "configMap": {"name": format!("flink-config-{name}")}}));
        let containers = p.entry("containers").or_insert_with(|| json!([]));
        let list = containers.as_array_mut().unwrap();
        if !list.iter().any(|c| c["name"] == "flink-main-container") {
            list.push(json!({"name": "flink-main-container"}));
        }
        let main = list.iter_mut().find(|c| c["name"] == "flink-main-container").unwrap();
        main["image"] = spec["image"].clone();
        main["imagePullPolicy"] = spec["imagePullPolicy"].clone();
        main["ports"] = ports;
        main["args"] = json!([if role == "jobmanager" { "jobmanager" } else { "taskmanager" }]);
        main["resources"] = json!({
            "requests": {"cpu": format!("{}m", (cpu * 1000.0).round() as u64), "memory": format!("{mem}Mi")},
            "limits": {"cpu": format!("{}m", (cpu_limit * 1000.0).round() as u64), "memory": format!("{mem_limit}Mi")},
        });
        let mounts = main.as_object_mut().unwrap().entry("volumeMounts").or_insert_with(|| json!([]));
        mounts.as_array_mut().unwrap().push(json!({"name": "flink-config-volume", "mountPath": "/opt/flink/conf"}));
        pods.push(pod);
    }
    pods
}

/// Spark's memory notation (`2g`, `819m`) in MiB.
fn spark_mebibytes(s: &str) -> u64 {
    flink_mebibytes(s)
}

/// Driver and executor pods of a SparkApplication spec, as spark-submit builds them and the Spark
/// operator's webhook patches them: container `spark-kubernetes-driver`/`-executor` with the image, CPU
/// request (`coreRequest`, else `cores`), CPU limit (`coreLimit`) and memory request = limit = memory +
/// overhead (apache/spark v3.5.1 `resource-managers/kubernetes/core/.../features/BasicDriverFeatureStep.scala`
/// and `BasicExecutorFeatureStep.scala`); then pod `securityContext` from `podSecurityContext`, container
/// `securityContext`, service account, priority class, node selector and tolerations from the role's
/// spec (kubeflow/spark-operator v2.5.2 `internal/webhook/sparkpod_defaulter.go`).
fn spark_pods(app_name: &str, spec: &Value, ns: &str) -> Vec<Value> {
    let mut pods = Vec::new();
    for (role, container) in [("driver", "spark-kubernetes-driver"), ("exec-1", "spark-kubernetes-executor")] {
        let r = if role == "driver" { &spec["driver"] } else { &spec["executor"] };
        let cores = r["cores"].as_u64().unwrap_or(1);
        let request = r["coreRequest"].as_str().map(str::to_string).unwrap_or_else(|| cores.to_string());
        let memory = spark_mebibytes(r["memory"].as_str().unwrap_or("1g"));
        let overhead = match r["memoryOverhead"].as_str() {
            Some(o) => spark_mebibytes(o),
            None => {
                let f = spec["memoryOverheadFactor"].as_str().and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.1);
                ((memory as f64 * f) as u64).max(384)
            }
        };
        let mut limits = json!({"memory": format!("{}Mi", memory + overhead)});
        if let Some(l) = r["coreLimit"].as_str() {
            limits["cpu"] = json!(l);
        }
        let mut c = json!({
            "name": container,
            "image": r["image"].as_str().or(spec["image"].as_str()).unwrap_or("apache/spark:3.5.1"),
            "args": [if role == "driver" { "driver" } else { "executor" }],
            "resources": {"requests": {"cpu": request, "memory": format!("{}Mi", memory + overhead)}, "limits": limits},
        });
        if !spec["imagePullPolicy"].is_null() {
            c["imagePullPolicy"] = spec["imagePullPolicy"].clone();
        }
        if !r["securityContext"].is_null() {
            c["securityContext"] = r["securityContext"].clone();
        }
        let mut p = Map::new();
        p.insert("restartPolicy".into(), json!("Never"));
        p.insert("containers".into(), json!([c]));
        for (from, to) in [
            ("podSecurityContext", "securityContext"),
            ("serviceAccount", "serviceAccountName"),
            ("priorityClassName", "priorityClassName"),
            ("tolerations", "tolerations"),
        ] {
            if !r[from].is_null() {
                p.insert(to.into(), r[from].clone());
            }
        }
        let mut selector = spec["nodeSelector"].as_object().cloned().unwrap_or_default();
        selector.extend(r["nodeSelector"].as_object().cloned().unwrap_or_default());
        if !selector.is_empty() {
            p.insert("nodeSelector".into(), Value::Object(selector));
        }
        if let Some(secrets) = spec["imagePullSecrets"].as_array() {
            p.insert("imagePullSecrets".into(), json!(secrets.iter().map(|s| json!({"name": s})).collect::<Vec<_>>()));
        }
        pods.push(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("{app_name}-{role}"), "namespace": ns,
                "labels": {"spark-role": if role == "driver" { "driver" } else { "executor" }, "sparkoperator.k8s.io/app-name": app_name}},
            "spec": Value::Object(p),
        }));
    }
    pods
}

/// Every pod the objects of one case cause, by where it comes from (for messages).
fn caused_pods(kc: &Path, objects: &[Value]) -> Vec<(String, Value)> {
    let mut pods = Vec::new();
    for o in objects {
        let kind = o["kind"].as_str().unwrap_or_default();
        let name = o["metadata"]["name"].as_str().unwrap_or_default();
        let ns = o["metadata"]["namespace"].as_str().unwrap_or_default();
        match kind {
            "ConfigMap" if name.ends_with("-pod-templates") => {
                for (file, yaml) in o["data"].as_object().into_iter().flatten() {
                    let template = yaml_to_json(kc, yaml.as_str().unwrap_or_default());
                    let pod_ns = template["metadata"]["namespace"].as_str().unwrap_or(ns).to_string();
                    let stem = file.trim_end_matches(".yaml").replace('_', "-");
                    pods.push((
                        format!("Airflow worker from {ns}/{name} {file}"),
                        airflow_worker_pod(&template, &format!("airflow-{stem}-task"), &pod_ns),
                    ));
                }
            }
            "FlinkDeployment" => {
                for p in flink_pods(o, ns) {
                    let role = p["metadata"]["labels"]["component"].as_str().unwrap().to_string();
                    pods.push((format!("Flink {role} of FlinkDeployment {ns}/{name}"), p));
                }
            }
            "SparkApplication" | "ScheduledSparkApplication" if o["apiVersion"] == "sparkoperator.k8s.io/v1beta2" => {
                let spec = if kind == "SparkApplication" { &o["spec"] } else { &o["spec"]["template"] };
                for p in spark_pods(name, spec, ns) {
                    let role = p["metadata"]["labels"]["spark-role"].as_str().unwrap().to_string();
                    pods.push((format!("Spark {role} of {kind} {ns}/{name}"), p));
                }
            }
            _ => {}
        }
    }
    pods
}

/// Renames one case's objects: namespaces and PriorityClasses get the prefix, and so do the pod-level
/// references to them (pod templates, Flink pod templates, Spark roles).
fn rename_case(r: &Renamer, objects: &mut [Value]) {
    fn fix_priority(r: &Renamer, v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if k == "priorityClassName"
                        && let Some(s) = x.as_str()
                    {
                        *x = json!(r.name(s));
                    } else {
                        fix_priority(r, x);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| fix_priority(r, x)),
            _ => {}
        }
    }
    for o in objects.iter_mut() {
        let kind = o["kind"].as_str().unwrap_or_default().to_string();
        if let Some(ns) = o["metadata"]["namespace"].as_str().map(str::to_string) {
            o["metadata"]["namespace"] = json!(r.name(&ns));
        } else if kind == "Namespace" || kind == "PriorityClass" {
            let n = o["metadata"]["name"].as_str().unwrap().to_string();
            o["metadata"]["name"] = json!(r.name(&n));
        }
        fix_priority(r, o);
        // Pod templates are YAML text inside a ConfigMap: rename there too (one `key: value` line each).
        if kind == "ConfigMap"
            && let Some(data) = o["data"].as_object_mut()
        {
            for v in data.values_mut() {
                let Some(text) = v.as_str() else { continue };
                let fixed: Vec<String> = text
                    .lines()
                    .map(|l| match l.split_once("priorityClassName: ") {
                        Some((indent, pc)) => format!("{indent}priorityClassName: {}", r.name(pc.trim())),
                        None => match l.split_once("namespace: ") {
                            Some((indent, n)) if indent.trim().is_empty() => {
                                format!("{indent}namespace: {}", r.name(n.trim()))
                            }
                            _ => l.to_string(),
                        },
                    })
                    .collect();
                *v = json!(fixed.join("\n"));
            }
        }
    }
}

/// Creates, for real, what admission of a case's pods depends on: namespaces (with strata's Pod Security
/// labels), ServiceAccounts, ResourceQuotas, LimitRanges and PriorityClasses.
async fn admission_prerequisites(kube: &Kube, catalog: &discovery::Catalog, objects: &[Value]) {
    let mut namespaces: BTreeSet<String> = BTreeSet::new();
    for o in objects.iter().filter(|o| o["kind"] == "Namespace") {
        let name = o["metadata"]["name"].as_str().unwrap().to_string();
        let mut labels = o["metadata"]["labels"].clone();
        if let Some(m) = labels.as_object_mut() {
            m.retain(|k, _| !k.starts_with("applyset.kubernetes.io/") && !k.starts_with("app.kubernetes.io/"));
        }
        namespace(kube, &name, labels).await;
        namespaces.insert(name);
    }
    for ns in objects.iter().filter_map(|o| o["metadata"]["namespace"].as_str()) {
        if namespaces.insert(ns.to_string()) {
            namespace(kube, ns, json!({})).await;
        }
    }
    for o in objects {
        let kind = o["kind"].as_str().unwrap_or_default();
        if !["ServiceAccount", "ResourceQuota", "LimitRange", "PriorityClass"].contains(&kind) {
            continue;
        }
        let res = catalog.resolve(o["apiVersion"].as_str().unwrap(), kind).expect("served");
        let mut body = o.clone();
        if let Some(m) = body["metadata"]["labels"].as_object_mut() {
            m.retain(|k, _| !k.starts_with("applyset.kubernetes.io/"));
        }
        let name = o["metadata"]["name"].as_str().unwrap();
        kube.apply(&res.ar, o["metadata"]["namespace"].as_str(), name, &body, MANAGER, true, false)
            .await
            .unwrap_or_else(|f| panic!("{kind}/{name}: {f}"));
    }
    for ns in &namespaces {
        quotas_computed(kube, ns).await;
    }
}

#[test]
fn every_pod_strata_causes_is_admitted_under_its_tenants_pod_security_level() {
    let Some(kc) = cluster("every_pod_strata_causes_is_admitted_under_its_tenants_pod_security_level") else { return };
    let run = unique("psa");
    runtime().block_on(async {
        let kube = connect(&kc).await;
        let mut rejected = Vec::new();
        let mut admitted: BTreeMap<&str, usize> = BTreeMap::new();
        let mut cleanup: Vec<(ApiResource, String)> = Vec::new();
        let mut restricted_namespaces = BTreeSet::new();
        for (i, (case, spec)) in valid_cases().iter().enumerate() {
            for (j, c) in strata::compile_path_envs(spec).into_iter().enumerate() {
                let set = c.manifests.unwrap_or_else(|| panic!("{case} is a valid case but does not compile"));
                let catalog = discovery::discover(&kube, &set, &BTreeSet::new()).await.expect("discovery");
                let r = Renamer(format!("{run}-{}", i * 16 + j));
                let mut objects: Vec<Value> = set.items.iter().map(|m| m.object.clone()).collect();
                rename_case(&r, &mut objects);
                let pods = caused_pods(&kc, &objects);
                if pods.is_empty() {
                    continue;
                }
                admission_prerequisites(&kube, &catalog, &objects).await;
                for o in &objects {
                    match o["kind"].as_str() {
                        Some("Namespace") => {
                            let name = o["metadata"]["name"].as_str().unwrap().to_string();
                            if o["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted" {
                                restricted_namespaces.insert(name.clone());
                            }
                            cleanup.push((ar::<k8s_openapi::api::core::v1::Namespace>(), name));
                        }
                        Some("PriorityClass") => cleanup.push((
                            ar::<k8s_openapi::api::scheduling::v1::PriorityClass>(),
                            o["metadata"]["name"].as_str().unwrap().to_string(),
                        )),
                        _ => {}
                    }
                }
                for (what, pod) in pods {
                    let ns = pod["metadata"]["namespace"].as_str().unwrap().to_string();
                    let name = pod["metadata"]["name"].as_str().unwrap().to_string();
                    match kube.apply(&pod_ar(), Some(&ns), &name, &pod, MANAGER, true, true).await {
                        Ok(_) => {
                            let source = match what.split_whitespace().next() {
                                Some("Airflow") => "Airflow",
                                Some("Flink") => "Flink",
                                Some("Spark") => "Spark",
                                _ => "other",
                            };
                            *admitted.entry(source).or_default() += 1;
                            eprintln!("{case}: admitted {what} in {ns}");
                        }
                        Err(f) => rejected.push(format!("{case}: {what} in {ns}: {f}")),
                    }
                }
            }
        }
        for (kind, n) in &admitted {
            eprintln!("{n} {kind} pod(s) admitted");
        }
        assert!(rejected.is_empty(), "the apiserver refused {} pod(s):\n{}", rejected.len(), rejected.join("\n"));
        for source in ["Airflow", "Flink", "Spark"] {
            assert!(admitted.get(source).copied().unwrap_or(0) > 0, "no {source} pod was tried: {admitted:?}");
        }

        // The same admission refuses a pod that breaks `restricted`, in one of the namespaces above.
        let ns = restricted_namespaces.iter().next().expect("a restricted tenant namespace").clone();
        let mut bad = compliant_pod("privileged", &ns, "100m", "64Mi");
        bad["spec"]["containers"][0]["securityContext"] = json!({"privileged": true, "allowPrivilegeEscalation": true});
        let err = kube.apply(&pod_ar(), Some(&ns), "privileged", &bad, MANAGER, true, true).await.expect_err("refused");
        assert_eq!(err.code, 403, "{err}");
        assert!(err.message.contains("violates PodSecurity \"restricted:latest\""), "{err}");
        assert!(err.message.contains("privileged"), "{err}");

        for (ar, name) in cleanup {
            let _ = kube.delete(&ar, None, &name, None, false).await;
        }
    });
}

// ------------------------------------------------------------------------------------------------------
// ResourceQuota admission against strata's quota fit

fn quota_spec(platform: &str, executors: u32) -> String {
    format!(
        r#"platform "{platform}" {{
    cluster context="strata-test"
    inventory namespace="strata-system"
}}
tenant "analytics" namespace="{platform}-analytics" {{
    quota cpu=6 memory="24Gi" cpu-limit=6 memory-limit="24Gi" pods=10
}}
spark-job "etl" tenant="analytics" {{
    image "registry.acme.io/etl:1.0.0" spark-version="3.5.1"
    main "local:///opt/app/etl.jar" class="com.acme.Etl"
    driver cores=1 memory="2g"
    executors {executors} cores=1 memory="3g"
}}
"#
    )
}

/// Creates, for real, one pod per pod of every demand of `c`'s tenant; returns how many the apiserver
/// refused and the first refusal.
async fn create_demanded_pods(
    kube: &Kube,
    c: &strata::Compilation,
    ns: &str,
    tag: &str,
) -> (usize, usize, Option<String>) {
    let (mut created, mut refused, mut first) = (0, 0, None);
    for d in c.platform.demands() {
        for p in &d.pods {
            for i in 0..p.count {
                let role: String = p.role.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
                let raw = format!("{tag}-{}-{role}-{i}", d.workload).to_ascii_lowercase();
                let name: String = raw.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
                let mut pod = compliant_pod(&name, ns, "1", "1Gi");
                pod["spec"]["containers"][0]["resources"] = json!({
                    "requests": {"cpu": format!("{}m", p.cpu_request.0), "memory": format!("{}", p.memory_request.0)},
                    "limits": {"cpu": format!("{}m", p.cpu_limit.0), "memory": format!("{}", p.memory_limit.0)},
                });
                match kube.create(&pod_ar(), Some(ns), &pod).await {
                    Ok(_) => created += 1,
                    Err(f) => {
                        refused += 1;
                        first.get_or_insert_with(|| f.to_string());
                    }
                }
            }
        }
    }
    (created, refused, first)
}

#[test]
fn pods_beyond_a_tenants_quota_are_refused_as_strata_check_predicts() {
    let Some(kc) = cluster("pods_beyond_a_tenants_quota_are_refused_as_strata_check_predicts") else { return };
    let platform = unique("quota");
    let dir = spec_dir(&quota_spec(&platform, 2));
    let k = kc.display().to_string();
    let ns = format!("{platform}-analytics");

    // 1 driver (1 core, 2g + 384m overhead) + 2 executors (1 core, 3g + 384m): 3 CPU, ~9.1Gi of 6 / 24Gi.
    let fits = strata::compile_path(&dir.path().join("platform.kdl"));
    assert!(fits.ok(), "{:?}", fits.diagnostics);
    // 5 executors: 6 CPU exactly is still within; 6 executors need 7 CPU of 6.
    let over_dir = spec_dir(&quota_spec(&platform, 6));
    let over = strata::compile_path(&over_dir.path().join("platform.kdl"));
    let codes: Vec<&str> = over.diagnostics.iter().map(|d| d.code).collect();
    assert!(codes.contains(&"strata::quota::fit"), "strata check predicts the 6-executor job does not fit: {codes:?}");

    // The tenant's namespace, quota and limits, as strata applies them.
    let o = strata(dir.path(), &["apply", "--kubeconfig", &k]);
    assert!(o.status.success(), "{}", text(&o).1);
    runtime().block_on(async {
        let kube = connect(&kc).await;
        quotas_computed(&kube, &ns).await;

        let (created, refused, first) = create_demanded_pods(&kube, &fits, &ns, "fits").await;
        assert_eq!((created, refused), (3, 0), "strata check says it fits, so every pod is admitted: {first:?}");
        // Pods count against the quota as soon as they exist; free it again for the second half.
        let pods = kube.list(&pod_ar(), Some(&ns), "").await.expect("list");
        for p in pods {
            let name = p["metadata"]["name"].as_str().unwrap();
            kube.delete(&pod_ar(), Some(&ns), name, None, false).await.expect("delete");
        }
        let rq = ar::<k8s_openapi::api::core::v1::ResourceQuota>();
        eventually!(
            "the quota's usage back to zero",
            Duration::from_secs(60),
            async {
                let pods = kube.list(&pod_ar(), Some(&ns), "").await.ok()?;
                let q = kube.list(&rq, Some(&ns), "").await.ok()?;
                (pods.is_empty() && q.iter().all(|q| q["status"]["used"]["pods"] == "0")).then_some(())
            }
            .await
        );

        let (created, refused, first) = create_demanded_pods(&kube, &over, &ns, "over").await;
        let first = first.unwrap_or_default();
        assert!(refused >= 1, "strata check says it does not fit, so a pod is refused ({created} created)");
        assert!(first.contains("exceeded quota") && first.contains("403"), "{first}");
        assert!(first.contains("requests.cpu") || first.contains("limits.cpu"), "{first}");
    });
    let _ = kubectl_raw(&kc, &["delete", "namespace", &ns, "--wait=false"]);
}

// ------------------------------------------------------------------------------------------------------
// Workloads scheduled onto kwok's fake nodes

fn pod_template(labels: Value, restart: &str) -> Value {
    let mut pod = compliant_pod("x", "x", "100m", "64Mi");
    let spec = pod["spec"].take();
    let mut t = json!({"metadata": {"labels": labels}, "spec": spec});
    t["spec"]["restartPolicy"] = json!(restart);
    t
}

#[test]
fn deployments_and_jobs_in_a_tenant_namespace_are_scheduled_and_run() {
    let Some(kc) = cluster("deployments_and_jobs_in_a_tenant_namespace_are_scheduled_and_run") else { return };
    let ns = unique("run");
    runtime().block_on(async {
        let kube = connect(&kc).await;
        namespace(&kube, &ns, restricted()).await;
        let deploy = ar::<k8s_openapi::api::apps::v1::Deployment>();
        let job = ar::<k8s_openapi::api::batch::v1::Job>();
        let d = json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": ns},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": pod_template(json!({"app": "web"}), "Always")},
        });
        let j = json!({
            "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once", "namespace": ns},
            "spec": {"completions": 2, "parallelism": 2, "backoffLimit": 0, "template": pod_template(json!({"app": "once"}), "Never")},
        });
        // Not compliant with `restricted`: the Deployment is accepted (enforce does not apply to workload
        // objects), but its ReplicaSet cannot create a pod.
        let mut bad_template = pod_template(json!({"app": "bad"}), "Always");
        bad_template["spec"]["containers"][0]["securityContext"] = json!({"privileged": true});
        let bad = json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bad", "namespace": ns},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "bad"}}, "template": bad_template},
        });
        for (res, o) in [(&deploy, &d), (&job, &j), (&deploy, &bad)] {
            let name = o["metadata"]["name"].as_str().unwrap();
            kube.apply(res, Some(&ns), name, o, MANAGER, true, false).await.unwrap_or_else(|f| panic!("{name}: {f}"));
        }
        let pods_of = |app: &'static str| {
            let kube = kube.clone();
            let ns = ns.clone();
            async move { kube.list(&pod_ar(), Some(&ns), &format!("app={app}")).await.unwrap_or_default() }
        };
        let web = eventually!("3 web pods Running on the fake nodes", Duration::from_secs(120), async {
            let pods = pods_of("web").await;
            (pods.len() == 3 && pods.iter().all(|p| p["status"]["phase"] == "Running")).then_some(pods)
        }.await);
        let nodes: BTreeSet<&str> = web.iter().filter_map(|p| p["spec"]["nodeName"].as_str()).collect();
        assert!(nodes.iter().all(|n| n.starts_with("strata-node-")), "bound by the scheduler to kwok's nodes: {nodes:?}");
        eventually!("the Deployment Available with 3 ready replicas", Duration::from_secs(120), async {
            let d = kube.get(&deploy, Some(&ns), "web").await.ok()??;
            (d["status"]["readyReplicas"] == 3).then_some(())
        }.await);
        eventually!("the Job Complete", Duration::from_secs(120), async {
            let j = kube.get(&job, Some(&ns), "once").await.ok()??;
            let complete = j["status"]["conditions"]
                .as_array()
                .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Complete" && c["status"] == "True"));
            (complete && j["status"]["succeeded"] == 2).then_some(())
        }.await);
        let done = pods_of("once").await;
        assert!(done.iter().filter(|p| p["status"]["phase"] == "Succeeded").count() >= 2, "{done:?}");

        let rs = ar::<k8s_openapi::api::apps::v1::ReplicaSet>();
        let why = eventually!("the bad Deployment's ReplicaSet to report FailedCreate", Duration::from_secs(120), async {
            let sets = kube.list(&rs, Some(&ns), "app=bad").await.ok()?;
            sets.iter().find_map(|s| {
                s["status"]["conditions"].as_array()?.iter().find_map(|c| {
                    (c["type"] == "ReplicaFailure" && c["reason"] == "FailedCreate").then(|| c["message"].to_string())
                })
            })
        }.await);
        assert!(why.contains("violates PodSecurity"), "{why}");
        assert!(pods_of("bad").await.is_empty(), "no pod of the non-compliant Deployment exists");
        let _ = kube.delete(&ar::<k8s_openapi::api::core::v1::Namespace>(), None, &ns, None, false).await;
    });
}

// ------------------------------------------------------------------------------------------------------
// Prune of a tenant, to its end

fn tenants_spec(platform: &str, tenants: &[&str]) -> String {
    let mut s = format!(
        "platform \"{platform}\" {{\n    cluster context=\"strata-test\"\n    inventory namespace=\"strata-system\"\n}}\n"
    );
    for name in tenants {
        s.push_str(&format!("tenant \"{name}\" namespace=\"{platform}-{name}\" {{\n    quota pods=5\n}}\n"));
    }
    s
}

#[test]
fn pruning_a_tenant_deletes_its_namespace_to_the_end_and_garbage_collects_owned_objects() {
    let Some(kc) = cluster("pruning_a_tenant_deletes_its_namespace_to_the_end_and_garbage_collects_owned_objects")
    else {
        return;
    };
    let p = unique("gc");
    let k = kc.display().to_string();
    let beta = format!("{p}-beta");
    let dir = spec_dir(&tenants_spec(&p, &["alpha", "beta"]));
    let (code, _, err) = run_json(dir.path(), &["apply", "--kubeconfig", &k]);
    assert_eq!(code, 0, "{err}");
    let id = strata::manifest::ApplySetRef::for_platform(&p, "strata-system").id;
    let before = member_versions(&kc, &id, "namespaces,resourcequotas,networkpolicies,limitranges");
    assert!(!before.is_empty());
    // A re-apply of the same spec persists nothing: every member keeps its resourceVersion.
    let (code, r, err) = run_json(dir.path(), &["apply", "--kubeconfig", &k]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["requests"]["writes"], 0, "{r}");
    assert_members_unchanged(
        &before,
        &member_versions(&kc, &id, "namespaces,resourcequotas,networkpolicies,limitranges"),
        "re-apply persisted something",
    );

    runtime().block_on(async {
        let kube = connect(&kc).await;
        let cm = ar::<k8s_openapi::api::core::v1::ConfigMap>();
        // Objects a tenant's workloads leave behind (not strata's): an owner and what it owns.
        let owner = kube
            .create(&cm, Some(&beta), &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owner"}}))
            .await
            .expect("owner");
        let uid = owner["metadata"]["uid"].as_str().unwrap();
        for name in ["owned-1"] {
            let o = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name,
                "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": uid}]}});
            kube.create(&cm, Some(&beta), &o).await.expect("owned");
        }
        // Garbage collection: deleting the owner takes what it owns with it.
        kube.delete(&cm, Some(&beta), "owner", None, false).await.expect("delete owner");
        eventually!("the garbage collector to delete owned-1", Duration::from_secs(60), async {
            kube.get(&cm, Some(&beta), "owned-1").await.ok()?.is_none().then_some(())
        }.await);
        // The negative: an object whose owner still exists is kept.
        let keeper = kube
            .create(&cm, Some(&beta), &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keeper"}}))
            .await
            .expect("keeper");
        let o = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kept",
            "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "keeper", "uid": keeper["metadata"]["uid"]}]}});
        kube.create(&cm, Some(&beta), &o).await.expect("kept");
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(kube.get(&cm, Some(&beta), "kept").await.expect("get").is_some(), "GC keeps an object with a live owner");
    });

    write_spec(dir.path(), &tenants_spec(&p, &["alpha"]));
    let (code, r, err) = run_json(dir.path(), &["apply", "--kubeconfig", &k, "--prune", "--allow-data-loss"]);
    assert_eq!(code, 0, "{err}\n{r}");
    assert_eq!(actions(&r)[&format!("Namespace/{beta}")], "pruned", "{r}");
    // The namespace controller finishes the deletion: the namespace and everything in it are gone.
    runtime().block_on(async {
        let kube = connect(&kc).await;
        let nsr = ar::<k8s_openapi::api::core::v1::Namespace>();
        eventually!(
            &format!("namespace {beta} to be deleted completely"),
            Duration::from_secs(120),
            async {
                match kube.get(&nsr, None, &beta).await {
                    Ok(None) => Some(()),
                    _ => None,
                }
            }
            .await
        );
        let cm = ar::<k8s_openapi::api::core::v1::ConfigMap>();
        assert!(kube.get(&cm, Some(&beta), "kept").await.expect("get").is_none());
        assert!(kube.get(&nsr, None, &format!("{p}-alpha")).await.expect("get").is_some(), "the other tenant stays");
    });
    // Planning again finds nothing to do: the pruned namespace is no longer a member.
    let (code, r, err) = run_json(dir.path(), &["plan", "--kubeconfig", &k]);
    assert_eq!(code, 0, "{err}\n{r}");
    assert!(!actions(&r).contains_key(&format!("Namespace/{beta}")), "{r}");
}
