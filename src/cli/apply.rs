//! `strata apply`: converge the cluster on the spec (server-side apply, ApplySet inventory, guarded
//! prune, one apply at a time per platform). See docs/apply.md.

use std::time::Duration;

use crate::cli::cluster::{ClusterArgs, StderrProgress, connect, parse_duration, prepare, print_report, run_cluster};
use crate::cli::{CliError, after_help};
use crate::exit::Code;
use crate::reconcile::apply::ApplyOptions;
use crate::reconcile::lock::DEFAULT_LEASE_DURATION;

const EXAMPLES: &str = "\
Examples:
  strata apply                             # ./platform.kdl to the spec's kube context
  strata apply --prune                     # also delete what the spec dropped (data kept)
  strata apply --prune --allow-data-loss   # ... topics, volumes and namespaces too
  strata apply --dry-run=server            # validated by the server, nothing persisted
  strata apply --wait --timeout 10m        # until topics, Spark and Flink jobs are ready
  strata apply --recreate                  # delete and re-apply objects whose immutable fields changed
  strata apply -o json | jq .summary";

pub(crate) const EXITS: &[(Code, &str)] = &[
    (Code::Ok, "applied, or nothing to do"),
    crate::cli::cluster::INVALID,
    (
        Code::Cluster,
        "unreachable, forbidden, an object failed or conflicts, a missing CRD or namespace, the lock is held or \
         was lost, a request timed out, the prune was refused, not ready after --wait, interrupted",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DryRun {
    /// Every request is sent with dryRun=All: validated and admitted by the server, never persisted.
    Server,
}

/// Apply the spec to the cluster with server-side apply.
#[derive(Debug, clap::Args)]
#[command(after_help = after_help(EXAMPLES, EXITS))]
pub struct Args {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Delete objects of this platform that the spec no longer produces (guards apply).
    #[arg(long)]
    pub prune: bool,
    /// Validate everything on the server without persisting anything.
    #[arg(long, value_enum, value_name = "MODE", num_args = 0..=1, require_equals = true, default_missing_value = "server")]
    pub dry_run: Option<DryRun>,
    /// After applying, wait until operator-managed objects report ready.
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits in total.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration, requires = "wait")]
    pub timeout: Duration,
    /// Wait up to this long for another apply of the same platform to finish (default: fail at once).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub lock_timeout: Option<Duration>,
    /// Validity of the platform lock without renewal (a crashed apply blocks others this long).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, hide = true)]
    pub lease_duration: Option<Duration>,
}

pub fn run(a: Args) -> Result<Code, CliError> {
    let Some(p) = prepare(&a.cluster)? else { return Ok(Code::Invalid) };
    let opts = ApplyOptions {
        prune: a.prune,
        dry_run: a.dry_run.is_some(),
        force_conflicts: a.cluster.force_conflicts,
        allow_data_loss: a.cluster.allow_data_loss,
        wait: a.wait.then_some(a.timeout),
        concurrency: usize::from(a.cluster.concurrency),
        lock_timeout: a.lock_timeout.unwrap_or(Duration::ZERO),
        lease_duration: a.lease_duration.unwrap_or(DEFAULT_LEASE_DURATION),
        allow_mass_prune: a.cluster.allow_mass_prune,
        recreate: a.cluster.recreate,
    };
    let progress = StderrProgress::new();
    let timeout = a.cluster.request_timeout;
    let result = run_cluster(async {
        let kube = connect(p.kubeconfig.clone(), &p.context, timeout).await?;
        crate::reconcile::apply::apply(kube, &p.platform, &p.set, &opts, &progress).await
    });
    drop(progress);
    let report = result.map_err(|e| p.fail(e))?;
    print_report(&report, a.cluster.output, "apply", false)?;
    Ok(Code::of(crate::reconcile::exit_of(&report, false)))
}
