"""Text shared by every page: vocabularies with <unk>, Unicode clean-up, length caps."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<s>", "</s>"
SPECIALS = (PAD, UNK, BOS, EOS)
_ODD_SPACES = {"\u202f": " ", "\u00a0": " ", "\u2009": " ", "\u200b": "", "\ufeff": ""}


class Vocabulary:
    """Tokens <-> ids. Unknown tokens map to <unk>; the special tokens come first."""

    def __init__(self, tokens: Iterable[str], specials: Sequence[str] = SPECIALS) -> None:
        self.tokens: list[str] = list(dict.fromkeys([*specials, *tokens]))
        if UNK not in self.tokens:
            raise ValueError(f"a vocabulary needs the {UNK} token so unknown input never fails")
        self.specials = tuple(specials)
        self._ids = {token: index for index, token in enumerate(self.tokens)}
        self.unk_id = self._ids[UNK]

    @classmethod
    def build(cls, sequences: Iterable[Sequence[str]], *, min_count: int = 1, max_size: int | None = None,
              specials: Sequence[str] = SPECIALS) -> Vocabulary:
        """Count tokens; keep those seen `min_count` times, most frequent first (ties by first seen)."""
        counts = Counter(token for sequence in sequences for token in sequence)
        kept = [token for token, count in counts.most_common() if count >= min_count and token not in specials]
        if max_size is not None:
            kept = kept[: max(0, max_size - len(specials))]
        return cls(kept, specials)

    def __len__(self) -> int:
        """Number of tokens, specials included."""
        return len(self.tokens)

    def __contains__(self, token: object) -> bool:
        """Whether `token` has its own id."""
        return token in self._ids

    def id(self, token: str) -> int:
        """The id of `token`, or <unk>'s."""
        return self._ids.get(token, self.unk_id)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Ids of `tokens`, <unk> for the unknown ones."""
        return [self._ids.get(token, self.unk_id) for token in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of `ids`; ids out of range decode as <unk>."""
        return [self.tokens[i] if 0 <= i < len(self.tokens) else UNK for i in ids]

    def unknown(self, tokens: Iterable[str]) -> list[bool]:
        """Per token: True where it is not in the vocabulary."""
        return [token not in self._ids for token in tokens]

    def to_json(self) -> dict[str, list[str]]:
        """Plain data for a checkpoint."""
        return {"tokens": self.tokens, "specials": list(self.specials)}

    @classmethod
    def from_json(cls, data: dict[str, list[str]]) -> Vocabulary:
        """Rebuild from `to_json` output."""
        if not isinstance(data, dict) or not isinstance(data.get("tokens"), list):
            raise ValueError("a vocabulary must be a dict with a 'tokens' list")
        specials = data.get("specials", [])
        return cls([t for t in data["tokens"] if t not in specials], specials)


def clean_unicode(text: str) -> str:
    """NFKC, with narrow no-break and other odd spaces made plain (as Tatoeba's French uses)."""
    for odd, plain in _ODD_SPACES.items():
        text = text.replace(odd, plain)
    return unicodedata.normalize("NFKC", text)


def cap_text(text: str, limit: int) -> tuple[str, bool]:
    """(text cut to `limit` characters, whether it was cut)."""
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    return (text[:limit], True) if len(text) > limit else (text, False)
