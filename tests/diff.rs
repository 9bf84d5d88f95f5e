//! `strata diff` as a user runs it: a real git repository with commits of a multi-file platform, the
//! binary run inside it, output and exit codes checked.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use strata::diff::render::{Format, render};
use strata::diff::{Side, compare};
use strata::manifest::{ManifestSet, Placement, Stage};
use strata::source::{FileId, Span};

const PLATFORM: &str = r#"platform "acme-data" {
    cluster context="prod-eks"
}
include "tenants/*.kdl"
"#;

struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new() -> Repo {
        let r = Repo { dir: tempfile::tempdir().expect("temp dir") };
        r.git(&["init", "-q"]);
        r
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path().join(rel)).expect("remove");
    }

    fn git(&self, args: &[&str]) {
        let out = Command::new("git").arg("-C").arg(self.path()).args(args).output().expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&[
            "-c",
            "user.name=strata tests",
            "-c",
            "user.email=tests@strata.invalid",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "-q",
            "-m",
            message,
        ]);
    }

    fn strata(&self, args: &[&str]) -> Output {
        strata_in(self.path(), args)
    }
}

fn strata_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("strata runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited")
}

/// Two commits of a three-file platform: analytics gets a bigger quota and a label, research is added.
fn two_commits() -> Repo {
    let r = Repo::new();
    r.write("platform.kdl", PLATFORM);
    r.write("tenants/analytics.kdl", "tenant \"analytics\" tier=\"medium\" {\n    quota cpu=40\n}\n");
    r.write("tenants/sandbox.kdl", "tenant \"sandbox\" tier=\"small\"\n");
    r.commit("first");
    r.write(
        "tenants/analytics.kdl",
        "tenant \"analytics\" tier=\"medium\" {\n    quota cpu=48\n    label \"team\" \"bi\"\n}\n",
    );
    r.write("tenants/research.kdl", "tenant \"research\" tier=\"small\"\n");
    r.commit("second");
    r
}

