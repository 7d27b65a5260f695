"""rnnviz: recurrent networks written from the lecture's equations, with probes and plots.

The package never imports Streamlit: pages call into it, notebooks can too. The names a
notebook reaches for first are here, imported on first use so `import rnnviz` stays instant:

    from rnnviz import Recurrent, make_cell, timestep_grads, fit, TrainConfig
    from rnnviz import cells, recurrent, probes      # the modules, as before the subpackages

Layout: `core` (cells, recurrent layers, the table of cell kinds), `probes`, `training`,
`io` (checkpoints), `data` (tasks, text, pairs), `plots`, and one package per page family
(`charlm`, `seq2seq`, `gradlab`).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name -> (module, attribute or None for the module itself)
_EXPORTS: dict[str, tuple[str, str | None]] = {
    "KINDS": ("rnnviz.core.kinds", "KINDS"),
    "CellKind": ("rnnviz.core.kinds", "CellKind"),
    "kind_info": ("rnnviz.core.kinds", "kind_info"),
    "make_cell": ("rnnviz.core.cells", "make"),
    "Recurrent": ("rnnviz.core.recurrent", "Recurrent"),
    "timestep_grads": ("rnnviz.probes.gradients", "timestep_grads"),
    "fit": ("rnnviz.training.loop", "fit"),
    "TrainConfig": ("rnnviz.training.loop", "TrainConfig"),
    "save": ("rnnviz.io.checkpoints", "save"),
    "load": ("rnnviz.io.checkpoints", "load"),
    "CheckpointError": ("rnnviz.io.checkpoints", "CheckpointError"),
    "make_task": ("rnnviz.data.tasks", "make_task"),
    "CharLM": ("rnnviz.charlm.model", "CharLM"),
    "Seq2Seq": ("rnnviz.seq2seq.model", "Seq2Seq"),
    "Translator": ("rnnviz.seq2seq.translator", "Translator"),
    # modules under the names the README used before the subpackages
    "cells": ("rnnviz.core.cells", None),
    "recurrent": ("rnnviz.core.recurrent", None),
    "probes": ("rnnviz.probes", None),
    "train": ("rnnviz.training", None),
    "tasks": ("rnnviz.data.tasks", None),
    "checkpoints": ("rnnviz.io.checkpoints", None),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import an exported name on first use (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'rnnviz' has no attribute {name!r}")
    module_name, attribute = _EXPORTS[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The exported names beside the module's own."""
    return sorted(set(globals()) | set(_EXPORTS))
