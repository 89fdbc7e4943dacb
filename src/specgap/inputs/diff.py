"""A unified diff (git-style or plain `diff -u`) as a ChangeSet, with or without its repository.

With the repository, rules see whole files: the after-version is the working tree's, and the
before-version is rebuilt by reverse-applying the hunks. Without it, a modified file is known
only by its hunks: its texts hold those lines at their true line numbers (`partial=True`).

The diff is cut into per-file sections before `unidiff` parses them, so that one broken
section is reported while the others are still scanned.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import replace
from pathlib import Path, PurePosixPath

from unidiff import PatchedFile, PatchSet
from unidiff.errors import UnidiffParseError

from specgap.inputs.changeset import RawFile, changed_file, decode, gc_paused, printable
from specgap.inputs.context import RepoTests, walked
from specgap.inputs.errors import InputFailure
from specgap.inputs.git import worktree_paths
from specgap.inputs.renames import pair_renames
from specgap.inputs.roles import RoleConfig, classify
from specgap.model import ChangedFile, ChangeSet, InputError, Status

DEV_NULL = "/dev/null"
_DIFF_START = re.compile(r"^(?:diff --git |--- \S.*\n\+\+\+ \S.*\n@@ )", re.M)
_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
_GIT_PREFIX = re.compile(r"^[abciow12]/")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def _sections(lines: list[str]) -> list[tuple[int, list[str]]]:
    """(1-based first line, lines) of each file's part of the diff.

    A new section starts at `diff --git`, or at a `--- `/`+++ ` pair (or a `diff ` command line)
    once the current one has a body; hunk bodies are counted so that a removed line that reads
    `-- x` is never taken for a header.
    """
    out: list[tuple[int, list[str]]] = []
    cur: list[str] = []
    start = 1
    has_body = False
    src_rem = tgt_rem = 0
    for i, line in enumerate(lines):
        if src_rem > 0 or tgt_rem > 0:
            c = line[:1]
            if c in (" ", "\n", ""):
                src_rem, tgt_rem = src_rem - 1, tgt_rem - 1
            elif c == "-":
                src_rem -= 1
            elif c == "+":
                tgt_rem -= 1
            if c in (" ", "\n", "", "-", "+", "\\"):
                cur.append(line)
                continue
            src_rem = tgt_rem = 0  # a truncated hunk: unidiff will report it
        if line.startswith("diff --git ") or (has_body and (
            line.startswith("diff ")
            or (line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "))
        )):
            if cur:
                out.append((start, cur))
            cur, start, has_body = [], i + 1, False
        m = _HUNK.match(line)
        if m:
            src_rem = int(m.group(1)) if m.group(1) is not None else 1
            tgt_rem = int(m.group(2)) if m.group(2) is not None else 1
            has_body = True
        elif line.startswith(("+++ ", "Binary files ", "GIT binary patch")):
            has_body = True
        cur.append(line)
    if cur:
        out.append((start, cur))
    return out


def _unquote(name: str) -> str:
    """git's C-style quoted path (`"a/\\303\\244.py"`) as text."""
    if not (len(name) >= 2 and name.startswith('"') and name.endswith('"')):
        return name
    body, out, i = name[1:-1], bytearray(), 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in "01234567" and re.match(r"[0-7]{3}", body[i + 1 : i + 4]):
                out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
                i += 4
                continue
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
        out.extend(ch.encode("utf-8", "surrogateescape"))
        i += 1
    return out.decode("utf-8", "replace")


def _info(pf: PatchedFile, key: str) -> str | None:
    for line in pf.patch_info or ():
        if line.startswith(key + " "):
            return _unquote(line[len(key) + 1 :].rstrip("\n"))
    return None


