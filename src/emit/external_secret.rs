//! External secrets become `external-secrets.io/v1` ExternalSecrets in their tenant's namespace: the store
//! reference, the refresh interval and policies (always written, so a diff shows them and ESO's defaults
//! never decide silently), and one `data` entry per declared key. Only remote references are written; the
//! Secret itself is ESO's to create, and strata never emits or reads it.

use crate::crd::CustomResource;
use crate::crd::eso::{Data, ExternalSecret, ExternalSecretSpec, RemoteRef, SecretStoreRef, Target, Template};
use crate::emit::meta;
use crate::manifest::{Census, ManifestSet, Placement, Stage};
use crate::model::resolved::ResolvedPlatform;
use crate::model::resolved::external_secret as r;

pub fn emit(p: &ResolvedPlatform, set: &mut ManifestSet) {
    for e in &p.external_secrets {
        let at = Placement { stage: Stage::Workloads, tenant: Some(e.tenant.name.clone()), span: e.span };
        set.add_custom(&external_secret(e), at);
    }
}

/// [`emit`]'s objects as headers, for `strata check`'s count ([`crate::emit::census`]).
pub fn census(p: &ResolvedPlatform, c: &mut Census) {
    for e in &p.external_secrets {
        let at = Placement { stage: Stage::Workloads, tenant: Some(e.tenant.name.clone()), span: e.span };
        c.add(crate::crd::eso::API_VERSION, ExternalSecret::KIND, &e.name, Some(&e.tenant.namespace), at);
    }
}

fn external_secret(e: &r::ExternalSecret) -> ExternalSecret {
    let spec = ExternalSecretSpec {
        secret_store_ref: Some(SecretStoreRef { kind: Some(e.store_kind), name: Some(e.store.clone()) }),
        refresh_interval: Some(go_duration(e.refresh_ms)),
        target: Some(Target {
            name: e.target.clone(),
            creation_policy: Some(e.creation),
            deletion_policy: Some(e.deletion),
            template: e.secret_type.as_ref().map(|t| Template { type_: Some(t.clone()) }),
        }),
        data: Some(
            e.keys
                .iter()
                .map(|k| Data {
                    secret_key: k.name.clone(),
                    remote_ref: RemoteRef {
                        key: k.remote.clone(),
                        property: k.property.clone(),
                        version: k.version.clone(),
                    },
                })
                .collect(),
        ),
    };
    ExternalSecret::new(meta(&e.name, Some(&e.tenant.namespace)), spec)
}

/// A duration in milliseconds as Go's `time.Duration.String()` writes it (`1h0m0s`, `1m30s`, `1.5s`,
/// `0s`): the form ESO's CRD defaults to, so a spec without `refresh` writes the value ESO would.
pub(crate) fn go_duration(ms: u64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let (h, m, s, frac) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    let secs = if frac == 0 { format!("{s}s") } else { format!("{s}.{}s", format!("{frac:03}").trim_end_matches('0')) };
    match (h, m) {
        (0, 0) => secs,
        (0, m) => format!("{m}m{secs}"),
        (h, m) => format!("{h}h{m}m{secs}"),
    }
}

#[cfg(test)]
mod tests {
    use super::go_duration;

    #[test]
    fn durations_read_as_go_writes_them() {
        for (ms, go) in [
            (0, "0s"),
            (250, "250ms"),
            (1500, "1.5s"),
            (90_000, "1m30s"),
            (3_600_000, "1h0m0s"),
            (86_400_000, "24h0m0s"),
            (5_400_250, "1h30m0.25s"),
        ] {
            assert_eq!(go_duration(ms), go, "{ms}");
        }
    }
}
