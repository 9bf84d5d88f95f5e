//! Flink job rules: the checks the Flink Kubernetes Operator's validator (DefaultValidator) would only report
//! later in `.status.error` (name pattern, memory, upgrade modes and their directories, forbidden keys, HA for
//! standby JobManagers, the flinkVersion enum), plus the arithmetic of parallelism and task slots.

use crate::check::airflow::tenant_ref;
use crate::check::names::suggest_label;
use crate::check::workload::{check_env, check_image, check_literal};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::Platform;
use crate::model::Scalar;
use crate::model::flink::{
    AUTOSCALER_PREFIX, AUTOSCALER_SINCE, Autoscale, DEFAULT_VERTEX_MAX_PARALLELISM, DivisorFit, FORBIDDEN_CONFIG,
    FlinkJob, FlinkVersion, GOOD_MAX_PARALLELISMS, MAX_NAME_LEN, MAX_PARALLELISM_KEY, MIN_JOBMANAGER_MEMORY,
    MIN_TASKMANAGER_MEMORY, OWNED_CONFIG, Role, UPPER_BOUND_MAX_PARALLELISM, UpgradeMode, is_prime, parse_major_minor,
};
use crate::source::{Span, Spanned};
use crate::units::Bytes;

pub fn check(p: &Platform, d: &mut Diagnostics) {
    let by_tenant = crate::check::names::by_tenant(&p.flink.jobs, |j| j.tenant.value.as_str());
    for t in &p.tenants {
        crate::check::names::duplicates(
            by_tenant.get(t.name.value.as_str()).into_iter().flatten().map(|j| (j.name.value.as_str(), j.name.span)),
            "strata::flink::duplicate",
            "flink-job",
            "a tenant's Flink jobs share its namespace: give each its own name",
            d,
        );
    }
    for job in &p.flink.jobs {
        check_job(p, job, d);
    }
}

/// Why `name` does not match the operator's `[a-z]([-a-z\d]{0,43}[a-z\d])?`, or `None`.
pub fn name_issue(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("is empty".into());
    }
    if name.len() > MAX_NAME_LEN {
        return Some(format!("is {} characters long; the limit is {MAX_NAME_LEN}", name.len()));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("must start with a lower-case letter".into());
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return Some(format!("contains `{c}`; only lower-case letters, digits and `-` are allowed"));
    }
    if name.ends_with('-') {
        return Some("must end with a letter or digit".into());
    }
    None
}

fn suggest_name(name: &str) -> String {
    let s = suggest_label(name);
    let s = s.trim_start_matches(|c: char| !c.is_ascii_lowercase());
    let s: String = s.chars().take(MAX_NAME_LEN).collect();
    let s = s.trim_end_matches('-').to_string();
    if s.is_empty() { "my-job".to_string() } else { s }
}

fn check_job(p: &Platform, job: &FlinkJob, d: &mut Diagnostics) {
    if let Some(why) = name_issue(&job.name.value) {
        d.push(
            Diagnostic::error("strata::flink::name", format!("flink-job name `{}` is not valid for the Flink operator", job.name.value))
                .at(job.name.span, format!("the name {why}"))
                .help(format!("use at most {MAX_NAME_LEN} lower-case letters, digits and `-`, starting with a letter, e.g. `{}`", suggest_name(&job.name.value)))
                .note_line("the operator requires `[a-z]([-a-z0-9]{0,43}[a-z0-9])?`: the name becomes the cluster id and its Services' names (FLINK-28087)"),
        );
    }
    tenant_ref(p, &job.tenant, "strata::flink::unknown-tenant", d);
    let owner = format!("flink-job `{}`", job.name.value);
    if let Some(image) = &job.image {
        check_image(image, &owner, "strata::flink::image", "strata::flink::image-tag", d);
    }
    if let Some(u) = &job.run_as_user
        && u.value == 0
    {
        d.push(
            Diagnostic::error("strata::flink::run-as-user", "Flink pods cannot run as root")
                .at(u.span, "uid 0 is root")
                .help("the official image's `flink` user is 9999: remove `run-as-user` or give a non-zero uid")
                .note_line("Flink pods get a restricted security context (runAsNonRoot)"),
        );
    }
    if let Some(jar) = &job.jar {
        if jar.uri.value.trim().is_empty() {
            d.push(
                Diagnostic::error("strata::flink::jar", "the jar URI is empty")
                    .at(jar.uri.span, "which jar runs?")
                    .help("give the jar's URI, e.g. \"local:///opt/flink/usrlib/job.jar\" for a jar inside the image"),
            );
        }
        if let Some(v) = &jar.version {
            check_version(v, d);
        }
    }
    check_parallelism(job, d);
    for role in [Role::JobManager, Role::TaskManager] {
        check_resources(p, job, role, d);
    }
    check_state(job, d);
    check_config(job, d);
    for e in &job.env {
        check_env(e, "strata::flink::env-name", "strata::flink::literal-secret", d);
    }
    crate::check::workload::check_job_uris(&flink_uris(job), "strata::flink::literal-secret", d);
    check_pod_security_config(p, job, d);
    check_autoscale(job, d);
    check_reads(p, job, d);
}

