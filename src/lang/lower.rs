//! Lowers the top level of each spec file: dispatches every node to its domain's lowering function and
//! handles the nodes that belong to no domain (`platform`, `include`).

use kdl::{KdlDocument, KdlNode};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::lang::reader::{NodeReader, one_of, unknown_node};
use crate::lang::{airflow, app, external_secret, flink, job, kafka, monitoring, presets, spark, tenant};
use crate::model::{DEFAULT_INVENTORY_NAMESPACE, Platform, PlatformHeader};
use crate::source::{FileId, Span, Spanned};

/// Every node allowed at the top level of a platform spec (for "did you mean").
pub const TOP_LEVEL: &[&str] = &[
    "platform",
    "include",
    "size",
    "tier",
    "priority-class",
    "tenant",
    "kafka",
    "topic",
    "topic-preset",
    "kafka-user",
    "spark-job",
    "airflow",
    "flink-job",
    "job",
    "stream-app",
    "environment",
    "secret-store",
    "external-secret",
];

pub fn lower_document(doc: &KdlDocument, file: FileId, is_root: bool, p: &mut Platform, d: &mut Diagnostics) {
    for node in doc.nodes() {
        lower_top(node, file, is_root, p, d);
    }
}

fn lower_top(node: &KdlNode, file: FileId, is_root: bool, p: &mut Platform, d: &mut Diagnostics) {
    match node.name().value() {
        "platform" => lower_platform(node, file, is_root, p, d),
        "include" => check_include(node, file, d),
        "size" => presets::lower_size(node, file, false, p, d),
        "tier" => presets::lower_tier(node, file, false, p, d),
        "priority-class" => presets::lower_priority_class(node, file, false, p, d),
        "tenant" => tenant::lower_tenant(node, file, p, d),
        "kafka" => kafka::lower_cluster(node, file, p, d),
        "topic" => kafka::lower_topic(node, file, p, d),
        "topic-preset" => kafka::lower_topic_preset(node, file, false, p, d),
        "kafka-user" => kafka::lower_user(node, file, p, d),
        "spark-job" => spark::lower_spark_job(node, file, p, d),
        "airflow" => airflow::lower_airflow(node, file, p, d),
        "flink-job" => flink::lower_flink_job(node, file, p, d),
        "job" => job::lower_job(node, file, p, d),
        "stream-app" => app::lower_stream_app(node, file, p, d),
        "secret-store" => external_secret::lower_store(node, file, p, d),
        "external-secret" => external_secret::lower_external_secret(node, file, p, d),
        _ => unknown_node(node, file, "the top level of a spec", TOP_LEVEL, d),
    }
}

/// Include targets are resolved by the loader; here only the node's shape is checked.
fn check_include(node: &KdlNode, file: FileId, d: &mut Diagnostics) {
    let mut r = NodeReader::new(node, file);
    r.arg::<String>("a file path or glob, e.g. \"tenants/*.kdl\"", d);
    r.finish(false, d);
}

fn lower_platform(node: &KdlNode, file: FileId, is_root: bool, p: &mut Platform, d: &mut Diagnostics) {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let name = r.arg::<String>("the platform's name", d);
    let mut context = None;
    let mut kubernetes_version = None;
    let mut inventory_namespace = None;
    let mut drift = crate::model::DriftPolicy::default();
    let mut operators = crate::model::network::Operators::default();
    let mut monitoring = None;
    for child in r.children() {
        let mut c = NodeReader::new(child, file);
        match c.name() {
            "cluster" => {
                context = c.req_prop::<String>("context", "\"prod-eks\"", d);
                c.finish(false, d);
            }
            "kubernetes" => {
                kubernetes_version = c.req_prop::<String>("version", "\"1.30\"", d);
                c.finish(false, d);
            }
            "inventory" => {
                inventory_namespace = c.req_prop::<String>("namespace", "\"strata-system\"", d);
                c.finish(false, d);
            }
            "drift" => {
                let v = c.arg::<String>("the drift policy, \"correct\" or \"report\"", d);
                drift = match v.as_ref().and_then(|v| one_of(v, &["correct", "report"], "drift policy", d)) {
                    Some("correct") => crate::model::DriftPolicy::Correct,
                    Some(_) => crate::model::DriftPolicy::Report,
                    None => drift,
                };
                c.finish(false, d);
            }
            "operators" => lower_operators(child, file, &mut operators, d),
            "monitoring" => monitoring::lower_monitoring(child, file, &mut monitoring, d),
            "pricing" => presets::lower_pricing(child, file, false, p, d),
            _ => unknown_node(
                child,
                file,
                "`platform`",
                &["cluster", "kubernetes", "inventory", "drift", "operators", "monitoring", "pricing"],
                d,
            ),
        }
    }
    r.finish(true, d);
    if !is_root {
        d.push(
            Diagnostic::error("strata::platform::not-root", "`platform` belongs in the root spec file")
                .at(span, "found in an included file")
                .help("move the `platform` node to the file you pass to strata"),
        );
        return;
    }
    if let Some(existing) = &p.header {
        d.push(
            Diagnostic::error("strata::platform::duplicate", "the spec has two `platform` nodes")
                .at(span, "second `platform` here")
                .also(existing.span, "first `platform` here")
                .help("a spec describes one platform: keep one `platform` node"),
        );
        return;
    }
    let Some(name) = name else { return };
    let inventory_namespace = inventory_namespace
        .unwrap_or_else(|| Spanned::new(DEFAULT_INVENTORY_NAMESPACE.to_string(), Span::new(file, 0, 0)));
    p.header =
        Some(PlatformHeader { name, context, kubernetes_version, inventory_namespace, drift, span, environment: None });
    p.operators = operators;
    p.monitoring = monitoring;
}

/// `operators { flink namespace="flink-operator" }`: where the operators that connect into tenant
/// namespaces run (see `model::network`).
fn lower_operators(node: &KdlNode, file: FileId, ops: &mut crate::model::network::Operators, d: &mut Diagnostics) {
    let r = NodeReader::new(node, file);
    ops.span = Some(r.name_span());
    for child in r.children() {
        let mut c = NodeReader::new(child, file);
        match c.name() {
            "flink" => {
                ops.flink = c.req_prop::<String>("namespace", "\"flink-operator\"", d);
                c.finish(false, d);
            }
            _ => unknown_node(child, file, "`operators`", &["flink"], d),
        }
    }
    r.finish(true, d);
}
