"""Decoding an encoder–decoder: greedy, beam search, sampling, and scoring given pairs.

Every function runs under `torch.inference_mode` on a model in eval mode and returns plain
results (ids, log-probabilities, attention rows); none of them changes the model. A model in
training mode is refused with a ValueError rather than switched: a model in `st.cache_resource`
is shared by every session, so flipping its mode would change what the others compute.
`score_pairs` is Cho et al.'s use of the model as a phrase scorer: log p(target | source),
the sum of the log-probabilities of each target word and of </s>.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch
from torch import Tensor

from rnnviz.core.randomness import make_generator
from rnnviz.core.validation import require_int
from rnnviz.data.pairs import BOS_ID, EOS_ID, PAD_ID
from rnnviz.seq2seq.model import Memory, Seq2Seq

MAX_STEPS_CAP = 200


@dataclass
class Hypothesis:
    """One output sentence with how the model got there."""

    tokens: list[int]  # output ids, without </s>
    step_logprobs: list[float]  # log p of each emitted id, </s> included when finished
    attention: list[list[float]] = field(default_factory=list)  # one row per step (over source positions)
    finished: bool = True  # ended with </s> (False: cut at the step limit)
    top: list[list[tuple[int, float]]] = field(default_factory=list)  # per step: the k likeliest (id, log p)

    @property
    def logprob(self) -> float:
        """log p(output | source): the sum of the step log-probabilities."""
        return float(sum(self.step_logprobs))

    def score(self, length_penalty: float = 0.0) -> float:
        """Log-probability divided by (number of steps)^alpha: alpha 0 is raw, 1 is per word."""
        return self.logprob / max(1, len(self.step_logprobs)) ** length_penalty


def require_eval(model: Seq2Seq) -> None:
    """Raise ValueError unless the model and all its parts are in eval mode (dropout off)."""
    if any(module.training for module in model.modules()):
        raise ValueError("decoding needs a model in eval mode (dropout off): call model.eval() first. A model in "
                         "training mode is refused, not switched, because it may be shared with other sessions")


@contextlib.contextmanager
def evaluating(model: Seq2Seq) -> Iterator[None]:
    """Inference mode on a model already in eval mode (see `require_eval`); the model is never switched."""
    require_eval(model)
    with torch.inference_mode():
        yield


def _on_model(model: Seq2Seq, *tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors on the model's device (CPU, or a GPU when it was moved there)."""
    device = next(model.parameters()).device
    return tuple(t.to(device) for t in tensors)


def default_max_steps(source_length: int) -> int:
    """How many words to allow for a source of this length (</s> included)."""
    return min(MAX_STEPS_CAP, 2 * source_length + 10)


def greedy(model: Seq2Seq, source: Tensor, lengths: Tensor, *, max_steps: int | None = None,
           top_k: int = 0) -> list[Hypothesis]:
    """The likeliest word at every step, for a padded batch (B, S); one Hypothesis per row."""
    source, lengths = _on_model(model, source, lengths)
    with evaluating(model):
        memory = model.encode(source, lengths)
        return _greedy(model, memory, lengths, max_steps or default_max_steps(source.shape[1]), top_k)


def _greedy(model: Seq2Seq, memory: Memory, lengths: Tensor, max_steps: int, top_k: int) -> list[Hypothesis]:
    """Greedy steps until every row wrote </s> or max_steps."""
    batch = memory.outputs.shape[0]
    hypotheses = [Hypothesis([], [], finished=False) for _ in range(batch)]
    device = memory.outputs.device
    state, tokens = model.initial_state(memory), torch.full((batch,), BOS_ID, dtype=torch.long, device=device)
    alive = torch.ones(batch, dtype=torch.bool, device=device)
    for _ in range(max_steps):
        step = model.step(tokens, state, memory)
        logprobs = torch.log_softmax(step.logits.float(), dim=1)
        best, tokens = logprobs.max(dim=1)
        tops = logprobs.topk(min(top_k, logprobs.shape[1]), dim=1) if top_k else None
        for row in alive.nonzero().flatten().tolist():
            hypothesis = hypotheses[row]
            hypothesis.step_logprobs.append(float(best[row]))
            if step.attention is not None:
                hypothesis.attention.append(step.attention[row].tolist())
            if tops is not None:
                hypothesis.top.append(list(zip(tops.indices[row].tolist(), tops.values[row].tolist())))
            if int(tokens[row]) == EOS_ID:
                hypothesis.finished = True
            else:
                hypothesis.tokens.append(int(tokens[row]))
        alive &= tokens != EOS_ID
        if not bool(alive.any()):
            break
        state = step.state
    return hypotheses


