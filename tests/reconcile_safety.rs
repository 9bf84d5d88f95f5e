//! The reconciler's safety promises against a real kube-apiserver (see tests/reconcile.rs for the
//! cluster and the naming rules): prune deletes only what strata applied and recorded, shared
//! cluster-scoped objects survive another platform's prune, a kept namespace keeps its guards, the
//! empty-set and immutable-field guards, the lock (random identity, loss noticed before every write,
//! released on errors and signals), request time-boxes, the documented RBAC, and drift.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use strata::manifest::{ManifestSet, Placement, Stage};
use strata::reconcile::apply::{ApplyOptions, Silent, apply};
use strata::reconcile::{Action, ReconcileError, lock};
use support::*;

fn header(platform: &str) -> String {
    format!(
        "platform \"{platform}\" {{\n    cluster context=\"strata-test\"\n    inventory namespace=\"strata-system\"\n}}\n"
    )
}

/// A platform of `tenants` (name, pods quota), each in namespace `<platform>-<name>`.
fn spec(platform: &str, tenants: &[(&str, u32)]) -> String {
    let mut s = header(platform);
    for (name, pods) in tenants {
        s.push_str(&format!("tenant \"{name}\" namespace=\"{platform}-{name}\" {{\n    quota pods={pods}\n}}\n"));
    }
    s
}

fn applyset_id(platform: &str) -> String {
    strata::manifest::ApplySetRef::for_platform(platform, "strata-system").id
}

fn kc_arg(kc: &Path) -> String {
    kc.display().to_string()
}

fn count(report: &Value, action: &str) -> u64 {
    report["summary"][action].as_u64().unwrap_or(u64::MAX)
}

fn object<'a>(report: &'a Value, kind: &str, name: &str) -> &'a Value {
    report["objects"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["kind"] == kind && o["name"] == name))
        .unwrap_or_else(|| panic!("{kind}/{name} not in the report: {report}"))
}

