//! Errors of the cluster layer, split by cause so the CLI can pick the exit code (2 for what the user can
//! fix in their input, 3 for what the cluster refused) and print a message that says what to do.

use kube::core::Status;

use crate::exit;

/// One failed API request, as reported per object and inside [`ReconcileError`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ApiFailure {
    /// HTTP status (0 when the server could not be reached).
    pub code: u16,
    /// The server's `reason` (`Forbidden`, `Conflict`, `Invalid`, ...) or `Unreachable`.
    pub reason: String,
    /// The server's message, verbatim.
    pub message: String,
    /// Field-by-field conflicts with other field managers (409 on apply).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
}

/// A field another manager owns with a different value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Conflict {
    pub field: String,
    pub manager: String,
}

impl ApiFailure {
    pub fn from_kube(e: &kube::Error) -> Self {
        match e {
            kube::Error::Api(s) => Self::from_status(s),
            other => {
                ApiFailure { code: 0, reason: "Unreachable".into(), message: error_chain(other), conflicts: Vec::new() }
            }
        }
    }

    pub fn from_status(s: &Status) -> Self {
        let conflicts = s
            .details
            .as_ref()
            .map(|d| {
                d.causes
                    .iter()
                    .filter(|c| c.reason == "FieldManagerConflict")
                    .map(|c| Conflict { field: c.field.clone(), manager: manager_of(&c.message) })
                    .collect()
            })
            .unwrap_or_default();
        ApiFailure { code: s.code, reason: s.reason.clone(), message: s.message.clone(), conflicts }
    }

    pub fn is_not_found(&self) -> bool {
        self.code == 404
    }

    pub fn is_conflict(&self) -> bool {
        self.code == 409
    }

    pub fn is_forbidden(&self) -> bool {
        self.code == 403
    }

    /// The server could not be reached (connection refused or reset, timeout): no point sending more.
    pub fn is_unreachable(&self) -> bool {
        self.code == 0
    }
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.code == 0 {
            // `Kube::call` starts the message with the server's URL.
            if self.message.starts_with("http") {
                write!(f, "cannot reach the API server {}", self.message)
            } else {
                write!(f, "cannot reach the API server: {}", self.message)
            }
        } else {
            write!(f, "{} ({} {})", self.message, self.code, self.reason)
        }
    }
}

/// `conflict with "kubectl-edit" using v1` -> `kubectl-edit`. The apiserver quotes the manager name
/// (apimachinery `fieldmanager` `printManager`); without quotes the whole message is the best we have.
pub fn manager_of(message: &str) -> String {
    let mut parts = message.splitn(3, '"');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(name), Some(_)) => name.to_string(),
        _ => message.trim_start_matches("conflict with ").to_string(),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// The kubeconfig could not be read or names no usable context.
    #[error("{0}")]
    Kubeconfig(String),
    /// `apply`/`plan` aimed at a context the spec does not name. Carries the rendered diagnostic.
    #[error("{0}")]
    WrongContext(String),
    /// The cluster does not serve API kinds the spec uses (an operator's CRDs are missing).
    #[error("{}", missing_message(.0))]
    MissingApis(Vec<MissingApi>),
    /// Namespaces the spec uses but does not create are missing: (namespace, objects in it).
    #[error("{}", missing_namespaces_message(.0))]
    MissingNamespaces(Vec<(String, Vec<String>)>),
    /// The identity in the kubeconfig may not do something strata must do.
    #[error(
        "forbidden: {user} may not {verb} {resource}{scope}\n  the server said: {message}\n  help: grant `{verb}` on `{resource}` to that identity (strata needs get, list, create, patch and, with --prune, delete on every kind it manages; the exact ClusterRole is in docs/apply.md, Permissions), or use a context with more rights"
    )]
    Forbidden { user: String, verb: String, resource: String, scope: String, message: String },
    /// Another apply of the same platform holds the lock.
    #[error(
        "platform `{}` is being applied by `{}` since {} (lease {}, last renewed {})\n  help: wait for it to finish, or rerun with --lock-timeout 5m to wait for the lock; a crashed holder's lease expires {}",
        .0.platform, .0.holder, .0.since, .0.lease, .0.renewed, .0.expires
    )]
    LockHeld(Box<LockHolder>),
    /// Another run took the lease while this one held it: this run stopped before its next write.
    #[error(
        "lost the platform lock: lease {lease} is now held by `{holder}`, not by this run (`{me}`); stopped before {before}, nothing more was written\n  help: another apply took over (this run stalled past the lease duration, or the lease was changed by hand); check what that run does, then rerun"
    )]
    LockLost { lease: String, me: String, holder: String, before: String },
    /// SIGINT/SIGTERM: the run was abandoned and its lock released.
    #[error("interrupted by {0}: the apply stopped where it was and released its lock; rerun to converge")]
    Interrupted(String),
    /// No answer in time: a credential plugin or a request that did not finish within `--request-timeout`.
    #[error("{0}")]
    Timeout(String),
    /// The ApplySet parent exists but belongs to another tool or another set.
    #[error("{0}")]
    ForeignParent(String),
    /// Any other failed request that stops the run.
    #[error("{what}: {failure}")]
    Api { what: String, failure: ApiFailure },
}

