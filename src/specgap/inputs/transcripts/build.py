"""From a reader's messages and tool calls to a `Rollout`: one place decides what a call did.

Readers only translate their format: `turn(...)` for each message, `call(...)` for each tool
call, `output(...)` for each result. `finish()` then replays the writes and edits onto a
virtual tree, records what the agent first read, and gathers the tests it was shown.
"""

from __future__ import annotations

import json
import posixpath
import re
from typing import Any

from specgap.inputs.prompt_tests import prompt_tests
from specgap.inputs.transcripts import sed, shell
from specgap.inputs.transcripts.agent_code import THINKING, PATH_KEYS, shell_writes, code_in
from specgap.inputs.changeset import RawFile
from specgap.rollout import AGENT, SYSTEM, TOOL, USER, Action, ActionKind, Edit, Rollout, RolloutFile, Turn

_ROLES = {"assistant": AGENT, "model": AGENT, "gpt": AGENT, "ai": AGENT, "agent": AGENT, "bot": AGENT,
          "user": USER, "human": USER, "system": SYSTEM, "developer": SYSTEM, "tool": TOOL,
          "function": TOOL, "ipython": TOOL, "observation": TOOL, "environment": TOOL}
_SHELL_TOOLS = re.compile(r"(?i)^(bash|shell|sh|terminal|run|exec|execute|execute_bash|exec_command|run_command|"
                          r"local_shell|container\.exec|cmd|command|run_shell|shell_command|bash_tool|computer_bash)$")
_READ_TOOLS = re.compile(r"(?i)^(read|read_file|view|view_file|open|open_file|cat|readfile|get_file)$")
_EDITOR_COMMANDS = frozenset({"view", "create", "str_replace", "insert", "undo_edit", "write"})
_PATCH_FILE = re.compile(r"^\*\*\* (Add|Update|Delete) File: (.+)$")
# `     1\tcode` (cat -n), `     1→code` (Claude Code's Read): the line numbers are not the file
_NUMBERED = re.compile(r"^ *\d+(?:\t|→)", re.M)
_RUNNER_MARKS = re.compile(r"^(?:>|E)\s+", re.M)  # pytest's `>       assert ...` and `E       assert ...`
_VIEW_HEADER = re.compile(r"^Here's the result of running `cat -n` on [^\n]*:\n")
_TEST_PATH = re.compile(r"(?:^|/)(?:tests?/|test_[^/]*\.py$|[^/]*_test\.py$|conftest\.py$)")


def role_of(value: Any) -> str:
    return _ROLES.get(str(value or "").strip().lower(), TOOL if value else USER)


def decode_args(arguments: Any) -> Any:
    """Tool arguments as sent: JSON strings decoded, anything else as is."""
    if isinstance(arguments, str):
        text = arguments.strip()
        if text.startswith(("{", "[")):
            try:
                return json.loads(text)
            except ValueError:
                return arguments
    return arguments


def _unnumbered(text: str) -> str:
    lines = _VIEW_HEADER.sub("", text, count=1).split("\n")
    if lines and sum(bool(_NUMBERED.match(ln)) for ln in lines) >= max(1, len([ln for ln in lines if ln]) * 0.8):
        return "\n".join(_NUMBERED.sub("", ln, count=1) for ln in lines)
    return "\n".join(lines)


def split_thinking(text: str) -> tuple[str, str]:
    """(answer, reasoning): `<think>` sections are the model thinking, not what it said."""
    thoughts = [m.group(0) for m in THINKING.finditer(text)]
    if not thoughts:
        return text, ""
    return THINKING.sub("", text), "\n".join(re.sub(r"^<\w+>|</\w+>$", "", t) for t in thoughts)


