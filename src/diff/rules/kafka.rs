//! Kafka topic rules over Strimzi `KafkaTopic` objects (`kafka.strimzi.io`): Kafka cannot remove
//! partitions, a removed or renamed topic takes its records with it, and replication, cleanup policy and
//! retention changes either need Cruise Control or drop old records.

use std::collections::HashMap;

use serde_json::Value;

use crate::crd::CustomResource;
use crate::crd::strimzi::KafkaTopic;
use crate::diff::rules::{Context, int, read, read_both, show, unreadable_then};
use crate::diff::{ChangeKind, Finding, ObjectChange};
use crate::manifest::Manifest;
use crate::units::{Bytes, Duration};

pub const PARTITIONS_DECREASED: &str = "strata::diff::topic-partitions-decreased";
pub const TOPIC_REMOVED: &str = "strata::diff::topic-removed";
pub const TOPIC_RENAMED: &str = "strata::diff::topic-renamed";
pub const REPLICAS_CHANGED: &str = "strata::diff::topic-replicas-changed";
pub const CLEANUP_POLICY_CHANGED: &str = "strata::diff::topic-cleanup-policy-changed";
pub const RETENTION_REDUCED: &str = "strata::diff::topic-retention-reduced";

/// Kafka's defaults for a topic config the spec leaves unset (`log.retention.hours=168`,
/// `log.retention.bytes=-1`, `log.cleanup.policy=delete`); a cluster may override them.
const DEFAULT_RETENTION_MS: i64 = 604_800_000;
const DEFAULT_RETENTION_BYTES: i64 = -1;
const DEFAULT_CLEANUP_POLICY: &str = "delete";

fn is_topic(c: &ObjectChange) -> bool {
    c.is(KafkaTopic::GROUP, KafkaTopic::KIND)
}

pub fn check(changes: &[ObjectChange], cx: &Context, out: &mut Vec<Finding>) {
    // Added topics by what makes one the successor of a removed topic, so pairing is a lookup even when
    // a change removes and adds thousands of topics. One that does not read cannot be a successor; being
    // added, no rule needs it otherwise.
    let added: Vec<(&Manifest, KafkaTopic)> = changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Added && is_topic(c))
        .filter_map(|c| c.head)
        .filter_map(|h| Some((h, read::<KafkaTopic>(h).ok()?)))
        .collect();
    let mut successors = Successors::default();
    for (h, t) in &added {
        let place = (h.namespace.as_deref(), t.cluster());
        successors.by_name.entry((place, t.topic_name())).or_insert((h, t));
        successors.by_origin.entry((place, h.origin.as_str())).or_insert((h, t));
    }
    for c in changes.iter().filter(|c| is_topic(c)) {
        match (c.kind, c.base, c.head) {
            (ChangeKind::Changed, Some(_), Some(_)) => {
                if let Some((old, new)) = read_both::<KafkaTopic>(c, cx, out) {
                    changed(c, &old, &new, out);
                }
            }
            (ChangeKind::Removed, Some(b), None) => match read::<KafkaTopic>(b) {
                Ok(old) => out.push(removed(c, b, Some(&old), &successors)),
                // Deleting the object deletes the topic whatever its spec says: still an error, under the
                // object's name, with no successor to pair it with.
                Err(e) => {
                    out.push(removed(c, b, None, &successors));
                    let why = format!("in {}: {e}", cx.base.label);
                    out.push(unreadable_then(c, why, "a topic added in its place was not looked for"));
                }
            },
            _ => {}
        }
    }
}

/// Where a topic lives: its namespace and Kafka cluster.
type Place<'a> = (Option<&'a str>, Option<&'a str>);

/// An added topic: its object and what it reads as.
type Added<'a> = (&'a Manifest, &'a KafkaTopic);

#[derive(Default)]
struct Successors<'a> {
    /// Same place, same Kafka topic name: the object was renamed, the topic was not.
    by_name: HashMap<(Place<'a>, &'a str), Added<'a>>,
    /// Same place, same spec line: the node was renamed in place.
    by_origin: HashMap<(Place<'a>, &'a str), Added<'a>>,
}

/// A topic config as written, `None` when unset.
fn config<'t>(t: &'t KafkaTopic, key: &str) -> Option<&'t Value> {
    t.spec.config.as_ref()?.get(key)
}

