//! `strata cost`: what each tenant and workload costs a month at the platform's prices, from the pod
//! requests quota fit counts. Offline and before anything is applied; the model is `model::cost`.

use crate::cli::SpecArg;
use crate::cli::{CliError, after_help, out, report_diagnostics};
use crate::diagnostic::DiagnosticFormat;
use crate::exit::Code;
use crate::model::cost::kafka::STORAGE;
use crate::model::cost::{CostReport, Figure, Period, report};
use crate::source::SourceMap;

const EXAMPLES: &str = "\
Examples:
  strata cost                           # ./platform.kdl, an average month (730 h)
  strata cost --month 2026-02           # February 2026: 672 h, that month's exact cron runs
  strata cost --format markdown         # for a pull request or a wiki page
  strata cost --format csv > cost.csv
  strata cost --explain                 # each figure's arithmetic, with the spec lines";

pub(crate) const EXITS: &[(Code, &str)] =
    &[(Code::Ok, "the figures were printed"), (Code::Invalid, "spec errors, an unreadable spec, bad flags")];

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Markdown,
    Csv,
}

/// Print what each tenant and workload costs a month (requests × prices; a lower bound of the bill).
#[derive(Debug, clap::Args)]
#[command(after_help = after_help(EXAMPLES, EXITS))]
pub struct Args {
    #[command(flatten)]
    pub spec: SpecArg,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// A calendar month (YYYY-MM): its hours and its exact cron runs; default an average month of 730 h.
    #[arg(long, value_name = "YYYY-MM", value_parser = Period::parse)]
    pub month: Option<Period>,
    /// Show each figure's arithmetic and where its numbers are written.
    #[arg(long)]
    pub explain: bool,
}

pub fn run(a: Args) -> Result<Code, CliError> {
    let mut c = a.spec.compile();
    c.diagnostics.retain_notes(false);
    // A tenant over its budget is an error of `check`, not a reason to hide the figures that explain it.
    if !c.valid() {
        report_diagnostics(&c.sources, &c.diagnostics, DiagnosticFormat::Human)?;
        crate::cli::leak(c);
        return Ok(Code::Invalid);
    }
    let Some(r) = report(&c.platform, a.month.unwrap_or_default()) else {
        out::stderr_line("strata: no prices: neither the platform nor the stdlib has a complete `pricing`");
        crate::cli::leak(c);
        return Ok(Code::Invalid);
    };
    let text = match a.format {
        Format::Table => table(&r, &c.sources, a.explain),
        Format::Markdown => markdown(&r),
        Format::Csv => csv(&r),
        Format::Json => json(&r, &c.sources),
    };
    out::stdout(&text)?;
    crate::cli::leak(c);
    Ok(Code::Ok)
}

fn opt(m: Option<crate::model::cost::Money>) -> String {
    m.map_or_else(|| "-".to_string(), |m| m.to_string())
}

/// Storage is billed by the month, not by the hour a run takes: it has no hourly figure.
fn per_hour(w: &crate::model::cost::WorkloadCost) -> String {
    if w.pattern == STORAGE { "-".to_string() } else { w.per_hour.to_string() }
}

fn tenant_expected(t: &crate::model::cost::TenantCost) -> String {
    if t.complete { t.expected.to_string() } else { format!("{} + unknown", t.expected) }
}

fn tenant_peak(t: &crate::model::cost::TenantCost) -> String {
    if t.peak_complete { t.peak.to_string() } else { format!("{} + unknown", t.peak) }
}

const LOWER_BOUND: &str = "Requests, not usage: OpenCost bills CPU and memory at max(request, usage), so these \
    figures are a lower bound of an allocation-based bill.";

fn header(r: &CostReport) -> String {
    format!(
        "Cost for {} in {} (cpu {}/core-h, memory {}/GiB-h, storage {}/GiB-month).",
        r.period.describe(),
        r.currency,
        r.pricing.cpu.value,
        r.pricing.memory.value,
        r.pricing.storage.value
    )
}

fn columns(rows: &[Vec<String>]) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> =
        (0..n).map(|i| rows.iter().filter_map(|r| r.get(i)).map(|c| c.chars().count()).max().unwrap_or(0)).collect();
    let mut s = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let pad = widths[i] - c.chars().count();
                // Names left, figures right.
                if i < 2 { format!("{c}{}", " ".repeat(pad)) } else { format!("{}{c}", " ".repeat(pad)) }
            })
            .collect();
        s.push_str(line.join("  ").trim_end());
        s.push('\n');
    }
    s
}

fn tenant_rows(r: &CostReport) -> Vec<Vec<String>> {
    let mut rows = vec![vec!["TENANT".into(), "".into(), "EXPECTED".into(), "PEAK".into(), "CEILING".into()]];
    for t in &r.tenants {
        rows.push(vec![t.tenant.clone(), "".into(), tenant_expected(t), tenant_peak(t), opt(t.ceiling)]);
    }
    rows
}

