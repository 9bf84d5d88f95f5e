//! `strata lsp`: a language server for platform.kdl, so an editor shows what `strata check` would say while
//! the spec is typed, and can answer "what does this preset give", "where is this tenant used", "what does
//! this job cost".
//!
//! The server is single-threaded: each message is handled to the end before the next is read. A check of
//! a large platform takes well under a second ([`crate::session::Session`] keeps one spec's state between
//! edits), and an editor sends full-document changes, so a queue of stale edits cannot build up.
//!
//! Files: [`transport`] frames messages, [`convert`] maps byte offsets to the protocol's UTF-16 positions,
//! [`diagnostics`], [`hover`], [`navigate`] (definition, references) and [`complete`] answer requests.

pub mod complete;
pub mod convert;
pub mod diagnostics;
pub mod hover;
pub mod navigate;
pub mod transport;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufRead, Write};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{self as lsp, Url};
use serde::de::DeserializeOwned;

use crate::diagnostic::Diagnostics;
use crate::lang::fs::SpecFs;
use crate::lang::{DiskFs, MemFs};
use crate::lsp::complete::Schema;
use crate::lsp::convert::LineIndex;
use crate::lsp::navigate::Index;
use crate::session::Session;
use crate::source::FileId;
use transport::Frame;

/// How the client ended the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// `shutdown`, then `exit`: exit 0.
    Clean,
    /// `exit` without `shutdown`, or the stream closed: exit 1, as the protocol asks.
    Abrupt,
}

/// The spec file the loader starts from, found beside or above an edited file.
const ROOT_FILE: &str = "platform.kdl";

/// The prefix of the loader's codes for a file it could not parse (syntax, nesting too deep).
const PARSE_CODES: &str = "strata::parse::";

/// What `initializationOptions` may say.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Options {
    /// The spec's root file, when it is not the nearest `platform.kdl` (relative to the first workspace
    /// folder).
    spec: Option<PathBuf>,
    /// Where docs/diagnostics.md is served: each diagnostic's code then links to its explanation.
    diagnostics_docs: Option<Url>,
}

/// One spec under edit and what was last sent about it.
struct Spec {
    session: Session,
    /// Files that were sent diagnostics, so a fixed file is sent an empty list.
    published: BTreeSet<PathBuf>,
    /// Names of the first environment's platform (every environment declares the same names, give or take
    /// an environment's additions).
    index: Index,
    /// The index of the last check whose files all parsed: what completion offers. The buffer being typed
    /// rarely parses, and a file that does not parse lowers to nothing, so its own declarations would vanish
    /// from the offers until it does. `None` until some check parses (then `index` is all there is).
    names: Option<Index>,
}

impl Spec {
    fn new(session: Session) -> Spec {
        let mut spec = Spec { session, published: BTreeSet::new(), index: Index::default(), names: None };
        spec.check();
        spec
    }

    fn check(&mut self) {
        let cs = self.session.check();
        let parsed = cs.first().is_some_and(|c| !c.diagnostics.iter().any(|d| d.code.starts_with(PARSE_CODES)));
        self.index = cs.first().map(|c| Index::of(&c.platform)).unwrap_or_default();
        if parsed {
            self.names = Some(self.index.clone());
        }
    }

    /// The names completion offers: the last that parsed, else what there is.
    fn names(&self) -> &Index {
        self.names.as_ref().unwrap_or(&self.index)
    }

    fn includes(&self, path: &Path) -> bool {
        self.session.last().iter().any(|c| c.sources.files().any(|(_, f)| f.path == path))
    }

    /// The first compilation and the id of `path` in it.
    fn file(&self, path: &Path) -> Option<(&crate::Compilation, FileId)> {
        let c = self.session.last().first()?;
        let id = c.sources.files().find(|(_, f)| f.path == path && !f.opaque).map(|(id, _)| id)?;
        Some((c, id))
    }
}

