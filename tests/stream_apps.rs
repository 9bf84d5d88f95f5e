//! Stream apps on the test cluster, as a user applies them: the Deployments strata emits run on kwok's fake
//! nodes under the tenant's Pod Security level, quota and LimitRange, and strata does not fight the
//! autoscaler. An autoscaled Deployment is applied without `spec.replicas`, so when its autoscaler scales it
//! (here the scale subresource, as the HPA controller and KEDA write it) `plan` and a re-apply leave that
//! count alone; a Deployment with a fixed `replicas` is strata's: a hand-made scale is a field conflict
//! that `plan` reports and `apply --force-conflicts` takes back.
//!
//! Needs the test cluster (`STRATA_TEST_KUBECONFIG`, kubectl); under `CI=true` a missing cluster fails.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::*;

fn spec(platform: &str, ns: &str, kafka_ns: &str) -> String {
    format!(
        r#"platform "{platform}" {{
    cluster context="strata-test"
    inventory namespace="strata-system"
}}
tenant "payments" namespace="{ns}" pod-security="restricted" topic-prefix="payments." {{
    quota cpu=8 memory="16Gi" pods=10
}}
kafka "main" namespace="{kafka_ns}" brokers=3 authorization="simple" version="4.1"
topic "payments.raw" kafka="main" tenant="payments" partitions=6

stream-app "enricher" tenant="payments" kafka="main" authentication="tls" {{
    image "registry.acme.io/payments-enricher:1.4.2"
    size "s"
    consumes "payments.raw" group="payments.enricher"
    health port=8080 liveness="/healthz" readiness="/ready"
    autoscale min=1 max=6 cpu="70%"
}}
stream-app "forwarder" tenant="payments" kafka="main" authentication="tls" {{
    image "registry.acme.io/payments-forwarder:0.9.0"
    size "s"
    replicas 2
    produces "payments.raw"
    health port=8080 readiness="/ready"
}}
"#
    )
}

struct Leftovers<'a> {
    kc: &'a std::path::Path,
    namespaces: [String; 2],
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

