"""Transcript readers: one module per format, each turning a file into `Rollout`s.

`read(path)` recognises the format by content (zip magic, Parquet magic, the shape of the first
JSON line or document, else Markdown/plain text); `fmt` forces one. Shards are streamed: a JSONL
line, a Parquet slice, an Inspect `.json` sample or an element of a JSON list of records at a time. Whatever cannot be read becomes a `RolloutError` for that
rollout (or that file), and reading goes on.

`code.extract` is what `scan --files` uses to pull the agent's files out of a transcript.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator

from specgap.inputs.transcripts import chat, claude_code, codex, inspect_log, jsonstream, markdown, openhands, shards
from specgap.inputs.transcripts.code import Extracted, extract  # noqa: F401  (scan --files and the per-sample API)
from specgap.inputs.transcripts.shards import record_rollout
from specgap.rollout import Rollout, RolloutError

MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
FORMATS = ("auto", "chat", "anthropic", "claude-code", "codex", "inspect", "swe-agent", "mini-swe-agent",
           "openhands", "markdown", "jsonl", "parquet")
SUFFIXES = (".json", ".jsonl", ".eval", ".traj", ".md", ".markdown", ".txt", ".parquet", ".log")


def detect(head: bytes) -> str:
    """The format of a file from its first bytes."""
    if head.startswith(b"PK\x03\x04"):
        return "inspect"
    if head.startswith(b"PAR1"):
        return "parquet"
    if b"\x00" in head[:8192]:
        return "binary"
    body = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if body[:1] in (b"{", b"["):
        first, _, rest = body.partition(b"\n")
        try:
            obj = json.loads(first)
        except (ValueError, RecursionError):
            return "json"  # a document over many lines (or broken JSON: the document reader says so)
        if claude_code.is_line(obj) or (isinstance(obj, dict) and obj.get("type") == "file-history-snapshot"):
            return "claude-code"
        if codex.is_line(obj) or (isinstance(obj, dict) and "instructions" in obj and "id" in obj and rest.strip()):
            return "codex"
        return "jsonl" if rest.strip() else "json"
    return "markdown"


def read(path: str | Path, fmt: str = "auto") -> Iterator[Rollout | RolloutError]:
    """Every rollout in the file at `path`, or an error for what could not be read."""
    source = str(path)
    try:
        with open(path, "rb") as stream:
            head = stream.read(65536)
            stream.seek(0)
            kind = detect(head) if fmt == "auto" else fmt
            if kind == "binary":
                yield RolloutError(source, None, "binary file, not a transcript")
                return
            yield from _READERS.get(kind, _document)(stream, source)
    except OSError as exc:
        yield RolloutError(source, None, f"cannot read: {exc.strerror or exc}")


def _loads(data: bytes) -> Any:
    return json.loads(data.decode("utf-8", "replace").lstrip("\ufeff"))


def _session(parse: Callable[[Any, str], Rollout], accepts: Callable[[Any], bool]) -> Callable[[BinaryIO, str], Iterator[Rollout | RolloutError]]:
    """A reader for a format whose whole file is one session, one event per line."""
    def reader(stream: BinaryIO, source: str) -> Iterator[Rollout | RolloutError]:
        events: list[Any] = []
        for n, line in shards.jsonl_lines(stream, source):
            if isinstance(line, RolloutError):
                yield line
                continue
            try:
                events.append(_loads(line))
            except (ValueError, RecursionError) as exc:
                yield RolloutError(source, n, f"line {n} is not valid JSON ({exc}); the session is read without it")
        events = [e for e in events if isinstance(e, dict)]
        if not any(accepts(e) for e in events):
            yield RolloutError(source, None, "no event of this format in the file")
            return
        yield parse(events, source)
    return reader


def _jsonl(stream: BinaryIO, source: str) -> Iterator[Rollout | RolloutError]:
    for n, line in shards.jsonl_lines(stream, source):
        if isinstance(line, RolloutError):
            yield line
            continue
        try:
            record = _loads(line)
        except (ValueError, RecursionError) as exc:
            yield RolloutError(source, n, f"line {n} is not valid JSON: {exc}")
            continue
        yield guarded(record_rollout, record, source, n)


def _document(stream: BinaryIO, source: str) -> Iterator[Rollout | RolloutError]:
    # an Inspect log or a list of records may be gigabytes: streamed an item at a time, never whole
    head = stream.read(65536)
    stream.seek(0)
    if inspect_log.looks_like_log(head):
        spec = jsonstream.first(stream, "eval", 1)
        if spec is not None:  # else ijson cannot read it (NaN, a BOM): read whole below
            yield from inspect_log.stream_json(stream, source, spec[0] if spec else {})
            return
    elif head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"[":
        peek = jsonstream.first(stream, "item", 5)
        if peek and chat.messages_of(peek) is None and openhands.events_of(peek) is None:
            yield from _record_list(stream, source)
            return
    data = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        yield RolloutError(source, None, f"JSON document larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB; "
                                         "split it into JSONL to read it")
        return
    try:
        obj = _loads(data)
    except (ValueError, RecursionError) as exc:
        yield RolloutError(source, None, f"invalid JSON: {exc}")
        return
    if inspect_log.is_log(obj):
        yield from inspect_log.read_json(obj, source)
        return
    if isinstance(obj, list) and chat.messages_of(obj) is None and openhands.events_of(obj) is None:
        for i, record in enumerate(obj):  # a list of records, one rollout each
            yield guarded(record_rollout, record, source, i)
        return
    yield guarded(record_rollout, obj, source, 0)


def _record_list(stream: BinaryIO, source: str) -> Iterator[Rollout | RolloutError]:
    try:
        for i, record in enumerate(jsonstream.items(stream, "item", lambda doc: doc if isinstance(doc, list) else [])):
            yield guarded(record_rollout, record, source, i)
    except jsonstream.StreamError as exc:
        yield RolloutError(source, None, str(exc))


def guarded(make: Callable[[Any, str, int], Rollout | RolloutError], record: Any, source: str,
            index: int) -> Rollout | RolloutError:
    """`make(record, source, index)`; a record that breaks a reader is that record's error, not the batch's end."""
    try:
        return make(record, source, index)
    except RecursionError:
        return RolloutError(source, index, "nested too deeply to read")
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        return RolloutError(source, index, f"malformed rollout: {type(exc).__name__}: {exc}")


def _markdown(stream: BinaryIO, source: str) -> Iterator[Rollout | RolloutError]:
    data = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        yield RolloutError(source, None, "text larger than 256 MB; not read")
        return
    yield guarded(markdown.rollout, data.decode("utf-8", "replace").replace("\r\n", "\n"), source, 0)


def _parquet(stream: BinaryIO, source: str) -> Iterator[Rollout | RolloutError]:
    yield from shards.read_parquet(source, source)


def _inspect(stream: BinaryIO, source: str) -> Iterator[Rollout | RolloutError]:
    is_zip = stream.read(4) == b"PK\x03\x04"
    stream.seek(0)
    return inspect_log.read_eval(stream, source) if is_zip else _document(stream, source)


def _records(stream: BinaryIO, source: str) -> Iterator[Rollout | RolloutError]:
    """A forced record format (chat, SWE-agent ...): one JSON document, or JSONL of them."""
    lines = detect(stream.read(65536)) == "jsonl"
    stream.seek(0)
    return _jsonl(stream, source) if lines else _document(stream, source)


_READERS: dict[str, Callable[[BinaryIO, str], Iterator[Rollout | RolloutError]]] = {
    "inspect": _inspect,
    "parquet": _parquet,
    "claude-code": _session(claude_code.rollout, claude_code.is_line),
    "codex": _session(codex.rollout, codex.is_line),
    "jsonl": _jsonl,
    "markdown": _markdown,
    "json": _document,
    **{name: _records for name in ("chat", "anthropic", "swe-agent", "mini-swe-agent", "openhands")},
}
