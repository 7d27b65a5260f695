"""Inside the cell in a real browser: a link replays text, cell and view; projector view; exports; the run's script."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from PIL import Image

from tests.e2e import browser as br
from tests.e2e.test_translate_links import (
    FIGURE_DATA,
    TICK_SIZE,
    check_exports,
    download,
    fresh_tab,
    main_block,
    screenshots_in_both_modes,
)

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not list((ROOT / "checkpoints").glob("charlm-*.safetensors")),
                                reason="no charlm checkpoints in checkpoints/ yet")
TEXT = 'say (x [y "hi"]) and {z}'


def test_a_typed_text_and_cell_replay_from_the_link_in_a_fresh_browser(browser, app_url) -> None:
    original = fresh_tab(browser, br.url_for(app_url, "inside-cell"))
    box = main_block(original).get_by_role("textbox", name="Text to read (type or paste your own)")
    box.fill(TEXT)
    box.press("Control+Enter")
    br.wait_until_idle(original)
    position = main_block(original).get_by_role("spinbutton", name="Character position")
    position.fill("6")
    position.press("Enter")
    br.wait_until_idle(original)
    main_block(original).get_by_role("tab", name="Gate saturation").click()
    br.wait_until_idle(original)
    link = original.url
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
    assert query["ic_text"] == [TEXT] and query["ic_t"] == ["6"] and query["ic_view"] == ["Gate saturation"]
    shown, words = original.evaluate(FIGURE_DATA), main_block(original).inner_text()
    replay = fresh_tab(browser, link)
    assert replay.evaluate(FIGURE_DATA) == shown
    unit = re.search(r"Unit (\d+) at position 6", words)
    assert unit is not None and unit.group(0) in main_block(replay).inner_text()
    assert main_block(replay).get_by_role("tab", selected=True).inner_text() == "Gate saturation"


def test_the_projector_view_enlarges_ticks_and_screenshots_in_both_modes(browser, app_url) -> None:
    plain = fresh_tab(browser, br.url_for(app_url, "inside-cell"))
    projected = fresh_tab(browser, br.url_for(app_url, "inside-cell?projector=true"))
    assert 0 < plain.evaluate(TICK_SIZE) < projected.evaluate(TICK_SIZE) and projected.evaluate(TICK_SIZE) >= 20
    for view in ("Find the unit", "Compare models", "Next-character guesses"):
        query = urllib.parse.urlencode({"ic_view": view})
        for shot in screenshots_in_both_modes(browser, br.url_for(app_url, f"inside-cell?{query}"),
                                              "inside-cell-" + view.split()[0].lower(), chart=-1):
            with Image.open(shot) as image:
                assert image.size == (1280, 720)


def test_the_heatmap_exports_a_projector_png_and_its_csv(browser, app_url) -> None:
    check_exports(fresh_tab(browser, br.url_for(app_url, "inside-cell")))


def test_a_trained_model_offers_a_script_that_runs(browser, app_url, tmp_path: Path) -> None:
    """Train GRU 16 units for 100 steps (seed 3, from the link), download its script and weights, run the script."""
    query = urllib.parse.urlencode({"seed": "3", "ic_train_kind": "GRU", "ic_train_hidden": "16",
                                    "ic_train_steps": "100"})
    tab = fresh_tab(browser, br.url_for(app_url, f"inside-cell?{query}"))
    main_block(tab).get_by_text("Train your own model").click()
    main_block(tab).get_by_role("button", name="Train", exact=True).click()
    button = main_block(tab).get_by_role("button", name="Script that redoes this run (.py)")
    button.wait_for(timeout=240_000)
    br.wait_until_idle(tab, timeout=120)
    script = download(tab, button.click).decode("utf-8")
    assert "SEED = 3" in script and "kind='gru'" in script and "hidden_size=16" in script and "steps=100" in script
    weights = download(tab, main_block(tab).get_by_role("button", name="Trained weights (.safetensors)").click)
    assert len(weights) > 1000
    (tmp_path / "run.py").write_text(script)
    done = subprocess.run([sys.executable, "run.py"], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "step 100 loss" in done.stdout and "validation:" in done.stdout
