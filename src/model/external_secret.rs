//! Secrets from external stores, through the External Secrets Operator (ESO): `secret-store` names a
//! `SecretStore` or `ClusterSecretStore` the platform team runs, `external-secret` declares a Secret of a
//! tenant's namespace that ESO fills from keys of that store. The spec holds only references (store names,
//! remote keys and properties), never a value.
//!
//! strata refers to stores and does not emit them: a store's object carries the provider's credentials
//! or the identity ESO uses to reach it (a Vault role, an IAM role), which is the platform team's to set
//! up, and a `SecretStore` is the one object that would put a credential reference into a tenant's hands.
//! What a store needs to be named is its kind and, for a namespaced `SecretStore`, the tenant whose
//! namespace holds it (an ExternalSecret can only use a `SecretStore` of its own namespace).
//!
//! [`secret_uses`] lists every place a workload names a Secret (env vars, Airflow's metadata database and
//! Fernet key, a SCRAM user's password, image pull Secrets), so the checks can hold the references to a
//! declared external-secret to the keys it declares.

use crate::crd::eso::{CreationPolicy, DeletionPolicy, StoreKind};
use crate::model::Platform;
use crate::model::pod::{EnvValue, EnvVar};
use crate::source::{Span, Spanned};
use crate::units::Duration;

/// The key an image pull Secret must hold (`kubernetes.io/dockerconfigjson`'s).
pub const DOCKER_CONFIG_KEY: &str = ".dockerconfigjson";
/// The Secret type the kubelet reads pull credentials from.
pub const DOCKER_CONFIG_TYPE: &str = "kubernetes.io/dockerconfigjson";
/// ESO's default refresh interval (the CRD's `default: 1h0m0s`).
pub const DEFAULT_REFRESH_MS: u64 = 3_600_000;

#[derive(Debug, Clone, Default)]
pub struct ExternalSecretModel {
    pub stores: Vec<SecretStore>,
    pub secrets: Vec<ExternalSecret>,
}

impl ExternalSecretModel {
    pub fn store(&self, name: &str) -> Option<&SecretStore> {
        self.stores.iter().find(|s| s.name.value == name)
    }
}

/// `secret-store "vault" kind="ClusterSecretStore"`, or `kind="SecretStore" tenant="payments"`.
#[derive(Debug, Clone)]
pub struct SecretStore {
    pub name: Spanned<String>,
    pub kind: Option<Spanned<StoreKind>>,
    /// The tenant whose namespace holds a namespaced `SecretStore`.
    pub tenant: Option<Spanned<String>>,
    pub span: Span,
}

impl SecretStore {
    /// The written kind, else `ClusterSecretStore` (the store the platform team shares across tenants).
    pub fn kind(&self) -> StoreKind {
        self.kind.as_ref().map_or(StoreKind::ClusterSecretStore, |k| k.value)
    }
}

/// `external-secret "payments-db" tenant="payments" store="vault" { key "username" remote="..." }`.
#[derive(Debug, Clone)]
pub struct ExternalSecret {
    pub name: Spanned<String>,
    pub tenant: Option<Spanned<String>>,
    pub store: Option<Spanned<String>>,
    /// The Secret's name when it differs from the external-secret's (`target=`).
    pub target: Option<Spanned<String>>,
    pub refresh: Option<Spanned<Duration>>,
    pub creation_policy: Option<Spanned<CreationPolicy>>,
    pub deletion_policy: Option<Spanned<DeletionPolicy>>,
    /// `type="kubernetes.io/dockerconfigjson"`: the Secret's type (ESO's `target.template.type`).
    pub secret_type: Option<Spanned<String>>,
    pub keys: Vec<RemoteKey>,
    pub span: Span,
}

impl ExternalSecret {
    /// The name of the Secret ESO writes.
    pub fn target(&self) -> &Spanned<String> {
        self.target.as_ref().unwrap_or(&self.name)
    }

    /// The creation policy, ESO's default `Owner` when not written.
    pub fn creation(&self) -> CreationPolicy {
        self.creation_policy.as_ref().map_or(CreationPolicy::Owner, |c| c.value)
    }

    /// The deletion policy, ESO's default `Retain` when not written.
    pub fn deletion(&self) -> DeletionPolicy {
        self.deletion_policy.as_ref().map_or(DeletionPolicy::Retain, |c| c.value)
    }

    pub fn key(&self, name: &str) -> Option<&RemoteKey> {
        self.keys.iter().find(|k| k.name.value == name)
    }
}

/// `key "username" remote="prod/payments/db" property="username" version="3"`: the Secret's key
/// `username` from the store's key `prod/payments/db`.
#[derive(Debug, Clone)]
pub struct RemoteKey {
    pub name: Spanned<String>,
    pub remote: Option<Spanned<String>>,
    pub property: Option<Spanned<String>>,
    pub version: Option<Spanned<String>>,
    pub span: Span,
}