struct Server {
    options: Options,
    workspace: Vec<PathBuf>,
    /// Open documents by resolved path: their text, and the URI the client knows them by.
    open: BTreeMap<PathBuf, (Url, String)>,
    specs: BTreeMap<PathBuf, Spec>,
    /// Files outside every spec that were sent syntax diagnostics.
    loose: BTreeSet<PathBuf>,
    schema: Option<Schema>,
    /// Specs opened (and so checked) while handling the current message.
    fresh: BTreeSet<PathBuf>,
    shut_down: bool,
    outbox: Vec<Message>,
}

/// Serves one client on `input`/`output` until it exits.
pub fn serve(input: &mut impl BufRead, output: &mut impl Write) -> io::Result<Ending> {
    let mut server: Option<Server> = None;
    let mut shut_down = false;
    loop {
        let frame = match transport::read(input)? {
            Some(f) => f,
            None => return Ok(Ending::Abrupt),
        };
        let msg = match frame {
            Frame::Message(m) => m,
            Frame::Malformed { code, message } => {
                transport::write_malformed(output, code, &message)?;
                continue;
            }
        };
        match msg {
            Message::Request(req) if req.method == lsp::request::Initialize::METHOD => {
                let resp = match (&server, initialize(&req)) {
                    (Some(_), _) => error(req.id, ErrorCode::InvalidRequest, "initialize was already received"),
                    (None, Ok((s, result))) => {
                        server = Some(s);
                        Response::new_ok(req.id, result)
                    }
                    (None, Err(e)) => Response { id: req.id, response_result: Err(e) },
                };
                transport::write(output, resp.into())?;
            }
            Message::Notification(n) if n.method == lsp::notification::Exit::METHOD => {
                return Ok(if shut_down { Ending::Clean } else { Ending::Abrupt });
            }
            Message::Request(req) => {
                let resp = match server.as_mut() {
                    None => error(req.id, ErrorCode::ServerNotInitialized, "the client has not sent initialize"),
                    Some(s) if s.shut_down => error(req.id, ErrorCode::InvalidRequest, "the server is shut down"),
                    Some(s) => {
                        let resp = guarded(req.id.clone(), || s.request(req));
                        shut_down = s.shut_down;
                        resp
                    }
                };
                transport::write(output, resp.into())?;
            }
            Message::Notification(n) => {
                if let Some(s) = server.as_mut().filter(|s| !s.shut_down) {
                    // A notification has no answer to carry an error; a failure to handle one is dropped.
                    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| s.notify(n)));
                }
            }
            // The server sends no requests, so it expects no responses.
            Message::Response(_) => {}
        }
        if let Some(s) = server.as_mut() {
            for m in s.outbox.drain(..) {
                transport::write(output, m)?;
            }
        }
    }
}

/// Runs a request handler; a panic (a bug, never bad input by design) answers the one request with an
/// internal error and leaves the server running for the rest of the session.
fn guarded(id: RequestId, f: impl FnOnce() -> Response) -> Response {
    std::panic::catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|_| error(id, ErrorCode::InternalError, "strata failed on this request"))
}

fn error(id: RequestId, code: ErrorCode, message: &str) -> Response {
    Response::new_err(id, code as i32, message.to_string())
}

