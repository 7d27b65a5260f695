"""What one typed input costs the server, per page: this checkout against a baseline checkout, in one run.

One headless-Chromium student types a new input (never typed before in the run, so no cache answers it) on
Translate, Inside the cell and Phrase scoring; for each interaction the server process's own CPU time
(user + system, /proc) is read before the keystroke and again once the page shows the answer and the server's
CPU has stopped moving (the rest of the run, e.g. the tabs after the answer, counts too), less its idle rate.
That is the interaction's server time, whatever else the machine runs. Printed per page: median and max server ms,
and the ratio to the model's own answer time (one greedy translation, measured in this process). With
`--baseline ../main` another checkout (e.g. before fragments and caches) runs alongside, and each page is measured
on it and then on this checkout, in turn, so that the shared machine's load moves little between the two.
Target (issue 14 item 1): at most 150 ms of server time per typed input on these three pages. With `--other`,
the same count for one change of each widget in INTERACTIONS on the other pages (target: at most 300 ms each).

    python bench/reruns.py --baseline /work/main [--rounds 6]
    python bench/reruns.py --other --baseline /work/main --rounds 4
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import (  # noqa: E402
    BOXES,
    IDLE,
    MAIN,
    URLS,
    cpu_seconds,
    expected_answers,
    free_port,
    round_input,
    settle,
    start_server,
)
from tests.e2e.browser import CHROMIUM_ARGS, chromium_path  # noqa: E402

PAGES = ["translate", "inside-cell", "phrase-scoring"]


IDLE_CPU_PER_SECOND = 0.008  # measured: a connected, idle server uses about 6-8 ms of CPU per second


async def quiet(pid: int, step: float = 0.25, limit: float = 30.0) -> None:
    """Wait until the server's CPU stops moving (under 5 ms in `step` s): its script run has ended."""
    deadline = time.monotonic() + limit
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        await asyncio.sleep(step)
        now = cpu_seconds(pid)
        if now - last < 0.005:
            return
        last = now


async def server_ms(base: str, pid: int, page_name: str, rounds: int, expected: dict, offset: int) -> list[float]:
    """Server CPU ms of each of `rounds` typed inputs on one page by one student (None-free: misses are skipped)."""
    from playwright.async_api import async_playwright

    costs: list[float] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
            await page.goto(f"{base}/{URLS.get(page_name, page_name)}", wait_until="domcontentloaded", timeout=120_000)
            await page.wait_for_function(IDLE, polling=100, timeout=120_000)
            label, check, submit = BOXES[page_name]
            box = page.locator(MAIN).get_by_role("textbox", name=label)
            for round_index in range(rounds):
                text, wanted = round_input(page_name, 0, round_index, offset, expected)
                await box.fill(text)
                await asyncio.sleep(0.3)  # the browser's own work on fill settles before the count starts
                before = cpu_seconds(pid)
                await box.press(submit)
                began = time.monotonic()
                if await settle(page, check, wanted, 60.0) == "ok":
                    await quiet(pid)  # the answer is on the page; the run may still draw what follows it
                    idle = IDLE_CPU_PER_SECOND * (time.monotonic() - began)
                    costs.append(1000 * max(0.0, cpu_seconds(pid) - before - idle))
                await asyncio.sleep(0.5)
        finally:
            await browser.close()
    return costs


# The other pages' interactions (issue 14 item 1: at most 300 ms of server time each): (page, kind, widget's name).
# Each round moves the widget to its next value (options cycle, so later rounds may meet a cache, as a class would).
INTERACTIONS = [
    ("unrolled", "combobox", "Cell"),
    ("unrolled", "combobox", "Highlight every use of"),
    ("unrolled", "switch", "Bidirectional"),
    ("unrolled", "spinbutton", "Hidden size"),
    ("unrolled", "slider", "Forward pass, step by step"),
    ("unrolled", "tab", "BPTT in numbers|The graph"),
    ("gradient-lab", "combobox", "Cell"),
    ("gradient-lab", "spinbutton", "Dependency length T"),
    ("inside-cell", "combobox", "Units shown"),
    ("inside-cell", "radiogroup", "Gate or state"),
    ("inside-cell", "spinbutton", "Character position"),
    ("inside-cell", "tab", "Gate saturation|Find the unit"),
    ("compare-cells", "combobox", "Task"),
    ("compare-cells", "slider", "Sequence length T (how far back the answer lies)"),
    ("signatures", "combobox", "User"),
    ("signatures", "radiogroup", "Signatures"),
    ("embeddings", "combobox", "Colour by"),
    ("embeddings", "radiogroup", "Projection"),
    ("embeddings", "textbox", "Search a word|cat|dog"),
]
OPEN_FIRST = {"gradient-lab": "Settings: change any knob, then press Train"}  # an expander the widgets sit in


async def move(page, kind: str, name: str, round_index: int) -> None:
    """Change one widget to its next value, as a person does (click, keys), without waiting for the answer."""
    main = page.locator(MAIN)
    if kind in ("tab", "textbox"):
        label, *values = name.split("|")
        if kind == "tab":
            await main.get_by_role("tab", name=(label, *values)[round_index % 2], exact=True).click()
        else:
            box = main.get_by_role("textbox", name=label)
            await box.fill(values[round_index % len(values)])
            await box.press("Enter")
        return
    if kind == "slider":  # its accessible name joins the label with the value
        widget = main.locator(f'input[type=range][aria-label="{name}"]').first
    else:
        widget = main.get_by_role(kind, name=name, exact=True).first
    await widget.wait_for(timeout=30_000)
    if kind == "combobox":
        await widget.click()
        options = page.get_by_role("option")
        await options.first.wait_for()
        await options.nth((round_index + 1) % await options.count()).click()
    elif kind == "radiogroup":
        labels = widget.locator('[data-testid="stRadioOption"]')
        await labels.first.wait_for()
        await labels.nth((round_index + 1) % await labels.count()).click()
    elif kind == "switch":
        await widget.locator("xpath=ancestor::label[1]").click()
    elif kind == "slider":
        await widget.focus()
        await widget.press("ArrowRight" if round_index % 2 == 0 else "ArrowLeft")
    elif kind == "spinbutton":
        await widget.focus()
        await widget.press("ArrowUp" if round_index % 2 == 0 else "ArrowDown")
        await widget.press("Enter")


