//! Batch jobs (`job`): plain container tasks in a tenant — a dbt run, a data-quality check, an export —
//! run once as a `batch/v1` Job or on a schedule as a CronJob. The one place that decides a job's pod
//! size and how many of its pods run at once, which the emitter and the quota-fit check both read, so the
//! manifests and the arithmetic cannot disagree.

use crate::model::Platform;
use crate::model::demand::{Demand, Run};
use crate::model::pod::{EnvVar, PodShape, Toleration};
use crate::model::spark::{Concurrency, RestartType, Security};
use crate::source::{Span, Spanned};
use crate::units::{Bytes, Cpu, Duration};

/// Every `job` of the platform.
#[derive(Debug, Clone, Default)]
pub struct JobModel {
    pub jobs: Vec<BatchJob>,
}

/// `resources size="m"` and/or `cpu=`/`memory=`: an explicit value overrides the preset's request, and
/// is also its limit (guaranteed), as for Flink components.
#[derive(Debug, Clone)]
pub struct Resources {
    pub span: Span,
    pub size: Option<Spanned<String>>,
    pub cpu: Option<Spanned<Cpu>>,
    pub memory: Option<Spanned<Bytes>>,
}

/// `schedule "0 2 * * *" timezone="UTC" ...`: makes the job a CronJob.
#[derive(Debug, Clone)]
pub struct ScheduleSpec {
    pub span: Span,
    pub cron: Spanned<String>,
    pub time_zone: Option<Spanned<String>>,
    /// Forbid unless written: overlapping runs of a batch job are rarely wanted (Kubernetes' own default
    /// is Allow).
    pub concurrency: Option<Spanned<Concurrency>>,
    pub starting_deadline: Option<Spanned<Duration>>,
    pub successful_history: Option<Spanned<u64>>,
    pub failed_history: Option<Spanned<u64>>,
    pub suspend: Option<Spanned<bool>>,
}

/// Kubernetes keeps this many finished Jobs of a CronJob when the spec does not say (`batch/v1` defaults).
pub const DEFAULT_SUCCESSFUL_HISTORY: u64 = 3;
pub const DEFAULT_FAILED_HISTORY: u64 = 1;
/// strata pins the zone: without one the controller uses its own local zone.
pub const DEFAULT_TIME_ZONE: &str = "UTC";
/// The uid restricted job pods run as when `security` names none: Pod Security `restricted` requires
/// non-root, and the kubelet can verify that only for a numeric uid.
pub const DEFAULT_UID: u64 = 1000;
/// The container's name in the pod template.
pub const CONTAINER: &str = "main";
/// The label strata puts on the pods of a job that declares `metrics`, for its PodMonitor and the scrape's
/// NetworkPolicy. Kubernetes' own `batch.kubernetes.io/job-name` does not do: a CronJob's Jobs are named
/// `<name>-<minutes>`, a new value every run. Not `app.kubernetes.io/name`, which selects a stream app's
/// pods: an app and a job of one tenant may share a name. Only on jobs with `metrics`, so an existing Job's
/// (immutable) pod template does not change under jobs that do not use it.
pub const POD_LABEL: &str = "strata.dev/job";

impl ScheduleSpec {
    pub fn concurrency(&self) -> Concurrency {
        self.concurrency.as_ref().map_or(Concurrency::Forbid, |c| c.value)
    }

    pub fn time_zone(&self) -> &str {
        self.time_zone.as_ref().map_or(DEFAULT_TIME_ZONE, |z| z.value.as_str())
    }

    pub fn successful_history(&self) -> u64 {
        self.successful_history.as_ref().map_or(DEFAULT_SUCCESSFUL_HISTORY, |h| h.value)
    }

    pub fn failed_history(&self) -> u64 {
        self.failed_history.as_ref().map_or(DEFAULT_FAILED_HISTORY, |h| h.value)
    }
}

/// `job "name" tenant="t" { ... }`.
#[derive(Debug, Clone)]
pub struct BatchJob {
    /// `alert "..." threshold=... for=...`: overrides of the alerts strata writes about this object.
    pub alerts: Vec<crate::model::monitoring::AlertOverride>,
    pub name: Spanned<String>,
    pub tenant: Spanned<String>,
    pub span: Span,
    /// Jobs (and Spark jobs) in one group never run at once: the group counts as its largest member.
    pub exclusive_group: Option<Spanned<String>>,
    /// `expected-runtime="45m"`: how long one run takes, for the cost model (nothing else reads it).
    pub expected_runtime: Option<Spanned<Duration>>,
    /// `spot=#true`: the pods run on spot capacity (placed there by `node-selector`/`toleration`), priced
    /// at the spot prices.
    pub spot: Option<Spanned<bool>>,
    pub image: Option<Spanned<String>>,
    pub pull_policy: Option<Spanned<String>>,
    pub pull_secrets: Vec<Spanned<String>>,
    pub command: Vec<Spanned<String>>,
    pub args: Vec<Spanned<String>>,
    pub resources: Option<Resources>,
    pub env: Vec<EnvVar>,
    /// An existing ServiceAccount of the tenant; without one the pod runs as `default` with no API token.
    pub service_account: Option<Spanned<String>>,
    pub security: Spanned<Security>,
    pub priority_class: Option<Spanned<String>>,
    pub node_selector: Vec<(Spanned<String>, Spanned<String>)>,
    pub tolerations: Vec<Toleration>,
    /// The pod's restartPolicy (`Never` unless written).
    pub restart: Option<Spanned<RestartType>>,
    /// `backoffLimit`.
    pub retries: Option<Spanned<u64>>,
    /// `activeDeadlineSeconds`.
    pub deadline: Option<Spanned<Duration>>,
    /// `ttlSecondsAfterFinished`.
    pub ttl: Option<Spanned<Duration>>,
    pub parallelism: Option<Spanned<u64>>,
    pub completions: Option<Spanned<u64>>,
    pub schedule: Option<ScheduleSpec>,
    /// `metrics port=...`: the container ports Prometheus scrapes (with `monitoring`) through a PodMonitor.
    pub metrics: Vec<crate::model::monitoring::MetricsPort>,
}

