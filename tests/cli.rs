//! The CLI as a user meets it: run the binary, check exit codes, stdout and stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn strata(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run strata")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write(dir: &Path, rel: &str, contents: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, contents).unwrap();
}

const SMALL: &str = "platform \"p\"\ntenant \"team-a\" {\n    quota cpu=2 memory=\"4Gi\"\n}\n";

#[test]
fn check_accepts_the_bundled_platform() {
    let out = strata(&repo(), &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for env in ["staging", "production"] {
        let valid = format!("`acme-data` (environment `{env}`) is valid");
        assert!(text(&out.stderr).contains(&valid), "{}", text(&out.stderr));
    }
}

#[test]
fn the_bundled_platform_is_compiled_per_environment_and_never_for_none() {
    let out = strata(&repo(), &["compile"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("strata::env::required") && err.contains("staging") && err.contains("production"), "{err}");
    assert!(out.stdout.is_empty(), "nothing is printed for no environment");
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let o = strata(&repo(), &["compile", "--all-envs", "--out-dir", &out_dir.display().to_string()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    // Each environment is its own ApplySet; staging lacks production's ad hoc export.
    let part_of = |env: &str| {
        let ns =
            std::fs::read_to_string(out_dir.join(env).join("_cluster/namespace-analytics.yaml")).expect("namespace");
        ns.lines().find(|l| l.contains("applyset.kubernetes.io/part-of")).map(str::to_owned).expect("ApplySet label")
    };
    assert_ne!(part_of("staging"), part_of("production"));
    assert!(out_dir.join("production/analytics/job-export-orders.yaml").is_file());
    assert!(!out_dir.join("staging/analytics/job-export-orders.yaml").exists());
}

#[test]
fn compile_of_the_bundled_platform_is_byte_identical_across_runs() {
    let a = strata(&repo(), &["compile", "--env", "production"]);
    let b = strata(&repo(), &["compile", "--env", "production"]);
    assert_eq!(a.status.code(), Some(0), "{}", text(&a.stderr));
    assert!(text(&a.stdout).starts_with("---\napiVersion: "));
    assert_eq!(a.stdout, b.stdout);
    let json = strata(&repo(), &["compile", "--env", "production", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("compile -o json is JSON");
    assert_eq!(v["kind"], "List");
    assert_eq!(v["items"].as_array().unwrap().len(), text(&a.stdout).matches("---\n").count());
}

#[test]
fn missing_spec_is_exit_2_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let out = strata(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("strata::io::not-found") && err.contains("platform.kdl"), "{err}");
}

#[test]
fn errors_render_with_file_line_and_help() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "platform.kdl", "platform \"p\"\ntenant \"a\" {\n    quota cpu=2 memory=\"4GB\"\n}\n");
    let out = strata(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("[platform.kdl:3:17]"), "{err}");
    assert!(err.contains("did you mean `4Gi`?"), "{err}");
    assert!(err.contains("strata: 1 error"), "{err}");
}

#[test]
fn check_formats_json_and_github() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "platform.kdl", "platform \"p\"\ntennant \"a\"\n");
    let out = strata(dir.path(), &["check", "--diagnostics", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["errors"], 1);
    assert_eq!(v["diagnostics"][0]["code"], "strata::spec::unknown-node");
    assert_eq!(v["diagnostics"][0]["primary"]["file"], "platform.kdl");
    assert_eq!(v["diagnostics"][0]["primary"]["line"], 2);
    let out = strata(dir.path(), &["check", "--diagnostics", "github"]);
    let gh = text(&out.stdout);
    assert!(gh.starts_with("::error file=platform.kdl,line=2,col=1,"), "{gh}");
    assert!(gh.contains("did you mean `tenant`?"), "{gh}");
}

#[test]
fn check_json_of_a_clean_spec_is_an_empty_result() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "platform.kdl", SMALL);
    let out = strata(dir.path(), &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a clean spec still prints JSON");
    assert_eq!(v["errors"], 0);
    assert_eq!(v["warnings"], 0);
    assert_eq!(v["diagnostics"], serde_json::json!([]));
}

#[test]
fn github_annotations_name_files_from_the_repository_root() {
    // GitHub resolves an annotation's `file` from the repository root, not from the spec's folder.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    write(dir.path(), "platforms/prod/platform.kdl", "platform \"p\"\ninclude \"tenants.kdl\"\n");
    write(dir.path(), "platforms/prod/tenants.kdl", "tennant \"a\"\n");
    let out = strata(&dir.path().join("platforms"), &["check", "--format", "github", "prod/platform.kdl"]);
    let gh = text(&out.stdout);
    assert!(gh.starts_with("::error file=platforms/prod/tenants.kdl,line=1,col=1,"), "{gh}");
    // Outside a repository: relative to the working directory.
    let plain = tempfile::tempdir().unwrap();
    write(plain.path(), "sub/platform.kdl", "platform \"p\"\ntennant \"a\"\n");
    let out = strata(plain.path(), &["check", "--format", "github", "sub/platform.kdl"]);
    let gh = text(&out.stdout);
    assert!(gh.starts_with("::error file=sub/platform.kdl,line=2,col=1,"), "{gh}");
}

#[test]
fn compile_out_keeps_file_names_within_255_bytes() {
    // 249 characters is the longest topic name Kafka accepts.
    let long = "a".repeat(249);
    let other = format!("{}b", "a".repeat(248));
    let spec = format!(
        "platform \"p\"\ntenant \"t\"\nkafka \"main\" namespace=\"kafka\" brokers=3\n\
         topic \"{long}\" kafka=\"main\" tenant=\"t\" partitions=3 replicas=3\n\
         topic \"{other}\" kafka=\"main\" tenant=\"t\" partitions=3 replicas=3\n"
    );
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "platform.kdl", &spec);
    let out = strata(dir.path(), &["compile", "--out", "build"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut names = Vec::new();
    for e in std::fs::read_dir(dir.path().join("build/kafka")).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(name.len() <= 255, "{name} is {} bytes", name.len());
        let body = std::fs::read_to_string(e.path()).unwrap();
        if body.contains("kind: KafkaTopic") {
            names.push(name);
        }
    }
    assert_eq!(names.len(), 2, "two topics, two distinct files: {names:?}");
    // Stable: a second compile writes the same names.
    assert_eq!(strata(dir.path(), &["compile", "--out", "build"]).status.code(), Some(0));
    for n in &names {
        assert!(dir.path().join("build/kafka").join(n).is_file());
    }
    let all: String =
        names.iter().map(|n| std::fs::read_to_string(dir.path().join("build/kafka").join(n)).unwrap()).collect();
    assert!(all.contains(&long) && all.contains(&other), "the objects keep their full names");
}

#[test]
fn warnings_pass_unless_denied() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "platform.kdl", "platform \"p\"\ninclude \"none/*.kdl\"\n");
    assert_eq!(strata(dir.path(), &["check"]).status.code(), Some(0));
    assert_eq!(strata(dir.path(), &["check", "--deny-warnings"]).status.code(), Some(2));
}

