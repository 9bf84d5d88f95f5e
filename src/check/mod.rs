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

/// The rules that count every workload's pods, in the order they run: they share one sizing of the
/// demands (the same demands a resolved workload carries).
const DEMAND_RULES: [fn(&Platform, &[Demand], &mut Diagnostics); 3] = [quota_fit::check, cost::check, admission::check];

/// One piece of [`run_beside`]'s work: a rule over the lowered model, the rules over every workload's
/// demand (with the sizing of those demands), or the caller's own work beside them.
#[derive(Clone, Copy)]
enum Task {
    Model(fn(&Platform, &mut Diagnostics)),
    Demands,
    Beside,
}

/// What a [`Task`] gave.
enum Done<T> {
    Found(Diagnostics),
    Beside(std::thread::Result<T>),
}

/// Runs every check and returns what they found.
pub fn run(p: &Platform) -> Diagnostics {
    run_beside(p, None::<&(dyn Fn() + Sync)>).0
}

/// Runs every check and, on another core at the same time, `beside` (the caller's next stage, which it
/// keeps only if the checks pass: resolving, and emitting for a compile, read the same model and do not
/// change it). On one core, or without `beside`, the checks run alone and `beside`'s result is `None`. A
/// panic in `beside` is handed back, not raised: the caller raises it only if it keeps the result, as if `beside` had run after the
/// checks.
pub fn run_beside<T: Send>(
    p: &Platform,
    beside: Option<&(dyn Fn() -> T + Sync)>,
) -> (Diagnostics, Option<std::thread::Result<T>>) {
    use Task::{Demands, Model};
    let rules = [
        Model(names::check_platform),
        Model(presets::check),
        Model(tenants::check),
        Model(quota_rules::check),
        Model(kafka::check),
        Model(spark::check),
        Model(job::check),
        Demands,
        Model(airflow::check),
        Model(flink::check),
        Model(flink_operator::check),
        Model(app::check),
        Model(network::check),
        Model(monitoring::check),
        Model(external_secret::check),
    ];
    let beside = beside.filter(|_| crate::parallel::cores() > 1);
    // The longest piece first: the pool's other worker then takes the rules one by one beside it.
    let tasks: Vec<Task> = beside.map(|_| Task::Beside).into_iter().chain(rules).collect();
    let mut d = Diagnostics::new();
    let mut kept = None;
    for part in crate::parallel::map(&tasks, |task| {
        let mut d = Diagnostics::new();
        match task {
            Model(check) => check(p, &mut d),
            Demands => {
                let demands = p.demands();
                for check in DEMAND_RULES {
                    check(p, &demands, &mut d);
                }
            }
            Task::Beside => {
                let work = beside.expect("a Beside task only with beside");
                return Done::Beside(std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)));
            }
        }
        Done::Found(d)
    }) {
        match part {
            Done::Found(part) => d.extend(part),
            Done::Beside(result) => kept = Some(result),
        }
    }
    (d, kept)
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
