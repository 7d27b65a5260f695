"""The configurations table as one short text for a link: "lstm.1.32,gru.2bi.64" (cell, layers [bi], hidden size)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from rnnviz.compare.configs import MAX_CONFIGURATIONS, Configuration, configuration_from_row
from rnnviz.core.kinds import kind_info

MAX_TEXT = 400  # characters: 8 rows fit in about 150
_LAYERS = re.compile(r"(\d{1,2})(bi)?")


def rows_text(rows: Iterable[Mapping[str, Any]]) -> str:
    """The table's rows as "kind.layers[bi].hidden", comma-separated; ValueError for a row that is not valid."""
    items = []
    for row in rows:
        configuration = configuration_from_row(dict(row))
        direction = "bi" if configuration.bidirectional else ""
        items.append(f"{configuration.kind}.{configuration.num_layers}{direction}.{configuration.hidden_size}")
    return ",".join(items)


def rows_from_text(text: str) -> list[dict[str, Any]]:
    """Table rows {'cell', 'layers', 'bidirectional', 'hidden size'} from a link's text; ValueError saying what is wrong."""
    if len(text) > MAX_TEXT:
        raise ValueError(f"the configurations text has {len(text):,} characters; at most {MAX_TEXT}")
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not 1 <= len(items) <= MAX_CONFIGURATIONS:
        raise ValueError(f"a link names 1 to {MAX_CONFIGURATIONS} configurations, this one {len(items)}")
    return [_row(item) for item in items]


def _row(item: str) -> dict[str, Any]:
    """One row from "gru.2bi.64"."""
    parts = item.split(".")
    layers = _LAYERS.fullmatch(parts[1]) if len(parts) == 3 else None
    if layers is None or not parts[2].isdigit() or len(parts[2]) > 5:
        raise ValueError(f"{item[:40]!r} is not cell.layers.hidden (e.g. lstm.1.32 or gru.2bi.64)")
    configuration = Configuration(parts[0], int(layers.group(1)), layers.group(2) == "bi", int(parts[2])).validate()
    return {"cell": kind_info(configuration.kind).label, "layers": configuration.num_layers,
            "bidirectional": configuration.bidirectional, "hidden size": configuration.hidden_size}  # fmt: skip
