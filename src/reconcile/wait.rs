//! `--wait`: follow the readiness each operator publishes until every object is ready, one fails, or the
//! timeout passes. Which rule a kind follows is the [domain registry](crate::domain)'s to say; the rules
//! are pure ([`readiness`]) and tested on status documents shaped as Strimzi, the Kubeflow Spark operator
//! and the Flink operator write them.

use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;

use crate::domain::{self, ReadyRule};
use crate::reconcile::Kube;
use crate::reconcile::discovery::Resource;
use crate::reconcile::report::WaitOutcome;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Ready(String),
    Pending(String),
    Failed(String),
}

/// Kinds whose readiness strata knows how to read. Everything else is ready once applied.
pub fn is_waitable(group: &str, kind: &str) -> bool {
    domain::readiness_rule(group, kind) != ReadyRule::Applied
}

fn s<'v>(v: &'v Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// Reads an object's status the way its operator means it.
pub fn readiness(group: &str, kind: &str, obj: &Value) -> Readiness {
    match domain::readiness_rule(group, kind) {
        // Strimzi: a `Ready` condition, valid only once `observedGeneration` caught up with the spec.
        ReadyRule::StrimziReady => {
            let generation = obj.pointer("/metadata/generation").and_then(Value::as_i64);
            let observed = obj.pointer("/status/observedGeneration").and_then(Value::as_i64);
            if let (Some(g), Some(o)) = (generation, observed)
                && o < g
            {
                return Readiness::Pending(format!("operator has seen generation {o} of {g}"));
            }
            let conditions = obj.pointer("/status/conditions").and_then(Value::as_array);
            let ready =
                conditions.and_then(|cs| cs.iter().find(|c| c.get("type").and_then(Value::as_str) == Some("Ready")));
            match ready {
                Some(c) if s(c, "/status") == Some("True") => Readiness::Ready("Ready".into()),
                Some(c) => {
                    let why = [s(c, "/reason"), s(c, "/message")].into_iter().flatten().collect::<Vec<_>>().join(": ");
                    Readiness::Failed(if why.is_empty() { "Ready=False".into() } else { format!("Ready=False: {why}") })
                }
                None if observed.is_none() => {
                    Readiness::Pending("no status yet (is the Strimzi operator running?)".into())
                }
                None => Readiness::Pending("no Ready condition yet".into()),
            }
        }
        ReadyRule::SparkScheduleState => match s(obj, "/status/scheduleState") {
            Some("Scheduled") => Readiness::Ready("Scheduled".into()),
            Some("FailedValidation") => Readiness::Failed(format!(
                "FailedValidation: {}",
                s(obj, "/status/reason").unwrap_or("the operator rejected the schedule")
            )),
            Some(other) => Readiness::Pending(other.to_string()),
            None => Readiness::Pending("no status yet (is the Spark operator running?)".into()),
        },
        // Kubeflow Spark operator: `status.applicationState.state`.
        ReadyRule::SparkAppState => match s(obj, "/status/applicationState/state") {
            Some(st @ ("RUNNING" | "COMPLETED" | "SUCCEEDING")) => Readiness::Ready(st.into()),
            Some(st @ ("FAILED" | "SUBMISSION_FAILED" | "FAILING" | "INVALIDATING" | "UNKNOWN")) => {
                Readiness::Failed(match s(obj, "/status/applicationState/errorMessage") {
                    Some(m) if !m.is_empty() => format!("{st}: {m}"),
                    _ => st.to_string(),
                })
            }
            Some(other) => Readiness::Pending(other.to_string()),
            None => Readiness::Pending("no status yet (is the Spark operator running?)".into()),
        },
        // Flink operator: lifecycle STABLE, and for application deployments a RUNNING/FINISHED job.
        ReadyRule::FlinkLifecycle => {
            let lifecycle = s(obj, "/status/lifecycleState");
            let job = s(obj, "/status/jobStatus/state");
            let error = s(obj, "/status/error").filter(|e| !e.is_empty());
            match (lifecycle, job) {
                (Some("FAILED"), _) | (_, Some("FAILED")) => Readiness::Failed(format!(
                    "lifecycle {}, job {}{}",
                    lifecycle.unwrap_or("?"),
                    job.unwrap_or("?"),
                    error.map(|e| format!(": {e}")).unwrap_or_default()
                )),
                (Some("STABLE"), None | Some("RUNNING" | "FINISHED")) => {
                    Readiness::Ready(format!("STABLE{}", job.map(|j| format!(", job {j}")).unwrap_or_default()))
                }
                // Name every state the operator reports: on a cluster where the JobManager's REST API is out
                // of the operator's reach, `JobManager DEPLOYED_NOT_READY` is what says why it never gets
                // further, and a transient `.status.error` (a failed REST call) is worth showing too.
                (Some(l), j) => Readiness::Pending(format!(
                    "lifecycle {l}{}{}{}",
                    j.map(|j| format!(", job {j}")).unwrap_or_default(),
                    s(obj, "/status/jobManagerDeploymentStatus")
                        .map(|d| format!(", JobManager {d}"))
                        .unwrap_or_default(),
                    error.map(|e| format!(" ({e})")).unwrap_or_default()
                )),
                (None, _) => Readiness::Pending("no status yet (is the Flink operator running?)".into()),
            }
        }
        // batch/v1 Job: the Job controller sets `Complete` or `Failed` (with the reason, e.g.
        // BackoffLimitExceeded or DeadlineExceeded) once the Job is finished.
        ReadyRule::JobComplete => {
            let conditions = obj.pointer("/status/conditions").and_then(Value::as_array);
            let is_true = |t: &str| {
                conditions
                    .and_then(|cs| cs.iter().find(|c| s(c, "/type") == Some(t) && s(c, "/status") == Some("True")))
            };
            if let Some(c) = is_true("Failed") {
                let why = [s(c, "/reason"), s(c, "/message")].into_iter().flatten().collect::<Vec<_>>().join(": ");
                return Readiness::Failed(if why.is_empty() { "Failed".into() } else { format!("Failed: {why}") });
            }
            if is_true("Complete").is_some() {
                return Readiness::Ready("Complete".into());
            }
            let n = |f: &str| obj.pointer(&format!("/status/{f}")).and_then(Value::as_u64).unwrap_or(0);
            if obj.pointer("/status").is_none_or(|st| st.as_object().is_none_or(|m| m.is_empty())) {
                return Readiness::Pending("no status yet (is the Job controller running?)".into());
            }
            Readiness::Pending(format!("{} active, {} succeeded, {} failed", n("active"), n("succeeded"), n("failed")))
        }
        ReadyRule::Exists => {
            if obj.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
                Readiness::Ready("exists (suspended)".into())
            } else {
                Readiness::Ready("exists".into())
            }
        }
        // The Deployment controller's own notion of a finished rollout (`kubectl rollout status`): it has
        // seen this generation, every replica runs the current template, and `Available` is true.
        ReadyRule::DeploymentAvailable => {
            let generation = obj.pointer("/metadata/generation").and_then(Value::as_i64);
            let observed = obj.pointer("/status/observedGeneration").and_then(Value::as_i64);
            match (generation, observed) {
                (_, None) => return Readiness::Pending("no status yet".into()),
                (Some(g), Some(o)) if o < g => {
                    return Readiness::Pending(format!("controller has seen generation {o} of {g}"));
                }
                _ => {}
            }
            let n = |p: &str| obj.pointer(p).and_then(Value::as_i64).unwrap_or(0);
            // An autoscaled Deployment's desired count is whatever its autoscaler set last.
            let desired = obj.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1);
            let updated = n("/status/updatedReplicas");
            let cond = |t: &str| {
                obj.pointer("/status/conditions")
                    .and_then(Value::as_array)
                    .and_then(|cs| cs.iter().find(|c| s(c, "/type") == Some(t)))
            };
            if let Some(c) = cond("Progressing")
                && s(c, "/reason") == Some("ProgressDeadlineExceeded")
            {
                return Readiness::Failed(format!(
                    "ProgressDeadlineExceeded{}",
                    s(c, "/message").map(|m| format!(": {m}")).unwrap_or_default()
                ));
            }
            if updated < desired {
                return Readiness::Pending(format!("{updated} of {desired} replicas updated"));
            }
            match cond("Available") {
                Some(c) if s(c, "/status") == Some("True") => {
                    Readiness::Ready(format!("Available, {updated} of {desired} updated"))
                }
                Some(c) => Readiness::Pending(format!("Available={}", s(c, "/status").unwrap_or("?"))),
                None => Readiness::Pending("no Available condition yet".into()),
            }
        }
        // KEDA: the `Ready` condition of the ScaledObject (False: the scaler or its target is broken).
        ReadyRule::KedaReady => ready_condition(obj, "KEDA"),
        // ESO: `Ready` is True with reason SecretSynced once the Secret is written, False with
        // SecretSyncedError (a missing store or remote key, a refused store credential) otherwise.
        ReadyRule::EsoReady => ready_condition(obj, "the External Secrets Operator"),
        ReadyRule::Applied => Readiness::Ready("applied".into()),
    }
}