fn lease_holder(kc: &Path, platform: &str) -> String {
    let o = kubectl_raw(
        kc,
        &[
            "get",
            "lease",
            &format!("strata-{platform}"),
            "-n",
            "strata-system",
            "-o",
            "jsonpath={.spec.holderIdentity}",
        ],
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn rv(kc: &Path, args: &[&str]) -> String {
    let mut a = vec!["get"];
    a.extend_from_slice(args);
    a.extend(["-o", "jsonpath={.metadata.resourceVersion}"]);
    kubectl(kc, &a)
}

// ---- prune and ownership ----

#[test]
fn prune_keeps_an_object_with_our_label_that_strata_never_applied() {
    let Some(kc) = cluster("prune_keeps_an_object_with_our_label_that_strata_never_applied") else { return };
    let p = unique("rs-intruder");
    let dir = spec_dir(&spec(&p, &[("alpha", 10)]));
    let k = kc_arg(&kc);
    let ns = format!("{p}-alpha");
    assert_eq!(run_json(dir.path(), &["apply", "--kubeconfig", &k]).0, 0);
    // Created by kubectl, then given this platform's ApplySet label: a member by label only.
    kubectl(&kc, &["create", "quota", "intruder", "-n", &ns, "--hard=pods=1"]);
    kubectl(
        &kc,
        &[
            "label",
            "resourcequota",
            "intruder",
            "-n",
            &ns,
            &format!("applyset.kubernetes.io/part-of={}", applyset_id(&p)),
        ],
    );
    let (code, r, err) = run_json(dir.path(), &["apply", "--kubeconfig", &k, "--prune", "--allow-data-loss"]);
    assert_eq!(code, 0, "{err}\n{r}");
    let intruder = object(&r, "ResourceQuota", "intruder");
    assert_eq!(intruder["action"], "kept", "{intruder}");
    assert!(
        intruder["detail"].as_str().unwrap_or("").contains("field manager `strata` never applied it"),
        "{intruder}"
    );
    assert!(exists(&kc, &["resourcequota", "intruder", "-n", &ns]), "never applied by strata: not deleted");
    assert_eq!(count(&r, "pruned"), 0, "{r}");
}

#[test]
fn two_platforms_share_a_cluster_scoped_class_and_pruning_one_leaves_the_other() {
    let Some(kc) = cluster("two_platforms_share_a_cluster_scoped_class_and_pruning_one_leaves_the_other") else {
        return;
    };
    let (a, b) = (unique("rs-share-a"), unique("rs-share-b"));
    let class = unique("rs-shared-class");
    let with_class = |p: &str, extra_lines: usize| {
        // The class sits on a different line in each spec: its source annotation differs, its content not.
        format!(
            "{}{}priority-class \"{class}\" value=1000 description=\"shared by two platforms\"\n{}",
            header(p),
            "// padding\n".repeat(extra_lines),
            spec(p, &[("alpha", 10)]).split_once("}\n").map(|(_, t)| t).unwrap_or_default()
        )
    };
    let (da, db) = (spec_dir(&with_class(&a, 0)), spec_dir(&with_class(&b, 3)));
    let k = kc_arg(&kc);
    let (code, r, err) = run_json(da.path(), &["apply", "--kubeconfig", &k]);
    assert_eq!(code, 0, "{err}\n{r}");
    assert_eq!(object(&r, "PriorityClass", &class)["action"], "created", "{r}");
    let class_rv = rv(&kc, &["priorityclass", &class]);

    let (code, r, err) = run_json(db.path(), &["apply", "--kubeconfig", &k]);
    assert_eq!(code, 0, "{err}\n{r}");
    let shared = object(&r, "PriorityClass", &class);
    assert_eq!(shared["action"], "unchanged", "{shared}");
    assert!(shared["detail"].as_str().unwrap_or("").contains(&format!("shared with platform `{a}`")), "{shared}");
    let label = kubectl(
        &kc,
        &["get", "priorityclass", &class, "-o", "jsonpath={.metadata.labels.applyset\\.kubernetes\\.io/part-of}"],
    );
    assert_eq!(label, applyset_id(&a), "the owner's label stays");
    assert_eq!(rv(&kc, &["priorityclass", &class]), class_rv, "B did not write the class");
    // Labels no longer flip: both re-applies are no-ops.
    for d in [&da, &db] {
        let (code, r, err) = run_json(d.path(), &["apply", "--kubeconfig", &k]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(r["requests"]["writes"], 0, "{r}");
    }
    let b_ns = format!("{b}-alpha");
    let b_before = (rv(&kc, &["resourcequota", "tenant-quota", "-n", &b_ns]), rv(&kc, &["namespace", &b_ns]));

    // A leaves the cluster: its spec is only the platform node now.
    write_spec(da.path(), &header(&a));
    let prune = ["apply", "--kubeconfig", &k, "--prune", "--allow-data-loss"];
    let (code, r, err) = run_json(da.path(), &prune);
    assert_eq!(code, 3, "the empty-set guard refuses: {err}\n{r}");
    assert!(r["prune"].as_str().unwrap_or("").starts_with("refused: the spec produces no objects"), "{}", r["prune"]);
    assert_eq!(count(&r, "pruned"), 0);
    assert!(exists(&kc, &["resourcequota", "tenant-quota", "-n", &format!("{a}-alpha")]));

    let mut all = prune.to_vec();
    all.push("--allow-mass-prune");
    let (code, r, err) = run_json(da.path(), &all);
    assert_eq!(code, 0, "{err}\n{r}");
    let kept = object(&r, "PriorityClass", &class);
    assert_eq!(kept["action"], "kept", "{kept}");
    assert!(kept["detail"].as_str().unwrap_or("").contains(&format!("platform `{b}`")), "{kept}");
    assert_eq!(actions(&r)[&format!("ResourceQuota/{a}-alpha/tenant-quota")], "pruned", "{r}");
    assert!(exists(&kc, &["priorityclass", &class]), "B still uses the class");
    assert_eq!(
        (rv(&kc, &["resourcequota", "tenant-quota", "-n", &b_ns]), rv(&kc, &["namespace", &b_ns])),
        b_before,
        "B's objects are untouched"
    );

    // B takes the class over at its next apply.
    let (code, r, err) = run_json(db.path(), &["apply", "--kubeconfig", &k]);
    assert_eq!(code, 0, "{err}\n{r}");
    let adopted = object(&r, "PriorityClass", &class);
    assert_eq!(adopted["action"], "configured", "{adopted}");
    assert!(adopted["detail"].as_str().unwrap_or("").contains(&format!("adopted from platform `{a}`")), "{adopted}");
    let label = kubectl(
        &kc,
        &["get", "priorityclass", &class, "-o", "jsonpath={.metadata.labels.applyset\\.kubernetes\\.io/part-of}"],
    );
    assert_eq!(label, applyset_id(&b));
}

#[test]
fn a_kept_namespace_keeps_its_quota_limits_and_network_policy() {
    let Some(kc) = cluster("a_kept_namespace_keeps_its_quota_limits_and_network_policy") else { return };
    let p = unique("rs-guards");
    let with_limits = |tenants: &[&str]| {
        let mut s = header(&p);
        for t in tenants {
            s.push_str(&format!(
                "tenant \"{t}\" namespace=\"{p}-{t}\" {{\n    quota pods=10\n    limits default-cpu=1 default-memory=\"1Gi\"\n}}\n"
            ));
        }
        s
    };
    let dir = spec_dir(&with_limits(&["alpha", "beta"]));
    let k = kc_arg(&kc);
    let beta = format!("{p}-beta");
    assert_eq!(run_json(dir.path(), &["apply", "--kubeconfig", &k]).0, 0);
    write_spec(dir.path(), &with_limits(&["alpha"]));
    let (code, r, err) = run_json(dir.path(), &["apply", "--kubeconfig", &k, "--prune"]);
    assert_eq!(code, 0, "{err}\n{r}");
    assert_eq!(object(&r, "Namespace", &beta)["action"], "kept");
    for (kind, res) in
        [("ResourceQuota", "resourcequota"), ("LimitRange", "limitrange"), ("NetworkPolicy", "networkpolicy")]
    {
        let o = r["objects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["kind"] == kind && o["namespace"] == beta.as_str())
            .unwrap_or_else(|| panic!("{kind} in {beta} reported: {r}"));
        assert_eq!(o["action"], "kept", "{o}");
        assert!(o["detail"].as_str().unwrap_or("").contains(&format!("its namespace `{beta}` is kept")), "{o}");
        let name = o["name"].as_str().unwrap();
        assert!(exists(&kc, &[res, name, "-n", &beta]), "{kind} stays with its namespace");
    }
    // With --allow-data-loss the namespace goes, and its guards with it.
    let (code, r, err) = run_json(dir.path(), &["apply", "--kubeconfig", &k, "--prune", "--allow-data-loss"]);
    assert_eq!(code, 0, "{err}\n{r}");
    assert_eq!(object(&r, "Namespace", &beta)["action"], "pruned");
    assert!(!exists(&kc, &["resourcequota", "tenant-quota", "-n", &beta]));
}

#[test]
fn removed_kafka_user_is_kept_without_allow_data_loss() {
    let Some(kc) = cluster("removed_kafka_user_is_kept_without_allow_data_loss") else { return };
    let p = unique("rs-user");
    let dir = spec_dir(&spec(&p, &[("alpha", 10)]));
    let ns = format!("{p}-alpha");
    let with_user = |users: &[&str]| -> (strata::Compilation, ManifestSet) {
        let mut c = strata::compile_path(&dir.path().join("platform.kdl"));
        let mut set = c.manifests.take().expect("compiles");
        let t = &c.platform.tenants[0];
        for u in users {
            set.add_value(
                json!({"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaUser",
                       "metadata": {"name": u, "namespace": t.namespace.value, "labels": {"strimzi.io/cluster": "main"}},
                       "spec": {"authentication": {"type": "scram-sha-512"}}}),
                Placement { stage: Stage::Workloads, tenant: Some(t.name.value.clone()), span: t.name.span },
            );
        }
        let mut d = strata::diagnostic::Diagnostics::new();
        set.finish(c.platform.name(), &strata::manifest::ApplySetRef::of(&c.platform), &c.sources, &mut d);
        (c, set)
    };
    runtime().block_on(async {
        let (c, set) = with_user(&["reporting"]);
        let r = apply(connect(&kc).await, &c.platform, &set, &ApplyOptions::default(), &Silent).await.expect("apply");
        assert_eq!(r.summary.failed, 0, "{:?}", r.objects);
        let (c, set) = with_user(&[]);
        let opts = ApplyOptions { prune: true, ..ApplyOptions::default() };
        let r = apply(connect(&kc).await, &c.platform, &set, &opts, &Silent).await.expect("apply");
        let user = r.objects.iter().find(|o| o.name == "reporting").expect("reported");
        assert_eq!(user.action, Action::Kept, "{:?}", user.detail);
        assert!(user.detail.as_deref().unwrap_or("").contains("credentials"), "{:?}", user.detail);
    });
    assert!(exists(&kc, &["kafkauser", "reporting", "-n", &ns]));
}

#[test]
fn a_prune_of_most_of_the_set_is_refused_without_allow_mass_prune() {
    let Some(kc) = cluster("a_prune_of_most_of_the_set_is_refused_without_allow_mass_prune") else { return };
    let p = unique("rs-mass");
    let four = [("a", 1), ("b", 1), ("c", 1), ("d", 1)];
    let dir = spec_dir(&spec(&p, &four));
    let k = kc_arg(&kc);
    assert_eq!(run_json(dir.path(), &["apply", "--kubeconfig", &k]).0, 0);
    write_spec(dir.path(), &spec(&p, &four[..1]));
    let args = ["apply", "--kubeconfig", &k, "--prune", "--allow-data-loss"];
    let o = strata(dir.path(), &args);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}{err}");
    assert!(out.contains("the prune would delete 15 of the set's 20 objects"), "{out}");
    assert!(out.contains("--allow-mass-prune"), "{out}");
    assert!(
        exists(&kc, &["namespace", &format!("{p}-d")])
            && exists(&kc, &["resourcequota", "tenant-quota", "-n", &format!("{p}-d")])
    );
    // plan previews the refusal.
    let (code, r, _) = run_json(dir.path(), &["plan", "--kubeconfig", &k, "--allow-data-loss"]);
    assert_eq!(code, 3, "{r}");
    assert!(r["prune_refused"].as_str().is_some(), "{r}");
    let mut all = args.to_vec();
    all.push("--allow-mass-prune");
    let (code, r, err) = run_json(dir.path(), &all);
    assert_eq!(code, 0, "{err}\n{r}");
    assert_eq!(count(&r, "pruned"), 15, "{r}");
}

/// Adds `extra` objects to the compiled spec of `dir`.
fn compile_with(dir: &Path, extra: &[Value]) -> (strata::Compilation, ManifestSet) {
    let mut c = strata::compile_path(&dir.join("platform.kdl"));
    let mut set = c.manifests.take().expect("spec compiles");
    let t = &c.platform.tenants[0];
    for v in extra {
        let mut v = v.clone();
        v["metadata"]["namespace"] = json!(t.namespace.value);
        set.add_value(v, Placement { stage: Stage::Workloads, tenant: Some(t.name.value.clone()), span: t.name.span });
    }
    let mut d = strata::diagnostic::Diagnostics::new();
    set.finish(c.platform.name(), &strata::manifest::ApplySetRef::of(&c.platform), &c.sources, &mut d);
    (c, set)
}

fn job(image: &str) -> Value {
    json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate"},
           "spec": {"template": {"spec": {"restartPolicy": "Never",
                    "containers": [{"name": "m", "image": image}]}}}})
}

fn claim(class: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
           "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": class,
                    "resources": {"requests": {"storage": "1Gi"}}}})
}

