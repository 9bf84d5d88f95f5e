//! A `flink-job` becomes a FlinkDeployment (`flink.apache.org/v1beta1`) in application mode; every tenant with
//! Flink jobs gets the job ServiceAccount, Role and RoleBinding the operator chart would create in a watched
//! namespace. Configuration keys follow the job's Flink version (1.20 renamed the checkpoint keys, 2.0 removed
//! the old ones).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, PodSecurityContext, PodSpec, SeccompProfile, SecurityContext,
    ServiceAccount,
};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use serde_json::{Number, Value};

use crate::crd::CustomResource as _;
use crate::crd::flink::{
    FlinkDeployment, FlinkDeploymentSpec, JobManagerSpec, JobSpec, KubernetesDeploymentMode, PodTemplate, Resource,
    TaskManagerSpec,
};
use crate::crd::int64;
use crate::emit::airflow::k8s_env;
use crate::emit::meta;
use crate::manifest::{Census, ManifestSet, Placement, Stage};
use crate::model::flink::{
    Autoscale, MAX_PARALLELISM_KEY, PROMETHEUS_PORT, PROMETHEUS_REPORTER, SERVICE_ACCOUNT, limit_factor,
};
use crate::model::monitoring::METRICS_PORT_NAME;
use crate::model::pod::PodShape;
use crate::model::resolved::ResolvedPlatform;
use crate::model::resolved::flink::FlinkJob;
use crate::units::{Bytes, Cpu};

pub fn emit(p: &ResolvedPlatform, set: &mut ManifestSet) {
    let mut rbac_done: BTreeSet<&str> = BTreeSet::new();
    for job in &p.flink {
        if rbac_done.insert(job.tenant.namespace.as_str()) {
            emit_rbac(job, set);
        }
        set.add_custom(
            &flink_deployment(job),
            Placement { stage: Stage::Workloads, tenant: Some(job.tenant.name.clone()), span: job.spec.name.span },
        );
    }
}

/// The objects [`emit`] adds, as headers ([`Census`]), in the same order.
pub fn census(p: &ResolvedPlatform, c: &mut Census) {
    let mut rbac_done: BTreeSet<&str> = BTreeSet::new();
    for job in &p.flink {
        let ns = job.tenant.namespace.as_str();
        let at = |stage| Placement { stage, tenant: Some(job.tenant.name.clone()), span: job.spec.name.span };
        if rbac_done.insert(ns) {
            c.typed::<ServiceAccount>(SERVICE_ACCOUNT, Some(ns), at(Stage::Tenancy));
            c.typed::<Role>(SERVICE_ACCOUNT, Some(ns), at(Stage::Tenancy));
            c.typed::<RoleBinding>(SERVICE_ACCOUNT, Some(ns), at(Stage::Tenancy));
        }
        let (api_version, kind) = (crate::crd::flink::API_VERSION, FlinkDeployment::KIND);
        c.add(api_version, kind, &job.spec.name.value, Some(ns), at(Stage::Workloads));
    }
}

/// The operator chart's job role, verb for verb (apache/flink-kubernetes-operator
/// `helm/flink-kubernetes-operator/templates/rbac/_helpers.tpl`, `flink-operator.jobRbacRules`, read at commit
/// 14839c84): JobManagers create and watch TaskManager pods and HA ConfigMaps, and own their Deployment.
/// Never `*`: that grants every verb, present and future (`deletecollection` among them), which the pods do not use.
const JOB_VERBS: &[&str] = &["get", "list", "watch", "create", "update", "patch", "delete"];

fn flink_rules() -> Vec<PolicyRule> {
    let verbs = || JOB_VERBS.iter().map(|v| v.to_string()).collect::<Vec<_>>();
    vec![
        PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(vec!["pods".into(), "configmaps".into()]),
            verbs: verbs(),
            ..Default::default()
        },
        PolicyRule {
            api_groups: Some(vec!["apps".into()]),
            resources: Some(vec!["deployments".into(), "deployments/finalizers".into()]),
            verbs: verbs(),
            ..Default::default()
        },
    ]
}

