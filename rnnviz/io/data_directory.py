"""The one folder of the server whose files a page may read by typed path ($RNNVIZ_DATA; off when unset)."""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "RNNVIZ_DATA"


def data_directory() -> Path | None:
    """The configured data folder, absolute and resolved, or None when typed server paths are off."""
    configured = os.environ.get(DATA_ENV, "").strip()
    return Path(configured).resolve() if configured else None


def set_data_directory(directory: str | os.PathLike[str]) -> Path:
    """Let pages read files inside `directory` by typed name from now on (sets $RNNVIZ_DATA); return it."""
    absolute = Path(directory).expanduser().resolve()
    os.environ[DATA_ENV] = str(absolute)
    return absolute


def resolve_data_path(typed: str) -> Path:
    """The file `typed` names inside the data folder; ValueError (never saying if it exists) otherwise."""
    root = data_directory()
    if root is None:
        raise ValueError(f"Reading files on the server is off. The server's owner can allow one folder with "
                         f"{DATA_ENV}=/that/folder; until then, upload the file instead.")
    candidate = (root / typed.strip()).resolve()  # an absolute typed path replaces root; resolve follows links
    if candidate != root and root not in candidate.parents:
        raise ValueError(f"Only files inside the server's data folder can be read: give a name such as "
                         f"'eng-fra.txt', relative to {root.name}/, or upload the file.")
    return candidate
