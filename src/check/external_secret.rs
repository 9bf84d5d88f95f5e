//! The rules of `secret-store` and `external-secret` (External Secrets Operator 2.9.0): each external
//! secret names a store the spec declares and may use, a creation/deletion policy pair ESO's webhook
//! accepts, and at least one uniquely named key; no two external secrets write one Secret; and every
//! workload that reads a Secret an external secret declares reads a key it declares (else the pod fails
//! with `CreateContainerConfigError` once ESO has synced).

use std::collections::HashMap;

use crate::check::names::{dns1123_subdomain, duplicates, suggest_label};
use crate::crd::eso::{CreationPolicy, StoreKind, forbidden_policies};
use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use crate::model::Platform;
use crate::model::external_secret::{
    DOCKER_CONFIG_KEY, DOCKER_CONFIG_TYPE, ExternalSecret, SecretStore, UsedKey, secret_uses,
};

pub const INCOMPLETE: &str = "strata::eso::incomplete";
pub const UNKNOWN_TENANT: &str = "strata::eso::unknown-tenant";
pub const UNKNOWN_STORE: &str = "strata::eso::unknown-store";
pub const STORE_SCOPE: &str = "strata::eso::store-scope";
pub const DUPLICATE_STORE: &str = "strata::eso::duplicate-store";
pub const POLICY: &str = "strata::eso::policy";
pub const NO_KEYS: &str = "strata::eso::no-keys";
pub const DUPLICATE_KEY: &str = "strata::eso::duplicate-key";
pub const KEY_NAME: &str = "strata::eso::key-name";
pub const NAME: &str = "strata::eso::name";
pub const DUPLICATE: &str = "strata::eso::duplicate";
pub const SAME_TARGET: &str = "strata::eso::same-target";
pub const UNDECLARED_KEY: &str = "strata::eso::undeclared-key";
pub const PULL_SECRET: &str = "strata::eso::pull-secret";
pub const NO_SECRET: &str = "strata::eso::no-secret";
pub const TARGET_TAKEN: &str = "strata::eso::target-taken";
pub const SECRET_QUOTA: &str = "strata::eso::secret-quota";

pub fn check(p: &Platform, d: &mut Diagnostics) {
    let m = &p.external_secrets;
    duplicates(
        m.stores.iter().map(|s| (s.name.value.as_str(), s.name.span)),
        DUPLICATE_STORE,
        "secret store",
        "each store is declared once; a SecretStore and a ClusterSecretStore of one name are told apart by \
         `kind`, so give one of them another name in the spec",
        d,
    );
    for s in &m.stores {
        check_store(p, s, d);
    }
    for e in &m.secrets {
        check_secret(p, e, d);
    }
    check_targets(p, d);
    check_uses(p, d);
    check_quota(p, d);
}

/// The Secrets (and ExternalSecrets) a tenant's external secrets make, against its quota's `secrets` and
/// `count "externalsecrets.external-secrets.io"`: the ones strata declares alone must fit, whatever else the
/// namespace holds.
fn check_quota(p: &Platform, d: &mut Diagnostics) {
    for t in &p.tenants {
        let Some(q) = p.effective_quota(t) else { continue };
        let own: Vec<&ExternalSecret> = p
            .external_secrets
            .secrets
            .iter()
            .filter(|e| e.tenant.as_ref().is_some_and(|n| n.value == t.name.value))
            .collect();
        let Some(first) = own.first() else { continue };
        // Merge and None write into (or nothing but) a Secret that exists anyway.
        let made: std::collections::BTreeSet<&str> = own
            .iter()
            .filter(|e| !matches!(e.creation(), CreationPolicy::Merge | CreationPolicy::None))
            .map(|e| e.target().value.as_str())
            .collect();
        let limits =
            [("secrets", "Secrets", made.len()), ("externalsecrets.external-secrets.io", "ExternalSecrets", own.len())];
        for (res, what, n) in limits {
            let Some((hard, span)) = crate::model::quota::object_quota(&q, res) else { continue };
            if u64::try_from(n).unwrap_or(u64::MAX) > hard {
                d.push(
                    Diagnostic::error(
                        SECRET_QUOTA,
                        format!("tenant `{}`'s external secrets make {n} {what}; its quota allows {hard}", t.name.value),
                    )
                    .at(span, format!("at most {hard}"))
                    .also(first.name.span, "the first of them")
                    .help("raise the quota, or merge keys into fewer external secrets")
                    .note_line("the quota admission plugin refuses the object over the limit: ESO cannot write that Secret and the ExternalSecret stays in SecretSyncedError"),
                );
            }
        }
    }
}

