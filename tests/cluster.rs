//! Server-side validation of everything strata emits: the bundled platform and every valid golden case
//! (a `golden/*/expected.yaml` exists) are compiled and each object is sent to the test apiserver as a
//! server-side apply with `dryRun=All`, so the apiserver's own validation, admission and the operators'
//! CRD schemas judge it, CEL rules (`x-kubernetes-validations`) included, since the test cluster runs a
//! current release with the CRDs installed unmodified. Zero rejections are allowed. Negative tests prove
//! the server really validates: a KafkaTopic with `spec.partitions: 0`, which strata's own checks would
//! never emit, and KafkaUsers that break a CEL rule must be rejected.
//!
//! Namespaces: a dry run into a namespace that does not exist fails, and the cases share namespace
//! names (`analytics`, ...) with each other and with the reconciler tests. So each case's namespaces
//! are renamed with a unique prefix and created for real (empty namespaces, labelled
//! `strata.dev/test=dry-run`), every other object is dry-run inside them, and cluster-scoped objects
//! (PriorityClasses) are renamed the same way. Renaming changes only `metadata.name`/`namespace`,
//! which no validation rule of these kinds looks at beyond the DNS-1123 format the prefix keeps.
//!
//! Without a cluster each test says `SKIPPED` on stderr; under `CI=true` it fails (see tests/support).

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{Value, json};
use strata::reconcile::Kube;
use strata::reconcile::discovery::{self, Catalog};
use support::*;

/// API versions strata may emit that the test cluster cannot serve, and why. Anything else missing fails.
/// Strimzi 0.x's `v1beta2` (emitted for Kafka clusters declared as running Strimzi 0.x) shares CRD names with
/// Strimzi 1.x's `v1`, so one apiserver cannot serve both; the test cluster runs Strimzi 1.2.0.
const NOT_SERVED_HERE: &[(&str, &str)] = &[(
    "kafka.strimzi.io/v1beta2",
    "Strimzi 0.x API; the test cluster installs Strimzi 1.2.0 (v1 only), and both cannot be installed together",
)];

/// Renames namespaces (and cluster-scoped names) of `objects` with `prefix`, keeping DNS-1123 limits.
fn rename(prefix: &str, mut objects: Vec<Value>) -> Vec<Value> {
    let re = |name: &str| -> String {
        let mut s = format!("{prefix}-{name}");
        s.truncate(63);
        s.trim_end_matches('-').to_string()
    };
    for o in &mut objects {
        let meta = o["metadata"].as_object_mut().expect("metadata");
        match meta.get("namespace").and_then(Value::as_str).map(str::to_string) {
            Some(ns) => {
                meta.insert("namespace".into(), Value::String(re(&ns)));
            }
            None => {
                let name = meta["name"].as_str().unwrap_or_default().to_string();
                meta.insert("name".into(), Value::String(re(&name)));
            }
        }
    }
    objects
}