impl ReconcileError {
    pub fn exit_code(&self) -> i32 {
        match self {
            ReconcileError::Kubeconfig(_) | ReconcileError::WrongContext(_) => exit::INVALID,
            _ => exit::CLUSTER,
        }
    }

    /// Classifies a failed request made for `verb` on `resource`: forbidden errors get their own message.
    pub fn api(what: impl Into<String>, verb: &str, resource: &str, namespace: Option<&str>, f: ApiFailure) -> Self {
        if f.is_forbidden() {
            let user = f
                .message
                .split("User \"")
                .nth(1)
                .or_else(|| f.message.split("user \"").nth(1))
                .and_then(|r| r.split('"').next())
                .map_or_else(|| "this identity".to_string(), |u| format!("user `{u}`"));
            let scope = match namespace {
                Some(ns) => format!(" in namespace `{ns}`"),
                None => " at the cluster scope".to_string(),
            };
            // The server names the verb it checked, which is not always the request's: a server-side
            // apply that creates an object is authorized as `create` (apiserver
            // `endpoints/handlers/patch.go`, createAuthorizerAttributes), a Role with rules the
            // identity lacks needs `escalate`.
            let (verb, resource) = if f.message.contains("attempting to grant RBAC permissions not currently held") {
                // The RBAC escalation check (`registry/rbac/validation`): a Role needs `escalate`, a
                // binding `bind`, unless the identity holds every permission it grants.
                let v = if resource.contains("binding") { "bind" } else { "escalate" };
                (v.to_string(), resource.to_string())
            } else if let Some(named) = forbidden_verb(&f.message) {
                named
            } else if verb == "patch" {
                // The `patch` itself passed the authorization filter (which would have said "cannot
                // patch"); what failed is the `create` check of an apply that creates the object, and
                // its message names no verb (`configmaps "x" is forbidden: `).
                ("create".to_string(), resource.to_string())
            } else {
                (verb.to_string(), resource.to_string())
            };
            return ReconcileError::Forbidden { user, verb, resource, scope, message: f.message };
        }
        ReconcileError::Api { what: what.into(), failure: f }
    }
}

/// The verb an apply's 403 was about: the one the server names, else `create` (see [`ReconcileError::api`]),
/// with the resource from the message (`resourcequotas "q" is forbidden: ...`).
pub fn forbidden_apply_verb(message: &str) -> (String, String) {
    forbidden_verb(message).unwrap_or_else(|| {
        let resource = message.split_whitespace().next().unwrap_or("the resource").to_string();
        ("create".to_string(), resource)
    })
}

/// `... cannot create resource "resourcequotas" in API group "" ...` -> (`create`, `resourcequotas`, with
/// the group when there is one: `networkpolicies.networking.k8s.io`). The apiserver's RBAC message
/// (`plugin/pkg/auth/authorizer/rbac` via `endpoints/handlers/responsewriters` `forbiddenMessage`).
pub fn forbidden_verb(message: &str) -> Option<(String, String)> {
    let rest = message.split("cannot ").nth(1)?;
    let verb = rest.split_whitespace().next()?.to_string();
    let after = rest.split("resource \"").nth(1)?;
    let resource = after.split('"').next()?.to_string();
    let group = after.split("in API group \"").nth(1).and_then(|g| g.split('"').next()).unwrap_or("");
    let resource = if group.is_empty() { resource } else { format!("{resource}.{group}") };
    Some((verb, resource))
}

/// Who holds the platform lock, for the message of a blocked apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    pub platform: String,
    pub holder: String,
    pub since: String,
    pub renewed: String,
    pub lease: String,
    pub expires: String,
}

/// An apiVersion/kind the spec emits that the cluster does not serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingApi {
    pub api_version: String,
    pub kind: String,
    /// Versions of the group the cluster does serve (empty: the group is absent).
    pub served_versions: Vec<String>,
    /// Objects that need it, e.g. `analytics/KafkaTopic/orders` (the first few).
    pub examples: Vec<String>,
    pub count: usize,
}

