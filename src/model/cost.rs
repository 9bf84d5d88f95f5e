//! The cost model: what each workload and tenant costs a month, from the same pod requests quota fit counts
//! ([`Demand`]) and the prices of the platform's `pricing`. Pure and exact: prices are integer nano-units,
//! sums are integer pico-units (memory is carried over a 2^30 denominator and divided once per figure), so
//! the same spec always prints the same cents. `docs/cost.md` describes the model; `strata cost` prints it.
//!
//! Requests, not usage: OpenCost bills CPU and memory at max(request, usage) (`opencost/opencost`
//! `spec/opencost-specv01.md`), so every figure here is a lower bound of allocation-based billing.

use std::collections::BTreeMap;

use crate::model::demand::{Demand, PodDemand, Run};
use crate::model::quota::{near_quota, percent};
use crate::model::{Platform, QuotaSpec};
use crate::source::{Span, Spanned};
use crate::units::Bytes;

pub mod kafka;

/// Hours in the average month: a 365-day year over 12, as OpenCost and the cloud price sheets count.
pub const HOURS_PER_MONTH: u64 = 730;
/// The non-leap year whose 12 months the average month's cron runs are counted over (8760 h / 12 = 730 h).
pub const REFERENCE_YEAR: i16 = 2027;

/// The code of every problem with a tenant's `budget` node: lowering reports bad amounts, `check::cost` a
/// currency other than the pricing's.
pub const BUDGET: &str = "strata::cost::budget";

const GIB: u128 = 1 << 30;
const PICO_PER_NANO: u128 = 1000;

/// A price: an amount of the currency in nano-units (`0.031611` = 31 611 000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Price(pub u64);

impl Price {
    /// A non-negative decimal with at most 9 fractional digits, e.g. `"0.031611"`.
    pub fn parse(s: &str) -> Result<Price, String> {
        let t = s.trim();
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() && frac.is_empty() || !digits(int) || !digits(frac) {
            return Err(format!("`{s}` is not a price: write a decimal such as \"0.031611\""));
        }
        if frac.len() > 9 {
            return Err(format!("`{s}` has more than 9 decimals"));
        }
        let int: u64 = if int.is_empty() { 0 } else { int.parse().map_err(|_| format!("`{s}` is too large"))? };
        let frac_v: u64 =
            if frac.is_empty() { 0 } else { frac.parse().map_err(|_| format!("`{s}` is not a price"))? };
        let scaled = frac_v * 10u64.pow(9 - frac.len() as u32);
        int.checked_mul(1_000_000_000)
            .and_then(|v| v.checked_add(scaled))
            .map(Price)
            .ok_or(format!("`{s}` is too large"))
    }
}

impl std::fmt::Display for Price {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let frac = format!("{:09}", self.0 % 1_000_000_000);
        let frac = frac.trim_end_matches('0');
        write!(f, "{}.{}", self.0 / 1_000_000_000, if frac.is_empty() { "0" } else { frac })
    }
}

/// One `pricing` node (the stdlib's or the platform's); every field optional so a platform can override one.
#[derive(Debug, Clone)]
pub struct PricingSpec {
    pub span: Span,
    pub currency: Option<Spanned<String>>,
    /// Per core-hour.
    pub cpu: Option<Spanned<Price>>,
    /// Per GiB-hour.
    pub memory: Option<Spanned<Price>>,
    /// Per GiB-month.
    pub storage: Option<Spanned<Price>>,
    /// Per GPU-hour.
    pub gpu: Option<Spanned<Price>>,
    pub spot_cpu: Option<Spanned<Price>>,
    pub spot_memory: Option<Spanned<Price>>,
    pub from_stdlib: bool,
}

/// The prices in force: the platform's `pricing` field by field over the stdlib's.
#[derive(Debug, Clone)]
pub struct Pricing {
    pub currency: String,
    pub cpu: Spanned<Price>,
    pub memory: Spanned<Price>,
    pub storage: Spanned<Price>,
    pub gpu: Spanned<Price>,
    /// CPU and memory of pods on spot capacity (`spot=#true`).
    pub spot_cpu: Spanned<Price>,
    pub spot_memory: Spanned<Price>,
}

impl Pricing {
    /// `None` only when neither the platform nor the stdlib prices CPU, memory and storage (a broken stdlib).
    pub fn of(specs: &[PricingSpec]) -> Option<Pricing> {
        fn field<T: Clone>(specs: &[PricingSpec], f: impl Fn(&PricingSpec) -> Option<&T>) -> Option<T> {
            // The platform's own value wins over the stdlib's, whatever the order they were read in.
            let mine = specs.iter().filter(|s| !s.from_stdlib).filter_map(&f).last();
            mine.or_else(|| specs.iter().filter(|s| s.from_stdlib).filter_map(&f).last()).cloned()
        }
        Some(Pricing {
            currency: field(specs, |s| s.currency.as_ref()).map_or_else(|| "USD".to_string(), |c| c.value),
            cpu: field(specs, |s| s.cpu.as_ref())?,
            memory: field(specs, |s| s.memory.as_ref())?,
            storage: field(specs, |s| s.storage.as_ref())?,
            gpu: field(specs, |s| s.gpu.as_ref())?,
            spot_cpu: field(specs, |s| s.spot_cpu.as_ref())?,
            spot_memory: field(specs, |s| s.spot_memory.as_ref())?,
        })
    }
}