fn tenant_help(p: &Platform, name: &str) -> String {
    let names: Vec<&str> = p.tenants.iter().map(|t| t.name.value.as_str()).collect();
    match did_you_mean(name, names.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None if names.is_empty() => "define the tenant with `tenant \"<name>\" { ... }`".to_string(),
        None => format!("the platform's tenants are: {}", names.join(", ")),
    }
}

fn check_store(p: &Platform, s: &SecretStore, d: &mut Diagnostics) {
    if let Some(why) = dns1123_subdomain(&s.name.value) {
        d.push(
            Diagnostic::error(NAME, format!("secret store name `{}` is not a valid Kubernetes name", s.name.value))
                .at(s.name.span, format!("the store's object name {why}"))
                .help(format!("name the store as its object is named, e.g. `{}`", suggest_label(&s.name.value))),
        );
    }
    match (s.kind(), &s.tenant) {
        (StoreKind::SecretStore, None) => d.push(
            Diagnostic::error(
                STORE_SCOPE,
                format!("SecretStore `{}` needs the tenant whose namespace holds it", s.name.value),
            )
            .at(s.span, "a SecretStore is namespaced")
            .help(
                "add `tenant=\"<tenant>\"`, or use `kind=\"ClusterSecretStore\"` for a store every namespace may use",
            ),
        ),
        (StoreKind::ClusterSecretStore, Some(t)) => d.push(
            Diagnostic::error(STORE_SCOPE, format!("ClusterSecretStore `{}` belongs to no namespace", s.name.value))
                .at(t.span, "a ClusterSecretStore is cluster-scoped")
                .help("remove `tenant`, or write `kind=\"SecretStore\"` if the store lives in this tenant's namespace"),
        ),
        (_, Some(t)) if p.tenant(&t.value).is_none() => d.push(
            Diagnostic::error(UNKNOWN_TENANT, format!("unknown tenant `{}`", t.value))
                .at(t.span, "no tenant with this name")
                .help(tenant_help(p, &t.value)),
        ),
        _ => {}
    }
}

