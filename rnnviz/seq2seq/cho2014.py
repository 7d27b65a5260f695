"""Cho et al. (2014), Tables 2-3: the paper's source phrases, its encoder-decoder's phrases, and ours beside them.

The paper's model was trained on WMT'14 English->French (348 M words); ours on the 135,842 short
Tatoeba pairs of eng-fra.txt. The comparison is of kind (does the model find the phrase?), not of figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

FREQUENT = "long, frequent source phrases"
RARE = "long, rare source phrases"


@dataclass(frozen=True)
class PaperPhrase:
    """One row of Tables 2-3: a source phrase, the paper's RNN encoder-decoder top phrases and its samples."""

    source: str
    group: str
    paper_top: tuple[str, ...]  # Table 2, "RNN Encoder-Decoder" column, best first
    paper_samples: tuple[str, ...]  # Table 3, "(×n)" kept as written


PAPER_PHRASES: tuple[PaperPhrase, ...] = (
    PaperPhrase("at the end of the", FREQUENT, ("à la fin du", "à la fin des", "à la fin de la"),
                ("à la fin de la (×11)",)),
    PaperPhrase("for the first time", FREQUENT, ("pour la première fois", "pour la première fois .",
                                                 "pour la première fois que"),
                ("pour la première fois (×24)", "pour la première fois que (×2)")),
    PaperPhrase("in the United States and", FREQUENT, ("aux États-Unis et", "des États-Unis et", "des États-Unis et"),
                ("aux États-Unis et (×6)", "dans les États-Unis et (×4)")),
    PaperPhrase(", as well as", FREQUENT, (", ainsi qu'", ", ainsi que", ", ainsi que les"),
                (", ainsi que", ",", "ainsi que", ", ainsi qu'", "et UNK")),
    PaperPhrase("one of the most", FREQUENT, ("l' un des", "le", "un des"),
                ("l' un des plus (×9)", "l' un des (×5)", "l' une des plus (×2)")),
    PaperPhrase(", Minister of Communications and Transport", RARE,
                ("Secrétaire aux communications et aux transports", "Secrétaire aux communications et aux transports :"),
                (", ministre des communications et le transport (×13)",)),
    PaperPhrase("did not comply with the", RARE, ("n' ont pas respecté les", "n' était pas conforme aux",
                                                  "n' ont pas respecté la"),
                ("n' tait pas conforme aux", "n' a pas respect l' (×2)", "n' a pas respect la (×3)")),
    PaperPhrase("parts of the world .", RARE, ("parties du monde .", "les parties du monde .", "des parties du monde ."),
                ("arts du monde . (×11)", "des arts du monde . (×7)")),
    PaperPhrase("the past few days .", RARE, ("ces derniers jours .", "les derniers jours .", "cours des derniers jours ."),
                ("quelques jours . (×5)", "les derniers jours . (×5)", "ces derniers jours . (×2)")),
    PaperPhrase("on Friday and Saturday", RARE, ("le vendredi et le samedi", "le vendredi et samedi", "vendredi et samedi"),
                ("vendredi et samedi (×5)", "le vendredi et samedi (×7)", "le vendredi et le samedi (×4)")),
)


class PhraseModel(Protocol):
    """What the comparison needs of a translator (rnnviz.seq2seq.translator.Translator has it)."""

    source_language: str
    target_language: str

    def top_phrases(self, text: str, k: int = 5, length_penalty: float = 0.0) -> list[tuple[str, float]]: ...

    def samples(self, text: str, count: int = 50, temperature: float = 1.0, top: int = 5,
                seed: int = 0) -> list[tuple[str, int, float]]: ...


def compare_with_paper(translator: PhraseModel, *, top: int = 3, samples: int = 50,
                       seed: int = 0) -> list[dict[str, str]]:
    """One row per paper phrase: the paper's top phrases and samples, then ours (beam search and sampling)."""
    if (translator.source_language, translator.target_language) != ("eng", "fra"):
        raise ValueError("the paper's phrases are English -> French: choose an English -> French model")
    rows = []
    for phrase in PAPER_PHRASES:
        ours_top = translator.top_phrases(phrase.source, k=top)
        ours_samples = translator.samples(phrase.source, samples, 1.0, top=top, seed=seed)
        rows.append({"source": phrase.source, "group": phrase.group,
                     "paper: top phrases": " | ".join(phrase.paper_top),
                     "ours: top phrases": " | ".join(text for text, _ in ours_top),
                     "paper: samples": " | ".join(phrase.paper_samples),
                     "ours: samples": " | ".join(f"{text} (×{n})" if n > 1 else text
                                                 for text, n, _ in ours_samples)})
    return rows
