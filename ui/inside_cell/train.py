"""Inside the cell: train a character model live on the page (progress, Stop, loss curve), then look inside it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from rnnviz.charlm.reproduce import MAX_TEXT_CHARS, page_corpus, page_settings, reproduction_script
from rnnviz.charlm.train import LMSettings, TrainedLM, save_charlm, train_charlm
from rnnviz.core.kinds import MENU_ORDER
from rnnviz.plots.base import loss_curve
from rnnviz.training.jobs import Job
from rnnviz.training.loop import TrainResult
from ui import charts, sidebar, training
from ui.inside_cell import data
from ui.inside_cell.panels import CONFIG, PENDING_MODEL, PENDING_TEXT
from ui.links import BIND
from ui.markdown import escape

JOB_KEY = "inside-cell"
MAX_UPLOAD_CHARS = MAX_TEXT_CHARS
CUT_NOTE = "ic_upload_cut"  # the note saying how much of a long uploaded text this session's run reads
KINDS = tuple(kind for kind in MENU_ORDER if kind != "rnn-relu")  # the char models the page trains


def _settings_form() -> tuple[str, object, LMSettings] | None:
    """Corpus and model settings; None until the person presses Train."""
    with st.form("ic_train_form", border=False):
        corpus_kind = st.radio("Train on", ["bracket language", "my text file"], horizontal=True, key="ic_corpus",
                               bind=BIND)
        upload = st.file_uploader("Plain-text file (UTF-8, used when 'my text file' is chosen)", type=["txt"],
                                  key="ic_upload")
        left, middle, right = st.columns(3)
        kind = left.selectbox("Cell", KINDS, format_func=lambda k: data.KIND_NAMES[k], key="ic_train_kind",
                                bind=BIND)
        hidden = middle.select_slider("Units", [16, 32, 64, 128], value=64, key="ic_train_hidden", bind=BIND)
        steps = right.select_slider("Training steps", [100, 200, 400, 800, 1500, 3000], value=400,
                                    key="ic_train_steps", bind=BIND, help="About 20-40 steps a second on a laptop for 64 units.")
        pressed = st.form_submit_button("Train", icon=":material/play_arrow:", type="primary")
    if not pressed:
        return None
    return corpus_kind, upload, page_settings(kind, hidden, steps, sidebar.seed())


def cut_note(name: str, length: int) -> str:
    """What a training run on a text longer than MAX_UPLOAD_CHARS reads of it."""
    return (f"{escape(name)} has {length:,} characters: this run trains on its first {MAX_UPLOAD_CHARS:,} only "
            f"({100 * MAX_UPLOAD_CHARS / length:.0f} %; the last tenth of those is held out for validation). "
            "Cut the file yourself to choose which part.")


def _corpus(corpus_kind: str, upload: object):
    """The chosen corpus, or None with a message when the upload is missing or unusable."""
    if corpus_kind == "bracket language":
        return page_corpus(sidebar.seed())
    if upload is None:
        st.warning("Choose a text file first (or train on the bracket language).", icon=":material/upload_file:")
        return None
    raw = upload.getvalue()
    try:
        text = raw.decode("utf-8")
        corpus = page_corpus(sidebar.seed(), text, name=upload.name)
        if len(text) > MAX_UPLOAD_CHARS:
            st.session_state[CUT_NOTE] = cut_note(upload.name, len(text))
        return corpus
    except UnicodeDecodeError:
        st.error("That file is not UTF-8 text; save it as plain text (UTF-8) and try again.", icon=":material/error:")
    except ValueError as error:
        st.error(escape(str(error)).capitalize(), icon=":material/error:")
    return None


def _start(corpus, settings: LMSettings) -> None:
    """Queue a background training run."""
    def target(job: Job) -> TrainResult:
        trained = train_charlm(corpus, settings, callbacks=[job], stop=job.stop_event)
        job.extras["trained"] = trained
        return trained.result
    training.start_job(JOB_KEY, target, settings.train.steps, label=f"{settings.kind} on {corpus.name}")


def _live(job: Job) -> None:
    """The loss curve while training runs."""
    history = list(job.history)
    if history:
        figure = training.live_figure(job, "loss", lambda: loss_curve(
            [info.step for info in history], [info.metrics.get("bits_per_char", float("nan")) for info in history],
            y_title="bits per character"), len(history))  # rebuilt only when a step was added
        charts.show(figure, name="training curve", key="ic_train_curve", export=False, config=CONFIG, width="stretch")


def _register(job: Job) -> None:
    """Once a run has ended with a model: add it to the model list (once) and select it."""
    trained: TrainedLM | None = job.extras.get("trained")
    key = f"trained:{job.ticket}"
    if trained is None or key in st.session_state.get("inside_cell_trained", {}):
        return
    corpus = trained.corpus.name
    metadata = {"config": trained.model.config, "metrics": trained.metrics, "step": trained.result.steps_done,
                "history": [], "extra": {"corpus": corpus, "train_chars": len(trained.corpus.train),
                                         "command": "trained on the Inside the cell page"}}
    label = "Trained here: " + data.describe(trained.settings.kind, corpus, trained.model.config, trained.metrics)
    sample = data.sample_for(corpus) if corpus == "brackets" else trained.corpus.validation[:400]
    data.add_session_model(data.ModelChoice(key, label, trained.settings.kind, corpus, metadata,
                                            model=trained.model, vocab=trained.vocab, sample=sample))
    st.session_state[PENDING_MODEL] = key  # applied before the model selector is drawn again
    if corpus != "brackets":
        st.session_state[PENDING_TEXT] = sample
    st.rerun()


def _checkpoint_bytes(job: Job, trained: TrainedLM) -> bytes:
    """The trained model as .safetensors bytes, made once per run."""
    payload = job.extras.get("checkpoint_bytes")
    if payload is None:
        with tempfile.TemporaryDirectory() as folder:
            path = save_charlm(Path(folder) / "model.safetensors", trained, command="trained on the Inside the cell page")
            payload = job.extras["checkpoint_bytes"] = path.read_bytes()
    return payload


def _download(job: Job) -> None:
    """Offer the trained model as a checkpoint file and the script that trains it again."""
    trained: TrainedLM | None = job.extras.get("trained")
    if trained is None:
        return
    settings = trained.settings
    name = f"charlm-{settings.kind}-{settings.hidden_size}-seed{settings.train.seed}"
    st.markdown("**Keep this run**: the weights, and a plain PyTorch script with these settings and seed that "
                "trains the same model again from scratch (the same losses on a CPU).")
    charts.run_downloads(name=name, script=reproduction_script(settings, trained.corpus.name, file_name=f"{name}.py"),
                         checkpoint=_checkpoint_bytes(job, trained), key="ic_run")
    st.caption(f"Put the .safetensors file in the checkpoint folder ({escape(str(data.checkpoint_dir()))}) "
               "to find it here next time.")


def train_panel() -> None:
    """Settings, Train, then live progress with Stop and a loss curve; the result joins the model list."""
    st.markdown("Train a small character model here and look inside it as soon as it is done. It trains in "
                "the background; you can keep exploring, and **Stop** keeps what it has learnt so far.")
    chosen = _settings_form()
    if chosen is not None:
        st.session_state.pop(CUT_NOTE, None)
        corpus = _corpus(chosen[0], chosen[1])
        if corpus is not None:
            _start(corpus, chosen[2])
    if CUT_NOTE in st.session_state:
        st.info(st.session_state[CUT_NOTE], icon=":material/content_cut:")
    job = training.live_training(JOB_KEY, _live)
    if (job is not None and not job.active and job.status in ("finished", "stopped")
            and job.extras.get("trained") is not None):
        metrics = job.extras["trained"].metrics
        st.caption(f"Validation: {metrics['validation_bpc']:.3f} bits per character.")
        _download(job)
        _register(job)
