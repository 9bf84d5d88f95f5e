//! A `flink-job` becomes a FlinkDeployment (`flink.apache.org/v1beta1`) in application mode; every tenant with
//! Flink jobs gets the job ServiceAccount, Role and RoleBinding the operator chart would create in a watched
//! namespace. Configuration keys follow the job's Flink version (1.20 renamed the checkpoint keys, 2.0 removed
//! the old ones).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use serde_json::{Map, Value, json};

use crate::emit::meta;
use crate::manifest::{ManifestSet, Placement, Stage};
use crate::model::flink::{FlinkJob, FlinkVersion, Role as FlinkRole, SERVICE_ACCOUNT, limit_factor};
use crate::model::pod::PodShape;
use crate::model::{Platform, Tenant};
use crate::units::{Bytes, Cpu};

pub const API_VERSION: &str = "flink.apache.org/v1beta1";

pub fn emit(p: &Platform, set: &mut ManifestSet) {
    for t in &p.tenants {
        let jobs: Vec<&FlinkJob> = p.flink.jobs.iter().filter(|j| j.tenant.value == t.name.value).collect();
        let Some(first) = jobs.first() else { continue };
        emit_rbac(t, first, set);
        for job in jobs {
            if let Some(object) = flink_deployment(p, job, t) {
                set.add_value(
                    object,
                    Placement { stage: Stage::Workloads, tenant: Some(t.name.value.clone()), span: job.name.span },
                );
            }
        }
    }
}

/// The operator chart's job role (`flink-operator` chart, `template.flink.rules`): JobManagers create and
/// watch TaskManager pods and HA ConfigMaps, and own their Deployment.
fn flink_rules() -> Vec<PolicyRule> {
    vec![
        PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(vec!["pods".into(), "configmaps".into()]),
            verbs: vec!["*".into()],
            ..Default::default()
        },
        PolicyRule {
            api_groups: Some(vec!["apps".into()]),
            resources: Some(vec!["deployments".into(), "deployments/finalizers".into()]),
            verbs: vec!["*".into()],
            ..Default::default()
        },
    ]
}

fn emit_rbac(t: &Tenant, first: &FlinkJob, set: &mut ManifestSet) {
    let ns = t.namespace.value.as_str();
    let at = || Placement { stage: Stage::Tenancy, tenant: Some(t.name.value.clone()), span: first.name.span };
    set.add_typed(&ServiceAccount { metadata: meta(SERVICE_ACCOUNT, Some(ns)), ..Default::default() }, at());
    set.add_typed(&Role { metadata: meta(SERVICE_ACCOUNT, Some(ns)), rules: Some(flink_rules()) }, at());
    set.add_typed(
        &RoleBinding {
            metadata: meta(SERVICE_ACCOUNT, Some(ns)),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "Role".into(),
                name: SERVICE_ACCOUNT.into(),
            },
            subjects: Some(vec![Subject {
                kind: "ServiceAccount".into(),
                name: SERVICE_ACCOUNT.into(),
                namespace: Some(ns.into()),
                api_group: None,
            }]),
        },
        at(),
    );
}

/// `resource.cpu` is a number in the CRD: whole cores as integers, else a decimal.
fn cpu_number(c: Cpu) -> Value {
    if c.0.is_multiple_of(1000) { json!(c.0 / 1000) } else { json!(c.0 as f64 / 1000.0) }
}

/// `resource.memory` in Flink's own notation (`4g`, `1536m`: binary units), which every operator version
/// parses; Kubernetes' `4Gi` is only understood by newer ones.
pub fn flink_memory(b: Bytes) -> String {
    for (unit, mult) in [("g", 1u64 << 30), ("m", 1 << 20), ("k", 1 << 10)] {
        if b.0 >= mult && b.0.is_multiple_of(mult) {
            return format!("{}{unit}", b.0 / mult);
        }
    }
    format!("{}b", b.0)
}

/// Flink durations: seconds when whole, else milliseconds (units every Flink version parses).
fn flink_duration(ms: u64) -> String {
    if ms.is_multiple_of(1000) { format!("{}s", ms / 1000) } else { format!("{ms}ms") }
}

fn resource(shape: PodShape) -> Value {
    json!({"cpu": cpu_number(shape.cpu_request), "memory": flink_memory(shape.memory_request)})
}

