"""One monitor run: read the log, run every check the columns allow (overall and per group),
adjust all p-values together (Holm), and turn the significant hypotheses into findings."""

from __future__ import annotations

import hashlib
import math
import tempfile
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Callable

from specgap.model import Confidence, Finding, InputError, Severity
from specgap.monitor.load import Log, LogError, count_non_numeric, open_log, read_error, step_from_order, step_order
from specgap.monitor.result import Hypothesis, Note, Outcome, Plot, label
from specgap.monitor.spec import Spec, SpecError
from specgap.monitor.stats import holm
from specgap.rules.catalog.monitor import (
    Decoupling,
    DegenerateText,
    FlagsEverything,
    InSessionDivergence,
    LengthBias,
    MONITOR_RULES,
    ProxyTruthDivergence,
    SelfEvaluationInflation,
)

MAX_GROUPS = 50
LARGE_ROWS = 2_000_000   # above this, step-only runs stream per-step moments instead of loading the rows
BATCH_ROWS = 500_000     # rows of a Parquet file read in one pass on large logs (`_batches`)
PART = "__part"          # a row's partition of cells, in the folders `partitioned` writes
# rows a partition's writer holds before writing them: each open partition holds one such group (125 partitions
# of 20M rows: 1.06 GiB with polars' default, 0.59 GiB with this)
SPILL_GROUP_ROWS = 16_384
ENGINES = ("polars", "ray")


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
             ("pair_text_a", "pair_text_b", "--pair-text-a", "--pair-text-b"),
             ("pair_model_a", "pair_model_b", "--pair-model-a", "--pair-model-b")]
    for a, b, na, nb in pairs:
        if (getattr(spec, a) is None) != (getattr(spec, b) is None):
            raise SpecError(f"{na} and {nb} go together")
    if spec.length and spec.text and spec.length == spec.text:
        raise SpecError("--length and --text name the same column")
    if (spec.truth or spec.length or spec.session or spec.pair_length_a or spec.pair_text_a or spec.model
            or spec.prompt) and not spec.proxy:
        raise SpecError("--truth, --length, --session, --model, --prompt and pairwise options need --proxy")
    if spec.pair_model_a and not (spec.pair_length_a or spec.pair_text_a):
        raise SpecError("--pair-model-a/--pair-model-b need the pair's lengths or texts (--pair-length-a/b or "
                        "--pair-text-a/b)")
    if spec.model and not (spec.length or spec.text):
        raise SpecError("--model needs --length or --text (pointwise length bias); for pairs use --pair-model-a/b")
    if spec.text and not (spec.proxy or spec.self_rating):
        raise SpecError("--text needs --proxy (length, style, degenerate text) or --self (what drives inflation)")
    if not any([spec.proxy and (spec.truth or spec.length or spec.text or spec.pair_length_a or spec.pair_text_a),
                spec.self_rating, spec.pred]):
        raise SpecError("nothing to check: give --proxy with --truth (and/or --length/--text), "
                        "--self with --independent, or --pred with --label")
    if spec.truth_reliability is not None:
        if not 0 < spec.truth_reliability <= 1:
            raise SpecError("--truth-reliability must be above 0 and at most 1")
        if not (spec.truth and (spec.length or spec.text)):
            raise SpecError("--truth-reliability applies to the pointwise length check: give --truth and "
                            "--length or --text")
    if not 0 < spec.alpha < 1:
        raise SpecError("--alpha must be between 0 and 1")
    try:
        Severity(spec.fail_on)
    except ValueError:
        raise SpecError(f"--fail-on must be one of {', '.join(s.value for s in Severity)}") from None


