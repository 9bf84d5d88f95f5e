//! Cron expressions and IANA time zones as the schedulers parse them, checked offline: the Spark operator
//! hands `.spec.schedule` to robfig/cron's `ParseStandard` and `.spec.timeZone` to Go's `time.LoadLocation`,
//! and a value either rejects is only reported later in the object's `.status` (state `FailedValidation`);
//! Kubernetes' API server validates a CronJob's the same way on create (`validateScheduleFormat`,
//! `validateTimeZone` in pkg/apis/batch/validation), refusing `TZ=`/`CRON_TZ=` in the schedule and the zone
//! `Local` besides. Shared by every domain that schedules work ([`check_schedule`]).

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::{Span, Spanned};

/// Who reads a schedule: decides what a bad one leads to, and which zone names are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduler {
    /// The Kubeflow Spark operator (ScheduledSparkApplication): reports a bad value in the object's status.
    SparkOperator,
    /// Kubernetes' CronJob: the API server refuses the object.
    CronJob,
}

impl Scheduler {
    fn unparsable(self) -> &'static str {
        match self {
            Scheduler::SparkOperator => "not a schedule the operator can parse",
            Scheduler::CronJob => "the API server refuses this schedule",
        }
    }

    fn bad_zone(self) -> &'static str {
        match self {
            Scheduler::SparkOperator => "the operator would mark the schedule `FailedValidation`",
            Scheduler::CronJob => "the API server refuses this time zone",
        }
    }

    /// Whether the scheduler accepts `name`: Go's `time.LoadLocation`, and for a CronJob not `Local`
    /// (any case), which would mean the controller's own zone (`validateTimeZone`).
    pub fn accepts_zone(self, name: &str) -> bool {
        is_time_zone(name) && !(self == Scheduler::CronJob && name.eq_ignore_ascii_case("local"))
    }
}

/// Reports a schedule that does not parse (underlining the wrong field) under `codes.0`, and a time zone
/// the scheduler refuses under `codes.1`.
pub fn check_schedule(
    cron: &Spanned<String>,
    time_zone: Option<&Spanned<String>>,
    who: Scheduler,
    codes: (&'static str, &'static str),
    d: &mut Diagnostics,
) {
    if let Err(e) = check_cron(&cron.value) {
        let (span, label) = match e.field {
            Some(i) => (
                field_span(cron, i),
                format!("the {} field", ["minute", "hour", "day-of-month", "month", "day-of-week"][i]),
            ),
            None => (cron.span, who.unparsable().to_string()),
        };
        d.push(
            Diagnostic::error(codes.0, format!("invalid schedule `{}`: {}", cron.value, e.message))
                .at(span, label)
                .help(e.help),
        );
    }
    if let Some(z) = time_zone
        && !who.accepts_zone(&z.value)
    {
        let local = is_time_zone(&z.value);
        d.push(
            Diagnostic::error(
                codes.1,
                if local {
                    format!("`{}` is not an explicit IANA time zone", z.value)
                } else {
                    format!("`{}` is not an IANA time zone", z.value)
                },
            )
            .at(z.span, who.bad_zone())
            .help(match suggest_time_zone(&z.value) {
                Some(s) if !local => format!("did you mean `{s}`?"),
                _ if local => {
                    "`Local` would be the controller's own zone: name the zone, e.g. \"UTC\" or \"Europe/Berlin\""
                        .to_string()
                }
                _ => "use a name like \"UTC\", \"Europe/Berlin\" or \"America/New_York\"".to_string(),
            }),
        );
    }
}

/// The span of field `i` inside a quoted schedule string; the whole string when it is not a plain quoted
/// literal (escapes or raw strings shift the offsets).
pub fn field_span(cron: &Spanned<String>, i: usize) -> Span {
    let s = cron.span;
    if s.len() != cron.value.len() + 2 {
        return s;
    }
    match field_ranges(&cron.value).get(i) {
        Some((a, b)) => Span { file: s.file, start: s.start + 1 + *a as u32, end: s.start + 1 + *b as u32 },
        None => s,
    }
}

/// Why a cron expression does not parse. `field` is the index of the offending field (0 = minute), so the
/// caller can underline just that field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronError {
    pub field: Option<usize>,
    pub message: String,
    pub help: String,
}

/// `(name, min, max, names)` of the five standard fields, in order.
const FIELDS: [(&str, u32, u32, &[&str]); 5] = [
    ("minute", 0, 59, &[]),
    ("hour", 0, 23, &[]),
    ("day of month", 1, 31, &[]),
    ("month", 1, 12, &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]),
    ("day of week", 0, 6, &["sun", "mon", "tue", "wed", "thu", "fri", "sat"]),
];

const DESCRIPTORS: &[&str] = &["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

/// The byte ranges of the whitespace-separated fields of `expr`.
pub fn field_ranges(expr: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in expr.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, expr.len()));
    }
    out
}

