//! Airflow's KubernetesExecutor, per tenant. There is no Airflow operator: the executor runs inside the
//! scheduler and creates one Pod per task from a pod template file. So an `airflow` node describes what the
//! executor needs from the platform (identities, RBAC, pod templates, `[kubernetes_executor]` settings) and
//! how many task pods it may run at once, which is what the tenant's quota has to hold.

use crate::model::demand::{AdmittedPod, ContainerResources, Demand, PodDemand};
use crate::model::pod::{EnvVar, PodShape, SecretKeyRef};
use crate::model::{Platform, SizePreset};
use crate::source::{Span, Spanned};

/// Airflow's own `[core] parallelism` default: the most task pods one scheduler runs when the spec does
/// not say.
pub const DEFAULT_PARALLELISM: u32 = 32;
/// Airflow's `worker_pods_creation_batch_size` default.
pub const DEFAULT_BATCH_SIZE: u32 = 1;
/// `task_publish_max_retries` strata sets when the tenant has a quota: retry without limit, because the
/// executor re-queues on the next scheduler loop (no back-off), so any finite count is only a few seconds.
pub const QUOTA_PUBLISH_RETRIES: i64 = -1;
/// The official image runs as this user (`AIRFLOW_UID`); the pod template pins it so `runAsNonRoot` can be
/// verified by the kubelet.
pub const DEFAULT_RUN_AS_USER: u64 = 50000;
/// Where the scheduler mounts the pod-templates ConfigMap (`$AIRFLOW_HOME/pod_templates`, as the chart does).
pub const POD_TEMPLATE_DIR: &str = "/opt/airflow/pod_templates";
/// The Secret keys the official chart uses, so `metadata-db secret="..."` works with chart-made Secrets.
pub const DEFAULT_METADATA_KEY: &str = "connection";
pub const DEFAULT_FERNET_KEY: &str = "fernet-key";

#[derive(Debug, Clone, Default)]
pub struct AirflowModel {
    pub deployments: Vec<Airflow>,
}

/// `airflow "orchestration" tenant="analytics" { executor "kubernetes" ... }`.
#[derive(Debug, Clone)]
pub struct Airflow {
    pub name: Spanned<String>,
    pub tenant: Spanned<String>,
    /// Worker pods' PriorityClass unless a template names its own; defaults to the tenant's.
    pub priority_class: Option<Spanned<String>>,
    pub run_as_user: Option<Spanned<u64>>,
    pub executor: Option<Executor>,
    /// `AIRFLOW__DATABASE__SQL_ALCHEMY_CONN` from this Secret key.
    pub metadata_db: Option<SecretKeyRef>,
    /// `AIRFLOW__CORE__FERNET_KEY` from this Secret key.
    pub fernet_key: Option<SecretKeyRef>,
    /// Environment for every worker template.
    pub env: Vec<EnvVar>,
    pub span: Span,
}

/// `executor "kubernetes" image=... max-parallel-tasks=... { worker-template ...; multi-namespace ... }`.
#[derive(Debug, Clone)]
pub struct Executor {
    pub kind: Spanned<String>,
    pub image: Option<Spanned<String>>,
    /// `[core] parallelism`: the executor never runs more task pods than this.
    pub max_parallel_tasks: Option<Spanned<u32>>,
    /// The template `pod_template_file` points at; tasks pick others with `executor_config`.
    pub default_template: Option<Spanned<String>>,
    pub batch_size: Option<Spanned<u32>>,
    pub delete_worker_pods: Option<Spanned<bool>>,
    pub delete_failed_pods: Option<Spanned<bool>>,
    pub publish_retries: Option<Spanned<i64>>,
    /// Also bind the worker ServiceAccount, so tasks may run KubernetesPodOperator.
    pub pod_operator: Option<Spanned<bool>>,
    pub templates: Vec<WorkerTemplate>,
    pub multi_namespace: Option<MultiNamespace>,
    pub span: Span,
}

