//! Lowers `spark-job` nodes into [`SparkJob`]s. Only the shape is checked here (types, known children,
//! required parts); the rules that need the whole platform (tenants, sizes, quotas) live in `check::spark`.

use kdl::{KdlNode, KdlValue};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::lang::reader::{FromKdl, NodeReader, Scalar, ValueError, one_of, unknown_node};
use crate::model::Platform;
use crate::model::spark::{
    AppType, Concurrency, Deps, ExecutorSpec, RestartSpec, RestartType, RoleSpec, SPARK_IMAGE_UID, ScheduleSpec,
    Security, SparkJob, SparkMemory, Toleration, parse_spark_memory,
};
use crate::source::{FileId, Span, Spanned};

const JOB_CHILDREN: &[&str] = &[
    "image",
    "pull-secret",
    "main",
    "args",
    "conf",
    "hadoop-conf",
    "deps",
    "driver",
    "executors",
    "memory-overhead-factor",
    "restart",
    "ttl",
    "priority-class",
    "node-selector",
    "toleration",
    "schedule",
    "security",
    "alert",
];

const DEPS_CHILDREN: &[&str] =
    &["jars", "files", "py-files", "archives", "packages", "exclude-packages", "repositories"];

impl FromKdl for SparkMemory {
    const EXPECTED: &'static str = "a Spark memory size (`4g`, `512m`)";
    fn from_kdl(v: &KdlValue) -> Result<Self, ValueError> {
        match v {
            KdlValue::String(s) => parse_spark_memory(s).map_err(|e| ValueError { message: e.message, help: e.help }),
            KdlValue::Integer(i) => Err(ValueError {
                message: format!("{i} has no unit"),
                help: format!("write the size in quotes with a unit: \"{i}m\" or \"{i}g\""),
            }),
            _ => Err(ValueError {
                message: "expected a Spark memory size".into(),
                help: "write it in quotes with a unit: \"4g\", \"512m\"".into(),
            }),
        }
    }
}

/// A plain number such as a memory overhead factor (`0.2`).
struct Factor(f64);

impl FromKdl for Factor {
    const EXPECTED: &'static str = "a number such as 0.2";
    fn from_kdl(v: &KdlValue) -> Result<Self, ValueError> {
        let f = match v {
            KdlValue::Float(f) => *f,
            KdlValue::Integer(i) => *i as f64,
            KdlValue::String(s) => s.trim().parse::<f64>().map_err(|_| ValueError {
                message: format!("`{s}` is not a number"),
                help: "write the factor without quotes, e.g. 0.2".into(),
            })?,
            _ => {
                return Err(ValueError { message: "expected a number".into(), help: "write e.g. 0.2".into() });
            }
        };
        if !f.is_finite() || f < 0.0 {
            return Err(ValueError {
                message: format!("{f} is not a usable factor"),
                help: "use a positive fraction of the memory, e.g. 0.1 (10%)".into(),
            });
        }
        Ok(Factor(f))
    }
}

/// Reports a child node given twice where only one makes sense.
pub(crate) fn once(first: &mut Option<Span>, node: &KdlNode, file: FileId, d: &mut Diagnostics) -> bool {
    let here = Span::from_kdl(file, node.name().span());
    if let Some(prev) = first {
        d.push(
            Diagnostic::error("strata::spec::duplicate-node", format!("`{}` is given twice", node.name().value()))
                .at(here, "given again here")
                .also(*prev, "first given here")
                .help("keep one of them"),
        );
        return false;
    }
    *first = Some(here);
    true
}

fn scalar_string(v: Spanned<Scalar>) -> Spanned<String> {
    v.map(|s| s.to_string())
}

