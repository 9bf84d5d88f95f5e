//! Spark rules over the Spark operator's objects (`sparkoperator.k8s.io`): a scheduled application whose
//! schedule or time zone changes moves its runs, and drivers or executors that grow can leave the tenant
//! without quota headroom.

use crate::crd::CustomResource;
use crate::crd::spark::{
    ScheduledSparkApplication, ScheduledSparkApplicationSpec, SparkApplication, SparkApplicationSpec,
};
use crate::diff::rules::tenants::{Quota, near_quota, peak, usage};
use crate::diff::rules::{Context, SizeField, count, cpu_quantity, grown, jvm_memory, read_both, whole_cores};
use crate::diff::{ChangeKind, Finding, ObjectChange};

pub const SCHEDULE_CHANGED: &str = "strata::diff::schedule-changed";
pub const MAX_EXECUTORS_GROWN: &str = "strata::diff::spark-max-executors";

/// Spark reads a memory size without a unit as MiB (`spark.driver.memory=4096`).
const SPARK_BARE_MEMORY: u64 = 1 << 20;

/// The fields of a SparkApplication spec that size its pods, as the operator's CRD names them.
const SIZE: &[SizeField<SparkApplicationSpec>] = &[
    SizeField { name: "driver.cores", read: |s| whole_cores(s.driver.cores) },
    SizeField { name: "driver.coreRequest", read: |s| cpu_quantity(s.driver.core_request.as_deref()) },
    SizeField { name: "driver.coreLimit", read: |s| cpu_quantity(s.driver.core_limit.as_deref()) },
    SizeField { name: "driver.memory", read: |s| jvm_memory(s.driver.memory.as_deref(), SPARK_BARE_MEMORY) },
    SizeField {
        name: "driver.memoryOverhead",
        read: |s| jvm_memory(s.driver.memory_overhead.as_deref(), SPARK_BARE_MEMORY),
    },
    SizeField { name: "executor.instances", read: |s| count(s.executor.instances) },
    SizeField { name: "executor.cores", read: |s| whole_cores(s.executor.cores) },
    SizeField { name: "executor.coreRequest", read: |s| cpu_quantity(s.executor.core_request.as_deref()) },
    SizeField { name: "executor.coreLimit", read: |s| cpu_quantity(s.executor.core_limit.as_deref()) },
    SizeField { name: "executor.memory", read: |s| jvm_memory(s.executor.memory.as_deref(), SPARK_BARE_MEMORY) },
    SizeField {
        name: "executor.memoryOverhead",
        read: |s| jvm_memory(s.executor.memory_overhead.as_deref(), SPARK_BARE_MEMORY),
    },
    SizeField {
        name: "dynamicAllocation.maxExecutors",
        read: |s| count(s.dynamic_allocation.as_ref().and_then(|d| d.max_executors)),
    },
];

pub fn check(changes: &[ObjectChange], cx: &Context, out: &mut Vec<Finding>) {
    for c in changes.iter().filter(|c| c.kind == ChangeKind::Changed) {
        if c.is(ScheduledSparkApplication::GROUP, ScheduledSparkApplication::KIND) {
            let Some((old, new)) = read_both::<ScheduledSparkApplication>(c, cx, out) else { continue };
            if let Some(f) = schedule_changed(c, &old.spec, &new.spec) {
                out.push(f);
            }
            let what = format!("scheduled Spark application `{}`", c.key.name);
            out.extend(max_executors_grown(c, &what, &old.spec.template, &new.spec.template, cx));
            out.extend(near_quota(c, &what, &grown(&old.spec.template, &new.spec.template, SIZE), cx));
        } else if c.is(SparkApplication::GROUP, SparkApplication::KIND) {
            let Some((old, new)) = read_both::<SparkApplication>(c, cx, out) else { continue };
            let what = format!("Spark application `{}`", c.key.name);
            out.extend(max_executors_grown(c, &what, &old.spec, &new.spec, cx));
            out.extend(near_quota(c, &what, &grown(&old.spec, &new.spec, SIZE), cx));
        }
    }
}