fn initialize(req: &Request) -> Result<(Server, lsp::InitializeResult), lsp_server::ResponseError> {
    let params: lsp::InitializeParams = serde_json::from_value(req.params.clone()).map_err(invalid_params)?;
    let options: Options = match params.initialization_options {
        Some(o) if !o.is_null() => serde_json::from_value(o).map_err(invalid_params)?,
        _ => Options::default(),
    };
    let mut workspace: Vec<PathBuf> = params
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|f| f.uri.to_file_path().ok())
        .map(|p| DiskFs.resolve(&p))
        .collect();
    #[allow(deprecated)] // Older clients send only rootUri.
    if workspace.is_empty()
        && let Some(root) = params.root_uri.as_ref().and_then(|u| u.to_file_path().ok())
    {
        workspace.push(DiskFs.resolve(&root));
    }
    let server = Server {
        options,
        workspace,
        open: BTreeMap::new(),
        specs: BTreeMap::new(),
        loose: BTreeSet::new(),
        schema: None,
        fresh: BTreeSet::new(),
        shut_down: false,
        outbox: Vec::new(),
    };
    let result = lsp::InitializeResult {
        capabilities: lsp::ServerCapabilities {
            text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::FULL),
                save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            })),
            hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
            definition_provider: Some(lsp::OneOf::Left(true)),
            references_provider: Some(lsp::OneOf::Left(true)),
            completion_provider: Some(lsp::CompletionOptions {
                trigger_characters: Some(vec!["\"".into(), " ".into()]),
                ..Default::default()
            }),
            document_formatting_provider: Some(lsp::OneOf::Left(true)),
            ..Default::default()
        },
        server_info: Some(lsp::ServerInfo { name: "strata".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }),
    };
    Ok((server, result))
}

fn invalid_params(e: serde_json::Error) -> lsp_server::ResponseError {
    lsp_server::ResponseError { code: ErrorCode::InvalidParams as i32, message: e.to_string(), data: None }
}

fn params<P: DeserializeOwned>(v: serde_json::Value) -> Result<P, lsp_server::ResponseError> {
    serde_json::from_value(v).map_err(invalid_params)
}

/// A document URI as the path the loader knows the file by; `None` for a URI that is not a file.
fn path_of(uri: &Url) -> Option<PathBuf> {
    uri.to_file_path().ok().map(|p| DiskFs.resolve(&p))
}

