//! Golden tests for `strata diff`: every folder under `golden-diff/` holds two revisions of a platform and
//! the expected output in each format (`expected.txt` unified, `expected.md`, `expected.json`,
//! `expected.stat`; a `formats` file may limit which). Run with `STRATA_BLESS=1` to rewrite the
//! expectations, then review them as a diff.
//!
//! A revision is either a spec (`base/platform.kdl` plus what it includes) or compiled manifests
//! (`base.json`, as `strata compile --format json` prints them), which pin a rule to the exact operator
//! fields it reads, independent of how today's emitters fill them. `demands.json`
//! (`{"base": [...], "head": [...]}`) adds workload demands to a side, for manifest cases (which have no
//! model to take demands from) and for quota corner cases.
//!
//! Each case is its own test, so a failure names it; a new folder must be listed in [`golden_diff!`] (a
//! test fails until it is).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use strata::diff::render::{Format, render};
use strata::diff::{Side, compare};
use strata::manifest::{ANNOTATION_SOURCE, LABEL_TENANT, ManifestSet, Placement, Stage};
use strata::model::demand::{Demand, PodDemand};
use strata::source::{FileId, Span};
use strata::units::{Bytes, Cpu};

const FORMATS: [(&str, Format); 4] = [
    ("expected.txt", Format::Unified),
    ("expected.md", Format::Markdown),
    ("expected.json", Format::Json),
    ("expected.stat", Format::Stat),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("golden-diff")
}

/// One `#[test]` per case, and [`CASES`] listing them all.
macro_rules! golden_diff {
    ($($test:ident => $dir:literal,)*) => {
        const CASES: &[&str] = &[$($dir),*];
        $(
            #[test]
            fn $test() {
                check_case($dir);
            }
        )*
    };
}

golden_diff! {
    batch_jobs => "batch-jobs",
    stream_apps => "stream-apps",
    airflow_workers => "airflow-workers",
    bundled_platform => "bundled-platform",
    cost_budget_overrun => "cost-budget-overrun",
    cost_delta => "cost-delta",
    external_secrets => "external-secrets",
    flink_jobs => "flink-jobs",
    hand_edited_revision => "hand-edited-revision",
    kafka_topics => "kafka-topics",
    monitoring => "monitoring",
    no_changes => "no-changes",
    promotion_partition_decrease => "promotion-partition-decrease",
    quota_below_demand => "quota-below-demand",
    autoscaling => "autoscaling",
    spark_jobs => "spark-jobs",
    tenant_moved => "tenant-moved",
    tenant_removed => "tenant-removed",
    tenants_changes => "tenants-changes",
}

/// Manifests from `compile --format json` output, with tenant and origin read back from the labels and
/// annotations strata stamps.
fn manifests_from_json(path: &Path) -> ManifestSet {
    let text = std::fs::read_to_string(path).expect("read manifests");
    let list: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut set = ManifestSet::default();
    for item in list["items"].as_array().expect("a v1/List").iter().cloned() {
        let meta = &item["metadata"];
        let tenant = meta["labels"][LABEL_TENANT].as_str().map(str::to_string);
        let origin = meta["annotations"][ANNOTATION_SOURCE].as_str().unwrap_or_default().to_string();
        // Only the order of the output depends on the stage; the emitters' choice, by API group.
        let group = item["apiVersion"].as_str().and_then(|v| v.rsplit_once('/')).map_or("", |(g, _)| g);
        let stage = match (group, item["kind"].as_str()) {
            (_, Some("Namespace" | "PriorityClass")) => Stage::Cluster,
            ("" | "rbac.authorization.k8s.io" | "networking.k8s.io" | "policy", _) => Stage::Tenancy,
            _ => Stage::Workloads,
        };
        set.add_value(item, Placement { stage, tenant, span: Span::new(FileId(0), 0, 0) });
        set.items.last_mut().expect("just added").origin = origin;
    }
    set
}

/// `{"tenant", "workload", "group"?, "pods": [{"role", "count", "cpu", "cpu_limit", "memory",
/// "memory_limit"}], "objects": {"<resource>": n}}`
fn demands(case: &Path, side: &str) -> Vec<Demand> {
    let Ok(text) = std::fs::read_to_string(case.join("demands.json")) else { return Vec::new() };
    let all: Value = serde_json::from_str(&text).expect("demands.json is JSON");
    let s = |v: &Value, k: &str| v[k].as_str().unwrap_or_else(|| panic!("demand field `{k}`")).to_string();
    all[side]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| Demand {
            tenant: s(d, "tenant"),
            workload: s(d, "workload"),
            // Hand-written demands have no place in the spec; a span in no file shows none.
            span: Span::new(FileId(u32::MAX), 0, 0),
            exclusive_group: d["group"].as_str().map(str::to_string),
            pods: d["pods"]
                .as_array()
                .expect("pods")
                .iter()
                .map(|p| PodDemand {
                    role: s(p, "role"),
                    count: p["count"].as_u64().expect("count"),
                    cpu_request: Cpu::parse(&s(p, "cpu")).expect("cpu"),
                    cpu_limit: Cpu::parse(&s(p, "cpu_limit")).expect("cpu_limit"),
                    memory_request: Bytes::parse(&s(p, "memory")).expect("memory"),
                    memory_limit: Bytes::parse(&s(p, "memory_limit")).expect("memory_limit"),
                    gpus: p["gpus"].as_u64().unwrap_or(0),
                    spot: p["spot"].as_bool().unwrap_or(false),
                })
                .collect(),
            objects: d["objects"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.as_u64().expect("object count")))
                .collect(),
            admission: Vec::new(),
            run: Default::default(),
        })
        .collect()
}

