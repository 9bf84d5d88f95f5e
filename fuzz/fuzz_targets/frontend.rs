//! The front end on arbitrary bytes, from memory: load (includes, limits), parse, lower, and render every
//! diagnostic in all three formats. Any panic, stack overflow or hang is a bug: bad input must end in a
//! diagnostic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use strata::diagnostic::{DiagnosticFormat, Renderer};
use strata::lang::MemFs;

fuzz_target!(|data: &[u8]| {
    // A second file lets `include` paths and globs reach real content.
    let fs = MemFs::new().with("platform.kdl", data.to_vec()).with("tenants/a.kdl", data.to_vec());
    let front = strata::lang::read(&fs, Path::new("platform.kdl"));
    let r = Renderer::plain(&front.sources);
    for format in [DiagnosticFormat::Human, DiagnosticFormat::Json, DiagnosticFormat::Github] {
        let _ = r.render(&front.diagnostics, format);
    }
});
