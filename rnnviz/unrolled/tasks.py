"""The lecture's five input/output types ("Types" slide), each a small task a page can train and run.

    from rnnviz.unrolled.tasks import make_io_task, train
    task = make_io_task("encoder-decoder")           # or "one-to-one", "one-to-many", "many-to-one", ...
    trained = train(task, seed=0)                     # through rnnviz.training.fit, within seconds on a laptop
    steps = task.run(trained.model, "wednesday 25 nov 2026")   # StepOutputs: inputs/outputs per step
    steps.answer                                      # "2026-11-25"

| type                  | task (real application)                          | model                          |
|-----------------------|--------------------------------------------------|--------------------------------|
| one-to-one            | 3x3 line images (image classification)           | Recurrent, T = 1, + readout    |
| one-to-many           | spell a number 0-99 (image captioning)           | vector -> h_0, char decoder    |
| many-to-one           | adding problem, or real reviews (sentiment)      | Recurrent + readout at step T  |
| many-to-many-aligned  | bracket depth per character (frame-level video)  | Recurrent + readout every step |
| encoder-decoder       | dates to ISO (machine translation)               | GRU encoder, GRU decoder       |

Each task states its `application`, `shapes`, `metric` and `target`; its `defaults` reach the
target within 20 s on 2 laptop cores (bench/unrolled_tasks.py measures it).
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from rnnviz.core.validation import require_choice
from rnnviz.unrolled.io_common import (
    IO_TYPES,
    MAX_HIDDEN_SIZE,
    MAX_STEPS,
    Defaults,
    Evaluation,
    IOTask,
    StepOutputs,
    TargetWatch,
    Trained,
    flush_denormals,
    train,
    train_config,
)
from rnnviz.unrolled.io_decode import DateTask, DecoderTask, PairBatch, SpellingTask, spell
from rnnviz.unrolled.io_models import (
    Captioner,
    CharDecoder,
    Decoded,
    DecoderStart,
    EmbeddedSequenceModel,
    EncoderDecoder,
    build_seeded,
    initialize_weights,
)
from rnnviz.unrolled.io_readout import AddingSumTask, BracketDepthTask, LineImageTask
from rnnviz.unrolled.io_sentiment import SentimentTask, read_reviews

__all__ = [
    "IO_TYPES", "MAX_HIDDEN_SIZE", "MAX_STEPS", "TASK_CLASSES", "AddingSumTask", "BracketDepthTask", "Captioner",
    "CharDecoder", "DateTask", "Decoded", "DecoderStart", "DecoderTask", "Defaults", "EmbeddedSequenceModel",
    "EncoderDecoder", "Evaluation", "IOTask", "LineImageTask", "PairBatch", "SentimentTask", "SpellingTask",
    "StepOutputs", "TargetWatch", "Trained", "build_seeded", "flush_denormals", "initialize_weights", "make_io_task",
    "read_reviews", "spell", "train", "train_config",
]

TASK_CLASSES: dict[str, type[IOTask]] = {
    "one-to-one": LineImageTask,
    "one-to-many": SpellingTask,
    "many-to-one": AddingSumTask,
    "many-to-many-aligned": BracketDepthTask,
    "encoder-decoder": DateTask,
}


def make_io_task(io_type: str, *, reviews: str | Path | None = None, **options: Any) -> IOTask:
    """The task of one input/output type with its options; many-to-one reads real reviews when given their CSV."""
    require_choice("input/output type", io_type, IO_TYPES)
    if reviews is not None and io_type != "many-to-one":
        raise ValueError("reviews= is the data of the many-to-one sentiment task only")
    task_class: type[IOTask] = SentimentTask if reviews is not None else TASK_CLASSES[io_type]
    accepted = [name for name in inspect.signature(task_class.__init__).parameters if name not in ("self", "path")]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(f"unknown option(s) for {io_type} ({task_class.name}): {', '.join(unknown)}; "
                         f"accepted: {', '.join(accepted) if accepted else 'none'}")
    return SentimentTask(reviews, **options) if reviews is not None else task_class(**options)
