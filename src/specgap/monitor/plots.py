"""The report's figures, drawn with matplotlib as SVG so they are sharp at whatever size the page shows them.

Every axis is labelled with what it measures; legends sit below the axes, never over the data.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from specgap.monitor.result import Plot

PROXY, TRUTH, ACCENT, MUTED = "#c0392b", "#2471a3", "#7d3c98", "#117864"


def figure(p: Plot) -> Any:
    """The matplotlib figure of one plot (closed by `svg`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = p.data
    two = p.kind == "length" and d.get("truth") is not None
    fig, axes = plt.subplots(1, 2 if two else 1, figsize=(7.2 if two else 6.4, 3.8), layout="constrained",
                             squeeze=False)
    ax = axes[0][0]
    _DRAW[p.kind](fig, axes[0], d)
    title = p.title + ("" if p.group is None else f" [{p.group}]")
    fig.suptitle(title, fontsize=10) if two else ax.set_title(title, fontsize=10)
    if any(a.get_legend_handles_labels()[1] for a in fig.axes):
        handles, labels = [], []
        for a in fig.axes:
            h, lab = a.get_legend_handles_labels()
            handles += h
            labels += lab
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 3), fontsize=8, frameon=False,
                   markerscale=2)
    return fig


def svg(p: Plot) -> str:
    """The plot as an SVG document."""
    import matplotlib.pyplot as plt

    fig = figure(p)
    buf = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none"}):   # text stays text: smaller, selectable, searchable
        fig.savefig(buf, format="svg")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]   # drop the XML prolog and doctype: the SVG goes inline in HTML


def _smooth(x: np.ndarray, v: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """A centred rolling mean (a twentieth of the run) to show the trend through per-step noise."""
    k = max(1, len(x) // 20)
    y = np.convolve(np.asarray(v, float), np.ones(k) / k, mode="same")
    return (x[k:-k], y[k:-k]) if len(x) > 2 * k + 1 else (x, y)


def _divergence(fig: Any, axes: Any, d: dict[str, Any]) -> None:
    ax = axes[0]
    x = np.asarray(d["step"], float)
    ax.plot(x, d["proxy"], color=PROXY, alpha=0.25, lw=0.8)
    ax.plot(*_smooth(x, d["proxy"]), color=PROXY, lw=2, label=f"{d['proxy_name']} (proxy, left axis)")
    ax.set_ylabel(f"{d['proxy_name']} (proxy)", color=PROXY)
    ax2 = ax.twinx()
    ax2.plot(x, d["truth"], color=TRUTH, alpha=0.25, lw=0.8)
    ax2.plot(*_smooth(x, d["truth"]), color=TRUTH, lw=2, label=f"{d['truth_name']} (truth, right axis)")
    ax2.set_ylabel(f"{d['truth_name']} (truth)", color=TRUTH)
    if d.get("onset") is not None:
        ax.axvline(d["onset"], color="k", ls="--", lw=1, label=f"gap starts (step {d['onset']:g})")
    if d.get("peak") is not None:
        ax.axvline(d["peak"], color=TRUTH, ls=":", lw=1.5, label=f"truth peak (step {d['peak']:g})")
    ax.set_xlabel("step (mean per step)")


def _fit_line(ax: Any, x: np.ndarray, y: np.ndarray, color: str, label: str) -> None:
    if len(x) > 20 and np.ptp(np.log1p(x)) > 0:
        b = np.polyfit(np.log1p(x), y, 1)
        xs = np.geomspace(max(x.min(), 1), x.max(), 100)
        ax.plot(xs, np.polyval(b, np.log1p(xs)), color=color, lw=1.8, label=label)


def _plain_log_ticks(axis: Any) -> None:
    """Log-scale ticks written as plain numbers (0.5, 1, 2, 100), majors only, so labels never collide."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=2 if np.ptp(axis.get_data_interval()) < 64 else 10))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def _length(fig: Any, axes: Any, d: dict[str, Any]) -> None:
    x = np.maximum(np.asarray(d["length"], float), 1)
    panels = [(axes[0], "proxy", PROXY)] + ([(axes[1], "truth", TRUTH)] if len(axes) > 1 else [])
    for ax, key, color in panels:
        y = np.asarray(d[key], float)
        ax.scatter(x, y, s=6, alpha=0.3, color=color, lw=0)
        _fit_line(ax, x, y, color, f"{d[key + '_name']} ({key}): fit on log length")
        ax.set_xscale("log")
        _plain_log_ticks(ax.xaxis)
        ax.set_xlabel("output length (log scale)")
        ax.set_ylabel(f"{d[key + '_name']} ({key})")


def _pairwise(fig: Any, axes: Any, d: dict[str, Any]) -> None:
    ax = axes[0]
    ratio = np.exp(np.asarray(d["log_ratio"], float))
    ax.axhline(0.5, color="#999", lw=0.8)
    ax.axvline(1.0, color="#999", lw=0.8)
    ax.plot(ratio, d["observed"], marker="o", ms=4, color=PROXY, label="judge's verdicts (raw)")
    ax.plot(ratio, d["controlled"], marker="s", ms=4, color=TRUTH, label="predicted at equal lengths (controlled)")
    ax.set_xscale("log")
    _plain_log_ticks(ax.xaxis)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("length of A / length of B (decile means, log scale)")
    ax.set_ylabel(f"share preferring A ({d['proxy_name']})")


def _self(fig: Any, axes: Any, d: dict[str, Any]) -> None:
    ax = axes[0]
    a, b = np.asarray(d["self"], float), np.asarray(d["independent"], float)
    jit = np.random.default_rng(0).normal(0, 0.06, (2, len(a))) * (np.ptp(np.concatenate([a, b])) or 1) / 10
    ax.scatter(b + jit[0], a + jit[1], s=6, alpha=0.35, color=MUTED, lw=0)
    lo, hi = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    ax.plot([lo, hi], [lo, hi], color="k", lw=1, label="self = independent")
    ax.set_xlabel(f"{d['indep_name']} (independent rating)")
    ax.set_ylabel(f"{d['self_name']} (self-rating)")


def _flags(fig: Any, axes: Any, d: dict[str, Any]) -> None:
    ax = axes[0]
    w = d["windows"]
    s = [x["step"] for x in w]
    for key, color in (("flag_rate", PROXY), ("base_rate", TRUTH), ("precision", ACCENT), ("specificity", MUTED)):
        ax.plot(s, [x[key] if x[key] is not None else np.nan for x in w], marker="o", ms=3, color=color,
                label=key.replace("_", " "))
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("step (start of window)")
    ax.set_ylabel(f"rate ({d['pred_name']} vs {d['label_name']})")


def _text(fig: Any, axes: Any, d: dict[str, Any]) -> None:
    ax = axes[0]
    sc, dg, ds = (np.asarray(d[k], float) for k in ("score", "degenerate", "distinct"))
    ax.scatter(ds[dg == 0], sc[dg == 0], s=6, alpha=0.3, color=TRUTH, lw=0, label="normal output")
    ax.scatter(ds[dg == 1], sc[dg == 1], s=14, alpha=0.8, color=PROXY, lw=0, label="degenerate output")
    ax.set_xlabel("distinct-word ratio of the output")
    ax.set_ylabel(f"{d['proxy_name']} (proxy)")


_DRAW = {"divergence": _divergence, "length": _length, "pairwise": _pairwise, "self": _self, "flags": _flags,
         "text": _text}
