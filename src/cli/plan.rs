//! `strata plan`: what `apply --prune` would do, as a server-side dry run diffed against the live
//! objects, plus the prune preview. Exit 0 no changes, 1 changes, 2 invalid spec, 3 cluster error.

use crate::cli::cluster::{ClusterArgs, StderrProgress, connect, fail, prepare, print_report, run_cluster};
use crate::reconcile::apply::ApplyOptions;

const EXAMPLES: &str = "\
Examples:
  strata plan                              # diff ./platform.kdl against the spec's context
  strata plan --allow-data-loss            # preview a prune that may delete topics, namespaces
  strata plan -o json | jq '.objects[] | select(.action != \"unchanged\")'
Exit codes: 0 no changes, 1 changes, 2 invalid spec or wrong context, 3 cluster error or an object
the server would reject";

/// Show what `apply --prune` would change, without changing anything.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

pub fn run(a: Args) -> i32 {
    let (platform, set, kc, context) = match prepare(&a.cluster) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let opts = ApplyOptions {
        prune: true,
        dry_run: true,
        force_conflicts: a.cluster.force_conflicts,
        allow_data_loss: a.cluster.allow_data_loss,
        concurrency: usize::from(a.cluster.concurrency),
        allow_mass_prune: a.cluster.allow_mass_prune,
        recreate: a.cluster.recreate,
        ..ApplyOptions::default()
    };
    let progress = StderrProgress::new();
    let timeout = a.cluster.request_timeout;
    let result = run_cluster(async {
        let kube = connect(kc, &context, timeout).await?;
        crate::reconcile::plan::plan(kube, &platform, &set, &opts, &progress).await
    });
    drop(progress);
    match result {
        Ok(report) => {
            print_report(&report, a.cluster.output, "plan", true);
            crate::reconcile::plan::exit_code(&report)
        }
        Err(e) => fail(&e),
    }
}
