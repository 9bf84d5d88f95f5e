//! The cluster half of strata: everything that talks to Kubernetes. `apply` converges a cluster on a
//! compiled [`ManifestSet`](crate::manifest::ManifestSet) with server-side apply, records what it owns in
//! an ApplySet parent, prunes what the spec dropped (behind data-loss guards) and waits for the operators;
//! `plan` shows what `apply --prune` would do without writing anything.
//!
//! Request building and the decisions (is this object unchanged? may this object be pruned? is this
//! topic ready?) are pure functions tested without a cluster; the `async` functions only move data.

pub mod apply;
pub mod client;
pub mod discovery;
pub mod drift;
pub mod error;
pub mod inventory;
pub mod lock;
pub mod normalize;
pub mod plan;
pub mod prune;
pub mod report;
pub mod shared;
pub mod wait;

pub use client::{Kube, Target};
pub use error::{ApiFailure, ReconcileError};
pub use report::{Action, ObjectReport, Report};

/// Field manager of every object strata applies.
pub const FIELD_MANAGER: &str = crate::manifest::MANAGER;
/// Field manager of the ApplySet parent, as kubectl names it (`<tool>-applyset`).
pub const PARENT_FIELD_MANAGER: &str = "strata-applyset";
/// Stamped on every applied object: sha256 of the object strata sent, so an unchanged spec is recognised
/// from a list without one request per object (see [`apply::decide`]).
pub const ANNOTATION_APPLIED_HASH: &str = "strata.dev/applied-hash";
/// `strata.dev/prune: disabled` on a live object keeps it when the spec drops it.
pub const ANNOTATION_PRUNE: &str = "strata.dev/prune";

/// `strata/<version>`: the ApplySet tooling annotation.
pub fn tooling() -> String {
    format!("strata/v{}", env!("CARGO_PKG_VERSION"))
}

/// The exit code a report maps to: 3 if anything failed, did not become ready or the empty-set guard
/// refused the prune; for `plan`
/// (`changes_matter`) 1 when anything would change; else 0.
pub fn exit_of(r: &Report, changes_matter: bool) -> i32 {
    if r.summary.failed > 0 || r.not_ready > 0 || r.prune_refused.is_some() {
        crate::exit::CLUSTER
    } else if changes_matter && r.has_changes() {
        crate::exit::CHANGES
    } else {
        crate::exit::OK
    }
}
