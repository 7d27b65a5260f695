"""The command-line flags for TrainConfig's knobs, shared by the char LM and seq2seq command lines."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from rnnviz.training.loop import TrainConfig

# The TrainConfig knobs a command line offers: their flags (the first is the one --help shows) and types.
TRAIN_FLAGS: dict[str, tuple[tuple[str, ...], type]] = {
    "steps": (("--steps",), int), "seconds": (("--seconds",), float), "learning_rate": (("--lr",), float),
    "batch_size": (("--batch-size", "--batch"), int), "clip_threshold": (("--clip",), float),
    "seed": (("--seed",), int),
}


def add_train_arguments(parser: argparse.ArgumentParser, defaults: TrainConfig, helps: dict[str, str], *,
                        unset: Iterable[str] = ()) -> None:
    """A flag for each knob in `helps`, its default read from `defaults` (None for the knobs in `unset`)."""
    for name, text in helps.items():
        flags, kind = TRAIN_FLAGS[name]
        default = None if name in unset else getattr(defaults, name)
        parser.add_argument(*flags, dest=name, type=kind, default=default, help=text)


def train_config_from(args: argparse.Namespace, defaults: TrainConfig,
                      knobs: Iterable[str] = tuple(TRAIN_FLAGS)) -> TrainConfig:
    """`defaults` with each of `knobs` the parsed command line holds (a None keeps the default)."""
    given = {name: getattr(args, name) for name in knobs if getattr(args, name, None) is not None}
    return defaults.replace(**given)
