//! Lowers `job` nodes into [`BatchJob`]s. Only the shape is checked here (types, known children,
//! required parts); the rules that need the whole platform (tenants, sizes, quotas) live in `check::job`.
//! Placement (`node-selector`, `toleration`) and single-use children are read by the same helpers as a
//! Spark job's.

use kdl::KdlNode;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::lang::pod::lower_env;
use crate::lang::reader::{NodeReader, one_of, unknown_node};
use crate::lang::spark::{c_span, lower_node_selector, lower_toleration, once};
use crate::model::Platform;
use crate::model::job::{BatchJob, DEFAULT_UID, Resources, ScheduleSpec};
use crate::model::spark::{Concurrency, RestartType, Security};
use crate::source::{FileId, Span, Spanned};

const JOB_CHILDREN: &[&str] = &[
    "image",
    "pull-secret",
    "command",
    "args",
    "resources",
    "env",
    "service-account",
    "security",
    "priority-class",
    "node-selector",
    "toleration",
    "restart",
    "retries",
    "deadline",
    "ttl",
    "parallelism",
    "schedule",
    "metrics",
    "alert",
];

/// Children that may appear once.
const SINGLE: &[&str] = &[
    "image",
    "command",
    "args",
    "resources",
    "service-account",
    "security",
    "priority-class",
    "restart",
    "retries",
    "deadline",
    "ttl",
    "parallelism",
    "schedule",
];

