//! The typed custom resources of `strata::crd` against the two things they must agree with.
//!
//! - What emit produces: every custom resource of every spec that compiles (the bundled platform, the golden
//!   cases, the diff golden revisions) reads into its type, which refuses unknown fields, and writes back to
//!   the same JSON, so emit can build the types without changing a byte of output.
//! - The pinned CRDs (`shared/crds/SOURCES.md`): every field path a type can write exists in the CRD's
//!   `openAPIV3Schema` of the version strata emits, with the schema's JSON type; enums have exactly the
//!   CRD's values; fields the CRD requires are not optional. The paths come from the types' own serde field
//!   lists (a tracing `Deserializer` walks them), so a field added to a type is checked without touching
//!   this file. The CRDs are read from `$STRATA_CRDS_DIR`, else `../shared/crds` next to the repository,
//!   else `scripts/fetch-crds`' cache; without them the test says SKIPPED, and under `CI=true` it fails.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use strata::crd::CustomResource;
use strata::crd::eso::ExternalSecret;
use strata::crd::flink::{FlinkDeployment, FlinkSessionJob};
use strata::crd::keda::{ScaledObject, TriggerAuthentication};
use strata::crd::prometheus::{PodMonitor, PrometheusRule};
use strata::crd::spark::{ScheduledSparkApplication, SparkApplication};
use strata::crd::strimzi::{KafkaTopic, KafkaUser};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every spec in the repository that should compile: the bundled platform, each golden case without
/// errors, and both revisions of each diff golden case written as a spec.
fn specs() -> Vec<PathBuf> {
    let root = repo();
    let mut v = vec![root.join("platform.kdl")];
    let dirs = |d: &str| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> =
            std::fs::read_dir(root.join(d)).expect(d).filter_map(Result::ok).map(|e| e.path()).collect();
        v.sort();
        v
    };
    v.extend(dirs("golden").into_iter().map(|d| d.join("platform.kdl")));
    for d in dirs("golden-diff") {
        v.extend(["base", "head"].map(|s| d.join(s).join("platform.kdl")));
    }
    v.retain(|p| p.is_file());
    v
}

/// The built-in API groups strata emits (typed by k8s-openapi); any other group is a custom resource and
/// must have a `strata::crd` type.
const BUILT_IN_GROUPS: &[&str] = &[
    "",
    "apps",
    "autoscaling",
    "batch",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "scheduling.k8s.io",
];

/// Reads `v` as `T` and writes it back; `Err` says how the two differ.
fn round_trip<T: CustomResource>(v: &Value) -> Result<(), String> {
    let typed = T::from_value(v).map_err(|e| format!("does not read as {}: {e}", T::KIND))?;
    let back = typed.to_value();
    if back != *v {
        return Err(format!("reads as {} but writes back differently:\n  emitted: {v}\n  typed:   {back}", T::KIND));
    }
    // Equal values render alike, but golden files pin bytes: compare those too.
    let (a, b) = (serde_json::to_string(v), serde_json::to_string(&back));
    if a.as_ref().ok() != b.as_ref().ok() {
        return Err(format!("{} writes back to other bytes", T::KIND));
    }
    Ok(())
}

