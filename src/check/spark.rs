//! Spark job rules: what the apiserver's schema, the operator's webhook and its controller would reject
//! (names, sparkConf keys, cores, cron, time zones), caught before anything reaches a cluster, plus the
//! sizing rules that keep strata's quota arithmetic equal to the pods Spark really creates.

use std::collections::BTreeMap;

use crate::check::names::{dns1035_label, duplicates, suggest_label};
use crate::check::schedule;
use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use crate::model::spark::{
    CONF_OVERHEAD_FACTOR, CONF_SHUFFLE_TRACKING, DEFAULT_DRIVER_SIZE, ExecutorSpec, MIB, RestartType, RoleSpec,
    Security, SparkJob, parse_conf_memory_mib,
};
use crate::model::{Direction, NetworkMode, Platform, PodSecurity, Tenant};
use crate::source::{Span, Spanned};
use crate::units::Duration;

/// Kubernetes' limit on a DNS-1035 label, and so on a SparkApplication's name (the operator's webhook
/// validates it; the name also becomes the `sparkoperator.k8s.io/app-name` label value).
pub const MAX_NAME: usize = 63;
/// Each run of a ScheduledSparkApplication is a SparkApplication named `<name>-<UnixNano timestamp>`: a dash
/// and 19 digits with the operator's default timestamp precision (kubeflow/spark-operator#1549, #2602).
pub const SCHEDULED_RUN_SUFFIX: usize = 1 + 19;
/// The longest name a scheduled job may have so that every run's name stays a valid label: 63 - 20 = 43.
pub const MAX_SCHEDULED_NAME: usize = MAX_NAME - SCHEDULED_RUN_SUFFIX;

/// sparkConf keys the operator's webhook denies (`sparkconf_validator.go`), with the strata field that sets
/// the same thing. Any `spark.kubernetes.authenticate.*oauthToken*` key is denied too (see [`denied`]).
const DENIED: &[(&str, &str)] = &[
    ("spark.master", "the operator sets the master to the cluster's API server; remove the key"),
    ("spark.kubernetes.driver.master", "the operator sets the master to the cluster's API server; remove the key"),
    ("spark.kubernetes.container.image", "set the image with `image \"...\" spark-version=\"...\"`"),
    ("spark.kubernetes.driver.container.image", "set the image with `image \"...\" spark-version=\"...\"`"),
    ("spark.kubernetes.executor.container.image", "set the image with `image \"...\" spark-version=\"...\"`"),
    (
        "spark.kubernetes.authenticate.driver.serviceAccountName",
        "strata runs every driver as its tenant's `spark-driver` ServiceAccount, with the RBAC it needs; remove the key",
    ),
    (
        "spark.kubernetes.authenticate.executor.serviceAccountName",
        "strata runs every driver as its tenant's `spark-driver` ServiceAccount, with the RBAC it needs; remove the key",
    ),
];

fn denied(key: &str) -> Option<&'static str> {
    if let Some((_, hint)) = DENIED.iter().find(|(k, _)| *k == key) {
        return Some(hint);
    }
    if key.starts_with("spark.kubernetes.authenticate.") && key.contains("oauthToken") {
        return Some("the operator manages credentials; drivers use their ServiceAccount's token. Remove the key");
    }
    None
}

/// Keys strata sets from the job's own fields: the quota arithmetic must know their values, and a second
/// value in sparkConf would silently override (or be overridden by) the one strata emits.
const OWNED: &[(&str, &str)] = &[
    ("spark.driver.cores", "`driver cores=...`"),
    ("spark.driver.memory", "`driver memory=...`"),
    ("spark.driver.memoryOverhead", "`driver memory-overhead=...`"),
    ("spark.driver.memoryOverheadFactor", "`memory-overhead-factor ...` (driver and executors)"),
    ("spark.driver.minMemoryOverhead", "`driver memory-overhead=...`"),
    ("spark.kubernetes.driver.request.cores", "`driver core-request=...`"),
    ("spark.kubernetes.driver.limit.cores", "`driver core-limit=...`"),
    ("spark.executor.cores", "`executors cores=...`"),
    ("spark.executor.memory", "`executors memory=...`"),
    ("spark.executor.memoryOverhead", "`executors memory-overhead=...`"),
    ("spark.executor.memoryOverheadFactor", "`memory-overhead-factor ...` (driver and executors)"),
    ("spark.executor.minMemoryOverhead", "`executors memory-overhead=...`"),
    ("spark.executor.instances", "`executors <count>`"),
    ("spark.kubernetes.executor.request.cores", "`executors core-request=...`"),
    ("spark.kubernetes.executor.limit.cores", "`executors core-limit=...`"),
    ("spark.dynamicAllocation.enabled", "`executors min=... max=...`"),
    ("spark.dynamicAllocation.minExecutors", "`executors min=...`"),
    ("spark.dynamicAllocation.maxExecutors", "`executors max=...`"),
    ("spark.dynamicAllocation.initialExecutors", "`executors initial=...`"),
    ("spark.kubernetes.driver.podTemplateFile", "strata's own fields (`security`, `toleration`, `node-selector`)"),
    ("spark.kubernetes.executor.podTemplateFile", "strata's own fields (`security`, `toleration`, `node-selector`)"),
];

