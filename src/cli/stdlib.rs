//! `strata stdlib`: prints the presets compiled into this binary, so users can see exactly what
//! `size="m"` or `tier="medium"` means and copy one to override it.

use crate::exit;
use crate::lang::stdlib::{FILES, STDLIB_PREFIX};

const EXAMPLES: &str = "\
Examples:
  strata stdlib                 # every preset
  strata stdlib sizes           # only the workload sizes
  strata stdlib --list          # the stdlib's files";

/// Print the standard presets (sizes, tiers, priority classes).
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// Print only this stdlib file (e.g. `sizes`, `tiers`, `priority-classes`, `topics`).
    pub name: Option<String>,
    /// List the stdlib's files instead of printing them.
    #[arg(long)]
    pub list: bool,
}

pub fn run(a: Args) -> i32 {
    if a.list {
        for (name, _) in FILES {
            println!("{}", name.trim_end_matches(".kdl"));
        }
        return exit::OK;
    }
    let selected: Vec<_> = FILES
        .iter()
        .filter(|(name, _)| {
            a.name.as_deref().is_none_or(|n| name.trim_end_matches(".kdl") == n.trim_end_matches(".kdl"))
        })
        .collect();
    if selected.is_empty() {
        let names: Vec<&str> = FILES.iter().map(|(n, _)| n.trim_end_matches(".kdl")).collect();
        eprintln!("error: no stdlib file named `{}`; the stdlib has: {}", a.name.unwrap_or_default(), names.join(", "));
        return exit::INVALID;
    }
    for (i, (name, text)) in selected.iter().enumerate() {
        if i > 0 {
            println!();
        }
        println!("// {STDLIB_PREFIX}{name}");
        print!("{text}");
    }
    exit::OK
}
