//! Budgets: a tenant's expected monthly spend (the cost model's figure, what `strata cost` prints for an
//! average month of 730 h) against its `budget monthly=...`. Over the budget is an error, above 90% of it
//! a warning, with quota fit's threshold and style: the arithmetic, and the three workloads that cost the
//! most, each at its spec line. A workload whose monthly figure is unknown (a scheduled job without
//! `expected-runtime`) is never guessed at: it is named, and the spend is then a lower bound.
//!
//! The figures are [`crate::model::cost`]'s, which `strata diff` shares for its budget finding.

use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::Platform;
use crate::model::cost::{BUDGET, CostReport, Figure, Money, Period, Standing, TenantCost, WorkloadCost, report_of};
use crate::model::demand::Demand;
use crate::model::quota::NEAR_QUOTA_PERCENT;

pub const EXCEEDED: &str = "strata::cost::budget-exceeded";
pub const NEAR: &str = "strata::cost::budget-near";
pub const UNKNOWN: &str = "strata::cost::budget-unknown";
pub const SPEND: &str = "strata::cost::budget-spend";

/// How many of the most expensive workloads a finding points at.
const CONTRIBUTORS: usize = 3;

pub const SPOT_UNPLACED: &str = "strata::cost::spot-unplaced";

pub fn check(p: &Platform, demands: &[Demand], d: &mut Diagnostics) {
    spot_placement(p, d);
    // Pricing the platform costs a pass over every demand: only when some tenant has a budget.
    if !p.tenants.iter().any(|t| t.budget.as_ref().is_some_and(|b| b.monthly.is_some())) {
        return;
    }
    let Some(r) = report_of(p, demands, Period::AverageMonth) else { return };
    // Each budgeted tenant's row and workloads, looked up by name once rather than scanned per tenant
    // (tenants × workloads). Only looked up, never iterated: the findings follow `p.tenants`.
    let mut rows: HashMap<&str, &TenantCost> = HashMap::new();
    for t in &r.tenants {
        rows.entry(t.tenant.as_str()).or_insert(t);
    }
    let mut workloads: HashMap<&str, Vec<&WorkloadCost>> = HashMap::new();
    for w in &r.workloads {
        workloads.entry(w.tenant.as_str()).or_default().push(w);
    }
    for tenant in &p.tenants {
        let Some(budget) = &tenant.budget else { continue };
        let Some(monthly) = &budget.monthly else { continue };
        if let Some(cur) = &budget.currency
            && cur.value != r.currency
        {
            let mut diag = Diagnostic::error(
                BUDGET,
                format!(
                    "the budget of tenant `{}` is in {}, but the platform's prices are in {}",
                    tenant.name.value, cur.value, r.currency
                ),
            )
            .at(cur.span, format!("not {}", r.currency));
            if let Some(at) = pricing_currency(p) {
                diag = diag.also(at, format!("prices in {}", r.currency));
            }
            d.push(diag.help(format!(
                "strata does not convert currencies: give the budget in {0} (`currency=\"{0}\"` or no `currency=`)",
                r.currency
            )));
            continue;
        }
        let Some(&t) = rows.get(tenant.name.value.as_str()) else { continue };
        let Some(standing) = t.standing() else { continue };
        // A tenant without workloads spends nothing: no finding, and no note to read.
        if standing == Standing::Within && t.known + t.unknown == 0 {
            continue;
        }
        let Some(limit) = t.budget else { continue };
        let f = Finding { r: &r, t, limit, workloads: by_cost(workloads.get(t.tenant.as_str()).cloned()) };
        let name = &tenant.name.value;
        let cur = &r.currency;
        let pct = t.budget_percent().unwrap_or(0);
        let diag = match standing {
            Standing::Over => {
                let over = t.expected.delta(limit).1;
                let diag = Diagnostic::error(
                    EXCEEDED,
                    format!(
                        "tenant `{name}` is expected to spend {}{} {cur} a month, over its budget of {limit} ({pct}%)",
                        if t.complete { "" } else { "at least " },
                        t.expected
                    ),
                )
                .at(tenant.name.span, format!("{over} over the budget"))
                .also(monthly.span, format!("budget {limit} {cur} a month"));
                f.contributors(diag).help(format!(
                    "lower what the largest workloads cost (fewer or smaller pods, fewer runs, a shorter runtime), or \
                     raise the budget to at least `monthly=\"{}\"`",
                    t.expected.cents().div_ceil(100)
                ))
            }
            Standing::Near => {
                let diag = Diagnostic::warning(
                    NEAR,
                    format!(
                        "tenant `{name}` is expected to spend {pct}% of its budget a month ({}{} of {limit} {cur})",
                        if t.complete { "" } else { "at least " },
                        t.expected
                    ),
                )
                .at(tenant.name.span, format!("above {NEAR_QUOTA_PERCENT}% of the budget"))
                .also(monthly.span, format!("budget {limit} {cur} a month"));
                f.contributors(diag).help(
                    "leave headroom for reruns and growth: raise the budget, or trim the workloads listed below",
                )
            }
            Standing::Unknown => {
                let mut diag = Diagnostic::warning(
                    UNKNOWN,
                    format!(
                        "the monthly spend of tenant `{name}` is unknown, so its budget of {limit} {cur} cannot be checked"
                    ),
                )
                .at(monthly.span, "nothing to compare with")
                .also(tenant.name.span, format!("{} with an unknown monthly figure", plural(t.unknown, "workload")));
                for w in f.workloads.iter().take(CONTRIBUTORS) {
                    diag = diag.also(w.span, format!("{}: unknown a month", w.workload));
                }
                diag.help(
                    "give each scheduled `job` and `spark-job` an `expected-runtime` (e.g. `expected-runtime=\"2h\"`), \
                     so strata can price its runs (ad hoc jobs cost per run and Airflow's task pods have only an upper \
                     bound); `strata cost --explain` shows each figure",
                )
            }
            Standing::Within => Diagnostic::note(
                SPEND,
                format!(
                    "tenant `{name}` is expected to spend {}{} of its {limit} {cur} budget a month ({pct}%)",
                    if t.complete { "" } else { "at least " },
                    t.expected
                ),
            )
            .at(tenant.name.span, "checked against the tenant's budget")
            .also(monthly.span, format!("budget {limit} {cur} a month"))
            .help(format!(
                "a warning comes above {NEAR_QUOTA_PERCENT}% of the budget, an error over it; `strata cost --explain` shows each figure"
            )),
        };
        d.push(f.notes(diag, standing));
    }
}

