//! Lowers preset definitions (`size`, `tier`, `priority-class`), from the stdlib and from the platform.

use kdl::KdlNode;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::lang::reader::{NodeReader, one_of, unknown_node};
use crate::lang::tenant::lower_quota;
use crate::model::cost::{Price, PricingSpec};
use crate::model::{Platform, PriorityClassPreset, SizePreset, TierPreset};
use crate::source::{FileId, Spanned};

pub fn lower_size(node: &KdlNode, file: FileId, from_stdlib: bool, p: &mut Platform, d: &mut Diagnostics) {
    let mut r = NodeReader::new(node, file);
    let name = r.arg::<String>("the size's name", d);
    let cpu = r.req_prop("cpu", "\"500m\"", d);
    let memory = r.req_prop("memory", "\"1Gi\"", d);
    let cpu_limit = r.prop("cpu-limit", d);
    let memory_limit = r.prop("memory-limit", d);
    r.finish(false, d);
    if let (Some(name), Some(cpu), Some(memory)) = (name, cpu, memory) {
        p.presets.sizes.push(SizePreset { name, cpu, memory, cpu_limit, memory_limit, from_stdlib });
    }
}

pub fn lower_tier(node: &KdlNode, file: FileId, from_stdlib: bool, p: &mut Platform, d: &mut Diagnostics) {
    let mut r = NodeReader::new(node, file);
    let name = r.arg::<String>("the tier's name", d);
    let description = r.prop("description", d);
    let mut quota = None;
    for child in r.children() {
        match child.name().value() {
            "quota" => quota = lower_quota(child, file, d),
            _ => unknown_node(child, file, "`tier`", &["quota"], d),
        }
    }
    r.finish(true, d);
    if let Some(name) = name {
        p.presets.tiers.push(TierPreset { name, quota, description, from_stdlib });
    }
}

/// `pricing currency="USD" cpu="0.031611" ...`: prices as decimal strings (exact, unlike KDL floats).
pub fn lower_pricing(node: &KdlNode, file: FileId, from_stdlib: bool, p: &mut Platform, d: &mut Diagnostics) {
    let mut r = NodeReader::new(node, file);
    let span = r.name_span();
    let currency = r.prop::<String>("currency", d);
    let price = |r: &mut NodeReader, key: &'static str, d: &mut Diagnostics| {
        let v = r.prop::<String>(key, d)?;
        match Price::parse(&v.value) {
            Ok(pr) => Some(Spanned::new(pr, v.span)),
            Err(e) => {
                d.push(
                    Diagnostic::error("strata::cost::bad-price", e)
                        .at(v.span, "not a price")
                        .help("write the price as a decimal string, e.g. cpu=\"0.031611\""),
                );
                None
            }
        }
    };
    let cpu = price(&mut r, "cpu", d);
    let memory = price(&mut r, "memory", d);
    let storage = price(&mut r, "storage", d);
    let gpu = price(&mut r, "gpu", d);
    let spot_cpu = price(&mut r, "spot-cpu", d);
    let spot_memory = price(&mut r, "spot-memory", d);
    r.finish(false, d);
    p.pricing.push(PricingSpec { span, currency, cpu, memory, storage, gpu, spot_cpu, spot_memory, from_stdlib });
}

pub fn lower_priority_class(node: &KdlNode, file: FileId, from_stdlib: bool, p: &mut Platform, d: &mut Diagnostics) {
    let mut r = NodeReader::new(node, file);
    let name = r.arg::<String>("the priority class's name", d);
    let value = r.req_prop::<i64>("value", "1000", d);
    let preemption = r.prop::<String>("preemption", d);
    if let Some(pr) = &preemption {
        one_of(pr, &["Never", "PreemptLowerPriority"], "preemption policy", d);
    }
    let description = r.prop("description", d);
    r.finish(false, d);
    if let (Some(name), Some(value)) = (name, value) {
        p.presets.priority_classes.push(PriorityClassPreset { name, value, preemption, description, from_stdlib });
    }
}
