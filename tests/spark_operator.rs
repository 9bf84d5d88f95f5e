//! The kubeflow Spark operator v2's own code as the judge of strata's SparkApplications: the operator
//! (`oracles/spark-operator`, built from the Go module proxy and run by `scripts/tools/spark-operator serve`)
//! runs against the test cluster with its admission webhooks registered by URL and its controller running
//! PyPI pyspark's real `spark-submit`. This file checks four things:
//!
//! - Every SparkApplication and ScheduledSparkApplication of the bundled platform and of the valid golden
//!   cases goes through the real mutating and validating webhooks (server-side apply, dry run). The webhooks
//!   must accept it, and the operator's defaulting must keep every field strata wrote. With the webhook's
//!   quota enforcement on, each must fit its tenant's ResourceQuota as the operator counts it (bar the
//!   operator's own double count of memory, predicted application by application).
//! - Pods built the way Spark builds a driver or an executor (labels, container name, no security context
//!   of their own) go to the real pod webhook in a namespace with the tenant's Pod Security labels. The
//!   webhook must give them strata's security contexts, tolerations and priority class. PodSecurity must
//!   then admit them, and must refuse the same pod when the application carries no security context.
//! - The controller runs `spark-submit` for the applications that need nothing from the network (every
//!   URI `local://`, no Maven packages). The driver pod is created by Spark itself, mutated by the webhook,
//!   admitted under the tenant's Pod Security level and scheduled onto a kwok node. A ScheduledSparkApplication
//!   creates its run on schedule.
//! - The differential: for every Spark rule strata checks that the operator also enforces, a valid job and
//!   the same job's object mutated the way the rule's violation would write it. strata must refuse the
//!   violating spec, and the operator must refuse the object (the webhook, or the controller's
//!   `FailedValidation` for schedules), unless the rule is in `KNOWN_DIFFERENCES` with its reason.
//!   Broken objects that strata cannot express prove that the webhook refuses things, so these tests can fail.
//!
//! Needs the test cluster (`STRATA_TEST_KUBECONFIG`) and what `scripts/tools/spark-operator` needs (Go,
//! java, python3). Under `CI=true` a missing cluster or tool fails the tests; elsewhere they print `SKIPPED`.

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use kube::discovery::ApiResource;
use serde_json::{Map, Value, json};
use strata::lang::MemFs;
use strata::reconcile::Kube;
use support::*;

const MANAGER: &str = "strata-spark-operator-test";

