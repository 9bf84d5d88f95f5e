//! Scrape wiring for the platform's `monitoring`: one Prometheus Operator `PodMonitor` per Flink job, in the
//! job's namespace, selecting its JobManager and TaskManager pods and scraping the named port the Flink
//! emitter opens for the Prometheus reporter. Strata writes both the pods' port and the monitor's, so a
//! monitor never names a port its pods lack. Without `monitoring` nothing is emitted here, and the Flink
//! emitter adds no reporter.

use std::collections::BTreeMap;

use crate::crd::prometheus::{NamespaceSelector, PodMetricsEndpoint, PodMonitor, PodMonitorSpec, PodSelector};
use crate::emit::meta;
use crate::manifest::{ManifestSet, Placement, Stage};
use crate::model::monitoring::{METRICS_PORT_NAME, Monitoring};
use crate::model::resolved::ResolvedPlatform;
use crate::model::resolved::flink::FlinkJob;

/// The path the Flink Prometheus reporter serves (any path answers; `/metrics` is Prometheus' default).
const METRICS_PATH: &str = "/metrics";

/// The labels native Kubernetes Flink puts on every JobManager and TaskManager pod of a cluster
/// (apache/flink `flink-kubernetes/src/main/java/org/apache/flink/kubernetes/utils/Constants.java`,
/// `LABEL_TYPE_KEY`/`LABEL_TYPE_NATIVE_TYPE` and `LABEL_APP_KEY`, set by `KubernetesUtils.getCommonLabels`;
/// `component` is `jobmanager` or `taskmanager` and is left out to select both). The Flink operator sets the
/// cluster id to the FlinkDeployment's name.
fn flink_pod_labels(job: &FlinkJob) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app".to_string(), job.spec.name.value.clone()),
        ("type".to_string(), "flink-native-kubernetes".to_string()),
    ])
}

pub fn emit(p: &ResolvedPlatform, set: &mut ManifestSet) {
    let Some(m) = &p.monitoring else { return };
    for job in p.flink.iter().filter(|j| j.monitored) {
        set.add_custom(
            &flink_pod_monitor(m, job),
            Placement { stage: Stage::Workloads, tenant: Some(job.tenant.name.clone()), span: job.spec.name.span },
        );
    }
}

/// The PodMonitor of one Flink job, named after it, with the platform's selector labels so the Prometheus
/// object picks it up.
fn flink_pod_monitor(m: &Monitoring, job: &FlinkJob) -> PodMonitor {
    let ns = job.tenant.namespace.as_str();
    let mut metadata = meta(&job.spec.name.value, Some(ns));
    let labels = m.selector_labels();
    metadata.labels = (!labels.is_empty()).then_some(labels);
    PodMonitor::new(
        metadata,
        PodMonitorSpec {
            selector: PodSelector { match_labels: Some(flink_pod_labels(job)) },
            namespace_selector: Some(NamespaceSelector { match_names: Some(vec![ns.to_string()]) }),
            pod_metrics_endpoints: Some(vec![PodMetricsEndpoint {
                port: Some(METRICS_PORT_NAME.to_string()),
                path: Some(METRICS_PATH.to_string()),
                interval: m.interval.as_ref().map(|i| i.value.to_string()),
                scrape_timeout: m.scrape_timeout.as_ref().map(|t| t.value.to_string()),
            }]),
        },
    )
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::test_support::compile_spec;

    const JOB: &str = r#"
tenant "t" { network "open"; }
flink-job "j" tenant="t" { image "flink:1.20.1"; jar "local:///j.jar" version="1.20"; parallelism 1; jobmanager size="s"; taskmanager size="s"; }
"#;

    fn objects(monitoring: &str) -> Vec<(String, Value)> {
        let c = compile_spec(&format!("platform \"p\" {{\n{monitoring}\n}}\n{JOB}"));
        assert!(c.ok(), "{:?}", c.diagnostics);
        c.manifests.expect("compiled").items.into_iter().map(|m| (m.kind, m.object)).collect()
    }

    fn of<'o>(objects: &'o [(String, Value)], kind: &str) -> Option<&'o Value> {
        objects.iter().find(|(k, _)| k == kind).map(|(_, o)| o)
    }

    #[test]
    fn a_monitored_job_exposes_the_port_its_pod_monitor_scrapes() {
        let all = objects(r#"monitoring { selector "release" "prom"; }"#);
        let d = of(&all, "FlinkDeployment").expect("a FlinkDeployment");
        let conf = &d["spec"]["flinkConfiguration"];
        assert_eq!(
            conf["metrics.reporter.prom.factory.class"],
            "org.apache.flink.metrics.prometheus.PrometheusReporterFactory"
        );
        assert_eq!(conf["metrics.reporter.prom.port"], "9249");
        let port = &d["spec"]["podTemplate"]["spec"]["containers"][0]["ports"][0];
        assert_eq!(port["containerPort"], 9249);

        let pm = of(&all, "PodMonitor").expect("a PodMonitor");
        assert_eq!(pm["metadata"]["namespace"], "t");
        assert_eq!(pm["metadata"]["labels"]["release"], "prom");
        let endpoint = &pm["spec"]["podMetricsEndpoints"][0];
        assert_eq!(endpoint["port"], port["name"], "the monitor scrapes the port the pods name");
        // No interval or timeout declared: Prometheus' own apply.
        assert_eq!(endpoint.as_object().map(|o| o.len()), Some(2), "{endpoint}");
        assert_eq!(pm["spec"]["selector"]["matchLabels"], json!({"app": "j", "type": "flink-native-kubernetes"}));
        assert_eq!(pm["spec"]["namespaceSelector"]["matchNames"], json!(["t"]));
    }

    #[test]
    fn without_monitoring_there_is_no_reporter_port_or_monitor() {
        let all = objects(r#"cluster context="test""#);
        assert!(of(&all, "PodMonitor").is_none());
        let d = of(&all, "FlinkDeployment").expect("a FlinkDeployment");
        let conf = d["spec"]["flinkConfiguration"].as_object().expect("configuration");
        assert!(conf.keys().all(|k| !k.starts_with("metrics.")), "{conf:?}");
        assert!(d["spec"]["podTemplate"]["spec"]["containers"][0].get("ports").is_none());
    }
}
