//! The connections a platform needs: for each tenant, every flow its workloads and the operators that
//! manage them must be able to open (operator → workload, workload → Kubernetes API, workload ↔ workload
//! inside a job, clients → Kafka). One model, so the NetworkPolicies strata emits, the checks that report a
//! flow the tenant's own rules leave blocked, and `strata check --explain` all describe the same flows.

use std::collections::HashMap;

use crate::model::Scalar;
use crate::model::airflow::Airflow;
use crate::model::app::StreamApp;
use crate::model::flink::FlinkJob;
use crate::model::job::BatchJob;
use crate::model::kafka::CLIENT_PORTS;
use crate::model::kafka::KafkaUser;
use crate::model::spark::SparkJob;
use crate::model::{Direction, NetworkMode, NetworkRule, Platform, Tenant};
use crate::source::{Span, Spanned};

/// Where the Flink Kubernetes Operator runs unless `operators { flink namespace=... }` says otherwise. Its
/// Helm chart installs into the release's namespace and has no name of its own
/// (apache/flink-kubernetes-operator `docs/content/docs/operations/helm.md`, release-1.15.0); this is the
/// conventional one, and `strata check --explain` says when it was assumed.
pub const DEFAULT_FLINK_OPERATOR_NAMESPACE: &str = "flink-operator";
/// Flink's `rest.port` default, the port of the JobManager's `<cluster-id>-rest` Service. The operator
/// connects to `http://<cluster-id>-rest.<namespace>:<rest.port>` for status, savepoints and upgrades
/// (apache/flink-kubernetes-operator `AbstractFlinkService.getClusterClient`, release-1.15.0).
pub const FLINK_REST_PORT: u16 = 8081;
/// The labels Flink's native Kubernetes integration puts on every JobManager and TaskManager pod
/// (apache/flink `flink-kubernetes/.../kubernetes/utils/Constants.java`: `app` = cluster id, `component`).
pub const FLINK_APP_LABEL: &str = "app";
pub const FLINK_COMPONENT_LABEL: &str = "component";
pub const FLINK_TYPE_LABEL: &str = "type";
pub const FLINK_NATIVE_TYPE: &str = "flink-native-kubernetes";
/// The label Spark puts on its driver and executor pods (`driver`/`executor`; apache/spark
/// `resource-managers/kubernetes/core/.../Constants.scala`).
pub const SPARK_ROLE_LABEL: &str = "spark-role";
/// The labels the kubeflow Spark operator puts on a driver: the SparkApplication's name, and on the runs of a
/// ScheduledSparkApplication the scheduled application's (kubeflow/spark-operator v2.5.2 `pkg/common/spark.go`,
/// `LabelSparkAppName`, `LabelScheduledSparkAppName`; see `emit::monitoring::spark_driver_labels`).
pub const APP_NAME_LABEL: &str = "sparkoperator.k8s.io/app-name";
pub const SCHEDULED_APP_NAME_LABEL: &str = "sparkoperator.k8s.io/scheduled-app-name";
/// The API server's usual ports: 443 behind a Service or load balancer, 6443 on the control-plane nodes.
pub const APISERVER_PORTS: [u16; 2] = [443, 6443];
/// Cluster DNS: CoreDNS keeps kube-dns's `k8s-app: kube-dns` label in `kube-system`.
pub const DNS_NAMESPACE: &str = "kube-system";
pub const DNS_LABEL: (&str, &str) = ("k8s-app", "kube-dns");

/// `operators { flink namespace="..." }` on the platform: where the operators that connect into tenant
/// namespaces run. The Spark operator has no entry: it opens no connection into a tenant namespace (its
/// controller and spark-submit talk only to the API server, and the API server calls its webhook).
#[derive(Debug, Clone, Default)]
pub struct Operators {
    pub flink: Option<Spanned<String>>,
    pub span: Option<Span>,
}

impl Operators {
    pub fn flink_namespace(&self) -> &str {
        self.flink.as_ref().map_or(DEFAULT_FLINK_OPERATOR_NAMESPACE, |n| n.value.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }
}

/// One end of a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// Pods in `namespace` whose labels match: each `(key, values)` means the label is one of the values;
    /// no selectors means every pod of the namespace.
    Pods { namespace: String, selectors: Vec<(String, Vec<String>)>, what: String },
    /// The Kubernetes API server: not a pod, so only an address (`cidr`) rule reaches it.
    ApiServer,
}

