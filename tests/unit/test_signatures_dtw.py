"""DTW against a brute-force dynamic program, EER and DET on known score sets, the DTW evaluation and its CLI."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_curve

from rnnviz.signatures import cli, dtw, evaluation, features, metrics, protocol
from rnnviz.signatures.data import Dataset, Signature
from rnnviz.signatures.evaluation import DTW, DTW_COHORT, DTW_NORMALISED, SCORE_COLUMNS, eer_table, evaluate_dtw, user_eer_table


def brute_force_dtw(first: np.ndarray, second: np.ndarray) -> float:
    """The textbook O(N M) recursion: cost(i, j) = |a_i − b_j| + min(left, up, diagonal)."""
    cost = np.full((len(first) + 1, len(second) + 1), np.inf)
    cost[0, 0] = 0.0
    for i in range(1, len(first) + 1):
        for j in range(1, len(second) + 1):
            step = np.linalg.norm(first[i - 1] - second[j - 1])
            cost[i, j] = step + min(cost[i - 1, j], cost[i, j - 1], cost[i - 1, j - 1])
    return float(cost[-1, -1])


@pytest.mark.parametrize(("n", "m", "f"), [(1, 1, 1), (1, 6, 2), (5, 7, 3), (9, 4, 23)])
def test_dtw_equals_the_brute_force_dynamic_program(n: int, m: int, f: int) -> None:
    rng = np.random.default_rng(n * 100 + m)
    first, second = rng.normal(size=(n, f)), rng.normal(size=(m, f))
    assert dtw.dtw_distance(first, second) == pytest.approx(brute_force_dtw(first, second), rel=1e-9)


def test_dtw_of_a_sequence_with_itself_slowed_down_is_zero() -> None:
    base = np.random.default_rng(0).normal(size=(10, 3))
    assert dtw.dtw_distance(base, np.repeat(base, 3, axis=0)) == pytest.approx(0.0, abs=1e-12)
    assert dtw.dtw_distance(base, base[::-1]) > 0


def test_the_score_table_matches_pair_by_pair_scores() -> None:
    rng = np.random.default_rng(2)
    references = [rng.normal(size=(rng.integers(5, 12), 4)) for _ in range(3)]
    probes = [rng.normal(size=(rng.integers(5, 12), 4)) for _ in range(4)]
    table = dtw.dtw_scores(references, probes)
    assert table.shape == (3, 4)
    for r, reference in enumerate(references):
        for p, probe in enumerate(probes):
            expected = -brute_force_dtw(reference, probe) / (len(reference) + len(probe))
            assert table[r, p] == pytest.approx(expected, rel=1e-9)


def test_dtw_refuses_mismatched_or_non_finite_input() -> None:
    with pytest.raises(ValueError, match="same time functions"):
        dtw.dtw_distance(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="NaN or inf"):
        dtw.dtw_distance(np.array([[np.nan]]), np.zeros((1, 1)))


def test_eer_of_known_score_sets() -> None:
    assert metrics.equal_error_rate([0.9, 0.8, 0.7, 0.6], [0.65, 0.5, 0.4, 0.3]).rate == pytest.approx(0.25)
    assert metrics.equal_error_rate([0.9, 0.8, 0.7, 0.6], [0.65, 0.5, 0.4, 0.3]).threshold == pytest.approx(0.65)
    assert metrics.equal_error_rate([1, 2, 3], [1, 2, 3]).rate == pytest.approx(0.5)
    separated = metrics.equal_error_rate([5, 6, 7], [1, 2, 3])
    assert separated.rate == 0.0 and 3 < separated.threshold <= 5
    assert metrics.equal_error_rate([1, 2, 3], [5, 6, 7]).rate == 1.0  # labels inverted: every trial wrong


def test_eer_agrees_with_scikit_learns_roc_within_one_trial() -> None:
    rng = np.random.default_rng(7)
    for _ in range(5):
        genuine, impostor = rng.normal(1.0, 1.0, 200), rng.normal(0.0, 1.0, 300)
        fpr, tpr, _ = roc_curve(np.r_[np.ones(200), np.zeros(300)], np.r_[genuine, impostor])
        brute = np.min(np.maximum(fpr, 1 - tpr))  # the best worst-of-two over thresholds
        eer = metrics.equal_error_rate(genuine, impostor).rate
        assert abs(eer - brute) <= 1 / 200
        assert 0.25 < eer < 0.4  # two unit normals one apart: Φ(−0.5) ≈ 0.31


def test_the_det_curve_runs_from_all_accepted_to_none() -> None:
    far, frr = metrics.det_curve([0.2, 0.9, 0.5], [0.1, 0.3])
    assert far[0] == 1.0 and frr[0] == 0.0 and far[-1] == 0.0 and frr[-1] == 1.0
    assert (np.diff(far) <= 0).all() and (np.diff(frr) >= 0).all()
    assert np.isfinite(metrics.probit(np.array([0.0, 0.5, 1.0]))).all()


def test_metrics_refuse_empty_or_nan_scores() -> None:
    with pytest.raises(ValueError, match="genuine scores are empty"):
        metrics.equal_error_rate([], [1.0])
    with pytest.raises(ValueError, match="impostor scores contain NaN"):
        metrics.equal_error_rate([1.0], [np.nan])


def synthetic_users(users: int = 4, seed: int = 0) -> Dataset:
    """Each user a random-walk shape: genuine = it plus small noise, skilled = it plus large noise and a stretch."""
    rng = np.random.default_rng(seed)
    dataset = Dataset()
    for user in range(1, users + 1):
        shape = np.cumsum(rng.normal(size=(40, 2)), axis=0) * 30
        for sample in range(1, 41):
            noise = 2.0 if sample <= 20 else 12.0
            xy = shape * (1 if sample <= 20 else 1.15) + rng.normal(scale=noise, size=shape.shape)
            points = np.c_[xy, 10 * np.arange(40), np.ones(40), np.full(40, 900), np.full(40, 600), 300 + 0.1 * xy[:, 0]]
            dataset.add(Signature(user, sample, points, source=f"U{user}S{sample}.TXT"))
    return dataset


def test_the_dtw_evaluation_scores_every_trial_with_its_label() -> None:
    dataset = synthetic_users(4)
    result = evaluate_dtw(dataset, folds=4, seed=1)
    scores = result.scores
    assert list(scores.columns) == list(SCORE_COLUMNS)
    assert set(scores["system"]) == {DTW, DTW_NORMALISED, DTW_COHORT}
    tested = scores.groupby("fold")["claimed_user"].unique()
    assert sorted(u for users in tested for u in users) == [1, 2, 3, 4]  # each user tested in one fold only
    for row in scores.itertuples():
        assert row.label == protocol.label_of(row.claimed_user, row.probe_user, row.probe_sample)
    per_system = scores[scores["system"] == DTW]
    assert (per_system["mode"] == "1vs1").sum() == 4 * 10 * 30  # one test user per fold: no random forgeries
    table = eer_table(scores)
    assert (table["skilled"] < 20).all()  # genuine closer to the references than the noisy forgeries


def test_4vs1_is_the_mean_of_the_four_1vs1_scores() -> None:
    scores = evaluate_dtw(synthetic_users(3), folds=3).scores
    raw = scores[scores["system"] == DTW]
    one = raw[raw["mode"] == "1vs1"].set_index(["claimed_user", "references", "probe_user", "probe_sample"])["score"]
    for row in raw[raw["mode"] == "4vs1"].head(20).itertuples():
        parts = [one[(row.claimed_user, r, row.probe_user, row.probe_sample)] for r in row.references.split()]
        assert row.score == pytest.approx(np.mean(parts))


def test_the_command_line_writes_every_score_to_csv(tmp_path, capsys) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for signature in synthetic_users(3, seed=2).signatures.values():
            rows = "\r\n".join(" ".join(str(int(v)) for v in row) for row in signature.points)
            archive.writestr(signature.source, f"{len(signature.points)}\r\n{rows}\r\n")
        archive.writestr("notes.md", "not a signature")
    upload = tmp_path / "three.zip"
    upload.write_bytes(buffer.getvalue())
    out = tmp_path / "scores.csv"
    assert cli.main(["evaluate", "--zip", str(upload), "--out", str(out), "--folds", "3", "--without-pressure"]) == 0
    written = pd.read_csv(out)
    assert list(written.columns) == list(SCORE_COLUMNS) and len(written) > 0
    recomputed = eer_table(written)
    assert set(recomputed["mode"]) == {"1vs1", "4vs1"}
    captured = capsys.readouterr()
    assert "skipped: notes.md: not a signature file" in captured.err
    assert "paper (BiosecurID)" in captured.out


def test_the_command_line_says_what_is_wrong_without_a_traceback(tmp_path, capsys) -> None:
    assert cli.main(["evaluate", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "s.csv")]) == 2
    assert "error: no signature folder" in capsys.readouterr().err


def test_eers_per_fold_and_per_user_follow_their_own_thresholds() -> None:
    rows = []
    for fold, user in ((0, 1), (1, 2)):
        shift = 0.0 if user == 1 else 10.0  # user 2's scores all lie higher: one global threshold mixes them
        rows += [("S", "4vs1", fold, user, "1 2 3 4", user, 11, "genuine", shift + 1.0)]
        rows += [("S", "4vs1", fold, user, "1 2 3 4", user, 21, "skilled", shift + 0.0)]
        rows += [("S", "4vs1", fold, user, "1 2 3 4", 3 - user, 11, "random", shift - 1.0)]
    scores = pd.DataFrame(rows, columns=list(SCORE_COLUMNS))
    per_fold = eer_table(scores, ["fold"])
    assert list(per_fold["fold"]) == [0, 1] and (per_fold["skilled"] == 0).all()
    assert (user_eer_table(scores)["skilled"] == 0).all()
    assert eer_table(scores)["skilled"].iloc[0] > 0  # user 2's forgery beats user 1's genuine score


def test_the_command_line_takes_table_1_numbers_and_drops_pressure_when_asked(tmp_path) -> None:
    chosen = cli.parser().parse_args(["evaluate", "--out", "x.csv", "--functions", "8,9,3", "--without-pressure"])
    assert cli.dtw_columns(chosen) == (7, 8)
    assert cli.dtw_columns(cli.parser().parse_args(["evaluate", "--out", "x.csv"])) == features.DTW_CHOICE
    with pytest.raises(ValueError, match=r"Table 1 numbers 1\.\.23"):
        features.parse_functions("8,24")
    with pytest.raises(ValueError, match="no time function is left"):
        cli.dtw_columns(cli.parser().parse_args(["evaluate", "--out", "x.csv", "--functions", "3,10", "--without-pressure"]))


def test_cohort_normalised_scores_are_0_at_the_users_spread_and_minus_1_at_other_users() -> None:
    costs = np.array([[1.0, 3.0, 2.0], [2.0, 6.0, 4.0]])  # (R, P)
    scores = dtw.cohort_normalised(costs, 1.0, np.array([3.0, 5.0]))
    assert np.allclose(scores, [[0.0, -1.0, -0.5], [-0.25, -1.25, -0.75]])
    rng = np.random.default_rng(4)
    base = np.cumsum(rng.normal(size=(30, 2)), axis=0)
    references = [base + rng.normal(scale=0.05, size=base.shape) for _ in range(4)]
    others = [np.cumsum(rng.normal(size=(30, 2)), axis=0) for _ in range(5)]
    spread, impostor = dtw.cohort_anchors(references, others)
    assert 0 < spread < impostor.min()
    with pytest.raises(ValueError, match="another user"):
        dtw.cohort_anchors(references, [])


def test_the_cohort_holds_no_test_user_of_the_fold(monkeypatch) -> None:
    seen = []
    real = evaluation.dtw_fold_scores

    def spy(functions, dataset, fold, parallel=False, cohort=()):
        seen.append((set(fold.test), {user for user, _ in cohort}))
        return real(functions, dataset, fold, parallel, cohort)

    monkeypatch.setattr(evaluation, "dtw_fold_scores", spy)
    scores = evaluate_dtw(synthetic_users(5), folds=5, seed=2).scores
    assert len(seen) == 5 and all(test and cohort and not test & cohort for test, cohort in seen)
    cohort = scores[scores["system"] == DTW_COHORT]
    assert len(cohort) == len(scores[scores["system"] == DTW]) and np.isfinite(cohort["score"]).all()
