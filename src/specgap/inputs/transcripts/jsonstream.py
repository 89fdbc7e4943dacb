"""The items of a big JSON document, streamed with ijson so memory stays flat in its size.

ijson reads strict JSON. Python's `json` also writes NaN and Infinity (a reward that was NaN), and
a file may start with a byte-order mark: where ijson stops on such a document, the rest is read
the way `json.loads` reads it, whole (up to `MAX_BYTES`), and the items already yielded are not
yielded again. Only a document neither can read ends in an error.

Items are built from ijson's `basic_parse` events with a depth limit, not with `ijson.items`:
that one tracks the dotted prefix of every event, whose length grows with the nesting, so a
document nested 100,000 deep costs quadratic memory instead of one clear error.
"""

from __future__ import annotations

import json
from typing import Any, BinaryIO, Callable, Iterator

MAX_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 1000  # deeper than any real log; json.loads gives up near the same depth


class StreamError(Exception):
    """The document is not JSON (truncated, corrupt, nested too deeply) past the items already read."""


class _TooDeep(Exception):
    pass


def first(stream: BinaryIO, prefix: str, n: int) -> list[Any] | None:
    """Up to `n` items under `prefix`, reading no further than they end (fewer when the document
    stops being JSON after them); None when ijson reads none. The stream is rewound."""
    import ijson

    out: list[Any] = []
    try:
        for item in _items(stream, prefix):
            out.append(item)
            if len(out) >= n:
                break
    except (ijson.JSONError, _TooDeep):
        pass
    stream.seek(0)
    return out or None


def items(stream: BinaryIO, prefix: str, whole: Callable[[Any], list[Any]]) -> Iterator[Any]:
    """Every item under `prefix` (`item`: a top-level array; `samples.item`: a member's array).
    `whole(document)` finds the same list in the document `json.loads` reads, for the fallback."""
    import ijson

    done = 0
    try:
        for item in _items(stream, prefix):
            yield item
            done += 1
        return
    except ijson.JSONError as exc:
        reason = str(exc)
    except _TooDeep as exc:
        raise StreamError(f"after {done} item(s): {exc}") from exc
    stream.seek(0)
    data = stream.read(MAX_BYTES + 1)
    try:
        if len(data) > MAX_BYTES:
            raise ValueError(f"larger than {MAX_BYTES // (1024 * 1024)} MB")
        found = whole(json.loads(data.decode("utf-8", "replace").lstrip("\ufeff")))
    except (ValueError, RecursionError) as exc:
        raise StreamError(f"invalid JSON after {done} item(s): {reason or exc}") from exc
    yield from found[done:] if isinstance(found, list) else ()


def _items(stream: BinaryIO, prefix: str) -> Iterator[Any]:
    """The values at `prefix` (ijson's syntax: `item` for array elements, member names between dots)."""
    import ijson

    target = prefix.split(".")
    path: list[str] = []       # the prefix of the current position: a member name or "item" per container
    builder: Any = None
    depth = 0                  # inside the value being built
    for event, value in ijson.basic_parse(stream, use_float=True):
        if builder is not None:
            builder.event(event, value)
            if event in ("start_map", "start_array"):
                depth += 1
                if depth + len(path) > MAX_DEPTH:
                    raise _TooDeep(f"nested deeper than {MAX_DEPTH} levels")
            elif event in ("end_map", "end_array"):
                depth -= 1
                if depth == 0:
                    yield builder.value
                    builder = None
            continue
        if event == "map_key":
            path[-1] = value
        elif event in ("end_map", "end_array"):
            path.pop()
        elif path == target:
            if event in ("start_map", "start_array"):
                builder, depth = ijson.ObjectBuilder(), 1
                builder.event(event, value)
            else:
                yield value
        elif event in ("start_map", "start_array"):
            if len(path) >= MAX_DEPTH:
                raise _TooDeep(f"nested deeper than {MAX_DEPTH} levels")
            path.append("item" if event == "start_array" else "")

