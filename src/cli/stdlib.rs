//! `strata stdlib`: prints the presets compiled into this binary, so users can see exactly what
//! `size="m"` or `tier="medium"` means and copy one to override it.

use crate::cli::{CliError, after_help, out};
use crate::exit::Code;
use crate::lang::stdlib::{FILES, STDLIB_PREFIX};

const EXAMPLES: &str = "\
Examples:
  strata stdlib                 # every preset
  strata stdlib sizes           # only the workload sizes
  strata stdlib --list          # the stdlib's files";

pub(crate) const EXITS: &[(Code, &str)] =
    &[(Code::Ok, "printed"), (Code::Invalid, "no stdlib file of that name, bad flags")];

/// Print the standard presets (sizes, tiers, priority classes).
#[derive(Debug, clap::Args)]
#[command(after_help = after_help(EXAMPLES, EXITS))]
pub struct Args {
    /// Print only this stdlib file (e.g. `sizes`, `tiers`, `priority-classes`, `topics`).
    pub name: Option<String>,
    /// List the stdlib's files instead of printing them.
    #[arg(long)]
    pub list: bool,
}

pub fn run(a: Args) -> Result<Code, CliError> {
    let mut text = String::new();
    if a.list {
        for (name, _) in FILES {
            text.push_str(name.trim_end_matches(".kdl"));
            text.push('\n');
        }
        out::stdout(&text)?;
        return Ok(Code::Ok);
    }
    let selected: Vec<_> = FILES
        .iter()
        .filter(|(name, _)| {
            a.name.as_deref().is_none_or(|n| name.trim_end_matches(".kdl") == n.trim_end_matches(".kdl"))
        })
        .collect();
    if selected.is_empty() {
        let names: Vec<&str> = FILES.iter().map(|(n, _)| n.trim_end_matches(".kdl")).collect();
        return Err(CliError::UnknownStdlib { name: a.name.unwrap_or_default(), known: names.join(", ") });
    }
    for (i, (name, body)) in selected.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        text.push_str(&format!("// {STDLIB_PREFIX}{name}\n{body}"));
    }
    out::stdout(&text)?;
    Ok(Code::Ok)
}