/// Polls `$probe` (an expression giving an `Option`) every 500 ms until it is `Some(v)`: `Ok(v)`, or
/// `Err` naming `$what` after `$timeout`. A macro, so the probe borrows the caller's locals freely.
macro_rules! eventually {
    ($what:expr, $timeout:expr, $probe:expr) => {{
        let timeout: Duration = $timeout;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = $probe {
                break Ok(v);
            }
            if Instant::now() >= deadline {
                break Err(format!("timed out after {timeout:?} waiting for {}", $what));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }};
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

// ------------------------------------------------------------------------------------------------------
// The operator

/// The running operator: namespaces labelled `webhook_label` are judged by its webhooks; those also
/// labelled `controller_label` have their applications submitted by its controller.
struct Operator {
    webhook_label: (String, String),
    controller_label: (String, String),
    /// The script's stderr, an unlinked file read back for failure messages (so nothing is left behind).
    log: std::fs::File,
    /// The script's run folder: `webhook.log`, `controller.log`.
    dir: PathBuf,
    // Never dropped: when this test process exits, the script's stdin closes and it stops the operator.
    _child: Child,
}

impl Operator {
    fn labels(&self, controller: bool) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert(self.webhook_label.0.clone(), json!(self.webhook_label.1));
        if controller {
            m.insert(self.controller_label.0.clone(), json!(self.controller_label.1));
        }
        m
    }

    fn log_tail(&self) -> String {
        let text = read_all(&self.log);
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

fn split_label(s: &str) -> (String, String) {
    let (k, v) = s.split_once('=').unwrap_or_else(|| panic!("not a label: {s}"));
    (k.to_string(), v.to_string())
}

/// The operator for every test of this process, started once; `None` (after saying so) when there is no
/// cluster or a needed tool is missing outside CI.
// The script runs for as long as this process does and is never waited for: it stops itself (and the
// operator) when its stdin closes, which is when this process exits.
#[allow(clippy::zombie_processes)]
fn operator(test: &str) -> Option<(&'static Operator, PathBuf)> {
    let kc = cluster(test)?;
    static OP: OnceLock<Option<Operator>> = OnceLock::new();
    let op = OP.get_or_init(|| {
        let path = std::env::temp_dir().join(format!("strata-spark-operator-test-{}.log", std::process::id()));
        let stderr = std::fs::File::create(&path).expect("operator log");
        let log = std::fs::File::open(&path).expect("operator log");
        let _ = std::fs::remove_file(&path);
        let mut child = Command::new(repo().join("scripts/tools/spark-operator"))
            .arg("serve")
            .arg(&kc)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("scripts/tools/spark-operator runs");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        loop {
            line.clear();
            let n = lines.read_line(&mut line).expect("read the operator's stdout");
            if n == 0 {
                let status = child.wait().expect("wait");
                let text = read_all(&log);
                if status.code() == Some(3) && !ci() {
                    eprintln!("SKIPPED {test}: the Spark operator cannot be built here:\n{text}");
                    return None;
                }
                panic!("scripts/tools/spark-operator serve failed ({status}):\n{text}");
            }
            if let Some(rest) = line.trim().strip_prefix("READY ") {
                let field = |name: &str| {
                    rest.split_whitespace()
                        .find_map(|f| f.strip_prefix(&format!("{name}=")))
                        .unwrap_or_else(|| panic!("no {name} in {rest}"))
                        .to_string()
                };
                return Some(Operator {
                    webhook_label: split_label(&field("webhook-label")),
                    controller_label: split_label(&field("controller-label")),
                    log,
                    dir: PathBuf::from(field("dir")),
                    _child: child,
                });
            }
        }
    });
    op.as_ref().map(|o| (o, kc))
}

// ------------------------------------------------------------------------------------------------------
// strata's output, renamed per test so cases and reruns never share objects

fn ar(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    let api_version = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
    ApiResource { group: group.into(), version: version.into(), api_version, kind: kind.into(), plural: plural.into() }
}

fn resource_of(o: &Value) -> ApiResource {
    match o["kind"].as_str().unwrap_or_default() {
        "SparkApplication" => ar("sparkoperator.k8s.io", "v1beta2", "SparkApplication", "sparkapplications"),
        "ScheduledSparkApplication" => {
            ar("sparkoperator.k8s.io", "v1beta2", "ScheduledSparkApplication", "scheduledsparkapplications")
        }
        "Namespace" => ar("", "v1", "Namespace", "namespaces"),
        "ServiceAccount" => ar("", "v1", "ServiceAccount", "serviceaccounts"),
        "Pod" => ar("", "v1", "Pod", "pods"),
        "PriorityClass" => ar("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses"),
        "ResourceQuota" => ar("", "v1", "ResourceQuota", "resourcequotas"),
        k => panic!("no resource for kind {k}"),
    }
}

fn is_spark_app(o: &Value) -> bool {
    matches!(o["kind"].as_str(), Some("SparkApplication" | "ScheduledSparkApplication"))
}

/// The application spec of a SparkApplication, or the template of a ScheduledSparkApplication.
fn app_spec(o: &Value) -> &Value {
    if o["kind"] == "ScheduledSparkApplication" { &o["spec"]["template"] } else { &o["spec"] }
}

fn app_spec_mut(o: &mut Value) -> &mut Value {
    if o["kind"] == "ScheduledSparkApplication" { &mut o["spec"]["template"] } else { &mut o["spec"] }
}

/// One spec's Spark objects, renamed: namespaces to `<prefix>-<ns>`, PriorityClasses to `<prefix>-<name>`
/// (and the references to both), so nothing collides with another case, test or rerun.
struct Case {
    what: String,
    apps: Vec<Value>,
    /// Renamed namespace -> the Pod Security labels strata gives it.
    namespaces: BTreeMap<String, Map<String, Value>>,
    priority_classes: Vec<Value>,
    /// The tenants' ResourceQuotas, in the renamed namespaces (applied only by the quota tests).
    quotas: Vec<Value>,
}

fn truncate_name(s: String) -> String {
    let mut s = s;
    s.truncate(63);
    s.trim_end_matches('-').to_string()
}

fn case_of(what: &str, prefix: &str, objects: Vec<Value>) -> Case {
    let ns_name = |ns: &str| truncate_name(format!("{prefix}-{ns}"));
    let pc_name = |pc: &str| truncate_name(format!("{prefix}-{pc}"));
    let mut case = Case {
        what: what.to_string(),
        apps: Vec::new(),
        namespaces: BTreeMap::new(),
        priority_classes: Vec::new(),
        quotas: Vec::new(),
    };
    for o in &objects {
        match o["kind"].as_str() {
            Some("Namespace") => {
                let labels: Map<String, Value> = o["metadata"]["labels"]
                    .as_object()
                    .map(|l| {
                        l.iter()
                            .filter(|(k, _)| k.starts_with("pod-security.kubernetes.io/"))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect()
                    })
                    .unwrap_or_default();
                case.namespaces.insert(ns_name(o["metadata"]["name"].as_str().unwrap()), labels);
            }
            Some("PriorityClass") => {
                let mut pc = o.clone();
                pc["metadata"] = json!({"name": pc_name(o["metadata"]["name"].as_str().unwrap())});
                case.priority_classes.push(pc);
            }
            Some("ResourceQuota") => {
                let mut q = o.clone();
                q["metadata"] = json!({
                    "name": o["metadata"]["name"],
                    "namespace": ns_name(o["metadata"]["namespace"].as_str().unwrap()),
                });
                case.quotas.push(q);
            }
            _ => {}
        }
    }
    for o in objects.into_iter().filter(is_spark_app) {
        let mut o = o;
        let ns = o["metadata"]["namespace"].as_str().unwrap().to_string();
        let renamed = ns_name(&ns);
        case.namespaces.entry(renamed.clone()).or_default();
        o["metadata"]["namespace"] = json!(renamed);
        let spec = app_spec_mut(&mut o);
        if let Some(v) = spec.get_mut("sparkConf").and_then(|c| c.get_mut("spark.kubernetes.namespace"))
            && v == &json!(ns)
        {
            *v = json!(renamed);
        }
        for role in ["driver", "executor"] {
            if let Some(pc) = spec[role]["priorityClassName"].as_str() {
                spec[role]["priorityClassName"] = json!(pc_name(pc));
            }
        }
        case.apps.push(o);
    }
    case
}

fn emitted(spec: &Path) -> Vec<Value> {
    // A case with environments is judged as its last one (production in the goldens): the objects of one case
    // share a namespace here, where two environments' copies of an object would collide. Every environment is
    // judged by the tests that compile each (`strata::compile_path_envs`).
    let c = strata::compile_path_envs(spec).pop().expect("a spec compiles to at least one platform");
    let set = c.manifests.unwrap_or_else(|| panic!("{} does not compile", spec.display()));
    set.items.into_iter().map(|m| m.object).collect()
}

/// Every valid case with Spark objects, renamed under `prefix`.
fn cases(prefix: &str) -> Vec<Case> {
    valid_cases()
        .into_iter()
        .enumerate()
        .map(|(i, (what, spec))| case_of(&what, &format!("{prefix}-c{i}"), emitted(&spec)))
        .filter(|c| !c.apps.is_empty())
        .collect()
}

fn key(o: &Value) -> String {
    format!(
        "{}/{}/{}",
        o["kind"].as_str().unwrap_or_default(),
        o["metadata"]["namespace"].as_str().unwrap_or_default(),
        o["metadata"]["name"].as_str().unwrap_or_default()
    )
}

// ------------------------------------------------------------------------------------------------------
// Cluster helpers

async fn apply(kube: &Kube, o: &Value, dry_run: bool) -> Result<Value, String> {
    let ns = o["metadata"]["namespace"].as_str();
    let name = o["metadata"]["name"].as_str().expect("a name");
    kube.apply(&resource_of(o), ns, name, o, MANAGER, true, dry_run)
        .await
        .map_err(|f| format!("{} {}: {}", f.code, f.reason, f.message))
}

/// Namespaces (for real) with `labels` each, their `spark-driver` ServiceAccount (strata emits it; Spark's
/// pods run as it, and the ServiceAccount admission plugin refuses pods whose account does not exist), and
/// the case's PriorityClasses.
async fn prepare(kube: &Kube, case: &Case, op: &Operator, controller: bool) {
    for (ns, psa) in &case.namespaces {
        let mut labels = psa.clone();
        labels.extend(op.labels(controller));
        labels.insert("strata.dev/test".into(), json!("spark-operator"));
        let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}});
        apply(kube, &body, false).await.unwrap_or_else(|e| panic!("namespace {ns}: {e}"));
        let sa = json!({
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "spark-driver", "namespace": ns},
        });
        apply(kube, &sa, false).await.unwrap_or_else(|e| panic!("ServiceAccount {ns}/spark-driver: {e}"));
    }
    for pc in &case.priority_classes {
        apply(kube, pc, false).await.unwrap_or_else(|e| panic!("PriorityClass {}: {e}", pc["metadata"]["name"]));
    }
}

async fn cleanup(kube: &Kube, case: &Case) {
    let nar = resource_of(&json!({"kind": "Namespace"}));
    for ns in case.namespaces.keys() {
        let _ = kube.delete(&nar, None, ns, None, false).await;
    }
    for pc in &case.priority_classes {
        let _ = kube.delete(&resource_of(pc), None, pc["metadata"]["name"].as_str().unwrap(), None, false).await;
    }
}

