//! Connecting to the cluster the user means, and nothing else: kubeconfig and context resolution, the
//! context guard (a spec names the context it belongs to), and thin request wrappers that classify
//! errors and count reads and writes (the figures `apply` reports and tests assert on).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use kube::api::{DeleteParams, DynamicObject, GetParams, ListParams, Patch, PatchParams, PostParams, Preconditions};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::ApiResource;
use serde_json::Value;

use crate::diagnostic::{Diagnostic, Diagnostics, Renderer};
use crate::model::Platform;
use crate::reconcile::error::{ApiFailure, ReconcileError};
use crate::source::SourceMap;

/// Which cluster to talk to: `--kubeconfig` (else `$KUBECONFIG`, else `~/.kube/config`) and `--context`
/// (else the kubeconfig's current context).
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
}

/// A connected client with the context it resolved and request counters.
pub struct Kube {
    pub client: kube::Client,
    pub context: String,
    pub server: String,
    /// Every request (and the kubeconfig's credential plugin) must answer within this.
    pub request_timeout: Duration,
    reads: AtomicUsize,
    writes: AtomicUsize,
}

/// `--request-timeout`'s default: long enough for a LIST page of 500 large objects on a loaded
/// apiserver, short enough that a hung server or credential plugin fails a CI job in a minute.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Reads and writes sent so far. A no-op apply must show `writes == 0`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RequestCounts {
    pub reads: usize,
    pub writes: usize,
}

/// Loads the kubeconfig and returns it with the context `apply` would use.
pub fn load_kubeconfig(target: &Target) -> Result<(Kubeconfig, String), ReconcileError> {
    let kc = match &target.kubeconfig {
        Some(p) => Kubeconfig::read_from(p)
            .map_err(|e| ReconcileError::Kubeconfig(format!("cannot read kubeconfig `{}`: {e}", p.display())))?,
        None => Kubeconfig::read().map_err(|e| {
            ReconcileError::Kubeconfig(format!(
                "cannot read a kubeconfig ($KUBECONFIG or ~/.kube/config): {e}\n  help: pass --kubeconfig FILE"
            ))
        })?,
    };
    let context = match (&target.context, &kc.current_context) {
        (Some(c), _) => c.clone(),
        (None, Some(c)) if !c.is_empty() => c.clone(),
        _ => {
            return Err(ReconcileError::Kubeconfig(
                "the kubeconfig has no current context\n  help: pass --context NAME".to_string(),
            ));
        }
    };
    if !kc.contexts.iter().any(|c| c.name == context) {
        let known: Vec<&str> = kc.contexts.iter().map(|c| c.name.as_str()).collect();
        let hint = crate::diagnostic::did_you_mean(&context, known.iter().copied())
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        return Err(ReconcileError::Kubeconfig(format!(
            "the kubeconfig has no context `{context}`{hint}; it has: {}",
            if known.is_empty() { "none".to_string() } else { known.join(", ") }
        )));
    }
    Ok((kc, context))
}

/// The context guard: the spec's `platform { cluster context="..." }` must be the context in use, unless
/// `--context` names the context explicitly (a deliberate choice, e.g. a staging cluster). Returns the
/// diagnostic to show when it refuses.
pub fn guard(p: &Platform, context: &str, explicit: bool) -> Option<Diagnostic> {
    let want = p.header.as_ref()?.context.as_ref()?;
    if want.value == context || explicit {
        return None;
    }
    Some(
        Diagnostic::error(
            "strata::apply::wrong-context",
            format!("this spec belongs to kube context `{}`, but the current context is `{context}`", want.value),
        )
        .at(want.span, "the context this platform is applied to")
        .help(format!(
            "switch with `kubectl config use-context {}`, or pass `--context {context}` to target `{context}` deliberately",
            want.value
        )),
    )
}

/// Renders a guard diagnostic into the error the CLI prints.
pub fn guard_error(d: Diagnostic, sources: &SourceMap) -> ReconcileError {
    let mut ds = Diagnostics::new();
    ds.push(d);
    ReconcileError::WrongContext(Renderer::plain(sources).human(&ds))
}

