//! Admission fit: every pod of every workload domain against its tenant's Container LimitRange, as the
//! LimitRanger admission plugin applies it when the operator creates the pod, long after `apply`
//! succeeded (kubernetes plugin/pkg/admission/limitranger/admission.go, v1.36). One check over the
//! quota-fit [`Demand`] list, so a new domain that lists its pods there is checked without changes here.
//!
//! The plugin first fills in what a container leaves out (`mergeContainerResources`: the `default` limit,
//! the `defaultRequest` request), after the API server's own defaulting (a stated limit and no request: the
//! request is the limit) and the LimitRange's (pkg/apis/core/v1/defaults.go `SetDefaults_LimitRangeItem`:
//! `default` falls back to `max`, `defaultRequest` to `default`, then to `min`). Then, per container and
//! resource, `minConstraint`, `maxConstraint` and `limitRequestRatioConstraint`; their messages are quoted.

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::demand::{AdmittedPod, ContainerResources, Demand};
use crate::model::quota::Dim;
use crate::model::{EffectiveLimits, LimitValue, Platform, Tenant};
use crate::source::Span;
use crate::units::{Bytes, Cpu};

pub fn check(p: &Platform, demands: &[Demand], d: &mut Diagnostics) {
    for t in &p.tenants {
        if let Some(l) = p.effective_limits(t) {
            check_limit_range(&l, d);
        }
    }
    for demand in demands {
        let Some(t) = p.tenant(&demand.tenant) else { continue };
        let Some(limits) = p.effective_limits(t) else { continue };
        for pod in demand.admitted_pods() {
            check_pod(t, &limits, demand, &pod, d);
        }
    }
}

/// The orderings the API server's LimitRange validation requires of the defaulted object
/// (pkg/apis/core/validation/validation.go `ValidateLimitRange`, v1.36), which `strata::tenant::check` does
/// not already report for the spec's own values (`default-*-request` ≤ `default-*` ≤ `max-*`).
fn check_limit_range(l: &EffectiveLimits, d: &mut Diagnostics) {
    type V = Option<(u64, Span, String, &'static str)>;
    let c = |v: &Option<LimitValue<Cpu>>, prop: &'static str| -> V {
        v.map(|v| (v.value.0, v.span, v.value.to_string(), prop))
    };
    let m = |v: &Option<LimitValue<Bytes>>, prop: &'static str| -> V {
        v.map(|v| (v.value.0, v.span, v.value.to_string(), prop))
    };
    let resources = [
        (
            "cpu",
            c(&l.min_cpu, "min-cpu"),
            c(&l.max_cpu, "max-cpu"),
            c(&l.default_cpu, "default-cpu"),
            c(&l.default_cpu_request, "default-cpu-request"),
            c(&l.max_cpu_ratio, "max-cpu-ratio"),
        ),
        (
            "memory",
            m(&l.min_memory, "min-memory"),
            m(&l.max_memory, "max-memory"),
            m(&l.default_memory, "default-memory"),
            m(&l.default_memory_request, "default-memory-request"),
            c(&l.max_memory_ratio, "max-memory-ratio"),
        ),
    ];
    for (r, min, max, default, default_request, ratio) in resources {
        let mut order = |low: &V, high: &V, upstream: &str| {
            if let (Some(lo), Some(hi)) = (low, high)
                && lo.0 > hi.0
            {
                d.push(
                    Diagnostic::error("strata::tenant::limits-order", format!("{} is above {}", lo.3, hi.3))
                        .at(lo.1, format!("{} {}", lo.3, lo.2))
                        .also(hi.1, format!("{} {}", hi.3, hi.2))
                        .help(format!("a {r} LimitRange needs min ≤ default request ≤ default ≤ max"))
                        .note_line(format!(
                            "the API server refuses the LimitRange: \"{}\"",
                            upstream.replace("{lo}", &lo.2).replace("{hi}", &hi.2)
                        )),
                );
            }
        };
        order(&min, &max, "min value {lo} is greater than max value {hi}");
        order(&min, &default_request, "min value {lo} is greater than default request value {hi}");
        order(&min, &default, "min value {lo} is greater than default value {hi}");
        order(&default_request, &max, "default request value {lo} is greater than max value {hi}");
        if let Some((ratio, span, text, prop)) = &ratio {
            if *ratio < 1000 {
                d.push(
                    Diagnostic::error("strata::tenant::limits-order", format!("{prop} is below 1"))
                        .at(*span, format!("{prop} {text}"))
                        .help("a limit is never below its request: use a ratio of at least 1")
                        .note_line(format!("the API server refuses the LimitRange: \"ratio {text} is less than 1\"")),
                );
            } else if let (Some(lo), Some(hi)) = (&min, &max)
                && lo.0 > 0
                && u128::from(*ratio) * u128::from(lo.0) > u128::from(hi.0) * 1000
            {
                d.push(
                    Diagnostic::error("strata::tenant::limits-order", format!("{prop} is above {} / {}", hi.3, lo.3))
                        .at(*span, format!("{prop} {text}"))
                        .also(lo.1, format!("{} {}", lo.3, lo.2))
                        .also(hi.1, format!("{} {}", hi.3, hi.2))
                        .help(format!("no container between {} and {} can burst that far: lower {prop}", lo.2, hi.2))
                        .note_line(format!(
                            "the API server refuses the LimitRange: \"ratio {text} is greater than max/min = {:.6}\"",
                            hi.0 as f64 / lo.0 as f64
                        )),
                );
            }
        }
    }
}

