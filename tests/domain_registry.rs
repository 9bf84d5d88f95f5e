//! The domain registry (`src/domain.rs`) against what strata really emits and what the operators really
//! serve, so a part forgotten when a kind or domain is added fails here instead of passing silently:
//!
//! - every object every valid spec compiles to (the bundled platform and every valid golden case) has a
//!   descriptor, with the object's version among the descriptor's, its stage and its scope; and every
//!   descriptor marked emitted is emitted by one of them;
//! - every operator's CRD file (`$STRATA_CRDS_DIR`, else `../shared/crds`, else the cache
//!   `scripts/fetch-crds` fills) for a kind strata knows has the descriptor's group, plural and scope, and
//!   the release the install hint names serves the version strata emits.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use strata::domain::{self, KINDS, OPERATORS, Scope, ServedBy};

#[test]
fn every_emitted_object_has_a_descriptor_that_matches_it() {
    let mut emitted: BTreeSet<(String, String)> = BTreeSet::new();
    let mut problems = BTreeSet::new();
    for (case, path) in support::valid_cases() {
        for c in strata::compile_path_envs(&path) {
            let Some(set) = c.manifests else { panic!("{case} does not compile") };
            for m in &set.items {
                let Some(d) = domain::lookup(m.group(), &m.kind) else {
                    problems.insert(format!(
                        "{case}: {} {} has no descriptor: add a KindDescriptor to KINDS in src/domain.rs",
                        m.api_version, m.kind
                    ));
                    continue;
                };
                emitted.insert((d.group.to_string(), d.kind.to_string()));
                let version = m.api_version.rsplit('/').next().unwrap_or_default();
                if !d.versions.contains(&version) {
                    problems.insert(format!(
                        "{case}: {} {} is not among the versions {:?}",
                        m.api_version, m.kind, d.versions
                    ));
                }
                if m.stage != d.stage {
                    problems.insert(format!(
                        "{case}: {} is emitted in stage {:?}, its descriptor says {:?} (prune deletes by the descriptor)",
                        m.key(),
                        m.stage,
                        d.stage
                    ));
                }
                if m.namespace.is_some() != (d.scope == Scope::Namespaced) {
                    problems.insert(format!("{case}: {} has scope {:?} in its descriptor", m.key(), d.scope));
                }
                if !d.emitted {
                    problems.insert(format!("{case}: {} is emitted, but its descriptor says `emitted: false`", m.kind));
                }
            }
        }
    }
    for d in KINDS.iter().filter(|d| d.emitted) {
        if !emitted.contains(&(d.group.to_string(), d.kind.to_string())) {
            problems.insert(format!(
                "{}.{} is marked emitted, but no valid golden case emits it: add a case, or mark it `emitted: false`",
                d.kind, d.group
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.into_iter().collect::<Vec<_>>().join("\n"));
}

#[derive(serde::Deserialize)]
struct Crd {
    kind: String,
    spec: CrdSpec,
}

#[derive(serde::Deserialize)]
struct CrdSpec {
    group: String,
    names: CrdNames,
    scope: String,
    versions: Vec<CrdVersion>,
}

#[derive(serde::Deserialize)]
struct CrdNames {
    kind: String,
    plural: String,
}

#[derive(serde::Deserialize)]
struct CrdVersion {
    name: String,
    served: bool,
}

/// A CRD file's name and the versions it serves.
type CrdFile = (String, Vec<String>);

/// Where scripts/test-cluster finds the CRDs, in its order.
fn crds_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("STRATA_CRDS_DIR") {
        return Some(PathBuf::from(d));
    }
    let shared = support::repo().join("../shared/crds");
    if shared.is_dir() {
        return Some(shared);
    }
    let cache = std::env::var_os("STRATA_CRDS_CACHE").map(PathBuf::from).or_else(|| {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
        Some(base.join("strata/crds"))
    })?;
    cache.is_dir().then_some(cache)
}

/// Without the CRDs the check cannot run: a failure under `CI=true` (CI must never pass by skipping),
/// else a visible skip.
fn no_crds(why: &str) {
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "{why} (STRATA_CRDS_DIR, ../shared/crds or the scripts/fetch-crds cache); CI=true must check them"
    );
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED the_operators_crds_match_the_descriptors: {why}; set STRATA_CRDS_DIR or run scripts/fetch-crds"
    );
}

#[test]
fn the_operators_crds_match_the_descriptors() {
    let Some(dir) = crds_dir() else { return no_crds("no CRD folder") };
    let groups: BTreeSet<&str> = OPERATORS.iter().map(|o| o.group).collect();
    let mut found: BTreeMap<(String, String), Vec<CrdFile>> = BTreeMap::new();
    let mut problems = BTreeSet::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    for path in files {
        let file = path.file_name().unwrap_or_default().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        // Only the operators strata knows: the folder holds others' CRDs too (KEDA, Prometheus, ...).
        if !groups.iter().any(|g| text.contains(&format!("group: {g}"))) {
            continue;
        }
        let crd: Crd = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        if crd.kind != "CustomResourceDefinition" {
            continue;
        }
        let spec = crd.spec;
        let Some(d) = domain::lookup(&spec.group, &spec.names.kind) else { continue };
        if spec.names.plural != d.plural {
            problems.insert(format!(
                "{file}: plural {}, the descriptor of {} says {}",
                spec.names.plural, d.kind, d.plural
            ));
        }
        let scope = if spec.scope == "Namespaced" { Scope::Namespaced } else { Scope::Cluster };
        if scope != d.scope {
            problems.insert(format!("{file}: scope {}, the descriptor of {} says {:?}", spec.scope, d.kind, d.scope));
        }
        let served = spec.versions.into_iter().filter(|v| v.served).map(|v| v.name).collect();
        found.entry((spec.group, spec.names.kind)).or_default().push((file, served));
    }
    if found.is_empty() {
        return no_crds(&format!("no CRD of a known operator in {}", dir.display()));
    }
    for d in KINDS {
        let ServedBy::Operator(operator) = d.served_by else { continue };
        let Some(files) = found.get(&(d.group.to_string(), d.kind.to_string())) else {
            if d.emitted {
                problems.insert(format!(
                    "{}: no CRD file for {}.{} in {}",
                    operator.name,
                    d.kind,
                    d.group,
                    dir.display()
                ));
            }
            continue;
        };
        // The release the install hint names must serve what strata emits now.
        let pinned = format!("-{}-", operator.release);
        match files.iter().find(|(f, _)| f.contains(&pinned)) {
            Some((f, served)) if !served.iter().any(|v| v == d.versions[0]) => {
                problems
                    .insert(format!("{f}: {} {} does not serve {}", operator.name, operator.release, d.versions[0]));
            }
            Some(_) => {}
            None => {
                problems.insert(format!("no CRD file of {} {} for {}", operator.name, operator.release, d.kind));
            }
        }
        // Older versions strata still emits (for older operator releases) are checked where the folder
        // has an older release's file (scripts/fetch-crds fetches those with --all).
        if files.iter().any(|(f, _)| !f.contains(&pinned)) {
            for v in &d.versions[1..] {
                if !files.iter().any(|(_, served)| served.iter().any(|s| s == v)) {
                    problems.insert(format!("no CRD file serves {}/{v} {}", d.group, d.kind));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.into_iter().collect::<Vec<_>>().join("\n"));
}
