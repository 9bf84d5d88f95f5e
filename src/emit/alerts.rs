//! Alerts for the platform's `monitoring`: one Prometheus Operator `PrometheusRule` named `strata-alerts`
//! per tenant that has something to alert on, in the tenant's namespace, with one rule group
//! `strata.<tenant>`. strata knows each job's checkpoint interval, each scheduled run, each consumer group
//! and autoscaler target and each topic's `min.insync.replicas`, so the thresholds come from the spec
//! rather than from a copied dashboard: a checkpoint is slow when it takes longer than the interval it was
//! declared with, a consumer group lags when even the autoscaler's maximum replicas would each be behind
//! their lag target.
//!
//! Every rule carries the platform's `alert-label`s, a `severity`, the `tenant` and (when the tenant has a
//! `team` label) the `team`, for Alertmanager's routing, and a `subject` label naming the object alerted on
//! (which keeps two rules of one group distinct, and which `strata diff` uses to tell one from another);
//! and the annotations `summary`, `runbook` (what the alert means and what to check, written by strata),
//! `tenant` and `source` (the spec's `file:line` that caused it).
//!
//! The metrics come from three exporters the platform runs beside strata: the Flink Prometheus reporter
//! strata turns on (scraped through the job's PodMonitor), kube-state-metrics (Spark driver pods), and the
//! Kafka Exporter of the Strimzi `Kafka` resource (`spec.kafkaExporter`; consumer lag and in-sync replicas
//! are not broker metrics). This emitter runs after the others because it needs the spec's source map for
//! `source`; it reads only the resolved platform, like every emitter.

use std::collections::BTreeMap;

use crate::crd::CustomResource as _;
use crate::crd::prometheus::{PrometheusRule, PrometheusRuleSpec, Rule, RuleGroup};
use crate::crd::strimzi::AclOperation;
use crate::emit::meta;
use crate::manifest::{Census, ManifestSet, Placement, Stage};
use crate::model::kafka::{ResourceType, config};
use crate::model::monitoring::{AlertOverride, JOB_OVERDUE, Monitoring, Overdue, SPARK_OVERDUE, override_of};
use crate::model::resolved::app::Autoscaler;
use crate::model::resolved::flink::FlinkJob;
use crate::model::resolved::job::BatchJob;
use crate::model::resolved::kafka::{Topic, User};
use crate::model::resolved::spark::SparkJob;
use crate::model::resolved::{ResolvedPlatform, Tenant};
use crate::source::{SourceMap, Span};
use crate::units::Duration;

/// The name of every tenant's PrometheusRule.
pub const RULE_NAME: &str = "strata-alerts";
/// The tenant label whose value becomes the alerts' `team` label.
pub const TEAM_LABEL: &str = "team";
/// The label naming the object an alert is about (`flink-job clickstream`). Two rules of one group with
/// the same name and labels are duplicates to Prometheus (`promtool check rules` refuses them), and
/// `strata diff` keys rules by alert name and subject.
pub const SUBJECT_LABEL: &str = "subject";
/// The annotation with the spec's `file:line` that caused the alert.
pub const SOURCE_ANNOTATION: &str = "source";

/// The lag a consumer group may build before it alerts when no autoscaler says what it can take.
pub const DEFAULT_LAG_THRESHOLD: u64 = 1000;
/// How long lag must stay above its threshold: a consumer catching up after a deploy is not an incident.
const LAG_FOR: Duration = Duration(10 * 60_000);
/// How long a partition must stay under its minimum ISR: a broker's rolling restart shrinks the ISR for
/// seconds, not minutes.
const MIN_ISR_FOR: Duration = Duration(5 * 60_000);
/// The shortest window the checkpoint alerts look over (and hold for), whatever the interval.
const MIN_CHECKPOINT_WINDOW: Duration = Duration(5 * 60_000);
/// The window the restart alert counts restarts in.
const RESTART_WINDOW: Duration = Duration(15 * 60_000);
/// `job.autoscaler.stabilization.interval`'s default: the operator's autoscaler rescales (a restart, which
/// `numRestarts` counts) at most once per interval (flink-kubernetes-operator
/// `flink-autoscaler/src/main/java/org/apache/flink/autoscaler/config/AutoScalerOptions.java`,
/// `STABILIZATION_INTERVAL`, `Duration.ofMinutes(5)`, release-1.15.0).
const DEFAULT_STABILIZATION: Duration = Duration(5 * 60_000);

// Metric names, each from its exporter's own documentation:
// - Flink: apache/flink `docs/content/docs/ops/metrics.md` ("Checkpointing" and "Availability": job scope,
//   only on the JobManager; `lastCheckpointDuration` in milliseconds), named by the Prometheus reporter as
//   `flink_<logical scope>_<name>` with the scope variables as labels (`docs/content/docs/deployment/
//   metric_reporters.md`, "Prometheus").
const FLINK_FAILED_CHECKPOINTS: &str = "flink_jobmanager_job_numberOfFailedCheckpoints";
const FLINK_LAST_CHECKPOINT_DURATION: &str = "flink_jobmanager_job_lastCheckpointDuration";
const FLINK_RESTARTS: &str = "flink_jobmanager_job_numRestarts";
// - kube-state-metrics `docs/metrics/workload/pod-metrics.md`: `kube_pod_status_phase{namespace, pod,
//   phase}` and `kube_pod_labels` with a `label_<name>` per pod label its `--metric-labels-allowlist` admits.
const POD_PHASE: &str = "kube_pod_status_phase";
const POD_LABELS: &str = "kube_pod_labels";
const POD_COMPLETION_TIME: &str = "kube_pod_completion_time";
// - kube-state-metrics `docs/metrics/workload/cronjob-metrics.md`: `kube_cronjob_status_last_successful_time`
//   (the CronJob's `status.lastSuccessfulTime`, absent until a run succeeded), `kube_cronjob_created` and
//   `kube_cronjob_spec_suspend`, each `{namespace, cronjob}`, times in Unix seconds.
const CRONJOB_LAST_SUCCESS: &str = "kube_cronjob_status_last_successful_time";
const CRONJOB_CREATED: &str = "kube_cronjob_created";
const CRONJOB_SUSPENDED: &str = "kube_cronjob_spec_suspend";
// - danielqsj/kafka_exporter `README.md` ("Metrics"), which Strimzi runs as its Kafka Exporter:
//   `kafka_consumergroup_lag{consumergroup, topic, partition}` and
//   `kafka_topic_partition_in_sync_replica{topic, partition}`.
const CONSUMER_LAG: &str = "kafka_consumergroup_lag";
const IN_SYNC_REPLICAS: &str = "kafka_topic_partition_in_sync_replica";

