//! Lowers the Kafka nodes: `kafka` (a Strimzi cluster the platform refers to), `topic`, `topic-preset`
//! (also used by the stdlib) and `kafka-user` with its `produces`/`consumes`/`acl`/`quotas` children.
//! Rules that need the whole platform (references, names, ranges) are in `check::kafka`.

use kdl::KdlNode;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::lang::reader::{NodeReader, Scalar, one_of, unknown_node};
use crate::model::Platform;
use crate::model::kafka::{
    Acl, AclOrigin, ApiVersion, Authentication, Authorization, ConfigEntry, KafkaCluster, KafkaUser, KafkaVersion,
    ResourceName, ResourceType, Topic, TopicPreset, UserQuotas,
};
use crate::source::{FileId, Spanned};
use crate::units::Bytes;

pub fn lower_cluster(node: &KdlNode, file: FileId, p: &mut Platform, d: &mut Diagnostics) {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let name = r.arg::<String>("the cluster's name (the `Kafka` resource's name)", d);
    let namespace = r.req_prop::<String>("namespace", "\"kafka\"", d);
    let brokers = r.req_prop::<u32>("brokers", "3", d);
    let authorization = r.prop::<String>("authorization", d);
    let admin_api = r.prop::<bool>("supports-admin-api", d);
    let version = r.prop::<String>("version", d);
    let api_version = r.prop::<String>("api-version", d);
    let tiered_storage = r.prop::<bool>("tiered-storage", d);
    let broker_storage = r.prop::<Bytes>("broker-storage", d);
    let kafka_exporter = r.prop::<bool>("kafka-exporter", d);
    r.finish(false, d);

    let auth = match authorization.as_ref().map(|a| (a, one_of(a, &["simple", "custom", "none"], "authorization", d))) {
        Some((a, Some("simple"))) => Some(Spanned::new(Authorization::Simple, a.span)),
        Some((a, Some("custom"))) => {
            Some(Spanned::new(Authorization::Custom { admin_api: admin_api.as_ref().is_some_and(|b| b.value) }, a.span))
        }
        Some((a, Some(_))) => Some(Spanned::new(Authorization::None, a.span)),
        Some((_, None)) => None,
        None => Some(Spanned::new(Authorization::None, span)),
    };
    if let Some(flag) = &admin_api
        && !matches!(auth.as_ref().map(|a| a.value), Some(Authorization::Custom { .. }))
    {
        d.push(
            Diagnostic::error(
                "strata::kafka::supports-admin-api",
                "`supports-admin-api` only applies to `authorization=\"custom\"`",
            )
            .at(flag.span, "has no effect here")
            .help("remove it: `simple` authorization always manages ACLs through the Admin API"),
        );
    }
    let version = version.and_then(|v| match KafkaVersion::parse(&v.value) {
        Some(k) => Some(Spanned::new(k, v.span)),
        None => {
            d.push(
                Diagnostic::error("strata::kafka::version", format!("`{}` is not a Kafka version", v.value))
                    .at(v.span, "expected `major.minor`")
                    .help("write the version the brokers run, e.g. \"4.1\" or \"4.1.0\""),
            );
            None
        }
    });
    let api_version = match api_version {
        Some(a) => match one_of(&a, &["v1", "v1beta2"], "Strimzi API version", d) {
            Some("v1beta2") => Some(Spanned::new(ApiVersion::V1beta2, a.span)),
            Some(_) => Some(Spanned::new(ApiVersion::V1, a.span)),
            None => None,
        },
        None => Some(Spanned::new(ApiVersion::V1, span)),
    };
    if let (Some(name), Some(namespace), Some(brokers), Some(authorization), Some(api_version)) =
        (name, namespace, brokers, auth, api_version)
    {
        p.kafka.clusters.push(KafkaCluster {
            name,
            namespace,
            brokers,
            authorization,
            version,
            api_version,
            tiered_storage,
            broker_storage,
            kafka_exporter,
            span,
        });
    }
}

