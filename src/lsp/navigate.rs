//! Go to definition and find references. The index is built from the lowered model, whose every name is a
//! [`Spanned`] value: a declaration is the name a `tenant`, `topic`, `size`, ... node gives itself, a
//! reference is a property or argument that names one (`tenant="analytics"`, `preset="events"`,
//! `consumes "orders"`). Nothing is found by searching text, so a topic named like a tenant is never
//! confused with it. `include "..."` is the one exception: the loader resolves includes before the model
//! exists, so [`includes_at`] reads the include node itself.

use std::path::{Path, PathBuf};

use crate::model::Platform;
use crate::model::kafka::ResourceType;
use crate::source::{Span, Spanned};

/// What a name names. Each kind is its own namespace: a size and a tier may share a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Tenant,
    Topic,
    KafkaUser,
    KafkaCluster,
    Size,
    TopicPreset,
    Tier,
}

/// One name as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub kind: Kind,
    pub name: String,
    pub span: Span,
    pub declaration: bool,
    /// A stdlib preset: the platform's own of the same name replaces it.
    pub stdlib: bool,
}

/// Every declaration of and reference to a name in one platform.
#[derive(Debug, Default, Clone)]
pub struct Index {
    symbols: Vec<Symbol>,
}

impl Index {
    pub fn of(p: &Platform) -> Index {
        let mut ix = Index::default();
        let decl = &mut |ix: &mut Index, kind, s: &Spanned<String>| ix.add(kind, s, true, false);
        let stdlib = &mut |ix: &mut Index, kind, s: &Spanned<String>, from: bool| ix.add(kind, s, true, from);
        for t in &p.tenants {
            decl(&mut ix, Kind::Tenant, &t.name);
            ix.reference(Kind::Tier, t.tier.as_ref());
        }
        for s in &p.presets.sizes {
            stdlib(&mut ix, Kind::Size, &s.name, s.from_stdlib);
        }
        for t in &p.presets.tiers {
            stdlib(&mut ix, Kind::Tier, &t.name, t.from_stdlib);
        }
        let k = &p.kafka;
        for c in &k.clusters {
            decl(&mut ix, Kind::KafkaCluster, &c.name);
        }
        for pr in &k.presets {
            stdlib(&mut ix, Kind::TopicPreset, &pr.name, pr.from_stdlib);
        }
        for t in &k.topics {
            decl(&mut ix, Kind::Topic, &t.name);
            ix.reference(Kind::KafkaCluster, t.cluster.as_ref());
            ix.reference(Kind::Tenant, t.tenant.as_ref());
            ix.reference(Kind::TopicPreset, t.preset.as_ref());
        }
        for u in &k.users {
            decl(&mut ix, Kind::KafkaUser, &u.name);
            ix.reference(Kind::KafkaCluster, u.cluster.as_ref());
            ix.reference(Kind::Tenant, u.tenant.as_ref());
            for acl in u.acls.iter().filter(|a| a.resource_type == ResourceType::Topic) {
                // A prefix pattern or `*` names many topics, not one.
                if let Some(r) = acl.resource.as_ref().filter(|r| r.prefix().is_none() && !r.is_wildcard()) {
                    ix.reference(Kind::Topic, Some(&r.written));
                }
            }
        }
        for j in &p.spark.jobs {
            ix.reference(Kind::Tenant, Some(&j.tenant));
            ix.reference(Kind::Size, j.driver.as_ref().and_then(|d| d.size.as_ref()));
            ix.reference(Kind::Size, j.executors.as_ref().and_then(|e| e.role.size.as_ref()));
        }
        for a in &p.airflow.deployments {
            ix.reference(Kind::Tenant, Some(&a.tenant));
            if let Some(ex) = &a.executor {
                for t in &ex.templates {
                    ix.reference(Kind::Size, t.size.as_ref());
                }
                for t in ex.multi_namespace.iter().flat_map(|m| &m.tenants) {
                    ix.reference(Kind::Tenant, Some(t));
                }
            }
        }
        for j in &p.flink.jobs {
            ix.reference(Kind::Tenant, Some(&j.tenant));
            for c in [&j.jobmanager, &j.taskmanager].into_iter().flatten() {
                ix.reference(Kind::Size, c.size.as_ref());
            }
            for r in &j.reads {
                ix.reference(Kind::Topic, Some(&r.topic));
                ix.reference(Kind::KafkaCluster, r.cluster.as_ref());
            }
        }
        for j in &p.jobs.jobs {
            ix.reference(Kind::Tenant, Some(&j.tenant));
            ix.reference(Kind::Size, j.resources.as_ref().and_then(|r| r.size.as_ref()));
        }
        for a in &p.apps.apps {
            ix.reference(Kind::Tenant, Some(&a.tenant));
            ix.reference(Kind::KafkaCluster, a.kafka.as_ref());
            ix.reference(Kind::Size, a.size.as_ref());
            for t in a.consumes.iter().flat_map(|c| &c.topics) {
                ix.reference(Kind::Topic, Some(t));
            }
            let trigger = a.autoscale.as_ref().and_then(|s| s.kafka.as_ref()).and_then(|k| k.topic.as_ref());
            ix.reference(Kind::Topic, trigger);
        }
        for s in &p.external_secrets.stores {
            ix.reference(Kind::Tenant, s.tenant.as_ref());
        }
        for s in &p.external_secrets.secrets {
            ix.reference(Kind::Tenant, s.tenant.as_ref());
        }
        ix
    }

