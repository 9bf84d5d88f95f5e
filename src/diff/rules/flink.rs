//! Flink rules over the Flink operator's objects (`flink.apache.org`): changing a job's code or Flink
//! version in `stateless` upgrade mode restarts it from empty state, a changed upgrade mode changes what
//! the next upgrade keeps, and bigger JobManagers or TaskManagers can leave the tenant without quota room.

use crate::crd::CustomResource;
use crate::crd::flink::{FlinkDeployment, FlinkDeploymentSpec, FlinkSessionJob, FlinkVersion, JobSpec, UpgradeMode};
use crate::diff::rules::tenants::near_quota;
use crate::diff::rules::{Context, SizeField, count, cpu_cores, grown, jvm_memory, read_both};
use crate::diff::{ChangeKind, Finding, ObjectChange};

pub const STATELESS_UPGRADE: &str = "strata::diff::flink-stateless-upgrade";
pub const UPGRADE_MODE_CHANGED: &str = "strata::diff::flink-upgrade-mode-changed";
pub const MAX_PARALLELISM_CHANGED: &str = "strata::diff::flink-max-parallelism-changed";
pub const AUTOSCALER_TOGGLED: &str = "strata::diff::flink-autoscaler-toggled";

/// Flink reads a memory size without a unit as bytes.
const FLINK_BARE_MEMORY: u64 = 1;

const SIZE: &[SizeField<FlinkDeploymentSpec>] = &[
    SizeField { name: "jobManager.replicas", read: |s| count(s.job_manager.as_ref()?.replicas) },
    SizeField {
        name: "jobManager.resource.cpu",
        read: |s| cpu_cores(s.job_manager.as_ref()?.resource.as_ref()?.cpu.as_ref()),
    },
    SizeField {
        name: "jobManager.resource.memory",
        read: |s| jvm_memory(s.job_manager.as_ref()?.resource.as_ref()?.memory.as_deref(), FLINK_BARE_MEMORY),
    },
    SizeField { name: "taskManager.replicas", read: |s| count(s.task_manager.as_ref()?.replicas) },
    SizeField {
        name: "taskManager.resource.cpu",
        read: |s| cpu_cores(s.task_manager.as_ref()?.resource.as_ref()?.cpu.as_ref()),
    },
    SizeField {
        name: "taskManager.resource.memory",
        read: |s| jvm_memory(s.task_manager.as_ref()?.resource.as_ref()?.memory.as_deref(), FLINK_BARE_MEMORY),
    },
    // More parallelism means more TaskManagers when their count is derived from it.
    SizeField { name: "job.parallelism", read: |s| count(s.job.as_ref()?.parallelism) },
    // The autoscaler's ceiling: quota fit counts TaskManagers at it.
    SizeField {
        name: "job.autoscaler.vertex.max-parallelism",
        read: |s| count(conf_int(s, "job.autoscaler.vertex.max-parallelism")),
    },
    SizeField { name: "pipeline.max-parallelism", read: |s| count(conf_int(s, "pipeline.max-parallelism")) },
];

/// A whole-number `flinkConfiguration` entry (strata writes them as strings).
fn conf_int(s: &FlinkDeploymentSpec, key: &str) -> Option<i64> {
    s.flink_configuration.as_ref()?.get(key).and_then(crate::diff::rules::int)
}

/// A `flinkConfiguration` entry as text.
fn conf_text(s: &FlinkDeploymentSpec, key: &str) -> Option<String> {
    match s.flink_configuration.as_ref()?.get(key)? {
        serde_json::Value::String(v) => Some(v.trim().to_string()),
        v => Some(v.to_string()),
    }
}

/// What the upgrade rules read, alike for a deployment and a session job (which has no image or Flink
/// version of its own: its session cluster does).
#[derive(Default)]
struct Upgradable<'a> {
    job: Option<&'a JobSpec>,
    flink_version: Option<FlinkVersion>,
    image: Option<&'a str>,
}

impl<'a> Upgradable<'a> {
    fn of_deployment(d: &'a FlinkDeployment) -> Self {
        let Some(s) = &d.spec else { return Upgradable::default() };
        Upgradable { job: s.job.as_ref(), flink_version: s.flink_version, image: s.image.as_deref() }
    }

    fn of_session_job(j: &'a FlinkSessionJob) -> Self {
        Upgradable { job: j.spec.as_ref().and_then(|s| s.job.as_ref()), ..Upgradable::default() }
    }

    fn upgrade_mode(&self) -> UpgradeMode {
        self.job.map_or(UpgradeMode::DEFAULT, JobSpec::upgrade_mode)
    }
}

