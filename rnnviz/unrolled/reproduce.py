"""Unrolled graph runs written out as scripts, and their weights as checkpoints: the page's trainer, same seed.

The Five I/O types tab trains one model (`script`); the "Is it parallelizable?" tab trains one encoder-decoder
per teacher-forcing ratio (`forcing_script`, one weights file per ratio).
"""

from __future__ import annotations

import math

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


def checkpoint_bytes(
    model: nn.Module, trained: Trained, *, task_name: str, page: str = PAGE, extra: dict[str, object] | None = None
) -> bytes:
    """A trained I/O model's weights as the bytes of a .safetensors checkpoint (load it with builders=BUILDERS)."""
    history = [float(loss) if math.isfinite(loss) else None for loss in trained.losses]  # JSON has no NaN
    metrics = {"held_out": float(trained.metric)} if math.isfinite(trained.metric) else {}
    return checkpoints.to_bytes(
        model,
        history=history,
        metrics=metrics,
        step=trained.result.steps_done,
        extra={"task": task_name, "page": page, **(extra or {})},
        builders=BUILDERS,
    )


FORCING_PAGE = "Unrolled graph, Is it parallelizable?"
FORCING_IMPORTS = (
    "import torch",
    "",
    "from rnnviz.io import checkpoints",
    "from rnnviz.unrolled.reproduce import BUILDERS",
    "from rnnviz.unrolled.tasks import make_io_task, train, train_config",
)
FORCING_BODY = """
seed = {seed}
steps = {steps}
for ratio in {ratios}:  # one fresh model per ratio, each from the same seed: same first weights, same batches
    task = make_io_task("encoder-decoder", teacher_forcing=ratio, per={per})
    trained = train(task, seed=seed, config=train_config(task, seed, steps=steps), evaluate_every=steps)
    print(f"ratio {{ratio:g}}: {{trained.result.status}} after {{trained.result.steps_done}} steps")
    for step, loss in enumerate(trained.losses[:{shown}], start=1):
        print(f"ratio {{ratio:g}} step {{step}} loss {{loss:.6f}}")
    print(f"ratio {{ratio:g}} held-out {{task.metric}}, decoding free-running: {{trained.metric:.3f}}")
    checkpoints.save({stem} + f"{{ratio:g}}.safetensors", trained.model, builders=BUILDERS,
                     extra={{"task": task.name, "teacher_forcing": ratio, "per": task.per}})
"""


FORCING_STEM = "teacher-forcing-ratio-"  # + the ratio: one ratio's weights, on the page and in the script


def forcing_file_stem(ratio: float) -> str:
    """The file name (without suffix) of one ratio's weights, the same on the page and in the script."""
    return f"{FORCING_STEM}{ratio:g}"


def forcing_script(*, ratios: list[float], steps: int, per: str, seed: int, file_name: str = "teacher_forcing_runs.py") -> str:
    """The script that trains the teacher-forcing runs again (one encoder-decoder per ratio) and prints their losses."""
    body = FORCING_BODY.format(
        seed=literal(seed),
        steps=literal(steps),
        ratios=literal([float(ratio) for ratio in ratios]),
        per=literal(per),
        shown=SHOWN_STEPS,
        stem=literal(FORCING_STEM),
    )
    shown = ", ".join(f"{ratio:g}" for ratio in ratios)
    return reproduction_script(
        summary=f"Teacher forcing: ratios {shown} (coin per {per}), {steps} steps each, seed {seed}.",
        page=FORCING_PAGE,
        file_name=file_name,
        imports=FORCING_IMPORTS,
        body=body,
    )
