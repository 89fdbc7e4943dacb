"""Scan one solution or one rollout in-process: the calls an RL reward function makes per sample.

Everything that can be shared across calls is built once per process (the rule catalog and its
selection, the default config's roles); each call only parses its own text and runs the rules.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Iterable, Sequence

from specgap.model import ChangeSet, Finding, InputError

__all__ = ["Findings", "scan_code", "scan_rollout"]


class Findings(list[Finding]):  # a plain list, so callers index, sort and len() it as usual
    """The findings of one call, with `errors`: what could not be read (never silently dropped)."""

    errors: list[InputError]

    def __init__(self, findings: Iterable[Finding] = (), errors: Iterable[InputError] = ()) -> None:
        super().__init__(findings)
        self.errors = list(errors)


@functools.lru_cache(maxsize=1)
def _setup() -> tuple[Any, tuple[type, ...]]:
    """The default config's roles and the scan rules: loaded once per process."""
    from specgap.config import Config
    from specgap.rules import scan_rules

    return Config().roles(), tuple(scan_rules())


def _run(changeset: ChangeSet) -> Findings:
    from specgap.engine import evaluate

    _, rules = _setup()
    out = evaluate(changeset, rules)
    return Findings(out.findings, changeset.errors)


def scan_code(code: str, *, tests: str | None = None, path: str = "solution.py") -> Findings:
    """Scan one file of agent-written code (every line counts as written by the agent).

    `tests`: the task's test code, if the caller has it; rules use it to tell code that
    special-cases the tests' inputs. `path` decides the file's role: `solution.py` is product
    code, `test_x.py` or `conftest.py` is test or harness code.

        >>> import specgap
        >>> [f.rule_id for f in specgap.scan_code("import sys\\nsys.exit(0)\\n", path="conftest.py")]

    Returns a list of `Finding` (sorted by line); its `.errors` says what could not be read.
    """
    from specgap.inputs.changeset import RawFile, build, context_file

    if not isinstance(code, str):
        raise TypeError(f"scan_code: code must be str, not {type(code).__name__}")
    roles, _ = _setup()
    errors: list[InputError] = []
    cs = build([RawFile(path, None, code)], roles=roles, source_desc=f"code: {path}", errors=errors)
    if tests is not None:
        name = "test_" + path.rsplit("/", 1)[-1].removeprefix("test_")
        cf = context_file(name if name != path else "tests_given.py", tests, cs.errors)
        context = [cf] if cf is not None else []
        cs.context_loader = lambda: context
    return _run(cs)


def scan_rollout(messages_or_text: str | Sequence[Any] | dict[str, Any], *, name: str = "rollout") -> Findings:
    """Scan the code an agent wrote in one rollout.

    Accepts the shapes RL frameworks hand a reward function: a completion string (Markdown with
    code fences, `<file path=...>` blocks, or role headings), a list of chat messages (OpenAI or
    Anthropic style, with tool calls that write files), or a record such as `{"messages": [...]}`.
    Test cases shown in the prompt turns are used to tell special-cased answers.

    Findings' paths are `<name>.md::<file>` for text and `<name>.json::<file>` for messages
    (unnamed code is `solution.py`); `.errors` says what could not be read (for example, a
    rollout whose agent turns hold no code).
    """
    from specgap.inputs.changeset import build
    from specgap.inputs.transcripts import extract

    if isinstance(messages_or_text, str):
        label, data = f"{name}.md", messages_or_text.encode("utf-8", "surrogatepass")
    elif isinstance(messages_or_text, (list, tuple, dict)):
        try:
            label, data = f"{name}.json", json.dumps(messages_or_text, default=str).encode("utf-8", "surrogatepass")
        except (ValueError, RecursionError) as exc:
            return Findings(errors=[InputError(name, f"rollout cannot be read as JSON: {exc}")])
    else:
        raise TypeError(f"scan_rollout: expected str, a list of messages or a dict, not {type(messages_or_text).__name__}")
    ex = extract(label, data, explicit=True)
    if ex is None:
        return Findings(errors=[InputError(name, "not a recognisable rollout")])
    roles, _ = _setup()
    cs = build(ex.files, roles=roles, source_desc=f"rollout: {name}", errors=ex.errors)
    context = ex.context
    cs.context_loader = lambda: context
    return _run(cs)