/// An amount of the currency in pico-units (10^-12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Money(pub u128);

impl Money {
    pub fn plus(self, o: Money) -> Money {
        Money(self.0.saturating_add(o.0))
    }

    /// Six decimals, rounded half up: for hourly rates in explanations (`3.884720`).
    pub fn precise(self) -> String {
        let u = (self.0 + 500_000) / 1_000_000;
        format!("{}.{:06}", u / 1_000_000, u % 1_000_000)
    }

    /// Whole cents, rounded half up.
    pub fn cents(self) -> u128 {
        (self.0 + 5_000_000_000) / 10_000_000_000
    }
}

impl std::fmt::Display for Money {
    /// Fixed two decimals, e.g. `2334.28`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = self.cents();
        write!(f, "{}.{:02}", c / 100, c % 100)
    }
}

/// An hourly rate in pico-units × 2^30 per hour (memory prices per GiB divide exactly only there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rate(pub u128);

impl Rate {
    /// The requests of `pods` at these prices.
    pub fn of(pods: &[PodDemand], pricing: &Pricing) -> Rate {
        let mut r: u128 = 0;
        for p in pods {
            r = r.saturating_add(pod_rate(p, p.count, pricing));
        }
        Rate(r)
    }

    /// The cost of `hours_num / hours_den` hours at this rate, rounded to the nearest pico-unit once.
    pub fn over(self, hours_num: u128, hours_den: u128) -> Money {
        let den = GIB.saturating_mul(hours_den);
        Money(self.0.saturating_mul(hours_num).saturating_add(den / 2) / den)
    }
}

fn pod_rate(p: &PodDemand, count: u64, pricing: &Pricing) -> u128 {
    let n = u128::from(count);
    let (cpu_price, memory_price) =
        if p.spot { (&pricing.spot_cpu, &pricing.spot_memory) } else { (&pricing.cpu, &pricing.memory) };
    // millicores × nano per core-hour = pico per hour; × 2^30 for the common denominator.
    let cpu =
        n.saturating_mul(u128::from(p.cpu_request.0)).saturating_mul(u128::from(cpu_price.value.0)).saturating_mul(GIB);
    // bytes × nano per GiB-hour × 1000 = pico × 2^30 per hour.
    let mem = n
        .saturating_mul(u128::from(p.memory_request.0))
        .saturating_mul(u128::from(memory_price.value.0))
        .saturating_mul(PICO_PER_NANO);
    // GPUs × nano per GPU-hour × 1000 = pico per hour; × 2^30.
    let gpu = n
        .saturating_mul(u128::from(p.gpus))
        .saturating_mul(u128::from(pricing.gpu.value.0))
        .saturating_mul(PICO_PER_NANO)
        .saturating_mul(GIB);
    cpu.saturating_add(mem).saturating_add(gpu)
}

/// The month the figures are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Period {
    /// 730 hours; cron runs averaged over the 12 months of [`REFERENCE_YEAR`].
    #[default]
    AverageMonth,
    /// One calendar month: its own hours (28 × 24 for February 2026) and its exact runs.
    Month { year: i16, month: i8 },
}

impl Period {
    /// `2026-02`.
    pub fn parse(s: &str) -> Result<Period, String> {
        let err = || format!("`{s}` is not a month: write YYYY-MM, e.g. 2026-02");
        let (y, m) = s.split_once('-').ok_or_else(err)?;
        let year: i16 = y.parse().map_err(|_| err())?;
        let month: i8 = m.parse().map_err(|_| err())?;
        jiff::civil::Date::new(year, month, 1).map_err(|_| err())?;
        Ok(Period::Month { year, month })
    }

    /// `(numerator, denominator)` hours.
    pub fn hours(self) -> (u128, u128) {
        match self {
            Period::AverageMonth => (u128::from(HOURS_PER_MONTH), 1),
            Period::Month { year, month } => (days_in(year, month) as u128 * 24, 1),
        }
    }

    pub fn describe(self) -> String {
        match self {
            Period::AverageMonth => format!("an average month ({HOURS_PER_MONTH} h)"),
            Period::Month { year, month } => format!("{year}-{month:02} ({} h)", days_in(year, month) as u64 * 24),
        }
    }

    /// Runs of `cron` in `zone` in this period as `(numerator, denominator)`; `None` when strata cannot
    /// count them (an `@every` schedule, an unknown zone: the check reports the latter).
    pub fn runs(self, cron: &str, zone: &str) -> Option<(u128, u128)> {
        // A platform's scheduled workloads share a handful of schedules, and counting one walks every day
        // of twelve months through the zone's rules (a fifth of `strata diff` on a large platform), so
        // each distinct count is computed once per process.
        type Counts = std::collections::HashMap<(Period, String, String), Option<(u128, u128)>>;
        static COUNTED: std::sync::LazyLock<std::sync::Mutex<Counts>> = std::sync::LazyLock::new(Default::default);
        let key = (self, cron.to_string(), zone.to_string());
        if let Some(known) = COUNTED.lock().ok().and_then(|m| m.get(&key).copied()) {
            return known;
        }
        let counted = self.count_runs(cron, zone);
        if let Ok(mut m) = COUNTED.lock() {
            m.insert(key, counted);
        }
        counted
    }

