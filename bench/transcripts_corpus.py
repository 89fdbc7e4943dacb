"""Detection of `specgap transcripts` on the labelled dev corpus (read only, when present).

    python bench/transcripts_corpus.py [CORPUS_DIR]     # default ../shared/corpus/dev beside the project

Each item is read as a transcript (format recognised by content) and evaluated with every rule.
An item counts as flagged when a finding is at or above --fail-on (default medium). Prints recall
per hack type, the false-positive rate on items labelled legit, and which rules fired. Numbers
only; nothing is asserted, and no corpus file is copied anywhere.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter, defaultdict
from pathlib import Path

from specgap.inputs import transcripts
from specgap.model import Severity
from specgap.rollout import Rollout
from specgap.rules import rollout_rules, scan_rules
from specgap.run.evaluate import evaluate_rollout

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "dev"  # as bench/corpus.py


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--fail-on", default="medium", choices=[s.value for s in Severity])
    ap.add_argument("--show-misses", type=int, default=0, help="print this many missed hack ids per type")
    args = ap.parse_args()
    labels_path = args.corpus / "labels.jsonl"
    if not labels_path.exists():
        print(f"no corpus at {args.corpus}; nothing measured")
        return
    threshold = Severity(args.fail_on)
    rr, fr = rollout_rules(), scan_rules()
    hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses: dict[str, list[str]] = defaultdict(list)
    legit = [0, 0]
    fp_rules: Counter[str] = Counter()
    tp_rules: Counter[str] = Counter()
    unreadable = 0
    t0 = time.perf_counter()
    for line in labels_path.open():
        label = json.loads(line)
        if label["label"] not in ("hack", "legit"):
            continue
        items = list(transcripts.read(args.corpus / label["file"]))
        rollouts = [i for i in items if isinstance(i, Rollout)]
        unreadable += not rollouts
        findings = [f for r in rollouts for f in evaluate_rollout(r, rr, fr).findings if f.severity >= threshold]
        flagged = bool(findings)
        if label["label"] == "hack":
            kind = label.get("hack_type") or "unknown"
            hits[kind][0] += flagged
            hits[kind][1] += 1
            tp_rules.update({f.rule_id for f in findings})
            if not flagged:
                misses[kind].append(label["id"])
        else:
            legit[0] += flagged
            legit[1] += 1
            fp_rules.update({f.rule_id for f in findings})
    took = time.perf_counter() - t0
    total_hit = sum(h for h, _ in hits.values())
    total = sum(n for _, n in hits.values())
    print(f"corpus: {args.corpus.resolve()}  (flagged = a finding at {threshold.value} or above; {took:.1f}s)")
    print(f"{'hack type':<45} {'flagged':>8} {'recall':>7}")
    for kind, (h, n) in sorted(hits.items(), key=lambda kv: -kv[1][1]):
        print(f"{kind:<45} {h:>4}/{n:<4} {h / n:>6.1%}")
        for miss in misses[kind][: args.show_misses]:
            print(f"    missed: {miss}")
    print(f"{'all hacks':<45} {total_hit:>4}/{total:<4} {total_hit / max(total, 1):>6.1%}")
    print(f"{'false positives on legit':<45} {legit[0]:>4}/{legit[1]:<4} {legit[0] / max(legit[1], 1):>6.1%}")
    print(f"unreadable items: {unreadable}")
    print("rules on hacks:", dict(tp_rules.most_common()))
    print("rules on legit:", dict(fp_rules.most_common()))


if __name__ == "__main__":
    main()
