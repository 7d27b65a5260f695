"""Encoder–decoder: attention masks, fused vs step-by-step, batches vs single sentences, decoding, scoring."""

from __future__ import annotations

import pytest
import torch

from rnnviz.core.randomness import make_generator
from rnnviz.data.pairs import EOS_ID, PAD_ID, encode_source, make_batch, pad
from rnnviz.seq2seq.attention import ATTENTION_KINDS, ContentAttention, tutorial_slots
from rnnviz.seq2seq.decoding import beam_search, explain, greedy, sample, sample_counts, score_pairs
from rnnviz.seq2seq.model import Seq2Seq, reverse_within
from rnnviz.seq2seq.training import AttentionSnapshots, Seq2SeqConfig, evaluate, train_seq2seq
from tests.unit.seq2seq_helpers import number_data

SOURCE_VOCAB, TARGET_VOCAB = 12, 11


def model(attention: str = "additive", cell: str = "gru", bidirectional: bool = False, seed: int = 0,
          **options) -> Seq2Seq:
    """A small untrained model in eval mode."""
    return Seq2Seq(SOURCE_VOCAB, TARGET_VOCAB, hidden_size=12, embedding_size=8, cell=cell, attention=attention,
                   bidirectional=bidirectional, dropout=0.0, max_source_length=7, generator=make_generator(seed),
                   **options).eval()


def sources(seed: int = 1) -> tuple[torch.Tensor, torch.Tensor, list[list[int]]]:
    """Padded source ids of different lengths (each ends with </s>)."""
    generator = torch.Generator().manual_seed(seed)
    rows = [torch.randint(4, SOURCE_VOCAB, (n,), generator=generator).tolist() + [EOS_ID] for n in (5, 2, 4, 1, 6)]
    return pad(rows), torch.tensor([len(r) for r in rows]), rows


CONTENT_KINDS = ("additive", "dot", "general")
SETTINGS = [(kind, cell, bi) for kind in ATTENTION_KINDS for cell, bi in (("gru", False), ("lstm", True), ("sru", True))
            if not (kind == "dot" and bi)]


