//! Kafka rules: what Kafka, Strimzi and the apiserver would each reject (or silently ignore) about a topic
//! or user, checked before anything reaches a cluster. Topic names, partitions and replicas against the
//! cluster's brokers, topic configs typed against Kafka's own table, ACLs that name real topics on a cluster
//! that can enforce them, and tenants' topic prefixes.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::check::names::{dns1123_subdomain, require_label, suggest_label};
use crate::crd::strimzi::AclOperation;
use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use crate::model::Platform;
use crate::model::kafka::config;
use crate::model::kafka::{
    Acl, AclOrigin, ApiVersion, Authentication, Authorization, ConfigEntry, KafkaCluster, KafkaUser, MergedTopic,
    Origin, ResourceType, Topic, TopicPreset, is_object_name, topic_object_name,
};
use crate::source::{Span, Spanned};

/// Kafka's longest topic name (`Topic.MAX_NAME_LENGTH`).
const MAX_TOPIC_NAME: usize = 249;
/// The longest CN of a User Operator certificate (X.509 `ub-common-name`).
const MAX_TLS_USER_NAME: usize = 64;
/// Topics Kafka creates and owns itself.
const INTERNAL_TOPICS: &[&str] =
    &["__consumer_offsets", "__transaction_state", "__share_group_state", "__remote_log_metadata"];

pub fn check(p: &Platform, d: &mut Diagnostics) {
    check_clusters(p, d);
    check_presets(p, d);
    let merged: Vec<MergedTopic> = p.kafka.topics.iter().map(|t| p.kafka.merged(t)).collect();
    let mut preset_findings = PresetFindings::new();
    for r in &merged {
        check_topic(p, r, &mut preset_findings, d);
    }
    check_topic_sets(p, d);
    let topics = TopicsByCluster::new(p);
    for u in &p.kafka.users {
        check_user(p, u, &topics, d);
    }
    check_user_sets(p, d);
    check_tenant_prefixes(p, d);
}

fn check_clusters(p: &Platform, d: &mut Diagnostics) {
    crate::check::names::duplicates(
        p.kafka.clusters.iter().map(|c| (c.name.value.as_str(), c.name.span)),
        "strata::kafka::duplicate-cluster",
        "Kafka cluster",
        "each `kafka` node describes one Strimzi `Kafka` resource: rename or remove one",
        d,
    );
    for c in &p.kafka.clusters {
        require_label(&c.name, "Kafka cluster name", "strata::kafka::cluster-name", d);
        require_label(&c.namespace, "namespace", "strata::kafka::namespace", d);
        if c.brokers.value == 0 {
            d.push(
                Diagnostic::error("strata::kafka::brokers", format!("Kafka cluster `{}` has no brokers", c.name.value))
                    .at(c.brokers.span, "brokers=0")
                    .help("give the number of broker nodes the cluster runs, e.g. `brokers=3`"),
            );
        }
    }
}

fn unknown_ref(code: &'static str, what: &str, name: &Spanned<String>, known: &[&str], define: String) -> Diagnostic {
    Diagnostic::error(code, format!("unknown {what} `{}`", name.value))
        .at(name.span, format!("no {what} with this name"))
        .help(match did_you_mean(&name.value, known.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None if known.is_empty() => define,
            None => format!("{define}, or use one of: {}", known.join(", ")),
        })
}

/// The cluster a topic or user names; reports an unknown or missing reference.
fn cluster_ref<'a>(
    p: &'a Platform,
    named: Option<&Spanned<String>>,
    node: &str,
    at: Span,
    d: &mut Diagnostics,
) -> Option<&'a KafkaCluster> {
    if let Some(c) = p.kafka.cluster_for(named) {
        return Some(c);
    }
    let names = p.kafka.cluster_names();
    match named {
        Some(n) => d.push(unknown_ref(
            "strata::kafka::unknown-cluster",
            "Kafka cluster",
            n,
            &names,
            format!("declare it with `kafka \"{}\" namespace=\"kafka\" brokers=3`", n.value),
        )),
        None if names.is_empty() => d.push(
            Diagnostic::error("strata::kafka::unknown-cluster", format!("`{node}` needs a Kafka cluster, and none is declared"))
                .at(at, "on which cluster?")
                .help("declare the cluster with `kafka \"main\" namespace=\"kafka\" brokers=3` (strata refers to an existing Strimzi `Kafka`)"),
        ),
        None => d.push(
            Diagnostic::error("strata::kafka::cluster-required", format!("`{node}` must say which Kafka cluster it is on"))
                .at(at, "on which cluster?")
                .help(format!("the platform has {} clusters: add `kafka=\"{}\"` (or one of: {})", names.len(), names[0], names.join(", "))),
        ),
    }
    None
}

fn tenant_ref(p: &Platform, tenant: Option<&Spanned<String>>, d: &mut Diagnostics) {
    if let Some(t) = tenant
        && p.tenant(&t.value).is_none()
    {
        let names: Vec<&str> = p.tenants.iter().map(|t| t.name.value.as_str()).collect();
        d.push(unknown_ref(
            "strata::kafka::unknown-tenant",
            "tenant",
            t,
            &names,
            format!("declare it with `tenant \"{}\"`", t.value),
        ));
    }
}

/// Why `name` is not a valid Kafka topic name (`org.apache.kafka.common.internals.Topic.validate`).
pub fn topic_name_problem(name: &str) -> Option<(String, String)> {
    if name.is_empty() {
        return Some(("is empty".into(), "give the topic a name".into()));
    }
    if name == "." || name == ".." {
        return Some((format!("`{name}` is not allowed as a topic name"), "pick a name with letters or digits".into()));
    }
    if name.len() > MAX_TOPIC_NAME {
        return Some((
            format!("is {} characters long; Kafka allows at most {MAX_TOPIC_NAME}", name.len()),
            "shorten the name".into(),
        ));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
        let fixed: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' })
            .collect();
        return Some((
            format!("contains `{c}`; Kafka topic names use only letters, digits, `.`, `_` and `-`"),
            format!("e.g. `{fixed}`"),
        ));
    }
    if INTERNAL_TOPICS.contains(&name) {
        return Some((
            format!("`{name}` is one of Kafka's internal topics"),
            "Kafka creates and manages it itself; pick another name".into(),
        ));
    }
    None
}

