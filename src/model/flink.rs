//! Flink jobs: a `flink-job` becomes one FlinkDeployment in application mode (Flink Kubernetes Operator,
//! `flink.apache.org/v1beta1`). The model keeps what was written; the resolution rules the emitter, the checks
//! and the quota demand must agree on (versions, resources, TaskManager count) live here once.

use crate::crd::flink as crd;
use crate::model::Platform;
use crate::model::Scalar;
use crate::model::demand::{AdmittedPod, ContainerResources, Demand};
use crate::model::pod::{EnvVar, PodShape};
use crate::source::{Span, Spanned};
use crate::units::{Bytes, Cpu, Duration};

/// The ServiceAccount (and Role, RoleBinding) every tenant with Flink jobs gets; the operator chart's
/// default job ServiceAccount name.
pub const SERVICE_ACCOUNT: &str = "flink";
/// The official image's `flink` user (uid and gid 9999). The image starts as root and drops privileges in its
/// entrypoint; pinning the user lets it run under `runAsNonRoot`.
pub const DEFAULT_RUN_AS_USER: u64 = 9999;
/// Flink's `kubernetes.jobmanager.cpu` default.
pub const DEFAULT_JOBMANAGER_CPU: Cpu = Cpu(1000);
/// The operator's name pattern for FlinkDeployments (apache/flink-kubernetes-operator PR #270, FLINK-28087):
/// the name becomes the cluster id and Service names, hence at most 45 characters.
pub const MAX_NAME_LEN: usize = 45;
/// The oldest Flink the operator 1.15 deploys; of the CRD's `spec.flinkVersion` values
/// ([`crd::FlinkVersion::ALL`]) it runs this one and every newer one. Its validator refuses older ones with
/// "Flink version v1_14 is not supported by this operator version" (`FlinkVersion.isSupported` is
/// `isEqualOrNewer(v1_15)`: flink-kubernetes-operator-api .../api/spec/FlinkVersion.java and
/// validation/DefaultValidator.java `validateFlinkVersion`, release-1.15.0). The operator's enum also lists
/// v2_3 and v2_4, which its CRD does not accept.
pub const OLDEST_SUPPORTED: crd::FlinkVersion = crd::FlinkVersion::V1_15;

#[derive(Debug, Clone, Default)]
pub struct FlinkModel {
    pub jobs: Vec<FlinkJob>,
}

/// `checkpoints upgrade=`: the CRD's `job.upgradeMode`, whose spellings the spec uses.
pub use crate::crd::flink::UpgradeMode;

#[derive(Debug, Clone)]
pub struct FlinkJob {
    /// `alert "..." threshold=... for=...`: overrides of the alerts strata writes about this object.
    pub alerts: Vec<crate::model::monitoring::AlertOverride>,
    pub name: Spanned<String>,
    pub tenant: Spanned<String>,
    /// `running` (default) or `suspended`.
    pub state: Option<Spanned<String>>,
    pub priority_class: Option<Spanned<String>>,
    pub run_as_user: Option<Spanned<u64>>,
    pub image: Option<Spanned<String>>,
    pub jar: Option<Jar>,
    /// `args "--input" "orders"`: the job's main arguments.
    pub args: Vec<Spanned<String>>,
    pub parallelism: Option<Spanned<u32>>,
    pub jobmanager: Option<Component>,
    pub taskmanager: Option<Component>,
    pub checkpoints: Option<Checkpoints>,
    pub high_availability: Option<HighAvailability>,
    /// `config "key" value`: free-form `flinkConfiguration` entries.
    pub config: Vec<(Spanned<String>, Spanned<Scalar>)>,
    pub env: Vec<EnvVar>,
    /// `autoscale ...`: the operator's job autoscaler.
    pub autoscale: Option<Autoscale>,
    /// `reads "orders"`: the Kafka topics the job's sources read (checked to exist; they cap source
    /// parallelism at their partitions).
    pub reads: Vec<TopicRead>,
    pub span: Span,
}

