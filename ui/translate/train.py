"""The Translate page's Train live tab: settings (kept in the link), progress, the finished run and its downloads."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import streamlit as st

from rnnviz import plots
from rnnviz.core import kinds
from rnnviz.io.data_directory import data_directory, resolve_data_path
from rnnviz.plots.attention import snapshot_heatmap
from rnnviz.seq2seq.attention import ATTENTION_KINDS, ATTENTION_LABELS
from rnnviz.seq2seq.reproduce import LiveRun, live_setup, reproduction_script, steps_per_epoch
from rnnviz.seq2seq.training import live_run
from rnnviz.seq2seq.translator import Translator
from ui import charts, sidebar, training
from ui.links import BIND
from ui.markdown import escape

DIRECTIONS = {"French → English": ("fra", "eng"), "English → French": ("eng", "fra"), "Human date → ISO date": ("date", "iso")}
EXAMPLES = {"fra": "je suis trop froid .", "eng": "i am very tired .", "date": "wednesday 25 nov 2026"}
TRAINED_KEY = "translate:trained"
JOB_KEY = "translate"
DATA_LABELS = {
    "dates": "Dates (generated: “wednesday 25 nov 2026” → “2026-11-25”)",
    "corpus": "A translation corpus (path or upload)",
}


def _start_training(run: LiveRun, upload) -> None:
    """Build the data and model, then queue the run."""
    corpus = upload if upload is not None else (resolve_data_path(run.corpus_file) if run.data == "corpus" else None)
    data, model, config = live_setup(run, corpus)
    sentence = EXAMPLES["date" if run.data == "dates" else run.source]
    per_epoch = steps_per_epoch(run, data)
    train = live_run(data, model, config, sentence, per_epoch)

    def target(job):
        job.extras.update({"run": run, "sentence": sentence})
        return train(job)

    training.start_job(JOB_KEY, target, config.train.steps, label=f"{run.data} {run.attention}")


def _live_charts(job) -> None:
    """Loss curve and the latest attention snapshot while training (redrawn every second: no exports)."""
    history = list(job.history)
    snapshots = list(job.extras.get("snapshots", []))
    columns = st.columns(2)
    if history:
        with columns[0]:
            st.markdown("**Training loss** (cross-entropy per target token; lower is better):")
            figure = training.live_figure(job, "loss", lambda: plots.loss_curve([h.step for h in history],
                                                                                [h.loss for h in history]), len(history))
            charts.show(
                figure,
                name="training loss",
                key="train:loss",
                export=False,
            )
    if snapshots:
        with columns[1]:
            st.markdown("**Attention on the fixed sentence**, after the latest epoch:")
            figure = training.live_figure(job, "snapshot", lambda: snapshot_heatmap(snapshots, len(snapshots) - 1,
                                                                                     height=420), len(snapshots))
            charts.show(
                figure,
                name="attention snapshot",
                key="train:snapshot",
                export=False,
            )


def _settings() -> tuple[LiveRun, object]:
    """The tab's widgets (all kept in the link but the upload) as one LiveRun, and the uploaded file if any."""
    source_kind = st.radio("Data", list(DATA_LABELS), horizontal=True, key="train:data", bind=BIND, format_func=DATA_LABELS.get)
    columns = st.columns(4)
    cell = columns[0].selectbox("Cell", ["gru", "lstm", "sru", "rnn"], format_func=kinds.label, key="train:cell", bind=BIND)
    attention = columns[1].selectbox(
        "Attention", list(ATTENTION_KINDS), index=1, key="train:attention", bind=BIND, format_func=ATTENTION_LABELS.get
    )
    hidden = columns[2].select_slider("Units", [32, 64, 128, 256], value=64, key="train:hidden", bind=BIND)
    epochs = columns[3].slider("Epochs", 1, 20, 6, key="train:epochs", bind=BIND)
    bidirectional = st.checkbox(
        "Bidirectional encoder (reads the sentence both ways: cleaner alignment)",
        value=True,
        key="train:bidirectional",
        bind=BIND,
    )
    run = LiveRun(
        data=source_kind,
        cell=cell,
        attention=attention,
        hidden=hidden,
        epochs=epochs,
        bidirectional=bidirectional,
        seed=sidebar.seed(),
    )
    if source_kind != "corpus":
        return run, None
    st.caption(
        "Tatoeba/Anki pairs, one 'English<TAB>other language' line each (e.g. eng-fra.txt from "
        "manythings.org/anki; Tatoeba, CC BY 2.0 FR)."
    )
    left, right = st.columns(2)
    root = data_directory()
    path_text = left.text_input(
        "File in the server's data folder",
        value="",
        key="train:path",
        disabled=root is None,
        bind=BIND,
        max_chars=200,
        placeholder="eng-fra.txt" if root else "off: upload instead",
        help=(
            f"A file inside {root.name}/ on the server."
            if root
            else "Off: the server's owner can allow one folder with RNNVIZ_DATA=/that/folder."
        ),
    )
    upload = right.file_uploader("…or upload a file", type=["txt", "tsv"], key="train:upload")
    direction = left.selectbox("Direction", list(DIRECTIONS)[:2], key="train:direction", bind=BIND)
    tutorial_filter = right.checkbox(
        "The tutorial's filter (< 10 words, 'i am / he is …')", value=True, key="train:filter", bind=BIND
    )
    source, target = DIRECTIONS[direction]
    name = Path(str(upload.name)).name if upload is not None else path_text.strip()
    return replace(run, source=source, target=target, tutorial_filter=tutorial_filter, corpus_file=name), upload