pub fn lower_job(node: &KdlNode, file: FileId, p: &mut Platform, d: &mut Diagnostics) {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let name = r.arg::<String>("the job's name", d);
    let tenant = r.req_prop::<String>("tenant", "\"analytics\"", d);
    let exclusive_group = r.prop::<String>("exclusive-group", d);
    let expected_runtime = r.prop("expected-runtime", d);
    let spot = r.prop::<bool>("spot", d);

    let mut job = BatchJob {
        name: Spanned::new(String::new(), span),
        tenant: Spanned::new(String::new(), span),
        span,
        exclusive_group,
        expected_runtime,
        spot,
        alerts: Vec::new(),
        image: None,
        pull_policy: None,
        pull_secrets: Vec::new(),
        command: Vec::new(),
        args: Vec::new(),
        resources: None,
        env: Vec::new(),
        service_account: None,
        security: Spanned::new(Security::Restricted { run_as_user: DEFAULT_UID }, span),
        priority_class: None,
        node_selector: Vec::new(),
        tolerations: Vec::new(),
        restart: None,
        retries: None,
        deadline: None,
        ttl: None,
        parallelism: None,
        completions: None,
        schedule: None,
        metrics: Vec::new(),
    };
    let mut seen: std::collections::HashMap<&'static str, Option<Span>> = std::collections::HashMap::new();
    for child in r.children() {
        let mut c = NodeReader::new(child, file);
        let child_name = c.name();
        if let Some(k) = SINGLE.iter().find(|k| **k == child_name).copied()
            && !once(seen.entry(k).or_insert(None), child, file, d)
        {
            continue;
        }
        match child_name {
            "image" => {
                job.image = c.arg::<String>("the container image, e.g. \"ghcr.io/dbt-labs/dbt-postgres:1.8.2\"", d);
                job.pull_policy = c
                    .prop::<String>("pull-policy", d)
                    .filter(|v| one_of(v, &["IfNotPresent", "Always", "Never"], "image pull policy", d).is_some());
                c.finish(false, d);
            }
            "pull-secret" => {
                job.pull_secrets.extend(c.arg::<String>("the name of an image pull Secret", d));
                c.finish(false, d);
            }
            "command" => {
                job.command = c.rest_args::<String>("the command and its first words, e.g. \"dbt\" \"run\"", d);
                if job.command.is_empty() {
                    c.arg::<String>("the command, e.g. \"dbt\"", d);
                }
                c.finish(false, d);
            }
            "args" => {
                job.args = c.rest_args::<String>("argument", d);
                c.finish(false, d);
            }
            "resources" => {
                job.resources = Some(Resources {
                    span: c.name_span(),
                    size: c.prop("size", d),
                    cpu: c.prop("cpu", d),
                    memory: c.prop("memory", d),
                });
                c.finish(false, d);
            }
            "env" => job.env.extend(lower_env(child, file, d)),
            "service-account" => {
                job.service_account = c.arg::<String>("the name of an existing ServiceAccount", d);
                c.finish(false, d);
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
                                    "strata::job::security",
                                    "`run-as-user` has no effect with `security \"none\"`",
                                )
                                .at(u.span, "ignored")
                                .also(level.span, "the job opts out of the restricted settings here")
                                .help("remove `run-as-user`, or use `security \"restricted\" run-as-user=...`"),
                            );
                        }
                        job.security = Spanned::new(Security::None, level.span);
                    } else {
                        let uid = run_as_user.map_or(DEFAULT_UID, |u| u.value);
                        job.security = Spanned::new(Security::Restricted { run_as_user: uid }, level.span);
                    }
                }
            }
            "priority-class" => {
                job.priority_class = c.arg::<String>("the priority class's name", d);
                c.finish(false, d);
            }
            "node-selector" => job.node_selector.extend(lower_node_selector(c, d)),
            "toleration" => job.tolerations.push(lower_toleration(c, child, file, d)),
            "restart" => {
                let kind = c.arg::<String>("the pods' restart policy (\"Never\" or \"OnFailure\")", d);
                c.finish(false, d);
                job.restart = kind.and_then(|k| {
                    let t = match one_of(&k, RestartType::NAMES, "restart policy", d)? {
                        "OnFailure" => RestartType::OnFailure,
                        "Always" => RestartType::Always,
                        _ => RestartType::Never,
                    };
                    Some(Spanned::new(t, k.span))
                });
            }
            "retries" => {
                job.retries = c.arg::<u64>("how often a failed run is retried (the Job's backoffLimit)", d);
                c.finish(false, d);
            }
            "deadline" => {
                job.deadline = c.arg("how long a run may take in all, e.g. \"2h\"", d);
                c.finish(false, d);
            }
            "ttl" => {
                job.ttl = c.arg("how long a finished run is kept, e.g. \"1d\"", d);
                c.finish(false, d);
            }
            "parallelism" => {
                job.parallelism = c.arg::<u64>("how many pods run at once", d);
                job.completions = c.prop::<u64>("completions", d);
                c.finish(false, d);
            }
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
                let starting_deadline = c.prop("starting-deadline", d);
                let successful_history = c.prop::<u64>("successful-history", d);
                let failed_history = c.prop::<u64>("failed-history", d);
                let suspend = c.prop::<bool>("suspend", d);
                c.finish(false, d);
                if let Some(cron) = cron {
                    job.schedule = Some(ScheduleSpec {
                        span: c_span(child, file),
                        cron,
                        time_zone,
                        concurrency,
                        starting_deadline,
                        successful_history,
                        failed_history,
                        suspend,
                    });
                }
            }
            "metrics" => job.metrics.extend(crate::lang::monitoring::lower_metrics(child, file, d)),
            "alert" => job.alerts.extend(crate::lang::monitoring::lower_alert(child, file, d)),
            _ => unknown_node(child, file, "`job`", JOB_CHILDREN, d),
        }
    }
    r.finish(true, d);

    let (Some(name), Some(tenant)) = (name, tenant) else { return };
    let missing = |what: &str, example: &str, d: &mut Diagnostics| {
        d.push(
            Diagnostic::error("strata::job::missing", format!("job `{}` needs `{what}`", name.value))
                .at(span, format!("`{what}` is missing"))
                .help(format!("add it inside the job's block, e.g. `{example}`")),
        );
    };
    if job.image.is_none() && !seen.contains_key("image") {
        missing("image", "image \"ghcr.io/dbt-labs/dbt-postgres:1.8.2\"", d);
    }
    if job.resources.is_none() && !seen.contains_key("resources") {
        missing("resources", "resources size=\"s\"", d);
    }
    job.name = name;
    job.tenant = tenant;
    p.jobs.jobs.push(job);
}

#[cfg(test)]
mod tests {
    use crate::test_support::compile;

    #[test]
    fn shape_errors_are_spanned_diagnostics() {
        let c = compile(
            r#"
tenant "a" { network "open"; }
job "x" tenant="a" {
    image "registry.acme.io/x:1.0.0"
    image "registry.acme.io/x:1.0.1"
    resource size="s"
    restart "Sometimes"
}
"#,
        );
        let found: Vec<(&str, String)> =
            c.diagnostics.iter().filter(|d| d.is_error()).map(|d| (d.code, d.message.clone())).collect();
        let has = |code: &str, text: &str| found.iter().any(|(c, m)| *c == code && m.contains(text));
        assert!(has("strata::spec::duplicate-node", "`image` is given twice"), "{found:?}");
        assert!(has("strata::spec::unknown-node", "`resource`"), "{found:?}");
        assert!(has("strata::spec::invalid-value", "restart policy"), "{found:?}");
        assert!(has("strata::job::missing", "`resources`"), "{found:?}");
    }
}
