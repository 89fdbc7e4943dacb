"""The pairwise length model (`length_control.pairwise`'s) fitted by Newton's method over partitions of its cells.

A log with many prompts has many cells (`pairs.cells`), more than fit in memory. The cells are then
computed in partitions by a hash of the prompt (`run`), so that every prompt's cells are in one
partition, and kept on disk. The model's parameters are a few global ones (intercept, length, truth,
model strengths) and one term per prompt. A prompt's term appears only in its own cells, so the
penalized information matrix is [[A, B'], [B, D]] with D diagonal: each Newton step eliminates the
prompt terms partition by partition (the Schur complement S = A - B' D^-1 B and its right-hand side add
up over partitions), solves S for the global step, and then gives each prompt its own step. Memory is
one partition's cells; the prompt terms and their last step are kept per partition on disk too.

The objective is the penalized log-likelihood of the cells' fractional outcomes (ties count 0.5). When
the ratio is binned (it varies inside a cell; the cell's mean ratio is its covariate) the likelihood is
expanded to second order in each cell's spread of the ratio (the outcome term stays exact), so binning
loses only the fourth-order remainder. The standard errors come from the inverse of the penalized
information matrix (with the spread's information on the length slope). Newton's steps with step
halving reach the optimum to rounding (the L-BFGS fit this replaces stopped at about 1e-4 relative).
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from scipy import sparse
from scipy.special import expit

from specgap.monitor.length_control import PROMPT_PENALTY

MAX_ITER = 100
STEP_TOL = 1e-10


@dataclass
class Cells:
    """One partition's cells as arrays: row count, sum of outcomes, mean log ratio, the truth's choice (or
    None), model codes of A and B (-1: none), prompt codes local to the partition (-1: none), and when the
    ratio varies inside cells, the sum of outcome times ratio and the ratio's sum of squared deviations."""
    n: np.ndarray
    sy: np.ndarray
    dl: np.ndarray
    truth: np.ndarray | None
    ca: np.ndarray | None
    cb: np.ndarray | None
    cp: np.ndarray | None
    n_prompts: int
    sxy: np.ndarray | None
    ss: np.ndarray | None


class Store:
    """Per-partition arrays: kept in memory when there is one partition, else saved to a temporary folder."""

    def __init__(self, parts: int) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="specgap-pairs-") if parts > 1 else None
        self._mem: dict[str, dict[str, np.ndarray]] = {}

    def put(self, key: str, arrays: dict[str, np.ndarray | None]) -> None:
        kept = {k: v for k, v in arrays.items() if v is not None}
        if self._tmp is None:
            self._mem[key] = kept
        else:
            np.savez(Path(self._tmp.name) / f"{key}.npz", **kept)

    def get(self, key: str) -> dict[str, np.ndarray]:
        if self._tmp is None:
            return self._mem[key]
        with np.load(Path(self._tmp.name) / f"{key}.npz") as f:
            return {k: f[k] for k in f.files}

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def save_cells(store: Store, i: int, c: Cells) -> None:
    store.put(f"cells{i}", {"n": c.n, "sy": c.sy, "dl": c.dl, "truth": c.truth, "ca": c.ca, "cb": c.cb, "cp": c.cp,
                            "n_prompts": np.array([c.n_prompts]), "sxy": c.sxy, "ss": c.ss})


def load_cells(store: Store, i: int) -> Cells:
    a = store.get(f"cells{i}")
    return Cells(a["n"], a["sy"], a["dl"], a.get("truth"), a.get("ca"), a.get("cb"), a.get("cp"),
                 int(a["n_prompts"][0]), a.get("sxy"), a.get("ss"))


@dataclass
class Design:
    """The global columns: intercept, log ratio, truth (centred), model strengths less the reference model."""
    truth: bool
    n_models: int
    ref: int
    prompts: bool    # per-prompt terms (ridge-penalized)

    @property
    def width(self) -> int:
        return 2 + self.truth + max(self.n_models - 1, 0)

    def matrix(self, c: Cells) -> sparse.csr_matrix:
        k = len(c.n)
        cols: list[sparse.spmatrix] = [sparse.csr_matrix(np.column_stack([np.ones(k), c.dl]))]
        if self.truth:
            cols.append(sparse.csr_matrix((c.truth - 0.5)[:, None]))
        if self.n_models:
            idx = np.arange(k)
            ca = np.where(c.ca >= 0, c.ca, self.ref)
            cb = np.where(c.cb >= 0, c.cb, self.ref)
            m = sparse.csr_matrix((np.ones(k), (idx, ca)), shape=(k, self.n_models)) \
                - sparse.csr_matrix((np.ones(k), (idx, cb)), shape=(k, self.n_models))
            cols.append(m[:, [i for i in range(self.n_models) if i != self.ref]])
        return sparse.hstack(cols).tocsr()

    def onehot(self, c: Cells) -> sparse.csr_matrix | None:
        if not self.prompts or c.cp is None:
            return None
        ok = c.cp >= 0
        return sparse.csr_matrix((np.ones(int(ok.sum())), (np.flatnonzero(ok), c.cp[ok])), shape=(len(c.n), c.n_prompts))


