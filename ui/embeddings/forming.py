"""Watch it form: train a translator live (dates by default), then scrub through snapshots of its word map."""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnnviz.embeddings.projection import EmbeddingError
from rnnviz.embeddings.reproduce import checkpoint_bytes, downloadable_target, script, trained_translator
from rnnviz.embeddings.snapshots import (
    FormingRun,
    FormingSettings,
    aligned_layouts,
    displacement,
    group_spread,
    tutorial_data,
)
from rnnviz.io.data_directory import data_directory, resolve_data_path
from rnnviz.plots.base import loss_curve
from rnnviz.plots.embeddings import embedding_map, padded_ranges
from ui import sidebar, training
from ui.charts import run_downloads, show
from ui.links import BIND
from ui.markdown import escape

JOB_KEY = "embeddings_forming"
METHOD_LABELS = {
    "pca": "PCA, rotated onto the previous snapshot (instant)",
    "tsne": "t-SNE, each started from the previous snapshot (a few seconds)",
}
SIDE_LABELS = {"source": "Source words (what the encoder reads)", "target": "Target words (what the decoder writes)"}
AXIS_TITLES = {
    "pca": ("PCA x, rotated to follow the previous snapshot (arbitrary units)", "PCA y (arbitrary units)"),
    "tsne": ("t-SNE x (arbitrary units: only neighbourhoods matter)", "t-SNE y (arbitrary units)"),
}
FOLLOW_DEFAULTS = ("7", "pronouns")
DATA_LABELS = {"dates": "Dates as words (generated, no download)", "tutorial": "The tutorial's French → English pairs"}


def render_forming() -> None:
    """Train button, progress and Stop, then a scrubber over the snapshots of the word map."""
    st.markdown(
        "Train a small translator here and watch its word vectors organise. By default the task is the generated "
        "date task read as words (“fri , 15 / 02 / 2019” → “2019 02 15”), so every word has a meaning "
        "you can check: training should pull **nov**, **november**, **11** and **11th** together, "
        "because they all end up as “11”. The vectors start small and random; a snapshot of them is "
        "taken several times during training."
    )
    source = st.radio(
        "Data", list(DATA_LABELS), format_func=DATA_LABELS.get, horizontal=True, key="embeddings:forming:data", bind=BIND
    )
    pairs_file = _pairs_file_widgets() if source == "tutorial" else None
    settings = _settings_widgets()
    if st.button("Train", type="primary", icon=":material/play_arrow:", key="embeddings:forming:train"):
        _start(settings, source, pairs_file)
    job = training.live_training(JOB_KEY, _live_view)
    if job is None:
        st.info("Press **Train**: about 10 seconds on a laptop, then drag the slider through the snapshots.")
        return
    if job.active:
        return
    run = job.extras.get("run")
    if not isinstance(run, FormingRun) or len(run.snapshots) < 2:
        st.warning("The run ended before a second snapshot was taken: press Train again and let it run longer.")
        return
    _finished_view(job, run)
    _run_files(job)


def _run_files(job) -> None:
    """The finished run's script (the same training from scratch, same seed) and its trained translator."""
    settings, data = job.extras.get("forming", (None, None))
    if settings is None:
        return
    if "files" not in job.extras:  # once per run: the page redraws every time a knob moves
        pairs_file = (job.extras.get("pairs_file") or "eng-fra.txt") if data is not None else None
        translator = trained_translator(job)
        job.extras["files"] = (
            script(settings, pairs_file=pairs_file, file_name="watch-it-form.py"),
            None if translator is None else checkpoint_bytes(translator),
        )
    text, weights = job.extras["files"]
    st.markdown(
        "Keep this run: the script trains it again from scratch with rnnviz (settings and seed written in it), prints "
        "the same losses step by step and the snapshots' PCA maps; the weights are the trained translator: "
        "`rnnviz.seq2seq.translator.Translator.load(path)` gives the model and both vocabularies, and "
        "`.model.encoder.embedding.weight` the source word vectors of the last snapshot."
    )
    run_downloads(name="watch-it-form", script=text, checkpoint=weights, key="embeddings:forming:files")


def _pairs_file_widgets() -> object:
    """The tutorial's eng-fra.txt: a name in the server's data folder or an upload (None when neither is given)."""
    st.caption(
        "The PyTorch tutorial's French → English pairs with its filter (< 10 words, “i am / he is …”); "
        "Tatoeba, CC BY 2.0 FR. The map shows the 400 most frequent words and every word of the word lists."
    )
    left, right = st.columns(2)
    root = data_directory()
    typed = left.text_input(
        "File in the server's data folder",
        value="eng-fra.txt" if root else "",
        disabled=root is None,
        key="embeddings:forming:path",
        placeholder="off: upload instead" if root is None else "eng-fra.txt",
        bind=BIND,
    )
    upload = right.file_uploader("…or upload eng-fra.txt", type=["txt", "tsv"], key="embeddings:forming:upload")
    if upload is not None:
        return upload
    return typed.strip() or None


