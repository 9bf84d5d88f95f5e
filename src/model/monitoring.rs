//! The platform's monitoring settings: which Prometheus (through the Prometheus Operator) is meant to pick
//! up what strata declares, and the labels every alert carries. A monitor or rule without the labels the
//! `Prometheus` object selects on is accepted by the API server and then silently ignored
//! (prometheus-operator/prometheus-operator#3636), so the selector labels are declared once, here, and the
//! checks warn when they are missing.

use crate::source::{Span, Spanned};
use crate::units::Duration;

/// The namespace the monitoring stack runs in when `monitoring` does not name one (kube-prometheus-stack's
/// usual install namespace).
pub const DEFAULT_NAMESPACE: &str = "monitoring";

/// The name of the container port every scraped pod exposes its metrics on, and which its PodMonitor
/// scrapes: strata writes both sides, so they cannot drift apart.
pub const METRICS_PORT_NAME: &str = "metrics";

/// A `key value` pair of a label node (`selector "release" "kube-prometheus-stack"`).
pub type Label = (Spanned<String>, Spanned<String>);

/// `platform { monitoring ... { ... } }`.
#[derive(Debug, Clone)]
pub struct Monitoring {
    /// The `monitoring` node's name.
    pub span: Span,
    /// Where Prometheus runs: the source of every scrape (`namespace=`, else [`DEFAULT_NAMESPACE`]).
    pub namespace: Spanned<String>,
    /// How often Prometheus scrapes (`interval=`); unset, Prometheus' global scrape interval applies.
    pub interval: Option<Spanned<Duration>>,
    /// `scrape-timeout=`: must not exceed the interval.
    pub scrape_timeout: Option<Spanned<Duration>>,
    /// `selector "key" "value"`: the labels the Prometheus object's monitor and rule selectors match.
    pub selector: Vec<Label>,
    /// `alert-label "key" "value"`: labels every alert carries, for Alertmanager's routing.
    pub alert_labels: Vec<Label>,
}

impl Monitoring {
    /// The selector labels, as the metadata labels of a monitor or rule (`strata::monitoring::label`
    /// refuses a key given twice).
    pub fn selector_labels(&self) -> std::collections::BTreeMap<String, String> {
        self.selector.iter().map(|(k, v)| (k.value.clone(), v.value.clone())).collect()
    }
}

/// The path a declared metrics port is scraped at unless `path=` says otherwise (Prometheus' own default).
pub const DEFAULT_METRICS_PATH: &str = "/metrics";

/// `metrics port=9090 path="/metrics" port-name="metrics" interval="15s" scrape-timeout="5s"` on a
/// `stream-app` or `job`: a container port the workload serves Prometheus metrics on. strata names the
/// port on the pod and scrapes that same name from the workload's PodMonitor, both from this one value.
#[derive(Debug, Clone)]
pub struct MetricsPort {
    /// The `metrics` node's name.
    pub span: Span,
    /// `port=`: the container port (`strata::monitoring::port` keeps it in 1..=65535).
    pub port: Spanned<u32>,
    /// `path=`: [`DEFAULT_METRICS_PATH`] unless written.
    pub path: Option<Spanned<String>>,
    /// `port-name=`: [`METRICS_PORT_NAME`] unless written; an IANA service name
    /// (`strata::monitoring::port-name`).
    pub port_name: Option<Spanned<String>>,
    /// `interval=` / `scrape-timeout=`: this endpoint's own, over the platform's `monitoring` values.
    pub interval: Option<Spanned<Duration>>,
    pub scrape_timeout: Option<Spanned<Duration>>,
}

impl MetricsPort {
    /// The container port's name, which the PodMonitor's endpoint names too.
    pub fn name(&self) -> &str {
        self.port_name.as_ref().map_or(METRICS_PORT_NAME, |n| n.value.as_str())
    }

    /// Where the name comes from, for diagnostics: `port-name=`, else the node.
    pub fn name_span(&self) -> Span {
        self.port_name.as_ref().map_or(self.span, |n| n.span)
    }

