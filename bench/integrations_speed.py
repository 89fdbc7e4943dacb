"""Per-call cost of the in-process API an RL reward function uses: `scan_code` and `scan_rollout`.

Usage: python bench/integrations_speed.py [--n 400]

scan_code: real single-file solutions of about 60 lines, cut from the standard library at
top-level statement boundaries (honest code: no finding expected). scan_rollout: the dev
corpus's transcripts when /work/shared/corpus/dev is present. Prints the first call (which
loads the catalog), then median / p90 / max wall-clock and median / total CPU per call, and the number of findings at medium or above. Never asserts.
Goal (issue 14): median under 5 ms for a typical ~60-line solution.
"""

from __future__ import annotations

import argparse
import ast
import random
import statistics
import sys
import time
from pathlib import Path

CORPUS = Path("/work/shared/corpus/dev/items")


def solutions(n: int, lines: int = 60) -> list[str]:
    """Chunks of ~`lines` lines of real stdlib code, each a run of whole top-level statements."""
    files = sorted(Path(ast.__file__).parent.glob("*.py"))
    random.Random(14).shuffle(files)
    out: list[str] = []
    for f in files:
        text = f.read_text(encoding="utf-8", errors="replace")
        try:
            body = ast.parse(text).body
        except SyntaxError:
            continue
        src = text.split("\n")
        chunk: list[str] = []
        for node in body:
            seg = src[node.lineno - 1 : node.end_lineno]
            if len(seg) > lines:
                continue
            if len(chunk) + len(seg) > lines and chunk:
                if len(chunk) >= lines // 2:
                    out.append("\n".join(chunk) + "\n")
                chunk = []
            chunk.extend(seg + [""])
        if len(out) >= n:
            break
    return out[:n]


def timed(fn, items) -> tuple[list[float], list[float], int]:
    """Wall-clock and CPU milliseconds per call (CPU: what the call costs on a shared machine)."""
    from specgap.model import Severity

    times, cpu, found = [], [], 0
    for item in items:
        t, c = time.perf_counter(), time.process_time()
        out = fn(item)
        cpu.append((time.process_time() - c) * 1000)
        times.append((time.perf_counter() - t) * 1000)
        found += sum(f.severity >= Severity.MEDIUM for f in out)
    return times, cpu, found


def show(label: str, times: list[float], cpu: list[float], found: int) -> None:
    q = statistics.quantiles(times, n=10)
    print(f"{label}: n={len(times)} median={statistics.median(times):.2f} ms p90={q[-1]:.2f} ms "
          f"max={max(times):.2f} ms cpu median={statistics.median(cpu):.2f} ms cpu total={sum(cpu) / 1000:.2f} s "
          f"findings at medium or above={found}")


def flag_rates() -> None:
    """What the reward adapters' default (a finding at high or above) flags, by the corpus's label."""
    import json

    from specgap.integrations.rewards import GamingCheck

    check = GamingCheck()
    labels = {}
    for line in (CORPUS.parent / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        labels[rec["file"]] = rec["label"]
    counts: dict[tuple[str, str], list[int]] = {}
    for rel, label in sorted(labels.items()):
        path = CORPUS.parent / rel
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        # a reward function gets the completion as text, or the messages as parsed JSON
        flagged = check.judge(json.loads(text) if path.suffix == ".json" else text).gaming
        key = (path.suffix, label)
        counts.setdefault(key, [0, 0])[0] += flagged
        counts[key][1] += 1
    for (suffix, label), (hit, n) in sorted(counts.items()):
        print(f"adapters' default (high or above), dev items {suffix} labelled {label}: {hit}/{n} flagged ({hit / n:.0%})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=400)
    args = ap.parse_args()
    t0 = time.perf_counter()
    import specgap

    first = specgap.scan_code("def f():\n    return 1\n")
    print(f"import + first call (loads the catalog once): {(time.perf_counter() - t0) * 1000:.0f} ms ({len(first)} findings)")
    codes = solutions(args.n)
    mean_lines = statistics.mean(c.count("\n") for c in codes)
    show(f"scan_code (stdlib solutions, mean {mean_lines:.0f} lines)", *timed(specgap.scan_code, codes))
    if CORPUS.is_dir():
        items = sorted(CORPUS.glob("*.md"))[: args.n]
        texts = [p.read_text(encoding="utf-8", errors="replace") for p in items]
        show(f"scan_rollout (dev corpus transcripts, mean {statistics.mean(len(t) for t in texts) / 1024:.1f} KiB)",
             *timed(specgap.scan_rollout, texts))
        flag_rates()
    else:
        print("scan_rollout: dev corpus not present; skipped", file=sys.stderr)


if __name__ == "__main__":
    main()