/// The codes of the pod-placement rules shared with other domains (`check::scheduling`).
const SCHEDULING: crate::check::scheduling::Codes = crate::check::scheduling::Codes {
    node_selector: "strata::spark::node-selector",
    toleration: "strata::spark::toleration",
    out_of_range: "strata::spark::out-of-range",
};

const NAMESPACE_KEY: &str = "spark.kubernetes.namespace";

pub fn check(p: &Platform, d: &mut Diagnostics) {
    // Names are unique per tenant: a batch and a scheduled job with one name would share driver pod and
    // UI service names in the namespace.
    let mut by_tenant: BTreeMap<&str, Vec<&SparkJob>> = BTreeMap::new();
    for j in &p.spark.jobs {
        by_tenant.entry(j.tenant.value.as_str()).or_default().push(j);
    }
    for jobs in by_tenant.values() {
        duplicates(
            jobs.iter().map(|j| (j.name.value.as_str(), j.name.span)),
            "strata::spark::duplicate",
            "spark-job",
            "Spark job names are unique per tenant: rename one",
            d,
        );
    }
    for j in &p.spark.jobs {
        check_job(p, j, d);
    }
    for (tenant, jobs) in &by_tenant {
        if let (Some(t), Some(first)) = (p.tenant(tenant), jobs.first()) {
            check_apiserver_egress(t, first, d);
        }
    }
}

/// Ports the Kubernetes API server listens on (443 behind most managed control planes, 6443 on kubeadm).
const APISERVER_PORTS: [u16; 2] = [443, 6443];

/// A Spark driver starts its executors through the Kubernetes API. An isolated tenant denies all egress but
/// DNS, its namespace and its declared peers, and the API server is none of those (it is not a pod), so the
/// driver would hang at startup unless an address-based rule lets it out.
fn check_apiserver_egress(t: &Tenant, job: &SparkJob, d: &mut Diagnostics) {
    if t.network.value != NetworkMode::Isolated {
        return;
    }
    let allowed = t.network_rules.iter().any(|r| {
        r.direction == Direction::Egress
            && r.cidr.is_some()
            && (r.ports.is_empty() || r.ports.iter().any(|p| APISERVER_PORTS.contains(&p.value)))
    });
    if !allowed {
        d.push(
            Diagnostic::warning(
                "strata::spark::apiserver-egress",
                format!("tenant `{}` runs Spark but its network policy blocks the Kubernetes API", t.name.value),
            )
            .at(
                t.network.span,
                if t.network.span == t.span {
                    "isolated by default (no `network` node): egress only to DNS and the namespace"
                } else {
                    "isolated: egress only to DNS, the namespace and declared peers"
                },
            )
            .also(job.name.span, "this driver must reach the API server to start its executors")
            .help(format!(
                "allow the API server's addresses in tenant `{}`'s `network` block, e.g. `egress 443 cidr=\"10.0.0.0/16\"`",
                t.name.value
            )),
        );
    }
}

fn check_job(p: &Platform, j: &SparkJob, d: &mut Diagnostics) {
    let tenant = p.tenant(&j.tenant.value);
    if tenant.is_none() {
        let names: Vec<&str> = p.tenants.iter().map(|t| t.name.value.as_str()).collect();
        d.push(
            Diagnostic::error("strata::spark::unknown-tenant", format!("unknown tenant `{}`", j.tenant.value))
                .at(j.tenant.span, "no tenant with this name")
                .help(match did_you_mean(&j.tenant.value, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if names.is_empty() => "define the tenant with `tenant \"<name>\" { ... }`".to_string(),
                    None => format!("the platform's tenants are: {}", names.join(", ")),
                }),
        );
    }
    check_name(j, d);
    check_image(j, d);
    check_main(j, d);
    check_conf(j, tenant.map(|t| t.namespace.value.as_str()), d);
    check_secrets(j, d);
    check_pod_security(j, tenant, d);
    match &j.driver {
        Some(r) => check_role(p, j, r, "driver", d),
        None => {
            if let Some(s) = p.presets.size(DEFAULT_DRIVER_SIZE) {
                d.push(
                    Diagnostic::note(
                        "strata::spark::default-driver",
                        format!("spark-job `{}`: the driver uses size `{DEFAULT_DRIVER_SIZE}`", j.name.value),
                    )
                    .at(j.name.span, format!("no `driver` node: cpu {}, memory {}", s.cpu.value, s.memory.value))
                    .help("size it yourself with `driver size=\"...\"` or `driver cores=... memory=...`"),
                );
            }
        }
    }
    if let Some(e) = &j.executors {
        check_role(p, j, &e.role, "executors", d);
        check_executor_count(j, e, d);
        check_dynamic_allocation(j, e, d);
    }
    // LimitRange bounds: `check::admission`, shared by every domain.
    check_restart(j, d);
    if let Some(ttl) = &j.ttl {
        whole_seconds(ttl, "`ttl`", d);
    }
    check_schedule(j, d);
    crate::check::scheduling::check_tolerations(&j.tolerations, SCHEDULING, d);
    crate::check::scheduling::check_node_selector(&j.node_selector, SCHEDULING, d);
    if let (Security::None, Some(t)) = (&j.security.value, tenant)
        && t.pod_security.value == PodSecurity::Restricted
    {
        d.push(
            Diagnostic::error(
                "strata::spark::pod-security",
                format!("spark-job `{}` opts out of restricted pod security, but tenant `{}` enforces it", j.name.value, t.name.value),
            )
            .at(j.security.span, "driver and executor pods get no restricted security context")
            .also(t.name.span, "the namespace enforces Pod Security `restricted`")
            .help(format!(
                "Pod Security admission would reject every driver pod: remove `security \"none\"`, or give tenant `{}` `pod-security=\"baseline\"`",
                t.name.value
            )),
        );
    }
}

