"""A trained encoder–decoder with its vocabularies: typed text in, translation and attention out.

`Translator` prepares hostile input the way the training data was prepared (cap at
MAX_INPUT_CHARS, the tutorial's normalisation or the Unicode one, unknown words flagged as
<unk>: never a KeyError), decodes it (greedy, beam, sampling), scores pairs, and saves or
loads itself as one safetensors checkpoint whose metadata says its direction and data.
"""

from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rnnviz.data.pairs import EOS_ID, TUTORIAL_KEEPS, PairData, detokenize, encode_source, normalize, tokenize, unicode_to_ascii
from rnnviz.data.text import EOS, Vocabulary, cap_text
from rnnviz.io import checkpoints
from rnnviz.seq2seq.decoding import Hypothesis, beam_search, explain, greedy, sample, sample_counts, score_pairs
from rnnviz.seq2seq.model import Seq2Seq

MAX_INPUT_CHARS = 5000
MAX_INPUT_TOKENS = 60  # words (or characters) after preparation; longer inputs are cut, with a note
LANGUAGE_NAMES = {"eng": "English", "fra": "French", "spa": "Spanish", "deu": "German", "ita": "Italian",
                  "por": "Portuguese", "date": "human date", "iso": "ISO date"}


def language_name(code: str) -> str:
    """A readable name for a language code."""
    return LANGUAGE_NAMES.get(code, code)


class DirectionError(ValueError):
    """A checkpoint that translates another direction than the one asked for."""


@dataclass
class Prepared:
    """A typed sentence as the model sees it."""

    original: str  # the text after the length cap
    normalized: str  # after the training data's preparation
    tokens: list[str]  # what the encoder reads (before </s>)
    unknown: list[bool]  # per token: not in the source vocabulary (read as <unk>)
    notes: list[str] = field(default_factory=list)  # what was changed, cut or looks wrong

    @property
    def empty(self) -> bool:
        """Nothing left to translate."""
        return not self.tokens


@dataclass
class Translation:
    """One translated sentence with everything the page shows."""

    prepared: Prepared
    source_tokens: list[str]  # the encoder's tokens, </s> included (<unk> shown as the typed word)
    output_tokens: list[str]  # without </s>
    text: str
    logprob: float  # log p(output | source)
    attention: np.ndarray | None  # (output steps incl. </s>, source tokens) or None for "none"
    top: list[list[tuple[str, float]]]  # per output step: the k likeliest next words with probabilities
    step_logprobs: list[float]
    candidates: list[tuple[str, float, float]] = field(default_factory=list)  # beam: (text, log p, score)
    milliseconds: float = 0.0


