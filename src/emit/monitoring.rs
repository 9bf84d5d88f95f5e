//! Scrape wiring for the platform's `monitoring`: one Prometheus Operator `PodMonitor` per scraped workload,
//! in its namespace, selecting exactly its pods by labels they are known to carry: a Flink job's JobManager
//! and TaskManagers on the named port the Flink emitter opens for the Prometheus reporter, a stream app's or
//! batch job's pods on the ports its `metrics` nodes declare. Strata writes both the pods' port and the
//! monitor's from one value, so a monitor never names a port its pods lack (the test at the end of this file
//! checks it on the emitted objects). Without `monitoring` nothing is emitted here, and the Flink emitter
//! adds no reporter.

use std::collections::BTreeMap;

use crate::crd::CustomResource as _;
use crate::crd::prometheus::{NamespaceSelector, PodMetricsEndpoint, PodMonitor, PodMonitorSpec, PodSelector};
use crate::emit::meta;
use crate::manifest::{Census, ManifestSet, Placement, Stage};
use crate::model::monitoring::{METRICS_PORT_NAME, MetricsPort, Monitoring};
use crate::model::network::{APP_NAME_LABEL, SCHEDULED_APP_NAME_LABEL, SPARK_ROLE_LABEL};
use crate::model::resolved::flink::FlinkJob;
use crate::model::resolved::spark::SparkJob;
use crate::model::resolved::{ResolvedPlatform, TenantRef};
use crate::model::spark;

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

/// One scraped workload, before its monitor is named.
struct Scraped<'a> {
    /// What names the monitor when another scraped workload of the tenant has the same name.
    kind: &'static str,
    name: &'a str,
    tenant: &'a TenantRef,
    span: crate::source::Span,
    selector: BTreeMap<String, String>,
    endpoints: Vec<PodMetricsEndpoint>,
}

pub fn emit(p: &ResolvedPlatform, set: &mut ManifestSet) {
    let Some(m) = &p.monitoring else { return };
    for (w, name) in named(scraped(p, m)) {
        let at = Placement { stage: Stage::Workloads, tenant: Some(w.tenant.name.clone()), span: w.span };
        set.add_custom(&pod_monitor(m, &name, w.tenant, w.selector, w.endpoints), at);
    }
}

/// The objects [`emit`] adds, as headers ([`Census`]). The scrape list is cheap next to the objects.
pub fn census(p: &ResolvedPlatform, c: &mut Census) {
    let Some(m) = &p.monitoring else { return };
    for (w, name) in named(scraped(p, m)) {
        let at = Placement { stage: Stage::Workloads, tenant: Some(w.tenant.name.clone()), span: w.span };
        let ns = Some(w.tenant.namespace.as_str());
        c.add(crate::crd::prometheus::API_VERSION, PodMonitor::KIND, &name, ns, at);
    }
}

/// The PodMonitor name of each monitored Flink job, by namespace and job name: the alerts select its series
/// by it (`job="<namespace>/<monitor>"`).
pub(crate) fn flink_monitor_names(p: &ResolvedPlatform) -> BTreeMap<(&str, &str), String> {
    let Some(m) = &p.monitoring else { return BTreeMap::new() };
    named(scraped(p, m))
        .into_iter()
        .filter(|(w, _)| w.kind == "flink")
        .map(|(w, name)| ((w.tenant.namespace.as_str(), w.name), name))
        .collect()
}

fn scraped<'p>(p: &'p ResolvedPlatform, m: &Monitoring) -> Vec<Scraped<'p>> {
    let mut scraped = Vec::new();
    for job in p.flink.iter().filter(|j| j.monitored) {
        let (selector, endpoints) = flink_scrape(m, job);
        let (name, tenant, span) = (job.spec.name.value.as_str(), &job.tenant, job.spec.name.span);
        scraped.push(Scraped { kind: "flink", name, tenant, span, selector, endpoints });
    }
    for job in p.spark.iter().filter(|j| j.monitored) {
        let (selector, endpoints) = spark_scrape(m, job);
        let (name, tenant, span) = (job.spec.name.value.as_str(), &job.tenant, job.spec.name.span);
        scraped.push(Scraped { kind: "spark", name, tenant, span, selector, endpoints });
    }
    for app in p.apps.iter().filter(|a| !a.spec.metrics.is_empty()) {
        let (selector, endpoints) = (crate::emit::app::labels(app), declared_endpoints(m, &app.spec.metrics));
        let (name, tenant, span) = (app.spec.name.value.as_str(), &app.tenant, app.spec.name.span);
        scraped.push(Scraped { kind: "app", name, tenant, span, selector, endpoints });
    }
    for job in &p.jobs {
        let Some(selector) = job.spec.pod_labels() else { continue };
        let endpoints = declared_endpoints(m, &job.spec.metrics);
        let (name, tenant, span) = (job.spec.name.value.as_str(), &job.tenant, job.spec.name.span);
        scraped.push(Scraped { kind: "job", name, tenant, span, selector, endpoints });
    }
    scraped
}

