"""Start the child, carry the authenticated records out of it, and clean up after it.

The parent owns the clock and the channel: it reads records and output concurrently, kills the
whole process group at the end (or at the wall-time limit, or when output floods), and then
checks every record's HMAC chain. Nothing the child prints or returns is taken as a result.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from specgap.verify import pycache, sandbox

CHILD = Path(__file__).with_name("child.py")
_MAX_RECORDS = 256 << 20


@dataclass
class RunResult:
    records: list[dict] = field(default_factory=list)   # authenticated records, in order
    forged: list[str] = field(default_factory=list)     # lines on the channel that failed authentication
    output: str = ""                                     # head and tail of stdout+stderr, for the report
    returncode: int | None = None
    timed_out: bool = False
    flooded: bool = False
    leftovers: bool = False                              # processes still alive in the group at the end
    wall: float = 0.0
    cpu: float = 0.0                                      # CPU seconds of the child and its children
    isolation: str = "none"
    spawn_error: str = ""


@dataclass
class Child:
    """One child interpreter run, fully described (the room is already built)."""

    python: str
    room: Path
    work: Path                  # private scratch dir for this run (harness, pycache, home)
    mode: str                   # pytest | unittest | script
    files: list[str]
    args: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)     # mode-specific configuration (call-tests cases)
    site: list[str] = field(default_factory=list)
    protect: list[str] = field(default_factory=list)  # room files the run may not change (trusted tests, config)
    level: str = "none"
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)


# Run with `-I -S`: no .pth file runs. `-S` also skips the step that makes a virtualenv's
# interpreter a venv (site.venv), so the venv is found here the same way: pyvenv.cfg beside the
# executable or one level up, its site-packages by the 'venv' scheme, the base's only when the venv
# includes system site-packages.
_LAYOUT = """
import json, os, sys, sysconfig
def pair(paths):
    return [paths["purelib"], paths["platlib"]]
site, roots = pair(sysconfig.get_paths()), [sys.prefix, sys.base_prefix]
exe_dir = os.path.dirname(os.path.abspath(sys.executable))
for home in (exe_dir, os.path.dirname(exe_dir)):
    cfg = os.path.join(home, "pyvenv.cfg")
    if not os.path.isfile(cfg):
        continue
    with open(cfg, encoding="utf-8", errors="replace") as fh:
        keys = dict(line.split("=", 1) for line in fh if "=" in line)
    keys = {k.strip().lower(): v.strip().lower() for k, v in keys.items()}
    scheme = "venv" if "venv" in sysconfig.get_scheme_names() else "posix_prefix"
    own = pair(sysconfig.get_paths(scheme, vars={"base": home, "platbase": home}))
    site = own + (site if keys.get("include-system-site-packages") == "true" else [])
    roots = [home, *roots]
    break
# .pth files: their path lines (editable installs of dependencies, namespace packages) are kept,
# after site-packages; `import` lines, the ones that run code at startup, are not.
extra = []
for d in site:
    try:
        names = sorted(n for n in os.listdir(d) if n.endswith(".pth"))
    except OSError:
        continue
    for n in names:
        try:
            with open(os.path.join(d, n), encoding="utf-8", errors="replace") as fh:
                lines = fh.read().splitlines()
        except OSError:
            continue
        for line in lines:
            line = line.strip()
            if not line or line.startswith(("#", "import ", "import\t")):
                continue
            p = os.path.normpath(os.path.join(d, line))
            if os.path.isdir(p):
                extra.append(p)
print(json.dumps({"site": site + extra, "roots": roots + [os.path.dirname(os.path.realpath(sys.executable))],
                  "stdlib": sysconfig.get_paths()["stdlib"]}))
"""


@functools.cache
def _layout(python: str) -> dict:
    out = subprocess.run([python, "-I", "-S", "-c", _LAYOUT], capture_output=True, text=True, timeout=60,
                         env={"PATH": os.defpath})
    if out.returncode != 0:
        raise OSError(f"{python} could not be started: {out.stderr.strip()[-300:]}")
    return json.loads(out.stdout)


def trusted_site(python: str) -> list[str]:
    """The interpreter's own site-packages (its virtualenv's, if it is one), found without running
    any .pth file."""
    return [p for p in dict.fromkeys(_layout(python)["site"]) if os.path.isdir(p)]


def stdlib_dir(python: str) -> str:
    return _layout(python)["stdlib"]


def interpreter_roots(python: str) -> list[str]:
    """Directories the interpreter needs inside the sandbox: its venv, its base install, its binary's."""
    return [p for p in dict.fromkeys(_layout(python)["roots"]) if not p.startswith("/usr")]


