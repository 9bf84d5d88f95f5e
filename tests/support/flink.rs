//! Flink helpers shared by the tests that put the Flink Kubernetes Operator's own code in the loop
//! (`tests/flink_operator.rs`: its validators run offline; `tests/flink_live.rs` and `tests/e2e_flink.rs`:
//! the operator itself, started by `scripts/tools/flink-oracle serve`, against the test cluster): the Flink
//! rules strata checks with a spec that breaks each one, the rules where operator 1.7.0 judges otherwise,
//! and the running operator.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};
use strata::lang::MemFs;

use super::repo;

pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

pub fn flink_deployments(objects: Vec<Value>) -> Vec<Value> {
    objects.into_iter().filter(|o| o["kind"] == "FlinkDeployment").collect()
}

pub fn emitted_flink(spec: &Path) -> Vec<Value> {
    // A case with environments is judged as its last one (production in the goldens): the objects of one case
    // share a namespace here, where two environments' copies of an object would collide. Every environment is
    // judged by the tests that compile each (`strata::compile_path_envs`).
    let c = strata::compile_path_envs(spec).pop().expect("a spec compiles to at least one platform");
    let set = c.manifests.unwrap_or_else(|| panic!("{} does not compile", spec.display()));
    flink_deployments(set.items.into_iter().map(|m| m.object).collect())
}

/// The newest Flink the oracle's operator (1.7.0, `FlinkVersion`) knows.
pub const NEWEST_KNOWN: (u32, u32) = (1, 19);

/// The object as operator 1.7.0 can read it: a job for a Flink newer than it knows is judged as the same
/// job on Flink 1.19, with the checkpoint and savepoint directories under the names Flink 1.17 reads
/// (`state.checkpoints.dir`, `state.savepoints.dir`; Flink 1.20 renamed them and still reads the old
/// names). Nothing else changes, so every other rule is judged on strata's own output.
pub fn as_operator_1_7_reads_it(mut o: Value) -> Value {
    let version = o["spec"]["flinkVersion"].as_str().unwrap_or_default().to_string();
    let parsed = version
        .strip_prefix('v')
        .and_then(|v| v.split_once('_'))
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)));
    if parsed.is_some_and(|v| v > NEWEST_KNOWN) {
        o["spec"]["flinkVersion"] = json!(format!("v{}_{}", NEWEST_KNOWN.0, NEWEST_KNOWN.1));
        if let Some(conf) = o["spec"]["flinkConfiguration"].as_object_mut() {
            for (new, old) in [
                ("execution.checkpointing.dir", "state.checkpoints.dir"),
                ("execution.checkpointing.savepoint-dir", "state.savepoints.dir"),
            ] {
                if let Some(v) = conf.remove(new) {
                    conf.insert(old.to_string(), v);
                }
            }
        }
    }
    o
}

pub fn set_config(o: &mut Value, key: &str, value: &str) {
    o["spec"]["flinkConfiguration"][key] = json!(value);
}

pub fn remove_config(o: &mut Value, key: &str) {
    let removed = o["spec"]["flinkConfiguration"].as_object_mut().and_then(|c| c.remove(key));
    assert!(removed.is_some(), "the valid variant has no `{key}` to remove: {o}");
}

/// One rule of the differential: `valid` and `invalid` are flink-job bodies (added to a minimal Flink
/// 1.19 job, a version the oracle knows as it is); `mutate` writes the violation into the object strata
/// emits for `valid`.
pub struct Rule {
    pub code: &'static str,
    pub valid: &'static str,
    pub invalid: &'static str,
    pub mutate: fn(&mut Value),
}

