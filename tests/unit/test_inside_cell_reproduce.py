"""Inside the cell's reproduction script: it compiles, and running it prints the page trainer's first losses."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from rnnviz.charlm.reproduce import page_corpus, page_settings, reproduction_script
from rnnviz.charlm.train import train_charlm
from rnnviz.data.languages import BRACKET_SAMPLE

ROOT = Path(__file__).resolve().parents[2]
LOSS = re.compile(r"^step (\d+) loss ([0-9.]+)", re.MULTILINE)


class Losses:
    """A training callback that keeps every step's loss."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def on_step_end(self, info) -> None:
        self.values.append(info.loss)


def page_losses(kind: str, hidden: int, steps: int, seed: int, text: str | None = None) -> list[float]:
    """The losses of a run as the page trains it (page_corpus, page_settings, train_charlm), one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        losses = Losses()
        train_charlm(page_corpus(seed, text, name="mine.txt"), page_settings(kind, hidden, steps, seed),
                     callbacks=[losses])
    finally:
        torch.set_num_threads(threads)
    return losses.values


def run_script(script: str, folder: Path) -> str:
    """Run a generated script in `folder` with this interpreter; its standard output."""
    (folder / "run.py").write_text(script)
    done = subprocess.run([sys.executable, "run.py"], cwd=folder, capture_output=True, text=True, timeout=600,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("kind", ["lstm", "sru"])
def test_running_the_script_prints_the_losses_the_page_trains(kind: str, tmp_path: Path) -> None:
    settings = page_settings(kind, 16, 6, seed=5)
    output = run_script(reproduction_script(settings, "brackets", file_name="run.py"), tmp_path)
    printed = [float(loss) for _, loss in LOSS.findall(output)]
    assert printed == pytest.approx(page_losses(kind, 16, 6, 5), abs=2e-6) and len(printed) == 6
    assert "bits per character" in output and (tmp_path / "run.safetensors").is_file()


def test_a_text_file_run_reads_the_file_next_to_the_script(tmp_path: Path) -> None:
    text = BRACKET_SAMPLE * 20
    (tmp_path / "mine.txt").write_text(text, encoding="utf-8")
    script = reproduction_script(page_settings("gru", 16, 4, seed=1), "mine.txt", file_name="run.py")
    assert "open('mine.txt'" in script and "SEED = 1" in script and "kind='gru'" in script
    printed = [float(loss) for _, loss in LOSS.findall(run_script(script, tmp_path))]
    assert printed == pytest.approx(page_losses("gru", 16, 4, 1, text), abs=2e-6)


def test_a_corpus_name_with_quotes_or_a_path_stays_a_plain_file_name() -> None:
    script = reproduction_script(page_settings("lstm", 16, 4, seed=0), "../x/it's \"odd\".txt")
    compile(script, "run.py", "exec")
    assert "../x" not in script and "open('it\\'s \"odd\".txt'" in script
