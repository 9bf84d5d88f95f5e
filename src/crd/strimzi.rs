//! Strimzi's `KafkaTopic` and `KafkaUser` (`kafka.strimzi.io`), the fields strata sets. They mirror
//! Strimzi **1.2.0**'s `v1` CRDs (`strimzi-1.2.0-kafkatopics.kafka.strimzi.io.yaml`,
//! `strimzi-1.2.0-kafkausers.kafka.strimzi.io.yaml`). A cluster declared with `api-version="v1beta2"` gets
//! the same objects under `kafka.strimzi.io/v1beta2`, which Strimzi **0.51.0**'s CRDs serve with the same
//! fields, except the per-user certificate validity (`validityDays`, `renewalDays`), which that release
//! lacks and which `strata::kafka::certificate-days` keeps off such clusters.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::SecretKeySelector;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{CustomResource, crd_enum};

pub const GROUP: &str = "kafka.strimzi.io";
/// The label that binds a topic or user to its `Kafka` resource; Strimzi ignores objects without it.
pub const CLUSTER_LABEL: &str = "strimzi.io/cluster";

/// `KafkaTopic`: one topic of one cluster, managed by the Topic Operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KafkaTopic {
    /// `kafka.strimzi.io/v1`, or `kafka.strimzi.io/v1beta2` for a cluster on Strimzi 0.51 or older.
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: KafkaTopicSpec,
}

impl CustomResource for KafkaTopic {
    const GROUP: &'static str = GROUP;
    const KIND: &'static str = "KafkaTopic";
}

impl KafkaTopic {
    pub fn new(api_version: impl Into<String>, metadata: ObjectMeta, spec: KafkaTopicSpec) -> Self {
        KafkaTopic { api_version: api_version.into(), kind: Self::KIND.to_string(), metadata, spec }
    }

    /// The topic's name in Kafka: `spec.topicName`, else the object's name.
    pub fn topic_name(&self) -> &str {
        self.spec.topic_name.as_deref().or(self.metadata.name.as_deref()).unwrap_or_default()
    }

    /// The Kafka cluster it belongs to (the [`CLUSTER_LABEL`]).
    pub fn cluster(&self) -> Option<&str> {
        cluster_of(&self.metadata)
    }
}

fn cluster_of(m: &ObjectMeta) -> Option<&str> {
    m.labels.as_ref()?.get(CLUSTER_LABEL).map(String::as_str)
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KafkaTopicSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partitions: Option<i64>,
    /// Unset: the cluster's `default.replication.factor`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    /// Set only when the Kafka name is not a valid object name (`Orders_EU`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_name: Option<String>,
    /// Topic configs as Kafka's types have them (`retention.ms` a number, `cleanup.policy` a string); the
    /// CRD keeps the map open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<BTreeMap<String, Value>>,
}

/// `KafkaUser`: credentials, ACLs and quotas of one client, managed by the User Operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KafkaUser {
    /// As for [`KafkaTopic::api_version`].
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: KafkaUserSpec,
}

impl CustomResource for KafkaUser {
    const GROUP: &'static str = GROUP;
    const KIND: &'static str = "KafkaUser";
}

impl KafkaUser {
    pub fn new(api_version: impl Into<String>, metadata: ObjectMeta, spec: KafkaUserSpec) -> Self {
        KafkaUser { api_version: api_version.into(), kind: Self::KIND.to_string(), metadata, spec }
    }

    pub fn cluster(&self) -> Option<&str> {
        cluster_of(&self.metadata)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KafkaUserSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication: Option<UserAuthentication>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization: Option<UserAuthorization>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quotas: Option<UserQuotas>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserAuthentication {
    #[serde(rename = "type")]
    pub type_: AuthenticationType,
    /// `scram-sha-512` only: the password from a Secret instead of a generated one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<Password>,
    /// `tls` only, together with `renewal_days` (Strimzi 1.x).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validity_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewal_days: Option<i64>,
}

crd_enum! {
    pub enum AuthenticationType {
        Tls = "tls",
        TlsExternal = "tls-external",
        ScramSha512 = "scram-sha-512",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Password {
    pub value_from: PasswordSource,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordSource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_key_ref: Option<SecretKeySelector>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserAuthorization {
    #[serde(rename = "type")]
    pub type_: AuthorizationType,
    pub acls: Vec<AclRule>,
}

crd_enum! {
    pub enum AuthorizationType {
        Simple = "simple",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AclRule {
    /// Unset: `allow`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<AclRuleType>,
    pub resource: AclResource,
    pub operations: Vec<AclOperation>,
    /// Unset: any host (`*`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

crd_enum! {
    pub enum AclRuleType {
        Allow = "allow",
        Deny = "deny",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AclResource {
    #[serde(rename = "type")]
    pub type_: AclResourceType,
    /// Unset for `cluster`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Unset: `literal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern_type: Option<AclPatternType>,
}

crd_enum! {
    pub enum AclResourceType {
        Topic = "topic",
        Group = "group",
        Cluster = "cluster",
        TransactionalId = "transactionalId",
    }
}

crd_enum! {
    pub enum AclPatternType {
        Literal = "literal",
        Prefix = "prefix",
    }
}

crd_enum! {
    /// In Strimzi's order, which is also the order strata lists a rule's operations in.
    pub enum AclOperation {
        Read = "Read",
        Write = "Write",
        Create = "Create",
        Delete = "Delete",
        Alter = "Alter",
        Describe = "Describe",
        ClusterAction = "ClusterAction",
        AlterConfigs = "AlterConfigs",
        DescribeConfigs = "DescribeConfigs",
        IdempotentWrite = "IdempotentWrite",
        All = "All",
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserQuotas {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub producer_byte_rate: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer_byte_rate: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_percentage: Option<i64>,
    /// Partition mutations per second; a fraction is allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub controller_mutation_rate: Option<f64>,
}
