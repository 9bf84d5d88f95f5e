//! Flink operator settings the operator's validator refuses, read from a job's `config` entries: the
//! rules of flink-kubernetes-operator `DefaultValidator.validateFlinkDeploymentConfig`,
//! `validateJobSpec` and flink-autoscaler `AutoscalerValidator` (release-1.15.0) that depend on
//! `kubernetes.operator.*` and `job.autoscaler.*` keys. The operator reports them in the FlinkDeployment's
//! `.status.error` and deploys nothing; its messages are quoted. Values are checked against the
//! operator's built-in defaults: an operator-wide default configuration can change them, which strata
//! cannot see.

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::Platform;
use crate::model::Scalar;
use crate::model::flink::{FlinkJob, UpgradeMode};
use crate::source::{Span, Spanned};

const ROLLBACK: &str = "kubernetes.operator.deployment.rollback.enabled";
const HEALTH_CHECK: &str = "kubernetes.operator.cluster.health-check.enabled";
/// Default `true`; the second key is its deprecated name.
const JM_RECOVERY: [&str; 2] = [
    "kubernetes.operator.jm-deployment-recovery.enabled",
    "kubernetes.operator.reconciler.jm-deployment-recovery.enabled",
];
const PERIODIC_SAVEPOINT: &str = "kubernetes.operator.periodic.savepoint.interval";
const CHECKPOINT_MAX_AGE: &str = "kubernetes.operator.job.upgrade.last-state.max.allowed.checkpoint.age";
/// `CheckpointingOptions.SAVEPOINT_DIRECTORY.key()` of Flink 1.20.1, which the operator 1.15 is built with.
const OPERATOR_SAVEPOINT_KEY: &str = "execution.checkpointing.savepoint-dir";

/// An autoscaler option: its key, the other keys Flink reads it from (deprecated, then the pre-1.8
/// `kubernetes.operator.` fallbacks; AutoScalerOptions.java), and its default.
struct AutoscalerOption {
    key: &'static str,
    also: &'static [&'static str],
    default: Option<f64>,
}

const ENABLED: AutoscalerOption = AutoscalerOption {
    key: "job.autoscaler.enabled",
    also: &["kubernetes.operator.job.autoscaler.enabled"],
    default: None,
};
const SCALE_DOWN: AutoscalerOption = AutoscalerOption {
    key: "job.autoscaler.scale-down.max-factor",
    also: &["kubernetes.operator.job.autoscaler.scale-down.max-factor"],
    default: Some(0.6),
};
const SCALE_UP: AutoscalerOption = AutoscalerOption {
    key: "job.autoscaler.scale-up.max-factor",
    also: &["kubernetes.operator.job.autoscaler.scale-up.max-factor"],
    default: Some(100000.0),
};
const TARGET: AutoscalerOption = AutoscalerOption {
    key: "job.autoscaler.utilization.target",
    also: &[
        "job.autoscaler.target.utilization",
        "kubernetes.operator.job.autoscaler.utilization.target",
        "kubernetes.operator.job.autoscaler.target.utilization",
    ],
    default: Some(0.7),
};
const BOUNDARY: AutoscalerOption = AutoscalerOption {
    key: "job.autoscaler.target.utilization.boundary",
    also: &["kubernetes.operator.job.autoscaler.target.utilization.boundary"],
    default: Some(0.3),
};
const UTIL_MAX: AutoscalerOption = AutoscalerOption {
    key: "job.autoscaler.utilization.max",
    also: &["kubernetes.operator.job.autoscaler.utilization.max"],
    default: None,
};
const UTIL_MIN: AutoscalerOption = AutoscalerOption {
    key: "job.autoscaler.utilization.min",
    also: &["kubernetes.operator.job.autoscaler.utilization.min"],
    default: None,
};
const COEFFICIENT_MIN: AutoscalerOption = AutoscalerOption {
    key: "job.autoscaler.observed-scalability.coefficient-min",
    also: &["kubernetes.operator.job.autoscaler.observed-scalability.coefficient-min"],
    default: Some(0.5),
};

pub fn check(p: &Platform, d: &mut Diagnostics) {
    for job in &p.flink.jobs {
        check_job(job, d);
    }
}

/// The last `config` entry with one of `keys` (the first key wins over the others, as Flink reads them).
fn entry<'a>(job: &'a FlinkJob, keys: &[&str]) -> Option<&'a (Spanned<String>, Spanned<Scalar>)> {
    keys.iter().find_map(|k| job.config.iter().rev().find(|(key, _)| key.value == *k))
}

/// A boolean as Flink's Configuration parses it (`true`/`false`, any case); `None` if unset or unparsable.
fn flag(job: &FlinkJob, keys: &[&str]) -> Option<(bool, Span)> {
    let (k, v) = entry(job, keys)?;
    let b = match &v.value {
        Scalar::Bool(b) => *b,
        Scalar::Str(s) if s.eq_ignore_ascii_case("true") => true,
        Scalar::Str(s) if s.eq_ignore_ascii_case("false") => false,
        _ => return None,
    };
    Some((b, cover(k.span, v.span)))
}