#[test]
fn every_emitted_custom_resource_round_trips_through_its_type() {
    let specs = specs();
    assert!(specs.len() > 20, "found only {} specs", specs.len());
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut compiled = 0;
    for spec in &specs {
        for c in strata::compile_path_envs(spec) {
            if !c.ok() {
                continue;
            }
            let Some(set) = c.manifests else { continue };
            compiled += 1;
            for m in &set.items {
                let result = match (m.group(), m.kind.as_str()) {
                    (KafkaTopic::GROUP, KafkaTopic::KIND) => round_trip::<KafkaTopic>(&m.object),
                    (KafkaUser::GROUP, KafkaUser::KIND) => round_trip::<KafkaUser>(&m.object),
                    (SparkApplication::GROUP, SparkApplication::KIND) => round_trip::<SparkApplication>(&m.object),
                    (ScheduledSparkApplication::GROUP, ScheduledSparkApplication::KIND) => {
                        round_trip::<ScheduledSparkApplication>(&m.object)
                    }
                    (FlinkDeployment::GROUP, FlinkDeployment::KIND) => round_trip::<FlinkDeployment>(&m.object),
                    (ScaledObject::GROUP, ScaledObject::KIND) => round_trip::<ScaledObject>(&m.object),
                    (TriggerAuthentication::GROUP, TriggerAuthentication::KIND) => {
                        round_trip::<TriggerAuthentication>(&m.object)
                    }
                    (PodMonitor::GROUP, PodMonitor::KIND) => round_trip::<PodMonitor>(&m.object),
                    (PrometheusRule::GROUP, PrometheusRule::KIND) => round_trip::<PrometheusRule>(&m.object),
                    (ExternalSecret::GROUP, ExternalSecret::KIND) => round_trip::<ExternalSecret>(&m.object),
                    (g, _) if BUILT_IN_GROUPS.contains(&g) => continue,
                    _ => Err(format!("{} is a custom resource without a strata::crd type", m.api_version)),
                };
                *seen.entry(format!("{} {}", m.api_version, m.kind)).or_default() += 1;
                if let Err(e) = result {
                    failures.push(format!("{} ({}): {}: {e}", spec.display(), m.origin, m.key()));
                }
            }
        }
    }
    assert!(compiled > 15, "only {compiled} specs compiled");
    assert!(failures.is_empty(), "{} objects do not round-trip:\n{}", failures.len(), failures.join("\n"));
    // Each type met the emitter at least once, for both Strimzi API versions.
    for kind in [
        "kafka.strimzi.io/v1 KafkaTopic",
        "kafka.strimzi.io/v1beta2 KafkaTopic",
        "kafka.strimzi.io/v1 KafkaUser",
        "kafka.strimzi.io/v1beta2 KafkaUser",
        "sparkoperator.k8s.io/v1beta2 SparkApplication",
        "sparkoperator.k8s.io/v1beta2 ScheduledSparkApplication",
        "flink.apache.org/v1beta1 FlinkDeployment",
        "keda.sh/v1alpha1 ScaledObject",
        "keda.sh/v1alpha1 TriggerAuthentication",
        "monitoring.coreos.com/v1 PodMonitor",
        "monitoring.coreos.com/v1 PrometheusRule",
        "external-secrets.io/v1 ExternalSecret",
    ] {
        assert!(seen.get(kind).is_some_and(|n| *n > 0), "no emitted {kind} in the corpus: {seen:?}");
    }
}

#[test]
fn a_field_the_type_lacks_is_refused() {
    let topic = serde_json::json!({"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
        "metadata": {"name": "t"}, "spec": {"partitions": 3, "retentionMs": 1000}});
    let e = KafkaTopic::from_value(&topic).expect_err("an unknown spec field");
    assert!(e.to_string().contains("retentionMs"), "{e}");
}

/// Emit maps the model's enums onto the types' enums (a total match): the spellings the spec accepts must
/// be exactly the CRD's. ACL operations, Flink versions and upgrade modes the model takes from the types
/// themselves.
#[test]
fn the_models_values_are_the_types_values() {
    use strata::crd::spark::{RestartPolicyType, SparkApplicationType};

    let spellings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let types: Vec<&str> = SparkApplicationType::ALL.iter().map(|t| t.as_str()).collect();
    assert_eq!(spellings(&types), spellings(strata::model::spark::AppType::NAMES));
    let restarts: Vec<&str> = RestartPolicyType::ALL.iter().map(|t| t.as_str()).collect();
    assert_eq!(spellings(&restarts), spellings(strata::model::spark::RestartType::NAMES));
}

// ---- The schema check -------------------------------------------------------------------------------------