    fn count_runs(self, cron: &str, zone: &str) -> Option<(u128, u128)> {
        let sched = Cron::parse(cron)?;
        let tz = jiff::tz::TimeZone::get(zone).ok()?;
        match self {
            Period::AverageMonth => {
                let total: u64 = (1..=12).map(|m| sched.runs_in(&tz, REFERENCE_YEAR, m)).sum();
                Some((u128::from(total), 12))
            }
            Period::Month { year, month } => Some((u128::from(sched.runs_in(&tz, year, month)), 1)),
        }
    }
}

fn days_in(year: i16, month: i8) -> i8 {
    jiff::civil::Date::new(year, month, 1).map_or(30, |d| d.days_in_month())
}

/// A five-field cron expression (or a `@` descriptor) as robfig/cron v3 `ParseStandard` reads it, the parser
/// the Spark operator and the CronJob controller use. `check::schedule` has already rejected bad ones.
#[derive(Debug, Clone, Copy)]
struct Cron {
    minute: u64,
    hour: u64,
    dom: u64,
    month: u64,
    dow: u64,
    /// robfig's `starBit`: a day field written `*` or `?` (without a step). When either day field has it, a
    /// day must match both; otherwise either (robfig `dayMatches`).
    dom_star: bool,
    dow_star: bool,
}

impl Cron {
    fn parse(expr: &str) -> Option<Cron> {
        let t = expr.trim();
        let fields: Vec<&str> = match t {
            "@yearly" | "@annually" => vec!["0", "0", "1", "1", "*"],
            "@monthly" => vec!["0", "0", "1", "*", "*"],
            "@weekly" => vec!["0", "0", "*", "*", "0"],
            "@daily" | "@midnight" => vec!["0", "0", "*", "*", "*"],
            "@hourly" => vec!["0", "*", "*", "*", "*"],
            _ if t.starts_with('@') => return None,
            _ => t.split_whitespace().collect(),
        };
        if fields.len() != 5 {
            return None;
        }
        let (minute, _) = field(fields[0], 0, 59, &[])?;
        let (hour, _) = field(fields[1], 0, 23, &[])?;
        let (dom, dom_star) = field(fields[2], 1, 31, &[])?;
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
        let (month, _) = field(fields[3], 1, 12, &months)?;
        let (dow, dow_star) = field(fields[4], 0, 6, &["sun", "mon", "tue", "wed", "thu", "fri", "sat"])?;
        Some(Cron { minute, hour, dom, month, dow, dom_star, dow_star })
    }

    fn day_matches(&self, d: jiff::civil::Date) -> bool {
        let dom = self.dom & (1 << d.day()) != 0;
        let dow = self.dow & (1 << d.weekday().to_sunday_zero_offset()) != 0;
        if self.dom_star || self.dow_star { dom && dow } else { dom || dow }
    }

    /// Runs in one civil month of `tz`. A wall-clock time that does not exist (the hour a spring DST change
    /// skips) has no run; one that exists twice (the hour an autumn change repeats) has one.
    fn runs_in(&self, tz: &jiff::tz::TimeZone, year: i16, month: i8) -> u64 {
        use jiff::tz::AmbiguousOffset;
        if self.month & (1 << month) == 0 {
            return 0;
        }
        let Ok(first) = jiff::civil::Date::new(year, month, 1) else { return 0 };
        let per_day = u64::from(self.minute.count_ones()) * u64::from(self.hour.count_ones());
        let mut runs = 0;
        let mut day = first;
        while day.month() == month {
            if self.day_matches(day) {
                let start = tz.to_ambiguous_timestamp(day.to_datetime(jiff::civil::Time::midnight())).offset();
                let next = day.tomorrow().unwrap_or(day);
                let end = tz.to_ambiguous_timestamp(next.to_datetime(jiff::civil::Time::midnight())).offset();
                match (start, end) {
                    (AmbiguousOffset::Unambiguous { offset: a }, AmbiguousOffset::Unambiguous { offset: b })
                        if a == b =>
                    {
                        runs += per_day;
                    }
                    // The day of a change: look at each run.
                    _ => {
                        for h in (0..24).filter(|h| self.hour & (1 << h) != 0) {
                            for m in (0..60).filter(|m| self.minute & (1 << m) != 0) {
                                let t = jiff::civil::Time::new(h as i8, m as i8, 0, 0).unwrap_or_default();
                                if !matches!(
                                    tz.to_ambiguous_timestamp(day.to_datetime(t)).offset(),
                                    AmbiguousOffset::Gap { .. }
                                ) {
                                    runs += 1;
                                }
                            }
                        }
                    }
                }
            }
            match day.tomorrow() {
                Ok(d) => day = d,
                Err(_) => break,
            }
        }
        runs
    }
}

/// One field's bits, and whether it is robfig's star (`*` or `?` without a step).
fn field(f: &str, min: u32, max: u32, names: &[&str]) -> Option<(u64, bool)> {
    let mut bits = 0u64;
    let mut star = false;
    let value = |s: &str| -> Option<u32> {
        s.parse().ok().or_else(|| {
            let lower = s.to_ascii_lowercase();
            names.iter().position(|n| *n == lower).map(|p| p as u32 + min)
        })
    };
    for part in f.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" || range == "?" {
            if step == 1 {
                star = true;
            }
            (min, max)
        } else {
            match range.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                // robfig: `n/step` runs from n to the field's maximum.
                None if part.contains('/') => (value(range)?, max),
                None => (value(range)?, value(range)?),
            }
        };
        if lo < min || hi > max || lo > hi {
            return None;
        }
        let mut v = lo;
        while v <= hi {
            bits |= 1 << v;
            v += step;
        }
    }
    Some((bits, star))
}