/// Kafka treats `.` and `_` alike in metric names, so it refuses a topic whose name differs from an
/// existing one only in those characters (`Topic.hasCollision`).
fn collision_key(name: &str) -> String {
    name.replace('.', "_")
}

fn check_config_entries(entries: &[ConfigEntry], cluster: Option<&KafkaCluster>, d: &mut Diagnostics) {
    let version = cluster.and_then(|c| c.version.as_ref()).map(|v| v.value);
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for e in entries {
        if let Some(first) = seen.insert(e.key.value.as_str(), e.key.span) {
            d.push(
                Diagnostic::error("strata::kafka::duplicate-config", format!("`{}` is set twice", e.key.value))
                    .at(e.key.span, "set again here")
                    .also(first, "first set here")
                    .help("keep one of them"),
            );
        }
        let Some(key) = config::lookup(&e.key.value) else {
            let help = match config::topic_key_for_broker_key(&e.key.value) {
                Some(k) => format!("`{}` is a broker setting; the topic-level key is `{k}`", e.key.value),
                None => match did_you_mean(&e.key.value, config::known_names()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => {
                        "see the topic-level configs in Kafka's documentation (`strata` knows every key of Kafka 4.x)"
                            .to_string()
                    }
                },
            };
            d.push(
                Diagnostic::error("strata::kafka::unknown-config", format!("unknown topic config `{}`", e.key.value))
                    .at(e.key.span, "not a topic-level Kafka config")
                    .help(help),
            );
            continue;
        };
        if let Some((removed, instead)) = key.removed
            && version.is_none_or(|v| v >= removed)
        {
            d.push(
                Diagnostic::error(
                    "strata::kafka::config-removed",
                    format!("`{}` was removed in Kafka {removed}", key.name),
                )
                .at(e.key.span, "the broker rejects it")
                .help(instead),
            );
            continue;
        }
        if let (Some(v), Some(c)) = (version, cluster)
            && v < key.since
        {
            let cv = c.version.as_ref().map_or(c.name.span, |v| v.span);
            d.push(
                Diagnostic::error(
                    "strata::kafka::config-version",
                    format!("`{}` needs Kafka {} or newer; cluster `{}` runs {v}", key.name, key.since, c.name.value),
                )
                .at(e.key.span, format!("new in Kafka {}", key.since))
                .also(cv, format!("Kafka {v}"))
                .help("remove the entry, or upgrade the cluster and its `version`"),
            );
        }
        if let Err(problem) = config::parse(key, &e.value.value, version) {
            d.push(
                Diagnostic::error("strata::kafka::config-value", problem.message)
                    .at(e.value.span, problem.label)
                    .help(problem.help),
            );
        }
    }
}

fn check_presets(p: &Platform, d: &mut Diagnostics) {
    crate::check::names::duplicates(
        p.kafka.presets.iter().filter(|t| !t.from_stdlib).map(|t| (t.name.value.as_str(), t.name.span)),
        "strata::kafka::duplicate-preset",
        "topic preset",
        "rename or merge one (a platform preset replaces the stdlib's preset of the same name)",
        d,
    );
    for preset in &p.kafka.presets {
        // Preset values are checked once, where they are written, against the latest Kafka; a cluster's
        // own version is applied to each topic that uses the preset.
        check_config_entries(&preset.config, None, d);
        check_counts(preset.partitions.as_ref(), preset.replicas.as_ref(), d);
    }
}

fn check_counts(partitions: Option<&Spanned<u32>>, replicas: Option<&Spanned<u32>>, d: &mut Diagnostics) {
    if let Some(n) = partitions
        && n.value == 0
    {
        d.push(
            Diagnostic::error("strata::kafka::partitions", "a topic needs at least one partition")
                .at(n.span, "partitions=0")
                .help("use `partitions=1` or more; partitions can be added later but never removed"),
        );
    }
    if let Some(n) = replicas
        && n.value == 0
    {
        d.push(
            Diagnostic::error("strata::kafka::replicas", "a topic needs at least one replica")
                .at(n.span, "replicas=0")
                .help("use `replicas=3` (or the number of brokers, if fewer)"),
        );
    }
}

fn origin_label(origin: Origin, preset: Option<&TopicPreset>) -> String {
    match (origin, preset) {
        (Origin::Preset, Some(p)) => format!(" (from preset `{}`)", p.name.value),
        _ => String::new(),
    }
}

/// What a preset's config gives on a cluster's Kafka version (its `config-version` and `config-removed`
/// findings), by preset and cluster: thousands of topics share a handful of presets, and the answer is the
/// same for every topic that overrides none of the preset's keys.
type PresetFindings = HashMap<(*const TopicPreset, *const KafkaCluster), Vec<Diagnostic>>;

/// The preset's entries the topic does not override, checked against `cluster`'s version only.
fn preset_version_findings(t: &Topic, preset: &TopicPreset, cluster: &KafkaCluster) -> Vec<Diagnostic> {
    let mut version_only = Diagnostics::new();
    check_config_entries(
        &preset
            .config
            .iter()
            .filter(|e| !t.config.iter().any(|o| o.key.value == e.key.value))
            .cloned()
            .collect::<Vec<_>>(),
        Some(cluster),
        &mut version_only,
    );
    version_only
        .iter()
        .filter(|x| x.code == "strata::kafka::config-version" || x.code == "strata::kafka::config-removed")
        .cloned()
        .collect()
}