/// `autoscale max-parallelism=120 max=24 target-utilization=0.7 { ... }`: the Flink operator's job autoscaler
/// (`job.autoscaler.*` in `flinkConfiguration`), which sets each job vertex's parallelism from its busy time
/// and backlog.
#[derive(Debug, Clone)]
pub struct Autoscale {
    /// `pipeline.max-parallelism`: the key groups of the job's state, and what the autoscaler rounds
    /// parallelism to a divisor of.
    pub max_parallelism: Option<Spanned<u32>>,
    /// `job.autoscaler.vertex.min-parallelism`.
    pub min: Option<Spanned<u32>>,
    /// `job.autoscaler.vertex.max-parallelism`.
    pub max: Option<Spanned<u32>>,
    /// `job.autoscaler.utilization.target`.
    pub target_utilization: Option<Spanned<f64>>,
    /// `utilization min= max=`: `job.autoscaler.utilization.min` / `.max`, the band without scaling.
    pub utilization_min: Option<Spanned<f64>>,
    pub utilization_max: Option<Spanned<f64>>,
    /// `job.autoscaler.metrics.window`.
    pub metrics_window: Option<Spanned<Duration>>,
    /// `job.autoscaler.stabilization.interval`.
    pub stabilization: Option<Spanned<Duration>>,
    /// `job.autoscaler.catch-up.duration`.
    pub catch_up: Option<Spanned<Duration>>,
    /// `job.autoscaler.restart.time`.
    pub restart_time: Option<Spanned<Duration>>,
    /// `dry-run=#true`: `job.autoscaler.scaling.enabled: "false"`, metrics and recommendations only.
    pub dry_run: Option<Spanned<bool>>,
    pub span: Span,
}

impl Autoscale {
    /// Whether the autoscaler changes the job's parallelism (not in dry-run mode).
    pub fn scales(&self) -> bool {
        !self.dry_run.as_ref().is_some_and(|d| d.value)
    }
}

/// `reads "orders" kafka="main"`: a topic the job consumes.
#[derive(Debug, Clone)]
pub struct TopicRead {
    pub topic: Spanned<String>,
    /// The cluster; `None` means the platform's only cluster.
    pub cluster: Option<Spanned<String>>,
    pub span: Span,
}

/// The first Flink version the operator's job autoscaler runs on without backports: it needs job vertex
/// parallelism overrides (`pipeline.jobvertex-parallelism-overrides`), which Flink 1.17 added
/// (flink-kubernetes-operator `docs/content/docs/custom-resource/autoscaler.md`, "Requirements",
/// release-1.15.0).
pub const AUTOSCALER_SINCE: (u32, u32) = (1, 17);
/// `job.autoscaler.vertex.max-parallelism`'s default (AutoScalerOptions `VERTEX_MAX_PARALLELISM`,
/// release-1.15.0).
pub const DEFAULT_VERTEX_MAX_PARALLELISM: u32 = 200;
/// Flink's bounds on max parallelism (KeyGroupRangeAssignment `DEFAULT_LOWER_BOUND_MAX_PARALLELISM`,
/// `UPPER_BOUND_MAX_PARALLELISM`).
pub const DEFAULT_LOWER_BOUND_MAX_PARALLELISM: u32 = 1 << 7;
pub const UPPER_BOUND_MAX_PARALLELISM: u32 = 1 << 15;

/// Flink's max parallelism when `pipeline.max-parallelism` is unset: `min(max(roundUpToPowerOfTwo(p + p / 2),
/// 128), 32768)` (flink-runtime `KeyGroupRangeAssignment.computeDefaultMaxParallelism`): 128 up to
/// parallelism 85, always a power of two.
pub fn default_max_parallelism(parallelism: u32) -> u32 {
    let p = parallelism.max(1);
    let wanted = p.saturating_add(p / 2).min(UPPER_BOUND_MAX_PARALLELISM);
    wanted.next_power_of_two().clamp(DEFAULT_LOWER_BOUND_MAX_PARALLELISM, UPPER_BOUND_MAX_PARALLELISM)
}

/// How well a max parallelism (the key groups) serves the autoscaler between `lo` and `hi`. For a keyed
/// vertex (and a source, with its partitions instead) JobVertexScaler searches upward from the parallelism it
/// wants for a divisor of the key groups, up to its limit (flink-kubernetes-operator `JobVertexScaler.scale`,
/// release-1.15.0), so a target between two divisors runs at the higher one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DivisorFit {
    /// The divisors of `n` in `lo..=hi`: the parallelisms a keyed vertex can run at.
    pub usable: Vec<u32>,
    /// The worst overshoot as (wanted, gets), leaving out the last step up to `n` itself, which every max
    /// parallelism has; `None` when no target overshoots.
    pub worst: Option<(u32, u32)>,
}

