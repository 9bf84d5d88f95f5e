//! The domain checks and the emitters on whatever the front end accepted: the corpus holds valid platforms,
//! so mutations stay parseable often enough to reach `check`, `emit` and the YAML renderer.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use strata::lang::MemFs;

fuzz_target!(|data: &[u8]| {
    let fs = MemFs::new().with("platform.kdl", data.to_vec());
    let c = strata::compile(&fs, Path::new("platform.kdl"));
    if let Some(set) = &c.manifests {
        let _ = strata::render::render_set(set, strata::render::OutputFormat::Yaml);
    }
});