    pub fn path(&self) -> &str {
        self.path.as_ref().map_or(DEFAULT_METRICS_PATH, |p| p.value.as_str())
    }

    /// The port number; out of range only in a spec the checks refuse.
    pub fn number(&self) -> u16 {
        u16::try_from(self.port.value).unwrap_or(u16::MAX)
    }

    /// The scrape interval in force: this endpoint's, else the platform's.
    pub fn interval<'a>(&'a self, m: &'a Monitoring) -> Option<&'a Spanned<Duration>> {
        self.interval.as_ref().or(m.interval.as_ref())
    }

    /// The scrape timeout in force: this endpoint's, else the platform's.
    pub fn scrape_timeout<'a>(&'a self, m: &'a Monitoring) -> Option<&'a Spanned<Duration>> {
        self.scrape_timeout.as_ref().or(m.scrape_timeout.as_ref())
    }
}

/// `alert "FlinkJobRestarting" threshold=3 for="10m" severity="critical"` (or `enabled=#false`) on a
/// workload, topic or Kafka user: overrides what strata derives for one of the alerts it writes about that
/// object. Which names a node takes is [`alerts_of`]; the threshold's unit is the alert's ([`Threshold`]).
#[derive(Debug, Clone)]
pub struct AlertOverride {
    /// The `alert` node's name.
    pub span: Span,
    /// The alert's name, as in the PrometheusRule (`FlinkJobRestarting`).
    pub name: Spanned<String>,
    /// `threshold=`: a count (a number) or a duration (a string such as `"26h"`), as the alert measures.
    pub threshold: Option<Spanned<ThresholdValue>>,
    /// `for=`: how long the condition must hold before the alert fires.
    pub hold: Option<Spanned<Duration>>,
    /// `severity=`: `warning` or `critical`.
    pub severity: Option<Spanned<String>>,
    /// `enabled=#false` drops the alert.
    pub enabled: Option<Spanned<bool>>,
}

/// A `threshold=` as written: a number, or a string that must read as a duration.
#[derive(Debug, Clone, PartialEq)]
pub enum ThresholdValue {
    Count(u64),
    Text(String),
}

/// What an alert's threshold counts, which decides what `threshold=` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// Events or messages in the alert's window (`threshold=3`).
    Count,
    /// A time (`threshold="2m"`).
    Duration,
    /// Fixed by what is watched (a failed pod is a failed pod): only `for`, `severity` and `enabled`.
    None,
}

/// The severities Alertmanager routes on, as strata writes them.
pub const SEVERITIES: &[&str] = &["warning", "critical"];

/// Which node an override sits on: each gets alerts of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertSubject {
    FlinkJob,
    SparkJob,
    Job,
    StreamApp,
    KafkaUser,
    Topic,
}

/// The alerts strata writes about one kind of node and what each threshold counts. The names are a
/// contract: PrometheusRules, `strata diff` and users' Alertmanager routes refer to them.
pub fn alerts_of(subject: AlertSubject) -> &'static [(&'static str, Threshold)] {
    match subject {
        AlertSubject::FlinkJob => &[
            ("FlinkCheckpointsFailing", Threshold::Count),
            ("FlinkCheckpointTooSlow", Threshold::Duration),
            ("FlinkJobRestarting", Threshold::Count),
        ],
        AlertSubject::SparkJob => {
            &[("SparkApplicationFailed", Threshold::None), ("ScheduledSparkJobNotSucceeded", Threshold::Duration)]
        }
        AlertSubject::Job => &[("ScheduledJobNotSucceeded", Threshold::Duration)],
        // A stream app's consumer groups are on its KafkaUser.
        AlertSubject::StreamApp | AlertSubject::KafkaUser => &[("KafkaConsumerGroupLagging", Threshold::Count)],
        AlertSubject::Topic => &[("KafkaTopicUnderMinIsr", Threshold::Count)],
    }
}

/// The override of `alert` among `overrides`, if any (the checks refuse a name given twice).
pub fn override_of<'a>(overrides: &'a [AlertOverride], alert: &str) -> Option<&'a AlertOverride> {
    overrides.iter().find(|o| o.name.value == alert)
}

