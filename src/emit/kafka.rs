//! Topics and users become Strimzi `KafkaTopic` and `KafkaUser` objects in their cluster's namespace (the
//! Topic and User Operators each watch one namespace), bound to the cluster by the `strimzi.io/cluster`
//! label, without which Strimzi silently ignores them (strimzi/strimzi-kafka-operator#8676). The owning
//! tenant is recorded as the object's tenant label. Isolated tenants that own a user also get egress to the
//! cluster's namespace: the `kafka` flow of `model::network`, emitted with the tenant's NetworkPolicies.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::SecretKeySelector;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::crd::CustomResource as _;
use crate::crd::int64;
use crate::crd::strimzi::{
    AclOperation, AclPatternType, AclResource, AclResourceType, AclRule, AclRuleType, AuthenticationType,
    AuthorizationType, CLUSTER_LABEL, KafkaTopic, KafkaTopicSpec, KafkaUser, KafkaUserSpec, Password, PasswordSource,
    UserAuthentication, UserAuthorization, UserQuotas,
};
use crate::emit::meta;
use crate::manifest::{Census, ManifestSet, Placement, Stage};
use crate::model::kafka::{Authentication, ResourceType};
use crate::model::resolved::ResolvedPlatform;
use crate::model::resolved::kafka::{Acl, Cluster, Topic, User};

/// The KafkaTopics of `topics`, each on its own: a run of topics can be emitted on another core.
pub fn emit_topics(topics: &[Topic], set: &mut ManifestSet) {
    for t in topics {
        set.add_custom(
            &topic(t),
            Placement { stage: Stage::Workloads, tenant: t.tenant.clone(), span: t.spec.name.span },
        );
    }
}

/// The KafkaUsers of `users`, each on its own (see [`emit_topics`]).
pub fn emit_users(users: &[User], set: &mut ManifestSet) {
    for u in users {
        set.add_custom(
            &user(u),
            Placement { stage: Stage::Workloads, tenant: u.tenant.clone(), span: u.spec.name.span },
        );
    }
}

/// The objects [`emit_topics`] and [`emit_users`] add, as headers ([`Census`]).
pub fn census(p: &ResolvedPlatform, c: &mut Census) {
    for t in &p.kafka.topics {
        let at = Placement { stage: Stage::Workloads, tenant: t.tenant.clone(), span: t.spec.name.span };
        c.add(t.cluster.api_version.as_str(), KafkaTopic::KIND, &t.object_name, Some(&t.cluster.namespace), at);
    }
    for u in &p.kafka.users {
        let at = Placement { stage: Stage::Workloads, tenant: u.tenant.clone(), span: u.spec.name.span };
        c.add(u.cluster.api_version.as_str(), KafkaUser::KIND, &u.spec.name.value, Some(&u.cluster.namespace), at);
    }
}

fn metadata(name: &str, cluster: &Cluster) -> ObjectMeta {
    ObjectMeta {
        labels: Some(BTreeMap::from([(CLUSTER_LABEL.to_string(), cluster.name.clone())])),
        ..meta(name, Some(&cluster.namespace))
    }
}

fn topic(t: &Topic) -> KafkaTopic {
    let kafka_name = &t.spec.name.value;
    let config: BTreeMap<String, serde_json::Value> = t.config.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
    KafkaTopic::new(
        t.cluster.api_version.as_str(),
        metadata(&t.object_name, &t.cluster),
        KafkaTopicSpec {
            partitions: Some(i64::from(t.partitions)),
            replicas: Some(i64::from(t.replicas)),
            topic_name: (t.object_name != *kafka_name).then(|| kafka_name.clone()),
            config: (!config.is_empty()).then_some(config),
        },
    )
}

