"""Safe checkpoints: one .safetensors file with the weights and JSON metadata; no pickle, ever.

The metadata (config, vocab, history, metrics, step, notes) is a JSON string under the key
"rnnviz" of the safetensors header; the model is rebuilt from its config through
`rnnviz.io.registry`, so opening a checkpoint never runs code stored in the file. The SHA-256
of the weights catches damaged or edited tensor data; it is not a signature. JSON follows
Python's json module, so NaN and Infinity in a diverged run's history survive the trip.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import torch
from safetensors import safe_open
from safetensors.torch import save as _safetensors_bytes

from rnnviz.io import registry
from rnnviz.io.format import (
    FORMAT_VERSION,
    METADATA_KEY,
    RESAVE,
    CheckpointError,
    check_digest,
    check_expected_model,
    check_fits,
    check_is_file,
    check_json_able,
    check_metadata_types,
    load_weights,
    parse_metadata,
    unreadable_error,
    weights_digest,
    write_atomically,
)

SUFFIX = ".safetensors"


DIRECTORY_ENV = "RNNVIZ_CHECKPOINTS"  # the folder of shipped checkpoints, if not the repository's
REPOSITORY_DIRECTORY = Path(__file__).resolve().parents[2] / "checkpoints"
DIRECTORY_ADVICE = (
    f"point rnnviz at the folder holding the checkpoints: set the environment variable {DIRECTORY_ENV}=DIR, "
    "or start the app with `streamlit run app.py -- --checkpoints DIR`"
)


def checkpoint_directory() -> Path:
    """Where shipped checkpoints are read: $RNNVIZ_CHECKPOINTS, else the repository's `checkpoints/`."""
    return Path(os.environ.get(DIRECTORY_ENV) or REPOSITORY_DIRECTORY)


def set_checkpoint_directory(directory: str | os.PathLike[str]) -> Path:
    """Read shipped checkpoints from `directory` from now on (sets $RNNVIZ_CHECKPOINTS); return it, absolute."""
    absolute = Path(directory).expanduser().resolve()
    os.environ[DIRECTORY_ENV] = str(absolute)
    return absolute


class CheckpointDirectoryError(CheckpointError):
    """A checkpoint folder that cannot be listed; the message names the folder and how to choose another."""

    subject = "checkpoint folder"

    def __init__(self, path: str | os.PathLike[str], problem: str, advice: str = DIRECTORY_ADVICE) -> None:
        super().__init__(path, problem, advice)


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """A loaded checkpoint: the rebuilt model (eval mode) and its metadata."""

    model: torch.nn.Module
    config: dict[str, Any]
    vocab: Any
    history: list[Any]
    metrics: dict[str, Any]
    step: int
    extra: dict[str, Any]
    path: Path
    created: str = ""
    torch_version: str = ""


class Listing(NamedTuple):
    """What `list_checkpoints` found: usable files with their metadata, and broken files with why."""

    usable: list[tuple[Path, dict[str, Any]]]
    broken: list[tuple[Path, str]]


def to_bytes(
    model: torch.nn.Module,
    *,
    vocab: Any = None,
    history: list[Any] | None = None,
    metrics: dict[str, Any] | None = None,
    step: int = 0,
    extra: dict[str, Any] | None = None,
    builders: Mapping[str, str] | None = None,
) -> bytes:
    """`model` and its metadata as the bytes of a .safetensors checkpoint (a download, or what `save` writes).

    `builders` names models of your own that `load` can rebuild (see `rnnviz.io.registry`).
    """
    tensors = _detached_state(model)
    metadata = {
        "format_version": FORMAT_VERSION,
        "config": _model_config(model, builders),
        "vocab": vocab,
        "history": [] if history is None else history,
        "metrics": {} if metrics is None else metrics,
        "step": step,
        "extra": {} if extra is None else extra,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "torch_version": torch.__version__,
        "weights_sha256": weights_digest(tensors),
    }
    check_metadata_types(metadata)
    check_json_able(metadata, "metadata")
    try:
        return _safetensors_bytes(tensors, metadata={METADATA_KEY: json.dumps(metadata)})
    except Exception as exc:  # an unsupported dtype, say: nothing has been written yet
        raise ValueError(f"cannot store these weights as safetensors: {exc}") from exc


