//! Pieces of a pod that several workload domains share (Airflow workers, Flink JobManagers and
//! TaskManagers, Spark drivers, batch jobs): environment variables, whose values are plain text or a reference to a key of an existing
//! Secret (strata never writes secret values, the spec only names where they live), and resource shapes.

use crate::model::demand::PodDemand;
use crate::source::{Span, Spanned};
use crate::units::{Bytes, Cpu};

/// `env "NAME" "value"` or `env "NAME" secret="s" key="k"`.
#[derive(Debug, Clone)]
pub struct EnvVar {
    pub name: Spanned<String>,
    pub value: EnvValue,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum EnvValue {
    Literal(Spanned<String>),
    Secret(SecretKeyRef),
}

/// A key of a Secret in the workload's namespace.
#[derive(Debug, Clone)]
pub struct SecretKeyRef {
    pub secret: Spanned<String>,
    pub key: Spanned<String>,
}

impl EnvVar {
    /// The Kubernetes `EnvVar` JSON (`value` or `valueFrom.secretKeyRef`).
    pub fn to_json(&self) -> serde_json::Value {
        env_json(&self.name.value, &self.value)
    }
}

pub fn env_json(name: &str, value: &EnvValue) -> serde_json::Value {
    match value {
        EnvValue::Literal(v) => serde_json::json!({"name": name, "value": v.value}),
        EnvValue::Secret(r) => serde_json::json!({
            "name": name,
            "valueFrom": {"secretKeyRef": {"name": r.secret.value, "key": r.key.value}},
        }),
    }
}

/// Requests and limits of one pod shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PodShape {
    pub cpu_request: Cpu,
    pub cpu_limit: Cpu,
    pub memory_request: Bytes,
    pub memory_limit: Bytes,
}

impl PodShape {
    /// The larger of two shapes in every dimension.
    pub fn max(self, o: PodShape) -> PodShape {
        PodShape {
            cpu_request: self.cpu_request.max(o.cpu_request),
            cpu_limit: self.cpu_limit.max(o.cpu_limit),
            memory_request: self.memory_request.max(o.memory_request),
            memory_limit: self.memory_limit.max(o.memory_limit),
        }
    }

    pub fn pods(self, role: String, count: u64) -> PodDemand {
        PodDemand {
            role,
            count,
            cpu_request: self.cpu_request,
            cpu_limit: self.cpu_limit,
            memory_request: self.memory_request,
            memory_limit: self.memory_limit,
            gpus: 0,
            spot: false,
        }
    }
}

/// `toleration "dedicated" value="spark" effect="NoSchedule"`: a pod toleration, as Spark jobs and batch
/// jobs write it.
#[derive(Debug, Clone)]
pub struct Toleration {
    pub span: Span,
    pub key: Option<Spanned<String>>,
    pub operator: Option<Spanned<String>>,
    pub value: Option<Spanned<String>>,
    pub effect: Option<Spanned<String>>,
    pub seconds: Option<Spanned<u64>>,
}
