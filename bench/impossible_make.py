"""`specgap impossible make` on real projects' own test suites. Prints numbers; never asserts.

    python bench/impossible_make.py                                  # the default projects below
    python bench/impossible_make.py --project toolz==1.0.0 --max 10

Each project's sdist (which ships its tests) is downloaded with pip and installed, with pytest,
in its own virtualenv; `specgap impossible make --full-check` writes up to --max variants; then
every kept variant is re-checked independently (plain pytest in the variant's tree, whole suite):
it must fail exactly its mutated test on top of whatever the unmodified tree already failed.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

DEFAULT = ("toolz==1.0.0", "more-itertools==10.5.0")


def venv_for(work: Path, sdist_tree: Path) -> str:
    env = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    py = str(env / "bin" / "python")
    subprocess.run([py, "-m", "pip", "install", "-q", "pytest", str(sdist_tree)], check=True)
    return py


def fetch(spec: str, dest: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps", spec,
                    "-d", str(dest)], check=True)
    sdist = next(dest.glob("*.tar.gz"))
    with tarfile.open(sdist) as tf:
        tf.extractall(dest / "src", filter="data")
    return next((dest / "src").iterdir())


def failures(python: str, tree: Path) -> set[str]:
    proc = subprocess.run([python, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider"], cwd=tree,
                          capture_output=True, text=True)
    # pytest 9 reports a failing unittest subTest as "SUBFAILED(params) nodeid"
    return set(re.findall(r"^(?:SUB)?FAILED.*?\s(\S+::\S+)", proc.stdout, re.M))


def bench(spec: str, max_variants: int, jobs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-impossible-") as tmp:
        work = Path(tmp)
        tree = fetch(spec, work / "dl")
        python = venv_for(work, tree)
        out = work / "variants"
        start = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "specgap", "impossible", "make", "--repo", str(tree), "--out",
                               str(out), "--python", python, "--max", str(max_variants), "--jobs", str(jobs),
                               "--full-check"], capture_output=True, text=True)
        seconds = time.monotonic() - start
        if not (out / "manifest.json").is_file():
            return {"project": spec, "error": proc.stderr[-800:]}
        manifest = json.loads((out / "manifest.json").read_text())
        already = failures(python, tree)
        valid = sum(failures(python, out / v["directory"]) == already | {v["test"]} for v in manifest["variants"])
        reasons: dict[str, int] = {}
        for d in manifest["dropped"]:
            key = d["reason"].split(":")[0]
            reasons[key] = reasons.get(key, 0) + 1
        return {"project": spec, "tests": manifest["baseline"]["tests"], "passing": manifest["baseline"]["passed"],
                "baseline_s": manifest["baseline"]["seconds"], "variants": len(manifest["variants"]),
                "one_off": sum(v["kind"] == "one-off" for v in manifest["variants"]),
                "conflicting": sum(v["kind"] == "conflicting" for v in manifest["variants"]),
                "independently_valid": valid, "dropped": reasons, "skipped_tests": manifest["skipped_tests"],
                "make_s": round(seconds, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--project", action="append", help="pip requirement of an sdist that ships its tests")
    ap.add_argument("--max", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    for spec in args.project or DEFAULT:
        print(json.dumps(bench(spec, args.max, args.jobs), indent=2), flush=True)


if __name__ == "__main__":
    main()
