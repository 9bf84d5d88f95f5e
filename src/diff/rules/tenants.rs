//! Tenant rules: a removed tenant deletes its namespace with everything in it; a quota lowered below what
//! the tenant's workloads use now refuses their pods; a workload that grows close to the quota leaves no
//! room for retries. Quota arithmetic is over [`Demand`]s, the numbers the compile's quota-fit check uses.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::diff::rules::{Context, at};
use crate::diff::{ChangeKind, Finding, ObjectChange, Side};
use crate::manifest::Manifest;
use crate::model::demand::{Demand, Totals};
use crate::model::quota;
use crate::units::{Bytes, Cpu};

pub const TENANT_REMOVED: &str = "strata::diff::tenant-removed";
pub const QUOTA_BELOW_DEMAND: &str = "strata::diff::quota-below-demand";
pub const NEAR_QUOTA: &str = "strata::diff::near-quota";

/// A workload that grows so its tenant uses more than this share of a quota limit is reported: under 10%
/// headroom, a retry, a second concurrent run or another job's growth is refused pods. The same threshold
/// as the compile's near-quota warning.
pub use crate::model::quota::NEAR_QUOTA_PERCENT;

pub fn check(changes: &[ObjectChange], cx: &Context, out: &mut Vec<Finding>) {
    for c in changes {
        if c.key.group.is_empty() && c.key.kind == "Namespace" && c.kind == ChangeKind::Removed {
            out.push(namespace_removed(c, cx));
        }
        if c.key.group.is_empty()
            && c.key.kind == "ResourceQuota"
            && let (Some(head), Some(tenant)) = (c.head, c.tenant())
        {
            let base_quota = c.base.map(Quota::of);
            let need = peak(&cx.base.demands, tenant);
            let short = shortfalls(base_quota.as_ref(), &Quota::of(head), &need);
            if !short.is_empty() {
                out.push(quota_below_demand(c, tenant, &short, &need, cx.base));
            }
        }
    }
}

fn namespace_removed(c: &ObjectChange, cx: &Context) -> Finding {
    let ns = &c.key.name;
    let why = "deleting a namespace deletes every object in it, including those strata does not manage: \
               PersistentVolumeClaims and their data, Secrets, running Spark, Flink and Airflow pods, checkpoints \
               kept in the cluster; nothing can be recovered from the cluster afterwards";
    let moved_to = c.tenant().and_then(|t| cx.head_namespace(t));
    match (c.tenant(), moved_to) {
        (Some(t), Some(new)) => Finding::error(
            TENANT_REMOVED,
            c,
            format!(
                "tenant `{t}` moves from namespace `{ns}` to `{}`: namespace `{ns}` and everything in it is deleted",
                new.name
            ),
            why,
        )
        .head_at(new)
        .help(format!(
            "keep `namespace=\"{ns}\"` on tenant `{t}`; to move, create the new tenant next to the old one, migrate the \
             workloads and data, and remove the old tenant in a later change"
        )),
        (Some(t), None) => Finding::error(
            TENANT_REMOVED,
            c,
            format!("tenant `{t}` is removed: namespace `{ns}` and everything in it is deleted"),
            why,
        )
        .help(format!(
            "if tenant `{t}` is really retired, back up its volumes and secrets first and say so in the change; \
             otherwise restore its `tenant` node"
        )),
        (None, _) => Finding::error(
            TENANT_REMOVED,
            c,
            format!("namespace `{ns}` is removed, and everything in it is deleted"),
            why,
        )
        .help("restore the node that created the namespace, or back up what is in it before applying"),
    }
}