/// Dry-runs every object (namespaces created for real first). Returns the rejections.
async fn dry_run_all(kube: &Kube, catalog: &Catalog, objects: &[Value]) -> Vec<String> {
    let mut rejections = Vec::new();
    // Namespaces first, for real (an empty namespace is harmless): the spec's own Namespace objects, and
    // a bare namespace for every other one its objects use (a Kafka cluster's namespace, which exists
    // wherever Strimzi runs); then everything else as a dry run.
    let mut namespaces: Vec<Value> = objects.iter().filter(|o| o["kind"] == "Namespace").cloned().collect();
    let own: BTreeSet<String> =
        namespaces.iter().filter_map(|n| n["metadata"]["name"].as_str().map(str::to_string)).collect();
    let used: BTreeSet<String> =
        objects.iter().filter_map(|o| o["metadata"]["namespace"].as_str().map(str::to_string)).collect();
    for ns in used.difference(&own) {
        namespaces.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}));
    }
    for o in &namespaces {
        let ar = strata::reconcile::inventory::namespace_resource();
        let mut body = o.clone();
        if body["metadata"]["labels"].is_null() {
            body["metadata"]["labels"] = json!({});
        }
        // Created for real, so it must not join the platform's ApplySet (a later `apply --prune` of the
        // same platform would then see it as its own).
        if let Some(labels) = body["metadata"]["labels"].as_object_mut() {
            labels.retain(|k, _| !k.starts_with("applyset.kubernetes.io/") && !k.starts_with("app.kubernetes.io/"));
        }
        body["metadata"]["labels"]["strata.dev/test"] = json!("dry-run");
        let name = body["metadata"]["name"].as_str().unwrap().to_string();
        if let Err(f) = kube.apply(&ar, None, &name, &body, "strata-cluster-test", true, false).await {
            rejections.push(format!("Namespace/{name}: {f}"));
        }
    }
    for o in objects.iter().filter(|o| o["kind"] != "Namespace") {
        let (av, kind) = (o["apiVersion"].as_str().unwrap(), o["kind"].as_str().unwrap());
        let name = o["metadata"]["name"].as_str().unwrap();
        let ns = o["metadata"]["namespace"].as_str();
        let Some(res) = catalog.resolve(av, kind) else {
            rejections.push(format!("{av} {kind} {name}: not served by the test cluster"));
            continue;
        };
        if let Err(f) = kube.apply(&res.ar, ns, name, o, "strata-cluster-test", true, true).await {
            rejections.push(format!("{kind}/{}{name}: {f}", ns.map(|n| format!("{n}/")).unwrap_or_default()));
        }
    }
    rejections
}

#[test]
fn every_emitted_object_passes_server_side_validation() {
    let Some(kc) = cluster("every_emitted_object_passes_server_side_validation") else { return };
    let run = unique("dr");
    runtime().block_on(async {
        let kube = connect(&kc).await;
        let mut report = Vec::new();
        let mut total = 0;
        let mut skipped = 0;
        for (i, (name, spec)) in valid_cases().iter().enumerate() {
            for (j, c) in strata::compile_path_envs(spec).into_iter().enumerate() {
                let set = c.manifests.unwrap_or_else(|| panic!("{name} is a valid case but does not compile"));
                let catalog = discovery::discover(&kube, &set, &Default::default()).await.expect("discovery");
                let missing = discovery::missing(&catalog, &set);
                let mut skip = BTreeSet::new();
                for m in &missing {
                    let why = NOT_SERVED_HERE.iter().find(|(av, _)| *av == m.api_version).map(|(_, why)| *why);
                    let why = why.unwrap_or_else(|| {
                        panic!("{name}: the test cluster does not serve {} {}: {m:?}", m.api_version, m.kind)
                    });
                    eprintln!("{name}: {} {} object(s) of {} not validated: {why}", m.count, m.kind, m.api_version);
                    skip.insert((m.api_version.clone(), m.kind.clone()));
                    skipped += m.count;
                }
                let objects = rename(
                    &format!("{run}-{}", i * 16 + j),
                    set.items
                        .iter()
                        .filter(|m| !skip.contains(&(m.api_version.clone(), m.kind.clone())))
                        .map(|m| m.object.clone())
                        .collect(),
                );
                total += objects.len();
                let rejected = dry_run_all(&kube, &catalog, &objects).await;
                eprintln!("{name}: {} objects, {} rejected", objects.len(), rejected.len());
                report.extend(rejected.into_iter().map(|r| format!("{name}: {r}")));
            }
        }
        assert!(total > 0, "no objects were validated");
        eprintln!("validated {total} objects; {skipped} not servable by this test cluster (see above)");
        assert!(report.is_empty(), "the apiserver rejected {} object(s):\n{}", report.len(), report.join("\n"));
    });
}

