"""The Signature page's Siamese RNN sections: Tables 2-3 and the two-stage system, Figure 6, and live training."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from rnnviz.plots.signatures import training_curves_figure
from rnnviz.signatures import protocol
from rnnviz.signatures.data import Dataset
from rnnviz.signatures.evaluation import DTW_NORMALISED, eer_table
from rnnviz.signatures.experiments import system_eers, system_name
from rnnviz.signatures.learning import DEFAULT_TRAINING
from rnnviz.signatures.pairs import SCENARIOS
from rnnviz.signatures.paper import SYSTEM_ORDER, paper_rnn
from rnnviz.signatures.reproduce import SiameseRun, checkpoint_bytes, script
from rnnviz.signatures.scoring import FUSED, TWO_STAGE
from rnnviz.signatures.summary import system_entry
from ui.charts import run_downloads, show
from ui.links import BIND
from ui.markdown import escape
from ui.signatures import models, text
from ui.training import live_figure, live_training, start_job

MODES = ("1vs1", "4vs1")


def _eer(summary: dict, system: str, mode: str, kind: str) -> float | None:
    """Our EER in % from a summary, or None."""
    entry = system_entry(summary, system, mode)
    value = entry[kind]["eer"] if entry else None
    return None if value is None else 100 * value


def _cell(ours: float | None, paper: float | None) -> str:
    """ "12.50 :gray[(5.60)]": ours, the paper's in grey."""
    mine = "–" if ours is None else f"{ours:.2f}"
    return mine if paper is None else f"{mine} :gray[({paper:.2f})]"


def paper_table(summary: dict, mode: str) -> str:
    """Table 2 (1vs1) or 3 (4vs1) as Markdown: systems by training scenario and forgery kind."""
    header = ["EER (%)"] + [f"train “{s}”: {kind}" for s in SCENARIOS for kind in ("skilled", "random")]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for system in SYSTEM_ORDER:
        cells = [system]
        for scenario in SCENARIOS:
            for kind in ("skilled", "random"):
                ours = _eer(summary, system_name(system, scenario), mode, kind)
                cells.append(_cell(ours, paper_rnn(mode, system, scenario, kind)))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def two_stage_table(summary: dict) -> str:
    """Each stage alone and the two stages together (4vs1), skilled and random EERs."""
    rows = ["| 4vs1 EER (%) | skilled | random |", "|---|---|---|"]
    dtw = [_eer(summary, DTW_NORMALISED, "4vs1", kind) for kind in ("skilled", "random")]
    rows.append(f"| DTW, user-normalised (stage 1 alone) | {_cell(dtw[0], None)} | {_cell(dtw[1], None)} |")
    for system in SYSTEM_ORDER:
        for name in (system_name(system, "skilled + random"), TWO_STAGE.format(system=system), FUSED.format(system=system)):
            values = [_eer(summary, name, "4vs1", kind) for kind in ("skilled", "random")]
            if any(v is not None for v in values):
                rows.append(f"| {name} | {_cell(values[0], None)} | {_cell(values[1], None)} |")
    return "\n".join(rows)


def results_section(summary: dict | None) -> None:
    """Tables 2-3 (ours beside the paper's), the two-stage system, and the training curves (Figure 6)."""
    st.subheader("Siamese RNNs (Tables 2 and 3)")
    st.markdown(text.SIAMESE_METHOD)
    if summary is None:
        st.info("No Siamese results are committed yet (ui/signatures/siamese_svc2004.json): train one below, or run "
                "`python -m rnnviz.signatures paper --out scores.csv --summary ui/signatures/siamese_svc2004.json`.")  # fmt: skip
        return
    about = summary.get("about", {})
    st.caption(text.siamese_caption(about))
    for mode, number in zip(MODES, (2, 3)):
        st.markdown(f"**Table {number}, {mode}**: our EER on SVC2004, the paper's (BiosecurID) in grey brackets.")
        st.markdown(paper_table(summary, mode))
    st.markdown("#### The two-stage system (the lecture's slide)")
    st.caption(text.two_stage_caption(about))
    st.markdown(two_stage_table(summary))
    curves_section(about.get("curves", {}))


def curves_section(curves: dict) -> None:
    """Figure 6: training loss and validation EER of the runs of one scenario, the best step marked."""
    if not curves:
        return
    st.markdown("#### Training curves (Figure 6)")
    st.caption(text.CURVES)
    scenario = st.radio("Scenario", SCENARIOS, index=0, horizontal=True, key="signatures:curve_scenario", bind=BIND)
    suffix = f", trained {scenario}"
    chosen = {name.removesuffix(suffix): run for name, run in curves.items() if name.endswith(suffix)}
    if chosen:
        show(training_curves_figure(chosen), name=f"training curves {scenario}", key="signatures:curves")


