//! Batch job rules: what Kubernetes' API server would refuse in a Job or CronJob (names, restart policy,
//! counts beyond `int32`, schedules and time zones), what its Job and CronJob controllers would do other
//! than the spec says (a tiny starting deadline), and the pod rules shared with other workloads (images,
//! environment, placement, Pod Security). Quota fit counts every job through `model::job`'s demand.

use std::collections::BTreeMap;

use crate::check::names::{dns1123_label, dns1123_subdomain, duplicates, suggest_label};
use crate::check::schedule::{self, Scheduler};
use crate::check::scheduling::{self, Codes};
use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use crate::model::job::BatchJob;
use crate::model::spark::{RestartType, Security};
use crate::model::{Platform, PodSecurity};
use crate::source::Spanned;
use crate::units::Duration;

/// A Job's name becomes the value of the `batch.kubernetes.io/job-name` label of its pods, so the API
/// server refuses a Job whose name is longer than a label value (63).
pub const MAX_NAME: usize = 63;
/// The CronJob controller names each run `<name>-<minutes since the epoch>` (`getJobName`, 8 digits today,
/// plus the dash: up to 11 characters), and the API server refuses a CronJob name above 52 so that every
/// run's name stays within 63 (`ValidateCronJobCreate`).
pub const MAX_SCHEDULED_NAME: usize = 52;
/// The CronJob controller may reach a scheduled time a little late (it requeues each CronJob for its next
/// time and is delayed by restarts, leader changes and a busy work queue); a run found later than
/// `startingDeadlineSeconds` after its time is skipped with a `MissSchedule` event.
pub const MIN_STARTING_DEADLINE_SECS: u64 = 10;

const CODES: Codes = Codes {
    node_selector: "strata::job::node-selector",
    toleration: "strata::job::toleration",
    out_of_range: "strata::job::out-of-range",
};
/// Whose field a count is, for the out-of-range message.
const FIELD: &str = "the Job's field";

pub fn check(p: &Platform, d: &mut Diagnostics) {
    let mut by_tenant: BTreeMap<&str, Vec<&BatchJob>> = BTreeMap::new();
    for j in &p.jobs.jobs {
        by_tenant.entry(j.tenant.value.as_str()).or_default().push(j);
    }
    for jobs in by_tenant.values() {
        duplicates(
            jobs.iter().map(|j| (j.name.value.as_str(), j.name.span)),
            "strata::job::duplicate",
            "job",
            "job names are unique per tenant (a Job and a CronJob of one name would share pod names): rename one",
            d,
        );
    }
    for j in &p.jobs.jobs {
        check_job(p, j, d);
    }
}

fn check_job(p: &Platform, j: &BatchJob, d: &mut Diagnostics) {
    let tenant = p.tenant(&j.tenant.value);
    if tenant.is_none() {
        let names: Vec<&str> = p.tenants.iter().map(|t| t.name.value.as_str()).collect();
        d.push(
            Diagnostic::error("strata::job::unknown-tenant", format!("unknown tenant `{}`", j.tenant.value))
                .at(j.tenant.span, "no tenant with this name")
                .help(match did_you_mean(&j.tenant.value, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if names.is_empty() => "define the tenant with `tenant \"<name>\" { ... }`".to_string(),
                    None => format!("the platform's tenants are: {}", names.join(", ")),
                }),
        );
    }
    check_name(j, d);
    let owner = j.describe();
    if let Some(img) = &j.image {
        crate::check::workload::check_image(img, &owner, "strata::job::image", "strata::job::image-tag", d);
    }
    for e in &j.env {
        crate::check::workload::check_env(e, "strata::job::env", "strata::job::literal-secret", d);
    }
    duplicates(
        j.env.iter().map(|e| (e.name.value.as_str(), e.name.span)),
        "strata::job::env",
        "environment variable",
        "a container keeps one value per variable: remove one",
        d,
    );
    for (what, words) in [("command", &j.command), ("args", &j.args)] {
        for w in words.iter() {
            crate::check::workload::check_uri(what, w, "strata::job::literal-secret", d);
        }
    }
    check_resources(p, j, d);
    if let Some(sa) = &j.service_account
        && let Some(why) = dns1123_subdomain(&sa.value)
    {
        d.push(
            Diagnostic::error(
                "strata::job::service-account",
                format!("`{}` is not a valid ServiceAccount name", sa.value),
            )
            .at(sa.span, format!("the name {why}"))
            .help(format!("name the tenant's ServiceAccount, e.g. `{}`", suggest_label(&sa.value))),
        );
    }
    match (&j.security.value, tenant) {
        (Security::Restricted { run_as_user: 0 }, _) => d.push(
            Diagnostic::error("strata::job::run-as-user", "restricted job pods cannot run as root")
                .at(j.security.span, "uid 0 with `runAsNonRoot`: the kubelet refuses to start the container")
                .help("give a non-zero uid (the image's user), or remove `run-as-user` (strata uses 1000)"),
        ),
        (Security::None, Some(t)) if t.pod_security.value == PodSecurity::Restricted => d.push(
            Diagnostic::error(
                "strata::job::pod-security",
                format!("{owner} opts out of restricted pod security, but tenant `{}` enforces it", t.name.value),
            )
            .at(j.security.span, "its pods get no restricted security context")
            .also(t.name.span, "the namespace enforces Pod Security `restricted`")
            .help(format!(
                "Pod Security admission would reject every pod of the job: remove `security \"none\"`, or give tenant `{}` `pod-security=\"baseline\"`",
                t.name.value
            )),
        ),
        _ => {}
    }
    scheduling::check_tolerations(&j.tolerations, CODES, d);
    scheduling::check_node_selector(&j.node_selector, CODES, d);
    if let Some(r) = &j.restart
        && r.value == RestartType::Always
    {
        d.push(
            Diagnostic::error("strata::job::restart", "a job's pods cannot restart `Always`")
                .at(r.span, "the API server accepts only `Never` or `OnFailure` in a Job's pod template")
                .help("use `restart \"OnFailure\"` to rerun the container in place, or `\"Never\"` (the default) to retry with a new pod; a task that should run forever is a Deployment, not a job"),
        );
    }
    check_counts(j, d);
    if let Some(v) = &j.deadline {
        whole_seconds(v, "`deadline`", 1, d);
    }
    if let Some(v) = &j.ttl {
        whole_seconds(v, "`ttl`", 0, d);
        let secs = Spanned::new(v.value.as_secs(), v.span);
        scheduling::int32_field(Some(&secs), "ttl", FIELD, CODES, d);
    }
    check_schedule(j, d);
}

