//! What `apply` and `plan` share on the command line: cluster flags, compiling and guarding the spec,
//! the tokio runtime, progress on stderr (a bar on a terminal, plain lines in CI logs) and the report.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::config::Kubeconfig;

use crate::cli::{CliError, SpecArg, out, report_diagnostics};
use crate::diagnostic::{DiagnosticFormat, Diagnostics};
use crate::exit::Code;
use crate::manifest::ManifestSet;
use crate::model::Platform;
use crate::reconcile::apply::Progress;
use crate::reconcile::report::WaitOutcome;
use crate::reconcile::{Action, Kube, ObjectReport, ReconcileError, Report, Target, client};

/// The exit codes every cluster command shares (each adds its own 0 and 1).
pub const INVALID: (Code, &str) = (
    Code::Invalid,
    "spec errors, bad flags, a missing or unreadable kubeconfig, a context the kubeconfig lacks, or the current \
     context is not the spec's `cluster context=...`",
);

/// Flags every cluster command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct ClusterArgs {
    #[command(flatten)]
    pub spec: SpecArg,
    /// Kube context to use instead of the kubeconfig's current one. Naming a context here also overrides
    /// the spec's `cluster context=...` guard: it is a deliberate choice.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Take over fields another field manager owns (otherwise a conflict fails that object).
    #[arg(long)]
    pub force_conflicts: bool,
    /// Let prune (and --recreate) delete data-bearing objects (KafkaTopic, KafkaUser, FlinkDeployment,
    /// FlinkSessionJob, PersistentVolumeClaim, Namespace).
    #[arg(long)]
    pub allow_data_loss: bool,
    /// Let prune delete more than half of the platform's objects (and more than 5), or everything when
    /// the spec produces nothing (the empty-set guard refuses that otherwise).
    #[arg(long)]
    pub allow_mass_prune: bool,
    /// Recreate (delete, then apply) an object whose change the server refuses because a field is
    /// immutable. Data-bearing kinds also need --allow-data-loss.
    #[arg(long)]
    pub recreate: bool,
    /// Give up on any request, and on the kubeconfig's credential plugin, after this long.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// Requests in flight at once within a stage.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Report format on stdout (progress always goes to stderr).
    #[arg(short, long, value_name = "FORMAT", value_enum, default_value_t = OutputKind::Human)]
    pub output: OutputKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputKind {
    Human,
    Json,
    /// The human report in a fenced block (`drift`: a table), for a job summary or a pull request.
    Markdown,
}

/// Parses `30s`, `5m`, `1h` (strata's duration syntax).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    crate::units::Duration::parse(s)
        .map(|d| Duration::from_millis(d.0))
        .map_err(|e| format!("{} ({})", e.message, e.help))
}

/// What a cluster command works on once the spec compiled and the kubeconfig resolved.
pub struct Prepared {
    pub platform: Platform,
    pub set: ManifestSet,
    pub kubeconfig: Kubeconfig,
    pub context: String,
    /// The context's API server URL, to name in connection errors.
    pub server: Option<String>,
}

impl Prepared {
    /// The command's error, with the server it talked to.
    pub fn fail(&self, e: ReconcileError) -> CliError {
        CliError::from_cluster(e, self.server.clone())
    }
}

/// Compiles the spec and resolves the kubeconfig context; applies the context guard. `None` when the spec
/// or the guard refused, after their diagnostics were printed (exit 2).
pub fn prepare(a: &ClusterArgs) -> Result<Option<Prepared>, CliError> {
    let mut c = a.spec.compile();
    c.diagnostics.retain_notes(false);
    report_diagnostics(&c.sources, &c.diagnostics, DiagnosticFormat::Human)?;
    let Some(set) = c.manifests.take() else { return Ok(None) };
    readable_kubeconfig(a.kubeconfig.as_deref())?;
    let target = Target { kubeconfig: a.kubeconfig.clone(), context: a.context.clone() };
    let (kubeconfig, context) = client::load_kubeconfig(&target).map_err(|e| CliError::from_cluster(e, None))?;
    if let Some(d) = client::guard(&c.platform, &context, a.context.is_some()) {
        // The guard's finding points at the spec's `cluster context=...`: shown like every spec diagnostic.
        report_diagnostics(&c.sources, &std::iter::once(d).collect::<Diagnostics>(), DiagnosticFormat::Human)?;
        return Ok(None);
    }
    if c.platform.header.as_ref().and_then(|h| h.context.as_ref()).is_none() && a.context.is_none() {
        out::stderr_line(&format!(
            "strata: warning: the spec names no `cluster context=...` in its `platform` node, so nothing stops it \
             from being applied to the wrong cluster; using the current context `{context}`"
        ));
    }
    let server = server_of(&kubeconfig, &context);
    Ok(Some(Prepared { platform: c.platform, set, kubeconfig, context, server }))
}

