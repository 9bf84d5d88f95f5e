//! Edit-to-diagnostics of a long-lived [`strata::session::Session`] (what `strata lsp` and `check --watch`
//! answer an edit with) against a full check in the same run, on a platform from `examples/generate.rs`.
//! It also times the stages of one full check, to show where the time of a check goes.
//!
//! ```sh
//! cargo run --release --example generate -- --tenants 230 --out /tmp/p15k
//! cargo run --release --example incremental -- /tmp/p15k --edits 21
//! ```
//!
//! Each edit changes one number in one tenant's file (its pod quota) as an unsaved editor buffer, and
//! times `Session::check` up to the diagnostics of every environment.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use strata::diagnostic::Diagnostics;
use strata::lang::DiskFs;
use strata::session::Session;
use strata::{Stage, check, emit, lang};

// The allocator of the `strata` binary, so the figures are the CLI's and the language server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut dir = None;
    let mut edits = 21usize;
    let mut session_only = false;
    let mut pause = Duration::from_millis(200);
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--edits" => edits = it.next().and_then(|n| n.parse().ok()).unwrap_or_else(|| usage()),
            // Only the session's checks, for counting their instructions (`valgrind --tool=callgrind`, once
            // with `--edits 0` and once with more: the difference over the count is one edit's).
            "--session-only" => session_only = true,
            // Time between edits, outside the timing: an editor's edits arrive while the server is idle
            // (a keystroke every 100-300 ms, and clients debounce); 0 times edits back to back.
            "--pause-ms" => {
                pause = Duration::from_millis(it.next().and_then(|n| n.parse().ok()).unwrap_or_else(|| usage()))
            }
            "-h" | "--help" => usage(),
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let dir = dir.unwrap_or_else(|| usage());
    let root = dir.join("platform.kdl");
    let edited = first_tenant_file(&dir);

    if !session_only {
        stages(&root);
    }

    let full: Vec<Duration> = (0..if session_only { 0 } else { edits.min(7) })
        .map(|_| {
            let t = Instant::now();
            let c = strata::compile_all(&DiskFs, &root, Stage::Count);
            std::hint::black_box(c);
            t.elapsed()
        })
        .collect();

    // As `strata lsp` and `check --watch` run it.
    strata::session::keep_freed_memory();
    let mut session = Session::new(&root);
    let t = Instant::now();
    let first = session.check();
    let objects: usize = first.iter().filter_map(|c| c.objects).sum();
    println!("session, first check: {:>8.1} ms ({objects} objects)", ms(t.elapsed()));
    let text = std::fs::read_to_string(&edited).expect("read the edited file");
    let mut times = Vec::with_capacity(edits);
    for i in 0..edits {
        // A different number each time, so no edit is a no-op the caches could answer without work.
        let changed = text.replacen("pods=2000", &format!("pods={}", 2001 + i), 1);
        assert_ne!(changed, text, "{} has no `pods=2000` to edit", edited.display());
        std::thread::sleep(pause);
        let t = Instant::now();
        session.set_text(&edited, Some(changed));
        let result = session.check();
        std::hint::black_box(result);
        times.push(t.elapsed());
    }
    if session_only || times.is_empty() {
        return;
    }
    println!(
        "edit-to-diagnostics: median {:>8.1} ms over {edits} edits of {}, {} ms apart (full check: median {:.1} ms over {} runs)",
        ms(median(&mut times)),
        edited.strip_prefix(&dir).unwrap_or(&edited).display(),
        pause.as_millis(),
        ms(median(&mut full.clone())),
        full.len()
    );
}

fn usage() -> ! {
    eprintln!("usage: incremental SPEC_DIR [--edits N] [--pause-ms MS] [--session-only]");
    std::process::exit(2)
}

fn first_tenant_file(dir: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("tenants"))
        .expect("a generated platform has tenants/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    files.into_iter().next().expect("a tenant file")
}

/// One full check, stage by stage (the stages `compile_all` runs, called one after another), each the
/// median of a few runs. A stage's result is dropped outside its timing, as `compile_all` keeps it.
fn stages(root: &Path) {
    const RUNS: usize = 5;
    fn time<R>(mut f: impl FnMut() -> R) -> (Duration, R) {
        let mut kept = None;
        let mut v: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                let r = std::hint::black_box(f());
                let spent = t.elapsed();
                kept = Some(r);
                spent
            })
            .collect();
        (median(&mut v), kept.expect("at least one run"))
    }
    let (load, loaded) = time(|| lang::load::load(&DiskFs, root, &mut Diagnostics::new()));
    let files = loaded.documents.len();
    drop(loaded);
    // Loading again, then taking the environments out of the trees and lowering them.
    let (front, fronts) = time(|| lang::read_all(&DiskFs, root));
    let platform = &fronts[0].platform;
    let (rules, diagnostics) = time(|| check::run(platform));
    let (resolve, resolved) = time(|| check::resolve(platform, &mut Diagnostics::new()));
    let (census, objects) = time(|| resolved.as_ref().map(|r| emit::census(r, &mut Diagnostics::new())));
    println!(
        "stages of one full check ({files} files, {} diagnostics, {objects:?} objects), median of {RUNS}:",
        diagnostics.len()
    );
    println!("  read + parse          {:>8.1} ms", ms(load));
    println!("  environments + lower  {:>8.1} ms", ms(front.saturating_sub(load)));
    println!("  check::run            {:>8.1} ms", ms(rules));
    println!("  resolve               {:>8.1} ms", ms(resolve));
    println!("  census                {:>8.1} ms", ms(census));
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