/// The platform's own `pricing` node that sets the currency, for a label; the stdlib's is not shown.
/// `spot=#true` prices a job at the spot prices, but only a node selector or a toleration puts its pods on
/// spot nodes (each cloud labels and taints them its own way: `karpenter.sh/capacity-type: spot`,
/// `cloud.google.com/gke-spot: "true"`, `eks.amazonaws.com/capacityType: SPOT`). With neither, the
/// scheduler may place them on on-demand nodes and the figure is too low.
fn spot_placement(p: &Platform, d: &mut Diagnostics) {
    let jobs =
        p.jobs.jobs.iter().map(|j| ("job", &j.name, &j.spot, j.node_selector.is_empty() && j.tolerations.is_empty()));
    let spark = p
        .spark
        .jobs
        .iter()
        .map(|j| ("spark-job", &j.name, &j.spot, j.node_selector.is_empty() && j.tolerations.is_empty()));
    for (kind, name, spot, unplaced) in jobs.chain(spark) {
        let Some(spot) = spot.as_ref().filter(|s| s.value) else { continue };
        if unplaced {
            d.push(
                Diagnostic::warning(
                    SPOT_UNPLACED,
                    format!("{kind} `{}` is priced at spot prices, but nothing places its pods on spot nodes", name.value),
                )
                .at(spot.span, "priced as spot")
                .also(name.span, "no `node-selector` or `toleration`")
                .help("add the node selector (and toleration) your cluster's spot nodes carry, e.g. `node-selector \"karpenter.sh/capacity-type\" \"spot\"`"),
            );
        }
    }
}

fn pricing_currency(p: &Platform) -> Option<crate::source::Span> {
    p.pricing.iter().filter(|s| !s.from_stdlib).filter_map(|s| s.currency.as_ref()).next_back().map(|c| c.span)
}