/// Fails, naming the file, when a kubeconfig file the client would read cannot be read: `--kubeconfig`,
/// else each file of `$KUBECONFIG`, else `~/.kube/config` (kube-client's `Kubeconfig::read`). The client
/// library's own message quotes the path twice.
fn readable_kubeconfig(explicit: Option<&Path>) -> Result<(), CliError> {
    let files: Vec<(PathBuf, &'static str)> = match (explicit, std::env::var_os("KUBECONFIG")) {
        (Some(p), _) => vec![(p.to_path_buf(), "--kubeconfig")],
        (None, Some(list)) if std::env::split_paths(&list).any(|p| !p.as_os_str().is_empty()) => {
            std::env::split_paths(&list)
                .filter(|p| !p.as_os_str().is_empty())
                .map(|p| (p, "from $KUBECONFIG"))
                .collect()
        }
        (None, _) => std::env::home_dir()
            .map(|h| vec![(h.join(".kube").join("config"), "the default, as $KUBECONFIG names no file")])
            .unwrap_or_default(),
    };
    for (path, origin) in files {
        if let Err(source) = std::fs::read(&path) {
            return Err(CliError::KubeconfigUnreadable { path, origin, source });
        }
    }
    Ok(())
}

/// The API server URL of `context`, as the kubeconfig names it.
fn server_of(kc: &Kubeconfig, context: &str) -> Option<String> {
    let ctx = kc.contexts.iter().find(|c| c.name == context)?.context.as_ref()?;
    let cluster = kc.clusters.iter().find(|c| c.name == ctx.cluster)?.cluster.as_ref()?;
    cluster.server.clone()
}

/// A runtime for one command (the CLI is otherwise synchronous).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime can be built")
}

pub async fn connect(kc: Kubeconfig, context: &str, request_timeout: Duration) -> Result<Arc<Kube>, ReconcileError> {
    Ok(Arc::new(Kube::connect_with(kc, context, request_timeout).await?))
}

/// Runs a cluster command to its end or until SIGINT/SIGTERM. On a signal, every lease this process
/// holds is released before it exits (exit 3), so the next apply does not wait for the lease to expire.
/// The runtime is shut down without waiting: a credential plugin that never answered may still occupy
/// a blocking thread, and must not keep the process alive.
pub fn run_cluster<T>(fut: impl std::future::Future<Output = Result<T, ReconcileError>>) -> Result<T, ReconcileError> {
    let rt = runtime();
    let result = rt.block_on(async {
        tokio::select! {
            r = fut => r,
            signal = interrupted() => {
                crate::reconcile::lock::release_held().await;
                Err(ReconcileError::Interrupted(signal))
            }
        }
    });
    rt.shutdown_background();
    result
}

#[cfg(unix)]
async fn interrupted() -> String {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => "SIGINT".to_string(),
        _ = term.recv() => "SIGTERM".to_string(),
    }
}

#[cfg(not(unix))]
async fn interrupted() -> String {
    let _ = tokio::signal::ctrl_c().await;
    "Ctrl-C".to_string()
}

/// Progress on stderr: on a terminal one bar line redrawn in place (with changes printed above it);
/// otherwise one line per changed, failed or kept object and per phase, for CI logs.
pub struct StderrProgress {
    tty: bool,
    state: Mutex<bool>,
}

impl StderrProgress {
    pub fn new() -> Self {
        StderrProgress {
            tty: std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            state: Mutex::new(false),
        }
    }

    fn clear_bar(&self, err: &mut impl Write, drawn: &mut bool) {
        if *drawn {
            let _ = write!(err, "\r\x1b[2K");
            *drawn = false;
        }
    }
}

impl Default for StderrProgress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for StderrProgress {
    fn phase(&self, message: &str) {
        let mut drawn = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut err = std::io::stderr().lock();
        self.clear_bar(&mut err, &mut drawn);
        let _ = writeln!(err, "strata: {message}");
    }