/// From the start of `a` to the end of `b` (a key and its value).
fn cover(a: Span, b: Span) -> Span {
    if a.file == b.file && b.end >= a.start { Span { file: a.file, start: a.start, end: b.end } } else { a }
}

fn check_job(job: &FlinkJob, d: &mut Diagnostics) {
    let owner = format!("flink-job `{}`", job.name.value);
    let ha = job.high_availability.is_some();
    if let Some((true, span)) = flag(job, &[ROLLBACK])
        && !ha
    {
        d.push(
            Diagnostic::error("strata::flink::rollback-ha", format!("{owner}: rollback needs high availability"))
                .at(span, "rollback restores the last stable spec from HA metadata")
                .help("add `high-availability dir=\"s3://bucket/flink-ha/<job>\"`, or remove the rollback setting")
                .note_line("operator (DefaultValidator, release-1.15.0): \"HA must be enabled for rollback support.\""),
        );
    }
    if let Some((true, span)) = flag(job, &[HEALTH_CHECK])
        && let Some((false, off)) = flag(job, &JM_RECOVERY)
    {
        d.push(
            Diagnostic::error(
                "strata::flink::health-check-recovery",
                format!("{owner}: the cluster health check needs JobManager deployment recovery"),
            )
            .at(span, "restarts an unhealthy cluster by redeploying its JobManager")
            .also(off, "JobManager deployment recovery is off")
            .help(format!("remove `config \"{}\" false` (it defaults to true), or turn the health check off", JM_RECOVERY[0]))
            .note_line(format!(
                "operator (DefaultValidator, release-1.15.0): \"Deployment recovery ({}) must be enabled for job health check ({HEALTH_CHECK}) support.\"",
                JM_RECOVERY[0]
            )),
        );
    }
    let savepoint_dir =
        job.checkpoints.as_ref().and_then(|c| c.savepoint_dir.as_ref()).is_some_and(|s| !s.value.trim().is_empty());
    // `upgrade="savepoint"` without a directory is `strata::flink::savepoint-dir` already, the operator's
    // first finding; one missing directory is one diagnostic.
    let reported = job.checkpoints.is_some() && job.upgrade_mode() == UpgradeMode::Savepoint;
    if !savepoint_dir && !reported {
        let found = entry(job, &[PERIODIC_SAVEPOINT])
            .map(|e| (e, "periodic savepoints", format!("Periodic savepoints cannot be enabled when config key[{OPERATOR_SAVEPOINT_KEY}] is not set")))
            .or_else(|| {
                entry(job, &[CHECKPOINT_MAX_AGE]).map(|e| (e, "a maximum checkpoint age (it triggers savepoint upgrades)", format!("In order to use max-checkpoint age functionality config key[{OPERATOR_SAVEPOINT_KEY}] must be set to allow triggering savepoint upgrades.")))
            });
        if let Some(((k, v), what, upstream)) = found {
            d.push(
                Diagnostic::error(
                    "strata::flink::savepoint-dir",
                    format!("{owner}: {what} need a savepoint directory"),
                )
                .at(cover(k.span, v.span), "takes savepoints")
                .help("add `savepoint-dir=\"s3://bucket/savepoints/<job>\"` to `checkpoints`")
                .note_line(format!("operator (DefaultValidator, release-1.15.0): \"{upstream}\"")),
            );
        }
    }
    check_autoscaler(job, &owner, d);
}

/// Java's `Double.toString` for the bounds the operator prints: `0.0`, `1.0`, `0.01`, `0.7`.
fn java_double(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e7 { format!("{v:.1}") } else { format!("{v}") }
}

