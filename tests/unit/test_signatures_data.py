"""SVC2004 reading and the protocol: bad files named with their line, labels from the file numbers, disjoint folds."""

from __future__ import annotations

import io
import zipfile
from collections import Counter

import numpy as np
import pytest

from rnnviz.signatures import data, protocol
from rnnviz.signatures.data import Dataset, Signature, SignatureFileError, parse_signature, read_zip

REAL = data.default_folder()


def signature_text(points: int = 5, extra_rows: int = 0) -> str:
    """A small well-formed file: `points` declared, `points + extra_rows` rows, CRLF as in SVC2004."""
    rows = [f"{100 + 3 * i} {200 + 2 * i} {1000 + 10 * i} {int(i > 0)} 1500 600 {300 + i}" for i in range(points + extra_rows)]
    return "\r\n".join([str(points), *rows]) + "\r\n"


def zip_of(files: dict[str, str | bytes]) -> bytes:
    """The bytes of a zip holding `files`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def synthetic(users: int = 4, samples: range = range(1, 41)) -> Dataset:
    """A data set with every listed sample for `users` users (points do not matter to the protocol)."""
    dataset = Dataset()
    for user in range(1, users + 1):
        for sample in samples:
            dataset.add(Signature(user, sample, np.zeros((3, 7))))
    return dataset


def test_a_good_file_reads_as_n_rows_of_seven_columns() -> None:
    points = parse_signature(signature_text(5), "U1S1.TXT")
    assert points.shape == (5, 7)
    assert points[0, data.X] == 100 and points[4, data.Y] == 208 and points[4, data.PRESSURE] == 304


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (signature_text(5, extra_rows=1), "U1S1.TXT line 1: says 5 points but 6 rows follow"),
        (signature_text(5, extra_rows=-1), "U1S1.TXT line 1: says 5 points but 4 rows follow"),
        ("five\r\n1 2 3 4 5 6 7\r\n", "U1S1.TXT line 1: 'five' is not a whole number"),
        ("1\r\n1 2 3 1 5 6 7\r\n", "U1S1.TXT line 1: 1 point(s); a signature needs at least 2"),
        ("1000000\r\n1 2 3 1 5 6 7\r\n", "U1S1.TXT line 1: 1,000,000 points; at most 20,000"),
        ("", "U1S1.TXT line 1: empty"),
        ("2\r\n1 2 3 1 5 6 7\r\n1 2 3 1 5 nan 7\r\n", "U1S1.TXT line 3: ALTITUDE is 'nan', not a finite number"),
        ("2\r\n1 2 3 1 5 6 7\r\n1 2 3 1 5 6\r\n", "U1S1.TXT line 3: 6 values, expected 7"),
        ("2\r\n1 2 x 1 5 6 7\r\n1 2 3 1 5 6 7\r\n", "U1S1.TXT line 2: T is 'x', not a number"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_and_line(text: str, expected: str) -> None:
    with pytest.raises(SignatureFileError) as caught:
        parse_signature(text, "U1S1.TXT")
    assert str(caught.value).startswith(expected)


def test_a_zip_keeps_good_files_and_names_every_other_one() -> None:
    upload = zip_of(
        {
            "Task2/U1S1.TXT": signature_text(5),
            "Task2/U1S2.TXT": signature_text(6),
            "Task2/notes.docx": b"PK\x03\x04 not a signature",
            "Task2/U1S3.TXT": "3\r\n1 2 3\r\n",
            "Task2/U2S99.TXT": signature_text(5),
            "Task2/readme.txt": "about the data",
        }
    )
    dataset = read_zip(upload, "mine.zip")
    assert sorted(dataset.signatures) == [(1, 1), (1, 2)]
    assert dataset.get(1, 2).points.shape == (6, 7)
    problems = "\n".join(dataset.problems)
    assert len(dataset.problems) == 3
    assert "Task2/notes.docx: not a signature file" in problems
    assert "Task2/U1S3.TXT line 1: says 3 points but 1 rows follow" in problems
    assert "Task2/U2S99.TXT: user must be 1 or more and sample 1..40" in problems


def test_a_zip_that_is_not_a_zip_or_empty_says_so() -> None:
    assert "not a readable zip file" in read_zip(b"hello", "x.zip").problems[0]
    assert "no signature file" in read_zip(zip_of({"a.csv": "1,2"}), "x.zip").problems[-1]


def test_labels_follow_the_file_numbering() -> None:
    assert [protocol.label_of(3, 3, s) for s in (1, 20, 21, 40)] == ["genuine", "genuine", "skilled", "skilled"]
    assert protocol.label_of(3, 7, 15) == "random"
    with pytest.raises(ValueError, match="another user's skilled forgery"):
        protocol.label_of(3, 7, 25)


@pytest.mark.parametrize("mode", protocol.MODES)
def test_trials_have_the_counts_and_labels_of_the_protocol(mode: str) -> None:
    dataset = synthetic(users=4)
    trial_list = protocol.trials(dataset, [1, 2, 3, 4], mode)
    references = 10 if mode == "1vs1" else 1
    counts = Counter(trial.label for trial in trial_list)
    assert counts == {"genuine": 4 * 10 * references, "skilled": 4 * 20 * references, "random": 4 * 30 * references}
    for trial in trial_list:
        assert all(r in protocol.REFERENCES for r in trial.references)
        assert len(trial.references) == (1 if mode == "1vs1" else 4)
        if trial.label == "genuine":  # the claimed user's own signature, never a reference
            assert trial.probe_user == trial.claimed_user and trial.probe_sample in protocol.GENUINE_PROBES
        elif trial.label == "skilled":  # a forgery OF the claimed user's signature
            assert trial.probe_user == trial.claimed_user and trial.probe_sample >= 21
        else:  # another test user's genuine probe
            assert trial.probe_user != trial.claimed_user and trial.probe_sample in protocol.GENUINE_PROBES
        assert trial.genuine == (trial.label == "genuine")


def test_4vs1_uses_the_first_four_references() -> None:
    trial_list = protocol.trials(synthetic(users=2), [1, 2], "4vs1")
    assert {trial.references for trial in trial_list} == {(1, 2, 3, 4)}


def test_random_forgeries_come_only_from_the_given_test_users() -> None:
    trial_list = protocol.trials(synthetic(users=6), [2, 5], "1vs1")
    assert {trial.probe_user for trial in trial_list} == {2, 5}
    assert {trial.claimed_user for trial in trial_list} == {2, 5}


def test_folds_put_no_user_in_two_parts_and_test_every_user_once() -> None:
    users = list(range(1, 41))
    folds = protocol.make_folds(users, folds=5, seed=3)
    tested = Counter(user for fold in folds for user in fold.test)
    assert tested == Counter(users)
    for fold in folds:
        parts = [set(fold.train), set(fold.validation), set(fold.test)]
        assert not parts[0] & parts[1] and not parts[0] & parts[2] and not parts[1] & parts[2]
        assert parts[0] | parts[1] | parts[2] == set(users)
        assert len(fold.test) == 8 and len(fold.validation) == 8
    assert protocol.make_folds(users, 5, seed=3) == folds
    assert protocol.make_folds(users, 5, seed=4) != folds


def test_a_user_with_too_few_genuine_signatures_is_left_out_with_a_reason() -> None:
    dataset = synthetic(users=2)
    for sample in range(4, 21):
        del dataset.signatures[(2, sample)]
    kept, problems = protocol.usable_users(dataset)
    assert kept == [1]
    assert problems and problems[0].startswith("user 2: 3 genuine signature(s)")


@pytest.mark.skipif(REAL is None, reason="SVC2004 Task 2 is not in ../shared/data/signatures/svc2004")
def test_the_real_files_read_with_their_labels() -> None:
    """All 1,600 files are there; user 1's forty read cleanly (a few users only: two shared cores)."""
    assert len(list(REAL.rglob("U*S*.TXT"))) == 1600
    signatures = [data.read_file(path) for path in REAL.rglob("U1S*.TXT")]
    assert sorted(s.sample for s in signatures) == list(range(1, 41))
    assert [s.genuine for s in sorted(signatures, key=lambda s: s.sample)] == [True] * 20 + [False] * 20
    assert all(s.user == 1 and s.points.shape[1] == 7 and 80 <= len(s.points) <= 713 for s in signatures)
