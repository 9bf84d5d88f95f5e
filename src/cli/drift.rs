//! `strata drift`: a read-only check that the cluster still holds what the spec says, for a scheduled
//! job: exit 0 in sync, 1 drift, 2 invalid spec or wrong context, 3 cluster error. See docs/apply.md.

use crate::cli::cluster::{ClusterArgs, OutputKind, StderrProgress, connect, fail, prepare, run_cluster};
use crate::reconcile::apply::ApplyOptions;
use crate::reconcile::drift;

const EXAMPLES: &str = "\
Examples:
  strata drift                             # is the cluster still what ./platform.kdl says?
  strata drift --output markdown >> \"$GITHUB_STEP_SUMMARY\"
  strata drift -o json | jq '.objects[] | select(.state == \"modified\")'
Exit codes: 0 no drift, 1 drift, 2 invalid spec or wrong context, 3 cluster error";

/// Report drift between the spec and the cluster, without changing anything.
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
    let opts = ApplyOptions { concurrency: usize::from(a.cluster.concurrency), ..ApplyOptions::default() };
    let progress = StderrProgress::new();
    let timeout = a.cluster.request_timeout;
    let result = run_cluster(async {
        let kube = connect(kc, &context, timeout).await?;
        drift::drift(kube, &platform, &set, &opts, &progress).await
    });
    drop(progress);
    match result {
        Ok(report) => {
            match a.cluster.output {
                OutputKind::Json => println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default()),
                OutputKind::Markdown => print!("{}", drift::markdown(&report)),
                OutputKind::Human => print!("{}", drift::human(&report)),
            }
            report.exit_code()
        }
        Err(e) => fail(&e),
    }
}