fn check_name(j: &SparkJob, d: &mut Diagnostics) {
    let name = &j.name;
    if let Some(why) = dns1035_label(&name.value) {
        d.push(
            Diagnostic::error("strata::spark::name", format!("spark-job name `{}` is not a valid name", name.value))
                .at(name.span, format!("the name {why}"))
                .help(format!(
                    "the operator requires a DNS-1035 label: lower-case letters, digits and `-`, starting with a letter, at most {MAX_NAME} characters, e.g. `{}`",
                    suggest_1035(&name.value, MAX_NAME)
                )),
        );
        return;
    }
    if j.scheduled() && name.value.len() > MAX_SCHEDULED_NAME {
        let run = format!("{}-{}", name.value, "1".repeat(19));
        d.push(
            Diagnostic::error(
                "strata::spark::name",
                format!("scheduled spark-job name `{}` is too long for its runs' names", name.value),
            )
            .at(name.span, format!("{} characters; a scheduled job may have at most {MAX_SCHEDULED_NAME}", name.value.len()))
            .help(format!("shorten it to at most {MAX_SCHEDULED_NAME} characters, e.g. `{}`", suggest_1035(&name.value, MAX_SCHEDULED_NAME)))
            .note_line(format!(
                "each run is a SparkApplication named `<name>-<19-digit timestamp>` ({} characters here, over the limit of {MAX_NAME}); the operator would fail to start it (kubeflow/spark-operator#1549)",
                run.len()
            )),
        );
    }
}

fn suggest_1035(name: &str, max: usize) -> String {
    let mut s = suggest_label(name);
    if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        s = format!("job-{s}");
    }
    s.chars().take(max).collect::<String>().trim_end_matches('-').to_string()
}

fn check_image(j: &SparkJob, d: &mut Diagnostics) {
    if let Some(img) = &j.image {
        let last = img.value.rsplit('/').next().unwrap_or(&img.value);
        let tag = last.split_once(':').map(|(_, t)| t);
        if img.value.trim().is_empty() {
            d.push(
                Diagnostic::error("strata::spark::image", "the image is empty")
                    .at(img.span, "no image")
                    .help("name the image with its tag, e.g. \"apache/spark:3.5.1\""),
            );
        } else if !img.value.contains('@') && matches!(tag, None | Some("latest")) {
            d.push(
                Diagnostic::warning(
                    "strata::spark::image-tag",
                    format!("spark-job `{}` uses a moving image tag", j.name.value),
                )
                .at(img.span, if tag.is_none() { "no tag: means `latest`" } else { "`latest` changes under you" })
                .help("pin a version tag or a digest, so a run tomorrow uses the code that ran today"),
            );
        }
    }
    if let Some(v) = &j.spark_version {
        let mut parts = v.value.split('.');
        let ok = parts.next().is_some_and(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))
            && parts.next().is_some_and(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            d.push(
                Diagnostic::error("strata::spark::version", format!("`{}` is not a Spark version", v.value))
                    .at(v.span, "expected `major.minor[.patch]`")
                    .help("write the Spark version the image contains, e.g. \"3.5.1\""),
            );
        }
    }
}

fn check_main(j: &SparkJob, d: &mut Diagnostics) {
    let ty = j.app_type();
    if let Some(f) = &j.main_file
        && !f.value.contains("://")
    {
        d.push(
            Diagnostic::error("strata::spark::main-file", format!("`{}` has no URI scheme", f.value))
                .at(f.span, "spark-submit would try to upload this path from the operator's pod")
                .help(format!(
                    "use `local://{}` for a file inside the image, or a remote URI (`s3a://`, `gs://`, `https://`, `hdfs://`)",
                    if f.value.starts_with('/') { f.value.clone() } else { format!("/{}", f.value) }
                )),
        );
    }
    match (&j.main_class, ty.is_jvm()) {
        (Some(c), false) => d.push(
            Diagnostic::error(
                "strata::spark::main-class",
                format!("a {} job has no main class", ty.as_str()),
            )
            .at(c.span, "only JVM (Scala/Java) jobs have a main class")
            .also(j.type_span(), format!("the job is {} {}", ty.as_str(), j.type_reason()))
            .help("remove `class=...`; the main file is the program"),
        ),
        (None, true) if j.main_file.is_some() => d.push(
            Diagnostic::error(
                "strata::spark::main-class",
                format!("spark-job `{}` runs on the JVM but names no main class", j.name.value),
            )
            .at(j.main_span.unwrap_or(j.span), format!("a {} job needs `class=...`", ty.as_str()))
            .help(format!(
                "add the class spark-submit starts, e.g. `main \"{}\" class=\"com.acme.Main\"`; for a Python or R job end the file in .py/.R or set `type=`",
                j.main_file.as_ref().map_or("local:///opt/app.jar", |f| f.value.as_str())
            )),
        ),
        _ => {}
    }
}