impl Server {
    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        let result = match req.method.as_str() {
            lsp::request::Shutdown::METHOD => {
                self.shut_down = true;
                Ok(serde_json::Value::Null)
            }
            lsp::request::HoverRequest::METHOD => params(req.params).map(|p| to_json(self.hover(p))),
            lsp::request::GotoDefinition::METHOD => params(req.params).map(|p| to_json(self.definition(p))),
            lsp::request::References::METHOD => params(req.params).map(|p| to_json(self.references(p))),
            lsp::request::Completion::METHOD => params(req.params).map(|p| to_json(self.completion(p))),
            lsp::request::Formatting::METHOD => params(req.params).map(|p| to_json(self.formatting(p))),
            m => Err(lsp_server::ResponseError {
                code: ErrorCode::MethodNotFound as i32,
                message: format!("strata lsp does not handle `{m}`"),
                data: None,
            }),
        };
        Response { id, response_result: result }
    }

    fn notify(&mut self, n: Notification) {
        use lsp::notification as note;
        let changed = match n.method.as_str() {
            note::DidOpenTextDocument::METHOD => params::<lsp::DidOpenTextDocumentParams>(n.params)
                .ok()
                .and_then(|p| self.set_text(&p.text_document.uri, Some(p.text_document.text))),
            note::DidChangeTextDocument::METHOD => {
                params::<lsp::DidChangeTextDocumentParams>(n.params).ok().and_then(|mut p| {
                    // Full sync: the last change holds the whole text.
                    let text = p.content_changes.pop()?.text;
                    self.set_text(&p.text_document.uri, Some(text))
                })
            }
            note::DidSaveTextDocument::METHOD => {
                params::<lsp::DidSaveTextDocumentParams>(n.params).ok().and_then(|p| {
                    let path = path_of(&p.text_document.uri)?;
                    for spec in self.specs.values_mut() {
                        spec.session.changed_on_disk(&path);
                    }
                    Some(path)
                })
            }
            note::DidCloseTextDocument::METHOD => params::<lsp::DidCloseTextDocumentParams>(n.params)
                .ok()
                .and_then(|p| self.set_text(&p.text_document.uri, None)),
            _ => None,
        };
        if let Some(path) = changed {
            self.recheck(&path);
        }
    }

    /// Records an editor buffer (or its end) in every spec; returns the file's path.
    fn set_text(&mut self, uri: &Url, text: Option<String>) -> Option<PathBuf> {
        let path = path_of(uri)?;
        match &text {
            Some(t) => {
                self.open.insert(path.clone(), (uri.clone(), t.clone()));
            }
            None => {
                self.open.remove(&path);
            }
        }
        for spec in self.specs.values_mut() {
            spec.session.set_text(&path, text.clone());
        }
        Some(path)
    }

    /// The spec roots that could own `path`: the configured one, else every `platform.kdl` in the file's
    /// folder and the folders above it, nearest first, up to the workspace folder that holds the file.
    fn candidates(&self, path: &Path) -> Vec<PathBuf> {
        if let Some(spec) = &self.options.spec {
            let base = self.workspace.first().cloned().unwrap_or_default();
            return vec![DiskFs.resolve(&base.join(spec))];
        }
        let top = self.workspace.iter().filter(|w| path.starts_with(w)).max_by_key(|w| w.components().count());
        let mut out = Vec::new();
        for dir in path.ancestors().skip(1) {
            let root = dir.join(ROOT_FILE);
            if root.is_file() || self.open.contains_key(&root) {
                out.push(root);
            }
            if top.is_some_and(|t| dir == t) {
                break;
            }
        }
        out
    }

    /// The spec that includes `path`, checked; opening one on first use.
    fn owner(&mut self, path: &Path) -> Option<PathBuf> {
        if let Some(root) = self.specs.iter().find(|(_, s)| s.includes(path)).map(|(r, _)| r.clone()) {
            return Some(root);
        }
        for root in self.candidates(path) {
            if !self.specs.contains_key(&root) {
                let mut session = Session::new(&root);
                for (p, (_, text)) in &self.open {
                    session.set_text(p, Some(text.clone()));
                }
                self.specs.insert(root.clone(), Spec::new(session));
                self.fresh.insert(root.clone());
            }
            if self.specs.get(&root).is_some_and(|s| s.includes(path)) {
                return Some(root);
            }
        }
        None
    }

    /// Checks again after `path` changed and sends every file's diagnostics that changed.
    fn recheck(&mut self, path: &Path) {
        // Opens (and checks) the spec the file belongs to when none is open yet. A spec a hover or a
        // completion opened earlier was checked before this change, so it is not fresh now.
        self.fresh.clear();
        self.owner(path);
        let fresh = std::mem::take(&mut self.fresh);
        let roots: Vec<PathBuf> = self.specs.keys().cloned().collect();
        for root in roots {
            let Some(spec) = self.specs.get_mut(&root) else { continue };
            // A spec opened for this change was just checked; every other one reads the change now.
            if !fresh.contains(&root) {
                spec.check();
            }
            let now = diagnostics::publish(spec.session.last(), &root, self.options.diagnostics_docs.as_ref());
            let stale: Vec<PathBuf> = spec.published.iter().filter(|p| !now.contains_key(*p)).cloned().collect();
            spec.published = now.keys().cloned().collect();
            for p in stale {
                self.outbox.extend(publish(&self.open, &p, Vec::new()));
            }
            for (p, ds) in now {
                self.outbox.extend(publish(&self.open, &p, ds));
            }
        }
        // A new file a glob only matched once its spec was checked again is no longer loose.
        if !self.specs.values().any(|s| s.includes(path)) {
            self.loose_diagnostics(path);
        } else if self.loose.remove(path) {
            self.outbox.extend(publish(&self.open, path, Vec::new()));
        }
    }

    /// A file no spec includes still gets its syntax errors (it may be a spec being written).
    fn loose_diagnostics(&mut self, path: &Path) {
        let Some((_, text)) = self.open.get(path) else {
            if self.loose.remove(path) {
                self.outbox.extend(publish(&self.open, path, Vec::new()));
            }
            return;
        };
        let fs = MemFs::new().with(path, text.clone());
        let mut diags = Diagnostics::new();
        let loaded = crate::lang::load::load(&fs, path, &mut diags);
        let ds: Vec<lsp::Diagnostic> = diags
            .sorted()
            .into_iter()
            .filter(|d| d.code.starts_with(PARSE_CODES))
            .map(|d| diagnostics::convert(d, &loaded.sources, path, None).1)
            .collect();
        self.loose.insert(path.to_path_buf());
        self.outbox.extend(publish(&self.open, path, ds));
    }

    /// The text of `path` as the editor has it, else as on disk.
    fn text(&self, path: &Path) -> Option<String> {
        match self.open.get(path) {
            Some((_, t)) => Some(t.clone()),
            None => std::fs::read_to_string(path).ok(),
        }
    }

    /// The spec, compilation, file id and byte offset at a document position.
    fn locate(&mut self, pos: &lsp::TextDocumentPositionParams) -> Option<(PathBuf, FileId, u32)> {
        let path = path_of(&pos.text_document.uri)?;
        let root = self.owner(&path)?;
        let (c, id) = self.specs.get(&root)?.file(&path)?;
        let offset = LineIndex::new(&c.sources.get(id).text).offset(pos.position);
        Some((root, id, offset as u32))
    }

    fn hover(&mut self, p: lsp::HoverParams) -> Option<lsp::Hover> {
        let (root, id, offset) = self.locate(&p.text_document_position_params)?;
        let spec = self.specs.get(&root)?;
        let c = spec.session.last().first()?;
        let text = hover::hover(c, &spec.index, id, offset)?;
        Some(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value: text }),
            range: None,
        })
    }

    fn definition(&mut self, p: lsp::GotoDefinitionParams) -> Option<lsp::GotoDefinitionResponse> {
        let pos = &p.text_document_position_params;
        let path = path_of(&pos.text_document.uri)?;
        if let Some(text) = self.text(&path) {
            let offset = LineIndex::new(&text).offset(pos.position);
            if let Some(files) = navigate::includes_at(&text, &path, offset) {
                let locations = files
                    .iter()
                    .filter_map(|f| Url::from_file_path(f).ok())
                    .map(|uri| lsp::Location { uri, range: lsp::Range::default() })
                    .collect();
                return Some(lsp::GotoDefinitionResponse::Array(locations));
            }
        }
        let (root, id, offset) = self.locate(pos)?;
        let spec = self.specs.get(&root)?;
        let c = spec.session.last().first()?;
        let symbol = spec.index.at(id, offset)?;
        Some(lsp::GotoDefinitionResponse::Array(locations(c, spec.index.definitions(symbol))))
    }

    fn references(&mut self, p: lsp::ReferenceParams) -> Option<Vec<lsp::Location>> {
        let (root, id, offset) = self.locate(&p.text_document_position)?;
        let spec = self.specs.get(&root)?;
        let c = spec.session.last().first()?;
        let symbol = spec.index.at(id, offset)?;
        Some(locations(c, spec.index.references(symbol, p.context.include_declaration)))
    }

    fn completion(&mut self, p: lsp::CompletionParams) -> Option<lsp::CompletionResponse> {
        let pos = &p.text_document_position;
        let path = path_of(&pos.text_document.uri)?;
        let text = self.text(&path)?;
        let offset = LineIndex::new(&text).offset(pos.position);
        let context = complete::context(&text, offset)?;
        if self.schema.is_none() {
            self.schema = Some(Schema::probe());
        }
        let empty = Index::default();
        let root = self.owner(&path);
        let index = root.as_ref().and_then(|r| self.specs.get(r)).map_or(&empty, Spec::names);
        let schema = self.schema.as_ref()?;
        let items = complete::offers(schema, index, &context)
            .into_iter()
            .map(|o| lsp::CompletionItem {
                label: o.label,
                kind: Some(o.kind),
                detail: Some(o.detail.to_string()),
                ..Default::default()
            })
            .collect();
        Some(lsp::CompletionResponse::Array(items))
    }

    fn formatting(&mut self, p: lsp::DocumentFormattingParams) -> Option<Vec<lsp::TextEdit>> {
        let path = path_of(&p.text_document.uri)?;
        let text = self.text(&path)?;
        // A file that does not parse, or whose layout strata could not keep the meaning of, is left alone.
        let formatted = crate::lang::format::format_checked(&text).ok()?;
        if formatted == text {
            return Some(Vec::new());
        }
        let range = lsp::Range::new(lsp::Position::new(0, 0), LineIndex::new(&text).end());
        Some(vec![lsp::TextEdit { range, new_text: formatted }])
    }
}