/// Applies the case's ResourceQuotas and waits until the quota controller has computed their status:
/// the operator's quota check adds each application to `status.used` and compares with `spec.hard`, and
/// skips a quota whose `status.hard` is still empty.
async fn apply_quotas(kube: &Kube, case: &Case) {
    for q in &case.quotas {
        apply(kube, q, false).await.unwrap_or_else(|e| panic!("{}: {e}", key(q)));
    }
    for q in &case.quotas {
        let (ns, name) = (q["metadata"]["namespace"].as_str().unwrap(), q["metadata"]["name"].as_str().unwrap());
        let computed: Result<(), String> = eventually!(format!("the status of {}", key(q)), Duration::from_secs(60), {
            let got = kube.get(&resource_of(q), Some(ns), name).await.ok().flatten();
            got.filter(|g| g["status"]["hard"].is_object() && g["status"]["used"].is_object()).map(|_| ())
        });
        computed.unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Where `got` lacks or changes something `want` has (maps: every key of `want`; lists: same length,
/// item by item; scalars: equal), as a JSON path; `None` when `want` is contained in `got`.
fn not_contained(want: &Value, got: &Value, path: &str) -> Option<String> {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => w.iter().find_map(|(k, v)| match g.get(k) {
            Some(gv) => not_contained(v, gv, &format!("{path}.{k}")),
            None => Some(format!("{path}.{k} is gone (strata wrote {v})")),
        }),
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => {
            w.iter().zip(g).enumerate().find_map(|(i, (a, b))| not_contained(a, b, &format!("{path}[{i}]")))
        }
        _ if want == got => None,
        _ => Some(format!("{path}: strata wrote {want}, the operator made it {got}")),
    }
}

// ------------------------------------------------------------------------------------------------------
// 1. The webhooks accept everything strata emits, and keep what strata wrote

#[test]
fn webhooks_accept_every_spark_application_strata_emits() {
    let Some((op, kc)) = operator("webhooks_accept_every_spark_application_strata_emits") else { return };
    let cases = cases(&unique("spwh"));
    let apps: usize = cases.iter().map(|c| c.apps.len()).sum();
    let scheduled = cases.iter().flat_map(|c| &c.apps).filter(|o| o["kind"] == "ScheduledSparkApplication").count();
    assert!(apps >= 10 && scheduled >= 2, "too few Spark objects to judge: {apps}, {scheduled} scheduled");
    runtime().block_on(async {
        let kube = connect(&kc).await;
        let mut refused = Vec::new();
        for case in &cases {
            prepare(&kube, case, op, false).await;
            for o in &case.apps {
                match apply(&kube, o, true).await {
                    Err(e) => refused.push(format!("{}: {}: {e}", case.what, key(o))),
                    Ok(got) => {
                        if let Some(diff) = not_contained(&o["spec"], &got["spec"], ".spec") {
                            refused.push(format!(
                                "{}: {}: the operator's defaulting changed strata's field: {diff}",
                                case.what,
                                key(o)
                            ));
                        }
                    }
                }
            }
            cleanup(&kube, case).await;
        }
        assert!(
            refused.is_empty(),
            "the Spark operator's webhooks refused or changed {} of {apps} objects:\n{}\n\noperator log:\n{}",
            refused.len(),
            refused.join("\n"),
            op.log_tail()
        );
    });
}

/// Bytes of a Java memory string as the operator parses it (`parseJavaMemoryString`: `512m`, `2g`, `1.5g`).
fn java_bytes(s: &str) -> f64 {
    let s = s.trim().to_ascii_lowercase();
    let digits = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let n: f64 = s[..digits].parse().unwrap_or_else(|_| panic!("not a Java memory string: {s}"));
    let unit = match s[digits..].trim_end_matches('b') {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        u => panic!("unknown Java memory unit {u} in {s}"),
    };
    n * unit
}

/// A Kubernetes quantity (as strata writes quotas: `64`, `500m`, `320Gi`, `16G`) in base units.
fn quantity(s: &str) -> f64 {
    let digits = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let n: f64 = s[..digits].parse().unwrap_or_else(|_| panic!("not a quantity: {s}"));
    let unit = match &s[digits..] {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" => 1024.0,
        "Mi" => 1024.0_f64.powi(2),
        "Gi" => 1024.0_f64.powi(3),
        "Ti" => 1024.0_f64.powi(4),
        u => panic!("unknown quantity unit {u} in {s}"),
    };
    n * unit
}

/// The quota keys an application overflows as v2.5.2's `validateResourceUsage` adds it up
/// (`internal/webhook/resourcequota.go`): `cores` (not `coreRequest`) per pod, `executor.instances` pods
/// (one under dynamic allocation), memory plus overhead per pod, and that memory twice under
/// `requests.memory`, because `getMemoryLimits` returns the requests' keys (kubeflow/spark-operator#2866).
/// With `double_memory` false, the same sum with memory counted once: what the operator means to check.
fn operator_quota_overflow(app: &Value, quota: &Value, double_memory: bool) -> Vec<String> {
    let spec = app_spec(app);
    let instances = spec["executor"]["instances"].as_f64().unwrap_or(1.0);
    let pods = [("driver", 1.0), ("executor", instances)];
    let cores = |r: &str| spec[r]["cores"].as_f64().unwrap_or(1.0);
    let limit = |r: &str| spec[r]["coreLimit"].as_str().map_or_else(|| cores(r), quantity);
    let memory = |r: &str| {
        let m = spec[r]["memory"].as_str().map_or(0.0, java_bytes);
        let overhead = spec[r]["memoryOverhead"].as_str().map_or((m * 0.1).max(384.0 * 1024.0 * 1024.0), java_bytes);
        m + overhead
    };
    let sum = |f: &dyn Fn(&str) -> f64| pods.iter().map(|(r, n)| f(r) * n).sum::<f64>();
    let mem = sum(&memory) * if double_memory { 2.0 } else { 1.0 };
    let wants = [
        ("requests.cpu", sum(&cores)),
        ("cpu", sum(&cores)),
        ("limits.cpu", sum(&limit)),
        ("requests.memory", mem),
        ("memory", mem),
    ];
    let hard = &quota["spec"]["hard"];
    wants
        .iter()
        .filter_map(|(k, want)| {
            let h = quantity(hard[*k].as_str()?);
            (*want > h).then(|| format!("{k}: {want} > {h}"))
        })
        .collect()
}

/// The webhook runs with `--enable-resource-quota-enforcement`: in namespaces holding strata's
/// ResourceQuotas (computed by the quota controller, nothing else in them), each application's
/// requests and limits, as the operator adds them up, must fit. They do, but for the operator's own bug:
/// it counts memory requests twice (`operator_quota_overflow`), so an application that needs more than
/// half its tenant's memory quota is refused. The test predicts exactly which ones (and that each fits
/// when counted once), so both a fixed operator and a strata change that overflows a quota fail it.
#[test]
fn every_spark_application_fits_its_tenant_quota_as_the_operator_counts() {
    let test = "every_spark_application_fits_its_tenant_quota_as_the_operator_counts";
    let Some((op, kc)) = operator(test) else { return };
    let cases = cases(&unique("spq"));
    let judged = cases.iter().filter(|c| !c.quotas.is_empty()).map(|c| c.apps.len()).sum::<usize>();
    assert!(judged >= 5, "too few applications in tenants with a quota: {judged}");
    runtime().block_on(async {
        let kube = connect(&kc).await;
        let mut wrong = Vec::new();
        let mut double_counted = Vec::new();
        for case in cases.iter().filter(|c| !c.quotas.is_empty()) {
            prepare(&kube, case, op, false).await;
            apply_quotas(&kube, case).await;
            for o in &case.apps {
                // A schedule's runs are the SparkApplications the check applies to.
                let run = as_run(o);
                let ns = &run["metadata"]["namespace"];
                let quotas: Vec<&Value> = case.quotas.iter().filter(|q| &q["metadata"]["namespace"] == ns).collect();
                let once: Vec<String> = quotas.iter().flat_map(|q| operator_quota_overflow(&run, q, false)).collect();
                let twice: Vec<String> = quotas.iter().flat_map(|q| operator_quota_overflow(&run, q, true)).collect();
                if !once.is_empty() {
                    let what = format!("{}: {}", case.what, key(o));
                    wrong.push(format!("{what}: over its tenant's quota even counted once: {once:?}"));
                }
                let what = format!("{}: {}", case.what, key(o));
                match (apply(&kube, &run, true).await, twice.is_empty()) {
                    (Ok(_), true) => {}
                    (Err(e), false) if e.contains("failed to validate resource quota") => {
                        double_counted.push(format!("{what} ({})", twice.join(", ")));
                    }
                    (Ok(_), false) => wrong.push(format!(
                        "{what}: accepted, though the operator's double count is over the quota ({twice:?}): \
                         has kubeflow/spark-operator#2866 been fixed? Then drop the double count"
                    )),
                    (Err(e), _) => wrong.push(format!("{what}: {e}")),
                }
            }
            cleanup(&kube, case).await;
        }
        eprintln!(
            "the operator's quota check judged {judged} applications; refused for its double-counted memory only:\n{}",
            double_counted.join("\n")
        );
        assert!(wrong.is_empty(), "the operator's quota enforcement and strata's quotas:\n{}", wrong.join("\n"));
    });
}

// ------------------------------------------------------------------------------------------------------
// 2. Objects strata would never emit, each refused by the webhook

/// A minimal restricted job strata accepts, with `body` added inside `spark-job` (an `executors` line in
/// it replaces the default one).
fn job_spec(name: &str, body: &str) -> String {
    job_spec_in("tenant \"t\"", name, body)
}

/// The same job in a tenant with a ResourceQuota of 4 CPUs and 16Gi.
fn job_spec_with_quota(name: &str, body: &str) -> String {
    job_spec_in("tenant \"t\" {\n    quota cpu=4 memory=\"16Gi\"\n}", name, body)
}

fn job_spec_in(tenant: &str, name: &str, body: &str) -> String {
    let executors = if body.contains("    executors ") { "" } else { "    executors 1 cores=1 memory=\"1g\"\n" };
    format!(
        "platform \"probe\"\n{tenant}\nspark-job \"{name}\" tenant=\"t\" {{
    image \"apache/spark:3.5.1\" spark-version=\"3.5.1\"
    main \"local:///opt/spark/examples/jars/spark-examples_2.12-3.5.1.jar\" class=\"org.apache.spark.examples.SparkPi\"
    driver cores=1 memory=\"1g\"
{executors}{body}
}}
"
    )
}

