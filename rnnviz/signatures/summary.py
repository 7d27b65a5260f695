"""A small summary of an evaluation's scores (EERs, DET points, score histograms) that a page opens at once.

The full DTW evaluation takes about a minute on two cores, too long for a page; the command line writes
this summary (a few kB of JSON, no signature data in it) and the page reads it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from rnnviz.signatures.evaluation import SCORE_COLUMNS
from rnnviz.signatures.metrics import det_curve, equal_error_rate, probit

FORMAT = "rnnviz-signature-summary-1"
KINDS = ("skilled", "random")
BINS = 40
DET_STEP = 0.02  # keep a DET point when it moves this far on either probit axis


def _thin_det(far: np.ndarray, frr: np.ndarray) -> tuple[list[float], list[float]]:
    """DET points thinned to those that move visibly on probit axes, the ends kept."""
    x, y = probit(far), probit(frr)
    kept, last = [0], (x[0], y[0])
    for index in range(1, len(far) - 1):
        if abs(x[index] - last[0]) >= DET_STEP or abs(y[index] - last[1]) >= DET_STEP:
            kept.append(index)
            last = (x[index], y[index])
    kept.append(len(far) - 1)
    return [round(float(far[i]), 6) for i in kept], [round(float(frr[i]), 6) for i in kept]


def per_user_eers(group: pd.DataFrame) -> dict:
    """Mean over claimed users of each user's own EER (a threshold per user, chosen after the fact), per kind."""
    result = {}
    for kind in KINDS:
        rates = []
        for _user, scores in group.groupby("claimed_user"):
            genuine = scores.loc[scores["label"] == "genuine", "score"].to_numpy()
            impostor = scores.loc[scores["label"] == kind, "score"].to_numpy()
            if len(genuine) and len(impostor):
                rates.append(equal_error_rate(genuine, impostor).rate)
        result[kind] = float(np.mean(rates)) if rates else None
    return result


def summarise_group(group: pd.DataFrame) -> dict:
    """EER, threshold, trial counts, DET points and histograms of one system and mode."""
    genuine = group.loc[group["label"] == "genuine", "score"].to_numpy()
    entry: dict = {"genuine_trials": len(genuine), "histogram": {}, "per_user": per_user_eers(group)}
    impostors = {kind: group.loc[group["label"] == kind, "score"].to_numpy() for kind in KINDS}
    everything = np.concatenate([genuine, *impostors.values()])
    edges = np.linspace(everything.min(), everything.max(), BINS + 1) if everything.size else np.zeros(BINS + 1)
    entry["histogram"]["edges"] = [float(e) for e in edges]
    entry["histogram"]["genuine"] = np.histogram(genuine, edges)[0].tolist()
    for kind, scores in impostors.items():
        entry["histogram"][kind] = np.histogram(scores, edges)[0].tolist()
        if len(genuine) and len(scores):
            eer = equal_error_rate(genuine, scores)
            far, frr = _thin_det(*det_curve(genuine, scores))
            entry[kind] = {"eer": eer.rate, "threshold": eer.threshold, "trials": len(scores), "far": far, "frr": frr}
        else:
            entry[kind] = {"eer": None, "threshold": None, "trials": len(scores), "far": [], "frr": []}
    return entry


def summarise(scores: pd.DataFrame, about: dict | None = None) -> dict:
    """The summary of every system and mode in a score table (SCORE_COLUMNS)."""
    missing = set(SCORE_COLUMNS) - set(scores.columns)
    if missing:
        raise ValueError(f"scores lack the column(s) {', '.join(sorted(missing))}")
    systems = [
        {"system": system, "mode": mode, **summarise_group(group)}
        for (system, mode), group in scores.groupby(["system", "mode"], sort=False)
    ]
    users = sorted(set(scores["claimed_user"]))
    return {"format": FORMAT, "users": len(users), "scores": len(scores), "about": about or {}, "systems": systems}


def save_summary(summary: dict, path: str | os.PathLike) -> None:
    """Write a summary as JSON."""
    Path(path).write_text(json.dumps(summary, indent=1) + "\n")


def load_summary(path: str | os.PathLike) -> dict:
    """A summary written by save_summary; ValueError saying what is wrong with any other file."""
    try:
        summary = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{Path(path).name}: not a readable summary ({error})") from None
    if not isinstance(summary, dict) or summary.get("format") != FORMAT or not isinstance(summary.get("systems"), list):
        raise ValueError(
            f"{Path(path).name}: not a {FORMAT} file; write one with "
            "`python -m rnnviz.signatures evaluate --out scores.csv --summary FILE`"
        )
    return summary


def system_entry(summary: dict, system: str, mode: str) -> dict | None:
    """One system and mode of a summary, or None."""
    return next((s for s in summary["systems"] if s["system"] == system and s["mode"] == mode), None)
