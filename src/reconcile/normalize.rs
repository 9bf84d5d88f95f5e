//! Pure comparisons between what strata sends and what the cluster holds: the applied-hash, the
//! "does the live object already say everything we would say" test behind no-op applies, and the
//! normalisation that makes `plan` diffs show intent instead of server bookkeeping.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::reconcile::ANNOTATION_APPLIED_HASH;

/// sha256 (hex) of the object's canonical JSON (keys sorted, as serde_json's map keeps them), without
/// the hash annotation itself.
pub fn applied_hash(object: &Value) -> String {
    let mut o = object.clone();
    if let Some(a) = o.pointer_mut("/metadata/annotations").and_then(Value::as_object_mut) {
        a.remove(ANNOTATION_APPLIED_HASH);
    }
    let digest = Sha256::digest(serde_json::to_string(&o).unwrap_or_default().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The object strata sends: the compiled object with its applied-hash annotation.
pub fn with_hash(object: &Value) -> Value {
    let hash = applied_hash(object);
    let mut o = object.clone();
    if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        let a = meta.entry("annotations").or_insert_with(|| Value::Object(Map::new()));
        if let Some(a) = a.as_object_mut() {
            a.insert(ANNOTATION_APPLIED_HASH.to_string(), Value::String(hash));
        }
    }
    o
}

/// True when every field of `desired` is in `live` with the same value. Maps may have extra keys in
/// `live` (server defaults, other managers' fields); lists must have the same length and match item by
/// item (strata's lists are atomic or keyed in the order it sends them; a reordered list reads as a
/// change and costs one apply that the server then reports as a no-op). Numbers compare by value.
///
/// Two server habits are allowed for: a field sent with its zero value (`false`, `0`, `""`, `[]`, `{}`)
/// may be absent from the live object (Go's `omitempty` drops it; the stored value is still the zero
/// value, and a different value set by someone else would show up and fail the test); and quantity
/// strings compare by amount, since the server stores them canonically (`pods: "1000"` reads back as
/// `"1k"`, `"0.5"` as `"500m"`).
pub fn contains(live: &Value, desired: &Value) -> bool {
    match (live, desired) {
        (Value::Object(l), Value::Object(d)) => {
            d.iter().all(|(k, dv)| l.get(k).map_or_else(|| is_zero(dv), |lv| contains(lv, dv)))
        }
        (Value::Array(l), Value::Array(d)) => l.len() == d.len() && l.iter().zip(d).all(|(lv, dv)| contains(lv, dv)),
        (Value::Number(l), Value::Number(d)) => l == d || l.as_f64() == d.as_f64(),
        (Value::String(l), Value::String(d)) => l == d || quantity_eq(l, d),
        (l, d) => l == d,
    }
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
    }
}

/// Two Kubernetes quantities with the same amount (`1000` = `1k`, `1024Mi` = `1Gi`, `0.5` = `500m`).
/// Strings that are not both quantities are never equal here.
pub fn quantity_eq(a: &str, b: &str) -> bool {
    matches!((quantity_nanos(a), quantity_nanos(b)), (Some(x), Some(y)) if x == y)
}

/// A quantity in billionths of its unit, exactly (None when not a quantity or too large).
fn quantity_nanos(s: &str) -> Option<i128> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-')).unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    if num.is_empty() || num == "." {
        return None;
    }
    let (neg, num) = match num.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, num.strip_prefix('+').unwrap_or(num)),
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) || frac.len() > 9 {
        return None;
    }
    let mantissa: i128 = format!("{int}{frac}").parse().ok()?;
    let scale = i32::try_from(frac.len()).ok()?;
    let (binary_pow, dec_exp): (u32, i32) = match suffix {
        "" => (0, 0),
        "n" => (0, -9),
        "u" => (0, -6),
        "m" => (0, -3),
        "k" => (0, 3),
        "M" => (0, 6),
        "G" => (0, 9),
        "T" => (0, 12),
        "P" => (0, 15),
        "E" => (0, 18),
        "Ki" => (10, 0),
        "Mi" => (20, 0),
        "Gi" => (30, 0),
        "Ti" => (40, 0),
        "Pi" => (50, 0),
        "Ei" => (60, 0),
        e if e.starts_with(['e', 'E']) => (0, e[1..].parse().ok()?),
        _ => return None,
    };
    let exp = 9 + dec_exp - scale;
    let mut v = mantissa.checked_mul(1i128.checked_shl(binary_pow)?)?;
    if exp >= 0 {
        v = v.checked_mul(10i128.checked_pow(u32::try_from(exp).ok()?)?)?;
    } else {
        let d = 10i128.checked_pow(u32::try_from(-exp).ok()?)?;
        if v % d != 0 {
            return None;
        }
        v /= d;
    }
    Some(if neg { -v } else { v })
}

