"""A "Watch it form" run written out as a script, and its trained translator as a checkpoint: same seed, same losses.

The page trains through `snapshots.forming_target`; `downloadable_target` runs that same target and also keeps
what the downloads need (the run's settings and the trained weights). `script` writes the run out with the same
rnnviz calls and the settings as literals: it trains again, prints the losses step by step, the snapshots' PCA
maps (rotated onto each other, as the page draws them), and saves the translator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from rnnviz.data.pairs import PairData
from rnnviz.embeddings.snapshots import FormingSettings, build_model, date_word_data, forming_target
from rnnviz.io.scripts import keyword_arguments, literal, reproduction_script
from rnnviz.seq2seq.translator import Translator
from rnnviz.training.loop import TrainResult

PAGE = "Embeddings, Watch it form"
SHOWN_STEPS = 10  # loss lines the script prints
DATES_LINES = """pairs = date_word_data(settings.pairs, seed=settings.seed)  # generated dates as words
(source_words, source_rows), (target_words, target_rows) = word_rows(pairs.source_vocab), word_rows(pairs.target_vocab)"""
TUTORIAL_LINES = """pairs = tutorial_data({file}, seed=settings.seed)  # the tutorial's pairs file, next to this script
source_words, source_rows = tutorial_rows(pairs.source_vocab, pairs.info["source_language"])
target_words, target_rows = tutorial_rows(pairs.target_vocab, pairs.info["target_language"])"""
IMPORTS = (
    "import torch",
    "",
    "from rnnviz.embeddings.snapshots import (",
    "    EmbeddingSnapshots,",
    "    FormingSettings,",
    "    aligned_layouts,",
    "    build_model,",
    "    date_word_data,",
    "    displacement,",
    "    snapshot_steps,",
    "    tutorial_data,",
    "    tutorial_rows,",
    "    word_rows,",
    ")",
    "from rnnviz.seq2seq.training import Seq2SeqConfig, train_seq2seq",
    "from rnnviz.seq2seq.translator import Translator",
)
BODY = """
settings = FormingSettings(
{settings}
)
{data_lines}
model = build_model(pairs, settings)  # the first weights, from the seed; word vectors start small
snapshots = EmbeddingSnapshots(model, source_rows, target_rows, snapshot_steps(settings.steps, settings.snapshots))
config = Seq2SeqConfig(validate_every=settings.steps, decay_start=0.7).replace(
    steps=settings.steps, learning_rate=settings.learning_rate, batch_size=settings.batch_size, seed=settings.seed
)
outcome = train_seq2seq(model, pairs, config, callbacks=[snapshots], keep_best=False)

print(f"{{outcome.result.status}} after {{outcome.result.steps_done}} steps")
for step, loss in enumerate([info.loss for info in outcome.result.history][:{shown}], start=1):
    print(f"step {{step}} loss {{loss:.6f}}")
if outcome.validations:
    last = outcome.validations[-1]
    print(f"held-out: {{last.exact:.0f}} % translated exactly, BLEU {{last.bleu:.1f}}")

# The page's word maps: each snapshot's source words on their 2 principal axes, rotated onto the snapshot before.
layouts = aligned_layouts([snapshot.source for snapshot in snapshots.snapshots], "pca")
print("snapshots at steps", [snapshot.step for snapshot in snapshots.snapshots])
print(f"between two snapshots a source word moves {{100 * displacement(layouts):.0f}} % of the map's size on average")
for word, (x, y) in list(zip(source_words, layouts[-1].tolist()))[:5]:
    print(f"{{word!r}} at ({{x:.3f}}, {{y:.3f}}) on the last map")
Translator.from_data(model, pairs).save({checkpoint}, extra={{"page": {page}}})
"""


def script(settings: FormingSettings, *, pairs_file: str | None = None, file_name: str = "watch_it_form.py") -> str:
    """The script that trains the run again (dates as words, or the tutorial's pairs file named `pairs_file`)."""
    if pairs_file is None:
        data_lines, data = DATES_LINES, "dates as words"
    else:
        data_lines, data = TUTORIAL_LINES.format(file=literal(Path(pairs_file).name or "eng-fra.txt")), "tutorial pairs"
    body = BODY.format(
        settings=keyword_arguments(asdict(settings)),
        data_lines=data_lines,
        shown=SHOWN_STEPS,
        checkpoint=literal(file_name.removesuffix(".py") + ".safetensors"),
        page=literal(PAGE),
    )
    return reproduction_script(
        summary=f"Watch it form: {data}, {settings.cell}, {settings.steps} steps, {settings.snapshots} snapshots, "
        f"seed {settings.seed}.",
        page=PAGE,
        file_name=file_name,
        imports=IMPORTS,
        body=body,
    )


class _KeepingJob:
    """The job as `forming_target` sees it: the same job, which also keeps the parameters the optimizer trains."""

    def __init__(self, job: Any) -> None:
        self._job = job

    def __getattr__(self, name: str) -> Any:
        return getattr(self._job, name)

    def on_train_begin(self, optimizer: Any) -> None:
        """Keep the trained tensors (the model's own, updated in place), then pass the call on."""
        self._job.extras["parameters"] = [parameter for group in optimizer.param_groups for parameter in group["params"]]
        handler = getattr(self._job, "on_train_begin", None)
        if handler is not None:
            handler(optimizer)


def downloadable_target(settings: FormingSettings, data: PairData | None = None) -> Callable[[Any], TrainResult]:
    """`forming_target(settings, data)` that also leaves the settings, the data and the trained weights in job.extras."""
    target = forming_target(settings, data)

    def run(job: Any) -> TrainResult:
        job.extras["forming"] = (settings, data)
        return target(_KeepingJob(job))

    return run


def trained_translator(job: Any) -> Translator | None:
    """The finished run's translator: its data's vocabularies and the trained weights (None if they were not kept)."""
    parameters, (settings, data) = job.extras.get("parameters"), job.extras.get("forming", (None, None))
    if parameters is None or settings is None:
        return None
    pairs = data if data is not None else date_word_data(settings.pairs, seed=settings.seed)
    model = build_model(pairs, settings)
    trainable = [parameter for parameter in model.parameters() if parameter.requires_grad]
    if [tuple(p.shape) for p in trainable] != [tuple(p.shape) for p in parameters]:
        return None
    with torch.no_grad():
        for mine, trained in zip(trainable, parameters, strict=True):
            mine.copy_(trained)
    return Translator.from_data(model.eval(), pairs)


def checkpoint_bytes(translator: Translator) -> bytes:
    """A translator as the bytes of its .safetensors checkpoint (opens with Translator.load)."""
    return translator.to_bytes(extra={"page": PAGE})