/// One place the spec names a Secret of a namespace.
#[derive(Debug, Clone)]
pub struct SecretUse<'p> {
    /// The namespace the Secret is read in (a tenant's; a SCRAM user's is its Kafka cluster's).
    pub namespace: &'p str,
    pub secret: &'p Spanned<String>,
    /// The key read, as written or implied (`password` for a SCRAM user without `password-key`,
    /// [`DOCKER_CONFIG_KEY`] for an image pull Secret).
    pub key: UsedKey<'p>,
    /// An image pull Secret (which must also be of type [`DOCKER_CONFIG_TYPE`]).
    pub pull: bool,
    /// Who reads it, as messages name it: "job `etl` (env `DB_USER`)".
    pub by: String,
}

#[derive(Debug, Clone, Copy)]
pub enum UsedKey<'p> {
    Written(&'p Spanned<String>),
    Implied(&'static str),
}

impl UsedKey<'_> {
    pub fn name(&self) -> &str {
        match self {
            UsedKey::Written(k) => &k.value,
            UsedKey::Implied(k) => k,
        }
    }
}

/// Every Secret reference of every workload, in declaration order (domain by domain).
pub fn secret_uses(p: &Platform) -> Vec<SecretUse<'_>> {
    let mut out = Vec::new();
    let ns = |tenant: &Spanned<String>| p.tenant(&tenant.value).map(|t| t.namespace.value.as_str());
    fn envs<'p>(out: &mut Vec<SecretUse<'p>>, namespace: Option<&'p str>, what: &str, vars: &'p [EnvVar]) {
        let Some(namespace) = namespace else { return };
        for v in vars {
            if let EnvValue::Secret(r) = &v.value {
                out.push(SecretUse {
                    namespace,
                    secret: &r.secret,
                    key: UsedKey::Written(&r.key),
                    pull: false,
                    by: format!("{what} (env `{}`)", v.name.value),
                });
            }
        }
    }
    fn pulls<'p>(out: &mut Vec<SecretUse<'p>>, namespace: Option<&'p str>, what: &str, names: &'p [Spanned<String>]) {
        let Some(namespace) = namespace else { return };
        for s in names {
            out.push(SecretUse {
                namespace,
                secret: s,
                key: UsedKey::Implied(DOCKER_CONFIG_KEY),
                pull: true,
                by: format!("{what} (image pull Secret)"),
            });
        }
    }
    for j in &p.spark.jobs {
        pulls(&mut out, ns(&j.tenant), &format!("spark-job `{}`", j.name.value), &j.pull_secrets);
    }
    for a in &p.airflow.deployments {
        let what = format!("airflow `{}`", a.name.value);
        let namespace = ns(&a.tenant);
        if let Some(namespace) = namespace {
            for (node, r) in [("metadata-db", &a.metadata_db), ("fernet-key", &a.fernet_key)] {
                if let Some(r) = r {
                    out.push(SecretUse {
                        namespace,
                        secret: &r.secret,
                        key: UsedKey::Written(&r.key),
                        pull: false,
                        by: format!("{what} (`{node}`)"),
                    });
                }
            }
        }
        envs(&mut out, namespace, &what, &a.env);
        for t in a.executor.iter().flat_map(|e| &e.templates) {
            envs(&mut out, namespace, &format!("{what} worker-template `{}`", t.name.value), &t.env);
        }
    }
    for j in &p.flink.jobs {
        envs(&mut out, ns(&j.tenant), &format!("flink-job `{}`", j.name.value), &j.env);
    }
    for j in &p.jobs.jobs {
        let what = format!("job `{}`", j.name.value);
        envs(&mut out, ns(&j.tenant), &what, &j.env);
        pulls(&mut out, ns(&j.tenant), &what, &j.pull_secrets);
    }
    for a in &p.apps.apps {
        envs(&mut out, ns(&a.tenant), &format!("stream-app `{}`", a.name.value), &a.env);
    }
    for u in &p.kafka.users {
        let Some(secret) = &u.password_secret else { continue };
        let Some(cluster) = p.kafka.cluster_for(u.cluster.as_ref()) else { continue };
        // The User Operator reads the password in the cluster's namespace (`password`, unless named).
        let key = u.password_key.as_ref().map_or(UsedKey::Implied("password"), UsedKey::Written);
        out.push(SecretUse {
            namespace: &cluster.namespace.value,
            secret,
            key,
            pull: false,
            by: format!("kafka-user `{}` (`password-secret`)", u.name.value),
        });
    }
    out
}
