"""SG808: outputs that score high on a text metric but are degenerate.

Text statistics per output: word count, distinct-word ratio (repetition), the most frequent
word's share (keyword stuffing) and the function-word ratio (real sentences need "the", "of",
"and"; a bag of keywords does not). An output is degenerate when one of them is an outlier in the
bad direction (robust z beyond 3.5, Iglewicz and Hoaglin's cut-off), or when it is degenerate on
its face whatever the rest of the log looks like (robust cut-offs break down once gaming is
common): 8+ words without a single function word, one word making up 30%+ of 10+ words, or
fewer than 40% distinct words among 20+. The test: are degenerate outputs over-represented among
the top quarter by the metric (Fisher's exact test)?

Logs of more than MAX_ROWS scored outputs are tested on a uniform sample of about MAX_ROWS: a row is
kept when a hash of its row number falls below a threshold (`sample`), so every shard keeps its part
of the same sample on any engine, and the parts are joined.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import stats as st

from specgap.monitor import stats
from specgap.monitor.load import ROW
from specgap.monitor.result import Hypothesis, Note, Outcome, Plot
from specgap.rules.catalog.monitor import DegenerateText

if TYPE_CHECKING:
    import polars as pl

MIN_ROWS = 40
MAX_ROWS = 200_000  # text statistics cost ~50us a row: larger logs are tested on a uniform random sample
FULL = 2**64 - 1    # hash threshold that keeps every row
SEED = 808
ROBUST_Z = 3.5
FUNCTION_WORDS = ("the a an of to in and or but is are was were be it that this for on with as by at from "
                  "not no can will would should do does did have has had i you he she we they its their").split()
# feature -> the direction that is degenerate (-1: too low, +1: too high, 0: either way)
FEATURES = {"log_words": 0, "distinct_ratio": -1, "top_word_share": 1, "function_ratio": -1}
REASONS = {"log_words": "length", "distinct_ratio": "repetition", "top_word_share": "keyword stuffing",
           "function_ratio": "no sentence structure"}


def text_features() -> "list[pl.Expr]":
    """Feature expressions over a `__toks` column (the lower-cased words, tokenized once)."""
    import polars as pl

    toks = pl.col("__toks")
    n = toks.list.len().cast(pl.Float64)
    safe = pl.when(n > 0).then(n).otherwise(None)
    return [
        n.log1p().alias("log_words"),
        (toks.list.n_unique() / safe).alias("distinct_ratio"),
        (toks.list.eval(pl.element().unique_counts().max()).list.first() / safe).alias("top_word_share"),
        (toks.list.eval(pl.element().is_in(FUNCTION_WORDS).sum()).list.first() / safe).alias("function_ratio"),
    ]


def _robust_z(v: np.ndarray) -> np.ndarray:
    med = np.nanmedian(v)
    mad = np.nanmedian(np.abs(v - med)) * 1.4826
    if not mad:
        q75, q25 = np.nanpercentile(v, [75, 25])
        mad = (q75 - q25) / 1.349
    return (v - med) / mad if mad else np.zeros_like(v)


def _scored(frame: "pl.LazyFrame", proxy: str, text: str, truth: str | None) -> "pl.LazyFrame":
    import polars as pl

    return frame.drop_nulls([proxy] + ([truth] if truth else [])).filter(pl.col(text).is_not_null())


def counts(frame: "pl.LazyFrame", proxy: str, text: str, truth: str | None, by: list[str] | None = None,
           per_step: bool = False) -> "pl.LazyFrame":
    """Scored outputs (per group): how many there are to sample from."""
    from specgap.monitor import aggregate

    return aggregate.moments(_scored(frame, proxy, text, truth), [proxy], by, False)


def threshold(n: int) -> int:
    """The hash threshold that keeps about MAX_ROWS of `n` rows (all of them when there are no more)."""
    return FULL if n <= MAX_ROWS else int(MAX_ROWS / n * 2**64)


def row_hash() -> "pl.Expr":
    import polars as pl

    return pl.col(ROW).cast(pl.Int64).hash(seed=SEED)


def sample(frame: "pl.LazyFrame", proxy: str, text: str, truth: str | None, keep: "pl.Expr | int",
           by: list[str] | None = None, per_step: bool = False) -> "pl.LazyFrame":
    """The scored outputs whose row hash is at most `keep` (a threshold, or an expression of one per group)."""
    import polars as pl

    cols = [*(by or []), ROW, proxy, *([truth] if truth else [])]
    # the kept texts are copied (concat_str writes new strings): a filtered string column is views into its
    # chunk's buffers, so the sample would otherwise hold the text of every row read (0.7 -> 1.2 GiB from 2.5M
    # to 5M rows, bench/monitor_checks_memory.py --check text)
    return (_scored(frame, proxy, text, truth).filter(row_hash() <= keep)
            .select([*cols, pl.concat_str([pl.col(text), pl.lit("")]).alias(text)]))


def on_rows(df: "pl.DataFrame", proxy: str, text: str, group: str | None, truth: str | None = None) -> Outcome:
    """SG808 on a log in memory: the same sample as from shards, then `degenerate_text`."""
    n = int(counts(df.lazy(), proxy, text, truth).collect().get_column("n").sum())
    return degenerate_text(sample(df.lazy(), proxy, text, truth, threshold(n)).collect(), proxy, text, group, truth, n)


def degenerate_text(d: "pl.DataFrame", proxy: str, text: str, group: str | None, truth: str | None,
                    scored: int) -> Outcome:
    """`d`: the sampled scored outputs (all of them up to MAX_ROWS) of the `scored` ones. With a truth,
    "high scores" means high relative to the truth (proxy percentile minus truth percentile), so that
    long outputs which are genuinely better do not count against the metric."""
    import polars as pl

    out = Outcome()
    sampled = scored > MAX_ROWS
    d = (d.sort(ROW).with_columns(pl.col(text).str.to_lowercase().str.extract_all(r"[\w']+").alias("__toks"))
         .with_columns(text_features()).drop("__toks"))
    n = d.height
    if n < MIN_ROWS:
        out.notes.append(Note(DegenerateText.id, group, f"{proxy}: {n} output(s) with a score; degenerate-text check needs {MIN_ROWS}"))
        return out
    flags = np.zeros(n, bool)
    why: list[list[str]] = [[] for _ in range(n)]
    for feat, sign in FEATURES.items():
        z = _robust_z(d.get_column(feat).to_numpy().astype(float))
        hit = np.nan_to_num(np.abs(z) if sign == 0 else sign * z, nan=0.0) > ROBUST_Z
        flags |= hit
        for i in np.flatnonzero(hit):
            why[i].append(REASONS[feat] if feat != "log_words" else ("too long" if z[i] > 0 else "too short"))
    nw = np.expm1(d.get_column("log_words").to_numpy())
    for reason, hit in (
        ("no sentence structure", (nw >= 8) & (d.get_column("function_ratio").fill_null(1).to_numpy() == 0)),
        ("keyword stuffing", (nw >= 10) & (d.get_column("top_word_share").fill_null(0).to_numpy() >= 0.3)),
        ("repetition", (nw >= 20) & (d.get_column("distinct_ratio").fill_null(1).to_numpy() < 0.4)),
    ):
        for i in np.flatnonzero(hit & ~np.array([reason in w for w in why])):
            why[i].append(reason)
        flags |= hit
    score = d.get_column(proxy).to_numpy().astype(float)
    rank_by = score
    if truth:
        # percentile gap as in the audit queue: a regression on the truth would absorb the gaming
        # itself when gamed outputs are common (high proxy, low truth bends the fitted line)
        t = d.get_column(truth).to_numpy().astype(float)
        rank_by = (st.rankdata(score) - st.rankdata(t)) / n
    top = rank_by >= np.quantile(rank_by, 0.75)
    a, b = int((flags & top).sum()), int((~flags & top).sum())
    c, e = int((flags & ~top).sum()), int((~flags & ~top).sum())
    share_top = a / max(a + b, 1)
    share_rest = c / max(c + e, 1)
    if flags.mean() >= 0.5:
        out.notes.append(Note(DegenerateText.id, group, f"{proxy}: {flags.mean():.0%} of {n} outputs look degenerate, too many "
                                              "for a top-versus-rest comparison to separate; review the audit queue"))
    p = float(st.fisher_exact([[a, b], [c, e]], alternative="greater").pvalue)
    h = stats.cohen_h(share_top, share_rest)
    order = np.argsort(-rank_by)
    examples = []
    texts = d.get_column(text).to_list()
    rows = d.get_column(ROW).to_list()
    for i in order:
        if flags[i] and top[i]:
            snippet = " ".join(str(texts[i]).split())[:80]
            examples.append({"row": int(rows[i]), "score": float(score[i]), "why": why[i], "text": snippet})
        if len(examples) == 5:
            break
    ex = "; ".join(f"row {x['row']} ({', '.join(x['why'])}): \"{x['text'][:50]}\"" for x in examples[:2])
    out.hypotheses.append(Hypothesis(
        DegenerateText.id, group, p, stats.d_severity(h) if h > 0 else "low",
        f"high {proxy} scores go to degenerate outputs" + (f" (beyond what {truth} explains)" if truth else ""),
        f"{share_top:.0%} of the top-quartile outputs by {proxy}{' beyond ' + truth if truth else ''} are degenerate vs {share_rest:.0%} of the rest "
        f"(Fisher {stats.fmt_p(p)}, n={n})" + (f"; e.g. {ex}" if ex else ""),
        {"effect": h, "effect_unit": "Cohen's h, degenerate share top quartile vs rest", "n": n, "proxy": proxy,
         "sampled_from": scored if sampled else None,
         "degenerate_top": a, "top": a + b, "degenerate_rest": c, "rest": c + e,
         "ci_top": list(stats.wilson(a, a + b)), "ci_rest": list(stats.wilson(c, c + e)), "examples": examples},
        rows=(min(x["row"] for x in examples), max(x["row"] for x in examples)) if examples else None))
    out.plots.append(Plot("text", f"{proxy}: degenerate outputs", {
        "score": score[:3000].tolist(), "degenerate": flags[:3000].tolist(),
        "distinct": d.get_column("distinct_ratio").fill_null(0).to_numpy()[:3000].tolist(), "proxy_name": proxy}, group))
    return out
