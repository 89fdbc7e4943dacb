"""Arbitrary small tables never crash a run: they give findings, notes, or a clean input error."""

from __future__ import annotations

import math

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specgap.monitor.load import LogError
from specgap.monitor.run import run
from specgap.monitor.spec import Spec, SpecError

cell = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True, width=32),
                 st.integers(-5, 5), st.sampled_from(["", "n/a", "1e3", "true", " 2 "]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(cell, cell, cell, cell, cell, st.sampled_from(["a", "b"])), min_size=0, max_size=60))
def test_random_tables_never_crash(tmp_path, rows):
    cols = ["step", "proxy", "truth", "pred", "label", "grp"]
    df = pl.DataFrame([[None if isinstance(v, float) and math.isnan(v) else (None if v is None else str(v))
                        for v in r] for r in rows], schema={c: pl.Utf8 for c in cols}, orient="row")
    path = tmp_path / "fuzz.csv"
    df.write_csv(path)
    spec = Spec(step="step", proxy=["proxy"], truth=["truth"], length="pred", pred="pred", label="label",
                self_rating="proxy", independent="truth", group="grp")
    try:
        report = run([str(path)], spec)
    except (LogError, SpecError):
        return
    assert not [n for n in report.notes if "internal error" in n.message], report.notes