fn changed(c: &ObjectChange, old: &KafkaTopic, new: &KafkaTopic, out: &mut Vec<Finding>) {
    let name = new.topic_name();
    if let (Some(o), Some(n)) = (old.spec.partitions, new.spec.partitions)
        && n < o
    {
        out.push(
            Finding::error(
                PARTITIONS_DECREASED,
                c,
                format!("topic `{name}` goes from {o} to {n} partitions; Kafka cannot decrease partitions"),
                "the Topic Operator refuses the change (Ready=False, reason NotSupported: \"Decreasing partitions \
                 not supported\", BatchingTopicController in strimzi-kafka-operator 1.2.0): the KafkaTopic stays \
                 NotReady and the spec no longer matches the cluster",
            )
            .help(format!(
                "keep {o} partitions; to get fewer, create a new topic with {n} partitions and move producers and \
                 consumers to it"
            )),
        );
    }

    let old_name = old.topic_name();
    if old_name != name {
        out.push(
            Finding::error(
                TOPIC_RENAMED,
                c,
                format!("topic `{old_name}` is renamed to `{name}`"),
                format!(
                    "Kafka has no rename: the Topic Operator refuses a changed `spec.topicName`, and forcing it means \
                     deleting `{old_name}` with its records and creating an empty `{name}`"
                ),
            )
            .help(format!(
                "keep the topic name `{old_name}`; to rename, add `{name}` as a new topic, migrate producers and \
                 consumers (and the data, e.g. with MirrorMaker), then remove `{old_name}` in a later change"
            )),
        );
    }

    let (ro, rn) = (old.spec.replicas, new.spec.replicas);
    if ro != rn {
        out.push(
            Finding::warning(
                REPLICAS_CHANGED,
                c,
                format!(
                    "topic `{name}` changes its replication factor from {} to {}",
                    replicas_text(ro),
                    replicas_text(rn)
                ),
                "Strimzi changes a topic's replicas only through Cruise Control: without `cruiseControl` on the \
                 Kafka cluster the change is not made and the KafkaTopic reports NotReady \
                 (strimzi/strimzi-kafka-operator#2416); with it, the reassignment moves data between brokers",
            )
            .help("check that the Kafka cluster runs Cruise Control, and plan the reassignment's network load"),
        );
    }

    let policy = |t: &KafkaTopic| {
        config(t, "cleanup.policy")
            .map_or_else(|| format!("`{DEFAULT_CLEANUP_POLICY}` (Kafka's default)"), |p| format!("`{}`", show(Some(p))))
    };
    let policy_value =
        |t: &KafkaTopic| config(t, "cleanup.policy").map_or(DEFAULT_CLEANUP_POLICY.to_string(), |p| show(Some(p)));
    if normalize_policy(&policy_value(old)) != normalize_policy(&policy_value(new)) {
        let to = policy_value(new);
        let why = if normalize_policy(&to).contains("compact") && !normalize_policy(&to).contains("delete") {
            "compaction keeps only the latest record of each key: older values are removed and cannot be replayed"
        } else {
            "with `delete`, records older than the retention are removed, including the history compaction kept \
             for every key"
        };
        out.push(
            Finding::warning(
                CLEANUP_POLICY_CHANGED,
                c,
                format!("topic `{name}` changes `cleanup.policy` from {} to {}", policy(old), policy(new)),
                why,
            )
            .help("make sure every consumer can live without the records the new policy drops before applying"),
        );
    }

    for (key, default, show_value) in [
        ("retention.ms", DEFAULT_RETENTION_MS, show_ms as fn(i64) -> String),
        ("retention.bytes", DEFAULT_RETENTION_BYTES, show_bytes as fn(i64) -> String),
    ] {
        let read = |t: &KafkaTopic| match config(t, key) {
            None => Some((default, true)),
            Some(x) => int(x).map(|n| (n, false)),
        };
        let (Some((o, o_default)), Some((n, n_default))) = (read(old), read(new)) else { continue };
        // -1 (and any negative value) means unlimited.
        let reduced = n >= 0 && (o < 0 || n < o);
        if !reduced {
            continue;
        }
        let label = |v: i64, d: bool| if d { format!("Kafka's default {}", show_value(v)) } else { show_value(v) };
        let why = if key == "retention.ms" {
            format!(
                "records older than {} are deleted at the next log cleanup: consumers that lag behind or replay from \
                 the start lose them",
                human_ms(n)
            )
        } else {
            format!(
                "each partition keeps at most {} (`retention.bytes` is per partition); older segments are deleted at \
                 the next log cleanup, and consumers that lag behind or replay lose them",
                show_bytes(n)
            )
        };
        out.push(
            Finding::warning(
                RETENTION_REDUCED,
                c,
                format!("topic `{name}` reduces `{key}` from {} to {}", label(o, o_default), label(n, n_default)),
                why,
            )
            .help(
                "check the slowest consumer's lag and any replay needs; keep a copy (e.g. a sink to object storage) \
                 if the old records matter",
            ),
        );
    }
}

