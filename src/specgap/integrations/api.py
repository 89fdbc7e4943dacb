"""Scan one solution or one rollout in-process: the calls an RL reward function makes per sample.

Everything that can be shared across calls is built once per process (the rule catalog and its
selection, the default config's roles); each call only parses its own text and runs the rules.
"""

from __future__ import annotations

import functools
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
def _setup() -> tuple[Any, tuple[type, ...], tuple[type, ...]]:
    """The default config's roles, the scan rules and the transcript rules: loaded once per process."""
    from specgap.config import Config
    from specgap.rules import rollout_rules, scan_rules

    return Config().roles(), tuple(scan_rules()), tuple(rollout_rules())


def _run(changeset: ChangeSet) -> Findings:
    from specgap.engine import evaluate

    _, rules, _ = _setup()
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
    from specgap.inputs.context import Given

    if not isinstance(code, str):
        raise TypeError(f"scan_code: code must be str, not {type(code).__name__}")
    roles, _, _ = _setup()
    errors: list[InputError] = []
    cs = build([RawFile(path, None, code)], roles=roles, source_desc=f"code: {path}", errors=errors)
    if tests is not None:
        name = "test_" + path.rsplit("/", 1)[-1].removeprefix("test_")
        cf = context_file(name if name != path else "tests_given.py", tests, cs.errors)
        cs.context_loader = Given([cf] if cf is not None else [])  # data, not a closure: the unit pickles
    return _run(cs)


def scan_rollout(messages_or_text: str | Sequence[Any] | dict[str, Any], *, name: str = "rollout") -> Findings:
    """Scan one rollout as `specgap transcripts` does: the transcript rules (SG11xx: commands,
    tool outputs, stated intent, false claims) and the scan rules on the files the agent wrote.

    Accepts the shapes RL frameworks hand a reward function: a completion string (Markdown with
    code fences, `<file path=...>` blocks, or role headings), a list of chat messages (OpenAI or
    Anthropic style, with tool calls that write files), or a record such as `{"messages": [...]}`.
    Test cases shown in the prompt turns are used to tell special-cased answers.

    It parses into a `Rollout` as `specgap transcripts` reads a file named `name` (the rollout id
    is `name`, or a record's own `id`, else `name:0`) and calls `specgap.evaluate_rollout`, so the
    findings are the ones `specgap transcripts` reports for it: each cites `rollout_id`, `turn` and
    `call_id`, and its path is the file's path inside the rollout (unnamed code is `solution.py`).
    `.errors` says what could not be read, or that the rollout holds no code.
    """
    from specgap.inputs.transcripts import guarded, markdown
    from specgap.inputs.transcripts.shards import record_rollout
    from specgap.rollout import RolloutError
    from specgap.run.evaluate import evaluate_rollout

    if isinstance(messages_or_text, str):
        rollout = guarded(markdown.rollout, messages_or_text.replace("\r\n", "\n"), name, 0)
    elif isinstance(messages_or_text, (list, tuple, dict)):
        record = list(messages_or_text) if isinstance(messages_or_text, tuple) else messages_or_text
        rollout = guarded(record_rollout, record, name, 0)
    else:
        raise TypeError(f"scan_rollout: expected str, a list of messages or a dict, not {type(messages_or_text).__name__}")
    if isinstance(rollout, RolloutError):
        return Findings(errors=[InputError(name, rollout.message)])
    _, file_rules, rollout_rules = _setup()
    outcome = evaluate_rollout(rollout, rollout_rules, file_rules)
    errors = [InputError(name, e) for e in outcome.errors]
    if not any(f.written for f in rollout.files.values()):
        errors.append(InputError(name, "no code written by the agent in this rollout: only its transcript was checked"))
    return Findings(outcome.findings, errors)