#[test]
fn the_server_rejects_an_invalid_kafka_topic() {
    let Some(kc) = cluster("the_server_rejects_an_invalid_kafka_topic") else { return };
    let ns = unique("dr-neg");
    runtime().block_on(async {
        let kube = connect(&kc).await;
        let set = strata::manifest::ManifestSet::default();
        let extra = ["KafkaTopic.kafka.strimzi.io".to_string()].into();
        let catalog = discovery::discover(&kube, &set, &extra).await.expect("discovery");
        let ns_obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
        let topic = |partitions: i64| {
            json!({
                "apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
                "metadata": {"name": "orders", "namespace": ns, "labels": {"strimzi.io/cluster": "main"}},
                "spec": {"partitions": partitions, "replicas": 1}
            })
        };
        // The valid topic passes, so the rejection below is about the partitions and nothing else.
        assert!(dry_run_all(&kube, &catalog, &[ns_obj.clone(), topic(3)]).await.is_empty());
        let rejected = dry_run_all(&kube, &catalog, &[ns_obj, topic(0)]).await;
        assert_eq!(rejected.len(), 1, "{rejected:?}");
        assert!(rejected[0].contains("spec.partitions"), "{}", rejected[0]);
        assert!(rejected[0].contains("greater than or equal to 1"), "{}", rejected[0]);
        assert!(rejected[0].contains("422"), "{}", rejected[0]);
    });
}

/// The API server is the oracle for the quota split: a PriorityClass-scoped quota with storage and claim
/// counts (what a tier plus `priority-classes` used to emit as one object) is refused, the compute part
/// alone is accepted, and so is the rest without a scope.
#[test]
fn the_server_refuses_storage_under_a_priority_class_scope() {
    let Some(kc) = cluster("the_server_refuses_storage_under_a_priority_class_scope") else { return };
    let ns = unique("rq-scope");
    runtime().block_on(async {
        let kube = connect(&kc).await;
        let set = strata::manifest::ManifestSet::default();
        let extra = ["ResourceQuota".to_string()].into();
        let catalog = discovery::discover(&kube, &set, &extra).await.expect("discovery");
        let ns_obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
        let scope =
            json!({"matchExpressions": [{"operator": "In", "scopeName": "PriorityClass", "values": ["batch"]}]});
        let quota = |name: &str, hard: Value, scoped: bool| {
            let mut q = json!({
                "apiVersion": "v1", "kind": "ResourceQuota",
                "metadata": {"name": name, "namespace": ns},
                "spec": {"hard": hard}
            });
            if scoped {
                q["spec"]["scopeSelector"] = scope.clone();
            }
            q
        };
        let compute = json!({"requests.cpu": "8", "limits.memory": "32Gi", "pods": "50", "count/pods": "40"});
        let rest = json!({"requests.storage": "200Gi", "persistentvolumeclaims": "10"});
        let split = [
            ns_obj.clone(),
            quota("tenant-quota", compute.clone(), true),
            quota("tenant-quota-objects", rest.clone(), false),
        ];
        assert!(dry_run_all(&kube, &catalog, &split).await.is_empty());
        let mut both = compute.as_object().unwrap().clone();
        both.extend(rest.as_object().unwrap().clone());
        let rejected = dry_run_all(&kube, &catalog, &[ns_obj, quota("tenant-quota", Value::Object(both), true)]).await;
        assert_eq!(rejected.len(), 1, "{rejected:?}");
        assert!(rejected[0].contains("unsupported scope applied to resource"), "{}", rejected[0]);
    });
}

