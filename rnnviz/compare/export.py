"""A comparison's report as a zip: Markdown that links its figures as PNG files, and the raw runs as CSV.

The PNGs come from Altair charts rendered by vl-convert inside the process, so the export works offline
on a fresh machine (Plotly's image export would need Kaleido and a browser).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

from rnnviz.compare import homework, report
from rnnviz.compare.runner import RunRecord
from rnnviz.plots.compare import final_scores_chart, to_png, training_curves_chart

CSV_NAME, REPORT_NAME = "runs.csv", "report.md"


def _zip(files: dict[str, bytes | str]) -> bytes:
    """The files, by name, in one zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def scores_png(records: Sequence[RunRecord], metric: str, title: str) -> bytes:
    """The final score of every seed per configuration, as a PNG."""
    groups = report.group_runs(records)
    return to_png(final_scores_chart([g.label for g in groups], [g.scores for g in groups], y_title=metric, title=title))


def figures(records: Sequence[RunRecord], metric: str, loss_title: str = "training loss") -> dict[str, bytes]:
    """The report's figures by file name: the final scores, and the loss against steps and against seconds."""
    found = {"scores.png": scores_png(records, metric, "Final score per configuration")}
    for x, x_title in (("steps", "training step"), ("seconds", "seconds of training (s)")):
        curves = report.curves(records, x, "loss")
        if curves:
            chart = training_curves_chart(curves, x_title=x_title, y_title=loss_title, title=f"Loss against {x}")
            found[f"loss-{x}.png"] = to_png(chart)
    return found


def report_zip(
    title: str, setting: str, records: Sequence[RunRecord], metric: str, higher_is_better: bool, loss_title: str = "training loss"
) -> bytes:
    """report.md (table, sentences, figure links), its PNG figures, and runs.csv, zipped."""
    try:
        pictures, note = figures(records, metric, loss_title), ""
    except (ImportError, RuntimeError, ValueError) as error:  # no PNG engine, or nothing to draw: the text still goes
        pictures, note = {}, f"\nThe figures could not be drawn here ({type(error).__name__}: {error}).\n"
    markdown = report.markdown_report(title, setting, records, metric, higher_is_better, list(pictures))
    markdown += f"{note}\nThe raw runs: [{CSV_NAME}]({CSV_NAME}).\n"
    return _zip({REPORT_NAME: markdown, **pictures, CSV_NAME: report.runs_csv(records)})


def homework_zip(results: homework.HomeworkResults) -> bytes:
    """The homework's report with one PNG per question, and its runs as CSV, zipped."""
    markdown, pictures = homework.markdown(results), {}
    for number, (question, runs) in enumerate(homework.questions(results).items(), start=1):
        name = f"question-{number}.png"
        pictures[name] = scores_png(runs, homework.METRIC, question)
        markdown = markdown.replace(f"## {question}\n\n", f"## {question}\n\n![{question}]({name})\n\n", 1)
    markdown += f"\nThe raw runs: [{CSV_NAME}]({CSV_NAME}).\n"
    return _zip({REPORT_NAME: markdown, **pictures, CSV_NAME: report.runs_csv(results.records())})