impl End {
    pub fn pods(namespace: &str, what: impl Into<String>) -> End {
        End::Pods { namespace: namespace.to_string(), selectors: Vec::new(), what: what.into() }
    }

    pub fn describe(&self) -> String {
        match self {
            End::Pods { namespace, what, .. } => format!("{what} in `{namespace}`"),
            End::ApiServer => "the Kubernetes API server".to_string(),
        }
    }
}

/// How the tenant's NetworkPolicies come to allow a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allowed {
    /// strata emits the NetworkPolicy `strata-flow-<id>` for it.
    ByStrata,
    /// A rule the tenant wrote covers it (the rule's span).
    ByTenantRule(Span),
    /// Nothing allows it: the tenant's rules leave it blocked.
    Blocked,
    /// The tenant is `open`: no NetworkPolicy restricts it.
    Open,
}

/// A connection the platform needs. `ports` empty means every port.
#[derive(Debug, Clone)]
pub struct Flow {
    /// Stable identifier; the emitted NetworkPolicy is `strata-flow-<id>`.
    pub id: &'static str,
    pub from: End,
    pub to: End,
    pub ports: Vec<(Protocol, u16)>,
    /// What needs the flow, one entry per workload (`flink-job `orders`: JobManager REST`).
    pub serves: Vec<String>,
    /// The spec node that requires it (first workload), for diagnostics.
    pub span: Span,
    pub allowed: Allowed,
}

impl Flow {
    pub fn policy_name(&self) -> String {
        format!("strata-flow-{}", self.id)
    }

    pub fn describe_ports(&self) -> String {
        if self.ports.is_empty() {
            return "all ports".to_string();
        }
        let mut by_proto: Vec<(Protocol, Vec<u16>)> = Vec::new();
        for (proto, port) in &self.ports {
            match by_proto.iter_mut().find(|(p, _)| p == proto) {
                Some((_, v)) => v.push(*port),
                None => by_proto.push((*proto, vec![*port])),
            }
        }
        by_proto
            .iter()
            .map(|(p, v)| format!("{} {}", p.as_str(), v.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")))
            .collect::<Vec<_>>()
            .join(" and ")
    }

    /// One line for `--explain` and the policy's annotation.
    pub fn summary(&self) -> String {
        format!("{} → {} ({})", self.from.describe(), self.to.describe(), self.describe_ports())
    }
}

fn tcp(ports: &[u16]) -> Vec<(Protocol, u16)> {
    ports.iter().map(|p| (Protocol::Tcp, *p)).collect()
}

/// The ports of `wanted` a tenant's rule opens: a service listening on several ports (Kafka's plain and
/// TLS listeners, the API server's 443 and 6443) is reached on any one, so a rule that opens some of them
/// carries the flow on those.
fn rule_ports(rule: &NetworkRule, wanted: &[u16]) -> Vec<(Protocol, u16)> {
    if rule.ports.is_empty() {
        return tcp(wanted);
    }
    tcp(&wanted.iter().copied().filter(|w| rule.ports.iter().any(|p| p.value == *w)).collect::<Vec<_>>())
}

/// A rule of the tenant's that lets `flow` out (egress) to an address: the only way to the API server.
fn address_rule<'a>(t: &'a Tenant, ports: &[u16]) -> Option<&'a NetworkRule> {
    t.network_rules.iter().find(|r| {
        r.direction == Direction::Egress
            && r.cidr.is_some()
            && (r.ports.is_empty() || r.ports.iter().any(|p| ports.contains(&p.value)))
    })
}

/// The JobManager's REST port: Flink's default unless the job's `config "rest.port"` sets one.
pub fn flink_rest_port(config: &[(Spanned<String>, Spanned<Scalar>)]) -> u16 {
    config
        .iter()
        .find(|(k, _)| k.value == "rest.port")
        .and_then(|(_, v)| match &v.value {
            Scalar::Int(n) => u16::try_from(*n).ok(),
            Scalar::Str(s) => s.parse().ok(),
            _ => None,
        })
        .unwrap_or(FLINK_REST_PORT)
}

