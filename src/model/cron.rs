//! How often a schedule fires, as arithmetic on a cron expression: the longest time between two successive
//! runs. The "has not succeeded within its schedule period" alerts need it (a nightly job is overdue after a
//! day and some slack, a weekly one after a week), and it belongs to the model, not to `check`, because emit
//! reads it. The expression has passed `check::schedule` by then; anything this module cannot read gives
//! `None`, and the caller simply has no period.
//!
//! The semantics are robfig/cron v3's (`parser.go` `ParseStandard`, `spec.go` `dayMatches`), which both the
//! Kubernetes CronJob controller and the Spark operator use: five fields or a descriptor; a day matches when
//! both day fields match if either of them is unrestricted (`*` or `?`, without a step above 1), else when
//! either matches.

use crate::units::Duration;

const MINUTE_MS: u64 = 60_000;
const DAY_MINUTES: u64 = 24 * 60;
/// Days scanned for the longest gap: 28 years, the Julian calendar's full cycle of weekdays and leap
/// years, so a schedule like "Feb 29 when it is a Monday" is seen at least twice. Gregorian century years
/// (2100) make such a gap longer still; a schedule that rare is overdue after decades either way.
const SCAN_DAYS: i64 = 28 * 365 + 7;
/// 2001-01-01, a Monday, as days since 1970-01-01: the scan's start.
const SCAN_START: i64 = 11_323;

/// The longest time between two successive runs of `expr`, in local wall-clock time (a daylight-saving
/// change moves one gap by an hour, which the alerts' slack absorbs). `None` when `expr` is not a schedule
/// this module reads, or one that never fires (`0 0 30 2 *`) or fires only once in the scan.
pub fn longest_gap(expr: &str) -> Option<Duration> {
    let t = expr.trim();
    if let Some(every) = t.strip_prefix("@every") {
        return go_duration(every.trim()).filter(|d| d.0 > 0);
    }
    let fields = match t {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        other => other,
    };
    let f: Vec<&str> = fields.split_whitespace().collect();
    let [minute, hour, dom, month, dow] = f.as_slice() else { return None };
    let minutes = Field::parse(minute, 0, 59, &[])?;
    let hours = Field::parse(hour, 0, 23, &[])?;
    let dom = Field::parse(dom, 1, 31, &[])?;
    let month = Field::parse(month, 1, 12, &MONTHS)?;
    let dow = Field::parse(dow, 0, 6, &WEEKDAYS)?;

    // The minutes of a day the schedule fires at, the same on every matching day.
    let times: Vec<u64> = (0..24u64)
        .filter(|h| hours.has(*h as u32))
        .flat_map(|h| minutes.values(0, 59).map(move |m| h * 60 + m))
        .collect();
    let (first, last) = (*times.first()?, *times.last()?);
    let within_day = times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    let mut longest = None::<u64>;
    let mut previous_day: Option<i64> = None;
    for day in SCAN_START..SCAN_START + SCAN_DAYS {
        let (_, m, d) = civil_from_days(day);
        let weekday = (day + 4).rem_euclid(7) as u32; // 1970-01-01 was a Thursday
        let day_matches =
            if dom.star || dow.star { dom.has(d) && dow.has(weekday) } else { dom.has(d) || dow.has(weekday) };
        if !(month.has(m) && day_matches) {
            continue;
        }
        if let Some(prev) = previous_day {
            let gap = (day - prev) as u64 * DAY_MINUTES + first - last;
            longest = Some(longest.map_or(gap, |l| l.max(gap)));
        }
        previous_day = Some(day);
    }
    let longest = longest?.max(within_day);
    Some(Duration(longest * MINUTE_MS))
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// One cron field as a bit set of the values it matches.
struct Field {
    bits: u64,
    /// robfig's `starBit`: `*` or `?` without a step above 1.
    star: bool,
}

impl Field {
    fn parse(field: &str, min: u32, max: u32, names: &[&str]) -> Option<Field> {
        let mut bits = 0u64;
        let mut star = false;
        for part in field.split(',') {
            let (range, step) = match part.split_once('/') {
                Some((r, s)) => (r, s.parse::<u32>().ok().filter(|s| *s > 0)?),
                None => (part, 1),
            };
            let (lo, hi) = if range == "*" || range == "?" {
                star |= step == 1;
                (min, max)
            } else {
                match range.split_once('-') {
                    Some((a, b)) => (value(a, min, names)?, value(b, min, names)?),
                    // robfig: `N/step` means `N-max/step`.
                    None if step > 1 || part.contains('/') => (value(range, min, names)?, max),
                    None => {
                        let v = value(range, min, names)?;
                        (v, v)
                    }
                }
            };
            if lo < min || hi > max || lo > hi {
                return None;
            }
            bits |= (lo..=hi).step_by(step as usize).fold(0, |b, v| b | 1 << v);
        }
        Some(Field { bits, star })
    }

    fn has(&self, v: u32) -> bool {
        self.bits & (1 << v) != 0
    }

    fn values(&self, min: u64, max: u64) -> impl Iterator<Item = u64> + '_ {
        (min..=max).filter(|v| self.has(*v as u32))
    }
}