pub fn lower_spark_job(node: &KdlNode, file: FileId, p: &mut Platform, d: &mut Diagnostics) {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let name = r.arg::<String>("the job's name", d);
    let tenant = r.req_prop::<String>("tenant", "\"analytics\"", d);
    let exclusive_group = r.prop::<String>("exclusive-group", d);
    let expected_runtime = r.prop("expected-runtime", d);
    let spot = r.prop::<bool>("spot", d);

    let mut image = None;
    let mut spark_version = None;
    let mut pull_policy = None;
    let mut pull_secrets = Vec::new();
    let mut main_span = None;
    let mut main_file = None;
    let mut main_class = None;
    let mut app_type = None;
    let mut args = Vec::new();
    let mut conf = Vec::new();
    let mut hadoop_conf = Vec::new();
    let mut deps = Deps::default();
    let mut driver = None;
    let mut executors = None;
    let mut memory_overhead_factor = None;
    let mut restart = None;
    let mut ttl = None;
    let mut priority_class = None;
    let mut node_selector = Vec::new();
    let mut tolerations = Vec::new();
    let mut schedule = None;
    let mut security = None;
    let mut alerts = Vec::new();
    // Where each single-use child was first given, for "given twice".
    let mut seen: std::collections::HashMap<&'static str, Option<Span>> = std::collections::HashMap::new();

    for child in r.children() {
        let mut c = NodeReader::new(child, file);
        let child_name = c.name();
        let key = JOB_CHILDREN.iter().find(|k| **k == child_name).copied();
        let single = matches!(
            key,
            Some(
                "image"
                    | "main"
                    | "args"
                    | "deps"
                    | "driver"
                    | "executors"
                    | "memory-overhead-factor"
                    | "restart"
                    | "ttl"
                    | "priority-class"
                    | "schedule"
                    | "security"
            )
        );
        if let Some(k) = key
            && single
        {
            let first = seen.entry(k).or_insert(None);
            if !once(first, child, file, d) {
                continue;
            }
        }
        match child_name {
            "image" => {
                image = c.arg::<String>("the container image, e.g. \"registry.acme.io/agg:1.4.2\"", d);
                spark_version = c.req_prop::<String>("spark-version", "\"3.5.1\"", d);
                pull_policy = c
                    .prop::<String>("pull-policy", d)
                    .filter(|v| one_of(v, &["IfNotPresent", "Always", "Never"], "image pull policy", d).is_some());
                c.finish(false, d);
            }
            "pull-secret" => {
                pull_secrets.extend(c.arg::<String>("the name of an image pull Secret", d));
                c.finish(false, d);
            }
            "main" => {
                main_span = Some(c.name_span());
                main_file = c.arg::<String>("the application file, e.g. \"local:///opt/app.jar\"", d);
                main_class = c.prop::<String>("class", d);
                app_type = c.prop::<String>("type", d).and_then(|t| {
                    let s = one_of(&t, AppType::NAMES, "Spark application type", d)?;
                    Some(Spanned::new(AppType::parse(s)?, t.span))
                });
                c.finish(false, d);
            }
            "args" => {
                args = c.rest_args::<String>("argument", d);
                c.finish(false, d);
            }
            "conf" | "hadoop-conf" => {
                let k = c.arg::<String>("the configuration key", d);
                let v = c.arg::<Scalar>("the value", d);
                c.finish(false, d);
                if let (Some(k), Some(v)) = (k, v) {
                    let target = if child_name == "conf" { &mut conf } else { &mut hadoop_conf };
                    target.push((k, scalar_string(v)));
                }
            }
            "deps" => {
                for dep in c.children() {
                    let mut dr = NodeReader::new(dep, file);
                    let list = match dr.name() {
                        "jars" => &mut deps.jars,
                        "files" => &mut deps.files,
                        "py-files" => &mut deps.py_files,
                        "archives" => &mut deps.archives,
                        "packages" => &mut deps.packages,
                        "exclude-packages" => &mut deps.exclude_packages,
                        "repositories" => &mut deps.repositories,
                        _ => {
                            unknown_node(dep, file, "`deps`", DEPS_CHILDREN, d);
                            continue;
                        }
                    };
                    let items = dr.rest_args::<String>("entry", d);
                    if items.is_empty() {
                        dr.arg::<String>("at least one entry", d);
                    }
                    list.extend(items);
                    dr.finish(false, d);
                }
                c.finish(true, d);
            }
            "driver" => {
                driver = Some(lower_role(&mut c, d));
                c.finish(false, d);
            }
            "executors" => {
                let instances = c.opt_arg::<u64>("count", d);
                let min = c.prop::<u64>("min", d);
                let max = c.prop::<u64>("max", d);
                let initial = c.prop::<u64>("initial", d);
                let role = lower_role(&mut c, d);
                c.finish(false, d);
                executors = Some(ExecutorSpec { role, instances, min, max, initial });
            }
            "memory-overhead-factor" => {
                memory_overhead_factor = c.arg::<Factor>("the overhead factor, e.g. 0.2", d).map(|f| f.map(|f| f.0));
                c.finish(false, d);
            }
            "restart" => {
                let kind = c.arg::<String>("the restart policy (\"Never\", \"OnFailure\" or \"Always\")", d);
                let retries = c.prop::<u64>("retries", d);
                let retry_interval = c.prop("retry-interval", d);
                let submission_retries = c.prop::<u64>("submission-retries", d);
                let submission_retry_interval = c.prop("submission-retry-interval", d);
                c.finish(false, d);
                let kind = kind.and_then(|k| {
                    let t = match one_of(&k, RestartType::NAMES, "restart policy", d)? {
                        "OnFailure" => RestartType::OnFailure,
                        "Always" => RestartType::Always,
                        _ => RestartType::Never,
                    };
                    Some(Spanned::new(t, k.span))
                });
                if let Some(kind) = kind {
                    restart = Some(RestartSpec {
                        span: c_span(child, file),
                        kind,
                        retries,
                        retry_interval,
                        submission_retries,
                        submission_retry_interval,
                    });
                }
            }
            "ttl" => {
                ttl = c.arg("how long a finished run is kept, e.g. \"1d\"", d);
                c.finish(false, d);
            }
            "priority-class" => {
                priority_class = c.arg::<String>("the priority class's name", d);
                c.finish(false, d);
            }
            "node-selector" => node_selector.extend(lower_node_selector(c, d)),
            "toleration" => tolerations.push(lower_toleration(c, child, file, d)),
            "schedule" => {
                let cron = c.arg::<String>("a cron expression, e.g. \"0 2 * * *\"", d);
                let time_zone = c.prop::<String>("timezone", d);
                let concurrency = c.prop::<String>("concurrency", d).and_then(|v| {
                    let s = match one_of(&v, Concurrency::NAMES, "concurrency policy", d)? {
                        "Allow" => Concurrency::Allow,
                        "Replace" => Concurrency::Replace,
                        _ => Concurrency::Forbid,
                    };
                    Some(Spanned::new(s, v.span))
                });
                let successful_history = c.prop::<u64>("successful-history", d);
                let failed_history = c.prop::<u64>("failed-history", d);
                let suspend = c.prop::<bool>("suspend", d);
                c.finish(false, d);
                if let Some(cron) = cron {
                    schedule = Some(ScheduleSpec {
                        span: c_span(child, file),
                        cron,
                        time_zone,
                        concurrency,
                        successful_history,
                        failed_history,
                        suspend,
                    });
                }
            }
            "security" => {
                let level = c.arg::<String>("the pod security (\"restricted\" or \"none\")", d);
                let run_as_user = c.prop::<u64>("run-as-user", d);
                c.finish(false, d);
                if let Some(level) = level
                    && let Some(l) = one_of(&level, &["restricted", "none"], "pod security setting", d)
                {
                    if l == "none" {
                        if let Some(u) = &run_as_user {
                            d.push(
                                Diagnostic::error(
                                    "strata::spark::security",
                                    "`run-as-user` has no effect with `security \"none\"`",
                                )
                                .at(u.span, "ignored")
                                .also(level.span, "the job opts out of the restricted settings here")
                                .help("remove `run-as-user`, or use `security \"restricted\" run-as-user=...`"),
                            );
                        }
                        security = Some(Spanned::new(Security::None, level.span));
                    } else {
                        let uid = run_as_user.map_or(SPARK_IMAGE_UID, |u| u.value);
                        security = Some(Spanned::new(Security::Restricted { run_as_user: uid }, level.span));
                    }
                }
            }
            "alert" => alerts.extend(crate::lang::monitoring::lower_alert(child, file, d)),
            _ => unknown_node(child, file, "`spark-job`", JOB_CHILDREN, d),
        }
    }
    r.finish(true, d);

    let (Some(name), Some(tenant)) = (name, tenant) else { return };
    let missing = |what: &str, example: &str, d: &mut Diagnostics| {
        d.push(
            Diagnostic::error("strata::spark::missing", format!("spark-job `{}` needs `{what}`", name.value))
                .at(span, format!("`{what}` is missing"))
                .help(format!("add it inside the job's block, e.g. `{example}`")),
        );
    };
    if image.is_none() && !seen.contains_key("image") {
        missing("image", "image \"apache/spark:3.5.1\" spark-version=\"3.5.1\"", d);
    }
    if main_file.is_none() && !seen.contains_key("main") {
        missing("main", "main \"local:///opt/app.jar\" class=\"com.acme.Main\"", d);
    }
    if executors.is_none() && !seen.contains_key("executors") {
        missing("executors", "executors 4 size=\"m\"", d);
    }
    p.spark.jobs.push(SparkJob {
        alerts,
        security: security.unwrap_or(Spanned::new(Security::Restricted { run_as_user: SPARK_IMAGE_UID }, span)),
        name,
        tenant,
        span,
        image,
        spark_version,
        pull_policy,
        pull_secrets,
        main_span,
        main_file,
        main_class,
        app_type,
        args,
        conf,
        hadoop_conf,
        deps,
        driver,
        executors,
        memory_overhead_factor,
        restart,
        ttl,
        priority_class,
        node_selector,
        tolerations,
        schedule,
        exclusive_group,
        expected_runtime,
        spot,
    });
}