fn strata_errors(spec: &str) -> Vec<String> {
    let fs = MemFs::new().with("/probe/platform.kdl", spec.to_string());
    let c = strata::check(&fs, Path::new("/probe/platform.kdl"));
    c.diagnostics.iter().filter(|d| d.is_error()).map(|d| format!("{}: {}", d.code, d.message)).collect()
}

fn compiled(spec: &str) -> Vec<Value> {
    let fs = MemFs::new().with("/probe/platform.kdl", spec.to_string());
    let c = strata::compile(&fs, Path::new("/probe/platform.kdl"));
    let set = c.manifests.unwrap_or_else(|| panic!("does not compile:\n{spec}\n{:?}", strata_errors(spec)));
    set.items.into_iter().map(|m| m.object).collect()
}

fn probe_case(prefix: &str, spec: &str) -> Case {
    case_of("probe", prefix, compiled(spec))
}

/// (what, the webhook's message, the object): each breaks one operator rule strata has no way to write.
fn broken(base: &Value, scheduled: &Value) -> Vec<(&'static str, &'static str, Value)> {
    let with = |f: &dyn Fn(&mut Value)| {
        let mut o = base.clone();
        f(&mut o);
        o
    };
    let mut sched = scheduled.clone();
    sched["metadata"]["name"] = json!("1-nightly");
    let mut sched_conf = scheduled.clone();
    sched_conf["spec"]["template"]["sparkConf"] = json!({"spark.kubernetes.driver.master": "k8s://https://10.0.0.1"});
    vec![
        (
            "a name that is no DNS-1035 label (the API server takes it: it is a DNS-1123 subdomain)",
            "invalid SparkApplication name",
            with(&|o| o["metadata"]["name"] = json!("1-broken")),
        ),
        (
            "nodeSelector at both application and driver level",
            "node selector cannot be defined at both SparkApplication and Driver/Executor",
            with(&|o| {
                o["spec"]["nodeSelector"] = json!({"pool": "batch"});
                o["spec"]["driver"]["nodeSelector"] = json!({"pool": "drivers"});
            }),
        ),
        (
            "two driver ingresses on one service port",
            "DriverIngressOptions has duplicate ServicePort",
            with(&|o| {
                o["spec"]["driverIngressOptions"] = json!([
                    {"servicePort": 4040, "servicePortName": "ui-a", "ingressURLFormat": "a.example/{{$appName}}"},
                    {"servicePort": 4040, "servicePortName": "ui-b", "ingressURLFormat": "b.example/{{$appName}}"},
                ]);
            }),
        ),
        (
            "a pod template on Spark 2",
            "pod template feature requires Spark version 3.0.0 or higher",
            with(&|o| {
                o["spec"]["sparkVersion"] = json!("2.4.8");
                o["spec"]["driver"]["template"] = json!({"metadata": {"labels": {"a": "b"}}});
            }),
        ),
        (
            "a denied sparkConf key",
            "sparkConf key \"spark.master\" is not allowed",
            with(&|o| o["spec"]["sparkConf"] = json!({"spark.master": "local[*]"})),
        ),
        ("a scheduled application whose name is no DNS-1035 label", "invalid ScheduledSparkApplication name", sched),
        (
            "a scheduled application with a denied sparkConf key",
            "sparkConf key \"spark.kubernetes.driver.master\" is not allowed",
            sched_conf,
        ),
    ]
}

#[test]
fn webhooks_refuse_the_deliberately_broken_objects() {
    let Some((op, kc)) = operator("webhooks_refuse_the_deliberately_broken_objects") else { return };
    let case = probe_case(&unique("spbr"), &job_spec("base", ""));
    let scheduled = probe_case("x", &job_spec("nightly", "    schedule \"0 3 * * *\" timezone=\"UTC\""));
    let base = case.apps[0].clone();
    let mut sched = scheduled.apps[0].clone();
    sched["metadata"]["namespace"] = base["metadata"]["namespace"].clone();
    runtime().block_on(async {
        let kube = connect(&kc).await;
        prepare(&kube, &case, op, false).await;
        // Both bases are accepted: each refusal below is the broken part's.
        for o in [&base, &sched] {
            apply(&kube, o, true).await.unwrap_or_else(|e| panic!("the valid base {} is refused: {e}", key(o)));
        }
        let mut wrong = Vec::new();
        for (what, message, o) in broken(&base, &sched) {
            match apply(&kube, &o, true).await {
                Ok(_) => wrong.push(format!("{what}: accepted")),
                Err(e) if e.contains("admission webhook") && e.contains(message) => {}
                Err(e) => wrong.push(format!("{what}: refused, but not by the webhook's rule ({message:?}): {e}")),
            }
        }
        cleanup(&kube, &case).await;
        assert!(wrong.is_empty(), "the Spark operator's webhook did not refuse:\n{}", wrong.join("\n"));
    });
}