/// Each scraped workload with its monitor's name.
fn named(scraped: Vec<Scraped<'_>>) -> Vec<(Scraped<'_>, String)> {
    // Workloads of different kinds may share a name in one namespace (a stream app and a job `export`),
    // their monitors may not: those get the kind as a suffix. Only they do, so adding monitoring to one
    // kind never renames the monitors of the others.
    let mut count: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for w in &scraped {
        *count.entry((w.tenant.namespace.as_str(), w.name)).or_default() += 1;
    }
    let mut named = Vec::new();
    for w in scraped {
        let name = match count[&(w.tenant.namespace.as_str(), w.name)] {
            1 => w.name.to_string(),
            _ => format!("{}-{}", w.name, w.kind),
        };
        named.push((w, name));
    }
    named
}

/// A PodMonitor in the workload's namespace, with the platform's selector labels so
/// the Prometheus object picks it up, selecting `selector` in that namespace only.
fn pod_monitor(
    m: &Monitoring,
    name: &str,
    tenant: &TenantRef,
    selector: BTreeMap<String, String>,
    endpoints: Vec<PodMetricsEndpoint>,
) -> PodMonitor {
    let ns = tenant.namespace.as_str();
    let mut metadata = meta(name, Some(ns));
    let labels = m.selector_labels();
    metadata.labels = (!labels.is_empty()).then_some(labels);
    PodMonitor::new(
        metadata,
        PodMonitorSpec {
            selector: PodSelector { match_labels: Some(selector) },
            namespace_selector: Some(NamespaceSelector { match_names: Some(vec![ns.to_string()]) }),
            pod_metrics_endpoints: Some(endpoints),
        },
    )
}

/// One endpoint per `metrics` node, on the port name the pods' container port carries (both come from
/// [`MetricsPort::name`]), with the node's interval and timeout over the platform's.
fn declared_endpoints(m: &Monitoring, metrics: &[MetricsPort]) -> Vec<PodMetricsEndpoint> {
    metrics
        .iter()
        .map(|p| PodMetricsEndpoint {
            port: Some(p.name().to_string()),
            path: Some(p.path().to_string()),
            interval: p.interval(m).map(|i| i.value.to_string()),
            scrape_timeout: p.scrape_timeout(m).map(|t| t.value.to_string()),
        })
        .collect()
}

/// The labels of a Spark job's driver pod: `spark-role: driver`, set by Spark, and the name of the
/// application the kubeflow operator passes to spark-submit as a driver label (kubeflow/spark-operator
/// v2.5.2 `internal/controller/sparkapplication/submission.go`, `driverConfOption`:
/// `sparkoperator.k8s.io/app-name`, `pkg/common/spark.go` `LabelSparkAppName`). A scheduled job's runs are
/// SparkApplications named `<name>-<timestamp>`, labelled `sparkoperator.k8s.io/scheduled-app-name: <name>`
/// (`internal/controller/scheduledsparkapplication/controller.go`, `createSparkApplication`), and the operator
/// copies an application's labels to its driver (`submission.go`: "Populate SparkApplication labels to driver
/// pod"): that label selects every run's driver.
pub fn spark_driver_labels(job: &SparkJob) -> BTreeMap<String, String> {
    let key = if job.spec.scheduled() { SCHEDULED_APP_NAME_LABEL } else { APP_NAME_LABEL };
    BTreeMap::from([
        (SPARK_ROLE_LABEL.to_string(), "driver".to_string()),
        (key.to_string(), job.spec.name.value.clone()),
    ])
}

/// What the PodMonitor of one Spark job scrapes: its driver's UI port `spark-ui` (named by Spark), at the
/// driver's own metrics and, through the driver, its executors'.
fn spark_scrape(m: &Monitoring, job: &SparkJob) -> (BTreeMap<String, String>, Vec<PodMetricsEndpoint>) {
    let endpoint = |path: &str| PodMetricsEndpoint {
        port: Some(spark::UI_PORT_NAME.to_string()),
        path: Some(path.to_string()),
        interval: m.interval.as_ref().map(|i| i.value.to_string()),
        scrape_timeout: m.scrape_timeout.as_ref().map(|t| t.value.to_string()),
    };
    (spark_driver_labels(job), vec![endpoint(spark::DRIVER_METRICS_PATH), endpoint(spark::EXECUTOR_METRICS_PATH)])
}

