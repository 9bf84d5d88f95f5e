//! Batch jobs become `batch/v1` Jobs, or CronJobs when scheduled, with one container in a pod template
//! that passes Pod Security `restricted`. Built with k8s-openapi's types; applied in the workloads stage,
//! after the tenant's LimitRange, so admission fills in what the template leaves out.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    Container, EnvVar, EnvVarSource, LocalObjectReference, PodSpec, PodTemplateSpec, ResourceRequirements,
    SecretKeySelector,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::crd::{int32, int64};
use crate::emit::meta;
use crate::emit::spark::{list, restricted_container_context, restricted_pod_context, string_map, tolerations};
use crate::manifest::{Census, ManifestSet, Placement, Stage};
use crate::model::job::CONTAINER;
use crate::model::pod::EnvValue;
use crate::model::resolved::ResolvedPlatform;
use crate::model::resolved::job::BatchJob;
use crate::model::spark::Security;

pub fn emit(p: &ResolvedPlatform, set: &mut ManifestSet) {
    for job in &p.jobs {
        let at = Placement { stage: Stage::Workloads, tenant: Some(job.tenant.name.clone()), span: job.spec.name.span };
        let metadata = meta(&job.spec.name.value, Some(&job.tenant.namespace));
        match &job.spec.schedule {
            None => set.add_typed(&Job { metadata, spec: Some(job_spec(job)), status: None }, at),
            Some(s) => {
                let spec = CronJobSpec {
                    schedule: s.cron.value.trim().to_string(),
                    time_zone: Some(s.time_zone().to_string()),
                    concurrency_policy: Some(s.concurrency().as_str().to_string()),
                    starting_deadline_seconds: s.starting_deadline.as_ref().map(|d| int64(d.value.as_secs())),
                    successful_jobs_history_limit: Some(int32(s.successful_history())),
                    failed_jobs_history_limit: Some(int32(s.failed_history())),
                    suspend: s.suspend.as_ref().map(|v| v.value),
                    job_template: JobTemplateSpec { metadata: None, spec: Some(job_spec(job)) },
                };
                set.add_typed(&CronJob { metadata, spec: Some(spec), status: None }, at);
            }
        }
    }
}

/// The objects [`emit`] adds, as headers ([`Census`]).
pub fn census(p: &ResolvedPlatform, c: &mut Census) {
    for job in &p.jobs {
        let at = Placement { stage: Stage::Workloads, tenant: Some(job.tenant.name.clone()), span: job.spec.name.span };
        let (name, ns) = (&job.spec.name.value, Some(job.tenant.namespace.as_str()));
        match &job.spec.schedule {
            None => c.typed::<Job>(name, ns, at),
            Some(_) => c.typed::<CronJob>(name, ns, at),
        }
    }
}

fn q(s: impl ToString) -> Quantity {
    Quantity(s.to_string())
}

/// `.spec` of the Job (the `jobTemplate` of a CronJob).
fn job_spec(r: &BatchJob) -> JobSpec {
    let j = &r.spec;
    let restricted = match j.security.value {
        Security::Restricted { run_as_user } => Some(run_as_user),
        Security::None => None,
    };
    let env: Vec<EnvVar> = j
        .env
        .iter()
        .map(|e| match &e.value {
            EnvValue::Literal(v) => {
                EnvVar { name: e.name.value.clone(), value: Some(v.value.clone()), value_from: None }
            }
            EnvValue::Secret(s) => EnvVar {
                name: e.name.value.clone(),
                value: None,
                value_from: Some(EnvVarSource {
                    secret_key_ref: Some(SecretKeySelector {
                        name: s.secret.value.clone(),
                        key: s.key.value.clone(),
                        optional: None,
                    }),
                    ..Default::default()
                }),
            },
        })
        .collect();
    let shape = r.shape;
    let resources = ResourceRequirements {
        requests: Some(BTreeMap::from([
            ("cpu".to_string(), q(shape.cpu_request)),
            ("memory".to_string(), q(shape.memory_request)),
        ])),
        limits: Some(BTreeMap::from([
            ("cpu".to_string(), q(shape.cpu_limit)),
            ("memory".to_string(), q(shape.memory_limit)),
        ])),
        ..Default::default()
    };
    let container = Container {
        name: CONTAINER.to_string(),
        image: Some(r.image.clone()),
        image_pull_policy: j.pull_policy.as_ref().map(|p| p.value.clone()),
        command: list(&j.command),
        args: list(&j.args),
        env: (!env.is_empty()).then_some(env),
        resources: Some(resources),
        security_context: restricted.map(|_| restricted_container_context()),
        ports: crate::emit::app::metrics_ports(&j.metrics),
        ..Default::default()
    };
    let pull_secrets: Vec<LocalObjectReference> =
        j.pull_secrets.iter().map(|s| LocalObjectReference { name: s.value.clone() }).collect();
    let pod = PodSpec {
        containers: vec![container],
        restart_policy: Some(j.restart().as_str().to_string()),
        // A task that names no ServiceAccount has no use for an API token.
        service_account_name: j.service_account.as_ref().map(|s| s.value.clone()),
        automount_service_account_token: j.service_account.is_none().then_some(false),
        image_pull_secrets: (!pull_secrets.is_empty()).then_some(pull_secrets),
        priority_class_name: r.priority_class.clone(),
        node_selector: string_map(&j.node_selector),
        tolerations: tolerations(&j.tolerations),
        security_context: restricted.map(restricted_pod_context),
        ..Default::default()
    };
    JobSpec {
        backoff_limit: j.retries.as_ref().map(|v| int32(v.value)),
        active_deadline_seconds: j.deadline.as_ref().map(|d| int64(d.value.as_secs())),
        ttl_seconds_after_finished: j.ttl.as_ref().map(|d| int32(d.value.as_secs())),
        parallelism: j.parallelism.as_ref().map(|v| int32(v.value)),
        completions: j.completions.as_ref().map(|v| int32(v.value)),
        template: PodTemplateSpec {
            metadata: j.pod_labels().map(|labels| ObjectMeta { labels: Some(labels), ..Default::default() }),
            spec: Some(pod),
        },
        ..Default::default()
    }
}