fn check_topic(p: &Platform, r: &MergedTopic, preset_findings: &mut PresetFindings, d: &mut Diagnostics) {
    let t = r.topic;
    if let Some((why, help)) = topic_name_problem(&t.name.value) {
        d.push(
            Diagnostic::error(
                "strata::kafka::topic-name",
                format!("`{}` is not a valid Kafka topic name", t.name.value),
            )
            .at(t.name.span, why)
            .help(help),
        );
    }
    let cluster = cluster_ref(p, t.cluster.as_ref(), "topic", t.name.span, d);
    tenant_ref(p, t.tenant.as_ref(), d);
    if let Some(preset) = &t.preset
        && r.preset.is_none()
    {
        d.push(unknown_ref(
            "strata::kafka::unknown-preset",
            "topic preset",
            preset,
            &p.kafka.preset_names(),
            format!("define it with `topic-preset \"{}\" {{ config ... }}`", preset.value),
        ));
    }

    check_counts(t.partitions.as_ref(), t.replicas.as_ref(), d);
    if r.partitions.is_none() {
        d.push(
            Diagnostic::error("strata::kafka::partitions", format!("topic `{}` needs a partition count", t.name.value))
                .at(t.name.span, "how many partitions?")
                .help("add e.g. `partitions=6` (or use a preset that sets one); partitions can be added later but never removed"),
        );
    }
    check_config_entries(&t.config, cluster, d);
    let Some(cluster) = cluster else { return };

    // Presets were checked where they are defined; here only what depends on this cluster's version.
    if let Some(preset) = r.preset
        && cluster.version.is_some()
    {
        let overrides = preset.config.iter().any(|e| t.config.iter().any(|o| o.key.value == e.key.value));
        let found = if overrides {
            preset_version_findings(t, preset, cluster)
        } else {
            let key = (preset as *const TopicPreset, cluster as *const KafkaCluster);
            preset_findings.entry(key).or_insert_with(|| preset_version_findings(t, preset, cluster)).clone()
        };
        for diag in found {
            let mut diag = diag;
            if let Some(ps) = &t.preset {
                diag = diag.also(ps.span, format!("topic `{}` uses this preset", t.name.value));
            }
            d.push(diag);
        }
    }

    // A cluster without brokers is reported on its own; every count would be wrong against it.
    if let Some((replicas, origin)) = &r.replicas
        && cluster.brokers.value > 0
        && replicas.value > cluster.brokers.value
    {
        d.push(
            Diagnostic::error(
                "strata::kafka::replicas",
                format!(
                    "topic `{}` wants {} replica{}, but cluster `{}` has {} broker{}",
                    t.name.value,
                    replicas.value,
                    if replicas.value == 1 { "" } else { "s" },
                    cluster.name.value,
                    cluster.brokers.value,
                    if cluster.brokers.value == 1 { "" } else { "s" }
                ),
            )
            .at(replicas.span, format!("replicas={}{}", replicas.value, origin_label(*origin, r.preset)))
            .also(cluster.brokers.span, format!("brokers={}", cluster.brokers.value))
            .help(format!("each replica needs its own broker: use at most `replicas={}`", cluster.brokers.value)),
        );
    }

    check_cross_config(r, d);
}

