//! Kafka on Strimzi: the clusters a platform refers to, the topics and users it declares on them, and the
//! topic presets. Topics and users become `KafkaTopic`/`KafkaUser` objects in the *cluster's* namespace
//! (each Strimzi operator watches exactly one namespace), while the owning tenant is recorded separately.
//!
//! Demand model: Kafka adds nothing to [`crate::model::demand`]. Topics and users run no pods of the tenant,
//! and a `count/kafkatopics.kafka.strimzi.io` quota is per namespace: the objects live in the Kafka
//! cluster's namespace, not the tenant's, so a tenant quota could never count them.

pub mod config;

use std::collections::BTreeMap;

use crate::model::Scalar;
use crate::model::{Direction, NetworkMode, Tenant};
use crate::source::{Span, Spanned};
use crate::units::Bytes;

/// The replication factor a topic gets when neither it nor its preset states one: three copies (the usual
/// production choice, and what Strimzi's examples use), or one per broker on a smaller cluster.
pub const DEFAULT_MAX_REPLICAS: u32 = 3;

/// The listener ports of a Strimzi cluster's brokers and bootstrap service as usually configured: 9092
/// (plain) and 9093 (TLS). Isolated tenants with Kafka users get egress to these.
pub const CLIENT_PORTS: [u16; 2] = [9092, 9093];

/// [`KafkaModel::topics_by_name`].
pub type TopicsByName<'a> = std::collections::HashMap<&'a str, &'a Topic>;

/// Every Kafka node of the platform.
#[derive(Debug, Clone, Default)]
pub struct KafkaModel {
    pub clusters: Vec<KafkaCluster>,
    pub topics: Vec<Topic>,
    pub users: Vec<KafkaUser>,
    /// Stdlib and platform `topic-preset`s; lookups prefer the platform's own.
    pub presets: Vec<TopicPreset>,
}

/// `kafka "main" namespace="kafka" brokers=3 authorization="simple"`: a Strimzi `Kafka` cluster that
/// exists (strata refers to it; it does not emit the `Kafka` resource).
#[derive(Debug, Clone)]
pub struct KafkaCluster {
    pub name: Spanned<String>,
    pub namespace: Spanned<String>,
    pub brokers: Spanned<u32>,
    /// As configured in the `Kafka` resource's `.spec.kafka.authorization`; spanned at the cluster's name
    /// when not written.
    pub authorization: Spanned<Authorization>,
    /// The Kafka version the brokers run, when given: gates topic configs added or removed by a release.
    pub version: Option<Spanned<KafkaVersion>>,
    /// The Strimzi API version strata emits for this cluster's topics and users.
    pub api_version: Spanned<ApiVersion>,
    /// `tiered-storage=`: whether the brokers run with tiered storage on (`remote.log.storage.system.enable`,
    /// Strimzi's `.spec.kafka.tieredStorage`). Kafka refuses `remote.storage.enable=true` topics otherwise.
    pub tiered_storage: Option<Spanned<bool>>,
    /// `broker-storage="500Gi"`: each broker's volume, for the cost model (the `Kafka` resource is not strata's).
    pub broker_storage: Option<Spanned<Bytes>>,
    /// `kafka-exporter=`: whether the `Kafka` resource deploys Strimzi's Kafka Exporter
    /// (`.spec.kafkaExporter`), the only source of consumer-group lag metrics (the brokers export none).
    pub kafka_exporter: Option<Spanned<bool>>,
    pub span: Span,
}

impl KafkaCluster {
    pub fn has_kafka_exporter(&self) -> bool {
        self.kafka_exporter.as_ref().is_some_and(|k| k.value)
    }

    pub fn has_tiered_storage(&self) -> bool {
        self.tiered_storage.as_ref().is_some_and(|t| t.value)
    }
}

/// `.spec.kafka.authorization` of the `Kafka` resource, as far as it matters for `KafkaUser` ACLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authorization {
    None,
    /// Kafka's built-in `StandardAuthorizer`; the User Operator manages ACLs through the Admin API.
    Simple,
    /// A custom authorizer; ACLs work only if it supports the Admin API (`supportsAdminApi: true`).
    Custom {
        admin_api: bool,
    },
}