impl SparkJob {
    fn type_span(&self) -> Span {
        self.app_type.as_ref().map(|t| t.span).or(self.main_file.as_ref().map(|f| f.span)).unwrap_or(self.span)
    }

    fn type_reason(&self) -> &'static str {
        if self.app_type.is_some() { "(set here)" } else { "(inferred from the main file)" }
    }
}

/// What Pod Security admission would refuse or the kubelet would not start, caught here:
/// - `security "restricted" run-as-user=0`: restricted pods get `runAsNonRoot`, which the kubelet refuses for
///   uid 0 (Pod Security Standards, "Running as Non-root"; pod-security-admission `check_runAsNonRoot.go`);
/// - hostPath volumes through `spark.kubernetes.{driver,executor}.volumes.hostPath.*`: forbidden from
///   `baseline` up ("HostPath Volumes", kubernetes.io/docs/concepts/security/pod-security-standards;
///   pod-security-admission `check_hostPathVolumes.go`), allowed only in a `privileged` tenant;
/// - an AppArmor annotation other than `runtime/default` or `localhost/*` through
///   `spark.kubernetes.{driver,executor}.annotation.container.apparmor.security.beta.kubernetes.io/*`
///   (`unconfined` turns the profile off): forbidden from `baseline` up ("AppArmor"; `check_appArmorProfile.go`).
fn check_pod_security(j: &SparkJob, tenant: Option<&Tenant>, d: &mut Diagnostics) {
    if let Security::Restricted { run_as_user: 0 } = j.security.value {
        d.push(
            Diagnostic::error("strata::spark::run-as-user", "restricted Spark pods cannot run as root")
                .at(j.security.span, "uid 0 with `runAsNonRoot`: the kubelet refuses to start the driver")
                .help("give a non-zero uid (the Spark image's user is 185), or remove `run-as-user`"),
        );
    }
    let Some(t) = tenant else { return };
    if t.pod_security.value == PodSecurity::Privileged {
        return;
    }
    for (k, v) in &j.conf {
        let apparmor = ["spark.kubernetes.driver.annotation.", "spark.kubernetes.executor.annotation."]
            .iter()
            .filter_map(|p| k.value.strip_prefix(p))
            .any(|a| a.starts_with(crate::check::workload::APPARMOR_ANNOTATION));
        if apparmor && !crate::check::workload::apparmor_allowed(&v.value) {
            d.push(
                Diagnostic::error("strata::spark::pod-security", format!("`{}` sets AppArmor profile `{}`", k.value, v.value))
                    .at(v.span, "only `runtime/default` or `localhost/<profile>` pass Pod Security `baseline` and `restricted`")
                    .also(t.name.span, format!("tenant `{}` enforces `{}`", t.name.value, t.pod_security.value.as_str()))
                    .help("remove the annotation (pods get the runtime's default profile), use `localhost/<profile>`, or move the job to a tenant with `pod-security=\"privileged\"`"),
            );
        }
        let host_path = ["spark.kubernetes.driver.volumes.hostPath.", "spark.kubernetes.executor.volumes.hostPath."]
            .iter()
            .any(|p| k.value.starts_with(p));
        if host_path {
            d.push(
                Diagnostic::error("strata::spark::host-path", format!("`{}` mounts a hostPath volume", k.value))
                    .at(k.span, "hostPath volumes are forbidden by Pod Security `baseline` and `restricted`")
                    .also(t.name.span, format!("tenant `{}` enforces `{}`", t.name.value, t.pod_security.value.as_str()))
                    .help("use a PersistentVolumeClaim (`spark.kubernetes.driver.volumes.persistentVolumeClaim.*`), or move the job to a tenant with `pod-security=\"privileged\"` (a documented per-tenant exception)"),
            );
        }
    }
}

/// No credential in plain text: a `conf`/`hadoop-conf` key that holds one (`spark.hadoop.fs.s3a.secret.key`,
/// `fs.azure.account.key.*`, `*.password`, `*.token`, SAS signatures) or a URI with a password, in a setting
/// or in `main` and `deps`. S3A's `fs.s3a.access.key` is the key's id (AWS: "access key ID", which names the
/// credential), and `fs.s3a.secret.key` the secret (hadoop-aws `index.md`, "Authentication properties").
fn check_secrets(j: &SparkJob, d: &mut Diagnostics) {
    const CODE: &str = "strata::spark::literal-secret";
    // A key the operator denies is reported as that (its fix is to remove it), not twice.
    for (k, v) in j.conf.iter().filter(|(k, _)| denied(&k.value).is_none()).chain(&j.hadoop_conf) {
        crate::check::workload::check_literal(k, v, "conf", CODE, d);
    }
    let mut uris: Vec<(&str, &Spanned<String>)> = Vec::new();
    uris.extend(j.main_file.as_ref().map(|m| ("main", m)));
    let deps = &j.deps;
    for (what, list) in [
        ("deps jars", &deps.jars),
        ("deps files", &deps.files),
        ("deps py-files", &deps.py_files),
        ("deps archives", &deps.archives),
        ("deps repositories", &deps.repositories),
    ] {
        uris.extend(list.iter().map(|u| (what, u)));
    }
    crate::check::workload::check_job_uris(&uris, CODE, d);
}

