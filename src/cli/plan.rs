//! `strata plan`: what `apply --prune` would do, as a server-side dry run diffed against the live
//! objects, plus the prune preview. Exit 0 no changes, 1 changes, 2 invalid spec, 3 cluster error.

use crate::cli::cluster::{ClusterArgs, StderrProgress, connect, prepare, print_report, run_cluster};
use crate::cli::{CliError, after_help};
use crate::exit::Code;
use crate::reconcile::apply::ApplyOptions;

const EXAMPLES: &str = "\
Examples:
  strata plan                              # diff ./platform.kdl against the spec's context
  strata plan --allow-data-loss            # preview a prune that may delete topics, namespaces
  strata plan -o json | jq '.objects[] | select(.action != \"unchanged\")'";

pub(crate) const EXITS: &[(Code, &str)] = &[
    (Code::Ok, "no changes"),
    (Code::Changes, "objects to create, update or prune"),
    crate::cli::cluster::INVALID,
    (
        Code::Cluster,
        "unreachable, forbidden, an object the server would reject, a missing CRD or namespace, a request timed \
         out, the prune would be refused, interrupted",
    ),
];

/// Show what `apply --prune` would change, without changing anything.
#[derive(Debug, clap::Args)]
#[command(after_help = after_help(EXAMPLES, EXITS))]
pub struct Args {
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

pub fn run(a: Args) -> Result<Code, CliError> {
    let Some(p) = prepare(&a.cluster)? else { return Ok(Code::Invalid) };
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
        let kube = connect(p.kubeconfig.clone(), &p.context, timeout).await?;
        crate::reconcile::plan::plan(kube, &p.platform, &p.set, &opts, &progress).await
    });
    drop(progress);
    let report = result.map_err(|e| p.fail(e))?;
    print_report(&report, a.cluster.output, "plan", true)?;
    Ok(Code::of(crate::reconcile::plan::exit_code(&report)))
}
