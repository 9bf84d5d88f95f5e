//! Resolved model to manifests: one file per domain, each adding its objects to the shared [`ManifestSet`].
//! Emitters take only a [`ResolvedPlatform`], whose references, sizes and configs are already decided, so
//! no emitter has a step that can fail and nothing it could skip: every object of the resolved platform
//! becomes its manifests.

pub mod airflow;
pub mod alerts;
pub mod app;
pub mod flink;
mod job;
mod kafka;
mod monitoring;
mod priority_classes;
pub(crate) mod spark;
mod tenants;

use crate::diagnostic::Diagnostics;
use crate::manifest::{ApplySetRef, ManifestSet};
use crate::model::resolved::ResolvedPlatform;
use crate::source::SourceMap;

/// Emits every object of the platform, stamped and sorted. `d` gets what only the whole set shows (two
/// objects with one name).
pub fn emit(p: &ResolvedPlatform, sources: &SourceMap, d: &mut Diagnostics) -> ManifestSet {
    let emitters: [fn(&ResolvedPlatform, &mut ManifestSet); 9] = [
        priority_classes::emit,
        tenants::emit,
        kafka::emit,
        spark::emit,
        airflow::emit,
        flink::emit,
        job::emit,
        app::emit,
        monitoring::emit,
    ];
    let mut set = ManifestSet::default();
    for part in crate::parallel::map(&emitters, |emit| {
        let mut part = ManifestSet::default();
        emit(p, &mut part);
        part
    }) {
        set.items.extend(part.items);
    }
    // After the others: an alert's `source` annotation needs the source map, which no other emitter reads.
    alerts::emit(p, sources, &mut set);
    let applyset = ApplySetRef::for_platform(&p.name, &p.inventory_namespace);
    set.finish(&p.name, &applyset, sources, d);
    set
}

/// `ObjectMeta` with a name and optional namespace; labels and annotations are added by the set.
pub(crate) fn meta(name: &str, namespace: Option<&str>) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
    k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespace.map(str::to_string),
        ..Default::default()
    }
}
