//! Flink rules over the Flink operator's objects (`flink.apache.org`): changing a job's code or Flink
//! version in `stateless` upgrade mode restarts it from empty state, a changed upgrade mode changes what
//! the next upgrade keeps, and bigger JobManagers or TaskManagers can leave the tenant without quota room.

use serde_json::Value;

use crate::diff::rules::tenants::near_quota;
use crate::diff::rules::{Context, SizeField, at, count, cpu_millis, grown, memory_bytes, show, str_at};
use crate::diff::{ChangeKind, Finding, ObjectChange};

pub const STATELESS_UPGRADE: &str = "strata::diff::flink-stateless-upgrade";
pub const UPGRADE_MODE_CHANGED: &str = "strata::diff::flink-upgrade-mode-changed";

const GROUP: &str = "flink.apache.org";
const DEPLOYMENT: &str = "FlinkDeployment";
const SESSION_JOB: &str = "FlinkSessionJob";
/// The operator's `JobSpec.upgradeMode` default.
const DEFAULT_UPGRADE_MODE: &str = "stateless";

/// Flink reads a memory size without a unit as bytes.
fn flink_memory(v: &Value) -> Option<u64> {
    memory_bytes(v, 1)
}

const SIZE: &[SizeField] = &[
    SizeField { name: "jobManager.replicas", path: &["jobManager", "replicas"], read: count },
    SizeField { name: "jobManager.resource.cpu", path: &["jobManager", "resource", "cpu"], read: cpu_millis },
    SizeField { name: "jobManager.resource.memory", path: &["jobManager", "resource", "memory"], read: flink_memory },
    SizeField { name: "taskManager.replicas", path: &["taskManager", "replicas"], read: count },
    SizeField { name: "taskManager.resource.cpu", path: &["taskManager", "resource", "cpu"], read: cpu_millis },
    SizeField { name: "taskManager.resource.memory", path: &["taskManager", "resource", "memory"], read: flink_memory },
    // More parallelism means more TaskManagers when their count is derived from it.
    SizeField { name: "job.parallelism", path: &["job", "parallelism"], read: count },
];

pub fn check(changes: &[ObjectChange], cx: &Context, out: &mut Vec<Finding>) {
    for c in changes.iter().filter(|c| c.kind == ChangeKind::Changed) {
        let (Some(b), Some(h)) = (c.base, c.head) else { continue };
        let (old, new) = (&b.object, &h.object);
        let deployment = c.is(GROUP, DEPLOYMENT);
        if !deployment && !c.is(GROUP, SESSION_JOB) {
            continue;
        }
        // A session cluster (a FlinkDeployment without `job`) runs no job of its own to lose state of.
        if at(new, &["spec", "job"]).is_some() {
            let kind = if deployment { "Flink job" } else { "Flink session job" };
            let mode =
                |v: &Value| str_at(v, &["spec", "job", "upgradeMode"]).unwrap_or(DEFAULT_UPGRADE_MODE).to_string();
            let (old_mode, new_mode) = (mode(old), mode(new));
            if old_mode != new_mode {
                out.push(mode_changed(c, kind, &old_mode, &new_mode));
            }
            if new_mode == DEFAULT_UPGRADE_MODE {
                let changed: Vec<String> = [
                    (&["spec", "job", "jarURI"][..], "jar"),
                    (&["spec", "flinkVersion"][..], "Flink version"),
                    (&["spec", "image"][..], "image"),
                ]
                .into_iter()
                .filter_map(|(path, label)| {
                    let (o, n) = (at(old, path), at(new, path));
                    (o != n).then(|| format!("{label} `{}` → `{}`", show(o), show(n)))
                })
                .collect();
                if !changed.is_empty() {
                    out.push(
                        Finding::warning(
                            STATELESS_UPGRADE,
                            c,
                            format!(
                                "{kind} `{}` changes its {} with upgrade mode `stateless`: it restarts from empty state",
                                c.key.name,
                                changed.join(", ")
                            ),
                            "in `stateless` mode the operator upgrades by cancelling the job and starting the new one \
                             without a savepoint or checkpoint: keyed state, windows and the source offsets kept in state \
                             are lost, and Kafka sources start from their configured initial offsets",
                        )
                        .help(
                            "switch to upgrade mode `savepoint` (or `last-state`, with checkpoints and HA configured) in \
                             an earlier change, then change the job",
                        ),
                    );
                }
            }
        }
        if deployment {
            let (Some(o), Some(n)) = (at(old, &["spec"]), at(new, &["spec"])) else { continue };
            let what = format!("Flink job `{}`", c.key.name);
            out.extend(near_quota(c, &what, &grown(o, n, SIZE), cx));
        }
    }
}