pub(crate) fn c_span(node: &KdlNode, file: FileId) -> Span {
    Span::from_kdl(file, node.name().span())
}

/// `node-selector "key" "value"`: one label the pod's node must carry.
pub(crate) fn lower_node_selector(
    mut c: NodeReader<'_>,
    d: &mut Diagnostics,
) -> Option<(Spanned<String>, Spanned<String>)> {
    let k = c.arg::<String>("the node label's key", d);
    let v = c.arg::<String>("the node label's value", d);
    c.finish(false, d);
    Some((k?, v?))
}

/// `toleration "key" operator=... value=... effect=... seconds=...`.
pub(crate) fn lower_toleration(mut c: NodeReader<'_>, node: &KdlNode, file: FileId, d: &mut Diagnostics) -> Toleration {
    let key = c.opt_arg::<String>("the taint's key", d);
    let operator = c.prop::<String>("operator", d);
    let value = c.prop::<String>("value", d);
    let effect = c.prop::<String>("effect", d);
    let seconds = c.prop::<u64>("seconds", d);
    c.finish(false, d);
    Toleration { span: c_span(node, file), key, operator, value, effect, seconds }
}

fn lower_role(c: &mut NodeReader<'_>, d: &mut Diagnostics) -> RoleSpec {
    let before = d.error_count();
    let mut r = RoleSpec {
        span: c.name_span(),
        size: c.prop("size", d),
        cores: c.prop("cores", d),
        memory: c.prop("memory", d),
        core_request: c.prop("core-request", d),
        core_limit: c.prop("core-limit", d),
        memory_overhead: c.prop("memory-overhead", d),
        invalid: false,
    };
    r.invalid = d.error_count() > before;
    r
}