/// The LimitRanger admission plugin is the oracle for `strata::admission::limit-range`: every pod shape of
/// the `admission-invalid` golden case is sent as a dry-run Pod into a namespace holding its tenant's
/// LimitRange (created for real, since admission reads it from the cluster). The server refuses exactly the
/// pods strata reports, with the message strata quotes. A LimitRange strata calls out of order
/// (`strata::tenant::limits-order`) is refused by the server itself.
#[test]
fn the_limit_ranger_refuses_exactly_the_pods_strata_reports() {
    let Some(kc) = cluster("the_limit_ranger_refuses_exactly_the_pods_strata_reports") else { return };
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden/admission-invalid/platform.kdl");
    let c = strata::compile_path(&spec);
    let p = &c.platform;
    let quantity = |v: &dyn ToString| json!(v.to_string());
    runtime().block_on(async {
        let kube = connect(&kc).await;
        let set = strata::manifest::ManifestSet::default();
        let extra = ["Pod".to_string(), "LimitRange".to_string(), "ServiceAccount".to_string()].into();
        let catalog = discovery::discover(&kube, &set, &extra).await.expect("discovery");
        let (pod_ar, lr_ar) = (
            catalog.resolve("v1", "Pod").expect("pods served").ar.clone(),
            catalog.resolve("v1", "LimitRange").expect("limitranges served").ar.clone(),
        );
        let sa_ar = catalog.resolve("v1", "ServiceAccount").expect("serviceaccounts served").ar.clone();
        let mut checked = 0;
        for t in &p.tenants {
            let Some(l) = p.effective_limits(t) else { continue };
            let ns = unique("lr");
            assert!(dry_run_all(&kube, &catalog, &[json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})]).await.is_empty());
            // No controller-manager creates the namespace's `default` ServiceAccount, which pod admission needs.
            let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": ns}});
            kube.apply(&sa_ar, Some(&ns), "default", &sa, "strata-cluster-test", true, false).await.expect("service account");
            let mut item = json!({"type": "Container"});
            let mut put = |field: &str, res: &str, v: Option<Value>| {
                if let Some(v) = v {
                    item[field][res] = v;
                }
            };
            put("default", "cpu", l.default_cpu.map(|v| quantity(&v.value)));
            put("default", "memory", l.default_memory.map(|v| quantity(&v.value)));
            put("defaultRequest", "cpu", l.default_cpu_request.map(|v| quantity(&v.value)));
            put("defaultRequest", "memory", l.default_memory_request.map(|v| quantity(&v.value)));
            put("max", "cpu", l.max_cpu.map(|v| quantity(&v.value)));
            put("max", "memory", l.max_memory.map(|v| quantity(&v.value)));
            put("min", "cpu", l.min_cpu.map(|v| quantity(&v.value)));
            put("min", "memory", l.min_memory.map(|v| quantity(&v.value)));
            put("maxLimitRequestRatio", "cpu", l.max_cpu_ratio.map(|v| quantity(&v.value)));
            put("maxLimitRequestRatio", "memory", l.max_memory_ratio.map(|v| quantity(&v.value)));
            let lr = json!({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "tenant-defaults", "namespace": ns}, "spec": {"limits": [item]}});
            let created = kube.apply(&lr_ar, Some(&ns), "tenant-defaults", &lr, "strata-cluster-test", true, false).await;
            let spans: Vec<_> = [l.min_cpu.map(|v| v.span), l.max_cpu.map(|v| v.span), l.default_cpu.map(|v| v.span)]
                .into_iter()
                .chain([l.min_memory.map(|v| v.span), l.max_memory.map(|v| v.span), l.default_memory.map(|v| v.span)])
                .chain([l.max_cpu_ratio.map(|v| v.span), l.max_memory_ratio.map(|v| v.span)])
                .flatten()
                .collect();
            let out_of_order = c.diagnostics.iter().any(|d| {
                d.code == "strata::tenant::limits-order" && d.primary.as_ref().is_some_and(|pl| spans.contains(&pl.span))
            });
            assert_eq!(created.is_err(), out_of_order, "tenant `{}`: LimitRange {lr} -> {created:?}", t.name.value);
            if created.is_err() {
                checked += 1;
                continue;
            }
            for demand in p.demands().iter().filter(|d| d.tenant == t.name.value) {
                for pod in demand.admitted_pods() {
                    let mut expected = strata::diagnostic::Diagnostics::new();
                    strata::check::admission::check_pod(t, &l, demand, &pod, &mut expected);
                    let containers: Vec<Value> = pod
                        .containers
                        .iter()
                        .map(|k| {
                            let mut r = json!({});
                            let mut set = |side: &str, res: &str, v: Option<String>| {
                                if let Some(v) = v {
                                    r[side][res] = json!(v);
                                }
                            };
                            set("requests", "cpu", k.cpu_request.map(|v| v.to_string()));
                            set("limits", "cpu", k.cpu_limit.map(|v| v.to_string()));
                            set("requests", "memory", k.memory_request.map(|v| v.to_string()));
                            set("limits", "memory", k.memory_limit.map(|v| v.to_string()));
                            json!({"name": k.name, "image": "registry.example/app:1.0", "resources": r})
                        })
                        .collect();
                    let body = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": ns}, "spec": {"automountServiceAccountToken": false, "containers": containers}});
                    // The plugin reads LimitRanges through an informer: a just-created one may take a moment.
                    let mut verdict = kube.apply(&pod_ar, Some(&ns), "p", &body, "strata-cluster-test", true, true).await;
                    for _ in 0..20 {
                        if verdict.is_err() || expected.is_empty() {
                            break;
                        }
                        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                        verdict = kube.apply(&pod_ar, Some(&ns), "p", &body, "strata-cluster-test", true, true).await;
                    }
                    let who = format!("{} {}", demand.workload, pod.role);
                    match (&verdict, expected.is_empty()) {
                        (Ok(_), true) => {}
                        (Err(e), false) => {
                            let server = e.to_string();
                            for d in expected.iter() {
                                let quoted = d.notes.iter().find_map(|n| n.split_once(": \"").map(|(_, q)| q.trim_end_matches('"'))).expect("a quoted message");
                                assert!(server.contains(quoted), "{who}: strata quotes {quoted:?}, the server said {server}");
                            }
                        }
                        (Ok(_), false) => panic!("{who}: strata reports {:?}, the server admits the pod", expected.iter().map(|d| &d.message).collect::<Vec<_>>()),
                        (Err(e), true) => panic!("{who}: strata admits the pod, the server refuses it: {e}"),
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked >= 6, "only {checked} pods and LimitRanges compared");
    });
}

