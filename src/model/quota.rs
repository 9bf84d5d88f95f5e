//! Quota arithmetic: a tenant's peak demand (every workload at once, an exclusive group as its largest member)
//! against the dimensions of its ResourceQuota. Pure numbers over [`Demand`]s, shared by the compile's
//! quota-fit check (which turns them into diagnostics) and `strata diff` (which compares two revisions'
//! peaks with the quotas they emit), so both always agree on what "fits" and "near the quota" mean.
//!
//! Exclusive groups: workloads that share an `exclusive_group` (in one tenant) never run at the same time,
//! so the group counts once, as its largest member *in each dimension separately* (the most CPU any member
//! requests, the most memory any member requests, ...). That is an upper bound of every member, so it is
//! safe even when one member needs the most CPU and another the most memory. Object counts are not reduced:
//! a workload's objects (a SparkApplication, a ScheduledSparkApplication) exist in the namespace whether or
//! not it is running, so they always add up.

use std::collections::BTreeMap;

use crate::model::QuotaSpec;
use crate::model::demand::{Demand, PodDemand, Totals};
use crate::source::{Span, Spanned};
use crate::units::{Bytes, Cpu};

/// A tenant above this share of a quota dimension at peak gets a near-quota warning: a retry, a larger
/// input or one more job will not be admitted. `strata diff` uses the same threshold.
pub const NEAR_QUOTA_PERCENT: u64 = 90;

/// Whether `used` of `hard` is above [`NEAR_QUOTA_PERCENT`] (and still fits).
pub fn near_quota(used: u64, hard: u64) -> bool {
    hard > 0 && used <= hard && u128::from(used) * 100 > u128::from(hard) * u128::from(NEAR_QUOTA_PERCENT)
}

/// `used` as a whole percentage of `hard`, rounded down.
pub fn percent(used: u64, hard: u64) -> u64 {
    if hard == 0 { 0 } else { (u128::from(used) * 100 / u128::from(hard)) as u64 }
}

/// The compute dimensions of a ResourceQuota that pods count against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dim {
    CpuRequest,
    CpuLimit,
    MemoryRequest,
    MemoryLimit,
    Pods,
}

impl Dim {
    pub const ALL: [Dim; 5] = [Dim::CpuRequest, Dim::CpuLimit, Dim::MemoryRequest, Dim::MemoryLimit, Dim::Pods];

