//! Quota fit: every tenant's peak demand (all its workloads running at once, pods sized as the operators
//! will really size them) must fit its ResourceQuota. Kubernetes only finds out pod by pod, at run time, as
//! pods that stay Pending or a job that never starts; here the arithmetic is done at compile time and shown.
//!
//! Generic over [`Demand`]: any workload domain (Spark, Airflow, Flink, ...) that appends its demands in
//! `Platform::demands()` is checked without changes here. The numbers (peaks, exclusive groups, the
//! near-quota threshold) are [`crate::model::quota`]'s, which `strata diff` shares; this file turns them into
//! diagnostics.
//!
//! Messages show the arithmetic per workload and role. A [`PodDemand::role`] may end with a parenthesised
//! description of its pods' memory (`executors (8g + 819m overhead)`): it is shown for the memory
//! dimensions and left out of hints (`lower executors of ...`).

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::demand::{Demand, PodDemand};
use crate::model::quota::{Dim, NEAR_QUOTA_PERCENT, Part, Peak, near_quota, object_quota, peaks, percent};
use crate::model::{Platform, QuotaSpec, Tenant};
use crate::source::Span;

pub fn check(p: &Platform, demands: &[Demand], d: &mut Diagnostics) {
    for (tenant_name, peak) in peaks(demands) {
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
        if let Some(note) = autoscaler_maxima(self.peak) {
            diag = diag.note_line(note);
        }
        if self.tenant.quota.as_ref().is_some_and(|q| !q.priority_classes.is_empty()) {
            diag = diag.note_line(
                "the quota is scoped to priority classes; strata counts every workload of the tenant against it",
            );
        }
        diag
    }
}

/// A role counted at its autoscaler's maximum says so: its name ends in this (`executors at max`,
/// `taskmanager at max`).
const AT_MAX: &str = " at max";

/// The workloads of a peak that count at an autoscaler's maximum (Spark dynamic allocation at `max`
/// executors, a Flink job at its autoscaler's max parallelism), so an over-quota finding names the maximum
/// that does not fit; `None` when there are none.
fn autoscaler_maxima(peak: &Peak<'_>) -> Option<String> {
    let mut found = Vec::new();
    let members = peak.parts.iter().flat_map(|p| match p {
        Part::Single(d) => vec![*d],
        Part::Group { members, .. } => members.clone(),
    });
    for dem in members {
        for pd in dem.pods.iter().filter(|pd| pd.count > 0) {
            let (name, _) = split_role(&pd.role);
            if let Some(base) = name.strip_suffix(AT_MAX) {
                found.push(format!("{} with {} {base}", dem.workload, pd.count));
            }
        }
    }
    (!found.is_empty()).then(|| {
        format!(
            "counted at their autoscaler's maximum: {}; lower the maximum or raise the quota; otherwise the pods above the quota are refused when the autoscaler creates them and the job runs with fewer",
            found.join(", ")
        )
    })
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
    use crate::model::quota::test_support::{demand, pod};

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
