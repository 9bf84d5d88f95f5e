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
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{Value, json};
use support::flink::*;
use support::{repo, valid_cases};

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