/// A figure that may be unknown, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Figure {
    Known(Money),
    Unknown(String),
}

impl Figure {
    pub fn known(&self) -> Option<Money> {
        match self {
            Figure::Known(m) => Some(*m),
            Figure::Unknown(_) => None,
        }
    }
}

impl std::fmt::Display for Figure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Figure::Known(m) => m.fmt(f),
            Figure::Unknown(_) => f.write_str("unknown"),
        }
    }
}

/// What one workload costs.
#[derive(Debug, Clone)]
pub struct WorkloadCost {
    pub tenant: String,
    pub workload: String,
    pub span: Span,
    /// `always-on`, `autoscaled`, `up-to`, `scheduled` or `ad-hoc`.
    pub pattern: &'static str,
    /// The month at the typical operating point.
    pub expected: Figure,
    /// The month at the peak (every replica at the autoscaler's maximum).
    pub peak: Figure,
    /// One run-hour at peak requests: what a scheduled or ad-hoc run costs per hour it takes.
    pub per_hour: Money,
    /// One run, for scheduled and ad-hoc work with an `expected-runtime`.
    pub per_run: Option<Money>,
    /// The arithmetic, one line per step, for `--explain`.
    pub explain: Vec<String>,
}

/// What one tenant costs: its workloads' sums and its quota as the ceiling.
#[derive(Debug, Clone)]
pub struct TenantCost {
    pub tenant: String,
    /// The sum of the known expected figures; `complete` is false when some workload's is unknown.
    pub expected: Money,
    pub peak: Money,
    pub complete: bool,
    /// False when some workload's peak is unknown (scheduled work without an `expected-runtime`): `peak` is
    /// then the known part only, never a total.
    pub peak_complete: bool,
    /// The quota's requests (and storage) at these prices for the whole month: spend can reach this at most.
    pub ceiling: Option<Money>,
    pub ceiling_explain: Option<String>,
    /// The tenant's `budget monthly=...`, when it has a valid one, and where its amount is written.
    pub budget: Option<Money>,
    pub budget_span: Option<Span>,
    /// How many of its workloads have a known expected figure, and how many an unknown one.
    pub known: usize,
    pub unknown: usize,
}

/// Where a tenant's expected spend stands against its budget. Compared in whole cents, the figures `strata
/// cost` prints, with quota fit's near threshold ([`crate::model::quota::NEAR_QUOTA_PERCENT`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// At most 90% of the budget (or nothing to spend).
    Within,
    /// Above 90% and at most the budget.
    Near,
    /// Above the budget, by the known figures alone when some are unknown.
    Over,
    /// Every workload's monthly figure is unknown: nothing to compare.
    Unknown,
}

impl TenantCost {
    /// `None` without a budget.
    pub fn standing(&self) -> Option<Standing> {
        let budget = self.budget?;
        let (spend, hard) = (cents_u64(self.expected), cents_u64(budget));
        Some(if spend > hard {
            Standing::Over
        } else if self.known == 0 && self.unknown > 0 {
            Standing::Unknown
        } else if near_quota(spend, hard) {
            Standing::Near
        } else {
            Standing::Within
        })
    }

    /// The expected spend as a whole percentage of the budget, rounded down as quota fit does.
    pub fn budget_percent(&self) -> Option<u64> {
        self.budget.map(|b| percent(cents_u64(self.expected), cents_u64(b)))
    }
}

fn cents_u64(m: Money) -> u64 {
    u64::try_from(m.cents()).unwrap_or(u64::MAX)
}

/// The whole platform's costs.
#[derive(Debug, Clone)]
pub struct CostReport {
    pub currency: String,
    pub period: Period,
    pub pricing: Pricing,
    pub workloads: Vec<WorkloadCost>,
    pub tenants: Vec<TenantCost>,
}