fn check_conf(j: &SparkJob, namespace: Option<&str>, d: &mut Diagnostics) {
    for (list, what) in [(&j.conf, "conf"), (&j.hadoop_conf, "hadoop-conf")] {
        duplicates(
            list.iter().map(|(k, _)| (k.value.as_str(), k.span)),
            "strata::spark::duplicate-conf",
            &format!("`{what}` key"),
            "Spark keeps only one value per key: remove one",
            d,
        );
    }
    for (k, v) in &j.conf {
        if let Some(hint) = denied(&k.value) {
            d.push(
                Diagnostic::error("strata::spark::conf-denied", format!("sparkConf key `{}` is not allowed", k.value))
                    .at(k.span, "the Spark operator's webhook rejects applications that set this")
                    .help(hint),
            );
        } else if let Some((_, field)) = OWNED.iter().find(|(o, _)| *o == k.value) {
            d.push(
                Diagnostic::error("strata::spark::conf-owned", format!("sparkConf key `{}` is set by strata", k.value))
                    .at(k.span, "strata derives this from the job's own fields")
                    .help(format!(
                        "use {field} instead: strata needs the value to size the pods and check the tenant's quota"
                    )),
            );
        } else if k.value == NAMESPACE_KEY {
            if let Some(ns) = namespace
                && v.value != ns
            {
                d.push(
                    Diagnostic::error(
                        "strata::spark::conf-namespace",
                        format!("`{NAMESPACE_KEY}` is `{}`, but the job runs in namespace `{ns}`", v.value),
                    )
                    .at(v.span, "must equal the application's namespace")
                    .also(j.tenant.span, format!("the tenant's namespace is `{ns}`"))
                    .help("remove the key: the operator sets it to the tenant's namespace"),
                );
            }
        } else if k.value == CONF_OVERHEAD_FACTOR {
            match v.value.trim().parse::<f64>() {
                Ok(f) if f.is_finite() && f >= 0.0 => {
                    if let Some(own) = &j.memory_overhead_factor {
                        d.push(
                            Diagnostic::error("strata::spark::conf-owned", "the memory overhead factor is set twice")
                                .at(k.span, format!("{CONF_OVERHEAD_FACTOR} = {}", v.value))
                                .also(own.span, format!("memory-overhead-factor {}", own.value))
                                .help("keep `memory-overhead-factor` and remove the sparkConf key"),
                        );
                    }
                }
                _ => d.push(
                    Diagnostic::error("strata::spark::conf-value", format!("`{}` is not a factor", v.value))
                        .at(v.span, format!("{CONF_OVERHEAD_FACTOR} takes a number"))
                        .help("write a fraction of the memory, e.g. 0.2"),
                ),
            }
        } else if ["spark.executor.pyspark.memory", "spark.memory.offHeap.size"].contains(&k.value.as_str())
            && parse_conf_memory_mib(&v.value).is_none_or(|b| !b.is_multiple_of(MIB))
        {
            d.push(
                Diagnostic::error("strata::spark::conf-value", format!("`{}` is not a memory size", v.value))
                    .at(v.span, format!("{} adds to every executor pod's memory", k.value))
                    .help("write a whole number of MiB or more in Spark's format, e.g. \"512m\" or \"2g\""),
            );
        }
    }
}

