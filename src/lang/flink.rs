//! Lowers `flink-job` nodes: image, jar and Flink version, parallelism, JobManager and TaskManager resources,
//! checkpointing and upgrade mode, high availability, free-form configuration and environment.

use kdl::{KdlNode, KdlValue};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::lang::pod::{duplicate_child, lower_env};
use crate::lang::reader::{FromKdl, NodeReader, Scalar, ValueError, one_of, unknown_node};
use crate::model::Platform;
use crate::model::flink::{Autoscale, Checkpoints, Component, FlinkJob, HighAvailability, Jar, Role, TopicRead};
use crate::source::{FileId, Span};

const JOB_CHILDREN: &[&str] = &[
    "image",
    "jar",
    "args",
    "parallelism",
    "jobmanager",
    "taskmanager",
    "checkpoints",
    "high-availability",
    "config",
    "env",
    "autoscale",
    "reads",
    "alert",
];

const AUTOSCALE_CHILDREN: &[&str] = &["utilization", "metrics-window", "stabilization", "catch-up", "restart-time"];

/// A utilization fraction (`0.7`); its range is checked with the job.
struct Fraction(f64);

impl FromKdl for Fraction {
    const EXPECTED: &'static str = "a fraction such as 0.7";
    fn from_kdl(v: &KdlValue) -> Result<Self, ValueError> {
        match v {
            KdlValue::Float(f) if f.is_finite() => Ok(Fraction(*f)),
            KdlValue::Integer(i) => Ok(Fraction(*i as f64)),
            KdlValue::String(s) => s.trim().parse::<f64>().map(Fraction).map_err(|_| ValueError {
                message: format!("`{s}` is not a number"),
                help: "write the fraction without quotes, e.g. 0.7 (70% busy)".into(),
            }),
            _ => Err(ValueError { message: "expected a fraction".into(), help: "write e.g. 0.7".into() }),
        }
    }
}

/// A child that may appear once: where it was first written, and its value if it lowered cleanly.
type Once<T> = Option<(Option<T>, Span)>;

/// Keeps the first of a child that may appear once, reporting any repeat.
fn once<T>(slot: &mut Once<T>, value: Option<T>, child: &KdlNode, file: FileId, d: &mut Diagnostics) {
    let span = Span::from_kdl(file, child.name().span());
    match slot {
        Some((_, first)) => duplicate_child(child, file, *first, d),
        None => *slot = Some((value, span)),
    }
}

fn value<T>(slot: Once<T>) -> Option<T> {
    slot.and_then(|(v, _)| v)
}

pub fn lower_flink_job(node: &KdlNode, file: FileId, p: &mut Platform, d: &mut Diagnostics) {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let name = r.arg::<String>("the job's name", d);
    let tenant = r.req_prop::<String>("tenant", "\"payments\"", d);
    let priority_class = r.prop::<String>("priority-class", d);
    let run_as_user = r.prop::<u64>("run-as-user", d);
    let state = r.prop::<String>("state", d).filter(|s| one_of(s, &["running", "suspended"], "job state", d).is_some());

    let mut image = None;
    let mut jar = None;
    let mut args = None;
    let mut parallelism = None;
    let mut jobmanager = None;
    let mut taskmanager = None;
    let mut checkpoints = None;
    let mut high_availability = None;
    let mut config = Vec::new();
    let mut env = Vec::new();
    let mut autoscale = None;
    let mut reads = Vec::new();
    let mut alerts = Vec::new();
    for child in r.children() {
        match child.name().value() {
            "image" => {
                let mut c = NodeReader::new(child, file);
                let v = c.arg::<String>("the container image, e.g. \"registry.acme.io/job:1.4.2\"", d);
                c.finish(false, d);
                once(&mut image, v, child, file, d);
            }
            "jar" => {
                let v = lower_jar(child, file, d);
                once(&mut jar, v, child, file, d);
            }
            "args" => {
                let mut c = NodeReader::new(child, file);
                let v = c.rest_args::<String>("argument", d);
                c.finish(false, d);
                once(&mut args, Some(v), child, file, d);
            }
            "parallelism" => {
                let mut c = NodeReader::new(child, file);
                let v = c.arg::<u32>("the job's parallelism", d);
                c.finish(false, d);
                once(&mut parallelism, v, child, file, d);
            }
            "jobmanager" => {
                let v = lower_component(child, file, Role::JobManager, d);
                once(&mut jobmanager, Some(v), child, file, d);
            }
            "taskmanager" => {
                let v = lower_component(child, file, Role::TaskManager, d);
                once(&mut taskmanager, Some(v), child, file, d);
            }
            "checkpoints" => {
                let v = lower_checkpoints(child, file, d);
                once(&mut checkpoints, Some(v), child, file, d);
            }
            "high-availability" => {
                let mut c = NodeReader::new(child, file);
                let dir = c.req_prop::<String>("dir", "\"s3://bucket/flink-ha/job\"", d);
                let span = c.name_span();
                c.finish(false, d);
                once(&mut high_availability, Some(HighAvailability { dir, span }), child, file, d);
            }
            "config" => {
                let mut c = NodeReader::new(child, file);
                let k = c.arg::<String>("the configuration key, e.g. \"state.backend.type\"", d);
                let v = c.arg::<Scalar>("the value", d);
                c.finish(false, d);
                if let (Some(k), Some(v)) = (k, v) {
                    config.push((k, v));
                }
            }
            "env" => env.extend(lower_env(child, file, d)),
            "autoscale" => {
                let v = lower_autoscale(child, file, d);
                once(&mut autoscale, Some(v), child, file, d);
            }
            "reads" => {
                let mut c = NodeReader::new(child, file);
                let span = c.name_span();
                let topic = c.arg::<String>("the Kafka topic the job reads, e.g. \"orders\"", d);
                let cluster = c.prop::<String>("kafka", d);
                c.finish(false, d);
                if let Some(topic) = topic {
                    reads.push(TopicRead { topic, cluster, span });
                }
            }
            "alert" => alerts.extend(crate::lang::monitoring::lower_alert(child, file, d)),
            _ => unknown_node(child, file, "`flink-job`", JOB_CHILDREN, d),
        }
    }
    r.finish(true, d);
    let (Some(name), Some(tenant)) = (name, tenant) else { return };
    // A child that was written but did not lower was reported already; only absent ones are reported here.
    let missing = |code: &'static str, what: &str, example: &str| {
        Diagnostic::error(code, format!("flink-job `{}` has no `{what}`", name.value))
            .at(name.span, format!("`{what}` is missing"))
            .help(format!("add `{example}`"))
    };
    if image.is_none() {
        d.push(missing("strata::flink::image", "image", "image \"registry.acme.io/my-job:1.0.0\""));
    }
    if jar.is_none() {
        d.push(missing("strata::flink::jar", "jar", "jar \"local:///opt/flink/usrlib/job.jar\" version=\"1.20\""));
    }
    p.flink.jobs.push(FlinkJob {
        alerts,
        name,
        tenant,
        state,
        priority_class,
        run_as_user,
        image: value(image),
        jar: value(jar),
        args: value(args).unwrap_or_default(),
        parallelism: value(parallelism),
        jobmanager: value(jobmanager),
        taskmanager: value(taskmanager),
        checkpoints: value(checkpoints),
        high_availability: value(high_availability),
        config,
        env,
        autoscale: value(autoscale),
        reads,
        span,
    });
}