def beam_search(model: Seq2Seq, source: Tensor, lengths: Tensor, *, width: int = 5, length_penalty: float = 0.0,
                max_steps: int | None = None) -> list[Hypothesis]:
    """The `width` best outputs for ONE sentence (source (1, S)), best first by score(length_penalty).

    Beams advance together as a batch; each step keeps the `width` best unfinished extensions
    and sets aside those that end with </s>. Width 1 is greedy decoding.
    """
    width = require_int("beam width", width, minimum=1, maximum=50)
    if source.shape[0] != 1:
        raise ValueError(f"beam_search decodes one sentence at a time, got a batch of {source.shape[0]}")
    max_steps = max_steps or default_max_steps(source.shape[1])
    source, lengths = _on_model(model, source, lengths)
    device = source.device
    with evaluating(model):
        memory = model.encode(source, lengths)
        beams = [Hypothesis([], [], finished=False)]
        scores = torch.zeros(1, device=device)
        state, finished = model.initial_state(memory), []
        for _ in range(max_steps):
            rows = memory.select(torch.zeros(len(beams), dtype=torch.long, device=device))
            previous = torch.tensor([b.tokens[-1] if b.tokens else BOS_ID for b in beams], device=device)
            step = model.step(previous, state, rows)
            logprobs = torch.log_softmax(step.logits.float(), dim=1)  # (K, V)
            total = (scores.unsqueeze(1) + logprobs).flatten()
            candidates = total.topk(min(2 * width, total.numel()))
            kept, kept_rows = [], []
            for rank, (value, flat) in enumerate(zip(candidates.values.tolist(), candidates.indices.tolist())):
                row, token = divmod(flat, logprobs.shape[1])
                if token == EOS_ID and rank >= width:
                    continue  # an ending only counts when it is among the `width` best extensions
                parent = beams[row]
                extended = Hypothesis(parent.tokens + ([] if token == EOS_ID else [token]),
                                      parent.step_logprobs + [float(logprobs[row, token])],
                                      parent.attention + ([] if step.attention is None
                                                          else [step.attention[row].tolist()]),
                                      finished=token == EOS_ID)
                if token == EOS_ID:
                    finished.append(extended)
                elif len(kept) < width:
                    kept.append(extended)
                    kept_rows.append((row, value))
                if len(kept) == width and len(finished) >= width:
                    break
            if len(finished) >= width or not kept:
                break
            index = torch.tensor([row for row, _ in kept_rows], device=device)
            state = [_select_state(s, index) for s in step.state]
            beams, scores = kept, torch.tensor([value for _, value in kept_rows], device=device)
        results = finished if finished else beams
        return sorted(results, key=lambda h: h.score(length_penalty), reverse=True)[:width]


def _select_state(state, index: Tensor):
    """Rows `index` of a cell state (a tensor, or LSTM's (h, c))."""
    if isinstance(state, tuple):
        return tuple(part.index_select(0, index) for part in state)
    return state.index_select(0, index)


