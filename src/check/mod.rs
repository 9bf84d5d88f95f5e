//! Semantic checks over the lowered model: the rules that make a spec valid beyond its syntax. One file per
//! domain; each rule reports a spanned diagnostic with a stable code and a fix.

pub mod admission;
mod airflow;
mod app;
pub mod cost;
mod external_secret;
mod flink;
mod flink_operator;
mod job;
mod kafka;
mod monitoring;
pub mod names;
mod network;
mod presets;
pub mod quota_fit;
pub mod quota_rules;
pub mod schedule;
pub mod scheduling;
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
        Model(job::check),
        Demands(quota_fit::check),
        Demands(cost::check),
        Demands(admission::check),
        Model(airflow::check),
        Model(flink::check),
        Model(flink_operator::check),
        Model(app::check),
        Model(network::check),
        Model(monitoring::check),
        Model(external_secret::check),
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

#[cfg(test)]
mod tests {
    #[test]
    fn an_object_that_does_not_resolve_is_an_error() {
        let mut c = crate::test_support::compile(
            "tenant \"t\"\nkafka \"k\" namespace=\"kafka\" brokers=1\nkafka-user \"u\" tenant=\"t\"\n",
        );
        assert!(c.ok() && c.resolved.is_some(), "{:?}", c.diagnostics);
        // What a missing check would let through: a user of a tenant that does not exist.
        c.platform.kafka.users[0].tenant.as_mut().expect("named").value = "gone".into();
        let mut d = crate::diagnostic::Diagnostics::new();
        assert!(super::resolve(&c.platform, &mut d).is_none());
        let found: Vec<_> = d.iter().map(|d| (d.code, d.is_error(), d.message.as_str())).collect();
        assert_eq!(
            found,
            [("strata::resolve::unresolved", true, "kafka-user `u` cannot be compiled: tenant `gone` does not exist")]
        );
    }
}