class Builder:
    def __init__(self, rollout: Rollout, root: str | None = None) -> None:
        self.rollout = rollout
        self.root = root  # the agent's working directory: paths under it are kept relative
        self._calls: dict[str, Action] = {}

    # -- what readers call ---------------------------------------------------------------

    def turn(self, role: str, text: str = "", *, reasoning: str = "", message_id: str | None = None) -> Turn:
        answer, thought = split_thinking(text) if role == AGENT else (text, "")
        t = Turn(len(self.rollout.turns), role, answer, "\n".join(x for x in (reasoning, thought) if x), message_id)
        self.rollout.turns.append(t)
        return t

    def call(self, turn: Turn, name: str, arguments: Any, call_id: str | None = None) -> list[Action]:
        """Record a tool call; a call may do several things (a MultiEdit, a patch of three files)."""
        args = decode_args(arguments)
        actions = list(_classify(str(name or ""), args))
        for a in actions:
            a.call_id = call_id
            turn.actions.append(a)
        if call_id and actions:
            self._calls[call_id] = actions[0]
        return actions

    def output(self, call_id: str | None, text: Any, exit_code: int | None = None, turn: Turn | None = None) -> None:
        """A tool's result, matched to its call by id (or to the last call without one)."""
        action = self._calls.get(call_id) if call_id else None
        if action is None:
            pending = [a for _, a in self.rollout.actions() if a.output is None]
            action = pending[-1] if pending and not call_id else None
        body = text if isinstance(text, str) else text_of(text)
        if action is not None:
            action.output = body
            if exit_code is not None:
                action.exit_code = exit_code
        if turn is not None and not turn.text:
            turn.text = body

    # -- the virtual tree -----------------------------------------------------------------

    def finish(self) -> Rollout:
        r = self.rollout
        wrote = any(a.kind in (ActionKind.WRITE, ActionKind.EDIT, ActionKind.SHELL) for _, a in r.actions())
        for turn in r.turns:
            if turn.role == AGENT and not wrote:
                _text_files(turn)  # a single-turn rollout: the code is in what it said
            for action in turn.actions:
                self._apply(turn, action)
        tests = prompt_tests([t.text for t in r.turns if t.role in (USER, SYSTEM)])
        if tests:
            first = next((t.index for t in r.turns if t.role in (USER, SYSTEM)), 0)
            r.shown_tests.append((first, tests))
        return r

    def _file(self, path: str) -> RolloutFile:
        path = path.strip()
        if self.root and path.startswith(self.root.rstrip("/") + "/"):
            path = path[len(self.root.rstrip("/")) + 1:]
        while path.startswith("./"):
            path = path[2:]
        f = self.rollout.files.get(path)
        if f is None:
            f = self.rollout.files[path] = RolloutFile(self.rollout.id, path)
        return f

    def _apply(self, turn: Turn, a: Action) -> None:
        if a.kind is ActionKind.READ and a.path and a.output:
            f = self._file(a.path)
            text = _unnumbered(a.output)
            if f.first_read is None and not f.written:
                f.first_read = text
                if f.final is None:
                    f.final = text
            if _TEST_PATH.search(f.path):
                self.rollout.shown_tests.append((turn.index, text))
        elif a.kind is ActionKind.WRITE and a.path is not None:
            f = self._file(a.path)
            f.final, f.written, f.known = a.new or "", True, True
            f.edits.append(Edit(turn.index, a.call_id, None, a.new or "", f.final))
        elif a.kind is ActionKind.EDIT and a.path is not None:
            f = self._file(a.path)
            f.written = True
            if a.new is None:  # deleted by a patch
                f.final = None
            elif a.old is not None and f.known and f.final is not None and a.old in f.final:
                f.final = f.final.replace(a.old, a.new, 1)
            else:
                # the transcript never showed the text this edit changed: from here on only the
                # pieces the agent wrote are known
                f.known = False
                f.final = "\n".join([e.new for e in f.edits if e.new] + [a.new])
            f.edits.append(Edit(turn.index, a.call_id, a.old, a.new or "", f.final if f.known else None))
        elif a.kind is ActionKind.SHELL and a.command:
            for path, body in shell_writes(a.command):
                f = self._file(path)
                f.final, f.written, f.known = body, True, True
                f.edits.append(Edit(turn.index, a.call_id, None, body, body))
            self._sed(turn, a)
            if a.output and "assert" in a.output:  # a failing test's source, as the runner printed it
                shown = prompt_tests([_RUNNER_MARKS.sub("", a.output)])
                if shown:
                    self.rollout.shown_tests.append((turn.index, shown))
            # `cat tests/test_x.py`: what came back is the file, as read
            if a.output and len(a.commands) == 1 and a.commands[0].program == "cat" and len(a.commands[0].argv) == 2:
                self._apply(turn, Action(ActionKind.READ, "cat", path=a.commands[0].argv[1], output=a.output))

    def _sed(self, turn: Turn, a: Action) -> None:
        """Replay `sed -i` edits (the simple forms, see `sed`) onto the virtual tree; note the rest."""
        cwd = ""
        for cmd in a.commands:
            if cmd.program == "cd" and len(cmd.argv) == 2:
                # into a subdirectory: paths are relative to it; an absolute one outside the known root
                # is taken as the working directory, as every other path of the session is
                target = cmd.argv[1]
                absolute = target.startswith("/") and not (self.root and target.startswith(self.root.rstrip("/") + "/"))
                cwd = "" if absolute else posixpath.join(cwd, target)
            if cmd.program not in ("sed", "gsed"):
                continue
            where = f"turn {turn.index}" + (f" (call {a.call_id})" if a.call_id else "")
            try:
                edit = sed.parse(cmd.argv, cwd)
            except sed.NotInPlace:
                continue
            except sed.NotReplayed as exc:
                self.rollout.notes.append(f"sed -i at {where} not replayed onto the virtual tree: {exc}")
                continue
            for path in edit.files:
                f = self._file(path)
                if f.final is None or not f.known:
                    self.rollout.notes.append(f"sed -i at {where} not replayed onto {f.path}: the transcript never "
                                              "showed that file's whole text")
                    continue
                new = edit.apply(f.final)
                if new != f.final:
                    f.edits.append(Edit(turn.index, a.call_id, f.final, new, new))
                    f.final, f.written = new, True


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(text_of(v) for v in value)
    if isinstance(value, dict):
        for key in ("text", "content", "output", "stdout", "result"):
            if key in value:
                return text_of(value[key])
        return json.dumps(value)
    return str(value)