#[test]
fn an_immutable_change_is_reported_and_recreated_only_with_recreate() {
    let Some(kc) = cluster("an_immutable_change_is_reported_and_recreated_only_with_recreate") else { return };
    let p = unique("rs-immutable");
    let dir = spec_dir(&spec(&p, &[("alpha", 10)]));
    let ns = format!("{p}-alpha");
    runtime().block_on(async {
        let (c, set) = compile_with(dir.path(), &[job("busybox:1.36"), claim("fast")]);
        let r = apply(connect(&kc).await, &c.platform, &set, &ApplyOptions::default(), &Silent).await.expect("apply");
        assert_eq!(r.summary.failed, 0, "{:?}", r.objects);
        let job_uid = kubectl(&kc, &["get", "job", "migrate", "-n", &ns, "-o", "jsonpath={.metadata.uid}"]);
        let pvc_uid = kubectl(&kc, &["get", "pvc", "data", "-n", &ns, "-o", "jsonpath={.metadata.uid}"]);

        let (c, set) = compile_with(dir.path(), &[job("busybox:1.37"), claim("slow")]);
        let r = apply(connect(&kc).await, &c.platform, &set, &ApplyOptions::default(), &Silent).await.expect("apply");
        let j = r.objects.iter().find(|o| o.kind == "Job").unwrap();
        assert_eq!(j.action, Action::Failed);
        let detail = j.detail.as_deref().unwrap_or("");
        assert!(detail.contains("immutable") && detail.contains("rerun with --recreate to do it"), "{detail}");
        let v = r.objects.iter().find(|o| o.kind == "PersistentVolumeClaim").unwrap();
        assert!(v.detail.as_deref().unwrap_or("").contains("--recreate --allow-data-loss"), "{:?}", v.detail);

        // --recreate: the Job is deleted and applied again; the claim (data-bearing) is not touched.
        let opts = ApplyOptions { recreate: true, ..ApplyOptions::default() };
        let r = apply(connect(&kc).await, &c.platform, &set, &opts, &Silent).await.expect("apply");
        let j = r.objects.iter().find(|o| o.kind == "Job").unwrap();
        assert_eq!(j.action, Action::Configured, "{:?}", j.detail);
        assert!(j.detail.as_deref().unwrap_or("").starts_with("recreated"), "{:?}", j.detail);
        let v = r.objects.iter().find(|o| o.kind == "PersistentVolumeClaim").unwrap();
        assert_eq!(v.action, Action::Failed);
        assert!(v.detail.as_deref().unwrap_or("").contains("--allow-data-loss"), "{:?}", v.detail);
        assert_ne!(kubectl(&kc, &["get", "job", "migrate", "-n", &ns, "-o", "jsonpath={.metadata.uid}"]), job_uid);
        assert_eq!(
            kubectl(
                &kc,
                &["get", "job", "migrate", "-n", &ns, "-o", "jsonpath={.spec.template.spec.containers[0].image}"]
            ),
            "busybox:1.37"
        );
        assert_eq!(kubectl(&kc, &["get", "pvc", "data", "-n", &ns, "-o", "jsonpath={.metadata.uid}"]), pvc_uid);
    });
}