class Translator:
    """A Seq2Seq model with its source and target vocabularies and how its data was prepared.

    It takes the model it is given into eval mode once, at construction, and never switches it
    afterwards: its decoders refuse a model someone put back in training mode (a ValueError).
    """

    def __init__(self, model: Seq2Seq, source_vocab: Vocabulary, target_vocab: Vocabulary,
                 info: dict[str, Any] | None = None, metrics: dict[str, Any] | None = None,
                 history: list[Any] | None = None, path: Path | None = None) -> None:
        self.model, self.source_vocab, self.target_vocab = model, source_vocab, target_vocab
        self.info = dict(info or {})
        self.metrics = dict(metrics or {})
        self.history = list(history or [])
        self.path = path
        self.model.eval()

    @classmethod
    def from_data(cls, model: Seq2Seq, data: PairData, **kwargs: Any) -> Translator:
        """A translator for a model trained on `data`."""
        return cls(model, data.source_vocab, data.target_vocab, data.info, **kwargs)

    # ------------------------------------------------------------ metadata

    @property
    def source_language(self) -> str:
        """Code of the language it reads, e.g. "fra"."""
        return self.info.get("source_language", "?")

    @property
    def target_language(self) -> str:
        """Code of the language it writes, e.g. "eng"."""
        return self.info.get("target_language", "?")

    @property
    def tokens(self) -> str:
        """"words" or "chars"."""
        return self.info.get("tokens", "words")

    @property
    def direction(self) -> str:
        """E.g. "French → English"."""
        return f"{language_name(self.source_language)} → {language_name(self.target_language)}"

    def check_direction(self, source: str | None, target: str | None) -> None:
        """Raise DirectionError unless this translator reads `source` and writes `target`."""
        wrong_source = bool(source) and source != self.source_language
        wrong_target = bool(target) and target != self.target_language
        if wrong_source or wrong_target:
            if wrong_source and wrong_target:
                wanted = f"not {language_name(source)} → {language_name(target)}"
            elif wrong_source:
                wanted = f"so it does not read {language_name(source)}"
            else:
                wanted = f"so it does not write {language_name(target)}"
            where = f" ({self.path.name})" if self.path else ""
            raise DirectionError(f"this checkpoint{where} translates {self.direction}, {wanted}: "
                                 "choose a checkpoint for that direction, or switch the direction")

    # ------------------------------------------------------------ input

    def prepare(self, text: object) -> Prepared:
        """Cap, normalise and tokenise typed text; flag unknown tokens; say what changed."""
        text = "" if text is None else str(text)
        capped, was_cut = cap_text(text, MAX_INPUT_CHARS)
        notes = [f"The input was cut to its first {MAX_INPUT_CHARS:,} characters."] if was_cut else []
        preparation = self.info.get("preparation", "tutorial")
        normalized = normalize(capped, preparation)
        tokens = tokenize(normalized, self.tokens)
        if preparation == "tutorial":
            dropped = sorted({c for c in unicode_to_ascii(capped.lower())
                              if not (c.isascii() and (c.isalpha() or c in ".!? \t\n"))})
            if dropped:
                shown = " ".join(dropped[:12]) + (" …" if len(dropped) > 12 else "")
                notes.append(f"The tutorial's normalisation {TUTORIAL_KEEPS} — it dropped: {shown}")
        limit = min(MAX_INPUT_TOKENS, self.model.max_source_length - 1 if self.model.attention_kind == "tutorial"
                    else MAX_INPUT_TOKENS)
        if len(tokens) > limit:
            unit = "characters" if self.tokens == "chars" else "words"
            why = (f"the tutorial's attention has {self.model.max_source_length} slots"
                   if self.model.attention_kind == "tutorial" else "longer inputs are not translated here")
            notes.append(f"Only the first {limit} {unit} are translated ({why}); the input had {len(tokens)}.")
            tokens = tokens[:limit]
        unknown = self.source_vocab.unknown(tokens)
        if tokens and sum(unknown) > len(tokens) / 2 and self.tokens == "words":
            notes.append(f"Most words are not in the model's {language_name(self.source_language)} vocabulary: "
                         f"is this {language_name(self.source_language)}? Unknown words are read as <unk>.")
        elif any(unknown):
            unit = "characters" if self.tokens == "chars" else "words"
            notes.append(f"Unknown {unit} are read as <unk>: "
                         + ", ".join(t for t, u in zip(tokens, unknown) if u)[:300])
        if self.info.get("tutorial_filter") and self.tokens == "words" and len(tokens) >= 10:
            notes.append("This model was trained on sentences of fewer than 10 words; expect a poor translation.")
        return Prepared(capped, normalized, tokens, unknown, notes)

    def _encode(self, prepared: Prepared) -> tuple[torch.Tensor, torch.Tensor]:
        """Source ids (1, S) and lengths (1,)."""
        return encode_source([prepared.tokens], self.source_vocab)

    def _words(self, ids: list[int]) -> list[str]:
        """Target ids to tokens."""
        return self.target_vocab.decode(ids)

    # ------------------------------------------------------------ translating

    def translate(self, text: object, *, beam: int = 1, length_penalty: float = 0.0, top_k: int = 5) -> Translation:
        """Translate one typed sentence: output, attention, top-k next words, beam candidates."""
        began = time.perf_counter()
        prepared = self.prepare(text)
        source_tokens = [*prepared.tokens, EOS]
        if prepared.empty:
            return Translation(prepared, [], [], "", 0.0, None, [], [], [], 0.0)
        source, lengths = self._encode(prepared)
        candidates: list[tuple[str, float, float]] = []
        if beam <= 1:
            best = greedy(self.model, source, lengths, top_k=top_k)[0]
        else:
            found = beam_search(self.model, source, lengths, width=beam, length_penalty=length_penalty)
            candidates = [(detokenize(self._words(h.tokens), self.tokens), h.logprob, h.score(length_penalty))
                          for h in found]
            best = explain(self.model, source, lengths, found[0].tokens, top_k=top_k)
            best.finished = found[0].finished
        return self._result(prepared, source_tokens, best, candidates, began)

    def _result(self, prepared: Prepared, source_tokens: list[str], best: Hypothesis,
                candidates: list[tuple[str, float, float]], began: float) -> Translation:
        """Package a hypothesis for display."""
        words = self._words(best.tokens)
        attention = np.asarray(best.attention, dtype=np.float64) if best.attention else None
        if attention is not None and self.model.attention_kind != "tutorial":
            attention = attention[:, : len(source_tokens)]
        top = [[(self.target_vocab.tokens[i], float(np.exp(v))) for i, v in row] for row in best.top]
        return Translation(prepared, source_tokens, words, detokenize(words, self.tokens), best.logprob, attention,
                           top, best.step_logprobs, candidates, 1000 * (time.perf_counter() - began))

    def translate_many(self, texts: list[str], *, beam: int = 1, length_penalty: float = 0.0,
                       batch_size: int = 128) -> list[str]:
        """Translations of many lines (greedy ones batched); empty lines give empty outputs."""
        prepared = [self.prepare(text) for text in texts]
        outputs = [""] * len(texts)
        if beam > 1:
            for i, item in enumerate(prepared):
                if not item.empty:
                    found = beam_search(self.model, *self._encode(item), width=beam, length_penalty=length_penalty)
                    outputs[i] = detokenize(self._words(found[0].tokens), self.tokens)
            return outputs
        todo = [i for i, item in enumerate(prepared) if not item.empty]
        for start in range(0, len(todo), batch_size):
            chunk = todo[start: start + batch_size]
            source, lengths = encode_source([prepared[i].tokens for i in chunk], self.source_vocab)
            for i, hypothesis in zip(chunk, greedy(self.model, source, lengths)):
                outputs[i] = detokenize(self._words(hypothesis.tokens), self.tokens)
        return outputs

    # ------------------------------------------------------------ Cho et al.: scoring and sampling

    def score(self, source_text: str, target_text: str) -> tuple[float, list[tuple[str, float]], Prepared]:
        """log p(target | source) and each target word's log p (</s> last), as Cho et al.'s phrase scorer."""
        prepared = self.prepare(source_text)
        target_tokens = tokenize(normalize(cap_text(str(target_text), MAX_INPUT_CHARS)[0],
                                           self.info.get("preparation", "tutorial")), self.tokens)[:MAX_INPUT_TOKENS]
        if prepared.empty or not target_tokens:
            raise ValueError("both the source and the target need at least one word after normalisation")
        ids = self.target_vocab.encode(target_tokens)
        total, steps = score_pairs(self.model, *self._encode(prepared), torch.tensor([[*ids, EOS_ID]]))
        total, steps = total.cpu(), steps.cpu()
        words = [t if known else f"{t} (<unk>)" for t, known in
                 zip(target_tokens, [not u for u in self.target_vocab.unknown(target_tokens)])] + [EOS]
        return float(total[0]), list(zip(words, steps[0].tolist())), prepared

    def top_phrases(self, text: str, k: int = 5, length_penalty: float = 0.0) -> list[tuple[str, float]]:
        """The k best-scoring target phrases by beam search (Cho et al.'s Table 2)."""
        prepared = self.prepare(text)
        if prepared.empty:
            return []
        found = beam_search(self.model, *self._encode(prepared), width=k, length_penalty=length_penalty)
        return [(detokenize(self._words(h.tokens), self.tokens), h.logprob) for h in found]

    def samples(self, text: str, count: int = 50, temperature: float = 1.0, top: int = 5,
                seed: int = 0) -> list[tuple[str, int, float]]:
        """(phrase, times drawn, log p) for the `top` likeliest of `count` samples (Cho et al.'s Table 3)."""
        prepared = self.prepare(text)
        if prepared.empty:
            return []
        drawn = sample(self.model, *self._encode(prepared), count=count, temperature=temperature, seed=seed)
        return [(detokenize(self._words(list(ids)), self.tokens), n, lp) for ids, n, lp in sample_counts(drawn, top)]

    # ------------------------------------------------------------ checkpoints

    def save(self, path: str | os.PathLike[str], *, half: bool = False, extra: dict[str, Any] | None = None) -> Path:
        """Write a checkpoint (weights as float16 with half=True, loaded back as float32)."""
        path = Path(path)
        checkpoints.write_atomically(path, self.to_bytes(half=half, extra=extra))
        return path

    def to_bytes(self, *, half: bool = False, extra: dict[str, Any] | None = None) -> bytes:
        """The checkpoint `save` writes, as bytes (a download)."""
        model = copy.deepcopy(self.model).half() if half else self.model
        return checkpoints.to_bytes(model, vocab={"source": self.source_vocab.to_json(),
                                                  "target": self.target_vocab.to_json()},
                                    history=self.history, metrics=self.metrics,
                                    extra={**self.info, **(extra or {}), "stored_dtype": "float16" if half else "float32"})

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, source: str | None = None, target: str | None = None) -> Translator:
        """Open a checkpoint (CheckpointError for a bad file; DirectionError for another direction)."""
        loaded = checkpoints.load(path, expected_model="seq2seq")
        vocab = loaded.vocab
        if not isinstance(vocab, dict) or "source" not in vocab or "target" not in vocab:
            raise checkpoints.CheckpointError(path, "it has no source and target vocabularies",
                                              "save it with rnnviz.seq2seq.translator.Translator.save")
        model = loaded.model.float()
        translator = cls(model, Vocabulary.from_json(vocab["source"]), Vocabulary.from_json(vocab["target"]),
                         loaded.extra, loaded.metrics, loaded.history, Path(path))
        translator.check_direction(source, target)
        return translator


