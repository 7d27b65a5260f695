"""A Compare cells race written out as a script that runs it again from scratch.

The script calls what the page's job calls (`make_comparison_task`, `size_configurations`, then `run_grid`
with the race's Budget and the sidebar's seed as `seed_offset`), so the same settings print the same losses.
"""

from __future__ import annotations

import dataclasses

from rnnviz.compare.configs import Budget, Configuration
from rnnviz.compare.runner import GridState
from rnnviz.io.scripts import keyword_arguments, literal, reproduction_script

IMPORTS = (
    "from rnnviz.compare.configs import Budget, Configuration",
    "from rnnviz.compare.runner import run_grid, size_configurations",
    "from rnnviz.compare.tasks import make_comparison_task",
)
DEFAULT_LENGTH = 50  # make_comparison_task's length, for tasks without one (the bracket language)
BODY = """
TASK = {task}
LENGTH = {length}  # sequence length of the generated tasks
REVIEWS = {reviews}  # the reviews CSV of the sentiment task (None for the others)
PAIRS = {pairs}  # the tutorial's eng-fra.txt of the translation task (None for the others)
SEED = {seed}  # the sidebar's seed: run k of a configuration trains from seed SEED + k
CONFIGURATIONS = [
{configurations}
]
BUDGET = Budget(
{budget}
)


def main():
    task = make_comparison_task(TASK, LENGTH, REVIEWS, PAIRS)
    configurations = size_configurations(task, CONFIGURATIONS, BUDGET)
    for record in run_grid(task, configurations, BUDGET, seed_offset=SEED):
        for step, loss in zip(record.steps, record.loss):
            print(f"{{record.label}} seed {{record.seed}} step {{step}} loss {{loss!r}}")
        print(f"{{record.label}} seed {{record.seed}}: {{record.status}}, held-out score {{record.final_metric:.4f}}, "
              f"hidden size {{record.configuration.hidden_size}}, {{record.parameters:,}} parameters", flush=True)


if __name__ == "__main__":
    main()
"""


def _configuration(configuration: Configuration) -> str:
    """One Configuration(...) line of the script."""
    fields = {field.name: getattr(configuration, field.name) for field in dataclasses.fields(configuration)}
    return f"    Configuration({', '.join(f'{name}={literal(value)}' for name, value in fields.items())}),"


def script(task: str, length: int, configurations: list[Configuration], budget: Budget, seed: int,
           reviews: str | None = None, pairs: str | None = None) -> str:  # fmt: skip
    """A plain-Python script that races these configurations again with this budget and seed."""
    settings = {field.name: getattr(budget, field.name) for field in dataclasses.fields(budget)}
    body = BODY.format(task=literal(task), length=literal(int(length)), reviews=literal(reviews), pairs=literal(pairs),
                       seed=literal(int(seed)),
                       configurations="\n".join(_configuration(c) for c in configurations),
                       budget=keyword_arguments(settings))  # fmt: skip
    return reproduction_script(summary=f"Race {len(configurations)} cell configurations on the {task} task, as the page did.",
                               page="Compare cells", file_name="compare-cells.py", imports=IMPORTS, body=body)  # fmt: skip


def race_script(state: GridState) -> str:
    """The script of a finished race (`job.extras["grid"]`): its task, configurations, budget and seed offset.

    A sentiment race names its CSV "reviews.csv" (an upload has no path on the reader's machine), a translation
    race the tutorial's "eng-fra.txt": put the file beside the script.
    """
    generated = getattr(state.task, "task", None)
    length = getattr(generated, "length", DEFAULT_LENGTH)
    reviews = "reviews.csv" if state.task.name == "sentiment" else None
    pairs = "eng-fra.txt" if state.task.name == "translation" else None
    offset = min((record.seed for record in state.records), default=0)
    return script(state.task.name, length, list(state.configurations), state.budget, offset, reviews, pairs)


ROW_IMPORTS = (
    "from rnnviz.compare.homework import load_tutorial_pairs, train_row",
    "from rnnviz.seq2seq.translator import Translator",
)
ROW_BODY = """
PAIRS = "eng-fra.txt"  # the tutorial's pairs file, beside this script (split as the homework splits it)
CELL = {cell}
LAYERS = {layers}  # the encoder's layers (the decoder has one)
BIDIRECTIONAL = {bidirectional}  # the encoder's direction
SEED = {seed}
SECONDS = {seconds}  # wall-clock budget, validations included (None: STEPS steps); a faster machine takes more steps
STEPS = {steps}


class PrintLosses:
    def on_step_end(self, info):
        print(f"step {{info.step}} loss {{info.loss!r}}", flush=True)


def main():
    data = load_tutorial_pairs(PAIRS)
    run, model = train_row(data, CELL, LAYERS, BIDIRECTIONAL, SEED, SECONDS, STEPS, callbacks=[PrintLosses()])
    print(f"held-out BLEU {{run.test_bleu:.2f}} after {{run.steps}} steps ({{run.status}})")
    Translator.from_data(model, data).save("{file_stem}.safetensors")


if __name__ == "__main__":
    main()
"""


def row_file_stem(cell: str, layers: int, bidirectional: bool, seed: int) -> str:
    """The file name (without extension) of a homework row's script and weights."""
    return f"homework-{cell}-x{layers}{'-bidirectional' if bidirectional else ''}-seed{seed}"


def row_script(cell: str, layers: int, bidirectional: bool, seed: int, seconds: float | None, steps: int | None) -> str:
    """A script that trains one homework row again, as the page's "Check a row" did, and saves the translator."""
    stem = row_file_stem(cell, layers, bidirectional, seed)
    body = ROW_BODY.format(cell=literal(cell), layers=literal(int(layers)), bidirectional=literal(bool(bidirectional)),
                           seed=literal(int(seed)), seconds=literal(seconds), steps=literal(steps), file_stem=stem)  # fmt: skip
    summary = f"Train the homework row {cell.upper()} x{layers} again and score it."
    return reproduction_script(summary=summary, page="Compare cells, Homework", file_name=f"{stem}.py",
                               imports=ROW_IMPORTS, body=body)  # fmt: skip