/// The tenant's job RBAC, placed at its first Flink job.
fn emit_rbac(first: &FlinkJob, set: &mut ManifestSet) {
    let ns = first.tenant.namespace.as_str();
    let at =
        || Placement { stage: Stage::Tenancy, tenant: Some(first.tenant.name.clone()), span: first.spec.name.span };
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
fn cpu_number(c: Cpu) -> Number {
    if c.0.is_multiple_of(1000) {
        Number::from(c.0 / 1000)
    } else {
        // Millicores over 1000 are finite, so this is always a number.
        Number::from_f64(c.0 as f64 / 1000.0).unwrap_or_else(|| Number::from(0))
    }
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

fn resource(shape: PodShape) -> Resource {
    Resource { cpu: Some(cpu_number(shape.cpu_request)), memory: Some(flink_memory(shape.memory_request)) }
}

/// `flinkConfiguration`: what strata derives from the job's settings, then the spec's own `config` entries
/// (checks keep the two apart).
pub fn flink_configuration(r: &FlinkJob) -> BTreeMap<String, String> {
    let (job, version, jm, tm) = (&r.spec, r.version, r.jobmanager, r.taskmanager);
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
    if let Some(a) = &job.autoscale {
        autoscaler_configuration(a, &mut c);
    }
    if r.monitored {
        for (k, v) in PROMETHEUS_REPORTER {
            c.insert(k.to_string(), v.to_string());
        }
    }
    for (k, v) in &job.config {
        c.insert(k.value.clone(), v.value.to_string());
    }
    c
}

/// The operator's job autoscaler keys (AutoScalerOptions, flink-kubernetes-operator release-1.15.0: the
/// current names, e.g. `utilization.target` rather than the deprecated `target.utilization`).
fn autoscaler_configuration(a: &Autoscale, c: &mut BTreeMap<String, String>) {
    let mut put = |k: &str, v: String| {
        c.insert(k.to_string(), v);
    };
    put("job.autoscaler.enabled", "true".to_string());
    put("job.autoscaler.scaling.enabled", a.scales().to_string());
    if let Some(m) = &a.max_parallelism {
        put(MAX_PARALLELISM_KEY, m.value.to_string());
    }
    if let Some(m) = &a.min {
        put("job.autoscaler.vertex.min-parallelism", m.value.to_string());
    }
    if let Some(m) = &a.max {
        put("job.autoscaler.vertex.max-parallelism", m.value.to_string());
    }
    for (key, v) in [
        ("job.autoscaler.utilization.target", &a.target_utilization),
        ("job.autoscaler.utilization.min", &a.utilization_min),
        ("job.autoscaler.utilization.max", &a.utilization_max),
    ] {
        if let Some(v) = v {
            put(key, v.value.to_string());
        }
    }
    for (key, v) in [
        ("job.autoscaler.metrics.window", &a.metrics_window),
        ("job.autoscaler.stabilization.interval", &a.stabilization),
        ("job.autoscaler.catch-up.duration", &a.catch_up),
        ("job.autoscaler.restart.time", &a.restart_time),
    ] {
        if let Some(v) = v {
            put(key, flink_duration(v.value.0));
        }
    }
}

/// The pod template every JobManager and TaskManager pod starts from: the priority class, a restricted
/// security context (the image's `flink` user), environment and, on a monitored job, the Prometheus
/// reporter's named port, merged by the operator into `flink-main-container`.
fn pod_template(r: &FlinkJob) -> PodTemplate {
    let job = &r.spec;
    let uid = Some(int64(job.run_as_user()));
    let container = Container {
        name: "flink-main-container".to_string(),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities { drop: Some(vec!["ALL".to_string()]), add: None }),
            ..Default::default()
        }),
        env: (!job.env.is_empty()).then(|| job.env.iter().map(k8s_env).collect()),
        ports: r.monitored.then(|| {
            vec![ContainerPort {
                name: Some(METRICS_PORT_NAME.to_string()),
                container_port: PROMETHEUS_PORT,
                protocol: Some("TCP".to_string()),
                ..Default::default()
            }]
        }),
        ..Default::default()
    };
    PodTemplate {
        api_version: Some("v1".to_string()),
        kind: Some("Pod".to_string()),
        // A tenant's labels are stamped on every object (`Stamp::apply`, `ManifestSet::stamp_tenant_labels`).
        metadata: None,
        spec: Some(PodSpec {
            priority_class_name: r.priority_class.clone(),
            security_context: Some(PodSecurityContext {
                run_as_non_root: Some(true),
                run_as_user: uid,
                run_as_group: uid,
                fs_group: uid,
                seccomp_profile: Some(SeccompProfile { type_: "RuntimeDefault".to_string(), localhost_profile: None }),
                ..Default::default()
            }),
            containers: vec![container],
            ..Default::default()
        }),
    }
}

