//! The `strata` binary: parses the command line and hands it to the library's CLI layer, which picks the
//! exit code.

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    strata::cli::run(strata::cli::Cli::parse())
}
