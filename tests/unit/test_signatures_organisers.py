"""The SVC2004 organisers' protocol: 10 trials of 5 random references per user, labels from the file numbering."""

from __future__ import annotations

import pandas as pd

from rnnviz.signatures import cli, organisers, protocol
from rnnviz.signatures.evaluation import DTW_COHORT, DTW_NORMALISED, SCORE_COLUMNS, eer_table
from tests.unit.test_signatures_dtw import synthetic_users


def test_each_user_gets_ten_trials_of_five_references_and_labelled_probes() -> None:
    dataset = synthetic_users(4)
    scores = organisers.evaluate_organisers(dataset, seed=3).scores
    assert list(scores.columns) == list(SCORE_COLUMNS) and set(scores["mode"]) == {organisers.MODE}
    for user, group in scores.groupby("claimed_user"):
        assert sorted(group["fold"].unique()) == list(range(organisers.TRIALS))
        for references in group["references"].unique():
            samples = [int(s) for s in references.split()]
            assert len(samples) == organisers.REFERENCES_PER_TRIAL and set(samples) <= set(protocol.REFERENCES)
        trial = group[group["fold"] == 0]
        assert (trial["label"] == "genuine").sum() == 10 and (trial["label"] == "skilled").sum() == 20
        randoms = trial[trial["label"] == "random"]
        assert len(randoms) == 3 and user not in set(randoms["probe_user"])  # one of each other user (3 here)
        assert randoms["probe_user"].is_unique and (randoms["probe_sample"] <= 20).all()
    for row in scores.itertuples():
        assert row.label == protocol.label_of(row.claimed_user, row.probe_user, row.probe_sample)
    assert (eer_table(scores)["skilled"] < 20).all()


def test_the_draws_depend_on_the_seed_only() -> None:
    dataset = synthetic_users(3)
    first = organisers.evaluate_organisers(dataset, seed=1).scores
    pd.testing.assert_frame_equal(first, organisers.evaluate_organisers(dataset, seed=1).scores)
    assert not first["references"].equals(organisers.evaluate_organisers(dataset, seed=2).scores["references"])


def test_the_command_line_prints_both_eers_and_writes_the_summary(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(cli, "load_svc2004", lambda folder=None: synthetic_users(3, seed=5))
    out, summary = tmp_path / "scores.csv", tmp_path / "summary.json"
    assert cli.main(["organisers", "--out", str(out), "--summary", str(summary), "--without-pressure"]) == 0
    printed = capsys.readouterr().out
    assert "one threshold for all" in printed and "a threshold per user and trial" in printed
    assert len(pd.read_csv(out)) == 3 * organisers.TRIALS * (10 + 20 + 2) and summary.is_file()


def test_with_more_users_than_forgers_the_cohort_system_scores_every_trial_too() -> None:
    scores = organisers.evaluate_organisers(synthetic_users(23), seed=0).scores
    normalised = scores[scores["system"] == DTW_NORMALISED]
    cohort = scores[scores["system"] == DTW_COHORT]
    assert len(cohort) == len(normalised) == 23 * organisers.TRIALS * (10 + 20 + organisers.RANDOM_FORGERIES)
    assert (eer_table(cohort)["skilled"] < 20).all()