/// What a type reads at one path.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Bool,
    Integer,
    Number,
    String,
    /// A JSON value, number or quantity of any form (`deserialize_any`).
    Any,
    Enum(&'static [&'static str]),
    /// A struct: its Rust name and fields.
    Object(&'static str, &'static [&'static str]),
    Map,
    Array,
    /// The object's metadata, which the apiserver owns (a CRD cannot describe it).
    Metadata,
}

#[derive(Debug, Default)]
struct Trace {
    shapes: BTreeMap<Vec<String>, Shape>,
    optional: BTreeSet<Vec<String>>,
}

/// Every path `T` reads (and so writes: serde's field lists are shared by both directions), with its shape.
fn trace<T: for<'de> Deserialize<'de>>() -> Trace {
    let t = RefCell::new(Trace::default());
    if let Err(e) = T::deserialize(Tracer { trace: &t, path: Vec::new() }) {
        panic!("tracing {}: {e}", std::any::type_name::<T>());
    }
    t.into_inner()
}

#[derive(Debug)]
struct TraceError(String);

impl std::fmt::Display for TraceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TraceError {}

impl de::Error for TraceError {
    fn custom<M: std::fmt::Display>(msg: M) -> Self {
        TraceError(msg.to_string())
    }
}

/// A `Deserializer` that answers every request with one plausible value and records what was asked where:
/// each struct with all its fields, each sequence with one item, each map with one entry `*`.
struct Tracer<'t> {
    trace: &'t RefCell<Trace>,
    path: Vec<String>,
}

impl<'t> Tracer<'t> {
    fn record(&self, shape: Shape) -> Result<(), TraceError> {
        if self.path.len() > 24 {
            return Err(TraceError(format!("a recursive type at {}", self.path.join("."))));
        }
        self.trace.borrow_mut().shapes.insert(self.path.clone(), shape);
        Ok(())
    }

    fn child(&self, segment: &str) -> Tracer<'t> {
        let mut path = self.path.clone();
        path.push(segment.to_string());
        Tracer { trace: self.trace, path }
    }
}

/// A string every string-backed type takes, timestamps included (metadata inside pod specs has them).
const PLAUSIBLE: &str = "1970-01-01T00:00:00Z";

macro_rules! leaf {
    ($($method:ident => $shape:expr, $visit:ident($($value:expr)?);)+) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
            self.record($shape)?;
            visitor.$visit($($value)?)
        })+
    };
}

impl<'de, 't> de::Deserializer<'de> for Tracer<'t> {
    type Error = TraceError;

    leaf! {
        deserialize_any => Shape::Any, visit_u64(1);
        deserialize_bool => Shape::Bool, visit_bool(false);
        deserialize_i8 => Shape::Integer, visit_i8(1);
        deserialize_i16 => Shape::Integer, visit_i16(1);
        deserialize_i32 => Shape::Integer, visit_i32(1);
        deserialize_i64 => Shape::Integer, visit_i64(1);
        deserialize_u8 => Shape::Integer, visit_u8(1);
        deserialize_u16 => Shape::Integer, visit_u16(1);
        deserialize_u32 => Shape::Integer, visit_u32(1);
        deserialize_u64 => Shape::Integer, visit_u64(1);
        deserialize_f32 => Shape::Number, visit_f32(1.0);
        deserialize_f64 => Shape::Number, visit_f64(1.0);
        deserialize_char => Shape::String, visit_char('x');
        deserialize_str => Shape::String, visit_str(PLAUSIBLE);
        deserialize_string => Shape::String, visit_str(PLAUSIBLE);
        deserialize_bytes => Shape::String, visit_bytes(b"x");
        deserialize_byte_buf => Shape::String, visit_bytes(b"x");
        deserialize_unit => Shape::Any, visit_unit();
        deserialize_identifier => Shape::String, visit_str("x");
        deserialize_ignored_any => Shape::Any, visit_unit();
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.trace.borrow_mut().optional.insert(self.path.clone());
        visitor.visit_some(self)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, TraceError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, TraceError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.record(Shape::Array)?;
        visitor.visit_seq(One { item: Some(self.child("[]")) })
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, TraceError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.record(Shape::Map)?;
        visitor.visit_map(Fields { keys: &["*"], at: 0, parent: self })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        self.record(Shape::Object(name, fields))?;
        visitor.visit_map(Fields { keys: fields, at: 0, parent: self })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        self.record(Shape::Enum(variants))?;
        let first = variants.first().ok_or_else(|| TraceError("an enum without variants".into()))?;
        visitor.visit_enum(IntoDeserializer::<TraceError>::into_deserializer(*first))
    }
}