impl DivisorFit {
    pub fn of(n: u32, lo: u32, hi: u32) -> DivisorFit {
        let lo = lo.max(1);
        let usable: Vec<u32> = divisors(n).into_iter().filter(|d| (lo..=hi).contains(d)).collect();
        let mut worst: Option<(u32, u32)> = None;
        let mut prev = lo - 1;
        for &d in usable.iter().filter(|d| **d < n) {
            // The smallest target above the previous divisor gets `d`: the largest ratio in this step.
            let wanted = (prev + 1).max(lo);
            if d > wanted && worst.is_none_or(|(w, g)| u64::from(d) * u64::from(w) > u64::from(g) * u64::from(wanted)) {
                worst = Some((wanted, d));
            }
            prev = d;
        }
        DivisorFit { usable, worst }
    }

    /// More than 50% above what a vertex needs somewhere in the range (highly composite numbers such as
    /// 120, 240, 360 or 720 stay below).
    pub fn few(&self) -> bool {
        self.worst.is_some_and(|(wanted, gets)| u64::from(gets) * 2 > u64::from(wanted) * 3)
    }
}

pub fn is_prime(n: u32) -> bool {
    n >= 2 && divisors(n).len() == 2
}

/// Max parallelisms with many divisors the messages suggest (the operator's autoscaler guide: "120, 180, 240,
/// 360, 720 etc."), then larger highly composite numbers.
pub const GOOD_MAX_PARALLELISMS: &[u32] = &[120, 180, 240, 360, 720, 1260, 2520, 5040, 10080, 20160];

/// The divisors of `n`, ascending.
pub fn divisors(n: u32) -> Vec<u32> {
    let mut low = Vec::new();
    let mut high = Vec::new();
    let mut i = 1u32;
    while u64::from(i) * u64::from(i) <= u64::from(n) {
        if n.is_multiple_of(i) {
            low.push(i);
            if i != n / i {
                high.push(n / i);
            }
        }
        i += 1;
    }
    high.reverse();
    low.extend(high);
    low
}

/// `jar "local:///opt/flink/usrlib/job.jar" version="1.20" entry-class="com.acme.Main"`.
#[derive(Debug, Clone)]
pub struct Jar {
    pub uri: Spanned<String>,
    /// As written: `1.20`, `1.20.1` or the operator's `v1_20`.
    pub version: Option<Spanned<String>>,
    pub entry_class: Option<Spanned<String>>,
    pub span: Span,
}

/// `jobmanager ...` / `taskmanager ...`: a size preset and/or explicit cpu and memory, replicas, and (task
/// managers only) slots.
#[derive(Debug, Clone)]
pub struct Component {
    pub size: Option<Spanned<String>>,
    pub cpu: Option<Spanned<Cpu>>,
    pub memory: Option<Spanned<Bytes>>,
    pub replicas: Option<Spanned<u32>>,
    pub slots: Option<Spanned<u32>>,
    pub span: Span,
}

/// `checkpoints every="60s" dir="s3://..." savepoint-dir="s3://..." upgrade="savepoint"`.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    pub every: Option<Spanned<Duration>>,
    pub dir: Option<Spanned<String>>,
    pub savepoint_dir: Option<Spanned<String>>,
    pub upgrade: Option<Spanned<String>>,
    pub span: Span,
}

/// `high-availability dir="s3://..."`: Kubernetes HA services with their storage directory.
#[derive(Debug, Clone)]
pub struct HighAvailability {
    pub dir: Option<Spanned<String>>,
    pub span: Span,
}

/// A Flink version the operator runs: a value of the CRD's enum, [`OLDEST_SUPPORTED`] or newer. Only
/// [`FlinkVersion::parse`] makes one, so `spec.flinkVersion` is always a value the CRD and operator take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlinkVersion(crd::FlinkVersion);

impl FlinkVersion {
    /// `1.20`, `1.20.1`, `v1_20` or `1_20` → `v1_20`; `None` when unparsable or not supported.
    pub fn parse(s: &str) -> Option<FlinkVersion> {
        let (major, minor) = parse_major_minor(s)?;
        crd::FlinkVersion::of(major, minor).filter(|v| Self::runs(*v)).map(FlinkVersion)
    }

    /// Every version the operator runs, oldest first.
    pub fn supported() -> impl Iterator<Item = FlinkVersion> {
        crd::FlinkVersion::ALL.iter().copied().filter(|v| Self::runs(*v)).map(FlinkVersion)
    }

