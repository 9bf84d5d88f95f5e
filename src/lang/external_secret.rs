//! Lowers `secret-store` and `external-secret` (see `model::external_secret`). A `key` child names a
//! remote key and never takes a value: a value written next to it is refused here, before anything could
//! carry it into a manifest.

use kdl::KdlNode;

use crate::crd::eso::{CreationPolicy, DeletionPolicy, StoreKind};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::lang::reader::{NodeReader, one_of, unknown_node};
use crate::model::Platform;
use crate::model::external_secret::{ExternalSecret, RemoteKey, SecretStore};
use crate::source::{FileId, Spanned};
use crate::units::Duration;

pub const LITERAL_VALUE: &str = "strata::eso::literal-value";

/// `secret-store "vault" kind="ClusterSecretStore"` or `secret-store "team" kind="SecretStore" tenant="t"`.
pub fn lower_store(node: &KdlNode, file: FileId, p: &mut Platform, d: &mut Diagnostics) {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let name = r.arg::<String>("the store's name (its SecretStore or ClusterSecretStore object)", d);
    let kind = r.prop::<String>("kind", d).and_then(|k| {
        let all: Vec<&str> = StoreKind::ALL.iter().map(|k| k.as_str()).collect();
        let v = StoreKind::parse(one_of(&k, &all, "secret store kind", d)?)?;
        Some(Spanned::new(v, k.span))
    });
    let tenant = r.prop::<String>("tenant", d);
    r.finish(false, d);
    if let Some(name) = name {
        p.external_secrets.stores.push(SecretStore { name, kind, tenant, span });
    }
}

/// `external-secret "db" tenant="t" store="vault" refresh="1h" creation-policy="Owner"
/// deletion-policy="Retain" target="db" type="..." { key "username" remote="prod/db" property="user" }`.
pub fn lower_external_secret(node: &KdlNode, file: FileId, p: &mut Platform, d: &mut Diagnostics) {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let name = r.arg::<String>("the external secret's name", d);
    let tenant = r.prop::<String>("tenant", d);
    let store = r.prop::<String>("store", d);
    let target = r.prop::<String>("target", d);
    let refresh = r.prop::<Duration>("refresh", d);
    let creation_policy = r.prop::<String>("creation-policy", d).and_then(|v| {
        let all: Vec<&str> = CreationPolicy::ALL.iter().map(|k| k.as_str()).collect();
        Some(Spanned::new(CreationPolicy::parse(one_of(&v, &all, "creation policy", d)?)?, v.span))
    });
    let deletion_policy = r.prop::<String>("deletion-policy", d).and_then(|v| {
        let all: Vec<&str> = DeletionPolicy::ALL.iter().map(|k| k.as_str()).collect();
        Some(Spanned::new(DeletionPolicy::parse(one_of(&v, &all, "deletion policy", d)?)?, v.span))
    });
    let secret_type = r.prop::<String>("type", d);
    let mut keys = Vec::new();
    for child in r.children() {
        match child.name().value() {
            "key" => keys.extend(lower_key(child, file, d)),
            _ => unknown_node(child, file, "`external-secret`", &["key"], d),
        }
    }
    r.finish(true, d);
    let Some(name) = name else { return };
    p.external_secrets.secrets.push(ExternalSecret {
        name,
        tenant,
        store,
        target,
        refresh,
        creation_policy,
        deletion_policy,
        secret_type,
        keys,
        span,
    });
}

fn lower_key(node: &KdlNode, file: FileId, d: &mut Diagnostics) -> Option<RemoteKey> {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let name = r.arg::<String>("the Secret key it fills", d);
    let literal = r.opt_arg::<String>("value", d);
    let value = r.prop::<String>("value", d);
    let remote = r.prop::<String>("remote", d);
    let property = r.prop::<String>("property", d);
    let version = r.prop::<String>("version", d);
    r.finish(false, d);
    let literal = literal.or(value);
    if let Some(l) = &literal {
        d.push(
            Diagnostic::error(LITERAL_VALUE, "a secret value is written into the spec")
                .at(l.span, "a secret value in plain text")
                .help("keep the value in the store and name where it lives: `key \"name\" remote=\"path/in/store\" property=\"field\"`")
                .note_line("strata never writes secret values into manifests or the Git history"),
        );
    }
    // The key stays declared (without the value), so its readers are not reported as well.
    if remote.is_none() && literal.is_none() {
        d.push(
            Diagnostic::error("strata::spec::missing-property", "`key` needs `remote`")
                .at(span, "`remote` is missing")
                .help(
                    "name the key in the store: `key \"username\" remote=\"prod/payments/db\" property=\"username\"`",
                ),
        );
    }
    Some(RemoteKey { name: name?, remote, property, version, span })
}
