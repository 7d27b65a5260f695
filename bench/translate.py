"""Translation speed: the PyTorch tutorial's recipe beside rnnviz's, same split, same machine, one run.

The tutorial's recipe (the lecture's listing, reimplemented here on rnnviz's pairs and
normalisation): EncoderRNN + AttnDecoderRNN, hidden 256, dropout 0.1, attention over
MAX_LENGTH slots, batch 1, SGD 0.01, teacher forcing 0.5, NLL loss. It trains for
--iterations pairs; rnnviz's recipe (the `python -m rnnviz.translate train` defaults) then
trains for the same wall time. Both are scored on the same 1,000 held-out pairs (greedy,
sacrebleu). Then the latency of a typed sentence with the committed checkpoint.

Targets (issue 5): tutorial's 46.2 held-out BLEU within 30 s; >= 60 within 120 s (those are
measured with the CLI, see the README); typed sentence <= 30 ms greedy, <= 100 ms beam 5 (p95).

    python bench/translate.py [--data ../shared/data/eng-fra.txt] [--iterations 3000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

import sacrebleu
import torch
from timing import cpu_line  # bench/timing.py
from torch import nn

from rnnviz.core.randomness import make_generator
from rnnviz.data.pairs import EOS_ID, MAX_LENGTH, load_pairs, tokenize
from rnnviz.io.checkpoints import checkpoint_directory
from rnnviz.seq2seq.cli import default_recipe
from rnnviz.seq2seq.model import Seq2Seq
from rnnviz.seq2seq.training import Seq2SeqConfig, evaluate, train_seq2seq
from rnnviz.seq2seq.translator import Translator

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "eng-fra.txt"
BOS = 2  # rnnviz's <s>; the tutorial's SOS_token


class TutorialEncoder(nn.Module):
    """The tutorial's EncoderRNN: embedding and a GRU, one word at a time."""

    def __init__(self, vocab: int, hidden: int) -> None:
        super().__init__()
        self.hidden = hidden
        self.embedding = nn.Embedding(vocab, hidden)
        self.gru = nn.GRU(hidden, hidden)

    def forward(self, word: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One word (1,) and state (1, 1, H) -> output (1, 1, H), state."""
        return self.gru(self.embedding(word).view(1, 1, -1), state)


class TutorialAttentionDecoder(nn.Module):
    """The tutorial's AttnDecoderRNN: attention weights from [embedded; hidden] over MAX_LENGTH slots."""

    def __init__(self, hidden: int, vocab: int, dropout: float = 0.1, max_length: int = MAX_LENGTH) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, hidden)
        self.attn = nn.Linear(hidden * 2, max_length)
        self.attn_combine = nn.Linear(hidden * 2, hidden)
        self.dropout = nn.Dropout(dropout)
        self.gru = nn.GRU(hidden, hidden)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, word: torch.Tensor, state: torch.Tensor, encoder_outputs: torch.Tensor):
        """One step: log-probabilities (1, V), state, attention weights (1, MAX_LENGTH)."""
        embedded = self.dropout(self.embedding(word).view(1, 1, -1))
        weights = torch.softmax(self.attn(torch.cat((embedded[0], state[0]), 1)), dim=1)
        applied = torch.bmm(weights.unsqueeze(0), encoder_outputs.unsqueeze(0))
        output = torch.relu(self.attn_combine(torch.cat((embedded[0], applied[0]), 1)).unsqueeze(0))
        output, state = self.gru(output, state)
        return torch.log_softmax(self.out(output[0]), dim=1), state, weights


