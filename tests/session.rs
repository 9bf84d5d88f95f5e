//! A long-lived `Session` against a fresh full check after every edit: the session keeps what it read
//! between checks, and these tests hold that it never answers with anything a full check would not.
//! Random edits over a small multi-file spec (numbers, references between files, broken syntax, files
//! added and removed, environments with overrides), through editor buffers and through the disk, and a
//! recorded sequence of edits on a generated platform.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use strata::diagnostic::Renderer;
use strata::lang::DiskFs;
use strata::session::Session;
use strata::{Compilation, Stage};

#[allow(dead_code)]
#[path = "../examples/generate.rs"]
mod generate;

/// Everything a check's user sees, with the folder a spec was checked in replaced by a placeholder, so two
/// copies of one spec in two folders compare equal. (The compilation types have no `PartialEq`.)
fn seen(cs: &[Compilation], dir: &Path) -> Vec<String> {
    let dir = dir.to_string_lossy().into_owned();
    cs.iter()
        .map(|c| {
            let tenants: Vec<&str> = c.platform.tenants.iter().map(|t| t.name.value.as_str()).collect();
            format!(
                "environment {:?}, objects {:?}, tenants {tenants:?}, resolved {}\n{}\n{:?}",
                c.environment(),
                c.objects,
                c.resolved.is_some(),
                Renderer::plain(&c.sources).json(&c.diagnostics),
                without_tenant_index(&format!("{:?}", c.platform)),
            )
            .replace(&dir, "<spec>")
        })
        .collect()
}

/// The platform's name index is a hash map (its debug order differs from run to run) and only mirrors
/// `tenants`, which is compared: it is left out.
fn without_tenant_index(debug: &str) -> String {
    let Some(start) = debug.find("tenant_index: {") else { return debug.to_string() };
    let end = debug[start..].find("}, ").map_or(debug.len(), |e| start + e + 3);
    format!("{}{}", &debug[..start], &debug[end..])
}

/// The session's answer and a fresh `compile_all` of the same files (kept in `mirror`) must agree.
fn assert_same_as_full(session: &mut Session, spec: &Path, mirror: &Path) {
    let incremental = seen(session.check(), spec);
    let full = seen(&strata::compile_all(&DiskFs, &mirror.join("platform.kdl"), Stage::Count), mirror);
    assert_eq!(incremental.len(), full.len(), "environments");
    for (i, f) in incremental.iter().zip(&full) {
        if i != f {
            let at = i.bytes().zip(f.bytes()).take_while(|(a, b)| a == b).count();
            let from = at.saturating_sub(200);
            panic!(
                "the session differs from a full check:\nsession: …{}\nfull:    …{}",
                &i[from..(at + 200).min(i.len())],
                &f[from..(at + 200).min(f.len())]
            );
        }
    }
}

fn real_tempdir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().canonicalize().expect("canonical tempdir");
    (dir, path)
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// One tenant file of the small spec: a tenant and a topic that names a tenant (its own, or another's).
#[derive(Clone, Debug)]
struct TenantFile {
    tenant: u8,
    partitions: u32,
    replicas: u32,
    topic_of: u8,
    broken: bool,
}

impl TenantFile {
    fn text(&self) -> String {
        let mut s = format!(
            "tenant \"team-{}\" tier=\"small\" {{\n    quota cpu=4 memory=\"16Gi\" pods=20\n}}\n\
             topic \"team-{}.events\" kafka=\"main\" tenant=\"team-{}\" partitions={} replicas={}\n",
            self.tenant, self.topic_of, self.topic_of, self.partitions, self.replicas
        );
        if self.broken {
            s.push_str("tenant \"half-written\" {\n    quota cpu=");
        }
        s
    }
}

#[derive(Clone, Debug, Default)]
struct Model {
    files: BTreeMap<u8, TenantFile>,
    /// `Some(n)`: the spec declares two environments, one overriding a topic's partitions with `n`.
    environments: Option<u32>,
    brokers: u32,
}

