"""A race's trained models as .safetensors checkpoints: one file per run, all of them in one zip.

Every run's model is written right after it is scored (the race keeps no models, only these bytes). A
translation run's file holds both vocabularies, so `Translator.load` opens it; the others hold the task's
vocabulary where it has one. Review classifiers are not in `rnnviz.io.registry`: load them with
`checkpoints.load(path, builders=BUILDERS)`.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Iterable
from typing import Any

from torch import nn

from rnnviz.io import checkpoints

BUILDERS = {"compare-review-classifier": "rnnviz.compare.tasks:ReviewClassifier"}
PAGE = "Compare cells"


def run_weights(model: nn.Module, record: Any, task: Any) -> bytes | None:
    """One finished run's weights and metadata as checkpoint bytes; None if the model cannot be stored."""
    history = [float(loss) if math.isfinite(loss) else None for loss in record.loss]  # JSON has no NaN
    metrics = {task.metric: float(record.final_metric)} if math.isfinite(record.final_metric) else {}
    extra = {
        "page": PAGE,
        "task": task.name,
        "configuration": record.label,
        "hidden_size": record.configuration.hidden_size,
        "seed": record.seed,
        "status": record.status,
    }
    try:
        return checkpoints.to_bytes(
            model,
            vocab=task.checkpoint_vocab(),
            history=history,
            metrics=metrics,
            step=record.steps[-1] if record.steps else 0,
            extra=extra,
            builders=BUILDERS,
        )
    except ValueError:  # a model without a registered config: the race goes on without its file
        return None


def file_name(record: Any) -> str:
    """The run's file in the zip, e.g. 'lstm-x1-h20-seed0.safetensors'."""
    c = record.configuration
    direction = "-bidirectional" if c.bidirectional else ""
    return f"{c.kind}-x{c.num_layers}{direction}-h{c.hidden_size}-seed{record.seed}.safetensors"


def weights_zip(records: Iterable[Any]) -> bytes | None:
    """Every stored run's checkpoint in one zip (None when no run has one)."""
    stored = [record for record in records if getattr(record, "weights", None)]
    if not stored:
        return None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for record in stored:
            archive.writestr(file_name(record), record.weights)
    return buffer.getvalue()
