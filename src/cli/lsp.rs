//! `strata lsp`: the language server on stdin/stdout, for editors (see docs/editors.md). The server itself
//! lives in [`crate::lsp`]; this file only wires it to the process's streams and exit code.

use crate::cli::{CliError, after_help};
use crate::exit::Code;
use crate::lsp::{Ending, serve};

const EXAMPLES: &str = "\
Examples:
  strata lsp                            # started by an editor; see docs/editors.md for Neovim, VS Code, Helix";

pub(crate) const EXITS: &[(Code, &str)] = &[
    (Code::Ok, "the editor sent shutdown, then exit"),
    (Code::Changes, "the editor exited or closed the connection without shutdown (as the protocol asks)"),
    (Code::Invalid, "stdin or stdout failed, bad flags"),
];

/// Run the language server over stdin/stdout (diagnostics, hover, definitions, completion, formatting).
#[derive(Debug, clap::Args)]
#[command(after_help = after_help(EXAMPLES, EXITS))]
pub struct Args {}

pub fn run(_: Args) -> Result<Code, CliError> {
    crate::session::keep_freed_memory();
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    match serve(&mut stdin.lock(), &mut stdout.lock()) {
        Ok(Ending::Clean) => Ok(Code::Ok),
        Ok(Ending::Abrupt) => Ok(Code::Changes),
        Err(e) => Err(CliError::Lsp(e)),
    }
}