/// `config "key" value` children shared by topics and presets.
fn lower_config(child: &KdlNode, file: FileId, out: &mut Vec<ConfigEntry>, d: &mut Diagnostics) {
    let mut c = NodeReader::new(child, file);
    let key = c.arg::<String>("the Kafka config key, e.g. \"retention.ms\"", d);
    let value = c.arg::<Scalar>("the value, e.g. \"7d\" or 2", d);
    c.finish(false, d);
    if let (Some(key), Some(value)) = (key, value) {
        out.push(ConfigEntry { key, value });
    }
}

pub fn lower_topic(node: &KdlNode, file: FileId, p: &mut Platform, d: &mut Diagnostics) {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let name = r.arg::<String>("the Kafka topic name", d);
    let cluster = r.prop::<String>("kafka", d);
    let tenant = r.prop::<String>("tenant", d);
    let preset = r.prop::<String>("preset", d);
    let partitions = r.prop::<u32>("partitions", d);
    let replicas = r.prop::<u32>("replicas", d);
    let mut config = Vec::new();
    let mut alerts = Vec::new();
    for child in r.children() {
        match child.name().value() {
            "config" => lower_config(child, file, &mut config, d),
            "alert" => alerts.extend(crate::lang::monitoring::lower_alert(child, file, d)),
            _ => unknown_node(child, file, "`topic`", &["config", "alert"], d),
        }
    }
    r.finish(true, d);
    if let Some(name) = name {
        p.kafka.topics.push(Topic { name, cluster, tenant, preset, partitions, replicas, config, span, alerts });
    }
}

pub fn lower_topic_preset(node: &KdlNode, file: FileId, from_stdlib: bool, p: &mut Platform, d: &mut Diagnostics) {
    let mut r = NodeReader::new(node, file);
    let name = r.arg::<String>("the preset's name", d);
    let description = r.prop::<String>("description", d);
    let partitions = r.prop::<u32>("partitions", d);
    let replicas = r.prop::<u32>("replicas", d);
    let mut config = Vec::new();
    for child in r.children() {
        match child.name().value() {
            "config" => lower_config(child, file, &mut config, d),
            _ => unknown_node(child, file, "`topic-preset`", &["config"], d),
        }
    }
    r.finish(true, d);
    if let Some(name) = name {
        p.kafka.presets.push(TopicPreset { name, description, partitions, replicas, config, from_stdlib });
    }
}

const USER_CHILDREN: &[&str] = &["produces", "consumes", "acl", "quotas", "alert"];

pub fn lower_user(node: &KdlNode, file: FileId, p: &mut Platform, d: &mut Diagnostics) {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let name = r.arg::<String>("the user's name", d);
    let cluster = r.prop::<String>("kafka", d);
    let tenant = r.prop::<String>("tenant", d);
    let authentication = r.prop::<String>("authentication", d).and_then(|a| {
        let v = match one_of(&a, &["tls", "tls-external", "scram-sha-512"], "authentication type", d)? {
            "tls" => Authentication::Tls,
            "tls-external" => Authentication::TlsExternal,
            _ => Authentication::ScramSha512,
        };
        Some(Spanned::new(v, a.span))
    });
    let password_secret = r.prop::<String>("password-secret", d);
    let password_key = r.prop::<String>("password-key", d);
    let validity_days = r.prop::<u32>("validity-days", d);
    let renewal_days = r.prop::<u32>("renewal-days", d);
    let mut acls = Vec::new();
    let mut quotas: Option<UserQuotas> = None;
    let mut alerts = Vec::new();
    for child in r.children() {
        match child.name().value() {
            "produces" => lower_produces(child, file, &mut acls, d),
            "consumes" => lower_consumes(child, file, &mut acls, d),
            "acl" => lower_acl(child, file, &mut acls, d),
            "quotas" => {
                let q = lower_quotas(child, file, d);
                if let (Some(first), Some(again)) = (quotas.as_ref().and_then(|q| q.span), q.span) {
                    d.push(
                        Diagnostic::error("strata::kafka::duplicate-quotas", "`quotas` is given twice")
                            .at(again, "given again here")
                            .also(first, "first given here")
                            .help("put every quota into one `quotas` node"),
                    );
                }
                quotas = Some(q);
            }
            "alert" => alerts.extend(crate::lang::monitoring::lower_alert(child, file, d)),
            _ => unknown_node(child, file, "`kafka-user`", USER_CHILDREN, d),
        }
    }
    r.finish(true, d);
    if let Some(name) = name {
        p.kafka.users.push(KafkaUser {
            name,
            cluster,
            tenant,
            authentication,
            password_secret,
            password_key,
            validity_days,
            renewal_days,
            acls,
            quotas,
            span,
            alerts,
        });
    }
}

