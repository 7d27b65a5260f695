"""What one typed input costs the server, per page: this checkout against a baseline checkout, in one run.

One headless-Chromium student types a new input (never typed before in the run, so no cache answers it) on
Translate, Inside the cell and Phrase scoring; for each interaction the server process's own CPU time
(user + system, /proc) is read before the keystroke and again once the page shows the answer and the server's
CPU has stopped moving (the rest of the run, e.g. the tabs after the answer, counts too), less its idle rate.
That is the interaction's server time, whatever else the machine runs. Printed per page: median and max server ms,
and the ratio to the model's own answer time (one greedy translation, measured in this process). With
`--baseline ../main` the same is measured first on another checkout (e.g. before fragments and caches).
Target (issue 14 item 1): at most 150 ms of server time per typed input on these three pages.

    python bench/reruns.py --baseline /work/main [--rounds 6]
"""

from __future__ import annotations

import argparse
import asyncio
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


def measure(root: Path, label: str, rounds: int, expected: dict, options: list[str]) -> dict[str, float]:
    """Median server ms per page of one checkout, printed with max and the ratio to the model's answer."""
    port = free_port()
    server = start_server(port, root, options)
    medians: dict[str, float] = {}
    try:
        for offset, page_name in enumerate(PAGES, start=1):
            asyncio.run(server_ms(f"http://127.0.0.1:{port}", server.pid, page_name, 1, expected, 0))  # warm-up
            costs = asyncio.run(server_ms(f"http://127.0.0.1:{port}", server.pid, page_name, rounds, expected, 1000 * offset))
            if not costs:
                print(f"{label:9s} {page_name:15s} no answers")
                continue
            medians[page_name] = statistics.median(costs)
            print(
                f"{label:9s} {page_name:15s} server {medians[page_name]:6.0f} ms median, {max(costs):6.0f} ms max "
                f"over {len(costs)} inputs; {medians[page_name] / expected['answer_ms']:5.1f}x the model's answer"
            )
    finally:
        server.terminate()
        server.wait(timeout=15)
    return medians


def main() -> None:
    """Baseline (optional), then this checkout; the ratio of the two per page."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--baseline", type=Path, default=None, help="another checkout measured first")
    options.add_argument("--rounds", type=int, default=6, help="typed inputs per page")
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
    expected = expected_answers()
    print(f"the model's own answer: {expected['answer_ms']:.1f} ms CPU per sentence (greedy, this process)")
    began = time.monotonic()
    before = (
        measure(arguments.baseline.resolve(), "baseline", arguments.rounds, expected, arguments.option)
        if arguments.baseline
        else {}
    )
    after = measure(ROOT, "this", arguments.rounds, expected, arguments.option)
    for page_name, cost in after.items():
        if page_name in before:
            print(f"{page_name:15s} this / baseline = {cost / before[page_name]:.2f} (server time per typed input)")
    print(f"({time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
