//! Lowers `airflow` nodes: the executor, its worker templates and multi-namespace mode, and the Secrets and
//! environment the worker pods get.

use kdl::KdlNode;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::lang::pod::{duplicate_child, lower_env, lower_secret_ref};
use crate::lang::reader::{NodeReader, one_of, unknown_node};
use crate::model::Platform;
use crate::model::airflow::{
    Airflow, DEFAULT_FERNET_KEY, DEFAULT_METADATA_KEY, Executor, MultiNamespace, WorkerTemplate,
};
use crate::source::FileId;

const AIRFLOW_CHILDREN: &[&str] = &["executor", "metadata-db", "fernet-key", "env"];
const EXECUTOR_CHILDREN: &[&str] = &["worker-template", "multi-namespace"];
const LITERAL_SECRET: &str = "strata::airflow::literal-secret";

pub fn lower_airflow(node: &KdlNode, file: FileId, p: &mut Platform, d: &mut Diagnostics) {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let name = r.arg::<String>("the deployment's name", d);
    let tenant = r.req_prop::<String>("tenant", "\"analytics\"", d);
    let priority_class = r.prop::<String>("priority-class", d);
    let run_as_user = r.prop::<u64>("run-as-user", d);
    let mut executor: Option<Executor> = None;
    // An `executor` that failed to lower was reported already; only a missing one is reported below.
    let mut saw_executor = false;
    let mut metadata_db = None;
    let mut fernet_key = None;
    let mut env = Vec::new();
    for child in r.children() {
        match child.name().value() {
            "executor" => {
                saw_executor = true;
                if let Some(first) = &executor {
                    duplicate_child(child, file, first.span, d);
                } else {
                    executor = lower_executor(child, file, d);
                }
            }
            "metadata-db" => metadata_db = lower_secret_ref(child, file, DEFAULT_METADATA_KEY, LITERAL_SECRET, d),
            "fernet-key" => fernet_key = lower_secret_ref(child, file, DEFAULT_FERNET_KEY, LITERAL_SECRET, d),
            "env" => env.extend(lower_env(child, file, d)),
            _ => unknown_node(child, file, "`airflow`", AIRFLOW_CHILDREN, d),
        }
    }
    r.finish(true, d);
    let (Some(name), Some(tenant)) = (name, tenant) else { return };
    if !saw_executor {
        d.push(
            Diagnostic::error("strata::airflow::executor", format!("airflow `{}` has no `executor`", name.value))
                .at(name.span, "which executor runs its tasks?")
                .help("add `executor \"kubernetes\" image=\"apache/airflow:3.1.3\" { worker-template \"default\" size=\"m\" }`"),
        );
    }
    p.airflow.deployments.push(Airflow {
        name,
        tenant,
        priority_class,
        run_as_user,
        executor,
        metadata_db,
        fernet_key,
        env,
        span,
    });
}

fn lower_executor(node: &KdlNode, file: FileId, d: &mut Diagnostics) -> Option<Executor> {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let kind = r.arg::<String>("the executor kind (\"kubernetes\")", d);
    let image = r.prop::<String>("image", d);
    let max_parallel_tasks = r.prop::<u32>("max-parallel-tasks", d);
    let default_template = r.prop::<String>("default-template", d);
    let batch_size = r.prop::<u32>("batch-size", d);
    let delete_worker_pods = r.prop::<bool>("delete-worker-pods", d);
    let delete_failed_pods = r.prop::<bool>("delete-failed-pods", d);
    let publish_retries = r.prop::<i64>("publish-retries", d);
    let pod_operator = r.prop::<bool>("pod-operator", d);
    let mut templates = Vec::new();
    let mut multi_namespace: Option<MultiNamespace> = None;
    for child in r.children() {
        match child.name().value() {
            "worker-template" => templates.extend(lower_template(child, file, d)),
            "multi-namespace" => {
                if let Some(first) = &multi_namespace {
                    duplicate_child(child, file, first.span, d);
                } else {
                    multi_namespace = Some(lower_multi_namespace(child, file, d));
                }
            }
            _ => unknown_node(child, file, "`executor`", EXECUTOR_CHILDREN, d),
        }
    }
    r.finish(true, d);
    let kind = kind?;
    // KubernetesExecutor is the only one that needs platform objects; Celery workers are a Deployment the
    // Airflow chart owns.
    one_of(&kind, &["kubernetes"], "executor for strata (only the KubernetesExecutor creates pods)", d)?;
    Some(Executor {
        kind,
        image,
        max_parallel_tasks,
        default_template,
        batch_size,
        delete_worker_pods,
        delete_failed_pods,
        publish_retries,
        pod_operator,
        templates,
        multi_namespace,
        span,
    })
}

fn lower_template(node: &KdlNode, file: FileId, d: &mut Diagnostics) -> Option<WorkerTemplate> {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let name = r.arg::<String>("the template's name", d);
    let size = r.req_prop::<String>("size", "\"m\"", d);
    let image = r.prop::<String>("image", d);
    let priority_class = r.prop::<String>("priority-class", d);
    let gpu = r.prop::<u32>("gpu", d);
    let namespace = r.prop::<String>("namespace", d);
    let mut env = Vec::new();
    for child in r.children() {
        match child.name().value() {
            "env" => env.extend(lower_env(child, file, d)),
            _ => unknown_node(child, file, "`worker-template`", &["env"], d),
        }
    }
    r.finish(true, d);
    Some(WorkerTemplate { name: name?, size, image, priority_class, gpu, namespace, env, span })
}

fn lower_multi_namespace(node: &KdlNode, file: FileId, d: &mut Diagnostics) -> MultiNamespace {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let tenants = r.rest_args::<String>("tenant name", d);
    let cluster_wide = r.prop::<bool>("cluster-wide", d);
    r.finish(false, d);
    MultiNamespace { tenants, cluster_wide, span }
}