fn check_secret(p: &Platform, e: &ExternalSecret, d: &mut Diagnostics) {
    let what = format!("external-secret `{}`", e.name.value);
    for (name, label) in [(&e.name, "object"), (e.target(), "Secret")] {
        if let Some(why) = dns1123_subdomain(&name.value) {
            d.push(
                Diagnostic::error(NAME, format!("{what}: `{}` is not a valid {label} name", name.value))
                    .at(name.span, format!("{label} name {why}"))
                    .help(format!(
                        "use lower-case letters, digits, `-` and `.`, e.g. `{}`",
                        suggest_label(&name.value)
                    )),
            );
        }
    }
    let tenant = match &e.tenant {
        None => {
            d.push(
                Diagnostic::error(INCOMPLETE, format!("{what} needs `tenant`"))
                    .at(e.span, "`tenant` is missing")
                    .help("name the tenant whose namespace gets the Secret: `tenant=\"payments\"`"),
            );
            None
        }
        Some(t) => match p.tenant(&t.value) {
            None => {
                d.push(
                    Diagnostic::error(UNKNOWN_TENANT, format!("unknown tenant `{}`", t.value))
                        .at(t.span, "no tenant with this name")
                        .help(tenant_help(p, &t.value)),
                );
                None
            }
            found => found,
        },
    };
    match &e.store {
        None => d.push(
            Diagnostic::error(INCOMPLETE, format!("{what} needs `store`"))
                .at(e.span, "`store` is missing")
                .help("name a `secret-store` of the spec: `store=\"vault\"`"),
        ),
        Some(s) => match p.external_secrets.store(&s.value) {
            None => {
                let names: Vec<&str> = p.external_secrets.stores.iter().map(|s| s.name.value.as_str()).collect();
                d.push(
                    Diagnostic::error(UNKNOWN_STORE, format!("unknown secret store `{}`", s.value))
                        .at(s.span, "no `secret-store` with this name")
                        .help(match did_you_mean(&s.value, names.iter().copied()) {
                            Some(n) => format!("did you mean `{n}`?"),
                            None => format!(
                                "declare the store the platform team runs: `secret-store \"{}\" kind=\"ClusterSecretStore\"`",
                                s.value
                            ),
                        })
                        .note_line("ESO reports a missing store only when it reconciles: the Secret is never written and every pod reading it fails to start"),
                );
            }
            Some(store) => {
                if let (StoreKind::SecretStore, Some(own), Some(t)) = (store.kind(), &store.tenant, &e.tenant)
                    && own.value != t.value
                {
                    d.push(
                        Diagnostic::error(
                            STORE_SCOPE,
                            format!(
                                "{what} in tenant `{}` uses SecretStore `{}` of tenant `{}`",
                                t.value, store.name.value, own.value
                            ),
                        )
                        .at(s.span, "a SecretStore serves only its own namespace")
                        .also(own.span, "the store lives in this tenant's namespace")
                        .help("use a ClusterSecretStore, or a SecretStore in this tenant's namespace")
                        .note_line(
                            "ESO looks a `kind: SecretStore` reference up in the ExternalSecret's own namespace",
                        ),
                    );
                }
            }
        },
    }
    let (creation, deletion) = (e.creation(), e.deletion());
    if let Some(why) = forbidden_policies(creation, deletion) {
        let mut diag = Diagnostic::error(
            POLICY,
            format!("{what}: creation-policy \"{creation}\" with deletion-policy \"{deletion}\" is refused by ESO"),
        );
        diag = match (&e.creation_policy, &e.deletion_policy) {
            (Some(c), Some(dp)) => diag
                .at(dp.span, format!("deletion-policy \"{deletion}\""))
                .also(c.span, format!("creation-policy \"{creation}\"")),
            (None, Some(dp)) => {
                diag.at(dp.span, format!("deletion-policy \"{deletion}\" (creation-policy defaults to Owner)"))
            }
            (Some(c), None) => diag.at(c.span, format!("creation-policy \"{creation}\"")),
            (None, None) => diag.at(e.span, "the default policies"),
        };
        d.push(
            diag.help(if deletion == crate::crd::eso::DeletionPolicy::Delete {
                "use creation-policy \"Owner\" (or \"Orphan\") with deletion-policy \"Delete\", or keep deletion-policy \"Retain\""
            } else {
                "use deletion-policy \"Retain\" with creation-policy \"None\""
            })
            .note_line(format!("ESO's admission webhook: {why} (apis/externalsecrets/v1/externalsecret_validator.go)")),
        );
    }
    if e.keys.is_empty() {
        d.push(
            Diagnostic::error(NO_KEYS, format!("{what} declares no keys"))
                .at(e.span, "no `key` child")
                .help("add the keys the Secret holds: `{ key \"username\" remote=\"prod/db\" property=\"username\" }`")
                .note_line("ESO's webhook refuses it: either data or dataFrom should be specified"),
        );
    }
    duplicates(
        e.keys.iter().map(|k| (k.name.value.as_str(), k.name.span)),
        DUPLICATE_KEY,
        "Secret key",
        "each key of the Secret comes from one remote key; remove or rename one",
        d,
    );
    for k in &e.keys {
        if let Some(why) = config_key(&k.name.value) {
            d.push(
                Diagnostic::error(KEY_NAME, format!("{what}: `{}` is not a valid Secret key", k.name.value))
                    .at(k.name.span, why)
                    .help("Secret keys are letters, digits, `-`, `_` and `.` (at most 253)"),
            );
        }
        if let Some(r) = &k.remote
            && r.value.trim().is_empty()
        {
            d.push(
                Diagnostic::error(INCOMPLETE, format!("{what}: key `{}` names an empty remote key", k.name.value))
                    .at(r.span, "empty")
                    .help("name the key in the store, e.g. `remote=\"prod/payments/db\"`"),
            );
        }
    }
    // R-ESO-2: an Owner Secret that another controller already writes.
    if let Some(t) = tenant
        && matches!(creation, CreationPolicy::Owner | CreationPolicy::Orphan | CreationPolicy::CreateOrMerge)
    {
        for u in &p.kafka.users {
            let Some(cluster) = p.kafka.cluster_for(u.cluster.as_ref()) else { continue };
            if cluster.namespace.value == t.namespace.value && u.name.value == e.target().value {
                d.push(
                    Diagnostic::error(
                        TARGET_TAKEN,
                        format!("{what} writes Secret `{}`, which Strimzi's User Operator writes for kafka-user `{}`", u.name.value, u.name.value),
                    )
                    .at(e.target().span, "the Secret ESO would create")
                    .also(u.name.span, "the User Operator keeps this user's credentials in a Secret of the same name")
                    .help("give the external secret another `target=`")
                    .note_line("with creation-policy Owner ESO refuses a Secret it does not own, and otherwise the two controllers overwrite each other"),
                );
            }
        }
    }
}

