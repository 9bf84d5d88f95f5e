//! Kubernetes naming rules (DNS-1123 labels and subdomains, DNS-1035 labels, reserved prefixes) and the
//! duplicate-name check every domain uses.

use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::Platform;
use crate::source::{Span, Spanned};

/// Why `name` is not a DNS-1123 label (namespaces, most object names), or `None` if it is.
pub fn dns1123_label(name: &str) -> Option<String> {
    if name.len() > 63 {
        return Some(format!("is {} characters long; the limit is 63", name.len()));
    }
    label_pattern(name)
}

/// The character rules of a DNS-1123 label, without its length limit.
fn label_pattern(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("is empty".into());
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return Some(if c.is_ascii_uppercase() {
            format!("contains the upper-case letter `{c}`")
        } else {
            format!("contains `{c}`; only lower-case letters, digits and `-` are allowed")
        });
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some("must start and end with a letter or digit".into());
    }
    None
}

/// Why `name` is not a DNS-1035 label (must also start with a letter), or `None`.
pub fn dns1035_label(name: &str) -> Option<String> {
    if let Some(why) = dns1123_label(name) {
        return Some(why);
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("must start with a letter".into());
    }
    None
}

/// Why `name` is not a DNS-1123 subdomain (ConfigMaps, PriorityClasses, custom resources), or `None`.
pub fn dns1123_subdomain(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("is empty".into());
    }
    if name.len() > 253 {
        return Some(format!("is {} characters long; the limit is 253", name.len()));
    }
    // Unlike a label, a subdomain's dot-separated parts have no length limit of their own (apimachinery's
    // IsDNS1123Subdomain checks only the total and the character pattern).
    for part in name.split('.') {
        if part.is_empty() {
            return Some("has an empty part between dots".into());
        }
        if let Some(why) = label_pattern(part) {
            return Some(why);
        }
    }
    None
}

/// The name part of a qualified name or a label value: alphanumeric at both ends, `-`, `_`, `.` inside
/// (apimachinery `qualifiedNameFmt`/`labelValueFmt`, k8s.io/apimachinery pkg/util/validation/validation.go).
fn label_chars(s: &str) -> Option<String> {
    if let Some(c) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
        return Some(format!(
            "contains `{}`; only ASCII letters, digits, `-`, `_` and `.` are allowed",
            c.escape_debug()
        ));
    }
    if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) || !s.ends_with(|c: char| c.is_ascii_alphanumeric()) {
        return Some("must start and end with a letter or digit".into());
    }
    None
}

/// Why `key` is not a label (or annotation) key the API server accepts, or `None`: apimachinery's
/// `IsQualifiedName`, an optional DNS-1123 subdomain prefix and `/`, then a name of at most 63 characters.
pub fn qualified_name(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        if p.is_empty() {
            return Some("has an empty prefix before `/`".into());
        }
        if let Some(why) = dns1123_subdomain(p) {
            return Some(format!("prefix `{p}` {why}"));
        }
    }
    if name.is_empty() {
        return Some("has an empty name".into());
    }
    if name.len() > 63 {
        return Some(format!("name is {} characters long; the limit is 63", name.len()));
    }
    label_chars(name)
}

/// Why `value` is not a label value the API server accepts, or `None`: apimachinery's `IsValidLabelValue`,
/// empty or at most 63 characters of [`label_chars`].
pub fn label_value(value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    if value.len() > 63 {
        return Some(format!("is {} characters long; the limit is 63", value.len()));
    }
    label_chars(value)
}

/// Why `name` is not a container port name (an IANA_SVC_NAME), or `None`: apimachinery's
/// `IsValidPortName` (kubernetes/kubernetes `staging/src/k8s.io/apimachinery/pkg/util/validation/
/// validation.go`): 1 to 15 characters of `a-z`, `0-9` and `-`, at least one letter, no `-` at either end and
/// no `--`.
pub fn port_name(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("is empty".to_string());
    }
    if name.len() > 15 {
        return Some(format!("is {} characters long; the limit is 15", name.len()));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return Some(format!("contains `{c}`; only lower-case letters, digits and `-` are allowed"));
    }
    if !name.bytes().any(|b| b.is_ascii_lowercase()) {
        return Some("has no letter".to_string());
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some("begins or ends with `-`".to_string());
    }
    if name.contains("--") {
        return Some("contains `--`".to_string());
    }
    None
}

