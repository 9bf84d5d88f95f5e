"""A scripted editor session against `strata lsp`, through a real client (pygls), on a temporary copy of the
bundled spec: what an editor user sees, checked step by step.

Usage: python3 tests/lsp/session.py path/to/strata

Prints one `ok:` line per step and exits 0, or prints what differed and exits 1. Exit 3 means pygls or
lsprotocol is not installed (tests/lsp.rs decides whether that may skip).
"""

import asyncio
import pathlib
import shutil
import sys
import tempfile

try:
    from lsprotocol import types as t
    from pygls.exceptions import JsonRpcMethodNotFound
    from pygls.lsp.client import LanguageClient
except ImportError as e:  # pragma: no cover - reported by tests/lsp.rs
    print(f"missing: {e}")
    sys.exit(3)

REPO = pathlib.Path(__file__).resolve().parents[2]
SPEC_PARTS = ["platform.kdl", "tenants", "kafka", "spark", "airflow", "flink", "jobs", "apps"]
TIMEOUT = 60


class Failed(Exception):
    pass


def expect(cond, what, detail=""):
    if not cond:
        raise Failed(f"{what}\n{detail}")
    print(f"ok: {what}")


def utf16(s):
    return len(s.encode("utf-16-le")) // 2


class Editor:
    def __init__(self, binary, root):
        self.binary = binary
        self.root = root
        self.client = LanguageClient("strata-session", "1")
        self.diagnostics = {}
        self.changed = asyncio.Event()
        self.versions = {}

        @self.client.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params):
            self.diagnostics[params.uri] = params.diagnostics
            self.changed.set()

    def uri(self, rel):
        return (self.root / rel).as_uri()

    async def wait_for(self, rel, pred, what):
        uri = self.uri(rel)
        loop = asyncio.get_running_loop()
        end = loop.time() + TIMEOUT
        while True:
            if uri in self.diagnostics and pred(self.diagnostics[uri]):
                return self.diagnostics[uri]
            left = end - loop.time()
            if left <= 0:
                raise Failed(f"timed out waiting for {what}; last diagnostics: {self.diagnostics.get(uri)}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    def open(self, rel, text):
        self.versions[rel] = 1
        self.client.text_document_did_open(
            t.DidOpenTextDocumentParams(t.TextDocumentItem(self.uri(rel), "kdl", 1, text))
        )

    def change(self, rel, text):
        self.versions[rel] += 1
        self.client.text_document_did_change(
            t.DidChangeTextDocumentParams(
                t.VersionedTextDocumentIdentifier(version=self.versions[rel], uri=self.uri(rel)),
                [t.TextDocumentContentChangeWholeDocument(text)],
            )
        )

    def at(self, rel, line, character):
        return t.TextDocumentIdentifier(self.uri(rel)), t.Position(line, character)

    async def hover(self, rel, text, needle, inside):
        """The hover's text `inside` units into `needle` of `rel` (whose text is `text`), or None."""
        h = await self.client.text_document_hover_async(t.HoverParams(*self.at(rel, *position_of(text, needle, inside))))
        return h and h.contents.value


def position_of(text, needle, inside=1):
    """The LSP position `inside` UTF-16 units into the first `needle` of `text`."""
    i = text.index(needle)
    line = text.count("\n", 0, i)
    start = text.rfind("\n", 0, i) + 1
    return line, utf16(text[start:i]) + inside


async def session(binary, root):
    ed = Editor(binary, root)
    c = ed.client
    await c.start_io(binary, "lsp")
    result = await asyncio.wait_for(
        c.initialize_async(
            t.InitializeParams(
                capabilities=t.ClientCapabilities(),
                root_uri=root.as_uri(),
                workspace_folders=[t.WorkspaceFolder(root.as_uri(), "spec")],
            )
        ),
        TIMEOUT,
    )
    expect(result.capabilities.hover_provider, "initialize: the server offers hover")
    c.initialized(t.InitializedParams())

    # A topic with more replicas than its cluster has brokers; non-ASCII before it on the line, so a
    # column counted in bytes or characters would be wrong.
    rel = "kafka/analytics.kdl"
    base = (root / rel).read_text()
    prefix = 'topic "analytics.lsp-check" kafka="main" tenant="analytics" /* ünï𝄞 */ '
    broken = base + prefix + "replicas=5\n"
    ed.open(rel, broken)
    code = "strata::kafka::replicas"
    ds = await ed.wait_for(rel, lambda ds: any(d.code == code for d in ds), code)
    d = next(d for d in ds if d.code == code)
    line = broken.count("\n") - 1
    expect(
        (d.range.start.line, d.range.start.character) == (line, utf16(prefix)),
        f"didOpen: {code} at line {line + 1}, UTF-16 column {utf16(prefix)}",
        f"got {d.range.start}: {d.message}",
    )
    expect(d.severity == t.DiagnosticSeverity.Error, "the finding is an error")
    related = d.related_information or []
    expect(
        any(r.location.uri == ed.uri("kafka/clusters.kdl") for r in related),
        "related information points at the cluster in kafka/clusters.kdl",
        str(related),
    )

    ed.change(rel, base + prefix + "replicas=3\n")
    await ed.wait_for(rel, lambda ds: not any(d.code == code for d in ds), "the fix to clear the finding")
    expect(True, "didChange: fixing replicas clears the finding")

    # Hover: a tenant (quota fit and cost), a topic preset, a workload.
    h = await ed.hover(rel, base, 'tenant="analytics"', 9)
    expect(h is not None and "at peak" in h and "Monthly cost" in h, "hover on a tenant shows its quota fit and cost", h)
    h = await ed.hover(rel, base, 'preset="events"', 9)
    expect(h is not None and "topic-preset `events`" in h, "hover on a preset shows what it gives", h)
    spark = "spark/analytics.kdl"
    spark_text = (root / spark).read_text()
    ed.open(spark, spark_text)
    h = await ed.hover(spark, spark_text, 'spark-job "', 12)
    expect(h is not None and "| pods |" in h and "driver" in h, "hover on a spark-job shows its pods", h)

    # Definition and references of a tenant.
    doc, pos = ed.at(rel, *position_of(base, 'tenant="analytics"', 9))
    defs = await c.text_document_definition_async(t.DefinitionParams(doc, pos))
    tenant_text = (root / "tenants/analytics.kdl").read_text()
    want_line = position_of(tenant_text, 'tenant "analytics"')[0]
    expect(
        defs and len(defs) == 1 and defs[0].uri == ed.uri("tenants/analytics.kdl") and defs[0].range.start.line == want_line,
        f"definition of tenant=\"analytics\" is tenants/analytics.kdl line {want_line + 1}",
        str(defs),
    )
    refs = await c.text_document_references_async(
        t.ReferenceParams(text_document=doc, position=pos, context=t.ReferenceContext(include_declaration=False))
    )
    files = {r.uri for r in refs or []}
    expect(len(refs or []) >= 5 and ed.uri(rel) in files and ed.uri(spark) in files,
           f"references of the tenant: {len(refs or [])} in {len(files)} files", str(refs))

    # Completion after preset=".
    typing = base + 'topic "analytics.typing" kafka="main" tenant="analytics" preset="'
    ed.change(rel, typing)
    end = t.Position(typing.count("\n"), utf16(typing.split("\n")[-1]))
    items = await c.text_document_completion_async(t.CompletionParams(t.TextDocumentIdentifier(ed.uri(rel)), end))
    labels = {i.label for i in (items.items if hasattr(items, "items") else items or [])}
    expect({"events", "compacted"} <= labels, "completion after preset=\" offers the topic presets", str(labels))
    ed.change(rel, base)

    # Completion after tenant=" in the file that declares the tenant, while that file does not parse: the
    # names come from the last check that parsed.
    trel = "tenants/analytics.kdl"
    ed.open(trel, tenant_text)
    typing = tenant_text + 'job "typing" tenant="'
    ed.change(trel, typing)
    await ed.wait_for(trel, lambda ds: any(d.code == "strata::parse::syntax" for d in ds), "the typed file's syntax error")
    end = t.Position(typing.count("\n"), utf16(typing.split("\n")[-1]))
    items = await c.text_document_completion_async(t.CompletionParams(t.TextDocumentIdentifier(ed.uri(trel)), end))
    labels = {i.label for i in (items.items if hasattr(items, "items") else items or [])}
    expect({"analytics", "payments"} <= labels,
           "completion after tenant=\" in a file that does not parse still offers its tenant", str(labels))
    ed.change(trel, tenant_text)
    await ed.wait_for(trel, lambda ds: not any(d.code == "strata::parse::syntax" for d in ds), "the syntax error to clear")

    # Formatting: a badly indented file gets one edit; one that does not parse gets none.
    messy = "tenant \"fmt-check\" {\n        cost-center \"cc-1\"\n}\n"
    ed.open("tenants/fmt.kdl", messy)
    edits = await c.text_document_formatting_async(
        t.DocumentFormattingParams(t.TextDocumentIdentifier(ed.uri("tenants/fmt.kdl")), t.FormattingOptions(4, True))
    )
    expect(edits and edits[0].new_text == "tenant \"fmt-check\" {\n    cost-center \"cc-1\"\n}\n",
           "formatting re-indents the file", str(edits))
    ed.change("tenants/fmt.kdl", "tenant \"fmt-check\" {\n")
    edits = await c.text_document_formatting_async(
        t.DocumentFormattingParams(t.TextDocumentIdentifier(ed.uri("tenants/fmt.kdl")), t.FormattingOptions(4, True))
    )
    expect(not edits, "formatting leaves a file that does not parse alone", str(edits))

    # An unknown method is an error, and the server stays up.
    try:
        await c.protocol.send_request_async("strata/no-such-method", {})
        expect(False, "an unknown method is refused")
    except JsonRpcMethodNotFound:
        expect(True, "an unknown method is refused with MethodNotFound")
    h = await ed.hover(rel, base, 'preset="events"', 9)
    expect(h is not None, "the server still answers after the refusal")

    await c.shutdown_async(None)
    c.exit(None)
    await asyncio.wait_for(c._server.wait(), TIMEOUT)
    expect(c._server.returncode == 0, "shutdown then exit: the server exits 0", str(c._server.returncode))
    await c.stop()


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    binary = str(pathlib.Path(sys.argv[1]).resolve())
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp).resolve()
        for part in SPEC_PARTS:
            src = REPO / part
            (shutil.copytree if src.is_dir() else shutil.copy)(src, root / part)
        try:
            asyncio.run(asyncio.wait_for(session(binary, root), TIMEOUT * 4))
        except Failed as e:
            print(f"FAILED: {e}")
            sys.exit(1)
    print("session passed")


if __name__ == "__main__":
    main()