fn side<'a>(case: &Path, name: &str, c: &'a Option<strata::Compilation>, m: &'a Option<ManifestSet>) -> Side<'a> {
    let mut s = match (c, m) {
        (Some(c), _) => Side::of(name, c).expect("compiled"),
        (None, Some(m)) => Side::new(name, m),
        (None, None) => panic!("{}: no {name} revision", case.display()),
    };
    s.demands.extend(demands(case, name));
    s
}

/// A promotion case (`promote` holds `FROM TO`, `spec/` the one spec): the base side is environment TO, the
/// head is FROM's configuration in TO's place, as `strata diff --env TO --from-env FROM` compares them.
/// Its `expected.exit` is the exit code the diff gives.
fn run_promotion(case: &Path, promote: &str) -> Vec<(&'static str, String)> {
    let mut words = promote.split_whitespace();
    let (Some(from), Some(to)) = (words.next(), words.next()) else {
        panic!("{}: promote holds `FROM TO`", case.display())
    };
    let spec = case.join("spec").join("platform.kdl");
    let fs = strata::lang::DiskFs;
    let base = strata::compile_env(&fs, &spec, Some(to), strata::Stage::CompileForDiff);
    let head = strata::compile_promoted(&fs, &spec, from, to);
    for (side, c) in [("base", &base), ("head", &head)] {
        assert!(c.valid(), "{}: the {side} side does not compile: {:?}", case.display(), c.diagnostics);
    }
    let (b, h) = (
        Side::of(to, &base).expect("compiled"),
        Side::of(format!("{from} promoted to {to}"), &head).expect("compiled"),
    );
    let d = compare(&b, &h);
    let mut out: Vec<(&'static str, String)> = FORMATS.iter().map(|(file, f)| (*file, render(&d, *f, false))).collect();
    out.push(("expected.exit", format!("{}\n", d.exit_code())));
    out
}

/// Renders every format of one case.
fn run_case(case: &Path) -> Vec<(&'static str, String)> {
    if let Ok(promote) = std::fs::read_to_string(case.join("promote")) {
        return run_promotion(case, &promote);
    }
    let spec = |side: &str| case.join(side).join("platform.kdl");
    let compiled = |side: &str| {
        let p = spec(side);
        p.is_file().then(|| {
            // As `strata diff` compiles: a revision over a budget still compiles.
            let c = strata::compile_for_diff(&strata::lang::DiskFs, &p);
            assert!(c.valid(), "{}: the {side} spec does not compile: {:?}", case.display(), c.diagnostics);
            c
        })
    };
    let (base_c, head_c) = (compiled("base"), compiled("head"));
    let (base_m, head_m) = (
        base_c.is_none().then(|| manifests_from_json(&case.join("base.json"))),
        head_c.is_none().then(|| manifests_from_json(&case.join("head.json"))),
    );
    let (b, h) = (side(case, "base", &base_c, &base_m), side(case, "head", &head_c, &head_m));
    let d = compare(&b, &h);
    let only: Option<String> = std::fs::read_to_string(case.join("formats")).ok();
    FORMATS
        .iter()
        .filter(|(file, _)| only.as_deref().is_none_or(|o| o.split_whitespace().any(|f| f == *file)))
        .map(|(file, f)| (*file, render(&d, *f, false)))
        .collect()
}

/// Compares every format of one case with its expectation (or rewrites them under `STRATA_BLESS`).
fn check_case(name: &str) {
    let case = root().join(name);
    let bless = std::env::var_os("STRATA_BLESS").is_some();
    let mut failures = Vec::new();
    for (file, actual) in run_case(&case) {
        let path = case.join(file);
        if bless {
            std::fs::write(&path, &actual).expect("write golden");
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if expected != actual {
            let diff = similar::TextDiff::from_lines(&expected, &actual)
                .unified_diff()
                .context_radius(3)
                .header("expected", "actual")
                .to_string();
            failures.push(format!("{}: output differs\n{diff}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "diff golden case {name} differs (STRATA_BLESS=1 to accept):\n\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_case_is_listed() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(root())
        .expect("golden-diff/ exists")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = CASES.iter().map(|c| c.to_string()).collect();
    let unlisted: Vec<&String> = on_disk.difference(&listed).collect();
    let missing: Vec<&String> = listed.difference(&on_disk).collect();
    assert!(
        unlisted.is_empty(),
        "diff golden cases not listed in `golden_diff!` in tests/diff_golden.rs: {unlisted:?}"
    );
    assert!(missing.is_empty(), "listed diff golden cases with no golden-diff/<case>/: {missing:?}");
}

#[test]
fn every_safety_rule_has_a_golden_case() {
    let mut seen = String::new();
    for case in CASES {
        if let Ok(t) = std::fs::read_to_string(root().join(case).join("expected.json")) {
            seen.push_str(&t);
        }
    }
    for code in [
        "strata::diff::tenant-removed",
        "strata::diff::quota-below-demand",
        "strata::diff::near-quota",
        "strata::diff::topic-partitions-decreased",
        "strata::diff::topic-removed",
        "strata::diff::topic-renamed",
        "strata::diff::topic-replicas-changed",
        "strata::diff::topic-cleanup-policy-changed",
        "strata::diff::topic-retention-reduced",
        "strata::diff::flink-stateless-upgrade",
        "strata::diff::flink-upgrade-mode-changed",
        "strata::diff::schedule-changed",
        "strata::diff::unreadable-object",
        "strata::diff::budget-exceeded",
    ] {
        assert!(seen.contains(&format!("\"{code}\"")), "no golden case reports {code}");
    }
}