impl Kube {
    /// Builds a client for `context` of `kc`. No request is sent yet.
    pub async fn connect(kc: Kubeconfig, context: &str) -> Result<Self, ReconcileError> {
        Self::connect_with(kc, context, DEFAULT_REQUEST_TIMEOUT).await
    }

    /// [`connect`](Self::connect) with a request timeout. A kubeconfig credential plugin (`exec`) runs
    /// while the client is built, as a blocking child process (kube-client `auth::auth_exec`): it runs on
    /// a blocking thread here, so a plugin that waits forever (a login prompt nobody answers, a hung
    /// cloud CLI) fails the run after `request_timeout` instead of hanging it.
    pub async fn connect_with(
        kc: Kubeconfig,
        context: &str,
        request_timeout: Duration,
    ) -> Result<Self, ReconcileError> {
        let plugin = plugin_of(&kc, context);
        let opts = KubeConfigOptions { context: Some(context.to_string()), ..Default::default() };
        let mut config = kube::Config::from_custom_kubeconfig(kc, &opts)
            .await
            .map_err(|e| ReconcileError::Kubeconfig(format!("cannot use context `{context}`: {e}")))?;
        // A dead server must fail the run in seconds, not hang a CI job.
        config.connect_timeout = Some(Duration::from_secs(10).min(request_timeout));
        config.read_timeout = Some(request_timeout);
        config.write_timeout = Some(request_timeout);
        config.reset_reader_on_write = true;
        let server = config.cluster_url.to_string();
        let build = tokio::task::spawn_blocking(move || kube::Client::try_from(config));
        let client = match tokio::time::timeout(request_timeout, build).await {
            Ok(Ok(Ok(c))) => c,
            Ok(Ok(Err(e))) => {
                return Err(ReconcileError::Kubeconfig(format!("cannot build a client for `{context}`: {e}")));
            }
            Ok(Err(e)) => {
                return Err(ReconcileError::Kubeconfig(format!("cannot build a client for `{context}`: {e}")));
            }
            Err(_) => {
                return Err(ReconcileError::Timeout(format!(
                    "the kubeconfig's credential plugin{} for context `{context}` (server {server}) gave no \
                     credentials within {} s; nothing was sent\n  help: run the plugin by hand to see what it waits \
                     for (a login prompt, an expired session), or raise --request-timeout",
                    plugin.map(|p| format!(" `{p}`")).unwrap_or_default(),
                    request_timeout.as_secs()
                )));
            }
        };
        Ok(Kube {
            client,
            context: context.to_string(),
            server,
            request_timeout,
            reads: AtomicUsize::new(0),
            writes: AtomicUsize::new(0),
        })
    }

    pub fn counts(&self) -> RequestCounts {
        RequestCounts { reads: self.reads.load(Ordering::Relaxed), writes: self.writes.load(Ordering::Relaxed) }
    }