def save(path: str | os.PathLike[str], model: torch.nn.Module, **metadata: Any) -> Path:
    """Write `to_bytes(model, **metadata)` to `path` atomically; return the path."""
    path = Path(path)
    write_atomically(path, to_bytes(model, **metadata))
    return path


def _model_config(model: torch.nn.Module, builders: Mapping[str, str] | None) -> dict[str, Any]:
    """The model's config, checked to name a registered builder."""
    config = getattr(model, "config", None)
    if not isinstance(config, dict) or not isinstance(config.get("model"), str):
        raise ValueError(
            f"{type(model).__name__} has no `config` dict with a 'model' name; "
            "a checkpoint rebuilds its model from that config"
        )
    if config["model"] not in registry.names(builders):
        raise ValueError(
            f"model {config['model']!r} is not in rnnviz.io.registry, so the checkpoint could not be "
            "loaded again; pass builders={name: 'module:Class'} to save and load"
        )
    return config


def _detached_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """State dict as independent contiguous CPU tensors (tied weights become separate copies)."""
    return {
        name: tensor.detach().to("cpu").contiguous().clone()
        for name, tensor in model.state_dict().items()
    }


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Validated metadata from the header alone; tensor bytes are neither read nor checked."""
    path = Path(path)
    check_is_file(path)
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            header = handle.metadata()
    except Exception as exc:  # SafetensorError, OSError: anything the file can provoke
        raise unreadable_error(path, exc) from exc
    return parse_metadata(path, header)


def load(
    path: str | os.PathLike[str],
    *,
    expected_model: str | None = None,
    map_location: str | torch.device = "cpu",
    builders: Mapping[str, str] | None = None,
) -> Checkpoint:
    """Rebuild the model from a checkpoint, verify and load its weights, return it in eval mode."""
    path = Path(path)
    check_is_file(path)
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            meta = parse_metadata(path, handle.metadata())  # refuse cheaply before reading any tensor
            check_expected_model(path, meta["config"], expected_model)
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118 (safe_open is not iterable)
    except CheckpointError:
        raise
    except Exception as exc:  # SafetensorError, OSError: anything the file can provoke
        raise unreadable_error(path, exc) from exc
    check_digest(path, tensors, meta["weights_sha256"])
    with torch.device("meta"):  # sizes and shapes checked before a single weight is allocated
        shapes = {name: value.shape for name, value in _build(path, meta["config"], builders).state_dict().items()}
    check_fits(path, shapes, tensors)
    model = _build(path, meta["config"], builders).to(map_location)
    load_weights(path, model, tensors)
    model.eval()
    return Checkpoint(
        model, meta["config"], meta.get("vocab"), meta.get("history", []), meta.get("metrics", {}),
        meta["step"], meta.get("extra", {}), path, meta.get("created", ""), meta.get("torch_version", ""),
    )


def _build(path: Path, config: dict[str, Any], builders: Mapping[str, str] | None) -> torch.nn.Module:
    """Rebuild the model from its config, wrapping whatever the builder raises."""
    try:
        model = registry.build(config, builders)
    except Exception as exc:  # unknown name, bad sizes, a missing module: the config does not build
        raise CheckpointError(
            path,
            f"its config does not build a model ({type(exc).__name__}: {exc})",
            "check its config, or update rnnviz if the model is newer than this copy",
        ) from exc
    if not isinstance(model, torch.nn.Module):
        raise CheckpointError(path, f"its config built a {type(model).__name__}, not a module", RESAVE)
    return model


def list_checkpoints(directory: str | os.PathLike[str], *, model: str | None = None) -> Listing:
    """The *.safetensors files in `directory`, usable and broken; CheckpointDirectoryError if it is no folder."""
    directory = Path(directory)
    if not directory.exists():
        raise CheckpointDirectoryError(directory, "does not exist")
    if not directory.is_dir():
        raise CheckpointDirectoryError(directory, "is a file, not a folder")
    usable: list[tuple[Path, dict[str, Any]]] = []
    broken: list[tuple[Path, str]] = []
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        try:
            meta = read_metadata(path)
        except CheckpointError as exc:
            broken.append((path, str(exc)))
            continue
        if model is None or meta["config"]["model"] == model:
            usable.append((path, meta))
    return Listing(usable, broken)
