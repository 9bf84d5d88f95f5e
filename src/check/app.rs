//! Stream app rules: names, image, size, env, probes, and the autoscaler — KEDA's own admission rules
//! (kedacore/keda v2.20.2 `apis/keda/v1alpha1/scaledobject_webhook.go` and `scaledobject_types.go`:
//! `CheckReplicaCountBoundsAreValid`, `CheckFallbackValid`, `verifyName`; the Kafka scaler's metadata rules
//! in `pkg/scalers/kafka_scaler.go`), which KEDA reports only once the object is applied, and the partition
//! arithmetic no tool does: replicas beyond the partitions of the consumed topics sit idle, and KEDA caps
//! the scale there (kedacore/keda#776, #2908). The app's ACLs are its generated KafkaUser's, checked by
//! `check::kafka` like every other user.

use crate::check::names::{dns1123_label, duplicates, suggest_label};
use crate::check::workload::{check_env, check_image};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::emit::app::KAFKA_ENV;
use crate::model::Platform;
use crate::model::app::{KEDA_MAX_NAME_LEN, Scaler, StreamApp};
use crate::model::kafka::TopicsByName;

pub fn check(p: &Platform, d: &mut Diagnostics) {
    let by_tenant = crate::check::names::by_tenant(&p.apps.apps, |a| a.tenant.value.as_str());
    for t in &p.tenants {
        duplicates(
            by_tenant.get(t.name.value.as_str()).into_iter().flatten().map(|a| (a.name.value.as_str(), a.name.span)),
            "strata::app::name",
            "stream-app",
            "a tenant's stream apps share its namespace (and their KafkaUsers a cluster): give each its own name",
            d,
        );
    }
    let topics = p.kafka.topics_by_name();
    for app in &p.apps.apps {
        check_app(p, &topics, app, d);
    }
}

fn check_app(p: &Platform, topics: &TopicsByName<'_>, app: &StreamApp, d: &mut Diagnostics) {
    let object = app.object();
    // The tenant is checked through the app's KafkaUser (`strata::kafka::unknown-tenant`), once.
    if let Some(why) = dns1123_label(&app.name.value) {
        d.push(
            Diagnostic::error("strata::app::name", format!("stream-app name `{}` is not a valid Kubernetes name", app.name.value))
                .at(app.name.span, format!("the name {why}"))
                .help(format!(
                    "use lower-case letters, digits and `-` (at most 63): it is the Deployment's name and its pods' `app.kubernetes.io/name` label, e.g. `{}`",
                    suggest_label(&app.name.value)
                )),
        );
    } else if app.autoscale.as_ref().is_some_and(|a| a.scaler() == Scaler::Keda)
        && app.name.value.len() > KEDA_MAX_NAME_LEN
    {
        d.push(
            Diagnostic::error("strata::app::name", format!("stream-app name `{}` is too long for KEDA", app.name.value))
                .at(app.name.span, format!("{} characters; KEDA allows {KEDA_MAX_NAME_LEN}", app.name.value.len()))
                .help(format!("shorten the name to at most {KEDA_MAX_NAME_LEN} characters"))
                .note_line("KEDA names its HPA `keda-hpa-<name>`, which must fit a 63-character label value; its webhook refuses the ScaledObject otherwise (verifyName, scaledobject_webhook.go)"),
        );
    }
    match &app.image {
        Some(image) => check_image(image, &object, "strata::app::incomplete", "strata::app::incomplete", d),
        None => d.push(
            Diagnostic::error("strata::app::incomplete", format!("{object} has no image"))
                .at(app.name.span, "what does it run?")
                .help("add `image \"registry.acme.io/app:1.2.0\"`"),
        ),
    }
    match &app.size {
        None => d.push(
            Diagnostic::error("strata::app::incomplete", format!("{object} has no size"))
                .at(app.name.span, "how large is each replica?")
                .help("add `size \"m\"` (a size preset: its requests and limits size every replica, and quota fit counts them)"),
        ),
        Some(s) if p.presets.size(&s.value).is_none() => d.push(
            Diagnostic::error("strata::app::incomplete", format!("unknown size `{}`", s.value))
                .at(s.span, "no size preset with this name")
                .help(match crate::diagnostic::did_you_mean(&s.value, p.presets.size_names()) {
                    Some(x) => format!("did you mean `{x}`?"),
                    None => format!("use one of: {}", p.presets.size_names().join(", ")),
                }),
        ),
        Some(_) => {}
    }
    for e in &app.env {
        check_env(e, "strata::app::reserved-env", "strata::app::reserved-env", d);
        if KAFKA_ENV.contains(&e.name.value.as_str()) {
            d.push(
                Diagnostic::error("strata::app::reserved-env", format!("`{}` is set by strata", e.name.value))
                    .at(e.name.span, "strata writes the Kafka connection into this variable")
                    .help("remove it, or read the connection from the variable strata sets; rename your own variable"),
            );
        }
    }
    match &app.health {
        None => d.push(
            Diagnostic::warning("strata::app::no-probes", format!("{object} has no health probes"))
                .at(app.name.span, "no liveness or readiness probe")
                .help("add `health port=8080 liveness=\"/healthz\" readiness=\"/ready\"`: without probes a hung consumer keeps its partitions and a rollout cannot tell a started pod from a working one"),
        ),
        Some(h) if h.liveness.is_none() && h.readiness.is_none() => d.push(
            Diagnostic::warning("strata::app::no-probes", "`health` names no probe path")
                .at(h.span, "neither `liveness=` nor `readiness=`")
                .help("add `liveness=\"/healthz\"` and/or `readiness=\"/ready\"`"),
        ),
        Some(_) => {}
    }
    check_autoscale(p, topics, app, d);
}

