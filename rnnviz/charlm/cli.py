"""Command line for character language models: `python -m rnnviz.charlm {train,evaluate,sample} ...`.

    python -m rnnviz.charlm train --corpus brackets --cell lstm --hidden 64 --seconds 120 \\
        --out checkpoints/charlm-brackets-lstm.safetensors
    python -m rnnviz.charlm train --corpus ../shared/data/tinyshakespeare.txt --cell gru --seconds 300 --out FILE
    python -m rnnviz.charlm evaluate FILE --corpus brackets
    python -m rnnviz.charlm sample FILE --prefix "f(" --length 200
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from typing import TextIO

import torch

from rnnviz.charlm.model import CharLM, bits_per_char, sample_text
from rnnviz.charlm.train import TRAINING, Corpus, LMSettings, bracket_corpus, file_corpus, save_charlm, train_charlm
from rnnviz.core.cells import KINDS
from rnnviz.data.text import Vocabulary
from rnnviz.io import checkpoints
from rnnviz.training.flags import add_train_arguments, train_config_from
from rnnviz.training.loop import StepInfo

TRAIN_HELP = {"steps": "at most this many steps", "seconds": "stop after this many seconds",
              "learning_rate": "Adam learning rate", "batch_size": "windows per batch",
              "clip_threshold": "gradient norm clipping threshold"}  # --seed is the corpus's, shared with evaluate


class ProgressBar:
    """Training callback drawing `[#####-----] 52%  step 1040  1.93 bpc  31 s left` on one terminal line."""

    def __init__(self, steps: int, seconds: float | None, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.steps, self.seconds, self.stream, self.width = steps, seconds, stream, width
        self.started = time.perf_counter()
        self.last_draw = 0.0
        self.smoothed: float | None = None

    def fraction(self, step: int) -> float:
        """How far along: steps done, or time spent against the budget, whichever is further."""
        done = step / self.steps
        if self.seconds:
            done = max(done, (time.perf_counter() - self.started) / self.seconds)
        return min(done, 1.0)

    def on_step_end(self, info: StepInfo) -> None:
        """Redraw at most ten times a second."""
        bpc = info.metrics.get("bits_per_char", float("nan"))
        self.smoothed = bpc if self.smoothed is None else 0.95 * self.smoothed + 0.05 * bpc
        now = time.perf_counter()
        if now - self.last_draw < 0.1 and info.step != self.steps:
            return
        self.last_draw = now
        fraction = self.fraction(info.step)
        elapsed = now - self.started
        left = elapsed / fraction - elapsed if fraction > 0 else float("nan")
        filled = round(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {fraction:4.0%}  step {info.step}  {self.smoothed:.3f} bpc  "
                          f"{left:4.0f} s left ")
        self.stream.flush()

    def on_train_end(self, result: object) -> None:
        """End the progress line."""
        self.stream.write("\n")
        self.stream.flush()


def load_corpus(name: str, *, chars: int, seed: int, max_depth: int) -> Corpus:
    """"brackets" (generated) or a path to a UTF-8 text file."""
    if name == "brackets":
        return bracket_corpus(chars, max_depth=max_depth, seed=seed)
    return file_corpus(name)


def add_corpus_arguments(command: argparse.ArgumentParser) -> None:
    """--corpus and the generated corpus's settings (the seed also seeds training), shared by train and evaluate."""
    command.add_argument("--corpus", default="brackets", help='"brackets" (generated) or a UTF-8 text file')
    command.add_argument("--chars", type=int, default=300_000, help="brackets: characters to generate")
    command.add_argument("--max-depth", type=int, default=6, help="brackets: deepest nesting")
    command.add_argument("--seed", type=int, default=0)


def parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    top = argparse.ArgumentParser(prog="python -m rnnviz.charlm", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train a character language model and save a checkpoint")
    add_corpus_arguments(train)
    train.add_argument("--cell", choices=KINDS, default="lstm")
    train.add_argument("--hidden", type=int, default=128, help="units per layer")
    train.add_argument("--layers", type=int, default=1)
    train.add_argument("--embedding", type=int, default=32, help="embedding size; 0 for one-hot input")
    train.add_argument("--seq-length", type=int, default=100)
    add_train_arguments(train, TRAINING.replace(steps=100_000), TRAIN_HELP)
    train.add_argument("--threads", type=int, default=1, help="torch intra-op threads (1 is fastest for small models)")
    train.add_argument("--out", required=True, help="checkpoint file to write (.safetensors)")
    evaluate = commands.add_parser("evaluate", help="bits per character of a checkpoint on a corpus's validation text")
    evaluate.add_argument("checkpoint")
    add_corpus_arguments(evaluate)
    sample = commands.add_parser("sample", help="generate text from a checkpoint")
    sample.add_argument("checkpoint")
    sample.add_argument("--prefix", default="\n")
    sample.add_argument("--length", type=int, default=300)
    sample.add_argument("--temperature", type=float, default=0.8)
    sample.add_argument("--seed", type=int, default=0)
    return top


def load_lm(path: str) -> tuple[CharLM, Vocabulary, checkpoints.Checkpoint]:
    """A CharLM checkpoint's model and vocabulary."""
    loaded = checkpoints.load(path, expected_model="charlm")
    return loaded.model, Vocabulary.from_json(loaded.vocab), loaded


def run_train(args: argparse.Namespace, argv: list[str]) -> int:
    """Train, report, save."""
    torch.set_num_threads(max(1, args.threads))
    corpus = load_corpus(args.corpus, chars=args.chars, seed=args.seed, max_depth=args.max_depth)
    settings = LMSettings(kind=args.cell, hidden_size=args.hidden, num_layers=args.layers,
                          embedding_size=args.embedding, seq_length=args.seq_length,
                          train=train_config_from(args, TRAINING))
    print(f"training a {args.cell} character model on {corpus.name} ({len(corpus.train):,} characters)",
          file=sys.stderr)
    trained = train_charlm(corpus, settings, callbacks=[ProgressBar(settings.train.steps, settings.train.seconds)])
    command = "python -m rnnviz.charlm " + " ".join(shlex.quote(part) for part in argv)
    path = save_charlm(args.out, trained, command=command)
    metrics = trained.metrics
    print(f"{trained.result.message}; validation {metrics['validation_bpc']:.3f} bits per character "
          f"over {metrics['validation_chars']:,} held-out characters; saved {path}")
    return 0 if trained.result.status == "finished" else 2


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    try:
        if args.command == "train":
            return run_train(args, argv)
        model, vocab, _loaded = load_lm(args.checkpoint)
        if args.command == "evaluate":
            corpus = load_corpus(args.corpus, chars=args.chars, seed=args.seed, max_depth=args.max_depth)
            print(f"{bits_per_char(model, vocab, corpus.validation[:100_000]):.4f} bits per character "
                  f"on {corpus.name} validation text")
        else:
            print(sample_text(model, vocab, args.prefix, args.length, temperature=args.temperature, seed=args.seed))
        return 0
    except (ValueError, OSError) as error:  # CheckpointError is a ValueError: one line, no traceback
        print(f"error: {error}", file=sys.stderr)
        return 1
