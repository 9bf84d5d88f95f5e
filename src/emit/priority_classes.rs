//! Cluster-scoped PriorityClasses: every class the platform defines itself, and every stdlib class that
//! something in the platform uses (unused stdlib classes are not forced onto the cluster). The resolved
//! platform lists exactly those.

use k8s_openapi::api::scheduling::v1::PriorityClass;

use crate::emit::meta;
use crate::manifest::{Census, ManifestSet, Placement, Stage};
use crate::model::resolved::ResolvedPlatform;

pub fn emit(p: &ResolvedPlatform, set: &mut ManifestSet) {
    for pc in &p.priority_classes {
        let object = PriorityClass {
            metadata: meta(&pc.name, None),
            value: pc.value,
            preemption_policy: pc.preemption.clone(),
            description: pc.description.clone(),
            global_default: Some(false),
        };
        set.add_typed(&object, Placement { stage: Stage::Cluster, tenant: None, span: pc.span });
    }
}

/// The objects [`emit`] adds, as headers ([`Census`]).
pub fn census(p: &ResolvedPlatform, c: &mut Census) {
    for pc in &p.priority_classes {
        c.typed::<PriorityClass>(&pc.name, None, Placement { stage: Stage::Cluster, tenant: None, span: pc.span });
    }
}
