//! `strata completions`: shell completion scripts generated from the same clap definition as the CLI.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, CliError, after_help, out};
use crate::exit::Code;

const EXAMPLES: &str = "\
Examples:
  strata completions bash > /etc/bash_completion.d/strata
  strata completions zsh > \"${fpath[1]}/_strata\"
  strata completions fish > ~/.config/fish/completions/strata.fish";

pub(crate) const EXITS: &[(Code, &str)] = &[(Code::Ok, "printed"), (Code::Invalid, "an unknown shell, bad flags")];

/// Print a shell completion script.
#[derive(Debug, clap::Args)]
#[command(after_help = after_help(EXAMPLES, EXITS))]
pub struct Args {
    /// The shell to generate completions for.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(a: Args) -> Result<Code, CliError> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "strata", &mut script);
    out::stdout(&String::from_utf8_lossy(&script))?;
    Ok(Code::Ok)
}
