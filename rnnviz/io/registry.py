"""Model builders by name, so a checkpoint can rebuild its model from plain config."""

from __future__ import annotations

import importlib
from typing import Any

import torch

# name -> "module:Class"; the class has `from_config(config) -> nn.Module` and a `config` property.
_BUILDERS: dict[str, str] = {
    "recurrent": "rnnviz.core.recurrent:Recurrent",
    "sequence": "rnnviz.training.tasks:SequenceModel",
    "charlm": "rnnviz.charlm.model:CharLM",
    "seq2seq": "rnnviz.seq2seq.model:Seq2Seq",
}


def register(name: str, target: str) -> None:
    """Register a model class under `name`; `target` is "module:Class"."""
    _BUILDERS[name] = target


def names() -> list[str]:
    """Names of the models that can be rebuilt from a config."""
    return sorted(_BUILDERS)


def build(config: dict[str, Any]) -> torch.nn.Module:
    """Rebuild a model from its config (the dict its `config` property returned)."""
    if not isinstance(config, dict) or "model" not in config:
        raise ValueError("a model config must be a dict with a 'model' key naming its builder")
    name = config["model"]
    if name not in _BUILDERS:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(names())}")
    module_name, class_name = _BUILDERS[name].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls.from_config(config)
