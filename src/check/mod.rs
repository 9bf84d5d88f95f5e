//! Semantic checks over the lowered model: the rules that make a spec valid beyond its syntax. One file per
//! domain; each rule reports a spanned diagnostic with a stable code and a fix.

mod airflow;
mod flink;
mod kafka;
pub mod names;
mod presets;
pub mod quota_fit;
pub mod schedule;
mod spark;
mod tenants;
pub mod workload;

pub use tenants::DERIVED_DEFAULT_SIZE;

use crate::diagnostic::Diagnostics;
use crate::model::Platform;

/// Runs every check and returns what they found.
pub fn run(p: &Platform) -> Diagnostics {
    let mut d = Diagnostics::new();
    names::check_platform(p, &mut d);
    presets::check(p, &mut d);
    tenants::check(p, &mut d);
    kafka::check(p, &mut d);
    spark::check(p, &mut d);
    quota_fit::check(p, &mut d);
    airflow::check(p, &mut d);
    flink::check(p, &mut d);
    d
}