// ---- the lock ----

#[test]
fn two_runs_with_the_same_user_host_and_pid_do_not_share_the_lock() {
    let Some(kc) = cluster("two_runs_with_the_same_user_host_and_pid_do_not_share_the_lock") else { return };
    let p = unique("rs-twins");
    runtime().block_on(async {
        let kube = connect(&kc).await;
        let d = Duration::from_secs(30);
        let first = lock::acquire(kube.clone(), "strata-system", &p, d, Duration::ZERO).await.expect("first takes it");
        // Same process: same user, host and pid, as two containers of one CI image can have.
        match lock::acquire(kube.clone(), "strata-system", &p, d, Duration::ZERO).await {
            Err(ReconcileError::LockHeld(h)) => assert_eq!(h.holder, first.identity()),
            Err(e) => panic!("unexpected error: {e}"),
            Ok(_) => panic!("the second run also believes it holds the lock"),
        }
        first.release().await.expect("release");
    });
    assert_eq!(lease_holder(&kc, &p), "", "released");
}

#[test]
fn a_lease_stolen_mid_apply_stops_the_run_with_exit_3_before_the_prune() {
    let Some(kc) = cluster("a_lease_stolen_mid_apply_stops_the_run_with_exit_3_before_the_prune") else { return };
    let p = unique("rs-stolen");
    let dir = spec_dir(&spec(&p, &[("alpha", 10), ("beta", 5)]));
    let k = kc_arg(&kc);
    assert_eq!(run_json(dir.path(), &["apply", "--kubeconfig", &k]).0, 0);
    write_spec(dir.path(), &spec(&p, &[("alpha", 20)]));
    // At the first object apply (alpha's quota), another holder takes the lease over.
    let stolen = Arc::new(AtomicBool::new(false));
    let (kc2, p2, stolen2) = (kc.clone(), p.clone(), stolen.clone());
    let hook: Intercept = Arc::new(move |_, _, applies| {
        if applies == 1 && !stolen2.swap(true, Ordering::SeqCst) {
            let now = "2030-01-01T00:00:00.000000Z";
            kubectl(
                &kc2,
                &[
                    "patch",
                    "lease",
                    &format!("strata-{p2}"),
                    "-n",
                    "strata-system",
                    "--type=merge",
                    "-p",
                    &format!(
                        r#"{{"spec":{{"holderIdentity":"thief@elsewhere","renewTime":"{now}","leaseDurationSeconds":30}}}}"#
                    ),
                ],
            );
        }
        None
    });
    let proxy = Proxy::start_with(&kc, Duration::ZERO, None, Some(hook));
    let pkc = proxy_kubeconfig(dir.path(), &proxy.url);
    let o = strata(dir.path(), &["apply", "--kubeconfig", &pkc.display().to_string(), "--prune", "--allow-data-loss"]);
    let (out, err) = text(&o);
    assert!(stolen.load(Ordering::SeqCst), "the hook stole the lease");
    assert_eq!(o.status.code(), Some(3), "{out}{err}");
    assert!(err.contains("lost the platform lock") && err.contains("thief@elsewhere"), "{err}");
    assert!(err.contains("stopped before pruning"), "{err}");
    let beta = format!("{p}-beta");
    assert!(exists(&kc, &["resourcequota", "tenant-quota", "-n", &beta]), "nothing was pruned");
    assert!(exists(&kc, &["namespace", &beta]));
    assert_eq!(lease_holder(&kc, &p), "thief@elsewhere", "the thief's lease is left alone");
}

