//! `strata completions`: shell completion scripts generated from the same clap definition as the CLI.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

const EXAMPLES: &str = "\
Examples:
  strata completions bash > /etc/bash_completion.d/strata
  strata completions zsh > \"${fpath[1]}/_strata\"
  strata completions fish > ~/.config/fish/completions/strata.fish";

/// Print a shell completion script.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// The shell to generate completions for.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(a: Args) -> i32 {
    let mut cmd = Cli::command();
    clap_complete::generate(a.shell, &mut cmd, "strata", &mut std::io::stdout());
    crate::exit::OK
}
