//! A `stream-app` becomes a Deployment (`apps/v1`) and a PodDisruptionBudget (`policy/v1`) in its tenant's
//! namespace, plus its autoscaler: a KEDA ScaledObject with the Kafka scaler and the TriggerAuthentication
//! that hands it the app's Kafka credentials (`keda.sh/v1alpha1`), or an `autoscaling/v2`
//! HorizontalPodAutoscaler. The app's KafkaUser is the Kafka emitter's (the lowering added it to the Kafka
//! model).
//!
//! An autoscaled Deployment carries no `spec.replicas`: the autoscaler owns the field, and a value in what
//! strata applies would reset the scale on every apply (the Kubernetes HPA docs; apache/airflow PR #29838
//! drops it for KEDA the same way).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EnvVar as K8sEnvVar, EnvVarSource, HTTPGetAction, PodSecurityContext,
    PodSpec, PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile, SecretKeySelector, SecurityContext,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::crd::CustomResource as _;
use crate::crd::int32;
use crate::crd::keda::{
    AuthEnvironment, AuthenticationRef, Fallback, ScaleTarget, ScaleTrigger, ScaledObject, ScaledObjectSpec,
    SecretTargetRef, TriggerAuthentication, TriggerAuthenticationSpec,
};
use crate::emit::airflow::k8s_env;
use crate::emit::meta;
use crate::manifest::{Census, ManifestSet, Placement, Stage};
use crate::model::app::CONTAINER;
use crate::model::kafka::Authentication;
use crate::model::resolved::ResolvedPlatform;
use crate::model::resolved::app::{Autoscaler, Hpa, KafkaConnection, Keda, StreamApp};

/// The label that selects an app's pods (Deployment selector, PDB, PodMonitor, NetworkPolicy peers).
pub const APP_LABEL: &str = crate::model::app::POD_LABEL;
/// The consumer groups and topics a Deployment's app reads, comma-separated, for `strata diff`'s rules
/// (a renamed group restarts from the reset policy's offsets).
pub const ANNOTATION_GROUPS: &str = "strata.dev/consumer-groups";
pub const ANNOTATION_TOPICS: &str = "strata.dev/consumed-topics";
/// The environment variables strata sets for the Kafka connection; `strata::app::reserved-env` keeps the
/// spec's `env` off them.
pub const KAFKA_ENV: &[&str] = &[
    "KAFKA_BOOTSTRAP_SERVERS",
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_MECHANISM",
    "KAFKA_USERNAME",
    "KAFKA_PASSWORD",
    "KAFKA_SSL_CA",
    "KAFKA_SSL_CERTIFICATE",
    "KAFKA_SSL_KEY",
    "KAFKA_GROUP_ID",
];

pub fn emit(p: &ResolvedPlatform, set: &mut ManifestSet) {
    for app in &p.apps {
        let at =
            || Placement { stage: Stage::Workloads, tenant: Some(app.tenant.name.clone()), span: app.spec.name.span };
        set.add_typed(&deployment(app), at());
        set.add_typed(&disruption_budget(app), at());
        match &app.autoscaler {
            Some(Autoscaler::Keda(k)) => {
                if let Some(auth) = trigger_authentication(app) {
                    set.add_custom(&auth, at());
                }
                set.add_custom(&scaled_object(app, k), at());
            }
            Some(Autoscaler::Hpa(h)) => set.add_typed(&hpa(app, h), at()),
            None => {}
        }
    }
}

/// The objects [`emit`] adds, as headers ([`Census`]), in the same order.
pub fn census(p: &ResolvedPlatform, c: &mut Census) {
    for app in &p.apps {
        let at =
            || Placement { stage: Stage::Workloads, tenant: Some(app.tenant.name.clone()), span: app.spec.name.span };
        let (name, ns) = (&app.spec.name.value, Some(app.tenant.namespace.as_str()));
        c.typed::<Deployment>(name, ns, at());
        c.typed::<PodDisruptionBudget>(name, ns, at());
        match &app.autoscaler {
            Some(Autoscaler::Keda(_)) => {
                // `trigger_authentication` is `None` exactly for an unauthenticated connection.
                if app.kafka.authentication.is_some() {
                    c.add(crate::crd::keda::API_VERSION, TriggerAuthentication::KIND, name, ns, at());
                }
                c.add(crate::crd::keda::API_VERSION, ScaledObject::KIND, name, ns, at());
            }
            Some(Autoscaler::Hpa(_)) => c.typed::<HorizontalPodAutoscaler>(name, ns, at()),
            None => {}
        }
    }
}

