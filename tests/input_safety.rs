//! Hostile and careless input: includes that escape the spec's repository or block on a FIFO, secrets
//! written in plain text, names the API server would refuse, line ends editors count differently, and
//! shapes that once overflowed a stack or hung a run. Each test here failed before its fix.

use std::path::Path;
use std::process::{Command, Output};

use strata::lang::MemFs;

fn strata(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .output()
        .expect("run strata")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn codes(c: &strata::Compilation) -> Vec<&'static str> {
    c.diagnostics.sorted().into_iter().map(|d| d.code).collect()
}

fn compile_mem(text: &str) -> strata::Compilation {
    let fs = MemFs::new().with("platform.kdl", text.as_bytes().to_vec());
    strata::compile(&fs, Path::new("platform.kdl"))
}

/// A throw-away repository: `.git` marks its top level, as `git init` would.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join(".git")).expect("mkdir .git");
    dir
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

// ---- point 1: `..` in includes resolves against the including file's directory ----

#[test]
fn parent_includes_resolve_against_the_including_files_directory() {
    let r = repo();
    write(&r.path().join("common.kdl"), "tenant \"shared\"\n");
    // A decoy where text normalisation of `../../common.kdl` against `platform.kdl` used to land.
    write(&r.path().join("envs/prod/common.kdl"), "tenant \"decoy\"\n");
    write(&r.path().join("envs/prod/platform.kdl"), "platform \"p\"\ninclude \"../../common.kdl\"\n");
    let out = strata(&r.path().join("envs/prod"), &["compile"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let yaml = String::from_utf8_lossy(&out.stdout);
    assert!(yaml.contains("name: shared"), "{yaml}");
    assert!(!yaml.contains("decoy"), "{yaml}");
}

#[test]
fn includes_follow_the_real_directory_of_a_symlinked_folder() {
    let r = repo();
    write(&r.path().join("shared/tenants/t.kdl"), "include \"../common.kdl\"\n");
    write(&r.path().join("shared/common.kdl"), "tenant \"real\"\n");
    write(&r.path().join("platform.kdl"), "platform \"p\"\ninclude \"link/t.kdl\"\n");
    std::os::unix::fs::symlink(r.path().join("shared/tenants"), r.path().join("link")).expect("symlink");
    let out = strata(r.path(), &["compile"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("name: real"));
}

// ---- point 3: include policy, non-spec files, control characters ----

#[test]
fn absolute_includes_are_refused_without_the_flag() {
    let r = repo();
    let secret = tempfile::tempdir().expect("temp dir");
    write(&secret.path().join("environ"), "AWS_SECRET=hunter2\nOTHER=x\n");
    let target = secret.path().join("environ");
    write(&r.path().join("platform.kdl"), &format!("platform \"p\"\ninclude {:?}\n", target.display().to_string()));
    let out = strata(r.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("strata::include::outside"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");

    // With the flag the file is read, but a file that is not KDL shows one line at most.
    let out = strata(r.path(), &["check", "--allow-include-outside"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("OTHER=x"), "more than the offending line shown:\n{err}");
}

#[test]
fn parent_escapes_out_of_the_repository_are_refused() {
    let outer = tempfile::tempdir().expect("temp dir");
    write(&outer.path().join("outside.kdl"), "tenant \"o\"\n");
    std::fs::create_dir_all(outer.path().join("repo/.git")).expect("mkdir");
    write(&outer.path().join("repo/platform.kdl"), "platform \"p\"\ninclude \"../outside.kdl\"\n");
    let out = strata(&outer.path().join("repo"), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("strata::include::outside"), "{}", stderr(&out));
    let out = strata(&outer.path().join("repo"), &["compile", "--allow-include-outside"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn includes_inside_the_repository_but_above_the_spec_are_allowed() {
    let r = repo();
    write(&r.path().join("base.kdl"), "tenant \"b\"\n");
    write(&r.path().join("a/platform.kdl"), "platform \"p\"\ninclude \"../base.kdl\"\n");
    let out = strata(&r.path().join("a"), &["check"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn without_a_repository_includes_stay_in_the_specs_folder() {
    let outer = tempfile::tempdir().expect("temp dir");
    write(&outer.path().join("x.kdl"), "tenant \"x\"\n");
    write(&outer.path().join("spec/platform.kdl"), "platform \"p\"\ninclude \"../x.kdl\"\n");
    let out = strata(&outer.path().join("spec"), &["check"]);
    assert!(stderr(&out).contains("strata::include::outside"), "{}", stderr(&out));
}

#[test]
fn a_non_spec_file_shows_only_its_offending_line() {
    let r = repo();
    let body: String = (0..50).map(|i| format!("line{i} = {{ not kdl: [}}\n")).collect();
    write(&r.path().join("notes.txt"), &body);
    write(&r.path().join("platform.kdl"), "platform \"p\"\ninclude \"notes.txt\"\n");
    let out = strata(r.path(), &["check"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let shown = (0..50).filter(|i| err.contains(&format!("line{i} "))).count();
    assert!(shown <= 1, "{shown} lines of the file shown:\n{err}");
}

#[test]
fn control_characters_in_spec_strings_are_escaped_in_every_message() {
    // ESC sequences (clear screen, retitle the terminal), a C1 CSI and a bidi override.
    let text = "platform \"p\"\ntenant \"a\u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}31m\u{202e}b\" {\n    quota cpu=\"x\u{1b}[1m\"\n}\n";
    let r = repo();
    write(&r.path().join("platform.kdl"), text);
    for format in ["human", "json", "github"] {
        let out = strata(r.path(), &["check", "--format", format]);
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert_eq!(out.status.code(), Some(2), "{all}");
        for bad in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
            assert!(!all.contains(bad), "{format}: {bad:?} reached the terminal:\n{all}");
        }
    }
}

// ---- point 9: stack overflows and the renderer's column limit ----

#[test]
fn a_multi_line_string_does_not_hide_deep_nesting() {
    let depth = 2_000;
    let text = format!("platform \"p\"\nx \"\"\"\n\"\n\"\"\"\n{}{}", "a {".repeat(depth), "}".repeat(depth));
    let c = compile_mem(&text);
    assert!(codes(&c).contains(&"strata::parse::too-deep"), "{:?}", codes(&c));
}

#[test]
fn a_comment_ended_by_a_kdl_newline_does_not_hide_deep_nesting() {
    let depth = 2_000;
    let text = format!("platform \"p\"\n// c\u{85}{}{}", "a {".repeat(depth), "}".repeat(depth));
    let c = compile_mem(&text);
    assert!(codes(&c).contains(&"strata::parse::too-deep"), "{:?}", codes(&c));
}

#[test]
fn a_long_include_chain_is_an_error_not_a_stack_overflow() {
    let n = 5_000;
    let mut fs = MemFs::new().with("platform.kdl", "platform \"p\"\ninclude \"f0.kdl\"\n");
    for i in 0..n {
        fs.insert(format!("f{i}.kdl"), format!("include \"f{}.kdl\"\n", i + 1));
    }
    fs.insert(format!("f{n}.kdl"), "tenant \"end\"\n");
    let c = strata::compile(&fs, Path::new("platform.kdl"));
    assert!(codes(&c).contains(&"strata::include::too-deep"), "{:?}", codes(&c));
}

#[test]
fn many_type_annotations_are_not_a_stack_overflow() {
    for run in ["(t)", "(t) ", "("] {
        let text = format!("platform \"p\"\nx {}1\n", run.repeat(100_000));
        let c = compile_mem(&text);
        assert!(c.diagnostics.has_errors());
    }
}

#[test]
fn deeply_nested_comments_are_not_a_stack_overflow() {
    let text = format!("platform \"p\"\n{}{}\n", "/*".repeat(100_000), "*/".repeat(100_000));
    let _ = compile_mem(&text);
}

#[test]
fn a_diagnostic_past_column_65536_renders() {
    let r = repo();
    let text = format!("platform \"p\"\ntenant \"t\" {}quota cpu=-1\n", " ".repeat(70_000));
    write(&r.path().join("platform.kdl"), &text);
    let out = strata(r.path(), &["check"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("platform.kdl:2:"), "{err}");
    assert!(err.len() < 20_000, "the whole line was printed ({} bytes)", err.len());
}

// ---- point 10: hangs ----

#[test]
fn including_a_fifo_is_refused_not_a_hang() {
    let r = repo();
    let fifo = r.path().join("pipe.kdl");
    let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(status.success());
    write(&r.path().join("platform.kdl"), "platform \"p\"\ninclude \"pipe.kdl\"\n");
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .arg("check")
        .current_dir(r.path())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert_eq!(status.code(), Some(2));
            break;
        }
        if started.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            panic!("strata blocked on a FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    assert!(stderr(&out).contains("strata::io::not-a-file"), "{}", stderr(&out));
}

#[test]
fn includes_past_the_file_limit_are_one_error() {
    let n = strata::lang::load::MAX_FILES + 500;
    let mut root = String::from("platform \"p\"\n");
    let mut fs = MemFs::new();
    for i in 0..n {
        root.push_str(&format!("include \"t{i}.kdl\"\n"));
        fs.insert(format!("t{i}.kdl"), "");
    }
    fs.insert("platform.kdl", root);
    let c = strata::compile(&fs, Path::new("platform.kdl"));
    let too_many = codes(&c).iter().filter(|c| **c == "strata::include::too-many").count();
    assert_eq!(too_many, 1, "{too_many} errors for one limit");
}

#[test]
fn a_root_glob_is_refused_before_any_walk() {
    let r = repo();
    write(&r.path().join("platform.kdl"), "platform \"p\"\ninclude \"/**/*.kdl\"\n");
    let started = std::time::Instant::now();
    let out = strata(r.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("strata::include::outside"), "{}", stderr(&out));
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

// ---- point 13: line numbers as editors count them ----

#[test]
fn every_kdl_newline_counts_as_a_line() {
    for nl in ["\r\n", "\r", "\u{85}", "\u{c}", "\u{2028}", "\u{2029}"] {
        let text = format!("platform \"p\"{nl}tenant \"t\"{nl}{nl}tenant \"t\"{nl}");
        let c = compile_mem(&text);
        let d = c.diagnostics.iter().find(|d| d.code == "strata::tenant::duplicate").expect("duplicate");
        let loc = c.sources.location(d.primary.as_ref().expect("span").span);
        assert_eq!(loc, "platform.kdl:4:8", "line end {nl:?}");
    }
}

// ---- point 2: secrets in Spark and Flink settings and URIs ----

fn count(c: &strata::Compilation, code: &str) -> usize {
    c.diagnostics.iter().filter(|d| d.code == code).count()
}

#[test]
fn spark_credentials_in_conf_and_uris_are_refused() {
    let c = compile_mem(
        r#"platform "p"
tenant "t"
spark-job "j" tenant="t" {
    image "registry.acme.io/j:1.0" spark-version="3.5.1"
    main "s3a://AKIA:wJalrXUt@bucket/app.jar" class="com.acme.Main"
    conf "spark.hadoop.fs.s3a.secret.key" "wJalrXUtnFEMI"
    conf "spark.hadoop.fs.s3a.access.key" "AKIAIOSFODNN7EXAMPLE"
    conf "spark.ssl.keyStorePassword" "hunter2"
    hadoop-conf "fs.azure.account.key.acme.blob.core.windows.net" "c2VjcmV0"
    hadoop-conf "fs.azure.sas.data.acme.blob.core.windows.net" "sv=2024&sig=abc"
    deps {
        repositories "https://deploy:tok3n@maven.acme.io/releases"
    }
    driver size="s"
    executors 1 size="s"
}
"#,
    );
    assert_eq!(count(&c, "strata::spark::literal-secret"), 6, "{:?}", codes(&c));
}

#[test]
fn flink_uris_with_passwords_are_refused() {
    let c = compile_mem(
        r#"platform "p"
tenant "t"
flink-job "f" tenant="t" {
    image "flink:1.20.1"
    jar "https://u:pw@repo.acme.io/job.jar" version="1.20"
    parallelism 1
    jobmanager size="s"
    taskmanager size="s"
    checkpoints every="1m" dir="s3://k:s@cp/f" savepoint-dir="s3://k:s@sp/f"
}
"#,
    );
    assert_eq!(count(&c, "strata::flink::literal-secret"), 3, "{:?}", codes(&c));
}

// ---- point 13: names the API server refuses ----

#[test]
fn label_keys_values_and_tenant_names_the_api_server_refuses_fail_check() {
    let c = compile_mem(
        "platform \"p\"\ntenant \"t\" {\n    label \"a: b\" \"x\"\n    label \"team\" \"---\"\n    label \"\u{430}pp\" \"ok\"\n    label \"acme.io/tier\" \"g\u{200b}old\"\n    label \"acme.io/ok\" \"fine\"\n}\ntenant \"\u{442}enant\"\ntenant \"zero\u{200b}width\"\n",
    );
    assert_eq!(count(&c, "strata::tenant::label-key"), 2, "{:?}", codes(&c));
    assert_eq!(count(&c, "strata::tenant::label-value"), 2, "{:?}", codes(&c));
    assert_eq!(count(&c, "strata::tenant::name"), 2, "{:?}", codes(&c));
}

// ---- point 12: what `restricted` must guarantee (Spark) ----

#[test]
fn restricted_spark_jobs_refuse_root_and_host_path_volumes() {
    let job = |tenant: &str, extra: &str| {
        format!(
            "spark-job \"j{tenant}\" tenant=\"{tenant}\" {{\n    image \"registry.acme.io/j:1.0\" spark-version=\"3.5.1\"\n    main \"local:///opt/app.jar\" class=\"com.acme.Main\"\n    {extra}\n    driver size=\"s\"\n    executors 1 size=\"s\"\n}}\n"
        )
    };
    let text = format!(
        "platform \"p\"\ntenant \"r\"\ntenant \"b\" pod-security=\"baseline\"\ntenant \"x\" pod-security=\"privileged\"\n{}{}{}{}",
        job("r", "security \"restricted\" run-as-user=0"),
        job("r", "conf \"spark.kubernetes.driver.volumes.hostPath.data.mount.path\" \"/data\""),
        job("b", "conf \"spark.kubernetes.executor.volumes.hostPath.data.options.path\" \"/var\""),
        job("x", "conf \"spark.kubernetes.executor.volumes.hostPath.data.options.path\" \"/var\""),
    );
    let c = compile_mem(&text);
    assert_eq!(count(&c, "strata::spark::run-as-user"), 1, "{:?}", codes(&c));
    assert_eq!(count(&c, "strata::spark::host-path"), 2, "{:?}", codes(&c));
}

#[test]
fn restricted_flink_jobs_refuse_host_network_and_service_account_overrides() {
    let job = |name: &str, tenant: &str, config: &str| {
        format!(
            "flink-job \"{name}\" tenant=\"{tenant}\" {{\n    image \"flink:1.20.1\"\n    jar \"local:///opt/flink/usrlib/j.jar\" version=\"1.20\"\n    parallelism 1\n    jobmanager size=\"s\"\n    taskmanager size=\"s\"\n    {config}\n}}\n"
        )
    };
    let text = format!(
        "platform \"p\"\ntenant \"r\"\ntenant \"x\" pod-security=\"privileged\"\n{}{}{}{}",
        job("a", "r", "config \"kubernetes.hostnetwork.enabled\" #true"),
        job("b", "r", "config \"kubernetes.jobmanager.service-account\" \"admin\""),
        job("c", "r", "config \"kubernetes.hostnetwork.enabled\" #false"),
        job("d", "x", "config \"kubernetes.hostnetwork.enabled\" #true"),
    );
    let c = compile_mem(&text);
    assert_eq!(count(&c, "strata::flink::pod-security"), 2, "{:?}", codes(&c));
}

// ---- found by the fuzz target `frontend` ----

/// A file with invalid UTF-8 on a line long enough to be windowed: the not-UTF-8 label points into the
/// replacement characters of the lossy text, and windowing that line sliced inside one (exit 101). The input
/// is the fuzzer's own, kept in the corpus so every fuzz run starts from it.
#[test]
fn a_label_inside_a_replacement_character_is_rendered_not_a_panic() {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/frontend/regress-not-utf8-long-line"))
        .expect("corpus file");
    let dir = repo();
    std::fs::write(dir.path().join("platform.kdl"), &bytes).expect("write");
    let o = strata(dir.path(), &["check"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("strata::io::not-utf8"), "{}", stderr(&o));
}

/// `fmt` reads files through its own path (it keeps comments): deep nesting there is a diagnostic too.
#[test]
fn fmt_of_deep_nesting_is_an_error_not_a_stack_overflow() {
    let dir = repo();
    let n = 100_000;
    write(&dir.path().join("platform.kdl"), &format!("platform \"p\"\n{}{}\n", "a {".repeat(n), "}".repeat(n)));
    for args in [&["fmt", "--check", "platform.kdl"][..], &["fmt", "platform.kdl"][..]] {
        let o = strata(dir.path(), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("strata::parse::too-deep"), "{args:?}: {}", stderr(&o));
    }
}