fn quota_below_demand(c: &ObjectChange, tenant: &str, short: &[Shortfall], need: &Peak, base: &Side) -> Finding {
    let list: Vec<String> = short
        .iter()
        .map(|s| match &s.before {
            Some(b) => format!("{} {b} → {} (needs {})", s.resource, s.after, s.need),
            None => format!("{} unlimited → {} (needs {})", s.resource, s.after, s.need),
        })
        .collect();
    let mut who: Vec<String> = need
        .workloads
        .iter()
        .map(|(w, span)| match span.and_then(|s| base.origin(s)) {
            Some(o) => format!("{w} ({o})"),
            None => w.clone(),
        })
        .collect();
    const SHOWN: usize = 5;
    if who.len() > SHOWN {
        let more = who.len() - SHOWN;
        who.truncate(SHOWN);
        who.push(format!("{more} more"));
    }
    let min: Vec<String> = short.iter().map(|s| format!("{} {}", s.resource, s.enough)).collect();
    Finding::error(
        QUOTA_BELOW_DEMAND,
        c,
        format!("the quota of tenant `{tenant}` drops below what its workloads need now: {}", list.join(", ")),
        format!(
            "the apiserver refuses any pod that would push the namespace over its quota (`exceeded quota`): running \
             pods stay, but a restarted executor, the next scheduled run or a Flink failover cannot start. \
             At peak the tenant runs {}",
            who.join(", ")
        ),
    )
    .help(format!(
        "keep at least {} in the quota; if this change also shrinks the workloads, apply that first and lower the \
         quota in a later change, once the bigger runs are gone",
        min.join(", ")
    ))
}

/// A workload grew: if its tenant now uses more than [`NEAR_QUOTA_PERCENT`] of a quota limit, a warning
/// naming what grew and the fullest limits. `what` names the workload (`SparkApplication analytics/agg`),
/// `grew` the size fields that increased.
pub fn near_quota(c: &ObjectChange, workload: &str, grew: &[String], cx: &Context) -> Option<Finding> {
    if grew.is_empty() {
        return None;
    }
    let tenant = c.tenant()?;
    let need = peak(&cx.head.demands, tenant);
    let mut full: Vec<Usage> = cx.head_quotas(tenant).iter().flat_map(|q| usage(&Quota::of(q), &need)).collect();
    full.retain(Usage::near);
    if full.is_empty() {
        return None;
    }
    full.sort_by(|a, b| b.permille().cmp(&a.permille()).then(a.resource.cmp(&b.resource)));
    let fullest: Vec<String> =
        full.iter().map(|u| format!("{} {} of {} ({}%)", u.resource, u.need, u.hard, u.permille() / 10)).collect();
    let f = Finding::warning(
        NEAR_QUOTA,
        c,
        format!(
            "{workload} grows ({}); tenant `{tenant}` is then near its quota: {}",
            grew.join(", "),
            fullest.join(", ")
        ),
        format!(
            "with less than {}% of the quota left, a retry, a second concurrent run or another job's growth is refused \
             pods (`exceeded quota`) and waits or fails",
            100 - NEAR_QUOTA_PERCENT
        ),
    )
    .help(format!("raise the quota of tenant `{tenant}` in the same change, or keep the workload's size"));
    Some(f)
}

/// A tenant's ResourceQuota `spec.hard`, each amount in base units (millicores, bytes, count).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quota {
    pub hard: BTreeMap<String, u64>,
}

impl Quota {
    pub fn of(m: &Manifest) -> Quota {
        Quota::from_object(&m.object)
    }

    pub fn from_object(v: &Value) -> Quota {
        let hard = at(v, &["spec", "hard"])
            .and_then(Value::as_object)
            .map(|h| h.iter().filter_map(|(k, v)| Some((k.clone(), amount(k, v)?))).collect())
            .unwrap_or_default();
        Quota { hard }
    }
}

