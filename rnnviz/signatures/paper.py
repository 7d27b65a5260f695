"""The paper's numbers (Tolosana et al. 2018, Tables 2-4, BiosecurID, 400 users), EER in %, to show beside ours."""

from __future__ import annotations

from rnnviz.signatures.evaluation import PAPER_DTW

SCENARIO_ORDER = ("skilled", "random", "skilled + random")
SYSTEM_ORDER = ("LSTM", "GRU", "BLSTM", "BGRU")
_TABLES = {
    # mode: system: (skilled-trained skilled, random), (random-trained ...), (skilled + random-trained ...)
    "1vs1": {
        "LSTM": (6.44, 24.48, 13.31, 5.38, 7.94, 6.22),
        "GRU": (7.69, 29.42, 15.63, 6.92, 7.67, 5.98),
        "BLSTM": (5.60, 24.48, 15.31, 5.28, 6.83, 5.38),
        "BGRU": (6.31, 19.14, 12.56, 5.33, 7.88, 5.52),
    },
    "4vs1": {
        "LSTM": (5.58, 24.03, 15.17, 4.08, 6.17, 3.67),
        "GRU": (6.25, 28.69, 13.92, 4.25, 5.58, 3.63),
        "BLSTM": (4.75, 24.03, 15.58, 3.89, 5.50, 3.00),
        "BGRU": (4.92, 19.69, 12.33, 3.25, 5.92, 2.92),
    },
}


def paper_rnn(mode: str, system: str, scenario: str, kind: str) -> float | None:
    """The paper's EER (%) of a Siamese system trained in `scenario`, tested on `kind` forgeries; None if absent."""
    row = _TABLES.get(mode, {}).get(system)
    if row is None or scenario not in SCENARIO_ORDER or kind not in ("skilled", "random"):
        return None
    return row[2 * SCENARIO_ORDER.index(scenario) + (kind == "random")]


def paper_eer(mode: str, system: str, kind: str) -> float | None:
    """The paper's EER for one of our system names: "DTW ...", "BLSTM, trained skilled + random"; None otherwise."""
    if system.startswith("DTW"):
        return PAPER_DTW.get((mode, kind))
    name, _, scenario = system.partition(", trained ")
    return paper_rnn(mode, name, scenario, kind)