def _text_files(turn: Turn) -> None:
    """Files written in an agent's text: fences, `<file>` blocks, patches (see agent_code)."""
    unnamed = 0
    for name, code in code_in(turn.text, [], []):
        if isinstance(code, RawFile):
            old = code.before.decode() if isinstance(code.before, bytes) else code.before
            new = code.after.decode() if isinstance(code.after, bytes) else code.after
            turn.actions.append(Action(ActionKind.EDIT, "text", path=code.path, old=old, new=new))
            continue
        if not name:
            unnamed += 1
            name = "solution.py" if unnamed == 1 else f"solution_{unnamed}.py"
        turn.actions.append(Action(ActionKind.WRITE, "text", path=name, new=code))


def _path(args: dict[str, Any]) -> str | None:
    p = next((args[k] for k in PATH_KEYS if isinstance(args.get(k), str)), None)
    return p.strip() if p else None


def _classify(name: str, args: Any) -> list[Action]:
    """What a tool call did, from its name and arguments (never from a format's name)."""
    lname = name.lower()
    if isinstance(args, str) and (lname == "apply_patch" or args.lstrip().startswith("*** Begin Patch")):
        return _patch_actions(name, args) or [Action(ActionKind.OTHER, name, arguments=args)]
    if not isinstance(args, dict):
        line = shell.command_line(args) if _SHELL_TOOLS.match(lname) else None
        return [_shell(name, line, args)] if line else [Action(ActionKind.OTHER, name, arguments=args)]
    path = _path(args)
    cmd = args.get("command")
    if path and isinstance(cmd, str) and cmd in _EDITOR_COMMANDS:  # str_replace_based_edit_tool and kin
        if cmd == "view":
            return [Action(ActionKind.READ, name, arguments=args, path=path)]
        if cmd in ("create", "write"):
            return [Action(ActionKind.WRITE, name, arguments=args, path=path,
                           new=str(args.get("file_text", args.get("content", ""))))]
        if cmd == "str_replace":
            return [Action(ActionKind.EDIT, name, arguments=args, path=path, old=str(args.get("old_str", "")),
                           new=str(args.get("new_str", "")))]
        if cmd == "insert":
            return [Action(ActionKind.EDIT, name, arguments=args, path=path, old=None, new=str(args.get("new_str", "")))]
        return [Action(ActionKind.OTHER, name, arguments=args, path=path)]
    if isinstance(args.get("edits"), list) and path:  # MultiEdit
        return [Action(ActionKind.EDIT, name, arguments=args, path=path, old=str(e.get("old_string", "")),
                       new=str(e.get("new_string", ""))) for e in args["edits"] if isinstance(e, dict)] \
            or [Action(ActionKind.OTHER, name, arguments=args)]
    for old_key, new_key in (("old_string", "new_string"), ("old_str", "new_str"), ("old", "new"), ("search", "replace")):
        if path and isinstance(args.get(old_key), str) and isinstance(args.get(new_key), str):
            return [Action(ActionKind.EDIT, name, arguments=args, path=path, old=args[old_key], new=args[new_key])]
    for body_key in ("content", "file_text", "contents", "new_content", "code", "text", "source"):
        if path and isinstance(args.get(body_key), str):
            return [Action(ActionKind.WRITE, name, arguments=args, path=path, new=args[body_key])]
    for key in ("input", "patch"):
        if isinstance(args.get(key), str) and args[key].lstrip().startswith("*** Begin Patch"):
            return _patch_actions(name, args[key])
    line = next((shell.command_line(args.get(k)) for k in ("command", "cmd", "script", "code", "input")
                 if shell.command_line(args.get(k))), None)
    if line and (_SHELL_TOOLS.match(lname) or "command" in args or "cmd" in args):
        if "apply_patch" in line and "*** Begin Patch" in line:
            return _patch_actions(name, line) + [_shell(name, line, args)]
        return [_shell(name, line, args)]
    if path and (_READ_TOOLS.match(lname) or lname.startswith("read")):
        return [Action(ActionKind.READ, name, arguments=args, path=path)]
    return [Action(ActionKind.OTHER, name, arguments=args, path=path)]