impl Model {
    fn root(&self) -> String {
        let mut s = format!(
            "platform \"p\" {{\n    cluster context=\"dev\"\n}}\ninclude \"tenants/*.kdl\"\n\
             kafka \"main\" namespace=\"kafka\" brokers={} version=\"4.1\"\n",
            self.brokers
        );
        if let Some(n) = self.environments {
            s.push_str(&format!(
                "environment \"staging\" context=\"stg\"\nenvironment \"production\" context=\"prod\" {{\n    \
                 topic \"team-0.events\" partitions={n}\n}}\n"
            ));
        }
        s
    }
}

#[derive(Clone, Debug)]
enum Edit {
    Partitions { file: u8, to: u32 },
    Replicas { file: u8, to: u32 },
    Brokers(u32),
    TopicOf { file: u8, tenant: u8 },
    Break { file: u8, broken: bool },
    Add { file: u8, tenant: u8 },
    Remove { file: u8 },
    Environments(Option<u32>),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0..5u8, 0..40u32).prop_map(|(file, to)| Edit::Partitions { file, to }),
        (0..5u8, 1..5u32).prop_map(|(file, to)| Edit::Replicas { file, to }),
        (1..5u32).prop_map(Edit::Brokers),
        (0..5u8, 0..6u8).prop_map(|(file, tenant)| Edit::TopicOf { file, tenant }),
        (0..5u8, any::<bool>()).prop_map(|(file, broken)| Edit::Break { file, broken }),
        (0..5u8, 0..6u8).prop_map(|(file, tenant)| Edit::Add { file, tenant }),
        (0..5u8).prop_map(|file| Edit::Remove { file }),
        proptest::option::of(0..30u32).prop_map(Edit::Environments),
    ]
}

/// How an edit reaches the session: as an unsaved buffer, or saved to disk (and announced, or not).
#[derive(Clone, Copy, Debug)]
enum Via {
    Buffer,
    Disk,
    DiskUnannounced,
}

fn via() -> impl Strategy<Value = Via> {
    prop_oneof![Just(Via::Buffer), Just(Via::Disk), Just(Via::DiskUnannounced)]
}

/// Applies `edit` to the model; returns the file it changed (relative), or `None` when nothing changed.
fn apply(model: &mut Model, edit: &Edit) -> Option<(String, Option<String>)> {
    let tenant_file = |file: u8| format!("tenants/t{file}.kdl");
    match *edit {
        Edit::Partitions { file, to } => model.files.get_mut(&file).map(|f| f.partitions = to),
        Edit::Replicas { file, to } => model.files.get_mut(&file).map(|f| f.replicas = to),
        Edit::TopicOf { file, tenant } => model.files.get_mut(&file).map(|f| f.topic_of = tenant),
        Edit::Break { file, broken } => model.files.get_mut(&file).map(|f| f.broken = broken),
        Edit::Add { file, tenant } => {
            let new = TenantFile { tenant, partitions: 3, replicas: 1, topic_of: tenant, broken: false };
            model.files.insert(file, new);
            Some(())
        }
        Edit::Remove { file } => {
            return model.files.remove(&file).map(|_| (tenant_file(file), None));
        }
        Edit::Brokers(n) => {
            model.brokers = n;
            return Some(("platform.kdl".into(), Some(model.root())));
        }
        Edit::Environments(e) => {
            model.environments = e;
            return Some(("platform.kdl".into(), Some(model.root())));
        }
    }?;
    let file = match *edit {
        Edit::Partitions { file, .. }
        | Edit::Replicas { file, .. }
        | Edit::TopicOf { file, .. }
        | Edit::Break { file, .. }
        | Edit::Add { file, .. } => file,
        _ => unreachable!("handled above"),
    };
    Some((tenant_file(file), Some(model.files[&file].text())))
}

fn start(model: &Model, spec: &Path, mirror: &Path) {
    for dir in [spec, mirror] {
        write(dir, "platform.kdl", &model.root());
        for (n, f) in &model.files {
            write(dir, &format!("tenants/t{n}.kdl"), &f.text());
        }
    }
}