#[cfg(test)]
mod tests {
    use crate::test_support::compile_spec as compile;

    fn codes(spec: &'static str) -> Vec<(&'static str, String)> {
        let c = compile(spec);
        c.diagnostics.iter().filter(|d| d.is_error()).map(|d| (d.code, d.message.clone())).collect()
    }

    #[test]
    fn shape_errors_are_spanned_diagnostics() {
        let found = codes(
            r#"
platform "t"
tenant "a"
spark-job "x" tenant="a" {
    image "apache/spark:3.5.1" spark-version="3.5.1"
    image "apache/spark:3.5.2" spark-version="3.5.2"
    main "local:///opt/app.jar" class="com.acme.Main"
    executor 2 size="s"
    executors 2 size="s" memory=4
    restart "Sometimes"
}
"#,
        );
        let has = |code: &str, text: &str| found.iter().any(|(c, m)| *c == code && m.contains(text));
        assert!(has("strata::spec::duplicate-node", "`image` is given twice"), "{found:?}");
        assert!(has("strata::spec::unknown-node", "`executor`"), "{found:?}");
        assert!(has("strata::spec::type", "4 has no unit"), "{found:?}");
        assert!(has("strata::spec::invalid-value", "restart policy"), "{found:?}");
    }

    #[test]
    fn a_job_without_a_name_or_tenant_is_reported_not_dropped_silently() {
        let found = codes("platform \"t\"\nspark-job {\n}\n");
        assert!(found.iter().any(|(c, _)| *c == "strata::spec::missing-argument"), "{found:?}");
        assert!(found.iter().any(|(c, _)| *c == "strata::spec::missing-property"), "{found:?}");
    }
}
