"""The Signature verification page's data: SVC2004 from the server or an uploaded zip, cached, and the DTW summary."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import streamlit as st

from rnnviz.signatures import features, protocol
from rnnviz.signatures.data import Dataset, default_folder, load_svc2004, read_directory, read_zip
from rnnviz.signatures.dtw import dtw_scores, reference_spread
from rnnviz.signatures.evaluation import evaluate_dtw, user_eer_table
from rnnviz.signatures.organisers import evaluate_organisers
from rnnviz.signatures.summary import load_summary, summarise

HERE = Path(__file__).resolve().parent
SUMMARY_PATHS = {  # keyed by the sorted columns: the Euclidean distance between samples ignores their order
    tuple(sorted(features.ALL)): HERE / "dtw_svc2004.json",
    tuple(sorted(features.WITHOUT_PRESSURE)): HERE / "dtw_svc2004_without_pressure.json",
    tuple(sorted(features.DTW_CHOICE)): HERE / "dtw_svc2004_dtw_choice.json",
    tuple(sorted(features.without_pressure(features.DTW_CHOICE))): HERE / "dtw_svc2004_dtw_choice_without_pressure.json",
}
ORGANISER_PATHS = {  # the SVC2004 organisers' protocol: 5 random references, 10 trials
    tuple(sorted(features.DTW_CHOICE)): HERE / "dtw_svc2004_organisers.json",
    tuple(sorted(features.without_pressure(features.DTW_CHOICE))): HERE / "dtw_svc2004_organisers_without_pressure.json",
}
MAX_UPLOAD_BYTES = 32_000_000
SOURCE_KEY = "signatures:source"
UPLOAD_KEY = "signatures:upload"
FOLDER_KEY = "signatures:folder"
SERVER, FOLDER, UPLOAD = "SVC2004 Task 2 on this server (40 users)", "a folder on the server", "a zip I upload"


@st.cache_resource(show_spinner="Reading the 1,600 SVC2004 signatures …")
def server_dataset() -> Dataset | None:
    """SVC2004 Task 2 from the server's folder, shared by every session (read-only), or None if absent."""
    folder = default_folder()
    return None if folder is None else load_svc2004(folder)


@st.cache_resource(max_entries=4, show_spinner="Reading the signatures of that folder …", ttl=600)
def folder_dataset(folder: str) -> Dataset:
    """The signature files of a folder inside the server's data folder, cached for ten minutes."""
    return read_directory(folder)


@st.cache_resource(max_entries=4, show_spinner="Reading the uploaded signatures …")
def _uploaded(digest: str, _data: bytes, name: str) -> Dataset:
    """An uploaded zip's signatures, cached by content (read-only once made)."""
    return read_zip(_data, name)


def uploaded_dataset(data: bytes, name: str) -> Dataset:
    """The signatures of an uploaded zip; a too-large upload becomes one problem, not an error."""
    if len(data) > MAX_UPLOAD_BYTES:
        return Dataset(problems=[f"{name}: {len(data):,} bytes; uploads of at most {MAX_UPLOAD_BYTES:,} are read"])
    return _uploaded(hashlib.sha256(data).hexdigest(), data, name)


@st.cache_data(max_entries=256, show_spinner=False)
def time_functions_of(source: str, user: int, sample: int, columns: tuple[int, ...], _points: np.ndarray) -> np.ndarray:
    """The normalised time functions of one signature, cached per source, signature and subset."""
    return features.time_functions(_points, columns)


@st.cache_data(show_spinner=False)
def dtw_summary(path: str, modified: float) -> dict | None:
    """A committed summary of the full SVC2004 DTW evaluation (None if it is broken)."""
    try:
        return load_summary(path)
    except ValueError:
        return None


def summary(columns: tuple[int, ...], paths: dict[tuple[int, ...], Path] = SUMMARY_PATHS) -> dict | None:
    """The committed DTW summary for these time functions (None when none is committed), re-read when it changes."""
    path = paths.get(tuple(sorted(columns)))
    return dtw_summary(str(path), path.stat().st_mtime) if path is not None and path.is_file() else None


@st.cache_data(max_entries=8, show_spinner="Scoring every trial of the 40 users with DTW (40 s or so) …")
def live_summary(columns: tuple[int, ...], organisers: bool = False) -> dict | None:
    """A full DTW evaluation of the server's SVC2004 with a person's own subset, summarised (None without data)."""
    dataset = server_dataset()
    if dataset is None:
        return None
    numbers = [features.TIME_FUNCTIONS[c].number for c in columns]
    about = {"data": "SVC2004 Task 2", "folds": 5, "seed": 0, "time_functions": numbers, "live": True}
    if not organisers:
        return summarise(evaluate_dtw(dataset, columns).scores, about)
    scores = evaluate_organisers(dataset, columns).scores
    each = user_eer_table(scores, ["claimed_user", "fold"])
    per_user = {row.system: {"skilled": float(row.skilled), "random": float(row.random)} for row in each.itertuples()}
    about |= {"protocol": "SVC2004 organisers", "per_user_trial": per_user}
    return summarise(scores, about)


def verify_4vs1(
    dataset: Dataset, source: str, claimed: int, probe: tuple[int, int], columns: tuple[int, ...]
) -> tuple[float, float, list[int]]:
    """Raw and user-normalised 4vs1 DTW scores of a probe against a user's first four references."""
    references = [s for s in protocol.REFERENCES if (claimed, s) in dataset.signatures][: protocol.ENROLMENT]
    if len(references) < 2:
        raise ValueError(f"user {claimed} has {len(references)} of the references S1–S10; at least 2 are needed")
    functions = [time_functions_of(source, claimed, s, columns, dataset.get(claimed, s).points) for s in references]
    probe_functions = time_functions_of(source, *probe, columns, dataset.get(*probe).points)
    raw = float(dtw_scores(functions, [probe_functions]).mean())
    return raw, raw / reference_spread(functions), references