/// `flinkConfiguration`: what strata derives from the job's settings, then the spec's own `config` entries
/// (checks keep the two apart).
pub fn flink_configuration(
    job: &FlinkJob,
    version: FlinkVersion,
    jm: PodShape,
    tm: PodShape,
) -> BTreeMap<String, String> {
    let mut c = BTreeMap::new();
    c.insert("taskmanager.numberOfTaskSlots".to_string(), job.slots().to_string());
    if let Some(cp) = &job.checkpoints {
        if let Some(every) = &cp.every {
            c.insert("execution.checkpointing.interval".to_string(), flink_duration(every.value.0));
        }
        if let Some(dir) = &cp.dir {
            c.insert(version.checkpoint_dir_key().to_string(), dir.value.clone());
        }
        if let Some(dir) = &cp.savepoint_dir {
            c.insert(version.savepoint_dir_key().to_string(), dir.value.clone());
        }
    }
    if let Some(ha) = &job.high_availability {
        c.insert(version.ha_type_key().to_string(), "kubernetes".to_string());
        if let Some(dir) = &ha.dir {
            c.insert("high-availability.storageDir".to_string(), dir.value.clone());
        }
    }
    if version.has_limit_factors() {
        for (role, shape) in [("jobmanager", jm), ("taskmanager", tm)] {
            if let Some(f) = limit_factor(shape.cpu_request.0, shape.cpu_limit.0) {
                c.insert(format!("kubernetes.{role}.cpu.limit-factor"), f);
            }
            if let Some(f) = limit_factor(shape.memory_request.0, shape.memory_limit.0) {
                c.insert(format!("kubernetes.{role}.memory.limit-factor"), f);
            }
        }
    }
    for (k, v) in &job.config {
        c.insert(k.value.clone(), v.value.to_string());
    }
    c
}

/// The pod template every JobManager and TaskManager pod starts from: the priority class, a restricted
/// security context (the image's `flink` user), and environment, merged by the operator into
/// `flink-main-container`.
fn pod_template(job: &FlinkJob, t: &Tenant) -> Value {
    let uid = job.run_as_user();
    let mut spec = Map::new();
    if let Some(pc) = job.priority_class.as_ref().or(t.priority_class.as_ref()) {
        spec.insert("priorityClassName".into(), json!(pc.value));
    }
    spec.insert(
        "securityContext".into(),
        json!({
            "runAsNonRoot": true,
            "runAsUser": uid,
            "runAsGroup": uid,
            "fsGroup": uid,
            "seccompProfile": {"type": "RuntimeDefault"},
        }),
    );
    let mut container = Map::new();
    container.insert("name".into(), json!("flink-main-container"));
    container.insert(
        "securityContext".into(),
        json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}),
    );
    if !job.env.is_empty() {
        container.insert("env".into(), Value::Array(job.env.iter().map(|e| e.to_json()).collect()));
    }
    spec.insert("containers".into(), json!([container]));
    json!({"apiVersion": "v1", "kind": "Pod", "spec": spec})
}

/// The FlinkDeployment of one job; `None` only for a job the checks would have rejected.
pub fn flink_deployment(p: &Platform, job: &FlinkJob, t: &Tenant) -> Option<Value> {
    let version = job.version()?;
    let jar = job.jar.as_ref()?;
    let jm = job.resources(FlinkRole::JobManager, p)?;
    let tm = job.resources(FlinkRole::TaskManager, p)?;

    let mut job_spec = Map::new();
    job_spec.insert("jarURI".into(), json!(jar.uri.value));
    if let Some(e) = &jar.entry_class {
        job_spec.insert("entryClass".into(), json!(e.value));
    }
    if !job.args.is_empty() {
        job_spec.insert("args".into(), json!(job.args.iter().map(|a| a.value.as_str()).collect::<Vec<_>>()));
    }
    if let Some(par) = &job.parallelism {
        job_spec.insert("parallelism".into(), json!(par.value));
    }
    job_spec.insert("upgradeMode".into(), json!(job.upgrade_mode().as_str()));
    job_spec.insert("state".into(), json!(job.state.as_ref().map_or("running", |s| s.value.as_str())));

    let mut task_manager = Map::new();
    task_manager.insert("resource".into(), resource(tm));
    if let Some(r) = job.taskmanager.as_ref().and_then(|c| c.replicas.as_ref()) {
        task_manager.insert("replicas".into(), json!(r.value));
    }

    Some(json!({
        "apiVersion": API_VERSION,
        "kind": "FlinkDeployment",
        "metadata": {"name": job.name.value, "namespace": t.namespace.value},
        "spec": {
            "image": job.image.as_ref().map(|i| i.value.clone()),
            "imagePullPolicy": "IfNotPresent",
            "flinkVersion": version.crd_value(),
            "mode": "native",
            "serviceAccount": SERVICE_ACCOUNT,
            "flinkConfiguration": flink_configuration(job, version, jm, tm),
            "jobManager": {"replicas": job.jobmanager_replicas(), "resource": resource(jm)},
            "taskManager": task_manager,
            "podTemplate": pod_template(job, t),
            "job": job_spec,
        },
    }))
}