#[test]
fn an_over_budget_spec_fails_check_and_compile_but_cost_prints_it() {
    let spec = repo().join("docs/samples/cost-budget");
    let check = strata(&spec, &["check"]);
    assert_eq!(check.status.code(), Some(2));
    assert!(text(&check.stderr).contains("strata::cost::budget-exceeded"), "{}", text(&check.stderr));
    let compile = strata(&spec, &["compile"]);
    assert_eq!(compile.status.code(), Some(2));
    assert!(compile.stdout.is_empty(), "an over-budget spec emits nothing");
    let cost = strata(&spec, &["cost"]);
    assert_eq!(cost.status.code(), Some(0), "{}", text(&cost.stderr));
    assert!(text(&cost.stdout).contains("235.67"), "{}", text(&cost.stdout));
}

#[test]
fn explain_shows_derived_defaults() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "platform.kdl", SMALL);
    let plain = text(&strata(dir.path(), &["check"]).stderr);
    assert!(!plain.contains("derived-limits"), "{plain}");
    let explained = text(&strata(dir.path(), &["check", "--explain"]).stderr);
    assert!(explained.contains("strata::tenant::derived-limits"), "{explained}");
}

#[test]
fn compile_out_writes_one_file_per_object_and_replaces_stale_ones() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "platform.kdl", SMALL);
    let out = strata(dir.path(), &["compile", "--out-dir", "build"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let quota = dir.path().join("build/team-a/resourcequota-tenant-quota.yaml");
    assert!(quota.is_file());
    assert!(dir.path().join("build/_cluster/namespace-team-a.yaml").is_file());
    assert!(dir.path().join("build/.strata-output").is_file());

    // Rename the tenant: the old tenant's files must disappear.
    write(dir.path(), "platform.kdl", &SMALL.replace("team-a", "team-b"));
    assert_eq!(strata(dir.path(), &["compile", "--out", "build"]).status.code(), Some(0));
    assert!(!quota.exists(), "stale file survived");
    assert!(dir.path().join("build/team-b/resourcequota-tenant-quota.yaml").is_file());
}

#[test]
fn a_failed_compile_leaves_the_previous_output_untouched() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "platform.kdl", SMALL);
    assert_eq!(strata(dir.path(), &["compile", "--out", "build"]).status.code(), Some(0));
    let before = std::fs::read(dir.path().join("build/team-a/resourcequota-tenant-quota.yaml")).unwrap();
    write(dir.path(), "platform.kdl", &SMALL.replace("cpu=2", "cpu=-2"));
    assert_eq!(strata(dir.path(), &["compile", "--out", "build"]).status.code(), Some(2));
    let after = std::fs::read(dir.path().join("build/team-a/resourcequota-tenant-quota.yaml")).unwrap();
    assert_eq!(before, after);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("strata-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary directories left behind: {leftovers:?}");
}