impl Authorization {
    /// Whether the User Operator can apply a `KafkaUser`'s ACLs on this cluster. When it cannot, the user
    /// stays NotReady ("Simple authorization ACL rules are configured but not supported in the Kafka cluster
    /// configuration", strimzi/strimzi-kafka-operator PR #6931).
    pub fn manages_acls(self) -> bool {
        matches!(self, Authorization::Simple | Authorization::Custom { admin_api: true })
    }

    pub fn describe(self) -> &'static str {
        match self {
            Authorization::None => "no authorization",
            Authorization::Simple => "`simple` authorization",
            Authorization::Custom { admin_api: true } => "`custom` authorization with Admin API support",
            Authorization::Custom { admin_api: false } => "`custom` authorization without Admin API support",
        }
    }
}

/// `major.minor` of a Kafka release (the patch level never changes which topic configs exist).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KafkaVersion {
    pub major: u16,
    pub minor: u16,
}

impl KafkaVersion {
    pub const fn new(major: u16, minor: u16) -> Self {
        KafkaVersion { major, minor }
    }

    /// `4.1`, `4.1.0` or `3.9.1`.
    pub fn parse(s: &str) -> Option<KafkaVersion> {
        let mut parts = s.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        match parts.next() {
            None => {}
            Some(patch) if patch.parse::<u16>().is_ok() => {}
            Some(_) => return None,
        }
        if parts.next().is_some() {
            return None;
        }
        Some(KafkaVersion { major, minor })
    }
}

impl std::fmt::Display for KafkaVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The `kafka.strimzi.io` API version of emitted topics and users. Strimzi 1.x serves only `v1`; 0.49 to
/// 0.51 serve `v1` and `v1beta2`; older releases only `v1beta2` (for clusters not yet upgraded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    V1,
    V1beta2,
}

impl ApiVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "kafka.strimzi.io/v1",
            ApiVersion::V1beta2 => "kafka.strimzi.io/v1beta2",
        }
    }
}

/// One `config "key" value` entry of a topic or preset, as written (typed by [`config`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigEntry {
    pub key: Spanned<String>,
    pub value: Spanned<Scalar>,
}

/// `topic "orders" kafka="main" tenant="analytics" preset="events" partitions=12 { config ... }`.
#[derive(Debug, Clone)]
pub struct Topic {
    /// `alert "..." threshold=... for=...`: overrides of the alerts strata writes about this object.
    pub alerts: Vec<crate::model::monitoring::AlertOverride>,
    /// The Kafka topic name (may contain `_` and upper case; the object name is derived from it).
    pub name: Spanned<String>,
    /// The cluster; `None` means the platform's only cluster.
    pub cluster: Option<Spanned<String>>,
    pub tenant: Option<Spanned<String>>,
    pub preset: Option<Spanned<String>>,
    pub partitions: Option<Spanned<u32>>,
    pub replicas: Option<Spanned<u32>>,
    pub config: Vec<ConfigEntry>,
    pub span: Span,
}

/// `topic-preset "events" { config "cleanup.policy" "delete" ... }`: defaults a topic picks with
/// `preset="events"`. The topic's own values win, key by key.
#[derive(Debug, Clone)]
pub struct TopicPreset {
    pub name: Spanned<String>,
    pub description: Option<Spanned<String>>,
    pub partitions: Option<Spanned<u32>>,
    pub replicas: Option<Spanned<u32>>,
    pub config: Vec<ConfigEntry>,
    pub from_stdlib: bool,
}

/// `.spec.authentication.type` of a `KafkaUser`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authentication {
    Tls,
    TlsExternal,
    ScramSha512,
}

impl Authentication {
    pub fn as_str(self) -> &'static str {
        match self {
            Authentication::Tls => "tls",
            Authentication::TlsExternal => "tls-external",
            Authentication::ScramSha512 => "scram-sha-512",
        }
    }

    /// TLS users are identified by a certificate whose CN is the user's name.
    pub fn is_tls(self) -> bool {
        matches!(self, Authentication::Tls | Authentication::TlsExternal)
    }
}

/// `kafka-user "orders-agg" kafka="main" tenant="analytics" authentication="tls" { ... }`.
#[derive(Debug, Clone)]
pub struct KafkaUser {
    /// `alert "..." threshold=... for=...`: overrides of the alerts strata writes about this object.
    pub alerts: Vec<crate::model::monitoring::AlertOverride>,
    pub name: Spanned<String>,
    pub cluster: Option<Spanned<String>>,
    pub tenant: Option<Spanned<String>>,
    pub authentication: Option<Spanned<Authentication>>,
    /// An existing Secret (in the cluster's namespace) holding a SCRAM user's password.
    pub password_secret: Option<Spanned<String>>,
    pub password_key: Option<Spanned<String>>,
    pub validity_days: Option<Spanned<u32>>,
    pub renewal_days: Option<Spanned<u32>>,
    pub acls: Vec<Acl>,
    pub quotas: Option<UserQuotas>,
    pub span: Span,
}