/// The job autoscaler: a Flink version it runs on, what the operator's AutoscalerValidator refuses, how
/// the max parallelism's divisors serve it, and the keys it owns.
fn check_autoscale(job: &FlinkJob, d: &mut Diagnostics) {
    let owned_by_autoscale = |k: &str| k.starts_with(AUTOSCALER_PREFIX) || k == MAX_PARALLELISM_KEY;
    // A `config "job.autoscaler.enabled"` without the block is checked by `check::flink_operator`.
    let Some(a) = &job.autoscale else { return };
    for (k, _) in job.config.iter().filter(|(k, _)| owned_by_autoscale(&k.value) && written_by_autoscale(a, &k.value)) {
        d.push(
            Diagnostic::error("strata::flink::config-owned", format!("`{}` is set by strata", k.value))
                .at(k.span, "written from the `autoscale` block")
                .also(a.span, "the autoscaler is configured here")
                .help("set it in the `autoscale` block instead of `config`"),
        );
    }
    if let Some(v) = job.version()
        && v.crd().major_minor() < AUTOSCALER_SINCE
    {
        let span = job.jar.as_ref().and_then(|j| j.version.as_ref()).map_or(job.name.span, |s| s.span);
        d.push(
            Diagnostic::error("strata::flink::autoscale-version", format!("the job autoscaler needs Flink 1.17 or newer, not {v}"))
                .at(a.span, "the operator's job autoscaler")
                .also(span, format!("Flink {v}"))
                .help("upgrade the job to Flink 1.17 or newer (in-place rescaling needs 1.18), or remove `autoscale`")
                .note_line("the autoscaler applies its decisions as job vertex parallelism overrides, which Flink 1.17 added; 1.15 and 1.16 need backported patches (flink-kubernetes-operator docs, autoscaler \"Requirements\")"),
        );
    }
    if let Some(r) = job.taskmanager.as_ref().and_then(|t| t.replicas.as_ref()) {
        d.push(
            Diagnostic::error(
                "strata::flink::autoscale-replicas",
                "a fixed TaskManager count and the job autoscaler together",
            )
            .at(r.span, "fixes the job at replicas × slots")
            .also(a.span, "the autoscaler sets each vertex's parallelism, and so the TaskManagers")
            .help("remove `replicas` and give the starting parallelism with `parallelism N`"),
        );
    }
    for (v, what) in [(&a.min, "min"), (&a.max, "max"), (&a.max_parallelism, "max-parallelism")] {
        if let Some(v) = v
            && v.value == 0
        {
            zero(
                v.span,
                &format!("`autoscale {what}`"),
                "strata::flink::autoscale-limits",
                "parallelism starts at 1",
                d,
            );
        }
    }
    if let Some(m) = &a.max_parallelism
        && m.value > UPPER_BOUND_MAX_PARALLELISM
    {
        d.push(
            Diagnostic::error(
                "strata::flink::autoscale-limits",
                format!("max parallelism {} is above Flink's limit", m.value),
            )
            .at(m.span, format!("at most {UPPER_BOUND_MAX_PARALLELISM}"))
            .help("Flink accepts 1 to 32768 key groups (KeyGroupRangeAssignment.UPPER_BOUND_MAX_PARALLELISM)"),
        );
    }
    if let (Some(lo), Some(hi)) = (&a.min, &a.max)
        && lo.value > hi.value
    {
        d.push(
            Diagnostic::error("strata::flink::autoscale-limits", format!("min ({}) is above max ({})", lo.value, hi.value))
                .at(lo.span, "min")
                .also(hi.span, "max")
                .help(format!("swap them: `min={} max={}`", hi.value, lo.value))
                .note_line("the autoscaler requires \"The parallelism lower limitation must not be greater than the parallelism upper limitation\" (JobVertexScaler)"),
        );
    }
    let max_par = job.max_parallelism();
    if let (Some(m), Some(par)) = (max_par, job.effective_parallelism())
        && par > m
        && par > 0
    {
        let span = job.parallelism.as_ref().map_or(job.name.span, |p| p.span);
        d.push(
            Diagnostic::error(
                "strata::flink::autoscale-limits",
                format!("parallelism {par} is above the max parallelism {m}"),
            )
            .at(span, format!("{par} parallel task instances"))
            .also(a.max_parallelism.as_ref().map_or(a.span, |m| m.span), format!("{m} key groups"))
            .help(format!("lower `parallelism` to at most {m}, or raise `max-parallelism`"))
            .note_line(
                "Flink refuses a parallelism above the max parallelism: every subtask needs at least one key group",
            ),
        );
    }
    if let (Some(hi), Some(m)) = (&a.max, max_par)
        && hi.value > m
    {
        d.push(
            Diagnostic::warning("strata::flink::autoscale-limits", format!("`max={}` is above the max parallelism {m}: the autoscaler stops at {m}", hi.value))
                .at(hi.span, format!("never reached: no vertex runs above {m}"))
                .help(format!("lower `max` to {m}, or raise `max-parallelism` (only together with the job's state)"))
                .note_line("AutoScalerOptions `vertex.max-parallelism`: \"this limit will be ignored if it is higher than the max parallelism configured in the Flink config or directly on each operator\""),
        );
    }
    check_utilization(a, d);
    check_divisors(job, a, d);
}

/// The `autoscale` settings that become a configuration key (a `config` entry with it would be overwritten).
fn written_by_autoscale(a: &Autoscale, key: &str) -> bool {
    match key.strip_prefix(AUTOSCALER_PREFIX) {
        Some("enabled" | "scaling.enabled") => true,
        Some("vertex.min-parallelism") => a.min.is_some(),
        Some("vertex.max-parallelism") => a.max.is_some(),
        Some("utilization.target" | "target.utilization") => a.target_utilization.is_some(),
        Some("utilization.min") => a.utilization_min.is_some(),
        Some("utilization.max") => a.utilization_max.is_some(),
        Some("metrics.window") => a.metrics_window.is_some(),
        Some("stabilization.interval") => a.stabilization.is_some(),
        Some("catch-up.duration") => a.catch_up.is_some(),
        Some("restart.time") => a.restart_time.is_some(),
        Some(_) => false,
        None => key == MAX_PARALLELISM_KEY && a.max_parallelism.is_some(),
    }
}