/// The labels of the app's pods, which its Deployment, PDB and PodMonitor select on.
pub(crate) fn labels(app: &StreamApp) -> BTreeMap<String, String> {
    BTreeMap::from([(APP_LABEL.to_string(), app.spec.name.value.clone())])
}

fn literal(name: &str, value: &str) -> K8sEnvVar {
    K8sEnvVar { name: name.to_string(), value: Some(value.to_string()), value_from: None }
}

fn from_secret(name: &str, secret: &str, key: &str) -> K8sEnvVar {
    K8sEnvVar {
        name: name.to_string(),
        value: None,
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector { name: secret.to_string(), key: key.to_string(), optional: None }),
            ..Default::default()
        }),
    }
}

/// The Kafka connection as environment variables, from the Secrets the User Operator writes (the user's:
/// `password` for SCRAM, `user.crt`/`user.key` for TLS) and the cluster CA Secret (`ca.crt`).
fn kafka_env(app: &StreamApp) -> Vec<K8sEnvVar> {
    let k = &app.kafka;
    let mut env = vec![literal("KAFKA_BOOTSTRAP_SERVERS", &k.bootstrap)];
    match k.authentication {
        None => env.push(literal("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")),
        Some(Authentication::ScramSha512) => {
            env.push(literal("KAFKA_SECURITY_PROTOCOL", "SASL_SSL"));
            env.push(literal("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"));
            env.push(literal("KAFKA_USERNAME", &app.spec.name.value));
            env.push(from_secret("KAFKA_PASSWORD", &k.user_secret, "password"));
            env.push(from_secret("KAFKA_SSL_CA", &k.ca_secret, "ca.crt"));
        }
        Some(Authentication::Tls | Authentication::TlsExternal) => {
            env.push(literal("KAFKA_SECURITY_PROTOCOL", "SSL"));
            env.push(from_secret("KAFKA_SSL_CA", &k.ca_secret, "ca.crt"));
            env.push(from_secret("KAFKA_SSL_CERTIFICATE", &k.user_secret, "user.crt"));
            env.push(from_secret("KAFKA_SSL_KEY", &k.user_secret, "user.key"));
        }
    }
    if let [group] = app.spec.groups().as_slice() {
        env.push(literal("KAFKA_GROUP_ID", &group.value));
    }
    env
}

fn probe(port: u32, path: &str, delay: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.to_string()),
            port: IntOrString::Int(i32::try_from(port).unwrap_or(i32::MAX)),
            ..Default::default()
        }),
        initial_delay_seconds: Some(delay),
        period_seconds: Some(10),
        failure_threshold: Some(3),
        ..Default::default()
    }
}