    fn runs(v: crd::FlinkVersion) -> bool {
        v.major_minor() >= OLDEST_SUPPORTED.major_minor()
    }

    /// The CRD's enum value.
    pub fn crd(self) -> crd::FlinkVersion {
        self.0
    }

    fn at_least(self, major: u32, minor: u32) -> bool {
        self.0.major_minor() >= (major, minor)
    }

    /// Flink 1.20 renamed the checkpoint and savepoint directory keys; 2.0 removed the old names.
    pub fn checkpoint_dir_key(self) -> &'static str {
        if self.at_least(1, 20) { "execution.checkpointing.dir" } else { "state.checkpoints.dir" }
    }

    pub fn savepoint_dir_key(self) -> &'static str {
        if self.at_least(1, 20) { "execution.checkpointing.savepoint-dir" } else { "state.savepoints.dir" }
    }

    /// `high-availability.type` since 1.17; the bare `high-availability` before (removed in 2.0).
    pub fn ha_type_key(self) -> &'static str {
        if self.at_least(1, 17) { "high-availability.type" } else { "high-availability" }
    }

    /// The cpu/memory limit factors exist since Flink 1.15, the oldest version the operator 1.15 runs; a job
    /// with a version it refuses (an error) is counted with limits equal to requests.
    pub fn has_limit_factors(self) -> bool {
        self.at_least(1, 15)
    }
}

/// `1.20`, as messages write a version.
impl std::fmt::Display for FlinkVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (major, minor) = self.0.major_minor();
        write!(f, "{major}.{minor}")
    }
}

/// Memory Flink's default memory model reserves before anything is left for the job (metaspace 256m, JVM
/// overhead at least 192m, and for a JobManager off-heap 128m): a smaller JobManager cannot start.
pub const MIN_JOBMANAGER_MEMORY: u64 = 576 << 20;
/// A TaskManager also needs framework heap and off-heap (128m each), network buffers (at least 64m) and managed
/// memory (40% of Flink memory): below about 982Mi the task heap comes out negative and it cannot start.
pub const MIN_TASKMANAGER_MEMORY: u64 = 982 << 20;

/// `(major, minor)` of a version as written, whether supported or not.
pub fn parse_major_minor(s: &str) -> Option<(u32, u32)> {
    let t = s.trim();
    let t = t.strip_prefix('v').unwrap_or(t);
    let mut parts = t.split(['.', '_']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    // A patch level (`1.20.1`) is allowed; anything after it is not a version.
    if let Some(patch) = parts.next()
        && patch.parse::<u32>().is_err()
    {
        return None;
    }
    if parts.next().is_some() {
        return None;
    }
    Some((major, minor))
}

/// `flinkConfiguration` keys the operator refuses (DefaultValidator `FORBIDDEN_CONF_KEYS`): it sets them itself
/// from the resource's namespace and name.
pub const FORBIDDEN_CONFIG: &[&str] =
    &["kubernetes.namespace", "kubernetes.cluster-id", "high-availability.cluster-id"];

/// The Prometheus reporter strata configures on a monitored job's JobManager and TaskManagers, and the port
/// it serves `/metrics` on (the reporter's default). Flink's docs, "Metric Reporters", Prometheus section
/// (https://nightlies.apache.org/flink/flink-docs-release-1.16/docs/deployment/metric_reporters/#prometheus):
/// `metrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory`,
/// `port` defaulting to 9249; the same keys from 1.16 through 2.x. The reporter ships in the image's
/// `plugins/` directory, so no jar is added.
pub const PROMETHEUS_REPORTER: &[(&str, &str)] = &[
    ("metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory"),
    ("metrics.reporter.prom.port", "9249"),
];

/// The port of [`PROMETHEUS_REPORTER`].
pub const PROMETHEUS_PORT: i32 = 9249;

/// Flink's max parallelism key, which `autoscale max-parallelism=` sets.
pub const MAX_PARALLELISM_KEY: &str = "pipeline.max-parallelism";

/// The prefix of the operator's job autoscaler keys, which `autoscale` writes.
pub const AUTOSCALER_PREFIX: &str = "job.autoscaler.";

/// Configuration keys strata writes from dedicated properties, and the property to use instead.
pub const OWNED_CONFIG: &[(&str, &str)] = &[
    ("taskmanager.numberOfTaskSlots", "`taskmanager slots=`"),
    ("execution.checkpointing.interval", "`checkpoints every=`"),
    ("execution.checkpointing.dir", "`checkpoints dir=`"),
    ("state.checkpoints.dir", "`checkpoints dir=`"),
    ("execution.checkpointing.savepoint-dir", "`checkpoints savepoint-dir=`"),
    ("state.savepoints.dir", "`checkpoints savepoint-dir=`"),
    ("high-availability", "the `high-availability` node"),
    ("high-availability.type", "the `high-availability` node"),
    ("high-availability.storageDir", "`high-availability dir=`"),
    ("kubernetes.jobmanager.cpu.limit-factor", "`jobmanager size=`"),
    ("kubernetes.jobmanager.memory.limit-factor", "`jobmanager size=`"),
    ("kubernetes.taskmanager.cpu.limit-factor", "`taskmanager size=`"),
    ("kubernetes.taskmanager.memory.limit-factor", "`taskmanager size=`"),
];

/// Which of the two Flink processes a resource question is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    JobManager,
    TaskManager,
}

