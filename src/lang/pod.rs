//! Lowering shared by the workload domains: `env` (a plain value or a Secret key), Secret references such as
//! Airflow's `metadata-db secret="..." key="..."`, and children that may appear only once.

use kdl::KdlNode;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::lang::reader::NodeReader;
use crate::model::pod::{EnvValue, EnvVar, SecretKeyRef};
use crate::source::{FileId, Span, Spanned};

/// `env "NAME" "value"` or `env "NAME" secret="name" key="key"`.
pub fn lower_env(node: &KdlNode, file: FileId, d: &mut Diagnostics) -> Option<EnvVar> {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let name = r.arg::<String>("the variable's name", d);
    let literal = r.opt_arg::<String>("the variable's value", d);
    let secret = r.prop::<String>("secret", d);
    let key = r.prop::<String>("key", d);
    r.finish(false, d);
    let value = match (literal, secret, key) {
        (Some(v), None, None) => EnvValue::Literal(v),
        (None, Some(secret), Some(key)) => EnvValue::Secret(SecretKeyRef { secret, key }),
        (Some(v), Some(s), _) => {
            d.push(
                Diagnostic::error("strata::spec::env", "`env` has both a value and a Secret")
                    .at(v.span, "a literal value")
                    .also(s.span, "and a Secret reference")
                    .help("keep one: `env \"NAME\" \"value\"` or `env \"NAME\" secret=\"name\" key=\"key\"`"),
            );
            return None;
        }
        (None, Some(s), None) => {
            d.push(
                Diagnostic::error("strata::spec::env", "`env` names a Secret but not its key")
                    .at(s.span, "which key of this Secret?")
                    .help(format!("add the key: `env ... secret=\"{}\" key=\"...\"`", s.value)),
            );
            return None;
        }
        (v, None, Some(k)) => {
            d.push(
                Diagnostic::error("strata::spec::env", "`key` needs `secret`")
                    .at(k.span, "a key of which Secret?")
                    .help(if v.is_some() {
                        "remove `key`, or replace the value with `secret=\"name\"`".to_string()
                    } else {
                        "add `secret=\"name\"`".to_string()
                    }),
            );
            return None;
        }
        (None, None, None) => {
            d.push(
                Diagnostic::error("strata::spec::env", "`env` needs a value")
                    .at(span, "no value given")
                    .help("write `env \"NAME\" \"value\"`, or `env \"NAME\" secret=\"name\" key=\"key\"` for secrets"),
            );
            return None;
        }
    };
    Some(EnvVar { name: name?, value, span })
}

/// A node that names a Secret key and never takes the secret itself: `metadata-db secret="s" key="k"`.
/// A value given as an argument is the secret written into the spec, reported under `literal_code`.
pub fn lower_secret_ref(
    node: &KdlNode,
    file: FileId,
    default_key: &str,
    literal_code: &'static str,
    d: &mut Diagnostics,
) -> Option<SecretKeyRef> {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let literal = r.opt_arg::<String>("value", d);
    let secret = r.prop::<String>("secret", d);
    let key = r.prop::<String>("key", d);
    let name = r.name().to_string();
    r.finish(false, d);
    if let Some(l) = literal {
        d.push(
            Diagnostic::error(literal_code, format!("`{name}` is written into the spec"))
                .at(l.span, "a secret value in plain text")
                .help(format!(
                    "store it in a Secret and name it: `{name} secret=\"<secret name>\" key=\"{default_key}\"`"
                ))
                .note_line("strata never writes secret values into manifests or the Git history"),
        );
        return None;
    }
    let Some(secret) = secret else {
        d.push(
            Diagnostic::error("strata::spec::missing-property", format!("`{name}` needs `secret`"))
                .at(span, "`secret` is missing")
                .help(format!("name the Secret that holds it: `{name} secret=\"...\"`")),
        );
        return None;
    };
    let key = key.unwrap_or_else(|| Spanned::new(default_key.to_string(), secret.span));
    Some(SecretKeyRef { secret, key })
}

/// A child node that may appear once, given again.
pub(crate) fn duplicate_child(child: &KdlNode, file: FileId, first: Span, d: &mut Diagnostics) {
    d.push(
        Diagnostic::error("strata::spec::duplicate-node", format!("`{}` is given twice", child.name().value()))
            .at(Span::from_kdl(file, child.name().span()), "given again here")
            .also(first, "first given here")
            .help("keep one of them"),
    );
}