def _paths(pf: PatchedFile) -> tuple[str, str | None]:
    """(path, old path if renamed), without a/ b/ prefixes."""
    src, tgt = _unquote(pf.source_file or ""), _unquote(pf.target_file or "")
    is_git = any(line.startswith("diff --git ") for line in pf.patch_info or ())
    if is_git:
        renamed_from, renamed_to = _info(pf, "rename from") or _info(pf, "copy from"), _info(pf, "rename to") or _info(pf, "copy to")
        if renamed_from and renamed_to:
            return renamed_to, renamed_from
        if all(p == DEV_NULL or _GIT_PREFIX.match(p) for p in (src, tgt)):
            src, tgt = (p if p == DEV_NULL else p[2:] for p in (src, tgt))
        path = tgt if tgt != DEV_NULL else src
        return path, (src if src not in (DEV_NULL, path) else None)
    if src != DEV_NULL and tgt != DEV_NULL:
        s_parts, t_parts = src.lstrip("/").split("/", 1), tgt.lstrip("/").split("/", 1)
        # `diff -ru old/ new/`: the same file under two top directories, as `patch -p1` sees it
        if len(s_parts) == 2 and len(t_parts) == 2 and s_parts[0] != t_parts[0] and s_parts[1] == t_parts[1]:
            return t_parts[1], None
        return tgt.lstrip("/"), None
    path = tgt if tgt != DEV_NULL else src
    if _GIT_PREFIX.match(path):
        path = path[2:]
    return path.lstrip("/"), None


def _hunk_lines(pf: PatchedFile) -> tuple[dict[int, str], dict[int, str], set[int], list[bool]]:
    """Source lines and target lines by line number, the `+` line numbers, and per-side
    whether the last line lacks a newline."""
    src: dict[int, str] = {}
    tgt: dict[int, str] = {}
    added: set[int] = set()
    no_newline = [False, False]
    for hunk in pf:
        last = None
        for line in hunk:
            value = line.value[:-1] if line.value.endswith("\n") else line.value
            if line.line_type == "\\":  # "\ No newline at end of file" after the line it is about
                if last in ("-", " "):
                    no_newline[0] = True
                if last in ("+", " "):
                    no_newline[1] = True
                continue
            if line.source_line_no is not None and line.line_type in ("-", " "):
                src[line.source_line_no] = value
            if line.target_line_no is not None and line.line_type in ("+", " "):
                tgt[line.target_line_no] = value
                if line.line_type == "+":
                    added.add(line.target_line_no)
            last = line.line_type
    return src, tgt, added, no_newline


def _join(lines: dict[int, str], no_newline: bool) -> str:
    """Lines at their numbers (gaps blank), as one text."""
    if not lines:
        return ""
    text = "\n".join(lines.get(n, "") for n in range(1, max(lines) + 1))
    return text if no_newline else text + "\n"


def _reverse_apply(pf: PatchedFile, after: str) -> str | None:
    """The before-text from the after-text and the hunks, or None if they do not match."""
    lines = after.split("\n")
    for hunk in reversed(list(pf)):
        target = [ln.value.rstrip("\n") for ln in hunk if ln.line_type in ("+", " ") and ln.target_line_no is not None]
        source = [ln.value.rstrip("\n") for ln in hunk if ln.line_type in ("-", " ") and ln.source_line_no is not None]
        start = hunk.target_start - 1 if hunk.target_length else hunk.target_start
        if lines[start : start + len(target)] != target:
            return None
        lines[start : start + len(target)] = source
    return "\n".join(lines)


def _read_in_repo(root: Path, rel: str) -> bytes | str:
    """A file of the repository as git stores it (a symlink's target), or why it was not read.

    Never a file outside the repository: the diff is untrusted, and `../` or a symlinked
    directory must not make the scan read (and show) anything else."""
    full = root / rel
    try:
        if (PurePosixPath(rel).is_absolute() or ".." in PurePosixPath(rel).parts
                or not full.parent.resolve().is_relative_to(root.resolve())):
            return "the path leaves the repository"
        st = os.lstat(full)
        if stat.S_ISLNK(st.st_mode):
            return os.fsencode(os.readlink(full))
        return full.read_bytes() if stat.S_ISREG(st.st_mode) else "not a regular file in the repository"
    except FileNotFoundError:
        return "not found in the repository"
    except OSError as exc:
        return f"cannot read from the repository: {exc.strerror or exc}"


