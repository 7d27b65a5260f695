"""Every chart goes through `show`: the projector view when it is on, PNG at projector size, the data as CSV."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from rnnviz.plots.export import figure_csv
from rnnviz.plots.projector import enlarge
from ui.links import projector_on

PNG_WIDTH = 1920  # px: a 1080p projector's width; the camera button in the chart's toolbar saves this
PNG_HEIGHT = 1080
BASE_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def file_stem(name: str) -> str:
    """A safe file name from a chart's name: letters, digits and dashes only."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()
    return stem[:60] or "chart"


def chart_config(name: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The chart's toolbar config: the camera button saves a PNG named after the chart at projector size."""
    merged = {**BASE_CONFIG, **(config or {})}
    merged["toImageButtonOptions"] = {
        "format": "png",
        "filename": file_stem(name),
        "width": PNG_WIDTH,
        "height": PNG_HEIGHT,
        "scale": 1,
    }
    return merged


def projector_copy(figure: go.Figure) -> go.Figure:
    """The projector view of a copy of `figure` (the page's figure may be cached and shown again unchanged).

    The copy is made from the figure's properties without Plotly's validation (they were validated when built):
    half the cost of `go.Figure(figure)`, which validates every property again (about 8 of 18 ms per chart).
    Arrays stay arrays (not `to_dict()`'s base64), so the CSV export reads the copy as it reads the figure.
    """
    properties = {"data": [trace.to_plotly_json() for trace in figure.data], "layout": figure.layout.to_plotly_json()}
    return enlarge(go.Figure(properties, _validate=False))


def show(
    figure: go.Figure,
    *,
    name: str,
    key: str | None = None,
    where: DeltaGenerator | None = None,
    export: bool = True,
    config: dict[str, Any] | None = None,
    **options: Any,
) -> Any:
    """Draw `figure` (projector view when on) with a "CSV" download of its data under it; returns the chart's state.

    `name` names the files (e.g. "gradient norms" gives gradient-norms.png / .csv) and, without `key`, the
    download button, so two charts of a page need different names or keys. `export=False` for
    live charts that redraw every second (they are exported from the finished run's view instead).
    """
    target = where if where is not None else st
    if projector_on():
        figure = projector_copy(figure)
    state = target.plotly_chart(figure, key=key, config=chart_config(name, config), **options)
    if export:
        target.download_button(
            "Data (CSV)",
            data=lambda: figure_csv(figure),
            file_name=f"{file_stem(name)}.csv",
            mime="text/csv",
            on_click="ignore",
            icon=":material/download:",
            key=f"{key or file_stem(name)}:csv",
            type="tertiary",
            help="The numbers behind this chart. The camera button in the chart's toolbar "
            f"saves it as a {PNG_WIDTH}x{PNG_HEIGHT} PNG.",
        )
    return state


def run_downloads(
    *,
    name: str,
    script: str | None,
    checkpoint: bytes | Callable[[], bytes] | None = None,
    where: DeltaGenerator | None = None,
    key: str | None = None,
    archive: bool = False,
) -> None:
    """A finished run's two downloads: the script that redoes it from scratch, and its weights (.safetensors).

    archive=True: `checkpoint` is a zip of several runs' .safetensors files (a callable: made when clicked).
    """
    target = where if where is not None else st
    stem = file_stem(name)
    left, right = target.columns(2)
    if script is not None:
        left.download_button(
            "Script that redoes this run (.py)",
            data=script,
            file_name=f"{stem}.py",
            mime="text/x-python",
            on_click="ignore",
            icon=":material/code:",
            key=f"{key or stem}:script",
            help="Plain PyTorch with rnnviz: the run's settings and seed written out as code.",
        )
    if checkpoint is not None:
        right.download_button(
            "Trained weights of every run (.zip)" if archive else "Trained weights (.safetensors)",
            data=checkpoint,
            file_name=f"{stem}-weights.zip" if archive else f"{stem}.safetensors",
            mime="application/zip" if archive else "application/octet-stream",
            on_click="ignore",
            icon=":material/download:",
            key=f"{key or stem}:weights",
            help=(
                "One .safetensors file per run (cell, layers, hidden size, seed in its name); open each with "
                "rnnviz.io.checkpoints (no pickle)."
                if archive
                else "Open it again on this page or with rnnviz.io.checkpoints (no pickle)."
            ),
        )