fn mode_changed(c: &ObjectChange, kind: &str, old: &str, new: &str) -> Finding {
    let why = match (old, new) {
        (_, "stateless") => {
            "from now on upgrades start the job from empty state: the next change to this job drops its keyed state and \
             windows"
        }
        ("stateless", _) => {
            "the job has run without savepoints or a checkpoint-based upgrade path: check that checkpoints (and a \
             savepoint directory for `savepoint`) are configured before the next upgrade relies on them"
        }
        _ => {
            "`last-state` resumes from the latest checkpoint through HA metadata, `savepoint` takes a savepoint on every \
             upgrade: check that HA, checkpoints and the savepoint directory match the new mode"
        }
    };
    Finding::warning(
        UPGRADE_MODE_CHANGED,
        c,
        format!("{kind} `{}` changes its upgrade mode from `{old}` to `{new}`", c.key.name),
        why,
    )
    .help(
        "change the upgrade mode on its own, before or after other changes to the job, so each upgrade is predictable",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::tests::set;
    use crate::diff::{Side, compare};
    use serde_json::json;

    fn deployment(jar: &str, version: &str, mode: Option<&str>) -> Value {
        let mut v = json!({"apiVersion": "flink.apache.org/v1beta1", "kind": DEPLOYMENT,
            "metadata": {"name": "clickstream", "namespace": "payments"},
            "spec": {"flinkVersion": version, "image": "flink:1.20",
                     "job": {"jarURI": jar, "parallelism": 4},
                     "taskManager": {"resource": {"cpu": 1, "memory": "2048m"}}}});
        if let Some(m) = mode {
            v["spec"]["job"]["upgradeMode"] = json!(m);
        }
        v
    }

    fn findings(old: Value, new: Value) -> Vec<Finding> {
        let b = set(vec![(old, Some("payments"), "f.kdl:1")]);
        let h = set(vec![(new, Some("payments"), "f.kdl:1")]);
        compare(&Side::new("base", &b), &Side::new("head", &h)).findings
    }

    #[test]
    fn jar_or_version_change_in_stateless_mode_is_a_warning() {
        let f = findings(
            deployment("local:///job-1.jar", "v1_20", Some("stateless")),
            deployment("local:///job-2.jar", "v1_20", Some("stateless")),
        );
        assert_eq!(f.iter().map(|f| f.code).collect::<Vec<_>>(), vec![STATELESS_UPGRADE]);
        assert!(f[0].message.contains("jar `local:///job-1.jar` → `local:///job-2.jar`"), "{}", f[0].message);
        // Unset upgradeMode is the operator's default, stateless.
        let f = findings(deployment("j", "v1_19", None), deployment("j", "v1_20", None));
        assert_eq!(f.iter().map(|f| f.code).collect::<Vec<_>>(), vec![STATELESS_UPGRADE]);
        // Savepoint mode keeps state.
        let f = findings(deployment("a", "v1_20", Some("savepoint")), deployment("b", "v1_20", Some("savepoint")));
        assert!(f.is_empty());
    }

    #[test]
    fn upgrade_mode_change_is_a_warning() {
        let f = findings(deployment("a", "v1_20", Some("savepoint")), deployment("a", "v1_20", Some("stateless")));
        assert_eq!(f.iter().map(|f| f.code).collect::<Vec<_>>(), vec![UPGRADE_MODE_CHANGED]);
        assert!(f[0].message.contains("from `savepoint` to `stateless`"), "{}", f[0].message);
        assert!(f[0].why.contains("empty state"));
        let f = findings(deployment("a", "v1_20", Some("stateless")), deployment("b", "v1_20", Some("last-state")));
        assert_eq!(f.iter().map(|f| f.code).collect::<Vec<_>>(), vec![UPGRADE_MODE_CHANGED]);
    }

    #[test]
    fn reads_flink_sizes() {
        let old = deployment("a", "v1_20", None)["spec"].clone();
        let mut new = old.clone();
        new["taskManager"]["resource"]["memory"] = json!("4g");
        new["job"]["parallelism"] = json!(8);
        assert_eq!(
            grown(&old, &new, SIZE),
            vec!["taskManager.resource.memory 2048m → 4g".to_string(), "job.parallelism 4 → 8".to_string()]
        );
    }
}