fn initial() -> Model {
    let mut model = Model { brokers: 3, ..Model::default() };
    for n in 0..3 {
        model.files.insert(n, TenantFile { tenant: n, partitions: 6, replicas: 1, topic_of: n, broken: false });
    }
    model
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn after_every_random_edit_the_session_equals_a_full_check(edits in proptest::collection::vec((edit(), via()), 1..14)) {
        let (_a, spec) = real_tempdir();
        let (_b, mirror) = real_tempdir();
        let mut model = initial();
        start(&model, &spec, &mirror);
        let mut session = Session::new(spec.join("platform.kdl"));
        assert_same_as_full(&mut session, &spec, &mirror);
        for (edit, via) in &edits {
            let Some((rel, text)) = apply(&mut model, edit) else { continue };
            match &text {
                Some(t) => write(&mirror, &rel, t),
                None => std::fs::remove_file(mirror.join(&rel)).expect("remove from the mirror"),
            }
            let path = spec.join(&rel);
            match (via, text) {
                (Via::Buffer, Some(t)) => session.set_text(&path, Some(t)),
                (_, text) => {
                    match text {
                        Some(t) => write(&spec, &rel, &t),
                        None => {
                            let _ = std::fs::remove_file(&path);
                        }
                    }
                    // Saved: the file on disk counts again, whatever buffer the editor had.
                    session.set_text(&path, None);
                    if !matches!(via, Via::DiskUnannounced) {
                        session.changed_on_disk(&path);
                    }
                }
            }
            // A file only ever in a buffer and then removed must not linger in the session either.
            if !mirror.join(&rel).exists() {
                session.set_text(&path, None);
            }
            assert_same_as_full(&mut session, &spec, &mirror);
        }
    }
}

/// A recorded edit: the file's text before, to its text after.
type Change = Box<dyn Fn(&str) -> String>;