/// Rules between keys and against the replica count (Kafka's `LogConfig.validateValues` and the
/// tiered-storage validations), evaluated on the merged topic + preset config.
fn check_cross_config(r: &MergedTopic, d: &mut Diagnostics) {
    let t = r.topic;
    let version = r.cluster.and_then(|c| c.version.as_ref()).map(|v| v.value);
    let value = |k: &str| -> Option<(&ConfigEntry, Origin, config::Value)> {
        let (e, o) = r.config.get(k)?;
        let key = config::lookup(k)?;
        config::parse(key, &e.value.value, version).ok().map(|v| (*e, *o, v))
    };
    let label = |e: &ConfigEntry, o: Origin| format!("{} {}{}", e.key.value, e.value.value, origin_label(o, r.preset));

    // `replicas=0` is reported on its own.
    if let (Some((e, o, v)), Some((replicas, ro))) = (value("min.insync.replicas"), &r.replicas)
        && replicas.value > 0
        && let Some(min) = v.as_int()
    {
        let replicas_label = match ro {
            Origin::Default => format!(
                "replicas defaults to {} (the smaller of {} and the cluster's brokers)",
                replicas.value,
                crate::model::kafka::DEFAULT_MAX_REPLICAS
            ),
            _ => format!("replicas={}{}", replicas.value, origin_label(*ro, r.preset)),
        };
        let also_span = if *ro == Origin::Default { t.name.span } else { replicas.span };
        if min > i64::from(replicas.value) {
            d.push(
                Diagnostic::error(
                    "strata::kafka::min-insync-replicas",
                    format!(
                        "topic `{}`: min.insync.replicas {min} is more than its {} replicas",
                        t.name.value, replicas.value
                    ),
                )
                .at(e.value.span, label(e, o))
                .also(also_span, replicas_label)
                .help(format!(
                    "producers with acks=all would always fail with NotEnoughReplicas: use at most {}; {} lets a broker fail",
                    replicas.value,
                    replicas.value.saturating_sub(1).max(1)
                )),
            );
        } else if min == i64::from(replicas.value) && replicas.value > 1 {
            d.push(
                Diagnostic::warning(
                    "strata::kafka::min-insync-replicas",
                    format!(
                        "topic `{}`: min.insync.replicas equals its {} replicas, so no broker can be lost",
                        t.name.value, replicas.value
                    ),
                )
                .at(e.value.span, label(e, o))
                .also(also_span, replicas_label)
                .help(format!(
                    "a single broker restart blocks producers using acks=all: lower `min.insync.replicas` to {}, or raise `replicas`",
                    replicas.value - 1
                )),
            );
        }
    }

    if let (Some((min_e, min_o, min_v)), Some((max_e, max_o, max_v))) =
        (value("min.compaction.lag.ms"), value("max.compaction.lag.ms"))
        && let (Some(min), Some(max)) = (min_v.as_int(), max_v.as_int())
        && min > max
    {
        d.push(
            Diagnostic::error(
                "strata::kafka::config-conflict",
                format!("topic `{}`: min.compaction.lag.ms is above max.compaction.lag.ms", t.name.value),
            )
            .at(min_e.value.span, label(min_e, min_o))
            .also(max_e.value.span, label(max_e, max_o))
            .help("Kafka rejects the topic: lower min.compaction.lag.ms or raise max.compaction.lag.ms"),
        );
    }

    let remote = value("remote.storage.enable").filter(|(_, _, v)| *v == config::Value::Bool(true));
    if let (Some((e, o, _)), Some(c)) = (remote.as_ref(), r.cluster)
        && !c.has_tiered_storage()
    {
        // Kafka's LogConfig.validateRemoteStorageOnlyIfSystemEnabled (storage/.../log/LogConfig.java, 4.1):
        // a broker without tiered storage refuses every topic that asks for it.
        d.push(
            Diagnostic::error(
                "strata::kafka::tiered-storage",
                format!(
                    "topic `{}` asks for tiered storage, but cluster `{}` does not declare it",
                    t.name.value, c.name.value
                ),
            )
            .at(e.value.span, label(e, *o))
            .also(c.name.span, "no `tiered-storage=#true`")
            .help(format!(
                "Kafka refuses the topic (\"Tiered Storage functionality is disabled in the broker\"): declare \
                 `tiered-storage=#true` on kafka \"{}\" if its brokers run with tiered storage (Strimzi: \
                 `.spec.kafka.tieredStorage`), or drop `remote.storage.enable`",
                c.name.value
            )),
        );
    }
    if remote.is_some() {
        if let Some((e, o, config::Value::Str(policy))) = value("cleanup.policy")
            && policy != "delete"
        {
            d.push(
                Diagnostic::error(
                    "strata::kafka::config-conflict",
                    format!("topic `{}`: tiered storage needs cleanup.policy \"delete\"", t.name.value),
                )
                .at(e.value.span, label(e, o))
                .help("Kafka supports remote storage only for delete-policy topics: drop `remote.storage.enable` or use \"delete\""),
            );
        }
        for (local, total) in [("local.retention.ms", "retention.ms"), ("local.retention.bytes", "retention.bytes")] {
            if let (Some((le, lo, lv)), Some((te, to, tv))) = (value(local), value(total))
                && let (Some(l), Some(tot)) = (lv.as_int(), tv.as_int())
                && tot >= 0
                && (l > tot || l == -1)
            {
                d.push(
                    Diagnostic::error(
                        "strata::kafka::config-conflict",
                        format!("topic `{}`: {local} must not exceed {total}", t.name.value),
                    )
                    .at(le.value.span, label(le, lo))
                    .also(te.value.span, label(te, to))
                    .help(format!(
                        "the local copy is part of the retained data: lower {local}, or use -2 to follow {total}"
                    )),
                );
            }
        }
    }
}

fn check_topic_sets(p: &Platform, d: &mut Diagnostics) {
    // Per cluster: exact duplicates and `.`/`_` collisions.
    let mut by_cluster: BTreeMap<&str, Vec<&Topic>> = BTreeMap::new();
    for t in &p.kafka.topics {
        if let Some(c) = p.kafka.cluster_for(t.cluster.as_ref()) {
            by_cluster.entry(c.name.value.as_str()).or_default().push(t);
        }
    }
    for (cluster, topics) in &by_cluster {
        let mut exact: HashMap<&str, &Topic> = HashMap::new();
        let mut unified: HashMap<String, &Topic> = HashMap::new();
        for t in topics {
            if let Some(first) = exact.get(t.name.value.as_str()) {
                d.push(
                    Diagnostic::error(
                        "strata::kafka::duplicate-topic",
                        format!("topic `{}` is declared twice on cluster `{cluster}`", t.name.value),
                    )
                    .at(t.name.span, "declared again here")
                    .also(first.name.span, "first declared here")
                    .help("a Kafka cluster has one topic per name: remove or rename one"),
                );
                continue;
            }
            exact.insert(&t.name.value, t);
            let key = collision_key(&t.name.value);
            if let Some(first) = unified.get(&key) {
                d.push(
                    Diagnostic::error(
                        "strata::kafka::topic-collision",
                        format!(
                            "topics `{}` and `{}` collide on cluster `{cluster}`",
                            first.name.value, t.name.value
                        ),
                    )
                    .at(t.name.span, "differs only in `.` and `_`")
                    .also(first.name.span, "from this topic")
                    .help("Kafka treats `.` and `_` alike in metric names and refuses the second topic: rename one of them"),
                );
            } else {
                unified.insert(key, t);
            }
        }
    }
    // Per namespace: two clusters sharing a namespace cannot both have a KafkaTopic of the same name.
    let mut objects: HashMap<(&str, String), (&Topic, &KafkaCluster)> = HashMap::new();
    for t in &p.kafka.topics {
        let Some(c) = p.kafka.cluster_for(t.cluster.as_ref()) else { continue };
        let key = (c.namespace.value.as_str(), topic_object_name(&t.name.value));
        match objects.get(&key) {
            Some((first, fc)) if fc.name.value != c.name.value => d.push(
                Diagnostic::error(
                    "strata::kafka::topic-object-clash",
                    format!("two topics would be the KafkaTopic `{}/{}`", key.0, key.1),
                )
                .at(t.name.span, format!("on cluster `{}`", c.name.value))
                .also(first.name.span, format!("on cluster `{}`", fc.name.value))
                .help(format!(
                    "clusters `{}` and `{}` share namespace `{}`: give each Kafka cluster its own namespace, or rename a topic",
                    fc.name.value, c.name.value, key.0
                )),
            ),
            Some(_) => {}
            None => {
                objects.insert(key, (t, c));
            }
        }
    }
}