def _encode(encoder: TutorialEncoder, ids: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Encoder outputs in MAX_LENGTH slots and the last state."""
    outputs = torch.zeros(MAX_LENGTH, encoder.hidden)
    state = torch.zeros(1, 1, encoder.hidden)
    for position, word in enumerate(ids[:MAX_LENGTH]):
        output, state = encoder(torch.tensor([word]), state)
        outputs[position] = output[0, 0]
    return outputs, state


def tutorial_train_step(encoder, decoder, optimizers, source: list[int], target: list[int], rng: random.Random,
                        teacher_forcing: float = 0.5) -> float:
    """The tutorial's train(): one pair, teacher forcing with probability 0.5, SGD."""
    for optimizer in optimizers:
        optimizer.zero_grad()
    outputs, state = _encode(encoder, source)
    word, loss = torch.tensor([BOS]), torch.zeros(())
    forced = rng.random() < teacher_forcing
    for _position, expected in enumerate(target):
        log_probs, state, _ = decoder(word, state, outputs)
        loss = loss + nn.functional.nll_loss(log_probs, torch.tensor([expected]))
        if forced:
            word = torch.tensor([expected])
        else:
            word = log_probs.argmax(dim=1).detach()
            if int(word) == EOS_ID:
                break
    loss.backward()
    for optimizer in optimizers:
        optimizer.step()
    return float(loss.detach()) / len(target)


def tutorial_translate(encoder, decoder, source: list[int]) -> list[int]:
    """The tutorial's evaluate(): greedy until <EOS> or MAX_LENGTH words."""
    with torch.no_grad():
        outputs, state = _encode(encoder, source)
        word, result = torch.tensor([BOS]), []
        for _ in range(MAX_LENGTH):
            log_probs, state, _ = decoder(word, state, outputs)
            word = log_probs.argmax(dim=1)
            if int(word) == EOS_ID:
                break
            result.append(int(word))
        return result


def run_tutorial(data, iterations: int, seed: int) -> tuple[float, float, float]:
    """Train the tutorial's recipe for `iterations` pairs; (seconds, held-out BLEU, exact %)."""
    rng = random.Random(seed)
    torch.manual_seed(seed)
    encoder = TutorialEncoder(len(data.source_vocab), 256)
    decoder = TutorialAttentionDecoder(256, len(data.target_vocab))
    optimizers = [torch.optim.SGD(encoder.parameters(), lr=0.01), torch.optim.SGD(decoder.parameters(), lr=0.01)]
    pairs = [(data.source_vocab.encode(tokenize(s)) + [EOS_ID], data.target_vocab.encode(tokenize(t)) + [EOS_ID])
             for s, t in data.train]
    started = time.perf_counter()
    for _ in range(iterations):
        source, target = rng.choice(pairs)
        tutorial_train_step(encoder, decoder, optimizers, source, target, rng)
    seconds = time.perf_counter() - started
    encoder.eval()
    decoder.eval()
    outputs = [" ".join(data.target_vocab.decode(
        tutorial_translate(encoder, decoder, data.source_vocab.encode(tokenize(s)) + [EOS_ID])))
        for s, _ in data.test]
    references = [t for _, t in data.test]
    bleu = sacrebleu.corpus_bleu(outputs, [references], force=True).score
    exact = 100 * sum(o == r for o, r in zip(outputs, references)) / len(references)
    return seconds, bleu, exact


def run_ours(data, seconds: float, seed: int) -> tuple[int, float, float]:
    """Train rnnviz's default recipe for `seconds`; (steps, held-out BLEU, exact %)."""
    recipe = default_recipe(seconds)
    model = Seq2Seq(len(data.source_vocab), len(data.target_vocab), hidden_size=recipe["hidden"],
                    encoder_hidden_size=recipe["encoder_hidden"], bidirectional=True, attention="additive",
                    dropout=recipe["dropout"], tie_embeddings=recipe["tie_embeddings"], generator=make_generator(seed))
    config = Seq2SeqConfig(label_smoothing=recipe["label_smoothing"]).replace(
        seconds=seconds, seed=seed, learning_rate=recipe["learning_rate"])
    outcome = train_seq2seq(model, data, config)
    result = evaluate(model, data.test, data.source_vocab, data.target_vocab)
    return outcome.result.steps_done, result["bleu"], result["exact"]


def latency(checkpoint: Path, sentences: list[str], beam: int) -> tuple[float, float]:
    """(median, p95) milliseconds to translate one typed sentence with attention, top-5 and all."""
    translator = Translator.load(checkpoint)
    for sentence in sentences[:5]:
        translator.translate(sentence, beam=beam)
    times = []
    for sentence in sentences:
        began = time.perf_counter()
        translator.translate(sentence, beam=beam)
        times.append(1000 * (time.perf_counter() - began))
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main() -> None:
    """Run both recipes and the latency check; print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="the tutorial's eng-fra.txt")
    parser.add_argument("--iterations", type=int, default=2000, help="tutorial iterations (it used 75,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-training", action="store_true", help="only the latency check")
    args = parser.parse_args()
    print(cpu_line())
    data = load_pairs(args.data, source_language="fra", target_language="eng", tutorial_filter=True)
    print(f"data: {data.info['pairs']:,} tutorial-filtered pairs, split {data.info['split']}")
    if not args.skip_training:
        seconds, tutorial_bleu, tutorial_exact = run_tutorial(data, args.iterations, args.seed)
        per_pair = seconds / args.iterations
        print(f"tutorial recipe: {args.iterations:,} iterations in {seconds:.1f} s ({1000 * per_pair:.1f} ms/pair; "
              f"75,000 would take {75_000 * per_pair:.0f} s): held-out BLEU {tutorial_bleu:.1f}, "
              f"exact {tutorial_exact:.1f} %")
        steps, bleu, exact = run_ours(data, seconds, args.seed)
        pairs_seen = steps * 64
        print(f"rnnviz recipe, same {seconds:.1f} s: {steps:,} steps of 64 pairs ({pairs_seen / seconds:.0f} pairs/s): "
              f"held-out BLEU {bleu:.1f}, exact {exact:.1f} %")
        print(f"ratios: pairs per second {pairs_seen / seconds / (args.iterations / seconds):.1f}x; "
              f"BLEU at equal time {bleu / max(tutorial_bleu, 1e-9):.2f}x ({bleu:.1f} vs {tutorial_bleu:.1f})")
    checkpoint = checkpoint_directory() / "translate-fra-eng.safetensors"
    if checkpoint.is_file():
        sentences = [s for s, _ in data.test[:200]]
        for beam in (1, 5):
            median, p95 = latency(checkpoint, sentences, beam)
            target = 30 if beam == 1 else 100
            print(f"typed sentence, {'greedy' if beam == 1 else 'beam 5'}: median {median:.1f} ms, p95 {p95:.1f} ms "
                  f"(target <= {target} ms: p95 / target = {p95 / target:.2f})")


if __name__ == "__main__":
    main()
