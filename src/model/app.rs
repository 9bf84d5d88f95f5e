//! Stream apps: a `stream-app` is a long-running Kafka consumer/producer in a tenant, emitted as a
//! Deployment (`apps/v1`) with a PodDisruptionBudget (`policy/v1`), a KafkaUser whose ACLs its `consumes` /
//! `produces` children grant (the same lowering as `kafka-user`'s: the user is added to the Kafka model, so
//! every Kafka check, the KafkaUser emitter and the network flows to the cluster treat it as any other
//! user), and optionally an autoscaler: a KEDA ScaledObject with the Kafka scaler, or an `autoscaling/v2`
//! HorizontalPodAutoscaler on CPU/memory.
//!
//! The rules the checks, the quota demand and the emitter must agree on (replicas at peak, the partitions
//! a consumer group can use, the Kafka connection) live here once.

use crate::model::Platform;
use crate::model::demand::{AdmittedPod, ContainerResources, Demand};
use crate::model::kafka::{AclOrigin, Authentication, KafkaUser, ResourceType, TopicsByName};
use crate::model::pod::{EnvVar, PodShape};
use crate::source::{Span, Spanned};

/// The uid the app's container runs as unless `run-as-user=` says otherwise: any non-root uid satisfies
/// Pod Security `restricted`; images built for Kubernetes commonly use this one.
pub const DEFAULT_RUN_AS_USER: u64 = 10001;
/// The container's name in the Deployment (KEDA's `envSourceContainerName` and the TriggerAuthentication's
/// `containerName` name it too).
pub const CONTAINER: &str = "app";
/// The label that selects an app's pods (Deployment selector, PDB, PodMonitor, NetworkPolicy peers).
pub const POD_LABEL: &str = "app.kubernetes.io/name";
/// KEDA's default `lagThreshold` (`pkg/scalers/kafka_scaler.go`, `default=10`).
pub const KEDA_DEFAULT_LAG: u64 = 10;
/// KEDA's HPA name is `keda-hpa-<ScaledObject name>` and must fit a label value (63 characters):
/// `verifyName` in kedacore/keda `apis/keda/v1alpha1/scaledobject_webhook.go` (v2.20.2) refuses longer ones.
pub const KEDA_MAX_NAME_LEN: usize = 63 - "keda-hpa-".len();

#[derive(Debug, Clone, Default)]
pub struct StreamAppModel {
    pub apps: Vec<StreamApp>,
}

#[derive(Debug, Clone)]
pub struct StreamApp {
    /// `alert "..." threshold=... for=...`: overrides of the alerts strata writes about this object.
    pub alerts: Vec<crate::model::monitoring::AlertOverride>,
    pub name: Spanned<String>,
    pub tenant: Spanned<String>,
    /// The Kafka cluster; `None` means the platform's only one.
    pub kafka: Option<Spanned<String>>,
    pub authentication: Option<Spanned<Authentication>>,
    pub image: Option<Spanned<String>>,
    pub size: Option<Spanned<String>>,
    /// Fixed replicas (without `autoscale`); 1 when neither is written.
    pub replicas: Option<Spanned<u32>>,
    pub run_as_user: Option<Spanned<u64>>,
    pub priority_class: Option<Spanned<String>>,
    pub env: Vec<EnvVar>,
    pub consumes: Vec<Consumes>,
    /// `produces` nodes (their ACLs are in the generated user).
    pub produces: Vec<Span>,
    pub health: Option<Health>,
    pub autoscale: Option<Autoscale>,
    /// `metrics port=...`: the container ports Prometheus scrapes (with `monitoring`) through a PodMonitor.
    pub metrics: Vec<crate::model::monitoring::MetricsPort>,
    pub span: Span,
}

/// One `consumes "t1" "t2" group="g"` node.
#[derive(Debug, Clone)]
pub struct Consumes {
    pub topics: Vec<Spanned<String>>,
    pub group: Option<Spanned<String>>,
    pub span: Span,
}

/// `health port=8080 liveness="/healthz" readiness="/ready"`: HTTP probes.
#[derive(Debug, Clone)]
pub struct Health {
    pub port: Option<Spanned<u32>>,
    pub liveness: Option<Spanned<String>>,
    pub readiness: Option<Spanned<String>>,
    pub span: Span,
}

