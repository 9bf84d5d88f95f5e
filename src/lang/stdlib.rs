//! The standard presets, written in KDL under `stdlib/` and compiled into the binary so every machine
//! resolves `size="m"` or `tier="medium"` the same way. A platform overrides one by defining the same name.

use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::lang::reader::unknown_node;
use crate::lang::{kafka, presets};
use crate::model::Platform;
use crate::source::{FileId, SourceFile, SourceMap, Span};

/// `(file name, text)` of every stdlib file, in load order.
pub const FILES: &[(&str, &str)] = &[
    ("sizes.kdl", include_str!("../../stdlib/sizes.kdl")),
    ("tiers.kdl", include_str!("../../stdlib/tiers.kdl")),
    ("priority-classes.kdl", include_str!("../../stdlib/priority-classes.kdl")),
    ("topics.kdl", include_str!("../../stdlib/topics.kdl")),
    ("pricing.kdl", include_str!("../../stdlib/pricing.kdl")),
];

pub const STDLIB_PREFIX: &str = "<stdlib>/";

/// Adds the stdlib's presets to `p`, registering the files in `sources` so diagnostics can point there.
pub fn lower_into(p: &mut Platform, sources: &mut SourceMap, d: &mut Diagnostics) {
    crate::lang::reader::unrecorded(|| {
        for (name, text) in FILES {
            let file = sources.add(SourceFile::new(
                format!("{STDLIB_PREFIX}{name}"),
                format!("stdlib/{name}").into(),
                Arc::from(*text),
            ));
            lower_file(text, file, p, d);
        }
    })
}

fn lower_file(text: &str, file: FileId, p: &mut Platform, d: &mut Diagnostics) {
    let doc = match crate::lang::parse::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            // Only reachable if a stdlib file is broken; a unit test keeps them parsing.
            d.push(
                Diagnostic::error("strata::stdlib::broken", format!("stdlib file does not parse: {e}"))
                    .at(Span::new(file, 0, 0), "here"),
            );
            return;
        }
    };
    for node in doc.nodes() {
        match node.name().value() {
            "size" => presets::lower_size(node, file, true, p, d),
            "tier" => presets::lower_tier(node, file, true, p, d),
            "priority-class" => presets::lower_priority_class(node, file, true, p, d),
            "topic-preset" => kafka::lower_topic_preset(node, file, true, p, d),
            "pricing" => presets::lower_pricing(node, file, true, p, d),
            _ => unknown_node(
                node,
                file,
                "the stdlib",
                &["size", "tier", "priority-class", "topic-preset", "pricing"],
                d,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdlib_lowers_cleanly() {
        let mut p = Platform::default();
        let mut sources = SourceMap::new();
        let mut d = Diagnostics::new();
        lower_into(&mut p, &mut sources, &mut d);
        assert!(d.is_empty(), "{d:?}");
        for size in ["xs", "s", "m", "l", "xl"] {
            assert!(p.presets.size(size).is_some(), "size {size}");
        }
        for class in ["batch", "streaming", "critical"] {
            assert!(p.presets.priority_class(class).is_some(), "priority class {class}");
        }
        assert!(p.presets.tier("medium").is_some());
        for preset in ["events", "compacted", "changelog", "dead-letter"] {
            assert!(p.kafka.preset(preset).is_some(), "topic preset {preset}");
        }
    }
}
