"""One monitor run: read the log, run every check the columns allow (overall and per group),
adjust all p-values together (Holm), and turn the significant hypotheses into findings."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable

from specgap.model import Confidence, Finding, InputError, Severity
from specgap.rules.catalog.monitor import MONITOR_RULES
from specgap.monitor.load import Log, LogError, count_non_numeric, open_log
from specgap.monitor.result import Hypothesis, Note, Outcome, Plot, label
from specgap.monitor.spec import Spec, SpecError
from specgap.monitor.stats import holm
from specgap.rules.catalog.monitor import Decoupling, DegenerateText, FlagsEverything, InSessionDivergence, LengthBias, ProxyTruthDivergence, SelfEvaluationInflation

MAX_GROUPS = 50


@dataclass
class Report:
    source: str
    spec: Spec
    rows: int = 0
    findings: list[Finding] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    plots: list[Plot] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)   # every hypothesis tested, fired or not
    audit: Any = None                                            # polars DataFrame of the audit queue

    def failing(self, threshold: Severity) -> bool:
        return any(f.severity >= threshold for f in self.findings)


def check_spec(spec: Spec) -> None:
    """Usage errors: options that only make sense in pairs or with another option."""
    pairs = [("self_rating", "independent", "--self", "--independent"), ("pred", "label", "--pred", "--label"),
             ("pair_length_a", "pair_length_b", "--pair-length-a", "--pair-length-b"),
             ("pair_text_a", "pair_text_b", "--pair-text-a", "--pair-text-b")]
    for a, b, na, nb in pairs:
        if (getattr(spec, a) is None) != (getattr(spec, b) is None):
            raise SpecError(f"{na} and {nb} go together")
    if spec.length and spec.text and spec.length == spec.text:
        raise SpecError("--length and --text name the same column")
    if (spec.truth or spec.length or spec.session or spec.pair_length_a or spec.pair_text_a) and not spec.proxy:
        raise SpecError("--truth, --length, --session and pairwise options need --proxy")
    if spec.text and not (spec.proxy or spec.self_rating):
        raise SpecError("--text needs --proxy (length, style, degenerate text) or --self (what drives inflation)")
    if not any([spec.proxy and (spec.truth or spec.length or spec.text or spec.pair_length_a or spec.pair_text_a),
                spec.self_rating, spec.pred]):
        raise SpecError("nothing to check: give --proxy with --truth (and/or --length/--text), "
                        "--self with --independent, or --pred with --label")
    if not 0 < spec.alpha < 1:
        raise SpecError("--alpha must be between 0 and 1")
    try:
        Severity(spec.fail_on)
    except ValueError:
        raise SpecError(f"--fail-on must be one of {', '.join(s.value for s in Severity)}") from None


def _families(df: Any, spec: Spec, group: str | None) -> Outcome:
    import polars as pl

    from specgap.monitor import classifier, divergence, length, selfeval, textgame

    calls: list[tuple[str, Callable[[], Outcome]]] = []
    for proxy in spec.proxy:
        for truth in spec.truth:
            if spec.step:
                calls.append((ProxyTruthDivergence.id, partial(divergence.divergence, df, proxy, truth, group)))
                calls.append((Decoupling.id, partial(divergence.decoupling, df, proxy, truth, group)))
            if spec.session:
                calls.append((InSessionDivergence.id, partial(divergence.in_session, df, proxy, truth, spec.session, group)))
        if spec.length or spec.text:
            for truth in spec.truth or [None]:
                calls.append((LengthBias.id, partial(length.pointwise, df, proxy, truth, spec.length, spec.text, group,
                                               spec.group if group is None else None, spec.step is not None)))
        if spec.pair_length_a or spec.pair_text_a:
            la = pl.col(spec.pair_length_a) if spec.pair_length_a else length.words(spec.pair_text_a)  # type: ignore[arg-type]
            lb = pl.col(spec.pair_length_b) if spec.pair_length_b else length.words(spec.pair_text_b)  # type: ignore[arg-type]
            for truth in spec.truth or [None]:
                calls.append((LengthBias.id, partial(length.pairwise, df, proxy, truth, la, lb, group)))
        if spec.text:
            calls.append((DegenerateText.id, partial(textgame.degenerate_text, df, proxy, spec.text, group,
                                           spec.truth[0] if spec.truth else None)))
    if spec.self_rating and spec.independent:
        calls.append((SelfEvaluationInflation.id, partial(selfeval.self_inflation, df, spec.self_rating, spec.independent, spec.text,
                                       group)))
    if spec.pred and spec.label:
        calls.append((FlagsEverything.id, partial(classifier.flagging, df, spec.pred, spec.label, group, spec.step is not None)))
    out = Outcome()
    for rule_id, call in calls:
        try:
            out.extend(call())
        except Exception as exc:  # one check's failure on odd data must not lose the others' results
            out.notes.append(Note(rule_id, group, f"internal error, check skipped: {type(exc).__name__}: {exc}"))
    return out


def run(paths: list[str], spec: Spec) -> Report:
    """Raises SpecError / LogError for unusable input; everything else ends up in the report."""
    import polars as pl

    check_spec(spec)
    log: Log = open_log(paths, spec)
    try:
        df = log.frame.collect()
        bad = count_non_numeric(log, spec)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise LogError(f"{log.label}: cannot read: {str(exc).strip().splitlines()[0][:300]}") from None
    if df.height == 0:
        raise LogError(f"{log.label}: no rows")
    report = Report(source=log.label, spec=spec, rows=df.height)
    report.notes += [Note("input", None, n) for n in log.notes]
    report.notes += [Note("input", None, f"{c}: {k} value(s) were not finite numbers and were ignored")
                     for c, k in bad.items()]
    outcome = _families(df, spec, None)
    if spec.group:
        groups = df.get_column(spec.group).drop_nulls().unique().sort().to_list()
        if len(groups) > MAX_GROUPS:
            report.notes.append(Note("input", None, f"{spec.group}: {len(groups)} groups; per-group checks "
                                                    f"run only up to {MAX_GROUPS} groups, so only overall"))
        elif len(groups) > 1:
            for g in groups:
                outcome.extend(_families(df.filter(pl.col(spec.group) == g), spec, str(g)))
    report.notes += outcome.notes
    report.plots = outcome.plots
    _decide(report, outcome.hypotheses, log.label)
    if spec.audit or spec.proxy:
        from specgap.monitor import audit

        report.audit = audit.queue(df, spec, spec.audit_size)
    return report


def _decide(report: Report, hyps: list[Hypothesis], path: str) -> None:
    """Holm across every hypothesis of the run: the run's false-alarm rate stays at alpha."""
    alpha = report.spec.alpha
    ps = [h.p if math.isfinite(h.p) else 1.0 for h in hyps]
    adj = holm(ps)
    for h, p, pa in zip(hyps, ps, adj):
        fired = pa < alpha
        report.checks.append(_clean({"rule_id": h.rule_id, "group": label(h.group), "fired": fired,
                                     "p_value": p, "p_adjusted": pa, "severity": h.severity, "message": h.message,
                                     "effect": h.stats.get("effect"), "n": h.stats.get("n")}))
        if not fired:
            continue
        rule = MONITOR_RULES[h.rule_id]
        st = {**_clean(h.stats), "p_value": p, "p_adjusted": pa, "alpha": alpha, "tests_in_run": len(hyps)}
        report.findings.append(Finding(
            rule_id=rule.id, name=rule.name, kind=rule.kind, severity=Severity(h.severity),
            confidence=Confidence.HIGH if pa < alpha / 10 else Confidence.MEDIUM,
            path=path, line=max(int(h.line), 0), end_line=max(int(h.line), 0),
            message=h.message + ("" if h.group is None else f" (group {h.group})"),
            evidence=h.evidence, stats=st, group=h.group))
    report.findings.sort(key=lambda f: (-list(Severity).index(f.severity), f.stats["p_adjusted"], f.rule_id))


def _clean(v: Any) -> Any:
    """JSON-safe stats: NaN and infinities become None, numpy scalars become Python numbers."""
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v