def _families(df: Any, spec: Spec, group: str | None) -> Outcome:
    from specgap.monitor import aggregate, classifier, divergence, length, pairs, selfeval, textgame

    calls: list[tuple[str, Callable[[], Outcome]]] = []
    for proxy in spec.proxy:
        for truth in spec.truth:
            if spec.step:
                m = aggregate.moments(df.lazy(), [proxy, truth]).collect()
                calls.append((ProxyTruthDivergence.id, partial(divergence.divergence, m, proxy, truth, group)))
                calls.append((Decoupling.id, partial(divergence.decoupling, m, proxy, truth, group)))
            if spec.session:
                calls.append((InSessionDivergence.id, partial(divergence.on_rows_in_session, df, proxy, truth, spec.session, group)))
        if spec.length or spec.text:
            for truth in spec.truth or [None]:
                calls.append((LengthBias.id, partial(length.pointwise, df, proxy, truth, spec.length, spec.text, group,
                                               spec.group if group is None else None, spec.step is not None,
                                               spec.model, spec.prompt, spec.truth_reliability)))
        if spec.pair_length_a or spec.pair_text_a:
            la, lb = _pair_lengths(spec)
            for truth in spec.truth or [None]:
                calls.append((LengthBias.id, partial(pairs.on_rows, df, proxy, truth, la, lb, group, spec.pair_model_a,
                                               spec.pair_model_b, spec.prompt)))
        if spec.text:
            calls.append((DegenerateText.id, partial(textgame.on_rows, df, proxy, spec.text, group,
                                           spec.truth[0] if spec.truth else None)))
    if spec.self_rating and spec.independent:
        calls.append((SelfEvaluationInflation.id, partial(selfeval.on_rows, df, spec.self_rating, spec.independent, spec.text,
                                       group)))
    if spec.pred and spec.label:
        c = aggregate.flag_counts(df.lazy(), spec.pred, spec.label, per_step=spec.step is not None).collect()
        calls.append((FlagsEverything.id, partial(classifier.flagging, c, spec.pred, spec.label, group, spec.step is not None)))
    out = Outcome()
    for rule_id, call in calls:
        try:
            out.extend(call())
        except Exception as exc:  # one check's failure on odd data must not lose the others' results
            out.notes.append(Note(rule_id, group, f"internal error, check skipped: {type(exc).__name__}: {exc}"))
    return out


def _pair_lengths(spec: Spec) -> tuple[Any, Any]:
    """The two outputs' lengths: the length columns, or the word counts of the texts."""
    import polars as pl

    from specgap.monitor import length

    if spec.pair_length_a:
        return pl.col(spec.pair_length_a), pl.col(spec.pair_length_b)
    return length.words(spec.pair_text_a), length.words(spec.pair_text_b)  # type: ignore[arg-type]


def run(paths: list[str], spec: Spec, engine: str = "polars") -> Report:
    """Raises SpecError / LogError for unusable input; everything else ends up in the report.

    Logs of more than LARGE_ROWS rows, and every `--engine ray` run, go through aggregates (per-step
    moments, cells, a hashed sample, the audit queue's shard tops) streamed from the files: memory does
    not grow with the number of rows. Smaller logs are loaded, for the plots that show rows."""
    import polars as pl

    check_spec(spec)
    if engine not in ENGINES:
        raise SpecError(f"--engine must be one of {', '.join(ENGINES)}")
    log: Log = open_log(paths, spec)
    try:
        rows = int(log.frame.select(pl.len()).collect(engine="streaming").item())
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise read_error(log, exc) from None
    if engine == "ray" or rows > LARGE_ROWS:
        return _run_on_moments(log, spec, engine, rows)
    try:
        df = log.frame.collect()
        bad = count_non_numeric(log, spec)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise read_error(log, exc) from None
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