/// ACL rules as Strimzi takes them. Rules on the same resource, pattern, host and type are merged (a user
/// that both produces to and consumes a topic gets one rule with Read, Write and Describe), keeping the
/// order in which resources first appear; operations follow Strimzi's order (`AclOperation`'s).
fn acls(user: &User) -> Vec<AclRule> {
    let mut rules: Vec<(RuleKey, Vec<AclOperation>)> = Vec::new();
    for acl in &user.acls {
        let key = rule_key(acl);
        let i = rules.iter().position(|(k, _)| *k == key).unwrap_or_else(|| {
            rules.push((key, Vec::new()));
            rules.len() - 1
        });
        let ops = &mut rules[i].1;
        for op in &acl.operations {
            if !ops.contains(op) {
                ops.push(*op);
            }
        }
    }
    rules
        .into_iter()
        .map(|((rtype, name, pattern, host, deny), mut operations)| {
            operations.sort();
            let named = rtype != AclResourceType::Cluster;
            AclRule {
                type_: Some(if deny { AclRuleType::Deny } else { AclRuleType::Allow }),
                resource: AclResource {
                    type_: rtype,
                    name: named.then(|| name.to_string()),
                    pattern_type: named.then_some(pattern),
                },
                operations,
                host: host.map(str::to_string),
            }
        })
        .collect()
}

/// What makes two ACLs one rule: resource type, name, pattern type, host, and whether it denies.
type RuleKey<'a> = (AclResourceType, &'a str, AclPatternType, Option<&'a str>, bool);

fn rule_key(acl: &Acl) -> RuleKey<'_> {
    let acl = &acl.spec;
    let (name, pattern) = match &acl.resource {
        None => ("", AclPatternType::Literal),
        Some(r) if r.prefix().is_some() => (r.kafka_name(), AclPatternType::Prefix),
        Some(r) => (r.kafka_name(), AclPatternType::Literal),
    };
    (resource_type(acl.resource_type), name, pattern, acl.host.as_ref().map(|h| h.value.as_str()), acl.deny)
}

fn resource_type(t: ResourceType) -> AclResourceType {
    match t {
        ResourceType::Topic => AclResourceType::Topic,
        ResourceType::Group => AclResourceType::Group,
        ResourceType::Cluster => AclResourceType::Cluster,
        ResourceType::TransactionalId => AclResourceType::TransactionalId,
    }
}

fn authentication_type(a: Authentication) -> AuthenticationType {
    match a {
        Authentication::Tls => AuthenticationType::Tls,
        Authentication::TlsExternal => AuthenticationType::TlsExternal,
        Authentication::ScramSha512 => AuthenticationType::ScramSha512,
    }
}

fn user(r: &User) -> KafkaUser {
    let u = &r.spec;
    let authentication = u.authentication.as_ref().map(|auth| UserAuthentication {
        type_: authentication_type(auth.value),
        password: u.password_secret.as_ref().map(|secret| Password {
            value_from: PasswordSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: secret.value.clone(),
                    key: u.password_key.as_ref().map_or("password", |k| k.value.as_str()).to_string(),
                    optional: None,
                }),
            },
        }),
        validity_days: u.validity_days.as_ref().map(|v| i64::from(v.value)),
        renewal_days: u.renewal_days.as_ref().map(|v| i64::from(v.value)),
    });
    let quotas = u.quotas.as_ref().map(|q| UserQuotas {
        producer_byte_rate: q.producer_byte_rate.as_ref().map(|v| int64(v.value)),
        consumer_byte_rate: q.consumer_byte_rate.as_ref().map(|v| int64(v.value)),
        request_percentage: q.request_percentage.as_ref().map(|v| int64(v.value)),
        controller_mutation_rate: q.controller_mutation_rate.as_ref().map(|v| v.value),
    });
    KafkaUser::new(
        r.cluster.api_version.as_str(),
        metadata(&u.name.value, &r.cluster),
        KafkaUserSpec {
            authentication,
            authorization: (!r.acls.is_empty())
                .then(|| UserAuthorization { type_: AuthorizationType::Simple, acls: acls(r) }),
            quotas: quotas.filter(|q| *q != UserQuotas::default()),
        },
    )
}

#[cfg(test)]
mod tests {
    use crate::manifest::Manifest;

    fn compile(spec: &str) -> Vec<Manifest> {
        let c = crate::test_support::compile_spec(spec);
        assert!(c.ok(), "{:?}", c.diagnostics);
        c.manifests.expect("compiled").items
    }

    fn find<'a>(items: &'a [Manifest], kind: &str, name: &str) -> &'a serde_json::Value {
        &items.iter().find(|m| m.kind == kind && m.name == name).unwrap_or_else(|| panic!("no {kind} {name}")).object
    }

    const BASE: &str = r#"