fn check_autoscale(p: &Platform, topics: &TopicsByName<'_>, app: &StreamApp, d: &mut Diagnostics) {
    let Some(a) = &app.autoscale else { return };
    if let Some(r) = &app.replicas {
        d.push(
            Diagnostic::error("strata::app::replicas-with-autoscale", "fixed `replicas` on an autoscaled app")
                .at(r.span, "a fixed count")
                .also(a.span, "and an autoscaler")
                .help("remove `replicas`: the autoscaler owns the Deployment's replica count between `min` and `max`, and strata leaves `spec.replicas` out so an apply never resets the scale"),
        );
    }
    let resource = a.cpu.is_some() || a.memory.is_some();
    match (&a.kafka, resource) {
        (Some(k), true) => d.push(
            Diagnostic::error("strata::app::autoscale", "`autoscale` has both a Kafka trigger and CPU/memory targets")
                .at(k.span, "KEDA's Kafka scaler")
                .also(a.cpu.as_ref().or(a.memory.as_ref()).map_or(a.span, |c| c.span), "an HPA target")
                .help("keep one: `kafka lag=...` (a KEDA ScaledObject) or `cpu=`/`memory=` (an HPA)"),
        ),
        (None, false) => d.push(
            Diagnostic::error("strata::app::autoscale", "`autoscale` has nothing to scale on")
                .at(a.span, "no trigger")
                .help(
                    "add `{ kafka lag=100 }` to scale on consumer lag (KEDA), or `cpu=\"70%\"` to scale on CPU (HPA)",
                ),
        ),
        _ => {}
    }
    let Some(max) = &a.max else { return };
    if let Some(m) = &a.min
        && m.value > max.value
    {
        d.push(
            Diagnostic::error("strata::app::autoscale", format!("`min={}` is above `max={}`", m.value, max.value))
                .at(m.span, "the lower bound")
                .also(max.span, "the upper bound")
                .help(format!("lower `min` to at most {} or raise `max`", max.value))
                .note_line("KEDA's CRD and webhook refuse it: \"MinReplicaCount=… must be less than MaxReplicaCount=…\" (CheckReplicaCountBoundsAreValid); an HPA needs maxReplicas ≥ minReplicas"),
        );
    }
    if max.value == 0 {
        d.push(
            Diagnostic::error("strata::app::autoscale", "`max=0` never runs the app")
                .at(max.span, "at most zero replicas")
                .help("set `max` to at least 1; to stop the app, remove it"),
        );
    }
    if a.scaler() == Scaler::Hpa {
        if let Some(m) = a.min.as_ref().filter(|m| m.value == 0) {
            d.push(
                Diagnostic::error("strata::app::autoscale", "an HPA cannot scale to zero")
                    .at(m.span, "`min=0`")
                    .help("set `min=1`, or scale on Kafka lag with `kafka lag=...`: KEDA scales to zero")
                    .note_line(
                        "minReplicas 0 needs the alpha HPAScaleToZero feature gate and an Object or External metric",
                    ),
            );
        }
        if let Some(x) = &a.idle {
            {
                d.push(
                    Diagnostic::error("strata::app::idle-replicas", "`idle-replicas` is a KEDA setting")
                        .at(x.span, "an HPA has no idle count")
                        .help("remove it, or scale with `kafka lag=...`"),
                );
            }
        }
        if let Some(f) = &a.fallback {
            d.push(
                Diagnostic::error(
                    "strata::app::fallback",
                    "`fallback` is a KEDA setting that does not work with CPU/memory",
                )
                .at(f.span, "no fallback for an HPA")
                .help("remove `fallback`; KEDA's fallback needs a scaler other than cpu/memory (CheckFallbackValid)"),
            );
        }
        return;
    }
    // KEDA: `idleReplicaCount` must be below the HPA's minimum (at least 1) and only 0 is supported.
    if let Some(idle) = &a.idle {
        // KEDA compares with the HPA's minimum, which is at least 1 (GetHPAMinReplicas): 0 always passes.
        if idle.value != 0 {
            d.push(
                Diagnostic::error("strata::app::idle-replicas", format!("`idle-replicas={}` is not one KEDA accepts", idle.value))
                    .at(idle.span, "KEDA supports only 0")
                    .help("write `idle-replicas=0` (scale to zero while there is no lag) with `min` of at least 1, or remove it")
                    .note_line("KEDA's webhook: \"IdleReplicaCount=… must be less than MinReplicaCount=…\" (CheckReplicaCountBoundsAreValid, apis/keda/v1alpha1/scaledobject_types.go); its docs: only 0 is supported"),
            );
        }
    }
    if let Some(f) = &a.fallback {
        match (&f.failure_threshold, &f.replicas) {
            (Some(t), Some(r)) if t.value < 0 || r.value < 0 => d.push(
                Diagnostic::error("strata::app::fallback", "`fallback` values must not be negative")
                    .at(if t.value < 0 { t.span } else { r.span }, "negative")
                    .help("use counts of 0 or more")
                    .note_line("KEDA's webhook: \"FailureThreshold=… & Replicas=… must both be greater than or equal to 0\" (CheckFallbackValid)"),
            ),
            (Some(_), Some(_)) => {}
            (t, _) => d.push(
                Diagnostic::error("strata::app::fallback", format!("`fallback` needs {}", if t.is_none() { "`failure-threshold`" } else { "`replicas`" }))
                    .at(f.span, "incomplete")
                    .help("write both: `fallback failure-threshold=3 replicas=4`")
                    .note_line("KEDA's CRD requires both fallback.failureThreshold and fallback.replicas"),
            ),
        }
    }
    let Some(k) = &a.kafka else { return };
    // The group KEDA measures must be one the app reads as.
    let groups = app.groups();
    match &k.group {
        Some(g) if !groups.iter().any(|x| x.value == g.value) => d.push(
            Diagnostic::error(
                "strata::app::consumer-group",
                format!("the app does not consume as group `{}`", g.value),
            )
            .at(g.span, "KEDA would measure this group's lag")
            .help(match groups.first() {
                Some(x) => format!("measure a group the app consumes as, e.g. `group=\"{}\"`", x.value),
                None => "add `consumes \"topic\" group=\"...\"` to the app".to_string(),
            }),
        ),
        None if groups.len() != 1 => d.push(
            Diagnostic::error("strata::app::consumer-group", "which consumer group's lag scales the app?")
                .at(
                    k.span,
                    if groups.is_empty() {
                        "the app consumes as no group"
                    } else {
                        "the app consumes as several groups"
                    },
                )
                .help(if groups.is_empty() {
                    "give its `consumes` a group: `consumes \"orders\" group=\"orders-app\"`".to_string()
                } else {
                    format!("name one: `kafka group=\"{}\" ...`", groups[0].value)
                }),
        ),
        _ => {}
    }
    if let Some(t) = &k.topic
        && !app.consumes.iter().any(|c| c.topics.iter().any(|x| x.value == t.value))
    {
        d.push(
            Diagnostic::error("strata::app::consumer-group", format!("the app does not consume topic `{}`", t.value))
                .at(t.span, "KEDA would measure this topic's lag")
                .help("name a topic of the app's `consumes`, or remove `topic=` to measure every topic of the group"),
        );
    }
    if k.limits_to_lag() {
        if let Some(flag) = &k.limit_to_partitions_with_lag
            && k.topic.is_none()
        {
            d.push(
                Diagnostic::error("strata::app::partitions-with-lag", "`limit-to-partitions-with-lag` needs `topic`")
                    .at(flag.span, "KEDA refuses it without a topic")
                    .help("add `topic=\"...\"` to the `kafka` trigger")
                    .note_line("the Kafka scaler: \"topic must be specified when using limitToPartitionsWithLag\" (pkg/scalers/kafka_scaler.go)"),
            );
        }
        if let (Some(flag), Some(idle)) =
            (&k.limit_to_partitions_with_lag, k.allow_idle_consumers.as_ref().filter(|b| b.value))
        {
            d.push(
                Diagnostic::error("strata::app::partitions-with-lag", "`limit-to-partitions-with-lag` and `allow-idle-consumers` exclude each other")
                    .at(flag.span, "caps replicas at the partitions with lag")
                    .also(idle.span, "lifts the partition cap")
                    .help("keep one of them")
                    .note_line("the Kafka scaler: \"allowIdleConsumers and limitToPartitionsWithLag cannot be set simultaneously\" (pkg/scalers/kafka_scaler.go)"),
            );
        }
    }
    // The partition cap (R-KEDA-1): replicas above the partitions never get one to read.
    if !k.allows_idle()
        && let Some((partitions, parts)) = app.partition_cap(p, topics)
        && u64::from(max.value) > partitions
    {
        let idle = u64::from(max.value) - partitions;
        let list = parts.iter().map(|(t, n)| format!("`{t}` {n}")).collect::<Vec<_>>().join(" + ");
        d.push(
            Diagnostic::warning(
                "strata::app::idle-consumers",
                format!("`max={}` is above the {partitions} partitions the app's consumer group can use", max.value),
            )
            .at(max.span, format!("{idle} of {} replicas would have no partition", max.value))
            .help(format!("lower `max` to {partitions}, or add partitions to the topics (set `allow-idle-consumers=#true` only for spare consumers on purpose)"))
            .note_line(format!(
                "partitions of the measured topics: {list} = {partitions}; KEDA never scales past them unless allowIdleConsumers is set (kedacore/keda#776, #2908), so the quota reserved for the other {idle} is never used"
            )),
        );
    }
}
