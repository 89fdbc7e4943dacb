"""Where the child runs: bubblewrap if it works, else `unshare`, else rlimits only.

Whichever is chosen is named in the report, so a reader knows which techniques the run stopped.
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LEVELS = ("bwrap", "unshare", "none")
SANDBOX_TMP = "/tmp"


@dataclass(frozen=True)
class Limits:
    wall: float = 600.0          # seconds for the whole run
    cpu: int = 600               # CPU seconds
    memory: int = 4 << 30        # bytes of address space
    fsize: int = 256 << 20       # largest file the child may write (pytest's capture files too)
    nproc: int = 256             # processes the child may add
    output: int = 16 << 20       # bytes of stdout/stderr before the run counts as flooding


DESCRIPTIONS = {
    "bwrap": "no network, own PID/IPC/UTS namespaces, uid 65534, read-only system and trusted tests, a private writable copy of the source, "
    "tmpfs /tmp, dies with parent; rlimits",
    "unshare": "no network, own PID and mount namespaces; runs as the caller's uid; rlimits",
    "none": "no sandbox: rlimits and process-group kill only",
}


@functools.cache
def _works(level: str) -> bool:
    probe = {
        "bwrap": ["bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
        "unshare": ["unshare", "--net", "--pid", "--fork", "--mount", "--mount-proc", "true"],
    }[level]
    if shutil.which(probe[0]) is None:
        return False
    try:
        return subprocess.run(probe, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def choose(requested: str) -> tuple[str, str]:
    """The isolation level to use and, when it is weaker than asked, why."""
    if requested == "none":
        return "none", ""
    order = ["bwrap", "unshare"] if requested == "auto" else [requested]
    for level in order:
        if _works(level):
            return level, ""
    missing = "/".join(order)
    if requested != "auto":
        raise SandboxUnavailable(f"{requested} is not usable on this machine")
    return "none", f"{missing} not usable here; ran without namespaces"


class SandboxUnavailable(Exception):
    pass


def _bind_ro(args: list[str], path: str) -> None:
    args += ["--ro-bind", path, path]


def wrap(level: str, cmd: list[str], *, readonly: list[Path], cwd: Path, writable: list[Path] = ()) -> list[str]:
    """`cmd` wrapped for the chosen isolation level; `readonly` paths are visible read-only,
    `writable` ones writable (a read-only path inside a writable one stays read-only)."""
    if level == "none":
        return cmd
    if level == "unshare":
        return ["unshare", "--net", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc", *cmd]
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--uid", "65534", "--gid", "65534", "--hostname", "sandbox"]
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        p = Path(top)
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), top]
        elif p.is_dir():
            _bind_ro(args, top)
    # Enough of /etc for the dynamic loader, user names and time zones; not secrets (no shadow).
    for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime", "nsswitch.conf", "ssl",
                 "mime.types", "passwd", "group"):
        if os.path.exists(f"/etc/{name}"):
            _bind_ro(args, f"/etc/{name}")
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", SANDBOX_TMP]
    binds = {str(p): "--ro-bind" for p in readonly}
    binds.update({str(p): "--bind" for p in writable if str(p) not in binds})
    for p in sorted(binds, key=len):  # outer before inner: an inner read-only file wins
        args += [binds[p], p, p]
    args += ["--chdir", str(cwd), "--"]
    return args + cmd


def _process_count() -> int:
    try:
        return sum(1 for d in os.listdir("/proc") if d.isdigit())
    except OSError:
        return 0


def preexec(limits: Limits):
    """A preexec_fn applying the rlimits (inherited by bwrap's child and everything it starts)."""
    # RLIMIT_NPROC counts every process of the real uid, so leave room for those already running.
    nproc = _process_count() + limits.nproc

    def apply() -> None:
        for res, value in (
            (resource.RLIMIT_CPU, limits.cpu),
            (resource.RLIMIT_AS, limits.memory),
            (resource.RLIMIT_FSIZE, limits.fsize),
            (resource.RLIMIT_NPROC, nproc),
            (resource.RLIMIT_CORE, 0),
        ):
            try:
                resource.setrlimit(res, (value, value))
            except (ValueError, OSError):
                pass  # a hard limit already lower than ours stays in force

    return apply
