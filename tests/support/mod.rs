//! Shared by the cluster test suites: finding the test cluster, running the `strata` binary and kubectl,
//! writing small specs, and a fault-injecting proxy in front of the apiserver.
//!
//! The cluster comes from `STRATA_TEST_KUBECONFIG` (set by `scripts/test`). Without it: under `CI=true` a
//! test FAILS (CI must never pass by skipping), elsewhere it prints `SKIPPED <test>: ...` to stderr and
//! returns, so `cargo test` on a laptop without the cluster says which tests did not run.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;

pub mod flink;

/// The test cluster's kubeconfig, or `None` (after saying so) when there is none outside CI.
pub fn cluster(test: &str) -> Option<PathBuf> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    match std::env::var_os("STRATA_TEST_KUBECONFIG").map(PathBuf::from) {
        Some(p) if p.is_file() => Some(p),
        Some(p) => {
            assert!(!ci, "STRATA_TEST_KUBECONFIG={} does not exist (CI=true: cluster tests must run)", p.display());
            skipped(&format!("{test}: STRATA_TEST_KUBECONFIG={} does not exist; run scripts/test", p.display()));
            None
        }
        None => {
            assert!(
                !ci,
                "no test cluster: STRATA_TEST_KUBECONFIG is not set (CI=true: cluster tests must run; use scripts/test)"
            );
            skipped(&format!("{test}: no test cluster (STRATA_TEST_KUBECONFIG unset); run scripts/test to run it"));
            None
        }
    }
}