fn workload_rows(r: &CostReport) -> Vec<Vec<String>> {
    let mut rows = vec![vec![
        "TENANT".into(),
        "WORKLOAD".into(),
        "EXPECTED".into(),
        "PEAK".into(),
        "PER RUN".into(),
        "PER HOUR".into(),
    ]];
    for w in &r.workloads {
        rows.push(vec![
            w.tenant.clone(),
            w.workload.clone(),
            w.expected.to_string(),
            w.peak.to_string(),
            opt(w.per_run),
            per_hour(w),
        ]);
    }
    rows
}

fn table(r: &CostReport, sources: &SourceMap, explain: bool) -> String {
    let mut s = format!("{}\n\n", header(r));
    s.push_str(&columns(&tenant_rows(r)));
    s.push('\n');
    s.push_str(&columns(&workload_rows(r)));
    s.push_str(&format!("\n{LOWER_BOUND}\n"));
    if explain {
        s.push_str("\nHow each figure is computed:\n");
        for w in &r.workloads {
            s.push_str(&format!("\n{} ({}, {}):\n", w.workload, w.tenant, sources.origin(w.span)));
            for line in &w.explain {
                s.push_str(&format!("  {line}\n"));
            }
        }
        for t in &r.tenants {
            if let Some(e) = &t.ceiling_explain {
                s.push_str(&format!("\ntenant `{}` ceiling:\n  {e}\n", t.tenant));
            }
        }
    }
    s
}

fn md_row(cells: &[String]) -> String {
    format!("| {} |\n", cells.iter().map(|c| c.replace('|', "\\|")).collect::<Vec<_>>().join(" | "))
}

fn markdown(r: &CostReport) -> String {
    let mut s = format!("### Cost\n\n{}\n\n", header(r));
    s.push_str("| tenant | expected | peak | ceiling |\n|---|---:|---:|---:|\n");
    for t in &r.tenants {
        s.push_str(&md_row(&[t.tenant.clone(), tenant_expected(t), tenant_peak(t), opt(t.ceiling)]));
    }
    s.push_str("\n| tenant | workload | expected | peak | per run | per hour |\n|---|---|---:|---:|---:|---:|\n");
    for w in &r.workloads {
        s.push_str(&md_row(&[
            w.tenant.clone(),
            w.workload.replace('`', ""),
            w.expected.to_string(),
            w.peak.to_string(),
            opt(w.per_run),
            per_hour(w),
        ]));
    }
    s.push_str(&format!("\n{LOWER_BOUND}\n"));
    s
}

fn csv_cell(c: &str) -> String {
    if c.contains([',', '"', '\n']) { format!("\"{}\"", c.replace('"', "\"\"")) } else { c.to_string() }
}

fn csv(r: &CostReport) -> String {
    let mut s = String::from("level,tenant,workload,pattern,expected,peak,ceiling,per_run,per_hour,currency\n");
    let fig = |f: &Figure| f.known().map_or_else(String::new, |m| m.to_string());
    for t in &r.tenants {
        let e = if t.complete { t.expected.to_string() } else { String::new() };
        let c = t.ceiling.map_or_else(String::new, |m| m.to_string());
        let pk = if t.peak_complete { t.peak.to_string() } else { String::new() };
        s.push_str(&format!("tenant,{},,,{e},{pk},{c},,,{}\n", csv_cell(&t.tenant), r.currency));
    }
    for w in &r.workloads {
        s.push_str(&format!(
            "workload,{},{},{},{},{},,{},{},{}\n",
            csv_cell(&w.tenant),
            csv_cell(&w.workload),
            w.pattern,
            fig(&w.expected),
            fig(&w.peak),
            w.per_run.map_or_else(String::new, |m| m.to_string()),
            if w.pattern == STORAGE { String::new() } else { w.per_hour.to_string() },
            r.currency
        ));
    }
    s
}

fn json(r: &CostReport, sources: &SourceMap) -> String {
    use serde_json::{Value, json};
    let fig = |f: &Figure| match f {
        Figure::Known(m) => Value::String(m.to_string()),
        Figure::Unknown(_) => Value::Null,
    };
    let why = |f: &Figure| match f {
        Figure::Known(_) => Value::Null,
        Figure::Unknown(w) => Value::String(w.clone()),
    };
    let money = |m: Option<crate::model::cost::Money>| m.map_or(Value::Null, |m| Value::String(m.to_string()));
    let v = json!({
        "currency": r.currency,
        "period": r.period.describe(),
        "tenants": r.tenants.iter().map(|t| json!({
            "tenant": t.tenant,
            "expected": t.expected.to_string(),
            "expected_complete": t.complete,
            "peak": t.peak.to_string(),
            "peak_complete": t.peak_complete,
            "ceiling": money(t.ceiling),
        })).collect::<Vec<_>>(),
        "workloads": r.workloads.iter().map(|w| json!({
            "tenant": w.tenant,
            "workload": w.workload,
            "source": sources.origin(w.span),
            "pattern": w.pattern,
            "expected": fig(&w.expected),
            "peak": fig(&w.peak),
            "unknown_because": why(&w.expected),
            "per_run": money(w.per_run),
            "per_hour": if w.pattern == STORAGE { Value::Null } else { Value::String(w.per_hour.to_string()) },
            "explain": w.explain,
        })).collect::<Vec<_>>(),
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}
