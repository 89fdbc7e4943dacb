"""The summary of a transcripts run, built as outcomes stream in (memory independent of the run's
size): hack rate overall, by rule, by model / run / step when present, and the gamed rollouts with
the highest reward first, for audit."""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from typing import Any

from specgap.model import Finding, Severity
from specgap.report.text import visible
from specgap.run.evaluate import RolloutOutcome
from specgap.run.judge import RULE_ID as JUDGE

TOP = 20
SHOWN_FINDINGS = 200  # the text report lists this many; the results file has them all


class Summary:
    def __init__(self, fail_on: Severity) -> None:
        self.fail_on = fail_on
        self.rollouts = self.unreadable = self.gamed = self.findings = 0
        self.by_rule: Counter[str] = Counter()          # rollouts with the rule
        self.by_severity: Counter[str] = Counter()
        self.groups: dict[str, dict[Any, list[int]]] = {g: defaultdict(lambda: [0, 0]) for g in ("model", "run", "step")}
        self.top: list[tuple[float, int, dict[str, Any]]] = []
        self.errors: list[str] = []
        self.shown: list[Finding] = []
        self.judge: Counter[str] = Counter()
        self.judge_cost = 0.0
        self._n = 0

    def add(self, o: RolloutOutcome) -> None:
        if o.unreadable:
            self.unreadable += 1
            if len(self.errors) < 100:
                self.errors.extend(f"{o.rollout_id}: {e}" for e in o.errors)
            return
        self.rollouts += 1
        if o.judge:
            self.judge.update({k: int(v) for k, v in o.judge.items() if k != "cost"})
            self.judge_cost += float(o.judge.get("cost") or 0.0)
            self.judge["gamed"] += any(f.rule_id == JUDGE for f in o.findings)
        self.shown.extend(o.findings[: max(0, SHOWN_FINDINGS - len(self.shown))])
        self.by_rule.update({f.rule_id for f in o.findings})
        # the judge is a second opinion, counted apart: the hack rate and the exit code are the rules'
        rules = [f for f in o.findings if f.rule_id != JUDGE]
        self.findings += len(rules)
        self.by_severity.update(f.severity.value for f in rules)
        gamed = any(f.severity >= self.fail_on for f in rules)
        self.gamed += gamed
        for g, table in self.groups.items():
            value = getattr(o, g)
            if value is not None:
                table[value][0] += 1
                table[value][1] += gamed
        if gamed:
            self._n += 1
            entry = {"rollout_id": o.rollout_id, "source": o.source, "reward": o.reward,
                     "rules": sorted({f.rule_id for f in rules if f.severity >= self.fail_on})}
            item = (o.reward if o.reward is not None else float("-inf"), -self._n, entry)
            if len(self.top) < TOP:
                heapq.heappush(self.top, item)
            else:
                heapq.heappushpop(self.top, item)
        if o.errors and len(self.errors) < 100:
            self.errors.extend(f"{o.rollout_id}: {e}" for e in o.errors)

    def to_dict(self) -> dict[str, Any]:
        rate = (lambda n, d: round(n / d, 4) if d else 0.0)
        return {
            "rollouts": self.rollouts, "unreadable": self.unreadable, "gamed": self.gamed,
            "hack_rate": rate(self.gamed, self.rollouts), "findings": self.findings, "fail_on": self.fail_on.value,
            "by_severity": {s.value: self.by_severity[s.value] for s in Severity},
            "by_rule": {r: {"rollouts": n, "rate": rate(n, self.rollouts)} for r, n in sorted(self.by_rule.items())},
            **{f"by_{g}": {str(k): {"rollouts": v[0], "gamed": v[1], "hack_rate": rate(v[1], v[0])}
                           for k, v in sorted(t.items(), key=lambda kv: (str(type(kv[0])), kv[0]))}
               for g, t in self.groups.items() if t},
            "top_gamed_by_reward": [e for _, _, e in sorted(self.top, reverse=True)],
            **({"judge": {**{k: self.judge[k] for k in ("calls", "gamed", "errors", "tokens_in", "tokens_out")},
                          "cost_usd": round(self.judge_cost, 6)}} if self.judge else {}),
            "errors": self.errors,
        }

    def text(self) -> str:
        d = self.to_dict()
        from specgap.rules import rollout_rules

        of_rollout = {r.id for r in rollout_rules()}.__contains__
        lines = []
        for f in self.shown:
            # a transcript rule's finding is about the rollout; a scan rule's names the file it read
            where = f"turn {f.turn}" + (f" call {f.call_id}" if f.call_id else "") + ("" if of_rollout(f.rule_id) else f" {f.path}")
            lines.append(visible(f"{f.rollout_id}: {where}: {f.rule_id} {f.name} [{f.severity.value}/{f.confidence.value}] {f.message}"))
            lines += ["    > " + visible(ln) for ln in f.evidence.splitlines()[:6]]
        if self.findings > len(self.shown):
            lines.append(f"... {self.findings - len(self.shown)} more finding(s) in the results file (--output)")
        lines += [f"{d['rollouts']} rollout(s) read, {d['unreadable']} unreadable; "
                 f"{d['gamed']} gamed at {self.fail_on.value} or above (hack rate {d['hack_rate']:.1%}); "
                 f"{d['findings']} finding(s)"]
        if d["by_rule"]:
            lines.append("by rule:")
            lines += [f"  {r:<8} {v['rollouts']:>7} rollout(s)  {v['rate']:.1%}" for r, v in d["by_rule"].items()]
        for g in ("model", "run", "step"):
            if f"by_{g}" in d:
                lines.append(f"by {g}:")
                lines += [visible(f"  {k:<40} {v['gamed']:>6}/{v['rollouts']:<7} {v['hack_rate']:.1%}") for k, v in d[f"by_{g}"].items()]
        if d["top_gamed_by_reward"]:
            lines.append("gamed rollouts, highest reward first:")
            lines += [visible(f"  {e['rollout_id']}  reward={e['reward']}  {','.join(e['rules'])}"
                              + ("" if e["rollout_id"].startswith(e["source"]) else f"  ({e['source']})"))
                      for e in d["top_gamed_by_reward"]]
        if "judge" in d:
            j = d["judge"]
            lines.append(f"LLM judge (SG1190, not in the hack rate): {j['gamed']} gamed of {j['calls']} asked, {j['errors']} error(s); "
                         f"tokens {j['tokens_in']} in / {j['tokens_out']} out; cost ${j['cost_usd']:.4f}")
        if d["errors"]:
            lines.append("errors:")
            lines += [visible(f"  {e}") for e in d["errors"][:20]]
        return "\n".join(lines) + "\n"