    fn add(&mut self, kind: Kind, s: &Spanned<String>, declaration: bool, stdlib: bool) {
        self.symbols.push(Symbol { kind, name: s.value.clone(), span: s.span, declaration, stdlib });
    }

    fn reference(&mut self, kind: Kind, s: Option<&Spanned<String>>) {
        if let Some(s) = s {
            self.add(kind, s, false, false);
        }
    }

    /// The name written at byte `offset` of `file`: the innermost one when spans nest.
    pub fn at(&self, file: crate::source::FileId, offset: u32) -> Option<&Symbol> {
        self.symbols
            .iter()
            .filter(|s| s.span.file == file && s.span.start <= offset && offset <= s.span.end)
            .min_by_key(|s| s.span.len())
    }

    /// Where `symbol`'s name is declared. A platform's own size, tier or preset replaces the stdlib's of the
    /// same name (as the model's lookups do), so then only the platform's counts.
    pub fn definitions<'a>(&'a self, symbol: &'a Symbol) -> Vec<&'a Symbol> {
        let all: Vec<&Symbol> = self.same(symbol).filter(|s| s.declaration).collect();
        if all.iter().any(|s| !s.stdlib) { all.into_iter().filter(|s| !s.stdlib).collect() } else { all }
    }

    /// Every place `symbol`'s name is written, declarations included when asked.
    pub fn references<'a>(&'a self, symbol: &'a Symbol, with_declaration: bool) -> Vec<&'a Symbol> {
        self.same(symbol).filter(|s| with_declaration || !s.declaration).collect()
    }

    /// The names of one kind, for completion.
    pub fn names(&self, kind: Kind) -> Vec<&str> {
        let mut v: Vec<&str> =
            self.symbols.iter().filter(|s| s.kind == kind && s.declaration).map(|s| s.name.as_str()).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    fn same<'a>(&'a self, symbol: &'a Symbol) -> impl Iterator<Item = &'a Symbol> + 'a {
        self.symbols.iter().filter(move |s| s.kind == symbol.kind && s.name == symbol.name)
    }
}

