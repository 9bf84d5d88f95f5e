//! Spark jobs (`spark-job`) as the kubeflow Spark operator runs them, and the one place that turns a job's
//! sizing into real pod sizes: Spark adds a memory overhead to every driver and executor pod, and the pod
//! (not the JVM heap the user writes) is what a ResourceQuota counts. Emitters and the quota-fit check both
//! read [`SparkJob::pods`], so the manifests and the arithmetic can never disagree.

use crate::model::Platform;
use crate::model::demand::{AdmittedPod, ContainerResources, Demand, PodDemand, Run};
use crate::source::{Span, Spanned};
use crate::units::{Bytes, Cpu, Duration};

/// Every `spark-job` of the platform.
#[derive(Debug, Clone, Default)]
pub struct SparkModel {
    pub jobs: Vec<SparkJob>,
}

/// `.spec.type`: decides the default memory overhead factor (JVM or not) and whether a main class is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppType {
    Scala,
    Java,
    Python,
    R,
}

impl AppType {
    pub const NAMES: &'static [&'static str] = &["Scala", "Java", "Python", "R"];

    pub fn as_str(self) -> &'static str {
        match self {
            AppType::Scala => "Scala",
            AppType::Java => "Java",
            AppType::Python => "Python",
            AppType::R => "R",
        }
    }

    pub fn parse(s: &str) -> Option<AppType> {
        Some(match s {
            "Scala" => AppType::Scala,
            "Java" => AppType::Java,
            "Python" => AppType::Python,
            "R" => AppType::R,
            _ => return None,
        })
    }

    pub fn is_jvm(self) -> bool {
        matches!(self, AppType::Scala | AppType::Java)
    }

    /// Spark's rule for `spark-submit`: a `.py` main file is a Python application, `.R` an R one, anything
    /// else runs on the JVM. Scala is the operator's usual spelling for JVM jobs.
    pub fn infer(main_file: &str) -> AppType {
        let path = main_file.split(['?', '#']).next().unwrap_or(main_file);
        if path.ends_with(".py") {
            AppType::Python
        } else if path.ends_with(".R") || path.ends_with(".r") {
            AppType::R
        } else {
            AppType::Scala
        }
    }
}

/// Spark's memory sizes (`4g`, `512m`): binary units, whole numbers. Kept in bytes; printed back in Spark's
/// own format for the SparkApplication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SparkMemory(pub Bytes);

pub const MIB: u64 = 1 << 20;
pub const GIB: u64 = 1 << 30;

impl std::fmt::Display for SparkMemory {
    /// The largest Spark unit that divides the value: `4g`, `1536m`, `512k`, or bytes `100b`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = self.0.0;
        for (unit, mult) in [("t", 1u64 << 40), ("g", GIB), ("m", MIB), ("k", 1 << 10)] {
            if b > 0 && b.is_multiple_of(mult) {
                return write!(f, "{}{unit}", b / mult);
            }
        }
        write!(f, "{b}b")
    }
}

/// `driver ...` or the sizing part of `executors ...`: a size preset and/or explicit values, each explicit
/// value overriding the preset's.
#[derive(Debug, Clone)]
pub struct RoleSpec {
    /// The node (`driver` / `executors`), for messages about the role as a whole.
    pub span: Span,
    pub size: Option<Spanned<String>>,
    /// Spark's task slots; must be a whole number (checked), so kept as a CPU quantity to report fractions.
    pub cores: Option<Spanned<Cpu>>,
    pub memory: Option<Spanned<SparkMemory>>,
    pub core_request: Option<Spanned<Cpu>>,
    pub core_limit: Option<Spanned<Cpu>>,
    pub memory_overhead: Option<Spanned<SparkMemory>>,
    /// A sizing property was written but did not lower (already reported): later checks stay quiet about
    /// what is "missing".
    pub invalid: bool,
}

impl RoleSpec {
    pub fn empty(span: Span) -> Self {
        RoleSpec {
            span,
            size: None,
            cores: None,
            memory: None,
            core_request: None,
            core_limit: None,
            memory_overhead: None,
            invalid: false,
        }
    }
}

/// `executors 20 size="l"` (fixed) or `executors min=2 max=20 size="l"` (dynamic allocation).
#[derive(Debug, Clone)]
pub struct ExecutorSpec {
    pub role: RoleSpec,
    pub instances: Option<Spanned<u64>>,
    pub min: Option<Spanned<u64>>,
    pub max: Option<Spanned<u64>>,
    pub initial: Option<Spanned<u64>>,
}

impl ExecutorSpec {
    pub fn dynamic(&self) -> bool {
        self.min.is_some() || self.max.is_some()
    }

    /// The most executors that can run at once: the fixed count, or dynamic allocation's maximum.
    pub fn peak(&self) -> Option<u64> {
        if self.dynamic() { self.max.as_ref().map(|m| m.value) } else { self.instances.as_ref().map(|i| i.value) }
    }
}

/// `.spec.restartPolicy.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartType {
    Never,
    OnFailure,
    Always,
}

