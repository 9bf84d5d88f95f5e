//! Change-safety rules: which differences between two revisions lose data, are refused by an operator, or
//! leave a tenant without room. One file per domain. Every rule reads the emitted objects (old and new JSON
//! of the same object, in the operators' own field names), so it holds whatever model produced them, and
//! quota rules read the shared demand model ([`crate::model::demand`]) that the compile's quota-fit uses.

pub mod airflow;
pub mod flink;
pub mod kafka;
pub mod spark;
pub mod tenants;

use std::collections::HashMap;

use serde_json::Value;

use crate::diff::{Finding, ObjectChange, Side};
use crate::manifest::Manifest;

/// What the rules may consult beyond the changed objects.
pub struct Context<'s, 'a> {
    pub base: &'s Side<'a>,
    pub head: &'s Side<'a>,
    /// Each tenant's ResourceQuotas in the head revision.
    head_quotas: HashMap<&'a str, Vec<&'a Manifest>>,
    /// Each tenant's Namespace in the head revision.
    head_namespaces: HashMap<&'a str, &'a Manifest>,
}

impl<'s, 'a> Context<'s, 'a> {
    pub fn new(base: &'s Side<'a>, head: &'s Side<'a>) -> Self {
        let mut head_quotas: HashMap<&'a str, Vec<&'a Manifest>> = HashMap::new();
        let mut head_namespaces = HashMap::new();
        let items: &'a [Manifest] = &head.manifests.items;
        for m in items {
            let Some(t) = m.tenant.as_deref() else { continue };
            match (m.group(), m.kind.as_str()) {
                ("", "ResourceQuota") => head_quotas.entry(t).or_default().push(m),
                ("", "Namespace") => {
                    head_namespaces.entry(t).or_insert(m);
                }
                _ => {}
            }
        }
        Context { base, head, head_quotas, head_namespaces }
    }

    /// The tenant's Namespace in the head revision.
    pub fn head_namespace(&self, tenant: &str) -> Option<&'a Manifest> {
        self.head_namespaces.get(tenant).copied()
    }

    pub fn head_quotas(&self, tenant: &str) -> &[&'a Manifest] {
        self.head_quotas.get(tenant).map_or(&[], Vec::as_slice)
    }
}

/// Runs every rule over every change.
pub fn run(changes: &[ObjectChange], cx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    tenants::check(changes, cx, &mut out);
    kafka::check(changes, &mut out);
    spark::check(changes, cx, &mut out);
    flink::check(changes, cx, &mut out);
    airflow::check(changes, cx, &mut out);
    out
}

/// The value at a path of object keys.
pub(crate) fn at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

pub(crate) fn str_at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    at(v, path).and_then(Value::as_str)
}

/// A whole number written as a JSON number or a numeric string (Kafka configs come both ways).
pub(crate) fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A scalar as it reads in a message: `12`, `compact`, or `unset`.
pub(crate) fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "unset".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// CPU in millicores from a Kubernetes quantity (`500m`, `"2"`) or a plain number of cores (`0.5`, `2`).
pub(crate) fn cpu_millis(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => {
            let f = n.as_f64()?;
            (f.is_finite() && f >= 0.0).then(|| (f * 1000.0).round() as u64)
        }
        Value::String(s) => crate::units::Cpu::parse(s).ok().map(|c| c.0),
        _ => None,
    }
}

/// Bytes from a Kubernetes quantity (`4Gi`), a JVM size (`4g`, `512m`: Spark) or a Flink size (`2048m`,
/// `2 gb`). JVM-style units are binary, as the JVM and Flink read them; `bare` multiplies a number without
/// a unit (Spark reads `4096` as MiB, Flink as bytes).
pub(crate) fn memory_bytes(v: &Value, bare: u64) -> Option<u64> {
    let s = match v {
        Value::Number(n) => return n.as_u64().map(|n| n.saturating_mul(bare)),
        Value::String(s) => s.trim(),
        _ => return None,
    };
    if let Ok(b) = crate::units::Bytes::parse(s)
        && s.ends_with('i')
    {
        return Some(b.0);
    }
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" => bare,
        "b" | "bytes" => 1,
        "k" | "kb" | "kibibytes" => 1 << 10,
        "m" | "mb" | "mebibytes" => 1 << 20,
        "g" | "gb" | "gibibytes" => 1 << 30,
        "t" | "tb" | "tebibytes" => 1 << 40,
        "p" | "pb" => 1 << 50,
        _ => return None,
    };
    let f: f64 = num.parse().ok()?;
    (f.is_finite() && f >= 0.0).then(|| (f * mult as f64).round() as u64)
}

/// One field of a workload's size: where it is and how to read it.
pub(crate) struct SizeField {
    /// As shown to the user: `executor.memory`.
    pub name: &'static str,
    pub path: &'static [&'static str],
    pub read: fn(&Value) -> Option<u64>,
}

/// The size fields that grew from `old` to `new`, as `executor.memory 4g → 8g`. Fields unset on either
/// side are skipped: the operator's default is not known here, so no growth is claimed.
pub(crate) fn grown(old: &Value, new: &Value, fields: &[SizeField]) -> Vec<String> {
    fields
        .iter()
        .filter_map(|f| {
            let (o, n) = (at(old, f.path)?, at(new, f.path)?);
            ((f.read)(n)? > (f.read)(o)?).then(|| format!("{} {} → {}", f.name, show(Some(o)), show(Some(n))))
        })
        .collect()
}

pub(crate) fn count(v: &Value) -> Option<u64> {
    int(v).and_then(|i| u64::try_from(i).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_sizes_in_every_units_dialect() {
        assert_eq!(memory_bytes(&json!("4g"), 1 << 20), Some(4 << 30));
        assert_eq!(memory_bytes(&json!("512m"), 1 << 20), Some(512 << 20));
        assert_eq!(memory_bytes(&json!("4096"), 1 << 20), Some(4 << 30));
        assert_eq!(memory_bytes(&json!("2 gb"), 1), Some(2 << 30));
        assert_eq!(memory_bytes(&json!("1536Mi"), 1), Some(1536 << 20));
        assert_eq!(memory_bytes(&json!("1.5g"), 1), Some(3 << 29));
        assert_eq!(memory_bytes(&json!("lots"), 1), None);
        assert_eq!(cpu_millis(&json!(0.5)), Some(500));
        assert_eq!(cpu_millis(&json!("1200m")), Some(1200));
        assert_eq!(cpu_millis(&json!(2)), Some(2000));
        assert_eq!(int(&json!("604800000")), Some(604_800_000));
        assert_eq!(int(&json!(-1)), Some(-1));
    }

    #[test]
    fn growth_ignores_fields_unset_on_either_side() {
        const F: &[SizeField] = &[
            SizeField { name: "a", path: &["a"], read: count },
            SizeField { name: "b", path: &["b"], read: count },
            SizeField { name: "c", path: &["c"], read: count },
        ];
        let g = grown(&json!({"a": 1, "b": 5, "c": 2}), &json!({"a": 2, "b": 4}), F);
        assert_eq!(g, vec!["a 1 → 2".to_string()]);
    }
}
