"""A Five-I/O-types run written out as a script, and its weights as a checkpoint: the page's trainer, same seed."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from torch import nn

from rnnviz.io import checkpoints
from rnnviz.io.scripts import literal, reproduction_script
from rnnviz.unrolled.io_common import Trained

PAGE = "Unrolled graph, Five I/O types"
# The I/O models' names for rnnviz.io.checkpoints.load(path, builders=BUILDERS).
BUILDERS = {
    "unrolled-embedded-sequence": "rnnviz.unrolled.io_models:EmbeddedSequenceModel",
    "unrolled-captioner": "rnnviz.unrolled.io_models:Captioner",
    "unrolled-encoder-decoder": "rnnviz.unrolled.io_models:EncoderDecoder",
}
IMPORTS = (
    "import torch",
    "",
    "from rnnviz.io import checkpoints",
    "from rnnviz.unrolled.reproduce import BUILDERS",
    "from rnnviz.unrolled.tasks import make_io_task, train, train_config",
)
BODY = """
seed = {seed}
task = make_io_task({io_type}{reviews})
model = task.model(seed, kind={kind}, hidden_size={hidden_size})  # the first weights, from the seed
trained = train(task, seed=seed, model=model, config=train_config(task, seed, steps={steps}))

print(f"{{trained.result.status}} after {{trained.result.steps_done}} steps")
for step, loss in enumerate(trained.losses[:{shown}], start=1):
    print(f"step {{step}} loss {{loss:.6f}}")
print(f"held-out {{task.metric}}: {{trained.metric:.3f}} (target {{task.target:g}})")
print("an input and the model's answer:", task.example, "->", task.run(trained.model, task.example).answer)
checkpoints.save({checkpoint}, trained.model, builders=BUILDERS, extra={{"task": task.name}})
"""
SHOWN_STEPS = 10  # loss lines the script prints


def script(
    io_type: str,
    *,
    kind: str,
    hidden_size: int,
    steps: int,
    seed: int,
    reviews: str | None = None,
    file_name: str = "io_types_run.py",
) -> str:
    """The Python script that trains one I/O type's model from scratch and prints its losses step by step."""
    body = BODY.format(
        seed=literal(seed),
        io_type=literal(io_type),
        kind=literal(kind),
        hidden_size=literal(hidden_size),
        steps=literal(steps),
        shown=SHOWN_STEPS,
        reviews="" if reviews is None else f", reviews={literal(reviews)}",
        checkpoint=literal(file_name.removesuffix(".py") + ".safetensors"),
    )
    return reproduction_script(
        summary=f"Five I/O types: {io_type}, {kind}, {hidden_size} units, {steps} steps, seed {seed}.",
        page=PAGE,
        file_name=file_name,
        imports=IMPORTS,
        body=body,
    )


def checkpoint_bytes(model: nn.Module, trained: Trained, *, task_name: str) -> bytes:
    """A trained I/O model's weights as the bytes of a .safetensors checkpoint (load it with builders=BUILDERS)."""
    history = [float(loss) if math.isfinite(loss) else None for loss in trained.losses]  # JSON has no NaN
    metrics = {"held_out": float(trained.metric)} if math.isfinite(trained.metric) else {}
    with tempfile.TemporaryDirectory() as folder:
        path = checkpoints.save(
            Path(folder) / "model.safetensors",
            model,
            history=history,
            metrics=metrics,
            step=trained.result.steps_done,
            extra={"task": task_name, "page": PAGE},
            builders=BUILDERS,
        )
        return path.read_bytes()
