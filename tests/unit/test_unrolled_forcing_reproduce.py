"""The teacher-forcing runs' script: it runs, prints each ratio's losses as the page's trainer gets them, saves each model."""

from __future__ import annotations

import pytest

from rnnviz.io import checkpoints
from rnnviz.unrolled.reproduce import BUILDERS, checkpoint_bytes, forcing_file_stem, forcing_script
from tests.unit.scripts import PageJob, printed_losses, run_script
from ui.unrolled.parallel_view import _target

RUN = {"ratios": [1.0, 0.3], "steps": 3, "per": "step", "seed": 4}


def page_run() -> PageJob:
    """The page's Train button for RUN, without the server (same target, same seed)."""
    job = PageJob()
    _target(RUN["ratios"], RUN["steps"], RUN["per"], RUN["seed"])(job)
    return job


def printed(output: str, ratio: float) -> list[float]:
    """The `ratio R step N loss X` lines of one ratio, as numbers."""
    return printed_losses(output, prefix=f"ratio {ratio:g} ")


def test_the_script_prints_each_ratios_losses_of_the_pages_run(tmp_path):
    path = tmp_path / "run.py"
    path.write_text(forcing_script(file_name="run.py", **RUN))
    done = run_script(path, timeout=300)
    job = page_run()
    curves = job.extras["curves"]
    assert [curve.ratio for curve in curves] == RUN["ratios"]
    for curve in curves:
        assert len(curve.losses) == RUN["steps"]
        assert printed(done.stdout, curve.ratio) == pytest.approx(curve.losses, rel=1e-5, abs=1e-6)
    assert printed(done.stdout, 1.0) != printed(done.stdout, 0.3)  # the ratio changes what is fed, so the losses
    for ratio in RUN["ratios"]:
        loaded = checkpoints.load(tmp_path / f"{forcing_file_stem(ratio)}.safetensors", builders=BUILDERS)
        assert loaded.extra["teacher_forcing"] == ratio


def test_the_pages_weights_of_each_ratio_load_back_as_that_model(tmp_path):
    job = page_run()
    for ratio, trained in job.extras["trained"]:
        path = tmp_path / f"{forcing_file_stem(ratio)}.safetensors"
        path.write_bytes(checkpoint_bytes(trained.model, trained, task_name="dates", extra={"teacher_forcing": ratio}))
        loaded = checkpoints.load(path, builders=BUILDERS)
        assert loaded.extra["teacher_forcing"] == ratio
        for name, tensor in trained.model.state_dict().items():
            assert (loaded.model.state_dict()[name] == tensor).all(), name


def test_the_script_writes_the_runs_settings_out():
    text = forcing_script(ratios=[1.0, 0.5, 0.0], steps=450, per="batch", seed=7)
    for written in ("seed = 7", "steps = 450", "[1.0, 0.5, 0.0]", "per='batch'"):
        assert written in text