/// Kubernetes' rule for Secret and ConfigMap keys (apimachinery `IsConfigMapKey`).
fn config_key(k: &str) -> Option<String> {
    if k.is_empty() || k.len() > 253 {
        return Some(format!("{} characters; keys have 1 to 253", k.len()));
    }
    if k == "." || k == ".." {
        return Some("`.` and `..` are not keys".to_string());
    }
    if k.starts_with("..") {
        return Some("may not start with `..`".to_string());
    }
    k.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .map(|c| format!("`{}` is not allowed", c.escape_debug()))
}

/// The namespace an external secret's Secret is written in, when its tenant exists.
fn namespace_of<'p>(p: &'p Platform, e: &ExternalSecret) -> Option<&'p str> {
    p.tenant(&e.tenant.as_ref()?.value).map(|t| t.namespace.value.as_str())
}

/// Every external secret by the (namespace, Secret name) it writes, in declaration order.
fn by_target(p: &Platform) -> HashMap<(&str, &str), Vec<&ExternalSecret>> {
    let mut out: HashMap<(&str, &str), Vec<&ExternalSecret>> = HashMap::new();
    for e in &p.external_secrets.secrets {
        if let Some(ns) = namespace_of(p, e) {
            out.entry((ns, e.target().value.as_str())).or_default().push(e);
        }
    }
    out
}

