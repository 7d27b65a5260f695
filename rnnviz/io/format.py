"""The checkpoint file format's checks: metadata types, header parsing, version, digest, weights.

`rnnviz.io.checkpoints` reads and writes the files; everything here refuses a bad file with a
`CheckpointError` that names it, the problem and a fix.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

FORMAT_VERSION = 1
METADATA_KEY = "rnnviz"
REQUIRED_KEYS = ("format_version", "config", "step", "weights_sha256")
_ZIP_MAGIC = b"PK\x03\x04"  # torch.save's zip archive
_PICKLE_PROTOCOLS = range(2, 6)  # a raw pickle starts with 0x80 and its protocol number
RESAVE = "re-save the checkpoint"


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used; the message names the file, the problem and a fix."""

    subject = "checkpoint"

    def __init__(self, path: str | os.PathLike[str], problem: str, advice: str = "") -> None:
        self.path = Path(path)
        self.problem = problem
        self.advice = advice
        message = f"{self.subject} {str(self.path)!r}: {problem}"
        advice_sentence = advice[:1].upper() + advice[1:]  # a sentence of its own after the problem's full stop
        super().__init__(f"{message}. {advice_sentence}" if advice else message)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with the constructor's arguments (exceptions cross process boundaries)."""
        return (type(self), (self.path, self.problem, self.advice))


def check_metadata_types(metadata: Mapping[str, Any]) -> None:
    """Refuse metadata arguments of the wrong kind before anything is written."""
    step = metadata["step"]
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError(f"step must be a non-negative int, got {step!r}")
    for key, kind in (("history", list), ("metrics", dict), ("extra", dict)):
        if not isinstance(metadata[key], kind):
            raise ValueError(f"{key} must be a {kind.__name__}, got {type(metadata[key]).__name__}")


