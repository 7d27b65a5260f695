"""The Siamese RNNs: symmetric and batch-invariant scores, fused path, pair labels from the file numbering, the split."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest
import torch

from rnnviz.io import checkpoints
from rnnviz.signatures import cli, protocol
from rnnviz.signatures.data import Dataset, Signature
from rnnviz.signatures.learning import BestOnValidation, train_siamese, validation_trials
from rnnviz.signatures.pairs import SCENARIOS, pair_label, pair_sampler, prepare
from rnnviz.signatures.paper import paper_eer
from rnnviz.signatures.scoring import REJECTED, two_stage_scores
from rnnviz.signatures.siamese import SYSTEMS, SiameseRNN, model_input, resample
from rnnviz.training.loop import TrainConfig

BUILDERS = {"siamese": "rnnviz.signatures.siamese:SiameseRNN"}


def synthetic_dataset(users: int = 6, seed: int = 0) -> Dataset:
    """Users with their own wavy stroke; S1–S20 genuine (small noise), S21–S40 forgeries (a changed shape)."""
    rng = np.random.default_rng(seed)
    dataset = Dataset()
    for user in range(1, users + 1):
        frequency = 1 + user / 2
        for sample in range(1, 41):
            count = int(rng.integers(30, 50))
            n = np.linspace(0, 1, count)
            wobble = 0.05 if sample <= 20 else 0.6
            x = 1000 * n + rng.normal(0, 5, count)
            y = 300 * np.sin(2 * np.pi * (frequency + wobble * rng.normal()) * n) + rng.normal(0, 5, count)
            points = np.stack([x, y, 10 * np.arange(count), np.ones(count), 0 * n, 0 * n, 500 + 100 * n], axis=1)
            dataset.add(Signature(user, sample, points, source=f"U{user}S{sample}.TXT"))
    return dataset


@pytest.mark.parametrize("system", list(SYSTEMS))
def test_the_score_is_symmetric_and_batch_invariant(system: str) -> None:
    torch.manual_seed(0)
    model = SiameseRNN(system, input_size=5, first_hidden=6, second_hidden=4, length=12,
                       generator=torch.Generator().manual_seed(1)).eval()  # fmt: skip
    first, second = torch.randn(7, 12, 5), torch.randn(7, 12, 5)
    forward, backward = model.score(first, second), model.score(second, first)
    torch.testing.assert_close(forward, backward, atol=1e-6, rtol=0)
    one_by_one = torch.cat([model.score(first[i : i + 1], second[i : i + 1]) for i in range(7)])
    torch.testing.assert_close(forward, one_by_one, atol=1e-6, rtol=0)
    assert not torch.allclose(forward, model.score(first, second.flip(1)))  # the order of samples matters


def test_both_inputs_share_the_first_layer_and_training_uses_the_fused_path() -> None:
    model = SiameseRNN("BGRU", input_size=3, first_hidden=4, second_hidden=2, length=8)
    assert model.first.can_use_fast_path() and model.second.can_use_fast_path()
    assert model.first.bidirectional and model.second.input_size == 2 * model.first.output_size
    names = [name for name, _ in model.named_parameters()]
    assert sum(name.startswith("first.") for name in names) == 8  # one layer's weights, not one per input


def test_scoring_refuses_a_model_in_training_mode() -> None:
    model = SiameseRNN("LSTM", input_size=3, first_hidden=4, second_hidden=2, length=8)
    with pytest.raises(ValueError, match="eval"):
        model.score(torch.zeros(1, 8, 3), torch.zeros(1, 8, 3))


def test_resampling_keeps_the_ends_and_a_straight_line() -> None:
    line = np.stack([np.arange(10.0), 2 * np.arange(10.0)], axis=1)
    resampled = resample(line, 19)
    assert resampled.shape == (19, 2)
    np.testing.assert_allclose(resampled[:, 0], np.linspace(0, 9, 19), atol=1e-5)
    np.testing.assert_allclose(resampled[:, 1], 2 * resampled[:, 0], atol=1e-5)
    assert resample(np.ones((1, 3)), 4).shape == (4, 3)
    with pytest.raises(ValueError, match="at least one sample"):
        resample(np.zeros((0, 3)))


def test_pair_labels_follow_the_file_numbering() -> None:
    assert pair_label((3, 1), (3, 20)) == 1.0
    assert pair_label((3, 1), (3, 21)) == 0.0  # a skilled forgery of user 3
    assert pair_label((3, 1), (4, 5)) == 0.0  # another writer's genuine signature
    with pytest.raises(ValueError):
        pair_label((3, 1), (4, 25))  # another user's forgery is no pair of the protocol


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_sampled_batches_are_half_genuine_with_the_scenarios_impostors(scenario: str) -> None:
    dataset = synthetic_dataset()
    data = prepare(dataset, [1, 2, 3, 4], length=16)
    keys = {row: key for key, row in data.index.items()}
    first, second, labels = pair_sampler(data, [1, 2, 3, 4], scenario, 40)(torch.Generator().manual_seed(0))
    kinds = []
    for a, b, label in zip(first.tolist(), second.tolist(), labels.tolist()):
        (user_a, sample_a), (user_b, sample_b) = keys[a], keys[b]
        assert sample_a <= 20 and user_a in (1, 2, 3, 4) and user_b in (1, 2, 3, 4)
        kind = protocol.label_of(user_a, user_b, sample_b)
        assert label == (1.0 if kind == "genuine" else 0.0)
        assert (user_a, sample_a) != (user_b, sample_b)
        kinds.append(kind)
    assert kinds.count("genuine") == 20
    expected = {"skilled": {"skilled"}, "random": {"random"}, "skilled + random": {"skilled", "random"}}[scenario]
    assert set(kinds) - {"genuine"} == expected


def test_the_fold_split_has_no_user_in_two_parts_and_training_sees_only_training_users() -> None:
    folds = protocol.make_folds(list(range(1, 41)), folds=5, seed=0)
    for fold in folds:
        parts = [set(fold.train), set(fold.validation), set(fold.test)]
        assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
        assert parts[0] | parts[1] | parts[2] == set(range(1, 41))
    assert sorted(u for fold in folds for u in fold.test) == list(range(1, 41))
    dataset = synthetic_dataset(8)
    fold = protocol.make_folds(list(range(1, 9)), folds=4, seed=0)[0]
    data = prepare(dataset, [*fold.train, *fold.validation], length=16)
    keys = {row: key for key, row in data.index.items()}
    first, second, _ = pair_sampler(data, fold.train, "skilled + random", 64)(torch.Generator().manual_seed(2))
    assert {keys[r][0] for r in [*first.tolist(), *second.tolist()]} <= set(fold.train)
    assert {t.claimed_user for t in validation_trials(dataset, fold.validation)} == set(fold.validation)


def test_training_keeps_the_best_validation_step_and_learns_the_synthetic_writers() -> None:
    dataset = synthetic_dataset(8)
    fold = protocol.make_folds(list(range(1, 9)), folds=4, seed=0)[0]
    config = TrainConfig(steps=60, learning_rate=1e-2, batch_size=16, seed=3)
    trained = train_siamese(dataset, fold, "GRU", "skilled + random", config, validate_every=20)
    steps = [record.step for record in trained.validations]
    assert steps == [1, 20, 40, 60]
    errors = [(r.skilled + r.random) / 2 for r in trained.validations]
    assert trained.best is not None and (trained.best.skilled + trained.best.random) / 2 == min(errors)
    assert not trained.model.training
    keeper = BestOnValidation(
        trained.model,
        prepare(dataset, fold.validation, length=trained.model.length, duration=trained.model.duration_input),
        validation_trials(dataset, fold.validation),
        "skilled + random",
        20,
    )
    again = keeper.measure(trained.best.step)
    assert (again.skilled, again.random) == pytest.approx((trained.best.skilled, trained.best.random))
    assert min(errors) < errors[0]


def test_a_checkpoint_rebuilds_the_same_scores(tmp_path) -> None:
    model = SiameseRNN("BLSTM", input_size=4, first_hidden=5, second_hidden=3, length=10).eval()
    path = tmp_path / "signature-test.safetensors"
    checkpoints.save(path, model, extra={"fold": 0}, builders=BUILDERS)
    loaded = checkpoints.load(path, builders=BUILDERS).model.eval()
    first, second = torch.randn(3, 10, 4), torch.randn(3, 10, 4)
    torch.testing.assert_close(model.score(first, second), loaded.score(first, second))


def synthetic_zip(path, users: int = 10) -> str:
    """The synthetic data set written as an SVC2004-format zip."""
    with zipfile.ZipFile(path, "w") as archive:
        for (user, sample), signature in synthetic_dataset(users).signatures.items():
            rows = "\n".join(" ".join(f"{v:.3f}" for v in row) for row in signature.points)
            archive.writestr(f"U{user}S{sample}.TXT", f"{len(signature.points)}\n{rows}\n")
    return str(path)


def test_the_paper_command_ships_a_model_and_evaluate_scores_its_held_out_users(tmp_path) -> None:
    data = synthetic_zip(tmp_path / "synthetic.zip")
    arguments = ["paper", "--zip", data, "--systems", "GRU", "--scenarios", "skilled + random", "--steps", "4",
                 "--out", str(tmp_path / "paper.csv"), "--checkpoints", str(tmp_path)]  # fmt: skip
    assert cli.main(arguments) == 0
    paper = pd.read_csv(tmp_path / "paper.csv")
    assert {"GRU, trained skilled + random", "two-stage (DTW, then GRU)", "DTW, user-normalised"} <= set(paper["system"])
    model = tmp_path / "signature-gru.safetensors"
    extra = checkpoints.load(model, builders=BUILDERS).extra
    assert not set(extra["held_out_users"]) & (set(extra["train_users"]) | set(extra["validation_users"]))
    out = tmp_path / "scores.csv"
    assert cli.main(["evaluate", "--zip", data, "--model", str(model), "--out", str(out)]) == 0
    scores = pd.read_csv(out)
    mine = scores[scores["system"] == "GRU, trained skilled + random"]
    assert set(mine["claimed_user"]) == set(extra["held_out_users"])
    assert set(mine["label"]) == {"genuine", "skilled", "random"}
    for row in mine.itertuples():
        assert row.label == protocol.label_of(row.claimed_user, row.probe_user, row.probe_sample)


def test_two_stage_rejects_what_dtw_rejects_and_keeps_the_rnn_score_otherwise() -> None:
    keys = {"mode": "4vs1", "fold": 0, "claimed_user": 1, "references": "1 2 3 4", "probe_user": 1}
    rows = [{**keys, "probe_sample": s, "label": "genuine" if s <= 20 else "skilled"} for s in (11, 12, 21)]
    dtw = pd.DataFrame([{**r, "system": "DTW", "score": score} for r, score in zip(rows, (-1.0, -5.0, -0.5))])
    rnn = pd.DataFrame([{**r, "system": "GRU", "score": score} for r, score in zip(rows, (2.0, 3.0, 4.0))])
    staged = two_stage_scores(dtw, rnn, threshold=-2.0, name="two-stage")
    assert staged["score"].tolist() == [2.0, REJECTED, 4.0]
    assert paper_eer("4vs1", "BLSTM, trained skilled", "skilled") == 4.75
    assert paper_eer("1vs1", "BGRU, trained random", "random") == 5.33
    assert paper_eer("4vs1", "DTW, user-normalised", "random") == 0.50
    assert paper_eer("4vs1", "two-stage (DTW, then GRU)", "random") is None


def test_the_duration_input_is_a_constant_log_of_the_length_and_survives_a_checkpoint(tmp_path) -> None:
    functions = np.random.default_rng(0).normal(size=(250, 4))
    inputs = model_input(functions, 16, duration=True)
    assert inputs.shape == (16, 5) and np.allclose(inputs[:, 4], np.log(2.5))
    assert model_input(functions, 16, duration=False).shape == (16, 4)
    model = SiameseRNN("GRU", input_size=4, first_hidden=5, second_hidden=3, length=16, duration_input=True).eval()
    assert model.first.input_size == 5 and tuple(model.inputs(functions).shape) == (16, 5)
    path = checkpoints.save(tmp_path / "signature-duration.safetensors", model, builders=BUILDERS)
    assert checkpoints.load(path, builders=BUILDERS).model.duration_input