/// The Deployment: restricted Pod Security (non-root, no privilege escalation, every capability dropped,
/// the runtime's seccomp profile), the size preset's requests and limits, HTTP probes, the spec's `env`
/// then the Kafka connection; `replicas` only without an autoscaler.
pub fn deployment(app: &StreamApp) -> Deployment {
    let a = &app.spec;
    let uid = Some(crate::crd::int64(a.run_as_user()));
    let q = |s: String| Quantity(s);
    let resources = ResourceRequirements {
        requests: Some(BTreeMap::from([
            ("cpu".to_string(), q(app.shape.cpu_request.to_string())),
            ("memory".to_string(), q(app.shape.memory_request.to_string())),
        ])),
        limits: Some(BTreeMap::from([
            ("cpu".to_string(), q(app.shape.cpu_limit.to_string())),
            ("memory".to_string(), q(app.shape.memory_limit.to_string())),
        ])),
        ..Default::default()
    };
    let mut env: Vec<K8sEnvVar> = a.env.iter().map(k8s_env).collect();
    env.extend(kafka_env(app));
    let health = a.health.as_ref();
    let port = health.and_then(|h| h.port.as_ref()).map(|p| p.value);
    let container = Container {
        name: CONTAINER.to_string(),
        image: Some(app.image.clone()),
        image_pull_policy: Some("IfNotPresent".to_string()),
        env: Some(env),
        resources: Some(resources),
        liveness_probe: port
            .zip(health.and_then(|h| h.liveness.as_ref()))
            .map(|(port, path)| probe(port, &path.value, 10)),
        readiness_probe: port
            .zip(health.and_then(|h| h.readiness.as_ref()))
            .map(|(port, path)| probe(port, &path.value, 5)),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities { drop: Some(vec!["ALL".to_string()]), add: None }),
            run_as_non_root: Some(true),
            ..Default::default()
        }),
        ports: metrics_ports(&a.metrics),
        ..Default::default()
    };
    let replicas = app.autoscaler.is_none().then(|| int32(u64::from(a.peak_replicas())));
    let mut metadata = meta(&a.name.value, Some(&app.tenant.namespace));
    let groups: Vec<&str> = a.groups().iter().map(|g| g.value.as_str()).collect();
    let mut topics: Vec<&str> = a.consumes.iter().flat_map(|c| c.topics.iter().map(|t| t.value.as_str())).collect();
    topics.dedup();
    let mut notes = BTreeMap::new();
    if !groups.is_empty() {
        notes.insert(ANNOTATION_GROUPS.to_string(), groups.join(","));
    }
    if !topics.is_empty() {
        notes.insert(ANNOTATION_TOPICS.to_string(), topics.join(","));
    }
    metadata.annotations = (!notes.is_empty()).then_some(notes);
    Deployment {
        metadata,
        spec: Some(DeploymentSpec {
            replicas,
            selector: LabelSelector { match_labels: Some(labels(app)), match_expressions: None },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(labels(app)), ..Default::default() }),
                spec: Some(PodSpec {
                    automount_service_account_token: Some(false),
                    priority_class_name: app.priority_class.clone(),
                    security_context: Some(PodSecurityContext {
                        run_as_non_root: Some(true),
                        run_as_user: uid,
                        run_as_group: uid,
                        seccomp_profile: Some(SeccompProfile {
                            type_: "RuntimeDefault".to_string(),
                            localhost_profile: None,
                        }),
                        ..Default::default()
                    }),
                    containers: vec![container],
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// One named TCP container port per `metrics` node (`None` without any): the names the PodMonitor scrapes.
pub(crate) fn metrics_ports(metrics: &[crate::model::monitoring::MetricsPort]) -> Option<Vec<ContainerPort>> {
    (!metrics.is_empty()).then(|| {
        metrics
            .iter()
            .map(|m| ContainerPort {
                name: Some(m.name().to_string()),
                container_port: i32::from(m.number()),
                protocol: Some("TCP".to_string()),
                ..Default::default()
            })
            .collect()
    })
}

/// At most one pod of the app down at a time through voluntary disruptions (drains, node upgrades):
/// `maxUnavailable: 1` never blocks a drain, even at one replica, as `minAvailable` would.
pub fn disruption_budget(app: &StreamApp) -> PodDisruptionBudget {
    PodDisruptionBudget {
        metadata: meta(&app.spec.name.value, Some(&app.tenant.namespace)),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(LabelSelector { match_labels: Some(labels(app)), match_expressions: None }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The scaler's credentials, from the same Secrets the app reads (`None` for an unauthenticated user).
/// The SCRAM username is the app's `KAFKA_USERNAME` variable: Strimzi's user Secret has no username key.
pub fn trigger_authentication(app: &StreamApp) -> Option<TriggerAuthentication> {
    let KafkaConnection { authentication, user_secret, ca_secret, .. } = &app.kafka;
    let secret = |parameter: &str, name: &str, key: &str| SecretTargetRef {
        parameter: parameter.to_string(),
        name: name.to_string(),
        key: key.to_string(),
    };
    let spec = match (*authentication)? {
        Authentication::ScramSha512 => TriggerAuthenticationSpec {
            secret_target_ref: Some(vec![
                secret("password", user_secret, "password"),
                secret("ca", ca_secret, "ca.crt"),
            ]),
            env: Some(vec![AuthEnvironment {
                parameter: "username".to_string(),
                name: "KAFKA_USERNAME".to_string(),
                container_name: Some(CONTAINER.to_string()),
            }]),
        },
        Authentication::Tls | Authentication::TlsExternal => TriggerAuthenticationSpec {
            secret_target_ref: Some(vec![
                secret("ca", ca_secret, "ca.crt"),
                secret("cert", user_secret, "user.crt"),
                secret("key", user_secret, "user.key"),
            ]),
            env: None,
        },
    };
    Some(TriggerAuthentication::new(meta(&app.spec.name.value, Some(&app.tenant.namespace)), spec))
}

/// The ScaledObject: the app's Deployment (same namespace: the type has no other), one Kafka trigger.
pub fn scaled_object(app: &StreamApp, k: &Keda) -> ScaledObject {
    let mut md = BTreeMap::new();
    md.insert("bootstrapServers".to_string(), app.kafka.bootstrap.clone());
    md.insert("consumerGroup".to_string(), k.group.clone());
    if let Some(t) = &k.topic {
        md.insert("topic".to_string(), t.clone());
    }
    md.insert("lagThreshold".to_string(), k.lag.to_string());
    if let Some(a) = k.activation_lag {
        md.insert("activationLagThreshold".to_string(), a.to_string());
    }
    if let Some(b) = k.allow_idle_consumers {
        md.insert("allowIdleConsumers".to_string(), b.to_string());
    }
    if let Some(b) = k.limit_to_partitions_with_lag {
        md.insert("limitToPartitionsWithLag".to_string(), b.to_string());
    }
    match app.kafka.authentication {
        None => {}
        Some(Authentication::ScramSha512) => {
            md.insert("sasl".to_string(), "scram_sha512".to_string());
            md.insert("tls".to_string(), "enable".to_string());
        }
        Some(Authentication::Tls | Authentication::TlsExternal) => {
            md.insert("tls".to_string(), "enable".to_string());
        }
    }
    let name = &app.spec.name.value;
    ScaledObject::new(
        meta(name, Some(&app.tenant.namespace)),
        ScaledObjectSpec {
            scale_target_ref: ScaleTarget {
                api_version: Some("apps/v1".to_string()),
                kind: Some("Deployment".to_string()),
                name: name.clone(),
                env_source_container_name: Some(CONTAINER.to_string()),
            },
            min_replica_count: Some(int32(u64::from(k.min))),
            max_replica_count: Some(int32(u64::from(k.max))),
            idle_replica_count: k.idle.map(|i| i32::try_from(i).unwrap_or(i32::MAX)),
            polling_interval: None,
            cooldown_period: None,
            fallback: k.fallback.map(|(f, r)| Fallback {
                failure_threshold: i32::try_from(f).unwrap_or(i32::MAX),
                replicas: i32::try_from(r).unwrap_or(i32::MAX),
            }),
            triggers: vec![ScaleTrigger {
                type_: "kafka".to_string(),
                name: None,
                metadata: md,
                authentication_ref: app
                    .kafka
                    .authentication
                    .map(|_| AuthenticationRef { name: name.clone(), kind: None }),
            }],
        },
    )
}

/// The HPA on average CPU and/or memory utilization of the container's requests.
pub fn hpa(app: &StreamApp, h: &Hpa) -> HorizontalPodAutoscaler {
    let metric = |name: &str, pct: u32| MetricSpec {
        type_: "Resource".to_string(),
        resource: Some(ResourceMetricSource {
            name: name.to_string(),
            target: MetricTarget {
                type_: "Utilization".to_string(),
                average_utilization: Some(int32(u64::from(pct))),
                ..Default::default()
            },
        }),
        ..Default::default()
    };
    let mut metrics = Vec::new();
    if let Some(c) = h.cpu {
        metrics.push(metric("cpu", c));
    }
    if let Some(m) = h.memory {
        metrics.push(metric("memory", m));
    }
    let name = &app.spec.name.value;
    HorizontalPodAutoscaler {
        metadata: meta(name, Some(&app.tenant.namespace)),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".to_string()),
                kind: "Deployment".to_string(),
                name: name.clone(),
            },
            min_replicas: Some(int32(u64::from(h.min))),
            max_replicas: int32(u64::from(h.max)),
            metrics: Some(metrics),
            behavior: None,
        }),
        ..Default::default()
    }
}