/// `worker-template "gpu" size="l" gpu=1 image=... priority-class=... { env ... }`.
#[derive(Debug, Clone)]
pub struct WorkerTemplate {
    pub name: Spanned<String>,
    pub size: Option<Spanned<String>>,
    pub image: Option<Spanned<String>>,
    pub priority_class: Option<Spanned<String>>,
    pub gpu: Option<Spanned<u32>>,
    /// Only accepted when equal to the executor's namespace (the executor overrides it anyway).
    pub namespace: Option<Spanned<String>>,
    pub env: Vec<EnvVar>,
    pub span: Span,
}

/// `multi-namespace "payments" "sandbox"` (tenants whose namespaces the executor may use) or
/// `multi-namespace cluster-wide=#true` (every namespace, through a ClusterRole).
#[derive(Debug, Clone)]
pub struct MultiNamespace {
    pub tenants: Vec<Spanned<String>>,
    pub cluster_wide: Option<Spanned<bool>>,
    pub span: Span,
}

impl MultiNamespace {
    pub fn is_cluster_wide(&self) -> bool {
        self.cluster_wide.as_ref().is_some_and(|c| c.value)
    }
}

impl Executor {
    pub fn parallelism(&self) -> u32 {
        self.max_parallel_tasks.as_ref().map_or(DEFAULT_PARALLELISM, |m| m.value)
    }

    /// The template `pod_template_file` names: `default-template=`, else the one called `default`, else the
    /// only one. `None` when that is ambiguous (a check reports it).
    pub fn default_template(&self) -> Option<&WorkerTemplate> {
        if let Some(name) = &self.default_template {
            return self.templates.iter().find(|t| t.name.value == name.value);
        }
        if let Some(t) = self.templates.iter().find(|t| t.name.value == "default") {
            return Some(t);
        }
        match self.templates.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    /// `[kubernetes_executor] task_publish_max_retries`: the spec's value, else unlimited when the namespace
    /// has a quota (pods refused with 403 "exceeded quota" are retried instead of failing the task), else
    /// Airflow's default 0.
    pub fn publish_retries(&self, has_quota: bool) -> i64 {
        match &self.publish_retries {
            Some(r) => r.value,
            None if has_quota => QUOTA_PUBLISH_RETRIES,
            None => 0,
        }
    }
}

impl Airflow {
    pub fn run_as_user(&self) -> u64 {
        self.run_as_user.as_ref().map_or(DEFAULT_RUN_AS_USER, |u| u.value)
    }

    /// Object names, all derived from the deployment's name.
    pub fn scheduler_sa(&self) -> String {
        format!("{}-scheduler", self.name.value)
    }
    pub fn worker_sa(&self) -> String {
        format!("{}-worker", self.name.value)
    }
    pub fn pod_launcher(&self) -> String {
        format!("{}-pod-launcher", self.name.value)
    }
    pub fn templates_configmap(&self) -> String {
        format!("{}-pod-templates", self.name.value)
    }
    pub fn env_configmap(&self) -> String {
        format!("{}-executor-env", self.name.value)
    }
    pub fn config_configmap(&self) -> String {
        format!("{}-executor-config", self.name.value)
    }
}

/// The pod path of a template's file, for `pod_template_file` and `executor_config`.
pub fn template_path(template: &str) -> String {
    format!("{POD_TEMPLATE_DIR}/{template}.yaml")
}

impl AirflowModel {
    /// The deployments' and their worker templates' PriorityClass references.
    pub fn priority_class_refs(&self) -> impl Iterator<Item = &Spanned<String>> {
        self.deployments.iter().flat_map(|a| {
            a.priority_class
                .iter()
                .chain(a.executor.iter().flat_map(|e| e.templates.iter()).filter_map(|t| t.priority_class.as_ref()))
        })
    }