/// An operator's `Ready` condition: True is ready, False a failure with its reason and message.
fn ready_condition(obj: &Value, operator: &str) -> Readiness {
    let ready = obj
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| s(c, "/type") == Some("Ready")));
    match ready {
        Some(c) if s(c, "/status") == Some("True") => Readiness::Ready("Ready".into()),
        Some(c) if s(c, "/status") == Some("False") => Readiness::Failed(format!(
            "Ready=False{}",
            [s(c, "/reason"), s(c, "/message")].into_iter().flatten().map(|x| format!(": {x}")).collect::<String>()
        )),
        Some(_) => Readiness::Pending("Ready=Unknown".into()),
        None => Readiness::Pending(format!("no status yet (is {operator} running?)")),
    }
}

/// One object to wait for.
pub struct Waitee {
    pub index: usize,
    pub resource: Resource,
    pub namespace: Option<String>,
    pub name: String,
}

/// Polls every object (every 2 s, `concurrency` at a time) until ready, failed or `timeout`.
pub async fn wait_all(
    kube: &Kube,
    items: Vec<Waitee>,
    timeout: Duration,
    concurrency: usize,
) -> Vec<(usize, WaitOutcome)> {
    let deadline = tokio::time::Instant::now() + timeout;
    futures::stream::iter(items)
        .map(|w| async move {
            loop {
                let last;
                match kube.get(&w.resource.ar, w.namespace.as_deref(), &w.name).await {
                    Ok(Some(obj)) => match readiness(&w.resource.ar.group, &w.resource.ar.kind, &obj) {
                        Readiness::Ready(m) => return (w.index, WaitOutcome::Ready(m)),
                        Readiness::Failed(m) => return (w.index, WaitOutcome::Failed(m)),
                        Readiness::Pending(m) => last = m,
                    },
                    Ok(None) => last = "the object is gone".into(),
                    Err(f) => last = f.to_string(),
                }
                if tokio::time::Instant::now() + Duration::from_secs(2) > deadline {
                    return (
                        w.index,
                        WaitOutcome::TimedOut(format!("after {} s; last seen: {last}", timeout.as_secs())),
                    );
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strimzi_ready_condition_and_generation() {
        let ready = json!({"metadata": {"generation": 2}, "status": {"observedGeneration": 2, "conditions": [{"type": "Ready", "status": "True"}]}});
        assert_eq!(readiness("kafka.strimzi.io", "KafkaTopic", &ready), Readiness::Ready("Ready".into()));
        let stale = json!({"metadata": {"generation": 3}, "status": {"observedGeneration": 2, "conditions": [{"type": "Ready", "status": "True"}]}});
        assert!(matches!(readiness("kafka.strimzi.io", "KafkaTopic", &stale), Readiness::Pending(_)));
        let bad = json!({"metadata": {"generation": 1}, "status": {"observedGeneration": 1, "conditions": [{"type": "Ready", "status": "False", "reason": "NotSupported", "message": "Decreasing partitions not supported"}]}});
        assert_eq!(
            readiness("kafka.strimzi.io", "KafkaTopic", &bad),
            Readiness::Failed("Ready=False: NotSupported: Decreasing partitions not supported".into())
        );
        assert!(
            matches!(readiness("kafka.strimzi.io", "KafkaUser", &json!({})), Readiness::Pending(m) if m.contains("Strimzi operator"))
        );
    }

    #[test]
    fn deployment_rollout_and_keda_ready() {
        let d = |g: i64, o: i64, updated: i64, avail: &str| {
            json!({"metadata": {"generation": g}, "spec": {"replicas": 3}, "status": {"observedGeneration": o,
                "updatedReplicas": updated, "conditions": [{"type": "Available", "status": avail}]}})
        };
        assert!(matches!(readiness("apps", "Deployment", &d(2, 2, 3, "True")), Readiness::Ready(_)));
        assert!(
            matches!(readiness("apps", "Deployment", &d(3, 2, 3, "True")), Readiness::Pending(m) if m.contains("generation 2 of 3"))
        );
        assert!(
            matches!(readiness("apps", "Deployment", &d(2, 2, 1, "True")), Readiness::Pending(m) if m == "1 of 3 replicas updated")
        );
        assert!(matches!(readiness("apps", "Deployment", &d(2, 2, 3, "False")), Readiness::Pending(_)));
        assert!(matches!(
            readiness("apps", "Deployment", &json!({"metadata": {"generation": 1}})),
            Readiness::Pending(_)
        ));
        let stuck = json!({"metadata": {"generation": 1}, "spec": {"replicas": 1}, "status": {"observedGeneration": 1,
            "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "too slow"}]}});
        assert_eq!(
            readiness("apps", "Deployment", &stuck),
            Readiness::Failed("ProgressDeadlineExceeded: too slow".into())
        );
        let so = |st: &str| json!({"status": {"conditions": [{"type": "Ready", "status": st, "reason": "ScaledObjectCheckFailed"}]}});
        assert!(matches!(readiness("keda.sh", "ScaledObject", &so("True")), Readiness::Ready(_)));
        assert_eq!(
            readiness("keda.sh", "ScaledObject", &so("False")),
            Readiness::Failed("Ready=False: ScaledObjectCheckFailed".into())
        );
        assert!(
            matches!(readiness("keda.sh", "ScaledObject", &json!({})), Readiness::Pending(m) if m.contains("KEDA"))
        );
        assert!(!is_waitable("keda.sh", "TriggerAuthentication"));
    }

    #[test]
    fn external_secret_ready_condition() {
        let es = |st: &str, reason: &str| json!({"status": {"conditions": [{"type": "Ready", "status": st, "reason": reason, "message": "could not get secret data from provider"}]}});
        let g = "external-secrets.io";
        assert_eq!(readiness(g, "ExternalSecret", &es("True", "SecretSynced")), Readiness::Ready("Ready".into()));
        assert_eq!(
            readiness(g, "ExternalSecret", &es("False", "SecretSyncedError")),
            Readiness::Failed("Ready=False: SecretSyncedError: could not get secret data from provider".into())
        );
        assert!(matches!(
            readiness(g, "ExternalSecret", &json!({})),
            Readiness::Pending(m) if m.contains("External Secrets Operator")
        ));
    }

    #[test]
    fn spark_application_states() {
        let st = |s: &str| json!({"status": {"applicationState": {"state": s, "errorMessage": "driver OOM"}}});
        assert!(matches!(readiness("sparkoperator.k8s.io", "SparkApplication", &st("RUNNING")), Readiness::Ready(_)));
        assert!(matches!(
            readiness("sparkoperator.k8s.io", "SparkApplication", &st("SUBMITTED")),
            Readiness::Pending(_)
        ));
        assert_eq!(
            readiness("sparkoperator.k8s.io", "SparkApplication", &st("FAILED")),
            Readiness::Failed("FAILED: driver OOM".into())
        );
        let sched = json!({"status": {"scheduleState": "Scheduled"}});
        assert!(matches!(readiness("sparkoperator.k8s.io", "ScheduledSparkApplication", &sched), Readiness::Ready(_)));
    }

    #[test]
    fn flink_lifecycle_and_job() {
        let f = |l: &str, j: &str| json!({"status": {"lifecycleState": l, "jobStatus": {"state": j}}});
        assert!(matches!(
            readiness("flink.apache.org", "FlinkDeployment", &f("STABLE", "RUNNING")),
            Readiness::Ready(_)
        ));
        assert!(matches!(
            readiness("flink.apache.org", "FlinkDeployment", &f("DEPLOYED", "RECONCILING")),
            Readiness::Pending(_)
        ));
        let not_ready = json!({"status": {"lifecycleState": "DEPLOYED", "jobStatus": {"state": "RECONCILING"},
            "jobManagerDeploymentStatus": "DEPLOYED_NOT_READY"}});
        assert_eq!(
            readiness("flink.apache.org", "FlinkDeployment", &not_ready),
            Readiness::Pending("lifecycle DEPLOYED, job RECONCILING, JobManager DEPLOYED_NOT_READY".into())
        );
        assert!(matches!(
            readiness("flink.apache.org", "FlinkDeployment", &f("STABLE", "FAILED")),
            Readiness::Failed(_)
        ));
        assert!(is_waitable("flink.apache.org", "FlinkDeployment") && !is_waitable("", "Namespace"));
    }

    /// Conditions as the Job controller writes them (`pkg/controller/job`): `Complete`, or `Failed` with a
    /// reason such as BackoffLimitExceeded.
    #[test]
    fn job_conditions_and_cronjob_existence() {
        let done = json!({"status": {"succeeded": 1, "conditions": [
            {"type": "SuccessCriteriaMet", "status": "True"}, {"type": "Complete", "status": "True"}]}});
        assert_eq!(readiness("batch", "Job", &done), Readiness::Ready("Complete".into()));
        let failed = json!({"status": {"failed": 4, "conditions": [{"type": "Failed", "status": "True",
            "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}});
        assert_eq!(
            readiness("batch", "Job", &failed),
            Readiness::Failed("Failed: BackoffLimitExceeded: Job has reached the specified backoff limit".into())
        );
        let running = json!({"status": {"active": 2, "ready": 2}});
        assert_eq!(readiness("batch", "Job", &running), Readiness::Pending("2 active, 0 succeeded, 0 failed".into()));
        assert!(matches!(readiness("batch", "Job", &json!({})), Readiness::Pending(m) if m.contains("Job controller")));
        assert_eq!(
            readiness("batch", "CronJob", &json!({"spec": {"suspend": true}})),
            Readiness::Ready("exists (suspended)".into())
        );
        assert!(is_waitable("batch", "Job") && is_waitable("batch", "CronJob"));
    }
}
