//! Named presets: workload sizes, tenant tiers (quota bundles) and priority classes. The stdlib defines a
//! standard set; a platform may add its own or replace a standard one by defining the same name.

use crate::model::tenant::QuotaSpec;
use crate::source::Spanned;
use crate::units::{Bytes, Cpu};

/// `size "m" cpu=1 memory="4Gi"`: requests, and limits (defaulting to the requests).
#[derive(Debug, Clone)]
pub struct SizePreset {
    pub name: Spanned<String>,
    pub cpu: Spanned<Cpu>,
    pub memory: Spanned<Bytes>,
    pub cpu_limit: Option<Spanned<Cpu>>,
    pub memory_limit: Option<Spanned<Bytes>>,
    pub from_stdlib: bool,
}

impl SizePreset {
    pub fn cpu_limit(&self) -> Cpu {
        self.cpu_limit.as_ref().map_or(self.cpu.value, |c| c.value)
    }

    /// Memory limits default to the request: memory cannot be throttled, only killed, so a pod should
    /// not count on memory above its request.
    pub fn memory_limit(&self) -> Bytes {
        self.memory_limit.as_ref().map_or(self.memory.value, |m| m.value)
    }
}

/// `tier "medium" { quota ... }`: a quota bundle tenants pick with `tier="medium"`.
#[derive(Debug, Clone)]
pub struct TierPreset {
    pub name: Spanned<String>,
    pub quota: Option<QuotaSpec>,
    pub description: Option<Spanned<String>>,
    pub from_stdlib: bool,
}

/// `priority-class "batch" value=1000`: emitted as a cluster-scoped PriorityClass when used.
#[derive(Debug, Clone)]
pub struct PriorityClassPreset {
    pub name: Spanned<String>,
    pub value: Spanned<i64>,
    pub preemption: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub from_stdlib: bool,
}

/// All presets by kind. Lookups prefer the platform's own definition over the stdlib's.
#[derive(Debug, Clone, Default)]
pub struct Presets {
    pub sizes: Vec<SizePreset>,
    pub tiers: Vec<TierPreset>,
    pub priority_classes: Vec<PriorityClassPreset>,
}

fn pick<'a, T>(items: &'a [T], name: &str, key: impl Fn(&T) -> (&str, bool)) -> Option<&'a T> {
    let mut found = None;
    for item in items {
        let (n, stdlib) = key(item);
        if n == name {
            if !stdlib {
                return Some(item);
            }
            found = Some(item);
        }
    }
    found
}

impl Presets {
    pub fn size(&self, name: &str) -> Option<&SizePreset> {
        pick(&self.sizes, name, |s| (&s.name.value, s.from_stdlib))
    }

    pub fn tier(&self, name: &str) -> Option<&TierPreset> {
        pick(&self.tiers, name, |s| (&s.name.value, s.from_stdlib))
    }

    pub fn priority_class(&self, name: &str) -> Option<&PriorityClassPreset> {
        pick(&self.priority_classes, name, |s| (&s.name.value, s.from_stdlib))
    }

    pub fn size_names(&self) -> Vec<&str> {
        names(self.sizes.iter().map(|s| s.name.value.as_str()))
    }

    pub fn tier_names(&self) -> Vec<&str> {
        names(self.tiers.iter().map(|s| s.name.value.as_str()))
    }

    pub fn priority_class_names(&self) -> Vec<&str> {
        names(self.priority_classes.iter().map(|s| s.name.value.as_str()))
    }
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = it.collect();
    v.sort_unstable();
    v.dedup();
    v
}