/// The topic names declared on each cluster, built once: every ACL of every user looks its topic up here,
/// and scanning all topics per ACL made large platforms quadratic.
struct TopicsByCluster<'a> {
    /// Per cluster name: the names in declaration order (for suggestions) and as a set (for lookups).
    names: HashMap<&'a str, (Vec<&'a str>, HashSet<&'a str>)>,
}

impl<'a> TopicsByCluster<'a> {
    fn new(p: &'a Platform) -> Self {
        let mut names: HashMap<&str, (Vec<&str>, HashSet<&str>)> = HashMap::new();
        for t in &p.kafka.topics {
            if let Some(c) = p.kafka.cluster_for(t.cluster.as_ref()) {
                let (ordered, set) = names.entry(c.name.value.as_str()).or_default();
                if set.insert(t.name.value.as_str()) {
                    ordered.push(t.name.value.as_str());
                }
            }
        }
        TopicsByCluster { names }
    }

    fn on(&self, cluster: &KafkaCluster) -> Option<&(Vec<&'a str>, HashSet<&'a str>)> {
        self.names.get(cluster.name.value.as_str())
    }
}

fn check_user(p: &Platform, u: &KafkaUser, topics: &TopicsByCluster, d: &mut Diagnostics) {
    if !is_object_name(&u.name.value)
        && let Some(why) = dns1123_subdomain(&u.name.value)
    {
        d.push(
            Diagnostic::error("strata::kafka::user-name", format!("Kafka user name `{}` is not a valid Kubernetes name", u.name.value))
                .at(u.name.span, format!("user name {why}"))
                .help(format!(
                    "the name becomes the KafkaUser and its credentials Secret: use lower-case letters, digits, `-` and `.`, e.g. `{}`",
                    suggest_label(&u.name.value)
                )),
        );
    }
    if let Some(auth) = &u.authentication
        && auth.value.is_tls()
        && u.name.value.len() > MAX_TLS_USER_NAME
    {
        d.push(
            Diagnostic::error(
                "strata::kafka::tls-user-name",
                format!("TLS user name `{}` is {} characters long", u.name.value, u.name.value.len()),
            )
            .at(u.name.span, format!("at most {MAX_TLS_USER_NAME} characters"))
            .also(auth.span, format!("`{}` puts the name in the certificate's CN", auth.value.as_str()))
            .help("the User Operator cannot issue a certificate whose common name exceeds 64 characters: shorten the name"),
        );
    }
    let cluster = cluster_ref(p, u.cluster.as_ref(), "kafka-user", u.name.span, d);
    tenant_ref(p, u.tenant.as_ref(), d);
    check_credentials(u, d);
    // Per-user certificate validity came with strimzi/strimzi-kafka-operator PR #12658 (after 0.51). The
    // releases that still serve v1beta2 lack the fields, and the apiserver would drop them without a word.
    if let Some(c) = cluster
        && c.api_version.value == ApiVersion::V1beta2
        && let Some(days) = u.validity_days.as_ref().or(u.renewal_days.as_ref())
    {
        d.push(
            Diagnostic::error(
                "strata::kafka::certificate-days",
                format!("cluster `{}` runs a Strimzi release without per-user certificate validity", c.name.value),
            )
            .at(days.span, "not in Strimzi 0.51 or older")
            .also(c.api_version.span, "kafka.strimzi.io/v1beta2: Strimzi 0.51 or older")
            .help("remove `validity-days`/`renewal-days` (the cluster's clientsCa settings apply), or upgrade Strimzi and use `api-version=\"v1\"`"),
        );
    }
    for acl in &u.acls {
        check_acl(u, acl, cluster, topics, d);
    }
    if let (Some(c), Some(first)) = (cluster, u.acls.first())
        && !c.authorization.value.manages_acls()
    {
        d.push(
            Diagnostic::error(
                "strata::kafka::acl-without-authorization",
                format!("user `{}` has ACLs, but cluster `{}` has {}", u.name.value, c.name.value, c.authorization.value.describe()),
            )
            .at(first.span, "ACL rules start here")
            .also(c.authorization.span, format!("cluster `{}`", c.name.value))
            .help(match c.authorization.value {
                Authorization::Custom { .. } => "Strimzi would leave the user NotReady (PR #6931): if the custom authorizer manages ACLs through Kafka's Admin API, add `supports-admin-api=#true` (as `supportsAdminApi: true` in the `Kafka` resource); otherwise remove the ACLs",
                _ => "Strimzi would leave the user NotReady (PR #6931): set `authorization=\"simple\"` on the cluster (and in its `Kafka` resource), or remove the ACLs",
            }),
        );
    }
}