fn check_name(j: &BatchJob, d: &mut Diagnostics) {
    let name = &j.name;
    if let Some(why) = dns1123_label(&name.value) {
        d.push(
            Diagnostic::error("strata::job::name", format!("job name `{}` is not a valid name", name.value))
                .at(name.span, format!("the name {why}"))
                .help(format!(
                    "the Job's name is also its pods' `job-name` label: lower-case letters, digits and `-`, at most {MAX_NAME} characters, e.g. `{}`",
                    suggest(&name.value, MAX_NAME)
                )),
        );
        return;
    }
    if j.schedule.is_some() && name.value.len() > MAX_SCHEDULED_NAME {
        d.push(
            Diagnostic::error(
                "strata::job::name",
                format!("scheduled job name `{}` is too long for a CronJob", name.value),
            )
            .at(name.span, format!("{} characters; a CronJob may have at most {MAX_SCHEDULED_NAME}", name.value.len()))
            .help(format!("shorten it, e.g. `{}`", suggest(&name.value, MAX_SCHEDULED_NAME)))
            .note_line("the CronJob controller names each run `<name>-<minutes since 1970>` (up to 11 more characters), and a Job's name may have at most 63: the API server refuses longer CronJob names"),
        );
    }
}

fn suggest(name: &str, max: usize) -> String {
    suggest_label(name).chars().take(max).collect::<String>().trim_end_matches('-').to_string()
}

fn check_resources(p: &Platform, j: &BatchJob, d: &mut Diagnostics) {
    let Some(r) = &j.resources else { return };
    if let Some(size) = &r.size
        && p.presets.size(&size.value).is_none()
    {
        let names = p.presets.size_names();
        d.push(
            Diagnostic::error("strata::job::unknown-size", format!("unknown size `{}`", size.value))
                .at(size.span, "no size with this name")
                .help(match did_you_mean(&size.value, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "use one of {}, or define it with `size \"{}\" cpu=... memory=...`",
                        names.join(", "),
                        size.value
                    ),
                }),
        );
        return;
    }
    if r.size.is_none() && (r.cpu.is_none() || r.memory.is_none()) {
        let missing = if r.cpu.is_none() { "cpu" } else { "memory" };
        d.push(
            Diagnostic::error("strata::job::resources", format!("{}: the pod's {missing} is not known", j.describe()))
                .at(r.span, format!("no size and no `{missing}=`"))
                .help("give a size (`resources size=\"m\"`) or both `cpu=` and `memory=`: strata needs them to check the tenant's quota"),
        );
    }
    for (v, what) in
        [(r.cpu.as_ref().map(|c| c.value.0 == 0), "cpu"), (r.memory.as_ref().map(|m| m.value.0 == 0), "memory")]
    {
        if v == Some(true) {
            d.push(
                Diagnostic::error("strata::job::resources", format!("{}: {what} is zero", j.describe()))
                    .at(r.span, format!("`{what}=0`"))
                    .help(format!("give the pod the {what} it needs, e.g. a size: `resources size=\"s\"`")),
            );
        }
    }
}

