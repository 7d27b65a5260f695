"""Tiny generated translation data for fast seq2seq tests."""

from __future__ import annotations

import random

from rnnviz.data.pairs import PairData, split_and_count

FRENCH = ("un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit")
ENGLISH = ("one", "two", "three", "four", "five", "six", "seven", "eight")


def number_pairs(count: int = 600, seed: int = 0, reverse: bool = True) -> list[tuple[str, str]]:
    """("trois un cinq", "five one three"): numbers translated word by word, order reversed."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        ids = rng.sample(range(len(FRENCH)), rng.randint(2, 5))  # distinct words: an unambiguous alignment
        target = [ENGLISH[i] for i in (reversed(ids) if reverse else ids)]
        pairs.append((" ".join(FRENCH[i] for i in ids), " ".join(target)))
    return pairs


def number_data(count: int = 600, seed: int = 0) -> PairData:
    """The number task split 80/10/10 with vocabularies."""
    return split_and_count(number_pairs(count, seed), test=count // 10, validation=count // 10, seed=seed,
                           info={"source_language": "fra", "target_language": "eng", "preparation": "unicode",
                                 "tutorial_filter": False, "tokens": "words"})


def write_pairs_file(path, count: int = 600, seed: int = 0) -> None:
    """An eng-fra.txt-like file of the number task (English first, as in the Anki files)."""
    lines = [f"{english}\t{french}" for french, english in number_pairs(count, seed)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