/// Checks `expr` the way robfig/cron v3 `ParseStandard` does: five fields, or a `@` descriptor.
pub fn check_cron(expr: &str) -> Result<(), CronError> {
    let t = expr.trim();
    let whole = |message: String, help: &str| CronError { field: None, message, help: help.to_string() };
    if t.is_empty() {
        return Err(whole("the schedule is empty".into(), "write five fields, e.g. \"0 2 * * *\" (02:00 every day)"));
    }
    if t.starts_with("TZ=") || t.starts_with("CRON_TZ=") {
        return Err(whole(
            "the time zone belongs in `timezone=`, not in the schedule".into(),
            "remove the `TZ=`/`CRON_TZ=` prefix and write e.g. `schedule \"0 2 * * *\" timezone=\"Europe/Berlin\"`",
        ));
    }
    if let Some(rest) = t.strip_prefix("@every") {
        return check_every(rest.trim());
    }
    if t.starts_with('@') {
        if DESCRIPTORS.contains(&t) {
            return Ok(());
        }
        let known = DESCRIPTORS.join(", ");
        return Err(whole(
            format!("`{t}` is not a schedule descriptor"),
            &match crate::diagnostic::did_you_mean(t, DESCRIPTORS.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("use one of {known}, `@every <duration>`, or five cron fields"),
            },
        ));
    }
    let fields: Vec<&str> = t.split_whitespace().collect();
    if fields.len() != 5 {
        let help = if fields.len() == 6 {
            "the operator's cron has no seconds field: drop the first field (minute hour day-of-month month day-of-week)"
        } else {
            "write minute, hour, day of month, month and day of week, e.g. \"30 2 * * 1-5\""
        };
        return Err(whole(format!("expected 5 fields, found {}", fields.len()), help));
    }
    for (i, f) in fields.iter().enumerate() {
        check_field(i, f).map_err(|(message, help)| CronError { field: Some(i), message, help })?;
    }
    Ok(())
}

fn check_field(i: usize, field: &str) -> Result<(), (String, String)> {
    let (name, min, max, names) = FIELDS[i];
    let range_help = || {
        let mut h = format!("the {name} field takes {min}-{max}");
        if !names.is_empty() {
            h.push_str(&format!(" or names ({}-{})", names[0].to_uppercase(), names[names.len() - 1].to_uppercase()));
        }
        h.push_str(", `*`, lists `a,b`, ranges `a-b` and steps `*/n`");
        h
    };
    for part in field.split(',') {
        if part.is_empty() {
            return Err((format!("the {name} field `{field}` has an empty list entry"), range_help()));
        }
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (part, None),
        };
        if let Some(s) = step {
            match s.parse::<u32>() {
                Ok(0) => {
                    return Err((
                        format!("the step in `{part}` is zero"),
                        "a step must be 1 or more, e.g. `*/15`".into(),
                    ));
                }
                Ok(_) => {}
                Err(_) => {
                    return Err((format!("the step in `{part}` is not a number"), "write a step like `*/15`".into()));
                }
            }
        }
        if range == "*" || range == "?" {
            continue;
        }
        let (lo, hi) = match range.split_once('-') {
            Some((a, b)) => (a, Some(b)),
            None => (range, None),
        };
        let lo_v = value(i, lo).map_err(|e| (e, range_help()))?;
        let hi_v = match hi {
            Some(h) => value(i, h).map_err(|e| (e, range_help()))?,
            None => lo_v,
        };
        for v in [lo_v, hi_v] {
            if v < min || v > max {
                let mut help = range_help();
                if i == 4 && v == 7 {
                    help = "the operator's cron counts Sunday as 0 only: write `0` or `SUN`".into();
                }
                return Err((format!("{v} is outside the {name} range {min}-{max}"), help));
            }
        }
        if lo_v > hi_v {
            return Err((
                format!("the range `{range}` runs backwards"),
                format!("cron ranges do not wrap around: write `{lo_v}-{max},{min}-{hi_v}`"),
            ));
        }
    }
    Ok(())
}

fn value(i: usize, s: &str) -> Result<u32, String> {
    let (name, _, _, names) = FIELDS[i];
    if let Ok(v) = s.parse::<u32>() {
        return Ok(v);
    }
    let lower = s.to_ascii_lowercase();
    if let Some(pos) = names.iter().position(|n| *n == lower) {
        // Month names count from 1, weekday names from 0 (Sunday).
        return Ok(pos as u32 + if i == 3 { 1 } else { 0 });
    }
    if s.contains(['L', 'W', '#']) {
        return Err(format!("`{s}` uses Quartz syntax (`L`, `W`, `#`) that the operator's cron does not support"));
    }
    Err(format!("`{s}` is not a valid {name}"))
}