def _start(settings: FormingSettings, source: str, pairs_file: object) -> None:
    """Prepare the data (a clear message if it cannot be read) and queue the run."""
    data = None
    if source == "tutorial":
        if pairs_file is None:
            st.error("Upload eng-fra.txt (or name it in the server's data folder) first.", icon=":material/error:")
            return
        try:
            path = resolve_data_path(pairs_file) if isinstance(pairs_file, str) else pairs_file
            data = tutorial_data(path, seed=settings.seed)
        except (ValueError, OSError) as error:
            st.error(f"Cannot read the pairs: {escape(str(error))}", icon=":material/error:")
            return
    job = training.start_job(JOB_KEY, downloadable_target(settings, data), settings.steps, label="watch it form")
    job.extras["pairs_file"] = pairs_file if isinstance(pairs_file, str) else getattr(pairs_file, "name", None)


def _settings_widgets() -> FormingSettings:
    """Cell, steps and snapshot count; the rest are the laptop defaults."""
    columns = st.columns(3)
    cell = columns[0].selectbox("Cell", ["gru", "lstm", "rnn"], format_func=str.upper, key="embeddings:forming:cell", bind=BIND)
    steps = columns[1].select_slider(
        "Training steps",
        [200, 400, 600, 900, 1200],
        value=600,
        key="embeddings:forming:steps",
        help="Batches of 64 dates; 600 steps take about 10 s on one laptop core.",
        bind=BIND,
    )
    count = columns[2].slider(
        "Snapshots",
        4,
        12,
        9,
        key="embeddings:forming:snapshots",
        help="Taken at step 0 (untrained), then more often early, where the map changes most.",
        bind=BIND,
    )
    return FormingSettings(cell=cell, steps=steps, snapshots=count, seed=sidebar.seed())


def _live_view(job) -> None:
    """While training: the loss beside the latest snapshot's PCA map."""
    history = list(job.history)
    run = job.extras.get("run")
    snapshots = list(run.snapshots) if isinstance(run, FormingRun) else []
    left, right = st.columns(2)
    if history:
        left.markdown("**Training loss** (lower is better):")
        show(
            loss_curve([h.step for h in history], [h.loss for h in history], y_title="cross-entropy per target word"),
            name="live loss",
            key="embeddings:forming:live_loss",
            where=left,
            export=False,
        )
    if len(snapshots) >= 1:
        layouts = aligned_layouts([s.source for s in snapshots], "pca")
        right.markdown(
            f"**Source words at step {snapshots[-1].step}** ({len(snapshots)} snapshots so far; "
            "PCA, rotated onto the previous one):"
        )
        kinds = run.labels("source", "kind")
        figure = embedding_map(
            layouts[-1], run.words["source"], kinds, method="pca", height=420, colour_title="what the word names"
        )
        figure.update_xaxes(title_text=AXIS_TITLES["pca"][0])
        figure.update_yaxes(title_text=AXIS_TITLES["pca"][1])
        figure.update_layout(showlegend=False)
        show(figure, name="live map", key="embeddings:forming:live_map", where=right, export=False)


def _layouts(job, run: FormingRun, side: str, method: str) -> list[np.ndarray]:
    """The aligned layouts of one side, computed once per run and kept with the job."""
    cache: dict = job.extras.setdefault("layouts", {})
    key = (side, method)
    if key not in cache:
        snapshots = [snapshot.vectors(side) for snapshot in run.snapshots]
        if method == "tsne":
            bar = st.progress(0.0, text="t-SNE of each snapshot…")
            cache[key] = aligned_layouts(
                snapshots,
                method,
                seed=sidebar.seed(),
                progress=lambda done, total: bar.progress(done / total, text=f"t-SNE {done} of {total}"),
            )
            bar.empty()
        else:
            cache[key] = aligned_layouts(snapshots, method)
        cache[(side, method, "unaligned")] = (
            displacement(aligned_layouts(snapshots, "pca", align=False)) if method == "pca" else None
        )
    return cache[key]