/// The workloads and Kafka users of each tenant, grouped once: [`flows`] runs per tenant, and filtering
/// every workload list per tenant made it quadratic. Each list keeps declaration order; the maps are only
/// looked up, never iterated.
#[derive(Debug, Default)]
pub struct ByTenant<'p> {
    spark: HashMap<&'p str, Vec<&'p SparkJob>>,
    flink: HashMap<&'p str, Vec<&'p FlinkJob>>,
    airflow: HashMap<&'p str, Vec<&'p Airflow>>,
    users: HashMap<&'p str, Vec<&'p KafkaUser>>,
    /// Stream apps and batch jobs that declare `metrics` (only the scrape flows need them).
    scraped_apps: HashMap<&'p str, Vec<&'p StreamApp>>,
    scraped_jobs: HashMap<&'p str, Vec<&'p BatchJob>>,
}

impl<'p> ByTenant<'p> {
    pub fn new(p: &'p Platform) -> Self {
        let mut by = ByTenant::default();
        for j in &p.spark.jobs {
            by.spark.entry(j.tenant.value.as_str()).or_default().push(j);
        }
        for j in &p.flink.jobs {
            by.flink.entry(j.tenant.value.as_str()).or_default().push(j);
        }
        for a in &p.airflow.deployments {
            by.airflow.entry(a.tenant.value.as_str()).or_default().push(a);
        }
        for u in &p.kafka.users {
            if let Some(t) = &u.tenant {
                by.users.entry(t.value.as_str()).or_default().push(u);
            }
        }
        for a in p.apps.apps.iter().filter(|a| !a.metrics.is_empty()) {
            by.scraped_apps.entry(a.tenant.value.as_str()).or_default().push(a);
        }
        for j in p.jobs.jobs.iter().filter(|j| !j.metrics.is_empty()) {
            by.scraped_jobs.entry(j.tenant.value.as_str()).or_default().push(j);
        }
        by
    }

    /// The Kafka users of `tenant`, in declaration order.
    pub fn users(&self, tenant: &str) -> &[&'p KafkaUser] {
        self.users.get(tenant).map_or(&[], Vec::as_slice)
    }
}

