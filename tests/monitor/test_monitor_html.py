"""The HTML report: self-contained, with the plots, and rendered by a real headless browser."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest

pytestmark = pytest.mark.slow  # renders in headless chromium

from specgap.monitor import synth


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    """One report with every plot kind: divergence, length, flag rates, self vs independent."""
    from specgap.monitor.html import render
    from specgap.monitor.run import run
    from specgap.monitor.spec import Spec

    train = synth.training_run(3, 1.0)
    n = train.height
    df = pl.concat([train, synth.classifier_run(3, 1.0, n=n, steps=120).select("flagged", "harmful"),
                    synth.self_eval_run(3, 1.0, n=n).select("self_score", "independent_score")], how="horizontal")
    d = tmp_path_factory.mktemp("html")
    df.write_csv(d / "log.csv")
    spec = Spec(step="step", proxy=["reward_model"], truth=["gold_reward"], length="length", pred="flagged",
                label="harmful", self_rating="self_score", independent="independent_score")
    out = d / "report.html"
    out.write_text(render(run([str(d / "log.csv")], spec)))
    return out


def test_html_is_self_contained_with_plots(page):
    html = page.read_text()
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert html.count("data:image/svg+xml;base64,") >= 4
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert "SG801" in html and "Audit first" in html


def test_html_renders_in_headless_chromium(page, tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
    png = tmp_path / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}", "--window-size=1280,2000",
                    page.as_uri()], capture_output=True, timeout=120, check=False)
    assert png.is_file() and png.stat().st_size > 0
    import matplotlib.image

    gray = matplotlib.image.imread(str(png))[..., :3].mean(axis=2)
    assert gray.std() > 0.05                 # not a blank page
    assert (gray < 0.5).mean() > 0.01        # text and plots drawn in dark ink
