"""A translator checkpoint the person uploads: selected in the Model box at once, its errors naming their file."""

from __future__ import annotations

import tempfile
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import streamlit as st

from rnnviz.io.checkpoints import CheckpointError
from rnnviz.seq2seq.translator import Translator

UPLOAD_KEY = "translate:upload"
SEEN_KEY = "translate:upload:seen"  # file id of the upload last put into the Model box
OPENED_KEY = "translate:upload:opened"  # (file id, Translator or CheckpointError): opened once per upload


def upload_label(upload: Any) -> str:
    """The upload's entry in the Model box."""
    return f"your file: {file_name(upload)}"


def file_name(upload: Any) -> str:
    """The name of the file the person chose (never a path on the server)."""
    return Path(str(getattr(upload, "name", "") or "uploaded file")).name


def own_checkpoint() -> Any:
    """An optional uploaded checkpoint (safetensors never runs code)."""
    with st.expander("Open your own checkpoint (.safetensors from `python -m rnnviz.translate train`)"):
        return st.file_uploader("Checkpoint file", type=["safetensors"], key=UPLOAD_KEY, label_visibility="collapsed")


def select_new_upload(state: MutableMapping[str, Any], upload: Any, model_key: str, choices: dict[str, Any]) -> None:
    """Before the Model box is drawn: a new upload becomes its choice; a choice no longer offered is forgotten."""
    if upload is None:
        state.pop(SEEN_KEY, None)
    elif state.get(SEEN_KEY) != upload.file_id:
        state[SEEN_KEY] = upload.file_id
        state[model_key] = upload_label(upload)
    if model_key in state and state[model_key] not in choices:
        del state[model_key]  # e.g. the upload was removed: back to the first model


def load_upload(name: str, payload: bytes) -> Translator:
    """Open uploaded checkpoint bytes; a CheckpointError names `name`, the file the person chose."""
    name = Path(name).name
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "uploaded.safetensors"
        path.write_bytes(payload)
        try:
            translator = Translator.load(path)
        except CheckpointError as error:
            problem = error.problem.replace(str(path), name).replace(folder, "")
            advice = error.advice.replace(str(path), name).replace(folder, "")
            raise CheckpointError(Path(name), problem, advice) from None
    translator.path = Path(name)  # direction errors name it too
    return translator


def open_upload(state: MutableMapping[str, Any], upload: Any) -> Translator:
    """The uploaded translator, opened once per upload (kept in this session only); CheckpointError if unusable."""
    opened = state.get(OPENED_KEY)
    if opened is None or opened[0] != upload.file_id:
        try:
            result: Translator | CheckpointError = load_upload(file_name(upload), upload.getvalue())
        except CheckpointError as error:
            result = error
        opened = state[OPENED_KEY] = (upload.file_id, result)
    if isinstance(opened[1], CheckpointError):
        error = opened[1]
        raise CheckpointError(error.path, error.problem, error.advice)
    return opened[1]
