//! The Flink Kubernetes Operator's own code as the judge of strata's FlinkDeployments: the operator's
//! validators (`oracles/flink`, run by `scripts/tools/flink-oracle`: every validator
//! `ValidatorUtils.discoverValidators` builds, and the reconciler's supported-version check) receive
//!
//! - every FlinkDeployment of the bundled platform and of the valid golden cases;
//! - objects strata would never emit, which the operator must refuse (so these tests can fail);
//! - for every Flink rule strata checks, a valid job and the same job's emitted object mutated the way
//!   the rule's violation would write it: strata must refuse the violating spec and accept the valid one,
//!   and so must the operator, unless the rule is in `KNOWN_DIFFERENCES` with its reason.
//!
//! The operator is 1.7.0, not the 1.15.0 strata targets: Maven Central publishes its jar only up to 1.7.0.
//! 1.7.0 knows Flink up to 1.19 and reads Flink 1.17's option names, so objects for a newer Flink are
//! judged as the same job on Flink 1.19 (`as_operator_1_7_reads_it`): Flink 1.20 still reads those names.
//!
//! The oracle needs java and mvn. Under `CI=true` their absence, or any failure of the oracle, fails the
//! tests; elsewhere a missing java/mvn prints `SKIPPED` and the tests return.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{Value, json};
use strata::lang::MemFs;
use support::{repo, valid_cases};

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn flink_deployments(objects: Vec<Value>) -> Vec<Value> {
    objects.into_iter().filter(|o| o["kind"] == "FlinkDeployment").collect()
}

fn emitted_flink(spec: &Path) -> Vec<Value> {
    let c = strata::compile_path(spec);
    let set = c.manifests.unwrap_or_else(|| panic!("{} does not compile", spec.display()));
    flink_deployments(set.items.into_iter().map(|m| m.object).collect())
}

/// The newest Flink the oracle's operator (1.7.0, `FlinkVersion`) knows.
const NEWEST_KNOWN: (u32, u32) = (1, 19);