fn check_targets(p: &Platform, d: &mut Diagnostics) {
    let objects: Vec<(String, crate::source::Span)> = p
        .external_secrets
        .secrets
        .iter()
        .filter_map(|e| Some((format!("{}/{}", namespace_of(p, e)?, e.name.value), e.name.span)))
        .collect();
    duplicates(
        objects.iter().map(|(n, s)| (n.as_str(), *s)),
        DUPLICATE,
        "external-secret",
        "an ExternalSecret is named once per namespace; rename one (its Secret keeps its name with `target=`)",
        d,
    );
    let by_target = by_target(p);
    for e in &p.external_secrets.secrets {
        let Some(ns) = namespace_of(p, e) else { continue };
        let Some(all) = by_target.get(&(ns, e.target().value.as_str())) else { continue };
        let Some(first) = all.first() else { continue };
        if std::ptr::eq(*first, e) {
            continue;
        }
        if first.name.value == e.name.value {
            continue; // the same object twice: reported as a duplicate above
        }
        d.push(
            Diagnostic::error(
                SAME_TARGET,
                format!(
                    "external-secrets `{}` and `{}` both write Secret `{}` in namespace `{ns}`",
                    first.name.value,
                    e.name.value,
                    e.target().value
                ),
            )
            .at(e.target().span, "writes this Secret")
            .also(first.target().span, "which this one writes too")
            .help("give one of them another name or `target=`")
            .note_line("two ExternalSecrets with one target overwrite each other on every refresh; with creation-policy Owner the second is refused"),
        );
    }
}

