//! The errors a command can end in, and the one reporter that prints them. Each variant maps to one exit
//! code, in [`CliError::exit_code`]; spec diagnostics are not errors here: a command prints them and returns
//! [`Code::Invalid`] itself.

use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;

use miette::Diagnostic as _;

use crate::exit::Code;
use crate::output::OutputError;
use crate::reconcile::ReconcileError;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CliError {
    /// The output could not be written for another reason than a closed pipe (a full disk, a closed file).
    #[error("cannot write to stdout: {0}")]
    Stdout(#[source] io::Error),
    /// `strata lsp` lost its editor: stdin or stdout failed mid-session.
    #[error("the editor connection failed: {0}")]
    Lsp(#[source] io::Error),
    #[error("cannot read the current directory: {0}")]
    CurrentDir(#[source] io::Error),
    /// `compile --out-dir` could not replace its directory.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Output(#[from] OutputError),
    #[error("`{}` does not parse", .0.display())]
    #[diagnostic(help("run `strata check` to see why"))]
    FmtUnparsable(PathBuf),
    #[error("formatting `{}` would change its meaning, so it was left as is", .0.display())]
    #[diagnostic(help("please report this file: it is a bug in `strata fmt`"))]
    FmtWouldChangeMeaning(PathBuf),
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("no stdlib file named `{name}`")]
    #[diagnostic(help("the stdlib has: {known}"))]
    UnknownStdlib { name: String, known: String },
    #[error("no diagnostic code `{code}`")]
    #[diagnostic(help("{hint}"))]
    UnknownCode { code: String, hint: String },
    /// clap's required group rules this out; the variant keeps the command free of a panic all the same.
    #[error("pass --base REV or --base-spec PATH")]
    MissingBase,
    /// `check --watch` could not ask the operating system for file events (too many watches, a folder gone).
    #[error("cannot watch `{}` for changes: {source}", path.display())]
    #[diagnostic(help("on Linux, raise fs.inotify.max_user_watches, or run `strata check` without --watch"))]
    Watch {
        path: PathBuf,
        #[source]
        source: notify::Error,
    },
    /// A kubeconfig file that would be read cannot be opened. Checked before the client library reads it, so
    /// the message names the file once, and where its name came from.
    #[error("cannot read kubeconfig `{}` ({origin}): {source}", path.display())]
    #[diagnostic(help("pass --kubeconfig FILE, or set $KUBECONFIG"))]
    KubeconfigUnreadable {
        path: PathBuf,
        origin: &'static str,
        #[source]
        source: io::Error,
    },
    /// The kubeconfig or the chosen context cannot be used: the user's input, not the cluster.
    #[error(transparent)]
    Kubeconfig(Box<ReconcileError>),
    /// The cluster could not be reached, refused something, or failed. `server` is the API server's URL, so
    /// that every connection error names it.
    #[error("{error}")]
    Cluster { error: Box<ReconcileError>, server: Option<String> },
}

impl CliError {
    /// The exit code of each error: the one place they are chosen.
    pub fn exit_code(&self) -> Code {
        match self {
            CliError::Stdout(_)
            | CliError::Lsp(_)
            | CliError::CurrentDir(_)
            | CliError::Output(_)
            | CliError::FmtUnparsable(_)
            | CliError::FmtWouldChangeMeaning(_)
            | CliError::Write { .. }
            | CliError::UnknownStdlib { .. }
            | CliError::UnknownCode { .. }
            | CliError::MissingBase
            | CliError::Watch { .. }
            | CliError::KubeconfigUnreadable { .. }
            | CliError::Kubeconfig(_) => Code::Invalid,
            CliError::Cluster { .. } => Code::Cluster,
        }
    }

    /// Sorts an error of the cluster layer: what the user can fix in their input (kubeconfig, context) from
    /// what the cluster did, as the cluster layer classifies it.
    pub fn from_cluster(error: ReconcileError, server: Option<String>) -> Self {
        if error.exit_code() == crate::exit::INVALID {
            CliError::Kubeconfig(Box::new(error))
        } else {
            CliError::Cluster { error: Box::new(error), server }
        }
    }

    /// The text [`report`] prints: `error: <message>`, the help, the server for a cluster error whose message
    /// does not name it, and where to read more when the error has a registered code.
    pub fn render(&self) -> String {
        let message = self.to_string();
        let mut out = String::new();
        if message.starts_with("error") {
            out.push_str(&message);
        } else {
            let _ = write!(out, "error: {message}");
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
        if let Some(help) = self.help() {
            for line in help.to_string().lines() {
                let _ = writeln!(out, "  help: {line}");
            }
        }
        if let CliError::Cluster { server: Some(url), .. } = self
            && !message.contains(url.trim_end_matches('/'))
        {
            let _ = writeln!(out, "  server: {url}");
        }
        if let Some(code) = self.code().map(|c| c.to_string())
            && crate::codes::lookup(&code).is_some()
        {
            let _ = writeln!(out, "  see: strata explain {code}");
        }
        out
    }
}

/// Prints an error on stderr: the one reporter of the command line.
pub fn report(e: &CliError) {
    crate::cli::out::stderr(&e.render());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_exit_code() {
        let io = || io::Error::other("x");
        assert_eq!(CliError::Stdout(io()).exit_code(), Code::Invalid);
        assert_eq!(CliError::MissingBase.exit_code(), Code::Invalid);
        let watch = CliError::Watch { path: "spec".into(), source: notify::Error::generic("x") };
        assert_eq!(watch.exit_code(), Code::Invalid);
        let kc = CliError::from_cluster(ReconcileError::Kubeconfig("no context".into()), None);
        assert_eq!(kc.exit_code(), Code::Invalid);
        let down = CliError::from_cluster(ReconcileError::Interrupted("SIGINT".into()), None);
        assert_eq!(down.exit_code(), Code::Cluster);
    }

    #[test]
    fn cluster_errors_name_the_server_once() {
        let e = CliError::from_cluster(
            ReconcileError::Timeout("no answer from /api".into()),
            Some("https://10.0.0.1:6443/".into()),
        );
        assert_eq!(e.render(), "error: no answer from /api\n  server: https://10.0.0.1:6443/\n");
        let named = CliError::from_cluster(
            ReconcileError::Timeout("no answer from https://10.0.0.1:6443/api".into()),
            Some("https://10.0.0.1:6443/".into()),
        );
        assert_eq!(named.render(), "error: no answer from https://10.0.0.1:6443/api\n");
    }

    #[test]
    fn help_and_code_follow_the_message() {
        let e = CliError::Output(OutputError::NotADirectory("build".into()));
        let text = e.render();
        assert!(text.starts_with("error: `build` exists and is not a directory\n  help: "), "{text}");
        assert!(text.ends_with("  see: strata explain strata::output::not_a_directory\n"), "{text}");
    }
}
