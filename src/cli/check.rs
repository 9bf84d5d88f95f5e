//! `strata check`: every diagnostic for the spec, nothing written. The fast inner loop on a laptop and
//! the first step in CI.

use crate::cli::SpecArg;
use crate::cli::{CliError, after_help, merged_diagnostics, out, platform_label, report_diagnostics};
use crate::diagnostic::{DiagnosticFormat, summary_line};
use crate::exit::Code;

const EXAMPLES: &str = "\
Examples:
  strata check                          # ./platform.kdl and everything it includes
  strata check platforms/prod.kdl
  strata check --diagnostics github     # annotations on the pull request in GitHub Actions
  strata check --diagnostics json | jq '.diagnostics[].code'
  strata check --explain                # also show the decisions strata made for you
  strata check --env staging            # one environment of a spec that declares several (default: all)
  strata check --watch                  # check again on every save, until Ctrl-C
  strata explain strata::kafka::replicas   # what a diagnostic's rule is, and how to fix it";

pub(crate) const EXITS: &[(Code, &str)] = &[
    (Code::Ok, "the spec is valid (warnings allowed)"),
    (Code::Invalid, "spec errors (or warnings, with --deny-warnings), an unreadable spec, bad flags"),
];

/// Check a spec and report every problem, without writing anything.
#[derive(Debug, clap::Args)]
#[command(after_help = after_help(EXAMPLES, EXITS))]
pub struct Args {
    #[command(flatten)]
    pub spec: SpecArg,
    /// How to print diagnostics: human text on stderr; json or github (Actions annotations) on stdout.
    #[arg(long, value_name = "FORMAT", value_enum, alias = "format", default_value_t = DiagnosticFormat::Human)]
    pub diagnostics: DiagnosticFormat,
    /// Also print notes: defaults strata derived (e.g. LimitRange defaults) and why.
    #[arg(long)]
    pub explain: bool,
    /// Treat warnings as errors (exit 2 when there are any).
    #[arg(long)]
    pub deny_warnings: bool,
    /// Check every environment the spec declares, each on its own (the default without `--env`).
    #[arg(long, conflicts_with = "env")]
    pub all_envs: bool,
    /// Keep running and check again whenever a spec file changes (every environment); Ctrl-C stops.
    #[arg(long, conflicts_with_all = ["env", "allow_include_outside"])]
    pub watch: bool,
}

pub fn run(a: Args) -> Result<Code, CliError> {
    if a.watch {
        return watch::run(&a);
    }
    // Counted from the resolved model: check builds no object bodies.
    let mut cs = a.spec.compile_each(&crate::lang::DiskFs, &a.spec.spec, crate::Stage::Count);
    let failed = report(&a, &mut cs)?;
    crate::cli::leak(cs);
    Ok(if failed { Code::Invalid } else { Code::Ok })
}

/// Prints the diagnostics of `cs` (and the "valid" line of each clean environment) as `a` asks; true when
/// the spec failed.
fn report(a: &Args, cs: &mut [crate::Compilation]) -> Result<bool, CliError> {
    for c in cs.iter_mut() {
        c.diagnostics.retain_notes(a.explain);
    }
    let failed_one =
        |c: &crate::Compilation| c.diagnostics.has_errors() || (a.deny_warnings && c.diagnostics.warning_count() > 0);
    let failed = cs.iter().any(failed_one);
    match (a.diagnostics, &*cs) {
        (DiagnosticFormat::Human, _) => {
            let mut seen = Vec::new();
            for c in cs.iter() {
                report_diagnostics(&c.sources, &c.diagnostics.unseen(&mut seen), a.diagnostics)?;
                if !failed_one(c) {
                    out::stderr_line(&valid_line(c));
                }
            }
        }
        (_, [c]) if c.diagnostics.is_empty() && a.diagnostics == DiagnosticFormat::Json => {
            // A clean spec still gets a valid, empty result: JSON consumers parse stdout unconditionally.
            // Only `check` does this; `compile --diagnostics json` shares stdout with the manifests.
            out::stdout(&crate::diagnostic::Renderer::plain(&c.sources).json(&c.diagnostics))?;
        }
        (_, [c, ..]) => {
            let all = merged_diagnostics(cs);
            if all.is_empty() && a.diagnostics == DiagnosticFormat::Json {
                out::stdout(&crate::diagnostic::Renderer::plain(&c.sources).json(&all))?;
            } else {
                report_diagnostics(&c.sources, &all, a.diagnostics)?;
            }
        }
        (_, []) => {}
    }
    Ok(failed)
}

fn valid_line(c: &crate::Compilation) -> String {
    let objects = c.objects.unwrap_or(0);
    let tenants = c.platform.tenants.len();
    let warnings = c.diagnostics.warning_count();
    let mut line = format!(
        "strata: {} is valid ({tenants} tenant{}, {objects} object{})",
        platform_label(c),
        if tenants == 1 { "" } else { "s" },
        if objects == 1 { "" } else { "s" }
    );
    if warnings > 0 {
        line.push_str(&format!(", {}", summary_line(0, warnings).trim_start_matches("strata: ")));
    }
    line
}

