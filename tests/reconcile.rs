//! The reconciler against a real kube-apiserver (scripts/test-cluster: Kubernetes 1.20.2 with the
//! Strimzi, Spark and Flink CRDs). Every test uses its own platform name and namespaces (see
//! `support::unique`), so the tests run in parallel and reruns against a reused cluster do not collide;
//! the bundled platform's fixed namespaces are used by one test only. Without a cluster each test says
//! `SKIPPED` on stderr and passes, except under `CI=true`, where it fails (see tests/support).

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use strata::manifest::{ManifestSet, Placement, Stage};
use strata::reconcile::apply::{ApplyOptions, Silent, apply};
use strata::reconcile::{Action, ReconcileError};
use support::*;

/// A platform of `tenants` (name, pods quota), each in namespace `<platform>-<name>`.
fn spec(platform: &str, tenants: &[(&str, u32)]) -> String {
    let mut s = format!(
        "platform \"{platform}\" {{\n    cluster context=\"strata-test\"\n    inventory namespace=\"strata-system\"\n}}\n"
    );
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

#[test]
fn bundled_platform_applies_then_reapplies_with_zero_writes_and_plans_clean() {
    let Some(kc) = cluster("bundled_platform_applies_then_reapplies_with_zero_writes_and_plans_clean") else { return };
    let repo = repo();
    let k = kc_arg(&kc);
    let inventory = format!("strata-{BUNDLED_INVENTORY}");
    let fresh = !exists(&kc, &["configmap", &inventory, "-n", "strata-system"]);
    // Namespaces the platform uses but does not own (the Kafka clusters' namespaces, where Strimzi runs on
    // a real cluster) exist before strata is applied; the bare test apiserver has none of them.
    let c = bundled();
    let set = c.manifests.expect("the bundled platform compiles");
    let created: std::collections::BTreeSet<&str> =
        set.items.iter().filter(|m| m.kind == "Namespace").map(|m| m.name.as_str()).collect();
    let external: std::collections::BTreeSet<&str> =
        set.items.iter().filter_map(|m| m.namespace.as_deref()).filter(|n| !created.contains(n)).collect();
    for ns in external {
        if !exists(&kc, &["namespace", ns]) {
            kubectl(&kc, &["create", "namespace", ns]);
        }
    }
    // The spec belongs to `prod-eks`; naming the test context explicitly is the deliberate override.
    let args = ["apply", "--env", BUNDLED_ENV, "--kubeconfig", &k, "--context", "strata-test"];
    let t0 = Instant::now();
    let (code, first, err) = run_json(&repo, &args);
    let first_ms = t0.elapsed().as_millis();
    assert_eq!(code, 0, "first apply failed: {err}\n{first}");
    let total = first["objects"].as_array().map_or(0, Vec::len) as u64;
    assert!(total >= 17, "{first}");
    assert_eq!(count(&first, "failed"), 0);
    // Cluster-scoped classes another platform on the cluster applied first stay that platform's (see
    // docs/apply.md, shared cluster-scoped objects): left alone, without this platform's label.
    let shared = first["objects"]
        .as_array()
        .map_or(0, |o| o.iter().filter(|o| o["detail"].as_str().is_some_and(|d| d.starts_with("shared with"))).count())
        as u64;
    if fresh {
        assert_eq!(count(&first, "created"), total - shared, "a fresh cluster gets every object created: {first}");
    }
    let id = applyset_id(BUNDLED_INVENTORY);
    let kinds: std::collections::BTreeSet<String> = set
        .items
        .iter()
        .map(|m| match m.group() {
            "" => m.kind.to_lowercase(),
            g => format!("{}.{g}", m.kind.to_lowercase()),
        })
        .collect();
    let kinds = kinds.into_iter().collect::<Vec<_>>().join(",");
    let before = member_versions(&kc, &id, &kinds);
    assert_eq!(before.len() as u64, total - shared, "every object carries the ApplySet label: {before:?}");
    let parent_before = kubectl(
        &kc,
        &[
            "get",
            "configmap,lease",
            "-n",
            "strata-system",
            "-o",
            "jsonpath={.items[*].metadata.resourceVersion}",
            "--field-selector",
            &format!("metadata.name={inventory}"),
        ],
    );

    let t1 = Instant::now();
    let (code, again, err) = run_json(&repo, &args);
    let again_ms = t1.elapsed().as_millis();
    assert_eq!(code, 0, "re-apply failed: {err}");
    assert_eq!(count(&again, "unchanged"), total, "{again}");
    assert!(again["objects"].as_array().unwrap().iter().all(|o| o["action"] == "unchanged"));
    assert_eq!(again["requests"]["writes"], 0, "a no-op apply sends no write at all: {}", again["requests"]);
    assert_members_unchanged(&before, &member_versions(&kc, &id, &kinds), "re-apply persisted something");
    let parent_after = kubectl(
        &kc,
        &[
            "get",
            "configmap,lease",
            "-n",
            "strata-system",
            "-o",
            "jsonpath={.items[*].metadata.resourceVersion}",
            "--field-selector",
            &format!("metadata.name={inventory}"),
        ],
    );
    assert_eq!(parent_before, parent_after, "the ApplySet parent and the lock were not touched");
    eprintln!(
        "bundled platform: {total} objects; first apply {first_ms} ms ({}), re-apply {again_ms} ms ({} reads, 0 writes)",
        first["requests"], again["requests"]["reads"]
    );

    let mut plan = args.to_vec();
    plan[0] = "plan";
    let (code, report, err) = run_json(&repo, &plan);
    assert_eq!(code, 0, "plan right after apply shows no changes: {err}\n{report}");
    assert_eq!(count(&report, "unchanged"), total);
    // Objects apply would skip get no dry run: the plan reads what the no-op apply read, nothing more.
    assert_eq!(report["requests"], again["requests"], "plan of an unchanged platform sends no dry run per object");
}

#[test]
fn one_field_changed_configures_one_object_and_plan_shows_it() {
    let Some(kc) = cluster("one_field_changed_configures_one_object_and_plan_shows_it") else { return };
    let p = unique("rt-one");
    let dir = spec_dir(&spec(&p, &[("alpha", 10), ("beta", 5)]));
    let k = kc_arg(&kc);
    let (code, r, err) = run_json(dir.path(), &["apply", "--kubeconfig", &k]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(count(&r, "created"), 10, "{r}");

    write_spec(dir.path(), &spec(&p, &[("alpha", 20), ("beta", 5)]));
    let o = strata(dir.path(), &["plan", "--kubeconfig", &k]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "plan after a spec change exits 1: {out}{err}");
    assert!(out.contains(&format!("configured ResourceQuota/{p}-alpha/tenant-quota")), "{out}");
    assert!(out.contains("-    pods: \"10\"") && out.contains("+    pods: \"20\""), "the diff shows the field: {out}");
    assert!(!out.contains("resourceVersion") && !out.contains("managedFields"), "bookkeeping is stripped: {out}");

    let (code, r, err) = run_json(dir.path(), &["apply", "--kubeconfig", &k]);
    assert_eq!(code, 0, "{err}");
    let acts = actions(&r);
    assert_eq!(acts[&format!("ResourceQuota/{p}-alpha/tenant-quota")], "configured");
    assert_eq!(count(&r, "configured"), 1, "{acts:?}");
    assert_eq!(count(&r, "unchanged"), 9, "{acts:?}");
    let live = kubectl(
        &kc,
        &["get", "resourcequota", "tenant-quota", "-n", &format!("{p}-alpha"), "-o", "jsonpath={.spec.hard.pods}"],
    );
    assert_eq!(live, "20");

    let o = strata(dir.path(), &["plan", "--kubeconfig", &k]);
    assert_eq!(o.status.code(), Some(0), "plan after the apply is clean: {:?}", text(&o));
}

#[test]
fn removed_tenant_keeps_its_namespace_and_its_guards_without_allow_data_loss() {
    let Some(kc) = cluster("removed_tenant_keeps_its_namespace_and_its_guards_without_allow_data_loss") else {
        return;
    };
    let p = unique("rt-prune");
    let dir = spec_dir(&spec(&p, &[("alpha", 10), ("beta", 5)]));
    let k = kc_arg(&kc);
    let beta = format!("{p}-beta");
    let (code, _, err) = run_json(dir.path(), &["apply", "--kubeconfig", &k]);
    assert_eq!(code, 0, "{err}");

    write_spec(dir.path(), &spec(&p, &[("alpha", 10)]));
    // Without --prune nothing is deleted; the orphans are reported as kept.
    let (code, r, _) = run_json(dir.path(), &["apply", "--kubeconfig", &k]);
    assert_eq!(code, 0);
    assert_eq!(count(&r, "kept"), 5, "{r}");
    assert!(exists(&kc, &["resourcequota", "tenant-quota", "-n", &beta]));

    let (code, r, err) = run_json(dir.path(), &["apply", "--kubeconfig", &k, "--prune"]);
    assert_eq!(code, 0, "{err}\n{r}");
    let acts = actions(&r);
    // A kept namespace keeps its quota and network policy: pruning them would leave it unlimited and open.
    assert_eq!(acts[&format!("ResourceQuota/{beta}/tenant-quota")], "kept");
    assert_eq!(acts[&format!("NetworkPolicy/{beta}/tenant-isolation")], "kept");
    assert_eq!(acts[&format!("NetworkPolicy/{beta}/strata-flow-dns")], "kept");
    assert_eq!(acts[&format!("Namespace/{beta}")], "kept");
    let ns_report = r["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "Namespace" && o["name"] == beta.as_str())
        .unwrap();
    let reason = ns_report["detail"].as_str().unwrap_or("");
    assert!(reason.contains("deletes everything in it") && reason.contains("--allow-data-loss"), "{reason}");
    assert!(exists(&kc, &["resourcequota", "tenant-quota", "-n", &beta]), "the quota stays with its namespace");
    assert!(exists(&kc, &["namespace", &beta]), "the namespace is kept");
    // The kept namespace is still a member, so this later run finds it.
    let (code, r, err) = run_json(dir.path(), &["apply", "--kubeconfig", &k, "--prune", "--allow-data-loss"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(actions(&r)[&format!("Namespace/{beta}")], "pruned");
    assert_eq!(actions(&r)[&format!("ResourceQuota/{beta}/tenant-quota")], "pruned");
    assert!(!exists(&kc, &["namespace", &beta]), "the namespace is deleted (terminating)");
    assert!(exists(&kc, &["namespace", &format!("{p}-alpha")]));
}

#[test]
fn objects_of_other_applysets_and_unlabelled_objects_are_never_pruned() {
    let Some(kc) = cluster("objects_of_other_applysets_and_unlabelled_objects_are_never_pruned") else { return };
    let p = unique("rt-foreign");
    let dir = spec_dir(&spec(&p, &[("alpha", 10)]));
    let k = kc_arg(&kc);
    let ns = format!("{p}-alpha");
    let (code, _, err) = run_json(dir.path(), &["apply", "--kubeconfig", &k]);
    assert_eq!(code, 0, "{err}");
    // Same kinds and namespace as the set's members, so a prune that ignored labels would find them.
    kubectl(&kc, &["create", "quota", "other-set", "-n", &ns, "--hard=pods=1"]);
    kubectl(
        &kc,
        &[
            "label",
            "resourcequota",
            "other-set",
            "-n",
            &ns,
            "applyset.kubernetes.io/part-of=applyset-someone-else-v1",
            "app.kubernetes.io/managed-by=strata",
        ],
    );
    kubectl(&kc, &["create", "quota", "unlabelled", "-n", &ns, "--hard=pods=2"]);

    let (code, r, err) = run_json(dir.path(), &["apply", "--kubeconfig", &k, "--prune", "--allow-data-loss"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(count(&r, "pruned"), 0, "{r}");
    let keys = actions(&r);
    assert!(keys.keys().all(|k| !k.contains("other-set") && !k.contains("unlabelled")), "{keys:?}");
    assert!(exists(&kc, &["resourcequota", "other-set", "-n", &ns]));
    assert!(exists(&kc, &["resourcequota", "unlabelled", "-n", &ns]));
}

#[test]
fn prune_disabled_annotation_keeps_an_object() {
    let Some(kc) = cluster("prune_disabled_annotation_keeps_an_object") else { return };
    let p = unique("rt-keep");
    let dir = spec_dir(&spec(&p, &[("alpha", 10), ("beta", 5)]));
    let k = kc_arg(&kc);
    let beta = format!("{p}-beta");
    assert_eq!(run_json(dir.path(), &["apply", "--kubeconfig", &k]).0, 0);
    kubectl(&kc, &["annotate", "resourcequota", "tenant-quota", "-n", &beta, "strata.dev/prune=disabled"]);
    write_spec(dir.path(), &spec(&p, &[("alpha", 10)]));
    let (code, r, err) = run_json(dir.path(), &["apply", "--kubeconfig", &k, "--prune", "--allow-data-loss"]);
    assert_eq!(code, 0, "{err}");
    let acts = actions(&r);
    assert_eq!(acts[&format!("ResourceQuota/{beta}/tenant-quota")], "kept");
    assert_eq!(acts[&format!("NetworkPolicy/{beta}/tenant-isolation")], "pruned");
    assert!(exists(&kc, &["resourcequota", "tenant-quota", "-n", &beta]));
}

#[test]
fn conflict_with_another_field_manager_is_reported_then_forced() {
    let Some(kc) = cluster("conflict_with_another_field_manager_is_reported_then_forced") else { return };
    let p = unique("rt-conflict");
    let dir = spec_dir(&spec(&p, &[("alpha", 10)]));
    let k = kc_arg(&kc);
    let ns = format!("{p}-alpha");
    assert_eq!(run_json(dir.path(), &["apply", "--kubeconfig", &k]).0, 0);
    kubectl(
        &kc,
        &[
            "patch",
            "resourcequota",
            "tenant-quota",
            "-n",
            &ns,
            "--type=merge",
            "-p",
            r#"{"spec":{"hard":{"pods":"99"}}}"#,
            "--field-manager=ops-team",
        ],
    );

    let o = strata(dir.path(), &["apply", "--kubeconfig", &k, "--prune"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "a conflict fails the apply: {out}{err}");
    assert!(out.contains(&format!("failed  ResourceQuota/{ns}/tenant-quota")), "{out}");
    assert!(out.contains("conflict: .spec.hard.pods is owned by field manager `ops-team`"), "{out}");
    assert!(out.contains("--force-conflicts"), "{out}");
    assert!(out.contains("prune: skipped: 1 object(s) failed to apply"), "nothing is pruned after a failure: {out}");
    let (code, r, _) = run_json(dir.path(), &["apply", "--kubeconfig", &k]);
    assert_eq!(code, 3);
    let failed = r["objects"].as_array().unwrap().iter().find(|o| o["action"] == "failed").unwrap();
    assert_eq!(failed["error"]["conflicts"], json!([{"field": ".spec.hard.pods", "manager": "ops-team"}]));
    assert_eq!(failed["error"]["code"], 409);

    let (code, r, err) = run_json(dir.path(), &["apply", "--kubeconfig", &k, "--force-conflicts"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(actions(&r)[&format!("ResourceQuota/{ns}/tenant-quota")], "configured");
    let live = kubectl(&kc, &["get", "resourcequota", "tenant-quota", "-n", &ns, "-o", "jsonpath={.spec.hard.pods}"]);
    assert_eq!(live, "10");
}

#[test]
fn concurrent_applies_one_fails_naming_the_other() {
    let Some(kc) = cluster("concurrent_applies_one_fails_naming_the_other") else { return };
    let p = unique("rt-lock");
    let dir = spec_dir(&spec(&p, &[("alpha", 10), ("beta", 5), ("gamma", 3)]));
    let k = kc_arg(&kc);
    // The first apply goes through a proxy that slows every request, so it is certainly still running
    // (holding the lease) when the second starts.
    let proxy = Proxy::start(&kc, Duration::from_millis(250), None);
    let pkc = proxy_kubeconfig(dir.path(), &proxy.url);
    let mut first = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(dir.path())
        .args(["apply", "--kubeconfig", &pkc.display().to_string(), "--concurrency", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let lease = format!("strata-{p}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let holder =
            kubectl_raw(&kc, &["get", "lease", &lease, "-n", "strata-system", "-o", "jsonpath={.spec.holderIdentity}"]);
        if holder.status.success() && !holder.stdout.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "the first apply never took the lease");
        std::thread::sleep(Duration::from_millis(50));
    }
    let o = strata(dir.path(), &["apply", "--kubeconfig", &k]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains(&format!("platform `{p}` is being applied by")), "{err}");
    assert!(err.contains(&format!("pid {}", first.id())), "names the holder: {err}");
    assert!(err.contains(" since 20"), "says since when: {err}");
    let status = first.wait().expect("first apply ends");
    assert!(status.success(), "the first apply completes");
    // The lock is released: the next apply proceeds (and has nothing to do).
    let (code, r, err) = run_json(dir.path(), &["apply", "--kubeconfig", &k]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(count(&r, "unchanged"), 15);
}

#[test]
fn apiserver_killed_mid_apply_exits_3_prunes_nothing_and_the_next_apply_converges() {
    let Some(kc) = cluster("apiserver_killed_mid_apply_exits_3_prunes_nothing_and_the_next_apply_converges") else {
        return;
    };
    let p = unique("rt-kill");
    let dir = spec_dir(&spec(&p, &[("alpha", 10), ("beta", 5)]));
    let k = kc_arg(&kc);
    assert_eq!(run_json(dir.path(), &["apply", "--kubeconfig", &k]).0, 0);
    // The new spec drops beta (prune candidates), changes alpha and adds gamma: applies to send are
    // Namespace gamma (1st), then in the tenancy stage alpha's quota and gamma's objects. The proxy
    // "kills the apiserver" at the 3rd object apply.
    write_spec(dir.path(), &spec(&p, &[("alpha", 20), ("gamma", 3)]));
    let proxy = Proxy::start(&kc, Duration::ZERO, Some(3));
    let pkc = proxy_kubeconfig(dir.path(), &proxy.url);
    let (code, r, err) = run_json(
        dir.path(),
        &[
            "apply",
            "--kubeconfig",
            &pkc.display().to_string(),
            "--prune",
            "--concurrency",
            "1",
            "--lease-duration",
            "3s",
        ],
    );
    assert!(proxy.killed(), "the proxy cut the connection");
    assert_eq!(code, 3, "{err}\n{r}");
    assert!(count(&r, "failed") >= 1, "{r}");
    assert_eq!(count(&r, "pruned"), 0, "{r}");
    assert!(r["prune"].as_str().unwrap_or("").starts_with("skipped"), "{}", r["prune"]);
    let failure = r["objects"].as_array().unwrap().iter().find(|o| o["action"] == "failed").unwrap();
    assert_eq!(failure["error"]["reason"], "Unreachable", "{failure}");
    let beta = format!("{p}-beta");
    assert!(exists(&kc, &["resourcequota", "tenant-quota", "-n", &beta]), "nothing was pruned");
    drop(proxy);

    // The dead run could not release its lease; it expires (3 s here) and the next apply takes over.
    // --allow-data-loss: beta's namespace goes, and its quota with it (a kept namespace keeps its quota).
    let (code, r, err) =
        run_json(dir.path(), &["apply", "--kubeconfig", &k, "--prune", "--allow-data-loss", "--lock-timeout", "30s"]);
    assert_eq!(code, 0, "{err}\n{r}");
    assert_eq!(count(&r, "failed"), 0);
    assert!(!exists(&kc, &["resourcequota", "tenant-quota", "-n", &beta]), "pruned now");
    assert_eq!(
        kubectl(
            &kc,
            &["get", "resourcequota", "tenant-quota", "-n", &format!("{p}-alpha"), "-o", "jsonpath={.spec.hard.pods}"]
        ),
        "20"
    );
    assert!(exists(&kc, &["resourcequota", "tenant-quota", "-n", &format!("{p}-gamma")]));
    let (code, r, _) = run_json(dir.path(), &["apply", "--kubeconfig", &k, "--prune"]);
    assert_eq!(code, 0);
    assert_eq!(r["requests"]["writes"], 0, "converged: {r}");
}

#[test]
fn wrong_context_is_refused_before_any_request() {
    let Some(kc) = cluster("wrong_context_is_refused_before_any_request") else { return };
    let p = unique("rt-ctx");
    let dir = spec_dir(&spec(&p, &[("alpha", 10)]).replace("context=\"strata-test\"", "context=\"prod-eks\""));
    let k = kc_arg(&kc);
    for cmd in ["apply", "plan"] {
        let o = strata(dir.path(), &[cmd, "--kubeconfig", &k]);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains("this spec belongs to kube context `prod-eks`, but the current context is `strata-test`"),
            "{err}"
        );
        assert!(err.contains("platform.kdl:2"), "points at the spec line: {err}");
    }
    assert!(!exists(&kc, &["namespace", &format!("{p}-alpha")]));
    let o = strata(dir.path(), &["apply", "--kubeconfig", &k, "--context", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("the kubeconfig has no context `nope`"), "{:?}", text(&o));
}

#[test]
fn least_privilege_token_gets_a_clear_forbidden_error() {
    let Some(kc) = cluster("least_privilege_token_gets_a_clear_forbidden_error") else { return };
    let p = unique("rt-rbac");
    let dir = spec_dir(&spec(&p, &[("alpha", 10)]));
    let k = kc_arg(&kc);
    for cmd in ["apply", "plan"] {
        let o = strata(dir.path(), &[cmd, "--kubeconfig", &k, "--context", "strata-test-limited"]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(3), "{out}{err}");
        assert!(err.contains("forbidden: user `limited` may not get configmaps in namespace `strata-system`"), "{err}");
        assert!(err.contains("help: grant `get` on `configmaps`"), "{err}");
    }
    assert!(!exists(&kc, &["namespace", &format!("{p}-alpha")]));
}

// ---- library-level tests: objects strata's own nodes do not emit yet (KafkaTopic) are added to the
// compiled set directly, then go through the same engine as `strata apply`.

/// Compiles `spec` and adds KafkaTopics `topics` in the first tenant's namespace.
fn compile_with_topics(dir: &Path, topics: &[&str]) -> (strata::Compilation, ManifestSet) {
    let mut c = strata::compile_path(&dir.join("platform.kdl"));
    let mut set = c.manifests.take().expect("spec compiles");
    let tenant = &c.platform.tenants[0];
    for t in topics {
        set.add_value(
            json!({
                "apiVersion": "kafka.strimzi.io/v1",
                "kind": "KafkaTopic",
                "metadata": {"name": t, "namespace": tenant.namespace.value, "labels": {"strimzi.io/cluster": "main"}},
                "spec": {"partitions": 3, "replicas": 1}
            }),
            Placement { stage: Stage::Workloads, tenant: Some(tenant.name.value.clone()), span: tenant.name.span },
        );
    }
    let mut d = strata::diagnostic::Diagnostics::new();
    set.finish(c.platform.name(), &strata::manifest::ApplySetRef::of(&c.platform), &c.sources, &mut d);
    (c, set)
}

#[test]
fn removed_topic_is_kept_without_allow_data_loss_and_pruned_with_it() {
    let Some(kc) = cluster("removed_topic_is_kept_without_allow_data_loss_and_pruned_with_it") else { return };
    let p = unique("rt-topic");
    let dir = spec_dir(&spec(&p, &[("alpha", 10)]));
    let ns = format!("{p}-alpha");
    runtime().block_on(async {
        let (c, set) = compile_with_topics(dir.path(), &["orders", "clicks"]);
        let r = apply(connect(&kc).await, &c.platform, &set, &ApplyOptions::default(), &Silent).await.expect("apply");
        assert_eq!(r.summary.created, 7, "{:?}", r.summary);

        let (c, set) = compile_with_topics(dir.path(), &["orders"]);
        let opts = ApplyOptions { prune: true, ..ApplyOptions::default() };
        let r = apply(connect(&kc).await, &c.platform, &set, &opts, &Silent).await.expect("apply");
        let clicks = r.objects.iter().find(|o| o.name == "clicks").expect("reported");
        assert_eq!(clicks.action, Action::Kept);
        assert!(
            clicks.detail.as_deref().unwrap_or("").contains("deletes the topic and its data"),
            "{:?}",
            clicks.detail
        );
        assert!(exists(&kc, &["kafkatopic", "clicks", "-n", &ns]));

        let opts = ApplyOptions { prune: true, allow_data_loss: true, ..ApplyOptions::default() };
        let r = apply(connect(&kc).await, &c.platform, &set, &opts, &Silent).await.expect("apply");
        assert_eq!(r.objects.iter().find(|o| o.name == "clicks").expect("reported").action, Action::Pruned);
        assert!(!exists(&kc, &["kafkatopic", "clicks", "-n", &ns]));
        assert!(exists(&kc, &["kafkatopic", "orders", "-n", &ns]));
    });
}

#[test]
fn wait_reports_a_topic_made_ready_and_one_that_times_out() {
    let Some(kc) = cluster("wait_reports_a_topic_made_ready_and_one_that_times_out") else { return };
    let p = unique("rt-wait");
    let dir = spec_dir(&spec(&p, &[("alpha", 10)]));
    let ns = format!("{p}-alpha");
    // Plays the Strimzi operator: marks `ready-topic` Ready as soon as it exists.
    let kc2 = kc.clone();
    let ns2 = ns.clone();
    let operator = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let o = kubectl_raw(
                &kc2,
                &[
                    "patch",
                    "kafkatopic",
                    "ready-topic",
                    "-n",
                    &ns2,
                    "--subresource=status",
                    "--type=merge",
                    "-p",
                    r#"{"status":{"observedGeneration":1,"conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}"#,
                ],
            );
            if o.status.success() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    });
    runtime().block_on(async {
        let (c, set) = compile_with_topics(dir.path(), &["ready-topic", "stuck-topic"]);
        let opts = ApplyOptions { wait: Some(Duration::from_secs(6)), ..ApplyOptions::default() };
        let t0 = Instant::now();
        let r = apply(connect(&kc).await, &c.platform, &set, &opts, &Silent).await.expect("apply");
        let ready = r.objects.iter().find(|o| o.name == "ready-topic").unwrap();
        let stuck = r.objects.iter().find(|o| o.name == "stuck-topic").unwrap();
        assert!(matches!(&ready.wait, Some(strata::reconcile::report::WaitOutcome::Ready(_))), "{:?}", ready.wait);
        match &stuck.wait {
            Some(strata::reconcile::report::WaitOutcome::TimedOut(m)) => {
                assert!(m.contains("no status yet (is the Strimzi operator running?)"), "{m}")
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert_eq!(r.not_ready, 1);
        assert_eq!(strata::reconcile::exit_of(&r, false), 3);
        assert!(t0.elapsed() < Duration::from_secs(20), "the timeout bounds the wait");
        // Namespaces and quotas are not waited for.
        assert!(r.objects.iter().filter(|o| o.kind != "KafkaTopic").all(|o| o.wait.is_none()));
    });
    assert!(operator.join().expect("thread"), "the test operator patched the status");
}

#[test]
fn missing_crd_is_reported_with_the_operator_before_anything_is_written() {
    let Some(kc) = cluster("missing_crd_is_reported_with_the_operator_before_anything_is_written") else { return };
    let p = unique("rt-crd");
    let dir = spec_dir(&spec(&p, &[("alpha", 10)]));
    runtime().block_on(async {
        let mut c = strata::compile_path(&dir.path().join("platform.kdl"));
        let mut set = c.manifests.take().expect("compiles");
        let t = &c.platform.tenants[0];
        // Strimzi 0.x's topic API: Strimzi 1.x (installed here) serves only kafka.strimzi.io/v1.
        set.add_value(
            json!({"apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaTopic", "metadata": {"name": "old", "namespace": t.namespace.value}, "spec": {}}),
            Placement { stage: Stage::Workloads, tenant: None, span: t.name.span },
        );
        set.add_value(
            json!({"apiVersion": "flink.example.dev/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": t.namespace.value}}),
            Placement { stage: Stage::Workloads, tenant: None, span: t.name.span },
        );
        let kube = connect(&kc).await;
        let e = apply(kube.clone(), &c.platform, &set, &ApplyOptions::default(), &Silent).await.expect_err("refused");
        assert!(matches!(e, ReconcileError::MissingApis(_)));
        let msg = e.to_string();
        assert!(msg.contains("kafka.strimzi.io/v1beta2 KafkaTopic"), "{msg}");
        assert!(msg.contains("the cluster serves kafka.strimzi.io only in version v1"), "{msg}");
        assert!(msg.contains("install the Strimzi operator 1.2.0"), "{msg}");
        assert!(msg.contains("flink.example.dev/v1 Widget"), "{msg}");
        assert_eq!(kube.counts().writes, 0, "nothing written");
        assert_eq!(e.exit_code(), 3);
    });
    assert!(!exists(&kc, &["namespace", &format!("{p}-alpha")]));
}

#[test]
fn server_dry_run_validates_everything_and_persists_nothing() {
    let Some(kc) = cluster("server_dry_run_validates_everything_and_persists_nothing") else { return };
    let p = unique("rt-dry");
    let dir = spec_dir(&spec(&p, &[("alpha", 10), ("beta", 5)]));
    let k = kc_arg(&kc);
    let (code, r, err) = run_json(dir.path(), &["apply", "--kubeconfig", &k, "--dry-run=server", "--prune"]);
    assert_eq!(code, 0, "{err}\n{r}");
    assert_eq!(r["dry_run"], true);
    assert_eq!(count(&r, "created"), 10, "{r}");
    assert_eq!(r["requests"]["writes"], 0, "{}", r["requests"]);
    assert!(!exists(&kc, &["namespace", &format!("{p}-alpha")]), "nothing persisted");
    assert!(!exists(&kc, &["configmap", &format!("strata-{p}"), "-n", "strata-system"]), "no inventory written");
    // The same on a fresh platform through `plan`: every object would be created, exit 1.
    let o = strata(dir.path(), &["plan", "--kubeconfig", &k]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains(&format!("created Namespace/{p}-alpha")) && out.contains("--- /dev/null"), "{out}");
}

#[test]
fn an_identity_with_rights_only_in_the_platforms_namespaces_can_apply() {
    let Some(kc) = cluster("an_identity_with_rights_only_in_the_platforms_namespaces_can_apply") else { return };
    let p = unique("rt-ns");
    let (sys, alpha) = (format!("{p}-sys"), format!("{p}-alpha"));
    // `limited` may manage namespaces, and quotas, network policies, the inventory and the lock only in
    // the platform's own namespaces: no cluster-wide LIST of namespaced kinds.
    for ns in [&sys, &alpha] {
        kubectl(&kc, &["create", "namespace", ns]);
        kubectl(
            &kc,
            &[
                "create",
                "role",
                "strata",
                "-n",
                ns,
                "--verb=get,list,patch,delete,create,update",
                "--resource=resourcequotas,networkpolicies.networking.k8s.io,configmaps,leases.coordination.k8s.io",
            ],
        );
        kubectl(&kc, &["create", "rolebinding", "strata", "-n", ns, "--role=strata", "--user=limited"]);
    }
    kubectl(&kc, &["create", "clusterrole", &p, "--verb=get,list,patch", "--resource=namespaces"]);
    kubectl(&kc, &["create", "clusterrolebinding", &p, &format!("--clusterrole={p}"), "--user=limited"]);
    let dir = spec_dir(
        &spec(&p, &[("alpha", 10)])
            .replace("inventory namespace=\"strata-system\"", &format!("inventory namespace=\"{sys}\"")),
    );
    let k = kc_arg(&kc);
    let args = ["apply", "--kubeconfig", &k, "--context", "strata-test-limited", "--prune"];
    let (code, r, err) = run_json(dir.path(), &args);
    assert_eq!(code, 0, "{err}\n{r}");
    assert_eq!(count(&r, "created"), 4, "{r}");
    assert_eq!(actions(&r)[&format!("Namespace/{alpha}")], "configured", "the existing namespace is adopted: {r}");
    let (code, r, err) = run_json(dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(count(&r, "unchanged"), 5, "{r}");
    assert_eq!(r["requests"]["writes"], 0, "{}", r["requests"]);
}

#[test]
fn a_namespace_the_spec_uses_but_does_not_create_must_exist() {
    let Some(kc) = cluster("a_namespace_the_spec_uses_but_does_not_create_must_exist") else { return };
    let p = unique("rt-extns");
    let dir = spec_dir(&spec(&p, &[("alpha", 10)]));
    let kafka_ns = format!("{p}-kafka");
    runtime().block_on(async {
        let mut c = strata::compile_path(&dir.path().join("platform.kdl"));
        let mut set = c.manifests.take().expect("compiles");
        let t = &c.platform.tenants[0];
        set.add_value(
            json!({"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
                   "metadata": {"name": "orders", "namespace": kafka_ns, "labels": {"strimzi.io/cluster": "main"}},
                   "spec": {"partitions": 3, "replicas": 1}}),
            Placement { stage: Stage::Workloads, tenant: None, span: t.name.span },
        );
        let kube = connect(&kc).await;
        let e = apply(kube.clone(), &c.platform, &set, &ApplyOptions::default(), &Silent).await.expect_err("refused");
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("`{kafka_ns}`: KafkaTopic/{kafka_ns}/orders"))
                || msg.contains(&format!("`{kafka_ns}`: {kafka_ns}/KafkaTopic/orders")),
            "{msg}"
        );
        assert!(msg.contains("nothing was written") && msg.contains("must exist first"), "{msg}");
        assert_eq!(kube.counts().writes, 0);
        assert_eq!(e.exit_code(), 3);
        // Once the namespace exists (Strimzi's installation), the same set applies.
        kubectl(&kc, &["create", "namespace", &kafka_ns]);
        let r = apply(connect(&kc).await, &c.platform, &set, &ApplyOptions::default(), &Silent).await.expect("applies");
        assert_eq!(r.summary.created, 6, "{:?}", r.summary);
    });
}