def training_section(dataset: Dataset, columns: tuple[int, ...], seed: int, data_name: str | None = None) -> None:
    """Train one Siamese RNN live on a fold's training users; loss, validation EER, best step; test EERs after.

    `data_name` is what the run's script reads: None for SVC2004 on the server, else the zip's or folder's name.
    """
    st.subheader("Train a Siamese RNN yourself")
    st.caption(text.TRAIN)
    users, _problems = protocol.usable_users(dataset)
    if len(users) < 5:
        st.info(f"Training needs at least 5 users with 4 references and a genuine probe; these signatures have "
                f"{len(users)}.")  # fmt: skip
        return
    left, middle, right, last = st.columns(4)
    system = left.selectbox("System", SYSTEM_ORDER, index=2, key="signatures:train_system", bind=BIND)
    scenario = middle.selectbox("Training scenario", SCENARIOS, index=2, key="signatures:train_scenario", bind=BIND)
    fold_index = right.selectbox("Held-out fold", range(5), key="signatures:train_fold", bind=BIND)
    steps = last.slider("Steps", 50, 1000, 300, 50, key="signatures:train_steps", bind=BIND)
    fold = protocol.make_folds(users, 5, 0)[fold_index]
    st.caption(f"Training users {_users(fold.train)}; validation users (best step) {_users(fold.validation)}; "
               f"test users {_users(fold.test)}. No user is in two parts.")  # fmt: skip
    if st.button("Train", icon=":material/play_arrow:", key="signatures:train", type="primary"):
        config = DEFAULT_TRAINING.replace(steps=steps, seed=seed)
        run = SiameseRun(system, scenario, fold_index, columns, config, data_name)
        target = models.job_target(dataset, fold, run)
        start_job(models.JOB_KEY, target, steps, label=system_name(system, scenario))
    job = live_training(models.JOB_KEY, _render_live)
    if job is not None and not job.active and "trained" in job.extras:
        _render_finished(job)


def _users(users: tuple[int, ...]) -> str:
    """'1, 4, 9' for a caption."""
    return ", ".join(map(str, users))


def _curve_of(job) -> dict:
    """The job's live curve in the shape training_curves_figure takes."""
    history = list(job.history)
    return {job.extras.get("name", "run"): {"steps": [h.step for h in history], "loss": [h.loss for h in history],
            "validation": list(job.extras.get("validations", [])), "best_step": job.extras.get("best_step")}}  # fmt: skip


def _render_live(job) -> None:
    """The live loss and validation EER while training."""
    if job.history:
        figure = live_figure(job, "curve", lambda: training_curves_figure(_curve_of(job)))  # rebuilt when the job moved
        show(figure, name="live curve", key="signatures:live_curve", export=False)
    if job.extras.get("scoring"):
        st.caption("Training done: scoring the test users' trials …")


def _render_finished(job) -> None:
    """The run's curve with its best step, and its EERs on the fold's test users."""
    show(training_curves_figure(_curve_of(job)), name="training curve", key="signatures:finished_curve")
    scores = job.extras.get("scores")
    if not isinstance(scores, pd.DataFrame) or scores.empty:
        return
    table = eer_table(scores)
    best = job.extras.get("best_step")
    lines = [f"- {row.mode}: skilled **{row.skilled:.2f} %**, random **{row.random:.2f} %** EER" for row in table.itertuples()]
    st.markdown(f"Weights of step {best} (best on the validation users), on the test users:\n\n" + "\n".join(lines))
    st.caption(escape(job.extras.get("name", "")) + ": " + text.LIVE_NOTE)
    _downloads(job, scores)


def _downloads(job, scores: pd.DataFrame) -> None:
    """The finished run's script (from the settings it was started with) and its best step's weights."""
    run: SiameseRun = job.extras["run"]
    if "checkpoint_bytes" not in job.extras:
        eers = system_eers(scores, job.extras["name"])
        job.extras["checkpoint_bytes"] = checkpoint_bytes(job.extras["trained"], eers, run.columns)
    run_downloads(name=f"signature-{run.system.lower()}-fold{run.fold}", script=script(run),
                  checkpoint=job.extras["checkpoint_bytes"], key="signatures:run")  # fmt: skip


def rnn_verdict(dataset: Dataset, claimed: int, probe: tuple[int, int], dtw_score: float, summary: dict | None) -> None:
    """A shipped Siamese model's 4vs1 score and decision, alone and as the second of two stages after DTW."""
    shipped, problems = models.models()
    for problem in problems:
        st.warning(escape(problem), icon=":material/warning:")
    if not shipped:
        st.caption("No shipped Siamese model (checkpoints/signature-*.safetensors) on this server: DTW alone decides.")
        return
    names = list(shipped)
    system = st.radio("Siamese model (trained skilled + random)", names, index=names.index("BLSTM") if "BLSTM" in names
                      else 0, horizontal=True, key="signatures:verify_model", bind=BIND)  # fmt: skip
    checkpoint = shipped[system]
    try:
        score = models.rnn_4vs1(checkpoint, dataset, claimed, probe)
    except (ValueError, KeyError) as error:
        st.warning(escape(str(error)), icon=":material/warning:")
        return
    alone = system_entry(summary, system_name(system, "skilled + random"), "4vs1") if summary else None
    staged = system_entry(summary, TWO_STAGE.format(system=system), "4vs1") if summary else None
    cut = (summary or {}).get("about", {}).get("stage_one_threshold")
    first, second, third = st.columns(3)
    first.metric(f"{system} score (4vs1 logit)", f"{score:.2f}")
    if alone:
        threshold = alone["skilled"]["threshold"]
        second.metric(f"{system} alone", "accept" if score >= threshold else "reject", delta=f"threshold {threshold:.2f}",
                      delta_color="off")  # fmt: skip
    if staged and cut is not None:
        passed = dtw_score >= cut
        threshold = staged["skilled"]["threshold"]
        verdict = "accept" if passed and score >= threshold else "reject"
        third.metric("Two stages", verdict, delta=f"DTW {'passed' if passed else 'rejected'} (cut {cut:.3f})",
                     delta_color="off")  # fmt: skip
    held_out = checkpoint.extra.get("held_out_users", [])
    if claimed not in held_out:
        st.caption(f"User {claimed} was among this model's training or validation users, so its score is optimistic; "
                   f"it never saw users {', '.join(map(str, held_out))}.")  # fmt: skip