def sample(model: Seq2Seq, source: Tensor, lengths: Tensor, *, count: int = 50, temperature: float = 1.0,
           seed: int = 0, max_steps: int | None = None, generator: torch.Generator | None = None) -> list[Hypothesis]:
    """`count` outputs for ONE sentence drawn from softmax(logits / temperature) (Cho et al.'s Table 3).

    The draws come from `generator` if given, else from a CPU generator seeded with `seed`.
    """
    count = require_int("count", count, minimum=1, maximum=1000)
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    generator = generator if generator is not None else make_generator(seed)
    max_steps = max_steps or default_max_steps(source.shape[1])
    source, lengths = _on_model(model, source, lengths)
    device = source.device
    with evaluating(model):
        memory = model.encode(source, lengths).select(torch.zeros(count, dtype=torch.long, device=device))
        hypotheses = [Hypothesis([], [], finished=False) for _ in range(count)]
        state = model.initial_state(memory)
        tokens = torch.full((count,), BOS_ID, dtype=torch.long, device=device)
        alive = torch.ones(count, dtype=torch.bool, device=device)
        for _ in range(max_steps):
            step = model.step(tokens, state, memory)
            tokens = torch.multinomial(torch.softmax(step.logits.float().cpu() / temperature, dim=1), 1,
                                       generator=generator).squeeze(1).to(device)
            logprobs = torch.log_softmax(step.logits.float(), dim=1).gather(1, tokens.unsqueeze(1)).squeeze(1)
            for row in alive.nonzero().flatten().tolist():
                hypotheses[row].step_logprobs.append(float(logprobs[row]))
                if int(tokens[row]) == EOS_ID:
                    hypotheses[row].finished = True
                else:
                    hypotheses[row].tokens.append(int(tokens[row]))
            alive &= tokens != EOS_ID
            if not bool(alive.any()):
                break
            state = step.state
        return hypotheses


def sample_counts(hypotheses: list[Hypothesis], top: int = 5) -> list[tuple[tuple[int, ...], int, float]]:
    """Distinct samples as (ids, how many times drawn, log p), the `top` most likely first (Table 3)."""
    counts = Counter(tuple(h.tokens) for h in hypotheses if h.finished)
    logprob = {tuple(h.tokens): h.logprob for h in hypotheses if h.finished}
    ranked = sorted(counts, key=lambda ids: logprob[ids], reverse=True)
    return [(ids, counts[ids], logprob[ids]) for ids in ranked[:top]]


def score_pairs(model: Seq2Seq, source: Tensor, lengths: Tensor, target_out: Tensor,
                target_in: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """(log p(target | source) per pair (B,), per-step log-probs (B, T) with 0 at padding).

    target_out holds the target ids followed by </s>, padded with <pad> (see `rnnviz.data.pairs.Batch`).
    """
    source, lengths, target_out = _on_model(model, source, lengths, target_out)
    if target_in is None:
        target_in = torch.cat([torch.full_like(target_out[:, :1], BOS_ID), target_out[:, :-1]], dim=1)
        target_in = target_in.masked_fill(target_in == EOS_ID, PAD_ID)
    target_in = target_in.to(source.device)
    with evaluating(model):
        memory = model.encode(source, lengths)
        logits, _ = model.teacher_forced(memory, target_in)
        logprobs = torch.log_softmax(logits.float(), dim=2).gather(2, target_out.unsqueeze(2)).squeeze(2)
        steps = logprobs.masked_fill(target_out == PAD_ID, 0.0)
        return steps.sum(dim=1), steps


def explain(model: Seq2Seq, source: Tensor, lengths: Tensor, tokens: list[int], *,
            top_k: int = 5) -> Hypothesis:
    """For ONE sentence and a given output: per step its log p, the top-k alternatives, the attention row."""
    source, lengths, target_in, target_out = _on_model(model, source, lengths, torch.tensor([[BOS_ID, *tokens]]),
                                                       torch.tensor([[*tokens, EOS_ID]]))
    with evaluating(model):
        memory = model.encode(source, lengths)
        logits, attention = model.teacher_forced(memory, target_in)
        logprobs = torch.log_softmax(logits[0].float(), dim=1)  # (T, V)
        tops = logprobs.topk(min(top_k, logprobs.shape[1]), dim=1)
        return Hypothesis(
            list(tokens), logprobs.gather(1, target_out[0].unsqueeze(1)).squeeze(1).tolist(),
            [] if attention is None else attention[0].tolist(), True,
            [list(zip(i, v)) for i, v in zip(tops.indices.tolist(), tops.values.tolist())])
