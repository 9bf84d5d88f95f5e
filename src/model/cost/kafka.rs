//! What Kafka's disks cost: each topic's retained bytes on every replica, and the brokers' declared volumes.
//! Storage is billed by capacity for the whole month, whatever the month's length, so both figures are
//! capacity × the storage price; nothing here depends on the period.
//!
//! A topic's size is known only when its retention is bounded by size: `retention.bytes` caps each partition
//! (`retention.ms` alone bounds time, not bytes, so the size depends on traffic strata cannot know). Kafka
//! deletes whole segments and only once the partition exceeds the cap by at least one segment
//! (apache/kafka `storage/src/main/java/org/apache/kafka/storage/internals/log/UnifiedLog.java`,
//! `deleteRetentionSizeBreachedSegments`), so a partition holds up to `retention.bytes + segment.bytes`:
//! the expected figure counts the cap, the peak adds one segment.

use crate::model::Platform;
use crate::model::cost::{Figure, Money, Pricing, WorkloadCost, storage_month};
use crate::model::kafka::config::{self, Value};
use crate::model::kafka::{KafkaCluster, MergedTopic, Topic};
use crate::units::Bytes;

/// The tenant column of storage nobody in particular owns: a topic without a tenant, a broker volume.
pub const SHARED: &str = "(shared)";
/// The pattern of storage rows: billed by capacity for the month, so they have no run-hour figure.
pub const STORAGE: &str = "storage";

/// Kafka's default `segment.bytes` (1 GiB; `log.segment.bytes` in the broker configs docs).
const DEFAULT_SEGMENT_BYTES: u64 = 1 << 30;

/// One cost row per topic and one per cluster that declares its broker storage.
pub fn storage(p: &Platform, pricing: &Pricing) -> Vec<WorkloadCost> {
    let mut rows: Vec<WorkloadCost> = p.kafka.topics.iter().map(|t| topic(p, t, pricing)).collect();
    rows.extend(p.kafka.clusters.iter().filter_map(|c| brokers(c, pricing)));
    rows
}

/// The merged value of `key` on the topic (its own, else its preset's), as Kafka takes it.
fn value(merged: &MergedTopic, key: &str) -> Option<Value> {
    let (entry, _) = merged.config.get(key)?;
    let version = merged.cluster.and_then(|c| c.version.as_ref()).map(|v| v.value);
    config::lookup(key).and_then(|k| config::parse(k, &entry.value.value, version).ok())
}

fn setting(merged: &MergedTopic, key: &str) -> Option<i64> {
    value(merged, key).and_then(|v| v.as_int())
}

fn topic(p: &Platform, t: &Topic, pricing: &Pricing) -> WorkloadCost {
    let merged = p.kafka.merged(t);
    let partitions = merged.partitions.as_ref().map_or(0, |(n, _)| u64::from(n.value));
    let replicas = merged.replicas.as_ref().map_or(0, |(n, _)| u64::from(n.value));
    let copies = partitions * replicas;
    let name = &t.name.value;
    let tiered = value(&merged, "remote.storage.enable") == Some(Value::Bool(true));
    // With tiered storage the brokers' disks keep only the local part; the remote store is priced elsewhere.
    let local = if tiered { setting(&merged, "local.retention.bytes").filter(|b| *b >= 0) } else { None };
    let (cap, which) = match (local, setting(&merged, "retention.bytes")) {
        (Some(b), _) => (Some(b), "local.retention.bytes"),
        (None, Some(b)) if b >= 0 => (Some(b), "retention.bytes"),
        (None, Some(_)) => (None, "retention.bytes"),
        (None, None) => (None, "retention.bytes"),
    };
    let segment =
        setting(&merged, "segment.bytes").and_then(|s| u64::try_from(s).ok()).unwrap_or(DEFAULT_SEGMENT_BYTES);
    let mut explain = Vec::new();
    let (expected, peak) = match cap.and_then(|c| u64::try_from(c).ok()) {
        Some(cap) => {
            let bytes = copies.saturating_mul(cap);
            let most = copies.saturating_mul(cap.saturating_add(segment));
            let e = storage_month(Bytes(bytes), pricing);
            let pk = storage_month(Bytes(most), pricing);
            explain.push(format!(
                "{partitions} partitions × {replicas} replicas × {which} {} = {} × {}/GiB-month = {e}",
                Bytes(cap),
                Bytes(bytes),
                pricing.storage.value
            ));
            explain.push(format!(
                "peak: each partition holds up to one more segment (segment.bytes {}): {} = {pk}",
                Bytes(segment),
                Bytes(most)
            ));
            if tiered {
                explain.push(
                    "tiered storage: only the local part is on the brokers' disks; the remote store is not counted"
                        .into(),
                );
            }
            (Figure::Known(e), Figure::Known(pk))
        }
        None => {
            let why = match setting(&merged, which) {
                Some(_) => format!("`{which}` is -1: the topic's size is unbounded"),
                None => format!("no `{which}`: the topic's size is bounded by time only, and depends on its traffic"),
            };
            explain.push(why.clone());
            (Figure::Unknown(why.clone()), Figure::Unknown(why))
        }
    };
    WorkloadCost {
        tenant: t.tenant.as_ref().map_or_else(|| SHARED.to_string(), |n| n.value.clone()),
        workload: format!("topic `{name}`"),
        span: t.name.span,
        pattern: STORAGE,
        expected,
        peak,
        per_hour: Money::default(),
        per_run: None,
        explain,
    }
}