fn check_uses(p: &Platform, d: &mut Diagnostics) {
    let by_target = by_target(p);
    for u in secret_uses(p) {
        let Some(e) = by_target.get(&(u.namespace, u.secret.value.as_str())).and_then(|v| v.first()) else { continue };
        let declared = || {
            let mut seen = std::collections::BTreeSet::new();
            let names = e.keys.iter().filter(|k| seen.insert(k.name.value.as_str()));
            names.map(|k| format!("`{}`", k.name.value)).collect::<Vec<_>>().join(", ")
        };
        if e.creation() == CreationPolicy::None {
            d.push(
                Diagnostic::warning(
                    NO_SECRET,
                    format!(
                        "{} reads Secret `{}`, which external-secret `{}` never writes",
                        u.by, u.secret.value, e.name.value
                    ),
                )
                .at(u.secret.span, "read here")
                .also(
                    e.creation_policy.as_ref().map_or(e.span, |c| c.span),
                    "creation-policy \"None\" writes no Secret",
                )
                .help("use creation-policy \"Owner\" (the default), or make sure the Secret exists another way"),
            );
        }
        if u.pull {
            let typed = e.secret_type.as_ref().is_some_and(|t| t.value == DOCKER_CONFIG_TYPE);
            if !typed || e.key(DOCKER_CONFIG_KEY).is_none() {
                d.push(
                    Diagnostic::error(PULL_SECRET, format!("{} uses Secret `{}` of external-secret `{}` to pull images", u.by, u.secret.value, e.name.value))
                        .at(u.secret.span, "an image pull Secret")
                        .also(e.name.span, "declared here")
                        .help(format!("give the external secret `type=\"{DOCKER_CONFIG_TYPE}\"` and a key `{DOCKER_CONFIG_KEY}`"))
                        .note_line("the kubelet reads registry credentials only from the `.dockerconfigjson` key of a Secret of that type"),
                );
            }
            continue;
        }
        if e.key(u.key.name()).is_none() {
            let span = match u.key {
                UsedKey::Written(k) => k.span,
                UsedKey::Implied(_) => u.secret.span,
            };
            let implied = matches!(u.key, UsedKey::Implied(_));
            let names: Vec<&str> = e.keys.iter().map(|k| k.name.value.as_str()).collect();
            d.push(
                Diagnostic::error(
                    UNDECLARED_KEY,
                    format!("{} reads key `{}` of Secret `{}`, which external-secret `{}` does not declare", u.by, u.key.name(), u.secret.value, e.name.value),
                )
                .at(span, if implied { format!("reads key `{}` (the default)", u.key.name()) } else { "this key".to_string() })
                .also(e.name.span, format!("declares {}", if names.is_empty() { "no keys".to_string() } else { declared() }))
                .help(match did_you_mean(u.key.name(), names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("add `key \"{}\" remote=\"...\"` to the external secret, or read one it declares", u.key.name()),
                })
                .note_line("the Secret ESO writes holds only the declared keys: a pod reading another fails with CreateContainerConfigError"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{codes, compile};

    const BASE: &str = "tenant \"t\" { network \"open\"; }\ntenant \"u\" { network \"open\"; }\n\
        secret-store \"vault\"\nsecret-store \"own\" kind=\"SecretStore\" tenant=\"t\"\n";

    fn with(body: &str) -> Vec<&'static str> {
        let c = compile(&format!("{BASE}{body}"));
        codes(&c)
    }

    #[test]
    fn every_pair_esos_webhook_accepts_compiles() {
        for (c, d) in [
            ("Owner", "Delete"),
            ("Orphan", "Delete"),
            ("Merge", "Merge"),
            ("None", "Retain"),
            ("CreateOrMerge", "Merge"),
        ] {
            let body = format!(
                "external-secret \"s\" tenant=\"t\" store=\"vault\" creation-policy=\"{c}\" deletion-policy=\"{d}\" {{ key \"k\" remote=\"r\"; }}\n"
            );
            assert_eq!(with(&body), Vec::<&str>::new(), "{c}/{d}");
        }
        let body = "external-secret \"s\" tenant=\"t\" store=\"vault\" creation-policy=\"CreateOrMerge\" deletion-policy=\"Delete\" { key \"k\" remote=\"r\"; }\n";
        assert_eq!(with(body), ["strata::eso::policy"]);
    }

    #[test]
    fn a_reference_to_a_secret_no_external_secret_declares_is_left_alone() {
        let job = |secret: &str, key: &str| {
            format!(
                "external-secret \"db\" tenant=\"t\" store=\"own\" {{ key \"user\" remote=\"r\"; }}\n\
                 job \"j\" tenant=\"t\" {{\n image \"r.io/j:1\"\n resources size=\"s\"\n env \"A\" secret=\"{secret}\" key=\"{key}\"\n}}\n"
            )
        };
        assert_eq!(with(&job("db", "user")), Vec::<&str>::new());
        assert_eq!(with(&job("existing", "anything")), Vec::<&str>::new());
        assert_eq!(with(&job("db", "password")), ["strata::eso::undeclared-key"]);
        // The same Secret name in another tenant's namespace is another Secret.
        let other = job("db", "password").replace("job \"j\" tenant=\"t\"", "job \"j\" tenant=\"u\"");
        assert_eq!(with(&other), Vec::<&str>::new());
    }

    #[test]
    fn the_secrets_they_make_must_fit_the_quota() {
        let spec = |n: u32| {
            format!(
                "tenant \"q\" {{\n network \"open\"\n quota secrets={n}\n}}\nsecret-store \"vault\"\n\
                 external-secret \"a\" tenant=\"q\" store=\"vault\" {{ key \"k\" remote=\"r\"; }}\n\
                 external-secret \"b\" tenant=\"q\" store=\"vault\" {{ key \"k\" remote=\"r\"; }}\n\
                 external-secret \"c\" tenant=\"q\" store=\"vault\" creation-policy=\"Merge\" {{ key \"k\" remote=\"r\"; }}\n"
            )
        };
        assert_eq!(codes(&compile(&spec(2))), Vec::<&str>::new());
        assert_eq!(codes(&compile(&spec(1))), ["strata::eso::secret-quota"]);
    }

    #[test]
    fn a_namespaced_store_serves_only_its_tenant() {
        let body = "external-secret \"s\" tenant=\"u\" store=\"own\" { key \"k\" remote=\"r\"; }\n";
        assert_eq!(with(body), ["strata::eso::store-scope"]);
    }

    #[test]
    fn no_value_reaches_the_output() {
        let c = compile(&format!(
            "{BASE}external-secret \"s\" tenant=\"t\" store=\"vault\" {{ key \"k\" remote=\"r\" value=\"hunter2\"; }}\n"
        ));
        assert_eq!(codes(&c), ["strata::eso::literal-value"]);
        assert!(c.manifests.is_none());
    }
}