/// `@every 90m`: a Go duration (`1h30m`, `45s`), positive.
fn check_every(d: &str) -> Result<(), CronError> {
    let err = |m: String| CronError {
        field: None,
        message: m,
        help: "write a Go duration with units h, m, s (or ms, us, ns), e.g. `@every 1h30m`".into(),
    };
    if d.is_empty() {
        return Err(err("`@every` needs a duration".into()));
    }
    let mut rest = d;
    let mut positive = false;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(err(format!("`{d}` is not a duration")));
        }
        if num.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
            positive = true;
        }
        rest = &rest[num_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        if !["h", "m", "s", "ms", "us", "µs", "ns"].contains(&&rest[..unit_len]) {
            return Err(err(format!("`{d}` is not a duration")));
        }
        rest = &rest[unit_len..];
    }
    if !positive {
        return Err(err(format!("`@every {d}` never advances")));
    }
    Ok(())
}

const ZONES: &str = include_str!("iana-time-zones.txt");

fn zones() -> impl Iterator<Item = &'static str> {
    ZONES.lines().filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Whether Go's `time.LoadLocation` (with embedded tzdata) accepts `name`.
pub fn is_time_zone(name: &str) -> bool {
    // Every scheduled job asks; a set built once keeps that from scanning ~600 names each time.
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> = std::sync::OnceLock::new();
    SET.get_or_init(|| zones().collect()).contains(name)
}

/// The zone a misspelled name most likely meant: a case-only difference first, then the closest name.
pub fn suggest_time_zone(name: &str) -> Option<&'static str> {
    if let Some(z) = zones().find(|z| z.eq_ignore_ascii_case(name)) {
        return Some(z);
    }
    // Compare city parts too, so `Berlin` finds `Europe/Berlin`.
    let best = zones()
        .map(|z| {
            let city = z.rsplit('/').next().unwrap_or(z);
            let score = strsim::jaro_winkler(name, z).max(strsim::jaro_winkler(name, city));
            (score, z)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))?;
    (best.0 > 0.85).then_some(best.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(expr: &str) -> Option<usize> {
        check_cron(expr).unwrap_err().field
    }

    #[test]
    fn valid_schedules() {
        for ok in [
            "0 2 * * *",
            "*/15 * * * *",
            "0 0 1 JAN,jul *",
            "30 6 * * MON-FRI",
            "0 12 ? * 0",
            "5/10 * * * *",
            "0 0-23/2 * * *",
            "@daily",
            "@every 1h30m",
            "@every 90s",
        ] {
            assert!(check_cron(ok).is_ok(), "{ok}: {:?}", check_cron(ok));
        }
    }

    #[test]
    fn invalid_schedules_name_the_field() {
        assert_eq!(field_of("60 2 * * *"), Some(0));
        assert_eq!(field_of("0 24 * * *"), Some(1));
        assert_eq!(field_of("0 2 0 * *"), Some(2));
        assert_eq!(field_of("0 2 * 13 *"), Some(3));
        assert_eq!(field_of("0 2 * * 7"), Some(4));
        assert!(check_cron("0 2 * * 7").unwrap_err().help.contains("SUN"));
        assert_eq!(field_of("0 2 * * L"), Some(4));
        assert_eq!(field_of("*/0 * * * *"), Some(0));
        assert_eq!(field_of("0 5-2 * * *"), Some(1));
        assert_eq!(field_of("0 1,,2 * * *"), Some(1));
        assert_eq!(field_of("0 2 * FOO *"), Some(3));
        assert!(check_cron("0 0 2 * * *").unwrap_err().help.contains("seconds"));
        assert!(check_cron("0 2 * *").is_err());
        assert!(check_cron("@dayly").unwrap_err().help.contains("@daily"));
        assert!(check_cron("CRON_TZ=UTC 0 2 * * *").unwrap_err().help.contains("timezone"));
        assert!(check_cron("@every 0s").is_err());
        assert!(check_cron("@every 5").is_err());
        assert!(check_cron("").is_err());
    }

    #[test]
    fn field_ranges_find_fields() {
        assert_eq!(field_ranges("0  2 *"), vec![(0, 1), (3, 4), (5, 6)]);
    }

    #[test]
    fn time_zones() {
        for z in ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "US/Eastern", "Local", "Etc/GMT+2"] {
            assert!(is_time_zone(z), "{z}");
        }
        assert!(!is_time_zone("Europe/Berlín"));
        assert!(!is_time_zone("utc"));
        assert_eq!(suggest_time_zone("utc"), Some("UTC"));
        assert_eq!(suggest_time_zone("Europe/Berln"), Some("Europe/Berlin"));
        assert_eq!(suggest_time_zone("Berlin"), Some("Europe/Berlin"));
        assert_eq!(suggest_time_zone("Qwertyuiop"), None);
    }
}
