"""Sentence pairs for translation: Tatoeba/Anki files, the tutorial's preparation, splits, batches.

A file holds one pair a line, `English<TAB>Other` (manythings.org/anki, the PyTorch tutorial's
`eng-fra.txt`); a third attribution column, if any, is ignored. Two preparations:

- "tutorial": the lecture's tutorial code exactly (`unicodeToAscii`, `normalizeString`), and,
  with the filter, fewer than MAX_LENGTH = 10 words per side and English starting with
  one of `ENG_PREFIXES` (checked on the English side whatever the direction).
- "unicode": NFKC with odd spaces made plain, lowercase, punctuation split off, accents and
  digits kept: the whole corpus as it is.

The split is deterministic (a seeded shuffle of the pair indices, the same in both
directions) and the vocabularies come from the training split only.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import torch
from torch import Tensor

from rnnviz.core.validation import require_choice
from rnnviz.data.text import Vocabulary, clean_unicode

MAX_LENGTH = 10
MIN_PAIRS = 10  # fewer prepared pairs than this cannot train a model
TUTORIAL_KEEPS = "keeps only the Latin letters a–z (accents stripped: é → e) and . ! ?"
ENG_PREFIXES = (
    "i am ", "i m ",
    "he is", "he s ",
    "she is", "she s ",
    "you are", "you re ",
    "we are", "we re ",
    "they are", "they re ",
)  # fmt: skip
PREPARATIONS = ("tutorial", "unicode", "dates")
TOKENIZATIONS = ("words", "chars")
MAX_FILE_BYTES = 200_000_000
PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3  # the order of rnnviz.data.text.SPECIALS
_NAMED_FILE = re.compile(r"^([a-z]{2,3})[-_]([a-z]{2,3})\b")  # eng-fra.txt
_MANYTHINGS_FILE = re.compile(r"^([a-z]{3})\.txt$")  # fra.txt: English and French


# ---------------------------------------------------------------- the tutorial's normalisation


def unicode_to_ascii(text: str) -> str:
    """The tutorial's unicodeToAscii: NFD, then drop the combining marks (category Mn)."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def normalize_tutorial(text: str) -> str:
    """The tutorial's normalizeString: lowercase, trim, ASCII, ' .' ' !' ' ?', other runs -> one space."""
    text = unicode_to_ascii(text.lower().strip())
    text = re.sub(r"([.!?])", r" \1", text)
    return re.sub(r"[^a-zA-Z.!?]+", r" ", text)


_TUTORIAL_KEEP = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.!?\n")
_TUTORIAL_TABLE = bytes(c if c in _TUTORIAL_KEEP else 32 for c in range(256))


def normalize_tutorial_many(texts: Sequence[str]) -> list[str]:
    """normalize_tutorial on many strings at once: the same result, about 6x faster (a test checks)."""
    if any("\n" in text for text in texts):
        return [normalize_tutorial(text) for text in texts]
    joined = unicodedata.normalize("NFD", "\n".join(text.lower().strip() for text in texts))
    for char in set(re.sub(r"[\x00-\x7f]+", "", joined)):  # the few distinct non-ASCII characters
        joined = joined.replace(char, "" if unicodedata.category(char) == "Mn" else " ")
    data = joined.encode("ascii").replace(b".", b" .").replace(b"!", b" !").replace(b"?", b" ?")
    data = re.sub(rb" {2,}", b" ", data.translate(_TUTORIAL_TABLE))
    return data.decode("ascii").split("\n")


def normalize_unicode(text: str) -> str:
    """Whole-corpus preparation: NFKC, plain spaces, lowercase, punctuation split off, accents kept."""
    text = clean_unicode(text).lower().replace("\u2019", "'")
    return " ".join(re.findall(r"\w+(?:'\w+)*'?|[^\w\s]", text))


def normalize_date(text: str) -> str:
    """Dates: lowercase, trimmed, runs of spaces made one."""
    return " ".join(clean_unicode(text).lower().split())


def normalize(text: str, preparation: str) -> str:
    """Prepare one sentence the way a model's training data was prepared."""
    require_choice("preparation", preparation, PREPARATIONS)
    if preparation == "tutorial":
        return normalize_tutorial(text)
    return normalize_unicode(text) if preparation == "unicode" else normalize_date(text)