/// `autoscale min=2 max=12 { kafka lag=500 }` or `autoscale min=2 max=12 cpu="70%"`.
#[derive(Debug, Clone)]
pub struct Autoscale {
    pub min: Option<Spanned<u32>>,
    pub max: Option<Spanned<u32>>,
    /// `cpu="70%"` / `memory="80%"`: average utilization targets of an HPA.
    pub cpu: Option<Spanned<u32>>,
    pub memory: Option<Spanned<u32>>,
    pub kafka: Option<KafkaTrigger>,
    /// `idle-replicas=0` (KEDA's `idleReplicaCount`).
    pub idle: Option<Spanned<i64>>,
    pub fallback: Option<Fallback>,
    pub span: Span,
}

/// `kafka lag=500 topic="orders" group="g" activation-lag=10 allow-idle-consumers=#true
/// limit-to-partitions-with-lag=#true`: KEDA's Kafka scaler.
#[derive(Debug, Clone)]
pub struct KafkaTrigger {
    pub lag: Option<Spanned<u64>>,
    pub activation_lag: Option<Spanned<u64>>,
    pub topic: Option<Spanned<String>>,
    pub group: Option<Spanned<String>>,
    pub allow_idle_consumers: Option<Spanned<bool>>,
    pub limit_to_partitions_with_lag: Option<Spanned<bool>>,
    pub span: Span,
}

/// `fallback failure-threshold=3 replicas=4`.
#[derive(Debug, Clone)]
pub struct Fallback {
    pub failure_threshold: Option<Spanned<i64>>,
    pub replicas: Option<Spanned<i64>>,
    pub span: Span,
}

/// Which autoscaler an app gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scaler {
    Keda,
    Hpa,
}

impl Autoscale {
    pub fn scaler(&self) -> Scaler {
        if self.kafka.is_some() { Scaler::Keda } else { Scaler::Hpa }
    }

    /// The lower bound: as written, else KEDA's default 0 (the HPA it creates then has 1) or the HPA's 1.
    pub fn min(&self) -> u32 {
        self.min.as_ref().map_or(if self.scaler() == Scaler::Keda { 0 } else { 1 }, |m| m.value)
    }
}

impl KafkaTrigger {
    pub fn allows_idle(&self) -> bool {
        self.allow_idle_consumers.as_ref().is_some_and(|b| b.value)
    }

    pub fn limits_to_lag(&self) -> bool {
        self.limit_to_partitions_with_lag.as_ref().is_some_and(|b| b.value)
    }
}

impl StreamApp {
    pub fn object(&self) -> String {
        format!("stream-app `{}`", self.name.value)
    }

    /// Replicas at peak: the autoscaler's maximum, else the fixed count (1 when unset).
    pub fn peak_replicas(&self) -> u32 {
        match &self.autoscale {
            Some(a) => a.max.as_ref().map_or(1, |m| m.value),
            None => self.replicas.as_ref().map_or(1, |r| r.value),
        }
    }

    pub fn run_as_user(&self) -> u64 {
        self.run_as_user.as_ref().map_or(DEFAULT_RUN_AS_USER, |u| u.value)
    }

    /// Every consumer group the app reads as, in order, once.
    pub fn groups(&self) -> Vec<&Spanned<String>> {
        let mut v: Vec<&Spanned<String>> = Vec::new();
        for g in self.consumes.iter().filter_map(|c| c.group.as_ref()) {
            if !v.iter().any(|x| x.value == g.value) {
                v.push(g);
            }
        }
        v
    }

    /// The consumer group KEDA measures: the trigger's `group=`, else the app's only one.
    pub fn scaled_group(&self) -> Option<&Spanned<String>> {
        let t = self.autoscale.as_ref()?.kafka.as_ref()?;
        t.group.as_ref().or_else(|| match self.groups().as_slice() {
            [only] => Some(*only),
            _ => None,
        })
    }

    /// The topics KEDA measures for `group`: the trigger's `topic=`, else every topic consumed as it.
    pub fn scaled_topics(&self) -> Vec<&Spanned<String>> {
        let Some(t) = self.autoscale.as_ref().and_then(|a| a.kafka.as_ref()) else { return Vec::new() };
        if let Some(topic) = &t.topic {
            return vec![topic];
        }
        let Some(group) = self.scaled_group() else { return Vec::new() };
        self.consumes
            .iter()
            .filter(|c| c.group.as_ref().is_some_and(|g| g.value == group.value))
            .flat_map(|c| c.topics.iter())
            .collect()
    }