/// The four Kafka resource types an ACL can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ResourceType {
    Topic,
    Group,
    Cluster,
    TransactionalId,
}

impl ResourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Topic => "topic",
            ResourceType::Group => "group",
            ResourceType::Cluster => "cluster",
            ResourceType::TransactionalId => "transactionalId",
        }
    }

    /// How the resource is named in messages.
    pub fn noun(self) -> &'static str {
        match self {
            ResourceType::Topic => "topics",
            ResourceType::Group => "consumer groups",
            ResourceType::Cluster => "the cluster",
            ResourceType::TransactionalId => "transactional ids",
        }
    }

    /// The operations Kafka's authorizer checks on this resource type (Kafka's "Operations and Resources
    /// on Protocols" table); `All` applies everywhere.
    pub fn operations(self) -> &'static [&'static str] {
        match self {
            ResourceType::Topic => {
                &["Read", "Write", "Create", "Delete", "Alter", "Describe", "AlterConfigs", "DescribeConfigs", "All"]
            }
            ResourceType::Group => &["Read", "Describe", "Delete", "All"],
            ResourceType::Cluster => &[
                "Create",
                "Alter",
                "Describe",
                "ClusterAction",
                "AlterConfigs",
                "DescribeConfigs",
                "IdempotentWrite",
                "All",
            ],
            ResourceType::TransactionalId => &["Write", "Describe", "All"],
        }
    }
}

/// A resource name as written: a trailing `*` makes it a prefix pattern (`analytics.*` matches every
/// name starting with `analytics.`); a lone `*` is Kafka's literal wildcard (every resource).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceName {
    pub written: Spanned<String>,
}

impl ResourceName {
    /// The prefix of a prefix pattern, or `None` for a literal name.
    pub fn prefix(&self) -> Option<&str> {
        let w = self.written.value.as_str();
        if w.len() > 1 { w.strip_suffix('*') } else { None }
    }

    /// The name as Kafka's ACL stores it (without the `*` of a prefix pattern).
    pub fn kafka_name(&self) -> &str {
        self.prefix().unwrap_or(&self.written.value)
    }

    /// Kafka's literal `*`: every resource of the type.
    pub fn is_wildcard(&self) -> bool {
        self.written.value == "*"
    }

    pub fn pattern_type(&self) -> &'static str {
        if self.prefix().is_some() { "prefix" } else { "literal" }
    }
}

/// Where an ACL came from, so messages can speak the user's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclOrigin {
    /// `produces "t"`: Write and Describe on the topic.
    Produces,
    /// `consumes "t" group="g"`: Read and Describe on the topic, Read on the group.
    Consumes,
    /// `acl "Read" topic="t"`.
    Explicit,
}

/// One ACL rule. `resource` is `None` only for the cluster resource, which has no name.
#[derive(Debug, Clone)]
pub struct Acl {
    pub resource_type: ResourceType,
    pub resource: Option<ResourceName>,
    pub operations: Vec<Spanned<String>>,
    pub deny: bool,
    pub host: Option<Spanned<String>>,
    pub origin: AclOrigin,
    /// The node that wrote it (`produces`, `consumes`, `acl`).
    pub span: Span,
}

/// `quotas producer-byte-rate="1Mi" consumer-byte-rate="2Mi" request-percentage=50`.
#[derive(Debug, Clone, Default)]
pub struct UserQuotas {
    pub span: Option<Span>,
    pub producer_byte_rate: Option<Spanned<u64>>,
    pub consumer_byte_rate: Option<Spanned<u64>>,
    pub request_percentage: Option<Spanned<u64>>,
    pub controller_mutation_rate: Option<Spanned<f64>>,
}

/// Where a resolved setting came from: the topic itself, its preset, or strata's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Topic,
    Preset,
    Default,
}

