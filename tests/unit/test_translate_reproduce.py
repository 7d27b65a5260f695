"""The Translate page's reproduction script: it compiles, and running it prints the app trainer's first losses."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch

from rnnviz.seq2seq.reproduce import LiveRun, live_setup, reproduction_script, steps_per_epoch
from rnnviz.seq2seq.training import live_run

ROOT = Path(__file__).resolve().parents[2]
LOSS = re.compile(r"^step (\d+) loss ([0-9.]+)", re.MULTILINE)
SMALL = LiveRun(pairs=300, epochs=1, batch=32, hidden=32, seed=3)  # 6 steps of 32 date pairs


class FakeJob:
    """What the page's background job gives `live_run`'s target: extras, a stop event, and the step callback."""

    def __init__(self) -> None:
        self.extras: dict = {}
        self.stop_event = threading.Event()
        self.losses: list[float] = []

    def on_step_end(self, info) -> None:
        self.losses.append(info.loss)


def app_losses(run: LiveRun) -> list[float]:
    """The losses of the run as the page trains it (the same `live_setup` and `live_run` target), one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        data, model, config = live_setup(run)
        job = FakeJob()
        live_run(data, model, config, "wednesday 25 nov 2026", steps_per_epoch(run, data))(job)
    finally:
        torch.set_num_threads(threads)
    return job.losses


def run_script(script: str, folder: Path, name: str = "run.py") -> str:
    """Run a generated script in `folder` with this interpreter; its standard output."""
    (folder / name).write_text(script)
    done = subprocess.run([sys.executable, name], cwd=folder, capture_output=True, text=True, timeout=600,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_script_compiles_and_writes_the_settings_as_literals() -> None:
    run = LiveRun(data="corpus", cell="lstm", attention="dot", hidden=128, epochs=3, bidirectional=False,
                  source="eng", target="fra", tutorial_filter=False, corpus_file="data/eng-fra.txt", seed=41)
    script = reproduction_script(run, "i am cold .")
    compile(script, "run.py", "exec")
    assert "SEED = 41" in script and "cell='lstm'" in script and "attention='dot'" in script
    assert "load_pairs('eng-fra.txt', source_language='eng', target_language='fra', tutorial_filter=False" in script
    assert "encoder_hidden_size=None" in script and "bidirectional=False" in script


def test_running_the_script_prints_the_losses_the_page_trains(tmp_path: Path) -> None:
    expected = app_losses(SMALL)
    output = run_script(reproduction_script(SMALL, "wednesday 25 nov 2026", file_name="run.py"), tmp_path)
    printed = [float(loss) for _, loss in LOSS.findall(output)]
    assert len(printed) == len(expected) >= 5
    assert printed == pytest.approx(expected, abs=2e-6)
    assert (tmp_path / "run.safetensors").is_file()


def test_another_seed_gives_other_losses() -> None:
    assert app_losses(SMALL)[:3] != app_losses(LiveRun(**{**SMALL.__dict__, "seed": 4}))[:3]
