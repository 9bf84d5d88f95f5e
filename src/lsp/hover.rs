//! Hover: what a name in the spec amounts to, with the compiler's own figures. A preset shows what it
//! gives, a workload the pods it runs, a tenant its quota fit and every cost figure `strata cost` would
//! print for it. Each figure is read from the check's findings or the model's arithmetic
//! ([`crate::model::cost`], [`crate::model::demand`]); nothing here restates a rule.

use std::fmt::Write as _;

use crate::Compilation;
use crate::lsp::navigate::{Index, Kind, Symbol};
use crate::model::Platform;
use crate::model::cost::{self, CostReport, Period};
use crate::model::demand::Demand;
use crate::source::FileId;

/// Markdown for what is at byte `offset` of `file`, `None` when nothing there has more to say.
pub fn hover(c: &Compilation, index: &Index, file: FileId, offset: u32) -> Option<String> {
    let p = &c.platform;
    if let Some(symbol) = index.at(file, offset) {
        let text = match symbol.kind {
            Kind::Tenant => tenant(c, symbol),
            Kind::TopicPreset => topic_preset(p, &symbol.name),
            Kind::Size => size(p, &symbol.name),
            Kind::Tier => tier(p, &symbol.name),
            Kind::KafkaCluster => kafka_cluster(p, &symbol.name),
            Kind::Topic | Kind::KafkaUser => None,
        };
        // A workload's name is also a declaration of nothing else: fall through to its pods.
        if text.is_some() {
            return text;
        }
    }
    let demands = p.demands();
    let d = demands.iter().find(|d| d.span.file == file && d.span.start <= offset && offset <= d.span.end)?;
    Some(workload(p, d))
}

fn report(p: &Platform) -> Option<CostReport> {
    cost::report(p, Period::default())
}

fn tenant(c: &Compilation, symbol: &Symbol) -> Option<String> {
    let p = &c.platform;
    let t = p.tenant(&symbol.name)?;
    let mut s = format!("**tenant `{}`**, namespace `{}`", t.name.value, t.namespace.value);
    if let Some(tier) = &t.tier {
        let _ = write!(s, ", tier `{}`", tier.value);
    }
    s.push_str("\n\n");
    // The quota-fit check's own summary of this tenant: the same sums `strata check --explain` shows.
    let peak = c
        .diagnostics
        .iter()
        .find(|d| d.code == "strata::quota::peak" && d.primary.as_ref().is_some_and(|l| l.span == t.name.span));
    match peak {
        Some(d) => {
            let _ = writeln!(s, "{}:\n\n```text\n{}\n```", d.message, d.notes.join("\n"));
        }
        None if p.effective_quota(t).is_none() => s.push_str("No quota: nothing to fit.\n"),
        None => s.push_str("No workloads count against the quota.\n"),
    }
    if let Some(r) = report(p)
        && let Some(tc) = r.tenants.iter().find(|x| x.tenant == t.name.value)
    {
        let _ = write!(s, "\nMonthly cost ({}, {}): expected {}", r.currency, r.period.describe(), tc.expected);
        if !tc.complete {
            s.push_str(" (some workloads unknown)");
        }
        let _ = write!(s, ", peak {}", tc.peak);
        if let Some(ceiling) = tc.ceiling {
            let _ = write!(s, ", quota ceiling {ceiling}");
        }
        if let Some(budget) = tc.budget {
            let pct = tc.budget_percent().map_or(String::new(), |p| format!(" ({p}% used)"));
            let _ = write!(s, ", budget {budget}{pct}");
        }
        s.push('\n');
    }
    Some(s)
}

fn topic_preset(p: &Platform, name: &str) -> Option<String> {
    let pr = p.kafka.preset(name)?;
    let origin = if pr.from_stdlib { " (stdlib)" } else { "" };
    let mut s = format!("**topic-preset `{}`**{origin}", pr.name.value);
    if let Some(d) = &pr.description {
        let _ = write!(s, ": {}", d.value);
    }
    s.push_str("\n\nA topic with `preset=\"");
    s.push_str(name);
    s.push_str("\"` gets, unless it sets them itself:\n\n");
    if let Some(n) = &pr.partitions {
        let _ = writeln!(s, "- partitions: {}", n.value);
    }
    if let Some(n) = &pr.replicas {
        let _ = writeln!(s, "- replicas: {}", n.value);
    }
    for e in &pr.config {
        let _ = writeln!(s, "- config `{}`: {}", e.key.value, e.value.value);
    }
    Some(s)
}