/// A topic with its cluster and preset looked up (where they exist) and the preset's values merged in, each
/// with where it came from: what the checks report on. [`crate::model::resolved::kafka::Topic`] is the
/// complete form emit takes.
#[derive(Debug, Clone)]
pub struct MergedTopic<'a> {
    pub topic: &'a Topic,
    pub cluster: Option<&'a KafkaCluster>,
    pub preset: Option<&'a TopicPreset>,
    pub partitions: Option<(Spanned<u32>, Origin)>,
    /// Always set when the cluster is known (the default then depends on its broker count).
    pub replicas: Option<(Spanned<u32>, Origin)>,
    /// By key; the topic's entry wins over the preset's.
    pub config: BTreeMap<&'a str, (&'a ConfigEntry, Origin)>,
}

impl KafkaModel {
    pub fn cluster(&self, name: &str) -> Option<&KafkaCluster> {
        self.clusters.iter().find(|c| c.name.value == name)
    }

    /// The cluster a topic or user refers to: the named one, or the only one when no name is given.
    pub fn cluster_for(&self, named: Option<&Spanned<String>>) -> Option<&KafkaCluster> {
        match named {
            Some(n) => self.cluster(&n.value),
            None if self.clusters.len() == 1 => self.clusters.first(),
            None => None,
        }
    }

    pub fn preset(&self, name: &str) -> Option<&TopicPreset> {
        let mut found = None;
        for p in &self.presets {
            if p.name.value == name {
                if !p.from_stdlib {
                    return Some(p);
                }
                found = Some(p);
            }
        }
        found
    }

    pub fn preset_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.presets.iter().map(|p| p.name.value.as_str()).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    pub fn cluster_names(&self) -> Vec<&str> {
        self.clusters.iter().map(|c| c.name.value.as_str()).collect()
    }

    pub fn merged<'a>(&'a self, topic: &'a Topic) -> MergedTopic<'a> {
        let cluster = self.cluster_for(topic.cluster.as_ref());
        let preset = topic.preset.as_ref().and_then(|p| self.preset(&p.value));
        let partitions = match (&topic.partitions, preset.and_then(|p| p.partitions.as_ref())) {
            (Some(own), _) => Some((own.clone(), Origin::Topic)),
            (None, Some(p)) => Some((p.clone(), Origin::Preset)),
            (None, None) => None,
        };
        let replicas = match (&topic.replicas, preset.and_then(|p| p.replicas.as_ref())) {
            (Some(own), _) => Some((own.clone(), Origin::Topic)),
            (None, Some(p)) => Some((p.clone(), Origin::Preset)),
            (None, None) => cluster.map(|c| {
                (Spanned::new(DEFAULT_MAX_REPLICAS.min(c.brokers.value).max(1), topic.name.span), Origin::Default)
            }),
        };
        let mut config = BTreeMap::new();
        if let Some(p) = preset {
            for e in &p.config {
                config.insert(e.key.value.as_str(), (e, Origin::Preset));
            }
        }
        for e in &topic.config {
            config.insert(e.key.value.as_str(), (e, Origin::Topic));
        }
        MergedTopic { topic, cluster, preset, partitions, replicas, config }
    }

    /// The namespaces of the Kafka clusters of `users` (one tenant's own, [`crate::model::network::ByTenant::users`]):
    /// the peers an isolated tenant's pods must reach.
    /// Each topic by its Kafka name, the first declared where two share one (a `strata::kafka::duplicate`
    /// error): built once by a rule that looks up topics per workload, instead of a scan per lookup. Only
    /// looked up, never iterated.
    pub fn topics_by_name(&self) -> TopicsByName<'_> {
        let mut by = TopicsByName::with_capacity(self.topics.len());
        for t in &self.topics {
            by.entry(t.name.value.as_str()).or_insert(t);
        }
        by
    }

    pub fn client_namespaces(&self, users: &[&KafkaUser]) -> Vec<&str> {
        let mut v: Vec<&str> = users
            .iter()
            .filter_map(|u| self.cluster_for(u.cluster.as_ref()))
            .map(|c| c.namespace.value.as_str())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The cluster namespaces an isolated tenant gets Kafka egress to without writing a rule: those of
    /// [`Self::client_namespaces`] that none of its own egress rules names. A rule the tenant wrote to
    /// that namespace (e.g. TLS-only 9093) is kept exactly as written, never widened.
    pub fn auto_egress_namespaces(&self, tenant: &Tenant, users: &[&KafkaUser]) -> Vec<&str> {
        if tenant.network.value != NetworkMode::Isolated {
            return Vec::new();
        }
        self.client_namespaces(users)
            .into_iter()
            .filter(|ns| {
                !tenant
                    .network_rules
                    .iter()
                    .any(|r| r.direction == Direction::Egress && r.namespace.as_ref().is_some_and(|n| n.value == *ns))
            })
            .collect()
    }
}

