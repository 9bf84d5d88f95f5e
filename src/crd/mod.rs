//! Typed custom resources: the operator objects strata emits (Strimzi's `KafkaTopic` and `KafkaUser`, the
//! kubeflow Spark operator's `SparkApplication` and `ScheduledSparkApplication`, the Flink operator's
//! `FlinkDeployment`, KEDA's `ScaledObject`, the Prometheus Operator's `PodMonitor`, ESO's `ExternalSecret`),
//! as serde types of the fields strata sets. Emit builds these and diff reads both revisions back through
//! them, so a field's name, type and units are written down once, next to the CRD version they come from
//! (`shared/crds/SOURCES.md`), instead of as `json!` keys on one side and string paths on the other.
//!
//! The types follow the pinned CRD's schema: a field the CRD requires is a plain field, every other field is
//! an `Option` left out when unset; integers are `i32` for `format: int32` and `i64` otherwise; a CRD `enum`
//! is a Rust enum with exactly the CRD's values; a map the CRD types (`additionalProperties: string`) is a
//! `BTreeMap<String, String>`, a map it leaves open (`x-kubernetes-preserve-unknown-fields`) keeps JSON
//! values. Core Kubernetes parts (metadata, security contexts, tolerations, pod specs) are k8s-openapi's.
//! Every strata struct refuses unknown fields: an object with a field strata does not know was not written
//! by strata, and reading it as if it were would drop that field without a word (k8s-openapi's parts skip
//! unknown fields; the round trip below catches what they would drop). `tests/crd_types.rs` holds the types
//! to the CRD schemas and to what emit produces, byte for byte.

pub mod eso;
pub mod flink;
pub mod keda;
pub mod prometheus;
pub mod spark;
pub mod strimzi;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A custom resource kind with a strata type: its API group and kind, as `ObjectChange::is` and
/// `Manifest::group` name them.
pub trait CustomResource: Serialize + DeserializeOwned {
    const GROUP: &'static str;
    const KIND: &'static str;

    /// The object as JSON, the form [`crate::manifest::ManifestSet::add_value`] takes. The types hold only
    /// string-keyed maps and finite numbers, which serde_json always represents.
    fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Reads an object's JSON as this kind. Fails on a missing required field, a value of the wrong type or
    /// outside the CRD's enum, and on a field the type does not have.
    fn from_value(v: &Value) -> Result<Self, serde_json::Error> {
        Self::deserialize(v)
    }
}

/// A count for a CRD's `format: int32` field. Where the count can exceed it a check refuses the spec first
/// (`strata::spark::executors`); elsewhere (retries, history limits, cores) a value past `i32::MAX` is one
/// the API server's int32 field cannot hold anyway, and is written as the largest it can.
pub fn int32(v: u64) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// A count, uid or number of seconds for a CRD's (or Kubernetes') `int64` field; as [`int32`].
pub fn int64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A string enum of a CRD (`enum: [...]` in the schema), with the schema's spellings. `as_str` is the
/// spelling, `parse` its inverse, `ALL` every value in the CRD's order.
macro_rules! crd_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use crd_enum;

#[cfg(test)]
mod tests {
    use super::strimzi::AclOperation;

    #[test]
    fn enums_spell_as_the_crd_does() {
        assert_eq!(AclOperation::parse("DescribeConfigs"), Some(AclOperation::DescribeConfigs));
        assert_eq!(AclOperation::parse("describeconfigs"), None);
        assert_eq!(
            serde_json::to_value(AclOperation::IdempotentWrite).ok(),
            Some(serde_json::json!("IdempotentWrite"))
        );
        assert!(AclOperation::ALL.iter().all(|o| AclOperation::parse(o.as_str()) == Some(*o)));
    }
}