    /// Peak demand of each deployment whose executor has a sized worker template: `max-parallel-tasks` task
    /// pods, each as large as the largest worker template in every dimension. Airflow caps running tasks per
    /// scheduler (`[core] parallelism`) but not per template, and any task may pick any template, so only the
    /// largest one is a bound that holds. Task pods sent to other namespaces (multi-namespace mode) are
    /// counted against the home tenant, the only quota strata can be sure they use.
    pub fn demands(&self, p: &Platform) -> Vec<Demand> {
        self.deployments
            .iter()
            .filter_map(|a| {
                let ex = a.executor.as_ref()?;
                // A template whose size does not resolve is left out: its unknown size is the error to report,
                // not what the LimitRange would make of no resources.
                let sized: Vec<_> = ex
                    .templates
                    .iter()
                    .filter_map(|t| Some((t, t.size.as_ref().and_then(|s| p.presets.size(&s.value))?)))
                    .collect();
                a.demand_for(ex, &sized)
            })
            .collect()
    }
}

impl Airflow {
    /// The demand of the deployment with these worker templates and their sizes (see
    /// [`AirflowModel::demands`]); `None` when no template has a size, as then nothing bounds its pods.
    pub fn demand_for(&self, ex: &Executor, sized: &[(&WorkerTemplate, &SizePreset)]) -> Option<Demand> {
        let shape_of = |size: &SizePreset| PodShape {
            cpu_request: size.cpu.value,
            cpu_limit: size.cpu_limit(),
            memory_request: size.memory.value,
            memory_limit: size.memory_limit(),
        };
        // Admission sees each template on its own.
        let admission = sized
            .iter()
            .map(|(t, size)| AdmittedPod {
                role: format!("worker template `{}`", t.name.value),
                span: t.size.as_ref().map_or(t.span, |s| s.span),
                containers: vec![ContainerResources {
                    name: "base".into(),
                    cpu_request: Some(size.cpu.value),
                    cpu_limit: Some(size.cpu_limit()),
                    memory_request: Some(size.memory.value),
                    memory_limit: Some(size.memory_limit()),
                }],
            })
            .collect();
        let shape = sized.iter().map(|(_, size)| shape_of(size)).reduce(PodShape::max)?;
        let names: Vec<&str> = sized.iter().map(|(t, _)| t.name.value.as_str()).collect();
        let role = if names.len() == 1 {
            format!("task pods (worker template `{}`)", names[0])
        } else {
            format!("task pods (largest of worker templates {})", names.join(", "))
        };
        Some(Demand {
            tenant: self.tenant.value.clone(),
            workload: format!("airflow `{}`", self.name.value),
            span: ex.max_parallel_tasks.as_ref().map_or(self.name.span, |m| m.span),
            exclusive_group: None,
            pods: vec![PodDemand {
                gpus: sized.iter().filter_map(|(t, _)| t.gpu.as_ref()).map(|g| u64::from(g.value)).max().unwrap_or(0),
                ..shape.pods(role, u64::from(ex.parallelism()))
            }],
            objects: Vec::new(),
            admission,
            run: crate::model::demand::Run::UpTo,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::compile;
    use crate::units::{Bytes, Cpu};

    const GI: u64 = 1 << 30;

    #[test]
    fn demand_is_parallelism_times_the_largest_template_in_every_dimension() {
        // `wide` has the most cpu, `tall` the most memory: the bound takes each maximum.
        let c = compile(
            r#"
size "wide" cpu=4 memory="2Gi" cpu-limit=6 memory-limit="2Gi"
size "tall" cpu=1 memory="16Gi" cpu-limit=2 memory-limit="20Gi"
tenant "t" { quota cpu=100 memory="500Gi" }
airflow "af" tenant="t" {
    executor "kubernetes" image="apache/airflow:3.1.3" max-parallel-tasks=10 {
        worker-template "default" size="wide"
        worker-template "tall" size="tall"
    }
}
"#,
        );
        assert!(c.ok(), "{:?}", c.diagnostics);
        let demands = c.platform.demands();
        assert_eq!(demands.len(), 1);
        let d = &demands[0];
        assert_eq!((d.tenant.as_str(), d.workload.as_str()), ("t", "airflow `af`"));
        assert_eq!(d.pods.len(), 1);
        let pods = &d.pods[0];
        assert_eq!(pods.count, 10);
        assert_eq!((pods.cpu_request, pods.cpu_limit), (Cpu(4000), Cpu(6000)));
        assert_eq!((pods.memory_request, pods.memory_limit), (Bytes(16 * GI), Bytes(20 * GI)));
        assert!(pods.role.contains("default, tall"), "{}", pods.role);
        let t = d.totals();
        assert_eq!((t.cpu_request, t.memory_request, t.pods), (Cpu(40_000), Bytes(160 * GI), 10));
        assert!(d.objects.is_empty());
    }

    #[test]
    fn the_bundled_platform_reports_its_airflow_and_flink_demand() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("platform.kdl");
        let c = crate::compile_env(&crate::lang::DiskFs, &root, Some("production"), crate::Stage::Compile);
        assert!(c.ok(), "{:?}", c.diagnostics);
        let demands = c.platform.demands();
        let totals = |workload: &str| {
            let d = demands.iter().find(|d| d.workload == workload).unwrap_or_else(|| panic!("no {workload}"));
            (d.tenant.clone(), d.totals())
        };
        // 8 task pods of the larger template `l`: 2 cpu / 8Gi requested, 4 cpu limit each.
        let (tenant, t) = totals("airflow `orchestration`");
        assert_eq!(tenant, "analytics");
        assert_eq!(
            (t.cpu_request, t.cpu_limit, t.memory_request, t.pods),
            (Cpu(16_000), Cpu(32_000), Bytes(64 * GI), 8)
        );
        // 2 JobManagers of size s and ceil(12 / 4) = 3 TaskManagers of size l.
        let (tenant, t) = totals("flink-job `fraud-scoring`");
        assert_eq!(tenant, "payments");
        assert_eq!(
            (t.cpu_request, t.cpu_limit, t.memory_request, t.pods),
            (Cpu(7_000), Cpu(14_000), Bytes(26 * GI), 5)
        );
        // 1 JobManager of size s and ceil(4 / 2) = 2 TaskManagers of size m.
        let (tenant, t) = totals("flink-job `clickstream-sessions`");
        assert_eq!(tenant, "analytics");
        assert_eq!((t.cpu_request, t.memory_request, t.pods), (Cpu(2_500), Bytes(9 * GI), 3));
    }

    #[test]
    fn demand_defaults_to_airflows_parallelism() {
        let c = compile(
            r#"
tenant "t"
airflow "af" tenant="t" {
    executor "kubernetes" image="apache/airflow:3.1.3" { worker-template "default" size="s"; }
}
"#,
        );
        assert!(c.ok(), "{:?}", c.diagnostics);
        let d = &c.platform.demands()[0];
        assert_eq!(d.pods[0].count, u64::from(super::DEFAULT_PARALLELISM));
        // Size `s` from the stdlib: 500m/1Gi requested, 1 cpu/1Gi limit.
        assert_eq!((d.pods[0].cpu_request, d.pods[0].cpu_limit), (Cpu(500), Cpu(1000)));
        assert_eq!(d.pods[0].role, "task pods (worker template `default`)");
    }

    #[test]
    fn publish_retries_follow_the_quota() {
        let c = compile(
            r#"
tenant "t"
airflow "af" tenant="t" {
    executor "kubernetes" image="apache/airflow:3.1.3" { worker-template "default" size="s"; }
}
"#,
        );
        let ex = c.platform.airflow.deployments[0].executor.as_ref().expect("executor");
        assert_eq!(ex.publish_retries(true), super::QUOTA_PUBLISH_RETRIES);
        assert_eq!(ex.publish_retries(false), 0);
    }

    #[test]
    fn default_template_resolution() {
        let c = compile(
            r#"
tenant "t"
airflow "one" tenant="t" {
    executor "kubernetes" image="apache/airflow:3.1.3" { worker-template "only" size="s"; }
}
airflow "named" tenant="t" {
    executor "kubernetes" image="apache/airflow:3.1.3" default-template="b" {
        worker-template "a" size="s"
        worker-template "b" size="s"
    }
}
airflow "conventional" tenant="t" {
    executor "kubernetes" image="apache/airflow:3.1.3" {
        worker-template "gpu" size="s"
        worker-template "default" size="s"
    }
}
"#,
        );
        assert!(c.ok(), "{:?}", c.diagnostics);
        let picks: Vec<&str> = c
            .platform
            .airflow
            .deployments
            .iter()
            .map(|a| a.executor.as_ref().and_then(|e| e.default_template()).map_or("", |t| t.name.value.as_str()))
            .collect();
        assert_eq!(picks, ["only", "b", "default"]);
    }
}