pub fn check(changes: &[ObjectChange], cx: &Context, out: &mut Vec<Finding>) {
    for c in changes.iter().filter(|c| c.kind == ChangeKind::Changed) {
        if c.is(FlinkDeployment::GROUP, FlinkDeployment::KIND) {
            let Some((old, new)) = read_both::<FlinkDeployment>(c, cx, out) else { continue };
            upgrade(c, "Flink job", &Upgradable::of_deployment(&old), &Upgradable::of_deployment(&new), out);
            if let (Some(o), Some(n)) = (&old.spec, &new.spec) {
                out.extend(max_parallelism_changed(c, o, n));
                out.extend(autoscaler_toggled(c, o, n));
                let what = format!("Flink job `{}`", c.key.name);
                out.extend(near_quota(c, &what, &grown(o, n, SIZE), cx));
            }
        } else if c.is(FlinkSessionJob::GROUP, FlinkSessionJob::KIND) {
            let Some((old, new)) = read_both::<FlinkSessionJob>(c, cx, out) else { continue };
            upgrade(c, "Flink session job", &Upgradable::of_session_job(&old), &Upgradable::of_session_job(&new), out);
        }
    }
}

fn upgrade(c: &ObjectChange, kind: &str, old: &Upgradable, new: &Upgradable, out: &mut Vec<Finding>) {
    // A session cluster (a FlinkDeployment without `job`) runs no job of its own to lose state of.
    if new.job.is_none() {
        return;
    }
    let (old_mode, new_mode) = (old.upgrade_mode(), new.upgrade_mode());
    if old_mode != new_mode {
        out.push(mode_changed(c, kind, old_mode, new_mode));
    }
    if new_mode != UpgradeMode::Stateless {
        return;
    }
    let jar = |u: &Upgradable<'_>| u.job.and_then(|j| j.jar_uri.clone());
    let version = |u: &Upgradable<'_>| u.flink_version.map(|v| v.as_str().to_string());
    let image = |u: &Upgradable<'_>| u.image.map(str::to_string);
    let changed: Vec<String> =
        [("jar", jar(old), jar(new)), ("Flink version", version(old), version(new)), ("image", image(old), image(new))]
            .into_iter()
            .filter(|(_, o, n)| o != n)
            .map(|(label, o, n)| {
                let show = |v: Option<String>| v.unwrap_or_else(|| "unset".to_string());
                format!("{label} `{}` → `{}`", show(o), show(n))
            })
            .collect();
    if changed.is_empty() {
        return;
    }
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

/// `pipeline.max-parallelism` is the number of key groups the job's keyed state is split into. Flink
/// restores a savepoint or checkpoint only into the same number when it is configured explicitly:
/// "The maximum parallelism (…) with which the latest checkpoint of the execution job vertex … has been taken
/// and the current maximum parallelism (…) changed. This is currently not supported." (apache/flink
/// flink-runtime `StateAssignmentOperation.checkParallelismPreconditions`; only an unset max parallelism is
/// adapted to the restored one).
fn max_parallelism_changed(c: &ObjectChange, old: &FlinkDeploymentSpec, new: &FlinkDeploymentSpec) -> Option<Finding> {
    let key = "pipeline.max-parallelism";
    let (o, n) = (conf_text(old, key), conf_text(new, key));
    if o == n || new.job.is_none() {
        return None;
    }
    let mode = new.job.as_ref().map_or(UpgradeMode::DEFAULT, JobSpec::upgrade_mode);
    let show = |v: &Option<String>| match v {
        Some(v) => format!("`{v}`"),
        None => "unset (Flink's default: a power of two of at least 128, from each operator's parallelism)".to_string(),
    };
    let message = format!("Flink job `{}` changes its max parallelism from {} to {}", c.key.name, show(&o), show(&n));
    let stateful = mode != UpgradeMode::Stateless;
    Some(match (&n, stateful) {
        (Some(new_value), true) => Finding::error(
            MAX_PARALLELISM_CHANGED,
            c,
            format!("{message}: its `{mode}` upgrade restores state into {new_value} key groups and fails"),
            "the max parallelism is the number of key groups keyed state is stored in; Flink restores a checkpoint or \
             savepoint only into the same number when it is set explicitly (\"The maximum parallelism … with which the \
             latest checkpoint … has been taken and the current maximum parallelism … changed. This is currently not \
             supported.\", flink-runtime StateAssignmentOperation): the upgraded job cannot start, and it keeps failing \
             until the change is reverted",
        )
        .help(match &o {
            Some(old_value) => format!(
                "keep `max-parallelism={old_value}`; to change it, migrate the state offline (State Processor API) into a new savepoint, or start the job without state in a deliberate change"
            ),
            None => "set `max-parallelism` to the value the running job's state was written with (the job's web UI shows each operator's max parallelism), or start the job without state in a deliberate change".to_string(),
        }),
        (None, true) => Finding::warning(
            MAX_PARALLELISM_CHANGED,
            c,
            format!("{message}: Flink takes the key groups from the restored state"),
            "an unset max parallelism is adapted to the restored checkpoint's, so the upgrade restores; but the job's \
             key groups, and what the autoscaler rounds parallelism to, are now whatever the state says",
        )
        .help("keep `max-parallelism` written, so the key groups stay visible in the spec"),
        (_, false) => Finding::warning(
            MAX_PARALLELISM_CHANGED,
            c,
            format!("{message} with upgrade mode `stateless`: state rescaling does not apply, the job restarts empty"),
            "a stateless upgrade restores nothing, so the new key groups apply from empty state; with a stateful upgrade \
             mode the same change would fail the restore",
        )
        .help("if the job keeps state, switch to `savepoint` in a separate change only after choosing the final max parallelism"),
    })
}

/// `job.autoscaler.enabled` turned on or off.
fn autoscaler_toggled(c: &ObjectChange, old: &FlinkDeploymentSpec, new: &FlinkDeploymentSpec) -> Option<Finding> {
    let on = |s: &FlinkDeploymentSpec| {
        conf_text(s, "job.autoscaler.enabled").is_some_and(|v| v.eq_ignore_ascii_case("true"))
    };
    let (o, n) = (on(old), on(new));
    if o == n || new.job.is_none() {
        return None;
    }
    let parallelism = new
        .job
        .as_ref()
        .and_then(|j| j.parallelism)
        .map_or_else(|| "its `job.parallelism`".to_string(), |p| format!("parallelism {p}"));
    Some(if n {
        let max =
            conf_text(new, "job.autoscaler.vertex.max-parallelism").unwrap_or_else(|| "200 (the default)".to_string());
        Finding::warning(
            AUTOSCALER_TOGGLED,
            c,
            format!("Flink job `{}` turns the job autoscaler on: it may rescale each vertex up to {max}", c.key.name),
            "from now on the operator changes the job's parallelism on its own: every scaling decision restarts the job \
             from its latest state (in place with the adaptive scheduler on Flink 1.18+), TaskManagers come and go \
             with it, and quota fit counts the job at the autoscaler's maximum",
        )
        .help("roll it out with `dry-run=#true` first to see the autoscaler's recommendations without rescaling, and make sure checkpoints and a savepoint directory are set")
    } else {
        Finding::warning(
            AUTOSCALER_TOGGLED,
            c,
            format!("Flink job `{}` turns the job autoscaler off: it goes back to {parallelism}", c.key.name),
            "a disabled autoscaler clears its state and parallelism overrides (JobAutoScalerImpl, flink-kubernetes-operator): \
             the job is redeployed at the spec's parallelism, whatever its current load needs",
        )
        .help("set `parallelism` to what the job runs at now (the operator's ScalingReport events show it) before turning the autoscaler off")
    })
}

fn mode_changed(c: &ObjectChange, kind: &str, old: UpgradeMode, new: UpgradeMode) -> Finding {
    let why = match (old, new) {
        (_, UpgradeMode::Stateless) => {
            "from now on upgrades start the job from empty state: the next change to this job drops its keyed state and \
             windows"
        }
        (UpgradeMode::Stateless, _) => {
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
    use crate::diff::rules::UNREADABLE;
    use crate::diff::tests::set;
    use crate::diff::{Side, compare};
    use serde_json::{Value, json};

    fn deployment(jar: &str, version: &str, mode: Option<&str>) -> Value {
        let mut v = json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
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
        let spec = |v: &Value| serde_json::from_value::<FlinkDeploymentSpec>(v["spec"].clone()).expect("a spec");
        let old = deployment("a", "v1_20", None);
        let mut new = old.clone();
        new["spec"]["taskManager"]["resource"]["memory"] = json!("4g");
        new["spec"]["job"]["parallelism"] = json!(8);
        assert_eq!(
            grown(&spec(&old), &spec(&new), SIZE),
            vec!["taskManager.resource.memory 2048m → 4g".to_string(), "job.parallelism 4 → 8".to_string()]
        );
    }

    #[test]
    fn session_jobs_follow_the_same_upgrade_rules() {
        let job = |jar: &str| {
            json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkSessionJob",
                   "metadata": {"name": "enrich", "namespace": "payments"},
                   "spec": {"deploymentName": "session", "job": {"jarURI": jar}}})
        };
        let f = findings(job("local:///a.jar"), job("local:///b.jar"));
        assert_eq!(f.iter().map(|f| f.code).collect::<Vec<_>>(), vec![STATELESS_UPGRADE]);
        assert!(f[0].message.starts_with("Flink session job `enrich` changes its jar"), "{}", f[0].message);
    }

    #[test]
    fn an_unreadable_revision_is_reported_not_skipped() {
        // An upgrade mode the operator does not have: the old mode is unknown, so the warning says so.
        let f = findings(deployment("a", "v1_20", Some("snapshot")), deployment("b", "v1_20", Some("stateless")));
        assert_eq!(f.iter().map(|f| f.code).collect::<Vec<_>>(), vec![UNREADABLE]);
        assert!(f[0].message.contains("unknown variant `snapshot`"), "{}", f[0].message);
    }
}
