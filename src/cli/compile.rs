//! `strata compile`: the checked manifests, as one YAML/JSON stream on stdout or one file per object in a
//! directory that is replaced atomically.

use std::io::Write;
use std::path::PathBuf;

use crate::cli::{SpecArg, report};
use crate::diagnostic::DiagnosticFormat;
use crate::exit;
use crate::render::{OutputFormat, render_set_parts};

const EXAMPLES: &str = "\
Examples:
  strata compile                        # multi-document YAML of ./platform.kdl on stdout
  strata compile --out build/manifests  # one file per object: build/manifests/<namespace>/<kind>-<name>.yaml
  strata compile --format json | jq '.items | length'
  strata compile platforms/prod.kdl | kubectl apply --server-side -f -";

/// Compile a spec to Kubernetes manifests.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    #[command(flatten)]
    pub spec: SpecArg,
    /// Write one file per object under DIR (replaced whole; stale files disappear) instead of stdout.
    #[arg(long, short, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Yaml)]
    pub format: OutputFormat,
    /// Also print notes: defaults strata derived and why.
    #[arg(long)]
    pub explain: bool,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
    pub diagnostics: DiagnosticFormat,
}

pub fn run(a: Args) -> i32 {
    let mut c = a.spec.compile();
    c.diagnostics.retain_notes(a.explain);
    report(&c.sources, &c.diagnostics, a.diagnostics);
    let Some(set) = c.manifests.take() else { return exit::INVALID };
    let code = match a.out {
        Some(dir) => match crate::output::write_dir(&set, &dir, a.format) {
            Ok(n) => {
                eprintln!("strata: wrote {n} objects to {}", dir.display());
                exit::OK
            }
            Err(e) => {
                eprintln!("{:?}", miette::Report::new(e));
                exit::INVALID
            }
        },
        None => {
            let parts = render_set_parts(&set, a.format);
            let mut out = std::io::stdout().lock();
            match parts.iter().try_for_each(|part| out.write_all(part.as_bytes())).and_then(|()| out.flush()) {
                Ok(()) => exit::OK,
                // A closed pipe (`strata compile | head`) is the reader's choice, not a failure.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::OK,
                Err(e) => {
                    eprintln!("error: cannot write to stdout: {e}");
                    exit::INVALID
                }
            }
        }
    };
    crate::cli::leak((set, c));
    code
}