fn check_credentials(u: &KafkaUser, d: &mut Diagnostics) {
    let auth = u.authentication.as_ref().map(|a| a.value);
    for days in [&u.validity_days, &u.renewal_days].into_iter().flatten() {
        if auth != Some(Authentication::Tls) {
            d.push(
                Diagnostic::error(
                    "strata::kafka::certificate-days",
                    "certificate validity applies only to `authentication=\"tls\"`",
                )
                .at(days.span, "no certificate is issued for this user")
                .help("remove `validity-days`/`renewal-days`, or use `authentication=\"tls\"`"),
            );
        } else if days.value == 0 {
            d.push(
                Diagnostic::error("strata::kafka::certificate-days", "certificate days must be at least 1")
                    .at(days.span, "0 days")
                    .help("give a number of days, e.g. `validity-days=365 renewal-days=30`"),
            );
        }
    }
    if auth == Some(Authentication::Tls) {
        match (&u.validity_days, &u.renewal_days) {
            (Some(v), None) | (None, Some(v)) => d.push(
                Diagnostic::error("strata::kafka::certificate-days", "`validity-days` and `renewal-days` go together")
                    .at(v.span, "the other one is missing")
                    .help("set both, e.g. `validity-days=365 renewal-days=30`, or neither to use the clients CA's settings"),
            ),
            (Some(v), Some(r)) if r.value >= v.value && v.value > 0 => d.push(
                Diagnostic::error("strata::kafka::certificate-days", "`renewal-days` must be less than `validity-days`")
                    .at(r.span, format!("renewal-days={}", r.value))
                    .also(v.span, format!("validity-days={}", v.value))
                    .help("the certificate is renewed this many days before it expires, so it must be shorter than its validity"),
            ),
            _ => {}
        }
    }
    if let Some(secret) = &u.password_secret {
        if auth != Some(Authentication::ScramSha512) {
            d.push(
                Diagnostic::error(
                    "strata::kafka::password-secret",
                    "`password-secret` applies only to `authentication=\"scram-sha-512\"`",
                )
                .at(secret.span, "no password is used for this user")
                .help("remove it, or use `authentication=\"scram-sha-512\"`"),
            );
        }
        if !is_object_name(&secret.value)
            && let Some(why) = dns1123_subdomain(&secret.value)
        {
            d.push(
                Diagnostic::error(
                    "strata::kafka::password-secret",
                    format!("`{}` is not a valid Secret name", secret.value),
                )
                .at(secret.span, format!("Secret name {why}"))
                .help(format!(
                    "name an existing Secret in the cluster's namespace, e.g. `{}`",
                    suggest_label(&secret.value)
                )),
            );
        }
    }
    if let (Some(key), None) = (&u.password_key, &u.password_secret) {
        d.push(
            Diagnostic::error("strata::kafka::password-secret", "`password-key` without `password-secret`")
                .at(key.span, "which Secret holds this key?")
                .help("add `password-secret=\"<name>\"`, or remove `password-key` to let the User Operator generate a password"),
        );
    }
}

fn check_acl(u: &KafkaUser, acl: &Acl, cluster: Option<&KafkaCluster>, topics: &TopicsByCluster, d: &mut Diagnostics) {
    for op in &acl.operations {
        if AclOperation::parse(&op.value).is_none() {
            let operations = || AclOperation::ALL.iter().map(|o| o.as_str());
            d.push(
                Diagnostic::error(
                    "strata::kafka::acl-operation",
                    format!("`{}` is not a Kafka ACL operation", op.value),
                )
                .at(op.span, "unknown operation")
                .help(match did_you_mean(&op.value, operations()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("use one of: {}", operations().collect::<Vec<_>>().join(", ")),
                }),
            );
        } else if !acl.resource_type.operations().contains(&op.value.as_str()) {
            d.push(
                Diagnostic::error(
                    "strata::kafka::acl-operation",
                    format!("`{}` does not apply to {}", op.value, acl.resource_type.noun()),
                )
                .at(op.span, "never checked by Kafka here")
                .help(format!(
                    "{} take: {}",
                    acl.resource_type.noun(),
                    acl.resource_type.operations().join(", ")
                )),
            );
        }
    }
    if let Some(host) = &acl.host
        && host.value.is_empty()
    {
        d.push(
            Diagnostic::error("strata::kafka::acl-host", "an ACL host cannot be empty")
                .at(host.span, "empty host")
                .help("give an IP address, or remove `host` to allow every host (`*`)"),
        );
    }
    let Some(name) = &acl.resource else { return };
    let written = &name.written.value;
    if written.is_empty() || written.trim_end_matches('*').contains('*') {
        d.push(
            Diagnostic::error("strata::kafka::acl-name", format!("`{written}` is not a resource name or prefix"))
                .at(name.written.span, "a `*` may only end a prefix, or stand alone for every resource")
                .help("write a name (`orders`), a prefix (`analytics.*`), or `*` for all"),
        );
        return;
    }
    if acl.resource_type != ResourceType::Topic || name.is_wildcard() {
        return;
    }
    if let Some(prefix) = name.prefix() {
        if let Some(c) = prefix.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
            d.push(
                Diagnostic::error("strata::kafka::acl-name", format!("topic prefix `{prefix}` contains `{c}`"))
                    .at(name.written.span, "no topic name can start with this")
                    .help("topic names use only letters, digits, `.`, `_` and `-`"),
            );
        }
        return;
    }
    let Some(cluster) = cluster else { return };
    let declared = topics.on(cluster);
    if declared.is_some_and(|(_, set)| set.contains(written.as_str())) {
        return;
    }
    let topics: &[&str] = declared.map_or(&[], |(ordered, _)| ordered);
    let how = match acl.origin {
        AclOrigin::Produces => "produces to",
        AclOrigin::Consumes => "consumes",
        AclOrigin::Explicit => "has an ACL on",
    };
    d.push(
        Diagnostic::error(
            "strata::kafka::acl-unknown-topic",
            format!("user `{}` {how} topic `{written}`, which is not declared on cluster `{}`", u.name.value, cluster.name.value),
        )
        .at(name.written.span, "no such topic")
        .help(match did_you_mean(written, topics.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "declare it with `topic \"{written}\" kafka=\"{}\" ...`, or write `{written}*` to match every topic with this prefix",
                cluster.name.value
            ),
        }),
    );
}

