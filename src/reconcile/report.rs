//! What a run did, per object and in total: the one structure behind the progress lines, the human
//! summary and `--output json`, so both always state the same facts.

use serde::Serialize;

use crate::manifest::Stage;
use crate::reconcile::client::RequestCounts;
use crate::reconcile::error::{ApiFailure, Conflict};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Created,
    Configured,
    Unchanged,
    Pruned,
    /// Not in the spec any more but kept by a guard (reason in `detail`).
    Kept,
    Failed,
    /// Another field manager changed fields the spec sets; left as it is (`drift "report"`).
    Drifted,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Configured => "configured",
            Action::Unchanged => "unchanged",
            Action::Pruned => "pruned",
            Action::Kept => "kept",
            Action::Failed => "failed",
            Action::Drifted => "drifted",
        }
    }

    /// Did (or would) this action write to the cluster?
    pub fn is_change(self) -> bool {
        matches!(self, Action::Created | Action::Configured | Action::Pruned)
    }
}

/// Readiness after `--wait`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "detail")]
pub enum WaitOutcome {
    Ready(String),
    Failed(String),
    TimedOut(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct ObjectReport {
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    pub stage: Stage,
    pub action: Action,
    /// Why it was kept, what failed, or a note ("already being deleted").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiFailure>,
    /// Spec line that produced it (absent for pruned/kept objects).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait: Option<WaitOutcome>,
    /// `plan`: unified diff of live vs planned (Secrets masked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

impl ObjectReport {
    /// `Kind/name` or `Kind/namespace/name`... as kubectl prints it: `namespace/Kind/name`.
    pub fn key(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{ns}/{}", self.kind, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }

    pub fn conflicts(&self) -> &[Conflict] {
        self.error.as_ref().map_or(&[], |e| e.conflicts.as_slice())
    }
}

/// Totals per action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub created: usize,
    pub configured: usize,
    pub unchanged: usize,
    pub pruned: usize,
    pub kept: usize,
    pub failed: usize,
    pub drifted: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub platform: String,
    pub context: String,
    pub server: String,
    pub dry_run: bool,
    pub summary: Summary,
    pub objects: Vec<ObjectReport>,
    /// Whether pruning ran, and if not, why.
    pub prune: String,
    /// Why the empty-set guard refused the prune (exit 3), when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prune_refused: Option<String>,
    /// Objects that did not become ready under `--wait` (0 without it).
    pub not_ready: usize,
    pub requests: RequestCounts,
    pub elapsed_ms: u128,
}

impl Report {
    pub fn summarize(objects: &[ObjectReport]) -> Summary {
        let mut s = Summary::default();
        for o in objects {
            match o.action {
                Action::Created => s.created += 1,
                Action::Configured => s.configured += 1,
                Action::Unchanged => s.unchanged += 1,
                Action::Pruned => s.pruned += 1,
                Action::Kept => s.kept += 1,
                Action::Failed => s.failed += 1,
                Action::Drifted => s.drifted += 1,
            }
        }
        s
    }

    pub fn has_changes(&self) -> bool {
        self.objects.iter().any(|o| o.action.is_change())
    }

    /// The summary line both `apply` and `plan` end with.
    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        let drifted = if s.drifted > 0 { format!(", {} drifted", s.drifted) } else { String::new() };
        format!(
            "{} created, {} configured, {} unchanged, {} pruned, {} kept, {} failed{drifted}",
            s.created, s.configured, s.unchanged, s.pruned, s.kept, s.failed
        )
    }
}