/// The object as operator 1.7.0 can read it: a job for a Flink newer than it knows is judged as the same
/// job on Flink 1.19, with the checkpoint and savepoint directories under the names Flink 1.17 reads
/// (`state.checkpoints.dir`, `state.savepoints.dir`; Flink 1.20 renamed them and still reads the old
/// names). Nothing else changes, so every other rule is judged on strata's own output.
fn as_operator_1_7_reads_it(mut o: Value) -> Value {
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

fn set_config(o: &mut Value, key: &str, value: &str) {
    o["spec"]["flinkConfiguration"][key] = json!(value);
}

fn remove_config(o: &mut Value, key: &str) {
    let removed = o["spec"]["flinkConfiguration"].as_object_mut().and_then(|c| c.remove(key));
    assert!(removed.is_some(), "the valid variant has no `{key}` to remove: {o}");
}

/// One rule of the differential: `valid` and `invalid` are flink-job bodies (added to a minimal Flink
/// 1.19 job, a version the oracle knows as it is); `mutate` writes the violation into the object strata
/// emits for `valid`.
struct Rule {
    code: &'static str,
    valid: &'static str,
    invalid: &'static str,
    mutate: fn(&mut Value),
}

fn rules() -> Vec<Rule> {
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
fn job_spec(body: &str) -> String {
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

fn strata_errors(spec: &str) -> Vec<String> {
    let fs = MemFs::new().with("/probe/platform.kdl", spec.to_string());
    let c = strata::check(&fs, Path::new("/probe/platform.kdl"));
    c.diagnostics.iter().filter(|d| d.is_error()).map(|d| format!("{}: {}", d.code, d.message)).collect()
}

fn compiled(spec: &str) -> Value {
    let fs = MemFs::new().with("/probe/platform.kdl", spec.to_string());
    let c = strata::compile(&fs, Path::new("/probe/platform.kdl"));
    let set = c.manifests.unwrap_or_else(|| panic!("does not compile:\n{spec}"));
    flink_deployments(set.items.into_iter().map(|m| m.object).collect()).pop().expect("one FlinkDeployment")
}

/// Objects strata would never emit, each refused by the operator for a reason no strata rule covers
/// directly: they prove the oracle judges.
fn broken() -> Vec<Value> {
    let base = || compiled(&job_spec(""));
    let mut log = base();
    log["metadata"]["name"] = json!("broken-log-config");
    log["spec"]["logConfiguration"] = json!({"log4j.properties": "rootLogger.level = INFO"});
    let mut sa = base();
    sa["metadata"]["name"] = json!("broken-service-account");
    sa["spec"].as_object_mut().unwrap().remove("serviceAccount");
    let mut mem = base();
    mem["metadata"]["name"] = json!("broken-memory");
    mem["spec"]["taskManager"]["resource"]["memory"] = json!("lots");
    [log, sa, mem]
        .into_iter()
        .map(|mut o| {
            o["metadata"]["namespace"] = json!("broken");
            o
        })
        .collect()
}

struct Run {
    emitted: Vec<(String, Value)>,
    verdicts: BTreeMap<String, Value>,
}

fn key(o: &Value) -> String {
    format!("{}/{}", o["metadata"]["namespace"].as_str().unwrap_or_default(), o["metadata"]["name"].as_str().unwrap())
}

/// The differential's objects: for rule `i`, `rule-<i>-valid/…` and `rule-<i>-broken/…`.
fn rule_objects() -> Vec<Value> {
    let mut out = Vec::new();
    for (i, r) in rules().iter().enumerate() {
        let mut valid = compiled(&job_spec(r.valid));
        valid["metadata"]["namespace"] = json!(format!("rule-{i}-valid"));
        let mut broken = valid.clone();
        broken["metadata"]["namespace"] = json!(format!("rule-{i}-broken"));
        (r.mutate)(&mut broken);
        out.extend([valid, broken]);
    }
    out
}

/// Runs the oracle once for every test in this file (a JVM loading the operator takes seconds).
fn run() -> Option<&'static Run> {
    static RUN: OnceLock<Option<Run>> = OnceLock::new();
    RUN.get_or_init(|| {
        let have = |tool: &str, arg: &str| Command::new(tool).arg(arg).output().is_ok_and(|o| o.status.success());
        if !have("java", "-version") || !have("mvn", "-v") {
            assert!(!ci(), "java and mvn are needed for the Flink operator oracle (CI=true: this test must run)");
            eprintln!("SKIPPED flink_operator: java or mvn not found; the Flink operator oracle needs both");
            return None;
        }
        let mut emitted = Vec::new();
        for (i, (case, spec)) in valid_cases().into_iter().enumerate() {
            for mut o in emitted_flink(&spec) {
                o["metadata"]["namespace"] = json!(format!("case-{i}"));
                let what = format!("{case}: FlinkDeployment/{}", o["metadata"]["name"].as_str().unwrap());
                emitted.push((what, as_operator_1_7_reads_it(o)));
            }
        }
        let mut objects: Vec<Value> = emitted.iter().map(|(_, o)| o.clone()).collect();
        objects.extend(broken());
        objects.extend(rule_objects());

        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("objects.json");
        std::fs::write(&input, serde_json::to_vec(&objects).unwrap()).unwrap();
        let out = Command::new(repo().join("scripts/tools/flink-oracle"))
            .arg(&input)
            .output()
            .expect("scripts/tools/flink-oracle runs");
        assert!(
            out.status.success(),
            "the Flink operator oracle failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let answers: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("the oracle's answer is not JSON ({e}):\n{}", String::from_utf8_lossy(&out.stdout))
        });
        assert_eq!(answers.len(), objects.len(), "one verdict per object");
        let verdicts = answers
            .into_iter()
            .map(|v| (format!("{}/{}", v["namespace"].as_str().unwrap(), v["name"].as_str().unwrap()), v))
            .collect();
        Some(Run { emitted, verdicts })
    })
    .as_ref()
}

fn verdict<'a>(run: &'a Run, object: &Value) -> &'a Value {
    let k = key(object);
    run.verdicts.get(&k).unwrap_or_else(|| panic!("the oracle gave no verdict for {k}"))
}