/// Dynamic allocation's maximum grows (`20 → 200`): the tenant's peak counts the job at that maximum, so
/// the finding shows what the change does to each quota limit, base → head.
fn max_executors_grown(
    c: &ObjectChange,
    what: &str,
    old: &SparkApplicationSpec,
    new: &SparkApplicationSpec,
    cx: &Context,
) -> Option<Finding> {
    let max =
        |s: &SparkApplicationSpec| s.dynamic_allocation.as_ref().filter(|d| d.enabled == Some(true))?.max_executors;
    let (o, n) = (max(old)?, max(new)?);
    if n <= o {
        return None;
    }
    let tenant = c.tenant()?;
    let (before, after) = (peak(&cx.base.demands, tenant), peak(&cx.head.demands, tenant));
    let mut effect = Vec::new();
    for q in cx.head_quotas(tenant) {
        let quota = Quota::of(q);
        let was = usage(&quota, &before);
        for u in usage(&quota, &after) {
            let from =
                was.iter().find(|w| w.resource == u.resource).map_or_else(|| "?".to_string(), |w| w.need.clone());
            if from != u.need {
                effect.push(format!("{} {from} → {} of {} ({}%)", u.resource, u.need, u.hard, u.permille() / 10));
            }
        }
    }
    let effect = if effect.is_empty() {
        "the tenant has no quota limit on what grows".to_string()
    } else {
        format!("tenant `{tenant}` at peak: {}", effect.join(", "))
    };
    Some(
        Finding::warning(
            MAX_EXECUTORS_GROWN,
            c,
            format!("{what} may now run {n} executors instead of {o} (dynamic allocation max); {effect}"),
            "quota fit counts a dynamically allocated job at its maximum: when the tenant's quota cannot hold it, the \
             executors above the quota are refused as the driver asks for them and the job runs with fewer, slower, \
             while other jobs of the tenant lose their headroom",
        )
        .help("check the quota arithmetic above with `strata check --explain`; raise the tenant's quota in the same change if the job really needs the executors"),
    )
}

fn schedule_changed(
    c: &ObjectChange,
    old: &ScheduledSparkApplicationSpec,
    new: &ScheduledSparkApplicationSpec,
) -> Option<Finding> {
    let mut what = Vec::new();
    for (label, o, n, unset) in [
        ("schedule", Some(old.schedule.as_str()), Some(new.schedule.as_str()), "unset"),
        // The operator runs an unzoned schedule in its own local time zone.
        ("time zone", old.time_zone.as_deref(), new.time_zone.as_deref(), "unset (the operator's local time)"),
    ] {
        if o != n {
            let text = |v: Option<&str>| v.map_or_else(|| unset.to_string(), |v| format!("`{v}`"));
            what.push(format!("{label} {} → {}", text(o), text(n)));
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
    use crate::diff::rules::UNREADABLE;
    use crate::diff::rules::tenants::NEAR_QUOTA;
    use crate::diff::tests::set;
    use crate::diff::{Side, compare};
    use crate::model::demand::{Demand, PodDemand};
    use crate::source::{FileId, Span};
    use crate::units::{Bytes, Cpu};
    use serde_json::{Value, json};

    /// A template with the fields the CRD requires and the sizes the tests change.
    fn template(executors: u64) -> Value {
        json!({"type": "Scala", "sparkVersion": "3.5.1", "mainApplicationFile": "local:///opt/app.jar",
               "driver": {"cores": 1, "memory": "2g"},
               "executor": {"instances": executors, "cores": 2, "memory": "4g"}})
    }

    fn scheduled(schedule: &str, tz: Option<&str>, executors: u64) -> Value {
        let mut v = json!({"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "ScheduledSparkApplication",
            "metadata": {"name": "nightly", "namespace": "analytics"},
            "spec": {"schedule": schedule, "template": template(executors)}});
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
            gpus: 0,
            spot: false,
        };
        vec![Demand {
            tenant: "analytics".into(),
            workload: "spark-job `nightly`".into(),
            span: Span::new(FileId(0), 0, 0),
            exclusive_group: None,
            pods: vec![pod("driver", 1, 1), pod("executor", executors, 2)],
            objects: vec![],
            admission: Vec::new(),
            run: Default::default(),
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
        let spec = |v: Value| serde_json::from_value::<SparkApplicationSpec>(v).expect("a spec");
        let mut old = template(4);
        old["executor"]["memory"] = json!("4g");
        old["driver"]["coreLimit"] = json!("1200m");
        let mut new = old.clone();
        new["executor"]["memory"] = json!("8192m");
        new["driver"]["coreLimit"] = json!("1");
        assert_eq!(grown(&spec(old), &spec(new), SIZE), vec!["executor.memory 4g → 8192m".to_string()]);
    }

    #[test]
    fn an_unreadable_revision_is_reported_not_skipped() {
        let mut hand_edited = scheduled("0 2 * * *", None, 4);
        hand_edited["spec"]["template"]["executor"]["instances"] = json!("4");
        let base = set(vec![(hand_edited, Some("analytics"), "s.kdl:1")]);
        let head = set(vec![(scheduled("0 3 * * *", None, 4), Some("analytics"), "s.kdl:1")]);
        let d = compare(&Side::new("base", &base), &Side::new("head", &head));
        assert_eq!(d.findings.iter().map(|f| f.code).collect::<Vec<_>>(), vec![UNREADABLE]);
        assert!(d.findings[0].message.contains("in base: invalid type: string \"4\""), "{}", d.findings[0].message);
        assert_eq!(d.changes.len(), 1);
    }
}