def scratch(level: str, work: Path) -> Path:
    """The child's writable temp dir, as the child sees it (bwrap: an empty tmpfs)."""
    (work / "tmp").mkdir(parents=True, exist_ok=True)
    return Path(sandbox.SANDBOX_TMP) if level == "bwrap" else work / "tmp"


def clean_env(level: str, work: Path, *, autoload: bool = False) -> dict[str, str]:
    """An `env -i`-like environment: nothing from the caller (no PYTEST_ADDOPTS, PYTEST_PLUGINS ...)."""
    tmp = scratch(level, work)
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp / "home"), "TMPDIR": str(tmp / "work"), "LANG": "C.UTF-8"}
    if not autoload:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    if level != "bwrap":
        for d in ("home", "work"):
            (tmp / d).mkdir(exist_ok=True)
    return env


def confine(cmd: list[str], level: str, work: Path, cwd: Path, readonly: list[Path], python: str,
            protect: list[str] = ()) -> list[str]:
    """Under bwrap the room is this run's own copy, so it is writable (suites write output files
    beside their sources) except for the trusted files in `protect`, which stay read-only."""
    if level != "bwrap":
        return sandbox.wrap(level, cmd, readonly=[], cwd=cwd)
    tmp = scratch(level, work)
    ro = [*readonly, *map(Path, interpreter_roots(python)), *(cwd / p for p in protect)]
    wrapped = sandbox.wrap("bwrap", cmd, readonly=ro, cwd=cwd, writable=[cwd])
    at = wrapped.index("--chdir")  # the tmpfs starts empty: make home and the work dir first
    wrapped[at:at] = ["--dir", str(tmp / "home"), "--dir", str(tmp / "work")]
    return wrapped


def run(child: Child) -> RunResult:
    res = RunResult(isolation=child.level)
    harness = child.work / "harness"
    harness.mkdir(parents=True, exist_ok=True)
    boot = harness / "child.py"
    shutil.copyfile(CHILD, boot)
    cache = pycache.location(child.python)
    roots = [stdlib_dir(child.python), *child.site]  # where the cached interpreter modules live
    if child.level == "bwrap":
        cache.mkdir(parents=True, exist_ok=True)
        prefix = cache  # mounted read-only: the child reads the trusted cache and cannot add to it
    else:
        prefix = scratch(child.level, child.work) / "pycache"
        pycache.seed(cache, prefix, roots)
    key = secrets.token_bytes(32)
    rfd, wfd = os.pipe()
    cfg = {
        "key": key.hex(),
        "fd": wfd,
        "mode": child.mode,
        "path": [str(child.room / p) if p else str(child.room) for p in _product_paths(child.room)],
        "site": child.site,
        "args": child.args,
        "files": child.files,
        "conftests": [p for p in child.protect if p.rsplit("/", 1)[-1] == "conftest.py"],
        "trusted": [p for p in child.protect if p.endswith(".py")],
        **child.extra,
    }
    cmd = [child.python, "-I", "-S", "-X", f"pycache_prefix={prefix}", str(boot)]
    cmd = confine(cmd, child.level, child.work, child.room, [harness, cache, *map(Path, child.site)], child.python,
                  child.protect)
    env = clean_env(child.level, child.work)
    raw = execute(cmd, env, child.room, child.limits, res, stdin=json.dumps(cfg).encode(), channel=(rfd, wfd))
    res.records, res.forged = authenticate(key, raw)
    final = next((r for r in res.records if r.get("t") == "final"), None)
    if final is not None and child.level == "bwrap" and isinstance(final.get("cpu"), (int, float)):
        # bwrap learns of its PID-namespace child's exit through a pipe and never reaps it, so the
        # child's CPU time never reaches our rusage: the child's own count stands in (cost only).
        res.cpu += max(0.0, float(final["cpu"]))
    if final is not None:
        pycache.learn(child.python, cache, final.get("imported", []), roots)
    if child.level == "bwrap":
        res.leftovers = False  # bwrap's own init may still be exiting; the PID namespace dies with it
    return res