fn resource(name: Spanned<String>) -> ResourceName {
    ResourceName { written: name }
}

fn ops(names: &[&str], span: crate::source::Span) -> Vec<Spanned<String>> {
    names.iter().map(|n| Spanned::new((*n).to_string(), span)).collect()
}

/// `produces "orders" "payments" transactional-id="orders-tx"`: Write and Describe on each topic (Write also
/// grants idempotent produce since Kafka 2.8, KIP-679, so no cluster ACL is needed), plus Write and
/// Describe on the transactional id when one is given.
pub(crate) fn lower_produces(node: &KdlNode, file: FileId, acls: &mut Vec<Acl>, d: &mut Diagnostics) {
    let mut c = NodeReader::new(node, file);
    let topics = c.rest_args::<String>("topic name (or `prefix*`)", d);
    if topics.is_empty() {
        c.arg::<String>("a topic name, e.g. `produces \"orders\"`", d);
    }
    let tx = c.prop::<String>("transactional-id", d);
    c.finish(false, d);
    for t in topics {
        let span = t.span;
        acls.push(Acl {
            resource_type: ResourceType::Topic,
            resource: Some(resource(t)),
            operations: ops(&["Write", "Describe"], span),
            deny: false,
            host: None,
            origin: AclOrigin::Produces,
            span,
        });
    }
    if let Some(tx) = tx {
        let span = tx.span;
        acls.push(Acl {
            resource_type: ResourceType::TransactionalId,
            resource: Some(resource(tx)),
            operations: ops(&["Write", "Describe"], span),
            deny: false,
            host: None,
            origin: AclOrigin::Produces,
            span,
        });
    }
}

/// `consumes "orders" group="orders-agg"`: Read and Describe on each topic, Read on the consumer group.
pub(crate) fn lower_consumes(node: &KdlNode, file: FileId, acls: &mut Vec<Acl>, d: &mut Diagnostics) {
    let mut c = NodeReader::new(node, file);
    let topics = c.rest_args::<String>("topic name (or `prefix*`)", d);
    if topics.is_empty() {
        c.arg::<String>("a topic name, e.g. `consumes \"orders\" group=\"orders-agg\"`", d);
    }
    let group = c.prop::<String>("group", d);
    c.finish(false, d);
    for t in topics {
        let span = t.span;
        acls.push(Acl {
            resource_type: ResourceType::Topic,
            resource: Some(resource(t)),
            operations: ops(&["Read", "Describe"], span),
            deny: false,
            host: None,
            origin: AclOrigin::Consumes,
            span,
        });
    }
    if let Some(g) = group {
        let span = g.span;
        acls.push(Acl {
            resource_type: ResourceType::Group,
            resource: Some(resource(g)),
            operations: ops(&["Read"], span),
            deny: false,
            host: None,
            origin: AclOrigin::Consumes,
            span,
        });
    }
}