/// The CRDs' `x-kubernetes-validations` (CEL) rules run: Strimzi 1.2.0's KafkaUser allows
/// `validityDays`/`renewalDays` only with `type: tls`, and only together, renewal before validity
/// (strimzi-1.2.0-kafkausers.kafka.strimzi.io.yaml, `spec.authentication`). Kubernetes 1.20 ignored these
/// rules; the OpenAPI schema alone accepts all three objects below.
#[test]
fn the_server_enforces_the_crds_cel_validation_rules() {
    let Some(kc) = cluster("the_server_enforces_the_crds_cel_validation_rules") else { return };
    let ns = unique("cel");
    runtime().block_on(async {
        let kube = connect(&kc).await;
        let set = strata::manifest::ManifestSet::default();
        let extra = ["KafkaUser.kafka.strimzi.io".to_string()].into();
        let catalog = discovery::discover(&kube, &set, &extra).await.expect("discovery");
        let ns_obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
        let user = |authentication: Value| {
            json!({
                "apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaUser",
                "metadata": {"name": "reporting", "namespace": ns, "labels": {"strimzi.io/cluster": "main"}},
                "spec": {"authentication": authentication}
            })
        };
        let ok = user(json!({"type": "tls", "validityDays": 30, "renewalDays": 10}));
        assert_eq!(dry_run_all(&kube, &catalog, &[ns_obj.clone(), ok]).await, Vec::<String>::new());
        let scram_with_days = user(json!({"type": "scram-sha-512", "validityDays": 30}));
        let rejected = dry_run_all(&kube, &catalog, &[ns_obj.clone(), scram_with_days]).await;
        assert_eq!(rejected.len(), 1, "{rejected:?}");
        assert!(rejected[0].contains("can be configured only with 'type: tls'"), "{}", rejected[0]);
        assert!(rejected[0].contains("422"), "{}", rejected[0]);
        let renewal_after_validity = user(json!({"type": "tls", "validityDays": 10, "renewalDays": 30}));
        let rejected = dry_run_all(&kube, &catalog, &[ns_obj, renewal_after_validity]).await;
        assert_eq!(rejected.len(), 1, "{rejected:?}");
        assert!(rejected[0].contains("must be less than"), "{}", rejected[0]);
    });
}
