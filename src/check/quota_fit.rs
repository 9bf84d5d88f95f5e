//! Quota fit: every tenant's peak demand (all its workloads running at once, pods sized as the operators
//! will really size them) must fit its ResourceQuota. Kubernetes only finds out pod by pod, at run time, as
//! pods that stay Pending or a job that never starts; here the arithmetic is done at compile time and shown.
//!
//! Generic over [`Demand`]: any workload domain (Spark, Airflow, Flink, ...) that appends its demands in
//! `Platform::demands()` is checked without changes here.
//!
//! Exclusive groups: workloads that share an `exclusive_group` (in one tenant) never run at the same time,
//! so the group counts once, as its largest member *in each dimension separately* (the most CPU any member
//! requests, the most memory any member requests, ...). That is an upper bound of every member, so it is
//! safe even when one member needs the most CPU and another the most memory. Object counts are not reduced:
//! a workload's objects (a SparkApplication, a ScheduledSparkApplication) exist in the namespace whether or
//! not it is running, so they always add up.
//!
//! Messages show the arithmetic per workload and role. A [`PodDemand::role`] may end with a parenthesised
//! description of its pods' memory (`executors (8g + 819m overhead)`): it is shown for the memory
//! dimensions and left out of hints (`lower executors of ...`).

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::demand::{Demand, PodDemand, Totals};
use crate::model::{Platform, QuotaSpec, Tenant};
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

    fn per_pod(self, p: &PodDemand) -> u64 {
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
    fn twin(self) -> Option<Dim> {
        match self {
            Dim::CpuRequest => Some(Dim::CpuLimit),
            Dim::CpuLimit => Some(Dim::CpuRequest),
            Dim::MemoryRequest => Some(Dim::MemoryLimit),
            Dim::MemoryLimit => Some(Dim::MemoryRequest),
            Dim::Pods => None,
        }
    }

    fn is_memory(self) -> bool {
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
    fn round_up(self, v: u64) -> u64 {
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

pub fn check(p: &Platform, d: &mut Diagnostics) {
    let demands = p.demands();
    for (tenant_name, peak) in peaks(&demands) {
        let Some(tenant) = p.tenant(tenant_name) else { continue };
        let Some(quota) = p.effective_quota(tenant) else { continue };
        let mut done: Vec<Dim> = Vec::new();
        for dim in Dim::ALL {
            if done.contains(&dim) {
                continue;
            }
            let Some((hard, hard_span)) = dim.hard(&quota) else { continue };
            let used = dim.of(&peak.totals);
            // Requests and limits with the same numbers (Spark's memory) make one finding, not two.
            let mut dims = vec![(dim, hard_span)];
            if let Some(twin) = dim.twin()
                && let Some((twin_hard, twin_span)) = twin.hard(&quota)
                && twin_hard == hard
                && twin.of(&peak.totals) == used
            {
                dims.push((twin, twin_span));
                done.push(twin);
            }
            let f = Finding { tenant, peak: &peak, dims, used, hard };
            if used > hard {
                d.push(f.over_quota());
            } else if near_quota(used, hard) {
                d.push(f.near_quota());
            }
        }
        lonely_groups(tenant, &peak, d);
        d.push(summary(tenant, &quota, &peak));
        for (res, used) in &peak.objects {
            let Some((hard, hard_span)) = object_quota(&quota, res) else { continue };
            if *used > hard {
                let mut lines = vec![format!("{res} at peak:")];
                for dem in demands.iter().filter(|x| x.tenant == tenant_name) {
                    for (r, n) in &dem.objects {
                        if r == res {
                            lines.push(format!("  {}: {n}", dem.workload));
                        }
                    }
                }
                lines.push(format!("  total {used}; the quota allows {hard}"));
                d.push(
                    Diagnostic::error(
                        "strata::quota::fit",
                        format!(
                            "tenant `{}` would hold {used} {res} objects, but its quota allows {hard}",
                            tenant.name.value
                        ),
                    )
                    .at(tenant.name.span, format!("{} over the quota", plural(used - hard, "object")))
                    .also(hard_span, format!("count/{res} {hard}"))
                    .help(format!(
                        "raise the quota's `count \"{res}\"` to at least {used}, or remove workloads or the objects they keep"
                    ))
                    .note_line(lines.join("\n")),
                );
            }
        }
    }
}

/// An exclusive group with one member changes nothing; it is usually a misspelt group name, which makes
/// the peak look larger than it is.
fn lonely_groups(tenant: &Tenant, peak: &Peak<'_>, d: &mut Diagnostics) {
    let names: Vec<&str> = peak
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Group { name, members, .. } if members.len() > 1 => Some(*name),
            _ => None,
        })
        .collect();
    for part in &peak.parts {
        let Part::Group { name, members, .. } = part else { continue };
        if members.len() != 1 {
            continue;
        }
        d.push(
            Diagnostic::warning(
                "strata::quota::lonely-group",
                format!("exclusive group `{name}` of tenant `{}` has only one workload", tenant.name.value),
            )
            .at(members[0].span, format!("{} is alone in `{name}`", members[0].workload))
            .help(match crate::diagnostic::did_you_mean(name, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "a group only saves quota when two or more workloads of the tenant share it; remove it or add the workloads that never overlap with this one".to_string(),
            }),
        );
    }
}

/// A note (shown with `--explain`) with the tenant's peak against each quota dimension, fitting or not.
fn summary(tenant: &Tenant, quota: &QuotaSpec, peak: &Peak<'_>) -> Diagnostic {
    let mut lines = Vec::new();
    for dim in Dim::ALL {
        let used = dim.of(&peak.totals);
        match dim.hard(quota) {
            Some((hard, _)) => lines.push(format!(
                "{}: {} of {} ({}%)",
                dim.key(),
                dim.fmt_total(used),
                dim.fmt(hard),
                percent(used, hard)
            )),
            None => lines.push(format!("{}: {} (no quota)", dim.key(), dim.fmt_total(used))),
        }
    }
    for (res, used) in &peak.objects {
        match object_quota(quota, res) {
            Some((hard, _)) => lines.push(format!("count/{res}: {used} of {hard}")),
            None => lines.push(format!("count/{res}: {used} (no quota)")),
        }
    }
    let workloads: usize = peak
        .parts
        .iter()
        .map(|p| match p {
            Part::Single(_) => 1,
            Part::Group { members, .. } => members.len(),
        })
        .sum();
    Diagnostic::note(
        "strata::quota::peak",
        format!("tenant `{}` at peak, {} running at once", tenant.name.value, plural(workloads as u64, "workload")),
    )
    .at(tenant.name.span, "checked against the tenant's quota")
    .help("every workload counts at its peak size; an exclusive group counts as its largest member in each dimension; objects always add up")
    .note_line(lines.join("\n"))
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

/// The quota entry that limits objects of `res`, if any.
fn object_quota(q: &QuotaSpec, res: &str) -> Option<(u64, Span)> {
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

/// `executors (8g + 819m overhead)` → (`executors`, `(8g + 819m overhead)`): a role may end with a
/// parenthesised description of its pods' memory, shown for the memory dimensions only.
fn split_role(role: &str) -> (&str, &str) {
    match role.split_once(" (") {
        Some((name, _)) => (name, &role[name.len() + 1..]),
        None => (role, ""),
    }
}

/// A workload's share, one line per role:
/// `spark-job `x` = 37448Mi (≈36.6Gi)` then `driver 1 × 1408Mi (1g + 384m overhead)`.
fn part_lines(dem: &Demand, dim: Dim, indent: &str, out: &mut Vec<String>) {
    out.push(format!("{indent}{}: {}", dem.workload, dim.fmt_total(dim.of(&dem.totals()))));
    for pd in dem.pods.iter().filter(|pd| pd.count > 0) {
        let (name, detail) = split_role(&pd.role);
        let detail = if dim.is_memory() && !detail.is_empty() { format!(" {detail}") } else { String::new() };
        out.push(format!("{indent}  {name} {} × {}{detail}", pd.count, dim.fmt(dim.per_pod(pd))));
    }
}

fn arithmetic(peak: &Peak<'_>, dim: Dim, used: u64, hard: u64) -> String {
    let mut lines = vec![format!("{} at peak, every workload running at once:", dim.key())];
    for part in &peak.parts {
        match part {
            Part::Single(dem) => part_lines(dem, dim, "  ", &mut lines),
            Part::Group { name, members, totals } => {
                lines.push(format!(
                    "  exclusive group `{name}`: {} (its members never overlap: counts as the largest)",
                    dim.fmt_total(dim.of(totals))
                ));
                for m in members {
                    part_lines(m, dim, "    ", &mut lines);
                }
            }
        }
    }
    lines.push(format!(
        "  total {}; the quota allows {} ({}%)",
        dim.fmt_total(used),
        dim.fmt(hard),
        percent(used, hard)
    ));
    lines.join("\n")
}

/// One dimension (or a request/limit pair with equal numbers) of one tenant that is over or near its quota.
struct Finding<'a> {
    tenant: &'a Tenant,
    peak: &'a Peak<'a>,
    dims: Vec<(Dim, Span)>,
    used: u64,
    hard: u64,
}

impl Finding<'_> {
    fn keys(&self) -> String {
        self.dims.iter().map(|(d, _)| d.key()).collect::<Vec<_>>().join(" and ")
    }

    fn dim(&self) -> Dim {
        self.dims[0].0
    }

    fn with_quota_labels(&self, mut diag: Diagnostic) -> Diagnostic {
        for (dim, span) in &self.dims {
            diag = diag.also(*span, format!("{} {}", dim.key(), dim.fmt(self.hard)));
        }
        diag
    }

    fn near_quota(&self) -> Diagnostic {
        let dim = self.dim();
        let props = self.dims.iter().map(|(d, _)| format!("`{}`", d.property())).collect::<Vec<_>>().join(" and ");
        let diag = Diagnostic::warning(
            "strata::quota::near",
            format!(
                "tenant `{}` uses {}% of its {} at peak ({} of {})",
                self.tenant.name.value,
                percent(self.used, self.hard),
                self.keys(),
                dim.fmt_approx(self.used),
                dim.fmt(self.hard)
            ),
        )
        .at(self.tenant.name.span, format!("above {NEAR_QUOTA_PERCENT}% of the quota"));
        self.with_quota_labels(diag)
            .help(format!(
                "leave headroom for retries and growth: raise the quota's {props}, or trim the workloads listed below"
            ))
            .note_line(arithmetic(self.peak, dim, self.used, self.hard))
    }

    fn over_quota(&self) -> Diagnostic {
        let (dim, used, hard, tenant) = (self.dim(), self.used, self.hard, self.tenant);
        let over = used - hard;
        // The cheapest fix that keeps every workload: fewer replicas of the role that weighs most here.
        let mut best: Option<(u64, &Demand, &PodDemand)> = None;
        for part in &self.peak.parts {
            let Part::Single(dem) = part else { continue };
            for pd in &dem.pods {
                let per = dim.per_pod(pd);
                let weight = per.saturating_mul(pd.count);
                if pd.count > 1 && per > 0 && best.is_none_or(|(w, _, _)| weight > w) {
                    best = Some((weight, dem, pd));
                }
            }
        }
        let target = dim.round_up(used);
        let own_quota = tenant.quota.as_ref().and_then(|q| dim.hard(q)).is_some();
        let props: Vec<&str> = self.dims.iter().map(|(d, _)| d.property()).collect();
        let raise = if own_quota {
            let names = props.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(" and ");
            format!("raise the quota's {names} to {}", dim.fmt(target))
        } else {
            let tier = tenant.tier.as_ref().map_or(String::new(), |t| format!(" (now from tier `{}`)", t.value));
            let set = props.iter().map(|p| format!("{p}={}", quote(dim, target))).collect::<Vec<_>>().join(" ");
            format!("set `quota {set}` on tenant `{}`{tier}", tenant.name.value)
        };
        let help = match best {
            Some((_, dem, pd)) if over.div_ceil(dim.per_pod(pd)) < pd.count => format!(
                "lower {} of {} from {} to {}, or {raise}",
                split_role(&pd.role).0,
                dem.workload,
                pd.count,
                pd.count - over.div_ceil(dim.per_pod(pd))
            ),
            _ => raise,
        };
        let diag = Diagnostic::error(
            "strata::quota::fit",
            format!(
                "tenant `{}` needs {} {} at peak, but its quota allows {}",
                tenant.name.value,
                self.keys(),
                dim.fmt_approx(used),
                dim.fmt(hard)
            ),
        )
        .at(tenant.name.span, format!("{} over the quota at peak", dim.fmt_total(over)));
        let mut diag = self.with_quota_labels(diag);
        if let Some((_, dem, _)) = best {
            diag = diag.also(dem.span, format!("the largest share: {}", dim.fmt_total(dim.of(&dem.totals()))));
        }
        diag = diag.help(help).note_line(arithmetic(self.peak, dim, used, hard));
        if self.tenant.quota.as_ref().is_some_and(|q| !q.priority_classes.is_empty()) {
            diag = diag.note_line(
                "the quota is scoped to priority classes; strata counts every workload of the tenant against it",
            );
        }
        diag
    }
}

/// A value as written in a `quota` node: sizes and millicores in quotes, whole cores and counts bare.
fn quote(dim: Dim, v: u64) -> String {
    match dim {
        Dim::Pods => v.to_string(),
        Dim::CpuRequest | Dim::CpuLimit if v.is_multiple_of(1000) => (v / 1000).to_string(),
        _ => format!("\"{}\"", dim.fmt(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, Span};

    fn pod(role: &str, count: u64, cpu: u64, mem_gi: u64) -> PodDemand {
        PodDemand {
            role: role.into(),
            count,
            cpu_request: Cpu(cpu),
            cpu_limit: Cpu(cpu * 2),
            memory_request: Bytes(mem_gi << 30),
            memory_limit: Bytes(mem_gi << 30),
        }
    }

    fn demand(name: &str, group: Option<&str>, pods: Vec<PodDemand>) -> Demand {
        Demand {
            tenant: "t".into(),
            workload: format!("job `{name}`"),
            span: Span::new(FileId(0), 0, 1),
            exclusive_group: group.map(str::to_string),
            pods,
            objects: vec![("sparkapplications.sparkoperator.k8s.io".into(), 1)],
            admission: Vec::new(),
        }
    }

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

    #[test]
    fn arithmetic_lists_roles() {
        let d = demand("x", None, vec![pod("driver", 1, 1000, 2), pod("executors (8g + 819m overhead)", 20, 2000, 9)]);
        let mut cpu = Vec::new();
        part_lines(&d, Dim::CpuRequest, "", &mut cpu);
        assert_eq!(cpu, ["job `x`: 41", "  driver 1 × 1", "  executors 20 × 2"]);
        let mut mem = Vec::new();
        part_lines(&d, Dim::MemoryRequest, "", &mut mem);
        assert_eq!(mem[2], "  executors 20 × 9Gi (8g + 819m overhead)");
        assert_eq!(split_role("executors (8g + 819m overhead)"), ("executors", "(8g + 819m overhead)"));
        assert_eq!(Dim::MemoryRequest.fmt_total(61817 << 20), "61817Mi (≈60.4Gi)");
        assert_eq!(Dim::CpuRequest.fmt_approx(25_500), "25.5");
        assert_eq!(Dim::CpuRequest.fmt_approx(1_250), "1.25");
        assert_eq!(Dim::CpuRequest.fmt_approx(500), "500m");
        assert_eq!(Dim::CpuRequest.fmt_approx(24_000), "24");
        assert_eq!(Dim::MemoryRequest.round_up((5 << 30) + 1), 6 << 30);
        assert_eq!(quote(Dim::CpuRequest, 46_000), "46");
        assert_eq!(quote(Dim::MemoryRequest, 6 << 30), "\"6Gi\"");
    }
}
