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
    FORBIDDEN_CONFIG, FlinkJob, FlinkVersion, MAX_NAME_LEN, MIN_JOBMANAGER_MEMORY, MIN_TASKMANAGER_MEMORY,
    OWNED_CONFIG, Role, UpgradeMode, parse_major_minor,
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
    let Some(t) = p.tenants.iter().find(|t| t.name.value == job.tenant.value) else { return };
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