impl Role {
    pub fn node(self) -> &'static str {
        match self {
            Role::JobManager => "jobmanager",
            Role::TaskManager => "taskmanager",
        }
    }
}

impl FlinkJob {
    pub fn run_as_user(&self) -> u64 {
        self.run_as_user.as_ref().map_or(DEFAULT_RUN_AS_USER, |u| u.value)
    }

    pub fn version(&self) -> Option<FlinkVersion> {
        self.jar.as_ref().and_then(|j| j.version.as_ref()).and_then(|v| FlinkVersion::parse(&v.value))
    }

    /// `checkpoints upgrade=`, else the operator's default (`stateless`).
    pub fn upgrade_mode(&self) -> UpgradeMode {
        let written = self.checkpoints.as_ref().and_then(|c| c.upgrade.as_ref());
        written.and_then(|u| UpgradeMode::parse(&u.value)).unwrap_or(UpgradeMode::DEFAULT)
    }

    pub fn component(&self, role: Role) -> Option<&Component> {
        match role {
            Role::JobManager => self.jobmanager.as_ref(),
            Role::TaskManager => self.taskmanager.as_ref(),
        }
    }

    /// `taskmanager.numberOfTaskSlots`: Flink's default is 1.
    pub fn slots(&self) -> u32 {
        self.taskmanager.as_ref().and_then(|t| t.slots.as_ref()).map_or(1, |s| s.value)
    }

    pub fn jobmanager_replicas(&self) -> u32 {
        self.jobmanager.as_ref().and_then(|j| j.replicas.as_ref()).map_or(1, |r| r.value)
    }

    /// TaskManagers at peak: the explicit `replicas`, else what the operator derives,
    /// `ceil(parallelism / slots)`, with the parallelism at the autoscaler's maximum when it scales the job.
    /// `None` when neither can be known (a check reports it).
    pub fn taskmanager_replicas(&self) -> Option<u32> {
        if let Some(r) = self.taskmanager.as_ref().and_then(|t| t.replicas.as_ref()) {
            return Some(r.value);
        }
        let slots = self.slots();
        let parallelism = self.autoscaler_peak().unwrap_or(self.parallelism.as_ref()?.value);
        (slots > 0).then(|| parallelism.div_ceil(slots))
    }

    /// `autoscale`, when it changes the job's parallelism (not in dry-run mode).
    pub fn scaling_autoscaler(&self) -> Option<&Autoscale> {
        self.autoscale.as_ref().filter(|a| a.scales())
    }

    /// The job's max parallelism: `autoscale max-parallelism=`, a `config "pipeline.max-parallelism"`, else
    /// Flink's default for its parallelism.
    pub fn max_parallelism(&self) -> Option<u32> {
        if let Some(m) = self.autoscale.as_ref().and_then(|a| a.max_parallelism.as_ref()) {
            return Some(m.value);
        }
        if let Some(v) = self.config.iter().find(|(k, _)| k.value == MAX_PARALLELISM_KEY).map(|(_, v)| &v.value) {
            return v.to_string().trim().parse().ok();
        }
        self.effective_parallelism().filter(|p| *p > 0).map(default_max_parallelism)
    }

