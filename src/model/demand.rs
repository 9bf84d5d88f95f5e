//! The quota-fit demand model: what each workload asks of its tenant's ResourceQuota at peak. Every
//! workload kind (Spark, Airflow, Flink, ...) describes its pods here, and the quota-fit check adds them up
//! without knowing any workload's details.

use crate::source::Span;
use crate::units::{Bytes, Cpu};

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