/// `AutoscalerValidator.validateAutoscalerOptions`: only when the autoscaler is enabled, the first option
/// out of its range (the operator reports one at a time; strata reports each).
fn check_autoscaler(job: &FlinkJob, owner: &str, d: &mut Diagnostics) {
    let enabled_keys: Vec<&str> = std::iter::once(ENABLED.key).chain(ENABLED.also.iter().copied()).collect();
    if flag(job, &enabled_keys).is_none_or(|(on, _)| !on) {
        return;
    }
    let keys =
        |o: &AutoscalerOption| -> Vec<&'static str> { std::iter::once(o.key).chain(o.also.iter().copied()).collect() };
    let value = |o: &AutoscalerOption| -> Result<Option<(f64, Span)>, Span> {
        match entry(job, &keys(o)) {
            None => Ok(o.default.map(|v| (v, job.name.span))),
            Some((k, v)) => {
                let span = cover(k.span, v.span);
                match &v.value {
                    Scalar::Int(i) => Ok(Some((*i as f64, span))),
                    Scalar::Float(f) => Ok(Some((*f, span))),
                    Scalar::Str(s) => s.trim().parse::<f64>().map(|f| Some((f, span))).map_err(|_| span),
                    Scalar::Bool(_) => Err(span),
                }
            }
        }
    };
    let target = match value(&TARGET) {
        Ok(v) => v.map(|(t, _)| t),
        Err(_) => None,
    };
    let ranges: [(&AutoscalerOption, Option<f64>, Option<f64>); 7] = [
        (&SCALE_DOWN, Some(0.0), None),
        (&SCALE_UP, Some(0.0), None),
        (&TARGET, Some(0.0), Some(1.0)),
        (&BOUNDARY, Some(0.0), None),
        (&UTIL_MAX, target, Some(1.0)),
        (&UTIL_MIN, Some(0.0), target),
        (&COEFFICIENT_MIN, Some(0.01), Some(1.0)),
    ];
    for (o, min, max) in ranges {
        let written = entry(job, &keys(o)).is_some();
        match value(o) {
            Err(span) => d.push(
                Diagnostic::error("strata::flink::autoscaler", format!("{owner}: `{}` is not a number", o.key))
                    .at(span, "expected a decimal number")
                    .help("write a number, e.g. `0.7`")
                    .note_line(format!(
                        "operator (AutoscalerValidator, release-1.15.0): \"Invalid value in the autoscaler config {}\"",
                        o.key
                    )),
            ),
            Ok(Some((v, span))) if written && (min.is_some_and(|m| v < m) || max.is_some_and(|m| v > m)) => {
                let (lo, hi) = (
                    min.map_or("-Infinity".to_string(), java_double),
                    max.map_or("+Infinity".to_string(), java_double),
                );
                d.push(
                    Diagnostic::error("strata::flink::autoscaler", format!("{owner}: `{}` is {} but must be within [{lo}, {hi}]", o.key, java_double(v)))
                        .at(span, "out of range")
                        .help(format!("use a value from {lo} to {hi}"))
                        .note_line(format!(
                            "operator (AutoscalerValidator, release-1.15.0): \"The AutoScalerOption {} is invalid, it should be a value within the range [{lo}, {hi}]\"",
                            o.key
                        )),
                );
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{codes, compile};

    /// A job in a tenant that may reach the API server, so only the operator rules under test report.
    fn job(extra: &str) -> String {
        format!(
            "tenant \"t\" {{ network \"isolated\" {{ egress 443 cidr=\"10.0.0.0/16\"; }}; }}\nflink-job \"j\" tenant=\"t\" {{\n    image \"flink:1.20.1\"\n    jar \"local:///j.jar\" version=\"1.20\"\n    parallelism 1\n    jobmanager size=\"s\"\n    taskmanager size=\"s\"\n{extra}\n}}\n"
        )
    }

    fn found(extra: &str) -> Vec<&'static str> {
        let c = compile(&job(extra));
        codes(&c).into_iter().filter(|c| c.starts_with("strata::flink::")).collect()
    }

    #[test]
    fn operator_settings_that_need_other_settings() {
        assert_eq!(
            found(r#"    config "kubernetes.operator.deployment.rollback.enabled" #true"#),
            ["strata::flink::rollback-ha"]
        );
        assert_eq!(
            found(
                "    config \"kubernetes.operator.cluster.health-check.enabled\" \"true\"\n    config \"kubernetes.operator.jm-deployment-recovery.enabled\" #false"
            ),
            ["strata::flink::health-check-recovery"]
        );
        // Recovery defaults to on.
        assert!(found(r#"    config "kubernetes.operator.cluster.health-check.enabled" #true"#).is_empty());
        assert_eq!(
            found(r#"    config "kubernetes.operator.periodic.savepoint.interval" "6h""#),
            ["strata::flink::savepoint-dir"]
        );
        assert!(
            found("    checkpoints every=\"60s\" dir=\"s3://b/cp\" savepoint-dir=\"s3://b/sp\"\n    config \"kubernetes.operator.periodic.savepoint.interval\" \"6h\"").is_empty()
        );
    }

    #[test]
    fn autoscaler_ranges_apply_only_when_enabled() {
        let bad = "    config \"job.autoscaler.utilization.target\" 1.5\n    config \"job.autoscaler.scale-down.max-factor\" \"-1\"\n    config \"job.autoscaler.utilization.min\" 0.9";
        assert!(found(bad).is_empty());
        let on = format!("    config \"job.autoscaler.enabled\" #true\n{bad}");
        assert_eq!(found(&on), ["strata::flink::autoscaler", "strata::flink::autoscaler"]);
        // utilization.min is checked against the target the job sets (1.5 here), so 0.9 fits; against the
        // default target 0.7 it does not.
        let c = compile(&job(
            "    config \"job.autoscaler.enabled\" #true\n    config \"job.autoscaler.utilization.min\" 0.9",
        ));
        let d = c.diagnostics.sorted();
        let a = d.iter().find(|d| d.code == "strata::flink::autoscaler").expect("min above target");
        assert!(
            a.notes.iter().any(|n| n.contains(
                "job.autoscaler.utilization.min is invalid, it should be a value within the range [0.0, 0.7]"
            )),
            "{:?}",
            a.notes
        );
        assert_eq!(java_double_check(), "0.01 1.0 +Infinity");
    }

    fn java_double_check() -> String {
        format!("{} {} +Infinity", super::java_double(0.01), super::java_double(1.0))
    }
}