    /// The autoscaler's ceiling for any vertex: `min(max parallelism, max(initial parallelism,
    /// vertex.max-parallelism))`, as JobVertexScaler computes `upperBound` (release-1.15.0: the limit is
    /// `max(currentParallelism, VERTEX_MAX_PARALLELISM)`, then capped at the vertex's max parallelism).
    /// `None` when the autoscaler does not scale the job, or the numbers are unknown.
    pub fn autoscaler_peak(&self) -> Option<u32> {
        let a = self.scaling_autoscaler()?;
        let initial = self.effective_parallelism()?;
        let vertex_max = a.max.as_ref().map_or(DEFAULT_VERTEX_MAX_PARALLELISM, |m| m.value);
        Some(self.max_parallelism()?.min(vertex_max.max(initial)))
    }

    /// The job's parallelism as the operator runs it: with `taskmanager replicas=` set the operator ignores
    /// `parallelism` and uses every slot (`replicas × slots`, FlinkConfigBuilder.getParallelism); else as
    /// written.
    pub fn effective_parallelism(&self) -> Option<u32> {
        if let Some(r) = self.taskmanager.as_ref().and_then(|t| t.replicas.as_ref()) {
            return r.value.checked_mul(self.slots());
        }
        self.parallelism.as_ref().map(|p| p.value)
    }

    /// The container resources of one component, as the operator will set them (limits are requests times
    /// Flink's limit factors, which strata derives from the size preset). Explicit `cpu=`/`memory=` are guaranteed (limit = request);
    /// a size preset brings its own limits. Without cpu, Flink's defaults apply: 1 core for the JobManager,
    /// one core per slot for a TaskManager. `None` without memory (the operator requires it).
    pub fn resources(&self, role: Role, p: &Platform) -> Option<PodShape> {
        let c = self.component(role)?;
        let size = c.size.as_ref().and_then(|s| p.presets.size(&s.value));
        if c.size.is_some() && size.is_none() {
            return None;
        }
        let (memory_request, memory_limit) = match (&c.memory, size) {
            (Some(m), _) => (m.value, m.value),
            (None, Some(s)) => (s.memory.value, s.memory_limit()),
            (None, None) => return None,
        };
        let (cpu_request, cpu_limit) = match (&c.cpu, size) {
            (Some(cpu), _) => (cpu.value, cpu.value),
            (None, Some(s)) => (s.cpu.value, s.cpu_limit()),
            (None, None) => {
                let cpu = match role {
                    Role::JobManager => DEFAULT_JOBMANAGER_CPU,
                    Role::TaskManager => Cpu(u64::from(self.slots()) * 1000),
                };
                (cpu, cpu)
            }
        };
        let mut shape = PodShape { cpu_request, cpu_limit, memory_request, memory_limit };
        // Before 1.15 Flink had no limit factors: limits always equal requests.
        if !self.version().is_some_and(FlinkVersion::has_limit_factors) {
            shape.cpu_limit = shape.cpu_request;
            shape.memory_limit = shape.memory_request;
        }
        Some(shape)
    }
}

/// `limit / request` as Flink's limit-factor string, rounded down to 4 decimals so the limit the operator
/// computes never exceeds the preset's (quota fit counts the preset's). `None` when it is 1.
pub fn limit_factor(request: u64, limit: u64) -> Option<String> {
    if request == 0 || limit <= request {
        return None;
    }
    let scaled = (u128::from(limit) * 10_000) / u128::from(request);
    let whole = scaled / 10_000;
    let frac = scaled % 10_000;
    if frac == 0 {
        return Some(format!("{whole}.0"));
    }
    let frac = format!("{frac:04}");
    Some(format!("{whole}.{}", frac.trim_end_matches('0')))
}