fn size(p: &Platform, name: &str) -> Option<String> {
    let z = p.presets.size(name)?;
    let origin = if z.from_stdlib { " (stdlib)" } else { "" };
    Some(format!(
        "**size `{}`**{origin}\n\n- cpu: request {}, limit {}\n- memory: request {}, limit {}\n",
        z.name.value,
        z.cpu.value,
        z.cpu_limit(),
        z.memory.value,
        z.memory_limit()
    ))
}

fn tier(p: &Platform, name: &str) -> Option<String> {
    let t = p.presets.tier(name)?;
    let mut s = format!("**tier `{}`**", t.name.value);
    if let Some(d) = &t.description {
        let _ = write!(s, ": {}", d.value);
    }
    s.push_str("\n\n");
    if let Some(q) = &t.quota {
        let fields = [
            ("cpu", q.cpu.as_ref().map(|v| v.value.to_string())),
            ("memory", q.memory.as_ref().map(|v| v.value.to_string())),
            ("cpu-limit", q.cpu_limit.as_ref().map(|v| v.value.to_string())),
            ("memory-limit", q.memory_limit.as_ref().map(|v| v.value.to_string())),
            ("pods", q.pods.as_ref().map(|v| v.value.to_string())),
            ("storage", q.storage.as_ref().map(|v| v.value.to_string())),
        ];
        for (k, v) in fields {
            if let Some(v) = v {
                let _ = writeln!(s, "- quota {k}: {v}");
            }
        }
    }
    Some(s)
}

fn kafka_cluster(p: &Platform, name: &str) -> Option<String> {
    let k = p.kafka.clusters.iter().find(|k| k.name.value == name)?;
    let topics = p.kafka.topics.iter().filter(|t| on_cluster(p, t, name)).count();
    Some(format!(
        "**kafka `{}`**, namespace `{}`, {} brokers, {}; {topics} topics\n",
        k.name.value,
        k.namespace.value,
        k.brokers.value,
        k.authorization.value.describe()
    ))
}

/// A topic without `kafka=` is on the platform's only cluster (with several, the check reports it).
fn on_cluster(p: &Platform, t: &crate::model::kafka::Topic, cluster: &str) -> bool {
    t.cluster.as_ref().map_or(p.kafka.clusters.len() == 1, |c| c.value == cluster)
}

/// A workload's pods as its tenant's quota counts them, and what they cost a month.
fn workload(p: &Platform, d: &Demand) -> String {
    let mut s = format!(
        "**{}**, tenant `{}`\n\n| pods | role | cpu request | cpu limit | memory request | memory limit |\n|---|---|---|---|---|---|\n",
        d.workload, d.tenant
    );
    for pd in &d.pods {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            pd.count, pd.role, pd.cpu_request, pd.cpu_limit, pd.memory_request, pd.memory_limit
        );
    }
    if let Some(r) = report(p)
        && let Some(w) = r.workloads.iter().find(|w| w.span == d.span && w.workload == d.workload)
    {
        let _ = write!(
            s,
            "\nMonthly cost ({}, {}): {}, expected {}, peak {}",
            r.currency,
            r.period.describe(),
            w.pattern,
            w.expected,
            w.peak
        );
        if let Some(run) = w.per_run {
            let _ = write!(s, ", {run} per run");
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::compile;

    const SPEC: &str = "tenant \"shop\" {\n    quota cpu=8 memory=\"32Gi\"\n}\n\
        kafka \"main\" namespace=\"kafka\" brokers=3\n\
        topic-preset \"events\" partitions=6 {\n    config \"retention.ms\" 604800000\n}\n\
        topic \"shop.orders\" tenant=\"shop\" preset=\"events\"\n\
        job \"export\" tenant=\"shop\" image=\"busybox:1\" {\n    resources size=\"s\"\n}\n";

    fn at(needle: &str) -> String {
        let c = compile(SPEC);
        let text = c.sources.get(FileId(0)).text.clone();
        let ix = Index::of(&c.platform);
        let off = text.find(needle).unwrap_or_else(|| panic!("{needle}")) as u32 + 1;
        hover(&c, &ix, FileId(0), off).unwrap_or_else(|| panic!("no hover at {needle}"))
    }

    #[test]
    fn a_tenant_shows_its_quota_fit_and_cost() {
        let h = at("\"shop\" {");
        assert!(h.contains("at peak") && h.contains("of 8"), "{h}");
        assert!(h.contains("Monthly cost"), "{h}");
    }

    #[test]
    fn a_preset_shows_what_it_gives_and_a_workload_its_pods() {
        let h = at("preset=\"events\"");
        assert!(h.contains("partitions: 6") && h.contains("retention.ms"), "{h}");
        let h = at("\"export\"");
        assert!(h.contains("| 1 |") && h.contains("Monthly cost"), "{h}");
        let h = at("size=\"s\"");
        assert!(h.contains("cpu: request"), "{h}");
    }
}
