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
use crate::model::demand::Demand;
use crate::model::resolved::{self, ResolvedPlatform};

/// A rule over the lowered model, or one over every workload's demand as well.
#[derive(Clone, Copy)]
enum Rule {
    Model(fn(&Platform, &mut Diagnostics)),
    Demands(fn(&Platform, &[Demand], &mut Diagnostics)),
}

/// Runs every check and returns what they found.
pub fn run(p: &Platform) -> Diagnostics {
    use Rule::{Demands, Model};
    let rules = [
        Model(names::check_platform),
        Model(presets::check),
        Model(tenants::check),
        Model(quota_rules::check),
        Model(kafka::check),
        Model(spark::check),
        Demands(quota_fit::check),
        Demands(admission::check),
        Model(airflow::check),
        Model(flink::check),
        Model(flink_operator::check),
        Model(network::check),
    ];
    // Sized once for both rules that count pods: the same demands a resolved workload carries.
    let demands = p.demands();
    let mut d = Diagnostics::new();
    for part in crate::parallel::map(&rules, |rule| {
        let mut d = Diagnostics::new();
        match rule {
            Model(check) => check(p, &mut d),
            Demands(check) => check(p, &demands, &mut d),
        }
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
