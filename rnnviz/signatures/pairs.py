"""Signature pairs for the Siamese RNNs: resampled time functions of a set of users, and labelled pair samplers.

A genuine pair is two different genuine signatures (S1–S20) of one user (label 1). A skilled pair is a genuine
signature of user u and a skilled forgery of u (S21–S40, label 0); a random pair is a genuine signature of u
and a genuine signature of another user of the same part (label 0). Which impostors a batch holds is the
training scenario: "skilled", "random" or "skilled + random" (half each). Labels come from the file
numbering alone, through `protocol.label_of`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from rnnviz.signatures import protocol
from rnnviz.signatures.data import GENUINE_SAMPLES, SKILLED_SAMPLES, Dataset
from rnnviz.signatures.features import ALL, time_functions
from rnnviz.signatures.siamese import LENGTH, model_input

SCENARIOS: tuple[str, ...] = ("skilled", "random", "skilled + random")


@dataclass(frozen=True)
class PairData:
    """Resampled, normalised time functions (S, L, F) of some users' signatures, and where each one is."""

    signatures: Tensor  # (S, L, F) float32
    index: dict[tuple[int, int], int]  # (user, sample) -> row of `signatures`
    columns: tuple[int, ...]

    def rows(self, keys: Sequence[tuple[int, int]]) -> Tensor:
        """Rows of the given (user, sample) keys as a LongTensor."""
        return torch.tensor([self.index[key] for key in keys], dtype=torch.long)


def prepare(
    dataset: Dataset, users: Sequence[int], columns: tuple[int, ...] = ALL, length: int = LENGTH, duration: bool = False
) -> PairData:
    """Time functions of every signature of `users`, resampled to `length` samples (plus log duration if asked)."""
    keys = sorted(key for key in dataset.signatures if key[0] in set(users))
    if not keys:
        raise ValueError("none of these users has a signature in the data set")
    arrays = [model_input(time_functions(dataset.signatures[key].points, columns), length, duration) for key in keys]
    return PairData(torch.from_numpy(np.stack(arrays)), {key: row for row, key in enumerate(keys)}, tuple(columns))


def _pick(options: Sequence, generator: torch.Generator) -> object:
    """One element of a non-empty sequence, drawn with the run's generator."""
    return options[int(torch.randint(len(options), (1,), generator=generator))]


def _genuine_pair(data: PairData, users: Sequence[int], generator: torch.Generator) -> tuple:
    """Two different genuine signatures of one user."""
    user = _pick(users, generator)
    samples = [s for s in GENUINE_SAMPLES if (user, s) in data.index]
    first = _pick(samples, generator)
    second = _pick([s for s in samples if s != first], generator)
    return (user, first), (user, second)


def _impostor_pair(data: PairData, users: Sequence[int], kind: str, generator: torch.Generator) -> tuple:
    """A genuine signature of a user and a skilled forgery of it, or another user's genuine signature."""
    user = _pick(users, generator)
    genuine = _pick([s for s in GENUINE_SAMPLES if (user, s) in data.index], generator)
    if kind == "skilled":
        forged = [s for s in SKILLED_SAMPLES if (user, s) in data.index]
        if forged:
            return (user, genuine), (user, _pick(forged, generator))
    other = _pick([u for u in users if u != user], generator)
    return (user, genuine), (other, _pick([s for s in GENUINE_SAMPLES if (other, s) in data.index], generator))


def pair_label(first: tuple[int, int], second: tuple[int, int]) -> float:
    """1.0 when both are genuine signatures of one user, 0.0 for a forgery of the first's writer or another writer."""
    return 1.0 if protocol.label_of(first[0], *second) == "genuine" else 0.0


def check_users(data: PairData, users: Sequence[int]) -> list[int]:
    """The users with at least two genuine signatures in `data`; ValueError when fewer than two remain."""
    kept = [u for u in users if sum((u, s) in data.index for s in GENUINE_SAMPLES) >= 2]
    if len(kept) < 2:
        raise ValueError(f"{len(kept)} training user(s) with two genuine signatures; pairs need at least 2")
    return kept


def pair_sampler(
    data: PairData, users: Sequence[int], scenario: str, batch_size: int
) -> Callable[[torch.Generator], tuple[Tensor, Tensor, Tensor]]:
    """A batch sampler for `fit`: (first rows (B,), second rows (B,), labels (B,)), half genuine pairs."""
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be one of {', '.join(SCENARIOS)}, got {scenario!r}")
    users = check_users(data, users)

    def sample(generator: torch.Generator) -> tuple[Tensor, Tensor, Tensor]:
        pairs = []
        for index in range(batch_size):
            if index % 2 == 0:
                pairs.append(_genuine_pair(data, users, generator))
                continue
            kind = scenario if scenario != "skilled + random" else ("skilled", "random")[(index // 2) % 2]
            pairs.append(_impostor_pair(data, users, kind, generator))
        labels = torch.tensor([pair_label(first, second) for first, second in pairs])
        return data.rows([p[0] for p in pairs]), data.rows([p[1] for p in pairs]), labels

    return sample