def tokenize(text: str, tokens: str = "words") -> list[str]:
    """Words (split on single spaces, empty pieces dropped) or characters."""
    return list(text) if tokens == "chars" else [word for word in text.split(" ") if word]


def detokenize(tokens: Sequence[str], kind: str = "words") -> str:
    """Inverse of tokenize, for display and BLEU."""
    return "".join(tokens) if kind == "chars" else " ".join(tokens)


_PREFIX_INITIALS = frozenset(prefix[0] for prefix in ENG_PREFIXES)


def may_start_with_prefix(english: str) -> bool:
    """False only for raw English that cannot start with ENG_PREFIXES once normalised (a cheap pre-filter).

    Normalising lowercases and strips first; an ASCII first character then stays as it is, and
    only a letter can begin a prefix. A non-ASCII one might become a letter, so it passes.
    """
    first = english.lower().strip()[:1]
    return bool(first) and (not first.isascii() or first in _PREFIX_INITIALS)


def keep_tutorial_pair(english: str, other: str) -> bool:
    """The tutorial's filterPair, on normalised text: < MAX_LENGTH words each, English prefix."""
    return (len(english.split(" ")) < MAX_LENGTH and len(other.split(" ")) < MAX_LENGTH
            and english.startswith(ENG_PREFIXES))


# ---------------------------------------------------------------- reading files


def languages_from_name(name: str, default: tuple[str, str] = ("eng", "fra")) -> tuple[str, str]:
    """(first column, second column) language codes from a file name like eng-fra.txt or fra.txt."""
    base = os.path.basename(str(name)).lower()
    match = _NAMED_FILE.match(base)
    if match:
        return match.group(1), match.group(2)
    match = _MANYTHINGS_FILE.match(base)
    return ("eng", match.group(1)) if match else default