/// The operator's refusal, if it refused. An object the operator's classes cannot even read is a
/// failure of the test, not a refusal: it would hide which rule judged it.
fn refusal(v: &Value) -> Option<String> {
    let error = (v["ok"] != true).then(|| v["error"].as_str().unwrap_or("no error text").to_string());
    if let Some(e) = &error {
        assert!(!e.starts_with("the operator cannot read this object"), "{}/{}: {e}", v["namespace"], v["name"]);
    }
    error
}

#[test]
fn operator_accepts_every_flink_deployment_strata_emits() {
    let Some(run) = run() else { return };
    assert!(run.emitted.len() >= 8, "too few FlinkDeployments to judge: {}", run.emitted.len());
    let refused: Vec<String> =
        run.emitted.iter().filter_map(|(what, o)| refusal(verdict(run, o)).map(|e| format!("{what}: {e}"))).collect();
    assert!(refused.is_empty(), "the operator refused {} of strata's objects:\n{}", refused.len(), refused.join("\n"));
}

#[test]
fn operator_refuses_the_deliberately_broken_objects() {
    let Some(run) = run() else { return };
    for o in broken() {
        let v = verdict(run, &o);
        assert!(refusal(v).is_some(), "the operator accepted {}, which it must refuse: {v}", key(&o));
    }
}

/// Rules (code, and the violation's config or field) where strata and the operator 1.7.0 differ on
/// purpose, and why. Anything else that differs fails the test.
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
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
        "the operator does not check slots; Flink's TaskManager fails to start with 0",
    ),
    ("strata::flink::jar", "JAR:", "the operator does not check the jar URI; the job fails at submission"),
    ("strata::flink::image", "IMAGE:", "the operator does not check the image; the pods fail to pull"),
];

#[test]
fn flink_rules_agree_with_the_operator() {
    let Some(run) = run() else { return };
    let mut disagreements = Vec::new();
    for (i, r) in rules().iter().enumerate() {
        let valid_errors = strata_errors(&job_spec(r.valid));
        assert!(valid_errors.is_empty(), "{}: strata refuses the valid variant: {valid_errors:?}", r.code);
        let ok_key = format!("rule-{i}-valid/");
        let valid_verdict = run.verdicts.iter().find(|(k, _)| k.starts_with(&ok_key)).map(|(_, v)| v).unwrap();
        assert!(
            refusal(valid_verdict).is_none(),
            "{}: the operator refuses the valid variant: {valid_verdict}",
            r.code
        );

        let errors = strata_errors(&job_spec(r.invalid));
        if !errors.iter().any(|e| e.starts_with(&format!("{}:", r.code))) {
            disagreements.push(format!("{} ({:?}): strata does not refuse it: {errors:?}", r.code, r.invalid));
            continue;
        }
        let bad_key = format!("rule-{i}-broken/");
        let bad = run.verdicts.iter().find(|(k, _)| k.starts_with(&bad_key)).map(|(_, v)| v).unwrap();
        let known = KNOWN_DIFFERENCES.iter().any(|(c, v, _)| *c == r.code && *v == r.invalid);
        let refused = refusal(bad);
        eprintln!("{} ({:?}): operator: {}", r.code, r.invalid, refused.as_deref().unwrap_or("accepts"));
        match (refused, known) {
            (Some(_), false) | (None, true) => {}
            (None, false) => disagreements.push(format!("{} ({:?}): strata refuses, the operator accepts", r.code, r.invalid)),
            (Some(e), true) => disagreements.push(format!("{} ({:?}): listed as a known difference, but the operator refuses it too ({e}): remove it from the list", r.code, r.invalid)),
        }
    }
    assert!(disagreements.is_empty(), "strata's Flink rules and the operator disagree:\n{}", disagreements.join("\n"));
}