/// The files an `include` at byte `offset` of `text` (the file at `path`) names: its path, or every file
/// its glob matches, resolved against the including file's folder as the loader resolves them. `None` when
/// the offset is not on an include.
pub fn includes_at(text: &str, path: &Path, offset: usize) -> Option<Vec<PathBuf>> {
    let doc = crate::lang::parse::parse(text).ok()?;
    let node = doc.nodes().iter().find(|n| {
        let s = n.span();
        n.name().value() == "include" && s.offset() <= offset && offset <= s.offset() + s.len()
    })?;
    let target = node.entries().iter().find(|e| e.name().is_none())?.value().as_string()?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let full = dir.join(target);
    if !target.contains(['*', '?', '[']) {
        return Some(vec![full]);
    }
    let mut found: Vec<PathBuf> = glob::glob(&full.to_string_lossy()).ok()?.filter_map(Result::ok).collect();
    found.sort();
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::compile;

    const SPEC: &str = "tenant \"shop\"\ntenant \"ads\"\nkafka \"main\" namespace=\"kafka\" brokers=3\n\
        topic-preset \"events\" partitions=6\n\
        topic \"shop.orders\" tenant=\"shop\" preset=\"events\"\n\
        topic \"ads.clicks\" kafka=\"main\" tenant=\"ads\"\n\
        kafka-user \"shop-agg\" tenant=\"shop\" {\n    consumes \"shop.orders\" group=\"agg\"\n}\n\
        job \"export\" tenant=\"shop\" image=\"busybox:1\" {\n    resources size=\"s\"\n}\n";

    fn offset_of(text: &str, needle: &str) -> u32 {
        (text.find(needle).unwrap_or_else(|| panic!("`{needle}` not in spec")) + 1) as u32
    }

    #[test]
    fn a_reference_finds_its_declaration_and_the_declaration_every_reference() {
        let c = compile(SPEC);
        let text = &c.sources.get(crate::source::FileId(0)).text;
        let ix = Index::of(&c.platform);
        let file = crate::source::FileId(0);
        let at = ix.at(file, offset_of(text, "tenant=\"shop\" preset")).expect("a reference under the cursor");
        assert_eq!((at.kind, at.name.as_str(), at.declaration), (Kind::Tenant, "shop", false));
        let defs = ix.definitions(at);
        assert_eq!(defs.len(), 1);
        assert_eq!(defs[0].span.start as usize, text.find("\"shop\"").unwrap());

        let decl = ix.at(file, offset_of(text, "\"shop\"")).unwrap();
        assert!(decl.declaration);
        // The topic, the user and the job; not `shop.orders`, a topic whose name starts the same.
        assert_eq!(ix.references(decl, false).len(), 3);
        assert_eq!(ix.references(decl, true).len(), 4);

        let consumes = ix.at(file, offset_of(text, "consumes \"shop.orders") + 9).unwrap();
        assert_eq!((consumes.kind, consumes.name.as_str()), (Kind::Topic, "shop.orders"));
        assert_eq!(ix.definitions(consumes).len(), 1);
        let preset = ix.at(file, offset_of(text, "preset=\"events\"")).unwrap();
        assert_eq!(ix.definitions(preset).len(), 1, "the platform's topic-preset");
        let size = ix.at(file, offset_of(text, "size=\"s\"")).unwrap();
        assert!(ix.definitions(size).iter().any(|d| d.span.file != file), "the stdlib's size `s`");
        assert_eq!(ix.names(Kind::KafkaCluster), ["main"]);
    }

    #[test]
    fn an_include_names_its_file_or_every_file_its_glob_matches() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("t")).unwrap();
        for f in ["t/b.kdl", "t/a.kdl", "t/c.txt"] {
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        let text = "platform \"p\"\ninclude \"t/*.kdl\"\ninclude \"one.kdl\"\n";
        let root = dir.path().join("platform.kdl");
        let glob = includes_at(text, &root, text.find("t/*").unwrap()).unwrap();
        assert_eq!(glob, [dir.path().join("t/a.kdl"), dir.path().join("t/b.kdl")]);
        assert_eq!(includes_at(text, &root, text.find("one").unwrap()).unwrap(), [dir.path().join("one.kdl")]);
        assert_eq!(includes_at(text, &root, 2), None);
        assert_eq!(includes_at("include \"unclosed", &root, 3), None);
    }
}
