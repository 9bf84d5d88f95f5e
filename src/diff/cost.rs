//! The cost section of `strata diff`: what a change does to each tenant's and workload's monthly cost (an
//! average month of 730 h, the figures `strata cost` prints), and the change-safety error for a change
//! that pushes a tenant over its budget. Pure: both sides' [`CostReport`]s come from [`Side::of`].
//!
//! An unknown figure stays unknown: a workload whose monthly cost is unknown on either side has an
//! unknown delta, and a tenant whose sum leaves some workloads out shows its delta as `± unknown`, the
//! delta of the parts that are known on both sides and nothing more.

use std::collections::BTreeMap;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::diagnostic::Severity;
use crate::diff::{Finding, Side, SpecLine};
use crate::model::cost::{CostReport, Figure, Money, Standing, TenantCost, WorkloadCost};

pub const BUDGET_EXCEEDED: &str = "strata::diff::budget-exceeded";

/// One side's figure for a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amount {
    /// Not on this side: the tenant or workload is added or removed.
    Absent,
    Known(Money),
    /// The sum of the known parts; some parts are unknown (a tenant's total).
    Partial(Money),
    Unknown,
}

impl Amount {
    fn of(f: &Figure) -> Amount {
        match f {
            Figure::Known(m) => Amount::Known(*m),
            Figure::Unknown(_) => Amount::Unknown,
        }
    }

    fn sum(m: Money, complete: bool) -> Amount {
        if complete { Amount::Known(m) } else { Amount::Partial(m) }
    }

    /// The known part, with an absent side counting as nothing.
    fn known(self) -> Option<(Money, bool)> {
        match self {
            Amount::Absent => Some((Money::default(), true)),
            Amount::Known(m) => Some((m, true)),
            Amount::Partial(m) => Some((m, false)),
            Amount::Unknown => None,
        }
    }
}

impl Amount {
    /// Complete (nothing or a known figure), a partial sum, or unknown: a change of this is a change
    /// worth showing even when the known part stays the same.
    fn kind(self) -> u8 {
        match self {
            Amount::Absent | Amount::Known(_) => 0,
            Amount::Partial(_) => 1,
            Amount::Unknown => 2,
        }
    }
}

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Amount::Absent => f.write_str("—"),
            Amount::Known(m) => write!(f, "{m}"),
            Amount::Partial(m) => write!(f, "{m} + unknown"),
            Amount::Unknown => f.write_str("unknown"),
        }
    }
}

impl Serialize for Amount {
    /// `null` when absent, else `{"amount": "236.32" | null, "complete": bool}`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (amount, complete) = match self {
            Amount::Absent => return s.serialize_none(),
            Amount::Known(m) => (Some(m.to_string()), true),
            Amount::Partial(m) => (Some(m.to_string()), false),
            Amount::Unknown => (None, false),
        };
        let mut st = s.serialize_struct("Amount", 2)?;
        st.serialize_field("amount", &amount)?;
        st.serialize_field("complete", &complete)?;
        st.end()
    }
}

/// head − base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delta {
    /// `(negative, size)`; `complete` false when some parts are unknown on either side (`± unknown`).
    Known {
        negative: bool,
        size: Money,
        complete: bool,
    },
    Unknown,
}

impl Delta {
    fn between(base: Amount, head: Amount) -> Delta {
        match (base.known(), head.known()) {
            (Some((b, bc)), Some((h, hc))) => {
                let (negative, size) = h.delta(b);
                Delta::Known { negative, size, complete: bc && hc }
            }
            _ => Delta::Unknown,
        }
    }

    /// Whether the known part moved by a cent or more.
    pub fn is_change(self) -> bool {
        matches!(self, Delta::Known { size, .. } if size.cents() != 0)
    }

    /// The signed size in whole cents, for ordering; unknown sorts as 0.
    fn cents(self) -> i128 {
        match self {
            Delta::Known { negative, size, .. } => {
                let c = i128::try_from(size.cents()).unwrap_or(i128::MAX);
                if negative { -c } else { c }
            }
            Delta::Unknown => 0,
        }
    }
}

impl std::fmt::Display for Delta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Delta::Known { negative, size, complete } => {
                let sign = if size.cents() == 0 {
                    ""
                } else if *negative {
                    "-"
                } else {
                    "+"
                };
                write!(f, "{sign}{size}{}", if *complete { "" } else { " ± unknown" })
            }
            Delta::Unknown => f.write_str("unknown"),
        }
    }
}

impl Serialize for Delta {
    /// `{"amount": "+2097.43" | null, "complete": bool}`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (amount, complete) = match self {
            Delta::Known { complete, .. } => {
                let t = self.to_string();
                (Some(t.trim_end_matches(" ± unknown").to_string()), *complete)
            }
            Delta::Unknown => (None, false),
        };
        let mut st = s.serialize_struct("Delta", 2)?;
        st.serialize_field("amount", &amount)?;
        st.serialize_field("complete", &complete)?;
        st.end()
    }
}