fn check_counts(j: &BatchJob, d: &mut Diagnostics) {
    scheduling::int32_field(j.retries.as_ref(), "retries", FIELD, CODES, d);
    scheduling::int32_field(j.parallelism.as_ref(), "parallelism", FIELD, CODES, d);
    scheduling::int32_field(j.completions.as_ref(), "completions", FIELD, CODES, d);
    if let Some(par) = &j.parallelism {
        if par.value == 0 {
            d.push(
                Diagnostic::error("strata::job::parallelism", "`parallelism 0` runs no pods")
                    .at(par.span, "the Job would never start a pod")
                    .help("use `parallelism 1` or more (to pause a scheduled job, use `schedule ... suspend=#true`)"),
            );
        } else if let Some(c) = &j.completions
            && c.value < par.value
        {
            d.push(
                Diagnostic::warning(
                    "strata::job::parallelism",
                    format!("parallelism {} is above completions {}", par.value, c.value),
                )
                .at(par.span, format!("at most {} pods run at once", c.value))
                .also(c.span, "the Job controller starts no more pods than completions remain")
                .help(format!("lower `parallelism` to {}, or raise `completions=`", c.value)),
            );
        }
    }
    if let Some(c) = &j.completions
        && c.value == 0
    {
        d.push(
            Diagnostic::error("strata::job::parallelism", "`completions=0` runs no pods")
                .at(c.span, "the Job would complete at once without running anything")
                .help("use `completions=1` or more, or leave it out (the job is done when one pod succeeds)"),
        );
    }
}

fn whole_seconds(v: &Spanned<Duration>, what: &str, min_secs: u64, d: &mut Diagnostics) {
    if !v.value.0.is_multiple_of(1000) || v.value.as_secs() < min_secs {
        d.push(
            Diagnostic::error(
                "strata::job::duration",
                if min_secs > 0 {
                    format!("{what} must be whole seconds, at least {min_secs}s")
                } else {
                    format!("{what} must be whole seconds")
                },
            )
            .at(v.span, format!("{}", v.value))
            .help("Kubernetes stores it in seconds: write e.g. \"30s\", \"2h\" or \"1d\""),
        );
    }
}

fn check_schedule(j: &BatchJob, d: &mut Diagnostics) {
    let Some(s) = &j.schedule else { return };
    scheduling::int32_field(s.successful_history.as_ref(), "successful-history", FIELD, CODES, d);
    scheduling::int32_field(s.failed_history.as_ref(), "failed-history", FIELD, CODES, d);
    schedule::check_schedule(
        &s.cron,
        s.time_zone.as_ref(),
        Scheduler::CronJob,
        ("strata::job::cron", "strata::job::timezone"),
        d,
    );
    if let Some(sd) = &s.starting_deadline {
        whole_seconds(sd, "`starting-deadline`", 1, d);
        let secs = sd.value.as_secs();
        if (1..MIN_STARTING_DEADLINE_SECS).contains(&secs) && sd.value.0.is_multiple_of(1000) {
            d.push(
                Diagnostic::warning(
                    "strata::job::starting-deadline",
                    format!("{}: a starting deadline of {secs}s can skip runs", j.describe()),
                )
                .at(sd.span, format!("a run the controller reaches more than {secs}s after its time is skipped"))
                .help(format!(
                    "use at least `starting-deadline=\"{MIN_STARTING_DEADLINE_SECS}s\"` (minutes are usual), or leave it out: the controller then starts the latest missed run however late"
                ))
                .note_line("the CronJob controller requeues each CronJob for its next time, but restarts, leader changes and a busy queue delay it by seconds; a late run is skipped with a `MissSchedule` event"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{codes, compile};

    fn job(body: &str) -> Vec<&'static str> {
        let c = compile(&format!(
            "tenant \"t\" {{\n    network \"open\"\n}}\njob \"j\" tenant=\"t\" {{\n    image \"registry.acme.io/j:1.0.0\"\n    resources size=\"s\"\n{body}\n}}\n"
        ));
        codes(&c)
    }

    #[test]
    fn a_plain_job_and_a_scheduled_one_pass() {
        assert_eq!(job("    retries 3\n    deadline \"2h\"\n    ttl \"1d\""), Vec::<&str>::new());
        assert_eq!(
            job("    schedule \"0 2 * * *\" timezone=\"Europe/Berlin\" starting-deadline=\"5m\""),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn kubernetes_refusals_are_errors() {
        assert_eq!(job("    restart \"Always\""), ["strata::job::restart"]);
        assert_eq!(job("    retries 2147483648"), ["strata::job::out-of-range"]);
        assert_eq!(job("    schedule \"0 2 * * *\" timezone=\"Local\""), ["strata::job::timezone"]);
        assert_eq!(job("    schedule \"TZ=UTC 0 2 * * *\""), ["strata::job::cron"]);
        assert_eq!(job("    parallelism 0"), ["strata::job::parallelism"]);
        assert_eq!(job("    deadline \"0s\""), ["strata::job::duration"]);
    }

    #[test]
    fn a_tiny_starting_deadline_warns() {
        assert_eq!(job("    schedule \"* * * * *\" starting-deadline=\"5s\""), ["strata::job::starting-deadline"]);
    }

    #[test]
    fn cronjob_names_leave_room_for_the_run_suffix() {
        let long = "a".repeat(53);
        let c = compile(&format!(
            "tenant \"t\" {{\n    network \"open\"\n}}\njob \"{long}\" tenant=\"t\" {{\n    image \"registry.acme.io/j:1.0.0\"\n    resources size=\"s\"\n    schedule \"0 2 * * *\"\n}}\n"
        ));
        assert_eq!(codes(&c), ["strata::job::name"]);
    }
}
