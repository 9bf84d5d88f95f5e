//! Spark rules over the Spark operator's objects (`sparkoperator.k8s.io`): a scheduled application whose
//! schedule or time zone changes moves its runs, and drivers or executors that grow can leave the tenant
//! without quota headroom.

use serde_json::Value;

use crate::diff::rules::tenants::near_quota;
use crate::diff::rules::{Context, SizeField, at, count, cpu_millis, grown, memory_bytes, show};
use crate::diff::{ChangeKind, Finding, ObjectChange};

pub const SCHEDULE_CHANGED: &str = "strata::diff::schedule-changed";

const GROUP: &str = "sparkoperator.k8s.io";
const APP: &str = "SparkApplication";
const SCHEDULED: &str = "ScheduledSparkApplication";

/// Spark reads a memory size without a unit as MiB (`spark.driver.memory=4096`).
fn spark_memory(v: &Value) -> Option<u64> {
    memory_bytes(v, 1 << 20)
}

/// The fields of a SparkApplication spec that size its pods, as the operator's CRD names them.
const SIZE: &[SizeField] = &[
    SizeField { name: "driver.cores", path: &["driver", "cores"], read: cpu_millis },
    SizeField { name: "driver.coreRequest", path: &["driver", "coreRequest"], read: cpu_millis },
    SizeField { name: "driver.coreLimit", path: &["driver", "coreLimit"], read: cpu_millis },
    SizeField { name: "driver.memory", path: &["driver", "memory"], read: spark_memory },
    SizeField { name: "driver.memoryOverhead", path: &["driver", "memoryOverhead"], read: spark_memory },
    SizeField { name: "executor.instances", path: &["executor", "instances"], read: count },
    SizeField { name: "executor.cores", path: &["executor", "cores"], read: cpu_millis },
    SizeField { name: "executor.coreRequest", path: &["executor", "coreRequest"], read: cpu_millis },
    SizeField { name: "executor.coreLimit", path: &["executor", "coreLimit"], read: cpu_millis },
    SizeField { name: "executor.memory", path: &["executor", "memory"], read: spark_memory },
    SizeField { name: "executor.memoryOverhead", path: &["executor", "memoryOverhead"], read: spark_memory },
    SizeField { name: "dynamicAllocation.maxExecutors", path: &["dynamicAllocation", "maxExecutors"], read: count },
];

pub fn check(changes: &[ObjectChange], cx: &Context, out: &mut Vec<Finding>) {
    for c in changes.iter().filter(|c| c.kind == ChangeKind::Changed) {
        let (Some(b), Some(h)) = (c.base, c.head) else { continue };
        let (old, new) = (&b.object, &h.object);
        if c.is(GROUP, SCHEDULED) {
            if let Some(f) = schedule_changed(c, old, new) {
                out.push(f);
            }
            let (Some(o), Some(n)) = (at(old, &["spec", "template"]), at(new, &["spec", "template"])) else { continue };
            let what = format!("scheduled Spark application `{}`", c.key.name);
            out.extend(near_quota(c, &what, &grown(o, n, SIZE), cx));
        } else if c.is(GROUP, APP) {
            let (Some(o), Some(n)) = (at(old, &["spec"]), at(new, &["spec"])) else { continue };
            let what = format!("Spark application `{}`", c.key.name);
            out.extend(near_quota(c, &what, &grown(o, n, SIZE), cx));
        }
    }
}

