"""The Compare cells race as a script: it compiles, runs, and prints the losses the page's job records."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from rnnviz.compare.configs import Budget, Configuration
from rnnviz.compare.reproduce import race_script, script
from rnnviz.compare.runner import GridState, grid_target, size_configurations
from rnnviz.compare.tasks import make_comparison_task
from rnnviz.training.jobs import Job, JobSlots

ROOT = Path(__file__).resolve().parents[2]
LOSS = re.compile(r"^(.+) seed (\d+) step (\d+) loss (\S+)$", re.MULTILINE)
BUDGET = Budget(parameters=2000, steps=3, seeds=2, batch_size=8)
CONFIGURATIONS = [Configuration("gru"), Configuration("lstm", bidirectional=True)]


def the_pages_race(seed: int) -> GridState:
    """What the page's Train all button runs (ui.compare.view.start), in a background job."""
    task = make_comparison_task("adding", 12)
    configurations = size_configurations(task, CONFIGURATIONS, BUDGET)
    job = Job(grid_target(task, configurations, BUDGET, seed_offset=seed), JobSlots(1), 12).start()
    assert job.wait(300)
    return job.extras["grid"]


def test_the_generated_script_runs_and_prints_the_races_losses(tmp_path) -> None:
    path = tmp_path / "compare-cells.py"
    path.write_text(script("adding", 12, CONFIGURATIONS, BUDGET, seed=5))
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=environment, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    printed = [(label, int(seed), int(step), float(loss)) for label, seed, step, loss in LOSS.findall(done.stdout)]
    state = the_pages_race(5)
    expected = [(r.label, r.seed, step, loss) for r in state.records for step, loss in zip(r.steps, r.loss, strict=True)]
    assert printed == expected and len(printed) == 2 * 2 * 3
    assert {seed for _label, seed, _step, _loss in printed} == {5, 6}
    assert race_script(state) == script("adding", 12, state.configurations, BUDGET, seed=5)


def test_the_script_writes_every_setting() -> None:
    text = script("copy", 40, CONFIGURATIONS, BUDGET.replace(learning_rate=3e-3), seed=9)
    assert "TASK = 'copy'" in text and "SEED = 9" in text and "    learning_rate=0.003," in text
    assert "Configuration(kind='lstm', num_layers=1, bidirectional=True, hidden_size=32)," in text