impl AlertOverride {
    /// `threshold=` as a count, when written as one.
    pub fn count(&self) -> Option<u64> {
        match self.threshold.as_ref().map(|t| &t.value) {
            Some(ThresholdValue::Count(n)) => Some(*n),
            _ => None,
        }
    }

    /// `threshold=` as a duration, when written as one that parses.
    pub fn duration(&self) -> Option<Duration> {
        match self.threshold.as_ref().map(|t| &t.value) {
            Some(ThresholdValue::Text(s)) => Duration::parse(s).ok(),
            _ => None,
        }
    }

    /// `enabled=#false` turns the alert off.
    pub fn disabled(&self) -> bool {
        self.enabled.as_ref().is_some_and(|e| !e.value)
    }
}

/// The least slack a scheduled job gets past its longest gap between runs before it is overdue: a run
/// takes time, the controller starts it late, and a daylight-saving change moves a local schedule by an
/// hour.
pub const MIN_SCHEDULE_SLACK: Duration = Duration(60 * 60_000);

/// When a scheduled job counts as overdue (the `...NotSucceeded` alerts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overdue {
    /// The schedule's longest gap between two runs ([`crate::model::cron::longest_gap`]).
    pub gap: Duration,
    /// What is allowed on top: the run's own time, at least [`MIN_SCHEDULE_SLACK`].
    pub slack: Duration,
    /// No success for this long fires the alert: `gap + slack`, or the spec's `threshold=`.
    pub after: Duration,
    /// Whether `after` is an `alert` override's.
    pub set_in_spec: bool,
}

/// When a schedule `cron` is overdue, given how long one run may take; `None` for a schedule that is
/// suspended, fires never, or whose alert `overrides` turn off (the spec's `threshold=` wins).
fn overdue(
    cron: &str,
    suspended: Option<&Spanned<bool>>,
    run_time: Option<Duration>,
    overrides: &[AlertOverride],
    alert: &str,
) -> Option<Overdue> {
    let o = override_of(overrides, alert);
    if suspended.is_some_and(|s| s.value) || o.is_some_and(AlertOverride::disabled) {
        return None;
    }
    let set = o.and_then(AlertOverride::duration);
    let gap = crate::model::cron::longest_gap(cron)?;
    let slack = run_time.unwrap_or_default().max(MIN_SCHEDULE_SLACK);
    Some(Overdue {
        gap,
        slack,
        after: set.unwrap_or(Duration(gap.0.saturating_add(slack.0))),
        set_in_spec: set.is_some(),
    })
}

/// The alert name for a scheduled Spark job that has not succeeded in time.
pub const SPARK_OVERDUE: &str = "ScheduledSparkJobNotSucceeded";
/// The alert name for a CronJob that has not succeeded in time.
pub const JOB_OVERDUE: &str = "ScheduledJobNotSucceeded";

/// When a scheduled, not suspended Spark job is overdue (its `expected-runtime` is the slack).
pub fn spark_overdue(job: &crate::model::spark::SparkJob) -> Option<Overdue> {
    let schedule = job.schedule.as_ref()?;
    let run_time = job.expected_runtime.as_ref().map(|r| r.value);
    overdue(&schedule.cron.value, schedule.suspend.as_ref(), run_time, &job.alerts, SPARK_OVERDUE)
}

/// When a scheduled, not suspended batch job is overdue: its `deadline` (else `expected-runtime`) plus
/// its `starting-deadline` is the slack.
pub fn job_overdue(job: &crate::model::job::BatchJob) -> Option<Overdue> {
    let schedule = job.schedule.as_ref()?;
    let late_start = schedule.starting_deadline.as_ref().map_or(0, |d| d.value.0);
    let run_time =
        job.deadline.as_ref().or(job.expected_runtime.as_ref()).map(|d| Duration(d.value.0.saturating_add(late_start)));
    overdue(&schedule.cron.value, schedule.suspend.as_ref(), run_time, &job.alerts, JOB_OVERDUE)
}