def check_json_able(value: Any, where: str, _seen: frozenset[int] = frozenset()) -> None:
    """Raise ValueError naming the first part of `value` that would not survive JSON unchanged."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return
    if id(value) in _seen:
        raise ValueError(f"{where} contains itself (a circular reference)")
    seen = _seen | {id(value)}
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(
                    f"{where} has key {key!r} of type {type(key).__name__}; JSON keys are strings "
                    "(it would come back as a different key)"
                )
            check_json_able(item, f"{where}[{key!r}]", seen)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            check_json_able(item, f"{where}[{index}]", seen)
    else:
        raise ValueError(
            f"{where} is a {type(value).__name__}, which is not JSON; convert it "
            "(e.g. float(x), x.tolist(), str(x)) before saving"
        )


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def weights_digest(tensors: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 over the tensors' names, dtypes, shapes and bytes, in sorted name order."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].detach().to("cpu").contiguous()
        head = json.dumps([name, str(tensor.dtype), list(tensor.shape)])
        raw = tensor.reshape(-1).view(torch.uint8).numpy()
        digest.update(head.encode() + b"\n" + raw.nbytes.to_bytes(8, "little"))
        digest.update(raw.data)
    return digest.hexdigest()


def check_digest(path: Path, tensors: Mapping[str, torch.Tensor], expected: str) -> None:
    """Refuse weights whose digest differs from the one saved with them."""
    try:
        actual = weights_digest(tensors)
    except Exception as exc:  # a tensor type the digest cannot view as bytes
        raise CheckpointError(path, f"its weights cannot be checked ({exc})", RESAVE) from exc
    if actual != expected:
        raise CheckpointError(
            path,
            "the weights do not match their checksum (the file was altered or damaged)",
            "copy it again or re-save it from the trained model",
        )


def check_expected_model(path: Path, config: Mapping[str, Any], expected_model: str | None) -> None:
    """Refuse a checkpoint of another model than the caller needs."""
    if expected_model is not None and config["model"] != expected_model:
        raise CheckpointError(
            path,
            f"this is a {config['model']!r} checkpoint, this page needs {expected_model!r}",
            f"choose a {expected_model!r} checkpoint",
        )


def check_is_file(path: Path) -> None:
    """Raise CheckpointError unless `path` is a non-empty regular file."""
    try:
        if path.is_dir():
            raise CheckpointError(path, "is a directory, not a checkpoint file", "pick a file in it")
        if not path.exists():
            raise CheckpointError(path, "no such file", "check the path, or train and save a model first")
        if not path.is_file():
            raise CheckpointError(path, "is not a regular file", "pick a .safetensors checkpoint file")
        empty = path.stat().st_size == 0
    except OSError as exc:
        raise CheckpointError(path, f"cannot be read ({exc})", "check the path and its permissions") from exc
    if empty:
        raise CheckpointError(path, "is empty (0 bytes)", "it was cut off while saving; save it again")


def _file_start(path: Path) -> tuple[bytes, int]:
    """The first 9 bytes of a file and its size (empty and 0 if it cannot be read)."""
    try:
        with path.open("rb") as handle:
            return handle.read(9), path.stat().st_size
    except OSError:
        return b"", 0


def _declared_header_length(start: bytes) -> int | None:
    """The safetensors header length the first 8 bytes declare, if a JSON object follows them."""
    if len(start) < 9 or start[8:9] != b"{":
        return None
    return int.from_bytes(start[:8], "little")


def looks_like_pickle(start: bytes) -> bool:
    """Whether bytes open a torch.save zip or a raw pickle rather than a safetensors header."""
    if start.startswith(_ZIP_MAGIC):
        return True
    pickled = len(start) >= 2 and start[0] == 0x80 and start[1] in _PICKLE_PROTOCOLS
    return pickled and _declared_header_length(start) is None


def truncation(start: bytes, size: int, exc: Exception) -> str | None:
    """Why a safetensors file looks cut off, or None if it does not."""
    declared = _declared_header_length(start)
    if 0 < size <= 8:
        return f"is cut off after {size} of its bytes, before its header"
    if declared is not None and 8 + declared > size:
        return f"is cut off: its header says {declared:,} bytes but the file has {size - 8:,} after the length"
    if declared is not None and "incomplete" in str(exc).lower() + type(exc).__name__.lower():
        return f"is cut off: its weights end before the header says ({size:,} bytes in all)"
    return None


def unreadable_error(path: Path, exc: Exception) -> CheckpointError:
    """The error for a file that safetensors cannot open: a pickle, a cut-off file, or not a checkpoint."""
    start, size = _file_start(path)
    if looks_like_pickle(start):
        return CheckpointError(
            path,
            "looks like a torch.save/pickle file; rnnviz never opens those, as unpickling can run code",
            "if you trust it, convert it once: torch.load(..., weights_only=True), then checkpoints.save",
        )
    if isinstance(exc, OSError) and not start:
        return CheckpointError(path, f"cannot be read ({exc})", "check that it exists and is readable")
    cut = truncation(start, size, exc)
    if cut:
        return CheckpointError(path, f"is not a valid safetensors file: it {cut}", "copy or download the whole file again")
    return CheckpointError(
        path,
        f"is not a valid safetensors file ({exc})",
        "it may be still being written, or not a checkpoint; copy or save it again",
    )


def parse_metadata(path: Path, header: Mapping[str, str] | None) -> dict[str, Any]:
    """Decode and validate the rnnviz metadata from a safetensors header."""
    if not header or METADATA_KEY not in header:
        raise CheckpointError(
            path,
            "is a safetensors file without rnnviz metadata",
            "it was not written by rnnviz.io.checkpoints.save; load its weights yourself and save it so",
        )
    try:
        meta = json.loads(header[METADATA_KEY])
    except (TypeError, ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise CheckpointError(path, f"its metadata is not valid JSON ({exc})", RESAVE) from exc
    if not isinstance(meta, dict):
        raise CheckpointError(path, "its metadata is not a JSON object", RESAVE)
    _check_version(path, meta.get("format_version"))
    missing = [key for key in REQUIRED_KEYS if key not in meta]
    if missing:
        raise CheckpointError(path, f"its metadata lacks {', '.join(missing)}", RESAVE)
    _check_field_types(path, meta)
    return meta


def _check_version(path: Path, version: Any) -> None:
    """Refuse formats this rnnviz does not read, saying which side is out of date."""
    if isinstance(version, bool) or not isinstance(version, int):
        raise CheckpointError(path, f"has no valid format_version (got {version!r})", RESAVE)
    if version > FORMAT_VERSION:
        raise CheckpointError(
            path,
            f"written by a newer rnnviz (format {version}); this rnnviz reads format {FORMAT_VERSION}",
            "update rnnviz to open it",
        )
    if version < FORMAT_VERSION:
        raise CheckpointError(
            path,
            f"written by an older rnnviz (format {version}); this rnnviz reads format {FORMAT_VERSION}",
            "re-train the model, or open it with the older rnnviz and save it again",
        )


def _check_field_types(path: Path, meta: Mapping[str, Any]) -> None:
    """Refuse metadata whose fields have the wrong JSON types."""
    expected = {
        "config": dict, "step": int, "weights_sha256": str,
        "history": list, "metrics": dict, "extra": dict, "created": str, "torch_version": str,
    }
    for key, kind in expected.items():
        value = meta.get(key)
        if key in meta and (not isinstance(value, kind) or isinstance(value, bool)):
            raise CheckpointError(path, f"its metadata field {key!r} has the wrong type", RESAVE)
    if not isinstance(meta["config"].get("model"), str):
        raise CheckpointError(path, "its config does not name a model", RESAVE)


MAX_NUMBERS = 200_000_000  # the most weights a checkpoint's config may ask for (800 MB in float32)


def check_fits(path: Path, wanted: Mapping[str, torch.Size], tensors: Mapping[str, torch.Tensor]) -> None:
    """Refuse weights whose names or shapes differ from the model's, or a model over MAX_NUMBERS weights."""
    missing = sorted(set(wanted) - set(tensors))
    unexpected = sorted(set(tensors) - set(wanted))
    wrong = sorted(
        f"{name} is {tuple(tensors[name].shape)} in the file, {tuple(wanted[name])} in the model"
        for name in set(wanted) & set(tensors)
        if tuple(tensors[name].shape) != tuple(wanted[name])
    )
    problems = [
        f"{label}: {', '.join(items[:8])}{' ...' if len(items) > 8 else ''}"
        for label, items in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong))
        if items
    ]
    if problems:
        raise CheckpointError(
            path,
            f"its weights do not fit the model built from its config ({'; '.join(problems)})",
            "the config and weights disagree; re-save the checkpoint",
        )
    numbers = sum(math.prod(shape) for shape in wanted.values())
    if numbers > MAX_NUMBERS:
        raise CheckpointError(
            path, f"its config asks for {numbers:,} weights, over the limit of {MAX_NUMBERS:,}", "use a smaller model"
        )


def load_weights(path: Path, model: torch.nn.Module, tensors: Mapping[str, torch.Tensor]) -> None:
    """Load `tensors` into `model` strictly (every key, right shapes); tied weights get both copies."""
    check_fits(path, {name: value.shape for name, value in model.state_dict().items()}, tensors)
    try:
        model.load_state_dict(dict(tensors), strict=True)
    except (RuntimeError, ValueError, TypeError) as exc:
        raise CheckpointError(path, f"its weights do not load ({exc})", RESAVE) from exc
