"""Every plot kind: labelled axes, legends clear of the data, SVG output, and a real browser draws them."""

from __future__ import annotations

import base64
import shutil
import subprocess

import pytest

from specgap.monitor import plots, synth
from specgap.monitor.run import run
from specgap.monitor.spec import Spec


@pytest.fixture(scope="module")
def every_plot(tmp_path_factory) -> dict[str, object]:
    d = tmp_path_factory.mktemp("plots")
    runs = [
        (synth.training_run(3, 1.0), Spec(step="step", proxy=["reward_model"], truth=["gold_reward"], length="length")),
        (synth.classifier_run(3, 1.0, steps=60), Spec(step="step", pred="flagged", label="harmful")),
        (synth.self_eval_run(3, 1.0), Spec(self_rating="self_score", independent="independent_score")),
        (synth.summary_run(3, 1.0), Spec(proxy=["rouge1"], truth=["faithfulness"], text="output")),
        (synth.arena_run(3, 0.6, n=1500), Spec(proxy=["judge_prefers_a"], pair_length_a="len_a", pair_length_b="len_b",
                                                pair_model_a="model_a", pair_model_b="model_b", prompt="prompt")),
    ]
    found: dict[str, object] = {}
    for i, (df, spec) in enumerate(runs):
        path = d / f"log{i}.csv"
        df.write_csv(path)
        for p in run([str(path)], spec).plots:
            found.setdefault(p.kind, p)
    return found


def test_every_kind_is_drawn(every_plot):
    assert set(every_plot) == set(plots._DRAW)
    assert every_plot["length"].data.get("truth") is not None   # the truth beside the proxy


def test_axes_labelled_and_legends_clear_of_the_data(every_plot):
    import matplotlib.pyplot as plt

    for kind, p in every_plot.items():
        fig = plots.figure(p)
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        for ax in fig.axes:
            assert ax.get_ylabel(), (kind, "y axis without a label")
            shares_x = any(o is not ax and o.get_shared_x_axes().joined(o, ax) for o in fig.axes)
            assert ax.get_xlabel() or shares_x, (kind, "x axis without a label")
        assert not any(ax.get_legend() for ax in fig.axes), kind   # no legend inside an axes
        for leg in fig.legends:
            box = leg.get_window_extent(r)
            assert not any(box.overlaps(ax.get_window_extent(r)) for ax in fig.axes), (kind, "legend over the data")
        if kind == "length":
            assert len(fig.axes) == 2   # proxy and truth side by side
        plt.close(fig)


def test_svg_is_vector_with_text(every_plot):
    for kind, p in every_plot.items():
        s = plots.svg(p)
        assert s.startswith("<svg") and s.rstrip().endswith("</svg>"), kind
        assert "<image" not in s or kind in {"length", "self", "text"}, kind  # lines and text stay vectors
        label = {"divergence": "step", "length": "output length", "pairwise": "length of A / length of B",
                 "self": "independent rating", "flags": "start of window", "text": "distinct-word ratio"}[kind]
        assert label in s, kind


def test_every_plot_renders_in_headless_chromium(every_plot, tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
    kinds = sorted(every_plot)
    h = 420
    figs = "".join(f"<div style='height:{h}px;width:900px'><img style='max-height:{h - 20}px;max-width:880px' "
                   f"src='data:image/svg+xml;base64,{base64.b64encode(plots.svg(every_plot[k]).encode()).decode()}'>"
                   "</div>" for k in kinds)
    page = tmp_path / "plots.html"
    page.write_text(f"<!doctype html><html><body style='margin:0;background:#fff'>{figs}</body></html>")
    png = tmp_path / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}",
                    f"--window-size=900,{h * len(kinds)}", page.as_uri()], capture_output=True, timeout=120, check=False)
    assert png.is_file() and png.stat().st_size > 0
    import matplotlib.image

    gray = matplotlib.image.imread(str(png))[..., :3].mean(axis=2)
    scale = gray.shape[0] / (h * len(kinds))   # device pixels per CSS pixel
    for i, k in enumerate(kinds):
        part = gray[int(i * h * scale): int((i + 1) * h * scale)]
        assert (part < 0.5).mean() > 0.005, f"{k}: nothing drawn"   # axes, labels and data in dark ink
        assert part.std() > 0.05, k
