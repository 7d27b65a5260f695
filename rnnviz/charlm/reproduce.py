"""The Inside the cell page's training run written out as a plain PyTorch script that trains it again from scratch.

The page trains `train_charlm(corpus, settings)` on `page_corpus(...)`; the script makes the same calls with the
run's settings as literals, so the same seed on a CPU prints the same losses.
"""

from __future__ import annotations

from pathlib import Path

from rnnviz.charlm.train import TRAINING, Corpus, LMSettings, bracket_corpus, text_corpus
from rnnviz.io.scripts import keyword_arguments, literal
from rnnviz.io.scripts import reproduction_script as write_script

BRACKET_CHARS = 100_000  # the page's bracket corpus: 100,000 training characters
MAX_TEXT_CHARS = 2_000_000  # the page trains on at most this much of an uploaded text


def page_settings(kind: str, hidden: int, steps: int, seed: int) -> LMSettings:
    """The settings the page trains with: SRU gets two layers (one is too weak), the others one, embedding 32."""
    layers, embedding = (2, hidden) if kind == "sru" else (1, 32)
    return LMSettings(
        kind=kind, hidden_size=hidden, num_layers=layers, embedding_size=embedding, train=TRAINING.replace(steps=steps, seed=seed)
    )


def page_corpus(seed: int, text: str | None = None, name: str = "text") -> Corpus:
    """The bracket language from `seed`, or the first MAX_TEXT_CHARS characters of an uploaded text."""
    if text is None:
        return bracket_corpus(BRACKET_CHARS, seed=seed)
    return text_corpus(text[:MAX_TEXT_CHARS], name=name)


def _corpus_lines(corpus_name: str) -> str:
    """The script's lines that build the corpus."""
    if corpus_name == "brackets":
        return "corpus = page_corpus(SEED)  # the bracket-and-quote language, generated from the seed"
    file_name = literal(Path(corpus_name).name)
    return (
        f'text = open({file_name}, encoding="utf-8").read()  # your text file, next to this script\n'
        f"corpus = page_corpus(SEED, text, name={file_name})"
    )


BODY = """
SEED = {seed}
{corpus_lines}
settings = LMSettings(
{settings}
    train=TRAINING.replace(steps={steps}, seed=SEED),
)


class PrintLoss:
    \"\"\"Print the loss (bits per character) of the first steps and then every 50.\"\"\"

    def on_step_end(self, info):
        if info.step <= 10 or info.step % 50 == 0 or info.step == info.steps:
            print(f"step {{info.step}} loss {{info.loss:.6f}} ({{info.metrics['bits_per_char']:.3f}} bits/char)", flush=True)


trained = train_charlm(corpus, settings, callbacks=[PrintLoss()])
print(f"validation: {{trained.metrics['validation_bpc']:.3f}} bits per character")
save_charlm({weights}, trained, command="redone by the script from the Inside the cell page")
print("saved", {weights})
"""


def reproduction_script(settings: LMSettings, corpus_name: str, *, file_name: str = "charlm-run.py") -> str:
    """A plain PyTorch program that trains this character model again from scratch and prints its losses."""
    model = {
        "kind": settings.kind,
        "hidden_size": settings.hidden_size,
        "num_layers": settings.num_layers,
        "embedding_size": settings.embedding_size,
    }
    weights = literal(file_name.removesuffix(".py") + ".safetensors")
    body = BODY.format(
        seed=literal(settings.train.seed),
        corpus_lines=_corpus_lines(corpus_name),
        settings=keyword_arguments(model),
        steps=literal(settings.train.steps),
        weights=weights,
    )
    imports = [
        "import torch",
        "",
        "from rnnviz.charlm.reproduce import page_corpus",
        "from rnnviz.charlm.train import TRAINING, LMSettings, save_charlm, train_charlm",
    ]
    summary = (
        f"Train a character model as the Inside the cell page did: {settings.kind}, {settings.hidden_size} "
        f"units, {settings.train.steps} steps on {Path(corpus_name).name}, seed {settings.train.seed}."
    )
    return write_script(
        summary=summary, page="Inside the cell, Train your own model", file_name=file_name, imports=imports, body=body
    )