def _run_on_moments(log: Log, spec: Spec, engine: str, rows: int) -> Report:
    """Every check on aggregates (moments, cells, counts, a hashed sample, shard tops): streamed by polars,
    or combined from Ray shards; the same aggregate code as on rows in memory."""
    import polars as pl

    from specgap.monitor import aggregate, audit, classifier, divergence, length, pairs, selfeval

    if rows == 0:
        raise LogError(f"{log.label}: no rows")
    report = Report(source=log.label, spec=spec, rows=rows)
    tmp = tempfile.TemporaryDirectory(prefix="specgap-cells-")   # partitions of cells; a CSV or JSONL log as Parquet
    if engine == "polars" and not all(f.lower().endswith(".parquet") for f in log.files):
        try:
            log = _as_parquet(log, spec, Path(tmp.name))
        except BaseException:
            tmp.cleanup()
            raise
    batches = _batches(log, spec) if engine == "polars" else []
    made: list[Path] = []
    by = [spec.group] if spec.group else []
    per_step = spec.step is not None
    if engine == "ray":
        from specgap.monitor import shards
    step_expr: list[Any] = []

    def compute(part: Callable[..., Any], prepare: Any = None, step: bool = per_step,
                levels: list[str] | None = None, merge: bool = True, where: Any = None,
                whole: bool = False) -> pl.DataFrame:
        """One aggregate of the whole log (or of the rows `where` holds), per (group, step, levels):
        `part(frame, by=..., per_step=...)`; without `merge`, the shards' (or batches') parts joined as they
        are (a sample). `whole`: in one pass over all files, not in batches (a part that does not add up)."""
        fn = partial(_aggregate_part, part=part, prepare=[*step_expr, *_listed(prepare)], by=by, per_step=step,
                     where=where)
        if engine == "ray" or (batches and not whole):
            parts = _gather(shards.aggregates(log.files, spec, fn) if engine == "ray" else
                            (fn(open_log(fs, spec, row_offset=o, window=w).frame).collect(engine="streaming")
                             for fs, o, w in batches),
                            partial(aggregate.combine, by=by, per_step=step, levels=levels) if merge else None)
        else:
            parts = fn(log.frame).collect(engine="streaming")
        return aggregate.combine(parts, by, step, levels) if merge else parts

    def partitioned(part: Callable[..., Any], prepare: Any, step: bool, levels: list[str],
                    key: list[str]) -> list[tuple[str | None, list[Callable[[], pl.DataFrame]]]]:
        """Per group, loaders of an aggregate with too many cells for one group-by in memory: computed in
        partitions by a hash of `key` (a partition holds all cells of a key's value), each kept on disk."""
        # Ray's shards' estimates are summed (more than the cells, never fewer); one machine counts in one pass
        cells = int(compute(partial(_whole, part=partial(aggregate.distinct, cols=[*aggregate.keys(by, step), *levels])),
                            prepare, merge=False, whole=True).get_column("cells").sum())
        n = aggregate.partitions(cells)
        if n == 1:
            return [(g, [partial(lambda m: m, m)]) for g, m in per_group(compute(part, prepare, step, levels), step, levels)]
        rows = spill(key, n, prepare) if engine == "polars" and hasattr(pl, "PartitionBy") else None
        files, groups = [], set()
        for i in range(n):
            if rows is None:
                m = compute(part, prepare, step, levels, where=aggregate.in_partition(key, i, n))
            else:
                m = aggregate.combine(part(rows.filter(pl.col(PART) == i).drop(PART), by=by, per_step=step)
                                      .collect(engine="streaming"), by, step, levels)
            if by and len(groups) <= MAX_GROUPS:
                groups.update(m.get_column(spec.group).drop_nulls().unique().to_list())
            files.append(Path(tmp.name) / f"cells-{len(made)}.parquet")
            made.append(files[-1])
            m.write_parquet(files[-1])
            del m
        read = lambda f, g: (aggregate.combine(pl.read_parquet(f), None, step, levels) if g is None and by  # noqa: E731
                             else pl.read_parquet(f) if g is None
                             else pl.read_parquet(f).filter(pl.col(spec.group) == g).drop(spec.group))
        out: list[tuple[str | None, list[Callable[[], pl.DataFrame]]]] = [(None, [partial(read, f, None) for f in files])]
        if len(groups) > MAX_GROUPS:
            report.notes.append(Note("input", None, f"{spec.group}: more than {MAX_GROUPS} groups; per-group checks "
                                                    f"run only up to {MAX_GROUPS} groups, so only overall"))
        elif len(groups) > 1:
            out += [(str(g), [partial(read, f, g) for f in files]) for g in sorted(groups)]
        return out

    def spill(key: list[str], n: int, prepare: Any) -> pl.LazyFrame:
        """The log's rows, prepared, written in one streamed pass to a folder per partition of `key` (polars'
        partitioned sink), and a scan of them that reads only the partition it is filtered to. Reading the whole
        log once per partition instead is n passes: 125 of 100M rows for SG809's session cells."""
        d = Path(tmp.name) / f"rows-{len(made)}"
        made.append(d)
        (log.frame.with_columns([*step_expr, *_listed(prepare)]).with_columns(aggregate.partition_of(key, n).alias(PART))
         .sink_parquet(pl.PartitionBy(d, key=PART, include_key=False), mkdir=True, row_group_size=SPILL_GROUP_ROWS))
        return pl.scan_parquet(d, hive_partitioning=True)

    def per_group(m: pl.DataFrame, step: bool = per_step,
                  levels: list[str] | None = None) -> list[tuple[str | None, pl.DataFrame]]:
        parts: list[tuple[str | None, pl.DataFrame]] = [(None, aggregate.combine(m, None, step, levels) if by else m)]
        groups = sorted(m.get_column(spec.group).drop_nulls().unique().to_list()) if by else []
        if len(groups) > MAX_GROUPS:
            report.notes.append(Note("input", None, f"{spec.group}: {len(groups)} groups; per-group checks "
                                                    f"run only up to {MAX_GROUPS} groups, so only overall"))
        elif len(groups) > 1:
            parts += [(str(g), m.filter(pl.col(spec.group) == g).drop(spec.group)) for g in groups]
        return parts

    try:
        if spec.step and not _numeric_or_date(log.frame.collect_schema()[spec.step]):
            # labels are ordered by their first row in the whole log: a first pass finds it, so that every
            # shard numbers the steps alike (and no window over the whole log is held)
            order = compute(partial(_whole, part=partial(step_order, step=spec.step)), merge=False)
            step_expr.append(step_from_order(order, spec.step))
        bad = count_non_numeric(log, spec, streaming=True)
        report.notes += [Note("input", None, n) for n in log.notes]
        report.notes += [Note("input", None, f"{c}: {k} value(s) were not finite numbers and were ignored")
                         for c, k in bad.items()]
        outcome = Outcome()
        for proxy in spec.proxy:
            for truth in spec.truth if spec.step else []:
                for g, mg in per_group(compute(partial(aggregate.moments, cols=[proxy, truth]))):
                    outcome.extend(divergence.divergence(mg, proxy, truth, g))
                    outcome.extend(divergence.decoupling(mg, proxy, truth, g))
            if spec.length or spec.text:
                prepare = [length.loglen(spec.length, spec.text)]
                levels = [c for c in (spec.model, spec.prompt) if c]
                for truth in spec.truth or [None]:
                    cols = [proxy, length.LOGLEN] + ([truth] if truth else [])
                    tested: set[str | None] = set()   # the groups SG810 runs in, as on the rows
                    if levels:
                        cells = compute(partial(aggregate.moments, cols=cols, levels=levels), prepare, False, levels)
                        for g, mg in per_group(cells, False, levels):
                            outcome.extend(length.controlled(mg, proxy, truth, spec.model, spec.prompt, g,
                                                             spec.truth_reliability))
                            tested.add(g)
                    else:
                        m = compute(partial(aggregate.moments, cols=cols), prepare)
                        by_group = aggregate.combine(m, by, False) if by else None
                        for g, mg in per_group(m):
                            res = length.on_moments(mg, proxy, truth, g, per_step, by_group if g is None else None,
                                                    spec.truth_reliability)
                            outcome.extend(res)
                            if res.hypotheses:
                                tested.add(g)
                    if truth and spec.text and tested:
                        sm = compute(partial(aggregate.moments, cols=length.style_cols(proxy, truth)),
                                     [*prepare, *length.style_features(spec.text)], False)
                        for g, mg in per_group(sm, False):
                            if g in tested:
                                outcome.extend(length.style(mg, proxy, truth, g))
            if spec.pair_length_a or spec.pair_text_a:
                prepare = pairs.prepare(*_pair_lengths(spec), pairs.BIN_WIDTH if rows > pairs.EXACT_ROWS else 0.0)
                for truth in spec.truth or [None]:
                    levels = pairs.levels(truth, spec.pair_model_a, spec.pair_model_b, spec.prompt)
                    # prompts' terms are fitted partition by partition: a prompt's cells stay together
                    for g, parts in partitioned(partial(pairs.cells, proxy=proxy, truth=truth, model_a=spec.pair_model_a,
                                                        model_b=spec.pair_model_b, prompt=spec.prompt),
                                                prepare, False, levels, [spec.prompt] if spec.prompt else levels):
                        outcome.extend(pairs.pairwise_parts(parts, proxy, truth, g, spec.pair_model_a,
                                                            spec.pair_model_b, spec.prompt))
            if spec.text:
                _degenerate(report, outcome, compute, per_group, proxy, spec.truth[0] if spec.truth else None)
            for truth in spec.truth if spec.session else []:
                sd = {g: aggregate.total(m, 0)[2] for g, m in per_group(
                    compute(partial(aggregate.moments, cols=[truth]), None, False), False)}
                for g, parts in partitioned(partial(divergence.session_cells, proxy=proxy, truth=truth,
                                                    session=spec.session), None, True, [spec.session], [spec.session]):
                    outcome.extend(divergence.in_session_parts(parts, sd[g], proxy, truth, spec.session, g))
        if spec.self_rating and spec.independent:
            levels = selfeval.levels(spec.self_rating, spec.independent, spec.text is not None)
            c = compute(partial(selfeval.cells, self_col=spec.self_rating, indep=spec.independent, text=spec.text,
                                keep_rows=rows <= selfeval.EXACT_ROWS),
                        selfeval.prepare(spec.self_rating, spec.independent, spec.text, rows), False, levels)
            for g, cg in per_group(c, False, levels):
                outcome.extend(selfeval.self_inflation(cg, spec.self_rating, spec.independent, spec.text is not None, g))
        if spec.pred and spec.label:
            for g, c in per_group(compute(partial(aggregate.flag_counts, pred=spec.pred, label=spec.label))):
                outcome.extend(classifier.flagging(c, spec.pred, spec.label, g, per_step))
        if spec.audit and audit.columns(spec):
            hi, lo = audit.columns(spec)  # type: ignore[misc]
            pct = [audit.percentiles(compute(partial(_whole, part=partial(audit.values, hi=hi, lo=lo, col=c, rows=rows)),
                                             merge=False), c) for c in (hi, lo)]
            report.audit = audit.finish(compute(partial(_whole, part=partial(
                audit.top, spec=spec, pct_hi=pct[0], pct_lo=pct[1], rows=rows, size=spec.audit_size)), merge=False),
                spec.audit_size)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise read_error(log, exc) from None
    finally:
        tmp.cleanup()
    report.notes += outcome.notes
    report.plots = outcome.plots
    report.notes.append(Note("input", None, f"{rows:,} rows read as per-step aggregates ({engine}); "
                                            "no scatter plots (they show rows)"
                                            + ("" if spec.audit else "; the audit queue only with --audit")))
    _decide(report, outcome.hypotheses, log.label)
    return report