def train_tab() -> None:
    """Train live on dates (default) or a corpus; progress, Stop, loss, attention per epoch with a scrubber."""
    st.markdown(
        "Train an encoder–decoder here. The generated date task needs no download: in well under a minute "
        "the attention learns to line up digits with digits and month names with month numbers. A link "
        "to this view keeps these settings and the seed: press Train and the same curve comes back."
    )
    run, upload = _settings()
    if st.button("Train", type="primary", icon=":material/play_arrow:", key="train:start"):
        if run.data == "corpus" and upload is None and not run.corpus_file:
            st.error("Upload a pairs file (or name one in the server's data folder) first.")
        else:
            try:
                _start_training(run, upload)
            except ValueError as error:
                st.error(escape(str(error)), icon=":material/error:")
    job = training.live_training(JOB_KEY, _live_charts)
    if job is None or job.active:
        return
    _finished_run(job)


def _checkpoint_bytes(job) -> bytes | None:
    """The finished run's translator as .safetensors bytes (made once per run)."""
    if "model" not in job.extras:
        return None
    if "checkpoint_bytes" not in job.extras:
        translator = Translator.from_data(job.extras["model"], job.extras["data"])
        job.extras["checkpoint_bytes"] = translator.to_bytes(extra={"command": "trained on the Translate page's Train live tab"})
    return job.extras["checkpoint_bytes"]


def _downloads(job) -> None:
    """The script that redoes the run and its weights."""
    run = job.extras.get("run")
    if run is None:
        return
    st.markdown(
        "**Keep this run**: a plain PyTorch script with these settings and seed trains it again from "
        "scratch (same losses on a CPU), and the weights open again on the Translate tab."
    )
    name = f"translate-{run.data}-{run.attention}-seed{run.seed}"
    charts.run_downloads(
        name=name,
        script=reproduction_script(run, job.extras.get("sentence", ""), file_name=f"{name}.py"),
        checkpoint=_checkpoint_bytes(job),
        key="done:run",
    )


def _finished_run(job) -> None:
    """After a run: loss curve, the scrubber through epochs, downloads and 'use this model'."""
    history = list(job.history)
    snapshots = list(job.extras.get("snapshots", []))
    if history:
        st.markdown("**Training loss** (cross-entropy per target token):")
        charts.show(plots.loss_curve([h.step for h in history], [h.loss for h in history]), name="training loss", key="done:loss")
    if snapshots:
        st.markdown(
            "**How the attention formed.** Drag the slider through the epochs: each map is the same fixed "
            "sentence translated after that epoch."
        )
        epoch = st.slider("Epoch", 0, len(snapshots) - 1, len(snapshots) - 1, key="done:epoch") if len(snapshots) > 1 else 0
        charts.show(snapshot_heatmap(snapshots, epoch), name=f"attention after epoch {epoch}", key="done:snapshot")
    validations = job.extras.get("validations") or []
    if validations:
        st.caption(
            "Validation after each epoch: "
            + ", ".join(
                f"{v.exact:.0f} % exact" if job.extras["data"].tokens == "chars" else f"BLEU {v.bleu:.1f}" for v in validations
            )
        )
    _downloads(job)
    if "model" in job.extras and st.button("Use this model on the Translate tab", key="done:use"):
        model, data = job.extras["model"], job.extras["data"]
        st.session_state[TRAINED_KEY] = Translator.from_data(model, data)
        st.success("Done: pick “trained on this page” in the Translate tab's model list.")
