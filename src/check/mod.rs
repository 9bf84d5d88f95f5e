//! Semantic checks over the lowered model: the rules that make a spec valid beyond its syntax. One file per
//! domain; each rule reports a spanned diagnostic with a stable code and a fix.

pub mod admission;
mod airflow;
mod flink;
mod flink_operator;
mod kafka;
pub mod names;
mod network;
mod presets;
pub mod quota_fit;
pub mod quota_rules;
pub mod schedule;
mod spark;
mod tenants;
pub mod workload;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::Platform;
use crate::model::resolved::{self, ResolvedPlatform};

/// Runs every check and returns what they found.
pub fn run(p: &Platform) -> Diagnostics {
    let checks: [fn(&Platform, &mut Diagnostics); 12] = [
        names::check_platform,
        presets::check,
        tenants::check,
        quota_rules::check,
        kafka::check,
        spark::check,
        quota_fit::check,
        admission::check,
        airflow::check,
        flink::check,
        flink_operator::check,
        network::check,
    ];
    let mut d = Diagnostics::new();
    for part in crate::parallel::map(&checks, |check| {
        let mut d = Diagnostics::new();
        check(p, &mut d);
        d
    }) {
        d.extend(part);
    }
    d
}

/// The platform emit consumes, for a spec the checks passed. An object that does not resolve is an error
/// here, never an object left out of the output: `apply --prune` would delete it from the cluster.
pub fn resolve(p: &Platform, d: &mut Diagnostics) -> Option<ResolvedPlatform> {
    match resolved::resolve(p) {
        Ok(r) => Some(r),
        Err(failures) => {
            for u in failures {
                d.push(
                    Diagnostic::error(
                        "strata::resolve::unresolved",
                        format!("{} cannot be compiled: {}", u.object, u.reason),
                    )
                    .at(u.span, "does not resolve")
                    .help("fix what the message names; no check reported it, which is a bug in strata worth reporting")
                    .note_line("strata emits no manifests rather than a platform without this object"),
                );
            }
            None
        }
    }
}