def _degenerate(report: Report, outcome: Outcome, compute: Callable[..., Any], per_group: Callable[..., Any],
                proxy: str, truth: str | None) -> None:
    """SG808 on the shards' parts of one sample: a row is kept when its hash is below its group's
    threshold or the whole log's (`textgame.sample`); each check then takes its own share of it."""
    import polars as pl

    from specgap.monitor import textgame

    spec = report.spec
    text = spec.text
    assert text is not None
    counts = {g: int(m.get_column("n").sum())
              for g, m in per_group(compute(partial(textgame.counts, proxy=proxy, text=text, truth=truth), None, False), False)}
    keep_all = textgame.threshold(counts[None])
    keep: Any = keep_all
    if len(counts) > 1 and spec.group:
        # a chain of literals, not `replace_strict`: with a lookup in the filter polars' streaming engine held
        # memory that grew with the rows read (0.47 -> 1.16 GiB from 2.5M to 5M rows)
        keep = pl.lit(keep_all, pl.UInt64)
        for g, n in counts.items():
            if g is not None:
                keep = pl.when(pl.col(spec.group).cast(pl.String) == g).then(
                    pl.lit(max(textgame.threshold(n), keep_all), pl.UInt64)).otherwise(keep)
    smp = compute(partial(textgame.sample, proxy=proxy, text=text, truth=truth, keep=keep), None, False, merge=False)
    for g, n in counts.items():
        sub = smp if g is None else smp.filter(pl.col(spec.group).cast(pl.String) == g)
        sub = sub.filter(textgame.row_hash() <= textgame.threshold(n))
        outcome.extend(textgame.degenerate_text(sub, proxy, text, g, truth, n))


