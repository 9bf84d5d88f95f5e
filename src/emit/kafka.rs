//! Topics and users become Strimzi `KafkaTopic` and `KafkaUser` objects in their cluster's namespace (the
//! Topic and User Operators each watch one namespace), bound to the cluster by the `strimzi.io/cluster`
//! label, without which Strimzi silently ignores them (strimzi/strimzi-kafka-operator#8676). The owning
//! tenant is recorded as the object's tenant label. Isolated tenants that own a user also get egress to the
//! cluster's namespace: the `kafka` flow of `model::network`, emitted with the tenant's NetworkPolicies.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::manifest::{ManifestSet, Placement, Stage};
use crate::model::kafka::{Acl, KafkaUser, OPERATIONS};
use crate::model::resolved::ResolvedPlatform;
use crate::model::resolved::kafka::{Cluster, Topic};

/// The label that binds a topic or user to its `Kafka` resource.
pub const CLUSTER_LABEL: &str = "strimzi.io/cluster";

pub fn emit(p: &ResolvedPlatform, set: &mut ManifestSet) {
    for t in &p.kafka.topics {
        set.add_value(
            topic(t),
            Placement { stage: Stage::Workloads, tenant: t.tenant.clone(), span: t.spec.name.span },
        );
    }
    for u in &p.kafka.users {
        set.add_value(
            user(&u.spec, &u.cluster),
            Placement { stage: Stage::Workloads, tenant: u.tenant.clone(), span: u.spec.name.span },
        );
    }
}

fn metadata(name: &str, cluster: &Cluster) -> Value {
    json!({
        "name": name,
        "namespace": cluster.namespace,
        "labels": { CLUSTER_LABEL: cluster.name },
    })
}

fn topic(t: &Topic) -> Value {
    let kafka_name = &t.spec.name.value;
    let mut spec = Map::new();
    spec.insert("partitions".into(), json!(t.partitions));
    spec.insert("replicas".into(), json!(t.replicas));
    if t.object_name != *kafka_name {
        spec.insert("topicName".into(), json!(kafka_name));
    }
    if !t.config.is_empty() {
        let cfg: Map<String, Value> = t.config.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
        spec.insert("config".into(), Value::Object(cfg));
    }
    json!({
        "apiVersion": t.cluster.api_version.as_str(),
        "kind": "KafkaTopic",
        "metadata": metadata(&t.object_name, &t.cluster),
        "spec": spec,
    })
}

/// ACL rules as Strimzi takes them. Rules on the same resource, pattern, host and type are merged (a user
/// that both produces to and consumes a topic gets one rule with Read, Write and Describe), keeping the
/// order in which resources first appear; operations follow Strimzi's order.
fn acls(user: &KafkaUser) -> Vec<Value> {
    let mut order: Vec<(&'static str, &str, &'static str, Option<&str>, bool)> = Vec::new();
    let mut ops: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for acl in &user.acls {
        let key = rule_key(acl);
        let i = order.iter().position(|k| *k == key).unwrap_or_else(|| {
            order.push(key);
            order.len() - 1
        });
        let entry = ops.entry(i).or_default();
        for op in &acl.operations {
            if !entry.contains(&op.value.as_str()) {
                entry.push(&op.value);
            }
        }
    }
    order
        .iter()
        .enumerate()
        .map(|(i, (rtype, name, pattern, host, deny))| {
            let mut operations = ops.remove(&i).unwrap_or_default();
            operations.sort_by_key(|o| OPERATIONS.iter().position(|k| k == o));
            let mut resource = json!({ "type": rtype });
            if *rtype != "cluster" {
                resource["name"] = json!(name);
                resource["patternType"] = json!(pattern);
            }
            let mut rule = json!({
                "type": if *deny { "deny" } else { "allow" },
                "resource": resource,
                "operations": operations,
            });
            if let Some(h) = host {
                rule["host"] = json!(h);
            }
            rule
        })
        .collect()
}

fn rule_key(acl: &Acl) -> (&'static str, &str, &'static str, Option<&str>, bool) {
    let (name, pattern) = acl.resource.as_ref().map_or(("", "literal"), |r| (r.kafka_name(), r.pattern_type()));
    (acl.resource_type.as_str(), name, pattern, acl.host.as_ref().map(|h| h.value.as_str()), acl.deny)
}

fn user(u: &KafkaUser, cluster: &Cluster) -> Value {
    let mut spec = Map::new();
    if let Some(auth) = &u.authentication {
        let mut a = json!({ "type": auth.value.as_str() });
        if let Some(secret) = &u.password_secret {
            let key = u.password_key.as_ref().map_or("password", |k| k.value.as_str());
            a["password"] = json!({ "valueFrom": { "secretKeyRef": { "name": secret.value, "key": key } } });
        }
        if let Some(v) = &u.validity_days {
            a["validityDays"] = json!(v.value);
        }
        if let Some(r) = &u.renewal_days {
            a["renewalDays"] = json!(r.value);
        }
        spec.insert("authentication".into(), a);
    }
    if !u.acls.is_empty() {
        spec.insert("authorization".into(), json!({ "type": "simple", "acls": acls(u) }));
    }
    if let Some(q) = &u.quotas {
        let mut quotas = Map::new();
        if let Some(v) = &q.producer_byte_rate {
            quotas.insert("producerByteRate".into(), json!(v.value));
        }
        if let Some(v) = &q.consumer_byte_rate {
            quotas.insert("consumerByteRate".into(), json!(v.value));
        }
        if let Some(v) = &q.request_percentage {
            quotas.insert("requestPercentage".into(), json!(v.value));
        }
        if let Some(v) = &q.controller_mutation_rate {
            quotas.insert("controllerMutationRate".into(), json!(v.value));
        }
        if !quotas.is_empty() {
            spec.insert("quotas".into(), Value::Object(quotas));
        }
    }
    json!({
        "apiVersion": cluster.api_version.as_str(),
        "kind": "KafkaUser",
        "metadata": metadata(&u.name.value, cluster),
        "spec": spec,
    })
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