#[test]
fn the_output_flag_keeps_its_old_spelling_hidden() {
    let r = two_commits();
    let new = r.strata(&["diff", "--base", "HEAD~1", "--head", "HEAD", "--output", "stat"]);
    let short = r.strata(&["diff", "--base", "HEAD~1", "--head", "HEAD", "-o", "stat"]);
    let old = r.strata(&["diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "stat"]);
    assert_eq!(code(&new), 1, "{}", stderr(&new));
    assert_eq!((code(&short), stdout(&short)), (1, stdout(&new)));
    assert_eq!((code(&old), stdout(&old)), (1, stdout(&new)), "the old spelling still works");
    let help = stdout(&r.strata(&["diff", "--help"]));
    assert!(help.contains("-o, --output <FORMAT>"), "{help}");
    assert!(!help.contains("--format"), "the old spelling is hidden: {help}");
}

#[test]
fn diffs_two_commits_by_revision() {
    let r = two_commits();
    let o = r.strata(&["diff", "--base", "HEAD~1", "--head", "HEAD", "-o", "stat"]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(
        stdout(&o),
        "\
~ Namespace      analytics                            tenants/analytics.kdl:1  +1 -0
+ Namespace      research                             tenants/research.kdl:1   +15
+ LimitRange     research/tenant-defaults             tenants/research.kdl:1   +19
+ NetworkPolicy  research/strata-flow-dns             tenants/research.kdl:1   +29
+ NetworkPolicy  research/strata-flow-same-namespace  tenants/research.kdl:1   +23
+ NetworkPolicy  research/tenant-isolation            tenants/research.kdl:1   +15
~ ResourceQuota  analytics/tenant-quota               tenants/analytics.kdl:1  +1 -1
+ ResourceQuota  research/tenant-quota                tenants/research.kdl:1   +19
8 objects: 2 changed, 6 added; 10 unchanged; no safety findings
"
    );
    // The same revisions the other way round: research and its objects are removed, which is unsafe.
    let o = r.strata(&["diff", "--base", "HEAD", "--head", "HEAD~1"]);
    assert_eq!(code(&o), 4, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("strata diff: base (HEAD) → head (HEAD~1)\n"), "{out}");
    assert!(out.contains("error[strata::diff::tenant-removed]: tenant `research` is removed"), "{out}");
    assert!(out.contains("  base: tenants/research.kdl:1 │ tenant \"research\" tier=\"small\"\n"), "{out}");
    // The same revision on both sides: nothing to say.
    let o = r.strata(&["diff", "--base", "HEAD", "--head", "HEAD"]);
    assert_eq!(
        (code(&o), stdout(&o).as_str()),
        (0, "strata diff: base (HEAD) → head (HEAD)\nno changes (18 objects unchanged)\n")
    );
}

#[test]
fn head_defaults_to_the_working_tree_and_base_never_reads_it() {
    let r = two_commits();
    // Uncommitted: a new tenant file that the base's glob would match on disk, and a committed file deleted.
    r.write("tenants/ops.kdl", "tenant \"ops\" tier=\"small\"\n");
    r.remove("tenants/sandbox.kdl");
    let o = r.strata(&["diff", "--base", "HEAD", "--output", "json"]);
    assert_eq!(code(&o), 4, "{}", stderr(&o));
    let j: Value = serde_json::from_str(&stdout(&o)).expect("json output");
    assert_eq!(j["base"]["label"], "base (HEAD)");
    assert_eq!(j["head"]["label"], "head (working tree)");
    assert_eq!(j["exit_code"], 4);
    // ops is new (so the base did not see the untracked file); sandbox is removed (so the base read it from git).
    assert_eq!(j["summary"]["by_tenant"]["ops"]["added"], 6);
    assert_eq!(j["summary"]["by_tenant"]["sandbox"]["removed"], 6);
    let codes: Vec<&str> =
        j["findings"].as_array().expect("findings").iter().filter_map(|f| f["code"].as_str()).collect();
    assert_eq!(codes, vec!["strata::diff::tenant-removed"]);
    assert_eq!(j["findings"][0]["base"]["origin"], "tenants/sandbox.kdl:1");
    assert_eq!(j["findings"][0]["head"], Value::Null);
}

#[test]
fn invalid_spec_at_either_revision_is_exit_2_and_names_it() {
    let r = two_commits();
    r.write("tenants/analytics.kdl", "tenant \"analytics\" tier=\"huge\"\n");
    r.commit("third, broken");
    r.write("tenants/analytics.kdl", "tenant \"analytics\" tier=\"medium\"\n");
    let o = r.strata(&["diff", "--base", "HEAD"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.starts_with("error: base (HEAD): the spec does not compile\n"), "{err}");
    assert!(err.contains("tenants/analytics.kdl"), "{err}");
    assert!(stdout(&o).is_empty());

    r.write("tenants/analytics.kdl", "tenant \"analytics\" tier=\n");
    let o = r.strata(&["diff", "--base", "HEAD~1"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.starts_with("error: head (working tree): the spec does not compile\n"), "{err}");
    assert!(!err.contains("base (HEAD~1)"), "the base is fine: {err}");
}

#[test]
fn a_change_over_a_budget_is_exit_4_although_check_refuses_the_head() {
    let r = two_commits();
    let job = |pods: u32| {
        format!(
            "tenant \"budgeted\" {{\n    network \"open\"\n    budget monthly=\"1000\"\n}}\n\
             job \"nightly\" tenant=\"budgeted\" expected-runtime=\"2h\" {{\n    image \"example/job:1\"\n    \
             resources cpu=4 memory=\"16Gi\"\n    parallelism {pods}\n    schedule \"0 2 * * *\"\n}}\n"
        )
    };
    // 20 pods: 236.32 a month; 200: 2363.20.
    r.write("tenants/budgeted.kdl", &job(20));
    r.commit("third, within the budget");
    r.write("tenants/budgeted.kdl", &job(200));
    assert_eq!(code(&r.strata(&["check"])), 2, "the head is over its budget");
    let o = r.strata(&["diff", "--base", "HEAD", "-o", "json"]);
    assert_eq!(code(&o), 4, "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "the overrun is the diff's finding, not a compile error: {}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["findings"][0]["code"], "strata::diff::budget-exceeded");
    assert_eq!(v["cost"]["workloads"][0]["expected"]["delta"]["amount"], "+2126.88");
    // Any other error in the head still makes it invalid.
    r.write("tenants/budgeted.kdl", &format!("{}tenant \"x\" tier=\"huge\"\n", job(200)));
    assert_eq!(code(&r.strata(&["diff", "--base", "HEAD"])), 2);
}

#[test]
fn unknown_revisions_and_missing_repositories_are_clean_errors() {
    let r = two_commits();
    let o = r.strata(&["diff", "--base", "origin/mian"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("error: base (origin/mian): cannot read the spec"), "{err}");
    assert!(err.contains("strata::git::unknown-revision"), "{err}");
    assert!(err.contains("unknown revision `origin/mian`"), "{err}");
    let o = r.strata(&["diff", "--base", "--upload-pack=evil"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));

    let plain = tempfile::tempdir().expect("temp dir");
    std::fs::write(plain.path().join("platform.kdl"), PLATFORM).expect("write");
    let o = strata_in(plain.path(), &["diff", "--base", "main"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("strata::git::not-a-repository"), "{err}");
    assert!(err.contains("--base-spec PATH"), "{err}");
}

#[test]
fn base_spec_compares_two_files_on_disk_without_git() {
    let d = tempfile::tempdir().expect("temp dir");
    let write = |rel: &str, text: &str| {
        let p: PathBuf = d.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    };
    write("old/platform.kdl", PLATFORM);
    write("old/tenants/a.kdl", "tenant \"analytics\" tier=\"small\"\n");
    write("platform.kdl", PLATFORM);
    write("tenants/a.kdl", "tenant \"analytics\" tier=\"medium\"\n");
    let o = strata_in(d.path(), &["diff", "--base-spec", "old/platform.kdl", "-o", "markdown"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let md = stdout(&o);
    assert!(md.starts_with("<!-- strata-diff -->\n### :white_check_mark: strata diff: 1 changed"), "{md}");
    assert!(md.contains("`base (old/platform.kdl)` → `head (working tree)`"), "{md}");
    assert!(md.contains("<details><summary><code>~ ResourceQuota analytics/tenant-quota</code>"), "{md}");
    // --base and --base-spec exclude each other; one of them is required.
    let o = strata_in(d.path(), &["diff", "--base", "main", "--base-spec", "old/platform.kdl"]);
    assert_eq!(code(&o), 2);
    let o = strata_in(d.path(), &["diff"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn spec_in_a_subfolder_resolves_from_the_current_directory() {
    let r = Repo::new();
    r.write("infra/platform.kdl", PLATFORM);
    r.write("infra/tenants/a.kdl", "tenant \"analytics\" tier=\"small\"\n");
    r.write("README", "not a spec\n");
    r.commit("first");
    r.write("infra/tenants/a.kdl", "tenant \"analytics\" tier=\"large\"\n");
    let o = r.strata(&["diff", "infra/platform.kdl", "--base", "HEAD", "-o", "stat"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("~ ResourceQuota  analytics/tenant-quota  tenants/a.kdl:1  +7 -7\n"),
        "{}",
        stdout(&o)
    );
    let o = strata_in(&r.path().join("infra"), &["diff", "--base", "HEAD", "--format", "stat"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stdout(&o).starts_with("~ ResourceQuota  analytics/tenant-quota  tenants/a.kdl:1  +7 -7\n"));
}

#[test]
fn help_documents_the_exit_codes() {
    let o = strata_in(Path::new(env!("CARGO_MANIFEST_DIR")), &["diff", "--help"]);
    assert_eq!(code(&o), 0);
    let h = stdout(&o);
    for needle in
        ["--base <REV>", "--head <REV>", "--base-spec <PATH>", "markdown", "Exit codes:", "  4  a change-safety error"]
    {
        assert!(h.contains(needle), "`{needle}` missing from:\n{h}");
    }
}

/// A platform of `n` objects shaped like real output (config maps, quotas, topics); with `every`, every
/// `every`-th object differs.
fn big_set(n: usize, every: Option<usize>) -> ManifestSet {
    let mut set = ManifestSet::default();
    for i in 0..n {
        let tenant = format!("t{:03}", i % 500);
        let (obj, stage) = match i % 3 {
            0 => (
                json!({"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": format!("cm-{i}"), "namespace": tenant, "labels": {"a": "b", "c": "d"}},
                       "data": {"key": "value", "n": (every.is_some_and(|e| i % e == 0)).to_string()}}),
                Stage::Tenancy,
            ),
            1 => (
                json!({"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
                       "metadata": {"name": format!("topic-{i}"), "namespace": "kafka", "labels": {"strimzi.io/cluster": "main"}},
                       "spec": {"partitions": if every.is_some_and(|e| i % e == 0) { 12 } else { 6 }, "replicas": 3,
                                "config": {"retention.ms": 604800000_u64, "min.insync.replicas": 2}}}),
                Stage::Workloads,
            ),
            _ => (
                json!({"apiVersion": "v1", "kind": "ResourceQuota",
                       "metadata": {"name": format!("q-{i}"), "namespace": tenant},
                       "spec": {"hard": {"requests.cpu": if every.is_some_and(|e| i % e == 0) { "48" } else { "40" }, "pods": "100"}}}),
                Stage::Tenancy,
            ),
        };
        set.add_value(obj, Placement { stage, tenant: Some(tenant), span: Span::new(FileId(0), 0, 0) });
    }
    set
}

/// Correctness at benchmark scale; the speed itself is measured by the benchmarks, not asserted here.
#[test]
fn diff_of_15000_objects_finds_exactly_the_changes() {
    let base = big_set(15_000, None);
    // Every 100th object changes (150 objects): config maps, quotas and topics, so every rule runs.
    let head = big_set(15_000, Some(100));
    let d = compare(&Side::new("base", &base), &Side::new("head", &head));
    let md = render(&d, Format::Markdown, false);
    let stat = render(&d, Format::Stat, false);
    assert_eq!(d.changes.len(), 150);
    assert_eq!(d.unchanged, 14_850);
    assert!(md.len() <= strata::diff::render::MARKDOWN_LIMIT);
    assert_eq!(stat.lines().count(), 151);
}

#[test]
fn recursive_globs_and_symlinks_are_read_from_the_revision() {
    let r = Repo::new();
    r.write(
        "platform.kdl",
        "platform \"acme-data\" {\n    cluster context=\"prod-eks\"\n}\ninclude \"teams/**/*.kdl\"\n",
    );
    r.write("teams/data/analytics.kdl", "tenant \"analytics\" tier=\"small\"\n");
    r.write("teams/web/shop.kdl", "tenant \"shop\" tier=\"small\"\n");
    r.write("shared/ops.kdl", "tenant \"ops\" tier=\"small\"\n");
    std::os::unix::fs::symlink("../../shared/ops.kdl", r.path().join("teams/web/ops.kdl")).expect("symlink");
    r.commit("first");
    // In the working tree, drop the link and change the target: the base must still see the committed one.
    r.remove("teams/web/ops.kdl");
    r.write("shared/ops.kdl", "tenant \"ops\" tier=\"large\"\n");
    let o = r.strata(&["diff", "--base", "HEAD", "--format", "stat"]);
    assert_eq!(code(&o), 4, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("- Namespace      ops "), "{out}");
    assert!(out.contains("teams/web/ops.kdl:1"), "{out}");
    assert!(out.ends_with("6 objects: 6 removed; 12 unchanged; 1 error\n"), "{out}");
}
