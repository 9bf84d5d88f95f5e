//! Stream app rules over the objects of a `stream-app`: an autoscaler whose maximum is lowered caps the
//! lag the app can catch up with, a renamed consumer group starts from no committed offsets (its reset
//! policy then re-reads or skips data), and a topic the app stops consuming leaves its offsets to expire.
//! The consumer groups and topics are read from the annotations `emit::app` puts on the Deployment. A fixed
//! replica count handed to an autoscaler drops the Deployment to one replica on the first apply.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;

use crate::crd::CustomResource;
use crate::crd::keda::ScaledObject;
use crate::diff::rules::{Context, read_both};
use crate::diff::{ChangeKind, Finding, ObjectChange};
use crate::emit::app::{ANNOTATION_GROUPS, ANNOTATION_TOPICS};

pub const MAX_LOWERED: &str = "strata::diff::app-max-lowered";
pub const GROUP_RENAMED: &str = "strata::diff::consumer-group-renamed";
pub const TOPIC_REMOVED: &str = "strata::diff::consumed-topic-removed";
pub const REPLICAS_HANDOVER: &str = "strata::diff::replicas-handover";

pub fn check(changes: &[ObjectChange], cx: &Context, out: &mut Vec<Finding>) {
    for c in changes.iter().filter(|c| c.kind == ChangeKind::Changed) {
        if c.is(ScaledObject::GROUP, ScaledObject::KIND) {
            let Some((o, n)) = read_both::<ScaledObject>(c, cx, out) else { continue };
            let max = |s: &ScaledObject| i64::from(s.spec.max_replica_count.unwrap_or(100));
            max_lowered(c, "KEDA ScaledObject", max(&o), max(&n), out);
        } else if c.is("autoscaling", "HorizontalPodAutoscaler") {
            let Some((o, n)) = read_both::<HorizontalPodAutoscaler>(c, cx, out) else { continue };
            let max = |h: &HorizontalPodAutoscaler| i64::from(h.spec.as_ref().map_or(0, |s| s.max_replicas));
            max_lowered(c, "HorizontalPodAutoscaler", max(&o), max(&n), out);
        } else if c.is("apps", "Deployment") {
            let Some((o, n)) = read_both::<Deployment>(c, cx, out) else { continue };
            consumption(c, &o, &n, out);
            replicas_handover(c, &o, &n, out);
        }
    }
}

fn max_lowered(c: &ObjectChange, what: &str, old: i64, new: i64, out: &mut Vec<Finding>) {
    if new >= old {
        return;
    }
    out.push(
        Finding::warning(
            MAX_LOWERED,
            c,
            format!("{what} `{}` lowers its maximum from {old} to {new} replicas", c.key.name),
            format!(
                "at most {new} consumers serve the lag from now on; if the app runs more than {new} replicas \
                 at peak today, the autoscaler scales it down on apply and its lag grows until {new} replicas \
                 catch up"
            ),
        )
        .help("check the app's replica count at peak before merging; lower the maximum in steps if it runs near it"),
    );
}

/// strata stops writing `spec.replicas` once an app autoscales (the autoscaler owns the scale). Server-side
/// apply then removes the field strata alone managed, and the Deployment's default of 1 applies until the
/// autoscaler's first scale: the Kubernetes documentation warns of exactly this one-time drop ("Migrating
/// Deployments and StatefulSets to horizontal autoscaling", kubernetes.io/docs/tasks/run-application/
/// horizontal-pod-autoscale/#migrating-deployments-and-statefulsets-to-horizontal-autoscaling). `strata apply`
/// hands the field over first (`reconcile::apply::replicas_handover`); the warning is for output applied any
/// other way, which the pull request cannot see.
fn replicas_handover(c: &ObjectChange, old: &Deployment, new: &Deployment, out: &mut Vec<Finding>) {
    let replicas = |d: &Deployment| d.spec.as_ref().and_then(|s| s.replicas);
    let (Some(before), None) = (replicas(old), replicas(new)) else { return };
    if before <= 1 {
        return;
    }
    out.push(
        Finding::warning(
            REPLICAS_HANDOVER,
            c,
            format!("stream app `{}` hands its {before} fixed replicas to an autoscaler", c.key.name),
            format!(
                "`strata apply` keeps the {before} pods running: it hands the replica count to the field manager \
                 `{manager}` before it stops writing `spec.replicas`, and the autoscaler's first scale takes it \
                 from there. Applied any other way (`kubectl apply --server-side`, a GitOps controller), the \
                 field is released and the Deployment falls back to 1 replica: {} of {before} pods stop until the \
                 autoscaler's first scale-up",
                before - 1,
                manager = crate::manifest::REPLICAS_HANDOVER_MANAGER,
            ),
        )
        .help(format!(
            "apply this change with `strata apply`; with another tool, scale the Deployment to {before} by hand \
             first (`kubectl scale deployment {} --replicas={before}`), or apply the autoscaler with \
             `autoscale min={before}` first and lower `min` in a later change",
            c.key.name
        )),
    );
}

fn list<'a>(d: &'a Deployment, key: &str) -> Vec<&'a str> {
    d.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(key))
        .map(|v| v.split(',').filter(|s| !s.is_empty()).collect())
        .unwrap_or_default()
}

