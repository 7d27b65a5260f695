"""Model builders by name, so a checkpoint can rebuild its model from plain config.

The table is fixed: a checkpoint names one of these models and nothing else is imported.
Code with models of its own (a test, a notebook) passes `builders={"name": "module:Class"}`
to `build`, `checkpoints.save` and `checkpoints.load`; nothing global is changed.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import torch

# name -> "module:Class"; the class has `from_config(config) -> nn.Module` and a `config` property.
# The names are stored in checkpoints: keep old ones when a class moves.
BUILDERS: Mapping[str, str] = MappingProxyType({
    "recurrent": "rnnviz.core.recurrent:Recurrent",
    "sequence": "rnnviz.training.tasks:SequenceModel",
    "charlm": "rnnviz.charlm.model:CharLM",
    "seq2seq": "rnnviz.seq2seq.model:Seq2Seq",
})


def with_builders(builders: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """The fixed table, plus the caller's own `builders` (which cannot replace a built-in name)."""
    if not builders:
        return BUILDERS
    clashes = sorted(set(builders) & set(BUILDERS))
    if clashes:
        raise ValueError(f"{', '.join(clashes)} already name rnnviz models; give your model another name")
    return {**BUILDERS, **builders}


def names(builders: Mapping[str, str] | None = None) -> list[str]:
    """Names of the models that can be rebuilt from a config."""
    return sorted(with_builders(builders))


def build(config: dict[str, Any], builders: Mapping[str, str] | None = None) -> torch.nn.Module:
    """Rebuild a model from its config (the dict its `config` property returned)."""
    if not isinstance(config, dict) or "model" not in config:
        raise ValueError("a model config must be a dict with a 'model' key naming its builder")
    table, name = with_builders(builders), config["model"]
    if name not in table:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(sorted(table))}")
    module_name, class_name = table[name].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls.from_config(config)
