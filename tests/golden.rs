//! Golden tests: every folder under `golden/` is a spec (`platform.kdl` plus any files it includes) with
//! its expected output: `expected.yaml` (the compiled manifests) and/or `expected.txt` (the diagnostics,
//! as `strata check --explain` prints them without colour). A valid case with no diagnostics has no
//! `expected.txt`. Run with `STRATA_BLESS=1` to rewrite the expectations, then review them as a diff.
//!
//! Each case is its own test, so a failure names it; a new folder must be listed in [`golden!`] (a test
//! fails until it is).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use strata::diagnostic::Renderer;
use strata::manifest::Manifest;
use strata::render::{Layout, OutputFormat, Rendering, file_path, render_one, render_set};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("golden")
}

/// One `#[test]` per case, and [`CASES`] listing them all.
macro_rules! golden {
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

golden! {
    cost_spot => "cost-spot",
    environments_basic => "environments-basic",
    environments_invalid => "environments-invalid",
    cost_center => "cost-center",
    admission => "admission",
    admission_invalid => "admission-invalid",
    airflow_basic => "airflow-basic",
    airflow_invalid => "airflow-invalid",
    external_secrets_basic => "external-secrets-basic",
    external_secrets_invalid => "external-secrets-invalid",
    flink_autoscale => "flink-autoscale",
    flink_autoscale_invalid => "flink-autoscale-invalid",
    app_basic => "app-basic",
    app_idle_consumers => "app-idle-consumers",
    app_invalid => "app-invalid",
    app_quota_fit => "app-quota-fit",
    cost_budget => "cost-budget",
    cost_budget_invalid => "cost-budget-invalid",
    flink_basic => "flink-basic",
    flink_invalid => "flink-invalid",
    flink_operator => "flink-operator",
    flink_operator_invalid => "flink-operator-invalid",
    invalid_duplicate_tenant => "invalid-duplicate-tenant",
    invalid_include_cycle => "invalid-include-cycle",
    invalid_include_outside => "invalid-include-outside",
    invalid_labels => "invalid-labels",
    invalid_names => "invalid-names",
    invalid_pod_security => "invalid-pod-security",
    invalid_secrets => "invalid-secrets",
    invalid_syntax => "invalid-syntax",
    invalid_units => "invalid-units",
    invalid_unknown_names => "invalid-unknown-names",
    job_basic => "job-basic",
    job_invalid => "job-invalid",
    kafka_basic => "kafka-basic",
    kafka_invalid_clusters => "kafka-invalid-clusters",
    kafka_invalid_no_cluster => "kafka-invalid-no-cluster",
    kafka_invalid_topics => "kafka-invalid-topics",
    kafka_invalid_users => "kafka-invalid-users",
    minimal => "minimal",
    monitoring_basic => "monitoring-basic",
    monitoring_invalid => "monitoring-invalid",
    network_basic => "network-basic",
    network_invalid => "network-invalid",
    presets_override => "presets-override",
    quota_fit => "quota-fit",
    quota_near => "quota-near",
    readme => "readme",
    spark_batch => "spark-batch",
    spark_dynamic_allocation => "spark-dynamic-allocation",
    spark_invalid_conf => "spark-invalid-conf",
    spark_invalid_main => "spark-invalid-main",
    spark_invalid_names => "spark-invalid-names",
    spark_invalid_schedule => "spark-invalid-schedule",
    spark_invalid_sizing => "spark-invalid-sizing",
    spark_scheduled => "spark-scheduled",
    tenants_basic => "tenants-basic",
}

/// Compiles one case and returns (manifests as YAML if it compiled, diagnostics text). A spec with
/// environments is compiled as each of them (as `strata check` does): the YAML holds every environment
/// that compiled, each after a `# environment: NAME` line.
pub fn run_case(dir: &Path) -> (Option<String>, String) {
    let all = strata::compile_all(&strata::lang::DiskFs, &dir.join("platform.kdl"), strata::Stage::Compile);
    let mut yaml: Option<String> = None;
    let mut diags = String::new();
    let mut seen = Vec::new();
    for c in all {
        let fresh = c.diagnostics.unseen(&mut seen);
        if !fresh.is_empty() {
            diags.push_str(&Renderer::plain(&c.sources).human(&fresh));
        }
        if let Some(m) = &c.manifests {
            let text = render_set(m, OutputFormat::Yaml);
            let out = yaml.get_or_insert_with(String::new);
            match c.environment() {
                Some(env) => out.push_str(&format!("# environment: {env}\n{text}")),
                None => out.push_str(&text),
            }
        }
    }
    (yaml, diags)
}

fn compare(path: &Path, actual: Option<&str>, bless: bool, failures: &mut Vec<String>) {
    let expected = std::fs::read_to_string(path).ok();
    if bless {
        match actual {
            Some(a) if !a.is_empty() => std::fs::write(path, a).expect("write golden"),
            _ => {
                let _ = std::fs::remove_file(path);
            }
        }
        return;
    }
    let actual = actual.filter(|a| !a.is_empty());
    if expected.as_deref() == actual {
        return;
    }
    let (e, a) = (expected.as_deref().unwrap_or(""), actual.unwrap_or(""));
    let diff =
        similar::TextDiff::from_lines(e, a).unified_diff().context_radius(3).header("expected", "actual").to_string();
    failures.push(format!(
        "{}: {}\n{}",
        path.display(),
        match (expected.is_some(), actual.is_some()) {
            (true, false) => "expected output, got none",
            (false, true) => "no expectation file, but output was produced",
            _ => "output differs",
        },
        diff
    ));
}

/// Compares one case with its expectations (or rewrites them under `STRATA_BLESS`), and compiles it twice:
/// two compiles of one spec must be byte-identical.
fn check_case(name: &str) {
    let dir = root().join(name);
    let bless = std::env::var_os("STRATA_BLESS").is_some();
    let (yaml, diags) = run_case(&dir);
    let mut failures = Vec::new();
    compare(&dir.join("expected.yaml"), yaml.as_deref(), bless, &mut failures);
    compare(&dir.join("expected.txt"), Some(&diags), bless, &mut failures);
    assert!(failures.is_empty(), "golden case {name} differs (STRATA_BLESS=1 to accept):\n\n{}", failures.join("\n"));
    assert_eq!(run_case(&dir), (yaml, diags), "golden case {name} is not deterministic");
}

#[test]
fn every_case_is_listed() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(root())
        .expect("golden/ exists")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("platform.kdl").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = CASES.iter().map(|c| c.to_string()).collect();
    let unlisted: Vec<&String> = on_disk.difference(&listed).collect();
    let missing: Vec<&String> = listed.difference(&on_disk).collect();
    assert!(unlisted.is_empty(), "golden cases not listed in `golden!` in tests/golden.rs: {unlisted:?}");
    assert!(missing.is_empty(), "listed golden cases with no golden/<case>/platform.kdl: {missing:?}");
    let valid = CASES.iter().filter(|c| root().join(c).join("expected.yaml").is_file()).count();
    assert!(valid > 0 && valid < CASES.len(), "golden/ needs both valid ({valid}) and invalid cases");
}