// ------------------------------------------------------------------------------------------------------
// 3. Spark's pods get strata's security from the pod webhook, then pass Pod Security

/// A pod as Spark 3.5's `BasicDriverFeatureStep`/`BasicExecutorFeatureStep` writes it for an application
/// the operator submitted: Spark's and the operator's labels, Spark's container name, the application's
/// service account (executors fall back to the driver's), and no security context: that is the webhook's.
fn spark_pod(app: &Value, run_name: &str, role: &str) -> Value {
    let spec = app_spec(app);
    let ns = app["metadata"]["namespace"].as_str().unwrap();
    let container = if role == "driver" { "spark-kubernetes-driver" } else { "spark-kubernetes-executor" };
    let mut labels = json!({
        "spark-app-selector": "spark-0123456789abcdef",
        "spark-role": role,
        "spark-version": spec["sparkVersion"],
        "sparkoperator.k8s.io/app-name": run_name,
        "sparkoperator.k8s.io/launched-by-spark-operator": "true",
        "sparkoperator.k8s.io/mutated-by-spark-operator": "true",
    });
    if role == "executor" {
        labels["spark-exec-id"] = json!("1");
    }
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("{run_name}-{role}"), "namespace": ns, "labels": labels},
        "spec": {
            "restartPolicy": "Never",
            "serviceAccountName": spec["driver"]["serviceAccount"].as_str().unwrap_or("default"),
            "containers": [{
                "name": container,
                "image": spec["image"],
                "args": [role],
                "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "1Gi"}},
                "volumeMounts": [{"name": "spark-local-dir-1", "mountPath": "/var/data/spark-local"}],
            }],
            "volumes": [{"name": "spark-local-dir-1", "emptyDir": {}}],
        },
    })
}

/// What the pod webhook must have written into `pod` from the application's `role`.
fn mutation_missing(app: &Value, role: &str, pod: &Value) -> Vec<String> {
    let r = &app_spec(app)[role];
    let mut missing = Vec::new();
    let mut want = |field: &str, want: &Value, got: &Value| {
        if !want.is_null() && want != got {
            missing.push(format!("{role} pod {field}: want {want}, got {got}"));
        }
    };
    want("securityContext", &r["podSecurityContext"], &pod["spec"]["securityContext"]);
    want("containers[0].securityContext", &r["securityContext"], &pod["spec"]["containers"][0]["securityContext"]);
    want("priorityClassName", &r["priorityClassName"], &pod["spec"]["priorityClassName"]);
    if let Some(ts) = r["tolerations"].as_array() {
        let got = pod["spec"]["tolerations"].as_array().cloned().unwrap_or_default();
        for t in ts {
            if !got.contains(t) {
                missing.push(format!("{role} pod toleration {t} missing: {got:?}"));
            }
        }
    }
    missing
}

/// The application as the operator names a run: a SparkApplication of the scheduled one's template.
fn as_run(app: &Value) -> Value {
    if app["kind"] != "ScheduledSparkApplication" {
        return app.clone();
    }
    let name = truncate_name(format!("{}-run", app["metadata"]["name"].as_str().unwrap()));
    json!({
        "apiVersion": app["apiVersion"], "kind": "SparkApplication",
        "metadata": {"name": name, "namespace": app["metadata"]["namespace"]},
        "spec": app["spec"]["template"],
    })
}

/// The pod's dry run, retried while the operator's webhook has not yet seen the SparkApplication just created:
/// it reads applications from an informer cache, which lags the API server under load ("failed to get
/// SparkApplication ... not found"). Any other answer is final.
async fn admitted_once_seen(kube: &Kube, pod: &Value) -> Result<Value, String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match apply(kube, pod, true).await {
            Err(e) if e.contains("failed to get SparkApplication") && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            other => return other,
        }
    }
}

#[test]
fn the_pod_webhook_gives_spark_pods_strata_security_and_pod_security_admits_them() {
    let test = "the_pod_webhook_gives_spark_pods_strata_security_and_pod_security_admits_them";
    let Some((op, kc)) = operator(test) else { return };
    let cases = cases(&unique("sppod"));
    runtime().block_on(async {
        let kube = connect(&kc).await;
        let mut wrong = Vec::new();
        let mut restricted_pods = 0;
        for case in &cases {
            prepare(&kube, case, op, false).await;
            for o in &case.apps {
                // The pod webhook reads the SparkApplication, so it must exist (the controller does not run
                // in these namespaces: nothing submits it).
                let run = as_run(o);
                if let Err(e) = apply(&kube, &run, false).await {
                    wrong.push(format!("{}: {}: {e}", case.what, key(&run)));
                    continue;
                }
                let ns = run["metadata"]["namespace"].as_str().unwrap();
                let level = case.namespaces[ns]
                    .get("pod-security.kubernetes.io/enforce")
                    .and_then(Value::as_str)
                    .unwrap_or("privileged")
                    .to_string();
                for role in ["driver", "executor"] {
                    let pod = spark_pod(&run, run["metadata"]["name"].as_str().unwrap(), role);
                    match admitted_once_seen(&kube, &pod).await {
                        Err(e) => wrong.push(format!(
                            "{}: {} ({level}): the {role} pod is refused: {e}",
                            case.what,
                            key(&run)
                        )),
                        Ok(got) => {
                            restricted_pods += usize::from(level == "restricted");
                            wrong.extend(
                                mutation_missing(&run, role, &got)
                                    .into_iter()
                                    .map(|m| format!("{}: {}: {m}", case.what, key(&run))),
                            );
                        }
                    }
                }
            }
            cleanup(&kube, case).await;
        }
        let apps: usize = cases.iter().map(|c| c.apps.len()).sum();
        eprintln!("the pod webhook mutated the pods of {apps} applications ({restricted_pods} pods under restricted)");
        assert!(restricted_pods >= 10, "too few pods judged under restricted: {restricted_pods}");
        assert!(
            wrong.is_empty(),
            "Spark's pods for strata's applications:\n{}\n\noperator log:\n{}",
            wrong.join("\n"),
            op.log_tail()
        );

        // The control: the same driver for an application without strata's security contexts is refused
        // under restricted, so the admissions above are the webhook's doing.
        let case = probe_case(&unique("sppodbad"), &job_spec("bare", ""));
        prepare(&kube, &case, op, false).await;
        let mut bare = case.apps[0].clone();
        for role in ["driver", "executor"] {
            let r = bare["spec"][role].as_object_mut().unwrap();
            r.remove("podSecurityContext");
            r.remove("securityContext");
        }
        apply(&kube, &bare, false).await.expect("the bare application is accepted");
        let pod = spark_pod(&bare, "bare", "driver");
        let refused = apply(&kube, &pod, true).await;
        cleanup(&kube, &case).await;
        match refused {
            Err(e) => assert!(e.contains("violates PodSecurity \"restricted"), "refused, but not by Pod Security: {e}"),
            Ok(_) => panic!("a Spark driver without a security context was admitted under restricted"),
        }
    });
}

