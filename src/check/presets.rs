//! Checks preset definitions: no name defined twice by the platform, limits not below requests, priority
//! values in the range Kubernetes accepts.

use crate::check::names::{dns1123_subdomain, duplicates, reserved_prefix};
use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use crate::model::Platform;
use crate::source::Spanned;

/// User PriorityClass values above this are refused by the apiserver (higher is reserved for system-*).
const MAX_USER_PRIORITY: i64 = 1_000_000_000;

pub fn check(p: &Platform, d: &mut Diagnostics) {
    let help = "a later definition does not replace an earlier one in the same platform; remove one (defining a stdlib name once overrides the stdlib)";
    let user = |stdlib: bool| !stdlib;
    duplicates(
        p.presets.sizes.iter().filter(|s| user(s.from_stdlib)).map(|s| (s.name.value.as_str(), s.name.span)),
        "strata::preset::duplicate",
        "size",
        help,
        d,
    );
    duplicates(
        p.presets.tiers.iter().filter(|s| user(s.from_stdlib)).map(|s| (s.name.value.as_str(), s.name.span)),
        "strata::preset::duplicate",
        "tier",
        help,
        d,
    );
    duplicates(
        p.presets.priority_classes.iter().filter(|s| user(s.from_stdlib)).map(|s| (s.name.value.as_str(), s.name.span)),
        "strata::preset::duplicate",
        "priority class",
        help,
        d,
    );

    for s in &p.presets.sizes {
        if let Some(l) = &s.cpu_limit
            && l.value < s.cpu.value
        {
            d.push(
                Diagnostic::error(
                    "strata::preset::limit-below-request",
                    format!("size `{}`: cpu-limit is below cpu", s.name.value),
                )
                .at(l.span, format!("limit {}", l.value))
                .also(s.cpu.span, format!("request {}", s.cpu.value))
                .help("Kubernetes rejects containers whose limit is below their request: raise cpu-limit or lower cpu"),
            );
        }
        if let Some(l) = &s.memory_limit
            && l.value < s.memory.value
        {
            d.push(
                Diagnostic::error("strata::preset::limit-below-request", format!("size `{}`: memory-limit is below memory", s.name.value))
                    .at(l.span, format!("limit {}", l.value))
                    .also(s.memory.span, format!("request {}", s.memory.value))
                    .help("Kubernetes rejects containers whose limit is below their request: raise memory-limit or lower memory"),
            );
        }
        if s.cpu.value.0 == 0 || s.memory.value.0 == 0 {
            d.push(
                Diagnostic::error("strata::preset::zero-size", format!("size `{}` requests nothing", s.name.value))
                    .at(s.name.span, "cpu and memory must be above zero")
                    .help("give the size a real request, e.g. cpu=\"250m\" memory=\"512Mi\""),
            );
        }
    }

    for pc in &p.presets.priority_classes {
        if let Some(why) = dns1123_subdomain(&pc.name.value) {
            d.push(
                Diagnostic::error(
                    "strata::priority-class::name",
                    format!("priority class name `{}` is not valid", pc.name.value),
                )
                .at(pc.name.span, format!("the name {why}"))
                .help("use lower-case letters, digits, `-` and `.`"),
            );
        } else if let Some(prefix) = reserved_prefix(&pc.name.value) {
            d.push(
                Diagnostic::error(
                    "strata::priority-class::reserved",
                    format!("priority class names starting with `{prefix}` are reserved"),
                )
                .at(pc.name.span, "reserved by Kubernetes")
                .help(format!("rename it, e.g. `{}`", pc.name.value.trim_start_matches(prefix))),
            );
        }
        if pc.value.value > MAX_USER_PRIORITY || pc.value.value < -2_147_483_648 {
            d.push(
                Diagnostic::error(
                    "strata::priority-class::value",
                    format!("priority value {} is out of range", pc.value.value),
                )
                .at(pc.value.span, "outside -2147483648..=1000000000")
                .help("user priority classes may go up to 1000000000; higher values are reserved for system classes"),
            );
        }
    }
}

/// The error for a workload's `size` that names no size preset, or `None` when the preset exists. Shared by
/// the domains whose pods take a size, so the wording and the suggestion are the same everywhere.
pub fn unknown_size(p: &Platform, size: &Spanned<String>, code: &'static str) -> Option<Diagnostic> {
    if p.presets.size(&size.value).is_some() {
        return None;
    }
    let sizes = p.presets.size_names();
    Some(
        Diagnostic::error(code, format!("unknown size `{}`", size.value))
            .at(size.span, "no size preset with this name")
            .help(match did_you_mean(&size.value, sizes.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "define it with `size \"{}\" cpu=... memory=...`, or use one of: {}",
                    size.value,
                    sizes.join(", ")
                ),
            }),
    )
}