def _shell(name: str, line: str, args: Any) -> Action:
    return Action(ActionKind.SHELL, name, arguments=args, command=line, commands=shell.parse(line))


def _patch_actions(name: str, patch: str) -> list[Action]:
    """Codex's `apply_patch` envelope: `*** Update File: p` then hunks of ` `/`-`/`+` lines."""
    actions: list[Action] = []
    current: tuple[str, str] | None = None
    old: list[str] = []
    new: list[str] = []

    def flush() -> None:
        if current is None:
            return
        op, path = current
        if op == "Delete":
            actions.append(Action(ActionKind.EDIT, name, path=path, old=None, new=None, arguments=patch))
        elif op == "Add":
            actions.append(Action(ActionKind.WRITE, name, path=path, new="\n".join(new) + "\n", arguments=patch))
        elif old or new:
            actions.append(Action(ActionKind.EDIT, name, path=path, old="\n".join(old), new="\n".join(new),
                                  arguments=patch))
        old.clear()
        new.clear()

    for line in patch.split("\n"):
        m = _PATCH_FILE.match(line)
        if m:
            flush()
            current = (m.group(1), m.group(2).strip())
            continue
        if current is None:
            continue
        if line.startswith("@@") or line.startswith("*** End"):
            if current[0] == "Update":
                flush()
            continue
        if line.startswith("*** Move to:"):
            continue
        if line.startswith("+"):
            new.append(line[1:])
        elif line.startswith("-"):
            old.append(line[1:])
        elif line.startswith(" ") and current[0] == "Update":
            old.append(line[1:])
            new.append(line[1:])
    flush()
    return actions


_META = {
    "model": ("model", "model_name", "policy", "agent_model"),
    "run": ("run", "run_id", "run_name", "experiment"),
    "step": ("step", "global_step", "training_step", "train_step", "iteration"),
    "task_id": ("task_id", "instance_id", "problem_id", "sample_id", "task"),
    "reward": ("reward", "score", "rewards", "return"),
}


def take_metadata(rollout: Rollout, record: dict[str, Any]) -> None:
    """Model, run, step, task and reward from a record's top level or its `metadata`/`info`."""
    for scope in (record, record.get("metadata"), record.get("info")):
        if not isinstance(scope, dict):
            continue
        for field_name, keys in _META.items():
            if getattr(rollout, field_name) is not None:
                continue
            value = None
            for k in keys:  # (a loop, not `next(...)`: asked 15 times of every rollout)
                value = scope.get(k)
                if value is not None:
                    break
            if field_name == "reward":
                value = number(value)
            elif field_name == "step":
                value = int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
            elif value is not None and not isinstance(value, (str, int)):
                value = None
            if value is not None:
                setattr(rollout, field_name, value if field_name in ("reward", "step") else str(value))


def number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):  # {"value": 1.0} (Inspect scores), {"reward": ...}
        for key in ("value", "reward", "score"):
            if key in value:
                return number(value[key])
        return next((n for n in map(number, value.values()) if n is not None), None)
    if isinstance(value, list) and value:
        return number(value[-1])
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return {"C": 1.0, "I": 0.0, "correct": 1.0, "incorrect": 0.0}.get(value)
    return None