#[test]
fn compile_out_refuses_a_directory_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "platform.kdl", SMALL);
    write(dir.path(), "precious/notes.txt", "do not delete");
    let out = strata(dir.path(), &["compile", "--out", "precious"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("was not written by strata"), "{}", text(&out.stderr));
    assert!(dir.path().join("precious/notes.txt").is_file());
}

#[test]
fn non_utf8_and_oversized_files_are_clean_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("platform.kdl"), b"platform \"p\"\n\xff\xfe\n").unwrap();
    let out = strata(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("strata::io::not-utf8"), "{}", text(&out.stderr));

    let big = vec![b'/'; 9 * 1024 * 1024];
    std::fs::write(dir.path().join("platform.kdl"), big).unwrap();
    let out = strata(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("strata::io::too-large"), "{}", text(&out.stderr));
}

#[test]
fn fmt_check_reports_and_fmt_fixes_keeping_comments() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "platform.kdl", "platform  \"p\" // the platform\ninclude \"t/*.kdl\"\n");
    write(dir.path(), "t/a.kdl", "tenant \"a\"{\n  network   \"open\" // wide open\n}\n");
    let out = strata(dir.path(), &["fmt", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    let listed = text(&out.stdout);
    assert!(listed.contains("platform.kdl") && listed.contains("t/a.kdl"), "{listed}");
    assert_eq!(strata(dir.path(), &["fmt"]).status.code(), Some(0));
    let a = std::fs::read_to_string(dir.path().join("t/a.kdl")).unwrap();
    assert_eq!(a, "tenant \"a\" {\n    network \"open\" // wide open\n}\n");
    assert_eq!(strata(dir.path(), &["fmt", "--check"]).status.code(), Some(0));
}

#[test]
fn every_subcommand_has_examples_in_help() {
    for sub in ["check", "compile", "fmt", "diff", "plan", "apply", "stdlib", "completions"] {
        let out = strata(&repo(), &[sub, "--help"]);
        assert_eq!(out.status.code(), Some(0));
        assert!(text(&out.stdout).contains("Examples:"), "{sub} --help lacks examples");
    }
    let top = text(&strata(&repo(), &["--help"]).stdout);
    assert!(top.contains("Exit codes"), "{top}");
}

#[test]
fn bad_flags_are_exit_2() {
    assert_eq!(strata(&repo(), &["compile", "--output", "toml"]).status.code(), Some(2));
    assert_eq!(strata(&repo(), &["compile", "--format", "toml"]).status.code(), Some(2));
    assert_eq!(strata(&repo(), &["frobnicate"]).status.code(), Some(2));
}

#[test]
fn old_flag_spellings_still_work_and_are_hidden() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "platform.kdl", "platform \"p\"\ntennant \"a\"\n");
    // `check`: the diagnostics format was `--format`.
    let new = strata(dir.path(), &["check", "--diagnostics", "json"]);
    let old = strata(dir.path(), &["check", "--format", "json"]);
    assert_eq!((new.status.code(), &new.stdout), (Some(2), &old.stdout));
    assert_eq!(old.status.code(), Some(2));
    // `compile`: the manifests' format was `--format`, the directory `--out` (and `-o`).
    let new = strata(&repo(), &["compile", "--env", "production", "--output", "json"]);
    let short = strata(&repo(), &["compile", "--env", "production", "-o", "json"]);
    let old = strata(&repo(), &["compile", "--env", "production", "--format", "json"]);
    assert_eq!(new.status.code(), Some(0), "{}", text(&new.stderr));
    assert!(new.stdout == short.stdout && new.stdout == old.stdout, "the three spellings print the same");
    for flag in ["--out", "--out-dir"] {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "platform.kdl", SMALL);
        let out = strata(d.path(), &["compile", flag, "build"]);
        assert_eq!(out.status.code(), Some(0), "{flag}: {}", text(&out.stderr));
        assert!(d.path().join("build/team-a/resourcequota-tenant-quota.yaml").is_file(), "{flag}");
    }
    for (sub, old) in [("check", "--format"), ("compile", "--format"), ("compile", "--out ")] {
        let help = text(&strata(&repo(), &[sub, "--help"]).stdout);
        assert!(!help.contains(old), "`{sub} --help` shows the old spelling `{old}`:\n{help}");
    }
    let help = text(&strata(&repo(), &["compile", "--help"]).stdout);
    assert!(help.contains("-o, --output <FORMAT>") && help.contains("--out-dir <DIR>"), "{help}");
}