@pytest.mark.parametrize("kind", CONTENT_KINDS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_attention_rows_sum_to_one_and_never_look_at_padding(kind, bidirectional):
    if kind == "dot" and bidirectional:
        pytest.skip("dot needs equal sizes")
    net = model(kind, bidirectional=bidirectional)
    source, lengths, _ = sources()
    target_in = torch.randint(4, TARGET_VOCAB, (5, 4))
    with torch.no_grad():
        _, attention = net.teacher_forced(net.encode(source, lengths), target_in)
    assert attention.shape == (5, 4, source.shape[1])
    torch.testing.assert_close(attention.sum(dim=2), torch.ones(5, 4))
    padding = torch.arange(source.shape[1]).unsqueeze(0) >= lengths.unsqueeze(1)  # (B, S)
    assert bool((attention.masked_select(padding.unsqueeze(1).expand_as(attention)) == 0).all())
    for hypothesis, length in zip(greedy(net, source, lengths, max_steps=4), lengths.tolist()):
        for row in hypothesis.attention:
            assert sum(row) == pytest.approx(1.0, abs=1e-5) and all(w == 0 for w in row[length:])


def test_tutorial_attention_spreads_over_fixed_slots_whose_padding_is_zero():
    net = model("tutorial")
    source, lengths, _ = sources()
    memory = net.encode(source, lengths)
    assert memory.slots.shape[1] == 7
    for row, length in enumerate(lengths.tolist()):
        assert bool((memory.slots[row, length:] == 0).all()) and bool((memory.slots[row, :length] != 0).any())
    _, attention = net.teacher_forced(memory, torch.randint(4, TARGET_VOCAB, (5, 3)))
    torch.testing.assert_close(attention.sum(dim=2), torch.ones(5, 3))
    assert bool((attention[:, :, 6] > 0).all())  # it does weigh empty slots: it never reads the content
    with pytest.raises(ValueError, match="slots"):
        net.encode(torch.full((1, 9), 5), torch.tensor([9]))
    assert tutorial_slots(torch.ones(2, 9, 3), 7).shape == (2, 7, 3)


@pytest.mark.parametrize("kind,cell,bidirectional", SETTINGS)
def test_fused_teacher_forcing_equals_the_step_by_step_decoder(kind, cell, bidirectional):
    net = model(kind, cell, bidirectional, decoder_layers=2)
    source, lengths, _ = sources()
    target_in = torch.randint(4, TARGET_VOCAB, (5, 4))
    with torch.no_grad():
        memory = net.encode(source, lengths)
        fused_logits, fused_attention = net.teacher_forced(memory, target_in)
        step_logits, step_attention = net.free_running(memory, target_in, forced=True)
    torch.testing.assert_close(fused_logits, step_logits, atol=1e-5, rtol=1e-5)
    if fused_attention is not None:
        torch.testing.assert_close(fused_attention, step_attention, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("kind,cell,bidirectional", SETTINGS)
def test_a_batch_translates_exactly_as_one_sentence_at_a_time(kind, cell, bidirectional):
    net = model(kind, cell, bidirectional)
    source, lengths, rows = sources()
    batched = greedy(net, source, lengths, max_steps=6, top_k=3)
    for row, together in zip(rows, batched):
        alone = greedy(net, torch.tensor([row]), torch.tensor([len(row)]), max_steps=6, top_k=3)[0]
        assert alone.tokens == together.tokens and alone.finished == together.finished
        assert alone.step_logprobs == pytest.approx(together.step_logprobs, abs=1e-5)
        if alone.attention:
            width = len(alone.attention[0])
            assert [r[:width] for r in together.attention] == [pytest.approx(r, abs=1e-6) for r in alone.attention]


def test_reverse_within_keeps_padding_in_place():
    x = torch.tensor([[1, 2, 3, 0], [4, 5, 0, 0]])
    assert reverse_within(x, torch.tensor([3, 2])).tolist() == [[3, 2, 1, 0], [5, 4, 0, 0]]


@pytest.mark.parametrize("kind", ATTENTION_KINDS)
def test_beam_width_one_equals_greedy(kind):
    net = model(kind, seed=3)
    _, _, rows = sources(seed=4)
    for row in rows:
        source, lengths = torch.tensor([row]), torch.tensor([len(row)])
        best = greedy(net, source, lengths, max_steps=8)[0]
        beam = beam_search(net, source, lengths, width=1, max_steps=8)
        assert len(beam) == 1
        assert beam[0].tokens == best.tokens and beam[0].finished == best.finished
        assert beam[0].logprob == pytest.approx(best.logprob, abs=1e-5)


def test_wider_beams_find_outputs_at_least_as_likely_and_sorted():
    net = model("general", seed=5)
    row = sources(seed=6)[2][0]
    source, lengths = torch.tensor([row]), torch.tensor([len(row)])
    found = beam_search(net, source, lengths, width=5, max_steps=10)
    assert 1 <= len(found) <= 5
    assert [h.score() for h in found] == sorted([h.score() for h in found], reverse=True)
    greedy_best = greedy(net, source, lengths, max_steps=10)[0]
    if greedy_best.finished and found[0].finished:
        assert found[0].logprob >= greedy_best.logprob - 1e-5
    normalized = beam_search(net, source, lengths, width=5, max_steps=10, length_penalty=1.0)
    assert [h.score(1.0) for h in normalized] == sorted([h.score(1.0) for h in normalized], reverse=True)


@pytest.mark.parametrize("kind", ATTENTION_KINDS)
def test_pair_scores_equal_the_sum_of_step_log_probabilities(kind):
    net = model(kind, seed=7)
    with torch.no_grad():
        net.out.bias[EOS_ID] += 2.0  # so that the untrained model ends its sentences
    source, lengths, rows = sources(seed=8)
    outputs = greedy(net, source, lengths, max_steps=30)
    finished = [i for i, h in enumerate(outputs) if h.finished]
    assert finished, "the model should end some sentences within 30 steps"
    target_out = pad([outputs[i].tokens + [EOS_ID] for i in finished])
    totals, steps = score_pairs(net, source[finished], lengths[finished], target_out)
    for position, i in enumerate(finished):
        assert float(totals[position]) == pytest.approx(sum(outputs[i].step_logprobs), abs=1e-4)
        assert steps[position].tolist()[: len(outputs[i].step_logprobs)] == pytest.approx(outputs[i].step_logprobs,
                                                                                          abs=1e-5)
    targets = [[5, 6, 7], [4], [8, 9]]  # any targets: the score is the sum over steps fed the true words
    target_out = pad([t + [EOS_ID] for t in targets])
    totals, _ = score_pairs(net, source[:3], lengths[:3], target_out)
    with torch.no_grad():
        for row, target in enumerate(targets):
            memory = net.encode(source[row: row + 1], lengths[row: row + 1])
            state, previous, total = net.initial_state(memory), 2, 0.0
            for token in target + [EOS_ID]:
                step = net.step(torch.tensor([previous]), state, memory)
                total += float(torch.log_softmax(step.logits, dim=1)[0, token])
                state, previous = step.state, token
            assert float(totals[row]) == pytest.approx(total, abs=1e-4)
    row = rows[finished[0]]
    again = explain(net, torch.tensor([row]), torch.tensor([len(row)]), outputs[finished[0]].tokens, top_k=3)
    assert again.logprob == pytest.approx(outputs[finished[0]].logprob, abs=1e-4)
    assert all(len(top) == 3 and top[0][1] >= top[-1][1] for top in again.top)


def test_sampling_is_seeded_and_counts_match_table_3():
    net = model("additive", seed=9)
    row = sources(seed=10)[2][0]
    source, lengths = torch.tensor([row]), torch.tensor([len(row)])
    first = sample(net, source, lengths, count=30, temperature=1.5, seed=1, max_steps=6)
    second = sample(net, source, lengths, count=30, temperature=1.5, seed=1, max_steps=6)
    assert [h.tokens for h in first] == [h.tokens for h in second] and len(first) == 30
    counted = sample_counts(first, top=5)
    assert sum(n for _, n, _ in counted) <= 30
    assert [lp for _, _, lp in counted] == sorted([lp for _, _, lp in counted], reverse=True)
    with pytest.raises(ValueError, match="temperature"):
        sample(net, source, lengths, temperature=0)


def test_config_round_trip_and_clear_errors():
    net = model("dot", cell="lstm", decoder_layers=2)
    again = Seq2Seq.from_config(net.config)
    assert again.config == net.config
    with pytest.raises(ValueError, match="general"):
        Seq2Seq(5, 5, hidden_size=4, attention="dot", bidirectional=True)
    with pytest.raises(ValueError, match="attention"):
        Seq2Seq(5, 5, attention="luong")
    with pytest.raises(ValueError, match="content attention"):
        ContentAttention("bahdanau", 4, 4)


def test_short_training_on_a_tiny_generated_task_is_near_perfect():
    data = number_data(600)
    net = Seq2Seq(len(data.source_vocab), len(data.target_vocab), hidden_size=64, dropout=0.0,
                  generator=make_generator(0))
    config = Seq2SeqConfig(validate_every=150).replace(steps=300, batch_size=32, learning_rate=5e-3)
    outcome = train_seq2seq(net, data, config)
    assert outcome.result.status == "finished" and len(outcome.validations) == 2
    result = evaluate(net, data.test, data.source_vocab, data.target_vocab)
    assert result["exact"] >= 90 and result["bleu"] >= 90, result["hypotheses"][:5]
    batch = make_batch(data.test[:4], data.source_vocab, data.target_vocab)
    assert batch.target_out.eq(PAD_ID).any() or batch.target_out.shape[1] >= 2


def test_encode_source_cuts_long_inputs_and_keeps_the_end_marker():
    from rnnviz.data.text import Vocabulary

    vocab = Vocabulary(["a", "b"])
    ids, lengths = encode_source([["a"] * 10, ["b", "zzz"]], vocab, max_tokens=4)
    assert lengths.tolist() == [4, 3]
    assert ids[0].tolist() == [vocab.id("a")] * 3 + [EOS_ID] and ids[1, 1].item() == vocab.unk_id


def test_tied_embeddings_share_one_matrix_and_old_configs_load_untied():
    tied = Seq2Seq(9, 11, hidden_size=8, tie_embeddings=True)
    assert tied.out.weight is tied.embedding.weight
    assert sum(p.numel() for p in tied.parameters()) == sum(
        p.numel() for p in Seq2Seq(9, 11, hidden_size=8).parameters()) - 11 * 8
    old_config = {key: value for key, value in tied.config.items() if key != "tie_embeddings"}
    untied = Seq2Seq.from_config(old_config)  # a checkpoint written before the option existed
    assert untied.out.weight is not untied.embedding.weight
    with pytest.raises(ValueError, match="embedding_size == hidden_size"):
        Seq2Seq(9, 11, hidden_size=8, embedding_size=6, tie_embeddings=True)


DECODERS = {
    "greedy": lambda net, source, lengths: greedy(net, source, lengths),
    "beam": lambda net, source, lengths: beam_search(net, source[:1], lengths[:1], width=2),
    "sample": lambda net, source, lengths: sample(net, source[:1], lengths[:1], count=3),
    "score": lambda net, source, lengths: score_pairs(net, source, lengths, torch.full((5, 3), EOS_ID)),
    "explain": lambda net, source, lengths: explain(net, source[:1], lengths[:1], [5, 6]),
}


@pytest.mark.parametrize("name", list(DECODERS))
def test_decoders_refuse_a_model_in_training_mode_instead_of_switching_it(name):
    net = model("additive").train()  # as a model shared by every session would be, were it training
    source, lengths, _ = sources()
    with pytest.raises(ValueError, match=r"call model\.eval\(\) first"):
        DECODERS[name](net, source, lengths)
    assert all(module.training for module in net.modules())  # left exactly as it was
    net.eval().encoder.dropout.train()  # one part in training mode is refused too
    with pytest.raises(ValueError, match="eval mode"):
        DECODERS[name](net, source, lengths)
    DECODERS[name](net.eval(), source, lengths)


def test_training_looks_at_its_own_model_in_eval_mode_and_trains_on_in_training_mode():
    data = number_data(120)
    net = Seq2Seq(len(data.source_vocab), len(data.target_vocab), hidden_size=8, dropout=0.1,
                  generator=make_generator(0))
    modes = []

    class Modes:
        def on_step_end(self, info):
            modes.append(net.training)

    watcher = AttentionSnapshots(net, data, "un deux", every=2)
    watcher.take(0)
    assert net.training  # a fresh model trains: the snapshot put it back in training mode
    outcome = train_seq2seq(net, data, Seq2SeqConfig(validate_every=2).replace(steps=4, batch_size=8),
                            callbacks=[Modes(), watcher])
    assert modes == [True] * 4 and len(outcome.validations) == 2 and len(watcher.snapshots) == 3
    assert not net.training  # a trained model comes back ready to decode
