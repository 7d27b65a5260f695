"""The phrases a translator was trained on, rebuilt from its checkpoint's record of its data.

A checkpoint stores how its data was made (file name and SHA-256, filter, seed, split sizes),
not the sentences; `training_pairs` prepares the same file the same way and gets the same
training split back. The generated date task needs no file. The corpus itself is never
shipped: it is looked for in $RNNVIZ_DATA, then in the repository's sibling `shared/data/`.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rnnviz.data.pairs import date_data, load_pairs
from rnnviz.embeddings.projection import EmbeddingError

DATA_ENV = "RNNVIZ_DATA"  # a folder holding the corpora (eng-fra.txt)
SIBLING_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def data_folders() -> list[Path]:
    """Where corpora are looked for: $RNNVIZ_DATA, then ../shared/data beside the repository."""
    folders = [Path(os.environ[DATA_ENV])] if os.environ.get(DATA_ENV) else []
    return [*folders, SIBLING_DATA]


def find_corpus(info: dict[str, Any]) -> Path | None:
    """The corpus file a checkpoint was trained on, if one of `data_folders` holds it."""
    name = info.get("file")
    if not isinstance(name, str) or not name or "/" in name or "\\" in name:
        return None
    for folder in data_folders():
        if (folder / name).is_file():
            return folder / name
    return None


def needs_corpus(info: dict[str, Any]) -> bool:
    """Whether the training phrases come from a file (not the generated date task)."""
    return info.get("preparation") != "dates"


def training_pairs(info: dict[str, Any], corpus: str | os.PathLike[str] | Any | None = None) -> list[tuple[str, str]]:
    """The (source, target) training pairs of a checkpoint, rebuilt from its info and its corpus."""
    split = info.get("split") or {}
    test, validation, seed = int(split.get("test", 1000)), int(split.get("validation", 500)), int(info.get("seed", 0))
    if not needs_corpus(info):
        return date_data(int(info.get("pairs", 20_000)), seed=seed, test=test, validation=validation).train
    if corpus is None:
        corpus = find_corpus(info)
    if corpus is None:
        raise EmbeddingError(
            f"the phrases come from the training file {info.get('file', 'eng-fra.txt')!r}, which is "
            f"not here: set {DATA_ENV} to its folder, or upload the file"
        )
    try:
        data = load_pairs(
            corpus,
            source_language=info.get("source_language", "eng"),
            target_language=info.get("target_language", "fra"),
            tutorial_filter=bool(info.get("tutorial_filter")),
            test=test,
            validation=validation,
            seed=seed,
        )
    except ValueError as error:
        raise EmbeddingError(str(error)) from None
    expected = info.get("sha256")
    if expected and data.info.get("sha256") != expected:
        raise EmbeddingError(
            f"{data.info.get('file', 'this file')} is not the file this model was trained on "
            "(its SHA-256 differs), so its training split cannot be rebuilt: use the original"
        )
    return data.train


def unique_pairs(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Pairs with each source sentence kept once (its first translation)."""
    seen: dict[str, str] = {}
    for source, target in pairs:
        seen.setdefault(source, target)
    return list(seen.items())


def sample_pairs(pairs: Sequence[tuple[str, str]], count: int, seed: int = 0) -> list[tuple[str, str]]:
    """`count` distinct-source pairs drawn with a seeded generator (all of them if there are fewer)."""
    distinct = unique_pairs(pairs)
    if count >= len(distinct):
        return distinct
    return random.Random(seed).sample(distinct, count)


def sub_phrases(sentences: Sequence[str], count: int, seed: int = 0, shortest: int = 2, longest: int = 6) -> list[str]:
    """`count` distinct word n-grams (shortest..longest words, no punctuation-only token) of the sentences."""
    found: dict[str, None] = {}
    for sentence in sentences:
        words = [w for w in sentence.split() if any(c.isalnum() for c in w)]
        for size in range(shortest, longest + 1):
            for start in range(0, len(words) - size + 1):
                found.setdefault(" ".join(words[start : start + size]))
    phrases = list(found)
    if count >= len(phrases):
        return phrases
    return random.Random(seed).sample(phrases, count)