#[test]
fn compile_o_with_a_directory_points_at_out_dir() {
    // `-o DIR` meant `--out DIR` before `-o` became `--output`: say what to write instead.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "platform.kdl", SMALL);
    let out = strata(dir.path(), &["compile", "-o", "build"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("`--out-dir build`"), "{err}");
    assert!(!dir.path().join("build").exists());
}

#[test]
fn explain_prints_a_code_and_suggests_near_misses() {
    let out = strata(&repo(), &["explain", "strata::kafka::replicas"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let page = text(&out.stdout);
    assert!(page.starts_with("strata::kafka::replicas: "), "{page}");
    assert!(page.contains("InvalidReplicationFactorException") && page.contains("Fix:"), "{page}");
    assert_eq!(strata(&repo(), &["explain", "kafka::replicas"]).stdout, out.stdout, "the prefix may be left out");

    let out = strata(&repo(), &["explain", "strata::kafka::replica"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.starts_with("error: no diagnostic code `strata::kafka::replica`"), "{err}");
    assert!(err.contains("did you mean `strata::kafka::replicas`?"), "{err}");

    let list = text(&strata(&repo(), &["explain", "--list"]).stdout);
    assert_eq!(list.lines().count(), strata::codes::CODES.len());
    assert!(list.lines().any(|l| l.starts_with("strata::quota::fit ")), "{list}");
}

#[test]
fn every_help_lists_the_exit_codes_from_the_one_table() {
    let top = text(&strata(&repo(), &["--help"]).stdout);
    for c in strata::exit::Code::ALL {
        assert!(top.contains(&format!("  {}  {}: ", c.value(), c.meaning())), "strata --help lacks {c:?}:\n{top}");
    }
    for sub in ["check", "compile", "diff", "fmt", "plan", "apply", "drift", "explain", "stdlib", "completions"] {
        let help = text(&strata(&repo(), &[sub, "--help"]).stdout);
        let codes = strata::cli::exit_codes(sub).expect("every subcommand has its exit codes");
        assert!(codes.iter().any(|(c, _)| *c == strata::exit::Code::Invalid), "{sub}: bad flags exit 2");
        let section = help.split("Exit codes:").nth(1).unwrap_or_else(|| panic!("{sub} --help has no exit codes"));
        let listed: Vec<&str> = section.lines().filter(|l| l.starts_with("  ") && !l.starts_with("   ")).collect();
        assert_eq!(listed.len(), codes.len(), "{sub}:\n{section}");
        for ((c, _), line) in codes.iter().zip(listed) {
            assert!(line.starts_with(&format!("  {}  {}:", c.value(), c.meaning())), "{sub}: {line}");
        }
    }
}

/// The exit code `sub` returned is one its `--help` lists.
fn assert_listed(sub: &str, out: &Output) {
    let code = out.status.code().expect("exited");
    let codes = strata::cli::exit_codes(sub).expect("a subcommand");
    assert!(
        codes.iter().any(|(c, _)| c.value() == code),
        "`{sub}` exited {code}, which its --help does not list; stderr:\n{}",
        text(&out.stderr)
    );
}

const KUBECONFIG: &str = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:1\"}\n\
users:\n- name: u\n  user: {token: x}\ncontexts:\n- name: prod\n  context: {cluster: c, user: u}\ncurrent-context: prod\n";

#[test]
fn kubeconfig_problems_exit_2_and_name_the_file_once() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "platform.kdl", "platform \"p\" {\n    cluster context=\"prod\"\n}\n");
    let missing = dir.path().join("nope/config");
    let out = strata(dir.path(), &["plan", "--kubeconfig", &missing.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert_listed("plan", &out);
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!("error: cannot read kubeconfig `{}` (--kubeconfig): ", missing.display())),
        "{err}"
    );
    assert!(!err.contains("'\"") && !err.contains("\"'"), "a path quoted twice: {err}");
    for sub in ["apply", "drift"] {
        let out = strata(dir.path(), &[sub, "--kubeconfig", &missing.display().to_string()]);
        assert_listed(sub, &out);
    }
    // $KUBECONFIG and the default file are named as such.
    let out = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["plan"])
        .current_dir(dir.path())
        .env("KUBECONFIG", &missing)
        .env("NO_COLOR", "1")
        .output()
        .expect("run strata");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("(from $KUBECONFIG)"), "{}", text(&out.stderr));
    let out = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["plan"])
        .current_dir(dir.path())
        .env_remove("KUBECONFIG")
        .env("HOME", dir.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run strata");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/.kube/config` (the default"), "{}", text(&out.stderr));
    // A context the kubeconfig lacks is the user's input too.
    write(dir.path(), "kubeconfig", KUBECONFIG);
    let out = strata(dir.path(), &["plan", "--kubeconfig", "kubeconfig", "--context", "staging"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_listed("plan", &out);
}

#[test]
fn an_unreachable_cluster_exits_3_naming_the_server() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "platform.kdl", "platform \"p\" {\n    cluster context=\"prod\"\n}\n");
    write(dir.path(), "kubeconfig", KUBECONFIG);
    for sub in ["plan", "drift"] {
        let out = strata(dir.path(), &[sub, "--kubeconfig", "kubeconfig", "--request-timeout", "5s"]);
        assert_eq!(out.status.code(), Some(3), "{sub}: {}", text(&out.stderr));
        assert_listed(sub, &out);
        let err = text(&out.stderr);
        assert!(err.contains("https://127.0.0.1:1"), "{sub}: the error does not name the server: {err}");
    }
}