def execute(cmd: list[str], env: dict[str, str], cwd: Path, limits: sandbox.Limits, res: RunResult, *,
            stdin: bytes = b"", channel: tuple[int, int] | None = None) -> bytes:
    """Run `cmd` in its own process group under `limits`; fill `res`; return the channel's bytes."""
    start = time.monotonic()
    before = os.times()
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(channel[1],) if channel else (),
            cwd=cwd,
            env=env,
            start_new_session=True,
            preexec_fn=sandbox.preexec(limits),
        )
    except OSError as exc:
        if channel:
            os.close(channel[0])
            os.close(channel[1])
        res.spawn_error = f"could not start {cmd[0]}: {exc}"
        return b""
    if channel:
        os.close(channel[1])
    try:
        proc.stdin.write(stdin)
        proc.stdin.close()
    except OSError:
        pass  # the child died before reading; its missing records say so
    raw, out = _pump(proc, channel[0] if channel else None, limits, start, res)
    res.wall = time.monotonic() - start
    after = os.times()
    res.cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    res.returncode = proc.returncode
    res.output = out.decode("utf-8", "replace")
    return raw


def _product_paths(room: Path) -> list[str]:
    return [p for p in ("src", "") if (room / p).is_dir()]


def _kill(proc: subprocess.Popen, res: RunResult) -> None:
    try:
        os.killpg(proc.pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    if alive:
        res.leftovers = proc.poll() is not None  # the leader is gone but its group is not
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _pump(proc: subprocess.Popen, rfd: int | None, limits: sandbox.Limits, start: float, res: RunResult) -> tuple[bytes, bytearray]:
    sel = selectors.DefaultSelector()
    if rfd is not None:
        sel.register(rfd, selectors.EVENT_READ, "rec")
    sel.register(proc.stdout, selectors.EVENT_READ, "out")
    raw = bytearray()
    head, tail, total = bytearray(), bytearray(), 0  # first and last 8 KiB of the output
    exited_at: float | None = None
    while sel.get_map():
        now = time.monotonic()
        if exited_at is None and proc.poll() is not None:
            exited_at = now
            _kill(proc, res)
        if exited_at is None and now - start > limits.wall:
            res.timed_out = True
            _kill(proc, res)
            proc.wait()
            exited_at = now
        if exited_at is not None and now - exited_at > 2:
            break  # a process outside our group still holds a pipe: stop listening
        for key, _ in sel.select(timeout=0.2):
            chunk = os.read(key.fd, 1 << 16)
            if not chunk:
                sel.unregister(key.fd)
                continue
            if key.data == "rec":
                raw += chunk
                if len(raw) > _MAX_RECORDS:
                    res.flooded = True
            else:
                total += len(chunk)
                if len(head) < 8192:
                    head += chunk[: 8192 - len(head)]
                tail = (tail + chunk)[-8192:]
                if total > limits.output:
                    res.flooded = True
            if res.flooded and exited_at is None:
                _kill(proc, res)
                proc.wait()
                exited_at = time.monotonic()
    proc.wait()
    _kill(proc, res)
    sel.close()
    if rfd is not None:
        os.close(rfd)
    proc.stdout.close()
    rest = total - len(head)
    if rest > len(tail):
        return bytes(raw), head + f"\n... [{rest - len(tail)} bytes omitted] ...\n".encode() + tail
    return bytes(raw), head + tail[len(tail) - rest :] if rest else head


def authenticate(key: bytes, raw: bytes) -> tuple[list[dict], list[str]]:
    """Records of the frames whose HMAC chain and record sequence check out (see child.Channel)."""
    records: list[dict] = []
    forged: list[str] = []
    prev = b""
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        try:
            outer = json.loads(line)
            body, mac = outer["r"], outer["m"]
            good = hmac.compare_digest(hmac.new(key, prev + body.encode(), hashlib.sha256).hexdigest(), mac)
            recs = [json.loads(x) for x in body.split("\n")] if good else []
            good = good and all(r.get("seq") == len(records) + i for i, r in enumerate(recs))
        except (ValueError, KeyError, TypeError, AttributeError):
            good = False
        if not good:
            forged.append(line[:200].decode("utf-8", "replace"))
            continue
        prev = mac.encode()
        records += recs
    return records, forged