impl RestartType {
    pub const NAMES: &'static [&'static str] = &["Never", "OnFailure", "Always"];

    pub fn as_str(self) -> &'static str {
        match self {
            RestartType::Never => "Never",
            RestartType::OnFailure => "OnFailure",
            RestartType::Always => "Always",
        }
    }
}

/// `restart "OnFailure" retries=3 retry-interval="5m" ...`.
#[derive(Debug, Clone)]
pub struct RestartSpec {
    pub span: Span,
    pub kind: Spanned<RestartType>,
    pub retries: Option<Spanned<u64>>,
    pub retry_interval: Option<Spanned<Duration>>,
    pub submission_retries: Option<Spanned<u64>>,
    pub submission_retry_interval: Option<Spanned<Duration>>,
}

/// `.spec.concurrencyPolicy` of a ScheduledSparkApplication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concurrency {
    Allow,
    Forbid,
    Replace,
}

impl Concurrency {
    pub const NAMES: &'static [&'static str] = &["Forbid", "Allow", "Replace"];

    pub fn as_str(self) -> &'static str {
        match self {
            Concurrency::Allow => "Allow",
            Concurrency::Forbid => "Forbid",
            Concurrency::Replace => "Replace",
        }
    }
}

/// The operator keeps this many finished runs of each outcome when the spec does not say (CRD default).
pub const DEFAULT_RUN_HISTORY: u64 = 1;
/// strata pins the schedule's zone: the operator's own default is its pod's local zone.
pub const DEFAULT_TIME_ZONE: &str = "UTC";

/// `schedule "0 2 * * *" timezone="Europe/Berlin" ...`: makes the job a ScheduledSparkApplication.
#[derive(Debug, Clone)]
pub struct ScheduleSpec {
    pub span: Span,
    pub cron: Spanned<String>,
    pub time_zone: Option<Spanned<String>>,
    /// Forbid unless written: overlapping runs of a batch job are rarely wanted.
    pub concurrency: Option<Spanned<Concurrency>>,
    pub successful_history: Option<Spanned<u64>>,
    pub failed_history: Option<Spanned<u64>>,
    pub suspend: Option<Spanned<bool>>,
}

impl ScheduleSpec {
    pub fn concurrency(&self) -> Concurrency {
        self.concurrency.as_ref().map_or(Concurrency::Forbid, |c| c.value)
    }

    pub fn time_zone(&self) -> &str {
        self.time_zone.as_ref().map_or(DEFAULT_TIME_ZONE, |z| z.value.as_str())
    }

    pub fn successful_history(&self) -> u64 {
        self.successful_history.as_ref().map_or(DEFAULT_RUN_HISTORY, |h| h.value)
    }

    pub fn failed_history(&self) -> u64 {
        self.failed_history.as_ref().map_or(DEFAULT_RUN_HISTORY, |h| h.value)
    }
}

/// Shared with every domain whose pods can be placed (see `model::pod`).
pub use crate::model::pod::Toleration;

/// Pod security of the driver and executor pods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Security {
    /// Pod Security `restricted`: non-root (as this uid), no privilege escalation, every capability
    /// dropped, RuntimeDefault seccomp.
    Restricted { run_as_user: u64 },
    /// Opted out explicitly: the image's own user and the runtime's defaults.
    None,
}

/// The uid of the `spark` user in the Apache Spark images (`docker.io/apache/spark`, `spark:3.x`).
pub const SPARK_IMAGE_UID: u64 = 185;

/// `deps { jars ...; packages ...; ... }` → `.spec.deps`.
#[derive(Debug, Clone, Default)]
pub struct Deps {
    pub jars: Vec<Spanned<String>>,
    pub files: Vec<Spanned<String>>,
    pub py_files: Vec<Spanned<String>>,
    pub archives: Vec<Spanned<String>>,
    pub packages: Vec<Spanned<String>>,
    pub exclude_packages: Vec<Spanned<String>>,
    pub repositories: Vec<Spanned<String>>,
}

impl Deps {
    pub fn is_empty(&self) -> bool {
        self.jars.is_empty()
            && self.files.is_empty()
            && self.py_files.is_empty()
            && self.archives.is_empty()
            && self.packages.is_empty()
            && self.exclude_packages.is_empty()
            && self.repositories.is_empty()
    }
}