#[test]
fn every_command_exit_code_seen_here_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "platform.kdl", "platform \"p\"\ntennant \"a\"\n");
    for (sub, args) in [
        ("check", vec!["check"]),
        ("compile", vec!["compile"]),
        ("fmt", vec!["fmt", "--check"]),
        ("stdlib", vec!["stdlib", "nope"]),
        ("explain", vec!["explain", "nope"]),
        ("completions", vec!["completions", "nosh"]),
        ("diff", vec!["diff", "--base-spec", "platform.kdl"]),
    ] {
        assert_listed(sub, &strata(dir.path(), &args));
    }
}

#[test]
fn a_closed_stdout_is_not_a_failure() {
    use std::io::Read;
    // Far more output than a pipe buffers (64 KiB), so the writes after the reader left do fail.
    let dir = tempfile::tempdir().unwrap();
    let tenants: String =
        (0..200).map(|i| format!("tenant \"t{i}\" {{\n    quota cpu=2 memory=\"4Gi\"\n}}\n")).collect();
    write(dir.path(), "platform.kdl", &format!("platform \"p\"\n{tenants}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["compile"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run strata");
    let mut first = [0u8; 16];
    child.stdout.take().expect("piped").read_exact(&mut first).expect("some output");
    // The read end is dropped: the rest of the output hits a closed pipe, as under `strata compile | head`.
    let out = child.wait_with_output().expect("strata ends");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("panicked"), "{}", text(&out.stderr));
}