def _raw(pf: PatchedFile, path: str, old_path: str | None, root: Path | None,
         errors: list[InputError]) -> RawFile | None:
    src, tgt, added, no_nl = _hunk_lines(pf)
    if pf.is_removed_file:
        return RawFile(path, _join(src, no_nl[0]), None)
    if pf.is_added_file and not old_path:
        return RawFile(path, None, _join(tgt, no_nl[1]))
    if root is not None:
        data = _read_in_repo(root, path)
        if isinstance(data, str):
            errors.append(InputError(path, f"{data}; only the hunks were scanned"))
        else:
            after = decode(data, path, errors)
            if after is None:
                return RawFile(path, data, data, old_path=old_path)  # binary in the tree: reported as such
            before = _reverse_apply(pf, after)
            if before is not None:
                return RawFile(path, before, after, old_path=old_path, added_lines=frozenset(added))
            errors.append(InputError(path, "the working tree does not match the diff; only the hunks were scanned"))
    headers = (tuple((h.source_start, h.section_header) for h in pf),
               tuple((h.target_start, h.section_header) for h in pf))
    return RawFile(path, _join(src, no_nl[0]), _join(tgt, no_nl[1]), old_path=old_path,
                   added_lines=frozenset(added), hunk_lines=(frozenset(src), frozenset(tgt)), hunk_headers=headers)


def _binary(pf: PatchedFile, path: str, old_path: str | None, roles: RoleConfig | None,
            errors: list[InputError]) -> ChangedFile:
    status = (Status.ADDED if pf.is_added_file or pf.source_file == DEV_NULL
              else Status.DELETED if pf.target_file == DEV_NULL
              else Status.RENAMED if old_path else Status.MODIFIED)
    errors.append(InputError(path, "binary patch: its path was checked, its content was not"))
    return ChangedFile(path=printable(path, errors), status=status, role=classify(path, roles), old_path=old_path, binary=True)


def _guess_path(lines: list[str]) -> str:
    for line in lines:
        for prefix in ("diff --git ", "+++ ", "--- "):
            if line.startswith(prefix):
                name = line[len(prefix):].split("\t")[0].strip().split(" ")[-1]
                return _GIT_PREFIX.sub("", _unquote(name))
    return "<diff>"


