//! Lowers `stream-app` with its children (`image`, `size`, `replicas`, `env`, `consumes`, `produces`,
//! `health`, `autoscale`, `metrics`). `consumes`/`produces` go through `kafka-user`'s own lowering, and the ACLs they
//! make become a KafkaUser named after the app in the Kafka model. Rules that need the whole platform are in
//! `check::app`.

use kdl::KdlNode;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::lang::kafka::{lower_consumes, lower_produces};
use crate::lang::pod::lower_env;
use crate::lang::reader::{NodeReader, one_of, unknown_node};
use crate::model::Platform;
use crate::model::app::{Autoscale, Fallback, Health, KafkaTrigger, StreamApp, consumes_from_acls, kafka_user};
use crate::model::kafka::Authentication;
use crate::source::{FileId, Spanned};

const CHILDREN: &[&str] =
    &["image", "size", "replicas", "env", "consumes", "produces", "health", "autoscale", "metrics", "alert"];

pub fn lower_stream_app(node: &KdlNode, file: FileId, p: &mut Platform, d: &mut Diagnostics) {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let name = r.arg::<String>("the app's name (its Deployment's and KafkaUser's name)", d);
    let tenant = r.req_prop::<String>("tenant", "\"payments\"", d);
    let kafka = r.prop::<String>("kafka", d);
    let authentication = r.prop::<String>("authentication", d).and_then(|a| {
        let v = match one_of(&a, &["tls", "scram-sha-512"], "authentication type", d)? {
            "tls" => Authentication::Tls,
            _ => Authentication::ScramSha512,
        };
        Some(Spanned::new(v, a.span))
    });
    let run_as_user = r.prop::<u64>("run-as-user", d);
    let priority_class = r.prop::<String>("priority-class", d);
    let (mut image, mut size, mut replicas, mut health, mut autoscale) = (None, None, None, None, None);
    let (mut env, mut consumes, mut produces, mut acls) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut metrics = Vec::new();
    let mut alerts = Vec::new();
    for child in r.children() {
        let mut c = NodeReader::new(child, file);
        match c.name() {
            "image" => {
                image = c.arg::<String>("the container image, e.g. \"registry.acme.io/app:1.2.0\"", d);
                c.finish(false, d);
            }
            "size" => {
                size = c.arg::<String>("a size preset, e.g. \"m\"", d);
                c.finish(false, d);
            }
            "replicas" => {
                replicas = c.arg::<u32>("the number of replicas", d);
                c.finish(false, d);
            }
            "env" => env.extend(lower_env(child, file, d)),
            "consumes" => {
                let before = acls.len();
                lower_consumes(child, file, &mut acls, d);
                consumes.push(consumes_from_acls(&acls[before..], c.name_span()));
            }
            "produces" => {
                lower_produces(child, file, &mut acls, d);
                produces.push(c.name_span());
            }
            "health" => health = Some(lower_health(child, file, d)),
            "autoscale" => autoscale = Some(lower_autoscale(child, file, d)),
            "metrics" => metrics.extend(crate::lang::monitoring::lower_metrics(child, file, d)),
            "alert" => alerts.extend(crate::lang::monitoring::lower_alert(child, file, d)),
            _ => unknown_node(child, file, "`stream-app`", CHILDREN, d),
        }
    }
    r.finish(true, d);
    let (Some(name), Some(tenant)) = (name, tenant) else { return };
    let app = StreamApp {
        alerts,
        name,
        tenant,
        kafka,
        authentication,
        image,
        size,
        replicas,
        run_as_user,
        priority_class,
        env,
        consumes,
        produces,
        health,
        autoscale,
        metrics,
        span,
    };
    p.kafka.users.push(kafka_user(&app, acls));
    p.apps.apps.push(app);
}

fn lower_health(node: &KdlNode, file: FileId, d: &mut Diagnostics) -> Health {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let port = r.req_prop::<u32>("port", "8080", d);
    let liveness = r.prop::<String>("liveness", d);
    let readiness = r.prop::<String>("readiness", d);
    r.finish(false, d);
    Health { port, liveness, readiness, span }
}

/// `"70%"` (or a bare 70): a utilization target in percent.
fn percent(r: &mut NodeReader, key: &'static str, d: &mut Diagnostics) -> Option<Spanned<u32>> {
    let v = r.prop::<crate::model::Scalar>(key, d)?;
    let n = match &v.value {
        crate::model::Scalar::Int(i) => u32::try_from(*i).ok(),
        crate::model::Scalar::Str(s) => s.trim().strip_suffix('%').and_then(|n| n.trim().parse::<u32>().ok()),
        _ => None,
    };
    match n {
        Some(n) if (1..=1000).contains(&n) => Some(Spanned::new(n, v.span)),
        _ => {
            d.push(
                Diagnostic::error("strata::app::utilization", format!("`{key}` is not a utilization: `{}`", v.value))
                    .at(v.span, "expected a percentage of the container's request")
                    .help(format!("write the target average utilization, e.g. `{key}=\"70%\"`")),
            );
            None
        }
    }
}

fn lower_autoscale(node: &KdlNode, file: FileId, d: &mut Diagnostics) -> Autoscale {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let min = r.prop::<u32>("min", d);
    let max = r.req_prop::<u32>("max", "10", d);
    let cpu = percent(&mut r, "cpu", d);
    let memory = percent(&mut r, "memory", d);
    let idle = r.prop::<i64>("idle-replicas", d);
    let (mut kafka, mut fallback) = (None, None);
    for child in r.children() {
        let mut c = NodeReader::new(child, file);
        match c.name() {
            "kafka" => {
                let span = c.name_span();
                kafka = Some(KafkaTrigger {
                    lag: c.prop::<u64>("lag", d),
                    activation_lag: c.prop::<u64>("activation-lag", d),
                    topic: c.prop::<String>("topic", d),
                    group: c.prop::<String>("group", d),
                    allow_idle_consumers: c.prop::<bool>("allow-idle-consumers", d),
                    limit_to_partitions_with_lag: c.prop::<bool>("limit-to-partitions-with-lag", d),
                    span,
                });
                c.finish(false, d);
            }
            "fallback" => {
                let span = c.name_span();
                fallback = Some(Fallback {
                    failure_threshold: c.prop::<i64>("failure-threshold", d),
                    replicas: c.prop::<i64>("replicas", d),
                    span,
                });
                c.finish(false, d);
            }
            _ => unknown_node(child, file, "`autoscale`", &["kafka", "fallback"], d),
        }
    }
    r.finish(true, d);
    Autoscale { min, max, cpu, memory, kafka, idle, fallback, span }
}