fn check_user_sets(p: &Platform, d: &mut Diagnostics) {
    // Say what strata adds to an isolated tenant's NetworkPolicy on its behalf (shown with --explain).
    let by = crate::model::network::ByTenant::new(p);
    for t in &p.tenants {
        let own = by.users(&t.name.value);
        for ns in p.kafka.auto_egress_namespaces(t, own) {
            let users: Vec<&KafkaUser> = own
                .iter()
                .copied()
                .filter(|u| p.kafka.cluster_for(u.cluster.as_ref()).is_some_and(|c| c.namespace.value == ns))
                .collect();
            let Some(first) = users.first() else { continue };
            let ports = crate::model::kafka::CLIENT_PORTS.iter().map(u16::to_string).collect::<Vec<_>>().join(" ");
            d.push(
                Diagnostic::note(
                    "strata::kafka::client-egress",
                    format!("tenant `{}` may reach namespace `{ns}` on ports {ports}", t.name.value),
                )
                .at(first.name.span, format!("a Kafka user of tenant `{}` on a cluster in `{ns}`", t.name.value))
                .also(t.name.span, "isolated: strata adds the egress rule to its NetworkPolicy")
                .help(format!(
                    "to allow less (e.g. only TLS), write the rule yourself: `network \"isolated\" {{ egress 9093 namespace=\"{ns}\" }}`"
                )),
            );
        }
    }

    // A KafkaUser (and its Secret) is named after the user, in the cluster's namespace.
    let mut seen: HashMap<(&str, &str), &KafkaUser> = HashMap::new();
    for u in &p.kafka.users {
        let Some(c) = p.kafka.cluster_for(u.cluster.as_ref()) else { continue };
        let key = (c.namespace.value.as_str(), u.name.value.as_str());
        if let Some(first) = seen.get(&key) {
            d.push(
                Diagnostic::error(
                    "strata::kafka::duplicate-user",
                    format!("Kafka user `{}` is declared twice in namespace `{}`", u.name.value, key.0),
                )
                .at(u.name.span, "declared again here")
                .also(first.name.span, "first declared here")
                .help("users are unique per cluster namespace (the name is also their Secret's): rename or merge one"),
            );
        } else {
            seen.insert(key, u);
        }
    }
}

/// `name` renamed into `prefix`: `analytics_orders` under `analytics.` becomes `analytics.orders` (the
/// separator fixed), anything else gets the prefix in front.
fn with_prefix(prefix: &str, name: &str) -> String {
    let stem = prefix.trim_end_matches(['.', '_', '-']);
    if !stem.is_empty()
        && stem.len() < prefix.len()
        && let Some(rest) = name.strip_prefix(stem)
        && let Some(rest) = rest.strip_prefix(['.', '_', '-'])
        && !rest.is_empty()
    {
        return format!("{prefix}{rest}");
    }
    format!("{prefix}{name}")
}

/// The tenants' topic prefixes, so that each topic looks up only the prefixes it starts with instead of
/// comparing itself with every tenant (topics × tenants on a large platform).
struct PrefixIndex<'a> {
    tenants_by_prefix: HashMap<&'a str, Vec<usize>>,
    lengths: Vec<usize>,
}

impl<'a> PrefixIndex<'a> {
    fn new(p: &'a Platform) -> Self {
        let mut tenants_by_prefix: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, t) in p.tenants.iter().enumerate() {
            if let Some(prefix) = t.topic_prefix.as_ref().filter(|x| !x.value.is_empty()) {
                tenants_by_prefix.entry(prefix.value.as_str()).or_default().push(i);
            }
        }
        let mut lengths: Vec<usize> = tenants_by_prefix.keys().map(|k| k.len()).collect();
        lengths.sort_unstable();
        lengths.dedup();
        PrefixIndex { tenants_by_prefix, lengths }
    }

    /// Indices of the tenants whose prefix starts `name`, in declaration order.
    fn starting(&self, name: &str) -> impl Iterator<Item = usize> + use<> {
        let mut found: Vec<usize> = self
            .lengths
            .iter()
            .filter(|len| name.is_char_boundary(**len))
            .filter_map(|len| self.tenants_by_prefix.get(&name[..*len]))
            .flatten()
            .copied()
            .collect();
        found.sort_unstable();
        found.into_iter()
    }
}