/// `strata compile` renders each object as it is emitted (`Stage::Render`) instead of rendering the finished
/// set: for every case (valid or not) and environment, in both formats and both layouts, that gives the same
/// diagnostics, the same stream as `render_set` and the same files as `render_one`.
#[test]
fn rendering_while_emitting_writes_what_rendering_the_set_writes() {
    let mut specs = vec![("platform.kdl".to_string(), Path::new(env!("CARGO_MANIFEST_DIR")).join("platform.kdl"))];
    specs.extend(CASES.iter().map(|c| (format!("golden/{c}"), root().join(c).join("platform.kdl"))));
    let fs = &strata::lang::DiskFs;
    for (case, spec) in specs {
        let compiled = strata::compile_all(fs, &spec, strata::Stage::Compile);
        for format in [OutputFormat::Yaml, OutputFormat::Json] {
            for layout in [Layout::Stream, Layout::Files] {
                let rendering = Rendering { format, layout };
                let streamed = strata::compile_all(fs, &spec, strata::Stage::Render(rendering));
                assert_eq!(streamed.len(), compiled.len(), "{case}");
                for (s, c) in streamed.iter().zip(&compiled) {
                    let what = format!("{case} {:?} {rendering:?}", c.environment());
                    assert_eq!(format!("{:?}", s.diagnostics), format!("{:?}", c.diagnostics), "{what}");
                    assert_eq!(s.objects, c.objects, "{what}");
                    let (Some(set), Some(rendered)) = (&c.manifests, &s.rendered) else {
                        assert!(c.manifests.is_none() && s.rendered.is_none(), "{what}: one of them has output");
                        continue;
                    };
                    assert!(s.manifests.is_none(), "{what}: a rendering compile keeps no JSON trees");
                    assert_eq!(rendered.len(), set.len(), "{what}");
                    match layout {
                        Layout::Stream => {
                            assert_eq!(rendering.stream_parts(rendered).concat(), render_set(set, format), "{what}")
                        }
                        Layout::Files => {
                            for (r, m) in rendered.items.iter().zip(&set.items) {
                                assert_eq!(r.header, m.header(), "{what}");
                                assert_eq!(file_path(&r.header, format), file_path(&m.header(), format), "{what}");
                                assert_eq!(r.text, render_one(m, format), "{what} {}", m.key());
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The specs that compile: the bundled platform and every golden case with manifests.
fn valid_specs() -> Vec<(String, PathBuf)> {
    let mut v = vec![("platform.kdl".to_string(), Path::new(env!("CARGO_MANIFEST_DIR")).join("platform.kdl"))];
    for c in CASES {
        if root().join(c).join("expected.yaml").is_file() {
            v.push((format!("golden/{c}"), root().join(c).join("platform.kdl")));
        }
    }
    v
}

/// Every tenant, topic, user and workload the model of a valid spec declares has its objects in the
/// manifests, and each kind has exactly as many objects as the model has nodes: nothing is dropped on the
/// way from the model to the output (which `apply --prune` would delete from the cluster).
#[test]
fn every_declared_object_is_in_the_output() {
    let each_env = valid_specs().into_iter().flat_map(|(case, spec)| {
        strata::compile_all(&strata::lang::DiskFs, &spec, strata::Stage::Compile).into_iter().map(move |c| {
            let case = match c.environment() {
                Some(env) => format!("{case} (environment {env})"),
                None => case.clone(),
            };
            (case, c)
        })
    });
    for (case, c) in each_env {
        let set = c.manifests.unwrap_or_else(|| panic!("{case} does not compile: {:?}", c.diagnostics));
        let p = &c.platform;
        let has = |kind: &str, ns: Option<&str>, name: &str| {
            set.items.iter().any(|m: &Manifest| m.kind == kind && m.namespace.as_deref() == ns && m.name == name)
        };
        let count = |kinds: &[&str]| set.items.iter().filter(|m| kinds.contains(&m.kind.as_str())).count();
        let ns_of = |tenant: &str| p.tenant(tenant).map(|t| t.namespace.value.clone()).unwrap_or_default();
        let mut missing = Vec::new();

        for t in &p.tenants {
            if !has("Namespace", None, &t.namespace.value) {
                missing.push(format!("Namespace of tenant {}", t.name.value));
            }
        }
        for t in &p.kafka.topics {
            let ns = p.kafka.cluster_for(t.cluster.as_ref()).map(|k| k.namespace.value.as_str());
            if !has("KafkaTopic", ns, &strata::model::kafka::topic_object_name(&t.name.value)) {
                missing.push(format!("KafkaTopic of topic {}", t.name.value));
            }
        }
        for u in &p.kafka.users {
            let ns = p.kafka.cluster_for(u.cluster.as_ref()).map(|k| k.namespace.value.as_str());
            if !has("KafkaUser", ns, &u.name.value) {
                missing.push(format!("KafkaUser {}", u.name.value));
            }
        }
        for j in &p.spark.jobs {
            let kind = if j.scheduled() { "ScheduledSparkApplication" } else { "SparkApplication" };
            if !has(kind, Some(&ns_of(&j.tenant.value)), &j.name.value) {
                missing.push(format!("{kind} {}", j.name.value));
            }
        }
        for a in &p.airflow.deployments {
            let ns = ns_of(&a.tenant.value);
            for cm in [a.templates_configmap(), a.env_configmap(), a.config_configmap()] {
                if !has("ConfigMap", Some(&ns), &cm) {
                    missing.push(format!("ConfigMap {cm} of airflow {}", a.name.value));
                }
            }
            if !has("ServiceAccount", Some(&ns), &a.scheduler_sa()) {
                missing.push(format!("scheduler ServiceAccount of airflow {}", a.name.value));
            }
        }
        for j in &p.flink.jobs {
            if !has("FlinkDeployment", Some(&ns_of(&j.tenant.value)), &j.name.value) {
                missing.push(format!("FlinkDeployment {}", j.name.value));
            }
        }
        assert!(missing.is_empty(), "{case}: declared but not emitted: {missing:?}");

        let scheduled = p.spark.jobs.iter().filter(|j| j.scheduled()).count();
        let counts = [
            ("Namespace", count(&["Namespace"]), p.tenants.len()),
            ("KafkaTopic", count(&["KafkaTopic"]), p.kafka.topics.len()),
            ("KafkaUser", count(&["KafkaUser"]), p.kafka.users.len()),
            ("SparkApplication", count(&["SparkApplication"]), p.spark.jobs.len() - scheduled),
            ("ScheduledSparkApplication", count(&["ScheduledSparkApplication"]), scheduled),
            ("FlinkDeployment", count(&["FlinkDeployment"]), p.flink.jobs.len()),
        ];
        for (kind, emitted, declared) in counts {
            assert_eq!(emitted, declared, "{case}: {declared} declared, {emitted} {kind} objects emitted");
        }
    }
}

/// An environment that overrides nothing is the base platform: for every valid case, the same objects byte for
/// byte, apart from the ApplySet label that keeps each environment's objects apart.
#[test]
fn an_empty_environment_compiles_to_the_base_platform() {
    for (case, spec) in valid_specs() {
        let text = std::fs::read_to_string(&spec).expect("read the spec");
        if text.contains("environment \"") {
            continue;
        }
        let base = strata::compile_path(&spec);
        let base_set = base.manifests.unwrap_or_else(|| panic!("{case} compiles"));
        let copy = tempfile::tempdir().expect("a temporary folder");
        copy_tree(spec.parent().expect("a folder"), copy.path());
        let env_spec = copy.path().join("platform.kdl");
        std::fs::write(&env_spec, format!("{text}\nenvironment \"qa\"\n")).expect("write the spec");
        let env = strata::compile_env(&strata::lang::DiskFs, &env_spec, Some("qa"), strata::Stage::Compile);
        let env_set = env.manifests.unwrap_or_else(|| panic!("{case} as environment qa: {:?}", env.diagnostics));
        let (base_id, env_id) =
            (strata::manifest::ApplySetRef::of(&base.platform).id, strata::manifest::ApplySetRef::of(&env.platform).id);
        assert_ne!(base_id, env_id, "{case}");
        let yaml = |set: &strata::manifest::ManifestSet, id: &str| {
            render_set(set, OutputFormat::Yaml).replace(id, "<applyset>")
        };
        assert_eq!(yaml(&base_set, &base_id), yaml(&env_set, &env_id), "{case}: environment qa differs from the base");
    }
}

/// The `.kdl` files under `from` (the repository's build output and other cases left out), where they were.
fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read a folder").filter_map(Result::ok) {
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let name = entry.file_name().to_string_lossy().into_owned();
        if src.is_dir() {
            if name.starts_with('.') || ["target", "golden", "golden-diff", "fuzz", "docs"].contains(&name.as_str()) {
                continue;
            }
            std::fs::create_dir_all(&dst).expect("create a folder");
            copy_tree(&src, &dst);
        } else if name.ends_with(".kdl") {
            std::fs::copy(&src, &dst).expect("copy a file");
        }
    }
}