def _read_text(source: str | os.PathLike[str] | IO[Any]) -> tuple[str, str]:
    """(text, name) from a path, an open file, or an uploaded file object (bytes or text)."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"no pairs file at {str(path)!r}: give a tab-separated file such as eng-fra.txt")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ValueError(f"{path.name} is over {MAX_FILE_BYTES // 1_000_000} MB; use a smaller file")
        raw, name = path.read_bytes(), path.name
    else:
        name = str(getattr(source, "name", "uploaded file"))
        raw = source.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise ValueError(f"{name} is over {MAX_FILE_BYTES // 1_000_000} MB; use a smaller file")
    if isinstance(raw, str):
        return raw, name
    try:
        return raw.decode("utf-8-sig"), name
    except UnicodeDecodeError as error:
        raise ValueError(f"{name} is not UTF-8 text ({error.reason} at byte {error.start}); "
                         "save it as UTF-8, one 'English<TAB>translation' pair a line") from None


def read_pairs(source: str | os.PathLike[str] | IO[Any]) -> tuple[list[tuple[str, str]], str, str]:
    """Raw (first column, second column) pairs, the file name and a SHA-256 of the text."""
    text, name = _read_text(source)
    pairs, bad = [], 0
    for line in text.strip().split("\n"):
        columns = line.rstrip("\r").split("\t")
        if len(columns) >= 2 and columns[0].strip() and columns[1].strip():
            pairs.append((columns[0], columns[1]))
        elif line.strip():
            bad += 1
    if not pairs:
        raise ValueError(f"{name} has no 'English<TAB>translation' lines"
                         + (f" ({bad} lines without a tab)" if bad else ""))
    return pairs, name, hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- prepared data and splits


@dataclass
class PairData:
    """Prepared pairs in one direction, split, with vocabularies from the training split."""

    train: list[tuple[str, str]]  # (source sentence, target sentence), normalised
    validation: list[tuple[str, str]]
    test: list[tuple[str, str]]
    source_vocab: Vocabulary
    target_vocab: Vocabulary
    info: dict[str, Any] = field(default_factory=dict)  # how it was made, for checkpoints

    @property
    def tokens(self) -> str:
        """"words" or "chars"."""
        return self.info.get("tokens", "words")


def split_indices(count: int, test: int, validation: int, seed: int = 0) -> tuple[list[int], list[int], list[int]]:
    """(train, validation, test) index lists from a seeded shuffle; test and validation come first."""
    order = list(range(count))
    random.Random(seed).shuffle(order)
    test = min(test, count // 5)
    validation = min(validation, (count - test) // 5)
    return order[test + validation:], order[test: test + validation], order[:test]


def too_few_pairs(total: int, filtered: int | None, kept: int, preparation: str) -> str:
    """Why fewer than MIN_PAIRS pairs are left: the step that removed them, and what to change."""
    if total < MIN_PAIRS:
        return f"the file has only {total} pairs; a model needs at least {MIN_PAIRS}: use a longer file"
    if filtered is not None and filtered < MIN_PAIRS:
        return (f"only {filtered} of the file's {total:,} pairs pass the tutorial's filter (fewer than {MAX_LENGTH} "
                "words a side, English starting with 'i am', 'he is', 'she is', 'you are', 'we are' or 'they are'); "
                f"a model needs at least {MIN_PAIRS}: turn the tutorial's filter off to train on every pair")
    kept_text = TUTORIAL_KEEPS if preparation == "tutorial" else "keeps letters, digits and punctuation of any script"
    return (f"only {kept} of the file's {total:,} pairs still have words on both sides after the {preparation} "
            f"normalisation (it {kept_text}); a model needs at least {MIN_PAIRS}: "
            + ("turn the tutorial's filter off (its normalisation drops other letters), or use another file"
               if preparation == "tutorial" else "use a file with text on both sides of the tab"))


def prepare_pairs(raw: list[tuple[str, str]], *, source: str, target: str, columns: tuple[str, str],
                  tutorial_filter: bool = False, preparation: str | None = None, test: int = 1000,
                  validation: int = 500, seed: int = 0, min_count: int = 1,
                  max_vocabulary: int | None = None) -> PairData:
    """Normalise, filter, orient (source, target), split and build the vocabularies (each side capped)."""
    if source == target or {source, target} != set(columns):
        raise ValueError(f"this file's columns are {columns[0]!r} and {columns[1]!r}: choose one as "
                         f"source and the other as target (got {source!r} -> {target!r})")
    preparation = preparation or ("tutorial" if tutorial_filter else "unicode")
    require_choice("preparation", preparation, ("tutorial", "unicode"))
    english_first = columns[0] == "eng" or columns[1] != "eng"
    total = len(raw)
    if tutorial_filter:  # drop early what the filter would drop anyway: 55 % less to normalise
        raw = [pair for pair in raw if may_start_with_prefix(pair[0 if english_first else 1])]
    if preparation == "tutorial":
        both = normalize_tutorial_many([a for a, _ in raw] + [b for _, b in raw])
        firsts, seconds = both[: len(raw)], both[len(raw):]
    else:
        firsts, seconds = [normalize_unicode(a) for a, _ in raw], [normalize_unicode(b) for _, b in raw]
    prepared = list(zip(firsts, seconds))
    if tutorial_filter:
        prepared = [p for p in prepared if keep_tutorial_pair(*(p if english_first else p[::-1]))]
    filtered = len(prepared)
    prepared = [p for p in prepared if p[0].strip() and p[1].strip()]
    if len(prepared) < MIN_PAIRS:
        raise ValueError(too_few_pairs(total, filtered if tutorial_filter else None, len(prepared), preparation))
    if source != columns[0]:
        prepared = [(b, a) for a, b in prepared]
    return split_and_count(prepared, test=test, validation=validation, seed=seed, min_count=min_count,
                           max_vocabulary=max_vocabulary, info={"source_language": source, "target_language": target,
                                 "preparation": preparation, "tutorial_filter": bool(tutorial_filter),
                                 "tokens": "words"})


def split_and_count(pairs: list[tuple[str, str]], *, test: int, validation: int, seed: int, min_count: int = 1,
                    info: dict[str, Any], max_vocabulary: int | None = None) -> PairData:
    """Split prepared pairs and build vocabularies (at most `max_vocabulary` tokens a side) from the training part."""
    train_ids, validation_ids, test_ids = split_indices(len(pairs), test, validation, seed)
    kind = info.get("tokens", "words")
    train = [pairs[i] for i in train_ids]
    source_vocab = Vocabulary.build((tokenize(s, kind) for s, _ in train), min_count=min_count, max_size=max_vocabulary)
    target_vocab = Vocabulary.build((tokenize(t, kind) for _, t in train), min_count=min_count, max_size=max_vocabulary)
    info = {**info, "pairs": len(pairs), "seed": seed,
            "split": {"train": len(train_ids), "validation": len(validation_ids), "test": len(test_ids)}}
    return PairData(train, [pairs[i] for i in validation_ids], [pairs[i] for i in test_ids],
                    source_vocab, target_vocab, info)


def load_pairs(source: str | os.PathLike[str] | IO[Any], *, source_language: str, target_language: str,
               tutorial_filter: bool = False, columns: tuple[str, str] | None = None, **options: Any) -> PairData:
    """Read a pairs file and prepare it (see `prepare_pairs`); the file's name and hash go into info."""
    raw, name, digest = read_pairs(source)
    columns = columns or languages_from_name(name)
    data = prepare_pairs(raw, source=source_language, target=target_language, columns=columns,
                         tutorial_filter=tutorial_filter, **options)
    data.info.update({"file": name, "sha256": digest, "lines": len(raw)})
    return data