impl FlinkJob {
    /// Peak demand of the job with these resources: its JobManagers and `tm_replicas` TaskManagers, each with
    /// the resources the operator gives it, plus the FlinkDeployment object itself.
    pub fn demand_for(&self, jm: PodShape, tm: PodShape, tm_replicas: u32) -> Demand {
        let peak = self.autoscaler_peak();
        let tm_role = match (&self.taskmanager.as_ref().and_then(|t| t.replicas.as_ref()), &self.parallelism) {
            // A role counted at an autoscaler's maximum ends in ` at max` (quota fit names it).
            (None, Some(_)) if peak.is_some() => format!(
                "taskmanager at max (autoscaler max parallelism {} / {} slots)",
                peak.unwrap_or_default(),
                self.slots()
            ),
            (None, Some(par)) => format!("taskmanager (parallelism {} / {} slots)", par.value, self.slots()),
            _ => "taskmanager".to_string(),
        };
        Demand {
            tenant: self.tenant.value.clone(),
            workload: format!("flink-job `{}`", self.name.value),
            span: self.name.span,
            exclusive_group: None,
            pods: vec![
                jm.pods("jobmanager".to_string(), u64::from(self.jobmanager_replicas())),
                tm.pods(tm_role, u64::from(tm_replicas)),
            ],
            run: crate::model::demand::Run::AlwaysOn,
            objects: vec![("flinkdeployments.flink.apache.org".to_string(), 1)],
            admission: [(Role::JobManager, "jobmanager", jm), (Role::TaskManager, "taskmanager", tm)]
                .into_iter()
                .map(|(r, role, s)| AdmittedPod {
                    role: role.to_string(),
                    span: self.component(r).map_or(self.name.span, |c| c.span),
                    containers: vec![ContainerResources {
                        name: "flink-main-container".into(),
                        cpu_request: Some(s.cpu_request),
                        cpu_limit: Some(s.cpu_limit),
                        memory_request: Some(s.memory_request),
                        memory_limit: Some(s.memory_limit),
                    }],
                })
                .collect(),
        }
    }
}

