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

from rnnviz.data.pairs import date_data, languages_from_name, load_pairs, normalize, read_pairs, tokenize
from rnnviz.data.text import Vocabulary
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


ATTEMPTS = 40  # sentences drawn per sub-phrase wanted before giving up (most words unknown to the model)


def _source_sentences(info: dict[str, Any], corpus: object | None) -> list[tuple[str, str]]:
    """Every raw (source, target) line of the checkpoint's corpus, in the file's order."""
    if corpus is None:
        corpus = find_corpus(info)
    if corpus is None:
        raise EmbeddingError(f"the sub-phrases come from the corpus {info.get('file', 'eng-fra.txt')!r}, which is "
                             f"not here: set {DATA_ENV} to its folder, or upload the file")  # fmt: skip
    if hasattr(corpus, "seek"):
        corpus.seek(0)
    try:
        raw, name, _ = read_pairs(corpus)
    except ValueError as error:
        raise EmbeddingError(str(error)) from None
    columns = languages_from_name(name)
    source = info.get("source_language", "eng")
    first = columns.index(source) if source in columns else 0
    return [(pair[first], pair[1 - first]) for pair in raw]


def corpus_sub_phrases(
    info: dict[str, Any],
    vocabulary: Vocabulary,
    count: int,
    seed: int = 0,
    corpus: object | None = None,
    shortest: int = 2,
    longest: int = 6,
) -> list[tuple[str, str]]:
    """`count` distinct sub-phrases of `shortest`..`longest` words of the whole corpus's source side, each with
    the corpus pair it was cut from ("sentence → translation"); seeded, and only phrases whose every token is in
    `vocabulary` (an unknown word would be read as <unk>). Fewer when the corpus has fewer such phrases."""
    if not needs_corpus(info):
        raise EmbeddingError("the date task has no corpus to cut sub-phrases from: map its training phrases")
    lines = _source_sentences(info, corpus)
    preparation = str(info.get("preparation", "unicode"))
    generator = random.Random(seed)
    found: dict[str, str] = {}
    for _ in range(ATTEMPTS * count):
        if len(found) >= count:
            break
        source, target = lines[generator.randrange(len(lines))]
        tokens = tokenize(normalize(source, preparation))
        if len(tokens) < shortest:
            continue
        size = generator.randint(shortest, min(longest, len(tokens)))
        start = generator.randrange(len(tokens) - size + 1)
        window = tokens[start : start + size]
        if not (_wordlike(window[0]) and _wordlike(window[-1])) or not all(token in vocabulary for token in window):
            continue
        found.setdefault(" ".join(window), f"{source} → {target}")
    return list(found.items())


def _wordlike(token: str) -> bool:
    """Whether a token holds a letter or digit (a phrase neither starts nor ends on punctuation)."""
    return any(character.isalnum() for character in token)
