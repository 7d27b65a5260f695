"""A gradient-lab run written out as a script: the same settings, seed and rnnviz calls as the page's trainer."""

from __future__ import annotations

import dataclasses
import math

from torch import nn

from rnnviz.gradlab.recorder import Recording
from rnnviz.gradlab.settings import RunSettings
from rnnviz.io import checkpoints
from rnnviz.io.scripts import keyword_arguments, literal, reproduction_script

PAGE = "Gradient lab"
IMPORTS = (
    "import torch",
    "",
    "from rnnviz.gradlab.recorder import GradientRecorder",
    "from rnnviz.gradlab.settings import RunSettings, build_model",
    "from rnnviz.io import checkpoints",
    "from rnnviz.training.loop import TrainConfig, fit",
    "from rnnviz.training.tasks import task_loss, task_sampler",
)
BODY = """
train = TrainConfig(
{train}
)
settings = RunSettings(
{model}
    train=train,
)

model, task = build_model(settings)  # weights and W_hh's initialization from generators of the seed
recorder = GradientRecorder(model, task, settings)  # measures ||dL/dh_t|| on a fixed probe batch
recorder.record(0)
result = fit(model.parameters(), task_loss(model, task), task_sampler(task, settings.train.batch_size),
             settings.train, callbacks=[recorder])
recording = recorder.recording

print(f"{{result.status}} after {{result.steps_done}} steps (baseline loss {{recording.baseline_loss:.4f}})")
for info in recording.history[:{shown}]:
    print(f"step {{info.step}} loss {{info.loss:.6f}}")
last = recording.snapshots[-1]
print(f"gradient reaching t = 0 at step {{last.step}}: {{last.profile[0] / last.profile[-1]:.3g}} of the one at t = T")
checkpoints.save({checkpoint}, model, history=[info.loss for info in recording.history],
                 extra={{"settings": {label}}})
"""
SHOWN_STEPS = 10  # loss lines the script prints


def settings_arguments(settings: RunSettings) -> tuple[dict[str, object], dict[str, object]]:
    """(TrainConfig's fields, the other RunSettings fields) of a run, as plain values."""
    train = dataclasses.asdict(settings.train)
    model = {field.name: getattr(settings, field.name) for field in dataclasses.fields(settings) if field.name != "train"}
    return train, model


def script(settings: RunSettings, *, file_name: str = "gradient_lab_run.py") -> str:
    """The Python script that trains `settings` from scratch and prints its losses step by step."""
    train, model = settings_arguments(settings)
    body = BODY.format(
        train=keyword_arguments(train),
        model=keyword_arguments(model),
        shown=SHOWN_STEPS,
        checkpoint=literal(file_name.removesuffix(".py") + ".safetensors"),
        label=literal(settings.label()),
    )
    return reproduction_script(
        summary=f"Gradient lab run: {settings.label()}, seed {settings.train.seed}.",
        page=PAGE,
        file_name=file_name,
        imports=IMPORTS,
        body=body,
    )


def checkpoint_bytes(model: nn.Module, recording: Recording) -> bytes:
    """A trained run's weights as the bytes of a .safetensors checkpoint, with its losses and settings."""
    train, model_settings = settings_arguments(recording.settings)
    extra = {
        "settings": {**model_settings, "train": {**train, "tbptt": list(train["tbptt"] or []) or None}},
        "label": recording.settings.label(),
        "page": PAGE,
    }
    history = [float(info.loss) if math.isfinite(info.loss) else None for info in recording.history]  # JSON: no NaN
    return checkpoints.to_bytes(model, history=history, step=len(history), extra=extra)