#[test]
fn the_lock_is_released_when_the_run_fails_after_taking_it() {
    let Some(kc) = cluster("the_lock_is_released_when_the_run_fails_after_taking_it") else { return };
    let p = unique("rs-early");
    let dir = spec_dir(&spec(&p, &[("alpha", 10)]));
    // The inventory write (right after the lock is taken) fails.
    let hook: Intercept = Arc::new(|method, path, _| {
        (method == http::Method::PATCH && path.contains("fieldManager=strata-applyset")).then_some(500)
    });
    let proxy = Proxy::start_with(&kc, Duration::ZERO, None, Some(hook));
    let pkc = proxy_kubeconfig(dir.path(), &proxy.url);
    let t0 = Instant::now();
    let o = strata(dir.path(), &["apply", "--kubeconfig", &pkc.display().to_string()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}{err}");
    assert!(err.contains("writing the ApplySet parent"), "{err}");
    assert!(t0.elapsed() < Duration::from_secs(20));
    assert_eq!(lease_holder(&kc, &p), "", "released at once, not left to expire");
}

#[test]
fn sigterm_releases_the_lock() {
    let Some(kc) = cluster("sigterm_releases_the_lock") else { return };
    let p = unique("rs-sigterm");
    let dir = spec_dir(&spec(&p, &[("alpha", 10), ("beta", 5), ("gamma", 3)]));
    let proxy = Proxy::start(&kc, Duration::from_millis(300), None);
    let pkc = proxy_kubeconfig(dir.path(), &proxy.url);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(dir.path())
        .args(["apply", "--kubeconfig", &pkc.display().to_string(), "--concurrency", "1"])
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(60);
    while lease_holder(&kc, &p).is_empty() {
        assert!(Instant::now() < deadline, "the apply never took the lease");
        std::thread::sleep(Duration::from_millis(50));
    }
    let kill = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(kill.success());
    let o = child.wait_with_output().expect("apply ends");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("interrupted by SIGTERM"), "{err}");
    assert_eq!(lease_holder(&kc, &p), "", "released on SIGTERM");
}

// ---- time-boxes (no cluster needed: nothing answers) ----

fn kubeconfig_with_user(dir: &Path, server: &str, user: &str) -> String {
    let p = dir.join("kubeconfig");
    std::fs::write(
        &p,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: t\n  context:\n    cluster: c\n    user: u\nusers:\n- name: u\n  user:\n{user}current-context: t\n"
        ),
    )
    .expect("write kubeconfig");
    p.display().to_string()
}

fn spec_for_context_t() -> tempfile::TempDir {
    spec_dir(
        "platform \"rs-timeout\" {\n    cluster context=\"t\"\n}\ntenant \"alpha\" namespace=\"rs-timeout-alpha\"\n",
    )
}

