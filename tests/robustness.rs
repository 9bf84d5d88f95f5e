//! The front end never panics and never rejects input without saying where: random bytes, mutated valid
//! specs, and hostile shapes (huge files, deep nesting, include bombs) all end in spanned diagnostics.

use std::path::Path;

use proptest::prelude::*;
use strata::lang::MemFs;

const VALID: &str = include_str!("../golden/presets-override/platform.kdl");

/// Every error must point somewhere, except "the root spec does not exist", which has no place.
fn assert_all_spanned(c: &strata::Compilation) {
    for d in c.diagnostics.iter() {
        if d.is_error() && d.code != "strata::io::not-found" {
            let p = d.primary.as_ref().unwrap_or_else(|| panic!("{} has no span: {}", d.code, d.message));
            let f = c.sources.get(p.span.file);
            assert!(p.span.end as usize <= f.text.len(), "{} span past end of file", d.code);
        }
    }
}

fn compile_bytes(bytes: &[u8]) -> strata::Compilation {
    let fs = MemFs::new().with("platform.kdl", bytes.to_vec());
    strata::compile(&fs, Path::new("platform.kdl"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let c = compile_bytes(&bytes);
        assert_all_spanned(&c);
    }

    #[test]
    fn mutated_specs_never_panic(
        edits in proptest::collection::vec((0usize..VALID.len(), any::<u8>(), 0u8..3), 1..8)
    ) {
        let mut bytes = VALID.as_bytes().to_vec();
        for (pos, byte, op) in edits {
            let pos = pos.min(bytes.len());
            match op {
                0 => bytes.insert(pos, byte),
                1 if pos < bytes.len() => { bytes.remove(pos); }
                _ if pos < bytes.len() => bytes[pos] = byte,
                _ => {}
            }
        }
        let c = compile_bytes(&bytes);
        assert_all_spanned(&c);
    }

    #[test]
    fn token_soup_never_panics(words in proptest::collection::vec(
        prop_oneof![
            Just("tenant"), Just("quota"), Just("platform"), Just("include"), Just("\"x\""), Just("{"), Just("}"),
            Just("cpu=-1"), Just("memory=\"4GB\""), Just("tier=\"small\""), Just("size"), Just("#true"), Just("1e999"),
            Just("\n"), Just("count"), Just("\"*.kdl\""), Just("priority-class"), Just("value=99999999999999999999"),
        ], 0..60)) {
        let c = compile_bytes(words.join(" ").as_bytes());
        assert_all_spanned(&c);
    }
}

#[test]
fn deep_nesting_is_a_diagnostic_not_a_stack_overflow() {
    let depth = 100_000;
    let text = format!("platform \"p\"\n{}{}", "a {".repeat(depth), "}".repeat(depth));
    let c = compile_bytes(text.as_bytes());
    assert!(c.diagnostics.iter().any(|d| d.code == "strata::parse::too-deep"));
    assert_all_spanned(&c);
}

#[test]
fn a_50_mb_file_is_refused_before_parsing() {
    let big = "// padding\n".repeat(50 * 1024 * 1024 / 11);
    let started = std::time::Instant::now();
    let c = compile_bytes(big.as_bytes());
    assert!(c.diagnostics.iter().any(|d| d.code == "strata::io::too-large"), "{:?}", c.diagnostics);
    // Not a performance target, a hang detector: refusing must not mean reading 50 MB as KDL.
    assert!(started.elapsed().as_secs() < 30);
}

#[test]
fn include_fan_out_is_bounded_and_each_file_loads_once() {
    let mut fs =
        MemFs::new().with("platform.kdl", "platform \"p\"\ninclude \"parts/*.kdl\"\ninclude \"parts/*.kdl\"\n");
    for i in 0..50 {
        fs.insert(format!("parts/{i}.kdl"), format!("tenant \"t{i}\"\ninclude \"*.kdl\"\n"));
    }
    let c = strata::compile(&fs, Path::new("platform.kdl"));
    assert!(c.ok(), "{:?}", c.diagnostics);
    assert_eq!(c.platform.tenants.len(), 50);
}

#[test]
fn non_utf8_points_at_the_bad_byte() {
    let c = compile_bytes(b"platform \"p\"\ntenant \"caf\xe9\"\n");
    let d = c.diagnostics.iter().find(|d| d.code == "strata::io::not-utf8").expect("not-utf8 diagnostic");
    let span = d.primary.as_ref().expect("span").span;
    assert_eq!(c.sources.get(span.file).line_col(span.start), (2, 12));
}