fn running_pods(kc: &std::path::Path, ns: &str, app: &str) -> Vec<Value> {
    let pods = kubectl_json(kc, &["get", "pods", "-n", ns, "-l", &format!("app.kubernetes.io/name={app}")]);
    pods["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p["status"]["phase"] == "Running")
        .collect()
}

fn replicas(kc: &std::path::Path, ns: &str, name: &str) -> Value {
    get(kc, &["deployment", name, "-n", ns]).map_or(Value::Null, |d| d["spec"]["replicas"].clone())
}

#[test]
fn stream_apps_run_on_the_fake_nodes_and_strata_leaves_the_autoscalers_scale_alone() {
    let test = "stream_apps_run_on_the_fake_nodes_and_strata_leaves_the_autoscalers_scale_alone";
    let Some(kc) = cluster(test) else { return };
    let platform = unique("apps");
    let ns = format!("{platform}-payments");
    let kafka_ns = format!("{platform}-kafka");
    let _leftovers = Leftovers { kc: &kc, namespaces: [ns.clone(), kafka_ns.clone()], platform: platform.clone() };
    // The Kafka cluster's namespace belongs to the Strimzi installation, not to strata.
    kubectl(&kc, &["create", "namespace", &kafka_ns]);
    let k = kc.display().to_string();
    let dir = spec_dir(&spec(&platform, &ns, &kafka_ns));
    let d = dir.path();

    let o = strata(d, &["check"]);
    assert_eq!(o.status.code(), Some(0), "strata check: {}", text(&o).1);
    let (code, first, err) = run_json(d, &["apply", "--kubeconfig", &k]);
    assert_eq!(code, 0, "strata apply: {err}\n{first}");
    let created = with_action(&first, "created");
    for want in [
        format!("Deployment/{ns}/enricher"),
        format!("Deployment/{ns}/forwarder"),
        format!("HorizontalPodAutoscaler/{ns}/enricher"),
        format!("PodDisruptionBudget/{ns}/enricher"),
    ] {
        assert!(created.contains(&want), "strata applied no {want}: {created:?}");
    }
    let stage = |name: &str| {
        first["objects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["kind"] == "Deployment" && o["name"] == name)
            .map(|o| o["stage"].clone())
    };
    assert_eq!(stage("enricher"), Some("workloads".into()), "Deployments come after the tenant's quota and limits");

    // The pods run on the fake nodes, admitted under `restricted`, counted by the quota.
    let pods = eventually("1 enricher and 2 forwarder pods Running", Duration::from_secs(120), |last| {
        let (e, f) = (running_pods(&kc, &ns, "enricher"), running_pods(&kc, &ns, "forwarder"));
        *last = format!("{} enricher, {} forwarder running", e.len(), f.len());
        (e.len() == 1 && f.len() == 2).then(|| e.into_iter().chain(f).collect::<Vec<_>>())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    for p in &pods {
        let node = p["spec"]["nodeName"].as_str().expect("scheduled");
        assert!(node.starts_with("strata-node-"), "bound by the scheduler to a kwok node: {node}");
        assert_eq!(p["spec"]["securityContext"]["runAsNonRoot"], true, "{}", p["spec"]);
        let requests = &p["spec"]["containers"][0]["resources"]["requests"];
        assert!(requests["cpu"].is_string() && requests["memory"].is_string(), "sized by strata: {requests}");
    }
    let quota = kubectl_json(&kc, &["get", "resourcequota", "-n", &ns]);
    assert_eq!(quota["items"][0]["status"]["used"]["pods"], "3", "{}", quota["items"][0]["status"]);
    let deployment = get(&kc, &["deployment", "enricher", "-n", &ns]).expect("the Deployment");
    let managers: Vec<&str> = (deployment["metadata"]["managedFields"].as_array().into_iter().flatten())
        .filter(|m| m["manager"] == "strata")
        .filter_map(|m| m["fieldsV1"]["f:spec"].as_object())
        .flat_map(|spec| spec.keys().map(String::as_str))
        .collect();
    assert!(!managers.contains(&"f:replicas"), "strata owns no replicas of an autoscaled Deployment: {managers:?}");

    // The autoscaler scales both (the HPA controller and KEDA write the scale subresource).
    kubectl(&kc, &["scale", "deployment/enricher", "-n", &ns, "--replicas=4"]);
    kubectl(&kc, &["scale", "deployment/forwarder", "-n", &ns, "--replicas=5"]);
    // `plan` sees the autoscaled app as unchanged; the fixed one's replicas now belong to another field
    // manager (kubectl), which server-side apply reports as a conflict rather than silently undoing.
    let (code, plan, err) = run_json(d, &["plan", "--kubeconfig", &k]);
    let planned = actions(&plan);
    assert_eq!(
        planned[&format!("Deployment/{ns}/enricher")],
        "unchanged",
        "the autoscaler's scale is not drift: {plan}"
    );
    assert_eq!(planned[&format!("Deployment/{ns}/forwarder")], "failed", "{plan}");
    assert!(code != 0 && err.contains("conflict") && err.contains(".spec.replicas"), "exit {code}: {err}");
    // The user takes the fixed count back; the autoscaled one is left as the autoscaler set it.
    let (code, again, err) = run_json(d, &["apply", "--kubeconfig", &k, "--force-conflicts"]);
    assert_eq!(code, 0, "strata apply --force-conflicts: {err}\n{again}");
    assert_eq!(actions(&again)[&format!("Deployment/{ns}/enricher")], "unchanged", "{again}");
    assert_eq!(replicas(&kc, &ns, "enricher"), 4, "a re-apply keeps the autoscaler's scale");
    assert_eq!(replicas(&kc, &ns, "forwarder"), 2, "a re-apply restores the spec's fixed replicas");
    eventually("4 enricher pods Running", Duration::from_secs(120), |last| {
        let n = running_pods(&kc, &ns, "enricher").len();
        *last = format!("{n} running");
        (n == 4).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
}