/// The tenant's workloads, most expensive (expected) first; unknown figures last.
/// One tenant's workloads (in report order), most expensive first.
fn by_cost(ws: Option<Vec<&WorkloadCost>>) -> Vec<&WorkloadCost> {
    let mut ws = ws.unwrap_or_default();
    ws.sort_by(|a, b| b.expected.known().cmp(&a.expected.known()).then_with(|| a.workload.cmp(&b.workload)));
    ws
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

/// One budgeted tenant's figures, for the parts every budget diagnostic shares.
struct Finding<'r> {
    r: &'r CostReport,
    t: &'r TenantCost,
    limit: Money,
    workloads: Vec<&'r WorkloadCost>,
}

impl Finding<'_> {
    /// The largest known contributors, each at its spec line with its share.
    fn contributors(&self, mut diag: Diagnostic) -> Diagnostic {
        let known = self.workloads.iter().filter_map(|w| w.expected.known().map(|m| (w, m)));
        for (i, (w, m)) in known.filter(|(_, m)| m.0 > 0).take(CONTRIBUTORS).enumerate() {
            let what = if i == 0 { "the largest share" } else { "next" };
            diag = diag.also(w.span, format!("{what}: {m} a month ({}% of the spend)", share(m, self.t.expected)));
        }
        diag
    }

    /// The arithmetic, and the workloads left out of it.
    fn notes(&self, mut diag: Diagnostic, standing: Standing) -> Diagnostic {
        let cur = &self.r.currency;
        if standing != Standing::Unknown {
            let mut lines = vec![format!(
                "expected spend in {} at cpu {}/core-h, memory {}/GiB-h:",
                self.r.period.describe(),
                self.r.pricing.cpu.value,
                self.r.pricing.memory.value
            )];
            let known: Vec<(&WorkloadCost, Money)> =
                self.workloads.iter().filter_map(|w| w.expected.known().map(|m| (*w, m))).collect();
            for (w, m) in &known {
                lines.push(format!("  {}: {m} ({})", w.workload, w.pattern));
            }
            let sum = known.iter().map(|(_, m)| m.to_string()).collect::<Vec<_>>().join(" + ");
            lines.push(format!(
                "  spend = {} = {} {cur}; the budget is {} ({}%)",
                if sum.is_empty() { "0".to_string() } else { sum },
                self.t.expected,
                self.limit,
                self.t.budget_percent().unwrap_or(0)
            ));
            diag = diag.note_line(lines.join("\n"));
        }
        let unknown: Vec<String> = self
            .workloads
            .iter()
            .filter_map(|w| match &w.expected {
                Figure::Unknown(why) => Some(format!("  {}: {why}", w.workload)),
                Figure::Known(_) => None,
            })
            .collect();
        if !unknown.is_empty() {
            let head = if standing == Standing::Unknown {
                "no workload's monthly figure is known:".to_string()
            } else {
                format!(
                    "not counted, their monthly figure is unknown (the spend is at least {} {cur}):",
                    self.t.expected
                )
            };
            diag = diag.note_line(format!("{head}\n{}", unknown.join("\n")));
        }
        diag.note_line("requests, not usage: a lower bound of an allocation-based bill (see `strata cost`)")
    }
}