// ------------------------------------------------------------------------------------------------------
// 4. The controller's real spark-submit creates the driver pods

/// Can spark-submit run this application without the network? Every URI `local://` (inside the image),
/// no Maven packages or repositories. On the submitting side spark-submit globs every dependency URI
/// through Hadoop's FileSystem (`s3a://` needs S3, and pyspark ships no S3A client) and resolves packages
/// with Ivy.
fn offline(app: &Value) -> bool {
    let spec = app_spec(app);
    let local = |v: &Value| v.as_str().is_some_and(|s| s.starts_with("local://"));
    let deps = &spec["deps"];
    local(&spec["mainApplicationFile"])
        && ["jars", "files", "pyFiles", "archives"]
            .iter()
            .all(|k| deps[*k].as_array().is_none_or(|l| l.iter().all(local)))
        && ["packages", "repositories"].iter().all(|k| deps[*k].as_array().is_none_or(Vec::is_empty))
}

/// Waits until Spark's driver pod of `app` runs on a node; fails early when the application fails, and
/// says on a timeout what was seen last (no pod yet, or the pod's phase and conditions).
async fn driver_running(kube: &Kube, app: &Value, timeout: Duration) -> Result<Value, String> {
    let ns = app["metadata"]["namespace"].as_str().unwrap();
    let name = app["metadata"]["name"].as_str().unwrap();
    let par = resource_of(app);
    let pod_ar = resource_of(&json!({"kind": "Pod"}));
    let mut last = String::from("no driver pod");
    let outcome: Result<Result<Value, String>, String> = eventually!(
        format!("the driver pod of {ns}/{name}"),
        timeout,
        async {
            if let Ok(Some(a)) = kube.get(&par, Some(ns), name).await {
                let state = a["status"]["applicationState"]["state"].as_str().unwrap_or_default().to_string();
                if state.contains("FAILED") {
                    return Some(Err(format!("state {state}: {}", a["status"]["applicationState"]["errorMessage"])));
                }
                last = format!("application state {state:?}, no driver pod");
            }
            let pod = kube.get(&pod_ar, Some(ns), &format!("{name}-driver")).await.ok().flatten()?;
            last = format!("driver pod {}: {}", pod["status"]["phase"], pod["status"]["conditions"]);
            (pod["status"]["phase"] == "Running" && pod["spec"]["nodeName"].is_string()).then_some(Ok(pod))
        }
        .await
    );
    outcome.map_err(|e| format!("{e} (last seen: {last})"))?
}

#[test]
fn spark_submit_creates_driver_pods_that_run_on_the_fake_nodes() {
    let Some((op, kc)) = operator("spark_submit_creates_driver_pods_that_run_on_the_fake_nodes") else { return };
    let mut cases = cases(&unique("spsub"));
    for c in &mut cases {
        c.apps.retain(|o| o["kind"] == "SparkApplication" && offline(o));
    }
    cases.retain(|c| !c.apps.is_empty());
    let apps: usize = cases.iter().map(|c| c.apps.len()).sum();
    assert!(apps >= 5, "too few SparkApplications spark-submit can run offline: {apps}");
    runtime().block_on(async {
        let kube = connect(&kc).await;
        for case in &cases {
            prepare(&kube, case, op, true).await;
            for o in &case.apps {
                apply(&kube, o, false).await.unwrap_or_else(|e| panic!("{}: {}: {e}", case.what, key(o)));
            }
        }
        let mut wrong = Vec::new();
        let mut restricted = 0;
        for case in &cases {
            for o in &case.apps {
                match driver_running(&kube, o, Duration::from_secs(300)).await {
                    Err(e) => wrong.push(format!("{}: {}: {e}", case.what, key(o))),
                    Ok(pod) => {
                        let ns = o["metadata"]["namespace"].as_str().unwrap();
                        restricted += usize::from(
                            case.namespaces[ns].get("pod-security.kubernetes.io/enforce") == Some(&json!("restricted")),
                        );
                        wrong.extend(
                            mutation_missing(o, "driver", &pod)
                                .into_iter()
                                .map(|m| format!("{}: {}: {m}", case.what, key(o))),
                        );
                    }
                }
            }
        }
        for case in &cases {
            cleanup(&kube, case).await;
        }
        assert!(
            wrong.is_empty(),
            "spark-submit and the operator on strata's applications:\n{}\n\noperator log:\n{}",
            wrong.join("\n"),
            op.log_tail()
        );
        eprintln!(
            "spark-submit created {apps} driver pods, {restricted} of them under restricted, all running on kwok nodes"
        );
        assert!(restricted >= 3, "too few drivers ran under restricted: {restricted}");
    });
}

#[test]
fn a_scheduled_spark_application_creates_its_run_on_schedule() {
    let Some((op, kc)) = operator("a_scheduled_spark_application_creates_its_run_on_schedule") else { return };
    let mut case = case_of(
        "golden/spark-scheduled",
        &unique("spsch"),
        emitted(&repo().join("golden/spark-scheduled/platform.kdl")),
    );
    case.apps.retain(|o| o["metadata"]["name"] == "campaign-report");
    let mut sched = case.apps.pop().expect("campaign-report is scheduled");
    assert_eq!(sched["kind"], "ScheduledSparkApplication");
    // The only change: every minute instead of nightly, so the test sees a run.
    sched["spec"]["schedule"] = json!("* * * * *");
    // The same schedule under a name one character longer than strata allows (`strata::spark::name`): the
    // webhook takes it, but not its runs' names (kubeflow/spark-operator#1549).
    let mut long = sched.clone();
    long["metadata"]["name"] = json!(LONG_SCHEDULED);
    let errors = strata_errors(&job_spec(LONG_SCHEDULED, DAILY));
    assert!(errors.iter().any(|e| e.starts_with("strata::spark::name:")), "strata takes {LONG_SCHEDULED}: {errors:?}");
    runtime().block_on(async {
        let kube = connect(&kc).await;
        prepare(&kube, &case, op, true).await;
        for o in [&sched, &long] {
            apply(&kube, o, false).await.unwrap_or_else(|e| panic!("{}: {e}", key(o)));
        }
        let ns = sched["metadata"]["namespace"].as_str().unwrap();
        let name = sched["metadata"]["name"].as_str().unwrap();
        let sar = resource_of(&sched);
        let run: Result<String, String> = eventually!(
            "the first run",
            Duration::from_secs(150),
            async {
                let s = kube.get(&sar, Some(ns), name).await.ok().flatten()?;
                s["status"]["lastRunName"].as_str().filter(|n| !n.is_empty()).map(str::to_string)
            }
            .await
        );
        let run = run.unwrap_or_else(|e| panic!("{e}\n\noperator log:\n{}", op.log_tail()));
        assert!(run.starts_with(&format!("{name}-")), "the run is named {run}");
        let app = json!({"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": run, "namespace": ns}});
        let pod = driver_running(&kube, &app, Duration::from_secs(300)).await;
        // The long one was due at the same minute: the controller's attempt is refused by the webhook.
        let refusal = format!("invalid SparkApplication name \\\"{LONG_SCHEDULED}-");
        let controller_log = op.dir.join("controller.log");
        let refused: Result<(), String> = eventually!(
            "the controller's refused run of the long-named schedule",
            Duration::from_secs(60),
            std::fs::read_to_string(&controller_log).ok().filter(|l| l.contains(&refusal)).map(|_| ())
        );
        let long_run = kube.get(&sar, Some(ns), LONG_SCHEDULED).await.ok().flatten();
        cleanup(&kube, &case).await;
        let pod = pod.unwrap_or_else(|e| panic!("{e}\n\noperator log:\n{}", op.log_tail()));
        let missing = mutation_missing(&sched, "driver", &pod);
        assert!(missing.is_empty(), "the run's driver pod: {missing:?}");
        refused.unwrap_or_else(|e| panic!("{e}: no {refusal:?} in {}", controller_log.display()));
        let last = long_run.as_ref().map(|s| s["status"]["lastRunName"].clone()).unwrap_or(Value::Null);
        assert!(last.as_str().is_none_or(str::is_empty), "the long-named schedule has a run: {last}");
    });
}