def _as_parquet(log: Log, spec: Spec, tmp: Path) -> Log:
    """A CSV or JSONL log written once to Parquet, file by file (the columns asked for, as read: one streamed
    pass), so that the passes that follow read it in batches as any Parquet log (`_batches`): polars' text
    readers cannot start inside a file. File by file because a sink keeps the rows' order, and over many
    files read at once it held the files read ahead (0.37 / 0.49 GiB for 2.5M / 5M rows of text in 10 files).
    Rows keep their numbers, findings the log's name; a malformed CSV fails here, with its line (`read_error`)."""
    import polars as pl

    out = [str(tmp / f"log-{i:05d}.parquet") for i in range(len(log.files))]
    try:
        for f, o in zip(log.files, out):
            open_log([f], spec).raw.sink_parquet(o)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise read_error(log, exc) from None
    return replace(open_log(out, spec), label=log.label, notes=log.notes)


def _batches(log: Log, spec: Spec) -> list[tuple[list[str], int, tuple[int, int] | None]]:
    """Batches of about BATCH_ROWS rows, (files, rows before the batch, window of one file or None): small
    Parquet files together, large ones in windows. polars' Parquet reader decodes ahead of a slow consumer
    (tokenizing text) by as much as the files of a pass hold, so one pass over a large log holds memory
    growing with it (the text checks' length moments: 0.94 GiB at 20M rows in 10 files, 0.25 GiB in batches
    of 500k rows, the same CPU). Empty (one pass) for other formats (one machine writes them as Parquet first,
    `_as_parquet`; Ray reads them a file per task)."""
    from specgap.monitor import shards

    if not all(f.lower().endswith(".parquet") for f in log.files):
        return []
    counts = shards.row_counts(log.files, spec)
    if sum(counts) <= BATCH_ROWS:
        return []
    out: list[tuple[list[str], int, tuple[int, int] | None]] = []
    start, group, group_start, group_rows = 0, [], 0, 0
    for f, n in zip(log.files, counts):
        if group and group_rows + n > BATCH_ROWS:
            out.append((group, group_start, None))
            group, group_rows = [], 0
        if n > BATCH_ROWS:
            out += [([f], start + a, (a, min(BATCH_ROWS, n - a))) for a in range(0, n, BATCH_ROWS)]
        else:
            group, group_start = ([*group, f], group_start) if group else ([f], start)
            group_rows += n
        start += n
    return out + ([(group, group_start, None)] if group else [])