    /// The ResourceQuota key.
    pub fn key(self) -> &'static str {
        match self {
            Dim::CpuRequest => "requests.cpu",
            Dim::CpuLimit => "limits.cpu",
            Dim::MemoryRequest => "requests.memory",
            Dim::MemoryLimit => "limits.memory",
            Dim::Pods => "pods",
        }
    }

    /// The `quota` property that sets it.
    pub fn property(self) -> &'static str {
        match self {
            Dim::CpuRequest => "cpu",
            Dim::CpuLimit => "cpu-limit",
            Dim::MemoryRequest => "memory",
            Dim::MemoryLimit => "memory-limit",
            Dim::Pods => "pods",
        }
    }

    pub fn of(self, t: &Totals) -> u64 {
        match self {
            Dim::CpuRequest => t.cpu_request.0,
            Dim::CpuLimit => t.cpu_limit.0,
            Dim::MemoryRequest => t.memory_request.0,
            Dim::MemoryLimit => t.memory_limit.0,
            Dim::Pods => t.pods,
        }
    }

    pub fn per_pod(self, p: &PodDemand) -> u64 {
        match self {
            Dim::CpuRequest => p.cpu_request.0,
            Dim::CpuLimit => p.cpu_limit.0,
            Dim::MemoryRequest => p.memory_request.0,
            Dim::MemoryLimit => p.memory_limit.0,
            Dim::Pods => 1,
        }
    }

    /// The quota's hard limit in this dimension (millicores, bytes or a count), with where it was written.
    pub fn hard(self, q: &QuotaSpec) -> Option<(u64, Span)> {
        fn cpu(v: &Option<Spanned<Cpu>>) -> Option<(u64, Span)> {
            v.as_ref().map(|v| (v.value.0, v.span))
        }
        fn mem(v: &Option<Spanned<Bytes>>) -> Option<(u64, Span)> {
            v.as_ref().map(|v| (v.value.0, v.span))
        }
        match self {
            Dim::CpuRequest => cpu(&q.cpu),
            Dim::CpuLimit => cpu(&q.cpu_limit),
            Dim::MemoryRequest => mem(&q.memory),
            Dim::MemoryLimit => mem(&q.memory_limit),
            Dim::Pods => q.pods.as_ref().map(|v| (v.value, v.span)),
        }
    }

    /// A value of this dimension as Kubernetes writes it.
    pub fn fmt(self, v: u64) -> String {
        match self {
            Dim::CpuRequest | Dim::CpuLimit => Cpu(v).to_string(),
            Dim::MemoryRequest | Dim::MemoryLimit => Bytes(v).to_string(),
            Dim::Pods => v.to_string(),
        }
    }

    /// The request dimension's limit twin and back.
    pub fn twin(self) -> Option<Dim> {
        match self {
            Dim::CpuRequest => Some(Dim::CpuLimit),
            Dim::CpuLimit => Some(Dim::CpuRequest),
            Dim::MemoryRequest => Some(Dim::MemoryLimit),
            Dim::MemoryLimit => Some(Dim::MemoryRequest),
            Dim::Pods => None,
        }
    }

    pub fn is_memory(self) -> bool {
        matches!(self, Dim::MemoryRequest | Dim::MemoryLimit)
    }

    /// Like [`Dim::fmt`], with an approximate GiB figure for memory sums that are not whole GiB, and CPU
    /// sums above a core in decimal cores (`25.5`), which compare at a glance with a quota of `24`.
    pub fn fmt_total(self, v: u64) -> String {
        if self.is_memory() && v >= 1 << 30 && !v.is_multiple_of(1 << 30) {
            format!("{} (≈{:.1}Gi)", Bytes(v), v as f64 / f64::from(1u32 << 30))
        } else {
            self.fmt_approx(v)
        }
    }

    /// For headlines: memory sums that are not whole GiB as `≈60.4Gi`, CPU above a core in exact decimal
    /// cores (`25.5`); everything else as Kubernetes writes it.
    pub fn fmt_approx(self, v: u64) -> String {
        match self {
            Dim::MemoryRequest | Dim::MemoryLimit if v >= 1 << 30 && !v.is_multiple_of(1 << 30) => {
                format!("≈{:.1}Gi", v as f64 / f64::from(1u32 << 30))
            }
            Dim::CpuRequest | Dim::CpuLimit if v > 1000 && !v.is_multiple_of(1000) => {
                let frac = format!("{:03}", v % 1000);
                format!("{}.{}", v / 1000, frac.trim_end_matches('0'))
            }
            _ => self.fmt(v),
        }
    }

    /// A round quota value at least `v`: whole cores, whole GiB.
    pub fn round_up(self, v: u64) -> u64 {
        match self {
            Dim::CpuRequest | Dim::CpuLimit => v.div_ceil(1000).saturating_mul(1000),
            Dim::MemoryRequest | Dim::MemoryLimit => v.div_ceil(1 << 30).saturating_mul(1 << 30),
            Dim::Pods => v,
        }
    }
}

/// What adds to a tenant's peak: one workload, or an exclusive group counted as its largest member.
#[derive(Debug)]
pub enum Part<'a> {
    Single(&'a Demand),
    Group { name: &'a str, members: Vec<&'a Demand>, totals: Totals },
}

impl Part<'_> {
    pub fn totals(&self) -> Totals {
        match self {
            Part::Single(d) => d.totals(),
            Part::Group { totals, .. } => *totals,
        }
    }
}

/// One tenant's peak demand.
#[derive(Debug)]
pub struct Peak<'a> {
    pub totals: Totals,
    /// `count/<resource>` (or core resource) → objects at peak.
    pub objects: BTreeMap<&'a str, u64>,
    pub parts: Vec<Part<'a>>,
}