/// Every flow tenant `t` needs, in a stable order. For an `open` tenant each flow is [`Allowed::Open`].
pub fn flows(p: &Platform, by: &ByTenant<'_>, t: &Tenant) -> Vec<Flow> {
    let ns = t.namespace.value.as_str();
    let tenant = t.name.value.as_str();
    let isolated = t.network.value == NetworkMode::Isolated;
    let by_strata = || if isolated { Allowed::ByStrata } else { Allowed::Open };
    let mut flows = Vec::new();

    flows.push(Flow {
        id: "dns",
        from: End::pods(ns, "every pod"),
        to: End::Pods {
            namespace: DNS_NAMESPACE.to_string(),
            selectors: vec![(DNS_LABEL.0.to_string(), vec![DNS_LABEL.1.to_string()])],
            what: "cluster DNS".to_string(),
        },
        ports: vec![(Protocol::Udp, 53), (Protocol::Tcp, 53)],
        serves: vec!["name lookups of every pod".to_string()],
        span: t.name.span,
        allowed: by_strata(),
    });

    // Inside a job, the parts talk to each other on ports they pick at run time (Spark's driver and block
    // manager ports, Flink's RPC and blob ports): one rule for the whole namespace serves them all.
    let mut inside = Vec::new();
    let spark_jobs: &[&SparkJob] = by.spark.get(tenant).map_or(&[], Vec::as_slice);
    let flink_jobs: &[&FlinkJob] = by.flink.get(tenant).map_or(&[], Vec::as_slice);
    let airflows: &[&Airflow] = by.airflow.get(tenant).map_or(&[], Vec::as_slice);
    for j in spark_jobs {
        inside.push(format!("spark-job `{}`: driver ↔ executors", j.name.value));
    }
    for j in flink_jobs {
        inside.push(format!("flink-job `{}`: JobManager ↔ TaskManagers", j.name.value));
    }
    for a in airflows {
        inside.push(format!("airflow `{}`: task pods → API server and metadata database", a.name.value));
    }
    if inside.is_empty() {
        inside.push("pods of the namespace with each other".to_string());
    }
    flows.push(Flow {
        id: "same-namespace",
        from: End::pods(ns, "every pod"),
        to: End::pods(ns, "every pod"),
        ports: Vec::new(),
        serves: inside,
        span: t.name.span,
        allowed: by_strata(),
    });

    // Clients → Kafka: the tenant's users exist for clients in its namespace.
    let own_users = by.users(tenant);
    let auto = p.kafka.auto_egress_namespaces(t, own_users);
    for kafka_ns in p.kafka.client_namespaces(own_users) {
        let users: Vec<_> = own_users
            .iter()
            .filter(|u| p.kafka.cluster_for(u.cluster.as_ref()).is_some_and(|c| c.namespace.value == kafka_ns))
            .collect();
        let Some(first) = users.first() else { continue };
        let allowed = if !isolated {
            Allowed::Open
        } else if auto.contains(&kafka_ns) {
            Allowed::ByStrata
        } else {
            // The tenant wrote its own rule to the namespace; strata keeps it as written.
            let own = t.network_rules.iter().find(|r| {
                r.direction == Direction::Egress
                    && r.namespace.as_ref().is_some_and(|n| n.value == kafka_ns)
                    && (r.ports.is_empty() || r.ports.iter().any(|p| CLIENT_PORTS.contains(&p.value)))
            });
            own.map_or(Allowed::Blocked, |r| Allowed::ByTenantRule(r.span))
        };
        let own = match &allowed {
            Allowed::ByTenantRule(span) => t.network_rules.iter().find(|r| r.span == *span),
            _ => None,
        };
        flows.push(Flow {
            id: "kafka",
            from: End::pods(ns, "every pod"),
            to: End::pods(kafka_ns, "Kafka bootstrap and brokers"),
            ports: own.map_or_else(|| tcp(&CLIENT_PORTS), |r| rule_ports(r, &CLIENT_PORTS)),
            serves: users.iter().map(|u| format!("kafka-user `{}`", u.name.value)).collect(),
            span: first.name.span,
            allowed,
        });
    }

    if let Some(first) = flink_jobs.first() {
        let op_ns = p.operators.flink_namespace();
        let mut ports: Vec<u16> = flink_jobs.iter().map(|j| flink_rest_port(&j.config)).collect();
        ports.sort_unstable();
        ports.dedup();
        flows.push(Flow {
            id: "flink-operator",
            from: End::pods(op_ns, "the Flink operator"),
            to: End::Pods {
                namespace: ns.to_string(),
                selectors: vec![
                    (FLINK_APP_LABEL.to_string(), flink_jobs.iter().map(|j| j.name.value.clone()).collect()),
                    (FLINK_COMPONENT_LABEL.to_string(), vec!["jobmanager".to_string()]),
                ],
                what: "JobManager REST".to_string(),
            },
            ports: tcp(&ports),
            serves: flink_jobs
                .iter()
                .map(|j| format!("flink-job `{}`: status, savepoints and upgrades", j.name.value))
                .collect(),
            span: first.name.span,
            allowed: by_strata(),
        });
    }

    // Prometheus scrapes every monitored pod from the monitoring namespace: without this ingress an isolated
    // tenant's PodMonitors select their pods and every scrape times out (targets "down", no error anywhere).
    if let (Some(m), Some(first)) = (&p.monitoring, flink_jobs.first()) {
        flows.push(Flow {
            id: "monitoring",
            from: End::pods(&m.namespace.value, "Prometheus"),
            to: End::Pods {
                namespace: ns.to_string(),
                selectors: vec![(
                    FLINK_APP_LABEL.to_string(),
                    flink_jobs.iter().map(|j| j.name.value.clone()).collect(),
                )],
                what: "Flink JobManagers and TaskManagers' metrics".to_string(),
            },
            ports: tcp(&[crate::model::flink::PROMETHEUS_PORT as u16]),
            serves: flink_jobs
                .iter()
                .map(|j| format!("flink-job `{}`: Prometheus scrapes its metrics", j.name.value))
                .collect(),
            span: first.name.span,
            allowed: by_strata(),
        });
    }

    // Spark drivers are scraped on their UI port: the one-off jobs' drivers by application name, the
    // scheduled jobs' (whose runs have names of their own) by scheduled application name.
    if let Some(m) = &p.monitoring {
        for (id, key, scheduled) in [
            ("monitoring-spark", APP_NAME_LABEL, false),
            ("monitoring-spark-scheduled", SCHEDULED_APP_NAME_LABEL, true),
        ] {
            let jobs: Vec<&&SparkJob> =
                spark_jobs.iter().filter(|j| j.scheduled() == scheduled && j.unscrapeable().is_none()).collect();
            let Some(first) = jobs.first() else { continue };
            let mut ports: Vec<u16> = jobs.iter().map(|j| j.ui_port()).collect();
            ports.sort_unstable();
            ports.dedup();
            flows.push(Flow {
                id,
                from: End::pods(&m.namespace.value, "Prometheus"),
                to: End::Pods {
                    namespace: ns.to_string(),
                    selectors: vec![
                        (SPARK_ROLE_LABEL.to_string(), vec!["driver".to_string()]),
                        (key.to_string(), jobs.iter().map(|j| j.name.value.clone()).collect()),
                    ],
                    what: "Spark drivers' metrics".to_string(),
                },
                ports: tcp(&ports),
                serves: jobs
                    .iter()
                    .map(|j| {
                        format!("spark-job `{}`: Prometheus scrapes its driver and executors' metrics", j.name.value)
                    })
                    .collect(),
                span: first.name.span,
                allowed: by_strata(),
            });
        }
    }

    // Stream apps and batch jobs are scraped on the ports their `metrics` nodes declare; each kind selects
    // its pods by its own label, so each has a policy of its own (one policy selects one set of pods).
    if let Some(m) = &p.monitoring {
        let apps: &[&StreamApp] = by.scraped_apps.get(tenant).map_or(&[], Vec::as_slice);
        let jobs: &[&BatchJob] = by.scraped_jobs.get(tenant).map_or(&[], Vec::as_slice);
        let scraped = [
            (
                "monitoring-apps",
                crate::model::app::POD_LABEL,
                "stream apps' metrics",
                "stream-app",
                apps.iter().map(|a| (&a.name, a.metrics.as_slice())).collect::<Vec<_>>(),
            ),
            (
                "monitoring-jobs",
                crate::model::job::POD_LABEL,
                "batch jobs' metrics",
                "job",
                jobs.iter().map(|j| (&j.name, j.metrics.as_slice())).collect::<Vec<_>>(),
            ),
        ];
        for (id, label, what, kind, workloads) in scraped {
            let Some((first, _)) = workloads.first() else { continue };
            let mut ports: Vec<u16> = workloads.iter().flat_map(|(_, ms)| ms.iter().map(|m| m.number())).collect();
            ports.sort_unstable();
            ports.dedup();
            flows.push(Flow {
                id,
                from: End::pods(&m.namespace.value, "Prometheus"),
                to: End::Pods {
                    namespace: ns.to_string(),
                    selectors: vec![(label.to_string(), workloads.iter().map(|(n, _)| n.value.clone()).collect())],
                    what: what.to_string(),
                },
                ports: tcp(&ports),
                serves: workloads
                    .iter()
                    .map(|(n, _)| format!("{kind} `{}`: Prometheus scrapes its metrics", n.value))
                    .collect(),
                span: first.span,
                allowed: by_strata(),
            });
        }
    }

    // Native-mode JobManagers start TaskManagers and Spark drivers start executors through the API server.
    // strata cannot know its addresses, so only a rule the tenant writes allows these flows.
    let apiserver_rule = if isolated { address_rule(t, &APISERVER_PORTS) } else { None };
    let apiserver_allowed = || match (isolated, apiserver_rule) {
        (false, _) => Allowed::Open,
        (true, Some(r)) => Allowed::ByTenantRule(r.span),
        (true, None) => Allowed::Blocked,
    };
    let apiserver_ports = apiserver_rule.map_or_else(|| tcp(&APISERVER_PORTS), |r| rule_ports(r, &APISERVER_PORTS));
    if let Some(first) = spark_jobs.first() {
        flows.push(Flow {
            id: "spark-apiserver",
            from: End::Pods {
                namespace: ns.to_string(),
                selectors: vec![(SPARK_ROLE_LABEL.to_string(), vec!["driver".to_string()])],
                what: "Spark drivers".to_string(),
            },
            to: End::ApiServer,
            ports: apiserver_ports.clone(),
            serves: spark_jobs.iter().map(|j| format!("spark-job `{}`: start executors", j.name.value)).collect(),
            span: first.name.span,
            allowed: apiserver_allowed(),
        });
    }
    if let Some(first) = flink_jobs.first() {
        flows.push(Flow {
            id: "flink-apiserver",
            from: End::Pods {
                namespace: ns.to_string(),
                selectors: vec![
                    (FLINK_APP_LABEL.to_string(), flink_jobs.iter().map(|j| j.name.value.clone()).collect()),
                    (FLINK_COMPONENT_LABEL.to_string(), vec!["jobmanager".to_string()]),
                ],
                what: "Flink JobManagers".to_string(),
            },
            to: End::ApiServer,
            ports: apiserver_ports.clone(),
            serves: flink_jobs
                .iter()
                .map(|j| format!("flink-job `{}`: start TaskManagers (native mode)", j.name.value))
                .collect(),
            span: first.name.span,
            allowed: apiserver_allowed(),
        });
    }
    flows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::compile;

    fn flows_of(body: &str, tenant: &str) -> Vec<Flow> {
        let c = compile(body);
        let t = c.platform.tenant(tenant).expect("tenant").clone();
        flows(&c.platform, &ByTenant::new(&c.platform), &t)
    }

    const FLINK: &str = r#"flink-job "j" tenant="t" {
    image "flink:1.20.1"
    jar "local:///opt/flink/usrlib/j.jar" version="1.20"
    parallelism 1
    jobmanager size="s"
    taskmanager size="s"
"#;

    #[test]
    fn an_isolated_flink_tenant_admits_the_operator_and_needs_an_apiserver_rule() {
        let f = flows_of(&format!("tenant \"t\"\n{FLINK}}}\n"), "t");
        let ids: Vec<&str> = f.iter().map(|f| f.id).collect();
        assert_eq!(ids, ["dns", "same-namespace", "flink-operator", "flink-apiserver"]);
        let op = &f[2];
        assert_eq!(op.allowed, Allowed::ByStrata);
        assert_eq!(op.ports, [(Protocol::Tcp, FLINK_REST_PORT)]);
        assert_eq!(op.from, End::pods(DEFAULT_FLINK_OPERATOR_NAMESPACE, "the Flink operator"));
        assert_eq!(f[3].allowed, Allowed::Blocked);
    }

    #[test]
    fn a_monitored_isolated_tenant_admits_prometheus_to_the_metrics_port() {
        let spec = format!(
            "platform \"p\" {{\n    monitoring namespace=\"observability\" {{ selector \"release\" \"kps\"; }}\n}}\ntenant \"t\"\n{FLINK}}}\n"
        );
        let c = crate::test_support::compile_spec(&spec);
        let t = c.platform.tenant("t").expect("tenant").clone();
        let f = flows(&c.platform, &ByTenant::new(&c.platform), &t);
        let scrape = f.iter().find(|f| f.id == "monitoring").expect("a scrape flow");
        assert_eq!(scrape.allowed, Allowed::ByStrata);
        assert_eq!(scrape.ports, [(Protocol::Tcp, 9249)]);
        assert_eq!(scrape.from, End::pods("observability", "Prometheus"));
        // Without `monitoring` nothing is scraped, so no flow is needed.
        let f = flows_of(&format!("tenant \"t\"\n{FLINK}}}\n"), "t");
        assert!(f.iter().all(|f| f.id != "monitoring"));
    }

    #[test]
    fn scraped_spark_drivers_apps_and_jobs_each_get_a_flow_on_their_ports() {
        let spec = r#"platform "p" {
    monitoring { selector "release" "kps"; }
}
tenant "t"
kafka "main" namespace="kafka" brokers=3 authorization="simple" kafka-exporter=#true
spark-job "once" tenant="t" { image "r.io/s:1.0.0" spark-version="3.5.1"; main "local:///a.jar" class="A"; executors 1 size="s"; conf "spark.ui.port" "4041"; }
spark-job "old" tenant="t" { image "r.io/s:1.0.0" spark-version="2.4.8"; main "local:///a.jar" class="A"; executors 1 size="s"; }
spark-job "nightly" tenant="t" { image "r.io/s:1.0.0" spark-version="3.5.1"; main "local:///a.jar" class="A"; executors 1 size="s"; schedule "0 2 * * *"; }
stream-app "a" tenant="t" { image "r.io/a:1.0.0"; size "s"; metrics port=9090; metrics port=9404 port-name="jmx"; }
stream-app "quiet" tenant="t" { image "r.io/q:1.0.0"; size "s"; }
job "j" tenant="t" { image "r.io/j:1.0.0"; resources size="s"; metrics port=8000; }
"#;
        let c = crate::test_support::compile_spec(spec);
        let t = c.platform.tenant("t").expect("tenant").clone();
        let f = flows(&c.platform, &ByTenant::new(&c.platform), &t);
        let get = |id: &str| f.iter().find(|f| f.id == id).unwrap_or_else(|| panic!("no flow {id}"));
        let spark = get("monitoring-spark");
        // Spark 2.4 cannot be scraped: its driver is not admitted.
        assert_eq!(
            spark.to,
            End::Pods {
                namespace: "t".into(),
                selectors: vec![
                    ("spark-role".into(), vec!["driver".into()]),
                    ("sparkoperator.k8s.io/app-name".into(), vec!["once".into()]),
                ],
                what: "Spark drivers' metrics".into(),
            }
        );
        assert_eq!(spark.ports, [(Protocol::Tcp, 4041)]);
        let scheduled = get("monitoring-spark-scheduled");
        assert!(
            matches!(&scheduled.to, End::Pods { selectors, .. } if selectors[1].0 == "sparkoperator.k8s.io/scheduled-app-name")
        );
        assert_eq!(scheduled.ports, [(Protocol::Tcp, 4040)]);
        let apps = get("monitoring-apps");
        assert!(
            matches!(&apps.to, End::Pods { selectors, .. } if selectors == &[("app.kubernetes.io/name".to_string(), vec!["a".to_string()])])
        );
        assert_eq!(apps.ports, [(Protocol::Tcp, 9090), (Protocol::Tcp, 9404)]);
        assert_eq!(get("monitoring-jobs").ports, [(Protocol::Tcp, 8000)]);
        assert!(f.iter().filter(|f| f.id.starts_with("monitoring")).all(|f| f.allowed == Allowed::ByStrata));
        assert!(f.iter().all(|f| f.id != "monitoring"), "no Flink job, no Flink scrape flow");
    }

    #[test]
    fn the_operator_namespace_and_rest_port_come_from_the_spec() {
        let spec = format!(
            "platform \"test\" {{\n    operators {{\n        flink namespace=\"ops\"\n    }}\n}}\ntenant \"t\" {{ network \"isolated\" {{ egress cidr=\"10.0.0.1/32\"; }}; }}\n{FLINK}    config \"rest.port\" 9091\n}}\n"
        );
        let c = crate::test_support::compile_spec(&spec);
        assert!(c.ok(), "{:?}", c.diagnostics);
        let t = c.platform.tenant("t").expect("tenant");
        let f = flows(&c.platform, &ByTenant::new(&c.platform), t);
        let op = f.iter().find(|f| f.id == "flink-operator").expect("operator flow");
        assert_eq!(op.ports, [(Protocol::Tcp, 9091)]);
        assert_eq!(op.from, End::pods("ops", "the Flink operator"));
        let api = f.iter().find(|f| f.id == "flink-apiserver").expect("apiserver flow");
        assert!(matches!(api.allowed, Allowed::ByTenantRule(_)));
        assert_eq!(api.ports, [(Protocol::Tcp, 443), (Protocol::Tcp, 6443)]);
    }

    #[test]
    fn an_open_tenant_needs_no_policy() {
        let f = flows_of(&format!("tenant \"t\" {{ network \"open\"; }}\n{FLINK}}}\n"), "t");
        assert!(f.iter().all(|f| f.allowed == Allowed::Open));
    }
}
