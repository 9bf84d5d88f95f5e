//! `strata drift`: a read-only check that the cluster still holds what the spec says, for a scheduled
//! job: exit 0 in sync, 1 drift, 2 invalid spec or wrong context, 3 cluster error. See docs/apply.md.

use crate::cli::cluster::{ClusterArgs, OutputKind, StderrProgress, connect, prepare, run_cluster};
use crate::cli::{CliError, after_help, out};
use crate::exit::Code;
use crate::reconcile::apply::ApplyOptions;
use crate::reconcile::drift;

const EXAMPLES: &str = "\
Examples:
  strata drift                             # is the cluster still what ./platform.kdl says?
  strata drift --output markdown >> \"$GITHUB_STEP_SUMMARY\"
  strata drift -o json | jq '.objects[] | select(.state == \"modified\")'";

pub(crate) const EXITS: &[(Code, &str)] = &[
    (Code::Ok, "in sync"),
    (Code::Changes, "objects modified, missing, pending or extra"),
    crate::cli::cluster::INVALID,
    (Code::Cluster, "unreachable, forbidden, a dry run the server refused, a request timed out, interrupted"),
];

/// Report drift between the spec and the cluster, without changing anything.
#[derive(Debug, clap::Args)]
#[command(after_help = after_help(EXAMPLES, EXITS))]
pub struct Args {
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

pub fn run(a: Args) -> Result<Code, CliError> {
    let Some(p) = prepare(&a.cluster)? else { return Ok(Code::Invalid) };
    let opts = ApplyOptions { concurrency: usize::from(a.cluster.concurrency), ..ApplyOptions::default() };
    let progress = StderrProgress::new();
    let timeout = a.cluster.request_timeout;
    let result = run_cluster(async {
        let kube = connect(p.kubeconfig.clone(), &p.context, timeout).await?;
        drift::drift(kube, &p.platform, &p.set, &opts, &progress).await
    });
    drop(progress);
    let report = result.map_err(|e| p.fail(e))?;
    out::stdout(&match a.cluster.output {
        OutputKind::Json => format!("{}\n", serde_json::to_string_pretty(&report).unwrap_or_default()),
        OutputKind::Markdown => drift::markdown(&report),
        OutputKind::Human => drift::human(&report),
    })?;
    Ok(Code::of(report.exit_code()))
}
