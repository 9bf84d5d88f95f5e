//! External secrets with their tenant, store kind and remote keys decided: what the ExternalSecret
//! emitter writes. A store the spec does not declare, or a key without its remote key, does not resolve.

use crate::crd::eso::{CreationPolicy, DeletionPolicy, StoreKind};
use crate::model::external_secret as m;
use crate::model::resolved::{Resolver, TenantRef};

#[derive(Debug, Clone)]
pub struct ExternalSecret {
    pub name: String,
    pub tenant: TenantRef,
    pub store: String,
    pub store_kind: StoreKind,
    /// The Secret's name, `None` when it is the ExternalSecret's own (ESO's default).
    pub target: Option<String>,
    /// In milliseconds; ESO's default (1h) when not written.
    pub refresh_ms: u64,
    pub creation: CreationPolicy,
    pub deletion: DeletionPolicy,
    pub secret_type: Option<String>,
    pub keys: Vec<Key>,
    pub span: crate::source::Span,
}

#[derive(Debug, Clone)]
pub struct Key {
    pub name: String,
    pub remote: String,
    pub property: Option<String>,
    pub version: Option<String>,
}

pub(crate) fn resolve(r: &mut Resolver, e: &m::ExternalSecret) -> Option<ExternalSecret> {
    let object = format!("external-secret `{}`", e.name.value);
    let Some(tenant_name) = &e.tenant else { return r.fail(&object, "it has no tenant", e.span) };
    let tenant = r.tenant_ref(tenant_name, &object)?;
    let Some(store_name) = &e.store else { return r.fail(&object, "it has no store", e.span) };
    let Some(store) = r.p.external_secrets.store(&store_name.value) else {
        return r.fail(&object, format!("secret store `{}` is not declared", store_name.value), store_name.span);
    };
    let mut keys = Vec::new();
    for k in &e.keys {
        let remote = r.required(k.remote.as_ref(), &object, &format!("remote key for `{}`", k.name.value), k.span)?;
        keys.push(Key {
            name: k.name.value.clone(),
            remote,
            property: k.property.as_ref().map(|p| p.value.clone()),
            version: k.version.as_ref().map(|v| v.value.clone()),
        });
    }
    Some(ExternalSecret {
        name: e.name.value.clone(),
        tenant,
        store: store.name.value.clone(),
        store_kind: store.kind(),
        target: e.target.as_ref().filter(|t| t.value != e.name.value).map(|t| t.value.clone()),
        refresh_ms: e.refresh.as_ref().map_or(m::DEFAULT_REFRESH_MS, |d| d.value.0),
        creation: e.creation(),
        deletion: e.deletion(),
        secret_type: e.secret_type.as_ref().map(|t| t.value.clone()),
        keys,
        span: e.name.span,
    })
}