/// One resource of a container after defaulting, in the plugin's comparable unit (millicores, bytes).
struct Observed {
    request: Option<u64>,
    limit: Option<u64>,
    /// Which of the two the LimitRange filled in (shown, since the spec does not say them).
    defaulted: Vec<&'static str>,
}

/// The bounds of one resource: cpu or memory.
struct Bounds {
    resource: &'static str,
    min: Option<(u64, Span, String)>,
    max: Option<(u64, Span, String)>,
    ratio: Option<(u64, Span, String)>,
    /// The spec's property names, for help texts.
    props: [&'static str; 3],
}

fn cpu_bound(v: &Option<LimitValue<Cpu>>) -> Option<(u64, Span, String)> {
    v.map(|v| (v.value.0, v.span, v.value.to_string()))
}

/// A ratio as written in the spec (`1.5`); the API server shows it as a quantity (`1500m`).
fn ratio_bound(v: &Option<LimitValue<Cpu>>) -> Option<(u64, Span, String)> {
    v.map(|v| (v.value.0, v.span, Dim::CpuRequest.fmt_approx(v.value.0)))
}

fn mem_bound(v: &Option<LimitValue<Bytes>>) -> Option<(u64, Span, String)> {
    v.map(|v| (v.value.0, v.span, v.value.to_string()))
}

/// `mergeContainerResources` after both defaultings, for one resource.
fn observe(
    request: Option<u64>,
    limit: Option<u64>,
    default: Option<u64>,
    default_request: Option<u64>,
    max: Option<u64>,
    min: Option<u64>,
) -> Observed {
    let default = default.or(max);
    let default_request = default_request.or(default).or(min);
    let request_stated = request.or(limit);
    let mut defaulted = Vec::new();
    let limit = limit.or_else(|| default.inspect(|_| defaulted.push("limit")));
    let request = request_stated.or_else(|| default_request.inspect(|_| defaulted.push("request")));
    Observed { request, limit, defaulted }
}

/// What the LimitRanger plugin would refuse about one pod, one diagnostic per container, resource and
/// constraint (each quoting the plugin's message in a note).
pub fn check_pod(t: &Tenant, l: &EffectiveLimits, demand: &Demand, pod: &AdmittedPod, d: &mut Diagnostics) {
    for c in &pod.containers {
        let cpu = observe(
            c.cpu_request.map(|v| v.0),
            c.cpu_limit.map(|v| v.0),
            l.default_cpu.map(|v| v.value.0),
            l.default_cpu_request.map(|v| v.value.0),
            l.max_cpu.map(|v| v.value.0),
            l.min_cpu.map(|v| v.value.0),
        );
        let memory = observe(
            c.memory_request.map(|v| v.0),
            c.memory_limit.map(|v| v.0),
            l.default_memory.map(|v| v.value.0),
            l.default_memory_request.map(|v| v.value.0),
            l.max_memory.map(|v| v.value.0),
            l.min_memory.map(|v| v.value.0),
        );
        let cpu_bounds = Bounds {
            resource: "cpu",
            min: cpu_bound(&l.min_cpu),
            max: cpu_bound(&l.max_cpu),
            ratio: ratio_bound(&l.max_cpu_ratio),
            props: ["min-cpu", "max-cpu", "max-cpu-ratio"],
        };
        let memory_bounds = Bounds {
            resource: "memory",
            min: mem_bound(&l.min_memory),
            max: mem_bound(&l.max_memory),
            ratio: ratio_bound(&l.max_memory_ratio),
            props: ["min-memory", "max-memory", "max-memory-ratio"],
        };
        let fmt_cpu = |v: u64| Cpu(v).to_string();
        let fmt_mem = |v: u64| Bytes(v).to_string();
        let ctx = Ctx { t, demand, pod, container: c };
        ctx.resource(&cpu, &cpu_bounds, &fmt_cpu, d);
        ctx.resource(&memory, &memory_bounds, &fmt_mem, d);
    }
}

struct Ctx<'a> {
    t: &'a Tenant,
    demand: &'a Demand,
    pod: &'a AdmittedPod,
    container: &'a ContainerResources,
}