fn check_role(p: &Platform, j: &SparkJob, r: &RoleSpec, role: &str, d: &mut Diagnostics) {
    if let Some(size) = &r.size
        && p.presets.size(&size.value).is_none()
    {
        let names = p.presets.size_names();
        d.push(
            Diagnostic::error("strata::spark::unknown-size", format!("unknown size `{}`", size.value))
                .at(size.span, "no size with this name")
                .help(match did_you_mean(&size.value, names.iter().copied()).or_else(|| size_alias(p, &size.value)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "use one of {}, or define it with `size \"{}\" cpu=... memory=...`",
                        names.join(", "),
                        size.value
                    ),
                }),
        );
    }
    if !r.invalid && r.size.is_none() && (r.memory.is_none() || (r.cores.is_none() && r.core_request.is_none())) {
        let missing = match (r.cores.is_none() && r.core_request.is_none(), r.memory.is_none()) {
            (true, true) => "cores and memory",
            (true, false) => "cores",
            _ => "memory",
        };
        d.push(
            Diagnostic::error(
                "strata::spark::sizing",
                format!("spark-job `{}`: `{role}` has no {missing}", j.name.value),
            )
            .at(r.span, format!("`{role}` needs a size or both cores and memory"))
            .help(format!("add `size=\"m\"` (a stdlib size), or e.g. `{role} cores=2 memory=\"8g\"`")),
        );
    }
    if let Some(c) = &r.cores
        && (c.value.0 < 1000 || !c.value.0.is_multiple_of(1000))
    {
        let fraction = c.value.0 % 1000 != 0 || c.value.0 == 0;
        d.push(
            Diagnostic::error(
                "strata::spark::cores",
                format!("`cores` must be a whole number of at least 1, found {}", c.value),
            )
            .at(c.span, "Spark counts cores as task slots: whole numbers only")
            .help(if fraction && c.value.0 > 0 {
                format!(
                    "request a fraction of a CPU with `core-request=\"{}\"` and keep `cores={}` (the schema rejects fractional cores)",
                    c.value,
                    c.value.cores_ceil().max(1)
                )
            } else {
                "use `cores=1` or more; for less CPU, add `core-request=\"500m\"`".to_string()
            }),
        );
    }
    if let (Some(req), Some(lim)) = (&r.core_request, &r.core_limit)
        && req.value > lim.value
    {
        d.push(
            Diagnostic::error("strata::spark::cores", "core-request is above core-limit")
                .at(req.span, format!("request {}", req.value))
                .also(lim.span, format!("limit {}", lim.value))
                .help("Kubernetes rejects a container whose CPU request exceeds its limit"),
        );
    }
    if let (Some(c), Some(lim)) = (&r.cores, &r.core_limit)
        && r.core_request.is_none()
        && c.value > lim.value
    {
        d.push(
            Diagnostic::error("strata::spark::cores", "cores is above core-limit")
                .at(c.span, format!("requests {} CPU", c.value))
                .also(lim.span, format!("limit {}", lim.value))
                .help("raise core-limit, or add a smaller `core-request`"),
        );
    }
    for (m, what) in [(&r.memory, "memory"), (&r.memory_overhead, "memory-overhead")] {
        if let Some(m) = m
            && (m.value.0.0 == 0 || !m.value.0.0.is_multiple_of(MIB))
        {
            d.push(
                Diagnostic::error(
                    "strata::spark::memory",
                    format!("`{what}` must be a whole number of MiB, found `{}`", m.value),
                )
                .at(m.span, "Spark reads driver and executor memory in MiB")
                .help(format!("round it to MiB, e.g. \"{}m\"", m.value.0.0.div_ceil(MIB).max(1))),
            );
        }
    }
    // A size gives JVM memory; a size whose memory is not whole MiB cannot be used for Spark.
    if r.memory.is_none()
        && let Some(s) = r.size.as_ref().and_then(|s| p.presets.size(&s.value))
        && !s.memory.value.0.is_multiple_of(MIB)
    {
        d.push(
            Diagnostic::error(
                "strata::spark::memory",
                format!("size `{}` has memory that is not whole MiB", s.name.value),
            )
            .at(r.size.as_ref().map_or(r.span, |s| s.span), "Spark reads memory in MiB")
            .also(s.memory.span, format!("memory {}", s.memory.value))
            .help("give the size memory in Mi or Gi, or set `memory=` on the role"),
        );
    }
}

/// `small` → `s`, `large` → `l`: the stdlib's size names are abbreviations people spell out.
fn size_alias<'p>(p: &'p Platform, name: &str) -> Option<&'p str> {
    let n = name.to_ascii_lowercase().replace(['-', '_'], "");
    let target = if n.starts_with("xs") || n.starts_with("extras") {
        "xs"
    } else if n.starts_with("xl") || n.starts_with("extral") {
        "xl"
    } else if n.starts_with("sm") {
        "s"
    } else if n.starts_with("me") {
        "m"
    } else if n.starts_with("la") {
        "l"
    } else {
        return None;
    };
    p.presets.size(target).map(|s| s.name.value.as_str())
}

/// The CRD's executor counts are int32.
const MAX_EXECUTORS: u64 = i32::MAX as u64;

fn check_executor_count(j: &SparkJob, e: &ExecutorSpec, d: &mut Diagnostics) {
    let span = e.role.span;
    for v in [&e.instances, &e.min, &e.max, &e.initial].into_iter().flatten() {
        if v.value > MAX_EXECUTORS {
            d.push(
                Diagnostic::error(
                    "strata::spark::executors",
                    format!("{} executors is more than the API allows", v.value),
                )
                .at(v.span, format!("at most {MAX_EXECUTORS}"))
                .help("executor counts are 32-bit integers in the SparkApplication; check the number"),
            );
        }
    }
    match (&e.instances, e.dynamic()) {
        (Some(n), true) => d.push(
            Diagnostic::error("strata::spark::executors", "a fixed executor count and dynamic allocation together")
                .at(n.span, "fixed count")
                .also(e.min.as_ref().or(e.max.as_ref()).map_or(span, |m| m.span), "dynamic allocation")
                .help("write either `executors 10 ...` or `executors min=2 max=10 ...`"),
        ),
        (None, false) => d.push(
            Diagnostic::error("strata::spark::executors", format!("spark-job `{}`: how many executors?", j.name.value))
                .at(span, "no count and no min/max")
                .help("write `executors 10 size=\"m\"`, or `executors min=2 max=10 size=\"m\"` for dynamic allocation"),
        ),
        (Some(n), false) if n.value == 0 => d.push(
            Diagnostic::error("strata::spark::executors", "a Spark job needs at least one executor")
                .at(n.span, "0 executors")
                .help("the schema requires `executor.instances` >= 1; use `executors 1` or more"),
        ),
        _ => {}
    }
    if e.dynamic() {
        match (&e.min, &e.max) {
            (_, None) => d.push(
                Diagnostic::error("strata::spark::executors", "dynamic allocation needs `max`")
                    .at(span, "no upper bound")
                    .help("add `max=...`: without it a job may claim the tenant's whole quota, and strata cannot check that it fits"),
            ),
            (Some(min), Some(max)) if min.value > max.value => d.push(
                Diagnostic::error("strata::spark::executors", format!("min ({}) is above max ({})", min.value, max.value))
                    .at(min.span, "min")
                    .also(max.span, "max")
                    .help(format!("swap them: `min={} max={}`", max.value, min.value)),
            ),
            (_, Some(max)) if max.value == 0 => d.push(
                Diagnostic::error("strata::spark::executors", "dynamic allocation with max=0 runs no executors")
                    .at(max.span, "max=0")
                    .help("use max=1 or more"),
            ),
            _ => {}
        }
        if let Some(init) = &e.initial {
            let lo = e.min.as_ref().map_or(0, |m| m.value);
            let hi = e.max.as_ref().map_or(u64::MAX, |m| m.value);
            if init.value < lo || init.value > hi {
                d.push(
                    Diagnostic::error(
                        "strata::spark::executors",
                        format!("initial ({}) is outside min..max", init.value),
                    )
                    .at(init.span, "initial executors")
                    .help("pick a value between min and max"),
                );
            }
        }
    } else if let Some(init) = &e.initial {
        d.push(
            Diagnostic::error("strata::spark::executors", "`initial` only applies to dynamic allocation")
                .at(init.span, "ignored with a fixed count")
                .help("remove it, or use `executors min=... max=... initial=...`"),
        );
    }
}

