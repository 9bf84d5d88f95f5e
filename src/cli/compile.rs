//! `strata compile`: the checked manifests, as one YAML/JSON stream on stdout or one file per object in a
//! directory that is replaced atomically.

use std::ffi::OsStr;
use std::path::PathBuf;

use clap::builder::{PossibleValue, TypedValueParser};

use crate::cli::{CliError, SpecArg, after_help, out, report_diagnostics};
use crate::diagnostic::DiagnosticFormat;
use crate::exit::Code;
use crate::render::{Layout, OutputFormat, Rendering};

const EXAMPLES: &str = "\
Examples:
  strata compile                            # multi-document YAML of ./platform.kdl on stdout
  strata compile --out-dir build            # one file per object: build/<namespace>/<kind>-<name>.yaml
  strata compile -o json | jq '.items | length'
  strata compile platforms/prod.kdl | kubectl apply --server-side -f -
  strata compile --env staging              # one environment of a spec that declares several
  strata compile --all-envs --out-dir build # build/<environment>/<namespace>/<kind>-<name>.yaml";

pub(crate) const EXITS: &[(Code, &str)] = &[
    (Code::Ok, "the manifests were written"),
    (Code::Invalid, "spec errors, an unreadable spec, an --out-dir strata did not write, a failed write, bad flags"),
];

/// Compile a spec to Kubernetes manifests.
#[derive(Debug, clap::Args)]
#[command(after_help = after_help(EXAMPLES, EXITS))]
pub struct Args {
    #[command(flatten)]
    pub spec: SpecArg,
    /// Format of the manifests (on stdout, or the files of --out-dir).
    #[arg(short, long, value_name = "FORMAT", alias = "format", default_value = "yaml", value_parser = OutputParser)]
    pub output: OutputFormat,
    /// Write one file per object under DIR (replaced whole; stale files disappear) instead of stdout.
    #[arg(long, value_name = "DIR", alias = "out")]
    pub out_dir: Option<PathBuf>,
    /// Also print notes: defaults strata derived and why.
    #[arg(long)]
    pub explain: bool,
    /// How to print diagnostics: human text on stderr; json or github (Actions annotations) on stdout.
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = DiagnosticFormat::Human)]
    pub diagnostics: DiagnosticFormat,
    /// Compile every environment the spec declares into one folder each: `--out-dir DIR` gets
    /// `DIR/<environment>/...`. Nothing is written unless every environment compiles.
    #[arg(long, conflicts_with = "env", requires = "out_dir")]
    pub all_envs: bool,
}

/// `-o`'s parser: a format, or an error that points a former `-o DIR` (short for `--out` until this release)
/// at `--out-dir`. The directory cannot be guessed: `-o json` was a directory named `json` before.
#[derive(Debug, Clone, Copy)]
struct OutputParser;

impl TypedValueParser for OutputParser {
    type Value = OutputFormat;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<OutputFormat, clap::Error> {
        let text = value.to_string_lossy();
        <OutputFormat as clap::ValueEnum>::from_str(&text, true).map_err(|_| {
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!(
                    "`{text}` is not an output format (yaml or json); `-o` no longer names a directory: for one \
                     file per object, write `--out-dir {text}`\n"
                ),
            )
            .with_cmd(cmd)
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            <OutputFormat as clap::ValueEnum>::value_variants().iter().filter_map(clap::ValueEnum::to_possible_value),
        ))
    }
}

pub fn run(a: Args) -> Result<Code, CliError> {
    if a.all_envs {
        return run_all(a);
    }
    let (format, out_dir) = (a.output, a.out_dir);
    let layout = if out_dir.is_some() { Layout::Files } else { Layout::Stream };
    let rendering = Rendering { format, layout };
    let mut c = a.spec.compile_as(&crate::lang::DiskFs, &a.spec.spec, crate::Stage::Render(rendering));
    c.diagnostics.retain_notes(a.explain);
    report_diagnostics(&c.sources, &c.diagnostics, a.diagnostics)?;
    let Some(set) = c.rendered.take() else { return Ok(Code::Invalid) };
    match out_dir {
        Some(dir) => {
            let n = crate::output::write_dir(&set, &dir, format)?;
            out::stderr_line(&format!("strata: wrote {n} objects to {}", dir.display()));
        }
        None => out::stdout_parts(&rendering.stream_parts(&set))?,
    }
    crate::cli::leak((set, c));
    Ok(Code::Ok)
}

/// `--all-envs`: every environment, one folder each, written only when all of them compiled.
fn run_all(a: Args) -> Result<Code, CliError> {
    let rendering = Rendering { format: a.output, layout: Layout::Files };
    let mut cs = a.spec.compile_each(&crate::lang::DiskFs, &a.spec.spec, crate::Stage::Render(rendering));
    for c in &mut cs {
        c.diagnostics.retain_notes(a.explain);
    }
    match a.diagnostics {
        DiagnosticFormat::Human => {
            let mut seen = Vec::new();
            for c in &cs {
                report_diagnostics(&c.sources, &c.diagnostics.unseen(&mut seen), a.diagnostics)?;
            }
        }
        _ => {
            if let Some(first) = cs.first() {
                report_diagnostics(&first.sources, &crate::cli::merged_diagnostics(&cs), a.diagnostics)?;
            }
        }
    }
    let sets: Option<Vec<(&str, &crate::manifest::RenderedSet)>> =
        cs.iter().map(|c| Some((c.environment().unwrap_or("default"), c.rendered.as_ref()?))).collect();
    let (Some(sets), Some(dir)) = (sets, a.out_dir.as_ref()) else { return Ok(Code::Invalid) };
    let n = crate::output::write_envs(&sets, dir, a.output)?;
    out::stderr_line(&format!("strata: wrote {n} objects for {} environment(s) to {}", sets.len(), dir.display()));
    crate::cli::leak(cs);
    Ok(Code::Ok)
}