/// One figure on both sides and its delta.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Change {
    pub base: Amount,
    pub head: Amount,
    pub delta: Delta,
}

impl Change {
    fn new(base: Amount, head: Amount) -> Change {
        Change { base, head, delta: Delta::between(base, head) }
    }

    /// A known part that moves, or a figure that becomes (or stops being) unknown.
    fn is_change(&self) -> bool {
        self.delta.is_change() || self.base.kind() != self.head.kind()
    }
}

/// One tenant or workload whose monthly cost changes.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub tenant: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    pub expected: Change,
    pub peak: Change,
    /// A workload's requests for one hour of running: known when its month is not, so a scheduled job
    /// without `expected-runtime` that grows still shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_run_hour: Option<Change>,
}

impl Row {
    fn is_change(&self) -> bool {
        self.expected.is_change() || self.peak.is_change() || self.per_run_hour.is_some_and(|c| c.delta.is_change())
    }
}

/// What a change does to the platform's monthly cost: only the rows that change.
#[derive(Debug, Clone, Serialize)]
pub struct CostDiff {
    pub currency: String,
    /// `an average month (730 h)`.
    pub period: String,
    pub tenants: Vec<Row>,
    pub workloads: Vec<Row>,
}

impl CostDiff {
    pub fn is_empty(&self) -> bool {
        self.tenants.is_empty() && self.workloads.is_empty()
    }
}

/// The cost rows that differ between the two reports, tenants and workloads each by name. `None` when
/// either side has no report (a side read from manifests) or the currencies differ (nothing to subtract).
pub fn compare(base: Option<&CostReport>, head: Option<&CostReport>) -> Option<CostDiff> {
    let (b, h) = (base?, head?);
    if b.currency != h.currency {
        return None;
    }
    let tenant = |t: Option<&TenantCost>| {
        t.map_or((Amount::Absent, Amount::Absent), |t| {
            (Amount::sum(t.expected, t.complete), Amount::sum(t.peak, t.peak_complete))
        })
    };
    let mut names: BTreeMap<&str, (Option<&TenantCost>, Option<&TenantCost>)> = BTreeMap::new();
    for t in &b.tenants {
        names.entry(&t.tenant).or_default().0 = Some(t);
    }
    for t in &h.tenants {
        names.entry(&t.tenant).or_default().1 = Some(t);
    }
    let tenants = names
        .into_iter()
        .map(|(name, (bt, ht))| {
            let ((be, bp), (he, hp)) = (tenant(bt), tenant(ht));
            Row {
                tenant: name.to_string(),
                workload: None,
                expected: Change::new(be, he),
                peak: Change::new(bp, hp),
                per_run_hour: None,
            }
        })
        .filter(Row::is_change)
        .collect();
    let workload = |w: Option<&WorkloadCost>| {
        w.map_or((Amount::Absent, Amount::Absent), |w| (Amount::of(&w.expected), Amount::of(&w.peak)))
    };
    type Pair<'r> = (Option<&'r WorkloadCost>, Option<&'r WorkloadCost>);
    let mut names: BTreeMap<(&str, &str), Pair> = BTreeMap::new();
    for w in &b.workloads {
        names.entry((&w.tenant, &w.workload)).or_default().0 = Some(w);
    }
    for w in &h.workloads {
        names.entry((&w.tenant, &w.workload)).or_default().1 = Some(w);
    }
    let mut workloads: Vec<Row> = names
        .into_iter()
        .map(|((t, name), (bw, hw))| {
            let ((be, bp), (he, hp)) = (workload(bw), workload(hw));
            let hour = |w: Option<&WorkloadCost>| w.map_or(Amount::Absent, |w| Amount::Known(w.per_hour));
            Row {
                tenant: t.to_string(),
                workload: Some(name.to_string()),
                expected: Change::new(be, he),
                peak: Change::new(bp, hp),
                // Storage is billed by the month: it has no run-hour.
                per_run_hour: bw
                    .or(hw)
                    .is_none_or(|w| w.pattern != crate::model::cost::kafka::STORAGE)
                    .then(|| Change::new(hour(bw), hour(hw))),
            }
        })
        .filter(Row::is_change)
        .collect();
    // Within a tenant, the largest increase first (by peak, which every workload with a known month has).
    workloads.sort_by(|a, b| a.tenant.cmp(&b.tenant).then_with(|| b.peak.delta.cents().cmp(&a.peak.delta.cents())));
    Some(CostDiff { currency: h.currency.clone(), period: h.period.describe(), tenants, workloads })
}

