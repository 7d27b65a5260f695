"""t-SNE layouts of the default word maps, shipped with the package, so the Words tab opens on t-SNE at once.

A layout is stored under the cache key of the map it stands for (the digest of the vectors and the t-SNE
settings), so it is used only for exactly those vectors and settings; every other map is computed as before.
Rebuild them after a shipped translator changes (tests/unit/test_embeddings_shipped.py recomputes each one
and checks that the file equals what the code computes):

    python -m rnnviz.embeddings.shipped [--checkpoints DIR]
"""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path
from typing import Any

import numpy as np

from rnnviz.embeddings.projection import Map, map_key, principal_axes, trustworthiness, tsne_map
from rnnviz.embeddings.vectors import BARELY_TRAINED, WordVectors, word_vectors
from rnnviz.seq2seq.translator import Translator

LAYOUTS = Path(__file__).with_name("layouts")
FORMAT = 1
COMMAND = "python -m rnnviz.embeddings.shipped"
WORDS = 1000  # the Words tab's default count
SETTINGS = {"perplexity": 30.0, "seed": 0, "components": 50}  # the Words tab's default t-SNE (sidebar seed 0)
SPECS = (
    ("translate-eng-fra-corpus.safetensors", "source"),
    ("translate-eng-fra-corpus.safetensors", "target"),
    ("translate-fra-eng.safetensors", "source"),
    ("translate-fra-eng.safetensors", "target"),
)


def default_words(translator: Translator, side: str, count: int = WORDS) -> WordVectors:
    """The vectors the Words tab maps by default: the rows as stored, or what training wrote into them when the
    rows still correlate `BARELY_TRAINED` or more with their random start (ui/embeddings/words.py)."""
    found = word_vectors(translator, side)[:count]
    correlation = found.start_correlation()
    return found.trained_part() if correlation is not None and correlation >= BARELY_TRAINED else found


def layout_key(vectors: np.ndarray, settings: dict[str, Any]) -> str:
    """The text form of the map cache key a layout is stored under."""
    return repr(map_key(vectors, "tsne", **settings))


def build(translator: Translator, checkpoint: str, side: str) -> dict[str, Any]:
    """One layout record: the default word map of one side, computed now."""
    words = default_words(translator, side)
    computed = tsne_map(words.vectors, **SETTINGS)
    return {
        "format": FORMAT, "command": COMMAND, "checkpoint": checkpoint, "side": side, "words": len(words.words),
        "key": layout_key(words.vectors, SETTINGS), "settings": computed.settings,
        "seconds": round(computed.seconds, 2), "trustworthiness": trustworthiness(words.vectors, computed),
        "coordinates": np.asarray(computed.coordinates).tolist(),
    }  # fmt: skip


def file_name(checkpoint: str, side: str) -> str:
    """Where a layout is written: words-<checkpoint stem>-<side>.json."""
    return f"words-{Path(checkpoint).stem}-{side}.json"


_INDEX: dict[str, dict[str, Any]] = {}
_SCANNED: list[bool] = []
_MAPS: dict[str, Map] = {}
_LOCK = threading.Lock()


def _index() -> dict[str, dict[str, Any]]:
    """key -> layout record, read once per process (a missing or unreadable file is skipped)."""
    with _LOCK:
        if not _SCANNED:
            _SCANNED.append(True)
            for path in sorted(LAYOUTS.glob("words-*.json")):
                try:
                    record = json.loads(path.read_text())
                except (OSError, ValueError):
                    continue
                if record.get("format") == FORMAT and isinstance(record.get("key"), str):
                    _INDEX[record["key"]] = record
        return _INDEX


def shipped_map(vectors: np.ndarray, settings: dict[str, Any]) -> Map | None:
    """The shipped t-SNE map of exactly these vectors and settings, or None (then compute it)."""
    if set(settings) != set(SETTINGS):
        return None
    key = layout_key(vectors, settings)
    if key in _MAPS:
        return _MAPS[key]
    record = _index().get(key)
    if record is None:
        return None
    coordinates = np.array(record["coordinates"], dtype=np.float64)
    if coordinates.shape != (len(vectors), 2):
        return None
    coordinates.setflags(write=False)
    array = np.asarray(vectors, dtype=np.float64)
    mean, axes, shares = principal_axes(array)
    found = Map(coordinates, "tsne", dict(record["settings"]), mean, axes, shares, None, float(record["seconds"]),
                quality=float(record["trustworthiness"]), shipped=True)  # fmt: skip
    with _LOCK:
        _MAPS[key] = found
    return found


def main(argv: list[str] | None = None) -> None:
    """Rebuild every layout whose checkpoint is found."""
    from rnnviz.io.checkpoints import checkpoint_directory, set_checkpoint_directory

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoints", help="the folder of the shipped checkpoints (default: checkpoints/)")
    args = parser.parse_args(argv)
    directory = set_checkpoint_directory(args.checkpoints) if args.checkpoints else checkpoint_directory()
    LAYOUTS.mkdir(exist_ok=True)
    for checkpoint, side in SPECS:
        if not (directory / checkpoint).is_file():
            print(f"{checkpoint}: not found, skipped")
            continue
        record = build(Translator.load(directory / checkpoint), checkpoint, side)
        (LAYOUTS / file_name(checkpoint, side)).write_text(json.dumps(record, separators=(",", ":")) + "\n")
        print(f"{file_name(checkpoint, side)}: {record['words']} words, trustworthiness "
              f"{record['trustworthiness']:.3f}, {record['seconds']:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
