//! Pod placement rules every domain that places pods shares: node selectors and tolerations as the API
//! server validates them in a pod spec (`ValidatePodSpec`, `ValidateTolerations` in Kubernetes'
//! pkg/apis/core/validation), and the 32-bit range of the counts that pod-running objects carry. Each
//! domain reports them under its own codes ([`Codes`]), so `strata::spark::toleration` and
//! `strata::job::toleration` name the object whose pods the rule is about.

use crate::check::names::{label_value, qualified_name, suggest_label};
use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use crate::model::pod::Toleration;
use crate::source::Spanned;

/// The codes a domain reports these rules under.
#[derive(Debug, Clone, Copy)]
pub struct Codes {
    pub node_selector: &'static str,
    pub toleration: &'static str,
    pub out_of_range: &'static str,
}

/// Node selector keys and values are labels: the API server validates a pod's `nodeSelector` with
/// `ValidateLabels` (pkg/apis/core/validation `ValidatePodSpec`), so an invalid one is accepted in an
/// object that only templates pods and refused only when its controller creates the pod.
pub fn check_node_selector(selector: &[(Spanned<String>, Spanned<String>)], codes: Codes, d: &mut Diagnostics) {
    for (k, v) in selector {
        if let Some(why) = qualified_name(&k.value) {
            d.push(
                Diagnostic::error(codes.node_selector, format!("`{}` is not a valid node label key: {why}", k.value))
                    .at(k.span, "the API server refuses this key")
                    .help(format!("write `[prefix/]name`, e.g. `node.acme.io/{}`", suggest_label(&k.value))),
            );
        }
        if let Some(why) = label_value(&v.value) {
            d.push(
                Diagnostic::error(codes.node_selector, format!("`{}` is not a valid node label value: {why}", v.value))
                    .at(v.span, "at most 63 letters, digits, `-`, `_` and `.`")
                    .help(format!("e.g. `{}`", suggest_label(&v.value))),
            );
        }
    }
}

/// The API server's `ValidateTolerations` (pkg/apis/core/validation): the key is a label name, the value
/// a label value, the operator `Equal` or `Exists`, the effect one of three; `Exists` takes no value, no
/// key needs `Exists`, and `tolerationSeconds` applies only to `NoExecute`.
pub fn check_tolerations(tolerations: &[Toleration], codes: Codes, d: &mut Diagnostics) {
    let code = codes.toleration;
    for t in tolerations {
        if let Some(k) = &t.key
            && let Some(why) = qualified_name(&k.value)
        {
            d.push(
                Diagnostic::error(code, format!("`{}` is not a valid taint key: {why}", k.value))
                    .at(k.span, "the API server refuses this key")
                    .help(format!("write `[prefix/]name`, e.g. `{}`", suggest_label(&k.value))),
            );
        }
        if let Some(v) = &t.value
            && let Some(why) = label_value(&v.value)
        {
            d.push(
                Diagnostic::error(code, format!("`{}` is not a valid taint value: {why}", v.value))
                    .at(v.span, "at most 63 letters, digits, `-`, `_` and `.`")
                    .help(format!("e.g. `{}`", suggest_label(&v.value))),
            );
        }
        if let Some(op) = &t.operator
            && !["Equal", "Exists"].contains(&op.value.as_str())
        {
            d.push(
                Diagnostic::error(code, format!("`{}` is not a toleration operator", op.value))
                    .at(op.span, "expected `Equal` or `Exists`")
                    .help(match did_you_mean(&op.value, ["Equal", "Exists"]) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "use `Equal` (key and value match) or `Exists` (any value)".into(),
                    }),
            );
        }
        if let Some(e) = &t.effect
            && !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&e.value.as_str())
        {
            d.push(
                Diagnostic::error(code, format!("`{}` is not a taint effect", e.value))
                    .at(e.span, "expected `NoSchedule`, `PreferNoSchedule` or `NoExecute`")
                    .help(match did_you_mean(&e.value, ["NoSchedule", "PreferNoSchedule", "NoExecute"]) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "leave `effect` out to tolerate every effect".into(),
                    }),
            );
        }
        let exists = t.operator.as_ref().is_some_and(|o| o.value == "Exists");
        if exists && let Some(v) = &t.value {
            d.push(
                Diagnostic::error(code, "`Exists` tolerations take no value")
                    .at(v.span, "value with `operator=\"Exists\"`")
                    .help("remove `value`, or use `operator=\"Equal\"`"),
            );
        }
        if !exists && t.key.is_none() {
            d.push(
                Diagnostic::error(code, "a toleration without a key must use `Exists`")
                    .at(t.span, "no taint key")
                    .help("name the taint: `toleration \"dedicated\" value=\"spark\"`, or tolerate all with `operator=\"Exists\"`"),
            );
        }
        if let Some(s) = &t.seconds
            && t.effect.as_ref().is_none_or(|e| e.value != "NoExecute")
        {
            d.push(
                Diagnostic::error(code, "`seconds` only applies to `NoExecute`")
                    .at(s.span, "tolerationSeconds")
                    .help("add `effect=\"NoExecute\"`, or remove `seconds`"),
            );
        }
    }
}

/// A count the object's schema types as `int32` (`owner` says whose: "the CRD's field"): a larger number
/// is refused by the API server's validation, and strata will not silently write a smaller one.
pub fn int32_field(v: Option<&Spanned<u64>>, name: &str, owner: &str, codes: Codes, d: &mut Diagnostics) {
    if let Some(v) = v
        && v.value > i32::MAX as u64
    {
        d.push(
            Diagnostic::error(codes.out_of_range, format!("`{name}` is {}, above 2147483647", v.value))
                .at(v.span, format!("{owner} is a 32-bit integer"))
                .help(format!("use a value up to 2147483647 for `{name}`")),
        );
    }
}
