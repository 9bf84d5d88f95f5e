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

use crate::diagnostic::Diagnostics;
use crate::model::Platform;

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