impl FlinkModel {
    /// Peak demand of each job whose resources and TaskManager count are known (`ceil(parallelism / slots)`
    /// unless set); the checks report the others.
    pub fn demands(&self, p: &Platform) -> Vec<Demand> {
        self.jobs
            .iter()
            .filter_map(|job| {
                let jm = job.resources(Role::JobManager, p)?;
                let tm = job.resources(Role::TaskManager, p)?;
                Some(job.demand_for(jm, tm, job.taskmanager_replicas()?))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::compile;

    const GI: u64 = 1 << 30;

    #[test]
    fn versions() {
        assert_eq!(FlinkVersion::parse("1.20").map(|v| v.crd().as_str()), Some("v1_20"));
        assert_eq!(FlinkVersion::parse("1.20.1").map(|v| v.crd().as_str()), Some("v1_20"));
        assert_eq!(FlinkVersion::parse("v2_2").map(|v| v.crd().as_str()), Some("v2_2"));
        assert_eq!(FlinkVersion::parse("1_15").map(|v| v.crd().as_str()), Some("v1_15"));
        // In the CRD's enum, but refused by the operator 1.15.
        assert_eq!(FlinkVersion::parse("1.14"), None);
        assert_eq!(FlinkVersion::parse("1.12"), None);
        assert_eq!(FlinkVersion::parse("2.3"), None);
        assert_eq!(FlinkVersion::parse("latest"), None);
        assert_eq!(FlinkVersion::parse("1.20.x"), None);
        assert_eq!(parse_major_minor("1.12"), Some((1, 12)));
        let v = |s| FlinkVersion::parse(s).expect("supported");
        assert_eq!(v("1.19").checkpoint_dir_key(), "state.checkpoints.dir");
        assert_eq!(v("1.20").checkpoint_dir_key(), "execution.checkpointing.dir");
        assert_eq!(v("2.0").savepoint_dir_key(), "execution.checkpointing.savepoint-dir");
        assert_eq!(v("1.16").ha_type_key(), "high-availability");
        assert_eq!(v("1.17").ha_type_key(), "high-availability.type");
        assert!(v("1.15").has_limit_factors());
    }

    #[test]
    fn max_parallelism_defaults_and_divisors() {
        // KeyGroupRangeAssignment.computeDefaultMaxParallelism: 128 up to parallelism 85, then powers of two.
        assert_eq!(default_max_parallelism(1), 128);
        assert_eq!(default_max_parallelism(85), 128);
        assert_eq!(default_max_parallelism(86), 256);
        assert_eq!(default_max_parallelism(30_000), 32_768);
        assert_eq!(divisors(12), vec![1, 2, 3, 4, 6, 12]);
        assert_eq!(divisors(1), vec![1]);
        assert!(is_prime(127) && !is_prime(120) && !is_prime(1));
        // 128: a vertex that needs 33 subtasks runs at 64.
        let f = DivisorFit::of(128, 1, 128);
        assert_eq!((f.worst, f.few()), (Some((33, 64)), true));
        // Highly composite numbers stay below 1.5x (41 -> 60 for 120; the last step to 120 itself is left out).
        for n in [120, 180, 240, 360, 720] {
            assert!(!DivisorFit::of(n, 1, n).few(), "{n}");
        }
        assert_eq!(DivisorFit::of(120, 1, 120).worst, Some((41, 60)));
        assert_eq!(DivisorFit::of(120, 2, 20).usable, vec![2, 3, 4, 5, 6, 8, 10, 12, 15, 20]);
    }

    #[test]
    fn autoscaled_jobs_count_taskmanagers_at_the_maximum() {
        let c = compile(
            r#"
tenant "t"
flink-job "j" tenant="t" {
    image "flink:1.20.1"
    jar "local:///opt/flink/usrlib/j.jar" version="1.20"
    parallelism 4
    jobmanager size="s"
    taskmanager size="m" slots=4
    autoscale max-parallelism=120 max=24
}
"#,
        );
        let job = &c.platform.flink.jobs[0];
        assert_eq!(job.autoscaler_peak(), Some(24));
        assert_eq!(job.taskmanager_replicas(), Some(6));
        let d = &c.platform.demands()[0];
        assert_eq!(d.pods[1].role, "taskmanager at max (autoscaler max parallelism 24 / 4 slots)");
    }

    #[test]
    fn limit_factors_round_down() {
        assert_eq!(limit_factor(1000, 2000).as_deref(), Some("2.0"));
        assert_eq!(limit_factor(1000, 1500).as_deref(), Some("1.5"));
        assert_eq!(limit_factor(300, 1000).as_deref(), Some("3.3333"));
        assert_eq!(limit_factor(1000, 1000), None);
        assert_eq!(limit_factor(0, 1000), None);
    }

    #[test]
    fn demand_counts_jobmanagers_and_derived_taskmanagers() {
        let c = compile(
            r#"
tenant "t"
flink-job "j" tenant="t" {
    image "flink:1.20.1"
    jar "local:///opt/flink/usrlib/j.jar" version="1.20"
    parallelism 10
    jobmanager size="s" replicas=2
    taskmanager size="m" slots=4
    high-availability dir="s3://b/ha"
}
"#,
        );
        assert!(c.ok(), "{:?}", c.diagnostics);
        let demands = c.platform.demands();
        assert_eq!(demands.len(), 1);
        let d = &demands[0];
        assert_eq!(d.workload, "flink-job `j`");
        assert_eq!(d.objects, vec![("flinkdeployments.flink.apache.org".to_string(), 1)]);
        let jm = &d.pods[0];
        assert_eq!((jm.role.as_str(), jm.count), ("jobmanager", 2));
        assert_eq!((jm.cpu_request, jm.cpu_limit, jm.memory_request), (Cpu(500), Cpu(1000), Bytes(GI)));
        // ceil(10 / 4) = 3 TaskManagers of size m (1 cpu, 2 limit, 4Gi).
        let tm = &d.pods[1];
        assert_eq!(tm.count, 3);
        assert_eq!(tm.role, "taskmanager (parallelism 10 / 4 slots)");
        assert_eq!((tm.cpu_request, tm.cpu_limit, tm.memory_limit), (Cpu(1000), Cpu(2000), Bytes(4 * GI)));
        let t = d.totals();
        assert_eq!((t.cpu_request, t.memory_request, t.pods), (Cpu(4000), Bytes(14 * GI), 5));
    }

    #[test]
    fn demand_uses_explicit_replicas_and_flink_defaults() {
        // Explicit memory without cpu: Flink's defaults, 1 core per JobManager and one per slot per
        // TaskManager; explicit values are guaranteed (limit = request).
        let c = compile(
            r#"
tenant "t"
flink-job "j" tenant="t" {
    image "flink:1.20.1"
    jar "local:///opt/flink/usrlib/j.jar" version="1.20"
    jobmanager memory="2Gi"
    taskmanager memory="3Gi" slots=2 replicas=5
}
"#,
        );
        assert!(c.ok(), "{:?}", c.diagnostics);
        let d = &c.platform.demands()[0];
        assert_eq!((d.pods[0].count, d.pods[0].cpu_request, d.pods[0].cpu_limit), (1, Cpu(1000), Cpu(1000)));
        assert_eq!((d.pods[1].count, d.pods[1].cpu_request, d.pods[1].role.as_str()), (5, Cpu(2000), "taskmanager"));
        assert_eq!(d.pods[1].memory_limit, Bytes(3 * GI));
        assert_eq!(c.platform.flink.jobs[0].effective_parallelism(), Some(10));
    }
}