/// The one item of a traced sequence.
struct One<'t> {
    item: Option<Tracer<'t>>,
}

impl<'de, 't> SeqAccess<'de> for One<'t> {
    type Error = TraceError;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, TraceError> {
        self.item.take().map(|t| seed.deserialize(t)).transpose()
    }
}

/// The fields of a traced struct (or the one `*` entry of a map), each traced at its own path.
struct Fields<'t> {
    keys: &'static [&'static str],
    at: usize,
    parent: Tracer<'t>,
}

impl<'de, 't> MapAccess<'de> for Fields<'t> {
    type Error = TraceError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, TraceError> {
        let Some(key) = self.keys.get(self.at) else { return Ok(None) };
        seed.deserialize(IntoDeserializer::<TraceError>::into_deserializer(*key)).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, TraceError> {
        let key = self.keys[self.at];
        self.at += 1;
        let child = self.parent.child(key);
        if child.path == ["metadata"] {
            // The top-level metadata is the apiserver's ObjectMeta: record it, read it as `{}`.
            child.record(Shape::Metadata)?;
            return seed.deserialize(Value::Object(Default::default())).map_err(de::Error::custom);
        }
        seed.deserialize(child)
    }
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Written straight to stderr: libtest captures `eprintln!` of passing tests, and a skip must show.
fn skipped(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED the_types_are_fields_of_the_pinned_crds: {message}");
}

/// The folder with the pinned CRD files: `$STRATA_CRDS_DIR`, else `../shared/crds` next to the repository,
/// else `scripts/fetch-crds`' cache (where `scripts/test-cluster` puts the primary set on a machine without
/// `shared/`). The first that has any of the files; under `CI=true`, one with all of them, fetching the
/// missing ones with `scripts/fetch-crds --all` (the Strimzi 0.51 compatibility set is not fetched by
/// default).
fn crds_dir() -> Option<PathBuf> {
    let cache = std::env::var_os("STRATA_CRDS_CACHE").map(PathBuf::from).or_else(|| {
        std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
            .map(|c| c.join("strata").join("crds"))
    });
    let candidates: Vec<PathBuf> = match std::env::var_os("STRATA_CRDS_DIR") {
        Some(d) => vec![PathBuf::from(d)],
        None => [Some(repo().join("../shared/crds")), cache].into_iter().flatten().collect(),
    };
    let has = |d: &Path, all: bool| {
        let mut present = CRDS.iter().map(|(file, ..)| d.join(file).is_file());
        if all { present.all(|p| p) } else { present.any(|p| p) }
    };
    let looked = candidates.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ");
    if !ci() {
        let found = candidates.iter().find(|d| has(d, false)).cloned();
        if found.is_none() {
            skipped(&format!(
                "no pinned CRD files in {looked}; set STRATA_CRDS_DIR (shared/crds) or run scripts/fetch-crds --all"
            ));
        }
        return found;
    }
    if let Some(d) = candidates.iter().find(|d| has(d, true)) {
        return Some(d.clone());
    }
    let fetched = std::process::Command::new(repo().join("scripts/fetch-crds"))
        .arg("--all")
        .env_remove("STRATA_CRDS_DIR")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8_lossy(&o.stdout).lines().last().map(PathBuf::from));
    match fetched {
        Some(d) if has(&d, true) => Some(d),
        _ => panic!(
            "CI=true: the pinned CRD files are not all in {looked}, and scripts/fetch-crds --all could not fetch them"
        ),
    }
}

/// Each type, the CRD file and version it mirrors, and the paths that CRD lacks on purpose.
type Check = (&'static str, &'static str, &'static str, fn() -> Trace, &'static [&'static str]);

const CRDS: &[Check] = &[
    ("strimzi-1.2.0-kafkatopics.kafka.strimzi.io.yaml", "v1", KafkaTopic::KIND, trace::<KafkaTopic>, &[]),
    ("strimzi-0.51.0-kafkatopics.kafka.strimzi.io.yaml", "v1beta2", KafkaTopic::KIND, trace::<KafkaTopic>, &[]),
    ("strimzi-1.2.0-kafkausers.kafka.strimzi.io.yaml", "v1", KafkaUser::KIND, trace::<KafkaUser>, &[]),
    // Per-user certificate validity is Strimzi 1.x only; `strata::kafka::certificate-days` refuses it on
    // clusters declared `api-version="v1beta2"`, so these never reach a 0.51 cluster.
    (
        "strimzi-0.51.0-kafkausers.kafka.strimzi.io.yaml",
        "v1beta2",
        KafkaUser::KIND,
        trace::<KafkaUser>,
        &["spec.authentication.validityDays", "spec.authentication.renewalDays"],
    ),
    (
        "kubeflow-spark-operator-v2.5.2-sparkapplications.sparkoperator.k8s.io.yaml",
        "v1beta2",
        SparkApplication::KIND,
        trace::<SparkApplication>,
        &[],
    ),
    (
        "kubeflow-spark-operator-v2.5.2-scheduledsparkapplications.sparkoperator.k8s.io.yaml",
        "v1beta2",
        ScheduledSparkApplication::KIND,
        trace::<ScheduledSparkApplication>,
        &[],
    ),
    (
        "flink-kubernetes-operator-1.15.0-flinkdeployments.flink.apache.org.yaml",
        "v1beta1",
        FlinkDeployment::KIND,
        trace::<FlinkDeployment>,
        &[],
    ),
    (
        "flink-kubernetes-operator-1.15.0-flinksessionjobs.flink.apache.org.yaml",
        "v1beta1",
        FlinkSessionJob::KIND,
        trace::<FlinkSessionJob>,
        &[],
    ),
    ("keda-2.20.2-scaledobjects.keda.sh.yaml", "v1alpha1", ScaledObject::KIND, trace::<ScaledObject>, &[]),
    (
        "keda-2.20.2-triggerauthentications.keda.sh.yaml",
        "v1alpha1",
        TriggerAuthentication::KIND,
        trace::<TriggerAuthentication>,
        &[],
    ),
    (
        "prometheus-operator-0.93.0-podmonitors.monitoring.coreos.com.yaml",
        "v1",
        PodMonitor::KIND,
        trace::<PodMonitor>,
        &[],
    ),
    (
        "prometheus-operator-0.93.0-prometheusrules.monitoring.coreos.com.yaml",
        "v1",
        PrometheusRule::KIND,
        trace::<PrometheusRule>,
        &[],
    ),
    (
        "external-secrets-2.9.0-externalsecrets.external-secrets.io.yaml",
        "v1",
        ExternalSecret::KIND,
        trace::<ExternalSecret>,
        &[],
    ),
];

/// The schema below `s` at `segment`: a property, the items of an array (`[]`), the values of a map (`*`).
/// `Ok(None)` when the schema leaves the place open (`x-kubernetes-preserve-unknown-fields`).
fn step<'s>(s: &'s Value, segment: &str) -> Result<Option<&'s Value>, String> {
    let open = s.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    let next = match segment {
        "[]" => s.get("items"),
        "*" => s.get("additionalProperties").filter(|a| a.is_object()),
        field => s.get("properties").and_then(|p| p.get(field)),
    };
    match next {
        Some(n) => Ok(Some(n)),
        None if open => Ok(None),
        None if segment == "*" && s.get("additionalProperties") == Some(&Value::Bool(true)) => Ok(None),
        None => Err("not in the CRD".to_string()),
    }
}

/// The names of the structs in `src/crd/`, as serde passes them to `deserialize_struct`.
fn strata_structs() -> &'static BTreeSet<String> {
    static NAMES: std::sync::OnceLock<BTreeSet<String>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let dir = repo().join("src/crd");
        let mut names = BTreeSet::new();
        for e in std::fs::read_dir(&dir).expect("src/crd").filter_map(Result::ok) {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            for line in text.lines() {
                if let Some(rest) = line.trim_start().strip_prefix("pub struct ") {
                    names.insert(
                        rest.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or("").to_string(),
                    );
                }
            }
        }
        assert!(names.len() > 20, "found only {names:?} in {}", dir.display());
        names
    })
}