async def interaction_ms(base: str, pid: int, rounds: int, pages: list[str]) -> dict[str, list[float]]:
    """Server CPU ms of each round of each of INTERACTIONS, by one student, each page opened fresh."""
    from playwright.async_api import async_playwright

    costs: dict[str, list[float]] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            for page_name, kind, name in [item for item in INTERACTIONS if not pages or item[0] in pages]:
                page = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
                await page.goto(f"{base}/{page_name}", wait_until="domcontentloaded", timeout=120_000)
                await page.wait_for_function(IDLE, polling=100, timeout=180_000)
                if page_name in OPEN_FIRST:
                    await page.locator(MAIN).get_by_text(OPEN_FIRST[page_name]).click()
                await quiet(pid)
                label = f"{page_name}: {kind} {name.split('|')[0]}"
                for round_index in range(rounds):
                    before, began = cpu_seconds(pid), time.monotonic()
                    try:
                        await move(page, kind, name, round_index)
                        await asyncio.sleep(0.3)  # the rerun has started
                        await page.wait_for_function(IDLE, polling=50, timeout=60_000)
                    except Exception as error:  # a widget not found or never answered: say so, go on
                        print(f"  {label}: {type(error).__name__}: {str(error).splitlines()[0][:100]}")
                        break
                    await quiet(pid)
                    idle = IDLE_CPU_PER_SECOND * (time.monotonic() - began)
                    costs.setdefault(label, []).append(1000 * max(0.0, cpu_seconds(pid) - before - idle))
                    await asyncio.sleep(0.3)
                await page.context.close()
        finally:
            await browser.close()
    return costs


def units(arguments: argparse.Namespace) -> list[str]:
    """What is measured in turn on each server: the typed pages, or (--other) the pages of INTERACTIONS."""
    if not arguments.other:
        return PAGES
    return list(dict.fromkeys(page for page, _, _ in INTERACTIONS if not arguments.page or page in arguments.page))


def measure_unit(unit: str, port: int, pid: int, arguments: argparse.Namespace, expected: dict) -> dict[str, list[float]]:
    """Server ms of each input of one typed page (after a warm-up input), or of each widget change of one page."""
    base = f"http://127.0.0.1:{port}"
    if arguments.other:
        return asyncio.run(interaction_ms(base, pid, arguments.rounds, [unit]))
    asyncio.run(server_ms(base, pid, unit, 1, expected, 0))  # warm-up
    costs = asyncio.run(server_ms(base, pid, unit, arguments.rounds, expected, 1000 * (1 + PAGES.index(unit))))
    return {unit: costs} if costs else {}


def report(label: str, found: dict[str, list[float]], expected: dict) -> dict[str, float]:
    """Print median and max per page or widget; the medians."""
    medians = {}
    for name, costs in found.items():
        medians[name] = statistics.median(costs)
        if expected:
            ratio = f"over {len(costs)} inputs; {medians[name] / expected['answer_ms']:5.1f}x the model's answer"
        else:
            ratio = "  OVER 300 ms" if medians[name] > 300 else ""
        print(f"{label:9s} {name:62s} server {medians[name]:6.0f} ms median, {max(costs):6.0f} ms max {ratio}")
    return medians


def main() -> None:
    """Both servers up at once; each page measured on the baseline (when given) and then on this checkout, in turn."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--baseline", type=Path, default=None, help="another checkout, measured page by page in turn")
    options.add_argument("--rounds", type=int, default=6, help="typed inputs per page (or changes per widget)")
    options.add_argument("--other", action="store_true", help="the other pages' widgets (INTERACTIONS) instead")
    options.add_argument("--page", action="append", default=[], help="with --other: only this page (repeatable)")
    options.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Streamlit option for both servers, e.g. runner.postScriptGC=false",
    )
    arguments = options.parse_args()
    if chromium_path() is None:
        sys.exit("Chromium is not installed (apt-get install chromium).")
    expected = {} if arguments.other else expected_answers()
    if expected:
        print(f"the model's own answer: {expected['answer_ms']:.1f} ms CPU per sentence (greedy, this process)")
    began = time.monotonic()
    roots = {"baseline": arguments.baseline.resolve()} if arguments.baseline else {}
    roots["this"] = ROOT
    servers = {}
    medians: dict[str, dict[str, float]] = {label: {} for label in roots}
    try:
        for label, root in roots.items():
            port = free_port()
            servers[label] = (port, start_server(port, root, arguments.option))
        for unit in units(arguments):  # interleaved: the machine's load moves less between A and B of one page
            print(f"load average {os.getloadavg()[0]:.1f}")
            for label, (port, server) in servers.items():
                medians[label].update(report(label, measure_unit(unit, port, server.pid, arguments, expected), expected))
    finally:
        for _, server in servers.values():
            server.terminate()
            server.wait(timeout=15)
    for name, cost in medians["this"].items():
        if name in medians.get("baseline", {}):
            print(f"{name:62s} this / baseline = {cost / max(medians['baseline'][name], 1.0):.2f} (server time per input)")
    print(f"load average {os.getloadavg()[0]:.1f} ({time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
