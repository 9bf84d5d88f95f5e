//! Change-safety rules: which differences between two revisions lose data, are refused by an operator, or
//! leave a tenant without room. One file per domain. Every rule reads the emitted objects (old and new
//! revision of the same object), so it holds whatever model produced them: custom resources through their
//! [`crate::crd`] types, built-in objects through k8s-openapi's, sizes through [`crate::units`]. Quota rules
//! read the shared demand model ([`crate::model::demand`]) that the compile's quota-fit uses.
//!
//! An object that does not read as its type (a hand-edited or foreign revision: a field of another type,
//! one strata does not write) is not guessed at: the rules for it are skipped and an
//! [`UNREADABLE`] warning says so, so an unsafe change in it is never dropped without a word.

pub mod airflow;
pub mod app;
pub mod external_secret;
pub mod flink;
pub mod job;
pub mod kafka;
pub mod monitoring;
pub mod spark;
pub mod tenants;

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde_json::{Number, Value};

use crate::diff::{Finding, ObjectChange, Side};
use crate::manifest::Manifest;
use crate::units::{Bytes, Cpu};

pub const UNREADABLE: &str = "strata::diff::unreadable-object";

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
    kafka::check(changes, cx, &mut out);
    spark::check(changes, cx, &mut out);
    flink::check(changes, cx, &mut out);
    airflow::check(changes, cx, &mut out);
    job::check(changes, cx, &mut out);
    app::check(changes, cx, &mut out);
    monitoring::check(changes, cx, &mut out);
    external_secret::check(changes, cx, &mut out);
    out
}

/// Reads an object's JSON as `T` (a [`crate::crd`] type, or a k8s-openapi one for built-in kinds).
pub(crate) fn read<T: DeserializeOwned>(m: &Manifest) -> Result<T, serde_json::Error> {
    T::deserialize(&m.object)
}

/// Both revisions of a changed object as `T`; `None` after pushing the [`UNREADABLE`] finding that names
/// the side (or sides) that do not read and why.
pub(crate) fn read_both<T: DeserializeOwned>(c: &ObjectChange, cx: &Context, out: &mut Vec<Finding>) -> Option<(T, T)> {
    let (Some(b), Some(h)) = (c.base, c.head) else {
        out.push(unreadable(c, "the change has only one side".to_string()));
        return None;
    };
    match (read::<T>(b), read::<T>(h)) {
        (Ok(o), Ok(n)) => Some((o, n)),
        (o, n) => {
            let why: Vec<String> = [(o.err(), cx.base), (n.err(), cx.head)]
                .into_iter()
                .filter_map(|(e, side)| e.map(|e| format!("in {}: {e}", side.label)))
                .collect();
            out.push(unreadable(c, why.join("; ")));
            None
        }
    }
}

/// The warning for an object the rules could not read; `why` names the side and the field's problem.
pub(crate) fn unreadable(c: &ObjectChange, why: String) -> Finding {
    unreadable_then(c, why, "its change-safety rules did not run")
}

/// [`unreadable`] with what was left unchecked, for a rule that still reports what it can.
pub(crate) fn unreadable_then(c: &ObjectChange, why: String, unchecked: &str) -> Finding {
    Finding::warning(
        UNREADABLE,
        c,
        format!("{} does not read as the {} strata writes ({why}); {unchecked}", c.key, c.key.kind),
        "strata reads operator objects through its types of the pinned CRDs; this one has a field of another \
         type, a value outside the CRD's enum, a missing required field or a field strata does not write, as a \
         hand-edited revision can. A change in it that loses data or that the operator refuses would go unseen",
    )
    .help("review this object's change by hand; if both revisions were compiled by strata, report it as a bug")
}

/// The value at a path of object keys.
pub(crate) fn at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
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

/// A size as written (`4g`) and as a comparable amount (bytes, millicores, a count); `None` when unset or
/// not a size.
pub(crate) type Size = Option<(String, u64)>;

/// One field of a workload's size: how it is shown to the user and how to read it from the spec `S`.
pub(crate) struct SizeField<S> {
    /// As shown to the user: `executor.memory`.
    pub name: &'static str,
    pub read: fn(&S) -> Size,
}

/// The size fields that grew from `old` to `new`, as `executor.memory 4g → 8g`. Fields unset on either
/// side are skipped: the operator's default is not known here, so no growth is claimed.
pub(crate) fn grown<S>(old: &S, new: &S, fields: &[SizeField<S>]) -> Vec<String> {
    fields
        .iter()
        .filter_map(|f| {
            let ((o_text, o), (n_text, n)) = ((f.read)(old)?, (f.read)(new)?);
            (n > o).then(|| format!("{} {o_text} → {n_text}", f.name))
        })
        .collect()
}

/// A count (`executor.instances`, `replicas`); negative counts read as unset.
pub(crate) fn count(v: Option<impl Into<i64>>) -> Size {
    let v: i64 = v?.into();
    Some((v.to_string(), u64::try_from(v).ok()?))
}

/// Whole cores (Spark's `cores`), in millicores.
pub(crate) fn whole_cores(v: Option<i32>) -> Size {
    let (text, n) = count(v)?;
    Some((text, n.checked_mul(1000)?))
}

/// A Kubernetes CPU quantity (`1200m`, `"2"`), in millicores.
pub(crate) fn cpu_quantity(v: Option<&str>) -> Size {
    let v = v?;
    Some((v.to_string(), Cpu::parse(v).ok()?.0))
}

/// Cores as a JSON number (Flink's `resource.cpu`: `1`, `0.5`), in millicores.
pub(crate) fn cpu_cores(v: Option<&Number>) -> Size {
    let v = v?;
    Some((v.to_string(), Cpu::from_cores(v.as_f64()?)?.0))
}

/// A JVM size (`4g`, `2048m`), in bytes; `bare` is the unit of a plain number.
pub(crate) fn jvm_memory(v: Option<&str>, bare: u64) -> Size {
    let v = v?;
    Some((v.to_string(), Bytes::parse_jvm(v, bare)?.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_sizes_through_units() {
        assert_eq!(jvm_memory(Some("4g"), 1 << 20), Some(("4g".to_string(), 4 << 30)));
        assert_eq!(jvm_memory(Some("4096"), 1 << 20), Some(("4096".to_string(), 4 << 30)));
        assert_eq!(jvm_memory(Some("lots"), 1), None);
        assert_eq!(cpu_cores(Number::from_f64(0.5).as_ref()), Some(("0.5".to_string(), 500)));
        assert_eq!(cpu_cores(Some(&Number::from(2))), Some(("2".to_string(), 2000)));
        assert_eq!(cpu_quantity(Some("1200m")), Some(("1200m".to_string(), 1200)));
        assert_eq!(whole_cores(Some(2)), Some(("2".to_string(), 2000)));
        assert_eq!(count(Some(-1)), None);
        assert_eq!(int(&json!("604800000")), Some(604_800_000));
        assert_eq!(int(&json!(-1)), Some(-1));
    }

    #[test]
    fn growth_ignores_fields_unset_on_either_side() {
        type S = (Option<i32>, Option<i32>, Option<i32>);
        const F: &[SizeField<S>] = &[
            SizeField { name: "a", read: |s| count(s.0) },
            SizeField { name: "b", read: |s| count(s.1) },
            SizeField { name: "c", read: |s| count(s.2) },
        ];
        let g = grown(&(Some(1), Some(5), Some(2)), &(Some(2), Some(4), None), F);
        assert_eq!(g, vec!["a 1 → 2".to_string()]);
    }
}