/// The labels Spark and the kubeflow operator put on a driver pod, as kube-state-metrics names them:
/// `spark-role=driver` (Spark's) and `sparkoperator.k8s.io/app-name=<SparkApplication>` (kubeflow/
/// spark-operator `pkg/common/spark.go`, `LabelSparkRole` and `LabelSparkAppName`).
const KSM_SPARK_ROLE: &str = "label_spark_role";
const KSM_SPARK_APP_NAME: &str = "label_sparkoperator_k8s_io_app_name";

/// How urgent an alert is, as its `severity` label says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Severity {
    Warning,
    /// Data is at risk now (writes refused).
    Critical,
}

impl Severity {
    fn of(name: &str) -> Option<Severity> {
        match name {
            "warning" => Some(Severity::Warning),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// One alert before it becomes a rule.
#[derive(Debug, Clone)]
struct Alert {
    name: &'static str,
    subject: String,
    expr: String,
    hold: Option<Duration>,
    severity: Severity,
    summary: String,
    runbook: String,
    /// What in the spec caused it.
    span: Span,
}

pub fn emit(p: &ResolvedPlatform, sources: &SourceMap, set: &mut ManifestSet) {
    let Some(m) = &p.monitoring else { return };
    for (t, alerts) in alerting(p) {
        set.add_custom(
            &prometheus_rule(m, t, &alerts, sources),
            Placement { stage: Stage::Workloads, tenant: Some(t.name().to_string()), span: t.spec.name.span },
        );
    }
}

/// The objects [`emit`] adds, as headers ([`Census`]): a tenant gets its rule when it has an alert.
pub fn census(p: &ResolvedPlatform, c: &mut Census) {
    if p.monitoring.is_none() {
        return;
    }
    for (t, _) in alerting(p) {
        let at = Placement { stage: Stage::Workloads, tenant: Some(t.name().to_string()), span: t.spec.name.span };
        c.add(crate::crd::prometheus::API_VERSION, PrometheusRule::KIND, RULE_NAME, Some(t.namespace()), at);
    }
}

/// Every tenant with at least one alert, in tenant order, with its alerts.
fn alerting(p: &ResolvedPlatform) -> Vec<(&Tenant, Vec<Alert>)> {
    // Grouped by tenant once: a filter per tenant over every workload grows with tenants × workloads.
    let mut by_tenant: BTreeMap<&str, Owned> = BTreeMap::new();
    for job in &p.flink {
        by_tenant.entry(job.tenant.name.as_str()).or_default().flink.push(job);
    }
    for job in &p.spark {
        by_tenant.entry(job.tenant.name.as_str()).or_default().spark.push(job);
    }
    for job in p.jobs.iter().filter(|j| j.spec.schedule.is_some()) {
        by_tenant.entry(job.tenant.name.as_str()).or_default().scheduled_jobs.push(job);
    }
    for user in &p.kafka.users {
        if let Some(t) = &user.tenant {
            by_tenant.entry(t.as_str()).or_default().users.push(user);
        }
    }
    for topic in &p.kafka.topics {
        if let Some(t) = &topic.tenant {
            by_tenant.entry(t.as_str()).or_default().topics.push(topic);
        }
    }
    let monitors = crate::emit::monitoring::flink_monitor_names(p);
    let mut out = Vec::new();
    for t in &p.tenants {
        let Some(owned) = by_tenant.get(t.name()) else { continue };
        let alerts = tenant_alerts(p, owned, &monitors);
        if !alerts.is_empty() {
            out.push((t, alerts));
        }
    }
    out
}

/// What one tenant owns that can be alerted on, in spec order.
#[derive(Default)]
struct Owned<'p> {
    flink: Vec<&'p FlinkJob>,
    spark: Vec<&'p SparkJob>,
    scheduled_jobs: Vec<&'p BatchJob>,
    users: Vec<&'p User>,
    topics: Vec<&'p Topic>,
}

/// Every alert of one tenant, in a fixed order: Flink jobs, Spark jobs, consumer groups, topics, each in
/// spec order. A Flink job without a PodMonitor has no series to alert on.
fn tenant_alerts(p: &ResolvedPlatform, owned: &Owned, monitors: &BTreeMap<(&str, &str), String>) -> Vec<Alert> {
    let mut out = Vec::new();
    let mut seen_groups = std::collections::BTreeSet::new();
    for job in &owned.flink {
        if let Some(monitor) = monitors.get(&(job.tenant.namespace.as_str(), job.spec.name.value.as_str())) {
            out.extend(overridden(flink_alerts(job, monitor), &job.spec.alerts));
        }
    }
    for job in &owned.spark {
        let alerts = std::iter::once(spark_alert(job)).chain(spark_overdue_alert(job)).collect();
        out.extend(overridden(alerts, &job.spec.alerts));
    }
    for job in &owned.scheduled_jobs {
        out.extend(overridden(cronjob_overdue_alert(job).into_iter().collect(), &job.spec.alerts));
    }
    for user in &owned.users {
        out.extend(overridden(lag_alerts(p, user, &mut seen_groups), &user.spec.alerts));
    }
    for topic in &owned.topics {
        out.extend(overridden(min_isr_alert(topic).into_iter().collect(), &topic.spec.alerts));
    }
    out
}

/// `alerts` with the spec's `alert` overrides applied: a disabled alert dropped, `for=` and `severity=`
/// replaced (each builder has already used `threshold=`, which only it knows how to write into its
/// expression).
fn overridden(alerts: Vec<Alert>, overrides: &[AlertOverride]) -> Vec<Alert> {
    alerts
        .into_iter()
        .filter_map(|mut a| {
            let Some(o) = override_of(overrides, a.name) else { return Some(a) };
            if o.disabled() {
                return None;
            }
            if let Some(hold) = &o.hold {
                a.hold = (hold.value.0 > 0).then_some(hold.value);
            }
            if let Some(severity) = o.severity.as_ref().and_then(|s| Severity::of(&s.value)) {
                a.severity = severity;
            }
            Some(a)
        })
        .collect()
}

/// The threshold the spec sets for `alert` (`alert "<name>" threshold=<n>`), as a count.
fn count_override(overrides: &[AlertOverride], alert: &str) -> Option<u64> {
    override_of(overrides, alert).and_then(AlertOverride::count)
}

/// The threshold the spec sets for `alert`, as a duration.
fn duration_override(overrides: &[AlertOverride], alert: &str) -> Option<Duration> {
    override_of(overrides, alert).and_then(AlertOverride::duration)
}

/// What a runbook says about a threshold the spec set rather than strata.
const SET_IN_SPEC: &str = " (The threshold is set by an `alert` override in the spec.)";

fn prometheus_rule(m: &Monitoring, t: &Tenant, alerts: &[Alert], sources: &SourceMap) -> PrometheusRule {
    let mut metadata = meta(RULE_NAME, Some(t.namespace()));
    let labels = m.selector_labels();
    metadata.labels = (!labels.is_empty()).then_some(labels);
    let team = t.spec.labels.iter().find(|(k, _)| k.value == TEAM_LABEL).map(|(_, v)| v.value.clone());
    let rules = alerts
        .iter()
        .map(|a| {
            // The platform's routing labels first: strata's own say what this alert is and win on a clash.
            let mut labels: BTreeMap<String, String> =
                m.alert_labels.iter().map(|(k, v)| (k.value.clone(), v.value.clone())).collect();
            labels.insert("severity".to_string(), a.severity.as_str().to_string());
            labels.insert("tenant".to_string(), t.name().to_string());
            labels.insert(SUBJECT_LABEL.to_string(), a.subject.clone());
            if let Some(team) = &team {
                labels.insert("team".to_string(), team.clone());
            }
            let annotations = BTreeMap::from([
                ("summary".to_string(), a.summary.clone()),
                ("runbook".to_string(), a.runbook.clone()),
                ("tenant".to_string(), t.name().to_string()),
                (SOURCE_ANNOTATION.to_string(), sources.origin(a.span)),
            ]);
            Rule {
                alert: a.name.to_string(),
                expr: a.expr.clone(),
                for_: a.hold.map(|d| d.to_string()),
                labels,
                annotations,
            }
        })
        .collect();
    PrometheusRule::new(
        metadata,
        PrometheusRuleSpec { groups: vec![RuleGroup { name: format!("strata.{}", t.name()), interval: None, rules }] },
    )
}

// ---- Flink -------------------------------------------------------------------------------------------

/// The series of one Flink job: the Prometheus Operator labels every target of a PodMonitor without a
/// `jobLabel` with `job="<namespace>/<PodMonitor name>"` (the CRD's `jobLabel` description, 0.93.0), and
/// the job's PodMonitor is named after it (`emit::monitoring`).
fn flink_selector(job: &FlinkJob, monitor: &str) -> String {
    let ns = &job.tenant.namespace;
    format!("namespace={}, job={}", quote(ns), quote(&format!("{ns}/{monitor}")))
}

fn flink_alerts(job: &FlinkJob, monitor: &str) -> Vec<Alert> {
    let name = &job.spec.name.value;
    let ns = &job.tenant.namespace;
    let subject = format!("flink-job {name}");
    let sel = flink_selector(job, monitor);
    let mut out = Vec::new();
    if let Some(every) = job.spec.checkpoints.as_ref().and_then(|c| c.every.as_ref()) {
        // Three checkpoints' worth of time, so one slow store round trip is not a page.
        let window = Duration(every.value.0.saturating_mul(3)).max(MIN_CHECKPOINT_WINDOW);
        let dir = job.spec.checkpoints.as_ref().and_then(|c| c.dir.as_ref()).map(|d| d.value.as_str());
        let storage =
            dir.map_or_else(|| "the checkpoint storage".to_string(), |d| format!("the checkpoint storage `{d}`"));
        let failures = count_override(&job.spec.alerts, "FlinkCheckpointsFailing");
        out.push(Alert {
            name: "FlinkCheckpointsFailing",
            subject: subject.clone(),
            expr: format!("increase({FLINK_FAILED_CHECKPOINTS}{{{sel}}}[{window}]) > {}", failures.unwrap_or(0)),
            hold: None,
            severity: Severity::Warning,
            summary: format!("Flink job {name} failed {{{{ $value }}}} checkpoints in the last {window}"),
            runbook: format!(
                "flink-job `{name}` checkpoints every {every} and some of its checkpoints failed in the last \
                 {window}. Until one completes, a restart replays everything since the last good checkpoint, and \
                 a last-state upgrade rolls back as far. Check: the JobManager log for the failure cause \
                 (`kubectl -n {ns} logs deploy/{name}`); that {storage} is reachable and writable from the \
                 TaskManagers; back-pressure and state size in the Flink UI's Checkpoints tab.{set}",
                every = every.value,
                set = if failures.is_some() { SET_IN_SPEC } else { "" },
            ),
            span: every.span,
        });
        let slow = duration_override(&job.spec.alerts, "FlinkCheckpointTooSlow");
        let limit = slow.unwrap_or(every.value);
        out.push(Alert {
            name: "FlinkCheckpointTooSlow",
            subject: subject.clone(),
            expr: format!("{FLINK_LAST_CHECKPOINT_DURATION}{{{sel}}} > {}", limit.0),
            hold: Some(window),
            severity: Severity::Warning,
            summary: match slow {
                Some(limit) => {
                    format!("Flink job {name}'s last checkpoint took {{{{ $value }}}}ms, longer than {limit}")
                }
                None => format!(
                    "Flink job {name}'s last checkpoint took {{{{ $value }}}}ms, longer than its {} interval",
                    every.value
                ),
            },
            runbook: format!(
                "flink-job `{name}` is declared to checkpoint every {every} ({ms} ms), and for {window} its last \
                 completed checkpoint took longer than that: checkpoints queue up, recovery replays more and the \
                 interval in the spec is not what runs. Check: back-pressure (a barrier waits behind buffered \
                 records), state growth, and {storage}'s throughput; raise the interval in the spec if the state \
                 grew for good.{set}",
                every = every.value,
                ms = every.value.0,
                set = match slow {
                    Some(limit) => format!(" (The alert fires above {limit}, set by an `alert` override in the spec.)"),
                    None => String::new(),
                },
            ),
            span: every.span,
        });
    }
    // The autoscaler's rescales are restarts too: allow one per stabilization interval.
    let autoscale = job.spec.autoscale.as_ref().filter(|a| a.scales());
    let (allowed, span) = match autoscale {
        Some(a) => {
            let stabilization = a.stabilization.as_ref().map_or(DEFAULT_STABILIZATION, |s| s.value).0.max(1);
            (RESTART_WINDOW.0.div_ceil(stabilization), a.span)
        }
        None => (0, job.spec.name.span),
    };
    let restarts = count_override(&job.spec.alerts, "FlinkJobRestarting");
    let allowed = restarts.unwrap_or(allowed);
    let rescales = if restarts.is_some() {
        format!(" More than {allowed} in {RESTART_WINDOW} fire the alert, set by an `alert` override in the spec.")
    } else if autoscale.is_some() {
        format!(
            " Its autoscaler rescales at most once per stabilization interval, and each rescale is a restart: \
             {allowed} in {RESTART_WINDOW} are expected, more are not."
        )
    } else {
        String::new()
    };
    out.push(Alert {
        name: "FlinkJobRestarting",
        subject,
        expr: format!("increase({FLINK_RESTARTS}{{{sel}}}[{RESTART_WINDOW}]) > {allowed}"),
        hold: None,
        severity: Severity::Warning,
        summary: format!("Flink job {name} restarted {{{{ $value }}}} times in the last {RESTART_WINDOW}"),
        runbook: format!(
            "flink-job `{name}` restarted {times} in the last {RESTART_WINDOW}: a task failed and the restart \
             strategy brought it back, replaying from the last checkpoint.{rescales} \
             Check: the exception history in the Flink UI or the JobManager log (`kubectl -n {ns} logs \
             deploy/{name}`); TaskManager pods killed for memory (`kubectl -n {ns} get events`); a poison record \
             in the input.",
            times = if allowed == 0 { "at least once".to_string() } else { format!("more than {allowed} times") },
        ),
        span,
    });
    out
}

// ---- Spark -------------------------------------------------------------------------------------------

fn spark_alert(job: &SparkJob) -> Alert {
    let name = &job.spec.name.value;
    let ns = &job.tenant.namespace;
    // A ScheduledSparkApplication names each run's SparkApplication `<name>-<timestamp>` (kubeflow/
    // spark-operator `internal/controller/scheduledsparkapplication/controller.go`, `createSparkApplication`),
    // and the driver pod's app-name label is the run's name.
    let (app, what, span) = match &job.spec.schedule {
        Some(s) => (
            format!("{KSM_SPARK_APP_NAME}=~{}", quote(&format!("{}-[0-9]+", regex_escape(name)))),
            "a scheduled run of",
            s.span,
        ),
        None => (format!("{KSM_SPARK_APP_NAME}={}", quote(name)), "", job.spec.name.span),
    };
    let ns_q = quote(ns);
    Alert {
        name: "SparkApplicationFailed",
        subject: format!("spark-job {name}"),
        expr: format!(
            "{POD_PHASE}{{namespace={ns_q}, phase=\"Failed\"}} == 1 and on (namespace, pod) \
             {POD_LABELS}{{namespace={ns_q}, {KSM_SPARK_ROLE}=\"driver\", {app}}}"
        ),
        hold: None,
        severity: Severity::Warning,
        summary: format!("Spark job {name}: driver pod {{{{ $labels.pod }}}} failed"),
        runbook: format!(
            "The driver of {what}spark-job `{name}` ended in phase Failed: the application failed{retries}. \
             Check: the driver log (`kubectl -n {ns} logs {{{{ $labels.pod }}}}`) for the exception; `kubectl -n \
             {ns} describe sparkapplication` for the operator's view (submission errors, executor losses); \
             whether the input of this run exists. The alert needs kube-state-metrics to export the pod labels \
             `spark-role` and `sparkoperator.k8s.io/app-name` (`--metric-labels-allowlist=pods=[spark-role,\
             sparkoperator.k8s.io/app-name]`).",
            what = if what.is_empty() { String::new() } else { format!("{what} ") },
            retries = match &job.spec.restart {
                Some(r) if r.retries.is_some() => " after the restart policy's retries",
                _ => "",
            },
        ),
        span,
    }
}

// ---- Scheduled runs ----------------------------------------------------------------------------------

/// Why the threshold is what it is, for the runbook.
fn overdue_why(cron: &str, o: &Overdue) -> String {
    if o.set_in_spec {
        return format!("The threshold of {} is set by an `alert` override in the spec.", o.after);
    }
    format!(
        "`{cron}` leaves at most {} between two runs; with {} for a run to start and finish, no success for {} \
         means at least one run is missing or failed.",
        o.gap, o.slack, o.after
    )
}

/// A CronJob that has not succeeded within its schedule's period plus slack. kube-state-metrics keeps the
/// CronJob's last success on the CronJob itself, so finished Jobs cleaned up by `ttl` do not matter; a
/// CronJob that never succeeded counts from its creation; a suspended one is quiet.
fn cronjob_overdue_alert(job: &BatchJob) -> Option<Alert> {
    let schedule = job.spec.schedule.as_ref()?;
    let overdue = crate::model::monitoring::job_overdue(&job.spec)?;
    let (after, why) = (overdue.after, overdue_why(&schedule.cron.value, &overdue));
    let name = &job.spec.name.value;
    let ns = &job.tenant.namespace;
    let sel = format!("namespace={}, cronjob={}", quote(ns), quote(name));
    Some(Alert {
        name: JOB_OVERDUE,
        subject: format!("job {name}"),
        expr: format!(
            "time() - (({CRONJOB_LAST_SUCCESS}{{{sel}}} or {CRONJOB_CREATED}{{{sel}}}) unless on (namespace, cronjob) \
             {CRONJOB_SUSPENDED}{{{sel}}} == 1) > {}",
            after.0 / 1000
        ),
        hold: None,
        severity: Severity::Warning,
        summary: format!("Scheduled job {name} has not succeeded for {{{{ $value | humanizeDuration }}}}"),
        runbook: format!(
            "The CronJob `{name}` (`schedule \"{cron}\"`, zone {zone}) has not completed a run successfully for more \
             than {after}. {why} Check: its recent Jobs, named `{name}-<minutes>` (`kubectl -n {ns} get jobs`), and the \
             last failed pod's log; \
             `kubectl -n {ns} describe cronjob {name}` for missed schedules (a `concurrencyPolicy: Forbid` run \
             still going blocks the next); quota events (`kubectl -n {ns} get events`). The alert reads \
             kube-state-metrics' CronJob series.",
            cron = schedule.cron.value,
            zone = schedule.time_zone(),
        ),
        span: schedule.cron.span,
    })
}

/// A ScheduledSparkApplication whose last successful run finished longer ago than its period plus slack.
/// The operator keeps the last `successful-history` runs (with their driver pods); the alert reads the
/// finished driver pods through kube-state-metrics, so it needs one successful run to count from (a
/// schedule that never succeeds is reported by SparkApplicationFailed, run by run).
fn spark_overdue_alert(job: &SparkJob) -> Option<Alert> {
    let schedule = job.spec.schedule.as_ref()?;
    let overdue = crate::model::monitoring::spark_overdue(&job.spec)?;
    let (after, why) = (overdue.after, overdue_why(&schedule.cron.value, &overdue));
    let name = &job.spec.name.value;
    let ns = &job.tenant.namespace;
    let ns_q = quote(ns);
    let app = format!("{KSM_SPARK_APP_NAME}=~{}", quote(&format!("{}-[0-9]+", regex_escape(name))));
    Some(Alert {
        name: SPARK_OVERDUE,
        subject: format!("spark-job {name}"),
        expr: format!(
            "time() - max({POD_COMPLETION_TIME}{{namespace={ns_q}}} and on (namespace, pod) \
             {POD_PHASE}{{namespace={ns_q}, phase=\"Succeeded\"}} == 1 and on (namespace, pod) \
             {POD_LABELS}{{namespace={ns_q}, {KSM_SPARK_ROLE}=\"driver\", {app}}}) > {}",
            after.0 / 1000
        ),
        hold: None,
        severity: Severity::Warning,
        summary: format!("Scheduled spark-job {name} has not succeeded for {{{{ $value | humanizeDuration }}}}"),
        runbook: format!(
            "The last successful run of scheduled spark-job `{name}` (`schedule \"{cron}\"`, zone {zone}) finished more \
             than {after} ago. {why} Check: `kubectl -n {ns} get scheduledsparkapplication {name}` (its \
             `lastRun` and `scheduleState`); the recent runs (`kubectl -n {ns} get sparkapplications`) and the \
             failed drivers' logs; whether the operator is running. The alert needs kube-state-metrics to export \
             the pod labels `spark-role` and `sparkoperator.k8s.io/app-name`, and the finished driver pods to \
             remain (`successful-history` of at least 1, no `ttl` shorter than the threshold).",
            cron = schedule.cron.value,
            zone = schedule.time_zone(),
        ),
        span: schedule.cron.span,
    })
}

// ---- Kafka ---------------------------------------------------------------------------------------------

/// The series of a Kafka cluster's Kafka Exporter: Strimzi runs it as the Deployment
/// `<cluster>-kafka-exporter` in the cluster's namespace (strimzi/strimzi-kafka-operator
/// `api/src/main/java/io/strimzi/api/kafka/model/KafkaExporterResources.java`, `deploymentName`), and the
/// Prometheus Operator labels every target with its pod's `namespace` and `pod`.
fn exporter_selector(namespace: &str, cluster: &str) -> String {
    format!("namespace={}, pod=~{}", quote(namespace), quote(&format!("{}-kafka-exporter-.+", regex_escape(cluster))))
}

/// One alert per consumer group the tenant's users may read as (the groups strata knows from the ACLs of
/// `consumes` and `acl`; a stream app's are on its KafkaUser), once per cluster and group pattern.
/// `seen` holds the (cluster, group) pairs of the tenant's users before this one: two users reading as
/// one group get one alert, the first user's.
fn lag_alerts(
    p: &ResolvedPlatform,
    user: &User,
    seen: &mut std::collections::BTreeSet<(String, String)>,
) -> Vec<Alert> {
    let mut out = Vec::new();
    // Lag is the Kafka Exporter's series: without it an alert would never fire (`strata::monitoring::no-kafka-exporter` says so).
    if user.cluster.kafka_exporter {
        for acl in &user.acls {
            let reads = acl.operations.iter().any(|o| matches!(o, AclOperation::Read | AclOperation::All));
            let Some(group) = acl.spec.resource.as_ref().filter(|_| acl.spec.resource_type == ResourceType::Group)
            else {
                continue;
            };
            // `*` is every group of the cluster, other tenants' included: nothing of this tenant's to alert on.
            if acl.spec.deny || !reads || group.is_wildcard() {
                continue;
            }
            if !seen.insert((user.cluster.name.clone(), group.written.value.clone())) {
                continue;
            }
            out.push(lag_alert(p, user, group.prefix(), &group.written.value, acl.spec.span));
        }
    }
    out
}

fn lag_alert(p: &ResolvedPlatform, user: &User, prefix: Option<&str>, written: &str, acl_span: Span) -> Alert {
    let cluster = &user.cluster;
    // The stream app whose KEDA trigger measures this group (an app's KafkaUser is named after it).
    let keda = p
        .apps
        .iter()
        .filter(|a| {
            a.spec.name.value == user.spec.name.value && a.tenant.name.as_str() == user.tenant.as_deref().unwrap_or("")
        })
        .find_map(|a| match &a.autoscaler {
            Some(Autoscaler::Keda(k)) if prefix.is_none() && k.group == written => Some((a, k)),
            _ => None,
        });
    let group_matcher = match prefix {
        Some(pre) => format!("consumergroup=~{}", quote(&format!("{}.*", regex_escape(pre)))),
        None => format!("consumergroup={}", quote(written)),
    };
    let topic_matcher =
        keda.and_then(|(_, k)| k.topic.as_ref()).map(|t| format!(", topic={}", quote(t))).unwrap_or_default();
    let set = count_override(&user.spec.alerts, "KafkaConsumerGroupLagging");
    let (threshold, why, span) = match keda {
        Some((a, k)) => (
            k.lag.saturating_mul(u64::from(k.max)),
            format!(
                "stream-app `{}` autoscales on this group's lag with KEDA, {} messages per replica up to {} \
                 replicas: above {} the app is at its maximum and still falling behind.",
                a.spec.name.value,
                k.lag,
                k.max,
                k.lag.saturating_mul(u64::from(k.max))
            ),
            a.spec.autoscale.as_ref().and_then(|s| s.kafka.as_ref()).map_or(acl_span, |k| k.span),
        ),
        None => (
            DEFAULT_LAG_THRESHOLD,
            format!(
                "No autoscaler says what this group can absorb, so strata's default of {DEFAULT_LAG_THRESHOLD} applies."
            ),
            acl_span,
        ),
    };
    let (threshold, why) = match set {
        Some(n) => (n, format!("The threshold of {n} messages is set by an `alert` override in the spec.")),
        None => (threshold, why),
    };
    let groups = if prefix.is_some() {
        format!("the consumer groups `{written}`")
    } else {
        format!("consumer group `{written}`")
    };
    Alert {
        name: "KafkaConsumerGroupLagging",
        subject: format!("consumer group {written} on kafka {}", cluster.name),
        expr: format!(
            "sum by (consumergroup) ({CONSUMER_LAG}{{{}, {group_matcher}{topic_matcher}}}) > {threshold}",
            exporter_selector(&cluster.namespace, &cluster.name)
        ),
        hold: Some(LAG_FOR),
        severity: Severity::Warning,
        summary: format!(
            "Consumer group {{{{ $labels.consumergroup }}}} on Kafka {} is {{{{ $value }}}} messages behind",
            cluster.name
        ),
        runbook: format!(
            "{groups} of kafka-user `{user}` on Kafka cluster `{c}` has been more than {threshold} messages behind \
             for {LAG_FOR}. {why} Check: that the consumers run and are not restarting (`kubectl -n {tenant_ns} get \
             pods`); their logs for processing errors or a poison record; whether producers' rate jumped (the \
             topic's `kafka_topic_partition_current_offset`). The metric comes from the Kafka Exporter of `{c}` \
             (Strimzi `spec.kafkaExporter`, with the group in its `groupRegex`).",
            user = user.spec.name.value,
            c = cluster.name,
            tenant_ns = p
                .tenants
                .iter()
                .find(|t| Some(t.name()) == user.tenant.as_deref())
                .map_or(cluster.namespace.as_str(), |t| t.namespace()),
        ),
        span,
    }
}

/// An alert for a topic whose `min.insync.replicas` the spec sets (on the topic or its preset): below it,
/// producers with `acks=all` get `NotEnoughReplicas` and the partition takes no writes. Without a value in
/// the spec the brokers' own default applies, which strata does not know.
fn min_isr_alert(topic: &Topic) -> Option<Alert> {
    // In-sync replica counts are the Kafka Exporter's series too.
    if !topic.cluster.kafka_exporter {
        return None;
    }
    let set = count_override(&topic.spec.alerts, "KafkaTopicUnderMinIsr");
    let min_isr = match (set, topic.config.get("min.insync.replicas")) {
        (Some(n), _) => i64::try_from(n).unwrap_or(i64::MAX),
        (None, Some(config::Value::Int(n))) => *n,
        _ => return None,
    };
    let name = &topic.spec.name.value;
    let cluster = &topic.cluster;
    Some(Alert {
        name: "KafkaTopicUnderMinIsr",
        subject: format!("topic {name} on kafka {}", cluster.name),
        expr: format!(
            "min by (topic, partition) ({IN_SYNC_REPLICAS}{{{}, topic={}}}) < {min_isr}",
            exporter_selector(&cluster.namespace, &cluster.name),
            quote(name)
        ),
        hold: Some(MIN_ISR_FOR),
        severity: Severity::Critical,
        summary: format!(
            "Topic {name} partition {{{{ $labels.partition }}}} has {{{{ $value }}}} in-sync replicas, fewer than \
             its min.insync.replicas of {min_isr}"
        ),
        runbook: format!(
            "A partition of topic `{name}` (Kafka cluster `{c}`, {replicas} replicas) has had fewer than \
             {min_isr} in-sync replicas for {MIN_ISR_FOR}: producers with acks=all are refused \
             (NotEnoughReplicas) and the data on the remaining replicas has no copy to fail over to. Check: \
             broker pods that are down or restarting (`kubectl -n {ns} get pods -l strimzi.io/cluster={c}`); \
             full or slow disks on the brokers; the partition's replicas with `kafka-topics.sh --describe \
             --under-min-isr-partitions`.",
            c = cluster.name,
            ns = cluster.namespace,
            replicas = topic.replicas,
        ),
        span: topic.spec.name.span,
    })
}

// ---- PromQL text -------------------------------------------------------------------------------------

/// A PromQL string literal: Go's double-quoted escaping, which PromQL uses.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `s` as a literal inside a (RE2, fully anchored) PromQL regex matcher.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::{quote, regex_escape};
    use crate::test_support::compile_spec;

    const SPEC: &str = r#"
platform "p" {
    monitoring { selector "release" "prom"; alert-label "routing" "data"; }
}
tenant "t" { network "open"; label "team" "streaming"; }
tenant "quiet" { network "open"; }
kafka "main" namespace="kafka" brokers=3 authorization="simple" kafka-exporter=#true
topic "t.orders" kafka="main" tenant="t" partitions=3 replicas=3 { config "min.insync.replicas" 2; }
topic "t.loose" kafka="main" tenant="t" partitions=3 replicas=3
kafka-user "reader" kafka="main" tenant="t" authentication="tls" { consumes "t.orders" group="t.readers"; }
flink-job "j" tenant="t" {
    image "flink:1.20.1"; jar "local:///j.jar" version="1.20"; parallelism 1
    jobmanager size="s"; taskmanager size="s"
    checkpoints every="1m" dir="s3://b/cp"
}
"#;

    fn rules(spec: &str) -> Vec<Value> {
        let c = compile_spec(spec);
        assert!(c.ok(), "{:?}", c.diagnostics);
        c.manifests
            .expect("compiled")
            .items
            .into_iter()
            .filter(|m| m.kind == "PrometheusRule")
            .map(|m| m.object)
            .collect()
    }

    fn alert<'v>(rule: &'v Value, name: &str) -> &'v Value {
        rule["spec"]["groups"][0]["rules"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["alert"] == name))
            .unwrap_or_else(|| panic!("no {name} in {rule}"))
    }

    #[test]
    fn flink_alerts_select_the_monitor_by_its_name_even_when_suffixed() {
        // A job of the same name with a metrics port: both monitors get their kind as a suffix.
        let spec =
            format!("{SPEC}\njob \"j\" tenant=\"t\" {{ image \"x:1\"; resources size=\"s\"; metrics port=9090; }}\n");
        let all = rules(&spec);
        let slow = alert(&all[0], "FlinkCheckpointTooSlow");
        assert!(slow["expr"].as_str().is_some_and(|e| e.contains(r#"job="t/j-flink""#)), "{slow}");
    }

    #[test]
    fn kafka_alerts_need_the_clusters_kafka_exporter() {
        let all = rules(&SPEC.replace(" kafka-exporter=#true", ""));
        let names: Vec<&str> = all[0]["spec"]["groups"][0]["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .filter_map(|r| r["alert"].as_str())
            .collect();
        assert!(names.iter().all(|n| !n.starts_with("Kafka")), "no exporter, no lag or ISR series: {names:?}");
        assert!(names.contains(&"FlinkJobRestarting"), "{names:?}");
    }

    #[test]
    fn one_rule_per_tenant_with_something_to_alert_on_carrying_the_routing_labels() {
        let all = rules(SPEC);
        assert_eq!(all.len(), 1, "the tenant without workloads gets no rule: {all:?}");
        let r = &all[0];
        assert_eq!(r["metadata"]["name"], "strata-alerts");
        assert_eq!(r["metadata"]["namespace"], "t");
        assert_eq!(r["metadata"]["labels"]["release"], "prom");
        assert_eq!(r["spec"]["groups"][0]["name"], "strata.t");
        let a = alert(r, "FlinkCheckpointTooSlow");
        assert_eq!(a["labels"]["routing"], "data");
        assert_eq!(a["labels"]["severity"], "warning");
        assert_eq!(a["labels"]["tenant"], "t");
        assert_eq!(a["labels"]["team"], "streaming");
        assert_eq!(a["labels"]["subject"], "flink-job j");
        assert!(a["annotations"]["source"].as_str().is_some_and(|s| s == "platform.kdl:14"), "{a}");
        assert!(a["annotations"]["runbook"].as_str().is_some_and(|s| s.contains("every 1m")), "{a}");
    }

    #[test]
    fn thresholds_come_from_the_spec() {
        let all = rules(SPEC);
        let r = &all[0];
        // The declared interval, in milliseconds, held for three intervals (at least 5m).
        let slow = alert(r, "FlinkCheckpointTooSlow");
        assert!(slow["expr"].as_str().is_some_and(|e| e.ends_with("> 60000")), "{slow}");
        assert_eq!(slow["for"], "5m");
        assert!(slow["expr"].as_str().is_some_and(|e| e.contains(r#"job="t/j""#)), "{slow}");
        let lag = alert(r, "KafkaConsumerGroupLagging");
        assert!(
            lag["expr"].as_str().is_some_and(|e| e.ends_with("> 1000") && e.contains(r#"consumergroup="t.readers""#))
        );
        let isr = alert(r, "KafkaTopicUnderMinIsr");
        assert!(isr["expr"].as_str().is_some_and(|e| e.ends_with("< 2") && e.contains(r#"topic="t.orders""#)));
        assert_eq!(isr["labels"]["severity"], "critical");
        // Only the topic with a known min.insync.replicas gets one.
        let isr_count = r["spec"]["groups"][0]["rules"]
            .as_array()
            .map(|r| r.iter().filter(|r| r["alert"] == "KafkaTopicUnderMinIsr").count());
        assert_eq!(isr_count, Some(1));
    }

    #[test]
    fn a_keda_consumer_alerts_at_its_lag_target_times_its_max_replicas() {
        let spec = format!(
            "{SPEC}\nstream-app \"w\" tenant=\"t\" kafka=\"main\" authentication=\"tls\" {{\n image \"i:1\"; size \"s\"\n \
             consumes \"t.orders\" group=\"t.w\"\n autoscale min=1 max=6 {{ kafka lag=500; }}\n}}\n"
        );
        let all = rules(&spec);
        let rule = &all[0]["spec"]["groups"][0]["rules"];
        let lag = rule
            .as_array()
            .and_then(|r| r.iter().find(|r| r["labels"]["subject"] == "consumer group t.w on kafka main"))
            .expect("the app's group");
        assert!(lag["expr"].as_str().is_some_and(|e| e.ends_with("> 3000")), "{lag}");
    }

    #[test]
    fn scheduled_jobs_are_overdue_after_their_longest_gap_plus_slack() {
        let spec = format!(
            "{SPEC}\njob \"nightly\" tenant=\"t\" {{ image \"x:1\"; resources size=\"s\"; schedule \"0 6 * * 1-5\"; }}\n\
             job \"paused\" tenant=\"t\" {{ image \"x:1\"; resources size=\"s\"; schedule \"0 6 * * *\" suspend=#true; }}\n\
             spark-job \"daily\" tenant=\"t\" expected-runtime=\"3h\" {{\n image \"spark:3.5.1\" spark-version=\"3.5.1\"\n \
             main \"local:///a.py\"\n executors 1 size=\"s\"\n schedule \"0 2 * * *\"\n}}\n"
        );
        let all = rules(&spec);
        let cron = alert(&all[0], "ScheduledJobNotSucceeded");
        // Friday 06:00 to Monday 06:00 is 72 h, plus the least slack of 1 h.
        assert!(cron["expr"].as_str().is_some_and(|e| e.ends_with(&format!("> {}", 73 * 3600))), "{cron}");
        assert!(cron["expr"].as_str().is_some_and(|e| e.contains(r#"cronjob="nightly""#)), "{cron}");
        assert_eq!(cron["labels"]["subject"], "job nightly");
        let count = |name: &str| {
            all[0]["spec"]["groups"][0]["rules"].as_array().map(|r| r.iter().filter(|r| r["alert"] == name).count())
        };
        assert_eq!(count("ScheduledJobNotSucceeded"), Some(1), "the suspended schedule has none");
        // A day plus the 3 h a run is expected to take.
        let spark = alert(&all[0], "ScheduledSparkJobNotSucceeded");
        assert!(spark["expr"].as_str().is_some_and(|e| e.ends_with(&format!("> {}", 27 * 3600))), "{spark}");
    }

    #[test]
    fn overrides_set_thresholds_holds_and_severities_or_drop_an_alert() {
        let spec = SPEC
            .replace(
                "checkpoints every=\"1m\" dir=\"s3://b/cp\"",
                "checkpoints every=\"1m\" dir=\"s3://b/cp\"\n    alert \"FlinkCheckpointTooSlow\" threshold=\"2m\" for=\"15m\" severity=\"critical\"\n    \
                 alert \"FlinkJobRestarting\" threshold=4\n    alert \"FlinkCheckpointsFailing\" enabled=#false",
            )
            .replace(
                "consumes \"t.orders\" group=\"t.readers\"; }",
                "consumes \"t.orders\" group=\"t.readers\"; alert \"KafkaConsumerGroupLagging\" threshold=250; }",
            );
        let all = rules(&spec);
        let slow = alert(&all[0], "FlinkCheckpointTooSlow");
        assert!(slow["expr"].as_str().is_some_and(|e| e.ends_with("> 120000")), "{slow}");
        assert_eq!(slow["for"], "15m");
        assert_eq!(slow["labels"]["severity"], "critical");
        let restarts = alert(&all[0], "FlinkJobRestarting");
        assert!(restarts["expr"].as_str().is_some_and(|e| e.ends_with("> 4")), "{restarts}");
        assert!(restarts["annotations"]["runbook"].as_str().is_some_and(|r| r.contains("`alert` override")));
        let lag = alert(&all[0], "KafkaConsumerGroupLagging");
        assert!(lag["expr"].as_str().is_some_and(|e| e.ends_with("> 250")), "{lag}");
        let names: Vec<&str> = all[0]["spec"]["groups"][0]["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .filter_map(|r| r["alert"].as_str())
            .collect();
        assert!(!names.contains(&"FlinkCheckpointsFailing"), "{names:?}");
    }

    #[test]
    fn bad_overrides_are_diagnostics() {
        let spec = SPEC.replace(
            "checkpoints every=\"1m\" dir=\"s3://b/cp\"",
            "checkpoints every=\"1m\" dir=\"s3://b/cp\"\n    alert \"FlinkJobRestart\"\n    alert \"FlinkCheckpointTooSlow\" threshold=5\n    \
             alert \"FlinkJobRestarting\" threshold=\"2m\" severity=\"page\"\n    alert \"FlinkJobRestarting\"",
        );
        let c = compile_spec(&spec);
        assert_eq!(
            crate::test_support::codes(&c),
            [
                "strata::monitoring::alert-unknown",
                "strata::monitoring::alert-threshold",
                "strata::monitoring::alert-threshold",
                "strata::monitoring::alert-severity",
                "strata::monitoring::alert-duplicate",
            ]
        );
        let unknown = c.diagnostics.iter().find(|d| d.code == "strata::monitoring::alert-unknown").expect("reported");
        assert!(format!("{unknown:?}").contains("did you mean `FlinkJobRestarting`"), "{unknown:?}");
        let quiet =
            SPEC.replace(r#"monitoring { selector "release" "prom"; alert-label "routing" "data"; }"#, "").replace(
                "checkpoints every=\"1m\" dir=\"s3://b/cp\"",
                "checkpoints every=\"1m\" dir=\"s3://b/cp\"\n    alert \"FlinkJobRestarting\" threshold=3",
            );
        assert_eq!(crate::test_support::codes(&compile_spec(&quiet)), ["strata::monitoring::alert-unused"]);
    }

    #[test]
    fn without_monitoring_there_are_no_rules() {
        assert!(
            rules(&SPEC.replace(r#"monitoring { selector "release" "prom"; alert-label "routing" "data"; }"#, ""))
                .is_empty()
        );
    }

    #[test]
    fn promql_text_is_escaped() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(regex_escape("a.b-c*"), r"a\.b-c\*");
    }
}
