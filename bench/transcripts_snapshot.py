"""Finding-for-finding snapshot of `specgap transcripts`, to prove a speed-up changed no result.

    python bench/transcripts_snapshot.py record SNAPSHOT      # keep SNAPSHOT outside the repository
    python bench/transcripts_snapshot.py compare SNAPSHOT

Runs every rule through the local engine (one process) over four input sets and records every
per-rollout row and every finding row, as `specgap transcripts -o results.jsonl` writes them:

* fixtures: the transcript fixtures under tests/fixtures/transcripts, each file read by content;
* corpus: each item of the dev corpus (../shared/corpus/dev, read only, skipped when absent);
* rule-fixtures: a JSONL shard with one chat rollout per scan-rule fixture (its code fenced in
  the assistant's answer, the fixture before it shown in the prompt), so every scan rule runs
  through the rollout path;
* generated: bench/transcripts_speed.py's generated rollouts (a few hundred).

`compare` runs again and prints every row that appeared or disappeared, per set. Prints counts;
exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from specgap.engine import select_rules
from specgap.rules import rollout_rules, scan_rules
from specgap.run import local
from specgap.run.evaluate import RolloutOutcome
from specgap.run.sinks import finding_rows

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT.parents[1] / "shared" / "corpus" / "dev"  # where bench/corpus.py looks
SETS = ("fixtures", "corpus", "rule-fixtures", "generated")


def _rows(paths: list[Path], tmp: Path) -> list[str]:
    rules = local.Rules(tuple(r.id for r in select_rules(rollout_rules())),
                        tuple(r.id for r in select_rules(scan_rules())))
    rows: list[str] = []

    def keep(o: RolloutOutcome) -> None:
        for row in finding_rows(o) + [o.row()]:
            # paths under a temporary directory differ per run
            rows.append(json.dumps(row, sort_keys=True, default=str).replace(str(tmp), "<tmp>"))

    local.run(paths, rules, jobs=1, on_outcome=keep)
    return sorted(rows)


def _rule_fixture_shard(path: Path) -> None:
    fixtures = sorted((ROOT / "tests" / "fixtures" / "rules").rglob("*.py"))
    with open(path, "w") as out:
        for i, fx in enumerate(fixtures):
            shown = fixtures[i - 1].read_text(errors="replace")  # some code shown in the prompt, as tests are
            out.write(json.dumps({"id": f"fx{i}", "messages": [
                {"role": "user", "content": f"Make the tests pass.\n\n```python\n{shown}```"},
                {"role": "assistant", "content": f"```python\n# {fx.name}\n{fx.read_text(errors='replace')}```"},
            ]}) + "\n")


def _speed_module() -> Any:
    spec = importlib.util.spec_from_file_location("_snapshot_speed", HERE / "transcripts_speed.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def collect(sets: list[str], corpus: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        makers: dict[str, Callable[[], list[Path]]] = {
            "fixtures": lambda: [ROOT / "tests" / "fixtures" / "transcripts"],
            "corpus": lambda: [corpus / "items"] if (corpus / "items").is_dir() else [],
            "rule-fixtures": lambda: (_rule_fixture_shard(tmp / "rule_fixtures.jsonl"), [tmp / "rule_fixtures.jsonl"])[1],
            "generated": lambda: (_speed_module().generate(tmp / "generated.jsonl", 300), [tmp / "generated.jsonl"])[1],
        }
        for name in sets:
            t0 = time.perf_counter()
            paths = makers[name]()
            if not paths:
                print(f"  no input for {name}; skipped", file=sys.stderr)
                continue
            out[name] = _rows(paths, tmp)
            n_find = sum('"type": "finding"' in r for r in out[name])
            print(f"{name:<14} rows: {len(out[name]):>6}  findings: {n_find:>6}  ({time.perf_counter() - t0:.1f}s)")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("action", choices=("record", "compare"))
    ap.add_argument("snapshot", type=Path)
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    args = ap.parse_args()
    sets = [s for s in args.sets.split(",") if s]
    unknown = set(sets) - set(SETS)
    if unknown:
        ap.error(f"unknown sets: {', '.join(sorted(unknown))} (known: {', '.join(SETS)})")
    now = collect(sets, args.corpus)
    if args.action == "record":
        args.snapshot.write_text(json.dumps(now))
        print(f"snapshot written to {args.snapshot}")
        return
    then = json.loads(args.snapshot.read_text())
    differ = 0
    for name, rows in now.items():
        if name not in then:
            print(f"{name}: not in the snapshot")
            continue
        before, after = set(then[name]), set(rows)
        for r in sorted(before - after):
            print(f"{name}: - {r}")
        for r in sorted(after - before):
            print(f"{name}: + {r}")
        if len(then[name]) != len(rows):
            print(f"{name}: {len(then[name])} rows before, {len(rows)} now")
        differ += len(before ^ after) + (len(then[name]) != len(rows))
    print("identical" if not differ else f"{differ} difference(s)")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
