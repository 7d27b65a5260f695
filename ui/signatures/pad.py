"""Draw your own: a drawing pad (st.components.v2), four enrolment signatures, then probes verified by DTW and an RNN."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from rnnviz.plots.signatures import trajectory_figure
from rnnviz.signatures import features
from rnnviz.signatures.drawing import DrawingError, from_pointer_events
from rnnviz.signatures.dtw import dtw_scores, reference_spread
from rnnviz.signatures.evaluation import DTW_NORMALISED
from rnnviz.signatures.experiments import system_name
from rnnviz.signatures.protocol import ENROLMENT
from rnnviz.signatures.summary import system_entry
from ui.charts import show
from ui.markdown import escape
from ui.signatures import data, models, text

ENROLLED_KEY = "signatures:enrolled"
PROBES_KEY = "signatures:probes"
HTML = """
<div class="pad">
  <canvas width="900" height="300" aria-label="signature pad"></canvas>
  <div class="row"><button class="clear" type="button">Clear</button>
  <button class="use" type="button">Use this signature</button><span class="status"></span></div>
</div>
"""
CSS = """
.pad canvas { box-sizing: border-box; width: 100%; max-width: 900px; aspect-ratio: 3 / 1;
  border: 2px solid #444; border-radius: 6px;
  background: #fffef8; touch-action: none; cursor: crosshair; }
.pad .row { display: flex; gap: 12px; align-items: center; margin-top: 6px; font: 16px sans-serif; }
.pad button { font: 16px sans-serif; padding: 6px 14px; border-radius: 6px; border: 1px solid #888; background: #f4f4f4; }
"""
JS = """
export default function(component) {
  const { parentElement, setTriggerValue } = component;
  const canvas = parentElement.querySelector("canvas");
  const status = parentElement.querySelector(".status");
  const context = canvas.getContext("2d");
  let points = [], down = false, start = null, pointer = "mouse";
  const place = (event) => {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
  };
  const add = (event, pressed) => {
    const [x, y] = place(event);
    if (start === null) start = event.timeStamp;
    const pressure = event.pressure || (pressed ? 0.5 : 0);
    points.push([x, y, event.timeStamp - start, pressed ? 1 : 0, pressure]);
    return [x, y];
  };
  context.lineWidth = 3; context.lineCap = "round"; context.strokeStyle = "#1f3a93";
  canvas.onpointerdown = (event) => {
    down = true; pointer = event.pointerType || "mouse"; canvas.setPointerCapture(event.pointerId);
    const [x, y] = add(event, true); context.beginPath(); context.moveTo(x, y);
  };
  canvas.onpointermove = (event) => {
    if (!down) return;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const sample of (events.length ? events : [event])) { const [x, y] = add(sample, true); context.lineTo(x, y); }
    context.stroke();
  };
  canvas.onpointerup = (event) => { if (down) { add(event, false); down = false; } };
  const clear = () => {
    points = []; start = null; context.clearRect(0, 0, canvas.width, canvas.height); status.textContent = "";
  };
  parentElement.querySelector(".clear").onclick = clear;
  parentElement.querySelector(".use").onclick = () => {
    setTriggerValue("signature", { points: points, pointer: pointer });
    clear(); status.textContent = "sent";
  };
}
"""
_PAD = st.components.v2.component("rnnviz_signature_pad", html=HTML, css=CSS, js=JS)


def _heard() -> None:
    """The pad's trigger needs a callback to rerun the page; the value is read from the result."""


def pad_section(columns: tuple[int, ...]) -> None:
    """Enrol four drawn signatures, then verify each further drawing against them."""
    st.subheader("Draw your own")
    st.caption(text.PAD)
    enrolled: list[np.ndarray] = st.session_state.setdefault(ENROLLED_KEY, [])
    probes: list[dict] = st.session_state.setdefault(PROBES_KEY, [])
    result = _PAD(key="signatures:pad", on_signature_change=_heard, height=380)
    payload = getattr(result, "signature", None)
    if payload is not None:
        try:
            points, pointer = from_pointer_events(payload)
        except DrawingError as error:
            st.warning(escape(str(error)), icon=":material/gesture:")
        else:
            if len(enrolled) < ENROLMENT:
                enrolled.append(points)
            else:
                probes.append(_verify(enrolled, points, pointer, columns))
    if st.button("Start again", icon=":material/restart_alt:", key="signatures:pad_reset"):
        enrolled.clear()
        probes.clear()
    _show(enrolled, probes)


def _verify(enrolled: list[np.ndarray], points: np.ndarray, pointer: str, columns: tuple[int, ...]) -> dict:
    """DTW (user-normalised 4vs1) and, when shipped, the BLSTM's 4vs1 score of a drawn probe."""
    used = features.without_pressure(columns) if pointer == "mouse" else columns
    references = [features.time_functions(p, used) for p in enrolled]
    probe = features.time_functions(points, used)
    score = float(dtw_scores(references, [probe]).mean()) / reference_spread(references)
    entry = system_entry(data.summary(used) or {"systems": []}, DTW_NORMALISED, "4vs1")
    verdict = {"points": points, "dtw": score, "dtw_threshold": entry["skilled"]["threshold"] if entry else None,
               "pointer": pointer, "functions": len(used)}  # fmt: skip
    shipped, _problems = models.models()
    if "BLSTM" in shipped:
        model = shipped["BLSTM"].model
        model_columns = tuple(shipped["BLSTM"].extra.get("time_functions", features.ALL))
        prepared = [model.inputs(features.time_functions(p, model_columns)) for p in enrolled]
        first = torch.stack(prepared)  # (4, L, F)
        probe_rnn = model.inputs(features.time_functions(points, model_columns))
        second = probe_rnn.expand(len(enrolled), -1, -1)  # (4, L, F)
        with torch.no_grad():
            verdict["rnn"] = float(model(first, second).mean())
        rnn_entry = system_entry(models.siamese_summary() or {"systems": []}, system_name("BLSTM", "skilled + random"), "4vs1")
        verdict["rnn_threshold"] = rnn_entry["skilled"]["threshold"] if rnn_entry else None
    return verdict


def _show(enrolled: list[np.ndarray], probes: list[dict]) -> None:
    """How far enrolment is, each probe's scores and decision, and the drawings over the references."""
    if len(enrolled) < ENROLMENT:
        st.info(f"Enrolled {len(enrolled)} of {ENROLMENT} signatures: sign {ENROLMENT - len(enrolled)} more time(s).")
        return
    st.success(f"Enrolled {ENROLMENT} signatures. Now sign a fifth time, then ask a neighbour to forge it.")
    for number, probe in enumerate(probes, start=1):
        st.markdown(_verdict_text(number, probe))
    overlay = {f"reference {i + 1}": _centred(points) for i, points in enumerate(enrolled)}
    shown = _centred(probes[-1]["points"]) if probes else _centred(enrolled[-1])
    title = f"drawing {len(probes)} over the references" if probes else "the last reference over the others"
    show(trajectory_figure(shown, overlay=overlay, title=title + " (each centred; pixels, y up)"), name="your drawing",
         key="signatures:pad_figure")  # fmt: skip


def _verdict_text(number: int, probe: dict) -> str:
    """One line per verified drawing."""
    parts = [f"**Drawing {number}** ({escape(probe['pointer'])}, {probe['functions']} time functions): DTW score "
             f"{probe['dtw']:.3f}"]  # fmt: skip
    if probe["dtw_threshold"] is not None:
        parts.append(f"{'≥' if probe['dtw'] >= probe['dtw_threshold'] else '<'} threshold {probe['dtw_threshold']:.3f}: "
                     f"**{'accept' if probe['dtw'] >= probe['dtw_threshold'] else 'reject'}**")  # fmt: skip
    if probe.get("rnn") is not None and probe.get("rnn_threshold") is not None:
        accepted = probe["rnn"] >= probe["rnn_threshold"]
        parts.append(f"BLSTM {probe['rnn']:.2f} vs {probe['rnn_threshold']:.2f}: **{'accept' if accepted else 'reject'}**")
    return "; ".join(parts) + "."


def _centred(points: np.ndarray) -> np.ndarray:
    """x and y shifted to mean 0, for overlaying drawings."""
    shifted = np.array(points, dtype=np.float64)
    shifted[:, :2] -= shifted[:, :2].mean(axis=0)
    return shifted
