"""The unit of work for transcripts: one agent session or RL rollout, whatever format it came in.

Readers (inputs/transcripts/) build a `Rollout`; transcript rules read it; nothing here imports
another specgap module except `model`, so a rollout pickles cheaply to any worker.

A rollout keeps what the agent saw and did, in order: `turns` (role, text, reasoning, ids) and,
inside them, `actions` (tool calls with their arguments and output, the shell commands they ran,
the files they read and wrote). The files are replayed onto a virtual tree, so rules see the
final state of every file and what it looked like when the agent first read it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Iterator

# Roles, normalised: what the agent said, what it was told, and what its tools returned.
AGENT, USER, SYSTEM, TOOL = "assistant", "user", "system", "tool"


class ActionKind(str, enum.Enum):
    SHELL = "shell"      # a command line run in a shell (bash tool, Codex shell, mini-swe-agent block)
    WRITE = "write"      # a whole file written
    EDIT = "edit"        # part of a file replaced (old text -> new text) or a patch applied
    READ = "read"        # a file viewed
    OTHER = "other"      # any other tool (search, browser, submit ...)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Command:
    """One simple command of a shell line: `rm -f tests/test_x.py` in `cd src && rm -f tests/test_x.py`."""

    argv: tuple[str, ...]
    text: str                      # the whole line it came from, for quoting
    redirects: tuple[str, ...] = ()  # targets of `>`/`>>` on this command

    @property
    def program(self) -> str:
        return self.argv[0].rsplit("/", 1)[-1] if self.argv else ""


@dataclass
class Action:
    """One tool call (or a command the agent ran from its text) and what came back."""

    kind: ActionKind
    name: str                              # the tool's name as the format spells it ("Bash", "shell" ...)
    call_id: str | None = None
    arguments: Any = None                  # as sent, decoded from JSON when it was a string
    output: str | None = None              # what the tool returned (None: not in the transcript)
    exit_code: int | None = None
    command: str | None = None             # for SHELL: the command line
    commands: tuple[Command, ...] = ()     # for SHELL: its simple commands
    path: str | None = None                # for WRITE / EDIT / READ
    old: str | None = None                 # for EDIT: text replaced (None: whole-file patch)
    new: str | None = None                 # for WRITE: the content; for EDIT: the replacement


@dataclass
class Turn:
    """One message: who spoke, what they said and thought, and the tool calls it made."""

    index: int
    role: str                              # AGENT, USER, SYSTEM or TOOL
    text: str = ""
    reasoning: str = ""                    # thinking / reasoning blocks, kept apart from the answer
    message_id: str | None = None
    actions: list[Action] = field(default_factory=list)


@dataclass(frozen=True)
class Edit:
    """One write or edit of a file: where it happened, and the text it replaced (None: all of it)."""

    turn: int
    call_id: str | None
    old: str | None
    new: str
    after: str | None = None   # the whole file after this edit, when the transcript lets us know it


@dataclass
class RolloutFile:
    """A file as the rollout left it: the container is the rollout, the path is inside it.

    `first_read` is the file's text the first time the agent saw it (None: never read, or the
    agent created it); `final` is its text after every write and edit (None: deleted).
    `known` is False when an edit changed a file whose whole text the transcript never showed:
    `final` then holds only the edited pieces.
    """

    rollout_id: str
    path: str
    first_read: str | None = None
    final: str | None = None
    written: bool = False
    known: bool = True
    edits: list[Edit] = field(default_factory=list)


@dataclass
class Rollout:
    id: str
    source: str                            # the file it was read from
    index: int = 0                         # its position in that file (line, sample, row)
    format: str = ""
    model: str | None = None
    run: str | None = None
    step: int | None = None
    task_id: str | None = None
    reward: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    turns: list[Turn] = field(default_factory=list)
    files: dict[str, RolloutFile] = field(default_factory=dict)
    shown_tests: list[tuple[int, str]] = field(default_factory=list)  # (turn, test text) the agent saw
    notes: list[str] = field(default_factory=list)  # what the reader could not replay (reported with the outcome)

    def actions(self) -> Iterator[tuple[Turn, Action]]:
        for turn in self.turns:
            for action in turn.actions:
                yield turn, action

    def agent_turns(self) -> Iterator[Turn]:
        return (t for t in self.turns if t.role == AGENT)

    @property
    def final_message(self) -> Turn | None:
        """The agent's last turn with something to say."""
        for turn in reversed(self.turns):
            if turn.role == AGENT and turn.text.strip():
                return turn
        return None


@dataclass(frozen=True)
class RolloutError:
    """A rollout (or a whole file) that could not be read: counted and reported, never dropped."""

    source: str
    index: int | None
    message: str

    @property
    def id(self) -> str:
        return self.source if self.index is None else f"{self.source}:{self.index}"