/// One `spark-job` node.
#[derive(Debug, Clone)]
pub struct SparkJob {
    /// `alert "..." threshold=... for=...`: overrides of the alerts strata writes about this object.
    pub alerts: Vec<crate::model::monitoring::AlertOverride>,
    pub name: Spanned<String>,
    pub tenant: Spanned<String>,
    /// The node's name (`spark-job`), for messages about the job as a whole.
    pub span: Span,
    pub image: Option<Spanned<String>>,
    pub spark_version: Option<Spanned<String>>,
    pub pull_policy: Option<Spanned<String>>,
    pub pull_secrets: Vec<Spanned<String>>,
    /// `main "<file>"`: the span of the `main` node, for "needs a main class" messages.
    pub main_span: Option<Span>,
    pub main_file: Option<Spanned<String>>,
    pub main_class: Option<Spanned<String>>,
    /// `type=` on `main`; otherwise inferred from the main file.
    pub app_type: Option<Spanned<AppType>>,
    pub args: Vec<Spanned<String>>,
    pub conf: Vec<(Spanned<String>, Spanned<String>)>,
    pub hadoop_conf: Vec<(Spanned<String>, Spanned<String>)>,
    pub deps: Deps,
    /// `None`: the driver uses [`DEFAULT_DRIVER_SIZE`].
    pub driver: Option<RoleSpec>,
    pub executors: Option<ExecutorSpec>,
    pub memory_overhead_factor: Option<Spanned<f64>>,
    pub restart: Option<RestartSpec>,
    pub ttl: Option<Spanned<Duration>>,
    pub priority_class: Option<Spanned<String>>,
    pub node_selector: Vec<(Spanned<String>, Spanned<String>)>,
    pub tolerations: Vec<Toleration>,
    pub schedule: Option<ScheduleSpec>,
    pub security: Spanned<Security>,
    /// `expected-runtime="2h"`: how long one run takes, for the cost model (nothing else reads it).
    pub expected_runtime: Option<Spanned<Duration>>,
    /// `spot=#true`: the driver and executors run on spot capacity, priced at the spot prices.
    pub spot: Option<Spanned<bool>>,
    pub exclusive_group: Option<Spanned<String>>,
}

/// The driver's size when a job has no `driver` node: drivers mostly coordinate, and a small one is the
/// operator examples' choice too.
pub const DEFAULT_DRIVER_SIZE: &str = "s";

/// Spark's floor for the memory overhead (`MEMORY_OVERHEAD_MIN_MIB`): `max(384MiB, factor × memory)`.
pub const MIN_OVERHEAD_MIB: u64 = 384;
/// Spark's default `spark.{driver,executor}.memoryOverheadFactor` for JVM jobs.
pub const JVM_OVERHEAD_FACTOR: f64 = 0.10;
/// Spark's default for Python and R jobs (`NON_JVM_MEMORY_OVERHEAD_FACTOR`): the interpreter lives outside
/// the JVM heap.
pub const NON_JVM_OVERHEAD_FACTOR: f64 = 0.40;
/// Shuffle tracking for dynamic allocation (Spark 3.0+, SPARK-27963; on by default since 3.4, SPARK-39846).
pub const CONF_SHUFFLE_TRACKING: &str = "spark.dynamicAllocation.shuffleTracking.enabled";
/// The sparkConf key behind `.spec.memoryOverheadFactor`.
pub const CONF_OVERHEAD_FACTOR: &str = "spark.kubernetes.memoryOverheadFactor";

/// The ports Spark gives the driver's container, by the names Spark itself gives them (apache/spark
/// `resource-managers/kubernetes/core/.../k8s/Constants.scala`, `DRIVER_PORT_NAME`, `BLOCK_MANAGER_PORT_NAME`,
/// `UI_PORT_NAME`, added in `features/BasicDriverFeatureStep.scala`, read at commit 00012ec): the RPC port
/// (`spark.driver.port`, 7078 on Kubernetes), the block manager's (`spark.driver.blockManager.port`, else
/// `spark.blockManager.port`, else 7079) and the web UI's (`spark.ui.port`, else 4040). Prometheus scrapes
/// the UI port by its name `spark-ui`: Spark names it on every driver pod, with or without the operator's
/// pod webhook (which alone applies `.spec.driver.ports`).
pub const DRIVER_RPC_PORT_NAME: &str = "driver-rpc-port";
pub const BLOCK_MANAGER_PORT_NAME: &str = "blockmanager";
pub const UI_PORT_NAME: &str = "spark-ui";
pub const DEFAULT_DRIVER_RPC_PORT: u16 = 7078;
pub const DEFAULT_BLOCK_MANAGER_PORT: u16 = 7079;
pub const DEFAULT_UI_PORT: u16 = 4040;

/// Spark's native Prometheus support (Spark 3.0+, SPARK-29032 and SPARK-29064; apache/spark
/// `docs/monitoring.md`): the `PrometheusServlet` sink serves the driver's metrics at `/metrics/prometheus`
/// on the UI port (sink settings as sparkConf take the form `spark.metrics.conf.[instance|*].sink.
/// [sink_name].[parameter_name]`), and with `spark.ui.prometheus.enabled=true` the driver serves its
/// executors' metrics at `/metrics/executors/prometheus` (`UI_PROMETHEUS_ENABLED` in `core/.../internal/
/// config/UI.scala`: off by default in 3.x, on in 4.x; written either way).
pub const PROMETHEUS_CONF: &[(&str, &str)] = &[
    ("spark.metrics.conf.*.sink.prometheusServlet.class", "org.apache.spark.metrics.sink.PrometheusServlet"),
    ("spark.metrics.conf.*.sink.prometheusServlet.path", DRIVER_METRICS_PATH),
    ("spark.ui.prometheus.enabled", "true"),
];
pub const DRIVER_METRICS_PATH: &str = "/metrics/prometheus";
pub const EXECUTOR_METRICS_PATH: &str = "/metrics/executors/prometheus";

