//! `strata fmt`: canonical layout for spec files, keeping every comment and quote as written, so reviews
//! show content changes rather than whitespace.

use std::path::PathBuf;

use crate::cli::{CliError, after_help, out, report_diagnostics};
use crate::diagnostic::{DiagnosticFormat, Diagnostics};
use crate::exit::Code;
use crate::lang::format::{FormatError, format_checked};
use crate::lang::{DiskFs, load};

const EXAMPLES: &str = "\
Examples:
  strata fmt                            # ./platform.kdl and every file it includes
  strata fmt tenants/analytics.kdl      # just these files
  strata fmt --check                    # CI: exit 1 and list files that are not formatted";

pub(crate) const EXITS: &[(Code, &str)] = &[
    (Code::Ok, "every file is formatted (or was, without --check)"),
    (Code::Changes, "--check: files need formatting (listed on stdout)"),
    (Code::Invalid, "a file does not parse or cannot be read or written, bad flags"),
];

/// Format spec files in place (comments and quoting are kept).
#[derive(Debug, clap::Args)]
#[command(after_help = after_help(EXAMPLES, EXITS))]
pub struct Args {
    /// Files to format. Default: ./platform.kdl and every file it includes.
    pub files: Vec<PathBuf>,
    /// Do not write; exit 1 if any file would change.
    #[arg(long)]
    pub check: bool,
    /// Let includes read files outside the spec's folder and its git repository (see `strata check --help`).
    #[arg(long)]
    pub allow_include_outside: bool,
}

pub fn run(a: Args) -> Result<Code, CliError> {
    let explicit = !a.files.is_empty();
    let roots = if explicit { a.files.clone() } else { vec![PathBuf::from("platform.kdl")] };
    let mut files = Vec::new();
    for root in &roots {
        // The spec loader gives the same limits and diagnostics as `check`, and finds the includes.
        let mut diags = Diagnostics::new();
        let loaded = if a.allow_include_outside {
            load::load(&crate::lang::fs::AllowOutside(&DiskFs), root, &mut diags)
        } else {
            load::load(&DiskFs, root, &mut diags)
        };
        if diags.has_errors() {
            report_diagnostics(&loaded.sources, &diags, DiagnosticFormat::Human)?;
            return Ok(Code::Invalid);
        }
        for (id, _) in &loaded.documents {
            // Explicit files are formatted alone; the default also covers includes.
            if explicit && id.0 != 0 {
                continue;
            }
            let f = loaded.sources.get(*id);
            files.push((f.path.clone(), f.text.clone()));
        }
    }
    let mut changed = 0;
    for (path, text) in files {
        let formatted = match format_checked(&text) {
            Ok(f) => f,
            Err(FormatError::Invalid) => return Err(CliError::FmtUnparsable(path)),
            Err(FormatError::WouldChangeMeaning) => return Err(CliError::FmtWouldChangeMeaning(path)),
        };
        if formatted == *text {
            continue;
        }
        changed += 1;
        if a.check {
            out::stdout(&format!("{}\n", path.display()))?;
            continue;
        }
        write_atomic(&path, &formatted).map_err(|source| CliError::Write { path: path.clone(), source })?;
        out::stderr_line(&format!("strata: formatted {}", path.display()));
    }
    if a.check && changed > 0 {
        out::stderr_line(&format!("strata: {changed} file(s) need formatting; run `strata fmt`"));
        return Ok(Code::Changes);
    }
    Ok(Code::Ok)
}

/// Replaces a file via a temporary sibling and rename, so an interrupted write never truncates a spec.
fn write_atomic(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("kdl.strata-fmt-{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