/// `count/<resource>` names of the batch kinds, as a ResourceQuota counts them.
pub const JOB_RESOURCE: &str = "jobs.batch";
pub const CRONJOB_RESOURCE: &str = "cronjobs.batch";

impl BatchJob {
    /// The labels of the job's pods: [`POD_LABEL`] when it declares `metrics`, else none.
    pub fn pod_labels(&self) -> Option<std::collections::BTreeMap<String, String>> {
        (!self.metrics.is_empty())
            .then(|| std::collections::BTreeMap::from([(POD_LABEL.to_string(), self.name.value.clone())]))
    }

    pub fn restart(&self) -> RestartType {
        self.restart.as_ref().map_or(RestartType::Never, |r| r.value)
    }

    /// How the job is named in messages.
    pub fn describe(&self) -> String {
        format!("{} `{}`", if self.schedule.is_some() { "scheduled job" } else { "job" }, self.name.value)
    }

    /// The pod's requests and limits, or `None` while they are unknown (no `resources`, an unknown size:
    /// the checks report both).
    pub fn shape(&self, p: &Platform) -> Option<PodShape> {
        let r = self.resources.as_ref()?;
        let size = match &r.size {
            Some(s) => Some(p.presets.size(&s.value)?),
            None => None,
        };
        let (cpu_request, cpu_limit) = match (&r.cpu, size) {
            (Some(c), _) => (c.value, c.value),
            (None, Some(s)) => (s.cpu.value, s.cpu_limit()),
            (None, None) => return None,
        };
        let (memory_request, memory_limit) = match (&r.memory, size) {
            (Some(m), _) => (m.value, m.value),
            (None, Some(s)) => (s.memory.value, s.memory_limit()),
            (None, None) => return None,
        };
        Some(PodShape { cpu_request, cpu_limit, memory_request, memory_limit })
    }

    /// The most pods one run has at once: `parallelism` (default 1), never more than `completions`
    /// (the Job controller starts no more pods than completions remain).
    pub fn peak_pods(&self) -> u64 {
        let parallelism = self.parallelism.as_ref().map_or(1, |p| p.value);
        match &self.completions {
            Some(c) => parallelism.min(c.value),
            None => parallelism,
        }
    }

    /// The job's peak demand with this pod shape.
    pub fn demand_for(&self, shape: PodShape) -> Demand {
        let peak = self.peak_pods();
        let role = match &self.parallelism {
            Some(p) if p.value > 1 => format!("pods (parallelism {})", p.value),
            _ => "pod".to_string(),
        };
        let objects = match &self.schedule {
            // The CronJob, and the Jobs it keeps: the running one plus the finished runs of each outcome its
            // history limits retain (their pods have finished, so only the Job objects count).
            Some(s) => vec![
                (CRONJOB_RESOURCE.to_string(), 1),
                (JOB_RESOURCE.to_string(), 1 + s.successful_history() + s.failed_history()),
            ],
            None => vec![(JOB_RESOURCE.to_string(), 1)],
        };
        Demand {
            tenant: self.tenant.value.clone(),
            workload: self.describe(),
            span: self.name.span,
            exclusive_group: self.exclusive_group.as_ref().map(|g| g.value.clone()),
            pods: vec![shape.pods(role, peak).with_spot(self.spot.as_ref().is_some_and(|s| s.value))],
            objects,
            admission: vec![crate::model::demand::AdmittedPod {
                role: "pod".to_string(),
                span: self.resources.as_ref().map_or(self.name.span, |r| r.span),
                containers: vec![crate::model::demand::ContainerResources {
                    name: CONTAINER.to_string(),
                    cpu_request: Some(shape.cpu_request),
                    cpu_limit: Some(shape.cpu_limit),
                    memory_request: Some(shape.memory_request),
                    memory_limit: Some(shape.memory_limit),
                }],
            }],
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

impl JobModel {
    /// Every job whose pod size is known; the checks report the others.
    pub fn demands(&self, p: &Platform) -> Vec<Demand> {
        self.jobs.iter().filter_map(|j| Some(j.demand_for(j.shape(p)?))).collect()
    }

    pub fn priority_class_refs(&self) -> impl Iterator<Item = &Spanned<String>> {
        self.jobs.iter().filter_map(|j| j.priority_class.as_ref())
    }
}