/// The benchmark's platform (`examples/generate.rs`), small: one tenant's files edited one after another,
/// broken and mended, a tenant file added and removed, as a day in an editor goes.
#[test]
fn a_recorded_sequence_of_edits_on_a_generated_platform_equals_full_checks() {
    let (_a, spec) = real_tempdir();
    let (_b, mirror) = real_tempdir();
    let root = "platform \"synthetic\" {\n    cluster context=\"strata-test\"\n    inventory namespace=\"default\"\n}\n\
                include \"tenants/*.kdl\"\ninclude \"kafka/*.kdl\"\ninclude \"spark/*.kdl\"\ninclude \"airflow/*.kdl\"\n\
                include \"flink/*.kdl\"\ninclude \"jobs/*.kdl\"\ninclude \"apps/*.kdl\"\n\
                kafka \"events\" namespace=\"kafka-events\" brokers=3 authorization=\"simple\" version=\"4.1\"\n\
                kafka \"logs\" namespace=\"kafka-logs\" brokers=5 authorization=\"simple\" version=\"4.1\"\n";
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    files.insert("platform.kdl".into(), root.into());
    for t in 0..4 {
        let name = format!("team-{t:04}");
        files.insert(format!("tenants/{name}.kdl"), generate::tenant(&name));
        files.insert(format!("kafka/{name}.kdl"), generate::kafka(&name, t, 0));
        files.insert(format!("spark/{name}.kdl"), generate::spark(&name, t, 0));
        files.insert(format!("airflow/{name}.kdl"), generate::airflow(&name, t, 0));
        files.insert(format!("flink/{name}.kdl"), generate::flink(&name, t, 0));
        files.insert(format!("jobs/{name}.kdl"), generate::jobs(&name, t, 0));
        files.insert(format!("apps/{name}.kdl"), generate::apps(&name, t, 0));
    }
    for (rel, text) in &files {
        write(&spec, rel, text);
        write(&mirror, rel, text);
    }
    let mut session = Session::new(spec.join("platform.kdl"));
    assert_same_as_full(&mut session, &spec, &mirror);
    assert!(session.last().iter().all(Compilation::ok), "the generated platform is valid");

    let tenant = "tenants/team-0001.kdl";
    let kafka = "kafka/team-0001.kdl";
    let edits: Vec<(&str, Change)> = vec![
        (tenant, Box::new(|t| t.replacen("pods=2000", "pods=2001", 1))),
        // Over the quota: the quota fit of the tenant's workloads fails.
        (tenant, Box::new(|t| t.replacen("cpu=400", "cpu=1", 1))),
        (tenant, Box::new(|t| t.replacen("cpu=1", "cpu=400", 1))),
        // Renamed: every workload of the old name now names a tenant that does not exist.
        (tenant, Box::new(|t| t.replacen("\"team-0001\"", "\"team-0101\"", 1))),
        (tenant, Box::new(|t| t.replacen("\"team-0101\"", "\"team-0001\"", 1))),
        (kafka, Box::new(|t| format!("{t}\ntopic \"half {{"))),
        (kafka, Box::new(|t| t.replacen("\ntopic \"half {", "", 1))),
        // A duplicate of another file's tenant.
        ("tenants/zz-copy.kdl", Box::new(|_| generate::tenant("team-0002"))),
        ("platform.kdl", Box::new(|t| t.replacen("brokers=3", "brokers=1", 1))),
        ("platform.kdl", Box::new(|t| format!("{t}environment \"staging\" context=\"stg\"\n"))),
        ("platform.kdl", Box::new(|t| t.replacen("brokers=1", "brokers=3", 1))),
    ];
    for (i, (rel, change)) in edits.iter().enumerate() {
        let before = files.get(*rel).cloned().unwrap_or_default();
        let after = change(&before);
        assert_ne!(before, after, "edit {i} changes {rel}");
        files.insert(rel.to_string(), after.clone());
        write(&mirror, rel, &after);
        // Alternate between an unsaved buffer and a save.
        if i % 2 == 0 {
            session.set_text(&spec.join(rel), Some(after));
        } else {
            write(&spec, rel, &after);
            session.set_text(&spec.join(rel), None);
            session.changed_on_disk(&spec.join(rel));
        }
        assert_same_as_full(&mut session, &spec, &mirror);
    }
    // The copy goes again, from disk and buffer alike.
    std::fs::remove_file(mirror.join("tenants/zz-copy.kdl")).expect("remove");
    let _ = std::fs::remove_file(spec.join("tenants/zz-copy.kdl"));
    session.set_text(&spec.join("tenants/zz-copy.kdl"), None);
    assert_same_as_full(&mut session, &spec, &mirror);
}

/// Includes that are symbolic links load in the order of the links' names, as a full check loads them,
/// with an unsaved buffer among them: a link into another folder and a link to a file beside it.
#[cfg(unix)]
#[test]
fn linked_includes_load_in_the_order_a_full_check_loads_them() {
    let (_keep, dir) = real_tempdir();
    write(&dir, "platform.kdl", "platform \"p\"\ninclude \"tenants/*.kdl\"\n");
    write(&dir, "elsewhere/a.kdl", "tenant \"a\"\ntenant \"dup\"\n");
    write(&dir, "tenants/b.kdl", "tenant \"b\"\ntenant \"dup\"\n");
    write(&dir, "tenants/z.kdl", "tenant \"z\"\n");
    std::os::unix::fs::symlink(dir.join("elsewhere/a.kdl"), dir.join("tenants/a.kdl")).expect("link");
    std::os::unix::fs::symlink(dir.join("tenants/z.kdl"), dir.join("tenants/c.kdl")).expect("link");
    let mut session = Session::new(dir.join("platform.kdl"));
    assert_same_as_full(&mut session, &dir, &dir);
    let tenants: Vec<String> = session.last()[0].platform.tenants.iter().map(|t| t.name.value.clone()).collect();
    assert_eq!(tenants, ["a", "dup", "b", "dup", "z"], "a (linked) first, then b, then z through c");
    session.set_text(&dir.join("tenants/b.kdl"), Some("tenant \"b2\"\n".into()));
    std::fs::write(dir.join("tenants/b.kdl"), "tenant \"b2\"\n").expect("write");
    assert_same_as_full(&mut session, &dir, &dir);
}