/// AutoscalerValidator (release-1.15.0): `utilization.target` within [0, 1], `utilization.max` within
/// [target, 1], `utilization.min` within [0, target]; the operator refuses the deployment otherwise.
fn check_utilization(a: &Autoscale, d: &mut Diagnostics) {
    let target = a.target_utilization.as_ref().map_or(0.7, |t| t.value);
    let bad = |d: &mut Diagnostics, v: &Spanned<f64>, key: &str, lo: f64, hi: f64, why: String| {
        if v.value < lo || v.value > hi || !v.value.is_finite() {
            d.push(
                Diagnostic::error("strata::flink::autoscale-utilization", format!("{key} {} is outside [{lo}, {hi}]", v.value))
                    .at(v.span, why)
                    .help("utilizations are fractions of a vertex's busy time: target 0.7 means 70% busy")
                    .note_line(format!("operator: \"The AutoScalerOption job.autoscaler.{key} is invalid, it should be a value within the range [{lo}, {hi}]\"")),
            );
        }
    };
    if let Some(t) = &a.target_utilization {
        bad(d, t, "utilization.target", 0.0, 1.0, "a target utilization is between 0 and 1".to_string());
        if t.value == 0.0 {
            d.push(
                Diagnostic::error(
                    "strata::flink::autoscale-utilization",
                    "a target utilization of 0 asks for infinite parallelism",
                )
                .at(t.span, "0% busy")
                .help("use e.g. 0.7"),
            );
        }
    }
    if let Some(m) = &a.utilization_max {
        bad(d, m, "utilization.max", target, 1.0, format!("at least the target {target}"));
    }
    if let Some(m) = &a.utilization_min {
        bad(d, m, "utilization.min", 0.0, target, format!("at most the target {target}"));
    }
}

/// The autoscaler rounds a keyed vertex's parallelism up to a divisor of the key groups: a max parallelism
/// with few divisors in the scaling range makes it overshoot (flink-kubernetes-operator `JobVertexScaler.scale`,
/// release-1.15.0; the autoscaler guide recommends "120, 180, 240, 360, 720").
fn check_divisors(job: &FlinkJob, a: &Autoscale, d: &mut Diagnostics) {
    let (Some(n), Some(initial)) = (job.max_parallelism(), job.effective_parallelism()) else { return };
    if n == 0 || initial == 0 || n > UPPER_BOUND_MAX_PARALLELISM {
        return;
    }
    let lo = a.min.as_ref().map_or(1, |m| m.value).max(1);
    let hi = n.min(a.max.as_ref().map_or(DEFAULT_VERTEX_MAX_PARALLELISM, |m| m.value).max(initial));
    let fit = DivisorFit::of(n, lo, hi);
    let prime = is_prime(n) && n > 3;
    if !prime && !fit.few() && a.max_parallelism.is_some() {
        return;
    }
    let suggestion = GOOD_MAX_PARALLELISMS.iter().copied().find(|g| *g >= hi).unwrap_or(GOOD_MAX_PARALLELISMS[0]);
    let list = fit.usable.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
    let written = a
        .max_parallelism
        .as_ref()
        .map(|m| m.span)
        .or_else(|| job.config.iter().find(|(k, _)| k.value == MAX_PARALLELISM_KEY).map(|(_, v)| v.span));
    let (message, label, span) = match written {
        None => (
            format!(
                "flink-job `{}` autoscales without a max parallelism: Flink derives {n} from parallelism {initial}",
                job.name.value
            ),
            format!("Flink's default, a power of two: the autoscaler can only run keyed operators at {list}"),
            a.span,
        ),
        Some(span) if prime => (
            format!("max parallelism {n} is prime: the autoscaler can only run keyed operators at 1 or {n} subtasks"),
            if n <= hi {
                format!("every scale-up of a keyed operator jumps to {n}")
            } else {
                "no parallelism in between spreads its key groups evenly".to_string()
            },
            span,
        ),
        Some(span) => (
            format!("max parallelism {n} leaves the autoscaler few parallelisms between {lo} and {hi}: {list}"),
            "it rounds a keyed operator's parallelism up to one of these".to_string(),
            span,
        ),
    };
    let mut diag = Diagnostic::warning("strata::flink::autoscale-divisors", message).at(span, label);
    if let Some((wanted, gets)) = fit.worst.filter(|_| fit.few()) {
        diag = diag.note_line(format!(
            "a keyed operator that needs {wanted} subtasks runs at {gets} ({}× the TaskManager slots it needs)",
            format_ratio(gets, wanted)
        ));
    }
    d.push(
        diag.help(format!(
            "set `max-parallelism={suggestion}` (or another number with many divisors, at least the autoscaler's limit {hi}); it is fixed for the life of the job's state, so choose it before the job's first run"
        ))
        .note_line("the autoscaler searches upward from the parallelism it wants for a divisor of the key groups (flink-kubernetes-operator JobVertexScaler.scale)"),
    );
}

