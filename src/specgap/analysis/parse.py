"""Parse Python source without ever running it, and without letting bad input crash a scan."""

from __future__ import annotations

import ast
import warnings

MAX_BYTES = 5 * 1024 * 1024  # files larger than this are reported, not parsed


def parse(text: str, path: str = "<unknown>") -> tuple[ast.Module | None, str | None]:
    """Return `(tree, None)` or `(None, reason)`; never raises for any input text."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        return None, f"file is larger than {MAX_BYTES // (1024 * 1024)} MB; not parsed"
    if "\x00" in text:
        return None, "source contains NUL bytes; not parsed"
    try:
        with warnings.catch_warnings():
            # invalid escape sequences etc. are the agent's problem, not a scan error
            warnings.simplefilter("ignore")
            return ast.parse(text, filename=path, type_comments=False), None
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return None, f"syntax error{where}: {exc.msg}"
    except (RecursionError, MemoryError):
        return None, "source is nested too deeply to parse"
    except (ValueError, TypeError) as exc:  # e.g. surrogates that cannot be encoded
        return None, f"cannot parse: {exc}"