/// `part` as a whole percentage of `whole`, rounded down.
fn share(part: Money, whole: Money) -> u128 {
    part.0.saturating_mul(100).checked_div(whole.0).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::BUDGET;
    use crate::test_support::compile;

    /// The cost codes found, in source order (the bare test specs draw other rules' warnings too).
    fn codes(c: &crate::Compilation) -> Vec<&'static str> {
        crate::test_support::codes(c).into_iter().filter(|c| c.starts_with("strata::cost::")).collect()
    }

    /// One tenant with a always-on stream app of `replicas` × 1 core / 4 GiB and a budget.
    fn spec(replicas: u32, budget: &str, extra: &str) -> String {
        format!(
            "tenant \"t\" {{\n    network \"open\"\n    budget {budget}\n}}\n\
             stream-app \"a\" tenant=\"t\" {{\n    image \"example/app:1\"\n    size \"m\"\n    \
             replicas {replicas}\n}}\n{extra}"
        )
    }

    fn messages(c: &crate::Compilation, code: &str) -> Vec<String> {
        c.diagnostics.iter().filter(|d| d.code == code).map(|d| d.message.clone()).collect()
    }

    #[test]
    fn the_thresholds_follow_quota_fit() {
        // 1 core × 0.031611 + 4 GiB × 0.004237 = 0.048559 an hour; × 730 h = 35.44807 → 35.45 a replica.
        // 3 replicas: 106.34421 → 106.34.
        let c = compile(&spec(3, "monthly=\"200\"", ""));
        let d = c.diagnostics.iter().find(|d| d.code == super::SPEND).expect("a spend note");
        assert_eq!(d.message, "tenant `t` is expected to spend 106.34 of its 200.00 USD budget a month (53%)");
        assert!(d.notes.iter().any(|n| n.contains("spend = 106.34 = 106.34 USD; the budget is 200.00 (53%)")), "{d:?}");
        // 106.34 of 115: 92% (above 90%): a warning.
        let c = compile(&spec(3, "monthly=\"115\"", ""));
        assert_eq!(codes(&c), [super::NEAR], "{:?}", c.diagnostics);
        assert_eq!(
            messages(&c, super::NEAR),
            ["tenant `t` is expected to spend 92% of its budget a month (106.34 of 115.00 USD)"]
        );
        // Exactly 90%: 106.34 / 0.9 = 118.155…; a budget of 118.16 is 89.99…% → within.
        let c = compile(&spec(3, "monthly=\"118.16\"", ""));
        assert!(codes(&c).is_empty(), "{:?}", c.diagnostics);
        // Over: 106.34 > 100, 106%.
        let c = compile(&spec(3, "monthly=100", ""));
        assert_eq!(codes(&c), [super::EXCEEDED]);
        assert_eq!(
            messages(&c, super::EXCEEDED),
            ["tenant `t` is expected to spend 106.34 USD a month, over its budget of 100.00 (106%)"]
        );
        let d = c.diagnostics.iter().find(|d| d.code == super::EXCEEDED).expect("error");
        assert!(d.help.as_deref().is_some_and(|h| h.contains("`monthly=\"107\"`")), "{:?}", d.help);
        // The budget equal to the spend fits (near, not over).
        let c = compile(&spec(3, "monthly=\"106.34\"", ""));
        assert_eq!(codes(&c), [super::NEAR]);
    }

    #[test]
    fn unknown_figures_make_a_lower_bound_or_a_warning() {
        let job = "job \"nightly\" tenant=\"t\" {\n    image \"example/job:1\"\n    \
                   resources cpu=4 memory=\"16Gi\"\n    schedule \"0 2 * * *\"\n}\n";
        // Known part 106.34 already over 100: still an error, "at least", and the job named.
        let c = compile(&spec(3, "monthly=\"100\"", job));
        assert_eq!(codes(&c), [super::EXCEEDED], "{:?}", c.diagnostics);
        let d = c.diagnostics.iter().find(|d| d.code == super::EXCEEDED).expect("error");
        assert!(d.message.contains("at least 106.34 USD"), "{}", d.message);
        assert!(d.notes.iter().any(|n| n.contains("not counted") && n.contains("`nightly`")), "{:?}", d.notes);
        // Only the job: nothing known.
        let c = compile(&format!("tenant \"t\" {{\n    network \"open\"\n    budget monthly=\"100\"\n}}\n{job}"));
        assert_eq!(codes(&c), [super::UNKNOWN], "{:?}", c.diagnostics);
    }

    #[test]
    fn bad_budgets_are_reported() {
        let bad = |b: &str| {
            let c = compile(&format!("tenant \"t\" {{\n    {b}\n}}\n"));
            codes(&c)
        };
        assert_eq!(bad("budget monthly=\"1200 USD\""), [BUDGET]);
        assert_eq!(bad("budget monthly=\"0\""), [BUDGET]);
        assert_eq!(bad("budget monthly=12.5"), [BUDGET]);
        assert_eq!(bad("budget"), [BUDGET]);
        assert_eq!(bad("budget monthly=\"5\"\n    budget monthly=\"6\""), [BUDGET]);
        assert_eq!(bad("budget monthly=\"5\" currency=\"EUR\""), [BUDGET]);
        assert!(bad("budget monthly=\"5\" currency=\"USD\"").is_empty());
    }
}
