"""Take a map elsewhere: the Embedding Projector's vectors.tsv and metadata.tsv, and the 2-D coordinates as CSV.

projector.tensorflow.org reads vectors.tsv (one point a line, numbers separated by tabs, no
header) and metadata.tsv (a header line of column names when there are two or more columns,
then one line per point). Tabs and line breaks inside labels become spaces so every point
stays on one line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

import numpy as np

from rnnviz.embeddings.projection import EmbeddingError


def _cell(value: object) -> str:
    """A label made safe for one TSV cell."""
    return " ".join(str(value).replace("\t", " ").splitlines()) or " "


def _check_columns(count: int, columns: Mapping[str, Sequence[object]]) -> None:
    """Every metadata column has one value per point."""
    for name, values in columns.items():
        if len(values) != count:
            raise EmbeddingError(f"the column {name!r} has {len(values)} values for {count} points")


def vectors_tsv(vectors: np.ndarray) -> str:
    """vectors.tsv: one row of tab-separated numbers per point."""
    array = np.asarray(vectors, dtype=np.float64)
    if array.ndim != 2:
        raise EmbeddingError(f"the vectors must be a table (points × dimensions), got shape {array.shape}")
    return "".join("\t".join(f"{value:.6g}" for value in row) + "\n" for row in array)


def metadata_tsv(columns: Mapping[str, Sequence[object]]) -> str:
    """metadata.tsv: a header when there are several columns, then one line per point."""
    if not columns:
        raise EmbeddingError("metadata needs at least one column (the labels)")
    names = list(columns)
    count = len(columns[names[0]])
    _check_columns(count, columns)
    lines = ["\t".join(_cell(name) for name in names)] if len(names) > 1 else []
    lines += ["\t".join(_cell(columns[name][i]) for name in names) for i in range(count)]
    return "\n".join(lines) + "\n"


def coordinates_csv(coordinates: np.ndarray, columns: Mapping[str, Sequence[object]]) -> str:
    """x, y and the metadata columns as CSV with a header."""
    array = np.asarray(coordinates, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 2:
        raise EmbeddingError(f"coordinates must be (points × 2), got shape {array.shape}")
    _check_columns(len(array), columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["x", "y", *columns])
    for i, (x, y) in enumerate(array):
        writer.writerow([f"{x:.6g}", f"{y:.6g}", *(columns[name][i] for name in columns)])
    return out.getvalue()
