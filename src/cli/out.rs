//! Where the command line writes: stdout for results, stderr for progress and problems. A closed pipe
//! (`strata compile | head`) is the reader's choice, not a failure, and is handled here once: the rest of
//! the output is dropped and the command's own exit code stands. `print!` would panic instead.

use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cli::error::CliError;

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout.
pub fn stdout(text: &str) -> Result<(), CliError> {
    stdout_parts(&[text])
}

/// Writes `parts` to stdout in order, without joining them first (a large compile is many megabytes).
pub fn stdout_parts<S: AsRef<str>>(parts: &[S]) -> Result<(), CliError> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    // Buffered in large blocks: stdout's own buffer writes at every line end, and a compile's parts are
    // one object each (15,000 writes of a few hundred bytes instead of a few hundred of 64 KiB).
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = parts.iter().try_for_each(|p| out.write_all(p.as_ref().as_bytes())).and_then(|()| out.flush());
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(CliError::Stdout(e)),
    }
}

/// Writes `text` to stderr. A closed or failing stderr is ignored: there is nowhere left to say so.
pub fn stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// One line on stderr (a status or a warning).
pub fn stderr_line(line: &str) {
    stderr(&format!("{line}\n"));
}
