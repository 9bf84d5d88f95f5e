//! Stream apps with their tenant, image, container resources, Kafka connection and autoscaler decided
//! once, for the Deployment, the autoscaler objects and the quota demand alike.

use crate::model::app::{self as m, Scaler};
use crate::model::demand::Demand;
use crate::model::kafka::Authentication;
use crate::model::pod::PodShape;
use crate::model::resolved::{Resolver, TenantRef};

#[derive(Debug, Clone)]
pub struct StreamApp {
    pub spec: m::StreamApp,
    pub tenant: TenantRef,
    pub image: String,
    pub shape: PodShape,
    /// The app's PriorityClass, else its tenant's.
    pub priority_class: Option<String>,
    pub kafka: KafkaConnection,
    pub autoscaler: Option<Autoscaler>,
    pub demand: Demand,
}

/// How the app reaches its Kafka cluster: Strimzi's bootstrap Service and the credentials the User
/// Operator writes for the app's KafkaUser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaConnection {
    /// `<cluster>-kafka-bootstrap.<namespace>.svc:<port>`: 9093 (TLS listener) for authenticated users,
    /// 9092 (plain) otherwise.
    pub bootstrap: String,
    pub authentication: Option<Authentication>,
    /// The KafkaUser's credentials Secret (named after the user).
    pub user_secret: String,
    /// The cluster CA certificate Secret Strimzi writes (`<cluster>-cluster-ca-cert`, key `ca.crt`).
    pub ca_secret: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Autoscaler {
    Keda(Keda),
    Hpa(Hpa),
}

/// A ScaledObject with one Kafka trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keda {
    pub min: u32,
    pub max: u32,
    pub idle: Option<i64>,
    pub fallback: Option<(i64, i64)>,
    pub group: String,
    pub topic: Option<String>,
    pub lag: u64,
    pub activation_lag: Option<u64>,
    pub allow_idle_consumers: Option<bool>,
    pub limit_to_partitions_with_lag: Option<bool>,
}

/// An `autoscaling/v2` HPA on average utilization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hpa {
    pub min: u32,
    pub max: u32,
    pub cpu: Option<u32>,
    pub memory: Option<u32>,
}

pub(crate) fn resolve(r: &mut Resolver, a: &m::StreamApp) -> Option<StreamApp> {
    let object = a.object();
    let p = r.p;
    let tenant = r.tenant(&a.tenant, &object)?;
    let image = r.required(a.image.as_ref(), &object, "image", a.name.span)?;
    let Some(shape) = a.shape(p) else {
        return r.fail(&object, "it has no known `size`", a.size.as_ref().map_or(a.name.span, |s| s.span));
    };
    let Some(cluster) = p.kafka.cluster_for(a.kafka.as_ref()) else {
        return r.fail(&object, "its Kafka cluster is unknown", a.kafka.as_ref().map_or(a.name.span, |k| k.span));
    };
    let authentication = a.authentication.as_ref().map(|x| x.value);
    let port = if authentication.is_some() { 9093 } else { 9092 };
    let kafka = KafkaConnection {
        bootstrap: format!("{}-kafka-bootstrap.{}.svc:{port}", cluster.name.value, cluster.namespace.value),
        authentication,
        user_secret: a.name.value.clone(),
        ca_secret: format!("{}-cluster-ca-cert", cluster.name.value),
    };
    let autoscaler = match &a.autoscale {
        None => None,
        Some(s) => {
            let max = r.required(s.max.as_ref(), &object, "autoscale `max`", s.span)?;
            match (s.scaler(), &s.kafka) {
                (Scaler::Keda, Some(t)) => {
                    let Some(group) = a.scaled_group() else {
                        return r.fail(&object, "its autoscaler measures no consumer group", t.span);
                    };
                    Some(Autoscaler::Keda(Keda {
                        min: s.min(),
                        max,
                        idle: s.idle.as_ref().map(|i| i.value),
                        fallback: s
                            .fallback
                            .as_ref()
                            .and_then(|f| Some((f.failure_threshold.as_ref()?.value, f.replicas.as_ref()?.value))),
                        group: group.value.clone(),
                        topic: t.topic.as_ref().map(|t| t.value.clone()),
                        lag: t.lag.as_ref().map_or(m::KEDA_DEFAULT_LAG, |l| l.value),
                        activation_lag: t.activation_lag.as_ref().map(|l| l.value),
                        allow_idle_consumers: t.allow_idle_consumers.as_ref().map(|b| b.value),
                        limit_to_partitions_with_lag: t.limit_to_partitions_with_lag.as_ref().map(|b| b.value),
                    }))
                }
                _ => Some(Autoscaler::Hpa(Hpa {
                    min: s.min(),
                    max,
                    cpu: s.cpu.as_ref().map(|c| c.value),
                    memory: s.memory.as_ref().map(|c| c.value),
                })),
            }
        }
    };
    Some(StreamApp {
        demand: a.demand_for(shape),
        priority_class: a.priority_class.as_ref().or(tenant.priority_class.as_ref()).map(|c| c.value.clone()),
        tenant: TenantRef::of(tenant),
        image,
        shape,
        kafka,
        autoscaler,
        spec: a.clone(),
    })
}