def _finished_view(job, run: FormingRun) -> None:
    """Side, projection, the scrubber, the map at that snapshot, and the agreement curve."""
    if run.exact is not None and run.dates:
        st.markdown(f"After training the model translates **{run.exact:.0f} %** of 200 held-out dates exactly.")
    elif run.bleu is not None:
        st.markdown(f"After training: BLEU **{run.bleu:.1f}** on 200 held-out pairs (greedy decoding).")
    left, middle, right = st.columns([2, 2, 1])
    side = left.radio("Embedding", list(SIDE_LABELS), format_func=SIDE_LABELS.get, key="embeddings:forming:side", bind=BIND)
    method = middle.radio("Map", list(METHOD_LABELS), format_func=METHOD_LABELS.get, key="embeddings:forming:method", bind=BIND)
    words = run.words[side]
    meanings = run.labels(side, "meaning")
    options = sorted({m for m in meanings if m.isdigit()}, key=int) or sorted(set(meanings) - {"other"})
    default = next((options.index(name) for name in FOLLOW_DEFAULTS if name in options), 0)
    follow = right.selectbox(
        "Follow the words for",
        options,
        key="embeddings:forming:follow",
        index=default,
        help="Rings and names every word that stands for this number (dates) or is in this word list (sentences).",
        bind=BIND,
    )
    try:
        layouts = _layouts(job, run, side, method)
    except EmbeddingError as error:
        st.error(f"No map: {escape(str(error))}", icon=":material/error:")
        return
    steps = [snapshot.step for snapshot in run.snapshots]
    index = st.select_slider(
        "Snapshot",
        list(range(len(steps))),
        value=len(steps) - 1,
        key="embeddings:forming:snapshot",
        format_func=lambda i: f"step {steps[i]}" + (" (untrained)" if steps[i] == 0 else ""),
    )
    followed = [row for row, meaning in enumerate(meanings) if meaning == follow]
    _draw_map(layouts, index, steps, words, run.labels(side, "kind"), followed, follow, method)
    moved = displacement(layouts)
    unaligned = job.extras["layouts"].get((side, method, "unaligned"))
    note = f" (without the rotation: {100 * unaligned:.0f} %)" if unaligned is not None else ""
    st.caption(
        f"Between two snapshots a word moves on average {100 * moved:.0f} % of the map's size{note}. "
        "The axes are the same for every snapshot."
    )
    _agreement_view(run, side, steps)


def _draw_map(
    layouts: list[np.ndarray],
    index: int,
    steps: list[int],
    words: list[str],
    kinds: list[str],
    followed: list[int],
    follow: str,
    method: str,
) -> None:
    """The map at one snapshot, coloured by what each word names, the followed words ringed."""
    st.markdown(
        f"**The word map at step {steps[index]}.** One point per word, coloured by what it names; "
        "hover a point for its word. The ringed words all stand for what you follow: "
        "drag the slider and watch them gather."
    )
    figure = embedding_map(
        layouts[index],
        words,
        kinds,
        method=method,
        neighbours=followed,
        colour_title="what the word names",
        ranges=padded_ranges(*layouts),
        height=600,
    )
    figure.update_traces(
        selector={"name": "nearest"}, name=f"stands for {follow}", hovertemplate=f"%{{text}}<extra>stands for {follow}</extra>"
    )
    x_title, y_title = AXIS_TITLES[method]
    figure.update_xaxes(title_text=x_title)
    figure.update_yaxes(title_text=y_title)
    show(figure, name=f"word map at step {steps[index]}", key="embeddings:forming:map")
    if len(followed) >= 2:
        spread = [group_spread(layout, followed) for layout in layouts]
        names = ", ".join(escape(words[row]) for row in followed)
        st.caption(
            f"The ringed words ({names}) lie on average {100 * spread[index]:.0f} % of the map's size apart "
            f"at this step; {100 * spread[0]:.0f} % before training, {100 * spread[-1]:.0f} % at the end."
        )


def _agreement_view(run: FormingRun, side: str, steps: list[int]) -> None:
    """The share of neighbours with the same meaning at each snapshot, against chance."""
    try:
        agreements, chance = run.agreement(side)
    except EmbeddingError as error:
        st.caption(escape(str(error)))
        return
    if not run.dates:
        what, among = "are in the same word list", "of the word lists (numbers, pronouns, colours, …)"
    else:
        what = "stand for the same number" if side == "source" else "name the same kind of thing"
        among = ""
    st.markdown(
        f"**Do neighbours mean the same?** For each word {among}, the share of its 5 nearest such words (cosine, in "
        f"the full {run.snapshots[0].vectors(side).shape[1]}-dimensional space, not on the map) that "
        f"{what}, averaged over the words, at each snapshot. Chance (labels shuffled): "
        f"{100 * chance:.1f} %."
    )
    figure = loss_curve(steps, [100 * a for a in agreements], y_title="neighbours that agree (%)")
    figure.update_traces(mode="lines+markers")
    figure.add_hline(
        y=100 * chance, line_dash="dash", line_color="gray", annotation_text="chance", annotation_position="top right"
    )
    figure.update_yaxes(rangemode="tozero")
    show(figure, name="agreement over training", key="embeddings:forming:agreement")
