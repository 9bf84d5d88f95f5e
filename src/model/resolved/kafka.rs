//! Kafka topics and users with their cluster looked up (named, or the platform's only one), a topic's
//! preset merged in and its config entries parsed for the cluster's Kafka version.

use std::collections::BTreeMap;

use crate::crd::strimzi::AclOperation;
use crate::model::kafka::{self as m, ApiVersion, config, topic_object_name};
use crate::model::resolved::Resolver;
use crate::source::Spanned;

/// Every topic and user, in spec order.
#[derive(Debug, Clone, Default)]
pub struct Kafka {
    pub topics: Vec<Topic>,
    pub users: Vec<User>,
}

/// The Strimzi cluster a topic or user belongs to, as its objects name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub name: String,
    /// The objects live here: the cluster's Topic and User Operators watch only this namespace.
    pub namespace: String,
    pub api_version: ApiVersion,
    /// `kafka-exporter=#true`: Strimzi's Kafka Exporter runs, so lag and in-sync replica series exist.
    pub kafka_exporter: bool,
}

#[derive(Debug, Clone)]
pub struct Topic {
    pub spec: m::Topic,
    pub cluster: Cluster,
    /// The owning tenant, when the topic names one.
    pub tenant: Option<String>,
    /// `metadata.name` ([`topic_object_name`]); the Kafka name is `spec.name`.
    pub object_name: String,
    /// The topic's own count, else its preset's.
    pub partitions: u32,
    /// The topic's own, else its preset's, else strata's default for the cluster's broker count.
    pub replicas: u32,
    /// The preset's entries with the topic's over them, by key, each parsed into the form Kafka takes.
    pub config: BTreeMap<String, config::Value>,
}

#[derive(Debug, Clone)]
pub struct User {
    pub spec: m::KafkaUser,
    pub cluster: Cluster,
    pub tenant: Option<String>,
    /// `spec.acls`, in order, each with its operations as Strimzi spells them.
    pub acls: Vec<Acl>,
}

/// One ACL rule of a user.
#[derive(Debug, Clone)]
pub struct Acl {
    pub spec: m::Acl,
    /// The rule's operations as written (repeats included), each one Strimzi knows.
    pub operations: Vec<AclOperation>,
}

pub(crate) fn resolve(r: &mut Resolver) -> Kafka {
    let k = &r.p.kafka;
    let topics = r.each(&k.topics, topic);
    let users = r.each(&k.users, user);
    Kafka { topics, users }
}

fn cluster<'p>(
    r: &mut Resolver<'p>,
    named: Option<&Spanned<String>>,
    object: &str,
    at: crate::source::Span,
) -> Option<&'p m::KafkaCluster> {
    let k = &r.p.kafka;
    match (k.cluster_for(named), named) {
        (Some(c), _) => Some(c),
        (None, Some(n)) => r.fail(object, format!("Kafka cluster `{}` does not exist", n.value), n.span),
        (None, None) => {
            r.fail(object, format!("it names no Kafka cluster, and the platform has {}", k.clusters.len()), at)
        }
    }
}

fn cluster_ref(c: &m::KafkaCluster) -> Cluster {
    Cluster {
        name: c.name.value.clone(),
        namespace: c.namespace.value.clone(),
        api_version: c.api_version.value,
        kafka_exporter: c.kafka_exporter.as_ref().is_some_and(|e| e.value),
    }
}

/// The tenant a topic or user names exists (its name is the objects' tenant label).
fn owner(r: &mut Resolver, tenant: Option<&Spanned<String>>, object: &str) -> Option<Option<String>> {
    match tenant {
        None => Some(None),
        Some(t) => r.tenant(t, object).map(|t| Some(t.name.value.clone())),
    }
}

fn topic(r: &mut Resolver, t: &m::Topic) -> Option<Topic> {
    let object = format!("topic `{}`", t.name.value);
    let c = cluster(r, t.cluster.as_ref(), &object, t.name.span)?;
    let tenant = owner(r, t.tenant.as_ref(), &object)?;
    if let Some(preset) = &t.preset
        && r.p.kafka.preset(&preset.value).is_none()
    {
        return r.fail(&object, format!("topic preset `{}` does not exist", preset.value), preset.span);
    }
    let merged = r.p.kafka.merged(t);
    let Some((partitions, _)) = &merged.partitions else {
        return r.fail(&object, "it has no partition count (nor does its preset)", t.name.span);
    };
    let Some((replicas, _)) = &merged.replicas else {
        return r.fail(&object, "its replica count cannot be derived", t.name.span);
    };
    let version = c.version.as_ref().map(|v| v.value);
    let mut config = BTreeMap::new();
    for (key, (entry, _)) in &merged.config {
        let Some(k) = config::lookup(key) else {
            return r.fail(&object, format!("`{key}` is not a topic config"), entry.key.span);
        };
        match config::parse(k, &entry.value.value, version) {
            Ok(v) => {
                config.insert((*key).to_string(), v);
            }
            Err(problem) => return r.fail(&object, problem.message, entry.value.span),
        }
    }
    Some(Topic {
        spec: t.clone(),
        cluster: cluster_ref(c),
        tenant,
        object_name: topic_object_name(&t.name.value),
        partitions: partitions.value,
        replicas: replicas.value,
        config,
    })
}

fn user(r: &mut Resolver, u: &m::KafkaUser) -> Option<User> {
    let object = format!("kafka-user `{}`", u.name.value);
    let c = cluster(r, u.cluster.as_ref(), &object, u.name.span)?;
    let tenant = owner(r, u.tenant.as_ref(), &object)?;
    let mut acls = Vec::new();
    for acl in &u.acls {
        let mut operations = Vec::new();
        for op in &acl.operations {
            match AclOperation::parse(&op.value) {
                Some(o) => operations.push(o),
                None => return r.fail(&object, format!("`{}` is not an ACL operation", op.value), op.span),
            }
        }
        acls.push(Acl { spec: acl.clone(), operations });
    }
    Some(User { spec: u.clone(), cluster: cluster_ref(c), tenant, acls })
}