#[test]
fn a_blocking_credential_plugin_times_out_with_exit_3_naming_the_server() {
    let dir = spec_for_context_t();
    let plugin = dir.path().join("plugin.sh");
    std::fs::write(&plugin, "#!/bin/sh\nexec sleep 20\n").expect("write plugin");
    std::fs::set_permissions(&plugin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    let kc = kubeconfig_with_user(
        dir.path(),
        "https://127.0.0.1:9",
        &format!(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      interactiveMode: Never\n",
            plugin.display()
        ),
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(dir.path())
        .args(["apply", "--kubeconfig", &kc, "--request-timeout", "2s"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if t0.elapsed() > Duration::from_secs(15) {
            let _ = child.kill();
            panic!("apply still hangs on the credential plugin after 15 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).expect("stderr");
    assert_eq!(status.code(), Some(3), "{err}");
    assert!(err.contains("credential plugin") && err.contains("https://127.0.0.1:9"), "{err}");
}

#[test]
fn a_connection_error_names_the_server() {
    let dir = spec_for_context_t();
    let kc = kubeconfig_with_user(dir.path(), "https://127.0.0.1:1", "    token: x\n");
    let o = strata(dir.path(), &["apply", "--kubeconfig", &kc]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("cannot reach the API server https://127.0.0.1:1"), "{err}");
}

// ---- permissions ----

/// The ClusterRole docs/apply.md documents (its first YAML block under "## Permissions").
fn documented_clusterrole() -> String {
    let doc = std::fs::read_to_string(repo().join("docs/apply.md")).expect("docs/apply.md");
    let section = doc.split("\n## Permissions").nth(1).expect("a Permissions section");
    let block = section.split("```yaml\n").nth(1).expect("a yaml block").split("\n```").next().unwrap();
    block.to_string()
}

/// Removes the ClusterRoleBinding when the test ends, so other suites see `limited` without rights.
struct Unbind<'a>(&'a Path, String);
impl Drop for Unbind<'_> {
    fn drop(&mut self) {
        let _ = kubectl_raw(self.0, &["delete", "clusterrolebinding", &self.1, "--ignore-not-found"]);
    }
}

/// A copy of the bundled platform under another name, with every namespace it uses prefixed, so it
/// shares no namespaced object with the bundled platform (applied by tests/reconcile.rs).
fn bundled_copy(dir: &Path, platform: &str) {
    let repo = repo();
    for entry in ["platform.kdl", "tenants", "kafka", "spark", "airflow", "flink", "jobs", "apps"] {
        let o = std::process::Command::new("cp").arg("-r").arg(repo.join(entry)).arg(dir).status().expect("cp");
        assert!(o.success());
    }
    let mut files = vec![dir.join("platform.kdl")];
    for sub in ["tenants", "kafka", "spark", "airflow", "flink", "jobs", "apps"] {
        for e in std::fs::read_dir(dir.join(sub)).expect("read dir") {
            files.push(e.expect("entry").path());
        }
    }
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        let mut out = String::new();
        for line in text.lines() {
            let mut line = line
                .replace("platform \"acme-data\"", &format!("platform \"{platform}\""))
                .replace("namespace=\"kafka\"", &format!("namespace=\"{platform}-kafka\""))
                .replace("namespace=\"kafka-cdc\"", &format!("namespace=\"{platform}-kafka-cdc\""))
                .replace("namespace=\"marketing-data\"", &format!("namespace=\"{platform}-marketing-data\""));
            if let Some(rest) = line.strip_prefix("tenant \"")
                && !line.contains("namespace=")
                && let Some((name, tail)) = rest.split_once('"')
            {
                line = format!("tenant \"{name}\" namespace=\"{platform}-{name}\"{tail}");
            }
            out.push_str(&line);
            out.push('\n');
        }
        std::fs::write(&f, out).expect("write");
    }
}

#[test]
fn the_documented_clusterrole_applies_and_prunes_the_bundled_platform() {
    let Some(kc) = cluster("the_documented_clusterrole_applies_and_prunes_the_bundled_platform") else { return };
    let role = documented_clusterrole();
    let name = unique("rs-strata-role");
    let role = role.replacen("name: strata\n", &format!("name: {name}\n"), 1);
    assert!(role.contains(&name), "the documented ClusterRole is named `strata`: {role}");
    let p = unique("rs-bundled");
    let work = tempfile::tempdir().expect("tempdir");
    bundled_copy(work.path(), &p);
    // One extra tenant: created by the limited identity, then pruned by it.
    let extra = format!("{p}-extra");
    std::fs::write(
        work.path().join("tenants/zz-extra.kdl"),
        format!("tenant \"extra\" namespace=\"{extra}\" {{\n    quota pods=3\n}}\n"),
    )
    .expect("write tenant");
    // Namespaces the platform uses but does not create (the Kafka clusters') exist; see tests/reconcile.rs.
    let c = bundled_at(work.path());
    let set = c.manifests.expect("the copied platform compiles");
    let created: std::collections::BTreeSet<&str> =
        set.items.iter().filter(|m| m.kind == "Namespace").map(|m| m.name.as_str()).collect();
    for ns in set.items.iter().filter_map(|m| m.namespace.as_deref()).filter(|n| !created.contains(n)) {
        if !exists(&kc, &["namespace", ns]) {
            kubectl(&kc, &["create", "namespace", ns]);
        }
    }
    let role_file = work.path().join("role.yaml");
    let k = kc_arg(&kc);
    let args = [
        "apply",
        "--env",
        BUNDLED_ENV,
        "--kubeconfig",
        &k,
        "--context",
        "strata-test-limited",
        "--prune",
        "--allow-data-loss",
    ];
    let _unbind = Unbind(&kc, name.clone());

    // Without `create` on the core kinds (the inventory ConfigMap and the namespaces are created by a
    // server-side apply, a PATCH), the error names `create`, not `patch`.
    let core = "verbs: [get, list, create, patch, delete]";
    assert!(role.contains(core), "{role}");
    std::fs::write(&role_file, role.replacen(core, "verbs: [get, list, patch, delete]", 1)).expect("write role");
    kubectl(&kc, &["apply", "-f", &role_file.display().to_string()]);
    kubectl(&kc, &["create", "clusterrolebinding", &name, &format!("--clusterrole={name}"), "--user=limited"]);
    let o = strata(work.path(), &args);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}{err}");
    assert!(format!("{out}{err}").contains("grant `create`"), "{out}{err}");
    assert!(!format!("{out}{err}").contains("grant `patch`"), "{out}{err}");

    std::fs::write(&role_file, &role).expect("write role");
    kubectl(&kc, &["apply", "-f", &role_file.display().to_string()]);
    let (code, r, err) = run_json(work.path(), &args);
    assert_eq!(code, 0, "the documented role is enough to apply: {err}\n{r}");
    assert_eq!(count(&r, "failed"), 0, "{r}");
    assert!(exists(&kc, &["resourcequota", "tenant-quota", "-n", &extra]));
    std::fs::remove_file(work.path().join("tenants/zz-extra.kdl")).expect("remove tenant");
    let (code, r, err) = run_json(work.path(), &args);
    assert_eq!(code, 0, "... and to prune: {err}\n{r}");
    assert_eq!(object(&r, "Namespace", &extra)["action"], "pruned", "{r}");
    assert_eq!(actions(&r)[&format!("ResourceQuota/{extra}/tenant-quota")], "pruned", "{r}");
    kubectl(&kc, &["delete", "clusterrole", &name]);
}

// ---- drift ----

fn with_drift(p: &str, policy: Option<&str>) -> String {
    let drift = policy.map(|d| format!("    drift \"{d}\"\n")).unwrap_or_default();
    spec(p, &[("alpha", 10)]).replacen("}\n", &format!("{drift}}}\n"), 1)
}

fn hand_edit(kc: &Path, ns: &str) {
    kubectl(
        kc,
        &[
            "patch",
            "resourcequota",
            "tenant-quota",
            "-n",
            ns,
            "--type=merge",
            "-p",
            r#"{"spec":{"hard":{"pods":"99"}}}"#,
            "--field-manager=kubectl-edit",
        ],
    );
}

fn pods(kc: &Path, ns: &str) -> String {
    kubectl(kc, &["get", "resourcequota", "tenant-quota", "-n", ns, "-o", "jsonpath={.spec.hard.pods}"])
}

#[test]
fn drift_correct_takes_an_edited_field_back_and_says_so() {
    let Some(kc) = cluster("drift_correct_takes_an_edited_field_back_and_says_so") else { return };
    let p = unique("rs-drift-c");
    let dir = spec_dir(&with_drift(&p, Some("correct")));
    let k = kc_arg(&kc);
    let ns = format!("{p}-alpha");
    assert_eq!(run_json(dir.path(), &["apply", "--kubeconfig", &k]).0, 0);
    hand_edit(&kc, &ns);
    let (code, r, err) = run_json(dir.path(), &["apply", "--kubeconfig", &k, "--prune"]);
    assert_eq!(code, 0, "{err}\n{r}");
    let q = object(&r, "ResourceQuota", "tenant-quota");
    assert_eq!(q["action"], "configured", "{q}");
    assert!(
        q["detail"].as_str().unwrap_or("").contains("took back .spec.hard.pods (changed by `kubectl-edit`)"),
        "{q}"
    );
    assert_eq!(pods(&kc, &ns), "10");
}

#[test]
fn drift_report_leaves_the_edit_and_reports_it() {
    let Some(kc) = cluster("drift_report_leaves_the_edit_and_reports_it") else { return };
    let p = unique("rs-drift-r");
    let dir = spec_dir(&with_drift(&p, Some("report")));
    let k = kc_arg(&kc);
    let ns = format!("{p}-alpha");
    assert_eq!(run_json(dir.path(), &["apply", "--kubeconfig", &k]).0, 0);
    hand_edit(&kc, &ns);
    let (code, r, err) = run_json(dir.path(), &["apply", "--kubeconfig", &k, "--prune"]);
    assert_eq!(code, 0, "a reported drift does not fail the pipeline: {err}\n{r}");
    let q = object(&r, "ResourceQuota", "tenant-quota");
    assert_eq!(q["action"], "drifted", "{q}");
    assert!(q["detail"].as_str().unwrap_or("").contains(".spec.hard.pods (changed by `kubectl-edit`)"), "{q}");
    assert_eq!(count(&r, "drifted"), 1);
    assert_eq!(pods(&kc, &ns), "99", "left as it is");
}

#[test]
fn strata_drift_reports_edits_read_only_in_every_format() {
    let Some(kc) = cluster("strata_drift_reports_edits_read_only_in_every_format") else { return };
    let p = unique("rs-drift");
    let dir = spec_dir(&with_drift(&p, None));
    let k = kc_arg(&kc);
    let ns = format!("{p}-alpha");
    assert_eq!(run_json(dir.path(), &["apply", "--kubeconfig", &k]).0, 0);
    let o = strata(dir.path(), &["drift", "--kubeconfig", &k]);
    assert_eq!(o.status.code(), Some(0), "in sync right after an apply: {:?}", text(&o));

    hand_edit(&kc, &ns);
    kubectl(&kc, &["label", "namespace", &ns, "pod-security.kubernetes.io/enforce=privileged", "--overwrite"]);
    let quota_rv = rv(&kc, &["resourcequota", "tenant-quota", "-n", &ns]);
    let o = strata(dir.path(), &["drift", "--kubeconfig", &k]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains(&format!("modified  ResourceQuota/{ns}/tenant-quota")), "{out}");
    assert!(out.contains(".spec.hard.pods changed by `kubectl-edit`"), "{out}");
    assert!(out.contains(".metadata.labels.pod-security.kubernetes.io/enforce changed by `kubectl-label`"), "{out}");
    let (code, r, _) = run_json(dir.path(), &["drift", "--kubeconfig", &k]);
    assert_eq!(code, 1);
    assert_eq!(r["drifted"], 2, "{r}");
    let md = strata(dir.path(), &["drift", "--kubeconfig", &k, "--output", "markdown"]);
    let (md, _) = text(&md);
    assert!(
        md.contains(&format!("| modified | `ResourceQuota/{ns}/tenant-quota` | `.spec.hard.pods` (`kubectl-edit`) |")),
        "{md}"
    );
    assert_eq!(r["requests"]["writes"], 0, "drift writes nothing");
    assert_eq!(rv(&kc, &["resourcequota", "tenant-quota", "-n", &ns]), quota_rv);
    assert_eq!(pods(&kc, &ns), "99");

    // An unreachable cluster is exit 3.
    let o = strata(
        dir.path(),
        &[
            "drift",
            "--kubeconfig",
            &kubeconfig_with_user(dir.path(), "https://127.0.0.1:1", "    token: x\n"),
            "--context",
            "t",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{:?}", text(&o));
}

#[test]
fn an_unknown_drift_policy_is_an_invalid_value() {
    let dir = spec_dir("platform \"p\" {\n    drift \"fix\"\n}\n");
    let o = strata(dir.path(), &["check"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("strata::spec::invalid-value") && err.contains("`fix` is not a valid drift policy"), "{err}");
    assert!(err.contains("did you mean") || err.contains("`correct`, `report`"), "{err}");
    let dir = spec_dir("platform \"p\" {\n    drift \"report\"\n}\n");
    assert_eq!(strata(dir.path(), &["check"]).status.code(), Some(0));
}

// ---- environments ----

/// A copy of the test kubeconfig with two more contexts, `<run>-stg` and `<run>-prod`, on the test cluster:
/// two "clusters" for two environments.
fn two_context_kubeconfig(kc: &Path, dir: &Path, run: &str) -> std::path::PathBuf {
    let copy = dir.join("kubeconfig");
    std::fs::copy(kc, &copy).expect("copy the kubeconfig");
    let cluster = kubectl(&copy, &["config", "view", "--minify", "-o", "jsonpath={.contexts[0].context.cluster}"]);
    let user = kubectl(&copy, &["config", "view", "--minify", "-o", "jsonpath={.contexts[0].context.user}"]);
    for ctx in [format!("{run}-stg"), format!("{run}-prod")] {
        kubectl(&copy, &["config", "set-context", &ctx, &format!("--cluster={cluster}"), &format!("--user={user}")]);
    }
    copy
}

fn strs(a: &[String]) -> Vec<&str> {
    a.iter().map(String::as_str).collect()
}

#[test]
fn two_environments_have_their_own_inventory_and_pruning_one_never_touches_the_other() {
    let Some(kc) = cluster("two_environments_have_their_own_inventory_and_pruning_one_never_touches_the_other") else {
        return;
    };
    let p = unique("rs-env");
    let spec = |staging_extra: &str| {
        format!(
            r#"platform "{p}" {{
    cluster context="{p}-dev"
    inventory namespace="strata-system"
}}
tenant "alpha" namespace="{p}-alpha" {{
    quota pods=10
}}
tenant "beta" namespace="{p}-beta" {{
    quota pods=10
}}
environment "staging" context="{p}-stg" {{
    tenant "alpha" namespace="{p}-stg-alpha"
    tenant "beta" namespace="{p}-stg-beta"
{staging_extra}}}
environment "production" context="{p}-prod" {{
    tenant "alpha" namespace="{p}-prod-alpha" {{
        quota pods=20
    }}
    tenant "beta" namespace="{p}-prod-beta"
}}
"#
        )
    };
    let dir = spec_dir(&spec(""));
    let kube = two_context_kubeconfig(&kc, dir.path(), &p);
    let k = kube.display().to_string();

    // Without --env the spec cannot be applied at all; with one, only to that environment's context.
    let (code, _, err) = run_json(dir.path(), &["apply", "--kubeconfig", &k]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("strata::env::required"), "{err}");
    let (code, _, err) = run_json(dir.path(), &["apply", "--env", "production", "--kubeconfig", &k]);
    assert_eq!(code, 2, "the current context is not production's: {err}");

    let stg = ["apply", "--env", "staging", "--kubeconfig", &k, "--context", &format!("{p}-stg")].map(String::from);
    let prod =
        ["apply", "--env", "production", "--kubeconfig", &k, "--context", &format!("{p}-prod")].map(String::from);
    for a in [&stg, &prod] {
        let (code, r, err) = run_json(dir.path(), &strs(a));
        assert_eq!(code, 0, "{err}\n{r}");
    }
    let quota = |ns: &str| {
        kubectl(&kc, &["get", "resourcequota", "tenant-quota", "-n", ns, "-o", "jsonpath={.spec.hard.pods}"])
    };
    assert_eq!(quota(&format!("{p}-stg-alpha")), "10");
    assert_eq!(quota(&format!("{p}-prod-alpha")), "20");
    // Two inventories, two locks.
    for env in ["staging", "production"] {
        assert!(exists(&kc, &["configmap", &format!("strata-{p}-{env}"), "-n", "strata-system"]), "{env}'s inventory");
    }
    let prod_before = (
        rv(&kc, &["resourcequota", "tenant-quota", "-n", &format!("{p}-prod-alpha")]),
        rv(&kc, &["namespace", &format!("{p}-prod-alpha")]),
    );

    // Staging drops tenant alpha and prunes; production keeps every object, unwritten.
    write_spec(dir.path(), &spec("    (remove)tenant \"alpha\"\n"));
    let mut pruning = stg.to_vec();
    pruning.extend(["--prune", "--allow-data-loss"].map(String::from));
    let (code, r, err) = run_json(dir.path(), &strs(&pruning));
    assert_eq!(code, 0, "{err}\n{r}");
    assert_eq!(actions(&r)[&format!("ResourceQuota/{p}-stg-alpha/tenant-quota")], "pruned", "{r}");
    assert!(!with_action(&r, "pruned").iter().any(|o| o.contains("-prod-")), "staging pruned production: {r}");
    assert_eq!(
        (
            rv(&kc, &["resourcequota", "tenant-quota", "-n", &format!("{p}-prod-alpha")]),
            rv(&kc, &["namespace", &format!("{p}-prod-alpha")]),
        ),
        prod_before,
        "production's objects are untouched"
    );
    // Production's own apply finds nothing to do.
    let (code, r, err) = run_json(dir.path(), &strs(&prod));
    assert_eq!(code, 0, "{err}\n{r}");
    assert_eq!(r["requests"]["writes"], 0, "{r}");
}