/// `contains` for whole objects: ignores top-level apiVersion and kind (list items may lack them, and
/// the same object can be read through another served version).
pub fn object_contains(live: &Value, desired: &Value) -> bool {
    match (live, desired) {
        (Value::Object(l), Value::Object(d)) => {
            let strip = |m: &Map<String, Value>| -> Map<String, Value> {
                m.iter()
                    .filter(|(k, _)| *k != "apiVersion" && *k != "kind")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            };
            contains(&Value::Object(strip(l)), &Value::Object(strip(d)))
        }
        _ => false,
    }
}

/// Does `manager` hold an Apply entry in the object's managedFields?
pub fn applied_by(live: &Value, manager: &str) -> bool {
    apply_entry(live, manager).is_some()
}

/// `manager`'s server-side apply entry in `live`'s managedFields: what it owns is under `fieldsV1`.
pub fn apply_entry<'v>(live: &'v Value, manager: &str) -> Option<&'v Value> {
    live.pointer("/metadata/managedFields").and_then(Value::as_array)?.iter().find(|e| {
        e.get("manager").and_then(Value::as_str) == Some(manager)
            && e.get("operation").and_then(Value::as_str) == Some("Apply")
    })
}

const STRIPPED_METADATA: &[&str] =
    &["managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink"];
const STRIPPED_ANNOTATIONS: &[&str] =
    &["kubectl.kubernetes.io/last-applied-configuration", ANNOTATION_APPLIED_HASH, "deployment.kubernetes.io/revision"];

/// The object as a reviewer wants to see it: no status, no server bookkeeping, empty maps dropped,
/// Secret values masked.
pub fn for_diff(object: &Value) -> Value {
    let mut o = object.clone();
    let Some(map) = o.as_object_mut() else { return o };
    map.remove("status");
    if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in STRIPPED_METADATA {
            meta.remove(*k);
        }
        if let Some(a) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            for k in STRIPPED_ANNOTATIONS {
                a.remove(*k);
            }
        }
        meta.retain(|_, v| !matches!(v, Value::Object(m) if m.is_empty()));
    }
    if map.get("kind").and_then(Value::as_str) == Some("Secret") {
        for field in ["data", "stringData"] {
            if let Some(d) = map.get_mut(field).and_then(Value::as_object_mut) {
                for v in d.values_mut() {
                    *v = Value::String(crate::secrets::mask(v));
                }
            }
        }
    }
    crate::secrets::mask_secrets(&mut o);
    o
}

