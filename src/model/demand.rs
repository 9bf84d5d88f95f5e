//! The quota-fit demand model: what each workload asks of its tenant's ResourceQuota at peak. Every
//! workload kind (Spark, Airflow, Flink, ...) describes its pods here, and the quota-fit check adds them up
//! without knowing any workload's details. The same list feeds the admission check (LimitRange): each pod
//! shape, container by container, as the LimitRanger admission plugin sees it.

use crate::source::{Span, Spanned};
use crate::units::{Bytes, Cpu, Duration};

/// One workload's peak demand on its tenant's quota.
#[derive(Debug, Clone)]
pub struct Demand {
    pub tenant: String,
    /// How the workload is named in messages, e.g. "spark-job `nightly-agg`".
    pub workload: String,
    pub span: Span,
    /// Workloads in the same group never run at the same time; a group counts as its largest member.
    pub exclusive_group: Option<String>,
    /// The pods it runs at peak, by role (driver, executors, workers...).
    pub pods: Vec<PodDemand>,
    /// Objects it creates that a `count/<resource>` quota limits, e.g.
    /// `("sparkapplications.sparkoperator.k8s.io", 1)`.
    pub objects: Vec<(String, u64)>,
    /// Each distinct pod shape as admission sees it, with where it is written. Empty: derived from `pods`
    /// (one container per role, at the workload's span), which is exact for single-container pods.
    pub admission: Vec<AdmittedPod>,
    /// When its pods run: what the cost model multiplies the requests by (`model::cost`).
    pub run: Run,
}

/// When a workload's pods run, for the cost model. Quota fit ignores it: a quota must admit the peak
/// whenever it comes.
#[derive(Debug, Clone, Default)]
pub enum Run {
    /// All the time (Flink jobs, stream apps). `expected` is the pod count of the last role at the typical
    /// operating point when it differs from the peak (an autoscaler's minimum).
    #[default]
    AlwaysOn,
    /// Always on with fewer replicas than the peak most of the time.
    Scaled { expected: u64, span: Span },
    /// At most the peak, all the time, with no typical figure (Airflow task pods at `max-parallel-tasks`).
    UpTo,
    /// On a cron schedule in a time zone, each run `runtime` long when the spec says.
    Scheduled { cron: Spanned<String>, time_zone: String, runtime: Option<Spanned<Duration>> },
    /// Once, when someone starts it (a job or spark-job without a schedule).
    Once { runtime: Option<Spanned<Duration>> },
}

/// One pod shape a workload creates, container by container, for LimitRange admission.
#[derive(Debug, Clone)]
pub struct AdmittedPod {
    /// How the pod is named in messages, e.g. "driver" or "worker template `default`".
    pub role: String,
    /// Where its resources are written (or the workload, when nothing is).
    pub span: Span,
    pub containers: Vec<ContainerResources>,
}

/// A container's requests and limits; `None` where the pod spec states none (the LimitRange's `default`
/// and `defaultRequest` fill those in at admission).
#[derive(Debug, Clone, Default)]
pub struct ContainerResources {
    pub name: String,
    pub cpu_request: Option<Cpu>,
    pub cpu_limit: Option<Cpu>,
    pub memory_request: Option<Bytes>,
    pub memory_limit: Option<Bytes>,
}

/// `count` identical pods of one role.
#[derive(Debug, Clone)]
pub struct PodDemand {
    pub role: String,
    pub count: u64,
    pub cpu_request: Cpu,
    pub cpu_limit: Cpu,
    pub memory_request: Bytes,
    pub memory_limit: Bytes,
    /// GPUs each pod requests (an Airflow worker template's `gpu=`): quota fit does not count them, the cost
    /// model prices them by the hour.
    pub gpus: u64,
    /// The pods run on spot (preemptible) capacity (`spot=#true` on a job or spark-job): the cost model
    /// prices their CPU and memory at the spot prices.
    pub spot: bool,
}

impl PodDemand {
    #[must_use]
    pub fn with_spot(self, spot: bool) -> PodDemand {
        PodDemand { spot, ..self }
    }
}

/// Sums over pods: what a quota's hard limits are compared against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub cpu_request: Cpu,
    pub cpu_limit: Cpu,
    pub memory_request: Bytes,
    pub memory_limit: Bytes,
    pub pods: u64,
}

impl Totals {
    /// Saturating: absurd inputs (a billion executors) must produce a diagnostic, never an overflow.
    pub fn add(&mut self, o: Totals) {
        self.cpu_request.0 = self.cpu_request.0.saturating_add(o.cpu_request.0);
        self.cpu_limit.0 = self.cpu_limit.0.saturating_add(o.cpu_limit.0);
        self.memory_request.0 = self.memory_request.0.saturating_add(o.memory_request.0);
        self.memory_limit.0 = self.memory_limit.0.saturating_add(o.memory_limit.0);
        self.pods = self.pods.saturating_add(o.pods);
    }
}

impl Demand {
    /// The pods admission checks: [`Demand::admission`], or one single-container pod per role.
    pub fn admitted_pods(&self) -> Vec<AdmittedPod> {
        if !self.admission.is_empty() {
            return self.admission.clone();
        }
        self.pods
            .iter()
            .map(|p| AdmittedPod {
                role: p.role.clone(),
                span: self.span,
                containers: vec![ContainerResources {
                    name: "main".into(),
                    cpu_request: Some(p.cpu_request),
                    cpu_limit: Some(p.cpu_limit),
                    memory_request: Some(p.memory_request),
                    memory_limit: Some(p.memory_limit),
                }],
            })
            .collect()
    }

    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for p in &self.pods {
            t.add(Totals {
                cpu_request: Cpu(p.cpu_request.0.saturating_mul(p.count)),
                cpu_limit: Cpu(p.cpu_limit.0.saturating_mul(p.count)),
                memory_request: Bytes(p.memory_request.0.saturating_mul(p.count)),
                memory_limit: Bytes(p.memory_limit.0.saturating_mul(p.count)),
                pods: p.count,
            });
        }
        t
    }
}