    /// The partitions KEDA caps the replicas at: those of the measured topics, when strata declares every
    /// one of them with a known partition count (a prefix pattern or an undeclared topic: `None`).
    /// `topics` is [`crate::model::kafka::KafkaModel::topics_by_name`], built once for every app.
    pub fn partition_cap(&self, p: &Platform, topics: &TopicsByName<'_>) -> Option<(u64, Vec<(String, u32)>)> {
        let scaled = self.scaled_topics();
        if scaled.is_empty() {
            return None;
        }
        let mut parts = Vec::new();
        for t in scaled {
            let topic = *topics.get(t.value.as_str())?;
            let (n, _) = p.kafka.merged(topic).partitions?;
            parts.push((t.value.clone(), n.value));
        }
        Some((parts.iter().map(|(_, n)| u64::from(*n)).sum(), parts))
    }

    /// Requests and limits of the app's container: its size preset's (`None` without a known size).
    pub fn shape(&self, p: &Platform) -> Option<PodShape> {
        let s = p.presets.size(&self.size.as_ref()?.value)?;
        Some(PodShape {
            cpu_request: s.cpu.value,
            cpu_limit: s.cpu_limit(),
            memory_request: s.memory.value,
            memory_limit: s.memory_limit(),
        })
    }

    /// Peak demand with this shape: every replica the autoscaler may run (its maximum), or the fixed count.
    pub fn demand_for(&self, shape: PodShape) -> Demand {
        let (workload, role, span) = match &self.autoscale {
            Some(a) => {
                let by = match a.scaler() {
                    Scaler::Keda => "KEDA ScaledObject",
                    Scaler::Hpa => "HorizontalPodAutoscaler",
                };
                (
                    format!("stream-app `{}` (autoscaled by its {by})", self.name.value),
                    format!("autoscale max ({by} `{}`)", self.name.value),
                    a.max.as_ref().map_or(a.span, |m| m.span),
                )
            }
            None => (self.object(), "replicas".to_string(), self.name.span),
        };
        Demand {
            tenant: self.tenant.value.clone(),
            workload,
            span,
            exclusive_group: None,
            pods: vec![shape.pods(role, u64::from(self.peak_replicas()))],
            objects: Vec::new(),
            run: match &self.autoscale {
                // The minimum as emitted (KEDA's default is 0, the HPA's 1).
                Some(a) => crate::model::demand::Run::Scaled {
                    expected: u64::from(a.min()),
                    span: a.min.as_ref().map_or(a.span, |m| m.span),
                },
                None => crate::model::demand::Run::AlwaysOn,
            },
            admission: vec![AdmittedPod {
                role: "app".to_string(),
                span: self.size.as_ref().map_or(self.name.span, |s| s.span),
                containers: vec![ContainerResources {
                    name: CONTAINER.into(),
                    cpu_request: Some(shape.cpu_request),
                    cpu_limit: Some(shape.cpu_limit),
                    memory_request: Some(shape.memory_request),
                    memory_limit: Some(shape.memory_limit),
                }],
            }],
        }
    }
}

impl StreamAppModel {
    /// Peak demand of each app whose size is known; the checks report the others.
    pub fn demands(&self, p: &Platform) -> Vec<Demand> {
        self.apps.iter().filter_map(|a| Some(a.demand_for(a.shape(p)?))).collect()
    }
}

/// The KafkaUser a stream app's `consumes`/`produces` generate, named after the app (also its credentials
/// Secret's name and its principal).
pub fn kafka_user(app: &StreamApp, acls: Vec<crate::model::kafka::Acl>) -> KafkaUser {
    KafkaUser {
        name: app.name.clone(),
        cluster: app.kafka.clone(),
        tenant: Some(app.tenant.clone()),
        authentication: app.authentication.clone(),
        password_secret: None,
        password_key: None,
        validity_days: None,
        renewal_days: None,
        acls,
        quotas: None,
        span: app.span,
        alerts: app.alerts.clone(),
    }
}

/// The consumed topics and groups of one `consumes` node, read back from the ACLs its lowering added.
pub fn consumes_from_acls(acls: &[crate::model::kafka::Acl], span: Span) -> Consumes {
    let mut topics = Vec::new();
    let mut group = None;
    for a in acls.iter().filter(|a| a.origin == AclOrigin::Consumes) {
        let Some(r) = &a.resource else { continue };
        match a.resource_type {
            ResourceType::Topic => topics.push(r.written.clone()),
            ResourceType::Group => group = Some(r.written.clone()),
            _ => {}
        }
    }
    Consumes { topics, group, span }
}