fn consumption(c: &ObjectChange, old: &Deployment, new: &Deployment, out: &mut Vec<Finding>) {
    let (og, ng) = (list(old, ANNOTATION_GROUPS), list(new, ANNOTATION_GROUPS));
    let gone: Vec<&str> = og.iter().copied().filter(|g| !ng.contains(g)).collect();
    let added: Vec<&str> = ng.iter().copied().filter(|g| !og.contains(g)).collect();
    if let (Some(from), Some(to)) = (gone.first(), added.first()) {
        out.push(
            Finding::error(
                GROUP_RENAMED,
                c,
                format!("stream app `{}` renames its consumer group `{from}` to `{to}`", c.key.name),
                format!(
                    "Kafka keeps committed offsets per group: `{to}` has none, so the app starts where its \
                     `auto.offset.reset` says — `earliest` re-reads every retained record, `latest` skips \
                     everything produced since `{from}` last committed"
                ),
            )
            .help(format!(
                "keep the group `{from}`, or migrate its offsets first (`kafka-consumer-groups.sh --reset-offsets \
                 --group {to} --to-offset ...` from `{from}`'s committed offsets) with the app stopped"
            )),
        );
    }
    let (ot, nt) = (list(old, ANNOTATION_TOPICS), list(new, ANNOTATION_TOPICS));
    for t in ot.iter().filter(|t| !nt.contains(t)) {
        out.push(
            Finding::warning(
                TOPIC_REMOVED,
                c,
                format!("stream app `{}` stops consuming topic `{t}`", c.key.name),
                "records produced to it from now on are not read by the app, and the group's committed offsets \
                 for it expire after `offsets.retention.minutes` (7 days by default): consuming it again later \
                 starts from the reset policy",
            )
            .help(format!("make sure another consumer reads `{t}`, or that its data is no longer needed")),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::diff::{Side, compare};
    use crate::test_support::compile;

    fn spec(group: &str, topics: &str, max: u32) -> String {
        format!(
            r#"
tenant "t" topic-prefix="t."
kafka "main" namespace="kafka" brokers=3 authorization="simple"
topic "t.a" tenant="t" partitions=12
topic "t.b" tenant="t" partitions=12
stream-app "app" tenant="t" {{
    image "registry.acme.io/app:1.0.0"
    size "s"
    consumes {topics} group="{group}"
    health port=8080 liveness="/healthz"
    autoscale min=1 max={max} {{
        kafka lag=100
    }}
}}
"#
        )
    }

    fn findings(base: &str, head: &str) -> Vec<(&'static str, String)> {
        let (b, h) = (compile(base), compile(head));
        assert!(
            b.ok() && h.ok(),
            "{:?} {:?}",
            b.diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>(),
            h.diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>()
        );
        let (b, h) = (b.manifests.expect("base compiles"), h.manifests.expect("head compiles"));
        let d = compare(&Side::new("base", &b), &Side::new("head", &h));
        d.findings.iter().map(|f| (f.code, f.message.clone())).collect()
    }

    #[test]
    fn lowered_maximum_renamed_group_and_removed_topic() {
        let base = spec("app-v1", "\"t.a\" \"t.b\"", 12);
        assert_eq!(findings(&base, &base), []);
        let f = findings(&base, &spec("app-v2", "\"t.a\"", 6));
        assert!(
            f.contains(&(
                super::MAX_LOWERED,
                "KEDA ScaledObject `app` lowers its maximum from 12 to 6 replicas".into()
            )),
            "{f:?}"
        );
        assert!(
            f.contains(&(
                super::GROUP_RENAMED,
                "stream app `app` renames its consumer group `app-v1` to `app-v2`".into()
            )),
            "{f:?}"
        );
        assert!(f.contains(&(super::TOPIC_REMOVED, "stream app `app` stops consuming topic `t.b`".into())), "{f:?}");
        // A raised maximum and the same group are safe.
        assert_eq!(findings(&base, &spec("app-v1", "\"t.a\" \"t.b\"", 12)), []);
        let raised: Vec<_> = findings(&base, &spec("app-v1", "\"t.a\" \"t.b\"", 24));
        assert!(raised.iter().all(|(c, _)| *c != super::MAX_LOWERED), "{raised:?}");
    }

    #[test]
    fn fixed_replicas_handed_to_an_autoscaler_warn_of_the_drop_to_one() {
        let autoscaled = spec("app-v1", "\"t.a\"", 12);
        let fixed = |n: u32| {
            autoscaled.replace("autoscale min=1 max=12 {\n        kafka lag=100\n    }", &format!("replicas {n}"))
        };
        assert_ne!(fixed(4), autoscaled, "the fixture has the autoscale block");
        let f = findings(&fixed(4), &autoscaled);
        assert!(
            f.contains(&(
                super::REPLICAS_HANDOVER,
                "stream app `app` hands its 4 fixed replicas to an autoscaler".into()
            )),
            "{f:?}"
        );
        // One replica loses nothing, and going back to fixed replicas is strata writing the field again.
        assert!(findings(&fixed(1), &autoscaled).iter().all(|(c, _)| *c != super::REPLICAS_HANDOVER));
        assert!(findings(&autoscaled, &fixed(4)).iter().all(|(c, _)| *c != super::REPLICAS_HANDOVER));
    }
}