/// Dynamic allocation on Kubernetes, which has no external shuffle service: executors that hold shuffle
/// files may only go away if something keeps that data. Spark's driver refuses to start otherwise
/// (`ExecutorAllocationManager.validateSettings`: "Dynamic allocation of executors requires one of the
/// following conditions: 1) enabling external shuffle service ... 2) enabling shuffle tracking ... 3)
/// enabling shuffle blocks decommission ... 4) ... a custom ShuffleDataIO who's ShuffleDriverComponents
/// supports reliable storage"). Shuffle tracking exists since Spark 3.0 (SPARK-27963) and is on by default
/// since 3.4 (SPARK-39846, apache/spark PR #37257); strata always writes it.
fn check_dynamic_allocation(j: &SparkJob, e: &ExecutorSpec, d: &mut Diagnostics) {
    if !e.dynamic() {
        return;
    }
    let span = e.min.as_ref().or(e.max.as_ref()).map_or(e.role.span, |m| m.span);
    let version = j.spark_version.as_ref().and_then(|v| {
        let mut parts = v.value.split('.');
        Some((parts.next()?.parse::<u32>().ok()?, parts.next()?.parse::<u32>().ok()?, v.span))
    });
    if let Some((major, minor, vspan)) = version
        && major < 3
    {
        d.push(
            Diagnostic::error("strata::spark::dynamic-allocation-version", format!("dynamic allocation on Kubernetes needs Spark 3.0 or newer, not {major}.{minor}"))
                .at(span, "dynamic allocation")
                .also(vspan, format!("Spark {major}.{minor}"))
                .help("use a fixed count (`executors 10 ...`), or upgrade the job to Spark 3.x")
                .note_line("shuffle tracking, which lets Spark release executors without an external shuffle service, came in Spark 3.0 (SPARK-27963)"),
        );
        return;
    }
    let plugin = j.conf("spark.shuffle.sort.io.plugin.class").map(|v| v.value.trim());
    // The local-disk plugins keep shuffle files on the executor: they store nothing reliably.
    let reliable_plugin = plugin.is_some_and(|c| {
        !c.is_empty()
            && c != "org.apache.spark.shuffle.sort.io.LocalDiskShuffleDataIO"
            && c != "org.apache.spark.shuffle.KubernetesLocalDiskShuffleDataIO"
    });
    let decommission =
        j.conf_true("spark.decommission.enabled") && j.conf_true("spark.storage.decommission.shuffleBlocks.enabled");
    let alternatives: Vec<&str> = [
        (j.conf_true("spark.shuffle.service.enabled"), "an external shuffle service (`spark.shuffle.service.enabled`)"),
        (decommission, "shuffle block migration on decommission"),
        (reliable_plugin, "a ShuffleDataIO plugin (`spark.shuffle.sort.io.plugin.class`)"),
    ]
    .into_iter()
    .filter_map(|(on, what)| on.then_some(what))
    .collect();
    let tracking = j.conf(CONF_SHUFFLE_TRACKING);
    match (j.shuffle_tracking(), alternatives.is_empty()) {
        (false, true) => {
            let off = tracking.map_or(span, |v| v.span);
            d.push(
                Diagnostic::error("strata::spark::shuffle-tracking", format!("spark-job `{}` turns shuffle tracking off, and nothing else keeps its shuffle data", j.name.value))
                    .at(off, "shuffle tracking off")
                    .also(span, "dynamic allocation removes idle executors")
                    .help("remove the `conf`, or keep shuffle data another way: `spark.decommission.enabled` and `spark.storage.decommission.shuffleBlocks.enabled` (with `spark.storage.decommission.enabled`), or a remote shuffle service's `spark.shuffle.sort.io.plugin.class`")
                    .note_line("Kubernetes has no external shuffle service; the driver stops with \"Dynamic allocation of executors requires one of the following conditions\" (Spark ExecutorAllocationManager.validateSettings)"),
            );
        }
        (true, false) if tracking.is_none() => d.push(
            Diagnostic::warning("strata::spark::shuffle-tracking", format!("spark-job `{}` keeps shuffle tracking on next to {}", j.name.value, alternatives.join(" and ")))
                .at(span, "strata writes `shuffleTrackingEnabled: true` unless the job turns it off")
                .help(format!("add `conf \"{CONF_SHUFFLE_TRACKING}\" \"false\"`: the other mechanism keeps the shuffle data"))
                .note_line("Spark: \"You are enabling both shuffle tracking and other DA supported mechanism, which will cause idle executors not to be released in a timely\"; remote shuffle services recommend turning it off (apache/celeborn#2270, apache/uniffle#1490)"),
        ),
        _ => {}
    }
}