/// The FlinkDeployment of one job.
pub fn flink_deployment(r: &FlinkJob) -> FlinkDeployment {
    let (job, jar) = (&r.spec, &r.jar);
    let job_spec = JobSpec {
        jar_uri: Some(jar.uri.value.clone()),
        entry_class: jar.entry_class.as_ref().map(|e| e.value.clone()),
        args: (!job.args.is_empty()).then(|| job.args.iter().map(|a| a.value.clone()).collect()),
        parallelism: job.parallelism.as_ref().map(|p| i64::from(p.value)),
        upgrade_mode: Some(job.upgrade_mode()),
        state: Some(r.state),
    };
    let configuration = flink_configuration(r).into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    FlinkDeployment::new(
        meta(&job.name.value, Some(&r.tenant.namespace)),
        FlinkDeploymentSpec {
            image: Some(r.image.clone()),
            image_pull_policy: Some("IfNotPresent".to_string()),
            flink_version: Some(r.version.crd()),
            mode: Some(KubernetesDeploymentMode::Native),
            service_account: Some(SERVICE_ACCOUNT.to_string()),
            flink_configuration: Some(configuration),
            job_manager: Some(JobManagerSpec {
                replicas: Some(i64::from(job.jobmanager_replicas())),
                resource: Some(resource(r.jobmanager)),
            }),
            task_manager: Some(TaskManagerSpec {
                resource: Some(resource(r.taskmanager)),
                replicas: job.taskmanager.as_ref().and_then(|c| c.replicas.as_ref()).map(|n| i64::from(n.value)),
            }),
            pod_template: Some(pod_template(r)),
            job: Some(job_spec),
        },
    )
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::test_support::compile;

    fn deployment(body: &str) -> Value {
        let c = compile(&format!("tenant \"t\" namespace=\"team-t\" priority-class=\"streaming\"\n{body}"));
        assert!(c.ok(), "{:?}", c.diagnostics);
        let set = c.manifests.expect("compiled");
        set.items.iter().find(|m| m.kind == "FlinkDeployment").map(|m| m.object.clone()).expect("a FlinkDeployment")
    }

    #[test]
    fn memory_and_cpu_notation() {
        assert_eq!(flink_memory(Bytes(4 << 30)), "4g");
        assert_eq!(flink_memory(Bytes(1536 << 20)), "1536m");
        assert_eq!(flink_memory(Bytes(1000)), "1000b");
        assert_eq!(Value::Number(cpu_number(Cpu(2000))), json!(2));
        assert_eq!(Value::Number(cpu_number(Cpu(250))), json!(0.25));
        assert_eq!(flink_duration(90_000), "90s");
        assert_eq!(flink_duration(1500), "1500ms");
    }

    #[test]
    fn a_job_becomes_an_application_mode_deployment() {
        let d = deployment(
            r#"
flink-job "j" tenant="t" {
    image "registry.acme.io/j:1.0.0"
    jar "local:///opt/flink/usrlib/j.jar" version="1.20" entry-class="com.acme.J"
    args "--in" "orders"
    parallelism 6
    jobmanager size="s" replicas=2
    taskmanager size="m" slots=4
    checkpoints every="30s" dir="s3://b/cp" savepoint-dir="s3://b/sp" upgrade="last-state"
    high-availability dir="s3://b/ha"
    config "state.backend.type" "rocksdb"
    config "state.backend.incremental" #true
    env "AWS_SECRET_ACCESS_KEY" secret="s3" key="secret"
}
"#,
        );
        assert_eq!(d["apiVersion"], "flink.apache.org/v1beta1");
        assert_eq!(d["metadata"]["namespace"], "team-t");
        let s = &d["spec"];
        assert_eq!(s["flinkVersion"], "v1_20");
        assert_eq!(s["mode"], "native");
        assert_eq!(s["serviceAccount"], "flink");
        assert_eq!(s["job"]["jarURI"], "local:///opt/flink/usrlib/j.jar");
        assert_eq!(s["job"]["entryClass"], "com.acme.J");
        assert_eq!(s["job"]["args"], json!(["--in", "orders"]));
        assert_eq!(s["job"]["parallelism"], 6);
        assert_eq!(s["job"]["upgradeMode"], "last-state");
        assert_eq!(s["job"]["state"], "running");
        assert_eq!(s["jobManager"], json!({"replicas": 2, "resource": {"cpu": 0.5, "memory": "1g"}}));
        // Replicas are left to the operator (ceil(6 / 4) = 2) when the spec does not fix them.
        assert_eq!(s["taskManager"], json!({"resource": {"cpu": 1, "memory": "4g"}}));
        let c = &s["flinkConfiguration"];
        assert_eq!(c["taskmanager.numberOfTaskSlots"], "4");
        assert_eq!(c["execution.checkpointing.interval"], "30s");
        assert_eq!(c["execution.checkpointing.dir"], "s3://b/cp");
        assert_eq!(c["execution.checkpointing.savepoint-dir"], "s3://b/sp");
        assert_eq!(c["high-availability.type"], "kubernetes");
        assert_eq!(c["high-availability.storageDir"], "s3://b/ha");
        assert_eq!(c["kubernetes.taskmanager.cpu.limit-factor"], "2.0");
        assert_eq!(c["kubernetes.jobmanager.cpu.limit-factor"], "2.0");
        assert!(c.get("kubernetes.taskmanager.memory.limit-factor").is_none(), "size m limits memory at its request");
        assert_eq!(c["state.backend.incremental"], "true");
        let pod = &s["podTemplate"]["spec"];
        assert_eq!(pod["priorityClassName"], "streaming");
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_eq!(pod["securityContext"]["runAsUser"], 9999);
        assert_eq!(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
        let main = &pod["containers"][0];
        assert_eq!(main["name"], "flink-main-container");
        assert_eq!(main["securityContext"]["capabilities"]["drop"], json!(["ALL"]));
        assert_eq!(main["env"][0]["valueFrom"]["secretKeyRef"]["name"], "s3");
    }

    #[test]
    fn keys_follow_the_flink_version() {
        let job = |v: &str| {
            deployment(&format!(
                r#"
flink-job "j" tenant="t" priority-class="batch" {{
    image "flink:{v}"
    jar "local:///j.jar" version="{v}"
    taskmanager size="m" replicas=3 slots=2
    jobmanager memory="2Gi" cpu=1
    checkpoints every="1m" dir="s3://b/cp" savepoint-dir="s3://b/sp" upgrade="savepoint"
    high-availability dir="s3://b/ha"
}}
"#
            ))
        };
        let old = job("1.16");
        let c = &old["spec"]["flinkConfiguration"];
        assert_eq!(c["state.checkpoints.dir"], "s3://b/cp");
        assert_eq!(c["state.savepoints.dir"], "s3://b/sp");
        assert_eq!(c["high-availability"], "kubernetes");
        assert_eq!(c["execution.checkpointing.interval"], "60s");
        assert_eq!(old["spec"]["taskManager"]["replicas"], 3);
        assert!(old["spec"]["job"].get("parallelism").is_none());
        assert_eq!(old["spec"]["jobManager"]["resource"], json!({"cpu": 1, "memory": "2g"}));
        assert_eq!(old["spec"]["podTemplate"]["spec"]["priorityClassName"], "batch");

        let c = &job("1.17")["spec"]["flinkConfiguration"];
        assert_eq!(c["high-availability.type"], "kubernetes");
        assert_eq!(c["state.checkpoints.dir"], "s3://b/cp");

        let new = job("2.0");
        let c = &new["spec"]["flinkConfiguration"];
        assert_eq!(c["execution.checkpointing.dir"], "s3://b/cp");
        assert!(c.get("state.checkpoints.dir").is_none());
        assert_eq!(new["spec"]["flinkVersion"], "v2_0");
    }

    #[test]
    fn one_flink_role_per_tenant() {
        let c = compile(
            r#"
tenant "t"
tenant "quiet"
flink-job "a" tenant="t" { image "flink:1.20.1"; jar "local:///j.jar" version="1.20"; parallelism 1; jobmanager size="s"; taskmanager size="s"; }
flink-job "b" tenant="t" { image "flink:1.20.1"; jar "local:///j.jar" version="1.20"; parallelism 1; jobmanager size="s"; taskmanager size="s"; }
"#,
        );
        let set = c.manifests.expect("compiled");
        let count = |kind: &str| set.items.iter().filter(|m| m.kind == kind).count();
        assert_eq!(
            (count("ServiceAccount"), count("Role"), count("RoleBinding"), count("FlinkDeployment")),
            (1, 1, 1, 2)
        );
        let role = set.items.iter().find(|m| m.kind == "Role").expect("role");
        assert_eq!(role.namespace.as_deref(), Some("t"));
        assert_eq!(role.object["rules"][0]["resources"], json!(["pods", "configmaps"]));
        assert_eq!(role.object["rules"][1]["resources"], json!(["deployments", "deployments/finalizers"]));
        assert_eq!(role.object["rules"][1]["apiGroups"], json!(["apps"]));
    }
}
