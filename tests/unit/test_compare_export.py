"""The report export: a zip whose Markdown links PNG figures that open, and whose CSV reads back."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from PIL import Image

from rnnviz.compare import export, homework
from rnnviz.compare.configs import Configuration
from rnnviz.compare.runner import RunRecord


def record(kind: str, seed: int, score: float) -> RunRecord:
    """A finished run with a falling loss."""
    steps = list(range(1, 41))
    return RunRecord(
        Configuration(kind),
        seed,
        1000 + seed,
        "finished",
        "finished 40 steps",
        steps,
        [0.01 * step for step in steps],
        [1.0 / step for step in steps],
        [0.5] * 40,
        score,
        0.1,
        0.4,
    )


def opened(archive: bytes) -> zipfile.ZipFile:
    """The zip, checked for corrupt members."""
    zipped = zipfile.ZipFile(io.BytesIO(archive))
    assert zipped.testzip() is None
    return zipped


def linked_pngs_open(zipped: zipfile.ZipFile) -> list[str]:
    """Every PNG report.md links is in the zip and decodes; their names."""
    links = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", zipped.read(export.REPORT_NAME).decode())
    assert links
    for name in links:
        image = Image.open(io.BytesIO(zipped.read(name)))
        image.load()
        assert image.format == "PNG" and min(image.size) >= 200
    return links


def test_the_report_zip_holds_markdown_pngs_and_csv():
    records = [record(kind, seed, score + seed / 10) for kind, score in (("gru", 0.8), ("lstm", 0.6)) for seed in range(3)]
    zipped = opened(export.report_zip("Compare cells", "A test.", records, "held-out accuracy", True))
    assert set(linked_pngs_open(zipped)) == {"scores.png", "loss-steps.png", "loss-seconds.png"}
    rows = list(csv.DictReader(io.StringIO(zipped.read(export.CSV_NAME).decode())))
    assert [(row["cell"], int(row["seed"])) for row in rows] == [(r.configuration.kind, r.seed) for r in records]
    assert [float(row["final_metric"]) for row in rows] == pytest.approx([r.final_metric for r in records])


def test_the_homework_zip_has_a_figure_per_question():
    results = homework.read_results()
    zipped = opened(export.homework_zip(results))
    assert linked_pngs_open(zipped) == [f"question-{number}.png" for number in (1, 2, 3)]
    rows = list(csv.DictReader(io.StringIO(zipped.read(export.CSV_NAME).decode())))
    assert len(rows) == len(results.runs)