fn pods_line(pods: &[PodDemand]) -> String {
    pods.iter()
        .map(|p| match p.gpus {
            0 => format!("{} × {} ({} cpu, {})", p.count, p.role, p.cpu_request, p.memory_request),
            g => format!("{} × {} ({} cpu, {}, {g} GPU)", p.count, p.role, p.cpu_request, p.memory_request),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

fn hours_fmt((n, d): (u128, u128)) -> String {
    if d == 1 { format!("{n} h") } else { format!("{n}/{d} h") }
}

fn runs_fmt((n, d): (u128, u128)) -> String {
    if d == 1 { format!("{n}") } else { format!("{n}/{d}") }
}

/// The cost of one workload's demand in `period`.
pub fn workload_cost(d: &Demand, pricing: &Pricing, period: Period) -> WorkloadCost {
    let rate = Rate::of(&d.pods, pricing);
    let per_hour = rate.over(1, 1);
    let ph = per_hour.precise();
    let hours = period.hours();
    let month = rate.over(hours.0, hours.1);
    let gpu_price =
        if d.pods.iter().any(|p| p.gpus > 0) { format!(", GPU {}/h", pricing.gpu.value) } else { String::new() };
    let spot = if d.pods.iter().any(|p| p.spot) {
        format!("; on spot: cpu {}/core-h, memory {}/GiB-h", pricing.spot_cpu.value, pricing.spot_memory.value)
    } else {
        String::new()
    };
    let mut explain = vec![format!(
        "requests {} = {} {}/h (cpu {}/core-h, memory {}/GiB-h{gpu_price}{spot})",
        pods_line(&d.pods),
        ph,
        pricing.currency,
        pricing.cpu.value,
        pricing.memory.value
    )];
    let (pattern, expected, peak, per_run) = match &d.run {
        Run::AlwaysOn => {
            explain.push(format!("always on: {ph}/h × {} = {month}", hours_fmt(hours)));
            ("always-on", Figure::Known(month), Figure::Known(month), None)
        }
        Run::UpTo => {
            explain.push(format!("at most: {ph}/h × {} = {month}; no typical figure", hours_fmt(hours)));
            (
                "up-to",
                Figure::Unknown("only the upper bound (max-parallel-tasks) is known".into()),
                Figure::Known(month),
                None,
            )
        }
        Run::Scaled { expected, .. } => {
            let mut pods = d.pods.clone();
            if let Some(last) = pods.last_mut() {
                last.count = *expected;
            }
            let low = Rate::of(&pods, pricing);
            let e = low.over(hours.0, hours.1);
            explain.push(format!(
                "expected at the autoscaler's minimum: {} = {}/h × {} = {e}",
                pods_line(&pods),
                low.over(1, 1).precise(),
                hours_fmt(hours)
            ));
            explain.push(format!("peak at its maximum: {ph}/h × {} = {month}", hours_fmt(hours)));
            ("autoscaled", Figure::Known(e), Figure::Known(month), None)
        }
        Run::Scheduled { cron, time_zone, runtime } => {
            let runs = period.runs(&cron.value, time_zone);
            match (runs, runtime) {
                (Some(runs), Some(rt)) => {
                    let per_run = rate.over(u128::from(rt.value.0), 3_600_000);
                    // runs × runtime (ms) / 3.6e6 hours, exact until the one rounding.
                    let m = rate.over(runs.0.saturating_mul(u128::from(rt.value.0)), runs.1.saturating_mul(3_600_000));
                    explain.push(format!(
                        "`{}` in {time_zone}: {} runs in {} × {} × {ph}/h = {m} ({per_run} a run)",
                        cron.value,
                        runs_fmt(runs),
                        period.describe(),
                        rt.value
                    ));
                    ("scheduled", Figure::Known(m), Figure::Known(m), Some(per_run))
                }
                (runs, None) => {
                    let why = match runs {
                        Some(r) => format!(
                            "{} runs in {}, but no `expected-runtime`: {ph} per run-hour",
                            runs_fmt(r),
                            period.describe()
                        ),
                        None => format!("the runs of `{}` cannot be counted: {ph} per run-hour", cron.value),
                    };
                    explain.push(why.clone());
                    ("scheduled", Figure::Unknown(why.clone()), Figure::Unknown(why), None)
                }
                (None, Some(rt)) => {
                    let per_run = rate.over(u128::from(rt.value.0), 3_600_000);
                    let why = format!("the runs of `{}` cannot be counted: {per_run} a run", cron.value);
                    explain.push(why.clone());
                    ("scheduled", Figure::Unknown(why.clone()), Figure::Unknown(why), Some(per_run))
                }
            }
        }
        Run::Once { runtime } => {
            let per_run = runtime.as_ref().map(|rt| rate.over(u128::from(rt.value.0), 3_600_000));
            let why = match (runtime, per_run) {
                (Some(rt), Some(r)) => format!("ad hoc: {ph}/h × {} = {r} a run", rt.value),
                _ => format!("ad hoc: {ph} per run-hour (no `expected-runtime`)"),
            };
            explain.push(why.clone());
            ("ad-hoc", Figure::Unknown(why.clone()), Figure::Unknown(why), per_run)
        }
    };
    WorkloadCost {
        tenant: d.tenant.clone(),
        workload: d.workload.clone(),
        span: d.span,
        pattern,
        expected,
        peak,
        per_hour,
        per_run,
        explain,
    }
}

/// The quota's requests and storage at these prices for the period, with the arithmetic.
pub fn ceiling(q: &QuotaSpec, pricing: &Pricing, period: Period) -> Option<(Money, String)> {
    let cpu = q.cpu.as_ref()?;
    let mem = q.memory.as_ref()?;
    let pod = PodDemand {
        role: "quota".into(),
        count: 1,
        cpu_request: cpu.value,
        cpu_limit: cpu.value,
        memory_request: mem.value,
        memory_limit: mem.value,
        gpus: 0,
        spot: false,
    };
    let hours = period.hours();
    let compute = Rate::of(std::slice::from_ref(&pod), pricing).over(hours.0, hours.1);
    let storage = q.storage.as_ref().map(|s| storage_month(s.value, pricing)).unwrap_or_default();
    let mut line = format!("quota cpu={} memory={} × {} = {compute}", cpu.value, mem.value, hours_fmt(hours));
    if let Some(s) = &q.storage {
        line.push_str(&format!(" + storage {} × {}/GiB-month = {storage}", s.value, pricing.storage.value));
    }
    Some((compute.plus(storage), line))
}

/// Storage for a month: bytes × price per GiB-month (storage is billed by capacity, whatever the month's length).
pub fn storage_month(b: Bytes, pricing: &Pricing) -> Money {
    let num = u128::from(b.0).saturating_mul(u128::from(pricing.storage.value.0)).saturating_mul(PICO_PER_NANO);
    Money(num.saturating_add(GIB / 2) / GIB)
}

impl Money {
    /// A price (nano-units) as an amount (pico-units).
    pub fn of_price(p: Price) -> Money {
        Money(u128::from(p.0) * PICO_PER_NANO)
    }

    /// `self − o`, and whether it went down: for deltas between two revisions.
    pub fn delta(self, o: Money) -> (bool, Money) {
        if self >= o { (false, Money(self.0 - o.0)) } else { (true, Money(o.0 - self.0)) }
    }
}

/// Every workload's and tenant's cost, most expensive first (by peak, then expected, then name).
pub fn report(p: &Platform, period: Period) -> Option<CostReport> {
    report_of(p, &p.demands(), period)
}

/// [`report`] over demands already computed (the check shares `Platform::demands()` between its rules).
pub fn report_of(p: &Platform, demands: &[Demand], period: Period) -> Option<CostReport> {
    let pricing = Pricing::of(&p.pricing)?;
    let mut workloads: Vec<WorkloadCost> = demands.iter().map(|d| workload_cost(d, &pricing, period)).collect();
    workloads.extend(kafka::storage(p, &pricing));
    let key = |w: &WorkloadCost| (w.peak.known(), w.expected.known(), w.per_run, w.per_hour);
    workloads.sort_by(|a, b| key(b).cmp(&key(a)).then_with(|| (&a.tenant, &a.workload).cmp(&(&b.tenant, &b.workload))));
    let mut by_tenant: BTreeMap<&str, TenantCost> = BTreeMap::new();
    for t in &p.tenants {
        let c = p.effective_quota(t).and_then(|q| ceiling(&q, &pricing, period));
        by_tenant.insert(
            t.name.value.as_str(),
            TenantCost {
                tenant: t.name.value.clone(),
                expected: Money::default(),
                peak: Money::default(),
                complete: true,
                peak_complete: true,
                ceiling: c.as_ref().map(|c| c.0),
                ceiling_explain: c.map(|c| c.1),
                budget: t.budget.as_ref().and_then(|b| b.monthly.as_ref()).map(|m| Money::of_price(m.value)),
                budget_span: t.budget.as_ref().and_then(|b| b.monthly.as_ref()).map(|m| m.span),
                known: 0,
                unknown: 0,
            },
        );
    }
    for w in &workloads {
        let Some(t) = by_tenant.get_mut(w.tenant.as_str()) else { continue };
        if w.expected.known().is_some() {
            t.known += 1;
        } else {
            t.unknown += 1;
        }
        match (&w.expected, &w.peak) {
            (Figure::Known(e), Figure::Known(pk)) => {
                t.expected = t.expected.plus(*e);
                t.peak = t.peak.plus(*pk);
            }
            (Figure::Unknown(_), Figure::Known(pk)) => {
                t.peak = t.peak.plus(*pk);
                t.complete = false;
            }
            _ => {
                t.complete = false;
                t.peak_complete = false;
            }
        }
    }
    let mut tenants: Vec<TenantCost> = by_tenant.into_values().collect();
    tenants.sort_by(|a, b| (b.peak, b.expected).cmp(&(a.peak, a.expected)).then_with(|| a.tenant.cmp(&b.tenant)));
    Some(CostReport { currency: pricing.currency.clone(), period, pricing, workloads, tenants })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::quota::test_support::{demand, pod};
    use crate::source::FileId;
    use crate::units::{Cpu, Duration};

    fn at<T>(v: T) -> Spanned<T> {
        Spanned::new(v, Span::new(FileId(0), 0, 1))
    }

    /// OpenCost's defaults, as stdlib/pricing.kdl writes them.
    fn opencost() -> Pricing {
        Pricing {
            currency: "USD".into(),
            cpu: at(Price::parse("0.031611").unwrap()),
            memory: at(Price::parse("0.004237").unwrap()),
            storage: at(Price::parse("0.04").unwrap()),
            gpu: at(Price::parse("0.95").unwrap()),
            spot_cpu: at(Price::parse("0.006655").unwrap()),
            spot_memory: at(Price::parse("0.000892").unwrap()),
        }
    }

    fn spark(executors: u64) -> Demand {
        // The seed's job: driver 1 core / 4 GiB, executors 4 cores / 16 GiB.
        demand("nightly", None, vec![pod("driver", 1, 1000, 4), pod("executors", executors, 4000, 16)])
    }

    #[test]
    fn prices_parse_exactly() {
        assert_eq!(Price::parse("0.031611"), Ok(Price(31_611_000)));
        assert_eq!(Price::parse("0.95"), Ok(Price(950_000_000)));
        assert_eq!(Price::parse("2"), Ok(Price(2_000_000_000)));
        assert!(Price::parse("1e-3").is_err());
        assert!(Price::parse("0.0000000001").is_err());
        assert_eq!(Price(31_611_000).to_string(), "0.031611");
    }

    #[test]
    fn always_on_is_requests_times_730_hours() {
        // Flink: 1 JM (1 core, 4 GiB) + 2 TMs (2 cores, 8 GiB): 5 cores, 20 GiB.
        // Per hour: 5 × 0.031611 + 20 × 0.004237 = 0.158055 + 0.08474 = 0.242795.
        // Month: 0.242795 × 730 = 177.24035 → 177.24.
        let d = demand("flink", None, vec![pod("jobmanager", 1, 1000, 4), pod("taskmanager", 2, 2000, 8)]);
        let w = workload_cost(&d, &opencost(), Period::AverageMonth);
        assert_eq!(w.per_hour, Money(242_795_000_000));
        assert_eq!(w.expected, Figure::Known(Money(177_240_350_000_000)));
        assert_eq!(w.expected.to_string(), "177.24");
    }

    #[test]
    fn autoscaled_apps_expect_the_minimum_and_peak_at_the_maximum() {
        // 1 replica of 0.5 core / 1 GiB: 0.0158055 + 0.004237 = 0.0200425/h.
        let mut d = demand("app", None, vec![pod("replicas", 10, 500, 1)]);
        d.run = Run::Scaled { expected: 2, span: d.span };
        let w = workload_cost(&d, &opencost(), Period::AverageMonth);
        // 2 × 0.0200425 × 730 = 29.26205; 10 × ... = 146.31025.
        assert_eq!(w.expected.to_string(), "29.26");
        assert_eq!(w.peak.to_string(), "146.31");
        assert_eq!(w.pattern, "autoscaled");
    }

    #[test]
    fn airflow_task_pods_have_only_an_upper_bound() {
        // 16 task pods of 1 core / 2 GiB: 16 × (0.031611 + 0.008474) = 0.64136/h × 730 = 468.1928.
        let mut d = demand("airflow", None, vec![pod("task pods", 16, 1000, 2)]);
        d.run = Run::UpTo;
        let w = workload_cost(&d, &opencost(), Period::AverageMonth);
        assert_eq!(w.peak.to_string(), "468.19");
        assert!(w.expected.known().is_none());
    }

    #[test]
    fn spot_pods_cost_the_spot_prices() {
        // 4 pods of 1 core / 2 GiB on spot: 4 × (0.006655 + 2 × 0.000892) = 0.033756/h; a 2 h run 0.067512.
        let mut d = demand("job", None, vec![pod("pods", 4, 1000, 2).with_spot(true)]);
        d.run = Run::Once { runtime: Some(at(Duration(2 * 3_600_000))) };
        let w = workload_cost(&d, &opencost(), Period::AverageMonth);
        assert_eq!(w.per_hour, Money(33_756_000_000));
        assert_eq!(w.per_run.map(Money::precise).as_deref(), Some("0.067512"));
        assert!(w.explain[0].contains("on spot") && w.explain[0].contains("spot: cpu 0.006655"), "{:?}", w.explain);
    }

    #[test]
    fn gpus_are_priced_by_the_hour() {
        // 4 task pods of 1 core / 2 GiB and 1 GPU: 4 × (0.031611 + 0.008474 + 0.95) = 3.96034/h × 730 = 2891.0482.
        let mut d = demand("airflow", None, vec![PodDemand { gpus: 1, ..pod("task pods", 4, 1000, 2) }]);
        d.run = Run::UpTo;
        let w = workload_cost(&d, &opencost(), Period::AverageMonth);
        assert_eq!(w.per_hour, Money(3_960_340_000_000));
        assert_eq!(w.peak.to_string(), "2891.05");
        assert!(w.explain[0].contains("1 GPU") && w.explain[0].contains("GPU 0.95/h"), "{:?}", w.explain);
    }

    #[test]
    fn an_airflow_gpu_template_makes_its_task_pods_gpu_pods() {
        let c = crate::test_support::compile(
            r#"
tenant "t"
airflow "af" tenant="t" {
    executor "kubernetes" image="apache/airflow:3.1.3" max-parallel-tasks=2 {
        worker-template "default" size="s"
        worker-template "cuda" size="s" gpu=2
    }
    metadata-db secret="db"
}
"#,
        );
        assert!(!c.diagnostics.has_errors(), "{:?}", c.diagnostics);
        let d = c.platform.demands();
        assert_eq!(d[0].pods[0].gpus, 2, "the largest template in every dimension, GPUs too");
    }

    #[test]
    fn the_seeds_spark_job_20_and_200_executors() {
        // operations.md: 20 executors ≈ $3.93/h, $7.87 a 2-hour run; 200 ≈ $38.90/h, $77.79 a run.
        // 20: 81 cores × 0.031611 + 324 GiB × 0.004237 = 2.560491 + 1.372788 = 3.933279/h.
        let mut d = spark(20);
        let rt = at(Duration(2 * 3_600_000));
        d.run = Run::Scheduled { cron: at("0 2 * * *".into()), time_zone: "UTC".into(), runtime: Some(rt.clone()) };
        let w = workload_cost(&d, &opencost(), Period::Month { year: 2026, month: 4 });
        assert_eq!(w.per_hour, Money(3_933_279_000_000));
        assert_eq!(w.per_run.unwrap().to_string(), "7.87");
        // April: 30 runs × 2 h × 3.933279 = 235.99674.
        assert_eq!(w.expected.to_string(), "236.00");
        let mut d = spark(200);
        d.run = Run::Scheduled { cron: at("0 2 * * *".into()), time_zone: "UTC".into(), runtime: Some(rt) };
        let w = workload_cost(&d, &opencost(), Period::Month { year: 2026, month: 4 });
        // 801 cores × 0.031611 + 3204 GiB × 0.004237 = 25.320411 + 13.575348 = 38.895759/h; × 2 = 77.791518.
        assert_eq!(w.per_run.unwrap().to_string(), "77.79");
        // × 30 = 2333.74554.
        assert_eq!(w.expected.to_string(), "2333.75");
    }

    #[test]
    fn a_28_day_month() {
        // February 2026: 28 days, 672 h; daily runs: 28.
        let p = Period::Month { year: 2026, month: 2 };
        assert_eq!(p.hours(), (672, 1));
        assert_eq!(p.runs("30 1 * * *", "UTC"), Some((28, 1)));
        // Weekdays at 06:00: February 2026 starts on a Sunday: 4 full weeks, 20 weekdays.
        assert_eq!(p.runs("0 6 * * 1-5", "UTC"), Some((20, 1)));
        // Always on for February: 1 core × 0.031611 × 672 = 21.242592.
        let d = demand("x", None, vec![PodDemand { memory_request: Bytes(0), ..pod("pod", 1, 1000, 0) }]);
        assert_eq!(workload_cost(&d, &opencost(), p).expected.to_string(), "21.24");
    }

    #[test]
    fn a_cron_in_a_time_zone_across_dst() {
        // Europe/Berlin skips 02:00-03:00 on 29 March 2026: a 02:30 daily run happens 30 times in March, a
        // 03:30 one 31 times; in October (02:00-03:00 repeats on the 25th) a 02:30 run still happens once a day.
        let march = Period::Month { year: 2026, month: 3 };
        assert_eq!(march.runs("30 2 * * *", "Europe/Berlin"), Some((30, 1)));
        assert_eq!(march.runs("30 3 * * *", "Europe/Berlin"), Some((31, 1)));
        assert_eq!(march.runs("30 2 * * *", "UTC"), Some((31, 1)));
        let october = Period::Month { year: 2026, month: 10 };
        assert_eq!(october.runs("30 2 * * *", "Europe/Berlin"), Some((31, 1)));
        // Hourly in Berlin in March: 31 × 24 − 1 skipped hour.
        assert_eq!(march.runs("0 * * * *", "Europe/Berlin"), Some((743, 1)));
    }

    #[test]
    fn cron_fields_follow_robfig() {
        let p = Period::Month { year: 2026, month: 2 };
        // Both day fields restricted: either matches (the 1st and 15th, or any Monday: 2, 9, 16, 23).
        assert_eq!(p.runs("0 0 1,15 * 1", "UTC"), Some((6, 1)));
        // `*/2` in day of month is not robfig's star: OR with Mondays (odd days 14 + Mondays on even days 2).
        assert_eq!(p.runs("0 0 */2 * 1", "UTC"), Some((16, 1)));
        assert_eq!(p.runs("*/15 * * * *", "UTC"), Some((28 * 24 * 4, 1)));
        assert_eq!(p.runs("@monthly", "UTC"), Some((1, 1)));
        assert_eq!(p.runs("0 0 * jan *", "UTC"), Some((0, 1)));
        assert_eq!(p.runs("@every 1h", "UTC"), None);
        // The average month: 365 daily runs over 12.
        assert_eq!(Period::AverageMonth.runs("@daily", "UTC"), Some((365, 12)));
    }

    #[test]
    fn scheduled_without_runtime_and_ad_hoc_are_unknown_per_month() {
        let mut d = spark(20);
        d.run = Run::Scheduled { cron: at("@daily".into()), time_zone: "UTC".into(), runtime: None };
        let w = workload_cost(&d, &opencost(), Period::AverageMonth);
        assert!(w.expected.known().is_none() && w.peak.known().is_none());
        assert_eq!(w.per_hour.to_string(), "3.93");
        d.run = Run::Once { runtime: Some(at(Duration(30 * 60_000))) };
        let w = workload_cost(&d, &opencost(), Period::AverageMonth);
        // Half an hour: 1.9666395 → 1.97.
        assert_eq!(w.per_run.unwrap().to_string(), "1.97");
        assert!(w.expected.known().is_none());
    }

    #[test]
    fn the_quota_is_the_ceiling() {
        // tier medium: 32 cores, 128 GiB, 1 Ti storage.
        // 32 × 0.031611 + 128 × 0.004237 = 1.011552 + 0.542336 = 1.553888/h × 730 = 1134.33824;
        // storage 1024 GiB × 0.04 = 40.96. Total 1175.29824.
        let q = QuotaSpec {
            cpu: Some(at(Cpu(32_000))),
            memory: Some(at(Bytes(128 << 30))),
            storage: Some(at(Bytes(1 << 40))),
            ..Default::default()
        };
        let (m, _) = ceiling(&q, &opencost(), Period::AverageMonth).unwrap();
        assert_eq!(m.to_string(), "1175.30");
    }
}