/// How a pod's overhead was decided, for messages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OverheadRule {
    Explicit,
    Factor(f64),
    Minimum,
}

/// One role's pods as Spark will create them.
#[derive(Debug, Clone, PartialEq)]
pub struct PodSize {
    /// `spark.{driver,executor}.cores`: task slots, and the CPU request unless `core_request` is set.
    pub cores: u64,
    pub core_request: Option<Cpu>,
    /// Always set by strata: without it Spark leaves the limit to the namespace's LimitRange, which may be
    /// below the request (the pod is then rejected) and is invisible to the quota arithmetic.
    pub core_limit: Cpu,
    /// The JVM memory (`spark.{driver,executor}.memory`).
    pub memory: SparkMemory,
    /// Pinned into the SparkApplication, so the pod is exactly what strata counted whatever the Spark
    /// version's overhead rules are.
    pub overhead: SparkMemory,
    pub overhead_rule: OverheadRule,
    /// Executors only: `spark.executor.pyspark.memory` (Python jobs) and off-heap memory, which Spark 3.1+
    /// adds to the executor pod's memory.
    pub extra: Bytes,
}

impl PodSize {
    pub fn cpu_request(&self) -> Cpu {
        self.core_request.unwrap_or(Cpu(self.cores * 1000))
    }

    /// The pod's memory request and limit (Spark sets both to the same value).
    pub fn pod_memory(&self) -> Bytes {
        Bytes(self.memory.0.0.saturating_add(self.overhead.0.0).saturating_add(self.extra.0))
    }

    /// `4g + 409m overhead`: what the pod's memory is made of.
    pub fn memory_breakdown(&self) -> String {
        let mut s = format!("{} + {} overhead", self.memory, self.overhead);
        if self.extra.0 > 0 {
            s.push_str(&format!(" + {} python/off-heap", SparkMemory(self.extra)));
        }
        s
    }
}

/// Both roles of a job, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct JobPods {
    pub driver: PodSize,
    pub executor: PodSize,
    /// Executors at peak (fixed count or dynamic maximum).
    pub executors: u64,
}

impl SparkJob {
    pub fn app_type(&self) -> AppType {
        match (&self.app_type, &self.main_file) {
            (Some(t), _) => t.value,
            (None, Some(f)) => AppType::infer(&f.value),
            (None, None) => AppType::Scala,
        }
    }

    pub fn scheduled(&self) -> bool {
        self.schedule.is_some()
    }

    pub fn conf(&self, key: &str) -> Option<&Spanned<String>> {
        self.conf.iter().find(|(k, _)| k.value == key).map(|(_, v)| v)
    }

    /// Whether dynamic allocation keeps executors holding shuffle files (`spark.dynamicAllocation.
    /// shuffleTracking.enabled`): the job's sparkConf when it says `false`, else on. Kubernetes has no
    /// external shuffle service, so without this (or another way to keep shuffle data) Spark refuses dynamic
    /// allocation (`ExecutorAllocationManager.validateSettings`).
    pub fn shuffle_tracking(&self) -> bool {
        !self.conf(CONF_SHUFFLE_TRACKING).is_some_and(|v| v.value.trim().eq_ignore_ascii_case("false"))
    }

    /// The `(major, minor)` of `spark-version=`, when it parses.
    pub fn version(&self) -> Option<(u32, u32)> {
        let v = self.spark_version.as_ref()?;
        let mut parts = v.value.split('.');
        Some((parts.next()?.trim().parse().ok()?, parts.next()?.trim().parse().ok()?))
    }

    /// A port number from sparkConf, if set and a number (an unparsable value is Spark's error to report).
    fn conf_port(&self, key: &str) -> Option<u16> {
        self.conf(key).and_then(|v| v.value.trim().parse().ok())
    }