impl Ctx<'_> {
    fn who(&self) -> String {
        let role = self.pod.role.split(" (").next().unwrap_or(&self.pod.role);
        if self.pod.containers.len() > 1 {
            format!("{}: {role} pods (container `{}`)", self.demand.workload, self.container.name)
        } else {
            format!("{}: {role} pods", self.demand.workload)
        }
    }

    /// `8g + 819m overhead` from a role `executor (8g + 819m overhead)`: what the pod's memory is made of.
    fn memory_detail(&self) -> Option<&str> {
        self.pod.role.split_once(" (").map(|(_, d)| d.trim_end_matches(')'))
    }

    #[allow(clippy::too_many_arguments)]
    fn report(
        &self,
        headline: String,
        upstream: String,
        bound: (Span, String),
        label: String,
        help: String,
        o: &Observed,
        resource: &str,
    ) -> Diagnostic {
        let label = match self.memory_detail() {
            Some(detail) if resource == "memory" && (label.starts_with("limit") || label.starts_with("request")) => {
                format!("{label} ({detail})")
            }
            _ => label,
        };
        let mut diag = Diagnostic::error("strata::admission::limit-range", headline)
            .at(self.pod.span, label)
            .also(bound.0, bound.1)
            .help(help)
            .note_line(format!(
                "the LimitRanger admission plugin refuses every such pod when the operator creates it, after `apply` succeeded: \"{upstream}\""
            ));
        if !o.defaulted.is_empty() {
            diag = diag.note_line(format!(
                "the pod states no {}: the LimitRange `tenant-defaults` of tenant `{}` fills it in",
                o.defaulted.join(" or "),
                self.t.name.value
            ));
        }
        diag
    }

    fn resource(&self, o: &Observed, b: &Bounds, fmt: &dyn Fn(u64) -> String, d: &mut Diagnostics) {
        let r = b.resource;
        let tenant = &self.t.name.value;
        // minConstraint
        if let Some((min, span, text)) = &b.min {
            let found = match (o.request, o.limit) {
                (None, _) => Some((
                    format!("minimum {r} usage per Container is {text}.  No request is specified"),
                    "no request".to_string(),
                )),
                (Some(req), _) if req < *min => Some((
                    format!("minimum {r} usage per Container is {text}, but request is {}", fmt(req)),
                    format!("request {r} {}", fmt(req)),
                )),
                (_, Some(lim)) if lim < *min => Some((
                    format!("minimum {r} usage per Container is {text}, but limit is {}", fmt(lim)),
                    format!("limit {r} {}", fmt(lim)),
                )),
                _ => None,
            };
            if let Some((upstream, label)) = found {
                d.push(self.report(
                    format!("{} ask for less {r} than tenant `{tenant}` allows per container ({text})", self.who()),
                    upstream,
                    (*span, format!("{} {text}", b.props[0])),
                    label,
                    format!("give the pods a larger size, or lower the tenant's `{}`", b.props[0]),
                    o,
                    r,
                ));
            }
        }
        // maxConstraint
        if let Some((max, span, text)) = &b.max {
            let found = match (o.request, o.limit) {
                (_, None) => Some((
                    format!("maximum {r} usage per Container is {text}.  No limit is specified"),
                    "no limit".to_string(),
                )),
                (_, Some(lim)) if lim > *max => Some((
                    format!("maximum {r} usage per Container is {text}, but limit is {}", fmt(lim)),
                    format!("limit {r} {}", fmt(lim)),
                )),
                (Some(req), _) if req > *max => Some((
                    format!("maximum {r} usage per Container is {text}, but request is {}", fmt(req)),
                    format!("request {r} {}", fmt(req)),
                )),
                _ => None,
            };
            if let Some((upstream, label)) = found {
                d.push(self.report(
                    format!("{} need more {r} than tenant `{tenant}` allows per container ({text})", self.who()),
                    upstream,
                    (*span, format!("{} {text}", b.props[1])),
                    label,
                    format!(
                        "use a smaller size (the {r} limit counts, including any overhead), or raise the tenant's `{}`",
                        b.props[1]
                    ),
                    o,
                    r,
                ));
            }
        }
        // limitRequestRatioConstraint: limit / request compared in thousandths, as the plugin does.
        if let Some((ratio, span, text)) = &b.ratio {
            let quantity = Cpu(*ratio).to_string();
            let found = match (o.request, o.limit) {
                (None | Some(0), _) => Some((
                    format!(
                        "{r} max limit to request ratio per Container is {quantity}, but no request is specified or request is 0"
                    ),
                    "no request".to_string(),
                )),
                (_, None | Some(0)) => Some((
                    format!(
                        "{r} max limit to request ratio per Container is {quantity}, but no limit is specified or limit is 0"
                    ),
                    "no limit".to_string(),
                )),
                (Some(req), Some(lim)) if u128::from(lim) * 1000 > u128::from(*ratio) * u128::from(req) => {
                    let observed = lim as f64 / req as f64;
                    Some((
                        format!(
                            "{r} max limit to request ratio per Container is {quantity}, but provided ratio is {observed:.6}"
                        ),
                        format!("{r} limit {} / request {} = {observed:.2}", fmt(lim), fmt(req)),
                    ))
                }
                _ => None,
            };
            if let Some((upstream, label)) = found {
                d.push(self.report(
                    format!(
                        "{} burst above the {r} limit-to-request ratio tenant `{tenant}` allows ({text})",
                        self.who()
                    ),
                    upstream,
                    (*span, format!("{} {text}", b.props[2])),
                    label,
                    format!(
                        "bring the {r} limit closer to the request (the size's limit), or raise the tenant's `{}`",
                        b.props[2]
                    ),
                    o,
                    r,
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_in_as_kubernetes_applies_them() {
        // A stated limit and no request: the API server makes the request the limit.
        let o = observe(None, Some(2000), Some(1000), Some(500), None, None);
        assert_eq!((o.request, o.limit), (Some(2000), Some(2000)));
        assert!(o.defaulted.is_empty());
        // Nothing stated: `default` then `defaultRequest`.
        let o = observe(None, None, Some(1000), Some(500), None, None);
        assert_eq!(
            (o.request, o.limit, o.defaulted.as_slice()),
            (Some(500), Some(1000), ["limit", "request"].as_slice())
        );
        // No `default`: it falls back to `max`, and `defaultRequest` to `default`, then to `min`.
        let o = observe(None, None, None, None, Some(4000), Some(100));
        assert_eq!((o.request, o.limit), (Some(4000), Some(4000)));
        let o = observe(None, None, None, None, None, Some(100));
        assert_eq!((o.request, o.limit), (Some(100), None));
    }

    #[test]
    fn every_domain_is_checked_and_spark_keeps_its_memory_breakdown() {
        let c = crate::test_support::compile(
            r#"
tenant "t" {
    limits max-cpu=1 max-memory="2Gi"
    network "open"
}
spark-job "s" tenant="t" {
    image "registry.acme.io/s:1.0.0" spark-version="3.5.1"
    main "local:///opt/app/s.jar" class="com.acme.S"
    driver size="s"
    executors 2 size="l"
}
airflow "a" tenant="t" {
    executor "kubernetes" image="apache/airflow:3.1.3" max-parallel-tasks=1 {
        worker-template "default" size="m"
    }
    metadata-db secret="airflow-metadata"
}
flink-job "f" tenant="t" {
    image "flink:1.20.1"
    jar "local:///opt/flink/usrlib/f.jar" version="1.20"
    parallelism 1
    jobmanager size="s"
    taskmanager size="m"
}
"#,
        );
        let found: Vec<String> = c
            .diagnostics
            .sorted()
            .into_iter()
            .filter(|d| d.code == "strata::admission::limit-range")
            .map(|d| d.message.clone())
            .collect();
        // Executors (l: 4 cpu, 8g + overhead), the `m` template and TaskManager (2 cpu, 4Gi) in both dimensions.
        assert_eq!(found.len(), 6, "{found:#?}");
        assert!(found.iter().any(|m| m.starts_with("spark-job `s`: executor pods need more memory")), "{found:#?}");
        assert!(found.iter().any(|m| m.starts_with("airflow `a`: worker template `default` pods need more cpu")));
        assert!(found.iter().any(|m| m.starts_with("flink-job `f`: taskmanager pods need more memory")));
        let spark = c
            .diagnostics
            .sorted()
            .into_iter()
            .find(|d| d.message.starts_with("spark-job `s`: executor pods need more memory"))
            .cloned();
        let label = spark.and_then(|d| d.primary).map(|l| l.message).unwrap_or_default();
        assert!(label.contains("overhead"), "{label}");
    }
}