pub fn rules() -> Vec<Rule> {
    vec![
        Rule {
            code: "strata::flink::name",
            valid: "",
            invalid: "NAME:j-0123456789-0123456789-0123456789-0123456789a",
            mutate: |o| o["metadata"]["name"] = json!("j-0123456789-0123456789-0123456789-0123456789a"),
        },
        Rule {
            code: "strata::flink::version",
            valid: "",
            invalid: "VERSION:1.14",
            mutate: |o| o["spec"]["flinkVersion"] = json!("v1_14"),
        },
        Rule {
            code: "strata::flink::parallelism",
            valid: "",
            invalid: "PARALLELISM:0",
            mutate: |o| o["spec"]["job"]["parallelism"] = json!(0),
        },
        Rule {
            code: "strata::flink::replicas",
            valid: "",
            invalid: "TM:    taskmanager size=\"s\" replicas=0",
            mutate: |o| o["spec"]["taskManager"]["replicas"] = json!(0),
        },
        Rule {
            code: "strata::flink::replicas",
            valid: "",
            invalid: "JM:    jobmanager size=\"s\" replicas=0",
            mutate: |o| o["spec"]["jobManager"]["replicas"] = json!(0),
        },
        Rule {
            code: "strata::flink::ha-required",
            valid: "",
            invalid: "JM:    jobmanager size=\"s\" replicas=2",
            mutate: |o| o["spec"]["jobManager"]["replicas"] = json!(2),
        },
        Rule {
            code: "strata::flink::memory",
            valid: "",
            invalid: "JM:    jobmanager cpu=1",
            mutate: |o| {
                o["spec"]["jobManager"]["resource"].as_object_mut().unwrap().remove("memory");
            },
        },
        Rule {
            code: "strata::flink::resources",
            valid: "",
            invalid: "JM:    jobmanager cpu=0 memory=\"2Gi\"",
            mutate: |o| o["spec"]["jobManager"]["resource"]["cpu"] = json!(0),
        },
        Rule {
            code: "strata::flink::checkpoint-dir",
            valid: "    checkpoints every=\"30s\" dir=\"s3://b/cp\" savepoint-dir=\"s3://b/sp\" upgrade=\"savepoint\"",
            invalid: "    checkpoints every=\"30s\" savepoint-dir=\"s3://b/sp\" upgrade=\"savepoint\"",
            mutate: |o| remove_config(o, "state.checkpoints.dir"),
        },
        Rule {
            code: "strata::flink::savepoint-dir",
            valid: "    checkpoints every=\"30s\" dir=\"s3://b/cp\" savepoint-dir=\"s3://b/sp\" upgrade=\"savepoint\"",
            invalid: "    checkpoints every=\"30s\" dir=\"s3://b/cp\" upgrade=\"savepoint\"",
            mutate: |o| remove_config(o, "state.savepoints.dir"),
        },
        Rule {
            code: "strata::flink::savepoint-dir",
            valid: "",
            invalid: "    config \"kubernetes.operator.periodic.savepoint.interval\" \"6h\"",
            mutate: |o| set_config(o, "kubernetes.operator.periodic.savepoint.interval", "6h"),
        },
        Rule {
            code: "strata::flink::savepoint-dir",
            valid: "",
            invalid: "    config \"kubernetes.operator.job.upgrade.last-state.max.allowed.checkpoint.age\" \"1h\"",
            mutate: |o| set_config(o, "kubernetes.operator.job.upgrade.last-state.max.allowed.checkpoint.age", "1h"),
        },
        Rule {
            code: "strata::flink::rollback-ha",
            valid: "",
            invalid: "    config \"kubernetes.operator.deployment.rollback.enabled\" #true",
            mutate: |o| set_config(o, "kubernetes.operator.deployment.rollback.enabled", "true"),
        },
        Rule {
            code: "strata::flink::health-check-recovery",
            valid: "    config \"kubernetes.operator.cluster.health-check.enabled\" #true",
            invalid: "    config \"kubernetes.operator.cluster.health-check.enabled\" #true\n    config \"kubernetes.operator.jm-deployment-recovery.enabled\" #false",
            mutate: |o| set_config(o, "kubernetes.operator.jm-deployment-recovery.enabled", "false"),
        },
        Rule {
            code: "strata::flink::forbidden-config",
            valid: "",
            invalid: "    config \"kubernetes.cluster-id\" \"other\"",
            mutate: |o| set_config(o, "kubernetes.cluster-id", "other"),
        },
        Rule {
            code: "strata::flink::autoscaler",
            valid: "    config \"job.autoscaler.enabled\" #true",
            invalid: "    config \"job.autoscaler.enabled\" #true\n    config \"job.autoscaler.utilization.target\" 1.5",
            mutate: |o| set_config(o, "job.autoscaler.utilization.target", "1.5"),
        },
        // `target.utilization` is the key 1.7.0 reads (1.15 reads it as a deprecated name of
        // `utilization.target`).
        Rule {
            code: "strata::flink::autoscaler",
            valid: "    config \"job.autoscaler.enabled\" #true",
            invalid: "    config \"job.autoscaler.enabled\" #true\n    config \"job.autoscaler.target.utilization\" \"-0.5\"",
            mutate: |o| set_config(o, "job.autoscaler.target.utilization", "-0.5"),
        },
        Rule {
            code: "strata::flink::autoscaler",
            valid: "    config \"job.autoscaler.enabled\" #true",
            invalid: "    config \"job.autoscaler.enabled\" #true\n    config \"job.autoscaler.scale-down.max-factor\" \"-1\"",
            mutate: |o| set_config(o, "job.autoscaler.scale-down.max-factor", "-1"),
        },
        Rule {
            code: "strata::flink::autoscaler",
            valid: "    config \"job.autoscaler.enabled\" #true",
            invalid: "    config \"job.autoscaler.enabled\" #true\n    config \"job.autoscaler.scale-up.max-factor\" \"high\"",
            mutate: |o| set_config(o, "job.autoscaler.scale-up.max-factor", "high"),
        },
        Rule {
            code: "strata::flink::autoscaler",
            valid: "    config \"job.autoscaler.enabled\" #true",
            invalid: "    config \"job.autoscaler.enabled\" #true\n    config \"job.autoscaler.utilization.min\" 0.9",
            mutate: |o| set_config(o, "job.autoscaler.utilization.min", "0.9"),
        },
        Rule {
            code: "strata::flink::slots",
            valid: "",
            invalid: "TM:    taskmanager size=\"s\" slots=0",
            mutate: |o| set_config(o, "taskmanager.numberOfTaskSlots", "0"),
        },
        Rule {
            code: "strata::flink::jar",
            valid: "",
            invalid: "JAR:",
            mutate: |o| o["spec"]["job"]["jarURI"] = json!(""),
        },
        Rule { code: "strata::flink::image", valid: "", invalid: "IMAGE:", mutate: |o| o["spec"]["image"] = json!("") },
    ]
}

