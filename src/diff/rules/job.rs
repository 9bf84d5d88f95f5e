//! Batch job rules over `batch/v1` Jobs and CronJobs: a Job's pod template cannot change (the API server
//! refuses the update: the Job must be replaced), a CronJob whose schedule or time zone changes moves its
//! runs (shown in the schedule's zone and in UTC), and removing a CronJob deletes the Jobs it keeps, with
//! their pods and logs.

use k8s_openapi::api::batch::v1::{CronJob, Job};

use crate::diff::rules::spark::SCHEDULE_CHANGED;
use crate::diff::rules::{Context, read_both};
use crate::diff::{ChangeKind, Finding, ObjectChange};

pub const JOB_TEMPLATE_IMMUTABLE: &str = "strata::diff::job-template-immutable";
pub const SCHEDULED_JOB_REMOVED: &str = "strata::diff::scheduled-job-removed";

pub fn check(changes: &[ObjectChange], cx: &Context, out: &mut Vec<Finding>) {
    for c in changes {
        let job = c.is("batch", "Job");
        let cron = c.is("batch", "CronJob");
        match c.kind {
            ChangeKind::Changed if job => {
                let Some((old, new)) = read_both::<Job>(c, cx, out) else { continue };
                let (Some(o), Some(n)) = (old.spec, new.spec) else { continue };
                let mut what = Vec::new();
                if o.template != n.template {
                    what.push("its pod template");
                }
                if o.completions != n.completions {
                    what.push("`completions`");
                }
                if !what.is_empty() {
                    out.push(
                        Finding::error(
                            JOB_TEMPLATE_IMMUTABLE,
                            c,
                            format!("Job `{}` changes {}, which cannot change", c.key.name, what.join(" and ")),
                            "the API server refuses the update (`spec.template: field is immutable`): the Job must be \
                             replaced, deleting it with its pods and their logs and running it again",
                        )
                        .help("apply with `strata apply --recreate` to replace it (it runs again), or give the changed job a new name"),
                    );
                }
            }
            ChangeKind::Changed if cron => {
                let Some((old, new)) = read_both::<CronJob>(c, cx, out) else { continue };
                let (Some(o), Some(n)) = (old.spec, new.spec) else { continue };
                if let Some(f) = schedule_changed(c, (&o.schedule, o.time_zone.as_deref()), (&n.schedule, n.time_zone.as_deref())) {
                    out.push(f);
                }
            }
            ChangeKind::Removed if cron => out.push(
                Finding::warning(
                    SCHEDULED_JOB_REMOVED,
                    c,
                    format!("scheduled job `{}` is removed", c.key.name),
                    "deleting a CronJob deletes the Jobs it keeps (its run history), with their pods and logs: the \
                     garbage collector follows their owner references; a run in progress is stopped",
                )
                .help("copy the logs or results you need from its last runs (`kubectl get jobs -l batch.kubernetes.io/cronjob-name`) before merging; to stop it without deleting, use `schedule ... suspend=#true`"),
            ),
            _ => {}
        }
    }
}

fn schedule_changed(c: &ObjectChange, old: (&str, Option<&str>), new: (&str, Option<&str>)) -> Option<Finding> {
    if old == new {
        return None;
    }
    // Without a zone the controller uses its own local zone, which strata never leaves unset.
    let show = |(cron, tz): (&str, Option<&str>)| match tz {
        Some(tz) => format!("`{cron}` in {tz} ({})", in_utc(cron, tz)),
        None => format!("`{cron}` in the controller's local zone"),
    };
    Some(
        Finding::warning(
            SCHEDULE_CHANGED,
            c,
            format!("scheduled job `{}` moves from {} to {}", c.key.name, show(old), show(new)),
            "the runs move: around the switch a run can be skipped or happen twice, and downstream jobs, reports or \
             SLAs tied to the old time must move with it",
        )
        .help("check the consumers of this job's output and the time of its next run before merging"),
    )
}