/// Every tenant's peak, by tenant name.
pub fn peaks(demands: &[Demand]) -> BTreeMap<&str, Peak<'_>> {
    let mut out: BTreeMap<&str, Peak<'_>> = BTreeMap::new();
    let mut groups: BTreeMap<(&str, &str), Vec<&Demand>> = BTreeMap::new();
    for d in demands {
        let peak = out.entry(d.tenant.as_str()).or_insert_with(|| Peak {
            totals: Totals::default(),
            objects: BTreeMap::new(),
            parts: Vec::new(),
        });
        for (res, n) in &d.objects {
            let e = peak.objects.entry(res.as_str()).or_default();
            *e = e.saturating_add(*n);
        }
        match &d.exclusive_group {
            Some(g) => groups.entry((d.tenant.as_str(), g.as_str())).or_default().push(d),
            None => peak.parts.push(Part::Single(d)),
        }
    }
    for ((tenant, name), members) in groups {
        let mut t = Totals::default();
        for m in &members {
            let mt = m.totals();
            t.cpu_request = t.cpu_request.max(mt.cpu_request);
            t.cpu_limit = t.cpu_limit.max(mt.cpu_limit);
            t.memory_request = t.memory_request.max(mt.memory_request);
            t.memory_limit = t.memory_limit.max(mt.memory_limit);
            t.pods = t.pods.max(mt.pods);
        }
        if let Some(peak) = out.get_mut(tenant) {
            peak.parts.push(Part::Group { name, members, totals: t });
        }
    }
    for peak in out.values_mut() {
        peak.totals = Totals::default();
        for part in &peak.parts {
            peak.totals.add(part.totals());
        }
    }
    out
}

/// The quota entry that limits objects of `res`, if any.
pub fn object_quota(q: &QuotaSpec, res: &str) -> Option<(u64, Span)> {
    let core = match res {
        "services" => q.services.as_ref(),
        "configmaps" => q.configmaps.as_ref(),
        "secrets" => q.secrets.as_ref(),
        "persistentvolumeclaims" => q.pvcs.as_ref(),
        _ => None,
    };
    if let Some(v) = core {
        return Some((v.value, v.span));
    }
    q.counts.iter().find(|(k, _)| k.value.trim_start_matches("count/") == res).map(|(_, n)| (n.value, n.span))
}

/// Hand-built demands for the arithmetic's unit tests here and in `check::quota_fit`.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::model::demand::{Demand, PodDemand};
    use crate::source::{FileId, Span};
    use crate::units::{Bytes, Cpu};

    pub(crate) fn pod(role: &str, count: u64, cpu: u64, mem_gi: u64) -> PodDemand {
        PodDemand {
            role: role.into(),
            count,
            cpu_request: Cpu(cpu),
            cpu_limit: Cpu(cpu * 2),
            memory_request: Bytes(mem_gi << 30),
            memory_limit: Bytes(mem_gi << 30),
            gpus: 0,
            spot: false,
        }
    }

    pub(crate) fn demand(name: &str, group: Option<&str>, pods: Vec<PodDemand>) -> Demand {
        Demand {
            tenant: "t".into(),
            workload: format!("job `{name}`"),
            span: Span::new(FileId(0), 0, 1),
            exclusive_group: group.map(str::to_string),
            pods,
            objects: vec![("sparkapplications.sparkoperator.k8s.io".into(), 1)],
            admission: Vec::new(),
            run: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{demand, pod};
    use super::*;

    #[test]
    fn exclusive_groups_count_their_largest_member_per_dimension() {
        let ds = vec![
            demand("a", None, vec![pod("driver", 1, 1000, 2)]),
            // One member is CPU-heavy, the other memory-heavy: the group takes the max of each.
            demand("b", Some("night"), vec![pod("executors", 10, 2000, 1)]),
            demand("c", Some("night"), vec![pod("executors", 2, 1000, 30)]),
        ];
        let peaks = peaks(&ds);
        let t = &peaks["t"];
        assert_eq!(t.totals.cpu_request, Cpu(1000 + 20_000));
        assert_eq!(t.totals.memory_request, Bytes((2 + 60) << 30));
        assert_eq!(t.totals.pods, 1 + 10);
        // Objects exist whether or not a job runs: never reduced by groups.
        assert_eq!(t.objects["sparkapplications.sparkoperator.k8s.io"], 3);
    }

    #[test]
    fn near_quota_threshold() {
        assert!(!near_quota(90, 100));
        assert!(near_quota(91, 100));
        assert!(near_quota(100, 100));
        assert!(!near_quota(101, 100));
        assert!(!near_quota(0, 0));
        assert_eq!(percent(37_500, 40_000), 93);
    }
}
