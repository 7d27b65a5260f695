"""A homework row as a script: it runs, prints the losses the page's trainer makes, and saves a Translator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from rnnviz.compare.homework import load_tutorial_pairs, train_row
from rnnviz.compare.reproduce import row_file_stem, row_script
from rnnviz.seq2seq.translator import Translator
from tests.unit.scripts import run_script

ROOT = Path(__file__).resolve().parents[2]
PAIRS = ROOT.parent / "shared" / "data" / "eng-fra.txt"
LOSS = re.compile(r"^step (\d+) loss (\S+)$", re.MULTILINE)
ROW = ("lstm", 1, True, 3)  # cell, layers, bidirectional, seed


class Losses:
    """Callback: the loss of every step."""

    def __init__(self) -> None:
        self.losses: list[tuple[int, float]] = []

    def on_step_end(self, info) -> None:
        self.losses.append((info.step, info.loss))


@pytest.mark.skipif(not PAIRS.is_file(), reason=f"the tutorial's pairs are not at {PAIRS}")
def test_the_row_script_prints_the_pages_losses_and_saves_the_translator(tmp_path: Path) -> None:
    (tmp_path / "eng-fra.txt").symlink_to(PAIRS)
    path = tmp_path / "row.py"
    path.write_text(row_script(*ROW, seconds=None, steps=3))
    done = run_script(path, timeout=600)
    printed = [(int(step), float(loss)) for step, loss in LOSS.findall(done.stdout)]
    torch.set_num_threads(1)
    recorded = Losses()
    run, _model = train_row(load_tutorial_pairs(PAIRS), *ROW, None, 3, callbacks=[recorded])
    assert [step for step, _ in printed] == [step for step, _ in recorded.losses] == [1, 2, 3]
    assert [loss for _, loss in printed] == pytest.approx([loss for _, loss in recorded.losses], abs=1e-5)
    assert f"held-out BLEU {run.test_bleu:.2f} after 3 steps" in done.stdout
    saved = tmp_path / f"{row_file_stem(*ROW)}.safetensors"
    assert isinstance(Translator.load(saved).translate("je suis grand .").text, str)


def test_the_script_writes_the_row_and_its_budget() -> None:
    text = row_script("sru", 3, False, 7, seconds=30.0, steps=None)
    compile(text, "row.py", "exec")
    assert "CELL = 'sru'" in text and "LAYERS = 3" in text and "BIDIRECTIONAL = False" in text
    assert "SEED = 7" in text and "SECONDS = 30.0" in text and "STEPS = None" in text
    assert "homework-sru-x3-seed7.safetensors" in text
