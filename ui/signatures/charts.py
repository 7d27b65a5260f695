"""The Signature page's DET curves of every system on one plot, and genuine/impostor score histograms."""

from __future__ import annotations

import streamlit as st

from rnnviz.plots.signatures import det_figure, score_histogram_figure
from rnnviz.signatures.evaluation import DTW, DTW_NORMALISED
from rnnviz.signatures.summary import system_entry
from ui.charts import show
from ui.links import BIND
from ui.signatures import text

KINDS = ("skilled", "random")
FOLD_DTW = "DTW, user-normalised (fold 0 users)"


def merged(dtw_summary: dict | None, siamese_summary: dict | None) -> list[dict]:
    """Every system entry: DTW on all users, then the Siamese runs (their DTW renamed: it covers one fold's users)."""
    systems = list(dtw_summary["systems"]) if dtw_summary else []
    for entry in siamese_summary["systems"] if siamese_summary else []:
        systems.append({**entry, "system": FOLD_DTW} if entry["system"] == DTW_NORMALISED else entry)
    return systems


def _defaults(options: dict[str, tuple[str, str, str]]) -> list[str]:
    """DTW (on the RNNs' test users when they are there), BLSTM and its two-stage system, 4vs1."""
    dtw = FOLD_DTW if any(key[0] == FOLD_DTW for key in options.values()) else DTW_NORMALISED
    wanted = [(dtw, "4vs1", "skilled"), ("BLSTM, trained skilled + random", "4vs1", "skilled"),
              ("two-stage (DTW, then BLSTM)", "4vs1", "skilled"), ("two-stage (DTW, then BLSTM)", "4vs1", "random"),
              (dtw, "4vs1", "random")]  # fmt: skip
    return [name for name, key in options.items() if key in wanted]


def det_section(systems: list[dict]) -> None:
    """DET curves of the chosen systems, modes and forgery kinds on probit axes (Figure 7)."""
    st.markdown("#### DET curves (Figure 7)")
    st.caption(text.DET)
    options = {f"{e['system']} {e['mode']}, {kind}": (e["system"], e["mode"], kind) for e in systems for kind in KINDS}
    chosen = st.multiselect("Curves", list(options), default=_defaults(options), key="signatures:det", bind=BIND)
    curves, eers = {}, {}
    for name in chosen:
        system, mode, kind = options[name]
        entry = system_entry({"systems": systems}, system, mode)
        if entry and entry[kind]["far"]:
            curves[name] = (entry[kind]["far"], entry[kind]["frr"])
            eers[name] = entry[kind]["eer"]
    if not curves:
        st.info("Choose at least one curve above.")
        return
    show(det_figure(curves, eers), name="DET curves", key="signatures:det_figure")


def histogram_section(systems: list[dict]) -> None:
    """Genuine and impostor score histograms of one system and mode, with the EER threshold."""
    st.markdown("#### Score histograms")
    st.caption(text.HISTOGRAM)
    names = list(dict.fromkeys(e["system"] for e in systems if not e["system"].startswith("two-stage")))
    if not names:
        return
    left, middle, right = st.columns(3)
    index = names.index(DTW_NORMALISED) if DTW_NORMALISED in names else 0
    system = left.selectbox("System", names, index=index, key="signatures:hist_system", bind=BIND)
    mode = middle.radio("Comparison", ("1vs1", "4vs1"), index=1, horizontal=True, key="signatures:hist_mode", bind=BIND)
    kind = right.radio("Threshold for", KINDS, horizontal=True, key="signatures:hist_kind", bind=BIND)
    entry = system_entry({"systems": systems}, system, mode)
    if entry is None:
        st.info("This system was not evaluated.")
        return
    histogram = entry["histogram"]
    counts = {name: histogram[name] for name in ("genuine", *KINDS)}
    dtw = system.startswith(DTW)
    x_title = "score: minus DTW cost per sample (higher = more alike)" if dtw else "score: the RNN's logit (higher = more alike)"
    figure = score_histogram_figure(histogram["edges"], counts, threshold=entry[kind]["threshold"], x_title=x_title)
    show(figure, name=f"score histogram {system} {mode}", key="signatures:histogram")