/// Written straight to the process's stderr: libtest captures `eprintln!` of passing tests, and a skip
/// must be visible in a plain `cargo test`.
fn skipped(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {message}");
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The environment of the bundled platform the cluster tests apply (it also declares `staging`).
pub const BUNDLED_ENV: &str = "production";

/// The inventory (ApplySet and lock) name of the bundled platform's [`BUNDLED_ENV`].
pub const BUNDLED_INVENTORY: &str = "acme-data-production";

/// The bundled platform compiled as [`BUNDLED_ENV`], as `strata compile --env production` compiles it.
pub fn bundled() -> strata::Compilation {
    bundled_at(&repo())
}

/// [`bundled`] for a copy of the bundled platform in `dir`.
pub fn bundled_at(dir: &Path) -> strata::Compilation {
    strata::compile_env(&strata::lang::DiskFs, &dir.join("platform.kdl"), Some(BUNDLED_ENV), strata::Stage::Compile)
}

/// The specs every "all of strata's output" test judges: the bundled platform and every valid golden case
/// (a `golden/*/expected.yaml` exists), named for messages.
pub fn valid_cases() -> Vec<(String, PathBuf)> {
    let root = repo();
    let mut cases = vec![("bundled platform.kdl".to_string(), root.join("platform.kdl"))];
    let mut golden: Vec<PathBuf> = std::fs::read_dir(root.join("golden"))
        .expect("golden/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("expected.yaml").is_file() && p.join("platform.kdl").is_file())
        .collect();
    golden.sort();
    for g in golden {
        cases.push((format!("golden/{}", g.file_name().unwrap().to_string_lossy()), g.join("platform.kdl")));
    }
    cases
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

/// A client for the test cluster of kubeconfig `kc`, as `apply` builds one.
pub async fn connect(kc: &Path) -> Arc<strata::reconcile::Kube> {
    let target = strata::reconcile::Target { kubeconfig: Some(kc.to_path_buf()), context: None };
    let (config, ctx) = strata::reconcile::client::load_kubeconfig(&target).expect("kubeconfig");
    Arc::new(strata::reconcile::Kube::connect(config, &ctx).await.expect("connect"))
}

/// A unique suffix per test process and call, so parallel tests and reruns against a reused cluster
/// never share names.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    format!("{prefix}-{:x}{}", (t as u64 ^ u64::from(std::process::id())) & 0xfffff, N.fetch_add(1, Ordering::Relaxed))
}

/// Runs `strata ARGS` in `dir`.
pub fn strata(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .output()
        .expect("strata runs")
}

pub fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// `strata apply|plan --output json ...`: exit code and parsed report (Null when there was none).
pub fn run_json(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let mut a: Vec<&str> = args.to_vec();
    a.extend(["--output", "json"]);
    let o = strata(dir, &a);
    let (out, err) = text(&o);
    let v = serde_json::from_str(&out).unwrap_or(Value::Null);
    (o.status.code().unwrap_or(-1), v, err)
}

// Shared by the end-to-end sessions (tests/e2e_*.rs).

/// A report summary's count of `action` (`u64::MAX` when it has none, so a comparison fails).
pub fn count(report: &Value, action: &str) -> u64 {
    report["summary"][action].as_u64().unwrap_or(u64::MAX)
}

/// The report's objects with `action`, as `Kind/ns/name`.
pub fn with_action(report: &Value, action: &str) -> std::collections::BTreeSet<String> {
    actions(report).into_iter().filter(|(_, a)| a == action).map(|(k, _)| k).collect()
}

/// `kubectl get -o json --ignore-not-found`: the object, or `None`.
pub fn get(kc: &Path, args: &[&str]) -> Option<Value> {
    let mut a = vec!["get"];
    a.extend_from_slice(args);
    a.extend(["-o", "json", "--ignore-not-found"]);
    let out = kubectl(kc, &a);
    (!out.trim().is_empty()).then(|| serde_json::from_str(&out).expect("kubectl prints JSON"))
}

/// Polls `probe` every 500 ms until it gives `Some`, or fails with `what` and the last thing it saw.
pub fn eventually<T>(
    what: &str,
    timeout: std::time::Duration,
    mut probe: impl FnMut(&mut String) -> Option<T>,
) -> Result<T, String> {
    let deadline = std::time::Instant::now() + timeout;
    let mut last = String::from("nothing yet");
    loop {
        if let Some(v) = probe(&mut last) {
            return Ok(v);
        }
        if std::time::Instant::now() >= deadline {
            return Err(format!("timed out after {timeout:?} waiting for {what} (last seen: {last})"));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

pub fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|i| i["metadata"]["name"].as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

pub fn owned_by(o: &Value, kind: &str, uid: &str) -> bool {
    o["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|refs| refs.iter().any(|r| r["kind"] == kind && r["uid"] == uid))
}

/// kubectl against the test cluster; panics with its stderr when it fails.
pub fn kubectl(kc: &Path, args: &[&str]) -> String {
    let o = kubectl_raw(kc, args);
    assert!(o.status.success(), "kubectl {args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn kubectl_raw(kc: &Path, args: &[&str]) -> Output {
    Command::new(std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".into()))
        .arg("--kubeconfig")
        .arg(kc)
        .args(args)
        .output()
        .expect("kubectl runs")
}

pub fn kubectl_json(kc: &Path, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.extend(["-o", "json"]);
    serde_json::from_str(&kubectl(kc, &a)).expect("kubectl prints JSON")
}

/// Does the object exist (and is it not being deleted)?
pub fn exists(kc: &Path, args: &[&str]) -> bool {
    let mut a = vec!["get"];
    a.extend_from_slice(args);
    a.extend(["-o", "json", "--ignore-not-found"]);
    let out = kubectl(kc, &a);
    if out.trim().is_empty() {
        return false;
    }
    let v: Value = serde_json::from_str(&out).expect("json");
    v.pointer("/metadata/deletionTimestamp").is_none()
}

/// A temp dir with `platform.kdl` = `spec`.
pub fn spec_dir(spec: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("platform.kdl"), spec).expect("write spec");
    dir
}

pub fn write_spec(dir: &Path, spec: &str) {
    std::fs::write(dir.join("platform.kdl"), spec).expect("write spec");
}

/// Report objects by `Kind/ns/name` -> action.
pub fn actions(report: &Value) -> std::collections::BTreeMap<String, String> {
    report["objects"]
        .as_array()
        .map(|objs| {
            objs.iter()
                .map(|o| {
                    let key = match o["namespace"].as_str() {
                        Some(ns) => {
                            format!("{}/{ns}/{}", o["kind"].as_str().unwrap_or(""), o["name"].as_str().unwrap_or(""))
                        }
                        None => format!("{}/{}", o["kind"].as_str().unwrap_or(""), o["name"].as_str().unwrap_or("")),
                    };
                    (key, o["action"].as_str().unwrap_or("").to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One line per member of the ApplySet: `Kind/namespace/name=` and the object as the cluster stores it minus
/// what other writers own. A no-op apply must leave every line unchanged. The resourceVersion is not compared:
/// the built-in controllers bump it with their own writes (the Job controller's `.status`, the quota
/// controller's `.status.used`), which says nothing about strata. What is compared is everything outside
/// `.status`, and strata's own managedFields entry (its time changes on any write strata makes that persists).
pub fn member_versions(kc: &Path, applyset_id: &str, kinds: &str) -> Vec<String> {
    let list = kubectl_json(
        kc,
        &["get", kinds, "-A", "-l", &format!("applyset.kubernetes.io/part-of={applyset_id}"), "-o", "json"],
    );
    let mut v: Vec<String> = list["items"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| {
            let mut o = item.clone();
            let key = format!(
                "{}/{}/{}",
                o["kind"].as_str().unwrap_or(""),
                o["metadata"]["namespace"].as_str().unwrap_or(""),
                o["metadata"]["name"].as_str().unwrap_or("")
            );
            if let Some(map) = o.as_object_mut() {
                map.remove("status");
            }
            if let Some(meta) = o["metadata"].as_object_mut() {
                meta.remove("resourceVersion");
                if let Some(Value::Array(fields)) = meta.get_mut("managedFields") {
                    fields.retain(|f| f["manager"] == strata::manifest::MANAGER);
                }
            }
            format!("{key}={o}")
        })
        .collect();
    v.sort();
    v
}

/// Fails with only the members that differ, since a whole object per line is unreadable in bulk.
pub fn assert_members_unchanged(before: &[String], after: &[String], what: &str) {
    let changed: Vec<(&String, Option<&String>)> = before
        .iter()
        .filter(|b| !after.contains(b))
        .map(|b| {
            let key = b.split_once('=').map_or(b.as_str(), |(k, _)| k);
            (b, after.iter().find(|a| a.split_once('=').is_some_and(|(k, _)| k == key)))
        })
        .collect();
    let added: Vec<&String> = after
        .iter()
        .filter(|a| {
            let key = a.split_once('=').map_or(a.as_str(), |(k, _)| k);
            !before.iter().any(|b| b.split_once('=').is_some_and(|(k, _)| k == key))
        })
        .collect();
    assert!(changed.is_empty() && added.is_empty(), "{what}: changed {changed:#?}, new {added:#?}");
}

/// Everything written to a harness process's log file so far, for a failure message.
pub fn read_all(mut f: &std::fs::File) -> String {
    use std::io::{Read, Seek};
    let mut text = String::new();
    let _ = f.rewind().and_then(|()| f.read_to_string(&mut text));
    text
}

/// Stops a harness process (an operator, the Kafka brokers) whose stdin the caller just closed, its signal to
/// tear down: waits up to 60 s for it to exit on its own, then kills it so a test never leaves it running.
pub fn stop_after_stdin_closed(child: &mut std::process::Child, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!("{what} did not stop within 60 s of its stdin closing; killing it");
    let _ = child.kill();
    let _ = child.wait();
}

/// Writes a kubeconfig whose context `strata-test` points at `server` (plain HTTP, no credentials: the
/// proxy adds them).
pub fn proxy_kubeconfig(dir: &Path, server: &str) -> PathBuf {
    let p = dir.join("proxy-kubeconfig");
    std::fs::write(
        &p,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: proxy\n  cluster:\n    server: {server}\ncontexts:\n- name: strata-test\n  context:\n    cluster: proxy\n    user: none\nusers:\n- name: none\n  user: {{}}\ncurrent-context: strata-test\n"
        ),
    )
    .expect("write kubeconfig");
    p
}

/// A plain-HTTP proxy in front of the test apiserver (through a kube client with the admin
/// credentials). It can slow every request down, and it can "kill the apiserver": from the N-th object
/// apply (a PATCH with `fieldManager=strata`) on, it drops every connection without an answer and
/// refuses new ones, which is what a client sees when the apiserver process dies. A proxy is used
/// rather than killing the shared test apiserver so other tests keep their cluster, and so the point
/// of death is exact (the N-th apply) instead of a race with a timer.
/// A test's hook into the proxy: called for every request with its method, path and query, and the
/// count of object applies so far (this one included); `Some(code)` answers with that HTTP status (a
/// Kubernetes Status body) instead of forwarding. It may also act on the cluster (steal a lease).
pub type Intercept = Arc<dyn Fn(&http::Method, &str, usize) -> Option<u16> + Send + Sync>;

pub struct Proxy {
    pub url: String,
    pub object_applies: Arc<AtomicUsize>,
    dead: Arc<AtomicBool>,
    rt: Option<tokio::runtime::Runtime>,
}

impl Proxy {
    pub fn start(kc: &Path, delay: Duration, kill_at_object_apply: Option<usize>) -> Proxy {
        Self::start_with(kc, delay, kill_at_object_apply, None)
    }

    pub fn start_with(
        kc: &Path,
        delay: Duration,
        kill_at_object_apply: Option<usize>,
        intercept: Option<Intercept>,
    ) -> Proxy {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let kc = kc.to_path_buf();
        let dead = Arc::new(AtomicBool::new(false));
        let applies = Arc::new(AtomicUsize::new(0));
        let (dead2, applies2) = (dead.clone(), applies.clone());
        let url = rt.block_on(async move {
            let kubeconfig = kube::config::Kubeconfig::read_from(&kc).expect("kubeconfig");
            let opts = kube::config::KubeConfigOptions { context: Some("strata-test".into()), ..Default::default() };
            let config = kube::Config::from_custom_kubeconfig(kubeconfig, &opts).await.expect("config");
            let client = kube::Client::try_from(config).expect("client");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("addr");
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else { return };
                    if dead2.load(Ordering::SeqCst) {
                        drop(stream);
                        continue;
                    }
                    let (client, dead3, applies3) = (client.clone(), dead2.clone(), applies2.clone());
                    let intercept = intercept.clone();
                    tokio::spawn(async move {
                        let svc = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                            let (client, dead, applies) = (client.clone(), dead3.clone(), applies3.clone());
                            let intercept = intercept.clone();
                            async move {
                                forward(client, req, delay, kill_at_object_apply, &dead, &applies, intercept).await
                            }
                        });
                        let io = hyper_util::rt::TokioIo::new(stream);
                        let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, svc).await;
                    });
                }
            });
            format!("http://{addr}")
        });
        Proxy { url, object_applies: applies, dead, rt: Some(rt) }
    }

    pub fn killed(&self) -> bool {
        self.dead.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

async fn forward(
    client: kube::Client,
    req: http::Request<hyper::body::Incoming>,
    delay: Duration,
    kill_at: Option<usize>,
    dead: &AtomicBool,
    applies: &AtomicUsize,
    intercept: Option<Intercept>,
) -> Result<http::Response<kube::client::Body>, std::io::Error> {
    let gone = || std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "apiserver killed");
    if dead.load(Ordering::SeqCst) {
        return Err(gone());
    }
    let is_object_apply = req.method() == http::Method::PATCH
        && req.uri().query().is_some_and(|q| q.split('&').any(|kv| kv == "fieldManager=strata"));
    let mut n = applies.load(Ordering::SeqCst);
    if is_object_apply {
        n = applies.fetch_add(1, Ordering::SeqCst) + 1;
        if kill_at.is_some_and(|k| n >= k) {
            dead.store(true, Ordering::SeqCst);
            return Err(gone());
        }
    }
    if let Some(hook) = intercept {
        let method = req.method().clone();
        let path = req.uri().path_and_query().map_or("/".to_string(), |p| p.as_str().to_string());
        if let Some(code) = tokio::task::block_in_place(|| hook(&method, &path, n)) {
            let body = serde_json::json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                "message": "injected by the test proxy", "reason": "InternalError", "code": code});
            return http::Response::builder()
                .status(code)
                .header("content-type", "application/json")
                .body(kube::client::Body::from(serde_json::to_vec(&body).unwrap_or_default()))
                .map_err(std::io::Error::other);
        }
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = http_body_util_collect(body).await?;
    let path = parts.uri.path_and_query().map_or("/".to_string(), |p| p.as_str().to_string());
    let mut builder = http::Request::builder().method(parts.method).uri(path);
    for (k, v) in &parts.headers {
        if k != http::header::HOST && k != http::header::AUTHORIZATION {
            builder = builder.header(k, v);
        }
    }
    let upstream = builder.body(kube::client::Body::from(bytes)).map_err(std::io::Error::other)?;
    client.send(upstream).await.map_err(std::io::Error::other)
}

async fn http_body_util_collect(mut body: hyper::body::Incoming) -> Result<Vec<u8>, std::io::Error> {
    use hyper::body::Body as _;
    let mut out = Vec::new();
    loop {
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            None => return Ok(out),
            Some(Ok(f)) => {
                if let Ok(data) = f.into_data() {
                    out.extend_from_slice(&data);
                }
            }
            Some(Err(e)) => return Err(std::io::Error::other(e)),
        }
    }
}
