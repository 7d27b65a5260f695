"""What a tab watching a live run costs the server: % of a core per watching tab, and a preset's run time with 8 tabs.

One `streamlit run app.py` on loopback (bench/load.py's `start_server`), tabs of one headless Chromium on the
gradient lab, each its own session. A sampler reads the server's CPU time from /proc every 0.2 s, the whole
process and each of its threads; the thread that trains (threads=1: one thread per run) is the one that gained
the most CPU during the window, and is left out, so what remains is what serving the tabs cost.

- alone: one tab clicks the preset and watches it train: the server's CPU outside training, per second of the
  run, is what one tab watching a running run costs (the click's own rerun and the final redraw left out);
- K tabs: the first clicks the preset, then the K - 1 others click it too (one training slot: they queue behind
  it) and all watch; (CPU per second - alone's) / (K - 1) is what a tab watching a queued run costs;
- the first tab's run time (click to final view) with K tabs watching against alone: the ratio.

    python bench/watch.py                         # this checkout, preset 1 (1,000 steps), K = 8
    python bench/watch.py --baseline ../main      # main's first, the same way

Measured on the shared 2-core machine at load average 21-33 (main, then this checkout, one after the other):
one tab watching a running run 11.9 % -> 5.1 % of a core; 8 tabs (1 running + 7 queued) 11.0 % -> 5.6 % together,
so a queued tab about 0.1 %; preset 1's run with 8 tabs watching / alone 1.58 -> 1.14.
Then with each live figure serialized once and Plotly's validation out of plots.base.style, main -> this checkout,
two runs: one watching tab 5.0 -> 3.8 % (load 12-20) and 4.3 -> 5.2 % (load 6.5-10); 8 tabs 5.8 -> 5.3 % and
3.8 -> 5.8 % together: within the noise. Profiled, a tick with nothing new went from about 45 to 15 ms of the script
thread's CPU (under cProfile), but most of a watching tab's cost is the chart rebuilds, which CHART_CPU_SHARE caps at
3 % of a core by design: cheaper rebuilds let the charts refresh more often within that share, not cost less.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import MAIN, free_port, start_server  # noqa: E402
from bench.timing import cpu_line  # noqa: E402
from tests.e2e.browser import CHROMIUM_ARGS, chromium_path, goto, wait_until_idle  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
SETTLE = 1.5  # s after the last click before the window opens (its reruns are not watching)


def thread_seconds(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of each live thread of `pid`."""
    result = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the thread ended meanwhile
        result[int(task.name)] = (int(fields[11]) + int(fields[12])) / TICK
    return result


def process_seconds(pid: int) -> float:
    """CPU seconds of the whole process, ended threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Sampler(threading.Thread):
    """Samples (time, process CPU, CPU per thread) every 0.2 s until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.samples, self.done = pid, [], threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            try:
                self.samples.append((time.monotonic(), process_seconds(self.pid), thread_seconds(self.pid)))
            except OSError:
                return

    def window(self, start: float, end: float) -> tuple[float, float, float]:
        """(seconds, server CPU outside the training thread, its CPU) from `start` until that thread stops training."""
        inside = [sample for sample in self.samples if start <= sample[0] <= end]
        if len(inside) < 3:
            raise RuntimeError("the first run ended before every tab watched: use a longer --preset or fewer --tabs")
        first, seen = inside[0], {}
        for _, _, threads in inside:
            seen.update(threads)  # the last CPU time seen of every thread, ended ones included
        trainer = max(seen, key=lambda tid: seen[tid] - first[2].get(tid, 0.0))
        while len(inside) > 2 and inside[-1][2].get(trainer, -1.0) <= inside[-2][2].get(trainer, -1.0):
            inside.pop()  # the run ended before `end`: stop where its thread last gained CPU
        last = inside[-1]
        training = last[2].get(trainer, 0.0) - first[2].get(trainer, 0.0)
        return last[0] - first[0], last[1] - first[1] - training, training


@dataclass
class Phase:
    """What one phase measured."""

    run_seconds: float
    window_seconds: float
    serving_cpu: float
    training_cpu: float

    @property
    def rate(self) -> float:
        """Server CPU outside training, in cores."""
        return self.serving_cpu / self.window_seconds


def open_tabs(browser, base: str, count: int) -> list:
    """`count` fresh sessions on the gradient lab, each idle."""
    tabs = []
    for _ in range(count):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        tab = context.new_page()
        tab.set_default_timeout(60_000)
        goto(tab, base, "gradient-lab", timeout=120)
        tabs.append(tab)
    return tabs


