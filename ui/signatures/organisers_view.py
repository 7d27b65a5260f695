"""The SVC2004 organisers' protocol on the Signature page: its EERs, pooled and per user and trial, beside SVC2004's best."""

from __future__ import annotations

import streamlit as st

from rnnviz.signatures.evaluation import DTW_COHORT, DTW_NORMALISED
from rnnviz.signatures.organisers import MODE, REFERENCES_PER_TRIAL, SVC2004_BEST_SKILLED, TRIALS
from rnnviz.signatures.summary import system_entry
from ui.signatures import text

ORGANISERS = f"SVC2004 organisers': {REFERENCES_PER_TRIAL} random references, {TRIALS} trials"


def table(summary: dict) -> str:
    """Skilled and random EER in % per system: one threshold for everyone, and a threshold per user and trial."""
    header = ("| EER (%) | skilled, one threshold | random, one threshold | skilled, a threshold per user and trial "
              "| random, a threshold per user and trial |")  # fmt: skip
    rows = [header, "|---|---|---|---|---|"]
    every = summary.get("about", {}).get("per_user_trial", {})
    for system in (DTW_NORMALISED, DTW_COHORT):
        entry = system_entry(summary, system, MODE)
        if entry is None:
            continue
        each = every.get(system, every if "skilled" in every else {})  # older summaries: one system, flat
        pooled = [entry[kind]["eer"] for kind in ("skilled", "random")]
        cells = ["–" if v is None else f"{100 * v:.2f}" for v in pooled]
        cells += ["–" if each.get(kind) is None else f"{each[kind]:.2f}" for kind in ("skilled", "random")]
        rows.append(f"| {system} | " + " | ".join(cells) + " |")
    rows.append(
        f"| :gray[SVC2004's best, 60 hidden users] | :gray[–] | :gray[–] | :gray[{SVC2004_BEST_SKILLED:.2f}] | :gray[–] |"
    )
    return "\n".join(rows)


def results(summary: dict | None) -> None:
    """The organisers' protocol: how it runs, its EERs, where the numbers come from."""
    st.markdown(text.ORGANISERS)
    if summary is None:
        st.warning(
            "No organisers' results for these time functions: write them with `python -m rnnviz.signatures "
            "organisers --out scores.csv --summary FILE`, or evaluate them here on the server's SVC2004."
        )
        return
    st.markdown(table(summary))
    numbers = summary.get("about", {}).get("time_functions")
    used = f"time functions {', '.join(map(str, numbers))} of Table 1; " if isinstance(numbers, list) else ""
    st.caption(
        f"SVC2004, {summary['users']} users × {TRIALS} trials, {used}{summary['scores']:,} scores. Grey: the best "
        "Task 2 team of the competition (Yeung et al. 2004), on the 60 users that were never published, so not "
        "our data. Recompute: `python -m rnnviz.signatures organisers --out scores.csv`."
    )
