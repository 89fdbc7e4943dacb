"""The one exception inputs raise: nothing at all could be read (the CLI prints it, exit 2)."""

from __future__ import annotations


class InputFailure(Exception):
    """The input as a whole is unusable: not a git repo, unknown revision, unreadable diff ...

    Its message is one line meant for the person running the scan. Problems with single files
    are not raised; they become `InputError`s in the ChangeSet, and the scan goes on.
    """

    def __init__(self, message: str) -> None:
        message = " ".join(message.split("\n")).strip()  # one line, whatever a library put into it
        super().__init__(message)
        self.message = message