/// A lower-case, dash-separated suggestion for an invalid name.
pub fn suggest_label(name: &str) -> String {
    let mut s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    let s = s.trim_matches('-');
    s.chars().take(63).collect::<String>().trim_end_matches('-').to_string()
}

/// Reports `name` if it is not a valid DNS-1123 label. `what` is e.g. "tenant name".
pub fn require_label(name: &Spanned<String>, what: &str, code: &'static str, d: &mut Diagnostics) -> bool {
    match dns1123_label(&name.value) {
        None => true,
        Some(why) => {
            d.push(
                Diagnostic::error(code, format!("{what} `{}` is not a valid Kubernetes name", name.value))
                    .at(name.span, format!("{what} {why}"))
                    .help(format!(
                        "use lower-case letters, digits and `-` (at most 63), e.g. `{}`",
                        suggest_label(&name.value)
                    )),
            );
            false
        }
    }
}

/// Names starting with these are reserved by Kubernetes (`kube-` namespaces, `system-` priority classes).
pub fn reserved_prefix(name: &str) -> Option<&'static str> {
    ["kube-", "system-"].into_iter().find(|p| name.starts_with(p))
}

/// Reports every name that appears more than once, labelling both places.
pub fn duplicates<'a>(
    items: impl IntoIterator<Item = (&'a str, Span)>,
    code: &'static str,
    what: &str,
    help: &str,
    d: &mut Diagnostics,
) {
    let mut seen: std::collections::HashMap<&str, Span> = std::collections::HashMap::new();
    for (name, span) in items {
        match seen.get(name) {
            Some(first) => d.push(
                Diagnostic::error(code, format!("{what} `{name}` is defined twice"))
                    .at(span, "defined again here")
                    .also(*first, "first defined here")
                    .help(help.to_string()),
            ),
            None => {
                seen.insert(name, span);
            }
        }
    }
}

/// `items` grouped by the name of their tenant, in one pass: per-tenant duplicate checks used to scan
/// every item once per tenant, which grows with tenants × items on a large platform.
pub fn by_tenant<'a, T>(items: &'a [T], tenant: impl Fn(&'a T) -> &'a str) -> HashMap<&'a str, Vec<&'a T>> {
    let mut groups: HashMap<&str, Vec<&T>> = HashMap::new();
    for item in items {
        groups.entry(tenant(item)).or_default().push(item);
    }
    groups
}

pub fn check_platform(p: &Platform, d: &mut Diagnostics) {
    let Some(h) = &p.header else { return };
    require_label(&h.name, "platform name", "strata::platform::name", d);
    if h.name.value.len() > 40 && dns1123_label(&h.name.value).is_none() {
        d.push(
            Diagnostic::error("strata::platform::name", format!("platform name `{}` is too long", h.name.value))
                .at(h.name.span, format!("{} characters; the limit is 40", h.name.value.len()))
                .help("strata prefixes object names with it (e.g. the inventory), so keep it short"),
        );
    }
    require_label(&h.inventory_namespace, "inventory namespace", "strata::platform::inventory", d);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_keys_and_values_follow_apimachinery() {
        for k in ["app", "acme.io/team", "a.b-c_d", "A1"] {
            assert_eq!(qualified_name(k), None, "{k}");
        }
        for k in ["a: b", "---", "\u{430}pp", "te\u{200b}am", "/x", "acme.io/", "Acme.io/x", "a/b/c", ""] {
            assert!(qualified_name(k).is_some(), "{k:?}");
        }
        for v in ["", "prod", "v1.2_3", "A-b"] {
            assert_eq!(label_value(v), None, "{v}");
        }
        for v in ["---", "a: b", "-x", "x.", "\u{430}", "a\u{200b}b", &"x".repeat(64)] {
            assert!(label_value(v).is_some(), "{v:?}");
        }
    }

    #[test]
    fn labels() {
        assert!(dns1123_label("analytics-1").is_none());
        assert!(dns1123_label("Analytics").is_some());
        assert!(dns1123_label("a_b").is_some());
        assert!(dns1123_label("-a").is_some());
        assert!(dns1123_label(&"a".repeat(64)).is_some());
        assert!(dns1035_label("1abc").is_some());
        assert!(dns1123_subdomain("orders.v1").is_none());
        assert!(dns1123_subdomain("orders..v1").is_some());
        assert!(dns1123_subdomain(&format!("{}.v1", "a".repeat(100))).is_none());
        assert_eq!(suggest_label("Team_Data!"), "team-data");
    }
}