    pub(crate) fn count_read(&self) {
        self.reads.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_write(&self) {
        self.writes.fetch_add(1, Ordering::Relaxed);
    }

    /// Sends one request and returns its body as plain JSON. Objects are parsed straight into a
    /// `Value` (what every caller works with), not into a typed object first.
    async fn call(&self, req: Result<http::Request<Vec<u8>>, kube::core::request::Error>) -> Result<Value, ApiFailure> {
        let req = req.map_err(|e| ApiFailure {
            code: 400,
            reason: "BadRequest".into(),
            message: e.to_string(),
            conflicts: Vec::new(),
        })?;
        // Spawned, so the timeout fires even when the request's own task is blocked (a credential
        // plugin refreshing an expired token runs synchronously inside the request).
        let client = self.client.clone();
        let mut task = tokio::spawn(async move { client.request::<Value>(req).await });
        let unreachable = |reason: &str, message: String| ApiFailure {
            code: 0,
            reason: reason.into(),
            message: format!("{}: {message}", self.server),
            conflicts: Vec::new(),
        };
        match tokio::time::timeout(self.request_timeout, &mut task).await {
            Ok(Ok(Ok(v))) => Ok(v),
            Ok(Ok(Err(e))) => {
                let f = ApiFailure::from_kube(&e);
                if f.is_unreachable() { Err(unreachable(&f.reason, f.message)) } else { Err(f) }
            }
            Ok(Err(e)) => Err(unreachable("Unreachable", e.to_string())),
            Err(_) => {
                task.abort();
                Err(unreachable(
                    "Timeout",
                    format!("no answer within {} s (--request-timeout)", self.request_timeout.as_secs()),
                ))
            }
        }
    }

    /// GET one object; `Ok(None)` when it does not exist.
    pub async fn get(&self, ar: &ApiResource, ns: Option<&str>, name: &str) -> Result<Option<Value>, ApiFailure> {
        self.count_read();
        match self.call(request(ar, ns).get(name, &GetParams::default())).await {
            Ok(o) => Ok(Some(typed(o, ar))),
            Err(f) if f.is_not_found() => Ok(None),
            Err(f) => Err(f),
        }
    }

    /// LIST with a label selector, following continue tokens (pages of 500).
    pub async fn list(&self, ar: &ApiResource, ns: Option<&str>, selector: &str) -> Result<Vec<Value>, ApiFailure> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut lp = ListParams::default().labels(selector).limit(500);
            if let Some(t) = &token {
                lp = lp.continue_token(t);
            }
            self.count_read();
            let mut page = self.call(request(ar, ns).list(&lp)).await?;
            token = page
                .pointer("/metadata/continue")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if let Some(Value::Array(items)) = page.get_mut("items").map(Value::take) {
                out.extend(items.into_iter().map(|o| typed(o, ar)));
            }
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    /// Server-side apply of `body` as `manager`. A dry run is counted as a read: it persists nothing.
    // The arguments are the request's own: path (resource, namespace, name), body and query parameters.
    #[allow(clippy::too_many_arguments)]
    pub async fn apply(
        &self,
        ar: &ApiResource,
        ns: Option<&str>,
        name: &str,
        body: &Value,
        manager: &str,
        force: bool,
        dry_run: bool,
    ) -> Result<Value, ApiFailure> {
        if dry_run {
            self.count_read()
        } else {
            self.count_write()
        }
        let pp = apply_params(manager, force, dry_run);
        self.call(request(ar, ns).patch(name, &pp, &Patch::Apply(body))).await.map(|o| typed(o, ar))
    }

    /// DELETE guarded by the uid strata listed (never deletes a same-named object created since).
    pub async fn delete(
        &self,
        ar: &ApiResource,
        ns: Option<&str>,
        name: &str,
        uid: Option<&str>,
        dry_run: bool,
    ) -> Result<(), ApiFailure> {
        if dry_run {
            self.count_read()
        } else {
            self.count_write()
        }
        let dp = delete_params(uid, dry_run);
        match self.call(request(ar, ns).delete(name, &dp)).await {
            // Gone already: the outcome the delete wanted.
            Ok(_) => Ok(()),
            Err(f) if f.is_not_found() => Ok(()),
            Err(f) => Err(f),
        }
    }

    /// POST a new object (used for the Lease: create fails if someone else created it first).
    pub async fn create(&self, ar: &ApiResource, ns: Option<&str>, body: &Value) -> Result<Value, ApiFailure> {
        self.count_write();
        let data = serde_json::to_vec(body).map_err(|e| serde_failure(&e))?;
        self.call(request(ar, ns).create(&PostParams::default(), data)).await.map(|o| typed(o, ar))
    }

    /// PUT with the resourceVersion inside `body` (optimistic concurrency: 409 if it changed).
    pub async fn replace(
        &self,
        ar: &ApiResource,
        ns: Option<&str>,
        name: &str,
        body: &Value,
    ) -> Result<Value, ApiFailure> {
        self.count_write();
        let data = serde_json::to_vec(body).map_err(|e| serde_failure(&e))?;
        self.call(request(ar, ns).replace(name, &PostParams::default(), data)).await.map(|o| typed(o, ar))
    }
}

/// The command of the context's credential plugin, if its user has one (for the timeout message).
fn plugin_of(kc: &Kubeconfig, context: &str) -> Option<String> {
    let ctx = kc.contexts.iter().find(|c| c.name == context)?.context.as_ref()?;
    let user = ctx.user.as_deref()?;
    let auth = kc.auth_infos.iter().find(|a| a.name == user)?.auth_info.as_ref()?;
    auth.exec.as_ref()?.command.clone()
}

/// The request builder for a resource, cluster-wide or in one namespace.
fn request(ar: &ApiResource, namespace: Option<&str>) -> kube::core::Request {
    kube::core::Request::new(<DynamicObject as kube::Resource>::url_path(ar, namespace))
}

fn serde_failure(e: &serde_json::Error) -> ApiFailure {
    ApiFailure { code: 400, reason: "BadRequest".into(), message: e.to_string(), conflicts: Vec::new() }
}

/// The apply request's parameters: `fieldManager`, `force`, `dryRun=All`.
#[must_use]
pub fn apply_params(manager: &str, force: bool, dry_run: bool) -> PatchParams {
    let mut pp = PatchParams::apply(manager);
    if force {
        pp = pp.force();
    }
    if dry_run {
        pp = pp.dry_run();
    }
    pp
}

/// Background propagation (the API default for most kinds), a uid precondition, optional dry run.
#[must_use]
pub fn delete_params(uid: Option<&str>, dry_run: bool) -> DeleteParams {
    let mut dp = DeleteParams::background();
    if let Some(uid) = uid {
        dp = dp.preconditions(Preconditions { uid: Some(uid.to_string()), resource_version: None });
    }
    if dry_run {
        dp = dp.dry_run();
    }
    dp
}

/// An object with apiVersion and kind filled in (list items often lack them).
fn typed(mut v: Value, ar: &ApiResource) -> Value {
    if let Some(m) = v.as_object_mut() {
        m.entry("apiVersion").or_insert_with(|| Value::String(ar.api_version.clone()));
        m.entry("kind").or_insert_with(|| Value::String(ar.kind.clone()));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_request_carries_manager_force_and_dry_run() {
        let ar = ApiResource::erase::<k8s_openapi::api::core::v1::ConfigMap>(&());
        let req = kube::core::Request::new(<DynamicObject as kube::Resource>::url_path(&ar, Some("team")))
            .patch("cfg", &apply_params("strata", true, true), &Patch::Apply(serde_json::json!({})))
            .expect("request builds");
        let uri = req.uri().to_string();
        assert!(uri.starts_with("/api/v1/namespaces/team/configmaps/cfg?"), "{uri}");
        assert!(
            uri.contains("fieldManager=strata") && uri.contains("force=true") && uri.contains("dryRun=All"),
            "{uri}"
        );
        assert_eq!(req.headers()["content-type"], "application/apply-patch+yaml");
        let plain = kube::core::Request::new(<DynamicObject as kube::Resource>::url_path(&ar, None))
            .patch("cfg", &apply_params("strata", false, false), &Patch::Apply(serde_json::json!({})))
            .expect("request builds");
        let uri = plain.uri().to_string();
        assert!(!uri.contains("force") && !uri.contains("dryRun"), "{uri}");
    }

    #[test]
    fn delete_request_has_uid_precondition_and_background_propagation() {
        let ar = ApiResource::erase::<k8s_openapi::api::core::v1::Namespace>(&());
        let req = kube::core::Request::new(<DynamicObject as kube::Resource>::url_path(&ar, None))
            .delete("old", &delete_params(Some("u-1"), false))
            .expect("request builds");
        let body: Value = serde_json::from_slice(req.body()).expect("json body");
        assert_eq!(body["preconditions"]["uid"], "u-1");
        assert_eq!(body["propagationPolicy"], "Background");
        assert!(body.get("dryRun").is_none());
    }

    fn platform_with_context(ctx: &str) -> (Platform, SourceMap) {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = dir.path().join("platform.kdl");
        std::fs::write(&spec, format!("platform \"p\" {{\n    cluster context=\"{ctx}\"\n}}\n")).expect("write");
        let c = crate::check(&crate::lang::DiskFs, &spec);
        (c.platform, c.sources)
    }

    #[test]
    fn guard_refuses_another_context_unless_named_explicitly() {
        let (p, sources) = platform_with_context("prod-eks");
        assert!(guard(&p, "prod-eks", false).is_none());
        let d = guard(&p, "staging", false).expect("refused");
        let text = guard_error(d, &sources).to_string();
        assert!(text.contains("belongs to kube context `prod-eks`, but the current context is `staging`"), "{text}");
        assert!(text.contains("--context staging"), "{text}");
        assert!(guard(&p, "staging", true).is_none());
    }
}
