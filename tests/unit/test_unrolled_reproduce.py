"""The Five I/O types' reproduction script: it runs and prints the losses of the page's trainer; the weights load."""

from __future__ import annotations

import pytest

from rnnviz.io import checkpoints
from rnnviz.unrolled.reproduce import BUILDERS, checkpoint_bytes, script
from rnnviz.unrolled.tasks import make_io_task, train, train_config
from tests.unit.scripts import printed_losses, run_script

RUN = {"kind": "gru", "hidden_size": 12, "steps": 4, "seed": 2}


def trained_like_the_page(io_type: str):
    """What the page's Train button runs for these settings (ui/unrolled/io_view.py)."""
    task = make_io_task(io_type)
    model = task.model(RUN["seed"], kind=RUN["kind"], hidden_size=RUN["hidden_size"])
    return task, train(task, seed=RUN["seed"], model=model, config=train_config(task, RUN["seed"], steps=RUN["steps"]))


def test_the_script_prints_the_losses_of_the_pages_run(tmp_path):
    path = tmp_path / "run.py"
    path.write_text(script("encoder-decoder", file_name="run.py", **RUN))
    done = run_script(path, timeout=300)
    printed = printed_losses(done.stdout)
    assert printed == pytest.approx(trained_like_the_page("encoder-decoder")[1].losses, rel=1e-5)
    assert checkpoints.load(tmp_path / "run.safetensors", builders=BUILDERS).model is not None


def test_the_checkpoint_bytes_load_back_as_the_same_weights(tmp_path):
    task, trained = trained_like_the_page("many-to-many-aligned")
    path = tmp_path / "model.safetensors"
    path.write_bytes(checkpoint_bytes(trained.model, trained, task_name=task.name))
    loaded = checkpoints.load(path, builders=BUILDERS).model
    for name, tensor in trained.model.state_dict().items():
        assert (loaded.state_dict()[name] == tensor).all(), name