fn whole_seconds(v: &Spanned<Duration>, what: &str, d: &mut Diagnostics) {
    if v.value.0 < 1000 || !v.value.0.is_multiple_of(1000) {
        d.push(
            Diagnostic::error("strata::spark::duration", format!("{what} must be whole seconds, at least 1s"))
                .at(v.span, format!("{}", v.value))
                .help("the operator stores it in seconds: write e.g. \"30s\", \"5m\" or \"1d\""),
        );
    }
}

fn check_restart(j: &SparkJob, d: &mut Diagnostics) {
    let Some(r) = &j.restart else { return };
    if r.kind.value != RestartType::OnFailure {
        for (v, name) in [(&r.retries, "retries"), (&r.submission_retries, "submission-retries")] {
            if let Some(v) = v {
                d.push(
                    Diagnostic::error("strata::spark::restart", format!("`{name}` only applies to `OnFailure`"))
                        .at(v.span, "ignored by the operator")
                        .also(r.kind.span, format!("the policy is `{}`", r.kind.value.as_str()))
                        .help(format!("use `restart \"OnFailure\" {name}={}`, or remove `{name}`", v.value)),
                );
            }
        }
    }
    for (v, name) in [(&r.retries, "retries"), (&r.submission_retries, "submission-retries")] {
        int32_field(v.as_ref(), name, d);
    }
    for (v, name) in
        [(&r.retry_interval, "`retry-interval`"), (&r.submission_retry_interval, "`submission-retry-interval`")]
    {
        if let Some(v) = v {
            whole_seconds(v, name, d);
        }
    }
}

/// The operator's CRD types these counts as `int32` (see `check::scheduling`).
fn int32_field(v: Option<&Spanned<u64>>, name: &str, d: &mut Diagnostics) {
    crate::check::scheduling::int32_field(v, name, "the CRD's field", SCHEDULING, d);
}

fn check_schedule(j: &SparkJob, d: &mut Diagnostics) {
    let Some(s) = &j.schedule else { return };
    int32_field(s.successful_history.as_ref(), "successful-history", d);
    int32_field(s.failed_history.as_ref(), "failed-history", d);
    schedule::check_schedule(
        &s.cron,
        s.time_zone.as_ref(),
        schedule::Scheduler::SparkOperator,
        ("strata::spark::cron", "strata::spark::timezone"),
        d,
    );
}

#[cfg(test)]
mod tests {
    /// Invalid label keys and values in a node selector or a toleration are refused by the API server only
    /// when the driver pod is created; strata says so at check time.
    #[test]
    fn node_selector_and_toleration_labels_follow_apimachinery() {
        let spec = |selector: &str, toleration: &str| {
            format!(
                r#"
tenant "t" {{
    network "open"
}}
spark-job "s" tenant="t" {{
    image "registry.acme.io/s:1.0.0" spark-version="3.5.1"
    main "local:///opt/app/s.jar" class="com.acme.S"
    driver size="s"
    executors 2 size="s"
    node-selector {selector}
    toleration {toleration} effect="NoSchedule"
}}
"#
            )
        };
        let ok = crate::test_support::compile(&spec(r#""node.acme.io/pool" "batch""#, r#""dedicated" value="spark""#));
        assert!(ok.ok(), "{:?}", ok.diagnostics);
        let bad = crate::test_support::compile(&spec(r#""pool: a" "batch job""#, r#""a b" value="x/y""#));
        let codes = crate::test_support::codes(&bad);
        assert_eq!(
            codes,
            [
                "strata::spark::node-selector",
                "strata::spark::node-selector",
                "strata::spark::toleration",
                "strata::spark::toleration"
            ],
            "{:?}",
            bad.diagnostics
        );
    }

    /// The operator's CRD declares these counts `int32`; strata refuses a larger one rather than write a
    /// different number or have the API server refuse the object.
    #[test]
    fn counts_beyond_int32_are_refused() {
        let c = crate::test_support::compile(
            r#"
tenant "t" {
    network "open"
}
spark-job "s" tenant="t" {
    image "registry.acme.io/s:1.0.0" spark-version="3.5.1"
    main "local:///opt/app/s.jar" class="com.acme.S"
    driver size="s"
    executors 2 size="s"
    restart "OnFailure" retries=3000000000
    schedule "30 1 * * *" timezone="UTC" successful-history=2147483648 failed-history=2147483647
}
"#,
        );
        assert_eq!(
            crate::test_support::codes(&c),
            ["strata::spark::out-of-range", "strata::spark::out-of-range"],
            "{:?}",
            c.diagnostics
        );
    }
}