fn missing_namespaces_message(m: &[(String, Vec<String>)]) -> String {
    let mut s = format!(
        "the spec puts objects in {} namespace{} that do{} not exist and that it does not create; nothing was written",
        m.len(),
        if m.len() == 1 { "" } else { "s" },
        if m.len() == 1 { "es" } else { "" }
    );
    for (ns, objects) in m {
        let shown: Vec<&str> = objects.iter().take(3).map(String::as_str).collect();
        let more = if objects.len() > 3 { format!(" and {} more", objects.len() - 3) } else { String::new() };
        s.push_str(&format!("\n  - `{ns}`: {}{more}", shown.join(", ")));
    }
    s.push_str(
        "\n  help: strata creates tenant namespaces only; namespaces of what the spec refers to (a Kafka cluster's \
         namespace, where its Strimzi installation runs) must exist first. Create them, or fix the namespace in the spec",
    );
    s
}

fn missing_message(m: &[MissingApi]) -> String {
    let mut s = format!(
        "the cluster does not serve {} API kind{} the spec uses; nothing was written",
        m.len(),
        if m.len() == 1 { "" } else { "s" }
    );
    for api in m {
        let group = api.api_version.rsplit_once('/').map_or("", |(g, _)| g);
        let examples = api.examples.join(", ");
        let more = if api.count > api.examples.len() {
            format!(" and {} more", api.count - api.examples.len())
        } else {
            String::new()
        };
        s.push_str(&format!("\n  - {} {}: needed by {examples}{more}", api.api_version, api.kind));
        if !api.served_versions.is_empty() {
            s.push_str(&format!(
                "\n    the cluster serves {group} only in version{} {}",
                if api.served_versions.len() == 1 { "" } else { "s" },
                api.served_versions.join(", ")
            ));
        }
        s.push_str(&format!("\n    help: {}", crate::domain::install_hint(group, &api.kind)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::response::{StatusCause, StatusDetails};

    #[test]
    fn conflict_causes_become_field_and_manager() {
        let s = Status {
            code: 409,
            reason: "Conflict".into(),
            message: "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1: .spec.hard.pods".into(),
            details: Some(StatusDetails {
                causes: vec![StatusCause {
                    reason: "FieldManagerConflict".into(),
                    message: "conflict with \"kubectl-edit\" using v1".into(),
                    field: ".spec.hard.pods".into(),
                }],
                name: "tenant-quota".into(),
                group: String::new(),
                kind: "resourcequotas".into(),
                uid: String::new(),
                retry_after_seconds: 0,
            }),
            ..Default::default()
        };
        let f = ApiFailure::from_status(&s);
        assert!(f.is_conflict());
        assert_eq!(f.conflicts, vec![Conflict { field: ".spec.hard.pods".into(), manager: "kubectl-edit".into() }]);
    }

    #[test]
    fn forbidden_names_user_verb_and_resource() {
        let f = ApiFailure {
            code: 403,
            reason: "Forbidden".into(),
            message: "namespaces is forbidden: User \"limited\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope".into(),
            conflicts: vec![],
        };
        let e = ReconcileError::api("list", "list", "namespaces", None, f);
        let text = e.to_string();
        assert!(text.starts_with("forbidden: user `limited` may not list namespaces at the cluster scope"), "{text}");
        assert_eq!(e.exit_code(), exit::CLUSTER);
    }

    #[test]
    fn forbidden_names_the_verb_the_server_checked() {
        let f = ApiFailure {
            code: 403,
            reason: "Forbidden".into(),
            message: "resourcequotas \"tenant-quota\" is forbidden: User \"limited\" cannot create resource \"resourcequotas\" in API group \"\" in the namespace \"t\"".into(),
            conflicts: vec![],
        };
        let text = ReconcileError::api("apply", "patch", "resourcequotas", Some("t"), f).to_string();
        assert!(text.starts_with("forbidden: user `limited` may not create resourcequotas in namespace `t`"), "{text}");
        assert!(text.contains("grant `create` on `resourcequotas`"), "{text}");
        assert_eq!(
            forbidden_verb(
                "x is forbidden: User \"u\" cannot escalate resource \"roles\" in API group \"rbac.authorization.k8s.io\""
            ),
            Some(("escalate".into(), "roles.rbac.authorization.k8s.io".into()))
        );
    }

    #[test]
    fn manager_name_without_quotes_falls_back_to_message() {
        assert_eq!(manager_of("conflict with \"helm\""), "helm");
        assert_eq!(manager_of("conflict with something"), "something");
    }
}