/// Unified diff of two objects rendered as YAML (`None` when they render the same).
pub fn yaml_diff(title: &str, before: Option<&Value>, after: Option<&Value>) -> Option<String> {
    let b = before.map(crate::render::to_yaml).unwrap_or_default();
    let a = after.map(crate::render::to_yaml).unwrap_or_default();
    if a == b {
        return None;
    }
    let (old, new) = (
        if before.is_some() { format!("live/{title}") } else { "/dev/null".to_string() },
        if after.is_some() { format!("planned/{title}") } else { "/dev/null".to_string() },
    );
    Some(similar::TextDiff::from_lines(&b, &a).unified_diff().context_radius(3).header(&old, &new).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_like_values_are_masked_by_key_in_any_kind() {
        let o = json!({"kind": "SparkApplication", "metadata": {"name": "j"}, "spec": {
            "sparkConf": {"spark.hadoop.fs.s3a.secret.key": "wJalr", "spark.sql.shuffle.partitions": "4"},
            "mainApplicationFile": "s3a://u:pw@bucket/app.jar",
            "driver": {"env": [{"name": "DB_PASSWORD", "value": "hunter2"}, {"name": "LOG", "value": "info"}]}}});
        let shown = crate::render::to_yaml(&for_diff(&o));
        for secret in ["wJalr", "pw@", "hunter2"] {
            assert!(!shown.contains(secret), "{secret} shown:\n{shown}");
        }
        assert!(shown.contains("spark.sql.shuffle.partitions: \"4\"") && shown.contains("value: info"), "{shown}");
    }

    #[test]
    fn hash_ignores_its_own_annotation_and_key_order() {
        let a = json!({"metadata": {"name": "x", "annotations": {"b": "1"}}, "spec": {"z": 1, "a": 2}});
        let stamped = with_hash(&a);
        assert_eq!(applied_hash(&stamped), applied_hash(&a));
        let reordered: Value =
            serde_json::from_str(r#"{"spec": {"a": 2, "z": 1}, "metadata": {"annotations": {"b": "1"}, "name": "x"}}"#)
                .unwrap();
        assert_eq!(applied_hash(&reordered), applied_hash(&a));
        let changed = json!({"metadata": {"name": "x", "annotations": {"b": "1"}}, "spec": {"z": 2, "a": 2}});
        assert_ne!(applied_hash(&changed), applied_hash(&a));
    }

    #[test]
    fn contains_allows_server_additions_but_not_edits() {
        let desired = json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "labels": {"a": "1"}}, "spec": {"hard": {"pods": "10"}}});
        let live = json!({"metadata": {"name": "q", "uid": "u", "labels": {"a": "1", "b": "2"}}, "spec": {"hard": {"pods": "10"}}, "status": {}});
        assert!(object_contains(&live, &desired));
        let edited = json!({"metadata": {"name": "q", "labels": {"a": "1"}}, "spec": {"hard": {"pods": "11"}}});
        assert!(!object_contains(&edited, &desired));
        let dropped_label = json!({"metadata": {"name": "q", "labels": {}}, "spec": {"hard": {"pods": "10"}}});
        assert!(!object_contains(&dropped_label, &desired));
    }

    #[test]
    fn an_autoscalers_replica_count_is_not_drift() {
        // strata sends no `spec.replicas` for an autoscaled Deployment (emit::app): the count the HPA or KEDA
        // set is a field another manager owns, so the skip check and drift see the object as in sync.
        let desired = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a"},
            "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "a"}}}});
        let scaled = json!({"metadata": {"name": "a"}, "spec": {"replicas": 7,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "a"}}}});
        assert!(object_contains(&scaled, &desired));
    }

    #[test]
    fn lists_compare_item_by_item_with_defaults_inside_items() {
        let desired = json!({"ports": [{"port": 53, "protocol": "UDP"}]});
        assert!(contains(&json!({"ports": [{"port": 53, "protocol": "UDP", "endPort": null}]}), &desired));
        assert!(!contains(&json!({"ports": [{"port": 53, "protocol": "UDP"}, {"port": 54}]}), &desired));
        assert!(!contains(&json!({"ports": [{"port": 54, "protocol": "UDP"}]}), &desired));
        assert!(contains(&json!({"n": 1.0}), &json!({"n": 1})));
    }

    #[test]
    fn quantities_compare_by_amount() {
        assert!(quantity_eq("1000", "1k"));
        assert!(quantity_eq("1024Mi", "1Gi"));
        assert!(quantity_eq("0.5", "500m"));
        assert!(quantity_eq("4Ti", "4398046511104"));
        assert!(!quantity_eq("1k", "1Ki"));
        assert!(!quantity_eq("10", "11"));
        assert!(!quantity_eq("batch", "batch2"));
        assert!(!quantity_eq("v1", "v1.0"));
        assert!(contains(&json!({"hard": {"pods": "1k"}}), &json!({"hard": {"pods": "1000"}})));
    }

    #[test]
    fn zero_values_match_an_omitted_field() {
        assert!(contains(&json!({"value": 1000}), &json!({"value": 1000, "globalDefault": false})));
        assert!(!contains(
            &json!({"value": 1000, "globalDefault": true}),
            &json!({"value": 1000, "globalDefault": false})
        ));
        assert!(!contains(&json!({}), &json!({"globalDefault": true})));
        let pc = json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "value": 1000, "globalDefault": false});
        assert!(object_contains(&json!({"value": 1000}), &pc));
    }

    #[test]
    fn applied_by_requires_an_apply_entry_of_the_manager() {
        let live = json!({"metadata": {"managedFields": [{"manager": "strata", "operation": "Update"}, {"manager": "kubectl", "operation": "Apply"}]}});
        assert!(!applied_by(&live, "strata"));
        assert!(applied_by(&live, "kubectl"));
    }

    #[test]
    fn diff_view_strips_bookkeeping_and_masks_secrets() {
        let live = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "uid": "u", "resourceVersion": "7", "managedFields": [], "annotations": {"strata.dev/applied-hash": "h"}},
            "data": {"password": "aHVudGVyMg=="},
            "status": {"x": 1}
        });
        let v = for_diff(&live);
        assert_eq!(v["metadata"], json!({"name": "s"}));
        assert!(v.get("status").is_none());
        let shown = v["data"]["password"].as_str().unwrap();
        assert!(shown.starts_with("*** (sha256:") && !shown.contains("aHVudGVyMg"), "{shown}");
    }

    #[test]
    fn yaml_diff_shows_the_changed_line_only_when_changed() {
        let a = json!({"spec": {"hard": {"pods": "10"}}});
        let b = json!({"spec": {"hard": {"pods": "20"}}});
        let d = yaml_diff("q", Some(&a), Some(&b)).expect("differs");
        assert!(d.contains("-    pods: '10'") || d.contains("-    pods: \"10\""), "{d}");
        assert!(yaml_diff("q", Some(&a), Some(&a)).is_none());
        assert!(yaml_diff("q", None, Some(&a)).expect("create").contains("--- /dev/null"));
    }
}