/// `64/33` as `1.9`.
fn format_ratio(num: u32, den: u32) -> String {
    let tenths = (u64::from(num) * 10 + u64::from(den) / 2) / u64::from(den.max(1));
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// `reads "topic"`: the topic exists on the cluster named (or the only one); the sources' parallelism is
/// capped by the sum of the partitions they read (flink-kubernetes-operator FLINK-32100, PR #597: the
/// autoscaler limits a Kafka source to its partitions, summed over topics; a fixed-parallelism Kafka
/// source leaves the subtasks above it without a split).
fn check_reads(p: &Platform, job: &FlinkJob, d: &mut Diagnostics) {
    let mut partitions: Vec<(&str, u32)> = Vec::new();
    let mut all_known = !job.reads.is_empty();
    for r in &job.reads {
        let cluster = p.kafka.cluster_for(r.cluster.as_ref());
        let found = p.kafka.topics.iter().find(|t| {
            t.name.value == r.topic.value
                && match (cluster, p.kafka.cluster_for(t.cluster.as_ref())) {
                    (Some(a), Some(b)) => a.name.value == b.name.value,
                    _ => r.cluster.is_none(),
                }
        });
        let Some(topic) = found else {
            let names: Vec<&str> = p.kafka.topics.iter().map(|t| t.name.value.as_str()).collect();
            let on = r.cluster.as_ref().map_or(String::new(), |c| format!(" on Kafka cluster `{}`", c.value));
            d.push(
                Diagnostic::error(
                    "strata::flink::unknown-topic",
                    format!(
                        "flink-job `{}` reads topic `{}`, which the platform does not declare{on}",
                        job.name.value, r.topic.value
                    ),
                )
                .at(r.topic.span, "no such `topic`")
                .help(match crate::diagnostic::did_you_mean(&r.topic.value, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("declare it with `topic \"{}\" partitions=12 ...`, or fix the name", r.topic.value),
                }),
            );
            all_known = false;
            continue;
        };
        match p.kafka.merged(topic).partitions {
            Some((n, _)) => partitions.push((topic.name.value.as_str(), n.value)),
            None => all_known = false,
        }
    }
    if !all_known {
        return;
    }
    let total: u32 = partitions.iter().map(|(_, n)| *n).fold(0, u32::saturating_add);
    let (limit, what, span) = match (job.autoscaler_peak(), job.effective_parallelism()) {
        (Some(peak), _) => {
            let a = job.autoscale.as_ref().map_or(job.name.span, |a| a.max.as_ref().map_or(a.span, |m| m.span));
            (peak, format!("the autoscaler may raise the job to {peak}"), a)
        }
        (None, Some(par)) => (
            par,
            format!("the job runs at parallelism {par}"),
            job.parallelism.as_ref().map_or(job.name.span, |p| p.span),
        ),
        (None, None) => return,
    };
    if limit <= total || total == 0 {
        return;
    }
    let sum = partitions.iter().map(|(t, n)| format!("`{t}` {n}")).collect::<Vec<_>>().join(" + ");
    let scaled = job.autoscaler_peak().is_some();
    d.push(
        Diagnostic::warning(
            "strata::flink::source-partitions",
            format!("flink-job `{}` reads {total} partitions, but {what}", job.name.value),
        )
        .at(span, if scaled { format!("the autoscaler caps its Kafka sources at {total}") } else { format!("{} source subtasks get no partition", limit - total) })
        .also(job.reads[0].span, format!("{sum} = {total} partitions"))
        .help(if scaled {
            format!("lower `max` to {total} unless operators after a keyBy or rebalance need more; or add partitions to the topics")
        } else {
            format!("lower `parallelism` to {total}, or give the sources their own parallelism in the job's code")
        })
        .note_line("a Kafka source splits by partition: one partition is read by one subtask, so subtasks beyond the partitions idle (the autoscaler limits source parallelism to the partitions, summed over all topics: FLINK-32100)"),
    );
}

/// `config` keys that take a job out of what its tenant's Pod Security level guarantees, refused unless the
/// tenant is `privileged` (the documented per-tenant exception):
/// - `kubernetes.hostnetwork.enabled`: host namespaces are forbidden from `baseline` up (Pod Security
///   Standards, "Host Namespaces"; pod-security-admission `check_hostNamespaces.go`);
/// - `kubernetes.service-account`, `kubernetes.jobmanager.service-account`,
///   `kubernetes.taskmanager.service-account`: the pods would run under another identity than the one
///   strata grants (Flink `KubernetesConfigOptions`);
/// - `kubernetes.{jobmanager,taskmanager}.annotations` with an AppArmor profile that is not
///   `runtime/default` or `localhost/*` (`unconfined`): forbidden from `baseline` up.
fn check_pod_security_config(p: &Platform, job: &FlinkJob, d: &mut Diagnostics) {
    let Some(t) = p.tenant(&job.tenant.value) else { return };
    if t.pod_security.value == crate::model::PodSecurity::Privileged {
        return;
    }
    for (k, v) in &job.config {
        let why = match k.value.as_str() {
            "kubernetes.hostnetwork.enabled"
                if !matches!(&v.value, Scalar::Bool(false)) && !matches!(&v.value, Scalar::Str(s) if s == "false") =>
            {
                "host networking is forbidden by Pod Security `baseline` and `restricted`"
            }
            "kubernetes.service-account"
            | "kubernetes.jobmanager.service-account"
            | "kubernetes.taskmanager.service-account" => {
                "the pods would run under a ServiceAccount strata does not manage"
            }
            // `key:value,key:value` (Flink KubernetesConfigOptions JOB_MANAGER_ANNOTATIONS and
            // TASK_MANAGER_ANNOTATIONS); AppArmor other than runtime/default or localhost/* is refused from
            // `baseline` up (pod-security-admission `check_appArmorProfile.go`).
            "kubernetes.jobmanager.annotations" | "kubernetes.taskmanager.annotations"
                if matches!(&v.value, Scalar::Str(s) if s.split(',').filter_map(|kv| kv.split_once(':')).any(|(a, p)| {
                    a.trim().starts_with(crate::check::workload::APPARMOR_ANNOTATION)
                        && !crate::check::workload::apparmor_allowed(p)
                })) =>
            {
                "an AppArmor profile other than `runtime/default` or `localhost/*` is forbidden by Pod Security `baseline` and `restricted`"
            }
            _ => continue,
        };
        d.push(
            Diagnostic::error("strata::flink::pod-security", format!("`{}` is not allowed in tenant `{}`", k.value, t.name.value))
                .at(k.span, why)
                .also(t.name.span, format!("the tenant enforces Pod Security `{}`", t.pod_security.value.as_str()))
                .help("remove it, or run the job in a tenant with `pod-security=\"privileged\"` (a documented per-tenant exception)"),
        );
    }
}

/// The URI-valued fields of a job, each with the name the message gives it.
fn flink_uris(job: &FlinkJob) -> Vec<(&'static str, &Spanned<String>)> {
    let mut out = Vec::new();
    out.extend(job.jar.as_ref().map(|j| ("jar", &j.uri)));
    if let Some(c) = &job.checkpoints {
        out.extend(c.dir.as_ref().map(|u| ("checkpoints dir", u)));
        out.extend(c.savepoint_dir.as_ref().map(|u| ("checkpoints savepoint-dir", u)));
    }
    out.extend(job.high_availability.as_ref().and_then(|h| h.dir.as_ref()).map(|u| ("high-availability dir", u)));
    out
}

fn check_version(v: &Spanned<String>, d: &mut Diagnostics) {
    if FlinkVersion::parse(&v.value).is_some() {
        return;
    }
    let supported: Vec<String> = FlinkVersion::supported().map(|v| v.to_string()).collect();
    let (message, label) = match parse_major_minor(&v.value) {
        // In the CRD's enum, so the API server accepts it; the operator's validator then refuses it.
        Some((a, b)) if crate::crd::flink::FlinkVersion::of(a, b).is_some() => (
            format!("Flink {a}.{b} is not supported by the Flink operator 1.15"),
            format!("operator: \"Flink version v{a}_{b} is not supported by this operator version\""),
        ),
        Some((a, b)) => (
            format!("Flink {a}.{b} is not supported by the Flink operator"),
            format!("flinkVersion `v{a}_{b}` is not in the operator's list"),
        ),
        None => (format!("`{}` is not a Flink version", v.value), "expected e.g. `1.20` or `v1_20`".to_string()),
    };
    d.push(
        Diagnostic::error("strata::flink::version", message)
            .at(v.span, label)
            .help(format!("use one of {} (written `1.20` or `v1_20`)", supported.join(", ")))
            .note_line("the operator 1.15 CRD's `spec.flinkVersion` accepts v1_13 … v1_20, v2_0, v2_1, v2_2; the operator itself runs only 1.15 and newer (FlinkVersion.isSupported)"),
    );
}

fn zero(span: Span, what: &str, code: &'static str, help: &str, d: &mut Diagnostics) {
    d.push(Diagnostic::error(code, format!("{what} must be at least 1")).at(span, "0").help(help.to_string()));
}

fn check_parallelism(job: &FlinkJob, d: &mut Diagnostics) {
    let tm = job.taskmanager.as_ref();
    if let Some(par) = &job.parallelism
        && par.value == 0
    {
        zero(
            par.span,
            "parallelism",
            "strata::flink::parallelism",
            "give the number of parallel task instances, e.g. `parallelism 4`",
            d,
        );
    }
    let slots = tm.and_then(|t| t.slots.as_ref());
    if let Some(s) = slots
        && s.value == 0
    {
        zero(s.span, "slots", "strata::flink::slots", "each TaskManager needs at least one task slot", d);
    }
    let tm_replicas = tm.and_then(|t| t.replicas.as_ref());
    if let Some(r) = tm_replicas
        && r.value == 0
    {
        zero(
            r.span,
            "taskmanager replicas",
            "strata::flink::replicas",
            "remove `replicas` to let the operator derive it from parallelism and slots",
            d,
        );
    }
    if let Some(r) = job.jobmanager.as_ref().and_then(|j| j.replicas.as_ref())
        && r.value == 0
    {
        zero(
            r.span,
            "jobmanager replicas",
            "strata::flink::replicas",
            "use 1, or 2 or more with `high-availability`",
            d,
        );
    }
    match (&job.parallelism, tm_replicas) {
        (None, None) => d.push(
            Diagnostic::error("strata::flink::parallelism", format!("flink-job `{}` has no parallelism", job.name.value))
                .at(job.name.span, "how many parallel task instances?")
                .help("add `parallelism 4` (the operator then starts ceil(parallelism / slots) TaskManagers), or `taskmanager replicas=N`"),
        ),
        (Some(par), Some(r)) if par.value > 0 && r.value > 0 => {
            let slots = job.slots();
            let capacity = u64::from(r.value) * u64::from(slots);
            if u64::from(par.value) > capacity && slots > 0 {
                let needed = par.value.div_ceil(slots);
                d.push(
                    Diagnostic::error(
                        "strata::flink::parallelism",
                        format!("parallelism {} needs more task slots than the TaskManagers have", par.value),
                    )
                    .at(par.span, format!("{} parallel task instances", par.value))
                    .also(r.span, format!("{} TaskManagers × {slots} slots = {capacity} slots", r.value))
                    .help(format!(
                        "raise `replicas` to {needed}, raise `slots`, or remove `replicas` so the operator derives it from parallelism"
                    ))
                    .note_line(format!("with `replicas` set the operator ignores `parallelism` and runs the job at {capacity}")),
                );
            } else if u64::from(par.value) < capacity {
                d.push(
                    Diagnostic::warning(
                        "strata::flink::parallelism-ignored",
                        format!("parallelism {} is ignored: the job runs at {capacity}", par.value),
                    )
                    .at(par.span, "ignored by the operator")
                    .also(r.span, format!("{} TaskManagers × {slots} slots = {capacity} slots", r.value))
                    .help("remove `parallelism` (the operator uses every slot when `replicas` is set), or remove `replicas` so TaskManagers follow parallelism")
                    .note_line("operator: \"Job parallelism setting is ignored as TaskManager replicas are set\""),
                );
            }
        }
        _ => {}
    }
}

fn check_resources(p: &Platform, job: &FlinkJob, role: Role, d: &mut Diagnostics) {
    let node = role.node();
    let Some(c) = job.component(role) else {
        d.push(
            Diagnostic::error(
                "strata::flink::memory",
                format!("flink-job `{}` has no `{node}` memory", job.name.value),
            )
            .at(job.name.span, format!("`{node}` is missing"))
            .help(format!("add `{node} size=\"m\"` (a size preset) or `{node} memory=\"4Gi\"`"))
            .note_line(format!(
                "the operator requires spec.{}.resource.memory",
                if role == Role::JobManager { "jobManager" } else { "taskManager" }
            )),
        );
        return;
    };
    if let Some(diag) =
        c.size.as_ref().and_then(|size| crate::check::presets::unknown_size(p, size, "strata::flink::unknown-size"))
    {
        d.push(diag);
    }
    if c.size.is_none() && c.memory.is_none() {
        d.push(
            Diagnostic::error(
                "strata::flink::memory",
                format!("`{node}` of flink-job `{}` has no memory", job.name.value),
            )
            .at(c.span, "neither `size` nor `memory`")
            .help(format!("add `size=\"m\"` (a size preset) or `memory=\"4Gi\"` to `{node}`"))
            .note_line(format!(
                "the operator requires spec.{}.resource.memory",
                if role == Role::JobManager { "jobManager" } else { "taskManager" }
            )),
        );
    }
    let zero_memory = c.memory.as_ref().filter(|m| m.value.0 == 0).map(|m| (m.span, "memory"));
    let zero_cpu = c.cpu.as_ref().filter(|m| m.value.0 == 0).map(|m| (m.span, "cpu"));
    for (span, what) in zero_memory.into_iter().chain(zero_cpu) {
        d.push(
            Diagnostic::error("strata::flink::resources", format!("`{node}` {what} is zero"))
                .at(span, "nothing to run on")
                .help(format!("give the {what} each {node} pod gets, or use `size=`")),
        );
    }
    // Flink's memory model with its default settings; a spec that tunes it through `config` knows better.
    let (minimum, prefix) = match role {
        Role::JobManager => (MIN_JOBMANAGER_MEMORY, "jobmanager.memory."),
        Role::TaskManager => (MIN_TASKMANAGER_MEMORY, "taskmanager.memory."),
    };
    let tuned = job.config.iter().any(|(k, _)| k.value.starts_with(prefix));
    if let Some(shape) = job.resources(role, p)
        && !tuned
        && shape.memory_request.0 > 0
        && shape.memory_request.0 < minimum
    {
        let span = c.memory.as_ref().map(|m| m.span).or(c.size.as_ref().map(|s| s.span)).unwrap_or(c.span);
        d.push(
            Diagnostic::warning(
                "strata::flink::memory-too-small",
                format!("a {node} with {} cannot start with Flink's default memory settings", shape.memory_request),
            )
            .at(span, format!("{} for the whole process", shape.memory_request))
            .help(format!("give it at least {} (e.g. `size=\"s\"` or larger)", Bytes(minimum)))
            .note_line(if role == Role::JobManager {
                "Flink reserves 576Mi of a JobManager: metaspace 256Mi, JVM overhead 192Mi, off-heap 128Mi"
            } else {
                "Flink reserves metaspace 256Mi, JVM overhead 192Mi, framework heap and off-heap 128Mi each, network 64Mi, and 40% of the rest as managed memory"
            }),
        );
    }
}

/// A directory inside the pod is gone when the pod is replaced, together with every checkpoint in it.
fn ephemeral_dir(dir: &Spanned<String>, what: &str, d: &mut Diagnostics) {
    let v = dir.value.trim();
    if v.is_empty() {
        d.push(
            Diagnostic::error("strata::flink::state-dir", format!("the {what} is empty"))
                .at(dir.span, "no directory")
                .help("give durable storage, e.g. \"s3://bucket/flink/<job>\""),
        );
    } else if !v.contains("://") || v.starts_with("file://") {
        d.push(
            Diagnostic::warning("strata::flink::state-dir", format!("the {what} `{}` is inside the pod", dir.value))
                .at(dir.span, "a local path does not survive a pod restart")
                .help("use durable storage the job can reach, e.g. \"s3://bucket/flink/<job>\" or \"hdfs://...\""),
        );
    }
}

fn check_state(job: &FlinkJob, d: &mut Diagnostics) {
    let cp = job.checkpoints.as_ref();
    let mode = job.upgrade_mode();
    if let Some(c) = cp {
        for (dir, what) in [(&c.dir, "checkpoint directory"), (&c.savepoint_dir, "savepoint directory")] {
            if let Some(dir) = dir {
                ephemeral_dir(dir, what, d);
            }
        }
    }
    if let Some(ha) = &job.high_availability
        && let Some(dir) = &ha.dir
    {
        ephemeral_dir(dir, "high-availability directory", d);
    }
    if mode != UpgradeMode::Stateless
        && let Some(c) = cp
    {
        let upgrade_span = c.upgrade.as_ref().map_or(c.span, |u| u.span);
        if c.dir.is_none() {
            d.push(
                Diagnostic::error(
                    "strata::flink::checkpoint-dir",
                    format!("upgrade mode `{}` needs a checkpoint directory", mode.as_str()),
                )
                .at(upgrade_span, format!("`{}` restores from checkpoints", mode.as_str()))
                .help("add `dir=\"s3://bucket/checkpoints/<job>\"` to `checkpoints`")
                .note_line("the operator refuses last-state and savepoint upgrades without a checkpoint directory"),
            );
        }
        if mode == UpgradeMode::Savepoint && c.savepoint_dir.is_none() {
            d.push(
                Diagnostic::error(
                    "strata::flink::savepoint-dir",
                    "upgrade mode `savepoint` needs a savepoint directory",
                )
                .at(upgrade_span, "upgrades stop the job with a savepoint")
                .help("add `savepoint-dir=\"s3://bucket/savepoints/<job>\"` to `checkpoints`"),
            );
        }
        // A warning since operator 1.15: its validator no longer requires HA for last-state, and a running
        // job is upgraded from the latest checkpoint it reads over REST (AbstractJobReconciler
        // `getJobUpgrade`). Only a job whose JobManager is gone or failed needs the HA metadata, and then the
        // upgrade stops (ApplicationReconciler: "JobManager deployment is missing and HA metadata is not
        // available to make stateful upgrades"), release-1.15.0.
        if mode == UpgradeMode::LastState && job.high_availability.is_none() {
            d.push(
                Diagnostic::warning("strata::flink::last-state-ha", "upgrade mode `last-state` without high availability cannot recover a failed job's state")
                    .at(upgrade_span, "a running job upgrades from its latest checkpoint; a failed one has no HA metadata to restore from")
                    .help("add `high-availability dir=\"s3://bucket/flink-ha/<job>\"`, or use `upgrade=\"savepoint\"`")
                    .note_line("operator 1.15, when the JobManager is missing or failed: \"JobManager deployment is missing and HA metadata is not available to make stateful upgrades\""),
            );
        }
        if c.every.is_none() || c.every.as_ref().is_some_and(|e| e.value.0 == 0) {
            d.push(
                Diagnostic::warning("strata::flink::checkpoint-interval", "checkpointing is not enabled")
                    .at(c.every.as_ref().map_or(c.span, |e| e.span), "Flink takes no checkpoints without an interval")
                    .help("add `every=\"60s\"` to `checkpoints`, or the upgrade restores old or no state"),
            );
        }
    }
    let jm_replicas = job.jobmanager.as_ref().and_then(|j| j.replicas.as_ref());
    if let Some(r) = jm_replicas
        && r.value > 1
        && job.high_availability.is_none()
    {
        d.push(
            Diagnostic::error("strata::flink::ha-required", format!("{} JobManagers need high availability", r.value))
                .at(r.span, "standby JobManagers without leader election")
                .help("add `high-availability dir=\"s3://bucket/flink-ha/<job>\"`, or use one JobManager")
                .note_line("operator: \"High availability should be enabled when starting standby JobManagers\""),
        );
    }
}

fn check_config(job: &FlinkJob, d: &mut Diagnostics) {
    let mut seen: Vec<&Spanned<String>> = Vec::new();
    for (k, v) in &job.config {
        if let Some(first) = seen.iter().find(|s| s.value == k.value) {
            d.push(
                Diagnostic::error("strata::flink::duplicate-config", format!("`{}` is set twice", k.value))
                    .at(k.span, "again here")
                    .also(first.span, "first here")
                    .help("keep one `config` per key"),
            );
        }
        seen.push(k);
        if FORBIDDEN_CONFIG.contains(&k.value.as_str()) {
            d.push(
                Diagnostic::error(
                    "strata::flink::forbidden-config",
                    format!("the Flink operator forbids `{}`", k.value),
                )
                .at(k.span, "set by the operator from the FlinkDeployment's namespace and name")
                .help("remove it; the operator rejects a FlinkDeployment that sets it"),
            );
        } else if let Some((_, instead)) = OWNED_CONFIG.iter().find(|(key, _)| *key == k.value) {
            d.push(
                Diagnostic::error("strata::flink::config-owned", format!("`{}` is set by strata", k.value))
                    .at(k.span, "written from a dedicated setting")
                    .help(format!("use {instead} instead of `config`")),
            );
        }
        if let Scalar::Str(s) = &v.value {
            check_literal(k, &Spanned::new(s.clone(), v.span), "config", "strata::flink::literal-secret", d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_name_pattern() {
        assert_eq!(name_issue("clickstream"), None);
        assert_eq!(name_issue("a"), None);
        assert_eq!(name_issue(&"a".repeat(45)), None);
        assert!(name_issue(&"a".repeat(46)).unwrap().contains("46 characters"));
        assert!(name_issue("1job").unwrap().contains("start"));
        assert!(name_issue("-job").is_some());
        assert!(name_issue("job-").unwrap().contains("end"));
        assert!(name_issue("Job").is_some());
        assert!(name_issue("my_job").unwrap().contains('_'));
        assert!(name_issue("my.job").is_some());
        assert!(name_issue("").is_some());
        assert_eq!(suggest_name("1_Fraud_Scoring"), "fraud-scoring");
        assert_eq!(name_issue(&suggest_name(&"x".repeat(60))), None);
    }
}

#[cfg(test)]
mod job_tests {
    use crate::test_support::{codes, compile};

    fn check(body: &str) -> Vec<&'static str> {
        codes(&compile(&format!("{TENANT}{body}")))
    }

    /// A tenant whose JobManagers may reach the API server, so these tests see only the job's own findings.
    const TENANT: &str = "tenant \"t\" { network \"isolated\" { egress 443 cidr=\"10.0.0.0/16\"; }; }\n";

    fn job(inner: &str) -> String {
        format!("flink-job \"j\" tenant=\"t\" {{\n    image \"flink:1.20.1\"\n{inner}\n}}\n")
    }

    #[test]
    fn a_complete_job_is_clean() {
        let body = job(r#"
    jar "local:///opt/flink/usrlib/j.jar" version="1.20" entry-class="com.acme.J"
    args "--in" "orders"
    parallelism 8
    jobmanager size="s" replicas=2
    taskmanager size="m" slots=4 replicas=2
    checkpoints every="30s" dir="s3://b/cp" savepoint-dir="s3://b/sp" upgrade="last-state"
    high-availability dir="s3://b/ha"
    config "state.backend.type" "rocksdb"
    config "s3.access-key" "AKIAEXAMPLE"
    env "AWS_SECRET_ACCESS_KEY" secret="s3" key="secret"
"#);
        assert_eq!(check(&body), Vec::<&str>::new());
    }

    #[test]
    fn names_follow_the_operator_pattern() {
        let long = "a".repeat(46);
        let body = format!(
            "flink-job \"{long}\" tenant=\"t\" {{ image \"flink:1.20.1\"; jar \"local:///j.jar\" version=\"1.20\"; parallelism 1; jobmanager size=\"s\"; taskmanager size=\"s\"; }}\nflink-job \"Fraud_Scoring\" tenant=\"t\" {{ image \"flink:1.20.1\"; jar \"local:///j.jar\" version=\"1.20\"; parallelism 1; jobmanager size=\"s\"; taskmanager size=\"s\"; }}\n"
        );
        assert_eq!(check(&body), ["strata::flink::name", "strata::flink::name"]);
    }

    #[test]
    fn memory_and_sizes() {
        let body = job(r#"
    jar "local:///j.jar" version="1.20"
    parallelism 2
    taskmanager slots=2 cpu=1
"#) + &job(r#"
    jar "local:///j.jar" version="1.20"
    parallelism 2
    jobmanager size="mm"
    taskmanager memory="0Gi"
"#)
        .replace("\"j\"", "\"k\"");
        assert_eq!(
            check(&body),
            [
                "strata::flink::memory",
                "strata::flink::memory",
                "strata::flink::unknown-size",
                "strata::flink::resources",
            ]
        );
    }

    #[test]
    fn upgrade_modes_need_their_directories() {
        let body = job(r#"
    jar "local:///j.jar" version="1.20"
    parallelism 1
    jobmanager size="s"
    taskmanager size="s"
    checkpoints every="30s" upgrade="savepoint"
"#) + &job(r#"
    jar "local:///j.jar" version="1.20"
    parallelism 1
    jobmanager size="s"
    taskmanager size="s"
    checkpoints dir="/tmp/checkpoints" upgrade="last-state"
"#)
        .replace("\"j\"", "\"k\"");
        assert_eq!(
            check(&body),
            [
                "strata::flink::checkpoint-dir",
                "strata::flink::savepoint-dir",
                "strata::flink::checkpoint-interval",
                "strata::flink::state-dir",
                "strata::flink::last-state-ha",
            ]
        );
    }

    #[test]
    fn parallelism_slots_replicas_and_ha() {
        let body = job(r#"
    jar "local:///j.jar" version="1.20"
    parallelism 9
    jobmanager size="s" replicas=3
    taskmanager size="s" slots=4 replicas=2
"#) + &job(r#"
    jar "local:///j.jar" version="1.20"
    jobmanager size="s" replicas=0
    taskmanager size="s" slots=0
"#)
        .replace("\"j\"", "\"k\"");
        assert_eq!(
            check(&body),
            [
                "strata::flink::parallelism",
                "strata::flink::ha-required",
                "strata::flink::parallelism",
                "strata::flink::replicas",
                "strata::flink::slots",
            ]
        );
    }

    #[test]
    fn versions_config_and_secrets() {
        let body = job(r#"
    jar "local:///j.jar" version="1.12"
    parallelism 1
    jobmanager size="s"
    taskmanager size="s"
    config "kubernetes.namespace" "other"
    config "high-availability.cluster-id" "x"
    config "taskmanager.numberOfTaskSlots" 4
    config "s3.secret-key" "wJalrXUtnFEMI"
    config "s3.secret-key" "again"
    env "DB_URL" "jdbc:postgresql://app:pw@db/app"
"#) + &job(r#"
    jar "local:///j.jar" version="latest"
    parallelism 1
    jobmanager size="s"
    taskmanager size="s"
"#)
        .replace("\"j\"", "\"k\"")
        .replace("flink:1.20.1", "flink");
        assert_eq!(
            check(&body),
            [
                "strata::flink::version",
                "strata::flink::forbidden-config",
                "strata::flink::forbidden-config",
                "strata::flink::config-owned",
                "strata::flink::literal-secret",
                "strata::flink::duplicate-config",
                "strata::flink::literal-secret",
                "strata::flink::literal-secret",
                "strata::flink::image-tag",
                "strata::flink::version",
            ]
        );
    }

    #[test]
    fn ignored_parallelism_and_small_processes() {
        let body = job(r#"
    jar "local:///j.jar" version="1.20"
    parallelism 4
    jobmanager size="xs"
    taskmanager memory="900Mi" slots=4 replicas=2
"#) + &job(r#"
    jar "local:///j.jar" version="1.20"
    parallelism 8
    jobmanager memory="512Mi"
    taskmanager memory="900Mi" slots=4 replicas=2
    config "jobmanager.memory.jvm-metaspace.size" "128m"
    config "taskmanager.memory.managed.fraction" "0.1"
"#)
        .replace("\"j\"", "\"k\"");
        // The second job tunes Flink's memory model itself: no size warnings.
        assert_eq!(
            check(&body),
            [
                "strata::flink::parallelism-ignored",
                "strata::flink::memory-too-small",
                "strata::flink::memory-too-small"
            ]
        );
        let c = compile(&format!("{TENANT}{body}"));
        assert_eq!(c.platform.flink.jobs[0].effective_parallelism(), Some(8), "replicas × slots wins");
    }

    #[test]
    fn a_broken_jar_is_reported_once() {
        let body = "flink-job \"j\" tenant=\"t\" { image \"flink:1.20.1\"; jar version=\"1.20\"; parallelism 1; jobmanager size=\"s\"; taskmanager size=\"s\"; }\n";
        assert_eq!(check(body), ["strata::spec::missing-argument"]);
    }

    #[test]
    fn missing_pieces_and_tenants() {
        let body = "flink-job \"j\" tenant=\"nope\" { parallelism 1; jobmanager size=\"s\"; taskmanager size=\"s\"; }\nflink-job \"j\" tenant=\"t\" { image \"flink:1.20.1\"; jar \"local:///j.jar\" version=\"1.20\"; parallelism 1; jobmanager size=\"s\"; taskmanager size=\"s\"; }\nflink-job \"j\" tenant=\"t\" { image \"flink:1.20.1\"; jar \"local:///j.jar\" version=\"1.20\"; parallelism 1; jobmanager size=\"s\"; taskmanager size=\"s\"; }\n";
        assert_eq!(
            check(body),
            ["strata::flink::image", "strata::flink::jar", "strata::flink::unknown-tenant", "strata::flink::duplicate"]
        );
    }
}