/// Parses one `hard` value by its resource name: CPU in millicores, memory and storage in bytes, counts.
fn amount(resource: &str, v: &Value) -> Option<u64> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    match Dim::of(resource) {
        Dim::Cpu => Cpu::parse(&s).ok().map(|c| c.0),
        Dim::Bytes => Bytes::parse(&s).ok().map(|b| b.0),
        Dim::Count => s.parse().ok().or_else(|| Bytes::parse(&s).ok().map(|b| b.0)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dim {
    Cpu,
    Bytes,
    Count,
}

impl Dim {
    fn of(resource: &str) -> Dim {
        if resource == "cpu" || resource.ends_with(".cpu") {
            Dim::Cpu
        } else if resource == "memory" || resource.ends_with(".memory") || resource.ends_with("storage") {
            Dim::Bytes
        } else {
            Dim::Count
        }
    }

    /// As Kubernetes writes it (`40`, `160Gi`).
    fn show(self, v: u64) -> String {
        match self {
            Dim::Cpu => Cpu(v).to_string(),
            Dim::Bytes => Bytes(v).to_string(),
            Dim::Count => v.to_string(),
        }
    }

    /// A sum of demands, readable next to a quota: `≈221.6Gi`, `25.5` cores, like the quota-fit messages.
    fn show_sum(self, v: u64) -> String {
        match self {
            Dim::Bytes if v >= 1 << 30 && !v.is_multiple_of(1 << 30) => {
                format!("≈{:.1}Gi", v as f64 / (1u64 << 30) as f64)
            }
            Dim::Cpu if v > 1000 && !v.is_multiple_of(1000) => {
                format!("{}.{}", v / 1000, format!("{:03}", v % 1000).trim_end_matches('0'))
            }
            _ => self.show(v),
        }
    }

    /// The smallest round quota value that holds `v`: whole cores, whole GiB.
    fn round_up(self, v: u64) -> u64 {
        match self {
            Dim::Cpu => v.div_ceil(1000).saturating_mul(1000),
            Dim::Bytes if v >= 1 << 30 => v.div_ceil(1 << 30).saturating_mul(1 << 30),
            _ => v,
        }
    }
}

/// A tenant's demand at peak: pod totals, objects by quota resource, and which workloads make it up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Peak {
    pub totals: Totals,
    pub objects: BTreeMap<String, u64>,
    pub workloads: Vec<(String, Option<crate::source::Span>)>,
}

impl Peak {
    /// What the peak needs of one quota resource, or `None` when demands say nothing about it.
    pub fn need(&self, resource: &str) -> Option<u64> {
        let t = &self.totals;
        match resource {
            "requests.cpu" | "cpu" => Some(t.cpu_request.0),
            "limits.cpu" => Some(t.cpu_limit.0),
            "requests.memory" | "memory" => Some(t.memory_request.0),
            "limits.memory" => Some(t.memory_limit.0),
            "pods" => Some(t.pods),
            r => r.strip_prefix("count/").and_then(|res| self.objects.get(res).copied()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.workloads.is_empty()
    }
}

/// The tenant's peak, exactly as the compile's quota-fit check computes it ([`quota::peaks`]): every
/// workload adds up, an exclusive group counts as its largest member per dimension, objects always add up.
pub fn peak(demands: &[Demand], tenant: &str) -> Peak {
    let all = quota::peaks(demands);
    let Some(p) = all.get(tenant) else { return Peak::default() };
    Peak {
        totals: p.totals,
        objects: p.objects.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        workloads: demands.iter().filter(|d| d.tenant == tenant).map(|d| (d.workload.clone(), Some(d.span))).collect(),
    }
}

/// A quota limit that the change lowers below the current peak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    pub resource: String,
    /// The limit before (`None`: there was none).
    pub before: Option<String>,
    pub after: String,
    pub need: String,
    /// The smallest round limit that holds the need.
    pub enough: String,
}

/// The limits of `head` that are lower than in `base` (or new) and lower than what `need` uses. A quota
/// that grows, or stays above the demand, is not a shortfall; neither is a resource no demand mentions.
pub fn shortfalls(base: Option<&Quota>, head: &Quota, need: &Peak) -> Vec<Shortfall> {
    head.hard
        .iter()
        .filter_map(|(res, &after)| {
            let before = base.and_then(|b| b.hard.get(res).copied());
            let lowered = before.is_none_or(|b| after < b);
            let n = need.need(res)?;
            (lowered && n > after).then(|| {
                let d = Dim::of(res);
                Shortfall {
                    resource: res.clone(),
                    before: before.map(|b| d.show(b)),
                    after: d.show(after),
                    need: d.show_sum(n),
                    enough: d.show(d.round_up(n)),
                }
            })
        })
        .collect()
}

/// How much of one quota limit the peak uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub resource: String,
    pub need: String,
    pub hard: String,
    need_raw: u64,
    hard_raw: u64,
}

impl Usage {
    /// Used share in tenths of a percent.
    pub fn permille(&self) -> u64 {
        if self.hard_raw == 0 { 1000 } else { (self.need_raw as u128 * 1000 / self.hard_raw as u128) as u64 }
    }

    /// Above [`NEAR_QUOTA_PERCENT`] (and still within the quota), as the compile's quota-fit decides it.
    pub fn near(&self) -> bool {
        quota::near_quota(self.need_raw, self.hard_raw)
    }
}

/// Usage of every limit of `quota` that the demand model covers.
pub fn usage(quota: &Quota, need: &Peak) -> Vec<Usage> {
    if need.is_empty() {
        return Vec::new();
    }
    quota
        .hard
        .iter()
        .filter_map(|(res, &hard)| {
            let n = need.need(res)?;
            let d = Dim::of(res);
            Some(Usage { resource: res.clone(), need: d.show_sum(n), hard: d.show(hard), need_raw: n, hard_raw: hard })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::tests::set;
    use crate::diff::{Side, compare};
    use crate::model::demand::PodDemand;
    use crate::source::{FileId, Span};
    use serde_json::json;

    fn demand(tenant: &str, workload: &str, group: Option<&str>, count: u64, cpu: u64, mem_gi: u64) -> Demand {
        Demand {
            tenant: tenant.into(),
            workload: workload.into(),
            span: Span::new(FileId(0), 0, 0),
            exclusive_group: group.map(str::to_string),
            pods: vec![PodDemand {
                role: "executor".into(),
                count,
                cpu_request: Cpu(cpu * 1000),
                cpu_limit: Cpu(cpu * 2000),
                memory_request: Bytes(mem_gi << 30),
                memory_limit: Bytes(mem_gi << 30),
                gpus: 0,
                spot: false,
            }],
            objects: vec![("sparkapplications.sparkoperator.k8s.io".into(), 1)],
            admission: Vec::new(),
            run: Default::default(),
        }
    }

    fn quota(hard: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ResourceQuota",
               "metadata": {"name": "tenant-quota", "namespace": "analytics"}, "spec": {"hard": hard}})
    }

    #[test]
    fn peak_adds_workloads_and_counts_an_exclusive_group_once() {
        let d = vec![
            demand("analytics", "a", None, 10, 2, 8),
            demand("analytics", "b", Some("nightly"), 4, 1, 4),
            demand("analytics", "c", Some("nightly"), 2, 3, 2),
            demand("payments", "p", None, 100, 1, 1),
        ];
        let p = peak(&d, "analytics");
        // a: 10 pods x 2 cpu; group: max(4x1, 2x3) cpu, max(4, 2) pods; objects exist whether running or not.
        assert_eq!(p.need("requests.cpu"), Some(20_000 + 6_000));
        assert_eq!(p.need("pods"), Some(10 + 4));
        assert_eq!(p.need("requests.memory"), Some((80 + 16) << 30));
        assert_eq!(p.need("count/sparkapplications.sparkoperator.k8s.io"), Some(3));
        assert_eq!(p.need("requests.storage"), None);
        assert_eq!(p.workloads.len(), 3);
    }

    #[test]
    fn quota_rule_reports_only_limits_lowered_below_the_current_peak() {
        let need = peak(&[demand("analytics", "agg", None, 10, 3, 8)], "analytics");
        let base = Quota::from_object(&quota(json!({"requests.cpu": "40", "requests.memory": "160Gi", "pods": "50"})));
        // cpu lowered below 30 (error); memory lowered but still above 80Gi (fine); pods raised (fine).
        let head = Quota::from_object(&quota(json!({"requests.cpu": "24", "requests.memory": "100Gi", "pods": "60"})));
        let s = shortfalls(Some(&base), &head, &need);
        assert_eq!(
            s,
            vec![Shortfall {
                resource: "requests.cpu".into(),
                before: Some("40".into()),
                after: "24".into(),
                need: "30".into(),
                enough: "30".into(),
            }]
        );
        // A new quota (none before) that is too small counts as lowered from unlimited.
        let s = shortfalls(None, &head, &need);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].before, None);
        // Without demands nothing can be said.
        assert!(shortfalls(Some(&base), &head, &Peak::default()).is_empty());
    }

    #[test]
    fn usage_is_near_above_ninety_percent() {
        let need = peak(&[demand("analytics", "agg", None, 9, 4, 1)], "analytics");
        let hard = json!({"requests.cpu": "39", "requests.memory": "100Gi", "limits.cpu": "100", "pods": "10"});
        let u = usage(&Quota::from_object(&quota(hard)), &need);
        let near: Vec<_> = u.iter().filter(|u| u.near()).map(|u| (u.resource.as_str(), u.permille())).collect();
        // 36 of 39 cpu = 92% (near); 72 of 100 cpu limit = 72%; 9Gi of 100Gi = 9%; 9 of 10 pods is exactly
        // 90%, not above, as the compile's quota-fit check decides it.
        assert_eq!(near, vec![("requests.cpu", 923)]);
    }

    #[test]
    fn tenant_removed_is_an_error_naming_the_namespace() {
        let ns = |n: &str| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}});
        let base = set(vec![(ns("sandbox"), Some("sandbox"), "tenants/sandbox.kdl:2")]);
        let head = set(vec![]);
        let d = compare(&Side::new("base", &base), &Side::new("head", &head));
        assert_eq!(d.findings.len(), 1);
        let f = &d.findings[0];
        assert_eq!((f.code, f.is_error()), (TENANT_REMOVED, true));
        assert!(f.message.contains("tenant `sandbox` is removed: namespace `sandbox`"), "{}", f.message);
        assert_eq!(f.base.as_ref().map(|l| l.origin.as_str()), Some("tenants/sandbox.kdl:2"));
        assert!(f.head.is_none());

        // The same tenant in another namespace: a move, still a deletion of the old one.
        let head = set(vec![(ns("sandbox-v2"), Some("sandbox"), "tenants/sandbox.kdl:2")]);
        let d = compare(&Side::new("base", &base), &Side::new("head", &head));
        let f = d.findings.iter().find(|f| f.code == TENANT_REMOVED).expect("reported");
        assert!(f.message.contains("moves from namespace `sandbox` to `sandbox-v2`"), "{}", f.message);
        assert!(f.head.is_some());
    }

    #[test]
    fn quota_below_demand_uses_the_base_revisions_demand() {
        let base = set(vec![(quota(json!({"requests.cpu": "40"})), Some("analytics"), "tenants/a.kdl:3")]);
        let head = set(vec![(quota(json!({"requests.cpu": "20"})), Some("analytics"), "tenants/a.kdl:3")]);
        let demands = vec![demand("analytics", "spark-job `agg`", None, 10, 3, 8)];
        let b = Side::new("base", &base).with_demands(demands.clone());
        let d = compare(&b, &Side::new("head", &head));
        assert_eq!(d.findings.len(), 1, "{:?}", d.findings);
        let f = &d.findings[0];
        assert_eq!((f.code, f.is_error()), (QUOTA_BELOW_DEMAND, true));
        assert!(f.message.contains("requests.cpu 40 → 20 (needs 30)"), "{}", f.message);
        assert!(f.why.contains("spark-job `agg`"), "{}", f.why);
        // The same change with the demand only in head (a new job) is the compile's business, not the diff's.
        let h = Side::new("head", &head).with_demands(demands);
        let d = compare(&Side::new("base", &base), &h);
        assert!(d.findings.is_empty());
    }
}