def date_data(count: int = 20_000, *, seed: int = 0, test: int = 500, validation: int = 250) -> PairData:
    """The generated date task as character pairs: "tuesday 25 nov 2026" -> "2026-11-25"."""
    from rnnviz.data.languages import date_pairs

    pairs = [(normalize_date(human), iso) for human, iso in date_pairs(count, seed=seed)]
    return split_and_count(pairs, test=test, validation=validation, seed=seed,
                           info={"source_language": "date", "target_language": "iso", "preparation": "dates",
                                 "tutorial_filter": False, "tokens": "chars"})


# ---------------------------------------------------------------- batches


@dataclass
class Batch:
    """Padded id tensors for a batch of pairs."""

    source: Tensor  # (B, S) source ids + </s>, right-padded with <pad>
    source_lengths: Tensor  # (B,) int64
    target_in: Tensor  # (B, T) <s> + target ids, padded
    target_out: Tensor  # (B, T) target ids + </s>, padded

    def __len__(self) -> int:
        """Number of pairs."""
        return self.source.shape[0]

    def to(self, device: torch.device | str) -> Batch:
        """The same batch on `device`."""
        return Batch(*(t.to(device) for t in (self.source, self.source_lengths, self.target_in, self.target_out)))


def pad(sequences: Sequence[Sequence[int]], value: int = PAD_ID) -> Tensor:
    """Right-pad id lists into a (B, max length) int64 tensor."""
    width = max(len(sequence) for sequence in sequences)
    rows = [[*sequence, *([value] * (width - len(sequence)))] for sequence in sequences]
    return torch.tensor(rows, dtype=torch.long)  # one conversion, not one per row


def encode_source(tokens_list: Iterable[Sequence[str]], vocab: Vocabulary,
                  max_tokens: int | None = None) -> tuple[Tensor, Tensor]:
    """Source ids with </s> appended, padded: ((B, S), lengths (B,)); longer inputs are cut to max_tokens."""
    ids = []
    for tokens in tokens_list:
        row = vocab.encode(tokens)
        if max_tokens is not None:
            row = row[: max_tokens - 1]
        ids.append(row + [EOS_ID])
    return pad(ids), torch.tensor([len(row) for row in ids], dtype=torch.long)


def make_batch(pairs: Sequence[tuple[str, str]], source_vocab: Vocabulary, target_vocab: Vocabulary,
               tokens: str = "words", max_source: int | None = None) -> Batch:
    """Tokenise, encode and pad a list of (source, target) sentences."""
    source, lengths = encode_source((tokenize(s, tokens) for s, _ in pairs), source_vocab, max_source)
    targets = [target_vocab.encode(tokenize(t, tokens)) for _, t in pairs]
    return Batch(source, lengths, pad([[BOS_ID, *row] for row in targets]), pad([[*row, EOS_ID] for row in targets]))