@dataclass(frozen=True)
class CheckpointInfo:
    """What the page needs to list a translation checkpoint without loading its weights."""

    path: Path
    source: str
    target: str
    attention: str
    label: str
    bleu: float | None
    metrics: dict[str, Any]
    info: dict[str, Any]


def _trained_on(info: dict[str, Any]) -> str:
    """", whole corpus (135,842 pairs)" for a model of a whole unfiltered file; "" for the tutorial and date models."""
    pairs = info.get("pairs")
    if info.get("tutorial_filter") or info.get("preparation") == "dates" or not isinstance(pairs, int):
        return ""
    return f", whole corpus ({pairs:,} pairs)"


def list_translators(directory: str | os.PathLike[str] | None = None) -> tuple[list[CheckpointInfo], list[str]]:
    """Translation checkpoints in `directory` (default: the checkpoint folder), a message per problem found."""
    from rnnviz.seq2seq.attention import ATTENTION_LABELS

    directory = checkpoints.checkpoint_directory() if directory is None else directory
    try:
        listing = checkpoints.list_checkpoints(directory, model="seq2seq")
    except checkpoints.CheckpointDirectoryError as error:
        return [], [str(error)]
    found = []
    for path, meta in listing.usable:
        extra, config, metrics = meta.get("extra", {}), meta["config"], meta.get("metrics", {})
        bleu = metrics.get("test_bleu")
        size = f"{config.get('hidden_size', '?')} units"
        label = (f"{config.get('cell', '?').upper()} + {ATTENTION_LABELS.get(config.get('attention'), '?')}, {size}"
                 + _trained_on(extra) + (f", held-out BLEU {bleu:.1f}" if isinstance(bleu, (int, float)) else ""))
        found.append(CheckpointInfo(path, extra.get("source_language", "?"), extra.get("target_language", "?"),
                                    config.get("attention", "?"), label, bleu, metrics, extra))
    return found, [message for _, message in listing.broken]