fn schedule_changed(c: &ObjectChange, old: &Value, new: &Value) -> Option<Finding> {
    let field = |v: &Value, k: &str| at(v, &["spec", k]).cloned();
    let mut what = Vec::new();
    for (key, label) in [("schedule", "schedule"), ("timeZone", "time zone")] {
        let (o, n) = (field(old, key), field(new, key));
        if o != n {
            // The operator runs an unzoned schedule in its own local time zone.
            let unset = if key == "timeZone" { "unset (the operator's local time)" } else { "unset" };
            let text = |v: Option<Value>| v.map_or_else(|| unset.to_string(), |v| format!("`{}`", show(Some(&v))));
            let (o, n) = (text(o), text(n));
            what.push(format!("{label} {o} → {n}"));
        }
    }
    if what.is_empty() {
        return None;
    }
    Some(
        Finding::warning(
            SCHEDULE_CHANGED,
            c,
            format!("scheduled Spark application `{}` changes its {}", c.key.name, what.join(", ")),
            "the runs move: around the switch a run can be skipped or happen twice, and downstream jobs, reports or \
             SLAs tied to the old time must move with it",
        )
        .help("check the consumers of this job's output and the time of its next run before merging"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::rules::tenants::NEAR_QUOTA;
    use crate::diff::tests::set;
    use crate::diff::{Side, compare};
    use crate::model::demand::{Demand, PodDemand};
    use crate::source::{FileId, Span};
    use crate::units::{Bytes, Cpu};
    use serde_json::json;

    fn scheduled(schedule: &str, tz: Option<&str>, executors: u64) -> Value {
        let mut v = json!({"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": SCHEDULED,
            "metadata": {"name": "nightly", "namespace": "analytics"},
            "spec": {"schedule": schedule, "template": {
                "driver": {"cores": 1, "memory": "2g"},
                "executor": {"instances": executors, "cores": 2, "memory": "4g"}}}});
        if let Some(tz) = tz {
            v["spec"]["timeZone"] = json!(tz);
        }
        v
    }

    fn quota(cpu: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ResourceQuota",
               "metadata": {"name": "tenant-quota", "namespace": "analytics"}, "spec": {"hard": {"requests.cpu": cpu}}})
    }

    /// What the Spark domain's demand would say for `executors` executors of 2 cores and a 1-core driver.
    fn demand(executors: u64) -> Vec<Demand> {
        let pod = |role: &str, count: u64, cores: u64| PodDemand {
            role: role.into(),
            count,
            cpu_request: Cpu(cores * 1000),
            cpu_limit: Cpu(cores * 1000),
            memory_request: Bytes(4 << 30),
            memory_limit: Bytes(4 << 30),
        };
        vec![Demand {
            tenant: "analytics".into(),
            workload: "spark-job `nightly`".into(),
            span: Span::new(FileId(0), 0, 0),
            exclusive_group: None,
            pods: vec![pod("driver", 1, 1), pod("executor", executors, 2)],
            objects: vec![],
            admission: Vec::new(),
        }]
    }

    #[test]
    fn schedule_or_time_zone_change_is_a_warning() {
        let base = set(vec![(scheduled("0 2 * * *", Some("UTC"), 4), Some("analytics"), "s.kdl:1")]);
        let head = set(vec![(scheduled("0 3 * * *", Some("Europe/Berlin"), 4), Some("analytics"), "s.kdl:1")]);
        let d = compare(&Side::new("base", &base), &Side::new("head", &head));
        assert_eq!(d.findings.len(), 1);
        let f = &d.findings[0];
        assert_eq!((f.code, f.is_error()), (SCHEDULE_CHANGED, false));
        assert!(
            f.message.contains("schedule `0 2 * * *` → `0 3 * * *`, time zone `UTC` → `Europe/Berlin`"),
            "{}",
            f.message
        );
        let d = compare(&Side::new("base", &base), &Side::new("head", &base));
        assert!(d.findings.is_empty());
    }

    #[test]
    fn executors_growing_near_the_quota_is_a_warning() {
        let base = set(vec![
            (quota("40"), Some("analytics"), "t.kdl:2"),
            (scheduled("0 2 * * *", None, 10), Some("analytics"), "s.kdl:1"),
        ]);
        let head = set(vec![
            (quota("40"), Some("analytics"), "t.kdl:2"),
            (scheduled("0 2 * * *", None, 18), Some("analytics"), "s.kdl:1"),
        ]);
        // 1 + 18 x 2 = 37 of 40 cores: 92%.
        let h = Side::new("head", &head).with_demands(demand(18));
        let d = compare(&Side::new("base", &base).with_demands(demand(10)), &h);
        assert_eq!(d.findings.len(), 1, "{:?}", d.findings);
        let f = &d.findings[0];
        assert_eq!((f.code, f.is_error()), (NEAR_QUOTA, false));
        assert!(f.message.contains("executor.instances 10 → 18"), "{}", f.message);
        assert!(f.message.contains("requests.cpu 37 of 40 (92%)"), "{}", f.message);

        // Growing but far from the quota: nothing to say.
        let roomy = set(vec![
            (quota("100"), Some("analytics"), "t.kdl:2"),
            (scheduled("0 2 * * *", None, 18), Some("analytics"), "s.kdl:1"),
        ]);
        let d = compare(&Side::new("base", &base), &Side::new("head", &roomy).with_demands(demand(18)));
        assert!(d.findings.iter().all(|f| f.code != NEAR_QUOTA), "{:?}", d.findings);
    }

    #[test]
    fn reads_spark_sizes() {
        let old = json!({"executor": {"memory": "4g", "cores": 2}, "driver": {"coreLimit": "1200m"}});
        let new = json!({"executor": {"memory": "8192m", "cores": 2}, "driver": {"coreLimit": "1"}});
        assert_eq!(grown(&old, &new, SIZE), vec!["executor.memory 4g → 8192m".to_string()]);
    }
}