def _patched(text: str, errors: list[InputError]) -> tuple[list[tuple[PatchedFile, str, str | None]], int]:
    """Every file section that parsed (with its path and old path), and how many sections did."""
    # split on "\n" only: a lone "\r" or form feed inside a line is content, not a line break
    parts = text.replace("\r\n", "\n").split("\n")
    lines = [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    out: list[tuple[PatchedFile, str, str | None]] = []
    sections_ok = 0
    for start, sec in _sections(lines):
        try:
            patch = PatchSet(sec)
        except (UnidiffParseError, ValueError, IndexError, AttributeError) as exc:
            reason = " ".join(str(exc).split("\n")).strip()
            errors.append(InputError(_guess_path(sec), f"malformed diff at line {start}: {reason}", start))
            continue
        if len(patch):
            sections_ok += 1
        for pf in patch:
            path, old_path = _paths(pf)
            if not path:
                errors.append(InputError("<diff>", f"file section without a file name at line {start}", start))
            elif pf.is_submodule:
                errors.append(InputError(path, "submodule change: not scanned"))
            else:
                out.append((pf, path, old_path))
    return out, sections_ok


def looks_like_diff(text: str) -> bool:
    # `^` with re.M is tried at every character: first look for what either start must hold
    if "diff --git " not in text and "\n+++ " not in text:
        return False
    return bool(_DIFF_START.search(text))


def diff_raws(text: str, errors: list[InputError]) -> list[RawFile]:
    """The text files of a diff found inside something else (a transcript), from its hunks alone."""
    out: list[RawFile | ChangedFile] = []
    for pf, path, old_path in _patched(text, errors)[0]:
        if pf.is_binary_file:
            out.append(RawFile(path, None, b"\0", old_path=old_path))  # a NUL: reported as binary
            continue
        raw = _raw(pf, path, old_path, None, errors)
        if raw is not None:
            out.append(_encoded(raw))
    return [r for r in _pair_moves(out) if isinstance(r, RawFile)]


def _as_bytes(data: bytes | str) -> bytes:
    return data if isinstance(data, bytes) else data.encode("utf-8", "surrogateescape")


def _pair_moves(items: list[RawFile | ChangedFile]) -> list[RawFile | ChangedFile]:
    """A file deleted in one section and added in another is a move, as git -M would say:
    plain diffs (and git diffs made without -M) carry no rename lines."""
    raws = [r for r in items if isinstance(r, RawFile)]
    deleted = {r.path: _as_bytes(r.before) for r in raws if r.after is None and r.before is not None}
    added = {r.path: _as_bytes(r.after) for r in raws if r.before is None and r.after is not None}
    old_of = {new: old for old, new in pair_renames(deleted, added)}
    if not old_of:
        return items
    before = {r.path: r.before for r in raws if r.path in deleted}
    moved = set(old_of.values())
    return [replace(r, before=before[old_of[r.path]], old_path=old_of[r.path], added_lines=None)
            if isinstance(r, RawFile) and r.path in old_of else r
            for r in items if not (isinstance(r, RawFile) and r.path in moved)]


@gc_paused
def load_diff(text: str | bytes, repo: str | Path | None = None, roles: RoleConfig | None = None) -> ChangeSet:
    """The files a unified diff changes; see the module docstring for `repo`."""
    if isinstance(text, bytes):
        # undecodable bytes survive as surrogates and are reported per file by `decode`
        text = text.decode("utf-8", "surrogateescape")
    root = Path(repo) if repo is not None else None
    if root is not None and not root.is_dir():
        raise InputFailure(f"{repo}: no such directory")
    errors: list[InputError] = []
    items: list[RawFile | ChangedFile] = []
    patched, sections_ok = _patched(text, errors)
    for pf, path, old_path in patched:
        if pf.is_binary_file:
            items.append(_binary(pf, path, old_path, roles, errors))
            continue
        raw = _raw(pf, path, old_path, root, errors)
        if raw is not None:
            items.append(_encoded(raw))
    files: list[ChangedFile] = []
    for item in _pair_moves(items):
        cf = item if isinstance(item, ChangedFile) else changed_file(item, errors, roles)
        if cf is not None:
            files.append(cf)
    if not sections_ok and text.strip():
        first = errors[0].message if errors else "no file sections (`--- a/x` / `+++ b/x` / `@@`) found"
        raise InputFailure(f"not a readable unified diff: {first}")
    cs = ChangeSet(files=files, errors=errors, source="diff")
    if root is not None:
        changed = {cf.path for cf in files} | {cf.old_path for cf in files if cf.old_path}
        cs.context_loader = RepoTests(root, _candidates, changed, roles, cs.errors)
    return cs


def _encoded(raw: RawFile) -> RawFile:
    """Text with surrogate-escaped bytes back to bytes, so `decode` reports invalid UTF-8."""
    def enc(v: bytes | str | None) -> bytes | str | None:
        if isinstance(v, str) and any("\udc80" <= ch <= "\udcff" for ch in v):
            return v.encode("utf-8", "surrogateescape")
        return v

    raw.before, raw.after = enc(raw.before), enc(raw.after)
    return raw


def _candidates(root: Path) -> list[str]:
    try:
        return worktree_paths(root)
    except InputFailure:
        return walked(root)