#[test]
fn stdlib_and_completions_print() {
    let out = strata(&repo(), &["stdlib", "sizes"]);
    assert!(text(&out.stdout).contains("size \"m\""));
    assert_eq!(strata(&repo(), &["stdlib", "nope"]).status.code(), Some(2));
    let out = strata(&repo(), &["completions", "bash"]);
    assert!(text(&out.stdout).contains("strata"));
}

const ENVS: &str = r#"platform "p" {
    cluster context="dev"
}
tenant "team-a" tier="small"
kafka "main" namespace="kafka" brokers=3 version="4.1"
topic "team-a.events" kafka="main" tenant="team-a" partitions=6
environment "staging" context="stg"
environment "production" context="prod" {
    topic "team-a.events" partitions=12
}
"#;

#[test]
fn a_spec_with_environments_is_checked_per_environment_and_applied_only_to_one() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "platform.kdl", ENVS);
    let out = strata(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("(environment `staging`) is valid") && err.contains("(environment `production`) is valid"),
        "{err}"
    );
    for cmd in [&["apply"][..], &["plan"], &["compile"], &["cost"]] {
        let out = strata(dir.path(), cmd);
        assert_eq!(out.status.code(), Some(2), "{cmd:?}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(err.contains("strata::env::required") && err.contains("`staging`, `production`"), "{cmd:?}: {err}");
    }
    let out = strata(dir.path(), &["compile", "--env", "prodution"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("did you mean `production`?"), "{}", text(&out.stderr));
    let out = strata(dir.path(), &["compile", "--env", "production"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("partitions: 12"));
}

#[test]
fn compile_all_envs_writes_one_folder_per_environment() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "platform.kdl", ENVS);
    let out = strata(dir.path(), &["compile", "--all-envs", "--out-dir", "build"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let topic = |env: &str| {
        std::fs::read_to_string(dir.path().join(format!("build/{env}/kafka/kafkatopic-team-a.events.yaml")))
    };
    assert!(topic("staging").expect("staging's topic").contains("partitions: 6"));
    assert!(topic("production").expect("production's topic").contains("partitions: 12"));
    // An environment removed from the spec leaves no stale folder behind.
    write(dir.path(), "platform.kdl", &ENVS.replace("environment \"staging\" context=\"stg\"\n", ""));
    let out = strata(dir.path(), &["compile", "--all-envs", "--out-dir", "build"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!dir.path().join("build/staging").exists());
    assert!(topic("production").is_ok());
}

#[test]
fn diff_all_envs_reports_each_environment_and_fails_on_any_unsafe_one() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "base/platform.kdl", ENVS);
    // Production loses partitions; staging gains some.
    let head = ENVS.replace("partitions=12", "partitions=3").replace("partitions=6\n", "partitions=8\n");
    write(dir.path(), "platform.kdl", &head);
    let out = strata(dir.path(), &["diff", "--base-spec", "base/platform.kdl", "--all-envs", "-o", "markdown"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let md = text(&out.stdout);
    assert_eq!(md.matches("<!-- strata-diff -->").count(), 1, "{md}");
    let (staging, production) = (md.find("## Environment `staging`"), md.find("## Environment `production`"));
    assert!(staging.is_some() && production.is_some() && staging < production, "{md}");
    assert!(md.contains("topic-partitions-decreased"), "{md}");
    // Promotion: staging's configuration (6 partitions) in production's place (12) would lower them.
    write(dir.path(), "platform.kdl", ENVS);
    let out = strata(dir.path(), &["diff", "--env", "production", "--from-env", "staging", "-o", "stat"]);
    assert_eq!(out.status.code(), Some(4), "{}\n{}", text(&out.stdout), text(&out.stderr));
    // The other way round only adds partitions.
    let out = strata(dir.path(), &["diff", "--env", "staging", "--from-env", "production", "-o", "stat"]);
    assert_eq!(out.status.code(), Some(1), "{}\n{}", text(&out.stdout), text(&out.stderr));
}

#[test]
fn diff_all_envs_keeps_the_whole_comment_under_githubs_limit() {
    let dir = tempfile::tempdir().unwrap();
    // Four environments, each with 250 topics that all change: every section would nearly fill a comment alone.
    let mut base = String::from(
        "platform \"p\"\ntenant \"t\" tier=\"small\"\nkafka \"k\" namespace=\"kafka\" brokers=3 version=\"4.1\"\n",
    );
    for i in 0..250 {
        base.push_str(&format!("topic \"t.topic-with-a-long-name-{i:03}\" kafka=\"k\" tenant=\"t\" partitions=3\n"));
    }
    for env in ["a", "b", "c", "d"] {
        base.push_str(&format!("environment \"{env}\"\n"));
    }
    write(dir.path(), "base/platform.kdl", &base);
    write(dir.path(), "platform.kdl", &base.replace("partitions=3", "partitions=6"));
    let out = strata(dir.path(), &["diff", "--base-spec", "base/platform.kdl", "--all-envs", "-o", "markdown"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let md = text(&out.stdout);
    assert!(md.len() <= 65_536, "{} bytes", md.len());
    assert_eq!(md.matches("## Environment").count(), 4);
    assert_eq!(md.matches("are not shown").count(), 4, "each section is cut to its share");
}

/// `check --watch` on a spec that is then broken and mended: each save is checked again with the same
/// output as `check`, and Ctrl-C ends the watch with exit 0. Synchronised on the lines it prints.
#[cfg(unix)]
#[test]
fn check_watch_reports_each_save_until_interrupted() {
    use std::io::BufRead;
    use std::sync::mpsc;
    use std::time::Duration;

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "platform.kdl", "platform \"p\"\ninclude \"tenants/*.kdl\"\n");
    write(dir.path(), "tenants/a.kdl", "tenant \"team-a\" {\n    quota cpu=2 memory=\"4Gi\"\n}\n");
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["check", "--watch"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run strata check --watch");
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Generous: a loaded CI machine may take seconds per check of a debug build.
    let until = |what: &str| {
        let mut seen = Vec::new();
        loop {
            match lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) if line.contains(what) => return,
                Ok(line) => seen.push(line),
                Err(e) => panic!("no line with `{what}` ({e:?}); got:\n{}", seen.join("\n")),
            }
        }
    };
    until("strata: `p` is valid (1 tenant");
    until("watching the spec's files for changes");

    write(dir.path(), "tenants/a.kdl", "tenant \"team-a\" {\n    quota cpu=2 memory=\"4Gi\"\n");
    until("strata::parse::syntax");
    // A new file of the glob counts too.
    write(dir.path(), "tenants/a.kdl", "tenant \"team-a\" {\n    quota cpu=2 memory=\"4Gi\"\n}\n");
    write(dir.path(), "tenants/b.kdl", "tenant \"team-b\"\n");
    until("strata: `p` is valid (2 tenants");

    // SAFETY: `kill` with the id of a child this test started and has not yet waited for.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(sent, 0, "send SIGINT");
    // stderr closes when the process ends.
    loop {
        match lines.recv_timeout(Duration::from_secs(60)) {
            Ok(_) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                panic!("check --watch did not end on SIGINT");
            }
        }
    }
    let status = child.wait().expect("wait for strata");
    assert_eq!(status.code(), Some(0), "Ctrl-C ends a watch as a success");
}
