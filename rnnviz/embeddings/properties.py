"""Labels that the data really has, to colour a map and to test whether a representation groups them.

Words: frequency band (vocabulary rank: vocabularies list the most frequent word first), length,
a cluster found in the full space, or a hand-made word list. Phrases: the subject pronoun, negation,
length and tense by simple rules on the tutorial's normalised text (lower case, accents removed,
"don't" read as "don t"), or for dates the month of the ISO answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np

from rnnviz.embeddings.neighbours import unit_rows

OTHER = "other"

WORD_LISTS: dict[str, dict[str, tuple[str, ...]]] = {
    "eng": {
        "numbers": (
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "twenty",
            "thirty",
            "forty",
            "fifty",
            "hundred",
            "thousand",
            "million",
        ),
        "pronouns": (
            "i",
            "you",
            "he",
            "she",
            "it",
            "we",
            "they",
            "me",
            "him",
            "her",
            "us",
            "them",
            "my",
            "your",
            "his",
            "our",
            "their",
            "myself",
            "yourself",
            "himself",
            "herself",
        ),
        "colours": ("red", "blue", "green", "yellow", "black", "white", "brown", "pink", "orange", "purple", "gray", "grey"),
        "days and months": (
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "january",
            "february",
            "march",
            "april",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
            "today",
            "tomorrow",
            "yesterday",
        ),
        "family": (
            "mother",
            "father",
            "brother",
            "sister",
            "son",
            "daughter",
            "wife",
            "husband",
            "parents",
            "uncle",
            "aunt",
            "cousin",
            "family",
            "mom",
            "dad",
            "grandmother",
            "grandfather",
            "children",
        ),
    },
    "fra": {
        "numbers": (
            "un",
            "deux",
            "trois",
            "quatre",
            "cinq",
            "six",
            "sept",
            "huit",
            "neuf",
            "dix",
            "onze",
            "douze",
            "vingt",
            "trente",
            "quarante",
            "cinquante",
            "cent",
            "mille",
            "million",
        ),
        "pronouns": (
            "je",
            "j",
            "tu",
            "il",
            "elle",
            "nous",
            "vous",
            "ils",
            "elles",
            "me",
            "te",
            "moi",
            "toi",
            "lui",
            "leur",
            "eux",
            "mon",
            "ma",
            "mes",
            "ton",
            "ta",
            "tes",
            "son",
            "sa",
            "ses",
            "notre",
            "votre",
        ),
        "colours": (
            "rouge",
            "bleu",
            "bleue",
            "vert",
            "verte",
            "jaune",
            "noir",
            "noire",
            "blanc",
            "blanche",
            "brun",
            "rose",
            "orange",
            "violet",
            "gris",
            "grise",
        ),
        "days and months": (
            "lundi",
            "mardi",
            "mercredi",
            "jeudi",
            "vendredi",
            "samedi",
            "dimanche",
            "janvier",
            "fevrier",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "aout",
            "septembre",
            "octobre",
            "novembre",
            "decembre",
            "aujourd",
            "demain",
            "hier",
        ),
        "family": (
            "mere",
            "pere",
            "frere",
            "soeur",
            "fils",
            "fille",
            "femme",
            "mari",
            "parents",
            "oncle",
            "tante",
            "cousin",
            "cousine",
            "famille",
            "maman",
            "papa",
            "enfants",
        ),
    },
}

# bands in their natural order, for legends (a property's labels appear in this order when present)
BAND_ORDER = (
    *("top 100", "101–500", "501–1,000", "beyond 1,000"),
    *("1–2 letters", "3–4 letters", "5–6 letters", "7–9 letters", "10+ letters"),
    *("1–3 words", "4–5 words", "6–7 words", "8+ words"),
    *("≤ 12 characters", "13–18 characters", "19–24 characters", "25+ characters"),
    *(f"month {m:02d}" for m in range(1, 13)),
    *("present", "past", "future", "affirmative", "negative"),
)

WORD_PROPERTIES = ("frequency band", "word length", "cluster in the full space", "word list")
PHRASE_PROPERTIES = ("subject pronoun", "negation", "length", "tense (simple rule)")
DATE_PROPERTIES = ("month", "length")


def frequency_band(rank: int) -> str:
    """The band of a word's frequency rank (0 = the most frequent word)."""
    for limit, name in ((100, "top 100"), (500, "101–500"), (1000, "501–1,000")):
        if rank < limit:
            return name
    return "beyond 1,000"


def length_band(count: int, bands: Sequence[tuple[int, str]], last: str) -> str:
    """The first band whose upper limit is at least `count`."""
    for limit, name in bands:
        if count <= limit:
            return name
    return last


def word_labels(
    words: Sequence[str], prop: str, *, language: str = "eng", vectors: np.ndarray | None = None, clusters: int = 8, seed: int = 0
) -> list[str]:
    """One label per word for a property of WORD_PROPERTIES (words listed most frequent first)."""
    if prop == "frequency band":
        return [frequency_band(rank) for rank in range(len(words))]
    if prop == "word length":
        return [
            length_band(len(w), ((2, "1–2 letters"), (4, "3–4 letters"), (6, "5–6 letters"), (9, "7–9 letters")), "10+ letters")
            for w in words
        ]
    if prop == "cluster in the full space":
        if vectors is None:
            raise ValueError("clusters need the vectors")
        return cluster_labels(vectors, clusters, seed)
    if prop == "word list":
        lists = WORD_LISTS.get(language, WORD_LISTS["eng"])
        member = {word: name for name, members in lists.items() for word in members}
        return [member.get(w, OTHER) for w in words]
    raise ValueError(f"unknown word property {prop!r}; choose one of {', '.join(WORD_PROPERTIES)}")