def stop_button(tab):
    """The live panel's Stop (not the toolbar's)."""
    return tab.locator(MAIN).get_by_role("button", name="Stop")


def run_phase(browser, base: str, sampler: Sampler, tabs_count: int, preset: str, limit: float) -> Phase:
    """Open the tabs, click the preset in each (the first one first), measure while the first tab's run trains."""
    tabs = open_tabs(browser, base, tabs_count)
    button = re.compile(rf"^{re.escape(preset)} · ")
    try:
        clicked = time.monotonic()
        for index, tab in enumerate(tabs):
            tab.get_by_role("button", name=button).first.click()
            if index == 0:  # the first tab's run takes the training slot; the others then click at once
                stop_button(tab).wait_for(timeout=limit * 1000)
        for tab in tabs:
            stop_button(tab).wait_for(timeout=limit * 1000)  # its live panel is up (training or queued)
        opened = time.monotonic() + SETTLE
        stop_button(tabs[0]).wait_for(state="hidden", timeout=limit * 1000)
        finished = time.monotonic()
        wait_until_idle(tabs[0], timeout=limit)
        seconds, serving, training = sampler.window(opened, finished)  # ends with the run, before its redraw
        return Phase(finished - clicked, seconds, serving, training)
    finally:
        for tab in tabs:
            tab.context.close()


def measure(root: Path, label: str, arguments: argparse.Namespace) -> tuple[Phase, Phase]:
    """Start `root`'s app, then the alone phase and the K-tab phase; print their lines."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = start_server(port, root, arguments.option)
    base = f"http://127.0.0.1:{port}"
    sampler = Sampler(server.pid)
    sampler.start()
    print(f"{label}: {root}")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            try:
                open_tabs(browser, base, 1)[0].context.close()  # warm-up: imports, caches
                alone = run_phase(browser, base, sampler, 1, arguments.preset, arguments.seconds)
                print(f"  load average {os.getloadavg()[0]:.1f}")
                crowd = run_phase(browser, base, sampler, arguments.tabs, arguments.preset, arguments.seconds)
                print(f"  load average {os.getloadavg()[0]:.1f}")
            finally:
                browser.close()
    finally:
        sampler.done.set()
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    report(alone, crowd, arguments.tabs)
    return alone, crowd


def report(alone: Phase, crowd: Phase, tabs: int) -> None:
    """The per-tab costs and the run-time ratio."""
    queued = (crowd.rate - alone.rate) / max(1, tabs - 1)
    print(
        f"  alone:  run {alone.run_seconds:5.1f} s; server CPU outside training {100 * alone.rate:5.1f} % of a core "
        f"over {alone.window_seconds:.1f} s = one tab watching a running run; training {alone.training_cpu:.1f} s CPU"
    )
    print(
        f"  {tabs} tabs: run {crowd.run_seconds:5.1f} s; server CPU outside training {100 * crowd.rate:5.1f} % of a "
        f"core over {crowd.window_seconds:.1f} s; training {crowd.training_cpu:.1f} s CPU in the window"
    )
    print(f"  per tab watching a queued run: {100 * queued:5.1f} % of a core")
    print(f"  run time with {tabs} tabs watching / alone: {crowd.run_seconds / alone.run_seconds:.2f} (target <= 1.50)")
    print(
        f"  the training thread's share of a core: alone {100 * alone.training_cpu / alone.window_seconds:.1f} %, "
        f"with {tabs} tabs {100 * crowd.training_cpu / crowd.window_seconds:.1f} % (what the machine's load left it)"
    )


def main() -> None:
    """Optionally a baseline checkout, then this one."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--preset", default="1", help="the gradient-lab preset the tabs click (its number)")
    options.add_argument("--tabs", type=int, default=8, help="tabs watching at once in the second phase")
    options.add_argument("--seconds", type=float, default=300.0, help="time limit of one wait")
    options.add_argument("--baseline", type=Path, default=None, help="another checkout (e.g. ../main), measured first")
    options.add_argument("--option", action="append", default=[], metavar="NAME=VALUE", help="a Streamlit option")
    arguments = options.parse_args()
    if chromium_path() is None:
        sys.exit("Chromium is not installed (apt-get install chromium): the tabs are Chromium pages.")
    print(cpu_line())
    if arguments.baseline is not None:
        measure(arguments.baseline.resolve(), "baseline", arguments)
    measure(ROOT, "this checkout", arguments)
    print(cpu_line())


if __name__ == "__main__":
    main()
