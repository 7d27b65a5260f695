"""The gradient lab's reproduction script: it compiles, runs, and prints the losses the app's trainer gets."""

from __future__ import annotations

import pytest

from rnnviz.gradlab.presets import PRESETS
from rnnviz.gradlab.recorder import train_run
from rnnviz.gradlab.reproduce import script
from tests.unit.scripts import printed_losses, run_script

TINY = {"hidden_size": 8, "batch_size": 8, "steps": 4, "record_every": 2}


@pytest.mark.parametrize("number", [6])  # truncated BPTT with a GRU: the most rnnviz calls
def test_the_script_prints_the_losses_of_the_apps_run(number, tmp_path):
    settings = PRESETS[number - 1].settings.replace(**TINY, learning_rate=0.01).replace(seed=3)
    path = tmp_path / "run.py"
    path.write_text(script(settings, file_name="run.py"))
    done = run_script(path, timeout=120)
    expected = [info.loss for info in train_run(settings).history]
    assert printed_losses(done.stdout) == pytest.approx(expected, rel=1e-5)
    assert (tmp_path / "run.safetensors").is_file()


def test_the_script_writes_every_setting_out():
    settings = PRESETS[3].settings
    text = script(settings)
    for name in ("clip='norm'", "init='identity'", "cell='rnn-relu'", f"steps={settings.train.steps}", "seed=0"):
        assert name in text
