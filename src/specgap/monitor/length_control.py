"""SG804 with model and prompt terms: a judge's length effect that quality varying by model or prompt cannot fake.

Most teams have no per-item truth. Then the question "does the judge pay for length?" is confounded:
better models often write longer answers, and some prompts call for long answers. Following the
length-controlled win rate of Dubois et al. (2024, AlpacaEval LC), the judge's verdict is modelled
with a length term next to per-model terms and per-prompt terms, so the length coefficient is
estimated from length differences *within* a model and a prompt; the verdicts are then predicted
at equal lengths to give length-controlled win rates (pairwise) or means (pointwise) per model.

Pairwise: logit P(A preferred) = a + b * log(len_A / len_B) + s[model_A] - s[model_B] + u[prompt]
(+ c * (truth choice - 1/2) when a truth column exists). Model strengths are unpenalized; prompt
terms carry a unit ridge penalty (a random-effect-like prior), which keeps hundreds of prompts
identifiable with a few comparisons each. Fitted by Newton's method over partitions of the cells
(`pairfit`); standard errors from the penalized information matrix.
Pointwise: OLS of the score on log length with model and prompt fixed effects (Frisch-Waugh: both
sides residualized on the effects with scipy's sparse least squares) (+ the truth when given).

Without truth the estimate is still open to one confound, stated in every finding: within one model
and one prompt, a longer answer may really be better. With a truth column that is controlled too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse
from scipy import stats as st
from scipy.sparse.linalg import lsqr

from specgap.monitor import stats

if TYPE_CHECKING:
    import polars as pl

PROMPT_PENALTY = 1.0   # ridge on the per-prompt terms: a N(0, 1) prior on the logit scale
CAVEAT = ("without a truth column, a longer answer from the same model to the same prompt may also be a "
          "better one; give --truth to control for that")


@dataclass
class Ranking:
    raw: dict[str, float]           # per model: observed win rate (pairwise) or mean score (pointwise)
    controlled: dict[str, float]    # the same predicted at equal lengths
    moves: list[tuple[str, int, int]]  # (model, raw rank, controlled rank) where the rank changed
    tau: float                      # Kendall's tau between the two orders

    def to_stats(self) -> dict[str, object]:
        return {"by_model_raw": self.raw, "by_model_length_controlled": self.controlled,
                "rank_changes": [{"model": m, "raw_rank": a, "controlled_rank": b} for m, a, b in self.moves],
                "rank_tau": self.tau}

    def describe(self, what: str) -> str:
        top = sorted(self.controlled, key=lambda m: -self.controlled[m])[:6]
        s = f"length-controlled {what} " + ", ".join(f"{m} {self.raw[m]:.3g}->{self.controlled[m]:.3g}" for m in top)
        if len(self.controlled) > 6:
            s += f" (+{len(self.controlled) - 6} more)"
        if self.moves:
            s += "; rank changes: " + ", ".join(f"{m} #{a}->#{b}" for m, a, b in self.moves[:6])
        else:
            s += "; no model changes rank"
        return s


def ranking(raw: dict[str, float], controlled: dict[str, float]) -> Ranking:
    order = lambda v: {m: i + 1 for i, m in enumerate(sorted(v, key=lambda m: (-v[m], m)))}  # noqa: E731
    r0, r1 = order(raw), order(controlled)
    moves = sorted(((m, r0[m], r1[m]) for m in raw if r0[m] != r1[m]), key=lambda t: t[2])
    tau = float(st.kendalltau([r0[m] for m in raw], [r1[m] for m in raw])[0]) if len(raw) > 1 else 1.0
    return Ranking(raw, controlled, moves, tau if math.isfinite(tau) else 1.0)


def _codes(values: list[str | None]) -> tuple[np.ndarray, list[str]]:
    """Integer codes of labels in a stable (sorted) order; missing labels get -1."""
    levels = sorted({v for v in values if v is not None})
    index = {v: i for i, v in enumerate(levels)}
    return np.array([index.get(v, -1) if v is not None else -1 for v in values]), levels


def ratio_bins(n: np.ndarray, sy: np.ndarray, dl: np.ndarray, p0: np.ndarray, k: int = 10) -> dict[str, list[float]]:
    """Win rate of A per decile of the log length ratio, observed and predicted at equal lengths."""
    edges = np.unique(stats.weighted_quantile(dl, n, np.linspace(0, 1, k + 1)))
    idx = np.clip(np.searchsorted(edges, dl, side="right") - 1, 0, max(len(edges) - 2, 0))
    out: dict[str, list[float]] = {"log_ratio": [], "observed": [], "controlled": [], "n": []}
    for j in range(max(len(edges) - 1, 1)):
        sel = idx == j
        if sel.any():
            w = n[sel].sum()
            out["log_ratio"].append(float((n[sel] * dl[sel]).sum() / w))
            out["observed"].append(float(sy[sel].sum() / w))
            out["controlled"].append(float((n[sel] * p0[sel]).sum() / w))
            out["n"].append(int(w))
    return out


@dataclass
class PointwiseFit:
    beta_len: float
    se_len: float
    t: float
    dof: int
    r_partial: float
    ranking: Ranking | None
    n_models: int
    n_prompts: int


def _cell_dummies(cells: "pl.DataFrame", col: str) -> tuple[sparse.csr_matrix, list[str]]:
    codes, levels = _codes(cells.get_column(col).cast(str).to_list())   # type: ignore[arg-type]
    ok = codes >= 0
    n = cells.height
    return sparse.csr_matrix((np.ones(ok.sum()), (np.arange(n)[ok], codes[ok])), shape=(n, len(levels))), levels


def within_scatter(cells: "pl.DataFrame", k: int, model: str | None, prompt: str | None) -> tuple[np.ndarray, int, int, int]:
    """Cross-products of `k` variables after taking out model and prompt fixed effects, from per-(model,
    prompt) cell moments (`aggregate.moments` with the model and prompt as `levels`): exactly what the
    row-level regression on the dummies leaves. Rows of a cell share their dummies, so the projection
    on them is a regression of the cell means weighted by the cell counts (scipy's sparse least squares),
    and the residual cross-products are the within-cell scatter plus the weighted cell-mean residuals.
    Returns (scatter, n_models, n_prompts, rank of the dummies)."""
    n = cells.get_column("n").to_numpy().astype(float)
    s = np.column_stack([cells.get_column(f"s{i}").to_numpy() for i in range(k)]).astype(float)
    means = s / n[:, None]
    blocks, n_models, n_prompts = [sparse.csr_matrix(np.ones((cells.height, 1)))], 0, 0
    if model:
        m, lv = _cell_dummies(cells, model)
        blocks.append(m)
        n_models = len(lv)
    if prompt:
        p, lv = _cell_dummies(cells, prompt)
        blocks.append(p)
        n_prompts = len(lv)
    w = np.sqrt(n)
    D = sparse.diags(w) @ sparse.hstack(blocks).tocsr()
    fitted = np.column_stack([sparse.hstack(blocks).tocsr() @ lsqr(D, w * means[:, i], atol=1e-12, btol=1e-12,
                                                                    iter_lim=10 * D.shape[1] + 100)[0]
                              for i in range(k)])
    between = means - fitted
    out = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            x = cells.get_column(f"q{i}" if i == j else f"x{i}_{j}").to_numpy().astype(float)
            within = float((x - s[:, i] * s[:, j] / n).sum())
            out[i, j] = out[j, i] = within + float((n * between[:, i] * between[:, j]).sum())
    return out, n_models, n_prompts, 1 + max(n_models - 1, 0) + max(n_prompts - 1, 0)


def pointwise(cells: "pl.DataFrame", has_truth: bool, model: str | None, prompt: str | None,
              truth_noise: float | None = None, outcome: int = 0) -> PointwiseFit | None:
    """Score on log length within model and prompt (fixed effects), and the truth when given, from the
    per-(model, prompt) moments of [score, log length(, truth)] (`within_scatter`); `outcome`: which
    variable is the score (2: the truth's own length slope, without a truth covariate).
    `truth_noise`: the variance of the truth's measurement error, when known: taken out of the
    regression (errors in variables), so a noisy truth does not leave quality in the length slope."""
    k = 3 if has_truth else 2
    c, n_models, n_prompts, rank_d = within_scatter(cells, k, model, prompt)
    xs = [1] + ([2] if has_truth and outcome == 0 else [])
    order = [outcome, *xs]
    C = c[np.ix_(order, order)]
    n = int(cells.get_column("n").sum())
    kx = len(xs)
    dof = n - rank_d - kx
    XtX, Xty = C[1:, 1:], C[1:, 0]
    if dof < 10 or XtX[0, 0] <= 1e-12 * n:
        return None   # no length variation left within model and prompt
    inv = np.linalg.pinv(XtX)
    beta = inv @ Xty
    s2 = max(float(C[0, 0] - beta @ Xty), 0.0) / dof
    se = math.sqrt(max(s2 * inv[0, 0], 0.0))
    if truth_noise is not None and kx == 2:
        eiv = stats.eiv_slope(C, n - rank_d, truth_noise)
        if eiv is None:
            return None
        beta, cov = eiv[0], eiv[1]
        se = math.sqrt(max(float(cov[0, 0]), 0.0))
    t = float(beta[0] / se) if se > 0 else 0.0
    rank = None
    if model:
        import polars as pl

        b = float(beta[0])
        mean_l = float(cells.get_column("s1").sum()) / n
        y = f"s{outcome}"
        g = (cells.group_by(model).agg(pl.col(y).sum(), pl.col("s1").sum(), pl.col("n").sum())
             .drop_nulls(model).sort(model)
             .select(pl.col(model), (pl.col(y) / pl.col("n")).alias("raw"),
                     ((pl.col(y) - b * (pl.col("s1") - mean_l * pl.col("n"))) / pl.col("n")).alias("lc")))
        rank = ranking({str(r[0]): float(r[1]) for r in g.iter_rows()}, {str(r[0]): float(r[2]) for r in g.iter_rows()})
    return PointwiseFit(float(beta[0]), se, t, dof, t / math.sqrt(t * t + dof), rank, n_models, n_prompts)