platform "p"
tenant "a"
tenant "b" {
    network "isolated" {
        egress 9093 namespace="kafka"
    }
}
tenant "c" {
    network "open"
}
kafka "main" namespace="kafka" brokers=2 authorization="simple"
kafka "old" namespace="kafka-old" brokers=3 api-version="v1beta2"
"#;

    #[test]
    fn topics_live_in_the_cluster_namespace_with_the_cluster_label() {
        let items = compile(&format!(
            "{BASE}topic \"Orders_EU\" kafka=\"main\" tenant=\"a\" partitions=3 {{\n config \"retention.ms\" \"2d\"\n}}\ntopic \"x\" kafka=\"old\" partitions=1\n"
        ));
        let name = crate::model::kafka::topic_object_name("Orders_EU");
        let t = find(&items, "KafkaTopic", &name);
        assert_eq!(t["apiVersion"], "kafka.strimzi.io/v1");
        assert_eq!(t["metadata"]["namespace"], "kafka");
        assert_eq!(t["metadata"]["labels"]["strimzi.io/cluster"], "main");
        assert_eq!(t["metadata"]["labels"]["strata.dev/tenant"], "a");
        assert_eq!(t["spec"]["topicName"], "Orders_EU");
        // Defaults to one replica per broker when the cluster has fewer than three.
        assert_eq!(t["spec"]["replicas"], 2);
        assert_eq!(t["spec"]["config"]["retention.ms"], 172_800_000);
        let old = find(&items, "KafkaTopic", "x");
        assert_eq!(old["apiVersion"], "kafka.strimzi.io/v1beta2");
        assert_eq!(old["spec"]["replicas"], 3);
        assert!(old["spec"].get("topicName").is_none());
    }

    #[test]
    fn produce_and_consume_merge_into_one_rule() {
        let items = compile(&format!(
            "{BASE}topic \"t\" kafka=\"main\" partitions=1\nkafka-user \"u\" kafka=\"main\" authentication=\"tls\" {{\n consumes \"t\" group=\"g-*\"\n produces \"t\"\n}}\n"
        ));
        let acls = &find(&items, "KafkaUser", "u")["spec"]["authorization"]["acls"];
        assert_eq!(acls.as_array().map(Vec::len), Some(2), "{acls}");
        assert_eq!(acls[0]["operations"], serde_json::json!(["Read", "Write", "Describe"]));
        assert_eq!(acls[0]["resource"], serde_json::json!({"type": "topic", "name": "t", "patternType": "literal"}));
        assert_eq!(acls[1]["resource"], serde_json::json!({"type": "group", "name": "g-", "patternType": "prefix"}));
        assert_eq!(acls[1]["operations"], serde_json::json!(["Read"]));
    }

    #[test]
    fn isolated_tenants_with_users_reach_their_clusters() {
        let items = compile(&format!(
            "{BASE}kafka-user \"ua\" kafka=\"main\" tenant=\"a\"\nkafka-user \"ua2\" kafka=\"old\" tenant=\"a\"\nkafka-user \"ub\" kafka=\"main\" tenant=\"b\"\nkafka-user \"uc\" kafka=\"main\" tenant=\"c\"\n"
        ));
        // Each egress rule as `namespace:ports` (`*` for a rule without a namespace peer).
        let egress_to = |ns: &str| -> Vec<String> {
            let policies: Vec<_> =
                items.iter().filter(|m| m.kind == "NetworkPolicy" && m.namespace.as_deref() == Some(ns)).collect();
            assert!(!policies.is_empty(), "an isolated tenant has policies");
            let rules: Vec<_> = policies
                .iter()
                .flat_map(|p| p.object["spec"]["egress"].as_array().cloned().unwrap_or_default())
                .collect();
            rules
                .iter()
                .filter_map(|r| {
                    let peer =
                        r["to"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"].as_str()?;
                    let ports: Vec<String> =
                        r["ports"].as_array().into_iter().flatten().map(|p| p["port"].to_string()).collect();
                    Some(format!("{peer}:{}", ports.join(",")))
                })
                .collect()
        };
        assert_eq!(egress_to("a"), vec!["kube-system:53,53", "kafka:9092,9093", "kafka-old:9092,9093"]);
        // Tenant b wrote its own (TLS-only) rule to `kafka`: kept as written, nothing added.
        assert_eq!(egress_to("b"), vec!["kube-system:53,53", "kafka:9093"]);
        assert!(!items.iter().any(|m| m.kind == "NetworkPolicy" && m.namespace.as_deref() == Some("c")));
    }
}