/// A change that takes a tenant over its budget: the head is over, and the base was not (or had no
/// budget, or no such tenant). A tenant that was over already is `strata check`'s to report.
pub fn budget_findings(base: &Side, head: &Side, diff: Option<&CostDiff>) -> Vec<Finding> {
    let Some(h) = head.cost.as_ref() else { return Vec::new() };
    let mut out = Vec::new();
    for t in &h.tenants {
        if t.standing() != Some(Standing::Over) {
            continue;
        }
        let before = base.cost.as_ref().and_then(|b| b.tenants.iter().find(|x| x.tenant == t.tenant));
        if before.is_some_and(|b| b.standing() == Some(Standing::Over)) {
            continue;
        }
        let Some(budget) = t.budget else { continue };
        let cur = &h.currency;
        let was = match before {
            Some(b) => match b.budget {
                Some(bb) => {
                    format!("was {}{} of a budget of {bb}", b.expected, if b.complete { "" } else { " + unknown" })
                }
                None => format!("was {}{} with no budget", b.expected, if b.complete { "" } else { " + unknown" }),
            },
            None => "a new tenant".to_string(),
        };
        let increases: Vec<String> = diff
            .into_iter()
            .flat_map(|d| &d.workloads)
            .filter(|r| r.tenant == t.tenant)
            .filter(|r| {
                matches!(r.expected.delta, Delta::Known { negative: false, .. }) && r.expected.delta.is_change()
            })
            .take(3)
            .map(|r| format!("{} {}", r.workload.as_deref().unwrap_or(""), r.expected.delta))
            .collect();
        let head_line = t.budget_span.map(|span| SpecLine {
            origin: head.origin(span).unwrap_or_default(),
            text: None,
            span: Some(span),
        });
        let base_line = before.and_then(|b| b.budget_span).map(|span| SpecLine {
            origin: base.origin(span).unwrap_or_default(),
            text: None,
            span: Some(span),
        });
        out.push(Finding {
            severity: Severity::Error,
            code: BUDGET_EXCEEDED,
            message: format!(
                "tenant `{}` goes over its budget: it is expected to spend {}{} {cur} a month, {}% of {budget} ({was})",
                t.tenant,
                if t.complete { "" } else { "at least " },
                t.expected,
                t.budget_percent().unwrap_or(0),
            ),
            object: format!("tenant {}", t.tenant),
            tenant: Some(t.tenant.clone()),
            base: base_line,
            head: head_line,
            why: format!(
                "the head revision fails `strata check` (strata::cost::budget-exceeded): the tenant's workloads cost \
                 more than its budget at their requests, and the bill is at least that{}",
                if increases.is_empty() {
                    String::new()
                } else {
                    format!("; the largest increases: {}", increases.join(", "))
                }
            ),
            help: Some(format!(
                "make the workloads that grow cheaper, or raise the tenant's budget in the same change to at least \
                 `monthly=\"{}\"`",
                t.expected.cents().div_ceil(100)
            )),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::compare as diff;

    /// A tenant with a nightly job of `pods` × (4 cores, 16 GiB), 2 h a run, and an optional budget.
    fn spec(pods: u32, budget: &str) -> String {
        format!(
            "tenant \"t\" {{\n    network \"open\"\n    {budget}\n}}\n\
             job \"nightly\" tenant=\"t\" expected-runtime=\"2h\" {{\n    image \"example/job:1\"\n    \
             resources cpu=4 memory=\"16Gi\"\n    parallelism {pods}\n    schedule \"0 2 * * *\"\n}}\n\
             job \"adhoc\" tenant=\"t\" {{\n    image \"example/job:1\"\n    resources cpu=1 memory=\"1Gi\"\n}}\n"
        )
    }

    fn compiled(pods: u32, budget: &str) -> crate::Compilation {
        let fs = crate::lang::MemFs::new().with("platform.kdl", format!("platform \"test\"\n{}", spec(pods, budget)));
        crate::compile_for_diff(&fs, std::path::Path::new("platform.kdl"))
    }

    #[test]
    fn a_job_from_20_to_200_pods_shows_its_monthly_delta() {
        let (b, h) = (compiled(20, ""), compiled(200, ""));
        let (bs, hs) = (Side::of("base", &b).expect("compiles"), Side::of("head", &h).expect("compiles"));
        let d = diff(&bs, &hs);
        let c = d.cost.expect("both sides have a model");
        // 20 × (4 × 0.031611 + 16 × 0.004237) = 3.88472/h; × 2 h × 365/12 runs = 236.320466…
        // 200 pods: 38.8472/h × 2 h × 365/12 = 2363.204666…; delta 2126.8842 → 2126.88.
        let w: Vec<_> = c.workloads.iter().map(|r| (r.workload.as_deref().unwrap_or(""), r.expected)).collect();
        assert_eq!(w.len(), 1, "the unchanged ad hoc job is not listed: {w:?}");
        let (name, e) = w[0];
        assert_eq!(name, "scheduled job `nightly`");
        assert_eq!(
            (e.base.to_string(), e.head.to_string(), e.delta.to_string()),
            ("236.32".into(), "2363.20".into(), "+2126.88".into())
        );
        // The tenant's sum leaves the ad hoc job out: a known delta of the known part, never a total.
        let t = &c.tenants[0].expected;
        assert_eq!(t.delta.to_string(), "+2126.88 ± unknown");
        assert_eq!(t.head.to_string(), "2363.20 + unknown");
        assert!(d.findings.is_empty(), "no budget, no finding: {:?}", d.findings);
    }

    #[test]
    fn a_cost_only_change_shows_its_section_and_changes_no_object() {
        let b = compiled(20, "");
        let fs = crate::lang::MemFs::new().with(
            "platform.kdl",
            format!(
                "platform \"test\"\n{}",
                spec(20, "").replace("expected-runtime=\"2h\"", "expected-runtime=\"3h\"")
            ),
        );
        let h = crate::compile_for_diff(&fs, std::path::Path::new("platform.kdl"));
        let (bs, hs) = (Side::of("base", &b).expect("compiles"), Side::of("head", &h).expect("compiles"));
        let d = diff(&bs, &hs);
        assert!(d.changes.is_empty());
        assert_eq!(d.exit_code(), crate::exit::OK);
        // 3 h instead of 2: half as much again, 236.320466… / 2 = 118.160233… → +118.16.
        let text = crate::diff::render::render(&d, crate::diff::render::Format::Unified, false);
        let row = text.lines().find(|l| l.contains("scheduled job `nightly`")).unwrap_or_default();
        assert!(text.contains("no changes") && row.contains("236.32 → 354.48") && row.contains("+118.16"), "{text}");
        let md = crate::diff::render::render(&d, crate::diff::render::Format::Markdown, false);
        assert!(md.contains("#### Cost") && md.contains("**+118.16**"), "{md}");
        // Nothing moves: no section at all.
        let d = diff(&bs, &bs);
        let md = crate::diff::render::render(&d, crate::diff::render::Format::Markdown, false);
        assert!(!md.contains("#### Cost"), "{md}");
    }

    #[test]
    fn unknown_stays_unknown() {
        let base = Amount::Known(Money(5_000_000_000_000));
        assert_eq!(Delta::between(base, Amount::Unknown), Delta::Unknown);
        assert_eq!(Delta::between(Amount::Absent, Amount::Unknown).to_string(), "unknown");
        // A removed workload: its whole figure, negative.
        assert_eq!(Delta::between(base, Amount::Absent).to_string(), "-5.00");
        assert!(Change::new(Amount::Unknown, Amount::Unknown).delta == Delta::Unknown);
        assert!(!Change::new(Amount::Unknown, Amount::Unknown).is_change());
        assert!(Change::new(Amount::Absent, Amount::Unknown).is_change());
        assert!(!Change::new(Amount::Partial(Money(1)), Amount::Partial(Money(2))).is_change());
    }

    #[test]
    fn pushing_a_tenant_over_its_budget_is_a_safety_error() {
        // 236.32 of 1200 in the base; 2363.20 in the head.
        let (b, h) = (compiled(20, "budget monthly=\"1200\""), compiled(200, "budget monthly=\"1200\""));
        assert!(!h.ok() && h.valid() && h.manifests.is_some(), "{:?}", h.diagnostics);
        let (bs, hs) = (Side::of("base", &b).expect("compiles"), Side::of("head", &h).expect("compiles"));
        let d = diff(&bs, &hs);
        let codes: Vec<_> = d.findings.iter().map(|f| f.code).collect();
        assert_eq!(codes, [BUDGET_EXCEEDED]);
        assert_eq!(d.exit_code(), crate::exit::UNSAFE);
        let f = &d.findings[0];
        assert!(
            f.message.contains(
                "at least 2363.20 USD a month, 196% of 1200.00 (was 236.32 + unknown of a budget of 1200.00)"
            ),
            "{}",
            f.message
        );
        assert!(f.help.as_deref().is_some_and(|h| h.contains("`monthly=\"2364\"`")), "{:?}", f.help);
        assert_eq!(f.head.as_ref().map(|l| l.origin.as_str()), Some("platform.kdl:4"));
        // Over on both sides: the check's to report, not this change's.
        let d = diff(&hs, &hs);
        assert!(d.findings.is_empty());
        // No budget in the base: a new budget the head is already over is still an error.
        let (b, _) = (compiled(200, ""), ());
        let bs = Side::of("base", &b).expect("compiles");
        assert_eq!(diff(&bs, &hs).errors(), 1);
    }
}
