//! Cluster-scoped PriorityClasses: every class the platform defines itself, and every stdlib class that
//! something in the platform uses (unused stdlib classes are not forced onto the cluster).

use std::collections::BTreeSet;

use k8s_openapi::api::scheduling::v1::PriorityClass;

use crate::emit::meta;
use crate::manifest::{ManifestSet, Placement, Stage};
use crate::model::Platform;

pub fn emit(p: &Platform, set: &mut ManifestSet) {
    let used: BTreeSet<&str> = p.priority_class_refs().into_iter().map(|r| r.value.as_str()).collect();
    let mut names: BTreeSet<&str> =
        p.presets.priority_classes.iter().filter(|c| !c.from_stdlib).map(|c| c.name.value.as_str()).collect();
    names.extend(used);
    for name in names {
        let Some(pc) = p.presets.priority_class(name) else { continue };
        let object = PriorityClass {
            metadata: meta(name, None),
            value: i32::try_from(pc.value.value).unwrap_or(i32::MAX),
            preemption_policy: pc.preemption.as_ref().map(|s| s.value.clone()),
            description: pc.description.as_ref().map(|s| s.value.clone()),
            global_default: Some(false),
        };
        set.add_typed(&object, Placement { stage: Stage::Cluster, tenant: None, span: pc.name.span });
    }
}
