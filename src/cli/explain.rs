//! `strata explain CODE`: the long explanation of a diagnostic code (as `rustc --explain`), from the same
//! registry docs/diagnostics.md is generated from.

use crate::cli::{CliError, after_help, out};
use crate::codes::{self, CODES};
use crate::exit::Code;

const EXAMPLES: &str = "\
Examples:
  strata explain strata::kafka::replicas
  strata explain kafka::replicas        # the `strata::` prefix may be left out
  strata explain --list                 # every code with its summary";

pub(crate) const EXITS: &[(Code, &str)] = &[(Code::Ok, "explained"), (Code::Invalid, "an unknown code, bad flags")];

/// Explain a diagnostic code: the rule, why it exists, and how to fix what it reports.
#[derive(Debug, clap::Args)]
#[command(after_help = after_help(EXAMPLES, EXITS))]
pub struct Args {
    /// The code, as diagnostics print it (`strata::kafka::replicas`).
    #[arg(value_name = "CODE", required_unless_present = "list")]
    pub code: Option<String>,
    /// List every code with its summary instead.
    #[arg(long, conflicts_with = "code")]
    pub list: bool,
}

pub fn run(a: Args) -> Result<Code, CliError> {
    if a.list {
        let width = CODES.iter().map(|c| c.code.len()).max().unwrap_or(0);
        let text: String = CODES.iter().map(|c| format!("{:<width$}  {}\n", c.code, c.summary)).collect();
        out::stdout(&text)?;
        return Ok(Code::Ok);
    }
    let asked = a.code.unwrap_or_default();
    match codes::lookup(&asked) {
        Some(info) => {
            out::stdout(&codes::terminal_text(info))?;
            Ok(Code::Ok)
        }
        None => {
            let hint = match codes::suggest(&asked) {
                Some(s) => format!("did you mean `{s}`? `strata explain --list` lists every code"),
                None => "`strata explain --list` lists every code".to_string(),
            };
            Err(CliError::UnknownCode { code: asked, hint })
        }
    }
}