/// `check --watch`: one [`crate::session::Session`] for the whole run, checked again after each burst of
/// file events, so a save re-reads only the files it changed.
mod watch {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};
    use std::sync::mpsc;
    use std::time::Duration;

    use notify::{EventKind, RecursiveMode, Watcher};

    use super::{Args, report};
    use crate::cli::{CliError, out};
    use crate::exit::Code;
    use crate::session::Session;

    /// An editor's save is several events (a temporary file, a rename, a metadata change); a check starts
    /// once the spec's files have been quiet this long.
    const QUIET: Duration = Duration::from_millis(100);

    enum Wake {
        Changed(Vec<PathBuf>),
        Interrupted,
    }

    pub(super) fn run(a: &Args) -> Result<Code, CliError> {
        crate::session::keep_freed_memory();
        let (tx, rx) = mpsc::channel();
        let events = tx.clone();
        let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            // An event the watcher could not read (a queue overflow) may have been any change: check again.
            let paths = match event {
                Ok(e) if matches!(e.kind, EventKind::Access(_)) => return,
                Ok(e) => e.paths,
                Err(e) => e.paths,
            };
            let _ = events.send(Wake::Changed(paths));
        })
        .map_err(|source| CliError::Watch { path: a.spec.spec.clone(), source })?;
        interrupt_into(tx);

        let mut session = Session::new(&a.spec.spec);
        let mut watched = BTreeSet::new();
        let mut sources = check_once(a, &mut session)?;
        // Watching starts before the line says so: a change made once it is printed is seen.
        watch_folders(&mut watcher, session.root(), &sources, &mut watched)?;
        out::stderr_line("strata: watching the spec's files for changes (Ctrl-C to stop)");
        loop {
            let Ok(Wake::Changed(mut changed)) = rx.recv() else { return Ok(Code::Ok) };
            loop {
                match rx.recv_timeout(QUIET) {
                    Ok(Wake::Changed(more)) => changed.extend(more),
                    Ok(Wake::Interrupted) => return Ok(Code::Ok),
                    Err(mpsc::RecvTimeoutError::Timeout) => break,
                    Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(Code::Ok),
                }
            }
            // Swap files and build output in the spec's folder are no reason to check again; a spec file, a
            // file the spec read, or an event without a path (an overflow) is.
            let relevant = changed.is_empty()
                || changed.iter().any(|p| sources.contains(p) || p.extension().is_some_and(|e| e == "kdl"));
            if !relevant {
                continue;
            }
            if changed.is_empty() {
                session.forget_disk();
            }
            for path in &changed {
                session.changed_on_disk(path);
            }
            out::stderr_line("");
            sources = check_once(a, &mut session)?;
            watch_folders(&mut watcher, session.root(), &sources, &mut watched)?;
        }
    }

    /// Checks and prints, and returns the files the check read (to tell its changes from other files').
    fn check_once(a: &Args, session: &mut Session) -> Result<BTreeSet<PathBuf>, CliError> {
        session.check();
        let cs = session.last_mut();
        report(a, cs)?;
        Ok(cs.iter().flat_map(|c| c.sources.files().map(|(_, f)| f.path.clone())).collect())
    }

    /// Watches the spec's folder (recursively: new files of a glob appear there) and, one by one, the
    /// folders of files it includes from elsewhere in its repository.
    fn watch_folders(
        watcher: &mut impl Watcher,
        root: &Path,
        sources: &BTreeSet<PathBuf>,
        watched: &mut BTreeSet<PathBuf>,
    ) -> Result<(), CliError> {
        let base = root.parent().unwrap_or(Path::new(".")).to_path_buf();
        let outside = sources.iter().filter(|p| !p.starts_with(&base)).filter_map(|p| p.parent());
        let wanted: Vec<(PathBuf, RecursiveMode)> = std::iter::once((base.clone(), RecursiveMode::Recursive))
            .chain(outside.map(|d| (d.to_path_buf(), RecursiveMode::NonRecursive)))
            .collect();
        for (dir, mode) in wanted {
            if watched.contains(&dir) || !dir.is_dir() {
                continue;
            }
            watcher.watch(&dir, mode).map_err(|source| CliError::Watch { path: dir.clone(), source })?;
            watched.insert(dir);
        }
        Ok(())
    }

    /// Ctrl-C (and SIGTERM) end the watch as a success: stopping it is how a watch is meant to end.
    fn interrupt_into(tx: mpsc::Sender<Wake>) {
        std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(interrupted());
            let _ = tx.send(Wake::Interrupted);
        });
    }

    #[cfg(unix)]
    async fn interrupted() {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    }

    #[cfg(not(unix))]
    async fn interrupted() {
        let _ = tokio::signal::ctrl_c().await;
    }
}