fn brokers(c: &KafkaCluster, pricing: &Pricing) -> Option<WorkloadCost> {
    let each = c.broker_storage.as_ref()?;
    let n = u64::from(c.brokers.value);
    let total = Bytes(each.value.0.saturating_mul(n));
    let m = storage_month(total, pricing);
    Some(WorkloadCost {
        tenant: SHARED.to_string(),
        workload: format!("kafka `{}` broker volumes", c.name.value),
        span: each.span,
        pattern: STORAGE,
        expected: Figure::Known(m),
        peak: Figure::Known(m),
        per_hour: Money::default(),
        per_run: None,
        explain: vec![format!("{n} brokers × {} = {total} × {}/GiB-month = {m}", each.value, pricing.storage.value)],
    })
}

#[cfg(test)]
mod tests {
    use crate::model::cost::{Figure, Period, report};
    use crate::test_support::compile;

    /// Hand arithmetic at OpenCost's default storage price, 0.04 per GiB-month.
    #[test]
    fn topics_cost_their_retained_bytes_on_every_replica_and_brokers_their_volumes() {
        let c = compile(
            r#"
kafka "main" namespace="kafka" brokers=3 broker-storage="500Gi" tiered-storage=#true version="4.1"
tenant "t"
topic "orders" kafka="main" tenant="t" partitions=6 replicas=3 { config "retention.bytes" "10Gi"; }
topic "cold" kafka="main" tenant="t" partitions=2 replicas=3 {
    config "remote.storage.enable" #true
    config "local.retention.bytes" "1Gi"
    config "retention.bytes" "100Gi"
    config "segment.bytes" "512Mi"
}
topic "audit" kafka="main" partitions=1 { config "retention.ms" "7d"; }
topic "forever" kafka="main" tenant="t" partitions=1 { config "retention.bytes" -1; }
"#,
        );
        assert!(!c.diagnostics.has_errors(), "{:?}", c.diagnostics);
        let r = report(&c.platform, Period::default()).expect("prices");
        let row = |w: &str| r.workloads.iter().find(|x| x.workload == w).unwrap_or_else(|| panic!("{w}"));
        let fig = |f: &Figure| f.known().map(|m| m.to_string());

        // 6 × 3 × 10 GiB = 180 GiB × 0.04 = 7.20; peak 6 × 3 × (10 + 1) GiB = 198 GiB = 7.92.
        let orders = row("topic `orders`");
        assert_eq!((fig(&orders.expected), fig(&orders.peak)), (Some("7.20".into()), Some("7.92".into())));
        assert_eq!((orders.tenant.as_str(), orders.pattern), ("t", "storage"));

        // Tiered: only local.retention.bytes stays on disk: 2 × 3 × 1 GiB = 6 GiB = 0.24;
        // peak with 512 MiB segments 2 × 3 × 1.5 GiB = 9 GiB = 0.36.
        let cold = row("topic `cold`");
        assert_eq!((fig(&cold.expected), fig(&cold.peak)), (Some("0.24".into()), Some("0.36".into())));

        // Bounded by time only, or unbounded: unknown, never a made-up size.
        for name in ["topic `audit`", "topic `forever`"] {
            assert!(matches!(row(name).expected, Figure::Unknown(_)), "{name}");
        }
        assert_eq!(row("topic `audit`").tenant, super::SHARED);

        // 3 brokers × 500 GiB = 1500 GiB × 0.04 = 60.00.
        let brokers = row("kafka `main` broker volumes");
        assert_eq!(fig(&brokers.expected), Some("60.00".into()));

        // The tenant's sums take its topics; an unknown topic makes them a lower bound.
        let t = r.tenants.iter().find(|t| t.tenant == "t").expect("tenant");
        assert_eq!(t.expected.to_string(), "7.44");
        assert!(!t.complete);
    }
}