// ------------------------------------------------------------------------------------------------------
// 5. The differential

#[derive(Clone, Copy, PartialEq)]
enum Judge {
    /// The validating webhook, on a dry run.
    Webhook,
    /// The ScheduledSparkApplication controller: `status.scheduleState` is `FailedValidation`.
    Controller,
    /// The validating webhook's quota enforcement, on a dry run in a namespace with the tenant's quota.
    Quota,
}

/// How the violation is written into the object strata emits for the valid variant.
enum Violation {
    Field(fn(&mut Value)),
    /// `sparkConf[key] = "x"` (in the template of a scheduled application).
    Conf(&'static str),
}

/// One rule: `valid` and `invalid` are (name, body) of a job strata checks; `violation` writes the
/// violation into the object strata emits for `valid`.
struct Rule {
    code: &'static str,
    valid: (&'static str, String),
    invalid: (&'static str, String),
    violation: Violation,
    judge: Judge,
}

impl Rule {
    fn webhook(
        code: &'static str,
        valid: (&'static str, &str),
        invalid: (&'static str, &str),
        f: fn(&mut Value),
    ) -> Rule {
        Rule {
            code,
            valid: (valid.0, valid.1.into()),
            invalid: (invalid.0, invalid.1.into()),
            violation: Violation::Field(f),
            judge: Judge::Webhook,
        }
    }

    fn conf(key: &'static str, scheduled: bool) -> Rule {
        let base = if scheduled { DAILY } else { "" };
        Rule {
            code: "strata::spark::conf-denied",
            valid: ("job", base.into()),
            invalid: ("job", format!("{base}\n    conf \"{key}\" \"x\"")),
            violation: Violation::Conf(key),
            judge: Judge::Webhook,
        }
    }

    fn quota(invalid: &str, f: fn(&mut Value)) -> Rule {
        Rule {
            code: "strata::quota::fit",
            valid: ("job", String::new()),
            invalid: ("job", invalid.into()),
            violation: Violation::Field(f),
            judge: Judge::Quota,
        }
    }

    fn spec(&self, (name, body): (&str, &str)) -> String {
        if self.judge == Judge::Quota { job_spec_with_quota(name, body) } else { job_spec(name, body) }
    }

    fn schedule(code: &'static str, invalid: &str, f: fn(&mut Value)) -> Rule {
        Rule {
            code,
            valid: ("job", DAILY.into()),
            invalid: ("job", invalid.into()),
            violation: Violation::Field(f),
            judge: Judge::Controller,
        }
    }

    /// What tells this rule's violation apart in messages and in `KNOWN_DIFFERENCES`.
    fn what(&self) -> String {
        let scheduled = if self.valid.1.contains("schedule") { " (scheduled)" } else { "" };
        match &self.violation {
            Violation::Conf(k) => format!("sparkConf {k}{scheduled}"),
            Violation::Field(_) if self.invalid.0 != self.valid.0 => format!("name {}{scheduled}", self.invalid.0),
            Violation::Field(_) => self.invalid.1.trim().to_string(),
        }
    }

    fn violate(&self, o: &mut Value) {
        match &self.violation {
            Violation::Field(f) => f(o),
            Violation::Conf(k) => app_spec_mut(o)["sparkConf"] = json!({*k: "x"}),
        }
    }
}

const DAILY: &str = "    schedule \"0 3 * * *\" timezone=\"UTC\"";
/// 64 characters: a DNS-1123 subdomain (the API server takes it), one more than a DNS-1035 label allows.
const LONG_NAME: &str = "a-job-name-of-sixty-four-characters-is-one-more-than-dns-allows1";
/// 44 characters: one more than a scheduled job may have (its runs add 20).
const LONG_SCHEDULED: &str = "a-schedule-of-forty-four-characters-for-runs";

/// The operator's denied keys (`internal/webhook/sparkconf_validator.go` `deniedSparkConfKeys`, v2.5.2).
const OPERATOR_DENIED: &[&str] = &[
    "spark.kubernetes.authenticate.driver.serviceAccountName",
    "spark.kubernetes.authenticate.executor.serviceAccountName",
    "spark.kubernetes.authenticate.oauthTokenFile",
    "spark.kubernetes.authenticate.oauthToken",
    "spark.kubernetes.authenticate.driver.oauthTokenFile",
    "spark.kubernetes.authenticate.driver.oauthToken",
    "spark.kubernetes.authenticate.executor.oauthTokenFile",
    "spark.kubernetes.authenticate.executor.oauthToken",
    "spark.master",
    "spark.kubernetes.driver.master",
    "spark.kubernetes.container.image",
    "spark.kubernetes.driver.container.image",
    "spark.kubernetes.executor.container.image",
];

fn rules() -> Vec<Rule> {
    let mut rules = vec![
        Rule::webhook("strata::spark::name", ("job", ""), ("1-job", ""), |o| o["metadata"]["name"] = json!("1-job")),
        Rule::webhook("strata::spark::name", ("job", ""), ("daily.job", ""), |o| {
            o["metadata"]["name"] = json!("daily.job")
        }),
        Rule::webhook("strata::spark::name", ("job", ""), (LONG_NAME, ""), |o| {
            o["metadata"]["name"] = json!(LONG_NAME)
        }),
        Rule::webhook("strata::spark::name", ("job", DAILY), ("1-job", DAILY), |o| {
            o["metadata"]["name"] = json!("1-job")
        }),
        Rule::webhook("strata::spark::name", ("job", DAILY), (LONG_SCHEDULED, DAILY), |o| {
            o["metadata"]["name"] = json!(LONG_SCHEDULED)
        }),
        Rule::webhook(
            "strata::spark::conf-namespace",
            ("job", "    conf \"spark.kubernetes.namespace\" \"t\""),
            ("job", "    conf \"spark.kubernetes.namespace\" \"other\""),
            |o| o["spec"]["sparkConf"]["spark.kubernetes.namespace"] = json!("other"),
        ),
        Rule::schedule("strata::spark::cron", "    schedule \"60 3 * * *\" timezone=\"UTC\"", |o| {
            o["spec"]["schedule"] = json!("60 3 * * *")
        }),
        Rule::schedule("strata::spark::cron", "    schedule \"0 3 * *\" timezone=\"UTC\"", |o| {
            o["spec"]["schedule"] = json!("0 3 * *")
        }),
        // 9 cores requested (the operator counts `cores`, strata the same here: no core-request) for 4.
        Rule::quota("    executors 8 cores=1 memory=\"1g\"", |o| o["spec"]["executor"]["instances"] = json!(8)),
        // 18Gi of memory for 16Gi, counted once: over by strata's count and by the operator's.
        Rule::quota("    executors 2 cores=1 memory=\"8g\"", |o| {
            o["spec"]["executor"]["instances"] = json!(2);
            o["spec"]["executor"]["memory"] = json!("8g");
            o["spec"]["executor"]["memoryOverhead"] = json!("819m");
        }),
        Rule::schedule("strata::spark::timezone", "    schedule \"0 3 * * *\" timezone=\"Europe/Berln\"", |o| {
            o["spec"]["timeZone"] = json!("Europe/Berln")
        }),
    ];
    rules.extend(OPERATOR_DENIED.iter().map(|k| Rule::conf(k, false)));
    // The ScheduledSparkApplication validator checks its template's sparkConf the same way.
    rules.push(Rule::conf("spark.master", true));
    // strata denies every `spark.kubernetes.authenticate.*oauthToken*` key; the operator lists six.
    rules.push(Rule::conf("spark.kubernetes.authenticate.submission.oauthToken", false));
    rules
}

/// Rules (code, `Rule::what`) where strata and the operator differ on purpose, and why. Anything else
/// that differs fails the test.
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "strata::spark::name",
        "name a-schedule-of-forty-four-characters-for-runs (scheduled)",
        "the webhook checks the ScheduledSparkApplication's own name only; each run is named \
         `<name>-<19-digit timestamp>` (64 characters here), which the webhook refuses when the controller \
         creates it (kubeflow/spark-operator#1549; `a_scheduled_spark_application_creates_its_run_on_schedule` \
         sees that refusal)",
    ),
    (
        "strata::spark::conf-denied",
        "sparkConf spark.kubernetes.authenticate.submission.oauthToken",
        "strata refuses every `spark.kubernetes.authenticate.*oauthToken*` key; the operator lists six of them \
         and takes the submission client's token (it runs spark-submit with its own credentials)",
    ),
];

#[test]
fn spark_rules_agree_with_the_operator() {
    let Some((op, kc)) = operator("spark_rules_agree_with_the_operator") else { return };
    let prefix = unique("spdiff");
    runtime().block_on(async {
        let kube = connect(&kc).await;
        let mut disagreements = Vec::new();
        let mut pending = Vec::new();
        let mut cases = Vec::new();
        for (i, r) in rules().iter().enumerate() {
            let valid_spec = r.spec((r.valid.0, &r.valid.1));
            let valid_errors = strata_errors(&valid_spec);
            assert!(valid_errors.is_empty(), "{}: strata refuses the valid variant: {valid_errors:?}", r.code);
            let errors = strata_errors(&r.spec((r.invalid.0, &r.invalid.1)));
            if !errors.iter().any(|e| e.starts_with(&format!("{}:", r.code))) {
                disagreements.push(format!("{} ({}): strata does not refuse it: {errors:?}", r.code, r.what()));
                continue;
            }
            let case = probe_case(&format!("{prefix}-r{i}"), &valid_spec);
            prepare(&kube, &case, op, r.judge == Judge::Controller).await;
            let valid = case.apps[0].clone();
            let mut bad = valid.clone();
            r.violate(&mut bad);
            let known = KNOWN_DIFFERENCES.iter().find(|(c, w, _)| *c == r.code && *w == r.what());
            if r.judge == Judge::Quota {
                apply_quotas(&kube, &case).await;
            }
            match r.judge {
                Judge::Webhook | Judge::Quota => {
                    if let Err(e) = apply(&kube, &valid, true).await {
                        disagreements.push(format!(
                            "{}: the operator refuses the valid variant {}: {e}",
                            r.code,
                            key(&valid)
                        ));
                    }
                    let refused = apply(&kube, &bad, true).await.err();
                    eprintln!("{} ({}): webhook: {}", r.code, r.what(), refused.as_deref().unwrap_or("accepts"));
                    judge(&mut disagreements, r, refused, known);
                }
                Judge::Controller => {
                    let mut bad = bad;
                    bad["metadata"]["name"] = json!(format!("{}-bad", bad["metadata"]["name"].as_str().unwrap()));
                    for o in [&valid, &bad] {
                        apply(&kube, o, false).await.unwrap_or_else(|e| panic!("{}: {}: {e}", r.code, key(o)));
                    }
                    pending.push((i, valid, bad, known));
                }
            }
            cases.push(case);
        }
        let all = rules();
        for (i, valid, bad, known) in pending {
            let r = &all[i];
            let v: Result<(String, String), String> = eventually!(
                format!("the schedule state of {}", key(&valid)),
                Duration::from_secs(60),
                schedule_state(&kube, &valid).await
            );
            let b: Result<(String, String), String> = eventually!(
                format!("the schedule state of {}", key(&bad)),
                Duration::from_secs(60),
                schedule_state(&kube, &bad).await
            );
            match (v, b) {
                (Ok((vs, vr)), Ok((bs, br))) => {
                    if vs != "Scheduled" {
                        disagreements.push(format!(
                            "{}: the operator's controller refuses the valid variant: {vs} {vr}",
                            r.code
                        ));
                    }
                    let refused = (bs == "FailedValidation").then(|| format!("{bs}: {br}"));
                    eprintln!("{} ({}): controller: {}", r.code, r.what(), refused.as_deref().unwrap_or(&bs));
                    judge(&mut disagreements, r, refused, known);
                }
                (v, b) => disagreements.push(format!("{}: no schedule state: {v:?} {b:?}", r.code)),
            }
        }
        for case in &cases {
            cleanup(&kube, case).await;
        }
        assert!(
            disagreements.is_empty(),
            "strata's Spark rules and the operator disagree:\n{}\n\noperator log:\n{}",
            disagreements.join("\n"),
            op.log_tail()
        );
    });
}

/// `status.scheduleState` and `status.reason` of a ScheduledSparkApplication, once the controller set them.
async fn schedule_state(kube: &Kube, o: &Value) -> Option<(String, String)> {
    let (ns, name) = (o["metadata"]["namespace"].as_str()?, o["metadata"]["name"].as_str()?);
    let s = kube.get(&resource_of(o), Some(ns), name).await.ok().flatten()?;
    let state = s["status"]["scheduleState"].as_str().filter(|s| !s.is_empty())?.to_string();
    Some((state, s["status"]["reason"].as_str().unwrap_or_default().to_string()))
}

fn judge(out: &mut Vec<String>, r: &Rule, refused: Option<String>, known: Option<&(&str, &str, &str)>) {
    match (refused, known) {
        (Some(_), None) | (None, Some(_)) => {}
        (None, None) => out.push(format!("{} ({}): strata refuses, the operator accepts", r.code, r.what())),
        (Some(e), Some(_)) => out.push(format!(
            "{} ({}): listed as a known difference, but the operator refuses it too ({e}): remove it from the list",
            r.code,
            r.what()
        )),
    }
}