/// `autoscale max-parallelism=120 min=2 max=24 target-utilization=0.7 dry-run=#false { utilization min=0.5
/// max=0.9; metrics-window "10m"; stabilization "5m"; catch-up "30m"; restart-time "2m" }`.
fn lower_autoscale(node: &KdlNode, file: FileId, d: &mut Diagnostics) -> Autoscale {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let max_parallelism = r.prop::<u32>("max-parallelism", d);
    let min = r.prop::<u32>("min", d);
    let max = r.prop::<u32>("max", d);
    let target_utilization = r.prop::<Fraction>("target-utilization", d).map(|f| f.map(|f| f.0));
    let dry_run = r.prop::<bool>("dry-run", d);
    let mut a = Autoscale {
        max_parallelism,
        min,
        max,
        target_utilization,
        utilization_min: None,
        utilization_max: None,
        metrics_window: None,
        stabilization: None,
        catch_up: None,
        restart_time: None,
        dry_run,
        span,
    };
    let mut seen: Vec<(&str, Span)> = Vec::new();
    for child in r.children() {
        let name = child.name().value();
        let here = Span::from_kdl(file, child.name().span());
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
            duplicate_child(child, file, *first, d);
            continue;
        }
        let mut c = NodeReader::new(child, file);
        match name {
            "utilization" => {
                a.utilization_min = c.prop::<Fraction>("min", d).map(|f| f.map(|f| f.0));
                a.utilization_max = c.prop::<Fraction>("max", d).map(|f| f.map(|f| f.0));
            }
            "metrics-window" | "stabilization" | "catch-up" | "restart-time" => {
                let v = c.arg("a duration, e.g. \"10m\"", d);
                match name {
                    "metrics-window" => a.metrics_window = v,
                    "stabilization" => a.stabilization = v,
                    "catch-up" => a.catch_up = v,
                    _ => a.restart_time = v,
                }
            }
            _ => {
                unknown_node(child, file, "`autoscale`", AUTOSCALE_CHILDREN, d);
                continue;
            }
        }
        c.finish(false, d);
        seen.push((name, here));
    }
    r.finish(true, d);
    a
}

fn lower_jar(node: &KdlNode, file: FileId, d: &mut Diagnostics) -> Option<Jar> {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let uri = r.arg::<String>("the jar's URI, e.g. \"local:///opt/flink/usrlib/job.jar\"", d);
    let version = r.req_prop::<String>("version", "\"1.20\"", d);
    let entry_class = r.prop::<String>("entry-class", d);
    r.finish(false, d);
    Some(Jar { uri: uri?, version, entry_class, span })
}

fn lower_component(node: &KdlNode, file: FileId, role: Role, d: &mut Diagnostics) -> Component {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let size = r.prop::<String>("size", d);
    let cpu = r.prop("cpu", d);
    let memory = r.prop("memory", d);
    let replicas = r.prop::<u32>("replicas", d);
    let slots = if role == Role::TaskManager { r.prop::<u32>("slots", d) } else { None };
    r.finish(false, d);
    Component { size, cpu, memory, replicas, slots, span }
}

fn lower_checkpoints(node: &KdlNode, file: FileId, d: &mut Diagnostics) -> Checkpoints {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let every = r.prop("every", d);
    let dir = r.prop::<String>("dir", d);
    let savepoint_dir = r.prop::<String>("savepoint-dir", d);
    let upgrade = r
        .prop::<String>("upgrade", d)
        .filter(|u| one_of(u, &["stateless", "last-state", "savepoint"], "upgrade mode", d).is_some());
    r.finish(false, d);
    Checkpoints { every, dir, savepoint_dir, upgrade, span }
}