fn json_type(s: &Value) -> Option<&str> {
    s.get("type").and_then(Value::as_str)
}

/// Whether the schema at a path takes what the type writes there; `Err` says why not.
/// `own` tells strata's structs from k8s-openapi's, which read every field as optional and check presence
/// afterwards, so only strata's show whether they require a field.
fn fits(
    shape: &Shape,
    s: &Value,
    own: &dyn Fn(&str) -> bool,
    required_by_type: &dyn Fn(&str) -> bool,
) -> Result<(), String> {
    let int_or_string = s.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true));
    let want = |t: &str| -> Result<(), String> {
        match json_type(s) {
            Some(have) if have == t => Ok(()),
            _ if int_or_string && (t == "integer" || t == "string") => Ok(()),
            None if s.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) => Ok(()),
            have => Err(format!("the type writes {t}, the CRD has {}", have.unwrap_or("no type"))),
        }
    };
    match shape {
        Shape::Bool => want("boolean"),
        Shape::Integer => want("integer"),
        // A JSON number may be written where the CRD has `integer` only by a type that means an integer.
        Shape::Number => want("number"),
        Shape::String => want("string"),
        Shape::Any | Shape::Metadata => Ok(()),
        Shape::Array => want("array"),
        Shape::Map => want("object"),
        Shape::Enum(variants) => {
            want("string")?;
            let crd: BTreeSet<&str> =
                s.get("enum").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
            let ours: BTreeSet<&str> = variants.iter().copied().collect();
            if crd != ours {
                return Err(format!("the type's values {ours:?} are not the CRD's enum {crd:?}"));
            }
            Ok(())
        }
        Shape::Object(name, fields) => {
            if json_type(s).is_some_and(|t| t != "object") {
                return Err(format!("the type writes an object, the CRD has {}", json_type(s).unwrap_or_default()));
            }
            let required = s.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
            for r in required {
                if !fields.contains(&r) {
                    return Err(format!("the CRD requires `{r}`, which the type does not have"));
                }
                if own(name) && !required_by_type(r) {
                    return Err(format!("the CRD requires `{r}`, which the type leaves optional"));
                }
            }
            Ok(())
        }
    }
}