/// A minimal Flink 1.19 job, with `body` added; `NAME:`/`VERSION:`/`PARALLELISM:`/`JM:`/`TM:`/`JAR:`/
/// `IMAGE:` bodies replace that part of the job instead.
pub fn job_spec(body: &str) -> String {
    let (mut name, mut version, mut parallelism) = ("j", "1.19", "1");
    let (mut jm, mut tm, mut extra) = ("    jobmanager size=\"s\"", "    taskmanager size=\"s\"", body);
    let (mut jar, mut image) = ("local:///j.jar", "flink:1.19.3");
    if let Some((tag, v)) = body.split_once(':').filter(|(t, _)| t.chars().all(|c| c.is_ascii_uppercase())) {
        extra = "";
        match tag {
            "NAME" => name = v,
            "VERSION" => version = v,
            "PARALLELISM" => parallelism = v,
            "JM" => jm = v,
            "TM" => tm = v,
            "JAR" => jar = v,
            "IMAGE" => image = v,
            _ => panic!("unknown tag {tag}"),
        }
    }
    format!(
        "platform \"probe\"\ntenant \"t\"\nflink-job \"{name}\" tenant=\"t\" {{\n    image \"{image}\"\n    jar \"{jar}\" version=\"{version}\"\n    parallelism {parallelism}\n{jm}\n{tm}\n{extra}\n}}\n"
    )
}

pub fn strata_errors(spec: &str) -> Vec<String> {
    let fs = MemFs::new().with("/probe/platform.kdl", spec.to_string());
    let c = strata::check(&fs, Path::new("/probe/platform.kdl"));
    c.diagnostics.iter().filter(|d| d.is_error()).map(|d| format!("{}: {}", d.code, d.message)).collect()
}

pub fn compiled(spec: &str) -> Value {
    let fs = MemFs::new().with("/probe/platform.kdl", spec.to_string());
    let c = strata::compile(&fs, Path::new("/probe/platform.kdl"));
    let set = c.manifests.unwrap_or_else(|| panic!("does not compile:\n{spec}"));
    flink_deployments(set.items.into_iter().map(|m| m.object).collect()).pop().expect("one FlinkDeployment")
}