fn value(s: &str, min: u32, names: &[&str]) -> Option<u32> {
    if let Ok(v) = s.parse::<u32>() {
        return Some(v);
    }
    let lower = s.to_ascii_lowercase();
    // Month names count from 1 (the field's minimum), weekday names from 0.
    names.iter().position(|n| *n == lower).map(|p| p as u32 + min)
}

/// A Go duration (`1h30m`, `90s`, `1.5h`) in milliseconds, as `@every` takes it.
fn go_duration(s: &str) -> Option<Duration> {
    const UNITS: [(&str, f64); 7] =
        [("ns", 1e-6), ("us", 1e-3), ("µs", 1e-3), ("ms", 1.0), ("h", 3.6e6), ("m", 6e4), ("s", 1e3)];
    let mut rest = s;
    let mut total = 0f64;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let (unit, ms) = UNITS.iter().find(|(u, _)| rest.starts_with(u))?;
        total += number * ms;
        rest = &rest[unit.len()..];
    }
    Some(Duration(total.round() as u64))
}

/// (year, month 1-12, day 1-31) of `days` since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::{civil_from_days, longest_gap};

    fn hours(expr: &str) -> Option<f64> {
        longest_gap(expr).map(|d| d.0 as f64 / 3_600_000.0)
    }

    #[test]
    fn the_calendar_is_right() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(super::SCAN_START), (2001, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        // 2001-01-01 was a Monday.
        assert_eq!((super::SCAN_START + 4).rem_euclid(7), 1);
    }

    #[test]
    fn common_schedules() {
        assert_eq!(hours("0 2 * * *"), Some(24.0));
        assert_eq!(hours("@daily"), Some(24.0));
        assert_eq!(hours("*/15 * * * *"), Some(0.25));
        assert_eq!(hours("@hourly"), Some(1.0));
        assert_eq!(hours("@weekly"), Some(168.0));
        assert_eq!(hours("@every 90m"), Some(1.5));
        assert_eq!(hours("@every 1h30m"), Some(1.5));
        // Weekdays at 06:00: Friday to Monday is the longest wait.
        assert_eq!(hours("0 6 * * 1-5"), Some(72.0));
        assert_eq!(hours("0 6 * * MON-FRI"), Some(72.0));
        // Twice a day, unevenly: 02:00 and 20:00, so 18 h within the day and 6 h across midnight.
        assert_eq!(hours("0 2,20 * * *"), Some(18.0));
        // The first of the month: January 31 days is the longest gap.
        assert_eq!(hours("@monthly"), Some(31.0 * 24.0));
        // The 31st: skips the short months (Aug 31 → Oct 31 is 61 days).
        assert_eq!(hours("0 0 31 * *"), Some(61.0 * 24.0));
        assert_eq!(hours("@yearly"), Some(366.0 * 24.0));
    }

    #[test]
    fn days_follow_robfigs_or_rule_when_both_fields_are_restricted() {
        // The 1st and every Monday: never more than a week.
        let both = hours("0 0 1 * 1").expect("fires");
        assert!(both <= 168.0, "{both}");
        // A stepped star is a restriction: `*/2` days (odd days) AND no weekday restriction.
        assert_eq!(hours("0 0 */2 * *"), Some(48.0)); // 1,3,...,29,31 → 31st to 1st is 1 day; 29→1 in Feb is 1 day
    }

    #[test]
    fn rare_or_impossible_schedules() {
        assert_eq!(hours("0 0 30 2 *"), None);
        let leap = hours("0 0 29 2 *").expect("fires in leap years");
        assert_eq!(leap, (365.0 * 3.0 + 366.0) * 24.0);
        assert_eq!(hours("not a schedule"), None);
        assert_eq!(hours("0 0 * *"), None);
    }
}
