"""Translation as a task of the live race: the tutorial's fra->eng pairs, trained by the seq2seq trainer.

A configuration's cell, layers and direction are the encoder's (the decoder uses the same cell, one layer);
its hidden size is the decoder's and the embeddings' (tied), and a bidirectional encoder gets half of it per
direction, as on the Translate page. The score is held-out BLEU (greedy, sacrebleu).
"""

from __future__ import annotations

import collections
import dataclasses
import functools
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from rnnviz.compare.base import ComparisonTask, Trained, display_name, first_over_last
from rnnviz.compare.configs import Configuration
from rnnviz.core.randomness import make_generator
from rnnviz.data.pairs import BOS_ID, EOS_ID, PAD_ID, PairData, load_pairs, pad, tokenize
from rnnviz.probes.gradients import timestep_grads
from rnnviz.seq2seq.model import Memory, Seq2Seq
from rnnviz.seq2seq.training import Seq2SeqConfig, evaluate, train_seq2seq
from rnnviz.training.loop import TrainConfig

LABEL_SMOOTHING = 0.1  # the translate command's recipe (rnnviz.seq2seq.cli.default_recipe)
TEST_PAIRS = 500  # held-out pairs scored after each live run (the homework scores all 1000)
GRADIENT_PAIRS = 32
VALIDATION_PAIRS = 100  # what keeps the best weights during a live run (few: it costs time)


def load_tutorial_pairs(path: str | Path) -> PairData:
    """The tutorial's preparation of fra->eng ('i am / he is ...' pairs under 10 words), split with seed 0."""
    return load_pairs(path, source_language="fra", target_language="eng", tutorial_filter=True, test=1000, validation=500, seed=0)


@functools.lru_cache(maxsize=2)
def _cached_pairs(path: str) -> PairData:
    """The pairs read and split once per process."""
    return load_tutorial_pairs(path)


def encoder_hidden(configuration: Configuration) -> int:
    """Units per encoder direction: the hidden size, halved for a bidirectional encoder."""
    return max(1, configuration.hidden_size // 2) if configuration.bidirectional else configuration.hidden_size


def translator(data: PairData, configuration: Configuration, generator: torch.Generator | None) -> Seq2Seq:
    """The translate command's small recipe (additive attention, tied embeddings, no dropout) for `configuration`."""
    c = configuration
    return Seq2Seq(
        len(data.source_vocab),
        len(data.target_vocab),
        hidden_size=c.hidden_size,
        cell=c.kind,
        encoder_layers=c.num_layers,
        bidirectional=c.bidirectional,
        attention="additive",
        dropout=0.0,
        max_source_length=max(len(source.split(" ")) for source, _ in data.train) + 1,
        encoder_hidden_size=encoder_hidden(c),
        tie_embeddings=True,
        generator=generator,
    )


class TranslationTask(ComparisonTask):
    """The tutorial's fra->eng pairs: train_seq2seq, then BLEU on held-out pairs."""

    name = "translation"
    metric = "held-out BLEU"
    step_metric = ""  # seq2seq's loss reports no score per batch (NaN): the page draws the loss only
    higher_is_better = True
    max_hidden = 512  # ~4 M parameters, most of them the two vocabularies' embeddings

    def __init__(self, path: str | Path) -> None:
        self.data = _cached_pairs(str(path))
        self.label = f"translation fra→eng ({display_name(path)}, the tutorial's pairs)"

    def checkpoint_vocab(self) -> dict[str, dict[str, list[str]]]:
        """Both vocabularies, as a Translator checkpoint stores them (so `Translator.load` opens a run's file)."""
        return {"source": self.data.source_vocab.to_json(), "target": self.data.target_vocab.to_json()}

    @functools.lru_cache(maxsize=512)  # noqa: B019 (a task lives as long as the server; few sizes are asked)
    def parameter_count(self, configuration: Configuration) -> int:
        """sum(p.numel()) of the translator, built on the meta device (no memory, no random numbers)."""
        with torch.device("meta"):
            return sum(p.numel() for p in translator(self.data, configuration, None).parameters())

    def build(self, configuration: Configuration, seed: int) -> Seq2Seq:
        """The translator, its weights drawn from `seed`."""
        return translator(self.data, configuration, make_generator(seed))

    def train(self, model, configuration, config: TrainConfig, callbacks, stop) -> Trained:
        """train_seq2seq (validating only at the end of a steps budget), then BLEU on TEST_PAIRS held-out pairs."""
        timed = config.seconds is not None
        settings = Seq2SeqConfig(label_smoothing=LABEL_SMOOTHING, validate_every=0 if timed else config.steps, train=config)
        data = dataclasses.replace(self.data, validation=self.data.validation[:VALIDATION_PAIRS])
        outcome = train_seq2seq(model, data, settings, callbacks=list(callbacks), stop=stop)
        if not outcome.result.steps_done:
            return Trained(outcome.result, float("nan"))
        test = self.data.test[:TEST_PAIRS]
        return Trained(outcome.result, float(evaluate(model, test, self.data.source_vocab, self.data.target_vocab)["bleu"]))

    def _gradient_batch(self) -> tuple[Tensor, Tensor, Tensor]:
        """Held-out pairs whose sources share the commonest length (no padding): source, target in, target out."""
        encode = self.data.source_vocab.encode
        sources = [encode(tokenize(source)) + [EOS_ID] for source, _ in self.data.test]
        length = collections.Counter(len(ids) for ids in sources).most_common(1)[0][0]
        chosen = [index for index, ids in enumerate(sources) if len(ids) == length][:GRADIENT_PAIRS]
        targets = [self.data.target_vocab.encode(tokenize(self.data.test[i][1])) for i in chosen]
        target_in, target_out = pad([[BOS_ID, *t] for t in targets]), pad([[*t, EOS_ID] for t in targets])
        return torch.tensor([sources[i] for i in chosen]), target_in, target_out

    def gradient_ratio(self, model: Seq2Seq) -> float:
        """The decoder's loss differentiated at every state of the encoder's last layer: first source word over last."""
        source, target_in, target_out = self._gradient_batch()
        encoder = model.encoder.recurrent

        def decoder_loss(outputs: Tensor) -> Tensor:  # outputs (B, S, M), no padding
            last = outputs[:, -1]
            summary = torch.cat([last[:, : encoder.hidden_size], outputs[:, 0, encoder.hidden_size :]], 1)
            mask = torch.ones(outputs.shape[:2], dtype=torch.bool)
            memory = Memory(outputs, mask, summary if encoder.bidirectional else last, model.attention.keys(outputs))
            features = model.teacher_forced_features(memory, target_in)[0]  # (B, T, H)
            real = target_out != PAD_ID
            return F.cross_entropy(model.logits(features[real]), target_out[real])

        return first_over_last(timestep_grads(encoder, model.encoder.embedding(source).detach(), decoder_loss))
