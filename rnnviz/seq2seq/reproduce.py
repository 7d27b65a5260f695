"""The Translate page's "Train live" run, built here (data, model, settings) and written out as a script that redoes it.

The page calls `live_setup(run)`; the script made by `reproduction_script(run)` makes the same calls with the run's
settings as literals, so the same seed on a CPU prints the same losses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from rnnviz.core.randomness import make_generator
from rnnviz.data.pairs import PairData, date_data, load_pairs
from rnnviz.io.scripts import keyword_arguments, literal
from rnnviz.io.scripts import reproduction_script as write_script
from rnnviz.seq2seq.model import Seq2Seq
from rnnviz.seq2seq.training import Seq2SeqConfig

DATE_SPLIT = {"test": 200, "validation": 200}  # the generated dates: held-out pairs
CORPUS_SPLIT = {"test": 1000, "validation": 300}  # a corpus file: held-out pairs


@dataclass(frozen=True)
class LiveRun:
    """The settings of one Train live run (what the page's widgets and the sidebar's seed chose)."""

    data: str = "dates"  # "dates" (generated) or "corpus" (a Tatoeba/Anki pairs file)
    cell: str = "gru"
    attention: str = "additive"
    hidden: int = 64
    epochs: int = 6
    bidirectional: bool = True
    learning_rate: float = 5e-3
    batch: int = 64
    pairs: int = 6000  # generated dates
    source: str = "fra"  # a corpus: source and target languages, the tutorial's filter, the file's name
    target: str = "eng"
    tutorial_filter: bool = True
    corpus_file: str = ""
    seed: int = 0

    @property
    def dropout(self) -> float:
        """No dropout on the date task (it is clean); 0.1 on a corpus."""
        return 0.0 if self.data == "dates" else 0.1


def run_data(run: LiveRun, corpus: str | os.PathLike[str] | IO[Any] | None = None) -> PairData:
    """The run's pairs: the generated dates, or the corpus (a path or an open upload; default: run.corpus_file)."""
    if run.data == "dates":
        return date_data(run.pairs, seed=run.seed, **DATE_SPLIT)
    return load_pairs(
        corpus if corpus is not None else run.corpus_file,
        source_language=run.source,
        target_language=run.target,
        tutorial_filter=run.tutorial_filter,
        seed=run.seed,
        **CORPUS_SPLIT,
    )


def fixed_settings(run: LiveRun) -> dict[str, Any]:
    """Seq2Seq's keyword arguments that depend on the run only (not on its data)."""
    return {
        "hidden_size": run.hidden,
        "encoder_hidden_size": run.hidden // 2 if run.bidirectional else None,
        "cell": run.cell,
        "attention": run.attention,
        "bidirectional": run.bidirectional,
        "dropout": run.dropout,
        "tie_embeddings": True,
    }


def model_settings(run: LiveRun, data: PairData) -> dict[str, Any]:
    """Seq2Seq's keyword arguments for this run and data (the generator aside)."""
    max_source = max(len(s) if data.tokens == "chars" else len(s.split(" ")) for s, _ in data.train) + 1
    return {**fixed_settings(run), "max_source_length": max_source}


def steps_per_epoch(run: LiveRun, data: PairData) -> int:
    """Optimisation steps in one pass over the training pairs."""
    return max(1, len(data.train) // run.batch)


def run_config(run: LiveRun, data: PairData) -> Seq2SeqConfig:
    """The run's training settings: `epochs` passes, a validation after each."""
    per_epoch = steps_per_epoch(run, data)
    return Seq2SeqConfig(validate_every=per_epoch).replace(
        batch_size=run.batch, learning_rate=run.learning_rate, steps=per_epoch * run.epochs, seed=run.seed
    )


def live_setup(run: LiveRun, corpus: Any = None) -> tuple[PairData, Seq2Seq, Seq2SeqConfig]:
    """Data, a fresh model (weights from the run's seed) and the training settings of a Train live run."""
    data = run_data(run, corpus)
    model = Seq2Seq(
        len(data.source_vocab), len(data.target_vocab), **model_settings(run, data), generator=make_generator(run.seed)
    )
    return data, model, run_config(run, data)


def _data_line(run: LiveRun) -> str:
    """The script's line that builds the pairs."""
    if run.data == "dates":
        return f"data = date_data({run.pairs}, seed=SEED, test={DATE_SPLIT['test']}, validation={DATE_SPLIT['validation']})"
    return (
        f"data = load_pairs({literal(Path(run.corpus_file).name or 'eng-fra.txt')}, source_language={literal(run.source)}, "
        f"target_language={literal(run.target)}, tutorial_filter={run.tutorial_filter}, seed=SEED, "
        f"test={CORPUS_SPLIT['test']}, validation={CORPUS_SPLIT['validation']})  # the pairs file, next to this script"
    )


BODY = """
SEED = {seed}
{data_line}
max_source = max(len(s) if data.tokens == "chars" else len(s.split(" ")) for s, _ in data.train) + 1
model = Seq2Seq(
    len(data.source_vocab),
    len(data.target_vocab),
{model_arguments}
    max_source_length=max_source,
    generator=make_generator(SEED),
)
steps_per_epoch = max(1, len(data.train) // {batch})
config = Seq2SeqConfig(validate_every=steps_per_epoch).replace(
    batch_size={batch}, learning_rate={learning_rate}, steps=steps_per_epoch * {epochs}, seed=SEED)


class PrintLoss:
    \"\"\"Print the loss of the first steps and then every 50.\"\"\"

    def on_step_end(self, info):
        if info.step <= 10 or info.step % 50 == 0 or info.step == info.steps:
            print(f"step {{info.step}} loss {{info.loss:.6f}}", flush=True)


outcome = train_seq2seq(model, data, config, callbacks=[PrintLoss()])
for validation in outcome.validations:
    print(f"validation at step {{validation.step}}: BLEU {{validation.bleu:.1f}}, exact {{validation.exact:.1f}} %")
translator = Translator.from_data(model, data)
print(translator.translate({sentence}).text)
translator.save({file_name})
print("saved", {file_name})
"""


def reproduction_script(run: LiveRun, sentence: str, *, file_name: str = "translate-run.py") -> str:
    """A plain PyTorch program that trains this run again from scratch and prints its losses."""
    fixed = fixed_settings(run)
    weights = file_name.removesuffix(".py") + ".safetensors"
    body = BODY.format(
        seed=literal(run.seed),
        data_line=_data_line(run),
        model_arguments=keyword_arguments(fixed),
        batch=literal(run.batch),
        learning_rate=literal(run.learning_rate),
        epochs=literal(run.epochs),
        sentence=literal(sentence),
        file_name=literal(weights),
    )
    imports = [
        "import torch",
        "",
        "from rnnviz.core.randomness import make_generator",
        "from rnnviz.data.pairs import date_data, load_pairs",
        "from rnnviz.seq2seq.model import Seq2Seq",
        "from rnnviz.seq2seq.training import Seq2SeqConfig, train_seq2seq",
        "from rnnviz.seq2seq.translator import Translator",
    ]
    summary = (
        f"Train an encoder-decoder as the Translate page's Train live tab did: {run.data}, {run.cell} cells, "
        f"{run.attention} attention, {run.hidden} units, {run.epochs} epochs, seed {run.seed}."
    )
    return write_script(summary=summary, page="Translate and attend, Train live", file_name=file_name, imports=imports, body=body)
