"""Hidden states of a character model as a map: one point per character, labelled by the text's structure.

LSTMVis asks which hidden states encode structure; here the answer is a picture and a number. A typed
text runs through a shipped character model (`rnnviz.embeddings.vectors.state_vectors`, the explicit
cells of Inside the cell); each character's state becomes a point, labelled by the bracket depth and
whether it sits inside a quote after that character (`rnnviz.data.languages.analyze_brackets`), and by
what the character itself is. The k-nearest-neighbour agreement of each label in the full state space,
against its chance level, says whether the states group by structure or only by the last character read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from rnnviz.charlm.model import CharLM, prepare_text
from rnnviz.data.languages import BRACKET_SAMPLE
from rnnviz.data.text import Vocabulary
from rnnviz.embeddings.neighbours import chance_agreement, knn_agreement
from rnnviz.embeddings.projection import MIN_PCA_POINTS, MIN_TSNE_POINTS, EmbeddingError, Map, cached_map
from rnnviz.embeddings.vectors import StateVectors, state_vectors

MAX_CHARS = 1_000  # points of one map: t-SNE of 1,000 states took 14 s on one core of a busy 2-core machine
CONTEXT_CHARS = 12  # characters shown on each side of the hovered one
DEPTH_CAP = 4  # depths from here on share one colour
NEIGHBOURS = 10
PERPLEXITY = 30
THREADS = 1  # openTSNE on 2 threads was 3-4x slower than on 1 when the 2 cores were shared
LABELINGS = {"depth": "bracket depth", "quote": "inside a quote", "char": "the character just read"}
DEFAULT_TEXT = BRACKET_SAMPLE + 'g([f "x (y)" z] {a [b (c)]}) "end"\n'  # Inside the cell's text and one line more
SHOWN = {"\n": "⏎", "\t": "⇥"}


@dataclass(frozen=True)
class PreparedText:
    """Typed text as the model reads it (cleaned, capped) and notes on what was changed."""

    text: str
    notes: list[str] = field(default_factory=list)


def prepare_typed(typed: object, limit: int = MAX_CHARS) -> PreparedText:
    """Clean typed text and cap it at `limit` characters; EmbeddingError when too little is left for a map."""
    text = prepare_text(typed if isinstance(typed, str) else str(typed or ""))
    notes = []
    if len(text) > limit:
        notes.append(f"The text has {len(text):,} characters; the map shows the first {limit:,} (one point each).")
        text = text[:limit]
    if len(text.strip()) == 0:
        raise EmbeddingError("the text is empty: type some text (brackets and quotes show the structure best)")
    if len(text) < MIN_PCA_POINTS:
        raise EmbeddingError(
            f"a map needs at least {MIN_PCA_POINTS} characters (one point each), this text has {len(text)}: type more"
        )
    return PreparedText(text, notes)


def shown_char(char: str) -> str:
    """A character as a label: line ends and tabs as visible signs, a space as '␣'."""
    return "␣" if char == " " else SHOWN.get(char, char)


def char_context(text: str, index: int, width: int = CONTEXT_CHARS) -> str:
    """The character at `index` in its context, marked: 'say {x}") x⏎let (x ⟦(⟧y [z'."""
    before = "".join(SHOWN.get(c, c) for c in text[max(0, index - width) : index])
    after = "".join(SHOWN.get(c, c) for c in text[index + 1 : index + 1 + width])
    return (
        f"{'…' if index > width else ''}{before}⟦{shown_char(text[index])}⟧{after}{'…' if index + 1 + width < len(text) else ''}"
    )


def depth_labels(depth: Sequence[int], cap: int = DEPTH_CAP) -> list[str]:
    """'depth 0', 'depth 1', ..., 'depth 4+' per character."""
    return [f"depth {d}" if d < cap else f"depth {cap}+" for d in (int(value) for value in depth)]


def quote_labels(in_quote: Sequence[bool]) -> list[str]:
    """'inside a quote' or 'outside quotes' per character."""
    return ["inside a quote" if flag else "outside quotes" for flag in in_quote]


def char_class(char: str) -> str:
    """What kind of character this is, for colouring by 'the character just read'."""
    if char in "([{":
        return "opening bracket"
    if char in ")]}":
        return "closing bracket"
    if char == '"':
        return "quote mark"
    if char.isspace():
        return "space or line end"
    return "letter" if char.isalpha() else ("digit" if char.isdigit() else "other sign")


@dataclass(frozen=True, eq=False)
class HiddenStates:
    """States of one text, one per character, with labels and hover text."""

    states: StateVectors
    contexts: list[str]  # hover text per character
    labels: dict[str, list[str]]  # labeling -> one label per character
    notes: list[str]

    @property
    def vectors(self) -> np.ndarray:
        """(T, H) states."""
        return self.states.vectors


def hidden_states(
    model: CharLM, vocab: Vocabulary | None, typed: object, *, layer: int = -1, state: str = "hidden", limit: int = MAX_CHARS
) -> HiddenStates:
    """The `state` ("hidden", or an LSTM's "cell") of `layer` after each character of the typed text."""
    prepared = prepare_typed(typed, limit)
    if not -model.recurrent.num_layers <= layer < model.recurrent.num_layers:
        raise EmbeddingError(f"this model has {model.recurrent.num_layers} layer(s); choose one of them")
    states = state_vectors(model, vocab, prepared.text, layer=layer, name=state)
    notes = list(prepared.notes)
    unknown = sorted({c for c, flag in zip(states.chars, states.unknown) if flag})
    if unknown:
        shown = " ".join(shown_char(c) for c in unknown[:10])
        notes.append(f"{int(states.unknown.sum())} character(s) the model never saw ({shown}) were read as <unk>.")
    labels = {
        "depth": depth_labels(states.depth),
        "quote": quote_labels(states.in_quote),
        "char": [char_class(c) for c in states.chars],
    }
    contexts = [char_context(states.text, i) for i in range(len(states.text))]
    return HiddenStates(states, contexts, labels, notes)


def structure_agreement(vectors: np.ndarray, labels: dict[str, list[str]], k: int = NEIGHBOURS) -> dict[str, tuple[float, float]]:
    """Per labeling: (share of each state's k nearest states, by cosine, with its label; that share by chance)."""
    k = min(k, len(vectors) - 1)
    if k < 1:
        raise EmbeddingError("agreement needs at least 2 characters")
    return {name: (knn_agreement(vectors, values, k), chance_agreement(values)) for name, values in labels.items()}


def state_map(vectors: np.ndarray, method: str = "tsne", seed: int = 0) -> tuple[Map, list[str]]:
    """The map of the states (cached per server), PCA when there are too few for t-SNE; notes on what was chosen."""
    notes = []
    if method == "tsne" and len(vectors) < MIN_TSNE_POINTS:
        notes.append(f"t-SNE needs at least {MIN_TSNE_POINTS} characters; this map of {len(vectors)} uses PCA.")
        method = "pca"
    if method == "pca":
        return cached_map(vectors, "pca"), notes
    perplexity = float(min(PERPLEXITY, max(1, (len(vectors) - 2) // 3)))
    if perplexity < PERPLEXITY:
        notes.append(f"With {len(vectors)} points the perplexity is lowered to {perplexity:g}.")
    return cached_map(vectors, "tsne", perplexity=perplexity, seed=seed, threads=THREADS), notes