/// `acl "Read" "Describe" topic="orders" type="deny" host="10.0.0.1"`: the operations as arguments and
/// exactly one resource (`topic`, `group`, `transactional-id`, or `cluster=#true`).
fn lower_acl(node: &KdlNode, file: FileId, acls: &mut Vec<Acl>, d: &mut Diagnostics) {
    let mut c = NodeReader::new(node, file);
    let span = c.name_span();
    let operations = c.rest_args::<String>("operation", d);
    if operations.is_empty() {
        c.arg::<String>("at least one operation, e.g. `acl \"Read\" topic=\"orders\"`", d);
    }
    let topic = c.prop::<String>("topic", d);
    let group = c.prop::<String>("group", d);
    let tx = c.prop::<String>("transactional-id", d);
    let cluster = c.prop::<bool>("cluster", d);
    let kind = c.prop::<String>("type", d);
    let host = c.prop::<String>("host", d);
    c.finish(false, d);

    let deny = kind.as_ref().and_then(|k| one_of(k, &["allow", "deny"], "ACL type", d)) == Some("deny");
    let mut targets: Vec<(ResourceType, Option<Spanned<String>>, crate::source::Span)> = Vec::new();
    if let Some(t) = topic {
        targets.push((ResourceType::Topic, Some(t.clone()), t.span));
    }
    if let Some(g) = group {
        targets.push((ResourceType::Group, Some(g.clone()), g.span));
    }
    if let Some(t) = tx {
        targets.push((ResourceType::TransactionalId, Some(t.clone()), t.span));
    }
    if let Some(cl) = cluster {
        if cl.value {
            targets.push((ResourceType::Cluster, None, cl.span));
        } else {
            d.push(
                Diagnostic::error("strata::kafka::acl-resource", "`cluster=#false` names no resource")
                    .at(cl.span, "remove it")
                    .help("write `cluster=#true` for a cluster ACL, or name a `topic`, `group` or `transactional-id`"),
            );
            return;
        }
    }
    match targets.len() {
        0 => d.push(
            Diagnostic::error("strata::kafka::acl-resource", "`acl` names no resource")
                .at(span, "which resource does this rule cover?")
                .help("add one of `topic=\"...\"`, `group=\"...\"`, `transactional-id=\"...\"` or `cluster=#true`"),
        ),
        1 => {
            let (resource_type, name, _) = targets.remove(0);
            acls.push(Acl {
                resource_type,
                resource: name.map(resource),
                operations,
                deny,
                host,
                origin: AclOrigin::Explicit,
                span,
            });
        }
        _ => d.push(
            Diagnostic::error("strata::kafka::acl-resource", "`acl` names more than one resource")
                .at(targets[1].2, "second resource")
                .also(targets[0].2, "first resource")
                .help("write one `acl` per resource"),
        ),
    }
}

/// A byte rate: a whole number (bytes per second) or a size (`"1Mi"`, per second).
fn byte_rate(r: &mut NodeReader, key: &'static str, d: &mut Diagnostics) -> Option<Spanned<u64>> {
    let v = r.prop::<Scalar>(key, d)?;
    let bytes = match &v.value {
        Scalar::Int(i) if *i >= 0 => u64::try_from(*i).ok(),
        Scalar::Str(s) => Bytes::parse(s).ok().map(|b| b.0),
        _ => None,
    };
    if bytes.is_none() {
        d.push(
            Diagnostic::error("strata::kafka::quota", format!("`{key}` is not a byte rate: `{}`", v.value))
                .at(v.span, "expected bytes per second")
                .help("write bytes per second as a number (1048576) or a size (\"1Mi\")"),
        );
    }
    bytes.map(|b| Spanned::new(b, v.span))
}

fn lower_quotas(node: &KdlNode, file: FileId, d: &mut Diagnostics) -> UserQuotas {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let producer_byte_rate = byte_rate(&mut r, "producer-byte-rate", d);
    let consumer_byte_rate = byte_rate(&mut r, "consumer-byte-rate", d);
    let request_percentage = r.prop::<u64>("request-percentage", d);
    let controller_mutation_rate = r.prop::<Scalar>("controller-mutation-rate", d).and_then(|v| {
        let rate = match v.value {
            Scalar::Int(i) if i >= 0 => Some(i as f64),
            Scalar::Float(f) if f >= 0.0 && f.is_finite() => Some(f),
            _ => None,
        };
        if rate.is_none() {
            d.push(
                Diagnostic::error(
                    "strata::kafka::quota",
                    format!("`controller-mutation-rate` is not a rate: `{}`", v.value),
                )
                .at(v.span, "expected a non-negative number")
                .help("write partitions created or deleted per second, e.g. 10 or 0.5"),
            );
        }
        rate.map(|r| Spanned::new(r, v.span))
    });
    r.finish(false, d);
    UserQuotas {
        span: Some(span),
        producer_byte_rate,
        consumer_byte_rate,
        request_percentage,
        controller_mutation_rate,
    }
}