def _gather(parts: Any, combine: Callable[..., Any] | None) -> Any:
    """The batches' (or Ray shards') parts joined; with `combine`, added up as they come whenever the parts
    held outgrow the sum so far (cells of many batches would otherwise be held side by side: 2.86 GiB for pairwise cells at
    20M rows, 1.36 GiB in one pass)."""
    import polars as pl

    from specgap.monitor import aggregate

    done: Any = None
    held: list[Any] = []
    size = 0
    for p in parts:
        held.append(p)
        size += p.height
        if combine is not None and size > max(aggregate.PART_CELLS // 4, 2 * (done.height if done is not None else 0)):
            done, held, size = combine(held if done is None else [done, *held]), [], 0
    held = held if done is None else [done, *held]
    return pl.concat(held, how="vertical_relaxed") if held else done


def _listed(prepare: Any) -> list[Any]:
    return [] if prepare is None else list(prepare) if isinstance(prepare, (list, tuple)) else [prepare]


def _numeric_or_date(dtype: Any) -> bool:
    return bool(dtype.is_numeric() or dtype.is_temporal())


def _whole(frame: Any, part: Callable[..., Any], by: list[str], per_step: bool) -> Any:
    """A part computed over the whole frame, whatever the group and step keys (the audit queue ranks all rows)."""
    return part(frame)


def _aggregate_part(frame: Any, part: Callable[..., Any], prepare: Any, by: list[str], per_step: bool,
                    where: Any = None) -> Any:
    """One shard's (or the whole log's) aggregate: the same code on every engine."""
    frame = frame.with_columns(prepare) if prepare else frame
    return part(frame if where is None else frame.filter(where), by=by, per_step=per_step)


def _decide(report: Report, hyps: list[Hypothesis], path: str) -> None:
    """Holm across every hypothesis of the run: the run's false-alarm rate stays at alpha."""
    alpha = report.spec.alpha
    ps = [h.p if math.isfinite(h.p) else 1.0 for h in hyps]
    adj = holm(ps)
    for h, p, pa in zip(hyps, ps, adj):
        fired = pa < alpha
        rule = MONITOR_RULES[h.rule_id]
        report.checks.append(_clean({"rule_id": h.rule_id, "name": rule.name, "group": label(h.group),
                                     "fired": fired, "p_value": p, "p_adjusted": pa, "severity": h.severity,
                                     "tested": _subject(h), "message": h.message, "effect": h.stats.get("effect"),
                                     "effect_unit": h.stats.get("effect_unit"), "n": h.stats.get("n"),
                                     "reason": None if fired else _why_not(h, p, pa, alpha, len(hyps))}))
        if not fired:
            continue
        st = {**_clean(h.stats), "p_value": p, "p_adjusted": pa, "alpha": alpha, "tests_in_run": len(hyps),
              "rows": list(h.rows) if h.rows else None, "step": h.step}
        confidence = Confidence.HIGH if pa < alpha / 10 else Confidence.MEDIUM
        if h.max_confidence is not None:
            confidence = min(confidence, Confidence(h.max_confidence), key=list(Confidence).index)
        where = h.where()
        report.findings.append(Finding(
            rule_id=rule.id, name=rule.name, kind=rule.kind, severity=Severity(h.severity), confidence=confidence,
            path=path, line=0, end_line=0,   # a log has rows and steps, not lines: they are in the message
            message=h.message + ("" if h.group is None else f" (group {h.group})") + (f" [{where}]" if where else ""),
            evidence=h.evidence, stats=st, group=h.group, fingerprint=fingerprint(h)))
    report.findings.sort(key=lambda f: (-list(Severity).index(f.severity), f.stats["p_adjusted"], f.rule_id,
                                        f.group or ""))


_SUBJECT_KEYS = ("proxy", "truth", "feature", "pred", "label", "self", "independent")


def _subject(h: Hypothesis) -> str:
    """What a check compared, in column names: `judge_score vs human_score`."""
    cols = [str(h.stats[k]) for k in _SUBJECT_KEYS if h.stats.get(k)]
    return " vs ".join(cols) if cols else h.rule_id


def fingerprint(h: Hypothesis) -> str:
    """Line-free identity: the check, the group and the columns it compared; not the log's name or its
    numbers, which change from run to run while the problem stays the same."""
    key = "\0".join([h.rule_id, label(h.group), *(f"{k}={h.stats.get(k)}" for k in _SUBJECT_KEYS)])
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# the parts of an intersection-union test: the one with the largest p-value is why a check did not fire
_PARTS = {
    "p_proxy_up": "the proxy did not trend up",
    "p_truth_not_up": "the truth gained more than a small effect",
    "p_proxy_gains_more": "the proxy did not gain more than the truth",
    "p_concave": "the truth has no significant peak inside the run",
    "p_truth_down_after": "the truth did not fall after its peak",
    "p_proxy_up_after": "the proxy did not keep rising after the truth's peak",
    "p_judge_pays_more_than_truth": "the judge pays no more for length than the truth does",
}


def _why_not(h: Hypothesis, p: float, pa: float, alpha: float, m: int) -> str:
    """Why a check did not fire, in terms of its test: the effect it saw and the bar it missed."""
    eff = h.stats.get("effect")
    seen = f"effect {eff:+.3g} ({h.stats.get('effect_unit', '')})" if isinstance(eff, (int, float)) and \
        math.isfinite(eff) else "no effect estimate"
    parts = {k: h.stats[k] for k in _PARTS if isinstance(h.stats.get(k), (int, float))}
    if parts:
        k = max(parts, key=parts.get)
        if parts[k] >= alpha:
            return f"not significant: {_PARTS[k]} (p={parts[k]:.2g} >= alpha={alpha}); {seen}"
    if p >= alpha:
        return f"not significant: {seen}, p={p:.2g} >= alpha={alpha}"
    return f"not significant after Holm's correction for {m} tests: {seen}, p={p:.2g}, adjusted p={pa:.2g} >= {alpha}"


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