    /// The driver's named container ports as Spark creates them (see [`UI_PORT_NAME`]).
    pub fn driver_ports(&self) -> [(&'static str, u16); 3] {
        let rpc = self.conf_port("spark.driver.port").unwrap_or(DEFAULT_DRIVER_RPC_PORT);
        let block = self
            .conf_port("spark.driver.blockManager.port")
            .or_else(|| self.conf_port("spark.blockManager.port"))
            .unwrap_or(DEFAULT_BLOCK_MANAGER_PORT);
        [(DRIVER_RPC_PORT_NAME, rpc), (BLOCK_MANAGER_PORT_NAME, block), (UI_PORT_NAME, self.ui_port())]
    }

    /// The driver's web UI port, where Spark serves its Prometheus metrics.
    pub fn ui_port(&self) -> u16 {
        self.conf_port("spark.ui.port").unwrap_or(DEFAULT_UI_PORT)
    }

    /// Why Prometheus cannot scrape the job natively, or `None`: Spark before 3.0 has no Prometheus
    /// support, and `spark.ui.enabled=false` turns off the UI that serves it.
    pub fn unscrapeable(&self) -> Option<(String, Span)> {
        if let (Some((major, minor)), Some(v)) = (self.version(), &self.spark_version)
            && major < 3
        {
            return Some((
                format!("Spark {major}.{minor} has no native Prometheus support (Spark 3.0 added it)"),
                v.span,
            ));
        }
        let ui_off = self.conf("spark.ui.enabled").filter(|v| v.value.trim().eq_ignore_ascii_case("false"))?;
        Some(("`spark.ui.enabled` is `false`: the web UI serves the metrics".to_string(), ui_off.span))
    }

    /// A sparkConf boolean written as `true` (Spark reads booleans case-insensitively).
    pub fn conf_true(&self, key: &str) -> bool {
        self.conf(key).is_some_and(|v| v.value.trim().eq_ignore_ascii_case("true"))
    }

    /// The overhead factor in force: the job's own, the sparkConf's, or Spark's default for the job type.
    pub fn overhead_factor(&self) -> f64 {
        if let Some(f) = &self.memory_overhead_factor {
            return f.value;
        }
        if let Some(f) = self.conf(CONF_OVERHEAD_FACTOR).and_then(|v| v.value.trim().parse::<f64>().ok()) {
            return f;
        }
        if self.app_type().is_jvm() { JVM_OVERHEAD_FACTOR } else { NON_JVM_OVERHEAD_FACTOR }
    }

    /// Driver and executor pods as Spark will size them, or `None` while something they depend on is
    /// invalid (an unknown size, fractional cores, ...), which the checks report.
    pub fn pods(&self, p: &Platform) -> Option<JobPods> {
        let default_driver;
        let driver_spec = match &self.driver {
            Some(d) => d,
            None => {
                default_driver = RoleSpec {
                    size: Some(Spanned::new(DEFAULT_DRIVER_SIZE.to_string(), self.span)),
                    ..RoleSpec::empty(self.span)
                };
                &default_driver
            }
        };
        let exec = self.executors.as_ref()?;
        let driver = self.resolve(p, driver_spec, Bytes(0))?;
        let executor = self.resolve(p, &exec.role, self.executor_extra_memory()?)?;
        Some(JobPods { driver, executor, executors: exec.peak()? })
    }

    fn resolve(&self, p: &Platform, r: &RoleSpec, extra: Bytes) -> Option<PodSize> {
        let size = match &r.size {
            Some(s) => Some(p.presets.size(&s.value)?),
            None => None,
        };
        let explicit_cpu = r.cores.is_some() || r.core_request.is_some();
        let cores = match &r.cores {
            Some(c) if c.value.0 >= 1000 && c.value.0.is_multiple_of(1000) => c.value.0 / 1000,
            Some(_) => return None,
            // A fractional size (500m) still needs one whole task slot; the fraction becomes the request.
            None => match (&r.core_request, size) {
                (Some(req), _) => req.value.cores_ceil().max(1),
                (None, Some(s)) => s.cpu.value.cores_ceil().max(1),
                (None, None) => return None,
            },
        };
        let core_request = match (&r.core_request, size) {
            (Some(req), _) => Some(req.value),
            (None, Some(s)) if r.cores.is_none() && !s.cpu.value.0.is_multiple_of(1000) => Some(s.cpu.value),
            _ => None,
        };
        let request = core_request.unwrap_or(Cpu(cores * 1000));
        let core_limit = match (&r.core_limit, size) {
            (Some(l), _) => l.value,
            (None, Some(s)) if !explicit_cpu => s.cpu_limit(),
            _ => request,
        };
        let memory = match (&r.memory, size) {
            (Some(m), _) => m.value,
            (None, Some(s)) => SparkMemory(s.memory.value),
            (None, None) => return None,
        };
        if memory.0.0 == 0 || !memory.0.0.is_multiple_of(MIB) {
            return None;
        }
        let (overhead, overhead_rule) = match &r.memory_overhead {
            Some(o) => (o.value, OverheadRule::Explicit),
            None => {
                let factor = self.overhead_factor();
                // Spark: `max((factor * memoryMiB).toInt, 384)`, in MiB, truncating like the JVM's toInt.
                let scaled = (factor * (memory.0.0 / MIB) as f64).floor();
                let scaled = if scaled.is_finite() && scaled > 0.0 { scaled as u64 } else { 0 };
                if scaled >= MIN_OVERHEAD_MIB {
                    (SparkMemory(Bytes(scaled.checked_mul(MIB)?)), OverheadRule::Factor(factor))
                } else {
                    (SparkMemory(Bytes(MIN_OVERHEAD_MIB * MIB)), OverheadRule::Minimum)
                }
            }
        };
        Some(PodSize { cores, core_request, core_limit, memory, overhead, overhead_rule, extra })
    }

    /// `spark.executor.pyspark.memory` (Python only) plus off-heap memory when enabled: Spark adds both to
    /// each executor pod (`ResourceProfile.getResourcesForClusterManager`). `None` if a value does not parse.
    fn executor_extra_memory(&self) -> Option<Bytes> {
        let mut extra = 0u64;
        if self.app_type() == AppType::Python
            && let Some(v) = self.conf("spark.executor.pyspark.memory")
        {
            extra = extra.saturating_add(parse_conf_memory_mib(&v.value)?);
        }
        if self.conf("spark.memory.offHeap.enabled").is_some_and(|v| v.value.trim() == "true")
            && let Some(v) = self.conf("spark.memory.offHeap.size")
        {
            extra = extra.saturating_add(parse_conf_memory_mib(&v.value)?);
        }
        Some(Bytes(extra))
    }

    /// The job's peak demand on its tenant's quota, or `None` while its pods do not size (see [`Self::pods`]).
    pub fn demand(&self, p: &Platform) -> Option<Demand> {
        self.pods(p).map(|pods| self.demand_for(&pods))
    }

    /// The peak demand of the job with these pods: what the quota-fit check counts for a checked spec and
    /// the resolved job carries for a compiled one.
    pub fn demand_for(&self, pods: &JobPods) -> Demand {
        let role = |name: &str, count: u64, s: &PodSize| PodDemand {
            role: format!("{name} ({})", s.memory_breakdown()),
            count,
            cpu_request: s.cpu_request(),
            cpu_limit: s.core_limit,
            memory_request: s.pod_memory(),
            memory_limit: s.pod_memory(),
            gpus: 0,
            spot: false,
        };
        // Spark sets the memory limit to the request (the pod's memory incl. overhead) and the cpu limit to
        // `coreLimit`, which strata always writes.
        let admitted = |role: String, span: Span, s: &PodSize| AdmittedPod {
            containers: vec![ContainerResources {
                name: format!("spark-kubernetes-{}", role.split(' ').next().unwrap_or("driver")),
                cpu_request: Some(s.cpu_request()),
                cpu_limit: Some(s.core_limit),
                memory_request: Some(s.pod_memory()),
                memory_limit: Some(s.pod_memory()),
            }],
            role,
            span,
        };
        let driver_span = self.driver.as_ref().map_or(self.name.span, |r| r.span);
        let executor_span = self.executors.as_ref().map_or(self.name.span, |e| e.role.span);
        let (kind, objects) = match &self.schedule {
            // One ScheduledSparkApplication, and the SparkApplications it keeps: the running one plus the
            // finished runs of each outcome its history limits retain.
            Some(s) => (
                "scheduled spark-job",
                vec![
                    (SCHEDULED_RESOURCE.to_string(), 1),
                    (APPLICATION_RESOURCE.to_string(), 1 + s.successful_history() + s.failed_history()),
                ],
            ),
            None => ("spark-job", vec![(APPLICATION_RESOURCE.to_string(), 1)]),
        };
        let spot = self.spot.as_ref().is_some_and(|s| s.value);
        Demand {
            tenant: self.tenant.value.clone(),
            workload: format!("{kind} `{}`", self.name.value),
            span: self.name.span,
            exclusive_group: self.exclusive_group.as_ref().map(|g| g.value.clone()),
            // Dynamic allocation counts at its maximum; a role counted at an autoscaler's maximum ends in
            // ` at max` (quota fit names it).
            pods: vec![
                role("driver", 1, &pods.driver).with_spot(spot),
                role(
                    if self.executors.as_ref().is_some_and(ExecutorSpec::dynamic) {
                        "executors at max"
                    } else {
                        "executors"
                    },
                    pods.executors,
                    &pods.executor,
                )
                .with_spot(spot),
            ],
            objects,
            admission: vec![
                admitted(format!("driver ({})", pods.driver.memory_breakdown()), driver_span, &pods.driver),
                admitted(format!("executor ({})", pods.executor.memory_breakdown()), executor_span, &pods.executor),
            ],
            run: match &self.schedule {
                Some(s) => Run::Scheduled {
                    cron: s.cron.clone(),
                    time_zone: s.time_zone().to_string(),
                    runtime: self.expected_runtime.clone(),
                },
                None => Run::Once { runtime: self.expected_runtime.clone() },
            },
        }
    }
}

/// `count/<resource>` names of the operator's kinds, as a ResourceQuota counts them.
pub const APPLICATION_RESOURCE: &str = "sparkapplications.sparkoperator.k8s.io";
pub const SCHEDULED_RESOURCE: &str = "scheduledsparkapplications.sparkoperator.k8s.io";

/// A memory value from sparkConf in MiB-granular bytes: Spark reads these keys as MiB when no unit is given.
pub fn parse_conf_memory_mib(s: &str) -> Option<u64> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<u64>().ok()?.checked_mul(MIB);
    }
    parse_spark_memory(t).ok().map(|m| m.0.0)
}