/// Rules (code, and the violation's config or field) where strata and the operator 1.7.0's validators
/// differ on purpose, and why. Anything else that differs fails the test.
pub const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "strata::flink::resources",
        "JM:    jobmanager cpu=0 memory=\"2Gi\"",
        "the operator parses memory and ephemeral storage only; a zero CPU request is refused by strata",
    ),
    (
        "strata::flink::autoscaler",
        "    config \"job.autoscaler.enabled\" #true\n    config \"job.autoscaler.utilization.min\" 0.9",
        "utilization.min/max and coefficient-min are bounded since the autoscaler's AutoscalerValidator (operator 1.8+); 1.7.0 checks only scale-down, scale-up, target and boundary",
    ),
    (
        "strata::flink::autoscaler",
        "    config \"job.autoscaler.enabled\" #true\n    config \"job.autoscaler.utilization.target\" 1.5",
        "operator 1.15 (AutoscalerValidator) bounds the target to [0, 1] and reads `utilization.target`; 1.7.0 reads only `target.utilization` and bounds it below",
    ),
    (
        "strata::flink::slots",
        "TM:    taskmanager size=\"s\" slots=0",
        "the validator does not check slots (the live operator refuses them at deployment, tests/flink_live.rs)",
    ),
    (
        "strata::flink::jar",
        "JAR:",
        "the validator does not check the jar URI (the live operator refuses it at deployment, tests/flink_live.rs)",
    ),
    ("strata::flink::image", "IMAGE:", "the operator does not check the image; the pods fail to pull"),
];

/// The Flink operator running against the test cluster (`scripts/tools/flink-oracle serve`), watching
/// the namespaces it was started with. Dropping it closes the script's stdin and waits for its teardown
/// (the operator stopped by pid, its finalizers released), so a test never leaves it running, pass or fail.
pub struct Operator {
    /// The script's stderr, an unlinked file read back for failure messages.
    log: std::fs::File,
    /// The script's run folder, with the operator's log.
    dir: PathBuf,
    child: Child,
}

impl Operator {
    // The script is waited for in `Drop` once it is ready; clippy sees only the paths that return early.
    #[allow(clippy::zombie_processes)]
    pub fn start(test: &str, kc: &Path, namespaces: &[&str]) -> Option<Operator> {
        let path = std::env::temp_dir().join(format!("strata-flink-operator-{}-{test}.log", std::process::id()));
        let stderr = std::fs::File::create(&path).expect("operator log");
        let log = std::fs::File::open(&path).expect("operator log");
        let _ = std::fs::remove_file(&path);
        let mut child = Command::new(repo().join("scripts/tools/flink-oracle"))
            .arg("serve")
            .arg(kc)
            .args(namespaces)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("scripts/tools/flink-oracle runs");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        loop {
            line.clear();
            let n = lines.read_line(&mut line).expect("read the operator's stdout");
            if n == 0 {
                let status = child.wait().expect("wait");
                let text = super::read_all(&log);
                if status.code() == Some(3) && !ci() {
                    eprintln!("SKIPPED {test}: the Flink operator cannot run here:\n{text}");
                    return None;
                }
                panic!("scripts/tools/flink-oracle serve failed ({status}):\n{text}");
            }
            if let Some(rest) = line.trim().strip_prefix("READY ") {
                let dir = rest.split_whitespace().find_map(|f| f.strip_prefix("dir=")).unwrap_or("");
                return Some(Operator { log, dir: PathBuf::from(dir), child });
            }
        }
    }

    /// The last lines of the script's and the operator's logs, for failure messages.
    pub fn log_tail(&self) -> String {
        let tail = |text: &str| {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(40)..].join("\n")
        };
        let operator = std::fs::read_to_string(self.dir.join("operator.log")).unwrap_or_default();
        format!("{}\n\noperator.log:\n{}", tail(&super::read_all(&self.log)), tail(&operator))
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        super::stop_after_stdin_closed(&mut self.child, "scripts/tools/flink-oracle");
    }
}
