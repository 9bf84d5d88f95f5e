//! The External Secrets Operator's `ExternalSecret` (`external-secrets.io/v1`), the fields strata sets for
//! an `external-secret`: which store to read, which remote keys become which keys of the Secret, how often
//! to refresh, and who owns the Secret. They mirror ESO **2.9.0**'s CRD
//! (`external-secrets-2.9.0-externalsecrets.external-secrets.io.yaml`, from external-secrets/external-secrets
//! `config/crds/bases/` at tag v2.9.0, commit 378bdb62).
//!
//! The object holds only references (a store's name, remote keys and properties): the values stay in the
//! store and reach the cluster only in the Secret the operator writes, which strata never emits or reads.
//! strata does not emit `SecretStore` or `ClusterSecretStore` objects either: they carry provider
//! credentials and belong to the platform team that runs the store (see `model::external_secret`).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

use super::{CustomResource, crd_enum};

pub const GROUP: &str = "external-secrets.io";
pub const API_VERSION: &str = "external-secrets.io/v1";

/// Makes (and refreshes) one Secret of its own namespace from keys of a secret store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalSecret {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: ExternalSecretSpec,
}

impl CustomResource for ExternalSecret {
    const GROUP: &'static str = GROUP;
    const KIND: &'static str = "ExternalSecret";
}

impl ExternalSecret {
    pub fn new(metadata: ObjectMeta, spec: ExternalSecretSpec) -> Self {
        ExternalSecret { api_version: API_VERSION.to_string(), kind: Self::KIND.to_string(), metadata, spec }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalSecretSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_store_ref: Option<SecretStoreRef>,
    /// A Go duration (`1h0m0s`); `0s` fetches once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Vec<Data>>,
}

crd_enum! {
    /// `spec.secretStoreRef.kind`.
    pub enum StoreKind {
        SecretStore = "SecretStore",
        ClusterSecretStore = "ClusterSecretStore",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretStoreRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<StoreKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

crd_enum! {
    /// `spec.target.creationPolicy` (ESO `apis/externalsecrets/v1/externalsecret_types.go`).
    pub enum CreationPolicy {
        /// Creates the Secret with an ownerReference: it is garbage-collected with the ExternalSecret.
        Owner = "Owner",
        /// Creates the Secret without an ownerReference: it outlives the ExternalSecret.
        Orphan = "Orphan",
        /// Merges into a Secret that must already exist.
        Merge = "Merge",
        /// Writes no Secret.
        None = "None",
        /// Creates the Secret if it is missing, else merges into it.
        CreateOrMerge = "CreateOrMerge",
    }
}

crd_enum! {
    /// `spec.target.deletionPolicy`: what happens to the Secret when the remote keys are gone.
    pub enum DeletionPolicy {
        Delete = "Delete",
        Merge = "Merge",
        Retain = "Retain",
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Target {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_policy: Option<CreationPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<DeletionPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<Template>,
}

/// `spec.target.template`: strata sets only the Secret's `type` (an image pull Secret must be
/// `kubernetes.io/dockerconfigjson` for the kubelet to use it); the data keys are copied as fetched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Template {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
}

/// One key of the Secret, from one remote key (and property) of the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Data {
    pub secret_key: String,
    pub remote_ref: RemoteRef,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoteRef {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// The forbidden `creationPolicy`/`deletionPolicy` pairs, with ESO's reason: the admission webhook
/// (`apis/externalsecrets/v1/externalsecret_validator.go`, `validatePolicies`, v2.9.0) refuses them.
pub fn forbidden_policies(creation: CreationPolicy, deletion: DeletionPolicy) -> Option<&'static str> {
    use CreationPolicy as C;
    match (creation, deletion) {
        (C::Merge | C::None | C::CreateOrMerge, DeletionPolicy::Delete) => {
            Some("deletionPolicy=Delete must not be used when the controller doesn't own the secret")
        }
        (C::None, DeletionPolicy::Merge) => {
            Some("deletionPolicy=Merge must not be used with creationPolicy=None: there is no Secret to merge with")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forbidden_pairs_are_esos() {
        let forbidden: Vec<(&str, &str)> = CreationPolicy::ALL
            .iter()
            .flat_map(|c| DeletionPolicy::ALL.iter().map(move |d| (*c, *d)))
            .filter(|(c, d)| forbidden_policies(*c, *d).is_some())
            .map(|(c, d)| (c.as_str(), d.as_str()))
            .collect();
        assert_eq!(
            forbidden,
            [("Merge", "Delete"), ("None", "Delete"), ("None", "Merge"), ("CreateOrMerge", "Delete")]
        );
    }
}