/// Why a Spark memory string was refused, with the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryError {
    pub message: String,
    pub help: String,
}

/// Parses Spark's size format (`4g`, `512m`, `1024k`, `2t`, `100b`; the suffix in either case, `gb`/`mb`
/// accepted) and, as a convenience, Kubernetes' binary suffixes (`4Gi`, `512Mi`). All are binary units.
/// Fractions are refused because Spark refuses them (`JavaUtils.byteStringAs`).
pub fn parse_spark_memory(s: &str) -> Result<SparkMemory, MemoryError> {
    let t = s.trim();
    let help = "write a whole number with a Spark unit: `4g`, `512m` (or Kubernetes' `4Gi`, `512Mi`)";
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let mult: u64 = match unit.to_ascii_lowercase().as_str() {
        "b" => 1,
        "k" | "kb" | "ki" | "kib" => 1 << 10,
        "m" | "mb" | "mi" | "mib" => 1 << 20,
        "g" | "gb" | "gi" | "gib" => 1 << 30,
        "t" | "tb" | "ti" | "tib" => 1 << 40,
        "p" | "pb" | "pi" | "pib" => 1 << 50,
        "" if !num.is_empty() => {
            return Err(MemoryError {
                message: format!("`{s}` has no unit"),
                help: format!(
                    "Spark reads a bare number as MiB in some places and bytes in others: write `{num}m` or `{num}g`"
                ),
            });
        }
        _ => return Err(MemoryError { message: format!("`{s}` is not a Spark memory size"), help: help.into() }),
    };
    if num.is_empty() {
        return Err(MemoryError { message: format!("`{s}` is not a Spark memory size"), help: help.into() });
    }
    if num.contains('.') {
        // Suggest the same amount in the next smaller unit when that is whole.
        let suggestion = fraction_in_smaller_unit(num, mult);
        return Err(MemoryError {
            message: format!("Spark does not accept fractional sizes: `{s}`"),
            help: match suggestion {
                Some(m) => format!("write `{m}`"),
                None => "write a whole number in a smaller unit, e.g. `1536m` instead of `1.5g`".into(),
            },
        });
    }
    let n: u64 = num.parse().map_err(|_| MemoryError { message: format!("`{s}` is too large"), help: help.into() })?;
    let bytes = n
        .checked_mul(mult)
        .filter(|b| *b <= 1 << 60)
        .ok_or_else(|| MemoryError { message: format!("`{s}` is larger than any cluster has"), help: help.into() })?;
    Ok(SparkMemory(Bytes(bytes)))
}

