//! The front end: spec files in, typed [`Platform`] out. Loading (files, includes, KDL parsing) and
//! lowering (KDL nodes to the model) both collect every problem instead of stopping at the first.

mod airflow;
mod app;
mod external_secret;
mod flink;
pub mod format;
pub mod fs;
pub mod git;
mod job;
mod kafka;
pub mod load;
mod lower;
mod monitoring;
pub mod parse;
mod pod;
mod presets;
pub mod reader;
mod spark;
pub mod stdlib;
mod tenant;

use std::path::Path;

use crate::diagnostic::Diagnostics;
use crate::model::Platform;
use crate::source::SourceMap;

pub use fs::{DiskFs, MemFs, SpecFs};

/// The result of reading a spec: the model (as complete as the input allowed), every file read (for
/// rendering diagnostics), and the diagnostics themselves.
#[derive(Debug)]
pub struct Frontend {
    pub platform: Platform,
    pub sources: SourceMap,
    pub diagnostics: Diagnostics,
}

/// Reads and lowers the spec at `root` (plus the embedded stdlib).
pub fn read(fs: &dyn SpecFs, root: &Path) -> Frontend {
    let mut diagnostics = Diagnostics::new();
    let loaded = load::load(fs, root, &mut diagnostics);
    let mut sources = loaded.sources;
    let mut platform = Platform::default();
    stdlib::lower_into(&mut platform, &mut sources, &mut diagnostics);
    let first = loaded.documents.first().map(|(file, _)| *file);
    // Each syntax tree is dropped as soon as it is lowered, so the trees and the model never all coexist.
    for (file, doc) in loaded.documents {
        lower::lower_document(&doc, file, file.0 == 0, &mut platform, &mut diagnostics);
    }
    if platform.header.is_none()
        && !diagnostics.has_errors()
        && let Some(first) = &first
    {
        diagnostics.push(
            crate::diagnostic::Diagnostic::error("strata::platform::missing", "the spec has no `platform` node")
                .at(crate::source::Span::new(*first, 0, 0), "expected `platform \"<name>\"` in this file")
                .help("start the root spec with `platform \"acme-data\" { cluster context=\"prod\" }`"),
        );
    }
    Frontend { platform, sources, diagnostics }
}
