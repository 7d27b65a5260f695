"""The evaluation protocol: user folds (no user in two parts) and the labelled comparisons of test users.

For each test user (the *claimed* identity): references S1–S10, genuine probes S11–S20, skilled
forgeries S21–S40, random forgeries = the genuine probes S11–S20 of the other test users of the same fold.
1vs1 compares a probe with one reference (every reference in turn); 4vs1 averages the probe's
comparisons with the first four references (S1–S4), as the paper enrols four signatures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from rnnviz.signatures.data import GENUINE_SAMPLES, SKILLED_SAMPLES, Dataset

REFERENCES: tuple[int, ...] = tuple(range(1, 11))  # S1–S10
GENUINE_PROBES: tuple[int, ...] = tuple(range(11, 21))  # S11–S20
SKILLED_PROBES: tuple[int, ...] = tuple(SKILLED_SAMPLES)  # S21–S40
ENROLMENT = 4  # 4vs1: the mean over S1–S4
LABELS: tuple[str, ...] = ("genuine", "skilled", "random")
MODES: tuple[str, ...] = ("1vs1", "4vs1")
MIN_GENUINE = 5  # fewer genuine signatures leave no probe beside four references


@dataclass(frozen=True)
class Fold:
    """One rotation of the users: trained on `train`, the best step chosen on `validation`, tested on `test`."""

    index: int
    train: tuple[int, ...]
    validation: tuple[int, ...]
    test: tuple[int, ...]


@dataclass(frozen=True)
class Trial:
    """One verification attempt: does the probe (probe_user, probe_sample) belong to claimed_user?"""

    claimed_user: int
    references: tuple[int, ...]  # sample numbers of claimed_user's references used
    probe_user: int
    probe_sample: int
    label: str  # "genuine", "skilled" or "random"

    @property
    def genuine(self) -> bool:
        """True when the probe is the claimed user's own signature."""
        return self.label == "genuine"


def label_of(claimed_user: int, probe_user: int, probe_sample: int) -> str:
    """What a probe is for a claimed user, from the file numbering alone; ValueError for no valid pair."""
    if probe_user == claimed_user:
        if probe_sample in GENUINE_SAMPLES:
            return "genuine"
        if probe_sample in SKILLED_SAMPLES:
            return "skilled"
    elif probe_sample in GENUINE_SAMPLES:
        return "random"
    raise ValueError(
        f"U{probe_user}S{probe_sample} is no probe for user {claimed_user}: another user's "
        "skilled forgery is neither genuine nor a random forgery"
    )


def make_folds(users: Sequence[int], folds: int = 5, seed: int = 0) -> list[Fold]:
    """`folds` rotations of the shuffled users: fold k tests chunk k, validates on chunk k+1, trains on the rest."""
    users = [int(user) for user in users]
    if len(set(users)) != len(users):
        raise ValueError("each user must appear once")
    if folds < 3 or folds > len(users):
        raise ValueError(f"folds must be between 3 and the number of users ({len(users)}), got {folds}")
    order = np.random.default_rng(seed).permutation(len(users))
    chunks = [tuple(sorted(users[i] for i in part)) for part in np.array_split(order, folds)]
    result = []
    for index in range(folds):
        test, validation = chunks[index], chunks[(index + 1) % folds]
        train = tuple(sorted(u for k, chunk in enumerate(chunks) if k not in (index, (index + 1) % folds) for u in chunk))
        result.append(Fold(index, train, validation, test))
    return result


def usable_users(dataset: Dataset, users: Iterable[int] | None = None) -> tuple[list[int], list[str]]:
    """The users with at least ENROLMENT references and one genuine probe; a sentence for each one left out."""
    kept, problems = [], []
    for user in dataset.users if users is None else users:
        samples = set(dataset.samples(user))
        references = samples & set(REFERENCES)
        genuine = samples & set(GENUINE_SAMPLES)
        if len(genuine) < MIN_GENUINE or len(references) < ENROLMENT or not samples & set(GENUINE_PROBES):
            problems.append(
                f"user {user}: {len(genuine)} genuine signature(s) ({len(references)} of S1–S10, "
                f"{len(samples & set(GENUINE_PROBES))} of S11–S20); needs {ENROLMENT} references "
                "and a probe, left out"
            )
        else:
            kept.append(user)
    return kept, problems


def trials(dataset: Dataset, test_users: Sequence[int], mode: str = "1vs1") -> list[Trial]:
    """Every labelled trial of the test users: genuine, skilled and random probes against their references."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    present = set(dataset.signatures)
    result = []
    for claimed in test_users:
        references = [s for s in REFERENCES if (claimed, s) in present]
        reference_sets = [tuple(references[:ENROLMENT])] if mode == "4vs1" else [(r,) for r in references]
        probes = [(claimed, s) for s in GENUINE_PROBES + SKILLED_PROBES if (claimed, s) in present]
        probes += [(other, s) for other in test_users if other != claimed for s in GENUINE_PROBES if (other, s) in present]
        for refs in reference_sets:
            result += [Trial(claimed, refs, user, sample, label_of(claimed, user, sample)) for user, sample in probes]
    return result


def comparisons(trial_list: Iterable[Trial]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The distinct (reference, probe) signature pairs the trials need, each once."""
    pairs = {((t.claimed_user, r), (t.probe_user, t.probe_sample)) for t in trial_list for r in t.references}
    return sorted(pairs)