/// What the PodMonitor of one Flink job scrapes: its JobManager and TaskManagers on the reporter's port.
fn flink_scrape(m: &Monitoring, job: &FlinkJob) -> (BTreeMap<String, String>, Vec<PodMetricsEndpoint>) {
    let endpoint = PodMetricsEndpoint {
        port: Some(METRICS_PORT_NAME.to_string()),
        path: Some(METRICS_PATH.to_string()),
        interval: m.interval.as_ref().map(|i| i.value.to_string()),
        scrape_timeout: m.scrape_timeout.as_ref().map(|t| t.value.to_string()),
    };
    (flink_pod_labels(job), vec![endpoint])
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::{Value, json};

    // Written out, not the emitter's constants: the operators' labels as their sources name them.
    const APP_NAME_LABEL: &str = "sparkoperator.k8s.io/app-name";
    const SCHEDULED_APP_NAME_LABEL: &str = "sparkoperator.k8s.io/scheduled-app-name";
    const SPARK_ROLE_LABEL: &str = "spark-role";
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

    /// One pod as Kubernetes and the operators create it from an emitted object: its namespace, labels, the
    /// names of its container ports, and the workload it belongs to.
    struct Pod {
        ns: String,
        labels: BTreeMap<String, String>,
        ports: Vec<String>,
        owner: String,
    }

    fn str_map(v: &Value) -> BTreeMap<String, String> {
        v.as_object()
            .map(|o| o.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
            .unwrap_or_default()
    }

    fn port_names(container: &Value) -> Vec<String> {
        container["ports"]
            .as_array()
            .map(|ps| ps.iter().filter_map(|p| p["name"].as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }

    /// The pods of each emitted workload, built from the emitted objects alone (not from the emitters'
    /// helpers), with the labels and ports the controllers add: Flink's native labels, Spark's driver ports
    /// (named by Spark), the Spark operator's app-name labels and a scheduled run's name.
    fn pods(objects: &[(String, Value)]) -> Vec<Pod> {
        let mut out = Vec::new();
        for (kind, o) in objects {
            let ns = o["metadata"]["namespace"].as_str().unwrap_or_default().to_string();
            let name = o["metadata"]["name"].as_str().unwrap_or_default().to_string();
            let owner = format!("{kind}/{name}");
            let mut pod = |labels: BTreeMap<String, String>, ports: Vec<String>| {
                out.push(Pod { ns: ns.clone(), labels, ports, owner: owner.clone() })
            };
            let template = match kind.as_str() {
                "Deployment" | "Job" => Some(&o["spec"]["template"]),
                "CronJob" => Some(&o["spec"]["jobTemplate"]["spec"]["template"]),
                _ => None,
            };
            if let Some(t) = template {
                pod(str_map(&t["metadata"]["labels"]), port_names(&t["spec"]["containers"][0]));
                continue;
            }
            match kind.as_str() {
                "FlinkDeployment" => {
                    let ports = port_names(&o["spec"]["podTemplate"]["spec"]["containers"][0]);
                    for component in ["jobmanager", "taskmanager"] {
                        let labels =
                            [("app", name.as_str()), ("component", component), ("type", "flink-native-kubernetes")];
                        pod(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), ports.clone());
                    }
                }
                "SparkApplication" | "ScheduledSparkApplication" => {
                    let mut labels = if kind == "SparkApplication" {
                        BTreeMap::from([(APP_NAME_LABEL.to_string(), name.clone())])
                    } else {
                        // A run: a SparkApplication `<name>-<timestamp>` with the scheduled app's labels.
                        let mut l = str_map(&o["metadata"]["labels"]);
                        l.insert(SCHEDULED_APP_NAME_LABEL.to_string(), name.clone());
                        l.insert(APP_NAME_LABEL.to_string(), format!("{name}-1764720000000000000"));
                        l
                    };
                    if kind == "SparkApplication" {
                        labels.extend(str_map(&o["metadata"]["labels"]));
                    }
                    let mut driver = labels.clone();
                    driver.insert(SPARK_ROLE_LABEL.to_string(), "driver".to_string());
                    pod(driver, vec!["driver-rpc-port".into(), "blockmanager".into(), "spark-ui".into()]);
                    let mut executor = labels;
                    executor.insert(SPARK_ROLE_LABEL.to_string(), "executor".to_string());
                    pod(executor, Vec::new());
                }
                _ => {}
            }
        }
        out
    }

    const EVERYTHING: &str = r#"
tenant "t" { network "open"; }
kafka "main" namespace="kafka" brokers=3 version="4.1"
flink-job "stream" tenant="t" { image "flink:1.20.1"; jar "local:///j.jar" version="1.20"; parallelism 1; jobmanager size="s"; taskmanager size="s"; }
spark-job "report" tenant="t" {
    image "registry.acme.io/r:1.0.0" spark-version="3.5.1"
    main "local:///opt/app/r.jar" class="com.acme.R"
    executors 2 size="s"
}
spark-job "nightly" tenant="t" {
    image "registry.acme.io/n:1.0.0" spark-version="3.5.1"
    main "local:///opt/app/n.jar" class="com.acme.N"
    executors 2 size="s"
    conf "spark.ui.port" "4050"
    schedule "0 2 * * *"
}
stream-app "enricher" tenant="t" {
    image "registry.acme.io/e:1.0.0"
    size "s"
    health port=8080 liveness="/healthz"
    metrics port=9090
    metrics port=9404 path="/jmx" port-name="jmx" interval="15s" scrape-timeout="5s"
}
stream-app "export" tenant="t" { image "registry.acme.io/x:1.0.0"; size "s"; health port=8080 liveness="/healthz"; metrics port=9090; }
stream-app "quiet" tenant="t" { image "registry.acme.io/q:1.0.0"; size "s"; health port=8080 liveness="/healthz"; }
job "export" tenant="t" { image "registry.acme.io/x:1.0.0"; resources size="s"; metrics port=8000 port-name="job-metrics"; }
job "cleanup" tenant="t" { image "registry.acme.io/c:1.0.0"; resources size="s"; schedule "0 3 * * *"; metrics port=8000; }
job "unscraped" tenant="t" { image "registry.acme.io/u:1.0.0"; resources size="s"; }
"#;

    #[test]
    fn every_monitor_selects_exactly_its_workloads_pods_and_they_expose_its_ports() {
        let c = compile_spec(&format!(
            "platform \"p\" {{\nmonitoring {{ selector \"release\" \"prom\"; }}\n}}\n{EVERYTHING}"
        ));
        assert!(c.ok(), "{:?}", c.diagnostics);
        let all: Vec<(String, Value)> =
            c.manifests.expect("compiled").items.into_iter().map(|m| (m.kind, m.object)).collect();
        let pods = pods(&all);
        let monitors: Vec<&Value> = all.iter().filter(|(k, _)| k == "PodMonitor").map(|(_, o)| o).collect();
        let mut owners = Vec::new();
        for pm in &monitors {
            let name = pm["metadata"]["name"].as_str().unwrap_or_default();
            let ns = pm["spec"]["namespaceSelector"]["matchNames"][0].as_str().unwrap_or_default();
            assert_eq!(ns, pm["metadata"]["namespace"], "{name}: the monitor looks in its own namespace");
            let selector = str_map(&pm["spec"]["selector"]["matchLabels"]);
            assert!(!selector.is_empty(), "{name}: an empty selector selects every pod");
            let selected: Vec<&Pod> = pods
                .iter()
                .filter(|p| p.ns == ns && selector.iter().all(|(k, v)| p.labels.get(k) == Some(v)))
                .collect();
            assert!(!selected.is_empty(), "{name}: {selector:?} selects no pod");
            let mut of: Vec<&str> = selected.iter().map(|p| p.owner.as_str()).collect();
            of.dedup();
            assert_eq!(of.len(), 1, "{name}: selects the pods of {of:?}");
            let workload = of[0].split_once('/').map_or("", |(_, n)| n);
            assert!(
                name == workload || name.strip_prefix(workload).is_some_and(|k| k.starts_with('-')),
                "{name}: selects {}",
                of[0]
            );
            for e in pm["spec"]["podMetricsEndpoints"].as_array().expect("endpoints") {
                let port = e["port"].as_str().expect("a port name");
                for p in &selected {
                    assert!(
                        p.ports.iter().any(|n| n == port),
                        "{name}: {} has no port `{port}`: {:?}",
                        p.owner,
                        p.ports
                    );
                }
            }
            owners.push(of[0].to_string());
        }
        owners.sort();
        assert_eq!(
            owners,
            [
                "CronJob/cleanup",
                "Deployment/enricher",
                "Deployment/export",
                "FlinkDeployment/stream",
                "Job/export",
                "ScheduledSparkApplication/nightly",
                "SparkApplication/report",
            ],
            "one monitor per scraped workload, none for those without metrics"
        );
        // An app and a job named `export`: their monitors are told apart by kind, the others keep the name.
        let mut names: Vec<&str> = monitors.iter().filter_map(|m| m["metadata"]["name"].as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["cleanup", "enricher", "export-app", "export-job", "nightly", "report", "stream"]);
        let enricher = monitors.iter().find(|m| m["metadata"]["name"] == "enricher").expect("the app's monitor");
        assert_eq!(
            enricher["spec"]["podMetricsEndpoints"],
            json!([
                {"port": "metrics", "path": "/metrics"},
                {"port": "jmx", "path": "/jmx", "interval": "15s", "scrapeTimeout": "5s"},
            ])
        );
        let report = monitors.iter().find(|m| m["metadata"]["name"] == "report").expect("the Spark monitor");
        assert_eq!(
            report["spec"]["podMetricsEndpoints"],
            json!([
                {"port": "spark-ui", "path": "/metrics/prometheus"},
                {"port": "spark-ui", "path": "/metrics/executors/prometheus"},
            ])
        );
    }

    #[test]
    fn declared_ports_and_spark_prometheus_conf_are_in_the_workloads() {
        let c = compile_spec(&format!(
            "platform \"p\" {{\nmonitoring {{ selector \"release\" \"prom\"; }}\n}}\n{EVERYTHING}"
        ));
        let all: Vec<(String, Value)> =
            c.manifests.expect("compiled").items.into_iter().map(|m| (m.kind, m.object)).collect();
        let obj = |kind: &str, name: &str| {
            all.iter().find(|(k, o)| k == kind && o["metadata"]["name"] == name).map(|(_, o)| o).expect("emitted")
        };
        let app = &obj("Deployment", "enricher")["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(
            app["ports"],
            json!([
                {"name": "metrics", "containerPort": 9090, "protocol": "TCP"},
                {"name": "jmx", "containerPort": 9404, "protocol": "TCP"},
            ])
        );
        let job = &obj("Job", "export")["spec"]["template"];
        assert_eq!(job["metadata"]["labels"], json!({"strata.dev/job": "export"}));
        assert_eq!(job["spec"]["containers"][0]["ports"][0]["name"], "job-metrics");
        // Without `metrics`, a job's pod template is as before: no label, no port.
        let plain = &obj("Job", "unscraped")["spec"]["template"];
        assert!(plain.get("metadata").is_none() && plain["spec"]["containers"][0].get("ports").is_none());
        let conf = &obj("SparkApplication", "report")["spec"]["sparkConf"];
        assert_eq!(conf["spark.ui.prometheus.enabled"], "true");
        assert_eq!(
            conf["spark.metrics.conf.*.sink.prometheusServlet.class"],
            "org.apache.spark.metrics.sink.PrometheusServlet"
        );
        assert_eq!(conf["spark.metrics.conf.*.sink.prometheusServlet.path"], "/metrics/prometheus");
        let nightly = &obj("ScheduledSparkApplication", "nightly")["spec"]["template"]["sparkConf"];
        assert_eq!(nightly["spark.ui.prometheus.enabled"], "true");
        assert_eq!(nightly["spark.ui.port"], "4050", "the job's own conf is kept");

        // Without `monitoring`: the declared ports stay (they are the pod's), nothing Prometheus-specific.
        let c = compile_spec(&format!("platform \"p\"\n{EVERYTHING}"));
        assert!(c.ok(), "{:?}", c.diagnostics);
        let all: Vec<(String, Value)> =
            c.manifests.expect("compiled").items.into_iter().map(|m| (m.kind, m.object)).collect();
        assert!(all.iter().all(|(k, _)| k != "PodMonitor"));
        let report = all.iter().find(|(k, _)| k == "SparkApplication").map(|(_, o)| o).expect("emitted");
        assert!(report["spec"].get("sparkConf").is_none(), "{}", report["spec"]);
        let app = all.iter().find(|(k, o)| k == "Deployment" && o["metadata"]["name"] == "enricher").expect("app");
        assert_eq!(app.1["spec"]["template"]["spec"]["containers"][0]["ports"][1]["name"], "jmx");
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