    fn object(&self, r: &ObjectReport, done: usize, total: usize) {
        let mut drawn = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut err = std::io::stderr().lock();
        self.clear_bar(&mut err, &mut drawn);
        if r.action != Action::Unchanged {
            let _ = writeln!(
                err,
                "  {:<10} {}{}",
                r.action.as_str(),
                r.key(),
                r.detail.as_ref().map(|d| format!(": {d}")).unwrap_or_default()
            );
        }
        if self.tty && total > 0 && done <= total {
            let width = 30;
            let filled = done * width / total;
            let _ = write!(err, "  [{}{}] {done}/{total}", "#".repeat(filled), "-".repeat(width - filled));
            *drawn = true;
        }
        let _ = err.flush();
    }
}

impl Drop for StderrProgress {
    fn drop(&mut self) {
        let mut drawn = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut err = std::io::stderr().lock();
        self.clear_bar(&mut err, &mut drawn);
    }
}

/// Prints the report on stdout: JSON, or the human summary (failures, kept objects, wait results, totals).
pub fn print_report(r: &Report, output: OutputKind, verb: &str, show_diffs: bool) -> Result<(), CliError> {
    out::stdout(&render_report(r, output, verb, show_diffs))
}

/// The text [`print_report`] prints.
pub fn render_report(r: &Report, output: OutputKind, verb: &str, show_diffs: bool) -> String {
    match output {
        OutputKind::Json => {
            format!("{}\n", serde_json::to_string_pretty(r).unwrap_or_default())
        }
        OutputKind::Human | OutputKind::Markdown => {
            let mut out = String::new();
            if output == OutputKind::Markdown {
                out.push_str(&format!("### strata {verb}\n\n```\n"));
            }
            if show_diffs {
                for o in r.objects.iter().filter(|o| o.diff.is_some()) {
                    out.push_str(&format!("{} {}\n", o.action.as_str(), o.key()));
                    out.push_str(o.diff.as_deref().unwrap_or_default());
                    out.push('\n');
                }
            }
            for o in r.objects.iter().filter(|o| o.action == Action::Failed) {
                out.push_str(&format!(
                    "failed  {}{}\n",
                    o.key(),
                    o.source.as_ref().map(|s| format!(" ({s})")).unwrap_or_default()
                ));
                if o.conflicts().is_empty() {
                    if let Some(d) = &o.detail {
                        out.push_str(&format!("    {d}\n"));
                    }
                } else {
                    for c in o.conflicts() {
                        out.push_str(&format!("    conflict: {} is owned by field manager `{}`\n", c.field, c.manager));
                    }
                    if !r.dry_run || verb == "plan" {
                        out.push_str("    help: rerun with --force-conflicts to take these fields over\n");
                    }
                }
            }
            for o in r.objects.iter().filter(|o| o.action == Action::Kept) {
                out.push_str(&format!("kept    {}: {}\n", o.key(), o.detail.as_deref().unwrap_or("kept")));
            }
            for o in &r.objects {
                match &o.wait {
                    Some(WaitOutcome::Ready(m)) => out.push_str(&format!("ready   {} ({m})\n", o.key())),
                    Some(WaitOutcome::Failed(m)) => out.push_str(&format!("NOT READY {}: {m}\n", o.key())),
                    Some(WaitOutcome::TimedOut(m)) => out.push_str(&format!("TIMED OUT {}: {m}\n", o.key())),
                    None => {}
                }
            }
            out.push_str(&format!(
                "strata: {verb} `{}` on context `{}`{}: {}\n        prune: {}; {} requests ({} reads, {} writes) in {:.1} s\n",
                r.platform,
                r.context,
                if r.dry_run && verb == "apply" { " (server dry run)" } else { "" },
                r.summary_line(),
                r.prune,
                r.requests.reads + r.requests.writes,
                r.requests.reads,
                r.requests.writes,
                r.elapsed_ms as f64 / 1000.0
            ));
            if let Some(why) = &r.prune_refused {
                out.push_str(&format!(
                    "error: the prune was refused: {why}\n  help: check that the spec is the one you mean (a wrong path or a broken include empties it); rerun with --allow-mass-prune if that many deletions are intended\n"
                ));
            }
            if output == OutputKind::Markdown {
                out.push_str("```\n");
            }
            out
        }
    }
}