fn to_json<T: serde::Serialize>(v: T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// Where symbols are written, as editor locations (stdlib names have no file to open, and are left out).
fn locations(c: &crate::Compilation, symbols: Vec<&navigate::Symbol>) -> Vec<lsp::Location> {
    symbols
        .into_iter()
        .filter_map(|s| {
            let (path, range) = diagnostics::place(&c.sources, s.span);
            Some(lsp::Location { uri: Url::from_file_path(path).ok()?, range })
        })
        .collect()
}

/// `textDocument/publishDiagnostics` for one file, under the URI the client opened it by.
/// `None` for a file with no file URI (a relative path a client could not open anyway).
fn publish(open: &BTreeMap<PathBuf, (Url, String)>, path: &Path, diagnostics: Vec<lsp::Diagnostic>) -> Option<Message> {
    let uri = match open.get(path) {
        Some((uri, _)) => uri.clone(),
        None => Url::from_file_path(path).ok()?,
    };
    let params = lsp::PublishDiagnosticsParams { uri, diagnostics, version: None };
    Some(Notification::new(lsp::notification::PublishDiagnostics::METHOD.to_string(), params).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    /// Runs a whole session over in-memory streams and returns how it ended and every answer.
    fn session(frames: &[&str]) -> (Ending, Vec<serde_json::Value>) {
        let input: String =
            frames.iter().map(|f| if f.starts_with("Content-Length") { f.to_string() } else { frame(f) }).collect();
        let mut out = Vec::new();
        let ending = serve(&mut io::Cursor::new(input.into_bytes()), &mut out).expect("in-memory streams do not fail");
        // Read as plain JSON: the answer to a malformed frame has `"id": null`, which is no lsp-server message.
        let mut answers = Vec::new();
        let mut rest = String::from_utf8(out).expect("the server writes UTF-8");
        while let Some((head, body)) = rest.split_once("\r\n\r\n") {
            let len: usize = head.trim_start_matches("Content-Length: ").parse().expect("a Content-Length header");
            answers.push(serde_json::from_str(&body[..len]).expect("a JSON body"));
            rest = body[len..].to_string();
        }
        (ending, answers)
    }

    const INIT: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#;

    #[test]
    fn bad_input_is_answered_with_errors_and_the_server_stays_up() {
        let dir = tempfile::tempdir().expect("tempdir");
        let uri = Url::from_file_path(dir.path().join("nowhere/loose.kdl")).unwrap();
        let open = format!(
            r#"{{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{{"textDocument":{{"uri":"{uri}","languageId":"kdl","version":1,"text":"tenant \"a\" {{"}}}}}}"#
        );
        let hover = format!(
            r#"{{"jsonrpc":"2.0","id":4,"method":"textDocument/hover","params":{{"textDocument":{{"uri":"{uri}"}},"position":{{"line":99,"character":99}}}}}}"#
        );
        let (ending, answers) = session(&[
            r#"{"jsonrpc":"2.0","id":0,"method":"textDocument/hover","params":{}}"#,
            INIT,
            "Content-Length: 3\r\n\r\n{x}",
            r#"{"jsonrpc":"2.0","id":2,"method":"strata/nothing"}"#,
            r#"{"jsonrpc":"2.0","id":3,"method":"textDocument/hover","params":{"wrong":1}}"#,
            r#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///never/opened.kdl","version":2},"contentChanges":[{"text":"x"}]}}"#,
            &open,
            &hover,
            r#"{"jsonrpc":"2.0","method":"exit"}"#,
        ]);
        assert_eq!(ending, Ending::Abrupt, "exit without shutdown");
        let code = |i: usize| answers[i]["error"]["code"].as_i64();
        assert_eq!(code(0), Some(ErrorCode::ServerNotInitialized as i64), "{answers:#?}");
        assert!(answers[1]["result"]["capabilities"].is_object(), "{answers:#?}");
        assert!(answers[2]["id"].is_null() && answers[2]["error"]["code"] == transport::PARSE_ERROR, "{answers:#?}");
        let rest: Vec<&serde_json::Value> = answers[2..].iter().collect();
        let find =
            |id: i64| rest.iter().find(|a| a["id"] == id).unwrap_or_else(|| panic!("no answer {id}: {answers:#?}"));
        assert_eq!(find(2)["error"]["code"], ErrorCode::MethodNotFound as i64);
        assert_eq!(find(3)["error"]["code"], ErrorCode::InvalidParams as i64);
        assert!(find(4)["result"].is_null(), "{answers:#?}");
        let syntax = rest
            .iter()
            .find(|a| a["method"] == "textDocument/publishDiagnostics" && a["params"]["uri"] == uri.as_str());
        let syntax = syntax.unwrap_or_else(|| panic!("the loose file's syntax error: {answers:#?}"));
        assert_eq!(syntax["params"]["diagnostics"][0]["code"], "strata::parse::syntax", "{syntax:#}");
    }

    #[test]
    fn completion_offers_the_names_of_the_last_check_that_parsed_while_the_buffer_does_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join(ROOT_FILE);
        let good = "platform \"p\"\ntenant \"alpha\"\n";
        std::fs::write(&root, good).expect("write the spec");
        let uri = Url::from_file_path(&root).unwrap();
        let dir_uri = Url::from_file_path(dir.path()).unwrap();
        let init = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"initialize","params":{{"capabilities":{{}},"rootUri":"{dir_uri}"}}}}"#
        );
        let doc = serde_json::json!({ "uri": uri, "languageId": "kdl", "version": 1, "text": good });
        let open = serde_json::json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": { "textDocument": doc } });
        // Typing a reference: the unterminated string leaves the whole file unparsed, `alpha` included.
        let typing = format!("{good}job \"j\" tenant=\"");
        let change = serde_json::json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": typing }] } });
        let complete = serde_json::json!({ "jsonrpc": "2.0", "id": 2, "method": "textDocument/completion", "params": {
            "textDocument": { "uri": uri }, "position": { "line": 2, "character": 16 } } });
        let (open, change, complete) = (open.to_string(), change.to_string(), complete.to_string());
        let (_, answers) = session(&[&init, &open, &change, &complete, r#"{"jsonrpc":"2.0","method":"exit"}"#]);
        let unparsed = answers.iter().any(|a| {
            a["method"] == "textDocument/publishDiagnostics"
                && a["params"]["diagnostics"]
                    .as_array()
                    .is_some_and(|ds| ds.iter().any(|d| d["code"] == "strata::parse::syntax"))
        });
        assert!(unparsed, "the typed buffer does not parse: {answers:#?}");
        let items = answers.iter().find(|a| a["id"] == 2).unwrap_or_else(|| panic!("no completion: {answers:#?}"));
        let labels: Vec<&str> =
            items["result"].as_array().into_iter().flatten().filter_map(|i| i["label"].as_str()).collect();
        assert_eq!(labels, ["alpha"], "{items:#}");
    }

    #[test]
    fn shutdown_then_exit_ends_cleanly_and_later_requests_are_refused() {
        let (ending, answers) = session(&[
            INIT,
            r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#,
            r#"{"jsonrpc":"2.0","id":3,"method":"textDocument/hover","params":{}}"#,
            r#"{"jsonrpc":"2.0","method":"exit"}"#,
        ]);
        assert_eq!(ending, Ending::Clean);
        assert!(answers[1]["result"].is_null() && answers[1]["error"].is_null(), "{answers:#?}");
        assert_eq!(answers[2]["error"]["code"], ErrorCode::InvalidRequest as i64, "{answers:#?}");
    }
}
