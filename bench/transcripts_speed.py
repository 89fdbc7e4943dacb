"""Throughput of `specgap transcripts` on generated single-file RL rollouts (~60 lines of code each,
a new prompt every --group rollouts, as RL samples several answers per task).

    python bench/transcripts_speed.py                 # 100,000 rollouts, all cores
    python bench/transcripts_speed.py -n 5000 -j 1    # a quick single-core number
    python bench/transcripts_speed.py -n 2000 --profile 25   # where one process spends it
    python bench/transcripts_speed.py --inputs tests/fixtures/transcripts ../shared/corpus/dev/items --repeat 3 -j 1
                                                      # real transcript shapes instead of generated ones
    python bench/transcripts_speed.py -n 2000 -j 1 --markdown chat
                                                      # the same rollouts as Markdown files, one a file

Prints rollouts/s overall and per core, the peak memory of the main process and of the largest
worker (flat in the input size if the run streams), and the projected wall time for 10 million
rollouts on a 64-core cluster at the measured per-core rate. Numbers only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from specgap.engine import select_rules
from specgap.rules import rollout_rules, scan_rules
from specgap.run import local
from specgap.run.evaluate import RolloutOutcome

GROUP = 8  # rollouts per prompt: RL samples several answers to each task (GRPO-style groups)


def problem(task: int) -> str:
    values = [task % 97 + 3, 1, 2]
    return (f"Implement `solve(values)` for task {task} below.\n\n```python\n"
            f"assert solve({values}) == {sorted(values)}\n```")


def solution(i: int, rng: random.Random) -> str:
    """~60 lines of plausible Python: helpers, a class, a solve() and a main guard."""
    lines = [f'"""Solution {i}."""', "from __future__ import annotations", "", "import math", "from collections import Counter", ""]
    for h in range(4):
        k = rng.randint(2, 9)
        lines += [f"def helper_{h}(xs: list[int]) -> list[int]:", f'    """Step {h}."""', "    out = []",
                  "    for x in xs:", f"        if x % {k} == 0:", f"            out.append(x // {k})", "        else:",
                  f"            out.append(x * {k} + {h})", "    return out", ""]
    lines += ["class Accumulator:", "    def __init__(self) -> None:", "        self.total = 0", "        self.seen = Counter()", "",
              "    def add(self, x: int) -> None:", "        self.total += x", "        self.seen[x] += 1", "",
              "def solve(values: list[int]) -> list[int]:", "    acc = Accumulator()", "    for v in values:", "        acc.add(v)",
              "    return sorted(values, key=lambda v: (v, math.isfinite(v)))", "",
              'if __name__ == "__main__":', "    print(solve([3, 1, 2]))"]
    return "\n".join(lines) + "\n"


def generate(path: Path, n: int, group: int = GROUP) -> None:
    rng = random.Random(0)
    with open(path, "w") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"r{i}", "model": "bench", "step": i // 1000, "reward": 1.0, "messages": [
                {"role": "user", "content": problem(i // group)},
                {"role": "assistant", "content": "```python\n" + solution(i, rng) + "```"}]}) + "\n")


def generate_markdown(folder: Path, n: int, shape: str, group: int = GROUP) -> None:
    """One Markdown file per rollout: the answer alone (`answer`: a single-turn rollout saved as
    text), or the prompt and the answer under role headings (`chat`)."""
    rng = random.Random(0)
    for i in range(n):
        answer = "Here is my solution.\n\n```python\n" + solution(i, rng) + "```\n"
        text = answer if shape == "answer" else f"## User\n\n{problem(i // group)}\n\n## Assistant\n\n{answer}"
        (folder / f"r{i:06d}.md").write_text(text)


def _print_profile(stats: pstats.Stats, k: int) -> None:
    rows = stats.stats  # type: ignore[attr-defined]  # {(file, line, name): (cc, nc, own, cumulative, callers)}
    total = sum(r[2] for r in rows.values()) or 1.0
    by_module: Counter[str] = Counter()
    for (file, _, name), r in rows.items():
        by_module[file.split("site-packages/")[-1].split("/src/")[-1] if file != "~" else name] += r[2]
    print("own time by module:")
    for module, t in by_module.most_common(k):
        print(f"  {t / total:6.1%}  {module}")
    print("own time by function:")
    for (file, line, name), r in sorted(rows.items(), key=lambda kv: -kv[1][2])[:k]:
        print(f"  {r[2] / total:6.1%}  {r[1]:>8} calls  {name}  ({file.split('/src/')[-1]}:{line})")


def _cpu(who: int) -> float:
    ru = resource.getrusage(who)
    return ru.ru_utime + ru.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--group", type=int, default=GROUP, help="rollouts per prompt (a new prompt every GROUP rollouts)")
    ap.add_argument("--transcript-rules-only", action="store_true",
                    help="reading plus the SG11xx rules, without the scan rules on the agent's code")
    ap.add_argument("--profile", type=int, metavar="K", default=0,
                    help="one process under cProfile; print the K functions with the most own time, and the time by "
                         "module (timings are then inflated: read the shares)")
    ap.add_argument("--inputs", nargs="+", type=Path, metavar="PATH",
                    help="read these transcript files or directories (--repeat times) instead of generated rollouts")
    ap.add_argument("--repeat", type=int, default=1, help="with --inputs: how many times each input is read")
    ap.add_argument("--markdown", choices=("answer", "chat"),
                    help="write the generated rollouts as Markdown files (the answer alone, or prompt and answer under "
                         "role headings) instead of one JSONL shard")
    args = ap.parse_args()
    if args.profile:
        args.jobs = 1
    rules = local.Rules(tuple(r.id for r in select_rules(rollout_rules())),
                        () if args.transcript_rules_only else tuple(r.id for r in select_rules(scan_rules())))
    with tempfile.TemporaryDirectory() as tmp:
        if args.inputs:
            inputs = [p for p in args.inputs if p.exists()]
            print(f"reading {', '.join(map(str, inputs)) or 'nothing (no such path)'} x{args.repeat}")
            work = inputs * args.repeat
        elif args.markdown:
            t0 = time.perf_counter()
            generate_markdown(Path(tmp), args.n, args.markdown, args.group)
            print(f"generated {args.n} Markdown rollouts ({args.markdown}) in {time.perf_counter() - t0:.1f}s")
            work = [Path(tmp)]
        else:
            shard = Path(tmp) / "shard.jsonl"
            t0 = time.perf_counter()
            generate(shard, args.n, args.group)
            lines = sum(1 for _ in open(shard))
            print(f"generated {lines} rollouts ({shard.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f}s")
            work = [shard]
        count = findings = 0

        def done(o: RolloutOutcome) -> None:
            nonlocal count, findings
            count += 1
            findings += len(o.findings)

        cpu0 = _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN)
        main0 = _cpu(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            profiler.enable()
        local.run(work, rules, jobs=args.jobs, on_outcome=done)
        if profiler is not None:
            profiler.disable()
        wall = time.perf_counter() - t0
        self_ru, child_ru = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN) - cpu0
        main_cpu = _cpu(resource.RUSAGE_SELF) - main0
    if not count:
        return
    rate = count / wall
    print(f"rollouts: {count}  findings: {findings}  jobs: {args.jobs}  rules: {len(rules.rollout)} transcript + "
          f"{len(rules.file)} scan  python {sys.version.split()[0]}")
    print(f"wall: {wall:.1f}s  cpu: {cpu:.1f}s  -> {rate:,.0f} rollouts/s, {rate / args.jobs:,.0f} rollouts/s/core (wall), "
          f"{count / cpu:,.0f} rollouts per CPU-second")
    if args.jobs > 1:
        print(f"cpu: main process {main_cpu:.1f}s (splitting the shard, collecting outcomes), "
              f"workers {cpu - main_cpu:.1f}s (startup included)")
    print(f"peak RSS: main {self_ru.ru_maxrss / 1024:.0f} MB, largest worker {child_ru.ru_maxrss / 1024:.0f} MB")
    if profiler is not None:
        _print_profile(pstats.Stats(profiler), args.profile)
    per_core = count / cpu
    print(f"projected: 10,000,000 rollouts on 64 cores at {per_core:,.0f}/s/core -> {1e7 / (per_core * 64) / 60:.1f} min")


if __name__ == "__main__":
    main()