/// A tenant with `topic-prefix` owns that part of the topic namespace: its topics must start with it, and no
/// other tenant's topic may (a prefix ACL such as `analytics.*` would otherwise reach it).
fn check_tenant_prefixes(p: &Platform, d: &mut Diagnostics) {
    for t in &p.tenants {
        if let Some(q) = p.effective_quota(t)
            && let Some((res, _)) = q.counts.iter().find(|(res, _)| res.value == "kafkatopics.kafka.strimzi.io")
        {
            d.push(
                    Diagnostic::warning(
                        "strata::kafka::topic-count-quota",
                        format!("tenant `{}` counts KafkaTopics in its own namespace, where strata puts none", t.name.value),
                    )
                    .at(res.span, "always 0")
                    .help("a tenant's topics live in the Kafka cluster's namespace (the Topic Operator watches only that one): remove this `count`"),
            );
        }
        let Some(prefix) = &t.topic_prefix else { continue };
        let bad = prefix.value.is_empty()
            || prefix.value.chars().any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')));
        if bad {
            d.push(
                Diagnostic::error(
                    "strata::kafka::topic-prefix",
                    format!("`{}` cannot start a Kafka topic name", prefix.value),
                )
                .at(prefix.span, "topic names use only letters, digits, `.`, `_` and `-`")
                .help(format!("use e.g. `topic-prefix=\"{}.\"`", t.name.value)),
            );
        }
    }
    let prefixes = PrefixIndex::new(p);
    for topic in &p.kafka.topics {
        let owner = match &topic.tenant {
            // An unknown tenant is reported as such; its prefix (if any) is unknown too.
            Some(n) => match p.tenant(&n.value) {
                Some(t) => Some(t),
                None => continue,
            },
            None => None,
        };
        if let Some(owner) = owner
            && let Some(prefix) = &owner.topic_prefix
            && !topic.name.value.starts_with(&prefix.value)
        {
            d.push(
                Diagnostic::error(
                    "strata::kafka::topic-prefix",
                    format!(
                        "topic `{}` of tenant `{}` does not start with `{}`",
                        topic.name.value, owner.name.value, prefix.value
                    ),
                )
                .at(topic.name.span, format!("does not start with `{}`", prefix.value))
                .also(prefix.span, format!("tenant `{}` requires this prefix", owner.name.value))
                .help(format!("rename it, e.g. `{}`", with_prefix(&prefix.value, &topic.name.value))),
            );
            continue;
        }
        for other in prefixes.starting(&topic.name.value).map(|i| &p.tenants[i]) {
            if owner.is_some_and(|o| o.name.value == other.name.value) {
                continue;
            }
            if let Some(prefix) = &other.topic_prefix
                && !prefix.value.is_empty()
                && topic.name.value.starts_with(&prefix.value)
                // A longer prefix of the owner (`analytics.ml.` under `analytics.`) is the owner's own space.
                && owner.and_then(|o| o.topic_prefix.as_ref()).is_none_or(|own| own.value.len() <= prefix.value.len())
            {
                let whose = match owner {
                    Some(o) => format!("tenant `{}`", o.name.value),
                    None => "no tenant".to_string(),
                };
                d.push(
                    Diagnostic::error(
                        "strata::kafka::topic-prefix",
                        format!(
                            "topic `{}` belongs to {whose} but uses tenant `{}`'s prefix `{}`",
                            topic.name.value, other.name.value, prefix.value
                        ),
                    )
                    .at(topic.name.span, format!("in tenant `{}`'s topic space", other.name.value))
                    .also(prefix.span, format!("reserved by tenant `{}`", other.name.value))
                    .help(format!(
                        "give the topic `tenant=\"{}\"`, or rename it (prefix ACLs on `{}*` would reach it)",
                        other.name.value, prefix.value
                    )),
                );
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafka_topic_name_rules() {
        assert!(topic_name_problem("analytics.orders_v2-eu").is_none());
        assert!(topic_name_problem(&"a".repeat(249)).is_none());
        assert!(topic_name_problem(&"a".repeat(250)).is_some());
        assert!(topic_name_problem("").is_some());
        assert!(topic_name_problem(".").is_some());
        assert!(topic_name_problem("..").is_some());
        assert!(topic_name_problem("...").is_none());
        let (why, help) = topic_name_problem("orders/v1").unwrap();
        assert!(why.contains('/') && help.contains("orders-v1"), "{why} {help}");
        assert!(topic_name_problem("__consumer_offsets").is_some());
    }

    #[test]
    fn dots_and_underscores_collide() {
        assert_eq!(collision_key("a.b_c"), collision_key("a_b.c"));
        assert_ne!(collision_key("a.b"), collision_key("a-b"));
    }

    #[test]
    fn prefix_suggestions_fix_the_separator() {
        assert_eq!(with_prefix("analytics.", "analytics_orders"), "analytics.orders");
        assert_eq!(with_prefix("analytics.", "orders"), "analytics.orders");
        assert_eq!(with_prefix("analytics.", "analyticsorders"), "analytics.analyticsorders");
        assert_eq!(with_prefix("team", "team-x"), "teamteam-x");
    }
}

#[cfg(test)]
mod robustness {
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("0".to_string()),
            Just("-1".to_string()),
            Just("-2".to_string()),
            Just("1".to_string()),
            Just("99999999999999999999999".to_string()),
            Just("1.5".to_string()),
            Just("#true".to_string()),
            Just("#null".to_string()),
            Just("\"\"".to_string()),
            Just("\"7d\"".to_string()),
            Just("\"-7d\"".to_string()),
            Just("\"4Gi\"".to_string()),
            Just("\"compact, delete\"".to_string()),
            Just("\"*\"".to_string()),
            Just("\"a_B.*\"".to_string()),
            "\"[a-zA-Z0-9._*-]{0,12}\"".prop_map(|s| s),
        ]
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(crate::model::kafka::config::KEYS.iter().map(|k| k.name).collect::<Vec<_>>())
                .prop_map(str::to_string),
            "[a-z.]{1,20}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Whatever values the Kafka nodes get, checking and emitting never panic, and a spec without errors
        /// always compiles to manifests.
        #[test]
        fn kafka_nodes_never_panic(
            brokers in value(), replicas in value(), partitions in value(), name in value(),
            k1 in key(), v1 in value(), k2 in key(), v2 in value(), op in value(), days in value(),
        ) {
            let spec = format!(
                "platform \"p\"\ntenant \"t\" topic-prefix={name}\n\
                 kafka \"k\" namespace=\"kafka\" brokers={brokers} version={name}\n\
                 topic-preset \"pre\" replicas={replicas} {{\n config {k1:?} {v1}\n}}\n\
                 topic {name} kafka=\"k\" tenant=\"t\" preset=\"pre\" partitions={partitions} replicas={replicas} {{\n config {k1:?} {v2}\n config {k2:?} {v2}\n}}\n\
                 kafka-user {name} kafka=\"k\" tenant=\"t\" authentication=\"tls\" validity-days={days} renewal-days={days} {{\n produces {name} {name}\n consumes {name} group={name}\n acl {op} topic={name}\n quotas producer-byte-rate={v1} controller-mutation-rate={v2}\n}}\n"
            );
            let c = crate::test_support::compile_spec(&spec);
            prop_assert_eq!(c.ok(), c.manifests.is_some(), "{:?}", c.diagnostics);
        }
    }
}
