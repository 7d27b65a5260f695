"""Shared by the reproduction-script tests: run a generated script as a reader would, read its losses back."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_script(path: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """`python path` in the script's folder, with only the repository on the path; asserts it exits 0."""
    done = subprocess.run(
        [sys.executable, str(path)],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"PYTHONPATH": str(ROOT), "PATH": "", "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def printed_losses(output: str, prefix: str = "") -> list[float]:
    """The `<prefix>step N loss X` lines of a script's output, as numbers."""
    pattern = rf"^{re.escape(prefix)}step \d+ loss (\S+)$"
    return [float(value) for value in re.findall(pattern, output, flags=re.MULTILINE)]


class PageJob:
    """What a page's job target reads of a `rnnviz.training.jobs.Job`: extras, the stop flag, the step callback."""

    def __init__(self) -> None:
        self.extras: dict[str, object] = {}
        self.stop_event = threading.Event()
        self.losses: list[float] = []

    def on_step_end(self, info) -> None:
        """Record the loss of each step, as the job's history does."""
        self.losses.append(info.loss)
