"""SG809's test on all sessions at once against the test run one session at a time."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from specgap.monitor import aggregate, divergence
from specgap.monitor.load import ROW, STEP
from specgap.rules.catalog.monitor import InSessionDivergence


def _log(seed: int) -> pl.DataFrame:
    """Sessions of every kind the test meets: too short, short enough for Kendall's exact p, long enough to
    be binned (in bins of one, two and more points), steps repeated inside a session, a proxy with ties
    (a share of tests passed), a constant proxy, a missing session label, feedback loops and honest ones."""
    rng = np.random.default_rng(seed)
    frames = []
    lengths = [3, 7, 8, 9, 12, 20, 33, 34, 50, 120, 200, 201, 260, 399, 401, 450, 900]
    for i, n in enumerate(lengths * 3):
        t = np.arange(n)
        prog = t / n
        loop = i % 3 == 0
        hidden = prog * (-0.4 if loop else 1.0) + rng.normal(0, 0.1, n)
        visible = prog + rng.normal(0, 0.1, n)
        if i % 4 == 1:
            visible = np.round(visible * 10) / 10   # ties
        if i % 17 == 5:
            visible = np.full(n, 0.5)               # does not vary
        if i % 5 == 2:
            t = t // 2                              # two rows per step
        frames.append(pl.DataFrame({"session": None if i == 10 else f"s{i:03d}", "turn": t,
                                    "visible_tests": visible, "hidden_tests": hidden}))
    # a session that rises perfectly (one discordant pair at most: scipy's exact p beyond 33 points)
    frames.append(pl.DataFrame({"session": "mono", "turn": np.arange(60), "visible_tests": np.arange(60) / 60.0,
                                "hidden_tests": rng.normal(0, 0.1, 60)}))
    df = pl.concat(frames, how="vertical_relaxed")
    df = df.sample(fraction=1.0, shuffle=True, seed=seed)   # rows of sessions interleaved, as in a real log
    return df.with_row_index(ROW, offset=1).with_columns(pl.col("turn").cast(pl.Float64).alias(STEP))


def _one_at_a_time(cells: pl.DataFrame, sd_t: float) -> dict:
    """The straightforward SG809 test: each session's cells in step order through `divergence.divergence`."""
    out = {}
    for (sid,), part in cells.sort("session", STEP, "row").group_by("session", maintain_order=True):
        if part.height < divergence.MIN_STEPS:
            continue
        part = part.with_columns(pl.int_range(pl.len()).cast(pl.Float64).alias(STEP))
        o = divergence.divergence(part, "visible_tests", "hidden_tests", None, rule_id=InSessionDivergence.id,
                                  margin_sd=sd_t)
        if o.hypotheses:
            out[sid] = (o.hypotheses[0].p, int(part.get_column("row")[0]))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_all_sessions_at_once_equal_one_session_at_a_time(seed):
    from specgap.monitor import sessions

    df = _log(seed)
    cells = divergence.session_cells(df.lazy(), "visible_tests", "hidden_tests", "session").collect()
    sd_t = aggregate.total(aggregate.moments(df.lazy(), ["hidden_tests"], per_step=False).collect(), 0)[2]
    ref = _one_at_a_time(cells, sd_t)
    res = sessions.pvalues(cells, sd_t, "session", divergence.MIN_STEPS, divergence.SESSION_POINTS, divergence.MARGIN_D)
    got = {sid: (p, row) for sid, row, p in res.iter_rows()}
    assert set(got) == set(ref)
    assert None in got and "mono" in got and len(got) > 40
    for sid, (p, row) in ref.items():
        assert got[sid][1] == row
        assert got[sid][0] == pytest.approx(p, rel=1e-9, abs=1e-300), sid
    # the tally the finding is made of: counts and the worst sessions in order
    tally = divergence.session_tests(cells, sd_t, "visible_tests", "hidden_tests", "session", None)
    diverging = sorted((p, (s is not None, s)) for s, (p, _) in ref.items() if p < 0.05)
    assert (tally.tested, tally.diverging) == (len(ref), len(diverging)) and tally.diverging >= 5
    assert [w[1] for w in tally.worst] == [k for _, k in diverging[:tally.KEEP]]