@dataclass
class Fit:
    beta: np.ndarray       # the global coefficients (intercept, length, truth, model strengths)
    cov: np.ndarray        # their covariance: the inverse of the Schur complement
    converged: bool
    store: Store           # the prompt terms, per partition ("{tag}u{i}")
    tag: str

    def linear(self, design: Design, i: int, c: Cells) -> np.ndarray:
        """The linear predictor of partition `i`'s cells."""
        z = design.matrix(c) @ self.beta
        if design.prompts and c.cp is not None:
            u = self.store.get(f"{self.tag}u{i}")["u"]
            z = z + np.where(c.cp >= 0, u[np.maximum(c.cp, 0)] if len(u) else 0.0, 0.0)
        return z


def newton(parts: int, cells: Callable[[int], Cells], design: Design, store: Store, tag: str = "") -> Fit:
    """Penalized maximum likelihood over `parts` partitions (`cells(i)` loads one); the prompt terms are
    written to `store` as "{tag}u{i}"."""
    g_width = design.width
    beta = np.zeros(g_width)
    for i in range(parts):
        store.put(f"{tag}u{i}", {"u": np.zeros(cells(i).n_prompts if design.prompts else 0)})
    best, S, h = _sweep(parts, cells, design, store, beta, tag)
    converged = False
    for _ in range(MAX_ITER):
        cov = np.linalg.pinv(S)
        db = cov @ h
        # each partition's prompt step from its own terms
        size = float(np.abs(db).max()) if g_width else 0.0
        for i in range(parts):
            a = store.get(f"grad{i}")
            du = (a["gu"] - a["B"] @ db) / a["D"] if len(a["D"]) else np.zeros(0)
            store.put(f"step{i}", {"du": du, "u0": store.get(f"{tag}u{i}")["u"]})
            size = max(size, float(np.abs(du).max()) if len(du) else 0.0)
        if size < STEP_TOL:
            converged = True
            break
        t, beta0 = 1.0, beta
        while True:
            beta = beta0 + t * db
            for i in range(parts):
                s = store.get(f"step{i}")
                store.put(f"{tag}u{i}", {"u": s["u0"] + t * s["du"]})
            obj, S1, h1 = _sweep(parts, cells, design, store, beta, tag)
            if obj <= best + 1e-12 * abs(best) or t < 1e-8:
                break
            t /= 2
        if obj > best + 1e-12 * abs(best):
            # no step lowers the objective: back to the best point, which is the optimum up to rounding
            # when the step left was small
            beta = beta0
            for i in range(parts):
                store.put(f"{tag}u{i}", {"u": store.get(f"step{i}")["u0"]})
            converged = size < 1e-6
            break
        best, S, h = obj, S1, h1
    return Fit(beta, np.linalg.pinv(S), converged, store, tag)


def _sweep(parts: int, cells: Callable[[int], Cells], design: Design, store: Store,
           beta: np.ndarray, tag: str) -> tuple[float, np.ndarray, np.ndarray]:
    """The objective, the Schur complement and its right-hand side at (beta, prompt terms in `store`); each
    partition's prompt gradient, information and cross terms are stored as "grad{i}"."""
    k = design.width
    obj, S, h = 0.0, np.zeros((k, k)), np.zeros(k)
    for i in range(parts):
        c = cells(i)
        X = design.matrix(c)
        P = design.onehot(c)
        u = store.get(f"{tag}u{i}")["u"]
        z = X @ beta + (P @ u if P is not None else 0.0)
        p = expit(z)
        w = p * (1 - p)
        if c.ss is None:
            r = c.sy - c.n * p
            obj -= float((c.sy * z - c.n * np.logaddexp(0, z)).sum())
        else:
            bj = beta[1]
            dev = c.sxy - c.sy * c.dl
            r = c.sy - c.n * p - 0.5 * bj * bj * c.ss * w * (1 - 2 * p)
            obj -= float((c.sy * z + bj * dev - c.n * np.logaddexp(0, z) - 0.5 * bj * bj * c.ss * w).sum())
        hw = c.n * w
        A = (X.T @ sparse.diags(hw) @ X).toarray()
        g = X.T @ r
        if c.ss is not None:
            A[1, 1] += float((c.ss * w).sum())
            g[1] += float((dev - beta[1] * c.ss * w).sum())
        if P is not None:
            D = P.T @ hw + PROMPT_PENALTY
            gu = P.T @ r - PROMPT_PENALTY * u
            B = (P.T @ sparse.diags(hw) @ X).toarray()
            obj += 0.5 * PROMPT_PENALTY * float((u * u).sum())
            A -= B.T @ (B / D[:, None])
            g = g - B.T @ (gu / D)
        else:
            D, gu, B = np.zeros(0), np.zeros(0), np.zeros((0, k))
        store.put(f"grad{i}", {"D": D, "gu": gu, "B": B})
        S += A
        h += g
    return obj, S, h


def se(fit: Fit, j: int) -> float:
    return float(math.sqrt(max(fit.cov[j, j], 0.0)))