def cluster_labels(vectors: np.ndarray, clusters: int = 8, seed: int = 0) -> list[str]:
    """k-means clusters of the unit-length vectors (so, by cosine), named "cluster 1" ... by size."""
    from sklearn.cluster import KMeans

    clusters = max(1, min(int(clusters), len(vectors)))
    found = KMeans(n_clusters=clusters, n_init=3, random_state=seed).fit_predict(unit_rows(vectors))
    order = np.argsort(-np.bincount(found, minlength=clusters), kind="stable")
    names = {int(c): f"cluster {i + 1}" for i, c in enumerate(order)}
    return [names[int(c)] for c in found]


SUBJECTS = {
    "eng": {"i": "i", "you": "you", "he": "he", "she": "she", "we": "we", "they": "they", "it": "it"},
    "fra": {
        "je": "je",
        "j": "je",
        "tu": "tu",
        "il": "il",
        "elle": "elle",
        "nous": "nous",
        "vous": "vous",
        "ils": "ils",
        "elles": "elles",
    },
}
_FRENCH_NEGATIONS = frozenset({"pas", "jamais", "plus", "rien", "personne", "guere", "point"})
_ENGLISH_FUTURE = frozenset({"will", "ll", "shall", "won"})
_ENGLISH_PAST = frozenset({"was", "were", "did", "had", "didn"})
_ENGLISH_PERFECT = frozenset({"have", "has", "ve"})
_FRENCH_FUTURE_AUX = frozenset({"vais", "vas", "va", "allons", "allez", "vont"})
_FRENCH_PAST_AUX = frozenset({"ai", "as", "a", "avons", "avez", "ont"})
_FRENCH_IMPERFECT = frozenset({"etais", "etait", "etions", "etiez", "etaient", "avais", "avait", "avions", "aviez", "avaient"})


def subject(tokens: Sequence[str], language: str) -> str:
    """The sentence's first word if it is a subject pronoun, else "other"."""
    table = SUBJECTS.get(language, SUBJECTS["eng"])
    return table.get(tokens[0], OTHER) if tokens else OTHER


def negation(tokens: Sequence[str], language: str) -> str:
    """ "negative" for not / n't / never (English) or ne … pas / jamais / plus / rien (French)."""
    words = set(tokens)
    if language == "fra":
        negative = bool(words & {"ne", "n"}) and bool(words & _FRENCH_NEGATIONS)
    else:
        contracted = any(t == "t" and i > 0 and tokens[i - 1].endswith("n") for i, t in enumerate(tokens))
        negative = contracted or bool(words & {"not", "never", "cannot"})
    return "negative" if negative else "affirmative"


def tense(tokens: Sequence[str], language: str) -> str:
    """ "future", "past" or "present" by a simple rule on auxiliaries and endings."""
    if language == "fra":
        for i, token in enumerate(tokens[:-1]):
            after = tokens[i + 1]
            if token in _FRENCH_FUTURE_AUX and after.endswith(("er", "ir", "re")):
                return "future"
            if token in _FRENCH_PAST_AUX and after.endswith(("e", "i", "u", "es", "is", "it", "ert")):
                return "past"
        return "past" if set(tokens) & _FRENCH_IMPERFECT else "present"
    words = set(tokens)
    if words & _ENGLISH_FUTURE or "going to" in " ".join(tokens):
        return "future"
    # "i walked", "he has finished": an -ed verb right after the subject or after have; "i m tired" stays present
    after_have = [after for before, after in pairwise(tokens) if before in _ENGLISH_PERFECT]
    if words & _ENGLISH_PAST or any(t.endswith("ed") and len(t) > 3 for t in (*tokens[1:2], *after_have)):
        return "past"
    return "present"


def phrase_length(tokens: Sequence[str]) -> str:
    """The length band in words (punctuation counted as the tokeniser does)."""
    return length_band(len(tokens), ((3, "1–3 words"), (5, "4–5 words"), (7, "6–7 words")), "8+ words")


_PHRASE_RULES: dict[str, Callable[[Sequence[str], str], str]] = {
    "subject pronoun": subject,
    "negation": negation,
    "length": lambda tokens, language: phrase_length(tokens),
    "tense (simple rule)": tense,
}


def phrase_labels(sentences: Sequence[str], prop: str, language: str = "eng", targets: Sequence[str] | None = None) -> list[str]:
    """One label per phrase; for dates ("month") the month of the ISO answer in `targets`."""
    if prop == "month":
        if targets is None:
            raise ValueError("the month comes from the ISO answers: pass targets")
        return [f"month {t[5:7]}" if len(t) >= 7 else OTHER for t in targets]
    if prop == "length" and language == "date":
        return [
            length_band(len(s), ((12, "≤ 12 characters"), (18, "13–18 characters"), (24, "19–24 characters")), "25+ characters")
            for s in sentences
        ]
    if prop not in _PHRASE_RULES:
        raise ValueError(f"unknown phrase property {prop!r}; choose one of {', '.join(PHRASE_PROPERTIES)}")
    rule = _PHRASE_RULES[prop]
    return [rule(sentence.split(), language) for sentence in sentences]


def properties_for(language: str) -> tuple[str, ...]:
    """The phrase properties that make sense for a source language."""
    return DATE_PROPERTIES if language == "date" else PHRASE_PROPERTIES