fn replicas_text(v: Option<i64>) -> String {
    v.map_or_else(|| "the cluster default".to_string(), |v| v.to_string())
}

/// `compact, delete` and `delete,compact` are the same policy.
fn normalize_policy(p: &str) -> String {
    let mut parts: Vec<&str> = p.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    parts.sort_unstable();
    parts.join(",")
}

fn show_ms(v: i64) -> String {
    if v < 0 { "unlimited".to_string() } else { format!("{} ({v} ms)", human_ms(v)) }
}

/// Retention reads best in days or hours (`7 days`), whatever unit the spec used.
fn human_ms(v: i64) -> String {
    let unit = |n: i64, w: &str| if n == 1 { format!("1 {w}") } else { format!("{n} {w}s") };
    match v {
        v if v > 0 && v % 86_400_000 == 0 => unit(v / 86_400_000, "day"),
        v if v > 0 && v % 3_600_000 == 0 => unit(v / 3_600_000, "hour"),
        v => Duration(v.max(0) as u64).to_string(),
    }
}

fn show_bytes(v: i64) -> String {
    if v < 0 { "unlimited".to_string() } else { Bytes(v as u64).to_string() }
}

/// A removed KafkaTopic: the topic and its records are deleted. When an added topic is its successor (the
/// same Kafka name under a new object name, or a new name written on the same spec line) it is reported as
/// a rename, pointing at both. `old` is `None` when the base object does not read as a KafkaTopic: the
/// object's name stands in for the topic's, and no successor is looked for.
fn removed(c: &ObjectChange, base: &Manifest, old: Option<&KafkaTopic>, added: &Successors) -> Finding {
    let name = old.map_or(base.name.as_str(), KafkaTopic::topic_name);
    let successor = old.and_then(|old| {
        let place = (base.namespace.as_deref(), old.cluster());
        added.by_name.get(&(place, name)).or_else(|| added.by_origin.get(&(place, base.origin.as_str()))).copied()
    });
    let why = "deleting a KafkaTopic makes the Topic Operator delete the topic in Kafka with all its records \
               (Kafka's `delete.topic.enable` is true by default); consumers' committed offsets go with it";
    match successor {
        Some((h, t)) if t.topic_name() == name => Finding::error(
            TOPIC_RENAMED,
            c,
            format!(
                "KafkaTopic `{}` is replaced by `{}` for the same Kafka topic `{name}`: the topic is deleted with its \
                 records, then created empty",
                c.key.name, h.name
            ),
            why,
        )
        .head_at(h)
        .help(format!("keep the object name `{}` (the node's name in the spec) for topic `{name}`", c.key.name)),
        Some((h, t)) => Finding::error(
            TOPIC_RENAMED,
            c,
            format!("topic `{name}` is renamed to `{}`: Kafka has no rename", t.topic_name()),
            why,
        )
        .head_at(h)
        .help(format!(
            "keep `{name}`; add `{}` as a new topic next to it, migrate producers, consumers and data, then remove \
             `{name}` in a later change",
            t.topic_name()
        )),
        None => Finding::error(TOPIC_REMOVED, c, format!("topic `{name}` is removed, and its records with it"), why).help(
            "if the data may go, say so in the change; to keep the topic in Kafka but stop managing it, annotate the \
             KafkaTopic with `strimzi.io/managed: \"false\"` and apply that before removing it from the spec",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::strimzi::CLUSTER_LABEL;
    use crate::diff::rules::UNREADABLE;
    use crate::diff::tests::set;
    use crate::diff::{Side, compare};
    use serde_json::json;

    fn topic(name: &str, spec: Value) -> Value {
        json!({"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
               "metadata": {"name": name, "namespace": "kafka", "labels": {CLUSTER_LABEL: "main"}}, "spec": spec})
    }

    fn findings(base: Vec<(Value, &str)>, head: Vec<(Value, &str)>) -> Vec<Finding> {
        let b = set(base.into_iter().map(|(v, o)| (v, Some("analytics"), o)).collect());
        let h = set(head.into_iter().map(|(v, o)| (v, Some("analytics"), o)).collect());
        compare(&Side::new("base", &b), &Side::new("head", &h)).findings
    }

    fn codes(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.code).collect()
    }

    #[test]
    fn partitions_decrease_is_an_error_and_increase_is_not() {
        let f = findings(
            vec![(topic("orders", json!({"partitions": 12})), "k.kdl:3")],
            vec![(topic("orders", json!({"partitions": 6})), "k.kdl:3")],
        );
        assert_eq!(codes(&f), vec![PARTITIONS_DECREASED]);
        assert!(f[0].is_error() && f[0].message.contains("from 12 to 6"), "{}", f[0].message);
        let f = findings(
            vec![(topic("orders", json!({"partitions": 6})), "k.kdl:3")],
            vec![(topic("orders", json!({"partitions": 12})), "k.kdl:3")],
        );
        assert!(f.is_empty());
    }

    #[test]
    fn removed_topic_is_an_error() {
        let f = findings(vec![(topic("orders", json!({"partitions": 3})), "k.kdl:3")], vec![]);
        assert_eq!(codes(&f), vec![TOPIC_REMOVED]);
        assert!(f[0].is_error() && f[0].head.is_none());
    }

    #[test]
    fn renames_are_errors_in_each_form() {
        // spec.topicName changed on the same object.
        let f = findings(
            vec![(topic("orders", json!({"topicName": "Orders_v1"})), "k.kdl:3")],
            vec![(topic("orders", json!({"topicName": "Orders_v2"})), "k.kdl:3")],
        );
        assert_eq!(codes(&f), vec![TOPIC_RENAMED]);
        assert!(f[0].message.contains("`Orders_v1` is renamed to `Orders_v2`"), "{}", f[0].message);
        // The node renamed in place: removal + addition at the same spec line.
        let f =
            findings(vec![(topic("orders", json!({})), "k.kdl:3")], vec![(topic("purchases", json!({})), "k.kdl:3")]);
        assert_eq!(codes(&f), vec![TOPIC_RENAMED]);
        assert_eq!(f[0].head.as_ref().map(|l| l.origin.as_str()), Some("k.kdl:3"));
        // Same Kafka topic under a new object name.
        let f = findings(
            vec![(topic("orders", json!({"topicName": "Orders"})), "k.kdl:3")],
            vec![(topic("orders-x", json!({"topicName": "Orders"})), "k.kdl:9")],
        );
        assert_eq!(codes(&f), vec![TOPIC_RENAMED]);
        assert!(f[0].message.contains("same Kafka topic `Orders`"), "{}", f[0].message);
        // An unrelated new topic elsewhere does not turn a removal into a rename.
        let f = findings(vec![(topic("orders", json!({})), "k.kdl:3")], vec![(topic("clicks", json!({})), "k.kdl:9")]);
        assert_eq!(codes(&f), vec![TOPIC_REMOVED]);
    }

    #[test]
    fn replicas_change_is_a_warning() {
        let f = findings(
            vec![(topic("orders", json!({"replicas": 3})), "k.kdl:3")],
            vec![(topic("orders", json!({"replicas": 2})), "k.kdl:3")],
        );
        assert_eq!(codes(&f), vec![REPLICAS_CHANGED]);
        assert!(!f[0].is_error());
    }

    #[test]
    fn cleanup_policy_change_is_a_warning_but_reordering_is_not() {
        let f = findings(
            vec![(topic("orders", json!({"config": {"cleanup.policy": "compact"}})), "k.kdl:3")],
            vec![(topic("orders", json!({"config": {"cleanup.policy": "delete"}})), "k.kdl:3")],
        );
        assert_eq!(codes(&f), vec![CLEANUP_POLICY_CHANGED]);
        let f = findings(
            vec![(topic("orders", json!({"config": {"cleanup.policy": "compact,delete"}})), "k.kdl:3")],
            vec![(topic("orders", json!({"config": {"cleanup.policy": "delete, compact"}})), "k.kdl:3")],
        );
        assert!(f.is_empty());
        // Unset means Kafka's default, `delete`.
        let f = findings(
            vec![(topic("orders", json!({})), "k.kdl:3")],
            vec![(topic("orders", json!({"config": {"cleanup.policy": "delete"}})), "k.kdl:3")],
        );
        assert!(f.is_empty());
    }

    #[test]
    fn retention_reduction_is_a_warning() {
        let f = findings(
            vec![(topic("orders", json!({"config": {"retention.ms": 2_592_000_000_i64}})), "k.kdl:3")],
            vec![(topic("orders", json!({"config": {"retention.ms": "86400000"}})), "k.kdl:3")],
        );
        assert_eq!(codes(&f), vec![RETENTION_REDUCED]);
        assert!(f[0].message.contains("from 30 days (2592000000 ms) to 1 day (86400000 ms)"), "{}", f[0].message);
        assert!(f[0].why.starts_with("records older than 1 day are deleted"), "{}", f[0].why);
        // Unlimited to limited, and unset (Kafka's 7 days) to 1 day.
        let f = findings(
            vec![(topic("orders", json!({"config": {"retention.bytes": -1, "retention.ms": -1}})), "k.kdl:3")],
            vec![(topic("orders", json!({"config": {"retention.bytes": "1073741824"}})), "k.kdl:3")],
        );
        assert_eq!(codes(&f), vec![RETENTION_REDUCED, RETENTION_REDUCED]);
        let f = findings(
            vec![(topic("orders", json!({})), "k.kdl:3")],
            vec![(topic("orders", json!({"config": {"retention.ms": 86_400_000}})), "k.kdl:3")],
        );
        assert!(f[0].message.contains("from Kafka's default 7 days (604800000 ms) to 1 day"), "{}", f[0].message);
        // Longer retention is fine.
        let f = findings(
            vec![(topic("orders", json!({"config": {"retention.ms": 1000}})), "k.kdl:3")],
            vec![(topic("orders", json!({"config": {"retention.ms": -1}})), "k.kdl:3")],
        );
        assert!(f.is_empty());
    }

    #[test]
    fn an_unreadable_revision_is_reported_not_skipped() {
        // A hand-edited base with partitions as a string: the partition rule cannot judge 12 → 6, so the
        // change gets a warning that says so instead of passing in silence.
        let f = findings(
            vec![(topic("orders", json!({"partitions": "12"})), "k.kdl:3")],
            vec![(topic("orders", json!({"partitions": 6})), "k.kdl:3")],
        );
        assert_eq!(codes(&f), vec![UNREADABLE]);
        assert!(!f[0].is_error());
        assert!(
            f[0].message
                .starts_with("KafkaTopic kafka/orders does not read as the KafkaTopic strata writes (in base: "),
            "{}",
            f[0].message
        );
        assert!(f[0].message.contains("expected i64"), "{}", f[0].message);
        // Removing an unreadable topic still deletes it: the error stays, under the object's name.
        let f = findings(vec![(topic("orders", json!({"partitions": 3, "retentionMs": 1})), "k.kdl:3")], vec![]);
        assert_eq!(codes(&f), vec![TOPIC_REMOVED, UNREADABLE]);
        assert!(f[0].is_error() && f[0].message.contains("topic `orders` is removed"), "{}", f[0].message);
        assert!(f[1].message.contains("unknown field `retentionMs`"), "{}", f[1].message);
        // Both sides unreadable: both are named.
        let f = findings(
            vec![(topic("orders", json!({"partitions": "12"})), "k.kdl:3")],
            vec![(topic("orders", json!({"partitions": "6"})), "k.kdl:3")],
        );
        assert_eq!(codes(&f), vec![UNREADABLE]);
        assert!(f[0].message.contains("(in base: ") && f[0].message.contains("; in head: "), "{}", f[0].message);
    }
}