fn load_crd(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The problems of one type against one CRD version, as `path: why`.
fn check_against(
    crd: &Value,
    version: &str,
    kind: &str,
    t: &Trace,
    allowed_missing: &[&str],
    own: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    if crd["spec"]["names"]["kind"] != kind {
        return vec![format!("the CRD is for kind {}, not {kind}", crd["spec"]["names"]["kind"])];
    }
    let versions = crd["spec"]["versions"].as_array().cloned().unwrap_or_default();
    let Some(v) = versions.iter().find(|v| v["name"] == version) else {
        return vec![format!("the CRD has no version {version}")];
    };
    if v["served"] != true {
        return vec![format!("the CRD does not serve {version}")];
    }
    let root = &v["schema"]["openAPIV3Schema"];
    let mut problems = Vec::new();
    let mut allowed_used = BTreeSet::new();
    for (path, shape) in &t.shapes {
        // Every custom resource has these at the top; the apiserver owns them, and not every CRD lists them.
        if path.first().is_some_and(|p| ["apiVersion", "kind", "metadata"].contains(&p.as_str())) {
            continue;
        }
        let dotted = path.join(".").replace(".[]", "[]");
        // Walk down; a path under an open schema (or under one already reported) needs no more checks.
        let mut s = Some(root);
        let mut missing = None;
        for (i, segment) in path.iter().enumerate() {
            let Some(here) = s else { break };
            match step(here, segment) {
                Ok(next) => s = next,
                Err(why) => {
                    missing = Some((i, why));
                    break;
                }
            }
        }
        if let Some((i, why)) = missing {
            // Report each missing field once, at its own path, not again for everything below it.
            if i + 1 == path.len() {
                if allowed_missing.contains(&dotted.as_str()) {
                    allowed_used.insert(dotted.clone());
                } else {
                    problems.push(format!("{dotted}: {why}"));
                }
            }
            continue;
        }
        let Some(s) = s else { continue };
        let required_by_type = |field: &str| {
            let mut p = path.clone();
            p.push(field.to_string());
            t.shapes.contains_key(&p) && !t.optional.contains(&p)
        };
        if let Err(why) = fits(shape, s, own, &required_by_type) {
            problems.push(format!("{}: {why}", if dotted.is_empty() { "(root)" } else { &dotted }));
        }
    }
    for a in allowed_missing {
        if !allowed_used.contains(*a) {
            problems.push(format!("{a}: listed as missing from the CRD, but the CRD has it (or the type does not)"));
        }
    }
    problems
}

#[test]
fn the_types_are_fields_of_the_pinned_crds() {
    let Some(dir) = crds_dir() else { return };
    let mut failures = Vec::new();
    for (file, version, kind, trace, allowed_missing) in CRDS {
        let path = dir.join(file);
        if !path.is_file() {
            // Only outside CI: `crds_dir` insists on every file under CI=true.
            skipped(&format!("{kind} {version}: no {} (scripts/fetch-crds --all fetches it)", path.display()));
            continue;
        }
        let crd = load_crd(&path);
        let t = trace();
        assert!(t.shapes.len() > 5, "{kind}: traced only {:?}", t.shapes.keys().collect::<Vec<_>>());
        let own = |name: &str| strata_structs().contains(name);
        for p in check_against(&crd, version, kind, &t, allowed_missing, &own) {
            failures.push(format!("{kind} vs {file} {version}: {p}"));
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// The checker itself: a misspelt field, a wrong type and a foreign enum value are each caught.
#[test]
fn the_schema_check_catches_what_it_should() {
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        spec: ProbeSpec,
    }
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct ProbeSpec {
        partitions: Option<String>,
        replica: Option<i64>,
        color: Option<Color>,
        config: Option<BTreeMap<String, Value>>,
        labels: BTreeMap<String, String>,
    }
    #[derive(Serialize, Deserialize)]
    enum Color {
        #[serde(rename = "red")]
        Red,
    }
    let crd = serde_json::json!({"spec": {"names": {"kind": "Probe"}, "versions": [{"name": "v1", "served": true,
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object",
            "required": ["color"],
            "properties": {
                "partitions": {"type": "integer"},
                "replicas": {"type": "integer"},
                "color": {"type": "string", "enum": ["red", "blue"]},
                "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}}}}}}}}]}});
    let problems = check_against(&crd, "v1", "Probe", &trace::<Probe>(), &[], &|name| name.starts_with("Probe"));
    let joined = problems.join("\n");
    assert!(joined.contains("spec.partitions: the type writes string, the CRD has integer"), "{joined}");
    assert!(joined.contains("spec.replica: not in the CRD"), "{joined}");
    assert!(joined.contains("spec.color: the type's values"), "{joined}");
    assert!(joined.contains("spec: the CRD requires `color`, which the type leaves optional"), "{joined}");
    assert_eq!(problems.len(), 4, "{joined}");
}
