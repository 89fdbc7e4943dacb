"""Inspect AI eval logs: `.eval` (a zip) and `.json`.

A `.eval` file is a zip: `header.json` (the eval spec: task, model, run id), `_journal/`,
`summaries.json` and one member per sample, `samples/<id>_epoch_<n>.json`. Members are deflated,
or Zstandard-compressed (method 93) in newer writers; Python's zipfile reads the first, the
`zstandard` library the second. A `.json` log is the same EvalLog in one document, with its
samples under `samples`. A sample holds `messages` (system / user / assistant / tool, with
`tool_calls` and `tool_call_id`), `scores` and `metadata`; long strings are replaced by
`attachment://<hash>` references into the sample's `attachments`.

Every member is read with a ceiling on its decompressed size, so a zip bomb costs one error. A
`.json` log is streamed with ijson: the eval spec, then one sample at a time, so memory stays flat
however many samples the log holds.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
from typing import Any, BinaryIO, Iterator

from specgap.inputs.transcripts import chat, jsonstream
from specgap.inputs.transcripts.build import number
from specgap.rollout import Rollout, RolloutError

MAX_MEMBER_BYTES = 256 * 1024 * 1024
ZSTD = 93
_SAMPLE = re.compile(r"^samples/.+\.json$")
_ATTACHMENT = re.compile(r"attachment://([0-9a-fA-F]+)")


def is_log(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("eval"), dict) and ("samples" in obj or "status" in obj)


def _resolve(value: Any, attachments: dict[str, str]) -> Any:
    if isinstance(value, str):
        if "attachment://" not in value:
            return value
        m = _ATTACHMENT.fullmatch(value)
        if m:
            return attachments.get(m.group(1), value)
        return _ATTACHMENT.sub(lambda m: attachments.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [_resolve(v, attachments) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, attachments) for k, v in value.items()}
    return value


def sample_rollout(sample: dict[str, Any], spec: dict[str, Any], source: str, index: int) -> Rollout:
    attachments = sample.get("attachments") if isinstance(sample.get("attachments"), dict) else {}
    messages = _resolve(sample.get("messages") or [], attachments)
    task = str(spec.get("task") or "")
    rid = f"{task}:{sample.get('id')}:{sample.get('epoch', 1)}" if task else f"{source}:{sample.get('id')}"
    record = {"messages": messages, "metadata": sample.get("metadata") or {}}
    r = chat.rollout(record, rid, source, index, fmt="inspect")
    r.task_id = str(sample.get("id")) if sample.get("id") is not None else r.task_id
    r.model = (sample.get("output") or {}).get("model") or spec.get("model") or r.model
    r.run = spec.get("run_id") or r.run
    scores = sample.get("scores")
    if isinstance(scores, dict) and scores:
        r.reward = next((n for n in (number(s) for s in scores.values()) if n is not None), r.reward)
    return r


def looks_like_log(head: bytes) -> bool:
    """Whether a JSON document's first bytes are an EvalLog's: top-level `eval` beside `status` or `samples`."""
    import ijson

    # basic_parse, not parse: ijson's C backend makes every event of a buffer before the first is
    # read, and `parse` gives each one the dotted path to it, so 64 KiB of `[` cost 10 GB
    keys = set()
    depth = 0
    try:
        for event, value in ijson.basic_parse(io.BytesIO(head)):
            if event in ("start_map", "start_array"):
                if depth == 0 and event == "start_array":
                    break  # a top-level array is not a log
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
                if depth == 0:
                    break
            elif event == "map_key" and depth == 1:
                keys.add(value)
    except ijson.JSONError:  # the head ends mid-document
        pass
    return "eval" in keys and bool(keys & {"status", "samples"})


def stream_json(stream: BinaryIO, source: str, spec: Any) -> Iterator[Rollout | RolloutError]:
    """A `.json` EvalLog's samples, one at a time (`spec`: its `eval`, read first)."""
    spec = spec if isinstance(spec, dict) else {}
    index = 0
    try:
        for index, sample in enumerate(jsonstream.items(stream, "samples.item", _samples)):
            if isinstance(sample, dict):
                yield sample_rollout(sample, spec, source, index)
            else:
                yield RolloutError(source, index, "sample is not a JSON object")
    except jsonstream.StreamError as exc:  # truncated or corrupt after the samples read so far
        yield RolloutError(source, None, str(exc))


def _samples(doc: Any) -> list[Any]:
    return doc.get("samples") or [] if isinstance(doc, dict) else []


def read_json(obj: dict[str, Any], source: str) -> Iterator[Rollout | RolloutError]:
    spec = obj.get("eval") or {}
    for i, sample in enumerate(obj.get("samples") or []):
        if isinstance(sample, dict):
            yield sample_rollout(sample, spec, source, i)
        else:
            yield RolloutError(source, i, "sample is not a JSON object")


def _member(zf: zipfile.ZipFile, raw: BinaryIO, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, never more than MAX_MEMBER_BYTES whatever its header claims."""
    if info.compress_type == ZSTD:
        import zstandard

        raw.seek(info.header_offset)
        header = raw.read(30)
        if header[:4] != b"PK\x03\x04":
            raise ValueError("bad local header")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        raw.seek(info.header_offset + 30 + name_len + extra_len)
        reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw.read(info.compress_size)))
        data = reader.read(MAX_MEMBER_BYTES + 1)
    else:
        with zf.open(info) as f:
            data = f.read(MAX_MEMBER_BYTES + 1)
    if len(data) > MAX_MEMBER_BYTES:
        raise ValueError(f"decompresses to more than {MAX_MEMBER_BYTES // (1024 * 1024)} MB (a zip bomb?)")
    return data


def read_eval(stream: BinaryIO, source: str) -> Iterator[Rollout | RolloutError]:
    try:
        zf = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        yield RolloutError(source, None, f"not a readable .eval zip: {exc}")
        return
    with zf:
        spec: dict[str, Any] = {}
        for name in ("header.json", "_journal/start.json"):
            if name in zf.NameToInfo:
                try:
                    spec = json.loads(_member(zf, stream, zf.getinfo(name))).get("eval") or {}
                    break
                except (ValueError, KeyError, OSError, zipfile.BadZipFile, AttributeError) as exc:
                    yield RolloutError(f"{source}!{name}", None, f"unreadable header: {exc}")
        members = [i for i in zf.infolist() if _SAMPLE.match(i.filename)]
        if not members:
            yield RolloutError(source, None, ".eval holds no samples/*.json")
        for index, info in enumerate(members):
            try:
                sample = json.loads(_member(zf, stream, info))
            except Exception as exc:  # zstd, zlib, JSON, CRC: one sample lost, said so
                yield RolloutError(f"{source}!{info.filename}", index, f"unreadable sample: {type(exc).__name__}: {exc}")
                continue
            if not isinstance(sample, dict):
                yield RolloutError(f"{source}!{info.filename}", index, "sample is not a JSON object")
                continue
            yield sample_rollout(sample, spec, source, index)