/// A schedule's times in UTC. For a daily time (`M H ...` with one minute and one hour) the UTC time on a
/// winter and a summer day (15 January and 15 July 2026, fixed so the output does not depend on today);
/// otherwise the zone's UTC offsets on those days.
pub fn in_utc(cron: &str, tz: &str) -> String {
    use jiff::civil::date;
    let Ok(zone) = jiff::tz::TimeZone::get(tz) else {
        return format!("UTC unknown: no time zone database entry for {tz} on this machine");
    };
    let fields: Vec<&str> = cron.split_whitespace().collect();
    let hm = match fields.as_slice() {
        [m, h, ..] if fields.len() == 5 => m.parse::<i8>().ok().zip(h.parse::<i8>().ok()),
        _ => None,
    };
    let days = [("winter", date(2026, 1, 15)), ("summer", date(2026, 7, 15))];
    let at = |day: jiff::civil::Date, h: i8, m: i8| {
        let local = day.at(h, m, 0, 0).to_zoned(zone.clone()).ok()?;
        let utc = local.with_time_zone(jiff::tz::TimeZone::UTC);
        Some(format!("{:02}:{:02} UTC", utc.hour(), utc.minute()))
    };
    let offset = |day: jiff::civil::Date| {
        let z = day.at(12, 0, 0, 0).to_zoned(zone.clone()).ok()?;
        Some(format!("UTC{}", z.offset()))
    };
    let each: Option<Vec<(&str, String)>> = days
        .iter()
        .map(|(season, day)| {
            let v = match hm {
                Some((m, h)) if (0..60).contains(&m) && (0..24).contains(&h) => at(*day, h, m),
                _ => offset(*day),
            };
            v.map(|v| (*season, v))
        })
        .collect();
    let Some(each) = each else { return format!("UTC unknown for {tz}") };
    if each[0].1 == each[1].1 {
        return match hm {
            Some(_) => format!("at {}", each[0].1),
            None => each[0].1.clone(),
        };
    }
    let parts: Vec<String> = each.iter().map(|(s, v)| format!("{v} in {s}")).collect();
    match hm {
        Some(_) => format!("at {}", parts.join(", ")),
        None => parts.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::tests::set;
    use crate::diff::{Side, compare};
    use serde_json::{Value, json};

    fn cronjob(schedule: &str, tz: &str) -> Value {
        json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "analytics"},
               "spec": {"schedule": schedule, "timeZone": tz,
                        "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "x:1"}]}}}}}})
    }

    fn job(image: &str) -> Value {
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "export", "namespace": "analytics"},
               "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": image}]}}}})
    }

    fn findings(base: Vec<Value>, head: Vec<Value>) -> Vec<(&'static str, String)> {
        let tag = |v: Vec<Value>| v.into_iter().map(|o| (o, Some("analytics"), "s.kdl:1")).collect::<Vec<_>>();
        let (b, h) = (set(tag(base)), set(tag(head)));
        let d = compare(&Side::new("base", &b), &Side::new("head", &h));
        d.findings.iter().map(|f| (f.code, f.message.clone())).collect()
    }

    #[test]
    fn utc_times_of_a_zoned_schedule() {
        assert_eq!(in_utc("0 2 * * *", "Europe/Berlin"), "at 01:00 UTC in winter, 00:00 UTC in summer");
        assert_eq!(in_utc("30 6 * * 1-5", "UTC"), "at 06:30 UTC");
        assert_eq!(in_utc("*/15 * * * *", "Europe/Berlin"), "UTC+01 in winter, UTC+02 in summer");
        assert_eq!(in_utc("0 9 * * *", "Asia/Kolkata"), "at 03:30 UTC");
    }

    #[test]
    fn a_changed_template_must_replace_the_job() {
        let f = findings(vec![job("x:1")], vec![job("x:2")]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, JOB_TEMPLATE_IMMUTABLE);
        assert!(findings(vec![job("x:1")], vec![job("x:1")]).is_empty());
    }

    #[test]
    fn a_moved_schedule_shows_both_zones_and_a_removed_cronjob_warns() {
        let f = findings(vec![cronjob("0 2 * * *", "UTC")], vec![cronjob("0 2 * * *", "Europe/Berlin")]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, SCHEDULE_CHANGED);
        assert!(f[0].1.contains("in Europe/Berlin (at 01:00 UTC in winter, 00:00 UTC in summer)"), "{}", f[0].1);
        let f = findings(vec![cronjob("0 2 * * *", "UTC")], vec![]);
        assert_eq!(f.iter().map(|f| f.0).collect::<Vec<_>>(), [SCHEDULED_JOB_REMOVED]);
    }
}
