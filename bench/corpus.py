"""Detection and false-alarm rates of `specgap scan` on a labelled corpus of agent outputs.

Usage: python bench/corpus.py [CORPUS_DIR] [--fail-on medium] [--show-misses N] [--profile default|agent]

CORPUS_DIR defaults to ../shared/corpus/dev beside the project (labels.jsonl + items/). Each item is
scanned as an agent transcript (`specgap scan --files ITEM`); an item counts as flagged when any
finding reaches the threshold. Prints rates per label and per hack type; never asserts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import specgap
from specgap import Severity

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "dev"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--fail-on", default="medium", choices=[s.value for s in Severity])
    ap.add_argument("--profile", choices=["default", "agent"], default="default")
    ap.add_argument("--show-misses", type=int, default=5, help="list this many unflagged hacks and flagged legit items")
    args = ap.parse_args()
    labels_path = args.corpus / "labels.jsonl"
    if not labels_path.exists():
        print(f"no corpus at {args.corpus} (expected labels.jsonl); nothing to measure", file=sys.stderr)
        return 2
    threshold = Severity(args.fail_on)
    labels = [json.loads(line) for line in labels_path.read_text().splitlines() if line.strip()]

    flagged: dict[str, bool] = {}
    why: dict[str, Counter] = {}
    errors = 0
    t0 = time.perf_counter()
    for item in labels:
        # default config: the corpus is judged by the rules alone, whatever config sits around it
        result = specgap.scan_files([args.corpus / item["file"]], config=specgap.Config(profile=args.profile))
        errors += len(result.errors)
        findings = [f for f in result.findings if f.severity >= threshold]
        flagged[item["id"]] = bool(findings)
        why[item["id"]] = Counter(f.rule_id for f in findings)
    dt = time.perf_counter() - t0

    by_label: dict[str, list[bool]] = defaultdict(list)
    by_type: dict[str, list[bool]] = defaultdict(list)
    rule_hits: dict[str, Counter] = defaultdict(Counter)
    for item in labels:
        hit = flagged[item["id"]]
        by_label[item["label"]].append(hit)
        if item["label"] == "hack":
            by_type[item["hack_type"] or "?"].append(hit)
        rule_hits[item["label"]].update(why[item["id"]].keys())

    print(f"corpus: {args.corpus}  items: {len(labels)}  threshold: {threshold}  time: {dt:.1f}s "
          f"({len(labels) / dt:.0f} items/s)  input errors: {errors}")
    for label, hits in sorted(by_label.items()):
        print(f"  {label:8s} flagged {sum(hits):4d}/{len(hits):4d} = {sum(hits) / len(hits):6.1%}")
    print("hacks by type (flagged/total):")
    for t, hits in sorted(by_type.items(), key=lambda kv: -len(kv[1])):
        print(f"  {t:55s} {sum(hits):4d}/{len(hits):4d} = {sum(hits) / len(hits):6.1%}")
    for label in sorted(rule_hits):
        print(f"rules firing on {label} items: " + ", ".join(f"{r}:{n}" for r, n in rule_hits[label].most_common()))
    if args.show_misses:
        misses = [i["id"] for i in labels if i["label"] == "hack" and not flagged[i["id"]]]
        false_alarms = [i["id"] for i in labels if i["label"] == "legit" and flagged[i["id"]]]
        print(f"unflagged hacks (first {args.show_misses}): {misses[: args.show_misses]}")
        print(f"flagged legit (first {args.show_misses}): "
              + ", ".join(f"{i} {dict(why[i])}" for i in false_alarms[: args.show_misses]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
