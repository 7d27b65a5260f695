"""The Signature page's reproduction script: it compiles, runs, and prints the losses the page's trainer gets."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from rnnviz.io import checkpoints
from rnnviz.signatures import protocol
from rnnviz.signatures.data import read_zip
from rnnviz.signatures.experiments import BUILDERS
from rnnviz.signatures.features import WITHOUT_PRESSURE
from rnnviz.signatures.learning import DEFAULT_TRAINING, train_siamese
from rnnviz.signatures.reproduce import SiameseRun, checkpoint_bytes, script
from tests.unit.test_signatures_siamese import synthetic_zip

ROOT = Path(__file__).resolve().parents[2]
LOSS = re.compile(r"^step (\d+) loss (\S+)$", re.MULTILINE)


def the_pages_run(data: str, run: SiameseRun):
    """What the page's trainer does for these settings (ui.signatures.models.job_target without the job)."""
    dataset = read_zip(data, data)
    users, _problems = protocol.usable_users(dataset)
    fold = protocol.make_folds(users, 5, 0)[run.fold]
    return train_siamese(dataset, fold, run.system, run.scenario, run.config, run.columns)


def test_the_generated_script_runs_and_prints_the_pages_losses(tmp_path) -> None:
    data = synthetic_zip(tmp_path / "synthetic.zip", users=10)
    run = SiameseRun("GRU", "skilled", 1, WITHOUT_PRESSURE, DEFAULT_TRAINING.replace(steps=4, seed=11), data="synthetic.zip")
    path = tmp_path / "run.py"
    path.write_text(script(run))
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=environment, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    printed = [(int(step), float(loss)) for step, loss in LOSS.findall(done.stdout)]
    expected = [(info.step, info.loss) for info in the_pages_run(data, run).result.history]
    assert printed == expected and len(printed) == 4
    assert "skilled" in done.stdout and (tmp_path / "signature-gru-fold1.safetensors").is_file()


def test_the_script_writes_the_runs_settings_and_another_seed_changes_it() -> None:
    run = SiameseRun("BLSTM", "skilled + random", 0, (0, 1, 2), DEFAULT_TRAINING.replace(steps=300, seed=7))
    text = script(run)
    assert "SYSTEM = 'BLSTM'" in text and "DATA = None" in text and "    seed=7," in text and "    steps=300," in text
    assert script(SiameseRun(**{**run.__dict__, "config": run.config.replace(seed=8)})) != text


def test_the_runs_weights_open_as_a_checkpoint(tmp_path) -> None:
    data = synthetic_zip(tmp_path / "synthetic.zip", users=10)
    run = SiameseRun("GRU", "random", 0, WITHOUT_PRESSURE, DEFAULT_TRAINING.replace(steps=2, seed=3))
    trained = the_pages_run(data, run)
    path = tmp_path / "weights.safetensors"
    path.write_bytes(checkpoint_bytes(trained, {"4vs1 skilled": 12.5}, run.columns))
    opened = checkpoints.load(path, expected_model="siamese", builders=BUILDERS)
    assert opened.extra["time_functions"] == list(WITHOUT_PRESSURE) and opened.metrics == {"4vs1 skilled": 12.5}