fn fraction_in_smaller_unit(num: &str, mult: u64) -> Option<String> {
    let (int, frac) = num.split_once('.')?;
    if frac.is_empty() || frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let denom = 10u64.pow(frac.len() as u32);
    let frac: u64 = frac.parse().ok()?;
    let frac_bytes = frac.checked_mul(mult)?;
    let bytes = int.checked_mul(mult)?.checked_add(frac_bytes / denom)?;
    if !frac_bytes.is_multiple_of(denom) || bytes == 0 {
        return None;
    }
    Some(SparkMemory(Bytes(bytes)).to_string())
}

/// Every Spark job's demand, for [`Platform::demands`].
pub fn demands(p: &Platform) -> Vec<Demand> {
    p.spark.jobs.iter().filter_map(|j| j.demand(p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::compile_spec as compile;

    const JOBS: &str = r#"
platform "t"
tenant "a" { quota cpu=100 memory="1Ti"; limits default-cpu=1 default-memory="1Gi"; }
spark-job "sized" tenant="a" {
    image "apache/spark:3.5.1" spark-version="3.5.1"
    main "local:///opt/app.jar" class="com.acme.Main"
    driver size="s"
    executors 12 size="l"
}
spark-job "py" tenant="a" {
    image "apache/spark:3.5.1" spark-version="3.5.1"
    main "local:///opt/job.py"
    conf "spark.executor.pyspark.memory" "1g"
    driver cores=1 memory="2g"
    executors min=2 max=16 cores=2 core-request="1500m" memory="6g" memory-overhead="1g"
}
spark-job "factor" tenant="a" {
    image "apache/spark:3.5.1" spark-version="3.5.1"
    main "local:///opt/app.jar" class="com.acme.Main"
    conf "spark.kubernetes.memoryOverheadFactor" "0.25"
    driver cores=2 memory="4g" core-limit=3
    executors 3 cores=1 memory="1g"
    schedule "0 1 * * *" successful-history=3 failed-history=5
}
"#;

    #[test]
    fn pods_follow_spark_rules() {
        let c = compile(JOBS);
        assert!(c.ok(), "{:?}", c.diagnostics);
        let p = &c.platform;
        let job = |n: &str| p.spark.jobs.iter().find(|j| j.name.value == n).unwrap();

        let sized = job("sized").pods(p).unwrap();
        // Size `s` is 500m: one task slot, the fraction as the request, the size's limit.
        assert_eq!(
            (sized.driver.cores, sized.driver.core_request, sized.driver.core_limit),
            (1, Some(Cpu(500)), Cpu(1000))
        );
        assert_eq!(sized.driver.memory.to_string(), "1g");
        assert_eq!(
            (sized.driver.overhead.to_string(), sized.driver.overhead_rule),
            ("384m".into(), OverheadRule::Minimum)
        );
        assert_eq!(
            (sized.executor.cores, sized.executor.core_request, sized.executor.core_limit),
            (2, None, Cpu(4000))
        );
        // 10% of 8192 MiB, truncated like Spark's `toInt`.
        assert_eq!(sized.executor.overhead.to_string(), "819m");
        assert_eq!(sized.executor.pod_memory(), Bytes((8192 + 819) * MIB));
        assert_eq!(sized.executors, 12);

        let py = job("py").pods(p).unwrap();
        // Python: 40% of 2048 MiB.
        assert_eq!(py.driver.overhead.to_string(), "819m");
        assert_eq!(py.executor.overhead_rule, OverheadRule::Explicit);
        assert_eq!(py.executor.pod_memory(), Bytes((6144 + 1024 + 1024) * MIB), "memory + overhead + pyspark memory");
        assert_eq!((py.executor.cpu_request(), py.executor.core_limit), (Cpu(1500), Cpu(1500)));
        assert_eq!(py.executors, 16, "dynamic allocation counts its maximum");

        let f = job("factor").pods(p).unwrap();
        assert_eq!(f.driver.overhead.to_string(), "1g", "25% of 4g from sparkConf");
        assert_eq!((f.driver.cpu_request(), f.driver.core_limit), (Cpu(2000), Cpu(3000)));
        assert_eq!(f.executor.overhead.to_string(), "384m");
    }

    #[test]
    fn absurd_sizes_are_diagnostics_not_overflows() {
        let c = compile(
            r#"
platform "t"
tenant "a" { quota cpu=1 memory="1Gi" pods=1; limits default-cpu=1 default-memory="1Gi" max-memory="1Gi"; }
spark-job "huge" tenant="a" {
    image "apache/spark:3.5.1" spark-version="3.5.1"
    main "local:///opt/job.py"
    memory-overhead-factor 1e300
    conf "spark.executor.pyspark.memory" "1000000t"
    driver cores=1000000 memory="1000000t" memory-overhead="1000000t"
    executors 9999999999999 cores=1000000 memory="1000000t"
}
"#,
        );
        assert!(c.diagnostics.has_errors());
        assert!(c.diagnostics.iter().any(|d| d.code == "strata::spark::executors"));
    }

    #[test]
    fn demands_count_pods_and_objects() {
        let c = compile(JOBS);
        let demands = c.platform.demands();
        let d = demands.iter().find(|d| d.workload == "scheduled spark-job `factor`").unwrap();
        assert_eq!(d.pods.len(), 2);
        assert_eq!(d.pods[1].count, 3);
        assert_eq!(d.pods[1].role, "executors (1g + 384m overhead)");
        assert_eq!(
            d.objects,
            vec![(SCHEDULED_RESOURCE.to_string(), 1), (APPLICATION_RESOURCE.to_string(), 1 + 3 + 5)],
            "the running run plus the kept history"
        );
        let t = d.totals();
        assert_eq!(t.cpu_request, Cpu(2000 + 3000));
        assert_eq!(t.pods, 4);
    }

    #[test]
    fn spark_memory_formats() {
        assert_eq!(parse_spark_memory("4g").unwrap(), SparkMemory(Bytes(4 * GIB)));
        assert_eq!(parse_spark_memory("4G").unwrap(), SparkMemory(Bytes(4 * GIB)));
        assert_eq!(parse_spark_memory("512m").unwrap().to_string(), "512m");
        assert_eq!(parse_spark_memory("4Gi").unwrap().to_string(), "4g");
        assert_eq!(parse_spark_memory("1536mb").unwrap().to_string(), "1536m");
        assert_eq!(parse_spark_memory("2048m").unwrap().to_string(), "2g");
        let e = parse_spark_memory("1.5g").unwrap_err();
        assert!(e.help.contains("`1536m`"), "{e:?}");
        assert!(parse_spark_memory("4").unwrap_err().help.contains("`4m`"));
        assert!(parse_spark_memory("4x").is_err());
        assert!(parse_spark_memory("g").is_err());
        assert!(parse_spark_memory("99999999999999t").is_err());
    }

    #[test]
    fn type_inference() {
        assert_eq!(AppType::infer("local:///opt/app/job.py"), AppType::Python);
        assert_eq!(AppType::infer("s3a://b/report.R"), AppType::R);
        assert_eq!(AppType::infer("local:///opt/app.jar"), AppType::Scala);
        assert_eq!(AppType::infer("https://x/job.py?raw=1"), AppType::Python);
    }

    #[test]
    fn conf_memory_defaults_to_mib() {
        assert_eq!(parse_conf_memory_mib("512"), Some(512 * MIB));
        assert_eq!(parse_conf_memory_mib("1g"), Some(GIB));
        assert_eq!(parse_conf_memory_mib("lots"), None);
    }
}