/// Whether `name` is a valid Kubernetes object name for a custom resource (a DNS-1123 subdomain exactly as
/// the apiserver checks it: at most 253 characters, dot-separated parts of lower-case letters, digits and
/// `-` that start and end with a letter or digit; unlike a label, a part may be longer than 63).
pub fn is_object_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|part| {
            !part.is_empty()
                && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

/// The `metadata.name` of a topic's `KafkaTopic`: the Kafka name itself when it is a valid object name
/// (the topic then needs no `spec.topicName`), otherwise a derived name: lower-cased, `_` as `-`, empty or
/// dash-edged parts dropped, plus the first 8 hex digits of the SHA-256 of the Kafka name. The suffix keeps
/// derived names unique and stable: `Orders` and `orders`, or `a_b` and `a-b`, never share an object
/// (strimzi/strimzi-kafka-operator#2931).
pub fn topic_object_name(kafka_name: &str) -> String {
    use sha2::{Digest, Sha256};
    if is_object_name(kafka_name) {
        return kafka_name.to_string();
    }
    let lowered: String = kafka_name
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '.' | '-' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '-',
        })
        .collect();
    let mut base: String =
        lowered.split('.').map(|p| p.trim_matches('-')).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(".");
    if base.is_empty() {
        base.push_str("topic");
    }
    let digest = Sha256::digest(kafka_name.as_bytes());
    let suffix: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    // 253 minus "-" and the 8-digit suffix; the base is ASCII, so byte and char counts agree.
    base.truncate(253 - 9);
    let base = base.trim_end_matches(['-', '.']);
    format!("{base}-{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_are_valid_unique_and_stable() {
        assert_eq!(topic_object_name("analytics.orders"), "analytics.orders");
        let derived = topic_object_name("Payments_Raw");
        assert!(derived.starts_with("payments-raw-") && derived.len() == "payments-raw-".len() + 8, "{derived}");
        assert!(is_object_name(&derived));
        assert_eq!(derived, topic_object_name("Payments_Raw"));
        assert_ne!(topic_object_name("Orders"), topic_object_name("orders"));
        assert_ne!(topic_object_name("a_b"), topic_object_name("a-b"));
        for weird in ["_", "-x-", "a..b", "_.-", ".hidden", &"X".repeat(249), &format!("{}_", "a.".repeat(124))] {
            let n = topic_object_name(weird);
            assert!(is_object_name(&n), "{weird:?} -> {n:?}");
        }
        assert!(is_object_name(&"a".repeat(100)));
        assert!(!is_object_name("a_b") && !is_object_name("A") && !is_object_name("a.") && !is_object_name("-a"));
    }

    #[test]
    fn versions() {
        assert_eq!(KafkaVersion::parse("4.1"), Some(KafkaVersion::new(4, 1)));
        assert_eq!(KafkaVersion::parse("3.9.1"), Some(KafkaVersion::new(3, 9)));
        assert!(KafkaVersion::parse("4").is_none());
        assert!(KafkaVersion::parse("4.x").is_none());
        assert!(KafkaVersion::parse("4.1.0.1").is_none());
        assert!(KafkaVersion::new(3, 9) < KafkaVersion::new(4, 0));
    }

    #[test]
    fn resource_patterns() {
        let n =
            |s: &str| ResourceName { written: Spanned::new(s.to_string(), Span::new(crate::source::FileId(0), 0, 0)) };
        assert_eq!(n("analytics.*").prefix(), Some("analytics."));
        assert_eq!(n("analytics.*").pattern_type(), "prefix");
        assert_eq!(n("orders").prefix(), None);
        assert!(n("*").is_wildcard());
        assert_eq!(n("*").kafka_name(), "*");
        assert_eq!(n("*").pattern_type(), "literal");
    }

    #[test]
    fn acl_support_follows_strimzi() {
        assert!(Authorization::Simple.manages_acls());
        assert!(Authorization::Custom { admin_api: true }.manages_acls());
        assert!(!Authorization::Custom { admin_api: false }.manages_acls());
        assert!(!Authorization::None.manages_acls());
    }
}
